/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl latent [--kernel RELEASE] [--all] [--json]: the cycles of the fleet's united lock
 * dependency graph of each release that no single boot contained (docs/LATENT.md), with the
 * evidence of each dependency and the boots whose workloads, run on one machine, would make lockdep
 * report the cycle itself.
 *
 * Also the import of saved /proc/lockdep files (import_deps(), called by lockdepctl import).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ingest.h"
#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "time-spec.h"

/* ---- import of /proc/lockdep snapshots ------------------------------------------------------- */

int import_deps(Store *s, int fd, const char *path, const char *head, size_t n_head, const ImportDepsOptions *o) {
        LockdepDepParser *p = NULL;
        LockdepDepStats st = {};
        DepIngest b = {};
        char buf[65536];
        unsigned n_new = 0, n_cycles = 0;
        struct stat sb;
        int r;

        LockdepDepOptions po = { .callback = ingest_dep, .userdata = &b, .aliases = o->aliases };
        r = lockdep_deps_new(&po, &p);
        if (r >= 0)
                r = lockdep_deps_feed(p, head, n_head);
        for (ssize_t k; r >= 0 && (k = read(fd, buf, sizeof(buf))) != 0;) {
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "lockdepctl import: reading %s: %m\n", path);
                        lockdep_deps_free(p);
                        dep_ingest_done(&b);
                        return 1;
                }
                r = lockdep_deps_feed(p, buf, (size_t) k);
        }
        if (r >= 0)
                r = lockdep_deps_finish(p, &st);
        lockdep_deps_free(p);
        if (r < 0) {
                dep_ingest_done(&b);
                return print_oom();
        }
        /* what was given wins over the spool file's head, which wins over the defaults */
        const char *release = o->release ?: st.release[0] ? st.release : NULL;
        const char *boot_id = o->boot_id ?: st.boot_id[0] ? st.boot_id : o->default_boot_id;
        const char *host = o->host ?: st.host[0] ? st.host : o->default_host;
        DepRefusal kind;
        const char *why = ingest_deps_refusal(&st, release, boot_id, &kind);
        if (kind == DEP_REFUSED_NO_RELEASE) {
                fprintf(stderr, "lockdepctl import: %s is a /proc/lockdep snapshot; say which kernel it comes from "
                        "with --kernel RELEASE (uname -r of that boot)\n", path);
                dep_ingest_done(&b);
                return EXIT_USAGE;
        }
        if (why) {
                fprintf(stderr, "lockdepctl import: %s: %s\n", path, why);
                dep_ingest_done(&b);
                return 1;
        }
        if (st.truncated)
                fprintf(stderr, "lockdepctl import: %s: the snapshot is cut short; the dependencies read in full are "
                        "stored and the boot is marked truncated\n", path);
        if (st.bad_lines)
                fprintf(stderr, "lockdepctl import: %s: %u line%s neither a class nor a dependency of /proc/lockdep; "
                        "skipped, the boot is marked truncated\n", path, st.bad_lines, st.bad_lines == 1 ? "" : "s");
        StoreDepOrigin origin = {
                .release = release,
                .boot_id = boot_id,
                .host = host,
                .taken_usec = st.taken_usec                                ? st.taken_usec
                              : fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)
                                      ? (uint64_t) sb.st_mtim.tv_sec * 1000000 + (uint64_t) sb.st_mtim.tv_nsec / 1000
                                      : time_now(),
                .truncated = st.truncated || st.bad_lines > 0,
        };
        r = ingest_deps_store(s, &origin, &b, &n_new, &n_cycles);
        dep_ingest_done(&b);
        if (r < 0)
                return store_failed(s, r, path);
        printf("%s: %u dependenc%s of %s (%u new for boot %s)", path, st.deps, st.deps == 1 ? "y" : "ies", release,
               n_new, boot_id);
        if (n_cycles > 0)
                printf(", %u new latent cycle%s: lockdepctl latent --kernel %s", n_cycles, n_cycles == 1 ? "" : "s",
                       release);
        printf("\n");
        return 0;
}

/* ---- lockdepctl latent ----------------------------------------------------------------------- */

static void print_boot(const StoreLatentBoot *b) {
        printf("%s", ansi_highlight());
        fputs_safe(b->boot_id, stdout);
        printf("%s on ", ansi_normal());
        fputs_safe(b->host, stdout);
}

