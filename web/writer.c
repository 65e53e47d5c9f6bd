/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The writer thread. Every request that may write to the database (POST and DELETE, and each chunk
 * of an ingest body) runs here, one at a time, while its connection is suspended; libmicrohttpd's
 * worker threads only read. A write that waits for the database lock (lockdepd or lockdepctl
 * import committing, up to the busy timeout) so delays only the writes queued behind it, never a
 * reader: each worker thread serves hundreds of connections, and one blocked in sqlite3_step()
 * would stall all of them.
 *
 * Protocol (server.c): on a worker thread, web_defer() suspends the connection and queues the
 * request; here the job runs, and a reply it makes is kept in r->pending instead of being queued
 * (libmicrohttpd wants responses queued from its own thread); then the connection is resumed, and
 * the worker, called again for it, queues r->pending. The Request is not touched here after
 * MHD_resume_connection(): from then on the worker may complete and free it. libmicrohttpd 0.9.75
 * may call the access handler again with more of a chunked body before it notices the suspension;
 * while r->busy, that data is left to it for later.
 *
 * At stop, the queue is drained before libmicrohttpd is stopped (it must not find a suspended
 * connection); a request deferred after that runs on its worker thread.
 */
#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "web-internal.h"

static void *writer_main(void *userdata) {
        WebServer *w = userdata;

        pthread_mutex_lock(&w->wlock);
        for (;;) {
                Request *r = w->wq_head;
                if (!r) {
                        if (w->wstop)
                                break;
                        pthread_cond_wait(&w->wcond, &w->wlock);
                        continue;
                }
                w->wq_head = r->wq_next;
                if (!w->wq_head)
                        w->wq_tail = NULL;
                pthread_mutex_unlock(&w->wlock);

                struct MHD_Connection *c = r->c;
                WebJob job = r->job;
                r->job = NULL;
                r->wq_next = NULL;
                r->deferred = true;
                job(r);
                r->deferred = false;
                atomic_store(&r->busy, false);
                MHD_resume_connection(c);

                pthread_mutex_lock(&w->wlock);
        }
        pthread_mutex_unlock(&w->wlock);
        return NULL;
}

void web_defer(Request *r, WebJob job) {
        WebServer *w = r->w;

        if (!w->wstarted) {
                job(r);
                return;
        }
        pthread_mutex_lock(&w->wlock);
        if (w->wstop) {
                pthread_mutex_unlock(&w->wlock);
                job(r); /* stopping: no thread to hand it to */
                return;
        }
        MHD_suspend_connection(r->c);
        atomic_store(&r->busy, true);
        r->job = job;
        r->wq_next = NULL;
        if (w->wq_tail)
                w->wq_tail->wq_next = r;
        else
                w->wq_head = r;
        w->wq_tail = r;
        pthread_cond_signal(&w->wcond);
        pthread_mutex_unlock(&w->wlock);
}

int writer_start(WebServer *w) {
        int r = pthread_mutex_init(&w->wlock, NULL);
        if (r != 0)
                return -r;
        r = pthread_cond_init(&w->wcond, NULL);
        if (r != 0) {
                pthread_mutex_destroy(&w->wlock);
                return -r;
        }
        r = pthread_create(&w->writer, NULL, writer_main, w);
        if (r != 0) {
                pthread_cond_destroy(&w->wcond);
                pthread_mutex_destroy(&w->wlock);
                return -r;
        }
        w->wstarted = true;
        return 0;
}

/* Runs what is queued, then ends the thread (its stores are closed by the thread-key destructor).
 * The lock stays usable for a web_defer() racing with the stop, until writer_free(). */
void writer_stop(WebServer *w) {
        if (!w->wstarted)
                return;
        pthread_mutex_lock(&w->wlock);
        w->wstop = true;
        pthread_cond_signal(&w->wcond);
        pthread_mutex_unlock(&w->wlock);
        pthread_join(w->writer, NULL);
}

/* After MHD_stop_daemon(): nothing can call web_defer() any more. */
void writer_free(WebServer *w) {
        if (!w->wstarted)
                return;
        pthread_cond_destroy(&w->wcond);
        pthread_mutex_destroy(&w->wlock);
        w->wstarted = false;
}
