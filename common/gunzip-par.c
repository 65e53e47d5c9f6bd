/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parallel gzip decoding of one file with ISA-L (igzip), on the idle core the parser leaves.
 *
 * Threads: the caller's thread (the consumer: CRC-32 of each member, the sink, in order); A, the
 * in-order decoder (the gzip container and raw-deflate inflate of every byte not covered by B);
 * B, the speculative decoder. B places pieces ("chunks") ahead of A in the compressed file: it
 * finds a dynamic-Huffman block header some distance ahead (block_header_at(), a full check of the
 * code lengths), inflates from there without knowing the 32 KiB window before it, and stops at a
 * later block boundary. It does so twice at once, with two different made-up windows (dict1,
 * dict2): a byte that is the same in both decodes came from the compressed data; a byte that
 * differs was copied from the window, and the pair of values says from which of its 32768
 * positions (window_index()). Once the last 32 KiB of output agree, nothing later can refer to the
 * window and B continues with one decoder. (Logs rarely get there: their lines copy window bytes
 * forward again and again, and most pieces are decoded twice to their end.)
 *
 * A piece is used only when A, decoding in order, arrives at its first block exactly: A feeds its
 * state the compressed bytes up to there and then, on a copy of its state, a made-up final empty
 * block (confirm_bits()); the decoder ends cleanly on exactly those bits only if the real stream has
 * a block boundary at that bit (a position inside a block would have to end that block and a
 * complete final block within the 10 made-up bits, which the bits rule out). B's end boundary is
 * checked the same way on B's own decode. Then A replaces the window bytes from the last 32 KiB of
 * its own output, hands the piece over (no copy) and continues after it with that window. Any
 * doubt (no boundary found, a decode error in B, no confirmation, B too late or too far behind)
 * leaves the bytes to A: the output is always exactly that of one sequential inflate, errors
 * included (corrupt data: -EBADMSG; cut: -EPIPE; CRC-32 and length checked per member in the
 * consumer).
 *
 * B is off by default (LOCKDEP_GUNZIP_THREADS=2 turns it on): on the logs measured, window
 * references never die out, so nearly every piece is decoded twice and its window bytes filled in
 * by the consumer, which costs more than A saves (bench/RESULTS.md). B only helps with a core to spare: A waits for a piece only when B is about to finish it, B stops
 * after LATE_MAX late pieces in a row, and when the process gets fewer than 1.5 CPUs while B works
 * (a loaded machine: the second decode would only take CPU from A). Then A decodes alone.
 *
 * Memory: 4 MiB of slots for A's output, two pieces of B (about LB * 5 of text each, twice while
 * decoding), the input buffers: about 30 MiB with the defaults.
 */
#include <endian.h>
#include <errno.h>
#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gunzip-par.h"
#include "macro.h"

#define HIST       32768
#define SLOTS      4
#define SLOT       (1024 * 1024)
#define SLOT_ROOM  (256 * 1024) /* a decode call gets at least this much room */
#define AREAD      (1024 * 1024)
#define AFEED      (64 * 1024) /* A looks for B's next piece after each AFEED bytes of input */
#define QCAP       16
#define POOL       8
#define LATE_MAX   3
#define NCHUNK     2
#define SCAN       (256 * 1024)           /* how far B looks for a block header */
#define BEXTRA     (256 * 1024)           /* input beyond LB for B's end boundary */
#define BOUT_MAX   ((size_t) 48 << 20)    /* a piece's text at most (then it ends at the next block) */
#define MIN_FILE   ((uint64_t) 4 << 20)   /* smaller files: one decoder */

typedef enum ItemKind { ITEM_DATA, ITEM_MEMBER_END, ITEM_DONE } ItemKind;

typedef struct Item {
        ItemKind kind;
        unsigned char *buf;
        size_t len, cap;
        int slot; /* A's slot to release; -1: B's buffer (back to the pool) */
        /* B's piece: the window bytes below resolve_end are replaced by the consumer, from win */
        unsigned char *buf2;
        size_t cap2, resolve_end, missing;
        unsigned char *win;
        uint32_t crc, isize;
        int result;
} Item;

typedef enum ChunkState { CHUNK_FREE, CHUNK_FINDING, CHUNK_DECODING, CHUNK_OK, CHUNK_FAILED } ChunkState;

typedef struct Chunk {
        ChunkState state;
        bool abandon;    /* A went past it: B stops and frees it */
        uint64_t start;  /* bit offset of its first block (from CHUNK_DECODING on) */
        uint64_t end;    /* bit offset of the block after it, or 8 * the trailer's byte offset */
        bool member_end; /* it ends with the member's final block */
        unsigned char *o1, *o2;
        size_t len, cap1, cap2;
        size_t unresolved; /* o1 and o2 differ only below this */
        /* B's progress, for A to decide whether to wait: input bytes decoded of about span */
        uint64_t t_start;
        size_t progress, span;
} Chunk;

typedef struct Par {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int fd;
        uint64_t base, size; /* the gzip data: file bytes [base, base + size) */
        size_t la, lb;       /* compressed bytes A decodes between B's pieces; of each piece */

        /* consumer queue */
        Item q[QCAP];
        unsigned qhead, qtail;
        bool slot_busy[SLOTS];
        bool stop; /* the consumer failed: producers end */

        /* speculative pieces, used in order: chunk[a_seq % NCHUNK] is the next one A meets */
        Chunk chunk[NCHUNK];
        unsigned a_seq, b_seq;
        uint64_t a_pos;  /* A's input position (bytes), for B's placement */
        uint64_t b_next; /* B's next search position */
        bool b_quit;
        bool b_done; /* B ended (or never ran): a patient A waits for a piece only before this */

        /* A */
        unsigned char *slot[SLOTS];
        unsigned cur;     /* the slot A fills */
        size_t fill;
        unsigned char win[2 * HIST]; /* the member's last HIST bytes of text before slot[cur]; zeros */
        size_t win_valid;
        uint64_t member_out;
        double a_ns_per_byte; /* A's speed */
        unsigned late_in_a_row, late_max; /* B stops after late_max: no idle core for it */
        bool patient;
        double min_cpus; /* B stops when the process gets fewer CPUs than this */

        /* B's buffers, given back by the consumer */
        unsigned char *pool[POOL];
        size_t pool_cap[POOL];
        unsigned npool;

        GunzipParStats st;
} Par;

static uint64_t thread_cpu_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

/* ---- input ---------------------------------------------------------------------------------- */

