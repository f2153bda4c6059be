/* The one table from ccfaas errors to what a client sees over HTTP: a status
 * and an error code (the "code" of {"error":{"code","message"}}). Every
 * server (control plane and data plane) answers a failure through it, so an
 * error means the same status everywhere; a route may name a more precise
 * code (e.g. "nonce_reused") but never another status.
 *
 *   CCF_OK               200 ok
 *   CCF_ERR_INVALID      400 bad_request
 *   CCF_ERR_DENIED       403 forbidden
 *   CCF_ERR_NOT_FOUND    404 not_found
 *   CCF_ERR_CONFLICT     409 conflict
 *   CCF_ERR_TOO_LARGE    413 too_large
 *   CCF_ERR_NOMEM, CCF_ERR_IO, CCF_ERR_CRYPTO, CCF_ERR_INTERNAL  500 internal
 *   CCF_ERR_UNSUPPORTED  501 unsupported
 *   CCF_ERR_UPSTREAM     502 upstream_failed
 *   CCF_ERR_BUSY         503 busy
 *   CCF_ERR_EXHAUSTED    507 no_capacity
 * Unknown values are 500 internal. Pure: part of ccf_net_core. */
#ifndef CCF_NET_STATUS_H
#define CCF_NET_STATUS_H

#include "common/error.h"

int ccf_http_status_of(ccf_err err);
/* Static, never NULL. */
const char *ccf_http_code_of(ccf_err err);

#endif
