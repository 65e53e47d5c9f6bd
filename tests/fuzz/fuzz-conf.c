/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * fuzz-conf: daemon/conf.c config_parse_text(), the reader of /etc/lockdepd.conf (and, through
 * config_set(), of every command line flag).
 *
 * The input is parsed as a NUL-terminated text into a fresh Config. Checked: the result is 0,
 * -EINVAL (with a message, which names a line) or -ENOMEM; the Config's lists are consistent; parsing
 * the same text again gives the same answer; everything is freed (the sanitizer build finds leaks).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lockdepd.h"

#define die(...) do { fprintf(stderr, "fuzz-conf: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

static int parse(const char *text, char **ret_why, Config *c) {
        config_init(c);
        int r = config_parse_text(c, text, ret_why);
        if (r != 0 && r != -EINVAL && r != -ENOMEM)
                die("config_parse_text() returned %d", r);
        if (r == -EINVAL && (!*ret_why || !**ret_why))
                die("-EINVAL without a message");
        if ((c->n_journal_dirs && !c->journal_dirs) || (c->n_follow && !c->follow))
                die("a list without its array");
        for (size_t i = 0; i < c->n_journal_dirs; i++)
                if (!c->journal_dirs[i])
                        die("journal-dir %zu is NULL", i);
        for (size_t i = 0; i < c->n_follow; i++)
                if (!c->follow[i])
                        die("follow %zu is NULL", i);
        if (c->log_level < 0 || c->log_level > 7)
                die("log level %d", c->log_level);
        return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *why1 = NULL, *why2 = NULL;
        Config a, b;
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        int r1 = parse(text, &why1, &a);
        int r2 = parse(text, &why2, &b);
        if (r1 != -ENOMEM && r2 != -ENOMEM) {
                if (r1 != r2)
                        die("two parses of one text: %d and %d", r1, r2);
                if (r1 == -EINVAL && strcmp(why1, why2) != 0)
                        die("two messages for one text: \"%s\" and \"%s\"", why1, why2);
                if (r1 == 0 && (a.n_follow != b.n_follow || a.n_journal_dirs != b.n_journal_dirs ||
                                a.kmsg != b.kmsg || a.journal != b.journal || a.web != b.web ||
                                a.log_level != b.log_level))
                        die("two parses of one text give different settings");
        }
        config_done(&a);
        config_done(&b);
        free(why1);
        free(why2);
        free(text);
        return 0;
}
