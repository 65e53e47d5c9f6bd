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
#include "table.h"

typedef struct HostsCtx {
        Output out;
        unsigned n;
        Table *table;
} HostsCtx;

/* "silent" (no journal entry for longer than lockdepd's silent-after), "ok", or "-" for a host
 * that is not read from a journal (imported or pushed reports only). */
static const char *journal_state(const char *js) {
        const char *v = json_get(js, "silent");
        return !v || *v == 'n' ? "-" : *v == 't' ? "silent" : "ok";
}

static int row(const char *js, void *userdata) {
        HostsCtx *c = userdata;
        c->n++;
        return output_row(&c->out, js);
}

static int add_row(const char *js, void *userdata) {
        HostsCtx *c = userdata;
        if (table_add_field(c->table, js, "host") < 0 ||
            table_add_field(c->table, js, "n_boots") < 0 ||
            table_add_field(c->table, js, "n_reports") < 0 ||
            table_add_field(c->table, js, "n_groups") < 0 ||
            table_add_field(c->table, js, "kernels") < 0 ||
            table_add_field(c->table, js, "boots_lockdep_off") < 0 ||
            table_add_field(c->table, js, "kernel_last") < 0 ||
            table_add_field(c->table, js, "last_seen") < 0 ||
            table_add_field(c->table, js, "last_entry") < 0 ||
            table_add(c->table, journal_state(js)) < 0)
                return -ENOMEM;
        return 0;
}

