/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Query string and form body decoding, see query.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

static int unhex(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/* Decodes s[0..n) into out (room for n + 1 bytes); -EINVAL for a bad escape or a decoded NUL. */
static int decode(const char *s, size_t n, char *out, size_t *ret_len) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (s[i] == '+')
                        out[k++] = ' ';
                else if (s[i] == '%') {
                        int hi = i + 2 < n ? unhex(s[i + 1]) : -1, lo = hi >= 0 ? unhex(s[i + 2]) : -1;
                        if (lo < 0 || (hi | lo) == 0)
                                return -EINVAL;
                        out[k++] = (char) (hi << 4 | lo);
                        i += 2;
                } else if (s[i] == 0)
                        return -EINVAL;
                else
                        out[k++] = s[i];
        }
        out[k] = 0;
        *ret_len = k;
        return 0;
}

bool query_escapes_valid(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                if (s[i] != '%')
                        continue;
                int hi = i + 2 < n ? unhex(s[i + 1]) : -1, lo = hi >= 0 ? unhex(s[i + 2]) : -1;
                if (lo < 0 || (hi | lo) == 0)
                        return false;
                i += 2;
        }
        return true;
}

/* Does the encoded name s[0..n) decode to name? Without allocating: names are short. */
static bool name_matches(const char *s, size_t n, const char *name) {
        char buf[64];
        size_t len;
        if (n >= sizeof(buf) || decode(s, n, buf, &len) < 0)
                return false;
        return len == strlen(name) && memcmp(buf, name, len) == 0;
}

int query_find(const char *s, size_t n, const char *name, char **ret) {
        const char *end = s + n;
        for (const char *p = s; p < end;) {
                const char *amp = memchr(p, '&', (size_t) (end - p));
                const char *e = amp ? amp : end;
                const char *eq = memchr(p, '=', (size_t) (e - p));
                if (eq && name_matches(p, (size_t) (eq - p), name)) {
                        size_t len, vn = (size_t) (e - eq - 1);
                        char *v = malloc(vn + 1);
                        if (!v)
                                return -ENOMEM;
                        if (decode(eq + 1, vn, v, &len) < 0) {
                                free(v);
                                return -EINVAL;
                        }
                        *ret = v;
                        return 1;
                }
                if (!amp)
                        break;
                p = amp + 1;
        }
        return 0;
}

static int decode_dup(const char *s, size_t n, char **ret) {
        size_t len;
        char *v = malloc(n + 1);
        if (!v)
                return -ENOMEM;
        if (decode(s, n, v, &len) < 0) {
                free(v);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

int query_next(const char *s, size_t n, size_t *pos, char **ret_name, char **ret_value) {
        while (*pos < n && s[*pos] == '&')
                (*pos)++;
        if (*pos >= n)
                return 0;
        const char *p = s + *pos, *end = s + n;
        const char *amp = memchr(p, '&', (size_t) (end - p)), *e = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t) (e - p));
        char *name = NULL, *value = NULL;
        int r = decode_dup(p, (size_t) ((eq ?: e) - p), &name);
        if (r >= 0)
                r = eq ? decode_dup(eq + 1, (size_t) (e - eq - 1), &value) : (value = strdup("")) ? 0 : -ENOMEM;
        if (r < 0) {
                free(name);
                return r;
        }
        *pos = (size_t) (e - s);
        *ret_name = name;
        *ret_value = value;
        return 1;
}

size_t query_encode(char *buf, const char *value) {
        static const char hex[] = "0123456789ABCDEF";
        size_t k = 0;
        for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    strchr("-._~", *p))
                        buf[k++] = (char) *p;
                else if (*p == ' ')
                        buf[k++] = '+';
                else {
                        buf[k++] = '%';
                        buf[k++] = hex[*p >> 4];
                        buf[k++] = hex[*p & 15];
                }
        }
        buf[k] = 0;
        return k;
}
