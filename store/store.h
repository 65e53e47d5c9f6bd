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
 * than this program, -ENOENT missing database (read-only open), -ESTALE the file at the path was
 * replaced, -EIO other SQLite errors. The
 * message of the last error is in store_error().
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockdep.h"
#include "strbuf.h"

#define STORE_APPLICATION_ID 0x4c4b4450 /* "LKDP" */

typedef struct Store Store;

enum {
        STORE_READ_ONLY = 1 << 0,
        STORE_CHECK = 1 << 1, /* PRAGMA quick_check at open (daemon start, import), files <= 256 MiB */
};

/* A writable open migrates the schema and repairs a database made by an earlier edit of the
 * migrations (see store_repaired()); a read-only one refuses such a database with -EPROTO and the
 * command that repairs it in store_error(). */
int store_open(const char *path, unsigned flags, Store **ret);
/* Bulk writers (lockdepctl import): the WAL is checkpointed by a second connection on a thread of
 * its own while this one goes on writing, instead of by the committing connection after every
 * commit (a third of the time of a commit). The WAL is kept under STORE_WAL_WAIT_PAGES pages: a
 * commit past that waits for the checkpoint, so the next transaction starts the WAL again. Ends
 * with store_close(). 0, or a negative errno (then checkpoints stay as they were). */
int store_checkpoint_in_background(Store *s);
/* What the open repaired ("table group_hosts, column groups.kernel_first, ..."), or NULL. */
const char *store_repaired(const Store *s);
/* Derived tables (lock classes and edges per group) that only a parse of the reports can fill are
 * incomplete: made after the reports by a migration or a repair. Writers then call
 * store_rebuild_derived() before anything else. */
bool store_needs_rederive(const Store *s);
Store *store_close(Store *s);
/* Is the file at the path still the one opened (device and inode)? 0; -ENOENT deleted, -ESTALE
 * replaced (rename(), a new file), with the message in store_error(). A writer that goes on after
 * that commits into a file nobody will read again, or mixes its WAL into another database. */
int store_check_identity(Store *s);
/* The same, then a cheap read query (the newest report's id, from its index): 0 when the database
 * answers. For health checks. */
int store_health(Store *s);
/* The message of the last failed call, or "". Owned by the store. */
const char *store_error(const Store *s);
int store_schema_version(void);
/* Why PATH cannot be opened as a database (read_only: for reading only), judged from the file
 * system: 0 when nothing is visibly wrong, else -errno with *ret_msg (malloc'd, the caller frees)
 * naming the path, the error and the fix. store_open() puts the same text into store_error()
 * when opening fails for such a reason. */
int store_path_problem(const char *path, bool read_only, char **ret_msg);

/* Changes whenever another connection commits to the database (PRAGMA data_version): readers
 * can cache query results while it stays the same. */
int store_data_version(Store *s, uint64_t *ret);

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
/* The same with reports.parsed made beforehand by store_pack_report() and reports.logged by
 * store_pack_logged() (NULL: not known) (on another thread: a StorePacker needs no database),
 * e.g. while the store writes the previous report. */
int store_add_report_packed(Store *s, const StoreOrigin *o, const LockdepReport *r, const void *packed,
                            size_t packed_size, const void *logged, size_t logged_size, int64_t *ret_group,
                            bool *ret_new_group);
/* What reports.parsed holds for r: its parse --json object, deflated (store-pack.c). One packer
 * per thread; *ret is malloc()ed. */
typedef struct StorePacker StorePacker;
int store_packer_new(StorePacker **ret);
StorePacker *store_packer_free(StorePacker *p);
int store_pack_report(StorePacker *p, const LockdepReport *r, void **ret, size_t *ret_size);
/* What reports.logged holds for r: r->logged deflated with r->text as dictionary; *ret NULL when
 * r->logged is. */
int store_pack_logged(StorePacker *p, const LockdepReport *r, void **ret, size_t *ret_size);
/* The id of the report the last store_add_report() call stored, or found stored before; 0 after a
 * failed call. */
int64_t store_last_report(const Store *s);
/* Did the last store_add_report() call (which returned 0: stored before) replace the stored copy
 * by its better one (complete for cut, longer, parsed for degraded)? */
bool store_last_replaced(const Store *s);
/* The group the last store_add_report() call found regressed: the report came from a release at or
 * after the group's "fixed-in R" (kernel_release_compare()), so its status became "regressed" (and
 * the triage log says on which release). *ret_fixed: R (owned by the store). 0 when none. */
int64_t store_last_regressed(const Store *s, const char **ret_fixed);
int store_set_lockdep_off(Store *s, const StoreOrigin *o, uint64_t usec, const char *reason);
int store_add_gap(Store *s, const StoreOrigin *o, int64_t missed);
int store_set_cursor(Store *s, const char *source, const char *position);
/* 1 and a malloc()ed *ret if found, 0 if not. */
int store_get_cursor(Store *s, const char *source, char **ret);
/* A journal stream's last entry read, kept beside a cursor that points before it (journal_seen):
 * NULL position deletes it. get: 0 none, 1 found (*ret malloc()ed). */
int store_set_journal_seen(Store *s, const char *stream, const char *position);
int store_get_journal_seen(Store *s, const char *stream, char **ret);

/* Journal bookkeeping of a host, creating its row when it is new (a host heard from without a
 * report is a clean one): when lockdepd read it (realtime usec) and its newest entry (the host's
 * realtime usec; 0 = not known). Both only move forward. */
int store_host_heard(Store *s, const StoreOrigin *o, uint64_t last_entry, uint64_t read_at);
/* A journal file of source that cannot be opened or read (err: negative errno, message: what
 * failed), or with err = 0, that was read again (file NULL: every file of source). Counted in
 * store_stats(). */
int store_journal_file_status(Store *s, const char *source, const char *file, int err, const char *message,
                              uint64_t now);
