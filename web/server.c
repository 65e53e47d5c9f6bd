/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmicrohttpd lifecycle (after systemd's journal-gatewayd.c): an internal thread pool polls with
 * epoll; every request gets a Request from the URI log callback (which also sees the raw URI and
 * flags bad percent-encoding), its body is collected up to WEB_MAX_BODY, then routes_dispatch()
 * answers. Limits against slow or greedy clients: header memory, body size, connections in total
 * and per address, idle timeout.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "web-internal.h"

#define HEADER_MEMORY (16 * 1024)
#define MAX_CONNECTIONS 2048
#define MAX_PER_IP 64
#define IDLE_TIMEOUT_SEC 15

typedef struct StorePair {
        Store *ro, *rw;
        WebCache *cache;
} StorePair;

static void store_pair_free(void *p) {
        StorePair *sp = p;
        cache_free(sp->cache);
        store_close(sp->ro);
        store_close(sp->rw);
        free(sp);
}

static StorePair *thread_stores(Request *r) {
        StorePair *sp = pthread_getspecific(r->w->stores);
        if (sp)
                return sp;
        sp = calloc(1, sizeof(StorePair));
        if (sp && pthread_setspecific(r->w->stores, sp) != 0) {
                free(sp);
                return NULL;
        }
        return sp;
}

static Store *get_store(Request *r, bool rw) {
        StorePair *sp = thread_stores(r);
        if (!sp) {
                reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");
                return NULL;
        }
        Store **s = rw ? &sp->rw : &sp->ro;
        if (*s)
                return *s;
        Store *n = NULL;
        int q = store_open(r->w->db, rw ? 0 : STORE_READ_ONLY, &n);
        if (q < 0) {
                log_warning("web: cannot open %s%s: %s", r->w->db, rw ? " for writing" : "",
                            n && store_error(n)[0] ? store_error(n) : strerror(-q));
                store_close(n);
                atomic_fetch_add(&r->w->n_store_errors, 1);
                reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "The database is not available");
                return NULL;
        }
        return *s = n;
}

Store *web_store(Request *r) {
        return get_store(r, false);
}

Store *web_store_rw(Request *r) {
        r->wrote = true;
        return get_store(r, true);
}

Store *web_store_opened(Request *r) {
        StorePair *sp = pthread_getspecific(r->w->stores);
        return sp ? sp->ro : NULL;
}

WebCache *web_cache(Request *r) {
        StorePair *sp = thread_stores(r);
        if (sp && !sp->cache)
                sp->cache = cache_new();
        return sp ? sp->cache : NULL;
}

/* Constant time in the length of the expected token. */
static bool token_equal(const char *expected, const char *got) {
        size_t n = strlen(expected), m = strlen(got);
        unsigned char d = n != m;
        for (size_t i = 0; i < n; i++)
                d |= (unsigned char) expected[i] ^ (unsigned char) (i < m ? got[i] : 0);
        return d == 0 && n > 0;
}

bool web_token_ok(Request *r) {
        const char *auth = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
                return token_equal(r->w->token, auth + 7);
        _cleanup_free_ char *t = NULL;
        if (req_param(r, "token", &t) > 0) {
                /* pasted into a form: forgive surrounding white space */
                char *s = t + strspn(t, " \t\r\n");
                size_t l = strlen(s);
                while (l > 0 && strchr(" \t\r\n", s[l - 1]))
                        s[--l] = 0;
                return token_equal(r->w->token, s);
        }
        return false;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = 0;
        log_debug("web: %s", msg);
}

static bool uri_ok(const char *uri) {
        for (const char *p = uri; *p; p++) {
                if (*p != '%')
                        continue;
                if (!isxdigit((unsigned char) p[1]) || !isxdigit((unsigned char) p[2]))
                        return false;
                if (p[1] == '0' && p[2] == '0')
                        return false;
                p += 2;
        }
        return true;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
        Request *r = calloc(1, sizeof(Request));
        if (!r)
                return NULL;
        r->w = cls;
        r->c = c;
        r->bad_uri = !uri_ok(uri);
        r->target = strdup(uri); /* NULL (out of memory): not cached */
        return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        Request *r = *con_cls;
        if (!r)
                return;
        strbuf_done(&r->body);
        upload_free(r->upload);
        free(r->target);
        free(r);
        *con_cls = NULL;
}

