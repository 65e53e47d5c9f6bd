/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The route table, replies with the security headers, request parameters and the shared query
 * filters. Static files come from a fixed table of embedded strings, never from the file system.
 */
#include <assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lockdep.h"
#include "log.h"
#include "json.h"
#include "macro.h"
#include "parse-util.h"
#include "query.h"
#include "time-spec.h"
#include "web-internal.h"

/* /favicon.ico: a small SVG (Chromium and Firefox take one under that name with its type) */
static const char favicon_svg[] =
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><rect width=\"16\" height=\"16\" rx=\"3\" "
        "fill=\"#263238\"/><path d=\"M4 11V6a4 4 0 0 1 8 0v5\" fill=\"none\" stroke=\"#eceff1\" stroke-width=\"2\"/>"
        "<rect x=\"3\" y=\"9\" width=\"10\" height=\"5\" fill=\"#d84315\"/></svg>\n";
static const size_t favicon_svg_len = sizeof(favicon_svg) - 1;

extern const char web_style_css[];
extern const size_t web_style_css_len;
extern const char web_app_js[];
extern const size_t web_app_js_len;

#define CSP "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; " \
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* ---- replies ---------------------------------------------------------------------------------- */

/* On the writer thread: the worker thread queues resp when the connection is resumed (writer.c). */
static MHD_Result_ reply_keep(Request *r, unsigned status, struct MHD_Response *resp) {
        assert(!r->pending);
        r->pending = resp;
        r->pending_status = status;
        return MHD_YES;
}

/* Before the answer is queued: a client that saw its write answered never gets a cached page from
 * before it, from any thread. */
static void reply_begin(Request *r) {
        r->dispatched = true;
        if (r->wrote)
                atomic_fetch_add(&r->w->write_generation, 1);
}

MHD_Result_ reply(Request *r, unsigned status, const char *type, char *body, size_t len) {
        struct MHD_Response *resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
                free(body);
                return MHD_NO;
        }
        reply_begin(r);
        if (status >= 500)
                atomic_fetch_add(&r->w->n_errors, 1);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        MHD_add_response_header(resp, "Content-Security-Policy", CSP);
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        MHD_add_response_header(resp, "X-Frame-Options", "DENY");
        MHD_add_response_header(resp, "Cache-Control", "no-store");
        if (r->location)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
        if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST, DELETE");
        if (status == MHD_HTTP_UNAUTHORIZED)
                MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"lockdep\"");
        if (r->deferred)
                return reply_keep(r, status, resp);
        MHD_Result_ q = MHD_queue_response(r->c, status, resp);
        /* the cache keeps the whole response, security headers included, and queues it again */
        if (status != MHD_HTTP_OK || !cache_put(r, resp, len))
                MHD_destroy_response(resp);
        return q;
}

MHD_Result_ reply_html(Request *r, unsigned status, Html *h) {
        char *s;
        size_t n;
        if (h_steal(h, &s, &n) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        return reply(r, status, "text/html; charset=utf-8", s, n);
}

MHD_Result_ reply_json(Request *r, unsigned status, char *json) {
        size_t n = strlen(json);
        /* one object per response, newline-terminated like lockdepctl's output */
        char *s = realloc(json, n + 2);
        if (!s) {
                free(json);
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        }
        s[n] = '\n';
        s[n + 1] = 0;
        return reply(r, status, "application/json", s, n + 1);
}

MHD_Result_ reply_view_json(Request *r, StrBuf *b, int e) {
        if (e < 0) {
                strbuf_done(b);
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        }
        return reply_json(r, MHD_HTTP_OK, strbuf_steal(b));
}

MHD_Result_ reply_error(Request *r, unsigned status, const char *fmt, ...) {
        char msg[1024]; /* the longest refusal (the kinds) whole */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        Html h = {};
        if (r->api) {
                h_raw(&h, "{\"error\":");
                h_json(&h, msg);
                h_printf(&h, ",\"status\":%u}\n", status);
        } else {
                char title[32];
                snprintf(title, sizeof(title), "Error %u", status);
                h_begin(&h, title);
                h_printf(&h, "<h1>Error %u</h1><p class=\"error\">", status);
                h_text(&h, msg);
                h_raw(&h, "</p><p><a href=\"/\">Back to the groups</a></p>");
                h_end(&h);
        }
        char *s;
        size_t n;
        if (h_steal(&h, &s, &n) < 0)
                return MHD_NO;
        return reply(r, status, r->api ? "application/json" : "text/html; charset=utf-8", s, n);
}

bool reply_object(Request *r, Store *s, int err, char *js, const char *missing, const char *unreadable,
                  JsonValue **ret_v, MHD_Result_ *ret_q) {
        if (err < 0) {
                *ret_q = err == -ENOENT ? reply_error(r, MHD_HTTP_NOT_FOUND, "%s", missing)
                                        : reply_store_error(r, s, err);
                return false;
        }
        if (r->api) {
                *ret_q = reply_json(r, MHD_HTTP_OK, js);
                return false;
        }
        int e = json_parse(js, ret_v);
        free(js);
        if (e < 0) {
                *ret_q = reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "%s", unreadable);
                return false;
        }
        return true;
}