/* Settings lockdepd and lockdepctl share (inside or outside a transaction). Keys:
 * "silent_after": seconds without a journal entry after which a host is reported silent. */
#define STORE_SILENT_AFTER_DEFAULT (24 * 3600)
int store_set_setting(Store *s, const char *key, const char *value);

/* Adds up to max reports (0 = all) not yet in the full-text index, in its own transaction.
 * Returns how many were indexed. */
int store_index_text(Store *s, unsigned max);

/* Readers: each row as one JSON object, handed to the callback (return < 0 to stop). */
/* The typed views (store-views.c) keep their strings and arrays in one StoreMem each, freed by
 * the view's _free(); STORE_NONE is an integer or time not known (JSON null). */
typedef struct StoreMem StoreMem;
#define STORE_NONE INT64_MIN
typedef int (*StoreRowFunc)(const char *json, void *userdata);

typedef enum StoreSort {
        STORE_SORT_DEFAULT,    /* none given: groups by last_seen, reports by id */
        STORE_SORT_LAST_SEEN,  /* most recent first */
        STORE_SORT_FIRST_SEEN,
        STORE_SORT_REPORTS,    /* most reports first */
        STORE_SORT_HOSTS,
        STORE_SORT_ID,
        _STORE_SORT_MAX,
        _STORE_SORT_INVALID = -EINVAL,
} StoreSort;

const char *store_sort_to_string(StoreSort s);  /* "last_seen", "first_seen", "reports", "hosts", "id" */
StoreSort store_sort_from_string(const char *s);

/* Filters shared by lockdepctl and the web API; NULL/0 = no filter. Times are usec since the epoch. */
typedef struct StoreQuery {
        int64_t group;       /* reports: only this group */
        const char *kind;
        const char *status;
        const char *host;    /* hostname or machine id */
        const char *kernel;  /* a release filter (common/kernel-release.h): 6.1 = its series, =R, >=R, A..B */
        const char *lock;    /* canonical class taking part (chain, acquiring, holding) */
        uint64_t since, until;
        StoreSort sort;
        unsigned limit;      /* 0 = no limit */
        unsigned offset;
        bool suppressed;     /* also what an active suppression rule hides (marked "suppressed") */
} StoreQuery;

/* One filter from its name and text, the same words for lockdepctl's --NAME VALUE and the API's
 * NAME=VALUE: kind, status (the triage vocabulary), host, lock, kernel (a filter of
 * common/kernel-release.h: 6.1, =6.1, >=6.9, <6.2, 6.6..6.9), since and until (common/time-spec.h,
 * relative to now), sort, limit (1..limit_max; 0 = any positive number), offset, suppressed (0/1).
 * value is borrowed:
 * it must live as long as q. 0; -EINVAL with *ret_why (static) naming what is accepted; -ENOENT for
 * a name that is none of these. */
int store_query_set(StoreQuery *q, const char *name, const char *value, uint64_t now, unsigned limit_max,
                    const char **ret_why);
/* The triage statuses, by their form: new, confirmed, false-positive, fixed-in RELEASE,
 * duplicate-of GROUP, regressed. */
bool store_status_syntax_valid(const char *s);
/* "circular, recursive, ...": every report kind, for messages. */
const char *store_kinds_help(void);

/* ---- typed views of the lists (store-views.c) ------------------------------------------------
 *
 * The group and report lists as structs, filled in SQL, and their one serializer: the API's JSON
 * (/api/v1/groups, /api/v1/reports) and lockdepctl list/reports --json are both written by
 * store_*_row_json() from the same rows, so they agree by construction; the HTML list and the CLI
 * table render from the structs. Strings are never NULL unless said; a row's strings live in one
 * block it owns. */

typedef struct StoreGroupRow {
        int64_t id;
        const char *kind, *key, *signature;
        const char *func_title;               /* NULL: the reports name no function */
        int64_t n_reports, n_hosts;
        int64_t first_seen, last_seen;        /* usec since the epoch */
        const char *status;                   /* the triage vocabulary, "regressed" included */
        const char *note;                     /* NULL: none */
        const char *kernel_first, *kernel_last; /* oldest and newest release reported on, by version; NULL: none known */
        bool suppressed;                      /* an active suppression rule matches it (listed only with q->suppressed) */
        char *mem_;
} StoreGroupRow;

typedef struct StoreGroupList {
        StoreGroupRow *v;
        size_t n;
} StoreGroupList;

/* The groups store_list_groups() describes, in its order. *ret is zeroed first; free it with
 * store_group_list_free() also after a failure. */
int store_group_list(Store *s, const StoreQuery *q, StoreGroupList *ret);
void store_group_list_free(StoreGroupList *l);
/* Appends one group as the API's object ("first_seen"/"last_seen" as ISO 8601 UTC text,
 * "suppressed" 0/1). 0 or -ENOMEM. */
int store_group_row_json(const StoreGroupRow *g, StrBuf *b);
/* Appends {"total":T,"offset":O,"limit":L,"groups":[...]}: the /api/v1/groups answer. */
int store_group_list_json(const StoreGroupList *l, uint64_t total, const StoreQuery *q, StrBuf *b);

typedef struct StoreReportRow {
        int64_t id;
        int64_t group;                        /* 0: in no group */
        const char *kind;
        const char *host;                     /* host name, else machine id; NULL: neither */
        const char *boot_id;
        const char *kernel;                   /* the release the report names, else its boot's; NULL: none */
        int64_t time;                         /* usec since the epoch: when it was seen or logged */
        const char *source;
        bool truncated;
        char *mem_;
} StoreReportRow;

typedef struct StoreReportList {
        StoreReportRow *v;
        size_t n;
} StoreReportList;

/* The reports store_list_reports() describes, in its order (-EINVAL for a sort that means nothing
 * for reports). Free with store_report_list_free() also after a failure. */
