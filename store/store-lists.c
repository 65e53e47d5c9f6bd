/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sort orders of the fleet lists (hosts, kernels, locks): one table per list, the only place
 * their sort names are written. The names, the messages naming them and the ORDER BY clauses all
 * come from these tables; the SQL is fixed text of the table, never from a request.
 */
#include <errno.h>
#include <string.h>

#include "parse-util.h"
#include "store-internal.h"

/* X(name, SQL expression over the list's SELECT, descending by default) for every sort but the
 * last, L(...) for the last (so the message can list them "a, b, c"). The first is the list's
 * default. Counts and times sort most/newest first by default, names A to Z. */
#define HOST_SORTS(X, L)                                                                            \
        X("host", "host", false)                                                                    \
        X("boots", "n_boots", true)                                                                 \
        X("reports", "n_reports", true)                                                             \
        X("groups", "n_groups", true)                                                               \
        X("kernels", "kernels", true)                                                               \
        X("lockdep_off", "boots_lockdep_off", true)                                                 \
        X("kernel_first", "kernel_first COLLATE kernel_version", true)                              \
        X("kernel_last", "kernel_last COLLATE kernel_version", true)                                \
        X("first_seen", "bs.first_boot", true)                                                      \
        X("last_seen", "nullif(max(coalesce(bs.last_boot, 0), coalesce(rs.last_report, 0)), 0)", true) \
        X("journal_read", "h.journal_read", true)                                                   \
        L("last_entry", "h.journal_last_entry", true)

#define KERNEL_SORTS(X, L)                                                                          \
        X("kernel", "bk.kernel COLLATE kernel_version", true)                                       \
        X("hosts", "bk.n_hosts", true)                                                              \
        X("boots", "bk.n_boots", true)                                                              \
        X("reports", "n_reports", true)                                                             \
        X("groups", "n_groups", true)                                                               \
        X("new", "new_groups", true)                                                                \
        X("lockdep_off", "bk.boots_lockdep_off", true)                                              \
        X("first_seen", "bk.first_boot", true)                                                      \
        L("last_seen", "max(bk.last_boot, coalesce(rk.last_report, 0))", true)

#define LOCK_SORTS(X, L)                                                                            \
        X("groups", "n_groups", true)                                                               \
        X("name", "name", false)                                                                    \
        L("edges", "n_edges", true)

typedef struct SortKey {
        const char *name, *expr;
        bool desc;
} SortKey;

#define SORT_ENTRY(n, e, d) { n, e, d },
#define SORT_WORD(n, e, d) n ", "
#define SORT_LAST(n, e, d) n

static const SortKey host_sorts[] = { HOST_SORTS(SORT_ENTRY, SORT_ENTRY) };
static const SortKey kernel_sorts[] = { KERNEL_SORTS(SORT_ENTRY, SORT_ENTRY) };
static const SortKey lock_sorts[] = { LOCK_SORTS(SORT_ENTRY, SORT_ENTRY) };

static const struct ListDesc {
        const SortKey *sorts;
        size_t n_sorts;
        const char *tiebreak;  /* after the sort key: a total order, the same in both directions */
        const char *sort_why;
        unsigned page_max;
        const char *limit_why;
} lists[_STORE_LIST_MAX] = {
        [STORE_LIST_HOSTS] = { host_sorts, ELEMENTSOF(host_sorts), "host, h.id",
                               "sort: expected " HOST_SORTS(SORT_WORD, SORT_LAST), 1000,
                               "limit: expected a number from 1 to 1000" },
        [STORE_LIST_KERNELS] = { kernel_sorts, ELEMENTSOF(kernel_sorts),
                                 "bk.kernel COLLATE kernel_version DESC, bk.kernel",
                                 "sort: expected " KERNEL_SORTS(SORT_WORD, SORT_LAST), 1000,
                                 "limit: expected a number from 1 to 1000" },
        [STORE_LIST_LOCKS] = { lock_sorts, ELEMENTSOF(lock_sorts), "name",
                               "sort: expected " LOCK_SORTS(SORT_WORD, SORT_LAST), 10000,
                               "limit: expected a number from 1 to 10000" },
};

