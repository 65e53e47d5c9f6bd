/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet-wide lock-order graph: /graph (filters, a focus on one lock with a depth, a layered
 * SVG with the cycles highlighted, the edge table paged) and /api/v1/graph (?lock=, ?group=:
 * every edge). The filters kind, status, host, kernel, since and until keep the edges of the
 * groups they select (the groups list's own query); lock and depth keep the classes within depth
 * hops of the lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"
#include "macro.h"
#include "parse-util.h"
#include "web-internal.h"

#define GRAPH_DRAW_NODES 60
#define GRAPH_DRAW_EDGES 300
#define GRAPH_DEPTH_MAX 6

typedef struct Ids {
        int64_t *v;
        size_t n, size;
} Ids;

/* The ids of the groups the filters select, from the store's typed view. */
static int ids_of(Store *s, const StoreQuery *q, Ids *ids) {
        StoreGroupList l;
        int e = store_group_list(s, q, &l);
        if (e >= 0 && l.n > 0 && !(ids->v = malloc(l.n * sizeof(int64_t))))
                e = -ENOMEM;
        for (size_t i = 0; e >= 0 && i < l.n; i++)
                ids->v[ids->n++] = l.v[i].id;
        ids->size = ids->n;
        store_group_list_free(&l);
        return e;
}

static int cmp_id(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return x < y ? -1 : x > y;
}

static bool edge_in(const JsonValue *ev, const Ids *ids) {
        const JsonValue *gs = json_get(ev, "groups");
        for (size_t k = 0; k < json_len(gs); k++) {
                int64_t id = json_at(gs, k)->i;
                if (bsearch(&id, ids->v, ids->n, sizeof(int64_t), cmp_id))
                        return true;
        }
        return false;
}

static bool group_filtered(const StoreQuery *q) {
        return q->kind || q->status || q->host || q->kernel || q->since || q->until;
}

static void graph_form(Request *r, Html *h, const StoreQuery *q, const char *lock, unsigned depth) {
        static const char *const names[] = { "kernel", "host", "since", "until", "lock" };
        const char *labels[] = { "Kernel (6.9*)", "Host", "Since", "Until", "Focus on lock" };
        h_raw(h, "<form class=\"filters\" method=\"get\" action=\"/graph\">");
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                h_printf(h, "<label>%s <input type=\"text\" name=\"%s\" value=\"", labels[i], names[i]);
                h_value(h, i == 4 ? lock : req_arg(r, names[i]) ?: "");
                h_raw(h, "\"></label> ");
        }
        h_raw(h, "<label>Kind <select name=\"kind\"><option value=\"\">any</option>");
        for (int k = 0; k < _LOCKDEP_KIND_MAX; k++) {
                const char *s = lockdep_kind_to_string(k);
                if (!s)
                        continue;
                h_printf(h, "<option%s>", q->kind && !strcmp(q->kind, s) ? " selected" : "");
                h_text(h, s);
                h_raw(h, "</option>");
        }
        h_printf(h, "</select></label> <label>Depth <input type=\"number\" name=\"depth\" min=\"1\" max=\"%d\" "
                    "value=\"%u\"></label> <button type=\"submit\">Show</button> <a href=\"/graph\">reset</a></form>\n",
                 GRAPH_DEPTH_MAX, depth);
}

static void page_link(Html *h, const StoreQuery *q, unsigned depth, unsigned offset, const char *rel, const char *text) {
        StoreQuery p = *q;
        p.offset = offset;
        h_printf(h, "<a rel=\"%s\" href=\"/graph", rel);
        h_query(h, &p, "");
        h_printf(h, "&amp;depth=%u#edges\">%s</a> ", depth, text);
}