int store_report_list(Store *s, const StoreQuery *q, StoreReportList *ret);
void store_report_list_free(StoreReportList *l);
/* Appends one report as the API's object ("time" ISO 8601 UTC, "truncated" a boolean). */
int store_report_row_json(const StoreReportRow *r, StrBuf *b);
/* Appends {"total":T,"offset":O,"limit":L,"reports":[...]}: the /api/v1/reports answer. */
int store_report_list_json(const StoreReportList *l, uint64_t total, const StoreQuery *q, StrBuf *b);
/* usec since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into buf, as every time of the store is
 * written; NULL (JSON null) outside the years 0000..9999. */
#define STORE_TIME_MAX 32
const char *store_time_iso(int64_t usec, char buf[static STORE_TIME_MAX]);

/* Groups (as JSON rows of store_group_row_json(), from store_group_list()): id, kind, key, signature, func_title, n_reports, n_hosts, first_seen, last_seen, status
 * (plus note, kernel_first, kernel_last: the oldest and newest release reported on, by version,
 * and suppressed: 1 when an active suppression rule matches one of its classes or edges; such
 * groups, and their reports in store_list_reports() without a group, are left out unless
 * q->suppressed). */
int store_list_groups(Store *s, const StoreQuery *q, StoreRowFunc f, void *userdata);
/* Number of groups matching q (limit/offset ignored), for paging. */
int store_count_groups(Store *s, const StoreQuery *q, uint64_t *ret);
/* Reports (JSON rows of store_report_row_json()): id, group, kind, host, boot_id, kernel, time, source, truncated. Sorted by id (the
 * default), last_seen (newest first), first_seen (oldest first); -EINVAL (message in store_error())
 * for the other sorts, which mean nothing for one report. */
int store_list_reports(Store *s, const StoreQuery *q, StoreRowFunc f, void *userdata);
/* Number of reports matching q (limit/offset ignored), for paging. */
int store_count_reports(Store *s, const StoreQuery *q, uint64_t *ret);

/* "42" or a unique signature prefix (>= 4 hex digits) -> group id. -ENOENT none, -EEXIST ambiguous. */
int store_resolve_group(Store *s, const char *spec, int64_t *ret);
/* ---- typed views of one group and one report (store-detail.c fills, store-views.c serializes) --
 *
 * The group page (/groups/ID), /api/v1/groups/ID and lockdepctl show (text and --json) read one
 * StoreGroupDetail; /reports/ID, /api/v1/reports/ID and lockdepctl report one StoreReportDetail.
 * Filled in SQL (SQLite's JSON1 over reports.parsed is the only reader of the stored parse), in one
 * read transaction, so counts and pages agree. Strings are never NULL unless said; all of a view's
 * strings and arrays are the view's, freed by its _free(). */

typedef struct StoreCount {
        const char *name;                     /* kernel release, host, task (NULL: none parsed), day "YYYY-MM-DD" */
        int64_t n;                            /* reports */
} StoreCount;

typedef struct StoreGroupEdge {
        const char *from, *to;                /* canonical classes: to taken while from was held */
        int64_t n;                            /* reports of any group showing it */
        const char *first_kernel;             /* NULL: unknown */
        const char *site;                     /* where to was taken, in the representative report (the parser's
                                               * LockdepEdge.at, never a locking function); NULL: not shown */
} StoreGroupEdge;

typedef struct StoreChainLink {
        const char *canonical;                /* the class acquired */
        const char **stack;                   /* the stack it was acquired with, innermost first */
        size_t n_stack;
} StoreChainLink;

typedef struct StoreRelatedGroup {
        int64_t id;
        const char *kind;
        const char *func_title;               /* NULL: none */
        int64_t shared, shared_edges;         /* classes and lock-order edges shared with the group */
        double score;                         /* sum over shared classes of 1 / groups with the class */
} StoreRelatedGroup;

typedef struct StoreNormalization {
        const char *printed, *canonical;      /* a name the group's reports printed, and its class */
} StoreNormalization;

typedef struct StoreTriageEntry {
        int64_t at;                           /* usec since the epoch */
        int64_t group;                        /* the group it was made on (this one or one merged into it); 0: unknown */
        const char *action;                   /* status, note, merge, split, regressed */
        const char *value;                    /* NULL: none; a merge's names the group merged ("group 17") */
} StoreTriageEntry;

typedef struct StoreRuleRef {
        int64_t id;
        const char *cls;                      /* by class, else NULL and by edge: */
        const char *edge_from, *edge_to;
        int64_t expires;                      /* usec; 0: never */
        const char *note;                     /* NULL: none */
} StoreRuleRef;

typedef struct StoreReportDetail {
        StoreReportRow row;                   /* the list row (row.mem_ unused) */
        bool has_usec;
        int64_t usec;                         /* the kernel timestamp (has_usec) */
        const char *raw;                      /* the text as stored */
        const char *parsed;                   /* its parse --json object as JSON text, as stored; NULL: none */
        /* from the parse: */
        const char *func_title, *task;        /* NULL: none */
        int64_t first_line, last_line;        /* where it was in its input; 0: unknown */
        const char **marks;                   /* the lock names as printed (acquiring, holding, cycle, chain) */
        size_t n_marks;
        void *mem_;
} StoreReportDetail;

