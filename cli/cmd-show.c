/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl show GROUP: everything about one group, like "coredumpctl info": the key, the cycle
 * drawn as "A -> B -> A" with the acquire site of each edge, the CPU0/CPU1 scenario, counts per
 * kernel and host, first/last seen, triage state and history, and the representative report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "table.h"

static void field(const char *label, const char *value) {
        if (!value)
                return;
        printf("%12s: ", label);
        fputs_safe(value, stdout);
        putchar('\n');
}

static void section(const char *title) {
        printf("\n%s%s:%s\n", ansi_highlight(), title, ansi_normal());
}

/* Where "to" was acquired while "from" was held: the site the store gives the group's edge (the
 * parser's one rule, LockdepEdge.at), which the web page and the API show too. */
static const char *edge_site(const StoreGroupDetail *d, const char *from, const char *to) {
        for (size_t i = 0; i < d->n_edges; i++)
                if (!strcmp(d->edges[i].from, from) && !strcmp(d->edges[i].to, to))
                        return d->edges[i].site;
        return NULL;
}

static void print_site(size_t pad, const char *what, const char *at) {
        if (!at)
                return;
        printf("%*s%s%s ", (int) pad + 4, "", ansi_grey(), what);
        fputs_safe(at, stdout);
        fputs(ansi_normal(), stdout);
}

/* The group's edges as "A -> B  at SITE" (kinds without a cycle to draw: recursive, safe_unsafe). */
static void print_edges(const StoreGroupDetail *d) {
        for (size_t i = 0; i < d->n_edges; i++) {
                if (i == 0)
                        section("Lock order (the second lock taken while the first is held)");
                printf("    ");
                fputs_safe(d->edges[i].from, stdout);
                printf(" -> ");
                fputs_safe(d->edges[i].to, stdout);
                print_site(0, "at", d->edges[i].site);
                putchar('\n');
        }
}

/* "classes" are in the order lockdep prints the chain, #N (the lock held) to #0 (the lock being
 * acquired); entry #k was taken while #k-1 was held. Drawn in lock order: #N -> #0 -> #1 ... -> #N.
 */
static void print_cycle(const StoreGroupDetail *d) {
        const char *order[65];
        size_t n = MIN(d->n_classes, (size_t) 64), width = 0;

        if (n == 0)
                return;
        if (strcmp(d->row.kind, "circular") != 0) {
                section("Classes");
                for (size_t i = 0; i < n; i++) {
                        printf("    ");
                        fputs_safe(d->classes[i], stdout);
                        putchar('\n');
                }
                print_edges(d);
                return;
        }
        order[0] = d->classes[0];
        for (size_t i = 1; i < n; i++)
                order[i] = d->classes[n - i];
        order[n] = d->classes[0];
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *e = escape_safe(d->classes[i]);
                width = MAX(width, e ? text_width(e) : 0);
        }

        section("Cycle (each lock taken while the one before it is held)");
        printf("    ");
        for (size_t i = 0; i <= n; i++) {
                fputs_safe(order[i], stdout);
                fputs(i < n ? " -> " : "\n\n", stdout);
        }
        for (size_t i = 0; i <= n; i++) {
                _cleanup_free_ char *e = escape_safe(order[i]);
                const char *at = i == 0 ? d->holding_at : edge_site(d, order[i - 1], order[i]);
                printf("    %s%s", i == 0 ? "" : "  -> ", e ? e : "");
                print_site(width - (e ? text_width(e) : 0) + (i == 0 ? 5 : 0), i == 0 ? "held, taken at" : "at", at);
                putchar('\n');
        }
}

/* "CPU0: lock(A);" lines side by side, like the kernel prints them. */
static void print_scenario(const StoreGroupDetail *d) {
        for (size_t i = 0; i < d->n_scenario; i++) {
                const char *line = d->scenario[i];
                if (i == 0) {
                        section("Scenario");
                        printf("    %-36s %s\n    %-36s %s\n", "CPU0", "CPU1", "----", "----");
                }
                const char *text = line;
                int cpu = -1;
                if (strncmp(line, "CPU", 3) == 0 && (line[3] == '0' || line[3] == '1') && line[4] == ':') {
                        cpu = line[3] - '0';
                        text = line + 5 + (line[5] == ' ');
                }
                printf("    %*s", cpu == 1 ? 37 : 0, "");
                fputs_safe(text, stdout);
                putchar('\n');
        }
}

