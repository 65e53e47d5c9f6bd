/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Ingest: the parser callback that writes reports into the store. Shared by lockdepd's sources
 * and lockdepctl import. The caller owns the transaction: it calls store_begin(), feeds the
 * parser, sets its cursor and commits, so reports and cursor land together or not at all. On a
 * failed commit the caller rewinds its input to the committed cursor and feeds it again; the
 * reports that were already stored are recognised by their dedup key and skipped.
 */

#include "lockdep.h"
#include "store.h"

typedef struct Ingest Ingest;
typedef void (*IngestNewGroupFunc)(const LockdepReport *r, int64_t group, void *userdata);

struct Ingest {
        Store *store;
        StoreOrigin origin;     /* borrowed strings; a source may change them between records */
        IngestNewGroupFunc on_new_group;
        void *userdata;
        unsigned n_stored;      /* reports stored by this ingest (not counting duplicates) */
        unsigned n_duplicate;
        unsigned n_new_groups;
        int error;              /* first store error since ingest_reset_error() */
};

/* LockdepCallback: stores reports and lockdep-off events; returns the store error to stop the
 * feed on failure. */
int ingest_event(const LockdepEvent *ev, void *userdata);
