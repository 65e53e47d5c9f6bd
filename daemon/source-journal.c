/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal: the local one, or a directory of journal files written elsewhere (the output of
 * systemd-journal-remote for a fleet). Only kernel records are read: _TRANSPORT=kernel (the match)
 * with SYSLOG_FACILITY absent or 0 (checked per entry). What user space writes to /dev/kmsg also
 * reaches the journal with _TRANSPORT=kernel, but with its own facility (1 = user, by default),
 * so nothing a user process logs can pose as a kernel report.
 *
 * A directory is read as streams (journal-files.h): the files one writer produced, e.g.
 * "remote-HOST.journal" and its archives "remote-HOST@....journal". A stream is read one file at a
 * time, in the order its writer wrote them, through an sd_journal over that one file
 * (sd_journal_open_files_fd(): one descriptor, its own mappings). Open readers are kept in a
 * least-recently-used list of at most open_max; an idle stream costs no descriptor and no mapping,
 * only its name, its files' names and a few words. So descriptors, mappings and memory do not grow
 * with the number of machines. (sd_journal_open_directory() would open every file of the
 * directory, once per sd_journal, and skip the files it cannot open without a word.)
 *
 * Exactly once: each stream keeps its cursor "<source>#<stream>" in the store, written in the same
 * transaction as the reports it led to: "at:<journal cursor>" of the first entry of a report still
 * open, or "after:<journal cursor>" of the last entry read. (Not a timestamp: journal-remote writes
 * entries in arrival order, so realtime is not monotonic within a file.) Whatever happens to a
 * reader (evicted, a failed commit, a file that could not be read, a crash), it is rebuilt from that
 * cursor, and what is read again is recognised by the reports' dedup keys. Within a stream every
 * machine (_MACHINE_ID) and boot (_BOOT_ID) gets its own parser and origin. The local journal is one
 * stream over sd_journal_open(), under its old key "journal#<machine id>".
 *
 * /proc/lockdep snapshots (docs/LATENT.md) come as entries with their own MESSAGE_ID from the
 * collector of each machine (common/snapshot-journal.h): trusted only from lockdep-collect.service
 * as root (_SYSTEMD_UNIT, _UID, _TRANSPORT=journal, which journald sets itself), joined part by part
 * per machine and boot, accepted by the rule of every entry (ingest_deps_refusal()) and stored by
 * ingest_deps_store_in() in the batch's transaction. A snapshot still open counts as an open report
 * for the cursor ("at:" its first part), and the store recognises a snapshot stored before, so
 * each is stored once; entries not trusted, snapshots with a part missing and refused ones are
 * counted (dep_snapshot_rejects: lockdepctl stats, /metrics), and journal_seen keeps them from
 * being counted again when a stream is read again from an "at:" cursor.
 *
 * Changes come from one inotify watch on the directory (and its machine-id subdirectories):
 * new files and archived ones (IN_CREATE, IN_MOVED_TO), appended entries (IN_MODIFY: journal
 * writers ftruncate() after each entry for exactly this), deletions, permission changes. Nothing
 * polls: with no new data lockdepd sleeps.
 *
 * A file that cannot be opened or read (EMFILE, ENOMEM, EACCES, damaged) stops its stream there:
 * it is logged (rate-limited), recorded in the store (journal_files_failed: lockdepctl stats,
 * /metrics) and retried with a growing delay (at once on IN_ATTRIB, e.g. after a chmod). The other
 * streams go on. EMFILE and ENOMEM also close idle readers and lower open_max.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "host-name.h"
#include "journal-files.h"
#include "lockdepd.h"
#include "log.h"
#include "macro.h"
#include "snapshot-journal.h"
#include "strbuf.h"
#include "visible.h"

#define JOURNAL_BATCH 4096          /* entries per transaction */
#define BOOTS_MAX 8                 /* parsers per machine and stream */
#define OPEN_MAX 64                 /* open readers (one descriptor each) at most */
#define RETRY_MIN_USEC (1000ULL * 1000)
#define RETRY_MAX_USEC (300ULL * 1000 * 1000)
#define HEARD_STEP_USEC (60ULL * 1000 * 1000) /* a host's newest entry is recorded to the minute */
#define WARN_BURST 10               /* warnings about files per WARN_INTERVAL */
#define WARN_INTERVAL_USEC (60ULL * 1000 * 1000)
#define REPEAT_WARN_USEC (3600ULL * 1000 * 1000) /* a file still failing is named again after this */

typedef struct Stream Stream;

/* A /proc/lockdep snapshot whose parts (common/snapshot-journal.h) are being read. */
typedef struct SnapParts {
        char id[128];            /* LOCKDEP_SNAPSHOT */
        unsigned next, parts;    /* the part expected next, of parts */
        LockdepDepParser *parser;
        DepIngest deps;
        char *first_cursor;      /* journal cursor of its first part: where to resume after a crash */
        uint64_t first_pos;
} SnapParts;

typedef struct Boot {
        char boot_id[33];
        char hostname[256];
        LockdepParser *parser;
        Ingest in;
        char *open_cursor;       /* journal cursor of the first entry of the open report */
        uint64_t open_pos;
        SnapParts *snap;         /* the snapshot being joined, NULL: none */
        char lost[128];          /* the last snapshot counted incomplete: its later parts are not */
} Boot;

typedef struct Machine {
        char machine_id[33];
        char hostname[256];
        Boot *boots[BOOTS_MAX];
        size_t n_boots;
        uint64_t last_entry;     /* realtime of its newest entry read since the last commit */
} Machine;

/* One file of a directory. Owned by the source's file table; a stream points to its files. */
typedef struct JFile {
        char *name;              /* relative to the directory */
        dev_t dev;
        ino_t ino;
        Stream *stream;
        JournalHeader h;
        int error;               /* of the last failed attempt (negative errno), 0 = none */
        unsigned n_failures;     /* since it last worked */
        uint64_t retry_at;       /* CLOCK_MONOTONIC usec */
        uint64_t warned_at;
        bool gone;               /* deleted while its stream reads it: freed after */
        bool seen;               /* rescan() */
} JFile;

struct Stream {
        char *key;               /* "remote-HOST", "MID/system"; "" for the local journal */
        char *cursor_key;        /* "<source>#<key>" */
        JFile **files;           /* reading order (after stream_sort()) */
        size_t n_files;
        /* the reader, while open */
        sd_journal *j;
        JFile *cur;              /* the file j reads (directories only) */
        Machine **machines;
        size_t n_machines;
        char *last_cursor;       /* journal cursor of the last entry read */
        char *replay_until;      /* read before (journal_seen): snapshots are not counted again */
        JournalPoint replay_pt;  /* replay_until parsed */
        bool replaying;          /* the entry being fed was read before */
        char *seen_committed;    /* the journal_seen position last written by us */
        uint64_t seq;            /* entries fed since the reader was opened: the records' pos */
        char *committed;         /* the cursor last written to the store by us */
        Stream *lru_prev, *lru_next;
        /* state */
        bool open, dirty, queued, touched, at_end, blocked;
        bool idle_due, stale_due; /* entries were fed since the idle (stale) flush */
        bool fresh;              /* entries were fed since the stream was last read to its end */
        uint64_t at_end_since;   /* CLOCK_MONOTONIC usec, when the last new entry was read */
        JFile *restart_at;       /* read again from the head of this file (it appeared late) */
        char sole_machine[33];   /* the one machine of this stream; "" unknown, "*" several */
        char sole_hostname[256];
        uint64_t heard_tail;     /* tail realtime last recorded for sole_machine */
};

typedef struct Watch {
        int wd;
        char *prefix;            /* "" for the directory, "MID/" for a subdirectory */
} Watch;

typedef struct JournalSource {
        /* a directory */
        int dirfd;
        int inotify_fd;
        sd_event_source *inotify_io;
        Watch *watches;
        size_t n_watches;
        JFile **files;           /* sorted by name */
        size_t n_files;
        Stream **streams;        /* sorted by key */
        size_t n_streams;
        Stream **queue;          /* streams with something to read, FIFO */
        size_t q_head, q_len, q_cap;
        Stream **touched;        /* streams read in the open batch */
        size_t n_touched, touched_cap;
        char **pending;          /* names that changed (inotify), reconciled before reading */
        size_t n_pending;
        bool rescan;
        Stream *lru_head, *lru_tail;
        unsigned n_open, open_max;
        sd_event_source *retry_timer, *resume;
        uint64_t warn_window, n_warned, n_suppressed;
        /* the local journal */
        Stream *local;
        sd_event_source *local_io;
} JournalSource;

