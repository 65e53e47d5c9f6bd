/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* FNV-1a 64: the one non-cryptographic hash of the project (cache keys, class-name keys, report
 * identities, signatures, file cursors). Not for anything an attacker may want to collide. */

#include <stddef.h>
#include <stdint.h>

#define FNV1A64_INIT 0xcbf29ce484222325ULL
#define FNV1A64_PRIME 0x100000001b3ULL

static inline uint64_t fnv1a64_step(uint64_t h, unsigned char c) {
        return (h ^ c) * FNV1A64_PRIME;
}

/* Continues h over p[0..n). */
static inline uint64_t fnv1a64(uint64_t h, const void *p, size_t n) {
        const unsigned char *b = p;
        for (size_t i = 0; i < n; i++)
                h = fnv1a64_step(h, b[i]);
        return h;
}

/* The hash of a NUL-terminated string, from FNV1A64_INIT. */
static inline uint64_t fnv1a64_str(const char *s) {
        uint64_t h = FNV1A64_INIT;
        for (; *s; s++)
                h = fnv1a64_step(h, (unsigned char) *s);
        return h;
}