typedef struct Reader {
        Par *p;
        unsigned char *buf;
        size_t len, pos;
        uint64_t off; /* offset of buf[0] in the gzip data */
} Reader;

/* 1: a byte at pos; 0: end of the data; < 0: read error. */
static int rd_fill(Reader *r) {
        if (r->pos < r->len)
                return 1;
        r->off += r->len;
        r->pos = r->len = 0;
        if (r->off >= r->p->size)
                return 0;
        ssize_t k = decompress_read_full(r->p->fd, r->buf, (size_t) MIN((uint64_t) AREAD, r->p->size - r->off),
                                         (int64_t) (r->p->base + r->off));
        if (k < 0)
                return (int) k;
        r->len = (size_t) k;
        return k > 0;
}

static uint64_t rd_tell(const Reader *r) {
        return r->off + r->pos;
}

static void rd_seek(Reader *r, uint64_t off) {
        r->off = off;
        r->pos = r->len = 0;
}

static int rd_byte(Reader *r) {
        int k = rd_fill(r);
        if (k <= 0)
                return k == 0 ? -EPIPE : k;
        return r->buf[r->pos++];
}

/* RFC 1952 member header; -EPIPE if the data ends inside it. */
static int read_gzip_header(Reader *r) {
        unsigned char h[10];
        uint32_t crc;
        int c;

        for (size_t i = 0; i < sizeof(h); i++) {
                if ((c = rd_byte(r)) < 0)
                        return c;
                h[i] = (unsigned char) c;
        }
        if (h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || (h[3] & 0xe0))
                return -EBADMSG;
        unsigned flg = h[3];
        crc = crc32_gzip_refl(0, h, sizeof(h));
        if (flg & 4) { /* FEXTRA */
                unsigned char x[2];
                for (size_t i = 0; i < 2; i++) {
                        if ((c = rd_byte(r)) < 0)
                                return c;
                        x[i] = (unsigned char) c;
                }
                crc = crc32_gzip_refl(crc, x, 2);
                for (unsigned n = x[0] | (unsigned) x[1] << 8; n > 0; n--) {
                        if ((c = rd_byte(r)) < 0)
                                return c;
                        unsigned char b = (unsigned char) c;
                        crc = crc32_gzip_refl(crc, &b, 1);
                }
        }
        for (unsigned f = 8; f <= 16; f <<= 1) /* FNAME, FCOMMENT: up to a NUL */
                if (flg & f)
                        do {
                                if ((c = rd_byte(r)) < 0)
                                        return c;
                                unsigned char b = (unsigned char) c;
                                crc = crc32_gzip_refl(crc, &b, 1);
                        } while (c != 0);
        if (flg & 2) { /* FHCRC */
                int lo = rd_byte(r), hi = lo < 0 ? lo : rd_byte(r);
                if (hi < 0)
                        return hi;
                if ((unsigned) (lo | hi << 8) != (crc & 0xffff))
                        return -EBADMSG;
        }
        return 0;
}

/* ---- finding block boundaries --------------------------------------------------------------- */

/* At least 57 bits of buf from bit on (zeros past the end). */
static inline uint64_t peek_bits(const unsigned char *buf, size_t n, uint64_t bit) {
        size_t byte = (size_t) (bit >> 3);
        uint64_t v = 0;
        if (__builtin_expect(byte + 8 <= n, 1))
                memcpy(&v, buf + byte, 8);
        else
                for (size_t i = 0; byte + i < n && i < 8; i++)
                        v |= (uint64_t) buf[byte + i] << (8 * i);
        return le64toh(v) >> (bit & 7);
}

/* Kraft's sum of code lengths: 1 complete, 0 over-subscribed, -1 incomplete. */
static int huffman_complete(const uint8_t *len, size_t n, unsigned *ret_used) {
        unsigned count[16] = {};
        for (size_t i = 0; i < n; i++)
                count[len[i]]++;
        long left = 1;
        for (size_t b = 1; b < 16; b++) {
                left = left * 2 - count[b];
                if (left < 0)
                        return 0;
        }
        if (ret_used)
                *ret_used = (unsigned) n - count[0];
        return left == 0 ? 1 : -1;
}

/* A table of the first 7 stream bits -> (symbol << 4 | length) for a complete code of lengths <= 7. */
static void huffman_table7(const uint8_t *len, size_t n, uint16_t table[128]) {
        unsigned count[8] = {}, next[8];
        for (size_t i = 0; i < n; i++)
                count[len[i]]++;
        count[0] = 0;
        unsigned code = 0;
        for (size_t b = 1; b < 8; b++) {
                code = (code + count[b - 1]) << 1;
                next[b] = code;
        }
        for (size_t s = 0; s < n; s++) {
                unsigned l = len[s];
                if (!l)
                        continue;
                unsigned c = next[l]++, rev = 0;
                for (unsigned i = 0; i < l; i++)
                        rev |= ((c >> i) & 1) << (l - 1 - i);
                for (unsigned fill = rev; fill < 128; fill += 1u << l)
                        table[fill] = (uint16_t) (s << 4 | l);
        }
}

/* Does a (non-final) dynamic-Huffman block start at bit? Every code must be complete (as zlib
 * and igzip write them; a block written otherwise is not found, which costs speed, not
 * correctness), the end-of-block code present. */
