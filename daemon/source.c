/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The batch loop every source shares: begin, let the source read and feed one batch (its parser
 * callbacks store reports), let it set its cursor, commit. On any failure: roll back, rewind the
 * source to its committed cursor and try again after RETRY_USEC. Warnings are logged once per
 * failure streak, so a full disk does not flood the journal.
 */
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "lockdepd.h"
#include "log.h"

#define NEW_GROUP_MESSAGE_ID "9f1f6e3a4c0d4b5e8a7b2c1d0e9f8a7b"

uint64_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

Source *source_new(Daemon *d, const SourceOps *ops, const char *name, const char *path) {
        Source *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->d = d;
        s->ops = ops;
        s->name = strdup(name);
        s->path = path ? strdup(path) : NULL;
        if (!s->name || (path && !s->path)) {
                source_free(s);
                return NULL;
        }
        return s;
}

void source_free(Source *s) {
        if (!s)
                return;
        if (s->ops && s->ops->stop)
                s->ops->stop(s);
        sd_event_source_disable_unref(s->retry);
        sd_event_source_disable_unref(s->idle);
        free(s->name);
        free(s->path);
        free(s);
}

static int on_retry(sd_event_source *es, uint64_t usec, void *userdata) {
        Source *s = userdata;
        (void) source_kick(s);
        return 0;
}

/* Rolls back what the failed batch did to the source: rewind to the committed cursor, retry later. */
static int source_fail(Source *s, int r) {
        Store *st = s->d->store;
        if (!s->failing || log_get_max_level() >= LOG_DEBUG)
                log_warning_errno(r, "%s: storing reports failed (%s); keeping the input and retrying every %us",
                                  s->name, store_error(st)[0] ? store_error(st) : "read error",
                                  RETRY_USEC / 1000000);
        s->failing = true;
        s->failures++;
        if (s->ops->rewind) {
                int q = s->ops->rewind(s);
                if (q < 0)
                        log_warning_errno(q, "%s: cannot rewind: %m", s->name);
        }
        (void) sd_event_source_set_time_relative(s->retry, RETRY_USEC);
        (void) sd_event_source_set_enabled(s->retry, SD_EVENT_ONESHOT);
        return r;
}

static int on_idle(sd_event_source *es, uint64_t usec, void *userdata) {
        Source *s = userdata;
        Store *st = s->d->store;
        int r;

        if (s->failing || !s->ops->flush_idle)
                return 0;
        r = store_begin(st);
        if (r >= 0)
                r = s->ops->flush_idle(s);
        if (r >= 0)
                r = store_commit(st);
        else
                store_rollback(st);
        if (r < 0)
                (void) source_fail(s, r);
        else {
                daemon_status(s->d);
                daemon_schedule_index(s->d);
        }
        return 0;
}

int source_arm_idle(Source *s) {
        int r;
        if (!s->idle) {
                r = sd_event_add_time_relative(s->d->event, &s->idle, CLOCK_MONOTONIC, IDLE_USEC, 50 * 1000,
                                               on_idle, s);
                return r;
        }
        r = sd_event_source_set_time_relative(s->idle, IDLE_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->idle, SD_EVENT_ONESHOT);
        return r;
}

int source_kick(Source *s) {
        Store *st = s->d->store;
        bool more = true;
        int r = 0;

        if (!s->retry) {
                r = sd_event_add_time_relative(s->d->event, &s->retry, CLOCK_MONOTONIC, RETRY_USEC, 0,
                                               on_retry, s);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
        }
        (void) sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);

        while (more) {
                r = store_begin(st);
                if (r >= 0)
                        r = s->ops->process(s, &more);
                if (r >= 0)
                        r = store_commit(st);
                else
                        store_rollback(st);
                if (r < 0)
                        break;
        }
        if (r < 0)
                return source_fail(s, r);
        if (s->failing)
                log_notice("%s: storing works again", s->name);
        s->failing = false;
        daemon_status(s->d);
        daemon_schedule_index(s->d);
        return 0;
}

/* Kernel-log text must not forge log lines: control characters become '?'. */
static const char *printable(const char *s, char *buf, size_t n) {
        size_t i = 0;
        for (; s && s[i] && i + 1 < n; i++)
                buf[i] = (unsigned char) s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        buf[i] = 0;
        return buf;
}

void daemon_new_group(const LockdepReport *r, int64_t group, void *userdata) {
        Daemon *d = userdata;
        d->n_groups++;
        if (getenv("JOURNAL_STREAM"))
                sd_journal_send("MESSAGE=New lockdep report group %lld: %s", (long long) group, r->func_title,
                                "MESSAGE_ID=" NEW_GROUP_MESSAGE_ID, "PRIORITY=5",
                                "LOCKDEP_GROUP=%lld", (long long) group, "LOCKDEP_KIND=%s",
                                lockdep_kind_to_string(r->kind), "LOCKDEP_SIGNATURE=%s", r->signature,
                                "LOCKDEP_KEY=%s", r->key, NULL);
        else {
                char t[256], k[512];
                log_notice("New lockdep report group %lld: %s [%s] MESSAGE_ID=" NEW_GROUP_MESSAGE_ID,
                           (long long) group, printable(r->func_title, t, sizeof(t)), printable(r->key, k, sizeof(k)));
        }
}

static int on_index(sd_event_source *es, void *userdata) {
        Daemon *d = userdata;
        int r = store_index_text(d->store, 2000);
        if (r < 0)
                log_debug("Full-text indexing postponed: %s", store_error(d->store));
        else if (r == 2000)
                daemon_schedule_index(d); /* more to do, after other events */
        return 0;
}

/* Reports become searchable shortly after they are stored, in bulk, off the write path. */
void daemon_schedule_index(Daemon *d) {
        if (!d->indexer && sd_event_add_defer(d->event, &d->indexer, on_index, d) < 0)
                return;
        (void) sd_event_source_set_enabled(d->indexer, SD_EVENT_ONESHOT);
}

void daemon_status(Daemon *d) {
        (void) sd_notifyf(0, "STATUS=%u reports stored, %u new groups since start", d->n_reports, d->n_groups);
}
