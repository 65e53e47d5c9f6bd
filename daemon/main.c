/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepd: watches the kernel log (/dev/kmsg, the journal, journal directories of other hosts,
 * followed console logs), stores every lockdep report with its parsed chain and keeps the report
 * groups current. See lockdepd(8).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include "config.h"
#include "lockdep-build.h"
#include "lockdepd.h"
#include "log.h"
#include "macro.h"
#include "strbuf.h"
#if HAVE_WEB
#include "web.h"
#endif

#define DEFAULT_CONFIG LOCKDEP_SYSCONFDIR "/lockdepd.conf"

static void help(void) {
        printf("Usage: lockdepd [OPTIONS]\n\n"
               "Collect Linux lockdep reports from the kernel log into a database.\n\n"
               "Options:\n"
               "  -h --help               Show this help\n"
               "     --version            Show the version\n"
               "     --db PATH            Database (default: $STATE_DIRECTORY/lockdep.db or %s)\n"
               "     --config FILE        Configuration file (default: %s)\n"
               "     --check-config       Check the configuration and exit\n"
               "     --kmsg PATH          Read kernel records from PATH instead of /dev/kmsg\n"
               "     --no-kmsg            Do not read /dev/kmsg\n"
               "     --no-journal         Do not read the local journal\n"
               "     --journal-dir DIR    Also read the journal files in DIR (repeatable)\n"
               "     --follow FILE        Follow a growing console log (repeatable)\n"
               "     --no-web             Do not serve the web dashboard\n"
               "     --listen ADDR:PORT   Web dashboard address (default 127.0.0.1:9465)\n"
               "     --web-only           Only serve the dashboard of --db (no kernel sources)\n"
               "     --silent-after TIME  A host without journal entries for TIME is silent\n"
               "                          (default 1d; 12h, 2d, ...)\n"
               "     --log-level LEVEL    emerg..debug or 0-7 (default info)\n",
               LOCKDEP_DEFAULT_DB, DEFAULT_CONFIG);
}

typedef struct Args {
        const char *config;
        bool check_config;
        Config flags;      /* what the command line set, applied over the file */
        bool set_kmsg, set_journal, set_web, set_log_level, set_silent_after;
        bool web_only;
        const char *kmsg_flag, *no_kmsg_flag, *listen_flag; /* for the conflict checks */
} Args;

/* Flags that contradict each other are refused rather than one silently winning. */
static int check_conflicts(const Args *a) {
        const char *source = a->flags.kmsg_path ? "--kmsg" : a->flags.n_journal_dirs ? "--journal-dir" :
                             a->flags.n_follow ? "--follow" : a->set_journal ? "--no-journal" :
                             a->no_kmsg_flag ? "--no-kmsg" : NULL;
        if (a->web_only && a->set_web && !a->flags.web) {
                fprintf(stderr, "lockdepd: --web-only and --no-web contradict each other: --web-only serves only "
                                "the dashboard; drop one of them\n");
                return -EINVAL;
        }
        if (a->web_only && source) {
                fprintf(stderr, "lockdepd: --web-only reads no kernel source, so %s has no effect; drop one of "
                                "them (run a second lockdepd for the sources)\n", source);
                return -EINVAL;
        }
        if (a->kmsg_flag && a->no_kmsg_flag) {
                fprintf(stderr, "lockdepd: --kmsg %s and --no-kmsg contradict each other; drop one of them\n",
                        a->kmsg_flag);
                return -EINVAL;
        }
        if (a->listen_flag && a->set_web && !a->flags.web) {
                fprintf(stderr, "lockdepd: --listen %s and --no-web contradict each other; drop one of them\n",
                        a->listen_flag);
                return -EINVAL;
        }
        return 0;
}