static bool block_header_at(const unsigned char *buf, size_t n, uint64_t bit) {
        static const uint8_t order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };
        uint64_t v = peek_bits(buf, n, bit);
        if ((v & 7) != 4) /* BFINAL 0, BTYPE 2 */
                return false;
        unsigned hlit = (v >> 3) & 31, hdist = (v >> 8) & 31, hclen = ((v >> 13) & 15) + 4;
        if (hlit > 29 || hdist > 29)
                return false;
        uint8_t cl[19] = {};
        uint64_t w = peek_bits(buf, n, bit + 17);
        unsigned kraft = 0; /* sum of 2^(7 - length): 128 for a complete code */
        for (unsigned i = 0; i < hclen; i++) {
                unsigned l = (w >> (3 * i)) & 7;
                kraft += (128u >> l) & -(unsigned) (l != 0);
        }
        if (kraft != 128)
                return false;
        for (unsigned i = 0; i < hclen; i++)
                cl[order[i]] = (w >> (3 * i)) & 7;
        if (huffman_complete(cl, 19, NULL) != 1)
                return false;
        uint16_t table[128];
        huffman_table7(cl, 19, table);
        unsigned total = hlit + 257 + hdist + 1, k = 0;
        uint8_t lens[320];
        uint64_t pos = bit + 17 + 3 * hclen;
        while (k < total) {
                uint64_t b = peek_bits(buf, n, pos);
                unsigned e = table[b & 127], l = e & 15, sym = e >> 4, rep, val;
                pos += l;
                b >>= l;
                if (sym < 16) {
                        lens[k++] = (uint8_t) sym;
                        continue;
                }
                if (sym == 16) {
                        if (k == 0)
                                return false;
                        rep = 3 + (b & 3), val = lens[k - 1], pos += 2;
                } else if (sym == 17)
                        rep = 3 + (b & 7), val = 0, pos += 3;
                else
                        rep = 11 + (b & 127), val = 0, pos += 7;
                if (k + rep > total)
                        return false;
                while (rep--)
                        lens[k++] = (uint8_t) val;
        }
        if (pos > (uint64_t) n * 8 || lens[256] == 0 || huffman_complete(lens, hlit + 257, NULL) != 1)
                return false;
        unsigned used;
        int d = huffman_complete(lens + hlit + 257, hdist + 1, &used);
        return d == 1 || (d == -1 && used <= 1);
}

/* The first bit >= from (and < limit) where a block starts; UINT64_MAX if none. The 13 bits of
 * BFINAL, BTYPE, HLIT and HDIST rule out all but about 1 in 9 positions, 8 positions a load. */
static uint64_t find_block(const unsigned char *buf, size_t n, uint64_t from, uint64_t limit) {
        limit = MIN(limit, (uint64_t) n * 8);
        for (uint64_t bit = from; bit < limit;) {
                uint64_t v = peek_bits(buf, n, bit);
                for (unsigned j = 0; j < 8 && bit < limit; j++, bit++, v >>= 1)
                        if ((v & 7) == 4 && ((v >> 3) & 31) <= 29 && ((v >> 8) & 31) <= 29 &&
                            block_header_at(buf, n, bit))
                                return bit;
        }
        return UINT64_MAX;
}

/* The bytes that, fed after the data up to bit (byte is the data's byte at bit / 8), end the
 * stream there with an empty final fixed-Huffman block (bits 1, 1 0, 0000000) and 1-bits to the
 * byte's end. Returns their count (2 or 3). */
static size_t confirm_bits(uint64_t bit, unsigned char byte, unsigned char out[3]) {
        unsigned k = bit & 7;
        uint64_t v = (byte & ((1u << k) - 1)) | ((UINT64_C(3) | ~UINT64_C(0) << 10) << k);
        size_t n = (k + 10 + 7) / 8;
        for (size_t i = 0; i < n; i++)
                out[i] = (unsigned char) (v >> (8 * i));
        return n;
}

/* A raw-deflate state that starts at bit (its first byte is byte) after the window dict. */
static void inflate_start(struct inflate_state *st, const unsigned char *dict, size_t dict_len, uint64_t bit,
                          unsigned char byte) {
        isal_inflate_init(st);
        st->crc_flag = ISAL_DEFLATE;
        if (dict_len > 0)
                (void) isal_inflate_set_dict(st, (uint8_t *) dict, (uint32_t) dict_len);
        st->read_in = (uint64_t) byte >> (bit & 7);
        st->read_in_length = (int32_t) (8 - (bit & 7));
}

/* Input bytes given to a finished decoder that its final block did not use: those not taken
 * and the whole bytes in its bit buffer (ISA-L 2.30 keeps them there; later versions give them
 * back to avail_in). The bits of the last byte used are padding. */
static uint64_t unused_bytes(const struct inflate_state *st) {
        return st->avail_in + (uint64_t) (st->read_in_length / 8);
}

/* The made-up windows: position i of dict1 and dict2 differ, and the pair gives i back. */
static void make_dicts(unsigned char *d1, unsigned char *d2) {
        for (unsigned i = 0; i < HIST; i++) {
                d1[i] = (unsigned char) i;
                d2[i] = (unsigned char) (i + 1 + (i >> 8));
        }
}

static unsigned window_index(unsigned char a, unsigned char b) {
        return (unsigned) ((unsigned char) (b - a - 1)) << 8 | a;
}

/* ---- consumer queue ------------------------------------------------------------------------- */

/* Called with the lock held. */
static int push_locked(Par *p, Item it) {
        while (!p->stop && p->qhead - p->qtail == QCAP)
                pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop)
                return -ECANCELED;
        p->q[p->qhead % QCAP] = it;
        p->qhead++;
        pthread_cond_broadcast(&p->cond);
        return 0;
}

static int push(Par *p, Item it) {
        pthread_mutex_lock(&p->lock);
        int r = push_locked(p, it);
        pthread_mutex_unlock(&p->lock);
        return r;
}

/* A buffer of B's from the pool (or NULL, cap 0). Called with the lock held. */
static void pool_get_locked(Par *p, unsigned char **ret, size_t *ret_cap) {
        *ret = NULL;
        *ret_cap = 0;
        if (p->npool > 0) {
                p->npool--;
                *ret = p->pool[p->npool];
                *ret_cap = p->pool_cap[p->npool];
        }
}

static void pool_put_locked(Par *p, unsigned char *buf, size_t cap) {
        if (!buf)
                return;
        if (p->npool < POOL) {
                p->pool[p->npool] = buf;
                p->pool_cap[p->npool++] = cap;
        } else
                free(buf);
}

/* win = the last HIST bytes of win + buf[0..n) */
static void win_append(Par *p, const unsigned char *buf, size_t n) {
        if (n >= HIST)
                memcpy(p->win, buf + n - HIST, HIST);
        else {
                memmove(p->win, p->win + n, HIST - n);
                memcpy(p->win + HIST - n, buf, n);
        }
        p->win_valid = MIN((size_t) HIST, p->win_valid + n);
}

/* A: hand the slot being filled to the consumer (if it holds anything) and take the next. */
static int publish(Par *p) {
        if (p->fill == 0)
                return 0;
        win_append(p, p->slot[p->cur], p->fill);
        pthread_mutex_lock(&p->lock);
        p->slot_busy[p->cur] = true;
        int r = push_locked(p, (Item) { .kind = ITEM_DATA, .buf = p->slot[p->cur], .len = p->fill, .slot = (int) p->cur });
        p->cur = (p->cur + 1) % SLOTS;
        p->fill = 0;
        while (r >= 0 && !p->stop && p->slot_busy[p->cur])
                pthread_cond_wait(&p->cond, &p->lock);
        if (p->stop)
                r = -ECANCELED;
        pthread_mutex_unlock(&p->lock);
        return r;
}

