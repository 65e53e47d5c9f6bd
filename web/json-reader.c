/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recursive-descent JSON reader, see json-reader.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json-reader.h"
#include "strbuf.h"

typedef struct Parser {
        const char *p;
        unsigned depth;
} Parser;

static void skip_ws(Parser *ps) {
        while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
                ps->p++;
}

static int hex4(const char *s, unsigned *ret) {
        unsigned v = 0;
        for (int i = 0; i < 4; i++) {
                char c = s[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (unsigned) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (unsigned) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (unsigned) (c - 'A' + 10);
                else
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int put_utf8(StrBuf *b, unsigned cp) {
        char u[4];
        size_t n;
        if (cp < 0x80) {
                u[0] = (char) cp;
                n = 1;
        } else if (cp < 0x800) {
                u[0] = (char) (0xc0 | (cp >> 6));
                u[1] = (char) (0x80 | (cp & 0x3f));
                n = 2;
        } else if (cp < 0x10000) {
                u[0] = (char) (0xe0 | (cp >> 12));
                u[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[2] = (char) (0x80 | (cp & 0x3f));
                n = 3;
        } else {
                u[0] = (char) (0xf0 | (cp >> 18));
                u[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
                u[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
                u[3] = (char) (0x80 | (cp & 0x3f));
                n = 4;
        }
        return strbuf_append(b, u, n);
}

static int parse_string(Parser *ps, char **ret) {
        StrBuf b = {};
        int r = -EINVAL;

        ps->p++; /* opening quote */
        for (;;) {
                char c = *ps->p;
                if (c == '"')
                        break;
                if (c == 0 || (unsigned char) c < 0x20)
                        goto fail;
                if (c != '\\') {
                        if (strbuf_appendc(&b, c) < 0)
                                goto nomem;
                        ps->p++;
                        continue;
                }
                c = *++ps->p;
                const char *esc = strchr("\"\\/bfnrt", c);
                if (c && esc) {
                        static const char out[] = "\"\\/\b\f\n\r\t";
                        if (strbuf_appendc(&b, out[esc - "\"\\/bfnrt"]) < 0)
                                goto nomem;
                        ps->p++;
                        continue;
                }
                if (c != 'u')
                        goto fail;
                unsigned cp;
                if (hex4(ps->p + 1, &cp) < 0)
                        goto fail;
                ps->p += 5;
                if (cp >= 0xd800 && cp < 0xdc00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                        unsigned lo;
                        if (hex4(ps->p + 2, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000) {
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                ps->p += 6;
                        }
                }
                if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
                        cp = 0xfffd;
                if (put_utf8(&b, cp) < 0)
                        goto nomem;
        }
        ps->p++;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
nomem:
        r = -ENOMEM;
fail:
        strbuf_done(&b);
        return r;
}

static int parse_value(Parser *ps, JsonValue **ret);

static int push_item(JsonValue *v, JsonValue *item) {
        JsonValue **n = realloc(v->items, (v->n_items + 1) * sizeof(JsonValue *));
        if (!n)
                return -ENOMEM;
        v->items = n;
        v->items[v->n_items++] = item;
        return 0;
}

static int parse_container(Parser *ps, JsonValue *v) {
        char close = v->type == JSON_ARRAY ? ']' : '}';
        int r;

        if (++ps->depth > JSON_MAX_DEPTH)
                return -EINVAL;
        ps->p++;
        skip_ws(ps);
        if (*ps->p == close) {
                ps->p++;
                ps->depth--;
                return 0;
        }
        for (;;) {
                _cleanup_free_ char *key = NULL;
                JsonValue *item;

                skip_ws(ps);
                if (v->type == JSON_OBJECT) {
                        if (*ps->p != '"')
                                return -EINVAL;
                        r = parse_string(ps, &key);
                        if (r < 0)
                                return r;
                        skip_ws(ps);
                        if (*ps->p++ != ':')
                                return -EINVAL;
                }
                r = parse_value(ps, &item);
                if (r < 0)
                        return r;
                item->key = TAKE_PTR(key);
                r = push_item(v, item);
                if (r < 0) {
                        json_value_free(item);
                        return r;
                }
                skip_ws(ps);
                if (*ps->p == ',') {
                        ps->p++;
                        continue;
                }
                if (*ps->p != close)
                        return -EINVAL;
                ps->p++;
                ps->depth--;
                return 0;
        }
}

static int parse_value(Parser *ps, JsonValue **ret) {
        _cleanup_(json_value_freep) JsonValue *v = calloc(1, sizeof(JsonValue));
        int r = 0;

        if (!v)
                return -ENOMEM;
        skip_ws(ps);
        switch (*ps->p) {
        case '{':
        case '[':
                v->type = *ps->p == '{' ? JSON_OBJECT : JSON_ARRAY;
                r = parse_container(ps, v);
                break;
        case '"':
                v->type = JSON_STRING;
                r = parse_string(ps, &v->str);
                break;
        case 't':
        case 'f':
        case 'n': {
                static const struct { const char *w; JsonType t; double n; } words[] = {
                        { "true", JSON_BOOL, 1 }, { "false", JSON_BOOL, 0 }, { "null", JSON_NULL, 0 },
                };
                r = -EINVAL;
                for (size_t i = 0; i < ELEMENTSOF(words); i++)
                        if (strncmp(ps->p, words[i].w, strlen(words[i].w)) == 0) {
                                v->type = words[i].t;
                                v->num = words[i].n;
                                ps->p += strlen(words[i].w);
                                r = 0;
                        }
                break;
        }
        default: {
                char *end;
                if (!(*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9')))
                        return -EINVAL;
                v->type = JSON_NUMBER;
                v->num = strtod(ps->p, &end);
                if (end == ps->p)
                        return -EINVAL;
                v->i = strtoll(ps->p, NULL, 10);
                ps->p = end;
        }
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        return 0;
}

int json_parse(const char *text, JsonValue **ret) {
        Parser ps = { .p = text };
        JsonValue *v;
        int r = parse_value(&ps, &v);
        if (r < 0)
                return r;
        skip_ws(&ps);
        if (*ps.p) {
                json_value_free(v);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

JsonValue *json_value_free(JsonValue *v) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n_items; i++)
                json_value_free(v->items[i]);
        free(v->items);
        free(v->key);
        free(v->str);
        free(v);
        return NULL;
}

const JsonValue *json_get(const JsonValue *obj, const char *key) {
        if (!obj || obj->type != JSON_OBJECT)
                return NULL;
        for (size_t i = 0; i < obj->n_items; i++)
                if (strcmp(obj->items[i]->key, key) == 0)
                        return obj->items[i];
        return NULL;
}

const char *json_get_str(const JsonValue *obj, const char *key) {
        const JsonValue *v = json_get(obj, key);
        return v && v->type == JSON_STRING ? v->str : NULL;
}

int64_t json_get_int(const JsonValue *obj, const char *key, int64_t def) {
        const JsonValue *v = json_get(obj, key);
        return v && (v->type == JSON_NUMBER || v->type == JSON_BOOL) ? (v->type == JSON_BOOL ? (int64_t) v->num : v->i) : def;
}

size_t json_len(const JsonValue *v) {
        return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? v->n_items : 0;
}

const JsonValue *json_at(const JsonValue *v, size_t i) {
        return i < json_len(v) ? v->items[i] : NULL;
}
