/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Queries shared by lockdepctl and the web API, and the triage writes. Every string that leaves
 * here went through json_append_str() (store_row_json()), so names from kernel logs can not break
 * the JSON; the filters are bound parameters, never spliced into SQL (ORDER BY comes from a fixed
 * table).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "kernel-release.h"
#include "parse-util.h"
#include "store-internal.h"
#include "time-spec.h"

static bool printable_text(const char *s);

static const char *const sort_names[_STORE_SORT_MAX] = {
        [STORE_SORT_LAST_SEEN] = "last_seen",
        [STORE_SORT_FIRST_SEEN] = "first_seen",
        [STORE_SORT_REPORTS] = "reports",
        [STORE_SORT_HOSTS] = "hosts",
        [STORE_SORT_ID] = "id",
};

static const char *const sort_sql[_STORE_SORT_MAX] = {
        [STORE_SORT_DEFAULT] = "g.last_seen DESC, g.id",
        [STORE_SORT_LAST_SEEN] = "g.last_seen DESC, g.id",
        [STORE_SORT_FIRST_SEEN] = "g.first_seen DESC, g.id",
        [STORE_SORT_REPORTS] = "g.n_reports DESC, g.id",
        [STORE_SORT_HOSTS] = "g.n_hosts DESC, g.id",
        [STORE_SORT_ID] = "g.id",
};

const char *store_sort_to_string(StoreSort s) {
        return s >= 0 && s < _STORE_SORT_MAX ? sort_names[s] : NULL;
}

StoreSort store_sort_from_string(const char *s) {
        for (int i = 1; s && i < _STORE_SORT_MAX; i++)
                if (strcmp(sort_names[i], s) == 0)
                        return (StoreSort) i;
        return _STORE_SORT_INVALID;
}

/* The report kinds, for messages; test-rules checks that it names every kind. */
#define KINDS_HELP                                                                                  \
        "circular, recursive, inconsistent, irq_inversion, safe_unsafe, bad_unlock_balance, "       \
        "bad_contention, held_lock_freed, held_at_exit, return_to_user, nested_lock_not_taken, "     \
        "invalid_wait_context, suspicious_rcu, non_static_key, chain_key_collision, capacity, internal"

const char *store_kinds_help(void) {
        return KINDS_HELP;
}

bool store_status_syntax_valid(const char *s) {
        if (!s)
                return false;
        if (!strcmp(s, "new") || !strcmp(s, "confirmed") || !strcmp(s, "false-positive") || !strcmp(s, "regressed"))
                return true;
        if (!strncmp(s, "fixed-in ", 9))
                return kernel_release_valid(s + 9);
        if (!strncmp(s, "duplicate-of ", 13)) {
                int64_t id;
                return id_from_string(s + 13, &id) >= 0;
        }
        return false;
}

static int uint_arg(const char *v, unsigned max, unsigned *ret) {
        return uint_from_string(v, max, ret);
}

int store_query_set(StoreQuery *q, const char *name, const char *value, uint64_t now, unsigned limit_max,
                    const char **ret_why) {
        static const char kind_why[] = "kind: expected one of " KINDS_HELP;
        static const char status_why[] = "status: expected new, confirmed, false-positive, fixed-in RELEASE, "
                                         "duplicate-of GROUP or regressed";
        static const char since_why[] = "since: expected " TIME_WORDS_HELP;
        static const char until_why[] = "until: expected " TIME_WORDS_HELP;
        static const char sort_why[] = "sort: expected last_seen, first_seen, reports, hosts or id";
        static const char limit_why[] = "limit: expected a positive number (an API page: at most 1000)";
        static const char offset_why[] = "offset: expected a non-negative number";
        static const char text_why[] = "expected text without control characters";
        int r;

        *ret_why = NULL;
        if (!name || !value)
                return -EINVAL;
        if (!strcmp(name, "kind")) {
                if (lockdep_kind_from_string(value) < 0)
                        return *ret_why = kind_why, -EINVAL;
                q->kind = value;
        } else if (!strcmp(name, "status")) {
                if (!store_status_syntax_valid(value))
                        return *ret_why = status_why, -EINVAL;
                q->status = value;
        } else if (!strcmp(name, "kernel")) {
                KernelFilter f;
                r = kernel_filter_parse(value, &f, ret_why);
                if (r < 0)
                        return r;
                kernel_filter_done(&f);
                q->kernel = value;
        } else if (!strcmp(name, "host") || !strcmp(name, "lock")) {
                if (!*value || !printable_text(value))
                        return *ret_why = text_why, -EINVAL;
                if (name[0] == 'h')
                        q->host = value;
                else
                        q->lock = value;
        } else if (!strcmp(name, "since")) {
                if (time_parse(value, TIME_SINCE, now, &q->since) < 0)
                        return *ret_why = since_why, -EINVAL;
        } else if (!strcmp(name, "until")) {
                if (time_parse(value, TIME_UNTIL, now, &q->until) < 0)
                        return *ret_why = until_why, -EINVAL;
        } else if (!strcmp(name, "sort")) {
                StoreSort so = store_sort_from_string(value);
                if (so < 0)
                        return *ret_why = sort_why, -EINVAL;
                q->sort = so;
        } else if (!strcmp(name, "limit")) {
                unsigned n;
                if (uint_arg(value, limit_max ? limit_max : UINT32_MAX, &n) < 0 || n == 0)
                        return *ret_why = limit_why, -EINVAL;
                q->limit = n;
        } else if (!strcmp(name, "suppressed")) {
                if (strcmp(value, "0") && strcmp(value, "1"))
                        return *ret_why = "suppressed: expected 1 (also the groups suppression rules hide) or 0", -EINVAL;
                q->suppressed = value[0] == '1';
        } else if (!strcmp(name, "offset")) {
                if (uint_arg(value, 100000000, &q->offset) < 0)
                        return *ret_why = offset_why, -EINVAL;
        } else
                return -ENOENT;
        return 0;
}

/* ---- groups --------------------------------------------------------------------------------- */

/* Does an active suppression rule match group grp (one of its classes, or one of its edges)? */
#define SUPPRESSED(grp) "EXISTS (SELECT 1 FROM suppressions su WHERE " RULE_MATCHES(grp) ")"
/* Does rule su (active) match group grp? The one definition of what a rule hides. */
#define RULE_MATCHES(grp)                                                                           \
        "(su.expires IS NULL OR su.expires > now_usec())"                                            \
        " AND (su.class IN (SELECT canonical FROM group_classes WHERE grp = " grp ") OR EXISTS"         \
        " (SELECT 1 FROM edge_groups eg JOIN lock_edges e ON e.id = eg.edge WHERE eg.grp = " grp       \
        " AND e.from_class = su.edge_from AND e.to_class = su.edge_to))"

/* Without any rule (the usual case) the filter costs one uncorrelated subquery, which SQLite
 * evaluates once per statement, instead of one per group. */
#define NO_SUPPRESSIONS "NOT EXISTS (SELECT 1 FROM suppressions)"

static void bind_query(sqlite3_stmt *st, const StoreQuery *q) {
        sqlite3_bind_int(st, 11, q && q->suppressed);
        if (!q)
                return;
        store_bind_text(st, 1, q->kind);
        store_bind_text(st, 2, q->status);
        store_bind_text(st, 3, q->host);
        store_bind_text(st, 4, q->kernel);
        store_bind_text(st, 5, q->lock);
        if (q->since)
                sqlite3_bind_int64(st, 6, (sqlite3_int64) q->since);
        if (q->until)
                sqlite3_bind_int64(st, 7, (sqlite3_int64) q->until);
}

