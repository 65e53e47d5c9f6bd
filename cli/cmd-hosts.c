/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl hosts [NAME]: the hosts with their boots, reports, groups and kernels, and how many
 * boots lockdep switched itself off in; with a NAME (host name or machine id), that host's groups,
 * boots, and the boots in which lockdep stopped validating.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "table.h"

typedef struct HostsCtx {
        Output out;
} HostsCtx;

/* "silent" (no journal entry for longer than lockdepd's silent-after), "ok", or "-" for a host
 * that is not read from a journal (imported or pushed reports only). */
static const char *journal_state(const StoreHost *x) {
        return x->silent < 0 ? "-" : x->silent ? "silent" : "ok";
}

static const char *time_cell(int64_t usec, char buf[static STORE_TIME_MAX]) {
        return usec == STORE_NONE ? NULL : store_time_iso(usec, buf);
}

static int add_row(Table *t, const StoreHost *x) {
        char last[STORE_TIME_MAX], entry[STORE_TIME_MAX];
        if (table_add(t, x->host) < 0 || table_addf(t, "%lld", (long long) x->n_boots) < 0 ||
            table_addf(t, "%lld", (long long) x->n_reports) < 0 || table_addf(t, "%lld", (long long) x->n_groups) < 0 ||
            table_addf(t, "%lld", (long long) x->kernels) < 0 ||
            table_addf(t, "%lld", (long long) x->boots_lockdep_off) < 0 || table_add(t, x->kernel_last) < 0 ||
            table_add(t, time_cell(x->last_seen, last)) < 0 || table_add(t, time_cell(x->last_entry, entry)) < 0 ||
            table_add(t, journal_state(x)) < 0)
                return -ENOMEM;
        return 0;
}

