/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every connection libmicrohttpd accepts, from MHD_CONNECTION_NOTIFY_STARTED to _CLOSED, and the
 * limits against slow or greedy clients that libmicrohttpd 0.9.75 cannot express itself:
 *
 *  - A deadline for complete request headers (CONN_HEADER_USEC after the accept or after the last
 *    answer on a kept-alive connection) and for an unauthenticated body (CONN_BODY_USEC after its
 *    headers). libmicrohttpd's idle timeout restarts with every byte, so a client trickling one
 *    header byte every few seconds (slowloris) would hold its connection forever.
 *  - No per-address limit on loopback: every local user shares 127.0.0.1 and ::1, so such a
 *    limit would let one of them lock out all the others. Other addresses get CONN_MAX_PER_ADDR.
 *  - A fair global limit: past soft_limit connections, a new one is let in by closing the
 *    connection that has waited longest without sending a complete request (it has been given
 *    nothing yet and loses nothing but its place). Only when every connection is busy with a
 *    request is a new one refused. The hard limit given to libmicrohttpd stays a little above.
 *
 * A connection is closed from here with shutdown(2), never close(2): libmicrohttpd then sees the
 * end of the stream in its own thread and cleans up as for any client that went away. The lock is
 * held from picking a Conn until its shutdown(), and NOTIFY_CLOSED (which runs before
 * libmicrohttpd closes the descriptor) takes the same lock, so the descriptor is always still ours.
 *
 * The reaper thread sleeps until the earliest deadline, or without a timeout while no connection
 * has one: an idle server does not wake up.
 */
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "log.h"
#include "web-internal.h"

static uint64_t now_mono(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static bool addr_loopback(const struct sockaddr *a) {
        if (a->sa_family == AF_INET)
                return (ntohl(((const struct sockaddr_in *) a)->sin_addr.s_addr) >> 24) == 127;
        if (a->sa_family == AF_INET6) {
                const struct in6_addr *x = &((const struct sockaddr_in6 *) a)->sin6_addr;
                return IN6_IS_ADDR_LOOPBACK(x) || (IN6_IS_ADDR_V4MAPPED(x) && x->s6_addr[12] == 127);
        }
        return a->sa_family == AF_UNIX;
}

/* The address without the port, for counting connections per client. */
static void addr_key(const struct sockaddr *a, unsigned char key[static 17]) {
        memset(key, 0, 17);
        key[0] = (unsigned char) a->sa_family;
        if (a->sa_family == AF_INET)
                memcpy(key + 1, &((const struct sockaddr_in *) a)->sin_addr, 4);
        else if (a->sa_family == AF_INET6)
                memcpy(key + 1, &((const struct sockaddr_in6 *) a)->sin6_addr, 16);
}

/* ---- the phase lists (lock held) ---------------------------------------------------------------- */

static void list_remove(ConnTable *t, Conn *c) {
        if (c->phase == CONN_BUSY)
                return;
        ConnList *l = &t->lists[c->phase];
        if (c->prev)
                c->prev->next = c->next;
        else
                l->head = c->next;
        if (c->next)
                c->next->prev = c->prev;
        else
                l->tail = c->prev;
        c->prev = c->next = NULL;
        c->phase = CONN_BUSY;
        c->deadline = 0;
}

/* Deadlines in one list grow with the order of insertion: appending keeps it sorted. */
static void list_append(ConnTable *t, Conn *c, ConnPhase phase, uint64_t timeout) {
        list_remove(t, c);
        if (phase == CONN_BUSY)
                return;
        ConnList *l = &t->lists[phase];
        bool was_empty = !t->lists[CONN_HEADERS].head && !t->lists[CONN_BODY].head;
        c->phase = phase;
        c->deadline = now_mono() + timeout;
        c->prev = l->tail;
        if (l->tail)
                l->tail->next = c;
        else
                l->head = c;
        l->tail = c;
        if (was_empty)
                pthread_cond_signal(&t->wake); /* the reaper may be sleeping without a timeout */
}

/* Closes the connection as seen by libmicrohttpd (lock held: the descriptor is still open). */
static void conn_shut(ConnTable *t, Conn *c) {
        list_remove(t, c);
        if (c->shut)
                return;
        c->shut = true;
        t->n_shut++;
        (void) shutdown(c->fd, SHUT_RDWR);
}

/* ---- libmicrohttpd callbacks -------------------------------------------------------------------- */

MHD_Result_ conns_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
        WebServer *w = cls;
        ConnTable *t = &w->conns;
        MHD_Result_ q = MHD_YES;

        if (addrlen < sizeof(sa_family_t))
                return MHD_NO;
        pthread_mutex_lock(&t->lock);
        if (!addr_loopback(addr)) {
                unsigned char key[17];
                unsigned n = 0;
                addr_key(addr, key);
                for (Conn *c = t->all; c; c = c->all_next)
                        n += !c->shut && memcmp(c->addr_key, key, sizeof(key)) == 0;
                if (n >= CONN_MAX_PER_ADDR) {
                        atomic_fetch_add(&w->n_conn_refused, 1);
                        q = MHD_NO;
                }
        }
        if (q == MHD_YES && t->n - t->n_shut >= t->soft_limit) {
                /* make room: the connection that has waited longest for its request goes */
                Conn *victim = t->lists[CONN_HEADERS].head;
                if (victim) {
                        conn_shut(t, victim);
                        atomic_fetch_add(&w->n_conn_evicted, 1);
                } else {
                        atomic_fetch_add(&w->n_conn_refused, 1);
                        q = MHD_NO;
                }
        }
        pthread_mutex_unlock(&t->lock);
        return q;
}

