/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * From bytes to reports: the feed loop (fast scan between reports, every line inside one), the
 * logical-line layer (prefixes, escapes, continuation lines) and the report state machine that
 * decides which lines belong to the open report and where it ends (LOCKDEP_FORMATS.md section 12).
 *
 * A report ends
 *   - after its dump_stack() output: at the first line that is not a frame, register, marker or
 *     CPU/Hardware/Workqueue line, unless frames resume within PENDING_MAX lines (a foreign line
 *     printed by another CPU into the middle of the trace);
 *   - for "returning to user space", after the held-lock list;
 *   - cut short (truncated) by a new title, a new boot, EOF, the size caps, or a run of lines that
 *     cannot belong to a lockdep report body.
 * With caller ids ([T123]/[C3]) lines of other callers never reach the report.
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "parser-internal.h"

#define UNKNOWN_RUN_MAX 8
#define BT_PRE_MAX 24
#define TS_RESET_USEC 5000000ULL
#define FOREIGN_BT_MAX 16
#define FOREIGN_MAX 512

/* ---- titles -------------------------------------------------------------------------------- */

/* One anchored pattern; the (*MARK) names the kind. Checked only at scan candidates. */
static const char title_pattern[] =
        "(?:(?:\\[ (?:INFO|BUG|ERR): |WARNING: )(?:"
        "possible circular locking dependency detected(*MARK:circular)"
        "|possible recursive locking detected(*MARK:recursive)"
        "|inconsistent lock state(*MARK:inconsistent)"
        "|possible irq lock inversion dependency detected(*MARK:irq_inversion)"
        "|\\S+-safe -> \\S+-unsafe lock order detected(*MARK:safe_unsafe)"
        "|bad unlock balance detected!(*MARK:bad_unlock_balance)"
        "|bad contention detected!(*MARK:bad_contention)"
        "|held lock freed!(*MARK:held_lock_freed)"
        "|lock held at task exit time!(*MARK:held_at_exit)"
        "|.{1,40}/-?\\d+ still has locks held!(*MARK:held_at_exit)"
        "|lock held when returning to user space!(*MARK:return_to_user)"
        "|Nested lock was not taken(*MARK:nested_lock_not_taken)"
        "|Invalid wait context(*MARK:invalid_wait_context)"
        "|chain_key collision(*MARK:chain_key_collision)"
        "|suspicious RCU usage(*MARK:suspicious_rcu)"
        "|suspicious rcu_dereference_check\\(\\) usage(*MARK:suspicious_rcu)"
        ")"
        "|BUG: (?:MAX_\\w+ too low!(*MARK:capacity)"
        "|key \\S+ (?:not in \\.data!|has not been registered!)(*MARK:internal))"
        "|INFO: (?:trying to register non-static key\\.?(*MARK:non_static_key)"
        "|lockdep is turned off\\.?(*MARK:off))"
        ")[ .!\\]]*$"
        /* these carry details after the phrase */
        "|BUG: looking up invalid subclass: \\d+(*MARK:internal)"
        "|WARNING: (?:CPU: \\d+ (?:UID: \\d+ )?PID: \\d+ )?at kernel/(?:locking/)?lockdep\\.c:\\d+(*MARK:internal)";