static int parse_argv(int argc, char **argv, Args *a) {
        int r;
        enum {
                ARG_VERSION = 0x100, ARG_DB, ARG_CONFIG, ARG_CHECK, ARG_KMSG, ARG_NO_KMSG, ARG_NO_JOURNAL,
                ARG_JOURNAL_DIR, ARG_FOLLOW, ARG_NO_WEB, ARG_LISTEN, ARG_LOG_LEVEL,
                ARG_WEB_ONLY, ARG_SILENT_AFTER,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "db", required_argument, NULL, ARG_DB },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "check-config", no_argument, NULL, ARG_CHECK },
                { "kmsg", required_argument, NULL, ARG_KMSG },
                { "no-kmsg", no_argument, NULL, ARG_NO_KMSG },
                { "no-journal", no_argument, NULL, ARG_NO_JOURNAL },
                { "journal-dir", required_argument, NULL, ARG_JOURNAL_DIR },
                { "follow", required_argument, NULL, ARG_FOLLOW },
                { "no-web", no_argument, NULL, ARG_NO_WEB },
                { "web-only", no_argument, NULL, ARG_WEB_ONLY },
                { "listen", required_argument, NULL, ARG_LISTEN },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "silent-after", required_argument, NULL, ARG_SILENT_AFTER },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
                const char *key = NULL;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("lockdepd %s\n%s\n", PACKAGE_VERSION, LOCKDEP_FEATURES);
                        return 0;
                case ARG_CONFIG:
                        a->config = optarg;
                        continue;
                case ARG_CHECK:
                        a->check_config = true;
                        continue;
                case ARG_NO_KMSG:
                        a->flags.kmsg = false;
                        a->set_kmsg = true;
                        a->no_kmsg_flag = "--no-kmsg";
                        continue;
                case ARG_NO_JOURNAL:
                        a->flags.journal = false;
                        a->set_journal = true;
                        continue;
                case ARG_NO_WEB:
                        a->flags.web = false;
                        a->set_web = true;
                        continue;
                case ARG_WEB_ONLY:
                        a->web_only = true;
                        continue;
                case ARG_DB:
                        key = "db";
                        break;
                case ARG_KMSG:
                        key = "kmsg-path";
                        a->flags.kmsg = true;
                        a->set_kmsg = true;
                        a->kmsg_flag = optarg;
                        break;
                case ARG_JOURNAL_DIR:
                        key = "journal-dir";
                        break;
                case ARG_FOLLOW:
                        key = "follow";
                        break;
                case ARG_LISTEN:
                        key = "listen";
                        a->listen_flag = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        key = "log-level";
                        a->set_log_level = true;
                        break;
                case ARG_SILENT_AFTER:
                        key = "silent-after";
                        a->set_silent_after = true;
                        break;
                default:
                        return -EINVAL;
                }
                /* flags share the config file's rules and messages */
                _cleanup_free_ char *why = NULL;
                bool saved_kmsg = a->flags.kmsg;
                r = config_set(&a->flags, key, optarg, &why);
                if (r == -EINVAL) {
                        fprintf(stderr, "lockdepd: --%s: %s\n", !strcmp(key, "kmsg-path") ? "kmsg" : key, why);
                        return r;
                }
                if (r < 0)
                        return r;
                a->flags.kmsg = saved_kmsg;
        }
        if (optind < argc) {
                fprintf(stderr, "lockdepd: unexpected argument '%s'\n", argv[optind]);
                return -EINVAL;
        }
        r = check_conflicts(a);
        return r < 0 ? r : 1;
}

static int merge_flags(Config *c, Args *a) {
        Config *f = &a->flags;
        if (f->db && !(c->db = strdup(f->db)))
                return -ENOMEM;
        if (f->kmsg_path && !(c->kmsg_path = strdup(f->kmsg_path)))
                return -ENOMEM;
        if (f->listen && !(c->listen = strdup(f->listen)))
                return -ENOMEM;
        if (a->set_kmsg)
                c->kmsg = f->kmsg;
        if (a->set_journal)
                c->journal = f->journal;
        if (a->set_web)
                c->web = f->web;
        if (a->set_log_level)
                c->log_level = f->log_level;
        if (a->set_silent_after)
                c->silent_after = f->silent_after;
        for (size_t i = 0; i < f->n_journal_dirs; i++) {
                char **v = realloc(c->journal_dirs, (c->n_journal_dirs + 1) * sizeof(char *));
                if (!v || !(v[c->n_journal_dirs] = strdup(f->journal_dirs[i])))
                        return -ENOMEM;
                c->journal_dirs = v;
                c->n_journal_dirs++;
        }
        for (size_t i = 0; i < f->n_follow; i++) {
                char **v = realloc(c->follow, (c->n_follow + 1) * sizeof(char *));
                if (!v || !(v[c->n_follow] = strdup(f->follow[i])))
                        return -ENOMEM;
                c->follow = v;
                c->n_follow++;
        }
        return 0;
}

/* What to do when a source cannot be opened. */
static const char *source_hint(const SourceOps *ops, int r) {
        bool kmsg = ops == &source_kmsg_ops, journal = ops == &source_journal_ops;
        switch (-r) {
        case ENOENT:
                return kmsg ? "check --kmsg (kmsg-path =), or --no-kmsg" :
                       journal ? "check --journal-dir (journal-dir =)" : "check the path";
        case EACCES:
        case EPERM:
                return kmsg ? "/dev/kmsg needs CAP_SYSLOG when kernel.dmesg_restrict=1: run as root or as "
                              "lockdepd.service, or pass --no-kmsg" :
                       journal ? "journal files need the group systemd-journal (systemd-journal-remote for "
                                 "journal-remote output): add it, e.g. SupplementaryGroups= in a drop-in" :
                                 "grant read access to the file and its directory";
        case ENOTDIR:
                return "a component of the path is not a directory";
        default:
                return "see the error above";
        }
}

