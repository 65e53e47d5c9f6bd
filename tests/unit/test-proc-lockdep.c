/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * parser/proc-lockdep.c and store/idset.c: /proc/lockdep as kernels of every age print it
 * (kernel/locking/lockdep_proc.c, l_show(); with and without CONFIG_DEBUG_LOCKDEP's OPS: column
 * and CONFIG_PROVE_LOCKING's FD:/BD: columns), fed in every chunking, cut short; and the run-length
 * sets of boots checked against a plain bitmap over random operations.
 */
#include <stdint.h>

#include "idset.h"
#include "lockdep.h"
#include "tap.h"

typedef struct Got {
        char text[8192];
        size_t n;
        unsigned uncertain;
} Got;

static int collect(const LockdepDep *d, void *userdata) {
        Got *g = userdata;
        g->n += (size_t) snprintf(g->text + g->n, sizeof(g->text) - g->n, "%s > %s\n", d->from_canonical,
                                  d->to_canonical);
        g->uncertain += d->from_uncertain + d->to_uncertain;
        return 0;
}

/* Parses text in chunks of step bytes (0: one piece). */
static LockdepDepStats parse(const char *text, size_t step, Got *g) {
        LockdepDepParser *p = NULL;
        LockdepDepStats st = {};
        LockdepDepOptions o = { .callback = collect, .userdata = g };
        size_t n = strlen(text);

        *g = (Got) {};
        assert(lockdep_deps_new(&o, &p) >= 0);
        for (size_t i = 0; i < n; i += step ? step : n)
                assert(lockdep_deps_feed(p, text + i, step && n - i > step ? step : n - i) >= 0);
        assert(lockdep_deps_finish(p, &st) >= 0);
        lockdep_deps_free(p);
        return st;
}

/* 6.x: hashed keys, FD/BD, usage characters, #N and /N in names, a name-less class */
static const char modern[] =
        "all lock classes:\n"
        "00000000c5d1e0a2 FD:   46 BD:    1 +.+.: cgroup_mutex\n"
        " -> [000000003c6dbb2d] &obj_hash[i].lock\n"
        " -> [00000000a3c37f9c] &sb->s_type->i_mutex_key#11\n"
        "\n"
        "000000003c6dbb2d FD:    1 BD:  120 -.-.: &obj_hash[i].lock\n"
        "\n"
        "00000000a3c37f9c FD:    3 BD:    2 ++++: &sb->s_type->i_mutex_key#11\n"
        " -> [00000000deadbeef] &mm->mmap_sem/1\n"
        " -> [(____ptrval____)] (wq_completion)events\n"
        "\n";

static const char modern_expect[] =
        "cgroup_mutex > &obj_hash[i].lock\n"
        "cgroup_mutex > &sb->s_type->i_mutex_key\n"
        "&sb->s_type->i_mutex_key > &mm->mmap_lock/1\n"
        "&sb->s_type->i_mutex_key > (wq_completion)events\n";

/* 2.6.2x with CONFIG_DEBUG_LOCKDEP: 32-bit keys, the OPS: column */
static const char old_debug[] =
        "all lock classes:\n"
        "c0a1b2c4 OPS:      3 FD:    2 BD:    1 ....: (console_sem).lock\n"
        " -> [c0a1b2d0] logbuf_lock\n"
        "\n"
        "c0a1b2d0 OPS:    120 FD:    1 BD:    2 ....: logbuf_lock\n"
        "\n";

/* CONFIG_LOCKDEP without CONFIG_PROVE_LOCKING: classes only, no blocks */
static const char no_prove[] =
        "all lock classes:\n"
        "ffffffff82a4b2c0: cgroup_mutex\n"
        "ffffffff82a4b2d0: &obj_hash[i].lock\n";

TEST(modern) {
        Got g;
        LockdepDepStats st = parse(modern, 0, &g);
        CHECK_STREQ(g.text, modern_expect);
        CHECK(st.header && st.prove_locking && !st.truncated);
        CHECK_INTEQ(st.classes, 3);
        CHECK_INTEQ(st.deps, 4);
        CHECK_INTEQ(st.bad_lines, 0);
        CHECK_INTEQ(g.uncertain, 3); /* i_mutex_key#11, per-filesystem: once as "to", twice as "from" */
        CHECK(lockdep_deps_detect(modern, sizeof(modern) - 1));
}

TEST(old_debug_lockdep) {
        Got g;
        LockdepDepStats st = parse(old_debug, 0, &g);
        CHECK_STREQ(g.text, "(console_sem).lock > logbuf_lock\n");
        CHECK(st.prove_locking && !st.truncated);
        CHECK_INTEQ(st.classes, 2);
        CHECK_INTEQ(st.bad_lines, 0);
}

TEST(without_prove_locking) {
        Got g;
        LockdepDepStats st = parse(no_prove, 0, &g);
        CHECK_STREQ(g.text, "");
        CHECK(!st.prove_locking && !st.truncated);
        CHECK_INTEQ(st.classes, 2);
        CHECK_INTEQ(st.bad_lines, 0);
}

TEST(every_chunking) {
        for (size_t step = 1; step < sizeof(modern); step++) {
                Got g;
                LockdepDepStats st = parse(modern, step, &g);
                CHECK_STREQ(g.text, modern_expect);
                CHECK(!st.truncated);
        }
}

TEST(truncated) {
        /* cut at every byte: never a dependency that was not printed whole, truncated unless the
         * cut falls on a block boundary */
        size_t n = strlen(modern);
        for (size_t cut = 0; cut < n; cut++) {
                char buf[sizeof(modern)];
                Got g;
                memcpy(buf, modern, cut);
                buf[cut] = 0;
                LockdepDepStats st = parse(buf, 7, &g);
                CHECK_MSG(strncmp(modern_expect, g.text, g.n) == 0, "cut %zu: %s", cut, g.text);
                bool boundary = cut == 0 || (cut >= 2 && buf[cut - 1] == '\n' && buf[cut - 2] == '\n') ||
                                cut == strlen("all lock classes:\n");
                CHECK_MSG(st.truncated == !boundary, "cut %zu: truncated=%d", cut, st.truncated);
        }
}

TEST(junk) {
        Got g;
        LockdepDepStats st = parse("all lock classes:\n -> [00000000deadbeef] orphan\nhello world\n"
                                   "zz FD: 1 BD: 1 ....: x\n",
                                   0, &g);
        CHECK_STREQ(g.text, "");
        CHECK_INTEQ(st.bad_lines, 3);
        CHECK(!lockdep_deps_detect("hello\nworld\n", 12));
        CHECK(!lockdep_deps_detect("[    1.0] Linux version 6.1\n[ 2.0] x\n", 37));
        char bin[] = "all lock classes:\n00000000c5d1e0a2 FD: 1 BD: 1 ....: a\0b\n";
        LockdepDepParser *p = NULL;
        LockdepDepOptions o = { .callback = collect, .userdata = &g };
        assert(lockdep_deps_new(&o, &p) >= 0);
        assert(lockdep_deps_feed(p, bin, sizeof(bin) - 1) >= 0);
        assert(lockdep_deps_finish(p, &st) >= 0);
        lockdep_deps_free(p);
        CHECK(st.binary);
}

TEST(long_lines) {
        /* a line longer than max_line is counted, not cut into a dependency */
        static char big[20000];
        Got g;
        memcpy(big, "all lock classes:\n00000000c5d1e0a2 FD: 1 BD: 1 ....: a\n -> [00000000deadbeef] ", 76);
        memset(big + 76, 'x', 10000);
        memcpy(big + 10076, "\n\n", 3);
        LockdepDepStats st = parse(big, 4096, &g);
        CHECK_STREQ(g.text, "");
        CHECK_INTEQ(st.bad_lines, 1);
}

/* ---- idset ----------------------------------------------------------------------------------- */

static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(void) {
        rnd_state ^= rnd_state << 13;
        rnd_state ^= rnd_state >> 7;
        rnd_state ^= rnd_state << 17;
        return rnd_state;
}

TEST(idset_against_bitmap) {
        for (unsigned round = 0; round < 200; round++) {
                enum { N = 300 };
                bool ref[N] = {};
                IdSet s = {};
                unsigned dense = (unsigned) (rnd() % 4); /* 0: sparse ... 3: nearly full, in order */
                for (unsigned k = 0; k < 400; k++) {
                        uint64_t x = dense == 3 ? k % N : rnd() % (dense ? N / dense : N);
                        int r = idset_add(&s, x);
                        CHECK_INTEQ(r, ref[x] ? 0 : 1);
                        ref[x] = true;
                }
                int64_t count = 0;
                for (unsigned x = 0; x < N; x++) {
                        count += ref[x];
                        CHECK_INTEQ(idset_contains(&s, x), ref[x]);
                }
                CHECK_INTEQ(idset_count(&s), count);
                /* what the store keeps loads back to the same set */
                IdSet t;
                CHECK_INTEQ(idset_load(&t, s.v, s.n), 0);
                CHECK_INTEQ(idset_count(&t), count);
                idset_done(&t);
                idset_done(&s);
        }
}

TEST(idset_compact) {
        IdSet s = {};
        for (uint64_t x = 0; x < 10000; x++)
                assert(idset_add(&s, x) == 1);
        CHECK(s.n <= 4); /* one run */
        idset_done(&s);
}

TEST(idset_first_common) {
        for (unsigned round = 0; round < 300; round++) {
                enum { N = 200, K = 4 };
                bool ref[K][N] = {};
                IdSet s[K] = {};
                size_t k = 1 + rnd() % K;
                for (size_t i = 0; i < k; i++)
                        for (unsigned j = 0; j < 40 + rnd() % 100; j++) {
                                uint64_t x = rnd() % N;
                                assert(idset_add(&s[i], x) >= 0);
                                ref[i][x] = true;
                        }
                int expect = 0;
                uint64_t first = 0;
                for (uint64_t x = 0; x < N && !expect; x++) {
                        bool all = true;
                        for (size_t i = 0; i < k; i++)
                                all &= ref[i][x];
                        if (all) {
                                expect = 1;
                                first = x;
                        }
                }
                const uint8_t *v[K];
                size_t len[K];
                for (size_t i = 0; i < k; i++) {
                        v[i] = s[i].v;
                        len[i] = s[i].n;
                }
                uint64_t got = UINT64_MAX;
                CHECK_INTEQ(idset_first_common(v, len, k, &got), expect);
                if (expect)
                        CHECK_INTEQ(got, first);
                for (size_t i = 0; i < k; i++)
                        idset_done(&s[i]);
        }
}

TEST(idset_bad_bytes) {
        IdSet s;
        const uint8_t zero_len[] = { 1, 0 }, cut[] = { 0x80 }, touching[] = { 0, 2, 0, 1 };
        CHECK_INTEQ(idset_load(&s, zero_len, sizeof(zero_len)), -EINVAL);
        CHECK_INTEQ(idset_load(&s, cut, sizeof(cut)), -EINVAL);
        CHECK_INTEQ(idset_load(&s, touching, sizeof(touching)), -EINVAL);
        CHECK_INTEQ(idset_load(&s, NULL, 0), 0);
        CHECK_INTEQ(idset_count(&s), 0);
}

TAP_MAIN(T(modern), T(old_debug_lockdep), T(without_prove_locking), T(every_chunking), T(truncated), T(junk),
         T(long_lines), T(idset_against_bitmap), T(idset_compact), T(idset_first_common), T(idset_bad_bytes))
