/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The application/x-www-form-urlencoded grammar of query strings and form bodies: NAME=VALUE pairs
 * separated by '&', '+' for a space, %XX escapes (names are decoded too, as libmicrohttpd does).
 * Pure functions over bytes: no allocation but for the value handed out, no state; fuzzed by
 * tests/fuzz/fuzz-http-query.c.
 *
 * This is the only reader of request arguments: libmicrohttpd's own argument parser is kept away
 * from query strings (server.c on_uri()), because it stores every pair in the connection's memory
 * pool and libmicrohttpd 0.9.75 never answers a request whose pairs do not fit there.
 */

#include <stdbool.h>
#include <stddef.h>

/* Is every '%' of s[0..n) followed by two hex digits, and none of them %00? */
bool query_escapes_valid(const char *s, size_t n);

/* The value of the first pair named name in s[0..n) (a pair without '=' has no value and is
 * skipped). Returns 1 and a malloc()ed, NUL-terminated *ret; 0 when absent; -EINVAL for a bad
 * escape or a NUL byte in the decoded name or value (which would cut it short); -ENOMEM. */
int query_find(const char *s, size_t n, const char *name, char **ret);

/* The pair at *pos of s[0..n), decoded: returns 1 with malloc()ed *ret_name and *ret_value (""
 * for a pair without '=') and *pos moved past it, 0 at the end, -EINVAL for a bad escape or a
 * NUL, -ENOMEM. */
int query_next(const char *s, size_t n, size_t *pos, char **ret_name, char **ret_value);

/* Appends the encoded form of value to buf (room for 3 * strlen(value) + 1 bytes): the inverse of
 * the decoding above, for tests and links. Returns the length written. */
size_t query_encode(char *buf, const char *value);
