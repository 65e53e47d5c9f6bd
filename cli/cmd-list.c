/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lockdepctl list / reports: groups and reports as JSON lines (the objects of the web API) or a
 * table. The database is opened read-only and can be read while lockdepd writes it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "macro.h"
#include "store.h"

typedef struct ListCtx {
        bool json;
        bool groups;
        unsigned n;
} ListCtx;

/* A minimal reader for the flat objects the store emits: finds "key": and prints its value. */
static void print_field(const char *js, const char *key, int width) {
        char pat[64];
        snprintf(pat, sizeof(pat), "\"%s\":", key);
        const char *v = strstr(js, pat);
        char out[256];
        size_t k = 0;
        if (v) {
                v += strlen(pat);
                if (*v == '"') {
                        for (v++; *v && *v != '"' && k + 1 < sizeof(out); v++) {
                                if (*v == '\\' && v[1])
                                        v++;
                                out[k++] = *v;
                        }
                } else
                        while (*v && *v != ',' && *v != '}' && k + 1 < sizeof(out))
                                out[k++] = *v++;
        }
        out[k] = 0;
        if (width > 0 && (int) k > width)
                out[width] = 0;
        char pad[256];
        snprintf(pad, sizeof(pad), "%-*s ", width, "");
        fputs_safe(out, stdout);
        int len = (int) strlen(out);
        if (width > len)
                printf("%.*s", width - len, pad);
        putchar(' ');
}

static int row(const char *js, void *userdata) {
        ListCtx *c = userdata;
        if (c->json) {
                puts(js);
                c->n++;
                return 0;
        }
        if (c->n++ == 0) {
                if (c->groups)
                        printf("%-6s %-22s %7s %5s %-20s %-10s %s\n", "ID", "KIND", "REPORTS", "HOSTS",
                               "LAST SEEN", "STATUS", "TITLE");
                else
                        printf("%-6s %-6s %-22s %-16s %-24s %-20s %s\n", "ID", "GROUP", "KIND", "HOST",
                               "KERNEL", "TIME", "SOURCE");
        }
        if (c->groups) {
                print_field(js, "id", 6);
                print_field(js, "kind", 22);
                print_field(js, "n_reports", 7);
                print_field(js, "n_hosts", 5);
                print_field(js, "last_seen", 20);
                print_field(js, "status", 10);
                print_field(js, "func_title", 0);
        } else {
                print_field(js, "id", 6);
                print_field(js, "group", 6);
                print_field(js, "kind", 22);
                print_field(js, "host", 16);
                print_field(js, "kernel", 24);
                print_field(js, "time", 20);
                print_field(js, "source", 0);
        }
        putchar('\n');
        return 0;
}

static int run(int argc, char **argv, bool groups) {
        enum { ARG_JSON = 0x100, ARG_GROUP, ARG_KIND, ARG_STATUS, ARG_LIMIT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "json", no_argument, NULL, ARG_JSON },
                { "group", required_argument, NULL, ARG_GROUP },
                { "kind", required_argument, NULL, ARG_KIND },
                { "status", required_argument, NULL, ARG_STATUS },
                { "limit", required_argument, NULL, ARG_LIMIT },
                {},
        };
        ListCtx ctx = { .groups = groups };
        StoreQuery q = {};
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        printf("Usage: lockdepctl [--db PATH] %s [--json] [--kind KIND] %s[--limit N]\n",
                               groups ? "list" : "reports", groups ? "[--status STATUS] " : "[--group ID] ");
                        return 0;
                case ARG_JSON:
                        ctx.json = true;
                        break;
                case ARG_GROUP: {
                        char *e;
                        q.group = strtoll(optarg, &e, 10);
                        if (*e || q.group <= 0) {
                                fprintf(stderr, "lockdepctl: --group wants a group id, not '%s'\n", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                }
                case ARG_KIND:
                        q.kind = optarg;
                        break;
                case ARG_STATUS:
                        q.status = optarg;
                        break;
                case ARG_LIMIT:
                        q.limit = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                fprintf(stderr, "lockdepctl: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        Store *s = open_db(true);
        if (!s)
                return 1;
        int r = groups ? store_list_groups(s, &q, row, &ctx) : store_list_reports(s, &q, row, &ctx);
        if (r < 0)
                fprintf(stderr, "lockdepctl: %s\n", store_error(s));
        else if (!ctx.json && ctx.n == 0)
                printf("No %s.\n", groups ? "groups" : "reports");
        store_close(s);
        return r < 0 ? 1 : 0;
}

int verb_list(int argc, char **argv) {
        return run(argc, argv, true);
}

int verb_reports(int argc, char **argv) {
        return run(argc, argv, false);
}
