/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fleet views (DESIGN.md section 8): /hosts, /hosts/NAME, /kernels, /kernels/REL and the same
 * under /api/v1/. Host names, machine ids and releases come from kernel logs and journal fields:
 * every one of them goes through h_text()/h_url().
 */
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

#define FLEET_NAME_MAX 256

/* /api/v1/hosts and /api/v1/kernels: {"KEY":[rows]}. */
static void h_link(Html *h, const char *prefix, const char *name) {
        if (!name) {
                h_raw(h, "&ndash;");
                return;
        }
        h_raw(h, "<a href=\"");
        h_raw(h, prefix);
        h_url(h, name);
        h_raw(h, "\">");
        h_text(h, name);
        h_raw(h, "</a>");
}

/* A host by its machine id when known (host names need not be unique), shown by its name. */
static void h_host_link(Html *h, const char *host, const char *mid) {
        h_raw(h, "<a href=\"/hosts/");
        h_url(h, mid ?: host ?: "");
        h_raw(h, "\">");
        h_text(h, host ?: mid ?: "");
        h_raw(h, "</a>");
}

static void h_cell_text(Html *h, const char *s) {
        h_raw(h, "<td>");
        h_text(h, s ?: "");
        h_raw(h, "</td>");
}

static void h_cell_int(Html *h, int64_t n) {
        h_printf(h, "<td class=\"num\">%lld</td>", (long long) n);
}

/* A time of a typed view; empty when not known. */
static void h_cell_time(Html *h, int64_t usec) {
        char buf[STORE_TIME_MAX];
        h_cell_text(h, usec == STORE_NONE ? NULL : store_time_iso(usec, buf));
}

static void h_cell_kernel(Html *h, const char *kernel) {
        h_raw(h, "<td>");
        h_link(h, "/kernels/", kernel);
        h_raw(h, "</td>");
}

/* A host read from a journal: silent (nothing from it for longer than lockdepd's silent-after:
 * no report does not mean clean) or not; NULL for hosts that are not. */
static const char *journal_state(const StoreHost *x) {
        return x->silent < 0 ? NULL : x->silent ? "silent" : "ok";
}

/* The groups of a typed fleet view; count: the label of their n_reports. */
static void h_fleet_groups(Html *h, const char *id, const StoreFleetGroup *v, size_t n, const char *count) {
        if (n == 0) {
                h_raw(h, "<p class=\"hint\">None.</p>");
                return;
        }
        h_printf(h, "<table id=\"%s\" class=\"sortable\"><thead><tr><th>ID</th><th>Kind</th>"
                    "<th>Locks and title</th><th>%s</th><th>Status</th><th>First kernel</th>"
                    "<th>Last kernel</th></tr></thead><tbody>",
                 id, count);
        for (size_t i = 0; i < n; i++) {
                const StoreFleetGroup *g = &v[i];
                h_printf(h, "<tr><td class=\"num\"><a href=\"/groups/%lld\">%lld</a></td>", (long long) g->id,
                         (long long) g->id);
                h_cell_text(h, g->kind);
                h_raw(h, "<td class=\"title\">");
                h_group_title_of(h, g->id, g->kind, g->key, g->func_title);
                h_raw(h, "</td>");
                h_cell_int(h, g->n_reports);
                h_cell_text(h, g->status);
                h_cell_kernel(h, g->kernel_first);
                h_cell_kernel(h, g->kernel_last);
                h_raw(h, "</tr>");
        }
        h_raw(h, "</tbody></table>");
}

