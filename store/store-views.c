/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one serializer of the typed views (store.h): the objects of the API (/api/v1/groups,
 * /api/v1/reports, /api/v1/stats, ...) and of lockdepctl's --json are written here and nowhere
 * else, from the structs web/ and cli/ render their pages and tables from. Every
 * string goes through json_append_str(): names in the database came from kernel logs. The views
 * are filled by store-query.c and store-fleet.c (SQL), through the shapes below where a view is
 * described by a table of fields; this file turns them into text and frees them.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store-internal.h"

const char *store_time_iso(int64_t usec, char buf[static STORE_TIME_MAX]) {
        /* as SQLite's strftime('%Y-%m-%dT%H:%M:%SZ', usec / 1000000, 'unixepoch') wrote it: the
         * division truncates, years beyond 0000..9999 are NULL. The civil date from the day
         * number (proleptic Gregorian, H. Hinnant's days_from_civil inverse): no gmtime_r(), whose
         * time zone lock every thread of the web server would share. */
        int64_t sec = usec / 1000000;
        if (sec < INT64_C(-62167219200) || sec > INT64_C(253402300799))
                return NULL;
        int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400), rem = sec - days * 86400;
        int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
        int64_t doe = z - era * 146097;
        int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
        int d = (int) (doy - (153 * mp + 2) / 5 + 1), m = (int) (mp < 10 ? mp + 3 : mp - 9);
        int y = (int) (yoe + era * 400 + (m <= 2));
        int hh = (int) (rem / 3600), mm = (int) (rem / 60 % 60), ss = (int) (rem % 60);
        const int v[] = { y / 1000, y / 100 % 10, y / 10 % 10, y % 10, -1, m / 10, m % 10, -1, d / 10, d % 10, -2,
                          hh / 10, hh % 10, -3, mm / 10, mm % 10, -3, ss / 10, ss % 10, -4 };
        size_t k = 0;
        for (size_t i = 0; i < ELEMENTSOF(v); i++)
                buf[k++] = v[i] >= 0 ? (char) ('0' + v[i]) : "-T:Z"[-v[i] - 1];
        buf[k] = 0;
        return buf;
}

/* ,"key": and the value; the first member has no comma */
static int key(StrBuf *b, const char *k) {
        size_t n = strlen(k);
        if (strbuf_reserve(b, n + 4) < 0)
                return -ENOMEM;
        if (b->len > 0 && b->s[b->len - 1] != '{')
                b->s[b->len++] = ',';
        b->s[b->len++] = '"';
        memcpy(b->s + b->len, k, n);
        b->len += n;
        b->s[b->len++] = '"';
        b->s[b->len++] = ':';
        b->s[b->len] = 0;
        return 0;
}

static int put_str(StrBuf *b, const char *k, const char *v) {
        return key(b, k) < 0 ? -ENOMEM : json_append_str(b, v);
}

static int put_int(StrBuf *b, const char *k, int64_t v) {
        char d[24];
        size_t i = sizeof(d);
        uint64_t u = v < 0 ? -(uint64_t) v : (uint64_t) v;
        do
                d[--i] = (char) ('0' + u % 10);
        while (u /= 10);
        if (v < 0)
                d[--i] = '-';
        return key(b, k) < 0 ? -ENOMEM : strbuf_append(b, d + i, sizeof(d) - i);
}

static int put_time(StrBuf *b, const char *k, int64_t usec) {
        char buf[STORE_TIME_MAX];
        return put_str(b, k, store_time_iso(usec, buf));
}

/* The members of the list rows, without the braces, so that the detail objects extend them. */
static int group_row_members(const StoreGroupRow *g, StrBuf *b) {
        if (put_int(b, "id", g->id) < 0 || put_str(b, "kind", g->kind) < 0 || put_str(b, "key", g->key) < 0 ||
            put_str(b, "signature", g->signature) < 0 || put_str(b, "func_title", g->func_title) < 0 ||
            put_int(b, "n_reports", g->n_reports) < 0 || put_int(b, "n_hosts", g->n_hosts) < 0 ||
            put_time(b, "first_seen", g->first_seen) < 0 || put_time(b, "last_seen", g->last_seen) < 0 ||
            put_str(b, "status", g->status) < 0 || put_str(b, "note", g->note) < 0 ||
            put_str(b, "kernel_first", g->kernel_first) < 0 || put_str(b, "kernel_last", g->kernel_last) < 0 ||
            put_int(b, "suppressed", g->suppressed) < 0)
                return -ENOMEM;
        return 0;
}

static int report_row_members(const StoreReportRow *r, StrBuf *b) {
        if (put_int(b, "id", r->id) < 0)
                return -ENOMEM;
        if (r->group > 0 ? put_int(b, "group", r->group) < 0 : put_str(b, "group", NULL) < 0)
                return -ENOMEM;
        if (put_str(b, "kind", r->kind) < 0 || put_str(b, "host", r->host) < 0 || put_str(b, "boot_id", r->boot_id) < 0 ||
            put_str(b, "kernel", r->kernel) < 0 || put_time(b, "time", r->time) < 0 ||
            put_str(b, "source", r->source) < 0 || key(b, "truncated") < 0 ||
            strbuf_puts(b, r->truncated ? "true" : "false") < 0)
                return -ENOMEM;
        return 0;
}