static void edge_row(Html *h, const GEdge *x, const Graph *g, const char *newest) {
        const JsonValue *ev = x->v;
        const char *first = json_get_str(ev, "first_kernel");
        bool is_new = newest && first && !strcmp(first, newest);
        h_printf(h, "<tr class=\"%s%s\">", x->cycle ? "cycle" : "", is_new ? " new" : "");
        const char *ends[2] = { g->nodes[x->from].name, g->nodes[x->to].name };
        for (int k = 0; k < 2; k++) {
                h_raw(h, "<td><a class=\"lock\" href=\"/graph?lock=");
                h_url(h, ends[k]);
                h_raw(h, "\">");
                h_text(h, ends[k]);
                h_raw(h, "</a></td>");
        }
        h_printf(h, "<td class=\"num\">%lld</td><td>%s</td><td>", (long long) x->n, x->cycle ? "yes" : "");
        h_text(h, json_get_str(ev, "first_seen"));
        h_raw(h, "</td><td>");
        h_text(h, json_get_str(ev, "last_seen"));
        h_raw(h, "</td><td>");
        h_text(h, first);
        h_raw(h, "</td><td>");
        const JsonValue *gs = json_get(ev, "groups");
        for (size_t k = 0; k < json_len(gs) && k < 10; k++) {
                long long id = (long long) json_at(gs, k)->i;
                h_printf(h, "%s<a href=\"/groups/%lld\">%lld</a>", k ? " " : "", id, id);
        }
        h_raw(h, json_len(gs) > 10 ? " &hellip;</td></tr>" : "</td></tr>");
}

static int by_cycle_n(const void *a, const void *b) {
        const GEdge *x = *(GEdge *const *) a, *y = *(GEdge *const *) b;
        if (x->cycle != y->cycle)
                return x->cycle ? -1 : 1;
        return x->n != y->n ? (x->n > y->n ? -1 : 1) : (x < y ? -1 : x > y);
}

