/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "host-name.h"
#include "ingest.h"
#include "json.h"
#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "strbuf.h"
#include "time-spec.h"
#include "visible.h"

int load_aliases(const char *user_file, LockdepAliases **ret) {
        _cleanup_free_ char *error = NULL;
        int r = aliases_load(user_file, ret, &error);
        if (r < 0)
                fprintf(stderr, "lockdepctl: %s\n", error ? error : strerror(-r));
        return r;
}

/* ---- database helpers ------------------------------------------------------------------------ */

void store_closep(Store **s) {
        store_close(*s);
}

int print_group_after(Store *s, int64_t id, bool json, const char *what) {
        _cleanup_(store_group_detail_free) StoreGroupDetail d = {};
        int r = store_group_detail(s, id, NULL, &d);
        if (r < 0)
                return store_failed(s, r, "reading the group");
        if (json) {
                StrBuf b = {};
                if (store_group_detail_json(&d, &b) < 0) {
                        strbuf_done(&b);
                        return print_oom();
                }
                print_json(b.s);
                strbuf_done(&b);
                return 0;
        }
        printf("Group %lld %s: status ", (long long) id, what);
        fputs_safe(d.row.status, stdout);
        if (d.row.note) {
                printf(", note \"");
                fputs_safe(d.row.note, stdout);
                putchar('"');
        }
        printf(", %lld reports.\n", (long long) d.row.n_reports);
        return 0;
}

int print_oom(void) {
        fprintf(stderr, "lockdepctl: out of memory\n");
        return 1;
}

int store_failed(Store *s, int r, const char *what) {
        fprintf(stderr, "lockdepctl: %s: %s\n", what,
                s && store_error(s)[0] ? store_error(s) : strerror(-r));
        return 1;
}

int parse_id(const char *s, const char *what, int64_t *ret) {
        char *e;
        errno = 0;
        long long v = strtoll(s, &e, 10);
        if (errno != 0 || e == s || *e || v <= 0) {
                fprintf(stderr, "lockdepctl: %s must be a positive number, not '", what);
                fputs_safe(s, stderr);
                fputs("'\n", stderr);
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

static int resolve_group_as(Store *s, const char *spec, bool write, int64_t *ret) {
        int r = store_resolve_live_group(s, spec, ret);
        if (r > 0) {
                fputs("lockdepctl: group ", stderr);
                fputs_safe(spec, stderr);
                if (write)
                        fprintf(stderr, " was merged into %lld; applying to %lld\n", (long long) *ret, (long long) *ret);
                else
                        fprintf(stderr, " was merged into %lld\n", (long long) *ret);
                return 0;
        }
        if (r >= 0)
                return r;
        fputs("lockdepctl: ", stderr);
        if (r == -EIDRM)
                fprintf(stderr, "%s\n", store_error(s));
        else if (r == -ENOENT) {
                fputs("no group matches '", stderr);
                fputs_safe(spec, stderr);
                fputs("'\n", stderr);
        } else if (r == -EEXIST) {
                fputs("'", stderr);
                fputs_safe(spec, stderr);
                fputs("' matches more than one group; give more of the signature\n", stderr);
        } else
                fprintf(stderr, "cannot look up group: %s\n",
                        store_error(s)[0] ? store_error(s) : strerror(-r));
        return r;
}

int resolve_group(Store *s, const char *spec, int64_t *ret) {
        return resolve_group_as(s, spec, false, ret);
}

int resolve_group_write(Store *s, const char *spec, int64_t *ret) {
        return resolve_group_as(s, spec, true, ret);
}

/* ---- safe output ----------------------------------------------------------------------------- */

/* Appends s escaped (common/visible.h, the rule the web pages follow too): C0 controls, DEL, C1
 * controls (U+0080..U+009F: 8-bit CSI and friends) and bytes that are not UTF-8 become \xNN, bidi
 * controls and other invisible format characters \uXXXX; text keeps newlines and tabs. */
static int escape_append(StrBuf *b, const char *s, bool text) {
        return visible_append(b, s, strlen(s), text ? VISIBLE_TEXT : 0);
}

char *escape_safe(const char *s) {
        StrBuf b = {};
        if (strbuf_puts(&b, "") < 0 || escape_append(&b, s ? s : "", false) < 0) {
                strbuf_done(&b);
                return NULL;
        }
        return strbuf_steal(&b);
}

static void fputs_escaped(const char *s, FILE *f, bool text) {
        StrBuf b = {};
        if (escape_append(&b, s, text) < 0)
                fputs("(out of memory)", f);
        else if (b.s)
                fputs(b.s, f);
        strbuf_done(&b);
}

void fputs_safe(const char *s, FILE *f) {
        fputs_escaped(s, f, false);
}

void fputs_text(const char *s, FILE *f) {
        fputs_escaped(s, f, true);
}

void print_json(const char *js) {
        for (const unsigned char *p = (const unsigned char *) js; *p; p++)
                if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] < 0xa0)
                        printf("\\u00%02x", *++p);
                else
                        putchar(*p);
        putchar('\n');
}

