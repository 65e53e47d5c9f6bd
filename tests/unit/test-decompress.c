/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Covers common/decompress.h: magic-byte detection; gzip, xz and zstd streams made here with the
 * libraries' own encoders decode to the original bytes whatever the input piece size (1 byte to
 * all at once), also for output much larger than the decoder's buffer and for concatenated
 * members/streams/frames; a truncated stream is -EPIPE, corrupt data -EBADMSG; a sink's error
 * stops the feed with that value; decompress_fd() on a pipe; the binary-data heuristic. gzip is
 * decoded by both backends when ISA-L is built in (igzip and zlib, DECOMPRESS_ZLIB), which must
 * agree byte for byte and error for error: multi-member files, truncation at every kind of place,
 * corrupt blocks, a wrong CRC-32 or length in the trailer. The parallel gzip decoder of files
 * (gunzip-par.h, ISA-L builds) with small pieces, so that many of them are decoded speculatively:
 * the same bytes and the same result as the sequential decoder for single and multi-member files of
 * every compression level and strategy, truncated, corrupt, with a wrong trailer, with trailing
 * garbage, with a sink error.
 */

#include <errno.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#if HAVE_ISAL
#include "gunzip-par.h"
#endif
#include "macro.h"

#include "tap.h"

typedef struct Out {
        unsigned char *p;
        size_t len, cap;
        int fail_after; /* > 0: the sink returns -ECANCELED once this many calls were made */
        int calls;
} Out;

static int sink(const void *buf, size_t n, void *userdata) {
        Out *o = userdata;
        if (o->fail_after > 0 && ++o->calls >= o->fail_after)
                return -ECANCELED;
        if (o->len + n > o->cap) {
                o->cap = (o->len + n) * 2;
                o->p = realloc(o->p, o->cap);
                assert(o->p);
        }
        memcpy(o->p + o->len, buf, n);
        o->len += n;
        return 0;
}

/* A log-like text of n bytes (compressible, but not trivially). */
static unsigned char *make_text(size_t n) {
        unsigned char *t = malloc(n);
        size_t i = 0;
        unsigned k = 0;
        assert(t);
        while (i < n) {
                char line[128];
                int l = snprintf(line, sizeof(line), "[%5u.%06u] line %u of the test log, %08x\n", k / 1000,
                                 (k * 7919) % 1000000, k, k * 2654435761u);
                for (int j = 0; j < l && i < n; j++)
                        t[i++] = (unsigned char) line[j];
                k++;
        }
        return t;
}

static size_t compress_gzip(const unsigned char *in, size_t n, unsigned char **ret) {
        z_stream z = {};
        size_t cap = compressBound(n) + 64;
        unsigned char *out = malloc(cap);
        assert(out && deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        z.next_in = (Bytef *) in;
        z.avail_in = n;
        z.next_out = out;
        z.avail_out = cap;
        assert(deflate(&z, Z_FINISH) == Z_STREAM_END);
        size_t len = z.total_out;
        deflateEnd(&z);
        *ret = out;
        return len;
}

static size_t compress_xz(const unsigned char *in, size_t n, unsigned char **ret) {
        size_t cap = lzma_stream_buffer_bound(n), pos = 0;
        unsigned char *out = malloc(cap);
        assert(out);
        assert(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, NULL, in, n, out, &pos, cap) == LZMA_OK);
        *ret = out;
        return pos;
}

static size_t compress_zstd(const unsigned char *in, size_t n, unsigned char **ret) {
        size_t cap = ZSTD_compressBound(n);
        unsigned char *out = malloc(cap);
        assert(out);
        size_t len = ZSTD_compress(out, cap, in, n, 3);
        assert(!ZSTD_isError(len));
        *ret = out;
        return len;
}

typedef size_t (*CompressFunc)(const unsigned char *in, size_t n, unsigned char **ret);

static const struct {
        DecompressFormat f;
        CompressFunc compress;
} formats[] = {
        { DECOMPRESS_GZIP, compress_gzip },
        { DECOMPRESS_XZ, compress_xz },
        { DECOMPRESS_ZSTD, compress_zstd },
};

