/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * fuzz-parser: libFuzzer target for parser/ (lockdep.h), also run by fuzz-main.c over the corpus.
 *
 * Each input is parsed three times:
 *
 *  1. fed in one piece to lockdep_parser_feed(), then lockdep_parser_finish();
 *  2. fed to lockdep_parser_feed() in chunks whose sizes come from the first (up to) 16 bytes of the
 *     input (the input itself is fed whole: those bytes are both schedule and data), so that chunk
 *     boundaries land inside CRLFs, UTF-8 sequences, prefixes and escapes;
 *  3. split at '\n' and fed as records to lockdep_parser_feed_record(), with timestamps, caller ids,
 *     idle flushes (lockdep_parser_flush_idle(), lockdep_parser_flush_stale()) and optional \xNN unescaping also chosen by the
 *     schedule bytes.
 *
 * For every event the callback touches every field (so ASan sees any bad pointer or length) and
 * checks the invariants of lockdep.h and DESIGN.md section 5; each report is serialized with
 * lockdep_report_to_json() and the result is validated as a one-line JSON object. Passes 1 and 2
 * must produce the same event stream ("the result is the same as feeding it in one piece").
 * first_pos must point at the start of the title's line (byte feeds) or be the pos of the title's
 * record, and lockdep_parser_resume_pos() is checked after every feed call.
 * A violated invariant prints what was violated to stderr and calls abort().
 *
 * The schedule also picks, for about one input in eight, tiny parser limits (so the truncation
 * paths run on small inputs), and for one in sixteen a callback that returns -ECANCELED after
 * a few events (the feed must then return exactly that value).
 *
 * Environment (replay/debug only, to get past a known violation): LOCKDEP_FUZZ_NO_DIFF=1 skips the
 * pass 1 vs pass 2 comparison, LOCKDEP_FUZZ_NO_POS=1 the first_pos and resume position checks;
 * LOCKDEP_FUZZ_VERBOSE=1 prints every JSON object to stderr.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SCHED_MAX 16
#define CANCEL_AFTER 3
/* pos of the record with 1-based number n in the records pass */
#define RECORD_POS(n) ((uint64_t) (n) * 10 + 7)

typedef struct Sched {
        uint8_t b[SCHED_MAX];
        size_t n;
} Sched;

/* Growable byte buffer for the event digest of a pass. */
typedef struct Digest {
        char *p;
        size_t len, size;
} Digest;

typedef struct Ctx {
        const char *pass;     /* for messages */
        const uint8_t *data;  /* the input, for byte feeds; NULL for records */
        size_t size;
        unsigned max_line_no; /* largest valid line/record number */
        unsigned n_events;
        unsigned cancel_after; /* 0 = never cancel */
        bool cancelled;
        bool verbose;
        bool check_pos;
        Digest *digest;       /* NULL = do not record */
} Ctx;

static void die(const Ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(const Ctx *c, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "fuzz-parser: invariant violated (%s pass, event %u): ",
                c ? c->pass : "?", c ? c->n_events : 0);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        abort();
}

static void digest_add(Digest *d, const void *p, size_t n) {
        if (!d)
                return;
        if (d->len + n + 1 > d->size) {
                size_t s = d->size ? d->size : 4096;
                char *q;

                while (s < d->len + n + 1)
                        s *= 2;
                q = realloc(d->p, s);
                if (!q)
                        abort(); /* the harness itself ran out of memory */
                d->p = q;
                d->size = s;
        }
        memcpy(d->p + d->len, p, n);
        d->len += n;
        d->p[d->len] = 0;
}

