/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rule modules every front end shares:
 *  - kernel release order (common/kernel-release.c) over 70 real release strings of the corpus,
 *    the golden cases and distribution kernels, in a hand-checked order: every pair compares as
 *    its positions do, and sorting any shuffle gives the list back
 *  - release series ("6.1" is 6.1.x and 6.1-rcN, not 6.10) and the --kernel/kernel= filters
 *  - the time grammar of --since/--until and since=/until= (common/time-spec.c): the words, the
 *    end-of-period rule, invalid dates refused, $LOCKDEP_NOW
 *  - ids and numbers (common/parse-util.c)
 *  - the alias tables in their order, with the same errors for every caller (store/aliases.c)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "ingest.h"
#include "kernel-release.h"
#include "lockdep.h"
#include "macro.h"
#include "parse-util.h"
#include "tap.h"
#include "time-spec.h"

/* Version order, oldest first: corpus/syzkaller and golden cases, issue examples, distributions
 * (RHEL 6-9, Debian 10-12, Ubuntu, Fedora, Arch, Azure). */
static const char *const releases[] = {
        "2.6.26-rc2",
        "2.6.32-rc6-00035-g8b17a4f",
        "2.6.32-754.el6.x86_64",
        "3.10.0-1160.el7.x86_64",
        "3.10.37+",
        "4.1.15+",
        "4.3.5+",
        "4.4.0-21-generic",
        "4.4.107-g79f138a",
        "4.8.0+",
        "4.9.0-rc4+",
        "4.9.65-g8ae26d1",
        "4.9.65-gea83e4a",
        "4.9.112-g9e79039",
        "4.10.0-rc8+",
        "4.10.0+",
        "4.11.0-rc4+",
        "4.12.0-rc3+",
        "4.13.0-rc6-next-20170825+",
        "4.14.0-rc1+",
        "4.14.0-rc7-next-20171103+",
        "4.14.0-next-20171127+",
        "4.14.176-syzkaller",
        "4.15.0-rc2+",
        "4.15.0-rc3+",
        "4.15.0-rc6+",
        "4.15.0-rc8+",
        "4.15.0-rc9+",
        "4.15.0+",
        "4.15.0-213-generic",
        "4.15.0-syzkaller",
        "4.16.0+",
        "4.17.0-rc1+",
        "4.17.0-rc2+",
        "4.18.0-rc2+",
        "4.18.0-rc4+",
        "4.18.0-553.el8_10.x86_64",
        "4.19.0-27-amd64",
        "4.19.121-syzkaller-00214-g8833700",
        "4.20.0-rc5+",
        "4.20.0+",
        "4.20.0-next-20190103",
        "5.0.0-rc1-next-20190111",
        "5.1.0-rc2+",
        "5.1.0-rc4-13807-ge5a190e835a1",
        "5.1.0-rc4-319354-g9a33b36",
        "5.1.0+",
        "5.2.0-rc5+",
        "5.2.0-rc6+",
        "5.4.0-150-generic",
        "5.4.83-syzkaller-11737-g599480d3622e",
        "5.5.0-rc7-next-20200124+",
        "5.6.0-rc5+",
        "5.9.0-12994-gf9893351acae",
        "5.10.0-rc1+",
        "5.10.0-28-amd64",
        "5.10.0-syzkaller",
        "5.10.2",
        "5.10.136-syzkaller-19376-g6f46a5fe0124",
        "5.11.0-rc1-syzkaller",
        "5.14.0-427.13.1.el9_4.x86_64",
        "5.15.0-rc2-syzkaller",
        "5.15.0-91-generic",
        "5.15.0-1051-azure",
        "6.0.0-rc6-syzkaller-17742-gc194837ebb57",
        "6.0.0-rc7-syzkaller-00220-gffb4d94b4314",
        "6.0.0-rc7-syzkaller-18095-gbbed346d5a96",
        "6.1.0-rc5-next-20221114-syzkaller",
        "6.1.0-18-amd64",
        "6.1.55",
        "6.2.0-rc6-syzkaller-00163-g66a87fff1a87",
        "6.4.0-rc1",
        "6.4.0-rc1-00039-g18a87f3eaef5",
        "6.5.6-300.fc39.x86_64",
        "6.6.30-1-lts",
        "6.7.0-rc8",
        "6.7.0-rc8-next-20240105",
        "6.7.0-rc8-next-20240112",
        "6.7.0",
        "6.8.0-31-generic",
        "6.8.0-100-generic",
        "6.9.0-rc7",
        "6.9.0",
        "6.9.3-arch1-1",
        "6.10.0",
        "6.11-rc2",
        "6.12.0-0.rc3.20241015git6485cf5e8d16.31.fc42.x86_64",
        "6.14.0",
        "6.15.0-rc7-dirty",
        "10.0.0",
};