MHD_Result_ reply_store_error(Request *r, Store *s, int err) {
        switch (err) {
        case -ENOENT:
                return reply_error(r, MHD_HTTP_NOT_FOUND, "Not found");
        case -EINVAL:
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", s && store_error(s)[0] ? store_error(s) : "Invalid request");
        case -EEXIST:
                return reply_error(r, MHD_HTTP_CONFLICT, "%s", s && store_error(s)[0] ? store_error(s) : "Conflict");
        case -EIDRM: /* a group deleted with no successor (store_group_live()) */
                return reply_error(r, MHD_HTTP_GONE, "%s", s && store_error(s)[0] ? store_error(s) : "Gone");
        case -EBUSY:
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "The database is busy, try again");
        }
        atomic_fetch_add(&r->w->n_store_errors, 1);
        log_warning("web: %s: database error: %s", r->url, s && store_error(s)[0] ? store_error(s) : strerror(-err));
        return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Database error");
}

MHD_Result_ reply_redirect(Request *r, const char *location) {
        char *body = strdup("");
        struct MHD_Response *resp;
        if (!body || !(resp = MHD_create_response_from_buffer(0, body, MHD_RESPMEM_MUST_FREE))) {
                free(body);
                return MHD_NO;
        }
        reply_begin(r);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, location);
        MHD_add_response_header(resp, "Content-Security-Policy", CSP);
        MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
        MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
        if (r->deferred)
                return reply_keep(r, MHD_HTTP_SEE_OTHER, resp);
        MHD_Result_ q = MHD_queue_response(r->c, MHD_HTTP_SEE_OTHER, resp);
        MHD_destroy_response(resp);
        return q;
}

MHD_Result_ reply_form_again(Request *r, unsigned status, const char *msg, const char *back) {
        Html h = {};
        char title[32];
        snprintf(title, sizeof(title), "Error %u", status);
        h_begin(&h, title);
        h_printf(&h, "<h1>Error %u: not saved</h1><p class=\"error\" id=\"form-error\">", status);
        h_text(&h, msg);
        h_raw(&h, "</p><form method=\"post\" class=\"again\" action=\"");
        h_text(&h, r->url);
        h_raw(&h, "\">");
        const char *body = r->body.s ?: "";
        size_t pos = 0;
        char *name, *value;
        while (query_next(body, r->body.len, &pos, &name, &value) > 0) {
                if (strcmp(name, "token")) {
                        h_raw(&h, "<label>");
                        h_text(&h, name);
                        h_raw(&h, " <input type=\"text\" name=\"");
                        h_text(&h, name);
                        h_raw(&h, "\" value=\"");
                        h_value(&h, value);
                        h_raw(&h, "\"></label> ");
                }
                free(name);
                free(value);
        }
        h_raw(&h, "<label>Token <input type=\"password\" name=\"token\" autocomplete=\"off\" required autofocus>"
                  "</label> <button type=\"submit\">Try again</button></form><p><a href=\"");
        h_text(&h, back);
        h_raw(&h, "\">Back</a> (nothing was changed)</p>");
        h_end(&h);
        char *out;
        size_t n;
        if (h_steal(&h, &out, &n) < 0)
                return MHD_NO;
        return reply(r, status, "text/html; charset=utf-8", out, n);
}

/* ---- parameters ------------------------------------------------------------------------------- */

