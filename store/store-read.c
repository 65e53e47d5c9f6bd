/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Read side (web and CLI share it) and reparse. Rows leave as JSON objects built here, with every
 * string escaped by json_append_str(): names in the database came from kernel logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "store-internal.h"

static bool is_bool_column(const char *name) {
        return strcmp(name, "truncated") == 0 || strcmp(name, "silent") == 0;
}

/* The current row of st as a JSON object keyed by column names. */
int store_row_json(sqlite3_stmt *st, StrBuf *b) {
        int n = sqlite3_column_count(st);
        strbuf_truncate(b, 0);
        if (strbuf_appendc(b, '{') < 0)
                return -ENOMEM;
        for (int i = 0; i < n; i++) {
                const char *name = sqlite3_column_name(st, i);
                bool raw = name[0] == '@'; /* SQL-built JSON of numbers only, or our own parse JSON */
                if ((i && strbuf_appendc(b, ',') < 0) || json_append_str(b, name + raw) < 0 || strbuf_appendc(b, ':') < 0)
                        return -ENOMEM;
                int q;
                if (raw && sqlite3_column_type(st, i) == SQLITE_TEXT) {
                        if (strbuf_puts(b, (const char *) sqlite3_column_text(st, i)) < 0)
                                return -ENOMEM;
                        continue;
                }
                switch (sqlite3_column_type(st, i)) {
                case SQLITE_NULL:
                        q = strbuf_puts(b, "null");
                        break;
                case SQLITE_INTEGER:
                        if (is_bool_column(name))
                                q = strbuf_puts(b, sqlite3_column_int(st, i) ? "true" : "false");
                        else
                                q = strbuf_printf(b, "%lld", (long long) sqlite3_column_int64(st, i));
                        break;
                case SQLITE_FLOAT:
                        q = strbuf_printf(b, "%.6f", sqlite3_column_double(st, i));
                        break;
                default:
                        q = json_append_str(b, (const char *) sqlite3_column_text(st, i));
                }
                if (q < 0)
                        return -ENOMEM;
        }
        return strbuf_appendc(b, '}');
}

int store_run_rows(Store *s, sqlite3_stmt *st, StoreRowFunc f, void *userdata) {
        StrBuf b = {};
        int rc, q = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                q = store_row_json(st, &b);
                if (q >= 0)
                        q = f(b.s, userdata);
                if (q < 0)
                        break;
        }
        strbuf_done(&b);
        if (q >= 0 && rc != SQLITE_DONE)
                q = store_fail(s, rc);
        sqlite3_finalize(st);
        return q;
}

/* ---- reparse -------------------------------------------------------------------------------- */

/* What the first parse knew from the input around the report and the raw text no longer holds:
 * its kernel timestamp (console prefixes are stripped from raw), where it was in its input
 * (first_line, last_line, first_pos). A reparse re-derives everything else from the text. */
typedef struct Capture {
        Store *s;
        int64_t id;
        uint64_t time;
        bool done;
        bool changed;
        int64_t old_grp;
        bool has_ts;
        uint64_t ts_usec;
        unsigned first_line, last_line;
        uint64_t first_pos;
        bool regroup;           /* false: only the derived rows, in the report's group */
} Capture;

