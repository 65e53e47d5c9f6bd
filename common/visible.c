/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Visible escapes of controls and invisible format characters, see visible.h. */
#include <errno.h>
#include <stdio.h>

#include "json.h"
#include "visible.h"

static uint32_t decode(const unsigned char *s, size_t k) {
        switch (k) {
        case 1: return s[0];
        case 2: return (uint32_t) (s[0] & 0x1f) << 6 | (s[1] & 0x3f);
        case 3: return (uint32_t) (s[0] & 0x0f) << 12 | (uint32_t) (s[1] & 0x3f) << 6 | (s[2] & 0x3f);
        default: return (uint32_t) (s[0] & 0x07) << 18 | (uint32_t) (s[1] & 0x3f) << 12 |
                        (uint32_t) (s[2] & 0x3f) << 6 | (s[3] & 0x3f);
        }
}

/* Format (Cf) and separator characters that change or hide text without showing. */
static bool invisible(uint32_t c) {
        return c == 0x00ad || c == 0x061c || c == 0x180e || (c >= 0x200b && c <= 0x200f) ||
               (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x206f) || c == 0xfeff ||
               (c >= 0xfff9 && c <= 0xfffb) || (c >= 0xe0000 && c <= 0xe007f);
}

size_t visible_next(const unsigned char *s, size_t n, VisibleFlags flags, bool *ret_escape) {
        size_t k = utf8_valid_len(s, n);
        if (k == 0) {
                *ret_escape = true;
                return 1;
        }
        uint32_t c = decode(s, k);
        *ret_escape = (c < 0x20 && !((flags & VISIBLE_TEXT) && (c == '\n' || c == '\t'))) ||
                      (c >= 0x7f && c < 0xa0) || invisible(c);
        return k;
}

size_t visible_escape_one(const unsigned char *s, size_t len, char *buf) {
        size_t k = utf8_valid_len(s, len);
        uint32_t c = k == len ? decode(s, k) : 0;
        if (k == len && len > 1 && c >= 0xa0)
                return (size_t) snprintf(buf, 12, c > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned) c);
        size_t w = 0;
        for (size_t i = 0; i < len && i < 4; i++)
                w += (size_t) snprintf(buf + w, 8, "\\x%02x", s[i]);
        return w;
}

int visible_append(StrBuf *b, const char *s, size_t n, VisibleFlags flags) {
        const unsigned char *p = (const unsigned char *) s, *end = p + n;
        while (p < end) {
                const unsigned char *run = p;
                bool esc = false;
                size_t k = 0;
                while (p < end) {
                        if (*p >= 0x20 && *p < 0x7f) {
                                p++;
                                continue;
                        }
                        k = visible_next(p, (size_t) (end - p), flags, &esc);
                        if (esc)
                                break;
                        p += k;
                }
                if (p > run && strbuf_append(b, (const char *) run, (size_t) (p - run)) < 0)
                        return -ENOMEM;
                if (p >= end)
                        break;
                char buf[48];
                size_t w = visible_escape_one(p, k, buf);
                if (strbuf_append(b, buf, w) < 0)
                        return -ENOMEM;
                p += k;
        }
        return 0;
}