static uint64_t now_mono(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
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

/* ---- machines, boots, parsers ---------------------------------------------------------------- */

static void snap_free(SnapParts *p) {
        if (!p)
                return;
        lockdep_deps_free(p->parser);
        dep_ingest_done(&p->deps);
        free(p->first_cursor);
        free(p);
}

/* What is only in memory goes: the committed cursor is at the first part of an open snapshot. */
static void boot_free(Boot *b) {
        lockdep_parser_free(b->parser);
        free(b->open_cursor);
        snap_free(b->snap);
        free(b);
}

static void machine_free(Machine *m) {
        for (size_t i = 0; i < m->n_boots; i++)
                boot_free(m->boots[i]);
        free(m);
}

static void stream_drop_parsers(Stream *st) {
        for (size_t i = 0; i < st->n_machines; i++)
                machine_free(st->machines[i]);
        free(st->machines);
        st->machines = NULL;
        st->n_machines = 0;
}

static Machine *machine_get(Stream *st, const char *id) {
        for (size_t i = 0; i < st->n_machines; i++)
                if (!strcmp(st->machines[i]->machine_id, id))
                        return st->machines[i];
        Machine **v = realloc(st->machines, (st->n_machines + 1) * sizeof(Machine *));
        if (!v)
                return NULL;
        st->machines = v;
        Machine *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        snprintf(m->machine_id, sizeof(m->machine_id), "%s", id);
        st->machines[st->n_machines++] = m;
        return m;
}

static int snap_incomplete(Source *s, Stream *st, Boot *b, const char *id, const char *why);

/* The parser of one boot of a machine; the oldest boot makes room when there are too many.
 * NULL: out of memory, or a store error in *ret_error. */
static Boot *boot_get(Source *s, Stream *st, Machine *m, const char *boot_id, const char *host, int *ret_error) {
        *ret_error = -ENOMEM;
        for (size_t i = 0; i < m->n_boots; i++)
                if (!strcmp(m->boots[i]->boot_id, boot_id))
                        return m->boots[i];
        /* More boots than we keep: the oldest one is over; a report it left open (the host hung
         * or rebooted in the middle of it) ends here, truncated, and so does a snapshot it left
         * unfinished (counted). Boots can interleave in a journal directory, so a switch of boot
         * alone does not end one. */
        if (m->n_boots == BOOTS_MAX) {
                Boot *old = m->boots[0];
                if (lockdep_parser_finish(old->parser) < 0)
                        return NULL;
                if (old->snap) {
                        int r = snap_incomplete(s, st, old, old->snap->id, "its boot's journal ended before its last part");
                        if (r < 0) {
                                *ret_error = r;
                                return NULL;
                        }
                }
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
                .on_regressed = daemon_regressed,
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

static unsigned stream_stored(const Stream *st) {
        unsigned n = 0;
        for (size_t i = 0; i < st->n_machines; i++)
                for (size_t k = 0; k < st->machines[i]->n_boots; k++)
                        n += st->machines[i]->boots[k]->in.n_stored;
        return n;
}

/* ---- entries --------------------------------------------------------------------------------- */

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

/* The entry's _HOSTNAME, whole, into host (HOST_NAME_BUF bytes), "" when it has none. A remote
 * machine names itself: its entries cannot be refused, so a name that breaks the rule of
 * host-name.h is stored as host_name_sanitize() makes it (counted by lockdep_hosts_sanitized). */
static void host_field(sd_journal *j, char host[static HOST_NAME_BUF]) {
        static const char key[] = "_HOSTNAME=";
        const void *d;
        size_t l;
        host[0] = 0;
        if (sd_journal_get_data(j, "_HOSTNAME", &d, &l) < 0 || l <= sizeof(key) - 1)
                return;
        (void) host_name_sanitize((const char *) d + sizeof(key) - 1, l - (sizeof(key) - 1), host);
}

static void note_machine(Stream *st, const char *id, const char *host) {
        if (!st->sole_machine[0]) {
                snprintf(st->sole_machine, sizeof(st->sole_machine), "%s", id);
                snprintf(st->sole_hostname, sizeof(st->sole_hostname), "%s", host);
        } else if (strcmp(st->sole_machine, id) != 0)
                strcpy(st->sole_machine, "*");
        else if (host[0])
                snprintf(st->sole_hostname, sizeof(st->sole_hostname), "%s", host);
}

/* ---- /proc/lockdep snapshots in the journal (common/snapshot-journal.h) ------------------------ */

/* Was the entry at cursor read before the restart (up to the journal_seen point)? Snapshots of
 * such entries are stored again (the store recognises them) but not counted again. */
static bool replaying(Stream *st, const char *cursor) {
        JournalPoint p;
        if (!st->replay_until)
                return false;
        bool exact = !strcmp(cursor, st->replay_until), before = exact;
        if (!exact && journal_point_from_cursor(cursor, &p) >= 0) {
                const JournalPoint *q = &st->replay_pt;
                if (!memcmp(p.seqnum_id, q->seqnum_id, 16) && p.has_seqnum && q->has_seqnum)
                        before = p.seqnum < q->seqnum;
                else
                        before = p.has_realtime && q->has_realtime && p.realtime < q->realtime;
        }
        if (!before || exact) { /* past it: counting again from the next entry */
                free(st->replay_until);
                st->replay_until = NULL;
        }
        return before;
}

static bool warn_allowed(JournalSource *js);

/* A snapshot (or entry) not stored, by reason: logged (rate-limited) and counted in the store,
 * unless the entry was read and counted before a restart. what: our words; id and host are
 * the machine's and shown escaped. */
static int snap_rejected(Source *s, Stream *st, const Boot *b, const char *reason, const char *id, const char *why) {
        JournalSource *js = s->priv;
        StrBuf w = {};
        if (st->replaying)
                return 0;
        int r = strbuf_puts(&w, "snapshot ");
        if (r >= 0)
                r = visible_append(&w, id, strlen(id), 0);
        if (r >= 0)
                r = strbuf_puts(&w, " of host ");
        if (r >= 0)
                r = visible_append(&w, b->hostname[0] ? b->hostname : "?", strlen(b->hostname[0] ? b->hostname : "?"), 0);
        if (r >= 0)
                r = strbuf_printf(&w, " boot %s: %s", b->boot_id[0] ? b->boot_id : "?", why);
        if (r < 0) {
                strbuf_done(&w);
                return -ENOMEM;
        }
        if (warn_allowed(js))
                log_warning("%s: /proc/lockdep %s; not stored (%s, counted in lockdepctl stats)", s->name, w.s, reason);
        r = store_dep_snapshot_rejected(s->d->store, reason, s->name, w.s, now_realtime());
        strbuf_done(&w);
        return r;
}

/* The snapshot id lost a part: counted once (its later parts are not), the open one dropped. */
static int snap_incomplete(Source *s, Stream *st, Boot *b, const char *id, const char *why) {
        char copy[sizeof(b->lost)];
        snprintf(copy, sizeof(copy), "%s", id);
        if (b->snap && !strcmp(b->snap->id, copy)) {
                snap_free(b->snap);
                b->snap = NULL;
        }
        if (!strcmp(b->lost, copy))
                return 0;
        snprintf(b->lost, sizeof(b->lost), "%s", copy);
        return snap_rejected(s, st, b, "incomplete", copy, why);
}

/* A number field of at most 10 digits: 1, or 0 when absent or not a number. */
static int number_field(sd_journal *j, const char *name, uint64_t *ret) {
        char v[16];
        int n = field(j, name, v, sizeof(v));
        if (n <= 0 || n > 10 || strspn(v, "0123456789") != (size_t) n)
                return 0;
        *ret = strtoull(v, NULL, 10);
        return 1;
}

/* The last part arrived: the rule every entry shares (ingest_deps_refusal()), then stored by
 * ingest_deps_store_in() in the batch's transaction with the stream's cursor. */
static int snap_complete(Source *s, Stream *st, Boot *b, uint64_t rt) {
        SnapParts *p = b->snap;
        LockdepDepStats ds = {};
        unsigned n_new = 0, n_cycles = 0;
        int r = lockdep_deps_finish(p->parser, &ds);
        if (r < 0)
                return r;
        const char *boot_id = ds.boot_id[0] ? ds.boot_id : b->boot_id;
        const char *why = ingest_deps_refusal(&ds, ds.release, boot_id, NULL);
        if (why) {
                r = snap_rejected(s, st, b, "refused", p->id, why);
                goto out;
        }
        /* the collector named its host; it cannot be refused here, so it is made to pass the rule */
        char host[HOST_NAME_BUF];
        if (ds.host[0])
                (void) host_name_sanitize(ds.host, strlen(ds.host), host);
        else
                snprintf(host, sizeof(host), "%s", b->hostname[0] ? b->hostname : "\\empty");
        StoreDepOrigin o = {
                .release = ds.release,
                .boot_id = boot_id,
                .host = host,
                .taken_usec = ds.taken_usec ?: rt,
                .truncated = ds.truncated || ds.bad_lines > 0,
        };
        r = ingest_deps_store_in(s->d->store, &o, &p->deps, &n_new, &n_cycles);
        if (r >= 0 && n_cycles > 0)
                r = daemon_latent_pending(s->d, ds.release, n_cycles);
        if (r >= 0)
                log_debug("%s: snapshot %s: %zu dependencies, %u new%s", s->name, p->id, p->deps.n, n_new,
                          r == 0 ? " (stored before)" : "");
out:
        snap_free(b->snap);
        b->snap = NULL;
        return r < 0 ? r : 0;
}

/* An entry with the snapshot MESSAGE_ID: trusted only from lockdep-collect.service as root through
 * the native protocol (fields journald adds itself), then joined with the other parts of its
 * snapshot in order. */
static int feed_snapshot(Source *s, Stream *st, Boot *b, const char *cursor, uint64_t rt) {
        char v[64], id[sizeof(b->lost)];
        uint64_t part = 0, parts = 0, bytes = 0, pos = ++st->seq;
        const void *d;
        size_t l;
        int r;

        if (field(st->j, "LOCKDEP_SNAPSHOT", id, sizeof(id)) <= 0)
                snprintf(id, sizeof(id), "?");
        const char *untrusted = NULL;
        if (field(st->j, "_TRANSPORT", v, sizeof(v)) <= 0 || strcmp(v, "journal") != 0)
                untrusted = "an entry not sent with sd_journal_send() (_TRANSPORT is not \"journal\")";
        else if (field(st->j, "_UID", v, sizeof(v)) <= 0 || strcmp(v, "0") != 0)
                untrusted = "an entry not sent by root (_UID is not 0)";
        else if (field(st->j, "_SYSTEMD_UNIT", v, sizeof(v)) <= 0 || strcmp(v, SNAPSHOT_JOURNAL_UNIT) != 0)
                untrusted = "an entry not sent by " SNAPSHOT_JOURNAL_UNIT " (_SYSTEMD_UNIT)";
        if (untrusted)
                return snap_rejected(s, st, b, "untrusted", id, untrusted);

        static const char text_key[] = "LOCKDEP_SNAPSHOT_TEXT=";
        bool ok = strcmp(id, "?") != 0 && number_field(st->j, "LOCKDEP_SNAPSHOT_PART", &part) &&
                  number_field(st->j, "LOCKDEP_SNAPSHOT_PARTS", &parts) &&
                  number_field(st->j, "LOCKDEP_SNAPSHOT_BYTES", &bytes) && part >= 1 && part <= parts &&
                  parts <= SNAPSHOT_JOURNAL_PARTS_MAX && bytes <= SNAPSHOT_JOURNAL_PART_MAX &&
                  sd_journal_get_data(st->j, "LOCKDEP_SNAPSHOT_TEXT", &d, &l) >= 0 && l >= STRLEN(text_key) &&
                  l - STRLEN(text_key) == bytes;
        if (!ok)
                return snap_incomplete(s, st, b, id, "a part whose LOCKDEP_SNAPSHOT_* fields are missing or wrong "
                                                     "(cut short on the way?)");
        if (b->snap && (strcmp(b->snap->id, id) != 0 || part != b->snap->next || parts != b->snap->parts)) {
                char why[128];
                bool same = !strcmp(b->snap->id, id);
                snprintf(why, sizeof(why), "part %u of %u is missing", b->snap->next, b->snap->parts);
                r = snap_incomplete(s, st, b, b->snap->id, why);
                if (r < 0 || same)
                        return r; /* a later part of the snapshot just counted */
        }
        if (!b->snap) {
                if (part != 1)
                        return snap_incomplete(s, st, b, id, "its first part is missing");
                SnapParts *p = calloc(1, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                snprintf(p->id, sizeof(p->id), "%s", id);
                p->next = 1;
                p->parts = (unsigned) parts;
                p->first_pos = pos;
                p->first_cursor = strdup(cursor);
                LockdepDepOptions o = { .callback = ingest_dep, .userdata = &p->deps, .aliases = s->d->aliases };
                r = p->first_cursor ? lockdep_deps_new(&o, &p->parser) : -ENOMEM;
                if (r < 0) {
                        snap_free(p);
                        return r;
                }
                b->snap = p;
        }
        r = lockdep_deps_feed(b->snap->parser, (const char *) d + STRLEN(text_key), (size_t) bytes);
        if (r < 0)
                return r;
        b->snap->next++;
        return part == parts ? snap_complete(s, st, b, rt) : 0;
}

/* Feeds the entry j is at, whose cursor is passed (and taken). Errors are the parser's and the
 * store's. */
static int feed_entry(Source *s, Stream *st, char *cursor) {
        char mid[64], boot[64], host[HOST_NAME_BUF], mono[32];
        uint64_t rt = 0;
        const void *d;
        size_t l;
        int r;

        free(st->last_cursor);
        st->last_cursor = cursor;
        st->replaying = replaying(st, cursor);
        /* the match lets kernel records and snapshot entries (MESSAGE_ID) through */
        char transport[16];
        bool kernel = field(st->j, "_TRANSPORT", transport, sizeof(transport)) > 0 && !strcmp(transport, "kernel");
        if (kernel && !kernel_facility(st->j))
                return 0; /* user space writing to /dev/kmsg */
        (void) sd_journal_get_realtime_usec(st->j, &rt);
        if (field(st->j, "_MACHINE_ID", mid, sizeof(mid)) < 0 || strlen(mid) != 32)
                mid[0] = 0;
        if (field(st->j, "_BOOT_ID", boot, sizeof(boot)) < 0)
                boot[0] = 0;
        host_field(st->j, host);
        Machine *m = machine_get(st, mid);
        if (!m)
                return -ENOMEM;
        note_machine(st, mid, host);
        if (host[0])
                snprintf(m->hostname, sizeof(m->hostname), "%s", host);
        m->last_entry = MAX(m->last_entry, rt);
        Boot *b = boot_get(s, st, m, boot, host, &r);
        if (!b)
                return r;
        if (!kernel)
                return feed_snapshot(s, st, b, cursor, rt);
        if (sd_journal_get_data(st->j, "MESSAGE", &d, &l) < 0)
                return 0; /* no text (or binary over the size limit): nothing to parse */
        LockdepRecord rec = { .text = (const char *) d + 8, .len = l - 8, .pos = ++st->seq };
        if (field(st->j, "_SOURCE_MONOTONIC_TIMESTAMP", mono, sizeof(mono)) > 0) {
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
        return 0;
}

/* ---- cursors and host bookkeeping ------------------------------------------------------------ */

/* Writes the stream's position (when it moved) and what it learnt about its hosts. */
static int stream_commit(Source *s, Stream *st) {
        const char *oldest = NULL;
        _cleanup_free_ char *pos = NULL;
        uint64_t p, best = UINT64_MAX, now = now_realtime();
        int r;

        /* the first entry of the oldest report or snapshot still open */
        for (size_t i = 0; i < st->n_machines; i++)
                for (size_t k = 0; k < st->machines[i]->n_boots; k++) {
                        const Boot *b = st->machines[i]->boots[k];
                        if (lockdep_parser_resume_pos(b->parser, &p) > 0 && b->open_cursor && b->open_pos == p &&
                            p < best) {
                                best = p;
                                oldest = b->open_cursor;
                        }
                        if (b->snap && b->snap->first_pos < best) {
                                best = b->snap->first_pos;
                                oldest = b->snap->first_cursor;
                        }
                }
        if (oldest)
                pos = strjoin2("at:", oldest);
        else if (st->last_cursor)
                pos = strjoin2("after:", st->last_cursor);
        if ((oldest || st->last_cursor) && !pos)
                return -ENOMEM;
        if (pos && (!st->committed || strcmp(pos, st->committed) != 0)) {
                r = store_set_cursor(s->d->store, st->cursor_key, pos);
                if (r < 0)
                        return r;
                free(st->committed);
                st->committed = TAKE_PTR(pos);
        }
        /* resuming "at:" an entry read before: how far it was read, so that the snapshots
         * rejected on the way are not counted twice (journal_seen) */
        const char *seen = oldest ? st->replay_until ?: st->last_cursor : NULL;
        if (!seen != !st->seen_committed || (seen && strcmp(seen, st->seen_committed) != 0)) {
                r = store_set_journal_seen(s->d->store, st->cursor_key, seen);
                if (r < 0)
                        return r;
                free(st->seen_committed);
                st->seen_committed = seen ? strdup(seen) : NULL;
                if (seen && !st->seen_committed)
                        return -ENOMEM;
        }

        /* the hosts heard from: their newest kernel entries, and for a stream of one machine the
         * newest entry of any kind (the file header's tail), so that a host whose kernel is quiet
         * is not taken for a silent one */
        for (size_t i = 0; i < st->n_machines; i++) {
                Machine *m = st->machines[i];
                if (!m->last_entry || !m->machine_id[0])
                        continue;
                StoreOrigin o = { .machine_id = m->machine_id, .hostname = m->hostname[0] ? m->hostname : NULL };
                r = store_host_heard(s->d->store, &o, m->last_entry, now);
                if (r < 0)
                        return r;
                m->last_entry = 0;
        }
        if (st->cur && st->sole_machine[0] && st->sole_machine[0] != '*' && st->cur->h.known &&
            !st->cur->h.from_name && st->cur->h.tail_realtime >= st->heard_tail + HEARD_STEP_USEC) {
                StoreOrigin o = { .machine_id = st->sole_machine,
                                  .hostname = st->sole_hostname[0] ? st->sole_hostname : NULL };
                r = store_host_heard(s->d->store, &o, st->cur->h.tail_realtime, now);
                if (r < 0)
                        return r;
                st->heard_tail = st->cur->h.tail_realtime;
        }
        return 0;
}

static int touch(JournalSource *js, Stream *st) {
        if (st->touched)
                return 0;
        if (js->n_touched == js->touched_cap) {
                size_t cap = MAX(js->touched_cap * 2, (size_t) 64);
                Stream **v = realloc(js->touched, cap * sizeof(Stream *));
                if (!v)
                        return -ENOMEM;
                js->touched = v;
                js->touched_cap = cap;
        }
        js->touched[js->n_touched++] = st;
        st->touched = true;
        return 0;
}

/* ---- files of a directory -------------------------------------------------------------------- */

static int cmp_file_name(const void *a, const void *b) {
        return strcmp((*(JFile *const *) a)->name, (*(JFile *const *) b)->name);
}

static int cmp_stream_key(const void *a, const void *b) {
        return strcmp((*(Stream *const *) a)->key, (*(Stream *const *) b)->key);
}

static JFile *file_find(JournalSource *js, const char *name) {
        JFile key = { .name = (char *) name }, *kp = &key;
        if (js->n_files == 0)
                return NULL;
        JFile **f = bsearch(&kp, js->files, js->n_files, sizeof(JFile *), cmp_file_name);
        return f ? *f : NULL;
}

static Stream *stream_find(JournalSource *js, const char *k) {
        Stream key = { .key = (char *) k }, *kp = &key;
        if (js->n_streams == 0)
                return NULL;
        Stream **f = bsearch(&kp, js->streams, js->n_streams, sizeof(Stream *), cmp_stream_key);
        return f ? *f : NULL;
}

/* Inserts p into the sorted array *v of *n pointers. */
static int sorted_insert(void ***v, size_t *n, void *p, int (*cmp)(const void *, const void *)) {
        void **x = realloc(*v, (*n + 1) * sizeof(void *));
        if (!x)
                return -ENOMEM;
        *v = x;
        size_t lo = 0, hi = *n;
        while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (cmp(&x[mid], &p) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        memmove(x + lo + 1, x + lo, (*n - lo) * sizeof(void *));
        x[lo] = p;
        (*n)++;
        return 0;
}

static void sorted_remove(void **v, size_t *n, void *p) {
        for (size_t i = 0; i < *n; i++)
                if (v[i] == p) {
                        memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(void *));
                        (*n)--;
                        return;
                }
}

static int enqueue(JournalSource *js, Stream *st) {
        st->dirty = true;
        if (st->queued || st->blocked)
                return 0;
        if (js->q_len == js->q_cap) {
                size_t cap = MAX(js->q_cap * 2, (size_t) 64);
                Stream **v = malloc(cap * sizeof(Stream *));
                if (!v)
                        return -ENOMEM;
                for (size_t i = 0; i < js->q_len; i++)
                        v[i] = js->queue[(js->q_head + i) % js->q_cap];
                free(js->queue);
                js->queue = v;
                js->q_cap = cap;
                js->q_head = 0;
        }
        js->queue[(js->q_head + js->q_len++) % js->q_cap] = st;
        st->queued = true;
        return 0;
}

static Stream *queue_peek(JournalSource *js) {
        return js->q_len ? js->queue[js->q_head] : NULL;
}

static void queue_pop(JournalSource *js) {
        Stream *st = js->queue[js->q_head];
        st->queued = false;
        js->q_head = (js->q_head + 1) % js->q_cap;
        js->q_len--;
}

static Stream *stream_new(Source *s, const char *key) {
        Stream *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        st->key = strdup(key);
        st->cursor_key = malloc(strlen(s->name) + 1 + strlen(key) + 1);
        if (!st->key || !st->cursor_key) {
                free(st->key);
                free(st->cursor_key);
                free(st);
                return NULL;
        }
        sprintf(st->cursor_key, "%s#%s", s->name, key);
        return st;
}

static void lru_unlink(JournalSource *js, Stream *st) {
        if (st->lru_prev)
                st->lru_prev->lru_next = st->lru_next;
        else
                js->lru_head = st->lru_next;
        if (st->lru_next)
                st->lru_next->lru_prev = st->lru_prev;
        else
                js->lru_tail = st->lru_prev;
        st->lru_prev = st->lru_next = NULL;
}

static void lru_front(JournalSource *js, Stream *st) {
        if (js->lru_head == st)
                return;
        if (st->lru_prev || st->lru_next || js->lru_tail == st)
                lru_unlink(js, st);
        st->lru_next = js->lru_head;
        if (js->lru_head)
                js->lru_head->lru_prev = st;
        js->lru_head = st;
        if (!js->lru_tail)
                js->lru_tail = st;
}

/* Closes the reader and forgets everything that is not in the store (parsers included): the next
 * open starts from the committed cursor. */
static void stream_close(JournalSource *js, Stream *st) {
        if (st->open && js && st != js->local) {
                lru_unlink(js, st);
                js->n_open--;
        }
        sd_journal_close(st->j);
        st->j = NULL;
        st->cur = NULL;
        st->open = false;
        st->at_end = false;
        st->seq = 0;
        free(st->last_cursor);
        st->last_cursor = NULL;
        free(st->replay_until);
        st->replay_until = NULL;
        free(st->seen_committed);
        st->seen_committed = NULL;
        stream_drop_parsers(st);
}

static void stream_free(Stream *st) {
        if (!st)
                return;
        stream_close(NULL, st);
        free(st->files);
        free(st->key);
        free(st->cursor_key);
        free(st->committed);
        free(st);
}

static void file_free(JFile *f) {
        if (f) {
                free(f->name);
                free(f);
        }
}

/* The files of a stream in reading order, with fresh headers. A file whose header cannot be read
 * sorts by its archive name when it has one, else last; its error shows when it is opened. */
static void stream_sort(JournalSource *js, Stream *st) {
        for (size_t i = 0; i < st->n_files; i++) {
                JFile *f = st->files[i];
                int fd = openat(js->dirfd, f->name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                JournalHeader h = {};
                if (fd < 0 || journal_header_read(fd, &h) < 0)
                        (void) journal_header_from_name(f->name, &h);
                if (fd >= 0)
                        close(fd);
                f->h = h;
        }
        for (size_t i = 1; i < st->n_files; i++) /* insertion sort: few files, stable */
                for (size_t k = i; k > 0 && journal_header_compare(&st->files[k - 1]->h, &st->files[k]->h) > 0; k--) {
                        JFile *t = st->files[k];
                        st->files[k] = st->files[k - 1];
                        st->files[k - 1] = t;
                }
        /* an archive known only by its name ends where the next one of its writer begins */
        for (size_t i = 0; i + 1 < st->n_files; i++) {
                JournalHeader *h = &st->files[i]->h, *n = &st->files[i + 1]->h;
                if (h->from_name && n->known && !memcmp(h->seqnum_id, n->seqnum_id, 16) && n->head_seqnum > 0) {
                        h->tail_seqnum = n->head_seqnum - 1;
                        h->tail_realtime = n->head_realtime;
                }
        }
}

/* ---- failures -------------------------------------------------------------------------------- */

static bool warn_allowed(JournalSource *js) {
        uint64_t now = now_mono();
        if (now - js->warn_window >= WARN_INTERVAL_USEC) {
                if (js->n_suppressed > 0)
                        log_warning("%llu more messages about journal files that cannot be read were suppressed "
                                    "(lockdepctl stats lists the files)", (unsigned long long) js->n_suppressed);
                js->warn_window = now;
                js->n_warned = js->n_suppressed = 0;
        }
        if (js->n_warned < WARN_BURST) {
                js->n_warned++;
                return true;
        }
        js->n_suppressed++;
        return false;
}

static void arm_retry(Source *s);

/* The stream stops at file f, which failed with r: what was read before it is committed, the
 * failure recorded and logged, the file retried later. Returns < 0 only for store errors. */
static int file_failed(Source *s, Stream *st, JFile *f, int r, const char *what) {
        JournalSource *js = s->priv;
        uint64_t now = now_mono();
        char msg[512];

        if (st->j) {
                int q = stream_commit(s, st);
                if (q < 0)
                        return q;
        }
        snprintf(msg, sizeof(msg), "cannot %s it: %s", what, strerror(-r));
        bool changed = f->error != r;
        f->error = r;
        f->n_failures++;
        uint64_t delay = RETRY_MIN_USEC << MIN(f->n_failures - 1, 20u);
        f->retry_at = now + MIN(delay, RETRY_MAX_USEC);
        if ((changed || now - f->warned_at >= REPEAT_WARN_USEC) && warn_allowed(js)) {
                f->warned_at = now;
                log_warning_errno(r, "%s: cannot %s journal file %s (attempt %u): %m; the rest of its stream "
                                  "waits for it, retrying in %llus%s",
                                  s->name, what, f->name, f->n_failures,
                                  (unsigned long long) ((f->retry_at - now + 999999) / 1000000),
                                  r == -EACCES || r == -EPERM ? " (lockdepd needs read access to it)"
                                  : r == -EBADMSG || r == -EPROTONOSUPPORT || r == -ENODATA
                                          ? " (damaged or not a journal file: move it away to go on without it)"
                                          : "");
        }
        stream_close(js, st);
        st->blocked = true;
        arm_retry(s);
        return store_journal_file_status(s->d->store, s->name, f->name, r, msg, now_realtime());
}

/* f was opened: a failure recorded for it (by this run or an earlier one) is over. */
static int file_ok(Source *s, JFile *f) {
        if (f->n_failures > 0)
                log_notice("%s: journal file %s is readable again after %u failed attempts", s->name, f->name,
                           f->n_failures);
        f->error = 0;
        f->n_failures = 0;
        return store_journal_file_status(s->d->store, s->name, f->name, 0, NULL, now_realtime());
}

static int on_retry_timer(sd_event_source *es, uint64_t usec, void *userdata) {
        Source *s = userdata;
        JournalSource *js = s->priv;
        uint64_t now = now_mono();
        bool any = false;
        for (size_t i = 0; i < js->n_streams; i++) {
                Stream *st = js->streams[i];
                bool due = true;
                if (!st->blocked)
                        continue;
                for (size_t k = 0; k < st->n_files; k++)
                        if (st->files[k]->error && st->files[k]->retry_at > now)
                                due = false;
                if (due) {
                        st->blocked = false;
                        (void) enqueue(js, st);
                        any = true;
                }
        }
        arm_retry(s);
        if (any && !s->failing)
                (void) source_kick(s);
        return 0;
}

static void arm_retry(Source *s) {
        JournalSource *js = s->priv;
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < js->n_streams; i++)
                if (js->streams[i]->blocked)
                        for (size_t k = 0; k < js->streams[i]->n_files; k++)
                                if (js->streams[i]->files[k]->error)
                                        next = MIN(next, js->streams[i]->files[k]->retry_at);
        if (next == UINT64_MAX) {
                if (js->retry_timer)
                        (void) sd_event_source_set_enabled(js->retry_timer, SD_EVENT_OFF);
                return;
        }
        if (!js->retry_timer) {
                if (sd_event_add_time(s->d->event, &js->retry_timer, CLOCK_MONOTONIC, next, 100 * 1000,
                                      on_retry_timer, s) < 0)
                        return;
        } else
                (void) sd_event_source_set_time(js->retry_timer, next);
        (void) sd_event_source_set_enabled(js->retry_timer, SD_EVENT_ONESHOT);
}

/* ---- readers --------------------------------------------------------------------------------- */

/* The parsers of a stream read to its end: the reports whose end was seen (idle), or after
 * STALE_USEC of silence also the others, truncated (stale; the rest, if it comes, replaces them). */
static int flush_stream(Source *s, Stream *st, bool stale) {
        unsigned before = stream_stored(st);
        for (size_t i = 0; i < st->n_machines; i++)
                for (size_t k = 0; k < st->machines[i]->n_boots; k++) {
                        LockdepParser *p = st->machines[i]->boots[k]->parser;
                        int r = stale ? lockdep_parser_flush_stale(p) : lockdep_parser_flush_idle(p);
                        if (r < 0)
                                return r;
                }
        s->d->n_reports += stream_stored(st) - before;
        if (stale)
                st->stale_due = false;
        else
                st->idle_due = false;
        return 0;
}

/* Closes the least recently used readers (but except) until at most keep are open. A stream that
 * was read to its end first stores what its parsers hold, as the two idle flushes would, early
 * (a report cut short is replaced if its rest comes); its cursor is written, at the start of a
 * report still open. Returns < 0 for store errors. */
static int evict_lru(Source *s, unsigned keep, Stream *except) {
        JournalSource *js = s->priv;
        Stream *st = js->lru_tail;
        while (js->n_open > keep && st) {
                Stream *prev = st->lru_prev;
                if (st != except) {
                        int r = st->at_end && st->idle_due ? flush_stream(s, st, false) : 0;
                        if (r >= 0 && st->at_end && st->stale_due)
                                r = flush_stream(s, st, true);
                        if (r >= 0)
                                r = stream_commit(s, st);
                        if (r < 0)
                                return r;
                        bool more = !st->at_end;
                        stream_close(js, st);
                        if (more)
                                (void) enqueue(js, st);
                }
                st = prev;
        }
        return 0;
}

/* Both kinds of entry this source reads: kernel records, and /proc/lockdep snapshots (their
 * trust is checked per entry, feed_snapshot()). */
static int add_matches(sd_journal *j) {
        int r = sd_journal_add_match(j, "_TRANSPORT=kernel", 0);
        if (r >= 0)
                r = sd_journal_add_disjunction(j);
        if (r >= 0)
                r = sd_journal_add_match(j, "MESSAGE_ID=" SNAPSHOT_JOURNAL_MESSAGE_ID, 0);
        return r;
}

/* Opens file f of stream st, positioned at its head. *ret_error: 0, -EAGAIN for a file its writer
 * has not written anything to yet, or the errno of a file that failed (the reader of st is then
 * unchanged). Returns < 0 only for store errors. */
static int reader_open(Source *s, Stream *st, JFile *f, int *ret_error) {
        JournalSource *js = s->priv;
        sd_journal *j = NULL;
        int r;

        for (int attempt = 0;; attempt++) {
                int fd = openat(js->dirfd, f->name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
                r = fd < 0 ? -errno : 0;
                if (fd >= 0) {
                        struct stat sb;
                        if (fstat(fd, &sb) < 0)
                                r = -errno;
                        else if (!S_ISREG(sb.st_mode))
                                r = -EBADMSG;
                        else if (sb.st_size == 0)
                                r = -EAGAIN; /* just created: its header comes with the next write */
                        else
                                r = sd_journal_open_files_fd(&j, &fd, 1, 0);
                        if (r < 0)
                                close(fd); /* on success the journal owns it */
                }
                if ((r != -EMFILE && r != -ENFILE && r != -ENOMEM) || attempt > 0)
                        break;
                /* short of descriptors or address space: fewer readers, and once more */
                unsigned open_max = MAX(js->n_open / 2, 1u);
                if (open_max < js->open_max)
                        log_notice("%s: %s while opening %s: keeping at most %u journal files open", s->name,
                                   strerror(-r), f->name, open_max);
                js->open_max = MIN(js->open_max, open_max);
                int q = evict_lru(s, 0, st);
                if (q < 0)
                        return q;
        }
        if (r >= 0)
                r = add_matches(j);
        if (r >= 0)
                r = sd_journal_seek_head(j);
        if (r < 0) {
                sd_journal_close(j);
                *ret_error = r;
                return 0;
        }
        sd_journal_close(st->j);
        st->j = j;
        st->cur = f;
        st->at_end = false;
        *ret_error = 0;
        return 0;
}

/* Moves j to the committed cursor cur ("at:C", "after:C"; old ones: a realtime). */
static int seek_committed(Stream *st, const char *cur) {
        if (!cur)
                return sd_journal_seek_head(st->j);
        bool after = strncmp(cur, "after:", 6) == 0;
        const char *c = after ? cur + 6 : strncmp(cur, "at:", 3) == 0 ? cur + 3 : NULL;
        if (!c)
                return sd_journal_seek_realtime_usec(st->j, strtoull(cur, NULL, 10));
        int r = sd_journal_seek_cursor(st->j, c);
        if (r < 0 || !after)
                return r;
        /* step over the entry read last, if it is still there */
        r = sd_journal_next(st->j);
        if (r > 0 && sd_journal_test_cursor(st->j, c) <= 0)
                r = sd_journal_previous(st->j); /* it is gone: do not skip its successor */
        else if (r > 0) {
                /* whose it is: the stream's machine, before anything new is read */
                char mid[64], host[HOST_NAME_BUF];
                if (field(st->j, "_MACHINE_ID", mid, sizeof(mid)) == 32) {
                        host_field(st->j, host);
                        note_machine(st, mid, host);
                }
        }
        if (r < 0)
                return r;
        st->last_cursor = strdup(c);
        return st->last_cursor ? 0 : -ENOMEM;
}

/* What journal_seen says of the stream whose committed cursor is cur: what was read before. */
static int load_seen(Source *s, Stream *st, const char *cur) {
        free(st->replay_until);
        st->replay_until = NULL;
        free(st->seen_committed);
        st->seen_committed = NULL;
        int r = store_get_journal_seen(s->d->store, st->cursor_key, &st->seen_committed);
        if (r <= 0)
                return r;
        if (cur && !strncmp(cur, "at:", 3) && journal_point_from_cursor(st->seen_committed, &st->replay_pt) >= 0 &&
            !(st->replay_until = strdup(st->seen_committed)))
                return -ENOMEM;
        return 0;
}

/* Frees the files of st that were deleted while it read them. */
static void stream_purge_gone(Stream *st) {
        size_t k = 0;
        for (size_t i = 0; i < st->n_files; i++)
                if (st->files[i]->gone && st->files[i] != st->cur)
                        file_free(st->files[i]);
                else
                        st->files[k++] = st->files[i];
        st->n_files = k;
}

/* Opens a directory stream at its committed cursor: the file that holds it, or the first file
 * after it when that one is gone. Leaves the stream closed when there is nothing to read (no file
 * after the cursor yet) or its file fails (then blocked). < 0: a store error. */
static int stream_open(Source *s, Stream *st) {
        JournalSource *js = s->priv;
        _cleanup_free_ char *cur = NULL;
        JournalPoint p;
        JFile *f = NULL;
        bool inside = false;
        int r;

        r = store_get_cursor(s->d->store, st->cursor_key, &cur);
        if (r < 0)
                return r;
        free(st->committed);
        st->committed = NULL;
        if (r > 0 && !(st->committed = strdup(cur)))
                return -ENOMEM;
        r = load_seen(s, st, cur);
        if (r < 0)
                return r;
        stream_purge_gone(st);
        stream_sort(js, st);
        const char *c = cur ? strchr(cur, ':') : NULL;
        if (st->restart_at) {
                f = st->restart_at; /* a file that appeared behind our position: read from it again */
                st->restart_at = NULL;
        } else if (!cur || journal_point_from_cursor(c ? c + 1 : cur, &p) < 0)
                f = st->n_files ? st->files[0] : NULL;
        else
                for (size_t i = 0; i < st->n_files && !f; i++) {
                        int k = journal_point_compare(&p, &st->files[i]->h);
                        if (k <= 0) {
                                f = st->files[i];
                                inside = k == 0;
                        }
                }
        if (!f) {
                st->at_end = true; /* everything there was has been read */
                return 0;
        }
        if (f->error && f->retry_at > now_mono()) {
                st->blocked = true;
                arm_retry(s);
                return 0;
        }
        if (js->n_open >= js->open_max) {
                r = evict_lru(s, js->open_max - 1, NULL);
                if (r < 0)
                        return r;
        }
        int e;
        r = reader_open(s, st, f, &e);
        if (r < 0)
                return r;
        if (e == -EAGAIN) {
                st->at_end = true; /* nothing written yet */
                return 0;
        }
        if (e < 0)
                return file_failed(s, st, f, e, "open");
        st->open = true;
        js->n_open++;
        lru_front(js, st);
        if (inside) {
                r = seek_committed(st, cur);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return file_failed(s, st, f, r, "seek in");
        }
        return file_ok(s, f);
}

/* The newest entry of any kind in the file being read, for the host's bookkeeping. */
static void refresh_tail(JournalSource *js, JFile *f) {
        int fd = openat(js->dirfd, f->name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        JournalHeader h;
        if (fd < 0)
                return;
        if (journal_header_read(fd, &h) >= 0)
                f->h = h;
        close(fd);
}

/* The file after the current one. */
static JFile *next_file(const Stream *st) {
        for (size_t i = 0; i + 1 < st->n_files; i++)
                if (st->files[i] == st->cur)
                        return st->files[i + 1];
        return NULL;
}

/* Reads up to *budget entries of the stream. Returns < 0 only for store errors (and ENOMEM);
 * a file that fails blocks its stream. */
static int stream_read(Source *s, Stream *st, unsigned *budget) {
        JournalSource *js = s->priv;
        bool local = st == js->local;
        unsigned before;
        int r;

        r = touch(js, st);
        if (r < 0)
                return r;
        if (!st->j) {
                r = stream_open(s, st);
                if (r < 0 || !st->j)
                        return r;
        } else if (!local)
                lru_front(js, st);
        before = stream_stored(st);
        st->at_end = false;
        while (*budget > 0) {
                r = sd_journal_next(st->j);
                if (r < 0) {
                        if (local)
                                return r;
                        s->d->n_reports += stream_stored(st) - before;
                        return file_failed(s, st, st->cur, r, "read");
                }
                if (r == 0) {
                        if (local) {
                                st->at_end = true;
                                break;
                        }
                        /* sd-journal drops a file it cannot iterate through, saying so only in its
                         * debug log: a reader whose file is gone has no disk usage left */
                        uint64_t bytes = 0;
                        if (sd_journal_get_usage(st->j, &bytes) >= 0 && bytes == 0) {
                                s->d->n_reports += stream_stored(st) - before;
                                return file_failed(s, st, st->cur, -EBADMSG, "read to its end");
                        }
                        JFile *n = next_file(st);
                        if (!n) {
                                st->at_end = true;
                                refresh_tail(js, st->cur);
                                break;
                        }
                        if (n->error && n->retry_at > now_mono()) {
                                s->d->n_reports += stream_stored(st) - before;
                                r = stream_commit(s, st);
                                if (r < 0)
                                        return r;
                                stream_close(js, st);
                                st->blocked = true;
                                arm_retry(s);
                                return 0;
                        }
                        int e;
                        r = reader_open(s, st, n, &e);
                        if (r < 0)
                                return r;
                        if (e == -EAGAIN) { /* its writer has not written to it yet */
                                st->at_end = true;
                                break;
                        }
                        if (e < 0) {
                                s->d->n_reports += stream_stored(st) - before;
                                return file_failed(s, st, n, e, "open");
                        }
                        stream_purge_gone(st);
                        r = file_ok(s, n);
                        if (r < 0)
                                return r;
                        continue;
                }
                char *cursor;
                r = sd_journal_get_cursor(st->j, &cursor);
                if (r < 0) {
                        if (local)
                                return r;
                        s->d->n_reports += stream_stored(st) - before;
                        return file_failed(s, st, st->cur, r, "read");
                }
                r = feed_entry(s, st, cursor);
                if (r < 0)
                        return r;
                st->idle_due = st->stale_due = st->fresh = true;
                (*budget)--;
        }
        s->d->n_reports += stream_stored(st) - before;
        if (st->at_end && st->fresh) { /* quiet from now on */
                st->at_end_since = now_mono();
                st->fresh = false;
        }
        return 0;
}

/* A stream quiet for long enough gets the idle (or the stale) flush. */
static int flush_due(Source *s, Stream *st, bool stale, uint64_t quiet, uint64_t now) {
        if (!st->at_end || !(stale ? st->stale_due : st->idle_due) || now - st->at_end_since < quiet)
                return 0;
        int r = flush_stream(s, st, stale);
        return r < 0 ? r : stream_commit(s, st);
}

/* The idle flushes of the streams that were read to their end IDLE_USEC (STALE_USEC) ago or more:
 * while other streams keep lockdepd busy, the idle timer does not fire. With quiet = 0, of all
 * streams (the timer fired: the source as a whole was quiet for that long). */
static int flush_quiet(Source *s, bool stale, uint64_t quiet) {
        JournalSource *js = s->priv;
        uint64_t now = now_mono();
        if (js->local)
                return flush_due(s, js->local, stale, quiet, now);
        for (Stream *st = js->lru_head; st; st = st->lru_next) {
                int r = flush_due(s, st, stale, quiet, now);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the directory: files and streams -------------------------------------------------------- */

/* A new file: into the table and its stream (created when new). A file that sorts before what an
 * open stream has read (an upload of old files) makes the stream read again from it. */
static int file_add(Source *s, const char *name, const struct stat *sb) {
        JournalSource *js = s->priv;
        size_t kl = journal_file_stream_key(name);
        _cleanup_free_ char *key = kl ? strndup(name, kl) : NULL;
        if (!kl)
                return 0;
        if (!key)
                return -ENOMEM;
        Stream *st = stream_find(js, key);
        if (!st) {
                st = stream_new(s, key);
                if (!st)
                        return -ENOMEM;
                if (sorted_insert((void ***) &js->streams, &js->n_streams, st, cmp_stream_key) < 0) {
                        stream_free(st);
                        return -ENOMEM;
                }
        }
        JFile *f = calloc(1, sizeof(*f));
        if (!f || !(f->name = strdup(name))) {
                free(f);
                return -ENOMEM;
        }
        f->dev = sb->st_dev;
        f->ino = sb->st_ino;
        f->stream = st;
        JFile **v = realloc(st->files, (st->n_files + 1) * sizeof(JFile *));
        if (!v || sorted_insert((void ***) &js->files, &js->n_files, f, cmp_file_name) < 0) {
                if (v)
                        st->files = v;
                file_free(f);
                return -ENOMEM;
        }
        st->files = v;
        st->files[st->n_files++] = f;
        if (st->j && st->cur) {
                stream_sort(js, st);
                if (journal_header_compare(&f->h, &st->cur->h) < 0 && f->h.n_entries > 0) {
                        log_notice("%s: journal file %s is older than what was read of %s already: reading "
                                   "%s again from there", s->name, name, st->key, st->key);
                        stream_close(js, st);
                        st->restart_at = f;
                }
        }
        return enqueue(js, st);
}

static void file_remove(Source *s, JFile *f) {
        JournalSource *js = s->priv;
        Stream *st = f->stream;
        sorted_remove((void **) js->files, &js->n_files, f);
        if (f->error) { /* not failing any more: it is gone */
                log_notice("%s: journal file %s that could not be read was replaced or removed", s->name, f->name);
                (void) store_journal_file_status(s->d->store, s->name, f->name, 0, NULL, now_realtime());
        }
        if (st->restart_at == f)
                st->restart_at = NULL;
        if (st->cur == f) {
                f->gone = true; /* its reader reads it to its end */
                return;
        }
        sorted_remove((void **) st->files, &st->n_files, f);
        file_free(f);
}

static int pending_add(JournalSource *js, const char *name) {
        for (size_t i = js->n_pending; i > 0 && i + 64 > js->n_pending; i--)
                if (!strcmp(js->pending[i - 1], name))
                        return 0;
        char **v = realloc(js->pending, (js->n_pending + 1) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        js->pending = v;
        if (!(v[js->n_pending] = strdup(name)))
                return -ENOMEM;
        js->n_pending++;
        return 0;
}

/* A name that exists now: known (appended to), renamed (an archive), or new. */
static int reconcile_present(Source *s, const char *name, const struct stat *sb) {
        JournalSource *js = s->priv;
        JFile *f = file_find(js, name);
        if (f && f->dev == sb->st_dev && f->ino == sb->st_ino)
                return enqueue(js, f->stream);
        if (f) /* replaced by another file of the same name */
                file_remove(s, f);
        size_t kl = journal_file_stream_key(name);
        if (!kl)
                return 0;
        _cleanup_free_ char *key = strndup(name, kl);
        if (!key)
                return -ENOMEM;
        Stream *st = stream_find(js, key);
        for (size_t i = 0; st && i < st->n_files; i++) {
                JFile *g = st->files[i];
                if (g->dev == sb->st_dev && g->ino == sb->st_ino && !g->gone) {
                        /* rotation: the same file under its archive name */
                        char *n = strdup(name);
                        if (!n)
                                return -ENOMEM;
                        sorted_remove((void **) js->files, &js->n_files, g);
                        free(g->name);
                        g->name = n;
                        if (sorted_insert((void ***) &js->files, &js->n_files, g, cmp_file_name) < 0)
                                return -ENOMEM;
                        return enqueue(js, st);
                }
        }
        return file_add(s, name, sb);
}

static bool is_machine_dir(const char *n) {
        size_t l = strcspn(n, ".");
        if (l != 32)
                return false;
        for (size_t i = 0; i < 32; i++)
                if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
                        return false;
        return true;
}

static int watch_add(Source *s, const char *prefix, const char *path) {
        JournalSource *js = s->priv;
        int wd = inotify_add_watch(js->inotify_fd, path,
                                   IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_MODIFY | IN_ATTRIB |
                                           IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK);
        if (wd < 0)
                return -errno;
        for (size_t i = 0; i < js->n_watches; i++)
                if (js->watches[i].wd == wd)
                        return 0;
        Watch *v = realloc(js->watches, (js->n_watches + 1) * sizeof(Watch));
        if (!v)
                return -ENOMEM;
        js->watches = v;
        v[js->n_watches].wd = wd;
        if (!(v[js->n_watches].prefix = strdup(prefix)))
                return -ENOMEM;
        js->n_watches++;
        return 0;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Lists the journal files of the directory and its machine-id subdirectories (as
 * sd_journal_open_directory() would) into *names. */
static int list_dir(Source *s, const char *prefix, char ***names, size_t *n) {
        JournalSource *js = s->priv;
        int fd = openat(js->dirfd, prefix[0] ? prefix : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        DIR *d = fdopendir(fd);
        if (!d) {
                close(fd);
                return -errno;
        }
        struct dirent *de;
        int r = 0;
        errno = 0;
        while (r >= 0 && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                StrBuf b = {};
                if (strbuf_printf(&b, "%s%s", prefix, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                if (!prefix[0] && (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) && is_machine_dir(de->d_name)) {
                        struct stat sb;
                        if (fstatat(js->dirfd, b.s, &sb, 0) == 0 && S_ISDIR(sb.st_mode)) {
                                StrBuf sub = {};
                                if (strbuf_printf(&sub, "%s/", b.s) < 0)
                                        r = -ENOMEM;
                                else {
                                        StrBuf full = {};
                                        if (strbuf_printf(&full, "%s/%s", s->path, b.s) >= 0)
                                                (void) watch_add(s, sub.s, full.s);
                                        strbuf_done(&full);
                                        r = list_dir(s, sub.s, names, n);
                                }
                                strbuf_done(&sub);
                        }
                        strbuf_done(&b);
                        continue;
                }
                if (!journal_file_stream_key(b.s)) {
                        strbuf_done(&b);
                        continue;
                }
                char **v = realloc(*names, (*n + 1) * sizeof(char *));
                if (!v) {
                        strbuf_done(&b);
                        r = -ENOMEM;
                        break;
                }
                *names = v;
                v[(*n)++] = strbuf_steal(&b);
        }
        closedir(d);
        return r;
}

/* Everything in the directory, compared with what is known (at start, and when inotify lost
 * events): new files added, changed ones queued, vanished ones removed. */
static int rescan(Source *s) {
        JournalSource *js = s->priv;
        char **names = NULL;
        size_t n = 0;
        int r = list_dir(s, "", &names, &n);
        if (r >= 0) {
                if (n > 0) /* sorted, so the tables grow at their end */
                        qsort(names, n, sizeof(char *), cmp_str);
                for (size_t i = 0; i < js->n_files; i++)
                        js->files[i]->seen = false;
                for (size_t i = 0; r >= 0 && i < n; i++) {
                        struct stat sb;
                        if (fstatat(js->dirfd, names[i], &sb, 0) < 0 || !S_ISREG(sb.st_mode))
                                continue;
                        r = reconcile_present(s, names[i], &sb);
                        JFile *f = r >= 0 ? file_find(js, names[i]) : NULL;
                        if (f)
                                f->seen = true;
                }
                for (size_t i = js->n_files; r >= 0 && i > 0; i--)
                        if (!js->files[i - 1]->seen)
                                file_remove(s, js->files[i - 1]);
                /* and every stream once: at start, and after lost events, anything may have changed */
                for (size_t i = 0; r >= 0 && i < js->n_streams; i++)
                        r = enqueue(js, js->streams[i]);
        }
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return r;
}

/* Applies what inotify said. Inside the batch's transaction (removing a file clears its failure). */
static int reconcile(Source *s) {
        JournalSource *js = s->priv;
        int r = 0;

        if (js->rescan) {
                js->rescan = false;
                r = rescan(s);
        }
        /* present names first, so a rename (rotation) is seen before its old name goes */
        for (int pass = 0; pass < 2; pass++)
                for (size_t i = 0; r >= 0 && i < js->n_pending; i++) {
                        struct stat sb;
                        bool present = fstatat(js->dirfd, js->pending[i], &sb, 0) == 0 && S_ISREG(sb.st_mode);
                        if (pass == 0 && present)
                                r = reconcile_present(s, js->pending[i], &sb);
                        else if (pass == 1 && !present) {
                                JFile *f = file_find(js, js->pending[i]);
                                if (f) {
                                        Stream *st = f->stream;
                                        file_remove(s, f);
                                        r = enqueue(js, st);
                                }
                        }
                }
        for (size_t i = 0; i < js->n_pending; i++)
                free(js->pending[i]);
        js->n_pending = 0;
        return r;
}

static void kick_later(Source *s);

static int on_inotify(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Source *s = userdata;
        JournalSource *js = s->priv;
        union {
                struct inotify_event ev;
                uint8_t raw[64 * 1024];
        } buf;
        bool changed = false;

        for (;;) {
                ssize_t n = read(fd, &buf, sizeof(buf));
                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_warning_errno(errno, "%s: reading inotify events: %m", s->name);
                        break;
                }
                for (uint8_t *p = buf.raw; p < buf.raw + n;) {
                        const struct inotify_event *e = (const struct inotify_event *) p;
                        p += sizeof(*e) + e->len;
                        changed = true;
                        if (e->mask & IN_Q_OVERFLOW) {
                                js->rescan = true;
                                continue;
                        }
                        const char *prefix = NULL;
                        for (size_t i = 0; i < js->n_watches; i++)
                                if (js->watches[i].wd == e->wd)
                                        prefix = js->watches[i].prefix;
                        if (!prefix)
                                continue;
                        if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                                if (!prefix[0] && !(e->mask & IN_IGNORED))
                                        log_warning("%s: the journal directory was removed or moved away; "
                                                    "new files will not be seen", s->name);
                                js->rescan = true;
                                continue;
                        }
                        if (e->len == 0)
                                continue;
                        if (e->mask & IN_ISDIR) {
                                if (!prefix[0] && is_machine_dir(e->name))
                                        js->rescan = true; /* a new machine-id subdirectory */
                                continue;
                        }
                        StrBuf name = {};
                        if (strbuf_printf(&name, "%s%s", prefix, e->name) < 0) {
                                js->rescan = true;
                                continue;
                        }
                        if (journal_file_stream_key(name.s)) {
                                JFile *f = file_find(js, name.s);
                                if (f && f->error) {
                                        /* its permissions or its content changed: try again soon */
                                        uint64_t soon = now_mono() + (e->mask & IN_ATTRIB ? 0 : RETRY_MIN_USEC);
                                        if (soon < f->retry_at) {
                                                f->retry_at = soon;
                                                arm_retry(s);
                                        }
                                }
                                if (f && !(e->mask & ~(IN_MODIFY | IN_ATTRIB)))
                                        (void) enqueue(js, f->stream);
                                else if (pending_add(js, name.s) < 0)
                                        js->rescan = true;
                        }
                        strbuf_done(&name);
                }
        }
        if (changed)
                kick_later(s);
        return 0;
}

/* ---- the local journal ----------------------------------------------------------------------- */

static int local_seek(Source *s, Stream *st) {
        _cleanup_free_ char *cur = NULL;
        stream_drop_parsers(st);
        free(st->last_cursor);
        st->last_cursor = NULL;
        st->seq = 0;
        int r = store_get_cursor(s->d->store, st->cursor_key, &cur);
        if (r < 0)
                return r;
        free(st->committed);
        st->committed = NULL;
        if (r > 0 && !(st->committed = strdup(cur)))
                return -ENOMEM;
        r = load_seen(s, st, cur);
        if (r < 0)
                return r;
        return seek_committed(st, cur);
}

static int on_local_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Source *s = userdata;
        JournalSource *js = s->priv;
        int r = sd_journal_process(js->local->j);
        if (r == SD_JOURNAL_NOP)
                return 0;
        (void) enqueue(js, js->local);
        kick_later(s);
        return 0;
}

/* ---- the source ------------------------------------------------------------------------------ */

static int on_resume(sd_event_source *es, void *userdata) {
        Source *s = userdata;
        if (!s->failing)
                (void) source_kick(s);
        return 0;
}

/* Another batch after the event loop had its turn (signals, the watchdog, inotify): a catch-up
 * over thousands of streams does not hold the daemon. */
static void kick_later(Source *s) {
        JournalSource *js = s->priv;
        if (s->failing)
                return;
        if (!js->resume) {
                if (sd_event_add_defer(s->d->event, &js->resume, on_resume, s) < 0)
                        return;
                (void) sd_event_source_set_priority(js->resume, SD_EVENT_PRIORITY_IDLE);
        }
        (void) sd_event_source_set_enabled(js->resume, SD_EVENT_ONESHOT);
}

static int journal_process(Source *s, bool *ret_more) {
        JournalSource *js = s->priv;
        unsigned budget = JOURNAL_BATCH;
        int r = 0;

        *ret_more = false;
        if (!js->local)
                r = reconcile(s);
        Stream *st;
        while (r >= 0 && budget > 0 && (st = queue_peek(js))) {
                st->dirty = false;
                r = stream_read(s, st, &budget);
                if (r >= 0 && !st->dirty && (st->at_end || st->blocked || !st->j))
                        queue_pop(js);
                else if (r >= 0 && st->dirty && (st->at_end || st->blocked || !st->j)) {
                        queue_pop(js); /* new data arrived meanwhile: to the end of the queue */
                        r = enqueue(js, st);
                }
        }
        if (r >= 0)
                r = flush_quiet(s, false, IDLE_USEC);
        if (r >= 0)
                r = flush_quiet(s, true, STALE_USEC);
        for (size_t i = 0; r >= 0 && i < js->n_touched; i++)
                if (js->touched[i]->j)
                        r = stream_commit(s, js->touched[i]);
        for (size_t i = 0; i < js->n_touched; i++)
                js->touched[i]->touched = false;
        js->n_touched = 0;
        if (r < 0)
                return r;
        if (js->q_len > 0)
                kick_later(s);
        else
                (void) source_arm_idle(s);
        return 0;
}

/* The source went quiet (IDLE_USEC, then STALE_USEC more): the streams read to their end. */
static int journal_flush_idle(Source *s, bool stale) {
        return flush_quiet(s, stale, 0);
}

/* After a failed commit: every reader is rebuilt from the committed cursors. */
static int journal_rewind(Source *s) {
        JournalSource *js = s->priv;
        for (size_t i = 0; i < js->n_touched; i++)
                js->touched[i]->touched = false;
        js->n_touched = 0;
        if (js->local) {
                int r = local_seek(s, js->local);
                return r < 0 ? r : enqueue(js, js->local);
        }
        while (js->lru_head) {
                Stream *st = js->lru_head;
                stream_close(js, st);
                (void) enqueue(js, st);
        }
        for (size_t i = 0; i < js->n_streams; i++) {
                free(js->streams[i]->committed);
                js->streams[i]->committed = NULL;
                js->streams[i]->heard_tail = 0;
        }
        return 0;
}

/* How many journal files may be open at once: OPEN_MAX, or what a small descriptor limit leaves
 * (the web server takes up to three quarters of it; the database a few). */
static unsigned open_max_for_limit(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return OPEN_MAX;
        long room = ((long) MIN(rl.rlim_cur, (rlim_t) 1 << 20) / 4 - 24) / 2;
        return (unsigned) MAX(1L, MIN(room, (long) OPEN_MAX));
}

static int start_local(Source *s) {
        JournalSource *js = s->priv;
        char key[64];
        int r;

        snprintf(key, sizeof(key), "%s", s->d->machine_id);
        js->local = stream_new(s, key);
        if (!js->local)
                return -ENOMEM;
        r = sd_journal_open(&js->local->j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        js->local->open = true;
        r = add_matches(js->local->j);
        if (r < 0)
                return r;
        r = local_seek(s, js->local);
        if (r < 0)
                return r;
        int fd = sd_journal_get_fd(js->local->j);
        if (fd >= 0) {
                r = sd_event_add_io(s->d->event, &js->local_io, fd, (uint32_t) sd_journal_get_events(js->local->j),
                                    on_local_io, s);
                if (r < 0)
                        return r;
        }
        r = enqueue(js, js->local);
        return r < 0 ? r : source_kick(s);
}

static int start_dir(Source *s) {
        JournalSource *js = s->priv;
        int r;

        js->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (js->dirfd < 0)
                return -errno;
        js->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (js->inotify_fd < 0)
                return -errno;
        r = watch_add(s, "", s->path);
        if (r < 0)
                return r;
        r = sd_event_add_io(s->d->event, &js->inotify_io, js->inotify_fd, EPOLLIN, on_inotify, s);
        if (r < 0)
                return r;
        js->open_max = open_max_for_limit();
        /* failures recorded by an earlier run are found again as the files are retried */
        r = store_begin(s->d->store);
        if (r >= 0)
                r = store_journal_file_status(s->d->store, s->name, NULL, 0, NULL, now_realtime());
        if (r >= 0)
                r = store_commit(s->d->store);
        else
                store_rollback(s->d->store);
        if (r < 0)
                log_debug("%s: cannot clear old journal file failures: %s", s->name, store_error(s->d->store));
        js->rescan = true;
        log_debug("%s: up to %u journal files open at once", s->name, js->open_max);
        return source_kick(s);
}

static int journal_start(Source *s) {
        JournalSource *js = calloc(1, sizeof(*js));
        if (!js)
                return -ENOMEM;
        js->dirfd = js->inotify_fd = -EBADF;
        s->priv = js;
        return s->path ? start_dir(s) : start_local(s);
}

static void journal_stop(Source *s) {
        JournalSource *js = s->priv;
        if (!js)
                return;
        sd_event_source_disable_unref(js->inotify_io);
        sd_event_source_disable_unref(js->local_io);
        sd_event_source_disable_unref(js->retry_timer);
        sd_event_source_disable_unref(js->resume);
        for (size_t i = 0; i < js->n_streams; i++) {
                Stream *st = js->streams[i];
                for (size_t k = 0; k < st->n_files; k++)
                        if (st->files[k]->gone)
                                file_free(st->files[k]);
                stream_free(st);
        }
        for (size_t i = 0; i < js->n_files; i++)
                file_free(js->files[i]);
        stream_free(js->local);
        for (size_t i = 0; i < js->n_watches; i++)
                free(js->watches[i].prefix);
        for (size_t i = 0; i < js->n_pending; i++)
                free(js->pending[i]);
        free(js->watches);
        free(js->pending);
        free(js->files);
        free(js->streams);
        free(js->queue);
        free(js->touched);
        if (js->inotify_fd >= 0)
                close(js->inotify_fd);
        if (js->dirfd >= 0)
                close(js->dirfd);
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