static int json_value_string(const JsonValue *v, char **ret) {
        StrBuf b = {};
        switch (v->type) {
        case JSON_STRING:
                *ret = strdup(v->str);
                return *ret ? 1 : -ENOMEM;
        case JSON_NUMBER:
                return asprintf(ret, "%lld", (long long) v->i) < 0 ? -ENOMEM : 1;
        case JSON_ARRAY: /* [1,2,3] -> "1,2,3" (report ids) */
                for (size_t i = 0; i < v->n_items; i++)
                        if (v->items[i]->type != JSON_NUMBER ||
                            strbuf_printf(&b, "%s%lld", i ? "," : "", (long long) v->items[i]->i) < 0) {
                                strbuf_done(&b);
                                return -EINVAL;
                        }
                *ret = strbuf_steal(&b);
                return *ret ? 1 : -ENOMEM;
        case JSON_NULL:
                return 0;
        default:
                return -EINVAL;
        }
}

int req_body_param(Request *r, const char *name, char **ret) {
        const char *ct = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (r->body.len > 0 && ct && strncasecmp(ct, "application/json", 16) == 0) {
                _cleanup_(json_value_freep) JsonValue *v = NULL;
                if (strlen(r->body.s) != r->body.len || json_parse(r->body.s, &v) < 0 || v->type != JSON_OBJECT)
                        return -EINVAL;
                const JsonValue *m = json_get(v, name);
                return m ? json_value_string(m, ret) : 0;
        }
        if (r->body.len > 0) {
                if (strlen(r->body.s) != r->body.len)
                        return -EINVAL;
                return query_find(r->body.s, r->body.len, name, ret);
        }
        return 0;
}

int req_param(Request *r, const char *name, char **ret) {
        int q = req_body_param(r, name, ret);
        if (q != 0)
                return q;
        const char *a = req_arg(r, name);
        if (!a)
                return 0;
        *ret = strdup(a);
        return *ret ? 1 : -ENOMEM;
}

int parse_id(const char *s, int64_t *ret) {
        return id_from_string(s, ret);
}

static int parse_uint(const char *s, unsigned max, unsigned *ret) {
        return uint_from_string(s, max, ret);
}

/* The list filters, read by the store's one reader of them (store_query_set()), as lockdepctl's. */
int req_query(Request *r, StoreQuery *q, const char **ret_why) {
        static const char *const names[] = { "kind", "status", "host", "kernel", "lock", "since", "until",
                                             "sort", "limit", "offset", "suppressed" };
        uint64_t now = time_now();
        *q = (StoreQuery) { .limit = WEB_PAGE_DEFAULT };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const char *v = req_arg(r, names[i]);
                /* an empty field of a form is no filter; an empty limit or offset is an error */
                if (!v || (!*v && (i < 8 || i == 10)))
                        continue;
                int e = store_query_set(q, names[i], v, now, WEB_PAGE_MAX, ret_why);
                if (e < 0)
                        return e;
        }
        return 0;
}

static void query_pair(Html *h, bool *first, const char *name, const char *value) {
        h_raw(h, *first ? "?" : "&amp;");
        h_raw(h, name);
        h_raw(h, "=");
        h_url(h, value);
        *first = false;
}

static void query_pairs(Html *h, const StoreQuery *q, const char *skip, bool first) {
        static const char *const names[] = { "kind", "status", "host", "kernel", "lock" };
        const char *vals[] = { q->kind, q->status, q->host, q->kernel, q->lock };
        char n[32];
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (vals[i] && strcmp(names[i], skip))
                        query_pair(h, &first, names[i], vals[i]);
        if (q->since && strcmp(skip, "since")) {
                snprintf(n, sizeof(n), "%llu", (unsigned long long) (q->since / 1000000));
                query_pair(h, &first, "since", n);
        }
        if (q->until && strcmp(skip, "until")) {
                snprintf(n, sizeof(n), "%llu", (unsigned long long) (q->until / 1000000));
                query_pair(h, &first, "until", n);
        }
        if (q->sort != STORE_SORT_DEFAULT && strcmp(skip, "sort"))
                query_pair(h, &first, "sort", store_sort_to_string(q->sort));
        if (q->limit != WEB_PAGE_DEFAULT && strcmp(skip, "limit")) {
                snprintf(n, sizeof(n), "%u", q->limit);
                query_pair(h, &first, "limit", n);
        }
        if (q->suppressed && strcmp(skip, "suppressed"))
                query_pair(h, &first, "suppressed", "1");
        if (q->offset && strcmp(skip, "offset")) {
                snprintf(n, sizeof(n), "%u", q->offset);
                query_pair(h, &first, "offset", n);
        }
}