typedef struct StoreGroupDetail {
        StoreGroupRow row;                    /* the list row (row.mem_ unused) */
        int64_t sig_version;
        int64_t representative;               /* its newest complete report, else its newest; 0: none */
        const char *parsed;                   /* the representative's parse --json object as stored; NULL: none */
        /* from the representative's parse: */
        const char **classes;                 /* canonical classes, in the order lockdep printed the chain */
        size_t n_classes;
        const char **scenario;                /* "CPU0: lock(A);" lines */
        size_t n_scenario;
        const char *holding_at;               /* where the held lock was taken; NULL: not shown */
        StoreChainLink *chain;
        size_t n_chain;
        /* from the derived tables: */
        StoreRuleRef *suppressed_by;          /* the active rules that match it (row.suppressed) */
        size_t n_suppressed_by;
        StoreGroupEdge *edges;
        size_t n_edges;
        StoreCount *kernels;                  /* by version, newest first */
        size_t n_kernels;
        StoreCount *hosts;                    /* most reports first, then by name */
        size_t n_hosts;
        StoreCount *tasks;                    /* the comm without the pid; most first, at most 50 */
        size_t n_tasks;
        StoreCount *daily;                    /* reports per UTC day over the last 90 days, oldest first */
        size_t n_daily;
        StoreRelatedGroup *related;           /* at most 20: most shared edges first, then rarest shared classes */
        size_t n_related;
        StoreNormalization *normalizations;   /* printed != canonical; by canonical, printed; at most 100 */
        size_t n_normalizations;
        StoreTriageEntry *triage;             /* oldest first, with those of groups merged into it */
        size_t n_triage;
        /* with StoreDetailQuery.occurrences: a page of its reports (store_report_list(), sorted by
         * id) and their number, read in the same transaction as the rest */
        StoreReportList occurrences;
        uint64_t n_occurrences;
        /* with StoreDetailQuery.report: the representative report */
        StoreReportDetail report;
        void *mem_;
} StoreGroupDetail;

typedef struct StoreDetailQuery {
        bool occurrences;                     /* fill occurrences (occ_limit 0: all) and n_occurrences */
        unsigned occ_offset, occ_limit;
        bool report;                          /* fill report: the representative */
        bool daily_only;                      /* only row, representative and daily (a sparkline) */
} StoreDetailQuery;

/* One group by id (q NULL: what the API object holds). *ret is zeroed first; free it with
 * store_group_detail_free() also after a failure. -ENOENT if no such group (a merged-away id too:
 * see store_group_live()). */
int store_group_detail(Store *s, int64_t id, const StoreDetailQuery *q, StoreGroupDetail *ret);
void store_group_detail_free(StoreGroupDetail *d);
/* Appends the group as the API's object (/api/v1/groups/ID, lockdepctl show --json): the list row's
 * members, then "sig_version", "representative" (null: none), "parsed" (the representative's parse
 * --json object), "suppressed_by" [{id,class,edge_from,edge_to,expires,note}], "edges"
 * [{from,to,n,first_kernel,site}], "kernels" [{kernel,n}], "hosts" [{host,n}], "tasks" [{task,n}],
 * "daily" [{day,n}], "related" [{id,kind,func_title,shared,shared_edges,score}], "normalizations"
 * [{printed,canonical}], "triage" [{at,group,action,value}]. 0 or -ENOMEM. */
int store_group_detail_json(const StoreGroupDetail *d, StrBuf *b);
/* store_group_detail() and store_group_detail_json() into *ret (malloc()ed), for callers that pass
 * the object on as it is (writes' answers, export). */
int store_group_json(Store *s, int64_t id, char **ret);

/* One report by id; free with store_report_detail_free() also after a failure. -ENOENT if none. */
int store_report_detail(Store *s, int64_t id, StoreReportDetail *ret);
void store_report_detail_free(StoreReportDetail *d);
/* Appends the report as the API's object (/api/v1/reports/ID, lockdepctl report --json): the list
 * row's members, then "usec" (null: no kernel timestamp), "raw", "parsed". 0 or -ENOMEM. */
int store_report_detail_json(const StoreReportDetail *d, StrBuf *b);
/* store_report_detail() and store_report_detail_json() into *ret (malloc()ed). */
int store_report_json(Store *s, int64_t id, char **ret);
/* The report's lines as the log had them (reports.logged, LockdepReport.logged): *ret malloc()ed
 * and NUL-terminated, or NULL when the store did not keep them (reports stored before schema
 * 0014); *ret_raw (may be NULL) its raw text. -ENOENT: no such report. */
int store_report_logged(Store *s, int64_t id, char **ret, size_t *ret_len, char **ret_raw);

/* ---- the fleet lists (hosts, kernels, locks): sorted by any column, paged ------------------- */

typedef enum StoreList {
        STORE_LIST_HOSTS,
        STORE_LIST_KERNELS,
        STORE_LIST_LOCKS,
        _STORE_LIST_MAX,
} StoreList;

typedef enum StoreOrder {
        STORE_ORDER_DEFAULT, /* the sort's own direction: counts and times most/newest first, names A
                              * to Z, kernel releases newest version first */
        STORE_ORDER_ASC,
        STORE_ORDER_DESC,
} StoreOrder;

/* How one of the lists is read. Zeroed (plus .list) = the list's default order, every row. */
typedef struct StoreListQuery {
        StoreList list;
        unsigned sort;       /* index of the list's sort name (store_list_sort_name()); 0 = its default */
        StoreOrder order;
        unsigned limit;      /* 0 = no limit */
        unsigned offset;
        const char *name;    /* locks: only classes whose canonical name contains this; NULL = all */
} StoreListQuery;

/* One parameter from its name and text, the same words for lockdepctl's --NAME VALUE and the API's
 * NAME=VALUE: sort (the list's sort names, the one table of them in store-lists.c: hosts: host,
 * boots, reports, groups, kernels, lockdep_off, kernel_first, kernel_last, first_seen, last_seen,
 * journal_read, last_entry; kernels: kernel, hosts, boots, reports, groups, new, lockdep_off,
 * first_seen, last_seen; locks: groups, name, edges), order (asc or desc), limit (1..the list's API
 * page maximum when paged, else any positive number) and offset. value is borrowed. 0; -EINVAL
 * with *ret_why (static) naming what is accepted; -ENOENT for another name. */