/* ---- B: speculative pieces ------------------------------------------------------------------ */

typedef struct BState {
        Par *p;
        unsigned char *cbuf; /* compressed bytes from coff on */
        size_t clen;
        uint64_t coff;
        struct inflate_state *s[2], *snap[2];
        unsigned char dict[2][HIST];
} BState;

static bool grow(unsigned char **buf, size_t *cap, size_t need) {
        if (*cap >= need)
                return true;
        size_t c = MAX(need, *cap * 2);
        unsigned char *n = realloc(*buf, c);
        if (!n)
                return false;
        *buf = n;
        *cap = c;
        return true;
}

/* Feeds in[0..n) to the active decoders (d2: the second too), appending to the chunk's buffers.
 * 1: a decoder finished its final block; 0: all taken; < 0: error. */
static int b_feed(BState *b, Chunk *c, bool d2, const unsigned char *in, size_t n) {
        size_t len[2] = { c->len, c->len };
        int fin[2] = {};
        for (int k = 0; k < (d2 ? 2 : 1); k++) {
                struct inflate_state *st = b->s[k];
                unsigned char **o = k ? &c->o2 : &c->o1;
                size_t *cap = k ? &c->cap2 : &c->cap1;
                unsigned idle = 0;
                st->next_in = (uint8_t *) in;
                st->avail_in = (uint32_t) n;
                for (;;) {
                        if (!grow(o, cap, len[k] + SLOT_ROOM))
                                return -ENOMEM;
                        st->next_out = *o + len[k];
                        st->avail_out = (uint32_t) MIN(*cap - len[k], (size_t) 1 << 30);
                        uint32_t room = st->avail_out, avail = st->avail_in;
                        int ir = isal_inflate(st);
                        len[k] += room - st->avail_out;
                        if (ir != ISAL_DECOMP_OK && ir != ISAL_END_INPUT && ir != ISAL_OUT_OVERFLOW)
                                return -EBADMSG;
                        if (st->block_state == ISAL_BLOCK_FINISH) {
                                fin[k] = 1;
                                break;
                        }
                        if (st->avail_in == 0 && st->avail_out > 0 && st->block_state != ISAL_BLOCK_INPUT_DONE)
                                break;
                        if (st->avail_in == avail && st->avail_out == room && ++idle > 2)
                                return -EBADMSG;
                }
        }
        /* one parse of the same bits: the same lengths and ends, or something is wrong */
        if (d2 && (len[0] != len[1] || fin[0] != fin[1] || unused_bytes(b->s[0]) != unused_bytes(b->s[1])))
                return -EBADMSG;
        c->len = len[0];
        return fin[0];
}

/* The last position below c->len where o1 and o2 differ, looking at [from, len); -1 if none. */
static ssize_t last_difference(const Chunk *c, size_t from) {
        size_t i = c->len;
        while (i > from && (i & 7)) {
                i--;
                if (c->o1[i] != c->o2[i])
                        return (ssize_t) i;
        }
        while (i >= from + 8) {
                uint64_t x, y;
                memcpy(&x, c->o1 + i - 8, 8);
                memcpy(&y, c->o2 + i - 8, 8);
                if (x != y)
                        break;
                i -= 8;
        }
        while (i > from) {
                i--;
                if (c->o1[i] != c->o2[i])
                        return (ssize_t) i;
        }
        return -1;
}

/* Decodes one piece from the block at c->start. 0 with c->end set; < 0: not usable. */
static int b_decode(BState *b, Chunk *c) {
        Par *p = b->p;
        size_t rel = (size_t) (c->start / 8 - b->coff); /* the piece's first byte in cbuf */
        bool d2 = true;
        int r;

        c->len = 0;
        c->unresolved = 0;
        for (int k = 0; k < 2; k++)
                inflate_start(b->s[k], b->dict[k], HIST, c->start, b->cbuf[rel]);
        size_t pos = rel + 1;
        c->t_start = now_ns();
        uint64_t target = (b->coff + rel + p->lb) * 8; /* look for the end from here */
        uint64_t end = find_block(b->cbuf, b->clen, target - b->coff * 8, (uint64_t) b->clen * 8);
        __atomic_store_n(&c->span, (end == UINT64_MAX ? b->clen : (size_t) (end / 8)) - rel, __ATOMIC_RELAXED);
        ssize_t last_diff = -1;
        for (;;) {
                if (__atomic_load_n(&c->abandon, __ATOMIC_RELAXED))
                        return -ECANCELED;
                if (c->len > BOUT_MAX && end != UINT64_MAX && end / 8 > pos + 1)
                        end = find_block(b->cbuf, b->clen, (uint64_t) pos * 8, end); /* an earlier end */
                size_t stop = end == UINT64_MAX ? b->clen : (size_t) (end / 8);
                if (pos < stop) {
                        size_t n = MIN(stop - pos, (size_t) AFEED);
                        size_t before = c->len;
                        r = b_feed(b, c, d2, b->cbuf + pos, n);
                        if (r < 0)
                                return r;
                        if (d2) {
                                ssize_t d = last_difference(c, before);
                                if (d >= 0)
                                        last_diff = d;
                                if (c->len - (size_t) (last_diff + 1) >= HIST) {
                                        d2 = false; /* nothing later refers to the window */
                                        c->unresolved = (size_t) (last_diff + 1);
                                }
                        }
                        if (r == 1) { /* the member's final block: it ends at the trailer */
                                struct inflate_state *st = b->s[0];
                                c->member_end = true;
                                c->end = (b->coff + (size_t) (st->next_in - b->cbuf) -
                                          (size_t) (st->read_in_length / 8)) * 8;
                                break;
                        }
                        pos += n;
                        __atomic_store_n(&c->progress, pos - rel, __ATOMIC_RELAXED);
                        continue;
                }
                if (end == UINT64_MAX)
                        return -ENOSPC; /* no boundary in what was read */
                /* at the end candidate: confirm it on copies of the states */
                unsigned char syn[3];
                size_t ns = confirm_bits(end, b->cbuf[pos], syn);
                bool ok = true;
                for (int k = 0; k < (d2 ? 2 : 1); k++)
                        *b->snap[k] = *b->s[k];
                size_t len0 = c->len;
                r = b_feed(b, c, d2, syn, ns);
                if (r < 0 && r != -EBADMSG)
                        return r;
                ok = r == 1 && unused_bytes(b->s[0]) == 0;
                if (ok && d2 && last_difference(c, len0) >= 0)
                        last_diff = last_difference(c, len0);
                if (ok) {
                        c->member_end = false;
                        c->end = b->coff * 8 + end;
                        break;
                }
                for (int k = 0; k < (d2 ? 2 : 1); k++)
                        *b->s[k] = *b->snap[k];
                c->len = len0;
                end = find_block(b->cbuf, b->clen, end + 1 - b->coff * 8, (uint64_t) b->clen * 8);
        }
        if (d2)
                c->unresolved = (size_t) (last_diff + 1);
        return 0;
}