TEST(release_order) {
        size_t n = ELEMENTSOF(releases);
        CHECK(n >= 60);
        for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < n; j++) {
                        int c = kernel_release_compare(releases[i], releases[j]);
                        if (!(i < j ? c < 0 : i > j ? c > 0 : c == 0))
                                tap_diag(__FILE__, __LINE__, "%s vs %s: %d", releases[i], releases[j], c);
                        CHECK(i < j ? c < 0 : i > j ? c > 0 : c == 0);
                }
}

static int cmp_release(const void *a, const void *b) {
        return kernel_release_compare(*(const char *const *) a, *(const char *const *) b);
}

/* The arrival order of releases must not matter: sort shuffles back to the list. */
TEST(release_sort_shuffles) {
        size_t n = ELEMENTSOF(releases);
        const char *v[ELEMENTSOF(releases)];
        unsigned seed = 1;
        for (int round = 0; round < 50; round++) {
                memcpy(v, releases, sizeof(v));
                for (size_t i = n - 1; i > 0; i--) {
                        seed = seed * 1103515245 + 12345;
                        size_t k = (seed >> 8) % (i + 1);
                        const char *t = v[i];
                        v[i] = v[k];
                        v[k] = t;
                }
                qsort(v, n, sizeof(v[0]), cmp_release);
                CHECK(memcmp(v, releases, sizeof(v)) == 0);
        }
}

TEST(release_order_details) {
        CHECK(kernel_release_compare(NULL, "1") < 0 && kernel_release_compare(NULL, NULL) == 0);
        CHECK(kernel_release_compare("6.10", "6.10.0") < 0 && kernel_release_compare("6.10.0", "6.10") > 0);
        CHECK(kernel_release_compare("unknown", "2.6.12") < 0 && kernel_release_compare("", "0") < 0);
        CHECK(kernel_release_compare("6.9-rc1", "6.9") < 0 && kernel_release_compare("6.9", "6.9.1") < 0);
        CHECK(kernel_release_compare("6.1~rc3", "6.1") < 0);
        CHECK(kernel_release_compare("6.9.0-rc10", "6.9.0-rc9") > 0);
        CHECK(kernel_release_compare("06.1", "6.1") != 0); /* equal versions, different strings */
        CHECK(kernel_release_compare_n("6.1.0xyz", 5, "6.1.0", 5) == 0);
}

TEST(release_series) {
        CHECK(kernel_release_in_series("6.1", "6.1"));
        CHECK(kernel_release_in_series("6.1.55", "6.1"));
        CHECK(kernel_release_in_series("6.1-rc3", "6.1"));
        CHECK(kernel_release_in_series("6.1.0-18-amd64", "6.1"));
        CHECK(!kernel_release_in_series("6.10", "6.1"));
        CHECK(!kernel_release_in_series("6.15.0", "6.1"));
        CHECK(!kernel_release_in_series("6.0.1", "6.1"));
        CHECK(kernel_release_in_series("6.4.0-rc1-00039-g18a87f3eaef5", "6.4.0-rc1"));
        CHECK(!kernel_release_in_series("6.4.0-rc10", "6.4.0-rc1"));
        CHECK(kernel_release_in_series("6.4.0-rc10", "6.4.0-rc"));
        CHECK(kernel_release_in_series("6.9.2", "6"));
        CHECK(!kernel_release_in_series("61.2", "6"));
        CHECK(kernel_release_valid("6.1") && kernel_release_valid("4.14.0-rc1+"));
        CHECK(!kernel_release_valid("") && !kernel_release_valid("v6.1") && !kernel_release_valid("6.1 x") &&
              !kernel_release_valid("6.1\x1b"));
}