int store_list_query_set(StoreListQuery *q, const char *name, const char *value, bool paged, const char **ret_why);
/* The name of sort i of list l, NULL past the last one; the index of a name, or -EINVAL. */
const char *store_list_sort_name(StoreList l, unsigned i);
int store_list_sort_from_string(StoreList l, const char *name);
/* Is q sorted descending (its order, or its sort's own direction)? */
bool store_list_descending(const StoreListQuery *q);
/* The most rows one API page of list l holds (hosts, kernels 1000; locks 10000). */
unsigned store_list_page_max(StoreList l);
/* Rows of q's list (limit and offset ignored), for paging. */
int store_count_list(Store *s, const StoreListQuery *q, uint64_t *ret);

/* ---- lock classes (store-query.c) ----------------------------------------------------------- */

/* Strings of a view (in its StoreMem). */
typedef struct StoreStrings {
        const char **v;
        size_t n;
} StoreStrings;

/* A lock class: name (canonical), n_groups, n_edges, printed (the names printed for it that differ
 * from it, A to Z). */
typedef struct StoreLock {
        const char *name;
        int64_t n_groups, n_edges;
        StoreStrings printed;
} StoreLock;

typedef struct StoreLockList {
        StoreLock *v;
        size_t n;
        StoreMem *mem_;
} StoreLockList;

typedef struct StoreLockGroup {
        int64_t id;
        const char *kind, *key;
        const char *func_title;               /* NULL: none */
        int64_t n_reports;
        const char *status;
} StoreLockGroup;

typedef struct StoreLockEdge {
        const char *from, *to;                /* from held while to was taken */
        int64_t n;
        const char *first_kernel;             /* NULL: not known */
} StoreLockEdge;

/* One class: name, n_groups, printed (as in the list), its groups (newest first) and its
 * lock-order edges (most often seen first). */
typedef struct StoreLockDetail {
        const char *name;
        int64_t n_groups;
        StoreStrings printed;
        StoreLockGroup *groups;
        size_t n_group_rows;
        StoreLockEdge *edges;
        size_t n_edge_rows;
        StoreMem *mem_;
} StoreLockDetail;

/* The classes, q: a STORE_LIST_LOCKS query (NULL = all, most groups first); ties in a sort go by
 * name. Free with store_lock_list_free() also after a failure. */
int store_lock_list(Store *s, const StoreListQuery *q, StoreLockList *ret);
void store_lock_list_free(StoreLockList *l);
/* -ENOENT: no such canonical class. */
int store_lock_detail(Store *s, const char *name, StoreLockDetail *ret);
void store_lock_detail_free(StoreLockDetail *d);
/* The API's objects: a class row (lockdepctl locks --json), the /api/v1/locks page, one class
 * (/api/v1/locks/NAME, lockdepctl locks NAME --json: name, n_groups, printed, groups
 * [{id,kind,key,func_title,n_reports,status}], edges [{from,to,n,first_kernel}]). */
int store_lock_json(const StoreLock *l, StrBuf *b);
int store_lock_list_json(const StoreLockList *l, uint64_t total, const StoreListQuery *q, StrBuf *b);
int store_lock_detail_json(const StoreLockDetail *d, StrBuf *b);
/* Observed lock-order edges: from, to, n, first_seen, last_seen, first_kernel, groups [ids].
 * Restricted to one group's edges (group != 0) or to edges touching lock (canonical) when set. */
int store_list_edges(Store *s, int64_t group, const char *lock, StoreRowFunc f, void *userdata);
/* ---- fleet views (store-fleet.c): hosts ------------------------------------------------------ */

/* A group as the host and kernel pages list it. */
typedef struct StoreFleetGroup {
        int64_t id;
        const char *kind, *key;
        const char *func_title;               /* NULL: none */
        int64_t n_reports;                    /* a host's: its reports there (JSON "n"); a kernel's: all */
        int64_t n_hosts;                      /* kernel pages only */
        const char *status;
        const char *kernel_first, *kernel_last; /* NULL: none known */
} StoreFleetGroup;

/* One host: host (hostname or machine id), machine_id, hostname (NULL: not known), n_boots,
 * n_reports, n_groups, kernels (distinct releases), boots_lockdep_off (boots where lockdep switched
 * itself off), kernel_first/kernel_last (of the oldest/newest boot), first_seen, last_seen
 * (STORE_NONE without boots), journal_read (when lockdepd last read entries of it from a journal),
 * last_entry (its newest journal entry, the host's clock) and silent (last_entry older than the
 * silent_after setting; -1 for hosts not read from a journal). */
typedef struct StoreHost {
        int64_t id;
        const char *host, *machine_id, *hostname;
        int64_t n_boots, n_reports, n_groups, kernels, boots_lockdep_off;
        const char *kernel_first, *kernel_last;
        int64_t first_seen, last_seen, journal_read, last_entry; /* usec; STORE_NONE: not known */
        int silent;                           /* 1, 0, or -1 (JSON null) */
} StoreHost;

typedef struct StoreHostList {
        StoreHost *v;
        size_t n;
        StoreMem *mem_;
} StoreHostList;

/* A boot of a host. */
typedef struct StoreBoot {
        const char *boot_id, *kernel;
        int64_t first_seen;                   /* usec */
        int64_t lockdep_off_at;               /* kernel usec when lockdep switched itself off; STORE_NONE: never */
        const char *lockdep_off_reason;
        int64_t n_reports;
} StoreBoot;

/* One host with its boots (newest first, at most 200), off_early (the same for the boots where
 * lockdep switched itself off, so nothing after that point was validated) and the groups seen on
 * it (most reports there first, at most 1000). */
typedef struct StoreHostDetail {
        StoreHost host;
        StoreBoot *boots, *off_early;
        size_t n_boots, n_off_early;
        StoreFleetGroup *groups;
        size_t n_groups;
        StoreMem *mem_;
} StoreHostDetail;

/* The hosts, q: a STORE_LIST_HOSTS query (NULL: all, by host); ties in a sort go by host. *ret
 * zeroed first; free with store_host_list_free() also after a failure. */
