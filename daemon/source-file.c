/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --follow FILE: a console log that grows (serial capture of a test VM). The cursor is
 * "DEV:INODE:OFFSET:HASH": OFFSET the first byte still needed (the start of a report that is not
 * complete yet), HASH a hash of the CHECK_BYTES before it. A new inode at the path (rotation) is
 * read from its start once the old one is drained; a file that shrank (truncation) is read again
 * from 0.
 *
 * The same inode may hold other content at the same offsets: QEMU's -serial file: truncates the log
 * (O_TRUNC) at every VM start and writes the new boot into it, which may already be longer than the
 * offset by the time lockdepd looks (it was down, or its database busy). So a position proves that
 * it still points into the content it was taken in: at open, the bytes before OFFSET must hash as
 * the cursor says; while following, the TAIL_BYTES before the read offset must still be what was
 * read there. Otherwise the file is read again from its start (reports already stored are
 * recognised by their dedup key). A cursor of an earlier version, without a hash, cannot prove
 * anything: the file is read from its start too.
 *
 * The directory is watched with inotify, so an idle daemon does not wake up.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fnv.h"
#include "host-name.h"
#include "lockdepd.h"
#include "log.h"
#include "macro.h"

#define FILE_CHUNK (1024 * 1024)
#define CHECK_BYTES (16 * 1024) /* hashed before the cursor's offset */
#define TAIL_BYTES 256          /* compared before each read */

typedef struct FileSource {
        int fd;
        dev_t dev;
        ino_t ino;
        uint64_t base;     /* file offset where the parser started */
        uint64_t offset;   /* file offset read so far */
        LockdepParser *parser;
        Ingest in;
        char source[4200];
        char host[256];
        sd_event_source *watch;
        bool watching_ancestor; /* the file's directory does not exist yet: watching the nearest one */
        char *buf;
        unsigned char tail[TAIL_BYTES]; /* the bytes before offset, as read */
        size_t tail_len;
        uint64_t hash_pos, hash;  /* the last cursor hash computed, by offset */
} FileSource;

/* FNV-1a over the CHECK_BYTES before pos; -EIO when they cannot all be read. */
static int hash_before(FileSource *f, uint64_t pos, uint64_t *ret) {
        uint64_t start = pos > CHECK_BYTES ? pos - CHECK_BYTES : 0, h = FNV1A64_INIT;
        size_t n = (size_t) (pos - start);
        if (f->hash_pos == pos && pos > 0) {
                *ret = f->hash;
                return 0;
        }
        _cleanup_free_ unsigned char *b = malloc(n ?: 1);
        if (!b)
                return -ENOMEM;
        if (n > 0 && pread(f->fd, b, n, (off_t) start) != (ssize_t) n)
                return -EIO;
        h = fnv1a64(h, b, n);
        f->hash_pos = pos;
        f->hash = h;
        *ret = h;
        return 0;
}

/* Keeps the last TAIL_BYTES before f->offset (after a read of data[0..n), or reading them). */
static void tail_update(FileSource *f, const char *data, size_t n) {
        if (n >= TAIL_BYTES) {
                memcpy(f->tail, data + n - TAIL_BYTES, TAIL_BYTES);
                f->tail_len = TAIL_BYTES;
                return;
        }
        size_t keep = MIN(f->tail_len, TAIL_BYTES - n);
        memmove(f->tail, f->tail + f->tail_len - keep, keep);
        memcpy(f->tail + keep, data, n);
        f->tail_len = keep + n;
}

static int tail_load(FileSource *f) {
        size_t n = (size_t) MIN(f->offset, (uint64_t) TAIL_BYTES);
        f->tail_len = 0;
        if (n > 0 && pread(f->fd, f->tail, n, (off_t) (f->offset - n)) != (ssize_t) n)
                return -EIO;
        f->tail_len = n;
        return 0;
}

/* Are the bytes before the read offset still those that were read there? */
static bool tail_intact(FileSource *f) {
        unsigned char now[TAIL_BYTES];
        if (f->tail_len == 0)
                return true;
        return pread(f->fd, now, f->tail_len, (off_t) (f->offset - f->tail_len)) == (ssize_t) f->tail_len &&
               memcmp(now, f->tail, f->tail_len) == 0;
}

static void file_close(FileSource *f) {
        if (f->fd >= 0)
                close(f->fd);
        f->fd = -EBADF;
        f->parser = lockdep_parser_free(f->parser);
}

