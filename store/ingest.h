/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Ingest: the parser callback that writes reports into the store. Shared by lockdepd's sources
 * and lockdepctl import. The caller owns the transaction: it calls store_begin(), feeds the
 * parser, sets its cursor and commits, so reports and cursor land together or not at all. On a
 * failed commit the caller rewinds its input to the committed cursor and feeds it again; the
 * reports that were already stored are recognised by their dedup key and skipped.
 */

#include "lockdep.h"
#include "store.h"

typedef struct Ingest Ingest;
typedef void (*IngestNewGroupFunc)(const LockdepReport *r, int64_t group, void *userdata);
/* A report that made its group "regressed" (store_last_regressed()): fixed = the fixed-in release. */
typedef void (*IngestRegressedFunc)(const LockdepReport *r, int64_t group, const char *fixed, void *userdata);

struct Ingest {
        Store *store;
        StoreOrigin origin;     /* borrowed strings; a source may change them between records */
        IngestNewGroupFunc on_new_group;
        IngestRegressedFunc on_regressed;
        void (*on_lockdep_off)(void *userdata); /* after a lockdep-off event was stored */
        void *userdata;
        unsigned n_stored;      /* reports stored by this ingest (not counting duplicates) */
        unsigned n_duplicate;   /* stored before, of which n_replaced by a better copy */
        unsigned n_replaced;
        unsigned n_new_groups;
        unsigned n_regressed;   /* groups it made "regressed" */
        int error;              /* first store error since ingest_reset_error() */
};

/* LockdepCallback: stores reports and lockdep-off events; returns the store error to stop the
 * feed on failure. */
int ingest_event(const LockdepEvent *ev, void *userdata);
/* Its report case: stores rep (with reports.parsed from store_pack_report() and reports.logged
 * from store_pack_logged() when packed is not NULL), counts it and calls the callbacks. 0 or the
 * store error. */
int ingest_report(Ingest *i, const LockdepReport *rep, const void *packed, size_t packed_size, const void *logged,
                  size_t logged_size);

/*
 * The alias tables, loaded the same way by lockdepd (for every source and POST /api/v1/ingest),
 * lockdepctl import and lockdepctl reparse, in this order (later entries win):
 *  1. LOCKDEP_DATADIR/aliases.conf when it is installed, else the table built into the parser
 *     (the same file, embedded at build time);
 *  2. LOCKDEP_SYSCONFDIR/lockdep-analyzer/aliases.conf, the administrator's table, if it exists;
 *  3. extra, a table named on the command line (lockdepctl --aliases FILE), which must exist.
 * A table that exists but cannot be read, or has a line that is not 'PRINTED = CANONICAL', is an
 * error for every caller: a negative errno and, in *ret_error (malloc()ed, the caller frees), a
 * message naming the file and the line. *ret is the caller's, for lockdep_aliases_free().
 */
int aliases_load(const char *extra, LockdepAliases **ret, char **ret_error);
/* The same with the paths of 1. and 2. given (NULL: skipped), for tests. */
int aliases_load_from(const char *installed, const char *admin, const char *extra, LockdepAliases **ret,
                      char **ret_error);

/*
 * /proc/lockdep snapshots (docs/LATENT.md), for lockdepctl import --kernel and POST /api/v1/ingest
 * with Content-Type: text/x-proc-lockdep: DepIngest collects what the snapshot parser emits
 * (ingest_dep() is its LockdepDepCallback), ingest_deps_refusal() says whether it may be stored,
 * ingest_deps_store() (or ingest_deps_store_in()) stores it and recomputes the latent cycles of its
 * release: one path for lockdepctl import, POST /api/v1/ingest and lockdepd's spool and journal.
 */
typedef struct DepIngest {
        StoreDep *v;
        size_t n, allocated;
} DepIngest;
int ingest_dep(const LockdepDep *d, void *userdata);
void dep_ingest_done(DepIngest *d);
/* The one rule of which parsed snapshot is stored, for every entry (lockdepctl import, POST
 * /api/v1/ingest, lockdepd's spool and journal sources): st is the parser's account, release and
 * boot_id what the front end resolved (given, or the spool head's). NULL: store it; otherwise why
 * not, a sentence ending "; nothing stored" for the front end to prefix with the input's name.
 * *ret_kind says which rule refused (the CLI turns a missing release into its --kernel hint). */
typedef enum DepRefusal {
        DEP_ACCEPTED,
        DEP_REFUSED_BINARY,
        DEP_REFUSED_CLASSES_ONLY,
        DEP_REFUSED_NO_RELEASE,
        DEP_REFUSED_NO_BOOT_ID,
} DepRefusal;
const char *ingest_deps_refusal(const LockdepDepStats *st, const char *release, const char *boot_id,
                                DepRefusal *ret_kind);
/* Stores an accepted snapshot and recomputes the latent cycles of its release, in one transaction
 * of its own (lockdepctl import, POST /api/v1/ingest). *ret_new: dependencies new for the boot;
 * *ret_cycles: latent cycles found for the first time. Returns 1, or 0 when the same snapshot was
 * stored before (store_dep_snapshot(): nothing changed). */
int ingest_deps_store(Store *s, const StoreDepOrigin *o, const DepIngest *d, unsigned *ret_new,
                      unsigned *ret_cycles);
/* The same inside the caller's transaction (lockdepd's spool and journal sources: the snapshot and
 * the source's cursor are committed together). */
int ingest_deps_store_in(Store *s, const StoreDepOrigin *o, const DepIngest *d, unsigned *ret_new,
                         unsigned *ret_cycles);
