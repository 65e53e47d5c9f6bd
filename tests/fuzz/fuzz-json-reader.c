/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * fuzz-json-reader: web/json-reader.c, which reads JSON request bodies (triage, merge, split,
 * suppressions) from any client with a token, and the store's answers.
 *
 * The input is parsed as a NUL-terminated string. Checked: json_parse() returns 0, -EINVAL or
 * -ENOMEM; a tree it returns is walked completely (every string NUL-terminated, every member keyed,
 * nesting within JSON_MAX_DEPTH) and freed; json_get() of a few names answers for objects.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-reader.h"

#define die(...) do { fprintf(stderr, "fuzz-json-reader: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static size_t walk(const JsonValue *v, unsigned depth, bool in_object) {
        size_t sum = 0;
        if (depth > JSON_MAX_DEPTH + 1)
                die("nesting %u beyond JSON_MAX_DEPTH", depth);
        if (in_object && !v->key)
                die("object member without a key");
        if (v->key)
                sum += strlen(v->key);
        switch (v->type) {
        case JSON_STRING:
                if (!v->str)
                        die("string without text");
                sum += strlen(v->str);
                break;
        case JSON_ARRAY:
        case JSON_OBJECT:
                if (v->n_items && !v->items)
                        die("%zu items, no array", v->n_items);
                for (size_t i = 0; i < v->n_items; i++)
                        sum += walk(v->items[i], depth + 1, v->type == JSON_OBJECT);
                break;
        case JSON_NULL:
        case JSON_BOOL:
        case JSON_NUMBER:
                break;
        default:
                die("type %d", (int) v->type);
        }
        return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        JsonValue *v = NULL;
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = 0;
        int r = json_parse(s, &v);
        if (r != 0 && r != -EINVAL && r != -ENOMEM)
                die("json_parse() returned %d", r);
        if (r == 0) {
                if (!v)
                        die("success without a tree");
                (void) walk(v, 1, false);
                if (v->type == JSON_OBJECT)
                        for (const char *const *n = (const char *const[]) { "status", "note", "reports", "into", NULL }; *n; n++)
                                (void) json_get(v, *n);
        }
        json_value_free(v);
        free(s);
        return 0;
}
