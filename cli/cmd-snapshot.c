/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl snapshot: the collector of lock dependency graphs (docs/LATENT.md), run as root by
 * lockdep-collect.service on each test machine. Reads /proc/lockdep, keeps only the dependencies
 * this boot has not sent before (its state file), and writes them as one spool file that lockdepd
 * (spool-dir =) or lockdepctl push takes from there:
 *
 *   # lockdep-snapshot: 1
 *   # release: 6.8.0-rc3       (uname -r)
 *   # boot-id: 0c8e...          (/proc/sys/kernel/random/boot_id, without dashes)
 *   # host: node17
 *   # taken: 1733230000000000   (realtime usec)
 *   # delta: yes                (no for the boot's first snapshot)
 *   all lock classes:
 *   0000000000000001 FD: 2 BD: 0 ....: &inode->i_rwsem
 *    -> [0000000000000002] &nfsi->rmdir_sem
 *   ...
 *
 * Keys are replaced by a hash of the class name: the kernel's (hashed) pointers say nothing across
 * boots and are not copied out of the root-only file; FD is the number of dependencies listed, BD 0.
 *
 * Files are written to a temporary name, fsync()ed and renamed, so a reader never sees half of
 * one; the state is updated after the rename (a crash in between sends the same dependencies
 * again, which the store recognises). No database is opened.
 *
 * With --journal the same text also goes to the journal as structured entries
 * (common/snapshot-journal.h), which systemd-journal-upload carries to a central lockdepd with the
 * rest of the machine's journal; --journal-export prints those entries in the journal export
 * format instead (for tests and for systemd-journal-remote -o FILE -).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "fnv.h"
#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "snapshot-journal.h"
#include "strbuf.h"
#include "time-spec.h"

typedef struct Pair {
        char *from, *to; /* printed names: within one boot "#N" is stable */
} Pair;

typedef struct Snap {
        Pair *v;
        size_t n, allocated;
} Snap;

static int snap_add(Snap *s, const char *from, size_t nf, const char *to, size_t nt) {
        if (s->n == s->allocated) {
                size_t n = s->allocated ? s->allocated * 2 : 1024;
                Pair *v = reallocarray(s->v, n, sizeof(Pair));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->allocated = n;
        }
        char *f = strndup(from, nf), *t = strndup(to, nt);
        if (!f || !t) {
                free(f);
                free(t);
                return -ENOMEM;
        }
        s->v[s->n++] = (Pair) { f, t };
        return 0;
}

static void snap_done(Snap *s) {
        for (size_t i = 0; i < s->n; i++) {
                free(s->v[i].from);
                free(s->v[i].to);
        }
        free(s->v);
        *s = (Snap) {};
}

static int pair_cmp(const void *a, const void *b) {
        const Pair *x = a, *y = b;
        int c = strcmp(x->from, y->from);
        return c ? c : strcmp(x->to, y->to);
}

/* A class's key in the spool file: a hash of its name, the same on every line (never a pointer). */
static uint64_t name_key(const char *s) {
        return fnv1a64_str(s);
}

static bool was_sent(const Snap *sent, const Pair *p) {
        return sent->n > 0 && bsearch(p, sent->v, sent->n, sizeof(Pair), pair_cmp);
}

static int collect(const LockdepDep *d, void *userdata) {
        return snap_add(userdata, d->from, strlen(d->from), d->to, strlen(d->to));
}

/* The state file: one "FROM\tTO" line per dependency sent, sorted. Missing = nothing sent yet. */
static int state_load(const char *path, Snap *ret) {
        FILE *f = fopen(path, "re");
        char *line = NULL;
        size_t cap = 0;
        ssize_t n;
        int r = 0;

        if (!f)
                return errno == ENOENT ? 0 : -errno;
        while (r >= 0 && (n = getline(&line, &cap, f)) > 0) {
                if (line[n - 1] == '\n')
                        line[--n] = 0;
                char *tab = strchr(line, '\t');
                if (!tab)
                        continue;
                r = snap_add(ret, line, (size_t) (tab - line), tab + 1, strlen(tab + 1));
        }
        free(line);
        fclose(f);
        if (r >= 0)
                qsort(ret->v, ret->n, sizeof(Pair), pair_cmp);
        return r < 0 ? r : 1;
}

