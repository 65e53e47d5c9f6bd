/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl reports [--group GROUP] [FILTERS]: occurrences, as a table or one JSON object a line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "table.h"

typedef struct ReportsCtx {
        bool json;
        unsigned n;
        Table *table;
} ReportsCtx;

static int row(const char *js, void *userdata) {
        ReportsCtx *c = userdata;
        static const char *const fields[] = { "id",     "group", "kind",  "host",
                                              "kernel", "time",  "source" };

        c->n++;
        if (c->json) {
                print_json(js);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (table_add_field(c->table, js, fields[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] reports [OPTIONS]\n\n"
               "List stored reports (occurrences), oldest first.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --json            One JSON object per report and line\n"
               "     --group GROUP     Only reports of this group (id or signature prefix)\n" QUERY_OPTIONS_HELP);
}

int verb_reports(int argc, char **argv) {
        enum {
                ARG_GROUP = _ARG_QUERY_MAX
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
                { "group", required_argument, NULL, ARG_GROUP },
                QUERY_OPTIONS,
                {},
        };
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_closep) Store *s = NULL;
        const char *group = NULL;
        ReportsCtx ctx = {};
        StoreQuery q = {};
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
                case ARG_GROUP:
                        group = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "lockdepctl reports: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        s = open_db(true);
        if (!s)
                return 1;
        if (group && resolve_group(s, group, &q.group) < 0)
                return 1;
        t = ctx.table =
                table_new(">ID", ">GROUP", "KIND", "HOST", "KERNEL", "TIME", "SOURCE", NULL);
        if (!t)
                return print_oom();
        pager_open();
        r = store_list_reports(s, &q, row, &ctx);
        if (r == -EINVAL) { /* a filter that means nothing for reports (--sort reports) */
                fprintf(stderr, "lockdepctl reports: %s\n", store_error(s));
                return EXIT_USAGE;
        }
        if (r < 0)
                return store_failed(s, r, "listing reports");
        if (ctx.n == 0 && !ctx.json) { /* an empty NDJSON stream is a valid answer */
                fprintf(stderr, "No reports found.\n");
                return 1;
        }
        if (ctx.json)
                return 0;
        table_print(t, stdout, 0);
        uint64_t total = 0; /* never a silent cap: say what the page is part of */
        if ((q.limit || q.offset) && store_count_reports(s, &q, &total) >= 0 && total > ctx.n)
                printf("\n%u of %llu reports shown (from %u); use --limit and --offset to see more.\n", ctx.n,
                       (unsigned long long) total, q.offset + 1);
        return 0;
}
