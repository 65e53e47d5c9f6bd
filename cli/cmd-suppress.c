/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl suppress --class NAME | --edge A,B [--expires TIME] [--note TEXT]
 * lockdepctl suppress --list | --delete ID
 *
 * Suppression rules hide the groups a lock class or a lock-order edge takes part in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "table.h"
#include "time-spec.h"

typedef struct SuppressCtx {
        Output out;
        int64_t only; /* print just this id (after adding it); 0 = all */
} SuppressCtx;

/* One table row from the typed view. */
static int add_row(Table *t, const StoreSuppression *x) {
        char expires[STORE_TIME_MAX];
        int r = table_addf(t, "%lld", (long long) x->id);
        if (r >= 0)
                r = table_add(t, x->cls);
        if (r >= 0)
                r = x->edge_from || x->edge_to
                            ? table_addf(t, "%s -> %s", x->edge_from ? x->edge_from : "?", x->edge_to ? x->edge_to : "?")
                            : table_add(t, NULL);
        if (r >= 0)
                r = table_add(t, x->expires == STORE_NONE ? NULL : store_time_iso(x->expires, expires));
        if (r >= 0)
                r = table_add(t, x->active ? "yes" : "no");
        if (r >= 0)
                r = table_add(t, x->note);
        return r;
}

/* The rows of the view for output_view(). */
static int row_json(const void *row, StrBuf *b) {
        return store_suppression_json(row, b);
}

static int row_table(Table *t, const void *row) {
        return add_row(t, row);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] suppress [OPTIONS]\n\n"
               "Add a suppression rule for a lock class or a lock-order edge; the groups it\n"
               "matches are hidden. Or list or delete the rules.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --class NAME      Suppress every group the lock class NAME is in\n"
               "     --edge A,B        Suppress the lock-order edge A -> B (B taken while A held)\n"
               "     --expires TIME    The rule ends at TIME (YYYY-MM-DD, ISO time, +30d, ...)\n"
               "     --note TEXT       Why\n"
               "     --list            List the rules (oldest first), with the output options:\n"
               "     --delete ID       Delete rule ID\n"
               OUTPUT_OPTIONS_HELP
               "\nThe JSON form is the rule objects (of the rule added, or of --list).\n");
}

enum {
        ARG_CLASS = _ARG_QUERY_MAX,
        ARG_EDGE,
        ARG_EXPIRES,
        ARG_NOTE,
        ARG_LIST,
        ARG_DELETE
};

static char *arg_edge_from; /* (reachable until exit) */
static const char *arg_class, *arg_edge_to, *arg_note;
static bool arg_list;
static int64_t arg_delete;
static uint64_t arg_expires;
static const struct option options[] = {
        { "class", required_argument, NULL, ARG_CLASS },
        { "edge", required_argument, NULL, ARG_EDGE },
        { "expires", required_argument, NULL, ARG_EXPIRES },
        { "note", required_argument, NULL, ARG_NOTE },
        { "list", no_argument, NULL, ARG_LIST },
        { "delete", required_argument, NULL, ARG_DELETE },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_CLASS:
                arg_class = optarg;
                return 0;
        case ARG_EDGE: {
                const char *comma = strchr(optarg, ',');
                if (!comma || comma == optarg || !comma[1]) {
                        fprintf(stderr, "lockdepctl suppress: --edge wants FROM,TO\n");
                        return -EINVAL;
                }
                free(arg_edge_from);
                arg_edge_from = strndup(optarg, (size_t) (comma - optarg));
                if (!arg_edge_from) {
                        print_oom();
                        return -ENOMEM;
                }
                arg_edge_to = comma + 1;
                return 0;
        }
        case ARG_EXPIRES:
                if (time_parse(optarg, TIME_UNTIL, time_now(), &arg_expires) < 0) {
                        fprintf(stderr, "lockdepctl suppress: cannot parse time '%s'\n", optarg);
                        return -EINVAL;
                }
                return 0;
        case ARG_NOTE:
                arg_note = optarg;
                return 0;
        case ARG_LIST:
                arg_list = true;
                return 0;
        case ARG_DELETE:
                return parse_id(optarg, "--delete", &arg_delete) < 0 ? -EINVAL : 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        _cleanup_(table_freep) Table *t = NULL;
        const char *cls = arg_class, *edge_from = arg_edge_from, *edge_to = arg_edge_to, *note = arg_note;
        bool list = arg_list;
        int64_t del = arg_delete;
        uint64_t expires = arg_expires;
        _cleanup_(store_suppression_list_free) StoreSuppressionList rules = {};
        SuppressCtx ctx = { .out = v->out };
        Store *s;
        int r;

        if (list + (del > 0) + (cls || edge_from) != 1 || (cls && edge_from)) {
                fprintf(stderr,
                        "lockdepctl suppress: give one of --class, --edge, --list or --delete\n");
                return EXIT_USAGE;
        }
        s = verb_db_open(v, list);
        if (!s)
                return 1;
        t = table_new(">ID", "CLASS", "EDGE", "EXPIRES", "ACTIVE", "~NOTE", NULL);
        if (!t)
                return print_oom();
        if (ctx.out.no_legend)
                table_hide_header(t);
        ctx.out.newest_last = true; /* by id: the oldest first */
        if (del > 0) {
                r = store_delete_suppression(s, del);
                if (r == -ENOENT) {
                        fprintf(stderr, "lockdepctl: no suppression %lld\n", (long long) del);
                        return 1;
                }
                if (r < 0)
                        return store_failed(s, r, "deleting the suppression");
                if (!output_json(&ctx.out) && !ctx.out.quiet)
                        printf("Suppression %lld deleted.\n", (long long) del);
                return 0;
        }
        if (!list) {
                r = store_add_suppression(s, cls, edge_from, edge_to, expires, note, &ctx.only);
                if (r < 0)
                        return store_failed(s, r, "adding the suppression");
        } else
                pager_open();
        r = store_suppression_list(s, 0, &rules);
        if (r < 0)
                return store_failed(s, r, "listing suppressions");
        if (ctx.only) { /* just the rule added */
                size_t k = 0;
                for (size_t i = 0; i < rules.n; i++)
                        if (rules.v[i].id == ctx.only)
                                rules.v[k++] = rules.v[i];
                rules.n = k;
        }
        if (list && rules.n == 0 && !output_json(&ctx.out)) {
                if (!ctx.out.quiet)
                        fprintf(stderr, "No suppressions.\n");
                return 1;
        }
        if (!list && !output_json(&ctx.out)) {
                if (!ctx.out.quiet)
                        printf("Suppression %lld added.\n", (long long) ctx.only);
                return 0;
        }
        r = output_view(&ctx.out, rules.v, rules.n, sizeof(*rules.v), row_json, row_table, t);
        if (r < 0)
                return print_oom();
        if (!output_json(&ctx.out))
                table_print(t, stdout, 0);
        return 0;
}

const VerbSpec verb_suppress = {
        .max_args = 0,
        .flags = VERB_OUTPUT,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