/* Writes text to DIR/NAME through a temporary file, fsync()ed, renamed. */
static int write_atomic(const char *dir, const char *name, const char *text, size_t n, mode_t mode) {
        _cleanup_free_ char *tmp = NULL, *path = NULL;
        if (asprintf(&tmp, "%s/.%s.tmp", dir, name) < 0 || asprintf(&path, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
        if (fd < 0)
                return -errno;
        for (size_t off = 0; off < n;) {
                ssize_t k = write(fd, text + off, n - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int e = -errno;
                        close(fd);
                        unlink(tmp);
                        return e;
                }
                off += (size_t) k;
        }
        if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0) {
                int e = -errno;
                unlink(tmp);
                return e;
        }
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
                fsync(dfd);
                close(dfd);
        }
        return 0;
}

static int read_boot_id(const char *path, char ret[static 33]) {
        FILE *f = fopen(path, "re");
        char buf[64];
        size_t k = 0;
        if (!f)
                return -errno;
        bool ok = fgets(buf, sizeof(buf), f);
        fclose(f);
        if (!ok)
                return -EIO;
        for (char *p = buf; *p && k < 32; p++)
                if ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))
                        ret[k++] = *p;
        ret[k] = 0;
        return k == 32 ? 0 : -EBADMSG;
}

/* ---- the journal (common/snapshot-journal.h) ------------------------------------------------- */

/* One field in the journal export format: FIELD=VALUE, or the binary form when VALUE has a newline. */
static int export_field(FILE *f, const char *field, size_t name_len) {
        const char *eq = memchr(field, '=', name_len);
        if (!eq)
                return -EINVAL;
        size_t k = (size_t) (eq - field), n = name_len - k - 1;
        if (!memchr(eq + 1, '\n', n))
                return fwrite(field, 1, name_len, f) == name_len && fputc('\n', f) != EOF ? 0 : -EIO;
        uint8_t le[8];
        for (int i = 0; i < 8; i++)
                le[i] = (uint8_t) ((uint64_t) n >> (8 * i));
        bool ok = fwrite(field, 1, k, f) == k && fputc('\n', f) != EOF && fwrite(le, 1, 8, f) == 8 &&
                  fwrite(eq + 1, 1, n, f) == n && fputc('\n', f) != EOF;
        return ok ? 0 : -EIO;
}

/* Where part i ends: at most SNAPSHOT_JOURNAL_PART_MAX bytes, after a newline when there is one. */
static size_t part_end(const char *text, size_t n, size_t off) {
        size_t end = MIN(n, off + SNAPSHOT_JOURNAL_PART_MAX);
        if (end == n)
                return end;
        for (size_t k = end; k > off; k--)
                if (text[k - 1] == '\n')
                        return k;
        return end; /* a line longer than a part: cut inside it (the parser takes any chunking) */
}

