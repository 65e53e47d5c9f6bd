/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * fuzz-proc-lockdep: parser/proc-lockdep.c, the reader of /proc/lockdep snapshots (from the fleet:
 * spool files, POST /api/v1/ingest bodies, imported files).
 *
 * Checked: the input fed in one piece and in chunks of every size from 1 to 17 gives the same
 * dependencies (canonical names, in order) and the same counts; every dependency has non-empty
 * names without a newline; no more dependencies than lines.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"
#include "strbuf.h"

#define die(...) do { fprintf(stderr, "fuzz-proc-lockdep: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static int collect(const LockdepDep *d, void *userdata) {
        StrBuf *b = userdata;
        if (!*d->from_canonical || !*d->to_canonical || strchr(d->from, '\n') || strchr(d->to, '\n'))
                die("bad dependency '%s' -> '%s'", d->from, d->to);
        return strbuf_printf(b, "%s\t%s\t%d%d\n", d->from_canonical, d->to_canonical, d->from_uncertain,
                             d->to_uncertain);
}

static void run(const uint8_t *data, size_t size, size_t step, StrBuf *out, LockdepDepStats *st) {
        LockdepDepParser *p = NULL;
        LockdepDepOptions o = { .callback = collect, .userdata = out, .max_line = 512 };
        if (lockdep_deps_new(&o, &p) < 0)
                die("new");
        for (size_t i = 0; i < size; i += step) {
                size_t n = size - i < step ? size - i : step;
                if (lockdep_deps_feed(p, data + i, n) < 0)
                        die("feed");
        }
        if (lockdep_deps_finish(p, st) < 0)
                die("finish");
        lockdep_deps_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        StrBuf whole = {};
        LockdepDepStats st0;

        run(data, size, size ? size : 1, &whole, &st0);
        if (st0.deps > st0.lines)
                die("%u dependencies from %u lines", st0.deps, st0.lines);
        (void) lockdep_deps_detect(data, size);
        for (size_t step = 1; step <= 17 && step < size; step++) {
                StrBuf part = {};
                LockdepDepStats st;
                run(data, size, step, &part, &st);
                if (part.len != whole.len || (part.len && memcmp(part.s, whole.s, part.len)))
                        die("chunks of %zu give other dependencies", step);
                if (st.deps != st0.deps || st.classes != st0.classes || st.bad_lines != st0.bad_lines ||
                    st.truncated != st0.truncated || strcmp(st.release, st0.release))
                        die("chunks of %zu give other counts", step);
                strbuf_done(&part);
        }
        strbuf_done(&whole);
        return 0;
}