/* Is any suppression rule active now? Without one (the usual case) no group is suppressed, and
 * the lists ask nothing per group. */
static int rules_active(Store *s, bool *ret) {
        sqlite3_stmt *st = store_stmt(s, STMT_RULES_ACTIVE,
                                      "SELECT EXISTS (SELECT 1 FROM suppressions WHERE expires IS NULL OR expires > now_usec())");
        int64_t v = 0;
        if (!st)
                return store_fail(s, sqlite3_errcode(s->db));
        int r = store_step(s, st, &v);
        *ret = v != 0;
        return r;
}

/* The WHERE clause of the group list for the filters q sets, from fixed pieces (the values are
 * bound by bind_query(): ?1 kind ?2 status ?3 host ?4 kernel ?5 lock ?6 since ?7 until): a filter
 * not given costs nothing per group, and without any "SELECT count(*)" counts from the b-tree.
 * What an active rule hides is left out unless q->suppressed. */
static int group_where(StrBuf *sql, const StoreQuery *q, bool rules) {
        static const char *const pieces[] = {
                "g.kind = ?1",
                "g.status = ?2",
                "EXISTS (SELECT 1 FROM group_hosts gh JOIN hosts h ON h.id = gh.host"
                " WHERE gh.grp = g.id AND (h.hostname = ?3 OR h.machine_id = ?3))",
                "EXISTS (SELECT 1 FROM group_kernels gk WHERE gk.grp = g.id AND kernel_match(?4, gk.kernel))",
                "EXISTS (SELECT 1 FROM group_classes gc WHERE gc.grp = g.id AND gc.canonical = ?5)",
                "g.last_seen >= ?6",
                "g.first_seen <= ?7",
                "NOT " SUPPRESSED("g.id"),
        };
        bool on[] = {
                q && q->kind, q && q->status, q && q->host, q && q->kernel, q && q->lock,
                q && q->since, q && q->until, rules && !(q && q->suppressed),
        };
        int r = 0;
        for (size_t i = 0, n = 0; i < ELEMENTSOF(pieces) && r >= 0; i++)
                if (on[i]) {
                        r = strbuf_puts(sql, n++ ? " AND " : " WHERE ");
                        if (r >= 0)
                                r = strbuf_puts(sql, pieces[i]);
                }
        return r;
}

/* The typed group row's columns. */
#define GROUP_VIEW_COLUMNS                                                                          \
        "g.id, g.kind, g.key, g.signature, g.func_title, g.n_reports, g.n_hosts, g.first_seen, g.last_seen, " \
        "g.status, g.note, g.kernel_first, g.kernel_last, "

/* Grows a view's array by one zeroed element. */
static void *view_grow(void *v, size_t n, size_t *cap, size_t size) {
        if (n < *cap)
                return v;
        size_t c = *cap ? *cap * 2 : 64;
        void *m = realloc(v, c * size);
        if (m)
                *cap = c;
        return m;
}

int store_group_list(Store *s, const StoreQuery *q, StoreGroupList *ret) {
        StoreSort sort = q && q->sort > 0 && q->sort < _STORE_SORT_MAX ? q->sort : STORE_SORT_DEFAULT;
        StrBuf sql = {};
        sqlite3_stmt *st;
        size_t cap = 0;
        bool rules;
        *ret = (StoreGroupList) {};
        int r = rules_active(s, &rules);
        if (r < 0)
                return r;
        /* the page is chosen by id and the sort keys alone (the index groups_last_seen serves the
         * default order); the columns are read for its rows only */
        r = strbuf_puts(&sql, "SELECT " GROUP_VIEW_COLUMNS);
        if (r >= 0)
                r = strbuf_puts(&sql, rules ? SUPPRESSED("g.id") : "0");
        if (r >= 0)
                r = strbuf_puts(&sql, " FROM groups g WHERE g.id IN (SELECT g.id FROM groups g");
        if (r >= 0)
                r = group_where(&sql, q, rules);
        if (r >= 0)
                r = strbuf_printf(&sql, " ORDER BY %s LIMIT ?8 OFFSET ?9) ORDER BY %s", sort_sql[sort], sort_sql[sort]);
        if (r >= 0)
                r = store_prepare(s, sql.s, &st);
        strbuf_done(&sql);
        if (r < 0)
                return r;
        bind_query(st, q);
        sqlite3_bind_int64(st, 8, q && q->limit ? (sqlite3_int64) q->limit : -1);
        sqlite3_bind_int64(st, 9, q ? q->offset : 0);
        static const int texts[] = { 1, 2, 3, 4, 9, 10, 11, 12 };
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                StoreGroupRow *v = view_grow(ret->v, ret->n, &cap, sizeof(*v));
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                ret->v = v;
                StoreGroupRow *g = &v[ret->n];
                *g = (StoreGroupRow) {
                        .id = sqlite3_column_int64(st, 0),
                        .n_reports = sqlite3_column_int64(st, 5),
                        .n_hosts = sqlite3_column_int64(st, 6),
                        .first_seen = sqlite3_column_int64(st, 7),
                        .last_seen = sqlite3_column_int64(st, 8),
                        .suppressed = sqlite3_column_int(st, 13) != 0,
                };
                const char **out[] = { &g->kind, &g->key, &g->signature, &g->func_title,
                                       &g->status, &g->note, &g->kernel_first, &g->kernel_last };
                r = store_row_texts(st, ELEMENTSOF(texts), texts, out, &g->mem_);
                if (r < 0)
                        break;
                ret->n++;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = store_fail(s, rc);
        sqlite3_finalize(st);
        return r < 0 ? r : 0;
}

/* A view handed out row by row as the serializer's JSON, for the readers that take StoreRowFunc. */
int store_list_groups(Store *s, const StoreQuery *q, StoreRowFunc f, void *userdata) {
        StoreGroupList l;
        StrBuf b = {};
        int r = store_group_list(s, q, &l);
        for (size_t i = 0; r >= 0 && i < l.n; i++) {
                strbuf_truncate(&b, 0);
                r = store_group_row_json(&l.v[i], &b);
                if (r >= 0)
                        r = f(b.s, userdata);
        }
        strbuf_done(&b);
        store_group_list_free(&l);
        return r < 0 ? r : 0;
}

int store_count_groups(Store *s, const StoreQuery *q, uint64_t *ret) {
        StrBuf sql = {};
        sqlite3_stmt *st;
        int64_t n = 0;
        bool rules;
        int r = rules_active(s, &rules);
        if (r >= 0)
                r = strbuf_puts(&sql, "SELECT count(*) FROM groups g");
        if (r >= 0)
                r = group_where(&sql, q, rules);
        if (r >= 0)
                r = store_prepare(s, sql.s, &st);
        strbuf_done(&sql);
        if (r < 0)
                return r;
        bind_query(st, q);
        r = store_step(s, st, &n);
        sqlite3_finalize(st);
        if (r >= 0)
                *ret = (uint64_t) n;
        return r;
}

/* The filters of a report row r (boot b, host h), for store_list_reports() and store_search():
 * ?1 kind ?2 status (of the report's group) ?3 host ?4 kernel ?5 lock ?6 since ?7 until ?10 a group
 * given ?11 suppressed too. */
