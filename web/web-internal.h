/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Shared by server.c, routes.c and the handlers. A Request lives from the first line of an HTTP
 * request (URI log callback) to MHD's completion callback, owned by its connection's Conn until
 * then; handlers run once the body (if any) is complete, and answer with exactly one reply_*()
 * call, which takes ownership of the body. Reads run on libmicrohttpd's worker threads, writes on
 * the writer thread (writer.c), never both at once for one Request.
 */

#include <microhttpd.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "html.h"
#include "json-reader.h"
#include "store.h"
#include "strbuf.h"
#include "web.h"

#define WEB_MAX_BODY (64 * 1024)
#define WEB_MAX_INGEST (16 * 1024 * 1024) /* POST /api/v1/ingest only: parsed as it arrives */
#define HTTP_TOO_LARGE 413 /* MHD renamed the constant; the number stays */
#define WEB_PAGE_DEFAULT 50
#define WEB_PAGE_MAX 1000
#define WEB_TOKEN_LEN 64 /* hex characters */

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_;
#else
typedef enum MHD_Result MHD_Result_;
#endif

typedef struct Request Request;
typedef struct Conn Conn;

/* conns.c: what a connection is waiting for, and so which deadline applies. */
typedef enum ConnPhase {
        CONN_HEADERS,   /* since the accept or the last answer: a complete request's headers */
        CONN_BODY,      /* the body of a request that is not an authenticated upload */
        CONN_BUSY,      /* handled, answered, or an authenticated upload: the idle timeout only */
} ConnPhase;

#define CONN_HEADER_USEC (10ULL * 1000000ULL)
#define CONN_BODY_USEC (30ULL * 1000000ULL)  /* WEB_MAX_BODY at 2 KiB/s */
#define CONN_MAX_PER_ADDR 64                 /* except loopback */

struct Conn {
        Conn *prev, *next;           /* in its phase's list, ordered by deadline */
        Conn *all_prev, *all_next;   /* every connection */
        ConnPhase phase;
        uint64_t deadline;           /* CLOCK_MONOTONIC usec */
        int fd;
        bool shut;                   /* shutdown() by us: going away */
        unsigned char addr_key[17];  /* family + address, no port */
        Request *req;                /* the current request (MHD thread of the connection only) */
};

typedef struct ConnList {
        Conn *head, *tail;
} ConnList;

typedef struct ConnTable {
        pthread_mutex_t lock;
        pthread_cond_t wake;         /* CLOCK_MONOTONIC */
        pthread_t reaper;
        bool started, stop;
        ConnList lists[CONN_BUSY];   /* CONN_HEADERS, CONN_BODY */
        Conn *all;
        unsigned n, n_shut, soft_limit;
} ConnTable;

struct WebServer {
        struct MHD_Daemon *mhd;
        char *db;
        char token[WEB_TOKEN_LEN + 1];
        const LockdepAliases *aliases; /* borrowed from the caller of web_start(); NULL = built-in */
        int (*health)(StrBuf *b, bool *ret_degraded, void *userdata);
        void *health_userdata;
        void (*latent)(const char *release, unsigned n, void *userdata);
        void *latent_userdata;
        pthread_key_t stores;      /* per-thread StorePair */
        uint16_t port;
        char **hosts;              /* WebConfig.hosts, lower case */
        size_t n_hosts;
        struct sockaddr_storage listen_sa;
        bool bench;                /* LOCKDEP_WEB_BENCH=1: /bench/fixed */
        atomic_uint_fast64_t n_requests, n_errors, n_store_errors, n_cache_hits;
        atomic_uint_fast64_t write_generation; /* bumped after each write through this server */
        atomic_uint_fast64_t n_conn_timeouts, n_conn_evicted, n_conn_refused;
        ConnTable conns;
        /* writer.c */
        pthread_t writer;
        pthread_mutex_t wlock;
        pthread_cond_t wcond;
        Request *wq_head, *wq_tail;
        bool wstarted, wstop;
};

