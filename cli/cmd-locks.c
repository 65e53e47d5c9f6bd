/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl locks [NAME]: lock classes with the number of groups and edges they are in; with a
 * NAME that is a canonical class, its printed names, groups and lock-order edges; with any other
 * NAME, the classes it matches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "table.h"

typedef struct LocksCtx {
        Output out;
} LocksCtx;

/* The strings joined with ", " (malloc()ed; NULL on ENOMEM). */
static char *join(const StoreStrings *v) {
        StrBuf b = {};
        if (strbuf_puts(&b, "") < 0)
                return NULL;
        for (size_t i = 0; i < v->n; i++)
                if ((i && strbuf_puts(&b, ", ") < 0) || strbuf_puts(&b, v->v[i]) < 0) {
                        strbuf_done(&b);
                        return NULL;
                }
        return strbuf_steal(&b);
}

static int add_row(Table *t, const StoreLock *l) {
        _cleanup_free_ char *printed = join(&l->printed);
        if (!printed || table_add(t, l->name) < 0 || table_addf(t, "%lld", (long long) l->n_groups) < 0 ||
            table_addf(t, "%lld", (long long) l->n_edges) < 0 || table_add(t, printed) < 0)
                return -ENOMEM;
        return 0;
}

static int print_lock(const StoreLockDetail *d) {
        _cleanup_free_ char *printed = join(&d->printed);
        _cleanup_(table_freep) Table *groups = table_new(">ID", "KIND", ">REPORTS", "~TITLE", NULL);
        _cleanup_(table_freep) Table *edges = table_new("FROM", "TO", ">REPORTS", "|FIRST KERNEL", NULL);

        if (!printed || !groups || !edges)
                return print_oom();
        for (size_t i = 0; i < d->n_group_rows; i++) {
                const StoreLockGroup *g = &d->groups[i];
                if (table_addf(groups, "%lld", (long long) g->id) < 0 || table_add(groups, g->kind) < 0 ||
                    table_addf(groups, "%lld", (long long) g->n_reports) < 0 || table_add(groups, g->func_title) < 0)
                        return print_oom();
        }
        for (size_t i = 0; i < d->n_edge_rows; i++) {
                const StoreLockEdge *e = &d->edges[i];
                if (table_add(edges, e->from) < 0 || table_add(edges, e->to) < 0 ||
                    table_addf(edges, "%lld", (long long) e->n) < 0 || table_add(edges, e->first_kernel) < 0)
                        return print_oom();
        }
        printf("%sLock class ", ansi_highlight());
        fputs_safe(d->name ? d->name : "?", stdout);
        printf("%s\n", ansi_normal());
        if (printed[0]) {
                printf("  printed as: ");
                fputs_safe(printed, stdout);
                putchar('\n');
        }
        printf("\n%sGroups:%s\n", ansi_highlight(), ansi_normal());
        if (table_rows(groups) > 0)
                table_print(groups, stdout, 4);
        else
                printf("    (none)\n");
        printf("\n%sLock-order edges:%s\n", ansi_highlight(), ansi_normal());
        if (table_rows(edges) > 0)
                table_print(edges, stdout, 4);
        else
                printf("    (none)\n");
        return 0;
}

/* The rows of the view for output_view(). */
static int row_json(const void *row, StrBuf *b) {
        return store_lock_json(row, b);
}

static int row_table(Table *t, const void *row) {
        return add_row(t, row);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] locks [OPTIONS] [NAME]\n\n"
               "List lock classes (canonical names) with the groups and lock-order edges they\n"
               "are in. With the NAME of a class, show its groups and edges; with another NAME,\n"
               "list the classes that match it.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               OUTPUT_OPTIONS_HELP);
        list_sorts_help(STORE_LIST_LOCKS);
        fputs(LIST_OPTIONS_HELP, stdout);
}

static StoreListQuery arg_list = { .list = STORE_LIST_LOCKS };
static const struct option options[] = {
        LIST_OPTIONS,
        {},
};

static int option(int c, const char *optarg) {
        return list_option(c, optarg, &arg_list) > 0 ? 0 : -EINVAL;
}

static int run(VerbRun *v) {
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_lock_list_free) StoreLockList list = {};
        const char *name = NULL;
        LocksCtx ctx = { .out = v->out };
        StoreListQuery q = arg_list;
        Store *s;
        int r;

        name = v->argc > 0 ? v->argv[0] : NULL;
        s = verb_db(v);
        if (!s)
                return 1;
        if (name) {
                _cleanup_(store_lock_detail_free) StoreLockDetail d = {};
                r = store_lock_detail(s, name, &d);
                if (r >= 0) {
                        pager_open();
                        if (!output_json(&ctx.out))
                                return print_lock(&d);
                        StrBuf b = {};
                        if (store_lock_detail_json(&d, &b) < 0)
                                return print_oom();
                        output_json_object(&ctx.out, b.s);
                        strbuf_done(&b);
                        return 0;
                }
                if (r != -ENOENT)
                        return store_failed(s, r, "reading the lock class");
        }
        t = table_new("NAME", ">GROUPS", ">EDGES", "~PRINTED AS", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        q.name = name;
        r = store_lock_list(s, &q, &list);
        if (r < 0)
                return store_failed(s, r, "listing lock classes");
        if (list.n == 0 && !output_json(&ctx.out)) { /* an empty NDJSON stream is a valid answer */
                if (name) {
                        fputs("No lock class matches '", stderr);
                        fputs_safe(name, stderr);
                        fputs("'.\n", stderr);
                } else
                        fputs("No lock classes found.\n", stderr);
                return 1;
        }
        r = output_view(&ctx.out, list.v, list.n, sizeof(*list.v), row_json, row_table, t);
        if (r < 0)
                return print_oom();
        size_t shown = (size_t) r;
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        list_footer(s, &q, &ctx.out, (int) shown, "lock class", "lock classes");
        return 0;
}

const VerbSpec verb_locks = {
        .max_args = 1,
        .args = "expected at most one NAME",
        .flags = VERB_OUTPUT,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
