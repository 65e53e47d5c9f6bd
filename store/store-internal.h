/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sqlite3.h>
#include <sys/types.h>

#include "macro.h"
#include "store.h"

typedef enum StmtId {
        STMT_HOST_INSERT,
        STMT_HOST_GET,
        STMT_BOOT_INSERT,
        STMT_BOOT_GET,
        STMT_BOOT_OFF,
        STMT_GROUP_INSERT,
        STMT_GROUP_GET,
        STMT_GROUP_HOST,
        STMT_GROUP_BUMP,
        STMT_GROUP_KERNEL,
        STMT_RECOUNT_KDEL,
        STMT_RECOUNT_KINS,
        STMT_GROUP_DELETE_EMPTY,
        STMT_REPORT_INSERT,
        STMT_CLASS,
        STMT_EDGE,
        STMT_EDGE_GROUP,
        STMT_GROUP_CLASS,
        STMT_RECOUNT_DEL,
        STMT_RECOUNT_INS,
        STMT_RECOUNT_UPD,
        STMT_GAP,
        STMT_CURSOR_SET,
        STMT_CURSOR_GET,
        STMT_SEEN_SET,
        STMT_SEEN_DELETE,
        STMT_SEEN_GET,
        STMT_FTS_UPTO,
        STMT_FTS_LAST,
        STMT_FTS_FILL,
        STMT_FTS_SET,
        STMT_REPORT_FIND,
        STMT_HOST_HEARD,
        STMT_JFILE_OK,
        STMT_JFILE_FAILED,
        STMT_SETTING_SET,
        STMT_GROUP_HOST_N,
        STMT_EDGE_GET,
        STMT_GROUP_REGRESSED,
        STMT_GROUP_REGRESSED_SET,
        STMT_GROUP_REGRESSED_LOG,
        STMT_HOST_FIND,
        STMT_BOOT_FIND,
        STMT_RULES_ACTIVE,
        STMT_GROUP_TASK,
        STMT_GROUP_TASK_DROP,
        STMT_GROUP_NAME,
        STMT_GROUP_TOMBSTONE,
        _STMT_MAX,
} StmtId;

struct Store {
        sqlite3 *db;
        bool read_only;
        char *path;
        dev_t dev;              /* of the file opened, for store_check_identity() */
        ino_t ino;
        char *error;
        char *repaired;         /* what schema_repair() made, or NULL */
        bool needs_rederive;
        int64_t last_report;    /* store_last_report() */
        bool last_replaced;     /* store_last_replaced() */
        int64_t last_regressed; /* store_last_regressed() */
        char last_fixed[132];
        struct StoreLatentCache *latent; /* store-latent.c: class ids of this connection */
        sqlite3_stmt *stmt[_STMT_MAX];
        StorePacker *packer;    /* store-pack.c */
        struct Checkpointer *checkpointer; /* store_checkpoint_in_background() */
};

static inline void store_closep(Store **s) {
        store_close(*s);
}

int store_fail(Store *s, int rc);
/* Keeps the message for store_error() and returns r (-ENOMEM if the message cannot be kept). */
int store_set_error(Store *s, int r, const char *fmt, ...) _printf_(3, 4);

/* Prepares sql on s's connection: 0, or store_fail()'s error with the message kept. */
static inline int store_prepare(Store *s, const char *sql, sqlite3_stmt **ret) {
        int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}
