/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Replay driver for builds without libFuzzer (like systemd's src/fuzz/fuzz-main.c): runs
 * LLVMFuzzerTestOneInput() once on the contents of each file named on the command line; a directory
 * argument stands for every regular file in it (sorted), and "-" reads stdin. Any invariant the
 * fuzz target checks aborts the process, so a meson test per corpus file fails on a regression.
 *
 * Exit status: 0 when every input ran, 1 on a usage or I/O error.
 */

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int read_stream(FILE *f, uint8_t **ret, size_t *ret_size) {
        uint8_t *buf = NULL;
        size_t n = 0, size = 0;

        for (;;) {
                size_t k;

                if (n == size) {
                        uint8_t *q;

                        size = size ? size * 2 : 64 * 1024;
                        q = realloc(buf, size);
                        if (!q) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = q;
                }
                k = fread(buf + n, 1, size - n, f);
                n += k;
                if (k == 0) {
                        if (ferror(f)) {
                                free(buf);
                                return -EIO;
                        }
                        break;
                }
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}

static int run_file(const char *path) {
        uint8_t *buf = NULL, *copy;
        size_t size = 0;
        FILE *f;
        int r;

        f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
        if (!f) {
                fprintf(stderr, "fuzz-main: cannot open %s: %s\n", path, strerror(errno));
                return -errno;
        }
        r = read_stream(f, &buf, &size);
        if (f != stdin)
                fclose(f);
        if (r < 0) {
                fprintf(stderr, "fuzz-main: cannot read %s: %s\n", path, strerror(-r));
                return r;
        }

        /* An exactly sized copy, so that ASan/valgrind catch reads past the end of the input. */
        copy = malloc(size ? size : 1);
        if (!copy) {
                free(buf);
                return -ENOMEM;
        }
        memcpy(copy, buf, size);
        free(buf);

        printf("%s... ", path);
        fflush(stdout);
        (void) LLVMFuzzerTestOneInput(copy, size);
        printf("ok\n");
        free(copy);
        return 0;
}

static int run_dir(const char *path) {
        struct dirent **list = NULL;
        int n, r = 0;

        n = scandir(path, &list, NULL, alphasort);
        if (n < 0) {
                fprintf(stderr, "fuzz-main: cannot list %s: %s\n", path, strerror(errno));
                return -errno;
        }
        for (int i = 0; i < n; i++) {
                size_t len = strlen(path) + strlen(list[i]->d_name) + 2;
                struct stat st;
                char *p;

                if (r >= 0 && list[i]->d_name[0] != '.') {
                        p = malloc(len);
                        if (!p)
                                r = -ENOMEM;
                        else {
                                snprintf(p, len, "%s/%s", path, list[i]->d_name);
                                if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
                                        r = run_file(p);
                                free(p);
                        }
                }
                free(list[i]);
        }
        free(list);
        return r;
}

int main(int argc, char **argv) {
        if (LLVMFuzzerInitialize)
                (void) LLVMFuzzerInitialize(&argc, &argv);

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIR|-...\n", argv[0]);
                return EXIT_FAILURE;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                int r;

                if (strcmp(argv[i], "-") != 0 && stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
                        r = run_dir(argv[i]);
                else
                        r = run_file(argv[i]);
                if (r < 0)
                        return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
