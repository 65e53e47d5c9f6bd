/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet lock-order graph as a layered drawing (issue 14): the edges kept by /graph's filters
 * (or the neighbourhood of one lock up to a depth) are a directed graph whose strongly connected
 * components are the lock cycles: their edges are marked "cycle" and drawn highlighted. For the
 * drawing, cycles are broken by the back edges of a depth-first search, every class gets the
 * layer of the longest path to it (left to right: held before acquired), classes in a layer are
 * ordered by the mean position of their neighbours (two sweeps), and boxes are sized by the
 * estimated width of their (ellipsized) name. At most GRAPH_DRAW_NODES classes and
 * GRAPH_DRAW_EDGES edges are drawn (cycle edges first, then by count); the table lists all.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "visible.h"
#include "web-internal.h"

#define CHAR_W 7.3
#define LABEL_COLS 34
#define BOX_H 24.0
#define ROW_H 34.0
#define COL_GAP 90.0
#define MARGIN 16.0

static size_t name_hash(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return (size_t) h;
}

int graph_find(const Graph *g, const char *name) {
        if (!g->hash_size)
                return -1;
        for (size_t i = name_hash(name) & (g->hash_size - 1);; i = (i + 1) & (g->hash_size - 1)) {
                int k = g->hash[i];
                if (k < 0 || !strcmp(g->nodes[k].name, name))
                        return k;
        }
}

static int node_add(Graph *g, const char *name) {
        size_t i = name_hash(name) & (g->hash_size - 1);
        for (;; i = (i + 1) & (g->hash_size - 1)) {
                int k = g->hash[i];
                if (k < 0)
                        break;
                if (!strcmp(g->nodes[k].name, name))
                        return k;
        }
        g->nodes[g->n_nodes] = (GNode) { .name = name, .scc = -1 };
        g->hash[i] = (int) g->n_nodes;
        return (int) g->n_nodes++;
}

int graph_build(Graph *g, const JsonValue *edges, const bool *keep) {
        size_t ne = json_len(edges);
        *g = (Graph) {};
        g->nodes = calloc(2 * ne + 1, sizeof(GNode));
        g->edges = calloc(ne + 1, sizeof(GEdge));
        for (g->hash_size = 16; g->hash_size < 4 * ne + 4; g->hash_size *= 2)
                ;
        g->hash = malloc(g->hash_size * sizeof(int));
        if (!g->nodes || !g->edges || !g->hash)
                return -ENOMEM;
        memset(g->hash, 0xff, g->hash_size * sizeof(int)); /* -1: empty */
        for (size_t e = 0; e < ne; e++) {
                const JsonValue *v = json_at(edges, e);
                const char *from = json_get_str(v, "from"), *to = json_get_str(v, "to");
                if ((keep && !keep[e]) || !from || !to)
                        continue;
                GEdge *x = &g->edges[g->n_edges++];
                *x = (GEdge) { .from = node_add(g, from), .to = node_add(g, to), .v = v,
                               .n = json_get_int(v, "n", 0) };
                g->nodes[x->from].degree++;
                g->nodes[x->to].degree++;
        }
        return 0;
}

void graph_done(Graph *g) {
        free(g->hash);
        free(g->nodes);
        free(g->edges);
        *g = (Graph) {};
}

/* Keeps the classes within depth hops of center (either direction) and the edges between them. */
void graph_focus(Graph *g, int center, unsigned depth) {
        for (size_t i = 0; i < g->n_nodes; i++)
                g->nodes[i].dist = -1;
        g->nodes[center].dist = 0;
        for (unsigned d = 0; d < depth; d++)
                for (size_t e = 0; e < g->n_edges; e++) {
                        GNode *a = &g->nodes[g->edges[e].from], *b = &g->nodes[g->edges[e].to];
                        if (a->dist == (int) d && b->dist < 0)
                                b->dist = (int) d + 1;
                        else if (b->dist == (int) d && a->dist < 0)
                                a->dist = (int) d + 1;
                }
        size_t k = 0;
        for (size_t e = 0; e < g->n_edges; e++)
                if (g->nodes[g->edges[e].from].dist >= 0 && g->nodes[g->edges[e].to].dist >= 0)
                        g->edges[k++] = g->edges[e];
        g->n_edges = k;
}

