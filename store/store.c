/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Connection lifecycle, migrations and the write path.
 *
 * Invariants:
 *  - A database this program did not create (other application_id, or not SQLite at all) and one
 *    whose schema is newer than ours are refused before anything is written to them.
 *  - Migrations run each in one transaction and set PRAGMA user_version as their last statement.
 *    They are frozen once on main (tests/fixtures/schema-frozen.txt holds their hashes): a
 *    database made with a migration changes nothing when the migration's text would.
 *  - Databases made while 0001 and 0002 were still being edited (before they were frozen) have
 *    the user_version of the final text but not all of its objects. schema_repair() finds them by
 *    their shape, against the schema the migrations make in an empty database, and creates what is
 *    missing with the migrations' own statements (CREATE from that schema, then the INSERT and
 *    UPDATE statements of the migrations that fill what was created). Derived tables that only a
 *    parse can fill make store_needs_rederive() true.
 *  - A report is identified by (boot, dedup_key); inserting it again is a no-op, which is what
 *    makes re-reading a source after a crash safe.
 */
#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fnv.h"
#include "json.h"
#include "macro.h"
#include "store-internal.h"
#include "time-spec.h"

extern const char schema_0001[], schema_0002[], schema_0003[], schema_0004[], schema_0005[], schema_0006[], schema_0007[],
        schema_0008[], schema_0009[], schema_0010[], schema_0011[], schema_0012[], schema_0013[], schema_0014[];

static const char *const migrations[] = { schema_0001, schema_0002, schema_0003, schema_0004, schema_0005,
                                          schema_0006, schema_0007, schema_0008, schema_0009,
                                          schema_0010, schema_0011, schema_0012, schema_0013, schema_0014 };

#define STORE_CHECK_MAX_BYTES (256LL * 1024 * 1024)

int store_schema_version(void) {
        return (int) ELEMENTSOF(migrations);
}

const char *store_error(const Store *s) {
        return s && s->error ? s->error : "";
}

int store_set_error(Store *s, int r, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        free(s->error);
        s->error = m;
        return m ? r : -ENOMEM;
}

int store_fail(Store *s, int rc) {
        free(s->error);
        s->error = strdup(sqlite3_errmsg(s->db));
        switch (rc & 0xff) {
        case SQLITE_FULL:
                return -ENOSPC;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                return -EBUSY;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
                return -EBADMSG;
        case SQLITE_NOMEM:
                return -ENOMEM;
        case SQLITE_READONLY:
                return -EROFS;
        case SQLITE_CANTOPEN:
                return -ENOENT;
        default:
                return -EIO;
        }
}

static int fail_msg(Store *s, int err, const char *msg) {
        free(s->error);
        s->error = strdup(msg);
        return err;
}

/* Runs one or more statements, each with ?1 bound to id. */
int store_exec_bind_id(Store *s, const char *sql, int64_t id) {
        const char *tail = sql;
        while (tail && *tail) {
                sqlite3_stmt *st;
                int rc = sqlite3_prepare_v2(s->db, tail, -1, &st, &tail);
                if (rc != SQLITE_OK)
                        return store_fail(s, rc);
                if (!st)
                        break;
                sqlite3_bind_int64(st, 1, id);
                rc = sqlite3_step(st);
                sqlite3_finalize(st);
                if (rc != SQLITE_DONE && rc != SQLITE_ROW)
                        return store_fail(s, rc);
        }
        return 0;
}

int store_exec(Store *s, const char *sql) {
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

static int pragma_int(Store *s, const char *sql, int *ret) {
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

/* Every group's kernel range by version (schema/0006-kernel-order.sql). */
#define KERNEL_RANGES_SQL                                                                          \
        "UPDATE groups SET"                                                                        \
        " kernel_first = (SELECT kernel FROM group_kernels WHERE grp = groups.id"                  \
        "  ORDER BY kernel COLLATE kernel_version LIMIT 1),"                                       \
        " kernel_last = (SELECT kernel FROM group_kernels WHERE grp = groups.id"                   \
        "  ORDER BY kernel COLLATE kernel_version DESC LIMIT 1);"

static int migrate(Store *s, int from) {
        for (int v = from; v < store_schema_version(); v++) {
                char set[64];
                int r = store_exec(s, "BEGIN IMMEDIATE");
                if (r < 0)
                        return r;
                r = store_exec(s, migrations[v]);
                if (r >= 0 && v == 0) {
                        snprintf(set, sizeof(set), "PRAGMA application_id = %d", STORE_APPLICATION_ID);
                        r = store_exec(s, set);
                }
                if (r >= 0) {
                        snprintf(set, sizeof(set), "PRAGMA user_version = %d", v + 1);
                        r = store_exec(s, set);
                }
                if (r >= 0)
                        r = store_exec(s, "COMMIT");
                if (r < 0) {
                        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                        return r;
                }
        }
        return 0;
}

/* ---- schema shape and repair -------------------------------------------------------------- */

/* The objects (tables, indexes, triggers) the migrations make in an empty database, with the
 * columns of each table, computed once per process. */
typedef struct RefObject {
        char *type, *name, *tbl, *sql;
        char **columns;        /* tables: "name TYPE" definitions for ALTER TABLE ... ADD COLUMN */
        char **column_names;
        size_t n_columns;
} RefObject;

static struct {
        RefObject *o;
        size_t n;
        int error;
} reference;

static pthread_once_t reference_once = PTHREAD_ONCE_INIT;

/* Objects of earlier edits of 0001/0002 that the final text does not make, and what dropping them
 * means for the rest: the trigger indexed every report as it was inserted. */
static const struct {
        const char *type, *name, *after_drop;
} legacy[] = {
        { "trigger", "reports_fts_ai", "UPDATE fts_state SET indexed_upto = (SELECT coalesce(max(id), 0) FROM reports)" },
};

static char *column_text(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return strdup(t ? (const char *) t : "");
}

static void reference_build(void) {
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL);
        if (rc == SQLITE_OK)
                rc = store_register_functions(db);
        if (rc == SQLITE_OK) /* migrations fill derived tables from reports.parsed (0013) */
                rc = store_pack_register_db(db);
        for (size_t v = 0; rc == SQLITE_OK && v < ELEMENTSOF(migrations); v++)
                rc = sqlite3_exec(db, migrations[v], NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL "
                                            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                            "ORDER BY type = 'table' DESC, rowid", -1, &st, NULL);
        while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
                RefObject *o = realloc(reference.o, (reference.n + 1) * sizeof(RefObject));
                if (!o) {
                        rc = SQLITE_NOMEM;
                        break;
                }
                reference.o = o;
                o = &reference.o[reference.n++];
                *o = (RefObject) { .type = column_text(st, 0), .name = column_text(st, 1), .tbl = column_text(st, 2),
                                   .sql = column_text(st, 3) };
                if (!o->type || !o->name || !o->tbl || !o->sql) {
                        rc = SQLITE_NOMEM;
                        break;
                }
        }
        sqlite3_finalize(st);
        for (size_t i = 0; rc == SQLITE_OK && i < reference.n; i++) {
                RefObject *o = &reference.o[i];
                char sql[300];
                if (strcmp(o->type, "table") || strstr(o->sql, "VIRTUAL TABLE"))
                        continue;
                snprintf(sql, sizeof(sql), "SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info('%s')", o->name);
                rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
                while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
                        char **c = realloc(o->columns, (o->n_columns + 1) * sizeof(char *));
                        char **cn = c ? realloc(o->column_names, (o->n_columns + 1) * sizeof(char *)) : NULL;
                        if (c)
                                o->columns = c;
                        if (cn)
                                o->column_names = cn;
                        char *def = NULL;
                        const char *dflt = (const char *) sqlite3_column_text(st, 3);
                        if (!c || !cn || asprintf(&def, "%s %s%s%s%s", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                                                  sqlite3_column_int(st, 2) ? " NOT NULL" : "", dflt ? " DEFAULT " : "",
                                                  dflt ?: "") < 0) {
                                rc = SQLITE_NOMEM;
                                break;
                        }
                        o->columns[o->n_columns] = def;
                        o->column_names[o->n_columns++] = column_text(st, 0);
                }
                sqlite3_finalize(st);
        }
        sqlite3_close(db);
        reference.error = rc == SQLITE_OK ? 0 : rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

static bool object_exists(Store *s, const char *type, const char *name) {
        sqlite3_stmt *st;
        bool found = false;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = ?1 AND name = ?2", -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, type, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
                found = sqlite3_step(st) == SQLITE_ROW;
        }
        sqlite3_finalize(st);
        return found;
}

static bool column_exists(Store *s, const char *table, const char *column) {
        sqlite3_stmt *st;
        bool found = false;
        if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st, NULL) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
                found = sqlite3_step(st) == SQLITE_ROW;
        }
        sqlite3_finalize(st);
        return found;
}

