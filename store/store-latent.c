/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fleet-wide lock dependencies (docs/LATENT.md): the graphs boots export in /proc/lockdep, united
 * per kernel release, and the cycles of each union that no single boot contained.
 *
 * Write path: store_dep_snapshot() adds a snapshot's dependencies to its release's union, each
 * with the set of boots and hosts that had it (store/idset.h), so a dependency known to the boot
 * already costs one lookup and nothing else. Analysis: store_latent_analyze() takes each release
 * whose union changed, finds its strongly connected components (Tarjan), enumerates the elementary
 * cycles of up to LATENT_MAX_LENGTH classes inside them, and keeps those whose dependencies have no
 * boot in common: a boot that had them all contained the cycle itself (lockdep would have reported
 * it, or two of its classes only share a canonical name), so it is not latent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "idset.h"
#include "json.h"
#include "store-internal.h"
#include "time-spec.h"

#define LATENT_MAX_LENGTH 6
#define LATENT_MAX_CYCLES 10000 /* per release; more and the release is marked capped */
#define LATENT_EVIDENCE_BOOTS 5 /* boots listed per dependency */

static int fail(Store *s, int rc) {
        return store_fail(s, rc);
}

static int step_done(Store *s, sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, rc);
}

/* ---- ids ------------------------------------------------------------------------------------- */

/* "INSERT OR IGNORE then SELECT": the id of the row whose unique column(s) are bound. */
static int get_or_insert(Store *s, sqlite3_stmt *ins, sqlite3_stmt *sel, int64_t *ret) {
        int r = step_done(s, ins);
        if (r < 0)
                return r;
        int rc = sqlite3_step(sel);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(sel);
                return fail(s, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc);
        }
        *ret = sqlite3_column_int64(sel, 0);
        sqlite3_reset(sel);
        return 0;
}

/* ---- idsets in SQL: idset_add(SET, X) and idset_has(SET, X) ------------------------------------ */

static void sql_idset_add(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
        IdSet set;
        int r = idset_load(&set, sqlite3_value_blob(argv[0]), (size_t) sqlite3_value_bytes(argv[0]));
        if (r >= 0)
                r = idset_add(&set, (uint64_t) sqlite3_value_int64(argv[1]));
        if (r == -ENOMEM)
                sqlite3_result_error_nomem(ctx);
        else if (r < 0)
                sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
        else
                sqlite3_result_blob(ctx, set.v ? (const void *) set.v : "", (int) set.n, SQLITE_TRANSIENT);
        idset_done(&set);
}

static void sql_idset_has(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
        IdSet set = { .v = (uint8_t *) sqlite3_value_blob(argv[0]), .n = (size_t) sqlite3_value_bytes(argv[0]) };
        int r = idset_contains(&set, (uint64_t) sqlite3_value_int64(argv[1]));
        if (r < 0)
                sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
        else
                sqlite3_result_int(ctx, r);
}