/* Tarjan's strongly connected components, iteratively: an edge inside a component of two or
 * more classes, or a self-loop, is on a cycle. */
static int graph_cycles(Graph *g) {
        size_t n = g->n_nodes, ne = g->n_edges;
        _cleanup_free_ int *idx = malloc(n * sizeof(int)), *low = malloc(n * sizeof(int)),
                           *stack = malloc(n * sizeof(int)), *cs = malloc(n * sizeof(int)),
                           *ce = malloc(n * sizeof(int)), *first = malloc((n + 1) * sizeof(int)),
                           *adj = malloc((ne + 1) * sizeof(int));
        _cleanup_free_ bool *on = calloc(n + 1, sizeof(bool));
        if (!idx || !low || !stack || !cs || !ce || !first || !adj || !on)
                return -ENOMEM;
        /* adjacency in CSR form */
        memset(first, 0, (n + 1) * sizeof(int));
        for (size_t e = 0; e < ne; e++)
                first[g->edges[e].from + 1]++;
        for (size_t i = 0; i < n; i++)
                first[i + 1] += first[i];
        _cleanup_free_ int *fill = malloc((n + 1) * sizeof(int));
        if (!fill)
                return -ENOMEM;
        memcpy(fill, first, (n + 1) * sizeof(int));
        for (size_t e = 0; e < ne; e++)
                adj[fill[g->edges[e].from]++] = g->edges[e].to;
        for (size_t i = 0; i < n; i++)
                idx[i] = -1;
        int counter = 0, sp = 0, n_scc = 0;
        for (size_t root = 0; root < n; root++) {
                if (idx[root] >= 0)
                        continue;
                int depth = 0;
                cs[0] = (int) root;
                ce[0] = first[root];
                idx[root] = low[root] = counter++;
                stack[sp++] = (int) root;
                on[root] = true;
                while (depth >= 0) {
                        int v = cs[depth];
                        if (ce[depth] < first[v + 1]) {
                                int w = adj[ce[depth]++];
                                if (idx[w] < 0) {
                                        idx[w] = low[w] = counter++;
                                        stack[sp++] = w;
                                        on[w] = true;
                                        cs[++depth] = w;
                                        ce[depth] = first[w];
                                } else if (on[w])
                                        low[v] = MIN(low[v], idx[w]);
                                continue;
                        }
                        if (low[v] == idx[v]) {
                                int w;
                                do {
                                        w = stack[--sp];
                                        on[w] = false;
                                        g->nodes[w].scc = n_scc;
                                } while (w != v);
                                n_scc++;
                        }
                        if (--depth >= 0)
                                low[cs[depth]] = MIN(low[cs[depth]], low[v]);
                }
        }
        _cleanup_free_ unsigned *size = calloc((size_t) n_scc + 1, sizeof(unsigned));
        if (!size)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                size[g->nodes[i].scc]++;
        g->n_cycle_edges = 0;
        _cleanup_free_ bool *used = calloc(n + 1, sizeof(bool));
        if (!used)
                return -ENOMEM;
        for (size_t e = 0; e < ne; e++)
                used[g->edges[e].from] = used[g->edges[e].to] = true;
        g->n_classes = 0;
        for (size_t i = 0; i < n; i++)
                g->n_classes += used[i];
        for (size_t e = 0; e < ne; e++) {
                GEdge *x = &g->edges[e];
                x->cycle = x->from == x->to ||
                           (g->nodes[x->from].scc == g->nodes[x->to].scc && size[g->nodes[x->from].scc] > 1);
                g->n_cycle_edges += x->cycle;
        }
        return 0;
}

