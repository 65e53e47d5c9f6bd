/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Covers: the streaming contract of parser/lockdep.h - any chunking gives the same result as one
 * feed (every 2-way split, 1-byte chunks, LF and CRLF), cuts at every line and every byte (no
 * crash, truncated flag before the backtrace), feed_record() with one record per line, hostile
 * input (1 MiB lines, NUL bytes, 1 MB of random bytes, 10,000 nested parentheses, invalid UTF-8
 * and JSON metacharacters in task names: the JSON output stays valid UTF-8 and valid JSON), and a
 * callback's negative return aborting the feed.
 *
 * Usage: test-stream FIXTURE_DIR (tests/fixtures, copies of shared/corpus/syzkaller files).
 */

#include <inttypes.h>

#include "lockdep.h"

#include "tap.h"

#define MAX_REPS 64

typedef struct Rep {
        LockdepKind kind;
        char signature[17];
        bool truncated;
        unsigned first_line, last_line;
        char *cycle; /* classes joined by '|' */
        char *task;
        int pid;
} Rep;

typedef struct Collected {
        char *json; /* every report's JSON, each followed by '\n' */
        size_t json_len;
        Rep reps[MAX_REPS];
        size_t n_reps;     /* may exceed MAX_REPS; only the first MAX_REPS are kept */
        unsigned bad_json; /* reports whose JSON is not valid JSON / UTF-8 */
        unsigned bad_copy; /* reports whose lockdep_report_dup() serializes differently */
        int abort_with;    /* if < 0, the callback returns this */
        int feed_ret;      /* the first negative return of feed/finish, or 0 */
} Collected;

static const char *fixture_dir(void) {
        return tap_argc > 1 ? tap_argv[1] : "tests/fixtures";
}

static char *fixture(const char *name, size_t *ret_len) {
        char path[4096];

        snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
        return tap_read_file(path, ret_len);
}

static char *xstrdup(const char *s) {
        char *r = strdup(s ? s : "(null)");
        assert(r);
        return r;
}

static int collect_cb(const LockdepEvent *ev, void *userdata) {
        Collected *c = userdata;
        const LockdepReport *r;
        char *j = NULL;
        int l;

        if (ev->type != LOCKDEP_EVENT_REPORT)
                return 0;
        r = ev->report;
        assert(r);
        l = lockdep_report_to_json(r, &j);
        assert(l >= 0 && j);
        assert((size_t) l == strlen(j));
        /* a copy (lockdepctl import stores it on another thread) serializes the same, and is all
         * its own: the parser frees the original when this returns */
        LockdepReport *copy = NULL;
        char *jc = NULL;
        assert(lockdep_report_dup(r, &copy) == 0 && copy);
        assert(copy->text != r->text && copy->text_len == r->text_len && memcmp(copy->text, r->text, r->text_len) == 0);
        int lc = lockdep_report_to_json(copy, &jc);
        if (lc != l || memcmp(jc, j, (size_t) l) != 0) {
                if (c->bad_copy++ < 3)
                        printf("# a copy of the report serializes differently: %.300s\n", jc);
        }
        free(jc);
        lockdep_report_free(copy);
        if (!tap_valid_utf8(j, l) || !tap_valid_json(j, l) || memchr(j, '\n', l)) {
                if (c->bad_json++ < 3)
                        printf("# invalid JSON/UTF-8 (or a newline in NDJSON): %.300s\n", j);
        }
        c->json = realloc(c->json, c->json_len + l + 2);
        assert(c->json);
        memcpy(c->json + c->json_len, j, l);
        c->json_len += l;
        c->json[c->json_len++] = '\n';
        c->json[c->json_len] = 0;
        free(j);

        if (c->n_reps < MAX_REPS) {
                Rep *p = &c->reps[c->n_reps];
                size_t cl = 1;

                p->kind = r->kind;
                memcpy(p->signature, r->signature, sizeof(p->signature));
                p->signature[16] = 0;
                p->truncated = r->truncated;
                p->first_line = r->first_line;
                p->last_line = r->last_line;
                for (size_t i = 0; i < r->n_cycle; i++)
                        cl += strlen(r->cycle[i] ? r->cycle[i] : "") + 1;
                p->cycle = calloc(cl, 1);
                assert(p->cycle);
                for (size_t i = 0; i < r->n_cycle; i++) {
                        if (i)
                                strcat(p->cycle, "|");
                        strcat(p->cycle, r->cycle[i] ? r->cycle[i] : "");
                }
                p->task = r->task ? xstrdup(r->task) : NULL;
                p->pid = r->pid;
        }
        c->n_reps++;
        return c->abort_with < 0 ? c->abort_with : 0;
}

static void collected_free(Collected *c) {
        free(c->json);
        for (size_t i = 0; i < c->n_reps && i < MAX_REPS; i++) {
                free(c->reps[i].cycle);
                free(c->reps[i].task);
        }
        memset(c, 0, sizeof(*c));
}

static LockdepParser *new_parser(Collected *c) {
        LockdepOptions o = { .callback = collect_cb, .userdata = c };
        LockdepParser *p = NULL;
        int r = lockdep_parser_new(&o, &p);

        assert(r >= 0 && p);
        return p;
}

static void note_ret(Collected *c, int r) {
        if (r < 0 && c->feed_ret == 0)
                c->feed_ret = r;
}