int store_latent_register(Store *s) {
        int rc = sqlite3_create_function_v2(s->db, "idset_add", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                            sql_idset_add, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_create_function_v2(s->db, "idset_has", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                                sql_idset_has, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

/* ---- class ids -------------------------------------------------------------------------------- */

/* Canonical class name -> dep_classes.id, kept with the connection (classes are never deleted, so
 * a committed id stays right) and dropped on rollback (store_latent_forget()): a snapshot names
 * thousands of classes, most of them known. */
struct StoreLatentCache {
        char **name;
        int64_t *id;
        size_t size, n;
        sqlite3_stmt *ins, *sel, *unc;
};


void store_latent_forget(Store *s) {
        StoreLatentCache *c = s->latent;
        if (!c)
                return;
        for (size_t i = 0; i < c->size; i++)
                free(c->name[i]);
        free(c->name);
        free(c->id);
        sqlite3_finalize(c->ins);
        sqlite3_finalize(c->sel);
        sqlite3_finalize(c->unc);
        free(c);
        s->latent = NULL;
}

static int cache_grow(StoreLatentCache *c) {
        size_t size = c->size ? c->size * 2 : 1024;
        char **name = calloc(size, sizeof(char *));
        int64_t *id = calloc(size, sizeof(int64_t));
        if (!name || !id) {
                free(name);
                free(id);
                return -ENOMEM;
        }
        for (size_t i = 0; i < c->size; i++)
                if (c->name[i]) {
                        size_t j = fnv1a64_str(c->name[i]) & (size - 1);
                        while (name[j])
                                j = (j + 1) & (size - 1);
                        name[j] = c->name[i];
                        id[j] = c->id[i];
                }
        free(c->name);
        free(c->id);
        c->name = name;
        c->id = id;
        c->size = size;
        return 0;
}

static int class_id(Store *s, const char *name, bool uncertain, int64_t *ret) {
        StoreLatentCache *c = s->latent;
        int r;

        if (!c) {
                c = s->latent = calloc(1, sizeof(*c));
                if (!c)
                        return -ENOMEM;
                if ((r = store_prepare(s, "INSERT OR IGNORE INTO dep_classes (name) VALUES (?1)", &c->ins)) < 0 ||
                    (r = store_prepare(s, "SELECT id FROM dep_classes WHERE name = ?1", &c->sel)) < 0 ||
                    (r = store_prepare(s, "UPDATE dep_classes SET uncertain = 1 WHERE id = ?1 AND uncertain = 0", &c->unc)) < 0)
                        return r;
        }
        if (c->n * 2 >= c->size && (r = cache_grow(c)) < 0)
                return r;
        size_t j = fnv1a64_str(name) & (c->size - 1);
        while (c->name[j]) {
                if (strcmp(c->name[j], name) == 0) {
                        *ret = c->id[j];
                        return 0;
                }
                j = (j + 1) & (c->size - 1);
        }
        sqlite3_bind_text(c->ins, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(c->sel, 1, name, -1, SQLITE_STATIC);
        r = get_or_insert(s, c->ins, c->sel, ret);
        if (r < 0)
                return r;
        if (uncertain) {
                /* uncertain once is uncertain: per-filesystem classes are so in every boot */
                sqlite3_bind_int64(c->unc, 1, *ret);
                r = step_done(s, c->unc);
                if (r < 0)
                        return r;
        }
        c->name[j] = strdup(name);
        if (!c->name[j])
                return -ENOMEM;
        c->id[j] = *ret;
        c->n++;
        return 0;
}

/* The ordinal of the release's host or boot, made when new. */
static int ordinal(Store *s, const char *sel_sql, const char *ins_sql, const char *count_col, int64_t release,
                   const char *key, int64_t host, uint64_t t, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        char sql[256];
        int r = store_prepare(s, sel_sql, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, release);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
                *ret = sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
                return 0;
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return fail(s, rc);
        snprintf(sql, sizeof(sql), "UPDATE dep_releases SET %s = %s + 1 WHERE id = ?1 RETURNING %s - 1", count_col,
                 count_col, count_col);
        if ((r = store_prepare(s, sql, &st)) < 0)
                return r;
        sqlite3_bind_int64(st, 1, release);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        if (rc != SQLITE_ROW)
                return fail(s, rc == SQLITE_DONE ? SQLITE_INTERNAL : rc);
        if ((r = store_prepare(s, ins_sql, &st)) < 0)
                return r;
        sqlite3_bind_int64(st, 1, release);
        sqlite3_bind_int64(st, 2, *ret);
        sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
        if (sqlite3_bind_parameter_count(st) >= 4) {
                sqlite3_bind_int64(st, 4, host);
                sqlite3_bind_int64(st, 5, (int64_t) t);
        }
        r = step_done(s, st);
        sqlite3_finalize(st);
        return r;
}

int store_dep_snapshot(Store *s, const StoreDepOrigin *o, const StoreDep *deps, size_t n, unsigned *ret_new) {
        sqlite3_stmt *ins = NULL, *sel = NULL, *up = NULL, *st = NULL;
        int64_t release, host, boot;
        unsigned added = 0, new_rows = 0;
        bool dirty = false, duplicate = false;
        int r;

        if (!o->release || !*o->release || !o->boot_id || !*o->boot_id || !o->host || !*o->host)
                return -EINVAL;
        if ((r = store_prepare(s, "INSERT OR IGNORE INTO dep_releases (release) VALUES (?1)", &ins)) < 0 ||
            (r = store_prepare(s, "SELECT id FROM dep_releases WHERE release = ?1", &sel)) < 0)
                goto out;
        sqlite3_bind_text(ins, 1, o->release, -1, SQLITE_STATIC);
        sqlite3_bind_text(sel, 1, o->release, -1, SQLITE_STATIC);
        if ((r = get_or_insert(s, ins, sel, &release)) < 0)
                goto out;
        r = ordinal(s, "SELECT ordinal FROM dep_hosts WHERE release = ?1 AND host = ?2",
                    "INSERT INTO dep_hosts (release, ordinal, host) VALUES (?1, ?2, ?3)", "n_hosts", release, o->host,
                    0, o->taken_usec, &host);
        if (r >= 0)
                r = ordinal(s, "SELECT ordinal FROM dep_boots WHERE release = ?1 AND boot_id = ?2",
                            "INSERT INTO dep_boots (release, ordinal, boot_id, host, first_snapshot, last_snapshot,"
                            " n_snapshots, n_edges) VALUES (?1, ?2, ?3, ?4, ?5, ?5, 0, 0)",
                            "n_boots", release, o->boot_id, host, o->taken_usec, &boot);
        if (r < 0)
                goto out;

        /* The same snapshot again (a journal read again after a restart, one snapshot carried by
         * both the spool and the journal, a file imported twice) adds nothing. */
        uint64_t digest = 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t h = fnv1a64(fnv1a64_str(deps[i].from), "", 1);
                digest += fnv1a64(h, deps[i].to, strlen(deps[i].to)); /* a sum: the order does not matter */
        }
        if ((r = store_prepare(s, "INSERT OR IGNORE INTO dep_snapshots (release, boot, taken, digest) VALUES (?1, ?2, ?3, ?4)",
                               &st)) < 0)
                goto out;
        sqlite3_bind_int64(st, 1, release);
        sqlite3_bind_int64(st, 2, boot);
        sqlite3_bind_int64(st, 3, (int64_t) o->taken_usec);
        sqlite3_bind_int64(st, 4, (int64_t) digest);
        if ((r = step_done(s, st)) < 0)
                goto out;
        sqlite3_finalize(st);
        st = NULL;
        if (sqlite3_changes(s->db) == 0) {
                duplicate = true;
                goto out;
        }

        /* One statement per dependency: a new row, or this boot (and host) added to its sets when
         * the boot did not have it; RETURNING says which, and whether the row lies on a cycle of
         * the last analysis (only then, or for a new row, can the latent cycles change). */
        r = store_prepare(s, "INSERT INTO dep_edges (release, from_class, to_class, first_seen, last_seen, n_boots, n_hosts,"
                       " boots, hosts) VALUES (?1, ?2, ?3, ?4, ?4, 1, 1, idset_add(NULL, ?5), idset_add(NULL, ?6))"
                       " ON CONFLICT (release, from_class, to_class) DO UPDATE SET boots = idset_add(boots, ?5),"
                       " hosts = idset_add(hosts, ?6), n_boots = n_boots + 1, n_hosts = n_hosts + NOT idset_has(hosts, ?6),"
                       " first_seen = min(first_seen, ?4), last_seen = max(last_seen, ?4)"
                       " WHERE NOT idset_has(boots, ?5)"
                       " RETURNING n_boots = 1, scc",
                    &up);
        if (r < 0)
                goto out;
        sqlite3_bind_int64(up, 1, release);
        sqlite3_bind_int64(up, 4, (int64_t) o->taken_usec);
        sqlite3_bind_int64(up, 5, boot);
        sqlite3_bind_int64(up, 6, host);
        for (size_t i = 0; i < n; i++) {
                int64_t from, to;
                if ((r = class_id(s, deps[i].from, deps[i].uncertain_from, &from)) < 0 ||
                    (r = class_id(s, deps[i].to, deps[i].uncertain_to, &to)) < 0)
                        goto out;
                sqlite3_bind_int64(up, 2, from);
                sqlite3_bind_int64(up, 3, to);
                int rc = sqlite3_step(up);
                if (rc == SQLITE_ROW) {
                        bool is_new = sqlite3_column_int(up, 0);
                        added++;
                        new_rows += is_new;
                        dirty |= is_new || sqlite3_column_int(up, 1);
                        rc = sqlite3_step(up);
                }
                sqlite3_reset(up);
                if (rc != SQLITE_DONE) {
                        r = fail(s, rc);
                        goto out;
                }
        }

        if ((r = store_prepare(s, "UPDATE dep_boots SET n_snapshots = n_snapshots + 1, n_edges = n_edges + ?3,"
                            " first_snapshot = min(first_snapshot, ?4), last_snapshot = max(last_snapshot, ?4),"
                            " truncated = truncated OR ?5 WHERE release = ?1 AND ordinal = ?2", &st)) < 0)
                goto out;
        sqlite3_bind_int64(st, 1, release);
        sqlite3_bind_int64(st, 2, boot);
        sqlite3_bind_int64(st, 3, added);
        sqlite3_bind_int64(st, 4, (int64_t) o->taken_usec);
        sqlite3_bind_int(st, 5, o->truncated);
        if ((r = step_done(s, st)) < 0)
                goto out;
        sqlite3_finalize(st);
        st = NULL;
        if ((r = store_prepare(s, "UPDATE dep_releases SET dirty = dirty OR ?2, n_edges = n_edges + ?3 WHERE id = ?1", &st)) < 0)
                goto out;
        sqlite3_bind_int64(st, 1, release);
        sqlite3_bind_int(st, 2, dirty);
        sqlite3_bind_int64(st, 3, new_rows);
        r = step_done(s, st);
out:
        sqlite3_finalize(ins);
        sqlite3_finalize(sel);
        sqlite3_finalize(up);
        sqlite3_finalize(st);
        if (r >= 0 && ret_new)
                *ret_new = added;
        return r < 0 ? r : !duplicate;
}

int store_dep_snapshot_rejected(Store *s, const char *reason, const char *source, const char *what, uint64_t now) {
        sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "INSERT INTO dep_snapshot_rejects (reason, n, last_at, last_source, last_what) "
                                 "VALUES (?1, 1, ?2, ?3, ?4) ON CONFLICT (reason) DO UPDATE SET n = n + 1, "
                                 "last_at = excluded.last_at, last_source = excluded.last_source, "
                                 "last_what = excluded.last_what", &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, reason);
        sqlite3_bind_int64(st, 2, (int64_t) now);
        store_bind_text(st, 3, source);
        store_bind_text(st, 4, what);
        r = step_done(s, st);
        sqlite3_finalize(st);
        return r;
}

/* ---- analysis -------------------------------------------------------------------------------- */

typedef struct Graph {
        size_t n_nodes, n_edges;
        int64_t *class;          /* node -> dep_classes.id */
        size_t *first;           /* CSR: edges of node v are [first[v], first[v + 1]) */
        size_t *to;              /* edge -> node */
        uint8_t **boots;         /* edge -> its boot set, loaded by edge_boots() for edges of cycles only */
        size_t *n_boots;
        unsigned *scc;           /* node -> component */
} Graph;

static void graph_done(Graph *g) {
        for (size_t i = 0; g->boots && i < g->n_edges; i++)
                free(g->boots[i]);
        free(g->class);
        free(g->first);
        free(g->to);
        free(g->boots);
        free(g->n_boots);
        free(g->scc);
        *g = (Graph) {};
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return x < y ? -1 : x > y;
}

static size_t node_of(const Graph *g, int64_t cls) {
        const int64_t *p = bsearch(&cls, g->class, g->n_nodes, sizeof(int64_t), cmp_i64);
        return (size_t) (p - g->class);
}

/* The release's union without self-dependencies (two classes that only share a canonical name),
 * edges sorted by (from, to): rows come in primary key order, which is that order by class id. */
static int graph_load(Store *s, int64_t release, Graph *g) {
        sqlite3_stmt *st = NULL;
        size_t cap = 0, n = 0;
        int64_t *from = NULL, *to = NULL;
        int r, rc;

        *g = (Graph) {};
        r = store_prepare(s, "SELECT from_class, to_class FROM dep_edges WHERE release = ?1 AND from_class != to_class"
                       " ORDER BY from_class, to_class", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, release);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 1024;
                        void *a = realloc(from, cap * sizeof(int64_t)), *b = a ? realloc(to, cap * sizeof(int64_t)) : NULL;
                        if (a)
                                from = a;
                        if (b)
                                to = b;
                        if (!b) {
                                r = -ENOMEM;
                                goto out;
                        }
                }
                from[n] = sqlite3_column_int64(st, 0);
                to[n] = sqlite3_column_int64(st, 1);
                n++;
                g->n_edges = n;
        }
        if (rc != SQLITE_DONE) {
                r = fail(s, rc);
                goto out;
        }
        if (n == 0) {
                r = 0;
                goto out;
        }
        /* nodes: the distinct class ids */
        g->class = malloc((2 * n + 1) * sizeof(int64_t));
        if (!g->class) {
                r = -ENOMEM;
                goto out;
        }
        memcpy(g->class, from, n * sizeof(int64_t));
        memcpy(g->class + n, to, n * sizeof(int64_t));
        qsort(g->class, 2 * n, sizeof(int64_t), cmp_i64);
        for (size_t i = 0; i < 2 * n; i++)
                if (g->n_nodes == 0 || g->class[g->n_nodes - 1] != g->class[i])
                        g->class[g->n_nodes++] = g->class[i];
        g->first = calloc(g->n_nodes + 1, sizeof(size_t));
        g->to = malloc((n + 1) * sizeof(size_t));
        g->boots = calloc(n + 1, sizeof(uint8_t *));
        g->n_boots = calloc(n + 1, sizeof(size_t));
        if (!g->first || !g->to || !g->boots || !g->n_boots) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                g->first[node_of(g, from[i]) + 1]++;
                g->to[i] = node_of(g, to[i]);
        }
        for (size_t v = 0; v < g->n_nodes; v++)
                g->first[v + 1] += g->first[v];
        r = 0;
