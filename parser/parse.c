/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Report bodies (LOCKDEP_FORMATS.md sections 4-8): from the accepted lines of one report to the
 * fields of a LockdepReport. One pass; a "section" follows the fixed sentences lockdep prints, and
 * lines that fit no section (foreign text that slipped in) are ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser-internal.h"

/* ---- small string helpers ------------------------------------------------------------------ */

const char *memmem_lit(const char *s, size_t n, const char *needle) {
        return memmem(s, n, needle, strlen(needle));
}

static bool is_space(char c) {
        return c == ' ' || c == '\t';
}

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

char *strndup_trim(const char *s, size_t n) {
        while (n > 0 && is_space(*s))
                s++, n--;
        while (n > 0 && is_space(s[n - 1]))
                n--;
        return strndup(s, n);
}

static const char *skip_space(const char *s, const char *e) {
        while (s < e && is_space(*s))
                s++;
        return s;
}

static bool has_word_at_end(const char *s, size_t n, const char *w) {
        size_t k = strlen(w);
        return n >= k && memcmp(s + n - k, w, k) == 0;
}

static char *key_text(const char *s, size_t n);

/* ---- stack frames --------------------------------------------------------------------------- */

/* The function name of a frame line ("  ? [<ffffffff81079571>] lock_acquire+0x149/0x191 [mod]"),
 * without offset and compiler suffixes. Sets *ret_unreliable for "?" frames. */
static bool frame_function(const char *s, size_t n, const char **ret_fn, size_t *ret_len,
                           bool *ret_unreliable) {
        const char *e = s + n, *p = skip_space(s, e);
        bool unreliable = false;

        if (p + 1 < e && p[0] == '?' && p[1] == ' ') {
                unreliable = true;
                p = skip_space(p + 2, e);
        }
        if (p + 1 < e && p[0] == '[' && p[1] == '<') {
                const char *q = memchr(p, ']', e - p);
                if (!q)
                        return false;
                p = skip_space(q + 1, e);
                if (p + 1 < e && p[0] == '?' && p[1] == ' ') {
                        unreliable = true;
                        p = skip_space(p + 2, e);
                }
        }
        if (p < e && *p == '(') /* s390 "([<...>] fn+0x..)", arm "(fn+0x../0x..)" */
                p++;
        const char *t = p;
        while (t < e && !is_space(*t) && *t != ')')
                t++;
        const char *plus = memmem_lit(p, t - p, "+0x");
        if (!plus && t < e && *t == ')' && p > s && p[-1] == '(' && memmem_lit(t, e - t, " from ["))
                plus = t;
        if (!plus) {
                /* symbolizer: "fn file.c:123 [inline]" */
                if (t == p || !has_word_at_end(s, n, " [inline]"))
                        return false;
                plus = t;
        }
        if (plus == p)
                return false;
        const char *fn = p;
        if (*fn == '.' && plus - fn > 1) /* ppc64 ELFv1 */
                fn++;
        size_t len = plus - fn;
        /* compiler clones: foo.isra.12, foo.constprop.0, foo.part.3, foo.cold */
        const char *dot = memchr(fn, '.', len);
        if (dot && dot > fn)
                len = dot - fn;
        for (size_t i = 0; i < len; i++) {
                char c = fn[i];
                if (!(c == '_' || is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '$'))
                        return false;
        }
        *ret_fn = fn;
        *ret_len = len;
        *ret_unreliable = unreliable;
        return true;
}

static bool is_marker(const char *s, size_t n) {
        const char *e = s + n, *p = skip_space(s, e);
        size_t m = e - p;
        return m >= 3 && p[0] == '<' && p[m - 1] == '>' &&
               (memmem_lit(p, m, "IRQ") || memmem_lit(p, m, "TASK") || memmem_lit(p, m, "NMI") ||
                memmem_lit(p, m, "EOI") || memmem_lit(p, m, "SOFTIRQ"));
}

bool is_frame_line(const char *s, size_t n) {
        const char *fn;
        size_t len;
        bool u;
        if (n == 0)
                return false;
        if (is_marker(s, n))
                return true;
        if (!is_space(s[0]) && s[0] != '[' && s[0] != '(' && s[0] != '?' && s[0] != '.' &&
            !memmem_lit(s, n, "+0x"))
                return false;
        return frame_function(s, n, &fn, &len, &u);
}

static const char *const registers[] = {
        "RIP", "RSP", "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "R08", "R09", "R10", "R11",
        "R12", "R13", "R14", "R15", "FS", "GS", "CS", "DS", "ES", "CR0", "CR2", "CR3", "CR4", "DR0",
        "DR3", "DR6", "Code", "EIP", "EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP", "PKRU",
        "pc", "lr", "sp", "pstate", "NIP", "MSR", "LR", "CTR",
};

static bool is_register_line(const char *s, size_t n) {
        const char *c = memchr(s, ':', MIN(n, (size_t) 8));
        if (!c)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(registers); i++)
                if ((size_t) (c - s) == strlen(registers[i]) && memcmp(s, registers[i], c - s) == 0)
                        return true;
        return false;
}

/* " ffff8800372f3ba8 ffffffff8108e5f4 ..." raw stack words (3.x x86) */
static bool is_stack_words(const char *s, size_t n) {
        const char *e = s + n, *p = skip_space(s, e);
        unsigned words = 0;
        while (p < e) {
                const char *q = p;
                while (q < e && is_hex(*q))
                        q++;
                if (q - p != 8 && q - p != 16)
                        return false;
                words++;
                p = skip_space(q, e);
        }
        return words >= 2;
}

bool is_backtrace_line(const char *s, size_t n) {
        static const char *const heads[] = {
                "CPU: ", "Pid: ", "Hardware name: ", "Workqueue: ", "Call Trace:", "Call trace:",
                "Tainted: [", "Kdump: ", "Stack:", "Backtrace:", "Exception stack",
        };
        for (size_t i = 0; i < ELEMENTSOF(heads); i++)
                if (startswith_n(s, n, heads[i], strlen(heads[i])))
                        return true;
        if (n == 23 && strspn(s, "=") == 23) /* 2.6 dump_stack() closing rule */
                return true;
        /* arm: " r5:81170f7c r4:00000000" register lines and "1e80: ffffffff ..." stack dumps */
        const char *p = skip_space(s, s + n);
        size_t m = s + n - p;
        if (m >= 4 && p[0] == 'r' && is_digit(p[1]) && memchr(p, ':', MIN(m, (size_t) 4)))
                return true;
        if (m >= 6 && is_hex(p[0]) && is_hex(p[1]) && is_hex(p[2]) && is_hex(p[3]) && p[4] == ':' && p[5] == ' ')
                return true;
        return is_frame_line(s, n) || is_register_line(s, n) || is_stack_words(s, n);
}

/* The one list of locking functions (issue 13): lockdep itself, the lock primitives, and wrappers
 * that only take a lock for their caller (fs_reclaim_acquire, cpus_read_lock, pipe_lock), plus the
 * stack walking and WARN machinery a trace passes through. Prefixes, so that "mutex_lock_nested"
 * and "_raw_spin_lock_irqsave" match. */
