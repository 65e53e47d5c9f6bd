/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "config.h"
#include "lockdep-build.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"

Globals arg = {};

static const Verb verbs[] = {
        { "parse", "Parse saved kernel logs and print the lockdep reports found", NULL, &verb_parse },
        { "import", "Parse saved kernel logs into the database", NULL, &verb_import },
        { "list", "List report groups", NULL, &verb_list },
        { "show", "Show one group: cycle, scenario, counts, triage, a report", NULL, &verb_show },
        { "reports", "List reports (occurrences)", NULL, &verb_reports },
        { "report", "Print the raw text or the parsed form of one report", NULL, &verb_report },
        { "locks", "List lock classes, or show the groups and edges of one", NULL, &verb_locks },
        { "graph", "Print the observed lock-order graph as Graphviz DOT", NULL, &verb_graph },
        { "search", "Full-text search in the stored reports", NULL, &verb_search },
        { "export", "Export groups or reports as NDJSON, or as KCIDB JSON", NULL, &verb_export },
        { "triage", "Set the triage status and note of a group", NULL, &verb_triage },
        { "merge", "Merge one group into another", NULL, &verb_merge },
        { "suppress", "Add, list or delete suppression rules", NULL, &verb_suppress },
        { "stats", "Show database counters", NULL, &verb_stats },
        { "hosts", "List hosts, or show the groups and boots of one", NULL, &verb_hosts },
        { "kernels", "List kernel releases, or show what is new or gone in one", NULL, &verb_kernels },
        { "reparse", "Recompute parsed data and groups from the stored raw reports", NULL, &verb_reparse },
        { "push", "Send saved kernel logs to a lockdepd over HTTP", NULL, &verb_push },
        { "follow", "Print new and regressed groups as they are stored", NULL, &verb_follow },
        { "latent", "Show lock cycles of the fleet's /proc/lockdep that no boot had", verb_latent, NULL },
        { "snapshot", "Save this boot's new lock dependencies (/proc/lockdep) for lockdepd", NULL, &verb_snapshot },
};

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

/* Terminal width and colours, decided before a pager replaces stdout. */
static void detect_terminal(void) {
        const char *e = getenv("COLUMNS");
        struct winsize ws = {};
        bool tty = isatty(STDOUT_FILENO);

        if (tty && e && atoi(e) > 0) /* only a terminal's tables are fitted; a pipe gets whole cells */
                arg.columns = (unsigned) atoi(e);
        else if (tty && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
                arg.columns = ws.ws_col;
        if (setlocale(LC_CTYPE, ""))
                arg.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
        setlocale(LC_CTYPE, "C"); /* the rest of the program reads bytes */
        e = getenv("TERM");
        arg.colors = tty && !getenv("NO_COLOR") && !(e && strcmp(e, "dumb") == 0);
}

static void help(void) {
        printf("Usage: lockdepctl [OPTIONS] VERB [ARGS...]\n\n"
               "Find, parse and query Linux lockdep reports.\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-9s %s\n", verbs[i].name, verbs[i].summary);
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
        detect_terminal();
        if (argc < 2) {
                help();
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
                help();
                return 0;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("lockdepctl %s\n%s\n", PACKAGE_VERSION, LOCKDEP_FEATURES);
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(argv[1], verbs[i].name) == 0)
                        return verbs[i].spec ? verb_dispatch(verbs[i].name, verbs[i].spec, argc - 1, argv + 1)
                                             : verbs[i].run(argc - 1, argv + 1);
        fprintf(stderr, "lockdepctl: unknown verb '%s'; see 'lockdepctl --help'\n", argv[1]);
        return EXIT_USAGE;
}