#define REPORT_FILTERS                                                                              \
        "(?1 IS NULL OR r.kind = ?1) AND (?3 IS NULL OR h.hostname = ?3 OR h.machine_id = ?3)"      \
        " AND (?4 IS NULL OR kernel_match(?4, b.kernel))"                                          \
        " AND (?5 IS NULL OR EXISTS (SELECT 1 FROM group_classes gc WHERE gc.grp = r.grp AND gc.canonical = ?5))" \
        " AND (?6 IS NULL OR r.time >= ?6) AND (?7 IS NULL OR r.time <= ?7)"                       \
        " AND (?2 IS NULL OR EXISTS (SELECT 1 FROM groups gs WHERE gs.id = r.grp AND gs.status = ?2))" \
        " AND (?11 = 1 OR ?10 > 0 OR " NO_SUPPRESSIONS " OR NOT " SUPPRESSED("r.grp") ")"

/* The report list, or (count_only) the number of its rows without limit and offset. */
static int reports_query(Store *s, const StoreQuery *q, StoreReportList *ret, bool count_only, uint64_t *ret_count) {
        static const char count_head[] =
                "SELECT count(*) FROM reports r JOIN boots b ON b.id = r.boot JOIN hosts h ON h.id = b.host WHERE ";
        /* two spellings so that a group filter can use the reports_grp index */
        static const char head[] =
                "SELECT r.id, r.grp AS \"group\", r.kind, coalesce(h.hostname, h.machine_id) AS host, b.boot_id, "
                "coalesce(json_extract(lockdep_parsed(r.parsed), '$.kernel'), b.kernel) AS kernel, r.time, "
                "r.source, r.truncated FROM reports r JOIN boots b ON b.id = r.boot JOIN hosts h ON h.id = b.host "
                "WHERE ";
        static const char filters[] = REPORT_FILTERS " ORDER BY ";
        static const char *const order[_STORE_SORT_MAX] = {
                [STORE_SORT_DEFAULT] = "r.id",
                [STORE_SORT_ID] = "r.id",
                [STORE_SORT_LAST_SEEN] = "r.time DESC, r.id DESC",
                [STORE_SORT_FIRST_SEEN] = "r.time, r.id",
        };
        StoreSort sort = q && q->sort >= 0 && q->sort < _STORE_SORT_MAX ? q->sort : STORE_SORT_DEFAULT;
        if (!order[sort]) {
                free(s->error);
                s->error = strdup("sort: reports are sorted by last_seen, first_seen or id");
                return -EINVAL;
        }
        bool by_group = q && q->group > 0;
        StrBuf sql = {};
        sqlite3_stmt *st;
        int r = strbuf_puts(&sql, count_only ? count_head : head);
        if (r >= 0)
                r = strbuf_puts(&sql, by_group ? "r.grp = ?10 AND " : "?10 = 0 AND ");
        if (r >= 0)
                r = strbuf_puts(&sql, filters);
        if (r >= 0)
                r = strbuf_puts(&sql, count_only ? "1" : order[sort]); /* from the fixed table */
        if (r >= 0)
                r = strbuf_puts(&sql, count_only ? "" : " LIMIT ?8 OFFSET ?9");
        if (r >= 0)
                r = store_prepare(s, sql.s, &st);
        strbuf_done(&sql);
        if (r < 0)
                return r;
        bind_query(st, q);
        if (!count_only) {
                sqlite3_bind_int64(st, 8, q && q->limit ? (sqlite3_int64) q->limit : -1);
                sqlite3_bind_int64(st, 9, q ? q->offset : 0);
        }
        sqlite3_bind_int64(st, 10, q ? q->group : 0);
        if (count_only) {
                int64_t n = 0;
                r = store_step(s, st, &n);
                sqlite3_finalize(st);
                if (r >= 0)
                        *ret_count = (uint64_t) n;
                return r;
        }
        static const int texts[] = { 2, 3, 4, 5, 7 };
        size_t cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                StoreReportRow *v = view_grow(ret->v, ret->n, &cap, sizeof(*v));
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                ret->v = v;
                StoreReportRow *row = &v[ret->n];
                *row = (StoreReportRow) {
                        .id = sqlite3_column_int64(st, 0),
                        .group = sqlite3_column_int64(st, 1),
                        .time = sqlite3_column_int64(st, 6),
                        .truncated = sqlite3_column_int(st, 8) != 0,
                };
                const char **out[] = { &row->kind, &row->host, &row->boot_id, &row->kernel, &row->source };
                r = store_row_texts(st, ELEMENTSOF(texts), texts, out, &row->mem_);
                if (r < 0)
                        break;
                ret->n++;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = store_fail(s, rc);
        sqlite3_finalize(st);
        return r < 0 ? r : 0;
}

int store_report_list(Store *s, const StoreQuery *q, StoreReportList *ret) {
        *ret = (StoreReportList) {};
        return reports_query(s, q, ret, false, NULL);
}

int store_list_reports(Store *s, const StoreQuery *q, StoreRowFunc f, void *userdata) {
        StoreReportList l;
        StrBuf b = {};
        int r = store_report_list(s, q, &l);
        for (size_t i = 0; r >= 0 && i < l.n; i++) {
                strbuf_truncate(&b, 0);
                r = store_report_row_json(&l.v[i], &b);
                if (r >= 0)
                        r = f(b.s, userdata);
        }
        strbuf_done(&b);
        store_report_list_free(&l);
        return r < 0 ? r : 0;
}

int store_count_reports(Store *s, const StoreQuery *q, uint64_t *ret) {
        return reports_query(s, q, NULL, true, ret);
}