/* Boots of a host. */
static void h_boots(Html *h, const char *id, const StoreBoot *v, size_t n) {
        if (n == 0) {
                h_raw(h, "<p class=\"hint\">None.</p>");
                return;
        }
        h_printf(h, "<table id=\"%s\" class=\"sortable\"><thead><tr><th>Boot</th><th>Kernel</th>"
                    "<th>First seen</th><th>Reports</th><th>Lockdep off at</th><th>Why</th>"
                    "</tr></thead><tbody>",
                 id);
        for (size_t i = 0; i < n; i++) {
                const StoreBoot *b = &v[i];
                h_raw(h, "<tr><td><code>");
                h_text(h, b->boot_id);
                h_raw(h, "</code></td>");
                h_cell_kernel(h, b->kernel);
                h_cell_time(h, b->first_seen);
                h_cell_int(h, b->n_reports);
                if (b->lockdep_off_at != STORE_NONE)
                        h_printf(h, "<td class=\"num warning\">%lld.%06lld s</td>",
                                 (long long) (b->lockdep_off_at / 1000000), (long long) (b->lockdep_off_at % 1000000));
                else
                        h_raw(h, "<td></td>");
                h_cell_text(h, b->lockdep_off_reason);
                h_raw(h, "</tr>");
        }
        h_raw(h, "</tbody></table>");
}

static bool name_ok(Request *r, const char *name, const char *what, MHD_Result_ *ret) {
        if (!*name || strlen(name) > FLEET_NAME_MAX) {
                *ret = reply_error(r, MHD_HTTP_NOT_FOUND, "No such %s", what);
                return false;
        }
        return true;
}

/* ---- hosts ----------------------------------------------------------------------------------- */

#define FLEET_PAGE 100

MHD_Result_ handle_hosts(Request *r) {
        _cleanup_(store_host_list_free) StoreHostList list = {};
        StoreListQuery lq;
        uint64_t total = 0;
        MHD_Result_ q;
        Store *s = req_list_count(r, STORE_LIST_HOSTS, FLEET_PAGE, &lq, &total, &q);
        if (!s)
                return q;
        int e = store_host_list(s, &lq, &list);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_host_list_json(&list, total, &lq, &b));
        }

        Html h = {};
        h_begin(&h, "Hosts");
        h_raw(&h, "<h1>Hosts</h1>\n");
        h_list_summary(&h, &lq, total, list.n, "hosts");
        static const char *const cols[][2] = {
                { "host", "Host" }, { "boots", "Boots" }, { "reports", "Reports" }, { "groups", "Groups" },
                { "kernels", "Kernels" }, { "lockdep_off", "Lockdep off" }, { "kernel_first", "First kernel" },
                { "kernel_last", "Last kernel" }, { "first_seen", "First seen" }, { "last_seen", "Last seen" },
                { "journal_read", "Journal read" },
                { "last_entry", "Last entry" }, { NULL, "Journal" },
        };
        h_raw(&h, "<table id=\"hosts\" class=\"sortable\"><thead><tr>");
        for (size_t i = 0; i < ELEMENTSOF(cols); i++)
                h_sort_th(&h, "/hosts", &lq, FLEET_PAGE, cols[i][0] ?: "", cols[i][1]);
        h_raw(&h, "</tr></thead><tbody>");
        for (size_t i = 0; i < list.n; i++) {
                const StoreHost *x = &list.v[i];
                h_raw(&h, "<tr><td>");
                h_host_link(&h, x->host, x->machine_id);
                h_raw(&h, "</td>");
                h_cell_int(&h, x->n_boots);
                h_cell_int(&h, x->n_reports);
                h_cell_int(&h, x->n_groups);
                h_cell_int(&h, x->kernels);
                h_cell_int(&h, x->boots_lockdep_off);
                h_cell_kernel(&h, x->kernel_first);
                h_cell_kernel(&h, x->kernel_last);
                h_cell_time(&h, x->first_seen);
                h_cell_time(&h, x->last_seen);
                h_cell_time(&h, x->journal_read);
                h_cell_time(&h, x->last_entry);
                const char *st = journal_state(x);
                h_raw(&h, st && !strcmp(st, "silent") ? "<td class=\"warning\">" : "<td>");
                h_text(&h, st ?: "");
                h_raw(&h, "</td></tr>");
        }
        h_raw(&h, "</tbody></table>\n");
        h_list_pager(&h, "/hosts", &lq, FLEET_PAGE, total);
        h_raw(&h, "<p class=\"api\"><a href=\"");
        h_list_link(&h, "/api/v1/hosts", &lq, 0);
        h_raw(&h, "\">JSON</a></p>\n");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

