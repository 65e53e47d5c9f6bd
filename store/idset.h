/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A set of small non-negative integers (the ordinals of the boots or hosts of one kernel release
 * that saw a lock dependency) as runs: varint pairs (gap from the end of the previous run, length).
 * Boots are numbered in arrival order and most dependencies are seen by most boots, so a set costs a
 * few bytes whatever the size of the fleet, and adding the newest boot extends the last run.
 * The bytes are what the store keeps in a BLOB; an empty set is zero bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct IdSet {
        uint8_t *v;
        size_t n, size;
} IdSet;

/* Decoding fails (-EINVAL) on bytes that are not a set this module made. */
int idset_load(IdSet *s, const void *bytes, size_t n);
void idset_done(IdSet *s);
/* 1 if x was added, 0 if it was there already, -ENOMEM, -EINVAL */
int idset_add(IdSet *s, uint64_t x);
int idset_contains(const IdSet *s, uint64_t x);
/* The number of members, or -EINVAL. */
int64_t idset_count(const IdSet *s);

/* Runs of a set, in order: [*start, *start + *len). Returns 1 and advances *pos, 0 at the end,
 * -EINVAL on bad bytes. *start must hold the end of the previous run (0 before the first). */
int idset_next_run(const uint8_t *v, size_t n, size_t *pos, uint64_t *start, uint64_t *len);

/* The smallest member common to all n sets (given as bytes), in *ret: 1 if there is one, 0 if
 * the intersection is empty, -EINVAL. */
int idset_first_common(const uint8_t *const *v, const size_t *len, size_t n, uint64_t *ret);
