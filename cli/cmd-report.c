/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl report [ID]: the raw text of one stored report (the newest without an ID), --parsed its
 * parse --json object, --as-logged its lines as the log had them (banner and prefixes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"

/* The kernel prints an empty line and a line of '=' before every lockdep report (and the raw text
 * starts at the line after it): as long as the report's "-----" line, or its first line when it
 * has none. For reports stored before the store kept their lines as logged. */
static void print_banner(const char *raw) {
        size_t width = strcspn(raw, "\n");
        for (const char *l = raw; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0)) {
                size_t n = strcspn(l, "\n");
                if (n >= 10 && strspn(l, "-") == n) {
                        width = n;
                        break;
                }
        }
        putchar('\n');
        for (size_t i = 0; i < width; i++)
                putchar('=');
        putchar('\n');
}

/* --as-logged: the lines as the store kept them; raw bytes into a file or pipe (a mail, a patch),
 * escaped on a terminal like every text from a log. Reports stored before the store kept them
 * (schema 0014): the banner and the raw text, and a note that the prefixes were not kept. */
static int print_as_logged(struct Store *s, int64_t id) {
        _cleanup_free_ char *logged = NULL, *raw = NULL;
        size_t len = 0;
        int r = store_report_logged(s, id, &logged, &len, &raw);
        if (r < 0)
                return store_failed(s, r, "reading the report");
        bool tty = isatty(STDOUT_FILENO); /* (before the pager takes stdout) */
        if (!logged) {
                fprintf(stderr, "lockdepctl: report %lld was stored before the store kept reports as logged: "
                        "its original line prefixes were not kept, printed without them\n", (long long) id);
                pager_open();
                if (strncmp(raw, "===", 3) != 0)
                        print_banner(raw);
                fputs_text(raw, stdout);
                if (raw[0] && raw[strlen(raw) - 1] != '\n')
                        putchar('\n');
                return 0;
        }
        pager_open();
        if (tty)
                fputs_text(logged, stdout);
        else
                fwrite(logged, 1, len, stdout);
        return 0;
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] report [OPTIONS] [ID]\n\n"
               "Print the raw text of one stored report (without an ID, the newest), as it was\n"
               "logged without the log's prefixes.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --as-logged       Its lines as the log had them: the ===== banner and each\n"
               "                       line's original prefix (timestamps, host), ready to paste\n"
               "                       into a mail\n"
               "     --parsed          Print the parsed report (the object of 'parse --json'),\n"
               "                       indented with -o json-pretty\n"
               OUTPUT_MODE_HELP
               "\nThe JSON form is the report object of the web API (raw and parsed included).\n");
}

enum {
        ARG_PARSED = _ARG_QUERY_MAX,
        ARG_AS_LOGGED,
};

static bool arg_parsed, arg_as_logged;
static const struct option options[] = {
        { "parsed", no_argument, NULL, ARG_PARSED },
        { "as-logged", no_argument, NULL, ARG_AS_LOGGED },
        {},
};

static int option(int c, const char *optarg) {
        (void) optarg;
        if (c == ARG_PARSED)
                arg_parsed = true;
        else if (c == ARG_AS_LOGGED)
                arg_as_logged = true;
        else
                return -EINVAL;
        return 0;
}

static int run(VerbRun *v) {
        _cleanup_(store_report_detail_free) StoreReportDetail d = {};
        bool parsed = arg_parsed, as_logged = arg_as_logged;
        Output *out = &v->out;
        Store *s;
        int64_t id;
        int r;

        /* -o json is the report object; --parsed -o json-pretty the parsed object indented */
        bool pretty_parsed = parsed && out->mode == OUTPUT_JSON_PRETTY, json = output_json(out) && !parsed;
        if ((output_json(out) && !pretty_parsed) + parsed + as_logged > 1) {
                fprintf(stderr, "lockdepctl report: -o json (--json), --parsed and --as-logged exclude each other\n");
                return EXIT_USAGE;
        }
        if (v->argc > 0 && parse_id(v->argv[0], "report ID", &id) < 0)
                return EXIT_USAGE;
        s = verb_db(v);
        if (!s)
                return 1;
        if (v->argc == 0 && newest_id(s, true, &id) != 0) /* as coredumpctl: the newest */
                return 1;
        r = store_report_detail(s, id, &d);
        if (r == -ENOENT) {
                fprintf(stderr, "lockdepctl: no report %lld\n", (long long) id);
                return 1;
        }
        if (r < 0)
                return store_failed(s, r, "reading the report");
        if (as_logged)
                return print_as_logged(s, id);
        pager_open();
        if (json) { /* the API's object, from the same serializer */
                StrBuf b = {};
                if (store_report_detail_json(&d, &b) < 0) {
                        strbuf_done(&b);
                        return print_oom();
                }
                output_json_object(out, b.s);
                strbuf_done(&b);
                return 0;
        }
        if (parsed) {
                if (!d.parsed || strcmp(d.parsed, "null") == 0) {
                        fprintf(stderr, "lockdepctl: report %lld has no parsed form\n", (long long) id);
                        return 1;
                }
                if (d.parsed[0] == '"') { /* stored as a JSON string */
                        _cleanup_free_ char *inner = json_str(d.parsed);
                        fputs_safe(inner ? inner : "", stdout);
                        putchar('\n');
                } else
                        output_json_object(out, d.parsed);
                return 0;
        }
        fputs_text(d.raw, stdout);
        if (d.raw[0] && d.raw[strlen(d.raw) - 1] != '\n')
                putchar('\n');
        return 0;
}

const VerbSpec verb_report = {
        .max_args = 1,
        .args = "expected at most one report ID",
        .flags = VERB_OUTPUT_MODE,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