void conns_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                  enum MHD_ConnectionNotificationCode toe) {
        WebServer *w = cls;
        ConnTable *t = &w->conns;

        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                Conn *c = calloc(1, sizeof(Conn));
                if (!c) {
                        *socket_context = NULL; /* no deadline for it: the idle timeout still applies */
                        return;
                }
                const union MHD_ConnectionInfo *fd = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
                const union MHD_ConnectionInfo *ad = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
                c->fd = fd ? fd->connect_fd : -1;
                c->phase = CONN_BUSY;
                if (ad && ad->client_addr)
                        addr_key(ad->client_addr, c->addr_key);
                pthread_mutex_lock(&t->lock);
                c->all_next = t->all;
                if (t->all)
                        t->all->all_prev = c;
                t->all = c;
                t->n++;
                if (c->fd >= 0)
                        list_append(t, c, CONN_HEADERS, CONN_HEADER_USEC);
                pthread_mutex_unlock(&t->lock);
                *socket_context = c;
                return;
        }

        Conn *c = *socket_context;
        if (!c)
                return;
        pthread_mutex_lock(&t->lock);
        list_remove(t, c);
        if (c->all_prev)
                c->all_prev->all_next = c->all_next;
        else
                t->all = c->all_next;
        if (c->all_next)
                c->all_next->all_prev = c->all_prev;
        t->n--;
        if (c->shut)
                t->n_shut--;
        pthread_mutex_unlock(&t->lock);
        /* a request libmicrohttpd never completed (it gave up on it without telling us) */
        request_free(c->req);
        free(c);
        *socket_context = NULL;
}

Conn *conns_of(struct MHD_Connection *connection) {
        const union MHD_ConnectionInfo *i = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        return i ? i->socket_context : NULL;
}

void conns_set_phase(WebServer *w, Conn *c, ConnPhase phase) {
        if (!c)
                return;
        pthread_mutex_lock(&w->conns.lock);
        if (!c->shut)
                list_append(&w->conns, c, phase, phase == CONN_BODY ? CONN_BODY_USEC : CONN_HEADER_USEC);
        pthread_mutex_unlock(&w->conns.lock);
}

/* ---- the reaper --------------------------------------------------------------------------------- */

static void *reaper_main(void *userdata) {
        WebServer *w = userdata;
        ConnTable *t = &w->conns;

        pthread_mutex_lock(&t->lock);
        while (!t->stop) {
                uint64_t now = now_mono(), next = 0;
                for (ConnPhase p = 0; p < CONN_BUSY; p++) {
                        Conn *c;
                        while ((c = t->lists[p].head) && c->deadline <= now) {
                                conn_shut(t, c);
                                atomic_fetch_add(&w->n_conn_timeouts, 1);
                        }
                        if (c && (!next || c->deadline < next))
                                next = c->deadline;
                }
                if (!next)
                        pthread_cond_wait(&t->wake, &t->lock);
                else {
                        struct timespec ts = { .tv_sec = (time_t) (next / 1000000),
                                               .tv_nsec = (long) (next % 1000000) * 1000 };
                        pthread_cond_timedwait(&t->wake, &t->lock, &ts);
                }
        }
        pthread_mutex_unlock(&t->lock);
        return NULL;
}

int conns_start(WebServer *w, unsigned soft_limit) {
        ConnTable *t = &w->conns;
        pthread_condattr_t ca;
        int r;

        t->soft_limit = soft_limit;
        r = pthread_mutex_init(&t->lock, NULL);
        if (r != 0)
                return -r;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        r = pthread_cond_init(&t->wake, &ca);
        pthread_condattr_destroy(&ca);
        if (r != 0) {
                pthread_mutex_destroy(&t->lock);
                return -r;
        }
        r = pthread_create(&t->reaper, NULL, reaper_main, w);
        if (r != 0) {
                pthread_cond_destroy(&t->wake);
                pthread_mutex_destroy(&t->lock);
                return -r;
        }
        t->started = true;
        return 0;
}

/* After MHD_stop_daemon(): every connection has been closed and notified. */
void conns_stop(WebServer *w) {
        ConnTable *t = &w->conns;
        if (!t->started)
                return;
        pthread_mutex_lock(&t->lock);
        t->stop = true;
        pthread_cond_signal(&t->wake);
        pthread_mutex_unlock(&t->lock);
        pthread_join(t->reaper, NULL);
        assert(!t->all);
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        t->started = false;
}
