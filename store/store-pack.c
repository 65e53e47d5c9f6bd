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
 *
 * reports.logged (0014): the report's lines as the log had them (LockdepReport.logged), split
 * into what raw does not hold and references to raw's lines, deflated with raw as preset
 * dictionary. NULL when not kept (rows before 0014). Before deflating ("split form"):
 *
 *   FLAGS '\n' PREFIX_1 '\n' ... PREFIX_n '\n'
 *
 * one flag per physical line: '0'..'9' = the line is PREFIX_i followed by the raw line after
 * skipping that many raw lines from where the previous reference left off; 'x' = PREFIX_i is the
 * whole line (not one of raw's: a line re-joined in raw, colour codes, quoted-printable). The
 * prefixes (timestamps, host tags) are most of what is stored, 4-14 bytes a line deflated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "store-internal.h"
#include "strbuf.h"

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

static int pack_text(StorePacker *p, const char *js, size_t len, const char *dict, size_t dict_len, void **ret,
                     size_t *ret_size) {
        z_stream *z = &p->z;
        if (deflateReset(z) != Z_OK)
                return -EIO;
        /* (only the last 32 KiB of a dictionary can be referred to) */
        if (dict_len > 32768) {
                dict += dict_len - 32768;
                dict_len = 32768;
        }
        if (dict && dict_len > 0 && deflateSetDictionary(z, (const Bytef *) dict, (uInt) dict_len) != Z_OK)
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

static int pack_json(StorePacker *p, const char *js, void **ret, size_t *ret_size) {
        return pack_text(p, js, strlen(js), NULL, 0, ret, ret_size);
}

int store_pack_report(StorePacker *p, const LockdepReport *r, void **ret, size_t *ret_size) {
        _cleanup_free_ char *js = NULL;
        int q = lockdep_report_to_json(r, &js);
        return q < 0 ? q : pack_json(p, js, ret, ret_size);
}

/* The next line of [*s, e) (without its '\n'); false at the end. */
static bool next_line(const char **s, const char *e, const char **ret, size_t *ret_len) {
        if (*s >= e)
                return false;
        const char *nl = memchr(*s, '\n', (size_t) (e - *s));
        *ret = *s;
        *ret_len = nl ? (size_t) (nl - *s) : (size_t) (e - *s);
        *s = nl ? nl + 1 : e;
        return true;
}

/* logged in the split form (above), against raw. */
static int logged_split(const char *logged, size_t len, const char *raw, size_t raw_len, StrBuf *ret) {
        StrBuf flags = {}, pre = {};
        const char *ls = logged, *le = logged + len, *rs = raw, *re = raw + raw_len, *l;
        size_t n;
        int q = 0;

        while (q >= 0 && next_line(&ls, le, &l, &n)) {
                /* the line ends in one of the next raw lines (at most 9 skipped: lines raw has and
                 * the log did not, such as an internal WARN's message before its title) */
                const char *r = rs, *x, *found = NULL;
                size_t k = 0, skip;
                for (skip = 0; skip <= 9 && next_line(&r, re, &x, &k); skip++)
                        if (k <= n && memcmp(l + n - k, x, k) == 0) {
                                found = r;
                                break;
                        }
                if (found) {
                        rs = found;
                        q = strbuf_appendc(&flags, (char) ('0' + skip));
                        n -= k;
                } else
                        q = strbuf_appendc(&flags, 'x');
                if (q >= 0)
                        q = strbuf_append(&pre, l, n);
                if (q >= 0)
                        q = strbuf_appendc(&pre, '\n');
        }
        if (q >= 0)
                q = strbuf_append(ret, flags.s ? flags.s : "", flags.len);
        if (q >= 0)
                q = strbuf_appendc(ret, '\n');
        if (q >= 0)
                q = strbuf_append(ret, pre.s ? pre.s : "", pre.len);
        strbuf_done(&flags);
        strbuf_done(&pre);
        return q;
}

/* The logged text of the split form s (n bytes) against raw; -EBADMSG if they do not fit. */
static int logged_join(const char *s, size_t n, const char *raw, size_t raw_len, char **ret, size_t *ret_len) {
        const char *e = s + n, *fl = memchr(s, '\n', n), *rs = raw, *re = raw + raw_len;
        StrBuf b = {};
        int q = 0;

        if (!fl)
                return -EBADMSG;
        const char *p = fl + 1, *l, *x;
        size_t ln, k;
        for (const char *f = s; q >= 0 && f < fl; f++) {
                if (!next_line(&p, e, &l, &ln) || (*f != 'x' && (*f < '0' || *f > '9'))) {
                        q = -EBADMSG;
                        break;
                }
                q = strbuf_append(&b, l, ln);
                if (q >= 0 && *f != 'x') {
                        bool got = false;
                        for (int skip = *f - '0'; skip >= 0 && (got = next_line(&rs, re, &x, &k)); skip--)
                                ;
                        q = got ? strbuf_append(&b, x, k) : -EBADMSG;
                }
                if (q >= 0)
                        q = strbuf_appendc(&b, '\n');
        }
        if (q >= 0 && p != e)
                q = -EBADMSG;
        if (q < 0) {
                strbuf_done(&b);
                return q;
        }
        *ret_len = b.len;
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

int store_pack_logged(StorePacker *p, const LockdepReport *r, void **ret, size_t *ret_size) {
        if (!r->logged) {
                *ret = NULL;
                *ret_size = 0;
                return 0;
        }
        StrBuf b = {};
        int q = logged_split(r->logged, r->logged_len, r->text ? r->text : "", r->text_len, &b);
        if (q >= 0)
                q = pack_text(p, b.s, b.len, r->text, r->text_len, ret, ret_size);
        strbuf_done(&b);
        return q;
}

int store_pack_logged_s(Store *s, const LockdepReport *r, void **ret, size_t *ret_size) {
        if (!s->packer) {
                int q = store_packer_new(&s->packer);
                if (q < 0)
                        return q;
        }
        return store_pack_logged(s->packer, r, ret, ret_size);
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

/* Inflates a whole zlib stream (made with dict as preset dictionary, or none); the text is
 * NUL-terminated. */
static int unpack_dict(const void *in, size_t size, const char *dict, size_t dict_len, char **ret, size_t *ret_len) {
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
                if (zr == Z_NEED_DICT) {
                        if (dict_len > 32768) {
                                dict += dict_len - 32768;
                                dict_len = 32768;
                        }
                        if (!dict || inflateSetDictionary(&z, (const Bytef *) dict, (uInt) dict_len) != Z_OK)
                                zr = Z_DATA_ERROR;
                        else
                                zr = inflate(&z, Z_FINISH);
                }
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

static int unpack(const void *in, size_t size, char **ret, size_t *ret_len) {
        return unpack_dict(in, size, NULL, 0, ret, ret_len);
}

int store_unpack_logged(const void *blob, size_t size, const char *raw, size_t raw_len, char **ret, size_t *ret_len) {
        _cleanup_free_ char *split = NULL;
        size_t n;
        int q = unpack_dict(blob, size, raw, raw_len, &split, &n);
        return q < 0 ? q : logged_join(split, n, raw ? raw : "", raw_len, ret, ret_len);
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
