/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group's cycle drawn as a ladder (issue 14): the classes top to bottom in cycle order; each
 * edge between neighbours an arrow down with its acquire site to the right of the arrow, in the
 * gap between the two boxes; the edge that closes the cycle back up on the right of everything,
 * its site beside it; a self-loop (recursive) to the right of its box. Every size comes from the
 * estimated width of monospace text, so no label overlaps another or a box whatever the names:
 * names wrap at NAME_COLS columns over up to NAME_LINES lines and are ellipsized beyond, sites
 * at SITE_COLS over SITE_LINES; the full text is each element's <title>. Edges of the group that
 * join no neighbours run in lanes on the left without a label (their sites are in the text list
 * beside the drawing). Names are shown in their visible form (visible.h) and escaped by h_text().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "visible.h"
#include "web-internal.h"

#define NAME_CHAR_W 7.3   /* 12px ui-monospace: 0.6em, rounded up */
#define SITE_CHAR_W 6.7   /* 11px */
#define NAME_LINE_H 15.0
#define SITE_LINE_H 14.0
#define NAME_COLS 28
#define NAME_LINES 4
#define SITE_COLS 26
#define SITE_LINES 2
#define BOX_PAD_X 8.0
#define BOX_PAD_Y 6.0
#define GAP_MIN 34.0
#define LANE_W 12.0
#define MARGIN 12.0
#define LOOP_W 40.0
#define MAX_NODES 32

typedef struct Piece {
        const char *s;
        size_t len;      /* bytes */
        size_t cols;     /* code points */
        bool ellipsis;   /* cut short: an ellipsis follows */
} Piece;

typedef struct Label {
        char *vis;       /* the visible form (malloc) */
        Piece lines[4];
        size_t n;
        size_t cols;     /* of the widest line */
} Label;

static size_t cp_len(const unsigned char *p, const unsigned char *end) {
        size_t k = 1;
        while (p + k < end && (p[k] & 0xc0) == 0x80)
                k++;
        return k;
}

/* Splits the visible form of s into lines of at most cols code points, preferring to break after
 * one of " ->._/:" in the second half of a line; more than max_lines: the last one ellipsized. */
static void label_make(Label *l, const char *s, size_t cols, size_t max_lines) {
        StrBuf b = {};
        *l = (Label) {};
        if (visible_append(&b, s ?: "", strlen(s ?: ""), 0) < 0 || strbuf_puts(&b, "") < 0) {
                strbuf_done(&b);
                return;
        }
        l->vis = strbuf_steal(&b);
        const unsigned char *p = (const unsigned char *) l->vis, *end = p + strlen(l->vis);
        while (p < end && l->n < max_lines) {
                const unsigned char *q = p, *brk = NULL;
                size_t c = 0, brk_c = 0;
                while (q < end && c < cols) {
                        size_t k = cp_len(q, end);
                        q += k;
                        c++;
                        if (c > cols / 2 && strchr(" ->._/:", q[-1]) && q < end) {
                                brk = q;
                                brk_c = c;
                        }
                }
                if (q < end && brk && l->n + 1 < max_lines) {
                        q = brk;
                        c = brk_c;
                }
                Piece *pc = &l->lines[l->n++];
                *pc = (Piece) { .s = (const char *) p, .len = (size_t) (q - p), .cols = c };
                if (q < end && l->n == max_lines) {
                        /* the last line: one column for the ellipsis */
                        if (pc->cols >= cols) {
                                const unsigned char *e = p + pc->len;
                                do
                                        e--;
                                while (e > p && (*e & 0xc0) == 0x80);
                                pc->len = (size_t) (e - p);
                                pc->cols--;
                        }
                        pc->ellipsis = true;
                        pc->cols++;
                }
                l->cols = MAX(l->cols, pc->cols);
                p = q;
        }
}

static void label_done(Label *l) {
        free(l->vis);
        *l = (Label) {};
}

