/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lock classes: /locks (?q= filters names), /locks/NAME, /api/v1/locks[/NAME]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

MHD_Result_ handle_locks(Request *r) {
        const char *filter = req_arg(r, "q"), *lim = req_arg(r, "limit");
        unsigned limit = 500;
        Rows rows = {};

        if (filter && !*filter)
                filter = NULL;
        if (lim) {
                int64_t v;
                if (parse_id(lim, &v) < 0 || v > 10000)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "limit: expected a number from 1 to 10000");
                limit = (unsigned) v;
        }
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        int e = store_list_locks(s, filter, limit, rows_collect, &rows);
        if (e < 0) {
                strbuf_done(&rows.json);
                return reply_store_error(r, s, e);
        }
        if (r->api) {
                char head[128];
                snprintf(head, sizeof(head), "{\"limit\":%u,\"locks\":", limit);
                return reply_rows(r, head, &rows);
        }
        _cleanup_(json_value_freep) JsonValue *list = NULL;
        e = rows_parse(&rows, &list);
        strbuf_done(&rows.json);
        if (e < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot read the lock classes");

        Html h = {};
        h_begin(&h, "Lock classes");
        h_raw(&h, "<h1>Lock classes</h1><form class=\"filters\" method=\"get\" action=\"/locks\"><label>Name contains "
                  "<input type=\"text\" name=\"q\" value=\"");
        h_text(&h, filter ?: "");
        h_raw(&h, "\"></label> <button type=\"submit\">Search</button></form>\n<table id=\"locks\" class=\"sortable\">"
                  "<thead><tr><th>Class</th><th>Groups</th><th>Edges</th></tr></thead><tbody>");
        for (size_t i = 0; i < json_len(list); i++) {
                const JsonValue *l = json_at(list, i);
                h_raw(&h, "<tr><td><a class=\"lock\" href=\"/locks/");
                h_url(&h, json_get_str(l, "name"));
                h_raw(&h, "\">");
                h_text(&h, json_get_str(l, "name"));
                h_printf(&h, "</a></td><td class=\"num\">%lld</td><td class=\"num\">%lld</td></tr>",
                         (long long) json_get_int(l, "n_groups", 0), (long long) json_get_int(l, "n_edges", 0));
        }
        h_raw(&h, "</tbody></table>");
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
        char *js = NULL;
        int e = store_lock_json(s, name, &js);
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        MHD_Result_ q;
        if (!reply_object(r, s, e, js, "No such lock class", "Cannot read the lock class", &v, &q))
                return q;
        Html h = {};
        h_begin(&h, name);
        h_raw(&h, "<h1>Lock class <code>");
        h_text(&h, name);
        h_raw(&h, "</code></h1>");
        const JsonValue *printed = json_get(v, "printed");
        if (json_len(printed) > 0) {
                h_raw(&h, "<p>Printed as: ");
                for (size_t i = 0; i < json_len(printed); i++) {
                        h_raw(&h, i ? ", <code>" : "<code>");
                        h_text(&h, json_get_str(json_at(printed, i), "name"));
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
        const JsonValue *groups = json_get(v, "groups");
        for (size_t i = 0; i < json_len(groups); i++) {
                const JsonValue *g = json_at(groups, i);
                long long id = (long long) json_get_int(g, "id", 0);
                h_printf(&h, "<tr><td class=\"num\"><a href=\"/groups/%lld\">%lld</a></td><td>", id, id);
                h_text(&h, json_get_str(g, "kind"));
                h_raw(&h, "</td><td class=\"title\">");
                h_group_title(&h, g);
                h_printf(&h, "</td><td class=\"num\">%lld</td><td>", (long long) json_get_int(g, "n_reports", 0));
                h_text(&h, json_get_str(g, "status"));
                h_raw(&h, "</td></tr>");
        }
        h_raw(&h, "</tbody></table><h2>Lock-order edges</h2><table id=\"lock-edges\" class=\"sortable\"><thead><tr>"
                  "<th>Held</th><th>Acquired</th><th>Times</th><th>First kernel</th></tr></thead><tbody>");
        const JsonValue *edges = json_get(v, "edges");
        for (size_t i = 0; i < json_len(edges); i++) {
                const JsonValue *e2 = json_at(edges, i);
                const char *ends[2] = { json_get_str(e2, "from"), json_get_str(e2, "to") };
                h_raw(&h, "<tr>");
                for (int k = 0; k < 2; k++) {
                        h_raw(&h, "<td><a class=\"lock\" href=\"/locks/");
                        h_url(&h, ends[k]);
                        h_raw(&h, "\">");
                        h_text(&h, ends[k]);
                        h_raw(&h, "</a></td>");
                }
                h_printf(&h, "<td class=\"num\">%lld</td><td>", (long long) json_get_int(e2, "n", 0));
                h_text(&h, json_get_str(e2, "first_kernel"));
                h_raw(&h, "</td></tr>");
        }
        h_raw(&h, "</tbody></table>");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
