/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The batch loop every source shares: begin, let the source read and feed one batch (its parser
 * callbacks store reports), let it set its cursor, commit. On any failure: roll back, rewind the
 * source to its committed cursor and try again after RETRY_USEC. Warnings are logged once per
 * failure streak, so a full disk does not flood the journal.
 *
 * What a batch did is told only once it is committed: "new group" notices wait in d->notices
 * until the commit (a rolled-back batch creates its groups again when it is retried, and is then
 * announced once), and the counters of a failed batch are taken back.
 *
 * Health (GET /healthz, from the web server's threads): each source's state is kept under
 * health_lock, written here at the end of every batch.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <sys/inotify.h>
#include <time.h>

#include "json.h"
#include "lockdepd.h"
#include "log.h"
#include "macro.h"

#define NEW_GROUP_MESSAGE_ID "9f1f6e3a4c0d4b5e8a7b2c1d0e9f8a7b"
#define REGRESSED_MESSAGE_ID "7764e3b2efd742f980b8d27417e3abca"
#define NEW_LATENT_MESSAGE_ID "706843d7721e40b0a844201eef346433"

static pthread_mutex_t health_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct Notice {
        struct Notice *next;
        int64_t group;
        LockdepKind kind;
        char signature[17];
        char *func_title, *key;
        char *kernel, *fixed; /* a regression: reported on kernel, fixed-in fixed; NULL: a new group */
} Notice;

static Notice *notice_free_all(Notice *n) {
        while (n) {
                Notice *next = n->next;
                free(n->func_title);
                free(n->key);
                free(n->kernel);
                free(n->fixed);
                free(n);
                n = next;
        }
        return NULL;
}

/* The counters and notices of a batch, taken at its start. */
typedef struct Batch {
        unsigned n_reports, n_groups;
} Batch;

static Batch batch_begin(Daemon *d) {
        free(d->latent_release);
        d->latent_release = NULL;
        d->latent_new = 0;
        d->notices = notice_free_all(d->notices); /* left over from a batch that did not commit */
        d->notices_tail = &d->notices;
        return (Batch) { d->n_reports, d->n_groups };
}

static void announce(const Notice *n);
static bool database_gone(Daemon *d, Store *st);

static void batch_end(Source *s, const Batch *b, int r) {
        Daemon *d = s->d;
        if (r < 0) {
                d->n_reports = b->n_reports;
                d->n_groups = b->n_groups;
        } else {
                for (Notice *n = d->notices; n; n = n->next)
                        announce(n);
                if (d->latent_new > 0)
                        daemon_announce_latent(d->latent_release, d->latent_new, d);
        }
        free(d->latent_release);
        d->latent_release = NULL;
        d->latent_new = 0;
        d->notices = notice_free_all(d->notices);
        d->notices_tail = &d->notices;

        pthread_mutex_lock(&health_lock);
        if (r < 0)
                s->last_error = r;
        else {
                s->n_stored += d->n_reports - b->n_reports;
                s->last_ok = now_realtime();
        }
        pthread_mutex_unlock(&health_lock);
}
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
        pthread_mutex_lock(&health_lock);
        s->failing = true;
        s->failures++;
        pthread_mutex_unlock(&health_lock);
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

        if (s->failing || !s->ops->flush_idle || database_gone(s->d, st))
                return 0;
        Batch b = batch_begin(s->d);
        r = store_begin(st);
        bool stale = s->idle_stale;
        if (r >= 0)
                r = s->ops->flush_idle(s, stale);
        if (r >= 0)
                r = store_commit(st);
        else
                store_rollback(st);
        batch_end(s, &b, r);
        if (r < 0)
                (void) source_fail(s, r);
        else {
                daemon_status(s->d);
                daemon_schedule_index(s->d);
                if (!stale) { /* still quiet after STALE_USEC more: the long flush */
                        s->idle_stale = true;
                        if (sd_event_source_set_time_relative(s->idle, STALE_USEC) >= 0)
                                (void) sd_event_source_set_enabled(s->idle, SD_EVENT_ONESHOT);
                }
        }
        return 0;
}

int source_arm_idle(Source *s) {
        int r;
        s->idle_stale = false;
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

        if (database_gone(s->d, st))
                return -ESTALE;
        if (!s->retry) {
                r = sd_event_add_time_relative(s->d->event, &s->retry, CLOCK_MONOTONIC, RETRY_USEC, 0,
                                               on_retry, s);
                if (r < 0)
                        return r;
                (void) sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
        }
        (void) sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);

        while (more) {
                Batch b = batch_begin(s->d);
                r = store_begin(st);
                if (r >= 0)
                        r = s->ops->process(s, &more);
                if (r >= 0)
                        r = store_commit(st);
                else
                        store_rollback(st);
                batch_end(s, &b, r);
                if (r < 0)
                        break;
        }
        if (r < 0)
                return source_fail(s, r);
        if (s->failing)
                log_notice("%s: storing works again", s->name);
        pthread_mutex_lock(&health_lock);
        s->failing = false;
        pthread_mutex_unlock(&health_lock);
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