int store_resolve_group(Store *s, const char *spec, int64_t *ret) {
        sqlite3_stmt *st;
        size_t n = spec ? strlen(spec) : 0;
        bool digits = n > 0 && strspn(spec, "0123456789") == n;
        bool hex = n >= 4 && strspn(spec, "0123456789abcdef") == n;
        int64_t id = 0, count = 0;
        int r;

        if (!digits && !hex)
                return -EINVAL;
        if (digits && n < 16) {
                r = store_prepare(s, "SELECT id FROM groups WHERE id = ?1", &st);
                if (r < 0)
                        return r;
                sqlite3_bind_int64(st, 1, strtoll(spec, NULL, 10));
                r = store_step(s, st, &id);
                sqlite3_finalize(st);
                if (r < 0)
                        return r;
                if (id > 0) {
                        *ret = id;
                        return 0;
                }
                if (!hex)
                        return -ENOENT;
        }
        /* a whole signature names its group even when it is the prefix of others (a split's
         * "<sig>/split-N") */
        r = store_prepare(s, "SELECT id FROM groups WHERE signature = ?1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, spec);
        r = store_step(s, st, &id);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        if (id > 0) {
                *ret = id;
                return 0;
        }
        r = store_prepare(s, "SELECT min(id), count(*) FROM (SELECT id FROM groups WHERE substr(signature, 1, length(?1)) = ?1 LIMIT 2)", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, spec);
        if (sqlite3_step(st) == SQLITE_ROW) {
                id = sqlite3_column_int64(st, 0);
                count = sqlite3_column_int64(st, 1);
        }
        sqlite3_finalize(st);
        if (count == 0)
                return -ENOENT;
        if (count > 1)
                return -EEXIST;
        *ret = id;
        return 0;
}

/* Appends ,"key":[rows of sql] with ?1 bound to id (and ?2 to text when given). */
static int append_array3(Store *s, StrBuf *b, const char *key, const char *sql, int64_t id, const char *text,
                         const char *text2) {
        sqlite3_stmt *st;
        StrBuf row = {};
        int rc, r = store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        if (text)
                store_bind_text(st, 2, text);
        if (text2)
                store_bind_text(st, 3, text2);
        r = strbuf_printf(b, ",\"%s\":[", key);
        bool first = true;
        while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                r = store_row_json(st, &row);
                if (r >= 0)
                        r = strbuf_puts(b, first ? "" : ",");
                if (r >= 0)
                        r = strbuf_append(b, row.s, row.len);
                first = false;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = store_fail(s, rc);
        if (r >= 0)
                r = strbuf_appendc(b, ']');
        strbuf_done(&row);
        sqlite3_finalize(st);
        return r;
}

/* The single row of sql (?1 = id, ?2 = text) as an object into b, without the closing brace.
 * -ENOENT when there is no row. */
static int open_object3(Store *s, StrBuf *b, const char *sql, int64_t id, const char *text, const char *text2) {
        sqlite3_stmt *st;
        int r = store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        if (text)
                store_bind_text(st, 2, text);
        if (text2)
                store_bind_text(st, 3, text2);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                r = store_row_json(st, b);
                if (r >= 0)
                        strbuf_truncate(b, b->len - 1); /* reopen the object */
        } else
                r = rc == SQLITE_DONE ? -ENOENT : store_fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

static int append_array(Store *s, StrBuf *b, const char *key, const char *sql, int64_t id, const char *text) {
        return append_array3(s, b, key, sql, id, text, NULL);
}

static int open_object(Store *s, StrBuf *b, const char *sql, int64_t id, const char *text) {
        return open_object3(s, b, sql, id, text, NULL);
}

static int close_object(StrBuf *b, char **ret, int r) {
        if (r >= 0)
                r = strbuf_appendc(b, '}');
        if (r < 0) {
                strbuf_done(b);
                return r;
        }
        *ret = strbuf_steal(b);
        return *ret ? 0 : -ENOMEM;
}

/* ---- locks and edges ------------------------------------------------------------------------ */

/* The names printed for class expr that differ from it, one a line (a class name is one line of a
 * log), A to Z. */
#define PRINTED_AS(expr)                                                                            \
        "(SELECT group_concat(name, char(10)) FROM (SELECT lc.name FROM lock_classes lc WHERE lc.canonical = " expr \
        " AND lc.name != lc.canonical ORDER BY lc.name))"

int store_lock_list(Store *s, const StoreListQuery *q, StoreLockList *ret) {
        *ret = (StoreLockList) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        StrBuf sql = {};
        sqlite3_stmt *st;
        int r = strbuf_puts(&sql,
                        "SELECT gc.canonical AS name, count(DISTINCT gc.grp) AS n_groups, "
                        "(SELECT count(*) FROM lock_edges e WHERE e.from_class = gc.canonical OR e.to_class = gc.canonical) AS n_edges, "
                        PRINTED_AS("gc.canonical") " AS printed "
                        "FROM group_classes gc WHERE (?1 IS NULL OR instr(gc.canonical, ?1) > 0) "
                        "GROUP BY gc.canonical");
        if (r >= 0)
                r = store_list_order_by(q, STORE_LIST_LOCKS, &sql); /* from the fixed table */
        if (r >= 0)
                r = strbuf_puts(&sql, " LIMIT ?2 OFFSET ?3");
        if (r >= 0)
                r = store_prepare(s, sql.s, &st);
        strbuf_done(&sql);
        if (r < 0)
                return r == -EINVAL ? store_set_error(s, r, "not a query of the lock list") : r;
        store_bind_text(st, 1, q ? q->name : NULL);
        sqlite3_bind_int64(st, 2, q && q->limit ? (sqlite3_int64) q->limit : -1);
        sqlite3_bind_int64(st, 3, q ? q->offset : 0);
        return store_view_rows(s, st, &store_lock_shape, ret->mem_, &ret->v, &ret->n);
}

int store_lock_detail(Store *s, const char *name, StoreLockDetail *ret) {
        *ret = (StoreLockDetail) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        StoreMem *m = ret->mem_;
        int r = store_view_query_one(s,
                            "SELECT ?2, (SELECT count(DISTINCT grp) FROM group_classes WHERE canonical = ?2), " PRINTED_AS("?2") " "
                            "WHERE ?1 = ?1 AND (EXISTS (SELECT 1 FROM group_classes WHERE canonical = ?2) OR "
                            "EXISTS (SELECT 1 FROM lock_classes WHERE canonical = ?2))",
                            0, name, NULL, &store_lock_head_shape, m, ret);
        if (r >= 0)
                r = store_view_query_rows(s,
                                 "SELECT g.id, g.kind, g.key, g.func_title, g.n_reports, g.status FROM group_classes gc "
                                 "JOIN groups g ON g.id = gc.grp WHERE gc.canonical = ?2 AND ?1 = ?1 ORDER BY g.last_seen DESC, g.id",
                                 0, name, NULL, &store_lock_group_shape, m, &ret->groups, &ret->n_group_rows);
        if (r >= 0)
                r = store_view_query_rows(s,
                                 "SELECT from_class, to_class, n, first_kernel FROM lock_edges "
                                 "WHERE (from_class = ?2 OR to_class = ?2) AND ?1 = ?1 ORDER BY n DESC, id",
                                 0, name, NULL, &store_lock_edge_shape, m, &ret->edges, &ret->n_edge_rows);
        return r < 0 ? r : 0;
}

int store_list_edges(Store *s, int64_t group, const char *lock, StoreRowFunc f, void *userdata) {
        sqlite3_stmt *st;
        int r = store_prepare(s,
                        "SELECT e.from_class AS \"from\", e.to_class AS \"to\", e.n, " ISO("e.first_seen") " AS first_seen, "
                        ISO("e.last_seen") " AS last_seen, e.first_kernel, "
                        "'[' || coalesce((SELECT group_concat(grp) FROM edge_groups WHERE edge = e.id), '') || ']' AS \"@groups\" "
                        "FROM lock_edges e WHERE (?1 = 0 OR e.id IN (SELECT edge FROM edge_groups WHERE grp = ?1)) "
                        "AND (?2 IS NULL OR e.from_class = ?2 OR e.to_class = ?2) ORDER BY e.id",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, group);
        store_bind_text(st, 2, lock);
        return store_run_rows(s, st, f, userdata);
}

/* ---- search and stats ------------------------------------------------------------------------ */

/* A query of plain words also finds the other printed names of the lock classes a word is part of,
 * by the class aliases applied at ingest (lock_classes: printed name -> canonical, from
 * aliases.conf): "mmap_lock" becomes (mmap_lock OR "&mm->mmap_sem"). FTS5 syntax (quotes,
 * operators, parentheses, prefixes) is left as it is. *ret is NULL when nothing was added. */
static int search_expand(Store *s, const char *text, char **ret) {
        static const char sql[] =
                "SELECT DISTINCT l2.name FROM lock_classes l1 JOIN lock_classes l2 ON l2.canonical = l1.canonical "
                "WHERE (instr(l1.name, ?1) > 0 OR instr(l1.canonical, ?1) > 0) AND instr(l2.name, ?1) = 0 ORDER BY l2.name LIMIT 20";
        StrBuf b = {};
        bool added = false;
        int r = 0;

        *ret = NULL;
        if (strpbrk(text, "\"()*^:{}+"))
                return 0;
        for (const char *p = text; *p && r >= 0;) {
                p += strspn(p, " \t");
                size_t n = strcspn(p, " \t");
                if (n == 0)
                        break;
                _cleanup_free_ char *w = strndup(p, n);
                p += n;
                if (!w)
                        return -ENOMEM;
                if (!strcmp(w, "AND") || !strcmp(w, "OR") || !strcmp(w, "NOT") || !strcmp(w, "NEAR")) {
                        strbuf_done(&b);
                        return 0;
                }
                sqlite3_stmt *st;
                StrBuf alt = {};
                if (b.len > 0)
                        r = strbuf_appendc(&b, ' ');
                if (r >= 0 && strlen(w) >= 4 && (r = store_prepare(s, sql, &st)) >= 0) {
                        store_bind_text(st, 1, w);
                        while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
                                const char *name = (const char *) sqlite3_column_text(st, 0);
                                r = strbuf_puts(&alt, " OR \"");
                                for (; r >= 0 && name && *name; name++)
                                        r = (*name == '"' ? strbuf_puts(&alt, "\"\"") : strbuf_appendc(&alt, *name));
                                if (r >= 0)
                                        r = strbuf_appendc(&alt, '"');
                        }
                        sqlite3_finalize(st);
                }
                if (r >= 0 && alt.len > 0) {
                        r = strbuf_printf(&b, "(%s%s)", w, alt.s);
                        added = true;
                } else if (r >= 0)
                        r = strbuf_puts(&b, w);
                strbuf_done(&alt);
        }
        if (r < 0 || !added) {
                strbuf_done(&b);
                return r < 0 ? r : 0;
        }
        *ret = strbuf_steal(&b);
        return 0;
}