MHD_Result_ handle_host(Request *r) {
        const char *name = r->rest;
        MHD_Result_ q;
        if (!name_ok(r, name, "host", &q))
                return q;
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        _cleanup_(store_host_detail_free) StoreHostDetail d = {};
        int e = store_host_detail(s, name, &d);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No such host");
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_host_detail_json(&d, &b));
        }
        const StoreHost *v = &d.host;
        const char *host = v->host ?: name;
        char first[STORE_TIME_MAX], last[STORE_TIME_MAX], read[STORE_TIME_MAX], entry[STORE_TIME_MAX];
        Html h = {};
        h_begin(&h, host);
        h_raw(&h, "<h1>Host ");
        h_text(&h, host);
        h_raw(&h, "</h1>\n<dl class=\"facts\"><dt>Machine ID</dt><dd><code>");
        h_text(&h, v->machine_id ?: "unknown");
        h_raw(&h, "</code></dd><dt>Host name</dt><dd>");
        h_text(&h, v->hostname ?: "unknown");
        h_printf(&h, "</dd><dt>Boots</dt><dd>%lld</dd><dt>Reports</dt><dd>%lld</dd>"
                     "<dt>Groups</dt><dd>%lld</dd><dt>Kernels</dt><dd>",
                 (long long) v->n_boots, (long long) v->n_reports, (long long) v->n_groups);
        h_link(&h, "/kernels/", v->kernel_first);
        if (v->kernels > 1) {
                h_raw(&h, " &hellip; ");
                h_link(&h, "/kernels/", v->kernel_last);
        }
        h_raw(&h, "</dd><dt>First seen</dt><dd>");
        h_text(&h, v->first_seen == STORE_NONE ? NULL : store_time_iso(v->first_seen, first));
        h_raw(&h, "</dd><dt>Last seen</dt><dd>");
        h_text(&h, v->last_seen == STORE_NONE ? NULL : store_time_iso(v->last_seen, last));
        h_raw(&h, "</dd><dt>Journal read</dt><dd>");
        h_text(&h, v->journal_read == STORE_NONE ? "never (not read from a journal)" : store_time_iso(v->journal_read, read));
        h_raw(&h, "</dd><dt>Last journal entry</dt><dd>");
        h_text(&h, v->last_entry == STORE_NONE ? "unknown" : store_time_iso(v->last_entry, entry));
        h_raw(&h, "</dd></dl>\n");
        const char *st = journal_state(v);
        if (st && !strcmp(st, "silent"))
                h_raw(&h, "<p class=\"warning\" id=\"silent\">Silent: no journal entry from this host "
                          "for longer than lockdepd's silent-after. No report from it does not mean it "
                          "is clean.</p>\n");
        h_raw(&h, "<p><a href=\"/?host=");
        h_url(&h, host);
        h_raw(&h, "\">Groups list filtered by this host</a> &middot; <a href=\"/api/v1/hosts/");
        h_url(&h, name);
        h_raw(&h, "\">JSON</a></p>\n");

        if (d.n_off_early > 0) {
                h_printf(&h, "<section><h2>Lockdep switched off (%lld boots)</h2>"
                             "<p class=\"warning\">Lockdep turned itself off in these boots: "
                             "nothing after that point was validated, so silence there is not a "
                             "clean result.</p>",
                         (long long) v->boots_lockdep_off);
                h_boots(&h, "host-off", d.off_early, d.n_off_early);
                h_raw(&h, "</section>\n");
        }
        h_raw(&h, "<section><h2>Groups seen here</h2>");
        h_fleet_groups(&h, "host-groups", d.groups, d.n_groups, "Reports here");
        h_raw(&h, "</section>\n<section><h2>Boots</h2>");
        h_boots(&h, "host-boots", d.boots, d.n_boots);
        h_raw(&h, "</section>\n");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

/* ---- kernels --------------------------------------------------------------------------------- */