bool lockdep_is_locking_function(const char *fn, size_t n) {
        static const char *const prefixes[] = {
                "lock_acquire", "__lock_acquire", "lock_release", "__lock_release", "lockdep_",
                "__lockdep", "validate_chain", "check_", "print_", "dump_stack", "__dump_stack",
                "show_stack", "dump_backtrace", "mark_lock", "mark_usage", "mark_held_locks",
                "debug_", "mutex_lock", "__mutex_lock", "mutex_trylock", "down_read", "down_write",
                "__down", "down_", "up_read", "up_write", "_raw_spin", "_raw_read", "_raw_write",
                "__raw_spin", "__raw_read", "__raw_write", "do_raw_", "rwsem_", "__rwsem",
                "percpu_down", "__percpu_down", "percpu_rwsem", "lock_sock", "spin_lock", "rt_spin",
                "rt_mutex", "__rt_mutex", "ww_mutex", "__ww_mutex", "__might_", "might_", "___might",
                "queued_spin", "native_queued", "__bfs", "__lock_is_held", "lock_is_held",
                "fs_reclaim_acquire", "__fs_reclaim_acquire", "trace_hardirqs", "trace_lock",
                "lock_downgrade", "lock_contended", "lock_acquired", "look_up_lock_class",
                "register_lock_class", "hlock_class", "add_chain_cache", "lookup_chain_cache",
                "__kernel_text_address", "kernel_text_address", "unwind_", "arch_stack_walk",
                "stack_trace_save", "save_trace", "__warn", "warn_slowpath", "report_bug",
                "handle_bug", "exc_invalid_op", "asm_exc_invalid_op", "do_error_trap", "do_invalid_op",
                "invalid_op", "panic", "__schedule_bug", "rcu_lock_acquire", "rcu_lock_release",
                "lock_map_acquire", "lock_map_release", "touch_wq_lockdep_map", "kasan_",
                "__sanitizer", "dump_header", "nmi_", "lock_torture", "_printk", "printk",
                "vprintk", "console_", "debug_check", "sched_show_task", "show_trace", "fixup_bug",
                "do_trap", "exc_", "asm_exc_", "_copy_to_user", "_copy_from_user", "copy_to_user",
                "copy_from_user", "__copy_", "should_fail",
                /* wrappers that take a lock for their caller */
                "cpus_read_lock", "cpus_write_lock", "cpu_hotplug_disable", "get_online_cpus",
                "pipe_lock", "pipe_double_lock", "__pipe_lock", "inode_lock", "lock_two_nondirectories",
                "rtnl_lock", "__rtnl_lock", "mmap_read_lock", "mmap_write_lock", "__mmap_lock",
                "rcu_read_lock", "srcu_read_lock", "__srcu_read_lock", "local_lock", "sb_start_",
                "__sb_start_write", "fs_reclaim_", "kernfs_get_active", "kernfs_drain",
        };
        for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
                size_t k = strlen(prefixes[i]);
                if (n >= k && memcmp(fn, prefixes[i], k) == 0)
                        return true;
        }
        return false;
}

bool is_held_entry_text(const char *s, size_t n) {
        size_t i = 0;
        while (i < n && is_space(s[i]))
                i++;
        if (i >= n || s[i] != '#')
                return false;
        for (i++; i < n && is_digit(s[i]); i++)
                ;
        return i < n && s[i] == ':' && i > 1;
}

/* ---- lock descriptions --------------------------------------------------------------------- */

static void lock_done(LockdepLock *l) {
        free(l->fs);
        free(l->class);
        free(l->canonical);
        free(l->usage);
        free(l->wait);
        free(l->at);
        *l = (LockdepLock) {};
}

/* The '(' that opens a class name at p..e, and its closing ')': the last "){" on the line, else
 * the parenthesis that balances the opening one, else the last ')'. */
static const char *name_end(const char *p, const char *e) {
        const char *best = NULL;
        for (const char *q = p; (q = memmem(q, e - q, "){", 2)); q++)
                best = q;
        if (best)
                return best;
        int depth = 0;
        for (const char *q = p; q < e; q++) {
                if (*q == '(')
                        depth++;
                else if (*q == ')' && --depth == 0)
                        return q;
        }
        for (const char *q = e; q > p; q--)
                if (q[-1] == ')')
                        return q - 1;
        return NULL;
}

/* "[addr] (name){usage}[-{a:b}][, at: site]" with an optional " #N: " list prefix. The 3.0 scenario
 * printer and print_lockdep_cache() forms ("(name)") parse too. Returns 1 and the lock, 0 if the
 * line is no lock line (no '(' name), -ENOMEM. */
static int parse_lock(const LockdepParser *p, const char *s, size_t n, LockdepLock *ret) {
        const char *e = s + n, *q = skip_space(s, e);
        LockdepLock l = {};

        if (q < e && *q == '#') { /* held-lock list entry */
                while (q < e && *q != ':')
                        q++;
                if (q >= e)
                        return 0; /* "#N" without ':' is no list entry */
                q = skip_space(q + 1, e);
        }
        if (STARTSWITH(q, e - q, "(____ptrval____)"))
                q = skip_space(q + 16, e);
        else if (q < e && is_hex(*q)) {
                const char *a = q;
                while (q < e && is_hex(*q))
                        q++;
                if (q - a < 8)
                        return 0;
                q = skip_space(q, e);
        }
        if (q >= e || *q != '(')
                return 0;
        const char *ne = name_end(q, e);
        if (!ne || ne <= q + 1)
                return 0;
        l.class = strndup_trim(q + 1, ne - q - 1);
        q = ne + 1;
        if (q < e && *q == '{') {
                const char *c = memchr(q, '}', e - q);
                if (c) {
                        l.usage = strndup(q, c - q + 1);
                        if (!l.usage)
                                goto oom;
                        q = c + 1;
                }
        }
        if (q + 1 < e && q[0] == '-' && q[1] == '{') {
                const char *c = memchr(q, '}', e - q);
                if (c) {
                        l.wait = strndup(q + 1, c - q);
                        if (!l.wait)
                                goto oom;
                        q = c + 1;
                }
        }
        const char *at = memmem_lit(q, e - q, " at: ");
        if (at) {
                const char *a = skip_space(at + 5, e);
                if (a + 1 < e && a[0] == '[' && a[1] == '<') {
                        const char *c = memchr(a, ']', e - a);
                        a = c ? skip_space(c + 1, e) : e;
                }
                const char *t = a;
                while (t < e && !is_space(*t))
                        t++;
                const char *m = skip_space(t, e);
                /* keep a module suffix " [xfs]", drop symbolizer file:line */
                if (m < e && *m == '[' && e[-1] == ']' && !memmem_lit(m, e - m, "inline"))
                        t = e;
                if (t > a && !(l.at = strndup_trim(a, t - a)))
                        goto oom;
        }
        if (!l.class)
                goto oom;
        l.canonical = canonical_class(p->aliases, l.class, strlen(l.class));
        if (!l.canonical)
                goto oom;
        *ret = l;
        return 1;
oom:
        lock_done(&l);
        return -ENOMEM;
}