/* What to MATCH for text: the alias expansion of search_expand(), else text itself; text as one
 * phrase when FTS5 refuses it (a syntax error shows on the first step). *ret malloc()ed. */
static int search_match(Store *s, const char *text, char **ret) {
        _cleanup_free_ char *expanded = NULL;
        sqlite3_stmt *st;
        int r = search_expand(s, text, &expanded);
        if (r < 0)
                return r;
        r = store_prepare(s, "SELECT 1 FROM reports_fts WHERE reports_fts MATCH ?1 LIMIT 1", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, expanded ? expanded : text);
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_ERROR) {
                *ret = expanded ? TAKE_PTR(expanded) : strdup(text);
                return *ret ? 0 : -ENOMEM;
        }
        StrBuf q = {};
        r = strbuf_appendc(&q, '"');
        for (const char *p = text; r >= 0 && *p; p++)
                r = *p == '"' ? strbuf_puts(&q, "\"\"") : strbuf_appendc(&q, *p);
        if (r >= 0)
                r = strbuf_appendc(&q, '"');
        if (r < 0) {
                strbuf_done(&q);
                return -ENOMEM;
        }
        *ret = strbuf_steal(&q);
        return 0;
}

/* ?12 the MATCH text, the filters of REPORT_FILTERS */
#define SEARCH_FROM                                                                                 \
        " FROM reports_fts JOIN reports r ON r.id = reports_fts.rowid JOIN boots b ON b.id = r.boot"  \
        " JOIN hosts h ON h.id = b.host WHERE reports_fts MATCH ?12 AND (?10 = 0 OR r.grp = ?10) AND " \
        REPORT_FILTERS

static int search_query(Store *s, const char *text, const StoreQuery *q, StoreRowFunc f, void *userdata,
                        uint64_t *ret_count) {
        static const char *const order[_STORE_SORT_MAX] = {
                [STORE_SORT_DEFAULT] = "rank, r.id", /* ties (the same text) in a stable order for paging */
                [STORE_SORT_ID] = "r.id",
                [STORE_SORT_LAST_SEEN] = "r.time DESC, r.id DESC",
                [STORE_SORT_FIRST_SEEN] = "r.time, r.id",
        };
        StoreSort sort = q && q->sort >= 0 && q->sort < _STORE_SORT_MAX ? q->sort : STORE_SORT_DEFAULT;
        if (!order[sort])
                return store_set_error(s, -EINVAL, "sort: search results are ordered by rank (the default), "
                                       "last_seen, first_seen or id");
        _cleanup_free_ char *match = NULL;
        int r = search_match(s, text ? text : "", &match);
        if (r < 0)
                return r;
        StrBuf sql = {};
        sqlite3_stmt *st;
        if (ret_count)
                r = strbuf_puts(&sql, "SELECT count(*)" SEARCH_FROM);
        else {
                /* not a format: ISO() holds strftime's % */
                r = strbuf_puts(&sql, "SELECT r.id, r.grp AS \"group\", r.kind, coalesce(h.hostname, h.machine_id) AS host, "
                                "coalesce(json_extract(lockdep_parsed(r.parsed), '$.kernel'), b.kernel) AS kernel, "
                                ISO("r.time") " AS time, snippet(reports_fts, 0, '[', ']', '...', 12) AS snippet"
                                SEARCH_FROM " ORDER BY ");
                if (r >= 0)
                        r = strbuf_puts(&sql, order[sort]); /* from the fixed table */
                if (r >= 0)
                        r = strbuf_puts(&sql, " LIMIT ?8 OFFSET ?9");
        }
        if (r >= 0)
                r = store_prepare(s, sql.s, &st);
        strbuf_done(&sql);
        if (r < 0)
                return r;
        bind_query(st, q);
        sqlite3_bind_int64(st, 10, q ? q->group : 0);
        store_bind_text(st, 12, match);
        if (ret_count) {
                int64_t n = 0;
                r = store_step(s, st, &n);
                sqlite3_finalize(st);
                if (r >= 0)
                        *ret_count = (uint64_t) n;
                return r;
        }
        sqlite3_bind_int64(st, 8, q && q->limit ? (sqlite3_int64) q->limit : -1);
        sqlite3_bind_int64(st, 9, q ? q->offset : 0);
        return store_run_rows(s, st, f, userdata);
}

int store_search(Store *s, const char *text, const StoreQuery *q, StoreRowFunc f, void *userdata) {
        return search_query(s, text, q, f, userdata, NULL);
}

int store_count_search(Store *s, const char *text, const StoreQuery *q, uint64_t *ret) {
        return search_query(s, text, q, NULL, NULL, ret);
}