/* The length of the SQL statement at p, up to and with its ';' (a trigger body's ';' inside). */
static size_t statement_len(const char *p) {
        for (const char *q = p; (q = strchr(q, ';')); q++) {
                size_t n = (size_t) (q - p) + 1;
                char *t = strndup(p, n);
                bool complete = t && sqlite3_complete(t);
                free(t);
                if (complete)
                        return n;
        }
        return strlen(p);
}

static const char *skip_comments(const char *p) {
        for (;;) {
                p += strspn(p, " \t\r\n");
                if (p[0] != '-' || p[1] != '-')
                        return p;
                p += strcspn(p, "\n");
        }
}

/* What differs from the reference, as a message ("missing table group_hosts, column groups.kernel_first,
 * ..."), and with repair set: fixed, in the caller's transaction. Returns the number of
 * differences, or a negative errno. */
static int schema_compare(Store *s, bool repair, char *msg, size_t msg_size) {
        /* tables made or changed here: the migrations' statements that fill them run afterwards */
        const char *filled[64];
        size_t n_filled = 0, used = 0;
        int n = 0, r;

        (void) pthread_once(&reference_once, reference_build);
        if (reference.error < 0)
                return reference.error;
        msg[0] = 0;
#define NOTE(...) do {                                                                       \
                int _k = snprintf(msg + used, used < msg_size ? msg_size - used : 0, __VA_ARGS__); \
                if (_k > 0)                                                                  \
                        used = MIN(used + (size_t) _k, msg_size);                            \
                n++;                                                                         \
        } while (0)
        for (size_t i = 0; i < reference.n; i++) {
                RefObject *o = &reference.o[i];
                if (!object_exists(s, o->type, o->name)) {
                        NOTE("%s%s %s", n ? ", " : "", o->type, o->name);
                        if (repair && (r = store_exec(s, o->sql)) < 0)
                                return r;
                        if (!strcmp(o->type, "table") && n_filled < ELEMENTSOF(filled))
                                filled[n_filled++] = o->name;
                        continue;
                }
                for (size_t k = 0; k < o->n_columns; k++) {
                        if (column_exists(s, o->name, o->column_names[k]))
                                continue;
                        NOTE("%scolumn %s.%s", n ? ", " : "", o->name, o->column_names[k]);
                        if (repair) {
                                char *sql;
                                if (asprintf(&sql, "ALTER TABLE %s ADD COLUMN %s", o->name, o->columns[k]) < 0)
                                        return -ENOMEM;
                                r = store_exec(s, sql);
                                free(sql);
                                if (r < 0)
                                        return r;
                        }
                        if (n_filled < ELEMENTSOF(filled) && (!n_filled || filled[n_filled - 1] != o->name))
                                filled[n_filled++] = o->name;
                }
        }
        bool legacy_found[ELEMENTSOF(legacy)] = {};
        for (size_t i = 0; i < ELEMENTSOF(legacy); i++) {
                if (!object_exists(s, legacy[i].type, legacy[i].name))
                        continue;
                NOTE("%sobsolete %s %s", n ? ", " : "", legacy[i].type, legacy[i].name);
                legacy_found[i] = true;
                if (repair) {
                        char sql[128];
                        snprintf(sql, sizeof(sql), "DROP %s %s", legacy[i].type, legacy[i].name);
                        if ((r = store_exec(s, sql)) < 0)
                                return r;
                }
        }
#undef NOTE
        if (!repair || n == 0)
                return n;

        /* the fills, in migration order: INSERT INTO t / UPDATE t for a table t made or altered here */
        for (size_t v = 0; v < ELEMENTSOF(migrations); v++)
                for (const char *p = migrations[v]; *p;) {
                        size_t len = statement_len(p);
                        _cleanup_free_ char *sql = strndup(p, len);
                        p += len;
                        if (!sql)
                                return -ENOMEM;
                        const char *q = skip_comments(sql);
                        bool run = false;
                        for (size_t i = 0; !run && i < n_filled; i++) {
                                char a[96], b[96];
                                snprintf(a, sizeof(a), "INSERT INTO %s ", filled[i]);
                                snprintf(b, sizeof(b), "UPDATE %s SET", filled[i]);
                                run = !strncmp(q, a, strlen(a)) || !strncmp(q, b, strlen(b));
                        }
                        if (run && (r = store_exec(s, q)) < 0)
                                return r;
                }
        for (size_t i = 0; i < ELEMENTSOF(legacy); i++)
                if (legacy_found[i] && (r = store_exec(s, legacy[i].after_drop)) < 0)
                        return r;
        return n;
}

/* Writers: repairs a database made by an earlier edit of the migrations, in one transaction. */
static int schema_repair(Store *s) {
        char what[1024];
        int r = schema_compare(s, false, what, sizeof(what));
        if (r <= 0)
                return r;
        r = store_exec(s, "BEGIN IMMEDIATE");
        if (r < 0)
                return r;
        r = schema_compare(s, true, what, sizeof(what));
        if (r >= 0)
                r = store_exec(s, "COMMIT");
        if (r < 0) {
                char m[1400];
                snprintf(m, sizeof(m), "cannot repair the schema (%s): %s", what, store_error(s));
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return fail_msg(s, r, m);
        }
        free(s->repaired);
        s->repaired = strdup(what);
        return 1;
}

/* A group with reports that name lock classes but no group_classes row: the derived tables were
 * made (empty) after the reports, by a migration or a repair. */
static int check_derived(Store *s) {
        int missing = 0;
        int r = pragma_int(s, "SELECT EXISTS (SELECT 1 FROM groups g WHERE NOT EXISTS "
                              "(SELECT 1 FROM group_classes c WHERE c.grp = g.id) AND EXISTS "
                              "(SELECT 1 FROM reports r WHERE r.grp = g.id AND "
                              "(json_array_length(lockdep_parsed(r.parsed), '$.classes') > 0 OR "
                              "json_extract(lockdep_parsed(r.parsed), '$.acquiring.canonical') IS NOT NULL OR "
                              "json_extract(lockdep_parsed(r.parsed), '$.holding.canonical') IS NOT NULL)))", &missing);
        if (r < 0)
                return r;
        s->needs_rederive = missing;
        return 0;
}

bool store_needs_rederive(const Store *s) {
        return s->needs_rederive;
}

const char *store_repaired(const Store *s) {
        return s->repaired;
}