/* A bare class as printed in "Chain exists of" or after "but this task is not holding:". */
static int bare_class(const LockdepParser *p, const char *s, size_t n, LockdepLock *ret) {
        LockdepLock l = {};
        while (n > 0 && is_space(*s))
                s++, n--;
        while (n > 0 && is_space(s[n - 1]))
                n--;
        if (n == 0 || memchr(s, ' ', n) || memchr(s, '\t', n) || s[0] == '[')
                return 0;
        size_t hex = 0;
        while (hex < n && is_hex(s[hex]))
                hex++;
        if (hex == n && n >= 8)
                return 0; /* an address (the kernel faulted while printing the name) */
        l.class = strndup_trim(s, n);
        if (!l.class)
                return -ENOMEM;
        l.canonical = canonical_class(p->aliases, l.class, strlen(l.class));
        if (!l.canonical) {
                free(l.class);
                return -ENOMEM;
        }
        *ret = l;
        return 1;
}

/* ---- growable arrays ------------------------------------------------------------------------ */

int push_str(char ***a, size_t *n, const char *s, size_t len) {
        char **x = realloc(*a, (*n + 1) * sizeof(char *));
        if (!x)
                return -ENOMEM;
        *a = x;
        x[*n] = strndup(s, len);
        if (!x[*n])
                return -ENOMEM;
        (*n)++;
        return 0;
}

static LockdepLock *push_lock(LockdepLock **a, size_t *n) {
        LockdepLock *x = realloc(*a, (*n + 1) * sizeof(LockdepLock));
        if (!x)
                return NULL;
        *a = x;
        x[*n] = (LockdepLock) {};
        return &x[(*n)++];
}

/* Stores *l in *slot unless it holds one already (the first one is kept): 0, -ENOMEM. l is
 * consumed either way. */
static int set_lock(LockdepLock **slot, LockdepLock *l) {
        if (*slot) {
                lock_done(l);
                return 0;
        }
        *slot = malloc(sizeof(LockdepLock));
        if (!*slot) {
                lock_done(l);
                return -ENOMEM;
        }
        **slot = *l;
        return 0;
}

/* ---- task, kernel, taint -------------------------------------------------------------------- */

/* "comm/pid" ending at e: comm may contain '/', so split at the last '/'. */
static int parse_task(const char *s, const char *e, LockdepReport *r) {
        if (r->task)
                return 0;
        const char *slash = NULL;
        for (const char *q = e; q > s; q--)
                if (q[-1] == '/') {
                        slash = q - 1;
                        break;
                }
        if (!slash || slash == s || slash + 1 >= e)
                return 0;
        long pid = 0;
        const char *d = slash + 1;
        if (*d == '-')
                d++;
        for (; d < e && is_digit(*d) && pid < 100000000; d++)
                pid = pid * 10 + (*d - '0');
        if (d != e)
                return 0;
        r->task = strndup(s, slash - s);
        if (!r->task)
                return -ENOMEM;
        r->pid = slash[1] == '-' ? -(int) pid : (int) pid;
        return 0;
}

static int set_taint(LockdepReport *r, const char *s, const char *e) {
        char buf[64];
        size_t k = 0;
        if (r->tainted)
                return 0;
        for (; s < e && k + 1 < sizeof(buf); s++)
                if (*s >= 'A' && *s <= 'Z' && *s != 'G')
                        buf[k++] = *s;
        buf[k] = 0;
        if (k > 0 && !(r->tainted = strdup(buf)))
                return -ENOMEM;
        return 0;
}

/* "4.15.0+ #221 Not tainted" / "5.3.16-rc1+ #1 Tainted: G   E  " / "2.6.26-rc5 #3" */
static int parse_ident(const char *s, size_t n, LockdepReport *r) {
        const char *e = s + n, *t = s;
        if (n < 3 || !is_digit(s[0]))
                return 0;
        while (t < e && !is_space(*t))
                t++;
        if (!memchr(s, '.', t - s))
                return 0;
        const char *rest = skip_space(t, e);
        if (rest < e && *rest != '#' && !STARTSWITH(rest, e - rest, "Not tainted") &&
            !STARTSWITH(rest, e - rest, "Tainted"))
                return 0;
        if (!r->kernel && !(r->kernel = strndup(s, t - s)))
                return -ENOMEM;
        const char *tn = memmem_lit(rest, e - rest, "Tainted: ");
        if (tn && set_taint(r, tn + 9, e) < 0)
                return -ENOMEM;
        return 1;
}

/* "CPU: 0 PID: 5807 Comm: syz-executor5 Not tainted 4.15.0+ #221" (also "UID: 0", 2.6 "Pid:") */
static int parse_cpu_line(const char *s, size_t n, LockdepReport *r) {
        const char *e = s + n, *c = memmem_lit(s, n, "Comm: ");
        const char *pid = memmem_lit(s, n, "PID: ");
        if (!c)
                return 0;
        c += 6;
        const char *nt = memmem_lit(c, e - c, " Not tainted ");
        const char *ta = memmem_lit(c, e - c, " Tainted: ");
        const char *end = nt && (!ta || nt < ta) ? nt : ta;
        if (!end)
                return 0;
        if (!r->task && pid) {
                if (!(r->task = strndup(c, end - c)))
                        return -ENOMEM;
                r->pid = atoi(pid + 5);
        }
        const char *k;
        if (end == nt)
                k = nt + 13;
        else {
                /* taint flags are single characters separated by blanks; the release follows */
                k = ta + 10;
                while (k < e && (is_space(*k) || (k + 1 < e && is_space(k[1])) || k + 1 == e))
                        k++;
                if (set_taint(r, ta + 10, k) < 0)
                        return -ENOMEM;
        }
        k = skip_space(k, e);
        const char *t = k;
        while (t < e && !is_space(*t))
                t++;
        if (!r->kernel && t > k && is_digit(*k) && !(r->kernel = strndup(k, t - k)))
                return -ENOMEM;
        return 0;
}

/* ---- the body ------------------------------------------------------------------------------- */

typedef enum Want {
        WANT_NONE,
        WANT_ACQUIRING,   /* the next lock line is the acquiring lock */
        WANT_HOLDING,
        WANT_HOLDING_BARE, /* nested lock: a bare class */
        WANT_AT,          /* bad unlock: "[<addr>] func" on its own line */
        WANT_CHAIN_EXISTS,
        WANT_MESSAGE,     /* rcu: "file:line message" */
} Want;

typedef enum Part {
        PART_HEAD,
        PART_CHAIN,
        PART_SCENARIO,
        PART_HELD,
        PART_DEPS,   /* irq dependency dumps: skipped */
        PART_BT,
        PART_OTHER,
} Part;

static int add_frame(char ***a, size_t *n, const char *s, size_t len) {
        const char *fn;
        size_t fl;
        bool unreliable;
        if (!frame_function(s, len, &fn, &fl, &unreliable) || unreliable)
                return 0;
        if (*n >= 64)
                return 0;
        return push_str(a, n, fn, fl);
}

