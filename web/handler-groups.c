/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Groups: the list (/ and /api/v1/groups), one group (/groups/ID, /api/v1/groups/ID) and the
 * triage writes (POST /api/v1/groups/ID/{triage,merge,split}), which HTML forms on the group page
 * post to with a pasted token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockdep.h"
#include "macro.h"
#include "json.h"
#include "parse-util.h"
#include "web-internal.h"

/* ---- the list --------------------------------------------------------------------------------- */

static void sort_header(Html *h, const StoreQuery *q, StoreSort s, const char *label) {
        StoreQuery q2 = *q;
        q2.sort = s == STORE_SORT_LAST_SEEN ? STORE_SORT_DEFAULT : s; /* the default needs no parameter */
        q2.offset = 0;
        h_raw(h, "<th><a href=\"/");
        h_query(h, &q2, "");
        h_raw(h, (q->sort == STORE_SORT_DEFAULT ? STORE_SORT_LAST_SEEN : q->sort) == s ? "\" class=\"sorted\">" : "\">");
        h_raw(h, label);
        h_raw(h, "</a></th>");
}

static void group_row(Html *h, const StoreGroupRow *g) {
        char first[STORE_TIME_MAX], last[STORE_TIME_MAX];

        h_printf(h, "<tr><td class=\"num\"><a href=\"/groups/%lld\">%lld</a></td><td>", (long long) g->id,
                 (long long) g->id);
        h_text(h, g->kind);
        h_raw(h, "</td><td class=\"title\">");
        h_group_title_of(h, g->id, g->kind, g->key, g->func_title);
        h_printf(h, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td><td>", (long long) g->n_reports,
                 (long long) g->n_hosts);
        h_text(h, store_time_iso(g->first_seen, first));
        h_raw(h, "</td><td>");
        h_text(h, store_time_iso(g->last_seen, last));
        h_raw(h, "</td><td>");
        h_text(h, g->kernel_first);
        if (g->kernel_last && g->kernel_first && strcmp(g->kernel_first, g->kernel_last)) {
                h_raw(h, " &ndash; ");
                h_text(h, g->kernel_last);
        }
        /* a fix that did not hold stands out: the store set it when a report came back */
        h_raw(h, g->status && !strcmp(g->status, "regressed") ? "</td><td><span class=\"status regressed\">"
                                                              : "</td><td><span class=\"status\">");
        h_text(h, g->status);
        h_raw(h, "</span>");
        if (g->suppressed)
                h_raw(h, " <span class=\"suppressed\">suppressed</span>");
        h_raw(h, "</td><td>");
        /* the sparkline is an image of its own, so the list does not wait for 50 groups' counts */
        h_printf(h, "<img class=\"spark\" src=\"/groups/%lld/spark.svg\" width=\"90\" height=\"20\" "
                    "alt=\"reports per day\" loading=\"lazy\">", (long long) g->id);
        h_raw(h, "</td></tr>\n");
}