int store_group_row_json(const StoreGroupRow *g, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || group_row_members(g, b) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

int store_report_row_json(const StoreReportRow *r, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || report_row_members(r, b) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

/* an id, or null for 0 */
static int put_id(StrBuf *b, const char *k, int64_t v) {
        return v > 0 ? put_int(b, k, v) : put_str(b, k, NULL);
}

/* JSON text made by this program (the stored parse), or null */
static int put_raw(StrBuf *b, const char *k, const char *json) {
        return key(b, k) < 0 ? -ENOMEM : strbuf_puts(b, json ?: "null");
}

/* ,"k":[ ... ] around n objects written by f */
#define PUT_ARRAY(b, k, v, n, f)                                                                    \
        ({                                                                                          \
                int _r = key(b, k) < 0 || strbuf_appendc(b, '[') < 0 ? -ENOMEM : 0;                 \
                for (size_t _i = 0; _r >= 0 && _i < (n); _i++)                                      \
                        if ((_i && strbuf_appendc(b, ',') < 0) || strbuf_appendc(b, '{') < 0 ||     \
                            f(&(v)[_i], b) < 0 || strbuf_appendc(b, '}') < 0)                        \
                                _r = -ENOMEM;                                                       \
                _r >= 0 ? strbuf_appendc(b, ']') : _r;                                              \
        })

static int rule_members(const StoreRuleRef *x, StrBuf *b) {
        if (put_int(b, "id", x->id) < 0 || put_str(b, "class", x->cls) < 0 || put_str(b, "edge_from", x->edge_from) < 0 ||
            put_str(b, "edge_to", x->edge_to) < 0)
                return -ENOMEM;
        if (x->expires ? put_time(b, "expires", x->expires) < 0 : put_str(b, "expires", NULL) < 0)
                return -ENOMEM;
        return put_str(b, "note", x->note);
}

static int edge_members(const StoreGroupEdge *e, StrBuf *b) {
        if (put_str(b, "from", e->from) < 0 || put_str(b, "to", e->to) < 0 || put_int(b, "n", e->n) < 0 ||
            put_str(b, "first_kernel", e->first_kernel) < 0)
                return -ENOMEM;
        return put_str(b, "site", e->site);
}

static int count_members(const char *k, const StoreCount *c, StrBuf *b) {
        return put_str(b, k, c->name) < 0 ? -ENOMEM : put_int(b, "n", c->n);
}
static int kernel_members(const StoreCount *c, StrBuf *b) {
        return count_members("kernel", c, b);
}
static int host_members(const StoreCount *c, StrBuf *b) {
        return count_members("host", c, b);
}
static int task_members(const StoreCount *c, StrBuf *b) {
        return count_members("task", c, b);
}
static int day_members(const StoreCount *c, StrBuf *b) {
        return count_members("day", c, b);
}

static int related_members(const StoreRelatedGroup *x, StrBuf *b) {
        if (put_int(b, "id", x->id) < 0 || put_str(b, "kind", x->kind) < 0 || put_str(b, "func_title", x->func_title) < 0 ||
            put_int(b, "shared", x->shared) < 0 || put_int(b, "shared_edges", x->shared_edges) < 0 || key(b, "score") < 0)
                return -ENOMEM;
        /* as the API always wrote it: six decimals (a score is a sum of fractions, rounded to four) */
        return strbuf_printf(b, "%.6f", x->score);
}

static int normalization_members(const StoreNormalization *x, StrBuf *b) {
        return put_str(b, "printed", x->printed) < 0 ? -ENOMEM : put_str(b, "canonical", x->canonical);
}

static int triage_members(const StoreTriageEntry *x, StrBuf *b) {
        if (put_time(b, "at", x->at) < 0 || put_id(b, "group", x->group) < 0 || put_str(b, "action", x->action) < 0)
                return -ENOMEM;
        return put_str(b, "value", x->value);
}

int store_group_detail_json(const StoreGroupDetail *d, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || group_row_members(&d->row, b) < 0 || put_int(b, "sig_version", d->sig_version) < 0 ||
            put_id(b, "representative", d->representative) < 0 || put_raw(b, "parsed", d->parsed) < 0 ||
            PUT_ARRAY(b, "suppressed_by", d->suppressed_by, d->n_suppressed_by, rule_members) < 0 ||
            PUT_ARRAY(b, "edges", d->edges, d->n_edges, edge_members) < 0 ||
            PUT_ARRAY(b, "kernels", d->kernels, d->n_kernels, kernel_members) < 0 ||
            PUT_ARRAY(b, "hosts", d->hosts, d->n_hosts, host_members) < 0 ||
            PUT_ARRAY(b, "tasks", d->tasks, d->n_tasks, task_members) < 0 ||
            PUT_ARRAY(b, "daily", d->daily, d->n_daily, day_members) < 0 ||
            PUT_ARRAY(b, "related", d->related, d->n_related, related_members) < 0 ||
            PUT_ARRAY(b, "normalizations", d->normalizations, d->n_normalizations, normalization_members) < 0 ||
            PUT_ARRAY(b, "triage", d->triage, d->n_triage, triage_members) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

int store_report_detail_json(const StoreReportDetail *d, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || report_row_members(&d->row, b) < 0)
                return -ENOMEM;
        if (d->has_usec ? put_int(b, "usec", d->usec) < 0 : put_str(b, "usec", NULL) < 0)
                return -ENOMEM;
        if (put_str(b, "raw", d->raw) < 0 || put_raw(b, "parsed", d->parsed) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

static int page_head(StrBuf *b, uint64_t total, const StoreQuery *q, const char *what) {
        return strbuf_printf(b, "{\"total\":%" PRIu64 ",\"offset\":%u,\"limit\":%u,\"%s\":[", total, q ? q->offset : 0,
                             q ? q->limit : 0, what);
}

int store_group_list_json(const StoreGroupList *l, uint64_t total, const StoreQuery *q, StrBuf *b) {
        if (page_head(b, total, q, "groups") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                if ((i && strbuf_appendc(b, ',') < 0) || store_group_row_json(&l->v[i], b) < 0)
                        return -ENOMEM;
        return strbuf_puts(b, "]}");
}

int store_report_list_json(const StoreReportList *l, uint64_t total, const StoreQuery *q, StrBuf *b) {
        if (page_head(b, total, q, "reports") < 0)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                if ((i && strbuf_appendc(b, ',') < 0) || store_report_row_json(&l->v[i], b) < 0)
                        return -ENOMEM;
        return strbuf_puts(b, "]}");
}

void store_group_list_free(StoreGroupList *l) {
        for (size_t i = 0; l && i < l->n; i++)
                free(l->v[i].mem_);
        if (l) {
                free(l->v);
                *l = (StoreGroupList) {};
        }
}

void store_report_list_free(StoreReportList *l) {
        for (size_t i = 0; l && i < l->n; i++)
                free(l->v[i].mem_);
        if (l) {
                free(l->v);
                *l = (StoreReportList) {};
        }
}

int store_row_texts(sqlite3_stmt *st, size_t n, const int *cols, const char **out[], char **ret_mem) {
        bool null[32];
        size_t total = 1;
        if (n > ELEMENTSOF(null))
                return -EINVAL;
        for (size_t k = 0; k < n; k++) {
                /* the type before any conversion, then the text form, then its length */
                null[k] = sqlite3_column_type(st, cols[k]) == SQLITE_NULL;
                if (!null[k] && sqlite3_column_text(st, cols[k]))
                        total += (size_t) sqlite3_column_bytes(st, cols[k]);
                total++;
        }
        char *m = malloc(total), *p = m;
        if (!m)
                return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
                if (null[k]) {
                        *out[k] = NULL;
                        continue;
                }
                const unsigned char *t = sqlite3_column_text(st, cols[k]);
                size_t len = t ? (size_t) sqlite3_column_bytes(st, cols[k]) : 0;
                if (len)
                        memcpy(p, t, len);
                p[len] = 0;
                *out[k] = p;
                p += len + 1;
        }
        *ret_mem = m;
        return 0;
}

/* ---- shapes: SQL rows into structs, structs into JSON ----------------------------------------- */

/* A bump allocator: chunks of at least 16 KiB, freed all at once with the view. */
typedef struct StoreChunk {
        struct StoreChunk *next;
        size_t used, size;
        max_align_t data[];
} StoreChunk;

struct StoreMem {
        StoreChunk *chunks;
        bool failed; /* an allocation failed: the view is incomplete */
};

StoreMem *store_mem_new(void) {
        return calloc(1, sizeof(StoreMem));
}

void store_mem_free(StoreMem *m) {
        if (!m)
                return;
        for (StoreChunk *c = m->chunks, *next; c; c = next) {
                next = c->next;
                free(c);
        }
        free(m);
}

static void *mem_alloc(StoreMem *m, size_t n) {
        n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
        StoreChunk *c = m->chunks;
        if (!c || c->size - c->used < n) {
                size_t size = MAX(n, (size_t) 16384 - sizeof(StoreChunk));
                c = malloc(sizeof(StoreChunk) + size);
                if (!c) {
                        m->failed = true;
                        return NULL;
                }
                *c = (StoreChunk) { .next = m->chunks, .size = size };
                m->chunks = c;
        }
        void *p = (char *) c->data + c->used;
        c->used += n;
        return p;
}

static const char *mem_text(StoreMem *m, sqlite3_stmt *st, int col) {
        if (sqlite3_column_type(st, col) == SQLITE_NULL)
                return NULL;
        const unsigned char *t = sqlite3_column_text(st, col);
        size_t len = t ? (size_t) sqlite3_column_bytes(st, col) : 0;
        char *p = mem_alloc(m, len + 1);
        if (!p)
                return NULL;
        if (len)
                memcpy(p, t, len);
        p[len] = 0;
        return p;
}

/* The lines of text (kept in m) as an array of strings; no lines for NULL or "". */
static StoreStrings mem_lines(StoreMem *m, const char *text) {
        size_t n = 0;
        for (const char *p = text; p && *p; p += strcspn(p, "\n"), p += *p == '\n')
                n++;
        if (n == 0)
                return (StoreStrings) {};
        const char **v = mem_alloc(m, n * sizeof(char *));
        char *copy = mem_alloc(m, strlen(text) + 1);
        if (!v || !copy)
                return (StoreStrings) {};
        strcpy(copy, text);
        size_t k = 0;
        for (char *p = copy; *p && k < n;) {
                size_t l = strcspn(p, "\n");
                v[k++] = p;
                p += l;
                if (*p)
                        *p++ = 0;
        }
        return (StoreStrings) { v, k };
}

static void fill_row(sqlite3_stmt *st, const StoreShape *sh, StoreMem *m, void *row) {
        for (size_t k = 0; k < sh->n; k++) {
                void *p = (char *) row + sh->f[k].offset;
                bool null = sqlite3_column_type(st, (int) k) == SQLITE_NULL;
                switch (sh->f[k].type) {
                case SF_INT:
                case SF_TIME:
                        *(int64_t *) p = null ? STORE_NONE : sqlite3_column_int64(st, (int) k);
                        break;
                case SF_TEXT:
                        *(const char **) p = mem_text(m, st, (int) k);
                        break;
                case SF_BOOL:
                case SF_FLAG:
                        *(bool *) p = sqlite3_column_int64(st, (int) k) != 0;
                        break;
                case SF_REAL:
                        *(double *) p = sqlite3_column_double(st, (int) k);
                        break;
                case SF_TRI:
                        *(int *) p = null ? -1 : sqlite3_column_int64(st, (int) k) != 0;
                        break;
                case SF_STRS:
                        *(StoreStrings *) p = mem_lines(m, mem_text(m, st, (int) k));
                        break;
                }
        }
}

int store_view_prepare(Store *s, const char *sql, int64_t id, const char *text, const char *text2, sqlite3_stmt **ret) {
        int r = store_prepare(s, sql, ret);
        if (r < 0)
                return r;
        if (sqlite3_bind_parameter_count(*ret) >= 1)
                sqlite3_bind_int64(*ret, 1, id);
        if (text)
                store_bind_text(*ret, 2, text);
        if (text2)
                store_bind_text(*ret, 3, text2);
        return 0;
}

int store_view_one(Store *s, sqlite3_stmt *st, const StoreShape *sh, StoreMem *m, void *row) {
        assert((size_t) sqlite3_column_count(st) == sh->n);
        int rc = sqlite3_step(st), r = 0;
        if (rc == SQLITE_ROW) {
                fill_row(st, sh, m, row);
                if (m->failed)
                        r = -ENOMEM;
        } else
                r = rc == SQLITE_DONE ? -ENOENT : store_fail(s, rc);
        sqlite3_finalize(st);
        return r;
}

int store_view_rows(Store *s, sqlite3_stmt *st, const StoreShape *sh, StoreMem *m, void *ret_v, size_t *ret_n) {
        assert((size_t) sqlite3_column_count(st) == sh->n);
        _cleanup_free_ char *v = NULL;
        size_t n = 0, cap = 0;
        int rc, r = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        size_t c = cap ? cap * 2 : 16;
                        char *nv = reallocarray(v, c, sh->size);
                        if (!nv) {
                                r = -ENOMEM;
                                break;
                        }
                        v = nv;
                        cap = c;
                }
                memset(v + n * sh->size, 0, sh->size);
                fill_row(st, sh, m, v + n * sh->size);
                if (m->failed) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        if (r >= 0 && rc != SQLITE_DONE)
                r = store_fail(s, rc);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        void *kept = NULL;
        if (n > 0) {
                kept = mem_alloc(m, n * sh->size);
                if (!kept)
                        return -ENOMEM;
                memcpy(kept, v, n * sh->size);
        }
        memcpy(ret_v, &kept, sizeof(kept));
        *ret_n = n;
        return 0;
}

int store_view_query_one(Store *s, const char *sql, int64_t id, const char *text, const char *text2,
                         const StoreShape *sh, StoreMem *m, void *row) {
        sqlite3_stmt *st;
        int r = store_view_prepare(s, sql, id, text, text2, &st);
        return r < 0 ? r : store_view_one(s, st, sh, m, row);
}

int store_view_query_rows(Store *s, const char *sql, int64_t id, const char *text, const char *text2,
                          const StoreShape *sh, StoreMem *m, void *ret_v, size_t *ret_n) {
        sqlite3_stmt *st;
        int r = store_view_prepare(s, sql, id, text, text2, &st);
        return r < 0 ? r : store_view_rows(s, st, sh, m, ret_v, ret_n);
}

int store_put_fields(StrBuf *b, const StoreShape *sh, const void *row) {
        for (size_t k = 0; k < sh->n; k++) {
                const void *p = (const char *) row + sh->f[k].offset;
                const char *name = sh->f[k].name;
                int64_t i;
                int r;
                switch (sh->f[k].type) {
                case SF_INT:
                        i = *(const int64_t *) p;
                        r = i == STORE_NONE ? put_str(b, name, NULL) : put_int(b, name, i);
                        break;
                case SF_TIME:
                        i = *(const int64_t *) p;
                        r = i == STORE_NONE ? put_str(b, name, NULL) : put_time(b, name, i);
                        break;
                case SF_TEXT:
                        r = put_str(b, name, *(const char *const *) p);
                        break;
                case SF_BOOL:
                        r = key(b, name) < 0 ? -ENOMEM : strbuf_puts(b, *(const bool *) p ? "true" : "false");
                        break;
                case SF_FLAG:
                        r = put_int(b, name, *(const bool *) p);
                        break;
                case SF_REAL:
                        r = key(b, name) < 0 ? -ENOMEM : strbuf_printf(b, "%.6f", *(const double *) p);
                        break;
                case SF_TRI:
                        r = key(b, name) < 0 ? -ENOMEM
                                             : strbuf_puts(b, *(const int *) p < 0 ? "null" : *(const int *) p ? "true" : "false");
                        break;
                case SF_STRS: {
                        const StoreStrings *v = p;
                        r = key(b, name) < 0 ? -ENOMEM : json_append_str_array(b, v->v, v->n);
                        break;
                }
                default:
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

int store_put_object(StrBuf *b, const StoreShape *sh, const void *row) {
        if (strbuf_appendc(b, '{') < 0 || store_put_fields(b, sh, row) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

int store_put_rows(StrBuf *b, const char *k, const StoreShape *sh, const void *v, size_t n) {
        if (key(b, k) < 0 || strbuf_appendc(b, '[') < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if ((i && strbuf_appendc(b, ',') < 0) || store_put_object(b, sh, (const char *) v + i * sh->size) < 0)
                        return -ENOMEM;
        return strbuf_appendc(b, ']');
}

/* ---- the counters ----------------------------------------------------------------------------- */

static const StoreField stats_fields[] = {
        SF_INT_(StoreStats, reports, "reports"),
        SF_INT_(StoreStats, groups, "groups"),
        SF_INT_(StoreStats, groups_suppressed, "groups_suppressed"),
        SF_INT_(StoreStats, hosts, "hosts"),
        SF_INT_(StoreStats, boots, "boots"),
        SF_INT_(StoreStats, hosts_sanitized, "hosts_sanitized"),
        SF_INT_(StoreStats, boots_lockdep_off, "boots_lockdep_off"),
        SF_INT_(StoreStats, gaps, "gaps"),
        SF_INT_(StoreStats, fts_pending, "fts_pending"),
        SF_INT_(StoreStats, suppressions, "suppressions"),
        SF_INT_(StoreStats, journal_files_unreadable, "journal_files_unreadable"),
        SF_INT_(StoreStats, journal_file_errors, "journal_file_errors"),
        SF_INT_(StoreStats, snapshots_untrusted, "snapshots_untrusted"),
        SF_INT_(StoreStats, snapshots_incomplete, "snapshots_incomplete"),
        SF_INT_(StoreStats, snapshots_refused, "snapshots_refused"),
};
static const StoreField kind_count_fields[] = {
        SF_TEXT_(StoreStatsCount, name, "kind"),
        SF_INT_(StoreStatsCount, n_groups, "n"),
        SF_INT_(StoreStatsCount, n_reports, "reports"),
};
static const StoreField status_count_fields[] = {
        SF_TEXT_(StoreStatsCount, name, "status"),
        SF_INT_(StoreStatsCount, n_groups, "n"),
        SF_INT_(StoreStatsCount, n_reports, "reports"),
};
static const StoreField source_fields[] = {
        SF_TEXT_(StoreStatsSource, source, "source"),
        SF_TEXT_(StoreStatsSource, position, "position"),
        SF_TIME_(StoreStatsSource, updated, "updated"),
        SF_INT_(StoreStatsSource, n_reports, "reports"),
};
static const StoreField file_failure_fields[] = {
        SF_TEXT_(StoreStatsFileFailure, source, "source"),
        SF_TEXT_(StoreStatsFileFailure, file, "file"),
        SF_TEXT_(StoreStatsFileFailure, error, "error"),
        SF_INT_(StoreStatsFileFailure, err, "errno"),
        SF_TIME_(StoreStatsFileFailure, first_failed, "first_failed"),
        SF_TIME_(StoreStatsFileFailure, last_failed, "last_failed"),
        SF_INT_(StoreStatsFileFailure, n_failures, "n_failures"),
};
static const StoreField rejected_fields[] = {
        SF_TEXT_(StoreStatsRejected, reason, "reason"),
        SF_INT_(StoreStatsRejected, n, "n"),
        SF_TIME_(StoreStatsRejected, last, "last"),
        SF_TEXT_(StoreStatsRejected, source, "source"),
        SF_TEXT_(StoreStatsRejected, what, "what"),
};
const StoreShape store_stats_shape = STORE_SHAPE(StoreStats, stats_fields);
const StoreShape store_kind_count_shape = STORE_SHAPE(StoreStatsCount, kind_count_fields);
const StoreShape store_status_count_shape = STORE_SHAPE(StoreStatsCount, status_count_fields);
const StoreShape store_source_shape = STORE_SHAPE(StoreStatsSource, source_fields);
const StoreShape store_file_failure_shape = STORE_SHAPE(StoreStatsFileFailure, file_failure_fields);
const StoreShape store_rejected_shape = STORE_SHAPE(StoreStatsRejected, rejected_fields);

int store_stats_json(const StoreStats *st, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || store_put_fields(b, &store_stats_shape, st) < 0 ||
            store_put_rows(b, "by_kind", &store_kind_count_shape, st->by_kind, st->n_by_kind) < 0 ||
            store_put_rows(b, "by_status", &store_status_count_shape, st->by_status, st->n_by_status) < 0 ||
            store_put_rows(b, "sources", &store_source_shape, st->sources, st->n_sources) < 0 ||
            store_put_rows(b, "journal_files_failed", &store_file_failure_shape, st->files_failed,
                           st->n_files_failed) < 0 ||
            store_put_rows(b, "snapshots_rejected", &store_rejected_shape, st->rejected, st->n_rejected) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

void store_stats_free(StoreStats *st) {
        if (st) {
                store_mem_free(st->mem_);
                *st = (StoreStats) {};
        }
}

/* ---- suppression rules ------------------------------------------------------------------------ */

static const StoreField suppression_fields[] = {
        SF_INT_(StoreSuppression, id, "id"),
        SF_TEXT_(StoreSuppression, cls, "class"),
        SF_TEXT_(StoreSuppression, edge_from, "edge_from"),
        SF_TEXT_(StoreSuppression, edge_to, "edge_to"),
        SF_TIME_(StoreSuppression, expires, "expires"),
        SF_TEXT_(StoreSuppression, note, "note"),
        SF_TIME_(StoreSuppression, created, "created"),
        SF_FLAG_(StoreSuppression, active, "active"),
};
const StoreShape store_suppression_shape = STORE_SHAPE(StoreSuppression, suppression_fields);

int store_suppression_json(const StoreSuppression *x, StrBuf *b) {
        return store_put_object(b, &store_suppression_shape, x);
}

int store_suppression_list_json(const StoreSuppressionList *l, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 ||
            store_put_rows(b, "suppressions", &store_suppression_shape, l->v, l->n) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

void store_suppression_list_free(StoreSuppressionList *l) {
        if (l) {
                store_mem_free(l->mem_);
                *l = (StoreSuppressionList) {};
        }
}

/* ---- the fleet lists: pages ------------------------------------------------------------------- */

/* {"total":N,"offset":O,"limit":L (null: every row),"sort":"...","order":"asc|desc","KEY":[ */
static int list_page_head(StrBuf *b, uint64_t total, const StoreListQuery *q, const char *what) {
        StoreListQuery none = { .list = q ? q->list : STORE_LIST_HOSTS };
        if (!q)
                q = &none;
        int r = strbuf_printf(b, "{\"total\":%" PRIu64 ",\"offset\":%u,\"limit\":", total, q->offset);
        if (r >= 0)
                r = q->limit ? strbuf_printf(b, "%u", q->limit) : strbuf_puts(b, "null");
        if (r >= 0)
                r = strbuf_printf(b, ",\"sort\":\"%s\",\"order\":\"%s\",\"%s\":[", store_list_sort_name(q->list, q->sort),
                                  store_list_descending(q) ? "desc" : "asc", what);
        return r;
}

static int list_page(StrBuf *b, uint64_t total, const StoreListQuery *q, const char *what, const StoreShape *sh,
                     const void *v, size_t n) {
        if (list_page_head(b, total, q, what) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if ((i && strbuf_appendc(b, ',') < 0) || store_put_object(b, sh, (const char *) v + i * sh->size) < 0)
                        return -ENOMEM;
        return strbuf_puts(b, "]}");
}

/* ---- hosts ------------------------------------------------------------------------------------ */

static const StoreField host_fields[] = {
        SF_INT_(StoreHost, id, "id"),
        SF_TEXT_(StoreHost, host, "host"),
        SF_TEXT_(StoreHost, machine_id, "machine_id"),
        SF_TEXT_(StoreHost, hostname, "hostname"),
        SF_INT_(StoreHost, n_boots, "n_boots"),
        SF_INT_(StoreHost, n_reports, "n_reports"),
        SF_INT_(StoreHost, n_groups, "n_groups"),
        SF_INT_(StoreHost, kernels, "kernels"),
        SF_INT_(StoreHost, boots_lockdep_off, "boots_lockdep_off"),
        SF_TEXT_(StoreHost, kernel_first, "kernel_first"),
        SF_TEXT_(StoreHost, kernel_last, "kernel_last"),
        SF_TIME_(StoreHost, first_seen, "first_seen"),
        SF_TIME_(StoreHost, last_seen, "last_seen"),
        SF_TIME_(StoreHost, journal_read, "journal_read"),
        SF_TIME_(StoreHost, last_entry, "last_entry"),
        SF_TRI_(StoreHost, silent, "silent"),
};
static const StoreField boot_fields[] = {
        SF_TEXT_(StoreBoot, boot_id, "boot_id"),
        SF_TEXT_(StoreBoot, kernel, "kernel"),
        SF_TIME_(StoreBoot, first_seen, "first_seen"),
        SF_INT_(StoreBoot, lockdep_off_at, "lockdep_off_at"),
        SF_TEXT_(StoreBoot, lockdep_off_reason, "lockdep_off_reason"),
        SF_INT_(StoreBoot, n_reports, "n_reports"),
};
static const StoreField host_group_fields[] = {
        SF_INT_(StoreFleetGroup, id, "id"),
        SF_TEXT_(StoreFleetGroup, kind, "kind"),
        SF_TEXT_(StoreFleetGroup, key, "key"),
        SF_TEXT_(StoreFleetGroup, func_title, "func_title"),
        SF_INT_(StoreFleetGroup, n_reports, "n"),
        SF_TEXT_(StoreFleetGroup, status, "status"),
        SF_TEXT_(StoreFleetGroup, kernel_first, "kernel_first"),
        SF_TEXT_(StoreFleetGroup, kernel_last, "kernel_last"),
};
const StoreShape store_host_shape = STORE_SHAPE(StoreHost, host_fields);
const StoreShape store_boot_shape = STORE_SHAPE(StoreBoot, boot_fields);
const StoreShape store_host_group_shape = STORE_SHAPE(StoreFleetGroup, host_group_fields);

int store_host_json(const StoreHost *h, StrBuf *b) {
        return store_put_object(b, &store_host_shape, h);
}

int store_host_list_json(const StoreHostList *l, uint64_t total, const StoreListQuery *q, StrBuf *b) {
        return list_page(b, total, q, "hosts", &store_host_shape, l->v, l->n);
}

int store_host_detail_json(const StoreHostDetail *d, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || store_put_fields(b, &store_host_shape, &d->host) < 0 ||
            store_put_rows(b, "boots", &store_boot_shape, d->boots, d->n_boots) < 0 ||
            store_put_rows(b, "off_early", &store_boot_shape, d->off_early, d->n_off_early) < 0 ||
            store_put_rows(b, "groups", &store_host_group_shape, d->groups, d->n_groups) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

void store_host_list_free(StoreHostList *l) {
        if (l) {
                store_mem_free(l->mem_);
                *l = (StoreHostList) {};
        }
}

void store_host_detail_free(StoreHostDetail *d) {
        if (d) {
                store_mem_free(d->mem_);
                *d = (StoreHostDetail) {};
        }
}

/* ---- kernel releases -------------------------------------------------------------------------- */

static const StoreField kernel_fields[] = {
        SF_TEXT_(StoreKernel, kernel, "kernel"),
        SF_INT_(StoreKernel, n_hosts, "n_hosts"),
        SF_INT_(StoreKernel, n_boots, "n_boots"),
        SF_INT_(StoreKernel, n_reports, "n_reports"),
        SF_INT_(StoreKernel, n_groups, "n_groups"),
        SF_INT_(StoreKernel, new_groups, "new_groups"),
        SF_INT_(StoreKernel, boots_lockdep_off, "boots_lockdep_off"),
        SF_TIME_(StoreKernel, first_seen, "first_seen"),
        SF_TIME_(StoreKernel, last_seen, "last_seen"),
};
static const StoreField kernel_group_fields[] = {
        SF_INT_(StoreFleetGroup, id, "id"),
        SF_TEXT_(StoreFleetGroup, kind, "kind"),
        SF_TEXT_(StoreFleetGroup, key, "key"),
        SF_TEXT_(StoreFleetGroup, func_title, "func_title"),
        SF_INT_(StoreFleetGroup, n_reports, "n_reports"),
        SF_INT_(StoreFleetGroup, n_hosts, "n_hosts"),
        SF_TEXT_(StoreFleetGroup, status, "status"),
        SF_TEXT_(StoreFleetGroup, kernel_first, "kernel_first"),
        SF_TEXT_(StoreFleetGroup, kernel_last, "kernel_last"),
};
static const StoreField kernel_host_fields[] = {
        SF_TEXT_(StoreKernelHost, host, "host"),
        SF_TEXT_(StoreKernelHost, machine_id, "machine_id"),
        SF_INT_(StoreKernelHost, n_boots, "n_boots"),
        SF_INT_(StoreKernelHost, n_reports, "n_reports"),
        SF_INT_(StoreKernelHost, boots_lockdep_off, "boots_lockdep_off"),
};
static const StoreField kernel_vs_fields[] = {
        SF_TEXT_(StoreKernelVs, kernel, "kernel"),
        SF_TEXT_(StoreKernelVs, vs, "vs"),
};
const StoreShape store_kernel_shape = STORE_SHAPE(StoreKernel, kernel_fields);
const StoreShape store_kernel_group_shape = STORE_SHAPE(StoreFleetGroup, kernel_group_fields);
const StoreShape store_kernel_host_shape = STORE_SHAPE(StoreKernelHost, kernel_host_fields);
const StoreShape store_kernel_vs_shape = STORE_SHAPE(StoreKernelVs, kernel_vs_fields);

int store_kernel_json(const StoreKernel *k, StrBuf *b) {
        return store_put_object(b, &store_kernel_shape, k);
}

int store_kernel_list_json(const StoreKernelList *l, uint64_t total, const StoreListQuery *q, StrBuf *b) {
        return list_page(b, total, q, "kernels", &store_kernel_shape, l->v, l->n);
}

int store_kernel_detail_json(const StoreKernelDetail *d, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || store_put_fields(b, &store_kernel_shape, &d->kernel) < 0 ||
            store_put_rows(b, "regressions", &store_kernel_group_shape, d->regressions, d->n_regressions) < 0 ||
            store_put_rows(b, "regressed", &store_kernel_group_shape, d->regressed, d->n_regressed) < 0 ||
            store_put_rows(b, "not_seen_since", &store_kernel_group_shape, d->not_seen_since, d->n_not_seen_since) < 0 ||
            store_put_rows(b, "hosts", &store_kernel_host_shape, d->hosts, d->n_hosts) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

int store_kernel_vs_json(const StoreKernelVs *v, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || store_put_fields(b, &store_kernel_vs_shape, v) < 0 ||
            store_put_rows(b, "new", &store_kernel_group_shape, v->new_, v->n_new) < 0 ||
            store_put_rows(b, "gone", &store_kernel_group_shape, v->gone, v->n_gone) < 0 ||
            store_put_rows(b, "still", &store_kernel_group_shape, v->still, v->n_still) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

void store_kernel_list_free(StoreKernelList *l) {
        if (l) {
                store_mem_free(l->mem_);
                *l = (StoreKernelList) {};
        }
}

void store_kernel_detail_free(StoreKernelDetail *d) {
        if (d) {
                store_mem_free(d->mem_);
                *d = (StoreKernelDetail) {};
        }
}

void store_kernel_vs_free(StoreKernelVs *v) {
        if (v) {
                store_mem_free(v->mem_);
                *v = (StoreKernelVs) {};
        }
}

/* ---- lock classes ----------------------------------------------------------------------------- */

static const StoreField lock_fields[] = {
        SF_TEXT_(StoreLock, name, "name"),
        SF_INT_(StoreLock, n_groups, "n_groups"),
        SF_INT_(StoreLock, n_edges, "n_edges"),
        SF_STRS_(StoreLock, printed, "printed"),
};
static const StoreField lock_head_fields[] = {
        SF_TEXT_(StoreLockDetail, name, "name"),
        SF_INT_(StoreLockDetail, n_groups, "n_groups"),
        SF_STRS_(StoreLockDetail, printed, "printed"),
};
static const StoreField lock_group_fields[] = {
        SF_INT_(StoreLockGroup, id, "id"),
        SF_TEXT_(StoreLockGroup, kind, "kind"),
        SF_TEXT_(StoreLockGroup, key, "key"),
        SF_TEXT_(StoreLockGroup, func_title, "func_title"),
        SF_INT_(StoreLockGroup, n_reports, "n_reports"),
        SF_TEXT_(StoreLockGroup, status, "status"),
};
static const StoreField lock_edge_fields[] = {
        SF_TEXT_(StoreLockEdge, from, "from"),
        SF_TEXT_(StoreLockEdge, to, "to"),
        SF_INT_(StoreLockEdge, n, "n"),
        SF_TEXT_(StoreLockEdge, first_kernel, "first_kernel"),
};
const StoreShape store_lock_shape = STORE_SHAPE(StoreLock, lock_fields);
const StoreShape store_lock_head_shape = STORE_SHAPE(StoreLockDetail, lock_head_fields);
const StoreShape store_lock_group_shape = STORE_SHAPE(StoreLockGroup, lock_group_fields);
const StoreShape store_lock_edge_shape = STORE_SHAPE(StoreLockEdge, lock_edge_fields);

int store_lock_json(const StoreLock *l, StrBuf *b) {
        return store_put_object(b, &store_lock_shape, l);
}

int store_lock_list_json(const StoreLockList *l, uint64_t total, const StoreListQuery *q, StrBuf *b) {
        return list_page(b, total, q, "locks", &store_lock_shape, l->v, l->n);
}

int store_lock_detail_json(const StoreLockDetail *d, StrBuf *b) {
        if (strbuf_appendc(b, '{') < 0 || store_put_fields(b, &store_lock_head_shape, d) < 0 ||
            store_put_rows(b, "groups", &store_lock_group_shape, d->groups, d->n_group_rows) < 0 ||
            store_put_rows(b, "edges", &store_lock_edge_shape, d->edges, d->n_edge_rows) < 0)
                return -ENOMEM;
        return strbuf_appendc(b, '}');
}

void store_lock_list_free(StoreLockList *l) {
        if (l) {
                store_mem_free(l->mem_);
                *l = (StoreLockList) {};
        }
}

void store_lock_detail_free(StoreLockDetail *d) {
        if (d) {
                store_mem_free(d->mem_);
                *d = (StoreLockDetail) {};
        }
}
