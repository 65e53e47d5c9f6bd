/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Latent cycles (docs/LATENT.md): /latent[?kernel=R&all=1], /latent/ID and the same under /api/v1/.
 * Rendered from the store's typed view; the API answer is store_latent_json(), the serializer that
 * lockdepctl latent --json uses too. Class, host and boot names come from the fleet's kernels and
 * journals: all of them go through h_text()/h_url().
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "macro.h"
#include "time-spec.h"
#include "web-internal.h"

static void h_boot(Html *h, const StoreLatentBoot *b) {
        h_raw(h, "<code>");
        h_text(h, b->boot_id);
        h_raw(h, "</code> on <a href=\"/hosts/");
        h_url(h, b->host);
        h_raw(h, "\">");
        h_text(h, b->host);
        h_raw(h, "</a>");
}

/* The cycle drawn as group pages draw theirs, from the typed view. */
static void h_cycle_svg(Html *h, const StoreLatentCycle *c) {
        h_raw(h, "<div class=\"scroll\">");
        svg_cycle_draw(h, (const char *const *) c->classes, c->n, NULL, 0);
        h_raw(h, "</div>");
}

static void h_cycle(Html *h, const StoreLatentCycle *c, bool full) {
        char t[TIME_ISO_MAX];

        h_printf(h, "<section class=\"latent\" id=\"latent-%" PRId64 "\"><h2><a href=\"/latent/%" PRId64 "\">#%" PRId64
                    "</a> <span class=\"cycle\">",
                 c->id, c->id, c->id);
        for (size_t k = 0; k <= c->n; k++) {
                if (k)
                        h_raw(h, " &rarr; ");
                h_raw(h, "<code>");
                h_text(h, c->classes[k % c->n]);
                h_raw(h, "</code>");
        }
        h_raw(h, "</span></h2>\n<p>Kernel <a href=\"/kernels/");
        h_url(h, c->release);
        h_raw(h, "\">");
        h_text(h, c->release);
        h_printf(h, "</a>, found %s. Triage: <span class=\"status\">", time_format_iso(c->found, t));
        h_text(h, c->status);
        h_raw(h, "</span>");
        if (c->note[0]) {
                h_raw(h, " <span class=\"note\">(");
                h_text(h, c->note);
                h_raw(h, ")</span>");
        }
        h_raw(h, ".");
        if (c->low_confidence)
                h_raw(h, " <span class=\"badge warning\" title=\"a per-filesystem lock class: /proc/lockdep cannot tell "
                         "which filesystem, so the classes of two boots may be different locks\">low confidence</span>");
        if (c->group)
                h_printf(h, " Lockdep itself reported it: <a href=\"/groups/%" PRId64 "\">group %" PRId64 "</a>.",
                         c->group, c->group);
        h_raw(h, "</p>\n");
        if (full)
                h_cycle_svg(h, c);
        h_raw(h, "<table class=\"latent-edges\"><thead><tr><th>Dependency</th><th>Boots</th><th>Hosts</th>"
                 "<th>First seen</th><th>Seen by</th></tr></thead><tbody>");
        for (size_t k = 0; k < c->n; k++) {
                const StoreLatentEdge *e = &c->edges[k];
                h_raw(h, "<tr><td><code>");
                h_text(h, e->from);
                h_raw(h, "</code> &rarr; <code>");
                h_text(h, e->to);
                h_printf(h, "</code></td><td class=\"num\">%u</td><td class=\"num\">%u</td><td>%s</td><td>", e->n_boots,
                         e->n_hosts, time_format_iso(e->first_seen, t));
                for (size_t j = 0; j < e->n_seen_by; j++) {
                        if (j)
                                h_raw(h, ", ");
                        h_boot(h, &e->seen_by[j]);
                }
                if (e->n_boots > e->n_seen_by)
                        h_printf(h, " and %u more", e->n_boots - (unsigned) e->n_seen_by);
                h_raw(h, "</td></tr>");
        }
        h_raw(h, "</tbody></table>\n");
        if (c->n_suggest > 0) {
                h_raw(h, "<p class=\"suggest\">To get lockdep's own report, run the workloads of ");
                for (size_t j = 0; j < c->n_suggest; j++) {
                        h_raw(h, j == 0 ? "" : j + 1 == c->n_suggest ? " and " : ", ");
                        h_boot(h, &c->suggest[j]);
                }
                h_raw(h, " on one machine with this kernel.</p>\n");
        }
        h_raw(h, "</section>\n");
}

/* POST /api/v1/latent/ID/triage: status and/or note, with the token, as the group triage. */
static MHD_Result_ latent_write(Request *r, int64_t id) {
        _cleanup_free_ char *status = NULL, *note = NULL;
        bool form;
        Store *s;

        if (write_check(r, &form, &s) < 0)
                return MHD_YES;
        if (req_param(r, "status", &status) < 0 || req_param(r, "note", &note) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Malformed request body");
        if (!status && !note)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "status or note is required");
        if (status && !store_latent_status_valid(status))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "status: expected one of " STORE_LATENT_STATUSES);
        if (note && form && !*note) { /* an empty form field leaves the note alone */
                free(note);
                note = NULL;
        }
        int e = store_latent_triage(s, id, status, note);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (form) {
                char loc[64];
                snprintf(loc, sizeof(loc), "/latent/%" PRId64, id);
                return reply_redirect(r, loc);
        }
        StoreLatentQuery q = { .id = id, .include_reported = true };
        StoreLatent l = {};
        char *js = NULL;
        e = store_latent_list(s, &q, &l);
        if (e >= 0)
                e = store_latent_json(&l, &js);
        store_latent_free(&l);
        if (e < 0)
                return reply_store_error(r, s, e);
        return reply_json(r, MHD_HTTP_OK, js);
}

