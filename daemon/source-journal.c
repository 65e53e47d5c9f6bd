/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal: the local one, or a directory of journal files written elsewhere (the output of
 * systemd-journal-remote for a fleet). Only _TRANSPORT=kernel entries are read, so nothing a
 * user process logs can pose as a kernel report. Entries of different machines and boots are
 * interleaved, so each (machine, boot) stream gets its own parser and its own origin. The cursor
 * is the realtime timestamp of the oldest entry still needed; re-reading from there after a
 * restart is harmless because stored reports are recognised by their dedup key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "lockdepd.h"
#include "log.h"
#include "macro.h"

#define JOURNAL_BATCH 4096
#define STREAMS_MAX 1024

typedef struct Stream {
        char machine_id[33];
        char boot_id[33];
        char hostname[256];
        LockdepParser *parser;
        Ingest in;
} Stream;

typedef struct JournalSource {
        sd_journal *j;
        sd_event_source *io;
        Stream **streams;
        size_t n_streams;
        uint64_t last_realtime;
        char source[4200];
} JournalSource;

static void streams_free(JournalSource *js) {
        for (size_t i = 0; i < js->n_streams; i++) {
                lockdep_parser_free(js->streams[i]->parser);
                free(js->streams[i]);
        }
        free(js->streams);
        js->streams = NULL;
        js->n_streams = 0;
}

static int field(sd_journal *j, const char *name, char *buf, size_t n) {
        const void *d;
        size_t l, k = strlen(name);
        int r = sd_journal_get_data(j, name, &d, &l);
        if (r < 0)
                return r;
        if (l <= k + 1)
                return -ENODATA;
        l -= k + 1;
        l = MIN(l, n - 1);
        memcpy(buf, (const char *) d + k + 1, l);
        buf[l] = 0;
        return (int) l;
}

static Stream *stream_get(Source *s, const char *machine, const char *boot, const char *host) {
        JournalSource *js = s->priv;
        for (size_t i = 0; i < js->n_streams; i++)
                if (!strcmp(js->streams[i]->machine_id, machine) && !strcmp(js->streams[i]->boot_id, boot))
                        return js->streams[i];
        if (js->n_streams >= STREAMS_MAX)
                return NULL;
        Stream **v = realloc(js->streams, (js->n_streams + 1) * sizeof(Stream *));
        if (!v)
                return NULL;
        js->streams = v;
        Stream *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        snprintf(st->machine_id, sizeof(st->machine_id), "%s", machine);
        snprintf(st->boot_id, sizeof(st->boot_id), "%s", boot);
        snprintf(st->hostname, sizeof(st->hostname), "%s", host);
        st->in = (Ingest) {
                .store = s->d->store,
                .origin = { .machine_id = st->machine_id[0] ? st->machine_id : NULL,
                            .hostname = st->hostname[0] ? st->hostname : NULL,
                            .boot_id = st->boot_id[0] ? st->boot_id : NULL, .source = js->source },
                .on_new_group = daemon_new_group,
                .userdata = s->d,
        };
        LockdepOptions o = { .callback = ingest_event, .userdata = &st->in, .aliases = s->d->aliases };
        if (lockdep_parser_new(&o, &st->parser) < 0) {
                free(st);
                return NULL;
        }
        js->streams[js->n_streams++] = st;
        return st;
}

static int journal_seek(Source *s) {
        JournalSource *js = s->priv;
        _cleanup_free_ char *cur = NULL;
        int r;

        streams_free(js);
        r = store_get_cursor(s->d->store, s->name, &cur);
        if (r < 0)
                return r;
        js->last_realtime = 0;
        if (r > 0) {
                uint64_t rt = strtoull(cur, NULL, 10);
                js->last_realtime = rt;
                return sd_journal_seek_realtime_usec(js->j, rt);
        }
        return sd_journal_seek_head(js->j);
}

static int journal_set_cursor(Source *s) {
        JournalSource *js = s->priv;
        uint64_t pos = js->last_realtime, p;
        char buf[32];
        for (size_t i = 0; i < js->n_streams; i++)
                if (lockdep_parser_resume_pos(js->streams[i]->parser, &p) > 0 && p < pos)
                        pos = p;
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long) pos);
        return store_set_cursor(s->d->store, s->name, buf);
}

