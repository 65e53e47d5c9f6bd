/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Covers issue 13's "out of memory is -ENOMEM up the stack, never a different result": for each
 * input (the fixtures and golden cases of every rendering path: quoted-printable, re-wrapped mail,
 * kmsg records, internal warnings, per-filesystem keys), and for every N from 1 to the number of
 * allocations a clean parse makes, the Nth allocation of the parser fails (malloc, calloc,
 * realloc, strdup, strndup and asprintf are wrapped with ld --wrap, so the parser's own calls
 * fail, not libc's internal ones). Every run must either return -ENOMEM from a parser call, or
 * give exactly the reports (their JSON) of the clean parse. LeakSanitizer checks the error paths
 * free what they allocated.
 *
 * Usage: test-oom FIXTURE_DIR GOLDEN_DIR
 */

#include <errno.h>
#include <stdarg.h>

#include "lockdep.h"

#include "tap.h"

/* ---- allocation failure injection ------------------------------------------------------------ */

static unsigned long n_alloc; /* allocations counted since the counter was armed */
static unsigned long fail_at; /* 0 = never */
static bool armed;

static bool fail_now(void) {
        if (!armed)
                return false;
        return ++n_alloc == fail_at;
}

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
int __wrap_asprintf(char **ret, const char *fmt, ...);

void *__wrap_malloc(size_t n) {
        return fail_now() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b) {
        return fail_now() ? NULL : __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n) {
        return fail_now() ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s) {
        return fail_now() ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n) {
        return fail_now() ? NULL : __real_strndup(s, n);
}
int __wrap_asprintf(char **ret, const char *fmt, ...) {
        va_list ap;
        if (fail_now())
                return -1;
        va_start(ap, fmt);
        int r = vasprintf(ret, fmt, ap);
        va_end(ap);
        return r;
}

/* ---- one parse ------------------------------------------------------------------------------- */

typedef struct Out {
        char *json; /* every report's JSON and '\n', built with the counter disarmed */
        size_t len;
} Out;

static int on_event(const LockdepEvent *ev, void *userdata) {
        Out *o = userdata;
        char *j = NULL;
        if (ev->type != LOCKDEP_EVENT_REPORT)
                return 0;
        /* the serializer is tested too: its -ENOMEM stops the feed like any other */
        int l = lockdep_report_to_json(ev->report, &j);
        if (l < 0)
                return l;
        bool was = armed;
        armed = false;
        o->json = __real_realloc(o->json, o->len + (size_t) l + 2);
        assert(o->json);
        memcpy(o->json + o->len, j, (size_t) l);
        o->len += (size_t) l;
        o->json[o->len++] = '\n';
        o->json[o->len] = 0;
        armed = was;
        free(j);
        return 0;
}

/* Parses text with the Nth allocation failing; returns the first error of any call, or 0. */
static int parse(const char *text, size_t n, unsigned long nth, Out *out) {
        LockdepParser *p = NULL;
        LockdepOptions o = { .callback = on_event, .userdata = out, .reference_usec = 1767225600000000ULL };
        int r;

        n_alloc = 0;
        fail_at = nth;
        armed = true;
        r = lockdep_parser_new(&o, &p);
        if (r >= 0) {
                /* in two pieces, with a long quiet period between them (flush_stale) */
                r = lockdep_parser_feed(p, text, n / 2);
                int s = r >= 0 ? lockdep_parser_flush_stale(p) : 0;
                if (s < 0)
                        r = s;
                if (r >= 0)
                        r = lockdep_parser_feed(p, text + n / 2, n - n / 2);
                if (r >= 0)
                        r = lockdep_parser_finish(p);
        }
        lockdep_parser_free(p);
        armed = false;
        return r;
}

static void check_file(const char *dir, const char *name) {
        char path[4096];
        size_t n;
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        char *text = tap_read_file(path, &n);
        Out ref = {};

        CHECK(parse(text, n, 0, &ref) == 0);
        unsigned long total = n_alloc;
        CHECK(ref.len > 0);
        unsigned long enomem = 0, exact = 0;
        for (unsigned long nth = 1; nth <= total; nth++) {
                Out got = {};
                int r = parse(text, n, nth, &got);
                if (r == -ENOMEM)
                        enomem++;
                else if (r == 0 && got.len == ref.len && memcmp(got.json, ref.json, ref.len) == 0)
                        exact++;
                else {
                        CHECK_MSG(false, "%s: allocation %lu of %lu failed: returned %d and %zu bytes of "
                                         "reports instead of -ENOMEM or the %zu bytes of the clean parse",
                                  name, nth, total, r, got.len, ref.len);
                        if (got.json)
                                printf("# got: %.400s\n", got.json);
                }
                free(got.json);
        }
        printf("# %s: %lu allocations: %lu runs -ENOMEM, %lu the exact result\n", name, total, enomem, exact);
        free(ref.json);
        free(text);
}

static const char *arg(int i, const char *def) {
        return tap_argc > i ? tap_argv[i] : def;
}

TEST(fixtures) {
        static const char *const files[] = { "linux_report_26.txt", "linux_report_466.txt", "linux_report_234.txt",
                                             "linux_guilty_61.txt", "linux_report_257.txt" };
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                check_file(arg(1, "tests/fixtures"), files[i]);
}

TEST(golden_renderings) {
        static const char *const files[] = { "render-qp.txt", "render-wrapped-72.txt", "render-kmsg.txt",
                                             "internal-four.txt", "fs-inode-pair.txt", "render-indent-fence.txt",
                                             "linux_report_557.txt", "linux_report_553.txt" };
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
                check_file(arg(2, "tests/golden/cases"), files[i]);
}

TAP_MAIN(T(fixtures), T(golden_renderings))