static bool match(const char *filter, const char *release) {
        KernelFilter f;
        const char *why;
        assert(kernel_filter_parse(filter, &f, &why) == 0);
        bool m = kernel_filter_match(&f, release);
        kernel_filter_done(&f);
        return m;
}

TEST(kernel_filters) {
        /* a prefix on component boundaries, "6.1*" and "6.1.*" alike */
        static const char *const in61[] = { "6.1", "6.1.0", "6.1.55", "6.1-rc3", "6.1.0-18-amd64" };
        static const char *const out61[] = { "6.10", "6.15.0", "6.16-rc1", "6.0.9", "5.1", "61" };
        for (size_t i = 0; i < ELEMENTSOF(in61); i++) {
                CHECK(match("6.1", in61[i]));
                CHECK(match("6.1*", in61[i]));
                CHECK(match("6.1.*", in61[i]));
        }
        for (size_t i = 0; i < ELEMENTSOF(out61); i++) {
                CHECK(!match("6.1", out61[i]));
                CHECK(!match("6.1*", out61[i]));
        }
        CHECK(match("=6.1", "6.1") && !match("=6.1", "6.1.1"));
        /* ranges by version, a bound's series counted as the bound */
        CHECK(match(">=6.9", "6.9-rc1") && match(">=6.9", "6.9") && match(">=6.9", "6.9.3-arch1-1"));
        CHECK(match(">=6.9", "6.10") && match(">=6.9", "10.0") && !match(">=6.9", "6.8.12"));
        CHECK(!match(">6.9", "6.9.5") && match(">6.9", "6.10-rc1") && !match(">6.9", "6.8"));
        CHECK(match("<=6.9", "6.9.5") && match("<=6.9", "6.8") && !match("<=6.9", "6.10-rc1"));
        CHECK(match("<6.10", "6.9.12") && !match("<6.10", "6.10-rc1") && !match("<6.10", "6.10"));
        CHECK(match("6.6..6.9", "6.6") && match("6.6..6.9", "6.8.1") && match("6.6..6.9", "6.9.9"));
        CHECK(!match("6.6..6.9", "6.5.9") && !match("6.6..6.9", "6.10"));
        CHECK(match(">=6.9.0", "6.9") && match("<=6.9.0", "6.9")); /* the same version */
        /* the man page's "6.9 and later" over every real release */
        for (size_t i = 0; i < ELEMENTSOF(releases); i++)
                CHECK(match(">=6.9", releases[i]) == (kernel_release_compare(releases[i], "6.9.0-rc7") >= 0));

        KernelFilter f;
        const char *why = NULL;
        static const char *const bad[] = { "", "*", "*6.1", "6.*1", ">=", ">=6.1*", "..6.1", "6.1..", "v6.1",
                                           "6.1 6.2", ">x", "=", "6.1..6.2..6.3" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                why = NULL;
                CHECK(kernel_filter_parse(bad[i], &f, &why) == -EINVAL && why);
        }
}

#define S 1000000ULL

static uint64_t tp(const char *s, TimeBound b, uint64_t now) {
        uint64_t v = 42;
        int r = time_parse(s, b, now, &v);
        if (r < 0)
                return UINT64_MAX;
        return v;
}

