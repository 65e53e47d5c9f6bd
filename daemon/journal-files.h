/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The files of a journal directory as streams: the files one writer produced, in the order it
 * wrote them. systemd-journal-remote --split-mode=host writes "remote-HOST.journal" and archives
 * it as "remote-HOST@SEQNUMID-HEADSEQNUM-HEADREALTIME.journal"; journald writes "system.journal",
 * archives "system@....journal" and renames a file it finds damaged to "....journal~". The
 * stream of a file is its name up to the '@', or without the suffix.
 *
 * A file's place in its stream comes from its header (JOURNAL_FILE_FORMAT.md: the header is a
 * stable, documented little-endian layout; read with pread(), nothing mapped), or from its
 * archive name when the header cannot be read. Files of one writer share the seqnum id of the
 * first one (rotation continues the sequence), so they are ordered by head seqnum; files with
 * other seqnum ids (a writer that restarted on a damaged file, files made one by one) by head
 * realtime; empty and unreadable active files last.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct JournalHeader {
        uint8_t seqnum_id[16];
        uint64_t n_entries;
        uint64_t head_seqnum, tail_seqnum;
        uint64_t head_realtime, tail_realtime;
        bool known;             /* from the header, or from an archive name (head only) */
        bool from_name;
} JournalHeader;

/* Length of the stream key of a file name relative to the directory ("remote-h@x-y-z.journal"
 * and "remote-h.journal" -> "remote-h", "MID/system.journal" -> "MID/system"); 0 for names that
 * are not journal files (".journal" or ".journal~"). */
size_t journal_file_stream_key(const char *name);

/* Reads the header of the journal file open at fd: 0, -EBADMSG (not a journal file),
 * -ENODATA (shorter than a header), or the errno of pread(). */
int journal_header_read(int fd, JournalHeader *ret);

/* What an archive name ("...@SEQNUMID-HEADSEQNUM-HEADREALTIME.journal") says: 0, or -EINVAL. */
int journal_header_from_name(const char *name, JournalHeader *ret);

/* Reading order of two files of one stream: < 0 when a comes first. */
int journal_header_compare(const JournalHeader *a, const JournalHeader *b);

/* A position in a journal, from a cursor string ("s=SEQNUMID;i=SEQNUM;...;t=REALTIME;..."). */
typedef struct JournalPoint {
        uint8_t seqnum_id[16];
        uint64_t seqnum, realtime;
        bool has_seqnum, has_realtime;
} JournalPoint;

int journal_point_from_cursor(const char *cursor, JournalPoint *ret);

/* Where a point lies relative to a file: 0 inside it (same seqnum id and head <= seqnum <= tail,
 * or for another seqnum id, head <= realtime <= tail), < 0 before it, > 0 after it. */
int journal_point_compare(const JournalPoint *p, const JournalHeader *h);