static void h_triage_form(Html *h, const StoreLatentCycle *c) {
        static const char *const st[] = { "new", "confirmed", "false-positive", "ignored" };
        h_printf(h, "<section id=\"triage\"><h2>Triage</h2><p class=\"hint\">The status belongs to the cycle's "
                    "classes: it survives re-analysis and holds for every release with this cycle. Changes need the "
                    "token from <code>web-token</code> next to the database.</p>"
                    "<form method=\"post\" action=\"/api/v1/latent/%" PRId64 "/triage\" class=\"triage\">"
                    "<label>Status <select name=\"status\">", c->id);
        for (size_t i = 0; i < ELEMENTSOF(st); i++)
                h_printf(h, "<option%s>%s</option>", !strcmp(c->status, st[i]) ? " selected" : "", st[i]);
        h_raw(h, "</select></label> <label>Note <input type=\"text\" name=\"note\"></label> "
                 "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required></label> "
                 "<button type=\"submit\">Set status</button></form></section>\n");
}

MHD_Result_ handle_latent(Request *r) {
        StoreLatentQuery q = { .release = req_arg(r, "kernel") };
        const char *all = req_arg(r, "all");
        StoreLatent l = {};
        int e;

        if (all && strcmp(all, "1") && strcmp(all, "0"))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "all must be 0 or 1");
        q.include_reported = all && !strcmp(all, "1");
        if (r->method == METHOD_POST) {
                const char *slash = r->rest ? strchr(r->rest, '/') : NULL;
                char idbuf[32];
                int64_t id;
                if (!r->api || !slash || strcmp(slash, "/triage") || (size_t) (slash - r->rest) >= sizeof(idbuf))
                        return reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "POST to /api/v1/latent/ID/triage");
                memcpy(idbuf, r->rest, (size_t) (slash - r->rest));
                idbuf[slash - r->rest] = 0;
                if (parse_id(idbuf, &id) < 0)
                        return reply_error(r, MHD_HTTP_NOT_FOUND, "No such latent cycle");
                return latent_write(r, id);
        }
        if (r->rest && *r->rest) {
                if (parse_id(r->rest, &q.id) < 0)
                        return reply_error(r, MHD_HTTP_NOT_FOUND, "No such latent cycle");
                q.include_reported = true;
        }
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        e = store_latent_list(s, &q, &l);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (q.id && l.n == 0) {
                store_latent_free(&l);
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No such latent cycle");
        }
        if (r->api) {
                char *js = NULL;
                e = store_latent_json(&l, &js);
                store_latent_free(&l);
                if (e < 0)
                        return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Cannot read the latent cycles");
                return reply_json(r, MHD_HTTP_OK, js);
        }

        Html h = {};
        h_begin(&h, q.id ? "Latent cycle" : "Latent cycles");
        if (q.id) {
                h_cycle(&h, &l.v[0], true);
                h_triage_form(&h, &l.v[0]);
                h_printf(&h, "<p><a href=\"/latent\">All latent cycles</a> &middot; <a href=\"/api/v1/latent/%" PRId64
                             "\">JSON</a></p>\n",
                         q.id);
        } else {
                h_raw(&h, "<h1>Latent cycles</h1>\n<p class=\"hint\">Cycles in the lock dependencies that the boots "
                          "of one kernel release learned together (their <code>/proc/lockdep</code>), which no "
                          "single boot had, so lockdep could not report them. <a href=\"/api/v1/latent\">JSON</a></p>\n");
                if (l.n_releases == 0)
                        h_raw(&h, "<p class=\"hint\" id=\"no-snapshots\">No /proc/lockdep snapshots yet: run the "
                                  "lockdep-collect timer on the test machines, or <code>lockdepctl import --kernel "
                                  "RELEASE FILE</code>.</p>\n");
                else {
                        h_raw(&h, "<table id=\"latent-releases\"><thead><tr><th>Kernel</th><th>Boots</th><th>Hosts</th>"
                                  "<th>Dependencies</th><th>Latent cycles</th><th>Analyzed</th></tr></thead><tbody>");
                        for (size_t i = 0; i < l.n_releases; i++) {
                                const StoreLatentRelease *x = &l.releases[i];
                                char t[TIME_ISO_MAX];
                                h_raw(&h, "<tr><td><a href=\"/latent?kernel=");
                                h_url(&h, x->release);
                                h_raw(&h, "\">");
                                h_text(&h, x->release);
                                h_printf(&h, "</a></td><td class=\"num\">%u</td><td class=\"num\">%u</td>"
                                             "<td class=\"num\">%u</td><td class=\"num\">%u</td><td>%s%s%s</td></tr>",
                                         x->n_boots, x->n_hosts, x->n_edges, x->n_latent,
                                         x->analyzed ? time_format_iso(x->analyzed, t) : "never",
                                         x->capped ? " <span class=\"warning\">(stopped at the cycle limit: more may "
                                                     "exist)</span>" : "",
                                         x->stale ? " <span class=\"warning\">(snapshots since)</span>" : "");
                        }
                        h_raw(&h, "</tbody></table>\n");
                }
                for (size_t i = 0; i < l.n; i++)
                        h_cycle(&h, &l.v[i], false);
                if (l.n_releases > 0 && l.n == 0)
                        h_raw(&h, "<p id=\"no-latent\">No latent cycle.</p>\n");
        }
        store_latent_free(&l);
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
