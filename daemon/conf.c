/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /etc/lockdepd.conf: "key = value" lines, '#' comments. Keys: db, kmsg (yes/no), kmsg-path,
 * journal (yes/no), journal-dir (repeatable), follow (repeatable), web (yes/no), listen,
 * web-host (repeatable: a name the dashboard answers to besides localhost and the listen address),
 * log-level (0-7 or a name), silent-after (a length of time: "12h", "2d"). Command line flags are applied after the file, through the same
 * config_set(). Every error names the key, the value and what is allowed; config_check() adds
 * the checks that need the file system or the resolver.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "lockdepd.h"
#include "log.h"
#include "macro.h"
#include "netaddr.h"
#include "store.h"
#include "strbuf.h"
#include "time-spec.h"

void config_init(Config *c) {
        *c = (Config) { .kmsg = true, .journal = true, .web = true, .log_level = LOG_INFO,
                        .silent_after = STORE_SILENT_AFTER_DEFAULT };
}

static void strv_free(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

void config_done(Config *c) {
        free(c->db);
        free(c->kmsg_path);
        free(c->listen);
        strv_free(c->journal_dirs, c->n_journal_dirs);
        strv_free(c->follow, c->n_follow);
        strv_free(c->web_hosts, c->n_web_hosts);
        strv_free(c->spool_dirs, c->n_spool_dirs);
        *c = (Config) {};
}

#define KNOWN_KEYS "db, kmsg, kmsg-path, journal, journal-dir, follow, spool-dir, web, listen, web-host, silent-after, log-level"
#define LEVELS "emerg, alert, crit, err, warning, notice, info, debug, or 0-7"

static int why(char **ret_why, const char *fmt, ...) _printf_(2, 3);
static int why(char **ret_why, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;
        va_start(ap, fmt);
        int n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        if (ret_why)
                *ret_why = m;
        else
                free(m);
        return -EINVAL;
}

static int parse_bool(const char *v) {
        if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on"))
                return 1;
        if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off"))
                return 0;
        return -EINVAL;
}

static int set_str(char **p, const char *v) {
        char *x = strdup(v);
        if (!x)
                return -ENOMEM;
        free(*p);
        *p = x;
        return 0;
}

static int push(char ***v, size_t *n, const char *s) {
        char **x = realloc(*v, (*n + 1) * sizeof(char *));
        if (!x)
                return -ENOMEM;
        *v = x;
        if (!(x[*n] = strdup(s)))
                return -ENOMEM;
        (*n)++;
        return 0;
}

static int parse_level(const char *v) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };
        for (int i = 0; i < 8; i++)
                if (!strcmp(v, names[i]))
                        return i;
        if (v[0] >= '0' && v[0] <= '7' && !v[1])
                return v[0] - '0';
        return -EINVAL;
}

static const struct {
        const char *key, *what; /* what: the value expected, for the "empty value" message */
} path_keys[] = {
        { "db", "the database file, e.g. /var/lib/lockdepd/lockdep.db" },
        { "kmsg-path", "a file of /dev/kmsg records" },
        { "journal-dir", "a directory of journal files" },
        { "follow", "a console log file" },
        { "spool-dir", "the spool of lockdep-collect.service, /var/lib/lockdep-collect/spool" },
        { "listen", "ADDRESS:PORT such as " NETADDR_EXAMPLES },
        { "web-host", "a host name such as lockdep.example.org" },
};

int config_set(Config *c, const char *k, const char *v, char **ret_why) {
        const char *w;
        int b;

        for (size_t i = 0; i < ELEMENTSOF(path_keys); i++)
                if (!strcmp(k, path_keys[i].key) && !*v)
                        return why(ret_why, "%s has an empty value; expected %s", k, path_keys[i].what);
        if (!strcmp(k, "db"))
                return set_str(&c->db, v);
        if (!strcmp(k, "kmsg-path"))
                return set_str(&c->kmsg_path, v);
        if (!strcmp(k, "listen")) {
                if (netaddr_check(v, &w) < 0)
                        return why(ret_why, "listen = %s: %s; expected ADDRESS:PORT with a port from 0 to 65535, "
                                   "such as " NETADDR_EXAMPLES, v, w);
                return set_str(&c->listen, v);
        }
        if (!strcmp(k, "journal-dir"))
                return push(&c->journal_dirs, &c->n_journal_dirs, v);
        if (!strcmp(k, "follow"))
                return push(&c->follow, &c->n_follow, v);
        if (!strcmp(k, "web-host")) {
                if (strlen(v) > 253 || strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(v))
                        return why(ret_why, "web-host = %s: not a host name; expected letters, digits, '-' and '.', "
                                   "such as lockdep.example.org", v);
                return push(&c->web_hosts, &c->n_web_hosts, v);
        }
        if (!strcmp(k, "spool-dir"))
                return push(&c->spool_dirs, &c->n_spool_dirs, v);
        if (!strcmp(k, "log-level")) {
                int l = parse_level(v);
                if (l < 0)
                        return why(ret_why, "log-level = %s: unknown level; expected " LEVELS, v);
                c->log_level = l;
                return 0;
        }
        if (!strcmp(k, "silent-after")) {
                uint64_t t;
                if (time_parse_span(v, &t) < 0 || t < 1000000)
                        return why(ret_why, "silent-after = %s: not a length of time; expected a number with a "
                                   "unit s, m, h, d or w, or a sum such as 1d12h", v);
                c->silent_after = (int64_t) (t / 1000000);
                return 0;
        }
        if (!strcmp(k, "kmsg") || !strcmp(k, "journal") || !strcmp(k, "web")) {
                if ((b = parse_bool(v)) < 0)
                        return why(ret_why, "%s = %s: not a boolean; expected yes or no (or true/false, on/off, 1/0)",
                                   k, v);
                *(k[0] == 'k' ? &c->kmsg : k[0] == 'j' ? &c->journal : &c->web) = b;
                return 0;
        }
        return why(ret_why, "unknown key '%s'; known keys: " KNOWN_KEYS, k);
}