int store_host_list(Store *s, const StoreListQuery *q, StoreHostList *ret);
void store_host_list_free(StoreHostList *l);
/* One host by machine id, host name or key; -ENOENT if no such host. Free with
 * store_host_detail_free() also after a failure. */
int store_host_detail(Store *s, const char *host, StoreHostDetail *ret);
void store_host_detail_free(StoreHostDetail *d);
/* The API's objects: one host row (lockdepctl hosts --json), the /api/v1/hosts page
 * {"total","offset","limit" (null: every row),"sort","order","hosts":[...]}, one host
 * (/api/v1/hosts/NAME, lockdepctl hosts NAME --json: the row's fields, then "boots", "off_early",
 * "groups" [{id,kind,key,func_title,n,status,kernel_first,kernel_last}]). */
int store_host_json(const StoreHost *h, StrBuf *b);
int store_host_list_json(const StoreHostList *l, uint64_t total, const StoreListQuery *q, StrBuf *b);
int store_host_detail_json(const StoreHostDetail *d, StrBuf *b);

/* ---- fleet views (store-fleet.c): kernel releases ------------------------------------------- */

/* A kernel release seen on a boot: n_hosts, n_boots, n_reports, n_groups, new_groups (groups whose
 * kernel_first, by version, is this release), boots_lockdep_off, first_seen, last_seen. */
typedef struct StoreKernel {
        const char *kernel;
        int64_t n_hosts, n_boots, n_reports, n_groups, new_groups, boots_lockdep_off;
        int64_t first_seen, last_seen;        /* usec */
} StoreKernel;

typedef struct StoreKernelList {
        StoreKernel *v;
        size_t n;
        StoreMem *mem_;
} StoreKernelList;

/* A host that ran a release. */
typedef struct StoreKernelHost {
        const char *host, *machine_id;        /* machine_id NULL: not known */
        int64_t n_boots, n_reports, boots_lockdep_off;
} StoreKernelHost;

/* One release (common/kernel-release.c's collation decides "older" and "newer"): regressions
 * (groups new in it: reported on it and on no older release, kernel_first = release, newest first),
 * regressed (groups whose fixed-in release did not hold: reported again, first on this release),
 * not_seen_since (groups reported only on older releases, kernel_last before it: probably fixed; at
 * most 1000) and the hosts that ran it (most reports first, at most 200). */
typedef struct StoreKernelDetail {
        StoreKernel kernel;
        StoreFleetGroup *regressions, *regressed, *not_seen_since;
        size_t n_regressions, n_regressed, n_not_seen_since;
        StoreKernelHost *hosts;
        size_t n_hosts;
        StoreMem *mem_;
} StoreKernelDetail;

/* Two releases compared: the groups reported on kernel and not on vs (new), on vs and not on
 * kernel (gone), and on both (still); most reports first, at most 1000 each. */
typedef struct StoreKernelVs {
        const char *kernel, *vs;
        StoreFleetGroup *new_, *gone, *still; /* JSON "new", "gone", "still" */
        size_t n_new, n_gone, n_still;
        StoreMem *mem_;
} StoreKernelVs;

/* The releases, q: a STORE_LIST_KERNELS query (NULL: all, newest version first); ties in a sort go
 * by version, newest first. Free with store_kernel_list_free() also after a failure. */
int store_kernel_list(Store *s, const StoreListQuery *q, StoreKernelList *ret);
void store_kernel_list_free(StoreKernelList *l);
/* -ENOENT if no boot ran release. */
int store_kernel_detail(Store *s, const char *release, StoreKernelDetail *ret);
void store_kernel_detail_free(StoreKernelDetail *d);
/* -ENOENT unless boots ran both. */
int store_kernel_vs(Store *s, const char *release, const char *vs, StoreKernelVs *ret);
void store_kernel_vs_free(StoreKernelVs *v);
/* The API's objects: a release row (lockdepctl kernels --json), the /api/v1/kernels page, one
 * release (/api/v1/kernels/R, kernels R --json: the row's fields, then "regressions", "regressed",
 * "not_seen_since" [{id,kind,key,func_title,n_reports,n_hosts,status,kernel_first,kernel_last}],
 * "hosts" [{host,machine_id,n_boots,n_reports,boots_lockdep_off}]) and a comparison
 * (/api/v1/kernels/R?vs=V, kernels R --vs V --json: {"kernel","vs","new","gone","still"}). */
int store_kernel_json(const StoreKernel *k, StrBuf *b);
int store_kernel_list_json(const StoreKernelList *l, uint64_t total, const StoreListQuery *q, StrBuf *b);
int store_kernel_detail_json(const StoreKernelDetail *d, StrBuf *b);
int store_kernel_vs_json(const StoreKernelVs *v, StrBuf *b);

/* Full-text search (FTS5 syntax, or plain words; a query FTS5 refuses is searched as one phrase):
 * id, group, kind, host, kernel, time, snippet, for the reports matching text and q's filters as
 * in store_list_reports() (kind, host, kernel, lock, since, until, group, suppressed), and status:
 * the triage status of the report's group. Best match first (rank; ties by id), or sorted by id,
 * last_seen (newest first) or first_seen; -EINVAL (message in store_error()) for the other sorts.
 * q->limit 0 = no limit. */
int store_search(Store *s, const char *text, const StoreQuery *q, StoreRowFunc f, void *userdata);
/* Number of reports store_search() finds (limit/offset ignored), for paging. */
int store_count_search(Store *s, const char *text, const StoreQuery *q, uint64_t *ret);
/* ---- the counters (lockdepctl stats, /api/v1/stats, /metrics) ------------------------------- */

typedef struct StoreStatsCount {
        const char *name;                     /* the kind, or the triage status */
        int64_t n_groups, n_reports;          /* JSON "n", "reports" */
} StoreStatsCount;