static void digest_printf(Digest *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void digest_printf(Digest *d, const char *fmt, ...) {
        char buf[256];
        va_list ap;
        int k;

        if (!d)
                return;
        va_start(ap, fmt);
        k = vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (k < 0)
                abort();
        digest_add(d, buf, (size_t) k < sizeof buf ? (size_t) k : sizeof buf - 1);
}

/* Reads every byte of a string; the sum is returned so the compiler cannot drop the loop. */
static size_t touch_str(const Ctx *c, const char *what, const char *s, bool may_be_null) {
        size_t sum = 0;

        if (!s) {
                if (!may_be_null)
                        die(c, "%s is NULL", what);
                return 0;
        }
        for (const char *p = s; *p; p++)
                sum += (unsigned char) *p;
        return sum;
}

static size_t touch_strv(const Ctx *c, const char *what, char **v, size_t n) {
        size_t sum = 0;

        if (n > 0 && !v)
                die(c, "%s is NULL with %zu entries", what, n);
        for (size_t i = 0; i < n; i++)
                sum += touch_str(c, what, v[i], false);
        return sum;
}

static size_t touch_lock(const Ctx *c, const char *what, const LockdepLock *l) {
        size_t sum = 0;

        sum += touch_str(c, what, l->class, false);
        sum += touch_str(c, what, l->canonical, false);
        sum += touch_str(c, what, l->usage, true);
        sum += touch_str(c, what, l->wait, true);
        sum += touch_str(c, what, l->at, true);
        return sum;
}

/* ---- a small strict JSON validator (RFC 8259 syntax; UTF-8 validity is not checked) ---- */

typedef struct Json {
        const char *p, *end;
        unsigned depth;
} Json;

static bool json_value(Json *j);

static void json_ws(Json *j) {
        while (j->p < j->end && (*j->p == ' ' || *j->p == '\t'))
                j->p++;
}

static bool json_string(Json *j) {
        if (j->p >= j->end || *j->p != '"')
                return false;
        j->p++;
        while (j->p < j->end) {
                unsigned char ch = (unsigned char) *j->p++;

                if (ch == '"')
                        return true;
                if (ch < 0x20)
                        return false; /* raw control character */
                if (ch != '\\')
                        continue;
                if (j->p >= j->end)
                        return false;
                ch = (unsigned char) *j->p++;
                if (ch == 'u') {
                        for (int i = 0; i < 4; i++, j->p++)
                                if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p)
                                        return false;
                } else if (!strchr("\"\\/bfnrt", ch) || !ch)
                        return false;
        }
        return false;
}

static bool json_digits(Json *j) {
        const char *s = j->p;

        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
                j->p++;
        return j->p > s;
}

static bool json_number(Json *j) {
        if (j->p < j->end && *j->p == '-')
                j->p++;
        if (j->p < j->end && *j->p == '0')
                j->p++;
        else if (!json_digits(j))
                return false;
        if (j->p < j->end && *j->p == '.') {
                j->p++;
                if (!json_digits(j))
                        return false;
        }
        if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
                j->p++;
                if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
                        j->p++;
                if (!json_digits(j))
                        return false;
        }
        return true;
}

static bool json_literal(Json *j, const char *lit) {
        size_t n = strlen(lit);

        if ((size_t) (j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
                return false;
        j->p += n;
        return true;
}

static bool json_container(Json *j, char open, char close) {
        bool first = true;

        if (++j->depth > 64)
                return false;
        j->p++; /* open */
        for (;;) {
                json_ws(j);
                if (j->p >= j->end)
                        return false;
                if (*j->p == close) {
                        j->p++;
                        j->depth--;
                        return true;
                }
                if (!first) {
                        if (*j->p != ',')
                                return false;
                        j->p++;
                        json_ws(j);
                }
                first = false;
                if (open == '{') {
                        if (!json_string(j))
                                return false;
                        json_ws(j);
                        if (j->p >= j->end || *j->p != ':')
                                return false;
                        j->p++;
                        json_ws(j);
                }
                if (!json_value(j))
                        return false;
        }
}

static bool json_value(Json *j) {
        if (j->p >= j->end)
                return false;
        switch (*j->p) {
        case '{':
                return json_container(j, '{', '}');
        case '[':
                return json_container(j, '[', ']');
        case '"':
                return json_string(j);
        case 't':
                return json_literal(j, "true");
        case 'f':
                return json_literal(j, "false");
        case 'n':
                return json_literal(j, "null");
        default:
                return json_number(j);
        }
}

static void check_json(const Ctx *c, const LockdepReport *r) {
        char *json = NULL;
        const char *kind;
        char needle[64];
        size_t len;
        Json j;
        int k;

        k = lockdep_report_to_json(r, &json);
        if (k == -ENOMEM)
                return; /* allowed by the contract (libFuzzer's -malloc_limit_mb) */
        if (k < 0)
                die(c, "lockdep_report_to_json() returned %d", k);
        if (!json)
                die(c, "lockdep_report_to_json() returned %d but no string", k);
        len = strlen(json);
        if ((size_t) k != len)
                die(c, "lockdep_report_to_json() returned %d, strlen() is %zu", k, len);
        if (c->verbose)
                fprintf(stderr, "%s: %s\n", c->pass, json);
        if (len < 2 || json[0] != '{' || json[len - 1] != '}')
                die(c, "JSON does not look like an object: %.200s", json);
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) json[i] < 0x20)
                        die(c, "raw control character 0x%02x at offset %zu of JSON: %.200s",
                            (unsigned char) json[i], i, json);
        j = (Json) { .p = json, .end = json + len };
        if (!json_value(&j) || j.p != j.end)
                die(c, "invalid JSON at offset %zu: %.200s", (size_t) (j.p - json), json);

        kind = lockdep_kind_to_string(r->kind);
        snprintf(needle, sizeof needle, "\"kind\":\"%s\"", kind);
        if (!strstr(json, needle))
                die(c, "JSON lacks %s: %.200s", needle, json);

        digest_add(c->digest, json, len);
        digest_add(c->digest, "\n", 1);
        free(json);
}

