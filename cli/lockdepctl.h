/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lockdepctl: one table entry per verb (tmux cmd-*.c style) in main.c, one cmd-<verb>.c each. The
 * verb runner (verbs.c) parses --help, the shared output options and the verb's own options, checks
 * the count of its arguments and opens the database as the verb's flags say; a verb not converted
 * to it yet parses its own options (Verb.run). Shared helpers: util.c (escaping, time parsing, a
 * reader for the JSON objects the store emits, the query filter options), table.c (terminal
 * tables), pager.c.
 *
 * Exit status of every verb: 0 found/done, 1 error or nothing found, 2 usage (EXIT_USAGE).
 */

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "macro.h"

#define EXIT_USAGE 2

struct VerbSpec;
typedef struct Verb {
        const char *name;
        const char *summary;
        int (*run)(int argc, char **argv); /* argv[0] is the verb; returns the exit status; or */
        const struct VerbSpec *spec;       /* run by the verb runner (verbs.c) */
} Verb;

/* Global options and terminal state, set by main() before the verb runs. */
typedef struct Globals {
        const char *db; /* --db PATH, $LOCKDEPCTL_DB, or the daemon's state database */
        bool no_pager;
        bool colors;      /* stdout is a terminal and $NO_COLOR is unset */
        unsigned columns; /* terminal width; 0 = not a terminal, no limit */
        bool utf8;        /* the locale's character set is UTF-8: "…" for cut cells */
} Globals;
extern Globals arg;

/* --host NAME (given; NULL: this machine's name) under the one rule of host-name.h, into buf
 * (HOST_NAME_BUF bytes). 0, or -EINVAL after saying why on stderr. */
int host_arg(const char *verb, const char *given, char *buf);
/* latent parses its own options: "latent triage ..." is a verb of its own with other options. */
int verb_latent(int argc, char **argv);

/* Loads the alias tables as every reader does (aliases_load() of store/ingest.h), FILE (from
 * --aliases, or NULL) last; prints the error itself. */
struct LockdepAliases;
int load_aliases(const char *user_file, struct LockdepAliases **ret);

/* Opens the database (read-only for read verbs); prints a clear error and returns NULL. */
struct Store;
struct Store *open_db(bool read_only);
/* Closes a Store; for _cleanup_(store_closep). */
void store_closep(struct Store **s);
/* Resolves GROUP (an id or a unique signature prefix); prints why not and returns < 0. An id merged
 * away leads to the group it went into (store_resolve_live_group(), the resolver of every front
 * end), saying "group OLD was merged into NEW" on stderr; resolve_group_write() adds "; applying
 * to NEW" (for the verbs that change a group). */
int resolve_group(struct Store *s, const char *spec, int64_t *ret);
int resolve_group_write(struct Store *s, const char *spec, int64_t *ret);
/* show and report without an ID: the newest group (by last seen) or report (by time); prints why
 * not and returns the exit status 1, or 0. */
int newest_id(struct Store *s, bool reports, int64_t *ret);
/* Parses a positive integer id; prints an error naming what and returns -EINVAL. */
int parse_id(const char *s, const char *what, int64_t *ret);
/* After triage or merge: prints the group object (json) or a one-line summary; the exit status. */
int print_group_after(struct Store *s, int64_t id, bool json, const char *what);
/* Prints "lockdepctl: out of memory" and returns 1 (the exit status). */
int print_oom(void);
/* Prints "lockdepctl: <what>: <store error or strerror(-r)>" and returns 1 (the exit status). */
int store_failed(struct Store *s, int r, const char *what);

/* ---- reading saved logs (log-input.c) -------------------------------------------------------- */

#include "decompress.h"

/* One log file for parse/import: plain or gzip/xz/zstd (by magic bytes), fed to parser as it is
 * read; after_feed (may be NULL) runs after each piece (import: batch commits, progress). */
typedef struct LogInput {
        struct LockdepParser *parser;
        int (*after_feed)(void *userdata);
        void *userdata;
        DecompressFormat format;
        BinarySniff sniff;
        char head[16384];      /* the first plain bytes: does it look like a kernel log? */
        size_t head_len;
        uint64_t bytes;        /* plain bytes fed */
        int read_error;        /* decompress_fd() */
        int parser_error;      /* lockdep_parser_finish() */
} LogInput;
/* The "now" for year-less syslog dates of a log: $SOURCE_DATE_EPOCH, else the file's mtime (the
 * log was written before it), else the current time (LockdepOptions.reference_usec). */
uint64_t log_input_reference(int fd);
/* Reads fd to its end and finishes the parser (also after corrupt or truncated compressed data,
 * so nothing read is lost). Returns 0 or the first error. */
