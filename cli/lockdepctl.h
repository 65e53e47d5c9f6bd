/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* lockdepctl: one table entry per verb (tmux cmd-*.c style); each verb parses its own options. */

#include <stdbool.h>
#include <stdio.h>

#define EXIT_USAGE 2

typedef struct Verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv); /* argv[0] is the verb; returns the exit status */
} Verb;

/* Global options, set by main() before the verb runs. */
typedef struct Globals {
        const char *db;   /* --db PATH, $LOCKDEPCTL_DB, or the daemon's state database */
        bool no_pager;
} Globals;
extern Globals arg;

int verb_parse(int argc, char **argv);
int verb_import(int argc, char **argv);
int verb_list(int argc, char **argv);
int verb_reports(int argc, char **argv);
int verb_reparse(int argc, char **argv);

/* Loads the alias tables (built-in or installed, then the user's FILE or default); prints the
 * error itself. */
struct LockdepAliases;
int load_aliases(const char *user_file, struct LockdepAliases **ret);

/* Opens the database (read-only for read verbs); prints a clear error and returns NULL. */
struct Store;
struct Store *open_db(bool read_only);

/* Writes s to f with control characters and invalid bytes escaped: kernel logs are untrusted and
 * must not drive the terminal. */
void fputs_safe(const char *s, FILE *f);
