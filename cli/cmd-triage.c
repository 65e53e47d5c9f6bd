/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl triage GROUP --status STATUS [--note TEXT]: sets a group's triage state (logged). */
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] triage [OPTIONS] GROUP\n\n"
               "Set the triage status and note of a group (an id or a signature prefix). Every\n"
               "change is logged and survives 'lockdepctl reparse'.\n\n"
               "Options:\n"
               "  -h --help           Show this help\n"
               "     --status STATUS  new, confirmed, false-positive, \"fixed-in RELEASE\" or\n"
               "                      \"duplicate-of GROUP\"\n"
               "     --note TEXT      A free-form note (\"\" clears it)\n"
               "     --json           Print the group object afterwards\n");
}

int verb_triage(int argc, char **argv) {
        enum {
                ARG_NOTE = _ARG_QUERY_MAX
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
                { "status", required_argument, NULL, ARG_STATUS },
                { "note", required_argument, NULL, ARG_NOTE },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        const char *status = NULL, *note = NULL;
        bool json = false;
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
                case ARG_STATUS:
                        status = optarg;
                        break;
                case ARG_NOTE:
                        note = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind + 1 != argc) {
                fprintf(stderr, "lockdepctl triage: expected exactly one GROUP\n");
                return EXIT_USAGE;
        }
        if (!status && !note) {
                fprintf(stderr, "lockdepctl triage: nothing to do; give --status or --note\n");
                return EXIT_USAGE;
        }
        s = open_db(false);
        if (!s)
                return 1;
        if (resolve_group_write(s, argv[optind], &id) < 0)
                return 1;
        r = store_set_triage(s, id, status, note);
        if (r < 0 && store_error(s)[0] && (r == -EINVAL || r == -ENOENT)) { /* duplicate-of itself, a cycle */
                fprintf(stderr, "lockdepctl triage: %s\n", store_error(s));
                return r == -EINVAL ? EXIT_USAGE : 1;
        }
        if (r == -EINVAL) {
                fprintf(stderr,
                        "lockdepctl triage: unknown status '%s'; use new, confirmed, false-positive, "
                        "\"fixed-in RELEASE\", \"duplicate-of GROUP\" or regressed\n",
                        status ? status : "");
                return EXIT_USAGE;
        }
        if (r < 0)
                return store_failed(s, r, "setting the triage state");
        return print_group_after(s, id, json, "updated");
}
