/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl import [--host NAME] [--boot-id ID] FILE...|-
 *
 * Parses saved logs into the database. Commits every IMPORT_BATCH reports or IMPORT_BYTES of input,
 * so an interrupted import keeps what it committed; running it again skips the reports already
 * stored (same boot and dedup key), so importing a file twice never duplicates anything.
 *
 * The summary counts committed reports only: a batch that was rolled back (disk full, database
 * locked) stored nothing, whatever its reports did inside the transaction.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "host-name.h"
#include "ingest.h"
#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "time-spec.h"

#define CHUNK (1024 * 1024)
#define IMPORT_BATCH 1000
#define IMPORT_BYTES (64u * 1024 * 1024)

static void progress(const char *path, uint64_t done, uint64_t total, const Ingest *in, bool final) {
        if (total > 0)
                fprintf(stderr, "\r%s: %3u%% (%llu MB), %u reports", path, (unsigned) (done * 100 / total),
                        (unsigned long long) (done >> 20), in->n_stored + in->n_duplicate);
        else
                fprintf(stderr, "\r%s: %llu MB, %u reports", path, (unsigned long long) (done >> 20),
                        in->n_stored + in->n_duplicate);
        if (final)
                fputc('\n', stderr);
}

typedef struct ImportBatch {
        Store *store;
        Ingest *in;
        LogInput *input;
        const char *path;
        uint64_t total;   /* file size of plain input (0: unknown or compressed) */
        uint64_t since;   /* plain bytes since the last commit */
        uint64_t last;    /* in->bytes at the last call */
        unsigned batch_start;
        bool tty;
        Ingest committed;  /* the counters of in as of the last commit */
} ImportBatch;

static int import_commit(ImportBatch *b) {
        int r = store_commit(b->store);
        if (r >= 0)
                b->committed = *b->in;
        return r;
}

/* After a rollback: what the batch seemed to do did not happen. */
static void import_rolled_back(ImportBatch *b) {
        b->in->n_stored = b->committed.n_stored;
        b->in->n_duplicate = b->committed.n_duplicate;
        b->in->n_replaced = b->committed.n_replaced;
        b->in->n_new_groups = b->committed.n_new_groups;
}

/* After each piece of input (plain bytes fed so far, the input's compression): commit every
 * IMPORT_BATCH reports or IMPORT_BYTES of text. */
static int import_fed(ImportBatch *b, uint64_t bytes, DecompressFormat format) {
        if (format != DECOMPRESS_NONE)
                b->total = 0; /* the file size is not the size of the text */
        b->since += bytes - b->last;
        b->last = bytes;
        if (b->in->n_stored - b->batch_start < IMPORT_BATCH && b->since < IMPORT_BYTES)
                return 0;
        int r = import_commit(b);
        if (r >= 0)
                r = store_begin(b->store);
        b->batch_start = b->in->n_stored;
        b->since = 0;
        if (b->tty)
                progress(b->path, bytes, b->total, b->in, false);
        return r;
}

static int import_after_feed(void *userdata) {
        ImportBatch *b = userdata;
        return import_fed(b, b->input->bytes, b->input->format);
}

/* Per report: the host and wall-clock time its log lines carry (journal and syslog text, dmesg -T),
 * else the import's: this host (or --host, which always wins) and the time of the import. */
typedef struct ImportIngest {
        Ingest in;              /* first: ingest_event() gets &in */
        const char *host;       /* --host or this host's name */
        bool host_given;        /* --host was given */
        uint64_t now;
} ImportIngest;

static void import_origin(ImportIngest *ii, const LockdepReport *r) {
        ii->in.origin.hostname = !ii->host_given && r->host ? r->host : ii->host;
        ii->in.origin.realtime = r->has_time ? r->time_usec : ii->now;
}

static int import_event(const LockdepEvent *ev, void *userdata) {
        ImportIngest *ii = userdata;
        if (ev->type == LOCKDEP_EVENT_REPORT)
                import_origin(ii, ev->report);
        return ingest_event(ev, &ii->in);
}

