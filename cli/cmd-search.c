/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl search TEXT...: full-text search (SQLite FTS5) in the raw text of stored reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "table.h"

typedef struct SearchCtx {
        Output out;
} SearchCtx;

static int add_row(Table *t, const StoreSearchHit *x) {
        char time[STORE_TIME_MAX];
        if (table_addf(t, "%lld", (long long) x->id) < 0 ||
            (x->group == STORE_NONE ? table_add(t, NULL) : table_addf(t, "%lld", (long long) x->group)) < 0 ||
            table_add(t, x->kind) < 0 || table_add(t, x->host) < 0 || table_add(t, store_time_iso(x->time, time)) < 0)
                return -ENOMEM;
        /* a snippet spans lines: show it on one */
        _cleanup_free_ char *snippet = x->snippet ? strdup(x->snippet) : NULL;
        if (x->snippet && !snippet)
                return -ENOMEM;
        for (char *p = snippet; p && *p; p++)
                if (*p == '\n' || *p == '\t' || *p == '\r')
                        *p = ' ';
        return table_add(t, snippet);
}

/* The rows of the view for output_view(). */
static int row_json(const void *row, StrBuf *b) {
        return store_search_hit_json(row, b);
}

static int row_table(Table *t, const void *row) {
        return add_row(t, row);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] search [OPTIONS] TEXT...\n\n"
               "Search the raw text of the stored reports. TEXT is a list of words, or an SQLite\n"
               "FTS5 query (\"phrase\", AND, OR, NOT, prefix*). Words also find the other names of\n"
               "the lock classes they are part of (class aliases: mmap_lock finds mmap_sem).\n"
               "The filters are those of lockdepctl reports; --status is the triage status of\n"
               "the report's group. Best matches first unless --sort says otherwise.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               OUTPUT_OPTIONS_HELP QUERY_FILTERS_HELP
               "     --sort FIELD      last_seen (newest first), first_seen or id; default: rank\n"
               "     --limit N         Show at most N reports (default: 100)\n"
               "     --offset N        Skip the first N\n"
               "     --all             Also what suppression rules hide\n");
}

static StoreQuery arg_query = { .limit = 100 };
static const struct option options[] = {
        QUERY_OPTIONS,
        {},
};

static int option(int c, const char *optarg) {
        return query_option(c, optarg, &arg_query) > 0 ? 0 : -EINVAL;
}

static int run(VerbRun *v) {
        _cleanup_(table_freep) Table *t = NULL;
        StrBuf text = {};
        _cleanup_(store_search_list_free) StoreSearchList hits = {};
        SearchCtx ctx = { .out = v->out };
        StoreQuery q = arg_query;
        uint64_t total = 0;
        Store *s;
        int r;

        if (v->argc == 0) {
                fprintf(stderr, "lockdepctl search: no TEXT to search for\n");
                return EXIT_USAGE;
        }
        for (int i = 0; i < v->argc; i++)
                if ((i > 0 && strbuf_appendc(&text, ' ') < 0) ||
                    strbuf_puts(&text, v->argv[i]) < 0) {
                        strbuf_done(&text);
                        return print_oom();
                }
        s = verb_db(v);
        t = table_new(">ID", ">GROUP", "KIND", "~HOST", "TIME", "~MATCH", NULL);
        if (!s || !t) {
                strbuf_done(&text);
                return s ? print_oom() : 1;
        }
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        r = store_search(s, text.s, &q, &hits);
        if (r >= 0 && !output_json(&ctx.out) && (q.offset || hits.n >= q.limit || ctx.out.lines))
                r = store_count_search(s, text.s, &q, &total);
        strbuf_done(&text);
        if (r == -EINVAL) {
                fprintf(stderr, "lockdepctl search: %s\n", store_error(s));
                return EXIT_USAGE;
        }
        if (r < 0)
                return store_failed(s, r, "searching");
        if (hits.n == 0 && !output_json(&ctx.out)) { /* an empty NDJSON stream is a valid answer */
                fprintf(stderr, "No reports match.\n");
                return 1;
        }
        r = output_view(&ctx.out, hits.v, hits.n, sizeof(*hits.v), row_json, row_table, t);
        if (r < 0)
                return print_oom();
        size_t shown = (size_t) r;
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        if (total > shown)
                output_note(&ctx.out, "\n%zu of %llu %s shown; use --limit/--offset or -n to see more.\n", shown,
                            (unsigned long long) total, plural((long long) total, "report", "reports"));
        return 0;
}

const VerbSpec verb_search = {
        .max_args = VERB_ANY,
        .flags = VERB_OUTPUT,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
