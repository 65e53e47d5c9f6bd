/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /proc/lockdep: the dependency graph one boot has learned (kernel/locking/lockdep_proc.c, l_show()).
 *
 *   all lock classes:
 *   ffffffff8a6f3d90 OPS:     12 FD:    3 BD:    1 +.+.: &sb->s_type->i_mutex_key#11
 *    -> [ffffffff8a6f3da0] &mm->mmap_lock
 *    -> [ffffffff8a6f3e00] fs_reclaim
 *   <empty line>
 *
 * One block per class in use: the key (a pointer, hashed since 4.15 and "(____ptrval____)" before
 * the hash is ready, so only meaningful inside one snapshot), " OPS:%8ld" with
 * CONFIG_DEBUG_LOCKDEP, " FD:%5ld BD:%5ld" and the usage characters with CONFIG_PROVE_LOCKING
 * (2.6.2x printed the usage characters without it), ": ", the name as print_name() makes it ("#N"
 * when name_version > 1, "/N" for a subclass), then " -> [KEY] NAME" for every direct forward
 * dependency (distance 1) and an empty line, both only with CONFIG_PROVE_LOCKING.
 *
 * The parser emits one LockdepDep per dependency line, with both classes canonicalized by the alias
 * table. It keeps one line of state (bounded by max_line), so any chunking gives the same result.
 * A dependency line outside a class block, a line that is neither, and a last block without its
 * empty line are counted, never guessed at: the caller decides what a partial snapshot is worth.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "parser-internal.h"

struct LockdepDepParser {
        const LockdepAliases *aliases;
        LockdepAliases *own_aliases;
        FsTable fs;
        LockdepDepCallback callback;
        void *userdata;
        size_t max_line;

        char *line;            /* the line being collected */
        size_t n_line;
        bool line_cut;         /* it grew past max_line */

        char *from;            /* the current class block: printed and canonical name */
        char *from_canonical;
        bool from_uncertain;
        bool in_block;         /* a class line was seen and its empty line not yet */

        LockdepDepStats stats;
        unsigned header_lines;
};

static bool is_hex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* The key at s: hex digits, or "(____ptrval____)"/"(ptrval)"; returns its length or 0. */
static size_t key_len(const char *s, size_t n) {
        size_t i = 0;
        if (n > 0 && s[0] == '(') {
                const char *e = memchr(s, ')', n);
                if (!e || !memmem_lit(s, (size_t) (e - s), "ptrval"))
                        return 0;
                return (size_t) (e - s) + 1;
        }
        while (i < n && is_hex(s[i]))
                i++;
        return i >= 8 ? i : 0;
}

/* Skips " TAG:" and the blanks and digits after it, if s starts with it. */
static size_t skip_counter(const char *s, size_t n, const char *tag) {
        size_t k = strlen(tag), i;
        if (n < k + 1 || s[0] != ' ' || memcmp(s + 1, tag, k) != 0)
                return 0;
        i = k + 1;
        while (i < n && s[i] == ' ')
                i++;
        size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
                i++;
        return i > d ? i : 0;
}

static bool is_usage_char(char c) {
        return c == '+' || c == '-' || c == '.' || c == '?';
}

/* "KEY[ OPS: n][ FD: n BD: n][ USAGE]: NAME": the offset of NAME, or 0 if the line is not one. */
static size_t class_line_name(const char *s, size_t n, bool *ret_prove) {
        size_t i = key_len(s, n), k;
        if (i == 0)
                return 0;
        if ((k = skip_counter(s + i, n - i, "OPS:")))
                i += k;
        *ret_prove = false;
        if ((k = skip_counter(s + i, n - i, "FD:"))) {
                i += k;
                if (!(k = skip_counter(s + i, n - i, "BD:")))
                        return 0;
                i += k;
                *ret_prove = true;
        }
        if (i + 1 < n && s[i] == ' ' && is_usage_char(s[i + 1])) {
                i++;
                while (i < n && is_usage_char(s[i]))
                        i++;
        }
        if (i + 2 > n || s[i] != ':' || s[i + 1] != ' ')
                return 0;
        return i + 2 < n ? i + 2 : 0;
}