/* ---- two threads: parse here, store there -----------------------------------------------------
 * The input is read, decompressed and parsed on a second thread, which also copies each report
 * and deflates its parse and its logged lines (store_pack_report(), store_pack_logged()); this thread stores them in the order the parser
 * gave them. The commits come at the same points of the input as with one thread (an ITEM_FED
 * per piece of input), so what is stored, in which order and in which transaction, and what an
 * interrupted import leaves behind, are the same; only the parsing of the next reports overlaps
 * the store's writes. After a store error the parser is told to stop and what it queued is
 * dropped (the transaction is rolled back, as with one thread). */

typedef enum ItemType {
        ITEM_REPORT,
        ITEM_LOCKDEP_OFF,
        ITEM_FED,
        ITEM_END,
} ItemType;

typedef struct Item {
        ItemType type;
        LockdepReport *report;     /* REPORT */
        void *packed, *logged;
        size_t packed_size, logged_size;
        LockdepEvent ev;           /* LOCKDEP_OFF, its text owned */
        uint64_t bytes;            /* FED: LogInput.bytes and .format after that piece */
        DecompressFormat format;
        int result;                /* END: log_input_read()'s */
} Item;

#define PIPE_MAX 128

typedef struct Pipe {
        pthread_mutex_t lock;
        pthread_cond_t can_put, can_get;
        Item *v[PIPE_MAX];
        size_t head, n;
        int stop;                  /* < 0: the store failed, the parser stops with it */
        StorePacker *packer;       /* the parser thread's */
        LogInput *input;
        int fd;
        Item end;
} Pipe;

static void item_free(Item *it) {
        if (!it || it->type == ITEM_END)
                return;
        lockdep_report_free(it->report);
        free(it->packed);
        free(it->logged);
        free((char *) it->ev.text);
        free(it);
}

/* An item for the store; dropped when it stopped (except the end, which it always waits for). */
static int pipe_put(Pipe *p, Item *it) {
        pthread_mutex_lock(&p->lock);
        while (p->n == PIPE_MAX && (p->stop == 0 || it->type == ITEM_END))
                pthread_cond_wait(&p->can_put, &p->lock);
        int r = it->type == ITEM_END ? 0 : p->stop;
        if (r == 0) {
                p->v[(p->head + p->n++) % PIPE_MAX] = it;
                pthread_cond_signal(&p->can_get);
        }
        pthread_mutex_unlock(&p->lock);
        if (r < 0)
                item_free(it);
        return r;
}

static Item *pipe_get(Pipe *p) {
        pthread_mutex_lock(&p->lock);
        while (p->n == 0)
                pthread_cond_wait(&p->can_get, &p->lock);
        Item *it = p->v[p->head];
        p->head = (p->head + 1) % PIPE_MAX;
        p->n--;
        pthread_cond_signal(&p->can_put);
        pthread_mutex_unlock(&p->lock);
        return it;
}

static void pipe_stop(Pipe *p, int r) {
        pthread_mutex_lock(&p->lock);
        if (p->stop == 0)
                p->stop = r;
        pthread_cond_signal(&p->can_put);
        pthread_mutex_unlock(&p->lock);
}

/* The parser's callback on the parser thread: the events ingest_event() stores, copied. */
static int pipe_event(const LockdepEvent *ev, void *userdata) {
        Pipe *p = userdata;
        if (ev->type != LOCKDEP_EVENT_REPORT && ev->type != LOCKDEP_EVENT_LOCKDEP_OFF)
                return 0;
        Item *it = calloc(1, sizeof(*it));
        if (!it)
                return -ENOMEM;
        int r = 0;
        if (ev->type == LOCKDEP_EVENT_REPORT) {
                it->type = ITEM_REPORT;
                r = lockdep_report_dup(ev->report, &it->report);
                if (r >= 0)
                        r = store_pack_report(p->packer, ev->report, &it->packed, &it->packed_size);
                if (r >= 0)
                        r = store_pack_logged(p->packer, ev->report, &it->logged, &it->logged_size);
        } else {
                it->type = ITEM_LOCKDEP_OFF;
                it->ev = *ev;
                it->ev.report = NULL;
                it->ev.text = strdup(ev->text ? ev->text : "");
                if (!it->ev.text)
                        r = -ENOMEM;
        }
        if (r < 0) {
                item_free(it);
                return r;
        }
        return pipe_put(p, it);
}

