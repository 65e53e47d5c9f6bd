/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * liblockdep-parser: the only public header of parser/.
 *
 * Bytes in, reports out. The parser finds lockdep reports of every kind in kernel log text of any
 * rendering (bare dmesg, console with timestamps and caller ids, <N> levels, syslog/journalctl
 * prefixes, /dev/kmsg records, quoted mail), parses each into a LockdepReport with a normalized lock
 * chain and a stable group signature, and hands it to a callback as soon as the report has ended.
 *
 * Invariants:
 *  - No I/O, no logging, no globals: every piece of state hangs off a LockdepParser.
 *  - Memory is bounded by the options (max_report_lines/max_report_bytes, max_line): a report that
 *    grows past them is emitted with truncated = true, a longer line is cut.
 *  - Input may be split into chunks anywhere (even inside a UTF-8 sequence or a CRLF); the result
 *    is the same as feeding it in one piece.
 *  - Objects passed to the callback are owned by the parser and valid only during the call.
 *
 * Errors: functions return >= 0 on success and a negative errno on failure (-ENOMEM, -EINVAL), or
 * the negative value a callback returned, which aborts the feed.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2: keys never take the line before a title (internal), blanks are collapsed in messages,
 * per-filesystem classes carry their filesystem, degraded reports key on what was read reliably */
#define LOCKDEP_SIG_VERSION 2

typedef enum LockdepKind {
        LOCKDEP_CIRCULAR,
        LOCKDEP_RECURSIVE,
        LOCKDEP_INCONSISTENT,
        LOCKDEP_IRQ_INVERSION,
        LOCKDEP_SAFE_UNSAFE,
        LOCKDEP_BAD_UNLOCK_BALANCE,
        LOCKDEP_BAD_CONTENTION,
        LOCKDEP_HELD_LOCK_FREED,
        LOCKDEP_HELD_AT_EXIT,
        LOCKDEP_RETURN_TO_USER,
        LOCKDEP_NESTED_LOCK_NOT_TAKEN,
        LOCKDEP_INVALID_WAIT_CONTEXT,
        LOCKDEP_SUSPICIOUS_RCU,
        LOCKDEP_NON_STATIC_KEY,
        LOCKDEP_CHAIN_KEY_COLLISION,
        LOCKDEP_CAPACITY,
        LOCKDEP_INTERNAL,
        _LOCKDEP_KIND_MAX,
        _LOCKDEP_KIND_INVALID = -EINVAL,
} LockdepKind;

/* Is fn (n bytes, no offset) lockdep, a lock primitive or a wrapper that only takes a lock for its
 * caller? The one list every front end uses to find where a lock was taken. */
bool lockdep_is_locking_function(const char *fn, size_t n);

/* Stable identifiers of DESIGN.md section 3 ("circular", ...); NULL for out-of-range values. */
const char *lockdep_kind_to_string(LockdepKind k);
LockdepKind lockdep_kind_from_string(const char *s);

/* One lock as printed by print_lock()/print_lock_name(): strings owned by the report. */
typedef struct LockdepLock {
        char *class;     /* as printed, with #N and /N: "&sb->s_type->i_mutex_key#11" */
        char *canonical; /* normalized per DESIGN.md section 4 */
        char *usage;     /* "{+.+.}" or NULL */
        char *wait;      /* "{3:3}" or NULL */
        char *at;        /* acquire/release site "func+0x12/0x40 [mod]", or NULL */
        char *fs;        /* per-filesystem classes (parser/fs-classes.conf): the filesystem the
                          * report shows for this lock ("xfs"), which enters the group key; NULL
                          * for other classes or when the report does not tell */
} LockdepLock;

typedef struct LockdepChainEntry {
        unsigned n;        /* the N of "-> #N" */
        LockdepLock lock;  /* usage/wait set, at NULL */
        char **stack;      /* function names (offsets stripped), outermost last */
        size_t n_stack;
        char *at;          /* the acquire site of this edge: the first function of stack that is
                            * not a locking function (lockdep_is_locking_function(), so wrappers
                            * such as fs_reclaim_acquire, cpus_read_lock or pipe_lock are skipped);
                            * NULL if the stack has none. "at" in the parse --json chain entry. */
} LockdepChainEntry;

