/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The NDJSON object of DESIGN.md section 5. Every string came from a kernel log and is untrusted:
 * control characters are escaped and invalid UTF-8 becomes U+FFFD, so the output is always valid
 * UTF-8 JSON whatever the input.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "parser-internal.h"

static int json_key(StrBuf *b, bool *first, const char *k) {
        int r = strbuf_puts(b, *first ? "\"" : ",\"");
        *first = false;
        if (r < 0 || strbuf_puts(b, k) < 0 || strbuf_puts(b, "\":") < 0)
                return -ENOMEM;
        return 0;
}

static int json_strv(StrBuf *b, char *const *v, size_t n) {
        if (strbuf_appendc(b, '[') < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if ((i && strbuf_appendc(b, ',') < 0) || json_append_str(b, v[i]) < 0)
                        return -ENOMEM;
        return strbuf_appendc(b, ']');
}

static int json_lock(StrBuf *b, const LockdepLock *l) {
        bool first = true;
        if (strbuf_appendc(b, '{') < 0)
                return -ENOMEM;
        if (json_key(b, &first, "class") < 0 || json_append_str(b, l->class) < 0 ||
            json_key(b, &first, "canonical") < 0 || json_append_str(b, l->canonical) < 0)
                return -ENOMEM;
        if (l->usage && (json_key(b, &first, "usage") < 0 || json_append_str(b, l->usage) < 0))
                return -ENOMEM;
        if (l->wait && (json_key(b, &first, "wait") < 0 || json_append_str(b, l->wait) < 0))
                return -ENOMEM;
        if (l->at && (json_key(b, &first, "at") < 0 || json_append_str(b, l->at) < 0))
                return -ENOMEM;
        if (l->fs && (json_key(b, &first, "fs") < 0 || json_append_str(b, l->fs) < 0))
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

static int opt_str(StrBuf *b, bool *first, const char *k, const char *v) {
        if (!v)
                return 0;
        return json_key(b, first, k) < 0 || json_append_str(b, v) < 0 ? -ENOMEM : 0;
}

int lockdep_report_to_json(const LockdepReport *r, char **ret) {
        StrBuf b = {};
        bool f = true;

#define CHECK(x)                    \
        do {                        \
                if ((x) < 0)        \
                        goto oom;   \
        } while (0)

        CHECK(strbuf_appendc(&b, '{'));
        CHECK(json_key(&b, &f, "kind"));
        CHECK(json_append_str(&b, lockdep_kind_to_string(r->kind)));
        CHECK(opt_str(&b, &f, "title", r->title));
        CHECK(opt_str(&b, &f, "kernel", r->kernel));
        CHECK(opt_str(&b, &f, "tainted", r->tainted));
        CHECK(opt_str(&b, &f, "task", r->task));
        if (r->pid >= 0) {
                CHECK(json_key(&b, &f, "pid"));
                CHECK(strbuf_printf(&b, "%d", r->pid));
        }
        CHECK(opt_str(&b, &f, "message", r->message));
        CHECK(opt_str(&b, &f, "usage_from", r->usage_from));
        CHECK(opt_str(&b, &f, "usage_to", r->usage_to));
        if (r->n_cycle > 0) {
                CHECK(json_key(&b, &f, "cycle"));
                CHECK(json_strv(&b, r->cycle, r->n_cycle));
                CHECK(json_key(&b, &f, "classes"));
                CHECK(json_strv(&b, r->classes, r->n_cycle));
        }
        if (r->acquiring) {
                CHECK(json_key(&b, &f, "acquiring"));
                CHECK(json_lock(&b, r->acquiring));
        }
        if (r->holding) {
                CHECK(json_key(&b, &f, "holding"));
                CHECK(json_lock(&b, r->holding));
        }
        if (r->n_chain > 0) {
                CHECK(json_key(&b, &f, "chain"));
                CHECK(strbuf_appendc(&b, '['));
                for (size_t i = 0; i < r->n_chain; i++) {
                        const LockdepChainEntry *c = &r->chain[i];
                        CHECK(strbuf_printf(&b, "%s{\"n\":%u,\"class\":", i ? "," : "", c->n));
                        CHECK(json_append_str(&b, c->lock.class));
                        CHECK(strbuf_puts(&b, ",\"canonical\":"));
                        CHECK(json_append_str(&b, c->lock.canonical));
                        if (c->lock.fs) {
                                CHECK(strbuf_puts(&b, ",\"fs\":"));
                                CHECK(json_append_str(&b, c->lock.fs));
                        }
                        CHECK(strbuf_puts(&b, ",\"stack\":"));
                        CHECK(json_strv(&b, c->stack, c->n_stack));
                        if (c->at) {
                                CHECK(strbuf_puts(&b, ",\"at\":"));
                                CHECK(json_append_str(&b, c->at));
                        }
                        CHECK(strbuf_appendc(&b, '}'));
                }
                CHECK(strbuf_appendc(&b, ']'));
        }
        if (r->n_edges > 0) {
                CHECK(json_key(&b, &f, "edges"));
                CHECK(strbuf_appendc(&b, '['));
                for (size_t i = 0; i < r->n_edges; i++) {
                        const LockdepEdge *e = &r->edges[i];
                        CHECK(strbuf_puts(&b, i ? ",{\"from\":" : "{\"from\":"));
                        CHECK(json_append_str(&b, e->from));
                        CHECK(strbuf_puts(&b, ",\"to\":"));
                        CHECK(json_append_str(&b, e->to));
                        if (e->at) {
                                CHECK(strbuf_puts(&b, ",\"at\":"));
                                CHECK(json_append_str(&b, e->at));
                        }
                        CHECK(strbuf_appendc(&b, '}'));
                }
                CHECK(strbuf_appendc(&b, ']'));
        }
        CHECK(json_key(&b, &f, "held_locks"));
        CHECK(strbuf_appendc(&b, '['));
        for (size_t i = 0; i < r->n_held; i++) {
                CHECK(strbuf_puts(&b, i ? "," : ""));
                CHECK(json_lock(&b, &r->held[i]));
        }
        CHECK(strbuf_appendc(&b, ']'));
        CHECK(json_key(&b, &f, "scenario"));
        CHECK(json_strv(&b, r->scenario, r->n_scenario));
        CHECK(json_key(&b, &f, "backtrace"));
        CHECK(json_strv(&b, r->backtrace, r->n_backtrace));
        CHECK(json_key(&b, &f, "signature"));
        CHECK(json_append_str(&b, r->signature));
        CHECK(json_key(&b, &f, "sig_version"));
        CHECK(strbuf_printf(&b, "%u", r->sig_version));
        CHECK(opt_str(&b, &f, "key", r->key));
        CHECK(opt_str(&b, &f, "func_title", r->func_title));
        if (r->has_ts) {
                CHECK(json_key(&b, &f, "ts"));
                CHECK(strbuf_printf(&b, "%llu.%06llu", (unsigned long long) (r->ts_usec / 1000000),
                                    (unsigned long long) (r->ts_usec % 1000000)));
        }
        if (r->has_time) {
                time_t sec = (time_t) (r->time_usec / 1000000);
                struct tm tm;
                char t[64];
                if (gmtime_r(&sec, &tm) && strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm) > 0) {
                        CHECK(json_key(&b, &f, "time"));
                        CHECK(strbuf_printf(&b, "\"%s.%06uZ\"", t, (unsigned) (r->time_usec % 1000000)));
                }
        }
        CHECK(opt_str(&b, &f, "host", r->host));
        CHECK(json_key(&b, &f, "truncated"));
        CHECK(strbuf_puts(&b, r->truncated ? "true" : "false"));
        CHECK(json_key(&b, &f, "degraded"));
        CHECK(strbuf_puts(&b, r->degraded ? "true" : "false"));
        CHECK(strbuf_printf(&b, ",\"first_line\":%u,\"last_line\":%u}", r->first_line, r->last_line));
#undef CHECK
        size_t len = b.len;
        *ret = strbuf_steal(&b);
        return *ret ? (int) MIN(len, (size_t) 0x7fffffff) : -ENOMEM;
oom:
        strbuf_done(&b);
        return -ENOMEM;
}