static int add_source(Daemon *d, const SourceOps *ops, const char *name, const char *path, bool optional) {
        Source *s = source_new(d, ops, name, path);
        if (!s)
                return log_error_errno(ENOMEM, "Out of memory");
        Source **v = realloc(d->sources, (d->n_sources + 1) * sizeof(Source *));
        if (!v) {
                source_free(s);
                return log_error_errno(ENOMEM, "Out of memory");
        }
        d->sources = v;
        d->sources[d->n_sources++] = s;
        int r = ops->start(s);
        if (r < 0 && r != -ENOSPC && r != -EBUSY) {
                if (optional) {
                        log_notice("%s: not used: %s%s%s: %s", name, path ? "cannot open " : "", path ?: "",
                                   path ? "" : "cannot open the journal", source_hint(ops, r));
                        source_free(s);
                        d->n_sources--;
                        return 0;
                }
                return log_error_errno(r, "%s: cannot open %s: %m; %s", name, path ?: "the journal",
                                       source_hint(ops, r));
        }
        log_info("%s: reading%s%s", name, path ? " " : "", path ? path : "");
        return 0;
}

/* The tables every reader of kernel logs uses (store/ingest.h); a bad table stops the start. */
static int load_aliases(Daemon *d) {
        _cleanup_free_ char *error = NULL;
        int r = aliases_load(NULL, &d->aliases, &error);
        if (r < 0)
                return log_error_errno(r, "%s", error ? error : "Cannot load the alias tables: %m");
        return 0;
}

static void rebuild_progress(unsigned done, unsigned total, void *userdata) {
        unsigned *last = userdata;
        unsigned pct = total ? (unsigned) ((uint64_t) done * 100 / total) : 100;
        if (pct / 10 != *last / 10 || done == total)
                log_info("Rebuilding lock classes and edges: %u of %u reports (%u%%)", done, total, pct);
        *last = pct;
}

/* A database of an earlier build: say what the open repaired, and fill what only a parse can. */
static int rebuild_if_needed(Daemon *d) {
        if (store_repaired(d->store))
                log_notice("The database %s was made by an earlier build; created what it lacked: %s.", d->cfg.db,
                           store_repaired(d->store));
        if (!store_needs_rederive(d->store))
                return 0;
        unsigned n = 0, last = 1000;
        log_notice("The lock classes and edges of the reports in %s are incomplete (made by an earlier build); "
                   "rebuilding them from the reports' text.", d->cfg.db);
        int r = store_rebuild_derived(d->store, d->aliases, rebuild_progress, &last, &n);
        if (r < 0)
                return log_error_errno(r, "Cannot rebuild the lock classes and edges in %s: %s; run "
                                       "'lockdepctl --db %s reparse'.", d->cfg.db, store_error(d->store), d->cfg.db);
        log_info("Rebuilt the lock classes and edges of %u reports.", n);
        return 0;
}

/* Journal files, the database and web clients all take descriptors; a service starts with the
 * soft limit of 1024 (select()'s limit, which nothing here uses: libmicrohttpd runs on epoll), so
 * take what the hard limit allows. The journal source keeps its own use bounded anyway. */
static void raise_nofile_limit(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
                return;
        rlim_t want = rl.rlim_max;
        rl.rlim_cur = want;
        if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                log_debug_errno(errno, "Cannot raise RLIMIT_NOFILE to %llu: %m", (unsigned long long) want);
        else
                log_debug("RLIMIT_NOFILE raised to %llu", (unsigned long long) want);
}

/* The silent-after of this lockdepd, for every reader of the database (/hosts, lockdepctl hosts). */
static int store_silent_after(Daemon *d) {
        char v[32];
        snprintf(v, sizeof(v), "%lld", (long long) d->cfg.silent_after);
        int r = store_begin(d->store);
        if (r >= 0)
                r = store_set_setting(d->store, "silent_after", v);
        if (r >= 0)
                r = store_commit(d->store);
        else
                store_rollback(d->store);
        return r;
}

