/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmicrohttpd lifecycle (after systemd's journal-gatewayd.c): an internal thread pool polls with
 * epoll. The life of a request:
 *
 *   on_uri()        the request line: a Request is made, owned by the connection's Conn (conns.c)
 *                   until on_completed(), so one that libmicrohttpd gives up on without completing
 *                   it is freed when the connection closes. The raw target is kept (cache key, the
 *                   query string that query.c decodes) and libmicrohttpd's own argument parsing is
 *                   switched off (see there).
 *   on_request() #1 headers complete: limits and ingest set-up; nothing is answered yet, because
 *                   libmicrohttpd 0.9.75 closes every connection whose answer is queued in this
 *                   first call (no keep-alive, no pipelining).
 *   on_request() #n the body, kept up to WEB_MAX_BODY (an ingest body goes to the parser instead,
 *                   on the writer thread, chunk by chunk).
 *   on_request()    the end: a read is answered on this worker thread, a write on the writer
 *                   thread (writer.c) while the connection is suspended; its answer is queued when
 *                   libmicrohttpd calls again after the resume.
 *   on_completed()  the Request is freed; a kept-alive connection waits for its next request.
 *
 * Limits against slow or greedy clients: header memory, body size, a deadline for complete
 * headers and for small bodies, a fair global connection limit and a per-address limit except on
 * loopback (conns.c), the idle timeout.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "macro.h"
#include "netaddr.h"
#include "query.h"
#include "web-internal.h"

/* Above 32 KiB libmicrohttpd maps each connection's pool instead of malloc()ing it: pages a
 * connection never touches (an idle one: nearly all) cost no memory. 2,400 idle connections grew
 * the RSS by 28 MB with 16 KiB pools, by 5 MB with these (test-web-abuse.py). */
#define HEADER_MEMORY (36 * 1024)
#define MAX_CONNECTIONS 4096 /* whatever the descriptor limit: each costs up to HEADER_MEMORY */
#define IDLE_TIMEOUT_SEC 15

typedef struct StorePair {
        Store *ro, *rw;
        WebCache *cache;
        char *open_error;  /* why the last open failed */
} StorePair;

static void store_pair_free(void *p) {
        StorePair *sp = p;
        free(sp->open_error);
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

int web_store_get(Request *r, bool rw, Store **ret) {
        StorePair *sp = thread_stores(r);
        if (!sp)
                return -ENOMEM;
        Store **s = rw ? &sp->rw : &sp->ro;
        if (*s) {
                *ret = *s;
                return 0;
        }
        Store *n = NULL;
        int q = store_open(r->w->db, rw ? 0 : STORE_READ_ONLY, &n);
        if (q < 0) {
                const char *why = n && store_error(n)[0] ? store_error(n) : strerror(-q);
                log_warning("web: cannot open %s%s: %s", r->w->db, rw ? " for writing" : "", why);
                free(sp->open_error);
                sp->open_error = strdup(why);
                store_close(n);
                atomic_fetch_add(&r->w->n_store_errors, 1);
                return q;
        }
        /* the writer thread's connection (POST /api/v1/ingest, triage): its commits leave the
         * checkpoints to a thread of their own, as lockdepd's ingest does */
        if (rw && store_checkpoint_in_background(n) < 0)
                log_debug("web: %s is checkpointed by the writer thread", r->w->db);
        *ret = *s = n;
        return 0;
}

static Store *get_store(Request *r, bool rw) {
        Store *s = NULL;
        int q = web_store_get(r, rw, &s);
        if (q == -ENOMEM)
                reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");
        else if (q < 0)
                reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "The database is not available");
        return s;
}

Store *web_store(Request *r) {
        return get_store(r, false);
}

Store *web_store_rw(Request *r) {
        assert(r->deferred || !r->w->wstarted); /* writes happen on the writer thread only */
        r->wrote = true;
        return get_store(r, true);
}

const char *web_store_open_error(Request *r) {
        StorePair *sp = pthread_getspecific(r->w->stores);
        return sp && sp->open_error ? sp->open_error : NULL;
}