int log_input_read(LogInput *in, int fd);
/* Prints what came of it on stderr and returns the exit status: 1 for a read error, corrupt or
 * truncated compressed data, or binary data without any report; 0 (with a note) for an empty
 * input or text without a lockdep report; 0 silently when there were reports. */
int log_input_done(const LogInput *in, const char *verb, const char *name, unsigned n_reports);

/* lockdepctl import of a saved /proc/lockdep (cmd-latent.c): head holds the n_head bytes already
 * read from fd. Returns the exit status. */
struct LockdepAliases;
typedef struct ImportDepsOptions {
        const char *release, *boot_id, *host;  /* given (--kernel, --boot-id, --host), or NULL */
        const char *default_boot_id, *default_host; /* when neither given nor in the file's head */
        const struct LockdepAliases *aliases;
} ImportDepsOptions;
struct Store;
int import_deps(struct Store *s, int fd, const char *path, const char *head, size_t n_head, const ImportDepsOptions *o);

/* ---- safe output: text from the database never drives the terminal ----------------------------
 */

/* Writes s to f with control characters (C0, DEL, C1) and invalid UTF-8 escaped as \xNN: kernel
 * logs are untrusted. fputs_text() keeps newlines and tabs (for raw report text). */
void fputs_safe(const char *s, FILE *f);
void fputs_text(const char *s, FILE *f);
/* The escaped form of s (newlines escaped too), malloc()ed; NULL on ENOMEM. */
char *escape_safe(const char *s);
/* Prints a JSON object of the store and a newline; C1 controls in strings (valid UTF-8, but 8-bit
 * terminal controls) become \u00XX. */
void print_json(const char *js);
/* Display width of an escaped (printable) string: its code points. */
size_t text_width(const char *s);

/* Terminal highlighting, "" without colours. */
const char *ansi_highlight(void);
const char *ansi_grey(void);
const char *ansi_normal(void);

/* Starts $SYSTEMD_PAGER/$PAGER or "less" (LESS=FRSXMK) on stdout when it is a terminal and
 * --no-pager was not given; the pager is waited for at exit. */
void pager_open(void);

/* ---- reading the JSON objects the store emits ------------------------------------------------ */

/* Values are pointers into the JSON text. json_get(): the value of key in object obj, NULL if
 * absent or obj is not an object. */
const char *json_get(const char *obj, const char *key);
/* A string value decoded (numbers and booleans as their text), malloc()ed; NULL for null, absent
 * or ENOMEM. */
char *json_str(const char *v);
char *json_get_str(const char *obj, const char *key);
int64_t json_get_int(const char *obj, const char *key, int64_t def);

/* Iterates an array (ret_key NULL) or an object's members. */
typedef struct JsonIter {
        const char *p;
        bool object;
} JsonIter;
bool json_iter_init(JsonIter *it, const char *v);
bool json_iter_next(JsonIter *it, const char **ret_key, const char **ret_value);

/* ---- the query filters shared by list, reports and export ------------------------------------ */

enum {
        ARG_JSON = 0x100,
        ARG_KIND,
        ARG_STATUS,
        ARG_HOST,
        ARG_KERNEL,
        ARG_LOCK,
        ARG_SINCE,
        ARG_UNTIL,
        ARG_SORT,
        ARG_LIMIT,
        ARG_OFFSET,
        ARG_ALL,
        _ARG_QUERY_MAX, /* verbs number their own options from here */
};

/* clang-format off */
#define QUERY_OPTIONS                                                   \
        { "kind", required_argument, NULL, ARG_KIND },                  \
        { "status", required_argument, NULL, ARG_STATUS },              \
        { "host", required_argument, NULL, ARG_HOST },                  \
        { "kernel", required_argument, NULL, ARG_KERNEL },              \
        { "lock", required_argument, NULL, ARG_LOCK },                  \
        { "since", required_argument, NULL, ARG_SINCE },                \
        { "until", required_argument, NULL, ARG_UNTIL },                \
        { "sort", required_argument, NULL, ARG_SORT },                  \
        { "limit", required_argument, NULL, ARG_LIMIT },                \
        { "offset", required_argument, NULL, ARG_OFFSET },              \
        { "all", no_argument, NULL, ARG_ALL }
/* clang-format on */

#define QUERY_OPTIONS_HELP                                                                     \
        QUERY_FILTERS_HELP                                                                     \
        "     --sort FIELD      last_seen (default), first_seen, reports, hosts or id\n"       \
        "     --limit N         Show at most N\n"                                             \
        "     --offset N        Skip the first N\n"                                           \
        "     --all             Also what suppression rules hide (marked suppressed)\n"

