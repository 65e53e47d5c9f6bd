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
        unsigned n;
        Table *table;
} LocksCtx;

/* The strings (or the "name" of the objects) of a JSON array joined with ", ". */
static char *join_array(const char *v) {
        StrBuf b = {};
        JsonIter it;
        const char *e;

        strbuf_puts(&b, "");
        if (json_iter_init(&it, v))
                while (json_iter_next(&it, NULL, &e)) {
                        _cleanup_free_ char *s = *e == '{' ? json_get_str(e, "name") : json_str(e);
                        if (b.len > 0)
                                strbuf_puts(&b, ", ");
                        strbuf_puts(&b, s ? s : "");
                }
        return strbuf_steal(&b);
}

static int row(const char *js, void *userdata) {
        LocksCtx *c = userdata;
        c->n++;
        return output_row(&c->out, js);
}

static int add_row(const char *js, void *userdata) {
        LocksCtx *c = userdata;
        _cleanup_free_ char *printed = join_array(json_get(js, "printed"));
        if (table_add_field(c->table, js, "name") < 0 ||
            table_add_field(c->table, js, "n_groups") < 0 ||
            table_add_field(c->table, js, "n_edges") < 0 || table_add(c->table, printed) < 0)
                return -ENOMEM;
        return 0;
}

static void print_lock(const char *js) {
        _cleanup_free_ char *name = json_get_str(js, "name"),
                            *printed = join_array(json_get(js, "printed"));
        _cleanup_(table_freep) Table *groups = table_new(">ID", "KIND", ">REPORTS", "~TITLE", NULL);
        _cleanup_(table_freep) Table *edges =
                table_new("FROM", "TO", ">REPORTS", "|FIRST KERNEL", NULL);
        JsonIter it;
        const char *v;

        printf("%sLock class ", ansi_highlight());
        fputs_safe(name ? name : "?", stdout);
        printf("%s\n", ansi_normal());
        if (printed && printed[0]) {
                printf("  printed as: ");
                fputs_safe(printed, stdout);
                putchar('\n');
        }
        if (!groups || !edges)
                return;
        if (json_iter_init(&it, json_get(js, "groups")))
                while (json_iter_next(&it, NULL, &v))
                        if (table_add_field(groups, v, "id") < 0 ||
                            table_add_field(groups, v, "kind") < 0 ||
                            table_add_field(groups, v, "n_reports") < 0 ||
                            table_add_field(groups, v, "func_title") < 0)
                                return;
        if (json_iter_init(&it, json_get(js, "edges")))
                while (json_iter_next(&it, NULL, &v))
                        if (table_add_field(edges, v, "from") < 0 ||
                            table_add_field(edges, v, "to") < 0 ||
                            table_add_field(edges, v, "n") < 0 ||
                            table_add_field(edges, v, "first_kernel") < 0)
                                return;
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

int verb_locks(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                OUTPUT_OPTIONS,
                LIST_OPTIONS,
                {},
        };
        _cleanup_(table_freep) Table *t = NULL;
        _cleanup_(store_closep) Store *s = NULL;
        const char *name = NULL;
        LocksCtx ctx = {};
        StoreListQuery q = { .list = STORE_LIST_LOCKS };
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h" OUTPUT_SHORTOPTS, options, NULL)) >= 0) {
                r = list_option(c, optarg, &q);
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
                fprintf(stderr, "lockdepctl locks: expected at most one NAME\n");
                return EXIT_USAGE;
        }
        name = argv[optind];
        s = open_db(true);
        if (!s)
                return 1;
        if (name) {
                _cleanup_free_ char *js = NULL;
                r = store_lock_json(s, name, &js);
                if (r >= 0) {
                        pager_open();
                        if (output_json(&ctx.out))
                                output_json_object(&ctx.out, js);
                        else
                                print_lock(js);
                        return 0;
                }
                if (r != -ENOENT)
                        return store_failed(s, r, "reading the lock class");
        }
        t = ctx.table = table_new("NAME", ">GROUPS", ">EDGES", "~PRINTED AS", NULL);
        if (!t)
                return print_oom();
        pager_open();
        if (ctx.out.no_legend)
                table_hide_header(t);
        q.name = name;
        r = store_list_locks(s, &q, row, &ctx);
        if (r < 0) {
                output_done(&ctx.out);
                return store_failed(s, r, "listing lock classes");
        }
        if (ctx.n == 0 && !output_json(&ctx.out)) { /* an empty NDJSON stream is a valid answer */
                if (name) {
                        fputs("No lock class matches '", stderr);
                        fputs_safe(name, stderr);
                        fputs("'.\n", stderr);
                } else
                        fputs("No lock classes found.\n", stderr);
                return 1;
        }
        r = output_flush(&ctx.out, add_row, &ctx);
        if (r < 0)
                return print_oom();
        if (output_json(&ctx.out))
                return 0;
        table_print(t, stdout, 0);
        list_footer(s, &q, &ctx.out, r, "lock class", "lock classes");
        return 0;
}