/* Boots [{boot_id,kernel,first_seen,lockdep_off_at,lockdep_off_reason,n_reports}] as a table. */
static int add_boots(Table *t, const char *arr) {
        JsonIter it;
        const char *v;

        if (json_iter_init(&it, arr))
                while (json_iter_next(&it, NULL, &v)) {
                        const char *off = json_get(v, "lockdep_off_at");
                        int r = table_add_field(t, v, "boot_id");
                        if (r >= 0)
                                r = table_add_field(t, v, "kernel");
                        if (r >= 0)
                                r = table_add_field(t, v, "first_seen");
                        if (r >= 0)
                                r = table_add_field(t, v, "n_reports");
                        if (r >= 0 && off && *off != 'n') {
                                int64_t us = json_get_int(v, "lockdep_off_at", 0);
                                r = table_addf(t, "%lld.%06lld", (long long) (us / 1000000),
                                               (long long) (us % 1000000));
                        } else if (r >= 0)
                                r = table_add(t, NULL);
                        if (r >= 0)
                                r = table_add_field(t, v, "lockdep_off_reason");
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

static void print_fact(const char *label, const char *js, const char *key) {
        _cleanup_free_ char *v = json_get_str(js, key);
        printf("  %-13s ", label);
        fputs_safe(v ? v : "-", stdout);
        putchar('\n');
}

static int print_host(const char *js) {
        _cleanup_free_ char *host = json_get_str(js, "host");
        _cleanup_(table_freep) Table *groups =
                table_new(">ID", "KIND", ">REPORTS", "STATUS", "~TITLE", NULL);
        _cleanup_(table_freep) Table *off =
                table_new("BOOT", "|KERNEL", "FIRST SEEN", ">REPORTS", ">OFF AT (s)", "~WHY", NULL);
        _cleanup_(table_freep) Table *boots =
                table_new("BOOT", "|KERNEL", "FIRST SEEN", ">REPORTS", ">OFF AT (s)", "~WHY", NULL);
        JsonIter it;
        const char *v;

        if (!groups || !off || !boots)
                return print_oom();
        if (json_iter_init(&it, json_get(js, "groups")))
                while (json_iter_next(&it, NULL, &v))
                        if (table_add_field(groups, v, "id") < 0 ||
                            table_add_field(groups, v, "kind") < 0 ||
                            table_add_field(groups, v, "n") < 0 ||
                            table_add_field(groups, v, "status") < 0 ||
                            table_add_field(groups, v, "func_title") < 0)
                                return print_oom();
        if (add_boots(off, json_get(js, "off_early")) < 0 ||
            add_boots(boots, json_get(js, "boots")) < 0)
                return print_oom();

        printf("%sHost ", ansi_highlight());
        fputs_safe(host ? host : "?", stdout);
        printf("%s\n", ansi_normal());
        print_fact("machine id:", js, "machine_id");
        print_fact("host name:", js, "hostname");
        long long nb = json_get_int(js, "n_boots", 0), nr = json_get_int(js, "n_reports", 0),
                  ng = json_get_int(js, "n_groups", 0), nk = json_get_int(js, "kernels", 0);
        printf("  %-13s %lld %s, %lld %s, %lld %s, %lld %s\n", "seen:", nb, plural(nb, "boot", "boots"), nr,
               plural(nr, "report", "reports"), ng, plural(ng, "group", "groups"), nk,
               plural(nk, "kernel", "kernels"));
        print_fact("first kernel:", js, "kernel_first");
        print_fact("last kernel:", js, "kernel_last");
        print_fact("first seen:", js, "first_seen");
        print_fact("last seen:", js, "last_seen");
        print_fact("journal read:", js, "journal_read");
        print_fact("last entry:", js, "last_entry");
        if (strcmp(journal_state(js), "silent") == 0)
                printf("%s  silent:       no journal entry from this host for longer than lockdepd's silent-after:\n"
                       "                no report from it does not mean it is clean%s\n",
                       ansi_highlight(), ansi_normal());
        if (table_rows(off) > 0) {
                long long off_n = json_get_int(js, "boots_lockdep_off", 0);
                printf("\n%sLockdep switched itself off in %lld %s:%s nothing after that point was validated.\n",
                       ansi_highlight(), off_n, plural(off_n, "boot", "boots"), ansi_normal());
                table_print(off, stdout, 4);
        }
        print_section("Groups", groups);
        print_section("Boots (newest first)", boots);
        return 0;
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

int verb_hosts(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                OUTPUT_OPTIONS,
                LIST_OPTIONS,
                {},
        };
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_closep) Store *s = NULL;
        HostsCtx ctx = {};
        StoreListQuery q = { .list = STORE_LIST_HOSTS };
        bool listing = false;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h" OUTPUT_SHORTOPTS, options, NULL)) >= 0) {
                r = list_option(c, optarg, &q);
                listing |= r > 0;
                if (r == 0)
                        r = output_option(c, optarg, &ctx.out);
                if (r < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "lockdepctl hosts: expected at most one NAME\n");
                return EXIT_USAGE;
        }
        const char *name = argv[optind];
        if (name && listing) {
                fprintf(stderr, "lockdepctl hosts: --sort, --order, --limit and --offset are for the list, not one host\n");
                return EXIT_USAGE;
        }
        s = open_db(true);
        if (!s)
                return 1;
        if (name) {
                static const NamedObject host = { "hosts", "no host ", "reading the host", store_host_json, print_host };
                return show_named(&host, s, name, &ctx.out);
        }
        /* at 80 columns: host names and releases cut in the middle (fleet names differ at their
         * end), "OFF", and no LAST ENTRY (JOURNAL still says "silent"; hosts NAME shows it) */
        t = ctx.table = table_new("|HOST", ">BOOTS", ">REPORTS", ">GROUPS", ">KERNELS", ">LOCKDEP OFF\tOFF",
                                  "|LAST KERNEL\tKERNEL", "LAST SEEN", "?LAST ENTRY", "JOURNAL", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        ctx.out.newest_last = false;
        r = store_list_hosts(s, &q, row, &ctx);
        if (r < 0) {
                output_done(&ctx.out);
                return store_failed(s, r, "listing hosts");
        }
        if (ctx.n == 0 && !output_json(&ctx.out)) {
                if (!ctx.out.quiet)
                        fputs("No hosts found.\n", stderr);
                return 1;
        }
        r = output_flush(&ctx.out, add_row, &ctx);
        if (r < 0)
                return print_oom();
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        list_footer(s, &q, &ctx.out, r, "host", "hosts");
        return 0;
}
