/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

/* Splits into host (brackets removed) and port and checks their characters. */
static int split(const char *s, char *host, size_t n, unsigned *ret_port, bool *ret_bracket, const char **ret_why) {
        const char *port, *e;
        size_t len;

        if (!s || !*s)
                return *ret_why = "empty address", -EINVAL;
        if (s[0] == '[') {
                e = strchr(s, ']');
                if (!e || e[1] != ':')
                        return *ret_why = "expected [IPV6-ADDRESS]:PORT", -EINVAL;
                len = (size_t) (e - s - 1);
                port = e + 2;
                s++;
                *ret_bracket = true;
        } else {
                e = strrchr(s, ':');
                if (!e)
                        return *ret_why = "no port (expected ADDRESS:PORT)", -EINVAL;
                len = (size_t) (e - s);
                port = e + 1;
                *ret_bracket = false;
                if (memchr(s, ':', len))
                        return *ret_why = "an IPv6 address needs brackets: [ADDRESS]:PORT", -EINVAL;
        }
        if (len >= n)
                return *ret_why = "host name too long", -EINVAL;
        memcpy(host, s, len);
        host[len] = 0;
        if (!*port)
                return *ret_why = "no port (expected ADDRESS:PORT)", -EINVAL;
        for (const char *p = port; *p; p++)
                if (!isdigit((unsigned char) *p))
                        return *ret_why = "the port is not a number", -EINVAL;
        if (strlen(port) > 5 || atoi(port) > 65535)
                return *ret_why = "the port is out of range (0-65535)", -EINVAL;
        *ret_port = (unsigned) atoi(port);
        for (const char *p = host; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr(*ret_bracket ? ":.%" : ".-_", *p))
                        return *ret_why = "not an IP address or host name", -EINVAL;
        return 0;
}

int netaddr_check(const char *s, const char **ret_why) {
        char host[256];
        unsigned port;
        bool bracket;
        struct in6_addr a6;
        int r = split(s, host, sizeof(host), &port, &bracket, ret_why);
        if (r < 0)
                return r;
        if (bracket && inet_pton(AF_INET6, host, &a6) != 1)
                return *ret_why = "not an IPv6 address inside [ ]", -EINVAL;
        return 0;
}

int netaddr_resolve(const char *s, struct sockaddr_storage *ret, const char **ret_why) {
        char host[256];
        unsigned port;
        bool bracket;
        int r = netaddr_check(s, ret_why);
        if (r < 0)
                return r;
        (void) split(s, host, sizeof(host), &port, &bracket, ret_why);

        struct sockaddr_in *a4 = (struct sockaddr_in *) ret;
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) ret;
        memset(ret, 0, sizeof(*ret));
        if (!bracket && (!host[0] || inet_pton(AF_INET, host, &a4->sin_addr) == 1)) {
                a4->sin_family = AF_INET;
                a4->sin_port = htons((uint16_t) port);
                return 0;
        }
        if (bracket) {
                (void) inet_pton(AF_INET6, host, &a6->sin6_addr);
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t) port);
                return 0;
        }

        struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *ai = NULL;
        int e = getaddrinfo(host, NULL, &hints, &ai);
        if (e != 0) {
                *ret_why = e == EAI_SYSTEM ? strerror(errno) : gai_strerror(e);
                return -EADDRNOTAVAIL;
        }
        const struct addrinfo *pick = NULL;
        for (const struct addrinfo *p = ai; p && !pick; p = p->ai_next)
                if (p->ai_family == AF_INET)
                        pick = p;
        for (const struct addrinfo *p = ai; p && !pick; p = p->ai_next)
                if (p->ai_family == AF_INET6)
                        pick = p;
        if (!pick) {
                freeaddrinfo(ai);
                *ret_why = "the name has no IPv4 or IPv6 address";
                return -EADDRNOTAVAIL;
        }
        memcpy(ret, pick->ai_addr, pick->ai_addrlen);
        if (pick->ai_family == AF_INET)
                a4->sin_port = htons((uint16_t) port);
        else
                a6->sin6_port = htons((uint16_t) port);
        freeaddrinfo(ai);
        return 0;
}
