/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl parse [--json] [--events] [--aliases FILE] FILE...|-
 *
 * Reads saved kernel logs in any rendering, plain or compressed, and prints one line of JSON per
 * report (DESIGN.md section 5) or a readable summary. Needs no database. Memory stays bounded:
 * input is read (and decompressed) in fixed-size pieces and the parser keeps only the open report.
 * What came of a file that gave no report is said on stderr (log-input.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "strbuf.h"

typedef struct ParseCtx {
        bool json;
        bool events;
        const char *file;
        unsigned n_reports; /* of this file */
        unsigned n_total;
} ParseCtx;

static void print_text(const LockdepReport *r, ParseCtx *c) {
        printf("%s%s: %s", c->n_total > 1 ? "\n" : "", lockdep_kind_to_string(r->kind), r->func_title);
        printf("%s\n", r->truncated ? " (truncated)" : "");
        printf("  %s:%u-%u\n", c->file, r->first_line, r->last_line);
        printf("  key:       ");
        fputs_safe(r->key, stdout);
        if (r->n_cycle > 0) {
                printf("\n  cycle:     ");
                for (size_t i = 0; i < r->n_cycle; i++) {
                        fputs_safe(r->cycle[i], stdout);
                        fputs(" -> ", stdout);
                }
                fputs_safe(r->cycle[0], stdout);
        }
        printf("\n  kernel:    ");
        fputs_safe(r->kernel ? r->kernel : "?", stdout);
        if (r->tainted) {
                printf(" (tainted ");
                fputs_safe(r->tainted, stdout);
                printf(")");
        }
        printf("\n  task:      ");
        fputs_safe(r->task ? r->task : "?", stdout);
        if (r->pid >= 0)
                printf("/%d", r->pid);
        printf("\n  signature: %s (v%u)\n", r->signature, r->sig_version);
}

static int on_event(const LockdepEvent *ev, void *userdata) {
        ParseCtx *c = userdata;
        _cleanup_free_ char *js = NULL;

        if (ev->type != LOCKDEP_EVENT_REPORT) {
                if (!c->events)
                        return 0;
                const char *what = ev->type == LOCKDEP_EVENT_BOOT ? "boot" : "lockdep_off";
                if (c->json) {
                        printf("{\"event\":\"%s\",\"line\":%u", what, ev->line);
                        if (ev->has_ts)
                                printf(",\"ts\":%llu.%06llu", (unsigned long long) (ev->ts_usec / 1000000),
                                       (unsigned long long) (ev->ts_usec % 1000000));
                        printf("}\n");
                } else {
                        printf("%s event at %s:%u: ", what, c->file, ev->line);
                        fputs_safe(ev->text, stdout);
                        putchar('\n');
                }
                return 0;
        }
        c->n_reports++;
        c->n_total++;
        if (!c->json) {
                print_text(ev->report, c);
                return 0;
        }
        int r = lockdep_report_to_json(ev->report, &js);
        if (r < 0)
                return r;
        fputs(js, stdout);
        putchar('\n');
        return 0;
}

static void help(void) {
        printf("Usage: lockdepctl parse [OPTIONS] FILE...|-\n\n"
               "Find lockdep reports in saved kernel logs (dmesg, console, syslog, journalctl,\n"
               "/dev/kmsg dumps, mail; plain or gzip, xz, zstd compressed) and print each as a\n"
               "summary or as one JSON object per line.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --json            Print NDJSON, one object per report\n"
               "     --events          Also print boot and lockdep-off events\n"
               "     --aliases FILE    Add the class aliases of FILE (PRINTED = CANONICAL)\n"
               "                       (default user table: %s/lockdep-analyzer/aliases.conf)\n",
               LOCKDEP_SYSCONFDIR);
}

enum {
        ARG_EVENTS = _ARG_QUERY_MAX,
        ARG_ALIASES
};

static bool arg_json, arg_events;
static const char *arg_aliases;
static const struct option options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        { "events", no_argument, NULL, ARG_EVENTS },
        { "aliases", required_argument, NULL, ARG_ALIASES },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_JSON:
                arg_json = true;
                return 0;
        case ARG_EVENTS:
                arg_events = true;
                return 0;
        case ARG_ALIASES:
                arg_aliases = optarg;
                return 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        ParseCtx ctx = { .json = arg_json, .events = arg_events };
        const char *aliases_file = arg_aliases;
        LockdepAliases *aliases = NULL;
        LockdepParser *p = NULL;
        int r, ret = 0;

        if (load_aliases(aliases_file, &aliases) < 0)
                return 1;

        static char outbuf[1 << 16];
        setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));

        for (int i = 0; i < v->argc; i++) {
                const char *path = v->argv[i];
                bool is_stdin = strcmp(path, "-") == 0;
                int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        fprintf(stderr, "lockdepctl parse: cannot open %s: %s\n", path, strerror(errno));
                        ret = 1;
                        continue;
                }
                ctx.file = is_stdin ? "<stdin>" : path;
                ctx.n_reports = 0;
                LockdepOptions o = { .callback = on_event, .userdata = &ctx, .aliases = aliases,
                               .reference_usec = log_input_reference(fd) };
                r = lockdep_parser_new(&o, &p);
                if (r >= 0) {
                        LogInput in = { .parser = p };
                        (void) log_input_read(&in, fd);
                        fflush(stdout);
                        if (log_input_done(&in, "parse", ctx.file, ctx.n_reports) != 0)
                                ret = 1;
                } else {
                        fprintf(stderr, "lockdepctl parse: %s: %s\n", path, strerror(-r));
                        ret = 1;
                }
                p = lockdep_parser_free(p);
                if (!is_stdin)
                        close(fd);
        }
        lockdep_aliases_free(aliases);
        if (fflush(stdout) != 0) {
                fprintf(stderr, "lockdepctl parse: write error: %s\n", strerror(errno));
                return 1;
        }
        return ret;
}

const VerbSpec verb_parse = {
        .min_args = 1,
        .max_args = VERB_ANY,
        .args = "no input; give FILE... or - for stdin",
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