MHD_Result_ handle_kernels(Request *r) {
        _cleanup_(store_kernel_list_free) StoreKernelList list = {};
        StoreListQuery lq;
        uint64_t total = 0;
        MHD_Result_ q;
        Store *s = req_list_count(r, STORE_LIST_KERNELS, FLEET_PAGE, &lq, &total, &q);
        if (!s)
                return q;
        int e = store_kernel_list(s, &lq, &list);
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_kernel_list_json(&list, total, &lq, &b));
        }

        Html h = {};
        h_begin(&h, "Kernels");
        h_raw(&h, "<h1>Kernel releases</h1>\n");
        h_list_summary(&h, &lq, total, list.n, "releases");
        static const char *const cols[][2] = {
                { "kernel", "Kernel" }, { "hosts", "Hosts" }, { "boots", "Boots" }, { "reports", "Reports" },
                { "groups", "Groups" }, { "new", "New groups" }, { "lockdep_off", "Lockdep off" },
                { "first_seen", "First seen" }, { "last_seen", "Last seen" },
        };
        h_raw(&h, "<table id=\"kernels\" class=\"sortable\"><thead><tr>");
        for (size_t i = 0; i < ELEMENTSOF(cols); i++)
                h_sort_th(&h, "/kernels", &lq, FLEET_PAGE, cols[i][0], cols[i][1]);
        h_raw(&h, "</tr></thead><tbody>");
        for (size_t i = 0; i < list.n; i++) {
                const StoreKernel *x = &list.v[i];
                h_raw(&h, "<tr>");
                h_cell_kernel(&h, x->kernel);
                h_cell_int(&h, x->n_hosts);
                h_cell_int(&h, x->n_boots);
                h_cell_int(&h, x->n_reports);
                h_cell_int(&h, x->n_groups);
                h_cell_int(&h, x->new_groups);
                h_cell_int(&h, x->boots_lockdep_off);
                h_cell_time(&h, x->first_seen);
                h_cell_time(&h, x->last_seen);
                h_raw(&h, "</tr>");
        }
        h_raw(&h, "</tbody></table>\n");
        h_list_pager(&h, "/kernels", &lq, FLEET_PAGE, total);
        h_raw(&h, "<p class=\"api\"><a href=\"");
        h_list_link(&h, "/api/v1/kernels", &lq, 0);
        h_raw(&h, "\">JSON</a></p>\n");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

/* /kernels/REL?vs=OTHER: the groups new, gone and still present between two releases. */
static MHD_Result_ handle_kernel_vs(Request *r, Store *s, const char *rel, const char *vs) {
        _cleanup_(store_kernel_vs_free) StoreKernelVs v = {};
        int e = store_kernel_vs(s, rel, vs, &v);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No boots ran both kernel releases");
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_kernel_vs_json(&v, &b));
        }
        const struct {
                const char *key, *title, *hint;
                const StoreFleetGroup *v;
                size_t n;
        } sections[] = {
                { "new", "New", "Reported on this release and not on the other.", v.new_, v.n_new },
                { "gone", "Gone", "Reported on the other release and not on this one.", v.gone, v.n_gone },
                { "still", "Still present", "Reported on both.", v.still, v.n_still },
        };
        Html h = {};
        h_begin(&h, rel);
        h_raw(&h, "<h1>Kernel <code>");
        h_text(&h, rel);
        h_raw(&h, "</code> vs <code>");
        h_text(&h, vs);
        h_raw(&h, "</code></h1>\n<p><a href=\"/kernels/");
        h_url(&h, rel);
        h_raw(&h, "\">");
        h_text(&h, rel);
        h_raw(&h, "</a> &middot; <a href=\"/kernels/");
        h_url(&h, vs);
        h_raw(&h, "\">");
        h_text(&h, vs);
        h_raw(&h, "</a> &middot; <a href=\"/api/v1/kernels/");
        h_url(&h, rel);
        h_raw(&h, "?vs=");
        h_url(&h, vs);
        h_raw(&h, "\">JSON</a></p>\n");
        for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
                h_printf(&h, "<section><h2>%s</h2><p class=\"hint\">%s</p>", sections[i].title, sections[i].hint);
                h_fleet_groups(&h, sections[i].key, sections[i].v, sections[i].n, "Reports");
                h_raw(&h, "</section>\n");
        }
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}

