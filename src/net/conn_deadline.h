/* The request deadline of a libmicrohttpd listener (issue 15, docs/auth.md
 * "Limits"): a client must send each request whole (headers and body) within
 * deadline_s of the previous request's end or of the connection's start,
 * however slowly its bytes trickle in. libmicrohttpd's own timeout restarts
 * with every byte, so a slow client could hold a connection for ever; here a
 * watchdog thread shuts down the socket of a connection over its deadline
 * once a second (the server then closes it). The time a handler takes is not
 * the client's: the server marks it with ccf_conn_deadline_handling.
 *
 * Use: ccf_conn_deadline_new(); give libmicrohttpd
 *   MHD_OPTION_NOTIFY_CONNECTION, ccf_conn_deadline_notify, tracker;
 * ccf_conn_deadline_start() once the daemon runs; ccf_conn_deadline_free()
 * after MHD_stop_daemon() (it stops the watchdog; NULL is a no-op). The
 * tracker is not owned by the daemon. Thread-safe. */
#ifndef CCF_NET_CONN_DEADLINE_H
#define CCF_NET_CONN_DEADLINE_H

#include <microhttpd.h>
#include <stdbool.h>

#include "common/error.h"

typedef struct ccf_conn_deadline ccf_conn_deadline;

ccf_err ccf_conn_deadline_new(unsigned deadline_s, ccf_conn_deadline **out, char *err,
                              size_t err_size) __attribute__((warn_unused_result));
ccf_err ccf_conn_deadline_start(ccf_conn_deadline *d, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* The MHD_NotifyConnectionCallback (cls = the tracker): starts tracking a
 * connection and forgets it when closed. */
void ccf_conn_deadline_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode code);
/* true when the request is complete and its handler runs (its clock stops);
 * false when the request has completed (the next request's clock starts). */
void ccf_conn_deadline_handling(ccf_conn_deadline *d, struct MHD_Connection *conn,
                                bool in_handler);
void ccf_conn_deadline_free(ccf_conn_deadline *d);

#endif