/* Decodes c[0..n) in pieces of size step; returns the decoder's result, output in *o. */
static int decode_flags(DecompressFormat f, DecompressFlags flags, const unsigned char *c, size_t n, size_t step,
                        Out *o) {
        Decompressor *d = NULL;
        int r = decompressor_new_full(f, flags, sink, o, &d);
        assert(r >= 0);
        for (size_t i = 0; r >= 0 && i < n; i += step)
                r = decompressor_feed(d, c + i, MIN(step, n - i));
        if (r >= 0)
                r = decompressor_finish(d);
        if (r >= 0)
                assert(decompressor_bytes_out(d) == o->len);
        decompressor_free(d);
        return r;
}

static int decode(DecompressFormat f, const unsigned char *c, size_t n, size_t step, Out *o) {
        return decode_flags(f, 0, c, n, step, o);
}

TEST(detect) {
        CHECK(decompress_detect("\x1f\x8b\x08\x00", 4) == DECOMPRESS_GZIP);
        CHECK(decompress_detect("\xfd" "7zXZ\0\0", 7) == DECOMPRESS_XZ);
        CHECK(decompress_detect("\x28\xb5\x2f\xfd\x00", 5) == DECOMPRESS_ZSTD);
        CHECK(decompress_detect("[    0.000000] Linux", 20) == DECOMPRESS_NONE);
        CHECK(decompress_detect("\xfd" "7zX", 4) == DECOMPRESS_NONE); /* too short to be xz */
        CHECK(decompress_detect("", 0) == DECOMPRESS_NONE);
        CHECK_STREQ(decompress_format_to_string(DECOMPRESS_ZSTD), "zstd");
        CHECK_STREQ(decompress_format_to_string(DECOMPRESS_NONE), "plain");
}

TEST(round_trip_every_piece_size) {
        size_t n = 3 * 1024 * 1024 + 17; /* several output buffers */
        unsigned char *t = make_text(n);
        for (size_t k = 0; k < ELEMENTSOF(formats); k++) {
                unsigned char *c;
                size_t cn = formats[k].compress(t, n, &c);
                CHECK(decompress_detect(c, cn) == formats[k].f);
                size_t steps[] = { 1, 7, 4096, 65536 + 3, cn };
                for (size_t s = 0; s < ELEMENTSOF(steps); s++) {
                        if (steps[s] == 1 && formats[k].f == DECOMPRESS_XZ && cn > 400000)
                                continue; /* byte-wise xz is slow under ASan; 7 covers it */
                        Out o = {};
                        int r = decode(formats[k].f, c, cn, steps[s], &o);
                        CHECK(r == 0);
                        CHECK(o.len == n && memcmp(o.p, t, n) == 0);
                        if (r != 0 || o.len != n)
                                printf("# %s step %zu: r=%d len=%zu\n", decompress_format_to_string(formats[k].f),
                                       steps[s], r, o.len);
                        free(o.p);
                }
                free(c);
        }
        free(t);
}

TEST(concatenated) {
        unsigned char *a = make_text(100000), *b = make_text(5000);
        for (size_t k = 0; k < ELEMENTSOF(formats); k++) {
                unsigned char *ca, *cb;
                size_t na = formats[k].compress(a, 100000, &ca), nb = formats[k].compress(b, 5000, &cb);
                unsigned char *cat = malloc(na + nb);
                memcpy(cat, ca, na);
                memcpy(cat + na, cb, nb);
                Out o = {};
                CHECK(decode(formats[k].f, cat, na + nb, 1000, &o) == 0);
                CHECK(o.len == 105000 && memcmp(o.p, a, 100000) == 0 && memcmp(o.p + 100000, b, 5000) == 0);
                free(o.p);
                free(cat);
                free(ca);
                free(cb);
        }
        free(a);
        free(b);
}