static void announce_regressed(const Notice *n) {
        if (getenv("JOURNAL_STREAM"))
                sd_journal_send("MESSAGE=Lockdep report group %lld regressed: reported on %s, fixed in %s: %s",
                                (long long) n->group, n->kernel, n->fixed, n->func_title,
                                "MESSAGE_ID=" REGRESSED_MESSAGE_ID, "PRIORITY=4",
                                "LOCKDEP_GROUP=%lld", (long long) n->group, "LOCKDEP_KIND=%s",
                                lockdep_kind_to_string(n->kind), "LOCKDEP_SIGNATURE=%s", n->signature,
                                "LOCKDEP_KERNEL=%s", n->kernel, "LOCKDEP_FIXED_IN=%s", n->fixed, NULL);
        else {
                char t[256], k[256], f[256];
                log_warning("Lockdep report group %lld regressed: reported on %s, fixed in %s: %s%s", (long long) n->group,
                            printable(n->kernel, k, sizeof(k)), printable(n->fixed, f, sizeof(f)),
                            printable(n->func_title, t, sizeof(t)),
                            log_on_terminal() ? "" : " MESSAGE_ID=" REGRESSED_MESSAGE_ID);
        }
}

static void announce(const Notice *n) {
        if (n->fixed) {
                announce_regressed(n);
                return;
        }
        if (getenv("JOURNAL_STREAM"))
                sd_journal_send("MESSAGE=New lockdep report group %lld: %s", (long long) n->group, n->func_title,
                                "MESSAGE_ID=" NEW_GROUP_MESSAGE_ID, "PRIORITY=5",
                                "LOCKDEP_GROUP=%lld", (long long) n->group, "LOCKDEP_KIND=%s",
                                lockdep_kind_to_string(n->kind), "LOCKDEP_SIGNATURE=%s", n->signature,
                                "LOCKDEP_KEY=%s", n->key, NULL);
        else {
                char t[256], k[512];
                /* the ID lets a log file be grepped like the journal; a person needs no hex */
                log_notice("New lockdep report group %lld: %s [%s]%s", (long long) n->group,
                           printable(n->func_title, t, sizeof(t)), printable(n->key, k, sizeof(k)),
                           log_on_terminal() ? "" : " MESSAGE_ID=" NEW_GROUP_MESSAGE_ID);
        }
}

/* New latent cycles of a release (docs/LATENT.md), after their commit. Our own words only: the
 * release string came from a client, so it is made printable. */
void daemon_announce_latent(const char *release, unsigned n, void *userdata) {
        char rel[256];
        printable(release, rel, sizeof(rel));
        if (getenv("JOURNAL_STREAM"))
                sd_journal_send("MESSAGE=%u new latent lock cycle%s in kernel %s: lockdepctl latent --kernel %s", n,
                                n == 1 ? "" : "s", rel, rel, "MESSAGE_ID=" NEW_LATENT_MESSAGE_ID, "PRIORITY=5",
                                "LOCKDEP_KERNEL=%s", rel, "LOCKDEP_LATENT_NEW=%u", n, NULL);
        else
                log_notice("%u new latent lock cycle%s in kernel %s: lockdepctl latent --kernel %s%s", n,
                           n == 1 ? "" : "s", rel, rel, log_on_terminal() ? "" : " MESSAGE_ID=" NEW_LATENT_MESSAGE_ID);
}

int daemon_latent_pending(Daemon *d, const char *release, unsigned n) {
        char *r = strdup(release);
        if (!r)
                return -ENOMEM;
        free(d->latent_release);
        d->latent_release = r;
        d->latent_new += n;
        return 0;
}

void daemon_lockdep_off(void *userdata) {
        const char *dir = getenv("RUNTIME_DIRECTORY");
        _cleanup_free_ char *path = NULL;
        char line[64];
        if (!dir || strchr(dir, ':') || asprintf(&path, "%s/lockdep-off", dir) < 0)
                return;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
                log_debug_errno(errno, "Cannot touch %s: %m", path);
                return;
        }
        int n = snprintf(line, sizeof(line), "%llu\n", (unsigned long long) now_realtime());
        (void) !write(fd, line, (size_t) n);
        close(fd);
}

