/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl reports [--group GROUP] [FILTERS]: occurrences, as a table or one JSON object a line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "table.h"

static int add_row(Table *t, const StoreReportRow *rep) {
        char time[STORE_TIME_MAX];
        if (table_addf(t, "%lld", (long long) rep->id) < 0 ||
            (rep->group > 0 ? table_addf(t, "%lld", (long long) rep->group) : table_add(t, NULL)) < 0 ||
            table_add(t, rep->kind) < 0 || table_add(t, rep->host) < 0 || table_add(t, rep->kernel) < 0 ||
            table_add(t, store_time_iso(rep->time, time)) < 0 || table_add(t, rep->source) < 0)
                return -ENOMEM;
        return 0;
}

/* The rows of the view for output_view(). */
static int row_json(const void *row, StrBuf *b) {
        return store_report_row_json(row, b);
}

static int row_table(Table *t, const void *row) {
        return add_row(t, row);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] reports [OPTIONS]\n\n"
               "List stored reports (occurrences), oldest first.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n" OUTPUT_OPTIONS_HELP
               "     --group GROUP     Only reports of this group (id or signature prefix)\n" QUERY_OPTIONS_HELP);
}

enum {
        ARG_GROUP = _ARG_QUERY_MAX
};

static StoreQuery arg_query;
static const char *arg_group;
static const struct option options[] = {
        { "group", required_argument, NULL, ARG_GROUP },
        QUERY_OPTIONS,
        {},
};

static int option(int c, const char *optarg) {
        if (c == ARG_GROUP) {
                arg_group = optarg;
                return 0;
        }
        return query_option(c, optarg, &arg_query) > 0 ? 0 : -EINVAL;
}

static int run(VerbRun *v) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_report_list_free) StoreReportList list = {};
        const char *group = arg_group;
        Output *out = &v->out;
        StoreQuery q = arg_query;
        Store *s = verb_db(v);
        int r;

        if (!s)
                return 1;
        if (group && resolve_group(s, group, &q.group) < 0)
                return 1;
        t = table_new(">ID", ">GROUP", "KIND", "~HOST", "|KERNEL", "TIME", "|SOURCE", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (out->no_legend)
                table_hide_header(t);
        /* the rows come oldest first unless sorted by last_seen: -n takes the newest */
        out->newest_last = q.sort != STORE_SORT_LAST_SEEN;
        r = store_report_list(s, &q, &list);
        if (r == -EINVAL) { /* a filter that means nothing for reports (--sort reports) */
                fprintf(stderr, "lockdepctl reports: %s\n", store_error(s));
                return EXIT_USAGE;
        }
        if (r < 0)
                return r == -ENOMEM ? print_oom() : store_failed(s, r, "listing reports");
        if (list.n == 0 && !output_json(out)) { /* an empty NDJSON stream is a valid answer */
                if (!out->quiet)
                        fprintf(stderr, "No reports found.\n");
                return 1;
        }
        r = output_view(out, list.v, list.n, sizeof(*list.v), row_json, row_table, t);
        if (r < 0)
                return print_oom();
        size_t shown = (size_t) r;
        if (output_json(out))
                return 0;
        table_print(t, stdout, 0);
        uint64_t total = 0; /* never a silent cap: say what the page is part of, on stderr */
        if ((q.limit || q.offset || out->lines) && store_count_reports(s, &q, &total) >= 0 && total > shown)
                output_note(out, "\n%zu of %llu %s shown; use --limit and --offset or -n to see more.\n", shown,
                            (unsigned long long) total, plural((long long) total, "report", "reports"));
        return 0;
}

const VerbSpec verb_reports = {
        .max_args = 0,
        .flags = VERB_OUTPUT,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
