/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * daemon/journal-files.c: streams of a journal directory and the order of their files.
 *  - stream keys of the names journal-remote and journald give files (active, archived, damaged)
 *  - archive names parsed back into what the header said at rotation
 *  - headers read from real files written by systemd-journal-remote (skipped without it), and
 *    from damaged ones
 *  - reading order: one writer's files by seqnum, other writers' by time, empty files last;
 *    where a cursor lies relative to a file
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal-files.h"
#include "tap.h"

static size_t key(const char *n) {
        return journal_file_stream_key(n);
}

TEST(stream_key) {
        CHECK(key("remote-10.1.2.3.journal") == strlen("remote-10.1.2.3"));
        CHECK(key("remote-h@0123456789abcdef0123456789abcdef-0000000000000001-0005f1e2d3c4b5a6.journal") ==
              strlen("remote-h"));
        CHECK(key("system.journal~") == strlen("system"));
        CHECK(key("system@0005f1e2d3c4b5a6-0123456789abcdef.journal~") == strlen("system"));
        CHECK(key("0123456789abcdef0123456789abcdef/system.journal") ==
              strlen("0123456789abcdef0123456789abcdef/system"));
        CHECK(key("0123456789abcdef0123456789abcdef/user-1000@x.journal") ==
              strlen("0123456789abcdef0123456789abcdef/user-1000"));
        /* not journal files, or nothing but a suffix */
        CHECK(key("lockdep.db") == 0);
        CHECK(key("remote-h.journal.part") == 0);
        CHECK(key(".journal") == 0);
        CHECK(key("@x.journal") == 0);
        CHECK(key("sub/.journal") == 0);
        CHECK(key("journal") == 0);
}

TEST(archive_name) {
        JournalHeader h;
        CHECK(journal_header_from_name("remote-h@0123456789abcdef0123456789abcdef-00000000000000a0-0005f1e2d3c4b5a6.journal",
                                       &h) == 0);
        CHECK(h.known && h.from_name && h.head_seqnum == 0xa0 && h.head_realtime == 0x5f1e2d3c4b5a6ULL);
        CHECK(h.seqnum_id[0] == 0x01 && h.seqnum_id[15] == 0xef);
        CHECK(journal_header_from_name("remote-h.journal", &h) == -EINVAL);
        CHECK(journal_header_from_name("remote-h@0123-1-2.journal", &h) == -EINVAL);
        CHECK(journal_header_from_name("remote-h@0123456789abcdef0123456789abcdeg-00000000000000a0-0005f1e2d3c4b5a6.journal",
                                       &h) == -EINVAL);
        CHECK(journal_header_from_name("system@0005f1e2d3c4b5a6-0123456789abcdef.journal~", &h) == -EINVAL);
}

static JournalHeader hdr(uint8_t sid, uint64_t n, uint64_t head, uint64_t tail, uint64_t rt0, uint64_t rt1) {
        JournalHeader h = { .n_entries = n, .head_seqnum = head, .tail_seqnum = tail, .head_realtime = rt0,
                            .tail_realtime = rt1, .known = true };
        memset(h.seqnum_id, sid, 16);
        return h;
}

TEST(order) {
        JournalHeader a = hdr(1, 10, 1, 10, 5000, 6000), b = hdr(1, 10, 11, 20, 4000, 7000),
                      c = hdr(2, 5, 1, 5, 4500, 4600), empty = hdr(3, 0, 0, 0, 0, 0), unknown = {};
        /* one writer: by seqnum, whatever the clock said */
        CHECK(journal_header_compare(&a, &b) < 0);
        CHECK(journal_header_compare(&b, &a) > 0);
        /* another writer: by time */
        CHECK(journal_header_compare(&c, &a) < 0);
        CHECK(journal_header_compare(&a, &c) > 0);
        /* empty and unreadable ones last */
        CHECK(journal_header_compare(&empty, &a) > 0);
        CHECK(journal_header_compare(&a, &unknown) < 0);
        CHECK(journal_header_compare(&empty, &unknown) == 0);
}

