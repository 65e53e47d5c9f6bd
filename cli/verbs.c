/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The verb runner (systemd's shared/verbs.c, with per-verb options): one getopt loop for every
 * verb, with --help, the output options the verb's flags ask for and the verb's own options; the
 * count of its arguments; the database opened on first use as read-only or writable as the flags
 * say, and closed after the verb ran.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepctl.h"
#include "store.h"

static const struct option help_option[] = {
        { "help", no_argument, NULL, 'h' },
        {},
};
static const struct option output_options[] = {
        OUTPUT_OPTIONS,
        {},
};
static const struct option output_mode_options[] = {
        OUTPUT_MODE_OPTIONS,
        {},
};

static size_t count_options(const struct option *o) {
        size_t n = 0;
        while (o && o[n].name)
                n++;
        return n;
}

struct Store *verb_db_open(VerbRun *v, bool read_only) {
        if (!v->store)
                v->store = open_db(read_only);
        return v->store;
}

struct Store *verb_db(VerbRun *v) {
        return verb_db_open(v, !(v->spec->flags & VERB_DB_WRITE));
}

int verb_dispatch(const char *name, const VerbSpec *spec, int argc, char **argv) {
        const struct option *shared = spec->flags & VERB_OUTPUT        ? output_options
                                      : spec->flags & VERB_OUTPUT_MODE ? output_mode_options
                                                                       : NULL;
        size_t n_shared = count_options(shared), n_own = count_options(spec->options);
        _cleanup_free_ struct option *options = calloc(1 + n_shared + n_own + 1, sizeof(struct option));
        _cleanup_free_ char *shortopts = NULL;
        VerbRun v = { .spec = spec, .name = name };
        int c, r;

        if (!options ||
            asprintf(&shortopts, "h%s%s",
                     spec->flags & VERB_OUTPUT        ? OUTPUT_SHORTOPTS
                     : spec->flags & VERB_OUTPUT_MODE ? OUTPUT_MODE_SHORTOPTS
                                                      : "",
                     spec->shortopts ? spec->shortopts : "") < 0)
                return print_oom();
        options[0] = help_option[0];
        memcpy(options + 1, shared ? shared : help_option + 1, n_shared * sizeof(struct option));
        memcpy(options + 1 + n_shared, spec->options ? spec->options : help_option + 1, n_own * sizeof(struct option));

        optind = 0;
        while ((c = getopt_long(argc, argv, shortopts, options, NULL)) >= 0) {
                if (c == 'h') {
                        spec->help();
                        return 0;
                }
                if (c == '?' || c == ':')
                        return EXIT_USAGE;
                r = shared ? output_option(c, optarg, &v.out) : 0;
                if (r == 0)
                        r = spec->option ? spec->option(c, optarg) : -EINVAL;
                if (r < 0) {
                        output_done(&v.out);
                        return EXIT_USAGE;
                }
        }
        v.argc = argc - optind;
        v.argv = argv + optind;
        if ((unsigned) v.argc < spec->min_args) {
                fprintf(stderr, "lockdepctl %s: %s\n", name, spec->args ? spec->args : "expected an argument");
                return EXIT_USAGE;
        }
        if (spec->max_args != VERB_ANY && (unsigned) v.argc > spec->max_args) {
                if (spec->max_args == 0)
                        fprintf(stderr, "lockdepctl %s: unexpected argument '%s'\n", name, v.argv[0]);
                else
                        fprintf(stderr, "lockdepctl %s: %s\n", name, spec->args ? spec->args : "too many arguments");
                return EXIT_USAGE;
        }
        r = spec->run(&v);
        output_done(&v.out);
        store_close(v.store);
        return r;
}
