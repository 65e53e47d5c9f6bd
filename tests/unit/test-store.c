/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * store/: a real SQLite file in a temporary directory.
 *  - the same report stored twice is one row; a group counts reports and hosts
 *  - triage (status, note, merge, split) survives reparse
 *  - a foreign SQLite file, a newer schema and a non-database are refused and left untouched
 *  - group queries: filters, resolve by id and signature prefix, JSON is well-formed
 *  - typed list views: the rows, their one serializer, times as SQLite writes them
 *  - the suppression view: rules, their activity, the rules that match a group; the counters
 *  - reports.parsed is stored deflated and reads back as the parse's JSON; a TEXT value (rows
 *    from before schema 0005) reads the same; a damaged one is an error, not an answer
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <time.h>

#include "lockdep.h"
#include "store.h"
#include "tap.h"

static const char report_a[] =
        "[   36.345030] ======================================================\n"
        "[   36.351334] WARNING: possible circular locking dependency detected\n"
        "[   36.357637] 4.15.0+ #221 Not tainted\n"
        "[   36.361324] ------------------------------------------------------\n"
        "[   36.361330] syz-executor5/5807 is trying to acquire lock:\n"
        "[   36.361332]  (sk_lock-AF_INET){+.+.}, at: [<0000000046bbd7df>] do_ip_setsockopt.isra.12+0x1d9/0x3210\n"
        "[   36.361358] \n"
        "[   36.361358] but task is already holding lock:\n"
        "[   36.361360]  (rtnl_mutex){+.+.}, at: [<00000000366b10e7>] rtnl_lock+0x17/0x20\n"
        "[   36.361378] \n"
        "[   36.361380] the existing dependency chain (in reverse order) is:\n"
        "[   36.361382] \n"
        "[   36.361382] -> #1 (rtnl_mutex){+.+.}:\n"
        "[   36.421860]        __mutex_lock+0x16f/0x1a80\n"
        "[   36.430819]        rtnl_lock+0x17/0x20\n"
        "[   36.485909] \n"
        "[   36.546349] -> #0 (sk_lock-AF_INET){+.+.}:\n"
        "[   36.552040]        lock_acquire+0x1d5/0x580\n"
        "[   36.556332]        lock_sock_nested+0xc2/0x110\n"
        "[   36.560883]        do_ip_setsockopt.isra.12+0x1d9/0x3210\n"
        "[   36.660004] \n"
        "[   36.660004] stack backtrace:\n"
        "[   36.664481] CPU: 0 PID: 5807 Comm: syz-executor5 Not tainted 4.15.0+ #221\n"
        "[   36.680701] Call Trace:\n"
        "[   36.683264]  dump_stack+0x194/0x257\n"
        "[   36.814876]  lock_sock_nested+0xc2/0x110\n"
        "[   36.823984]  do_ip_setsockopt.isra.12+0x1d9/0x3210\n";

static char dir[] = "/tmp/test-store-XXXXXX";
static char db[256];

typedef struct Ctx {
        Store *s;
        StoreOrigin o;
        int stored;
} Ctx;

static int on_report(const LockdepEvent *ev, void *userdata) {
        Ctx *c = userdata;
        if (ev->type != LOCKDEP_EVENT_REPORT)
                return 0;
        int r = store_add_report(c->s, &c->o, ev->report, NULL, NULL);
        if (r > 0)
                c->stored++;
        return r < 0 ? r : 0;
}

/* Parses text (with its timestamps shifted by shift seconds) into the store for host. */
static int add(Store *s, const char *host, const char *text, int shift) {
        Ctx c = { .s = s, .o = { .hostname = host, .boot_id = "b1", .source = "test", .realtime = 1700000000000000ULL } };
        LockdepOptions o = { .callback = on_report, .userdata = &c };
        LockdepParser *p;
        char *t = strdup(text);
        for (char *q = t; shift && (q = strstr(q, "[   36.")); q += 7)
                q[5] = (char) ('0' + shift); /* "[   36." -> "[   3N." */
        assert(lockdep_parser_new(&o, &p) >= 0);
        assert(store_begin(s) >= 0);
        assert(lockdep_parser_feed(p, t, strlen(t)) >= 0);
        assert(lockdep_parser_finish(p) >= 0);
        assert(store_commit(s) >= 0);
        lockdep_parser_free(p);
        free(t);
        return c.stored;
}

