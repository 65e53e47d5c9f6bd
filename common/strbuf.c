/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int strbuf_reserve(StrBuf *b, size_t extra) {
        if (b->len + extra + 1 <= b->cap)
                return 0;
        size_t cap = MAX(b->cap * 2, (size_t) 64);
        while (cap < b->len + extra + 1)
                cap *= 2;
        char *n = realloc(b->s, cap);
        if (!n)
                return -ENOMEM;
        b->s = n;
        b->cap = cap;
        return 0;
}

int strbuf_append(StrBuf *b, const char *s, size_t n) {
        if (strbuf_reserve(b, n) < 0)
                return -ENOMEM;
        if (n > 0)
                memcpy(b->s + b->len, s, n);
        b->len += n;
        b->s[b->len] = 0;
        return 0;
}

int strbuf_appendc(StrBuf *b, char c) {
        return strbuf_append(b, &c, 1);
}

int strbuf_puts(StrBuf *b, const char *s) {
        return strbuf_append(b, s, strlen(s));
}

int strbuf_printf(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        char tmp[256];

        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if ((size_t) n < sizeof(tmp))
                return strbuf_append(b, tmp, n);
        if (strbuf_reserve(b, n) < 0)
                return -ENOMEM;
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, n + 1, fmt, ap);
        va_end(ap);
        b->len += n;
        return 0;
}

void strbuf_truncate(StrBuf *b, size_t len) {
        if (len < b->len) {
                b->len = len;
                b->s[len] = 0;
        }
}

char *strbuf_steal(StrBuf *b) {
        char *s = b->s ? b->s : strdup("");
        *b = (StrBuf) {};
        return s;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf) {};
}
