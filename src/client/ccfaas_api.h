/* The CCFaaS control-plane REST API as C calls (docs/api/openapi.yaml; the
 * routes are listed in ccfaas/ccfaas.h): what `ccfaas function|instance` and
 * `ccfaas demo` use. Plain HTTP through net/http_client.h: call
 * curl_global_init(CURL_GLOBAL_DEFAULT) once before the first handle.
 *
 * Errors: every call returns CCF_OK when the service said 2xx (and the reply
 * had the expected form), else an error with detail in err:
 *   - the service could not be reached / the transfer failed: CCF_ERR_IO,
 *     ccf_ccfaas_api_status() is 0, err says why;
 *   - the service refused: ccf_ccfaas_api_status() is its HTTP status, the
 *     code follows it (400 INVALID, 401/403 DENIED, 404 NOT_FOUND,
 *     409 INVALID, 413 TOO_LARGE, 429 BUSY, 501 UNSUPPORTED, others INTERNAL), err is
 *     the service's own "CODE: message";
 *   - a 2xx reply without the expected JSON members: CCF_ERR_INVALID,
 *     err starts with "unexpected reply".
 *
 * Credentials: a handle sends `Authorization: Bearer TOKEN` with every call:
 * the token in $CCFAAS_TOKEN, else the one in the file $CCFAAS_TOKEN_FILE
 * names (read when the handle is made), else the one given with
 * ccf_ccfaas_api_set_token; none = the service answers 401 (docs/auth.md).
 *
 * Ownership: a handle is made by ccf_ccfaas_api_new and freed by
 * ccf_ccfaas_api_free (NULL is a no-op); it copies the URL. A handle is not
 * for concurrent use (it remembers the last status). Replies are filled by
 * the calls and freed by the caller with ccf_ccfaas_api_reply_free; strings
 * returned through `const char **` point into the reply and stay valid until
 * it is freed. Names are percent-encoded into the URL path by the calls. */
#ifndef CCF_CLIENT_CCFAAS_API_H
#define CCF_CLIENT_CCFAAS_API_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/error.h"

#define CCF_CCFAAS_API_DEFAULT_URL "http://127.0.0.1:5010"

typedef struct ccf_ccfaas_api ccf_ccfaas_api;

/* A reply: its exact bytes (NUL-terminated, the NUL not counted) and, when
 * they are JSON, the parsed value (else NULL). Zero-initialise before use. */
typedef struct {
    char *body;
    size_t len;
    json_t *json;
} ccf_ccfaas_api_reply;

/* What a file upload is for (the route's collection). */
typedef enum { CCF_CCFAAS_PROGRAM, CCF_CCFAAS_DATA_FILE } ccf_ccfaas_file_kind;

/* url: "http://HOST:PORT" (a trailing '/' is fine); anything not starting
 * with http:// is CCF_ERR_INVALID. */
ccf_err ccf_ccfaas_api_new(const char *url, ccf_ccfaas_api **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
void ccf_ccfaas_api_free(ccf_ccfaas_api *api);
/* Replaces the bearer token (copied; NULL or "" = none). */
void ccf_ccfaas_api_set_token(ccf_ccfaas_api *api, const char *token);
/* The largest reply accepted (0 = CCF_HTTP_CLIENT_MAX_REPLY): task results. */
void ccf_ccfaas_api_set_max_reply(ccf_ccfaas_api *api, size_t max);
/* The URL given to ccf_ccfaas_api_new (without trailing '/'). */
const char *ccf_ccfaas_api_url(const ccf_ccfaas_api *api);
/* HTTP status of the last reply; 0 when the last call got none. */
long ccf_ccfaas_api_status(const ccf_ccfaas_api *api);
void ccf_ccfaas_api_reply_free(ccf_ccfaas_api_reply *reply);

/* POST /function with the program policy text (its "function" member names
 * it). When CCFaaS already has that function (409) with the same policy
 * (same bytes or the same JSON), CCF_OK with *existed = true: registering is
 * re-runnable. With another policy: the 409 is the error. */
ccf_err ccf_ccfaas_api_function_register(ccf_ccfaas_api *api, const char *policy, size_t len,
                                         bool *existed, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* POST /function/F/program/NAME or /function/F/data_file/NAME with the bytes.
 * When `existed` (the function was registered before), a 409 for a file
 * CCFaaS reports as uploaded is CCF_OK with *skipped = true (files are
 * write-once and must hash to the policy's pi_hash: it holds these bytes). */
ccf_err ccf_ccfaas_api_file_upload(ccf_ccfaas_api *api, const char *function,
                                   ccf_ccfaas_file_kind kind, const char *name, const void *bytes,
                                   size_t len, bool existed, bool *skipped, char *err,
                                   size_t err_size) __attribute__((warn_unused_result));
/* GET /function: reply->json holds a "functions" array. */
ccf_err ccf_ccfaas_api_function_list(ccf_ccfaas_api *api, ccf_ccfaas_api_reply *reply, char *err,
                                     size_t err_size) __attribute__((warn_unused_result));
/* GET /function/NAME: reply->body is the program policy exactly as registered. */
ccf_err ccf_ccfaas_api_function_show(ccf_ccfaas_api *api, const char *name,
                                     ccf_ccfaas_api_reply *reply, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* DELETE /function/NAME. */
ccf_err ccf_ccfaas_api_function_delete(ccf_ccfaas_api *api, const char *name, char *err,
                                       size_t err_size) __attribute__((warn_unused_result));

/* POST /instance with the user policy text (can take minutes: VaaS starts
 * and attests a runtime). *id and *policy (policy_len bytes, the full policy
 * exactly as made) point into reply. */
ccf_err ccf_ccfaas_api_instance_create(ccf_ccfaas_api *api, const char *user_policy, size_t len,
                                       ccf_ccfaas_api_reply *reply, const char **id,
                                       const char **policy, size_t *policy_len, char *err,
                                       size_t err_size) __attribute__((warn_unused_result));
/* GET /instance: reply->json holds an "instances" array. */
ccf_err ccf_ccfaas_api_instance_list(ccf_ccfaas_api *api, ccf_ccfaas_api_reply *reply, char *err,
                                     size_t err_size) __attribute__((warn_unused_result));
/* GET /instance/NAME: reply->json is its status. */
ccf_err ccf_ccfaas_api_instance_show(ccf_ccfaas_api *api, const char *name,
                                     ccf_ccfaas_api_reply *reply, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* DELETE /instance/NAME: VaaS stops its runtime. */
ccf_err ccf_ccfaas_api_instance_delete(ccf_ccfaas_api *api, const char *name, char *err,
                                       size_t err_size) __attribute__((warn_unused_result));

/* Any route: METHOD base/segs[0]/segs[1]/... (each percent-encoded), a JSON
 * body or none (NULL), timeout_ms 0 = 30 s, headers more "Name: value"
 * lines (NULL-terminated) or NULL. The same outcomes as the calls above; a 2xx reply fills
 * *reply. For the task and computation routes (`ccfaas task`, `ccfaas compute`). */
ccf_err ccf_ccfaas_api_call(ccf_ccfaas_api *api, const char *method, const char *const *segs,
                           size_t nseg, const void *body, size_t len, long timeout_ms,
                           const char *const *headers, ccf_ccfaas_api_reply *reply, char *err,
                           size_t err_size)
    __attribute__((warn_unused_result));

#endif