static void check_report(Ctx *c, const LockdepReport *r) {
        volatile size_t sum = 0;
        const char *kind;

        if (r->kind < 0 || r->kind >= _LOCKDEP_KIND_MAX)
                die(c, "report kind %d out of range", (int) r->kind);
        kind = lockdep_kind_to_string(r->kind);
        if (!kind)
                die(c, "lockdep_kind_to_string(%d) is NULL", (int) r->kind);
        if (lockdep_kind_from_string(kind) != r->kind)
                die(c, "lockdep_kind_from_string(\"%s\") != %d", kind, (int) r->kind);

        sum += touch_str(c, "title", r->title, false);
        sum += touch_str(c, "kernel", r->kernel, true);
        sum += touch_str(c, "tainted", r->tainted, true);
        sum += touch_str(c, "task", r->task, true);
        sum += touch_str(c, "message", r->message, true);
        sum += touch_str(c, "usage_from", r->usage_from, true);
        sum += touch_str(c, "usage_to", r->usage_to, true);
        if (r->pid < -1)
                die(c, "pid %d", r->pid);

        if (r->acquiring)
                sum += touch_lock(c, "acquiring", r->acquiring);
        if (r->holding)
                sum += touch_lock(c, "holding", r->holding);

        sum += touch_strv(c, "cycle", r->cycle, r->n_cycle);
        sum += touch_strv(c, "classes", r->classes, r->n_cycle);

        if (r->n_chain > 0 && !r->chain)
                die(c, "chain is NULL with %zu entries", r->n_chain);
        for (size_t i = 0; i < r->n_chain; i++) {
                const LockdepChainEntry *e = &r->chain[i];

                sum += e->n;
                sum += touch_lock(c, "chain lock", &e->lock);
                sum += touch_strv(c, "chain stack", e->stack, e->n_stack);
        }
        if (r->n_held > 0 && !r->held)
                die(c, "held is NULL with %zu entries", r->n_held);
        for (size_t i = 0; i < r->n_held; i++)
                sum += touch_lock(c, "held lock", &r->held[i]);
        sum += touch_strv(c, "scenario", r->scenario, r->n_scenario);
        sum += touch_strv(c, "backtrace", r->backtrace, r->n_backtrace);

        if (strnlen(r->signature, sizeof r->signature) != 16)
                die(c, "signature is not 16 characters: \"%.17s\"", r->signature);
        for (size_t i = 0; i < 16; i++)
                if (!strchr("0123456789abcdef", r->signature[i]))
                        die(c, "signature is not lower-case hex: \"%.16s\"", r->signature);
        if (r->sig_version != LOCKDEP_SIG_VERSION)
                die(c, "sig_version %u", r->sig_version);
        sum += touch_str(c, "key", r->key, true);
        sum += touch_str(c, "func_title", r->func_title, true);
        sum += r->truncated + r->has_ts + r->ts_usec;

        if (r->first_line < 1)
                die(c, "first_line %u < 1", r->first_line);
        if (r->first_line > r->last_line)
                die(c, "first_line %u > last_line %u", r->first_line, r->last_line);
        if (r->last_line > c->max_line_no)
                die(c, "last_line %u beyond the input (%u lines/records)", r->last_line, c->max_line_no);
        if (!c->check_pos)
                ;
        else if (c->data) {
                /* byte feed: the offset of the start of line first_line */
                size_t nl = 0;

                if (r->first_pos >= c->size)
                        die(c, "first_pos %llu beyond the input (%zu bytes)",
                            (unsigned long long) r->first_pos, c->size);
                if (r->first_pos > 0 && c->data[r->first_pos - 1] != '\n')
                        die(c, "first_pos %llu is not at the start of a line",
                            (unsigned long long) r->first_pos);
                for (size_t i = 0; i < r->first_pos; i++)
                        nl += c->data[i] == '\n';
                if (nl + 1 != r->first_line)
                        die(c, "first_pos %llu is on line %zu, first_line is %u",
                            (unsigned long long) r->first_pos, nl + 1, r->first_line);
        } else if (r->first_pos != RECORD_POS(r->first_line))
                die(c, "first_pos %llu is not the pos of record %u (%llu)",
                    (unsigned long long) r->first_pos, r->first_line,
                    (unsigned long long) RECORD_POS(r->first_line));

        if (r->text_len > 0 && !r->text)
                die(c, "text is NULL with text_len %zu", r->text_len);
        for (size_t i = 0; i < r->text_len; i++)
                sum += (unsigned char) r->text[i];

        (void) sum;
        if (c->check_pos)
                digest_printf(c->digest, "first_pos %llu\n", (unsigned long long) r->first_pos);
        check_json(c, r);
}

