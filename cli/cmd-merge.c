/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl merge INTO FROM: moves every report of group FROM into INTO; FROM is deleted. */
#include <stdio.h>
#include <stdlib.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] merge [OPTIONS] INTO FROM\n\n"
               "Merge group FROM into group INTO (ids or signature prefixes): every report of\n"
               "FROM moves to INTO and FROM is deleted. The merge is logged.\n\n"
               "Options:\n"
               "  -h --help    Show this help\n"
               "     --json    Print the merged group object afterwards\n");
}

static bool arg_json;
static const struct option options[] = {
        { "json", no_argument, NULL, ARG_JSON },
        {},
};

static int option(int c, const char *optarg) {
        (void) optarg;
        if (c != ARG_JSON)
                return -EINVAL;
        arg_json = true;
        return 0;
}

static int run(VerbRun *v) {
        bool json = arg_json;
        Store *s;
        int64_t into, from;
        int r;

        s = verb_db(v);
        if (!s)
                return 1;
        if (resolve_group_write(s, v->argv[0], &into) < 0)
                return 1;
        /* FROM merged away already: following it would move the reports of the group it went into
         * as well, so it is named, not followed (done if that group is INTO) */
        r = store_resolve_group(s, v->argv[1], &from);
        if (r == -ENOENT && store_resolve_live_group(s, v->argv[1], &from) > 0) {
                if (from == into) {
                        fprintf(stderr, "lockdepctl merge: group %s was merged into %lld already; nothing to do\n",
                                v->argv[1], (long long) into);
                        return print_group_after(s, into, json, "merged");
                }
                fprintf(stderr, "lockdepctl merge: group %s was merged into %lld; to move the reports of that "
                        "group, merge %lld\n", v->argv[1], (long long) from, (long long) from);
                return 1;
        }
        if (resolve_group(s, v->argv[1], &from) < 0)
                return 1;
        if (into == from) {
                fprintf(stderr, "lockdepctl merge: cannot merge group %lld into itself\n",
                        (long long) into);
                return EXIT_USAGE;
        }
        r = store_merge_groups(s, into, from);
        if (r < 0)
                return store_failed(s, r, "merging");
        return print_group_after(s, into, json, "merged");
}

const VerbSpec verb_merge = {
        .min_args = 2,
        .max_args = 2,
        .args = "expected two groups, INTO and FROM",
        .flags = VERB_DB_WRITE,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
