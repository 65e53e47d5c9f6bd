/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

/* Decided once: a terminal gets plain lines, anything else (the journal, a file) "<N>" prefixes. */
bool log_on_terminal(void) {
        static int tty = -1;
        if (tty < 0)
                tty = isatty(STDERR_FILENO) == 1;
        return tty;
}

int log_internal(int level, int error, const char *fmt, ...) {
        int saved = errno;
        error = abs(error);
        if (level <= max_level) {
                char buf[2048];
                va_list ap;
                errno = error; /* for %m */
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);
                if (log_on_terminal())
                        fprintf(stderr, "%s\n", buf);
                else
                        fprintf(stderr, "<%d>%s\n", level, buf);
        }
        errno = saved;
        return -error;
}