TEST(points) {
        JournalHeader a = hdr(0xab, 10, 100, 109, 5000, 6000), empty = hdr(0xab, 0, 0, 0, 0, 0);
        JournalPoint p;
        CHECK(journal_point_from_cursor("s=abababababababababababababababab;i=69;b=00;m=1;t=1388;x=5", &p) == 0);
        CHECK(p.has_seqnum && p.seqnum == 0x69 && p.has_realtime && p.realtime == 0x1388);
        CHECK(journal_point_compare(&p, &a) == 0);           /* seqnum 105 of 100..109 */
        CHECK(journal_point_compare(&p, &empty) < 0);
        CHECK(journal_point_from_cursor("s=abababababababababababababababab;i=6e;t=1;x=5", &p) == 0);
        CHECK(journal_point_compare(&p, &a) > 0);            /* 110: after */
        CHECK(journal_point_from_cursor("s=abababababababababababababababab;i=1;t=1", &p) == 0);
        CHECK(journal_point_compare(&p, &a) < 0);
        /* another writer's cursor: by time */
        CHECK(journal_point_from_cursor("s=cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd;i=69;t=1771", &p) == 0);
        CHECK(journal_point_compare(&p, &a) > 0);            /* 6001: after its tail, 6000 */
        CHECK(journal_point_from_cursor("s=cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd;i=69;t=1500", &p) == 0);
        CHECK(journal_point_compare(&p, &a) == 0);
        CHECK(journal_point_from_cursor("s=cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd;i=69;t=10", &p) == 0);
        CHECK(journal_point_compare(&p, &a) < 0);
        CHECK(journal_point_from_cursor("garbage", &p) == -EINVAL);
        CHECK(journal_point_from_cursor("s=xyz;i=1", &p) == -EINVAL);
}

static char dir[] = "/tmp/test-journal-files-XXXXXX";

static int write_file(const char *name, const char *content, size_t n) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        ssize_t w = write(fd, content, n);
        close(fd);
        return w == (ssize_t) n ? 0 : -EIO;
}

static int open_file(const char *name) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return open(path, O_RDONLY | O_CLOEXEC);
}

TEST(header_real) {
        const char *jr = "/lib/systemd/systemd-journal-remote";
        if (access(jr, X_OK) < 0) {
                SKIP("systemd-journal-remote not installed");
                return;
        }
        CHECK(mkdtemp(dir) != NULL);
        char cmd[1024];
        /* three entries, realtime 1700000000000001.. */
        snprintf(cmd, sizeof(cmd),
                 "for i in 1 2 3; do printf '__REALTIME_TIMESTAMP=170000000000000%%d\\n_TRANSPORT=kernel\\n"
                 "MESSAGE=line %%d\\n_BOOT_ID=0123456789abcdef0123456789abcdef\\n__MONOTONIC_TIMESTAMP=%%d\\n\\n' "
                 "$i $i $i; done | %s -o %s/a.journal - 2>/dev/null",
                 jr, dir);
        CHECK(system(cmd) == 0);
        int fd = open_file("a.journal");
        CHECK(fd >= 0);
        JournalHeader h = {};
        CHECK(journal_header_read(fd, &h) == 0);
        close(fd);
        CHECK(h.known && !h.from_name);
        CHECK(h.n_entries == 3 && h.head_seqnum == 1 && h.tail_seqnum == 3);
        CHECK(h.head_realtime == 1700000000000001ULL && h.tail_realtime == 1700000000000003ULL);

        /* damaged: wrong signature, too short */
        char junk[240];
        memset(junk, 'x', sizeof(junk)); /* long enough for a header, but not one */
        CHECK(write_file("b.journal", junk, sizeof(junk)) == 0);
        fd = open_file("b.journal");
        CHECK(journal_header_read(fd, &h) == -EBADMSG);
        close(fd);
        CHECK(write_file("c.journal", "LPKSHHRH", 8) == 0);
        fd = open_file("c.journal");
        CHECK(journal_header_read(fd, &h) == -ENODATA);
        close(fd);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        CHECK(system(cmd) == 0);
}

TAP_MAIN(T(stream_key), T(archive_name), T(order), T(points), T(header_real))
