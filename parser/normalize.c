/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Class name canonicalization (DESIGN.md section 4): drop the boot-order dependent "#N" ordinal,
 * keep the "/N" subclass, then map the name through the alias table. Addresses, usage and wait
 * types never get here: parse_lock() already split them off.
 */
#include <stdlib.h>
#include <string.h>

#include "parser-internal.h"

extern const char lockdep_aliases_default[];
extern const size_t lockdep_aliases_default_len;

typedef struct Alias {
        char *from, *to;
        const char *star; /* '*' in from, or NULL */
} Alias;

struct LockdepAliases {
        Alias *v;
        size_t n;
};

LockdepAliases *lockdep_aliases_free(LockdepAliases *a) {
        if (!a)
                return NULL;
        for (size_t i = 0; i < a->n; i++) {
                free(a->v[i].from);
                free(a->v[i].to);
        }
        free(a->v);
        free(a);
        return NULL;
}

int lockdep_aliases_new_empty(LockdepAliases **ret) {
        *ret = calloc(1, sizeof(LockdepAliases));
        return *ret ? 0 : -ENOMEM;
}

int lockdep_aliases_new(LockdepAliases **ret) {
        LockdepAliases *a = calloc(1, sizeof(*a));
        unsigned bad;
        if (!a)
                return -ENOMEM;
        int r = lockdep_aliases_add_text(a, lockdep_aliases_default, lockdep_aliases_default_len, &bad);
        if (r < 0) {
                lockdep_aliases_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

static void lockdep_aliases_free_from(LockdepAliases *a, size_t n0) {
        for (size_t i = n0; i < a->n; i++) {
                free(a->v[i].from);
                free(a->v[i].to);
        }
        a->n = n0;
}

int lockdep_aliases_add_text(LockdepAliases *a, const char *text, size_t len, unsigned *ret_bad_line) {
        unsigned lineno = 0;
        size_t n0 = a->n;

        for (const char *s = text, *end = text + len; s < end;) {
                const char *nl = memchr(s, '\n', end - s);
                const char *e = nl ? nl : end;
                const char *next = nl ? nl + 1 : end;
                lineno++;
                while (s < e && (*s == ' ' || *s == '\t'))
                        s++;
                while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        e--;
                if (s == e || *s == '#') {
                        s = next;
                        continue;
                }
                const char *eq = memmem(s, e - s, " = ", 3);
                if (!eq || eq == s || eq + 3 >= e || memchr(s, '\0', e - s)) {
                        if (ret_bad_line)
                                *ret_bad_line = lineno;
                        goto fail;
                }
                Alias *v = realloc(a->v, (a->n + 1) * sizeof(Alias));
                if (!v)
                        goto oom;
                a->v = v;
                Alias *x = &v[a->n];
                x->from = strndup_trim(s, eq - s);
                x->to = strndup_trim(eq + 3, e - eq - 3);
                if (!x->from || !x->to) {
                        free(x->from);
                        free(x->to);
                        goto oom;
                }
                x->star = strchr(x->from, '*');
                if (x->star && (strchr(x->star + 1, '*') || strchr(x->to, '*') != strrchr(x->to, '*'))) {
                        free(x->from);
                        free(x->to);
                        if (ret_bad_line)
                                *ret_bad_line = lineno;
                        goto fail;
                }
                a->n++;
                s = next;
        }
        return 0;
oom:
        lockdep_aliases_free_from(a, n0);
        return -ENOMEM;
fail:
        lockdep_aliases_free_from(a, n0);
        return -EINVAL;
}

/* One rewrite step; returns a new string, NULL if no rule matched (or on OOM, *oom set). */
static char *alias_step(const LockdepAliases *a, const char *name, bool *oom) {
        size_t n = strlen(name);
        for (size_t i = a->n; i-- > 0;) {
                const Alias *x = &a->v[i];
                if (!x->star) {
                        if (strcmp(x->from, name) == 0) {
                                char *r = strdup(x->to);
                                *oom = !r;
                                return r;
                        }
                        continue;
                }
                size_t pre = x->star - x->from, suf = strlen(x->star + 1);
                if (n < pre + suf + 1 || memcmp(name, x->from, pre) != 0 ||
                    memcmp(name + n - suf, x->star + 1, suf) != 0)
                        continue;
                const char *mid = name + pre;
                size_t midlen = n - pre - suf;
                const char *ts = strchr(x->to, '*');
                size_t tl = strlen(x->to);
                char *r = malloc(tl + midlen + 1);
                if (!r) {
                        *oom = true;
                        return NULL;
                }
                if (ts) {
                        size_t tp = ts - x->to;
                        memcpy(r, x->to, tp);
                        memcpy(r + tp, mid, midlen);
                        memcpy(r + tp + midlen, ts + 1, tl - tp - 1);
                        r[tl - 1 + midlen] = 0;
                } else
                        memcpy(r, x->to, tl + 1);
                return r;
        }
        return NULL;
}

static bool all_digits(const char *s, size_t n) {
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (s[i] < '0' || s[i] > '9')
                        return false;
        return true;
}

char *canonical_class(const LockdepAliases *a, const char *name, size_t n) {
        /* split off "/N", then drop "#N" */
        size_t base = n, sub = n;
        for (size_t i = n; i > 0; i--)
                if (name[i - 1] == '/') {
                        if (all_digits(name + i, n - i))
                                base = sub = i - 1;
                        break;
                }
        for (size_t i = base; i > 0; i--)
                if (name[i - 1] == '#') {
                        if (all_digits(name + i, base - i))
                                base = i - 1;
                        break;
                } else if (name[i - 1] < '0' || name[i - 1] > '9')
                        break;

        char *cur = strndup(name, base);
        if (!cur)
                return NULL;
        for (unsigned round = 0; a && round < 4; round++) {
                bool oom = false;
                char *next = alias_step(a, cur, &oom);
                if (oom) {
                        free(cur);
                        return NULL;
                }
                if (!next)
                        break;
                bool same = strcmp(next, cur) == 0;
                free(cur);
                cur = next;
                if (same)
                        break;
        }
        if (sub == n)
                return cur;
        size_t cl = strlen(cur);
        char *r = realloc(cur, cl + (n - sub) + 1);
        if (!r) {
                free(cur);
                return NULL;
        }
        memcpy(r + cl, name + sub, n - sub);
        r[cl + n - sub] = 0;
        return r;
}

char *lockdep_canonical_class(const LockdepAliases *a, const char *name) {
        if (!name)
                return NULL;
        while (*name == ' ')
                name++;
        size_t n = strlen(name);
        while (n > 0 && name[n - 1] == ' ')
                n--;
        return canonical_class(a, name, n);
}
