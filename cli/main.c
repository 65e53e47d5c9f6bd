/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lockdepctl.h"
#include "macro.h"

static const Verb verbs[] = {
        { "parse", "Parse saved kernel logs and print the lockdep reports found", verb_parse },
};

void fputs_safe(const char *s, FILE *f) {
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                if (*p < 0x20 || *p == 0x7f)
                        fprintf(f, "\\x%02x", *p);
                else
                        fputc(*p, f);
        }
}

static void help(void) {
        printf("Usage: lockdepctl [OPTIONS] VERB [ARGS...]\n\n"
               "Find, parse and query Linux lockdep reports.\n\n"
               "Verbs:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-10s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nOptions:\n"
               "  -h --help     Show this help\n"
               "     --version  Show the version\n\n"
               "Run 'lockdepctl VERB --help' for the options of a verb. See lockdepctl(1).\n");
}

int main(int argc, char **argv) {
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
