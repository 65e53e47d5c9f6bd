/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* lockdepctl: one table entry per verb (tmux cmd-*.c style); each verb parses its own options. */

#include <stdio.h>

#define EXIT_USAGE 2

typedef struct Verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv); /* argv[0] is the verb; returns the exit status */
} Verb;

int verb_parse(int argc, char **argv);

/* Writes s to f with control characters and invalid bytes escaped: kernel logs are untrusted and
 * must not drive the terminal. */
void fputs_safe(const char *s, FILE *f);