void h_query(Html *h, const StoreQuery *q, const char *skip) {
        size_t len = h->b.len;
        query_pairs(h, q, skip, true);
        if (h->b.len == len)
                h_raw(h, "?");
}

void h_query_after(Html *h, const StoreQuery *q, const char *skip) {
        query_pairs(h, q, skip, false);
}

int rows_collect(const char *json, void *userdata) {
        Rows *rows = userdata;
        if (strbuf_puts(&rows->json, rows->n++ ? "," : "[") < 0 || strbuf_puts(&rows->json, json) < 0)
                return -ENOMEM;
        return 0;
}

MHD_Result_ reply_rows(Request *r, const char *head, Rows *rows) {
        Html h = {};
        h_raw(&h, head);
        h_rawn(&h, rows->json.s ?: "[", rows->json.len ?: 1);
        h_raw(&h, "]}");
        strbuf_done(&rows->json);
        char *out;
        size_t n;
        if (h_steal(&h, &out, &n) < 0)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        return reply_json(r, MHD_HTTP_OK, out);
}

int rows_parse(Rows *rows, JsonValue **ret) {
        if (strbuf_puts(&rows->json, rows->n ? "]" : "[]") < 0)
                return -ENOMEM;
        return json_parse(rows->json.s, ret);
}

/* ---- static files, health, bench ---------------------------------------------------------------- */

static MHD_Result_ handle_static(Request *r) {
        static const struct {
                const char *path;
                const char *data;
                const size_t *len;
                const char *type;
        } files[] = {
                { "/static/style.css", web_style_css, &web_style_css_len, "text/css; charset=utf-8" },
                { "/static/app.js", web_app_js, &web_app_js_len, "text/javascript; charset=utf-8" },
                { "/favicon.ico", favicon_svg, &favicon_svg_len, "image/svg+xml" },
        };
        for (size_t i = 0; i < ELEMENTSOF(files); i++)
                if (!strcmp(r->url, files[i].path)) {
                        char *s = malloc(*files[i].len + 1);
                        if (!s)
                                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
                        memcpy(s, files[i].data, *files[i].len + 1);
                        return reply(r, MHD_HTTP_OK, files[i].type, s, *files[i].len);
                }
        return reply_error(r, MHD_HTTP_NOT_FOUND, "No such file");
}

/* 200 only when the database answers a read (and is still the file at its path); the sources'
 * states either way. {"status":"ok"|"degraded"|"error","database":{"ok":B,"error":S},"sources":[]} */
MHD_Result_ handle_healthz(Request *r) {
        Store *s = NULL;
        int q = web_store_get(r, false, &s);
        if (q >= 0 && (q = store_health(s)) < 0)
                log_warning("web: health check: %s", store_error(s)[0] ? store_error(s) : strerror(-q));
        const char *why = q >= 0 ? NULL : s && store_error(s)[0] ? store_error(s)
                                        : web_store_open_error(r) ?: strerror(-q);
        bool degraded = false;
        StrBuf b = {};
        int e = strbuf_puts(&b, "{\"status\":");
        StrBuf src = {};
        if (e >= 0 && r->w->health)
                e = r->w->health(&src, &degraded, r->w->health_userdata);
        if (e >= 0)
                e = strbuf_printf(&b, "\"%s\",\"database\":{\"ok\":%s,\"error\":",
                                  q < 0 ? "error" : degraded ? "degraded" : "ok", q < 0 ? "false" : "true");
        if (e >= 0)
                e = why ? json_append_str(&b, why) : strbuf_puts(&b, "null");
        if (e >= 0)
                e = strbuf_printf(&b, "},\"sources\":%s}", src.s ?: "[]");
        strbuf_done(&src);
        if (q < 0)
                web_store_drop(r); /* reopened by the next request: a replaced file is seen anew */
        if (e < 0) {
                strbuf_done(&b);
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");
        }
        return reply_json(r, q < 0 ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, strbuf_steal(&b));
}

MHD_Result_ handle_bench(Request *r) {
        unsigned n = 0;
        if (parse_uint(req_arg(r, "size"), 16 * 1024 * 1024, &n) < 0)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "size: expected a number up to 16 MiB");
        char *s = malloc(n + 1);
        if (!s)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
        memset(s, ' ', n);
        s[n] = 0;
        return reply(r, MHD_HTTP_OK, "application/json", s, n);
}

