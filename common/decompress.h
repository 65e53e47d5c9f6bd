/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Streaming decompression of gzip, xz and zstd, detected by magic bytes (never by file name), for
 * every front end that reads logs: lockdepctl parse/import (whole files) and the HTTP ingest
 * (Content-Encoding: gzip bodies that arrive in pieces).
 *
 * Push style: the caller feeds compressed bytes in pieces of any size; each piece of plain output
 * is handed to a sink callback at once, so memory stays at one fixed output buffer whatever the
 * sizes. Concatenated members/streams/frames (`cat a.gz b.gz`) are decoded one after the other, as
 * gzip -d, xz -d and zstd -d do.
 *
 * Libraries (Debian: zlib1g-dev, liblzma-dev, libzstd-dev, libisal-dev): zlib, liblzma, libzstd;
 * gzip goes through ISA-L's igzip inflate (several times faster than zlib's) when the build found
 * libisal ("+isal" in --version), through zlib otherwise. Both give the same bytes and the same
 * errors (tests/unit/test-decompress.c decodes with each).
 *
 * Errors: -ENOMEM; -EBADMSG corrupt compressed data (also trailing garbage after a complete
 * stream); -EPIPE the input ended inside a stream (truncated file); the negative value a sink
 * returned (the feed stops).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum DecompressFormat {
        DECOMPRESS_NONE, /* plain bytes: passed through */
        DECOMPRESS_GZIP,
        DECOMPRESS_XZ,
        DECOMPRESS_ZSTD,
        _DECOMPRESS_FORMAT_MAX,
} DecompressFormat;

/* The magic bytes of the compressed formats; how many bytes are needed to decide. */
#define DECOMPRESS_MAGIC_MAX 6

/* The format whose magic the first n bytes start with; DECOMPRESS_NONE for anything else (also
 * when n is too short to tell: callers pass DECOMPRESS_MAGIC_MAX bytes when the input has them). */
DecompressFormat decompress_detect(const void *buf, size_t n);
/* "gzip", "xz", "zstd", or "plain". */
const char *decompress_format_to_string(DecompressFormat f);

typedef int (*DecompressSink)(const void *buf, size_t n, void *userdata);

typedef struct Decompressor Decompressor;

int decompressor_new(DecompressFormat f, DecompressSink sink, void *userdata, Decompressor **ret);

typedef enum DecompressFlags {
        DECOMPRESS_ZLIB = 1 << 0, /* gzip through zlib even when ISA-L is built in (tests) */
} DecompressFlags;
int decompressor_new_full(DecompressFormat f, DecompressFlags flags, DecompressSink sink, void *userdata,
                          Decompressor **ret);
/* Was the build linked with ISA-L (gzip through igzip)? */
bool decompress_have_isal(void);
Decompressor *decompressor_free(Decompressor *d);
/* Compressed input in pieces of any size. */
int decompressor_feed(Decompressor *d, const void *buf, size_t n);
/* End of input: -EPIPE if it ended inside a stream (or no stream at all was seen). */
int decompressor_finish(Decompressor *d);
/* Plain bytes handed to the sink so far. */
uint64_t decompressor_bytes_out(const Decompressor *d);

/* Reads fd to its end, detects the format from its first bytes and hands the plain bytes to
 * sink. *ret_format (may be NULL) is set as soon as it is known, also on failure. Read errors are
 * -errno. Compressed input is read and decoded in a second thread, pipelined with the sink, which
 * is still called in the caller's thread, in order (4 MiB of buffers). A regular gzip file of 4 MiB
 * or more, with ISA-L, is decoded by gunzip-par.h: on its own in-order thread straight into the
 * hand-over buffers (speculatively ahead as well with LOCKDEP_GUNZIP_THREADS=2), with the same bytes
 * and errors. */
int decompress_fd(int fd, DecompressSink sink, void *userdata, DecompressFormat *ret_format);

/* Is the input binary data rather than text (a log in any encoding)? Fed with the first plain
 * bytes (any piece sizes), it looks at up to DECOMPRESS_SNIFF_BYTES of them: C0 control bytes other
 * than TAB, LF, VT, FF, CR, BS and ESC, and DEL; more than one in 16 means binary. A log with some
 * NUL bytes or a binary line in it is still text. */
#define DECOMPRESS_SNIFF_BYTES (64 * 1024)
typedef struct BinarySniff {
        size_t seen, bad;
} BinarySniff;
void binary_sniff_feed(BinarySniff *s, const void *buf, size_t n);
bool binary_sniff_is_binary(const BinarySniff *s);
