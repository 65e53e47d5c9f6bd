/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one rule for host names (issue 14), used by every way a name comes in:
 *
 *   lockdepctl import --host, lockdepctl push --host, POST /api/v1/ingest   -> rejected with the text
 *                                                                          of host_name_check()
 *   names read from log text (syslog/journal prefixes, parser), from a remote journal's _HOSTNAME
 *   (lockdepd), from a log file's name                                    -> cannot be refused: stored
 *                                                                          as host_name_sanitize() makes
 *                                                                          them, and counted by
 *                                                                          lockdep_hosts_sanitized (/metrics)
 *
 * A valid name: 1 to HOST_NAME_LEN_MAX bytes of UTF-8 without control characters (C0, DEL, C1),
 * bidi controls or other invisible format characters (common/visible.h lists them) and without a
 * backslash. The backslash is kept for sanitized names: each has one (its escapes, or "\empty",
 * or the "\~HASH" of a name cut short), so that no valid name is ever mistaken for one.
 */

#include <stdbool.h>
#include <stddef.h>

#define HOST_NAME_LEN_MAX 255
/* Room for a sanitized name and its NUL. */
#define HOST_NAME_BUF (HOST_NAME_LEN_MAX + 1)

/* NULL when s[0..n) is a valid host name, else why not ("is longer than 255 bytes", "has a control character", ...). */
const char *host_name_check_n(const char *s, size_t n);
const char *host_name_check(const char *s);
static inline bool host_name_valid(const char *s) {
        return !host_name_check(s);
}
/* A valid name for s[0..n) into buf (HOST_NAME_BUF bytes): s itself when valid; else every
 * offending character as its visible escape (\xNN, \uXXXX), a backslash as \x5c, cut at a
 * character boundary with "\~" and 8 hex digits of a hash of the whole of s when too long, "\empty"
 * for an empty name. Returns true when buf differs from s. */
bool host_name_sanitize(const char *s, size_t n, char buf[static HOST_NAME_BUF]);
/* Whether a stored name is one that host_name_sanitize() made (it has a backslash). */
bool host_name_is_sanitized(const char *s);
