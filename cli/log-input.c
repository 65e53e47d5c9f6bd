/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading one saved log for parse and import: plain text or gzip/xz/zstd (common/decompress.h, by
 * magic bytes), fed to a parser as it arrives; then the one message that tells what came of it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lockdep.h"
#include "lockdepctl.h"
#include "macro.h"
#include "time-spec.h"

static int log_input_sink(const void *buf, size_t n, void *userdata) {
        LogInput *in = userdata;
        binary_sniff_feed(&in->sniff, buf, n);
        if (in->head_len < sizeof(in->head)) {
                size_t k = MIN(n, sizeof(in->head) - in->head_len);
                memcpy(in->head + in->head_len, buf, k);
                in->head_len += k;
        }
        in->bytes += n;
        int r = lockdep_parser_feed(in->parser, buf, n);
        if (r >= 0 && in->after_feed)
                r = in->after_feed(in->userdata);
        return r;
}

uint64_t log_input_reference(int fd) {
        const char *e = getenv("SOURCE_DATE_EPOCH");
        struct stat st;
        if (e && *e) {
                char *end;
                unsigned long long v = strtoull(e, &end, 10);
                if (*end == 0)
                        return (uint64_t) v * 1000000;
        }
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
                return (uint64_t) st.st_mtim.tv_sec * 1000000 + (uint64_t) st.st_mtim.tv_nsec / 1000;
        return time_now();
}

int log_input_read(LogInput *in, int fd) {
        (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
        in->read_error = decompress_fd(fd, log_input_sink, in, &in->format);
        /* whatever was read before an error is not lost: the open report ends (truncated) */
        int r = in->parser_error = in->read_error == -EBADMSG || in->read_error == -EPIPE || in->read_error >= 0
                                           ? lockdep_parser_finish(in->parser)
                                           : 0;
        return in->read_error < 0 ? in->read_error : r;
}

/* Is any complete line of the first bytes a kernel log line (lockdep_line_looks_kernel())? */
static bool looks_kernel(const LogInput *in) {
        const char *p = in->head, *end = in->head + in->head_len;
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                if (!nl && in->bytes > in->head_len)
                        break; /* a line cut by the sample's end */
                const char *e = nl ? nl : end;
                if (lockdep_line_looks_kernel(p, (size_t) (e - p)))
                        return true;
                p = e + 1;
        }
        return false;
}

int log_input_done(const LogInput *in, const char *verb, const char *name, unsigned n_reports) {
        const char *fmt = decompress_format_to_string(in->format);
        unsigned lines = lockdep_parser_lines(in->parser);

        if (in->parser_error < 0 && in->parser_error != in->read_error) {
                fprintf(stderr, "lockdepctl %s: %s: %s\n", verb, name, strerror(-in->parser_error));
                return 1;
        }
        switch (in->read_error) {
        case 0:
                break;
        case -EBADMSG:
                fprintf(stderr, "lockdepctl %s: %s: corrupt %s data after %llu bytes of text (%u lines); "
                                "%u report%s read before it\n",
                        verb, name, fmt, (unsigned long long) in->bytes, lines, n_reports, n_reports == 1 ? "" : "s");
                return 1;
        case -EPIPE:
                fprintf(stderr, "lockdepctl %s: %s: %s data ends early (truncated file?) after %u lines; "
                                "%u report%s read before the cut\n",
                        verb, name, fmt, lines, n_reports, n_reports == 1 ? "" : "s");
                return 1;
        default:
                fprintf(stderr, "lockdepctl %s: %s: %s\n", verb, name, strerror(-in->read_error));
                return 1;
        }
        if (n_reports > 0)
                return 0;
        if (in->bytes == 0) {
                fprintf(stderr, "lockdepctl %s: %s is empty\n", verb, name);
                return 0;
        }
        if (binary_sniff_is_binary(&in->sniff)) {
                fprintf(stderr, "lockdepctl %s: %s: binary data, not a kernel log%s%s%s\n", verb, name,
                        in->format == DECOMPRESS_NONE ? " (and not gzip, xz or zstd)" : " (after ",
                        in->format == DECOMPRESS_NONE ? "" : fmt,
                        in->format == DECOMPRESS_NONE ? "" : " decompression)");
                return 1;
        }
        if (looks_kernel(in))
                fprintf(stderr, "lockdepctl %s: no lockdep report in %s (%u lines read)\n", verb, name, lines);
        else
                fprintf(stderr, "lockdepctl %s: %s does not look like a kernel log (%u line%s, none with a kernel "
                                "timestamp, level or \"kernel:\" tag); no lockdep report in it\n",
                        verb, name, lines, lines == 1 ? "" : "s");
        return 0;
}