static void print_cycle(const StoreLatentCycle *c, bool blank_line) {
        char t[TIME_ISO_MAX];

        printf("%s  #%" PRId64 " ", blank_line ? "\n" : "", c->id);
        for (size_t k = 0; k <= c->n; k++) {
                if (k)
                        printf(" -> ");
                fputs_safe(c->classes[k % c->n], stdout);
        }
        printf("\n     triage: %s", c->status);
        if (c->note[0]) {
                printf(" (");
                fputs_safe(c->note, stdout);
                printf(")");
        }
        printf("\n");
        if (c->low_confidence)
                printf("     low confidence: a per-filesystem class, which /proc/lockdep cannot tell apart across boots\n");
        if (c->group)
                printf("     reported by lockdep itself: lockdepctl show %" PRId64 "\n", c->group);
        for (size_t k = 0; k < c->n; k++) {
                const StoreLatentEdge *e = &c->edges[k];
                printf("     ");
                fputs_safe(e->from, stdout);
                printf(" -> ");
                fputs_safe(e->to, stdout);
                printf("\n         %u boot%s on %u host%s since %s", e->n_boots, e->n_boots == 1 ? "" : "s", e->n_hosts,
                       e->n_hosts == 1 ? "" : "s", time_format_iso(e->first_seen, t));
                for (size_t j = 0; j < e->n_seen_by; j++) {
                        printf(j ? ", " : ": ");
                        print_boot(&e->seen_by[j]);
                }
                if (e->n_boots > e->n_seen_by)
                        printf(", %s", arg.utf8 ? "\u2026" : "...");
                printf("\n");
        }
        if (c->n_suggest > 0) {
                printf("     To get lockdep's own report, run the workloads of ");
                for (size_t j = 0; j < c->n_suggest; j++) {
                        printf(j == 0 ? "" : j + 1 == c->n_suggest ? " and " : ", ");
                        print_boot(&c->suggest[j]);
                }
                printf(" on one machine with this kernel.\n");
        }
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] latent [OPTIONS] [ID]\n"
               "       lockdepctl [--db PATH] latent triage ID STATUS [--note TEXT]\n\n"
               "Show the latent lock cycles: cycles of the lock dependencies that the boots of one\n"
               "kernel release learned together (their /proc/lockdep), which no single boot had.\n"
               "Lockdep cannot report them, since no machine took the locks in both orders.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               "     --kernel RELEASE  Only this release (the exact string)\n"
               "     --all             Also cycles that lockdep itself reported (linked to a group)\n"
               OUTPUT_OPTIONS_HELP
               "\nThe JSON form is one object, as GET /api/v1/latent, whose cycles are the ones shown\n"
               "(-n: the first N, newest release first; -r: in the other order). --no-legend leaves\n"
               "out the line of each release.\n\n"
               "triage sets the status of latent cycle ID (" STORE_LATENT_STATUSES ") and with\n"
               "--note TEXT its note (\"\" clears it). The triage belongs to the cycle's classes, not to\n"
               "the ID: it survives re-analysis and holds for every release with that cycle.\n");
}

static int latent_triage(int argc, char **argv) {
        enum { ARG_NOTE = _ARG_QUERY_MAX };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "note", required_argument, NULL, ARG_NOTE },
                {},
        };
        const char *note = NULL;
        int64_t id;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_NOTE:
                        note = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (argc - optind != 2) {
                fprintf(stderr, "lockdepctl latent triage: expected ID STATUS (STATUS: " STORE_LATENT_STATUSES ")\n");
                return EXIT_USAGE;
        }
        if (parse_id(argv[optind], "latent cycle", &id) < 0)
                return EXIT_USAGE;
        if (!store_latent_status_valid(argv[optind + 1])) {
                fprintf(stderr, "lockdepctl latent triage: ");
                fputs_safe(argv[optind + 1], stderr);
                fprintf(stderr, " is not a status; expected one of " STORE_LATENT_STATUSES "\n");
                return EXIT_USAGE;
        }
        _cleanup_(store_closep) Store *s = open_db(false);
        if (!s)
                return 1;
        r = store_latent_triage(s, id, argv[optind + 1], note);
        if (r < 0)
                return store_failed(s, r, "triaging the latent cycle");
        printf("latent cycle %" PRId64 ": %s\n", id, argv[optind + 1]);
        return 0;
}

/* The cycles of l as -n and -r ask, and the releases they belong to (all of them when no cycle is
 * left out), in the same order: l->v and l->releases are permuted, and l->n and l->n_releases
 * count the ones shown; what is left out stays beyond them (*ret_n, *ret_n_releases: the counts
 * to put back before store_latent_free()). 0 or -ENOMEM. */