TEST(truncated_and_corrupt) {
        unsigned char *t = make_text(200000);
        for (size_t k = 0; k < ELEMENTSOF(formats); k++) {
                unsigned char *c;
                size_t cn = formats[k].compress(t, 200000, &c);
                const char *name = decompress_format_to_string(formats[k].f);
                /* cut anywhere after the magic: never the whole text, never success */
                size_t cuts[] = { DECOMPRESS_MAGIC_MAX, cn / 3, cn / 2, cn - 1 };
                for (size_t i = 0; i < ELEMENTSOF(cuts); i++) {
                        Out o = {};
                        int r = decode(formats[k].f, c, cuts[i], 4096, &o);
                        CHECK(r == -EPIPE || r == -EBADMSG);
                        CHECK(o.len < 200000 || cuts[i] == cn - 1); /* the trailer only */
                        if (r != -EPIPE && r != -EBADMSG)
                                printf("# %s cut at %zu of %zu: r=%d\n", name, cuts[i], cn, r);
                        free(o.p);
                }
                /* garbage in the middle */
                unsigned char *bad = malloc(cn);
                memcpy(bad, c, cn);
                for (size_t i = cn / 2; i < cn / 2 + 64 && i < cn; i++)
                        bad[i] ^= 0x5a;
                Out o = {};
                int r = decode(formats[k].f, bad, cn, 4096, &o);
                CHECK(r == -EBADMSG);
                if (r != -EBADMSG)
                        printf("# %s corrupt: r=%d\n", name, r);
                free(o.p);
                /* trailing garbage after a complete stream */
                unsigned char *tail = malloc(cn + 16);
                memcpy(tail, c, cn);
                memcpy(tail + cn, "this is no frame", 16);
                o = (Out) {};
                r = decode(formats[k].f, tail, cn + 16, 4096, &o);
                CHECK(r == -EBADMSG || r == -EPIPE);
                free(o.p);
                free(tail);
                free(bad);
                free(c);
        }
        free(t);
}

TEST(sink_error_stops) {
        unsigned char *t = make_text(2 * 1024 * 1024);
        for (size_t k = 0; k < ELEMENTSOF(formats); k++) {
                unsigned char *c;
                size_t cn = formats[k].compress(t, 2 * 1024 * 1024, &c);
                Out o = { .fail_after = 2 };
                CHECK(decode(formats[k].f, c, cn, cn, &o) == -ECANCELED);
                CHECK(o.calls == 2);
                free(o.p);
                free(c);
        }
        Out o = { .fail_after = 1 };
        CHECK(decode(DECOMPRESS_NONE, t, 100, 100, &o) == -ECANCELED);
        free(t);
}