/* Called with the lock held. */
static void chunk_clear_locked(Par *p, Chunk *c) {
        pool_put_locked(p, c->o1, c->cap1);
        pool_put_locked(p, c->o2, c->cap2);
        *c = (Chunk) {};
}

/* CPU time of the whole process (all threads), ns. */
static uint64_t process_cpu_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return (uint64_t) ts.tv_sec * 1000000000 + (uint64_t) ts.tv_nsec;
}

static void *b_thread(void *userdata) {
        BState *b = userdata;
        Par *p = b->p;
        uint64_t wall0 = now_ns(), cpu0 = process_cpu_ns(), wall_acc = 0, cpu_acc = 0;
        unsigned busy = 0;

        for (;;) {
                /* Speculation pays only with a core to spare: while the three threads run, the
                 * process should get nearly two CPUs. On a loaded machine it gets much less, and
                 * the second decode of every piece only takes CPU from the in-order thread: stop.
                 * (Measured while B works, not while it waits for A.) */
                uint64_t wall = now_ns(), cpu = process_cpu_ns();
                wall_acc += wall - wall0;
                cpu_acc += cpu - cpu0;
                if (wall_acc >= 20000000) {
                        busy = (double) cpu_acc < p->min_cpus * (double) wall_acc ? busy + 1 : 0;
                        wall_acc = cpu_acc = 0;
                        if (busy >= 2) {
                                pthread_mutex_lock(&p->lock);
                                p->st.stopped_busy = true;
                                pthread_mutex_unlock(&p->lock);
                                break;
                        }
                }
                pthread_mutex_lock(&p->lock);
                Chunk *c = &p->chunk[p->b_seq % NCHUNK];
                while (!p->b_quit && c->state != CHUNK_FREE)
                        pthread_cond_wait(&p->cond, &p->lock);
                wall0 = now_ns();
                cpu0 = process_cpu_ns();
                uint64_t from = MAX(p->b_next, p->a_pos + p->la);
                if (p->b_quit || from + p->lb >= p->size || p->late_in_a_row >= p->late_max) {
                        pthread_mutex_unlock(&p->lock);
                        break;
                }
                c->state = CHUNK_FINDING;
                pthread_mutex_unlock(&p->lock);

                b->coff = from;
                ssize_t k = decompress_read_full(p->fd, b->cbuf, SCAN + p->lb + BEXTRA, (int64_t) (p->base + from));
                b->clen = k > 0 ? (size_t) k : 0;
                uint64_t s = find_block(b->cbuf, b->clen, 0, (uint64_t) MIN(b->clen, (size_t) SCAN) * 8);

                pthread_mutex_lock(&p->lock);
                if (s == UINT64_MAX || from + s / 8 <= p->a_pos + AFEED) {
                        /* none, or A is there already: look further on */
                        c->state = CHUNK_FREE;
                        p->b_next = from + (s == UINT64_MAX ? SCAN : p->la);
                        pthread_mutex_unlock(&p->lock);
                        continue;
                }
                c->start = from * 8 + s;
                c->state = CHUNK_DECODING;
                pool_get_locked(p, &c->o1, &c->cap1);
                pool_get_locked(p, &c->o2, &c->cap2);
                for (int j = 0; j < 2; j++) { /* room for the piece's text at once: no regrowing */
                        unsigned char **o = j ? &c->o2 : &c->o1;
                        size_t *cap = j ? &c->cap2 : &c->cap1;
                        if (*cap < p->lb * 8) {
                                free(*o);
                                *o = malloc(p->lb * 8);
                                *cap = *o ? p->lb * 8 : 0;
                        }
                }
                pthread_cond_broadcast(&p->cond);
                pthread_mutex_unlock(&p->lock);

                int r = b_decode(b, c);

                pthread_mutex_lock(&p->lock);
                if (c->abandon) { /* counted by A */
                        chunk_clear_locked(p, c);
                        p->b_next = from + p->la;
                } else {
                        if (r < 0) {
                                uint64_t start = c->start;
                                chunk_clear_locked(p, c);
                                c->start = start;
                                p->b_next = c->start / 8 + p->la;
                                p->st.chunks_failed++;
                        } else
                                p->b_next = c->end / 8 + p->la;
                        c->state = r < 0 ? CHUNK_FAILED : CHUNK_OK;
                }
                p->b_seq++;
                pthread_cond_broadcast(&p->cond);
                pthread_mutex_unlock(&p->lock);
        }
        p->st.cpu_ns_b = thread_cpu_ns();
        pthread_mutex_lock(&p->lock);
        p->b_done = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        return NULL;
}

/* ---- A: the in-order decoder ---------------------------------------------------------------- */

/* The speculative piece A meets next at or after input byte here; pieces behind are let go.
 * Called with the lock held. */
static Chunk *a_next_chunk_locked(Par *p, uint64_t here) {
        for (;;) {
                Chunk *c = &p->chunk[p->a_seq % NCHUNK];
                if (c->state == CHUNK_FREE || c->state == CHUNK_FINDING)
                        return NULL;
                if (c->start / 8 >= here)
                        return c;
                /* behind A */
                if (c->state == CHUNK_DECODING) {
                        __atomic_store_n(&c->abandon, true, __ATOMIC_RELAXED);
                        p->st.chunks_discarded++;
                } else {
                        if (c->state == CHUNK_OK)
                                p->st.chunks_discarded++;
                        chunk_clear_locked(p, c);
                }
                p->a_seq++;
                pthread_cond_broadcast(&p->cond);
        }
}

static void a_release_chunk(Par *p, Chunk *c) {
        pthread_mutex_lock(&p->lock);
        chunk_clear_locked(p, c);
        p->a_seq++;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
}