TEST(time_grammar) {
        uint64_t now = 1764754200ULL * S + 123; /* 2025-12-03T09:30:00Z */
        uint64_t day = 1764720000ULL * S;      /* 2025-12-03T00:00:00Z */

        CHECK(tp("2025-12-03", TIME_SINCE, now) == day);
        CHECK(tp("2025-12-03", TIME_UNTIL, now) == day + 86400 * S - 1);
        CHECK(tp("2025-12-03T09:30", TIME_SINCE, now) == day + 34200 * S);
        CHECK(tp("2025-12-03T09:30", TIME_UNTIL, now) == day + 34260 * S - 1);
        CHECK(tp("2025-12-03 09:30:15", TIME_UNTIL, now) == day + 34216 * S - 1);
        CHECK(tp("2025-12-03T09:30:15Z", TIME_SINCE, now) == day + 34215 * S);
        CHECK(tp("2025-12-03T09:30:15.5Z", TIME_SINCE, now) == day + 34215 * S);
        CHECK(tp("2025-12-03T11:30:15+02:00", TIME_SINCE, now) == day + 34215 * S);
        CHECK(tp("2025-12-03T07:00:00-02:30", TIME_SINCE, now) == day + 34200 * S);
        CHECK(tp("@1764720000", TIME_SINCE, now) == day);
        CHECK(tp("@1764720000", TIME_UNTIL, now) == day + S - 1);
        CHECK(tp("1764720000", TIME_SINCE, now) == day);
        CHECK(tp("now", TIME_SINCE, now) == now && tp("now", TIME_UNTIL, now) == now);
        CHECK(tp("today", TIME_SINCE, now) == day && tp("today", TIME_UNTIL, now) == day + 86400 * S - 1);
        CHECK(tp("yesterday", TIME_SINCE, now) == day - 86400 * S);
        CHECK(tp("yesterday", TIME_UNTIL, now) == day - 1);
        CHECK(tp("tomorrow", TIME_SINCE, now) == day + 86400 * S);
        CHECK(tp("-7d", TIME_SINCE, now) == now - 7 * 86400 * S && tp("-7d", TIME_UNTIL, now) == now - 7 * 86400 * S);
        CHECK(tp("+2h", TIME_SINCE, now) == now + 7200 * S);
        CHECK(tp("-1w2d", TIME_SINCE, now) == now - 9 * 86400 * S);
        CHECK(tp("-90m30s", TIME_SINCE, now) == now - 5430 * S);
        CHECK(tp("2024-02-29", TIME_SINCE, now) == 1709164800ULL * S);
        CHECK(tp("2000-02-29", TIME_SINCE, now) != UINT64_MAX);

        static const char *const bad[] = {
                "", "2026-02-31", "2023-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-1-01",
                "2026-01-01T24:00", "2026-01-01T23:60", "2026-01-01T23:59:60", "2026-01-01T9:30", "2026-01-01X",
                "2026-01-01T10:00+5", "1969-12-31", "yester", "-7", "-7y", "7d", "@", "@-5", "@12a", "--1d",
                "-d", "2026-01-01T", "NOW", "+1000000w",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                uint64_t v = 42;
                int r = time_parse(bad[i], TIME_SINCE, now, &v);
                if (r != -EINVAL)
                        tap_diag(__FILE__, __LINE__, "accepted '%s'", bad[i]);
                CHECK(r == -EINVAL && v == 42);
        }
        char buf[TIME_ISO_MAX];
        CHECK(!strcmp(time_format_iso(day + 34215 * S + 999, buf), "2025-12-03T09:30:15Z"));
        CHECK(!strcmp(time_format_day(day + 34215 * S, buf), "2025-12-03"));
}

TEST(fixed_clock) {
        setenv("LOCKDEP_NOW", "1764754200", 1);
        CHECK(time_now() == 1764754200ULL * S);
        setenv("LOCKDEP_NOW", "garbage", 1);
        CHECK(time_now() > 1700000000ULL * S);
        unsetenv("LOCKDEP_NOW");
}

TEST(ids) {
        int64_t id = 7;
        unsigned u = 7;
        CHECK(id_from_string("42", &id) == 0 && id == 42);
        static const char *const bad[] = { "", "0", "-1", "+1", " 1", "1 ", "1x", "0x10", "1234567890123456789", "1.0" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                id = 7;
                CHECK(id_from_string(bad[i], &id) == -EINVAL && id == 7);
        }
        CHECK(id_from_string(NULL, &id) == -EINVAL);
        CHECK(uint_from_string("0", 10, &u) == 0 && u == 0);
        CHECK(uint_from_string("1000", 1000, &u) == 0 && u == 1000);
        CHECK(uint_from_string("1001", 1000, &u) == -ERANGE && u == 1000);
        CHECK(uint_from_string("-1", 1000, &u) == -EINVAL && uint_from_string("", 9, &u) == -EINVAL);
}