int store_open(const char *path, unsigned flags, Store **ret) {
        _cleanup_(store_closep) Store *s = NULL;
        bool ro = flags & STORE_READ_ONLY;
        struct stat st;
        int rc, r, appid = 0, version = 0;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->read_only = ro;
        if (ro && stat(path, &st) < 0) {
                r = -errno;
                (void) fail_msg(s, r, "database does not exist");
                goto fail;
        }
        rc = sqlite3_open_v2(path, &s->db,
                             /* a read-only Store is one thread's (each web worker has its own): no
                              * connection mutex around every sqlite3_column_*() call */
                             ro ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                             NULL);
        if (rc != SQLITE_OK) {
                r = s->db ? store_fail(s, rc) : -ENOMEM;
                goto fail;
        }
        /* SQLite has opened (or created) the file: this is the one the path names from now on */
        s->path = strdup(path);
        if (!s->path) {
                r = -ENOMEM;
                goto fail;
        }
        if (stat(path, &st) == 0) {
                s->dev = st.st_dev;
                s->ino = st.st_ino;
        }
        sqlite3_extended_result_codes(s->db, 1);
        sqlite3_busy_timeout(s->db, 5000);
        r = store_fleet_register(s); /* before the migrations: they may order releases */
        if (r < 0)
                goto fail;

        /* reports.parsed is read through lockdep_parsed() (store-pack.c), migrations included */
        r = store_pack_register(s);
        if (r < 0)
                goto fail;

        /* look before writing anything: is it ours, and not from the future? */
        r = pragma_int(s, "PRAGMA application_id", &appid);
        if (r >= 0)
                r = pragma_int(s, "PRAGMA user_version", &version);
        if (r < 0 && sqlite3_extended_errcode(s->db) == SQLITE_NOTADB) {
                r = fail_msg(s, -EBADMSG, "the file is not a database (not SQLite, or its header is damaged); "
                             "check the path (--db, or db = of lockdepd.conf) or restore the file from a backup");
                goto fail;
        }
        if (r < 0)
                goto fail;
        if (appid != 0 && appid != STORE_APPLICATION_ID) {
                r = fail_msg(s, -EBADMSG, "not a lockdep-analyzer database (foreign application_id); check the "
                             "path (--db, or db = of lockdepd.conf)");
                goto fail;
        }
        if (appid == 0 && version == 0) {
                int tables = 0;
                r = pragma_int(s, "SELECT count(*) FROM sqlite_master", &tables);
                if (r < 0)
                        goto fail;
                if (tables > 0) {
                        r = fail_msg(s, -EBADMSG, "not a lockdep-analyzer database (unknown tables); check the "
                                     "path (--db, or db = of lockdepd.conf)");
                        goto fail;
                }
        }
        if (version > store_schema_version()) {
                char m[128];
                snprintf(m, sizeof(m), "database schema version %d is newer than this program's (%d)",
                         version, store_schema_version());
                r = fail_msg(s, -EPROTO, m);
                goto fail;
        }
        /* quick_check reads every page: 21 s for an 11 GB database. Worth it for small files
         * (a quick, clear error for a damaged database); large ones are checked as they are read. */
        if (flags & STORE_CHECK && version > 0 && stat(path, &st) == 0 && st.st_size <= STORE_CHECK_MAX_BYTES) {
                sqlite3_stmt *q;
                rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &q, NULL);
                if (rc != SQLITE_OK) {
                        r = store_fail(s, rc);
                        goto fail;
                }
                rc = sqlite3_step(q);
                bool ok = rc == SQLITE_ROW && strcmp((const char *) sqlite3_column_text(q, 0), "ok") == 0;
                sqlite3_finalize(q);
                if (!ok) {
                        r = rc == SQLITE_ROW ? fail_msg(s, -EBADMSG, "database is corrupt (quick_check failed)")
                                             : store_fail(s, rc);
                        goto fail;
                }
        }
        if (ro) {
                char what[1024], m[1400];
                if (version < store_schema_version()) {
                        r = fail_msg(s, -EPROTO, version == 0 ? "database is empty (never written by lockdepd)"
                                                              : "database schema is older; run lockdepd or lockdepctl import once to upgrade it");
                        goto fail;
                }
                r = schema_compare(s, false, what, sizeof(what));
                if (r > 0) {
                        snprintf(m, sizeof(m), "database was made by an earlier build and lacks %s; repair it with "
                                 "'lockdepctl --db %s reparse'", what, path);
                        r = fail_msg(s, -EPROTO, m);
                        goto fail;
                }
                if (r >= 0)
                        r = store_exec(s, "PRAGMA query_only = ON");
        } else {
                r = store_exec(s, "PRAGMA journal_mode = WAL");
                if (r >= 0)
                        r = store_exec(s, "PRAGMA synchronous = NORMAL");
                if (r >= 0) /* grows only as used; the writer's working set is the indexes */
                        r = store_exec(s, "PRAGMA cache_size = -32768");
                if (r >= 0)
                        r = migrate(s, version);
                if (r >= 0)
                        r = schema_repair(s);
                /* the data step of 0006, also after a repair (whose fills are the older steps) */
                if (r >= 0 && ((version > 0 && version < 6) || r > 0))
                        r = store_exec(s, "BEGIN IMMEDIATE;" KERNEL_RANGES_SQL "COMMIT;");
                if (r < 0 && !sqlite3_get_autocommit(s->db))
                        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                if (r >= 0)
                        r = check_derived(s);
        }
        if (r >= 0)
                r = store_exec(s, "PRAGMA foreign_keys = ON");
        if (r >= 0)
                r = store_latent_register(s);
        if (r < 0)
                goto fail;
        *ret = TAKE_PTR(s);
        return 0;
fail:
        /* "unable to open database file" and "disk I/O error" name no fix; the file system does */
        if (r == -ENOENT || r == -EIO || r == -EROFS || r == -EACCES || r == -EPERM || r == -EISDIR ||
            r == -ENOTDIR) {
                char *m = NULL;
                int q = store_path_problem(path, ro, &m);
                if (q < 0 && m) {
                        free(s->error);
                        s->error = m;
                        r = q;
                }
        }
        /* keep the store object for its error message; the caller closes it */
        *ret = TAKE_PTR(s);
        return r;
}

int store_check_identity(Store *s) {
        struct stat st;
        char m[512];
        if (!s->path || (s->dev == 0 && s->ino == 0))
                return 0;
        if (stat(s->path, &st) < 0) {
                int r = -errno;
                snprintf(m, sizeof(m), "the database file %s %s", s->path,
                         r == -ENOENT ? "was deleted" : "cannot be checked");
                return fail_msg(s, r == -ENOENT ? -ENOENT : r, m);
        }
        if (st.st_dev != s->dev || st.st_ino != s->ino) {
                snprintf(m, sizeof(m), "the database file %s was replaced by another file", s->path);
                return fail_msg(s, -ESTALE, m);
        }
        return 0;
}

int store_health(Store *s) {
        int r = store_check_identity(s);
        if (r < 0)
                return r;
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, "SELECT max(id) FROM reports", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        rc = sqlite3_step(st);
        r = rc == SQLITE_ROW ? 0 : store_fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

/* ---- background checkpoints (store_checkpoint_in_background()) ------------------------------ */

/* SQLite's own autocheckpoint threshold: a checkpoint once the WAL holds this many pages */
#define CHECKPOINT_PAGES 1000
#define STORE_WAL_WAIT_PAGES 65536 /* 256 MiB of 4 KiB pages */

typedef struct Checkpointer {
        sqlite3 *db;            /* its own connection */
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        uint64_t requested, done; /* checkpoints asked for / finished (their numbers) */
        bool stop;
} Checkpointer;

static void *checkpoint_thread(void *userdata) {
        Checkpointer *c = userdata;
        pthread_mutex_lock(&c->lock);
        for (;;) {
                while (!c->stop && c->done == c->requested)
                        pthread_cond_wait(&c->cond, &c->lock);
                if (c->stop)
                        break;
                uint64_t n = c->requested;
                pthread_mutex_unlock(&c->lock);
                /* PASSIVE: copies what no reader still needs, never waits for the writer; a failure
                 * (I/O error) leaves the pages in the WAL, where the next checkpoint finds them */
                (void) sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
                pthread_mutex_lock(&c->lock);
                c->done = n;
                pthread_cond_broadcast(&c->cond);
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

/* After every commit of the writer, with the pages now in the WAL (no lock held). */
static int checkpoint_hook(void *userdata, sqlite3 *db, const char *schema, int pages) {
        Checkpointer *c = userdata;
        (void) db;
        (void) schema;
        if (pages < CHECKPOINT_PAGES)
                return SQLITE_OK;
        pthread_mutex_lock(&c->lock);
        uint64_t n = ++c->requested;
        pthread_cond_broadcast(&c->cond);
        /* a long WAL: let this checkpoint finish, so the next transaction writes the WAL from its
         * start (SQLite restarts it only when every page in it was copied) */
        while (pages >= STORE_WAL_WAIT_PAGES && c->done < n && !c->stop)
                pthread_cond_wait(&c->cond, &c->lock);
        pthread_mutex_unlock(&c->lock);
        return SQLITE_OK;
}

int store_checkpoint_in_background(Store *s) {
        if (s->read_only || s->checkpointer || !s->path)
                return 0;
        Checkpointer *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        *c = (Checkpointer) { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
        int rc = sqlite3_open_v2(s->path, &c->db, SQLITE_OPEN_READWRITE, NULL);
        /* a first read opens the WAL (a connection that has read nothing does not checkpoint it) */
        if (rc == SQLITE_OK)
                rc = sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
                sqlite3_close(c->db);
                free(c);
                return -EIO;
        }
        if (pthread_create(&c->thread, NULL, checkpoint_thread, c) != 0) {
                sqlite3_close(c->db);
                free(c);
                return -EAGAIN;
        }
        s->checkpointer = c;
        sqlite3_wal_hook(s->db, checkpoint_hook, c); /* replaces the autocheckpoint */
        return 0;
}

static void checkpointer_stop(Store *s) {
        Checkpointer *c = s->checkpointer;
        if (!c)
                return;
        sqlite3_wal_autocheckpoint(s->db, CHECKPOINT_PAGES); /* this connection checkpoints again */
        pthread_mutex_lock(&c->lock);
        c->stop = true;
        pthread_cond_broadcast(&c->cond);
        pthread_mutex_unlock(&c->lock);
        pthread_join(c->thread, NULL);
        sqlite3_close(c->db);
        free(c);
        s->checkpointer = NULL;
}

Store *store_close(Store *s) {
        if (!s)
                return NULL;
        checkpointer_stop(s);
        for (size_t i = 0; i < ELEMENTSOF(s->stmt); i++)
                sqlite3_finalize(s->stmt[i]);
        store_latent_forget(s);
        if (s->db)
                sqlite3_close_v2(s->db);
        store_pack_free(s);
        free(s->path);
        free(s->repaired);
        free(s->error);
        free(s);
        return NULL;
}

/* Fault injection for the test suite (SQLite's own tests do the same with max_page_count): when
 * $LOCKDEP_STORE_FAULT_PAGES names a file holding a number N > 0, the database may not grow beyond
 * N pages, re-read before every transaction so a test can "free disk space" while we run. */
static void apply_fault_injection(Store *s) {
        const char *path = getenv("LOCKDEP_STORE_FAULT_PAGES");
        char sql[64];
        long long n = 0;
        if (!path)
                return;
        FILE *f = fopen(path, "re");
        if (f) {
                if (fscanf(f, "%lld", &n) != 1)
                        n = 0;
                fclose(f);
        }
        snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", n > 0 ? n : 4294967294LL);
        sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

int store_data_version(Store *s, uint64_t *ret) {
        int v = 0;
        int r = pragma_int(s, "PRAGMA data_version", &v);
        if (r >= 0)
                *ret = (uint64_t) (unsigned) v;
        return r;
}

int store_begin(Store *s) {
        apply_fault_injection(s);
        return store_exec(s, "BEGIN IMMEDIATE");
}

int store_commit(Store *s) {
        int r = store_exec(s, "COMMIT");
        if (r < 0) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                store_latent_forget(s);
        }
        return r;
}

void store_rollback(Store *s) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        store_latent_forget(s); /* class ids of the rolled back transaction are gone */
}

/* Prepared once per connection, reset after each use. */
sqlite3_stmt *store_stmt(Store *s, StmtId id, const char *sql) {
        if (!s->stmt[id] && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[id], NULL) != SQLITE_OK)
                return NULL;
        sqlite3_reset(s->stmt[id]);
        sqlite3_clear_bindings(s->stmt[id]);
        return s->stmt[id];
}

static void bind_text(sqlite3_stmt *st, int i, const char *v) {
        if (v)
                sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
        else
                sqlite3_bind_null(st, i);
}

/* Runs a prepared statement to completion; returns the first column of the first row (or 0). */
static int step_id(Store *s, sqlite3_stmt *st, int64_t *ret) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                if (ret)
                        *ret = sqlite3_column_int64(st, 0);
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW)
                        rc = SQLITE_DONE;
        } else if (ret)
                *ret = 0;
        int r = rc == SQLITE_DONE ? 0 : store_fail(s, rc);
        sqlite3_reset(st);
        return r;
}

