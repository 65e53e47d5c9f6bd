/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fleet views (DESIGN.md section 8): hosts and kernel releases with what was seen on them. Like
 * store-query.c, every string leaves through store_row_json() and every filter is a bound
 * parameter.
 *
 * Kernel releases are ordered by store_kernel_compare(), which the connection also knows as the
 * collation "kernel_version" (registered by store_open() through store_fleet_register()), so SQL
 * can sort and compare releases: "6.10.0" > "6.9.0", "6.9.0-rc3" < "6.9.0".
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "store-internal.h"

/* ---- kernel release order ------------------------------------------------------------------- */

typedef struct Span {
        const char *p;
        size_t n;
} Span;

static bool span_digit(const Span *s, size_t i) {
        return i < s->n && isdigit((unsigned char) s->p[i]);
}

/* Compares the decimal numbers starting at *ia and *ib (any length: leading zeros skipped, then
 * the longer is bigger), advancing both past them. */
static int cmp_number(const Span *a, size_t *ia, const Span *b, size_t *ib) {
        while (*ia + 1 < a->n && a->p[*ia] == '0' && span_digit(a, *ia + 1))
                (*ia)++;
        while (*ib + 1 < b->n && b->p[*ib] == '0' && span_digit(b, *ib + 1))
                (*ib)++;
        size_t sa = *ia, sb = *ib;
        while (span_digit(a, *ia))
                (*ia)++;
        while (span_digit(b, *ib))
                (*ib)++;
        size_t la = *ia - sa, lb = *ib - sb;
        if (la != lb)
                return la < lb ? -1 : 1;
        int c = memcmp(a->p + sa, b->p + sb, la);
        return c < 0 ? -1 : c > 0;
}

/* The dotted numeric head ("6.10.0" of "6.10.0-rc1+"): its length. */
static size_t numeric_head(const Span *s) {
        size_t i = 0;
        while (span_digit(s, i)) {
                while (span_digit(s, i))
                        i++;
                if (i + 1 < s->n && s->p[i] == '.' && span_digit(s, i + 1))
                        i++;
                else
                        break;
        }
        return i;
}

/* Digit runs as numbers, everything else byte by byte ("rc10" > "rc9"). */
static int cmp_natural(const Span *a, size_t ia, const Span *b, size_t ib) {
        while (ia < a->n && ib < b->n) {
                if (span_digit(a, ia) && span_digit(b, ib)) {
                        int c = cmp_number(a, &ia, b, &ib);
                        if (c != 0)
                                return c;
                        continue;
                }
                if (a->p[ia] != b->p[ib])
                        return (unsigned char) a->p[ia] < (unsigned char) b->p[ib] ? -1 : 1;
                ia++;
                ib++;
        }
        return ia < a->n ? 1 : ib < b->n ? -1 : 0;
}

static bool prerelease(const Span *s, size_t i) {
        return (s->n - i >= 3 && memcmp(s->p + i, "-rc", 3) == 0) || (i < s->n && s->p[i] == '~');
}

static int kernel_compare_span(const Span *a, const Span *b) {
        size_t ha = numeric_head(a), hb = numeric_head(b), ia = 0, ib = 0;

        /* the numbered parts, a missing part counting as 0 ("6.10" == "6.10.0" here) */
        while (ia < ha || ib < hb) {
                int c;
                if (ia >= ha)
                        c = cmp_number(&(Span) { "0", 1 }, &(size_t) { 0 }, b, &ib);
                else if (ib >= hb)
                        c = cmp_number(a, &ia, &(Span) { "0", 1 }, &(size_t) { 0 });
                else
                        c = cmp_number(a, &ia, b, &ib);
                if (c != 0)
                        return c;
                if (ia < ha)
                        ia++; /* the dot */
                if (ib < hb)
                        ib++;
        }
        ia = ha;
        ib = hb;
        /* then the rest: a release candidate before the release, the release before any suffix
         * (local versions, distribution builds) */
        bool pa = prerelease(a, ia), pb = prerelease(b, ib);
        if (pa != pb)
                return pa ? -1 : 1;
        if ((ia == a->n) != (ib == b->n))
                return ia == a->n ? -1 : 1;
        int c = cmp_natural(a, ia, b, ib);
        if (c != 0)
                return c;
        /* equal as versions but spelled differently: still a total order */
        c = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);
        return c != 0 ? (c < 0 ? -1 : 1) : a->n < b->n ? -1 : a->n > b->n;
}

int store_kernel_compare(const char *a, const char *b) {
        if (!a || !b)
                return !a && !b ? 0 : !a ? -1 : 1;
        return kernel_compare_span(&(Span) { a, strlen(a) }, &(Span) { b, strlen(b) });
}

static int collate_kernel_version(void *userdata, int na, const void *a, int nb, const void *b) {
        (void) userdata;
        return kernel_compare_span(&(Span) { a, (size_t) na }, &(Span) { b, (size_t) nb });
}

