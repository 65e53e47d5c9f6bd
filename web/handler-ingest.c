/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POST /api/v1/ingest: a raw console log or kmsg dump in the body (any rendering the parser reads),
 * metadata in the query string or in X-Lockdep-* headers: host (required), boot_id, kernel (for
 * reports that print none), run (the report's source becomes "ingest:RUN"). docs/API.md.
 * Content-Encoding: gzip (or x-gzip) and zstd bodies are decoded as they arrive (common/decompress.h),
 * up to INGEST_MAX_PLAIN bytes of text; any other encoding is refused with 415 before the body is
 * read, never parsed as if it were text.
 *
 * Invariants:
 *  - The body is never held whole: each chunk MHD reads goes to the parser on the writer thread
 *    (writer.c), and the reports it completes are committed before the connection is resumed. So
 *    no transaction stays open while the upload waits for a slow client, a database that is
 *    locked delays no reader, and memory per upload is the parser's bound (one report) plus one
 *    chunk, not the body size.
 *  - A retry stores nothing new: a report is keyed by (boot, dedup key), and without boot_id the
 *    boot is derived from the metadata alone ("run:RUN/RELEASE" with a run, else the store's
 *    one-boot-per-release "kernel:RELEASE"), never from the time of the request.
 *  - A body cut off or refused half-way (413 without Content-Length, a store error, the client
 *    gone) keeps the reports of the chunks before; sending it again completes it without
 *    duplicates. MHD cannot answer while a body arrives, so such errors are answered at its end.
 */
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decompress.h"
#include "host-name.h"
#include "ingest.h"
#include "lockdep.h"
#include "log.h"
#include "macro.h"
#include "web-internal.h"

#define META_MAX 255
#define DEPS_CONTENT_TYPE "text/x-proc-lockdep"
#define INGEST_MAX_PLAIN (1024ULL * 1024 * 1024) /* decoded text of one compressed body */

struct Upload {
        Store *store; /* the writer thread's writable store, opened by the first chunk */
        StrBuf chunk; /* the chunk handed to the writer thread */
        Decompressor *dec; /* Content-Encoding: gzip/zstd, else NULL */
        DecompressFormat enc;
        bool too_large;    /* decoded beyond INGEST_MAX_PLAIN */
        LockdepParser *parser;
        Ingest in;
        char *host, *boot_id, *kernel, *run, *source;
        char derived_boot[2 * META_MAX + 16];
        char *last_kernel; /* of the last report, for lockdep-off lines after it */
        bool in_tx;
        int error; /* a feed failed: the rest of the body is read and dropped */
        uint64_t bytes;
        int64_t *ids; /* every report of the body, stored now or before, in input order */
        size_t n_ids, n_ids_allocated;
        /* Content-Type: text/x-proc-lockdep: a /proc/lockdep snapshot instead of a log */
        LockdepDepParser *deps;
        DepIngest dep_ingest;
};

Upload *upload_free(Upload *u) {
        if (!u)
                return NULL;
        if (u->in_tx)
                store_rollback(u->store);
        lockdep_parser_free(u->parser);
        lockdep_deps_free(u->deps);
        dep_ingest_done(&u->dep_ingest);
        decompressor_free(u->dec);
        strbuf_done(&u->chunk);
        free(u->host);
        free(u->boot_id);
        free(u->kernel);
        free(u->run);
        free(u->source);
        free(u->last_kernel);
        free(u->ids);
        free(u);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(Upload *, upload_free);

/* Printable ASCII only: these (boot_id, kernel, run) become database keys and appear in every page. */
static bool meta_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > META_MAX)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char) *p < 0x20 || (unsigned char) *p > 0x7e)
                        return false;
        return true;
}

/* ?name=VALUE first, then the header; 1 and a copy in *ret, 0 absent, -EINVAL, -ENOMEM. */
static int meta_get(Request *r, const char *name, const char *header, char **ret) {
        const char *v = req_arg(r, name);
        if (!v || !*v)
                v = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, header);
        if (!v || !*v)
                return 0;
        /* the host has the rule of every entry point (host-name.h), checked by the caller */
        if (strcmp(name, "host") != 0 && !meta_valid(v))
                return -EINVAL;
        *ret = strdup(v);
        return *ret ? 1 : -ENOMEM;
}

static void upload_boot(Upload *u, const char *kernel) {
        if (u->boot_id || !u->run)
                return; /* given, or derived by the store from the release */
        snprintf(u->derived_boot, sizeof(u->derived_boot), "run:%s/%s", u->run,
                 kernel ?: "unknown");
        u->in.origin.boot_id = u->derived_boot;
}