size_t text_width(const char *s) {
        size_t w = 0;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                w += (*p & 0xc0) != 0x80;
        return w;
}

const char *ansi_highlight(void) {
        return arg.colors ? "\033[1m" : "";
}

const char *ansi_grey(void) {
        return arg.colors ? "\033[38;5;245m" : "";
}

const char *ansi_normal(void) {
        return arg.colors ? "\033[0m" : "";
}

/* ---- JSON reading ---------------------------------------------------------------------------- */

static const char *skip_ws(const char *p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
                p++;
        return p;
}

/* The end of the value at p (which must be at its first character). */
static const char *skip_value(const char *p) {
        if (*p == '"') {
                for (p++; *p && *p != '"'; p++)
                        if (*p == '\\' && p[1])
                                p++;
                return *p ? p + 1 : p;
        }
        if (*p == '{' || *p == '[') {
                int depth = 0;
                for (; *p; p++) {
                        if (*p == '"') {
                                p = skip_value(p) - 1;
                                continue;
                        }
                        if (*p == '{' || *p == '[')
                                depth++;
                        else if ((*p == '}' || *p == ']') && --depth == 0)
                                return p + 1;
                }
                return p;
        }
        while (*p && !strchr(",}] \t\r\n", *p))
                p++;
        return p;
}

bool json_iter_init(JsonIter *it, const char *v) {
        if (!v)
                return false;
        v = skip_ws(v);
        if (*v != '[' && *v != '{')
                return false;
        *it = (JsonIter){ .p = v + 1, .object = *v == '{' };
        return true;
}

bool json_iter_next(JsonIter *it, const char **ret_key, const char **ret_value) {
        const char *p = skip_ws(it->p);
        if (*p == ',')
                p = skip_ws(p + 1);
        if (!*p || *p == ']' || *p == '}')
                return false;
        if (it->object) {
                if (*p != '"')
                        return false;
                if (ret_key)
                        *ret_key = p;
                p = skip_ws(skip_value(p));
                if (*p != ':')
                        return false;
                p = skip_ws(p + 1);
        } else if (ret_key)
                *ret_key = NULL;
        *ret_value = p;
        it->p = skip_value(p);
        return true;
}

const char *json_get(const char *obj, const char *key) {
        JsonIter it;
        const char *k, *v;
        size_t n = strlen(key);

        if (!json_iter_init(&it, obj) || !it.object)
                return NULL;
        while (json_iter_next(&it, &k, &v))
                if (strncmp(k + 1, key, n) == 0 && k[n + 1] == '"')
                        return v;
        return NULL;
}

static void append_utf8(StrBuf *b, unsigned cp) {
        if (cp < 0x80)
                strbuf_appendc(b, (char) cp);
        else if (cp < 0x800)
                strbuf_printf(b, "%c%c", 0xc0 | cp >> 6, 0x80 | (cp & 0x3f));
        else if (cp < 0x10000)
                strbuf_printf(b, "%c%c%c", 0xe0 | cp >> 12, 0x80 | (cp >> 6 & 0x3f),
                              0x80 | (cp & 0x3f));
        else
                strbuf_printf(b, "%c%c%c%c", 0xf0 | cp >> 18, 0x80 | (cp >> 12 & 0x3f),
                              0x80 | (cp >> 6 & 0x3f), 0x80 | (cp & 0x3f));
}