static int add_scenario(LockdepReport *r, const char *s, size_t n) {
        const char *e = s + n, *p = skip_space(s, e);
        char buf[512];
        if (p == e || STARTSWITH(p, e - p, "CPU0") || STARTSWITH(p, e - p, "----"))
                return 0;
        if (r->n_scenario >= 16)
                return 0;
        /* CPU1's column starts at 31 spaces (CPU0 lines use 2 or 4) */
        int cpu = p - s >= 20 ? 1 : 0;
        int k = snprintf(buf, sizeof(buf), "CPU%d: %.*s", cpu, (int) MIN((size_t) (e - p), (size_t) 480), p);
        return push_str(&r->scenario, &r->n_scenario, buf, MIN((size_t) k, sizeof(buf) - 1));
}

static const char *task_end(const char *s, size_t n) {
        static const char *const tails[] = {
                " is trying to acquire lock:", " is trying to acquire:", " is trying to lock:",
                " is trying to release lock (", " is trying to contend lock (", " is freeing memory ",
                " is exiting with locks still held!", " is leaving the kernel with locks still held!",
                " just changed the state of lock:", " [HC", ": Hash chain already cached",
        };
        for (size_t i = 0; i < ELEMENTSOF(tails); i++) {
                const char *t = memmem_lit(s, n, tails[i]);
                if (t)
                        return t;
        }
        return NULL;
}

static int parse_body(LockdepParser *p, const char *text, size_t len, LockdepReport *r) {
        Part part = PART_HEAD;
        Want want = WANT_NONE;
        LockdepChainEntry *cur = NULL;
        unsigned idx = 0;

        for (const char *s = text, *end = text + len; s < end; idx++) {
                const char *nl = memchr(s, '\n', end - s);
                size_t n = nl ? (size_t) (nl - s) : (size_t) (end - s);
                const char *e = s + n;
                const char *t = skip_space(s, e);
                size_t tn = e - t;
                const char *next = nl ? nl + 1 : end;
                int q = 0;

                if (idx == 0)
                        goto next; /* the title */

                /* sentences that switch sections, in every part */
                if (STARTSWITH(t, tn, "stack backtrace:")) {
                        part = PART_BT;
                        want = WANT_NONE;
                        /* nested lock: keep the last dump */
                        for (size_t i = 0; i < r->n_backtrace; i++)
                                free(r->backtrace[i]);
                        r->n_backtrace = 0;
                        goto next;
                }
                if (part != PART_BT && ((STARTSWITH(t, tn, "CPU: ") && memmem_lit(t, tn, "PID: ")) ||
                                        STARTSWITH(t, tn, "Call Trace:") || STARTSWITH(t, tn, "Call trace:") ||
                                        STARTSWITH(t, tn, "Backtrace:"))) {
                        part = PART_BT;
                        want = WANT_NONE;
                        if (STARTSWITH(t, tn, "CPU: ") && parse_cpu_line(t, tn, r) < 0)
                                return -ENOMEM;
                        goto next;
                }
                if (STARTSWITH(t, tn, "the existing dependency chain")) {
                        part = PART_CHAIN;
                        goto next;
                }
                if (STARTSWITH(t, tn, "Possible unsafe locking scenario") ||
                    STARTSWITH(t, tn, "Possible interrupt unsafe locking scenario")) {
                        part = PART_SCENARIO;
                        goto next;
                }
                if (STARTSWITH(t, tn, "*** DEADLOCK ***")) {
                        part = PART_OTHER;
                        goto next;
                }
                if (STARTSWITH(t, tn, "other info that might help us debug this")) {
                        part = PART_OTHER;
                        want = WANT_NONE;
                        goto next;
                }
                if (STARTSWITH(t, tn, "Chain exists of:")) {
                        want = WANT_CHAIN_EXISTS;
                        goto next;
                }
                if (part != PART_BT && (is_held_entry_text(t, tn) == false) &&
                    (memmem_lit(t, tn, " held by ") || STARTSWITH(t, tn, "no locks held by "))) {
                        const char *by = memmem_lit(t, tn, " held by ");
                        by = by ? by + 9 : t + 17;
                        const char *te = e;
                        while (te > by && (te[-1] == ':' || te[-1] == '.' || is_space(te[-1])))
                                te--;
                        if (parse_task(by, te, r) < 0)
                                return -ENOMEM;
                        part = PART_HELD;
                        goto next;
                }
                if (STARTSWITH(t, tn, "the dependencies between") || STARTSWITH(t, tn, "the shortest dependencies") ||
                    STARTSWITH(t, tn, "the first lock's dependencies") || STARTSWITH(t, tn, "the second lock's dependencies") ||
                    (STARTSWITH(t, tn, "the ") && memmem_lit(t, tn, "lock's dependencies:"))) {
                        part = PART_DEPS;
                        goto next;
                }

                switch (part) {
                case PART_CHAIN:
                        if (STARTSWITH(t, tn, "-> #")) {
                                LockdepChainEntry *x = realloc(r->chain, (r->n_chain + 1) * sizeof(*x));
                                if (!x)
                                        return -ENOMEM;
                                r->chain = x;
                                cur = &x[r->n_chain];
                                *cur = (LockdepChainEntry) { .n = (unsigned) atoi(t + 4) };
                                const char *o = memchr(t, '(', tn);
                                q = o ? parse_lock(p, o, e - o, &cur->lock) : 0;
                                if (q < 0)
                                        return q;
                                if (q == 0) {
                                        cur = NULL;
                                        goto next;
                                }
                                /* drop a trailing ':' that parse_lock kept as part of nothing */
                                r->n_chain++;
                        } else if (cur && r->n_chain > 0)
                                q = add_frame(&r->chain[r->n_chain - 1].stack, &r->chain[r->n_chain - 1].n_stack, s, n);
                        break;
                case PART_SCENARIO:
                        q = add_scenario(r, s, n);
                        break;
                case PART_HELD:
                        if (is_held_entry_text(t, tn)) {
                                LockdepLock tmp;
                                q = r->n_held < 64 ? parse_lock(p, t, tn, &tmp) : 0;
                                if (q > 0) {
                                        LockdepLock *l = push_lock(&r->held, &r->n_held);
                                        if (!l) {
                                                lock_done(&tmp);
                                                return -ENOMEM;
                                        }
                                        *l = tmp;
                                }
                        }
                        break;
                case PART_BT:
                        if (STARTSWITH(t, tn, "CPU: ") || STARTSWITH(t, tn, "Pid: "))
                                q = parse_cpu_line(t, tn, r);
                        else
                                q = add_frame(&r->backtrace, &r->n_backtrace, s, n);
                        break;
                case PART_DEPS:
                        break;
                case PART_HEAD:
                case PART_OTHER:
                        if (want == WANT_CHAIN_EXISTS) {
                                want = WANT_NONE;
                                goto next;
                        }
                        if (want == WANT_ACQUIRING || want == WANT_HOLDING) {
                                LockdepLock tmp;
                                int k = parse_lock(p, t, tn, &tmp);
                                if (k < 0)
                                        return k;
                                if (k > 0) {
                                        k = set_lock(want == WANT_ACQUIRING ? &r->acquiring : &r->holding, &tmp);
                                        if (k < 0)
                                                return k;
                                        want = WANT_NONE;
                                        goto next;
                                }
                        }
                        if (want == WANT_HOLDING_BARE && tn > 0) {
                                LockdepLock tmp;
                                int k = bare_class(p, t, tn, &tmp);
                                if (k > 0)
                                        k = set_lock(&r->holding, &tmp);
                                if (k < 0)
                                        return k;
                                want = WANT_NONE;
                                goto next;
                        }
                        if (want == WANT_AT && r->acquiring && !r->acquiring->at) {
                                const char *fn;
                                size_t fl;
                                bool u;
                                if (frame_function(t, tn, &fn, &fl, &u)) {
                                        const char *a = t;
                                        if (a[0] == '[') {
                                                const char *c = memchr(a, ']', tn);
                                                a = c ? skip_space(c + 1, e) : a;
                                        }
                                        const char *ae = a;
                                        while (ae < e && !is_space(*ae))
                                                ae++;
                                        r->acquiring->at = strndup(a, ae - a);
                                        if (!r->acquiring->at)
                                                return -ENOMEM;
                                        want = WANT_NONE;
                                        goto next;
                                }
                        }
                        if (want == WANT_MESSAGE && tn > 0 && !r->message && t[tn - 1] == '!') {
                                /* "net/core/dev.c:1287 suspicious rcu_dereference_check() usage!" */
                                const char *c = memchr(t, ':', tn);
                                if (c && c + 1 < e && is_digit(c[1])) {
                                        const char *m = c + 1;
                                        while (m < e && is_digit(*m))
                                                m++;
                                        char buf[512];
                                        int k = snprintf(buf, sizeof(buf), "%.*s: %.*s", (int) MIN((size_t) (c - t), (size_t) 200), t,
                                                         (int) MIN((size_t) (e - skip_space(m, e)), (size_t) 300), skip_space(m, e));
                                        r->message = key_text(buf, MIN((size_t) k, sizeof(buf) - 1));
                                        if (!r->message)
                                                return -ENOMEM;
                                        want = WANT_NONE;
                                        goto next;
                                }
                        }
                        if (!r->kernel && idx <= 3) {
                                int k = parse_ident(t, tn, r);
                                if (k < 0)
                                        return k;
                                if (k > 0)
                                        goto next;
                        }

                        const char *te = task_end(t, tn);
                        if (te && parse_task(t, te, r) < 0)
                                return -ENOMEM;

                        if (memmem_lit(t, tn, " is trying to acquire lock:") || memmem_lit(t, tn, " is trying to acquire:") ||
                            memmem_lit(t, tn, " is trying to lock:") || memmem_lit(t, tn, " takes:") ||
                            memmem_lit(t, tn, " just changed the state of lock:") ||
                            memmem_lit(t, tn, ", with a lock still held there!"))
                                want = WANT_ACQUIRING;
                        else if (STARTSWITH(t, tn, "but task is already holding lock:") ||
                                 STARTSWITH(t, tn, "and this task is already holding:") ||
                                 (STARTSWITH(t, tn, "but this lock ") && memmem_lit(t, tn, "in the past:")))
                                want = WANT_HOLDING;
                        else if (STARTSWITH(t, tn, "but this task is not holding:"))
                                want = WANT_HOLDING_BARE;
                        else if (memmem_lit(t, tn, " is trying to release lock (") ||
                                 memmem_lit(t, tn, " is trying to contend lock (")) {
                                const char *o = memchr(t, '(', tn);
                                const char *c = NULL;
                                for (const char *z = e; z > o; z--)
                                        if (z[-1] == ')') {
                                                c = z - 1;
                                                break;
                                        }
                                if (o && c && c > o + 1) {
                                        LockdepLock tmp;
                                        int k = bare_class(p, o + 1, c - o - 1, &tmp);
                                        if (k > 0)
                                                k = set_lock(&r->acquiring, &tmp);
                                        if (k < 0)
                                                return k;
                                }
                                want = WANT_AT;
                        } else if (STARTSWITH(t, tn, "inconsistent {")) {
                                const char *a = t + 14, *ae = memchr(a, '}', e - a);
                                const char *b = ae ? memmem_lit(ae, e - ae, "-> {") : NULL;
                                const char *be = b ? memchr(b + 4, '}', e - b - 4) : NULL;
                                if (ae && be && !r->usage_from) {
                                        r->usage_from = strndup(a, ae - a);
                                        r->usage_to = strndup(b + 4, be - b - 4);
                                        if (!r->usage_from || !r->usage_to)
                                                return -ENOMEM;
                                }
                        } else if (STARTSWITH(t, tn, "context-{") && !r->usage_from) {
                                if (!(r->usage_from = strndup_trim(t, tn)))
                                        return -ENOMEM;
                        }
                        break;
                }
                if (q < 0)
                        return q;
        next:
                if (r->kind == LOCKDEP_SUSPICIOUS_RCU && idx >= 1 && !r->message && want == WANT_NONE &&
                    part == PART_HEAD)
                        want = WANT_MESSAGE;
                s = next;
        }
        return 0;
}

