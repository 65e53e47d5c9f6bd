/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Suppressions: /suppressions (list and forms), GET/POST /api/v1/suppressions, DELETE
 * /api/v1/suppressions/ID (forms, which cannot send DELETE, POST to the same URL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "web-internal.h"

static MHD_Result_ suppression_write(Request *r) {
        _cleanup_free_ char *cls = NULL, *from = NULL, *to = NULL, *note = NULL, *days = NULL;
        bool form;
        Store *s;
        int64_t id = 0;
        int e;

        if (write_check(r, &form, &s) < 0)
                return MHD_YES;
        if (*r->rest) {
                /* DELETE /api/v1/suppressions/ID */
                if (parse_id(r->rest, &id) < 0)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "Invalid suppression id");
                e = store_delete_suppression(s, id);
                if (e < 0)
                        return e == -ENOENT ? reply_error(r, MHD_HTTP_NOT_FOUND, "No suppression %lld", (long long) id)
                                            : reply_store_error(r, s, e);
                if (form)
                        return reply_redirect(r, "/suppressions");
                char *js;
                if (asprintf(&js, "{\"deleted\":%lld}", (long long) id) < 0)
                        return MHD_NO;
                return reply_json(r, MHD_HTTP_OK, js);
        }
        if (req_param(r, "class", &cls) < 0 || req_param(r, "edge_from", &from) < 0 || req_param(r, "edge_to", &to) < 0 ||
            req_param(r, "note", &note) < 0 || req_param(r, "days", &days) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Malformed request body");
        uint64_t expires = 0;
        if (days && *days) {
                int64_t d;
                if (parse_id(days, &d) < 0 || d > 36500)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "days: expected a number of days");
                expires = ((uint64_t) time(NULL) + (uint64_t) d * 86400) * 1000000ULL;
        }
        bool by_class = cls && *cls, by_edge = from && *from && to && *to;
        if (by_class == by_edge)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Give either class or edge_from and edge_to");
        e = store_add_suppression(s, cls, from, to, expires, note && *note ? note : NULL, &id);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (form)
                return reply_redirect(r, "/suppressions");
        char *js;
        if (asprintf(&js, "{\"id\":%lld}", (long long) id) < 0)
                return MHD_NO;
        return reply_json(r, MHD_HTTP_CREATED, js);
}

MHD_Result_ handle_suppressions(Request *r) {
        if (r->method == METHOD_POST || r->method == METHOD_DELETE)
                return suppression_write(r);
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        _cleanup_(store_suppression_list_free) StoreSuppressionList rules = {};
        int e = store_suppression_list(s, 0, &rules);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_suppression_list_json(&rules, &b));
        }

        Html h = {};
        char created[STORE_TIME_MAX], expires[STORE_TIME_MAX];
        h_begin(&h, "Suppressions");
        h_raw(&h, "<h1>Suppressions</h1><table id=\"suppressions\"><thead><tr><th>ID</th><th>Class or edge</th>"
                  "<th>Note</th><th>Created</th><th>Expires</th><th>Active</th><th></th></tr></thead><tbody>");
        for (size_t i = 0; i < rules.n; i++) {
                const StoreSuppression *x = &rules.v[i];
                h_printf(&h, "<tr><td class=\"num\">%lld</td><td><code>", (long long) x->id);
                if (x->cls)
                        h_text(&h, x->cls);
                else {
                        h_text(&h, x->edge_from);
                        h_raw(&h, " &rarr; ");
                        h_text(&h, x->edge_to);
                }
                h_raw(&h, "</code></td><td>");
                h_text(&h, x->note);
                h_raw(&h, "</td><td>");
                h_text(&h, store_time_iso(x->created, created));
                h_raw(&h, "</td><td>");
                h_text(&h, x->expires == STORE_NONE ? "never" : store_time_iso(x->expires, expires));
                h_printf(&h, "</td><td>%s</td><td><form method=\"post\" action=\"/api/v1/suppressions/%lld\">"
                             "<input type=\"password\" name=\"token\" placeholder=\"token\" autocomplete=\"off\" required> "
                             "<button type=\"submit\">Delete</button></form></td></tr>",
                         x->active ? "yes" : "no", (long long) x->id);
        }
        h_raw(&h, "</tbody></table><h2>Add a suppression</h2>"
                  "<form method=\"post\" action=\"/api/v1/suppressions\" class=\"suppress\">"
                  "<label>Class <input type=\"text\" name=\"class\"></label> or edge "
                  "<label>held <input type=\"text\" name=\"edge_from\"></label> "
                  "<label>acquired <input type=\"text\" name=\"edge_to\"></label> "
                  "<label>Days (empty = forever) <input type=\"text\" name=\"days\" inputmode=\"numeric\"></label> "
                  "<label>Note <input type=\"text\" name=\"note\"></label> "
                  "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required></label> "
                  "<button type=\"submit\">Suppress</button></form>");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
