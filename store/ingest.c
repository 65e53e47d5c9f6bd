/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"

int ingest_report(Ingest *i, const LockdepReport *rep, const void *packed, size_t packed_size, const void *logged,
                  size_t logged_size) {
        int64_t group = 0;
        bool new_group = false;
        int r = packed ? store_add_report_packed(i->store, &i->origin, rep, packed, packed_size, logged, logged_size, &group, &new_group)
                       : store_add_report(i->store, &i->origin, rep, &group, &new_group);
        if (r < 0) {
                if (i->error == 0)
                        i->error = r;
                return r;
        }
        if (r == 0) {
                i->n_duplicate++;
                i->n_replaced += store_last_replaced(i->store);
                return 0;
        }
        i->n_stored++;
        const char *fixed;
        if (store_last_regressed(i->store, &fixed) > 0) {
                i->n_regressed++;
                if (i->on_regressed)
                        i->on_regressed(rep, group, fixed, i->userdata);
        }
        if (new_group) {
                i->n_new_groups++;
                if (i->on_new_group)
                        i->on_new_group(rep, group, i->userdata);
        }
        return 0;
}

int ingest_event(const LockdepEvent *ev, void *userdata) {
        Ingest *i = userdata;
        int r;

        switch (ev->type) {
        case LOCKDEP_EVENT_REPORT:
                return ingest_report(i, ev->report, NULL, 0, NULL, 0);
        case LOCKDEP_EVENT_LOCKDEP_OFF:
                if (!i->origin.boot_id) /* saved logs: no boot to attach it to */
                        return 0;
                r = store_set_lockdep_off(i->store, &i->origin, ev->ts_usec, ev->text);
                if (r >= 0 && i->on_lockdep_off)
                        i->on_lockdep_off(i->userdata);
                break;
        default:
                return 0;
        }
        if (r < 0 && i->error == 0)
                i->error = r;
        return r;
}

/* ---- /proc/lockdep snapshots ------------------------------------------------------------------ */

int ingest_dep(const LockdepDep *d, void *userdata) {
        DepIngest *x = userdata;
        if (x->n == x->allocated) {
                size_t n = x->allocated ? x->allocated * 2 : 1024;
                StoreDep *v = reallocarray(x->v, n, sizeof(StoreDep));
                if (!v)
                        return -ENOMEM;
                x->v = v;
                x->allocated = n;
        }
        char *f = strdup(d->from_canonical), *t = strdup(d->to_canonical);
        if (!f || !t) {
                free(f);
                free(t);
                return -ENOMEM;
        }
        x->v[x->n++] = (StoreDep) { .from = f, .to = t, .uncertain_from = d->from_uncertain,
                                    .uncertain_to = d->to_uncertain };
        return 0;
}

const char *ingest_deps_refusal(const LockdepDepStats *st, const char *release, const char *boot_id,
                                DepRefusal *ret_kind) {
        DepRefusal k = DEP_ACCEPTED;
        const char *why = NULL;

        if (st->binary)
                k = DEP_REFUSED_BINARY, why = "binary data in a /proc/lockdep snapshot; nothing stored";
        else if (!st->prove_locking && st->deps == 0)
                k = DEP_REFUSED_CLASSES_ONLY, why = "no dependencies: that kernel lists lock classes only (built "
                                                    "without CONFIG_PROVE_LOCKING); nothing stored";
        else if (!release || !release[0])
                k = DEP_REFUSED_NO_RELEASE, why = "no kernel release for the snapshot; nothing stored";
        else if (!boot_id || !boot_id[0])
                k = DEP_REFUSED_NO_BOOT_ID, why = "no boot id for the snapshot; nothing stored";
        if (ret_kind)
                *ret_kind = k;
        return why;
}

void dep_ingest_done(DepIngest *x) {
        for (size_t i = 0; i < x->n; i++) {
                free((char *) x->v[i].from);
                free((char *) x->v[i].to);
        }
        free(x->v);
        *x = (DepIngest) {};
}

int ingest_deps_store_in(Store *s, const StoreDepOrigin *o, const DepIngest *d, unsigned *ret_new,
                         unsigned *ret_cycles) {
        uint64_t at;
        unsigned n_new = 0, n_cycles = 0;
        int r = store_dep_snapshot(s, o, d->v, d->n, &n_new);
        int stored = r;
        if (r > 0) /* a snapshot stored before changes nothing: no analysis */
                r = store_latent_analyze(s, &n_cycles, &at);
        if (ret_new)
                *ret_new = n_new;
        if (ret_cycles)
                *ret_cycles = n_cycles;
        return r < 0 ? r : stored;
}

int ingest_deps_store(Store *s, const StoreDepOrigin *o, const DepIngest *d, unsigned *ret_new,
                      unsigned *ret_cycles) {
        int r = store_begin(s);
        if (r < 0)
                return r;
        int stored = r = ingest_deps_store_in(s, o, d, ret_new, ret_cycles);
        if (r < 0) {
                store_rollback(s);
                return r;
        }
        r = store_commit(s);
        return r < 0 ? r : stored;
}