/* Opens the path and positions it at the committed cursor (or at 0 for another inode). */
static int file_open_at_cursor(Source *s) {
        FileSource *f = s->priv;
        _cleanup_free_ char *cur = NULL;
        struct stat st;
        int r;

        file_close(f);
        f->fd = open(s->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (f->fd < 0)
                return errno == ENOENT ? 0 : -errno; /* not there yet: the watch tells us */
        if (fstat(f->fd, &st) < 0)
                return -errno;
        f->dev = st.st_dev;
        f->ino = st.st_ino;
        f->base = 0;
        f->hash_pos = 0;
        r = store_get_cursor(s->d->store, s->name, &cur);
        if (r < 0)
                return r;
        if (r > 0) {
                unsigned long long dev, ino, off, hash;
                int n = sscanf(cur, "%llu:%llu:%llu:%16llx", &dev, &ino, &off, &hash);
                uint64_t now;
                if (n >= 3 && dev == (unsigned long long) st.st_dev && ino == (unsigned long long) st.st_ino &&
                    off <= (unsigned long long) st.st_size && off > 0) {
                        if (n == 4 && hash_before(f, off, &now) >= 0 && now == hash)
                                f->base = off;
                        else
                                log_info("%s: %s; reading it again from the start", s->name,
                                         n == 4 ? "the content before the saved position changed (rewritten in place)"
                                                : "the saved position has no content check (earlier version)");
                }
        }
        if (lseek(f->fd, (off_t) f->base, SEEK_SET) < 0)
                return -errno;
        f->offset = f->base;
        r = tail_load(f);
        if (r < 0)
                return r;
        LockdepOptions o = { .callback = ingest_event, .userdata = &f->in, .aliases = s->d->aliases };
        return lockdep_parser_new(&o, &f->parser);
}

static int file_set_cursor(Source *s) {
        FileSource *f = s->priv;
        char pos[128];
        uint64_t rel, hash;
        (void) lockdep_parser_resume_pos(f->parser, &rel);
        int r = hash_before(f, f->base + rel, &hash);
        if (r == -ENOMEM)
                return r;
        if (r < 0) /* shorter than that now: a position without a check, read from the start */
                snprintf(pos, sizeof(pos), "%llu:%llu:%llu", (unsigned long long) f->dev,
                         (unsigned long long) f->ino, (unsigned long long) (f->base + rel));
        else
                snprintf(pos, sizeof(pos), "%llu:%llu:%llu:%016llx", (unsigned long long) f->dev,
                         (unsigned long long) f->ino, (unsigned long long) (f->base + rel),
                         (unsigned long long) hash);
        return store_set_cursor(s->d->store, s->name, pos);
}

/* The file changed under us: its open report ends here, the new content is read from 0. */
static int file_restart(Source *s, const char *why) {
        FileSource *f = s->priv;
        log_info("%s: %s", s->name, why);
        int r = lockdep_parser_finish(f->parser);
        if (r < 0)
                return r;
        r = store_set_cursor(s->d->store, s->name, "0:0:0");
        if (r >= 0)
                r = file_open_at_cursor(s);
        return r;
}

static int file_process(Source *s, bool *ret_more) {
        FileSource *f = s->priv;
        struct stat st;
        unsigned before = f->in.n_stored;
        int r;

        *ret_more = false;
        if (f->fd < 0) {
                r = file_open_at_cursor(s);
                if (r < 0 || f->fd < 0)
                        return r;
        }
        f->in.origin.realtime = now_realtime();
        if (!tail_intact(f)) {
                /* truncated and written again since the last read, maybe beyond our offset already */
                r = file_restart(s, "file was rewritten in place, reading it again from the start");
                if (r < 0)
                        return r;
                *ret_more = true;
                goto done;
        }
        ssize_t n = read(f->fd, f->buf, FILE_CHUNK);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n > 0) {
                r = lockdep_parser_feed(f->parser, f->buf, (size_t) n);
                if (r < 0)
                        return r;
                f->offset += (uint64_t) n;
                tail_update(f, f->buf, (size_t) n);
                *ret_more = n == FILE_CHUNK;
        } else if (stat(s->path, &st) == 0 && (st.st_ino != f->ino || st.st_dev != f->dev)) {
                /* rotated: the old file is drained; its open report ends here */
                r = file_restart(s, "file was replaced, following the new one");
                if (r < 0)
                        return r;
                *ret_more = true;
        } else if (fstat(f->fd, &st) == 0 && (uint64_t) st.st_size < f->offset) {
                r = file_restart(s, "file was truncated, reading it again from the start");
                if (r < 0)
                        return r;
                *ret_more = true;
        }
done:
        s->d->n_reports += f->in.n_stored - before;
        r = file_set_cursor(s);
        if (r >= 0 && !*ret_more)
                (void) source_arm_idle(s); /* a finished report at the end waits no longer than that */
        return r;
}

