/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/kmsg (or a file of records in its format, --kmsg PATH). One read() = one record:
 * "PRI,SEQ,USEC,FLAGS[,caller=T1];text" with \xNN escapes, then " KEY=value" dictionary lines.
 * Only facility 0 counts: what user space writes to /dev/kmsg carries another facility and can
 * not fake a report.
 *
 * The cursor is "BOOT_ID:RESUME:NEXT": RESUME the first record still needed (the start of a
 * report not stored yet), NEXT the one after the last record read. Records of the same boot below
 * RESUME are skipped after a restart. Lost records are recorded as gaps, with their number:
 *  - at the first record after a (re)start, every needed record the ring no longer holds: the
 *    ring starting at 500 with a cursor at 101 is a gap of 399;
 *  - later, a hole in the sequence numbers beyond NEXT (holes below NEXT were recorded by the run
 *    that read them first). EPIPE (the reader was overrun) is such a hole: the next read returns
 *    the oldest record still there, and the jump in sequence numbers says how many were lost.
 * A cursor of another boot (or none) says nothing about this boot's records.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kmsg-record.h"
#include "lockdepd.h"
#include "log.h"
#include "macro.h"

#define KMSG_BATCH 2048
#define RECORD_MAX 8192

typedef struct KmsgSource {
        int fd;
        bool is_file;          /* a regular file of records, one per line */
        uint64_t skip_below;   /* records of this boot already done with (RESUME) */
        uint64_t next_seq;     /* expected next sequence number, 0 = unknown */
        uint64_t seen_below;   /* NEXT of the committed cursor: holes below it are recorded */
        bool first;            /* no record read since kmsg_open() */
        LockdepParser *parser;
        Ingest in;
        sd_event_source *io;
        char *buf;             /* file mode: unread bytes */
        size_t buf_len;
        char rec[RECORD_MAX + 1];
        char text[RECORD_MAX + 1];
} KmsgSource;

