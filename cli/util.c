/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "strbuf.h"

static int load_aliases_file(LockdepAliases *a, const char *path, bool must_exist) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        StrBuf b = {};
        char tmp[4096];
        unsigned bad = 0;

        if (fd < 0) {
                if (errno == ENOENT && !must_exist)
                        return 0;
                fprintf(stderr, "lockdepctl: cannot open alias table %s: %s\n", path, strerror(errno));
                return -errno;
        }
        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 || b.len > 16 * 1024 * 1024) {
                        fprintf(stderr, "lockdepctl: cannot read alias table %s\n", path);
                        strbuf_done(&b);
                        return -EIO;
                }
                if (n == 0)
                        break;
                if (strbuf_append(&b, tmp, n) < 0) {
                        strbuf_done(&b);
                        return -ENOMEM;
                }
        }
        int r = lockdep_aliases_add_text(a, b.s ? b.s : "", b.len, &bad);
        strbuf_done(&b);
        if (r == -EINVAL)
                fprintf(stderr, "lockdepctl: %s:%u: expected 'PRINTED = CANONICAL'\n", path, bad);
        return r;
}

int load_aliases(const char *user_file, LockdepAliases **ret) {
        LockdepAliases *a = NULL;
        int r;

        /* built-in table, or the installed copy when an administrator ships one; then user rules */
        if (access(LOCKDEP_DATADIR "/aliases.conf", R_OK) == 0) {
                r = lockdep_aliases_new_empty(&a);
                if (r >= 0)
                        r = load_aliases_file(a, LOCKDEP_DATADIR "/aliases.conf", true);
        } else
                r = lockdep_aliases_new(&a);
        if (r >= 0)
                r = load_aliases_file(a, user_file ? user_file : LOCKDEP_SYSCONFDIR "/lockdep-analyzer/aliases.conf",
                                      user_file != NULL);
        if (r < 0) {
                if (r == -ENOMEM)
                        fprintf(stderr, "lockdepctl: out of memory\n");
                lockdep_aliases_free(a);
                return r;
        }
        *ret = a;
        return 0;
}