static Method parse_method(const char *m) {
        if (!strcmp(m, MHD_HTTP_METHOD_GET))
                return METHOD_GET;
        if (!strcmp(m, MHD_HTTP_METHOD_HEAD))
                return METHOD_HEAD;
        if (!strcmp(m, MHD_HTTP_METHOD_POST))
                return METHOD_POST;
        if (!strcmp(m, MHD_HTTP_METHOD_DELETE))
                return METHOD_DELETE;
        return 0;
}

static MHD_Result_ on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls) {
        Request *r = *con_cls;
        if (!r)
                return MHD_NO; /* out of memory in on_uri(): drop the connection */
        if (!r->url) {
                /* first call: headers are complete, no body has been read yet */
                r->url = url;
                r->method = parse_method(method);
                r->api = strncmp(url, "/api/", 5) == 0;
                bool ingest = r->method == METHOD_POST && !strcmp(url, "/api/v1/ingest");
                unsigned max = ingest ? WEB_MAX_INGEST : WEB_MAX_BODY;
                const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                if (cl && strtoull(cl, NULL, 10) > max)
                        return reply_error(r, HTTP_TOO_LARGE, "Request body larger than %u bytes", max);
                if (ingest)
                        return upload_start(r); /* the body goes to the parser, not to r->body */
                if (r->method == METHOD_POST || r->method == METHOD_DELETE)
                        return MHD_YES; /* come back with the body */
        }
        if (r->dispatched)
                return MHD_YES; /* a reply was queued early; swallow the rest of the body */
        if (*upload_data_size > 0 && r->upload) {
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                return upload_feed(r, upload_data, n);
        }
        if (*upload_data_size > 0) {
                if (r->body.len + *upload_data_size > WEB_MAX_BODY)
                        r->body_too_large = true;
                else if (strbuf_append(&r->body, upload_data, *upload_data_size) < 0)
                        return MHD_NO;
                *upload_data_size = 0;
                return MHD_YES;
        }
        atomic_fetch_add(&r->w->n_requests, 1);
        if (r->body_too_large)
                return reply_error(r, HTTP_TOO_LARGE, "Request body larger than %u bytes",
                                   r->upload ? WEB_MAX_INGEST : WEB_MAX_BODY);
        return routes_dispatch(r);
}

/* "127.0.0.1:9465", "[::1]:9465", ":9465" (any IPv4 address) */
static int parse_listen(const char *s, struct sockaddr_storage *ret, bool *ret_v6) {
        char host[INET6_ADDRSTRLEN + 1];
        const char *port;
        if (s[0] == '[') {
                const char *e = strchr(s, ']');
                if (!e || e[1] != ':' || (size_t) (e - s - 1) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s + 1, (size_t) (e - s - 1));
                host[e - s - 1] = 0;
                port = e + 2;
        } else {
                const char *e = strrchr(s, ':');
                if (!e || (size_t) (e - s) >= sizeof(host))
                        return -EINVAL;
                memcpy(host, s, (size_t) (e - s));
                host[e - s] = 0;
                port = e + 1;
        }
        char *end;
        errno = 0;
        unsigned long p = strtoul(port, &end, 10);
        if (!*port || *end || p > 65535 || errno)
                return -EINVAL;
        memset(ret, 0, sizeof(*ret));
        struct sockaddr_in *a4 = (struct sockaddr_in *) ret;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) ret;
        if (!host[0] || inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons((uint16_t) p);
                *ret_v6 = false;
                return 0;
        }
        if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t) p);
                *ret_v6 = true;
                return 0;
        }
        return -EINVAL;
}

static bool token_valid(const char *t) {
        if (strlen(t) != WEB_TOKEN_LEN)
                return false;
        for (const char *p = t; *p; p++)
                if (!isxdigit((unsigned char) *p))
                        return false;
        return true;
}

