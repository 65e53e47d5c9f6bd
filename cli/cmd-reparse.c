/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lockdepctl reparse: re-derive parsed data and groups from stored raw text (after an upgrade). */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "lockdep.h"
#include "lockdepctl.h"
#include "store.h"

static void progress(unsigned done, unsigned total, void *userdata) {
        if (isatty(STDERR_FILENO))
                fprintf(stderr, "\rreparse: %u of %u reports%s", done, total, done == total ? "\n" : "");
}

enum {
        ARG_ALIASES = 0x100
};

static const struct option options[] = {
        { "aliases", required_argument, NULL, ARG_ALIASES },
        {},
};
static const char *arg_aliases;

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] reparse [--aliases FILE]\n\n"
               "Parse every stored report again from its raw text and recompute groups,\n"
               "chains and lock-order edges. Triage status and notes are kept.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --aliases FILE    Add the class aliases of FILE\n");
}

static int option(int c, const char *optarg) {
        if (c != ARG_ALIASES)
                return -EINVAL;
        arg_aliases = optarg;
        return 0;
}

static int run(VerbRun *v) {
        const char *aliases_file = arg_aliases;
        LockdepAliases *aliases = NULL;
        unsigned n = 0, changed = 0, merged = 0;

        if (load_aliases(aliases_file, &aliases) < 0)
                return 1;
        Store *s = verb_db(v);
        if (!s) {
                lockdep_aliases_free(aliases);
                return 1;
        }
        if (store_repaired(s))
                fprintf(stderr, "lockdepctl reparse: the database was made by an earlier build; created what it "
                        "lacked: %s\n", store_repaired(s));
        int r = store_reparse_progress(s, aliases, progress, NULL, &n, &changed, &merged);
        if (r < 0)
                fprintf(stderr, "lockdepctl reparse: %s\n", store_error(s));
        else {
                printf("%u report%s reparsed, %u moved to another group", n, n == 1 ? "" : "s", changed);
                if (merged > 0)
                        printf(", %u duplicate%s merged (the better copy kept)", merged, merged == 1 ? "" : "s");
                putchar('\n');
        }
        lockdep_aliases_free(aliases);
        return r < 0 ? 1 : 0;
}

const VerbSpec verb_reparse = {
        .max_args = 0,
        .flags = VERB_DB_WRITE,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
