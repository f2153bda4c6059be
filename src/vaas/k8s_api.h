/* A small Kubernetes API client (libcurl + jansson) for the kubernetes
 * backend (issue 21): where the API server is and how to authenticate, and
 * one JSON request at a time.
 *
 * Where from:
 *  - a kubeconfig file (development): the subset k8s_parse.h reads (server,
 *    certificate-authority[-data], token / tokenFile, client-certificate[-data]
 *    + client-key[-data], the context's namespace); relative paths are taken
 *    from the file's directory;
 *  - in the cluster (no kubeconfig): https://$KUBERNETES_SERVICE_HOST:
 *    $KUBERNETES_SERVICE_PORT with the service account's token, CA and
 *    namespace from /var/run/secrets/kubernetes.io/serviceaccount (the token
 *    is read again for every request: bound tokens are rotated).
 * https needs a CA (never a connection without checking the server); http://
 * is accepted for a `kubectl proxy` on loopback and tests.
 *
 * Ownership: ccf_k8s_open gives a client freed by ccf_k8s_free (which wipes
 * the credentials). Requests may run from several threads at once. */
#ifndef CCF_VAAS_K8S_API_H
#define CCF_VAAS_K8S_API_H

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"

#define CCF_K8S_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define CCF_K8S_REPLY_MAX (8u << 20) /* a list of pods larger than this is refused */

typedef struct ccf_k8s ccf_k8s;

/* kubeconfig: the file (NULL = in-cluster); context: its context (NULL =
 * current-context); ns: the namespace (NULL = the context's, else the
 * service account's, else "default"). */
ccf_err ccf_k8s_open(const char *kubeconfig, const char *context, const char *ns, ccf_k8s **out,
                     char *err, size_t err_size) __attribute__((warn_unused_result));

const char *ccf_k8s_namespace(const ccf_k8s *k);
const char *ccf_k8s_server(const ccf_k8s *k);

/* method path (from the server's root, e.g. /api/v1/namespaces/NS/pods)
 * with body (NULL = none; sent as content_type, NULL = application/json).
 * *status gets the HTTP status; *reply (when not NULL) the reply parsed as
 * JSON (NULL when it is not JSON; the caller decrefs). CCF_OK for a 2xx
 * answer; for any other status err holds "METHOD PATH: HTTP <status>
 * <reason>: <message>" from the Status object and the result is
 * CCF_ERR_NOT_FOUND (404), CCF_ERR_CONFLICT (409), CCF_ERR_DENIED (401,
 * 403) or CCF_ERR_UPSTREAM; CCF_ERR_IO when the server cannot be reached. */
ccf_err ccf_k8s_request(ccf_k8s *k, const char *method, const char *path, const json_t *body,
                        const char *content_type, long *status, json_t **reply, char *err,
                        size_t err_size) __attribute__((warn_unused_result));

void ccf_k8s_free(ccf_k8s *k);

#endif