int store_exec(Store *s, const char *sql);
sqlite3_stmt *store_stmt(Store *s, StmtId id, const char *sql);
void store_dedup_key(const LockdepReport *r, char ret[static 64]);
int store_exec_bind_id(Store *s, const char *sql, int64_t id);
int store_group_upsert(Store *s, const LockdepReport *r, uint64_t t, int64_t *ret_id, bool *ret_new);
int store_group_count(Store *s, int64_t grp, int64_t host, uint64_t t, const char *kernel, const char *task);
int store_group_task(Store *s, int64_t grp, const char *task, int delta);
int store_report_derived(Store *s, int64_t report, int64_t grp, const LockdepReport *r, uint64_t t);
int store_group_recount(Store *s, int64_t grp);
int store_step(Store *s, sqlite3_stmt *st, int64_t *ret);
void store_bind_text(sqlite3_stmt *st, int i, const char *v);
uint64_t store_now(void);
int store_pack_json(Store *s, const char *js, void **ret, size_t *ret_size);
/* store_pack_logged() with the store's deflater. */
int store_pack_logged_s(Store *s, const LockdepReport *r, void **ret, size_t *ret_size);
/* Inflates a reports.logged blob with the report's raw text as its dictionary. */
int store_unpack_logged(const void *blob, size_t size, const char *raw, size_t raw_len, char **ret, size_t *ret_len);
void store_pack_free(Store *s);
int store_pack_register(Store *s);
/* The same on a bare connection (the reference schema the migrations make): SQLite result code. */
int store_pack_register_db(sqlite3 *db);
#include "strbuf.h"
/* The current row as a JSON object keyed by column names; a column named "@x" holds JSON already
 * (only for numbers built in SQL or our own parse output) and is embedded as "x". */
int store_row_json(sqlite3_stmt *st, StrBuf *b);
/* Steps st to the end, handing each row's JSON to f; finalizes st. */
int store_run_rows(Store *s, sqlite3_stmt *st, StoreRowFunc f, void *userdata);
int store_replay_triage(Store *s);
/* store-views.c: copies the text columns cols[0..n) of st's current row into one malloc()ed block
 * (*ret_mem, the row's to free), pointing *out[k] at each (NULL for SQL NULL). 0 or -ENOMEM. */
int store_row_texts(sqlite3_stmt *st, size_t n, const int *cols, const char **out[], char **ret_mem);

/* store-query.c, for the other readers: the single row of sql (?1 = id, ?2 = text when given) as an
 * object into b without its closing brace (-ENOENT: no row); ,"key":[rows of sql] appended; the
 * object closed and moved to *ret (b freed on failure, r passed through). */
int store_open_object(Store *s, StrBuf *b, const char *sql, int64_t id, const char *text);
int store_append_array(Store *s, StrBuf *b, const char *key, const char *sql, int64_t id, const char *text);
int store_close_object(StrBuf *b, char **ret, int r);
/* The same with a second text bound to ?3. */
int store_open_object3(Store *s, StrBuf *b, const char *sql, int64_t id, const char *text, const char *text2);
int store_append_array3(Store *s, StrBuf *b, const char *key, const char *sql, int64_t id, const char *text,
                        const char *text2);
/* store-fleet.c: the collation "kernel_version" (common/kernel-release.c's order) and the function
 * kernel_match(FILTER, RELEASE) (its --kernel/kernel= filters) on a connection; store_open()
 * registers them before the migrations run, which may use them. SQLite result code. */
int store_register_functions(sqlite3 *db);
/* store-latent.c: the idset_add()/idset_has() SQL functions on a new connection; the class id
 * cache dropped (rollback, close). */
typedef struct StoreLatentCache StoreLatentCache;
int store_latent_register(Store *s);
void store_latent_forget(Store *s);
int store_fleet_register(Store *s);
/* store-lists.c: " ORDER BY ..." of q (a query of list l, or NULL: its default) appended to sql,
 * from the list's table of sorts; -EINVAL for a query of another list. */
int store_list_order_by(const StoreListQuery *q, StoreList l, StrBuf *sql);

#define ISO(col) "strftime('%Y-%m-%dT%H:%M:%SZ', " col " / 1000000, 'unixepoch')"


/* ---- the typed views' shapes (store-views.c) -------------------------------------------------
 *
 * A view row is a struct whose members are described once, in SQL column order, by a StoreShape:
 * column k of the query fills field k (store_view_rows()), and the same table writes the row's
 * JSON object (store_put_fields()), so the SQL, the struct and the API agree by construction. The
 * strings and arrays of one view live in its StoreMem, freed with the view. */

typedef enum StoreFieldType {
        SF_INT,   /* int64_t; SQL NULL and STORE_NONE are JSON null */
        SF_TEXT,  /* const char *; NULL is JSON null */
        SF_TIME,  /* int64_t usec since the epoch: ISO 8601 UTC text (store_time_iso()); STORE_NONE null */
        SF_BOOL,  /* bool: JSON true/false */
        SF_FLAG,  /* bool: JSON 0/1 */
        SF_REAL,  /* double: "%.6f" as store_row_json() wrote SQLite's floats */
        SF_TRI,   /* int: -1 (SQL NULL) JSON null, else JSON true/false */
        SF_STRS,  /* StoreStrings: from text of lines (group_concat(x, char(10))), a JSON array of strings */
} StoreFieldType;