/* The lines of l as <tspan>s under a <text> at x, first baseline y. */
static void h_label_lines(Html *h, const Label *l, double x, double y, double line_h, const char *cls,
                          const char *anchor) {
        h_printf(h, "<text class=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", cls, x, y, anchor);
        for (size_t i = 0; i < l->n; i++) {
                h_printf(h, "<tspan x=\"%.1f\" dy=\"%.1f\">", x, i ? line_h : 0.0);
                h_textn(h, l->lines[i].s, l->lines[i].len);
                if (l->lines[i].ellipsis)
                        h_raw(h, "\xe2\x80\xa6");
                h_raw(h, "</tspan>");
        }
        h_raw(h, "</text>");
}

/* The chain entry of the representative report in which `to` was acquired, or NULL. */
static const StoreChainLink *chain_entry(const StoreGroupDetail *d, const char *to) {
        for (size_t i = 0; i < d->n_chain; i++)
                if (!strcmp(d->chain[i].canonical, to))
                        return &d->chain[i];
        return NULL;
}

static void h_lock_code(Html *h, const char *name) {
        h_raw(h, "<a class=\"lock\" href=\"/locks/");
        h_url(h, name);
        h_raw(h, "\"><code>");
        h_text(h, name);
        h_raw(h, "</code></a>");
}

void h_cycle_text(Html *h, const StoreGroupDetail *d) {
        size_t ne = d->n_edges, nc = d->n_classes;
        h_raw(h, "<ol class=\"cycle-text\" id=\"cycle-text\">");
        for (size_t e = 0; e < (ne ? ne : nc > 1 ? nc : 0); e++) {
                const char *from, *to, *at = NULL;
                if (ne) {
                        from = d->edges[e].from;
                        to = d->edges[e].to;
                        at = d->edges[e].site; /* the store's, as the CLI shows it */
                } else { /* no edges stored (derived tables being rebuilt): the cycle without sites */
                        from = d->classes[e];
                        to = d->classes[(e + 1) % nc];
                }
                h_raw(h, "<li>");
                h_lock_code(h, from);
                h_raw(h, " <span class=\"arrow\">-&gt;</span> ");
                h_lock_code(h, to);
                if (at) {
                        h_raw(h, " <span class=\"hint\">acquired at</span> <code class=\"site\">");
                        h_text(h, at);
                        h_raw(h, "</code>");
                }
                const StoreChainLink *l = chain_entry(d, to);
                if (l && l->n_stack > 0) {
                        h_printf(h, "<details><summary>stack (%zu frames)</summary><pre class=\"stack\">", l->n_stack);
                        for (size_t k = 0; k < l->n_stack; k++) {
                                const char *f = l->stack[k];
                                bool mark = at && !strncmp(f, at, strcspn(at, "+ ")) && f[strcspn(at, "+ ")] == 0;
                                h_raw(h, mark ? "<mark>" : "");
                                h_text(h, f);
                                h_raw(h, mark ? "</mark>\n" : "\n");
                        }
                        h_raw(h, "</pre></details>");
                }
                h_raw(h, "</li>");
        }
        h_raw(h, "</ol>");
}

typedef enum EdgeShape { EDGE_DOWN, EDGE_CLOSE, EDGE_LOOP, EDGE_LANE } EdgeShape;

typedef struct CEdge {
        int from, to;
        const char *at;
        EdgeShape shape;
        unsigned lane;
        Label site;
} CEdge;

static void h_edge_title(Html *h, const char *from, const char *to, const char *at) {
        h_raw(h, "<title>");
        h_text(h, from);
        h_raw(h, " \xe2\x86\x92 ");
        h_text(h, to);
        if (at) {
                h_raw(h, " at ");
                h_text(h, at);
        }
        h_raw(h, "</title>");
}

