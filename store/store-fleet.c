/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fleet views (DESIGN.md section 8): hosts and kernel releases with what was seen on them, as
 * typed views (store.h) whose JSON store-views.c writes; every filter is a bound parameter.
 *
 * Kernel releases are ordered by kernel_release_compare(), which the connection also knows as the
 * collation "kernel_version" (registered by store_open() through store_fleet_register()), so SQL
 * can sort and compare releases: "6.10.0" > "6.9.0", "6.9.0-rc3" < "6.9.0".
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel-release.h"
#include "time-spec.h"
#include "store-internal.h"

/* ---- kernel release order: common/kernel-release.c ------------------------------------------ */

static int collate_kernel_version(void *userdata, int na, const void *a, int nb, const void *b) {
        (void) userdata;
        return kernel_release_compare_n(a, (size_t) na, b, (size_t) nb);
}

static void filter_free(void *p) {
        KernelFilter *f = p;
        kernel_filter_done(f);
        free(f);
}

/* kernel_match(FILTER, RELEASE): does RELEASE pass the --kernel/kernel= filter FILTER? The
 * parsed filter is kept with the statement (it is a bound parameter), so a list query parses it
 * once. A filter that does not parse is an error: the front ends check it first. */
static void sql_kernel_match(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
        (void) argc;
        const char *release = (const char *) sqlite3_value_text(argv[1]);
        KernelFilter *f = sqlite3_get_auxdata(ctx, 0);
        if (!f) {
                const char *spec = (const char *) sqlite3_value_text(argv[0]), *why;
                f = calloc(1, sizeof(*f));
                if (!f) {
                        sqlite3_result_error_nomem(ctx);
                        return;
                }
                int r = kernel_filter_parse(spec, f, &why);
                if (r < 0) {
                        free(f);
                        if (r == -ENOMEM)
                                sqlite3_result_error_nomem(ctx);
                        else
                                sqlite3_result_error(ctx, why, -1);
                        return;
                }
                sqlite3_set_auxdata(ctx, 0, f, filter_free);
                f = sqlite3_get_auxdata(ctx, 0);
                if (!f) { /* SQLite could not keep it (and freed it): parse again next time */
                        sqlite3_result_error_nomem(ctx);
                        return;
                }
        }
        sqlite3_result_int(ctx, release && kernel_filter_match(f, release));
}

/* now_usec(): time_now(), the program's one clock ($LOCKDEP_NOW in tests), for expiry. */
static void sql_now_usec(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
        (void) argc;
        (void) argv;
        sqlite3_result_int64(ctx, (sqlite3_int64) time_now());
}