#define STMT(s, id, sql)                                            \
        ({                                                          \
                sqlite3_stmt *_st = store_stmt((s), (id), (sql));   \
                if (!_st)                                           \
                        return store_fail((s), sqlite3_errcode((s)->db)); \
                _st;                                                \
        })

/* A host is its machine id, or "name:<hostname>" when none is known. */
static void host_key(const StoreOrigin *o, char key[static 300]) {
        if (o->machine_id && *o->machine_id)
                snprintf(key, 300, "%s", o->machine_id);
        else
                snprintf(key, 300, "name:%s", o->hostname && *o->hostname ? o->hostname : "localhost");
}

/* host_id(), boot_id() and store_group_upsert() look first and write only what is new or changed:
 * one statement instead of two for the common case, a row that exists as it should. */
static int host_id(Store *s, const StoreOrigin *o, int64_t *ret) {
        char key[300];
        const char *hostname = o->hostname && *o->hostname ? o->hostname : NULL;
        host_key(o, key);
        sqlite3_stmt *st = STMT(s, STMT_HOST_FIND, "SELECT id FROM hosts WHERE key = ?1 AND (?2 IS NULL OR hostname IS ?2)");
        bind_text(st, 1, key);
        bind_text(st, 2, hostname);
        int64_t id = 0;
        int r = step_id(s, st, &id);
        if (r < 0)
                return r;
        if (id > 0) {
                *ret = id;
                return 0;
        }
        st = STMT(s, STMT_HOST_INSERT,
                                "INSERT INTO hosts (key, machine_id, hostname) VALUES (?1, ?2, ?3) "
                                "ON CONFLICT (key) DO UPDATE SET hostname = coalesce(excluded.hostname, hostname)");
        bind_text(st, 1, key);
        bind_text(st, 2, o->machine_id && *o->machine_id ? o->machine_id : NULL);
        bind_text(st, 3, hostname);
        r = step_id(s, st, NULL);
        if (r < 0)
                return r;
        st = STMT(s, STMT_HOST_GET, "SELECT id FROM hosts WHERE key = ?1");
        bind_text(st, 1, key);
        return step_id(s, st, ret);
}

static int boot_id(Store *s, const StoreOrigin *o, const char *kernel, int64_t *ret, int64_t *ret_host) {
        int64_t host;
        char derived[200];
        int r = host_id(s, o, &host);
        if (r < 0)
                return r;
        const char *b = o->boot_id;
        if (!b || !*b) {
                /* saved logs carry no boot id: one pseudo boot per host and kernel release */
                snprintf(derived, sizeof(derived), "kernel:%s", kernel ? kernel : "unknown");
                b = derived;
        }
        if (ret_host)
                *ret_host = host;
        sqlite3_stmt *st = STMT(s, STMT_BOOT_FIND, "SELECT id FROM boots WHERE host = ?1 AND boot_id = ?2 "
                                                   "AND (kernel IS NOT NULL OR ?3 IS NULL)");
        sqlite3_bind_int64(st, 1, host);
        bind_text(st, 2, b);
        bind_text(st, 3, kernel);
        int64_t id = 0;
        r = step_id(s, st, &id);
        if (r < 0)
                return r;
        if (id > 0) {
                *ret = id;
                return 0;
        }
        st = STMT(s, STMT_BOOT_INSERT,
                                "INSERT INTO boots (host, boot_id, kernel, first_seen) VALUES (?1, ?2, ?3, ?4) "
                                "ON CONFLICT (host, boot_id) DO UPDATE SET kernel = coalesce(kernel, excluded.kernel)");
        sqlite3_bind_int64(st, 1, host);
        bind_text(st, 2, b);
        bind_text(st, 3, kernel);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) o->realtime);
        r = step_id(s, st, NULL);
        if (r < 0)
                return r;
        st = STMT(s, STMT_BOOT_GET, "SELECT id FROM boots WHERE host = ?1 AND boot_id = ?2");
        sqlite3_bind_int64(st, 1, host);
        bind_text(st, 2, b);
        if (ret_host)
                *ret_host = host;
        return step_id(s, st, ret);
}

/* Report identity (issues 10 and 12): the same report read twice (kmsg and journal, a source re-read
 * after a crash), in two renderings (a console log with kernel timestamps, journalctl text without
 * them) or first cut short and later whole (ingest of a partial log, a log that grew, an idle
 * flush) is one report. Its first IDENTITY_LINES lines (title, kernel, the task with its pid, the
 * lock lines with their addresses) identify it; blanks do not count, so re-indented or re-wrapped
 * text is the same. The key is "i2-<hash>-<kernel timestamp>", the timestamp empty when the
 * rendering has none: a copy without one is the same report as a copy with any (see find_report()),
 * two copies with different timestamps are two occurrences. A report cut before its
 * IDENTITY_LINES'th line has an identity of its own. "i2-" keeps these keys apart from the older
 * "ts-hash" ones. */
#define IDENTITY_LINES 8

void store_dedup_key(const LockdepReport *r, char ret[static 64]) {
        /* two 64-bit FNV-1a variants in one pass: 128 bits against accidental collisions */
        uint64_t a = FNV1A64_INIT, b = 0x84222325cbf29ce4ULL;
        unsigned lines = 0;
        for (size_t i = 0; i < r->text_len && lines < IDENTITY_LINES; i++) {
                unsigned char c = (unsigned char) r->text[i];
                if (c == '\n')
                        lines++;
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
                        continue;
                a = fnv1a64_step(a, c);
                b = fnv1a64_step(b, c);
        }
        int n = snprintf(ret, 64, "i2-%016llx%016llx-", (unsigned long long) a, (unsigned long long) b);
        if (r->has_ts)
                snprintf(ret + n, (size_t) (64 - n), "%llu", (unsigned long long) r->ts_usec);
}

/* The stored copy of a report (store_dedup_key()) in this boot: the same key, or, when one of the
 * two has no kernel timestamp, the same identity. 0 if none. */
static int find_report(Store *s, int64_t boot, const char *key, int64_t *ret) {
        char base[64], end[64];
        size_t bl = strchr(key + 3, '-') - key + 1; /* "i2-<hash>-" */
        memcpy(base, key, bl);
        base[bl] = 0;
        memcpy(end, key, bl);
        end[bl - 1] = '.'; /* the character after '-': the end of the "i2-<hash>-*" range */
        end[bl] = 0;
        /* one range of the (boot, dedup_key) index: the keys of this identity; an OR of
         * equalities and a range scanned every report of the boot (a saved log's pseudo boot can
         * hold thousands) */
        sqlite3_stmt *st = store_stmt(s, STMT_REPORT_FIND,
                                      "SELECT id FROM reports WHERE boot = ?1 AND dedup_key >= ?3 AND dedup_key < ?5"
                                      " AND (dedup_key = ?2 OR dedup_key = ?3 OR ?4) LIMIT 1");
        if (!st)
                return store_fail(s, sqlite3_errcode(s->db));
        sqlite3_bind_int64(st, 1, boot);
        bind_text(st, 2, key);
        bind_text(st, 3, base);
        sqlite3_bind_int(st, 4, key[bl] == 0); /* no timestamp: any timestamp */
        bind_text(st, 5, end);
        return step_id(s, st, ret);
}