/* A table of counts (kernels, hosts) under title. */
static void print_counts(const StoreCount *v, size_t n, const char *title, const char *h1) {
        _cleanup_(table_freep) Table *t = table_new(h1, ">REPORTS", NULL);
        if (!t || n == 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (table_add(t, v[i].name) < 0 || table_addf(t, "%lld", (long long) v[i].n) < 0)
                        return;
        section(title);
        table_print(t, stdout, 4);
}

static void print_triage(const StoreGroupDetail *d) {
        _cleanup_(table_freep) Table *t = table_new("TIME", ">GROUP", "ACTION", "~VALUE", NULL);
        if (!t || d->n_triage == 0)
                return;
        for (size_t i = 0; i < d->n_triage; i++) {
                const StoreTriageEntry *x = &d->triage[i];
                char at[STORE_TIME_MAX];
                if (table_add(t, store_time_iso(x->at, at)) < 0 ||
                    (x->group > 0 ? table_addf(t, "%lld", (long long) x->group) : table_add(t, NULL)) < 0 ||
                    table_add(t, x->action) < 0 || table_add(t, x->value) < 0)
                        return;
        }
        section("Triage history");
        table_print(t, stdout, 4);
}

static void print_related(const StoreGroupDetail *d) {
        _cleanup_(table_freep) Table *t = table_new(">ID", "KIND", "~TITLE", NULL);
        if (!t || d->n_related == 0)
                return;
        for (size_t i = 0; i < d->n_related; i++) {
                const StoreRelatedGroup *x = &d->related[i];
                if (table_addf(t, "%lld", (long long) x->id) < 0 || table_add(t, x->kind) < 0 || table_add(t, x->func_title) < 0)
                        return;
        }
        section("Related groups");
        table_print(t, stdout, 4);
}

static void print_normalizations(const StoreGroupDetail *d) {
        _cleanup_(table_freep) Table *t = table_new("PRINTED", "CANONICAL", NULL);
        if (!t || d->n_normalizations == 0)
                return;
        for (size_t i = 0; i < d->n_normalizations; i++)
                if (table_add(t, d->normalizations[i].printed) < 0 || table_add(t, d->normalizations[i].canonical) < 0)
                        return;
        section("Class names normalized");
        table_print(t, stdout, 4);
}

static void print_group(const StoreGroupDetail *d) {
        const StoreGroupRow *g = &d->row;
        char buf[256], t[STORE_TIME_MAX];

        printf("%sGroup %lld: ", ansi_highlight(), (long long) g->id);
        fputs_safe(g->func_title ? g->func_title : g->kind, stdout);
        printf("%s\n\n", ansi_normal());
        field("Kind", g->kind);
        field("Key", g->key);
        snprintf(buf, sizeof(buf), "%s (version %lld)", g->signature, (long long) d->sig_version);
        field("Signature", buf);
        field("Status", g->status);
        field("Note", g->note);
        field("First seen", store_time_iso(g->first_seen, t));
        field("Last seen", store_time_iso(g->last_seen, t));
        snprintf(buf, sizeof(buf), "%lld on %lld host%s", (long long) g->n_reports, (long long) g->n_hosts,
                 g->n_hosts == 1 ? "" : "s");
        field("Reports", buf);
        if (g->kernel_first && g->kernel_last && strcmp(g->kernel_first, g->kernel_last) != 0) {
                _cleanup_free_ char *range = NULL;
                if (asprintf(&range, "%s .. %s", g->kernel_first, g->kernel_last) >= 0)
                        field("Kernels", range);
        } else
                field("Kernel", g->kernel_first);

        print_cycle(d);
        print_scenario(d);
        print_counts(d->kernels, d->n_kernels, "Kernels", "|KERNEL");
        print_counts(d->hosts, d->n_hosts, "Hosts", "~HOST");
        print_triage(d);
        print_related(d);
        print_normalizations(d);

        const StoreReportDetail *rep = &d->report;
        if (rep->row.id <= 0)
                return;
        snprintf(buf, sizeof(buf), "Representative report %lld", (long long) rep->row.id);
        section(buf);
        printf("%s    from ", ansi_grey());
        fputs_safe(rep->row.host ? rep->row.host : "?", stdout);
        printf(" at ");
        fputs_safe(store_time_iso(rep->row.time, t) ?: "?", stdout);
        printf("%s\n\n", ansi_normal());
        fputs_text(rep->raw, stdout);
        if (rep->raw[0] && rep->raw[strlen(rep->raw) - 1] != '\n')
                putchar('\n');
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] show [OPTIONS] GROUP\n\n"
               "Show one group (an id, or a unique prefix of its signature): its key, the lock cycle\n"
               "with acquire sites, the CPU0/CPU1 scenario, counts per kernel and host, first and\n"
               "last seen, triage state, and a representative report.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               OUTPUT_MODE_HELP
               "\nThe JSON form is the group object of the web API. Without a GROUP, the group\n"
               "seen last.\n");
}

static int run(VerbRun *v) {
        _cleanup_(store_group_detail_free) StoreGroupDetail d = {};
        const Output *out = &v->out;
        Store *s = verb_db(v);
        int64_t id;
        int r;

        if (!s)
                return 1;
        if (v->argc == 0) { /* as coredumpctl info: the newest */
                if (newest_id(s, false, &id) != 0)
                        return 1;
        } else if (resolve_group(s, v->argv[0], &id) < 0) /* follows a merge's tombstone */
                return 1;
        /* the JSON form is the API's object (the same serializer), the text form adds the report */
        r = store_group_detail(s, id, output_json(out) ? NULL : &(StoreDetailQuery) { .report = true }, &d);
        if (r == -ENOENT) {
                fprintf(stderr, "lockdepctl: no group %lld\n", (long long) id);
                return 1;
        }
        if (r < 0)
                return store_failed(s, r, "reading the group");
        pager_open();
        if (output_json(out)) {
                StrBuf b = {};
                if (store_group_detail_json(&d, &b) < 0) {
                        strbuf_done(&b);
                        return print_oom();
                }
                output_json_object(out, b.s);
                strbuf_done(&b);
        } else
                print_group(&d);
        return 0;
}

const VerbSpec verb_show = {
        .max_args = 1,
        .args = "expected at most one GROUP",
        .flags = VERB_OUTPUT_MODE,
        .help = help,
        .run = run,
};