static int reparse_one(const LockdepEvent *ev, void *userdata) {
        Capture *c = userdata;
        const LockdepReport *r = ev->report;
        _cleanup_free_ char *js = NULL;
        _cleanup_free_ void *packed = NULL;
        size_t packed_size = 0;
        int64_t grp;
        int q;

        if (ev->type != LOCKDEP_EVENT_REPORT || c->done)
                return 0;
        c->done = true;
        LockdepReport kept = *r;
        kept.has_ts = c->has_ts;
        kept.ts_usec = c->ts_usec;
        kept.first_pos = c->first_pos;
        if (c->first_line > 0 && c->first_line <= c->last_line) {
                kept.first_line = c->first_line;
                kept.last_line = c->last_line;
        }
        r = &kept;
        if (!c->regroup && c->old_grp > 0)
                return store_report_derived(c->s, c->id, c->old_grp, r, c->time);
        q = lockdep_report_to_json(r, &js);
        if (q < 0)
                return q;
        q = store_pack_json(c->s, js, &packed, &packed_size);
        if (q < 0)
                return q;
        q = store_group_upsert(c->s, r, c->time, &grp, NULL);
        if (q < 0)
                return q;
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(c->s->db, "UPDATE reports SET grp = ?2, kind = ?3, truncated = ?4, parsed = ?5 WHERE id = ?1",
                                    -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(c->s, rc);
        sqlite3_bind_int64(st, 1, c->id);
        sqlite3_bind_int64(st, 2, grp);
        sqlite3_bind_text(st, 3, lockdep_kind_to_string(r->kind), -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, r->truncated);
        sqlite3_bind_blob(st, 5, packed, (int) packed_size, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return store_fail(c->s, rc);
        c->changed = grp != c->old_grp;
        return store_report_derived(c->s, c->id, grp, r, c->time);
}

/* ---- reparse, pass 1: report identities ------------------------------------------------------
 *
 * A database written by an earlier build holds dedup keys of an older scheme ("ts-hash") or keys of
 * an identity an older parser computed from differently stripped text. Left alone, the next import
 * of the same report (in another rendering, or the complete copy of a cut one) would not find it
 * and store it again, and two copies already stored under different keys would stay two. So a
 * reparse recomputes every key as store_add_report() would now (store_dedup_key() of the text the
 * parser reads today) and, where two rows of one boot turn out to be one report, keeps the better
 * copy as replace_report() would (complete over cut, longer cut over shorter, parsed over degraded)
 * with the earlier first-seen time, and deletes the other. Runs before the derived rows are rebuilt,
 * inside the reparse's transaction. */

typedef struct Ident {
        bool done, has_ts, truncated, degraded;
        uint64_t ts_usec;
        size_t text_len;
        char key[64];
} Ident;

static int ident_one(const LockdepEvent *ev, void *userdata) {
        Ident *k = userdata;
        if (ev->type != LOCKDEP_EVENT_REPORT || k->done)
                return 0;
        k->done = true;
        LockdepReport r = *ev->report;
        r.has_ts = k->has_ts; /* the kernel timestamp is not in the stored text: the column keeps it */
        r.ts_usec = k->ts_usec;
        store_dedup_key(&r, k->key);
        k->truncated = r.truncated;
        k->degraded = r.degraded;
        k->text_len = r.text_len;
        return 0;
}

/* Another row of boot with the identity of key ("i2-<hash>-[ts]", see find_report() in store.c). */
static int find_other(Store *s, int64_t boot, int64_t self, const char *key, int64_t *ret_id, bool *ret_trunc,
                      bool *ret_degraded, int64_t *ret_len, int64_t *ret_time) {
        char base[64], end[64];
        size_t bl = strchr(key + 3, '-') - key + 1;
        memcpy(base, key, bl);
        base[bl] = 0;
        memcpy(end, key, bl);
        end[bl - 1] = '.';
        end[bl] = 0;
        sqlite3_stmt *st;
        int rc = sqlite3_prepare_v2(s->db,
                                    "SELECT id, truncated, coalesce(json_extract(lockdep_parsed(parsed), '$.degraded'), 0),"
                                    " length(CAST(raw AS BLOB)), time FROM reports WHERE boot = ?1 AND id != ?2"
                                    " AND dedup_key >= ?4 AND dedup_key < ?6 AND (dedup_key = ?3 OR dedup_key = ?4 OR ?5)"
                                    " ORDER BY id LIMIT 1",
                                    -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        sqlite3_bind_int64(st, 1, boot);
        sqlite3_bind_int64(st, 2, self);
        sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, base, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, key[bl] == 0);
        sqlite3_bind_text(st, 6, end, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        *ret_id = 0;
        if (rc == SQLITE_ROW) {
                *ret_id = sqlite3_column_int64(st, 0);
                *ret_trunc = sqlite3_column_int(st, 1);
                *ret_degraded = sqlite3_column_int(st, 2);
                *ret_len = sqlite3_column_int64(st, 3);
                *ret_time = sqlite3_column_int64(st, 4);
        }
        sqlite3_finalize(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

static int rekey_one(Store *s, const LockdepAliases *aliases, int64_t id, unsigned *merged) {
        sqlite3_stmt *st;
        Ident k = {};
        int64_t boot, time;
        int q, rc;

        rc = sqlite3_prepare_v2(s->db, "SELECT boot, raw, usec, time FROM reports WHERE id = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) { /* deleted as the worse copy of an earlier row */
                sqlite3_finalize(st);
                return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
        }
        boot = sqlite3_column_int64(st, 0);
        k.has_ts = sqlite3_column_type(st, 2) != SQLITE_NULL;
        k.ts_usec = (uint64_t) sqlite3_column_int64(st, 2);
        time = sqlite3_column_int64(st, 3);
        LockdepOptions o = { .callback = ident_one, .userdata = &k, .aliases = aliases };
        LockdepParser *p;
        q = lockdep_parser_new(&o, &p);
        if (q >= 0) {
                q = lockdep_parser_feed(p, sqlite3_column_text(st, 1), (size_t) sqlite3_column_bytes(st, 1));
                if (q >= 0)
                        q = lockdep_parser_finish(p);
                lockdep_parser_free(p);
        }
        sqlite3_finalize(st);
        if (q < 0 || !k.done) /* no report in the text any more: its key stays */
                return q;
        for (;;) {
                int64_t other, olen, otime;
                bool otrunc = false, odeg = false;
                q = find_other(s, boot, id, k.key, &other, &otrunc, &odeg, &olen, &otime);
                if (q < 0)
                        return q;
                if (other == 0)
                        break;
                /* the rule of replace_report(): is this copy better than the other one? */
                bool better = (otrunc && (!k.truncated || (int64_t) k.text_len > olen)) ||
                              (odeg && !k.degraded && !k.truncated);
                int64_t keep = better ? id : other, drop = better ? other : id;
                q = store_exec_bind_id(s, "DELETE FROM reports WHERE id = ?1", drop);
                if (q >= 0) {
                        rc = sqlite3_prepare_v2(s->db, "UPDATE reports SET time = min(time, ?2) WHERE id = ?1", -1, &st,
                                                NULL);
                        if (rc != SQLITE_OK)
                                return store_fail(s, rc);
                        sqlite3_bind_int64(st, 1, keep);
                        sqlite3_bind_int64(st, 2, MIN(time, otime));
                        rc = sqlite3_step(st);
                        sqlite3_finalize(st);
                        if (rc != SQLITE_DONE)
                                return store_fail(s, rc);
                }
                if (q < 0)
                        return q;
                (*merged)++;
                if (!better)
                        return 0; /* this row is gone; the other keeps its key */
                time = MIN(time, otime);
        }
        rc = sqlite3_prepare_v2(s->db, "UPDATE reports SET dedup_key = ?2 WHERE id = ?1", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, k.key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : store_fail(s, rc);
}

static int rekey(Store *s, const LockdepAliases *aliases, unsigned *ret_merged) {
        _cleanup_free_ int64_t *ids = NULL;
        size_t n = 0, cap = 0;
        sqlite3_stmt *st;
        int q = 0, rc;

        *ret_merged = 0;
        rc = sqlite3_prepare_v2(s->db, "SELECT id FROM reports ORDER BY id", -1, &st, NULL);
        if (rc != SQLITE_OK)
                return store_fail(s, rc);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 1024;
                        int64_t *m = realloc(ids, cap * sizeof(*ids));
                        if (!m) {
                                sqlite3_finalize(st);
                                return -ENOMEM;
                        }
                        ids = m;
                }
                ids[n++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return store_fail(s, rc);
        for (size_t i = 0; i < n && q >= 0; i++)
                q = rekey_one(s, aliases, ids[i], ret_merged);
        return q;
}

static int rederive(Store *s, const LockdepAliases *aliases, bool regroup, StoreProgress progress,
                    void *userdata, unsigned *ret_reports, unsigned *ret_changed, unsigned *ret_merged) {
        sqlite3_stmt *st = NULL;
        unsigned n = 0, changed = 0, total = 0, merged = 0;
        int q, rc;

        /* a duplicate found by rekey() is deleted: its text must be in the full-text index first,
         * or the delete trigger would take out words it never put in */
        if (regroup) {
                q = store_index_text(s, 0);
                if (q < 0)
                        return q;
        }
        q = store_begin(s);
        if (q >= 0 && progress) {
                int t = 0;
                sqlite3_stmt *cnt;
                rc = sqlite3_prepare_v2(s->db, "SELECT count(*) FROM reports", -1, &cnt, NULL);
                if (rc == SQLITE_OK && sqlite3_step(cnt) == SQLITE_ROW)
                        t = sqlite3_column_int(cnt, 0);
                sqlite3_finalize(cnt);
                total = (unsigned) t;
                progress(0, total, userdata);
        }
        if (q < 0)
                return q;
        q = store_exec(s,
                       "DELETE FROM edge_groups; DELETE FROM lock_edges; DELETE FROM lock_classes;"
                       "DELETE FROM group_classes; DELETE FROM group_names;");
        if (q >= 0 && regroup)
                q = rekey(s, aliases, &merged);
        if (q < 0)
                goto fail;
        rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, raw, time, grp, usec, json_extract(lockdep_parsed(parsed), '$.first_line'),"
                                " json_extract(lockdep_parsed(parsed), '$.last_line'), position FROM reports ORDER BY id",
                                -1, &st, NULL);
        if (rc != SQLITE_OK) {
                q = store_fail(s, rc);
                goto fail;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                Capture c = {
                        .s = s,
                        .id = sqlite3_column_int64(st, 0),
                        .time = (uint64_t) sqlite3_column_int64(st, 2),
                        .old_grp = sqlite3_column_int64(st, 3),
                        .has_ts = sqlite3_column_type(st, 4) != SQLITE_NULL,
                        .ts_usec = (uint64_t) sqlite3_column_int64(st, 4),
                        .first_line = (unsigned) sqlite3_column_int64(st, 5),
                        .last_line = (unsigned) sqlite3_column_int64(st, 6),
                        .first_pos = strtoull((const char *) sqlite3_column_text(st, 7) ?: "0", NULL, 10),
                        .regroup = regroup,
                };
                LockdepOptions o = { .callback = reparse_one, .userdata = &c, .aliases = aliases };
                LockdepParser *p;
                q = lockdep_parser_new(&o, &p);
                if (q < 0)
                        goto fail;
                q = lockdep_parser_feed(p, sqlite3_column_text(st, 1), (size_t) sqlite3_column_bytes(st, 1));
                if (q >= 0)
                        q = lockdep_parser_finish(p);
                lockdep_parser_free(p);
                if (q < 0)
                        goto fail;
                n++;
                changed += c.changed;
                if (progress && n % 500 == 0)
                        progress(n, MAX(total, n), userdata);
        }
        sqlite3_finalize(st);
        st = NULL;
        if (rc != SQLITE_DONE) {
                q = store_fail(s, rc);
                goto fail;
        }
        if (!regroup)
                goto done;
        q = store_exec(s,
                       "DELETE FROM group_hosts; DELETE FROM group_kernels; DELETE FROM group_tasks;"
                       "INSERT INTO group_tasks (grp, task, n) SELECT grp, coalesce(json_extract(lockdep_parsed(parsed), '$.task'), ''),"
                       " count(*) FROM reports WHERE grp IS NOT NULL GROUP BY 1, 2;"
                       "INSERT INTO group_kernels (grp, kernel, n) SELECT r.grp, b.kernel, count(*) FROM reports r"
                       " JOIN boots b ON b.id = r.boot WHERE r.grp IS NOT NULL AND b.kernel IS NOT NULL GROUP BY r.grp, b.kernel;"
                       "INSERT INTO group_hosts (grp, host, n) SELECT r.grp, b.host, count(*) FROM reports r"
                       " JOIN boots b ON b.id = r.boot WHERE r.grp IS NOT NULL GROUP BY r.grp, b.host;"
                       "UPDATE groups SET"
                       " n_reports = (SELECT count(*) FROM reports WHERE grp = groups.id),"
                       " n_hosts = (SELECT count(*) FROM group_hosts WHERE grp = groups.id),"
                       " first_seen = coalesce((SELECT min(time) FROM reports WHERE grp = groups.id), first_seen),"
                       " last_seen = coalesce((SELECT max(time) FROM reports WHERE grp = groups.id), last_seen),"
                       " kernel_first = (SELECT kernel FROM group_kernels WHERE grp = groups.id"
                       "  ORDER BY kernel COLLATE kernel_version LIMIT 1),"
                       " kernel_last = (SELECT kernel FROM group_kernels WHERE grp = groups.id"
                       "  ORDER BY kernel COLLATE kernel_version DESC LIMIT 1);"
                       "DELETE FROM groups WHERE n_reports = 0;");
        if (q >= 0) /* merges, splits, status and notes, in the order they were made */
                q = store_replay_triage(s);
        if (q < 0)
                goto fail;
done:
        q = store_commit(s);
        if (q < 0)
                return q;
        if (progress)
                progress(n, MAX(total, n), userdata);
        s->needs_rederive = false;
        if (ret_reports)
                *ret_reports = n;
        if (ret_changed)
                *ret_changed = changed;
        if (ret_merged)
                *ret_merged = merged;
        return 0;
fail:
        sqlite3_finalize(st);
        store_rollback(s);
        return q;
}

int store_reparse_progress(Store *s, const LockdepAliases *aliases, StoreProgress progress, void *userdata,
                           unsigned *ret_reports, unsigned *ret_changed, unsigned *ret_merged) {
        return rederive(s, aliases, true, progress, userdata, ret_reports, ret_changed, ret_merged);
}

int store_reparse(Store *s, const LockdepAliases *aliases, unsigned *ret_reports, unsigned *ret_changed) {
        return rederive(s, aliases, true, NULL, NULL, ret_reports, ret_changed, NULL);
}

int store_rebuild_derived(Store *s, const LockdepAliases *aliases, StoreProgress progress, void *userdata,
                          unsigned *ret_reports) {
        return rederive(s, aliases, false, progress, userdata, ret_reports, NULL, NULL);
}

/* ---- the report as logged ------------------------------------------------------------------- */

int store_report_logged(Store *s, int64_t id, char **ret, size_t *ret_len, char **ret_raw) {
        sqlite3_stmt *st;
        int q = store_prepare(s, "SELECT CAST(raw AS BLOB), logged FROM reports WHERE id = ?1", &st);
        if (q < 0)
                return q;
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
                sqlite3_finalize(st);
                return rc == SQLITE_DONE ? -ENOENT : store_fail(s, rc);
        }
        const char *raw = sqlite3_column_blob(st, 0);
        size_t raw_len = (size_t) sqlite3_column_bytes(st, 0);
        _cleanup_free_ char *text = NULL, *raw_copy = NULL;
        size_t len = 0;
        q = 0;
        if (sqlite3_column_type(st, 1) == SQLITE_BLOB)
                q = store_unpack_logged(sqlite3_column_blob(st, 1), (size_t) sqlite3_column_bytes(st, 1), raw, raw_len,
                                        &text, &len);
        if (q >= 0 && ret_raw) {
                raw_copy = malloc(raw_len + 1);
                if (raw_copy) {
                        memcpy(raw_copy, raw ? raw : "", raw_len);
                        raw_copy[raw_len] = 0;
                } else
                        q = -ENOMEM;
        }
        sqlite3_finalize(st);
        if (q < 0)
                return q;
        *ret = TAKE_PTR(text);
        if (ret_len)
                *ret_len = len;
        if (ret_raw)
                *ret_raw = TAKE_PTR(raw_copy);
        return 0;
}
