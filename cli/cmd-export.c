/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl export --groups|--reports|--kcidb [FILTERS]
 *
 * --groups: one full group object (as "show --json") per line; --reports: one full report object
 * (as "report --json", raw text and parsed form included) per line; --kcidb: one KCIDB I/O JSON
 * object (schema v4.3) with an issue per group ("lockdep:<signature>") and an incident per report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"

typedef struct Rows {
        char **v;
        size_t n;
} Rows;

static int collect(const char *js, void *userdata) {
        Rows *rows = userdata;
        char **v = realloc(rows->v, (rows->n + 1) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        rows->v = v;
        if (!(v[rows->n] = strdup(js)))
                return -ENOMEM;
        rows->n++;
        return 0;
}

static void rows_done(Rows *rows) {
        for (size_t i = 0; i < rows->n; i++)
                free(rows->v[i]);
        free(rows->v);
}

/* Prints the full object of every row: store_group_json() or store_report_json() by id. */
static int export_full(Store *s, const Rows *rows, int (*get)(Store *, int64_t, char **)) {
        for (size_t i = 0; i < rows->n; i++) {
                _cleanup_free_ char *js = NULL;
                int r = get(s, json_get_int(rows->v[i], "id", 0), &js);
                if (r == -ENOENT) /* deleted by a concurrent merge or reparse */
                        continue;
                if (r < 0)
                        return store_failed(s, r, "exporting");
                print_json(js);
        }
        return 0;
}

static int append_member(StrBuf *b, const char *name, const char *value) {
        if (strbuf_printf(b, ",\"%s\":", name) < 0)
                return -ENOMEM;
        return json_append_str(b, value);
}

typedef struct GroupSig {
        int64_t id;
        char *sig;
} GroupSig;

static int group_sig_cmp(const void *a, const void *b) {
        int64_t x = ((const GroupSig *) a)->id, y = ((const GroupSig *) b)->id;
        return x < y ? -1 : x > y;
}

static int kcidb(const Rows *groups, const Rows *reports) {
        _cleanup_free_ GroupSig *sigs = calloc(groups->n + 1, sizeof(GroupSig));
        StrBuf b = {};
        int r;

        if (!sigs)
                return print_oom();
        r = strbuf_puts(&b, "{\"version\":{\"major\":4,\"minor\":3},\n\"issues\":[");
        for (size_t i = 0; i < groups->n && r >= 0; i++) {
                const char *g = groups->v[i];
                char *sig = json_get_str(g, "signature"); /* owned by sigs */
                _cleanup_free_ char *title = json_get_str(g, "func_title"),
                                    *key = json_get_str(g, "key"), *kind = json_get_str(g, "kind");
                _cleanup_free_ char *id = NULL;
                sigs[i] = (GroupSig){ json_get_int(g, "id", 0), sig };
                if (asprintf(&id, "lockdep:%s", sig ? sig : "") < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = strbuf_puts(&b, i ? ",\n{" : "\n{");
                if (r >= 0)
                        r = strbuf_puts(&b, "\"id\":");
                if (r >= 0)
                        r = json_append_str(&b, id);
                if (r >= 0)
                        r = strbuf_puts(&b, ",\"version\":1,\"origin\":\"lockdep\"");
                if (r >= 0)
                        r = append_member(&b, "comment", title ? title : key);
                if (r >= 0)
                        r = strbuf_puts(&b, ",\"misc\":{\"key\":");
                if (r >= 0)
                        r = json_append_str(&b, key);
                if (r >= 0)
                        r = append_member(&b, "kind", kind);
                if (r >= 0)
                        r = strbuf_puts(&b, "}}");
        }
        qsort(sigs, groups->n, sizeof(GroupSig), group_sig_cmp);
        if (r >= 0)
                r = strbuf_puts(&b, "],\n\"incidents\":[");
        size_t n = 0;
        for (size_t i = 0; i < reports->n && r >= 0; i++) {
                GroupSig key = { .id = json_get_int(reports->v[i], "group", 0) };
                const GroupSig *g = bsearch(&key, sigs, groups->n, sizeof(GroupSig), group_sig_cmp);
                if (!g || !g->sig) /* its group is filtered out */
                        continue;
                _cleanup_free_ char *issue = NULL;
                if (asprintf(&issue, "lockdep:%s", g->sig) < 0) {
                        r = -ENOMEM;
                        break;
                }
                r = strbuf_printf(&b,
                                  "%s{\"id\":\"lockdep:%lld\",\"issue_id\":", n++ ? ",\n" : "\n",
                                  (long long) json_get_int(reports->v[i], "id", 0));
                if (r >= 0)
                        r = json_append_str(&b, issue);
                if (r >= 0)
                        r = strbuf_puts(
                                &b,
                                ",\"issue_version\":1,\"origin\":\"lockdep\",\"present\":true}");
        }
        if (r >= 0)
                r = strbuf_puts(&b, "]}");
        if (r >= 0)
                print_json(b.s);
        strbuf_done(&b);
        for (size_t i = 0; i < groups->n; i++)
                free(sigs[i].sig);
        return r < 0 ? print_oom() : 0;
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] export [OPTIONS]\n\n"
               "Export the database, or the groups and reports matching the filters.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --groups          One full group object per line (the default)\n"
               "     --reports         One full report object per line, raw text included\n"
               "     --kcidb           One KCIDB JSON object: an issue per group, an incident\n"
               "                       per report\n"
               "     --json            Accepted for symmetry: the output is always JSON\n"
               "     --group GROUP     Only this group and its reports\n" QUERY_OPTIONS_HELP);
}

