/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Html: an output buffer with a sticky error, so page code can append without checking every
 * call; the first -ENOMEM is kept in err and later appends do nothing.
 *
 * Everything that came from a kernel log (task names, lock classes, functions, raw text) and
 * everything from the request goes through h_text() (HTML text and quoted attribute values: & < >
 * " ' are escaped; invalid UTF-8, control characters, bidi controls and other invisible format
 * characters are shown as visible escapes such as \x1b or \u202e, common/visible.h) or h_url() (a URL component:
 * everything but unreserved characters percent-encoded). h_raw()/h_printf() are for our own
 * markup and numbers only.
 */

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

typedef struct Html {
        StrBuf b;
        int err;
} Html;

void h_raw(Html *h, const char *s);
void h_rawn(Html *h, const char *s, size_t n);
void h_printf(Html *h, const char *fmt, ...) _printf_(2, 3);
void h_text(Html *h, const char *s);
void h_textn(Html *h, const char *s, size_t n);
void h_url(Html *h, const char *s);
/* A form field's value sent back to the one who typed it (a refused form): HTML-escaped and as
 * typed, bidi and format characters included (an input field shows them isolated); controls and
 * bad UTF-8 become U+FFFD. Never for text from a log. */
void h_value(Html *h, const char *s);
void h_json(Html *h, const char *s); /* a JSON string literal */
/* The page frame: doctype, head with the stylesheet and script, navigation; title is escaped. */
void h_begin(Html *h, const char *title);
void h_end(Html *h);
/* Moves the text out (caller frees); -ENOMEM if any append failed. */
int h_steal(Html *h, char **ret, size_t *ret_len);
void h_done(Html *h);
