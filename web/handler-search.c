/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /search: the full-text index over report text as an HTML page (the API is /api/v1/search).
 * kind and host narrow the answers the index ranked (of the first SEARCH_SCAN).
 */
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"
#include "macro.h"
#include "web-internal.h"

#define SEARCH_SCAN 1000
#define SEARCH_SHOWN 100

MHD_Result_ handle_search_page(Request *r) {
        const char *q = req_arg(r, "q"), *kind = req_arg(r, "kind"), *host = req_arg(r, "host");
        Rows rows = {};
        _cleanup_(json_value_freep) JsonValue *list = NULL;

        if (kind && !*kind)
                kind = NULL;
        if (host && !*host)
                host = NULL;
        if (kind && lockdep_kind_from_string(kind) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "unknown kind");
        if (q && strlen(q) > 1000)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "q: up to 1000 bytes");
        if (q && *q) {
                Store *s = web_store(r);
                if (!s)
                        return MHD_YES;
                int e = store_search(s, q, SEARCH_SCAN, rows_collect, &rows);
                if (e >= 0)
                        e = rows_parse(&rows, &list);
                strbuf_done(&rows.json);
                if (e < 0)
                        return reply_store_error(r, s, e);
        }
        Html h = {};
        h_begin(&h, "Search");
        h_raw(&h, "<h1>Search the reports</h1><form class=\"filters\" method=\"get\" action=\"/search\">"
                  "<label>Text <input type=\"search\" name=\"q\" value=\"");
        h_value(&h, q ?: "");
        h_raw(&h, "\" autofocus></label> <label>Kind <select name=\"kind\"><option value=\"\">any</option>");
        for (int k = 0; k < _LOCKDEP_KIND_MAX; k++) {
                const char *s = lockdep_kind_to_string(k);
                if (!s)
                        continue;
                h_printf(&h, "<option%s>", kind && !strcmp(kind, s) ? " selected" : "");
                h_text(&h, s);
                h_raw(&h, "</option>");
        }
        h_raw(&h, "</select></label> <label>Host <input type=\"text\" name=\"host\" value=\"");
        h_value(&h, host ?: "");
        h_raw(&h, "\"></label> <button type=\"submit\">Search</button></form>\n"
                  "<p class=\"hint\">Words, \"a phrase\", prefix*, AND / OR / NOT (SQLite FTS5).</p>");
        if (list) {
                size_t shown = 0, matched = 0;
                h_raw(&h, "<table id=\"results\"><thead><tr><th>Report</th><th>Group</th><th>Kind</th><th>Host</th>"
                          "<th>Time</th><th>Text</th></tr></thead><tbody>");
                for (size_t i = 0; i < json_len(list); i++) {
                        const JsonValue *x = json_at(list, i);
                        const char *k = json_get_str(x, "kind"), *hn = json_get_str(x, "host");
                        if ((kind && (!k || strcmp(k, kind))) || (host && (!hn || strcmp(hn, host))))
                                continue;
                        matched++;
                        if (shown >= SEARCH_SHOWN)
                                continue;
                        shown++;
                        long long id = (long long) json_get_int(x, "id", 0), g = (long long) json_get_int(x, "group", 0);
                        h_printf(&h, "<tr><td class=\"num\"><a href=\"/reports/%lld\">%lld</a></td>"
                                     "<td class=\"num\"><a href=\"/groups/%lld\">%lld</a></td><td>", id, id, g, g);
                        h_text(&h, k);
                        h_raw(&h, "</td><td>");
                        h_text(&h, hn);
                        h_raw(&h, "</td><td>");
                        h_text(&h, json_get_str(x, "time"));
                        h_raw(&h, "</td><td><code>");
                        h_text(&h, json_get_str(x, "snippet"));
                        h_raw(&h, "</code></td></tr>");
                }
                h_printf(&h, "</tbody></table><p class=\"summary\"><span id=\"n-results\">%zu</span> reports match", matched);
                if (json_len(list) >= SEARCH_SCAN)
                        h_printf(&h, " among the %d best ranked", SEARCH_SCAN);
                if (shown < matched)
                        h_printf(&h, "; the first %zu are shown", shown);
                h_raw(&h, ".</p>");
        }
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