static char dir[] = "/tmp/test-rules-XXXXXX";

static char *file(const char *name, const char *text) {
        char *p;
        assert(asprintf(&p, "%s/%s", dir, name) > 0);
        if (text) {
                FILE *f = fopen(p, "we");
                assert(f);
                fputs(text, f);
                fclose(f);
        }
        return p;
}

static char *canon(LockdepAliases *a, const char *name) {
        static char buf[256];
        char *c = lockdep_canonical_class(a, name);
        snprintf(buf, sizeof(buf), "%s", c ? c : "(null)");
        free(c);
        return buf;
}

TEST(alias_tables) {
        _cleanup_free_ char *installed = file("installed.conf", "zzz_lock = installed_lock\n");
        _cleanup_free_ char *admin = file("admin.conf", "zzz_lock = admin_lock\nyyy_lock = admin_y\n");
        _cleanup_free_ char *extra = file("extra.conf", "yyy_lock = extra_y\n");
        _cleanup_free_ char *bad = file("bad.conf", "# comment\nok_lock = fine\nthis is not an alias\n");
        _cleanup_free_ char *missing = file("missing.conf", NULL);
        LockdepAliases *a = NULL;
        char *err = NULL;

        /* no installed file: the built-in table (it knows mmap_sem), then the administrator's */
        CHECK(aliases_load_from(missing, admin, NULL, &a, &err) == 0 && !err);
        CHECK(!strcmp(canon(a, "&mm->mmap_sem"), "&mm->mmap_lock"));
        CHECK(!strcmp(canon(a, "zzz_lock"), "admin_lock"));
        a = lockdep_aliases_free(a);
        /* the installed file replaces the built-in table; later tables win */
        CHECK(aliases_load_from(installed, NULL, NULL, &a, &err) == 0);
        CHECK(!strcmp(canon(a, "zzz_lock"), "installed_lock"));
        CHECK(!strcmp(canon(a, "&mm->mmap_sem"), "&mm->mmap_sem"));
        a = lockdep_aliases_free(a);
        CHECK(aliases_load_from(installed, admin, extra, &a, &err) == 0);
        CHECK(!strcmp(canon(a, "zzz_lock"), "admin_lock") && !strcmp(canon(a, "yyy_lock"), "extra_y"));
        a = lockdep_aliases_free(a);
        /* a missing administrator's table is no error, a missing extra one is */
        CHECK(aliases_load_from(missing, missing, NULL, &a, &err) == 0);
        a = lockdep_aliases_free(a);
        CHECK(aliases_load_from(missing, NULL, missing, &a, &err) == -ENOENT && !a);
        CHECK(err && strstr(err, "missing.conf") && strstr(err, "No such file"));
        free(err);
        err = NULL;
        /* a bad line is an error naming file and line, wherever the table comes from */
        CHECK(aliases_load_from(missing, bad, NULL, &a, &err) == -EINVAL && !a);
        CHECK(err && strstr(err, "bad.conf:3:"));
        free(err);
        err = NULL;
        CHECK(aliases_load_from(bad, NULL, NULL, &a, &err) == -EINVAL && err && strstr(err, "bad.conf:3:"));
        free(err);
        err = NULL;
        CHECK(aliases_load_from(missing, NULL, bad, &a, &err) == -EINVAL && err && strstr(err, "bad.conf:3:"));
        free(err);
        err = NULL;
        /* unreadable: a directory */
        CHECK(aliases_load_from(missing, dir, NULL, &a, &err) < 0 && err && strstr(err, dir));
        free(err);
}

int main(int argc, char **argv) {
        assert(mkdtemp(dir));
        static const TapTest tests[] = {
                T(release_order), T(release_sort_shuffles), T(release_order_details), T(release_series),
                T(kernel_filters), T(time_grammar), T(fixed_clock), T(ids), T(alias_tables),
        };
        tap_argc = argc;
        tap_argv = argv;
        int r = tap_run(tests, ELEMENTSOF(tests));
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) system(cmd);
        return r;
}