/* ---- the report ----------------------------------------------------------------------------- */

static char *first_nonlocking(char *const *fns, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!lockdep_is_locking_function(fns[i], strlen(fns[i])))
                        return fns[i];
        return NULL;
}

/* The function of an "at:" site, without offset, or NULL if it is a locking primitive. */
static bool site_function(const char *at, const char **ret, size_t *ret_len) {
        bool u;
        return at && frame_function(at, strlen(at), ret, ret_len, &u) && !lockdep_is_locking_function(*ret, *ret_len);
}

/* The function a report is "in": the acquire site if it is not a locking primitive, else the first
 * backtrace frame outside lockdep and the locking code. */
int report_function(const LockdepReport *r, char **ret) {
        const LockdepLock *l = r->acquiring;
        const char *f;
        size_t fl;
        if (!l && r->n_held > 0 && (r->kind == LOCKDEP_HELD_AT_EXIT || r->kind == LOCKDEP_RETURN_TO_USER))
                l = &r->held[0];
        if (l && site_function(l->at, &f, &fl)) {
                *ret = strndup(f, fl);
                return *ret ? 0 : -ENOMEM;
        }
        const char *b = first_nonlocking(r->backtrace, r->n_backtrace);
        if (!b && r->n_chain > 0)
                b = first_nonlocking(r->chain[r->n_chain - 1].stack, r->chain[r->n_chain - 1].n_stack);
        *ret = b ? strdup(b) : NULL;
        return b && !*ret ? -ENOMEM : 0;
}

/* Where the report's own lock (the acquiring one) was taken: its "at:" function when that is not a
 * locking function, else the first backtrace frame that is not one. NULL if neither. */
