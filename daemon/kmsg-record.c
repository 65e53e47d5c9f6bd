/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* /dev/kmsg record parsing, see kmsg-record.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kmsg-record.h"

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* A decimal number at *p (before end), ended by one of the stop bytes or end; advances *p. */
static bool number(const char **p, const char *end, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;
        if (s >= end || *s < '0' || *s > '9')
                return false;
        for (; s < end && *s >= '0' && *s <= '9'; s++) {
                if (v > (UINT64_MAX - (uint64_t) (*s - '0')) / 10)
                        return false;
                v = v * 10 + (uint64_t) (*s - '0');
        }
        *p = s;
        *ret = v;
        return true;
}

int kmsg_record_parse(const char *rec, size_t len, char *text_buf, KmsgRecord *ret) {
        const char *end = rec + len, *semi = memchr(rec, ';', len), *p = rec;
        uint64_t pri, seq, usec;

        if (!semi)
                return -EBADMSG;
        if (!number(&p, semi, &pri) || p >= semi || *p++ != ',' || !number(&p, semi, &seq) || p >= semi ||
            *p++ != ',' || !number(&p, semi, &usec) || (p < semi && *p != ',') || pri > 1023)
                return -EBADMSG;

        KmsgRecord r = { .facility = (unsigned) (pri >> 3), .level = (unsigned) (pri & 7), .seq = seq, .usec = usec };
        const char *c = memmem(p, (size_t) (semi - p), ",caller=", 8);
        if (c && c + 8 < semi && (c[8] == 'T' || c[8] == 'C')) {
                const char *q = c + 9;
                uint64_t id;
                if (number(&q, semi, &id) && id <= 0xffffffffu) {
                        r.caller_kind = c[8];
                        r.caller_id = (unsigned) id;
                }
        }

        /* undo \xNN, stop at the dictionary */
        size_t n = 0;
        for (const char *q = semi + 1; q < end && *q != '\n'; q++) {
                if (q[0] == '\\' && end - q >= 4 && q[1] == 'x' && hexval(q[2]) >= 0 && hexval(q[3]) >= 0) {
                        text_buf[n++] = (char) (hexval(q[2]) << 4 | hexval(q[3]));
                        q += 3;
                } else
                        text_buf[n++] = *q;
        }
        text_buf[n] = 0;
        r.text = text_buf;
        r.len = n;
        *ret = r;
        return 0;
}