char *json_str(const char *v) {
        StrBuf b = {};

        if (!v || strncmp(v, "null", 4) == 0)
                return NULL;
        if (*v != '"') {
                const char *e = skip_value(v);
                return strndup(v, (size_t) (e - v));
        }
        strbuf_puts(&b, "");
        for (v++; *v && *v != '"'; v++) {
                if (*v != '\\') {
                        strbuf_appendc(&b, *v);
                        continue;
                }
                v++;
                switch (*v) {
                case 'n':
                        strbuf_appendc(&b, '\n');
                        break;
                case 't':
                        strbuf_appendc(&b, '\t');
                        break;
                case 'r':
                        strbuf_appendc(&b, '\r');
                        break;
                case 'b':
                        strbuf_appendc(&b, '\b');
                        break;
                case 'f':
                        strbuf_appendc(&b, '\f');
                        break;
                case 'u': {
                        unsigned cp, lo;
                        if (sscanf(v + 1, "%4x", &cp) != 1)
                                break;
                        v += 4;
                        if (cp >= 0xd800 && cp < 0xdc00 && v[1] == '\\' && v[2] == 'u' &&
                            sscanf(v + 3, "%4x", &lo) == 1 && lo >= 0xdc00 && lo < 0xe000) {
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                                v += 6;
                        }
                        if (cp == 0 || (cp >= 0xd800 && cp < 0xe000))
                                cp = 0xfffd;
                        append_utf8(&b, cp);
                        break;
                }
                case 0:
                        v--;
                        break;
                default: /* \" \\ \/ */
                        strbuf_appendc(&b, *v);
                }
        }
        return strbuf_steal(&b);
}

char *json_get_str(const char *obj, const char *key) {
        return json_str(json_get(obj, key));
}

int64_t json_get_int(const char *obj, const char *key, int64_t def) {
        const char *v = json_get(obj, key);
        if (!v || (*v != '-' && (*v < '0' || *v > '9')))
                return def;
        return strtoll(v, NULL, 10);
}

/* ---- query filters --------------------------------------------------------------------------- */

int query_option(int c, const char *optarg, StoreQuery *q) {
        static const char *const names[] = {
                [ARG_KIND - ARG_KIND] = "kind",   [ARG_STATUS - ARG_KIND] = "status", [ARG_HOST - ARG_KIND] = "host",
                [ARG_KERNEL - ARG_KIND] = "kernel", [ARG_LOCK - ARG_KIND] = "lock",   [ARG_SINCE - ARG_KIND] = "since",
                [ARG_UNTIL - ARG_KIND] = "until", [ARG_SORT - ARG_KIND] = "sort",     [ARG_LIMIT - ARG_KIND] = "limit",
                [ARG_OFFSET - ARG_KIND] = "offset", [ARG_ALL - ARG_KIND] = "suppressed",
        };
        const char *why = NULL;

        if (c < ARG_KIND || c >= _ARG_QUERY_MAX)
                return 0;
        /* the store's one reader of the filters, as the API's (store_query_set()) */
        int r = store_query_set(q, names[c - ARG_KIND], c == ARG_ALL ? "1" : optarg, time_now(), 0, &why);
        if (r < 0) {
                fprintf(stderr, "lockdepctl: --%s '", names[c - ARG_KIND]);
                fputs_safe(optarg, stderr);
                fprintf(stderr, "': %s\n", why ? why : strerror(-r));
                return -EINVAL;
        }
        return 1;
}