/* Reads the token, or creates it (0600, O_EXCL) at first start. Without one, writes are refused. */
static int load_token(WebServer *w, const char *path) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                char buf[WEB_TOKEN_LEN + 2] = {};
                ssize_t n = read(fd, buf, sizeof(buf) - 1);
                if (n < 0)
                        return log_warning_errno(errno, "web: cannot read %s: %m; writes are disabled", path);
                buf[strcspn(buf, "\r\n")] = 0;
                if (!token_valid(buf)) {
                        log_warning("web: %s does not hold a %u-digit hex token; writes are disabled", path,
                                    WEB_TOKEN_LEN);
                        return -EBADMSG;
                }
                memcpy(w->token, buf, WEB_TOKEN_LEN + 1);
                return 0;
        }
        if (errno != ENOENT)
                return log_warning_errno(errno, "web: cannot open %s: %m; writes are disabled", path);

        unsigned char raw[WEB_TOKEN_LEN / 2];
        if (getrandom(raw, sizeof(raw), 0) != (ssize_t) sizeof(raw))
                return log_warning_errno(errno, "web: no random bytes for a token: %m; writes are disabled");
        char hex[WEB_TOKEN_LEN + 2];
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(hex + 2 * i, 3, "%02x", raw[i]);
        hex[WEB_TOKEN_LEN] = '\n';
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_warning_errno(errno, "web: cannot create %s: %m; writes are disabled", path);
        if (write(fd, hex, WEB_TOKEN_LEN + 1) != WEB_TOKEN_LEN + 1) {
                int e = errno ?: EIO;
                (void) unlink(path);
                return log_warning_errno(e, "web: cannot write %s: %m; writes are disabled", path);
        }
        hex[WEB_TOKEN_LEN] = 0;
        memcpy(w->token, hex, WEB_TOKEN_LEN + 1);
        log_info("web: created the write token in %s", path);
        return 0;
}

int web_start(const WebConfig *c, WebServer **ret) {
        struct sockaddr_storage sa;
        bool v6;
        int r;

        assert(c && c->db && ret);
        const char *listen = c->listen ?: WEB_DEFAULT_LISTEN;
        if (parse_listen(listen, &sa, &v6) < 0)
                return log_error_errno(EINVAL, "web: invalid listen address '%s' (expected ADDR:PORT)", listen);

        WebServer *w = calloc(1, sizeof(WebServer));
        if (!w || !(w->db = strdup(c->db))) {
                free(w);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        const char *bench = getenv("LOCKDEP_WEB_BENCH");
        w->bench = bench && !strcmp(bench, "1");
        w->aliases = c->aliases;
        r = pthread_key_create(&w->stores, store_pair_free);
        if (r != 0) {
                free(w->db);
                free(w);
                return log_error_errno(r, "web: pthread_key_create: %m");
        }

        _cleanup_free_ char *dbcopy = strdup(c->db), *token_path = NULL;
        if (!dbcopy || asprintf(&token_path, "%s/web-token", dirname(dbcopy)) < 0) {
                web_stop(w);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        (void) load_token(w, c->token_path ?: token_path);

        unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
        w->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                  MHD_OPTION_URI_LOG_CALLBACK, on_uri, w,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                  MHD_OPTION_THREAD_POOL_SIZE, (unsigned) (c->threads ?: 2),
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HEADER_MEMORY,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned) MAX_CONNECTIONS,
                                  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned) MAX_PER_IP,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) IDLE_TIMEOUT_SEC,
                                  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 1024,
                                  MHD_OPTION_END);
        if (!w->mhd) {
                int e = errno ?: EADDRINUSE;
                web_stop(w);
                return log_error_errno(e, "web: cannot listen on %s: %m", listen);
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
        w->port = info ? info->port : ntohs(((struct sockaddr_in *) &sa)->sin_port);
        char host[INET6_ADDRSTRLEN] = "?";
        inet_ntop(sa.ss_family, v6 ? (void *) &((struct sockaddr_in6 *) &sa)->sin6_addr :
                                     (void *) &((struct sockaddr_in *) &sa)->sin_addr, host, sizeof(host));
        log_info("web: listening on http://%s%s%s:%u/", v6 ? "[" : "", host, v6 ? "]" : "", w->port);
        *ret = w;
        return 0;
}

uint16_t web_port(const WebServer *w) {
        return w ? w->port : 0;
}

WebServer *web_stop(WebServer *w) {
        if (!w)
                return NULL;
        if (w->mhd)
                MHD_stop_daemon(w->mhd); /* joins the threads: their stores are closed */
        pthread_key_delete(w->stores);
        explicit_bzero(w->token, sizeof(w->token));
        free(w->db);
        free(w);
        return NULL;
}