typedef enum Method {
        METHOD_GET = 1 << 0,
        METHOD_HEAD = 1 << 1,
        METHOD_POST = 1 << 2,
        METHOD_DELETE = 1 << 3,
} Method;

typedef struct ReqArg {
        char *name;
        char *value;               /* decoded; NULL when absent */
} ReqArg;

typedef void (*WebJob)(Request *r);

struct Request {
        WebServer *w;
        struct MHD_Connection *c;
        Conn *conn;                /* NULL if it could not be allocated */
        Method method;
        const char *url;           /* decoded path, owned by MHD */
        char *target;              /* raw request target (path and query string), the cache key */
        const char *query;         /* in target, after '?' (NULL: none) */
        size_t query_len;
        ReqArg *args;              /* req_arg() answers, decoded once */
        size_t n_args;
        const char *rest;          /* the part of url after the route's prefix */
        bool api;                  /* under /api/: errors as JSON */
        const char *location;      /* reply(): a Location header (a 301 with a body) */
        bool bad_uri;              /* bad percent-encoding or a NUL in the raw URI */
        bool dispatched;
        StrBuf body;
        bool body_too_large;
        bool wrote;                /* opened the writable store: invalidates every cache */
        bool cache_miss;           /* a cacheable request not in the cache: reply() may add it */
        uint64_t cache_version, cache_generation; /* as seen before the handler ran */
        struct Upload *upload;     /* POST /api/v1/ingest: the parser fed while the body arrives */
        /* writer.c */
        Request *wq_next;
        WebJob job;
        atomic_bool busy;          /* queued or running on the writer thread */
        bool deferred;             /* running on the writer thread: replies are kept in pending */
        bool job_failed;
        struct MHD_Response *pending;
        unsigned pending_status;
};

typedef MHD_Result_ (*Handler)(Request *r);

/* server.c */
typedef struct WebCache WebCache;
Store *web_store(Request *r);     /* read-only, this thread's; NULL after replying 503 */
Store *web_store_opened(Request *r); /* the same if this thread opened it already, else NULL */
WebCache *web_cache(Request *r);  /* this thread's response cache; NULL if out of memory */
Store *web_store_rw(Request *r);  /* writable, the writer thread's; NULL after replying 503 */
/* This thread's store without replying: 0, or the negative errno (logged). */
int web_store_get(Request *r, bool rw, Store **ret);
const char *web_store_open_error(Request *r); /* why this thread's last open failed, or NULL */
void web_store_drop(Request *r);  /* closes this thread's read-only store (it is reopened) */
/* Authorization: Bearer, or the "token" field of a POST's form/JSON body (never the URL's). */
bool web_token_ok(Request *r);
/* Is the Host header (port aside) localhost, a loopback address, the listen address (any IP
 * address when that is a wildcard) or a configured name? A request without one (HTTP/1.0) is. */
bool web_host_ok(Request *r);
/* A write's origin: false when Sec-Fetch-Site says cross-site or Origin is not this Host's. */
bool web_origin_ok(Request *r);
void request_free(Request *r);

/* conns.c, see there */
MHD_Result_ conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void conns_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe);
Conn *conns_of(struct MHD_Connection *connection);
void conns_set_phase(WebServer *w, Conn *c, ConnPhase phase);
int conns_start(WebServer *w, unsigned soft_limit);
void conns_stop(WebServer *w);

/* writer.c: on a worker thread, suspends r's connection and runs job(r) on the writer thread,
 * which resumes it when done. */
void web_defer(Request *r, WebJob job);
int writer_start(WebServer *w);
void writer_stop(WebServer *w);
void writer_free(WebServer *w);

/* routes.c */
MHD_Result_ routes_dispatch(Request *r);

/* cache.c: per-thread cache of 200 answers to GET/HEAD, keyed by the raw request target, valid
 * while the thread's store data_version and the server's write generation are unchanged, for at
 * most a few seconds. cache_lookup() returns true after queueing a cached reply in *ret; on a miss
 * it marks r so that reply() offers the answer to cache_put(), which keeps resp (taking over the
 * caller's reference) and returns true, or returns false. */
