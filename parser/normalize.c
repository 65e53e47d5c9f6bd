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

/* ---- per-filesystem classes ----------------------------------------------------------------- */

extern const char lockdep_fs_classes_default[];
extern const size_t lockdep_fs_classes_default_len;

void fs_table_done(FsTable *t) {
        for (size_t i = 0; i < t->n_classes; i++)
                free(t->classes[i]);
        for (size_t i = 0; i < t->n_names; i++)
                free(t->names[i]);
        free(t->classes);
        free(t->names);
        *t = (FsTable) {};
}

int fs_table_load(FsTable *t) {
        const char *s = lockdep_fs_classes_default, *end = s + lockdep_fs_classes_default_len;
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t) (end - s)), *e = nl ? nl : end;
                int r = 0;
                if (e - s > 6 && memcmp(s, "class ", 6) == 0)
                        r = push_str(&t->classes, &t->n_classes, s + 6, (size_t) (e - s - 6));
                else if (e - s > 3 && memcmp(s, "fs ", 3) == 0)
                        r = push_str(&t->names, &t->n_names, s + 3, (size_t) (e - s - 3));
                if (r < 0) {
                        fs_table_done(t);
                        return r;
                }
                s = nl ? nl + 1 : end;
        }
        return 0;
}

bool fs_table_has_class(const FsTable *t, const char *canonical) {
        size_t n = strlen(canonical);
        const char *slash = strrchr(canonical, '/');
        if (slash && slash[1] >= '0' && slash[1] <= '9')
                n = (size_t) (slash - canonical); /* the subclass does not matter */
        for (size_t i = 0; i < t->n_classes; i++)
                if (strlen(t->classes[i]) == n && memcmp(t->classes[i], canonical, n) == 0)
                        return true;
        return false;
}

/* The filesystem a function or site names: its module suffix "[xfs]", else its prefix "xfs_". */
static const char *fs_of(const FsTable *t, const char *s) {
        if (!s)
                return NULL;
        const char *m = strrchr(s, '[');
        for (size_t i = 0; i < t->n_names; i++) {
                size_t k = strlen(t->names[i]);
                if (m && strncmp(m + 1, t->names[i], k) == 0 && m[1 + k] == ']')
                        return t->names[i];
        }
        for (size_t i = 0; i < t->n_names; i++) {
                size_t k = strlen(t->names[i]);
                if (strncmp(s, t->names[i], k) == 0 && s[k] == '_')
                        return t->names[i];
        }
        return NULL;
}

static const char *fs_of_stack(const FsTable *t, char *const *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                const char *f = fs_of(t, v[i]);
                if (f)
                        return f;
        }
        return NULL;
}

static int set_fs(LockdepLock *l, const FsTable *t, const char *own, const char *report) {
        if (!l || !l->canonical || !fs_table_has_class(t, l->canonical))
                return 0;
        const char *f = own ? own : fs_of(t, l->at) ? fs_of(t, l->at) : report;
        if (!f)
                return 0;
        l->fs = strdup(f);
        return l->fs ? 0 : -ENOMEM;
}

int report_set_filesystems(const FsTable *t, LockdepReport *r) {
        /* the report's filesystem: the first one any site or stack of it names */
        const char *any = NULL;
        if (r->acquiring)
                any = fs_of(t, r->acquiring->at);
        if (!any && r->holding)
                any = fs_of(t, r->holding->at);
        for (size_t i = 0; !any && i < r->n_chain; i++)
                any = fs_of_stack(t, r->chain[i].stack, r->chain[i].n_stack);
        for (size_t i = 0; !any && i < r->n_held; i++)
                any = fs_of(t, r->held[i].at);
        if (!any)
                any = fs_of_stack(t, r->backtrace, r->n_backtrace);

        int q = set_fs(r->acquiring, t, NULL, any);
        if (q >= 0)
                q = set_fs(r->holding, t, NULL, any);
        for (size_t i = 0; q >= 0 && i < r->n_chain; i++)
                q = set_fs(&r->chain[i].lock, t, fs_of_stack(t, r->chain[i].stack, r->chain[i].n_stack), any);
        for (size_t i = 0; q >= 0 && i < r->n_held; i++)
                q = set_fs(&r->held[i], t, NULL, any);
        return q;
}