static int upload_event(const LockdepEvent *ev, void *userdata) {
        Upload *u = userdata;
        LockdepEvent e = *ev;
        LockdepReport rep;
        int r;

        if (ev->type != LOCKDEP_EVENT_REPORT && ev->type != LOCKDEP_EVENT_LOCKDEP_OFF)
                return 0;
        if (!u->in_tx) {
                r = store_begin(u->store);
                if (r < 0)
                        return r;
                u->in_tx = true;
        }
        if (ev->type == LOCKDEP_EVENT_LOCKDEP_OFF) {
                upload_boot(u, u->last_kernel ?: u->kernel);
                return ingest_event(&e, &u->in);
        }
        if (!ev->report->kernel && u->kernel) {
                rep = *ev->report;
                rep.kernel = u->kernel;
                e.report = &rep;
        }
        if (e.report->kernel && (!u->last_kernel || strcmp(u->last_kernel, e.report->kernel))) {
                char *k = strdup(e.report->kernel);
                if (!k)
                        return -ENOMEM;
                free(u->last_kernel);
                u->last_kernel = k;
        }
        upload_boot(u, e.report->kernel);
        r = ingest_event(&e, &u->in);
        if (r < 0)
                return r;
        if (u->n_ids == u->n_ids_allocated) {
                size_t n = MAX(u->n_ids_allocated * 2, (size_t) 16);
                int64_t *ids = reallocarray(u->ids, n, sizeof(int64_t));
                if (!ids)
                        return -ENOMEM;
                u->ids = ids;
                u->n_ids_allocated = n;
        }
        u->ids[u->n_ids++] = store_last_report(u->store);
        return 0;
}

/* Ends the chunk's transaction: commits after success (q >= 0), else rolls back. */
static int upload_commit(Upload *u, int q) {
        if (!u->in_tx)
                return q;
        u->in_tx = false;
        if (q < 0) {
                store_rollback(u->store);
                return q;
        }
        return store_commit(u->store);
}

static MHD_Result_ upload_failed(Request *r, int q) {
        if (q == -ENOMEM)
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory, try again");
        if (!r->upload->store)
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "The database is not available");
        return reply_store_error(r, r->upload->store, q);
}

/* On the writer thread: the store, opened when the first chunk needs it. */
static int upload_store(Request *r) {
        Upload *u = r->upload;
        if (u->store)
                return 0;
        r->wrote = true;
        int q = web_store_get(r, true, &u->store);
        if (q < 0)
                return q;
        u->in.store = u->store;
        return 0;
}

/* The decoded text of a compressed body, to the parser. */
static int decoded(const void *buf, size_t n, void *userdata) {
        Upload *u = userdata;
        if (decompressor_bytes_out(u->dec) > INGEST_MAX_PLAIN) {
                u->too_large = true;
                return -EFBIG;
        }
        return u->deps ? lockdep_deps_feed(u->deps, buf, n) : lockdep_parser_feed(u->parser, buf, n);
}

/* Content-Type: text/x-proc-lockdep (parameters such as charset allowed): a snapshot. */
static bool is_snapshot(Request *r) {
        const char *v = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!v)
                return false;
        v += strspn(v, " \t");
        size_t n = strcspn(v, " \t;");
        return n == strlen(DEPS_CONTENT_TYPE) && !strncasecmp(v, DEPS_CONTENT_TYPE, n);
}

/* Content-Encoding: absent or identity (0), gzip/x-gzip/zstd (1 and *ret), anything else (-EINVAL). */
static int content_encoding(Request *r, DecompressFormat *ret) {
        const char *v = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING);
        if (!v)
                return 0;
        v += strspn(v, " \t");
        size_t n = strcspn(v, " \t");
        if (v[n + strspn(v + n, " \t")] != 0)
                return -EINVAL; /* one coding only */
        if (n == 0 || (n == 8 && !strncasecmp(v, "identity", 8)))
                return 0;
        if ((n == 4 && !strncasecmp(v, "gzip", 4)) || (n == 6 && !strncasecmp(v, "x-gzip", 6)))
                *ret = DECOMPRESS_GZIP;
        else if (n == 4 && !strncasecmp(v, "zstd", 4))
                *ret = DECOMPRESS_ZSTD;
        else
                return -EINVAL;
        return 1;
}

