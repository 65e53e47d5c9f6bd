/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl list [FILTERS]: report groups as a table, or with --json one object per line (the
 * objects of the web API). The database is opened read-only and can be read while lockdepd writes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "table.h"

typedef struct ListCtx {
        Output out;
        unsigned n;
        Table *table;
} ListCtx;

static int row(const char *js, void *userdata) {
        ListCtx *c = userdata;
        c->n++;
        return output_row(&c->out, js);
}

static int add_row(const char *js, void *userdata) {
        ListCtx *c = userdata;
        if (table_add_field(c->table, js, "id") < 0 || table_add_field(c->table, js, "kind") < 0 ||
            table_add_field(c->table, js, "n_reports") < 0 ||
            table_add_field(c->table, js, "n_hosts") < 0 ||
            table_add_field(c->table, js, "last_seen") < 0 ||
            table_add_field(c->table, js, "status") < 0)
                return -ENOMEM;
        if (json_get_int(js, "suppressed", 0)) { /* shown with --all: say so */
                _cleanup_free_ char *title = json_get_str(js, "func_title");
                _cleanup_free_ char *key = json_get_str(js, "key");
                _cleanup_free_ char *t = NULL;
                if (asprintf(&t, "[suppressed] %s", title ? title : key ? key : "") < 0)
                        return -ENOMEM;
                return table_add(c->table, t);
        }
        _cleanup_free_ char *title = json_get_str(js, "func_title");
        _cleanup_free_ char *key = json_get_str(js, "key");
        return table_add(c->table, title ? title : key);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] list [OPTIONS]\n\n"
               "List report groups: one row per lock cycle or problem, most recent first.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n" OUTPUT_OPTIONS_HELP QUERY_OPTIONS_HELP);
}

int verb_list(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                OUTPUT_OPTIONS,
                QUERY_OPTIONS,
                {},
        };
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_closep) Store *s = NULL;
        ListCtx ctx = {};
        StoreQuery q = {};
        uint64_t total = 0;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h" OUTPUT_SHORTOPTS, options, NULL)) >= 0) {
                r = query_option(c, optarg, &q);
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
        if (optind < argc) {
                fprintf(stderr, "lockdepctl list: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        s = open_db(true);
        if (!s)
                return 1;
        t = ctx.table = table_new(">ID", "KIND", ">REPORTS", ">HOSTS", "LAST SEEN", "STATUS",
                                  "~TITLE", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        r = store_list_groups(s, &q, row, &ctx);
        if (r < 0) {
                output_done(&ctx.out);
                return store_failed(s, r, "listing groups");
        }
        if (ctx.n == 0 && !output_json(&ctx.out)) { /* an empty NDJSON stream is a valid answer */
                if (!ctx.out.quiet)
                        fprintf(stderr, "No groups found.\n");
                return 1;
        }
        r = output_flush(&ctx.out, add_row, &ctx);
        if (r < 0)
                return print_oom();
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        /* a footer, never on stdout: what is shown is part of more */
        if ((q.limit || q.offset || ctx.out.lines) && store_count_groups(s, &q, &total) >= 0 && total > (uint64_t) r)
                output_note(&ctx.out, "\n%d of %llu %s shown; use --limit or -n to see more.\n", r,
                            (unsigned long long) total, plural((long long) total, "group", "groups"));
        return 0;
}