/* The snapshot text as entries: to the journal (export NULL) or in the export format to export. */
static int journal_send(const char *text, size_t n, const char *id, const char *release, const char *boot,
                        size_t n_new, FILE *export) {
        unsigned parts = 0;
        for (size_t off = 0; off < n; off = part_end(text, n, off))
                parts++;
        if (parts == 0 || parts > SNAPSHOT_JOURNAL_PARTS_MAX)
                return -E2BIG;
        unsigned i = 0;
        for (size_t off = 0, end; off < n; off = end) {
                end = part_end(text, n, off);
                i++;
                _cleanup_free_ char *msg = NULL, *snap = NULL, *part = NULL, *count = NULL, *bytes = NULL,
                                    *kernel = NULL, *bootf = NULL, *body = NULL;
                if (asprintf(&msg, "MESSAGE=lockdep snapshot %s part %u/%u: %zu new dependenc%s of kernel %s", id, i,
                             parts, n_new, n_new == 1 ? "y" : "ies", release) < 0 ||
                    asprintf(&snap, "LOCKDEP_SNAPSHOT=%s", id) < 0 || asprintf(&part, "LOCKDEP_SNAPSHOT_PART=%u", i) < 0 ||
                    asprintf(&count, "LOCKDEP_SNAPSHOT_PARTS=%u", parts) < 0 ||
                    asprintf(&bytes, "LOCKDEP_SNAPSHOT_BYTES=%zu", end - off) < 0 ||
                    asprintf(&kernel, "LOCKDEP_KERNEL=%s", release) < 0 || asprintf(&bootf, "LOCKDEP_BOOT_ID=%s", boot) < 0)
                        return -ENOMEM;
                static const char text_key[] = "LOCKDEP_SNAPSHOT_TEXT=";
                body = malloc(sizeof(text_key) - 1 + (end - off));
                if (!body)
                        return -ENOMEM;
                memcpy(body, text_key, sizeof(text_key) - 1);
                memcpy(body + sizeof(text_key) - 1, text + off, end - off);
                struct iovec iov[] = {
                        { (char *) "MESSAGE_ID=" SNAPSHOT_JOURNAL_MESSAGE_ID, STRLEN("MESSAGE_ID=" SNAPSHOT_JOURNAL_MESSAGE_ID) },
                        { msg, strlen(msg) },
                        { (char *) "PRIORITY=6", STRLEN("PRIORITY=6") },
                        { snap, strlen(snap) },
                        { part, strlen(part) },
                        { count, strlen(count) },
                        { bytes, strlen(bytes) },
                        { kernel, strlen(kernel) },
                        { bootf, strlen(bootf) },
                        { body, sizeof(text_key) - 1 + (end - off) },
                };
                int r = 0;
                if (export) {
                        for (size_t k = 0; r >= 0 && k < ELEMENTSOF(iov); k++)
                                r = export_field(export, iov[k].iov_base, iov[k].iov_len);
                        if (r >= 0 && fputc('\n', export) == EOF)
                                r = -EIO;
                } else
                        r = sd_journal_sendv(iov, (int) ELEMENTSOF(iov));
                if (r < 0)
                        return r;
        }
        if (export && fflush(export) != 0)
                return -EIO;
        return (int) parts;
}

static void help(void) {
        printf("Usage: lockdepctl snapshot [OPTIONS]\n\n"
               "Save the lock dependencies this boot learned (/proc/lockdep, readable by root only)\n"
               "that were not saved before, as one spool file for lockdepd or lockdepctl push.\n"
               "Run by lockdep-collect.service; see lockdepctl(1) and docs/LATENT.md.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --input FILE      Read FILE instead of /proc/lockdep\n"
               "     --output DIR      Write the spool file into DIR (default: the current directory)\n"
               "     --state DIR       Remember what this boot sent in DIR (default: --output)\n"
               "     --boot-id ID      Boot (default: /proc/sys/kernel/random/boot_id)\n"
               "     --kernel RELEASE  Release (default: uname -r)\n"
               "     --host NAME       Host (default: this host's name)\n"
               "     --journal         Also send the snapshot to the journal, for journal-upload\n"
               "     --journal-export  Print those journal entries (export format) instead\n");
}

enum {
        ARG_INPUT = _ARG_QUERY_MAX,
        ARG_OUTPUT,
        ARG_STATE,
        ARG_BOOT,
        ARG_JOURNAL,
        ARG_JOURNAL_EXPORT
};