out:
        sqlite3_finalize(st);
        free(from);
        free(to);
        if (r < 0)
                graph_done(g);
        return r;
}

/* The boot set of the k'th edge of cycle c, read once per analysis: only edges that are part of a
 * cycle need one, so a release of 60,000 dependencies with a few cycles reads a few sets. st is
 * "SELECT boots FROM dep_edges WHERE release = ?1 AND from_class = ?2 AND to_class = ?3". */
static int edge_boots(Store *s, sqlite3_stmt *st, int64_t release, Graph *g, size_t from_node, size_t e) {
        if (g->boots[e])
                return 0;
        sqlite3_bind_int64(st, 1, release);
        sqlite3_bind_int64(st, 2, g->class[from_node]);
        sqlite3_bind_int64(st, 3, g->class[g->to[e]]);
        int rc = sqlite3_step(st), r = 0;
        if (rc == SQLITE_ROW) {
                size_t k = (size_t) sqlite3_column_bytes(st, 0);
                g->boots[e] = malloc(k ? k : 1);
                if (!g->boots[e])
                        r = -ENOMEM;
                else {
                        if (k)
                                memcpy(g->boots[e], sqlite3_column_blob(st, 0), k);
                        g->n_boots[e] = k;
                }
        } else
                r = fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
        sqlite3_reset(st);
        return r;
}

