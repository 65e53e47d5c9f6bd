/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl kernels [REL]: the kernel releases seen, newest version first, with their hosts,
 * boots, reports and the groups new in each; with a release, the groups first seen on it
 * (regressions), the groups last seen on an older release (probably fixed) and its hosts; with
 * --vs OTHER, the groups new, gone and still present between the two.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "table.h"

typedef struct KernelsCtx {
        Output out;
} KernelsCtx;

static const char *time_cell(int64_t usec, char buf[static STORE_TIME_MAX]) {
        return usec == STORE_NONE ? NULL : store_time_iso(usec, buf);
}

static int add_row(Table *t, const StoreKernel *k) {
        char last[STORE_TIME_MAX];
        if (table_add(t, k->kernel) < 0 || table_addf(t, "%lld", (long long) k->n_hosts) < 0 ||
            table_addf(t, "%lld", (long long) k->n_boots) < 0 || table_addf(t, "%lld", (long long) k->n_reports) < 0 ||
            table_addf(t, "%lld", (long long) k->n_groups) < 0 || table_addf(t, "%lld", (long long) k->new_groups) < 0 ||
            table_addf(t, "%lld", (long long) k->boots_lockdep_off) < 0 || table_add(t, time_cell(k->last_seen, last)) < 0)
                return -ENOMEM;
        return 0;
}

static Table *groups_table(const StoreFleetGroup *v, size_t n) {
        _cleanup_(table_freep) Table *t = table_new(">ID", "KIND", ">REPORTS", "|FIRST KERNEL", "|LAST KERNEL", "STATUS",
                                                    "~TITLE", NULL);
        if (!t)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (table_addf(t, "%lld", (long long) v[i].id) < 0 || table_add(t, v[i].kind) < 0 ||
                    table_addf(t, "%lld", (long long) v[i].n_reports) < 0 || table_add(t, v[i].kernel_first) < 0 ||
                    table_add(t, v[i].kernel_last) < 0 || table_add(t, v[i].status) < 0 || table_add(t, v[i].func_title) < 0)
                        return NULL;
        return TAKE_PTR(t);
}

static void print_section(const char *title, Table *t) {
        printf("\n%s%s:%s\n", ansi_highlight(), title, ansi_normal());
        if (table_rows(t) > 0)
                table_print(t, stdout, 4);
        else
                printf("    (none)\n");
}

static int print_kernel(const StoreKernelDetail *d) {
        const StoreKernel *k = &d->kernel;
        _cleanup_(table_freep) Table *regr = groups_table(d->regressions, d->n_regressions);
        _cleanup_(table_freep) Table *gone = groups_table(d->not_seen_since, d->n_not_seen_since);
        _cleanup_(table_freep) Table *regressed = groups_table(d->regressed, d->n_regressed);
        _cleanup_(table_freep) Table *hosts = table_new("~HOST", ">BOOTS", ">REPORTS", ">LOCKDEP OFF", NULL);
        char buf[STORE_TIME_MAX];

        if (!regr || !gone || !hosts || !regressed)
                return print_oom();
        for (size_t i = 0; i < d->n_hosts; i++)
                if (table_add(hosts, d->hosts[i].host) < 0 || table_addf(hosts, "%lld", (long long) d->hosts[i].n_boots) < 0 ||
                    table_addf(hosts, "%lld", (long long) d->hosts[i].n_reports) < 0 ||
                    table_addf(hosts, "%lld", (long long) d->hosts[i].boots_lockdep_off) < 0)
                        return print_oom();

        printf("%sKernel ", ansi_highlight());
        fputs_safe(k->kernel ? k->kernel : "?", stdout);
        printf("%s\n", ansi_normal());
        long long nh = k->n_hosts, nb = k->n_boots, nr = k->n_reports, ng = k->n_groups, off = k->boots_lockdep_off;
        printf("  %lld %s, %lld %s, %lld %s, %lld %s (%lld new), lockdep off in %lld %s\n", nh,
               plural(nh, "host", "hosts"), nb, plural(nb, "boot", "boots"), nr, plural(nr, "report", "reports"), ng,
               plural(ng, "group", "groups"), (long long) k->new_groups, off, plural(off, "boot", "boots"));
        const char *first = time_cell(k->first_seen, buf);
        printf("  first seen: ");
        fputs_safe(first ? first : "-", stdout);
        const char *last = time_cell(k->last_seen, buf);
        printf(", last seen: ");
        fputs_safe(last ? last : "-", stdout);
        putchar('\n');
        print_section("New in this release (first seen on it)", regr);
        print_section("Regressed (fixed before, reported again: first on this release)", regressed);
        print_section("Not seen since (last seen on an older release: probably fixed)", gone);
        print_section("Hosts", hosts);
        return 0;
}

static int print_vs(const StoreKernelVs *v) {
        const struct {
                const char *title;
                const StoreFleetGroup *v;
                size_t n;
        } sections[] = {
                { "New (reported on %s, not on %s)", v->new_, v->n_new },
                { "Gone (reported on %2$s, not on %1$s)", v->gone, v->n_gone },
                { "Still present (reported on both)", v->still, v->n_still },
        };
        _cleanup_free_ char *erel = escape_safe(v->kernel ? v->kernel : "?"), *evs = escape_safe(v->vs ? v->vs : "?");
        if (!erel || !evs)
                return print_oom();
        printf("%sKernel %s vs %s%s\n", ansi_highlight(), erel, evs, ansi_normal());
        for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
                _cleanup_(table_freep) Table *t = groups_table(sections[i].v, sections[i].n);
                char title[600];
                if (!t)
                        return print_oom();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                snprintf(title, sizeof(title), sections[i].title, erel, evs);
#pragma GCC diagnostic pop
                print_section(title, t);
        }
        return 0;
}