enum {
        ARG_GROUPS = _ARG_QUERY_MAX,
        ARG_REPORTS,
        ARG_KCIDB,
        ARG_GROUP
};

static const char *arg_group;
static StoreQuery arg_query;
static int arg_what;
static const struct option options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        { "groups", no_argument, NULL, ARG_GROUPS },
        { "reports", no_argument, NULL, ARG_REPORTS },
        { "kcidb", no_argument, NULL, ARG_KCIDB },
        { "group", required_argument, NULL, ARG_GROUP },
        QUERY_OPTIONS,
        {},
};

static int option(int c, const char *optarg) {
        int r = query_option(c, optarg, &arg_query);
        if (r != 0)
                return r < 0 ? r : 0;
        switch (c) {
        case ARG_JSON: /* (NDJSON is the only output) */
                return 0;
        case ARG_GROUPS:
        case ARG_REPORTS:
        case ARG_KCIDB:
                if (arg_what && arg_what != c) {
                        fprintf(stderr, "lockdepctl export: --groups, --reports and --kcidb exclude each other\n");
                        return -EINVAL;
                }
                arg_what = c;
                return 0;
        case ARG_GROUP:
                arg_group = optarg;
                return 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        const char *group = arg_group;
        Rows groups = {}, reports = {};
        StoreQuery q = arg_query;
        Store *s;
        int c, r, what = arg_what;

        if (!what)
                what = ARG_GROUPS;
        s = verb_db(v);
        if (!s)
                return 1;
        if (group && resolve_group(s, group, &q.group) < 0)
                return 1;

        if (what != ARG_REPORTS) {
                r = store_list_groups(s, &q, collect, &groups);
                /* --group: the group listing has no such filter; keep only that one */
                size_t k = 0;
                for (size_t i = 0; i < groups.n; i++)
                        if (!q.group || json_get_int(groups.v[i], "id", 0) == q.group)
                                groups.v[k++] = groups.v[i];
                        else
                                free(groups.v[i]);
                groups.n = k;
        } else
                r = 0;
        if (r >= 0 && what != ARG_GROUPS) {
                StoreQuery rq = q;
                if (what == ARG_KCIDB)
                        rq.limit = 0; /* the limit counts issues */
                r = store_list_reports(s, &rq, collect, &reports);
        }
        if (r < 0)
                c = r == -ENOMEM ? print_oom() : store_failed(s, r, "exporting");
        else if (what == ARG_GROUPS)
                c = export_full(s, &groups, store_group_json);
        else if (what == ARG_REPORTS)
                c = export_full(s, &reports, store_report_json);
        else
                c = kcidb(&groups, &reports);
        rows_done(&groups);
        rows_done(&reports);
        return c;
}

const VerbSpec verb_export = {
        .max_args = 0,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
