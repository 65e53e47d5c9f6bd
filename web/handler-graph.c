/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fleet-wide lock-order graph: /graph (SVG), /api/v1/graph (?lock=, ?group=: every edge). */
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

#define GRAPH_NODES 60

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
        int e = store_list_edges(s, group, lock, rows_collect, &rows);
        if (e < 0) {
                strbuf_done(&rows.json);
                return reply_store_error(r, s, e);
        }
        if (r->api) {
                return reply_rows(r, "{\"edges\":", &rows);
        }
        _cleanup_(json_value_freep) JsonValue *edges = NULL;
        e = rows_parse(&rows, &edges);
        strbuf_done(&rows.json);
        if (e < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot read the edges");

        const char *newest = NULL;
        for (size_t i = 0; i < json_len(edges); i++) {
                const char *k = json_get_str(json_at(edges, i), "first_kernel");
                if (k && (!newest || strverscmp(k, newest) > 0))
                        newest = k;
        }
        Html h = {};
        h_begin(&h, "Lock-order graph");
        h_printf(&h, "<h1>Lock-order graph</h1><p>%zu observed edges (held &rarr; acquired)", json_len(edges));
        if (newest) {
                h_raw(&h, "; edges first seen in the newest kernel, <code>");
                h_text(&h, newest);
                h_raw(&h, "</code>, are <span class=\"new-edge\">highlighted</span>");
        }
        h_printf(&h, ". The drawing shows the %d best-connected classes; the table lists every edge.</p>", GRAPH_NODES);
        svg_graph(&h, edges, newest, GRAPH_NODES);
        h_raw(&h, "<table id=\"edges\" class=\"sortable\"><thead><tr><th>Held</th><th>Acquired</th><th>Times</th>"
                  "<th>First seen</th><th>Last seen</th><th>First kernel</th><th>Groups</th></tr></thead><tbody>");
        for (size_t i = 0; i < json_len(edges); i++) {
                const JsonValue *ev = json_at(edges, i);
                const char *first = json_get_str(ev, "first_kernel");
                bool is_new = newest && first && !strcmp(first, newest);
                const char *ends[2] = { json_get_str(ev, "from"), json_get_str(ev, "to") };
                h_raw(&h, is_new ? "<tr class=\"new\">" : "<tr>");
                for (int k = 0; k < 2; k++) {
                        h_raw(&h, "<td><a class=\"lock\" href=\"/locks/");
                        h_url(&h, ends[k]);
                        h_raw(&h, "\">");
                        h_text(&h, ends[k]);
                        h_raw(&h, "</a></td>");
                }
                h_printf(&h, "<td class=\"num\">%lld</td><td>", (long long) json_get_int(ev, "n", 0));
                h_text(&h, json_get_str(ev, "first_seen"));
                h_raw(&h, "</td><td>");
                h_text(&h, json_get_str(ev, "last_seen"));
                h_raw(&h, "</td><td>");
                h_text(&h, first);
                h_raw(&h, "</td><td>");
                const JsonValue *gs = json_get(ev, "groups");
                for (size_t k = 0; k < json_len(gs) && k < 20; k++) {
                        long long id = (long long) json_at(gs, k)->i;
                        h_printf(&h, "%s<a href=\"/groups/%lld\">%lld</a>", k ? " " : "", id, id);
                }
                h_raw(&h, json_len(gs) > 20 ? " &hellip;</td></tr>" : "</td></tr>");
        }
        h_raw(&h, "</tbody></table>");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