static int file_flush_idle(Source *s, bool stale) {
        FileSource *f = s->priv;
        if (!f->parser)
                return 0;
        unsigned before = f->in.n_stored;
        int r = stale ? lockdep_parser_flush_stale(f->parser) : lockdep_parser_flush_idle(f->parser);
        if (r <= 0)
                return r;
        s->d->n_reports += f->in.n_stored - before;
        return file_set_cursor(s);
}

static int file_rewind(Source *s) {
        return file_open_at_cursor(s);
}

static int on_inotify(sd_event_source *es, const struct inotify_event *ev, void *userdata);

/* Watches the file's directory, or while that does not exist, the nearest existing ancestor for
 * the next component to appear (then again one level down), as lockdepd(8) promises. */
static int file_watch(Source *s) {
        FileSource *f = s->priv;
        _cleanup_free_ char *dir = strdup(s->path);
        if (!dir)
                return -ENOMEM;
        char *d = dirname(dir);
        bool ancestor = false;
        f->watch = sd_event_source_disable_unref(f->watch);
        for (;;) {
                int r = sd_event_add_inotify(s->d->event, &f->watch, d,
                                             ancestor ? IN_CREATE | IN_MOVED_TO | IN_ONLYDIR :
                                             IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB,
                                             on_inotify, s);
                if (r >= 0)
                        break;
                if (r != -ENOENT || !strcmp(d, "/") || !strcmp(d, "."))
                        return r;
                if (!ancestor && !f->watching_ancestor)
                        log_notice("%s: directory %s does not exist yet; waiting for it", s->name, d);
                ancestor = true;
                d = dirname(d);
        }
        f->watching_ancestor = ancestor;
        return 0;
}

static int on_inotify(sd_event_source *es, const struct inotify_event *ev, void *userdata) {
        Source *s = userdata;
        FileSource *f = s->priv;
        _cleanup_free_ char *copy = strdup(s->path);
        if (!copy)
                return 0;
        if (f->watching_ancestor) {
                /* a directory on the way appeared: watch one level closer (this source is freed here) */
                if (file_watch(s) < 0)
                        log_warning("%s: cannot watch for the directory of %s", s->name, s->path);
                else if (!f->watching_ancestor && !s->failing)
                        (void) source_kick(s);
                return 0;
        }
        if (ev->len > 0 && strcmp(ev->name, basename(copy)) != 0)
                return 0;
        if (!s->failing)
                (void) source_kick(s);
        return 0;
}

static int file_start(Source *s) {
        FileSource *f = calloc(1, sizeof(*f));
        _cleanup_free_ char *dir = strdup(s->path);
        int r;

        if (!f || !dir) {
                free(f);
                return -ENOMEM;
        }
        f->fd = -EBADF;
        f->buf = malloc(FILE_CHUNK);
        s->priv = f;
        if (!f->buf)
                return -ENOMEM;
        snprintf(f->source, sizeof(f->source), "file:%s", s->path);
        /* a serial capture "vm7.log" is the console of host "vm7" */
        _cleanup_free_ char *copy = strdup(s->path);
        if (!copy)
                return -ENOMEM;
        snprintf(f->host, sizeof(f->host), "%s", basename(copy));
        char *dot = strchr(f->host, '.');
        if (dot && dot != f->host)
                *dot = 0;
        char name[HOST_NAME_BUF];
        if (host_name_sanitize(f->host, strlen(f->host), name))
                snprintf(f->host, sizeof(f->host), "%s", name); /* the rule of host-name.h */
        f->in = (Ingest) {
                .store = s->d->store,
                .origin = { .hostname = f->host, .source = f->source },
                .on_new_group = daemon_new_group,
                .on_regressed = daemon_regressed,
                .userdata = s->d,
        };
        r = file_watch(s);
        if (r < 0)
                return r;
        r = file_open_at_cursor(s);
        if (r < 0)
                return r;
        return source_kick(s);
}

static void file_stop(Source *s) {
        FileSource *f = s->priv;
        if (!f)
                return;
        file_close(f);
        sd_event_source_disable_unref(f->watch);
        free(f->buf);
        free(f);
        s->priv = NULL;
}

const SourceOps source_file_ops = {
        .kind = "file",
        .start = file_start,
        .process = file_process,
        .flush_idle = file_flush_idle,
        .rewind = file_rewind,
        .stop = file_stop,
};