bool cache_lookup(Request *r, MHD_Result_ *ret);
bool cache_put(Request *r, struct MHD_Response *resp, size_t len);
WebCache *cache_new(void);
void cache_free(WebCache *c);

/* replies (routes.c): all add the security headers and take ownership of body */
MHD_Result_ reply(Request *r, unsigned status, const char *type, char *body, size_t len);
MHD_Result_ reply_html(Request *r, unsigned status, Html *h);
MHD_Result_ reply_json(Request *r, unsigned status, char *json);
/* The API answer of a typed view's serializer (store-views.c): 200 with b's JSON (taken), or 500
 * when the serializer failed (e < 0; b freed). */
MHD_Result_ reply_view_json(Request *r, StrBuf *b, int e);
MHD_Result_ reply_error(Request *r, unsigned status, const char *fmt, ...) _printf_(3, 4);
MHD_Result_ reply_store_error(Request *r, Store *s, int err);
/* The answer of a detail page's store_*_json() call (err, js): a missing object is 404 with
 * missing ("No such host"), another error its status, an API request gets js as it is. Returns
 * false with the reply queued in *ret_q, or true with js parsed into *ret_v (js is freed either
 * way) when the caller is to render the HTML page; unreadable is the 500 message then. */
bool reply_object(Request *r, Store *s, int err, char *js, const char *missing, const char *unreadable,
                  JsonValue **ret_v, MHD_Result_ *ret_q);
MHD_Result_ reply_redirect(Request *r, const char *location);
/* A browser form's write refused (a wrong token): an HTML page with the same form again, every
 * field but the token filled in as it was posted, msg above it; back: the page it came from. */
MHD_Result_ reply_form_again(Request *r, unsigned status, const char *msg, const char *back);

/* Request arguments (server.c): the decoded query string value, owned by r; NULL if absent. */
const char *req_arg(Request *r, const char *name);
/* Query string, or for POST the form or JSON body: name -> value (caller frees), NULL if absent. */
int req_param(Request *r, const char *name, char **ret);
/* The same from the body only: 0 when it has no such field. */
int req_body_param(Request *r, const char *name, char **ret);
/* Parses a decimal id > 0 (no sign, no junk). */
int parse_id(const char *s, int64_t *ret);
/* kind/status/host/kernel/lock/since/until/sort/limit/offset -> q, pointing into r's strings.
 * -EINVAL with a message in *ret_why (static). */
int req_query(Request *r, StoreQuery *q, const char **ret_why);
/* The query string of q again, for page links; skip names a parameter left out ("offset"). */
void h_query(Html *h, const StoreQuery *q, const char *skip);
/* The same pairs each after "&amp;", for a link that has its own first pair (/search?q=...). */
void h_query_after(Html *h, const StoreQuery *q, const char *skip);

/* filter-form.c: the form of the list filters, each field showing the request's value as typed. */
typedef struct FilterForm {
        const char *action;              /* "/", "/search" */
        const char *text;                /* the search text field's value; NULL: no such field */
        const char *const *sorts;        /* the sort choices besides the default */
        size_t n_sorts;
        const char *sort_default;        /* the default's label: "any", "relevance" */
        const char *button;
} FilterForm;
void h_filter_form(Html *h, Request *r, const FilterForm *f);


/* One store row callback that collects parsed rows into a JSON array value. */
typedef struct Rows {
        StrBuf json;               /* "[row,row,...]" as it arrives */
        size_t n;
} Rows;
int rows_collect(const char *json, void *userdata);
/* Answers head (the JSON object up to the array, e.g. "{\"edges\":") + the rows + "]}";
 * frees the rows. */
MHD_Result_ reply_rows(Request *r, const char *head, Rows *rows);
/* Closes the array; returns the parsed tree in *ret. */
int rows_parse(Rows *rows, JsonValue **ret);