/* " -> [KEY] NAME": the offset of NAME, or 0. */
static size_t dep_line_name(const char *s, size_t n) {
        if (!STARTSWITH(s, n, " -> ["))
                return 0;
        size_t k = key_len(s + 5, n - 5), i = 5 + k;
        if (k == 0 || i + 2 >= n || s[i] != ']' || s[i + 1] != ' ')
                return 0;
        return i + 2;
}

/* print_name() never ends a name with blanks; a CR of a copied file is not part of it either. */
static size_t trim_end(const char *s, size_t n) {
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
                n--;
        return n;
}

static int set_class(LockdepDepParser *p, const char *name, size_t n) {
        char *c = strndup(name, n), *canon = c ? canonical_class(p->aliases, name, n) : NULL;
        if (!canon) {
                free(c);
                return -ENOMEM;
        }
        free(p->from);
        free(p->from_canonical);
        p->from = c;
        p->from_canonical = canon;
        p->from_uncertain = fs_table_has_class(&p->fs, canon);
        p->in_block = true;
        p->stats.classes++;
        return 0;
}

static int emit_dep(LockdepDepParser *p, const char *name, size_t n) {
        char *to = strndup(name, n), *canon = to ? canonical_class(p->aliases, name, n) : NULL;
        int r = -ENOMEM;
        if (canon) {
                LockdepDep d = {
                        .from = p->from,
                        .to = to,
                        .from_canonical = p->from_canonical,
                        .to_canonical = canon,
                        .from_uncertain = p->from_uncertain,
                        .to_uncertain = fs_table_has_class(&p->fs, canon),
                };
                p->stats.deps++;
                r = p->callback ? p->callback(&d, p->userdata) : 0;
        }
        free(to);
        free(canon);
        return r;
}

