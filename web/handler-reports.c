/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reports: /reports/ID (raw text with the chain highlighted), /api/v1/reports[/ID]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

#define MAX_MARKS 64

static void add_name(Html *names, size_t *n, const char *name) {
        if (!name || !*name || *n >= MAX_MARKS)
                return;
        names[*n] = (Html) {};
        h_text(&names[*n], name); /* matched against the escaped text */
        if (names[*n].err || names[*n].b.len == 0) {
                h_done(&names[*n]);
                return;
        }
        (*n)++;
}

/* Escape first, then wrap: the names are escaped the same way and matched in the escaped text, at
 * character (not entity) boundaries, so no markup can come from the log. Longest name wins. */
void h_report_text(Html *h, const char *raw, const JsonValue *parsed) {
        Html esc = {}, names[MAX_MARKS];
        size_t n = 0;

        h_text(&esc, raw ?: "");
        add_name(names, &n, json_get_str(json_get(parsed, "acquiring"), "class"));
        add_name(names, &n, json_get_str(json_get(parsed, "holding"), "class"));
        const JsonValue *cycle = json_get(parsed, "cycle"), *chain = json_get(parsed, "chain");
        for (size_t i = 0; i < json_len(cycle); i++)
                if (json_at(cycle, i)->type == JSON_STRING)
                        add_name(names, &n, json_at(cycle, i)->str);
        for (size_t i = 0; i < json_len(chain); i++)
                add_name(names, &n, json_get_str(json_at(chain, i), "class"));

        h_raw(h, "<pre class=\"report\">");
        const char *p = esc.b.s ?: "", *end = p + esc.b.len;
        while (p < end && !h->err) {
                size_t best = 0;
                for (size_t i = 0; i < n; i++)
                        if (names[i].b.len > best && (size_t) (end - p) >= names[i].b.len &&
                            memcmp(p, names[i].b.s, names[i].b.len) == 0)
                                best = names[i].b.len;
                if (best > 0) {
                        h_raw(h, "<mark>");
                        h_rawn(h, p, best);
                        h_raw(h, "</mark>");
                        p += best;
                        continue;
                }
                /* copy an entity as one unit */
                size_t l = *p == '&' ? strcspn(p, ";") + 1 : 1;
                h_rawn(h, p, MIN(l, (size_t) (end - p)));
                p += l;
        }
        h_raw(h, "</pre>");
        if (esc.err)
                h->err = esc.err;
        h_done(&esc);
        for (size_t i = 0; i < n; i++)
                h_done(&names[i]);
}

/* /reports/ID.txt: the text as the kernel printed it (as stored), inert: text/plain, nosniff */
static MHD_Result_ report_txt(Request *r, Store *s, int64_t id) {
        _cleanup_free_ char *js = NULL;
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        int e = store_report_json(s, id, &js);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No report %lld", (long long) id);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (json_parse(js, &v) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot read report %lld", (long long) id);
        const char *raw = json_get_str(v, "raw") ?: "";
        size_t n = strlen(raw);
        char *out = malloc(n + 2);
        if (!out)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        memcpy(out, raw, n);
        if (n == 0 || raw[n - 1] != '\n')
                out[n++] = '\n';
        out[n] = 0;
        return reply(r, MHD_HTTP_OK, "text/plain; charset=utf-8", out, n);
}

MHD_Result_ handle_report(Request *r) {
        int64_t id;
        char idbuf[32];
        size_t l = strlen(r->rest);
        bool txt = !r->api && l > 4 && l < sizeof(idbuf) && !strcmp(r->rest + l - 4, ".txt");
        snprintf(idbuf, sizeof(idbuf), "%.*s", (int) (txt ? l - 4 : MIN(l, sizeof(idbuf) - 1)), r->rest);
        if (l >= sizeof(idbuf) || parse_id(idbuf, &id) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Invalid report id");
        if (txt) {
                Store *s = web_store(r);
                return s ? report_txt(r, s, id) : MHD_YES;
        }
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        char *js = NULL, missing[64], unreadable[64];
        int e = store_report_json(s, id, &js);
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        MHD_Result_ q;
        snprintf(missing, sizeof(missing), "No report %lld", (long long) id);
        snprintf(unreadable, sizeof(unreadable), "Cannot read report %lld", (long long) id);
        if (!reply_object(r, s, e, js, missing, unreadable, &v, &q))
                return q;
        const JsonValue *parsed = json_get(v, "parsed");
        int64_t g = json_get_int(v, "group", 0);
        char title[64];
        snprintf(title, sizeof(title), "Report %lld", (long long) id);

        Html h = {};
        h_begin(&h, title);
        h_printf(&h, "<h1>Report %lld</h1><dl class=\"facts\"><dt>Group</dt><dd><a href=\"/groups/%lld\">#%lld</a> ",
                 (long long) id, (long long) g, (long long) g);
        h_text(&h, json_get_str(parsed, "func_title"));
        h_raw(&h, "</dd><dt>Kind</dt><dd>");
        h_text(&h, json_get_str(v, "kind"));
        h_raw(&h, "</dd><dt>Task</dt><dd><code class=\"task\">");
        h_text(&h, json_get_str(parsed, "task"));
        h_raw(&h, "</code></dd><dt>Host</dt><dd>");
        h_text(&h, json_get_str(v, "host"));
        h_raw(&h, "</dd><dt>Kernel</dt><dd>");
        h_text(&h, json_get_str(v, "kernel"));
        h_raw(&h, "</dd><dt>Time</dt><dd>");
        h_text(&h, json_get_str(v, "time"));
        h_raw(&h, "</dd><dt>Source</dt><dd><code id=\"source\">");
        h_text(&h, json_get_str(v, "source"));
        h_raw(&h, "</code>");
        int64_t first = json_get_int(parsed, "first_line", 0), last = json_get_int(parsed, "last_line", 0);
        if (first > 0 && last >= first)
                h_printf(&h, ", <span id=\"lines\">lines %lld&ndash;%lld</span>", (long long) first, (long long) last);
        h_printf(&h, "</dd><dt>Text</dt><dd><a id=\"raw\" href=\"/reports/%lld.txt\">as printed</a> (plain text)</dd></dl>",
                 (long long) id);
        if (json_get_int(v, "truncated", 0))
                h_raw(&h, "<p class=\"warning\">This report was cut short in the log.</p>");
        h_report_text(&h, json_get_str(v, "raw"), parsed);
        h_printf(&h, "<p><a href=\"/api/v1/reports/%lld\">JSON</a></p>", (long long) id);
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

/* /api/v1/reports?group=&kind=&limit=&offset= */
MHD_Result_ handle_reports(Request *r) {
        _cleanup_(store_report_list_free) StoreReportList list = {};
        StoreQuery q;
        const char *why, *g = req_arg(r, "group");

        if (req_query(r, &q, &why) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why);
        if (g && parse_id(g, &q.group) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "group: expected a group id");
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        uint64_t total = 0;
        int e = store_count_reports(s, &q, &total);
        if (e >= 0)
                e = store_report_list(s, &q, &list);
        if (e < 0)
                return reply_store_error(r, s, e);
        StrBuf b = {};
        if (store_report_list_json(&list, total, &q, &b) < 0) {
                strbuf_done(&b);
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        }
        return reply_json(r, MHD_HTTP_OK, strbuf_steal(&b));
}