static bool same_directory(const char *file, const char *dir) {
        _cleanup_free_ char *copy = strdup(file);
        _cleanup_free_ char *a = NULL, *b = NULL;
        if (!copy)
                return false;
        char *slash = strrchr(copy, '/');
        if (slash)
                *slash = 0;
        a = realpath(slash ? (*copy ? copy : "/") : ".", NULL);
        b = realpath(dir, NULL);
        return a && b && strcmp(a, b) == 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Daemon *d = userdata;
        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(0, "STOPPING=1");
        return sd_event_exit(d->event, 0);
}

static int setup_event(Daemon *d) {
        int r = sd_event_default(&d->event);
        if (r < 0)
                return log_error_errno(r, "Cannot allocate the event loop: %m");
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) sd_event_add_signal(d->event, NULL, SIGTERM, on_signal, d);
        (void) sd_event_add_signal(d->event, NULL, SIGINT, on_signal, d);
        (void) sd_event_set_watchdog(d->event, true);
        return 0;
}

/* --web-only: serve an existing database read-only (triage writes excepted), no kernel sources. */
static int run_web_only(Daemon *d) {
#if HAVE_WEB
        Store *s = NULL;
        WebServer *web = NULL;
        int r = store_open(d->cfg.db, STORE_READ_ONLY, &s);
        if (r < 0) {
                log_error_errno(r, "Cannot open database %s: %s", d->cfg.db,
                                s && store_error(s)[0] ? store_error(s) : strerror(-r));
                store_close(s);
                return r;
        }
        r = load_aliases(d); /* for POST /api/v1/ingest */
        if (r >= 0)
                r = setup_event(d);
        if (r >= 0)
                r = daemon_watch_database(d, s);
        if (r < 0) {
                store_close(s);
                return r;
        }
        WebConfig wc = { .listen = d->cfg.listen, .db = d->cfg.db, .aliases = d->aliases,
                         .hosts = (const char *const *) d->cfg.web_hosts, .n_hosts = d->cfg.n_web_hosts };
        r = web_start(&wc, &web);
        if (r < 0)
                return r;
        log_info("lockdepd %s serving %s (web only)", PACKAGE_VERSION, d->cfg.db);
        (void) sd_notify(0, "READY=1");
        r = sd_event_loop(d->event);
        web_stop(web);
        d->db_watch = sd_event_source_disable_unref(d->db_watch);
        store_close(s);
        return r;
#else
        return log_error_errno(EOPNOTSUPP, "This lockdepd was built without the web dashboard.");
#endif
}

