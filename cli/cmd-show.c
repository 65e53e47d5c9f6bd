/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl show GROUP: everything about one group, like "coredumpctl info": the key, the cycle
 * drawn as "A -> B -> A" with the acquire site of each edge, the CPU0/CPU1 scenario, counts per
 * kernel and host, first/last seen, triage state and history, and the representative report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "store.h"
#include "table.h"

static void field(const char *label, const char *value) {
        if (!value)
                return;
        printf("%12s: ", label);
        fputs_safe(value, stdout);
        putchar('\n');
}

static void json_field(const char *g, const char *label, const char *key) {
        _cleanup_free_ char *v = json_get_str(g, key);
        field(label, v);
}

static void section(const char *title) {
        printf("\n%s%s:%s\n", ansi_highlight(), title, ansi_normal());
}

/* A member of the group object, or of its representative's parsed report ("classes", "scenario").
 */
static const char *member(const char *g, const char *key) {
        const char *v = json_get(g, key);
        return v ? v : json_get(json_get(g, "parsed"), key);
}

static bool str_eq(const char *obj, const char *key, const char *s) {
        _cleanup_free_ char *v = json_get_str(obj, key);
        return v && strcmp(v, s) == 0;
}

/* Where "to" was acquired while "from" was held: the site the store gives the group's edge (the
 * parser's one rule, LockdepEdge.at), which the web page and the API show too. */
static char *edge_site(const char *g, const char *from, const char *to) {
        const char *e;
        JsonIter it;

        if (json_iter_init(&it, json_get(g, "edges")))
                while (json_iter_next(&it, NULL, &e))
                        if (str_eq(e, "from", from) && str_eq(e, "to", to))
                                return json_get_str(e, "site");
        return NULL;
}

static void print_site(size_t pad, const char *what, const char *at) {
        if (!at)
                return;
        printf("%*s%s%s ", (int) pad + 4, "", ansi_grey(), what);
        fputs_safe(at, stdout);
        fputs(ansi_normal(), stdout);
}

/* The group's edges as "A -> B  at SITE" (kinds without a cycle to draw: recursive, safe_unsafe). */
static void print_edges(const char *g) {
        JsonIter it;
        const char *e;
        bool any = false;

        if (!json_iter_init(&it, json_get(g, "edges")))
                return;
        while (json_iter_next(&it, NULL, &e)) {
                _cleanup_free_ char *from = json_get_str(e, "from"), *to = json_get_str(e, "to"),
                                    *site = json_get_str(e, "site");
                if (!from || !to)
                        continue;
                if (!any)
                        section("Lock order (the second lock taken while the first is held)");
                any = true;
                printf("    ");
                fputs_safe(from, stdout);
                printf(" -> ");
                fputs_safe(to, stdout);
                print_site(0, "at", site);
                putchar('\n');
        }
}

/* "classes" are in the order lockdep prints the chain, #N (the lock held) to #0 (the lock being
 * acquired); entry #k was taken while #k-1 was held. Drawn in lock order: #N -> #0 -> #1 ... -> #N.
 */
static void print_cycle(const char *g, const char *kind) {
        _cleanup_free_ char *held_at =
                json_get_str(json_get(json_get(g, "parsed"), "holding"), "at");
        JsonIter it;
        const char *v;
        char *classes[64], *order[65];
        size_t n = 0, width = 0;

        if (json_iter_init(&it, member(g, "classes")))
                while (n < ELEMENTSOF(classes) && json_iter_next(&it, NULL, &v))
                        if ((classes[n] = json_str(v)))
                                n++;
        if (n == 0)
                return;
        if (strcmp(kind, "circular") != 0) {
                section("Classes");
                for (size_t i = 0; i < n; i++) {
                        printf("    ");
                        fputs_safe(classes[i], stdout);
                        putchar('\n');
                        free(classes[i]);
                }
                print_edges(g);
                return;
        }
        order[0] = classes[0];
        for (size_t i = 1; i < n; i++)
                order[i] = classes[n - i];
        order[n] = classes[0];
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *e = escape_safe(classes[i]);
                width = MAX(width, e ? text_width(e) : 0);
        }

        section("Cycle (each lock taken while the one before it is held)");
        printf("    ");
        for (size_t i = 0; i <= n; i++) {
                fputs_safe(order[i], stdout);
                fputs(i < n ? " -> " : "\n\n", stdout);
        }
        for (size_t i = 0; i <= n; i++) {
                _cleanup_free_ char *e = escape_safe(order[i]);
                _cleanup_free_ char *at = i == 0 ? NULL : edge_site(g, order[i - 1], order[i]);
                printf("    %s%s", i == 0 ? "" : "  -> ", e ? e : "");
                print_site(width - (e ? text_width(e) : 0) + (i == 0 ? 5 : 0),
                           i == 0 ? "held, taken at" : "at", i == 0 ? held_at : at);
                putchar('\n');
        }
        for (size_t i = 0; i < n; i++)
                free(classes[i]);
}