/* list-query.c: the sorted, paged fleet lists (hosts, kernels, locks) on the web. */
/* sort, order, limit, offset (and for locks q: the name filter) -> q, through the store's reader
 * (store_list_query_set()); page: the limit without one (0: every row). -EINVAL with *ret_why. */
int req_list_query(Request *r, StoreList l, unsigned page, StoreListQuery *q, const char **ret_why);
/* path + the query string of q (offset as given), for links */
void h_list_link(Html *h, const char *path, const StoreListQuery *q, unsigned page);
/* A column header linking to the whole list sorted by sort (the other direction when it is the
 * current sort, which is marked: class "sorted", aria-sort and an arrow). */
void h_sort_th(Html *h, const char *path, const StoreListQuery *q, unsigned page, const char *sort, const char *label);
/* "<p class=summary>N things, showing a-b</p>" */
void h_list_summary(Html *h, const StoreListQuery *q, uint64_t total, size_t shown, const char *what);
/* The query of list l as the request asks and the list's total: the store to read its rows from,
 * or NULL with the reply (400, a store error) queued in *ret_q. page: the HTML page's limit (the
 * API's too for locks; hosts and kernels give every row without a limit). */
Store *req_list_count(Request *r, StoreList l, unsigned page, StoreListQuery *q, uint64_t *ret_total,
                      MHD_Result_ *ret_q);
/* previous / next page links, if any */
void h_list_pager(Html *h, const char *path, const StoreListQuery *q, unsigned page, uint64_t total);

/* group-cells.c: a group row's lock key ("A -> B -> A": the key without "kind: ", NULL if none)
 * and the title cell's content: the key linking to the group, the function title below it. */
const char *group_key_of(const char *kind, const char *key);
void h_group_title_of(Html *h, int64_t id, const char *kind, const char *key, const char *title);
void h_group_key_of(Html *h, const char *kind, const char *key);
/* the same from a group object of JSON (pages not yet on typed views) */
void h_group_title(Html *h, const JsonValue *g);

/* group-evidence.c: a group's breakdown (counts of KEY) as bars, its reports per day over its life
 * (from its occurrences; cut: they are the newest page only), related groups by shared edges */
void h_bars(Html *h, const char *id, const char *title, const StoreCount *v, size_t n, const char *key,
            const char *link);
void h_timeline(Html *h, const StoreReportList *occ, bool cut);
void h_related(Html *h, const StoreRelatedGroup *v, size_t n);

/* svg-cycle.c: the cycle of a group as a ladder of boxes (see there) */
void svg_cycle(Html *h, const StoreGroupDetail *d);
/* The same from typed data: n_classes names in cycle order, edges (from, to, the site "at" or NULL)
 * or none for the printed order closing the circle. */
typedef struct SvgEdge {
        const char *from, *to, *at;
} SvgEdge;
void svg_cycle_draw(Html *h, const char *const *classes, size_t n_classes, const SvgEdge *edges, size_t n_edges);
/* The same cycle as text: each edge with its acquire site and the chain stack on demand. */
void h_cycle_text(Html *h, const StoreGroupDetail *d);

/* svg.c */
#define SPARK_DAYS 90
/* Index of day "YYYY-MM-DD..." in a SPARK_DAYS window ending today, or -ERANGE/-EINVAL. */
int sparkline_day(const char *iso_day, time_t now);
/* standalone: an image/svg+xml document of its own (no page CSS) */
void svg_sparkline_days(Html *h, const double v[SPARK_DAYS], bool standalone);
void svg_sparkline(Html *h, const StoreCount *daily, size_t n, bool standalone);

/* graph-layout.c: the fleet graph as a layered drawing (see there). Graph borrows the edge rows
 * (and their strings) it was built from. */
