/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal: the local one, or a directory of journal files written elsewhere (the output of
 * systemd-journal-remote for a fleet). Only kernel records are read: _TRANSPORT=kernel (the match)
 * with SYSLOG_FACILITY absent or 0 (checked per entry). What user space writes to /dev/kmsg also
 * reaches the journal with _TRANSPORT=kernel, but with its own facility (1 = user, by default),
 * so nothing a user process logs can pose as a kernel report.
 *
 * Each machine is read through its own sd_journal (matching its _MACHINE_ID) with its own cursor
 * "<source>#<machine id>": "at:<journal cursor>" of the first entry of a report still open, or
 * "after:<journal cursor>" of the last entry read. (Not a timestamp: journal-remote writes entries
 * in arrival order, so realtime is not monotonic within a file and a time seek can overshoot.) A host whose
 * upload arrives late, as files older than what other hosts already sent, is therefore read from
 * where that host stopped, not from where the others are. Within a machine every boot gets its own
 * parser and origin. Re-reading from a cursor after a restart is harmless: stored reports are
 * recognised by their dedup key. A watch journal over everything notices new files and machines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "lockdepd.h"
#include "log.h"
#include "macro.h"
#include "strbuf.h"

#define JOURNAL_BATCH 4096
#define MACHINES_MAX 4096
#define BOOTS_MAX 8

typedef struct Boot {
        char boot_id[33];
        char hostname[256];
        LockdepParser *parser;
        Ingest in;
        char *open_cursor;       /* journal cursor of the first entry of the open report */
        uint64_t open_pos;
} Boot;

typedef struct Machine {
        char machine_id[33];
        char cursor_key[4300];
        sd_journal *j;
        Boot *boots[BOOTS_MAX];
        size_t n_boots;
        char *last_cursor;       /* journal cursor of the last entry read */
        uint64_t seq;            /* entries fed since the reader was opened: the records' pos */
} Machine;

typedef struct JournalSource {
        sd_journal *watch;       /* all machines: inotify, discovery */
        sd_event_source *io;
        Machine **machines;
        size_t n_machines;
} JournalSource;

static int open_journal(Source *s, sd_journal **ret) {
        return s->path ? sd_journal_open_directory(ret, s->path, 0) : sd_journal_open(ret, SD_JOURNAL_LOCAL_ONLY);
}

static void boot_free(Boot *b) {
        lockdep_parser_free(b->parser);
        free(b->open_cursor);
        free(b);
}

static void boots_free(Machine *m) {
        for (size_t i = 0; i < m->n_boots; i++)
                boot_free(m->boots[i]);
        m->n_boots = 0;
}

static void machine_free(Machine *m) {
        if (!m)
                return;
        boots_free(m);
        sd_journal_close(m->j);
        free(m->last_cursor);
        free(m);
}

/* A kernel record: SYSLOG_FACILITY absent (older journald, hand-made files) or 0 (LOG_KERN). */
static bool kernel_facility(sd_journal *j) {
        const void *d;
        size_t l;
        int r = sd_journal_get_data(j, "SYSLOG_FACILITY", &d, &l);
        if (r < 0)
                return r == -ENOENT;
        return l == STRLEN("SYSLOG_FACILITY=0") && ((const char *) d)[l - 1] == '0';
}

static int field(sd_journal *j, const char *name, char *buf, size_t n) {
        const void *d;
        size_t l, k = strlen(name);
        int r = sd_journal_get_data(j, name, &d, &l);
        if (r < 0)
                return r;
        if (l <= k + 1)
                return -ENODATA;
        l -= k + 1;
        l = MIN(l, n - 1);
        memcpy(buf, (const char *) d + k + 1, l);
        buf[l] = 0;
        return (int) l;
}