/* "CPU0: lock(A);" lines side by side, like the kernel prints them. */
static void print_scenario(const char *g) {
        JsonIter it;
        const char *v;
        bool any = false;

        if (!json_iter_init(&it, member(g, "scenario")))
                return;
        while (json_iter_next(&it, NULL, &v)) {
                _cleanup_free_ char *line = json_str(v);
                if (!line)
                        continue;
                if (!any) {
                        section("Scenario");
                        printf("    %-36s %s\n    %-36s %s\n", "CPU0", "CPU1", "----", "----");
                        any = true;
                }
                const char *text = line;
                int cpu = -1;
                if (strncmp(line, "CPU", 3) == 0 && (line[3] == '0' || line[3] == '1') &&
                    line[4] == ':') {
                        cpu = line[3] - '0';
                        text = line + 5 + (line[5] == ' ');
                }
                printf("    %*s", cpu == 1 ? 37 : 0, "");
                fputs_safe(text, stdout);
                putchar('\n');
        }
}

/* A table of the objects of array key, with the given columns (header, field) pairs. */
static void print_list4(const char *g, const char *key, const char *title, const char *h1,
                        const char *f1, const char *h2, const char *f2, const char *h3,
                        const char *f3, const char *h4, const char *f4) {
        _cleanup_(table_freep) Table *t = table_new(h1, h2, h3, h4, NULL);
        JsonIter it;
        const char *v;

        if (!t || !json_iter_init(&it, json_get(g, key)))
                return;
        while (json_iter_next(&it, NULL, &v))
                if (table_add_field(t, v, f1) < 0 || table_add_field(t, v, f2) < 0 ||
                    (f3 && table_add_field(t, v, f3) < 0) || (f4 && table_add_field(t, v, f4) < 0))
                        return;
        if (table_rows(t) == 0)
                return;
        section(title);
        table_print(t, stdout, 4);
}

static void print_list(const char *g, const char *key, const char *title, const char *h1,
                       const char *f1, const char *h2, const char *f2, const char *h3,
                       const char *f3) {
        print_list4(g, key, title, h1, f1, h2, f2, h3, f3, NULL, NULL);
}

