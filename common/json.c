/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * JSON string output for untrusted text: control characters are escaped and invalid UTF-8 becomes
 * U+FFFD, so the result is valid UTF-8 JSON whatever the input bytes were. C1 controls, bidi
 * controls and invisible format characters (common/visible.h) are written as \uXXXX escapes: the
 * same string, readable wherever the JSON is shown.
 */
#include <string.h>

#include "json.h"
#include "visible.h"

/* Length of the valid UTF-8 sequence at s, or 0. */
size_t utf8_valid_len(const unsigned char *s, size_t n) {
        unsigned c = s[0];
        size_t len;
        unsigned min;
        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf)
                len = 2, min = 0x80;
        else if (c >= 0xe0 && c <= 0xef)
                len = 3, min = 0x800;
        else if (c >= 0xf0 && c <= 0xf4)
                len = 4, min = 0x10000;
        else
                return 0;
        if (n < len)
                return 0;
        unsigned cp = c & (0x7f >> len);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

/* \uXXXX of the code point at s (k bytes), a surrogate pair above U+FFFF. */
static int append_u(StrBuf *b, const unsigned char *s, size_t k) {
        uint32_t c = k == 2 ? (uint32_t) (s[0] & 0x1f) << 6 | (s[1] & 0x3f)
                   : k == 3 ? (uint32_t) (s[0] & 0x0f) << 12 | (uint32_t) (s[1] & 0x3f) << 6 | (s[2] & 0x3f)
                            : (uint32_t) (s[0] & 0x07) << 18 | (uint32_t) (s[1] & 0x3f) << 12 |
                                      (uint32_t) (s[2] & 0x3f) << 6 | (s[3] & 0x3f);
        if (c < 0x10000)
                return strbuf_printf(b, "\\u%04x", (unsigned) c);
        c -= 0x10000;
        return strbuf_printf(b, "\\u%04x\\u%04x", (unsigned) (0xd800 + (c >> 10)), (unsigned) (0xdc00 + (c & 0x3ff)));
}

int json_append_str(StrBuf *b, const char *s) {
        static const char hex[] = "0123456789abcdef";
        if (!s)
                return strbuf_puts(b, "null");
        size_t n = strlen(s);
        if (strbuf_reserve(b, n + 2) < 0 || strbuf_appendc(b, '"') < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n;) {
                unsigned char c = (unsigned char) s[i];
                size_t k;
                int r;
                /* a run of printable ASCII other than " and \ as it is, in one piece */
                for (k = 0; i + k < n; k++) {
                        unsigned char a = (unsigned char) s[i + k];
                        if (a < 0x20 || a >= 0x7f || a == '"' || a == '\\')
                                break;
                }
                if (k > 0) {
                        if (strbuf_append(b, s + i, k) < 0)
                                return -ENOMEM;
                        i += k;
                        continue;
                }
                if (c == '"' || c == '\\') {
                        char e[2] = { '\\', (char) c };
                        r = strbuf_append(b, e, 2);
                        k = 1;
                } else if (c < 0x20 || c == 0x7f) {
                        char e[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
                        r = strbuf_append(b, e, 6);
                        k = 1;
                } else if ((k = utf8_valid_len((const unsigned char *) s + i, n - i)) > 1) {
                        bool esc;
                        (void) visible_next((const unsigned char *) s + i, k, 0, &esc);
                        r = esc ? append_u(b, (const unsigned char *) s + i, k) : strbuf_append(b, s + i, k);
                } else if (k == 1)
                        r = strbuf_append(b, s + i, k);
                else {
                        r = strbuf_puts(b, "\\ufffd");
                        k = 1;
                }
                if (r < 0)
                        return r;
                i += k;
        }
        return strbuf_appendc(b, '"');
}

int json_append_str_array(StrBuf *b, const char *const *v, size_t n) {
        int r = strbuf_appendc(b, '[');
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (i)
                        r = strbuf_appendc(b, ',');
                if (r >= 0)
                        r = json_append_str(b, v[i]);
        }
        return r >= 0 ? strbuf_appendc(b, ']') : r;
}
