/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Text from kernel logs and journals made visible (issue 14): what would act on a terminal or on
 * the layout of a page instead of showing is written as an escape that shows what is there.
 * The one rule for every front end: the web pages and SVG (web/html.c h_text()), the CLI
 * (cli/util.c fputs_safe()), JSON strings (common/json.c).
 *
 *   bytes that are not UTF-8, C0 controls but (with VISIBLE_TEXT) newline and tab, DEL,
 *   C1 controls (U+0080..U+009F)                                   -> \xNN for each byte
 *   bidi controls (U+200E/F, U+202A..U+202E, U+2066..U+2069, U+061C), other invisible format
 *   characters (U+00AD, U+180E, U+200B..U+200D, U+2060..U+2064, U+206A..U+206F, U+FEFF,
 *   U+FFF9..U+FFFB, tags U+E0000..U+E007F), line and paragraph separators (U+2028/9)
 *                                                                  -> \uXXXX (\UXXXXXXXX above U+FFFF)
 *
 * An ANSI escape sequence thus shows as \x1b[31m, a right-to-left override as \u202e.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

typedef enum VisibleFlags {
        VISIBLE_TEXT = 1 << 0, /* keep newlines and tabs */
} VisibleFlags;

/* The character at s[0..n) (n > 0): its length in bytes, and whether it needs an escape, which
 * visible_escape_one() writes. */
size_t visible_next(const unsigned char *s, size_t n, VisibleFlags flags, bool *ret_escape);
/* The escape of s[0..len) (len <= 4) as visible_next() found it, into buf (room for 48 bytes).
 * Returns the length written, NUL-terminated. */
size_t visible_escape_one(const unsigned char *s, size_t len, char *buf);
/* Appends s[0..n) with every such character escaped. 0 or -ENOMEM. */
int visible_append(StrBuf *b, const char *s, size_t n, VisibleFlags flags);
