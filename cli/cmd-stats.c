/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl stats: database counters (reports, groups, hosts, boots, kinds, sources, gaps). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "table.h"

static void counter(const char *label, int64_t n) {
        printf("%24s: %lld\n", label, (long long) n);
}

static const char *time_cell(int64_t usec, char buf[static STORE_TIME_MAX]) {
        return usec == STORE_NONE ? NULL : store_time_iso(usec, buf);
}

/* Groups and their reports by kind or by triage status. */
static int by(const StoreStatsCount *v, size_t n, const char *title, const char *header) {
        _cleanup_(table_freep) Table *t = table_new(header, ">GROUPS", ">REPORTS", NULL);
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (table_add(t, v[i].name) < 0 || table_addf(t, "%" PRId64, v[i].n_groups) < 0 ||
                    table_addf(t, "%" PRId64, v[i].n_reports) < 0)
                        return -ENOMEM;
        if (n == 0)
                return 0;
        printf("\n%s%s:%s\n", ansi_highlight(), title, ansi_normal());
        return table_print(t, stdout, 4);
}

static int sources(const StoreStats *st) {
        _cleanup_(table_freep) Table *t = table_new("|SOURCE", "POSITION", "UPDATED", NULL);
        char buf[STORE_TIME_MAX];
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < st->n_sources; i++)
                if (table_add(t, st->sources[i].source) < 0 || table_add(t, st->sources[i].position) < 0 ||
                    table_add(t, time_cell(st->sources[i].updated, buf)) < 0)
                        return -ENOMEM;
        if (st->n_sources == 0)
                return 0;
        printf("\n%sSources:%s\n", ansi_highlight(), ansi_normal());
        return table_print(t, stdout, 4);
}

static int failed_files(const StoreStats *st) {
        _cleanup_(table_freep) Table *t = table_new("|SOURCE", "|FILE", "~ERROR", "SINCE", ">ATTEMPTS", NULL);
        char buf[STORE_TIME_MAX];
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < st->n_files_failed; i++) {
                const StoreStatsFileFailure *f = &st->files_failed[i];
                if (table_add(t, f->source) < 0 || table_add(t, f->file) < 0 || table_add(t, f->error) < 0 ||
                    table_add(t, time_cell(f->first_failed, buf)) < 0 || table_addf(t, "%" PRId64, f->n_failures) < 0)
                        return -ENOMEM;
        }
        if (st->n_files_failed == 0)
                return 0;
        printf("\n%sJournal files that cannot be read (retried; reading of their host waits):%s\n",
               ansi_highlight(), ansi_normal());
        return table_print(t, stdout, 4);
}

/* /proc/lockdep snapshots that were not stored (docs/LATENT.md): by reason, with the last one. */
static int rejected_snapshots(const StoreStats *st) {
        _cleanup_(table_freep) Table *t = table_new("REASON", ">SNAPSHOTS", "LAST", "SOURCE", "WHAT", NULL);
        char buf[STORE_TIME_MAX];
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < st->n_rejected; i++) {
                const StoreStatsRejected *x = &st->rejected[i];
                if (table_add(t, x->reason) < 0 || table_addf(t, "%" PRId64, x->n) < 0 ||
                    table_add(t, time_cell(x->last, buf)) < 0 || table_add(t, x->source) < 0 || table_add(t, x->what) < 0)
                        return -ENOMEM;
        }
        if (st->n_rejected == 0)
                return 0;
        printf("\n%s/proc/lockdep snapshots not stored:%s\n", ansi_highlight(), ansi_normal());
        return table_print(t, stdout, 4);
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

static int run(VerbRun *v) {
        _cleanup_(store_stats_free) StoreStats st = {};
        const Output *out = &v->out;
        Store *s = verb_db(v);
        int r;

        if (!s)
                return 1;
        r = store_stats(s, &st);
        if (r < 0)
                return store_failed(s, r, "reading counters");
        pager_open();
        if (output_json(out)) {
                StrBuf b = {};
                if (store_stats_json(&st, &b) < 0)
                        return print_oom();
                output_json_object(out, b.s);
                strbuf_done(&b);
                return 0;
        }
        printf("%sDatabase %s", ansi_highlight(), "");
        fputs_safe(arg.db, stdout);
        printf("%s\n\n", ansi_normal());
        counter("Reports", st.reports);
        counter("Groups", st.groups);
        counter("Hosts", st.hosts);
        counter("Boots", st.boots);
        counter("Boots with lockdep off", st.boots_lockdep_off);
        counter("Gaps", st.gaps);
        counter("Not yet searchable", st.fts_pending);
        counter("Unreadable journal files", st.journal_files_unreadable);
        counter("Journal file errors", st.journal_file_errors);
        if (by(st.by_kind, st.n_by_kind, "By kind", "KIND") < 0 ||
            by(st.by_status, st.n_by_status, "By triage status", "STATUS") < 0 || sources(&st) < 0 ||
            failed_files(&st) < 0 || rejected_snapshots(&st) < 0)
                return print_oom();
        return 0;
}

const VerbSpec verb_stats = {
        .max_args = 0,
        .flags = VERB_OUTPUT_MODE,
        .help = help,
        .run = run,
};
