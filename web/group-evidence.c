/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A group's evidence on its page (issue 14): breakdowns by kernel release and host drawn as bars,
 * a timeline of reports per day over the group's whole life (from its occurrences), and related
 * groups as the store ranks them (store_group_detail(): shared lock-order edges, then shared classes
 * weighted by their rarity, over every candidate), so that one
 * common class such as &mm->mmap_lock does not make every group "related".
 * Bars are SVG <rect>s with a width attribute: the CSP allows no style attributes.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "web-internal.h"

#define BAR_W 160.0
#define TIMELINE_MAX_DAYS 730

void h_bars(Html *h, const char *id, const char *title, const StoreCount *v, size_t n_rows, const char *key,
            const char *link) {
        int64_t max = 1;
        for (size_t i = 0; i < n_rows; i++)
                max = MAX(max, v[i].n);
        h_printf(h, "<section><h2>%s</h2><table id=\"%s\" class=\"bars sortable\"><thead><tr><th>%s</th><th>Reports</th>"
                    "<th></th></tr></thead><tbody>", title, id, key);
        for (size_t i = 0; i < n_rows; i++) {
                const char *name = v[i].name;
                int64_t n = v[i].n;
                h_raw(h, "<tr><td><div class=\"bar-name\">"); /* a 10 KB name breaks inside it */
                if (link && name) {
                        h_printf(h, "<a href=\"%s", link);
                        h_url(h, name);
                        h_raw(h, "\">");
                        h_text(h, name);
                        h_raw(h, "</a>");
                } else
                        h_text(h, name ?: "unknown");
                h_printf(h, "</div></td><td class=\"num\">%lld</td><td><svg class=\"bar\" xmlns=\"http://www.w3.org/2000/svg\" "
                            "width=\"%.0f\" height=\"12\" viewBox=\"0 0 %.0f 12\" role=\"img\" aria-label=\"%lld\">"
                            "<rect width=\"%.1f\" height=\"12\"/></svg></td></tr>",
                         (long long) n, BAR_W, BAR_W, (long long) n, MAX(1.0, BAR_W * (double) n / (double) max));
        }
        h_raw(h, "</tbody></table></section>\n");
}

/* the UTC day number of a time in usec since the epoch */
static int64_t day_of(int64_t usec) {
        int64_t sec = usec / 1000000;
        return sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
}

void h_timeline(Html *h, const StoreReportList *occ, bool cut) {
        int64_t lo = INT64_MAX, hi = -1;
        for (size_t i = 0; i < occ->n; i++) {
                int64_t d = day_of(occ->v[i].time);
                if (d >= 0) {
                        lo = MIN(lo, d);
                        hi = MAX(hi, d);
                }
        }
        if (hi < 0)
                return;
        if (hi - lo >= TIMELINE_MAX_DAYS)
                lo = hi - TIMELINE_MAX_DAYS + 1; /* the last two years */
        size_t days = (size_t) (hi - lo + 1);
        _cleanup_free_ unsigned *n = calloc(days, sizeof(unsigned));
        if (!n) {
                h->err = -ENOMEM;
                return;
        }
        unsigned max = 1, busiest = 0;
        for (size_t i = 0; i < occ->n; i++) {
                int64_t d = day_of(occ->v[i].time);
                if (d >= lo && d <= hi && ++n[d - lo] > max)
                        max = n[d - lo];
        }
        for (size_t i = 0; i < days; i++)
                if (n[i] > n[busiest])
                        busiest = (unsigned) i;
        double bw = days > 200 ? 2 : days > 60 ? 4 : 10, W = MAX(bw * (double) days, 120.0) + 2, H = 60;
        char d0[16], d1[16], db[16];
        time_t t0 = (time_t) lo * 86400, t1 = (time_t) hi * 86400, tb = (time_t) (lo + busiest) * 86400;
        strftime(d0, sizeof(d0), "%Y-%m-%d", gmtime(&t0));
        strftime(d1, sizeof(d1), "%Y-%m-%d", gmtime(&t1));
        strftime(db, sizeof(db), "%Y-%m-%d", gmtime(&tb));
        h_printf(h, "<section><h2>Timeline</h2><p class=\"summary\" id=\"timeline-summary\">%zu reports over %zu day%s, "
                    "%s to %s; the busiest day %s with %u%s.</p><div class=\"svg-scroll\">",
                 occ->n, days, days == 1 ? "" : "s", d0, d1, db, n[busiest],
                 cut ? " (of the reports on this page)" : "");
        h_printf(h, "<svg id=\"timeline\" class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                    "viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"reports per day\"><line x1=\"0\" y1=\"%.0f\" "
                    "x2=\"%.0f\" y2=\"%.0f\"/>", W, H + 14, W, H + 14, H, W, H);
        for (size_t i = 0; i < days; i++)
                if (n[i]) {
                        double bh = MAX(2.0, (H - 4) * n[i] / max);
                        time_t t = (time_t) (lo + (int64_t) i) * 86400;
                        char ds[16];
                        strftime(ds, sizeof(ds), "%Y-%m-%d", gmtime(&t));
                        h_printf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s: %u</title></rect>",
                                 1 + bw * (double) i, H - bh, MAX(bw - 1, 1.0), bh, ds, n[i]);
                }
        h_printf(h, "<text x=\"1\" y=\"%.0f\">%s</text><text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text></svg></div></section>\n",
                 H + 12, d0, W - 1, H + 12, days > 1 ? d1 : "");
}

void h_related(Html *h, const StoreRelatedGroup *rel, size_t n) {
        if (n == 0)
                return;
        /* the store ranked them: shared edges first, then shared classes weighted by rarity */
        size_t with_edges = 0;
        while (with_edges < n && rel[with_edges].shared_edges > 0)
                with_edges++;
        h_raw(h, "<section><h2>Related groups</h2>");
        for (int part = 0; part < 2; part++) {
                size_t a = part ? with_edges : 0, b = part ? n : with_edges;
                if (a == b)
                        continue;
                if (part)
                        h_printf(h, "<details><summary>%zu sharing only classes</summary>", b - a);
                else
                        h_raw(h, "<p class=\"hint\">Sharing lock-order edges with this group, most first.</p>");
                h_printf(h, "<ol class=\"related\" id=\"related-%s\">", part ? "classes" : "edges");
                for (size_t i = a; i < b; i++) {
                        const StoreRelatedGroup *x = &rel[i];
                        unsigned edges = (unsigned) x->shared_edges, classes = (unsigned) x->shared;
                        h_printf(h, "<li><a href=\"/groups/%lld\">#%lld</a> ", (long long) x->id, (long long) x->id);
                        h_text(h, x->func_title ?: x->kind);
                        h_printf(h, " <span class=\"hint\">(%u shared edge%s, %u shared class%s)</span></li>", edges,
                                 edges == 1 ? "" : "s", classes, classes == 1 ? "" : "es");
                }
                h_raw(h, part ? "</ol></details>" : "</ol>");
        }
        h_raw(h, "</section>\n");
}
