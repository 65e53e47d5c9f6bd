/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Why a database path cannot be opened, in words that name the fix. SQLite says "unable to open
 * database file" or "disk I/O error" for a directory, a missing parent, an unwritable directory
 * and a 0700 state directory alike; the file system tells them apart. Used by store_open() when
 * opening fails and by lockdepd --check-config before anything is opened.
 */
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "store.h"

static int say(char **ret, int err, const char *fmt, ...) _printf_(3, 4);
static int say(char **ret, int err, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        if (!m)
                return -ENOMEM;
        *ret = m;
        return -abs(err);
}

/* The deepest ancestor of path that exists (path itself included), in buf. */
static void existing_ancestor(const char *path, char *buf, size_t n) {
        struct stat st;
        snprintf(buf, n, "%s", path);
        while (stat(buf, &st) < 0 && strcmp(buf, "/") && strcmp(buf, ".")) {
                char *d = dirname(buf);
                memmove(buf, d, strlen(d) + 1);
        }
}

/* The first directory on the way to path that this user may not enter, in buf; false if none. */
static bool unsearchable_dir(const char *path, char *buf, size_t n) {
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return false;
        for (char *p = copy + (copy[0] == '/'); (p = strchr(p, '/')); p++) {
                *p = 0;
                struct stat st;
                bool bad = stat(copy, &st) == 0 && S_ISDIR(st.st_mode) && access(copy, X_OK) < 0;
                if (bad) {
                        snprintf(buf, n, "%s", copy);
                        return true;
                }
                *p = '/';
        }
        return false;
}

int store_path_problem(const char *path, bool read_only, char **ret_msg) {
        char dir[4096], anc[4096];
        struct stat st;
        unsigned uid = (unsigned) geteuid();

        if (!path || !*path)
                return say(ret_msg, EINVAL, "empty database path; name the database file, e.g. --db ./lockdep.db");
        snprintf(anc, sizeof(anc), "%s", path);
        snprintf(dir, sizeof(dir), "%s", dirname(anc));

        if (stat(path, &st) == 0) {
                if (S_ISDIR(st.st_mode))
                        return say(ret_msg, EISDIR, "%s is a directory; name the database file in it, e.g. "
                                   "--db %s/lockdep.db", path, strcmp(path, "/") ? path : "");
                if (!S_ISREG(st.st_mode))
                        return say(ret_msg, EINVAL, "%s is not a regular file; name a database file", path);
                if (access(path, R_OK) < 0)
                        return say(ret_msg, errno, "cannot read %s: %s (uid %u); run as its owner or root (the "
                                   "service's database is root's), or fix its permissions", path,
                                   strerror(errno), uid);
                if (!read_only && access(path, W_OK) < 0)
                        return say(ret_msg, errno, "cannot write %s: %s (uid %u); run as its owner or root, "
                                   "or fix its permissions", path, strerror(errno), uid);
                if (!read_only && access(dir, W_OK | X_OK) < 0)
                        return say(ret_msg, errno, "directory %s is not writable (%s, uid %u), and SQLite "
                                   "creates %s-wal and %s-shm there; make it writable or move the database",
                                   dir, strerror(errno), uid, path, path);
                return 0;
        }
        int e = errno;
        if (e == EACCES && unsearchable_dir(path, anc, sizeof(anc)))
                return say(ret_msg, EACCES, "cannot reach %s: directory %s: %s (uid %u); a service's state "
                           "directory is accessible to root only: run as root (e.g. with sudo), or choose "
                           "another --db", path, anc, strerror(EACCES), uid);
        if (e == ENOTDIR)
                return say(ret_msg, ENOTDIR, "a component of %s is not a directory; fix the path", path);
        if (e != ENOENT)
                return say(ret_msg, e, "%s: %s; fix the path or its permissions", path, strerror(e));
        if (stat(dir, &st) < 0) {
                existing_ancestor(dir, anc, sizeof(anc));
                return say(ret_msg, ENOENT, "directory %s does not exist (%s is the deepest that does); create "
                           "it with mkdir -p %s, or choose another --db", dir, anc, dir);
        }
        if (!S_ISDIR(st.st_mode))
                return say(ret_msg, ENOTDIR, "%s is not a directory; fix the path", dir);
        if (read_only)
                return say(ret_msg, ENOENT, "%s does not exist; check --db (lockdepd creates the database at "
                           "its first start, lockdepctl import creates one)", path);
        if (access(dir, W_OK | X_OK) < 0)
                return say(ret_msg, errno, "cannot create %s: directory %s is not writable (%s, uid %u); make "
                           "it writable or choose another --db", path, dir, strerror(errno), uid);
        return 0;
}
