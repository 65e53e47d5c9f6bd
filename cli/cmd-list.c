/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl list [FILTERS]: report groups as a table, or with --json one object per line (the
 * objects of the web API, written by the same serializer), both from the store's typed view. The
 * database is opened read-only and can be read while lockdepd writes.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "table.h"

/* One table row from the typed view: the same columns as ever, a suppressed group (shown with
 * --all) says so in its title. */
static int add_row(Table *t, const StoreGroupRow *g) {
        char last[STORE_TIME_MAX];
        const char *title = g->func_title ? g->func_title : g->key;
        if (table_addf(t, "%lld", (long long) g->id) < 0 || table_add(t, g->kind) < 0 ||
            table_addf(t, "%lld", (long long) g->n_reports) < 0 || table_addf(t, "%lld", (long long) g->n_hosts) < 0 ||
            table_add(t, store_time_iso(g->last_seen, last)) < 0 || table_add(t, g->status) < 0)
                return -ENOMEM;
        if (g->suppressed)
                return table_addf(t, "[suppressed] %s", title ? title : "");
        return table_add(t, title);
}

/* The rows of the view for output_view(). */
static int row_json(const void *row, StrBuf *b) {
        return store_group_row_json(row, b);
}

static int row_table(Table *t, const void *row) {
        return add_row(t, row);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] list [OPTIONS]\n\n"
               "List report groups: one row per lock cycle or problem, most recent first.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n" OUTPUT_OPTIONS_HELP QUERY_OPTIONS_HELP);
}

static StoreQuery arg_query;
static const struct option options[] = {
        QUERY_OPTIONS,
        {},
};

static int option(int c, const char *optarg) {
        return query_option(c, optarg, &arg_query) > 0 ? 0 : -EINVAL;
}

static int run(VerbRun *v) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_group_list_free) StoreGroupList list = {};
        Output *out = &v->out;
        StoreQuery q = arg_query;
        Store *s = verb_db(v);
        uint64_t total = 0;
        int r;

        if (!s)
                return 1;
        t = table_new(">ID", "KIND", ">REPORTS", ">HOSTS", "LAST SEEN", "STATUS", "~TITLE", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (out->no_legend)
                table_hide_header(t);
        r = store_group_list(s, &q, &list);
        if (r < 0)
                return r == -ENOMEM ? print_oom() : store_failed(s, r, "listing groups");
        if (list.n == 0 && !output_json(out)) { /* an empty NDJSON stream is a valid answer */
                if (!out->quiet)
                        fprintf(stderr, "No groups found.\n");
                return 1;
        }
        r = output_view(out, list.v, list.n, sizeof(*list.v), row_json, row_table, t);
        if (r < 0)
                return print_oom();
        size_t shown = (size_t) r;
        if (output_json(out))
                return 0;
        table_print(t, stdout, 0);
        /* a footer, never on stdout: what is shown is part of more */
        if ((q.limit || q.offset || out->lines) && store_count_groups(s, &q, &total) >= 0 && total > shown)
                output_note(out, "\n%zu of %llu %s shown; use --limit or -n to see more.\n", shown,
                            (unsigned long long) total, plural((long long) total, "group", "groups"));
        return 0;
}

const VerbSpec verb_list = {
        .max_args = 0,
        .flags = VERB_OUTPUT,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
