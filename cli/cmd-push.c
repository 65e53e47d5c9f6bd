/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl push --url URL [--host NAME] [--boot-id ID] [--kernel REL] [--run ID]
 *                 [--token-file FILE] [--json] FILE...|-
 *
 * Sends saved logs to a lockdepd's POST /api/v1/ingest (docs/API.md), one request per FILE, over
 * plain HTTP on a socket of its own (no HTTP library; http:// only). Connection errors and 5xx
 * answers are retried, PUSH_ATTEMPTS in all with a doubling pause: that is safe because the server
 * stores a log sent twice only once. Needs no database.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "host-name.h"
#include "lockdepctl.h"
#include "macro.h"
#include "strbuf.h"

#define PUSH_ATTEMPTS    3
#define PUSH_BACKOFF_MS  500
#define PUSH_TIMEOUT_SEC 60 /* per send/receive call, and for connect */
#define PUSH_MAX_ANSWER  (16u << 20)

typedef struct PushUrl {
        char host[256]; /* name or address, without brackets */
        char port[8];
        char path[1024]; /* base path without the trailing '/', "" for the root */
        bool v6;         /* host was given in brackets */
} PushUrl;

static int parse_url(const char *url, PushUrl *ret) {
        PushUrl u = {};
        if (strncasecmp(url, "http://", 7) != 0)
                return -EPROTONOSUPPORT;
        const char *a = url + 7, *e = a + strcspn(a, "/?#"), *colon = NULL, *h = a, *he;
        if (*a == '[') {
                const char *b = memchr(a, ']', (size_t) (e - a));
                if (!b)
                        return -EINVAL;
                h = a + 1;
                he = b;
                if (b + 1 < e && b[1] != ':')
                        return -EINVAL;
                colon = b + 1 < e ? b + 1 : NULL;
                u.v6 = true;
        } else {
                colon = memchr(a, ':', (size_t) (e - a));
                he = colon ?: e;
        }
        if (he == h || (size_t) (he - h) >= sizeof(u.host))
                return -EINVAL;
        memcpy(u.host, h, (size_t) (he - h));
        if (colon) {
                size_t n = (size_t) (e - colon - 1);
                if (n == 0 || n >= sizeof(u.port) || strspn(colon + 1, "0123456789") < n)
                        return -EINVAL;
                memcpy(u.port, colon + 1, n);
                if (atoi(u.port) < 1 || atoi(u.port) > 65535)
                        return -EINVAL;
        } else
                strcpy(u.port, "80");
        if (*e == '/') {
                size_t n = strcspn(e, "?#");
                while (n > 0 && e[n - 1] == '/')
                        n--;
                if (n >= sizeof(u.path))
                        return -EINVAL;
                memcpy(u.path, e, n);
        }
        *ret = u;
        return 0;
}

static int url_encode(StrBuf *b, const char *name, const char *value) {
        if (!value)
                return 0;
        int r = strbuf_printf(b, "%c%s=", strchr(b->s ?: "", '?') ? '&' : '?', name);
        for (const unsigned char *p = (const unsigned char *) value; r >= 0 && *p; p++)
                r = isalnum(*p) || strchr("-._~", *p) ? strbuf_appendc(b, (char) *p)
                                                      : strbuf_printf(b, "%%%02X", *p);
        return r;
}

static int read_all(int fd, StrBuf *b) {
        char tmp[65536];
        for (;;) {
                ssize_t n = read(fd, tmp, sizeof(tmp));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        return 0;
                if (strbuf_append(b, tmp, (size_t) n) < 0)
                        return -ENOMEM;
        }
}

static int send_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

static int connect_to(const PushUrl *u) {
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG },
                        *ai = NULL;
        struct timeval tv = { .tv_sec = PUSH_TIMEOUT_SEC };
        int r = getaddrinfo(u->host, u->port, &hints, &ai);
        if (r != 0)
                return r == EAI_SYSTEM ? -errno : r == EAI_NONAME ? -EHOSTUNREACH : -EAGAIN;
        r = -ECONNREFUSED;
        for (struct addrinfo *p = ai; p; p = p->ai_next) {
                int fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
                if (fd < 0) {
                        r = -errno;
                        continue;
                }
                /* Linux applies the send timeout to connect() as well */
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
                (void) setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
                if (connect(fd, p->ai_addr, p->ai_addrlen) == 0) {
                        freeaddrinfo(ai);
                        return fd;
                }
                r = -errno;
                close(fd);
        }
        freeaddrinfo(ai);
        return r;
}

