/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lockdepd: sources (kmsg, journal, followed files) behind one SourceOps table feed parsers whose
 * reports go into the store through ingest. Every batch of input is one transaction that also
 * moves the source's cursor; a failed commit rewinds the source to its committed cursor and
 * retries later, so nothing is lost and, thanks to dedup keys, nothing is stored twice.
 */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "ingest.h"
#include "lockdep.h"
#include "store.h"
#include "strbuf.h"

#define RETRY_USEC (1000 * 1000)
#define IDLE_USEC (250 * 1000)
/* After this much more silence a report whose end was not seen is stored as it is, truncated; the
 * rest, if it comes, replaces it (parser/lockdep.h lockdep_parser_flush_stale()). */
#define STALE_USEC (5 * 1000 * 1000)

typedef struct Daemon Daemon;
typedef struct Source Source;

typedef struct SourceOps {
        const char *kind;
        int (*start)(Source *s);                /* open input, restore the cursor, add event sources */
        int (*process)(Source *s, bool *ret_more); /* one batch inside a transaction; sets cursor */
        int (*flush_idle)(Source *s, bool stale); /* after a quiet period: reports whose end was seen;
                                                   * stale (a long one): the others, truncated */
        int (*rewind)(Source *s);               /* back to the committed cursor after a failure */
        void (*stop)(Source *s);
} SourceOps;

struct Source {
        const SourceOps *ops;
        Daemon *d;
        char *name;                /* cursor key: "kmsg", "journal", "journal:DIR", "file:PATH" */
        char *path;
        void *priv;
        sd_event_source *retry;    /* armed after a failed commit */
        sd_event_source *idle;     /* armed after a batch: IDLE_USEC, then STALE_USEC more */
        bool idle_stale;           /* the idle timer's next run is the long one */
        bool failing;
        unsigned failures;
        /* health (source.c, under its lock): of committed batches only */
        unsigned n_stored;         /* reports stored by this source since start */
        uint64_t last_ok;          /* realtime usec of the last committed batch, 0 = none yet */
        int last_error;            /* of the last failed batch, 0 = none */
};

typedef struct Config {
        char *db;
        bool kmsg;
        char *kmsg_path;
        bool journal;
        char **journal_dirs;
        size_t n_journal_dirs;
        char **follow;
        size_t n_follow;
        char **spool_dirs;         /* lockdep-collect's spools of /proc/lockdep snapshots */
        size_t n_spool_dirs;
        bool web;
        char *listen;
        char **web_hosts;          /* web-host: names the dashboard answers to (Host header) */
        size_t n_web_hosts;
        int log_level;
        int64_t silent_after;      /* seconds without a journal entry before a host counts as silent */
} Config;

struct Daemon {
        Config cfg;
        sd_event *event;
        Store *store;
        LockdepAliases *aliases;
        Source **sources;
        size_t n_sources;
        char machine_id[33];
        char boot_id[33];
        char hostname[256];
        unsigned n_reports, n_groups; /* committed, since start */
        struct Notice *notices, **notices_tail; /* new groups of the open batch (source.c) */
        sd_event_source *indexer;  /* deferred full-text indexing after batches */
        sd_event_source *db_watch; /* the database's directory (source.c) */
        Store *watched;
        char *latent_release;      /* new latent cycles of the open batch, announced after it */
        unsigned latent_new;
};

/* conf.c */
void config_init(Config *c);
void config_done(Config *c);
/* One setting (a config line's or a flag's): 0, -ENOMEM, or -EINVAL with *ret_why (malloc'd,
 * the caller frees; NULL = not wanted) naming the key, the value and what is allowed. */
int config_set(Config *c, const char *key, const char *value, char **ret_why);
/* "key = value" lines: 0, -ENOMEM, or -EINVAL with *ret_why = "LINE: ..." */
int config_parse_text(Config *c, const char *text, char **ret_why);
/* A missing file is 0 unless must_exist; -errno when it cannot be read, -EINVAL with *ret_why. */
int config_load_file(Config *c, const char *path, bool must_exist, char **ret_why);
/* The checks that need the file system or the resolver: the database's directory, paths that
 * must exist (kmsg-path, journal-dir), the listen address. Logs one line per problem naming key,
 * value and fix; -EINVAL if there was any. web_only: only db (read-only) and listen. */
int config_check(const Config *c, bool web_only);

/* source.c: runs a source's batches with commit/rewind/retry and the idle timer */
int source_kick(Source *s);
Source *source_new(Daemon *d, const SourceOps *ops, const char *name, const char *path);
void source_free(Source *s);
int source_arm_idle(Source *s);
uint64_t now_realtime(void);
void daemon_new_group(const LockdepReport *r, int64_t group, void *userdata);
void daemon_regressed(const LockdepReport *r, int64_t group, const char *fixed, void *userdata);
void daemon_announce_latent(const char *release, unsigned n, void *userdata);
/* Inside a batch: n new latent cycles of release, announced once the batch commits. */
int daemon_latent_pending(Daemon *d, const char *release, unsigned n);
/* The kernel said lockdep switched itself off: $RUNTIME_DIRECTORY/lockdep-off is touched, which
 * starts lockdep-collect.service through lockdep-collect.path (the graph stops growing now). */
void daemon_lockdep_off(void *userdata);
void daemon_status(Daemon *d);
/* The sources' states as a JSON array (for /healthz; thread-safe); *ret_degraded when one fails. */
int daemon_health_json(StrBuf *b, bool *ret_degraded, void *userdata);
void daemon_schedule_index(Daemon *d);
/* Exits the event loop with -ENOENT/-ESTALE (logged) as soon as the file at cfg.db is no longer
 * the one st opened: checked before every batch and when the database's directory changes. */
int daemon_watch_database(Daemon *d, Store *st);

extern const SourceOps source_file_ops;
extern const SourceOps source_spool_ops;
extern const SourceOps source_kmsg_ops;
extern const SourceOps source_journal_ops;