static int on_event(const LockdepEvent *ev, void *userdata) {
        Ctx *c = userdata;

        if (c->cancelled)
                die(c, "callback called again after it returned -ECANCELED");
        c->n_events++;
        if (!ev)
                die(c, "event is NULL");
        if (ev->type < 0 || ev->type >= _LOCKDEP_EVENT_MAX)
                die(c, "event type %d out of range", (int) ev->type);
        if (ev->line > c->max_line_no)
                die(c, "event line %u beyond the input (%u lines/records)", ev->line, c->max_line_no);
        (void) touch_str(c, "event text", ev->text, ev->type == LOCKDEP_EVENT_REPORT);

        digest_printf(c->digest, "event %d line %u ts %d/%llu\n", (int) ev->type, ev->line,
                      (int) ev->has_ts, (unsigned long long) ev->ts_usec);
        if (ev->text && ev->type != LOCKDEP_EVENT_REPORT) {
                digest_add(c->digest, ev->text, strlen(ev->text));
                digest_add(c->digest, "\n", 1);
        }

        if (ev->type == LOCKDEP_EVENT_REPORT) {
                if (!ev->report)
                        die(c, "report event without report");
                check_report(c, ev->report);
        }

        if (c->cancel_after > 0 && c->n_events >= c->cancel_after) {
                c->cancelled = true;
                return -ECANCELED;
        }
        return 0;
}

/* Checks the return value of a feed/finish call. Returns true when the pass should stop. */
static bool check_ret(Ctx *c, const char *call, int r) {
        if (r == -ENOMEM)
                return true;
        if (c->cancelled) {
                if (r != -ECANCELED)
                        die(c, "%s returned %d after the callback returned -ECANCELED", call, r);
                return true;
        }
        if (r < 0)
                die(c, "%s failed: %d (%s)", call, r, strerror(-r));
        return false;
}

/* After a feed of the bytes [0, fed): the resume position is the start of the open report, or the
 * start of the unterminated last line; it never moves backwards. */
static void check_resume_feed(Ctx *c, LockdepParser *p, size_t fed, uint64_t *last) {
        uint64_t pos = UINT64_MAX;
        size_t line_start = fed;
        int r;

        if (!c->check_pos)
                return;
        while (line_start > 0 && c->data[line_start - 1] != '\n')
                line_start--;
        r = lockdep_parser_resume_pos(p, &pos);
        if (r != 0 && r != 1)
                die(c, "lockdep_parser_resume_pos() returned %d", r);
        if (r == 0 && pos != line_start)
                die(c, "no report open after %zu bytes, but the resume position is %llu, not %zu",
                    fed, (unsigned long long) pos, line_start);
        if (r == 1 && (pos > line_start || (pos > 0 && c->data[pos - 1] != '\n')))
                die(c, "report open after %zu bytes, resume position %llu is not the start of a "
                    "complete line", fed, (unsigned long long) pos);
        if (pos < *last)
                die(c, "resume position went backwards: %llu after %llu",
                    (unsigned long long) pos, (unsigned long long) *last);
        *last = pos;
}

static void options_init(LockdepOptions *o, const Sched *s, Ctx *c) {
        uint8_t x = 0;

        for (size_t i = 0; i < s->n; i++)
                x ^= s->b[i];
        *o = (LockdepOptions) {
                .callback = on_event,
                .userdata = c,
        };
        if ((x & 7) == 0) {
                o->max_report_lines = 1 + (x >> 3) % 40;
                o->max_report_bytes = 64 + (size_t) (x >> 3) * 37;
                o->max_line = 16 + (x >> 3) * 5;
        }
}