int store_stats(Store *s, StoreStats *ret) {
        *ret = (StoreStats) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        StoreMem *m = ret->mem_;
        int r = store_view_query_one(s,
                            "SELECT (SELECT count(*) FROM reports), (SELECT count(*) FROM groups g WHERE NOT " SUPPRESSED("g.id") "), "
                            "(SELECT count(*) FROM groups g WHERE " SUPPRESSED("g.id") "), "
                            "(SELECT count(*) FROM hosts), (SELECT count(*) FROM boots), "
                            /* names host_name_sanitize() made: only those have a backslash */
                            "(SELECT count(*) FROM hosts WHERE instr(hostname, char(92)) > 0), "
                            "(SELECT count(*) FROM boots WHERE lockdep_off_at IS NOT NULL), "
                            "(SELECT count(*) FROM gaps), "
                            "(SELECT coalesce(max(id), 0) FROM reports) - (SELECT indexed_upto FROM fts_state), "
                            "(SELECT count(*) FROM suppressions), "
                            "(SELECT count(*) FROM journal_files_failed WHERE ok_since IS NULL), "
                            "(SELECT coalesce(sum(n_failures), 0) FROM journal_files_failed), "
                            /* /proc/lockdep snapshots not stored (schema/0012-snapshot-transport.sql) */
                            "coalesce((SELECT n FROM dep_snapshot_rejects WHERE reason = 'untrusted'), 0), "
                            "coalesce((SELECT n FROM dep_snapshot_rejects WHERE reason = 'incomplete'), 0), "
                            "coalesce((SELECT n FROM dep_snapshot_rejects WHERE reason = 'refused'), 0)",
                            0, NULL, NULL, &store_stats_shape, m, ret);
        if (r >= 0)
                r = store_view_query_rows(s, "SELECT kind, count(*), sum(n_reports) FROM groups g WHERE NOT " SUPPRESSED("g.id")
                                          " GROUP BY kind ORDER BY kind", 0, NULL, NULL, &store_kind_count_shape, m,
                                          &ret->by_kind, &ret->n_by_kind);
        if (r >= 0)
                r = store_view_query_rows(s, "SELECT status, count(*), sum(n_reports) FROM groups g WHERE NOT " SUPPRESSED("g.id")
                                          " GROUP BY status ORDER BY status", 0, NULL, NULL, &store_status_count_shape, m,
                                          &ret->by_status, &ret->n_by_status);
        /* a journal keeps one cursor per stream ("journal:DIR#remote-HOST"): one row per source,
         * the number of streams instead of a position when there are several */
        if (r >= 0)
                r = store_view_query_rows(s,
                                 "SELECT c.source, CASE WHEN c.n = 1 THEN c.position ELSE c.n || ' streams' END, "
                                 "c.updated, (SELECT count(*) FROM reports r "
                                 "WHERE r.source = c.source OR r.source = 'file:' || substr(c.source, 6)) "
                                 "FROM (SELECT substr(source, 1, instr(source || '#', '#') - 1) AS source, count(*) AS n, "
                                 "max(position) AS position, max(updated) AS updated FROM cursors GROUP BY 1) c ORDER BY c.source",
                                 0, NULL, NULL, &store_source_shape, m, &ret->sources, &ret->n_sources);
        if (r >= 0)
                r = store_view_query_rows(s,
                                 "SELECT source, file, error, errno, first_failed, last_failed, n_failures FROM journal_files_failed "
                                 "WHERE ok_since IS NULL ORDER BY source, file LIMIT 100",
                                 0, NULL, NULL, &store_file_failure_shape, m, &ret->files_failed, &ret->n_files_failed);
        if (r >= 0)
                r = store_view_query_rows(s,
                                 "SELECT reason, n, last_at, last_source, last_what FROM dep_snapshot_rejects ORDER BY reason",
                                 0, NULL, NULL, &store_rejected_shape, m, &ret->rejected, &ret->n_rejected);
        return r < 0 ? r : 0;
}

/* ---- triage --------------------------------------------------------------------------------- */

static bool printable_text(const char *s) {
        for (; s && *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        return false;
        return true;
}

static int log_triage(Store *s, int64_t group, const char *action, const char *value) {
        sqlite3_stmt *st;
        int r = store_prepare(s, "INSERT INTO triage_log (signature, at, action, value) SELECT signature, ?2, ?3, ?4 FROM groups WHERE id = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, group);
        sqlite3_bind_int64(st, 2, (sqlite3_int64) store_now());
        store_bind_text(st, 3, action);
        store_bind_text(st, 4, value);
        r = store_step(s, st, NULL);
        sqlite3_finalize(st);
        return r;
}

static int exec_id(Store *s, const char *sql, int64_t a, int64_t b, const char *text) {
        sqlite3_stmt *st;
        int r = store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, a);
        sqlite3_bind_int64(st, 2, b);
        if (text)
                store_bind_text(st, 3, text);
        r = store_step(s, st, NULL);
        sqlite3_finalize(st);
        return r;
}

static int group_exists(Store *s, int64_t id) {
        int64_t found = 0;
        sqlite3_stmt *st;
        int r = store_prepare(s, "SELECT id FROM groups WHERE id = ?1", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        r = store_step(s, st, &found);
        sqlite3_finalize(st);
        return r < 0 ? r : found == id;
}

/* Would group become a duplicate of itself, through target and the groups target is a duplicate
 * of? 1 yes, 0 no. */
static int duplicate_cycle(Store *s, int64_t group, int64_t target) {
        sqlite3_stmt *st;
        int64_t found = 0;
        int r = store_prepare(s,
                        "WITH RECURSIVE chain (id, n) AS (SELECT ?2, 0 UNION "
                        " SELECT CAST(substr(g.status, 14) AS INTEGER), c.n + 1 FROM groups g JOIN chain c ON g.id = c.id "
                        " WHERE g.status GLOB 'duplicate-of [0-9]*' AND c.n < 100000) "
                        "SELECT EXISTS (SELECT 1 FROM chain WHERE id = ?1)",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, group);
        sqlite3_bind_int64(st, 2, target);
        r = store_step(s, st, &found);
        sqlite3_finalize(st);
        return r < 0 ? r : found != 0;
}

static int check_status(Store *s, int64_t group, const char *status) {
        if (!status || !printable_text(status) || strlen(status) > 200 || !store_status_syntax_valid(status))
                return -EINVAL;
        if (!strncmp(status, "duplicate-of ", 13)) {
                int64_t target = strtoll(status + 13, NULL, 10);
                int r = group_exists(s, target);
                if (r <= 0)
                        return r < 0 ? r : store_set_error(s, -ENOENT, "duplicate-of: no group %lld", (long long) target);
                if (target == group)
                        return store_set_error(s, -EINVAL, "duplicate-of: group %lld cannot be a duplicate of itself",
                                         (long long) group);
                r = duplicate_cycle(s, group, target);
                if (r < 0)
                        return r;
                if (r > 0)
                        return store_set_error(s, -EINVAL,
                                         "duplicate-of: group %lld is already (through duplicates) a duplicate of "
                                         "group %lld; that would make a cycle",
                                         (long long) target, (long long) group);
        }
        return 0;
}

static int in_transaction(Store *s, int r) {
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        return store_commit(s);
}

int store_set_triage(Store *s, int64_t group, const char *status, const char *note) {
        _cleanup_free_ char *followed = NULL;
        free(s->error); /* a message after -EINVAL is this call's */
        s->error = NULL;
        if (status && !strncmp(status, "duplicate-of ", 13) && store_status_syntax_valid(status)) {
                /* a duplicate of a group merged away is one of the group it went into */
                int64_t target = strtoll(status + 13, NULL, 10), live = 0;
                if (group_exists(s, target) == 0 && store_group_live(s, target, &live) > 0) {
                        if (asprintf(&followed, "duplicate-of %lld", (long long) live) < 0)
                                return -ENOMEM;
                        status = followed;
                }
                free(s->error);
                s->error = NULL;
        }
        int r = status ? check_status(s, group, status) : 0;
        if (r < 0)
                return r;
        if (note && (!printable_text(note) || strlen(note) > 4000))
                return -EINVAL;
        r = store_begin(s);
        if (r < 0)
                return r;
        r = group_exists(s, group);
        if (r == 0)
                r = -ENOENT;
        if (r >= 0 && status)
                r = exec_id(s, "UPDATE groups SET status = ?3 WHERE id = ?1 AND ?2 = ?2", group, 0, status);
        if (r >= 0 && status)
                r = log_triage(s, group, "status", status);
        if (r >= 0 && note)
                r = exec_id(s, "UPDATE groups SET note = ?3 WHERE id = ?1 AND ?2 = ?2", group, 0, note);
        if (r >= 0 && note)
                r = log_triage(s, group, "note", note);
        return in_transaction(s, r);
}

/* Moves the reports (and what derives from them) of from into into; no transaction, no log. */
static int merge_into(Store *s, int64_t into, int64_t from) {
        static const char *const sql[] = {
                "UPDATE reports SET grp = ?1 WHERE grp = ?2",
                "INSERT OR IGNORE INTO group_classes (grp, canonical) SELECT ?1, canonical FROM group_classes WHERE grp = ?2",
                "INSERT OR IGNORE INTO edge_groups (edge, grp) SELECT edge, ?1 FROM edge_groups WHERE grp = ?2",
                "INSERT OR IGNORE INTO group_names (grp, canonical, printed) SELECT ?1, canonical, printed FROM group_names WHERE grp = ?2",
                "INSERT INTO group_tasks (grp, task, n) SELECT ?1, task, n FROM group_tasks WHERE grp = ?2 "
                " ON CONFLICT (grp, task) DO UPDATE SET n = n + excluded.n",
                "DELETE FROM groups WHERE id = ?2", /* leaves a tombstone (schema/0008-tombstones.sql) */
                /* what led to from leads to into now: chains are one step, and their histories meet */
                "UPDATE group_tombstones SET into_grp = ?1 WHERE into_grp = ?2",
                "UPDATE group_tombstones SET into_grp = ?1, reason = 'merge', at = CAST(?3 AS INTEGER) WHERE id = ?2",
        };
        char now[32];
        int r = 0;
        snprintf(now, sizeof(now), "%" PRIu64, store_now());
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sql); i++)
                r = exec_id(s, sql[i], into, from, i == ELEMENTSOF(sql) - 1 ? now : NULL);
        return r < 0 ? r : store_group_recount(s, into);
}