/* A lock-order edge the report shows (DESIGN.md section 6): "to" was taken while "from" was held.
 * The store keeps these as the group's edges and every front end shows "at" as the edge's site. */
typedef struct LockdepEdge {
        const char *from;  /* canonical class, owned by the report (one of its classes or locks) */
        const char *to;
        char *at;          /* the acquire site, a function name that is never a locking function
                            * (lockdep_is_locking_function()): the chain entry's "at" of "to";
                            * without a chain the acquiring lock's site, else the first such frame
                            * of the backtrace; NULL when the report does not show it (the
                            * dependency a cut circular report only implies) */
} LockdepEdge;

typedef struct LockdepReport {
        LockdepKind kind;
        char *title;       /* the title line as printed, prefixes stripped */
        char *kernel;      /* release, "6.4.0-rc1-00039-g18a87f3eaef5", or NULL */
        char *tainted;     /* taint flags without 'G' and blanks ("W", "BW"), NULL if not tainted */
        char *task;        /* comm, may contain '/' and blanks */
        int pid;           /* -1 when unknown */
        char *message;     /* rcu: "file.c: message"; capacity/internal/non-static key: the text */
        char *usage_from;  /* inconsistent: "SOFTIRQ-ON-W"; irq/safe_unsafe: irq class ("HARDIRQ") */
        char *usage_to;    /* inconsistent: "IN-SOFTIRQ-W"; irq/safe_unsafe: other irq class */

        LockdepLock *acquiring; /* "is trying to acquire lock:", "takes:", "just changed ..." */
        LockdepLock *holding;   /* "but task is already holding lock:" (or the other lock) */

        char **cycle;      /* circular: chain #N..#0 as printed; recursive: the class twice */
        char **classes;    /* cycle canonicalized, same order */
        size_t n_cycle;

        LockdepChainEntry *chain;
        size_t n_chain;
        LockdepEdge *edges; /* circular: each edge of the cycle, classes[(i+1) % n] -> classes[i];
                             * recursive: the class to itself; safe_unsafe: holding -> acquiring */
        size_t n_edges;
        LockdepLock *held; /* held-lock list, outermost first */
        size_t n_held;
        char **scenario;   /* scenario table lines, trimmed */
        size_t n_scenario;
        char **backtrace;  /* function names of the final backtrace, unreliable ("?") frames skipped */
        size_t n_backtrace;

        char signature[17];   /* 64-bit hex of kind + key, DESIGN.md section 4 */
        unsigned sig_version; /* LOCKDEP_SIG_VERSION */
        char *key;            /* human key: "circular: &mm->mmap_lock -> &sb->s_type->i_mutex_key" */
        char *func_title;     /* "possible deadlock in xfs_file_read_iter" */

        bool truncated;       /* the report was cut short (EOF, new report, size cap, reboot) */
        bool degraded;        /* recognized, but its chain or key could not be read reliably (a gap
                               * in "-> #N", an entry that did not parse, lines re-wrapped beyond
                               * repair): the signature keys only on what was read reliably */
        unsigned first_line;  /* 1-based line (or record) number of the title line */
        unsigned last_line;   /* of the last line that belongs to the report */
        bool has_ts;
        uint64_t ts_usec;     /* timestamp of the title line, when printed */
        uint64_t first_pos;   /* byte offset of the title line (feed) or its record's pos */
        bool has_time;
        uint64_t time_usec;   /* wall-clock time of the title line (usec since the epoch, UTC) from
                               * a syslog, journalctl or dmesg -T/iso prefix, when it has one */
        char *host;           /* host name of the title line's syslog/journal prefix, or NULL */

        char *text;           /* the report's own lines, prefixes stripped, foreign lines dropped */
        size_t text_len;
        /* The same lines as the log had them: each physical line as fed (its rendering prefix
         * included, '\r' and '\n' removed), '\n'-terminated, with the line before the title when
         * it is the "=====" banner or a WARN's "[ cut here ]" (or the message text keeps it).
         * Foreign lines are dropped as in text; a line re-joined into text keeps its own line
         * here. Records (feed_record()) are rendered as the console prints them ("[   12.345678] "
         * before each line). NULL when not known. */
        char *logged;
        size_t logged_len;
} LockdepReport;

