/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"

Globals arg = {};

static const Verb verbs[] = {
        { "parse", "Parse saved kernel logs and print the lockdep reports found", verb_parse },
        { "import", "Parse saved kernel logs into the database", verb_import },
        { "list", "List report groups", verb_list },
        { "reports", "List reports", verb_reports },
        { "reparse", "Recompute parsed data and groups from the stored raw reports", verb_reparse },
};

void fputs_safe(const char *s, FILE *f) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        }
}

Store *open_db(bool read_only) {
        Store *s = NULL;
        int r = store_open(arg.db, read_only ? STORE_READ_ONLY : STORE_CHECK, &s);
        if (r < 0) {
                fprintf(stderr, "lockdepctl: cannot open database %s: %s\n", arg.db,
                        store_error(s)[0] ? store_error(s) : strerror(-r));
                store_close(s);
                return NULL;
        }
        return s;
}

static void help(void) {
        printf("Usage: lockdepctl [OPTIONS] VERB [ARGS...]\n\n"
               "Find, parse and query Linux lockdep reports.\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nOptions (before or after the verb):\n"
               "  -h --help       Show this help\n"
               "     --version    Show the version\n"
               "     --db PATH    Database (default: $LOCKDEPCTL_DB or %s)\n"
               "     --no-pager   Do not pipe output into a pager\n\n"
               "Run 'lockdepctl VERB --help' for the options of a verb. See lockdepctl(1).\n",
               LOCKDEP_DEFAULT_DB);
}

/* Takes the global options out of argv wherever they are; returns the new argc or -1. */
static int take_globals(int argc, char **argv) {
        int n = 1;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--db") == 0) {
                        if (i + 1 >= argc) {
                                fprintf(stderr, "lockdepctl: --db needs a PATH\n");
                                return -1;
                        }
                        arg.db = argv[++i];
                } else if (strncmp(argv[i], "--db=", 5) == 0)
                        arg.db = argv[i] + 5;
                else if (strcmp(argv[i], "--no-pager") == 0)
                        arg.no_pager = true;
                else if (strcmp(argv[i], "--") == 0) {
                        while (i < argc)
                                argv[n++] = argv[i++];
                        break;
                } else
                        argv[n++] = argv[i];
        }
        argv[n] = NULL;
        return n;
}

int main(int argc, char **argv) {
        argc = take_globals(argc, argv);
        if (argc < 0)
                return EXIT_USAGE;
        if (!arg.db)
                arg.db = getenv("LOCKDEPCTL_DB");
        if (!arg.db)
                arg.db = LOCKDEP_DEFAULT_DB;
        if (argc < 2) {
                help();
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
                help();
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("lockdepctl %s\n", PACKAGE_VERSION);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].run(argc - 1, argv + 1);
        fprintf(stderr, "lockdepctl: unknown verb '%s'; see 'lockdepctl --help'\n", argv[1]);
        return EXIT_USAGE;
}
