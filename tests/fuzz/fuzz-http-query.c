/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * fuzz-http-query: web/query.c, the reader of query strings and form bodies (every GET argument and
 * every form field a client sends).
 *
 * Input: the bytes up to the first NUL are the query string (a form body may hold any byte; the
 * query reader gets explicit lengths), the rest is a value to plant. Checked:
 *  - query_find() returns 1, 0, -EINVAL or -ENOMEM; a value it returns is NUL-terminated, no
 *    longer than the input, and holds no NUL byte;
 *  - an input whose escapes query_escapes_valid() accepts never gives -EINVAL;
 *  - round trip: the planted value, encoded with query_encode() into "...&fz=VALUE&..." around the
 *    input, is found back unchanged (unless the input itself holds an "fz=" pair before it).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

#define die(...) do { fprintf(stderr, "fuzz-http-query: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static const char *const names[] = { "kind", "status", "host", "kernel", "lock", "since", "until", "sort",
                                     "limit", "offset", "token", "fz", "a", "" };

static void check_find(const char *s, size_t n, const char *name) {
        char *v = NULL;
        int r = query_find(s, n, name, &v);
        if (r != 0 && r != 1 && r != -EINVAL && r != -ENOMEM)
                die("query_find() returned %d", r);
        if (r == 1) {
                if (!v)
                        die("found, but no value");
                if (strlen(v) > n)
                        die("value longer than the input");
        }
        if (r == -EINVAL && query_escapes_valid(s, n) && !memchr(s, 0, n))
                die("-EINVAL for an input whose escapes are valid");
        free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *s = (const char *) data;
        const uint8_t *nul = memchr(data, 0, size);
        size_t n = nul ? (size_t) (nul - data) : size;

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                check_find(s, size, names[i]); /* a form body: any bytes */
                check_find(s, n, names[i]);
        }

        /* round trip */
        if (!nul)
                return 0;
        size_t vn = size - n - 1;
        char *value = malloc(vn + 1);
        if (!value)
                return 0;
        memcpy(value, nul + 1, vn);
        value[vn] = 0;
        vn = strlen(value); /* up to an embedded NUL */
        char *enc = malloc(3 * vn + 1), *q = malloc(n + 3 * vn + 16);
        if (!enc || !q)
                goto out;
        query_encode(enc, value);
        /* the planted pair first: the first pair of a name wins */
        int len = sprintf(q, "fz=%s&", enc);
        memcpy(q + len, s, n);
        char *got = NULL;
        int r = query_find(q, (size_t) len + n, "fz", &got);
        if (r != 1 || strcmp(got, value) != 0)
                die("round trip of a %zu-byte value: %d \"%s\"", vn, r, got ? got : "(none)");
        free(got);
out:
        free(value);
        free(enc);
        free(q);
        return 0;
}