static int latent_select(StoreLatent *l, const Output *o, size_t *ret_n, size_t *ret_n_releases) {
        size_t n = o->lines && o->lines < l->n ? o->lines : l->n, k = 0;
        StoreLatentRelease *order = calloc(l->n_releases + 1, sizeof(StoreLatentRelease));
        bool *taken = calloc(l->n_releases + 1, sizeof(bool));

        *ret_n = l->n;
        *ret_n_releases = l->n_releases;
        if (!order || !taken) {
                free(order);
                free(taken);
                return -ENOMEM;
        }
        for (size_t i = 0; o->reverse && i < n / 2; i++) {
                StoreLatentCycle t = l->v[i];
                l->v[i] = l->v[n - 1 - i];
                l->v[n - 1 - i] = t;
        }
        for (size_t i = 0; i < l->n_releases; i++) {
                size_t j = o->reverse ? l->n_releases - 1 - i : i;
                bool shown = n == l->n;
                for (size_t c = 0; c < n && !shown; c++)
                        shown = strcmp(l->v[c].release, l->releases[j].release) == 0;
                if (shown) {
                        order[k++] = l->releases[j];
                        taken[j] = true;
                }
        }
        size_t n_shown = k;
        for (size_t j = 0; j < l->n_releases; j++)
                if (!taken[j])
                        order[k++] = l->releases[j];
        if (l->n_releases > 0)
                memcpy(l->releases, order, l->n_releases * sizeof(StoreLatentRelease));
        free(order);
        free(taken);
        l->n = n;
        l->n_releases = n_shown;
        return 0;
}

int verb_latent(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "kernel", required_argument, NULL, ARG_KERNEL },
                { "all", no_argument, NULL, ARG_ALL },
                OUTPUT_OPTIONS,
                {},
        };
        StoreLatentQuery q = {};
        StoreLatent l = {};
        Output out = {};
        int c, r;

        if (argc > 1 && !strcmp(argv[1], "triage"))
                return latent_triage(argc - 1, argv + 1);
        optind = 0;
        while ((c = getopt_long(argc, argv, "h" OUTPUT_SHORTOPTS, options, NULL)) >= 0) {
                r = output_option(c, optarg, &out);
                if (r < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_KERNEL:
                        q.release = optarg;
                        break;
                case ARG_ALL:
                        q.include_reported = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "lockdepctl latent: expected at most one ID\n");
                return EXIT_USAGE;
        }
        if (optind < argc) {
                if (parse_id(argv[optind], "latent cycle", &q.id) < 0)
                        return EXIT_USAGE;
                q.include_reported = true;
        }
        _cleanup_(store_closep) Store *s = open_db(true);
        if (!s)
                return 1;
        r = store_latent_list(s, &q, &l);
        if (r < 0)
                return store_failed(s, r, "reading the latent cycles");
        size_t n_all, n_releases_all;
        if (latent_select(&l, &out, &n_all, &n_releases_all) < 0) {
                store_latent_free(&l);
                return print_oom();
        }
        if (output_json(&out)) {
                _cleanup_free_ char *js = NULL;
                r = store_latent_json(&l, &js);
                l.n = n_all;
                l.n_releases = n_releases_all;
                store_latent_free(&l);
                if (r < 0)
                        return print_oom();
                pager_open();
                output_json_object(&out, js);
                return 0;
        }
        if (n_releases_all == 0) {
                if (!out.quiet)
                        fprintf(stderr, "No /proc/lockdep snapshots%s%s in the database (lockdepctl import --kernel R FILE, "
                                "or the lockdep-collect service).\n", q.release ? " of " : "", q.release ? q.release : "");
                store_latent_free(&l);
                return 1;
        }
        pager_open();
        size_t shown = 0;
        for (size_t i = 0; i < l.n_releases; i++) {
                const StoreLatentRelease *x = &l.releases[i];
                if (!out.no_legend) {
                        printf("%s", ansi_highlight());
                        fputs_safe(x->release, stdout);
                        printf("%s: %u boot%s on %u host%s, %u dependenc%s, %u latent cycle%s%s%s\n", ansi_normal(),
                               x->n_boots, x->n_boots == 1 ? "" : "s", x->n_hosts, x->n_hosts == 1 ? "" : "s",
                               x->n_edges, x->n_edges == 1 ? "y" : "ies", x->n_latent, x->n_latent == 1 ? "" : "s",
                               x->capped ? " (analysis stopped at its cycle limit: more may exist)" : "",
                               x->stale ? " (not analyzed since the last snapshot)" : "");
                }
                for (size_t k = 0; k < l.n; k++)
                        if (strcmp(l.v[k].release, x->release) == 0) {
                                print_cycle(&l.v[k], !out.no_legend || shown > 0);
                                shown++;
                        }
                if (i + 1 < l.n_releases && !out.no_legend)
                        printf("\n");
        }
        l.n = n_all;
        l.n_releases = n_releases_all;
        store_latent_free(&l);
        return q.id && shown == 0 ? 1 : 0;
}