/* Tarjan's strongly connected components, without recursion: g->scc[v] for every node. */
static int graph_scc(Graph *g) {
        size_t n = g->n_nodes, sp = 0, cp = 0, next = 1;
        unsigned n_scc = 0;
        size_t *index = calloc(n + 1, sizeof(size_t)), *low = calloc(n + 1, sizeof(size_t));
        size_t *stack = malloc((n + 1) * sizeof(size_t)), *call = malloc((n + 1) * sizeof(size_t));
        size_t *edge = malloc((n + 1) * sizeof(size_t));
        bool *on = calloc(n + 1, sizeof(bool));
        int r = -ENOMEM;

        g->scc = calloc(n + 1, sizeof(unsigned));
        if (!index || !low || !stack || !call || !edge || !on || !g->scc)
                goto out;
        for (size_t root = 0; root < n; root++) {
                if (index[root])
                        continue;
                call[cp++] = root;
                index[root] = low[root] = next++;
                edge[root] = g->first[root];
                stack[sp++] = root;
                on[root] = true;
                while (cp > 0) {
                        size_t v = call[cp - 1];
                        if (edge[v] < g->first[v + 1]) {
                                size_t w = g->to[edge[v]++];
                                if (!index[w]) {
                                        index[w] = low[w] = next++;
                                        edge[w] = g->first[w];
                                        stack[sp++] = w;
                                        on[w] = true;
                                        call[cp++] = w;
                                } else if (on[w] && index[w] < low[v])
                                        low[v] = index[w];
                                continue;
                        }
                        if (low[v] == index[v]) {
                                size_t w;
                                do {
                                        w = stack[--sp];
                                        on[w] = false;
                                        g->scc[w] = n_scc;
                                } while (w != v);
                                n_scc++;
                        }
                        cp--;
                        if (cp > 0 && low[v] < low[call[cp - 1]])
                                low[call[cp - 1]] = low[v];
                }
        }
        r = 0;
out:
        free(index);
        free(low);
        free(stack);
        free(call);
        free(edge);
        free(on);
        return r;
}

/* dep_edges.scc: 1 for the edges inside a component of more than one class (every cycle's edges,
 * and only those can be on one), 0 for the others. */
static int mark_scc_edges(Store *s, int64_t release, const Graph *g) {
        sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "UPDATE dep_edges SET scc = 0 WHERE release = ?1 AND scc != 0", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, release);
        r = step_done(s, st);
        sqlite3_finalize(st);
        st = NULL;
        if (r >= 0)
                r = store_prepare(s, "UPDATE dep_edges SET scc = 1 WHERE release = ?1 AND from_class = ?2 AND to_class = ?3", &st);
        for (size_t v = 0; r >= 0 && v < g->n_nodes; v++)
                for (size_t e = g->first[v]; r >= 0 && e < g->first[v + 1]; e++) {
                        if (g->scc[g->to[e]] != g->scc[v])
                                continue;
                        sqlite3_bind_int64(st, 1, release);
                        sqlite3_bind_int64(st, 2, g->class[v]);
                        sqlite3_bind_int64(st, 3, g->class[g->to[e]]);
                        r = step_done(s, st);
                }
        sqlite3_finalize(st);
        return r;
}

typedef struct Cycle {
        size_t n;
        size_t node[LATENT_MAX_LENGTH];
        size_t edge[LATENT_MAX_LENGTH];
} Cycle;

typedef struct Cycles {
        Cycle *v;
        size_t n, cap;
        bool capped;
} Cycles;

/* Elementary cycles through start whose other nodes are in start's component and after it (so each
 * cycle is found once, from its smallest node), up to LATENT_MAX_LENGTH nodes; depth-first. */
static int cycles_from(const Graph *g, size_t start, Cycles *out) {
        Cycle path = { .n = 1, .node = { start } };
        size_t it[LATENT_MAX_LENGTH];

        it[0] = g->first[start];
        while (path.n > 0) {
                size_t d = path.n - 1, v = path.node[d];
                if (it[d] >= g->first[v + 1]) {
                        path.n--;
                        continue;
                }
                size_t e = it[d]++, w = g->to[e];
                if (g->scc[w] != g->scc[start] || w < start)
                        continue;
                if (w == start) {
                        if (out->n >= LATENT_MAX_CYCLES) {
                                out->capped = true;
                                return 0;
                        }
                        if (out->n == out->cap) {
                                size_t cap = out->cap ? out->cap * 2 : 64;
                                Cycle *c = realloc(out->v, cap * sizeof(Cycle));
                                if (!c)
                                        return -ENOMEM;
                                out->v = c;
                                out->cap = cap;
                        }
                        Cycle *c = &out->v[out->n++];
                        *c = path;
                        c->edge[d] = e;
                        continue;
                }
                bool on_path = false;
                for (size_t i = 0; i < path.n; i++)
                        on_path |= path.node[i] == w;
                if (on_path || path.n == LATENT_MAX_LENGTH)
                        continue;
                path.edge[d] = e;
                path.node[path.n] = w;
                it[path.n] = g->first[w];
                path.n++;
        }
        return 0;
}

typedef struct Found {
        char *classes;      /* JSON array, smallest name first */
        unsigned length;
        bool low_confidence;
        int64_t grp;
} Found;

static int class_name(Store *s, sqlite3_stmt *st, int64_t id, char **ret_name, bool *ret_uncertain) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
        }
        *ret_name = strdup((const char *) sqlite3_column_text(st, 0));
        *ret_uncertain = sqlite3_column_int(st, 1);
        sqlite3_reset(st);
        return *ret_name ? 0 : -ENOMEM;
}

/* The group of lockdep's own report that has every dependency of the cycle, or 0. */
static int reported_group(Store *s, char *const *names, size_t n, int64_t *ret) {
        StrBuf q = {};
        sqlite3_stmt *st = NULL;
        int r;

        *ret = 0;
        r = strbuf_puts(&q, "SELECT eg.grp FROM lock_edges e JOIN edge_groups eg ON eg.edge = e.id WHERE ");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = strbuf_printf(&q, "%s(e.from_class = ?%zu AND e.to_class = ?%zu)", i ? " OR " : "", 2 * i + 1,
                                  2 * i + 2);
        if (r >= 0)
                r = strbuf_printf(&q, " GROUP BY eg.grp HAVING count(DISTINCT e.id) = %zu ORDER BY eg.grp LIMIT 1", n);
        if (r < 0) {
                strbuf_done(&q);
                return r;
        }
        r = store_prepare(s, q.s, &st);
        strbuf_done(&q);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                sqlite3_bind_text(st, (int) (2 * i + 1), names[i], -1, SQLITE_STATIC);
                sqlite3_bind_text(st, (int) (2 * i + 2), names[(i + 1) % n], -1, SQLITE_STATIC);
        }
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
                *ret = sqlite3_column_int64(st, 0);
        else if (rc != SQLITE_DONE)
                r = fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

