/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fleet lists (/hosts, /kernels, /locks and their API) sorted and paged on the server: the
 * parameters are read by the store's one reader of them (store_list_query_set(), as lockdepctl's
 * --sort/--order/--limit/--offset), so a sorted page is a page of the whole list in that order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macro.h"
#include "web-internal.h"

int req_list_query(Request *r, StoreList l, unsigned page, StoreListQuery *q, const char **ret_why) {
        static const char *const names[] = { "sort", "order", "limit", "offset" };
        *q = (StoreListQuery) { .list = l, .limit = page };
        *ret_why = NULL;
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                const char *v = req_arg(r, names[i]);
                /* an empty sort or order (a form's "default") is none; an empty limit or offset is an error */
                if (!v || (!*v && i < 2))
                        continue;
                int e = store_list_query_set(q, names[i], v, true, ret_why);
                if (e < 0)
                        return e;
        }
        if (l == STORE_LIST_LOCKS) {
                const char *name = req_arg(r, "q");
                if (name && strlen(name) > 1024)
                        return *ret_why = "q: up to 1024 bytes", -EINVAL;
                q->name = name && *name ? name : NULL;
        }
        return 0;
}

static void pair(Html *h, bool *first, const char *name, const char *value) {
        h_raw(h, *first ? "?" : "&amp;");
        h_raw(h, name);
        h_raw(h, "=");
        h_url(h, value);
        *first = false;
}

void h_list_link(Html *h, const char *path, const StoreListQuery *q, unsigned page) {
        bool first = true;
        char n[32];
        h_raw(h, path);
        if (q->name)
                pair(h, &first, "q", q->name);
        if (q->sort)
                pair(h, &first, "sort", store_list_sort_name(q->list, q->sort));
        if (q->order != STORE_ORDER_DEFAULT)
                pair(h, &first, "order", q->order == STORE_ORDER_DESC ? "desc" : "asc");
        if (q->limit != page) {
                snprintf(n, sizeof(n), "%u", q->limit);
                pair(h, &first, "limit", n);
        }
        if (q->offset) {
                snprintf(n, sizeof(n), "%u", q->offset);
                pair(h, &first, "offset", n);
        }
}

void h_sort_th(Html *h, const char *path, const StoreListQuery *q, unsigned page, const char *sort, const char *label) {
        int i = store_list_sort_from_string(q->list, sort);
        if (i < 0) { /* a column without a sort of its own */
                h_raw(h, "<th>");
                h_raw(h, label);
                h_raw(h, "</th>");
                return;
        }
        bool current = q->sort == (unsigned) i, desc = store_list_descending(q);
        StoreListQuery to = *q;
        to.sort = (unsigned) i;
        to.offset = 0;
        /* the current column again: the other way round; another one: its own direction */
        to.order = current ? (desc ? STORE_ORDER_ASC : STORE_ORDER_DESC) : STORE_ORDER_DEFAULT;
        if (current)
                h_printf(h, "<th aria-sort=\"%s\">", desc ? "descending" : "ascending");
        else
                h_raw(h, "<th>");
        h_printf(h, "<a data-sort=\"%s\" href=\"", sort);
        h_list_link(h, path, &to, page);
        h_raw(h, current ? "\" class=\"sorted\">" : "\">");
        h_raw(h, label);
        if (current)
                h_raw(h, desc ? " &#9660;" : " &#9650;");
        h_raw(h, "</a></th>");
}

void h_list_summary(Html *h, const StoreListQuery *q, uint64_t total, size_t shown, const char *what) {
        h_printf(h, "<p class=\"summary\"><span id=\"total\">%llu</span> %s", (unsigned long long) total, what);
        if (shown > 0 && shown < total)
                h_printf(h, ", showing %u&ndash;%llu", q->offset + 1, (unsigned long long) q->offset + shown);
        h_printf(h, ", sorted by %s, %s.", store_list_sort_name(q->list, q->sort),
                 store_list_descending(q) ? "descending" : "ascending");
        h_raw(h, "</p>\n");
}

void h_list_pager(Html *h, const char *path, const StoreListQuery *q, unsigned page, uint64_t total) {
        h_raw(h, "<p class=\"pages\">");
        if (q->offset > 0 && q->limit) {
                StoreListQuery p = *q;
                p.offset = q->offset > q->limit ? q->offset - q->limit : 0;
                h_raw(h, "<a rel=\"prev\" href=\"");
                h_list_link(h, path, &p, page);
                h_raw(h, "\">&larr; previous</a> ");
        }
        if (q->limit && (uint64_t) q->offset + q->limit < total) {
                StoreListQuery p = *q;
                p.offset = q->offset + q->limit;
                h_raw(h, "<a rel=\"next\" href=\"");
                h_list_link(h, path, &p, page);
                h_raw(h, "\">next &rarr;</a>");
        }
        h_raw(h, "</p>\n");
}

Store *req_list_count(Request *r, StoreList l, unsigned page, StoreListQuery *q, uint64_t *ret_total,
                      MHD_Result_ *ret_q) {
        const char *why;
        int e = req_list_query(r, l, r->api && l != STORE_LIST_LOCKS ? 0 : page, q, &why);
        if (e < 0) {
                *ret_q = reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", why);
                return NULL;
        }
        Store *s = web_store(r);
        if (!s) {
                *ret_q = MHD_YES;
                return NULL;
        }
        e = store_count_list(s, q, ret_total);
        if (e < 0) {
                *ret_q = reply_store_error(r, s, e);
                return NULL;
        }
        return s;
}
