/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The alias tables of lockdepd (kmsg, journal, files, HTTP ingest), lockdepctl import and
 * lockdepctl reparse: one loader, so that every path groups a report the same way (ingest.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ingest.h"
#include "macro.h"
#include "strbuf.h"

#define ALIASES_MAX_BYTES (16 * 1024 * 1024)

/* Sets *ret_error to "alias table PATH[:LINE]: WHY" and returns r. */
static int fail(char **ret_error, int r, const char *path, unsigned line, const char *why) {
        if (ret_error) {
                free(*ret_error);
                *ret_error = NULL;
                char at[16] = "";
                if (line > 0)
                        snprintf(at, sizeof(at), ":%u", line);
                if (asprintf(ret_error, "alias table %s%s: %s", path, at, why ? why : strerror(-r)) < 0)
                        *ret_error = NULL;
        }
        return r;
}

/* Adds the table of path; a missing file is 0 when !must_exist. */
static int add_file(LockdepAliases *a, const char *path, bool must_exist, char **ret_error) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        StrBuf b = {};
        char tmp[4096];
        unsigned bad = 0;

        if (fd < 0) {
                if (errno == ENOENT && !must_exist)
                        return 0;
                return fail(ret_error, -errno, path, 0, NULL);
        }
        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        int e = -errno;
                        strbuf_done(&b);
                        return fail(ret_error, e, path, 0, NULL);
                }
                if (n == 0)
                        break;
                if (b.len + (size_t) n > ALIASES_MAX_BYTES) {
                        strbuf_done(&b);
                        return fail(ret_error, -EFBIG, path, 0, "larger than 16 MiB");
                }
                if (strbuf_append(&b, tmp, (size_t) n) < 0) {
                        strbuf_done(&b);
                        return -ENOMEM;
                }
        }
        int r = lockdep_aliases_add_text(a, b.s ? b.s : "", b.len, &bad);
        strbuf_done(&b);
        if (r == -EINVAL)
                return fail(ret_error, r, path, bad, "expected 'PRINTED = CANONICAL' (one '*' allowed on each side)");
        return r;
}

int aliases_load_from(const char *installed, const char *admin, const char *extra, LockdepAliases **ret,
                      char **ret_error) {
        LockdepAliases *a = NULL;
        int r;

        if (installed && access(installed, F_OK) == 0) {
                r = lockdep_aliases_new_empty(&a);
                if (r >= 0)
                        r = add_file(a, installed, true, ret_error);
        } else
                r = lockdep_aliases_new(&a);
        if (r >= 0 && admin)
                r = add_file(a, admin, false, ret_error);
        if (r >= 0 && extra)
                r = add_file(a, extra, true, ret_error);
        if (r < 0) {
                if (r == -ENOMEM && ret_error) {
                        free(*ret_error);
                        *ret_error = strdup("out of memory");
                }
                lockdep_aliases_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

int aliases_load(const char *extra, LockdepAliases **ret, char **ret_error) {
        return aliases_load_from(LOCKDEP_DATADIR "/aliases.conf", LOCKDEP_SYSCONFDIR "/lockdep-analyzer/aliases.conf",
                                 extra, ret, ret_error);
}