/* ---- routing ---------------------------------------------------------------------------------- */

#define READ (METHOD_GET | METHOD_HEAD)

static const struct Route {
        const char *path;
        bool prefix;      /* path ends in '/': the rest goes to r->rest */
        unsigned methods;
        Handler handler;
        bool cache;       /* GET and HEAD answers may come from the response cache */
} routes[] = {
        { "/", false, READ, handle_groups, true },
        { "/groups/", true, READ, handle_group, true },
        { "/reports/", true, READ, handle_report, true },
        { "/locks", false, READ, handle_locks, true },
        { "/locks/", true, READ, handle_lock, true },
        { "/graph", false, READ, handle_graph, true },
        { "/suppressions", false, READ, handle_suppressions, true },
        { "/hosts", false, READ, handle_hosts, true },
        { "/hosts/", true, READ, handle_host, true },
        { "/kernels", false, READ, handle_kernels, true },
        { "/kernels/", true, READ, handle_kernel, true },
        { "/latent", false, READ, handle_latent, true },
        { "/latent/", true, READ, handle_latent, true },
        { "/metrics", false, READ, handle_metrics, false },   /* counters of this process */
        { "/healthz", false, READ, handle_healthz, false },   /* checks the store every time */
        { "/static/", true, READ, handle_static, false },     /* embedded, nothing to save */
        { "/favicon.ico", false, READ, handle_static, false },
        { "/search", false, READ, handle_search_page, true },
        { "/api/v1/groups", false, READ, handle_groups, true },
        { "/api/v1/groups/", true, READ | METHOD_POST, handle_group, true },
        { "/api/v1/reports", false, READ, handle_reports, true },
        { "/api/v1/reports/", true, READ, handle_report, true },
        { "/api/v1/locks", false, READ, handle_locks, true },
        { "/api/v1/locks/", true, READ, handle_lock, true },
        { "/api/v1/graph", false, READ, handle_graph, true },
        { "/api/v1/suppressions", false, READ | METHOD_POST, handle_suppressions, true },
        { "/api/v1/suppressions/", true, METHOD_POST | METHOD_DELETE, handle_suppressions, false },
        { "/api/v1/search", false, READ, handle_search, true },
        { "/api/v1/stats", false, READ, handle_stats, true },
        { "/api/v1/hosts", false, READ, handle_hosts, true },
        { "/api/v1/hosts/", true, READ, handle_host, true },
        { "/api/v1/kernels", false, READ, handle_kernels, true },
        { "/api/v1/kernels/", true, READ, handle_kernel, true },
        { "/api/v1/ingest", false, METHOD_POST, handle_ingest, false },
        { "/api/v1/latent", false, READ, handle_latent, true },
        { "/api/v1/latent/", true, READ | METHOD_POST, handle_latent, true },
};

static bool has_dot_segment(const char *p) {
        for (const char *s = p; (s = strstr(s, "/.")); s++)
                if (s[2] == 0 || s[2] == '/' || (s[2] == '.' && (s[3] == 0 || s[3] == '/')))
                        return true;
        return false;
}

MHD_Result_ routes_dispatch(Request *r) {
        if (r->bad_uri)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Bad percent-encoding in the URL");
        if (r->url[0] != '/' || has_dot_segment(r->url) || strchr(r->url, '\\'))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Invalid path");
        if (!r->method)
                return reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Only GET, HEAD, POST and DELETE are supported");
        if (r->w->bench && !strcmp(r->url, "/bench/fixed"))
                return handle_bench(r);

        for (size_t i = 0; i < ELEMENTSOF(routes); i++) {
                const struct Route *rt = &routes[i];
                size_t n = strlen(rt->path);
                if (rt->prefix ? strncmp(r->url, rt->path, n) != 0 || !r->url[n] : strcmp(r->url, rt->path) != 0)
                        continue;
                if (!(rt->methods & r->method))
                        return reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed here");
                r->rest = r->url + (rt->prefix ? n : strlen(r->url));
                MHD_Result_ q;
                if (rt->cache && cache_lookup(r, &q))
                        return q;
                return rt->handler(r);
        }
        return reply_error(r, MHD_HTTP_NOT_FOUND, "No such page");
}