/* Inside the batch's transaction: remembered, announced after the commit. */
void daemon_new_group(const LockdepReport *r, int64_t group, void *userdata) {
        Daemon *d = userdata;
        d->n_groups++;
        Notice *n = calloc(1, sizeof(Notice));
        if (!n)
                return; /* the group is stored all the same, only not announced */
        n->group = group;
        n->kind = r->kind;
        memcpy(n->signature, r->signature, sizeof(n->signature));
        n->func_title = r->func_title ? strdup(r->func_title) : NULL;
        n->key = r->key ? strdup(r->key) : NULL;
        if (!d->notices_tail)
                d->notices_tail = &d->notices;
        *d->notices_tail = n;
        d->notices_tail = &n->next;
}

/* The same for a group whose fix did not hold (store_last_regressed()). */
void daemon_regressed(const LockdepReport *r, int64_t group, const char *fixed, void *userdata) {
        Daemon *d = userdata;
        Notice *n = calloc(1, sizeof(Notice));
        if (!n)
                return;
        n->group = group;
        n->kind = r->kind;
        memcpy(n->signature, r->signature, sizeof(n->signature));
        n->func_title = r->func_title ? strdup(r->func_title) : NULL;
        n->kernel = strdup(r->kernel ? r->kernel : "?");
        n->fixed = strdup(fixed ? fixed : "?");
        if (!n->kernel || !n->fixed) {
                notice_free_all(n);
                return;
        }
        if (!d->notices_tail)
                d->notices_tail = &d->notices;
        *d->notices_tail = n;
        d->notices_tail = &n->next;
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

static void json_time(StrBuf *b, const char *name, uint64_t usec) {
        if (!usec) {
                (void) strbuf_printf(b, ",\"%s\":null", name);
                return;
        }
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;
        char buf[32];
        gmtime_r(&t, &tm);
        strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
        (void) strbuf_printf(b, ",\"%s\":\"%s\"", name, buf);
}

int daemon_health_json(StrBuf *b, bool *ret_degraded, void *userdata) {
        Daemon *d = userdata;
        bool degraded = false;
        int r = strbuf_appendc(b, '[');
        pthread_mutex_lock(&health_lock);
        for (size_t i = 0; r >= 0 && i < d->n_sources; i++) {
                Source *s = d->sources[i];
                degraded |= s->failing;
                r = strbuf_puts(b, i ? ",{\"name\":" : "{\"name\":");
                if (r >= 0)
                        r = json_append_str(b, s->name);
                if (r >= 0)
                        r = strbuf_printf(b, ",\"kind\":\"%s\",\"state\":\"%s\",\"failures\":%u,"
                                          "\"reports\":%u,\"error\":", s->ops->kind,
                                          s->failing ? "retrying" : "ok", s->failures, s->n_stored);
                if (r >= 0)
                        r = s->last_error < 0 ? json_append_str(b, strerror(-s->last_error)) : strbuf_puts(b, "null");
                if (r >= 0) {
                        json_time(b, "last_stored", s->last_ok);
                        r = strbuf_appendc(b, '}');
                }
        }
        pthread_mutex_unlock(&health_lock);
        if (r >= 0)
                r = strbuf_appendc(b, ']');
        *ret_degraded = degraded;
        return r;
}

/* ---- the database file ---------------------------------------------------------------------- */

/* Deleted or replaced under us: nothing written from now on would reach the file at the path (or
 * it would reach another database with our WAL). Exit with an error; the service manager starts
 * lockdepd again, on whatever file the path names then. */
static bool database_gone(Daemon *d, Store *st) {
        int r = store_check_identity(st);
        if (r >= 0)
                return false;
        log_error("Exiting: %s (lockdepd must be started again to use the file now at %s).",
                  store_error(st), d->cfg.db);
        (void) sd_notifyf(0, "STATUS=%s", store_error(st));
        (void) sd_event_exit(d->event, r);
        return true;
}

static int on_db_dir(sd_event_source *es, const struct inotify_event *ev, void *userdata) {
        Daemon *d = userdata;
        (void) database_gone(d, d->watched);
        return 0;
}

int daemon_watch_database(Daemon *d, Store *st) {
        _cleanup_free_ char *dir = strdup(d->cfg.db);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash)
                *(slash == dir ? slash + 1 : slash) = 0;
        d->watched = st;
        return sd_event_add_inotify(d->event, &d->db_watch, slash ? dir : ".",
                                    IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE_SELF |
                                    IN_MOVE_SELF | IN_ONLYDIR, on_db_dir, d);
}
