/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl follow [--since TIME] [--interval SECONDS]: prints groups as they appear in the
 * database (NEW) and groups whose triage status becomes "regressed" (REGRESSED), one line each (or
 * one JSON object: the group's, with "event" first), until SIGINT or SIGTERM. The database is
 * opened read-only and polled every --interval seconds with PRAGMA data_version alone (the
 * connection's view of commits by others: no table is read); only after a commit are the groups'
 * ids and statuses read again.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "time-spec.h"

typedef struct Known {
        int64_t id;
        bool regressed;
} Known;

typedef struct FollowCtx {
        Output out;
        Known *known; /* sorted by id */
        size_t n_known;
        Known *seen;  /* this poll's, appended */
        size_t n_seen;
        bool print;   /* false on the first poll without --since: what is there already is not news */
        uint64_t since;
} FollowCtx;

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
        (void) sig;
        stop = 1;
}

static int cmp_known(const void *a, const void *b) {
        const Known *x = a, *y = b;
        return x->id < y->id ? -1 : x->id > y->id;
}

static void print_event(FollowCtx *c, const char *what, const char *js) {
        if (output_json(&c->out)) {
                _cleanup_free_ char *ev = NULL;
                if (js[0] == '{' && asprintf(&ev, "{\"event\":\"%s\"%s%s", what, js[1] == '}' ? "" : ",", js + 1) >= 0)
                        output_json_object(&c->out, ev);
        } else {
                _cleanup_free_ char *kind = json_get_str(js, "kind"), *title = json_get_str(js, "func_title"),
                                   *key = json_get_str(js, "key"), *last = json_get_str(js, "last_seen");
                printf("%-9s %5lld %s ", what, (long long) json_get_int(js, "id", 0), last ? last : "-");
                fputs_safe(kind ? kind : "?", stdout);
                putchar(' ');
                fputs_safe(title ? title : key ? key : "", stdout);
                putchar('\n');
        }
        fflush(stdout);
}

static int since_row(const char *js, void *userdata) {
        print_event(userdata, "NEW", js);
        return 0;
}

static int row(const char *js, void *userdata) {
        FollowCtx *c = userdata;
        _cleanup_free_ char *status = json_get_str(js, "status");
        Known k = { .id = json_get_int(js, "id", 0), .regressed = status && !strcmp(status, "regressed") };
        Known *old = c->n_known ? bsearch(&k, c->known, c->n_known, sizeof(Known), cmp_known) : NULL;
        Known *seen = realloc(c->seen, (c->n_seen + 1) * sizeof(Known));

        if (!seen)
                return -ENOMEM;
        c->seen = seen;
        c->seen[c->n_seen++] = k;
        if (!c->print)
                return 0;
        if (!old)
                print_event(c, "NEW", js);
        else if (k.regressed && !old->regressed)
                print_event(c, "REGRESSED", js);
        return 0;
}

/* One read of every group's id and status: prints what is new or newly regressed since the last
 * read (nothing on the first, which only learns what is there), then with since the groups seen
 * since then. */
static int read_groups(Store *s, FollowCtx *ctx, const StoreQuery *since) {
        StoreQuery all = { .sort = STORE_SORT_ID };
        free(ctx->seen);
        ctx->seen = NULL;
        ctx->n_seen = 0;
        int r = store_list_groups(s, &all, row, ctx);
        if (r < 0)
                return r;
        qsort(ctx->seen, ctx->n_seen, sizeof(Known), cmp_known);
        free(ctx->known);
        ctx->known = ctx->seen;
        ctx->n_known = ctx->n_seen;
        ctx->seen = NULL;
        ctx->n_seen = 0;
        if (since) { /* the start point: what was seen since then */
                r = store_list_groups(s, since, since_row, ctx);
                if (r < 0)
                        return r;
        }
        ctx->print = true;
        return 0;
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] follow [OPTIONS]\n\n"
               "Print groups as they are stored (NEW) and groups that regressed (REGRESSED), one\n"
               "line each, until interrupted (SIGINT, SIGTERM).\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --since TIME      First print the groups seen at or after TIME\n"
               "     --interval SECS   Look for changes every SECS seconds (default 1, 0.1 to 60)\n"
               OUTPUT_MODE_HELP);
}

enum {
        ARG_INTERVAL = _ARG_QUERY_MAX,
};

static StoreQuery arg_since;
static double arg_interval = 1.0;
static bool arg_have_since;
static const struct option options[] = {
        { "since", required_argument, NULL, ARG_SINCE },
        { "interval", required_argument, NULL, ARG_INTERVAL },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_SINCE:
                if (query_option(c, optarg, &arg_since) < 0)
                        return -EINVAL;
                arg_have_since = true;
                return 0;
        case ARG_INTERVAL: {
                char *e;
                arg_interval = strtod(optarg, &e);
                if (e == optarg || *e || !(arg_interval >= 0.1 && arg_interval <= 60)) {
                        fputs("lockdepctl follow: --interval '", stderr);
                        fputs_safe(optarg, stderr);
                        fputs("': expected seconds from 0.1 to 60\n", stderr);
                        return -EINVAL;
                }
                return 0;
        }
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        FollowCtx ctx = { .out = v->out };
        StoreQuery since_q = arg_since;
        double interval = arg_interval;
        bool have_since = arg_have_since;
        Store *s;
        int r;

        s = verb_db(v);
        if (!s)
                return 1;

        struct sigaction sa = { .sa_handler = on_signal };
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        int exit_status = 0;
        uint64_t version = 0;
        for (bool first = true; !stop; first = false) {
                uint64_t dv;
                r = store_data_version(s, &dv);
                if (r < 0) {
                        exit_status = store_failed(s, r, "reading the database's data version");
                        break;
                }
                if (first || dv != version) { /* else nothing was committed since the last read */
                        version = dv;
                        r = read_groups(s, &ctx, first && have_since ? &since_q : NULL);
                        if (r < 0) {
                                exit_status = store_failed(s, r, "listing groups");
                                break;
                        }
                }
                struct timespec ts = { (time_t) interval, (long) ((interval - (time_t) interval) * 1e9) };
                while (!stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
                        ;
        }
        free(ctx.known);
        free(ctx.seen);
        return exit_status;
}

const VerbSpec verb_follow = {
        .max_args = 0,
        .flags = VERB_OUTPUT_MODE,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