static int pipe_after_feed(void *userdata) {
        Pipe *p = userdata;
        Item *it = calloc(1, sizeof(*it));
        if (!it)
                return -ENOMEM;
        *it = (Item) { .type = ITEM_FED, .bytes = p->input->bytes, .format = p->input->format };
        return pipe_put(p, it);
}

static void *parse_thread(void *userdata) {
        Pipe *p = userdata;
        p->end = (Item) { .type = ITEM_END, .result = log_input_read(p->input, p->fd) };
        (void) pipe_put(p, &p->end);
        return NULL;
}

/* The store's side: what import_event() and import_after_feed() do with one thread, in order.
 * Returns the first error of either side. */
static int pipe_store(Pipe *p, ImportBatch *b, ImportIngest *ii) {
        int err = 0;
        for (;;) {
                Item *it = pipe_get(p);
                if (it->type == ITEM_END)
                        return err < 0 ? err : it->result;
                if (err >= 0) {
                        switch (it->type) {
                        case ITEM_REPORT:
                                import_origin(ii, it->report);
                                err = ingest_report(&ii->in, it->report, it->packed, it->packed_size, it->logged,
                                                    it->logged_size);
                                break;
                        case ITEM_LOCKDEP_OFF:
                                err = ingest_event(&it->ev, &ii->in);
                                break;
                        case ITEM_FED:
                                err = import_fed(b, it->bytes, it->format);
                                break;
                        default:
                                break;
                        }
                        if (err < 0)
                                pipe_stop(p, err);
                }
                item_free(it);
        }
}

/* The parser's callback: to the store directly, or to the parser thread's queue. */
typedef struct ImportRun {
        ImportIngest *ii;
        Pipe *pipe;
        bool pipelined;
} ImportRun;

static int import_dispatch(const LockdepEvent *ev, void *userdata) {
        ImportRun *run = userdata;
        return run->pipelined ? pipe_event(ev, run->pipe) : import_event(ev, run->ii);
}

/* log_input_read() with the parser on a second thread; on one thread when it cannot be made. */
static int import_read(ImportRun *run, LogInput *input, int fd, ImportBatch *b) {
        Pipe *p = run->pipe;
        pthread_t t;
        *p = (Pipe) { .lock = PTHREAD_MUTEX_INITIALIZER, .can_put = PTHREAD_COND_INITIALIZER,
                      .can_get = PTHREAD_COND_INITIALIZER, .input = input, .fd = fd };
        if (store_packer_new(&p->packer) >= 0) {
                input->after_feed = pipe_after_feed;
                input->userdata = p;
                run->pipelined = true;
                if (pthread_create(&t, NULL, parse_thread, p) == 0) {
                        int r = pipe_store(p, b, run->ii);
                        pthread_join(t, NULL);
                        p->packer = store_packer_free(p->packer);
                        return r;
                }
                p->packer = store_packer_free(p->packer);
                run->pipelined = false;
        }
        input->after_feed = import_after_feed;
        input->userdata = b;
        return log_input_read(input, fd);
}

/* Returns the exit status contribution (0 or 1); store errors are printed here. */
static int import_fd(Store *s, int fd, const char *path, ImportIngest *ii, const LockdepAliases *aliases) {
        Ingest *in = &ii->in;
        LockdepParser *p = NULL;
        struct stat st;
        int r;

        Pipe pipe;
        ImportRun run = { .ii = ii, .pipe = &pipe };
        LockdepOptions o = { .callback = import_dispatch, .userdata = &run, .aliases = aliases,
                               .reference_usec = log_input_reference(fd) };
        r = lockdep_parser_new(&o, &p);
        if (r < 0) {
                fprintf(stderr, "lockdepctl import: %s: %s\n", path, strerror(-r));
                return 1;
        }
        LogInput input = { .parser = p };
        ImportBatch b = { .store = s, .in = in, .input = &input, .path = path, .tty = isatty(STDERR_FILENO),
                          .committed = *in };
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
                b.total = (uint64_t) st.st_size;
        r = store_begin(s);
        if (r >= 0)
                r = import_read(&run, &input, fd, &b);
        /* what was read before corrupt or truncated compressed data is kept */
        if (r >= 0 || r == -EBADMSG || r == -EPIPE)
                r = import_commit(&b);
        else
                store_rollback(s);
        if (r < 0)
                import_rolled_back(&b);
        if (input.format != DECOMPRESS_NONE)
                b.total = 0;
        if (b.tty && input.bytes > CHUNK)
                progress(path, input.bytes, b.total, in, true);
        int ret;
        if (r < 0 && input.read_error != -EBADMSG && input.read_error != -EPIPE) {
                fprintf(stderr, "lockdepctl import: %s: %s; its reports after the last commit were not "
                        "stored (import it again: what is stored already is skipped)\n", path,
                        store_error(s)[0] ? store_error(s) : strerror(-r));
                ret = 1;
        } else
                ret = log_input_done(&input, "import", path, in->n_stored + in->n_duplicate);
        lockdep_parser_free(p);
        return ret;
}