TEST(fd) {
        unsigned char *t = make_text(300000), *c;
        size_t cn = compress_zstd(t, 300000, &c);
        int p[2];
        assert(pipe(p) == 0);
        pid_t pid = fork();
        assert(pid >= 0);
        if (pid == 0) {
                close(p[0]);
                /* in small writes, so that the reader sees the magic split over reads */
                for (size_t i = 0; i < cn; i += 3)
                        if (write(p[1], c + i, MIN((size_t) 3, cn - i)) < 0)
                                _exit(1);
                _exit(0);
        }
        close(p[1]);
        Out o = {};
        DecompressFormat f = DECOMPRESS_NONE;
        CHECK(decompress_fd(p[0], sink, &o, &f) == 0);
        CHECK(f == DECOMPRESS_ZSTD);
        CHECK(o.len == 300000 && memcmp(o.p, t, 300000) == 0);
        close(p[0]);
        waitpid(pid, NULL, 0);
        free(o.p);
        /* decoded in a second thread: a sink error stops it (sink called in this thread, in order,
         * never again after the error), truncation and corruption reach the caller after the text
         * before them */
        size_t big = 9 * 1024 * 1024 + 5; /* more than the ring of slots */
        unsigned char *bt = make_text(big), *bc;
        size_t bcn = compress_gzip(bt, big, &bc);
        for (int mode = 0; mode < 4; mode++) {
                char path[] = "/tmp/test-decompress-XXXXXX";
                int fd = mkstemp(path);
                assert(fd >= 0);
                unlink(path);
                size_t len = mode == 2 ? bcn / 2 : bcn;
                unsigned char *data = malloc(bcn);
                memcpy(data, bc, bcn);
                if (mode == 3)
                        data[bcn / 2] ^= 0xff, data[bcn / 2 + 1] ^= 0xff, data[bcn / 2 + 2] ^= 0xff;
                assert(write(fd, data, len) == (ssize_t) len);
                assert(lseek(fd, 0, SEEK_SET) == 0);
                o = (Out) { .fail_after = mode == 1 ? 3 : 0 };
                int r = decompress_fd(fd, sink, &o, &f);
                if (mode == 0)
                        CHECK(r == 0 && o.len == big && memcmp(o.p, bt, big) == 0);
                else if (mode == 1)
                        CHECK(r == -ECANCELED && o.calls == 3 && memcmp(o.p, bt, o.len) == 0);
                else if (mode == 2)
                        CHECK(r == -EPIPE && o.len < big && memcmp(o.p, bt, o.len) == 0);
                else /* what was decoded before the damage is the text; after it, not */
                        CHECK(r == -EBADMSG && o.len < big && o.len > big / 3 && memcmp(o.p, bt, big / 3) == 0);
                if (mode == 2)
                        CHECK(o.len > big / 3); /* the text before the cut arrived */
                printf("# fd mode %d: r=%d len=%zu of %zu\n", mode, r, o.len, big);
                close(fd);
                free(data);
                free(o.p);
        }
        free(bc);
        free(bt);
        /* plain text passes through, even shorter than the magic */
        assert(pipe(p) == 0);
        CHECK(write(p[1], "ab\n", 3) == 3);
        close(p[1]);
        o = (Out) {};
        CHECK(decompress_fd(p[0], sink, &o, &f) == 0);
        CHECK(f == DECOMPRESS_NONE && o.len == 3 && memcmp(o.p, "ab\n", 3) == 0);
        close(p[0]);
        free(o.p);
        free(c);
        free(t);
}

static bool looks_binary(const void *buf, size_t n, size_t piece) {
        BinarySniff s = {};
        for (size_t i = 0; i < n; i += piece)
                binary_sniff_feed(&s, (const char *) buf + i, MIN(piece, n - i));
        CHECK(s.seen == MIN(n, (size_t) DECOMPRESS_SNIFF_BYTES));
        return binary_sniff_is_binary(&s);
}

TEST(looks_binary) {
        size_t n = 3 * DECOMPRESS_SNIFF_BYTES;
        unsigned char *t = make_text(n);
        CHECK(!looks_binary(t, n, 6));
        /* a few NUL bytes and a binary line inside a log are still text */
        for (size_t i = 100; i < 400; i += 3)
                t[i] = 0;
        CHECK(!looks_binary(t, n, n));
        /* random bytes are binary, in any piece size */
        unsigned x = 12345;
        for (size_t i = 0; i < n; i++) {
                x = x * 1103515245 + 12345;
                t[i] = (unsigned char) (x >> 16);
        }
        CHECK(looks_binary(t, n, 1000));
        CHECK(looks_binary(t, n, 1));
        /* only the first DECOMPRESS_SNIFF_BYTES count: text after binary does not help */
        memset(t + DECOMPRESS_SNIFF_BYTES, 'a', n - DECOMPRESS_SNIFF_BYTES);
        CHECK(looks_binary(t, n, 4096));
        memset(t, 0, 4096);
        CHECK(looks_binary(t, 4096, 4096));
        /* UTF-8 and Latin-1 text with ANSI colours is text */
        const char *s = "\x1b[32m[    1.000000]\x1b[0m gr\xc3\xbc\xc3\x9f \xe9t\xe9\tok\r\n";
        CHECK(!looks_binary(s, strlen(s), 3));
        CHECK(!looks_binary("", 0, 1));
        free(t);
}