/* A latent cycle as stored: names rotated so the smallest comes first (a cycle has no start). */
static int found_make(Store *s, sqlite3_stmt *name_st, const Graph *g, const Cycle *c, Found *ret) {
        char *names[LATENT_MAX_LENGTH] = {};
        bool low = false;
        size_t min = 0;
        StrBuf b = {};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < c->n; i++) {
                bool unc = false;
                r = class_name(s, name_st, g->class[c->node[i]], &names[i], &unc);
                low |= unc;
        }
        for (size_t i = 1; r >= 0 && i < c->n; i++)
                if (strcmp(names[i], names[min]) < 0)
                        min = i;
        char *rot[LATENT_MAX_LENGTH];
        for (size_t i = 0; r >= 0 && i < c->n; i++)
                rot[i] = names[(min + i) % c->n];
        if (r >= 0)
                r = json_append_str_array(&b, (const char *const *) rot, c->n);
        if (r >= 0)
                r = reported_group(s, rot, c->n, &ret->grp);
        for (size_t i = 0; i < c->n; i++)
                free(names[i]);
        if (r < 0) {
                strbuf_done(&b);
                return r;
        }
        ret->classes = strbuf_steal(&b);
        ret->length = (unsigned) c->n;
        ret->low_confidence = low;
        return ret->classes ? 0 : -ENOMEM;
}

