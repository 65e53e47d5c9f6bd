/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kernel release order, series and filters: see kernel-release.h for the rules and examples. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-release.h"

typedef struct Span {
        const char *p;
        size_t n;
} Span;

static bool span_digit(const Span *s, size_t i) {
        return i < s->n && isdigit((unsigned char) s->p[i]);
}

/* Compares the decimal numbers starting at *ia and *ib (any length: leading zeros skipped, then
 * the longer is bigger), advancing both past them. */
static int cmp_number(const Span *a, size_t *ia, const Span *b, size_t *ib) {
        while (*ia + 1 < a->n && a->p[*ia] == '0' && span_digit(a, *ia + 1))
                (*ia)++;
        while (*ib + 1 < b->n && b->p[*ib] == '0' && span_digit(b, *ib + 1))
                (*ib)++;
        size_t sa = *ia, sb = *ib;
        while (span_digit(a, *ia))
                (*ia)++;
        while (span_digit(b, *ib))
                (*ib)++;
        size_t la = *ia - sa, lb = *ib - sb;
        if (la != lb)
                return la < lb ? -1 : 1;
        int c = memcmp(a->p + sa, b->p + sb, la);
        return c < 0 ? -1 : c > 0;
}

/* The dotted numeric head ("6.10.0" of "6.10.0-rc1+"): its length. */
static size_t numeric_head(const Span *s) {
        size_t i = 0;
        while (span_digit(s, i)) {
                while (span_digit(s, i))
                        i++;
                if (i + 1 < s->n && s->p[i] == '.' && span_digit(s, i + 1))
                        i++;
                else
                        break;
        }
        return i;
}

/* Digit runs as numbers, everything else byte by byte ("rc10" > "rc9"). */
static int cmp_natural(const Span *a, size_t ia, const Span *b, size_t ib) {
        while (ia < a->n && ib < b->n) {
                if (span_digit(a, ia) && span_digit(b, ib)) {
                        int c = cmp_number(a, &ia, b, &ib);
                        if (c != 0)
                                return c;
                        continue;
                }
                if (a->p[ia] != b->p[ib])
                        return (unsigned char) a->p[ia] < (unsigned char) b->p[ib] ? -1 : 1;
                ia++;
                ib++;
        }
        return ia < a->n ? 1 : ib < b->n ? -1 : 0;
}

static bool prerelease(const Span *s, size_t i) {
        return (s->n - i >= 3 && memcmp(s->p + i, "-rc", 3) == 0) || (i < s->n && s->p[i] == '~');
}

/* Steps 1 to 4 of the order: 0 for releases that are the same version ("6.1" and "6.1.0"). */
static int version_compare(const Span *a, const Span *b) {
        size_t ha = numeric_head(a), hb = numeric_head(b), ia = 0, ib = 0;

        while (ia < ha || ib < hb) {
                int c;
                if (ia >= ha)
                        c = cmp_number(&(Span) { "0", 1 }, &(size_t) { 0 }, b, &ib);
                else if (ib >= hb)
                        c = cmp_number(a, &ia, &(Span) { "0", 1 }, &(size_t) { 0 });
                else
                        c = cmp_number(a, &ia, b, &ib);
                if (c != 0)
                        return c;
                if (ia < ha)
                        ia++; /* the dot */
                if (ib < hb)
                        ib++;
        }
        ia = ha;
        ib = hb;
        bool pa = prerelease(a, ia), pb = prerelease(b, ib);
        if (pa != pb)
                return pa ? -1 : 1;
        if ((ia == a->n) != (ib == b->n))
                return ia == a->n ? -1 : 1;
        return cmp_natural(a, ia, b, ib);
}

int kernel_release_compare_n(const char *a, size_t na, const char *b, size_t nb) {
        Span x = { a, na }, y = { b, nb };
        int c = version_compare(&x, &y);
        if (c != 0)
                return c;
        c = memcmp(a, b, na < nb ? na : nb);
        return c != 0 ? (c < 0 ? -1 : 1) : na < nb ? -1 : na > nb;
}

int kernel_release_compare(const char *a, const char *b) {
        if (!a || !b)
                return !a && !b ? 0 : !a ? -1 : 1;
        return kernel_release_compare_n(a, strlen(a), b, strlen(b));
}

