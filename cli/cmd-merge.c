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

int verb_merge(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        bool json = false;
        int64_t into, from;
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
                default:
                        return EXIT_USAGE;
                }
        if (optind + 2 != argc) {
                fprintf(stderr, "lockdepctl merge: expected two groups, INTO and FROM\n");
                return EXIT_USAGE;
        }
        s = open_db(false);
        if (!s)
                return 1;
        if (resolve_group_write(s, argv[optind], &into) < 0)
                return 1;
        /* FROM merged away already: following it would move the reports of the group it went into
         * as well, so it is named, not followed (done if that group is INTO) */
        r = store_resolve_group(s, argv[optind + 1], &from);
        if (r == -ENOENT && store_resolve_live_group(s, argv[optind + 1], &from) > 0) {
                if (from == into) {
                        fprintf(stderr, "lockdepctl merge: group %s was merged into %lld already; nothing to do\n",
                                argv[optind + 1], (long long) into);
                        return print_group_after(s, into, json, "merged");
                }
                fprintf(stderr, "lockdepctl merge: group %s was merged into %lld; to move the reports of that "
                        "group, merge %lld\n", argv[optind + 1], (long long) from, (long long) from);
                return 1;
        }
        if (resolve_group(s, argv[optind + 1], &from) < 0)
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