MHD_Result_ upload_start(Request *r) {
        _cleanup_(upload_freep) Upload *u = NULL;
        struct timespec ts;
        int q;

        if (r->bad_uri)
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "Bad percent-encoding in the URL");
        if (!web_origin_ok(r))
                return reply_error(r, MHD_HTTP_FORBIDDEN,
                                   "Cross-site requests cannot change anything");
        if (!web_token_ok(r))
                return reply_error(r, MHD_HTTP_UNAUTHORIZED,
                                   "A valid token is required (Authorization: Bearer TOKEN)");
        DecompressFormat enc = DECOMPRESS_NONE;
        if (content_encoding(r, &enc) < 0)
                return reply_error(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                                   "Content-Encoding: only gzip, zstd or none (identity)");
        u = calloc(1, sizeof(Upload));
        if (!u)
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");
        static const char *const names[] = { "host", "boot_id", "kernel", "run" };
        static const char *const headers[] = { "X-Lockdep-Host", "X-Lockdep-Boot-Id",
                                               "X-Lockdep-Kernel", "X-Lockdep-Run" };
        char **values[] = { &u->host, &u->boot_id, &u->kernel, &u->run };
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                q = meta_get(r, names[i], headers[i], values[i]);
                if (q == -ENOMEM)
                        return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");
                if (q < 0)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST,
                                           "%s: expected 1 to %u printable ASCII characters",
                                           names[i], META_MAX);
        }
        if (!u->host)
                return reply_error(r, MHD_HTTP_BAD_REQUEST,
                                   "host is required (?host=NAME or X-Lockdep-Host: NAME)");
        if (host_name_check(u->host))
                return reply_error(r, MHD_HTTP_BAD_REQUEST,
                                   "host: the name %s; give 1 to %d bytes of UTF-8 without control, bidi or "
                                   "invisible format characters or backslashes", host_name_check(u->host),
                                   HOST_NAME_LEN_MAX);
        if (u->run ? asprintf(&u->source, "ingest:%s", u->run) < 0
                   : !(u->source = strdup("ingest")))
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");

        if (is_snapshot(r)) {
                if (!u->kernel || !u->boot_id)
                        return reply_error(r, MHD_HTTP_BAD_REQUEST, "A /proc/lockdep snapshot needs kernel and boot_id "
                                           "(?kernel=RELEASE&boot_id=ID or X-Lockdep-Kernel/X-Lockdep-Boot-Id)");
                LockdepDepOptions o = { .callback = ingest_dep, .userdata = &u->dep_ingest, .aliases = r->w->aliases };
                q = lockdep_deps_new(&o, &u->deps);
        } else {
                LockdepOptions o = { .callback = upload_event, .userdata = u, .aliases = r->w->aliases };
                q = lockdep_parser_new(&o, &u->parser);
        }
        u->enc = enc;
        if (q >= 0 && enc != DECOMPRESS_NONE)
                q = decompressor_new(enc, decoded, u, &u->dec);
        if (q < 0)
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Cannot start the parser: %s",
                                   strerror(-q));
        clock_gettime(CLOCK_REALTIME, &ts);
        u->in = (Ingest) {
                .origin = {
                        .hostname = u->host,
                        .boot_id = u->boot_id,
                        .source = u->source,
                        .realtime = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000,
                },
        };
        r->upload = TAKE_PTR(u);
        return MHD_YES;
}

/* On the writer thread, one chunk. MHD cannot queue a reply while a body is arriving: errors are
 * answered at its end. */
static void feed_job(Request *r) {
        Upload *u = r->upload;
        int q = upload_store(r);
        if (q >= 0)
                q = upload_commit(u, u->dec    ? decompressor_feed(u->dec, u->chunk.s, u->chunk.len)
                                     : u->deps ? lockdep_deps_feed(u->deps, u->chunk.s, u->chunk.len)
                                               : lockdep_parser_feed(u->parser, u->chunk.s, u->chunk.len));
        u->error = MIN(q, 0);
        strbuf_truncate(&u->chunk, 0);
}

MHD_Result_ upload_feed(Request *r, const char *data, size_t n) {
        Upload *u = r->upload;
        u->bytes += n;
        if (u->bytes > WEB_MAX_INGEST)
                r->body_too_large = true; /* server.c answers 413 */
        if (r->body_too_large || u->error < 0)
                return MHD_YES;
        /* MHD's buffer is only ours during this call */
        if (strbuf_append(&u->chunk, data, n) < 0) {
                u->error = -ENOMEM;
                return MHD_YES;
        }
        web_defer(r, feed_job);
        return MHD_YES;
}