/* The edges of a stored copy of a report are those its parse lists (reports.parsed "edges": the
 * parser's LockdepReport.edges, what store_report_derived() counted when the copy was stored);
 * ?2 is that parse. Rows parsed before edges[] existed list none: their edges are counted by the
 * rule of that time until a reparse or a rebuild recounts them. */
#define OLD_EDGES "old AS MATERIALIZED (SELECT x.value ->> 'from' AS f, x.value ->> 'to' AS t " \
                  "FROM json_each(lockdep_parsed(?2), '$.edges') x) "

static int exec_old_edges(Store *s, const char *sql, int64_t id, const void *old_parsed, int old_size,
                          bool old_text, int64_t grp) {
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        sqlite3_bind_int64(st, 1, id);
        if (old_text)
                sqlite3_bind_text(st, 2, old_parsed, old_size, SQLITE_STATIC);
        else
                sqlite3_bind_blob(st, 2, old_parsed, old_size, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, grp);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

/* Both NULL, or the same text. */
static bool same_text(const char *a, const char *b) {
        return a == b || (a && b && !strcmp(a, b));
}

/* A report stored before under the same identity is replaced by a better copy: a complete one for a
 * truncated one, a longer truncated one, one that parsed for a degraded one. In place (the row
 * keeps its id and first time, so the full-text index stays consistent); its edges and group
 * counts follow the new copy: the old copy's edges (those its stored parse lists) count one report
 * less, the new copy's one more (store_report_derived(), the parser's edges, as for an insert), an
 * edge no report has any more is deleted and a group keeps an edge only while one of its reports
 * has it; the same rows a reparse makes. Returns 1 if replaced, 0 if the stored copy is as good. */
static int replace_report(Store *s, int64_t id, const LockdepReport *r, const void *packed, size_t packed_size,
                          const void *logged, size_t logged_size, const char *key, int64_t grp, int64_t host) {
        sqlite3_stmt *st;
        _cleanup_free_ void *old_parsed = NULL;
        int old_size = 0;
        int rc = sqlite3_prepare_v2(s->db,
                                    "SELECT truncated, length(CAST(raw AS BLOB)), coalesce(json_extract(lockdep_parsed(parsed), '$.degraded'), 0), grp, time, parsed, "
                                    "json_extract(lockdep_parsed(parsed), '$.task') FROM reports WHERE id = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        sqlite3_bind_int64(st, 1, id);
        if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
                sqlite3_finalize(st);
                return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
        }
        bool old_trunc = sqlite3_column_int(st, 0), old_degraded = sqlite3_column_int(st, 2);
        int64_t old_len = sqlite3_column_int64(st, 1), old_grp = sqlite3_column_int64(st, 3);
        uint64_t t = (uint64_t) sqlite3_column_int64(st, 4);
        bool old_text = sqlite3_column_type(st, 5) == SQLITE_TEXT; /* rows from before schema 0006 */
        const char *ot = (const char *) sqlite3_column_text(st, 6);
        _cleanup_free_ char *old_task = ot ? strdup(ot) : NULL;
        if (ot && !old_task) {
                sqlite3_finalize(st);
                return -ENOMEM;
        }
        bool better = (old_trunc && (!r->truncated || (int64_t) r->text_len > old_len)) ||
                      (old_degraded && !r->degraded && !r->truncated);
        if (better && sqlite3_column_type(st, 5) != SQLITE_NULL) {
                old_size = sqlite3_column_bytes(st, 5);
                old_parsed = malloc((size_t) old_size + 1);
                if (!old_parsed) {
                        sqlite3_finalize(st);
                        return -ENOMEM;
                }
                memcpy(old_parsed, sqlite3_column_blob(st, 5), (size_t) old_size);
        }
        sqlite3_finalize(st);
        if (!better)
                return 0;
        /* the old copy's edges count one report less (once per time its parse lists them, as
         * add_edge() counted them) */
        int q = 0;
        if (old_parsed)
                q = exec_old_edges(s,
                                   "WITH " OLD_EDGES
                                   "UPDATE lock_edges SET n = n - (SELECT count(*) FROM old"
                                   " WHERE old.f = lock_edges.from_class AND old.t = lock_edges.to_class)"
                                   " WHERE (from_class, to_class) IN (SELECT f, t FROM old)",
                                   id, old_parsed, old_size, old_text, old_grp);
        if (q < 0)
                return q;
        rc = sqlite3_prepare_v2(s->db,
                                "UPDATE reports SET grp = ?2, kind = ?3, truncated = ?4, raw = ?5, parsed = ?6,"
                                " usec = coalesce(?8, usec), dedup_key = CASE WHEN ?8 IS NULL THEN dedup_key ELSE ?7 END,"
                                " logged = ?9 WHERE id = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, grp);
        bind_text(st, 3, lockdep_kind_to_string(r->kind));
        sqlite3_bind_int(st, 4, r->truncated);
        sqlite3_bind_text(st, 5, r->text, (int) r->text_len, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 6, packed, (int) packed_size, SQLITE_STATIC);
        bind_text(st, 7, key);
        if (r->has_ts)
                sqlite3_bind_int64(st, 8, (sqlite3_int64) r->ts_usec);
        if (logged) /* (the dictionary of logged is the raw text bound above: both change) */
                sqlite3_bind_blob(st, 9, logged, (int) logged_size, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return store_fail(s, rc);
        q = store_report_derived(s, id, grp, r, t);
        /* an edge of the old copy that no report has now is gone (edge_groups follow by cascade);
         * the old group keeps the others only while one of its reports lists them (this one
         * first: the new copy, when it stayed in the group, mostly has the same edges) */
        if (q >= 0 && old_parsed)
                q = exec_old_edges(s,
                                   "WITH " OLD_EDGES
                                   "DELETE FROM lock_edges WHERE n <= 0 AND (from_class, to_class) IN (SELECT f, t FROM old)",
                                   id, old_parsed, old_size, old_text, old_grp);
        if (q >= 0 && old_parsed)
                q = exec_old_edges(s,
                                   "WITH " OLD_EDGES
                                   "DELETE FROM edge_groups WHERE grp = ?3 AND edge IN (SELECT e.id FROM old JOIN lock_edges e"
                                   " ON e.from_class = old.f AND e.to_class = old.t"
                                   " WHERE NOT EXISTS (SELECT 1 FROM reports r, json_each(lockdep_parsed(r.parsed), '$.edges') x"
                                   "  WHERE r.id = ?1 AND r.grp = ?3 AND x.value ->> 'from' = e.from_class AND x.value ->> 'to' = e.to_class)"
                                   " AND NOT EXISTS (SELECT 1 FROM reports r, json_each(lockdep_parsed(r.parsed), '$.edges') x"
                                   "  WHERE r.grp = ?3 AND x.value ->> 'from' = e.from_class AND x.value ->> 'to' = e.to_class))",
                                   id, old_parsed, old_size, old_text, old_grp);
        /* the report's task counts where it is now, as the copy says */
        if (q >= 0 && (grp != old_grp || !same_text(old_task, r->task)))
                q = store_group_task(s, old_grp, old_task, -1);
        if (q >= 0 && (grp != old_grp || !same_text(old_task, r->task)))
                q = store_group_task(s, grp, r->task, 1);
        if (q >= 0 && grp != old_grp) {
                /* the report moved to another group: both recounted, the old one gone if empty */
                q = store_group_recount(s, old_grp);
                if (q >= 0)
                        q = store_group_recount(s, grp);
                if (q >= 0)
                        q = store_exec_bind_id(s, "DELETE FROM groups WHERE id = ?1 AND n_reports = 0", old_grp);
        }
        (void) host;
        return q < 0 ? q : 1;
}

int store_group_upsert(Store *s, const LockdepReport *r, uint64_t t, int64_t *ret_id, bool *ret_new) {
        sqlite3_stmt *st = STMT(s, STMT_GROUP_GET, "SELECT id FROM groups WHERE signature = ?1 AND sig_version = ?2");
        bind_text(st, 1, r->signature);
        sqlite3_bind_int(st, 2, (int) r->sig_version);
        int64_t id = 0;
        int q = step_id(s, st, &id);
        if (q < 0)
                return q;
        if (id == 0) {
                /* the signature of a group merged away: the report goes to the group it went into
                 * (and is shown with that group's history, which holds the old one's); a group
                 * deleted because its reports all went elsewhere is not followed */
                int64_t gone = 0;
                st = STMT(s, STMT_GROUP_TOMBSTONE,
                          "SELECT id FROM group_tombstones WHERE signature = ?1 AND reason = 'merge' ORDER BY at DESC, id DESC LIMIT 1");
                bind_text(st, 1, r->signature);
                q = step_id(s, st, &gone);
                if (q < 0)
                        return q;
                if (gone > 0) {
                        q = store_group_successor(s, gone, &id);
                        if (q < 0 && q != -ENOENT)
                                return q;
                        if (q < 0)
                                id = 0;
                }
        }
        if (id > 0) {
                if (ret_new)
                        *ret_new = false;
                *ret_id = id;
                return 0;
        }
        st = STMT(s, STMT_GROUP_INSERT,
                                "INSERT INTO groups (signature, sig_version, kind, key, func_title, first_seen, last_seen) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT (signature, sig_version) DO NOTHING");
        bind_text(st, 1, r->signature);
        sqlite3_bind_int(st, 2, (int) r->sig_version);
        bind_text(st, 3, lockdep_kind_to_string(r->kind));
        bind_text(st, 4, r->key);
        bind_text(st, 5, r->func_title);
        sqlite3_bind_int64(st, 6, (sqlite3_int64) t);
        q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        if (ret_new)
                *ret_new = sqlite3_changes(s->db) > 0;
        st = STMT(s, STMT_GROUP_GET, "SELECT id FROM groups WHERE signature = ?1 AND sig_version = ?2");
        bind_text(st, 1, r->signature);
        sqlite3_bind_int(st, 2, (int) r->sig_version);
        return step_id(s, st, ret_id);
}

/* delta reports of task (NULL: none named) more in grp's group_tasks (schema/0013-group-detail.sql) */
int store_group_task(Store *s, int64_t grp, const char *task, int delta) {
        sqlite3_stmt *st = STMT(s, STMT_GROUP_TASK,
                                "INSERT INTO group_tasks (grp, task, n) VALUES (?1, ?2, ?3) "
                                "ON CONFLICT (grp, task) DO UPDATE SET n = n + excluded.n");
        sqlite3_bind_int64(st, 1, grp);
        bind_text(st, 2, task ?: "");
        sqlite3_bind_int(st, 3, delta);
        int q = step_id(s, st, NULL);
        if (q < 0 || delta > 0)
                return q;
        st = STMT(s, STMT_GROUP_TASK_DROP, "DELETE FROM group_tasks WHERE grp = ?1 AND task = ?2 AND n <= 0");
        sqlite3_bind_int64(st, 1, grp);
        bind_text(st, 2, task ?: "");
        return step_id(s, st, NULL);
}

/* One more report in a group: counts and times move incrementally, n_hosts through group_hosts. */
int store_group_count(Store *s, int64_t grp, int64_t host, uint64_t t, const char *kernel, const char *task) {
        /* no RETURNING here or in add_edge(): SQLite runs it as a temporary trigger with its own
         * statement journal, 50 us a statement, most of an insert into a large database */
        sqlite3_stmt *st = STMT(s, STMT_GROUP_HOST,
                                "INSERT INTO group_hosts (grp, host, n) VALUES (?1, ?2, 1) "
                                "ON CONFLICT (grp, host) DO UPDATE SET n = n + 1");
        int64_t n = 0;
        sqlite3_bind_int64(st, 1, grp);
        sqlite3_bind_int64(st, 2, host);
        int q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_GROUP_HOST_N, "SELECT n FROM group_hosts WHERE grp = ?1 AND host = ?2");
        sqlite3_bind_int64(st, 1, grp);
        sqlite3_bind_int64(st, 2, host);
        q = step_id(s, st, &n);
        if (q < 0)
                return q;
        if (kernel) {
                st = STMT(s, STMT_GROUP_KERNEL,
                          "INSERT INTO group_kernels (grp, kernel, n) VALUES (?1, ?2, 1) "
                          "ON CONFLICT (grp, kernel) DO UPDATE SET n = n + 1");
                sqlite3_bind_int64(st, 1, grp);
                bind_text(st, 2, kernel);
                q = step_id(s, st, NULL);
                if (q < 0)
                        return q;
        }
        q = store_group_task(s, grp, task, 1);
        if (q < 0)
                return q;
        /* the right-hand sides see the old row: first/last seen before this report */
        st = STMT(s, STMT_GROUP_BUMP,
                  "UPDATE groups SET n_reports = n_reports + 1, n_hosts = n_hosts + ?3, "
                  "kernel_first = CASE WHEN ?4 IS NOT NULL AND (kernel_first IS NULL OR ?4 < kernel_first COLLATE kernel_version) "
                  "THEN ?4 ELSE kernel_first END, "
                  "kernel_last = CASE WHEN ?4 IS NOT NULL AND (kernel_last IS NULL OR ?4 > kernel_last COLLATE kernel_version) "
                  "THEN ?4 ELSE kernel_last END, "
                  "first_seen = min(first_seen, ?2), last_seen = max(last_seen, ?2) WHERE id = ?1");
        sqlite3_bind_int64(st, 1, grp);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) t);
        sqlite3_bind_int(st, 3, n == 1);
        bind_text(st, 4, kernel);
        return step_id(s, st, NULL);
}