typedef struct StoreField {
        const char *name;
        StoreFieldType type;
        size_t offset;
} StoreField;

typedef struct StoreShape {
        const StoreField *f;
        size_t n;
        size_t size; /* of one row */
} StoreShape;

/* One field: member m of struct T, of the C type the field type stores (checked at build time). */
#define STORE_FIELD_(T, m, name, type, ctype)                                                         \
        { name, type,                                                                                \
          offsetof(T, m) +                                                                           \
                  0 * sizeof(char[__builtin_types_compatible_p(__typeof__(((T *) 0)->m), ctype) ? 1 : -1]) }
#define SF_INT_(T, m, name) STORE_FIELD_(T, m, name, SF_INT, int64_t)
#define SF_TEXT_(T, m, name) STORE_FIELD_(T, m, name, SF_TEXT, const char *)
#define SF_TIME_(T, m, name) STORE_FIELD_(T, m, name, SF_TIME, int64_t)
#define SF_BOOL_(T, m, name) STORE_FIELD_(T, m, name, SF_BOOL, bool)
#define SF_FLAG_(T, m, name) STORE_FIELD_(T, m, name, SF_FLAG, bool)
#define SF_REAL_(T, m, name) STORE_FIELD_(T, m, name, SF_REAL, double)
#define SF_TRI_(T, m, name) STORE_FIELD_(T, m, name, SF_TRI, int)
#define SF_STRS_(T, m, name) STORE_FIELD_(T, m, name, SF_STRS, StoreStrings)
#define STORE_SHAPE(T, fields) { fields, ELEMENTSOF(fields), sizeof(T) }

/* A new, empty StoreMem (NULL on ENOMEM); store_mem_free() accepts NULL. */
StoreMem *store_mem_new(void);
void store_mem_free(StoreMem *m);
/* sql prepared with ?1 = id, ?2 = text and ?3 = text2 bound when they are not NULL. */
int store_view_prepare(Store *s, const char *sql, int64_t id, const char *text, const char *text2, sqlite3_stmt **ret);
/* The single row of st into row (-ENOENT: none); finalizes st. */
int store_view_one(Store *s, sqlite3_stmt *st, const StoreShape *sh, StoreMem *m, void *row);
/* Every row of st into an array kept in m: *(T **) ret_v and *ret_n (NULL, 0 without rows);
 * finalizes st. */
int store_view_rows(Store *s, sqlite3_stmt *st, const StoreShape *sh, StoreMem *m, void *ret_v, size_t *ret_n);
/* Both, from sql (store_view_prepare()). */
int store_view_query_one(Store *s, const char *sql, int64_t id, const char *text, const char *text2,
                         const StoreShape *sh, StoreMem *m, void *row);
int store_view_query_rows(Store *s, const char *sql, int64_t id, const char *text, const char *text2,
                          const StoreShape *sh, StoreMem *m, void *ret_v, size_t *ret_n);
/* The fields of row as members of the JSON object being written into b (its '{' written). */
int store_put_fields(StrBuf *b, const StoreShape *sh, const void *row);
/* {fields} of one row. */
int store_put_object(StrBuf *b, const StoreShape *sh, const void *row);
/* ,"key":[{...},...] (the comma unless first in its object). */
int store_put_rows(StrBuf *b, const char *key, const StoreShape *sh, const void *v, size_t n);
extern const StoreShape store_stats_shape, store_kind_count_shape, store_status_count_shape, store_source_shape,
        store_file_failure_shape, store_rejected_shape;
extern const StoreShape store_suppression_shape;
extern const StoreShape store_host_shape, store_boot_shape, store_host_group_shape;
extern const StoreShape store_kernel_shape, store_kernel_group_shape, store_kernel_host_shape, store_kernel_vs_shape;
extern const StoreShape store_lock_shape, store_lock_head_shape, store_lock_group_shape, store_lock_edge_shape;