/* One request. >= 0: the HTTP status, the answer's body in *answer; < 0: no answer (retry). */
static int http_post(const PushUrl *u, const char *target, const char *token, const StrBuf *body,
                     StrBuf *answer) {
        _cleanup_close_ int fd = connect_to(u);
        StrBuf head = {}, in = {};
        int r;

        if (fd < 0)
                return fd;
        r = strbuf_printf(
                &head,
                "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nUser-Agent: lockdepctl\r\n"
                "Authorization: Bearer %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                "Connection: close\r\n\r\n",
                target, u->v6 ? "[" : "", u->host, u->v6 ? "]" : "", u->port, token, body->len);
        if (r < 0)
                return -ENOMEM;
        r = send_all(fd, head.s, head.len);
        strbuf_done(&head);
        /* the server may answer early (401, 413) and close: read its answer whatever send said */
        if (r >= 0 && body->len > 0)
                (void) send_all(fd, body->s, body->len);
        for (;;) {
                char tmp[16384];
                ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0) {
                        r = in.len > 0 ? 0 : -errno;
                        break;
                }
                if (n == 0)
                        break;
                if (in.len + (size_t) n > PUSH_MAX_ANSWER ||
                    strbuf_append(&in, tmp, (size_t) n) < 0) {
                        strbuf_done(&in);
                        return -EMSGSIZE;
                }
        }
        unsigned status;
        char *end = in.s ? strstr(in.s, "\r\n\r\n") : NULL;
        if (!end || sscanf(in.s, "HTTP/1.%*1[01] %3u", &status) != 1 || status < 100) {
                strbuf_done(&in);
                return r < 0 ? r : -EBADMSG;
        }
        r = strbuf_puts(answer, end + 4);
        strbuf_done(&in);
        return r < 0 ? -ENOMEM : (int) status;
}