MHD_Result_ handle_kernel(Request *r) {
        const char *rel = r->rest, *vs = req_arg(r, "vs");
        MHD_Result_ q;
        if (!name_ok(r, rel, "kernel release", &q))
                return q;
        Store *s = web_store(r);
        if (!s)
                return MHD_YES;
        if (vs && *vs)
                return handle_kernel_vs(r, s, rel, vs);
        _cleanup_(store_kernel_detail_free) StoreKernelDetail d = {};
        int e = store_kernel_detail(s, rel, &d);
        if (e == -ENOENT)
                return reply_error(r, MHD_HTTP_NOT_FOUND, "No such kernel release");
        if (e < 0)
                return reply_store_error(r, s, e);
        if (r->api) {
                StrBuf b = {};
                return reply_view_json(r, &b, store_kernel_detail_json(&d, &b));
        }
        const StoreKernel *v = &d.kernel;
        char first[STORE_TIME_MAX], last[STORE_TIME_MAX];
        Html h = {};
        h_begin(&h, rel);
        h_raw(&h, "<h1>Kernel <code>");
        h_text(&h, rel);
        h_printf(&h, "</code></h1>\n<dl class=\"facts\"><dt>Hosts</dt><dd>%lld</dd>"
                     "<dt>Boots</dt><dd>%lld</dd><dt>Reports</dt><dd>%lld</dd>"
                     "<dt>Groups</dt><dd>%lld</dd><dt>Lockdep off</dt><dd>%lld boots</dd>"
                     "<dt>First seen</dt><dd>",
                 (long long) v->n_hosts, (long long) v->n_boots, (long long) v->n_reports, (long long) v->n_groups,
                 (long long) v->boots_lockdep_off);
        h_text(&h, v->first_seen == STORE_NONE ? NULL : store_time_iso(v->first_seen, first));
        h_raw(&h, "</dd><dt>Last seen</dt><dd>");
        h_text(&h, v->last_seen == STORE_NONE ? NULL : store_time_iso(v->last_seen, last));
        h_raw(&h, "</dd></dl>\n<p><a href=\"/?kernel=");
        h_url(&h, rel);
        h_raw(&h, "\">Groups list filtered by this release</a> &middot; "
                  "<a href=\"/api/v1/kernels/");
        h_url(&h, rel);
        h_raw(&h, "\">JSON</a></p>\n<section><h2>New in this release</h2>"
                  "<p class=\"hint\">Groups reported on this release and on no older one (by version).</p>");
        h_fleet_groups(&h, "regressions", d.regressions, d.n_regressions, "Reports");
        h_raw(&h, "</section>\n<section><h2>Regressed</h2><p class=\"hint\">Groups marked fixed in an earlier "
                  "release and reported again, first on this one: the fix did not hold.</p>");
        h_fleet_groups(&h, "regressed", d.regressed, d.n_regressed, "Reports");
        h_raw(&h, "</section>\n<section><h2>Not seen since</h2><p class=\"hint\">Groups reported "
                  "only on older releases (by version): probably fixed by this one or before it.</p>");
        h_fleet_groups(&h, "not-seen-since", d.not_seen_since, d.n_not_seen_since, "Reports");
        h_raw(&h, "</section>\n<section><h2>Hosts</h2>");
        h_raw(&h, "<table id=\"kernel-hosts\" class=\"sortable\"><thead><tr><th>Host</th>"
                  "<th>Boots</th><th>Reports</th><th>Lockdep off</th></tr></thead><tbody>");
        for (size_t i = 0; i < d.n_hosts; i++) {
                const StoreKernelHost *x = &d.hosts[i];
                h_raw(&h, "<tr><td>");
                h_host_link(&h, x->host, x->machine_id);
                h_raw(&h, "</td>");
                h_cell_int(&h, x->n_boots);
                h_cell_int(&h, x->n_reports);
                h_cell_int(&h, x->boots_lockdep_off);
                h_raw(&h, "</tr>");
        }
        h_raw(&h, "</tbody></table></section>\n");
        h_end(&h);
        return reply_html(r, MHD_HTTP_OK, &h);
}
