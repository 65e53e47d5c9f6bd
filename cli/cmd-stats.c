/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl stats: database counters (reports, groups, hosts, boots, kinds, sources, gaps). */
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "table.h"

static void counter(const char *js, const char *label, const char *key) {
        const char *v = json_get(js, key);
        if (v)
                printf("%24s: %lld\n", label, (long long) json_get_int(js, key, 0));
}

/* Counts by kind or status: {name: n, ...}, or [{FIELD: name, n, reports}, ...]. */
static void by(const char *js, const char *key, const char *title, const char *field,
               const char *header) {
        _cleanup_(table_freep) Table *t = table_new(header, ">GROUPS", ">REPORTS", NULL);
        JsonIter it;
        const char *k, *v;

        if (!t || !json_iter_init(&it, json_get(js, key)))
                return;
        while (json_iter_next(&it, &k, &v)) {
                int r;
                if (k) {
                        _cleanup_free_ char *name = json_str(k), *n = json_str(v);
                        r = table_add(t, name);
                        if (r >= 0)
                                r = table_add(t, n);
                        if (r >= 0)
                                r = table_add(t, NULL);
                } else {
                        r = table_add_field(t, v, field);
                        if (r >= 0)
                                r = table_add_field(t, v, "n");
                        if (r >= 0)
                                r = table_add_field(t, v, "reports");
                }
                if (r < 0)
                        return;
        }
        if (table_rows(t) == 0)
                return;
        printf("\n%s%s:%s\n", ansi_highlight(), title, ansi_normal());
        table_print(t, stdout, 4);
}

static void sources(const char *js) {
        _cleanup_(table_freep) Table *t = table_new("|SOURCE", "POSITION", "UPDATED", NULL);
        JsonIter it;
        const char *v;

        if (!t || !json_iter_init(&it, json_get(js, "sources")))
                return;
        while (json_iter_next(&it, NULL, &v))
                if (table_add_field(t, v, "source") < 0 || table_add_field(t, v, "position") < 0 ||
                    table_add_field(t, v, "updated") < 0)
                        return;
        if (table_rows(t) == 0)
                return;
        printf("\n%sSources:%s\n", ansi_highlight(), ansi_normal());
        table_print(t, stdout, 4);
}

static void failed_files(const char *js) {
        _cleanup_(table_freep) Table *t = table_new("|SOURCE", "|FILE", "~ERROR", "SINCE", ">ATTEMPTS", NULL);
        JsonIter it;
        const char *v;

        if (!t || !json_iter_init(&it, json_get(js, "journal_files_failed")))
                return;
        while (json_iter_next(&it, NULL, &v))
                if (table_add_field(t, v, "source") < 0 || table_add_field(t, v, "file") < 0 ||
                    table_add_field(t, v, "error") < 0 || table_add_field(t, v, "first_failed") < 0 ||
                    table_add_field(t, v, "n_failures") < 0)
                        return;
        if (table_rows(t) == 0)
                return;
        printf("\n%sJournal files that cannot be read (retried; reading of their host waits):%s\n",
               ansi_highlight(), ansi_normal());
        table_print(t, stdout, 4);
}

/* /proc/lockdep snapshots that were not stored (docs/LATENT.md): by reason, with the last one. */
static void rejected_snapshots(const char *js) {
        _cleanup_(table_freep) Table *t = table_new("REASON", ">SNAPSHOTS", "LAST", "SOURCE", "WHAT", NULL);
        JsonIter it;
        const char *v;

        if (!t || !json_iter_init(&it, json_get(js, "snapshots_rejected")))
                return;
        while (json_iter_next(&it, NULL, &v))
                if (table_add_field(t, v, "reason") < 0 || table_add_field(t, v, "n") < 0 ||
                    table_add_field(t, v, "last") < 0 || table_add_field(t, v, "source") < 0 ||
                    table_add_field(t, v, "what") < 0)
                        return;
        if (table_rows(t) == 0)
                return;
        printf("\n%s/proc/lockdep snapshots not stored:%s\n", ansi_highlight(), ansi_normal());
        table_print(t, stdout, 4);
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] stats [OPTIONS]\n\n"
               "Show database counters: reports, groups, hosts, boots (and those in which lockdep\n"
               "switched itself off), reports per kind and groups per triage status, the read\n"
               "position of each source, gaps (lost kernel log records), the journal files that\n"
               "cannot be read and the /proc/lockdep snapshots that were not stored.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               OUTPUT_MODE_HELP
               "\nThe JSON form is the counters object of the web API (GET /api/v1/stats).\n");
}

int verb_stats(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                OUTPUT_MODE_OPTIONS,
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_free_ char *js = NULL;
        Output out = {};
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h" OUTPUT_MODE_SHORTOPTS, options, NULL)) >= 0) {
                r = output_option(c, optarg, &out);
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
        if (optind < argc) {
                fprintf(stderr, "lockdepctl stats: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        s = open_db(true);
        if (!s)
                return 1;
        r = store_stats_json(s, &js);
        if (r < 0)
                return store_failed(s, r, "reading counters");
        pager_open();
        if (output_json(&out)) {
                output_json_object(&out, js);
                return 0;
        }
        printf("%sDatabase %s", ansi_highlight(), "");
        fputs_safe(arg.db, stdout);
        printf("%s\n\n", ansi_normal());
        counter(js, "Reports", "reports");
        counter(js, "Groups", "groups");
        counter(js, "Hosts", "hosts");
        counter(js, "Boots", "boots");
        counter(js, "Boots with lockdep off", "boots_lockdep_off");
        counter(js, "Gaps", "gaps");
        counter(js, "Not yet searchable", "fts_pending");
        counter(js, "Unreadable journal files", "journal_files_unreadable");
        counter(js, "Journal file errors", "journal_file_errors");
        by(js, "by_kind", "By kind", "kind", "KIND");
        by(js, "by_status", "By triage status", "status", "STATUS");
        sources(js);
        failed_files(js);
        rejected_snapshots(js);
        return 0;
}
