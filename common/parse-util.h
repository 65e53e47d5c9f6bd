/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Numbers as users type them in URLs and on the command line: the one reading of a group, report or
 * suppression id, and of limit/offset, for lockdepctl and the API alike.
 */

#include <stdint.h>

/* A decimal id > 0: digits only (no sign, blanks or junk), at most 18 of them. 0 or -EINVAL. */
int id_from_string(const char *s, int64_t *ret);
/* A decimal number 0..max: digits only, at most 10. 0, -EINVAL (not a number) or -ERANGE. */
int uint_from_string(const char *s, unsigned max, unsigned *ret);