int list_option(int c, const char *optarg, StoreListQuery *q) {
        const char *name = c == ARG_SORT ? "sort" : c == ARG_ORDER ? "order" : c == ARG_LIMIT ? "limit"
                         : c == ARG_OFFSET ? "offset" : NULL;
        const char *why = NULL;
        if (!name)
                return 0;
        int r = store_list_query_set(q, name, optarg, false, &why);
        if (r < 0) {
                fprintf(stderr, "lockdepctl: --%s '", name);
                fputs_safe(optarg, stderr);
                fprintf(stderr, "': %s\n", why ? why : strerror(-r));
                return -EINVAL;
        }
        return 1;
}

void list_sorts_help(int list) {
        StoreList l = (StoreList) list;
        size_t col = 23;
        fputs("     --sort NAME      ", stdout);
        for (unsigned i = 0; store_list_sort_name(l, i); i++) {
                char piece[64];
                int n = snprintf(piece, sizeof(piece), "%s%s%s", store_list_sort_name(l, i), i == 0 ? " (default)" : "",
                                 store_list_sort_name(l, i + 1) ? "," : "");
                if (col + 1 + (size_t) n > 79) {
                        fputs("\n                      ", stdout);
                        col = 22;
                }
                printf(" %s", piece);
                col += 1 + (size_t) n;
        }
        putchar('\n');
}

void list_footer(Store *s, const StoreListQuery *q, const Output *o, int shown, const char *one, const char *many) {
        uint64_t total = 0;
        if ((q->limit || q->offset || o->lines) && store_count_list(s, q, &total) >= 0 && total > (uint64_t) shown)
                output_note(o, "\n%d of %llu %s shown; use --limit/--offset or -n to see more.\n", shown,
                            (unsigned long long) total, plural((long long) total, one, many));
}

int host_arg(const char *verb, const char *given, char *buf) {
        if (!given) {
                /* this machine's own name: whatever it is, a valid name stands for it */
                char local[256] = "";
                gethostname(local, sizeof(local) - 1);
                (void) host_name_sanitize(local, strlen(local), buf);
                return 0;
        }
        const char *why = host_name_check(given);
        if (why) {
                fprintf(stderr, "lockdepctl %s: --host: the name %s; give 1 to %d bytes of UTF-8 "
                        "without control, bidi or invisible format characters or backslashes\n",
                        verb, why, HOST_NAME_LEN_MAX);
                return -EINVAL;
        }
        (void) host_name_sanitize(given, strlen(given), buf); /* valid: a copy */
        return 0;
}

/* ---- output options -------------------------------------------------------------------------- */

const char *plural(long long n, const char *one, const char *many) {
        return n == 1 ? one : many;
}

int output_option(int c, const char *optarg, Output *o) {
        char *e;
        switch (c) {
        case ARG_JSON:
                o->mode = OUTPUT_JSON;
                return 1;
        case 'o':
                if (!strcmp(optarg, "short"))
                        o->mode = OUTPUT_SHORT;
                else if (!strcmp(optarg, "json"))
                        o->mode = OUTPUT_JSON;
                else if (!strcmp(optarg, "json-pretty"))
                        o->mode = OUTPUT_JSON_PRETTY;
                else {
                        fputs("lockdepctl: -o/--output '", stderr);
                        fputs_safe(optarg, stderr);
                        fputs("': expected short, json or json-pretty\n", stderr);
                        return -EINVAL;
                }
                return 1;
        case 'n': {
                errno = 0;
                unsigned long v = strtoul(optarg, &e, 10);
                if (errno || e == optarg || *e || optarg[0] == '-' || v == 0 || v > UINT32_MAX) {
                        fputs("lockdepctl: -n/--lines '", stderr);
                        fputs_safe(optarg, stderr);
                        fputs("': expected a positive number\n", stderr);
                        return -EINVAL;
                }
                o->lines = (unsigned) v;
                return 1;
        }
        case 'r':
                o->reverse = true;
                return 1;
        case ARG_NO_LEGEND:
                o->no_legend = true;
                return 1;
        case 'q':
                o->quiet = true;
                return 1;
        }
        return 0;
}

int output_row(Output *o, const char *js) {
        char **rows = realloc(o->rows, (o->n_rows + 1) * sizeof(char *));
        if (!rows)
                return -ENOMEM;
        o->rows = rows;
        rows[o->n_rows] = strdup(js);
        if (!rows[o->n_rows])
                return -ENOMEM;
        o->n_rows++;
        return 0;
}

