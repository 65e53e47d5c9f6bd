/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one parser of listen addresses ("listen =" in lockdepd.conf, --listen, the web server):
 *
 *         127.0.0.1:9465   [::1]:9465   :9465 (any IPv4 address)   localhost:9465   host.example:80
 *
 * PORT is 0-65535 (0 = any free port). A host name is resolved with getaddrinfo(); the first IPv4
 * address wins, else the first IPv6 one, so "localhost" means 127.0.0.1 as the default does.
 * On failure *ret_why (static text, or a getaddrinfo() message) says what is wrong.
 */

#include <stdbool.h>
#include <sys/socket.h>

#define NETADDR_EXAMPLES "127.0.0.1:9465, [::1]:9465, localhost:9465"

/* Syntax only, no name resolution: 0 or -EINVAL. */
int netaddr_check(const char *s, const char **ret_why);
/* Syntax and resolution: 0 with *ret filled, -EINVAL (syntax), -EADDRNOTAVAIL (name unknown). */
int netaddr_resolve(const char *s, struct sockaddr_storage *ret, const char **ret_why);