static int read_token(const char *file, char **ret) {
        StrBuf b = {};
        const char *env = getenv("LOCKDEP_TOKEN");
        if (file) {
                _cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
                int r = fd < 0 ? -errno : read_all(fd, &b);
                if (r < 0) {
                        fprintf(stderr, "lockdepctl push: cannot read the token file %s: %s\n",
                                file, strerror(-r));
                        strbuf_done(&b);
                        return r;
                }
        } else if (env) {
                if (strbuf_puts(&b, env) < 0)
                        return -ENOMEM;
        } else {
                fprintf(stderr,
                        "lockdepctl push: no token; give --token-file FILE or set $LOCKDEP_TOKEN "
                        "(the server's token is in the web-token file next to its database)\n");
                return -ENOKEY;
        }
        char *t = strbuf_steal(&b), *s = t + strspn(t, " \t\r\n");
        s[strcspn(s, " \t\r\n")] = 0;
        if (!*s) {
                fprintf(stderr, "lockdepctl push: the token is empty\n");
                free(t);
                return -ENOKEY;
        }
        memmove(t, s, strlen(s) + 1);
        *ret = t;
        return 0;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* One file: 0 pushed, 1 failed (message printed). */
static int push_one(const PushUrl *u, const char *target, const char *token, const char *path,
                    bool json) {
        bool is_stdin = strcmp(path, "-") == 0;
        _cleanup_close_ int fd = is_stdin ? -EBADF : open(path, O_RDONLY | O_CLOEXEC);
        StrBuf body = {};
        int r;

        if (!is_stdin && fd < 0) {
                fprintf(stderr, "lockdepctl push: cannot open %s: %s\n", path, strerror(errno));
                return 1;
        }
        r = read_all(is_stdin ? STDIN_FILENO : fd, &body);
        if (r < 0) {
                fprintf(stderr, "lockdepctl push: cannot read %s: %s\n", path, strerror(-r));
                strbuf_done(&body);
                return 1;
        }
        for (unsigned attempt = 1;; attempt++) {
                StrBuf answer = {};
                r = http_post(u, target, token, &body, &answer);
                const char *why = r < 0 ? strerror(-r) : NULL;
                char buf[64];
                if (r >= 500) {
                        snprintf(buf, sizeof(buf), "server answered %d", r);
                        why = buf;
                }
                if (why && attempt < PUSH_ATTEMPTS) {
                        unsigned ms = PUSH_BACKOFF_MS << (attempt - 1);
                        fprintf(stderr, "lockdepctl push: %s: %s; retrying in %u.%us\n", path, why,
                                ms / 1000, ms % 1000 / 100);
                        strbuf_done(&answer);
                        sleep_ms(ms);
                        continue;
                }
                strbuf_done(&body);
                if (r < 0) {
                        fprintf(stderr, "lockdepctl push: %s: cannot reach %s%s%s:%s: %s\n", path,
                                u->v6 ? "[" : "", u->host, u->v6 ? "]" : "", u->port, why);
                        return 1;
                }
                char *a = answer.s ?: "";
                a[strcspn(a, "\r\n")] = 0;
                if (r != 200 && r != 201) {
                        _cleanup_free_ char *err = json_get_str(a, "error");
                        _cleanup_free_ char *safe = escape_safe(err ?: a);
                        fprintf(stderr, "lockdepctl push: %s: the server answered %d: %s\n", path,
                                r, safe ?: "(out of memory)");
                        strbuf_done(&answer);
                        return 1;
                }
                if (json)
                        print_json(a);
                else {
                        long long st = json_get_int(a, "stored", 0), ng = json_get_int(a, "new_groups", 0);
                        printf("%s: %lld %s stored (%lld new %s), %lld already stored\n",
                               is_stdin ? "<stdin>" : path, st, plural(st, "report", "reports"), ng,
                               plural(ng, "group", "groups"), (long long) json_get_int(a, "duplicates", 0));
                }
                strbuf_done(&answer);
                return 0;
        }
}

static void help(void) {
        printf("Usage: lockdepctl push --url URL [OPTIONS] FILE...|-\n\n"
               "Send saved kernel logs to a lockdepd (POST /api/v1/ingest). Sending the same\n"
               "log again stores nothing new, so a failed push can simply be repeated.\n\n"
               "Options:\n"
               "  -h --help             Show this help\n"
               "     --url URL          The server, http://HOST:PORT (http only)\n"
               "     --host NAME        Host the logs come from (default: this host's name)\n"
               "     --boot-id ID       Boot the logs come from (default: derived from --run\n"
               "                        and the kernel release)\n"
               "     --kernel RELEASE   Kernel release for reports that print none\n"
               "     --run ID           Test run; the reports' source becomes ingest:ID\n"
               "     --token-file FILE  File holding the server's write token (default:\n"
               "                        $LOCKDEP_TOKEN)\n"
               "     --json             Print the server's answer (one JSON object per FILE)\n");
}

enum {
        ARG_URL = _ARG_QUERY_MAX,
        ARG_BOOT,
        ARG_RUN,
        ARG_TOKEN_FILE
};

static const char *arg_url, *arg_host, *arg_boot, *arg_kernel, *arg_run, *arg_token_file;
static bool arg_json;
static const struct option options[] = {
        { "url", required_argument, NULL, ARG_URL },
        { "host", required_argument, NULL, ARG_HOST },
        { "boot-id", required_argument, NULL, ARG_BOOT },
        { "kernel", required_argument, NULL, ARG_KERNEL },
        { "run", required_argument, NULL, ARG_RUN },
        { "token-file", required_argument, NULL, ARG_TOKEN_FILE },
        { "json", no_argument, NULL, ARG_JSON },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_URL:
                arg_url = optarg;
                return 0;
        case ARG_HOST:
                arg_host = optarg;
                return 0;
        case ARG_BOOT:
                arg_boot = optarg;
                return 0;
        case ARG_KERNEL:
                arg_kernel = optarg;
                return 0;
        case ARG_RUN:
                arg_run = optarg;
                return 0;
        case ARG_TOKEN_FILE:
                arg_token_file = optarg;
                return 0;
        case ARG_JSON:
                arg_json = true;
                return 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        const char *url = arg_url, *host = arg_host, *boot = arg_boot, *kernel = arg_kernel, *run_id = arg_run,
                   *token_file = arg_token_file;
        _cleanup_free_ char *token = NULL;
        bool json = arg_json;
        PushUrl u;
        StrBuf target = {};
        int ret = 0;
        if (!url) {
                fprintf(stderr, "lockdepctl push: --url URL is required (http://HOST:PORT)\n");
                return EXIT_USAGE;
        }
        int r = parse_url(url, &u);
        if (r == -EPROTONOSUPPORT) {
                fprintf(stderr, "lockdepctl push: %s: only http:// URLs are supported\n", url);
                return EXIT_USAGE;
        }
        if (r < 0) {
                fprintf(stderr, "lockdepctl push: %s: expected http://HOST[:PORT][/PATH]\n", url);
                return EXIT_USAGE;
        }
        if (v->argc == 0) {
                fprintf(stderr, "lockdepctl push: no input; give FILE... or - for stdin\n");
                return EXIT_USAGE;
        }
        if (read_token(token_file, &token) < 0)
                return EXIT_USAGE;
        char host_buf[HOST_NAME_BUF];
        if (host_arg("push", host, host_buf) < 0)
                return EXIT_USAGE;
        host = host_buf;
        if (strbuf_printf(&target, "%s/api/v1/ingest", u.path) < 0 ||
            url_encode(&target, "host", host) < 0 || url_encode(&target, "boot_id", boot) < 0 ||
            url_encode(&target, "kernel", kernel) < 0 || url_encode(&target, "run", run_id) < 0) {
                strbuf_done(&target);
                return print_oom();
        }
        for (int i = 0; i < v->argc; i++)
                if (push_one(&u, target.s, token, v->argv[i], json) != 0)
                        ret = 1;
        strbuf_done(&target);
        return ret;
}

const VerbSpec verb_push = {
        .max_args = VERB_ANY,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
