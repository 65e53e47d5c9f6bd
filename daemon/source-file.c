/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --follow FILE: a console log that grows (serial capture of a test VM). The cursor is
 * "DEV:INODE:OFFSET" of the first byte still needed (the start of a report that is not complete
 * yet). A new inode at the path (rotation) is read from its start once the old one is drained; a
 * file that shrank (truncation) is read again from 0. The directory is watched with inotify, so an
 * idle daemon does not wake up.
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

#include "lockdepd.h"
#include "log.h"
#include "macro.h"

#define FILE_CHUNK (1024 * 1024)

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
} FileSource;

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
        r = store_get_cursor(s->d->store, s->name, &cur);
        if (r < 0)
                return r;
        if (r > 0) {
                unsigned long long dev, ino, off;
                if (sscanf(cur, "%llu:%llu:%llu", &dev, &ino, &off) == 3 && dev == (unsigned long long) st.st_dev &&
                    ino == (unsigned long long) st.st_ino && off <= (unsigned long long) st.st_size)
                        f->base = off;
        }
        if (lseek(f->fd, (off_t) f->base, SEEK_SET) < 0)
                return -errno;
        f->offset = f->base;
        LockdepOptions o = { .callback = ingest_event, .userdata = &f->in, .aliases = s->d->aliases };
        return lockdep_parser_new(&o, &f->parser);
}

static int file_set_cursor(Source *s) {
        FileSource *f = s->priv;
        char pos[96];
        uint64_t rel;
        (void) lockdep_parser_resume_pos(f->parser, &rel);
        snprintf(pos, sizeof(pos), "%llu:%llu:%llu", (unsigned long long) f->dev, (unsigned long long) f->ino,
                 (unsigned long long) (f->base + rel));
        return store_set_cursor(s->d->store, s->name, pos);
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
        ssize_t n = read(f->fd, f->buf, FILE_CHUNK);
        if (n < 0)
                return errno == EAGAIN || errno == EINTR ? 0 : -errno;
        if (n > 0) {
                r = lockdep_parser_feed(f->parser, f->buf, (size_t) n);
                if (r < 0)
                        return r;
                f->offset += (uint64_t) n;
                *ret_more = n == FILE_CHUNK;
        } else if (stat(s->path, &st) == 0 && (st.st_ino != f->ino || st.st_dev != f->dev)) {
                /* rotated: the old file is drained; its open report ends here */
                r = lockdep_parser_finish(f->parser);
                if (r < 0)
                        return r;
                log_info("%s: file was replaced, following the new one", s->name);
                r = store_set_cursor(s->d->store, s->name, "0:0:0");
                if (r >= 0)
                        r = file_open_at_cursor(s);
                if (r < 0)
                        return r;
                *ret_more = true;
        } else if (fstat(f->fd, &st) == 0 && (uint64_t) st.st_size < f->offset) {
                log_info("%s: file was truncated, reading it again from the start", s->name);
                r = lockdep_parser_finish(f->parser);
                if (r < 0)
                        return r;
                r = store_set_cursor(s->d->store, s->name, "0:0:0");
                if (r >= 0)
                        r = file_open_at_cursor(s);
                if (r < 0)
                        return r;
                *ret_more = true;
        }
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
        f->in = (Ingest) {
                .store = s->d->store,
                .origin = { .hostname = f->host, .source = f->source },
                .on_new_group = daemon_new_group,
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