MHD_Result_ handle_groups(Request *r) {
        _cleanup_(store_group_list_free) StoreGroupList list = {};
        StoreQuery q;
        const char *why;
        uint64_t total = 0;
        int e;

        if (req_query(r, &q, &why) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why);
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        e = store_count_groups(s, &q, &total);
        if (e >= 0)
                e = store_group_list(s, &q, &list);
        if (e < 0)
                return reply_store_error(r, s, e);

        if (r->api) {
                StrBuf b = {};
                if (store_group_list_json(&list, total, &q, &b) < 0) {
                        strbuf_done(&b);
                        return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
                }
                return reply_json(r, MHD_HTTP_OK, strbuf_steal(&b));
        }

        Html h = {};
        h_begin(&h, "Groups");
        h_raw(&h, "<h1>Lockdep report groups</h1>\n");
        /* the sort names of the group list, from the store's one table (DEFAULT has none) */
        const char *sorts[_STORE_SORT_MAX - STORE_SORT_LAST_SEEN];
        for (StoreSort so = STORE_SORT_LAST_SEEN; so < _STORE_SORT_MAX; so++)
                sorts[so - STORE_SORT_LAST_SEEN] = store_sort_to_string(so);
        h_filter_form(&h, r, &(FilterForm) { .action = "/", .sorts = sorts, .n_sorts = ELEMENTSOF(sorts),
                                             .sort_default = "any", .button = "Filter" });
        h_printf(&h, "<p class=\"summary\"><span id=\"total\">%llu</span> groups", (unsigned long long) total);
        if (total > 0)
                h_printf(&h, ", showing %u&ndash;%llu", q.offset + 1, (unsigned long long) MIN(total, (uint64_t) q.offset + q.limit));
        h_raw(&h, "</p>\n<table id=\"groups\" class=\"sortable\"><thead><tr>");
        sort_header(&h, &q, STORE_SORT_ID, "ID");
        h_raw(&h, "<th>Kind</th><th>Locks and title</th>");
        sort_header(&h, &q, STORE_SORT_REPORTS, "Reports");
        sort_header(&h, &q, STORE_SORT_HOSTS, "Hosts");
        sort_header(&h, &q, STORE_SORT_FIRST_SEEN, "First seen");
        sort_header(&h, &q, STORE_SORT_LAST_SEEN, "Last seen");
        h_raw(&h, "<th>Kernels</th><th>Status</th><th>Last 90 days</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < list.n; i++)
                group_row(&h, &list.v[i]);
        h_raw(&h, "</tbody></table>\n<p class=\"pages\">");
        if (q.offset > 0) {
                StoreQuery p = q;
                p.offset = q.offset > q.limit ? q.offset - q.limit : 0;
                h_raw(&h, "<a rel=\"prev\" href=\"/");
                h_query(&h, &p, "");
                h_raw(&h, "\">&larr; newer</a> ");
        }
        if ((uint64_t) q.offset + q.limit < total) {
                StoreQuery p = q;
                p.offset = q.offset + q.limit;
                h_raw(&h, "<a rel=\"next\" href=\"/");
                h_query(&h, &p, "");
                h_raw(&h, "\">older &rarr;</a>");
        }
        h_raw(&h, "</p><p class=\"api\"><a href=\"/api/v1/groups");
        h_query(&h, &q, "");
        h_raw(&h, "\">JSON</a></p>\n");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

/* ---- one group -------------------------------------------------------------------------------- */

/* "CPU0: lock(A);" lines as a two-column table */
static void h_scenario(Html *h, const char *const *sc, size_t n) {
        if (n == 0)
                return;
        h_raw(h, "<section><h2>Scenario</h2><table class=\"scenario\"><thead><tr><th>CPU0</th><th>CPU1</th></tr>"
                 "</thead><tbody>");
        for (size_t i = 0; i < n; i++) {
                const char *line = sc[i];
                bool cpu1 = strncmp(line, "CPU1:", 5) == 0;
                const char *text = line;
                if (!strncmp(line, "CPU0:", 5) || cpu1)
                        text = line + 5 + strspn(line + 5, " ");
                h_raw(h, cpu1 ? "<tr><td></td><td><code>" : "<tr><td><code>");
                h_text(h, text);
                h_raw(h, cpu1 ? "</code></td></tr>" : "</code></td><td></td></tr>");
        }
        h_raw(h, "</tbody></table></section>\n");
}

static void h_triage_forms(Html *h, int64_t id, const char *status) {
        h_raw(h, "<section id=\"triage\"><h2>Triage</h2>"
                 "<p class=\"hint\">Changes need the token from <code>web-token</code> next to the database; "
                 "paste it into each form (it is never stored by this page).</p>");
        h_printf(h, "<form method=\"post\" action=\"/api/v1/groups/%lld/triage\" class=\"triage\">", (long long) id);
        h_raw(h, "<label>Status <select name=\"status\">");
        static const char *const st[] = { "new", "confirmed", "false-positive", "fixed-in", "duplicate-of" };
        for (size_t i = 0; i < ELEMENTSOF(st); i++) {
                h_printf(h, "<option%s>%s</option>", status && !strncmp(status, st[i], strlen(st[i])) ? " selected" : "",
                         st[i]);
        }
        h_raw(h, "</select></label> <label>Release or group <input type=\"text\" name=\"value\" "
                 "placeholder=\"6.9-rc1 / 42\"></label> <label>Note <input type=\"text\" name=\"note\"></label> "
                 "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required></label> "
                 "<button type=\"submit\">Set status</button></form>\n");
        h_printf(h, "<form method=\"post\" action=\"/api/v1/groups/%lld/merge\" class=\"merge\">"
                    "<label>Merge group <input type=\"text\" name=\"from\" inputmode=\"numeric\" required></label> into this one "
                    "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required></label> "
                    "<button type=\"submit\">Merge</button></form>\n", (long long) id);
        h_printf(h, "<form method=\"post\" action=\"/api/v1/groups/%lld/split\" class=\"split\">"
                    "<label>Split reports <input type=\"text\" name=\"reports\" placeholder=\"12,13\" required></label> "
                    "into a new group <label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required>"
                    "</label> <button type=\"submit\">Split</button></form></section>\n", (long long) id);
}

#define OCC_PAGE 500

/* "Reports 501-622 of 622", with the neighbouring pages' links. */
static void occ_pager(Html *h, int64_t id, unsigned offset, size_t shown, uint64_t total) {
        h_printf(h, "<p class=\"pager\" id=\"occurrences-pager\"><span id=\"occurrences-shown\">%llu</span> of "
                    "<span id=\"occurrences-total\">%llu</span> reports",
                 (unsigned long long) shown, (unsigned long long) total);
        if (shown > 0 && shown < total)
                h_printf(h, " (%u&ndash;%llu)", offset + 1, (unsigned long long) offset + shown);
        if (offset > 0)
                h_printf(h, " &middot; <a rel=\"prev\" href=\"/groups/%lld?occ=%u#occurrences\">previous %u</a>", (long long) id,
                         offset > OCC_PAGE ? offset - OCC_PAGE : 0, OCC_PAGE);
        if ((uint64_t) offset + shown < total)
                h_printf(h, " &middot; <a rel=\"next\" href=\"/groups/%lld?occ=%llu#occurrences\">next %u</a>", (long long) id,
                         (unsigned long long) offset + shown, OCC_PAGE);
        h_raw(h, "</p>");
}

static MHD_Result_ group_page(Request *r, const StoreGroupDetail *d, unsigned offset) {
        const StoreGroupRow *g = &d->row;
        const char *title = g->func_title ?: g->key[0] ? g->key : "group";
        const char *key = group_key_of(g->kind, g->key);
        char first[STORE_TIME_MAX], last[STORE_TIME_MAX];
        int64_t id = g->id;
        Html h = {};

        h_begin(&h, title);
        h_printf(&h, "<h1><span class=\"gid\">#%lld</span> ", (long long) id);
        h_text(&h, title);
        h_raw(&h, "</h1>\n");
        if (key) {
                h_raw(&h, "<p class=\"lead-key\"><code id=\"key\">");
                h_group_key_of(&h, g->kind, key);
                h_raw(&h, "</code></p>\n");
        }
        h_raw(&h, "<dl class=\"facts\"><dt>Kind</dt><dd>");
        h_text(&h, g->kind);
        h_raw(&h, !strcmp(g->status, "regressed") ? "</dd><dt>Status</dt><dd><span class=\"status regressed\" id=\"status\">"
                                                  : "</dd><dt>Status</dt><dd><span class=\"status\" id=\"status\">");
        h_text(&h, g->status);
        h_raw(&h, "</span>");
        for (size_t i = 0; i < d->n_suppressed_by; i++) { /* the rules that hide it from the list */
                const StoreRuleRef *x = &d->suppressed_by[i];
                h_printf(&h, " <span class=\"suppressed\">suppressed by <a href=\"/suppressions\">rule %lld</a> (",
                         (long long) x->id);
                if (x->cls) {
                        h_raw(&h, "class ");
                        h_text(&h, x->cls);
                } else {
                        h_raw(&h, "edge ");
                        h_text(&h, x->edge_from);
                        h_raw(&h, " &rarr; ");
                        h_text(&h, x->edge_to);
                }
                h_raw(&h, ")</span>");
        }
        h_raw(&h, "</dd>");
        if (g->note) {
                h_raw(&h, "<dt>Note</dt><dd>");
                h_text(&h, g->note);
                h_raw(&h, "</dd>");
        }
        h_printf(&h, "<dt>Reports</dt><dd>%lld</dd><dt>Hosts</dt><dd>%lld</dd><dt>First seen</dt><dd>",
                 (long long) g->n_reports, (long long) g->n_hosts);
        h_text(&h, store_time_iso(g->first_seen, first));
        h_raw(&h, "</dd><dt>Last seen</dt><dd>");
        h_text(&h, store_time_iso(g->last_seen, last));
        h_raw(&h, "</dd><dt>Kernels</dt><dd>");
        h_text(&h, g->kernel_first);
        if (g->kernel_first && g->kernel_last && strcmp(g->kernel_first, g->kernel_last)) {
                h_raw(&h, " &ndash; ");
                h_text(&h, g->kernel_last);
        }
        h_raw(&h, "</dd><dt>Last 90 days</dt><dd>");
        svg_sparkline(&h, d->daily, d->n_daily, false);
        h_printf(&h, "</dd></dl>\n<p><a href=\"/api/v1/groups/%lld\">JSON</a></p>\n", (long long) id);

        /* the cycle */
        if (d->n_classes > 0) {
                h_raw(&h, "<section><h2>Lock cycle</h2><div class=\"cycle-box\"><div class=\"svg-scroll\">");
                svg_cycle(&h, d);
                h_raw(&h, "</div>");
                h_cycle_text(&h, d);
                h_raw(&h, "</div>");
                h_raw(&h, "</section>\n");
        }
        h_scenario(&h, d->scenario, d->n_scenario);

        /* why grouped */
        h_raw(&h, "<section><h2>Why grouped</h2><dl class=\"facts\"><dt>Key</dt><dd><code>");
        h_text(&h, g->key);
        h_raw(&h, "</code></dd><dt>Signature</dt><dd><code>");
        h_text(&h, g->signature);
        h_printf(&h, "</code> (version %lld)</dd><dt>Canonical classes</dt><dd>", (long long) d->sig_version);
        for (size_t i = 0; i < d->n_classes; i++) {
                h_raw(&h, i ? ", <code>" : "<code>");
                h_text(&h, d->classes[i]);
                h_raw(&h, "</code>");
        }
        h_raw(&h, "</dd></dl>");
        if (d->n_normalizations > 0) {
                h_raw(&h, "<table class=\"sortable\"><thead><tr><th>Printed</th><th>Canonical</th></tr></thead><tbody>");
                for (size_t i = 0; i < d->n_normalizations; i++) {
                        h_raw(&h, "<tr><td><code>");
                        h_text(&h, d->normalizations[i].printed);
                        h_raw(&h, "</code></td><td><code>");
                        h_text(&h, d->normalizations[i].canonical);
                        h_raw(&h, "</code></td></tr>");
                }
                h_raw(&h, "</tbody></table>");
        }
        h_raw(&h, "</section>\n");

        /* representative report */
        if (d->report.row.id > 0) {
                h_printf(&h, "<section><h2>Representative report <a href=\"/reports/%lld\">#%lld</a></h2>",
                         (long long) d->report.row.id, (long long) d->report.row.id);
                h_report_text(&h, d->report.raw, d->report.marks, d->report.n_marks);
                h_raw(&h, "</section>\n");
        }

        /* occurrences: paged (?occ=OFFSET, OCC_PAGE a page), the page says which part of how many it
         * is; page and total come from one read of the database (store_group_detail()) */
        const StoreReportList *occ = &d->occurrences;
        h_raw(&h, "<section><h2>Occurrences</h2>");
        occ_pager(&h, id, offset, occ->n, d->n_occurrences);
        /* sortable in the browser only when the page holds every occurrence (app.js) */
        h_raw(&h, offset == 0 && occ->n >= d->n_occurrences ? "<table id=\"occurrences\" class=\"sortable\">"
                                                           : "<table id=\"occurrences\">");
        h_raw(&h, "<thead><tr><th>Report</th>"
                  "<th>Time</th><th>Host</th><th>Kernel</th><th>Source</th><th>Truncated</th></tr></thead><tbody>");
        for (size_t i = 0; i < occ->n; i++) {
                const StoreReportRow *o = &occ->v[i];
                char t[STORE_TIME_MAX];
                h_printf(&h, "<tr><td class=\"num\"><a href=\"/reports/%lld\">%lld</a></td><td>", (long long) o->id,
                         (long long) o->id);
                h_text(&h, store_time_iso(o->time, t));
                h_raw(&h, "</td><td>");
                h_text(&h, o->host);
                h_raw(&h, "</td><td>");
                h_text(&h, o->kernel);
                h_raw(&h, "</td><td>");
                h_text(&h, o->source);
                h_raw(&h, o->truncated ? "</td><td>yes</td></tr>" : "</td><td></td></tr>");
        }
        h_raw(&h, "</tbody></table></section>\n<div class=\"columns\">");
        h_bars(&h, "by-kernel", "By kernel release", d->kernels, d->n_kernels, "kernel", "/kernels/");
        h_bars(&h, "by-host", "By host", d->hosts, d->n_hosts, "host", "/hosts/");
        h_bars(&h, "by-task", "By task", d->tasks, d->n_tasks, "task", NULL);
        h_raw(&h, "</div>\n");
        h_timeline(&h, occ, occ->n < d->n_occurrences);

        h_related(&h, d->related, d->n_related);
        if (d->n_triage > 0) {
                h_raw(&h, "<section><h2>Triage history</h2><ul>");
                for (size_t i = 0; i < d->n_triage; i++) {
                        const StoreTriageEntry *x = &d->triage[i];
                        char at[STORE_TIME_MAX];
                        h_raw(&h, "<li>");
                        h_text(&h, store_time_iso(x->at, at));
                        if (x->group > 0 && x->group != id) /* made on a group merged into this one */
                                h_printf(&h, " (on group <a href=\"/groups/%lld\">%lld</a>)", (long long) x->group,
                                         (long long) x->group);
                        h_raw(&h, " ");
                        h_text(&h, x->action);
                        h_raw(&h, ": ");
                        h_text(&h, x->value);
                        h_raw(&h, "</li>");
                }
                h_raw(&h, "</ul></section>\n");
        }
        h_triage_forms(&h, id, g->status);
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

/* ---- writes ----------------------------------------------------------------------------------- */

/* A browser form (no Authorization header, form-encoded): answer with pages and redirects. */
static bool from_form(Request *r) {
        const char *ct = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        return ct && !strncasecmp(ct, "application/x-www-form-urlencoded", 33) &&
               !MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
}

/* Where a form's page is: /groups/ID for /api/v1/groups/ID/ACTION, else /suppressions. */
static void form_page(Request *r, char *buf, size_t size) {
        static const struct { const char *api, *page; } back[] = {
                { "/api/v1/groups/", "/groups/" },
                { "/api/v1/latent/", "/latent/" },
        };
        for (size_t i = 0; i < ELEMENTSOF(back); i++) {
                int64_t id;
                char idbuf[32];
                size_t l = strlen(back[i].api);
                const char *p = r->url + l, *slash;
                if (!strncmp(r->url, back[i].api, l) && (slash = strchr(p, '/')) &&
                    (size_t) (slash - p) < sizeof(idbuf)) {
                        memcpy(idbuf, p, (size_t) (slash - p));
                        idbuf[slash - p] = 0;
                        if (parse_id(idbuf, &id) >= 0) {
                                snprintf(buf, size, "%s%lld", back[i].page, (long long) id);
                                return;
                        }
                }
        }
        snprintf(buf, size, "%s", !strncmp(r->url, "/api/v1/suppressions", 20) ? "/suppressions" : "/");
}

int write_check(Request *r, bool *ret_form, Store **ret_store) {
        *ret_form = from_form(r);
        if (*ret_form)
                r->api = false;
        if (!web_origin_ok(r))
                return reply_error(r, MHD_HTTP_FORBIDDEN, "Cross-site requests cannot change anything"), -EPERM;
        if (!web_token_ok(r)) {
                if (*ret_form) {
                        char back[64];
                        form_page(r, back, sizeof(back));
                        return reply_form_again(r, MHD_HTTP_UNAUTHORIZED, "The token was not accepted. Paste the "
                                                "token from web-token next to the database and send again.", back),
                               -EPERM;
                }
                return reply_error(r, MHD_HTTP_UNAUTHORIZED, "A valid token is required (Authorization: Bearer TOKEN)"),
                       -EPERM;
        }
        *ret_store = web_store_rw(r);
        return *ret_store ? 0 : -EIO;
}

static int parse_id_list(const char *s, int64_t **ret, size_t *ret_n) {
        _cleanup_free_ int64_t *v = NULL;
        size_t n = 0;
        char buf[32];
        while (*s) {
                size_t l = strcspn(s, ", \t\r\n");
                if (l > 0) {
                        int64_t id;
                        if (l >= sizeof(buf) || n >= 10000)
                                return -EINVAL;
                        memcpy(buf, s, l);
                        buf[l] = 0;
                        if (parse_id(buf, &id) < 0)
                                return -EINVAL;
                        int64_t *x = realloc(v, (n + 1) * sizeof(int64_t));
                        if (!x)
                                return -ENOMEM;
                        v = x;
                        v[n++] = id;
                }
                s += l + (s[l] ? 1 : 0);
        }
        if (n == 0)
                return -EINVAL;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

/* 409 for a merge from a group merged elsewhere already: {"error","status":409,"merged_into"}. */
static MHD_Result_ reply_merged_conflict(Request *r, int64_t from, int64_t into) {
        char *body = NULL;
        if (asprintf(&body, "{\"error\":\"Group %lld was merged into %lld already; to move the reports of that group, "
                            "merge %lld\",\"status\":409,\"merged_into\":%lld}\n",
                     (long long) from, (long long) into, (long long) into, (long long) into) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        if (!r->api) {
                free(body);
                return reply_error(r, MHD_HTTP_CONFLICT, "Group %lld was merged into %lld already; to move the reports "
                                   "of that group, merge %lld", (long long) from, (long long) into, (long long) into);
        }
        return reply(r, MHD_HTTP_CONFLICT, "application/json", body, strlen(body));
}

/* A write's answer: the group object, with "notice" (and "merged_from" when the id written to was
 * merged away and the write went to the group it went into). */
static MHD_Result_ reply_group_written(Request *r, Store *s, int64_t target, int64_t merged_from, const char *notice) {
        _cleanup_free_ char *js = NULL;
        int e = store_group_json(s, target, &js);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (!notice)
                return reply_json(r, MHD_HTTP_OK, TAKE_PTR(js));
        StrBuf b = {};
        if ((merged_from > 0 && strbuf_printf(&b, "{\"merged_from\":%lld,", (long long) merged_from) < 0) ||
            strbuf_puts(&b, merged_from > 0 ? "\"notice\":" : "{\"notice\":") < 0 ||
            json_append_str(&b, notice) < 0 || strbuf_appendc(&b, js[1] == '}' ? ' ' : ',') < 0 ||
            strbuf_puts(&b, js + 1) < 0) {
                strbuf_done(&b);
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        }
        return reply_json(r, MHD_HTTP_OK, strbuf_steal(&b));
}

static MHD_Result_ group_write(Request *r, int64_t named, const char *action) {
        _cleanup_free_ char *status = NULL, *value = NULL, *note = NULL, *from = NULL, *reports = NULL, *full = NULL;
        char notice[160] = "";
        bool form;
        Store *s;
        int64_t id, target, merged_from = 0;
        int e;

        if (write_check(r, &form, &s) < 0)
                return MHD_YES;
        /* an id merged away: the write goes to the group it went into, and the answer says so
         * (store_group_live(), the resolver of every front end; docs/API.md) */
        e = store_group_live(s, named, &id);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No group %lld", (long long) named);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (e > 0) {
                merged_from = named;
                snprintf(notice, sizeof(notice), "group %lld was merged into %lld; applied to %lld", (long long) named,
                         (long long) id, (long long) id);
        }
        target = id;
        if (!strcmp(action, "triage")) {
                if (req_param(r, "status", &status) < 0 || req_param(r, "value", &value) < 0 ||
                    req_param(r, "note", &note) < 0)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "Malformed request body");
                if (!status && !note)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "status or note is required");
                /* the form sends "fixed-in" + value; API clients may send "fixed-in 6.9" directly */
                if (status && value && *value && (!strcmp(status, "fixed-in") || !strcmp(status, "duplicate-of"))) {
                        if (asprintf(&full, "%s %s", status, value) < 0)
                                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
                }
                if (note && form && !*note)
                        {
                        free(note); /* an empty form field leaves the note alone */
                        note = NULL;
                }
                e = store_set_triage(s, id, full ?: status, note);
        } else if (!strcmp(action, "merge")) {
                int64_t fid;
                if (req_param(r, "from", &from) <= 0 || parse_id(from, &fid) < 0)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "from: expected a group id");
                if (fid == id)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "Cannot merge a group into itself");
                /* from merged away already: done if into this group (a form sent twice); else its
                 * group is named, not followed (that would move that group's own reports too) */
                int64_t fto = 0;
                e = store_group_live(s, fid, &fto);
                if (e < 0)
                        return e == -ENOENT ? reply_error(r, MHD_HTTP_NOT_FOUND, "No group %lld", (long long) fid)
                                            : reply_store_error(r, s, e);
                if (e > 0 && fto != id)
                        return reply_merged_conflict(r, fid, fto);
                if (e > 0) {
                        snprintf(notice, sizeof(notice), "group %lld was merged into %lld already; nothing to do",
                                 (long long) fid, (long long) id);
                        e = 0;
                } else
                        e = store_merge_groups(s, id, fid);
        } else if (!strcmp(action, "split")) {
                _cleanup_free_ int64_t *ids = NULL;
                size_t n;
                if (req_param(r, "reports", &reports) <= 0 || parse_id_list(reports, &ids, &n) < 0)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "reports: expected report ids");
                e = store_split_group(s, id, ids, n, &target);
        } else
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No such action");
        if (e < 0)
                return reply_store_error(r, s, e);

        if (form) {
                char loc[64];
                snprintf(loc, sizeof(loc), "/groups/%lld", (long long) target);
                return reply_redirect(r, loc);
        }
        return reply_group_written(r, s, target, merged_from, notice[0] ? notice : NULL);
}