static int analyze_release(Store *s, int64_t release, uint64_t now, unsigned *ret_new) {
        Graph g;
        Cycles cy = {};
        Found *found = NULL;
        size_t n_found = 0;
        sqlite3_stmt *name_st = NULL, *st = NULL, *boots_st = NULL;
        int r;

        r = graph_load(s, release, &g);
        if (r < 0)
                return r;
        r = g.n_nodes ? graph_scc(&g) : 0;
        if (r >= 0)
                r = mark_scc_edges(s, release, &g);
        for (size_t v = 0; r >= 0 && v < g.n_nodes && !cy.capped; v++)
                r = cycles_from(&g, v, &cy);
        if (r >= 0)
                r = store_prepare(s, "SELECT name, uncertain FROM dep_classes WHERE id = ?1", &name_st);
        if (r >= 0 && cy.n > 0 && !(found = calloc(cy.n, sizeof(Found))))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < cy.n; i++) {
                const Cycle *c = &cy.v[i];
                const uint8_t *sets[LATENT_MAX_LENGTH];
                size_t lens[LATENT_MAX_LENGTH];
                uint64_t common;
                if (!boots_st)
                        r = store_prepare(s, "SELECT boots FROM dep_edges WHERE release = ?1 AND from_class = ?2"
                                             " AND to_class = ?3", &boots_st);
                for (size_t k = 0; r >= 0 && k < c->n; k++) {
                        r = edge_boots(s, boots_st, release, &g, c->node[k], c->edge[k]);
                        sets[k] = g.boots[c->edge[k]];
                        lens[k] = g.n_boots[c->edge[k]];
                }
                if (r < 0)
                        break;
                r = idset_first_common(sets, lens, c->n, &common);
                if (r < 0) {
                        r = fail(s, SQLITE_CORRUPT);
                        break;
                }
                if (r > 0) { /* one boot had it all: not latent */
                        r = 0;
                        continue;
                }
                r = found_make(s, name_st, &g, c, &found[n_found]);
                if (r >= 0)
                        n_found++;
        }

        /* the stored list becomes the found one: new rows are the new cycles */
        if (r >= 0)
                r = store_prepare(s, "CREATE TEMP TABLE IF NOT EXISTS latent_now (classes TEXT PRIMARY KEY, length INTEGER,"
                               " low INTEGER, grp INTEGER)", &st);
        if (r >= 0)
                r = step_done(s, st);
        sqlite3_finalize(st);
        st = NULL;
        if (r >= 0)
                r = store_exec(s, "DELETE FROM temp.latent_now");
        if (r >= 0)
                r = store_prepare(s, "INSERT OR IGNORE INTO temp.latent_now VALUES (?1, ?2, ?3, ?4)", &st);
        for (size_t i = 0; r >= 0 && i < n_found; i++) {
                sqlite3_bind_text(st, 1, found[i].classes, -1, SQLITE_STATIC);
                sqlite3_bind_int(st, 2, (int) found[i].length);
                sqlite3_bind_int(st, 3, found[i].low_confidence);
                if (found[i].grp)
                        sqlite3_bind_int64(st, 4, found[i].grp);
                else
                        sqlite3_bind_null(st, 4);
                r = step_done(s, st);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (r >= 0)
                r = store_prepare(s, "DELETE FROM latent_cycles WHERE release = ?1 AND classes NOT IN (SELECT classes FROM temp.latent_now)",
                            &st);
        if (r >= 0) {
                sqlite3_bind_int64(st, 1, release);
                r = step_done(s, st);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (r >= 0)
                r = store_prepare(s, "UPDATE latent_cycles SET low_confidence = n.low, grp = n.grp FROM temp.latent_now n"
                               " WHERE latent_cycles.release = ?1 AND latent_cycles.classes = n.classes", &st);
        if (r >= 0) {
                sqlite3_bind_int64(st, 1, release);
                r = step_done(s, st);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (r >= 0)
                r = store_prepare(s, "INSERT INTO latent_cycles (release, classes, length, low_confidence, grp, found)"
                               " SELECT ?1, classes, length, low, grp, ?2 FROM temp.latent_now n WHERE NOT EXISTS"
                               " (SELECT 1 FROM latent_cycles l WHERE l.release = ?1 AND l.classes = n.classes)", &st);
        if (r >= 0) {
                sqlite3_bind_int64(st, 1, release);
                sqlite3_bind_int64(st, 2, (int64_t) now);
                r = step_done(s, st);
                if (r >= 0 && ret_new)
                        *ret_new += (unsigned) sqlite3_changes(s->db);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (r >= 0)
                r = store_prepare(s, "UPDATE dep_releases SET dirty = 0, analyzed = ?2, capped = ?3 WHERE id = ?1", &st);
        if (r >= 0) {
                sqlite3_bind_int64(st, 1, release);
                sqlite3_bind_int64(st, 2, (int64_t) now);
                sqlite3_bind_int(st, 3, cy.capped);
                r = step_done(s, st);
        }
        sqlite3_finalize(st);
        sqlite3_finalize(name_st);
        sqlite3_finalize(boots_st);
        for (size_t i = 0; i < n_found; i++)
                free(found[i].classes);
        free(found);
        free(cy.v);
        graph_done(&g);
        return r;
}

int store_latent_analyze(Store *s, unsigned *ret_new, uint64_t *ret_at) {
        sqlite3_stmt *st = NULL;
        int64_t *ids = NULL;
        size_t n = 0;
        int r, rc;

        if (ret_new)
                *ret_new = 0;
        r = store_prepare(s, "SELECT id FROM dep_releases WHERE dirty ORDER BY id", &st);
        if (r < 0)
                return r;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                int64_t *v = realloc(ids, (n + 1) * sizeof(int64_t));
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                ids = v;
                ids[n++] = sqlite3_column_int64(st, 0);
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = fail(s, rc);
        sqlite3_finalize(st);
        uint64_t now = store_now();
        if (ret_at)
                *ret_at = now;
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = analyze_release(s, ids[i], now, ret_new);
        free(ids);
        return r;
}

/* ---- views ----------------------------------------------------------------------------------- */

static char *dup_col(sqlite3_stmt *st, int i) {
        const unsigned char *t = sqlite3_column_text(st, i);
        return strdup(t ? (const char *) t : "");
}

void store_latent_free(StoreLatent *l) {
        for (size_t i = 0; i < l->n_releases; i++)
                free(l->releases[i].release);
        free(l->releases);
        for (size_t i = 0; i < l->n; i++) {
                StoreLatentCycle *c = &l->v[i];
                free(c->release);
                for (size_t k = 0; k < c->n; k++) {
                        free(c->classes[k]);
                        StoreLatentEdge *e = &c->edges[k];
                        for (size_t j = 0; j < e->n_seen_by; j++) {
                                free(e->seen_by[j].boot_id);
                                free(e->seen_by[j].host);
                        }
                        free(e->seen_by);
                }
                free(c->classes);
                free(c->edges);
                for (size_t j = 0; j < c->n_suggest; j++) {
                        free(c->suggest[j].boot_id);
                        free(c->suggest[j].host);
                }
                free(c->suggest);
                free(c->status);
                free(c->note);
        }
        free(l->v);
        *l = (StoreLatent) {};
}

static int load_releases(Store *s, const char *release, StoreLatent *l) {
        sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "SELECT d.release, d.n_boots, d.n_hosts, d.n_edges, d.capped, d.dirty, coalesce(d.analyzed, 0),"
                           " (SELECT count(*) FROM latent_cycles c WHERE c.release = d.id AND c.grp IS NULL)"
                           " FROM dep_releases d WHERE ?1 IS NULL OR d.release = ?1"
                           " ORDER BY d.release COLLATE kernel_version DESC", &st), rc;
        if (r < 0)
                return r;
        store_bind_text(st, 1, release);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                StoreLatentRelease *v = realloc(l->releases, (l->n_releases + 1) * sizeof(*v));
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                l->releases = v;
                v += l->n_releases;
                *v = (StoreLatentRelease) {
                        .release = dup_col(st, 0),
                        .n_boots = (unsigned) sqlite3_column_int64(st, 1),
                        .n_hosts = (unsigned) sqlite3_column_int64(st, 2),
                        .n_edges = (unsigned) sqlite3_column_int64(st, 3),
                        .capped = sqlite3_column_int(st, 4),
                        .stale = sqlite3_column_int(st, 5),
                        .analyzed = (uint64_t) sqlite3_column_int64(st, 6),
                        .n_latent = (unsigned) sqlite3_column_int64(st, 7),
                };
                l->n_releases++;
                if (!v->release) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

/* Classes of a stored cycle from its JSON array, with the JSON1 reader of the store. */
static int load_classes(Store *s, int64_t id, StoreLatentCycle *c) {
        sqlite3_stmt *st = NULL;
        int r = store_prepare(s, "SELECT j.value FROM latent_cycles l, json_each(l.classes) j WHERE l.id = ?1 ORDER BY j.key", &st), rc;
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                char **v = realloc(c->classes, (c->n + 1) * sizeof(char *));
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                c->classes = v;
                if (!(c->classes[c->n++] = dup_col(st, 0))) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

static int boot_of(Store *s, sqlite3_stmt *st, int64_t release, uint64_t ordinal, StoreLatentBoot *ret) {
        sqlite3_bind_int64(st, 1, release);
        sqlite3_bind_int64(st, 2, (int64_t) ordinal);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_reset(st);
                return fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
        }
        ret->boot_id = dup_col(st, 0);
        ret->host = dup_col(st, 1);
        ret->first_snapshot = (uint64_t) sqlite3_column_int64(st, 2);
        sqlite3_reset(st);
        return ret->boot_id && ret->host ? 0 : -ENOMEM;
}

/* Each dependency of the cycle with its evidence, and the boots whose workloads, run on one machine,
 * exercise them all: greedily the boot that has most of the dependencies not yet covered. */
static int load_edges(Store *s, int64_t release, StoreLatentCycle *c) {
        sqlite3_stmt *st = NULL, *bst = NULL;
        IdSet sets[LATENT_MAX_LENGTH] = {};
        bool covered[LATENT_MAX_LENGTH] = {};
        int r;

        if (c->n > LATENT_MAX_LENGTH)
                return fail(s, SQLITE_CORRUPT);
        c->edges = calloc(c->n, sizeof(StoreLatentEdge));
        if (!c->edges)
                return -ENOMEM;
        r = store_prepare(s, "SELECT e.first_seen, e.last_seen, e.n_boots, e.n_hosts, e.boots FROM dep_edges e"
                       " JOIN dep_classes f ON f.id = e.from_class JOIN dep_classes t ON t.id = e.to_class"
                       " WHERE e.release = ?1 AND f.name = ?2 AND t.name = ?3", &st);
        if (r >= 0)
                r = store_prepare(s, "SELECT b.boot_id, h.host, b.first_snapshot FROM dep_boots b JOIN dep_hosts h"
                               " ON h.release = b.release AND h.ordinal = b.host WHERE b.release = ?1 AND b.ordinal = ?2", &bst);
        for (size_t k = 0; r >= 0 && k < c->n; k++) {
                StoreLatentEdge *e = &c->edges[k];
                e->from = c->classes[k];
                e->to = c->classes[(k + 1) % c->n];
                sqlite3_bind_int64(st, 1, release);
                sqlite3_bind_text(st, 2, e->from, -1, SQLITE_STATIC);
                sqlite3_bind_text(st, 3, e->to, -1, SQLITE_STATIC);
                int rc = sqlite3_step(st);
                if (rc != SQLITE_ROW) {
                        r = fail(s, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc);
                        break;
                }
                e->first_seen = (uint64_t) sqlite3_column_int64(st, 0);
                e->last_seen = (uint64_t) sqlite3_column_int64(st, 1);
                e->n_boots = (unsigned) sqlite3_column_int64(st, 2);
                e->n_hosts = (unsigned) sqlite3_column_int64(st, 3);
                r = idset_load(&sets[k], sqlite3_column_blob(st, 4), (size_t) sqlite3_column_bytes(st, 4));
                sqlite3_reset(st);
                if (r < 0) {
                        r = r == -EINVAL ? fail(s, SQLITE_CORRUPT) : r;
                        break;
                }
                /* the first boots that had it, as evidence */
                size_t pos = 0;
                uint64_t start = 0, len;
                e->seen_by = calloc(LATENT_EVIDENCE_BOOTS, sizeof(StoreLatentBoot));
                if (!e->seen_by) {
                        r = -ENOMEM;
                        break;
                }
                while (r >= 0 && e->n_seen_by < LATENT_EVIDENCE_BOOTS &&
                       idset_next_run(sets[k].v, sets[k].n, &pos, &start, &len) > 0) {
                        for (uint64_t b = start; r >= 0 && b < start + len && e->n_seen_by < LATENT_EVIDENCE_BOOTS; b++)
                                if ((r = boot_of(s, bst, release, b, &e->seen_by[e->n_seen_by])) >= 0)
                                        e->n_seen_by++;
                        start += len;
                }
        }
        /* greedy cover; the first member of an intersection of the uncovered sets is tried first */
        c->suggest = calloc(c->n, sizeof(StoreLatentBoot));
        if (r >= 0 && !c->suggest)
                r = -ENOMEM;
        for (size_t left = c->n; r >= 0 && left > 0;) {
                uint64_t best = 0;
                size_t best_n = 0;
                for (size_t k = 0; k < c->n; k++) {
                        if (covered[k])
                                continue;
                        /* candidates: the members of this set; count the uncovered sets each is in */
                        size_t pos = 0;
                        uint64_t start = 0, len;
                        unsigned tried = 0;
                        while (tried < 64 && idset_next_run(sets[k].v, sets[k].n, &pos, &start, &len) > 0) {
                                for (uint64_t b = start; b < start + len && tried < 64; b++, tried++) {
                                        size_t cnt = 0;
                                        for (size_t j = 0; j < c->n; j++)
                                                cnt += !covered[j] && idset_contains(&sets[j], b) > 0;
                                        if (cnt > best_n) {
                                                best_n = cnt;
                                                best = b;
                                        }
                                }
                                start += len;
                        }
                }
                if (best_n == 0)
                        break;
                for (size_t j = 0; j < c->n; j++)
                        if (!covered[j] && idset_contains(&sets[j], best) > 0) {
                                covered[j] = true;
                                left--;
                        }
                if ((r = boot_of(s, bst, release, best, &c->suggest[c->n_suggest])) >= 0)
                        c->n_suggest++;
        }
        for (size_t k = 0; k < LATENT_MAX_LENGTH; k++)
                idset_done(&sets[k]);
        sqlite3_finalize(st);
        sqlite3_finalize(bst);
        return r;
}

bool store_latent_status_valid(const char *s) {
        return s && (!strcmp(s, "new") || !strcmp(s, "confirmed") || !strcmp(s, "false-positive") ||
                     !strcmp(s, "ignored"));
}

int store_latent_triage(Store *s, int64_t id, const char *status, const char *note) {
        sqlite3_stmt *st = NULL;
        int r, rc;

        if (status && !store_latent_status_valid(status)) {
                return store_set_error(s, -EINVAL, "status: expected one of " STORE_LATENT_STATUSES);
        }
        r = store_begin(s);
        if (r < 0)
                return r;
        r = store_prepare(s, "INSERT INTO latent_triage (signature, status, note, changed)"
                             " SELECT classes, coalesce(?2, 'new'), nullif(?3, ''), ?4 FROM latent_cycles WHERE id = ?1"
                             " ON CONFLICT (signature) DO UPDATE SET status = coalesce(?2, status),"
                             " note = CASE WHEN ?3 IS NULL THEN note ELSE nullif(?3, '') END, changed = ?4", &st);
        if (r >= 0) {
                sqlite3_bind_int64(st, 1, id);
                store_bind_text(st, 2, status);
                store_bind_text(st, 3, note);
                sqlite3_bind_int64(st, 4, (int64_t) time_now());
                rc = sqlite3_step(st);
                r = rc == SQLITE_DONE ? 0 : fail(s, rc);
                if (r >= 0 && sqlite3_changes(s->db) == 0) {
                        r = store_set_error(s, -ENOENT, "no latent cycle %lld (lockdepctl latent lists them)",
                                            (long long) id);
                }
        }
        sqlite3_finalize(st);
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        return store_commit(s);
}

int store_latent_list(Store *s, const StoreLatentQuery *q, StoreLatent *ret) {
        StoreLatent l = {};
        sqlite3_stmt *st = NULL;
        int r, rc;

        r = load_releases(s, q->release, &l);
        if (r >= 0 && q->releases_only) {
                *ret = l;
                return 0;
        }
        if (r >= 0)
                r = store_prepare(s, "SELECT l.id, d.release, d.id, l.length, l.low_confidence, coalesce(l.grp, 0), l.found,"
                               " coalesce(t.status, 'new'), t.note"
                               " FROM latent_cycles l JOIN dep_releases d ON d.id = l.release"
                               " LEFT JOIN latent_triage t ON t.signature = l.classes"
                               " WHERE (?1 IS NULL OR d.release = ?1) AND (?2 OR l.grp IS NULL) AND l.found >= ?3"
                               " AND (?4 = 0 OR l.id = ?4)"
                               " ORDER BY d.release COLLATE kernel_version DESC, l.low_confidence, l.length, l.classes"
                               " LIMIT ?5", &st);
        if (r >= 0) {
                store_bind_text(st, 1, q->release);
                sqlite3_bind_int(st, 2, q->include_reported);
                sqlite3_bind_int64(st, 3, (int64_t) q->found_since);
                sqlite3_bind_int64(st, 4, q->id);
                sqlite3_bind_int64(st, 5, q->limit ? (int64_t) q->limit : -1);
        }
        while (r >= 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                StoreLatentCycle *v = realloc(l.v, (l.n + 1) * sizeof(*v));
                if (!v) {
                        r = -ENOMEM;
                        break;
                }
                l.v = v;
                v += l.n++;
                *v = (StoreLatentCycle) {
                        .id = sqlite3_column_int64(st, 0),
                        .release = dup_col(st, 1),
                        .low_confidence = sqlite3_column_int(st, 4),
                        .group = sqlite3_column_int64(st, 5),
                        .found = (uint64_t) sqlite3_column_int64(st, 6),
                        .status = dup_col(st, 7),
                        .note = dup_col(st, 8),
                };
                if (!v->release || !v->status || !v->note) {
                        r = -ENOMEM;
                        break;
                }
                r = load_classes(s, v->id, v);
                if (r >= 0)
                        r = load_edges(s, sqlite3_column_int64(st, 2), v);
        }
        if (r >= 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = fail(s, rc);
        sqlite3_finalize(st);
        if (r < 0) {
                store_latent_free(&l);
                return r;
        }
        *ret = l;
        return 0;
}

static int json_boot(StrBuf *b, const StoreLatentBoot *x) {
        char t[TIME_ISO_MAX];
        int r = strbuf_puts(b, "{\"boot\":");
        if (r >= 0)
                r = json_append_str(b, x->boot_id);
        if (r >= 0)
                r = strbuf_puts(b, ",\"host\":");
        if (r >= 0)
                r = json_append_str(b, x->host);
        if (r >= 0)
                r = strbuf_printf(b, ",\"first_snapshot\":\"%s\"}", time_format_iso(x->first_snapshot, t));
        return r;
}

/* A JSON array of boots: seen_by and suggest. */
static int json_boots(StrBuf *b, const StoreLatentBoot *v, size_t n) {
        int r = strbuf_appendc(b, '[');
        for (size_t j = 0; r >= 0 && j < n; j++) {
                if (j)
                        r = strbuf_appendc(b, ',');
                if (r >= 0)
                        r = json_boot(b, &v[j]);
        }
        return r >= 0 ? strbuf_appendc(b, ']') : r;
}

/* The one serializer of the latent view: GET /api/v1/latent and lockdepctl latent --json. */
int store_latent_json(const StoreLatent *l, char **ret) {
        StrBuf b = {};
        char t[TIME_ISO_MAX];
        int r = strbuf_puts(&b, "{\"releases\":[");

        for (size_t i = 0; r >= 0 && i < l->n_releases; i++) {
                const StoreLatentRelease *x = &l->releases[i];
                r = strbuf_puts(&b, i ? ",{\"release\":" : "{\"release\":");
                if (r >= 0)
                        r = json_append_str(&b, x->release);
                if (r >= 0)
                        r = strbuf_printf(&b, ",\"boots\":%u,\"hosts\":%u,\"dependencies\":%u,\"latent\":%u,"
                                              "\"capped\":%s,\"stale\":%s,\"analyzed\":",
                                          x->n_boots, x->n_hosts, x->n_edges, x->n_latent, x->capped ? "true" : "false",
                                          x->stale ? "true" : "false");
                if (r >= 0)
                        r = x->analyzed ? strbuf_printf(&b, "\"%s\"}", time_format_iso(x->analyzed, t))
                                        : strbuf_puts(&b, "null}");
        }
        if (r >= 0)
                r = strbuf_puts(&b, "],\"cycles\":[");
        for (size_t i = 0; r >= 0 && i < l->n; i++) {
                const StoreLatentCycle *c = &l->v[i];
                r = strbuf_printf(&b, "%s{\"id\":%" PRId64 ",\"release\":", i ? "," : "", c->id);
                if (r >= 0)
                        r = json_append_str(&b, c->release);
                if (r >= 0)
                        r = strbuf_printf(&b, ",\"length\":%zu,\"low_confidence\":%s,\"group\":", c->n,
                                          c->low_confidence ? "true" : "false");
                if (r >= 0)
                        r = c->group ? strbuf_printf(&b, "%" PRId64, c->group) : strbuf_puts(&b, "null");
                if (r >= 0)
                        r = strbuf_printf(&b, ",\"found\":\"%s\",\"status\":", time_format_iso(c->found, t));
                if (r >= 0)
                        r = json_append_str(&b, c->status);
                if (r >= 0)
                        r = strbuf_puts(&b, ",\"note\":");
                if (r >= 0)
                        r = json_append_str(&b, c->note[0] ? c->note : NULL);
                if (r >= 0)
                        r = strbuf_puts(&b, ",\"classes\":");
                if (r >= 0)
                        r = json_append_str_array(&b, (const char *const *) c->classes, c->n);
                if (r >= 0)
                        r = strbuf_puts(&b, ",\"edges\":[");
                for (size_t k = 0; r >= 0 && k < c->n; k++) {
                        const StoreLatentEdge *e = &c->edges[k];
                        r = strbuf_puts(&b, k ? ",{\"from\":" : "{\"from\":");
                        if (r >= 0)
                                r = json_append_str(&b, e->from);
                        if (r >= 0)
                                r = strbuf_puts(&b, ",\"to\":");
                        if (r >= 0)
                                r = json_append_str(&b, e->to);
                        if (r >= 0)
                                r = strbuf_printf(&b, ",\"boots\":%u,\"hosts\":%u,\"first_seen\":\"%s\",\"seen_by\":",
                                                  e->n_boots, e->n_hosts, time_format_iso(e->first_seen, t));
                        if (r >= 0)
                                r = json_boots(&b, e->seen_by, e->n_seen_by);
                        if (r >= 0)
                                r = strbuf_appendc(&b, '}');
                }
                if (r >= 0)
                        r = strbuf_puts(&b, "],\"suggest\":");
                if (r >= 0)
                        r = json_boots(&b, c->suggest, c->n_suggest);
                if (r >= 0)
                        r = strbuf_appendc(&b, '}');
        }
        if (r >= 0)
                r = strbuf_puts(&b, "]}");
        if (r < 0) {
                strbuf_done(&b);
                return r;
        }
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}