int store_fleet_register(Store *s) {
        int rc = sqlite3_create_collation_v2(s->db, "kernel_version", SQLITE_UTF8, NULL,
                                             collate_kernel_version, NULL);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

/* ---- hosts ---------------------------------------------------------------------------------- */

static int prepare(Store *s, const char *sql, sqlite3_stmt **ret) {
        int rc = sqlite3_prepare_v2(s->db, sql, -1, ret, NULL);
        return rc == SQLITE_OK ? 0 : store_fail(s, rc);
}

/* One row per host; ?1 = a host id to restrict to, 0 = all. Boots are counted from boots,
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
        " " ISO("bs.first_boot") " AS first_seen,"                                                 \
        " " ISO("max(coalesce(bs.last_boot, 0), coalesce(rs.last_report, 0))") " AS last_seen "   \
        "FROM hosts h LEFT JOIN bs ON bs.host = h.id LEFT JOIN rs ON rs.host = h.id"               \
        " LEFT JOIN gs ON gs.host = h.id "                                                         \
        "WHERE ?1 = 0 OR h.id = ?1 "

int store_list_hosts(Store *s, StoreRowFunc f, void *userdata) {
        sqlite3_stmt *st;
        int r = prepare(s, HOST_SELECT "ORDER BY host, h.id", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, 0);
        return store_run_rows(s, st, f, userdata);
}

/* A machine id, else a host name, else the key ("name:<hostname>"): the host's id. */
static int resolve_host(Store *s, const char *name, int64_t *ret) {
        sqlite3_stmt *st;
        int64_t id = 0;
        int r = prepare(s,
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
        "SELECT b.boot_id, b.kernel, " ISO("b.first_seen") " AS first_seen, b.lockdep_off_at,"     \
        " b.lockdep_off_reason, (SELECT count(*) FROM reports r WHERE r.boot = b.id) AS n_reports" \
        " FROM boots b WHERE b.host = ?1 "

int store_host_json(Store *s, const char *host, char **ret) {
        StrBuf b = {};
        int64_t id;
        int r;

        if (!host || !*host)
                return -ENOENT;
        r = resolve_host(s, host, &id);
        if (r < 0)
                return r;
        r = store_open_object(s, &b, HOST_SELECT, id, NULL);
        if (r >= 0)
                r = store_append_array(s, &b, "boots",
                                       BOOT_SELECT "ORDER BY b.first_seen DESC, b.id DESC "
                                       "LIMIT 200",
                                       id, NULL);
        if (r >= 0) /* lockdep validated nothing after these points: silence is not "clean" */
                r = store_append_array(s, &b, "off_early",
                                       BOOT_SELECT "AND b.lockdep_off_at IS NOT NULL "
                                       "ORDER BY b.first_seen DESC, b.id DESC LIMIT 200",
                                       id, NULL);
        if (r >= 0)
                r = store_append_array(s, &b, "groups",
                                       "SELECT g.id, g.kind, g.func_title, gh.n, g.status, "
                                       "g.kernel_first, g.kernel_last FROM group_hosts gh "
                                       "JOIN groups g ON g.id = gh.grp WHERE gh.host = ?1 "
                                       "ORDER BY gh.n DESC, g.id LIMIT 1000",
                                       id, NULL);
        return store_close_object(&b, ret, r);
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
        " bk.boots_lockdep_off, " ISO("bk.first_boot") " AS first_seen,"                           \
        " " ISO("max(bk.last_boot, coalesce(rk.last_report, 0))") " AS last_seen "                 \
        "FROM bk LEFT JOIN rk ON rk.kernel = bk.kernel LEFT JOIN nk ON nk.kernel = bk.kernel "     \
        "WHERE ?1 = ?1 "

#define FLEET_GROUP_SELECT                                                                         \
        "SELECT g.id, g.kind, g.func_title, g.n_reports, g.n_hosts, g.status, g.kernel_first,"     \
        " g.kernel_last FROM groups g WHERE ?1 = ?1 "

/* The hosts that ran release ?2. */
#define KERNEL_HOSTS                                                                               \
        "SELECT coalesce(h.hostname, h.machine_id) AS host, h.machine_id, count(*) AS n_boots,"    \
        " sum((SELECT count(*) FROM reports r WHERE r.boot = b.id)) AS n_reports,"                 \
        " sum(b.lockdep_off_at IS NOT NULL) AS boots_lockdep_off"                                  \
        " FROM boots b JOIN hosts h ON h.id = b.host WHERE b.kernel = ?2 AND ?1 = ?1"              \
        " GROUP BY h.id ORDER BY n_reports DESC, host LIMIT 200"

int store_list_kernels(Store *s, StoreRowFunc f, void *userdata) {
        sqlite3_stmt *st;
        int r = prepare(s, KERNEL_SELECT "ORDER BY bk.kernel COLLATE kernel_version DESC", &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, 0);
        sqlite3_bind_null(st, 2);
        return store_run_rows(s, st, f, userdata);
}

int store_kernel_json(Store *s, const char *release, char **ret) {
        StrBuf b = {};
        int r;

        if (!release || !*release)
                return -ENOENT;
        r = store_open_object(s, &b, KERNEL_SELECT, 0, release);
        if (r >= 0)
                r = store_append_array(s, &b, "regressions",
                                       FLEET_GROUP_SELECT "AND g.kernel_first = ?2 "
                                       "ORDER BY g.first_seen DESC, g.id",
                                       0, release);
        if (r >= 0) /* last seen on an older release: probably fixed in this one or before */
                r = store_append_array(s, &b, "not_seen_since",
                                       FLEET_GROUP_SELECT "AND g.kernel_last < ?2 "
                                       "COLLATE kernel_version "
                                       "ORDER BY g.kernel_last COLLATE kernel_version DESC, "
                                       "g.last_seen DESC, g.id LIMIT 1000",
                                       0, release);
        if (r >= 0)
                r = store_append_array(s, &b, "hosts", KERNEL_HOSTS, 0, release);
        return store_close_object(&b, ret, r);
}