/* /groups/ID/spark.svg: reports per day over the last 90 days */
static MHD_Result_ group_spark(Request *r, int64_t id) {
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        _cleanup_(store_group_detail_free) StoreGroupDetail d = {};
        int e = store_group_detail(s, id, &(StoreDetailQuery) { .daily_only = true }, &d);
        if (e < 0)
                return reply_store_error(r, s, e);
        Html h = {};
        svg_sparkline(&h, d.daily, d.n_daily, true);
        char *out;
        size_t n;
        if (h_steal(&h, &out, &n) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        return reply(r, MHD_HTTP_OK, "image/svg+xml", out, n);
}

/* A group id that is no more (its tombstone, store_group_successor()): a merged group answers 301
 * to the group it went into, on the API with a JSON body naming it ({"merged_into": NEW}) as well;
 * a group deleted because its reports all went elsewhere answers 410; an id that never was, 404. */
static MHD_Result_ group_gone(Request *r, Store *s, int64_t id) {
        int64_t into = 0;
        int e = store_group_successor(s, id, &into);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No group %lld", (long long) id);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (into == 0)
                return reply_error(r, MHD_HTTP_GONE, "Group %lld was deleted: all its reports went to other groups",
                                   (long long) id);
        char loc[64];
        snprintf(loc, sizeof(loc), "%s/groups/%lld", r->api ? "/api/v1" : "", (long long) into);
        Html h = {};
        if (r->api)
                h_printf(&h, "{\"error\":\"Group %lld was merged into %lld\",\"status\":301,\"merged_into\":%lld,"
                         "\"location\":\"%s\"}\n", (long long) id, (long long) into, (long long) into, loc);
        else {
                h_begin(&h, "Group merged");
                h_printf(&h, "<h1>Group %lld was merged</h1><p>It is now part of <a href=\"%s\">group %lld</a>.</p>",
                         (long long) id, loc, (long long) into);
                h_end(&h);
        }
        char *out;
        size_t n;
        if (h_steal(&h, &out, &n) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        r->location = loc;
        MHD_Result_ q = reply(r, MHD_HTTP_MOVED_PERMANENTLY, r->api ? "application/json" : "text/html; charset=utf-8", out, n);
        r->location = NULL;
        return q;
}

MHD_Result_ handle_group(Request *r) {
        char idbuf[32];
        const char *slash = strchr(r->rest, '/');
        size_t l = slash ? (size_t) (slash - r->rest) : strlen(r->rest);
        int64_t id;

        if (l >= sizeof(idbuf))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Invalid group id");
        memcpy(idbuf, r->rest, l);
        idbuf[l] = 0;
        if (slash && !r->api && !strcmp(slash, "/spark.svg") && parse_id(idbuf, &id) >= 0)
                return group_spark(r, id);
        if (slash) {
                if (!r->api || r->method != METHOD_POST)
                        return reply_error(r, r->api ? MHD_HTTP_METHOD_NOT_ALLOWED : MHD_HTTP_NOT_FOUND,
                                           r->api ? "Use POST for group actions" : "No such page");
                if (parse_id(idbuf, &id) < 0)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "Invalid group id");
                return group_write(r, id, slash + 1);
        }
        if (r->method == METHOD_POST)
                return reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "POST to /api/v1/groups/ID/triage, merge or split");

        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        /* numeric ids, or a signature prefix for API convenience */
        int e = parse_id(idbuf, &id);
        if (e < 0) {
                if (strlen(idbuf) < 4 || strspn(idbuf, "0123456789abcdef") != strlen(idbuf))
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "Invalid group id");
                e = store_resolve_group(s, idbuf, &id);
                if (e < 0)
                        return reply_store_error(r, s, e);
        }
        /* the page reads everything in one transaction: the occurrence page and its total agree */
        StoreDetailQuery dq = { .occurrences = true, .occ_limit = OCC_PAGE, .report = true };
        const char *occ_arg = req_arg(r, "occ");
        if (occ_arg && uint_from_string(occ_arg, 100000000, &dq.occ_offset) < 0)
                dq.occ_offset = 0;
        _cleanup_(store_group_detail_free) StoreGroupDetail d = {};
        e = store_group_detail(s, id, r->api ? NULL : &dq, &d);
        if (e == -ENOENT)
                return group_gone(r, s, id);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                if (store_group_detail_json(&d, &b) < 0) {
                        strbuf_done(&b);
                        return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
                }
                return reply_json(r, MHD_HTTP_OK, strbuf_steal(&b));
        }
        return group_page(r, &d, dq.occ_offset);
}