int config_parse_text(Config *c, const char *text, char **ret_why) {
        unsigned line = 0;
        for (const char *s = text; *s;) {
                const char *nl = strchr(s, '\n');
                size_t n = nl ? (size_t) (nl - s) : strlen(s);
                char buf[4096], *k, *v, *eq;
                _cleanup_free_ char *w = NULL;
                line++;
                if (n >= sizeof(buf))
                        return why(ret_why, "%u: line longer than %zu bytes", line, sizeof(buf) - 1);
                memcpy(buf, s, n);
                buf[n] = 0;
                s = nl ? nl + 1 : s + n;
                k = buf + strspn(buf, " \t");
                if (!*k || *k == '#' || *k == ';')
                        continue;
                eq = strchr(k, '=');
                if (!eq) {
                        k[strcspn(k, "\r")] = 0;
                        return why(ret_why, "%u: '%.80s' is not a 'key = value' line; known keys: " KNOWN_KEYS,
                                   line, k);
                }
                v = eq + 1 + strspn(eq + 1, " \t");
                while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
                        eq--;
                *eq = 0;
                char *e = v + strlen(v);
                while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        *--e = 0;
                int r = config_set(c, k, v, &w);
                if (r == -EINVAL)
                        return why(ret_why, "%u: %s", line, w);
                if (r < 0)
                        return r;
        }
        return 0;
}

int config_load_file(Config *c, const char *path, bool must_exist, char **ret_why) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        StrBuf b = {};
        char tmp[4096];

        if (fd < 0)
                return errno == ENOENT && !must_exist ? 0 : -errno;
        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        strbuf_done(&b);
                        return -errno;
                }
                if (n == 0)
                        break;
                if (b.len > 1024 * 1024 || strbuf_append(&b, tmp, n) < 0) {
                        strbuf_done(&b);
                        return -EFBIG;
                }
        }
        if (b.s && memchr(b.s, 0, b.len)) {
                strbuf_done(&b);
                return why(ret_why, "contains a NUL byte: not a text file");
        }
        int r = config_parse_text(c, b.s ? b.s : "", ret_why);
        strbuf_done(&b);
        return r;
}

/* A path that must exist: a directory (want_dir) or a readable file. 0 or -errno after logging. */
static int check_existing(const char *key, const char *path, bool want_dir) {
        struct stat st;
        if (stat(path, &st) < 0)
                return log_error_errno(errno, "%s = %s: %m; %s", key, path,
                                       errno == ENOENT ? (want_dir ? "create the directory or remove the setting"
                                                                   : "create the file or remove the setting")
                                                       : "fix the path or its permissions");
        if (want_dir && !S_ISDIR(st.st_mode))
                return log_error_errno(ENOTDIR, "%s = %s: not a directory; name the directory that holds the "
                                       "journal files", key, path);
        if (!want_dir && S_ISDIR(st.st_mode))
                return log_error_errno(EISDIR, "%s = %s: is a directory; name a file", key, path);
        if (access(path, want_dir ? R_OK | X_OK : R_OK) < 0)
                return log_error_errno(errno, "%s = %s: %m for uid %u; grant read access (for the service, "
                                       "a drop-in with SupplementaryGroups= or ReadOnlyPaths=)", key, path,
                                       (unsigned) geteuid());
        return 0;
}

int config_check(const Config *c, bool web_only) {
        _cleanup_free_ char *msg = NULL;
        const char *w;
        int r = 0, q;

        if (c->db && store_path_problem(c->db, web_only, &msg) < 0)
                r = log_error_errno(EINVAL, "db = %s: %s", c->db, msg);
        if (!web_only) {
                if (c->kmsg && c->kmsg_path && (q = check_existing("kmsg-path", c->kmsg_path, false)) < 0)
                        r = q;
                for (size_t i = 0; i < c->n_journal_dirs; i++)
                        if ((q = check_existing("journal-dir", c->journal_dirs[i], true)) < 0)
                                r = q;
                for (size_t i = 0; i < c->n_follow; i++) {
                        /* need not exist yet (nor its directory): lockdepd waits for it */
                        struct stat st;
                        if (stat(c->follow[i], &st) == 0 && S_ISDIR(st.st_mode))
                                r = log_error_errno(EISDIR, "follow = %s: is a directory; name the console log "
                                                    "file", c->follow[i]);
                }
        }
        if ((c->web || web_only) && c->listen) {
                struct sockaddr_storage sa;
                if (netaddr_resolve(c->listen, &sa, &w) < 0)
                        r = log_error_errno(EINVAL, "listen = %s: %s; use an IP address or a name that resolves, "
                                            "such as " NETADDR_EXAMPLES, c->listen, w);
        }
        return r < 0 ? -EINVAL : 0;
}