static int own_site(const LockdepReport *r, char **ret) {
        const char *f;
        size_t fl;
        if (r->acquiring && site_function(r->acquiring->at, &f, &fl))
                *ret = strndup(f, fl);
        else {
                const char *b = first_nonlocking(r->backtrace, r->n_backtrace);
                if (!b) {
                        *ret = NULL;
                        return 0;
                }
                *ret = strdup(b);
        }
        return *ret ? 0 : -ENOMEM;
}

static int add_report_edge(LockdepReport *r, const char *from, const char *to, const char *at, bool own) {
        LockdepEdge *e = &r->edges[r->n_edges];
        *e = (LockdepEdge) { .from = from, .to = to };
        if (own) {
                int q = own_site(r, &e->at);
                if (q < 0)
                        return q;
        } else if (at && !(e->at = strdup(at)))
                return -ENOMEM;
        r->n_edges++;
        return 0;
}

/* The one rule of the edges a report shows and the site of each (LockdepEdge), which the store
 * keeps as the group's edges and every front end shows: computed once, here. */
static int report_set_edges(LockdepReport *r) {
        size_t n = 0;
        if (r->kind == LOCKDEP_CIRCULAR)
                n = r->n_cycle;
        else if (r->kind == LOCKDEP_RECURSIVE)
                n = r->n_cycle > 0;
        else if (r->kind == LOCKDEP_SAFE_UNSAFE && r->holding && r->acquiring && r->holding->canonical &&
                 r->acquiring->canonical)
                n = 1;
        if (n == 0)
                return 0;
        r->edges = calloc(n, sizeof(LockdepEdge));
        if (!r->edges)
                return -ENOMEM;
        if (r->kind == LOCKDEP_SAFE_UNSAFE)
                return add_report_edge(r, r->holding->canonical, r->acquiring->canonical, NULL, true);
        /* cycle printed #N..#0 = Ln..L0: edge L(k-1) -> Lk at the stack of entry #k (taken while
         * L(k-1) was held), and the closing Ln -> L0 at that of #0 (the acquisition reported) */
        for (size_t i = 0; i < n; i++) {
                const char *from = r->classes[(i + 1) % r->n_cycle], *to = r->classes[i];
                int q;
                if (r->kind == LOCKDEP_CIRCULAR && r->n_chain > 0)
                        q = add_report_edge(r, from, to, r->chain[i].at, false);
                else /* recursive, or circular cut before its chain: held -> acquiring is the
                      * report's own acquisition, the way back only implied */
                        q = add_report_edge(r, from, to, NULL, r->kind == LOCKDEP_RECURSIVE || i == n - 1);
                if (q < 0)
                        return q;
        }
        return 0;
}

static int set_cycle(LockdepReport *r) {
        size_t n = 0;
        const LockdepLock *one = NULL;

        if (r->kind == LOCKDEP_CIRCULAR) {
                n = r->n_chain;
                if (n == 0 && r->holding && r->acquiring)
                        n = 2; /* cut before the chain: held -> acquiring is all we know */
        } else if (r->kind == LOCKDEP_RECURSIVE) {
                one = r->acquiring ? r->acquiring : r->holding;
                n = one ? 2 : 0;
        }
        if (n == 0)
                return 0;
        r->cycle = calloc(n, sizeof(char *));
        r->classes = calloc(n, sizeof(char *));
        if (!r->cycle || !r->classes)
                return -ENOMEM;
        r->n_cycle = n;
        for (size_t i = 0; i < n; i++) {
                const LockdepLock *l = one ? one
                                     : r->n_chain > 0 ? &r->chain[i].lock
                                     : i == 0 ? r->holding : r->acquiring;
                r->cycle[i] = strdup(l->class);
                r->classes[i] = strdup(l->canonical);
                if (!r->cycle[i] || !r->classes[i])
                        return -ENOMEM;
        }
        return 0;
}

/* A message for a key: blanks trimmed, runs of blanks one space, digits-only words (line numbers,
 * subclass values, addresses) kept only where asked. Returns a malloc()ed string or NULL. */
static char *key_text(const char *s, size_t n) {
        char *r = malloc(n + 1);
        size_t k = 0;
        if (!r)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (is_space(s[i]) || s[i] == '\r') {
                        if (k > 0 && r[k - 1] != ' ')
                                r[k++] = ' ';
                        continue;
                }
                r[k++] = s[i];
        }
        while (k > 0 && r[k - 1] == ' ')
                k--;
        r[k] = 0;
        return r;
}

/* Internal lockdep WARNs are keyed by the warning itself (issue 10), never by whatever line came
 * before it: the DEBUG_LOCKS_WARN_ON(...) condition (in the report or on the line just before its
 * title), else the lockdep function of the "WARNING: CPU: ... at kernel/locking/lockdep.c:N func"
 * line (without N), else the BUG line without its address or number. */
static int internal_message(const OpenReport *o, LockdepReport *r, bool *ret_context_used) {
        const char *t = o->text.s, *d = memmem_lit(t, o->text.len, "DEBUG_LOCKS_WARN_ON(");
        const char *ctx = o->context;
        if (STARTSWITH(r->title, strlen(r->title), "BUG: "))
                d = NULL; /* the BUG line is the warning itself */
        else if (!d && ctx && (d = strstr(ctx, "DEBUG_LOCKS_WARN_ON(")))
                *ret_context_used = true;
        if (d) {
                /* the condition up to its balancing parenthesis */
                const char *e = strchr(d, '\n'), *c = d + 19;
                size_t len = e ? (size_t) (e - d) : strlen(d);
                int depth = 0;
                for (; c < d + len; c++)
                        if (*c == '(')
                                depth++;
                        else if (*c == ')' && --depth == 0)
                                break;
                if (c < d + len)
                        len = (size_t) (c - d) + 1;
                r->message = key_text(d, len);
                return r->message ? 0 : -ENOMEM;
        }
        if (STARTSWITH(r->title, strlen(r->title), "BUG: ")) {
                /* "BUG: key ffff888... has not been registered!": drop the address */
                const char *k = strstr(r->title, "BUG: key ");
                if (k) {
                        const char *sp = strchr(k + 9, ' ');
                        if (sp && asprintf(&r->message, "BUG: key%s", sp) < 0) {
                                r->message = NULL;
                                return -ENOMEM;
                        }
                        return 0;
                }
                /* "BUG: looking up invalid subclass: 9": the number is this call's value */
                const char *c = strstr(r->title, ": ");
                const char *c2 = c ? strstr(c + 2, ": ") : NULL;
                size_t len = c2 ? (size_t) (c2 - r->title) : strlen(r->title);
                r->message = key_text(r->title, len);
                return r->message ? 0 : -ENOMEM;
        }
        /* "WARNING: CPU: 0 PID: 1 at kernel/locking/lockdep.c:3553 lock_downgrade+0x4d2/0x910" */
        const char *at = strstr(r->title, " at kernel/");
        const char *sp = at ? strchr(at + 4, ' ') : NULL;
        const char *fn;
        size_t fl;
        bool u;
        if (sp && frame_function(sp, strlen(sp), &fn, &fl, &u)) {
                if (asprintf(&r->message, "WARNING in %.*s", (int) fl, fn) < 0) {
                        r->message = NULL;
                        return -ENOMEM;
                }
                return 0;
        }
        r->message = strdup("WARNING in lockdep");
        return r->message ? 0 : -ENOMEM;
}