static unsigned count_lines(const uint8_t *data, size_t size) {
        size_t n = 1;

        for (const uint8_t *p = data, *e = data + size; (p = memchr(p, '\n', e - p)); p++)
                n++;
        return n > UINT32_MAX ? UINT32_MAX : (unsigned) n;
}

static size_t chunk_size(const Sched *s, size_t i) {
        uint8_t b = s->n ? s->b[i % s->n] : 0;

        /* mostly small chunks (1..32 bytes), sometimes big ones (257..16448) */
        if (b < 0xc0)
                return (b & 0x1f) + 1;
        return ((size_t) (b & 0x3f) + 1) * 257;
}

static LockdepParser *parser_new(Ctx *c, const Sched *s) {
        LockdepParser *p = NULL;
        LockdepOptions o;
        int r;

        options_init(&o, s, c);
        r = lockdep_parser_new(&o, &p);
        if (r == -ENOMEM)
                return NULL;
        if (r < 0 || !p)
                die(c, "lockdep_parser_new() failed: %d", r);
        return p;
}

/* Pass 1 (chunked = false) and pass 2 (chunked = true). */
static void run_feed(Ctx *c, const Sched *s, const uint8_t *data, size_t size, bool chunked) {
        uint64_t last_resume = 0;
        LockdepParser *p;
        int r;

        p = parser_new(c, s);
        if (!p)
                return;
        if (!chunked) {
                r = lockdep_parser_feed(p, data, size);
                if (check_ret(c, "lockdep_parser_feed()", r))
                        goto out;
                check_resume_feed(c, p, size, &last_resume);
        } else {
                for (size_t off = 0, i = 0; off < size; i++) {
                        size_t n = chunk_size(s, i);

                        if (n > size - off)
                                n = size - off;
                        r = lockdep_parser_feed(p, data + off, n);
                        if (check_ret(c, "lockdep_parser_feed()", r))
                                goto out;
                        off += n;
                        check_resume_feed(c, p, off, &last_resume);
                }
                /* an empty feed must be harmless */
                r = lockdep_parser_feed(p, data, 0);
                if (check_ret(c, "lockdep_parser_feed(n = 0)", r))
                        goto out;
        }
        r = lockdep_parser_finish(p);
        if (check_ret(c, "lockdep_parser_finish()", r))
                goto out;
        if (c->cancel_after > 0 && c->n_events >= c->cancel_after)
                die(c, "the callback cancelled but the parser did not stop");
out:
        lockdep_parser_free(p);
}

static int hexval(uint8_t ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'a' && ch <= 'f')
                return ch - 'a' + 10;
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1;
}

/* Undoes kmsg-style \xNN escapes into buf (which has room for n bytes); returns the new length. */
static size_t unescape(uint8_t *buf, const uint8_t *s, size_t n) {
        size_t k = 0;

        for (size_t i = 0; i < n; i++) {
                if (s[i] == '\\' && i + 3 < n && s[i + 1] == 'x' && hexval(s[i + 2]) >= 0 &&
                    hexval(s[i + 3]) >= 0) {
                        buf[k++] = (uint8_t) (hexval(s[i + 2]) << 4 | hexval(s[i + 3]));
                        i += 3;
                } else
                        buf[k++] = s[i];
        }
        return k;
}

