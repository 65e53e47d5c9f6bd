/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /metrics (Prometheus text format 0.0.4), /api/v1/stats and /api/v1/search. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "macro.h"
#include "web-internal.h"

/* Label values: backslash, quote and newline escaped, as the text format wants. */
static void h_label_value(Html *h, const char *s) {
        for (const char *p = s ?: ""; *p && !h->err; p++) {
                if (*p == '\\' || *p == '"')
                        h_rawn(h, "\\", 1);
                if (*p == '\n')
                        h_raw(h, "\\n");
                else
                        h_rawn(h, p, 1);
        }
}

static time_t parse_iso(const char *s) {
        struct tm tm = {};
        if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm))
                return 0;
        return timegm(&tm);
}

MHD_Result_ handle_metrics(Request *r) {
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        char *js = NULL;
        int e = store_stats_json(s, &js);
        if (e < 0)
                return reply_store_error(r, s, e);
        _cleanup_free_ char *owned = js;
        _cleanup_(json_value_freep) JsonValue *v = NULL;
        if (json_parse(js, &v) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot read the statistics");

        Html h = {};
        static const struct { const char *key, *name, *help; } counters[] = {
                { "reports", "lockdep_reports", "Reports stored" },
                { "groups", "lockdep_groups", "Report groups" },
                { "hosts", "lockdep_hosts", "Hosts that sent reports" },
                { "boots", "lockdep_boots", "Boots seen" },
                { "boots_lockdep_off", "lockdep_boots_lockdep_off", "Boots in which lockdep switched itself off" },
                { "gaps", "lockdep_source_gaps", "Times a source lost records" },
                { "fts_pending", "lockdep_fts_pending", "Reports not yet in the full-text index" },
                { "suppressions", "lockdep_suppressions", "Suppressions" },
        };
        for (size_t i = 0; i < ELEMENTSOF(counters); i++)
                h_printf(&h, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", counters[i].name, counters[i].help,
                         counters[i].name, counters[i].name, (long long) json_get_int(v, counters[i].key, 0));

        h_raw(&h, "# HELP lockdep_groups_by_kind Report groups per kind\n# TYPE lockdep_groups_by_kind gauge\n");
        const JsonValue *bk = json_get(v, "by_kind");
        for (size_t i = 0; i < json_len(bk); i++) {
                h_raw(&h, "lockdep_groups_by_kind{kind=\"");
                h_label_value(&h, json_get_str(json_at(bk, i), "kind"));
                h_printf(&h, "\"} %lld\n", (long long) json_get_int(json_at(bk, i), "n", 0));
        }
        h_raw(&h, "# HELP lockdep_reports_by_kind Reports per kind\n# TYPE lockdep_reports_by_kind gauge\n");
        for (size_t i = 0; i < json_len(bk); i++) {
                h_raw(&h, "lockdep_reports_by_kind{kind=\"");
                h_label_value(&h, json_get_str(json_at(bk, i), "kind"));
                h_printf(&h, "\"} %lld\n", (long long) json_get_int(json_at(bk, i), "reports", 0));
        }
        h_raw(&h, "# HELP lockdep_groups_by_status Report groups per triage status\n"
                  "# TYPE lockdep_groups_by_status gauge\n");
        const JsonValue *bs = json_get(v, "by_status");
        for (size_t i = 0; i < json_len(bs); i++) {
                h_raw(&h, "lockdep_groups_by_status{status=\"");
                h_label_value(&h, json_get_str(json_at(bs, i), "status"));
                h_printf(&h, "\"} %lld\n", (long long) json_get_int(json_at(bs, i), "n", 0));
        }
        h_raw(&h, "# HELP lockdep_source_reports Reports stored per source\n# TYPE lockdep_source_reports gauge\n");
        const JsonValue *src = json_get(v, "sources");
        for (size_t i = 0; i < json_len(src); i++) {
                h_raw(&h, "lockdep_source_reports{source=\"");
                h_label_value(&h, json_get_str(json_at(src, i), "source"));
                h_printf(&h, "\"} %lld\n", (long long) json_get_int(json_at(src, i), "reports", 0));
        }
        h_raw(&h, "# HELP lockdep_source_lag_seconds Seconds since a source's cursor last moved\n"
                  "# TYPE lockdep_source_lag_seconds gauge\n");
        time_t now = time(NULL);
        for (size_t i = 0; i < json_len(src); i++) {
                time_t t = parse_iso(json_get_str(json_at(src, i), "updated"));
                h_raw(&h, "lockdep_source_lag_seconds{source=\"");
                h_label_value(&h, json_get_str(json_at(src, i), "source"));
                h_printf(&h, "\"} %lld\n", (long long) (t > 0 && now > t ? now - t : 0));
        }
        h_printf(&h, "# HELP lockdep_web_requests_total HTTP requests answered\n# TYPE lockdep_web_requests_total counter\n"
                     "lockdep_web_requests_total %llu\n"
                     "# HELP lockdep_web_errors_total HTTP 5xx answers\n# TYPE lockdep_web_errors_total counter\n"
                     "lockdep_web_errors_total %llu\n"
                     "# HELP lockdep_web_store_errors_total Database errors seen by the web server\n"
                     "# TYPE lockdep_web_store_errors_total counter\nlockdep_web_store_errors_total %llu\n",
                 (unsigned long long) atomic_load(&r->w->n_requests), (unsigned long long) atomic_load(&r->w->n_errors),
                 (unsigned long long) atomic_load(&r->w->n_store_errors));
        h_printf(&h, "# HELP lockdep_web_cache_hits_total HTTP requests answered from the response cache\n"
                     "# TYPE lockdep_web_cache_hits_total counter\nlockdep_web_cache_hits_total %llu\n",
                 (unsigned long long) atomic_load(&r->w->n_cache_hits));
        h_printf(&h, "# HELP lockdep_web_connections_timed_out_total Connections closed because a request's headers "
                     "or body did not arrive in time\n# TYPE lockdep_web_connections_timed_out_total counter\n"
                     "lockdep_web_connections_timed_out_total %llu\n",
                 (unsigned long long) atomic_load(&r->w->n_conn_timeouts));
        h_printf(&h, "# HELP lockdep_web_connections_evicted_total Connections waiting for a request closed to make "
                     "room for a new one\n# TYPE lockdep_web_connections_evicted_total counter\n"
                     "lockdep_web_connections_evicted_total %llu\n",
                 (unsigned long long) atomic_load(&r->w->n_conn_evicted));
        h_printf(&h, "# HELP lockdep_web_connections_refused_total Connections refused (per-address limit, or "
                     "every connection busy)\n# TYPE lockdep_web_connections_refused_total counter\n"
                     "lockdep_web_connections_refused_total %llu\n",
                 (unsigned long long) atomic_load(&r->w->n_conn_refused));
        char *out;
        size_t n;
        if (h_steal(&h, &out, &n) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        return reply(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out, n);
}

MHD_Result_ handle_stats(Request *r) {
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        char *js;
        int e = store_stats_json(s, &js);
        return e < 0 ? reply_store_error(r, s, e) : reply_json(r, MHD_HTTP_OK, js);
}

MHD_Result_ handle_search(Request *r) {
        const char *q = req_arg(r, "q"), *lim = req_arg(r, "limit");
        int64_t limit = 100;
        Rows rows = {};

        if (!q || !*q || strlen(q) > 1000)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "q: search text required (up to 1000 bytes)");
        if (lim && (parse_id(lim, &limit) < 0 || limit > WEB_PAGE_MAX))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "limit: expected a number from 1 to 1000");
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        int e = store_search(s, q, (unsigned) limit, rows_collect, &rows);
        if (e < 0) {
                strbuf_done(&rows.json);
                return reply_store_error(r, s, e);
        }
        return reply_rows(r, "{\"results\":", &rows);
}