static int kmsg_open(Source *s) {
        KmsgSource *k = s->priv;
        _cleanup_free_ char *cur = NULL;
        struct stat st;
        int r;

        k->parser = lockdep_parser_free(k->parser);
        k->buf_len = 0;
        k->next_seq = 0;
        k->skip_below = 0;
        k->seen_below = 0;
        k->first = true;
        if (k->fd < 0) {
                k->fd = open(s->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                if (k->fd < 0)
                        return -errno;
                if (fstat(k->fd, &st) < 0)
                        return -errno;
                k->is_file = S_ISREG(st.st_mode);
        } else if (lseek(k->fd, 0, SEEK_SET) < 0) /* /dev/kmsg: back to the oldest record */
                return -errno;
        r = store_get_cursor(s->d->store, s->name, &cur);
        if (r < 0)
                return r;
        size_t bl = strlen(s->d->boot_id);
        if (r > 0 && bl > 0 && strncmp(cur, s->d->boot_id, bl) == 0 && cur[bl] == ':') {
                /* "BOOT:RESUME:NEXT", or "BOOT:RESUME" of earlier versions */
                char *e;
                k->skip_below = strtoull(cur + bl + 1, &e, 10);
                k->seen_below = *e == ':' ? strtoull(e + 1, NULL, 10) : k->skip_below;
                k->next_seq = k->skip_below;
        }
        LockdepOptions o = { .callback = ingest_event, .userdata = &k->in, .aliases = s->d->aliases };
        return lockdep_parser_new(&o, &k->parser);
}

/* Next record into k->rec; 1 = got one, 0 = none now, -EPIPE = overrun, < 0 error. */
static int kmsg_next(KmsgSource *k, size_t *ret_len) {
        if (!k->is_file) {
                ssize_t n = read(k->fd, k->rec, RECORD_MAX);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                *ret_len = (size_t) n;
                return n > 0;
        }
        for (;;) {
                char *nl = k->buf_len ? memchr(k->buf, '\n', k->buf_len) : NULL;
                if (nl) {
                        size_t len = nl - k->buf;
                        bool dict = k->buf[0] == ' ';
                        size_t take = MIN(len, (size_t) RECORD_MAX);
                        memcpy(k->rec, k->buf, take);
                        memmove(k->buf, nl + 1, k->buf_len - len - 1);
                        k->buf_len -= len + 1;
                        if (dict)
                                continue; /* dictionary line of the previous record */
                        *ret_len = take;
                        return 1;
                }
                if (k->buf_len >= 4 * RECORD_MAX)
                        k->buf_len = 0; /* no newline for far too long: drop it */
                ssize_t n = read(k->fd, k->buf + k->buf_len, 4 * RECORD_MAX - k->buf_len);
                if (n < 0)
                        return errno == EAGAIN || errno == EINTR ? 0 : -errno;
                if (n == 0)
                        return 0;
                k->buf_len += (size_t) n;
        }
}

static int kmsg_set_cursor(Source *s) {
        KmsgSource *k = s->priv;
        char pos[128];
        uint64_t seq, next = MAX(k->next_seq, k->seen_below);
        if (lockdep_parser_resume_pos(k->parser, &seq) == 0)
                seq = k->next_seq ? k->next_seq : k->skip_below;
        snprintf(pos, sizeof(pos), "%s:%llu:%llu", s->d->boot_id, (unsigned long long) seq,
                 (unsigned long long) MAX(next, seq));
        return store_set_cursor(s->d->store, s->name, pos);
}

static int kmsg_gap(Source *s, uint64_t missed, uint64_t before_seq) {
        KmsgSource *k = s->priv;
        log_warning("%s: %llu kernel messages were lost before sequence %llu", s->name,
                    (unsigned long long) missed, (unsigned long long) before_seq);
        StoreOrigin o = k->in.origin;
        return store_add_gap(s->d->store, &o, (int64_t) missed);
}

static int kmsg_record(Source *s, size_t len) {
        KmsgSource *k = s->priv;
        KmsgRecord rec;
        int r;

        if (kmsg_record_parse(k->rec, len, k->text, &rec) < 0)
                return 0; /* not a record */
        uint64_t seq = rec.seq;
        if (k->next_seq && seq > k->next_seq) {
                /* after a restart: what is needed and gone; later: a hole not recorded before */
                uint64_t from = k->first ? k->next_seq : MAX(k->next_seq, k->seen_below);
                if (seq > from) {
                        r = kmsg_gap(s, seq - from, seq);
                        if (r < 0)
                                return r;
                }
        }
        k->first = false;
        k->next_seq = seq + 1;
        if (seq < k->skip_below || rec.facility != 0)
                return 0; /* done before the restart, or written by user space */

        LockdepRecord lr = {
                .text = rec.text,
                .len = rec.len,
                .has_ts = true,
                .ts_usec = rec.usec,
                .caller_kind = rec.caller_kind,
                .caller_id = rec.caller_id,
                .pos = seq,
        };
        return lockdep_parser_feed_record(k->parser, &lr);
}

static int kmsg_process(Source *s, bool *ret_more) {
        KmsgSource *k = s->priv;
        unsigned before = k->in.n_stored;
        int r = 0;

        *ret_more = false;
        if (!k->parser) {
                r = kmsg_open(s);
                if (r < 0)
                        return r;
        }
        k->in.origin.realtime = now_realtime();
        for (unsigned i = 0; i < KMSG_BATCH; i++) {
                size_t len = 0;
                r = kmsg_next(k, &len);
                if (r == -EPIPE) {
                        /* the next record is the oldest one left: its sequence number tells the loss */
                        log_debug("%s: reader was overrun", s->name);
                        continue;
                }
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = kmsg_record(s, len);
                if (r < 0)
                        return r;
                if (i + 1 == KMSG_BATCH)
                        *ret_more = true;
        }
        s->d->n_reports += k->in.n_stored - before;
        r = kmsg_set_cursor(s);
        if (r >= 0 && !*ret_more)
                (void) source_arm_idle(s);
        return r;
}

static int kmsg_flush_idle(Source *s, bool stale) {
        KmsgSource *k = s->priv;
        unsigned before = k->in.n_stored;
        int r = !k->parser ? 0 : stale ? lockdep_parser_flush_stale(k->parser) : lockdep_parser_flush_idle(k->parser);
        if (r <= 0)
                return r;
        s->d->n_reports += k->in.n_stored - before;
        return kmsg_set_cursor(s);
}

static int kmsg_rewind(Source *s) {
        return kmsg_open(s);
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Source *s = userdata;
        if (!s->failing)
                (void) source_kick(s);
        return 0;
}

static int kmsg_start(Source *s) {
        KmsgSource *k = calloc(1, sizeof(*k));
        int r;

        if (!k)
                return -ENOMEM;
        k->fd = -EBADF;
        s->priv = k;
        k->buf = malloc(4 * RECORD_MAX);
        if (!k->buf)
                return -ENOMEM;
        k->in = (Ingest) {
                .store = s->d->store,
                .origin = { .machine_id = s->d->machine_id, .hostname = s->d->hostname,
                            .boot_id = s->d->boot_id, .source = "kmsg" },
                .on_new_group = daemon_new_group,
                .on_regressed = daemon_regressed,
                .on_lockdep_off = daemon_lockdep_off,
                .userdata = s->d,
        };
        r = kmsg_open(s);
        if (r < 0)
                return r;
        if (!k->is_file) {
                r = sd_event_add_io(s->d->event, &k->io, k->fd, EPOLLIN, on_io, s);
                if (r < 0)
                        return r;
        }
        return source_kick(s);
}

static void kmsg_stop(Source *s) {
        KmsgSource *k = s->priv;
        if (!k)
                return;
        sd_event_source_disable_unref(k->io);
        lockdep_parser_free(k->parser);
        if (k->fd >= 0)
                close(k->fd);
        free(k->buf);
        free(k);
        s->priv = NULL;
}

const SourceOps source_kmsg_ops = {
        .kind = "kmsg",
        .start = kmsg_start,
        .process = kmsg_process,
        .flush_idle = kmsg_flush_idle,
        .rewind = kmsg_rewind,
        .stop = kmsg_stop,
};