/* Inflates in[0..n) into the slots. 1: the final block ended (st->next_in is after it). */
static int a_feed(Par *p, struct inflate_state *st, const unsigned char *in, size_t n) {
        unsigned idle = 0;
        st->next_in = (uint8_t *) in;
        st->avail_in = (uint32_t) n;
        for (;;) {
                if (SLOT - p->fill < SLOT_ROOM) {
                        int r = publish(p);
                        if (r < 0)
                                return r;
                }
                st->next_out = p->slot[p->cur] + p->fill;
                st->avail_out = (uint32_t) (SLOT - p->fill);
                uint32_t room = st->avail_out, avail = st->avail_in;
                int ir = isal_inflate(st);
                size_t made = room - st->avail_out;
                if (ir != ISAL_DECOMP_OK && ir != ISAL_END_INPUT && ir != ISAL_OUT_OVERFLOW)
                        return -EBADMSG; /* what this call made is dropped, as decompressor_feed() does */
                p->fill += made;
                p->member_out += made;
                if (st->block_state == ISAL_BLOCK_FINISH)
                        return 1;
                /* INPUT_DONE: the final block is decoded, one more call finishes */
                if (st->avail_in == 0 && st->avail_out > 0 && st->block_state != ISAL_BLOCK_INPUT_DONE)
                        return 0;
                if (st->avail_in == avail && made == 0 && ++idle > 2)
                        return -EBADMSG;
        }
}

/* Replaces the window bytes in o1[from..to) (where o1 and o2 differ) with w's, the member's text
 * before the piece; -EBADMSG for a reference to the missing bytes before the member's start (the
 * stream is corrupt: a sequential inflate fails there). *n counts the bytes replaced. */
static int resolve(unsigned char *o1, const unsigned char *o2, size_t from, size_t to, const unsigned char *w,
                   size_t missing, uint64_t *n) {
        /* w has 2 * HIST bytes: the index of a byte that is the same in both decodes (not used)
         * reads beyond the window, never outside w */
        size_t i = from;
        unsigned bad = 0;
        uint64_t count = 0;
        while (i < to) {
                if (i + 8 <= to) {
                        uint64_t x, y;
                        memcpy(&x, o1 + i, 8);
                        memcpy(&y, o2 + i, 8);
                        if (x == y) {
                                i += 8;
                                continue;
                        }
                }
                size_t e = MIN(i + 8, to);
                for (; i < e; i++) {
                        unsigned a = o1[i], d = a != o2[i], k = window_index(o1[i], o2[i]);
                        unsigned char v = w[k];
                        o1[i] = d ? v : (unsigned char) a;
                        bad |= d & (k < missing || k >= HIST);
                        count += d;
                }
        }
        *n += count;
        return bad ? -EBADMSG : 0;
}

/* A at input byte c->start / 8 (rd's next byte): use the piece if the stream has a block boundary
 * at c->start. 1: used, st and rd continue after it; 2: used, rd is at the member's trailer;
 * 0: not used (st and rd as before); < 0: error. */
static int a_take(Par *p, struct inflate_state *st, struct inflate_state *snap, Reader *rd, Chunk *c) {
        int r;

        uint64_t t_arrive = now_ns();
        pthread_mutex_lock(&p->lock);
        while (c->state == CHUNK_DECODING && !p->stop) {
                /* wait while B's estimated time left is well under A's own time for the piece (the
                 * other core may be busy: then A goes on alone, never slower than without B) */
                uint64_t now = now_ns(), t0 = __atomic_load_n(&c->t_start, __ATOMIC_RELAXED);
                size_t done = __atomic_load_n(&c->progress, __ATOMIC_RELAXED);
                size_t span = __atomic_load_n(&c->span, __ATOMIC_RELAXED);
                double b_left = done > 0 && now > t0 ? (double) (span > done ? span - done : 0) * (double) (now - t0) / (double) done
                                                     : 1e18;
                double a_whole = p->a_ns_per_byte * (double) span;
                if (!p->patient && (b_left > 0.3 * a_whole || now - t_arrive > 5000000)) {
                        __atomic_store_n(&c->abandon, true, __ATOMIC_RELAXED);
                        p->a_seq++;
                        p->st.chunks_late++;
                        p->late_in_a_row++;
                        pthread_cond_broadcast(&p->cond);
                        pthread_mutex_unlock(&p->lock);
                        return 0;
                }
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_nsec += 500000;
                if (ts.tv_nsec >= 1000000000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000;
                }
                pthread_cond_timedwait(&p->cond, &p->lock, &ts);
        }
        ChunkState s = c->state;
        bool stop = p->stop;
        pthread_mutex_unlock(&p->lock);
        if (stop)
                return -ECANCELED;
        if (s != CHUNK_OK) {
                a_release_chunk(p, c);
                return 0;
        }
        if (SLOT - p->fill < SLOT_ROOM && (r = publish(p)) < 0)
                return r;
        *snap = *st;
        size_t fill0 = p->fill;
        uint64_t out0 = p->member_out;
        unsigned char syn[3];
        size_t ns = confirm_bits(c->start, rd->buf[rd->pos], syn);
        r = a_feed(p, st, syn, ns);
        if (r == -ECANCELED)
                return r;
        if (r != 1 || unused_bytes(st) != 0) {
                *st = *snap;
                p->fill = fill0;
                p->member_out = out0;
                pthread_mutex_lock(&p->lock);
                p->st.chunks_unconfirmed++;
                pthread_mutex_unlock(&p->lock);
                a_release_chunk(p, c);
                return 0;
        }
        /* the stream has a block boundary at c->start: the text before it is all out */
        if ((r = publish(p)) < 0)
                return r;
        /* A needs the piece's last HIST bytes for the window after it; the consumer does the rest */
        size_t missing = HIST - p->win_valid, tail = c->len - MIN(c->len, (size_t) HIST);
        size_t head_end = MIN(c->unresolved, tail);
        uint64_t unresolved = 0;
        unsigned char *w = head_end > 0 ? malloc(2 * HIST) : NULL;
        if (head_end > 0 && !w)
                return -ENOMEM;
        if (w)
                memcpy(w, p->win, 2 * HIST);
        if ((r = resolve(c->o1, c->o2, head_end, c->unresolved, p->win, missing, &unresolved)) < 0) {
                free(w);
                return r;
        }
        win_append(p, c->o1, c->len);
        p->member_out += c->len;
        pthread_mutex_lock(&p->lock);
        p->st.chunks_used++;
        p->late_in_a_row = 0;
        p->st.bytes_speculative += c->len;
        p->st.bytes_unresolved += unresolved;
        p->st.bytes_double += c->unresolved;
        r = push_locked(p, (Item) { .kind = ITEM_DATA, .buf = c->o1, .len = c->len, .cap = c->cap1, .slot = -1,
                                    .buf2 = c->o2, .cap2 = c->cap2, .resolve_end = head_end, .missing = missing,
                                    .win = w });
        if (r >= 0) { /* the consumer's now */
                c->o1 = c->o2 = NULL;
                c->cap1 = c->cap2 = 0;
        } else
                free(w);
        uint64_t end = c->end;
        bool member_end = c->member_end;
        pthread_mutex_unlock(&p->lock);
        a_release_chunk(p, c);
        if (r < 0)
                return r;
        rd_seek(rd, end / 8);
        if (member_end)
                return 2;
        int k = rd_fill(rd);
        if (k <= 0)
                return k == 0 ? -EPIPE : k;
        inflate_start(st, p->win + HIST - p->win_valid, p->win_valid, end, rd->buf[rd->pos++]);
        return 1;
}

