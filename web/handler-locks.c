/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lock classes: /locks (?q= filters names), /locks/NAME, /api/v1/locks[/NAME]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

#define LOCKS_PAGE 500

MHD_Result_ handle_locks(Request *r) {
        _cleanup_(store_lock_list_free) StoreLockList list = {};
        StoreListQuery lq;
        uint64_t total = 0;
        MHD_Result_ q;

        Store *s = req_list_count(r, STORE_LIST_LOCKS, LOCKS_PAGE, &lq, &total, &q);
        if (!s)
                return q;
        int e = store_lock_list(s, &lq, &list);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_lock_list_json(&list, total, &lq, &b));
        }

        Html h = {};
        h_begin(&h, "Lock classes");
        h_raw(&h, "<h1>Lock classes</h1><form class=\"filters\" method=\"get\" action=\"/locks\"><label>Name contains "
                  "<input type=\"text\" name=\"q\" value=\"");
        h_value(&h, lq.name ?: "");
        h_raw(&h, "\"></label> ");
        /* the sort stays what it was; a new filter starts at the first page */
        if (lq.sort)
                h_printf(&h, "<input type=\"hidden\" name=\"sort\" value=\"%s\">", store_list_sort_name(lq.list, lq.sort));
        if (lq.order != STORE_ORDER_DEFAULT)
                h_printf(&h, "<input type=\"hidden\" name=\"order\" value=\"%s\">", lq.order == STORE_ORDER_DESC ? "desc" : "asc");
        h_raw(&h, "<button type=\"submit\">Search</button></form>\n");
        h_list_summary(&h, &lq, total, list.n, "lock classes");
        h_raw(&h, "<table id=\"locks\" class=\"sortable\"><thead><tr>");
        h_sort_th(&h, "/locks", &lq, LOCKS_PAGE, "name", "Class");
        h_sort_th(&h, "/locks", &lq, LOCKS_PAGE, "groups", "Groups");
        h_sort_th(&h, "/locks", &lq, LOCKS_PAGE, "edges", "Edges");
        h_raw(&h, "</tr></thead><tbody>");
        for (size_t i = 0; i < list.n; i++) {
                const StoreLock *l = &list.v[i];
                h_raw(&h, "<tr><td><a class=\"lock\" href=\"/locks/");
                h_url(&h, l->name);
                h_raw(&h, "\">");
                h_text(&h, l->name);
                h_printf(&h, "</a></td><td class=\"num\">%lld</td><td class=\"num\">%lld</td></tr>",
                         (long long) l->n_groups, (long long) l->n_edges);
        }
        h_raw(&h, "</tbody></table>\n");
        h_list_pager(&h, "/locks", &lq, LOCKS_PAGE, total);
        h_raw(&h, "<p class=\"api\"><a href=\"");
        h_list_link(&h, "/api/v1/locks", &lq, LOCKS_PAGE);
        h_raw(&h, "\">JSON</a></p>\n");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

MHD_Result_ handle_lock(Request *r) {
        const char *name = r->rest;
        if (strlen(name) > 1024)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Lock name too long");
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        _cleanup_(store_lock_detail_free) StoreLockDetail d = {};
        int e = store_lock_detail(s, name, &d);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No such lock class");
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_lock_detail_json(&d, &b));
        }
        Html h = {};
        h_begin(&h, name);
        h_raw(&h, "<h1>Lock class <code>");
        h_text(&h, name);
        h_raw(&h, "</code></h1>");
        if (d.printed.n > 0) {
                h_raw(&h, "<p>Printed as: ");
                for (size_t i = 0; i < d.printed.n; i++) {
                        h_raw(&h, i ? ", <code>" : "<code>");
                        h_text(&h, d.printed.v[i]);
                        h_raw(&h, "</code>");
                }
                h_raw(&h, "</p>");
        }
        h_raw(&h, "<p><a href=\"/?lock=");
        h_url(&h, name);
        h_raw(&h, "\">Groups list filtered by this class</a> &middot; <a href=\"/api/v1/locks/");
        h_url(&h, name);
        h_raw(&h, "\">JSON</a></p><h2>Groups</h2><table id=\"lock-groups\" class=\"sortable\"><thead><tr><th>ID</th>"
                  "<th>Kind</th><th>Locks and title</th><th>Reports</th><th>Status</th></tr></thead><tbody>");
        for (size_t i = 0; i < d.n_group_rows; i++) {
                const StoreLockGroup *g = &d.groups[i];
                h_printf(&h, "<tr><td class=\"num\"><a href=\"/groups/%lld\">%lld</a></td><td>", (long long) g->id,
                         (long long) g->id);
                h_text(&h, g->kind);
                h_raw(&h, "</td><td class=\"title\">");
                h_group_title_of(&h, g->id, g->kind, g->key, g->func_title);
                h_printf(&h, "</td><td class=\"num\">%lld</td><td>", (long long) g->n_reports);
                h_text(&h, g->status);
                h_raw(&h, "</td></tr>");
        }
        h_raw(&h, "</tbody></table><h2>Lock-order edges</h2><table id=\"lock-edges\" class=\"sortable\"><thead><tr>"
                  "<th>Held</th><th>Acquired</th><th>Times</th><th>First kernel</th></tr></thead><tbody>");
        for (size_t i = 0; i < d.n_edge_rows; i++) {
                const StoreLockEdge *e2 = &d.edges[i];
                const char *ends[2] = { e2->from, e2->to };
                h_raw(&h, "<tr>");
                for (int k = 0; k < 2; k++) {
                        h_raw(&h, "<td><a class=\"lock\" href=\"/locks/");
                        h_url(&h, ends[k]);
                        h_raw(&h, "\">");
                        h_text(&h, ends[k]);
                        h_raw(&h, "</a></td>");
                }
                h_printf(&h, "<td class=\"num\">%lld</td><td>", (long long) e2->n);
                h_text(&h, e2->first_kernel);
                h_raw(&h, "</td></tr>");
        }
        h_raw(&h, "</tbody></table>");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
