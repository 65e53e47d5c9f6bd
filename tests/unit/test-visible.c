/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/visible.h, the one rule for hostile text (issue 14): known escapes for ANSI, NUL-free C0,
 * C1, bad UTF-8, bidi controls and invisible format characters; the same characters in HTML
 * (web/html.c h_text()) and JSON (common/json.c); and over random byte strings: the output is
 * valid UTF-8 with no control, C1, bidi or format character left, and printable text is kept.
 */
#include <stdint.h>

#include "html.h"
#include "json.h"
#include "strbuf.h"
#include "tap.h"
#include "visible.h"

static char *vis(const char *s, VisibleFlags f) {
        StrBuf b = {};
        assert(visible_append(&b, s, strlen(s), f) >= 0 && strbuf_puts(&b, "") >= 0);
        return strbuf_steal(&b);
}

static char *html(const char *s) {
        Html h = {};
        char *out;
        size_t n;
        h_text(&h, s);
        h_raw(&h, "");
        assert(h_steal(&h, &out, &n) >= 0);
        return out;
}

static char *json(const char *s) {
        StrBuf b = {};
        assert(json_append_str(&b, s) >= 0);
        return strbuf_steal(&b);
}

TEST(known) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "&mm->mmap_lock", "&mm->mmap_lock" },
                { "kcol\xe2\x80\xae_pamm", "kcol\\u202e_pamm" },         /* RIGHT-TO-LEFT OVERRIDE */
                { "a\xe2\x81\xa6" "b\xe2\x81\xa9", "a\\u2066b\\u2069" },  /* isolates */
                { "\xe2\x80\x8e\xe2\x80\x8f", "\\u200e\\u200f" },         /* LRM, RLM */
                { "zero\xe2\x80\x8bwidth\xef\xbb\xbf", "zero\\u200bwidth\\ufeff" },
                { "soft\xc2\xadhyphen", "soft\\u00adhyphen" },
                { "tag\xf3\xa0\x80\x81", "tag\\U000e0001" },
                { "\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m" },
                { "bell\x07", "bell\\x07" },
                { "csi\xc2\x9b" "2J", "csi\\xc2\\x9b2J" },
                { "bad\xff\xc3", "bad\\xff\\xc3" },
                { "del\x7f", "del\\x7f" },
                { "line\nnext\ttab", "line\\x0anext\\x09tab" },
                { "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *v = vis(cases[i].in, 0);
                CHECK_STREQ(v, cases[i].out);
                free(v);
        }
        char *t = vis("line\nnext\ttab\r", VISIBLE_TEXT);
        CHECK_STREQ(t, "line\nnext\ttab\\x0d");
        free(t);
}

TEST(html_and_json) {
        char *h = html("<b>\xe2\x80\xae\"x'\x1b[1m</b>");
        CHECK_STREQ(h, "&lt;b&gt;\\u202e&quot;x&#39;\\x1b[1m&lt;/b&gt;");
        free(h);
        char *j = json("a\xe2\x80\xae" "b\x1b\xc2\x9b\xf3\xa0\x80\x81\xc3\xa9");
        CHECK_STREQ(j, "\"a\\u202eb\\u001b\\u009b\\udb40\\udc01\xc3\xa9\"");
        free(j);
}

static bool forbidden(uint32_t c, bool text) {
        return (c < 0x20 && !(text && (c == '\n' || c == '\t'))) || (c >= 0x7f && c < 0xa0) || c == 0xad ||
               c == 0x61c || c == 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
               (c >= 0x2060 && c <= 0x206f) || c == 0xfeff || (c >= 0xfff9 && c <= 0xfffb) ||
               (c >= 0xe0000 && c <= 0xe007f);
}

/* Every code point of s: valid UTF-8 and none forbidden. */
static bool clean(const char *s, bool text) {
        const unsigned char *p = (const unsigned char *) s, *end = p + strlen(s);
        while (p < end) {
                size_t k = utf8_valid_len(p, (size_t) (end - p));
                if (k == 0)
                        return false;
                uint32_t c = k == 1 ? p[0] : k == 2 ? (uint32_t) (p[0] & 0x1f) << 6 | (p[1] & 0x3f)
                           : k == 3 ? (uint32_t) (p[0] & 0x0f) << 12 | (uint32_t) (p[1] & 0x3f) << 6 | (p[2] & 0x3f)
                                    : (uint32_t) (p[0] & 0x07) << 18 | (uint32_t) (p[1] & 0x3f) << 12 |
                                              (uint32_t) (p[2] & 0x3f) << 6 | (p[3] & 0x3f);
                if (forbidden(c, text))
                        return false;
                p += k;
        }
        return true;
}

TEST(random) {
        static const char *const pieces[] = { "\xe2\x80\xae", "\xe2\x81\xa6", "\xe2\x80\x8b", "\x1b[", "\xc2\x9b",
                                              "\xff", "\xc3", "\xe2\x80", "\x7f", "\n", "\t", "\xc3\xa9", "abc",
                                              "\xf3\xa0\x80\x81", "\xef\xbb\xbf", "<", "&", "\xed\xa0\x80" };
        unsigned seed = 14;
        for (int round = 0; round < 5000; round++) {
                char s[256] = "";
                size_t n = 0, plain = 0;
                int parts = rand_r(&seed) % 12;
                for (int i = 0; i < parts; i++) {
                        const char *p = pieces[rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
                        if (n + strlen(p) + 1 >= sizeof(s))
                                break;
                        memcpy(s + n, p, strlen(p) + 1);
                        n += strlen(p);
                        plain += !strcmp(p, "abc");
                }
                char *v = vis(s, 0), *t = vis(s, VISIBLE_TEXT), *h = html(s);
                CHECK(clean(v, false));
                CHECK(clean(t, true));
                CHECK(clean(h, true));
                /* the printable text is all still there */
                size_t found = 0;
                for (const char *q = v; (q = strstr(q, "abc")); q += 3)
                        found++;
                CHECK(found >= plain);
                free(v);
                free(t);
                free(h);
        }
}

TAP_MAIN(T(known), T(html_and_json), T(random))
