/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spool-dir = DIR: the /proc/lockdep snapshots that lockdep-collect.service (lockdepctl snapshot)
 * writes, one file per snapshot named "USEC-BOOTID.lockdep" (docs/LATENT.md). Files are taken in
 * name order, one per batch; the cursor is the name of the last one stored, so each is stored once
 * and the collector, not lockdepd, removes old ones (lockdepd only reads the spool). The directory
 * is watched with inotify (IN_MOVED_TO: the collector renames finished files into it); while it
 * does not exist yet, its parent is watched for it.
 *
 * A snapshot is accepted by the rule every entry shares (ingest_deps_refusal(); a refused one is
 * counted in dep_snapshot_rejects) and stored whole by ingest_deps_store_in(), in the batch's
 * transaction with the cursor; the latent cycles of its release are recomputed there and new ones
 * announced after the commit. The same snapshot from the journal too is stored once.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "lockdepd.h"
#include "log.h"
#include "macro.h"

typedef struct SpoolSource {
        sd_event_source *watch;
        bool watching_parent;
        char *cursor;        /* the last file stored ("" = none); after a failed commit, rewind
                              * sets it back to the committed one */
} SpoolSource;

static bool is_snapshot_name(const char *n) {
        size_t k = strlen(n);
        return n[0] != '.' && k > 8 && !strcmp(n + k - 8, ".lockdep");
}

/* The first snapshot after the cursor, malloc()ed in *ret; 0 none, 1 found, -errno. */
static int next_file(Source *s, char **ret) {
        SpoolSource *p = s->priv;
        DIR *d = opendir(s->path);
        struct dirent *de;
        char *best = NULL;

        *ret = NULL;
        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                if (!is_snapshot_name(de->d_name) || strcmp(de->d_name, p->cursor) <= 0)
                        continue;
                if (best && strcmp(de->d_name, best) >= 0)
                        continue;
                free(best);
                if (!(best = strdup(de->d_name))) {
                        closedir(d);
                        return -ENOMEM;
                }
        }
        closedir(d);
        *ret = best;
        return best ? 1 : 0;
}

static int store_file(Source *s, const char *name) {
        Daemon *d = s->d;
        _cleanup_free_ char *path = NULL;
        LockdepDepParser *parser = NULL;
        LockdepDepStats st = {};
        DepIngest deps = {};
        unsigned n_new = 0, n_cycles = 0;
        char buf[65536];
        int r, fd;

        if (asprintf(&path, "%s/%s", s->path, name) < 0)
                return -ENOMEM;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                /* removed by the collector in the meantime: nothing to store */
                if (errno == ENOENT)
                        return 0;
                r = -errno;
                log_warning_errno(r, "%s: cannot open %s: %m; it is skipped (check its permissions)", s->name, path);
                return 0;
        }
        LockdepDepOptions o = { .callback = ingest_dep, .userdata = &deps, .aliases = d->aliases };
        r = lockdep_deps_new(&o, &parser);
        for (ssize_t k; r >= 0 && (k = read(fd, buf, sizeof(buf))) != 0;) {
                if (k < 0 && errno == EINTR)
                        continue;
                r = k < 0 ? -errno : lockdep_deps_feed(parser, buf, (size_t) k);
        }
        close(fd);
        if (r >= 0)
                r = lockdep_deps_finish(parser, &st);
        lockdep_deps_free(parser);
        if (r == -ENOMEM)
                goto out;
        const char *why = r < 0 ? strerror(-r) : ingest_deps_refusal(&st, st.release, st.boot_id, NULL);
        if (why) {
                /* said once, counted (lockdepctl stats, /metrics), passed over (never retried forever) */
                log_warning("%s: %s: %s; skipped", s->name, path, why);
                _cleanup_free_ char *what = NULL;
                r = asprintf(&what, "%s: %s", name, why) < 0 ? -ENOMEM
                                                              : store_dep_snapshot_rejected(d->store, "refused", s->name,
                                                                                            what, now_realtime());
                goto out;
        }
        if (st.truncated || st.bad_lines)
                log_warning("%s: %s is %s; the dependencies read in full are stored", s->name, path,
                            st.truncated ? "cut short" : "partly not understood");
        StoreDepOrigin origin = {
                .release = st.release,
                .boot_id = st.boot_id,
                .host = st.host[0] ? st.host : d->hostname,
                .taken_usec = st.taken_usec ?: now_realtime(),
                .truncated = st.truncated || st.bad_lines > 0,
        };
        r = ingest_deps_store_in(d->store, &origin, &deps, &n_new, &n_cycles);
        if (r >= 0 && n_cycles > 0)
                r = daemon_latent_pending(d, st.release, n_cycles);
        if (r >= 0)
                log_debug("%s: %s: %zu dependencies, %u new", s->name, name, deps.n, n_new);
