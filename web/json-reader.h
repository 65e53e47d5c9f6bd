/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A small JSON reader for the objects store/ hands out (and for API request bodies): parses a
 * whole document into a tree of JsonValue, owned by the root and freed with json_value_free().
 * Depth is limited (JSON_MAX_DEPTH) so hostile bodies cannot exhaust the stack.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "macro.h"

#define JSON_MAX_DEPTH 64

typedef enum JsonType {
        JSON_NULL,
        JSON_BOOL,
        JSON_NUMBER,
        JSON_STRING,
        JSON_ARRAY,
        JSON_OBJECT,
} JsonType;

typedef struct JsonValue JsonValue;
struct JsonValue {
        JsonType type;
        char *key;         /* member name when inside an object */
        char *str;         /* JSON_STRING (NUL-terminated; embedded NULs end it early) */
        double num;        /* JSON_NUMBER, JSON_BOOL (0/1) */
        int64_t i;         /* JSON_NUMBER as an integer (truncated) */
        JsonValue **items; /* JSON_ARRAY, JSON_OBJECT */
        size_t n_items;
};

/* 0 and *ret on success; -EINVAL for malformed input, -ENOMEM. */
int json_parse(const char *text, JsonValue **ret);
JsonValue *json_value_free(JsonValue *v);
DEFINE_TRIVIAL_CLEANUP_FUNC(JsonValue *, json_value_free);

/* Lookups that accept NULL and return NULL / defaults for missing members or wrong types. */
const JsonValue *json_get(const JsonValue *obj, const char *key);
const char *json_get_str(const JsonValue *obj, const char *key);  /* NULL unless a string */
int64_t json_get_int(const JsonValue *obj, const char *key, int64_t def);
size_t json_len(const JsonValue *v);                               /* items of an array/object */
const JsonValue *json_at(const JsonValue *v, size_t i);
