/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /etc/lockdepd.conf: "key = value" lines, '#' comments. Keys: db, kmsg (yes/no), kmsg-path,
 * journal (yes/no), journal-dir (repeatable), follow (repeatable), web (yes/no), listen,
 * log-level (0-7 or a name). Command line flags are applied after the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "lockdepd.h"
#include "macro.h"
#include "strbuf.h"

void config_init(Config *c) {
        *c = (Config) { .kmsg = true, .journal = true, .web = true, .log_level = LOG_INFO };
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
        *c = (Config) {};
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

static int set_key(Config *c, const char *k, const char *v) {
        int b;
        if (!strcmp(k, "db"))
                return set_str(&c->db, v);
        if (!strcmp(k, "kmsg-path"))
                return set_str(&c->kmsg_path, v);
        if (!strcmp(k, "listen"))
                return set_str(&c->listen, v);
        if (!strcmp(k, "journal-dir"))
                return push(&c->journal_dirs, &c->n_journal_dirs, v);
        if (!strcmp(k, "follow"))
                return push(&c->follow, &c->n_follow, v);
        if (!strcmp(k, "log-level")) {
                int l = parse_level(v);
                if (l < 0)
                        return l;
                c->log_level = l;
                return 0;
        }
        if (!strcmp(k, "kmsg") || !strcmp(k, "journal") || !strcmp(k, "web")) {
                if ((b = parse_bool(v)) < 0)
                        return b;
                *(k[0] == 'k' ? &c->kmsg : k[0] == 'j' ? &c->journal : &c->web) = b;
                return 0;
        }
        return -EINVAL;
}

int config_parse_text(Config *c, const char *text, unsigned *ret_line) {
        unsigned line = 0;
        for (const char *s = text; *s;) {
                const char *nl = strchr(s, '\n');
                size_t n = nl ? (size_t) (nl - s) : strlen(s);
                char buf[4096], *k, *v, *eq;
                line++;
                if (n >= sizeof(buf))
                        goto bad;
                memcpy(buf, s, n);
                buf[n] = 0;
                s = nl ? nl + 1 : s + n;
                k = buf + strspn(buf, " \t");
                if (!*k || *k == '#' || *k == ';')
                        continue;
                eq = strchr(k, '=');
                if (!eq)
                        goto bad;
                v = eq + 1 + strspn(eq + 1, " \t");
                while (eq > k && (eq[-1] == ' ' || eq[-1] == '\t'))
                        eq--;
                *eq = 0;
                char *e = v + strlen(v);
                while (e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
                        *--e = 0;
                int r = set_key(c, k, v);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        goto bad;
        }
        return 0;
bad:
        if (ret_line)
                *ret_line = line;
        return -EINVAL;
}

int config_load_file(Config *c, const char *path, bool must_exist, unsigned *ret_line) {
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
                return -EINVAL;
        }
        int r = config_parse_text(c, b.s ? b.s : "", ret_line);
        strbuf_done(&b);
        return r;
}
