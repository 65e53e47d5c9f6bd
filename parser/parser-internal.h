/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Internals shared by the parser's translation units. Data flow inside a LockdepParser:
 *
 *   feed() bytes --scan.c--> candidate physical lines (or every line while a report is open)
 *        --prefix.c--> logical Lines (rendering prefix removed, escapes undone)
 *        --assemble.c--> report state machine: which lines belong to the open report, when it ends
 *        --parse.c--> LockdepReport fields  --normalize.c/signature.c--> canonical classes, key
 *        --> callback
 */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host-name.h"
#include "lockdep.h"
#include "strbuf.h"

/* ---- prefix.c ---------------------------------------------------------------------------- */

typedef enum Escape {
        ESCAPE_NONE,
        ESCAPE_KMSG,   /* /dev/kmsg record text: \xNN */
        ESCAPE_SYSLOG, /* rsyslog: #012 for '\n', #011 for '\t' */
} Escape;

/* A wall-clock time read from a prefix (syslog, journalctl, dmesg -T/iso). year 0: the rendering
 * has none (syslog "Jan 14 03:08:12"); tz_known false: a zone name we cannot convert. */
typedef struct WallTime {
        bool set;
        bool tz_known;
        int year, mon, day, hour, min, sec; /* mon 1-12 */
        unsigned usec;
        int tz_offset_min;                  /* local = UTC + offset */
} WallTime;

typedef struct LinePrefix {
        size_t width;        /* bytes of the physical line that belong to the prefix */
        bool has_ts;
        uint64_t ts_usec;
        char caller_kind;    /* 'T', 'C' or 0 */
        unsigned caller_id;
        int level;           /* <N> or kmsg level, -1 when absent */
        bool kmsg_cont;      /* kmsg record flag '+' (fragment continuing the previous line) */
        Escape escape;
        bool any;            /* some prefix was recognised */
        WallTime wall;
        const char *host;    /* "host kernel:" of syslog/journal prefixes: into the line, or NULL */
        size_t host_len;
} LinePrefix;

/* usec since the epoch of w; a year-less w takes the latest year that puts it at most a day after
 * reference_usec (0: no reference, false). False when the zone is unknown. */
bool wall_to_usec(const WallTime *w, uint64_t reference_usec, uint64_t *ret);

/* Splits a physical line (no '\n', '\r' already removed) into prefix and message. */
void prefix_parse(const char *s, size_t n, LinePrefix *ret);

/* ---- scan.c ----------------------------------------------------------------------------- */

/* Offset of the next position in [s, s+n) that may belong to a title or a kernel banner (the ':'
 * of "WORD: " or the 'x' of "Linux version"), or n. Reads only [s, s+n). */
size_t scan_candidate(const char *s, size_t n);
size_t scan_count_newlines(const char *s, size_t n);

/* Per-filesystem classes and filesystem names of parser/fs-classes.conf. */
typedef struct FsTable {
        char **classes;
        size_t n_classes;
        char **names;
        size_t n_names;
} FsTable;

/* ---- the parser --------------------------------------------------------------------------- */

typedef struct Line {
        const char *s;       /* NUL-terminated */
        size_t len;
        unsigned lineno;
        uint64_t pos;        /* byte offset of the physical line, or the record's pos */
        bool has_ts;
        uint64_t ts_usec;
        char caller_kind;
        unsigned caller_id;
        bool replay;         /* held back by a report and handed on again: seen once already */
        const WallTime *wall; /* of the line's prefix, or NULL */
        const char *host;    /* of the line's prefix (not NUL-terminated), or NULL */
        size_t host_len;
        /* the physical line(s) as fed, prefix included ('\n' between the lines of a joined
         * line), for LockdepReport.logged; phys_lineno is the number of the last of them */
        const char *phys;
        size_t phys_len;
        unsigned phys_lineno;
} Line;

typedef enum Section {
        SEC_BODY,     /* between title and "stack backtrace:" */
        SEC_BT_PRE,   /* waiting for the dump_stack() output to start */
        SEC_BT,       /* inside dump_stack() output */
        SEC_HELD,     /* return to user: the held-lock list is the end of the report */
} Section;

#define PENDING_MAX 2
#define OPEN_MAX 4

typedef struct OpenReport {
        bool open;
        LockdepKind kind;
        Section sec;
        unsigned first_line, last_line;
        uint64_t first_pos;
        bool has_ts;
        uint64_t ts_usec;
        char caller_kind;
        unsigned caller_id;
        unsigned unknown_run;   /* consecutive unrecognised body lines */
        unsigned foreign_run;   /* consecutive lines of other callers */
        unsigned bt_pre_lines;  /* lines seen in SEC_BT_PRE */
        unsigned bt_frames;     /* frames seen in the current backtrace */
        unsigned n_backtraces;
        unsigned seen;          /* SEEN_* structure lines of the current dump_stack() */
        unsigned task_depth;    /* open <TASK> markers of the current dump_stack() */
        bool task_seen;         /* the current dump_stack() opened a <TASK> (5.16+) */
        bool end_seen;          /* its real end: the closing </TASK>, or "---[ end trace" */
        int held_announced;     /* N of the "N locks held by" header of SEC_HELD, -1 unknown */
        unsigned held_entries;  /* " #i: " lines seen in SEC_HELD */
        size_t stale_lines;     /* n_lines when it was last emitted by flush_stale() */
        StrBuf text;            /* accepted lines, '\n'-terminated each */
        unsigned *lineno;       /* line number of each accepted line */
        size_t n_lines, n_lines_cap;
        size_t keep_len;        /* text.len up to the last line that surely belongs */
        size_t keep_lines;
        /* lines after the last accepted one that may still be foreign or the start of more */
        struct {
                char *s;
                size_t len;
                char *phys;     /* copy of l.phys */
                Line l;
                WallTime wall;  /* copies of what l points to */
                char host[HOST_NAME_BUF + 1]; /* one byte more: too long still shows */
        } pending[PENDING_MAX];
        size_t n_pending;
        char *context;          /* the line before the title (internal WARN message), or NULL */
        char indent[16];        /* the title line's indentation: stripped from the block's lines */
        size_t indent_len;
        WallTime wall;          /* of the title line's prefix */
        char host[HOST_NAME_BUF]; /* of the title line's prefix, "" if none; host_name_sanitize()d */
        bool degraded_wrap;     /* a line had to be re-joined by guesswork (mail re-wrapping) */
        StrBuf logged;          /* the physical lines of the accepted ones, as fed, '\n'-terminated */
        unsigned logged_lineno; /* the last physical line in it */
        char *before;           /* the physical line before the title, or NULL */
        bool before_banner;     /* ... and it is the "=====" banner (or "[ cut here ]") */
} OpenReport;