out:
        dep_ingest_done(&deps);
        return r;
}

static int spool_process(Source *s, bool *ret_more) {
        SpoolSource *p = s->priv;
        _cleanup_free_ char *name = NULL;
        int r;

        *ret_more = false;
        r = next_file(s, &name);
        if (r <= 0)
                return r;
        r = store_file(s, name);
        if (r < 0)
                return r;
        r = store_set_cursor(s->d->store, s->name, name);
        if (r < 0)
                return r;
        free(p->cursor);
        p->cursor = TAKE_PTR(name);
        *ret_more = true;
        return 0;
}

static int spool_rewind(Source *s) {
        SpoolSource *p = s->priv;
        _cleanup_free_ char *c = NULL;
        int r = store_get_cursor(s->d->store, s->name, &c);
        if (r < 0)
                return r;
        free(p->cursor);
        p->cursor = c ? TAKE_PTR(c) : strdup("");
        return p->cursor ? 0 : -ENOMEM;
}

static int spool_watch(Source *s);

static int on_inotify(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        Source *s = userdata;
        SpoolSource *p = s->priv;
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        bool dir_appeared = false;
        ssize_t n;

        while ((n = read(fd, buf, sizeof(buf))) > 0)
                for (char *q = buf; q < buf + n;) {
                        const struct inotify_event *ev = (const struct inotify_event *) q;
                        if (p->watching_parent && ev->len > 0 && (ev->mask & IN_ISDIR))
                                dir_appeared = true;
                        q += sizeof(*ev) + ev->len;
                }
        if (dir_appeared) {
                (void) spool_watch(s); /* now the directory itself */
                if (p->watching_parent)
                        return 0;
        }
        if (!s->failing)
                (void) source_kick(s);
        return 0;
}

static int spool_watch(Source *s) {
        SpoolSource *p = s->priv;
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), r;

        if (fd < 0)
                return -errno;
        p->watching_parent = false;
        if (inotify_add_watch(fd, s->path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR) < 0) {
                _cleanup_free_ char *copy = strdup(s->path);
                if (errno != ENOENT || !copy) {
                        r = copy ? -errno : -ENOMEM;
                        close(fd);
                        return r;
                }
                if (inotify_add_watch(fd, dirname(copy), IN_CREATE | IN_MOVED_TO | IN_ONLYDIR) < 0) {
                        r = -errno;
                        close(fd);
                        return r;
                }
                p->watching_parent = true;
                log_info("%s: %s does not exist yet (lockdep-collect.service makes it); waiting for it", s->name,
                         s->path);
        }
        sd_event_source_disable_unref(p->watch);
        p->watch = NULL;
        r = sd_event_add_io(s->d->event, &p->watch, fd, EPOLLIN, on_inotify, s);
        if (r < 0) {
                close(fd);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(p->watch, true);
        return 0;
}

static int spool_start(Source *s) {
        SpoolSource *p = calloc(1, sizeof(*p));
        int r;

        if (!p)
                return -ENOMEM;
        s->priv = p;
        r = spool_rewind(s);
        if (r < 0)
                return r;
        r = spool_watch(s);
        if (r < 0)
                return r;
        return source_kick(s);
}

static void spool_stop(Source *s) {
        SpoolSource *p = s->priv;
        if (!p)
                return;
        sd_event_source_disable_unref(p->watch);
        free(p->cursor);
        free(p);
        s->priv = NULL;
}

const SourceOps source_spool_ops = {
        .kind = "spool",
        .start = spool_start,
        .process = spool_process,
        .rewind = spool_rewind,
        .stop = spool_stop,
};