typedef enum LockdepEventType {
        LOCKDEP_EVENT_REPORT,      /* .report is set */
        LOCKDEP_EVENT_BOOT,        /* a kernel banner or a timestamp reset: a new boot starts */
        LOCKDEP_EVENT_LOCKDEP_OFF, /* lockdep said it switched itself off; .text says how */
        _LOCKDEP_EVENT_MAX,
        _LOCKDEP_EVENT_INVALID = -EINVAL,
} LockdepEventType;

typedef struct LockdepEvent {
        LockdepEventType type;
        unsigned line;
        bool has_ts;
        uint64_t ts_usec;
        const char *text;             /* the line that caused the event, NUL-terminated */
        const LockdepReport *report;  /* only for LOCKDEP_EVENT_REPORT */
} LockdepEvent;

/* Return < 0 to stop: the feed call then returns that value. */
typedef int (*LockdepCallback)(const LockdepEvent *ev, void *userdata);

/* Alias table: "&mm->mmap_sem = &mm->mmap_lock"; one '*' wildcard allowed on each side. */
typedef struct LockdepAliases LockdepAliases;

/* A table filled with the built-in defaults (parser/aliases.conf, embedded at build time). */
int lockdep_aliases_new(LockdepAliases **ret);
/* An empty table, for callers that load the installed aliases.conf themselves. */
int lockdep_aliases_new_empty(LockdepAliases **ret);
LockdepAliases *lockdep_aliases_free(LockdepAliases *a);
/* Adds the entries of a text in aliases.conf syntax; later entries take precedence over earlier
 * ones. On a syntax error returns -EINVAL and the 1-based line in *ret_bad_line. */
int lockdep_aliases_add_text(LockdepAliases *a, const char *text, size_t len, unsigned *ret_bad_line);
/* Canonical class of a printed class name; returns a malloc()ed string or NULL on OOM. */
char *lockdep_canonical_class(const LockdepAliases *a, const char *name);

typedef struct LockdepOptions {
        LockdepCallback callback;
        void *userdata;
        const LockdepAliases *aliases; /* borrowed, may be NULL (= built-in table, owned by parser) */
        size_t max_report_lines;       /* 0 = 4096 */
        size_t max_report_bytes;       /* 0 = 1 MiB */
        size_t max_line;               /* 0 = 64 KiB; longer lines are cut */
        uint64_t reference_usec;       /* "now" for dates without a year (syslog "Jan 14 03:08:12"):
                                        * the latest year that is not after it; 0 = such dates
                                        * give no time */
} LockdepOptions;

typedef struct LockdepParser LockdepParser;

int lockdep_parser_new(const LockdepOptions *o, LockdepParser **ret);
LockdepParser *lockdep_parser_free(LockdepParser *p);

/* Log text in any rendering, any chunking. Line numbers count '\n' from the first byte fed. */
int lockdep_parser_feed(LockdepParser *p, const void *buf, size_t n);

/* One printk record as delivered by /dev/kmsg or the journal: the text with escapes undone (may
 * contain '\n'), without any prefix. Each record counts as one line for first_line/last_line. */
typedef struct LockdepRecord {
        const char *text;
        size_t len;
        bool has_ts;
        uint64_t ts_usec;
        char caller_kind;   /* 'T', 'C', or 0 when unknown (journal) */
        unsigned caller_id;
        uint64_t pos;       /* the caller's position of this record (seq, time), reported back */
} LockdepRecord;
int lockdep_parser_feed_record(LockdepParser *p, const LockdepRecord *r);

/* Where must reading resume after a crash so that no report is lost? Returns 1 and the position
 * of the first line (byte offset from the first byte fed) or record (its pos) of the report that
 * is still open, 0 if none is open (everything fed so far is done with, but for an unterminated
 * last line of a byte feed, whose offset is returned). */
int lockdep_parser_resume_pos(const LockdepParser *p, uint64_t *ret);

/* The input went quiet for a short while (a followed file or /dev/kmsg, a few hundred ms): emit
 * the open reports whose real end was seen, so they do not wait for the next line. A backtrace
 * has no terminator, and a serial console that stalls mid-trace is ordinary, so only a closing
 * "</TASK>" (5.16+), an "---[ end trace" line, or a line after the trace that is not part of it
 * is an end here; a report whose last line is a frame waits. Returns 1 if a report was emitted,
 * 0 if not. */