static int by_priority(const void *a, const void *b, void *userdata) {
        const Graph *g = userdata;
        const GEdge *x = &g->edges[*(const int *) a], *y = &g->edges[*(const int *) b];
        if (x->cycle != y->cycle)
                return x->cycle ? -1 : 1;
        if (x->n != y->n)
                return x->n > y->n ? -1 : 1;
        return *(const int *) a - *(const int *) b;
}

/* Which classes and edges are drawn: edges by priority while their classes fit. */
static int graph_select(Graph *g, size_t max_nodes, size_t max_edges, int center) {
        _cleanup_free_ int *order = malloc((g->n_edges + 1) * sizeof(int));
        if (!order)
                return -ENOMEM;
        for (size_t e = 0; e < g->n_edges; e++)
                order[e] = (int) e;
        qsort_r(order, g->n_edges, sizeof(int), by_priority, g);
        size_t nn = 0, nd = 0;
        if (center >= 0) {
                g->nodes[center].drawn = true;
                nn++;
        }
        for (size_t k = 0; k < g->n_edges && nd < max_edges; k++) {
                GEdge *x = &g->edges[order[k]];
                size_t extra = !g->nodes[x->from].drawn + (x->to != x->from && !g->nodes[x->to].drawn);
                if (nn + extra > max_nodes)
                        continue;
                g->nodes[x->from].drawn = g->nodes[x->to].drawn = true;
                nn += extra;
                x->drawn = true;
                nd++;
        }
        g->n_drawn_nodes = nn;
        g->n_drawn_edges = nd;
        return 0;
}

/* Back edges of a depth-first search over the drawn edges: without them, the drawn graph has no
 * cycle and longest-path layers exist. */
static int graph_layers(Graph *g) {
        size_t n = g->n_nodes, ne = g->n_edges;
        _cleanup_free_ int *state = calloc(n + 1, sizeof(int)), *cs = malloc((n + 1) * sizeof(int)),
                           *ce = malloc((n + 1) * sizeof(int)), *indeg = calloc(n + 1, sizeof(int)),
                           *queue = malloc((n + 1) * sizeof(int));
        if (!state || !cs || !ce || !indeg || !queue)
                return -ENOMEM;
        /* simple O(V*E) walk: the drawn graph is small */
        for (size_t root = 0; root < n; root++) {
                if (!g->nodes[root].drawn || state[root])
                        continue;
                int depth = 0;
                cs[0] = (int) root;
                ce[0] = 0;
                state[root] = 1;
                while (depth >= 0) {
                        int v = cs[depth];
                        bool pushed = false;
                        while (ce[depth] < (int) ne) {
                                GEdge *x = &g->edges[ce[depth]++];
                                if (!x->drawn || x->from != v)
                                        continue;
                                if (state[x->to] == 1)
                                        x->back = true;
                                else if (state[x->to] == 0) {
                                        state[x->to] = 1;
                                        cs[++depth] = x->to;
                                        ce[depth] = 0;
                                        pushed = true;
                                        break;
                                }
                        }
                        if (!pushed) {
                                state[v] = 2;
                                depth--;
                        }
                }
        }
        /* longest path layers over the forward edges (Kahn) */
        for (size_t e = 0; e < ne; e++)
                if (g->edges[e].drawn && !g->edges[e].back)
                        indeg[g->edges[e].to]++;
        size_t qh = 0, qt = 0;
        for (size_t i = 0; i < n; i++)
                if (g->nodes[i].drawn && indeg[i] == 0)
                        queue[qt++] = (int) i;
        while (qh < qt) {
                int v = queue[qh++];
                for (size_t e = 0; e < ne; e++) {
                        GEdge *x = &g->edges[e];
                        if (!x->drawn || x->back || x->from != v)
                                continue;
                        g->nodes[x->to].layer = MAX(g->nodes[x->to].layer, g->nodes[v].layer + 1);
                        if (--indeg[x->to] == 0)
                                queue[qt++] = x->to;
                }
        }
        return 0;
}