typedef struct StoreStatsSource {
        const char *source;                   /* a journal's streams ("journal:DIR#...") as one source */
        const char *position;                 /* its cursor, or "N streams" */
        int64_t updated;                      /* usec; when the position last moved */
        int64_t n_reports;                    /* JSON "reports" */
} StoreStatsSource;

typedef struct StoreStatsFileFailure {
        const char *source, *file, *error;
        int64_t err;                          /* JSON "errno" */
        int64_t first_failed, last_failed;    /* usec */
        int64_t n_failures;
} StoreStatsFileFailure;

typedef struct StoreStatsRejected {
        const char *reason;                   /* untrusted, incomplete, refused */
        int64_t n;
        int64_t last;                         /* usec of the last one */
        const char *source, *what;            /* of the last one */
} StoreStatsRejected;

/* Counters: reports, groups (those suppression rules hide not counted; groups_suppressed: those),
 * hosts, hosts_sanitized (stored under a host_name_sanitize()d name), boots, boots_lockdep_off,
 * gaps, fts_pending, suppressions (rules), journal_files_unreadable (journal files failing now),
 * journal_file_errors (failed attempts to read a journal file, ever), snapshots_untrusted,
 * snapshots_incomplete, snapshots_refused (/proc/lockdep snapshots not stored, ever); by kind and
 * by triage status (groups and their reports, hidden groups not counted), sources (one row per
 * source: a journal's streams counted, not listed), the journal files failing now (at most 100)
 * and the rejected snapshots by reason. */
typedef struct StoreStats {
        int64_t reports, groups, groups_suppressed, hosts, boots, hosts_sanitized, boots_lockdep_off, gaps,
                fts_pending, suppressions, journal_files_unreadable, journal_file_errors, snapshots_untrusted,
                snapshots_incomplete, snapshots_refused;
        StoreStatsCount *by_kind, *by_status; /* by name */
        size_t n_by_kind, n_by_status;
        StoreStatsSource *sources;
        size_t n_sources;
        StoreStatsFileFailure *files_failed;  /* JSON "journal_files_failed" */
        size_t n_files_failed;
        StoreStatsRejected *rejected;         /* JSON "snapshots_rejected" */
        size_t n_rejected;
        StoreMem *mem_;
} StoreStats;

/* *ret zeroed first; free with store_stats_free() also after a failure. */
int store_stats(Store *s, StoreStats *ret);
void store_stats_free(StoreStats *st);
/* Appends the /api/v1/stats object (lockdepctl stats --json): the counters, then "by_kind",
 * "by_status", "sources", "journal_files_failed", "snapshots_rejected" (times as ISO 8601 UTC). */
int store_stats_json(const StoreStats *st, StrBuf *b);

/* Triage (each change is logged in triage_log with the group's signature, so it survives reparse).
 * status: new, confirmed, fixed-in <release>, false-positive, duplicate-of <group>, regressed (set
 * by the store itself when a report arrives on a release at or after fixed-in); note may be NULL
 * (unchanged). -EINVAL for an unknown status. */
int store_set_triage(Store *s, int64_t group, const char *status, const char *note);
/* Moves every report of group from into group into; from is deleted; logged as "merge". */
int store_merge_groups(Store *s, int64_t into, int64_t from);
/* Where the group id went that is no more (its tombstone, schema/0008-tombstones.sql): 0 with
 * *ret_into the live group it was merged into (chains followed: A -> B -> C gives C), or 0 with
 * *ret_into = 0 when it was deleted because all its reports went elsewhere (reparse, ingest);
 * -ENOENT when there never was such a group (or it is alive: look it up first). */
int store_group_successor(Store *s, int64_t id, int64_t *ret_into);
/* The one resolver of a group id for every front end and every read or write by id: the live
 * group id names (0, *ret = id), or the group its tombstone leads to (1, *ret = the surviving
 * group: the caller says "group OLD was merged into NEW"). -ENOENT never a group, -EIDRM a group
 * deleted with no successor (all its reports went elsewhere); both with the message in
 * store_error(). */
int store_group_live(Store *s, int64_t id, int64_t *ret);
/* store_resolve_group(), then store_group_live() for an id that is no group (any more): the same
 * returns as store_group_live(), and those of store_resolve_group() for signatures. */
int store_resolve_live_group(Store *s, const char *spec, int64_t *ret);
/* Moves the given reports of a group into a new group (same key, signature suffixed "/split-N");
 * returns the new group's id in *ret. Logged as "split". */
int store_split_group(Store *s, int64_t group, const int64_t *reports, size_t n, int64_t *ret);
/* Suppression by class or by edge, optional expiry (0 = never): id returned. -EINVAL with the reason
 * in store_error() for a class or edge the database does not know, or an expiry already past. */
int store_add_suppression(Store *s, const char *cls, const char *edge_from, const char *edge_to,
                          uint64_t expires, const char *note, int64_t *ret_id);
typedef struct StoreSuppression {
        int64_t id;
        const char *cls;                      /* JSON "class"; NULL: a rule for an edge */
        const char *edge_from, *edge_to;      /* NULL: a rule for a class */
        int64_t expires;                      /* usec; STORE_NONE: never */
        const char *note;                     /* NULL: none */
        int64_t created;                      /* usec */
        bool active;                          /* not expired (JSON 0/1) */
} StoreSuppression;

typedef struct StoreSuppressionList {
        StoreSuppression *v;
        size_t n;
        StoreMem *mem_;
} StoreSuppressionList;

/* group 0: every rule, by id (lockdepctl suppress --list, /api/v1/suppressions); group > 0: the
 * active rules that match that group (one of its classes, or one of its edges: what hides it), by
 * id. *ret zeroed first; free with store_suppression_list_free() also after a failure. */
int store_suppression_list(Store *s, int64_t group, StoreSuppressionList *ret);
void store_suppression_list_free(StoreSuppressionList *l);
/* One rule as the API's object: id, class, edge_from, edge_to, expires (ISO 8601 UTC or null),
 * note, created, active (0/1). */
