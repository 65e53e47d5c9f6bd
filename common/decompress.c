/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gzip (zlib inflate with gzip header detection), xz (liblzma stream decoder) and zstd
 * (ZSTD_decompressStream) behind one push interface. Each backend consumes all the input it is
 * given, flushing its fixed output buffer into the sink whenever it fills.
 */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#include "macro.h"

#define OUT_SIZE (256 * 1024)
#define READ_SIZE (1024 * 1024)

struct Decompressor {
        DecompressFormat format;
        DecompressSink sink;
        void *userdata;
        uint64_t bytes_out;
        bool in_stream;  /* inside a member/stream/frame: the input may not end here */
        bool any_stream; /* at least one complete stream was decoded */
        unsigned char *out;
        union {
                z_stream z;
                lzma_stream x;
                ZSTD_DStream *zs;
        };
};

DecompressFormat decompress_detect(const void *buf, size_t n) {
        const unsigned char *b = buf;
        if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
                return DECOMPRESS_GZIP;
        if (n >= 6 && memcmp(b, "\xfd" "7zXZ\0", 6) == 0)
                return DECOMPRESS_XZ;
        if (n >= 4 && memcmp(b, "\x28\xb5\x2f\xfd", 4) == 0)
                return DECOMPRESS_ZSTD;
        return DECOMPRESS_NONE;
}

const char *decompress_format_to_string(DecompressFormat f) {
        static const char *const names[_DECOMPRESS_FORMAT_MAX] = {
                [DECOMPRESS_NONE] = "plain",
                [DECOMPRESS_GZIP] = "gzip",
                [DECOMPRESS_XZ] = "xz",
                [DECOMPRESS_ZSTD] = "zstd",
        };
        return f >= 0 && f < _DECOMPRESS_FORMAT_MAX ? names[f] : NULL;
}

void binary_sniff_feed(BinarySniff *s, const void *buf, size_t n) {
        const unsigned char *b = buf;
        n = MIN(n, DECOMPRESS_SNIFF_BYTES - MIN(s->seen, (size_t) DECOMPRESS_SNIFF_BYTES));
        for (size_t i = 0; i < n; i++) {
                unsigned char c = b[i];
                if ((c < 0x20 && c != '\t' && c != '\n' && c != '\v' && c != '\f' && c != '\r' && c != '\b' &&
                     c != 0x1b) ||
                    c == 0x7f)
                        s->bad++;
        }
        s->seen += n;
}

bool binary_sniff_is_binary(const BinarySniff *s) {
        return s->seen > 0 && s->bad * 16 > s->seen;
}

static int emit(Decompressor *d, size_t n) {
        if (n == 0)
                return 0;
        d->bytes_out += n;
        return d->sink(d->out, n, d->userdata);
}

