/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Minimal TAP harness for the unit tests: one binary per module, a tiny TEST(name) table.
 *
 *   TEST(foo) { CHECK(1 + 1 == 2); CHECK_STREQ(a, b); }
 *   ...
 *   TAP_MAIN(T(foo), T(bar))
 *
 * Every test runs in a forked child, so a crash (or an assert()) in one test is reported as
 * "not ok N name # crashed by signal S" and the other tests still run. CHECK*() failures are
 * printed as TAP diagnostics ("# file:line: ...") and make the test "not ok" without stopping it.
 * A test calls SKIP("why") to be reported as "ok N name # SKIP why".
 */

#undef NDEBUG
#include <assert.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct TapTest {
        const char *name;
        void (*func)(void);
} TapTest;

static unsigned tap_failures;      /* in the child: failed checks of the running test */
static char **tap_argv;            /* the test binary's arguments, argv[0] included */
static int tap_argc;
static const char *tap_skip_reason; /* in the child */

#define TEST(name) static void test_##name(void)
#define T(name) { #name, test_##name }

static inline void tap_diag(const char *file, int line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static inline void tap_diag(const char *file, int line, const char *fmt, ...) {
        va_list ap;

        fprintf(stdout, "# %s:%d: ", file, line);
        va_start(ap, fmt);
        vfprintf(stdout, fmt, ap);
        va_end(ap);
        fputc('\n', stdout);
        fflush(stdout);
}

#define CHECK(expr)                                                                         \
        do {                                                                                \
                if (!(expr)) {                                                              \
                        tap_failures++;                                                     \
                        tap_diag(__FILE__, __LINE__, "check failed: %s", #expr);            \
                }                                                                           \
        } while (0)

#define CHECK_MSG(expr, ...)                                                                \
        do {                                                                                \
                if (!(expr)) {                                                              \
                        tap_failures++;                                                     \
                        tap_diag(__FILE__, __LINE__, __VA_ARGS__);                          \
                }                                                                           \
        } while (0)

#define CHECK_STREQ(a, b)                                                                   \
        do {                                                                                \
                const char *_a = (a), *_b = (b);                                            \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                    \
                        tap_failures++;                                                     \
                        tap_diag(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,  \
                                 _a ? _a : "(null)", _b ? _b : "(null)");                   \
                }                                                                           \
        } while (0)

#define CHECK_STRNE(a, b)                                                                   \
        do {                                                                                \
                const char *_a = (a), *_b = (b);                                            \
                if (!_a || !_b || strcmp(_a, _b) == 0) {                                    \
                        tap_failures++;                                                     \
                        tap_diag(__FILE__, __LINE__, "%s != %s: both \"%s\"", #a, #b,       \
                                 _a ? _a : "(null)");                                       \
                }                                                                           \
        } while (0)

#define CHECK_INTEQ(a, b)                                                                   \
        do {                                                                                \
                long long _a = (long long) (a), _b = (long long) (b);                       \
                if (_a != _b) {                                                             \
                        tap_failures++;                                                     \
                        tap_diag(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b, _a,  \
                                 _b);                                                       \
                }                                                                           \
        } while (0)

/* Stop the running test right here (the failure is recorded). */
#define REQUIRE(expr)                                                                       \
        do {                                                                                \
                if (!(expr)) {                                                              \
                        tap_failures++;                                                     \
                        tap_diag(__FILE__, __LINE__, "required: %s", #expr);                \
                        return;                                                             \
                }                                                                           \
        } while (0)

#define SKIP(why)                                                                           \
        do {                                                                                \
                tap_skip_reason = (why);                                                    \
                return;                                                                     \
        } while (0)

static inline int tap_run(const TapTest *tests, size_t n) {
        int p[2];
        unsigned failed = 0;

        printf("1..%zu\n", n);
        fflush(stdout);
        for (size_t i = 0; i < n; i++) {
                int status = 0;
                char result[512] = "";
                ssize_t l = 0;
                pid_t pid;

                assert(pipe(p) == 0);
                pid = fork();
                assert(pid >= 0);
                if (pid == 0) {
                        close(p[0]);
                        tests[i].func();
                        if (tap_skip_reason)
                                dprintf(p[1], "S%s", tap_skip_reason);
                        else
                                dprintf(p[1], "%c%u", tap_failures ? 'F' : 'P', tap_failures);
                        fflush(stdout);
                        _exit(0);
                }
                close(p[1]);
                for (;;) {
                        ssize_t k = read(p[0], result + l, sizeof(result) - 1 - l);
                        if (k <= 0)
                                break;
                        l += k;
                }
                result[l] = 0;
                close(p[0]);
                assert(waitpid(pid, &status, 0) == pid);

                if (WIFSIGNALED(status)) {
                        printf("not ok %zu %s # crashed by signal %d (%s)\n", i + 1, tests[i].name,
                               WTERMSIG(status), strsignal(WTERMSIG(status)));
                        failed++;
                } else if (result[0] == 'S')
                        printf("ok %zu %s # SKIP %s\n", i + 1, tests[i].name, result + 1);
                else if (result[0] == 'P')
                        printf("ok %zu %s\n", i + 1, tests[i].name);
                else {
                        printf("not ok %zu %s%s%s\n", i + 1, tests[i].name,
                               result[0] == 'F' ? " # failed checks: " : " # no result",
                               result[0] == 'F' ? result + 1 : "");
                        failed++;
                }
                fflush(stdout);
        }
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#define TAP_MAIN(...)                                                                       \
        int main(int argc, char **argv) {                                                   \
                static const TapTest _tests[] = { __VA_ARGS__ };                            \
                tap_argc = argc;                                                            \
                tap_argv = argv;                                                            \
                return tap_run(_tests, sizeof(_tests) / sizeof(_tests[0]));                 \
        }

/* ---- helpers shared by the unit tests ---- */

/* Reads a whole file; aborts the test binary on error (fixtures are part of the source tree). */
static inline char *tap_read_file(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "rbe");
        char *buf = NULL;
        size_t n = 0, cap = 0;

        if (!f) {
                printf("Bail out! cannot open fixture %s\n", path);
                exit(EXIT_FAILURE);
        }
        for (;;) {
                if (cap - n < 65536) {
                        cap = cap * 2 + 65536;
                        buf = realloc(buf, cap + 1);
                        assert(buf);
                }
                size_t k = fread(buf + n, 1, cap - n, f);
                if (k == 0)
                        break;
                n += k;
        }
        fclose(f);
        buf[n] = 0;
        *ret_len = n;
        return buf;
}

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF). */
static inline bool tap_valid_utf8(const char *s, size_t n) {
        const unsigned char *p = (const unsigned char *) s;
        size_t i = 0;

        while (i < n) {
                unsigned c = p[i], need, cp;
                if (c < 0x80) {
                        i++;
                        continue;
                } else if (c >= 0xc2 && c <= 0xdf) {
                        need = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        need = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        need = 3;
                        cp = c & 0x07;
                } else
                        return false;
                if (i + need >= n)
                        return false;
                for (unsigned k = 1; k <= need; k++) {
                        if ((p[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (p[i + k] & 0x3f);
                }
                if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += need + 1;
        }
        return true;
}

/*
 * Minimal strict JSON syntax validator (RFC 8259): returns true if [s, s+n) is exactly one JSON
 * value, optionally surrounded by whitespace. Raw control characters inside strings are errors.
 */
typedef struct TapJson {
        const char *p, *end;
        unsigned depth;
} TapJson;

static inline void tap_json_ws(TapJson *j) {
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
                j->p++;
}

static inline bool tap_json_value(TapJson *j);

static inline bool tap_json_string(TapJson *j) {
        if (j->p >= j->end || *j->p != '"')
                return false;
        j->p++;
        while (j->p < j->end) {
                unsigned char c = (unsigned char) *j->p;
                if (c == '"') {
                        j->p++;
                        return true;
                }
                if (c < 0x20)
                        return false;
                if (c == '\\') {
                        j->p++;
                        if (j->p >= j->end)
                                return false;
                        c = (unsigned char) *j->p;
                        if (c == 'u') {
                                for (int k = 1; k <= 4; k++)
                                        if (j->p + k >= j->end || !strchr("0123456789abcdefABCDEF", j->p[k]) || !j->p[k])
                                                return false;
                                j->p += 5;
                                continue;
                        }
                        if (!strchr("\"\\/bfnrt", c) || !c)
                                return false;
                }
                j->p++;
        }
        return false;
}

static inline bool tap_json_number(TapJson *j) {
        const char *s = j->p;
        if (j->p < j->end && *j->p == '-')
                j->p++;
        if (j->p >= j->end)
                return false;
        if (*j->p == '0')
                j->p++;
        else if (*j->p >= '1' && *j->p <= '9')
                while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
                        j->p++;
        else
                return false;
        if (j->p < j->end && *j->p == '.') {
                j->p++;
                if (j->p >= j->end || *j->p < '0' || *j->p > '9')
                        return false;
                while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
                        j->p++;
        }
        if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
                j->p++;
                if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
                        j->p++;
                if (j->p >= j->end || *j->p < '0' || *j->p > '9')
                        return false;
                while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
                        j->p++;
        }
        return j->p > s;
}

static inline bool tap_json_lit(TapJson *j, const char *lit) {
        size_t l = strlen(lit);
        if ((size_t) (j->end - j->p) < l || memcmp(j->p, lit, l) != 0)
                return false;
        j->p += l;
        return true;
}

static inline bool tap_json_value(TapJson *j) {
        bool ok;

        tap_json_ws(j);
        if (j->p >= j->end || ++j->depth > 64)
                return false;
        switch (*j->p) {
        case '{':
                j->p++;
                tap_json_ws(j);
                if (j->p < j->end && *j->p == '}') {
                        j->p++;
                        ok = true;
                        break;
                }
                for (;;) {
                        tap_json_ws(j);
                        if (!tap_json_string(j))
                                return false;
                        tap_json_ws(j);
                        if (j->p >= j->end || *j->p != ':')
                                return false;
                        j->p++;
                        if (!tap_json_value(j))
                                return false;
                        tap_json_ws(j);
                        if (j->p < j->end && *j->p == ',') {
                                j->p++;
                                continue;
                        }
                        if (j->p < j->end && *j->p == '}') {
                                j->p++;
                                break;
                        }
                        return false;
                }
                ok = true;
                break;
        case '[':
                j->p++;
                tap_json_ws(j);
                if (j->p < j->end && *j->p == ']') {
                        j->p++;
                        ok = true;
                        break;
                }
                for (;;) {
                        if (!tap_json_value(j))
                                return false;
                        tap_json_ws(j);
                        if (j->p < j->end && *j->p == ',') {
                                j->p++;
                                continue;
                        }
                        if (j->p < j->end && *j->p == ']') {
                                j->p++;
                                break;
                        }
                        return false;
                }
                ok = true;
                break;
        case '"':
                ok = tap_json_string(j);
                break;
        case 't':
                ok = tap_json_lit(j, "true");
                break;
        case 'f':
                ok = tap_json_lit(j, "false");
                break;
        case 'n':
                ok = tap_json_lit(j, "null");
                break;
        default:
                ok = tap_json_number(j);
        }
        j->depth--;
        return ok;
}

static inline bool tap_valid_json(const char *s, size_t n) {
        TapJson j = { .p = s, .end = s + n };

        if (!tap_json_value(&j))
                return false;
        tap_json_ws(&j);
        return j.p == j.end;
}
