/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inline SVG drawn on the server: the fleet-wide lock-order graph and sparklines (a group's cycle
 * is svg-cycle.c). No style attributes (the CSP
 * forbids them): classes only, styled by style.css. All names are escaped with h_text().
 */
#include <math.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-release.h"
#include "lockdep.h"
#include "macro.h"
#include "web-internal.h"

#define NODE_W 200.0
#define NODE_H 26.0

/* Long class names are shortened on the drawing; the full name is the node's <title>. */
static void h_label(Html *h, const char *s, size_t max) {
        size_t n = strlen(s);
        if (n <= max) {
                h_text(h, s);
                return;
        }
        /* cut at a UTF-8 boundary */
        size_t cut = max - 1;
        while (cut > 0 && ((unsigned char) s[cut] & 0xc0) == 0x80)
                cut--;
        h_textn(h, s, cut);
        h_raw(h, "\xe2\x80\xa6");
}

static void h_arrow_defs(Html *h) {
        h_raw(h, "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" "
                 "markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/>"
                 "</marker></defs>");
}

static void h_node(Html *h, double x, double y, const char *name, const char *cls) {
        h_printf(h, "<g class=\"%s\"><title>", cls);
        h_text(h, name);
        h_printf(h, "</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%.0f\" height=\"%.0f\" rx=\"6\"/>"
                    "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                 x - NODE_W / 2, y - NODE_H / 2, NODE_W, NODE_H, x, y + 4);
        h_label(h, name, 30);
        h_raw(h, "</text></g>");
}

/* Shortens the segment (x1,y1)-(x2,y2) so it starts and ends at the node boxes. */
static void clip(double *x1, double *y1, double *x2, double *y2) {
        double dx = *x2 - *x1, dy = *y2 - *y1, len = sqrt(dx * dx + dy * dy);
        if (len < 1)
                return;
        /* distance from a box centre to its border along the direction */
        double tx = fabs(dx) > 0.01 ? (NODE_W / 2 + 4) / fabs(dx) : 1e9;
        double ty = fabs(dy) > 0.01 ? (NODE_H / 2 + 4) / fabs(dy) : 1e9;
        double t = MIN(MIN(tx, ty), 0.45);
        *x1 += dx * t;
        *y1 += dy * t;
        *x2 -= dx * t;
        *y2 -= dy * t;
}

int sparkline_day(const char *iso_day, time_t now) {
        struct tm tm = {};
        if (!iso_day || !strptime(iso_day, "%Y-%m-%d", &tm))
                return -EINVAL;
        long age = (long) ((now - timegm(&tm)) / 86400);
        return age < 0 || age >= SPARK_DAYS ? -ERANGE : (int) (SPARK_DAYS - 1 - age);
}

/* One point per day over SPARK_DAYS days ending today. */
void svg_sparkline_days(Html *h, const double v[SPARK_DAYS], bool standalone) {
        double max = 0;
        for (int i = 0; i < SPARK_DAYS; i++)
                max = MAX(max, v[i]);
        h_printf(h, "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d 20\" width=\"%d\" "
                    "height=\"20\" role=\"img\" aria-label=\"reports per day\"><polyline points=\"", SPARK_DAYS, SPARK_DAYS);
        for (int i = 0; i < SPARK_DAYS; i++)
                h_printf(h, "%s%d,%.1f", i ? " " : "", i, max > 0 ? 19 - 18 * v[i] / max : 19.0);
        /* a standalone image does not see style.css: presentation attributes instead */
        h_raw(h, standalone ? "\" fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1\"/></svg>" : "\"/></svg>");
}

void svg_sparkline(Html *h, const JsonValue *daily, bool standalone) {
        double v[SPARK_DAYS] = {};
        time_t now = time(NULL);
        for (size_t i = 0; i < json_len(daily); i++) {
                const JsonValue *d = json_at(daily, i);
                int k = sparkline_day(json_get_str(d, "day"), now);
                if (k >= 0)
                        v[k] += (double) json_get_int(d, "n", 0);
        }
        svg_sparkline_days(h, v, standalone);
}

static int cmp_kernel(const char *a, const char *b) {
        return kernel_release_compare(a, b);
}

typedef struct Node {
        const char *name;
        unsigned degree;
        double x, y;
} Node;

static int node_by_degree(const void *a, const void *b) {
        const Node *x = a, *y = b;
        return x->degree != y->degree ? (x->degree < y->degree ? 1 : -1) : strcmp(x->name, y->name);
}

static int node_find(Node *nodes, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (!strcmp(nodes[i].name, name))
                        return (int) i;
        return -1;
}

/* The fleet graph: the max_nodes best-connected classes on a circle, every edge between them;
 * edges first seen in newest_kernel get the class "new". */
void svg_graph(Html *h, const JsonValue *edges, const char *newest_kernel, size_t max_nodes) {
        size_t ne = json_len(edges), n = 0;
        _cleanup_free_ Node *nodes = calloc(2 * ne + 1, sizeof(Node));
        if (!nodes) {
                h->err = -ENOMEM;
                return;
        }
        for (size_t e = 0; e < ne; e++) {
                const char *ends[2] = { json_get_str(json_at(edges, e), "from"), json_get_str(json_at(edges, e), "to") };
                for (int k = 0; k < 2; k++) {
                        if (!ends[k])
                                continue;
                        int i = node_find(nodes, n, ends[k]);
                        if (i < 0) {
                                nodes[n] = (Node) { .name = ends[k] };
                                i = (int) n++;
                        }
                        nodes[i].degree++;
                }
        }
        qsort(nodes, n, sizeof(Node), node_by_degree);
        n = MIN(n, max_nodes);
        double R = MAX(150.0, 18.0 * (double) n), W = 2 * R + NODE_W + 80, H = 2 * R + 80;
        for (size_t i = 0; i < n; i++) {
                double a = -M_PI / 2 + 2 * M_PI * (double) i / (double) MAX(n, (size_t) 1);
                nodes[i].x = W / 2 + R * cos(a);
                nodes[i].y = H / 2 + R * sin(a);
        }
        h_printf(h, "<svg id=\"fleet\" class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
                    "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"lock-order graph\">", W, H, W, H);
        h_arrow_defs(h);
        for (size_t e = 0; e < ne; e++) {
                const JsonValue *ev = json_at(edges, e);
                int i = node_find(nodes, n, json_get_str(ev, "from") ?: ""), j = node_find(nodes, n, json_get_str(ev, "to") ?: "");
                if (i < 0 || j < 0 || i == j)
                        continue;
                bool is_new = newest_kernel && !cmp_kernel(json_get_str(ev, "first_kernel"), newest_kernel);
                double x1 = nodes[i].x, y1 = nodes[i].y, x2 = nodes[j].x, y2 = nodes[j].y;
                clip(&x1, &y1, &x2, &y2);
                h_printf(h, "<g class=\"edge%s\"><title>", is_new ? " new" : "");
                h_text(h, nodes[i].name);
                h_raw(h, " \xe2\x86\x92 ");
                h_text(h, nodes[j].name);
                h_printf(h, " (%lld, first in ", (long long) json_get_int(ev, "n", 0));
                h_text(h, json_get_str(ev, "first_kernel") ?: "?");
                h_printf(h, ")</title><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" marker-end=\"url(#arrow)\"/></g>",
                         x1, y1, x2, y2);
        }
        for (size_t i = 0; i < n; i++) {
                h_raw(h, "<a href=\"/locks/");
                h_url(h, nodes[i].name);
                h_raw(h, "\">");
                h_node(h, nodes[i].x, nodes[i].y, nodes[i].name, "node");
                h_raw(h, "</a>");
        }
        h_raw(h, "</svg>");
}
