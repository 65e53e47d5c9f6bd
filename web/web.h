/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The web dashboard and JSON API (DESIGN.md section 9, docs/API.md), served by libmicrohttpd from
 * its own threads. Each thread opens its own read-only Store for pages, and a writable one only
 * when a triage write arrives; the caller's Store is never touched, so lockdepd's event loop and
 * the web server share nothing but the database file.
 *
 * Writes need the token in <dbdir>/web-token (created 0600 at first start when missing).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct LockdepAliases;
struct StrBuf;

#define WEB_DEFAULT_LISTEN "127.0.0.1:9465"

typedef struct WebConfig {
        const char *listen;     /* "ADDR:PORT", "[ADDR6]:PORT"; NULL = WEB_DEFAULT_LISTEN; port 0 = any */
        const char *db;         /* database path (required) */
        const char *token_path; /* NULL = <dirname(db)>/web-token */
        unsigned threads;       /* 0 = 2 */
        const struct LockdepAliases *aliases; /* for POST /api/v1/ingest; borrowed until web_stop(),
                                               * NULL = the parser's built-in table */
        /* GET /healthz: appends the sources' states as a JSON array, sets *ret_degraded when one of
         * them fails; called from the web server's threads. NULL: no sources (--web-only). */
        int (*health)(struct StrBuf *b, bool *ret_degraded, void *userdata);
        void *health_userdata;
        /* Host names the server answers to besides localhost and the listen address (DNS
         * rebinding: a request for any other name is refused with 421). Borrowed until web_start()
         * returns; names are copied. */
        const char *const *hosts;
        size_t n_hosts;
        /* POST /api/v1/ingest of a /proc/lockdep snapshot found n latent cycles of release for the
         * first time (committed); called from the writer thread. NULL: not announced. */
        void (*latent)(const char *release, unsigned n, void *userdata);
        void *latent_userdata;
} WebConfig;

typedef struct WebServer WebServer;

/* Starts serving; *ret owned by the caller, freed with web_stop(). -EINVAL bad listen address,
 * -EADDRINUSE, other negative errno. Logs the reason. */
int web_start(const WebConfig *c, WebServer **ret);
/* The bound port (useful with port 0). */
uint16_t web_port(const WebServer *w);
/* Stops the threads, closes their stores. Accepts NULL, returns NULL. */
WebServer *web_stop(WebServer *w);
