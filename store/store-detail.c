/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The typed views of one group and one report (store.h), filled in SQL: the derived tables for the
 * counts, SQLite's JSON1 over the representative's reports.parsed for what only the parse knows
 * (classes, scenario, stacks, sites). One read transaction per view, so that the group's counts,
 * its occurrence page and their total are of one snapshot of the database. Every string and array
 * of a view lives in its arena, freed at once by the view's _free(); store-views.c serializes.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "store-internal.h"

/* ---- the arena of a view -------------------------------------------------------------------- */

typedef struct Chunk {
        struct Chunk *next;
        size_t used, size;
        alignas(max_align_t) unsigned char data[];
} Chunk;

#define CHUNK_MIN 8192

static void *arena_alloc(void **mem, size_t n) {
        Chunk *c = *mem;
        n = (n + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
        if (!c || c->size - c->used < n) {
                size_t size = MAX(n, (size_t) CHUNK_MIN);
                Chunk *m = malloc(sizeof(Chunk) + size);
                if (!m)
                        return NULL;
                *m = (Chunk) { .next = c, .size = size };
                *mem = c = m;
        }
        void *p = c->data + c->used;
        c->used += n;
        return p;
}

static void arena_free(void **mem) {
        for (Chunk *c = *mem, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        *mem = NULL;
}

/* Column col of st's row as a string of the arena (NULL for SQL NULL). */
static int col_text(void **mem, sqlite3_stmt *st, int col, const char **ret) {
        if (sqlite3_column_type(st, col) == SQLITE_NULL) {
                *ret = NULL;
                return 0;
        }
        const unsigned char *t = sqlite3_column_text(st, col);
        size_t n = t ? (size_t) sqlite3_column_bytes(st, col) : 0;
        char *p = arena_alloc(mem, n + 1);
        if (!p)
                return -ENOMEM;
        if (n)
                memcpy(p, t, n);
        p[n] = 0;
        *ret = p;
        return 0;
}

/* The same, "" for SQL NULL: for the strings a view never leaves NULL. */
static int col_text0(void **mem, sqlite3_stmt *st, int col, const char **ret) {
        int r = col_text(mem, st, col, ret);
        if (r >= 0 && !*ret)
                *ret = "";
        return r;
}

/* ---- rows into arrays ----------------------------------------------------------------------- */

typedef int (*RowFill)(void **mem, sqlite3_stmt *st, void *elem);

/* Steps st (prepared and bound) to its end, one element of size bytes per row filled by f, the
 * array moved into the arena at the end; finalizes st. */
static int fill_rows(Store *s, void **mem, sqlite3_stmt *st, size_t size, RowFill f, void *ret_v, size_t *ret_n) {
        unsigned char *v = NULL;
        size_t n = 0, cap = 0;
        int rc, r = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        size_t c = cap ? cap * 2 : 16;
                        unsigned char *m = realloc(v, c * size);
                        if (!m) {
                                r = -ENOMEM;
                                break;
                        }
                        v = m;
                        cap = c;
                }
                memset(v + n * size, 0, size);
                r = f(mem, st, v + n * size);
                if (r < 0)
                        break;
                n++;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = store_fail(s, rc);
        sqlite3_finalize(st);
        void *out = NULL;
        if (r >= 0 && n > 0) {
                out = arena_alloc(mem, n * size);
                if (out)
                        memcpy(out, v, n * size);
                else
                        r = -ENOMEM;
        }
        free(v);
        if (r < 0)
                return r;
        *(void **) ret_v = out;
        *ret_n = n;
        return 0;
}

/* sql with ?1 = id and ?2 = text (when given) into an array */
static int query_rows(Store *s, void **mem, const char *sql, int64_t id, const char *text, size_t size, RowFill f,
                      void *ret_v, size_t *ret_n) {
        sqlite3_stmt *st;
        int r = store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        if (text)
                sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
        return fill_rows(s, mem, st, size, f, ret_v, ret_n);
}

/* the same with the JSON text bound to ?1 (a parse object as stored) */
static int json_rows(Store *s, void **mem, const char *sql, const char *json, size_t size, RowFill f, void *ret_v,
                     size_t *ret_n) {
        sqlite3_stmt *st;
        *(void **) ret_v = NULL;
        *ret_n = 0;
        if (!json)
                return 0;
        int r = store_prepare(s, sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, json, -1, SQLITE_STATIC);
        return fill_rows(s, mem, st, size, f, ret_v, ret_n);
}

static int fill_str(void **mem, sqlite3_stmt *st, void *e) {
        return col_text0(mem, st, 0, e);
}

static int fill_count(void **mem, sqlite3_stmt *st, void *e) {
        StoreCount *c = e;
        c->n = sqlite3_column_int64(st, 1);
        return col_text(mem, st, 0, &c->name);
}

static int fill_rule(void **mem, sqlite3_stmt *st, void *e) {
        StoreRuleRef *x = e;
        x->id = sqlite3_column_int64(st, 0);
        x->expires = sqlite3_column_int64(st, 4);
        if (col_text(mem, st, 1, &x->cls) < 0 || col_text(mem, st, 2, &x->edge_from) < 0 ||
            col_text(mem, st, 3, &x->edge_to) < 0)
                return -ENOMEM;
        return col_text(mem, st, 5, &x->note);
}

static int fill_edge(void **mem, sqlite3_stmt *st, void *e) {
        StoreGroupEdge *x = e;
        x->n = sqlite3_column_int64(st, 2);
        if (col_text0(mem, st, 0, &x->from) < 0 || col_text0(mem, st, 1, &x->to) < 0 ||
            col_text(mem, st, 3, &x->first_kernel) < 0)
                return -ENOMEM;
        return col_text(mem, st, 4, &x->site);
}

static int fill_related(void **mem, sqlite3_stmt *st, void *e) {
        StoreRelatedGroup *x = e;
        x->id = sqlite3_column_int64(st, 0);
        x->shared = sqlite3_column_int64(st, 3);
        x->shared_edges = sqlite3_column_int64(st, 4);
        x->score = sqlite3_column_double(st, 5);
        return col_text0(mem, st, 1, &x->kind) < 0 ? -ENOMEM : col_text(mem, st, 2, &x->func_title);
}

static int fill_normalization(void **mem, sqlite3_stmt *st, void *e) {
        StoreNormalization *x = e;
        return col_text0(mem, st, 0, &x->printed) < 0 ? -ENOMEM : col_text0(mem, st, 1, &x->canonical);
}

static int fill_triage(void **mem, sqlite3_stmt *st, void *e) {
        StoreTriageEntry *x = e;
        x->at = sqlite3_column_int64(st, 0);
        x->group = sqlite3_column_int64(st, 1);
        return col_text0(mem, st, 2, &x->action) < 0 ? -ENOMEM : col_text(mem, st, 3, &x->value);
}

typedef struct Frame {
        int64_t link;
        const char *frame;
} Frame;

static int fill_link(void **mem, sqlite3_stmt *st, void *e) {
        return col_text0(mem, st, 0, &((StoreChainLink *) e)->canonical);
}

static int fill_frame(void **mem, sqlite3_stmt *st, void *e) {
        Frame *f = e;
        f->link = sqlite3_column_int64(st, 0);
        return col_text0(mem, st, 1, &f->frame);
}

/* ---- a read transaction --------------------------------------------------------------------- */

/* A view reads in one snapshot: its own transaction, unless the caller is in one. */
static int read_begin(Store *s, bool *ret_began) {
        *ret_began = false;
        if (!sqlite3_get_autocommit(s->db))
                return 0;
        int r = store_exec(s, "BEGIN");
        *ret_began = r >= 0;
        return r;
}

static int read_end(Store *s, bool began, int r) {
        if (!began)
                return r;
        if (r < 0) {
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        int q = store_exec(s, "COMMIT");
        if (q < 0)
                sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return q;
}

/* ---- one report ----------------------------------------------------------------------------- */

/* the parse object bound to ?1, NULL when it is not JSON (then nothing is read from it) */
#define PARSE "(CASE WHEN json_valid(?1) THEN ?1 END)"

static int report_fill(Store *s, int64_t id, StoreReportDetail *d) {
        sqlite3_stmt *st;
        int r = store_prepare(s,
                              "SELECT r.id, r.grp, r.kind, coalesce(h.hostname, h.machine_id), b.boot_id, "
                              "coalesce(json_extract(p.j, '$.kernel'), b.kernel), r.time, r.source, r.truncated, r.usec, r.raw, p.j "
                              "FROM reports r JOIN boots b ON b.id = r.boot JOIN hosts h ON h.id = b.host, "
                              "(SELECT lockdep_parsed(parsed) AS j FROM reports WHERE id = ?1) p WHERE r.id = ?1",
                              &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                d->row.id = sqlite3_column_int64(st, 0);
                d->row.group = sqlite3_column_int64(st, 1);
                d->row.time = sqlite3_column_int64(st, 6);
                d->row.truncated = sqlite3_column_int(st, 8) != 0;
                d->has_usec = sqlite3_column_type(st, 9) != SQLITE_NULL;
                d->usec = sqlite3_column_int64(st, 9);
                if (col_text0(&d->mem_, st, 2, &d->row.kind) < 0 || col_text(&d->mem_, st, 3, &d->row.host) < 0 ||
                    col_text(&d->mem_, st, 4, &d->row.boot_id) < 0 || col_text(&d->mem_, st, 5, &d->row.kernel) < 0 ||
                    col_text(&d->mem_, st, 7, &d->row.source) < 0 || col_text0(&d->mem_, st, 10, &d->raw) < 0 ||
                    col_text(&d->mem_, st, 11, &d->parsed) < 0)
                        r = -ENOMEM;
        } else
                r = rc == SQLITE_DONE ? -ENOENT : store_fail(s, rc);
        sqlite3_finalize(st);
        if (r < 0 || !d->parsed)
                return r;

        r = store_prepare(s,
                          "SELECT " PARSE " ->> '$.func_title', " PARSE " ->> '$.task', "
                          "coalesce(" PARSE " ->> '$.first_line', 0), coalesce(" PARSE " ->> '$.last_line', 0)",
                          &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, d->parsed, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                d->first_line = sqlite3_column_int64(st, 2);
                d->last_line = sqlite3_column_int64(st, 3);
                if (col_text(&d->mem_, st, 0, &d->func_title) < 0 || col_text(&d->mem_, st, 1, &d->task) < 0)
                        r = -ENOMEM;
        } else
                r = store_fail(s, rc);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        /* the names the text shows for its locks, to mark them in it */
        return json_rows(s, &d->mem_,
                         "SELECT name FROM (SELECT 0 AS k, 0 AS i, " PARSE " ->> '$.acquiring.class' AS name "
                         "UNION ALL SELECT 1, 0, " PARSE " ->> '$.holding.class' "
                         "UNION ALL SELECT 2, c.key, c.value FROM json_each(" PARSE ", '$.cycle') c WHERE c.type = 'text' "
                         "UNION ALL SELECT 3, c.key, c.value ->> 'class' FROM json_each(" PARSE ", '$.chain') c) "
                         "WHERE name IS NOT NULL AND name != '' ORDER BY k, i",
                         d->parsed, sizeof(const char *), fill_str, &d->marks, &d->n_marks);
}

int store_report_detail(Store *s, int64_t id, StoreReportDetail *ret) {
        bool began;
        *ret = (StoreReportDetail) {};
        int r = read_begin(s, &began);
        if (r >= 0)
                r = report_fill(s, id, ret);
        return read_end(s, began, r);
}

void store_report_detail_free(StoreReportDetail *d) {
        if (d) {
                arena_free(&d->mem_);
                *d = (StoreReportDetail) {};
        }
}

int store_report_json(Store *s, int64_t id, char **ret) {
        StoreReportDetail d;
        StrBuf b = {};
        int r = store_report_detail(s, id, &d);
        if (r >= 0)
                r = store_report_detail_json(&d, &b);
        store_report_detail_free(&d);
        if (r >= 0 && !(*ret = strbuf_steal(&b)))
                r = -ENOMEM;
        strbuf_done(&b);
        return r;
}

/* ---- one group ------------------------------------------------------------------------------ */

/* The report a group is shown by: its newest complete report, else its newest. */
#define REPRESENTATIVE(grp)                                                                                            \
        "coalesce((SELECT rr.id FROM reports rr WHERE rr.grp = " grp " AND rr.truncated = 0 ORDER BY rr.time DESC, rr.id DESC LIMIT 1), " \
        "(SELECT rr.id FROM reports rr WHERE rr.grp = " grp " ORDER BY rr.time DESC, rr.id DESC LIMIT 1))"

static int group_head(Store *s, int64_t id, StoreGroupDetail *d) {
        sqlite3_stmt *st;
        int r = store_prepare(s,
                              "SELECT g.id, g.kind, g.key, g.signature, g.func_title, g.n_reports, g.n_hosts, g.first_seen, "
                              "g.last_seen, g.status, g.note, g.kernel_first, g.kernel_last, g.sig_version, rep.id, "
                              "lockdep_parsed(rep.parsed) FROM groups g LEFT JOIN reports rep ON rep.id = " REPRESENTATIVE("g.id")
                              " WHERE g.id = ?1",
                              &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                StoreGroupRow *g = &d->row;
                g->id = sqlite3_column_int64(st, 0);
                g->n_reports = sqlite3_column_int64(st, 5);
                g->n_hosts = sqlite3_column_int64(st, 6);
                g->first_seen = sqlite3_column_int64(st, 7);
                g->last_seen = sqlite3_column_int64(st, 8);
                d->sig_version = sqlite3_column_int64(st, 13);
                d->representative = sqlite3_column_int64(st, 14);
                void **m = &d->mem_;
                if (col_text0(m, st, 1, &g->kind) < 0 || col_text0(m, st, 2, &g->key) < 0 ||
                    col_text0(m, st, 3, &g->signature) < 0 || col_text(m, st, 4, &g->func_title) < 0 ||
                    col_text0(m, st, 9, &g->status) < 0 || col_text(m, st, 10, &g->note) < 0 ||
                    col_text(m, st, 11, &g->kernel_first) < 0 || col_text(m, st, 12, &g->kernel_last) < 0 ||
                    col_text(m, st, 15, &d->parsed) < 0)
                        r = -ENOMEM;
        } else
                r = rc == SQLITE_DONE ? -ENOENT : store_fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

/* What the representative's parse says: classes, scenario, the held lock's site, the chain's stacks. */
static int group_parse(Store *s, StoreGroupDetail *d) {
        void **m = &d->mem_;
        int r = json_rows(s, m, "SELECT value FROM json_each(" PARSE ", '$.classes') WHERE type = 'text' ORDER BY key",
                          d->parsed, sizeof(const char *), fill_str, &d->classes, &d->n_classes);
        if (r >= 0)
                r = json_rows(s, m, "SELECT value FROM json_each(" PARSE ", '$.scenario') WHERE type = 'text' ORDER BY key",
                              d->parsed, sizeof(const char *), fill_str, &d->scenario, &d->n_scenario);
        if (r >= 0) {
                const char **at = NULL;
                size_t n = 0;
                r = json_rows(s, m, "SELECT " PARSE " ->> '$.holding.at' WHERE " PARSE " ->> '$.holding.at' IS NOT NULL",
                              d->parsed, sizeof(const char *), fill_str, &at, &n);
                d->holding_at = n ? at[0] : NULL;
        }
        if (r >= 0)
                r = json_rows(s, m, "SELECT value ->> 'canonical' FROM json_each(" PARSE ", '$.chain') ORDER BY key", d->parsed,
                              sizeof(StoreChainLink), fill_link, &d->chain, &d->n_chain);
        Frame *f = NULL;
        size_t nf = 0;
        if (r >= 0 && d->n_chain > 0)
                r = json_rows(s, m,
                              "SELECT c.key, f.value FROM json_each(" PARSE ", '$.chain') c, json_each(c.value, '$.stack') f "
                              "WHERE f.type = 'text' ORDER BY c.key, f.key",
                              d->parsed, sizeof(Frame), fill_frame, &f, &nf);
        for (size_t i = 0, k; r >= 0 && i < nf; i = k) {
                for (k = i; k < nf && f[k].link == f[i].link; k++)
                        ;
                if (f[i].link < 0 || (size_t) f[i].link >= d->n_chain)
                        continue;
                StoreChainLink *l = &d->chain[f[i].link];
                l->stack = arena_alloc(m, (k - i) * sizeof(char *));
                if (!l->stack)
                        return -ENOMEM;
                for (size_t j = i; j < k; j++)
                        l->stack[l->n_stack++] = f[j].frame;
        }
        return r;
}

/* reports per UTC day of the last 90 days */
#define DAILY_SQL                                                                                   \
        "SELECT strftime('%Y-%m-%d', time / 1000000, 'unixepoch') AS day, count(*) AS n FROM reports " \
        "WHERE grp = ?1 AND time >= (CAST(strftime('%s','now') AS INTEGER) - 90 * 86400) * 1000000 "  \
        "GROUP BY day ORDER BY day"

static int group_fill(Store *s, int64_t id, const StoreDetailQuery *q, StoreGroupDetail *d) {
        void **m = &d->mem_;
        int r = group_head(s, id, d);
        if (r >= 0 && q && q->daily_only)
                return query_rows(s, m, DAILY_SQL, id, NULL, sizeof(StoreCount), fill_count, &d->daily, &d->n_daily);
        if (r >= 0)
                r = group_parse(s, d);
        if (r >= 0) /* the rules that hide it, so the page can say which */
                r = query_rows(s, m,
                               "SELECT su.id, su.class, su.edge_from, su.edge_to, su.expires, su.note FROM suppressions su "
                               "WHERE (su.expires IS NULL OR su.expires > now_usec()) AND (su.class IN "
                               "(SELECT canonical FROM group_classes WHERE grp = ?1) OR EXISTS (SELECT 1 FROM edge_groups eg "
                               "JOIN lock_edges e ON e.id = eg.edge WHERE eg.grp = ?1 AND e.from_class = su.edge_from "
                               "AND e.to_class = su.edge_to)) ORDER BY su.id",
                               id, NULL, sizeof(StoreRuleRef), fill_rule, &d->suppressed_by, &d->n_suppressed_by);
        d->row.suppressed = d->n_suppressed_by > 0;
        if (r >= 0)
                /* each edge's acquire site: the one the parser gave it in the representative report
                 * (LockdepEdge.at: never a locking function); reports parsed before edges[] existed
                 * give the "at" of the chain entry of "to", the same rule, until a reparse */
                r = query_rows(s, m,
                               "WITH rep AS (SELECT CASE WHEN json_valid(?2) THEN ?2 END AS p) "
                               "SELECT e.from_class, e.to_class, e.n, e.first_kernel, "
                               "(SELECT CASE WHEN json_type(rep.p, '$.edges') IS NOT NULL THEN "
                               "  (SELECT x.value ->> 'at' FROM json_each(rep.p, '$.edges') x "
                               "   WHERE x.value ->> 'from' = e.from_class AND x.value ->> 'to' = e.to_class LIMIT 1) "
                               " ELSE (SELECT c.value ->> 'at' FROM json_each(rep.p, '$.chain') c "
                               "   WHERE c.value ->> 'canonical' = e.to_class LIMIT 1) END FROM rep) "
                               "FROM edge_groups eg JOIN lock_edges e ON e.id = eg.edge WHERE eg.grp = ?1 ORDER BY e.id",
                               id, d->parsed ?: "null", sizeof(StoreGroupEdge), fill_edge, &d->edges, &d->n_edges);
        if (r >= 0) /* by version, newest first: arrival order means nothing (stable, mainline, bisects) */
                r = query_rows(s, m, "SELECT kernel, n FROM group_kernels WHERE grp = ?1 ORDER BY kernel COLLATE kernel_version DESC",
                               id, NULL, sizeof(StoreCount), fill_count, &d->kernels, &d->n_kernels);
        if (r >= 0)
                r = query_rows(s, m,
                               "SELECT coalesce(h.hostname, h.machine_id) AS host, gh.n FROM group_hosts gh JOIN hosts h ON h.id = gh.host "
                               "WHERE gh.grp = ?1 ORDER BY gh.n DESC, host",
                               id, NULL, sizeof(StoreCount), fill_count, &d->hosts, &d->n_hosts);
        if (r >= 0) /* the task (comm, the parser leaves the pid out) of each report, counted as they arrive */
                r = query_rows(s, m,
                               "SELECT nullif(task, ''), n FROM group_tasks WHERE grp = ?1 ORDER BY n DESC, task LIMIT 50",
                               id, NULL, sizeof(StoreCount), fill_count, &d->tasks, &d->n_tasks);
        if (r >= 0)
                r = query_rows(s, m, DAILY_SQL, id, NULL, sizeof(StoreCount), fill_count, &d->daily, &d->n_daily);
        if (r >= 0)
                /* Related groups, ranked over every group that shares a class or an edge: first by the
                 * lock-order edges shared, then by the shared classes each weighted by its rarity (1 / the
                 * number of groups that have it), so a class nearly every group has counts for little.
                 * A group that shares one very common class (in more than a tenth of the groups, and
                 * more than 3) and no edge is noise and left out. */
                r = query_rows(s, m,
                               "WITH df AS (SELECT canonical, count(*) AS n FROM group_classes "
                               "  WHERE canonical IN (SELECT canonical FROM group_classes WHERE grp = ?1) GROUP BY canonical), "
                               "cls AS (SELECT c.grp, count(*) AS shared, sum(1.0 / df.n) AS score, max(df.n) AS df_max "
                               "  FROM group_classes a JOIN group_classes c ON c.canonical = a.canonical AND c.grp != a.grp "
                               "  JOIN df ON df.canonical = a.canonical WHERE a.grp = ?1 GROUP BY c.grp), "
                               "edg AS (SELECT e2.grp, count(*) AS shared_edges FROM edge_groups e1 JOIN edge_groups e2 "
                               "  ON e2.edge = e1.edge AND e2.grp != e1.grp WHERE e1.grp = ?1 GROUP BY e2.grp), "
                               "cand AS (SELECT grp FROM cls UNION SELECT grp FROM edg) "
                               "SELECT g2.id, g2.kind, g2.func_title, coalesce(cls.shared, 0) AS shared, "
                               "coalesce(edg.shared_edges, 0) AS shared_edges, round(coalesce(cls.score, 0), 4) AS score "
                               "FROM cand JOIN groups g2 ON g2.id = cand.grp LEFT JOIN cls ON cls.grp = cand.grp "
                               "LEFT JOIN edg ON edg.grp = cand.grp "
                               "WHERE NOT (coalesce(edg.shared_edges, 0) = 0 AND cls.shared = 1 AND cls.df_max > 3 "
                               "  AND cls.df_max * 10 > (SELECT count(*) FROM groups)) "
                               "ORDER BY shared_edges DESC, coalesce(cls.score, 0) DESC, g2.n_reports DESC, g2.id LIMIT 20",
                               id, NULL, sizeof(StoreRelatedGroup), fill_related, &d->related, &d->n_related);
        if (r >= 0)
                /* the names this group's reports printed for the locks store_report_derived() takes
                 * (the chain, the acquiring and the holding lock) that normalize to another class,
                 * kept as they arrive (not every name of its classes in the database) */
                r = query_rows(s, m,
                               "SELECT printed, canonical FROM group_names WHERE grp = ?1 ORDER BY canonical, printed LIMIT 100",
                               id, NULL, sizeof(StoreNormalization), fill_normalization, &d->normalizations, &d->n_normalizations);
        if (r >= 0)
                /* the log is keyed by signature (it survives reparse); the history names group ids: the
                 * group each entry was made on (this one, or one merged into it), and for a merge
                 * the group merged ("group N"; its tombstone), the signature only if it left none */
                r = query_rows(s, m,
                               "SELECT t.at, "
                               "CASE WHEN t.signature = (SELECT signature FROM groups WHERE id = ?1) THEN ?1 ELSE "
                               " (SELECT ts.id FROM group_tombstones ts WHERE ts.signature = t.signature AND ts.into_grp = ?1 "
                               "  ORDER BY ts.at DESC LIMIT 1) END, t.action, "
                               "CASE WHEN t.action = 'merge' THEN coalesce('group ' || coalesce("
                               " (SELECT ts.id FROM group_tombstones ts WHERE ts.signature = t.value ORDER BY ts.into_grp = ?1 DESC, ts.at DESC LIMIT 1),"
                               " (SELECT g2.id FROM groups g2 WHERE g2.signature = t.value)), t.value) ELSE t.value END "
                               "FROM triage_log t WHERE t.signature IN "
                               "(SELECT signature FROM groups WHERE id = ?1 UNION ALL "
                               "SELECT signature FROM group_tombstones WHERE into_grp = ?1) ORDER BY t.at, t.id",
                               id, NULL, sizeof(StoreTriageEntry), fill_triage, &d->triage, &d->n_triage);
        if (r >= 0 && q && q->occurrences) {
                StoreQuery oq = { .group = id, .limit = q->occ_limit, .offset = q->occ_offset };
                r = store_count_reports(s, &oq, &d->n_occurrences);
                if (r >= 0)
                        r = store_report_list(s, &oq, &d->occurrences);
        }
        if (r >= 0 && q && q->report && d->representative > 0)
                r = report_fill(s, d->representative, &d->report);
        return r;
}

int store_group_detail(Store *s, int64_t id, const StoreDetailQuery *q, StoreGroupDetail *ret) {
        bool began;
        *ret = (StoreGroupDetail) {};
        int r = read_begin(s, &began);
        if (r >= 0)
                r = group_fill(s, id, q, ret);
        return read_end(s, began, r);
}

void store_group_detail_free(StoreGroupDetail *d) {
        if (d) {
                store_report_list_free(&d->occurrences);
                store_report_detail_free(&d->report);
                arena_free(&d->mem_);
                *d = (StoreGroupDetail) {};
        }
}

int store_group_json(Store *s, int64_t id, char **ret) {
        StoreGroupDetail d;
        StrBuf b = {};
        int r = store_group_detail(s, id, NULL, &d);
        if (r >= 0)
                r = store_group_detail_json(&d, &b);
        store_group_detail_free(&d);
        if (r >= 0 && !(*ret = strbuf_steal(&b)))
                r = -ENOMEM;
        strbuf_done(&b);
        return r;
}
