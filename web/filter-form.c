/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one form of the list filters (kind, status, host, kernel, lock, since, until, sort), on the
 * group list and the search page. Every field shows what the request asked for, as it was typed
 * (h_value(): escaped, nothing rewritten), so a submitted form keeps its values, a refused one too.
 */
#include <string.h>

#include "lockdep.h"
#include "macro.h"
#include "web-internal.h"

/* A choice list; a value asked for that is none of the choices ("fixed-in 6.9", a bad word that
 * is refused) is kept as a selected choice of its own. */
static void h_select(Html *h, const char *name, const char *label, const char *any, const char *const *opts,
                     size_t n, const char *cur) {
        bool found = !cur || !*cur;
        h_printf(h, "<label>%s <select name=\"%s\"><option value=\"\">%s</option>", label, name, any);
        for (size_t i = 0; i < n; i++) {
                bool sel = cur && !strcmp(cur, opts[i]);
                found |= sel;
                h_raw(h, sel ? "<option selected>" : "<option>");
                h_text(h, opts[i]);
                h_raw(h, "</option>");
        }
        if (!found) {
                h_raw(h, "<option selected value=\"");
                h_value(h, cur);
                h_raw(h, "\">");
                h_text(h, cur);
                h_raw(h, "</option>");
        }
        h_raw(h, "</select></label> ");
}

static void h_input(Html *h, const char *name, const char *label, const char *value, const char *type) {
        h_printf(h, "<label>%s <input type=\"%s\" name=\"%s\" value=\"", label, type, name);
        h_value(h, value ?: "");
        h_raw(h, "\"></label> ");
}

void h_filter_form(Html *h, Request *r, const FilterForm *f) {
        static const char *const statuses[] = { "new", "confirmed", "false-positive", "regressed" };
        const char *kinds[_LOCKDEP_KIND_MAX];
        size_t nk = 0;
        for (int k = 0; k < _LOCKDEP_KIND_MAX; k++)
                if (lockdep_kind_to_string(k))
                        kinds[nk++] = lockdep_kind_to_string(k);

        h_raw(h, "<form class=\"filters\" method=\"get\" action=\"");
        h_raw(h, f->action);
        h_raw(h, "\">");
        if (f->text) {
                h_raw(h, "<label>Text <input type=\"search\" name=\"q\" value=\"");
                h_value(h, f->text);
                h_raw(h, "\" autofocus></label> ");
        }
        h_select(h, "kind", "Kind", "any", kinds, nk, req_arg(r, "kind"));
        h_select(h, "status", "Status", "any", statuses, ELEMENTSOF(statuses), req_arg(r, "status"));
        h_input(h, "host", "Host", req_arg(r, "host"), "text");
        h_input(h, "kernel", "Kernel", req_arg(r, "kernel"), "text");
        h_input(h, "lock", "Lock", req_arg(r, "lock"), "text");
        h_input(h, "since", "Since", req_arg(r, "since"), "text");
        h_input(h, "until", "Until", req_arg(r, "until"), "text");
        h_select(h, "sort", "Sort", f->sort_default, f->sorts, f->n_sorts, req_arg(r, "sort"));
        /* what the form has no field for stays as it was */
        static const char *const kept[] = { "limit", "suppressed" };
        for (size_t i = 0; i < ELEMENTSOF(kept); i++) {
                const char *v = req_arg(r, kept[i]);
                if (!v || !*v)
                        continue;
                h_printf(h, "<input type=\"hidden\" name=\"%s\" value=\"", kept[i]);
                h_value(h, v);
                h_raw(h, "\">");
        }
        h_printf(h, "<button type=\"submit\">%s</button> <a href=\"", f->button);
        h_raw(h, f->action);
        h_raw(h, "\">reset</a></form>\n");
}
