/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * web/conns.c, the connection limits that cannot be reached from a test on loopback:
 *  - an address other than loopback may hold CONN_MAX_PER_ADDR connections, the next is refused;
 *    loopback (127.0.0.0/8, ::1, ::ffff:127.x) has no per-address limit
 *  - at the soft limit, a new connection closes (shutdown(2)) the one that has waited longest
 *    for its request headers, and only that one; when none waits, it is refused
 * The Conns are built here as NOTIFY_STARTED would, with socketpairs for descriptors.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tap.h"
#include "web-internal.h"

static WebServer w;
static Conn conns[200];
static int peer[200];

/* A connection from addr in phase (CONN_HEADERS: waiting for its request). */
static void add(unsigned i, const char *addr, ConnPhase phase) {
        int sv[2];
        assert(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        Conn *c = &conns[i];
        *c = (Conn) { .fd = sv[0], .phase = CONN_BUSY };
        peer[i] = sv[1];
        c->addr_key[0] = strchr(addr, ':') ? AF_INET6 : AF_INET;
        assert(inet_pton(c->addr_key[0], addr, c->addr_key + 1) == 1);
        ConnTable *t = &w.conns;
        c->all_next = t->all;
        if (t->all)
                t->all->all_prev = c;
        t->all = c;
        t->n++;
        if (phase == CONN_HEADERS) { /* append, as conns_set_phase() does */
                c->phase = CONN_HEADERS;
                c->deadline = UINT64_MAX / 2; /* the reaper (running) must not take them */
                c->prev = t->lists[CONN_HEADERS].tail;
                if (c->prev)
                        c->prev->next = c;
                else
                        t->lists[CONN_HEADERS].head = c;
                t->lists[CONN_HEADERS].tail = c;
        }
}

static MHD_Result_ accept_from(const char *addr) {
        struct sockaddr_storage sa = {};
        socklen_t len;
        if (strchr(addr, ':')) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &sa;
                a->sin6_family = AF_INET6;
                assert(inet_pton(AF_INET6, addr, &a->sin6_addr) == 1);
                len = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *) &sa;
                a->sin_family = AF_INET;
                assert(inet_pton(AF_INET, addr, &a->sin_addr) == 1);
                len = sizeof(*a);
        }
        return conns_accept(&w, (struct sockaddr *) &sa, len);
}

/* Accepted: NOTIFY_STARTED would now add it, busy at once with its request. */
static bool accepted(unsigned i, const char *addr) {
        if (accept_from(addr) != MHD_YES)
                return false;
        add(i, addr, CONN_BUSY);
        return true;
}

static bool closed(unsigned i) {
        char b;
        return recv(peer[i], &b, 1, MSG_DONTWAIT) == 0;
}

static void setup(unsigned soft) {
        w = (WebServer) {};
        assert(conns_start(&w, soft) == 0);
}

TEST(per_address) {
        setup(1000);
        for (unsigned i = 0; i < CONN_MAX_PER_ADDR; i++)
                add(i, "10.1.2.3", CONN_BUSY);
        CHECK(accept_from("10.1.2.3") == MHD_NO);
        CHECK(accept_from("10.1.2.4") == MHD_YES);
        CHECK(atomic_load(&w.n_conn_refused) == 1);
        for (unsigned i = 0; i < CONN_MAX_PER_ADDR + 10; i++)
                add(CONN_MAX_PER_ADDR + i, "127.0.0.1", CONN_BUSY);
        CHECK(accept_from("127.0.0.1") == MHD_YES);
        CHECK(accept_from("127.0.0.9") == MHD_YES);
        /* ::1 and v4-mapped loopback are loopback too */
        CHECK(accept_from("::1") == MHD_YES);
        CHECK(accept_from("::ffff:127.0.0.1") == MHD_YES);
        CHECK(atomic_load(&w.n_conn_refused) == 1);
}

TEST(fair_global_limit) {
        setup(10);
        for (unsigned i = 0; i < 6; i++)
                add(i, "127.0.0.1", CONN_BUSY);      /* in requests: never closed */
        for (unsigned i = 6; i < 10; i++)
                add(i, "127.0.0.1", CONN_HEADERS);   /* waiting, oldest first */
        CHECK(accepted(10, "127.0.0.1"));
        CHECK(closed(6));
        for (unsigned i = 0; i < 11; i++)
                CHECK(i == 6 || !closed(i));
        CHECK(atomic_load(&w.n_conn_evicted) == 1);
        /* each new one closes the next oldest waiting one; the soft limit counts every address */
        CHECK(accepted(11, "10.0.0.1") && closed(7));
        CHECK(accepted(12, "127.0.0.1") && closed(8));
        CHECK(accepted(13, "127.0.0.1") && closed(9));
        /* nobody waits any more: refused, and nothing else closed */
        CHECK(accept_from("127.0.0.1") == MHD_NO);
        for (unsigned i = 0; i < 6; i++)
                CHECK(!closed(i));
        for (unsigned i = 10; i < 14; i++)
                CHECK(!closed(i));
        CHECK(atomic_load(&w.n_conn_evicted) == 4);
        CHECK(atomic_load(&w.n_conn_refused) == 1);
}

TAP_MAIN(T(per_address), T(fair_global_limit))