/* The parser of one boot of a machine; the oldest boot makes room when there are too many. */
static Boot *boot_get(Source *s, Machine *m, const char *boot_id, const char *host) {
        for (size_t i = 0; i < m->n_boots; i++)
                if (!strcmp(m->boots[i]->boot_id, boot_id))
                        return m->boots[i];
        /* More boots than we keep: the oldest one is over; a report it left open (the host hung
         * or rebooted in the middle of it) ends here, truncated. Boots can interleave in a
         * journal directory, so a switch of boot alone does not end one. */
        if (m->n_boots == BOOTS_MAX) {
                Boot *old = m->boots[0];
                if (lockdep_parser_finish(old->parser) < 0)
                        return NULL;
                boot_free(old);
                memmove(m->boots, m->boots + 1, (BOOTS_MAX - 1) * sizeof(Boot *));
                m->n_boots--;
        }
        Boot *b = calloc(1, sizeof(*b));
        if (!b)
                return NULL;
        snprintf(b->boot_id, sizeof(b->boot_id), "%s", boot_id);
        snprintf(b->hostname, sizeof(b->hostname), "%s", host);
        b->in = (Ingest) {
                .store = s->d->store,
                .origin = { .machine_id = m->machine_id[0] ? m->machine_id : NULL,
                            .hostname = b->hostname[0] ? b->hostname : NULL,
                            .boot_id = b->boot_id[0] ? b->boot_id : NULL, .source = s->name },
                .on_new_group = daemon_new_group,
                .userdata = s->d,
        };
        LockdepOptions o = { .callback = ingest_event, .userdata = &b->in, .aliases = s->d->aliases };
        if (lockdep_parser_new(&o, &b->parser) < 0) {
                free(b);
                return NULL;
        }
        m->boots[m->n_boots++] = b;
        return b;
}

/* (Re)opens the machine's journal at its committed cursor, with fresh parsers. */
static int machine_seek(Source *s, Machine *m) {
        _cleanup_free_ char *cur = NULL;
        char match[64];
        int r;

        boots_free(m);
        sd_journal_close(m->j);
        m->j = NULL;
        m->seq = 0;
        r = open_journal(s, &m->j);
        if (r < 0)
                return r;
        snprintf(match, sizeof(match), "_MACHINE_ID=%s", m->machine_id);
        r = sd_journal_add_match(m->j, "_TRANSPORT=kernel", 0);
        if (r >= 0 && m->machine_id[0])
                r = sd_journal_add_match(m->j, match, 0);
        if (r < 0)
                return r;
        r = store_get_cursor(s->d->store, m->cursor_key, &cur);
        if (r < 0)
                return r;
        free(m->last_cursor);
        m->last_cursor = NULL;
        if (r == 0)
                return sd_journal_seek_head(m->j);
        bool after = strncmp(cur, "after:", 6) == 0;
        const char *c = after ? cur + 6 : strncmp(cur, "at:", 3) == 0 ? cur + 3 : NULL;
        if (!c) /* an old realtime position */
                return sd_journal_seek_realtime_usec(m->j, strtoull(cur, NULL, 10));
        r = sd_journal_seek_cursor(m->j, c);
        if (r < 0 || !after)
                return r;
        /* step over the entry read last, if it is still there */
        r = sd_journal_next(m->j);
        if (r > 0 && sd_journal_test_cursor(m->j, c) <= 0)
                r = sd_journal_previous(m->j); /* it is gone: do not skip its successor */
        if (r >= 0) {
                m->last_cursor = strdup(c);
                if (!m->last_cursor)
                        return -ENOMEM;
        }
        return r < 0 ? r : 0;
}

