/* The body of CCFaaS `POST /task` (docs/tasks.md): a pure parser, no I/O, fuzzed
 * (tests/fuzz/fuzz_task.c). Strict: unknown members, wrong types, duplicate
 * names and values out of range are refused, the first error naming its JSON
 * path ("inputs[1].uri: only http:// URIs are fetched, got \"ftp://x\"").
 *
 *   {"function": NAME,                      required; 1-128 of A-Za-z0-9-_.
 *    "program": FILE,                       optional: default the function's only program
 *    "args": STRING,                        optional, <= 64 KiB: the file `args` of the instance
 *    "inputs": [{"name": FILE, "data": BASE64} | {"name": FILE, "uri": "http://..."}],
 *    "secrets": [{"name": FILE, "value": STRING}],   never stored; <= 64 KiB each
 *    "outputs": [FILE, ...],                optional: default every file the program may write
 *    "deterministic_output": FILE,          optional: default the first output
 *    "trust": {trust configuration},        required (docs/trust.md): the owner's anchors
 *    "result_key": {public JWK},            optional: the result is a JWE to it
 *    "timeout_s": 1..3600}                  optional, default 600
 *
 * At most 64 inputs, 64 secrets, 64 outputs; names unique across inputs,
 * secrets and `args`. FILE names: 1-255 bytes, relative, no control
 * characters or backslashes, no empty, `.` or `..` component, no trailing `/`.
 *
 * Ownership: *out is freed with ccf_task_request_free (NULL-safe), which
 * wipes the secrets' values. */
#ifndef CCF_CCFAAS_TASK_REQUEST_H
#define CCF_CCFAAS_TASK_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CCF_TASK_MAX_ITEMS 64
#define CCF_TASK_MAX_ARGS (64u * 1024u)
#define CCF_TASK_MAX_SECRET (64u * 1024u)
#define CCF_TASK_DEFAULT_TIMEOUT_S 600
#define CCF_TASK_MAX_TIMEOUT_S 3600

typedef struct {
    char *name;
    unsigned char *data; /* decoded bytes (inputs with data, secrets); NULL for a URI */
    size_t len;
    char *uri;           /* inputs by URI */
} ccf_task_item;

typedef struct {
    char *function;
    char *program;      /* NULL = the function's only program */
    char *args;         /* NULL = none */
    ccf_task_item *inputs;
    size_t input_count;
    ccf_task_item *secrets;
    size_t secret_count;
    char **outputs;     /* NULL = default */
    size_t output_count;
    char *deterministic_output; /* NULL = the first output */
    char *trust;        /* the trust object as compact JSON text */
    json_t *result_key; /* the JWK, or NULL */
    long timeout_s;
    /* computations only (not in POST /task): the key broker the manifest names
     * (kbs_url); the instance's policy must name the same one, or the task
     * fails before anything is sent to it. NULL: not checked. */
    char *key_broker;
} ccf_task_request;

ccf_err ccf_task_request_parse(const char *text, size_t len, ccf_task_request **out, char *err,
                               size_t err_size) __attribute__((warn_unused_result));
void ccf_task_request_free(ccf_task_request *r);

/* CCF_OK when v is a public JWK (EC P-256 or RSA) a result may be encrypted
 * to; else why, prefixed with what (the JSON path or header). */
ccf_err ccf_task_result_key_check(const json_t *v, const char *what, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Whether s is 1-max of A-Z a-z 0-9 - _ . (function names, computation ids). */
bool ccf_task_name_ok(const char *s, size_t max);
/* Whether name is acceptable as a task file name (the rule above). */
bool ccf_task_file_name_ok(const char *name);

#endif
