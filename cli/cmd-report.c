/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl report ID: the raw text of one stored report, --parsed its parse --json object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] report [OPTIONS] ID\n\n"
               "Print the raw text of one stored report, as it was logged.\n\n"
               "Options:\n"
               "  -h --help     Show this help\n"
               "     --parsed   Print the parsed report (the object of 'parse --json')\n"
               "     --json     Print the report object of the web API (raw and parsed included)\n");
}

int verb_report(int argc, char **argv) {
        enum {
                ARG_PARSED = _ARG_QUERY_MAX
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
                { "parsed", no_argument, NULL, ARG_PARSED },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_free_ char *js = NULL;
        bool json = false, parsed = false;
        int64_t id;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_JSON:
                        json = true;
                        break;
                case ARG_PARSED:
                        parsed = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind + 1 != argc) {
                fprintf(stderr, "lockdepctl report: expected exactly one report ID\n");
                return EXIT_USAGE;
        }
        if (parse_id(argv[optind], "report ID", &id) < 0)
                return EXIT_USAGE;
        s = open_db(true);
        if (!s)
                return 1;
        r = store_report_json(s, id, &js);
        if (r == -ENOENT) {
                fprintf(stderr, "lockdepctl: no report %lld\n", (long long) id);
                return 1;
        }
        if (r < 0)
                return store_failed(s, r, "reading the report");
        pager_open();
        if (json) {
                print_json(js);
                return 0;
        }
        if (parsed) {
                _cleanup_free_ char *p = json_raw(json_get(js, "parsed"));
                if (!p || strcmp(p, "null") == 0) {
                        fprintf(stderr, "lockdepctl: report %lld has no parsed form\n",
                                (long long) id);
                        return 1;
                }
                if (p[0] == '"') { /* stored as a JSON string */
                        _cleanup_free_ char *inner = json_str(p);
                        fputs_safe(inner ? inner : "", stdout);
                        putchar('\n');
                } else
                        print_json(p);
                return 0;
        }
        _cleanup_free_ char *raw = json_get_str(js, "raw");
        fputs_text(raw ? raw : "", stdout);
        if (raw && raw[0] && raw[strlen(raw) - 1] != '\n')
                putchar('\n');
        return 0;
}
