/* The request deadline of a libmicrohttpd listener: conn_deadline.h. */
#include "net/conn_deadline.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct conn_track {
    struct conn_track *prev, *next;
    MHD_socket fd;
    struct timespec since; /* start of the current request (or of the idle wait) */
    bool in_handler;
};

struct ccf_conn_deadline {
    unsigned deadline_s;
    pthread_mutex_t mu;
    pthread_cond_t wake; /* wakes the watchdog at free */
    struct conn_track conns; /* list head, under mu */
    pthread_t watchdog;
    bool running, stopping;
};

ccf_err ccf_conn_deadline_new(unsigned deadline_s, ccf_conn_deadline **out, char *err,
                              size_t err_size)
{
    ccf_conn_deadline *d = calloc(1, sizeof *d);
    if (d == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    d->deadline_s = deadline_s;
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->wake, NULL);
    d->conns.next = d->conns.prev = &d->conns;
    *out = d;
    return CCF_OK;
}

/* Once a second: connections that spent more than the deadline receiving a
 * request are shut down. */
static void *watchdog(void *arg)
{
    ccf_conn_deadline *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        struct timespec wake, now;
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_sec += 1;
        pthread_cond_timedwait(&d->wake, &d->mu, &wake);
        clock_gettime(CLOCK_MONOTONIC, &now);
        for (struct conn_track *ct = d->conns.next; ct != &d->conns; ct = ct->next) {
            if (ct->in_handler || now.tv_sec - ct->since.tv_sec < (time_t)d->deadline_s)
                continue;
            shutdown(ct->fd, SHUT_RDWR);
            ct->since = now; /* once per deadline at most */
        }
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

ccf_err ccf_conn_deadline_start(ccf_conn_deadline *d, char *err, size_t err_size)
{
    if (d->running)
        return CCF_OK;
    d->stopping = false;
    if (pthread_create(&d->watchdog, NULL, watchdog, d) != 0)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot start the deadline thread");
    d->running = true;
    return CCF_OK;
}

void ccf_conn_deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code)
{
    ccf_conn_deadline *d = cls;
    struct conn_track *ct = *socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (ci == NULL || (ct = calloc(1, sizeof *ct)) == NULL)
            return; /* not tracked: the idle timeout still applies */
        ct->fd = ci->connect_fd;
        clock_gettime(CLOCK_MONOTONIC, &ct->since);
        pthread_mutex_lock(&d->mu);
        ct->next = d->conns.next;
        ct->prev = &d->conns;
        d->conns.next->prev = ct;
        d->conns.next = ct;
        pthread_mutex_unlock(&d->mu);
        *socket_context = ct;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED && ct != NULL) {
        pthread_mutex_lock(&d->mu);
        ct->prev->next = ct->next;
        ct->next->prev = ct->prev;
        pthread_mutex_unlock(&d->mu);
        free(ct);
        *socket_context = NULL;
    }
}

void ccf_conn_deadline_handling(ccf_conn_deadline *d, struct MHD_Connection *conn,
                                bool in_handler)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn_track *ct = ci != NULL ? ci->socket_context : NULL;
    if (d == NULL || ct == NULL)
        return;
    pthread_mutex_lock(&d->mu);
    ct->in_handler = in_handler;
    if (!in_handler)
        clock_gettime(CLOCK_MONOTONIC, &ct->since); /* the next request's clock */
    pthread_mutex_unlock(&d->mu);
}

void ccf_conn_deadline_free(ccf_conn_deadline *d)
{
    if (d == NULL)
        return;
    if (d->running) {
        pthread_mutex_lock(&d->mu);
        d->stopping = true;
        pthread_cond_broadcast(&d->wake);
        pthread_mutex_unlock(&d->mu);
        pthread_join(d->watchdog, NULL);
    }
    /* connections still listed belong to a daemon that was not stopped: its
     * notifications would free them; a stopped daemon has closed them all */
    for (struct conn_track *ct = d->conns.next, *next; ct != &d->conns; ct = next) {
        next = ct->next;
        free(ct);
    }
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->mu);
    free(d);
}