struct LockdepParser {
        LockdepOptions o;
        LockdepAliases *own_aliases;
        const LockdepAliases *aliases;

        FsTable fs;
        pcre2_code *re_title;
        pcre2_match_data *md;

        /* byte stream state */
        StrBuf partial;          /* an incomplete physical line carried between feeds */
        bool partial_cut;        /* the partial line exceeded max_line */
        uint64_t partial_bytes;  /* input bytes behind the partial line (it may have been cut) */
        uint64_t next_record_pos; /* record feeds: the pos after the last record */
        unsigned lineno;         /* physical lines completed so far */
        uint64_t offset;         /* bytes fed so far, up to the start of the current chunk */
        bool last_was_cr;

        /* logical line state */
        size_t prev_prefix_width;
        bool prev_has_ts;
        uint64_t prev_ts;
        char prev_caller_kind;
        unsigned prev_caller_id;
        bool have_last_ts;
        uint64_t last_ts;        /* for timestamp-reset boot detection */
        StrBuf prev_msg;         /* message of the previous logical line (context for WARNs) */
        StrBuf prev_phys;        /* ... and its physical line */
        StrBuf qp_phys;          /* the physical lines joined into qp_line */
        StrBuf rec_phys;         /* a record rendered as the console prints it */
        StrBuf prev_line;        /* the last complete physical line of earlier feeds */
        unsigned prev_msg_lineno;
        StrBuf scratch;          /* unescaped message */
        StrBuf line;             /* copy of the physical line being processed */

        OpenReport slots[OPEN_MAX]; /* reports being assembled, one per caller id */

        /* a title broken over two lines by a mail client: its first line, waiting for the next */
        struct {
                bool held;
                char *s;
                size_t len;
                char *phys;      /* copy of l.phys */
                Line l;
                WallTime wall;
                char host[HOST_NAME_BUF + 1];
        } title_hold;
        bool qp;                 /* quoted-printable text seen: "=XX" escapes and '=' soft breaks */
        StrBuf qp_line;          /* physical lines joined at soft breaks */
        bool qp_pending;         /* qp_line waits for the rest of its line */
        uint64_t qp_pos;
        unsigned qp_lineno;
        int error;               /* sticky callback error */
};

/* assemble.c */
int assemble_line(LockdepParser *p, const Line *l);
int assemble_finish(LockdepParser *p);
/* Does this message start a report? Returns the kind, or -1 for "lockdep is turned off", or
 * _LOCKDEP_KIND_INVALID. *ret_off is where the title starts inside the message. */
int title_match(LockdepParser *p, const char *s, size_t n, size_t *ret_off);
bool is_boot_banner(const char *s, size_t n);

/* parse.c: builds the report from the accepted lines; frees with report_done(). */
int report_build(LockdepParser *p, const OpenReport *o, bool truncated, LockdepReport *ret);
void report_done(LockdepReport *r);
/* Helpers used by several files. */
bool is_frame_line(const char *s, size_t n);
bool is_backtrace_line(const char *s, size_t n);
bool is_held_entry_text(const char *s, size_t n);
/* The function a report is "in" (malloc()ed, NULL if none): 0 or -ENOMEM. */
int report_function(const LockdepReport *r, char **ret);

/* normalize.c */
char *canonical_class(const LockdepAliases *a, const char *name, size_t n);
int fs_table_load(FsTable *t);
void fs_table_done(FsTable *t);
/* Is canonical (a subclass "/N" allowed) a per-filesystem class of fs-classes.conf? */
bool fs_table_has_class(const FsTable *t, const char *canonical);
/* Sets lock.fs of every per-filesystem class of the report; -ENOMEM. */
int report_set_filesystems(const FsTable *t, LockdepReport *r);

/* signature.c */
int report_sign(LockdepParser *p, LockdepReport *r);

/* strings */
/* Appends a copy of s[0..len) to the array *a of *n strings: 0 or -ENOMEM. */
int push_str(char ***a, size_t *n, const char *s, size_t len);
char *strndup_trim(const char *s, size_t n);
static inline bool startswith_n(const char *s, size_t n, const char *prefix, size_t pn) {
        return n >= pn && __builtin_memcmp(s, prefix, pn) == 0;
}
#define STARTSWITH(s, n, lit) startswith_n((s), (n), (lit), sizeof(lit) - 1)
const char *memmem_lit(const char *s, size_t n, const char *needle);
