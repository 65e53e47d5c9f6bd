/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /search and /api/v1/search: the full-text index over report text with the filters of the lists
 * (kind, status, host, kernel, lock, since, until; read by req_query(), the store's one reader of
 * them, as lockdepctl search's options), sorted by rank or time, paged with the total.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

#define SEARCH_PAGE 100      /* the page's rows, and the API's without a limit */
#define SEARCH_TEXT_MAX 1000

/* The search text (NULL or "": none) and the filters. 0, or -EINVAL with *ret_why. */
static int search_request(Request *r, const char **ret_text, StoreQuery *q, const char **ret_why) {
        const char *text = req_arg(r, "q");
        int e = req_query(r, q, ret_why);
        if (e < 0)
                return e;
        if (!req_arg(r, "limit") || !*req_arg(r, "limit"))
                q->limit = SEARCH_PAGE;
        if (text && strlen(text) > SEARCH_TEXT_MAX)
                return *ret_why = "q: search text required (up to 1000 bytes)", -EINVAL;
        *ret_text = text && *text ? text : NULL;
        return 0;
}

/* The total and the page of the search. */
static int run_search(Store *s, const char *text, const StoreQuery *q, StoreSearchList *hits, uint64_t *ret_total) {
        int e = store_count_search(s, text, q, ret_total);
        return e < 0 ? e : store_search(s, text, q, hits);
}

MHD_Result_ handle_search(Request *r) {
        const char *text, *why;
        StoreQuery q;
        uint64_t total = 0;
        _cleanup_(store_search_list_free) StoreSearchList hits = {};

        if (search_request(r, &text, &q, &why) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why);
        if (!text)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "q: search text required (up to 1000 bytes)");
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        int e = run_search(s, text, &q, &hits, &total);
        if (e < 0)
                return reply_store_error(r, s, e);
        StrBuf b = {};
        return reply_view_json(r, &b, store_search_list_json(&hits, total, &q, &b));
}

/* /search?q=TEXT plus q's pairs: a link to another page of the same search */
static void search_link(Html *h, const char *path, const char *text, const StoreQuery *q) {
        h_raw(h, path);
        h_raw(h, "?q=");
        h_url(h, text);
        h_query_after(h, q, "");
        if (q->limit == WEB_PAGE_DEFAULT) /* h_query() leaves the lists' default out; this page's is another */
                h_printf(h, "&amp;limit=%u", q->limit);
}

static void search_form(Html *h, Request *r) {
        static const char *const sorts[] = { "last_seen", "first_seen", "id" };
        h_filter_form(h, r, &(FilterForm) { .action = "/search", .text = req_arg(r, "q") ?: "", .sorts = sorts,
                                            .n_sorts = ELEMENTSOF(sorts), .sort_default = "relevance",
                                            .button = "Search" });
        h_raw(h, "<p class=\"hint\">Words, \"a phrase\", prefix*, AND / OR / NOT (SQLite FTS5). Kernel: a release "
                 "and its series (6.1: 6.1, 6.1.x, 6.1-rcN; not 6.10), =R, &gt;=R, &lt;R, A..B. Since and until: "
                 "YYYY-MM-DD, ISO times, @SECONDS, today, yesterday, -7d, +2h.</p>\n");
}

/* The page again with the refused request's values in the form and why above it. */
static MHD_Result_ search_refused(Request *r, const char *why) {
        Html h = {};
        h_begin(&h, "Search");
        h_raw(&h, "<h1>Search the reports</h1>\n");
        search_form(&h, r);
        h_raw(&h, "<p class=\"error\" id=\"error\">");
        h_text(&h, why);
        h_raw(&h, "</p>\n");
        h_end(&h);
        return reply_html(r, MHD_HTTP_BAD_REQUEST, &h);
}

MHD_Result_ handle_search_page(Request *r) {
        const char *text, *why;
        StoreQuery q;
        uint64_t total = 0;
        _cleanup_(store_search_list_free) StoreSearchList hits = {};
        bool searched = false;

        if (search_request(r, &text, &q, &why) < 0)
                return search_refused(r, why);
        if (text) {
                Store *s = web_store(r);
                if (!s)
                        return MHD_YES;
                int e = run_search(s, text, &q, &hits, &total);
                if (e == -EINVAL)
                        return search_refused(r, store_error(s));
                if (e < 0)
                        return reply_store_error(r, s, e);
                searched = true;
        }
        Html h = {};
        h_begin(&h, "Search");
        h_raw(&h, "<h1>Search the reports</h1>\n");
        search_form(&h, r);
        if (searched) {
                size_t shown = hits.n;
                h_printf(&h, "<p class=\"summary\"><span id=\"n-results\">%llu</span> reports match",
                         (unsigned long long) total);
                if (shown > 0 && shown < total)
                        h_printf(&h, ", showing <span id=\"shown\">%u&ndash;%llu</span>", q.offset + 1,
                                 (unsigned long long) q.offset + shown);
                h_raw(&h, ".</p>\n<table id=\"results\"><thead><tr><th>Report</th><th>Group</th><th>Kind</th><th>Host</th>"
                          "<th>Kernel</th><th>Time</th><th>Text</th></tr></thead><tbody>");
                for (size_t i = 0; i < shown; i++) {
                        const StoreSearchHit *x = &hits.v[i];
                        char t[STORE_TIME_MAX];
                        h_printf(&h, "<tr><td class=\"num\"><a href=\"/reports/%lld\">%lld</a></td><td class=\"num\">",
                                 (long long) x->id, (long long) x->id);
                        if (x->group != STORE_NONE) /* a report in no group links nowhere */
                                h_printf(&h, "<a href=\"/groups/%lld\">%lld</a>", (long long) x->group, (long long) x->group);
                        h_raw(&h, "</td><td>");
                        h_text(&h, x->kind);
                        h_raw(&h, "</td><td>");
                        h_text(&h, x->host);
                        h_raw(&h, "</td><td>");
                        h_text(&h, x->kernel);
                        h_raw(&h, "</td><td>");
                        h_text(&h, store_time_iso(x->time, t));
                        h_raw(&h, "</td><td><code>");
                        h_text(&h, x->snippet);
                        h_raw(&h, "</code></td></tr>\n");
                }
                h_raw(&h, "</tbody></table>\n<p class=\"pages\">");
                if (q.offset > 0) {
                        StoreQuery p = q;
                        p.offset = q.offset > q.limit ? q.offset - q.limit : 0;
                        h_raw(&h, "<a rel=\"prev\" href=\"");
                        search_link(&h, "/search", text, &p);
                        h_raw(&h, "\">&larr; previous</a> ");
                }
                if ((uint64_t) q.offset + q.limit < total) {
                        StoreQuery p = q;
                        p.offset = q.offset + q.limit;
                        h_raw(&h, "<a rel=\"next\" href=\"");
                        search_link(&h, "/search", text, &p);
                        h_raw(&h, "\">next &rarr;</a>");
                }
                h_raw(&h, "</p><p class=\"api\"><a href=\"");
                search_link(&h, "/api/v1/search", text, &q);
                h_raw(&h, "\">JSON</a></p>\n");
        }
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