static int add_edge(Store *s, int64_t grp, const char *from, const char *to, uint64_t t, const char *kernel) {
        int64_t edge = 0;
        sqlite3_stmt *st = STMT(s, STMT_EDGE,
                                "INSERT INTO lock_edges (from_class, to_class, first_seen, last_seen, first_kernel, n) "
                                "VALUES (?1, ?2, ?3, ?3, ?4, 1) ON CONFLICT (from_class, to_class) DO UPDATE SET "
                                "n = n + 1, first_seen = min(first_seen, excluded.first_seen), "
                                "last_seen = max(last_seen, excluded.last_seen), "
                                "first_kernel = CASE WHEN excluded.first_seen < first_seen THEN excluded.first_kernel ELSE first_kernel END");
        bind_text(st, 1, from);
        bind_text(st, 2, to);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) t);
        bind_text(st, 4, kernel);
        int q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_EDGE_GET, "SELECT id FROM lock_edges WHERE from_class = ?1 AND to_class = ?2");
        bind_text(st, 1, from);
        bind_text(st, 2, to);
        q = step_id(s, st, &edge);
        if (q < 0)
                return q;
        st = STMT(s, STMT_EDGE_GROUP, "INSERT OR IGNORE INTO edge_groups (edge, grp) VALUES (?1, ?2)");
        sqlite3_bind_int64(st, 1, edge);
        sqlite3_bind_int64(st, 2, grp);
        return step_id(s, st, NULL);
}

static bool same_class(const LockdepLock *a, const LockdepLock *b) {
        return a->class && b->class && !strcmp(a->class, b->class) &&
               ((!a->canonical && !b->canonical) || (a->canonical && b->canonical && !strcmp(a->canonical, b->canonical)));
}

/* Is l one of the first n chain entries' locks? */
static bool class_seen(const LockdepReport *r, size_t n, const LockdepLock *l) {
        if (!l || !l->class)
                return true; /* nothing to add */
        for (size_t i = 0; i < n; i++)
                if (same_class(&r->chain[i].lock, l))
                        return true;
        return false;
}

static int add_class(Store *s, int64_t grp, const LockdepLock *l) {
        if (!l || !l->class)
                return 0;
        sqlite3_stmt *st = STMT(s, STMT_CLASS, "INSERT OR IGNORE INTO lock_classes (name, canonical) VALUES (?1, ?2)");
        bind_text(st, 1, l->class);
        bind_text(st, 2, l->canonical);
        int q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_GROUP_CLASS, "INSERT OR IGNORE INTO group_classes (grp, canonical) VALUES (?1, ?2)");
        sqlite3_bind_int64(st, 1, grp);
        bind_text(st, 2, l->canonical);
        q = step_id(s, st, NULL);
        if (q < 0 || !l->canonical || !strcmp(l->class, l->canonical))
                return q;
        /* a name printed for another class: the group page's "normalizations" */
        st = STMT(s, STMT_GROUP_NAME, "INSERT OR IGNORE INTO group_names (grp, canonical, printed) VALUES (?1, ?2, ?3)");
        sqlite3_bind_int64(st, 1, grp);
        bind_text(st, 2, l->canonical);
        bind_text(st, 3, l->class);
        return step_id(s, st, NULL);
}

/* The classes and lock-order edges of one report (DESIGN.md section 6). Its chain (classes and
 * stacks) is kept in reports.parsed only: the chain_links table that repeated it was never read
 * (dropped by schema 0006). */
int store_report_derived(Store *s, int64_t report, int64_t grp, const LockdepReport *r, uint64_t t) {
        int q = 0;
        (void) report;
        /* each class once: the acquiring and holding locks are in the chain, chains repeat classes */
        for (size_t i = 0; q >= 0 && i < r->n_chain; i++)
                if (!class_seen(r, i, &r->chain[i].lock))
                        q = add_class(s, grp, &r->chain[i].lock);
        if (q >= 0 && !class_seen(r, r->n_chain, r->acquiring))
                q = add_class(s, grp, r->acquiring);
        if (q >= 0 && !class_seen(r, r->n_chain, r->holding) &&
            !(r->acquiring && r->holding && same_class(r->acquiring, r->holding)))
                q = add_class(s, grp, r->holding);
        for (size_t i = 0; q >= 0 && i < r->n_held; i++)
                q = 0; /* held locks are context, not part of the group */
        if (q < 0)
                return q;

        /* the edges the parser found (LockdepReport.edges: the one rule, with their sites, which
         * reports.parsed keeps and store_group_json() reads from the representative) */
        for (size_t i = 0; q >= 0 && i < r->n_edges; i++)
                q = add_edge(s, grp, r->edges[i].from, r->edges[i].to, t, r->kernel);
        return q;
}