/* gzip -1 .. -9 members of different texts, concatenated, plus a member of an empty text. */
static size_t gzip_members(unsigned char **ret, unsigned char **ret_text, size_t *ret_text_len) {
        size_t sizes[] = { 1, 0, 70000, 1500000, 33, 400000 };
        size_t cn = 0, tn = 0;
        unsigned char *cat = NULL, *text = NULL;
        for (size_t i = 0; i < ELEMENTSOF(sizes); i++) {
                unsigned char *t = make_text(sizes[i] + 1), *c;
                z_stream z = {};
                size_t cap = compressBound(sizes[i]) + 64;
                c = malloc(cap);
                assert(c && deflateInit2(&z, 1 + (int) i, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
                z.next_in = t + 1; /* a different start in each member */
                z.avail_in = sizes[i];
                z.next_out = c;
                z.avail_out = cap;
                assert(deflate(&z, Z_FINISH) == Z_STREAM_END);
                cat = realloc(cat, cn + z.total_out);
                text = realloc(text, tn + sizes[i] + 1);
                assert(cat && text);
                memcpy(cat + cn, c, z.total_out);
                memcpy(text + tn, t + 1, sizes[i]);
                cn += z.total_out;
                tn += sizes[i];
                deflateEnd(&z);
                free(c);
                free(t);
        }
        *ret = cat;
        *ret_text = text;
        *ret_text_len = tn;
        return cn;
}

TEST(gzip_backends_agree) {
        unsigned char *c, *t;
        size_t tn, cn = gzip_members(&c, &t, &tn);
        DecompressFlags backends[] = { 0, DECOMPRESS_ZLIB };

        printf("# ISA-L %s\n", decompress_have_isal() ? "built in: igzip and zlib compared" : "not built in: zlib twice");
        /* multi-member: the whole text, in every piece size, from each backend */
        size_t steps[] = { 1, 5, 4093, 1 << 20, cn };
        for (size_t b = 0; b < ELEMENTSOF(backends); b++)
                for (size_t s = 0; s < ELEMENTSOF(steps); s++) {
                        Out o = {};
                        int r = decode_flags(DECOMPRESS_GZIP, backends[b], c, cn, steps[s], &o);
                        CHECK(r == 0 && o.len == tn && memcmp(o.p, t, tn) == 0);
                        if (r != 0 || o.len != tn)
                                printf("# backend %zu step %zu: r=%d len=%zu of %zu\n", b, steps[s], r, o.len, tn);
                        free(o.p);
                }
        /* cut at 200 places (member boundaries and headers among them): the same error and a
         * prefix of the text from both; only a cut at a member boundary is a complete file */
        for (size_t i = 1; i <= 200; i++) {
                size_t cut = i == 200 ? cn - 1 : cn * i / 200;
                Out o[2] = {};
                int r[2];
                for (size_t b = 0; b < 2; b++) {
                        r[b] = decode_flags(DECOMPRESS_GZIP, backends[b], c, cut, 4096, &o[b]);
                        CHECK(o[b].len <= tn && memcmp(o[b].p ? o[b].p : t, t, o[b].len) == 0);
                }
                CHECK(r[0] == r[1]);
                CHECK(r[0] == -EPIPE || r[0] == -EBADMSG || (r[0] == 0 && o[0].len == o[1].len));
                if (r[0] != r[1])
                        printf("# cut at %zu of %zu: igzip %d, zlib %d\n", cut, cn, r[0], r[1]);
                free(o[0].p);
                free(o[1].p);
        }
        /* the last member's trailer: a wrong CRC-32, a wrong length */
        for (size_t k = 0; k < 2; k++) {
                unsigned char *bad = malloc(cn);
                memcpy(bad, c, cn);
                bad[cn - 8 + 4 * k] ^= 0x01;
                for (size_t b = 0; b < 2; b++) {
                        Out o = {};
                        int r = decode_flags(DECOMPRESS_GZIP, backends[b], bad, cn, 65536, &o);
                        CHECK(r == -EBADMSG);
                        if (r != -EBADMSG)
                                printf("# trailer %s, backend %zu: r=%d\n", k ? "length" : "crc", b, r);
                        free(o.p);
                }
                free(bad);
        }
        free(c);
        free(t);
}


#if HAVE_ISAL
/* Text with long-range repeats (as logs have: the same lines again and again, some text that
 * varies), seeded. */
static unsigned char *make_log(size_t n, unsigned seed) {
        static const char *const words[] = { "lock", "mutex", "&rq->__lock", "rcu_read_lock", "kworker/0:1",
                                             "__might_sleep", "WARNING:", "possible", "circular", "dependency",
                                             "ext4_", "xfs_", "\xc3\xbc", "\t", "[ 12.345678]", "0x", "=" };
        unsigned char *t = malloc(n);
        unsigned x = seed * 2654435761u + 1;
        size_t i = 0;
        assert(t);
        while (i < n) {
                x = x * 1103515245 + 12345;
                char line[160];
                int l;
                if ((x >> 16) % 7 == 0) /* a line seen before (from far back, often) */
                        l = snprintf(line, sizeof(line), "[%6u.%06u] %s %s held by %s at %u\n", (x >> 20) % 999,
                                     (x >> 8) % 1000000, words[(x >> 3) % ELEMENTSOF(words)],
                                     words[(x >> 7) % ELEMENTSOF(words)], words[(x >> 11) % ELEMENTSOF(words)],
                                     (x >> 24) % 13);
                else
                        l = snprintf(line, sizeof(line), "[%6u.%06u] %s %08x %s\n", (unsigned) (i / 1000),
                                     (unsigned) (i % 1000000), words[(x >> 5) % ELEMENTSOF(words)], x,
                                     words[(x >> 9) % ELEMENTSOF(words)]);
                for (int j = 0; j < l && i < n; j++)
                        t[i++] = (unsigned char) line[j];
        }
        return t;
}

static size_t deflate_gzip(const unsigned char *in, size_t n, int level, int strategy, size_t flush_every,
                           unsigned char **ret) {
        z_stream z = {};
        size_t cap = compressBound(n) + 64 + (flush_every ? n / flush_every * 16 : 0), done = 0;
        unsigned char *out = malloc(cap);
        assert(out && deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, strategy) == Z_OK);
        z.next_out = out;
        z.avail_out = cap;
        while (done < n) {
                size_t k = flush_every ? MIN(flush_every, n - done) : n - done;
                z.next_in = (Bytef *) in + done;
                z.avail_in = k;
                done += k;
                int fl = done == n ? Z_FINISH : Z_FULL_FLUSH;
                assert(deflate(&z, fl) == (fl == Z_FINISH ? Z_STREAM_END : Z_OK));
        }
        size_t len = z.total_out;
        deflateEnd(&z);
        *ret = out;
        return len;
}

static int tmpfile_with(const unsigned char *data, size_t n) {
        char path[] = "/tmp/test-gunzip-par-XXXXXX";
        int fd = mkstemp(path);
        assert(fd >= 0);
        unlink(path);
        /* a few bytes before: the decoder starts at the file offset it is given */
        assert(write(fd, "junk", 4) == 4);
        assert(write(fd, data, n) == (ssize_t) n);
        assert(lseek(fd, 4, SEEK_SET) == 4);
        return fd;
}

/* Parallel (small pieces) against the push decoder: the same result and bytes. */
static int par_vs_push(const unsigned char *c, size_t cn, const char *what, GunzipParStats *ret_stats,
                       Out *ret_out) {
        GunzipParOptions opt = { .la = 20000, .lb = 12000, .late_max = 1000000, .patient = true };
        Out op = {}, os = {};
        int fd = tmpfile_with(c, cn);
        unsigned char head[DECOMPRESS_MAGIC_MAX];
        ssize_t hn = read(fd, head, sizeof(head));
        assert(hn >= 0);
        bool started;
        GunzipParStats stats = {};
        int rp = gunzip_par_fd(fd, head, (size_t) hn, sink, &op, &opt, &started, &stats);
        CHECK(started);
        close(fd);
        int rs = decode_flags(DECOMPRESS_GZIP, 0, c, cn, 65536, &os);
        /* errors: the same; text: the same bytes up to where the shorter stops (the push decoder
         * may emit a little more of a damaged block before it notices) */
        bool same = rp == rs && (rp == 0 ? op.len == os.len : true) &&
                    memcmp(op.p ? op.p : (unsigned char *) "", os.p ? os.p : (unsigned char *) "", MIN(op.len, os.len)) == 0;
        CHECK(same);
        if (!same)
                printf("# %s: parallel r=%d len=%zu, sequential r=%d len=%zu\n", what, rp, op.len, rs, os.len);
        if (ret_stats)
                *ret_stats = stats;
        free(os.p);
        if (ret_out)
                *ret_out = op;
        else
                free(op.p);
        return rp;
}

TEST(gzip_parallel) {
        size_t n = 2 * 1024 * 1024 + 11;
        unsigned char *t = make_log(n, 1);
        struct {
                int level, strategy;
                size_t flush;
        } kinds[] = {
                { 6, Z_DEFAULT_STRATEGY, 0 }, { 1, Z_DEFAULT_STRATEGY, 0 }, { 9, Z_DEFAULT_STRATEGY, 0 },
                { 6, Z_FIXED, 0 },            { 6, Z_HUFFMAN_ONLY, 0 },      { 0, Z_DEFAULT_STRATEGY, 0 },
                { 6, Z_DEFAULT_STRATEGY, 100000 }, /* empty stored blocks between, as pigz -i */
        };
        unsigned used_total = 0;
        for (size_t k = 0; k < ELEMENTSOF(kinds); k++) {
                unsigned char *c;
                size_t cn = deflate_gzip(t, n, kinds[k].level, kinds[k].strategy, kinds[k].flush, &c);
                char what[64];
                snprintf(what, sizeof(what), "level %d strategy %d flush %zu", kinds[k].level, kinds[k].strategy,
                         kinds[k].flush);
                GunzipParStats st;
                Out o;
                int r = par_vs_push(c, cn, what, &st, &o);
                CHECK(r == 0 && o.len == n && memcmp(o.p, t, n) == 0);
                printf("# %s: %zu bytes, %u pieces used, %u discarded, %u unconfirmed, %u late, %u failed, %llu "
                       "bytes from the window\n", what, cn, st.chunks_used, st.chunks_discarded, st.chunks_unconfirmed,
                       st.chunks_late, st.chunks_failed, (unsigned long long) st.bytes_unresolved);
                CHECK(st.chunks_late == 0 && st.chunks_unconfirmed == 0 && st.chunks_failed == 0);
                if (kinds[k].strategy == Z_DEFAULT_STRATEGY && kinds[k].level > 0)
                        CHECK(st.chunks_used > 0 && st.bytes_unresolved > 0); /* it did speculate */
                used_total += st.chunks_used;
                free(o.p);
                if (kinds[k].level != 6 || kinds[k].strategy != Z_DEFAULT_STRATEGY)
                        goto next; /* cuts and damage: level 6, one block stream and with flushes */
                /* cut at 24 places: the same error, the same text before it */
                for (size_t i = 1; i <= 24; i++) {
                        size_t cut = cn * i / 25;
                        snprintf(what, sizeof(what), "level %d cut at %zu", kinds[k].level, cut);
                        r = par_vs_push(c, cut, what, NULL, NULL);
                        CHECK(r == -EPIPE);
                }
                /* damage in 12 places (bytes flipped): an error (never a success with other bytes) */
                for (size_t i = 1; i <= 12; i++) {
                        unsigned char *bad = malloc(cn);
                        memcpy(bad, c, cn);
                        size_t at = 20 + (cn - 40) * i / 13;
                        bad[at] ^= 0x10;
                        bad[at + 1] ^= 0x81;
                        snprintf(what, sizeof(what), "level %d damage at %zu", kinds[k].level, at);
                        r = par_vs_push(bad, cn, what, NULL, &o);
                        CHECK(r == -EBADMSG || r == -EPIPE || (r == 0 && o.len == n && memcmp(o.p, t, n) == 0));
                        free(o.p);
                        free(bad);
                }
        next:
                free(c);
        }
        CHECK(used_total > 0);
        free(t);
}

TEST(gzip_parallel_members) {
        /* members of 1 MiB of text each (bgzip writes 64 KiB ones), some empty, one with a name,
         * then the same with a wrong CRC-32, a wrong length, garbage, a cut header after them */
        size_t n = 4 * 1024 * 1024 + 5, step = 1024 * 1024;
        unsigned char *t = make_log(n, 2), *cat = NULL;
        size_t cn = 0;
        for (size_t at = 0; at <= n; at += step) {
                unsigned char *c;
                size_t len = deflate_gzip(t + at, MIN(step, n - at), 6, Z_DEFAULT_STRATEGY, 0, &c);
                cat = realloc(cat, cn + len + 64);
                assert(cat);
                if (at == step) { /* FNAME and FCOMMENT in this member's header */
                        memcpy(cat + cn, c, 10);
                        cat[cn + 3] |= 8 | 16;
                        memcpy(cat + cn + 10, "name.log\0comment\0", 17);
                        memcpy(cat + cn + 27, c + 10, len - 10);
                        len += 17;
                } else
                        memcpy(cat + cn, c, len);
                cn += len;
                free(c);
        }
        Out o;
        int r = par_vs_push(cat, cn, "members", NULL, &o);
        CHECK(r == 0 && o.len == n && memcmp(o.p, t, n) == 0);
        free(o.p);
        /* the last trailer: CRC-32, then length */
        for (size_t k = 0; k < 2; k++) {
                cat[cn - 8 + 4 * k] ^= 1;
                CHECK(par_vs_push(cat, cn, k ? "length" : "crc", NULL, NULL) == -EBADMSG);
                cat[cn - 8 + 4 * k] ^= 1;
        }
        cat = realloc(cat, cn + 16);
        memcpy(cat + cn, "\x1f\x8b\x08\x00\x00", 5);
        CHECK(par_vs_push(cat, cn + 5, "a cut header after the members", NULL, NULL) == -EPIPE);
        memcpy(cat + cn, "trailing garbage", 16);
        CHECK(par_vs_push(cat, cn + 16, "garbage after the members", NULL, NULL) == -EBADMSG);
        free(cat);
        free(t);
}

TEST(gzip_parallel_sink_error) {
        size_t n = 4 * 1024 * 1024;
        unsigned char *t = make_log(n, 3), *c;
        size_t cn = deflate_gzip(t, n, 6, Z_DEFAULT_STRATEGY, 0, &c);
        for (int after = 1; after <= 3; after++) {
                GunzipParOptions opt = { .la = 20000, .lb = 12000, .late_max = 1000000, .patient = true };
                int fd = tmpfile_with(c, cn);
                Out o = { .fail_after = after };
                bool started;
                int r = gunzip_par_fd(fd, NULL, 0, sink, &o, &opt, &started, NULL);
                CHECK(r == -ECANCELED);
                if (r != -ECANCELED)
                        printf("# sink error after %d: r=%d calls=%d len=%zu\n", after, r, o.calls, o.len);
                /* the sink is never called again after its error */
                CHECK(started && o.calls == after && memcmp(o.p ? o.p : t, t, o.len) == 0);
                close(fd);
                free(o.p);
        }
        /* too small for the options: not started, nothing read */
        GunzipParOptions opt = { .la = 20000, .lb = 12000, .min_file = cn + 1 };
        int fd = tmpfile_with(c, cn);
        bool started = true;
        Out o = {};
        CHECK(gunzip_par_fd(fd, NULL, 0, sink, &o, &opt, &started, NULL) == 0 && !started && o.len == 0);
        close(fd);
        free(c);
        free(t);
}
#endif

TAP_MAIN(
#if HAVE_ISAL
         T(gzip_parallel), T(gzip_parallel_members), T(gzip_parallel_sink_error),
#endif
         T(detect), T(gzip_backends_agree), T(round_trip_every_piece_size), T(concatenated), T(truncated_and_corrupt),
         T(sink_error_stops), T(fd), T(looks_binary))
