/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host name rule, see host-name.h. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "host-name.h"
#include "json.h"
#include "visible.h"

const char *host_name_check_n(const char *s, size_t n) {
        if (!s || n == 0)
                return "is empty";
        if (n > HOST_NAME_LEN_MAX)
                return "is longer than 255 bytes";
        const unsigned char *p = (const unsigned char *) s, *end = p + n;
        while (p < end) {
                if (*p == '\\')
                        return "has a backslash";
                if (*p >= 0x20 && *p < 0x7f) {
                        p++;
                        continue;
                }
                bool esc;
                size_t k = visible_next(p, (size_t) (end - p), 0, &esc);
                if (esc) {
                        if (utf8_valid_len(p, (size_t) (end - p)) == 0)
                                return "is not valid UTF-8";
                        if (k == 1 || (k == 2 && p[0] == 0xc2 && p[1] < 0xa0))
                                return "has a control character";
                        return "has a bidi control or invisible format character";
                }
                p += k;
        }
        return NULL;
}

const char *host_name_check(const char *s) {
        return host_name_check_n(s, s ? strlen(s) : 0);
}

bool host_name_sanitize(const char *s, size_t n, char buf[static HOST_NAME_BUF]) {
        if (!s || n == 0) {
                strcpy(buf, "\\empty");
                return true;
        }
        if (!host_name_check_n(s, n)) {
                memcpy(buf, s, n);
                buf[n] = 0;
                return false;
        }
        /* the hash of all of s tells apart names that share their first 240 bytes */
        uint32_t h = 2166136261u;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char) s[i]) * 16777619u;
        const size_t room = HOST_NAME_LEN_MAX - 11; /* "\~" + 8 hex digits + NUL-free margin */
        size_t w = 0;
        const unsigned char *p = (const unsigned char *) s, *end = p + n;
        bool cut = false;
        while (p < end) {
                char one[48];
                size_t len, k;
                bool esc = false;
                if (*p == '\\') {
                        k = 1;
                        len = (size_t) snprintf(one, sizeof(one), "\\x5c");
                } else {
                        k = visible_next(p, (size_t) (end - p), 0, &esc);
                        if (esc)
                                len = visible_escape_one(p, k, one);
                        else
                                memcpy(one, p, len = k);
                }
                if (w + len > room) {
                        cut = true;
                        break;
                }
                memcpy(buf + w, one, len);
                w += len;
                p += k;
        }
        if (cut)
                w += (size_t) snprintf(buf + w, HOST_NAME_BUF - w, "\\~%08x", (unsigned) h);
        buf[w] = 0;
        return true;
}

bool host_name_is_sanitized(const char *s) {
        return s && strchr(s, '\\');
}