/* One member's deflate data, from rd's position to its final block; rd ends at the trailer. */
static int a_member(Par *p, struct inflate_state *st, struct inflate_state *snap, Reader *rd) {
        for (;;) {
                int k = rd_fill(rd);
                if (k < 0)
                        return k;
                if (k == 0)
                        return -EPIPE; /* the data ends inside the member */
                uint64_t here = rd_tell(rd);
                size_t n = MIN(rd->len - rd->pos, (size_t) AFEED);
                pthread_mutex_lock(&p->lock);
                p->a_pos = here;
                Chunk *c;
                /* patient (tests): never pass B, so that the pieces are used whatever the
                 * scheduler does; B places its next piece ahead of a_pos or ends */
                while (!(c = a_next_chunk_locked(p, here)) && p->patient && !p->b_done && !p->stop)
                        pthread_cond_wait(&p->cond, &p->lock);
                pthread_mutex_unlock(&p->lock);
                if (c && c->start / 8 < here + n)
                        n = (size_t) (c->start / 8 - here);
                if (n == 0) {
                        int r = a_take(p, st, snap, rd, c);
                        if (r < 0)
                                return r;
                        if (r == 2)
                                return 0;
                        continue; /* used, or A goes on alone */
                }
                uint64_t t0 = now_ns();
                int r = a_feed(p, st, rd->buf + rd->pos, n);
                if (r < 0)
                        return r;
                rd->pos += n;
                /* A's speed (ns per input byte, decaying mean), for a_take() */
                double ns = (double) (now_ns() - t0) / (double) n;
                p->a_ns_per_byte = p->a_ns_per_byte > 0 ? 0.9 * p->a_ns_per_byte + 0.1 * ns : ns;
                if (r == 1)
                        goto finished;
        }
finished:;
        /* the trailer starts after the last byte the final block used (some bytes not used may be
         * from an earlier piece) */
        uint64_t trailer = rd_tell(rd) - unused_bytes(st);
        if (trailer >= rd->off)
                rd->pos = (size_t) (trailer - rd->off);
        else
                rd_seek(rd, trailer);
        return 0;
}

typedef struct AState {
        Par *p;
        int result;
} AState;

static int a_run(Par *p) {
        _cleanup_free_ unsigned char *buf = malloc(AREAD);
        _cleanup_free_ struct inflate_state *st = malloc(sizeof(*st)), *snap = malloc(sizeof(*snap));
        Reader rd = { .p = p, .buf = buf };
        int r;

        if (!buf || !st || !snap)
                return -ENOMEM;
        for (bool first = true;; first = false) {
                if (!first) {
                        int k = rd_fill(&rd);
                        if (k <= 0)
                                return k; /* the end after a complete member: done */
                }
                if ((r = read_gzip_header(&rd)) < 0)
                        return r;
                p->win_valid = 0;
                p->member_out = 0;
                isal_inflate_init(st);
                st->crc_flag = ISAL_DEFLATE;
                if ((r = a_member(p, st, snap, &rd)) < 0)
                        return r;
                unsigned char t[8];
                for (size_t i = 0; i < sizeof(t); i++) {
                        int c = rd_byte(&rd);
                        if (c < 0)
                                return c;
                        t[i] = (unsigned char) c;
                }
                if ((r = publish(p)) < 0)
                        return r;
                r = push(p, (Item) { .kind = ITEM_MEMBER_END,
                                     .crc = t[0] | (uint32_t) t[1] << 8 | (uint32_t) t[2] << 16 | (uint32_t) t[3] << 24,
                                     .isize = t[4] | (uint32_t) t[5] << 8 | (uint32_t) t[6] << 16 | (uint32_t) t[7] << 24 });
                if (r < 0)
                        return r;
        }
}

static void *a_thread(void *userdata) {
        AState *a = userdata;
        Par *p = a->p;
        int r = a_run(p);
        if (r != -ECANCELED && p->fill > 0 && publish(p) < 0)
                r = -ECANCELED;
        pthread_mutex_lock(&p->lock);
        p->b_quit = true;
        if (r != -ECANCELED)
                (void) push_locked(p, (Item) { .kind = ITEM_DONE, .result = r });
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        a->result = r;
        p->st.cpu_ns_a = thread_cpu_ns();
        return NULL;
}

/* ---- the caller's thread -------------------------------------------------------------------- */

static size_t env_size(const char *name, size_t def) {
        const char *e = getenv(name);
        if (!e || !*e)
                return def;
        char *end;
        unsigned long long v = strtoull(e, &end, 10);
        return *end == 0 && v <= ((size_t) 1 << 30) ? (size_t) v : def;
}

void gunzip_par_options_from_env(GunzipParOptions *o) {
        *o = (GunzipParOptions) {
                .lb = env_size("LOCKDEP_GUNZIP_LB", 512 * 1024),
                .min_file = env_size("LOCKDEP_GUNZIP_MIN", MIN_FILE),
                .late_max = (unsigned) env_size("LOCKDEP_GUNZIP_LATE", LATE_MAX),
                .min_cpus = (double) env_size("LOCKDEP_GUNZIP_MIN_CPUS_PERCENT", 150) / 100,
        };
        if (o->lb < 4096)
                o->lb = 4096;
        o->la = env_size("LOCKDEP_GUNZIP_LA", 6 * o->lb); /* B: 1/7 of the bytes (bench/RESULTS.md) */
        /* Speculation only on request: measured on two idle cores it makes a 300 MB log slower,
         * not faster (0.361 s against 0.266 s in order: the second decode and the consumer's
         * window fill-in cost more than they save; bench/RESULTS.md, bench/gzip-modes.py). */
        const char *t = getenv("LOCKDEP_GUNZIP_THREADS");
        o->in_order_only = !(t && strcmp(t, "2") == 0);
        const char *w = getenv("LOCKDEP_GUNZIP_PATIENT");
        o->patient = w && strcmp(w, "1") == 0;
}