static MHD_Result_ graph_page(Request *r, Store *s, const JsonValue *edges, const char *lock) {
        StoreQuery q;
        const char *why, *d = req_arg(r, "depth");
        unsigned depth = 2;
        _cleanup_free_ bool *keep = NULL;
        Ids ids = {};
        Graph g = {};
        int e;

        if (req_query(r, &q, &why) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why);
        if (d && *d && (uint_from_string(d, GRAPH_DEPTH_MAX, &depth) < 0 || depth == 0))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "depth: expected a number from 1 to %d", GRAPH_DEPTH_MAX);
        q.lock = lock;
        if (group_filtered(&q)) {
                StoreQuery gq = q;
                gq.lock = NULL;
                gq.limit = 0;
                gq.offset = 0;
                e = ids_of(s, &gq, &ids);
                if (e < 0) {
                        free(ids.v);
                        return reply_store_error(r, s, e);
                }
                qsort(ids.v, ids.n, sizeof(int64_t), cmp_id);
                keep = calloc(json_len(edges) + 1, sizeof(bool));
                for (size_t i = 0; keep && i < json_len(edges); i++)
                        keep[i] = edge_in(json_at(edges, i), &ids);
                free(ids.v);
                if (!keep)
                        return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        }
        if (graph_build(&g, edges, keep) < 0) {
                graph_done(&g);
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        }
        int center = lock ? graph_find(&g, lock) : -1;
        if (center >= 0)
                graph_focus(&g, center, depth);
        else if (lock)
                g.n_edges = 0; /* a lock no edge of the filtered graph has: nothing around it */

        const char *newest = NULL;
        for (size_t i = 0; i < g.n_edges; i++) {
                const char *k = json_get_str(g.edges[i].v, "first_kernel");
                if (k && (!newest || strverscmp(k, newest) > 0))
                        newest = k;
        }
        Html h = {};
        h_begin(&h, lock ? lock : "Lock-order graph");
        h_raw(&h, "<h1>Lock-order graph</h1>\n");
        graph_form(r, &h, &q, lock, depth);
        Html svg = {};
        e = graph_svg(&svg, &g, GRAPH_DRAW_NODES, GRAPH_DRAW_EDGES, center, newest);
        if (e < 0) {
                h_done(&svg);
                h_done(&h);
                graph_done(&g);
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        }
        h_printf(&h, "<p class=\"summary\"><span id=\"n-edges\">%zu</span> edges (held &rarr; acquired) between "
                     "<span id=\"n-classes\">%zu</span> classes; <span class=\"cycle-edge\" id=\"n-cycle\">%zu</span> "
                     "on cycles, highlighted",
                 g.n_edges, g.n_classes, g.n_cycle_edges);
        if (lock && center < 0) {
                h_raw(&h, ". No edge of <code>");
                h_text(&h, lock);
                h_raw(&h, "</code> passes the filters");
        } else if (lock) {
                h_raw(&h, ". Around <code>");
                h_text(&h, lock);
                h_printf(&h, "</code>, %u hop%s deep", depth, depth == 1 ? "" : "s");
        }
        if (newest) {
                h_raw(&h, "; edges first seen in the newest kernel, <code>");
                h_text(&h, newest);
                h_raw(&h, "</code>, are <span class=\"new-edge\">marked</span>");
        }
        if (g.n_drawn_edges < g.n_edges)
                h_printf(&h, ". The drawing shows %zu classes and %zu edges (those on cycles first, then the most "
                             "frequent); the table lists them all", g.n_drawn_nodes, g.n_drawn_edges);
        h_raw(&h, ". Click a class to focus on it.</p>\n<div class=\"svg-scroll\">");
        h_rawn(&h, svg.b.s ?: "", svg.b.len);
        h_done(&svg);
        h_raw(&h, "</div>\n");

        /* the table, paged: cycle edges first, then by count */
        _cleanup_free_ GEdge **order = malloc((g.n_edges + 1) * sizeof(GEdge *));
        for (size_t i = 0; order && i < g.n_edges; i++)
                order[i] = &g.edges[i];
        if (order)
                qsort(order, g.n_edges, sizeof(GEdge *), by_cycle_n);
        size_t from = MIN((size_t) q.offset, g.n_edges), to = MIN(from + q.limit, g.n_edges);
        h_printf(&h, "<h2 id=\"edges-head\">Edges %zu&ndash;%zu of %zu</h2>", g.n_edges ? from + 1 : 0, to, g.n_edges);
        /* sortable in the browser only when this page holds every edge (app.js) */
        h_raw(&h, from == 0 && to == g.n_edges ? "<table id=\"edges\" class=\"sortable\">" : "<table id=\"edges\">");
        h_raw(&h, "<thead><tr><th>Held</th><th>Acquired</th><th>Times</th>"
                  "<th>On a cycle</th><th>First seen</th><th>Last seen</th><th>First kernel</th><th>Groups</th></tr></thead><tbody>");
        for (size_t i = from; order && i < to; i++)
                edge_row(&h, order[i], &g, newest);
        h_raw(&h, "</tbody></table>\n<p class=\"pages\">");
        if (from > 0)
                page_link(&h, &q, depth, from > q.limit ? (unsigned) (from - q.limit) : 0, "prev", "&larr; previous");
        if (to < g.n_edges)
                page_link(&h, &q, depth, (unsigned) to, "next", "next &rarr;");
        h_raw(&h, "</p>");
        h_end(&h);
        graph_done(&g);
        return reply_html(r, MHD_HTTP_OK, &h);
}

MHD_Result_ handle_graph(Request *r) {
        const char *lock = req_arg(r, "lock"), *g = req_arg(r, "group");
        int64_t group = 0;
        Rows rows = {};

        if (lock && !*lock)
                lock = NULL;
        if (g && *g && parse_id(g, &group) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "group: expected a group id");
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        /* the page needs every edge for a focus deeper than one hop */
        int e = store_list_edges(s, group, r->api ? lock : NULL, rows_collect, &rows);
        if (e < 0) {
                strbuf_done(&rows.json);
                return reply_store_error(r, s, e);
        }
        if (r->api)
                return reply_rows(r, "{\"edges\":", &rows);
        _cleanup_(json_value_freep) JsonValue *edges = NULL;
        e = rows_parse(&rows, &edges);
        strbuf_done(&rows.json);
        if (e < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot read the edges");
        return graph_page(r, s, edges, lock);
}
