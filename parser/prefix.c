/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rendering prefixes (LOCKDEP_FORMATS.md sections 1.2-1.4, 12). Prefixes stack, outermost first:
 *
 *   viewer line no.  "    359 " before another prefix, or "   359\t" (cat -n)
 *   hypervisor       "00: " (z/VM CP console)
 *   quoting          "> ", ">> ", "| "
 *   indentation      blanks or TABs before any of the prefixes below (the indentation of a bare
 *                    block is a property of the report: see assemble.c)
 *   syslog header    "Jan  2 03:04:05 host kernel: ", "2024-01-02T03:04:05.1+00:00 host kernel: ",
 *                    "<4>1 2024-... host kernel - - - ", busybox "... kern.warn kernel: ",
 *                    journalctl short, short-precise, short-iso(-precise), short-full
 *                    ("Tue 2025-01-14 03:08:12 UTC host kernel: "), short-unix ("1736823492.123456
 *                    host kernel: "), short-monotonic/short-delta ("[ts] host kernel: ")
 *   dmesg            -x "kern  :warn  : ", -T "[Tue Jan 14 03:08:12 2025]", -e/-H "[Jan14 03:12]" and
 *                    "[  +0.000004]" (also with a decimal comma), -d "[  12.345678 <  0.000004>]",
 *                    --time-format=iso "2025-01-14T03:08:12,123456+01:00 "
 *   /dev/kmsg record "4,1234,5678901,-[,caller=T12];"
 *   level            "<4>"
 *   console time     "[   12.345678]" then caller id "[  T123]" / "[    C3]", one blank, and an
 *                    optional "kernel: " (journal text without host)
 *   shell prompt     "root@vm:~# " glued in front of a console timestamp
 *
 * ANSI colour sequences are removed before this runs (assemble.c). prefix_parse() never fails:
 * what it does not recognise is message text. Wall-clock times and the host name of syslog and
 * journal prefixes are returned for the report's "time" and "host".
 */
#include <string.h>

#include "parser-internal.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* n digits at s as a number, or -1. */
static int digits(const char *s, size_t avail, size_t n) {
        int v = 0;
        if (avail < n)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (!is_digit(s[i]))
                        return -1;
                v = v * 10 + (s[i] - '0');
        }
        return v;
}

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const weekdays[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

static int month_at(const char *s, size_t n) {
        if (n >= 3)
                for (size_t m = 0; m < ELEMENTSOF(months); m++)
                        if (memcmp(s, months[m], 3) == 0)
                                return (int) m + 1;
        return 0;
}

static bool weekday_at(const char *s, size_t n) {
        if (n >= 4 && s[3] == ' ')
                for (size_t d = 0; d < ELEMENTSOF(weekdays); d++)
                        if (memcmp(s, weekdays[d], 3) == 0)
                                return true;
        return false;
}

/* "HH:MM[:SS]" at s; returns its length or 0. */
static size_t parse_clock(const char *s, size_t n, bool need_sec, WallTime *w) {
        int h = digits(s, n, 2), m = n > 3 ? digits(s + 3, n - 3, 2) : -1;
        if (h < 0 || m < 0 || s[2] != ':' || h > 23 || m > 59)
                return 0;
        w->hour = h;
        w->min = m;
        w->sec = 0;
        if (n >= 8 && s[5] == ':') {
                int sec = digits(s + 6, n - 6, 2);
                if (sec < 0 || sec > 60)
                        return 0;
                w->sec = sec;
                return 8;
        }
        return need_sec ? 0 : 5;
}

/* ".123456" or ",123456" fraction at s: returns its length (0 if none). */
static size_t parse_frac(const char *s, size_t n, unsigned *ret_usec) {
        size_t i = 1;
        unsigned v = 0, nf = 0;
        if (n < 2 || (s[0] != '.' && s[0] != ',') || !is_digit(s[1]))
                return 0;
        for (; i < n && is_digit(s[i]); i++, nf++)
                if (nf < 6)
                        v = v * 10 + (unsigned) (s[i] - '0');
        for (; nf < 6; nf++)
                v *= 10;
        *ret_usec = v;
        return i;
}

/* "[   12.345678]" (also "12,345678"), dmesg -d "[   12.345678 <    0.000004>]", dmesg -e/-H delta
 * "[  +0.000004]": returns the length or 0; *ret_abs tells whether it is a time since boot. */
static size_t parse_ts(const char *s, size_t n, uint64_t *ret_usec, bool *ret_abs) {
        size_t i = 1;
        uint64_t sec = 0;
        unsigned usec = 0, nd = 0;
        bool delta = false;

        if (n < 4 || s[0] != '[')
                return 0;
        while (i < n && s[i] == ' ')
                i++;
        if (i < n && s[i] == '+') {
                delta = true;
                i++;
        }
        for (; i < n && is_digit(s[i]) && nd < 12; i++, nd++)
                sec = sec * 10 + (uint64_t) (s[i] - '0');
        size_t f = nd > 0 ? parse_frac(s + i, n - i, &usec) : 0;
        if (f == 0)
                return 0;
        i += f;
        if (!delta && i + 2 < n && s[i] == ' ' && s[i + 1] == '<') {
                /* dmesg -d: " <    0.000004>" */
                size_t k = i + 2;
                while (k < n && s[k] == ' ')
                        k++;
                while (k < n && (is_digit(s[k]) || s[k] == '.' || s[k] == ','))
                        k++;
                if (k >= n || s[k] != '>')
                        return 0;
                i = k + 1;
        }
        if (i >= n || s[i] != ']')
                return 0;
        *ret_abs = !delta;
        *ret_usec = sec * 1000000 + usec;
        return i + 1;
}

/* dmesg -T "[Tue Jan 14 03:08:12 2025]" and dmesg -e/-H "[Jan14 03:12]": returns the length or 0. */
static size_t parse_bracket_date(const char *s, size_t n, WallTime *w) {
        WallTime t = { .set = true, .tz_known = true };
        size_t i = 1;
        int mon, day;

        if (n < 13 || s[0] != '[')
                return 0;
        if (weekday_at(s + 1, n - 1)) {
                /* ctime(): "Tue Jan 14 03:08:12 2025", the day padded with a blank */
                i = 5;
                if (!(mon = month_at(s + i, n - i)) || i + 4 >= n || s[i + 3] != ' ')
                        return 0;
                i += 4;
                if (s[i] == ' ')
                        i++;
                day = is_digit(s[i]) && is_digit(s[i + 1]) ? digits(s + i, n - i, 2) : digits(s + i, n - i, 1);
                if (day <= 0)
                        return 0;
                i += day >= 10 || s[i + 1] != ' ' ? 2 : 1;
                if (i >= n || s[i++] != ' ')
                        return 0;
                size_t c = parse_clock(s + i, n - i, true, &t);
                if (c == 0 || i + c + 6 > n || s[i + c] != ' ')
                        return 0;
                i += c + 1;
                t.year = digits(s + i, n - i, 4);
                if (t.year < 0 || s[i + 4] != ']')
                        return 0;
                i += 5;
        } else {
                /* "Jan14 03:12" */
                if (!(mon = month_at(s + 1, n - 1)))
                        return 0;
                i = 4;
                day = digits(s + i, n - i, 2);
                if (day <= 0 || i + 3 >= n || s[i + 2] != ' ')
                        return 0;
                i += 3;
                size_t c = parse_clock(s + i, n - i, false, &t);
                if (c == 0 || i + c >= n || s[i + c] != ']')
                        return 0;
                i += c + 1;
        }
        t.mon = mon;
        t.day = day;
        *w = t;
        return i;
}

/* "[  T123]" / "[C3]" at s: returns its length or 0. */
static size_t parse_caller(const char *s, size_t n, char *ret_kind, unsigned *ret_id) {
        size_t i = 1;
        unsigned id = 0, nd = 0;

        if (n < 4 || s[0] != '[')
                return 0;
        while (i < n && s[i] == ' ')
                i++;
        if (i >= n || (s[i] != 'T' && s[i] != 'C'))
                return 0;
        char kind = s[i++];
        for (; i < n && is_digit(s[i]) && nd < 9; i++, nd++)
                id = id * 10 + (unsigned) (s[i] - '0');
        if (nd == 0 || i >= n || s[i] != ']')
                return 0;
        *ret_kind = kind;
        *ret_id = id;
        return i + 1;
}

/* "4,1234,5678901,-;" (flags and caller optional). */
static size_t parse_kmsg(const char *s, size_t n, LinePrefix *pf) {
        uint64_t v[3] = {};
        size_t i = 0;

        for (unsigned f = 0; f < 3; f++) {
                unsigned nd = 0;
                for (; i < n && is_digit(s[i]) && nd < 20; i++, nd++)
                        v[f] = v[f] * 10 + (uint64_t) (s[i] - '0');
                if (nd == 0 || i >= n)
                        return 0;
                if (f < 2 && s[i++] != ',')
                        return 0;
        }
        /* optional ",flags" and further ",key=value" fields, up to ';' */
        bool cont = false;
        if (s[i] == ',') {
                i++;
                if (i < n && (s[i] == '-' || s[i] == 'c' || s[i] == '+')) {
                        cont = s[i] == '+';
                        i++;
                }
                while (i < n && s[i] == ',') {
                        i++;
                        if (n - i > 7 && memcmp(s + i, "caller=", 7) == 0) {
                                size_t k = i + 7;
                                char kind = s[k];
                                unsigned id = 0, nd = 0;
                                if (kind == 'T' || kind == 'C')
                                        for (k++; k < n && is_digit(s[k]) && nd < 9; k++, nd++)
                                                id = id * 10 + (unsigned) (s[k] - '0');
                                if (nd > 0) {
                                        pf->caller_kind = kind;
                                        pf->caller_id = id;
                                }
                        }
                        while (i < n && s[i] != ',' && s[i] != ';' && s[i] != ' ')
                                i++;
                }
        }
        if (i >= n || s[i] != ';')
                return 0;
        pf->level = (int) (v[0] & 7);
        pf->has_ts = true;
        pf->ts_usec = v[2];
        pf->kmsg_cont = cont;
        pf->escape = ESCAPE_KMSG;
        return i + 1;
}

/* A zone after an ISO time: "Z", "+01:00", "+0100", or " UTC"/" GMT" (journalctl short-full;
 * other zone names are read but cannot be converted). Returns its length. */
static size_t parse_zone(const char *s, size_t n, WallTime *w) {
        if (n >= 1 && s[0] == 'Z') {
                w->tz_known = true;
                return 1;
        }
        if (n >= 5 && (s[0] == '+' || s[0] == '-')) {
                int h = digits(s + 1, n - 1, 2);
                size_t k = 3;
                if (h < 0)
                        return 0;
                if (s[k] == ':')
                        k++;
                int m = digits(s + k, n - k, 2);
                if (m < 0)
                        return 0;
                w->tz_offset_min = (s[0] == '-' ? -1 : 1) * (h * 60 + m);
                w->tz_known = true;
                return k + 2;
        }
        if (n >= 4 && s[0] == ' ' && s[1] >= 'A' && s[1] <= 'Z') {
                size_t k = 1;
                while (k < n && k < 7 && s[k] >= 'A' && s[k] <= 'Z')
                        k++;
                if (k < 3 || (k < n && s[k] != ' '))
                        return 0;
                w->tz_known = (k == 4 && (memcmp(s + 1, "UTC", 3) == 0 || memcmp(s + 1, "GMT", 3) == 0));
                return k;
        }
        return 0;
}

/* The date of a syslog/journal/dmesg-iso prefix at s, up to the blank after it: RFC 3164
 * "Jan  2 03:04:05[.123456]", ISO "2024-01-02T03:04:05[.,frac][zone]" (or with a blank for the
 * 'T'), journalctl short-full "Tue 2025-01-14 03:08:12 UTC", short-unix "1736823492.123456".
 * Returns its length or 0; *ret_iso_zone tells an ISO date with a numeric zone (dmesg iso). */
static size_t parse_date(const char *s, size_t n, WallTime *w, bool *ret_iso_zone) {
        WallTime t = { .set = true };
        size_t i = 0;
        int mon;

        *ret_iso_zone = false;
        if ((mon = month_at(s, n)) && n >= 15 && s[3] == ' ') {
                t.mon = mon;
                t.day = s[4] == ' ' ? digits(s + 5, n - 5, 1) : digits(s + 4, n - 4, 2);
                if (t.day <= 0 || s[6] != ' ')
                        return 0;
                i = parse_clock(s + 7, n - 7, true, &t);
                if (i == 0)
                        return 0;
                i += 7;
                i += parse_frac(s + i, n - i, &t.usec);
                t.tz_known = true; /* taken as UTC: syslog has no zone */
                *w = t;
                return i;
        }
        if (weekday_at(s, n)) /* journalctl -o short-full */
                i = 4;
        if (n - i >= 19 && (t.year = digits(s + i, n - i, 4)) >= 0 && s[i + 4] == '-' &&
            (t.mon = digits(s + i + 5, n - i - 5, 2)) > 0 && s[i + 7] == '-' &&
            (t.day = digits(s + i + 8, n - i - 8, 2)) > 0 && (s[i + 10] == 'T' || s[i + 10] == ' ')) {
                size_t c = parse_clock(s + i + 11, n - i - 11, true, &t);
                if (c == 0)
                        return 0;
                i += 11 + c;
                i += parse_frac(s + i, n - i, &t.usec);
                size_t z = parse_zone(s + i, n - i, &t);
                *ret_iso_zone = z > 0 && s[i] != ' ';
                i += z;
                if (z == 0)
                        t.tz_known = true; /* "2024-01-02 03:04:05": taken as UTC */
                *w = t;
                return i;
        }
        if (i == 0 && n >= 12 && is_digit(s[0])) {
                /* short-unix: seconds since the epoch with a fraction */
                uint64_t sec = 0;
                size_t k = 0;
                for (; k < n && k < 12 && is_digit(s[k]); k++)
                        sec = sec * 10 + (uint64_t) (s[k] - '0');
                unsigned usec = 0;
                size_t f = k >= 9 ? parse_frac(s + k, n - k, &usec) : 0;
                if (f == 0 || s[k] != '.' || k + f >= n || s[k + f] != ' ')
                        return 0;
                /* as a broken-down UTC time, so that one conversion serves every rendering */
                uint64_t days = sec / 86400, rem = sec % 86400;
                /* civil_from_days (H. Hinnant) */
                int64_t z = (int64_t) days + 719468, era = z / 146097;
                unsigned doe = (unsigned) (z - era * 146097);
                unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
                unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
                t.day = (int) (doy - (153 * mp + 2) / 5 + 1);
                t.mon = (int) (mp < 10 ? mp + 3 : mp - 9);
                t.year = (int) (yoe + era * 400 + (t.mon <= 2));
                t.hour = (int) (rem / 3600);
                t.min = (int) (rem / 60 % 60);
                t.sec = (int) (rem % 60);
                t.usec = usec;
                t.tz_known = true;
                *w = t;
                return k + f;
        }
        return 0;
}

static int64_t days_from_civil(int y, int m, int d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned) (y - era * 400);
        unsigned doy = (unsigned) ((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t) doe - 719468;
}

static uint64_t wall_at_year(const WallTime *w, int year) {
        int64_t t = days_from_civil(year, w->mon, w->day) * 86400 + w->hour * 3600 + w->min * 60 + w->sec -
                    (int64_t) w->tz_offset_min * 60;
        return t < 0 ? 0 : (uint64_t) t * 1000000 + w->usec;
}

bool wall_to_usec(const WallTime *w, uint64_t reference_usec, uint64_t *ret) {
        if (!w->set || !w->tz_known || w->mon < 1 || w->mon > 12 || w->day < 1 || w->day > 31)
                return false;
        if (w->year > 0) {
                *ret = wall_at_year(w, w->year);
                return true;
        }
        if (reference_usec == 0)
                return false;
        /* syslog dates have no year: the last one that is not after the reference (plus a day) */
        int64_t ref_days = (int64_t) (reference_usec / 1000000 / 86400);
        int year = 1970 + (int) (ref_days / 365) + 1;
        while (year > 1970 && wall_at_year(w, year) > reference_usec + 86400ULL * 1000000)
                year--;
        *ret = wall_at_year(w, year);
        return true;
}

/* After a syslog/journal date or a console timestamp: "host [facility.level] kernel: ". Returns the
 * length up to the message, or 0; the host word (if any) in *pf. */
static size_t parse_kernel_tag(const char *s, size_t n, size_t max, LinePrefix *pf) {
        const char *k = memmem(s, MIN(n, max), "kernel:", 7);
        if (!k)
                return 0;
        /* the tag must be a whole word: "kernel:" after a blank, "host kernel:" or "kern.warn kernel:" */
        if (k > s && k[-1] != ' ')
                return 0;
        if (k > s) {
                /* the host is the first word, unless it is busybox's "kern.warn" */
                const char *h = s, *he = memchr(s, ' ', (size_t) (k - s));
                if (he && he > h && !STARTSWITH(h, (size_t) (he - h), "kern.")) {
                        pf->host = h;
                        pf->host_len = (size_t) (he - h);
                }
        }
        size_t off = (size_t) (k - s) + 7;
        if (off < n && s[off] == ' ')
                off++;
        return off;
}

/* "<4>1 2024-01-02T03:04:05.123Z host kernel - - - msg" (RFC 5424). */
static size_t parse_rfc5424(const char *s, size_t n, LinePrefix *pf) {
        size_t i = 0, fields = 0, f_start[6] = {};

        if (n < 8 || s[0] != '1' || s[1] != ' ')
                return 0;
        /* VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then SD ("-" or [...]) */
        while (i < n && fields < 6) {
                f_start[fields] = i;
                while (i < n && s[i] != ' ')
                        i++;
                if (i < n)
                        i++;
                fields++;
        }
        if (fields < 6 || i >= n)
                return 0;
        bool z;
        WallTime w = {};
        if (parse_date(s + f_start[1], n - f_start[1], &w, &z) > 0)
                pf->wall = w;
        if (s[f_start[2]] != '-') {
                pf->host = s + f_start[2];
                pf->host_len = f_start[3] - f_start[2] - 1;
        }
        if (s[i] == '-')
                i++;
        else if (s[i] == '[') {
                while (i < n && s[i] != ']')
                        i++;
                i++;
        } else
                return 0;
        if (i < n && s[i] == ' ')
                i++;
        return MIN(i, n);
}

/* dmesg -x "kern  :warn  : ": returns its length or 0. */
static size_t parse_dmesg_x(const char *s, size_t n, int *ret_level) {
        static const char *const levels[] = { "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug" };
        size_t i = 0;
        while (i < n && i < 9 && s[i] >= 'a' && s[i] <= 'z')
                i++;
        while (i > 0 && i < n && i < 9 && is_digit(s[i])) /* local0 .. local7 */
                i++;
        if (i < 3 || i >= n)
                return 0;
        while (i < n && s[i] == ' ')
                i++;
        if (i >= n || s[i] != ':')
                return 0;
        size_t l = ++i;
        while (i < n && s[i] >= 'a' && s[i] <= 'z')
                i++;
        size_t le = i;
        while (i < n && s[i] == ' ')
                i++;
        if (i + 1 >= n || s[i] != ':' || s[i + 1] != ' ')
                return 0;
        for (size_t k = 0; k < ELEMENTSOF(levels); k++)
                if (le - l == strlen(levels[k]) && memcmp(s + l, levels[k], le - l) == 0) {
                        *ret_level = (int) k;
                        return i + 2;
                }
        return 0;
}

/* Does a prefix of the inner layers start at s? (to tell indentation and line numbers from text) */
static bool prefix_starts(const char *s, size_t n) {
        uint64_t u;
        bool b, z;
        WallTime w;
        int l;
        if (n == 0)
                return false;
        if (s[0] == '[')
                return parse_ts(s, n, &u, &b) > 0 || parse_bracket_date(s, n, &w) > 0;
        if (s[0] == '<')
                return n > 2 && is_digit(s[1]);
        return parse_date(s, n, &w, &z) > 0 || parse_dmesg_x(s, n, &l) > 0 || STARTSWITH(s, n, "kern.");
}

bool lockdep_line_looks_kernel(const char *s, size_t n) {
        static const char *const words[] = {
                "Linux version ", "Command line: ", "Kernel command line: ", "Call Trace:", "BIOS-e820: ",
                "Hardware name: ", "lockdep",
        };
        LinePrefix pf;

        if (n > 0 && s[n - 1] == '\r')
                n--;
        prefix_parse(s, n, &pf);
        if (pf.has_ts || pf.level >= 0 || pf.host || pf.wall.set) /* wall: dmesg -T, syslog, journal */
                return true;
        for (size_t i = 0; i < ELEMENTSOF(words); i++)
                if (memmem(s, n, words[i], strlen(words[i])))
                        return true;
        return false;
}

void prefix_parse(const char *s, size_t n, LinePrefix *ret) {
        LinePrefix pf = { .level = -1 };
        size_t off = 0;
        bool progress = true;

        /* text-viewer line numbers: "    359 " before a prefix, or cat -n's "   359\t" */
        {
                size_t i = 0;
                while (i < n && i < 8 && s[i] == ' ')
                        i++;
                size_t d = i;
                while (i < n && i - d < 9 && is_digit(s[i]))
                        i++;
                if (i > d && i < n && (s[i] == '\t' || (s[i] == ' ' && prefix_starts(s + i + 1, n - i - 1)))) {
                        off = i + 1;
                        pf.any = true;
                }
        }
        /* z/VM and serial console prefix "00: " */
        if (n - off > 4 && is_digit(s[off]) && is_digit(s[off + 1]) && s[off + 2] == ':' && s[off + 3] == ' ') {
                off += 4;
                pf.any = true;
        }

        for (unsigned round = 0; progress && round < 10 && off < n; round++) {
                const char *p = s + off;
                size_t m = n - off, k;
                bool z;
                progress = false;

                if (p[0] == '>' || (p[0] == '|' && m > 1 && p[1] == ' ')) {
                        k = 1;
                        if (k < m && p[k] == ' ')
                                k++;
                        off += k;
                        progress = true;
                        continue;
                }
                if (is_blank(p[0])) {
                        /* indentation before a prefix: a code block, an indented mail */
                        k = 0;
                        while (k < m && is_blank(p[k]))
                                k++;
                        if (prefix_starts(p + k, m - k)) {
                                off += k;
                                progress = true;
                        }
                        continue;
                }
                if (is_digit(p[0]) && (k = parse_kmsg(p, m, &pf)) > 0) {
                        off += k;
                        pf.any = true;
                        break; /* the rest is message text, with \xNN escapes */
                }
                if (p[0] == '<') {
                        size_t i = 1;
                        int lvl = 0;
                        while (i < m && i < 5 && is_digit(p[i]))
                                lvl = lvl * 10 + (p[i++] - '0');
                        if (i > 1 && i < m && p[i] == '>') {
                                pf.level = lvl & 7;
                                off += i + 1;
                                pf.any = progress = true;
                                if ((k = parse_rfc5424(s + off, n - off, &pf)) > 0) {
                                        off += k;
                                        pf.escape = ESCAPE_SYSLOG;
                                }
                                continue;
                        }
                }
                if (p[0] >= 'a' && p[0] <= 'z' && (k = parse_dmesg_x(p, m, &pf.level)) > 0) {
                        off += k;
                        pf.any = progress = true;
                        continue;
                }
                WallTime w = {};
                size_t d = STARTSWITH(p, m, "kern.") ? 0 : parse_date(p, m, &w, &z);
                if (d > 0 || STARTSWITH(p, m, "kern.")) {
                        size_t t = d < m && p[d] == ' ' ? parse_kernel_tag(p + d + 1, m - d - 1, 120, &pf) : 0;
                        if (d == 0)
                                t = parse_kernel_tag(p, m, 120, &pf);
                        if (t > 0) {
                                off += d + (d > 0) + t;
                                pf.escape = ESCAPE_SYSLOG;
                        } else if (z && d < m && p[d] == ' ')
                                off += d + 1; /* dmesg --time-format=iso: the date alone */
                        else
                                goto not_date;
                        if (w.set)
                                pf.wall = w;
                        pf.any = progress = true;
                        continue;
                }
        not_date:
                if (p[0] == '[' && (k = parse_bracket_date(p, m, &w)) > 0) {
                        pf.wall = w;
                        off += k;
                        if (off < n && s[off] == ' ')
                                off++;
                        pf.any = progress = true;
                        continue;
                }
                bool abs = false;
                if (p[0] == '[' && (k = parse_ts(p, m, &pf.ts_usec, &abs)) > 0) {
                        pf.has_ts = abs;
                        off += k;
                        pf.any = progress = true;
                        size_t c = parse_caller(s + off, n - off, &pf.caller_kind, &pf.caller_id);
                        off += c;
                        if (off < n && s[off] == ' ')
                                off++;
                        /* journalctl -o short-monotonic: "[ts] host kernel: ", or "[ts] kernel: " */
                        size_t t = parse_kernel_tag(s + off, n - off, 80, &pf);
                        if (t > 0 && (memchr(s + off, ' ', t - 1) != NULL || STARTSWITH(s + off, n - off, "kernel: "))) {
                                off += t;
                                continue;
                        }
                        break;
                }
                if (round == 0) {
                        /* glued shell prompt: "root@vm:~# [   12.345678] ..." */
                        const char *q = memchr(p, '[', MIN(m, (size_t) 96));
                        uint64_t ts;
                        if (q && q - p >= 2 && (q[-2] == '#' || q[-2] == '$') && q[-1] == ' ' &&
                            parse_ts(q, m - (size_t) (q - p), &ts, &abs) > 0) {
                                off += (size_t) (q - p);
                                progress = true;
                        }
                }
        }

        pf.width = off;
        *ret = pf;
}