/* "# NAME: VALUE" of a spool file's head; other comments are skipped too. */
static void header_line(LockdepDepParser *p, const char *s, size_t n) {
        static const struct { const char *name; size_t off; } fields[] = {
                { "release", offsetof(LockdepDepStats, release) },
                { "boot-id", offsetof(LockdepDepStats, boot_id) },
                { "host", offsetof(LockdepDepStats, host) },
        };
        const char *colon = memchr(s, ':', n);
        if (!colon || n < 2 || s[1] != ' ')
                return;
        size_t k = (size_t) (colon - s) - 2, vlen;
        const char *v = colon + 1;
        while (v < s + n && *v == ' ')
                v++;
        vlen = (size_t) (s + n - v);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
                if (strlen(fields[i].name) == k && memcmp(s + 2, fields[i].name, k) == 0 && vlen < 256) {
                        char *dst = (char *) &p->stats + fields[i].off;
                        memcpy(dst, v, vlen);
                        dst[vlen] = 0;
                }
        if (k == 5 && memcmp(s + 2, "taken", 5) == 0) {
                uint64_t t = 0;
                for (size_t i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' && t < UINT64_MAX / 10; i++)
                        t = t * 10 + (uint64_t) (v[i] - '0');
                p->stats.taken_usec = t;
        }
        if (k == 5 && memcmp(s + 2, "delta", 5) == 0)
                p->stats.delta = vlen == 3 && memcmp(v, "yes", 3) == 0;
}

static int handle_line(LockdepDepParser *p, const char *s, size_t n, bool cut) {
        size_t off;
        bool prove;

        p->stats.lines++;
        n = trim_end(s, n);
        if (n > 0 && s[0] == '#' && p->stats.classes == 0 && !p->stats.header && !cut) {
                header_line(p, s, n);
                p->header_lines++;
                return 0;
        }
        if (n == 0) {
                p->in_block = false;
                return 0;
        }
        if (memchr(s, '\0', n)) {
                /* print_name() never prints a NUL: not a line of ours, and since the class it names
                 * (or that it follows) cannot be told, the block ends: no dependency is given to
                 * the wrong class */
                p->stats.bad_lines++;
                p->in_block = false;
                return 0;
        }
        if (cut) {
                /* a name longer than max_line is nothing print_name() makes: not a line of ours */
                p->stats.bad_lines++;
                return 0;
        }
        if (p->stats.lines == p->header_lines + 1 && n == strlen("all lock classes:") &&
            memcmp(s, "all lock classes:", n) == 0) {
                p->stats.header = true;
                return 0;
        }
        if ((off = dep_line_name(s, n))) {
                if (!p->in_block) {
                        p->stats.bad_lines++;
                        return 0;
                }
                return emit_dep(p, s + off, n - off);
        }
        if ((off = class_line_name(s, n, &prove))) {
                if (prove)
                        p->stats.prove_locking = true;
                /* without CONFIG_PROVE_LOCKING no empty line ends a block: a class line does */
                return set_class(p, s + off, n - off);
        }
        p->stats.bad_lines++;
        return 0;
}

int lockdep_deps_new(const LockdepDepOptions *o, LockdepDepParser **ret) {
        LockdepDepParser *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        p->callback = o->callback;
        p->userdata = o->userdata;
        p->max_line = o->max_line ? o->max_line : 4096;
        p->aliases = o->aliases;
        if (!p->aliases) {
                r = lockdep_aliases_new(&p->own_aliases);
                if (r < 0)
                        goto fail;
                p->aliases = p->own_aliases;
        }
        r = fs_table_load(&p->fs);
        if (r < 0)
                goto fail;
        p->line = malloc(p->max_line);
        if (!p->line) {
                r = -ENOMEM;
                goto fail;
        }
        *ret = p;
        return 0;
fail:
        lockdep_deps_free(p);
        return r;
}

LockdepDepParser *lockdep_deps_free(LockdepDepParser *p) {
        if (!p)
                return NULL;
        lockdep_aliases_free(p->own_aliases);
        fs_table_done(&p->fs);
        free(p->line);
        free(p->from);
        free(p->from_canonical);
        free(p);
        return NULL;
}

int lockdep_deps_feed(LockdepDepParser *p, const void *buf, size_t n) {
        const char *s = buf, *end = s + n;

        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t k = (size_t) ((nl ? nl : end) - s), room = p->max_line - p->n_line;

                if (memchr(s, '\0', k))
                        p->stats.binary = true;
                if (k > room) {
                        p->line_cut = true;
                        k = room;
                }
                memcpy(p->line + p->n_line, s, k);
                p->n_line += k;
                if (!nl)
                        break;
                int r = handle_line(p, p->line, p->n_line, p->line_cut);
                p->n_line = 0;
                p->line_cut = false;
                if (r < 0)
                        return r;
                s = nl + 1;
        }
        return 0;
}

int lockdep_deps_finish(LockdepDepParser *p, LockdepDepStats *ret) {
        int r = 0;

        if (p->n_line > 0 || p->line_cut) {
                /* the input ended inside a line: it may be a cut dependency line, so it is not used */
                p->stats.lines++;
                p->stats.truncated = true;
                p->n_line = 0;
                p->line_cut = false;
        } else if (p->in_block && (p->stats.prove_locking || p->stats.deps > 0))
                p->stats.truncated = true; /* the last block lacks its empty line */
        p->in_block = false;
        if (ret)
                *ret = p->stats;
        return r;
}

bool lockdep_deps_detect(const void *buf, size_t n) {
        const char *s = buf, *end = s + n;
        unsigned seen = 0;
        bool prove;

        /* a spool file's head, the header, or a few lines that are class or dependency lines */
        if (n >= 20 && memcmp(s, "# lockdep-snapshot:", 19) == 0)
                return true;
        if (n >= 17 && memcmp(s, "all lock classes:", 17) == 0)
                return true;
        for (unsigned lines = 0; s < end && lines < 32; lines++) {
                const char *nl = memchr(s, '\n', (size_t) (end - s));
                size_t k = trim_end(s, (size_t) ((nl ? nl : end) - s));
                if (k > 0 && !class_line_name(s, k, &prove) && !dep_line_name(s, k))
                        return false;
                if (k > 0)
                        seen++;
                if (!nl)
                        break;
                s = nl + 1;
        }
        return seen >= 2;
}
