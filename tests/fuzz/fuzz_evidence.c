/* libFuzzer harness for the attestation parsers that see untrusted bytes from
 * any runtime through POST /attest/linux:
 * - the `linux` evidence parser: parsed evidence is re-encoded and re-parsed,
 *   and the round trip must be exact;
 * - a whole attestation request (JSON with a "csr" member): given a fresh
 *   nonce and checked by a real proxy (CSR, SANs, expiry, evidence, ...).
 *   It must never crash, and never issue a certificate for fuzzed evidence
 *   (the fuzzer does not hold the platform key). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "proxy/proxy.h"

static char dir[] = "/tmp/ccf-fuzz-proxy-XXXXXX";
static ccf_proxy *proxy;

static void cleanup(void)
{
    char path[256];
    const char *files[] = {CCF_PROXY_CA_KEY_FILE, CCF_PROXY_CA_CERT_FILE, CCF_PLATFORM_KEY_FILE};
    ccf_proxy_free(proxy);
    for (size_t i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

static ccf_proxy *get_proxy(void)
{
    static uint8_t allow[1][32];
    char err[256];
    if (proxy != NULL)
        return proxy;
    if (mkdtemp(dir) == NULL)
        abort();
    ccf_proxy_config cfg = {.data_dir = dir, .allow = (const uint8_t(*)[32])allow,
                            .allow_count = 1, .nonce_lifetime_s = -1};
    if (ccf_proxy_new(&cfg, &proxy, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "fuzz_evidence: %s\n", err);
        abort();
    }
    atexit(cleanup);
    return proxy;
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_evidence ev, back;
    char err[256], *text = NULL;
    if (ccf_evidence_parse((const char *)data, size, &ev, err, sizeof err) == CCF_OK) {
        if (ccf_evidence_encode(&ev, &text) != CCF_OK)
            abort();
        if (ccf_evidence_parse(text, strlen(text), &back, err, sizeof err) != CCF_OK ||
            memcmp(&ev, &back, sizeof ev) != 0)
            abort();
        free(text);
    }
    if (size > 64 * 1024)
        return 0;
    json_t *req = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(req) && json_object_get(req, "csr") != NULL) {
        ccf_proxy *p = get_proxy();
        char nonce[65], msg[512];
        json_t *resp = NULL;
        if (ccf_proxy_nonce_new(p, nonce) == CCF_PROXY_OK)
            json_object_set_new(req, "nonce", json_string(nonce));
        ccf_proxy_result r = ccf_proxy_attest(p, "linux", req, &resp, msg, sizeof msg);
        if (r == CCF_PROXY_OK || resp != NULL)
            abort(); /* the fuzzer cannot sign with this host's platform key */
    }
    json_decref(req);
    return 0;
}
