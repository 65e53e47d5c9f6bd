/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fast path. Almost every byte of a kernel log is not lockdep, so between reports the parser
 * only looks for the few byte patterns every report title and kernel banner contains:
 *
 *   ": " preceded by an upper-case letter   (WARNING: / INFO: / BUG: / ERR: / [ INFO: ...)
 *   "x v"                                    (Linux version)
 *
 * The vector loops test ": " and "x?v" for 16 or 32 positions at once; the rare hits are checked
 * one by one. Lines are counted separately, only where a candidate or the end of a chunk needs a
 * line number.
 */
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "parser-internal.h"

static inline bool is_upper(unsigned char c) {
        return c >= 'A' && c <= 'Z';
}

/* Checks a hit of the vector filter at s[i]. */
static inline bool hit_ok(const char *s, size_t i) {
        if (s[i] == ':')
                return i > 0 && is_upper((unsigned char) s[i - 1]);
        return true; /* "x v" */
}

static size_t scan_scalar(const char *s, size_t from, size_t n) {
        for (size_t i = from; i + 1 < n; i++) {
                if (s[i] == ':' && s[i + 1] == ' ' && i > 0 && is_upper((unsigned char) s[i - 1]))
                        return i;
                if (s[i] == 'x' && i + 2 < n && s[i + 1] == ' ' && s[i + 2] == 'v')
                        return i;
        }
        return n;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static size_t scan_avx2(const char *s, size_t n) {
        const __m256i colon = _mm256_set1_epi8(':'), space = _mm256_set1_epi8(' ');
        const __m256i x = _mm256_set1_epi8('x'), v = _mm256_set1_epi8('v');
        size_t i = 0;

        for (; i + 34 <= n; i += 32) {
                __m256i a = _mm256_loadu_si256((const __m256i *) (s + i));
                __m256i b = _mm256_loadu_si256((const __m256i *) (s + i + 1));
                __m256i c = _mm256_loadu_si256((const __m256i *) (s + i + 2));
                __m256i sp = _mm256_cmpeq_epi8(b, space);
                __m256i m = _mm256_or_si256(_mm256_cmpeq_epi8(a, colon),
                                            _mm256_and_si256(_mm256_cmpeq_epi8(a, x), _mm256_cmpeq_epi8(c, v)));
                unsigned mask = (unsigned) _mm256_movemask_epi8(_mm256_and_si256(m, sp));
                while (mask) {
                        unsigned bit = __builtin_ctz(mask);
                        if (hit_ok(s, i + bit))
                                return i + bit;
                        mask &= mask - 1;
                }
        }
        return scan_scalar(s, i, n);
}

static size_t scan_sse2(const char *s, size_t n) {
        const __m128i colon = _mm_set1_epi8(':'), space = _mm_set1_epi8(' ');
        const __m128i x = _mm_set1_epi8('x'), v = _mm_set1_epi8('v');
        size_t i = 0;

        for (; i + 18 <= n; i += 16) {
                __m128i a = _mm_loadu_si128((const __m128i *) (s + i));
                __m128i b = _mm_loadu_si128((const __m128i *) (s + i + 1));
                __m128i c = _mm_loadu_si128((const __m128i *) (s + i + 2));
                __m128i sp = _mm_cmpeq_epi8(b, space);
                __m128i m = _mm_or_si128(_mm_cmpeq_epi8(a, colon),
                                         _mm_and_si128(_mm_cmpeq_epi8(a, x), _mm_cmpeq_epi8(c, v)));
                unsigned mask = (unsigned) _mm_movemask_epi8(_mm_and_si128(m, sp));
                while (mask) {
                        unsigned bit = __builtin_ctz(mask);
                        if (hit_ok(s, i + bit))
                                return i + bit;
                        mask &= mask - 1;
                }
        }
        return scan_scalar(s, i, n);
}

__attribute__((target("avx2"))) static size_t count_avx2(const char *s, size_t n) {
        const __m256i nl = _mm256_set1_epi8('\n');
        size_t i = 0, c = 0;

        for (; i + 32 <= n; i += 32) {
                __m256i a = _mm256_loadu_si256((const __m256i *) (s + i));
                c += __builtin_popcount((unsigned) _mm256_movemask_epi8(_mm256_cmpeq_epi8(a, nl)));
        }
        for (; i < n; i++)
                c += s[i] == '\n';
        return c;
}
#endif

/* Only [s, s+n) is read; a pattern must lie wholly inside it. */
size_t scan_candidate(const char *s, size_t n) {
#if defined(__x86_64__)
        if (__builtin_cpu_supports("avx2"))
                return scan_avx2(s, n);
        return scan_sse2(s, n);
#else
        return scan_scalar(s, 0, n);
#endif
}

size_t scan_count_newlines(const char *s, size_t n) {
#if defined(__x86_64__)
        if (__builtin_cpu_supports("avx2"))
                return count_avx2(s, n);
#endif
        size_t c = 0;
        for (const char *e = s + n; (s = memchr(s, '\n', e - s)); s++)
                c++;
        return c;
}