int store_suppression_json(const StoreSuppression *x, StrBuf *b);
/* {"suppressions":[...]}: the /api/v1/suppressions answer. */
int store_suppression_list_json(const StoreSuppressionList *l, StrBuf *b);
int store_delete_suppression(Store *s, int64_t id);

/* Recomputes parsed data, groups, chains and edges from the raw text of every report, keeping
 * triage state and what only the first parse knew (kernel timestamp, place in the input).
 * Every report's dedup key is recomputed as an import would compute it now; two rows of one boot
 * that turn out to be one report become one (the better copy, the earlier time): *ret_merged
 * counts the rows deleted so. *ret_changed: reports whose group changed. One transaction. */
int store_reparse(Store *s, const LockdepAliases *aliases, unsigned *ret_reports, unsigned *ret_changed);
/* Called every few hundred reports with the number done and the total; may be NULL. */
typedef void (*StoreProgress)(unsigned done, unsigned total, void *userdata);
int store_reparse_progress(Store *s, const LockdepAliases *aliases, StoreProgress progress, void *userdata,
                           unsigned *ret_reports, unsigned *ret_changed, unsigned *ret_merged);
/* Refills chains, lock classes, edges and the classes and edges of each group from the raw text,
 * leaving every report in its group and its parsed data as they are. One transaction. */
int store_rebuild_derived(Store *s, const LockdepAliases *aliases, StoreProgress progress, void *userdata,
                          unsigned *ret_reports);

/* ---- fleet-wide lock dependencies (/proc/lockdep snapshots, docs/LATENT.md) ---------------- */

typedef struct StoreDepOrigin {
        const char *release;  /* the exact kernel release string: graphs of one release are united */
        const char *boot_id;  /* snapshots of one boot add to that boot's graph */
        const char *host;
        uint64_t taken_usec;  /* realtime usec of the snapshot */
        bool truncated;       /* the snapshot was cut short */
} StoreDepOrigin;

/* One dependency, canonical class names: from is held while to is taken. */
typedef struct StoreDep {
        const char *from, *to;
        bool uncertain_from, uncertain_to;
} StoreDep;

/* Adds a snapshot's dependencies to its release's union, inside the caller's transaction.
 * *ret_new: those the boot did not have before. Returns 1, or 0 when the same snapshot (release,
 * boot, taken_usec and dependencies) was stored before: then nothing changes (dep_snapshots). */
int store_dep_snapshot(Store *s, const StoreDepOrigin *o, const StoreDep *deps, size_t n, unsigned *ret_new);
/* A snapshot that was not stored, counted by reason ("untrusted", "incomplete", "refused";
 * schema/0013-snapshot-transport.sql): lockdepctl stats and /metrics show the counts and the last
 * one (source, what: which snapshot or entry and why). In the caller's transaction. */
int store_dep_snapshot_rejected(Store *s, const char *reason, const char *source, const char *what, uint64_t now);
/* Recomputes the latent cycles of every release whose union changed, inside the caller's
 * transaction. *ret_new: cycles found for the first time, stored with found = *ret_at. */
int store_latent_analyze(Store *s, unsigned *ret_new, uint64_t *ret_at);

typedef struct StoreLatentBoot {
        char *boot_id, *host;
        uint64_t first_snapshot;
} StoreLatentBoot;

typedef struct StoreLatentEdge {
        const char *from, *to;       /* point into the cycle's classes */
        uint64_t first_seen, last_seen;
        unsigned n_boots, n_hosts;
        StoreLatentBoot *seen_by;    /* the first boots that had it */
        size_t n_seen_by;
} StoreLatentEdge;

typedef struct StoreLatentCycle {
        int64_t id;
        char *release;
        char **classes;              /* smallest name first, in dependency order */
        size_t n;
        StoreLatentEdge *edges;      /* edges[k]: classes[k] -> classes[k + 1 mod n] */
        bool low_confidence;
        int64_t group;               /* lockdep's own report of the cycle, or 0 */
        uint64_t found;
        StoreLatentBoot *suggest;    /* boots whose workloads together exercise every edge */
        size_t n_suggest;
        char *status;                /* triage: new (never triaged), confirmed, false-positive, ignored */
        char *note;                  /* "" when none */
} StoreLatentCycle;

typedef struct StoreLatentRelease {
        char *release;
        unsigned n_boots, n_hosts, n_edges, n_latent;
        bool capped, stale;          /* analysis hit its limit; union changed since */
        uint64_t analyzed;
} StoreLatentRelease;

typedef struct StoreLatent {
        StoreLatentRelease *releases;
        size_t n_releases;
        StoreLatentCycle *v;
        size_t n;
} StoreLatent;

typedef struct StoreLatentQuery {
        const char *release;         /* NULL: all */
        bool include_reported;       /* also cycles lockdep itself reported (linked to a group) */
        uint64_t found_since;
        int64_t id;                  /* 0: all */
        unsigned limit;              /* 0: no limit */
        bool releases_only;          /* only the per-release summary (ret->releases) */
} StoreLatentQuery;

int store_latent_list(Store *s, const StoreLatentQuery *q, StoreLatent *ret);
/* The triage statuses of a latent cycle, and whether s is one. */
#define STORE_LATENT_STATUSES "new, confirmed, false-positive, ignored"
bool store_latent_status_valid(const char *s);
/* Triages latent cycle id: status (NULL: keep it, "new" if none yet) and note (NULL: keep it, "":
 * none). Kept by the cycle's signature, so it survives re-analysis and holds for every release
 * with that cycle. -ENOENT: no such cycle; -EINVAL: not a status (store_error() says which are). */
int store_latent_triage(Store *s, int64_t id, const char *status, const char *note);
void store_latent_free(StoreLatent *l);
/* The one serializer of the view, for the API and lockdepctl latent --json. */
int store_latent_json(const StoreLatent *l, char **ret);
