/* Proxy attestation client (see proxy_client.h) over attest/http_ev.h: no
 * libcurl in the trusted runtime. */
#include "attest/proxy_client.h"

#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/http_ev.h"
#include "attest/launch.h"
#include "attest/pki.h"
#include "common/crypto.h"

/* POSTs body (may be NULL) to path; *out is the parsed JSON object answer,
 * *status the HTTP status. */
static ccf_err post_json(ccf_http_ev *c, const char *path, const char *body, long *status,
                         json_t **out, char *err, size_t err_size)
{
    ccf_dynbuf rb;
    *out = NULL;
    ccf_dynbuf_init(&rb, CCF_PROXY_CLIENT_MAX_RESPONSE);
    ccf_err rc = ccf_http_ev_call(c, "POST", path, body, body ? strlen(body) : 0, status, &rb,
                                  err, err_size);
    if (rc == CCF_OK) {
        *out = json_loadb((const char *)rb.p, rb.len, JSON_REJECT_DUPLICATES, NULL);
        if (*out == NULL || !json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy %s%s: HTTP %ld with a non-JSON "
                          "answer", ccf_http_ev_where(c), path, *status);
        }
    }
    ccf_dynbuf_free(&rb);
    return rc;
}

/* The POST /attest/linux body: evidence over the fresh key, the policy hash
 * and the nonce, and a CSR for that key. */
ccf_err ccf_proxy_request_build(const ccf_proxy_request_params *prm, json_t **out, char *err,
                                size_t err_size)
{
    X509_REQ *csr = NULL;
    uint8_t *der = NULL, nonce[32];
    size_t der_len = 0;
    char *csr_pem = NULL;
    ccf_evidence ev;
    json_t *req = NULL, *evj = NULL, *sans = NULL;
    ccf_err rc;
    char ph[CCF_SHA256_HEX_LEN + 1];
    *out = NULL;
    if (!ccf_attest_hex_decode(prm->nonce_hex, nonce, sizeof nonce))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "nonce: expected 64 hex digits");
    if ((rc = ccf_pki_pub_der(prm->instance_key, &der, &der_len)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "cannot encode the instance key");
        goto out;
    }
    uint8_t launch_hash[CCF_SHA256_LEN];
    if (prm->launch == NULL || !ccf_launch_hash(prm->launch, strlen(prm->launch), launch_hash)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "no launch configuration");
        goto out;
    }
    if ((rc = ccf_evidence_create(prm->platform_key, prm->measurement, der, der_len,
                                  prm->policy_hash, nonce, sizeof nonce, launch_hash, &ev, err,
                                  err_size)) != CCF_OK)
        goto out;
    if ((rc = ccf_pki_csr_new(prm->instance_key, "ccfaas runtime instance", &csr)) != CCF_OK ||
        (rc = ccf_pki_csr_to_pem(csr, &csr_pem)) != CCF_OK) {
        ccf_errf(err, err_size, rc, "cannot make the certificate request");
        goto out;
    }
    ccf_hex_encode(prm->policy_hash, CCF_SHA256_LEN, ph);
    rc = CCF_ERR_NOMEM;
    if ((evj = ccf_evidence_to_json(&ev)) == NULL ||
        (req = json_pack("{s:s,s:s,s:O,s:s,s:s}", "nonce", prm->nonce_hex, "policy_hash", ph,
                         "evidence", evj, "csr", csr_pem, "launch", prm->launch)) == NULL)
        goto out_nomem;
    if (prm->san_count > 0) {
        if ((sans = json_array()) == NULL)
            goto out_nomem;
        for (size_t i = 0; i < prm->san_count; i++)
            if (json_array_append_new(sans, json_string(prm->sans[i])) != 0)
                goto out_nomem;
        if (json_object_set(req, "subject_alt_names", sans) != 0)
            goto out_nomem;
    }
    if (prm->expiry != NULL &&
        json_object_set_new(req, "enclave_cert_expiry",
                            json_pack("{s:i,s:i,s:i,s:i,s:i}", "year", prm->expiry[0], "month",
                                      prm->expiry[1], "day", prm->expiry[2], "hour",
                                      prm->expiry[3], "minute", prm->expiry[4])) != 0)
        goto out_nomem;
    *out = req;
    req = NULL;
    rc = CCF_OK;
    goto out;