int lockdep_parser_flush_idle(LockdepParser *p);

/* The input stayed quiet for much longer (seconds): emit each open report whose end was not seen
 * as it is now, marked truncated, but keep it open. If more of it arrives, it is emitted again
 * when it ends, complete, and the store replaces the truncated copy (the same report identity).
 * A report is emitted this way at most once per line it gained. Returns the number emitted. */
int lockdep_parser_flush_stale(LockdepParser *p);

/* End of input: a report in progress is completed (truncated when it was cut short). */
int lockdep_parser_finish(LockdepParser *p);

/* Lines (byte feeds; an unterminated last line counts once finish() ran) or records fed so far. */
unsigned lockdep_parser_lines(const LockdepParser *p);

/* Does this physical line (no '\n') look like a line of a kernel log in any rendering the parser
 * reads: a kernel timestamp, a wall-clock prefix (dmesg -T, syslog, journalctl), a <N> or kmsg
 * level, a "host kernel:" tag, or one of the messages
 * every boot prints (Linux version, Command line, Call Trace, ...)? For the note a front end gives
 * when it found no report: "no lockdep report in FILE" only makes sense for a kernel log. */
bool lockdep_line_looks_kernel(const char *s, size_t n);

/* The DESIGN.md section 5 JSON object of a report, one line, no trailing newline. Returns the
 * length or -ENOMEM; *ret is malloc()ed. */
int lockdep_report_to_json(const LockdepReport *r, char **ret);

/* A deep copy of r that outlives the callback it was given to (a report passed to a callback is
 * freed when the callback returns): 0 or -ENOMEM. Freed with lockdep_report_free(). */
int lockdep_report_dup(const LockdepReport *r, LockdepReport **ret);
void lockdep_report_free(LockdepReport *r);

/* ---- /proc/lockdep ----------------------------------------------------------------------------
 * The dependency graph a boot has learned, as kernel/locking/lockdep_proc.c prints it (l_show()):
 * pure like the report parser (no I/O, bounded memory, any chunking gives the same result). */

typedef struct LockdepDep {
        const char *from, *to;                     /* as printed, with #N and /N */
        const char *from_canonical, *to_canonical; /* normalized like report classes */
        /* a per-filesystem class (fs-classes.conf): /proc/lockdep has no stack to tell which
         * filesystem it is, and its "#N" depends on the order of mounts, so its identity across
         * boots is uncertain */
        bool from_uncertain, to_uncertain;
} LockdepDep;

typedef int (*LockdepDepCallback)(const LockdepDep *d, void *userdata);

typedef struct LockdepDepOptions {
        LockdepDepCallback callback;
        void *userdata;
        const LockdepAliases *aliases; /* borrowed, may be NULL (= built-in table) */
        size_t max_line;               /* 0 = 4096; longer lines are counted bad, not used */
} LockdepDepOptions;

typedef struct LockdepDepStats {
        unsigned lines, classes, deps;
        unsigned bad_lines;   /* neither a class nor a dependency line (or one outside a block) */
        bool header;          /* "all lock classes:" came first */
        bool prove_locking;   /* FD:/BD: columns: CONFIG_PROVE_LOCKING, so dependencies are listed */
        bool truncated;       /* the input ended inside a line or a block */
        bool binary;          /* NUL bytes seen */
        /* "# NAME: VALUE" lines before the first class: lockdepctl snapshot's spool files carry
         * their origin so (docs/LATENT.md); empty when absent */
        char release[256], boot_id[256], host[256];
        uint64_t taken_usec;
        bool delta;           /* "# delta: yes": only what is new since the boot's last snapshot */
} LockdepDepStats;

typedef struct LockdepDepParser LockdepDepParser;

int lockdep_deps_new(const LockdepDepOptions *o, LockdepDepParser **ret);
LockdepDepParser *lockdep_deps_free(LockdepDepParser *p);
int lockdep_deps_feed(LockdepDepParser *p, const void *buf, size_t n);
int lockdep_deps_finish(LockdepDepParser *p, LockdepDepStats *ret);
/* Does this text (the first KiB or so of a file) look like /proc/lockdep? */
bool lockdep_deps_detect(const void *buf, size_t n);
