/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Time: the one "now" of the program and the one grammar of --since/--until (lockdepctl) and
 * since=/until= (the API), so both front ends read the same words the same way. All times are UTC,
 * microseconds since the epoch.
 *
 * Accepted (WORD):
 *   YYYY-MM-DD                         a day (checked: 2026-02-31 is refused)
 *   YYYY-MM-DD[T ]HH:MM[:SS[.frac]]    a minute or a second of that day; a trailing Z or a UTC
 *                                      offset +HH:MM / -HH:MM (the time is converted to UTC)
 *   @SECONDS, SECONDS                  seconds since the epoch
 *   now, today, yesterday, tomorrow    this instant; the day of now, the day before, the day after
 *   -7d, +2h, -1w2d, -90m, -30s        now moved by the sum of N s (seconds), m (minutes), h, d, w
 *
 * The end-of-period rule: a WORD names an instant or a period (a day, a minute, a second). As the
 * lower bound (since) a period means its first microsecond, as the upper bound (until) its last:
 * --until 2026-12-03 includes all of December 3rd, --until 12:30 all of 12:30:xx, --until
 * @1700000000 all of that second; "now" and relative words are instants and mean themselves.
 */

#include <stdbool.h>
#include <stdint.h>

/* Microseconds since the epoch: $LOCKDEP_NOW (seconds since the epoch) when it is set to a number,
 * for tests that need a fixed clock; the real-time clock otherwise. */
uint64_t time_now(void);

typedef enum TimeBound {
        TIME_SINCE, /* the first microsecond of the period named */
        TIME_UNTIL, /* the last microsecond of the period named */
} TimeBound;

/* 0 and *ret, or -EINVAL (*ret untouched). now is time_now() for the caller's request. */
int time_parse(const char *s, TimeBound bound, uint64_t now, uint64_t *ret);

/* A length of time in the grammar of the relative words without their sign ("12h", "2d",
 * "1d12h"; lockdepd's silent-after): 0 and *ret in microseconds, or -EINVAL. */
int time_parse_span(const char *s, uint64_t *ret);

/* The words accepted, for error messages and --help. */
#define TIME_WORDS_HELP "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z], @SECONDS, now, today, yesterday or -7d/+2h"

/* "2026-12-03T07:45:12Z" (second resolution), into buf. */
#define TIME_ISO_MAX 32
char *time_format_iso(uint64_t usec, char buf[static TIME_ISO_MAX]);
/* "2026-12-03" */
char *time_format_day(uint64_t usec, char buf[static TIME_ISO_MAX]);
