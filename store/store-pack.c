/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reports.parsed on disk: the parse --json object of a report, deflated (a zlib stream, RFC 1950)
 * in a BLOB. Rows written before schema 0006 hold it as TEXT. SQL reads it through
 * lockdep_parsed(parsed), registered on every connection by store_open(): TEXT is returned as it
 * is, a BLOB inflated, NULL stays NULL; anything else is an error, never a wrong answer.
 *
 * Why: the JSON repeats the report's names and stacks (3 KB beside 4 KB of raw text); deflated it
 * is about 0.9 KB. The raw text stays TEXT: full-text search and snippets read it.
 *
 * Outside this program: python3 -c 'import zlib; print(zlib.decompress(blob).decode())'.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "store-internal.h"

#define PACK_LEVEL 1

struct StorePacker {
        z_stream z;
};

int store_packer_new(StorePacker **ret) {
        StorePacker *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        if (deflateInit(&p->z, PACK_LEVEL) != Z_OK) {
                free(p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}

StorePacker *store_packer_free(StorePacker *p) {
        if (p) {
                deflateEnd(&p->z);
                free(p);
        }
        return NULL;
}

static int pack_json(StorePacker *p, const char *js, void **ret, size_t *ret_size) {
        z_stream *z = &p->z;
        size_t len = strlen(js);
        if (deflateReset(z) != Z_OK)
                return -EIO;
        uLong bound = deflateBound(z, (uLong) len);
        unsigned char *out = malloc(bound);
        if (!out)
                return -ENOMEM;
        z->next_in = (Bytef *) js;
        z->avail_in = (uInt) len;
        z->next_out = out;
        z->avail_out = (uInt) bound;
        if (deflate(z, Z_FINISH) != Z_STREAM_END) {
                free(out);
                return -EIO;
        }
        *ret_size = z->total_out;
        *ret = out;
        return 0;
}

int store_pack_report(StorePacker *p, const LockdepReport *r, void **ret, size_t *ret_size) {
        _cleanup_free_ char *js = NULL;
        int q = lockdep_report_to_json(r, &js);
        return q < 0 ? q : pack_json(p, js, ret, ret_size);
}

/* The deflater of a writable store: made on first use. */
int store_pack_json(Store *s, const char *js, void **ret, size_t *ret_size) {
        if (!s->packer) {
                int r = store_packer_new(&s->packer);
                if (r < 0)
                        return r;
        }
        return pack_json(s->packer, js, ret, ret_size);
}

void store_pack_free(Store *s) {
        s->packer = store_packer_free(s->packer);
}

/* Inflates a whole zlib stream; the text is NUL-terminated. */
static int unpack(const void *in, size_t size, char **ret, size_t *ret_len) {
        z_stream z = { .next_in = (Bytef *) in, .avail_in = (uInt) size };
        size_t cap = size * 4 + 64, used = 0;
        char *out = NULL;
        int zr;

        if (inflateInit(&z) != Z_OK)
                return -ENOMEM;
        do {
                char *n = realloc(out, cap + 1);
                if (!n) {
                        free(out);
                        inflateEnd(&z);
                        return -ENOMEM;
                }
                out = n;
                z.next_out = (Bytef *) out + used;
                z.avail_out = (uInt) (cap - used);
                zr = inflate(&z, Z_FINISH);
                used = cap - z.avail_out;
                cap *= 2;
        } while (zr == Z_BUF_ERROR && z.avail_in > 0);
        inflateEnd(&z);
        if (zr != Z_STREAM_END) {
                free(out);
                return -EBADMSG;
        }
        out[used] = 0;
        *ret = out;
        *ret_len = used;
        return 0;
}

static void fn_lockdep_parsed(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
        (void) argc;
        switch (sqlite3_value_type(argv[0])) {
        case SQLITE_NULL:
                return;
        case SQLITE_TEXT:
                sqlite3_result_value(ctx, argv[0]);
                return;
        case SQLITE_BLOB: {
                char *text;
                size_t len;
                int r = unpack(sqlite3_value_blob(argv[0]), (size_t) sqlite3_value_bytes(argv[0]), &text, &len);
                if (r == -ENOMEM)
                        sqlite3_result_error_nomem(ctx);
                else if (r < 0)
                        sqlite3_result_error(ctx, "lockdep_parsed: damaged compressed report", -1);
                else
                        sqlite3_result_text64(ctx, text, len, free, SQLITE_UTF8);
                return;
        }
        default:
                sqlite3_result_error(ctx, "lockdep_parsed: not a parsed report", -1);
        }
}

int store_pack_register_db(sqlite3 *db) {
        return sqlite3_create_function_v2(db, "lockdep_parsed", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                          NULL, fn_lockdep_parsed, NULL, NULL, NULL);
}

int store_pack_register(Store *s) {
        int rc = store_pack_register_db(s->db);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}