static int version_compare_str(const char *a, const char *b) {
        return version_compare(&(Span) { a, strlen(a) }, &(Span) { b, strlen(b) });
}

bool kernel_release_in_series(const char *release, const char *prefix) {
        size_t n = strlen(prefix);
        if (!release || strncmp(release, prefix, n) != 0)
                return false;
        return n == 0 || !isdigit((unsigned char) prefix[n - 1]) || !isdigit((unsigned char) release[n]);
}

bool kernel_release_valid(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 128 || !isdigit((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f)
                        return false;
        return true;
}

/* One release of a filter, with "6.1*" and "6.1.*" meaning the series of 6.1. */
static int filter_release(const char *s, size_t n, bool series_ok, char **ret, bool *ret_star) {
        *ret_star = false;
        if (n > 0 && s[n - 1] == '*') {
                if (!series_ok)
                        return -EINVAL;
                n--;
                if (n > 0 && s[n - 1] == '.')
                        n--;
                *ret_star = true;
        }
        char *r = strndup(s, n);
        if (!r)
                return -ENOMEM;
        if (!kernel_release_valid(r) || strchr(r, '*') || strstr(r, "..")) {
                free(r);
                return -EINVAL;
        }
        *ret = r;
        return 0;
}

int kernel_filter_parse(const char *s, KernelFilter *ret, const char **ret_why) {
        static const char why[] = "kernel: expected a release (6.9.2), a version prefix (6.9), =R, >=R, >R, <=R, <R "
                                  "or A..B";
        KernelFilter f = {};
        const char *dots;
        bool star;
        int r;

        *ret_why = why;
        if (!s)
                return -EINVAL;
        if ((dots = strstr(s, ".."))) {
                f.lower = f.upper = KERNEL_BOUND_INCLUSIVE;
                r = filter_release(s, (size_t) (dots - s), false, &f.lower_release, &star);
                if (r >= 0)
                        r = filter_release(dots + 2, strlen(dots + 2), false, &f.upper_release, &star);
        } else if (s[0] == '>' || s[0] == '<') {
                bool incl = s[1] == '=';
                KernelBound b = incl ? KERNEL_BOUND_INCLUSIVE : KERNEL_BOUND_EXCLUSIVE;
                const char *v = s + 1 + incl;
                if (s[0] == '>')
                        f.lower = b;
                else
                        f.upper = b;
                r = filter_release(v, strlen(v), false, s[0] == '>' ? &f.lower_release : &f.upper_release, &star);
        } else if (s[0] == '=') {
                f.lower = KERNEL_BOUND_EXACT;
                r = filter_release(s + 1, strlen(s + 1), false, &f.lower_release, &star);
        } else {
                f.lower = KERNEL_BOUND_SERIES;
                r = filter_release(s, strlen(s), true, &f.lower_release, &star);
        }
        if (r < 0) {
                kernel_filter_done(&f);
                return r;
        }
        *ret_why = NULL;
        *ret = f;
        return 0;
}

bool kernel_filter_match(const KernelFilter *f, const char *release) {
        if (!release)
                return false;
        switch (f->lower) {
        case KERNEL_BOUND_EXACT:
                return strcmp(release, f->lower_release) == 0;
        case KERNEL_BOUND_SERIES:
                return kernel_release_in_series(release, f->lower_release);
        case KERNEL_BOUND_INCLUSIVE:
                if (version_compare_str(release, f->lower_release) < 0 &&
                    !kernel_release_in_series(release, f->lower_release))
                        return false;
                break;
        case KERNEL_BOUND_EXCLUSIVE:
                if (version_compare_str(release, f->lower_release) <= 0 ||
                    kernel_release_in_series(release, f->lower_release))
                        return false;
                break;
        case KERNEL_BOUND_NONE:
                break;
        }
        switch (f->upper) {
        case KERNEL_BOUND_INCLUSIVE:
                return version_compare_str(release, f->upper_release) <= 0 ||
                       kernel_release_in_series(release, f->upper_release);
        case KERNEL_BOUND_EXCLUSIVE:
                return version_compare_str(release, f->upper_release) < 0 &&
                       !kernel_release_in_series(release, f->upper_release);
        default:
                return true;
        }
}

void kernel_filter_done(KernelFilter *f) {
        free(f->lower_release);
        free(f->upper_release);
        *f = (KernelFilter) {};
}
