/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pager, as in systemd: $SYSTEMD_PAGER, else $PAGER, else "less" with LESS=FRSXMK (quit if
 * one screen, raw colours, chop long lines, no init, verbose prompt, quit on ^C); "" or "cat"
 * disables it. Only when stdout is a terminal and --no-pager was not given. stdout is replaced by
 * a pipe into the pager, which is waited for at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lockdepctl.h"

static pid_t pager_pid;

static void pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        fclose(stdout); /* EOF for the pager */
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
}

void pager_open(void) {
        const char *pager = getenv("SYSTEMD_PAGER");
        int fd[2];

        if (arg.no_pager || pager_pid > 0 || !isatty(STDOUT_FILENO))
                return;
        if (!pager)
                pager = getenv("PAGER");
        if (pager && (!pager[0] || strcmp(pager, "cat") == 0))
                return;
        if (pipe2(fd, O_CLOEXEC) < 0)
                return;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
                close(fd[0]);
                close(fd[1]);
                return;
        }
        if (pid == 0) {
                const char *less = getenv("SYSTEMD_LESS");
                if (dup2(fd[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                setenv("LESS", less ? less : "FRSXMK", 1);
                if (pager)
                        execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                execlp("less", "less", (char *) NULL);
                execlp("more", "more", (char *) NULL);
                /* no pager at all: copy through */
                char buf[4096];
                ssize_t n;
                while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
                        if (write(STDOUT_FILENO, buf, (size_t) n) != n)
                                break;
                _exit(n < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
        }
        if (dup2(fd[1], STDOUT_FILENO) < 0) {
                close(fd[0]);
                close(fd[1]);
                return; /* the pager sees EOF and exits */
        }
        close(fd[0]);
        close(fd[1]);
        pager_pid = pid;
        atexit(pager_close);
}