/* Can the key be trusted (DESIGN.md section 5, sig_version 2)? Not when the chain has a gap in its
 * "-> #N" numbering, an entry that did not parse or does not end at the acquired lock, or when
 * the lock lines that make a kind's key were not read. */
static bool report_unreliable(const LockdepReport *r, const char *text, size_t len) {
        switch (r->kind) {
        case LOCKDEP_CIRCULAR: {
                size_t headers = 0;
                for (const char *t = text, *e = text + len; t < e;) {
                        const char *nl = memchr(t, '\n', (size_t) (e - t));
                        const char *q = skip_space(t, nl ? nl : e);
                        if (STARTSWITH(q, (size_t) ((nl ? nl : e) - q), "-> #"))
                                headers++;
                        t = nl ? nl + 1 : e;
                }
                if (r->n_chain == 0 || headers != r->n_chain)
                        return true;
                for (size_t i = 0; i < r->n_chain; i++)
                        if (r->chain[i].n != r->n_chain - 1 - i)
                                return true;
                if (r->acquiring && strcmp(r->chain[r->n_chain - 1].lock.canonical, r->acquiring->canonical) != 0)
                        return true;
                return r->holding && strcmp(r->chain[0].lock.canonical, r->holding->canonical) != 0;
        }
        case LOCKDEP_RECURSIVE:
        case LOCKDEP_SAFE_UNSAFE:
        case LOCKDEP_IRQ_INVERSION:
        case LOCKDEP_NESTED_LOCK_NOT_TAKEN:
                return !r->acquiring || !r->holding;
        case LOCKDEP_INCONSISTENT:
        case LOCKDEP_BAD_UNLOCK_BALANCE:
        case LOCKDEP_BAD_CONTENTION:
        case LOCKDEP_HELD_LOCK_FREED:
        case LOCKDEP_INVALID_WAIT_CONTEXT:
                return !r->acquiring;
        case LOCKDEP_HELD_AT_EXIT:
        case LOCKDEP_RETURN_TO_USER:
                return r->n_held == 0;
        case LOCKDEP_SUSPICIOUS_RCU:
                return !r->message;
        case LOCKDEP_INTERNAL:
                return !r->message || strcmp(r->message, "WARNING in lockdep") == 0;
        default:
                return false;
        }
}

int report_build(LockdepParser *p, const OpenReport *o, bool truncated, LockdepReport *ret) {
        LockdepReport r = {
                .kind = o->kind,
                .pid = -1,
                .truncated = truncated,
                .first_line = o->first_line,
                .first_pos = o->first_pos,
                .last_line = o->last_line,
                .has_ts = o->has_ts,
                .ts_usec = o->ts_usec,
                .sig_version = LOCKDEP_SIG_VERSION,
        };
        const char *t = o->text.s ? o->text.s : "";
        size_t len = o->keep_len;
        const char *nl = memchr(t, '\n', len);
        bool before = o->before_banner; /* the banner line goes into logged */
        int q;

        *ret = r;
        if (o->host[0]) {
                r.host = strdup(o->host);
                if (!r.host)
                        goto oom;
        }
        r.has_time = wall_to_usec(&o->wall, p->o.reference_usec, &r.time_usec);
        r.title = strndup_trim(t, nl ? (size_t) (nl - t) : len);
        r.text = malloc(len + 1); /* the text may hold NUL bytes: no strndup() */
        if (r.text) {
                memcpy(r.text, t, len);
                r.text[len] = 0;
        }
        r.text_len = len;
        if (!r.title || !r.text)
                goto oom;
        q = parse_body(p, t, len, &r);
        if (q < 0)
                goto fail;

        /* kinds whose subject is in the title */
        if (r.kind == LOCKDEP_HELD_AT_EXIT && !r.task) {
                const char *w = strstr(r.title, "WARNING: ");
                const char *h = strstr(r.title, " still has locks held!");
                if (w && h && h > w + 9 && parse_task(w + 9, h, &r) < 0)
                        goto oom;
        }
        if (r.kind == LOCKDEP_SAFE_UNSAFE && !r.usage_from) {
                const char *a = strstr(r.title, ": "), *arrow = strstr(r.title, " -> ");
                const char *b = arrow ? strstr(arrow, " lock order") : NULL;
                if (a && arrow && b && arrow > a + 2) {
                        r.usage_from = strndup(a + 2, arrow - a - 2);
                        r.usage_to = strndup(arrow + 4, b - arrow - 4);
                        if (!r.usage_from || !r.usage_to)
                                goto oom;
                }
        }
        if (r.kind == LOCKDEP_IRQ_INVERSION && !r.usage_from) {
                const char *m = memmem_lit(t, len, "another, ");
                const char *e = m ? memmem_lit(m, len - (m - t), " lock in the past") : NULL;
                if (e && !(r.usage_from = strndup(m + 9, e - m - 9)))
                        goto oom;
        }
        if ((r.kind == LOCKDEP_CAPACITY || r.kind == LOCKDEP_NON_STATIC_KEY ||
             r.kind == LOCKDEP_CHAIN_KEY_COLLISION) && !r.message) {
                const char *m = r.title;
                if (STARTSWITH(m, strlen(m), "[ "))
                        m += 2;
                if (!(r.message = key_text(m, strlen(m))))
                        goto oom;
        }
        if (r.kind == LOCKDEP_INTERNAL && !r.message) {
                bool used = false;
                q = internal_message(o, &r, &used);
                if (q < 0)
                        goto fail;
                if (used) {
                        /* keep the message line with the stored text, so a reparse finds it */
                        size_t cl = strlen(o->context);
                        char *x = malloc(cl + 1 + len + 1);
                        if (!x)
                                goto oom;
                        memcpy(x, o->context, cl);
                        x[cl] = '\n';
                        memcpy(x + cl + 1, t, len);
                        x[cl + 1 + len] = 0;
                        free(r.text);
                        r.text = x;
                        r.text_len = cl + 1 + len;
                        before = true;
                }
        }
        if (o->logged.s) {
                size_t bl = before && o->before ? strlen(o->before) : 0;
                r.logged = malloc(bl + (bl > 0) + o->logged.len + 1);
                if (!r.logged)
                        goto oom;
                memcpy(r.logged, o->before ? o->before : "", bl);
                if (bl > 0)
                        r.logged[bl++] = '\n';
                memcpy(r.logged + bl, o->logged.s, o->logged.len);
                r.logged_len = bl + o->logged.len;
                r.logged[r.logged_len] = 0;
        }
        q = set_cycle(&r);
        if (q < 0)
                goto fail;
        for (size_t i = 0; i < r.n_chain; i++) {
                /* each edge's acquire site, once for every front end */
                const char *at = first_nonlocking(r.chain[i].stack, r.chain[i].n_stack);
                if (at && !(r.chain[i].at = strdup(at)))
                        goto oom;
        }
        q = report_set_filesystems(&p->fs, &r);
        if (q < 0)
                goto fail;
        q = report_set_edges(&r);
        if (q < 0)
                goto fail;
        r.degraded = report_unreliable(&r, r.text, r.text_len);
        q = report_sign(p, &r);
        if (q < 0)
                goto fail;
        *ret = r;
        return 0;
oom:
        q = -ENOMEM;
fail:
        report_done(&r);
        return q;
}

