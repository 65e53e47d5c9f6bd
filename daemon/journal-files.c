/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal-files.h"
#include "macro.h"

/* JOURNAL_FILE_FORMAT.md, struct Header: offsets of the fields used here. */
#define HEADER_SIGNATURE "LPKSHHRH"
#define HEADER_SEQNUM_ID 72
#define HEADER_N_ENTRIES 152
#define HEADER_TAIL_SEQNUM 160
#define HEADER_HEAD_SEQNUM 168
#define HEADER_HEAD_REALTIME 184
#define HEADER_TAIL_REALTIME 192
#define HEADER_MIN_SIZE 208

size_t journal_file_stream_key(const char *name) {
        size_t n = strlen(name);
        const char *base = strrchr(name, '/');
        base = base ? base + 1 : name;
        size_t suffix = n >= STRLEN(".journal~") && !strcmp(name + n - STRLEN(".journal~"), ".journal~") ? STRLEN(".journal~")
                        : n >= STRLEN(".journal") && !strcmp(name + n - STRLEN(".journal"), ".journal") ? STRLEN(".journal")
                                                                                                       : 0;
        if (suffix == 0 || (size_t) (base - name) + suffix >= n)
                return 0; /* not a journal file, or nothing but the suffix */
        const char *at = memchr(base, '@', n - suffix - (size_t) (base - name));
        size_t key = at ? (size_t) (at - name) : n - suffix;
        return key > (size_t) (base - name) ? key : 0;
}

static uint64_t le64_at(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, sizeof(v));
        return le64toh(v);
}

int journal_header_read(int fd, JournalHeader *ret) {
        uint8_t h[HEADER_MIN_SIZE];
        ssize_t n = pread(fd, h, sizeof(h), 0);
        if (n < 0)
                return -errno;
        if ((size_t) n < sizeof(h))
                return -ENODATA;
        if (memcmp(h, HEADER_SIGNATURE, 8) != 0)
                return -EBADMSG;
        *ret = (JournalHeader) {
                .n_entries = le64_at(h + HEADER_N_ENTRIES),
                .head_seqnum = le64_at(h + HEADER_HEAD_SEQNUM),
                .tail_seqnum = le64_at(h + HEADER_TAIL_SEQNUM),
                .head_realtime = le64_at(h + HEADER_HEAD_REALTIME),
                .tail_realtime = le64_at(h + HEADER_TAIL_REALTIME),
                .known = true,
        };
        memcpy(ret->seqnum_id, h + HEADER_SEQNUM_ID, 16);
        return 0;
}

static int unhex(const char *s, size_t n, uint8_t *out, uint64_t *ret) {
        uint64_t v = 0;
        for (size_t i = 0; i < n; i++) {
                int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10 : -1;
                if (d < 0)
                        return -EINVAL;
                if (out) {
                        if (i % 2 == 0)
                                out[i / 2] = (uint8_t) (d << 4);
                        else
                                out[i / 2] |= (uint8_t) d;
                } else
                        v = v << 4 | (uint64_t) d;
        }
        if (ret)
                *ret = v;
        return 0;
}

int journal_header_from_name(const char *name, JournalHeader *ret) {
        const char *at = strrchr(name, '@');
        JournalHeader h = {};
        /* @ 32 hex - 16 hex - 16 hex .journal */
        if (!at || strlen(at) != 1 + 32 + 1 + 16 + 1 + 16 + STRLEN(".journal") || strcmp(at + 67, ".journal") != 0 ||
            at[33] != '-' || at[50] != '-')
                return -EINVAL;
        if (unhex(at + 1, 32, h.seqnum_id, NULL) < 0 || unhex(at + 34, 16, NULL, &h.head_seqnum) < 0 ||
            unhex(at + 51, 16, NULL, &h.head_realtime) < 0)
                return -EINVAL;
        h.known = h.from_name = true;
        h.n_entries = 1; /* an archive is never empty; its tail is not in the name */
        h.tail_seqnum = UINT64_MAX;
        h.tail_realtime = UINT64_MAX;
        *ret = h;
        return 0;
}

static int cmp_u64(uint64_t a, uint64_t b) {
        return a < b ? -1 : a > b;
}

int journal_header_compare(const JournalHeader *a, const JournalHeader *b) {
        /* empty or unreadable files are where the writer writes next */
        bool la = !a->known || a->n_entries == 0, lb = !b->known || b->n_entries == 0;
        if (la || lb)
                return la - lb;
        if (memcmp(a->seqnum_id, b->seqnum_id, 16) == 0)
                return cmp_u64(a->head_seqnum, b->head_seqnum);
        return cmp_u64(a->head_realtime, b->head_realtime);
}

int journal_point_from_cursor(const char *cursor, JournalPoint *ret) {
        JournalPoint p = {};
        bool sid = false;
        for (const char *c = cursor; c && *c;) {
                const char *e = strchrnul(c, ';');
                size_t n = (size_t) (e - c);
                if (n >= 2 && c[1] == '=') {
                        if (c[0] == 's' && n == 2 + 32)
                                sid = unhex(c + 2, 32, p.seqnum_id, NULL) >= 0;
                        else if (c[0] == 'i' && n > 2 && n <= 2 + 16)
                                p.has_seqnum = unhex(c + 2, n - 2, NULL, &p.seqnum) >= 0;
                        else if (c[0] == 't' && n > 2 && n <= 2 + 16)
                                p.has_realtime = unhex(c + 2, n - 2, NULL, &p.realtime) >= 0;
                }
                c = *e ? e + 1 : e;
        }
        p.has_seqnum = p.has_seqnum && sid;
        if (!p.has_seqnum && !p.has_realtime)
                return -EINVAL;
        *ret = p;
        return 0;
}

int journal_point_compare(const JournalPoint *p, const JournalHeader *h) {
        if (!h->known || h->n_entries == 0)
                return -1; /* nothing read from it yet */
        if (p->has_seqnum && memcmp(p->seqnum_id, h->seqnum_id, 16) == 0)
                return p->seqnum < h->head_seqnum ? -1 : p->seqnum > h->tail_seqnum ? 1 : 0;
        if (!p->has_realtime)
                return -1;
        return p->realtime < h->head_realtime ? -1 : p->realtime > h->tail_realtime ? 1 : 0;
}
