/* What the kubernetes backend reads from outside (issue 21), as pure parsers
 * with no I/O, fuzzed on their own (tests/fuzz/fuzz_k8s.c), in the model of
 * net/http1.h:
 *  - ccf_k8s_yaml_parse: the YAML subset kubeconfig files are written in,
 *    into a JSON tree;
 *  - ccf_k8s_kubeconfig_select: the cluster, user and namespace of one
 *    context of a kubeconfig tree;
 *  - ccf_k8s_status_describe: an API server's error reply (a Status object);
 *  - ccf_k8s_pod_read: the state of a Pod object the backend needs.
 * Every refusal names what, where (line, JSON path) and why. */
#ifndef CCF_VAAS_K8S_PARSE_H
#define CCF_VAAS_K8S_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define CCF_K8S_YAML_MAX (1u << 20) /* a kubeconfig over 1 MiB is refused */
#define CCF_K8S_YAML_DEPTH 32       /* nesting deeper than this is refused */

/* Parses text[0..len) into *out (a new reference the caller decrefs):
 * a JSON document (first non-blank byte '{') as JSON, else the YAML subset:
 *  - block mappings `key: value` and block sequences `- item`, nested by
 *    indentation (spaces only: a tab in indentation is refused); a sequence
 *    may sit at its parent key's indentation (as kubectl writes it);
 *  - scalars plain, 'single-quoted' ('' = '), "double-quoted" (escapes \\ \"
 *    \/ \n \t \r \0 only); every scalar is a JSON string ("true" too);
 *  - `{}` and `[]` as empty collections; other flow collections, anchors
 *    (&), aliases (*) and tags (!) as values are refused; `|` and `>` block
 *    scalars kept literally (lines joined with \n);
 *  - `#` comments (at a line start or after a blank, outside quotes), blank
 *    lines, a leading `---` and a trailing `...` ignored;
 *  - a duplicate key, a key without `:`, an indentation that fits no open
 *    block, more than CCF_K8S_YAML_DEPTH levels or over CCF_K8S_YAML_MAX
 *    bytes, a NUL byte -> CCF_ERR_INVALID with the line number. */
ccf_err ccf_k8s_yaml_parse(const char *text, size_t len, json_t **out, char *err,
                           size_t err_size) __attribute__((warn_unused_result));

/* What the backend needs of one kubeconfig context. Owned strings: free with
 * ccf_k8s_kubeconfig_clear (which wipes the secrets). */
typedef struct {
    char *server;          /* https://HOST[:PORT][/prefix] or http:// (a `kubectl proxy`) */
    char *ca_pem;          /* certificate-authority-data, decoded; NULL = see ca_file */
    char *ca_file;         /* certificate-authority (a path as written; relative to the file) */
    char *token;           /* users[].user.token */
    char *token_file;      /* users[].user.tokenFile */
    char *cert_pem, *key_pem;   /* client-certificate-data / client-key-data, decoded */
    char *cert_file, *key_file; /* client-certificate / client-key */
    char *namespace_;      /* the context's namespace; NULL = none given */
} ccf_k8s_kubeconfig;

/* From a parsed kubeconfig tree: the context `context` (NULL = its
 * current-context) with its cluster and user. Refused with the JSON path
 * and why: a missing or unknown context/cluster/user, a server that is not
 * http(s)://, insecure-skip-tls-verify "true" (VaaS never talks to an API
 * server it cannot authenticate), exec or auth-provider users (plugins that
 * run other programs: not supported, use a token or a client certificate),
 * *-data that is not base64. On error *out is left cleared. */
ccf_err ccf_k8s_kubeconfig_select(const json_t *root, const char *context,
                                  ccf_k8s_kubeconfig *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

void ccf_k8s_kubeconfig_clear(ccf_k8s_kubeconfig *kc);

/* "HTTP <status> <reason>: <message>" of an API server's error reply into
 * buf: a Status object's reason and message (RFC-free text: control
 * characters become '?', each part cut to fit), else the start of the body
 * in the same sanitised form. Returns buf. *reason (when not NULL) gets the
 * bare reason ("AlreadyExists", "Conflict", "Forbidden", ...; "" when none),
 * at most reason_size - 1 bytes. */
const char *ccf_k8s_status_describe(long status, const char *body, size_t len, char *buf,
                                    size_t size, char *reason, size_t reason_size);

/* The state of a Pod object (from GET or a list's items). */
typedef struct {
    char phase[16];             /* Pending, Running, Succeeded, Failed, Unknown; "" none */
    bool ready;                 /* condition Ready = "True" */
    bool terminated;            /* the first container's state.terminated */
    int exit_code;              /* its exitCode (-1 when not terminated) */
    int signal;                 /* its signal (0 when none) */
    char reason[64];            /* terminated, else waiting, else a False condition's reason */
    char message[512];          /* its message (control characters as '?') */
    char resource_version[64];
    char uid[64];
    bool deleting;              /* metadata.deletionTimestamp is set */
} ccf_k8s_pod_state;

/* Reads pod (a JSON object with kind "Pod"). Refused (with the path) when it
 * is not an object of kind Pod or a member it relies on has the wrong type;
 * missing status members leave their defaults. */
ccf_err ccf_k8s_pod_read(const json_t *pod, ccf_k8s_pod_state *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