int title_compile(LockdepParser *p);
int title_compile(LockdepParser *p) {
        int err;
        PCRE2_SIZE off;

        p->re_title = pcre2_compile((PCRE2_SPTR) title_pattern, PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED,
                                    &err, &off, NULL);
        if (!p->re_title)
                return -EINVAL;
        (void) pcre2_jit_compile(p->re_title, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
        p->md = pcre2_match_data_create_from_pattern(p->re_title, NULL);
        return p->md ? 0 : -ENOMEM;
}

static bool is_upper(char c) {
        return c >= 'A' && c <= 'Z';
}

/* Titles start with an upper-case word and ": " (or "[ WORD: "). Where can one start in s? */
static int try_title_at(LockdepParser *p, const char *s, size_t n, size_t at) {
        int r = pcre2_match(p->re_title, (PCRE2_SPTR) s + at, n - at, 0, 0, p->md, NULL);
        if (r < 0)
                return _LOCKDEP_KIND_INVALID;
        const char *mark = (const char *) pcre2_get_mark(p->md);
        if (!mark)
                return _LOCKDEP_KIND_INVALID;
        if (strcmp(mark, "off") == 0)
                return -1;
        return lockdep_kind_from_string(mark);
}

int title_match(LockdepParser *p, const char *s, size_t n, size_t *ret_off) {
        /* at the start of the message ... */
        if (n >= 5 && (is_upper(s[0]) || s[0] == '[')) {
                int k = try_title_at(p, s, n, 0);
                if (k != _LOCKDEP_KIND_INVALID) {
                        *ret_off = 0;
                        return k;
                }
        }
        /* ... or glued to foreign text: "...foo[ 1.2] WARNING: possible ..." */
        for (const char *c = s; (c = memchr(c, ':', n - (c - s))); c++) {
                const char *w = c;
                while (w > s && is_upper(w[-1]))
                        w--;
                if (w == c || w == s || c - w > 7)
                        continue;
                if (w - s >= 2 && w[-1] == ' ' && w[-2] == '[')
                        w -= 2;
                /* only right after a console timestamp or caller id: "...[ 12.3] WARNING: ..." */
                size_t at = w - s;
                if (!(at >= 1 && s[at - 1] == ']') && !(at >= 2 && s[at - 1] == ' ' && s[at - 2] == ']'))
                        continue;
                int k = try_title_at(p, s, n, w - s);
                if (k != _LOCKDEP_KIND_INVALID) {
                        *ret_off = w - s;
                        return k;
                }
        }
        return _LOCKDEP_KIND_INVALID;
}

bool is_boot_banner(const char *s, size_t n) {
        return STARTSWITH(s, n, "Linux version ") && n > 14 && s[14] >= '0' && s[14] <= '9';
}

/* ---- events --------------------------------------------------------------------------------- */

static int emit(LockdepParser *p, LockdepEventType type, const Line *l, const LockdepReport *rep) {
        if (!p->o.callback || p->error < 0)
                return p->error;
        LockdepEvent ev = {
                .type = type,
                .line = l ? l->lineno : rep->first_line,
                .has_ts = l ? l->has_ts : rep->has_ts,
                .ts_usec = l ? l->ts_usec : rep->ts_usec,
                .text = l ? l->s : rep->title,
                .report = rep,
        };
        int r = p->o.callback(&ev, p->o.userdata);
        if (r < 0)
                p->error = r;
        return r < 0 ? r : 0;
}

/* ---- the open report ------------------------------------------------------------------------ */

static size_t leading_blanks(const char *s, size_t n);

static void pending_clear(OpenReport *o) {
        for (size_t i = 0; i < o->n_pending; i++) {
                free(o->pending[i].s);
                free(o->pending[i].phys);
        }
        o->n_pending = 0;
}

static void open_reset(OpenReport *o) {
        pending_clear(o);
        strbuf_truncate(&o->text, 0);
        strbuf_truncate(&o->logged, 0);
        o->logged_lineno = 0;
        o->n_lines = o->keep_lines = o->keep_len = 0;
        free(o->context);
        o->context = NULL;
        free(o->before);
        o->before = NULL;
        o->open = false;
}

/* A copy of n bytes that may hold NUL bytes (no strndup()), NUL-terminated; NULL for s NULL. */
static int memdup_nul(const char *s, size_t n, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        char *c = malloc(n + 1);
        if (!c)
                return -ENOMEM;
        memcpy(c, s, n);
        c[n] = 0;
        *ret = c;
        return 0;
}

/* The physical line(s) of l join the report's logged text, once each (the logical lines of one
 * physical line, a syslog "#012" or a multi-line record, all point to the same one). */
static int logged_add(OpenReport *o, const Line *l) {
        if (!l->phys || l->phys_lineno <= o->logged_lineno)
                return 0;
        if (strbuf_append(&o->logged, l->phys, l->phys_len) < 0 || strbuf_appendc(&o->logged, '\n') < 0)
                return -ENOMEM;
        o->logged_lineno = l->phys_lineno;
        return 0;
}

/* Two physical lines joined into one logical line: their phys, "a\nb", into j. */
static int phys_join(StrBuf *j, const char *a, size_t an, const Line *b) {
        if (!a || !b->phys)
                return 0;
        if (strbuf_append(j, a, an) < 0 || strbuf_appendc(j, '\n') < 0 || strbuf_append(j, b->phys, b->phys_len) < 0)
                return -ENOMEM;
        return 0;
}

static int accept_line(OpenReport *o, const Line *l) {
        pending_clear(o); /* whatever was pending turned out to be foreign */
        if (o->n_lines == o->n_lines_cap) {
                size_t cap = MAX(o->n_lines_cap * 2, (size_t) 64);
                unsigned *n = realloc(o->lineno, cap * sizeof(unsigned));
                if (!n)
                        return -ENOMEM;
                o->lineno = n;
                o->n_lines_cap = cap;
        }
        size_t len = o->text.len;
        if (strbuf_append(&o->text, l->s, l->len) < 0 || strbuf_appendc(&o->text, '\n') < 0)
                return -ENOMEM;
        if (logged_add(o, l) < 0) {
                strbuf_truncate(&o->text, len);
                return -ENOMEM;
        }
        o->lineno[o->n_lines++] = l->lineno;
        o->last_line = l->lineno;
        o->keep_len = o->text.len;
        o->keep_lines = o->n_lines;
        o->foreign_run = 0;
        return 0;
}

/* Why a report ends. */
typedef enum EndCause {
        END_FOLLOWED, /* a line that cannot belong to it: a new title or boot, another dump, the
                       * line after a held-lock list or a finished trace */
        END_CUT,      /* cut short: the size caps, a run of lines foreign to a report body */
        END_EOF,      /* the input ended */
} EndCause;

/* Was the report read to its end? When a line that cannot belong to it ended it, being in the
 * held-lock list of a return-to-user report, or in the trace with one frame, is enough. At EOF
 * nothing vouches for that: the input may have been cut anywhere, so only the natural end counts:
 *   - a held-lock list with as many " #i:" entries as its "N locks held by" header announced
 *     (a header whose count cannot be read: as before);
 *   - a trace whose outermost </TASK> closed (5.16+), or "---[ end trace" (WARN), or, for the
 *     nested-lock report, which prints two dumps, the second one closed.
 * Exemption: a dump_stack() without any <TASK> marker (before 5.16) has no end marker at all, and
 * its last frame cannot be told from a frame in the middle; such a trace counts as complete at EOF
 * from its first frame on, as before (tests/integration/test-truncation.py exempts those cuts). */
static bool report_complete(const OpenReport *o, EndCause cause) {
        if (cause == END_CUT)
                return false;
        if (cause == END_FOLLOWED)
                return o->sec == SEC_HELD || (o->sec == SEC_BT && o->bt_frames > 0);
        switch (o->sec) {
        case SEC_HELD:
                return o->held_announced < 0 || o->held_entries >= (unsigned) o->held_announced;
        case SEC_BT:
                if (o->end_seen)
                        return true;
                if (o->task_seen || (o->kind == LOCKDEP_NESTED_LOCK_NOT_TAKEN && o->n_backtraces < 2))
                        return false;
                return o->bt_frames > 0;
        default:
                return false;
        }
}

/* Ends a report: builds it, hands it out, then replays the lines that were held back as possibly
 * foreign (they may start something else). Truncated unless its end was seen (report_complete()). */
static int end_report(LockdepParser *p, OpenReport *o, EndCause cause) {
        typeof(o->pending[0]) replay[PENDING_MAX];
        size_t n = o->n_pending;
        LockdepReport rep = {};
        int r;

        if (!o->open)
                return 0;
        memcpy(replay, o->pending, sizeof(replay[0]) * n);
        o->n_pending = 0;
        r = report_build(p, o, !report_complete(o, cause), &rep);
        if (r >= 0)
                r = emit(p, LOCKDEP_EVENT_REPORT, NULL, &rep);
        report_done(&rep);
        open_reset(o);
        for (size_t i = 0; i < n; i++) {
                Line l = replay[i].l;
                l.s = replay[i].s;
                l.phys = replay[i].phys;
                l.replay = true;
                l.wall = l.wall ? &replay[i].wall : NULL;
                l.host = l.host ? replay[i].host : NULL;
                if (r >= 0)
                        r = assemble_line(p, &l);
                free(replay[i].s);
                free(replay[i].phys);
        }
        return r;
}

static int end_all(LockdepParser *p, EndCause cause) {
        for (size_t i = 0; i < OPEN_MAX; i++) {
                OpenReport *o = &p->slots[i];
                if (!o->open)
                        continue;
                int r = end_report(p, o, cause);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Makes l's wall time and host point into storage of its own (for lines kept past their buffer). */
static void line_meta_copy(Line *l, WallTime *wall, char *host, size_t host_size) {
        *wall = l->wall ? *l->wall : (WallTime) {};
        l->wall = l->wall ? wall : NULL;
        size_t hl = l->host ? MIN(l->host_len, host_size - 1) : 0;
        memcpy(host, l->host ? l->host : "", hl);
        host[hl] = 0;
        l->host = l->host ? host : NULL;
        l->host_len = hl;
}

static int hold_pending(OpenReport *o, const Line *l) {
        char *s = malloc(l->len + 1); /* may hold NUL bytes: no strndup() */
        if (!s)
                return -ENOMEM;
        memcpy(s, l->s, l->len);
        s[l->len] = 0;
        char *phys;
        if (memdup_nul(l->phys, l->phys_len, &phys) < 0) {
                free(s);
                return -ENOMEM;
        }
        typeof(o->pending[0]) *x = &o->pending[o->n_pending++];
        x->s = s;
        x->len = l->len;
        x->phys = phys;
        x->l = *l;
        line_meta_copy(&x->l, &x->wall, x->host, sizeof(x->host));
        return 0;
}

static bool same_caller(const OpenReport *o, const Line *l) {
        return o->caller_kind == l->caller_kind && o->caller_id == l->caller_id;
}

/* The open report a line belongs to: the one of its caller id; without caller ids (journal,
 * bare dmesg) there is only ever one. */
static OpenReport *slot_of(LockdepParser *p, const Line *l) {
        OpenReport *any = NULL;
        for (size_t i = 0; i < OPEN_MAX; i++) {
                OpenReport *o = &p->slots[i];
                if (!o->open)
                        continue;
                if (!o->caller_kind || !l->caller_kind || same_caller(o, l))
                        return o;
                any = o;
        }
        (void) any;
        return NULL;
}

static bool any_open(const LockdepParser *p) {
        for (size_t i = 0; i < OPEN_MAX; i++)
                if (p->slots[i].open)
                        return true;
        return false;
}

/* Must every line be looked at (not only scan candidates)? While a report is open, a title
 * fragment waits for its second half, or a quoted-printable line for its continuation. */
static bool every_line(const LockdepParser *p) {
        return any_open(p) || p->title_hold.held || p->qp_pending;
}

/* The line the kernel prints before a report's title: its "=====" banner (the length of the
 * "-----" line under the title), or the "------------[ cut here ]------------" of a WARN. */
static bool is_banner(const char *s, size_t n) {
        size_t i = leading_blanks(s, n), k = i;
        while (k < n && s[k] == '=')
                k++;
        return (k == n && k - i >= 8) || memmem_lit(s, n, "[ cut here ]") != NULL;
}

static int open_report(LockdepParser *p, const Line *l, LockdepKind kind, size_t title_off, size_t indent) {
        OpenReport *o = NULL;
        int r;

        /* a free slot, or else the report that started first makes room */
        for (size_t i = 0; i < OPEN_MAX && !o; i++)
                if (!p->slots[i].open)
                        o = &p->slots[i];
        if (!o) {
                o = &p->slots[0];
                for (size_t i = 1; i < OPEN_MAX; i++)
                        if (p->slots[i].first_pos < o->first_pos)
                                o = &p->slots[i];
                r = end_report(p, o, END_FOLLOWED);
                if (r < 0)
                        return r;
        }
        open_reset(o);
        o->open = true;
        o->kind = kind;
        o->sec = (kind == LOCKDEP_CAPACITY || kind == LOCKDEP_NON_STATIC_KEY || kind == LOCKDEP_INTERNAL)
                         ? SEC_BT_PRE
                         : SEC_BODY;
        o->first_line = o->last_line = l->lineno;
        o->first_pos = l->pos;
        o->has_ts = l->has_ts;
        o->ts_usec = l->ts_usec;
        o->caller_kind = l->caller_kind;
        o->caller_id = l->caller_id;
        o->unknown_run = o->bt_pre_lines = o->bt_frames = o->n_backtraces = 0;
        o->task_depth = 0;
        o->task_seen = false;
        o->end_seen = false;
        o->held_announced = -1;
        o->held_entries = 0;
        o->stale_lines = 0;
        o->seen = 0;
        o->foreign_run = 0;
        o->degraded_wrap = false;
        o->indent_len = MIN(indent, sizeof(o->indent));
        memcpy(o->indent, l->s, o->indent_len);
        o->wall = l->wall ? *l->wall : (WallTime) {};
        /* a name from log text cannot be refused: the report is kept under a valid name */
        if (l->host && l->host_len > 0)
                (void) host_name_sanitize(l->host, l->host_len, o->host);
        else
                o->host[0] = 0;
        if (p->prev_msg.len > 0) {
                o->context = strdup(p->prev_msg.s);
                if (!o->context)
                        return -ENOMEM;
        }
        if (p->prev_phys.len > 0 && l->phys) {
                if (memdup_nul(p->prev_phys.s, p->prev_phys.len, &o->before) < 0)
                        return -ENOMEM;
                o->before_banner = is_banner(p->prev_msg.s ? p->prev_msg.s : "", p->prev_msg.len);
        }
        Line t = *l;
        t.s += title_off;
        t.len -= title_off;
        return accept_line(o, &t);
}

/* Could this line be part of a lockdep report body? Generous: it only has to stop a report from
 * swallowing an unrelated log after a report was cut short. */
static bool body_line_plausible(const char *s, size_t n) {
        static const char *const words[] = {
                "lock", "held", "depend", "debug", "DEADLOCK", "CPU", "irq", "IRQ", "stack", "task",
                "at:", "Chain", "usage", "context", "rcu", "RCU", "---", "->", "state", "acquire",
                "release", "freeing", "exiting", "leaving", "scenario", "Interrupt", "key", "chain",
                "depth", "safe", "interrupts", "+0x", "/", "{", "}",
        };
        if (n == 0 || s[0] == ' ' || s[0] == '\t' || s[0] == '#' || s[0] == '(' || s[0] == '[' ||
            s[0] == '.' || s[0] == '-' || s[0] == '=' || (s[0] >= '0' && s[0] <= '9'))
                return true; /* also the kernel ident line "4.15.0+ #221 Not tainted" and rules */
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (memmem(s, n, words[i], strlen(words[i])))
                        return true;
        return false;
}

static bool is_held_header(const char *s, size_t n) {
        return memmem_lit(s, n, " held by ") != NULL || STARTSWITH(s, n, "no locks held by ");
}

/* The N of lockdep_print_held_locks()' "N lock(s) held by comm/pid:" ("no locks held by": 0), or -1. */
static int held_count(const char *s, size_t n) {
        size_t i = 0;
        unsigned v = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
                i++;
        if (STARTSWITH(s + i, n - i, "no locks held by "))
                return 0;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - d < 6)
                v = v * 10 + (unsigned) (s[i++] - '0');
        if (i == d || !(STARTSWITH(s + i, n - i, " lock held by ") || STARTSWITH(s + i, n - i, " locks held by ")))
                return -1;
        return (int) v;
}

enum {
        SEEN_CPU = 1 << 0,
        SEEN_HW = 1 << 1,
        SEEN_CALLTRACE = 1 << 2,
};

static unsigned bt_structure(const char *s, size_t n) {
        if (STARTSWITH(s, n, "CPU: ") || STARTSWITH(s, n, "Pid: "))
                return SEEN_CPU;
        if (STARTSWITH(s, n, "Hardware name: "))
                return SEEN_HW;
        if (STARTSWITH(s, n, "Call Trace:") || STARTSWITH(s, n, "Call trace:") || STARTSWITH(s, n, "Backtrace:"))
                return SEEN_CALLTRACE;
        return 0;
}

/* ---- lines re-wrapped by mail clients (72/80 columns) ----------------------------------------
 *
 * A line that cannot start a report line joins the previous one when that one is visibly cut: a
 * lock line without its closing parenthesis or site, a "-> #N" header without its ':', a sentence
 * cut before its last word. Anything else stays as it is; a chain that still does not read is
 * flagged degraded by parse.c. */

static const char *const sentences[] = {
        "but task is already holding lock:", "and this task is already holding:",
        "which lock already depends on the new lock.", "the existing dependency chain (in reverse order) is:",
        "other info that might help us debug this:", "Possible unsafe locking scenario:",
        "Possible interrupt unsafe locking scenario:", "which would create a new lock dependency:",
        "and interrupts could create inverse lock ordering between them.",
        "but there are no more locks to release!", "but this task is not holding:",
        "May be due to missing lock nesting notation", "rcu_scheduler_active = ",
};

static bool sentence_cut(const char *s, size_t n) {
        for (size_t i = 0; i < ELEMENTSOF(sentences); i++) {
                size_t k = strlen(sentences[i]);
                if (n < k && n > 3 && memcmp(s, sentences[i], n) == 0 && sentences[i][n] == ' ')
                        return true;
        }
        return false;
}

static bool line_cut(const char *s, size_t n) {
        while (n > 0 && s[n - 1] == ' ')
                n--;
        if (n == 0)
                return false;
        const char *e = s + n;
        /* a print_lock() line without its site: "(x){+.+.}, at:" or "at: [<ffffffff81079571>]"
         * (print_lockdep_cache()'s "(x) at:" is followed by the site on a line of its own) */
        bool lock = memmem_lit(s, n, "){") != NULL;
        if (lock && n >= 3 && memcmp(e - 3, "at:", 3) == 0)
                return true;
        if (lock && n >= 2 && memcmp(e - 2, ">]", 2) == 0)
                return true;
        if (STARTSWITH(s, n, "-> #"))
                return s[n - 1] != ':';                         /* "-> #1" / "-> #1 (&a->b" */
        if (s[n - 1] == '?' && (n == 1 || s[n - 2] == ' '))
                return true;                                    /* a frame cut after its "?" */
        const char *o = memchr(s, '(', n);
        if (o && (is_held_entry_text(s, n) || (o > s && o[-1] == ' ' && o - s <= 20))) {
                if (!memchr(o, ')', (size_t) (e - o)))
                        return true;                            /* "... (&sb->s_type->" */
                if (is_held_entry_text(s, n) && !memmem_lit(s, n, ", at: "))
                        return true;                            /* " #0: ... (x){+.+.}" */
        }
        if ((memmem_lit(s, n, " is trying") || memmem_lit(s, n, " [HC")) && s[n - 1] != ':' && s[n - 1] != '(')
                return true;
        if (n >= 2 && memcmp(e - 2, "->", 2) == 0)
                return true;                                    /* " (a){..} ->" / "(b){..}" */
        if (s[n - 1] == ',' && memmem_lit(s, n, "){"))
                return true;                                    /* "(x){+.+.}-{3:3}," / "at: f" */
        if (STARTSWITH(s, n, "inconsistent {") && !memmem_lit(s, n, " usage."))
                return true;
        /* rcu "file.c:123 message!" cut before the '!' */
        const char *c = memchr(s, ':', MIN(n, (size_t) 200));
        if (c && c > s + 2 && !memchr(s, ' ', (size_t) (c - s)) && c[-2] == '.' && (c[-1] == 'c' || c[-1] == 'h') &&
            c + 1 < e && c[1] >= '0' && c[1] <= '9' && s[n - 1] != '!')
                return true;
        return sentence_cut(s, n);
}

static bool starts_report_line(const char *s, size_t n) {
        static const char *const heads[] = {
                "-> #", "stack backtrace:", "other info", "but ", "and ", "which ", "the ", "Chain exists",
                "Possible", "CPU", "Call ", "Hardware name", "Workqueue:", "Tainted:", "irq event stamp",
                "hardirqs last", "softirqs last", "INITIAL", "IN-", "HARDIRQ", "SOFTIRQ", "RECLAIM", "context-{",
                "rcu_scheduler", "RCU used", "no locks held", "*** DEADLOCK", "Hash chain", "Held locks",
                "Locks in cached", "depth:", "WARNING", "BUG", "INFO", "Kdump", "Code:", "RIP:", "turning off",
                "Please attach", "The code is fine", "the code is fine", "you didn't", "lockdep",
                "DEBUG_LOCKS_WARN_ON", "Modules linked in", "---[",
        };
        if (n == 0 || s[0] == ' ' || s[0] == '\t' || s[0] == '=' || s[0] == '-' || s[0] == '`' ||
            (s[0] == '[' && !STARTSWITH(s, n, "[<")) || s[0] == '<' ||
            s[0] == '#' || s[0] == '*' || s[0] == '?' || is_held_entry_text(s, n))
                return true;
        if (s[0] >= '0' && s[0] <= '9')
                return true; /* "1 lock held by", the kernel ident line, an address */
        for (size_t i = 0; i < ELEMENTSOF(heads); i++)
                if (startswith_n(s, n, heads[i], strlen(heads[i])))
                        return true;
        static const char *const task_sentences[] = {
                " is trying to ", " just changed ", " is freeing ", " is exiting ", " is leaving ",
                " held by ", " [HC", " still has locks held",
        };
        for (size_t i = 0; i < ELEMENTSOF(task_sentences); i++)
                if (memmem_lit(s, n, task_sentences[i]))
                        return true;
        return false;
}

/* Joins l to the last accepted line if it is its wrapped continuation; returns 1 if it did. */
static int maybe_rejoin(OpenReport *o, const Line *l) {
        if (o->n_pending > 0 || o->n_lines < 2 || o->keep_len != o->text.len || starts_report_line(l->s, l->len))
                return 0;
        const char *t = o->text.s;
        size_t end = o->text.len - 1; /* the '\n' of the last line */
        size_t b = end;
        while (b > 0 && t[b - 1] != '\n')
                b--;
        /* a last word alone: "lock:", "acquire:", "detected" after a sentence cut anywhere */
        bool word = !memchr(l->s, ' ', l->len) && l->len < 24 &&
                    (l->s[l->len - 1] == ':' || l->s[l->len - 1] == '.' || l->s[l->len - 1] == '!') &&
                    end > b && t[b] != ' ' && t[end - 1] >= 'a' && t[end - 1] <= 'z';
        if (!word && !line_cut(t + b, end - b))
                return 0;
        strbuf_truncate(&o->text, end);
        while (o->text.len > b && o->text.s[o->text.len - 1] == ' ')
                o->text.len--;
        if (strbuf_appendc(&o->text, ' ') < 0 || strbuf_append(&o->text, l->s, l->len) < 0 ||
            strbuf_appendc(&o->text, '\n') < 0 || logged_add(o, l) < 0)
                return -ENOMEM;
        o->keep_len = o->text.len;
        o->last_line = l->lineno;
        o->unknown_run = 0;
        return 1;
}

/* 5.16+ wraps a dump_stack() in <TASK> ... </TASK>: the closing marker of the outermost one is
 * the report's real end (interrupt frames nest as <IRQ> ... </IRQ> inside). */
static void task_marker(OpenReport *o, const char *s, size_t n) {
        while (n > 0 && (*s == ' ' || *s == '\t'))
                s++, n--;
        if (STARTSWITH(s, n, "<TASK>")) {
                o->task_depth++;
                o->task_seen = true;
        } else if (STARTSWITH(s, n, "</TASK>") && o->task_depth > 0 && --o->task_depth == 0 &&
                   (o->kind != LOCKDEP_NESTED_LOCK_NOT_TAKEN || o->n_backtraces >= 2))
                o->end_seen = true; /* (the nested-lock report prints two dumps) */
}

static int body_line(LockdepParser *p, OpenReport *o, const Line *l) {
        const char *s = l->s;
        size_t n = l->len;
        int r;

        if (o->n_pending > 0 && !starts_report_line(s, n)) {
                /* the line held back as possibly foreign was cut: " ?" / "wait_for_...+0x9/0x9" */
                typeof(o->pending[0]) *h = &o->pending[o->n_pending - 1];
                if (line_cut(h->s, h->len)) {
                        StrBuf j = {}, jp = {};
                        size_t hl = h->len;
                        while (hl > 0 && h->s[hl - 1] == ' ')
                                hl--;
                        if (strbuf_append(&j, h->s, hl) < 0 || strbuf_appendc(&j, ' ') < 0 ||
                            strbuf_append(&j, s, n) < 0 || phys_join(&jp, h->phys, h->l.phys_len, l) < 0) {
                                strbuf_done(&j);
                                strbuf_done(&jp);
                                return -ENOMEM;
                        }
                        Line jl = h->l;
                        jl.s = j.s;
                        jl.len = j.len;
                        jl.lineno = l->lineno;
                        jl.phys = jp.s;
                        jl.phys_len = jp.len;
                        jl.phys_lineno = l->phys_lineno;
                        jl.wall = NULL; /* (h is reused below; only titles need these) */
                        jl.host = NULL;
                        free(h->s);
                        free(h->phys);
                        o->n_pending--;
                        r = body_line(p, o, &jl);
                        strbuf_done(&j);
                        strbuf_done(&jp);
                        return r;
                }
        }
        r = maybe_rejoin(o, l);
        if (r != 0)
                return r < 0 ? r : 0;

        switch (o->sec) {
        case SEC_BODY:
                if (STARTSWITH(s, n, "stack backtrace:")) {
                        o->sec = SEC_BT_PRE;
                        o->bt_pre_lines = 0;
                        o->seen = 0;
                        return accept_line(o, l);
                }
                if (o->kind == LOCKDEP_RETURN_TO_USER && is_held_header(s, n)) {
                        o->sec = SEC_HELD;
                        o->held_announced = held_count(s, n);
                        return accept_line(o, l);
                }
                if (!body_line_plausible(s, n)) {
                        if (++o->unknown_run > UNKNOWN_RUN_MAX)
                                return end_report(p, o, END_CUT);
                        return 0;
                }
                o->unknown_run = 0;
                return accept_line(o, l);

        case SEC_HELD:
                if (is_held_entry_text(s, n)) {
                        o->held_entries++;
                        return accept_line(o, l);
                }
                r = end_report(p, o, END_FOLLOWED);
                return r < 0 ? r : assemble_line(p, l);

        case SEC_BT_PRE:
                if (is_backtrace_line(s, n)) {
                        o->sec = SEC_BT;
                        o->n_backtraces++;
                        o->bt_frames = is_frame_line(s, n);
                        o->seen = bt_structure(s, n);
                        o->task_depth = 0;
                        o->task_seen = false;
                        task_marker(o, s, n);
                        return accept_line(o, l);
                }
                if (++o->bt_pre_lines > BT_PRE_MAX)
                        return end_report(p, o, END_CUT);
                return accept_line(o, l);

        case SEC_BT: {
                unsigned st = bt_structure(s, n);
                bool frame = is_frame_line(s, n);

                if (st & o->seen) { /* a second CPU:/Hardware/Call Trace line: another dump */
                        r = end_report(p, o, END_FOLLOWED);
                        return r < 0 ? r : assemble_line(p, l);
                }
                if (frame || is_backtrace_line(s, n)) {
                        o->seen |= st;
                        o->bt_frames += frame;
                        task_marker(o, s, n);
                        return accept_line(o, l);
                }
                if (STARTSWITH(s, n, "---[ end trace"))
                        o->end_seen = true;
                if (o->kind == LOCKDEP_NESTED_LOCK_NOT_TAKEN && o->n_backtraces == 1 &&
                    STARTSWITH(s, n, "other info that might help us debug this:")) {
                        o->sec = SEC_BODY;
                        return accept_line(o, l);
                }
                if (o->n_pending < PENDING_MAX && n > 0 && !STARTSWITH(s, n, "---[ end trace"))
                        return hold_pending(o, l);
                r = end_report(p, o, END_FOLLOWED);
                return r < 0 ? r : assemble_line(p, l);
        }
        }
        return 0;
}

static int check_boot(LockdepParser *p, const Line *l) {
        bool boot = false;

        if (is_boot_banner(l->s, l->len))
                boot = true;
        else if (l->has_ts && p->have_last_ts && l->ts_usec + TS_RESET_USEC < p->last_ts)
                boot = true;
        if (l->has_ts) {
                p->last_ts = l->ts_usec;
                p->have_last_ts = true;
        }
        if (!boot)
                return 0;
        int r = end_all(p, END_FOLLOWED);
        if (r < 0)
                return r;
        return emit(p, LOCKDEP_EVENT_BOOT, l, NULL);
}

static int remember_context(LockdepParser *p, const Line *l) {
        strbuf_truncate(&p->prev_msg, 0);
        strbuf_truncate(&p->prev_phys, 0);
        if (l->phys && strbuf_append(&p->prev_phys, l->phys, MIN(l->phys_len, (size_t) 512)) < 0)
                return -ENOMEM;
        return strbuf_append(&p->prev_msg, l->s, MIN(l->len, (size_t) 512));
}

/* Lines of other callers while reports are open: a finished dump_stack() followed by enough of
 * them has ended; a report whose caller went silent for very long is given up. */
static int foreign_line(LockdepParser *p, const Line *l) {
        for (size_t i = 0; i < OPEN_MAX; i++) {
                OpenReport *o = &p->slots[i];
                if (!o->open || same_caller(o, l))
                        continue;
                if (++o->foreign_run > (o->sec == SEC_BT ? FOREIGN_BT_MAX : FOREIGN_MAX)) {
                        int r = end_report(p, o, END_FOLLOWED);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- titles broken over two lines (mail clients re-wrapping at 72 or 80 columns) -------------- */

static const char *const title_phrases[] = {
        "possible circular locking dependency detected", "possible recursive locking detected",
        "inconsistent lock state", "possible irq lock inversion dependency detected",
        "bad unlock balance detected!", "bad contention detected!", "held lock freed!",
        "lock held at task exit time!", "lock held when returning to user space!", "Nested lock was not taken",
        "Invalid wait context", "suspicious RCU usage", "suspicious rcu_dereference_check() usage",
        "trying to register non-static key.",
        "HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", "SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected",
        "HARDIRQ-safe -> HARDIRQ-READ-unsafe lock order detected",
        "SOFTIRQ-safe -> SOFTIRQ-READ-unsafe lock order detected",
        "hard-safe -> hard-unsafe lock order detected", "soft-safe -> soft-unsafe lock order detected",
};

/* Is s the first part of a title, cut at a blank (or at a quoted-printable soft break '=')? */
/* "WARNING: CPU: 0 PID: 1 at kernel/locking/lockdep.c:3553" without the function after it. */
static bool warn_title_cut(const char *s, size_t n) {
        if (!STARTSWITH(s, n, "WARNING: "))
                return false;
        const char *l = memmem_lit(s, n, "lockdep.c:");
        if (!l) {
                /* cut before the file: "WARNING: CPU: 0 PID: 1 at" / "kernel/locking/..." */
                const char *at = memmem_lit(s, n, " at ");
                return STARTSWITH(s, n, "WARNING: CPU: ") &&
                       (!at || (size_t) (s + n - at) <= 4 || STARTSWITH(at + 4, (size_t) (s + n - at - 4), "kernel/"));
        }
        const char *e = s + n, *q = l + 10;
        while (q < e && *q >= '0' && *q <= '9')
                q++;
        while (q < e && *q == ' ')
                q++;
        return q == e;
}

static bool title_partial_at(const char *s, size_t n) {
        static const char *const heads[] = { "WARNING: ", "[ INFO: ", "[ BUG: ", "[ ERR: ", "INFO: " };
        size_t h = 0;
        for (size_t i = 0; i < ELEMENTSOF(heads) && !h; i++)
                if (startswith_n(s, n, heads[i], strlen(heads[i])))
                        h = strlen(heads[i]);
        if (h == 0 || n <= h)
                return false;
        bool soft = s[n - 1] == '=';
        if (soft && n < 200)
                return true; /* quoted-printable soft break: the joined line decides */
        size_t rn = n - h - soft;
        while (!soft && rn > 0 && s[h + rn - 1] == ' ')
                rn--;
        if (rn == 0)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(title_phrases); i++) {
                size_t pl = strlen(title_phrases[i]);
                if (rn < pl && memcmp(s + h, title_phrases[i], rn) == 0 && (soft || title_phrases[i][rn] == ' '))
                        return true;
        }
        return false;
}

/* ... at the start of the message, or glued after a console timestamp ("login: [ 16.3] INFO: ..."). */
static bool title_partial(const char *s, size_t n) {
        if (title_partial_at(s, n))
                return true;
        for (const char *q = s; (q = memmem(q, n - (size_t) (q - s), "] ", 2)); q += 2)
                if (title_partial_at(q + 2, n - (size_t) (q + 2 - s)))
                        return true;
        return false;
}

static size_t leading_blanks(const char *s, size_t n) {
        size_t i = 0;
        while (i < n && i < 16 && (s[i] == ' ' || s[i] == '\t'))
                i++;
        return i;
}

static int assemble_line_full(LockdepParser *p, const Line *l, bool may_hold);

/* The line after a held title fragment: either it completes the title, or both lines go on as
 * they are. */
static int title_hold_resolve(LockdepParser *p, const Line *l) {
        _cleanup_free_ char *first = TAKE_PTR(p->title_hold.s);
        _cleanup_free_ char *first_phys = TAKE_PTR(p->title_hold.phys);
        Line h = p->title_hold.l;
        size_t fl = p->title_hold.len;
        size_t ind = leading_blanks(first, fl);
        int r;

        p->title_hold.held = false;
        h.s = first;
        h.phys = first_phys;
        h.wall = h.wall ? &p->title_hold.wall : NULL;
        h.host = h.host ? p->title_hold.host : NULL;
        if (l) {
                StrBuf j = {};
                bool soft = first[fl - 1] == '=';
                /* a soft break splits a line exactly: the rest keeps its blanks */
                size_t li = soft ? 0 : leading_blanks(l->s, l->len);
                if (strbuf_append(&j, first, fl - soft) < 0 || (!soft && strbuf_appendc(&j, ' ') < 0) ||
                    strbuf_append(&j, l->s + li, l->len - li) < 0) {
                        strbuf_done(&j);
                        return -ENOMEM;
                }
                size_t off;
                int k = title_match(p, j.s + ind, j.len - ind, &off);
                /* the function of a cut WARNING line: "lock_downgrade+0x4d2/0x910" */
                bool cont = !warn_title_cut(first + ind, fl - ind) || memmem_lit(l->s, MIN(l->len, (size_t) 80), "+0x");
                if (k >= 0 && cont) {
                        if (soft)
                                p->qp = true; /* quoted-printable: the rest of it too */
                        StrBuf jp = {};
                        if (phys_join(&jp, first_phys, h.phys_len, l) < 0) {
                                strbuf_done(&j);
                                return -ENOMEM;
                        }
                        Line t = h;
                        t.s = j.s;
                        t.len = j.len;
                        t.phys = jp.s;
                        t.phys_len = jp.len;
                        t.phys_lineno = l->phys_lineno;
                        OpenReport *o = slot_of(p, &t);
                        r = o ? end_report(p, o, END_FOLLOWED) : 0;
                        if (r >= 0)
                                r = open_report(p, &t, k, ind + off, off == 0 ? ind : 0);
                        strbuf_done(&j);
                        strbuf_done(&jp);
                        if (r >= 0) {
                                OpenReport *n = slot_of(p, l);
                                if (n)
                                        n->last_line = l->lineno;
                        }
                        return r < 0 ? r : remember_context(p, l);
                }
                strbuf_done(&j);
        }
        r = assemble_line_full(p, &h, false);
        if (r >= 0 && l)
                r = assemble_line_full(p, l, true);
        return r;
}

static int hold_title(LockdepParser *p, const Line *l) {
        char *c = malloc(l->len + 1);
        if (!c)
                return -ENOMEM;
        memcpy(c, l->s, l->len);
        c[l->len] = 0;
        if (memdup_nul(l->phys, l->phys_len, &p->title_hold.phys) < 0) {
                free(c);
                return -ENOMEM;
        }
        p->title_hold.held = true;
        p->title_hold.s = c;
        p->title_hold.len = l->len;
        p->title_hold.l = *l;
        line_meta_copy(&p->title_hold.l, &p->title_hold.wall, p->title_hold.host, sizeof(p->title_hold.host));
        return 0;
}

static int assemble_line_full(LockdepParser *p, const Line *l, bool may_hold) {
        size_t off = 0, ind;
        int r, k;

        if (p->error < 0)
                return p->error;
        if (p->title_hold.held && may_hold)
                return title_hold_resolve(p, l);

        /* boots and lockdep-off lines count once: not again when a report hands a line back */
        r = l->replay ? 0 : check_boot(p, l);
        if (r < 0)
                return r;

        /* a title may be indented (a code block, an indented mail): then the whole block is */
        ind = leading_blanks(l->s, l->len);
        k = _LOCKDEP_KIND_INVALID;
        if (memchr(l->s, ':', l->len))
                k = title_match(p, l->s + ind, l->len - ind, &off);
        if (k == -1 || STARTSWITH(l->s + ind, l->len - ind, "turning off the locking correctness validator")) {
                r = l->replay ? 0 : emit(p, LOCKDEP_EVENT_LOCKDEP_OFF, l, NULL);
                if (r < 0)
                        return r;
                k = _LOCKDEP_KIND_INVALID;
        }
        if (may_hold && (k < 0 || k == LOCKDEP_INTERNAL) &&
            ((k < 0 && title_partial(l->s + ind, l->len - ind)) || warn_title_cut(l->s + ind, l->len - ind))) {
                /* (the line before it stays the context: a DEBUG_LOCKS_WARN_ON message) */
                r = hold_title(p, l);
                return r < 0 ? r : 0;
        }

        OpenReport *o = slot_of(p, l);
        if (k >= 0) {
                if (o) { /* the same caller starts over: its previous report has ended */
                        r = end_report(p, o, END_FOLLOWED);
                        if (r < 0)
                                return r;
                }
                r = open_report(p, l, k, ind + off, off == 0 ? ind : 0);
        } else if (o && l->lineno >= o->first_line) {
                /* (a line held back by another report and replayed now can predate this one) */
                Line b = *l;
                if (o->indent_len > 0) {
                        /* the block's indentation; a blank line may have lost its blanks */
                        size_t i = 0;
                        while (i < o->indent_len && i < b.len && b.s[i] == o->indent[i])
                                i++;
                        if (i == o->indent_len || i == b.len) {
                                b.s += i;
                                b.len -= i;
                        }
                }
                r = body_line(p, o, &b);
                if (r >= 0 && o->open &&
                    (o->n_lines >= p->o.max_report_lines || o->text.len >= p->o.max_report_bytes))
                        r = end_report(p, o, END_CUT);
        } else
                r = 0;
        if (r >= 0 && any_open(p) && l->caller_kind)
                r = foreign_line(p, l);
        if (r < 0)
                return r;
        return remember_context(p, l);
}

int assemble_line(LockdepParser *p, const Line *l) {
        return assemble_line_full(p, l, true);
}

int assemble_finish(LockdepParser *p) {
        if (p->title_hold.held) {
                int r = title_hold_resolve(p, NULL);
                if (r < 0)
                        return r;
        }
        return end_all(p, END_EOF);
}

/* ---- physical lines ----------------------------------------------------------------------- */

static int unescape(LockdepParser *p, const char *s, size_t n, Escape esc) {
        StrBuf *b = &p->scratch;

        strbuf_truncate(b, 0);
        if (strbuf_reserve(b, n) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (esc == ESCAPE_KMSG && c == '\\' && i + 3 < n + 0 && s[i + 1] == 'x') {
                        int hi = s[i + 2], lo = s[i + 3];
                        hi = hi >= '0' && hi <= '9' ? hi - '0' : hi >= 'a' && hi <= 'f' ? hi - 'a' + 10 : -1;
                        lo = lo >= '0' && lo <= '9' ? lo - '0' : lo >= 'a' && lo <= 'f' ? lo - 'a' + 10 : -1;
                        if (hi >= 0 && lo >= 0) {
                                c = (char) (hi << 4 | lo);
                                i += 3;
                        }
                } else if (esc == ESCAPE_SYSLOG && c == '#' && i + 3 < n + 0 && s[i + 1] == '0' &&
                           s[i + 2] == '1' && (s[i + 3] == '2' || s[i + 3] == '1')) {
                        c = s[i + 3] == '2' ? '\n' : '\t';
                        i += 3;
                }
                b->s[b->len++] = c;
        }
        b->s[b->len] = 0;
        return 0;
}

/* One message (possibly several lines after unescaping) with its prefix data. */
static int message(LockdepParser *p, const char *s, size_t n, const LinePrefix *pf, unsigned lineno,
                   uint64_t pos, const char *phys, size_t phys_len, unsigned phys_lineno) {
        Line l = {
                .phys = phys,
                .phys_len = phys_len,
                .phys_lineno = phys_lineno,
                .lineno = lineno,
                .pos = pos,
                .has_ts = pf->has_ts,
                .ts_usec = pf->ts_usec,
                .caller_kind = pf->caller_kind,
                .caller_id = pf->caller_id,
                .wall = pf->wall.set ? &pf->wall : NULL,
                .host = pf->host,
                .host_len = pf->host_len,
        };

        if (pf->escape != ESCAPE_NONE && (memchr(s, '\\', n) || memchr(s, '#', n))) {
                int r = unescape(p, s, n, pf->escape);
                if (r < 0)
                        return r;
                s = p->scratch.s;
                n = p->scratch.len;
        }
        for (;;) {
                const char *nl = memchr(s, '\n', n);
                size_t len = nl ? (size_t) (nl - s) : n;
                char save = s[len];
                int r;

                /* assemble_line wants NUL-terminated text; we own both buffers */
                ((char *) s)[len] = 0;
                l.s = s;
                l.len = len;
                r = assemble_line(p, &l);
                ((char *) s)[len] = save;
                if (r < 0)
                        return r;
                if (!nl)
                        return 0;
                s = nl + 1;
                n -= len + 1;
        }
}

/* Only candidate lines and lines of an open report get here, so copying them is cheap; the
 * caller's buffer stays untouched. */
static bool all_equals(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] != '=')
                        return false;
        return true;
}

static int hex_digit(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Copies a physical line into p->line without ANSI escape sequences (dmesg --color, colour
 * codes around timestamps) and, in quoted-printable text, with "=XX" decoded. */
static int clean_line(LockdepParser *p, const char *s, size_t n) {
        StrBuf *b = &p->line;
        strbuf_truncate(b, 0);
        if (!memchr(s, 0x1b, n) && !(p->qp && memchr(s, '=', n)))
                return strbuf_append(b, s, n);
        if (strbuf_reserve(b, n) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == 0x1b && i + 1 < n && s[i + 1] == '[') {
                        /* CSI: parameters and intermediates, then one final byte */
                        size_t k = i + 2;
                        while (k < n && (unsigned char) s[k] >= 0x20 && (unsigned char) s[k] <= 0x3f)
                                k++;
                        if (k < n && (unsigned char) s[k] >= 0x40 && (unsigned char) s[k] <= 0x7e) {
                                i = k;
                                continue;
                        }
                }
                if (p->qp && s[i] == '=' && i + 2 < n && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
                        b->s[b->len++] = (char) (hex_digit(s[i + 1]) << 4 | hex_digit(s[i + 2]));
                        i += 2;
                        continue;
                }
                b->s[b->len++] = s[i];
        }
        b->s[b->len] = 0;
        return 0;
}

/* Quoted-printable mail bodies encode '=' as "=3D": once that is seen, "=XX" is decoded and a line
 * ending in '=' (a soft break) continues on the next physical line. */
static void qp_notice(LockdepParser *p, const char *s, size_t n) {
        if (!p->qp && (memmem(s, n, "=3D", 3) || memmem(s, n, "=20", 3)))
                p->qp = true;
}

/* Only candidate lines and lines of an open report get here, so copying them is cheap; the
 * caller's buffer stays untouched. */
static int physical_line(LockdepParser *p, const char *line, size_t n, unsigned lineno, uint64_t pos) {
        const char *phys = line;
        size_t phys_len;
        unsigned phys_lineno = lineno;
        LinePrefix pf;

        while (n > 0 && line[n - 1] == '\r')
                n--;
        qp_notice(p, line, n);
        /* quoted-printable encoders fill lines to 76 columns, the last one a soft break '='
         * (kernel text can end in '=' too, "cpuset=": the length tells them apart) */
        if (!p->qp && n == 76 && line[n - 1] == '=' && !all_equals(line, n))
                p->qp = true;
        phys_len = n;
        if (p->qp && (p->qp_pending || (n > 0 && line[n - 1] == '=' && !all_equals(line, n)))) {
                if (!p->qp_pending) {
                        p->qp_pos = pos;
                        p->qp_lineno = lineno;
                        strbuf_truncate(&p->qp_line, 0);
                        strbuf_truncate(&p->qp_phys, 0);
                }
                if ((p->qp_phys.len > 0 && strbuf_appendc(&p->qp_phys, '\n') < 0) ||
                    strbuf_append(&p->qp_phys, line, n) < 0)
                        return -ENOMEM;
                bool soft = n > 0 && line[n - 1] == '=' && !all_equals(line, n);
                size_t room = p->o.max_line > p->qp_line.len ? p->o.max_line - p->qp_line.len : 0;
                if (strbuf_append(&p->qp_line, line, MIN(n - soft, room)) < 0)
                        return -ENOMEM;
                p->qp_pending = soft && room > n;
                if (p->qp_pending)
                        return 0;
                int r = clean_line(p, p->qp_line.s ? p->qp_line.s : "", p->qp_line.len);
                phys = p->qp_phys.s;
                phys_len = p->qp_phys.len;
                lineno = p->qp_lineno;
                pos = p->qp_pos;
                strbuf_truncate(&p->qp_line, 0);
                if (r < 0)
                        return r;
                n = p->line.len;
        } else {
                if (clean_line(p, line, n) < 0)
                        return -ENOMEM;
                n = p->line.len;
        }
        char *s = p->line.s;
        prefix_parse(s, n, &pf);
        if (pf.any) {
                p->prev_prefix_width = pf.width;
                p->prev_has_ts = pf.has_ts;
                p->prev_ts = pf.ts_usec;
                p->prev_caller_kind = pf.caller_kind;
                p->prev_caller_id = pf.caller_id;
        } else if (p->prev_prefix_width > 0) {
                /* util-linux dmesg / journalctl continuation line: indented to the message column,
                 * or (old dmesg) not prefixed at all. It belongs to the previous record. */
                size_t w = 0;
                while (w < n && w < p->prev_prefix_width && s[w] == ' ')
                        w++;
                if (w == p->prev_prefix_width || p->prev_caller_kind == 0) {
                        if (w == p->prev_prefix_width)
                                pf.width = w;
                        pf.has_ts = p->prev_has_ts;
                        pf.ts_usec = p->prev_ts;
                        pf.caller_kind = p->prev_caller_kind;
                        pf.caller_id = p->prev_caller_id;
                } else
                        /* a log with caller ids and a line with none, not even the indentation
                         * of a continuation: something else printed it (a test harness) */
                        pf.caller_kind = '?';
        }
        return message(p, s + pf.width, n - pf.width, &pf, lineno, pos, phys, phys_len, phys_lineno);
}

/* The context of a title (the message of the line before it, for internal WARNs): that line as
 * cut at max_line, at most CONTEXT_MAX bytes, whichever feed it came in. */
#define CONTEXT_MAX 512

static size_t context_len(const LockdepParser *p, const char *s, size_t n) {
        n = MIN(n, MIN(p->o.max_line, (size_t) CONTEXT_MAX));
        while (n > 0 && s[n - 1] == '\r')
                n--;
        return n;
}

static int context_from(LockdepParser *p, const char *s, size_t n) {
        LinePrefix pf;
        n = context_len(p, s, n);
        qp_notice(p, s, n);
        prefix_parse(s, n, &pf);
        strbuf_truncate(&p->prev_msg, 0);
        strbuf_truncate(&p->prev_phys, 0);
        if (strbuf_append(&p->prev_phys, s, n) < 0)
                return -ENOMEM;
        return strbuf_append(&p->prev_msg, s + pf.width, n - pf.width);
}

/* Remembers a physical line as the one before whatever comes next. */
static int remember_line(LockdepParser *p, const char *s, size_t n) {
        strbuf_truncate(&p->prev_line, 0);
        return strbuf_append(&p->prev_line, s, MIN(n, MIN(p->o.max_line, (size_t) CONTEXT_MAX)));
}

/* The line before the candidate line at ls: in buf, or remembered from an earlier feed. */
static int set_context(LockdepParser *p, const char *start, const char *ls) {
        if (ls <= start)
                return context_from(p, p->prev_line.s ? p->prev_line.s : "", p->prev_line.len);
        const char *e = ls - 1, *b = e; /* e: the '\n' ending the previous line */
        while (b > start && b[-1] != '\n')
                b--;
        return context_from(p, b, e - b);
}

/* Cheap check of a scan hit at buf[c] before the whole line is looked at: the word before a ':' is
 * one that starts a title, or the 'x' ends "Linux". */
static bool candidate_word(const char *buf, size_t c) {
        if (buf[c] == 'x')
                return c >= 4 && memcmp(buf + c - 4, "Linu", 4) == 0;
        size_t w = c;
        while (w > 0 && c - w < 8 && is_upper(buf[w - 1]))
                w--;
        switch (c - w) {
        case 3:
                return memcmp(buf + w, "BUG", 3) == 0 || memcmp(buf + w, "ERR", 3) == 0;
        case 4:
                return memcmp(buf + w, "INFO", 4) == 0;
        case 7:
                return memcmp(buf + w, "WARNING", 7) == 0;
        default:
                return false;
        }
}

/* Would the scan stop in this line? The partial-line paths must decide exactly like
 * process_complete(), or results would depend on where the input was split into chunks. */
static bool line_has_candidate(const LockdepParser *p, const char *s, size_t n) {
        n = MIN(n, p->o.max_line);
        for (size_t from = 0; from < n;) {
                size_t c = from + scan_candidate(s + from, n - from);
                if (c >= n)
                        return false;
                if (candidate_word(s, c))
                        return true;
                from = c + 1;
        }
        return false;
}

/* A line completed from pieces of several feeds (or the unterminated last line). */
static int partial_line(LockdepParser *p) {
        int r = 0;
        p->lineno++;
        if (every_line(p))
                r = physical_line(p, p->partial.s, p->partial.len, p->lineno, p->offset - p->partial_bytes);
        else if (line_has_candidate(p, p->partial.s, p->partial.len)) {
                r = set_context(p, p->partial.s, p->partial.s);
                if (r >= 0)
                        r = physical_line(p, p->partial.s, p->partial.len, p->lineno, p->offset - p->partial_bytes);
        }
        if (r >= 0)
                r = remember_line(p, p->partial.s, p->partial.len);
        strbuf_truncate(&p->partial, 0);
        p->partial_cut = false;
        p->partial_bytes = 0;
        return r;
}

static int process_complete(LockdepParser *p, const char *buf, size_t n, uint64_t base) {
        /* buf[0..n) holds complete lines, each ending in '\n' */
        size_t pos = 0;

        while (pos < n && p->error >= 0) {
                if (every_line(p)) {
                        const char *nl = memchr(buf + pos, '\n', n - pos);
                        size_t len = nl - (buf + pos);
                        p->lineno++;
                        int r = physical_line(p, buf + pos, MIN(len, p->o.max_line), p->lineno, base + pos);
                        if (r < 0)
                                return r;
                        pos += len + 1;
                        continue;
                }
                size_t c = pos, from = pos;
                for (;;) {
                        c = from + scan_candidate(buf + from, n - from);
                        if (c >= n || candidate_word(buf, c))
                                break;
                        from = c + 1;
                }
                if (c >= n) {
                        p->lineno += scan_count_newlines(buf + pos, n - pos);
                        return 0;
                }
                /* the candidate's line */
                const char *ls = c > pos ? memrchr(buf + pos, '\n', c - pos) : NULL;
                size_t lstart = ls ? (size_t) (ls - buf) + 1 : pos;
                const char *le = memchr(buf + c, '\n', n - c);
                /* the whole pattern (": " or "x v") must lie inside the cut, as in a partial line */
                size_t end = c + (buf[c] == ':' ? 1 : 2);
                if (end - lstart >= p->o.max_line && !line_has_candidate(p, buf + lstart, le - (buf + lstart))) {
                        /* only past the cut: the line is looked at as cut, like a partial one */
                        p->lineno += scan_count_newlines(buf + pos, (size_t) (le - (buf + pos))) + 1;
                        pos = le - buf + 1;
                        continue;
                }
                p->lineno += scan_count_newlines(buf + pos, lstart - pos) + 1;
                int r = set_context(p, buf, buf + lstart);
                if (r < 0)
                        return r;
                r = physical_line(p, buf + lstart, MIN((size_t) (le - (buf + lstart)), p->o.max_line),
                                  p->lineno, base + lstart);
                if (r < 0)
                        return r;
                pos = le - buf + 1;
        }
        return p->error;
}

int lockdep_parser_feed(LockdepParser *p, const void *data, size_t size) {
        const char *buf = data;
        size_t pos = 0;
        int r;

        if (!p || (!data && size > 0))
                return -EINVAL;
        if (p->error < 0)
                return p->error;

        /* complete the carried partial line first */
        if (p->partial.len > 0 || p->partial_cut) {
                const char *nl = memchr(buf, '\n', size);
                size_t take = nl ? (size_t) (nl - buf) : size;
                size_t room = p->o.max_line > p->partial.len ? p->o.max_line - p->partial.len : 0;
                if (take > room)
                        p->partial_cut = true;
                if (strbuf_append(&p->partial, buf, MIN(take, room)) < 0)
                        return -ENOMEM;
                if (!nl) {
                        p->partial_bytes += size;
                        p->offset += size;
                        return 0;
                }
                r = partial_line(p);
                if (r < 0)
                        return r;
                pos = take + 1;
        }

        const char *last = pos < size ? memrchr(buf + pos, '\n', size - pos) : NULL;
        size_t end = last ? (size_t) (last - buf) + 1 : pos;

        r = process_complete(p, buf + pos, end - pos, p->offset + pos);
        if (r < 0)
                return r;
        if (end > pos) {
                const char *last_nl = buf + end - 1;
                const char *lb = last_nl > buf + pos ? memrchr(buf + pos, '\n', last_nl - (buf + pos)) : NULL;
                lb = lb ? lb + 1 : buf + pos;
                r = remember_line(p, lb, last_nl - lb);
                if (r < 0)
                        return r;
        }

        if (end < size) {
                size_t take = MIN(size - end, p->o.max_line);
                if (strbuf_append(&p->partial, buf + end, take) < 0)
                        return -ENOMEM;
                p->partial_cut = take < size - end;
                p->partial_bytes = size - end;
        }
        p->offset += size;
        return p->error;
}

/* A record has no rendering of its own: its logged form is the kernel console's, "[   12.345678] "
 * (with "[  T123]" after it when the caller is known) before each of its lines. */
static int record_phys(LockdepParser *p, const LockdepRecord *rec, const char *s, size_t n) {
        char pre[64] = "";
        if (rec->has_ts) {
                int k = snprintf(pre, sizeof(pre), "[%5llu.%06llu]", (unsigned long long) (rec->ts_usec / 1000000),
                                 (unsigned long long) (rec->ts_usec % 1000000));
                if (rec->caller_kind) {
                        char c[16];
                        snprintf(c, sizeof(c), "%c%u", rec->caller_kind, rec->caller_id);
                        snprintf(pre + k, sizeof(pre) - (size_t) k, "[%6s]", c);
                }
                strcat(pre, " ");
        }
        strbuf_truncate(&p->rec_phys, 0);
        for (;;) {
                const char *nl = memchr(s, '\n', n);
                size_t len = nl ? (size_t) (nl - s) : n;
                if (strbuf_puts(&p->rec_phys, pre) < 0 || strbuf_append(&p->rec_phys, s, len) < 0)
                        return -ENOMEM;
                if (!nl)
                        return 0;
                if (strbuf_appendc(&p->rec_phys, '\n') < 0)
                        return -ENOMEM;
                s = nl + 1;
                n -= len + 1;
        }
}

int lockdep_parser_feed_record(LockdepParser *p, const LockdepRecord *rec) {
        LinePrefix pf = {
                .has_ts = rec->has_ts,
                .ts_usec = rec->ts_usec,
                .caller_kind = rec->caller_kind,
                .caller_id = rec->caller_id,
                .level = -1,
        };
        int r;

        if (!p || !rec || (!rec->text && rec->len > 0))
                return -EINVAL;
        if (p->error < 0)
                return p->error;
        p->lineno++;
        /* message() NUL-terminates lines in place: work on our own copy */
        strbuf_truncate(&p->line, 0);
        if (strbuf_append(&p->line, rec->text, MIN(rec->len, p->o.max_line)) < 0)
                return -ENOMEM;
        r = record_phys(p, rec, p->line.s, p->line.len);
        if (r < 0)
                return r;
        r = message(p, p->line.s, p->line.len, &pf, p->lineno, rec->pos, p->rec_phys.s, p->rec_phys.len, p->lineno);
        p->next_record_pos = rec->pos + 1;
        return r;
}

int lockdep_parser_finish(LockdepParser *p) {
        int r;

        if (!p)
                return -EINVAL;
        if (p->error < 0)
                return p->error;
        if (p->partial.len > 0 || p->partial_cut) {
                r = partial_line(p);
                if (r < 0)
                        return r;
        }
        r = assemble_finish(p);
        return r < 0 ? r : p->error;
}

unsigned lockdep_parser_lines(const LockdepParser *p) {
        return p ? p->lineno : 0;
}

int lockdep_parser_resume_pos(const LockdepParser *p, uint64_t *ret) {
        bool open = false;
        uint64_t pos = UINT64_MAX;
        for (size_t i = 0; i < OPEN_MAX; i++)
                if (p->slots[i].open) {
                        open = true;
                        pos = MIN(pos, p->slots[i].first_pos);
                }
        /* a title fragment or a line up to a soft break is part of what may still come */
        if (p->title_hold.held) {
                open = true;
                pos = MIN(pos, p->title_hold.l.pos);
        }
        if (p->qp_pending) {
                open = true;
                pos = MIN(pos, p->qp_pos);
        }
        if (open) {
                *ret = pos;
                return 1;
        }
        *ret = p->next_record_pos > 0 ? p->next_record_pos : p->offset - p->partial_bytes;
        return 0;
}

int lockdep_parser_flush_idle(LockdepParser *p) {
        unsigned n = 0;
        if (p->error < 0)
                return p->error;
        for (size_t i = 0; i < OPEN_MAX; i++) {
                OpenReport *o = &p->slots[i];
                /* its end was seen: the closing marker, or a line after the trace that is not
                 * part of it (held back in case frames resume: another CPU's line mid-trace) */
                if (!o->open || !(o->end_seen || (o->sec == SEC_BT && o->n_pending > 0)))
                        continue;
                int r = end_report(p, o, END_FOLLOWED);
                if (r < 0)
                        return r;
                n++;
        }
        return n > 0;
}

int lockdep_parser_flush_stale(LockdepParser *p) {
        int n = 0;
        int r = lockdep_parser_flush_idle(p);
        if (r < 0)
                return r;
        n += r;
        for (size_t i = 0; i < OPEN_MAX; i++) {
                OpenReport *o = &p->slots[i];
                LockdepReport rep = {};
                if (!o->open || o->n_lines == o->stale_lines)
                        continue;
                r = report_build(p, o, true, &rep);
                if (r >= 0)
                        r = emit(p, LOCKDEP_EVENT_REPORT, NULL, &rep);
                report_done(&rep);
                if (r < 0)
                        return r;
                o->stale_lines = o->n_lines;
                n++;
        }
        return n;
}

int lockdep_parser_new(const LockdepOptions *o, LockdepParser **ret) {
        LockdepParser *p;
        int r;

        if (!ret)
                return -EINVAL;
        p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        if (o)
                p->o = *o;
        if (p->o.max_report_lines == 0)
                p->o.max_report_lines = 4096;
        if (p->o.max_report_bytes == 0)
                p->o.max_report_bytes = 1024 * 1024;
        if (p->o.max_line == 0)
                p->o.max_line = 64 * 1024;
        p->aliases = p->o.aliases;
        if (!p->aliases) {
                r = lockdep_aliases_new(&p->own_aliases);
                if (r < 0)
                        goto fail;
                p->aliases = p->own_aliases;
        }
        r = title_compile(p);
        if (r < 0)
                goto fail;
        r = fs_table_load(&p->fs);
        if (r < 0)
                goto fail;
        *ret = p;
        return 0;
fail:
        lockdep_parser_free(p);
        return r;
}

LockdepParser *lockdep_parser_free(LockdepParser *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < OPEN_MAX; i++) {
                open_reset(&p->slots[i]);
                strbuf_done(&p->slots[i].text);
                strbuf_done(&p->slots[i].logged);
                free(p->slots[i].lineno);
        }
        strbuf_done(&p->partial);
        strbuf_done(&p->prev_msg);
        strbuf_done(&p->prev_phys);
        strbuf_done(&p->qp_phys);
        strbuf_done(&p->rec_phys);
        strbuf_done(&p->prev_line);
        strbuf_done(&p->scratch);
        strbuf_done(&p->line);
        strbuf_done(&p->qp_line);
        free(p->title_hold.s);
        free(p->title_hold.phys);
        fs_table_done(&p->fs);
        pcre2_match_data_free(p->md);
        pcre2_code_free(p->re_title);
        lockdep_aliases_free(p->own_aliases);
        free(p);
        return NULL;
}