static void print_group(Store *s, const char *g) {
        _cleanup_free_ char *title = json_get_str(g, "func_title"), *kind = json_get_str(g, "kind"),
                            *sig = json_get_str(g, "signature"), *note = json_get_str(g, "note"),
                            *first = json_get_str(g, "kernel_first"),
                            *last = json_get_str(g, "kernel_last");
        _cleanup_free_ char *rep_json = NULL;
        int64_t rep = json_get_int(g, "representative", 0);
        char buf[256];

        printf("%sGroup %lld: ", ansi_highlight(), (long long) json_get_int(g, "id", 0));
        fputs_safe(title ? title : kind ? kind : "?", stdout);
        printf("%s\n\n", ansi_normal());
        field("Kind", kind);
        json_field(g, "Key", "key");
        if (sig) {
                snprintf(buf, sizeof(buf), "%s (version %lld)", sig,
                         (long long) json_get_int(g, "sig_version", 0));
                field("Signature", buf);
        }
        json_field(g, "Status", "status");
        field("Note", note);
        json_field(g, "First seen", "first_seen");
        json_field(g, "Last seen", "last_seen");
        snprintf(buf, sizeof(buf), "%lld on %lld host%s",
                 (long long) json_get_int(g, "n_reports", 0),
                 (long long) json_get_int(g, "n_hosts", 0),
                 json_get_int(g, "n_hosts", 0) == 1 ? "" : "s");
        field("Reports", buf);
        if (first && last && strcmp(first, last) != 0) {
                _cleanup_free_ char *range = NULL;
                if (asprintf(&range, "%s .. %s", first, last) >= 0)
                        field("Kernels", range);
        } else
                field("Kernel", first);

        print_cycle(g, kind ? kind : "");
        print_scenario(g);
        print_list(g, "kernels", "Kernels", "|KERNEL", "kernel", ">REPORTS", "n", NULL, NULL);
        print_list(g, "hosts", "Hosts", "~HOST", "host", ">REPORTS", "n", NULL, NULL);
        print_list4(g, "triage", "Triage history", "TIME", "at", ">GROUP", "group", "ACTION", "action",
                    "~VALUE", "value");
        print_list(g, "related", "Related groups", ">ID", "id", "KIND", "kind", "~TITLE",
                   "func_title");
        print_list(g, "normalizations", "Class names normalized", "PRINTED", "printed", "CANONICAL",
                   "canonical", NULL, NULL);

        if (rep <= 0 || store_report_json(s, rep, &rep_json) < 0)
                return;
        _cleanup_free_ char *raw = json_get_str(rep_json, "raw"),
                            *host = json_get_str(rep_json, "host"),
                            *time = json_get_str(rep_json, "time");
        snprintf(buf, sizeof(buf), "Representative report %lld", (long long) rep);
        section(buf);
        if (host || time) {
                printf("%s    from ", ansi_grey());
                fputs_safe(host ? host : "?", stdout);
                printf(" at ");
                fputs_safe(time ? time : "?", stdout);
                printf("%s\n\n", ansi_normal());
        }
        if (raw) {
                fputs_text(raw, stdout);
                if (raw[0] && raw[strlen(raw) - 1] != '\n')
                        putchar('\n');
        }
}

static void help(void) {
        printf("Usage: lockdepctl [--db PATH] show [OPTIONS] GROUP\n\n"
               "Show one group (an id, or a unique prefix of its signature): its key, the lock cycle\n"
               "with acquire sites, the CPU0/CPU1 scenario, counts per kernel and host, first and\n"
               "last seen, triage state, and a representative report.\n\n"
               "Options:\n"
               "  -h --help            Show this help\n"
               OUTPUT_MODE_HELP
               "\nThe JSON form is the group object of the web API. Without a GROUP, the group\n"
               "seen last.\n");
}

int verb_show(int argc, char **argv) {
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                OUTPUT_MODE_OPTIONS,
                {},
        };
        _cleanup_(store_closep) Store *s = NULL;
        _cleanup_free_ char *g = NULL;
        Output out = {};
        int64_t id;
        int c, r;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h" OUTPUT_MODE_SHORTOPTS, options, NULL)) >= 0) {
                r = output_option(c, optarg, &out);
                if (r < 0)
                        return EXIT_USAGE;
                if (r > 0)
                        continue;
                switch (c) {
                case 'h':
                        help();
                        return 0;
                default:
                        return EXIT_USAGE;
                }
        }
        if (optind + 1 < argc) {
                fprintf(stderr, "lockdepctl show: expected at most one GROUP\n");
                return EXIT_USAGE;
        }
        s = open_db(true);
        if (!s)
                return 1;
        if (optind == argc) { /* as coredumpctl info: the newest */
                if (newest_id(s, false, &id) != 0)
                        return 1;
        } else if (resolve_group(s, argv[optind], &id) < 0) /* follows a merge's tombstone */
                return 1;
        r = store_group_json(s, id, &g);
        if (r == -ENOENT) {
                fprintf(stderr, "lockdepctl: no group %lld\n", (long long) id);
                return 1;
        }
        if (r < 0)
                return store_failed(s, r, "reading the group");
        pager_open();
        if (output_json(&out))
                output_json_object(&out, g);
        else
                print_group(s, g);
        return 0;
}
