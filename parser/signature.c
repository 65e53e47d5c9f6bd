/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Group keys and signatures (DESIGN.md section 4). The key is built only from canonical classes,
 * irq/usage states, messages and the function of the report's site, never from task names,
 * addresses, timestamps or "#N" ordinals. A cycle is rotated to its smallest rotation, so the
 * same cycle entered from any edge (both sides of an ABBA) gets the same key.
 *
 * The signature is FNV-1a 64 over "v<sig_version>\n<key>". Changing anything here that changes a
 * key must bump LOCKDEP_SIG_VERSION so stored groups get recomputed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"
#include "parser-internal.h"


/* Index of the lexicographically smallest rotation of v[0..n). */
static size_t min_rotation(char *const *v, size_t n) {
        size_t best = 0;
        for (size_t r = 1; r < n; r++)
                for (size_t i = 0; i < n; i++) {
                        int c = strcmp(v[(r + i) % n], v[(best + i) % n]);
                        if (c < 0) {
                                best = r;
                                break;
                        }
                        if (c > 0)
                                break;
                }
        return best;
}

static const char *cls(const LockdepLock *l) {
        return l && l->canonical ? l->canonical : "?";
}

static int key_circular(const LockdepReport *r, StrBuf *b) {
        size_t n = r->n_cycle, start = min_rotation(r->classes, n);
        for (size_t i = 0; i < n; i++)
                if (strbuf_puts(b, i ? " -> " : "") < 0 || strbuf_puts(b, r->classes[(start + i) % n]) < 0)
                        return -ENOMEM;
        return 0;
}

static int key_held(const LockdepReport *r, StrBuf *b) {
        for (size_t i = 0; i < r->n_held; i++)
                if (strbuf_puts(b, i ? ", " : "") < 0 || strbuf_puts(b, cls(&r->held[i])) < 0)
                        return -ENOMEM;
        return 0;
}

/* Degraded reports: only what was read reliably, the held and acquired classes, else a hash of
 * the report's own text without any blanks (so that re-wrapping does not change it). */
static int key_degraded(const LockdepReport *r, StrBuf *b) {
        const LockdepLock *a = r->acquiring, *h = r->holding;
        if (!a && !h && r->n_held > 0)
                h = &r->held[r->n_held - 1];
        if (a && h)
                return strbuf_printf(b, "degraded: %s -> %s", cls(h), cls(a));
        if (a || h)
                return strbuf_printf(b, "degraded: %s", cls(a ? a : h));
        uint64_t x = 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < r->text_len; i++) {
                unsigned char c = (unsigned char) r->text[i];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                        x = (x ^ c) * 0x100000001b3ULL;
        }
        return strbuf_printf(b, "degraded: text %016llx", (unsigned long long) x);
}

static int build_key(const LockdepReport *r, const char *fn, StrBuf *b) {
        const char *k = lockdep_kind_to_string(r->kind);
        const char *m = r->message ? r->message : "";
        int q = strbuf_printf(b, "%s: ", k);
        if (q < 0)
                return q;
        if (r->degraded)
                return key_degraded(r, b);

        switch (r->kind) {
        case LOCKDEP_CIRCULAR:
                if (r->n_cycle > 0)
                        return key_circular(r, b);
                return strbuf_printf(b, "%s -> %s", cls(r->holding), cls(r->acquiring));
        case LOCKDEP_RECURSIVE:
        case LOCKDEP_HELD_LOCK_FREED:
        case LOCKDEP_BAD_UNLOCK_BALANCE:
        case LOCKDEP_BAD_CONTENTION:
                q = strbuf_puts(b, cls(r->acquiring ? r->acquiring : r->holding));
                break;
        case LOCKDEP_HELD_AT_EXIT:
        case LOCKDEP_RETURN_TO_USER:
                q = key_held(r, b);
                break;
        case LOCKDEP_INCONSISTENT:
                return strbuf_printf(b, "%s {%s} -> {%s}", cls(r->acquiring), r->usage_from ?: "?",
                                     r->usage_to ?: "?");
        case LOCKDEP_IRQ_INVERSION:
                return strbuf_printf(b, "%s, %s (%s)", cls(r->acquiring), cls(r->holding),
                                     r->usage_from ?: "?");
        case LOCKDEP_SAFE_UNSAFE:
                return strbuf_printf(b, "%s -> %s (%s -> %s)", cls(r->holding), cls(r->acquiring),
                                     r->usage_from ?: "?", r->usage_to ?: "?");
        case LOCKDEP_INVALID_WAIT_CONTEXT:
                q = strbuf_printf(b, "%s under %s", cls(r->acquiring),
                                  r->n_held > 0 ? cls(&r->held[r->n_held - 1]) : "nothing");
                break;
        case LOCKDEP_NESTED_LOCK_NOT_TAKEN:
                return strbuf_printf(b, "%s nest %s", cls(r->acquiring), cls(r->holding));
        case LOCKDEP_SUSPICIOUS_RCU:
                if (r->message)
                        return strbuf_puts(b, m);
                q = 0;
                break; /* cut before the message: fall back to the function */
        case LOCKDEP_NON_STATIC_KEY:
                q = strbuf_puts(b, m);
                break;
        case LOCKDEP_CAPACITY:
        case LOCKDEP_INTERNAL:
        case LOCKDEP_CHAIN_KEY_COLLISION:
        default:
                return strbuf_puts(b, m);
        }
        if (q < 0)
                return q;
        return fn ? strbuf_printf(b, " in %s", fn) : 0;
}