out_nomem:
    ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
out:
    json_decref(req);
    json_decref(evj);
    json_decref(sans);
    free(csr_pem);
    X509_REQ_free(csr);
    free(der);
    return rc;
}

static ccf_err refusal(const json_t *v, long status, char *err, size_t err_size)
{
    const json_t *e = json_object_get(v, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    return ccf_errf(err, err_size, status >= 500 ? CCF_ERR_IO : CCF_ERR_DENIED,
                    "proxy refused (HTTP %ld): %s: %s", status, code ? code : "?", msg ? msg : "");
}

static char *dup_member(const json_t *v, const char *key)
{
    const json_t *s = json_object_get(v, key);
    if (!json_is_string(s) || json_string_length(s) != strlen(json_string_value(s)))
        return NULL;
    return strdup(json_string_value(s));
}

ccf_err ccf_proxy_client_certify(const char *proxy_url, const char *pinned_cert_pem,
                                 const ccf_proxy_request_params *params, long timeout_ms,
                                 char **cert_pem, char **ca_pem, char *err, size_t err_size)
{
    ccf_http_ev *conn = NULL;
    json_t *resp = NULL, *req = NULL;
    char *body = NULL;
    long status = 0;
    ccf_err rc;
    *cert_pem = NULL;
    if (ca_pem != NULL)
        *ca_pem = NULL;
    if (timeout_ms <= 0)
        timeout_ms = 10000;
    bool https = strncmp(proxy_url, "https://", 8) == 0;
    if (https != (pinned_cert_pem != NULL))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "proxy %s: https needs the proxy's certificate to pin, and http takes "
                        "none", proxy_url);
    const char *hostport = https ? proxy_url + 8
                           : strncmp(proxy_url, "http://", 7) == 0 ? proxy_url + 7 : proxy_url;
    size_t n = strlen(hostport);
    while (n > 0 && hostport[n - 1] == '/')
        n--;
    if (n == 0 || memchr(hostport, '/', n) != NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy URL '%s': expected HOST:PORT",
                        proxy_url);
    char url[300];
    if (n >= sizeof url - 8) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy URL too long");
        goto out;
    }
    snprintf(url, sizeof url, "%s%.*s", https ? "https://" : "", (int)n, hostport);
    if ((rc = ccf_http_ev_new("proxy", url, pinned_cert_pem, timeout_ms,
                              CCF_PROXY_CLIENT_MAX_RESPONSE,
                              &conn, err, err_size)) != CCF_OK)
        goto out;
    if ((rc = post_json(conn, "/attest/start", NULL, &status, &resp, err, err_size)) != CCF_OK)
        goto out;
    if (status != 200) {
        rc = refusal(resp, status, err, err_size);
        goto out;
    }
    const char *nonce = json_string_value(json_object_get(resp, "nonce"));
    if (nonce == NULL || strlen(nonce) != 64) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy: no nonce in its answer");
        goto out;
    }
    ccf_proxy_request_params p = *params;
    p.nonce_hex = nonce;
    if ((rc = ccf_proxy_request_build(&p, &req, err, err_size)) != CCF_OK)
        goto out;
    json_decref(resp);
    resp = NULL;
    if ((body = json_dumps(req, JSON_COMPACT)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = post_json(conn, "/attest/linux", body, &status, &resp, err, err_size)) != CCF_OK)
        goto out;
    if (status != 200) {
        rc = refusal(resp, status, err, err_size);
        goto out;
    }
    if ((*cert_pem = dup_member(resp, "certificate")) == NULL ||
        (ca_pem != NULL && (*ca_pem = dup_member(resp, "ca_certificate")) == NULL)) {
        free(*cert_pem);
        *cert_pem = NULL;
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy: no certificate in its answer");
        goto out;
    }
    rc = CCF_OK;
out:
    ccf_http_ev_free(conn);
    free(body);
    json_decref(req);
    json_decref(resp);
    return rc;
}
