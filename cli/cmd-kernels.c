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
#include "table.h"

typedef struct KernelsCtx {
        Output out;
        unsigned n;
        Table *table;
} KernelsCtx;

static int row(const char *js, void *userdata) {
        KernelsCtx *c = userdata;
        c->n++;
        return output_row(&c->out, js);
}

static int add_row(const char *js, void *userdata) {
        KernelsCtx *c = userdata;
        static const char *const keys[] = {
                "kernel",   "n_hosts",    "n_boots",           "n_reports",
                "n_groups", "new_groups", "boots_lockdep_off", "last_seen"
        };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if (table_add_field(c->table, js, keys[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static int add_groups(Table *t, const char *arr) {
        static const char *const keys[] = { "id",          "kind",   "n_reports", "kernel_first",
                                            "kernel_last", "status", "func_title" };
        JsonIter it;
        const char *v;

        if (json_iter_init(&it, arr))
                while (json_iter_next(&it, NULL, &v))
                        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                                if (table_add_field(t, v, keys[i]) < 0)
                                        return -ENOMEM;
        return 0;
}

static void print_section(const char *title, Table *t) {
        printf("\n%s%s:%s\n", ansi_highlight(), title, ansi_normal());
        if (table_rows(t) > 0)
                table_print(t, stdout, 4);
        else
                printf("    (none)\n");
}

static int print_kernel(const char *js) {
        _cleanup_free_ char *rel = json_get_str(js, "kernel"),
                            *first = json_get_str(js, "first_seen"),
                            *last = json_get_str(js, "last_seen");
        _cleanup_(table_freep) Table *regr = table_new(">ID", "KIND", ">REPORTS", "|FIRST KERNEL",
                                                       "|LAST KERNEL", "STATUS", "~TITLE", NULL);
        _cleanup_(table_freep) Table *gone = table_new(">ID", "KIND", ">REPORTS", "|FIRST KERNEL",
                                                       "|LAST KERNEL", "STATUS", "~TITLE", NULL);
        _cleanup_(table_freep) Table *regressed = table_new(">ID", "KIND", ">REPORTS", "|FIRST KERNEL",
                                                            "|LAST KERNEL", "STATUS", "~TITLE", NULL);
        _cleanup_(table_freep) Table *hosts =
                table_new("~HOST", ">BOOTS", ">REPORTS", ">LOCKDEP OFF", NULL);
        JsonIter it;
        const char *v;

        if (!regr || !gone || !hosts || !regressed)
                return print_oom();
        if (add_groups(regr, json_get(js, "regressions")) < 0 || add_groups(regressed, json_get(js, "regressed")) < 0 ||
            add_groups(gone, json_get(js, "not_seen_since")) < 0)
                return print_oom();
        if (json_iter_init(&it, json_get(js, "hosts")))
                while (json_iter_next(&it, NULL, &v))
                        if (table_add_field(hosts, v, "host") < 0 ||
                            table_add_field(hosts, v, "n_boots") < 0 ||
                            table_add_field(hosts, v, "n_reports") < 0 ||
                            table_add_field(hosts, v, "boots_lockdep_off") < 0)
                                return print_oom();

        printf("%sKernel ", ansi_highlight());
        fputs_safe(rel ? rel : "?", stdout);
        printf("%s\n", ansi_normal());
        long long nh = json_get_int(js, "n_hosts", 0), nb = json_get_int(js, "n_boots", 0),
                  nr = json_get_int(js, "n_reports", 0), ng = json_get_int(js, "n_groups", 0),
                  off = json_get_int(js, "boots_lockdep_off", 0);
        printf("  %lld %s, %lld %s, %lld %s, %lld %s (%lld new), lockdep off in %lld %s\n", nh,
               plural(nh, "host", "hosts"), nb, plural(nb, "boot", "boots"), nr, plural(nr, "report", "reports"), ng,
               plural(ng, "group", "groups"), (long long) json_get_int(js, "new_groups", 0), off,
               plural(off, "boot", "boots"));
        printf("  first seen: ");
        fputs_safe(first ? first : "-", stdout);
        printf(", last seen: ");
        fputs_safe(last ? last : "-", stdout);
        putchar('\n');
        print_section("New in this release (first seen on it)", regr);
        print_section("Regressed (fixed before, reported again: first on this release)", regressed);
        print_section("Not seen since (last seen on an older release: probably fixed)", gone);
        print_section("Hosts", hosts);
        return 0;
}

static const char *vs_release;

static int get_vs(Store *s, const char *rel, char **ret) {
        return store_kernel_vs_json(s, rel, vs_release, ret);
}

static int print_vs(const char *js) {
        static const struct {
                const char *key, *title;
        } sections[] = {
                { "new", "New (reported on %s, not on %s)" },
                { "gone", "Gone (reported on %2$s, not on %1$s)" },
                { "still", "Still present (reported on both)" },
        };
        _cleanup_free_ char *rel = json_get_str(js, "kernel"), *vs = json_get_str(js, "vs");
        _cleanup_free_ char *erel = escape_safe(rel ? rel : "?"), *evs = escape_safe(vs ? vs : "?");
        if (!erel || !evs)
                return print_oom();
        printf("%sKernel %s vs %s%s\n", ansi_highlight(), erel, evs, ansi_normal());
        for (size_t i = 0; i < ELEMENTSOF(sections); i++) {
                _cleanup_(table_freep) Table *t = table_new(">ID", "KIND", ">REPORTS", "|FIRST KERNEL", "|LAST KERNEL",
                                                            "STATUS", "~TITLE", NULL);
                char title[600];
                if (!t || add_groups(t, json_get(js, sections[i].key)) < 0)
                        return print_oom();
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
                snprintf(title, sizeof(title), sections[i].title, erel, evs);
#pragma GCC diagnostic pop
                print_section(title, t);
        }
        return 0;
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

int verb_kernels(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                OUTPUT_OPTIONS,
                { "vs", required_argument, NULL, _ARG_QUERY_MAX },
                LIST_OPTIONS,
                {},
        };
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_closep) Store *s = NULL;
        KernelsCtx ctx = {};
        StoreListQuery q = { .list = STORE_LIST_KERNELS };
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
                case _ARG_QUERY_MAX:
                        vs_release = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "lockdepctl kernels: expected at most one RELEASE\n");
                return EXIT_USAGE;
        }
        const char *rel = argv[optind];
        if (vs_release && !rel) {
                fprintf(stderr, "lockdepctl kernels: --vs needs a RELEASE to compare\n");
                return EXIT_USAGE;
        }
        if (rel && listing) {
                fprintf(stderr, "lockdepctl kernels: --sort, --order, --limit and --offset are for the list, not one release\n");
                return EXIT_USAGE;
        }
        s = open_db(true);
        if (!s)
                return 1;
        if (rel && vs_release) {
                static const NamedObject kernels = { "kernels", "no boots ran both releases: ",
                                                     "comparing the kernel releases", get_vs, print_vs };
                return show_named(&kernels, s, rel, &ctx.out);
        }
        if (rel) {
                static const NamedObject kernel = { "kernels", "no boot ran kernel ", "reading the kernel release",
                                                    store_kernel_json, print_kernel };
                return show_named(&kernel, s, rel, &ctx.out);
        }
        t = ctx.table = table_new("|KERNEL", ">HOSTS", ">BOOTS", ">REPORTS", ">GROUPS", ">NEW",
                                  ">LOCKDEP OFF", "LAST SEEN", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        ctx.out.newest_last = false;
        r = store_list_kernels(s, &q, row, &ctx);
        if (r < 0) {
                output_done(&ctx.out);
                return store_failed(s, r, "listing kernel releases");
        }
        if (ctx.n == 0 && !output_json(&ctx.out)) {
                if (!ctx.out.quiet)
                        fputs("No kernel releases found.\n", stderr);
                return 1;
        }
        r = output_flush(&ctx.out, add_row, &ctx);
        if (r < 0)
                return print_oom();
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        list_footer(s, &q, &ctx.out, r, "kernel release", "kernel releases");
        return 0;
}