static int64_t scalar(const char *sql) {
        sqlite3 *d;
        sqlite3_stmt *st;
        int64_t v = -1;
        assert(sqlite3_open_v2(db, &d, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
        assert(sqlite3_prepare_v2(d, sql, -1, &st, NULL) == SQLITE_OK);
        if (sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(d);
        return v;
}

static Store *fresh(void) {
        Store *s = NULL;
        unlink(db);
        int r = store_open(db, STORE_CHECK, &s);
        CHECK_MSG(r >= 0, "store_open: %s", store_error(s));
        return s;
}

TEST(dedup_and_counts) {
        Store *s = fresh();
        CHECK(add(s, "h1", report_a, 0) == 1);
        CHECK(add(s, "h1", report_a, 0) == 0);  /* the same report again: nothing new */
        CHECK(add(s, "h2", report_a, 0) == 1);  /* another host: another report */
        CHECK(add(s, "h1", report_a, 7) == 1);  /* another time stamp: another occurrence */
        store_close(s);
        CHECK(scalar("SELECT count(*) FROM reports") == 3);
        CHECK(scalar("SELECT count(*) FROM groups") == 1);
        CHECK(scalar("SELECT n_reports FROM groups") == 3);
        CHECK(scalar("SELECT n_hosts FROM groups") == 2);
        CHECK(scalar("SELECT count(*) FROM lock_edges") == 2);
}

static int collect(const char *js, void *userdata) {
        char **out = userdata;
        size_t n = *out ? strlen(*out) : 0;
        *out = realloc(*out, n + strlen(js) + 2);
        strcpy(*out + n, js);
        strcat(*out, "\n");
        return 0;
}

TEST(triage_survives_reparse) {
        Store *s = fresh();
        add(s, "h1", report_a, 0);
        add(s, "h1", report_a, 7);
        int64_t g = 0, other = 0;
        CHECK(store_resolve_group(s, "1", &g) == 0 && g == 1);
        CHECK(store_set_triage(s, g, "fixed-in 6.9", "seen on CI") == 0);
        CHECK(store_set_triage(s, g, "bogus", NULL) == -EINVAL);
        CHECK(store_set_triage(s, 999, "confirmed", NULL) == -ENOENT);
        int64_t reports[] = { 2 };
        CHECK(store_split_group(s, g, reports, 1, &other) == 0 && other > g);
        unsigned n = 0, changed = 0;
        CHECK(store_reparse(s, NULL, &n, &changed) == 0);
        CHECK(n == 2);
        store_close(s);
        CHECK(scalar("SELECT count(*) FROM groups") == 2);
        CHECK(scalar("SELECT count(*) FROM groups WHERE status = 'fixed-in 6.9' AND note = 'seen on CI'") == 1);
        CHECK(scalar("SELECT count(*) FROM groups WHERE n_reports = 1") == 2);

        /* merge back, reparse again: still one group */
        assert(store_open(db, 0, &s) >= 0);
        int64_t a = scalar("SELECT min(id) FROM groups"), b = scalar("SELECT max(id) FROM groups");
        CHECK(store_merge_groups(s, a, b) == 0);
        CHECK(store_merge_groups(s, a, a) == -EINVAL);
        CHECK(store_reparse(s, NULL, &n, &changed) == 0);
        store_close(s);
        CHECK(scalar("SELECT count(*) FROM groups") == 1);
        CHECK(scalar("SELECT n_reports FROM groups") == 2);
        CHECK(scalar("SELECT count(*) FROM triage_log") == 4); /* status, note, split, merge */
}

TEST(queries) {
        Store *s = fresh();
        char *out = NULL, *js = NULL;
        add(s, "h1", report_a, 0);
        add(s, "h2", report_a, 1);
        store_close(s);
        assert(store_open(db, STORE_READ_ONLY, &s) >= 0);
        StoreQuery q = { .host = "h2" };
        uint64_t n = 0;
        CHECK(store_count_groups(s, &q, &n) == 0 && n == 1);
        q = (StoreQuery) { .lock = "rtnl_mutex", .kind = "circular" };
        CHECK(store_list_groups(s, &q, collect, &out) == 0);
        CHECK(out && strstr(out, "\"n_hosts\":2"));
        q = (StoreQuery) { .lock = "no-such-lock" };
        CHECK(store_count_groups(s, &q, &n) == 0 && n == 0);
        int64_t g;
        char sig[8];
        snprintf(sig, sizeof(sig), "%.6s", strstr(out, "\"signature\":\"") + 13);
        CHECK(store_resolve_group(s, sig, &g) == 0 && g == 1);
        CHECK(store_resolve_group(s, "zz", &g) == -EINVAL);
        CHECK(store_group_json(s, 1, &js) == 0);
        CHECK(js && strstr(js, "\"hosts\":[") && strstr(js, "\"from\":\"rtnl_mutex\""));
        CHECK(store_group_json(s, 42, &js) == -ENOENT);
        free(out);
        store_close(s);
}

/* The typed views and their one serializer: the list's JSON rows are the serializer's objects of
 * the view's rows, times are SQLite's ISO form, hostile text is escaped. */
TEST(typed_views) {
        Store *s = fresh();
        add(s, "h1", report_a, 0);
        add(s, "h2", report_a, 1);
        store_close(s);
        assert(store_open(db, STORE_READ_ONLY, &s) >= 0);
        StoreGroupList l;
        StoreQuery q = { .sort = STORE_SORT_ID };
        CHECK(store_group_list(s, &q, &l) == 0 && l.n == 1);
        CHECK(l.n == 1 && l.v[0].id == 1 && l.v[0].n_reports == 2 && l.v[0].n_hosts == 2 && !l.v[0].suppressed);
        CHECK(l.n == 1 && !strcmp(l.v[0].kind, "circular") && !strcmp(l.v[0].status, "new") && !l.v[0].note);
        char *rows = NULL;
        CHECK(store_list_groups(s, &q, collect, &rows) == 0);
        StrBuf b = {};
        CHECK(l.n == 1 && store_group_row_json(&l.v[0], &b) == 0);
        CHECK(rows && b.s && strstr(rows, b.s)); /* the row callback hands out the same object */
        CHECK(b.s && strstr(b.s, "\"note\":null,") && strstr(b.s, "\"suppressed\":0}"));
        store_group_list_free(&l);
        CHECK(l.v == NULL && l.n == 0);
        strbuf_done(&b);
        free(rows);

        StoreReportList rl;
        CHECK(store_report_list(s, &q, &rl) == 0 && rl.n == 2);
        CHECK(rl.n == 2 && rl.v[0].group == 1 && !strcmp(rl.v[1].host, "h2") && !rl.v[0].truncated);
        store_report_list_free(&rl);
        StoreQuery bad = { .sort = STORE_SORT_REPORTS };
        CHECK(store_report_list(s, &bad, &rl) == -EINVAL && rl.n == 0);
        store_report_list_free(&rl);

        char t[STORE_TIME_MAX];
        CHECK(store_time_iso(0, t) && !strcmp(t, "1970-01-01T00:00:00Z"));
        CHECK(store_time_iso(INT64_C(1764720000) * 1000000 + 999999, t) && !strcmp(t, "2025-12-03T00:00:00Z"));
        CHECK(store_time_iso(INT64_C(-62135596800) * 1000000, t) && !strcmp(t, "0001-01-01T00:00:00Z"));
        CHECK(!store_time_iso(INT64_C(253402300800) * 1000000, t)); /* year 10000: null, as SQLite */
        /* the same text as SQLite's strftime() for these times */
        sqlite3 *m;
        assert(sqlite3_open(":memory:", &m) == SQLITE_OK);
        int64_t secs[2000] = { 0, 1, 951782400, 1764754199, -1, -86401, 4102444800, -62135596800, -62167219200,
                               253402300799, 951868800, 4107542400 };
        uint64_t x = 88172645463325252ULL; /* and the rest anywhere in the years 0000..9999 */
        for (size_t i = 12; i < sizeof(secs) / sizeof(secs[0]); i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                secs[i] = (int64_t) (x % (253402300799ULL + 62167219200ULL)) - INT64_C(62167219200);
        }
        for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
                sqlite3_stmt *st;
                assert(sqlite3_prepare_v2(m, "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', ?1 / 1000000, 'unixepoch')", -1, &st,
                                          NULL) == SQLITE_OK);
                sqlite3_bind_int64(st, 1, secs[i] * 1000000 + 123);
                assert(sqlite3_step(st) == SQLITE_ROW);
                const char *want = (const char *) sqlite3_column_text(st, 0);
                const char *got = store_time_iso(secs[i] * 1000000 + 123, t);
                CHECK(want && got && !strcmp(want, got));
                sqlite3_finalize(st);
        }
        sqlite3_close(m);

        StoreGroupRow hostile = { .id = 7, .kind = "circular", .key = "a\"b\n\x01", .signature = "s", .status = "new" };
        CHECK(store_group_row_json(&hostile, &b) == 0);
        CHECK(b.s && strstr(b.s, "\"key\":\"a\\\"b\\u000a\\u0001\"") && strstr(b.s, "\"func_title\":null"));
        strbuf_done(&b);
        store_close(s);
}

/* text with every from replaced by to (malloc()ed) */
static char *replace_all(const char *text, const char *from, const char *to) {
        StrBuf b = {};
        size_t fl = strlen(from);
        for (const char *p = text, *q; *p; p = q + fl) {
                q = strstr(p, from);
                if (!q) {
                        assert(strbuf_puts(&b, p) >= 0);
                        break;
                }
                assert(strbuf_append(&b, p, (size_t) (q - p)) >= 0 && strbuf_puts(&b, to) >= 0);
        }
        return strbuf_steal(&b);
}

typedef struct Occ {
        const char *host, *release, *task;
        int days_ago;
} Occ;

/* One report of report_a on host, on a boot of release, by task, seen days_ago days ago; shift
 * makes its kernel timestamp its own. */
static void add_occ(Store *s, const Occ *x, int shift, uint64_t now) {
        _cleanup_free_ char *t1 = replace_all(report_a, "4.15.0+", x->release);
        _cleanup_free_ char *t2 = replace_all(t1, "syz-executor5", x->task);
        char boot[64];
        snprintf(boot, sizeof(boot), "boot-%s", x->release);
        Ctx c = { .s = s, .o = { .hostname = x->host, .boot_id = boot, .source = "test",
                                 .realtime = now - (uint64_t) x->days_ago * 86400 * 1000000 } };
        LockdepOptions o = { .callback = on_report, .userdata = &c };
        LockdepParser *p;
        for (char *q = t2; (q = strstr(q, "[   36.")); q += 7)
                q[5] = (char) ('0' + shift);
        assert(lockdep_parser_new(&o, &p) >= 0);
        assert(store_begin(s) >= 0);
        assert(lockdep_parser_feed(p, t2, strlen(t2)) >= 0);
        assert(lockdep_parser_finish(p) >= 0);
        assert(store_commit(s) >= 0);
        lockdep_parser_free(p);
        CHECK_MSG(c.stored == 1, "report on %s %s not stored", x->host, x->release);
}

/* The typed group detail on a database built for the question: kernels by version whatever the
 * order the releases arrived in, hosts, tasks and days counted, the page of occurrences with the
 * total of the same read, and its serializer the object of store_group_json(). */
TEST(group_detail) {
        static const Occ occ[] = {
                { "h1", "6.10", "syz-executor5", 0 },       { "h2", "6.10", "syz-executor5", 0 },
                { "h3", "6.10", "trinity-c3", 1 },          { "h1", "6.9", "syz-executor5", 1 },
                { "h1", "6.10-rc2", "trinity-c3", 0 },      { "h2", "6.10-rc2", "syz-executor5", 5 },
                { "h1", "6.1.55", "syz-executor5", 200 },   { "h2", "5.15.0-91-generic", "trinity-c3", 1 },
                { "h3", "5.15.0-91-generic", "syz-executor5", 0 },
        };
        static const char *const kernels[] = { "6.10", "6.10-rc2", "6.9", "6.1.55", "5.15.0-91-generic" };
        static const int64_t kernel_n[] = { 3, 2, 1, 1, 2 };
        uint64_t now = (uint64_t) time(NULL) * 1000000;
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (unsigned round = 0; round < 24; round++) {
                size_t order[ELEMENTSOF(occ)];
                for (size_t i = 0; i < ELEMENTSOF(occ); i++)
                        order[i] = i;
                for (size_t i = ELEMENTSOF(occ) - 1; round > 0 && i > 0; i--) { /* round 0: as listed */
                        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                        size_t j = (size_t) (x % (i + 1)), t = order[i];
                        order[i] = order[j];
                        order[j] = t;
                }
                Store *s = fresh();
                for (size_t i = 0; i < ELEMENTSOF(occ); i++)
                        add_occ(s, &occ[order[i]], (int) order[i], now);
                store_close(s);
                assert(store_open(db, STORE_READ_ONLY, &s) >= 0);

                StoreGroupDetail d;
                StoreDetailQuery q = { .occurrences = true, .occ_offset = 2, .occ_limit = 3, .report = true };
                CHECK(store_group_detail(s, 1, &q, &d) == 0);
                CHECK(d.row.id == 1 && d.row.n_reports == 9 && d.row.n_hosts == 3 && !strcmp(d.row.kind, "circular"));
                CHECK(d.row.kernel_first && !strcmp(d.row.kernel_first, "5.15.0-91-generic"));
                CHECK(d.row.kernel_last && !strcmp(d.row.kernel_last, "6.10"));
                CHECK_MSG(d.n_kernels == ELEMENTSOF(kernels), "round %u: %zu kernels", round, d.n_kernels);
                for (size_t i = 0; i < d.n_kernels && i < ELEMENTSOF(kernels); i++)
                        CHECK_MSG(!strcmp(d.kernels[i].name, kernels[i]) && d.kernels[i].n == kernel_n[i],
                                  "round %u: kernel %zu is %s (%lld)", round, i, d.kernels[i].name, (long long) d.kernels[i].n);
                CHECK(d.n_hosts == 3 && !strcmp(d.hosts[0].name, "h1") && d.hosts[0].n == 4 && !strcmp(d.hosts[1].name, "h2") &&
                      d.hosts[1].n == 3 && !strcmp(d.hosts[2].name, "h3") && d.hosts[2].n == 2);
                CHECK(d.n_tasks == 2 && !strcmp(d.tasks[0].name, "syz-executor5") && d.tasks[0].n == 6 &&
                      !strcmp(d.tasks[1].name, "trinity-c3") && d.tasks[1].n == 3);
                /* the last 90 days, oldest first: the report of 200 days ago is not in them */
                CHECK_MSG(d.n_daily == 3 && d.daily[0].n == 1 && d.daily[1].n == 3 && d.daily[2].n == 4,
                          "round %u: %zu days", round, d.n_daily);
                CHECK(d.n_classes == 2 && d.n_edges == 2 && !d.row.suppressed && d.n_suppressed_by == 0);
                /* the parser's sites: the first frame that is no locking function, none when every frame is one */
                for (size_t i = 0; i < d.n_edges; i++)
                        CHECK(!strcmp(d.edges[i].from, "rtnl_mutex") ? d.edges[i].site && !strcmp(d.edges[i].site, "do_ip_setsockopt")
                                                                    : !d.edges[i].site);
                CHECK(d.holding_at && !strncmp(d.holding_at, "rtnl_lock", 9));
                CHECK(d.n_chain == 2 && d.chain[0].n_stack > 0);
                CHECK(d.n_normalizations == 0 && d.n_triage == 0);
                /* the page: 3 of 9 from the third, by id */
                CHECK(d.n_occurrences == 9 && d.occurrences.n == 3);
                for (size_t i = 0; i < d.occurrences.n; i++)
                        CHECK(d.occurrences.v[i].id == (int64_t) i + 3 && d.occurrences.v[i].group == 1);
                /* the representative: the newest complete report, read with the rest */
                CHECK(d.representative > 0 && d.report.row.id == d.representative && d.report.raw[0]);
                bool marked = false;
                for (size_t i = 0; i < d.report.n_marks; i++)
                        marked |= !strcmp(d.report.marks[i], "rtnl_mutex");
                CHECK(marked && d.report.task && d.report.first_line > 0);

                /* one serializer: the object of store_group_json() and store_report_json() */
                StoreGroupDetail api;
                StrBuf b = {}, rb = {};
                char *js = NULL, *rjs = NULL;
                CHECK(store_group_detail(s, 1, NULL, &api) == 0 && store_group_detail_json(&api, &b) == 0);
                CHECK(store_group_json(s, 1, &js) == 0 && b.s && js && !strcmp(b.s, js));
                CHECK(api.occurrences.n == 0 && api.report.row.id == 0);
                CHECK(store_report_detail_json(&d.report, &rb) == 0);
                CHECK(store_report_json(s, d.representative, &rjs) == 0 && rb.s && rjs && !strcmp(rb.s, rjs));
                CHECK(js && strstr(js, "\"kernels\":[{\"kernel\":\"6.10\",\"n\":3},{\"kernel\":\"6.10-rc2\",\"n\":2},"));
                free(js);
                free(rjs);
                strbuf_done(&b);
                strbuf_done(&rb);
                store_group_detail_free(&api);
                store_group_detail_free(&d);
                CHECK(d.n_kernels == 0 && d.mem_ == NULL);
                CHECK(store_group_detail(s, 2, NULL, &d) == -ENOENT);
                store_group_detail_free(&d);
                StoreReportDetail rd;
                CHECK(store_report_detail(s, 99, &rd) == -ENOENT);
                store_report_detail_free(&rd);
                store_close(s);
        }
}

static int64_t task_n(const StoreGroupDetail *d, const char *task) {
        for (size_t i = 0; i < d->n_tasks; i++)
                if (!strcmp(d->tasks[i].name, task))
                        return d->tasks[i].n;
        return 0;
}

static void detail(Store *s, int64_t id, StoreGroupDetail *d) {
        store_group_detail_free(d);
        CHECK_MSG(store_group_detail(s, id, NULL, d) == 0, "group %lld: %s", (long long) id, store_error(s));
}

/* The per-group tasks and printed names (schema 0013) follow reports through split and merge, and
 * a report with the signature of a group merged away lands in the group it went into. */
TEST(group_detail_moves) {
        static const Occ a[] = {
                { "h1", "6.1", "syz-executor5", 0 }, { "h1", "6.2", "syz-executor5", 0 }, { "h1", "6.3", "syz-executor5", 0 },
                { "h2", "6.1", "trinity-c3", 0 },    { "h2", "6.2", "trinity-c3", 0 },
        };
        uint64_t now = (uint64_t) time(NULL) * 1000000;
        Store *s = fresh();
        for (size_t i = 0; i < ELEMENTSOF(a); i++)
                add_occ(s, &a[i], (int) i, now);
        /* another group: another lock acquired, the held one printed as "rtnl_mutex#2" (a name of its own) */
        _cleanup_free_ char *other1 = replace_all(report_a, "rtnl_mutex", "rtnl_mutex#2");
        _cleanup_free_ char *other = replace_all(other1, "sk_lock-AF_INET", "xfrm_cfg_mutex");
        CHECK(add(s, "h3", other, 0) == 1);
        StoreGroupDetail d = {};
        detail(s, 1, &d);
        CHECK(d.row.n_reports == 5 && task_n(&d, "syz-executor5") == 3 && task_n(&d, "trinity-c3") == 2);
        detail(s, 2, &d);
        CHECK(d.row.n_reports == 1 && d.n_normalizations == 1 && !strcmp(d.normalizations[0].printed, "rtnl_mutex#2") &&
              !strcmp(d.normalizations[0].canonical, "rtnl_mutex"));

        /* split the trinity reports (ids 4, 5) off group 1 */
        int64_t moved[] = { 4, 5 }, split = 0;
        CHECK(store_split_group(s, 1, moved, 2, &split) == 0 && split == 3);
        detail(s, 1, &d);
        CHECK(d.row.n_reports == 3 && task_n(&d, "syz-executor5") == 3 && task_n(&d, "trinity-c3") == 0 && d.n_tasks == 1);
        detail(s, split, &d);
        CHECK(d.row.n_reports == 2 && task_n(&d, "trinity-c3") == 2 && d.n_tasks == 1);

        /* merge group 2 into the split group: counts add, names go along */
        CHECK(store_merge_groups(s, split, 2) == 0);
        detail(s, split, &d);
        CHECK(d.row.n_reports == 3 && task_n(&d, "trinity-c3") == 2 && task_n(&d, "syz-executor5") == 1);
        CHECK(d.n_normalizations == 1);
        /* group 2's signature again: into the group it was merged into, not a new group 2 */
        CHECK(add(s, "h4", other, 3) == 1);
        detail(s, split, &d);
        CHECK(d.row.n_reports == 4 && task_n(&d, "syz-executor5") == 2 && d.row.n_hosts == 3);
        CHECK(scalar("SELECT count(*) FROM groups") == 2);
        store_group_detail_free(&d);
        store_close(s);
}

static void exec_sql(const char *sql) {
        sqlite3 *d;
        assert(sqlite3_open(db, &d) == SQLITE_OK);
        assert(sqlite3_exec(d, sql, NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(d);
}

/* The suppression view: every rule with its activity; for a group, the active rules that match
 * it (its class, its edge) and not the expired one; the API object from the serializer. */
TEST(suppression_view) {
        Store *s = fresh();
        add(s, "h1", report_a, 0);
        int64_t id1, id2;
        CHECK(store_add_suppression(s, "rtnl_mutex", NULL, NULL, 0, "known", &id1) == 0);
        CHECK(store_add_suppression(s, NULL, "rtnl_mutex", "sk_lock-AF_INET", 0, NULL, &id2) == 0);
        CHECK(store_add_suppression(s, "no_such_class", NULL, NULL, 0, NULL, NULL) == -EINVAL);
        store_close(s);
        /* expired a second after 1970: refused by store_add_suppression(), so written directly */
        exec_sql("INSERT INTO suppressions (class, expires, created) VALUES ('sk_lock-AF_INET', 1000000, 0)");
        assert(store_open(db, STORE_READ_ONLY, &s) >= 0);
        StoreSuppressionList l;
        CHECK(store_suppression_list(s, 0, &l) == 0 && l.n == 3);
        CHECK(l.n == 3 && l.v[0].id == id1 && !strcmp(l.v[0].cls, "rtnl_mutex") && !l.v[0].edge_from &&
              l.v[0].expires == STORE_NONE && !strcmp(l.v[0].note, "known") && l.v[0].active);
        CHECK(l.n == 3 && l.v[1].id == id2 && !l.v[1].cls && !strcmp(l.v[1].edge_to, "sk_lock-AF_INET") && l.v[1].active);
        CHECK(l.n == 3 && !l.v[2].active && l.v[2].expires == 1000000 && l.v[2].created == 0);
        StrBuf b = {};
        CHECK(store_suppression_list_json(&l, &b) == 0);
        static const char head[] = "{\"suppressions\":[{\"id\":1,\"class\":\"rtnl_mutex\",\"edge_from\":null,"
                                   "\"edge_to\":null,\"expires\":null,\"note\":\"known\",\"created\":";
        CHECK(b.s && !strncmp(b.s, head, strlen(head)));
        CHECK(b.s && strstr(b.s, "{\"id\":3,\"class\":\"sk_lock-AF_INET\",\"edge_from\":null,\"edge_to\":null,"
                                 "\"expires\":\"1970-01-01T00:00:01Z\",\"note\":null,\"created\":\"1970-01-01T00:00:00Z\","
                                 "\"active\":0}]}"));
        strbuf_done(&b);
        store_suppression_list_free(&l);
        CHECK(l.v == NULL && l.n == 0);
        CHECK(store_suppression_list(s, 1, &l) == 0 && l.n == 2 && l.v[0].id == id1 && l.v[1].id == id2);
        store_suppression_list_free(&l);
        CHECK(store_suppression_list(s, 99, &l) == 0 && l.n == 0); /* no such group: no rule */
        store_suppression_list_free(&l);
        StoreStats st;
        CHECK(store_stats(s, &st) == 0 && st.groups == 0 && st.groups_suppressed == 1 && st.suppressions == 3 &&
              st.reports == 1 && st.n_by_kind == 0);
        store_stats_free(&st);
        store_close(s);
}

static void write_file(const char *path, const char *data, size_t n) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert(fd >= 0 && write(fd, data, n) == (ssize_t) n);
        close(fd);
}

static bool same_file(const char *path, const char *data, size_t n) {
        char buf[8192];
        int fd = open(path, O_RDONLY);
        ssize_t k = read(fd, buf, sizeof(buf));
        close(fd);
        return k == (ssize_t) n && memcmp(buf, data, n) == 0;
}

TEST(refuses_foreign_databases) {
        Store *s = NULL;
        static const char junk[] = "this is not a database at all, not even close.............................................";
        write_file(db, junk, sizeof(junk));
        CHECK(store_open(db, STORE_CHECK, &s) == -EBADMSG);
        s = store_close(s);
        CHECK(same_file(db, junk, sizeof(junk)));

        sqlite3 *d;
        unlink(db);
        assert(sqlite3_open(db, &d) == SQLITE_OK);
        assert(sqlite3_exec(d, "PRAGMA user_version = 99; PRAGMA application_id = 1280001104; CREATE TABLE x (a);", 0, 0, 0) == SQLITE_OK);
        sqlite3_close(d);
        struct stat before, after;
        stat(db, &before);
        CHECK(store_open(db, 0, &s) == -EPROTO);
        CHECK(strstr(store_error(s), "newer") != NULL);
        s = store_close(s);
        stat(db, &after);
        CHECK(before.st_size == after.st_size && before.st_mtime == after.st_mtime);

        unlink(db);
        assert(sqlite3_open(db, &d) == SQLITE_OK);
        assert(sqlite3_exec(d, "CREATE TABLE mine (a); INSERT INTO mine VALUES (1);", 0, 0, 0) == SQLITE_OK);
        sqlite3_close(d);
        CHECK(store_open(db, 0, &s) == -EBADMSG);
        s = store_close(s);
        CHECK(scalar("SELECT count(*) FROM mine") == 1);
}

static int capture_json(const LockdepEvent *ev, void *userdata) {
        char **out = userdata;
        if (ev->type == LOCKDEP_EVENT_REPORT && !*out)
                assert(lockdep_report_to_json(ev->report, out) >= 0);
        return 0;
}

TEST(parsed_packed) {
        char *want = NULL, *js = NULL, *sql = NULL;
        LockdepOptions o = { .callback = capture_json, .userdata = &want };
        LockdepParser *p;
        assert(lockdep_parser_new(&o, &p) >= 0);
        assert(lockdep_parser_feed(p, report_a, strlen(report_a)) >= 0);
        assert(lockdep_parser_finish(p) >= 0);
        lockdep_parser_free(p);
        assert(want);

        Store *s = fresh();
        CHECK(add(s, "h1", report_a, 0) == 1);
        CHECK(scalar("SELECT typeof(parsed) = 'blob' FROM reports") == 1);
        CHECK(scalar("SELECT length(parsed) FROM reports") * 2 < (int64_t) strlen(want));
        CHECK(store_report_json(s, 1, &js) >= 0);
        CHECK_MSG(js && strstr(js, want), "parsed read back: %s", js);
        free(js);
        js = NULL;

        /* a row written before 0005: the JSON as TEXT */
        assert(asprintf(&sql, "UPDATE reports SET parsed = '%s'", want) > 0 && !strchr(want, '\''));
        exec_sql(sql);
        CHECK(scalar("SELECT typeof(parsed) = 'text' FROM reports") == 1);
        CHECK(store_report_json(s, 1, &js) >= 0);
        CHECK_MSG(js && strstr(js, want), "TEXT parsed read back: %s", js);
        free(js);
        js = NULL;

        /* a damaged stream (a zlib header, then garbage): the read fails */
        exec_sql("UPDATE reports SET parsed = x'789cdeadbeef'");
        CHECK(store_report_json(s, 1, &js) < 0);
        CHECK(strstr(store_error(s), "damaged") != NULL);
        free(js);
        store_close(s);
        free(sql);
        free(want);
}

static void setup(void) {
        assert(mkdtemp(dir));
        snprintf(db, sizeof(db), "%s/db.sqlite", dir);
}

int main(int argc, char **argv) {
        setup();
        static const TapTest tests[] = {
                T(dedup_and_counts),
                T(triage_survives_reparse),
                T(queries),
                T(typed_views),
                T(group_detail),
                T(group_detail_moves),
                T(suppression_view),
                T(refuses_foreign_databases),
                T(parsed_packed),
        };
        tap_argc = argc;
        tap_argv = argv;
        int r = tap_run(tests, sizeof(tests) / sizeof(tests[0]));
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        (void) system(cmd);
        return r;
}