static const char *arg_input = "/proc/lockdep", *arg_output = ".", *arg_state, *arg_boot, *arg_release, *arg_host;
static int arg_journal; /* 1: to the journal, 2: export format on stdout */
static const struct option options[] = {
        { "input", required_argument, NULL, ARG_INPUT },
        { "output", required_argument, NULL, ARG_OUTPUT },
        { "state", required_argument, NULL, ARG_STATE },
        { "boot-id", required_argument, NULL, ARG_BOOT },
        { "kernel", required_argument, NULL, ARG_KERNEL },
        { "host", required_argument, NULL, ARG_HOST },
        { "journal", no_argument, NULL, ARG_JOURNAL },
        { "journal-export", no_argument, NULL, ARG_JOURNAL_EXPORT },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_INPUT:
                arg_input = optarg;
                return 0;
        case ARG_OUTPUT:
                arg_output = optarg;
                return 0;
        case ARG_STATE:
                arg_state = optarg;
                return 0;
        case ARG_BOOT:
                arg_boot = optarg;
                return 0;
        case ARG_KERNEL:
                arg_release = optarg;
                return 0;
        case ARG_HOST:
                arg_host = optarg;
                return 0;
        case ARG_JOURNAL:
                arg_journal = 1;
                return 0;
        case ARG_JOURNAL_EXPORT:
                arg_journal = 2;
                return 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        const char *input = arg_input, *output = arg_output, *state = arg_state, *boot = arg_boot,
                   *release = arg_release, *host = arg_host;
        char boot_buf[33], host_buf[256] = "", buf[65536];
        struct utsname u;
        Snap now = {}, sent = {};
        LockdepDepParser *p = NULL;
        LockdepDepStats st = {};
        StrBuf out = {}, newstate = {};
        _cleanup_free_ char *state_name = NULL, *state_path = NULL;
        int r, fd, journal = arg_journal;

        state = state ?: output;
        if (!boot) {
                r = read_boot_id("/proc/sys/kernel/random/boot_id", boot_buf);
                if (r < 0) {
                        fprintf(stderr, "lockdepctl snapshot: cannot read the boot id from "
                                "/proc/sys/kernel/random/boot_id: %s; give --boot-id\n", strerror(-r));
                        return 1;
                }
                boot = boot_buf;
        }
        if (!release) {
                if (uname(&u) < 0)
                        return fprintf(stderr, "lockdepctl snapshot: uname: %m\n"), 1;
                release = u.release;
        }
        if (!host) {
                gethostname(host_buf, sizeof(host_buf) - 1);
                host = host_buf;
        }
        if (strchr(boot, '/') || strchr(boot, '\n') || strchr(release, '\n') || strchr(host, '\n')) {
                fprintf(stderr, "lockdepctl snapshot: boot id, release and host may not contain '/' or newlines\n");
                return EXIT_USAGE;
        }

        fd = open(input, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "lockdepctl snapshot: cannot open %s: %m%s\n", input,
                        errno == ENOENT ? " (a kernel without CONFIG_LOCKDEP: nothing to collect)"
                        : errno == EACCES ? " (readable by root only: run as root, as lockdep-collect.service does)"
                                          : "");
                return 1;
        }
        LockdepDepOptions o = { .callback = collect, .userdata = &now };
        r = lockdep_deps_new(&o, &p);
        for (ssize_t k; r >= 0 && (k = read(fd, buf, sizeof(buf))) != 0;) {
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        r = -errno;
                        break;
                }
                r = lockdep_deps_feed(p, buf, (size_t) k);
        }
        close(fd);
        if (r >= 0)
                r = lockdep_deps_finish(p, &st);
        lockdep_deps_free(p);
        if (r < 0) {
                fprintf(stderr, "lockdepctl snapshot: reading %s: %s\n", input, strerror(-r));
                goto out;
        }
        if (!st.prove_locking && st.deps == 0) {
                fprintf(stderr, "lockdepctl snapshot: %s lists no dependencies (a kernel without "
                        "CONFIG_PROVE_LOCKING): nothing to collect\n", input);
                r = 0;
                goto out;
        }

        if (asprintf(&state_name, "sent.%s", boot) < 0 || asprintf(&state_path, "%s/%s", state, state_name) < 0) {
                r = -ENOMEM;
                goto out;
        }
        r = state_load(state_path, &sent);
        if (r < 0) {
                fprintf(stderr, "lockdepctl snapshot: reading %s: %s\n", state_path, strerror(-r));
                goto out;
        }
        bool delta = r > 0;

        /* the new ones, grouped by class in the order /proc/lockdep listed them */
        uint64_t taken = time_now();
        r = strbuf_printf(&out, "# lockdep-snapshot: 1\n# release: %s\n# boot-id: %s\n# host: %s\n# taken: %" PRIu64
                                "\n# delta: %s\nall lock classes:\n",
                          release, boot, host, taken, delta ? "yes" : "no");
        size_t n_new = 0;
        for (size_t i = 0; r >= 0 && i < now.n;) {
                size_t j = i, listed = 0;
                while (j < now.n && !strcmp(now.v[j].from, now.v[i].from))
                        j++;
                for (size_t k = i; k < j; k++)
                        listed += !was_sent(&sent, &now.v[k]);
                if (listed > 0) {
                        r = strbuf_printf(&out, "%016" PRIx64 " FD: %5zu BD:     0 ....: %s\n", name_key(now.v[i].from),
                                          listed, now.v[i].from);
                        for (size_t k = i; r >= 0 && k < j; k++) {
                                if (was_sent(&sent, &now.v[k]))
                                        continue;
                                r = strbuf_printf(&out, " -> [%016" PRIx64 "] %s\n", name_key(now.v[k].to), now.v[k].to);
                                if (r >= 0)
                                        r = strbuf_printf(&newstate, "%s\t%s\n", now.v[k].from, now.v[k].to);
                                n_new++;
                        }
                        if (r >= 0)
                                r = strbuf_appendc(&out, '\n');
                }
                i = j;
        }
        if (r < 0)
                goto out;
        if (st.truncated || st.bad_lines)
                fprintf(stderr, "lockdepctl snapshot: %s: %s%u line%s not understood\n", input,
                        st.truncated ? "cut short; " : "", st.bad_lines, st.bad_lines == 1 ? "" : "s");
        if (n_new == 0) {
                fprintf(journal == 2 ? stderr : stdout, "%s: nothing new since the last snapshot of boot %s\n", input,
                        boot);
                r = 0;
                goto out;
        }
        char name[128];
        snprintf(name, sizeof(name), "%020" PRIu64 "-%.32s.lockdep", taken, boot);
        r = write_atomic(output, name, out.s, out.len, 0644);
        if (r < 0) {
                fprintf(stderr, "lockdepctl snapshot: writing %s/%s: %s\n", output, name, strerror(-r));
                goto out;
        }
        if (journal) {
                char id[128];
                snprintf(id, sizeof(id), "%.*s", (int) (strlen(name) - STRLEN(".lockdep")), name);
                r = journal_send(out.s, out.len, id, release, boot, n_new, journal == 2 ? stdout : NULL);
                if (r < 0) {
                        fprintf(stderr, "lockdepctl snapshot: sending %s/%s to the journal: %s (the next snapshot "
                                "sends these again)\n", output, name, strerror(-r));
                        goto out;
                }
        }
        /* what was sent before, then the new ones: the state stays the union */
        StrBuf all = {};
        for (size_t i = 0; r >= 0 && i < sent.n; i++)
                r = strbuf_printf(&all, "%s\t%s\n", sent.v[i].from, sent.v[i].to);
        if (r >= 0)
                r = strbuf_append(&all, newstate.s ?: "", newstate.len);
        if (r >= 0)
                r = write_atomic(state, state_name, all.s ?: "", all.len, 0600);
        strbuf_done(&all);
        if (r < 0) {
                fprintf(stderr, "lockdepctl snapshot: writing %s: %s (the next snapshot sends these again)\n",
                        state_path, strerror(-r));
                goto out;
        }
        /* with --journal-export, stdout is the entries' */
        fprintf(journal == 2 ? stderr : stdout, "%s/%s: %zu new dependenc%s of %zu (%s %s, boot %s)\n", output, name,
                n_new, n_new == 1 ? "y" : "ies", now.n, host, release, boot);
        r = 0;
out:
        snap_done(&now);
        snap_done(&sent);
        strbuf_done(&out);
        strbuf_done(&newstate);
        return r < 0 ? 1 : 0;
}

const VerbSpec verb_snapshot = {
        .max_args = 0,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
