/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common/host-name.h, the one host name rule (issue 14): a table of good and hostile names with
 * the reason each is refused and the name it is stored under when it cannot be refused; every
 * sanitized name passes the rule, is marked as sanitized, and names cut short stay distinct.
 */
#include <stdlib.h>

#include "host-name.h"
#include "tap.h"

/* Passes the rule but for its backslashes (which only sanitized names have). */
static bool safe(const char *s) {
        char *c = strdup(s);
        assert(c);
        for (char *p = c; *p; p++)
                if (*p == '\\')
                        *p = '/';
        bool ok = host_name_valid(c);
        free(c);
        return ok;
}

TEST(table) {
        static const struct {
                const char *in, *why, *sanitized; /* why NULL: valid, stored as it is */
        } cases[] = {
                { "web-01.example.com", NULL, NULL },
                { "h\xc3\xb6st-\xc3\xbc", NULL, NULL }, /* UTF-8 is fine */
                { "a b", NULL, NULL },
                { "", "is empty", "\\empty" },
                { "evil\x1b[31mhost", "has a control character", "evil\\x1b[31mhost" },
                { "tab\there", "has a control character", "tab\\x09here" },
                { "del\x7f", "has a control character", "del\\x7f" },
                { "c1\xc2\x85x", "has a control character", "c1\\xc2\\x85x" },
                { "rtl\xe2\x80\xaehost", "has a bidi control or invisible format character", "rtl\\u202ehost" },
                { "zw\xe2\x80\x8bsp", "has a bidi control or invisible format character", "zw\\u200bsp" },
                { "bad\xffutf8", "is not valid UTF-8", "bad\\xffutf8" },
                { "cut\xc3", "is not valid UTF-8", "cut\\xc3" },
                { "back\\slash", "has a backslash", "back\\x5cslash" },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *why = host_name_check(cases[i].in);
                CHECK_MSG((why == NULL) == (cases[i].why == NULL) && (!why || !strcmp(why, cases[i].why)),
                          "case %zu: %s", i, why ? why : "(valid)");
                CHECK(host_name_valid(cases[i].in) == !cases[i].why);
                char buf[HOST_NAME_BUF];
                bool changed = host_name_sanitize(cases[i].in, strlen(cases[i].in), buf);
                CHECK(changed == !!cases[i].why);
                CHECK_STREQ(buf, cases[i].sanitized ? cases[i].sanitized : cases[i].in);
                CHECK(safe(buf));
                CHECK(host_name_is_sanitized(buf) == !!cases[i].why);
        }
}

TEST(long_names) {
        char *s = malloc(10001);
        assert(s);
        memset(s, 'a', 10000);
        s[10000] = 0;
        CHECK_STREQ(host_name_check(s), "is longer than 255 bytes");
        s[255] = 0;
        CHECK(host_name_valid(s)); /* 255 bytes: the limit */
        s[255] = 'a';
        char a[HOST_NAME_BUF], b[HOST_NAME_BUF];
        CHECK(host_name_sanitize(s, 10000, a));
        s[9999] = 'b'; /* the same first 9,999 bytes */
        CHECK(host_name_sanitize(s, 10000, b));
        CHECK(strlen(a) <= HOST_NAME_LEN_MAX && strlen(b) <= HOST_NAME_LEN_MAX);
        CHECK_STRNE(a, b);
        CHECK(host_name_is_sanitized(a));
        CHECK(strstr(a, "\\~") != NULL);
        CHECK(safe(a) && safe(b));
        /* escapes near the limit are never cut in the middle: the result is valid UTF-8 */
        for (size_t i = 0; i + 3 <= 10000; i += 3)
                memcpy(s + i, "\xe2\x80\xae", 3);
        CHECK(host_name_sanitize(s, 9999, a));
        CHECK(strlen(a) <= HOST_NAME_LEN_MAX);
        CHECK(strncmp(a, "\\u202e\\u202e", 12) == 0);
        size_t n = strlen(a);
        CHECK(n > 10 && a[n - 10] == '\\' && a[n - 9] == '~');
        CHECK(safe(a));
        memset(s, 0xe4, 10000); /* no UTF-8 at all */
        CHECK(host_name_sanitize(s, 10000, a));
        CHECK(strncmp(a, "\\xe4\\xe4", 8) == 0);
        /* what is left of the name is valid once the "\~HASH" is taken off */
        CHECK(safe(a));
        CHECK(strlen(a) <= HOST_NAME_LEN_MAX);
        free(s);
}

TAP_MAIN(T(table), T(long_names))
