/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>

#include "ingest.h"

int ingest_event(const LockdepEvent *ev, void *userdata) {
        Ingest *i = userdata;
        int64_t group = 0;
        bool new_group = false;
        int r;

        switch (ev->type) {
        case LOCKDEP_EVENT_REPORT:
                r = store_add_report(i->store, &i->origin, ev->report, &group, &new_group);
                if (r < 0)
                        break;
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
                                i->on_regressed(ev->report, group, fixed, i->userdata);
                }
                if (new_group) {
                        i->n_new_groups++;
                        if (i->on_new_group)
                                i->on_new_group(ev->report, group, i->userdata);
                }
                return 0;
        case LOCKDEP_EVENT_LOCKDEP_OFF:
                if (!i->origin.boot_id) /* saved logs: no boot to attach it to */
                        return 0;
                r = store_set_lockdep_off(i->store, &i->origin, ev->ts_usec, ev->text);
                break;
        default:
                return 0;
        }
        if (r < 0 && i->error == 0)
                i->error = r;
        return r;
}
