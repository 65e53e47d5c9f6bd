/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The SQLite store: the only public header of store/, and store/ is the only code that knows SQL.
 *
 * One Store = one connection. Writers (lockdepd, lockdepctl import/reparse) wrap a batch of
 * store_add_report() calls and the source cursor in store_begin()/store_commit(), so a crash at
 * any instant leaves either all of a batch or none of it. Readers open with STORE_READ_ONLY and
 * never block the writer (WAL).
 *
 * Errors: >= 0 success, negative errno: -ENOSPC disk or page-count limit full, -EBUSY locked by
 * another writer beyond the busy timeout, -EBADMSG corrupt/not a database, -EPROTO a schema newer
 * than this program, -ENOENT missing database (read-only open), -EIO other SQLite errors. The
 * message of the last error is in store_error().
 */

#include <stdbool.h>
#include <stdint.h>

#include "lockdep.h"

#define STORE_APPLICATION_ID 0x4c4b4450 /* "LKDP" */

typedef struct Store Store;

enum {
        STORE_READ_ONLY = 1 << 0,
        STORE_CHECK = 1 << 1, /* run PRAGMA quick_check at open (daemon start, import) */
};

int store_open(const char *path, unsigned flags, Store **ret);
Store *store_close(Store *s);
/* The message of the last failed call, or "". Owned by the store. */
const char *store_error(const Store *s);
int store_schema_version(void);

int store_begin(Store *s);
int store_commit(Store *s);
void store_rollback(Store *s);

/* Where a report came from. Strings are borrowed for the duration of the call. */
typedef struct StoreOrigin {
        const char *machine_id; /* NULL when unknown */
        const char *hostname;   /* NULL when unknown; one of the two identifies the host */
        const char *boot_id;    /* NULL: derived from the kernel release */
        const char *source;     /* "kmsg", "journal", "file:PATH", "import:PATH", ... */
        uint64_t realtime;      /* usec since the epoch: when the report was logged or seen */
} StoreOrigin;

/* Inside a transaction. Returns 1 if stored, 0 if this report was stored before (same boot and
 * dedup key); *ret_new_group tells whether its group was created by it. */
int store_add_report(Store *s, const StoreOrigin *o, const LockdepReport *r, int64_t *ret_group,
                     bool *ret_new_group);
int store_set_lockdep_off(Store *s, const StoreOrigin *o, uint64_t usec, const char *reason);
int store_add_gap(Store *s, const StoreOrigin *o, int64_t missed);
int store_set_cursor(Store *s, const char *source, const char *position);
/* 1 and a malloc()ed *ret if found, 0 if not. */
int store_get_cursor(Store *s, const char *source, char **ret);

/* Adds up to max reports (0 = all) not yet in the full-text index, in its own transaction.
 * Returns how many were indexed. */
int store_index_text(Store *s, unsigned max);

/* Readers: each row as one JSON object, handed to the callback (return < 0 to stop). */
typedef int (*StoreRowFunc)(const char *json, void *userdata);

typedef struct StoreQuery {
        int64_t group;       /* reports: only this group; 0 = all */
        const char *kind;    /* NULL = all */
        const char *status;  /* NULL = all */
        unsigned limit;      /* 0 = no limit */
        unsigned offset;
} StoreQuery;

/* Groups: id, kind, key, signature, func_title, n_reports, n_hosts, first_seen, last_seen, status */
int store_list_groups(Store *s, const StoreQuery *q, StoreRowFunc f, void *userdata);
/* Reports: id, group, kind, host, boot_id, kernel, time, source, truncated */
int store_list_reports(Store *s, const StoreQuery *q, StoreRowFunc f, void *userdata);

/* Recomputes parsed data, groups, chains and edges from the raw text of every report, keeping
 * triage state. *ret_changed: reports whose group changed. */
int store_reparse(Store *s, const LockdepAliases *aliases, unsigned *ret_reports, unsigned *ret_changed);