/* The end of a snapshot's body: stored in one transaction, the release's latent cycles recomputed.
 * A snapshot is one boot's graph: nothing is stored before the whole of it arrived. */
static MHD_Result_ snapshot_done(Request *r, int q) {
        Upload *u = r->upload;
        LockdepDepStats st = {};
        unsigned n_new = 0, n_cycles = 0;
        char *js = NULL;

        if (q >= 0)
                q = lockdep_deps_finish(u->deps, &st);
        if (u->too_large)
                return reply_error(r, HTTP_TOO_LARGE, "The decoded body is larger than %llu bytes",
                                   (unsigned long long) INGEST_MAX_PLAIN);
        if (u->dec && (q == -EBADMSG || q == -EPIPE))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "The %s body %s; nothing stored",
                                   decompress_format_to_string(u->enc), q == -EPIPE ? "ends early (cut off?)" : "is corrupt");
        if (q < 0)
                return upload_failed(r, q);
        const char *why = ingest_deps_refusal(&st, u->kernel, u->boot_id, NULL);
        if (why)
                return reply_error(r, 422 /* Unprocessable Content (renamed in MHD) */, "%s", why);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        StoreDepOrigin o = {
                .release = u->kernel,
                .boot_id = u->boot_id,
                .host = u->host,
                .taken_usec = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000,
                .truncated = st.truncated || st.bad_lines > 0,
        };
        q = ingest_deps_store(u->store, &o, &u->dep_ingest, &n_new, &n_cycles);
        if (q < 0)
                return upload_failed(r, q);
        if (n_cycles > 0 && r->w->latent)
                r->w->latent(u->kernel, n_cycles, r->w->latent_userdata);
        if (asprintf(&js, "{\"dependencies\":%u,\"new\":%u,\"new_latent_cycles\":%u,\"truncated\":%s,"
                          "\"bad_lines\":%u}",
                     st.deps, n_new, n_cycles, st.truncated ? "true" : "false", st.bad_lines) < 0)
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");
        return reply_json(r, n_new > 0 ? MHD_HTTP_CREATED : MHD_HTTP_OK, js);
}

MHD_Result_ handle_ingest(Request *r) {
        Upload *u = r->upload;
        StrBuf b = {};

        if (!u)
                return reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "No upload state");
        if (u->deps) {
                int q0 = u->error ?: upload_store(r);
                if (q0 >= 0 && u->dec)
                        q0 = decompressor_finish(u->dec);
                return snapshot_done(r, q0);
        }
        int q = u->error ?: upload_store(r);
        if (q >= 0 && u->dec)
                q = upload_commit(u, decompressor_finish(u->dec));
        if (q >= 0)
                q = upload_commit(u, lockdep_parser_finish(u->parser));
        /* the reports of the chunks before are committed: sending the body again adds the rest */
        if (u->too_large)
                return reply_error(r, HTTP_TOO_LARGE, "The decoded body is larger than %llu bytes",
                                   (unsigned long long) INGEST_MAX_PLAIN);
        if (u->dec && (q == -EBADMSG || q == -EPIPE))
                return reply_error(r, MHD_HTTP_BAD_REQUEST, "The %s body %s; the reports before that are stored",
                                   decompress_format_to_string(u->enc),
                                   q == -EPIPE ? "ends early (cut off?)" : "is corrupt");
        if (q < 0)
                return upload_failed(r, q);
        if (u->in.n_stored > 0) {
                /* the reports are safe; a busy index catches up with the next write */
                q = store_index_text(u->store, 0);
                if (q < 0)
                        log_debug("web: ingest: search index not updated: %s",
                                  store_error(u->store));
        }
        q = strbuf_printf(&b, "{\"stored\":%u,\"duplicates\":%u,\"new_groups\":%u,\"reports\":[",
                          u->in.n_stored, u->in.n_duplicate, u->in.n_new_groups);
        for (size_t i = 0; q >= 0 && i < u->n_ids; i++)
                q = strbuf_printf(&b, "%s%lld", i ? "," : "", (long long) u->ids[i]);
        if (q >= 0)
                q = strbuf_puts(&b, "]}");
        if (q < 0) {
                strbuf_done(&b);
                return reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "Out of memory");
        }
        log_debug("web: ingest from %s: %llu bytes, %u stored, %u duplicates", u->host,
                  (unsigned long long) u->bytes, u->in.n_stored, u->in.n_duplicate);
        return reply_json(r, u->in.n_stored > 0 ? MHD_HTTP_CREATED : MHD_HTTP_OK, strbuf_steal(&b));
}