static const char *title_stem(LockdepKind k) {
        switch (k) {
        case LOCKDEP_INCONSISTENT:
                return "inconsistent lock state";
        case LOCKDEP_BAD_UNLOCK_BALANCE:
                return "bad unlock balance";
        case LOCKDEP_BAD_CONTENTION:
                return "bad contention";
        case LOCKDEP_HELD_LOCK_FREED:
                return "held lock freed";
        case LOCKDEP_HELD_AT_EXIT:
                return "still has locks held";
        case LOCKDEP_RETURN_TO_USER:
                return "lock held when returning to user space";
        case LOCKDEP_INVALID_WAIT_CONTEXT:
                return "invalid wait context";
        case LOCKDEP_NESTED_LOCK_NOT_TAKEN:
                return "nested lock was not taken";
        case LOCKDEP_SUSPICIOUS_RCU:
                return "suspicious RCU usage";
        case LOCKDEP_NON_STATIC_KEY:
                return "trying to register non-static key";
        case LOCKDEP_CHAIN_KEY_COLLISION:
                return "chain_key collision";
        case LOCKDEP_CAPACITY:
        case LOCKDEP_INTERNAL:
                return NULL;
        default:
                return "possible deadlock";
        }
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* " [fs: CLASS=xfs, ...]": the filesystems of per-filesystem classes, sorted and unique (the same
 * whatever edge a cycle was entered from). */
static int key_filesystems(const LockdepReport *r, StrBuf *b) {
        const LockdepLock *v[64];
        size_t n = 0;
        if (r->acquiring)
                v[n++] = r->acquiring;
        if (r->holding)
                v[n++] = r->holding;
        for (size_t i = 0; i < r->n_chain && n < ELEMENTSOF(v); i++)
                v[n++] = &r->chain[i].lock;
        if (r->kind == LOCKDEP_HELD_AT_EXIT || r->kind == LOCKDEP_RETURN_TO_USER)
                for (size_t i = 0; i < r->n_held && n < ELEMENTSOF(v); i++)
                        v[n++] = &r->held[i];
        char *pairs[64];
        size_t k = 0;
        int q = 0;
        for (size_t i = 0; i < n; i++)
                if (v[i]->fs && v[i]->canonical) {
                        if (asprintf(&pairs[k], "%s=%s", v[i]->canonical, v[i]->fs) < 0) {
                                q = -ENOMEM;
                                break;
                        }
                        k++;
                }
        if (q >= 0 && k > 0) {
                qsort(pairs, k, sizeof(char *), cmp_str);
                q = strbuf_puts(b, " [fs: ");
                for (size_t i = 0; q >= 0 && i < k; i++)
                        if (i == 0 || strcmp(pairs[i], pairs[i - 1]) != 0)
                                q = strbuf_printf(b, "%s%s", i ? ", " : "", pairs[i]);
                if (q >= 0)
                        q = strbuf_appendc(b, ']');
        }
        for (size_t i = 0; i < k; i++)
                free(pairs[i]);
        return q < 0 ? -ENOMEM : 0;
}

int report_sign(LockdepParser *p, LockdepReport *r) {
        _cleanup_free_ char *fn = NULL;
        StrBuf b = {};
        const char *stem = title_stem(r->kind);
        int q = report_function(r, &fn);
        if (q < 0)
                return q;

        q = build_key(r, fn, &b);
        if (q >= 0)
                q = key_filesystems(r, &b);
        if (q < 0)
                goto fail;
        uint64_t h = fnv1a64(FNV1A64_INIT, "v", 1);
        char v[16];
        int vl = snprintf(v, sizeof(v), "%u\n", r->sig_version);
        h = fnv1a64(h, v, vl);
        h = fnv1a64(h, b.s, b.len);
        snprintf(r->signature, sizeof(r->signature), "%016llx", (unsigned long long) h);
        r->key = strbuf_steal(&b);

        if (stem)
                q = fn ? asprintf(&r->func_title, "%s in %s", stem, fn) : asprintf(&r->func_title, "%s", stem);
        else if (r->kind == LOCKDEP_INTERNAL && fn)
                q = asprintf(&r->func_title, "WARNING in %s", fn);
        else
                q = asprintf(&r->func_title, "%s", r->message ? r->message : r->title);
        if (q < 0) {
                r->func_title = NULL;
                return -ENOMEM;
        }
        return r->key ? 0 : -ENOMEM;
fail:
        strbuf_done(&b);
        return q;
}