void svg_cycle_draw(Html *h, const char *const *classes, size_t n_classes, const SvgEdge *edges, size_t n_edges) {
        const char *names[MAX_NODES];
        size_t n = 0;
        for (size_t i = 0; i < n_classes && n < MAX_NODES; i++) {
                const char *c = classes[i] ?: "";
                bool seen = false;
                for (size_t k = 0; k < n; k++)
                        seen |= !strcmp(names[k], c);
                if (!seen)
                        names[n++] = c;
        }
        if (n == 0)
                return;
        /* the ladder follows the edges from the first class, so that each edge of the cycle goes
         * down to the next box and the last one back up to the first */
        for (size_t k = 1; k < n; k++) {
                const char *cur = names[k - 1];
                for (size_t e = 0; e < n_edges; e++) {
                        const char *from = edges[e].from, *to = edges[e].to;
                        if (!from || !to || strcmp(from, cur))
                                continue;
                        size_t m = k;
                        while (m < n && strcmp(names[m], to))
                                m++;
                        if (m < n) {
                                const char *t = names[k];
                                names[k] = names[m];
                                names[m] = t;
                                break;
                        }
                }
        }

        /* the edges: the group's, else the printed order closing the circle */
        size_t ne_in = n_edges, ne = 0;
        _cleanup_free_ CEdge *ev = calloc(MAX(ne_in, n) + 1, sizeof(CEdge));
        if (!ev) {
                h->err = -ENOMEM;
                return;
        }
        bool down_used[MAX_NODES] = {}, close_used = false;
        unsigned lanes = 0;
        for (size_t e = 0; e < (ne_in ? ne_in : (n > 1 ? n : 1)); e++) {
                const char *from, *to, *at = NULL;
                if (ne_in) {
                        from = edges[e].from ?: "";
                        to = edges[e].to ?: "";
                        at = edges[e].at;
                } else {
                        from = names[e];
                        to = names[(e + 1) % n];
                }
                int i = -1, j = -1;
                for (size_t k = 0; k < n; k++) {
                        if (!strcmp(names[k], from))
                                i = (int) k;
                        if (!strcmp(names[k], to))
                                j = (int) k;
                }
                if (i < 0 || j < 0)
                        continue;
                CEdge *c = &ev[ne++];
                *c = (CEdge) { .from = i, .to = j, .at = at };
                if (i == j)
                        c->shape = EDGE_LOOP;
                else if (j == i + 1 && !down_used[i]) {
                        c->shape = EDGE_DOWN;
                        down_used[i] = true;
                } else if (i == (int) n - 1 && j == 0 && !close_used) {
                        c->shape = EDGE_CLOSE;
                        close_used = true;
                } else {
                        c->shape = EDGE_LANE;
                        c->lane = lanes++;
                }
                /* labels where there is room for them: not for lanes, nor for a loop beside the
                 * closing edge */
                if (at && c->shape != EDGE_LANE && !(c->shape == EDGE_LOOP && n > 1))
                        label_make(&c->site, at, SITE_COLS, SITE_LINES);
        }

        /* boxes */
        Label lab[MAX_NODES];
        double box_w = 0, box_h[MAX_NODES], y[MAX_NODES], gap[MAX_NODES];
        for (size_t i = 0; i < n; i++) {
                label_make(&lab[i], names[i], NAME_COLS, NAME_LINES);
                box_w = MAX(box_w, (double) lab[i].cols * NAME_CHAR_W + 2 * BOX_PAD_X);
                box_h[i] = (double) MAX(lab[i].n, (size_t) 1) * NAME_LINE_H + 2 * BOX_PAD_Y;
                gap[i] = GAP_MIN;
        }
        double down_label_w = 0, side_label_w = 0, close_label_h = 0;
        bool loops = false;
        for (size_t e = 0; e < ne; e++) {
                const CEdge *c = &ev[e];
                double lw = (double) c->site.cols * SITE_CHAR_W, lh = (double) c->site.n * SITE_LINE_H;
                loops |= c->shape == EDGE_LOOP;
                if (c->shape == EDGE_DOWN) {
                        gap[c->from] = MAX(gap[c->from], lh + 16);
                        down_label_w = MAX(down_label_w, lw);
                } else if (c->shape == EDGE_CLOSE || c->shape == EDGE_LOOP) {
                        side_label_w = MAX(side_label_w, lw);
                        close_label_h = MAX(close_label_h, lh);
                }
        }
        double left = MARGIN + (double) lanes * LANE_W + (lanes ? 8 : 0), cx = left + box_w / 2;
        double top = MARGIN + (n == 1 ? MAX(0.0, close_label_h / 2 - box_h[0] / 2) : 0);
        for (size_t i = 0; i < n; i++) {
                y[i] = top;
                top += box_h[i] + (i + 1 < n ? gap[i] : 0);
        }
        double right = left + box_w;
        double x_close = MAX(right, cx + 8 + down_label_w) + 20 + (loops ? LOOP_W : 0);
        double W = x_close + (side_label_w > 0 ? 8 + side_label_w : 0) + MARGIN;
        if (n == 1)
                W = right + LOOP_W + (side_label_w > 0 ? 8 + side_label_w : 0) + MARGIN;
        double H = MAX(top, MARGIN + close_label_h) + MARGIN;

        h_printf(h, "<svg id=\"cycle\" class=\"graph cycle\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
                    "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"lock cycle\">",
                 ceil(W), ceil(H), ceil(W), ceil(H));
        h_raw(h, "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
                 "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/>"
                 "</marker></defs>");
        for (size_t e = 0; e < ne; e++) {
                CEdge *c = &ev[e];
                int i = c->from, j = c->to;
                double mi = y[i] + box_h[i] / 2, mj = y[j] + box_h[j] / 2;
                h_raw(h, "<g class=\"edge\">");
                h_edge_title(h, names[i], names[j], c->at);
                switch (c->shape) {
                case EDGE_DOWN: {
                        double y1 = y[i] + box_h[i], y2 = y[j];
                        h_printf(h, "<path d=\"M%.1f,%.1f V%.1f\" marker-end=\"url(#arrow)\"/>", cx, y1 + 2, y2 - 2);
                        if (c->site.n)
                                h_label_lines(h, &c->site, cx + 8,
                                              y1 + (y2 - y1 - (double) c->site.n * SITE_LINE_H) / 2 + 11, SITE_LINE_H,
                                              "site", "start");
                        break;
                }
                case EDGE_CLOSE:
                        h_printf(h, "<path d=\"M%.1f,%.1f H%.1f V%.1f H%.1f\" marker-end=\"url(#arrow)\"/>",
                                 right + 2, mi, x_close, mj, right + 2);
                        if (c->site.n)
                                h_label_lines(h, &c->site, x_close + 8,
                                              (mi + mj) / 2 - (double) c->site.n * SITE_LINE_H / 2 + 11, SITE_LINE_H,
                                              "site", "start");
                        break;
                case EDGE_LOOP:
                        h_printf(h, "<path d=\"M%.1f,%.1f C%.1f,%.1f %.1f,%.1f %.1f,%.1f\" marker-end=\"url(#arrow)\"/>",
                                 right + 2, mi - 6, right + LOOP_W, mi - 22, right + LOOP_W, mi + 22, right + 2, mi + 6);
                        if (c->site.n)
                                h_label_lines(h, &c->site, right + LOOP_W + 8,
                                              mi - (double) c->site.n * SITE_LINE_H / 2 + 11, SITE_LINE_H, "site", "start");
                        break;
                case EDGE_LANE: {
                        double lx = left - 8 - (double) c->lane * LANE_W;
                        h_printf(h, "<path d=\"M%.1f,%.1f H%.1f V%.1f H%.1f\" marker-end=\"url(#arrow)\"/>",
                                 left - 2, mi - 4, lx, mj + 4, left - 2);
                        break;
                }
                }
                h_raw(h, "</g>");
                label_done(&c->site);
        }
        for (size_t i = 0; i < n; i++) {
                h_raw(h, "<g class=\"node\"><title>");
                h_text(h, names[i]);
                h_printf(h, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" rx=\"6\"/>",
                         left, y[i], box_w, box_h[i]);
                h_label_lines(h, &lab[i], cx, y[i] + BOX_PAD_Y + 11.5, NAME_LINE_H, "name", "middle");
                h_raw(h, "</g>");
                label_done(&lab[i]);
        }
        h_raw(h, "</svg>");
}

void svg_cycle(Html *h, const StoreGroupDetail *d) {
        _cleanup_free_ SvgEdge *ev = calloc(d->n_edges + 1, sizeof(SvgEdge));
        if (!ev) {
                h->err = -ENOMEM;
                return;
        }
        for (size_t e = 0; e < d->n_edges; e++)
                ev[e] = (SvgEdge) { d->edges[e].from, d->edges[e].to, d->edges[e].site };
        svg_cycle_draw(h, d->classes, d->n_classes, ev, d->n_edges);
}