/* A report of grp on kernel, a release at or after the group's fixed-in release: the fix did not
 * hold. The status becomes "regressed", logged as the release it came back on (action
 * "regressed") and as the status (replayed after a reparse). */
static int group_check_regressed(Store *s, int64_t grp, const char *kernel) {
        sqlite3_stmt *st = STMT(s, STMT_GROUP_REGRESSED,
                                "SELECT substr(status, 10) FROM groups WHERE id = ?1 AND status GLOB 'fixed-in ?*' "
                                "AND ?2 >= substr(status, 10) COLLATE kernel_version");
        sqlite3_bind_int64(st, 1, grp);
        bind_text(st, 2, kernel);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                snprintf(s->last_fixed, sizeof(s->last_fixed), "%s", (const char *) sqlite3_column_text(st, 0));
        sqlite3_reset(st);
        if (rc == SQLITE_DONE)
                return 0;
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        st = STMT(s, STMT_GROUP_REGRESSED_SET,
                  "UPDATE groups SET status = 'regressed' WHERE id = ?1 AND ?2 = ?2");
        sqlite3_bind_int64(st, 1, grp);
        bind_text(st, 2, kernel);
        int q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_GROUP_REGRESSED_LOG,
                  "INSERT INTO triage_log (signature, at, action, value) "
                  "SELECT signature, ?2, 'regressed', ?3 FROM groups WHERE id = ?1 UNION ALL "
                  "SELECT signature, ?2, 'status', 'regressed' FROM groups WHERE id = ?1");
        sqlite3_bind_int64(st, 1, grp);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) store_now());
        bind_text(st, 3, kernel);
        q = step_id(s, st, NULL);
        if (q >= 0)
                s->last_regressed = grp;
        return q;
}

int store_add_report(Store *s, const StoreOrigin *o, const LockdepReport *r, int64_t *ret_group,
                     bool *ret_new_group) {
        _cleanup_free_ char *js = NULL;
        _cleanup_free_ void *packed = NULL, *logged = NULL;
        size_t packed_size = 0, logged_size = 0;

        s->last_report = 0;
        s->last_replaced = false;
        s->last_regressed = 0;
        int q = lockdep_report_to_json(r, &js);
        if (q < 0)
                return q;
        q = store_pack_json(s, js, &packed, &packed_size);
        if (q < 0)
                return q;
        q = store_pack_logged_s(s, r, &logged, &logged_size);
        if (q < 0)
                return q;
        return store_add_report_packed(s, o, r, packed, packed_size, logged, logged_size, ret_group, ret_new_group);
}

int store_add_report_packed(Store *s, const StoreOrigin *o, const LockdepReport *r, const void *packed,
                            size_t packed_size, const void *logged, size_t logged_size, int64_t *ret_group,
                            bool *ret_new_group) {
        char key[64], pos[32];
        int64_t boot, host, grp, id;
        bool new_group = false;
        int q;

        s->last_report = 0;
        s->last_replaced = false;
        s->last_regressed = 0;
        q = boot_id(s, o, r->kernel, &boot, &host);
        if (q < 0)
                return q;
        q = store_group_upsert(s, r, o->realtime, &grp, &new_group);
        if (q < 0)
                return q;
        store_dedup_key(r, key);
        snprintf(pos, sizeof(pos), "%llu", (unsigned long long) r->first_pos);

        int64_t found = 0;
        q = find_report(s, boot, key, &found);
        if (q < 0)
                return q;
        if (found > 0) {
                /* stored before (report identity, see store_dedup_key()): keep the better copy */
                s->last_report = found;
                q = replace_report(s, found, r, packed, packed_size, logged, logged_size, key, grp, host);
                s->last_replaced = q > 0;
                if (q >= 0 && new_group) { /* created for a duplicate: undo (unless it took it) */
                        sqlite3_stmt *d = STMT(s, STMT_GROUP_DELETE_EMPTY, "DELETE FROM groups WHERE id = ?1 AND n_reports = 0");
                        sqlite3_bind_int64(d, 1, grp);
                        int e = step_id(s, d, NULL);
                        if (e < 0)
                                return e;
                        /* a group that never held a report leaves no tombstone (its id was never shown) */
                        e = store_exec_bind_id(s, "DELETE FROM group_tombstones WHERE id = ?1 AND "
                                               "NOT EXISTS (SELECT 1 FROM groups WHERE id = ?1)", grp);
                        if (e < 0)
                                return e;
                }
                if (q > 0 && ret_group)
                        *ret_group = grp;
                if (q > 0 && ret_new_group)
                        *ret_new_group = new_group;
                return q < 0 ? q : 0;
        }

        sqlite3_stmt *st = STMT(s, STMT_REPORT_INSERT,
                                "INSERT INTO reports (boot, grp, source, position, usec, time, kind, truncated, dedup_key, raw, parsed, logged) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        sqlite3_bind_int64(st, 1, boot);
        sqlite3_bind_int64(st, 2, grp);
        bind_text(st, 3, o->source);
        bind_text(st, 4, pos);
        if (r->has_ts)
                sqlite3_bind_int64(st, 5, (sqlite3_int64) r->ts_usec);
        sqlite3_bind_int64(st, 6, (sqlite3_int64) o->realtime);
        bind_text(st, 7, lockdep_kind_to_string(r->kind));
        sqlite3_bind_int(st, 8, r->truncated);
        bind_text(st, 9, key);
        sqlite3_bind_text(st, 10, r->text, (int) r->text_len, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 11, packed, (int) packed_size, SQLITE_STATIC);
        if (logged)
                sqlite3_bind_blob(st, 12, logged, (int) logged_size, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 12);
        q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        id = sqlite3_last_insert_rowid(s->db);
        q = store_report_derived(s, id, grp, r, o->realtime);
        if (q >= 0)
                q = store_group_count(s, grp, host, o->realtime, r->kernel, r->task);
        if (q >= 0 && !new_group && r->kernel)
                q = group_check_regressed(s, grp, r->kernel);
        if (q < 0)
                return q;
        if (ret_group)
                *ret_group = grp;
        if (ret_new_group)
                *ret_new_group = new_group;
        s->last_report = id;
        return 1;
}

int64_t store_last_regressed(const Store *s, const char **ret_fixed) {
        if (ret_fixed)
                *ret_fixed = s->last_regressed ? s->last_fixed : NULL;
        return s->last_regressed;
}

int64_t store_last_report(const Store *s) {
        return s->last_report;
}

bool store_last_replaced(const Store *s) {
        return s->last_replaced;
}

int store_set_lockdep_off(Store *s, const StoreOrigin *o, uint64_t usec, const char *reason) {
        int64_t boot;
        int q = boot_id(s, o, NULL, &boot, NULL);
        if (q < 0)
                return q;
        sqlite3_stmt *st = STMT(s, STMT_BOOT_OFF,
                                "UPDATE boots SET lockdep_off_at = ?2, lockdep_off_reason = ?3 "
                                "WHERE id = ?1 AND (lockdep_off_at IS NULL OR lockdep_off_at > ?2)");
        sqlite3_bind_int64(st, 1, boot);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) usec);
        bind_text(st, 3, reason);
        return step_id(s, st, NULL);
}

int store_add_gap(Store *s, const StoreOrigin *o, int64_t missed) {
        int64_t boot;
        int q = boot_id(s, o, NULL, &boot, NULL);
        if (q < 0)
                return q;
        sqlite3_stmt *st = STMT(s, STMT_GAP, "INSERT INTO gaps (source, boot, at, missed) VALUES (?1, ?2, ?3, ?4)");
        bind_text(st, 1, o->source);
        sqlite3_bind_int64(st, 2, boot);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) o->realtime);
        sqlite3_bind_int64(st, 4, missed);
        return step_id(s, st, NULL);
}

int store_host_heard(Store *s, const StoreOrigin *o, uint64_t last_entry, uint64_t read_at) {
        char key[300];
        host_key(o, key);
        sqlite3_stmt *st = STMT(s, STMT_HOST_HEARD,
                                "INSERT INTO hosts (key, machine_id, hostname, journal_read, journal_last_entry) "
                                "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET "
                                "hostname = coalesce(excluded.hostname, hostname), "
                                "journal_read = max(coalesce(journal_read, 0), excluded.journal_read), "
                                "journal_last_entry = max(coalesce(journal_last_entry, 0), "
                                "coalesce(excluded.journal_last_entry, 0))");
        bind_text(st, 1, key);
        bind_text(st, 2, o->machine_id && *o->machine_id ? o->machine_id : NULL);
        bind_text(st, 3, o->hostname && *o->hostname ? o->hostname : NULL);
        sqlite3_bind_int64(st, 4, (sqlite3_int64) read_at);
        if (last_entry > 0)
                sqlite3_bind_int64(st, 5, (sqlite3_int64) last_entry);
        return step_id(s, st, NULL);
}

