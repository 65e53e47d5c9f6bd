/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gzip (ISA-L's igzip streaming inflate when built with it, else zlib's inflate with gzip header
 * detection), xz (liblzma stream decoder) and zstd (ZSTD_decompressStream) behind one push
 * interface. Each backend consumes all the input it is given, flushing its fixed output buffer
 * into the sink whenever it fills.
 */
#include <errno.h>
#if HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif
#include <lzma.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#include "gunzip-par.h"
#include "macro.h"

#define OUT_SIZE (256 * 1024)
#define READ_SIZE (1024 * 1024)

struct Decompressor {
        DecompressFormat format;
        bool isal; /* gzip through ISA-L (else zlib) */
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
#if HAVE_ISAL
                struct inflate_state *isal_state; /* 200 KiB or so: allocated */
#endif
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

bool decompress_have_isal(void) {
        return HAVE_ISAL;
}

int decompressor_new(DecompressFormat f, DecompressSink sink, void *userdata, Decompressor **ret) {
        return decompressor_new_full(f, 0, sink, userdata, ret);
}

int decompressor_new_full(DecompressFormat f, DecompressFlags flags, DecompressSink sink, void *userdata,
                          Decompressor **ret) {
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
#if HAVE_ISAL
                if (!(flags & DECOMPRESS_ZLIB)) {
                        d->isal = true;
                        d->isal_state = malloc(sizeof(struct inflate_state));
                        if (!d->isal_state)
                                goto oom;
                        isal_inflate_init(d->isal_state);
                        d->isal_state->crc_flag = ISAL_GZIP; /* header parsed, CRC-32 and size verified */
                        break;
                }
#endif
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
#if HAVE_ISAL
                if (d->isal) {
                        free(d->isal_state);
                        break;
                }
#endif
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

#if HAVE_ISAL
static int feed_isal(Decompressor *d, const unsigned char *in, size_t n) {
        struct inflate_state *st = d->isal_state;

        while (n > 0) {
                /* avail_in is 32 bits: at most 1 GiB at a time */
                uint32_t take = (uint32_t) MIN(n, (size_t) 1 << 30);
                st->next_in = (uint8_t *) in;
                st->avail_in = take;
                for (;;) {
                        st->next_out = d->out;
                        st->avail_out = OUT_SIZE;
                        if (st->avail_in > 0)
                                d->in_stream = true;
                        uint32_t avail_before = st->avail_in;
                        int ir = isal_inflate(st);
                        if (ir != ISAL_DECOMP_OK && ir != ISAL_END_INPUT && ir != ISAL_OUT_OVERFLOW)
                                return -EBADMSG; /* bad block, symbol, distance, header or checksum */
                        int r = emit(d, OUT_SIZE - st->avail_out);
                        if (r < 0)
                                return r;
                        if (st->block_state == ISAL_BLOCK_FINISH) {
                                /* member complete (trailer verified); another may follow */
                                uint8_t *next = st->next_in;
                                uint32_t avail = st->avail_in;
                                d->in_stream = false;
                                d->any_stream = true;
                                isal_inflate_reset(st);
                                st->crc_flag = ISAL_GZIP;
                                st->next_in = next;
                                st->avail_in = avail;
                                if (avail == 0)
                                        break;
                                continue;
                        }
                        /* output room left over: all input is inside the decoder */
                        if (st->avail_in == 0 && st->avail_out > 0)
                                break;
                        /* neither input taken nor output made: never loop (igzip takes all it
                         * is given into its own buffer, so this does not happen on valid data) */
                        if (st->avail_in == avail_before && st->avail_out == OUT_SIZE)
                                return -EBADMSG;
                }
                in += take;
                n -= take;
        }
        return 0;
}
#endif

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
#if HAVE_ISAL
                if (d->isal)
                        return feed_isal(d, buf, n);
#endif
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

ssize_t decompress_read_full(int fd, unsigned char *buf, size_t n, int64_t off) {
        size_t got = 0;
        while (got < n) {
                ssize_t k = off < 0 ? read(fd, buf + got, n - got) : pread(fd, buf + got, n - got, (off_t) off + (off_t) got);
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

/* The serial loop: read, decode, hand over, in the caller's thread. buf holds the n bytes read
 * already (the magic). */
static int decode_fd_serial(int fd, Decompressor *d, unsigned char *buf, ssize_t n) {
        int r;
        for (;;) {
                if (n > 0) {
                        r = decompressor_feed(d, buf, (size_t) n);
                        if (r < 0)
                                return r;
                }
                n = read(fd, buf, READ_SIZE);
                if (n < 0 && errno == EINTR) {
                        n = 0;
                        continue;
                }
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return decompressor_finish(d);
        }
}

/* ---- two threads: decoding pipelined with the consumer ---------------------------------------
 *
 * Inflating gzip (or xz, zstd) and parsing the text each take one core; in one thread their times
 * add up. For compressed input a second thread reads and decodes into a ring of plain-text slots
 * while the caller's thread hands full slots to the sink, so the sink is still called in the
 * caller's thread, in order, with every byte once. Memory: PIPE_SLOTS * PIPE_SLOT bytes. A sink
 * error stops the decoder at its next slot; the decoder's result (0, -EPIPE, -EBADMSG, -errno) is
 * returned after the last slot it filled was consumed. */

#define PIPE_SLOTS 4
#define PIPE_SLOT  (1024 * 1024)

typedef struct Pipe {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        unsigned char *slot[PIPE_SLOTS];
        size_t len[PIPE_SLOTS];
        unsigned head, tail; /* slots filled: tail .. head-1 (mod PIPE_SLOTS), counted up */
        bool done;           /* the decoder finished; result is valid */
        bool stop;           /* the consumer failed: the decoder should stop */
        int result;
        /* decoder side */
        int fd;
        Decompressor *d;
        unsigned char *buf;
        ssize_t first;
        size_t fill;         /* bytes in slot[head % PIPE_SLOTS] not yet published */
} Pipe;

/* Decoder thread: publish the slot being filled; wait for a free one. */
static int pipe_publish(Pipe *p) {
        pthread_mutex_lock(&p->lock);
        p->len[p->head % PIPE_SLOTS] = p->fill;
        p->head++;
        p->fill = 0;
        pthread_cond_broadcast(&p->cond);
        while (!p->stop && p->head - p->tail == PIPE_SLOTS)
                pthread_cond_wait(&p->cond, &p->lock);
        bool stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        return stop ? -ECANCELED : 0;
}

/* The Decompressor's sink in the decoder thread: copies into the slot being filled. */
static int pipe_sink(const void *buf, size_t n, void *userdata) {
        Pipe *p = userdata;
        const unsigned char *b = buf;
        while (n > 0) {
                size_t k = MIN(n, PIPE_SLOT - p->fill);
                memcpy(p->slot[p->head % PIPE_SLOTS] + p->fill, b, k);
                p->fill += k;
                b += k;
                n -= k;
                if (p->fill == PIPE_SLOT) {
                        int r = pipe_publish(p);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static void *pipe_decoder(void *userdata) {
        Pipe *p = userdata;
        int r = decode_fd_serial(p->fd, p->d, p->buf, p->first);
        if (r != -ECANCELED && p->fill > 0)
                (void) pipe_publish(p); /* the last piece, also before an error */
        pthread_mutex_lock(&p->lock);
        p->result = r;
        p->done = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

static int decode_fd_pipelined(int fd, DecompressFormat f, unsigned char *buf, ssize_t n, DecompressSink sink,
                               void *userdata, bool *ret_started) {
        Pipe p = { .fd = fd, .buf = buf, .first = n };
        pthread_t thread;
        int r = 0;

        *ret_started = false;
        for (size_t i = 0; i < PIPE_SLOTS; i++) {
                p.slot[i] = malloc(PIPE_SLOT);
                if (!p.slot[i]) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        r = decompressor_new(f, pipe_sink, &p, &p.d);
        if (r < 0)
                goto out;
        pthread_mutex_init(&p.lock, NULL);
        pthread_cond_init(&p.cond, NULL);
        if (pthread_create(&thread, NULL, pipe_decoder, &p) != 0) {
                r = 0; /* not started: the caller decodes in its own thread */
                goto destroy;
        }
        *ret_started = true;
        pthread_mutex_lock(&p.lock);
        for (;;) {
                while (p.tail == p.head && !p.done)
                        pthread_cond_wait(&p.cond, &p.lock);
                if (p.tail == p.head)
                        break; /* done and every slot consumed */
                unsigned char *b = p.slot[p.tail % PIPE_SLOTS];
                size_t len = p.len[p.tail % PIPE_SLOTS];
                pthread_mutex_unlock(&p.lock);
                r = sink(b, len, userdata); /* the slot is not reused before tail moves on */
                pthread_mutex_lock(&p.lock);
                p.tail++;
                if (r < 0) {
                        p.stop = true;
                        pthread_cond_broadcast(&p.cond);
                        break;
                }
                pthread_cond_broadcast(&p.cond);
        }
        pthread_mutex_unlock(&p.lock);
        pthread_join(thread, NULL);
        if (r >= 0)
                r = p.result;
destroy:
        pthread_cond_destroy(&p.cond);
        pthread_mutex_destroy(&p.lock);
        decompressor_free(p.d);
out:
        for (size_t i = 0; i < PIPE_SLOTS; i++)
                free(p.slot[i]);
        return r;
}

int decompress_fd(int fd, DecompressSink sink, void *userdata, DecompressFormat *ret_format) {
        _cleanup_free_ unsigned char *buf = malloc(READ_SIZE);
        Decompressor *d = NULL;
        ssize_t n;
        int r;

        if (!buf)
                return -ENOMEM;
        /* the first piece decides the format: read until the magic is complete or EOF */
        n = decompress_read_full(fd, buf, DECOMPRESS_MAGIC_MAX, -1);
        if (n < 0)
                return (int) n;
        DecompressFormat f = decompress_detect(buf, (size_t) n);
        if (ret_format)
                *ret_format = f;
#if HAVE_ISAL
        const char *threads = getenv("LOCKDEP_GUNZIP_THREADS");
        if (f == DECOMPRESS_GZIP && !(threads && strcmp(threads, "0") == 0)) {
                bool started;
                GunzipParStats stats = {};
                GunzipParOptions opt;
                gunzip_par_options_from_env(&opt);
                r = gunzip_par_fd(fd, buf, (size_t) n, sink, userdata, &opt, &started, &stats);
                if (started && getenv("LOCKDEP_GUNZIP_STATS"))
                        fprintf(stderr,
                                "gunzip: %u pieces used, %u discarded, %u unconfirmed, %u failed, %u late; %llu bytes speculative, %llu of "
                                "them from the window, %llu decoded twice; CPU ms: in-order %.0f, speculative %.0f, consumer %.0f\n",
                                stats.chunks_used, stats.chunks_discarded, stats.chunks_unconfirmed, stats.chunks_failed,
                                stats.chunks_late,
                                (unsigned long long) stats.bytes_speculative,
                                (unsigned long long) stats.bytes_unresolved, (unsigned long long) stats.bytes_double,
                                stats.cpu_ns_a / 1e6, stats.cpu_ns_b / 1e6, stats.cpu_ns_consumer / 1e6);
                if (started || r < 0)
                        return r;
        }
#endif
        if (f != DECOMPRESS_NONE) {
                bool started;
                r = decode_fd_pipelined(fd, f, buf, n, sink, userdata, &started);
                if (started || r < 0)
                        return r;
        }
        r = decompressor_new(f, sink, userdata, &d);
        if (r < 0)
                return r;
        r = decode_fd_serial(fd, d, buf, n);
        decompressor_free(d);
        return r;
}
