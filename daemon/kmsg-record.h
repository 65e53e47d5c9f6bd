/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * One /dev/kmsg record (Documentation/ABI/testing/dev-kmsg): "PRI,SEQ,USEC,FLAGS[,caller=T1];text"
 * with \xNN escapes for unprintable bytes, then "\n KEY=value" dictionary lines. Pure: bytes in,
 * fields out; fuzzed by tests/fuzz/fuzz-kmsg-record.c. Everything in it is untrusted (user space
 * writes records too; they carry a facility other than 0).
 */

#include <stddef.h>
#include <stdint.h>

typedef struct KmsgRecord {
        unsigned facility;     /* PRI >> 3: 0 = the kernel */
        unsigned level;        /* PRI & 7 */
        uint64_t seq, usec;
        char caller_kind;      /* 'T' or 'C', 0 when not printed */
        unsigned caller_id;
        const char *text;      /* the message, escapes undone (may hold any byte), NUL-terminated */
        size_t len;
} KmsgRecord;

/* Parses rec[0..len) (need not be NUL-terminated). The message goes to text_buf, which has room
 * for len + 1 bytes. Returns 0, or -EBADMSG when it is not a record (no ';', a prefix field that is
 * not a decimal number that fits, a PRI beyond 1023). */
int kmsg_record_parse(const char *rec, size_t len, char *text_buf, KmsgRecord *ret);