static const struct ListDesc *desc_of(StoreList l) {
        return l >= 0 && l < _STORE_LIST_MAX ? &lists[l] : NULL;
}

const char *store_list_sort_name(StoreList l, unsigned i) {
        const struct ListDesc *d = desc_of(l);
        return d && i < d->n_sorts ? d->sorts[i].name : NULL;
}

int store_list_sort_from_string(StoreList l, const char *name) {
        const struct ListDesc *d = desc_of(l);
        for (size_t i = 0; d && name && i < d->n_sorts; i++)
                if (!strcmp(d->sorts[i].name, name))
                        return (int) i;
        return -EINVAL;
}

unsigned store_list_page_max(StoreList l) {
        const struct ListDesc *d = desc_of(l);
        return d ? d->page_max : 0;
}

bool store_list_descending(const StoreListQuery *q) {
        const struct ListDesc *d = desc_of(q->list);
        if (q->order != STORE_ORDER_DEFAULT)
                return q->order == STORE_ORDER_DESC;
        return d && q->sort < d->n_sorts && d->sorts[q->sort].desc;
}

int store_list_query_set(StoreListQuery *q, const char *name, const char *value, bool paged, const char **ret_why) {
        const struct ListDesc *d = desc_of(q->list);
        unsigned n;

        *ret_why = NULL;
        if (!d || !name || !value)
                return -EINVAL;
        if (!strcmp(name, "sort")) {
                int i = store_list_sort_from_string(q->list, value);
                if (i < 0)
                        return *ret_why = d->sort_why, -EINVAL;
                q->sort = (unsigned) i;
        } else if (!strcmp(name, "order")) {
                if (!strcmp(value, "asc"))
                        q->order = STORE_ORDER_ASC;
                else if (!strcmp(value, "desc"))
                        q->order = STORE_ORDER_DESC;
                else
                        return *ret_why = "order: expected asc or desc", -EINVAL;
        } else if (!strcmp(name, "limit")) {
                if (uint_from_string(value, paged ? d->page_max : UINT32_MAX, &n) < 0 || n == 0)
                        return *ret_why = paged ? d->limit_why : "limit: expected a positive number", -EINVAL;
                q->limit = n;
        } else if (!strcmp(name, "offset")) {
                if (uint_from_string(value, 100000000, &q->offset) < 0)
                        return *ret_why = "offset: expected a non-negative number", -EINVAL;
        } else
                return -ENOENT;
        return 0;
}

int store_list_order_by(const StoreListQuery *q, StoreList l, StrBuf *sql) {
        const struct ListDesc *d = desc_of(l);
        StoreListQuery def = { .list = l };
        if (!q)
                q = &def;
        if (!d || q->list != l || q->sort >= d->n_sorts)
                return -EINVAL;
        /* a missing value (a host never read from a journal) comes last either way */
        return strbuf_printf(sql, " ORDER BY %s %s NULLS LAST, %s", d->sorts[q->sort].expr,
                             store_list_descending(q) ? "DESC" : "ASC", d->tiebreak);
}

int store_count_list(Store *s, const StoreListQuery *q, uint64_t *ret) {
        static const char *const sql[_STORE_LIST_MAX] = {
                [STORE_LIST_HOSTS] = "SELECT count(*) FROM hosts",
                [STORE_LIST_KERNELS] = "SELECT count(DISTINCT kernel) FROM boots WHERE kernel IS NOT NULL",
                [STORE_LIST_LOCKS] = "SELECT count(DISTINCT canonical) FROM group_classes WHERE ?1 IS NULL OR instr(canonical, ?1) > 0",
        };
        sqlite3_stmt *st;
        int64_t n = 0;
        if (!desc_of(q->list))
                return -EINVAL;
        int r = store_prepare(s, sql[q->list], &st);
        if (r < 0)
                return r;
        if (q->list == STORE_LIST_LOCKS)
                store_bind_text(st, 1, q->name);
        r = store_step(s, st, &n);
        sqlite3_finalize(st);
        if (r >= 0)
                *ret = (uint64_t) n;
        return r;
}