/* "lockdepctl kernels: <missing>'NAME'" for a release no boot ran (r == -ENOENT): exit 1. */
static int not_found(Store *s, int r, const char *missing, const char *name, const char *reading) {
        if (r != -ENOENT)
                return store_failed(s, r, reading);
        fprintf(stderr, "lockdepctl kernels: %s'", missing);
        fputs_safe(name, stderr);
        fputs("'\n", stderr);
        return 1;
}

/* lockdepctl kernels REL [--vs OTHER]: as JSON (the API's object) or as text. */
static int show_kernel(Store *s, const char *rel, const char *vs, const Output *out) {
        _cleanup_(store_kernel_detail_free) StoreKernelDetail d = {};
        _cleanup_(store_kernel_vs_free) StoreKernelVs v = {};
        StrBuf b = {};
        int r;
        if (vs) {
                r = store_kernel_vs(s, rel, vs, &v);
                if (r < 0)
                        return not_found(s, r, "no boots ran both releases: ", rel, "comparing the kernel releases");
        } else {
                r = store_kernel_detail(s, rel, &d);
                if (r < 0)
                        return not_found(s, r, "no boot ran kernel ", rel, "reading the kernel release");
        }
        pager_open();
        if (!output_json(out))
                return vs ? print_vs(&v) : print_kernel(&d);
        if ((vs ? store_kernel_vs_json(&v, &b) : store_kernel_detail_json(&d, &b)) < 0)
                return print_oom();
        output_json_object(out, b.s);
        strbuf_done(&b);
        return 0;
}

/* The rows of the view for output_view(). */
static int row_json(const void *row, StrBuf *b) {
        return store_kernel_json(row, b);
}

static int row_table(Table *t, const void *row) {
        return add_row(t, row);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] kernels [OPTIONS] [RELEASE]\n\n"
               "List the kernel releases seen, newest version first, with their hosts, boots,\n"
               "reports and the groups first seen on each. With a RELEASE, show the groups first\n"
               "seen on it (regressions), the groups last seen on an older release (probably\n"
               "fixed) and the hosts that ran it.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               OUTPUT_OPTIONS_HELP
               "     --vs OTHER        With RELEASE: the groups new in RELEASE (not reported on\n"
               "                       OTHER), gone (reported on OTHER only) and still present\n");
        list_sorts_help(STORE_LIST_KERNELS);
        fputs(LIST_OPTIONS_HELP, stdout);
}

static StoreListQuery arg_list = { .list = STORE_LIST_KERNELS };
static const char *arg_vs;
static bool arg_listing;
static const struct option options[] = {
        { "vs", required_argument, NULL, _ARG_QUERY_MAX },
        LIST_OPTIONS,
        {},
};

static int option(int c, const char *optarg) {
        if (c == _ARG_QUERY_MAX) {
                arg_vs = optarg;
                return 0;
        }
        arg_listing = true;
        return list_option(c, optarg, &arg_list) > 0 ? 0 : -EINVAL;
}

static int run(VerbRun *v) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_kernel_list_free) StoreKernelList list = {};
        KernelsCtx ctx = { .out = v->out };
        StoreListQuery q = arg_list;
        const char *vs_release = arg_vs;
        bool listing = arg_listing;
        Store *s;
        int r;

        const char *rel = v->argc > 0 ? v->argv[0] : NULL;
        if (vs_release && !rel) {
                fprintf(stderr, "lockdepctl kernels: --vs needs a RELEASE to compare\n");
                return EXIT_USAGE;
        }
        if (rel && listing) {
                fprintf(stderr, "lockdepctl kernels: --sort, --order, --limit and --offset are for the list, not one release\n");
                return EXIT_USAGE;
        }
        s = verb_db(v);
        if (!s)
                return 1;
        if (rel)
                return show_kernel(s, rel, vs_release, &ctx.out);
        t = table_new("|KERNEL", ">HOSTS", ">BOOTS", ">REPORTS", ">GROUPS", ">NEW", ">LOCKDEP OFF", "LAST SEEN", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        ctx.out.newest_last = false;
        r = store_kernel_list(s, &q, &list);
        if (r < 0)
                return store_failed(s, r, "listing kernel releases");
        if (list.n == 0 && !output_json(&ctx.out)) {
                if (!ctx.out.quiet)
                        fputs("No kernel releases found.\n", stderr);
                return 1;
        }
        r = output_view(&ctx.out, list.v, list.n, sizeof(*list.v), row_json, row_table, t);
        if (r < 0)
                return print_oom();
        size_t shown = (size_t) r;
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        list_footer(s, &q, &ctx.out, (int) shown, "kernel release", "kernel releases");
        return 0;
}

const VerbSpec verb_kernels = {
        .max_args = 1,
        .args = "expected at most one RELEASE",
        .flags = VERB_OUTPUT,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