int gunzip_par_fd(int fd, const unsigned char *head, size_t head_len, DecompressSink sink, void *userdata,
                  const GunzipParOptions *opt, bool *ret_started, GunzipParStats *stats) {
        struct stat sb;
        Par *p = NULL;
        BState *b = NULL;
        AState a = {};
        pthread_t ta, tb;
        bool b_started = false;
        int r = 0;

        *ret_started = false;
        (void) head; /* read again with the rest: everything is read with pread() from base on */
        off_t at = lseek(fd, 0, SEEK_CUR);
        if (at < 0 || (size_t) at < head_len || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
            (uint64_t) sb.st_size < (uint64_t) at + opt->min_file)
                return 0;
        p = calloc(1, sizeof(*p));
        b = calloc(1, sizeof(*b));
        if (!p || !b)
                goto oom;
        p->fd = fd;
        p->base = (uint64_t) at - head_len;
        p->size = (uint64_t) sb.st_size - p->base;
        p->lb = MAX(opt->lb, (size_t) 4096);
        p->la = MAX(opt->la, (size_t) AFEED);
        p->late_max = opt->late_max;
        p->patient = opt->patient;
        p->min_cpus = opt->min_cpus;
        for (size_t i = 0; i < SLOTS; i++)
                if (!(p->slot[i] = malloc(SLOT)))
                        goto oom;
        b->p = p;
        b->cbuf = malloc(SCAN + p->lb + BEXTRA);
        for (int k = 0; k < 2; k++) {
                b->s[k] = malloc(sizeof(struct inflate_state));
                b->snap[k] = malloc(sizeof(struct inflate_state));
                if (!b->s[k] || !b->snap[k])
                        goto oom;
        }
        if (!b->cbuf)
                goto oom;
        make_dicts(b->dict[0], b->dict[1]);
        pthread_mutex_init(&p->lock, NULL);
        pthread_cond_init(&p->cond, NULL);
        a.p = p;
        p->b_done = opt->in_order_only;
        if (pthread_create(&ta, NULL, a_thread, &a) != 0)
                goto destroy; /* not started: the caller decodes */
        *ret_started = true;
        if (!opt->in_order_only)
                b_started = pthread_create(&tb, NULL, b_thread, b) == 0; /* without B: A alone */
        if (!b_started) {
                pthread_mutex_lock(&p->lock);
                p->b_done = true;
                pthread_cond_broadcast(&p->cond);
                pthread_mutex_unlock(&p->lock);
        }

        uint32_t crc = 0;
        uint64_t msize = 0, unresolved = 0, cpu0 = thread_cpu_ns();
        pthread_mutex_lock(&p->lock);
        for (;;) {
                while (p->qtail == p->qhead)
                        pthread_cond_wait(&p->cond, &p->lock);
                Item it = p->q[p->qtail % QCAP];
                pthread_mutex_unlock(&p->lock);
                bool done = false;
                switch (it.kind) {
                case ITEM_DATA:
                        if (it.resolve_end > 0)
                                r = resolve(it.buf, it.buf2, 0, it.resolve_end, it.win, it.missing, &unresolved);
                        if (r >= 0) {
                                crc = crc32_gzip_refl(crc, it.buf, it.len);
                                msize += it.len;
                                r = sink(it.buf, it.len, userdata);
                        }
                        break;
                case ITEM_MEMBER_END:
                        if (crc != it.crc || (uint32_t) msize != it.isize)
                                r = -EBADMSG;
                        crc = 0;
                        msize = 0;
                        break;
                case ITEM_DONE:
                        r = it.result;
                        done = true;
                        break;
                }
                pthread_mutex_lock(&p->lock);
                p->qtail++;
                if (it.kind == ITEM_DATA && it.slot >= 0)
                        p->slot_busy[it.slot] = false;
                else if (it.kind == ITEM_DATA) {
                        pool_put_locked(p, it.buf, it.cap);
                        pool_put_locked(p, it.buf2, it.cap2);
                        free(it.win);
                }
                pthread_cond_broadcast(&p->cond);
                if (done)
                        break;
                if (r < 0) {
                        p->stop = true;
                        p->b_quit = true;
                        pthread_cond_broadcast(&p->cond);
                        break;
                }
        }
        /* B buffers still queued (after a stop) */
        while (p->qtail != p->qhead) {
                Item it = p->q[p->qtail++ % QCAP];
                if (it.kind == ITEM_DATA && it.slot < 0) {
                        pool_put_locked(p, it.buf, it.cap);
                        pool_put_locked(p, it.buf2, it.cap2);
                        free(it.win);
                }
        }
        pthread_mutex_unlock(&p->lock);
        pthread_join(ta, NULL);
        if (b_started) {
                pthread_mutex_lock(&p->lock);
                p->b_quit = true;
                for (size_t i = 0; i < NCHUNK; i++)
                        __atomic_store_n(&p->chunk[i].abandon, true, __ATOMIC_RELAXED);
                pthread_cond_broadcast(&p->cond);
                pthread_mutex_unlock(&p->lock);
                pthread_join(tb, NULL);
        }
        p->st.bytes_unresolved += unresolved;
        p->st.cpu_ns_consumer = thread_cpu_ns() - cpu0;
        if (stats)
                *stats = p->st;
destroy:
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        goto out;
oom:
        r = -ENOMEM;
out:
        if (p) {
                for (size_t i = 0; i < SLOTS; i++)
                        free(p->slot[i]);
                for (size_t i = 0; i < NCHUNK; i++)
                        chunk_clear_locked(p, &p->chunk[i]);
                for (size_t i = 0; i < p->npool; i++)
                        free(p->pool[i]);
        }
        if (b) {
                free(b->cbuf);
                for (int k = 0; k < 2; k++) {
                        free(b->s[k]);
                        free(b->snap[k]);
                }
        }
        free(b);
        free(p);
        return r;
}