int store_group_successor(Store *s, int64_t id, int64_t *ret_into) {
        sqlite3_stmt *st;
        int64_t at = id, found = 0;
        /* 0: no tombstone; 1: deleted, not merged; N + 1: merged into N */
        int r = store_prepare(s, "SELECT coalesce(into_grp, 0) + 1 FROM group_tombstones WHERE id = ?1", &st);
        if (r < 0)
                return r;
        /* merges compress their chains, but a database may hold longer ones (and must not loop) */
        for (unsigned hop = 0; r >= 0 && hop < 64; hop++) {
                int64_t v = 0;
                sqlite3_bind_int64(st, 1, at);
                r = store_step(s, st, &v);
                if (r < 0)
                        break;
                if (v == 0) { /* at is no tombstone: alive (or never was) */
                        if (at == id) {
                                r = -ENOENT;
                                break;
                        }
                        r = group_exists(s, at);
                        found = r > 0 ? at : 0;
                        break;
                }
                found = 0;
                if (v == 1)
                        break;
                at = v - 1;
        }
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        *ret_into = found;
        return 0;
}

int store_group_live(Store *s, int64_t id, int64_t *ret) {
        int64_t into = 0;
        int r = group_exists(s, id);
        if (r < 0)
                return r;
        if (r > 0) {
                *ret = id;
                return 0;
        }
        r = store_group_successor(s, id, &into);
        if (r == -ENOENT)
                return store_set_error(s, -ENOENT, "no group %lld", (long long) id);
        if (r < 0)
                return r;
        if (into == 0)
                return store_set_error(s, -EIDRM,
                                       "group %lld was deleted: all its reports went to other groups (reparse, "
                                       "or a merge into a group deleted since)", (long long) id);
        *ret = into;
        return 1;
}

int store_resolve_live_group(Store *s, const char *spec, int64_t *ret) {
        size_t n = spec ? strlen(spec) : 0;
        int r = store_resolve_group(s, spec, ret);
        if (r != -ENOENT || n == 0 || n >= 16 || strspn(spec, "0123456789") != n)
                return r;
        return store_group_live(s, strtoll(spec, NULL, 10), ret);
}

int store_merge_groups(Store *s, int64_t into, int64_t from) {
        if (into == from)
                return -EINVAL;
        int r = store_begin(s);
        if (r < 0)
                return r;
        int a = group_exists(s, into), b = group_exists(s, from);
        r = a < 0 ? a : b < 0 ? b : a && b ? 0 : -ENOENT;
        if (r >= 0) { /* logged before from disappears: value = the merged signature */
                sqlite3_stmt *st;
                r = store_prepare(s, "INSERT INTO triage_log (signature, at, action, value) SELECT g1.signature, ?3, 'merge', "
                               "g2.signature FROM groups g1, groups g2 WHERE g1.id = ?1 AND g2.id = ?2", &st);
                if (r >= 0) {
                        sqlite3_bind_int64(st, 1, into);
                        sqlite3_bind_int64(st, 2, from);
                        sqlite3_bind_int64(st, 3, (sqlite3_int64) store_now());
                        r = store_step(s, st, NULL);
                        sqlite3_finalize(st);
                }
        }
        if (r >= 0)
                r = merge_into(s, into, from);
        return in_transaction(s, r);
}

/* Creates the split-off group of group (signature "<sig>/split-N") and moves the listed reports. */
static int split_into(Store *s, int64_t group, const char *ids_csv, int64_t *ret) {
        sqlite3_stmt *st;
        int64_t id = 0;
        int r = store_prepare(s,
                        "INSERT INTO groups (signature, sig_version, kind, key, func_title, first_seen, last_seen, status) "
                        "SELECT signature || '/split-' || (SELECT count(*) + 1 FROM groups g2 WHERE g2.signature GLOB groups.signature || '/split-*'), "
                        "sig_version, kind, key, func_title, first_seen, last_seen, 'new' FROM groups WHERE id = ?1 RETURNING id",
                        &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, group);
        r = store_step(s, st, &id);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        if (id == 0)
                return -ENOENT;
        r = exec_id(s, "UPDATE reports SET grp = ?2 WHERE grp = ?1 AND ',' || ?3 || ',' LIKE '%,' || id || ',%'", group, id, ids_csv);
        if (r >= 0)
                r = exec_id(s, "INSERT OR IGNORE INTO group_classes (grp, canonical) SELECT ?2, canonical FROM group_classes WHERE grp = ?1",
                            group, id, NULL);
        if (r >= 0)
                r = exec_id(s, "INSERT OR IGNORE INTO edge_groups (edge, grp) SELECT edge, ?2 FROM edge_groups WHERE grp = ?1", group, id, NULL);
        if (r >= 0)
                r = exec_id(s, "INSERT OR IGNORE INTO group_names (grp, canonical, printed) SELECT ?2, canonical, printed "
                            "FROM group_names WHERE grp = ?1", group, id, NULL);
        /* the tasks of the reports moved (only they are read), and the same fewer in the group */
        if (r >= 0)
                r = exec_id(s, "INSERT INTO group_tasks (grp, task, n) SELECT ?2, coalesce(json_extract(lockdep_parsed(parsed), "
                            "'$.task'), ''), count(*) FROM reports WHERE grp = ?2 GROUP BY 2", group, id, NULL);
        if (r >= 0)
                r = exec_id(s, "UPDATE group_tasks SET n = n - (SELECT m.n FROM group_tasks m WHERE m.grp = ?2 AND m.task = "
                            "group_tasks.task) WHERE grp = ?1 AND task IN (SELECT task FROM group_tasks WHERE grp = ?2)",
                            group, id, NULL);
        if (r >= 0)
                r = exec_id(s, "DELETE FROM group_tasks WHERE grp = ?1 AND n <= 0 AND ?2 = ?2", group, id, NULL);
        if (r >= 0)
                r = store_group_recount(s, group);
        if (r >= 0)
                r = store_group_recount(s, id);
        if (r >= 0)
                *ret = id;
        return r;
}

