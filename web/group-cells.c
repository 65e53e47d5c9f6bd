/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * How a group is named wherever groups are listed (/, /locks/NAME, /hosts/X, /kernels/X): its
 * lock key first, "A -> B -> A" (canonical classes in cycle order: the parser's group key without
 * the kind, a circular one closed by its first class again) or the kind's key, then the function title, which many groups share ("possible
 * deadlock in xfs_ilock" x18) and so cannot tell them apart on its own.
 */
#include <string.h>

#include "web-internal.h"

#define KEY_SHOWN 300 /* bytes of a key shown in a list row */

const char *group_key_of(const char *kind, const char *key) {
        if (!key)
                return NULL;
        size_t n = kind ? strlen(kind) : 0;
        if (n && !strncmp(key, kind, n) && key[n] == ':' && key[n + 1] == ' ')
                key += n + 2;
        return *key ? key : NULL;
}

/* A circular key "A -> B -> C [fs: ...]" is shown closed: "A -> B -> C -> A [fs: ...]". */
void h_group_key_of(Html *h, const char *kind, const char *key) {
        const char *arrow = strstr(key, " -> ");
        const char *fs = strstr(key, " [fs: ");
        size_t end = fs ? (size_t) (fs - key) : strlen(key);
        if (!kind || strcmp(kind, "circular") || !arrow || (size_t) (arrow - key) >= end) {
                h_text(h, key);
                return;
        }
        h_textn(h, key, end);
        h_raw(h, " -&gt; ");
        h_textn(h, key, (size_t) (arrow - key));
        h_text(h, key + end);
}

void h_group_title_of(Html *h, int64_t id, const char *kind, const char *full_key, const char *title) {
        const char *key = group_key_of(kind, full_key);
        size_t n = key ? strlen(key) : 0;
        if (n > KEY_SHOWN) {
                /* a 10 KB class name: the start of it, all of it in the tooltip and on the group page */
                size_t cut = KEY_SHOWN;
                while (cut > 0 && ((unsigned char) key[cut] & 0xc0) == 0x80)
                        cut--;
                h_printf(h, "<a class=\"key\" href=\"/groups/%lld\" title=\"", (long long) id);
                h_text(h, key);
                h_raw(h, "\">");
                h_textn(h, key, cut);
                h_raw(h, "\xe2\x80\xa6");
        } else {
                h_printf(h, "<a class=\"key\" href=\"/groups/%lld\">", (long long) id);
                if (key)
                        h_group_key_of(h, kind, key);
                else
                        h_text(h, title ?: kind ?: "?");
        }
        h_raw(h, "</a>");
        if (key && title && strcmp(key, title)) {
                h_raw(h, "<span class=\"func\">");
                h_text(h, title);
                h_raw(h, "</span>");
        }
}

/* the same for the pages that still read a group object of JSON */
void h_group_title(Html *h, const JsonValue *g) {
        h_group_title_of(h, json_get_int(g, "id", 0), json_get_str(g, "kind"), json_get_str(g, "key"),
                         json_get_str(g, "func_title"));
}