/* A saved /proc/lockdep: with --kernel every input must be one, without it one is refused (its
 * release is not in it). Returns the exit status, or -1 when fd is a kernel log for import_fd(). */
static int import_snapshot(Store *s, int fd, const char *path, const char *release, const char *boot,
                           const char *default_boot, const char *host, const char *default_host,
                           const LockdepAliases *aliases) {
        char head[4096];
        ssize_t n = 0;

        if (!release && lseek(fd, 0, SEEK_CUR) < 0)
                return -1; /* a pipe of a log: it is not read twice */
        while (n < (ssize_t) sizeof(head)) {
                ssize_t k = read(fd, head + n, sizeof(head) - (size_t) n);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n += k;
        }
        bool snapshot = lockdep_deps_detect(head, (size_t) n);
        if (!release) {
                if (lseek(fd, 0, SEEK_SET) < 0) {
                        fprintf(stderr, "lockdepctl import: %s: %m\n", path);
                        return 1;
                }
                if (!snapshot)
                        return -1;
        } else if (!snapshot) {
                fprintf(stderr, "lockdepctl import: %s is not a /proc/lockdep snapshot (--kernel is for those; "
                        "import kernel logs without it)\n", path);
                return 1;
        }
        ImportDepsOptions o = { .release = release, .boot_id = boot, .host = host, .default_boot_id = default_boot,
                                .default_host = default_host, .aliases = aliases };
        /* without --kernel fd was rewound: the snapshot is read from its start */
        return import_deps(s, fd, path, head, release ? (size_t) n : 0, &o);
}

static void rebuild_progress(unsigned done, unsigned total, void *userdata) {
        if (isatty(STDERR_FILENO))
                fprintf(stderr, "\rrebuilding lock classes and edges: %u of %u reports%s", done, total,
                        done == total ? "\n" : "");
}

/* A database of an earlier build: say what the open repaired, and fill what only a parse can. */
static int rebuild_if_needed(Store *s, const LockdepAliases *aliases) {
        if (store_repaired(s))
                fprintf(stderr, "lockdepctl import: the database was made by an earlier build; created what it "
                        "lacked: %s\n", store_repaired(s));
        if (!store_needs_rederive(s))
                return 0;
        fprintf(stderr, "lockdepctl import: the lock classes and edges of the stored reports are incomplete "
                "(made by an earlier build); rebuilding them\n");
        int r = store_rebuild_derived(s, aliases, rebuild_progress, NULL, NULL);
        if (r < 0)
                fprintf(stderr, "lockdepctl import: rebuilding them failed: %s; run 'lockdepctl reparse'\n",
                        store_error(s));
        return r;
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] import [OPTIONS] FILE...|-\n\n"
               "Parse saved kernel logs (plain or gzip, xz, zstd compressed) and store their\n"
               "lockdep reports. Importing the same log again adds nothing.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --host NAME       Host the logs come from (default: the host named in each\n"
               "                       report's syslog/journal lines, else this host's name)\n"
               "     --boot-id ID      Boot the logs come from (default: one per kernel release;\n"
               "                       for /proc/lockdep snapshots: one per file)\n"
               "     --kernel RELEASE  The inputs are saved /proc/lockdep snapshots of a boot of\n"
               "                       this kernel release (see lockdepctl latent)\n"
               "     --aliases FILE    Add the class aliases of FILE\n");
}

enum {
        ARG_BOOT = _ARG_QUERY_MAX,
        ARG_ALIASES
};

