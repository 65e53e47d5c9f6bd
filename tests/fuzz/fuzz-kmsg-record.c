/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * fuzz-kmsg-record: daemon/kmsg-record.c, the reader of /dev/kmsg records (and of --kmsg files);
 * user space can write records too.
 *
 * Checked: kmsg_record_parse() returns 0 or -EBADMSG; on success the text is NUL-terminated at
 * len, no longer than the input, facility and level are those of a PRI <= 1023, and the record
 * written back ("PRI,SEQ,USEC,-[,caller=..];" + the text with every byte outside printable ASCII
 * escaped as \xNN, as the kernel does) parses to the same fields.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmsg-record.h"

#define die(...) do { fprintf(stderr, "fuzz-kmsg-record: " __VA_ARGS__); fputc('\n', stderr); abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = malloc(size + 1), *again = NULL, *text2 = NULL;
        KmsgRecord rec, rec2;
        if (!text)
                return 0;
        int r = kmsg_record_parse((const char *) data, size, text, &rec);
        if (r != 0 && r != -EBADMSG)
                die("kmsg_record_parse() returned %d", r);
        if (r < 0)
                goto out;
        if (rec.text != text || rec.len > size || text[rec.len] != 0)
                die("text of %zu bytes from %zu", rec.len, size);
        if (rec.facility > 127 || rec.level > 7)
                die("facility %u level %u", rec.facility, rec.level);
        if (rec.caller_kind && rec.caller_kind != 'T' && rec.caller_kind != 'C')
                die("caller kind %d", rec.caller_kind);

        /* write it back as the kernel would and read it again */
        again = malloc(96 + 4 * rec.len);
        text2 = malloc(96 + 4 * rec.len);
        if (!again || !text2)
                goto out;
        int n = sprintf(again, "%u,%llu,%llu,-", rec.facility << 3 | rec.level, (unsigned long long) rec.seq,
                        (unsigned long long) rec.usec);
        if (rec.caller_kind)
                n += sprintf(again + n, ",caller=%c%u", rec.caller_kind, rec.caller_id);
        again[n++] = ';';
        for (size_t i = 0; i < rec.len; i++) {
                unsigned char c = (unsigned char) rec.text[i];
                if (c < 0x20 || c >= 0x7f || c == '\\')
                        n += sprintf(again + n, "\\x%02x", c);
                else
                        again[n++] = (char) c;
        }
        again[n++] = '\n';
        n += sprintf(again + n, " SUBSYSTEM=fuzz\n");
        r = kmsg_record_parse(again, (size_t) n, text2, &rec2);
        if (r < 0)
                die("the record written back does not parse: %.200s", again);
        if (rec2.facility != rec.facility || rec2.level != rec.level || rec2.seq != rec.seq || rec2.usec != rec.usec ||
            rec2.caller_kind != rec.caller_kind || (rec.caller_kind && rec2.caller_id != rec.caller_id) ||
            rec2.len != rec.len || memcmp(rec2.text, rec.text, rec.len) != 0)
                die("the record written back reads differently: %.200s", again);
out:
        free(text);
        free(again);
        free(text2);
        return 0;
}