int store_journal_file_status(Store *s, const char *source, const char *file, int err, const char *message,
                              uint64_t now) {
        sqlite3_stmt *st;
        if (err == 0) {
                st = STMT(s, STMT_JFILE_OK,
                          "UPDATE journal_files_failed SET ok_since = ?3 "
                          "WHERE source = ?1 AND (?2 IS NULL OR file = ?2) AND ok_since IS NULL");
        } else {
                st = STMT(s, STMT_JFILE_FAILED,
                          "INSERT INTO journal_files_failed (source, file, errno, error, first_failed, "
                          "last_failed, n_failures) VALUES (?1, ?2, ?4, ?5, ?3, ?3, 1) "
                          "ON CONFLICT (source, file) DO UPDATE SET errno = excluded.errno, "
                          "error = excluded.error, last_failed = excluded.last_failed, "
                          "first_failed = CASE WHEN ok_since IS NULL THEN first_failed ELSE excluded.first_failed END, "
                          "n_failures = n_failures + 1, ok_since = NULL");
                sqlite3_bind_int(st, 4, err < 0 ? -err : err);
                bind_text(st, 5, message);
        }
        bind_text(st, 1, source);
        bind_text(st, 2, file);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) now);
        return step_id(s, st, NULL);
}

int store_set_setting(Store *s, const char *key, const char *value) {
        sqlite3_stmt *st = STMT(s, STMT_SETTING_SET,
                                "INSERT INTO settings (key, value) VALUES (?1, ?2) "
                                "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        bind_text(st, 1, key);
        bind_text(st, 2, value);
        return step_id(s, st, NULL);
}

static uint64_t now_usec(void) {
        return time_now(); /* one clock for every front end, $LOCKDEP_NOW in tests */
}

int store_set_cursor(Store *s, const char *source, const char *position) {
        sqlite3_stmt *st = STMT(s, STMT_CURSOR_SET,
                                "INSERT INTO cursors (source, position, updated) VALUES (?1, ?2, ?3) "
                                "ON CONFLICT (source) DO UPDATE SET position = excluded.position, updated = excluded.updated");
        bind_text(st, 1, source);
        bind_text(st, 2, position);
        sqlite3_bind_int64(st, 3, (sqlite3_int64) now_usec());
        return step_id(s, st, NULL);
}

/* The text of the one row that st (a cached statement) selects for key: 1 with *ret, or 0. */
static int get_position(Store *s, sqlite3_stmt *st, const char *key, char **ret) {
        *ret = NULL;
        bind_text(st, 1, key);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = strdup((const char *) sqlite3_column_text(st, 0));
                sqlite3_reset(st);
                return *ret ? 1 : -ENOMEM;
        }
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

int store_get_cursor(Store *s, const char *source, char **ret) {
        return get_position(s, STMT(s, STMT_CURSOR_GET, "SELECT position FROM cursors WHERE source = ?1"), source, ret);
}

int store_set_journal_seen(Store *s, const char *stream, const char *position) {
        sqlite3_stmt *st = position ? STMT(s, STMT_SEEN_SET,
                                           "INSERT INTO journal_seen (stream, position) VALUES (?1, ?2) "
                                           "ON CONFLICT (stream) DO UPDATE SET position = excluded.position")
                                    : STMT(s, STMT_SEEN_DELETE, "DELETE FROM journal_seen WHERE stream = ?1");
        bind_text(st, 1, stream);
        if (position)
                bind_text(st, 2, position);
        return step_id(s, st, NULL);
}

int store_get_journal_seen(Store *s, const char *stream, char **ret) {
        return get_position(s, STMT(s, STMT_SEEN_GET, "SELECT position FROM journal_seen WHERE stream = ?1"), stream,
                            ret);
}

int store_index_text(Store *s, unsigned max) {
        int64_t upto = 0, last = 0, n = 0;
        int q = store_begin(s);
        if (q < 0)
                return q;
        sqlite3_stmt *st = store_stmt(s, STMT_FTS_UPTO, "SELECT indexed_upto FROM fts_state WHERE id = 1");
        q = st ? step_id(s, st, &upto) : store_fail(s, sqlite3_errcode(s->db));
        if (q >= 0) {
                st = store_stmt(s, STMT_FTS_LAST,
                                "SELECT coalesce(max(id), ?1), count(*) FROM (SELECT id FROM reports WHERE id > ?1 ORDER BY id LIMIT ?2)");
                if (!st)
                        q = store_fail(s, sqlite3_errcode(s->db));
                else {
                        sqlite3_bind_int64(st, 1, upto);
                        sqlite3_bind_int64(st, 2, max ? (sqlite3_int64) max : -1);
                        int rc = sqlite3_step(st);
                        if (rc == SQLITE_ROW) {
                                last = sqlite3_column_int64(st, 0);
                                n = sqlite3_column_int64(st, 1);
                        }
                        sqlite3_reset(st);
                        if (rc != SQLITE_ROW)
                                q = store_fail(s, rc);
                }
        }
        if (q >= 0 && n > 0) {
                st = store_stmt(s, STMT_FTS_FILL,
                                "INSERT INTO reports_fts (rowid, raw) SELECT id, raw FROM reports WHERE id > ?1 AND id <= ?2");
                if (!st)
                        q = store_fail(s, sqlite3_errcode(s->db));
                else {
                        sqlite3_bind_int64(st, 1, upto);
                        sqlite3_bind_int64(st, 2, last);
                        q = step_id(s, st, NULL);
                }
                if (q >= 0) {
                        st = store_stmt(s, STMT_FTS_SET, "UPDATE fts_state SET indexed_upto = ?1 WHERE id = 1");
                        if (!st)
                                q = store_fail(s, sqlite3_errcode(s->db));
                        else {
                                sqlite3_bind_int64(st, 1, last);
                                q = step_id(s, st, NULL);
                        }
                }
        }
        if (q < 0) {
                store_rollback(s);
                return q;
        }
        q = store_commit(s);
        return q < 0 ? q : (int) n;
}

/* Exported spellings of the static helpers, for store-read.c and store-query.c. */
int store_step(Store *s, sqlite3_stmt *st, int64_t *ret) {
        return step_id(s, st, ret);
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v) {
        bind_text(st, i, v);
}

uint64_t store_now(void) {
        return now_usec();
}

/* Counts of a group from its reports (after merge/split moved reports around). */
int store_group_recount(Store *s, int64_t grp) {
        sqlite3_stmt *st = STMT(s, STMT_RECOUNT_DEL, "DELETE FROM group_hosts WHERE grp = ?1");
        sqlite3_bind_int64(st, 1, grp);
        int q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_RECOUNT_INS,
                  "INSERT INTO group_hosts (grp, host, n) SELECT ?1, b.host, count(*) FROM reports r "
                  "JOIN boots b ON b.id = r.boot WHERE r.grp = ?1 GROUP BY b.host");
        sqlite3_bind_int64(st, 1, grp);
        q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_RECOUNT_KDEL, "DELETE FROM group_kernels WHERE grp = ?1");
        sqlite3_bind_int64(st, 1, grp);
        q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_RECOUNT_KINS,
                  "INSERT INTO group_kernels (grp, kernel, n) SELECT ?1, b.kernel, count(*) FROM reports r "
                  "JOIN boots b ON b.id = r.boot WHERE r.grp = ?1 AND b.kernel IS NOT NULL GROUP BY b.kernel");
        sqlite3_bind_int64(st, 1, grp);
        q = step_id(s, st, NULL);
        if (q < 0)
                return q;
        st = STMT(s, STMT_RECOUNT_UPD,
                  "UPDATE groups SET n_reports = (SELECT count(*) FROM reports WHERE grp = ?1),"
                  " n_hosts = (SELECT count(*) FROM group_hosts WHERE grp = ?1),"
                  " first_seen = coalesce((SELECT min(time) FROM reports WHERE grp = ?1), first_seen),"
                  " last_seen = coalesce((SELECT max(time) FROM reports WHERE grp = ?1), last_seen),"
                  " kernel_first = (SELECT kernel FROM group_kernels WHERE grp = ?1 ORDER BY kernel COLLATE kernel_version LIMIT 1),"
                  " kernel_last = (SELECT kernel FROM group_kernels WHERE grp = ?1 ORDER BY kernel COLLATE kernel_version DESC LIMIT 1)"
                  " WHERE id = ?1");
        sqlite3_bind_int64(st, 1, grp);
        return step_id(s, st, NULL);
}
