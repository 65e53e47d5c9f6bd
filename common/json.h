/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "strbuf.h"

/* Appends s as a JSON string literal ("null" for NULL). 0 or -ENOMEM. */
int json_append_str(StrBuf *b, const char *s);
/* Appends v[0..n) as a JSON array of strings. 0 or -ENOMEM. */
int json_append_str_array(StrBuf *b, const char *const *v, size_t n);
/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if it is not one. */
size_t utf8_valid_len(const unsigned char *s, size_t n);
