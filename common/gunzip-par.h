/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * gzip from a regular file, decoded on two threads besides the caller's (ISA-L builds only): one
 * inflates the stream in order, the other decodes pieces further ahead speculatively, from deflate
 * block boundaries it finds, while their 32 KiB window is not known yet; each piece is used only
 * once the in-order decoder reached its first block exactly (so the output is the same as one
 * sequential inflate, byte for byte, also for corrupt input). The CRC-32 of every member is computed
 * and checked in the caller's thread, which hands the text to the sink in order. See gunzip-par.c.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "decompress.h"

typedef struct GunzipParStats {
        unsigned chunks_used;      /* speculative pieces taken into the output */
        unsigned chunks_discarded; /* decoded (or being decoded) when A had passed them already */
        unsigned chunks_unconfirmed; /* no block boundary there in the in-order decode */
        unsigned chunks_failed;    /* the candidate block did not decode */
        unsigned chunks_late;      /* B was not done when A arrived, and not about to be */
        bool stopped_busy;         /* B stopped: the machine had no core to spare */
        uint64_t bytes_speculative;/* output bytes that came from speculative pieces */
        uint64_t bytes_unresolved; /* of those, bytes that referred to the unknown window */
        uint64_t bytes_double;     /* output decoded twice (until no reference into the window was left) */
        uint64_t cpu_ns_a, cpu_ns_b, cpu_ns_consumer; /* CPU time of each thread */
} GunzipParStats;

/* decompress.c's: n bytes (fewer at the end of the file) from offset off (off < 0: read() from
 * the file offset); -errno. */
ssize_t decompress_read_full(int fd, unsigned char *buf, size_t n, int64_t off);

typedef struct GunzipParOptions {
        size_t la;         /* compressed bytes the in-order decoder covers between speculative pieces */
        size_t lb;         /* compressed bytes of a speculative piece */
        uint64_t min_file; /* smaller files are left to the caller */
        unsigned late_max; /* speculation stops after this many pieces in a row were not ready in time */
        bool in_order_only;/* no speculative thread (measurements, tests) */
        bool patient;      /* the in-order decoder always waits for a piece (tests) */
        double min_cpus;   /* speculation stops when the process gets fewer CPUs (0: never) */
} GunzipParOptions;

/* The defaults: the in-order thread alone (faster than with speculation on the machines
 * measured). Changed by LOCKDEP_GUNZIP_THREADS=2 (the speculative thread too), LOCKDEP_GUNZIP_LB,
 * _LA, _MIN, _LATE, _MIN_CPUS_PERCENT (numbers) and LOCKDEP_GUNZIP_PATIENT=1: knobs for benchmarks
 * and tests. (decompress_fd() also knows LOCKDEP_GUNZIP_THREADS=0: the sequential decoder, and
 * LOCKDEP_GUNZIP_STATS=1: the statistics on stderr.) */
void gunzip_par_options_from_env(GunzipParOptions *o);

/* Decodes the gzip file open as fd, whose first head_len bytes (read already, from the current
 * file offset on) are head. Returns as decompress_fd() does; *ret_started false (and nothing
 * handed to sink) when it did not start (not a regular file, too small, no threads): the caller
 * decodes another way. stats may be NULL. */
int gunzip_par_fd(int fd, const unsigned char *head, size_t head_len, DecompressSink sink, void *userdata,
                  const GunzipParOptions *opt, bool *ret_started, GunzipParStats *stats);