static int run(int argc, char **argv) {
        Args a = {};
        Daemon d = {};
        _cleanup_free_ char *why = NULL;
        int r;
#if HAVE_WEB
        WebServer *web = NULL;
#endif

        config_init(&a.flags);
        config_init(&d.cfg);
        r = parse_argv(argc, argv, &a);
        if (r <= 0)
                goto out;
        const char *config = a.config ?: DEFAULT_CONFIG;
        r = config_load_file(&d.cfg, config, a.config != NULL, &why);
        if (r == -EINVAL) {
                log_error("%s:%s", config, why);
                goto out;
        }
        if (r < 0) {
                log_error_errno(r, "Cannot read the configuration file %s: %m; %s", config,
                                r == -ENOENT ? "check --config" : "fix its permissions or check --config");
                if (r != -ENOMEM)
                        r = -EINVAL;
                goto out;
        }
        r = merge_flags(&d.cfg, &a);
        if (r < 0)
                goto out;
        /* before the default database is filled in: its directory is the service's to create */
        int check = config_check(&d.cfg, a.web_only);
        if (!d.cfg.db) {
                const char *sd = getenv("STATE_DIRECTORY");
                StrBuf b = {};
                if (sd && strbuf_printf(&b, "%s/lockdep.db", sd) >= 0)
                        d.cfg.db = strbuf_steal(&b);
                else
                        d.cfg.db = strdup(LOCKDEP_DEFAULT_DB);
        }
        log_set_max_level(d.cfg.log_level);
        r = check;
        raise_nofile_limit();
        if (a.check_config) {
                if (r >= 0)
                        printf("configuration OK\n");
                goto out;
        }
        if (r < 0)
                goto out;

        if (a.web_only) {
                r = run_web_only(&d);
                goto out;
        }

        r = store_open(d.cfg.db, STORE_CHECK, &d.store);
        if (r < 0) {
                log_error_errno(r, "Cannot open database %s: %s", d.cfg.db,
                                store_error(d.store)[0] ? store_error(d.store) : strerror(-r));
                goto out;
        }
        /* commits do not pay for checkpoints: a second connection on a thread of its own copies the
         * WAL into the database (it sleeps until a commit leaves 1,000 pages in the WAL); without it
         * this connection checkpoints after its commits, as SQLite does by default */
        r = store_checkpoint_in_background(d.store);
        if (r < 0)
                log_warning_errno(r, "Cannot checkpoint %s in the background; the writer does it: %m", d.cfg.db);
        r = load_aliases(&d);
        if (r < 0)
                goto out;
        r = rebuild_if_needed(&d);
        if (r < 0)
                goto out;
        r = store_silent_after(&d); /* a full or busy database: the next start writes it */
        if (r < 0)
                log_warning_errno(r, "Cannot record silent-after in %s: %s", d.cfg.db, store_error(d.store));

        sd_id128_t id;
        if (sd_id128_get_machine(&id) >= 0)
                sd_id128_to_string(id, d.machine_id);
        if (sd_id128_get_boot(&id) >= 0)
                sd_id128_to_string(id, d.boot_id);
        gethostname(d.hostname, sizeof(d.hostname) - 1);

        r = setup_event(&d);
        if (r < 0)
                goto out;
        r = daemon_watch_database(&d, d.store);
        if (r < 0) {
                log_error_errno(r, "Cannot watch the directory of %s: %m", d.cfg.db);
                goto out;
        }

        if (d.cfg.kmsg) {
                r = add_source(&d, &source_kmsg_ops, "kmsg", d.cfg.kmsg_path ? d.cfg.kmsg_path : "/dev/kmsg",
                               d.cfg.kmsg_path == NULL);
                if (r < 0)
                        goto out;
        }
        if (d.cfg.journal) {
                r = add_source(&d, &source_journal_ops, "journal", NULL, true);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; i < d.cfg.n_journal_dirs; i++) {
                StrBuf name = {};
                if (same_directory(d.cfg.db, d.cfg.journal_dirs[i])) {
                        /* our own writes would wake the journal watch, which writes a cursor... */
                        log_error("The database %s must not live in the journal directory %s.", d.cfg.db,
                                  d.cfg.journal_dirs[i]);
                        r = -EINVAL;
                        goto out;
                }
                if (strbuf_printf(&name, "journal:%s", d.cfg.journal_dirs[i]) < 0)
                        goto out;
                r = add_source(&d, &source_journal_ops, name.s, d.cfg.journal_dirs[i], false);
                strbuf_done(&name);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; i < d.cfg.n_follow; i++) {
                StrBuf name = {};
                if (strbuf_printf(&name, "file:%s", d.cfg.follow[i]) < 0)
                        goto out;
                r = add_source(&d, &source_file_ops, name.s, d.cfg.follow[i], false);
                strbuf_done(&name);
                if (r < 0)
                        goto out;
        }
        for (size_t i = 0; i < d.cfg.n_spool_dirs; i++) {
                StrBuf name = {};
                if (strbuf_printf(&name, "spool:%s", d.cfg.spool_dirs[i]) < 0)
                        goto out;
                r = add_source(&d, &source_spool_ops, name.s, d.cfg.spool_dirs[i], false);
                strbuf_done(&name);
                if (r < 0)
                        goto out;
        }
        if (d.n_sources == 0)
                log_warning("No source is readable (no /dev/kmsg, no journal): only the database is served.");
        if (d.cfg.web) {
#if HAVE_WEB
                WebConfig wc = { .listen = d.cfg.listen, .db = d.cfg.db, .aliases = d.aliases,
                                 .health = daemon_health_json, .health_userdata = &d,
                                 .hosts = (const char *const *) d.cfg.web_hosts, .n_hosts = d.cfg.n_web_hosts,
                                 .latent = daemon_announce_latent, .latent_userdata = &d };
                r = web_start(&wc, &web); /* a dashboard that was asked for and cannot run is fatal */
                if (r < 0)
                        goto out;
#else
                log_debug("The web dashboard is not part of this build; --no-web is implied.");
#endif
        }

        log_info("lockdepd %s running, database %s", PACKAGE_VERSION, d.cfg.db);
        (void) sd_notify(0, "READY=1");
        daemon_status(&d);
        r = sd_event_loop(d.event);
out:
#if HAVE_WEB
        web_stop(web);
#endif
        for (size_t i = 0; i < d.n_sources; i++)
                source_free(d.sources[i]);
        free(d.sources);
        sd_event_source_disable_unref(d.indexer);
        sd_event_source_disable_unref(d.db_watch);
        sd_event_unref(d.event);
        store_close(d.store);
        lockdep_aliases_free(d.aliases);
        config_done(&d.cfg);
        config_done(&a.flags);
        return r;
}

int main(int argc, char **argv) {
        int r = run(argc, argv);
        return r < 0 ? (r == -EINVAL ? 2 : 1) : 0;
}