/* Indents the JSON text js (valid, as the store writes it) by members, two spaces a level. */
static char *json_pretty(const char *js) {
        StrBuf b = {};
        unsigned depth = 0;
        bool in_string = false;

        strbuf_puts(&b, "");
        for (const char *p = js; *p; p++) {
                char ch = *p;
                if (in_string) {
                        strbuf_appendc(&b, ch);
                        if (ch == '\\' && p[1])
                                strbuf_appendc(&b, *++p);
                        else if (ch == '"')
                                in_string = false;
                        continue;
                }
                switch (ch) {
                case '"':
                        in_string = true;
                        strbuf_appendc(&b, ch);
                        break;
                case '{':
                case '[':
                        strbuf_appendc(&b, ch);
                        if (p[1] == '}' || p[1] == ']') {
                                strbuf_appendc(&b, *++p);
                                break;
                        }
                        depth++;
                        strbuf_printf(&b, "\n%*s", (int) depth * 2, "");
                        break;
                case '}':
                case ']':
                        depth = depth ? depth - 1 : 0;
                        strbuf_printf(&b, "\n%*s%c", (int) depth * 2, "", ch);
                        break;
                case ',':
                        strbuf_printf(&b, ",\n%*s", (int) depth * 2, "");
                        break;
                case ':':
                        strbuf_puts(&b, ": ");
                        break;
                case ' ':
                case '\n':
                case '\t':
                case '\r':
                        break;
                default:
                        strbuf_appendc(&b, ch);
                }
        }
        return strbuf_steal(&b);
}

void output_json_object(const Output *o, const char *js) {
        if (o->mode != OUTPUT_JSON_PRETTY) {
                print_json(js);
                return;
        }
        _cleanup_free_ char *p = json_pretty(js);
        print_json(p ? p : js);
}

void output_done(Output *o) {
        for (size_t i = 0; i < o->n_rows; i++)
                free(o->rows[i]);
        free(o->rows);
        o->rows = NULL;
        o->n_rows = 0;
}

size_t output_shown(const Output *o, size_t n) {
        return o->lines && o->lines < n ? o->lines : n;
}

size_t output_index(const Output *o, size_t n, size_t k) {
        size_t shown = output_shown(o, n), first = o->newest_last ? n - shown : 0;
        return first + (o->reverse ? shown - 1 - k : k);
}

int output_flush(Output *o, int (*add)(const char *js, void *userdata), void *userdata) {
        size_t n = output_shown(o, o->n_rows);
        int r = 0;

        for (size_t i = 0; i < n && r >= 0; i++) {
                const char *js = o->rows[output_index(o, o->n_rows, i)];
                if (output_json(o))
                        output_json_object(o, js);
                else
                        r = add(js, userdata);
        }
        output_done(o);
        return r < 0 ? r : (int) n;
}

void output_note(const Output *o, const char *fmt, ...) {
        va_list ap;
        if (o->quiet || o->no_legend)
                return;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
}

/* ---- the newest group or report (show, report without an ID) ------------------------------- */

int newest_id(Store *s, bool reports, int64_t *ret) {
        /* what list and reports -r -n 1 show first: the newest by time, then by id */
        StoreQuery q = { .sort = STORE_SORT_LAST_SEEN, .limit = 1 };
        StoreGroupList groups = {};
        StoreReportList reps = {};
        int r = reports ? store_report_list(s, &q, &reps) : store_group_list(s, &q, &groups);
        int64_t id = reports ? (reps.n ? reps.v[0].id : 0) : (groups.n ? groups.v[0].id : 0);
        store_group_list_free(&groups);
        store_report_list_free(&reps);
        if (r < 0)
                return store_failed(s, r, reports ? "finding the newest report" : "finding the newest group");
        if (id <= 0) {
                fprintf(stderr, "lockdepctl: no %s stored yet\n", reports ? "report" : "group");
                return 1;
        }
        *ret = id;
        return 0;
}