static const char *arg_host, *arg_boot, *arg_aliases, *arg_release;
static const struct option options[] = {
        { "host", required_argument, NULL, ARG_HOST },
        { "boot-id", required_argument, NULL, ARG_BOOT },
        { "kernel", required_argument, NULL, ARG_KERNEL },
        { "aliases", required_argument, NULL, ARG_ALIASES },
        {},
};

static int option(int c, const char *optarg) {
        switch (c) {
        case ARG_HOST:
                arg_host = optarg;
                return 0;
        case ARG_BOOT:
                arg_boot = optarg;
                return 0;
        case ARG_KERNEL:
                arg_release = optarg;
                return 0;
        case ARG_ALIASES:
                arg_aliases = optarg;
                return 0;
        default:
                return -EINVAL;
        }
}

static int run(VerbRun *v) {
        const char *host = arg_host, *boot = arg_boot, *aliases_file = arg_aliases, *release = arg_release;
        LockdepAliases *aliases = NULL;
        unsigned stored = 0, dup = 0, replaced = 0, groups = 0, n_snapshots = 0, n_logs = 0;
        int ret = 0;

        bool host_given = host != NULL;
        char host_buf[HOST_NAME_BUF];
        if (host_arg("import", host, host_buf) < 0)
                return EXIT_USAGE;
        host = host_buf;
        if (load_aliases(aliases_file, &aliases) < 0)
                return 1;
        Store *s = verb_db(v);
        /* best effort: without it this connection checkpoints, as every other writer does */
        if (s)
                (void) store_checkpoint_in_background(s);
        if (!s || rebuild_if_needed(s, aliases) < 0) {
                lockdep_aliases_free(aliases);
                return 1;
        }

        for (int i = 0; i < v->argc; i++) {
                const char *path = v->argv[i];
                bool is_stdin = strcmp(path, "-") == 0;
                char source[4200];
                _cleanup_free_ char *abs = is_stdin ? NULL : realpath(path, NULL);
                int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        fprintf(stderr, "lockdepctl import: cannot open %s: %s\n", path, strerror(errno));
                        ret = 1;
                        continue;
                }
                snprintf(source, sizeof(source), "import:%s", is_stdin ? "-" : abs ? abs : path);
                int q = import_snapshot(s, fd, is_stdin ? "<stdin>" : path, release, boot, source,
                                        host_given ? host : NULL, host, aliases);
                if (q >= 0) {
                        if (q > ret)
                                ret = q;
                        if (!is_stdin)
                                close(fd);
                        n_snapshots++;
                        continue;
                }
                ImportIngest ii = {
                        .in = {
                                .store = s,
                                .origin = { .hostname = host, .boot_id = boot, .source = source, .realtime = time_now() },
                        },
                        .host = host,
                        .host_given = host_given,
                        .now = time_now(),
                };
                n_logs++;
                if (import_fd(s, fd, is_stdin ? "<stdin>" : path, &ii, aliases) != 0)
                        ret = 1;
                if (!is_stdin)
                        close(fd);
                stored += ii.in.n_stored;
                dup += ii.in.n_duplicate;
                replaced += ii.in.n_replaced;
                groups += ii.in.n_new_groups;
        }
        int q = store_index_text(s, 0);
        if (release || (n_snapshots > 0 && n_logs == 0)) {
                lockdep_aliases_free(aliases);
                return ret;
        }
        if (q < 0) {
                fprintf(stderr, "lockdepctl import: updating the search index: %s\n", store_error(s));
                ret = 1;
        }
        printf("%u report%s stored (%u new group%s)", stored, stored == 1 ? "" : "s", groups, groups == 1 ? "" : "s");
        if (replaced > 0)
                printf(", %u report%s replaced by a more complete copy", replaced, replaced == 1 ? "" : "s");
        if (replaced == 0 || dup > replaced)
                printf(", %u already in the database", dup - replaced);
        putchar('\n');
        lockdep_aliases_free(aliases);
        return ret;
}

const VerbSpec verb_import = {
        .min_args = 1,
        .max_args = VERB_ANY,
        .args = "no input; give FILE... or - for stdin",
        .flags = VERB_DB_WRITE,
        .options = options,
        .option = option,
        .help = help,
        .run = run,
};