/* Feeds buf in pieces of `chunk` bytes (0 = one piece), then finishes. */
static void run_chunks(Collected *c, const char *buf, size_t n, size_t chunk) {
        LockdepParser *p = new_parser(c);

        if (chunk == 0)
                note_ret(c, lockdep_parser_feed(p, buf, n));
        else
                for (size_t i = 0; i < n; i += chunk)
                        note_ret(c, lockdep_parser_feed(p, buf + i, n - i < chunk ? n - i : chunk));
        note_ret(c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
}

/* Feeds buf as two pieces split at `at`, then finishes. */
static void run_split(Collected *c, const char *buf, size_t n, size_t at) {
        LockdepParser *p = new_parser(c);

        note_ret(c, lockdep_parser_feed(p, buf, at));
        note_ret(c, lockdep_parser_feed(p, buf + at, n - at));
        note_ret(c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
}

/* 1-based number of the first line containing needle, 0 if none */
static unsigned line_of(const char *buf, const char *needle) {
        const char *s = strstr(buf, needle);
        unsigned line = 1;

        if (!s)
                return 0;
        for (const char *q = buf; q < s; q++)
                if (*q == '\n')
                        line++;
        return line;
}

/* byte offset just past the end of line k (1-based; k = 0 -> 0) */
static size_t offset_after_line(const char *buf, size_t n, unsigned k) {
        size_t off = 0;

        for (unsigned i = 0; i < k && off < n; i++) {
                const char *nl = memchr(buf + off, '\n', n - off);
                off = nl ? (size_t) (nl - buf) + 1 : n;
        }
        return off;
}

static unsigned count_lines(const char *buf, size_t n) {
        unsigned k = 0;
        for (size_t i = 0; i < n; i++)
                if (buf[i] == '\n')
                        k++;
        return k + (n > 0 && buf[n - 1] != '\n');
}

/* Replaces every occurrence of `from` with `to`; returns a new malloc()ed buffer. */
static char *replace_all(const char *buf, size_t n, const char *from, size_t from_len, const char *to,
                         size_t to_len, size_t *ret_len) {
        size_t cap = n + 1, len = 0;
        char *out = malloc(cap);

        assert(out);
        for (size_t i = 0; i < n;) {
                bool hit = i + from_len <= n && memcmp(buf + i, from, from_len) == 0;
                const char *src = hit ? to : buf + i;
                size_t sl = hit ? to_len : 1;

                if (len + sl + 1 > cap) {
                        cap = (len + sl + 1) * 2;
                        out = realloc(out, cap);
                        assert(out);
                }
                memcpy(out + len, src, sl);
                len += sl;
                i += hit ? from_len : 1;
        }
        out[len] = 0;
        *ret_len = len;
        return out;
}

static char *concat3(const char *a, size_t al, const char *b, size_t bl, const char *c, size_t cl,
                     size_t *ret_len) {
        char *out = malloc(al + bl + cl + 1);

        assert(out);
        memcpy(out, a, al);
        memcpy(out + al, b, bl);
        memcpy(out + al + bl, c, cl);
        out[al + bl + cl] = 0;
        *ret_len = al + bl + cl;
        return out;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rng(void) { /* xorshift64*, fixed seed: reproducible */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return rng_state * 0x2545F4914F6CDD1DULL;
}

static bool same_rep(const Rep *a, const Rep *b) {
        return a->kind == b->kind && strcmp(a->signature, b->signature) == 0 &&
               strcmp(a->cycle, b->cycle) == 0;
}

/* The reference parse of the main fixture: a complete 4.14 circular report with timestamps. */
#define MAIN_FIXTURE "linux_report_26.txt"

static void reference(Collected *ref, char **ret_buf, size_t *ret_len) {
        *ret_buf = fixture(MAIN_FIXTURE, ret_len);
        memset(ref, 0, sizeof(*ref));
        run_chunks(ref, *ret_buf, *ret_len, 0);
}

TEST(reference_parse) {
        Collected ref;
        char *buf;
        size_t n;

        reference(&ref, &buf, &n);
        CHECK_INTEQ(ref.feed_ret, 0);
        REQUIRE(ref.n_reps == 1);
        CHECK_INTEQ(ref.bad_json, 0);
        CHECK_INTEQ(ref.bad_copy, 0);
        CHECK_INTEQ(ref.reps[0].kind, LOCKDEP_CIRCULAR);
        CHECK_STREQ(ref.reps[0].cycle, "&lo->lo_ctl_mutex#2|&bdev->bd_mutex");
        CHECK(!ref.reps[0].truncated);
        CHECK_INTEQ(ref.reps[0].first_line, line_of(buf, "WARNING: possible circular"));
        CHECK_STREQ(ref.reps[0].task, "syz-executor0");
        CHECK_INTEQ(ref.reps[0].pid, 22269);
        CHECK(strlen(ref.reps[0].signature) == 16);
        collected_free(&ref);
        free(buf);
}

static void check_every_split(const char *buf, size_t n, const Collected *ref) {
        unsigned mismatches = 0;

        for (size_t at = 0; at <= n; at++) {
                Collected c = {};

                run_split(&c, buf, n, at);
                if (c.feed_ret != 0 || c.json_len != ref->json_len ||
                    (ref->json_len && memcmp(c.json, ref->json, ref->json_len) != 0)) {
                        if (mismatches++ < 3)
                                printf("# split at %zu: %zu reports, JSON differs from one feed:\n# %.400s\n",
                                       at, c.n_reps, c.json ? c.json : "(none)");
                }
                collected_free(&c);
        }
        CHECK_MSG(mismatches == 0, "%u of %zu splits differ from the one-piece feed", mismatches, n + 1);
}

TEST(every_two_way_split) {
        Collected ref;
        char *buf;
        size_t n;

        reference(&ref, &buf, &n);
        REQUIRE(ref.n_reps == 1);
        check_every_split(buf, n, &ref);
        collected_free(&ref);
        free(buf);
}

TEST(every_two_way_split_crlf) {
        Collected ref, lf;
        char *buf, *crlf;
        size_t n, cn;

        reference(&lf, &buf, &n);
        crlf = replace_all(buf, n, "\n", 1, "\r\n", 2, &cn);
        memset(&ref, 0, sizeof(ref));
        run_chunks(&ref, crlf, cn, 0);
        REQUIRE(ref.n_reps == 1 && lf.n_reps == 1);
        /* CRLF is a rendering detail: same report as with LF */
        CHECK(same_rep(&ref.reps[0], &lf.reps[0]));
        CHECK_INTEQ(ref.reps[0].first_line, lf.reps[0].first_line);
        CHECK_INTEQ(ref.reps[0].last_line, lf.reps[0].last_line);
        CHECK_STREQ(ref.reps[0].task, lf.reps[0].task);
        /* and the very same JSON: no '\r' may leak into any field */
        CHECK_MSG(ref.json_len == lf.json_len && memcmp(ref.json, lf.json, lf.json_len) == 0,
                  "CRLF JSON differs from LF JSON:\n# %.500s\n# %.500s", ref.json, lf.json);
        check_every_split(crlf, cn, &ref);
        collected_free(&ref);
        collected_free(&lf);
        free(buf);
        free(crlf);
}

TEST(one_byte_chunks) {
        static const char *const names[] = { MAIN_FIXTURE, "linux_report_234.txt", "linux_guilty_61.txt",
                                             "linux_report_466.txt", "linux_report_257.txt" };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                Collected one = {}, bytes = {}, odd = {};
                size_t n;
                char *buf = fixture(names[i], &n);

                run_chunks(&one, buf, n, 0);
                run_chunks(&bytes, buf, n, 1);
                run_chunks(&odd, buf, n, 7);
                CHECK_MSG(one.n_reps >= 1, "%s: no report", names[i]);
                CHECK_MSG(one.json_len == bytes.json_len && one.json &&
                                  memcmp(one.json, bytes.json, one.json_len) == 0,
                          "%s: 1-byte chunks differ:\n# %.300s\n# %.300s", names[i], one.json,
                          bytes.json);
                CHECK_MSG(one.json_len == odd.json_len && one.json &&
                                  memcmp(one.json, odd.json, one.json_len) == 0,
                          "%s: 7-byte chunks differ", names[i]);
                CHECK_INTEQ(one.bad_json, 0);
                CHECK_INTEQ(one.bad_copy, 0);
                collected_free(&one);
                collected_free(&bytes);
                collected_free(&odd);
                free(buf);
        }
}

TEST(cut_at_every_line) {
        Collected ref;
        char *buf;
        size_t n;
        unsigned title, bt, lines;

        reference(&ref, &buf, &n);
        title = line_of(buf, "WARNING: possible circular locking dependency detected");
        bt = line_of(buf, "stack backtrace:");
        lines = count_lines(buf, n);
        REQUIRE(title > 0 && bt > title);
        for (unsigned k = 0; k <= lines; k++) {
                Collected c = {};

                run_chunks(&c, buf, offset_after_line(buf, n, k), 0);
                CHECK_MSG(c.feed_ret == 0, "cut after line %u: feed returned %d", k, c.feed_ret);
                CHECK_MSG(c.bad_json == 0, "cut after line %u: invalid JSON", k);
                if (k < title)
                        CHECK_MSG(c.n_reps == 0, "cut after line %u (before the title): %zu reports", k,
                                  c.n_reps);
                else {
                        CHECK_MSG(c.n_reps == 1, "cut after line %u: %zu reports, want 1", k, c.n_reps);
                        if (c.n_reps >= 1) {
                                CHECK_MSG(c.reps[0].kind == LOCKDEP_CIRCULAR, "cut after line %u: kind %d", k,
                                          c.reps[0].kind);
                                CHECK_MSG(c.reps[0].first_line == title, "cut after line %u: first_line %u", k,
                                          c.reps[0].first_line);
                                CHECK_MSG(c.reps[0].last_line <= k && c.reps[0].last_line >= title,
                                          "cut after line %u: last_line %u", k, c.reps[0].last_line);
                                if (k < bt)
                                        CHECK_MSG(c.reps[0].truncated,
                                                  "cut after line %u (before 'stack backtrace:' at %u): not truncated",
                                                  k, bt);
                        }
                }
                collected_free(&c);
        }
        collected_free(&ref);
        free(buf);
}

TEST(cut_at_every_byte) {
        Collected ref;
        char *buf;
        size_t n;

        reference(&ref, &buf, &n);
        for (size_t k = 0; k <= n; k++) {
                Collected c = {};

                run_chunks(&c, buf, k, 0);
                CHECK_MSG(c.feed_ret == 0 && c.bad_json == 0 && c.n_reps <= 1,
                          "cut at byte %zu: ret %d, %u bad JSON, %zu reports", k, c.feed_ret, c.bad_json,
                          c.n_reps);
                collected_free(&c);
        }
        collected_free(&ref);
        free(buf);
}

/* Splits the fixture into lines; strips a "[ ts]" console prefix into the record timestamp. */
static void feed_as_records(Collected *c, const char *buf, size_t n) {
        LockdepParser *p = new_parser(c);

        for (size_t off = 0; off < n;) {
                const char *nl = memchr(buf + off, '\n', n - off);
                size_t end = nl ? (size_t) (nl - buf) : n;
                LockdepRecord rec = { .text = buf + off, .len = end - off };
                unsigned long sec, usec;
                int used = 0;

                if (rec.len > 0 && buf[off] == '[' &&
                    sscanf(buf + off, "[%lu.%lu]%n", &sec, &usec, &used) == 2 && used > 0 &&
                    (size_t) used <= rec.len) {
                        rec.has_ts = true;
                        rec.ts_usec = (uint64_t) sec * 1000000 + usec;
                        rec.text += used;
                        rec.len -= used;
                        if (rec.len > 0 && rec.text[0] == ' ') {
                                rec.text++;
                                rec.len--;
                        }
                }
                note_ret(c, lockdep_parser_feed_record(p, &rec));
                off = end + 1;
        }
        note_ret(c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
}

TEST(records_equal_lines) {
        static const char *const names[] = { MAIN_FIXTURE, "linux_report_234.txt", "linux_guilty_61.txt" };

        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                Collected one = {}, recs = {};
                size_t n;
                char *buf = fixture(names[i], &n);

                run_chunks(&one, buf, n, 0);
                feed_as_records(&recs, buf, n);
                CHECK_INTEQ(recs.feed_ret, 0);
                CHECK_MSG(one.n_reps >= 1 && recs.n_reps == one.n_reps, "%s: %zu reports from records, %zu from text",
                          names[i], recs.n_reps, one.n_reps);
                if (one.n_reps >= 1 && recs.n_reps >= 1) {
                        CHECK_INTEQ(recs.reps[0].kind, one.reps[0].kind);
                        CHECK_STREQ(recs.reps[0].cycle, one.reps[0].cycle);
                        CHECK_STREQ(recs.reps[0].signature, one.reps[0].signature);
                        CHECK_INTEQ(recs.reps[0].first_line, one.reps[0].first_line);
                        CHECK_INTEQ(recs.reps[0].last_line, one.reps[0].last_line);
                }
                CHECK_INTEQ(recs.bad_json, 0);
                CHECK_INTEQ(recs.bad_copy, 0);
                collected_free(&one);
                collected_free(&recs);
                free(buf);
        }
}

TEST(records_with_embedded_newlines) {
        /* kmsg-style records: "\nbut task is already holding lock:" is one record */
        static const char *const recs_text[] = {
                "",
                "======================================================",
                "WARNING: possible circular locking dependency detected",
                "4.14.0-rc1+ #1 Not tainted",
                "------------------------------------------------------",
                "syz-executor0/22269 is trying to acquire lock:",
                " (&bdev->bd_mutex){+.+.}, at: [<ffffffff8232bf0e>] blkdev_reread_part+0x1e/0x40",
                "\nbut task is already holding lock:",
                " (&lo->lo_ctl_mutex#2){+.+.}, at: [<ffffffff83542c29>] lo_compat_ioctl+0x109/0x140",
                "\nwhich lock already depends on the new lock.\n",
                "\nthe existing dependency chain (in reverse order) is:",
                "\n-> #1 (&lo->lo_ctl_mutex#2){+.+.}:",
                "       lo_release+0x6b/0x180\n       __blkdev_put+0x602/0x7c0",
                "\n-> #0 (&bdev->bd_mutex){+.+.}:",
                "       blkdev_reread_part+0x1e/0x40",
                "\nother info that might help us debug this:\n",
                "1 lock held by syz-executor0/22269:",
                " #0:  (&lo->lo_ctl_mutex#2){+.+.}, at: [<ffffffff83542c29>] lo_compat_ioctl+0x109/0x140",
                "\nstack backtrace:",
                "CPU: 0 PID: 22269 Comm: syz-executor0 Not tainted 4.14.0-rc1+ #1",
                "Call Trace:",
                " dump_stack+0x194/0x257",
                " lock_acquire+0x1d5/0x580",
                " blkdev_reread_part+0x1e/0x40",
                "sd 0:0:0:0: [sda] Synchronizing SCSI cache",
        };
        Collected c = {};
        LockdepParser *p = new_parser(&c);
        size_t nrec = sizeof(recs_text) / sizeof(recs_text[0]);

        for (size_t i = 0; i < nrec; i++) {
                LockdepRecord r = { .text = recs_text[i], .len = strlen(recs_text[i]), .has_ts = true,
                                    .ts_usec = 127000000 + i, .caller_kind = 'T', .caller_id = 22269 };
                note_ret(&c, lockdep_parser_feed_record(p, &r));
        }
        note_ret(&c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
        CHECK_INTEQ(c.feed_ret, 0);
        REQUIRE(c.n_reps == 1);
        CHECK_INTEQ(c.reps[0].kind, LOCKDEP_CIRCULAR);
        CHECK_STREQ(c.reps[0].cycle, "&lo->lo_ctl_mutex#2|&bdev->bd_mutex");
        CHECK_INTEQ(c.reps[0].first_line, 3);
        CHECK_INTEQ(c.reps[0].last_line, nrec - 1);
        CHECK(!c.reps[0].truncated);
        CHECK_STREQ(c.reps[0].task, "syz-executor0");
        CHECK_INTEQ(c.reps[0].pid, 22269);
        collected_free(&c);
}

static char *mib_line(char fill, size_t len, bool newline) {
        char *s = malloc(len + 2);

        assert(s);
        memset(s, fill, len);
        if (newline)
                s[len++] = '\n';
        s[len] = 0;
        return s;
}

TEST(one_mib_line) {
        Collected ref;
        char *buf, *big, *in;
        size_t n, inl;
        const size_t MIB = 1024 * 1024;

        reference(&ref, &buf, &n);
        REQUIRE(ref.n_reps == 1);

        /* a 1 MiB line before the report: report unchanged, one line later */
        big = mib_line('x', MIB, true);
        in = concat3(big, MIB + 1, buf, n, "", 0, &inl);
        {
                Collected c = {};
                run_chunks(&c, in, inl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                REQUIRE(c.n_reps == 1);
                CHECK(same_rep(&c.reps[0], &ref.reps[0]));
                CHECK_INTEQ(c.reps[0].first_line, ref.reps[0].first_line + 1);
                CHECK_INTEQ(c.reps[0].last_line, ref.reps[0].last_line + 1);
                collected_free(&c);
        }
        free(in);

        /* same, fed in 4 KiB chunks */
        in = concat3(big, MIB + 1, buf, n, "", 0, &inl);
        {
                Collected c = {};
                run_chunks(&c, in, inl, 4096);
                REQUIRE(c.n_reps == 1);
                CHECK(same_rep(&c.reps[0], &ref.reps[0]));
                collected_free(&c);
        }
        free(in);

        /* a 1 MiB line inside the report (after the "-> #0" entry): no crash, valid JSON */
        {
                size_t at = offset_after_line(buf, n, line_of(buf, "-> #0"));
                Collected c = {};

                in = concat3(buf, at, big, MIB + 1, buf + at, n - at, &inl);
                run_chunks(&c, in, inl, 65536);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                CHECK(c.n_reps >= 1);
                free(in);
                collected_free(&c);
        }

        /* a 1 MiB lock name: no crash, valid JSON */
        {
                Collected c = {};
                char *name = mib_line('a', MIB, false);
                char *in2;
                size_t l2;

                in = replace_all(buf, n, "&bdev->bd_mutex", strlen("&bdev->bd_mutex"), name, MIB, &inl);
                run_chunks(&c, in, inl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                CHECK(c.n_reps >= 1);
                collected_free(&c);
                free(name);

                /* and a 1 MiB line at EOF without a newline */
                in2 = concat3(buf, n, big, MIB, "", 0, &l2);
                run_chunks(&c, in2, l2, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK(c.n_reps == 1);
                collected_free(&c);
                free(in2);
                free(in);
        }
        free(big);
        collected_free(&ref);
        free(buf);
}

TEST(nul_bytes) {
        Collected ref;
        char *buf, *in;
        size_t n, inl;
        static const char junk[] = "abc\0def\0\0\0 ghi\n\0\0\0\n[  1.000000] usb 1-1: new \0 device\n";

        reference(&ref, &buf, &n);
        REQUIRE(ref.n_reps == 1);

        /* NUL-containing lines before and after the report */
        {
                Collected c = {};
                in = concat3(junk, sizeof(junk) - 1, buf, n, junk, sizeof(junk) - 1, &inl);
                run_chunks(&c, in, inl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                REQUIRE(c.n_reps == 1);
                CHECK(same_rep(&c.reps[0], &ref.reps[0]));
                CHECK_INTEQ(c.reps[0].first_line, ref.reps[0].first_line + 3);
                collected_free(&c);
                free(in);
        }

        /* NUL bytes inside the task name and a lock name: valid JSON (no raw NUL) */
        {
                Collected c = {};
                char *tmp;
                size_t tl;

                tmp = replace_all(buf, n, "syz-executor0", 13, "syz-\0xecutor0", 13, &tl);
                in = replace_all(tmp, tl, "&bdev->bd_mutex", 15, "&bdev->\0d_mutex", 15, &inl);
                run_chunks(&c, in, inl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                CHECK(c.n_reps == 1);
                CHECK(!c.json || strlen(c.json) == c.json_len);
                collected_free(&c);
                free(tmp);
                free(in);
        }

        /* 256 KiB of NUL bytes */
        {
                Collected c = {};
                size_t zl = 256 * 1024;
                char *z = calloc(zl, 1);

                assert(z);
                run_chunks(&c, z, zl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK_INTEQ(c.n_reps, 0);
                collected_free(&c);
                free(z);
        }
        collected_free(&ref);
        free(buf);
}

TEST(random_bytes) {
        const size_t N = 1000 * 1000;
        char *r = malloc(N);
        Collected c = {};
        LockdepParser *p;

        assert(r);
        rng_state = 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < N; i++)
                r[i] = (char) (rng() >> 56);

        /* 1 MB of random bytes, fed in random-sized chunks */
        p = new_parser(&c);
        for (size_t off = 0; off < N;) {
                size_t k = 1 + rng() % 8192;
                if (k > N - off)
                        k = N - off;
                note_ret(&c, lockdep_parser_feed(p, r + off, k));
                off += k;
        }
        note_ret(&c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
        CHECK_INTEQ(c.feed_ret, 0);
        CHECK_INTEQ(c.bad_json, 0);
        CHECK_INTEQ(c.bad_copy, 0);
        collected_free(&c);

        /* random bytes around a real report: the report is still found */
        {
                Collected ref, d = {};
                char *buf, *in;
                size_t n, inl;
                bool found = false;

                reference(&ref, &buf, &n);
                REQUIRE(ref.n_reps == 1);
                r[N / 2 - 1] = '\n';
                in = concat3(r, N / 2, buf, n, r + N / 2, N / 2, &inl);
                run_chunks(&d, in, inl, 0);
                CHECK_INTEQ(d.feed_ret, 0);
                CHECK_INTEQ(d.bad_json, 0);
                CHECK_INTEQ(d.bad_copy, 0);
                for (size_t i = 0; i < d.n_reps && i < MAX_REPS; i++)
                        if (d.reps[i].kind == LOCKDEP_CIRCULAR &&
                            strcmp(d.reps[i].cycle, ref.reps[0].cycle) == 0)
                                found = true;
                CHECK_MSG(found, "report not found between random bytes (%zu reports)", d.n_reps);
                collected_free(&d);
                collected_free(&ref);
                free(in);
                free(buf);
        }
        free(r);
}

static char *repeat(const char *s, size_t times) {
        size_t l = strlen(s);
        char *out = malloc(l * times + 1);

        assert(out);
        for (size_t i = 0; i < times; i++)
                memcpy(out + i * l, s, l);
        out[l * times] = 0;
        return out;
}

TEST(nested_parentheses) {
        Collected ref;
        char *buf;
        size_t n;
        char *open = repeat("(", 10000), *close = repeat(")", 10000);
        const char *name = "&bdev->bd_mutex";
        char *deep;
        size_t dl = 20000 + strlen(name);

        reference(&ref, &buf, &n);
        REQUIRE(ref.n_reps == 1);
        deep = malloc(dl + 1);
        assert(deep);
        snprintf(deep, dl + 1, "%s%s%s", open, name, close);

        /* balanced: 10,000 levels around a lock name */
        {
                Collected c = {};
                size_t inl;
                char *in = replace_all(buf, n, name, strlen(name), deep, dl, &inl);

                run_chunks(&c, in, inl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                CHECK(c.n_reps == 1);
                if (c.n_reps == 1) {
                        /* parenthesis matching must keep the whole nested name */
                        CHECK(c.reps[0].kind == LOCKDEP_CIRCULAR);
                        CHECK(strstr(c.reps[0].cycle, deep) != NULL);
                }
                collected_free(&c);
                free(in);
        }
        /* unbalanced: only opening / only closing parentheses */
        for (int k = 0; k < 2; k++) {
                Collected c = {};
                size_t inl;
                char *in = replace_all(buf, n, name, strlen(name), k ? open : close, 10000, &inl);

                run_chunks(&c, in, inl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                collected_free(&c);
                free(in);
        }
        free(deep);
        free(open);
        free(close);
        collected_free(&ref);
        free(buf);
}

TEST(invalid_utf8_task_name) {
        Collected ref;
        char *buf;
        size_t n;
        /* bad lead bytes, a truncated sequence, an overlong, a surrogate, a lone continuation */
        static const char bad[] = "syz\xff\xfe\xc3(\xc0\xaf\xed\xa0\x80\x80x";

        reference(&ref, &buf, &n);
        REQUIRE(ref.n_reps == 1);
        {
                Collected c = {};
                size_t inl;
                char *in = replace_all(buf, n, "syz-executor0", 13, bad, sizeof(bad) - 1, &inl);

                run_chunks(&c, in, inl, 0);
                CHECK_INTEQ(c.feed_ret, 0);
                REQUIRE(c.n_reps == 1);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                CHECK(tap_valid_utf8(c.json, c.json_len));
                CHECK(c.reps[0].task != NULL);
                CHECK_INTEQ(c.reps[0].pid, 22269);
                CHECK(same_rep(&c.reps[0], &ref.reps[0]));
                collected_free(&c);
                free(in);
        }
        /* valid multi-byte UTF-8 survives unchanged */
        {
                Collected c = {};
                size_t inl;
                char *in = replace_all(buf, n, "syz-executor0", 13, "gr\xc3\xbc\xc3\x9f-\xe2\x82\xac", 10, &inl);

                run_chunks(&c, in, inl, 0);
                REQUIRE(c.n_reps == 1);
                CHECK_INTEQ(c.bad_json, 0);
                CHECK_INTEQ(c.bad_copy, 0);
                CHECK_STREQ(c.reps[0].task, "gr\xc3\xbc\xc3\x9f-\xe2\x82\xac");
                collected_free(&c);
                free(in);
        }
        collected_free(&ref);
        free(buf);
}

TEST(json_metacharacters_in_task_name) {
        Collected ref;
        char *buf;
        size_t n;
        static const char *const names[] = { "a\"b\\c d", "x\ty\x01z", "</script>" };

        reference(&ref, &buf, &n);
        REQUIRE(ref.n_reps == 1);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                Collected c = {};
                size_t inl;
                char *in = replace_all(buf, n, "syz-executor0", 13, names[i], strlen(names[i]), &inl);

                run_chunks(&c, in, inl, 0);
                REQUIRE(c.n_reps == 1);
                CHECK_MSG(c.bad_json == 0, "task %zu breaks the JSON", i);
                CHECK_INTEQ(c.reps[0].pid, 22269);
                if (i != 1)
                        CHECK_STREQ(c.reps[0].task, names[i]);
                collected_free(&c);
                free(in);
        }
        collected_free(&ref);
        free(buf);
}

TEST(callback_abort) {
        char *buf;
        size_t n;
        Collected c = { .abort_with = -42 };
        LockdepParser *p;
        int r1, r2;

        buf = fixture(MAIN_FIXTURE, &n);
        /* two copies: the first report ends (and is emitted) during feed, when the second starts */
        {
                size_t l2;
                char *two = concat3(buf, n, buf, n, "", 0, &l2);

                p = new_parser(&c);
                r1 = lockdep_parser_feed(p, two, l2);
                r2 = r1 < 0 ? r1 : lockdep_parser_finish(p);
                lockdep_parser_free(p);
                free(two);
        }
        CHECK_INTEQ(c.n_reps, 1);
        CHECK_MSG(r1 == -42 || r2 == -42, "feed returned %d, finish %d; want -42", r1, r2);
        collected_free(&c);
        free(buf);
}

TEST(two_reports_in_order) {
        char *buf, *two;
        size_t n, l2;
        Collected c = {};
        unsigned lines;

        buf = fixture(MAIN_FIXTURE, &n);
        lines = count_lines(buf, n);
        two = concat3(buf, n, buf, n, "", 0, &l2);
        run_chunks(&c, two, l2, 0);
        REQUIRE(c.n_reps == 2);
        CHECK(same_rep(&c.reps[0], &c.reps[1]));
        CHECK_INTEQ(c.reps[1].first_line, c.reps[0].first_line + lines);
        CHECK(c.reps[0].last_line < c.reps[1].first_line);
        CHECK(!c.reps[0].truncated);
        CHECK(!c.reps[1].truncated);
        collected_free(&c);
        free(two);
        free(buf);
}

TEST(kernel_and_taint_from_ident_line) {
        /* the kernel release and taint come from the identification line after the title, so they
         * are known even when the report is cut before the dump_stack "CPU: ... Comm:" line */
        char *buf, *tainted;
        size_t n, tl;
        unsigned bt;
        static const char ident[] = "4.14.0-rc1+ #1 Not tainted";
        static const char ident_t[] = "4.14.0-rc1+ #1 Tainted: G    B   W  O      ";

        buf = fixture(MAIN_FIXTURE, &n);
        bt = line_of(buf, "stack backtrace:");
        REQUIRE(bt > 0);
        tainted = replace_all(buf, n, ident, strlen(ident), ident_t, strlen(ident_t), &tl);
        for (int cut = 0; cut < 2; cut++)
                for (int t = 0; t < 2; t++) {
                        const char *in = t ? tainted : buf;
                        size_t len = t ? tl : n;
                        Collected c = {};

                        if (cut)
                                len = offset_after_line(in, len, bt - 1);
                        run_chunks(&c, in, len, 0);
                        REQUIRE(c.n_reps == 1);
                        CHECK_MSG(strstr(c.json, "\"kernel\":\"4.14.0-rc1+\"") != NULL,
                                  "cut=%d tainted=%d: kernel missing: %.300s", cut, t, c.json);
                        if (t)
                                CHECK_MSG(strstr(c.json, "\"tainted\":\"BWO\"") != NULL,
                                          "cut=%d: tainted != BWO: %.400s", cut, c.json);
                        else
                                CHECK_MSG(!strstr(c.json, "\"tainted\":\""), "cut=%d: tainted set for 'Not tainted'", cut);
                        collected_free(&c);
                }
        free(tainted);
        free(buf);
}

TEST(kind_strings) {
        static const char *const names[] = {
                "circular", "recursive", "inconsistent", "irq_inversion", "safe_unsafe",
                "bad_unlock_balance", "bad_contention", "held_lock_freed", "held_at_exit",
                "return_to_user", "nested_lock_not_taken", "invalid_wait_context", "suspicious_rcu",
                "non_static_key", "chain_key_collision", "capacity", "internal",
        };

        CHECK_INTEQ(sizeof(names) / sizeof(names[0]), _LOCKDEP_KIND_MAX);
        for (int k = 0; k < _LOCKDEP_KIND_MAX; k++) {
                CHECK_STREQ(lockdep_kind_to_string((LockdepKind) k), names[k]);
                CHECK_INTEQ(lockdep_kind_from_string(names[k]), k);
        }
        CHECK(lockdep_kind_to_string(_LOCKDEP_KIND_MAX) == NULL);
        CHECK(lockdep_kind_to_string((LockdepKind) -1) == NULL);
        CHECK(lockdep_kind_from_string("no-such-kind") < 0);
}

/* Issue 12 item 3: a pause inside a backtrace is not the report's end. */
TEST(pause_inside_backtrace) {
        size_t n;
        char *buf = fixture("linux_report_26.txt", &n);
        const char *bt = strstr(buf, "Call Trace:");
        assert(bt);
        /* three frames into the trace */
        const char *cut = bt;
        for (int k = 0; k < 4; k++)
                cut = strchr(cut, '\n') + 1;
        Collected ref = {};
        run_chunks(&ref, buf, n, 0);
        CHECK(ref.n_reps == 1 && !ref.reps[0].truncated);

        /* a short quiet period: nothing is emitted, the report waits for the rest */
        Collected c = {};
        LockdepParser *p = new_parser(&c);
        note_ret(&c, lockdep_parser_feed(p, buf, (size_t) (cut - buf)));
        CHECK(lockdep_parser_flush_idle(p) == 0);
        CHECK(c.n_reps == 0);
        note_ret(&c, lockdep_parser_feed(p, cut, n - (size_t) (cut - buf)));
        note_ret(&c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
        CHECK(c.feed_ret == 0);
        CHECK(c.n_reps == 1);
        if (c.n_reps == 1) {
                CHECK(!c.reps[0].truncated);
                CHECK(c.reps[0].last_line == ref.reps[0].last_line);
                CHECK_STREQ(c.reps[0].signature, ref.reps[0].signature);
        }
        collected_free(&c);

        /* a long quiet period: a truncated copy now, the complete report when the rest arrives */
        p = new_parser(&c);
        note_ret(&c, lockdep_parser_feed(p, buf, (size_t) (cut - buf)));
        CHECK(lockdep_parser_flush_stale(p) == 1);
        CHECK(lockdep_parser_flush_stale(p) == 0); /* nothing new: not again */
        CHECK(c.n_reps == 1 && c.reps[0].truncated);
        note_ret(&c, lockdep_parser_feed(p, cut, n - (size_t) (cut - buf)));
        note_ret(&c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
        CHECK(c.n_reps == 2);
        if (c.n_reps == 2) {
                CHECK(c.reps[0].first_line == c.reps[1].first_line);
                CHECK(!c.reps[1].truncated);
                CHECK(c.reps[1].last_line == ref.reps[0].last_line);
        }
        collected_free(&c);
        collected_free(&ref);
        free(buf);
}

/* ... but the closing </TASK> of a 5.16+ dump_stack() is: the idle flush emits the report. */
TEST(task_marker_ends_report) {
        const char *text =
                "[   10.000000] WARNING: possible recursive locking detected\n"
                "[   10.000001] 6.1.0 #1 Not tainted\n"
                "[   10.000002] --------------------------------------------\n"
                "[   10.000003] a.out/12 is trying to acquire lock:\n"
                "[   10.000004] ffff888100000000 (&x->lock){+.+.}-{3:3}, at: foo_bar+0x1/0x2\n"
                "[   10.000005] \n"
                "[   10.000006] but task is already holding lock:\n"
                "[   10.000007] ffff888100000000 (&x->lock){+.+.}-{3:3}, at: foo_baz+0x1/0x2\n"
                "[   10.000008] \n"
                "[   10.000009] stack backtrace:\n"
                "[   10.000010] CPU: 0 PID: 12 Comm: a.out Not tainted 6.1.0 #1\n"
                "[   10.000011] Call Trace:\n"
                "[   10.000012]  <TASK>\n"
                "[   10.000013]  dump_stack_lvl+0x5b/0x77\n"
                "[   10.000014]  <IRQ>\n"
                "[   10.000015]  foo_bar+0x1/0x2\n"
                "[   10.000016]  </IRQ>\n";
        const char *rest = "[   10.000017]  do_syscall_64+0x3b/0x90\n"
                           "[   10.000018]  </TASK>\n";
        Collected c = {};
        LockdepParser *p = new_parser(&c);
        note_ret(&c, lockdep_parser_feed(p, text, strlen(text)));
        CHECK(lockdep_parser_flush_idle(p) == 0); /* </IRQ> is not the end */
        note_ret(&c, lockdep_parser_feed(p, rest, strlen(rest)));
        CHECK(lockdep_parser_flush_idle(p) == 1);
        CHECK(c.n_reps == 1 && !c.reps[0].truncated && c.reps[0].last_line == 19);
        note_ret(&c, lockdep_parser_finish(p));
        lockdep_parser_free(p);
        CHECK(c.n_reps == 1 && c.feed_ret == 0);
        collected_free(&c);
}

TAP_MAIN(T(pause_inside_backtrace), T(task_marker_ends_report),
         T(reference_parse), T(every_two_way_split), T(every_two_way_split_crlf), T(one_byte_chunks),
         T(cut_at_every_line), T(cut_at_every_byte), T(records_equal_lines),
         T(records_with_embedded_newlines), T(one_mib_line), T(nul_bytes), T(random_bytes),
         T(nested_parentheses), T(invalid_utf8_task_name), T(json_metacharacters_in_task_name),
         T(callback_abort), T(two_reports_in_order), T(kernel_and_taint_from_ident_line),
         T(kind_strings))
