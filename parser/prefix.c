/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rendering prefixes (LOCKDEP_FORMATS.md sections 1.2-1.4). Prefixes stack, outermost first:
 *
 *   quoting          "> ", ">> ", "| "
 *   syslog header    "Jan  2 03:04:05 host kernel: ", "2024-01-02T03:04:05.1+00:00 host kernel: ",
 *                    "<4>1 2024-... host kernel - - - ", busybox "... kern.warn kernel: ",
 *                    journalctl short/short-precise/short-iso/short-monotonic
 *   /dev/kmsg record "4,1234,5678901,-[,caller=T12];"
 *   level            "<4>"
 *   console time     "[   12.345678]" then caller id "[  T123]" / "[    C3]" and one blank
 *   shell prompt     "root@vm:~# " glued in front of a console timestamp
 *
 * prefix_parse() never fails: what it does not recognise is message text.
 */
#include <string.h>

#include "parser-internal.h"

static bool is_digit(char c) {
        return c >= '0' && c <= '9';
}

/* "[   12.345678]" at s: returns its length or 0. */
static size_t parse_ts(const char *s, size_t n, uint64_t *ret_usec) {
        size_t i = 1;
        uint64_t sec = 0, usec = 0;
        unsigned nd = 0, nf = 0;

        if (n < 4 || s[0] != '[')
                return 0;
        while (i < n && s[i] == ' ')
                i++;
        for (; i < n && is_digit(s[i]) && nd < 12; i++, nd++)
                sec = sec * 10 + (s[i] - '0');
        if (nd == 0 || i >= n || s[i] != '.')
                return 0;
        for (i++; i < n && is_digit(s[i]) && nf < 9; i++, nf++)
                if (nf < 6)
                        usec = usec * 10 + (s[i] - '0');
        if (nf == 0 || i >= n || s[i] != ']')
                return 0;
        for (; nf < 6; nf++)
                usec *= 10;
        *ret_usec = sec * 1000000 + usec;
        return i + 1;
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
                id = id * 10 + (s[i] - '0');
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
                        v[f] = v[f] * 10 + (s[i] - '0');
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
                                                id = id * 10 + (s[k] - '0');
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

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static bool looks_like_date(const char *s, size_t n) {
        if (n >= 16 && s[3] == ' ')
                for (size_t m = 0; m < ELEMENTSOF(months); m++)
                        if (memcmp(s, months[m], 3) == 0)
                                return true;
        /* ISO 8601 / RFC 3339: 2024-01-02T03:04:05 or 2024-01-02 03:04:05 */
        return n >= 19 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) &&
               s[4] == '-' && is_digit(s[5]) && s[7] == '-' && (s[10] == 'T' || s[10] == ' ') &&
               s[13] == ':';
}

/* After a syslog/journal date or a console timestamp: "host [facility.level] kernel: ". Returns the
 * length up to the message, or 0. */
static size_t parse_kernel_tag(const char *s, size_t n, size_t max) {
        const char *k = memmem(s, MIN(n, max), "kernel:", 7);
        if (!k)
                return 0;
        /* the tag must be a whole word: "kernel:" after a blank, "host kernel:" or "kern.warn kernel:" */
        if (k > s && k[-1] != ' ')
                return 0;
        size_t off = k - s + 7;
        if (off < n && s[off] == ' ')
                off++;
        return off;
}

/* "<4>1 2024-01-02T03:04:05.123Z host kernel - - - msg" (RFC 5424). */
static size_t parse_rfc5424(const char *s, size_t n) {
        size_t i = 0, fields = 0;

        if (n < 8 || s[0] != '1' || s[1] != ' ')
                return 0;
        /* VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then SD ("-" or [...]) */
        while (i < n && fields < 6) {
                while (i < n && s[i] != ' ')
                        i++;
                if (i < n)
                        i++;
                fields++;
        }
        if (fields < 6 || i >= n)
                return 0;
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

void prefix_parse(const char *s, size_t n, LinePrefix *ret) {
        LinePrefix pf = { .level = -1 };
        size_t off = 0;
        bool progress = true;

        for (unsigned round = 0; progress && round < 8 && off < n; round++) {
                const char *p = s + off;
                size_t m = n - off, k;
                progress = false;

                if (p[0] == '>' || (p[0] == '|' && m > 1 && p[1] == ' ')) {
                        k = 1;
                        if (k < m && p[k] == ' ')
                                k++;
                        off += k;
                        progress = true;
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
                                if ((k = parse_rfc5424(s + off, n - off)) > 0) {
                                        off += k;
                                        pf.escape = ESCAPE_SYSLOG;
                                }
                                continue;
                        }
                }
                if ((looks_like_date(p, m) || STARTSWITH(p, m, "kern.")) &&
                    (k = parse_kernel_tag(p, m, 120)) > 0) {
                        off += k;
                        pf.escape = ESCAPE_SYSLOG;
                        pf.any = progress = true;
                        continue;
                }
                if (p[0] == '[' && (k = parse_ts(p, m, &pf.ts_usec)) > 0) {
                        pf.has_ts = true;
                        off += k;
                        pf.any = progress = true;
                        size_t c = parse_caller(s + off, n - off, &pf.caller_kind, &pf.caller_id);
                        off += c;
                        if (off < n && s[off] == ' ')
                                off++;
                        /* journalctl -o short-monotonic: "[ts] host kernel: " */
                        size_t t = parse_kernel_tag(s + off, n - off, 80);
                        if (t > 0 && memchr(s + off, ' ', t - 1) != NULL) {
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
                            parse_ts(q, m - (q - p), &ts) > 0) {
                                off += q - p;
                                progress = true;
                        }
                }
        }

        pf.width = off;
        *ret = pf;
}
