/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * StrBuf: a growable, always NUL-terminated byte buffer. The owner embeds it (no allocation for the
 * struct itself) and frees it with strbuf_done(). All appends return 0 or -ENOMEM; on failure the
 * buffer is unchanged.
 */

#include <stdarg.h>
#include <stddef.h>

#include "macro.h"

typedef struct StrBuf {
        char *s;
        size_t len;
        size_t cap;
} StrBuf;

int strbuf_reserve(StrBuf *b, size_t extra);
int strbuf_append(StrBuf *b, const char *s, size_t n);
int strbuf_appendc(StrBuf *b, char c);
int strbuf_puts(StrBuf *b, const char *s);
int strbuf_printf(StrBuf *b, const char *fmt, ...) _printf_(2, 3);
void strbuf_truncate(StrBuf *b, size_t len);
/* Hands the string to the caller (never NULL on success: "" for an empty buffer). */
char *strbuf_steal(StrBuf *b);
void strbuf_done(StrBuf *b);