/* The filters alone (search has its own sorts) */
#define QUERY_FILTERS_HELP                                                                     \
        "     --kind KIND       Only this report kind (circular, recursive, ...)\n"            \
        "     --status STATUS   Only this triage status (new, confirmed, ...)\n"               \
        "     --host HOST       Only reports from this host name or machine id\n"              \
        "     --kernel FILTER   A release and its series (6.1: 6.1, 6.1.x, 6.1-rcN; not 6.10),\n" \
        "                       =R exactly, >=R, >R, <=R, <R, or A..B (by version)\n"          \
        "     --lock CLASS      Only cycles/chains the lock class takes part in\n"             \
        "     --since TIME      Seen at or after TIME (YYYY-MM-DD, ISO time, -7d, -2h, ...)\n" \
        "     --until TIME      Seen at or before TIME (a date includes the whole day)\n"

/* ---- the output options of every list verb (util.c) ------------------------------------------ */

typedef enum OutputMode {
        OUTPUT_SHORT,       /* the table */
        OUTPUT_JSON,        /* one JSON object per line (--json is -o json) */
        OUTPUT_JSON_PRETTY, /* each object indented, one member a line */
} OutputMode;

enum {
        ARG_NO_LEGEND = 0x200, /* above every verb's own numbers */
};

/* -n/--lines N, -r/--reverse, --no-legend, -q/--quiet, -o/--output MODE and --json: rows are kept
 * (as the store's JSON objects) until output_flush(), which takes the newest N and orders them. */
typedef struct Output {
        unsigned lines;   /* -n: the newest N; 0 = all */
        bool reverse;     /* -r */
        bool no_legend;   /* no header and no footer */
        bool quiet;       /* no footer or informational lines */
        OutputMode mode;
        bool newest_last; /* set by the verb: its rows come oldest first (reports) */
        char **rows;
        size_t n_rows;
} Output;

/* clang-format off */
#define OUTPUT_SHORTOPTS "n:rqo:"
#define OUTPUT_OPTIONS                                                  \
        { "json", no_argument, NULL, ARG_JSON },                        \
        { "output", required_argument, NULL, 'o' },                     \
        { "lines", required_argument, NULL, 'n' },                      \
        { "reverse", no_argument, NULL, 'r' },                          \
        { "no-legend", no_argument, NULL, ARG_NO_LEGEND },              \
        { "quiet", no_argument, NULL, 'q' }
/* Only the mode (-o, --json): the verbs that print one object (show, report, stats) and follow. */
#define OUTPUT_MODE_SHORTOPTS "o:"
#define OUTPUT_MODE_OPTIONS                                             \
        { "json", no_argument, NULL, ARG_JSON },                        \
        { "output", required_argument, NULL, 'o' }
/* clang-format on */

#define OUTPUT_MODE_HELP                                                                       \
        "  -o --output MODE     short (text, default), json (one line) or json-pretty\n"        \
        "     --json            The same as -o json\n"

#define OUTPUT_OPTIONS_HELP                                                                    \
        "  -o --output MODE     short (the table, default), json (one object a line) or\n"      \
        "                       json-pretty\n"                                                  \
        "     --json            The same as -o json\n"                                          \
        "  -n --lines N         Only the newest N\n"                                            \
        "  -r --reverse         The other order (newest first where it is oldest first)\n"      \
        "     --no-legend       No header line and no footer\n"                                 \
        "  -q --quiet           No footer and no informational lines\n"

/* Applies one of OUTPUT_OPTIONS: 1 if c is one, 0 if not, -EINVAL (message printed) for a bad
 * value. */
int output_option(int c, const char *optarg, Output *o);
static inline bool output_json(const Output *o) {
        return o->mode != OUTPUT_SHORT;
}
/* Keeps a copy of one row (a JSON object); 0 or -ENOMEM. */
int output_row(Output *o, const char *js);
/* The rows kept, the newest lines of them, in order (reversed with -r): printed as JSON, or given
 * to add() (table rows). Frees the rows. Returns how many were output, or add()'s error. */
int output_flush(Output *o, int (*add)(const char *js, void *userdata), void *userdata);
void output_done(Output *o);
/* The same choice for the n rows of a typed view (not kept in o): how many are output, and the
 * index in the view of the k-th of them. */
size_t output_shown(const Output *o, size_t n);
size_t output_index(const Output *o, size_t n, size_t k);
/* The rows of a typed view (n rows of size bytes at v) as o asks (output_shown(), output_index()):
 * each row's API object, written by json() (the store's one serializer), printed; or its table row
 * made by add(t, row). How many were output, or -ENOMEM. */
struct Table;
struct StrBuf;
int output_view(const Output *o, const void *v, size_t n, size_t size, int (*json)(const void *row, struct StrBuf *b),
                int (*add)(struct Table *t, const void *row), struct Table *t);
/* A footer or note ("3 of 349 groups shown"): on stderr, and not with -q or --no-legend. */
void output_note(const Output *o, const char *fmt, ...) _printf_(2, 3);
/* Prints one object as -o asks (json or json-pretty). */
void output_json_object(const Output *o, const char *js);
/* "1 report", "2 reports": n and the word in the right number. */
const char *plural(long long n, const char *one, const char *many);

