/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /metrics (Prometheus text format 0.0.4) and /api/v1/stats. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

MHD_Result_ handle_metrics(Request *r) {
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        _cleanup_(store_stats_free) StoreStats st = {};
        int e = store_stats(s, &st);
        if (e < 0)
                return reply_store_error(r, s, e);

        /* Prometheus naming (docs/METRICS.md): what only grows is a counter named *_total, what can
         * go down (merges, triage, suppressions) a gauge; times are *_timestamp_seconds. */
        Html h = {};
        static const struct { size_t offset; const char *name, *type, *help; } totals[] = {
                { offsetof(StoreStats, reports), "lockdep_reports_total", "counter", "Reports stored" },
                { offsetof(StoreStats, boots), "lockdep_boots_total", "counter", "Boots seen" },
                { offsetof(StoreStats, boots_lockdep_off), "lockdep_boots_lockdep_off_total", "counter",
                  "Boots in which lockdep switched itself off (nothing after that point was validated)" },
                { offsetof(StoreStats, gaps), "lockdep_source_gaps_total", "counter", "Times a source lost records" },
                { offsetof(StoreStats, groups), "lockdep_groups", "gauge", "Report groups (not counting those suppression rules hide)" },
                { offsetof(StoreStats, groups_suppressed), "lockdep_groups_suppressed", "gauge", "Report groups an active suppression rule hides" },
                { offsetof(StoreStats, hosts), "lockdep_hosts", "gauge", "Hosts that sent reports" },
                { offsetof(StoreStats, hosts_sanitized), "lockdep_hosts_sanitized", "gauge",
                  "Hosts stored under a sanitized name: their log text or journal named them against the host name rule" },
                { offsetof(StoreStats, fts_pending), "lockdep_fts_pending_reports", "gauge", "Reports not yet in the full-text index" },
                { offsetof(StoreStats, suppressions), "lockdep_suppressions", "gauge", "Suppression rules" },
                { offsetof(StoreStats, journal_file_errors), "lockdep_journal_file_errors_total", "counter",
                  "Failed attempts to open or read a journal file (retried)" },
                { offsetof(StoreStats, journal_files_unreadable), "lockdep_journal_files_unreadable", "gauge",
                  "Journal files that cannot be opened or read now: their streams wait" },
                { offsetof(StoreStats, snapshots_untrusted), "lockdep_snapshots_untrusted_total", "counter",
                  "/proc/lockdep snapshot entries in a journal not written by lockdep-collect.service as root: not stored" },
                { offsetof(StoreStats, snapshots_incomplete), "lockdep_snapshots_incomplete_total", "counter",
                  "/proc/lockdep snapshots from a journal with a part missing: not stored" },
                { offsetof(StoreStats, snapshots_refused), "lockdep_snapshots_refused_total", "counter",
                  "/proc/lockdep snapshots from a journal or the spool that the acceptance rule refused: not stored" },
        };
        for (size_t i = 0; i < ELEMENTSOF(totals); i++)
                h_printf(&h, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", totals[i].name, totals[i].help, totals[i].name,
                         totals[i].type, totals[i].name, (long long) *(const int64_t *) ((const char *) &st + totals[i].offset));

        h_raw(&h, "# HELP lockdep_groups_by_kind Report groups per kind\n# TYPE lockdep_groups_by_kind gauge\n");
        for (size_t i = 0; i < st.n_by_kind; i++) {
                h_raw(&h, "lockdep_groups_by_kind{kind=\"");
                h_label_value(&h, st.by_kind[i].name);
                h_printf(&h, "\"} %lld\n", (long long) st.by_kind[i].n_groups);
        }
        h_raw(&h, "# HELP lockdep_reports_by_kind_total Reports stored per kind\n"
                  "# TYPE lockdep_reports_by_kind_total counter\n");
        for (size_t i = 0; i < st.n_by_kind; i++) {
                h_raw(&h, "lockdep_reports_by_kind_total{kind=\"");
                h_label_value(&h, st.by_kind[i].name);
                h_printf(&h, "\"} %lld\n", (long long) st.by_kind[i].n_reports);
        }

        /* Every status word, 0 included, so that an alert can compare with the value of 15 minutes
         * ago from the first new group on; "fixed-in 6.2" counts as fixed-in. */
        static const char *const statuses[] = { "new", "confirmed", "false-positive", "fixed-in", "duplicate-of",
                                                "regressed" };
        long long n_status[ELEMENTSOF(statuses)] = {};
        for (size_t i = 0; i < st.n_by_status; i++) {
                const char *word = st.by_status[i].name ?: "";
                for (size_t k = 0; k < ELEMENTSOF(statuses); k++)
                        if (!strncmp(word, statuses[k], strlen(statuses[k])) &&
                            (!word[strlen(statuses[k])] || word[strlen(statuses[k])] == ' '))
                                n_status[k] += st.by_status[i].n_groups;
        }
        h_raw(&h, "# HELP lockdep_groups_by_status Report groups per triage status\n"
                  "# TYPE lockdep_groups_by_status gauge\n");
        for (size_t k = 0; k < ELEMENTSOF(statuses); k++)
                h_printf(&h, "lockdep_groups_by_status{status=\"%s\"} %lld\n", statuses[k], n_status[k]);
        h_printf(&h, "# HELP lockdep_groups_regressed Groups reported again on or after their fixed-in release\n"
                     "# TYPE lockdep_groups_regressed gauge\nlockdep_groups_regressed %lld\n",
                 n_status[ELEMENTSOF(statuses) - 1]);

        h_raw(&h, "# HELP lockdep_source_reports_total Reports stored per source\n"
                  "# TYPE lockdep_source_reports_total counter\n");
        for (size_t i = 0; i < st.n_sources; i++) {
                h_raw(&h, "lockdep_source_reports_total{source=\"");
                h_label_value(&h, st.sources[i].source);
                h_printf(&h, "\"} %lld\n", (long long) st.sources[i].n_reports);
        }
        h_raw(&h, "# HELP lockdep_source_updated_timestamp_seconds When a source's position last moved (Unix time)\n"
                  "# TYPE lockdep_source_updated_timestamp_seconds gauge\n");
        for (size_t i = 0; i < st.n_sources; i++) {
                /* whole seconds, as the ISO text of the API has them */
                int64_t t = st.sources[i].updated == STORE_NONE ? 0 : st.sources[i].updated / 1000000;
                if (t <= 0)
                        continue;
                h_raw(&h, "lockdep_source_updated_timestamp_seconds{source=\"");
                h_label_value(&h, st.sources[i].source);
                h_printf(&h, "\"} %lld\n", (long long) t);
        }
        /* latent cycles per release (docs/LATENT.md): those lockdep did not report itself */
        StoreLatentQuery lq = { .releases_only = true };
        StoreLatent lat = {};
        e = store_latent_list(s, &lq, &lat);
        if (e < 0)
                return reply_store_error(r, s, e);
        h_raw(&h, "# HELP lockdep_latent_cycles Cycles of a release's united /proc/lockdep graphs that no boot had\n"
                  "# TYPE lockdep_latent_cycles gauge\n");
        for (size_t i = 0; i < lat.n_releases; i++) {
                h_raw(&h, "lockdep_latent_cycles{release=\"");
                h_label_value(&h, lat.releases[i].release);
                h_printf(&h, "\"} %u\n", lat.releases[i].n_latent);
        }
        h_raw(&h, "# HELP lockdep_dep_boots Boots whose /proc/lockdep snapshots a release's graph unites\n"
                  "# TYPE lockdep_dep_boots gauge\n");
        for (size_t i = 0; i < lat.n_releases; i++) {
                h_raw(&h, "lockdep_dep_boots{release=\"");
                h_label_value(&h, lat.releases[i].release);
                h_printf(&h, "\"} %u\n", lat.releases[i].n_boots);
        }
        store_latent_free(&lat);
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
        /* a browser (Accept: text/html, which scrapers do not send) gets the same text in a page
         * with the navigation: a way back to the dashboard */
        const char *accept = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
        if (accept && strstr(accept, "text/html")) {
                Html p = {};
                h_begin(&p, "Metrics");
                h_raw(&p, "<h1>Metrics</h1><p class=\"hint\">Prometheus text format (docs/METRICS.md); a scraper "
                          "gets it as text/plain from this URL.</p><pre class=\"report\" id=\"metrics\">");
                h_textn(&p, out, n);
                h_raw(&p, "</pre>");
                h_end(&p);
                free(out);
                return reply_html(r, MHD_HTTP_OK, &p);
        }
        return reply(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out, n);
}

MHD_Result_ handle_stats(Request *r) {
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        _cleanup_(store_stats_free) StoreStats st = {};
        int e = store_stats(s, &st);
        if (e < 0)
                return reply_store_error(r, s, e);
        StrBuf b = {};
        return reply_view_json(r, &b, store_stats_json(&st, &b));
}