/* This thread's read-only store is closed, so that the next request opens the path again. */
void web_store_drop(Request *r) {
        StorePair *sp = pthread_getspecific(r->w->stores);
        if (sp) {
                sp->ro = store_close(sp->ro);
                cache_free(sp->cache);
                sp->cache = NULL;
        }
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

static bool bearer_ok(Request *r) {
        const char *auth = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        return auth && strncasecmp(auth, "Bearer ", 7) == 0 && token_equal(r->w->token, auth + 7);
}

bool web_token_ok(Request *r) {
        const char *auth = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
        if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
                return token_equal(r->w->token, auth + 7);
        /* a form field of a POST body only: a token in a URL ends up in histories and logs */
        _cleanup_free_ char *t = NULL;
        if (r->method == METHOD_POST && req_body_param(r, "token", &t) > 0) {
                /* pasted into a form: forgive surrounding white space */
                char *s = t + strspn(t, " \t\r\n");
                size_t l = strlen(s);
                while (l > 0 && strchr(" \t\r\n", s[l - 1]))
                        s[--l] = 0;
                return token_equal(r->w->token, s);
        }
        return false;
}

/* The host part of a Host header value, lower case, without the port or a trailing dot; false
 * when it does not fit. */
static bool host_name(const char *h, char *buf, size_t size) {
        size_t n;
        if (h[0] == '[') {
                const char *e = strchr(h, ']');
                if (!e || (e[1] && e[1] != ':'))
                        return false;
                h++;
                n = (size_t) (e - h);
        } else {
                const char *c = strchr(h, ':');
                if (c && strchr(c + 1, ':'))
                        return false; /* an IPv6 address needs brackets */
                n = c ? (size_t) (c - h) : strlen(h);
        }
        if (n > 0 && h[n - 1] == '.')
                n--;
        if (n == 0 || n >= size)
                return false;
        for (size_t i = 0; i < n; i++)
                buf[i] = (char) tolower((unsigned char) h[i]);
        buf[n] = 0;
        return true;
}

static bool address_allowed(const WebServer *w, const char *name) {
        struct in_addr a4;
        struct in6_addr a6;
        const struct sockaddr_storage *sa = &w->listen_sa;
        if (inet_pton(AF_INET, name, &a4) == 1) {
                if ((ntohl(a4.s_addr) >> 24) == 127)
                        return true;
                if (sa->ss_family != AF_INET)
                        return false;
                const struct in_addr *l = &((const struct sockaddr_in *) sa)->sin_addr;
                return l->s_addr == INADDR_ANY || l->s_addr == a4.s_addr;
        }
        if (inet_pton(AF_INET6, name, &a6) == 1) {
                if (IN6_IS_ADDR_LOOPBACK(&a6))
                        return true;
                if (sa->ss_family != AF_INET6)
                        return false;
                const struct in6_addr *l = &((const struct sockaddr_in6 *) sa)->sin6_addr;
                return IN6_IS_ADDR_UNSPECIFIED(l) || IN6_ARE_ADDR_EQUAL(l, &a6);
        }
        return false;
}

bool web_host_ok(Request *r) {
        const char *h = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        char name[256];
        if (!h)
                return true; /* HTTP/1.0 without one: not a browser */
        if (!host_name(h, name, sizeof(name)))
                return false;
        if (!strcmp(name, "localhost") || address_allowed(r->w, name))
                return true;
        for (size_t i = 0; i < r->w->n_hosts; i++)
                if (!strcmp(name, r->w->hosts[i]))
                        return true;
        return false;
}

bool web_origin_ok(Request *r) {
        const char *site = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Sec-Fetch-Site");
        if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
                return false;
        /* a browser's own word (no page can set it); such a browser sends "Origin: null" for a
         * form of a page with Referrer-Policy: no-referrer, as ours are */
        if (site)
                return true;
        const char *origin = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Origin");
        if (!origin)
                return true; /* not a browser, or one that says neither: the token decides */
        const char *host = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
        size_t skip = !strncasecmp(origin, "http://", 7) ? 7 : !strncasecmp(origin, "https://", 8) ? 8 : 0;
        return host && skip > 0 && strcasecmp(origin + skip, host) == 0;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char msg[512];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        msg[strcspn(msg, "\n")] = 0;
        log_debug("web: %s", msg);
}

void request_free(Request *r) {
        if (!r)
                return;
        strbuf_done(&r->body);
        upload_free(r->upload);
        if (r->pending)
                MHD_destroy_response(r->pending);
        for (size_t i = 0; i < r->n_args; i++) {
                free(r->args[i].name);
                free(r->args[i].value);
        }
        free(r->args);
        free(r->target);
        free(r);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
        /* libmicrohttpd would now split the query string into pairs in the connection's memory
         * pool; when they do not fit (250 short ones did not in 16 KiB), 0.9.75 queues an error
         * answer, then forgets it and waits for the client until the idle timeout, never completing
         * the request. The query string is read by query.c from r->target instead, so its '?' is
         * made to end the string: libmicrohttpd computed its position before calling us and writes
         * there itself. The buffer is its read buffer, writable. */
        char *q = strchr(uri, '?');
        _cleanup_free_ char *target = strdup(uri); /* before the cut */
        if (q && q[1])
                q[1] = 0;

        Request *r = calloc(1, sizeof(Request));
        if (!r)
                return NULL;
        r->w = cls;
        r->c = c;
        r->bad_uri = !query_escapes_valid(target ?: uri, strlen(target ?: uri));
        r->target = TAKE_PTR(target); /* NULL (out of memory): not cached, no arguments */
        if (r->target && (q = strchr(r->target, '?'))) {
                r->query = q + 1;
                r->query_len = strlen(r->query);
        }
        r->conn = conns_of(c);
        if (r->conn) {
                request_free(r->conn->req); /* a request libmicrohttpd dropped without completing */
                r->conn->req = r;
        }
        return r;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
        Request *r = *con_cls;
        if (!r)
                return;
        Conn *conn = r->conn;
        if (conn && conn->req == r)
                conn->req = NULL;
        request_free(r);
        *con_cls = NULL;
        /* kept alive: the next request's headers have a deadline again */
        if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
                conns_set_phase(cls, conn, CONN_HEADERS);
}

const char *req_arg(Request *r, const char *name) {
        for (size_t i = 0; i < r->n_args; i++)
                if (!strcmp(r->args[i].name, name))
                        return r->args[i].value;
        char *v = NULL;
        if (r->query && query_find(r->query, r->query_len, name, &v) <= 0)
                v = NULL; /* a bad escape is refused as a whole in routes_dispatch() (bad_uri) */
        ReqArg *a = reallocarray(r->args, r->n_args + 1, sizeof(ReqArg));
        char *n = strdup(name);
        if (!a || !n) {
                free(a == r->args ? NULL : a); /* never: reallocarray keeps or replaces */
                free(n);
                free(v);
                return NULL;
        }
        r->args = a;
        r->args[r->n_args++] = (ReqArg) { .name = n, .value = v };
        return v;
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

/* On the writer thread: the handler of a write request, whose reply is kept for the worker. */
static void dispatch_job(Request *r) {
        if (routes_dispatch(r) == MHD_NO || !r->pending)
                r->job_failed = true;
}

static MHD_Result_ on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls) {
        Request *r = *con_cls;
        if (!r)
                return MHD_NO; /* out of memory in on_uri(): drop the connection */
        if (atomic_load(&r->busy))
                return MHD_YES; /* called before the suspension took effect: data stays unread */
        if (r->pending) {
                /* answered on the writer thread, which then resumed the connection */
                struct MHD_Response *resp = TAKE_PTR(r->pending);
                MHD_Result_ q = MHD_queue_response(c, r->pending_status, resp);
                MHD_destroy_response(resp);
                return q;
        }
        if (r->job_failed)
                return MHD_NO;
        if (!r->url) {
                /* first call: headers are complete, no body has been read yet */
                r->url = url;
                r->method = parse_method(method);
                r->api = strncmp(url, "/api/", 5) == 0;
                /* DNS rebinding: a page of another name must not read the dashboard; a valid
                 * bearer token is no ambient authority of a browser, so such a client may use any */
                if (!web_host_ok(r) && !bearer_ok(r))
                        return reply_error(r, 421, "This server does not answer to that Host name; add it to "
                                           "lockdepd.conf (web-host =) if it is one of its names");
                if (req_arg(r, "token"))
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "A token in the URL is refused (URLs end up in "
                                           "logs and histories): send Authorization: Bearer TOKEN or a form field");
                bool ingest = r->method == METHOD_POST && !strcmp(url, "/api/v1/ingest");
                unsigned max = ingest ? WEB_MAX_INGEST : WEB_MAX_BODY;
                const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
                /* an answer queued now closes the connection: right for these, the body is unread */
                if (cl && strtoull(cl, NULL, 10) > max)
                        return reply_error(r, HTTP_TOO_LARGE, "Request body larger than %u bytes", max);
                if (ingest) {
                        MHD_Result_ q = upload_start(r); /* the body goes to the parser, not to r->body */
                        conns_set_phase(r->w, r->conn, CONN_BUSY); /* authenticated, or answered */
                        return q;
                }
                /* a body has a deadline of its own */
                conns_set_phase(r->w, r->conn, r->method & (METHOD_POST | METHOD_DELETE) ? CONN_BODY : CONN_BUSY);
                return MHD_YES; /* answered on a later call: the connection stays usable */
        }
        if (r->dispatched) {
                *upload_data_size = 0; /* a reply was queued early; swallow the rest of the body */
                return MHD_YES;
        }
        if (*upload_data_size > 0 && r->upload) {
                size_t n = *upload_data_size;
                *upload_data_size = 0;
                return upload_feed(r, upload_data, n); /* on the writer thread */
        }
        if (*upload_data_size > 0) {
                if (r->body.len + *upload_data_size > WEB_MAX_BODY)
                        r->body_too_large = true;
                else if (strbuf_append(&r->body, upload_data, *upload_data_size) < 0)
                        return MHD_NO;
                *upload_data_size = 0;
                return MHD_YES;
        }
        conns_set_phase(r->w, r->conn, CONN_BUSY);
        atomic_fetch_add(&r->w->n_requests, 1);
        if (r->body_too_large)
                return reply_error(r, HTTP_TOO_LARGE, "Request body larger than %u bytes",
                                   r->upload ? WEB_MAX_INGEST : WEB_MAX_BODY);
        if (r->method & (METHOD_POST | METHOD_DELETE)) {
                web_defer(r, dispatch_job);
                return MHD_YES;
        }
        return routes_dispatch(r);
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

/* The descriptors lockdepd has: a quarter (at least 64) stays for the database, journal files and
 * inotify; the web server may use the rest, up to MAX_CONNECTIONS. Past the soft limit a new
 * connection makes room by closing the longest waiting one (conns.c). */
static void connection_limits(unsigned *ret_soft, unsigned *ret_hard) {
        struct rlimit rl;
        unsigned long fds = 1024;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
                fds = rl.rlim_cur == RLIM_INFINITY ? 1UL << 20 : MIN((unsigned long) rl.rlim_cur, 1UL << 20);
        unsigned long reserve = MAX(64UL, fds / 4);
        unsigned long hard = fds > reserve + 32 ? fds - reserve : 32;
        hard = MIN(hard, (unsigned long) MAX_CONNECTIONS);
        *ret_hard = (unsigned) hard;
        *ret_soft = (unsigned) (hard - MIN(64UL, hard / 8));
}

int web_start(const WebConfig *c, WebServer **ret) {
        struct sockaddr_storage sa;
        bool v6;
        int r;

        assert(c && c->db && ret);
        const char *listen = c->listen ?: WEB_DEFAULT_LISTEN, *why;
        r = netaddr_resolve(listen, &sa, &why);
        if (r < 0)
                return log_error_errno(r, "web: listen = %s: %s; expected ADDRESS:PORT such as "
                                       NETADDR_EXAMPLES, listen, why);
        v6 = sa.ss_family == AF_INET6;

        WebServer *w = calloc(1, sizeof(WebServer));
        if (!w || !(w->db = strdup(c->db))) {
                free(w);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        const char *bench = getenv("LOCKDEP_WEB_BENCH");
        w->bench = bench && !strcmp(bench, "1");
        w->aliases = c->aliases;
        w->health = c->health;
        w->health_userdata = c->health_userdata;
        memcpy(&w->listen_sa, &sa, sizeof(sa));
        w->latent = c->latent;
        w->latent_userdata = c->latent_userdata;
        r = pthread_key_create(&w->stores, store_pair_free);
        if (r != 0) {
                free(w->db);
                free(w);
                return log_error_errno(r, "web: pthread_key_create: %m");
        }

        if (c->n_hosts > 0 && !(w->hosts = calloc(c->n_hosts, sizeof(char *)))) {
                web_stop(w);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        for (size_t i = 0; i < c->n_hosts; i++) {
                char name[256];
                if (!host_name(c->hosts[i], name, sizeof(name)))
                        log_warning("web: web-host = %s is not a host name; ignored", c->hosts[i]);
                else if ((w->hosts[w->n_hosts] = strdup(name)))
                        w->n_hosts++;
        }

        _cleanup_free_ char *dbcopy = strdup(c->db), *token_path = NULL;
        if (!dbcopy || asprintf(&token_path, "%s/web-token", dirname(dbcopy)) < 0) {
                web_stop(w);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        (void) load_token(w, c->token_path ?: token_path);

        unsigned soft, hard;
        connection_limits(&soft, &hard);
        r = conns_start(w, soft);
        if (r >= 0)
                r = writer_start(w);
        if (r < 0) {
                web_stop(w);
                return log_error_errno(r, "web: cannot start a thread: %m");
        }

        unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                         (v6 ? MHD_USE_IPv6 : 0);
        w->mhd = MHD_start_daemon(flags, 0, conns_accept, w, on_request, w,
                                  MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                  MHD_OPTION_URI_LOG_CALLBACK, on_uri, w,
                                  MHD_OPTION_NOTIFY_COMPLETED, on_completed, w,
                                  MHD_OPTION_NOTIFY_CONNECTION, conns_notify, w,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &sa,
                                  MHD_OPTION_THREAD_POOL_SIZE, (unsigned) (c->threads ?: 2),
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) HEADER_MEMORY,
                                  MHD_OPTION_CONNECTION_LIMIT, hard,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) IDLE_TIMEOUT_SEC,
                                  MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned) 1024,
                                  MHD_OPTION_END);
        if (!w->mhd) {
                int e = errno ?: EADDRINUSE;
                web_stop(w);
                return log_error_errno(e, "web: cannot listen on %s: %m; choose another address (listen =, "
                                       "--listen) or run without the dashboard (web = no, --no-web)", listen);
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_BIND_PORT);
        w->port = info ? info->port : ntohs(((struct sockaddr_in *) &sa)->sin_port);
        char host[INET6_ADDRSTRLEN] = "?";
        inet_ntop(sa.ss_family, v6 ? (void *) &((struct sockaddr_in6 *) &sa)->sin6_addr :
                                     (void *) &((struct sockaddr_in *) &sa)->sin_addr, host, sizeof(host));
        log_info("web: listening on http://%s%s%s:%u/", v6 ? "[" : "", host, v6 ? "]" : "", w->port);
        log_debug("web: up to %u connections, %u before the longest waiting is closed", hard, soft);
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
                MHD_quiesce_daemon(w->mhd); /* no new connections */
        writer_stop(w);                     /* runs the writes queued, resumes their connections */
        if (w->mhd)
                MHD_stop_daemon(w->mhd);    /* joins the threads: their stores are closed */
        writer_free(w);
        conns_stop(w);
        pthread_key_delete(w->stores);
        explicit_bzero(w->token, sizeof(w->token));
        for (size_t i = 0; i < w->n_hosts; i++)
                free(w->hosts[i]);
        free(w->hosts);
        free(w->db);
        free(w);
        return NULL;
}