struct StoreQuery;
/* Applies one of QUERY_OPTIONS: 1 if c is one, 0 if not, -EINVAL (message printed) for a bad value.
 */
int query_option(int c, const char *optarg, struct StoreQuery *q);

/* ---- sorting and paging the fleet lists (hosts, kernels, locks) ------------------------------ */

enum {
        ARG_ORDER = 0x280, /* above ARG_NO_LEGEND, below the verbs' own numbers */
};

/* clang-format off */
#define LIST_OPTIONS                                                    \
        { "sort", required_argument, NULL, ARG_SORT },                  \
        { "order", required_argument, NULL, ARG_ORDER },                \
        { "limit", required_argument, NULL, ARG_LIMIT },                \
        { "offset", required_argument, NULL, ARG_OFFSET }
/* clang-format on */

#define LIST_OPTIONS_HELP                                                                      \
        "     --order ORDER     asc or desc (default: most and newest first, names A to Z)\n"  \
        "     --limit N         Show at most N\n"                                             \
        "     --offset N        Skip the first N\n"

struct StoreListQuery;
/* Applies one of LIST_OPTIONS through the store's reader (store_list_query_set()), as the API
 * does: 1 if c is one, 0 if not, -EINVAL (message printed) for a bad value. */
int list_option(int c, const char *optarg, struct StoreListQuery *q);
/* Prints the --sort line of a list verb's --help: the sort names of the store's table. */
void list_sorts_help(int list);
/* After a list verb printed its table: "3 of 13 hosts shown; ..." on stderr when a page of more. */
struct Store;
void list_footer(struct Store *s, const struct StoreListQuery *q, const Output *o, int shown, const char *one,
                 const char *many);

/* ---- the verb runner (verbs.c, systemd's shared/verbs.c with per-verb options) ------------------ */

typedef enum VerbFlags {
        VERB_DB_WRITE = 1 << 0,    /* verb_db() opens the database for writing (else read-only) */
        VERB_OUTPUT = 1 << 1,      /* the list output options: -o, --json, -n, -r, --no-legend, -q */
        VERB_OUTPUT_MODE = 1 << 2, /* only -o and --json (verbs that print one object) */
} VerbFlags;

#define VERB_ANY ((unsigned) -1)

struct Output;
struct Store;
typedef struct VerbRun VerbRun;

/* What a verb is to the runner; its options and its state are its file's (systemd's arg_*). */
typedef struct VerbSpec {
        unsigned min_args, max_args;  /* arguments after the options; max VERB_ANY: no limit */
        const char *args;             /* the end of "lockdepctl VERB: ..." when their count is
                                       * wrong ("expected at most one report ID") */
        VerbFlags flags;
        const char *shortopts;        /* the verb's own, after "h" and the shared ones */
        const struct option *options; /* the verb's own long options, {}-terminated, or NULL */
        /* One of them: 0, or < 0 (usage, exit 2) after saying why. */
        int (*option)(int c, const char *optarg);
        void (*help)(void);
        int (*run)(VerbRun *v);       /* the exit status */
} VerbSpec;

struct VerbRun {
        const VerbSpec *spec;
        const char *name;
        int argc;                     /* the arguments after the options */
        char **argv;
        Output out;                   /* the shared output options (flags VERB_OUTPUT*) */
        struct Store *store;          /* verb_db(); closed by the runner */
};

/* Parses argv (argv[0] the verb) and runs spec; returns the exit status. */
int verb_dispatch(const char *name, const VerbSpec *spec, int argc, char **argv);
/* The database, opened on first use (read-only unless VERB_DB_WRITE); NULL after printing why. */
struct Store *verb_db(VerbRun *v);
/* The same for a verb that decides by its options (suppress --list reads, the others write). */
struct Store *verb_db_open(VerbRun *v, bool read_only);

/* The verbs the runner runs (cmd-*.c). */
extern const VerbSpec verb_stats;
extern const VerbSpec verb_list;
extern const VerbSpec verb_reports;
extern const VerbSpec verb_report;
extern const VerbSpec verb_hosts;
extern const VerbSpec verb_kernels;
extern const VerbSpec verb_locks;
extern const VerbSpec verb_search;
extern const VerbSpec verb_show;
extern const VerbSpec verb_triage;
extern const VerbSpec verb_merge;
extern const VerbSpec verb_graph;
extern const VerbSpec verb_export;
extern const VerbSpec verb_suppress;
extern const VerbSpec verb_reparse;
extern const VerbSpec verb_follow;
extern const VerbSpec verb_parse;
extern const VerbSpec verb_import;
extern const VerbSpec verb_push;
extern const VerbSpec verb_snapshot;
