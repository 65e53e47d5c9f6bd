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
void h_report_text(Html *h, const char *raw, const char *const *marks, size_t n_marks) {
        Html esc = {}, names[MAX_MARKS];
        size_t n = 0;

        h_text(&esc, raw ?: "");
        for (size_t i = 0; i < n_marks; i++)
                add_name(names, &n, marks[i]);

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
static MHD_Result_ report_txt(Request *r, const StoreReportDetail *d) {
        size_t n = strlen(d->raw);
        char *out = malloc(n + 2);
        if (!out)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        memcpy(out, d->raw, n);
        if (n == 0 || d->raw[n - 1] != '\n')
                out[n++] = '\n';
        out[n] = 0;
        return reply(r, MHD_HTTP_OK, "text/plain; charset=utf-8", out, n);
}

MHD_Result_ handle_report(Request *r) {
        _cleanup_(store_report_detail_free) StoreReportDetail d = {};
        int64_t id;
        char idbuf[32];
        size_t l = strlen(r->rest);
        bool txt = !r->api && l > 4 && l < sizeof(idbuf) && !strcmp(r->rest + l - 4, ".txt");
        snprintf(idbuf, sizeof(idbuf), "%.*s", (int) (txt ? l - 4 : MIN(l, sizeof(idbuf) - 1)), r->rest);
        if (l >= sizeof(idbuf) || parse_id(idbuf, &id) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Invalid report id");
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        int e = store_report_detail(s, id, &d);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No report %lld", (long long) id);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (txt)
                return report_txt(r, &d);
        if (r->api) {
                StrBuf b = {};
                if (store_report_detail_json(&d, &b) < 0) {
                        strbuf_done(&b);
                        return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
                }
                return reply_json(r, MHD_HTTP_OK, strbuf_steal(&b));
        }
        char title[64], t[STORE_TIME_MAX];
        snprintf(title, sizeof(title), "Report %lld", (long long) id);

        Html h = {};
        h_begin(&h, title);
        h_printf(&h, "<h1>Report %lld</h1><dl class=\"facts\"><dt>Group</dt><dd><a href=\"/groups/%lld\">#%lld</a> ",
                 (long long) id, (long long) d.row.group, (long long) d.row.group);
        h_text(&h, d.func_title);
        h_raw(&h, "</dd><dt>Kind</dt><dd>");
        h_text(&h, d.row.kind);
        h_raw(&h, "</dd><dt>Task</dt><dd><code class=\"task\">");
        h_text(&h, d.task);
        h_raw(&h, "</code></dd><dt>Host</dt><dd>");
        h_text(&h, d.row.host);
        h_raw(&h, "</dd><dt>Kernel</dt><dd>");
        h_text(&h, d.row.kernel);
        h_raw(&h, "</dd><dt>Time</dt><dd>");
        h_text(&h, store_time_iso(d.row.time, t));
        h_raw(&h, "</dd><dt>Source</dt><dd><code id=\"source\">");
        h_text(&h, d.row.source);
        h_raw(&h, "</code>");
        if (d.first_line > 0 && d.last_line >= d.first_line)
                h_printf(&h, ", <span id=\"lines\">lines %lld&ndash;%lld</span>", (long long) d.first_line,
                         (long long) d.last_line);
        h_printf(&h, "</dd><dt>Text</dt><dd><a id=\"raw\" href=\"/reports/%lld.txt\">as printed</a> (plain text)</dd></dl>",
                 (long long) id);
        if (d.row.truncated)
                h_raw(&h, "<p class=\"warning\">This report was cut short in the log.</p>");
        h_report_text(&h, d.raw, d.marks, d.n_marks);
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
