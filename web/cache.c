/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread response cache. Each MHD worker thread keeps up to CACHE_ENTRIES finished
 * MHD_Responses (body, content type and security headers, as reply() built them) for GET and HEAD
 * requests, keyed by the raw request target. MHD responses are reference counted and may be queued
 * on any number of connections, so a hit queues the same object again: no query, no copy.
 *
 * An entry is valid while
 *   - the thread's read-only store reports the same PRAGMA data_version (it changes whenever
 *     another connection commits: lockdepd, lockdepctl, or this server's writable connections),
 *   - the server's write generation is unchanged (bumped by every write through this server,
 *     before its answer is sent, so a client sees its own write on the next request), and
 *   - for at most CACHE_TTL_USEC, for fields that depend on the clock ("last 90 days").
 * Not cached: requests with an Authorization header or a token argument, routes that opt out
 * (/metrics, /healthz, /static/), any answer other than 200, and answers over CACHE_MAX_ENTRY.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fnv.h"
#include "web-internal.h"

#define CACHE_ENTRIES 64
#define CACHE_BYTES (8u * 1024 * 1024)      /* bodies per thread */
#define CACHE_MAX_ENTRY (1u * 1024 * 1024)
#define CACHE_TTL_USEC (2ULL * 1000000ULL)

typedef struct CacheEntry {
        char *key;                  /* NULL: free slot */
        uint64_t hash;
        struct MHD_Response *resp;  /* one reference, ours */
        size_t len;
        uint64_t version, generation, expires, used;
} CacheEntry;

struct WebCache {
        CacheEntry e[CACHE_ENTRIES];
        size_t bytes;
        uint64_t tick;
};

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}


static void entry_drop(WebCache *c, CacheEntry *e) {
        if (!e->key)
                return;
        MHD_destroy_response(e->resp);
        free(e->key);
        c->bytes -= e->len;
        *e = (CacheEntry) {};
}

WebCache *cache_new(void) {
        return calloc(1, sizeof(WebCache));
}

void cache_free(WebCache *c) {
        if (!c)
                return;
        for (size_t i = 0; i < CACHE_ENTRIES; i++)
                entry_drop(c, &c->e[i]);
        free(c);
}

static CacheEntry *find(WebCache *c, const char *key, uint64_t h) {
        for (size_t i = 0; i < CACHE_ENTRIES; i++)
                if (c->e[i].key && c->e[i].hash == h && !strcmp(c->e[i].key, key))
                        return &c->e[i];
        return NULL;
}

bool cache_lookup(Request *r, MHD_Result_ *ret) {
        r->cache_miss = false;
        if (!(r->method & (METHOD_GET | METHOD_HEAD)) || !r->target ||
            MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION) ||
            req_arg(r, "token"))
                return false;
        /* The data version is read before the handler runs: a commit racing with it leaves the
         * entry with the older version, so the next lookup misses. Until this thread has opened
         * its store, there is no version to compare with: no caching. */
        Store *s = web_store_opened(r);
        WebCache *c = web_cache(r);
        uint64_t version;
        if (!s || !c || store_data_version(s, &version) < 0)
                return false;
        uint64_t generation = atomic_load(&r->w->write_generation), h = fnv1a64_str(r->target);

        CacheEntry *e = find(c, r->target, h);
        if (e && e->version == version && e->generation == generation && now_usec() < e->expires) {
                e->used = ++c->tick;
                r->dispatched = true;
                atomic_fetch_add(&r->w->n_cache_hits, 1);
                *ret = MHD_queue_response(r->c, MHD_HTTP_OK, e->resp);
                return true;
        }
        if (e)
                entry_drop(c, e);
        r->cache_miss = true;
        r->cache_version = version;
        r->cache_generation = generation;
        return false;
}

bool cache_put(Request *r, struct MHD_Response *resp, size_t len) {
        if (!r->cache_miss)
                return false;
        r->cache_miss = false;
        WebCache *c = web_cache(r);
        if (!c || len > CACHE_MAX_ENTRY || r->wrote ||
            atomic_load(&r->w->write_generation) != r->cache_generation)
                return false;
        uint64_t h = fnv1a64_str(r->target);
        CacheEntry *e = find(c, r->target, h);
        if (e)
                entry_drop(c, e);
        /* evict least recently used entries until the body fits and a slot is free */
        for (;;) {
                CacheEntry *lru = NULL;
                e = NULL;
                for (size_t i = 0; i < CACHE_ENTRIES; i++) {
                        if (!c->e[i].key)
                                e = e ?: &c->e[i];
                        else if (!lru || c->e[i].used < lru->used)
                                lru = &c->e[i];
                }
                if (e && c->bytes + len <= CACHE_BYTES)
                        break;
                if (!lru)
                        return false;
                entry_drop(c, lru);
        }
        char *key = strdup(r->target);
        if (!key)
                return false;
        *e = (CacheEntry) {
                .key = key,
                .hash = h,
                .resp = resp,
                .len = len,
                .version = r->cache_version,
                .generation = r->cache_generation,
                .expires = now_usec() + CACHE_TTL_USEC,
                .used = ++c->tick,
        };
        c->bytes += len;
        return true;
}