typedef struct GNode {
        const char *name;
        unsigned degree;
        int dist;                  /* hops from the focus (graph_focus), -1 beyond */
        int layer, row, scc;
        double pos, x, y, w;
        bool drawn;
} GNode;
typedef struct GEdge {
        int from, to;              /* node indexes */
        const JsonValue *v;        /* the edge row */
        long long n;
        bool cycle;                /* in a strongly connected component (or a self-loop) */
        bool drawn, back;          /* drawn; against the layers */
} GEdge;
typedef struct Graph {
        GNode *nodes;
        size_t n_nodes;
        GEdge *edges;
        size_t n_edges, n_cycle_edges, n_classes, n_drawn_nodes, n_drawn_edges;
        int *hash;                 /* node indexes by name, open addressing */
        size_t hash_size;
} Graph;
/* The edges e of the rows with keep[e] (keep NULL: all). */
int graph_build(Graph *g, const JsonValue *edges, const bool *keep);
void graph_done(Graph *g);
int graph_find(const Graph *g, const char *name);
/* Keeps the edges between classes within depth hops of center. */
void graph_focus(Graph *g, int center, unsigned depth);
/* Finds the cycles, chooses what to draw and appends the SVG (nothing without edges). */
int graph_svg(Html *h, Graph *g, size_t max_nodes, size_t max_edges, int center, const char *newest_kernel);

/* handler-reports.c: the raw text escaped, then the lock names of the report marked */
void h_report_text(Html *h, const char *raw, const char *const *marks, size_t n_marks);
/* handler-groups.c: checks Sec-Fetch-Site and the token for a write and opens the writable store;
 * on failure the reply is queued and a negative errno returned. *ret_form: an HTML form post. */
int write_check(Request *r, bool *ret_form, Store **ret_store);

/* handler-ingest.c: POST /api/v1/ingest is parsed while its body arrives. upload_start() runs when
 * the headers are complete (token, metadata) and either sets r->upload or queues a reply;
 * upload_feed() takes each chunk of the body, handle_ingest() answers at its end, upload_free()
 * runs at completion (accepts NULL, returns NULL). */
typedef struct Upload Upload;
MHD_Result_ upload_start(Request *r);
MHD_Result_ upload_feed(Request *r, const char *data, size_t n); /* defers to the writer */
Upload *upload_free(Upload *u);

/* handlers */
MHD_Result_ handle_groups(Request *r);        /* / and /api/v1/groups */
MHD_Result_ handle_group(Request *r);         /* /groups/ID[/spark.svg], /api/v1/groups/ID[/triage|merge|split] */
MHD_Result_ handle_report(Request *r);        /* /reports/ID, /api/v1/reports/ID */
MHD_Result_ handle_reports(Request *r);       /* /api/v1/reports */
MHD_Result_ handle_locks(Request *r);         /* /locks, /api/v1/locks */
MHD_Result_ handle_lock(Request *r);          /* /locks/NAME, /api/v1/locks/NAME */
MHD_Result_ handle_graph(Request *r);         /* /graph, /api/v1/graph */
MHD_Result_ handle_suppressions(Request *r);  /* /suppressions, /api/v1/suppressions[/ID] */
MHD_Result_ handle_search(Request *r);        /* /api/v1/search */
MHD_Result_ handle_search_page(Request *r);   /* /search */
MHD_Result_ handle_metrics(Request *r);       /* /metrics */
MHD_Result_ handle_stats(Request *r);         /* /api/v1/stats */
MHD_Result_ handle_healthz(Request *r);       /* /healthz */
MHD_Result_ handle_hosts(Request *r);         /* /hosts, /api/v1/hosts */
MHD_Result_ handle_host(Request *r);          /* /hosts/NAME, /api/v1/hosts/NAME */
MHD_Result_ handle_latent(Request *r);        /* /latent[/ID], /api/v1/latent[/ID] */
MHD_Result_ handle_kernels(Request *r);       /* /kernels, /api/v1/kernels */
MHD_Result_ handle_kernel(Request *r);        /* /kernels/REL, /api/v1/kernels/REL */
MHD_Result_ handle_bench(Request *r);         /* /bench/fixed?size=N (LOCKDEP_WEB_BENCH=1 only) */
MHD_Result_ handle_ingest(Request *r);        /* POST /api/v1/ingest */
