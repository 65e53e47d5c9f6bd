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

enum {
        ARG_NOTE = _ARG_QUERY_MAX
};

static const char *arg_status, *arg_note;
static bool arg_json;
static const struct option options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        { "status", required_argument, NULL, ARG_STATUS },
        { "note", required_argument, NULL, ARG_NOTE },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_JSON:
                arg_json = true;
                return 0;
        case ARG_STATUS:
                arg_status = optarg;
                return 0;
        case ARG_NOTE:
                arg_note = optarg;
                return 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        const char *status = arg_status, *note = arg_note;
        bool json = arg_json;
        Store *s;
        int64_t id;
        int r;

        if (!status && !note) {
                fprintf(stderr, "lockdepctl triage: nothing to do; give --status or --note\n");
                return EXIT_USAGE;
        }
        s = verb_db(v);
        if (!s)
                return 1;
        if (resolve_group_write(s, v->argv[0], &id) < 0)
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

const VerbSpec verb_triage = {
        .min_args = 1,
        .max_args = 1,
        .args = "expected exactly one GROUP",
        .flags = VERB_DB_WRITE,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