static int machine_add(Source *s, const char *id) {
        JournalSource *js = s->priv;
        for (size_t i = 0; i < js->n_machines; i++)
                if (!strcmp(js->machines[i]->machine_id, id))
                        return 0;
        if (js->n_machines >= MACHINES_MAX)
                return log_warning_errno(E2BIG, "%s: more than %d machines, ignoring %s", s->name, MACHINES_MAX, id);
        Machine **v = realloc(js->machines, (js->n_machines + 1) * sizeof(Machine *));
        if (!v)
                return -ENOMEM;
        js->machines = v;
        Machine *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        snprintf(m->machine_id, sizeof(m->machine_id), "%s", id);
        snprintf(m->cursor_key, sizeof(m->cursor_key), "%s#%s", s->name, id);
        js->machines[js->n_machines++] = m;
        int r = machine_seek(s, m);
        if (r < 0)
                return log_warning_errno(r, "%s: cannot open the journal of machine %s: %m", s->name, id);
        log_debug("%s: reading machine %s", s->name, id);
        return 0;
}

/* Finds machines that appeared in the watched journal (new hosts, new files). */
static int discover(Source *s) {
        JournalSource *js = s->priv;
        const void *d;
        size_t l;
        int r = sd_journal_query_unique(js->watch, "_MACHINE_ID");
        if (r < 0)
                return r;
        SD_JOURNAL_FOREACH_UNIQUE(js->watch, d, l) {
                const size_t k = STRLEN("_MACHINE_ID=");
                char id[33];
                if (l <= k || l - k >= sizeof(id))
                        continue;
                memcpy(id, (const char *) d + k, l - k);
                id[l - k] = 0;
                r = machine_add(s, id);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

static char *strjoin2(const char *a, const char *b) {
        size_t la = strlen(a), lb = strlen(b);
        char *r = malloc(la + lb + 1);
        if (r) {
                memcpy(r, a, la);
                memcpy(r + la, b, lb + 1);
        }
        return r;
}

static int machine_set_cursor(Source *s, Machine *m) {
        const Boot *oldest = NULL;
        _cleanup_free_ char *pos = NULL;
        uint64_t p, best = UINT64_MAX;

        for (size_t i = 0; i < m->n_boots; i++) {
                const Boot *b = m->boots[i];
                if (lockdep_parser_resume_pos(b->parser, &p) > 0 && b->open_cursor && b->open_pos == p && p < best) {
                        best = p;
                        oldest = b;
                }
        }
        if (oldest)
                pos = strjoin2("at:", oldest->open_cursor);
        else if (m->last_cursor)
                pos = strjoin2("after:", m->last_cursor);
        else
                return 0; /* nothing read yet: keep what is stored */
        return pos ? store_set_cursor(s->d->store, m->cursor_key, pos) : -ENOMEM;
}

static unsigned stored(const Machine *m) {
        unsigned n = 0;
        for (size_t i = 0; i < m->n_boots; i++)
                n += m->boots[i]->in.n_stored;
        return n;
}

static int machine_process(Source *s, Machine *m, bool *ret_more) {
        char boot[64], host[256], mono[32];
        unsigned before = stored(m);
        int r;

        for (unsigned i = 0; i < JOURNAL_BATCH; i++) {
                r = sd_journal_next(m->j);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                uint64_t rt = 0;
                const void *d;
                size_t l;
                (void) sd_journal_get_realtime_usec(m->j, &rt);
                if (field(m->j, "_BOOT_ID", boot, sizeof(boot)) < 0)
                        boot[0] = 0;
                if (field(m->j, "_HOSTNAME", host, sizeof(host)) < 0)
                        host[0] = 0;
                Boot *b = boot_get(s, m, boot, host);
                if (!b)
                        return -ENOMEM;
                char *cursor = NULL;
                r = sd_journal_get_cursor(m->j, &cursor);
                if (r < 0)
                        return r;
                free(m->last_cursor);
                m->last_cursor = cursor;
                if (!kernel_facility(m->j))
                        continue; /* user space writing to /dev/kmsg */
                if (sd_journal_get_data(m->j, "MESSAGE", &d, &l) < 0)
                        continue; /* no text (or binary over the size limit): nothing to parse */
                LockdepRecord rec = { .text = (const char *) d + 8, .len = l - 8, .pos = ++m->seq };
                if (field(m->j, "_SOURCE_MONOTONIC_TIMESTAMP", mono, sizeof(mono)) > 0) {
                        rec.has_ts = true;
                        rec.ts_usec = strtoull(mono, NULL, 10);
                }
                b->in.origin.realtime = rt;
                r = lockdep_parser_feed_record(b->parser, &rec);
                if (r < 0)
                        return r;
                uint64_t open;
                if (lockdep_parser_resume_pos(b->parser, &open) > 0 && open == rec.pos) {
                        /* a report starts at this entry: where to come back to after a crash */
                        free(b->open_cursor);
                        b->open_cursor = strdup(cursor);
                        b->open_pos = rec.pos;
                        if (!b->open_cursor)
                                return -ENOMEM;
                }
                if (i + 1 == JOURNAL_BATCH)
                        *ret_more = true;
        }
        s->d->n_reports += stored(m) - before;
        return machine_set_cursor(s, m);
}

static int journal_process(Source *s, bool *ret_more) {
        JournalSource *js = s->priv;
        *ret_more = false;
        for (size_t i = 0; i < js->n_machines; i++) {
                if (!js->machines[i]->j)
                        continue;
                int r = machine_process(s, js->machines[i], ret_more);
                if (r < 0)
                        return r;
        }
        if (!*ret_more)
                (void) source_arm_idle(s);
        return 0;
}

static int journal_flush_idle(Source *s, bool stale) {
        JournalSource *js = s->priv;
        for (size_t i = 0; i < js->n_machines; i++) {
                Machine *m = js->machines[i];
                unsigned before = stored(m);
                for (size_t k = 0; k < m->n_boots; k++) {
                        LockdepParser *p = m->boots[k]->parser;
                        int r = stale ? lockdep_parser_flush_stale(p) : lockdep_parser_flush_idle(p);
                        if (r < 0)
                                return r;
                }
                s->d->n_reports += stored(m) - before;
                int r = machine_set_cursor(s, m);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int journal_rewind(Source *s) {
        JournalSource *js = s->priv;
        for (size_t i = 0; i < js->n_machines; i++) {
                int r = machine_seek(s, js->machines[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Source *s = userdata;
        JournalSource *js = s->priv;
        int r = sd_journal_process(js->watch);
        if (r == SD_JOURNAL_NOP)
                return 0;
        log_debug("%s: journal changed (%s)", s->name, r == SD_JOURNAL_INVALIDATE ? "files" : "entries");
        (void) discover(s); /* a new file may bring a new machine */
        if (r == SD_JOURNAL_INVALIDATE && !s->failing)
                (void) journal_rewind(s); /* reopen the others so they see their new files */
        if (!s->failing)
                (void) source_kick(s);
        return 0;
}

static int journal_start(Source *s) {
        JournalSource *js = calloc(1, sizeof(*js));
        int r;

        if (!js)
                return -ENOMEM;
        s->priv = js;
        r = open_journal(s, &js->watch);
        if (r < 0)
                return r;
        r = sd_journal_add_match(js->watch, "_TRANSPORT=kernel", 0);
        if (r < 0)
                return r;
        int fd = sd_journal_get_fd(js->watch);
        if (fd >= 0) {
                r = sd_event_add_io(s->d->event, &js->io, fd, (uint32_t) sd_journal_get_events(js->watch), on_io, s);
                if (r < 0)
                        return r;
        }
        r = discover(s);
        if (r < 0)
                return r;
        return source_kick(s);
}

static void journal_stop(Source *s) {
        JournalSource *js = s->priv;
        if (!js)
                return;
        sd_event_source_disable_unref(js->io);
        for (size_t i = 0; i < js->n_machines; i++)
                machine_free(js->machines[i]);
        free(js->machines);
        sd_journal_close(js->watch);
        free(js);
        s->priv = NULL;
}

const SourceOps source_journal_ops = {
        .kind = "journal",
        .start = journal_start,
        .process = journal_process,
        .flush_idle = journal_flush_idle,
        .rewind = journal_rewind,
        .stop = journal_stop,
};
