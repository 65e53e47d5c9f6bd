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
        Output out;
        unsigned n;
        Table *table;
} ReportsCtx;

static int row(const char *js, void *userdata) {
        ReportsCtx *c = userdata;
        c->n++;
        return output_row(&c->out, js);
}

static int add_row(const char *js, void *userdata) {
        ReportsCtx *c = userdata;
        static const char *const fields[] = { "id",     "group", "kind",  "host",
                                              "kernel", "time",  "source" };

        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (table_add_field(c->table, js, fields[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] reports [OPTIONS]\n\n"
               "List stored reports (occurrences), oldest first.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n" OUTPUT_OPTIONS_HELP
               "     --group GROUP     Only reports of this group (id or signature prefix)\n" QUERY_OPTIONS_HELP);
}

int verb_reports(int argc, char **argv) {
        enum {
                ARG_GROUP = _ARG_QUERY_MAX
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                OUTPUT_OPTIONS,
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
                table_new(">ID", ">GROUP", "KIND", "~HOST", "|KERNEL", "TIME", "|SOURCE", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        /* the rows come oldest first unless sorted by last_seen: -n takes the newest */
        ctx.out.newest_last = q.sort != STORE_SORT_LAST_SEEN;
        r = store_list_reports(s, &q, row, &ctx);
        if (r == -EINVAL) { /* a filter that means nothing for reports (--sort reports) */
                fprintf(stderr, "lockdepctl reports: %s\n", store_error(s));
                return EXIT_USAGE;
        }
        if (r < 0) {
                output_done(&ctx.out);
                return store_failed(s, r, "listing reports");
        }
        if (ctx.n == 0 && !output_json(&ctx.out)) { /* an empty NDJSON stream is a valid answer */
                if (!ctx.out.quiet)
                        fprintf(stderr, "No reports found.\n");
                return 1;
        }
        r = output_flush(&ctx.out, add_row, &ctx);
        if (r < 0)
                return print_oom();
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        uint64_t total = 0; /* never a silent cap: say what the page is part of, on stderr */
        if ((q.limit || q.offset || ctx.out.lines) && store_count_reports(s, &q, &total) >= 0 && total > (uint64_t) r)
                output_note(&ctx.out, "\n%d of %llu %s shown; use --limit and --offset or -n to see more.\n", r,
                            (unsigned long long) total, plural((long long) total, "report", "reports"));
        return 0;
}
