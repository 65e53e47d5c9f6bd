/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The time grammar of --since/--until and since=/until=: see time-spec.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "time-spec.h"

#define USEC 1000000ULL
#define DAY (86400 * USEC)
#define MAX_SECONDS 253402300799LL /* 9999-12-31T23:59:59Z */

uint64_t time_now(void) {
        const char *e = getenv("LOCKDEP_NOW");
        if (e && *e && strspn(e, "0123456789") == strlen(e) && strlen(e) <= 11)
                return strtoull(e, NULL, 10) * USEC;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * USEC + (uint64_t) ts.tv_nsec / 1000;
}

/* Exactly n decimal digits at s: their value, or -1. */
static long digits(const char *s, int n) {
        long v = 0;
        for (int i = 0; i < n; i++) {
                if (!isdigit((unsigned char) s[i]))
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

static bool leap(long y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days since the epoch of a valid date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long y, long m, long d) {
        y -= m <= 2;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yoe = y - era * 400;
        long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return (long long) era * 146097 + doe - 719468;
}

/* "N<unit>..." after the sign: seconds. */
static int parse_relative(const char *s, long long *ret) {
        long long total = 0;
        if (!*s)
                return -EINVAL;
        while (*s) {
                char *e;
                if (!isdigit((unsigned char) *s))
                        return -EINVAL;
                errno = 0;
                long long n = strtoll(s, &e, 10);
                if (errno || n > 100LL * 365 * 86400)
                        return -EINVAL;
                long long unit;
                switch (*e) {
                case 's': unit = 1; break;
                case 'm': unit = 60; break;
                case 'h': unit = 3600; break;
                case 'd': unit = 86400; break;
                case 'w': unit = 7 * 86400; break;
                default: return -EINVAL;
                }
                total += n * unit;
                if (total > 200LL * 365 * 86400)
                        return -EINVAL;
                s = e + 1;
        }
        *ret = total;
        return 0;
}

/* A date with an optional time. *ret_start: its first second; *ret_len: the period in seconds. */
static int parse_date(const char *s, long long *ret_start, long long *ret_len) {
        long y = digits(s, 4), mo, d, h = 0, mi = 0, sec = 0;
        long long len = 86400, offset = 0;
        static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

        if (y < 1970 || s[4] != '-' || (mo = digits(s + 5, 2)) < 1 || mo > 12 || s[7] != '-' ||
            (d = digits(s + 8, 2)) < 1 || d > mdays[mo - 1] + (mo == 2 && leap(y)))
                return -EINVAL;
        s += 10;
        if (*s == 'T' || *s == ' ') {
                if ((h = digits(s + 1, 2)) < 0 || h > 23 || s[3] != ':' || (mi = digits(s + 4, 2)) < 0 || mi > 59)
                        return -EINVAL;
                s += 6;
                len = 60;
                if (*s == ':') {
                        if ((sec = digits(s + 1, 2)) < 0 || sec > 59)
                                return -EINVAL;
                        s += 3;
                        len = 1;
                        if (*s == '.') { /* fractions of the second: the second is the period */
                                if (!isdigit((unsigned char) s[1]))
                                        return -EINVAL;
                                for (s++; isdigit((unsigned char) *s); s++)
                                        ;
                        }
                }
                if (*s == 'Z')
                        s++;
                else if (*s == '+' || *s == '-') {
                        long oh = digits(s + 1, 2), om;
                        if (oh < 0 || oh > 23 || s[3] != ':' || (om = digits(s + 4, 2)) < 0 || om > 59)
                                return -EINVAL;
                        offset = (*s == '+' ? 1 : -1) * (oh * 3600 + om * 60);
                        s += 6;
                }
        }
        if (*s)
                return -EINVAL;
        *ret_start = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
        *ret_len = len;
        return 0;
}

int time_parse_span(const char *s, uint64_t *ret) {
        long long d;
        if (!s || parse_relative(s, &d) < 0)
                return -EINVAL;
        *ret = (uint64_t) d * USEC;
        return 0;
}

int time_parse(const char *s, TimeBound bound, uint64_t now, uint64_t *ret) {
        long long start, len; /* seconds, except for instants */
        uint64_t instant;
        long long now_s = (long long) (now / USEC);

        if (!s || !*s)
                return -EINVAL;
        if (!strcmp(s, "now")) {
                *ret = now;
                return 0;
        }
        if (!strcmp(s, "today") || !strcmp(s, "yesterday") || !strcmp(s, "tomorrow")) {
                start = now_s - now_s % 86400 + (s[0] == 'y' ? -86400 : s[0] == 't' && s[2] == 'm' ? 86400 : 0);
                len = 86400;
        } else if (s[0] == '-' || s[0] == '+') {
                long long d;
                if (parse_relative(s + 1, &d) < 0)
                        return -EINVAL;
                d *= (long long) USEC;
                if (s[0] == '-' && (uint64_t) d > now)
                        return -EINVAL;
                instant = s[0] == '-' ? now - (uint64_t) d : now + (uint64_t) d;
                *ret = instant;
                return 0;
        } else if (s[0] == '@' || isdigit((unsigned char) s[0])) {
                const char *n = s + (s[0] == '@');
                size_t k = strspn(n, "0123456789");
                if (k == 0 || k > 12 || n[k]) {
                        if (s[0] == '@')
                                return -EINVAL;
                        if (parse_date(s, &start, &len) < 0)
                                return -EINVAL;
                } else {
                        start = strtoll(n, NULL, 10);
                        len = 1;
                }
        } else
                return -EINVAL;
        if (start < 0 || start > MAX_SECONDS)
                return -EINVAL;
        *ret = bound == TIME_SINCE ? (uint64_t) start * USEC : (uint64_t) (start + len) * USEC - 1;
        return 0;
}

char *time_format_iso(uint64_t usec, char buf[static TIME_ISO_MAX]) {
        time_t t = (time_t) (usec / USEC);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || !strftime(buf, TIME_ISO_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
                buf[0] = 0;
        return buf;
}

char *time_format_day(uint64_t usec, char buf[static TIME_ISO_MAX]) {
        time_t t = (time_t) (usec / USEC);
        struct tm tm;
        if (!gmtime_r(&t, &tm) || !strftime(buf, TIME_ISO_MAX, "%Y-%m-%d", &tm))
                buf[0] = 0;
        return buf;
}
