/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Escaping and the page frame, see html.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "html.h"
#include "json.h"
#include "visible.h"

void h_rawn(Html *h, const char *s, size_t n) {
        if (!h->err && strbuf_append(&h->b, s, n) < 0)
                h->err = -ENOMEM;
}

void h_raw(Html *h, const char *s) {
        h_rawn(h, s, strlen(s));
}

void h_printf(Html *h, const char *fmt, ...) {
        char tmp[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t) n >= sizeof(tmp)) {
                h->err = h->err ?: -EINVAL;
                return;
        }
        h_rawn(h, tmp, (size_t) n);
}

void h_textn(Html *h, const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s, *end = p + n;
        while (p < end && !h->err) {
                const unsigned char *run = p;
                /* copy runs of characters that need no attention in one go */
                while (p < end && *p >= 0x20 && *p < 0x7f && !strchr("&<>\"'", *p))
                        p++;
                h_rawn(h, (const char *) run, (size_t) (p - run));
                if (p >= end)
                        break;
                switch (*p) {
                case '&': h_raw(h, "&amp;"); p++; continue;
                case '<': h_raw(h, "&lt;"); p++; continue;
                case '>': h_raw(h, "&gt;"); p++; continue;
                case '"': h_raw(h, "&quot;"); p++; continue;
                case '\'': h_raw(h, "&#39;"); p++; continue;
                }
                /* controls, bad UTF-8, bidi and invisible format characters: a visible escape */
                bool esc;
                size_t k = visible_next(p, (size_t) (end - p), VISIBLE_TEXT, &esc);
                if (esc) {
                        char buf[48];
                        h_rawn(h, buf, visible_escape_one(p, k, buf));
                } else
                        h_rawn(h, (const char *) p, k);
                p += k;
        }
}

void h_value(Html *h, const char *s) {
        for (const unsigned char *p = (const unsigned char *) (s ?: ""), *end = p + strlen(s ?: ""); p < end && !h->err;) {
                size_t k = utf8_valid_len(p, (size_t) (end - p));
                if (k == 0 || (k == 1 && (*p < 0x20 || *p == 0x7f))) {
                        h_raw(h, "\xef\xbf\xbd");
                        p++;
                } else if (k == 1 && strchr("&<>\"'", *p)) {
                        h_textn(h, (const char *) p, 1);
                        p++;
                } else {
                        h_rawn(h, (const char *) p, k);
                        p += k;
                }
        }
}

void h_text(Html *h, const char *s) {
        if (s)
                h_textn(h, s, strlen(s));
}

void h_url(Html *h, const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        for (const unsigned char *p = (const unsigned char *) (s ?: ""); *p && !h->err; p++) {
                if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    strchr("-._~", *p))
                        h_rawn(h, (const char *) p, 1);
                else {
                        char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };
                        h_rawn(h, e, 3);
                }
        }
}

void h_json(Html *h, const char *s) {
        if (!h->err && json_append_str(&h->b, s) < 0)
                h->err = -ENOMEM;
}

void h_begin(Html *h, const char *title) {
        h_raw(h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                 "<title>");
        h_text(h, title);
        h_raw(h, " - lockdep</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
                 "<link rel=\"icon\" href=\"/favicon.ico\" type=\"image/svg+xml\">"
                 "<script src=\"/static/app.js\" defer></script></head>\n<body>"
                 "<nav><a class=\"brand\" href=\"/\">lockdep</a> <a href=\"/\">Groups</a> "
                 "<a href=\"/graph\">Lock graph</a> <a href=\"/locks\">Locks</a> "
                 "<a href=\"/hosts\">Hosts</a> <a href=\"/kernels\">Kernels</a> "
                 "<a href=\"/search\">Search</a> <a href=\"/suppressions\">Suppressions</a> <a href=\"/metrics\">Metrics</a></nav>\n<main>");
}

void h_end(Html *h) {
        h_raw(h, "</main></body></html>\n");
}

int h_steal(Html *h, char **ret, size_t *ret_len) {
        if (h->err) {
                int r = h->err;
                h_done(h);
                return r;
        }
        size_t len = h->b.len;
        char *s = strbuf_steal(&h->b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        *ret_len = len;
        return 0;
}

void h_done(Html *h) {
        strbuf_done(&h->b);
        h->err = 0;
}