/* Boots as a table. */
static int add_boots(Table *t, const StoreBoot *v, size_t n) {
        char first[STORE_TIME_MAX];
        for (size_t i = 0; i < n; i++) {
                const StoreBoot *b = &v[i];
                int r = table_add(t, b->boot_id);
                if (r >= 0)
                        r = table_add(t, b->kernel);
                if (r >= 0)
                        r = table_add(t, time_cell(b->first_seen, first));
                if (r >= 0)
                        r = table_addf(t, "%lld", (long long) b->n_reports);
                if (r >= 0 && b->lockdep_off_at != STORE_NONE)
                        r = table_addf(t, "%lld.%06lld", (long long) (b->lockdep_off_at / 1000000),
                                       (long long) (b->lockdep_off_at % 1000000));
                else if (r >= 0)
                        r = table_add(t, NULL);
                if (r >= 0)
                        r = table_add(t, b->lockdep_off_reason);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void print_section(const char *title, Table *t) {
        printf("\n%s%s:%s\n", ansi_highlight(), title, ansi_normal());
        if (table_rows(t) > 0)
                table_print(t, stdout, 4);
        else
                printf("    (none)\n");
}

static void print_fact(const char *label, const char *v) {
        printf("  %-13s ", label);
        fputs_safe(v ? v : "-", stdout);
        putchar('\n');
}

static int print_host(const StoreHostDetail *d) {
        const StoreHost *x = &d->host;
        _cleanup_(table_freep) Table *groups =
                table_new(">ID", "KIND", ">REPORTS", "STATUS", "~TITLE", NULL);
        _cleanup_(table_freep) Table *off =
                table_new("BOOT", "|KERNEL", "FIRST SEEN", ">REPORTS", ">OFF AT (s)", "~WHY", NULL);
        _cleanup_(table_freep) Table *boots =
                table_new("BOOT", "|KERNEL", "FIRST SEEN", ">REPORTS", ">OFF AT (s)", "~WHY", NULL);
        char buf[STORE_TIME_MAX];

        if (!groups || !off || !boots)
                return print_oom();
        for (size_t i = 0; i < d->n_groups; i++) {
                const StoreFleetGroup *g = &d->groups[i];
                if (table_addf(groups, "%lld", (long long) g->id) < 0 || table_add(groups, g->kind) < 0 ||
                    table_addf(groups, "%lld", (long long) g->n_reports) < 0 || table_add(groups, g->status) < 0 ||
                    table_add(groups, g->func_title) < 0)
                        return print_oom();
        }
        if (add_boots(off, d->off_early, d->n_off_early) < 0 || add_boots(boots, d->boots, d->n_boots) < 0)
                return print_oom();

        printf("%sHost ", ansi_highlight());
        fputs_safe(x->host ? x->host : "?", stdout);
        printf("%s\n", ansi_normal());
        print_fact("machine id:", x->machine_id);
        print_fact("host name:", x->hostname);
        long long nb = x->n_boots, nr = x->n_reports, ng = x->n_groups, nk = x->kernels;
        printf("  %-13s %lld %s, %lld %s, %lld %s, %lld %s\n", "seen:", nb, plural(nb, "boot", "boots"), nr,
               plural(nr, "report", "reports"), ng, plural(ng, "group", "groups"), nk,
               plural(nk, "kernel", "kernels"));
        print_fact("first kernel:", x->kernel_first);
        print_fact("last kernel:", x->kernel_last);
        print_fact("first seen:", time_cell(x->first_seen, buf));
        print_fact("last seen:", time_cell(x->last_seen, buf));
        print_fact("journal read:", time_cell(x->journal_read, buf));
        print_fact("last entry:", time_cell(x->last_entry, buf));
        if (x->silent > 0)
                printf("%s  silent:       no journal entry from this host for longer than lockdepd's silent-after:\n"
                       "                no report from it does not mean it is clean%s\n",
                       ansi_highlight(), ansi_normal());
        if (table_rows(off) > 0) {
                long long off_n = x->boots_lockdep_off;
                printf("\n%sLockdep switched itself off in %lld %s:%s nothing after that point was validated.\n",
                       ansi_highlight(), off_n, plural(off_n, "boot", "boots"), ansi_normal());
                table_print(off, stdout, 4);
        }
        print_section("Groups", groups);
        print_section("Boots (newest first)", boots);
        return 0;
}

/* lockdepctl hosts NAME: the host, as JSON (the API's object) or as text. */
static int show_host(Store *s, const char *name, const Output *out) {
        _cleanup_(store_host_detail_free) StoreHostDetail d = {};
        int r = store_host_detail(s, name, &d);
        if (r == -ENOENT) {
                fputs("lockdepctl hosts: no host '", stderr);
                fputs_safe(name, stderr);
                fputs("'\n", stderr);
                return 1;
        }
        if (r < 0)
                return store_failed(s, r, "reading the host");
        pager_open();
        if (!output_json(out))
                return print_host(&d);
        StrBuf b = {};
        if (store_host_detail_json(&d, &b) < 0)
                return print_oom();
        output_json_object(out, b.s);
        strbuf_done(&b);
        return 0;
}

/* The rows of the view for output_view(). */
static int row_json(const void *row, StrBuf *b) {
        return store_host_json(row, b);
}

static int row_table(Table *t, const void *row) {
        return add_row(t, row);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] hosts [OPTIONS] [NAME]\n\n"
               "List the hosts with their boots, reports, groups, kernels and the boots in which\n"
               "lockdep switched itself off; for hosts read from a journal, the newest entry seen\n"
               "and whether the host went silent (no entry for longer than lockdepd's\n"
               "silent-after, default 1d): a silent host without reports is not a clean one.\n"
               "With the NAME of a host (host name or machine id), show its groups and boots.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               OUTPUT_OPTIONS_HELP);
        list_sorts_help(STORE_LIST_HOSTS);
        fputs(LIST_OPTIONS_HELP, stdout);
}

static StoreListQuery arg_list = { .list = STORE_LIST_HOSTS };
static bool arg_listing;
static const struct option options[] = {
        LIST_OPTIONS,
        {},
};

static int option(int c, const char *optarg) {
        arg_listing = true;
        return list_option(c, optarg, &arg_list) > 0 ? 0 : -EINVAL;
}

static int run(VerbRun *v) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_host_list_free) StoreHostList list = {};
        HostsCtx ctx = { .out = v->out };
        StoreListQuery q = arg_list;
        bool listing = arg_listing;
        Store *s;
        int r;

        const char *name = v->argc > 0 ? v->argv[0] : NULL;
        if (name && listing) {
                fprintf(stderr, "lockdepctl hosts: --sort, --order, --limit and --offset are for the list, not one host\n");
                return EXIT_USAGE;
        }
        s = verb_db(v);
        if (!s)
                return 1;
        if (name)
                return show_host(s, name, &ctx.out);
        /* at 80 columns: host names and releases cut in the middle (fleet names differ at their
         * end), "OFF", and no LAST ENTRY (JOURNAL still says "silent"; hosts NAME shows it) */
        t = table_new("|HOST", ">BOOTS", ">REPORTS", ">GROUPS", ">KERNELS", ">LOCKDEP OFF\tOFF",
                      "|LAST KERNEL\tKERNEL", "LAST SEEN", "?LAST ENTRY", "JOURNAL", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        ctx.out.newest_last = false;
        r = store_host_list(s, &q, &list);
        if (r < 0)
                return store_failed(s, r, "listing hosts");
        if (list.n == 0 && !output_json(&ctx.out)) {
                if (!ctx.out.quiet)
                        fputs("No hosts found.\n", stderr);
                return 1;
        }
        r = output_view(&ctx.out, list.v, list.n, sizeof(*list.v), row_json, row_table, t);
        if (r < 0)
                return print_oom();
        size_t shown = (size_t) r;
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        list_footer(s, &q, &ctx.out, (int) shown, "host", "hosts");
        return 0;
}

const VerbSpec verb_hosts = {
        .max_args = 1,
        .args = "expected at most one NAME",
        .flags = VERB_OUTPUT,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
