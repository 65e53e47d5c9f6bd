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
        bool json;
        unsigned n;
        Table *table;
} ListCtx;

static int row(const char *js, void *userdata) {
        ListCtx *c = userdata;

        c->n++;
        if (c->json) {
                print_json(js);
                return 0;
        }
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
               "  -h --help            Show this help\n"
               "     --json            One JSON object per group and line\n" QUERY_OPTIONS_HELP);
}

int verb_list(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
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
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                r = query_option(c, optarg, &q);
                if (r < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_JSON:
                        ctx.json = true;
                        break;
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
                                  "TITLE", NULL);
        if (!t)
                return print_oom();
        pager_open();
        r = store_list_groups(s, &q, row, &ctx);
        if (r < 0)
                return store_failed(s, r, "listing groups");
        if (ctx.n == 0 && !ctx.json) { /* an empty NDJSON stream is a valid answer */
                fprintf(stderr, "No groups found.\n");
                return 1;
        }
        if (ctx.json)
                return 0;
        table_print(t, stdout, 0);
        if ((q.limit || q.offset) && store_count_groups(s, &q, &total) >= 0 && total > ctx.n)
                printf("\n%u of %llu groups shown; use --limit to see more.\n", ctx.n,
                       (unsigned long long) total);
        return 0;
}
