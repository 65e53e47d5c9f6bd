/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl graph [--group GROUP] [--lock CLASS]: the observed lock-order graph as Graphviz DOT
 * (lockdepctl graph | dot -Tsvg > graph.svg). Every id and label is a quoted DOT string: '"' and
 * '\' are escaped, and control characters and invalid UTF-8 are written as the text \xNN, so any
 * class name from a kernel log yields valid DOT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"

typedef struct GraphCtx {
        bool json;
        unsigned n;
        StrBuf edges;
} GraphCtx;

/* s as a quoted DOT string. */
static int dot_quote(StrBuf *b, const char *s) {
        _cleanup_free_ char *e = escape_safe(s ? s : "");
        int r = 0;

        if (!e)
                return -ENOMEM;
        r = strbuf_appendc(b, '"');
        for (const char *p = e; *p && r >= 0; p++)
                r = *p == '"' || *p == '\\' ? strbuf_printf(b, "\\%c", *p) : strbuf_appendc(b, *p);
        return r < 0 ? r : strbuf_appendc(b, '"');
}

static int row(const char *js, void *userdata) {
        GraphCtx *c = userdata;
        _cleanup_free_ char *from = json_get_str(js, "from"), *to = json_get_str(js, "to"),
                            *kernel = json_get_str(js, "first_kernel");
        _cleanup_free_ char *label = NULL;
        StrBuf *b = &c->edges;

        c->n++;
        if (c->json) {
                print_json(js);
                return 0;
        }
        if (asprintf(&label, "%lld report%s%s%s", (long long) json_get_int(js, "n", 0),
                     json_get_int(js, "n", 0) == 1 ? "" : "s", kernel ? ", since " : "",
                     kernel ? kernel : "") < 0)
                return -ENOMEM;
        if (strbuf_puts(b, "        ") < 0 || dot_quote(b, from) < 0 ||
            strbuf_puts(b, " -> ") < 0 || dot_quote(b, to) < 0 || strbuf_puts(b, " [label=") < 0 ||
            dot_quote(b, label) < 0 || strbuf_puts(b, "];\n") < 0)
                return -ENOMEM;
        return 0;
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] graph [OPTIONS]\n\n"
               "Print the lock-order graph observed in all reports (edge A -> B: B was taken\n"
               "while A was held) in the Graphviz DOT language, e.g. for 'dot -Tsvg'.\n\n"
               "Options:\n"
               "  -h --help          Show this help\n"
               "     --json          One JSON object per edge and line instead of DOT\n"
               "     --group GROUP   Only the edges of this group (id or signature prefix)\n"
               "     --lock CLASS    Only the edges touching this lock class\n");
}

enum {
        ARG_GROUP = _ARG_QUERY_MAX
};

static const char *arg_group, *arg_lock;
static bool arg_json;
static const struct option options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        { "group", required_argument, NULL, ARG_GROUP },
        { "lock", required_argument, NULL, ARG_LOCK },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_JSON:
                arg_json = true;
                return 0;
        case ARG_GROUP:
                arg_group = optarg;
                return 0;
        case ARG_LOCK:
                arg_lock = optarg;
                return 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        const char *group = arg_group, *lock = arg_lock;
        GraphCtx ctx = { .json = arg_json };
        Store *s;
        int64_t id = 0;
        int r;

        s = verb_db(v);
        if (!s)
                return 1;
        if (group && resolve_group(s, group, &id) < 0)
                return 1;
        pager_open();
        r = store_list_edges(s, id, lock, row, &ctx);
        if (r < 0) {
                strbuf_done(&ctx.edges);
                return r == -ENOMEM ? print_oom() : store_failed(s, r, "listing lock-order edges");
        }
        if (ctx.n == 0 && !ctx.json) { /* an empty NDJSON stream is a valid answer */
                fprintf(stderr, "No lock-order edges found.\n");
                return 1;
        }
        if (!ctx.json)
                printf("digraph lockdep {\n"
                       "        rankdir=LR;\n"
                       "        node [shape=box, fontname=\"monospace\"];\n"
                       "        edge [fontsize=10];\n"
                       "%s}\n",
                       ctx.edges.s);
        strbuf_done(&ctx.edges);
        return 0;
}

const VerbSpec verb_graph = {
        .max_args = 0,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
