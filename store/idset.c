/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"

static int get_varint(const uint8_t *v, size_t n, size_t *pos, uint64_t *ret) {
        uint64_t x = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
                if (*pos >= n)
                        return -EINVAL;
                uint8_t b = v[(*pos)++];
                x |= (uint64_t) (b & 0x7f) << shift;
                if (!(b & 0x80)) {
                        *ret = x;
                        return 0;
                }
        }
        return -EINVAL;
}

static size_t put_varint(uint8_t *out, uint64_t x) {
        size_t k = 0;
        do {
                out[k] = (uint8_t) (x & 0x7f);
                x >>= 7;
                if (x)
                        out[k] |= 0x80;
                k++;
        } while (x);
        return k;
}

int idset_next_run(const uint8_t *v, size_t n, size_t *pos, uint64_t *start, uint64_t *len) {
        uint64_t gap, l;
        if (*pos >= n)
                return 0;
        if (get_varint(v, n, pos, &gap) < 0 || get_varint(v, n, pos, &l) < 0 || l == 0 ||
            gap > UINT64_MAX / 2 || l > UINT64_MAX / 2)
                return -EINVAL;
        /* runs never touch: a gap of 0 is allowed only before the first run */
        if (gap == 0 && *start != 0)
                return -EINVAL;
        *start += gap;
        *len = l;
        return 1;
}

static int check(const uint8_t *v, size_t n) {
        size_t pos = 0;
        uint64_t start = 0, len;
        int r;
        while ((r = idset_next_run(v, n, &pos, &start, &len)) > 0)
                start += len;
        return r;
}

int idset_load(IdSet *s, const void *bytes, size_t n) {
        *s = (IdSet) {};
        if (check(bytes, n) < 0)
                return -EINVAL;
        if (n == 0)
                return 0;
        s->v = malloc(n);
        if (!s->v)
                return -ENOMEM;
        memcpy(s->v, bytes, n);
        s->n = s->size = n;
        return 0;
}

void idset_done(IdSet *s) {
        free(s->v);
        *s = (IdSet) {};
}

int idset_contains(const IdSet *s, uint64_t x) {
        size_t pos = 0;
        uint64_t start = 0, len;
        int r;
        while ((r = idset_next_run(s->v, s->n, &pos, &start, &len)) > 0) {
                if (x < start)
                        return 0;
                if (x < start + len)
                        return 1;
                start += len;
        }
        return r;
}

int64_t idset_count(const IdSet *s) {
        size_t pos = 0;
        uint64_t start = 0, len, total = 0;
        int r;
        while ((r = idset_next_run(s->v, s->n, &pos, &start, &len)) > 0) {
                total += len;
                start += len;
        }
        return r < 0 ? r : (int64_t) total;
}

/* Rewrites the set from its runs with x added; the common case (x right after the last run, or
 * after all of them) is the same code, the set is small. */
int idset_add(IdSet *s, uint64_t x) {
        size_t pos = 0, k = 0;
        uint64_t start = 0, len, prev_end = 0;
        uint8_t *out;
        bool done = false;
        int r;

        r = idset_contains(s, x);
        if (r != 0)
                return r < 0 ? r : 0;
        out = malloc(s->n + 40);
        if (!out)
                return -ENOMEM;
        /* emit(a, l): a run [a, a+l), merging with the previous one when they touch */
        uint64_t pend_a = 0, pend_l = 0;
        bool have = false;
#define EMIT(a, l)                                                               \
        do {                                                                     \
                if (have && pend_a + pend_l == (a))                              \
                        pend_l += (l);                                           \
                else {                                                           \
                        if (have) {                                              \
                                k += put_varint(out + k, pend_a - prev_end);     \
                                k += put_varint(out + k, pend_l);                \
                                prev_end = pend_a + pend_l;                      \
                        }                                                        \
                        pend_a = (a);                                            \
                        pend_l = (l);                                            \
                        have = true;                                             \
                }                                                                \
        } while (0)
        while ((r = idset_next_run(s->v, s->n, &pos, &start, &len)) > 0) {
                if (!done && x < start) {
                        EMIT(x, 1);
                        done = true;
                }
                EMIT(start, len);
                start += len;
        }
        if (!done)
                EMIT(x, 1);
        if (have) {
                k += put_varint(out + k, pend_a - prev_end);
                k += put_varint(out + k, pend_l);
        }
#undef EMIT
        free(s->v);
        s->v = out;
        s->n = k;
        s->size = s->n + 40;
        return 1;
}

int idset_first_common(const uint8_t *const *v, const size_t *len, size_t n, uint64_t *ret) {
        size_t pos[n];
        uint64_t start[n], end[n];
        int r;

        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++) {
                uint64_t l;
                pos[i] = 0;
                start[i] = 0;
                r = idset_next_run(v[i], len[i], &pos[i], &start[i], &l);
                if (r <= 0)
                        return r;
                end[i] = start[i] + l;
        }
        for (;;) {
                /* the latest start is the candidate; a set whose run ends before it moves on */
                uint64_t cand = 0;
                bool all = true;
                for (size_t i = 0; i < n; i++)
                        if (start[i] > cand)
                                cand = start[i];
                for (size_t i = 0; i < n; i++) {
                        while (end[i] <= cand) {
                                uint64_t l;
                                start[i] = end[i];
                                r = idset_next_run(v[i], len[i], &pos[i], &start[i], &l);
                                if (r <= 0)
                                        return r;
                                end[i] = start[i] + l;
                        }
                        if (start[i] > cand)
                                all = false;
                }
                if (all) {
                        *ret = cand;
                        return 1;
                }
        }
}