static unsigned stored(JournalSource *js) {
        unsigned n = 0;
        for (size_t i = 0; i < js->n_streams; i++)
                n += js->streams[i]->in.n_stored;
        return n;
}

static int journal_process(Source *s, bool *ret_more) {
        JournalSource *js = s->priv;
        unsigned before = stored(js);
        char machine[64], boot[64], host[256], mono[32];
        int r = 0;

        *ret_more = false;
        for (unsigned i = 0; i < JOURNAL_BATCH; i++) {
                r = sd_journal_next(js->j);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                uint64_t rt = 0;
                const void *d;
                size_t l;
                (void) sd_journal_get_realtime_usec(js->j, &rt);
                if (field(js->j, "_MACHINE_ID", machine, sizeof(machine)) < 0)
                        machine[0] = 0;
                if (field(js->j, "_BOOT_ID", boot, sizeof(boot)) < 0)
                        boot[0] = 0;
                if (field(js->j, "_HOSTNAME", host, sizeof(host)) < 0)
                        host[0] = 0;
                Stream *st = stream_get(s, machine, boot, host);
                if (!st)
                        return -ENOMEM;
                r = sd_journal_get_data(js->j, "MESSAGE", &d, &l);
                if (r < 0)
                        continue; /* no text (or binary over the size limit): nothing to parse */
                LockdepRecord rec = {
                        .text = (const char *) d + 8,
                        .len = l - 8,
                        .pos = rt,
                };
                if (field(js->j, "_SOURCE_MONOTONIC_TIMESTAMP", mono, sizeof(mono)) > 0) {
                        rec.has_ts = true;
                        rec.ts_usec = strtoull(mono, NULL, 10);
                }
                st->in.origin.realtime = rt;
                r = lockdep_parser_feed_record(st->parser, &rec);
                if (r < 0)
                        return r;
                js->last_realtime = rt + 1;
                if (i + 1 == JOURNAL_BATCH)
                        *ret_more = true;
        }
        s->d->n_reports += stored(js) - before;
        r = journal_set_cursor(s);
        if (r >= 0 && !*ret_more)
                (void) source_arm_idle(s);
        return r;
}

static int journal_flush_idle(Source *s) {
        JournalSource *js = s->priv;
        unsigned before = stored(js);
        for (size_t i = 0; i < js->n_streams; i++) {
                int r = lockdep_parser_flush_idle(js->streams[i]->parser);
                if (r < 0)
                        return r;
        }
        s->d->n_reports += stored(js) - before;
        return journal_set_cursor(s);
}

static int journal_rewind(Source *s) {
        return journal_seek(s);
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Source *s = userdata;
        JournalSource *js = s->priv;
        if (sd_journal_process(js->j) != SD_JOURNAL_NOP && !s->failing)
                (void) source_kick(s);
        return 0;
}

static int journal_start(Source *s) {
        JournalSource *js = calloc(1, sizeof(*js));
        int r;

        if (!js)
                return -ENOMEM;
        s->priv = js;
        snprintf(js->source, sizeof(js->source), "%s", s->name);
        r = s->path ? sd_journal_open_directory(&js->j, s->path, 0) : sd_journal_open(&js->j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
                return r;
        r = sd_journal_add_match(js->j, "_TRANSPORT=kernel", 0);
        if (r < 0)
                return r;
        r = journal_seek(s);
        if (r < 0)
                return r;
        int fd = sd_journal_get_fd(js->j);
        if (fd >= 0) {
                r = sd_event_add_io(s->d->event, &js->io, fd, (uint32_t) sd_journal_get_events(js->j), on_io, s);
                if (r < 0)
                        return r;
        }
        return source_kick(s);
}

static void journal_stop(Source *s) {
        JournalSource *js = s->priv;
        if (!js)
                return;
        sd_event_source_disable_unref(js->io);
        streams_free(js);
        sd_journal_close(js->j);
        free(js);
        s->priv = NULL;
}

const SourceOps source_journal_ops = {
        .kind = "journal",
        .start = journal_start,
        .process = journal_process,
        .flush_idle = journal_flush_idle,
        .rewind = journal_rewind,
        .stop = journal_stop,
};
