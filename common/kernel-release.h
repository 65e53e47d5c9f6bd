/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Kernel release strings (uname -r, the "Not tainted 6.4.0-rc1+" of a report): their version
 * order, release series and the release filters of lockdepctl --kernel and the API's kernel=.
 * The one module for these rules: the store's SQL collation "kernel_version", every range, "new
 * in R", "not seen since", fixed-in and the filters go through it.
 *
 * Version order (kernel_release_compare()), in this order of tests:
 *  1. the dotted numeric head, component by component as numbers, a missing component counting as
 *     0: 2.6.32 < 4.9 < 6.9 < 6.10 < 6.10.3, and 6.1 == 6.1.0 here;
 *  2. a release candidate before the release: "-rcN" or "~..." right after the head
 *     (6.9-rc1 < 6.9-rc7 < 6.9, 6.1~rc3 < 6.1);
 *  3. the release before anything else that follows the head: stable builds, local versions and
 *     distribution kernels sort after the upstream release they are built on
 *     (6.1.0 < 6.1.0+ < 6.1.0-18-amd64, 6.8.0 < 6.8.0-31-generic < 6.8.0-100-generic,
 *     6.5.6 < 6.5.6-300.fc39.x86_64, 6.7.0-rc8 < 6.7.0-rc8-next-20240105 < 6.7.0);
 *  4. the rest of both strings, runs of digits as numbers and other bytes as they are
 *     (-rc9 < -rc10, -next-20240105 < -next-20240112, -00039-g18a8 < -00040-g0a1b);
 *  5. equal as versions but spelled differently ("6.1" and "6.1.0"): byte order, so the order is
 *     total and only equal strings compare equal.
 * A string without a numeric head ("unknown") sorts before every release.
 *
 * Series: release R is in the series of P when R is P, or R starts with P and the next character of
 * R is not a digit: the series of 6.1 is 6.1, 6.1.x, 6.1-rcN, 6.1.0-18-amd64, but not 6.10; the
 * series of 6.4.0-rc1 is 6.4.0-rc1, 6.4.0-rc1+, 6.4.0-rc1-00039-g18a8 but not 6.4.0-rc10.
 *
 * Filters (kernel_filter_parse()), the same words in lockdepctl and the API:
 *   R          R and its series ("6.1": 6.1, 6.1.55, 6.1-rc3; "6.1*" and "6.1.*" mean the same)
 *   =R         exactly the release R
 *   >=R        R's series and every later release (">=6.9": 6.9-rc1, 6.9, 6.9.2, 6.10, ...)
 *   >R         releases after R's series (">6.9": 6.10-rc1, 6.10, ...; not 6.9.2)
 *   <=R        R's series and every earlier release ("<=6.9": ..., 6.8.12, 6.9-rc1, 6.9.5)
 *   <R         releases before R's series ("<6.10": 6.9.12, not 6.10-rc1)
 *   A..B       >=A and <=B ("6.6..6.9": the 6.6, 6.7, 6.8 and 6.9 series)
 */

#include <stdbool.h>
#include <stddef.h>

/* <0, 0, >0 in version order; NULL sorts first. */
int kernel_release_compare(const char *a, const char *b);
int kernel_release_compare_n(const char *a, size_t na, const char *b, size_t nb);

/* Is release in the series of prefix (see above)? */
bool kernel_release_in_series(const char *release, const char *prefix);

/* A release as a user may name one (fixed-in, a filter): 1 to 128 printable ASCII characters
 * without blanks, starting with a digit. */
bool kernel_release_valid(const char *s);

typedef enum KernelBound {
        KERNEL_BOUND_NONE,
        KERNEL_BOUND_EXACT,     /* =R */
        KERNEL_BOUND_SERIES,    /* R: R and its series */
        KERNEL_BOUND_INCLUSIVE, /* >=R (lower) or <=R (upper): R's series included */
        KERNEL_BOUND_EXCLUSIVE, /* >R or <R: R's series excluded */
} KernelBound;

/* A parsed --kernel / kernel= filter. Owns its strings; kernel_filter_done() frees them. */
typedef struct KernelFilter {
        KernelBound lower, upper; /* EXACT and SERIES use lower only */
        char *lower_release, *upper_release;
} KernelFilter;

/* 0, or -EINVAL with a static message in *ret_why, or -ENOMEM. */
int kernel_filter_parse(const char *s, KernelFilter *ret, const char **ret_why);
bool kernel_filter_match(const KernelFilter *f, const char *release);
void kernel_filter_done(KernelFilter *f);