int store_register_functions(sqlite3 *db) {
        int rc = sqlite3_create_collation_v2(db, "kernel_version", SQLITE_UTF8, NULL, collate_kernel_version, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_create_function_v2(db, "kernel_match", 2,
                                                SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
                                                sql_kernel_match, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
                rc = sqlite3_create_function_v2(db, "now_usec", 0, SQLITE_UTF8 | SQLITE_INNOCUOUS, NULL, sql_now_usec, NULL,
                                                NULL, NULL);
        return rc;
}

int store_fleet_register(Store *s) {
        int rc = store_register_functions(s->db);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

/* ---- hosts ---------------------------------------------------------------------------------- */

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)
#define SILENT_AFTER_DEFAULT STRINGIFY(STORE_SILENT_AFTER_DEFAULT)

/* One row per host; ?1 = a host id to restrict to, 0 = all. A host read from a journal is
 * "silent" when its newest entry is older than the silent_after setting (lockdepd's
 * silent-after); for other hosts (import, ingest) silent is null: nothing is known. Boots are counted from boots,
 * reports from the reports of those boots, groups from group_hosts; first/last kernel are those
 * of the host's oldest and newest boot. */
#define HOST_SELECT                                                                                \
        "WITH bs AS (SELECT host, count(*) AS n_boots, count(DISTINCT kernel) AS kernels,"         \
        "  sum(lockdep_off_at IS NOT NULL) AS boots_lockdep_off,"                                  \
        "  min(first_seen) AS first_boot, max(first_seen) AS last_boot"                            \
        "  FROM boots WHERE ?1 = 0 OR host = ?1 GROUP BY host),"                                   \
        " rs AS (SELECT b.host, count(*) AS n_reports, max(r.time) AS last_report"                 \
        "  FROM reports r JOIN boots b ON b.id = r.boot WHERE ?1 = 0 OR b.host = ?1"               \
        "  GROUP BY b.host),"                                                                      \
        " gs AS (SELECT host, count(*) AS n_groups FROM group_hosts"                               \
        "  WHERE ?1 = 0 OR host = ?1 GROUP BY host) "                                              \
        "SELECT h.id, coalesce(h.hostname, h.machine_id) AS host, h.machine_id, h.hostname,"       \
        " coalesce(bs.n_boots, 0) AS n_boots, coalesce(rs.n_reports, 0) AS n_reports,"             \
        " coalesce(gs.n_groups, 0) AS n_groups,"                                                   \
        " coalesce(bs.kernels, 0) AS kernels,"                                                     \
        " coalesce(bs.boots_lockdep_off, 0) AS boots_lockdep_off,"                                 \
        " (SELECT b.kernel FROM boots b WHERE b.host = h.id AND b.kernel IS NOT NULL"              \
        "  ORDER BY b.first_seen, b.id LIMIT 1) AS kernel_first,"                                  \
        " (SELECT b.kernel FROM boots b WHERE b.host = h.id AND b.kernel IS NOT NULL"              \
        "  ORDER BY b.first_seen DESC, b.id DESC LIMIT 1) AS kernel_last,"                         \
        " bs.first_boot AS first_seen,"                                                            \
        " nullif(max(coalesce(bs.last_boot, 0), coalesce(rs.last_report, 0)), 0) AS last_seen,"    \
        " h.journal_read AS journal_read, h.journal_last_entry AS last_entry,"                     \
        " CASE WHEN h.journal_last_entry IS NULL THEN NULL ELSE h.journal_last_entry <"            \
        "  (CAST(strftime('%s', 'now') AS INTEGER) - coalesce((SELECT CAST(value AS INTEGER)"      \
        "  FROM settings WHERE key = 'silent_after'), " SILENT_AFTER_DEFAULT ")) * 1000000"         \
        "  END AS silent "                                                                         \
        "FROM hosts h LEFT JOIN bs ON bs.host = h.id LEFT JOIN rs ON rs.host = h.id"               \
        " LEFT JOIN gs ON gs.host = h.id "                                                         \
        "WHERE ?1 = 0 OR h.id = ?1 "

/* A fleet list's SELECT (?1 = 0, ?2 = NULL: every row) in q's order and page, prepared. */
static int list_stmt(Store *s, const char *select, StoreList l, const StoreListQuery *q, sqlite3_stmt **ret) {
        StrBuf sql = {};
        sqlite3_stmt *st;
        int r = strbuf_puts(&sql, select);
        if (r >= 0)
                r = store_list_order_by(q, l, &sql);
        if (r >= 0)
                r = strbuf_puts(&sql, " LIMIT ?3 OFFSET ?4");
        if (r >= 0)
                r = store_prepare(s, sql.s, &st);
        strbuf_done(&sql);
        if (r < 0)
                return r == -EINVAL ? store_set_error(s, r, "not a query of this list") : r;
        sqlite3_bind_int64(st, 1, 0);
        sqlite3_bind_null(st, 2);
        sqlite3_bind_int64(st, 3, q && q->limit ? (sqlite3_int64) q->limit : -1);
        sqlite3_bind_int64(st, 4, q ? q->offset : 0);
        *ret = st;
        return 0;
}

/* The rows of a fleet list into a typed view's array. */
static int list_view(Store *s, const char *select, StoreList l, const StoreListQuery *q, const StoreShape *sh,
                     StoreMem *m, void *ret_v, size_t *ret_n) {
        sqlite3_stmt *st;
        int r = list_stmt(s, select, l, q, &st);
        return r < 0 ? r : store_view_rows(s, st, sh, m, ret_v, ret_n);
}

int store_host_list(Store *s, const StoreListQuery *q, StoreHostList *ret) {
        *ret = (StoreHostList) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        return list_view(s, HOST_SELECT, STORE_LIST_HOSTS, q, &store_host_shape, ret->mem_, &ret->v, &ret->n);
}

/* A machine id, else a host name, else the key ("name:<hostname>"): the host's id. */
static int resolve_host(Store *s, const char *name, int64_t *ret) {
        sqlite3_stmt *st;
        int64_t id = 0;
        int r = store_prepare(s,
                        "SELECT id FROM hosts WHERE machine_id = ?1 OR hostname = ?1 OR key = ?1 "
                        "ORDER BY machine_id = ?1 DESC, hostname = ?1 DESC, id LIMIT 1",
                        &st);
        if (r < 0)
                return r;
        store_bind_text(st, 1, name);
        r = store_step(s, st, &id);
        sqlite3_finalize(st);
        if (r < 0)
                return r;
        if (id <= 0)
                return -ENOENT;
        *ret = id;
        return 0;
}

#define BOOT_SELECT                                                                                \
        "SELECT b.boot_id, b.kernel, b.first_seen, b.lockdep_off_at,"                              \
        " b.lockdep_off_reason, (SELECT count(*) FROM reports r WHERE r.boot = b.id) AS n_reports" \
        " FROM boots b WHERE b.host = ?1 "

int store_host_detail(Store *s, const char *host, StoreHostDetail *ret) {
        *ret = (StoreHostDetail) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        StoreMem *m = ret->mem_;
        int64_t id;
        int r;

        if (!host || !*host)
                return -ENOENT;
        r = resolve_host(s, host, &id);
        if (r >= 0)
                r = store_view_query_one(s, HOST_SELECT, id, NULL, NULL, &store_host_shape, m, &ret->host);
        if (r >= 0)
                r = store_view_query_rows(s, BOOT_SELECT "ORDER BY b.first_seen DESC, b.id DESC LIMIT 200", id, NULL, NULL,
                                          &store_boot_shape, m, &ret->boots, &ret->n_boots);
        if (r >= 0) /* lockdep validated nothing after these points: silence is not "clean" */
                r = store_view_query_rows(s,
                                          BOOT_SELECT "AND b.lockdep_off_at IS NOT NULL "
                                          "ORDER BY b.first_seen DESC, b.id DESC LIMIT 200",
                                          id, NULL, NULL, &store_boot_shape, m, &ret->off_early, &ret->n_off_early);
        if (r >= 0)
                r = store_view_query_rows(s,
                                          "SELECT g.id, g.kind, g.key, g.func_title, gh.n, g.status, "
                                          "g.kernel_first, g.kernel_last FROM group_hosts gh "
                                          "JOIN groups g ON g.id = gh.grp WHERE gh.host = ?1 "
                                          "ORDER BY gh.n DESC, g.id LIMIT 1000",
                                          id, NULL, NULL, &store_host_group_shape, m, &ret->groups, &ret->n_groups);
        return r < 0 ? r : 0;
}

/* ---- kernels -------------------------------------------------------------------------------- */

/* One row per kernel release seen on a boot; ?2 = a release to restrict to, NULL = all. */
#define KERNEL_SELECT                                                                              \
        "WITH bk AS (SELECT kernel, count(DISTINCT host) AS n_hosts, count(*) AS n_boots,"         \
        "  sum(lockdep_off_at IS NOT NULL) AS boots_lockdep_off,"                                  \
        "  min(first_seen) AS first_boot, max(first_seen) AS last_boot FROM boots"                 \
        "  WHERE kernel IS NOT NULL AND (?2 IS NULL OR kernel = ?2) GROUP BY kernel),"             \
        " rk AS (SELECT b.kernel, count(*) AS n_reports, count(DISTINCT r.grp) AS n_groups,"       \
        "  max(r.time) AS last_report FROM reports r JOIN boots b ON b.id = r.boot"                \
        "  WHERE b.kernel IS NOT NULL AND (?2 IS NULL OR b.kernel = ?2) GROUP BY b.kernel),"       \
        " nk AS (SELECT kernel_first AS kernel, count(*) AS new_groups FROM groups"                \
        "  WHERE kernel_first IS NOT NULL AND (?2 IS NULL OR kernel_first = ?2)"                   \
        "  GROUP BY kernel_first) "                                                                \
        "SELECT bk.kernel, bk.n_hosts, bk.n_boots, coalesce(rk.n_reports, 0) AS n_reports,"        \
        " coalesce(rk.n_groups, 0) AS n_groups, coalesce(nk.new_groups, 0) AS new_groups,"         \
        " bk.boots_lockdep_off, bk.first_boot AS first_seen,"                                      \
        " max(bk.last_boot, coalesce(rk.last_report, 0)) AS last_seen "                            \
        "FROM bk LEFT JOIN rk ON rk.kernel = bk.kernel LEFT JOIN nk ON nk.kernel = bk.kernel "     \
        "WHERE ?1 = ?1 "

#define FLEET_GROUP_SELECT                                                                         \
        "SELECT g.id, g.kind, g.key, g.func_title, g.n_reports, g.n_hosts, g.status,"            \
        " g.kernel_first,"                                                                         \
        " g.kernel_last FROM groups g WHERE ?1 = ?1 "

/* The hosts that ran release ?2. */
#define KERNEL_HOSTS                                                                               \
        "SELECT coalesce(h.hostname, h.machine_id) AS host, h.machine_id, count(*) AS n_boots,"    \
        " sum((SELECT count(*) FROM reports r WHERE r.boot = b.id)) AS n_reports,"                 \
        " sum(b.lockdep_off_at IS NOT NULL) AS boots_lockdep_off"                                  \
        " FROM boots b JOIN hosts h ON h.id = b.host WHERE b.kernel = ?2 AND ?1 = ?1"              \
        " GROUP BY h.id ORDER BY n_reports DESC, host LIMIT 200"

int store_kernel_list(Store *s, const StoreListQuery *q, StoreKernelList *ret) {
        *ret = (StoreKernelList) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        return list_view(s, KERNEL_SELECT, STORE_LIST_KERNELS, q, &store_kernel_shape, ret->mem_, &ret->v, &ret->n);
}

int store_kernel_detail(Store *s, const char *release, StoreKernelDetail *ret) {
        *ret = (StoreKernelDetail) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        StoreMem *m = ret->mem_;
        if (!release || !*release)
                return -ENOENT;
        int r = store_view_query_one(s, KERNEL_SELECT, 0, release, NULL, &store_kernel_shape, m, &ret->kernel);
        if (r >= 0)
                r = store_view_query_rows(s, FLEET_GROUP_SELECT "AND g.kernel_first = ?2 ORDER BY g.first_seen DESC, g.id",
                                          0, release, NULL, &store_kernel_group_shape, m, &ret->regressions,
                                          &ret->n_regressions);
        if (r >= 0) /* fixed before and reported again, first on this release */
                r = store_view_query_rows(s,
                                          FLEET_GROUP_SELECT "AND EXISTS (SELECT 1 FROM triage_log t WHERE t.signature = g.signature "
                                          "AND t.action = 'regressed' AND t.value = ?2) ORDER BY g.last_seen DESC, g.id",
                                          0, release, NULL, &store_kernel_group_shape, m, &ret->regressed, &ret->n_regressed);
        if (r >= 0) /* last seen on an older release: probably fixed in this one or before */
                r = store_view_query_rows(s,
                                          FLEET_GROUP_SELECT "AND g.kernel_last < ?2 COLLATE kernel_version "
                                          "ORDER BY g.kernel_last COLLATE kernel_version DESC, g.last_seen DESC, g.id LIMIT 1000",
                                          0, release, NULL, &store_kernel_group_shape, m, &ret->not_seen_since,
                                          &ret->n_not_seen_since);
        if (r >= 0)
                r = store_view_query_rows(s, KERNEL_HOSTS, 0, release, NULL, &store_kernel_host_shape, m, &ret->hosts,
                                          &ret->n_hosts);
        return r < 0 ? r : 0;
}

/* Groups reported on release ?2 (in) and (still) or not (new) on ?3; gone swaps them. */
#define VS_SELECT(in, out, both)                                                                   \
        FLEET_GROUP_SELECT "AND EXISTS (SELECT 1 FROM group_kernels gk WHERE gk.grp = g.id AND gk.kernel = " in ") " \
        "AND " both " EXISTS (SELECT 1 FROM group_kernels gk WHERE gk.grp = g.id AND gk.kernel = " out ") " \
        "ORDER BY g.n_reports DESC, g.id LIMIT 1000"

int store_kernel_vs(Store *s, const char *release, const char *vs, StoreKernelVs *ret) {
        *ret = (StoreKernelVs) { .mem_ = store_mem_new() };
        if (!ret->mem_)
                return -ENOMEM;
        StoreMem *m = ret->mem_;
        if (!release || !*release || !vs || !*vs)
                return -ENOENT;
        int r = store_view_query_one(s,
                                     "SELECT ?2, ?3 WHERE ?1 = ?1 "
                                     "AND EXISTS (SELECT 1 FROM boots WHERE kernel = ?2) "
                                     "AND EXISTS (SELECT 1 FROM boots WHERE kernel = ?3)",
                                     0, release, vs, &store_kernel_vs_shape, m, ret);
        if (r >= 0)
                r = store_view_query_rows(s, VS_SELECT("?2", "?3", "NOT"), 0, release, vs, &store_kernel_group_shape, m,
                                          &ret->new_, &ret->n_new);
        if (r >= 0)
                r = store_view_query_rows(s, VS_SELECT("?3", "?2", "NOT"), 0, release, vs, &store_kernel_group_shape, m,
                                          &ret->gone, &ret->n_gone);
        if (r >= 0)
                r = store_view_query_rows(s, VS_SELECT("?2", "?3", ""), 0, release, vs, &store_kernel_group_shape, m,
                                          &ret->still, &ret->n_still);
        return r < 0 ? r : 0;
}