/* Pass 3: one record per line. */
static void run_records(Ctx *c, const Sched *s, const uint8_t *data, size_t size) {
        uint8_t flags = s->n ? s->b[0] : 0;
        bool do_unescape = flags & 0x10;
        LockdepParser *p;
        uint8_t *buf = NULL;
        uint64_t ts = 0;
        size_t i = 0;
        int r;

        p = parser_new(c, s);
        if (!p)
                return;
        if (do_unescape) {
                buf = malloc(size + 1);
                if (!buf)
                        goto out;
        }
        /* an empty input is one empty record */
        for (const uint8_t *q = data, *e = data + size; q < e || i == 0; i++) {
                const uint8_t *nl = memchr(q, '\n', e - q);
                size_t n = nl ? (size_t) (nl - q) : (size_t) (e - q);
                uint8_t b = s->n ? s->b[i % s->n] : 0;
                LockdepRecord rec = {
                        .text = (const char *) q,
                        .len = n,
                        .has_ts = !(b & 1),
                        .caller_kind = "\0TCT"[(b >> 1) & 3],
                        .caller_id = (b >> 3) & 3,
                        .pos = RECORD_POS(i + 1),
                };
                uint64_t pos = UINT64_MAX;

                ts += 1 + b * 1000; /* monotonic, like the kernel's clock */
                rec.ts_usec = ts;
                if (do_unescape) {
                        rec.len = unescape(buf, q, n);
                        rec.text = (const char *) buf;
                }
                r = lockdep_parser_feed_record(p, &rec);
                if (check_ret(c, "lockdep_parser_feed_record()", r))
                        goto out;

                r = lockdep_parser_resume_pos(p, &pos);
                if (r != 0 && r != 1)
                        die(c, "lockdep_parser_resume_pos() returned %d", r);
                if (c->check_pos && r == 1 && (pos < RECORD_POS(1) || pos > rec.pos || (pos - 7) % 10 != 0))
                        die(c, "report open after record pos %llu, resume position %llu is not the "
                            "pos of a record fed", (unsigned long long) rec.pos,
                            (unsigned long long) pos);

                if ((b & 0xe0) == 0xe0) {
                        /* the input went quiet here */
                        r = lockdep_parser_flush_idle(p);
                        if (check_ret(c, "lockdep_parser_flush_idle()", r))
                                goto out;
                        if (r > 1)
                                die(c, "lockdep_parser_flush_idle() returned %d", r);
                        if ((b & 0x10) == 0x10) {
                                /* ... and stayed quiet: truncated snapshots, reports stay open */
                                r = lockdep_parser_flush_stale(p);
                                if (check_ret(c, "lockdep_parser_flush_stale()", r))
                                        goto out;
                        }
                }
                q += n + (nl != NULL);
        }
        r = lockdep_parser_finish(p);
        (void) check_ret(c, "lockdep_parser_finish()", r);
out:
        free(buf);
        lockdep_parser_free(p);
}

static void digest_compare(const Digest *a, const Digest *b) {
        size_t i = 0, line = 1, bol = 0;

        if (a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0))
                return;
        while (i < a->len && i < b->len && a->p[i] == b->p[i]) {
                if (a->p[i] == '\n') {
                        line++;
                        bol = i + 1;
                }
                i++;
        }
        fprintf(stderr, "fuzz-parser: invariant violated: chunked feed differs from one-piece feed "
                "(digest line %zu)\n", line);
        fprintf(stderr, "  one piece: %.400s\n", a->p ? a->p + bol : "(no events)");
        fprintf(stderr, "  chunked:   %.400s\n", b->p ? b->p + bol : "(no events)");
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        Digest whole = {}, chunked = {};
        unsigned lines;
        bool diff, cancel, check_pos;
        Sched s = {};
        Ctx c;

        if (!data) /* size 0: never hand NULL to memchr() or the parser */
                data = (const uint8_t *) "";
        s.n = size < SCHED_MAX ? size : SCHED_MAX;
        memcpy(s.b, data, s.n);
        cancel = s.n > 1 && (s.b[1] & 0x0f) == 0x0b;
        diff = !getenv("LOCKDEP_FUZZ_NO_DIFF") && !cancel;
        lines = count_lines(data, size);
        check_pos = !getenv("LOCKDEP_FUZZ_NO_POS");

        c = (Ctx) { .pass = "one-piece", .data = data, .size = size,
                    .max_line_no = lines, .digest = diff ? &whole : NULL,
                    .verbose = getenv("LOCKDEP_FUZZ_VERBOSE"), .check_pos = check_pos };
        run_feed(&c, &s, data, size, false);

        c = (Ctx) { .pass = "chunked", .data = data, .size = size,
                    .max_line_no = lines, .digest = diff ? &chunked : NULL,
                    .verbose = getenv("LOCKDEP_FUZZ_VERBOSE"), .check_pos = check_pos,
                    .cancel_after = cancel ? CANCEL_AFTER : 0 };
        run_feed(&c, &s, data, size, true);

        if (diff)
                digest_compare(&whole, &chunked);
        free(whole.p);
        free(chunked.p);

        c = (Ctx) { .pass = "records", .max_line_no = lines,
                    .verbose = getenv("LOCKDEP_FUZZ_VERBOSE"), .check_pos = check_pos };
        run_records(&c, &s, data, size);

        return 0;
}
