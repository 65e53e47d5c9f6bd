/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "parse-util.h"

int id_from_string(const char *s, int64_t *ret) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
                return -EINVAL;
        int64_t v = strtoll(s, NULL, 10);
        if (v <= 0)
                return -EINVAL;
        *ret = v;
        return 0;
}

int uint_from_string(const char *s, unsigned max, unsigned *ret) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 10 || strspn(s, "0123456789") != n)
                return -EINVAL;
        unsigned long long v = strtoull(s, NULL, 10);
        if (v > max)
                return -ERANGE;
        *ret = (unsigned) v;
        return 0;
}