static int by_layer_pos(const void *a, const void *b, void *userdata) {
        const Graph *g = userdata;
        const GNode *x = &g->nodes[*(const int *) a], *y = &g->nodes[*(const int *) b];
        if (x->layer != y->layer)
                return x->layer - y->layer;
        if (x->pos != y->pos)
                return x->pos < y->pos ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Positions in each layer: by degree first, then twice the mean position of the neighbours. */
static int graph_order(Graph *g, int *ret_layers, int *ret_rows) {
        size_t n = g->n_nodes;
        _cleanup_free_ int *v = malloc((n + 1) * sizeof(int));
        _cleanup_free_ double *sum = malloc((n + 1) * sizeof(double));
        _cleanup_free_ unsigned *cnt = malloc((n + 1) * sizeof(unsigned));
        if (!v || !sum || !cnt)
                return -ENOMEM;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
                if (g->nodes[i].drawn) {
                        v[m++] = (int) i;
                        g->nodes[i].pos = -(double) g->nodes[i].degree;
                }
        for (int sweep = 0; sweep <= 2; sweep++) {
                qsort_r(v, m, sizeof(int), by_layer_pos, g);
                int layer = -1, row = 0;
                for (size_t k = 0; k < m; k++) {
                        GNode *x = &g->nodes[v[k]];
                        if (x->layer != layer) {
                                layer = x->layer;
                                row = 0;
                        }
                        x->row = row++;
                }
                if (sweep == 2)
                        break;
                memset(sum, 0, (n + 1) * sizeof(double));
                memset(cnt, 0, (n + 1) * sizeof(unsigned));
                for (size_t e = 0; e < g->n_edges; e++) {
                        const GEdge *x = &g->edges[e];
                        if (!x->drawn || x->from == x->to)
                                continue;
                        sum[x->to] += g->nodes[x->from].row;
                        cnt[x->to]++;
                        sum[x->from] += g->nodes[x->to].row;
                        cnt[x->from]++;
                }
                for (size_t k = 0; k < m; k++)
                        g->nodes[v[k]].pos = cnt[v[k]] ? sum[v[k]] / cnt[v[k]] : g->nodes[v[k]].row;
        }
        int layers = 0, rows = 0;
        for (size_t k = 0; k < m; k++) {
                layers = MAX(layers, g->nodes[v[k]].layer + 1);
                rows = MAX(rows, g->nodes[v[k]].row + 1);
        }
        *ret_layers = layers;
        *ret_rows = rows;
        return 0;
}

/* The visible form of name, at most LABEL_COLS code points (ellipsized). */
static size_t h_short_name(Html *h, const char *name, bool emit) {
        StrBuf b = {};
        if (visible_append(&b, name, strlen(name), 0) < 0 || strbuf_puts(&b, "") < 0) {
                strbuf_done(&b);
                return 0;
        }
        size_t cols = 0, i = 0, cut = b.len;
        for (; i < b.len; i++)
                if (((unsigned char) b.s[i] & 0xc0) != 0x80 && ++cols == LABEL_COLS)
                        cut = i;
        if (cols > LABEL_COLS)
                cols = LABEL_COLS;
        if (emit) {
                h_textn(h, b.s, cols == LABEL_COLS && cut < b.len ? cut : b.len);
                if (cut < b.len && cols == LABEL_COLS)
                        h_raw(h, "\xe2\x80\xa6");
        }
        strbuf_done(&b);
        return cols;
}

int graph_svg(Html *h, Graph *g, size_t max_nodes, size_t max_edges, int center, const char *newest_kernel) {
        int q = graph_cycles(g);
        if (q >= 0)
                q = graph_select(g, max_nodes, max_edges, center);
        if (q >= 0)
                q = graph_layers(g);
        int layers = 0, rows = 0;
        if (q >= 0)
                q = graph_order(g, &layers, &rows);
        if (q < 0)
                return q;
        if (g->n_drawn_nodes == 0)
                return 0;
        /* column widths from the widest name of each layer */
        _cleanup_free_ double *colw = calloc((size_t) layers + 1, sizeof(double)), *colx = calloc((size_t) layers + 1, sizeof(double));
        if (!colw || !colx)
                return -ENOMEM;
        for (size_t i = 0; i < g->n_nodes; i++)
                if (g->nodes[i].drawn) {
                        g->nodes[i].w = (double) h_short_name(h, g->nodes[i].name, false) * CHAR_W + 16;
                        colw[g->nodes[i].layer] = MAX(colw[g->nodes[i].layer], g->nodes[i].w);
                }
        double x = MARGIN + 20;
        for (int l = 0; l < layers; l++) {
                colx[l] = x;
                x += colw[l] + COL_GAP;
        }
        double W = x - COL_GAP + MARGIN + 20, H = MARGIN * 2 + 40 + rows * ROW_H;
        for (size_t i = 0; i < g->n_nodes; i++)
                if (g->nodes[i].drawn) {
                        GNode *v = &g->nodes[i];
                        v->x = colx[v->layer] + (colw[v->layer] - v->w) / 2;
                        v->y = MARGIN + 20 + v->row * ROW_H;
                }
        h_printf(h, "<svg id=\"fleet\" class=\"graph layered\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
                    "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"lock-order graph\">", W, H, W, H);
        h_raw(h, "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" "
                 "markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/>"
                 "</marker></defs>");
        for (size_t e = 0; e < g->n_edges; e++) {
                const GEdge *ed = &g->edges[e];
                if (!ed->drawn)
                        continue;
                const GNode *a = &g->nodes[ed->from], *b = &g->nodes[ed->to];
                const char *first = json_get_str(ed->v, "first_kernel");
                bool is_new = newest_kernel && first && !strcmp(first, newest_kernel);
                h_printf(h, "<g class=\"edge%s%s%s\"><title>", ed->cycle ? " cycle" : "", is_new ? " new" : "",
                         ed->back ? " back" : "");
                h_text(h, a->name);
                h_raw(h, " \xe2\x86\x92 ");
                h_text(h, b->name);
                h_printf(h, " (%lld, first in ", (long long) ed->n);
                h_text(h, first ?: "?");
                h_raw(h, ed->cycle ? "; on a cycle)</title>" : ")</title>");
                double ay = a->y + BOX_H / 2, by = b->y + BOX_H / 2;
                if (a == b)
                        h_printf(h, "<path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" marker-end=\"url(#arrow)\"/>",
                                 a->x + a->w - 10, a->y, a->x + a->w + 10, a->y - 18, a->x + a->w + 24, ay,
                                 a->x + a->w + 1, ay);
                else if (!ed->back && b->layer > a->layer) {
                        double x1 = a->x + a->w, x2 = b->x, mx = (x1 + x2) / 2;
                        h_printf(h, "<path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" marker-end=\"url(#arrow)\"/>",
                                 x1, ay, mx, ay, mx, by, x2 - 1, by);
                } else {
                        /* against the layers: out of the left side, back in from the right, bowed */
                        double x1 = a->x, x2 = b->x + b->w, bow = 30 + fabs(ay - by) / 4;
                        h_printf(h, "<path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" marker-end=\"url(#arrow)\"/>",
                                 x1, ay, x1 - bow, ay + bow, x2 + bow, by + bow, x2 + 1, by);
                }
                h_raw(h, "</g>");
        }
        for (size_t i = 0; i < g->n_nodes; i++) {
                const GNode *v = &g->nodes[i];
                if (!v->drawn)
                        continue;
                h_raw(h, "<a href=\"/graph?lock=");
                h_url(h, v->name);
                h_printf(h, "\"><g class=\"node%s\"><title>", (int) i == center ? " focus" : "");
                h_text(h, v->name);
                h_printf(h, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.0f\" rx=\"5\"/>"
                            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                         v->x, v->y, v->w, BOX_H, v->x + v->w / 2, v->y + 16);
                h_short_name(h, v->name, true);
                h_raw(h, "</text></g></a>");
        }
        h_raw(h, "</svg>");
        return 0;
}