int decompressor_new(DecompressFormat f, DecompressSink sink, void *userdata, Decompressor **ret) {
        Decompressor *d;

        if (f < 0 || f >= _DECOMPRESS_FORMAT_MAX || !sink || !ret)
                return -EINVAL;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->format = f;
        d->sink = sink;
        d->userdata = userdata;
        if (f != DECOMPRESS_NONE) {
                d->out = malloc(OUT_SIZE);
                if (!d->out) {
                        free(d);
                        return -ENOMEM;
                }
        }
        switch (f) {
        case DECOMPRESS_GZIP:
                /* 15 + 16: gzip header and trailer only (no raw zlib streams) */
                if (inflateInit2(&d->z, 15 + 16) != Z_OK)
                        goto oom;
                break;
        case DECOMPRESS_XZ:
                d->x = (lzma_stream) LZMA_STREAM_INIT;
                /* one stream after the other, like xz -d; no memory limit beyond the format's */
                if (lzma_stream_decoder(&d->x, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
                        goto oom;
                break;
        case DECOMPRESS_ZSTD:
                d->zs = ZSTD_createDStream();
                if (!d->zs)
                        goto oom;
                break;
        default:
                break;
        }
        *ret = d;
        return 0;
oom:
        free(d->out);
        free(d);
        return -ENOMEM;
}

Decompressor *decompressor_free(Decompressor *d) {
        if (!d)
                return NULL;
        switch (d->format) {
        case DECOMPRESS_GZIP:
                inflateEnd(&d->z);
                break;
        case DECOMPRESS_XZ:
                lzma_end(&d->x);
                break;
        case DECOMPRESS_ZSTD:
                ZSTD_freeDStream(d->zs);
                break;
        default:
                break;
        }
        free(d->out);
        free(d);
        return NULL;
}

static int feed_gzip(Decompressor *d, const unsigned char *in, size_t n) {
        z_stream *z = &d->z;

        while (n > 0) {
                /* avail_in is a uInt: feed at most 1 GiB at a time */
                uInt take = (uInt) MIN(n, (size_t) 1 << 30);
                z->next_in = (Bytef *) in;
                z->avail_in = take;
                /* until the input is used up and no output is left inside zlib */
                do {
                        z->next_out = d->out;
                        z->avail_out = OUT_SIZE;
                        if (z->avail_in > 0)
                                d->in_stream = true;
                        int zr = inflate(z, Z_NO_FLUSH);
                        if (zr == Z_MEM_ERROR)
                                return -ENOMEM;
                        if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                                return -EBADMSG;
                        int r = emit(d, OUT_SIZE - z->avail_out);
                        if (r < 0)
                                return r;
                        if (zr == Z_STREAM_END) {
                                /* another member may follow (concatenated .gz files) */
                                d->in_stream = false;
                                d->any_stream = true;
                                if (inflateReset(z) != Z_OK)
                                        return -EBADMSG;
                        } else if (zr == Z_BUF_ERROR)
                                break; /* no progress possible: needs more input */
                } while (z->avail_in > 0 || z->avail_out == 0);
                in += take;
                n -= take;
        }
        return 0;
}

static int feed_xz(Decompressor *d, const unsigned char *in, size_t n, bool finish) {
        lzma_stream *x = &d->x;

        x->next_in = in;
        x->avail_in = n;
        for (;;) {
                x->next_out = d->out;
                x->avail_out = OUT_SIZE;
                lzma_ret lr = lzma_code(x, finish ? LZMA_FINISH : LZMA_RUN);
                int r = emit(d, OUT_SIZE - x->avail_out);
                if (r < 0)
                        return r;
                switch (lr) {
                case LZMA_OK:
                        break;
                case LZMA_STREAM_END:
                        d->any_stream = true;
                        d->in_stream = false;
                        return 0;
                case LZMA_MEM_ERROR:
                        return -ENOMEM;
                case LZMA_BUF_ERROR:
                        return finish ? -EPIPE : 0;
                default:
                        return -EBADMSG;
                }
                d->in_stream = true;
                if (x->avail_in == 0 && x->avail_out > 0 && !finish)
                        return 0;
        }
}

static int feed_zstd(Decompressor *d, const unsigned char *in, size_t n) {
        ZSTD_inBuffer ib = { .src = in, .size = n };
        bool full;

        /* until the input is used up and the decoder holds no more output back */
        do {
                ZSTD_outBuffer ob = { .dst = d->out, .size = OUT_SIZE };
                size_t zr = ZSTD_decompressStream(d->zs, &ob, &ib);
                if (ZSTD_isError(zr))
                        return -EBADMSG; /* allocation failures included: libzstd does not tell them apart here */
                int r = emit(d, ob.pos);
                if (r < 0)
                        return r;
                /* 0: a frame ended exactly here; another one may follow */
                d->in_stream = zr != 0;
                if (zr == 0)
                        d->any_stream = true;
                full = ob.pos == ob.size;
        } while (ib.pos < ib.size || full);
        return 0;
}

int decompressor_feed(Decompressor *d, const void *buf, size_t n) {
        if (!d || (!buf && n > 0))
                return -EINVAL;
        if (n == 0)
                return 0;
        switch (d->format) {
        case DECOMPRESS_NONE:
                d->bytes_out += n;
                return d->sink(buf, n, d->userdata);
        case DECOMPRESS_GZIP:
                return feed_gzip(d, buf, n);
        case DECOMPRESS_XZ:
                return feed_xz(d, buf, n, false);
        case DECOMPRESS_ZSTD:
                return feed_zstd(d, buf, n);
        default:
                return -EINVAL;
        }
}

int decompressor_finish(Decompressor *d) {
        if (!d)
                return -EINVAL;
        if (d->format == DECOMPRESS_XZ) {
                int r = feed_xz(d, NULL, 0, true);
                if (r < 0)
                        return r;
        }
        if (d->format == DECOMPRESS_NONE)
                return 0;
        return d->in_stream || !d->any_stream ? -EPIPE : 0;
}

uint64_t decompressor_bytes_out(const Decompressor *d) {
        return d ? d->bytes_out : 0;
}

static ssize_t read_full(int fd, unsigned char *buf, size_t n) {
        size_t got = 0;
        while (got < n) {
                ssize_t k = read(fd, buf + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                if (k == 0)
                        break;
                got += (size_t) k;
        }
        return (ssize_t) got;
}

int decompress_fd(int fd, DecompressSink sink, void *userdata, DecompressFormat *ret_format) {
        _cleanup_free_ unsigned char *buf = malloc(READ_SIZE);
        Decompressor *d = NULL;
        ssize_t n;
        int r;

        if (!buf)
                return -ENOMEM;
        /* the first piece decides the format: read until the magic is complete or EOF */
        n = read_full(fd, buf, DECOMPRESS_MAGIC_MAX);
        if (n < 0)
                return (int) n;
        DecompressFormat f = decompress_detect(buf, (size_t) n);
        if (ret_format)
                *ret_format = f;
        r = decompressor_new(f, sink, userdata, &d);
        if (r < 0)
                return r;
        for (;;) {
                if (n > 0) {
                        r = decompressor_feed(d, buf, (size_t) n);
                        if (r < 0)
                                break;
                }
                n = read(fd, buf, READ_SIZE);
                if (n < 0 && errno == EINTR) {
                        n = 0;
                        continue;
                }
                if (n < 0) {
                        r = -errno;
                        break;
                }
                if (n == 0) {
                        r = decompressor_finish(d);
                        break;
                }
        }
        decompressor_free(d);
        return r;
}