/* The reports to split off (csv, n ids) must all be the group's, and some must stay. */
static int split_check(Store *s, int64_t group, const char *csv, size_t n) {
        sqlite3_stmt *st;
        int64_t foreign = 0, n_in = 0, n_group = 0;
        int r = group_exists(s, group);
        if (r <= 0)
                return r < 0 ? r : -ENOENT;
        r = store_prepare(s,
                    "SELECT (SELECT j.value FROM json_each('[' || ?2 || ']') j WHERE NOT EXISTS "
                    "  (SELECT 1 FROM reports r WHERE r.id = j.value AND r.grp = ?1) LIMIT 1), "
                    " (SELECT count(DISTINCT j.value) FROM json_each('[' || ?2 || ']') j), "
                    " (SELECT count(*) FROM reports WHERE grp = ?1)",
                    &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, group);
        store_bind_text(st, 2, csv);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                foreign = sqlite3_column_int64(st, 0);
                n_in = sqlite3_column_int64(st, 1);
                n_group = sqlite3_column_int64(st, 2);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
                return store_fail(s, rc);
        (void) n;
        if (foreign > 0)
                return store_set_error(s, -EINVAL, "split: report %lld is not in group %lld", (long long) foreign,
                                 (long long) group);
        if (n_in >= n_group)
                return store_set_error(s, -EINVAL,
                                 "split: these are all %lld reports of group %lld; nothing would be left in it",
                                 (long long) n_group, (long long) group);
        return 0;
}

int store_split_group(Store *s, int64_t group, const int64_t *reports, size_t n, int64_t *ret) {
        StrBuf csv = {};
        int64_t id = 0;
        int r = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = strbuf_printf(&csv, "%s%lld", i ? "," : "", (long long) reports[i]);
        if (r < 0) {
                strbuf_done(&csv);
                return r;
        }
        r = store_begin(s);
        if (r >= 0) {
                r = split_check(s, group, csv.s, n);
                if (r >= 0)
                        r = split_into(s, group, csv.s, &id);
                if (r >= 0)
                        r = log_triage(s, group, "split", csv.s);
                r = in_transaction(s, r);
        }
        strbuf_done(&csv);
        if (r >= 0)
                *ret = id;
        return r;
}

/* After reparse: apply the recorded triage again, in order, to the recomputed groups. */
int store_replay_triage(Store *s) {
        sqlite3_stmt *st;
        int rc, r = store_prepare(s, "SELECT t.action, t.value, g.id FROM triage_log t JOIN groups g ON g.signature = t.signature ORDER BY t.at, t.id", &st);
        if (r < 0)
                return r;
        while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *action = (const char *) sqlite3_column_text(st, 0);
                const char *value = (const char *) sqlite3_column_text(st, 1);
                int64_t g = sqlite3_column_int64(st, 2), id;
                if (!strcmp(action, "status"))
                        r = exec_id(s, "UPDATE groups SET status = ?3 WHERE id = ?1 AND ?2 = ?2", g, 0, value);
                else if (!strcmp(action, "note"))
                        r = exec_id(s, "UPDATE groups SET note = ?3 WHERE id = ?1 AND ?2 = ?2", g, 0, value);
                else if (!strcmp(action, "merge")) {
                        sqlite3_stmt *q;
                        int64_t from = 0;
                        r = store_prepare(s, "SELECT id FROM groups WHERE signature = ?1", &q);
                        if (r >= 0) {
                                store_bind_text(q, 1, value);
                                r = store_step(s, q, &from);
                                sqlite3_finalize(q);
                        }
                        if (r >= 0 && from > 0 && from != g)
                                r = merge_into(s, g, from);
                } else if (!strcmp(action, "split") && value)
                        r = split_into(s, g, value, &id) == -ENOENT ? 0 : r;
        }
        sqlite3_finalize(st);
        return r;
}

/* ---- suppressions --------------------------------------------------------------------------- */

int store_add_suppression(Store *s, const char *cls, const char *edge_from, const char *edge_to,
                          uint64_t expires, const char *note, int64_t *ret_id) {
        bool by_class = cls && *cls, by_edge = edge_from && *edge_from && edge_to && *edge_to;
        sqlite3_stmt *st;
        int64_t id = 0;
        if (by_class == by_edge || !printable_text(cls) || !printable_text(edge_from) || !printable_text(edge_to) ||
            !printable_text(note))
                return -EINVAL;
        uint64_t now = store_now();
        if (expires && expires <= now)
                return store_set_error(s, -EINVAL, "suppression: it would have expired already (expires must be in the future)");
        int64_t known = 0;
        int r = store_prepare(s, by_class ? "SELECT EXISTS (SELECT 1 FROM lock_classes WHERE canonical = ?1) WHERE ?2 IS NULL"
                                    : "SELECT EXISTS (SELECT 1 FROM lock_edges WHERE from_class = ?1 AND to_class = ?2)",
                        &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, by_class ? cls : edge_from);
        store_bind_text(st, 2, by_class ? NULL : edge_to);
        r = store_step(s, st, &known);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        if (!known)
                return by_class ? store_set_error(s, -EINVAL, "suppression: no lock class '%s' in the database (a canonical name, "
                                                       "as lockdepctl locks prints it)", cls)
                                : store_set_error(s, -EINVAL, "suppression: no lock-order edge '%s' -> '%s' in the database",
                                            edge_from, edge_to);
        r = store_prepare(s, "INSERT INTO suppressions (class, edge_from, edge_to, expires, note, created) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, by_class ? cls : NULL);
        store_bind_text(st, 2, by_edge ? edge_from : NULL);
        store_bind_text(st, 3, by_edge ? edge_to : NULL);
        if (expires)
                sqlite3_bind_int64(st, 4, (sqlite3_int64) expires);
        store_bind_text(st, 5, note);
        sqlite3_bind_int64(st, 6, (sqlite3_int64) now);
        r = store_step(s, st, &id);
        sqlite3_finalize(st);
        if (r >= 0 && ret_id)
                *ret_id = id;
        return r;
}

int store_suppression_list(Store *s, int64_t group, StoreSuppressionList *ret) {
        *ret = (StoreSuppressionList) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        return store_view_query_rows(s,
                        "SELECT su.id, su.class, su.edge_from, su.edge_to, su.expires, su.note, su.created, "
                        "(su.expires IS NULL OR su.expires > now_usec()) FROM suppressions su "
                        "WHERE ?1 = 0 OR " RULE_MATCHES("?1") " ORDER BY su.id",
                        group, NULL, NULL, &store_suppression_shape, ret->mem_, &ret->v, &ret->n);
}

int store_delete_suppression(Store *s, int64_t id) {
        int r = exec_id(s, "DELETE FROM suppressions WHERE id = ?1 AND ?2 = ?2", id, 0, NULL);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

/* ---- shared with the other readers (store-internal.h) ---------------------------------------- */

int store_open_object(Store *s, StrBuf *b, const char *sql, int64_t id, const char *text) {
        return open_object(s, b, sql, id, text);
}

int store_append_array(Store *s, StrBuf *b, const char *key, const char *sql, int64_t id, const char *text) {
        return append_array(s, b, key, sql, id, text);
}

int store_open_object3(Store *s, StrBuf *b, const char *sql, int64_t id, const char *text, const char *text2) {
        return open_object3(s, b, sql, id, text, text2);
}

int store_append_array3(Store *s, StrBuf *b, const char *key, const char *sql, int64_t id, const char *text,
                        const char *text2) {
        return append_array3(s, b, key, sql, id, text, text2);
}

int store_close_object(StrBuf *b, char **ret, int r) {
        return close_object(b, ret, r);
}