static void strv_free(char **v, size_t n) {
        if (!v) /* a copy that failed before its array was made (lockdep_report_dup()) */
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void report_done(LockdepReport *r) {
        free(r->title);
        free(r->kernel);
        free(r->tainted);
        free(r->task);
        free(r->message);
        free(r->usage_from);
        free(r->usage_to);
        if (r->acquiring)
                lock_done(r->acquiring);
        free(r->acquiring);
        if (r->holding)
                lock_done(r->holding);
        free(r->holding);
        strv_free(r->cycle, r->n_cycle);
        strv_free(r->classes, r->n_cycle);
        for (size_t i = 0; i < r->n_chain; i++) {
                free(r->chain[i].at);
                lock_done(&r->chain[i].lock);
                strv_free(r->chain[i].stack, r->chain[i].n_stack);
        }
        free(r->chain);
        for (size_t i = 0; i < r->n_edges; i++)
                free(r->edges[i].at);
        free(r->edges);
        for (size_t i = 0; i < r->n_held; i++)
                lock_done(&r->held[i]);
        free(r->held);
        strv_free(r->scenario, r->n_scenario);
        strv_free(r->backtrace, r->n_backtrace);
        free(r->key);
        free(r->func_title);
        free(r->text);
        free(r->logged);
        free(r->host);
        *r = (LockdepReport) {};
}

/* ---- copies of reports, for a consumer on another thread (lockdepctl import) ----------------- */

static int dup_str(char **dst, const char *src) {
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

/* n bytes that may hold NUL bytes (no strdup()), NUL-terminated. */
static int dup_bytes(char **dst, const char *src, size_t n) {
        if (!src)
                return 0;
        *dst = malloc(n + 1);
        if (!*dst)
                return -ENOMEM;
        memcpy(*dst, src, n);
        (*dst)[n] = 0;
        return 0;
}

static int dup_strv(char ***dst, char *const *src, size_t n) {
        if (!src)
                return 0;
        *dst = calloc(n ? n : 1, sizeof(char *));
        if (!*dst)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (dup_str(&(*dst)[i], src[i]) < 0)
                        return -ENOMEM;
        return 0;
}

static int dup_lock(LockdepLock *d, const LockdepLock *s) {
        *d = (LockdepLock) {};
        if (dup_str(&d->class, s->class) < 0 || dup_str(&d->canonical, s->canonical) < 0 ||
            dup_str(&d->usage, s->usage) < 0 || dup_str(&d->wait, s->wait) < 0 || dup_str(&d->at, s->at) < 0 ||
            dup_str(&d->fs, s->fs) < 0)
                return -ENOMEM;
        return 0;
}

static int dup_lockp(LockdepLock **d, const LockdepLock *s) {
        if (!s)
                return 0;
        *d = calloc(1, sizeof(LockdepLock));
        return *d ? dup_lock(*d, s) : -ENOMEM;
}

int lockdep_report_dup(const LockdepReport *r, LockdepReport **ret) {
        LockdepReport *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        /* the scalars; every pointer is replaced below (NULL until copied, for report_done()) */
        *d = *r;
        d->title = d->kernel = d->tainted = d->task = d->message = d->usage_from = d->usage_to = NULL;
        d->acquiring = d->holding = NULL;
        d->cycle = d->classes = d->scenario = d->backtrace = NULL;
        d->chain = NULL;
        d->edges = NULL;
        d->n_edges = 0;
        d->held = NULL;
        d->key = d->func_title = d->text = d->logged = d->host = NULL;
        /* report_done() frees n_* entries of each array: count them as they are made */
        size_t n_chain = r->n_chain, n_held = r->n_held;
        d->n_chain = d->n_held = 0;
        int q = 0;
        if (dup_str(&d->title, r->title) < 0 || dup_str(&d->kernel, r->kernel) < 0 ||
            dup_str(&d->tainted, r->tainted) < 0 || dup_str(&d->task, r->task) < 0 ||
            dup_str(&d->message, r->message) < 0 || dup_str(&d->usage_from, r->usage_from) < 0 ||
            dup_str(&d->usage_to, r->usage_to) < 0 || dup_lockp(&d->acquiring, r->acquiring) < 0 ||
            dup_lockp(&d->holding, r->holding) < 0 || dup_strv(&d->cycle, r->cycle, r->n_cycle) < 0 ||
            dup_strv(&d->classes, r->classes, r->n_cycle) < 0 ||
            dup_strv(&d->scenario, r->scenario, r->n_scenario) < 0 ||
            dup_strv(&d->backtrace, r->backtrace, r->n_backtrace) < 0 || dup_str(&d->key, r->key) < 0 ||
            dup_str(&d->func_title, r->func_title) < 0 || dup_str(&d->host, r->host) < 0)
                q = -ENOMEM;
        if (q >= 0 && (dup_bytes(&d->text, r->text, r->text_len) < 0 ||
                       dup_bytes(&d->logged, r->logged, r->logged_len) < 0))
                q = -ENOMEM;
        if (q >= 0 && r->chain) {
                d->chain = calloc(n_chain ? n_chain : 1, sizeof(LockdepChainEntry));
                for (size_t i = 0; d->chain && q >= 0 && i < n_chain; i++) {
                        const LockdepChainEntry *c = &r->chain[i];
                        LockdepChainEntry *e = &d->chain[d->n_chain++];
                        e->n = c->n;
                        e->n_stack = c->n_stack;
                        if (dup_lock(&e->lock, &c->lock) < 0 || dup_strv(&e->stack, c->stack, c->n_stack) < 0 ||
                            dup_str(&e->at, c->at) < 0)
                                q = -ENOMEM;
                }
                if (!d->chain)
                        q = -ENOMEM;
        }
        if (q >= 0 && r->held) {
                d->held = calloc(n_held ? n_held : 1, sizeof(LockdepLock));
                for (size_t i = 0; d->held && q >= 0 && i < n_held; i++)
                        q = dup_lock(&d->held[d->n_held++], &r->held[i]);
                if (!d->held)
                        q = -ENOMEM;
        }
        /* the edges point into the classes and locks: made again from the copy's, by the one rule */
        if (q >= 0 && r->edges)
                q = report_set_edges(d);
        if (q < 0) {
                lockdep_report_free(d);
                return q;
        }
        *ret = d;
        return 0;
}

void lockdep_report_free(LockdepReport *r) {
        if (!r)
                return;
        report_done(r);
        free(r);
}
