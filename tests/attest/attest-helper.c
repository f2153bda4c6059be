/* Test-only helper that plays the runtime's side of attestation (and a few
 * attackers), for tests/attest/test-proxy.
 *
 *   attest-helper request --platform-key-fd N | --platform-key FILE
 *                 --nonce HEX --policy-hash HEX
 *                 (--measurement HEX | --measure-self)
 *                 [--key-out FILE] [--san NAME]... [--expiry Y,M,D,H,M]
 *                 [--bind-other-key]
 *       prints a POST /attest/linux request body; the instance key goes to
 *       --key-out. --bind-other-key: report_data binds a different key than
 *       the CSR's (an attacker replaying someone else's evidence).
 *   attest-helper keygen FILE      a P-256 private key (0600)
 *   attest-helper measure-self     SHA-256 of this executable (hex)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/pki.h"
#include "attest/proxy_client.h"

/* A launch configuration as a sandboxed release runtime states it (attest/launch.h). */
#define TEST_LAUNCH \
    "{\"clean_environment\":true,\"debug\":false,\"fuel\":0,\"max_exec_seconds\":600,\"max_file_mib\":0,\"platform\":\"linux\",\"sandbox\":true}"

static int die(const char *msg, const char *detail)
{
    fprintf(stderr, "attest-helper: %s%s%s\n", msg, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static int cmd_request(int argc, char **argv)
{
    EVP_PKEY *platform = NULL, *key = NULL, *other = NULL;
    const char *nonce = NULL, *key_out = NULL;
    const char *sans[8];
    size_t nsans = 0;
    uint8_t measurement[32], policy_hash[32];
    bool have_m = false, have_h = false, bind_other = false;
    int expiry[5], *exp = NULL;
    char err[512];

    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "";
        if (strcmp(a, "--platform-key-fd") == 0) {
            if (ccf_pki_key_read_fd((int)strtol(v, NULL, 10), &platform, err, sizeof err) != CCF_OK)
                return die("platform key", err);
            i++;
        } else if (strcmp(a, "--platform-key") == 0) {
            if (ccf_pki_key_read(v, &platform, err, sizeof err) != CCF_OK)
                return die("platform key", err);
            i++;
        } else if (strcmp(a, "--nonce") == 0) {
            nonce = v;
            i++;
        } else if (strcmp(a, "--policy-hash") == 0) {
            if (!ccf_attest_hex_decode(v, policy_hash, 32))
                return die("--policy-hash: 64 hex", NULL);
            have_h = true;
            i++;
        } else if (strcmp(a, "--measurement") == 0) {
            if (!ccf_attest_hex_decode(v, measurement, 32))
                return die("--measurement: 64 hex", NULL);
            have_m = true;
            i++;
        } else if (strcmp(a, "--measure-self") == 0) {
            if (ccf_evidence_measure_self(measurement, err, sizeof err) != CCF_OK)
                return die("measure", err);
            have_m = true;
        } else if (strcmp(a, "--key-out") == 0) {
            key_out = v;
            i++;
        } else if (strcmp(a, "--san") == 0 && nsans < 8) {
            sans[nsans++] = v;
            i++;
        } else if (strcmp(a, "--expiry") == 0) {
            if (sscanf(v, "%d,%d,%d,%d,%d", &expiry[0], &expiry[1], &expiry[2], &expiry[3],
                       &expiry[4]) != 5)
                return die("--expiry Y,M,D,H,M", NULL);
            exp = expiry;
            i++;
        } else if (strcmp(a, "--bind-other-key") == 0) {
            bind_other = true;
        } else {
            return die("unknown option", a);
        }
    }
    if (platform == NULL || nonce == NULL || !have_m || !have_h)
        return die("request needs a platform key, --nonce, --policy-hash and a measurement", NULL);
    if (ccf_pki_key_new(&key, err, sizeof err) != CCF_OK ||
        ccf_pki_key_new(&other, err, sizeof err) != CCF_OK)
        return die("keygen", err);
    ccf_proxy_request_params prm = {.launch = TEST_LAUNCH,.platform_key = platform,
                                    .measurement = measurement,
                                    .instance_key = bind_other ? other : key,
                                    .policy_hash = policy_hash,
                                    .nonce_hex = nonce,
                                    .sans = sans,
                                    .san_count = nsans,
                                    .expiry = exp};
    json_t *req = NULL;
    if (ccf_proxy_request_build(&prm, &req, err, sizeof err) != CCF_OK)
        return die("build", err);
    if (bind_other) { /* evidence for `other`, CSR for `key` */
        X509_REQ *csr = NULL;
        char *pem = NULL;
        if (ccf_pki_csr_new(key, "attacker", &csr) != CCF_OK || ccf_pki_csr_to_pem(csr, &pem) != CCF_OK)
            return die("csr", NULL);
        json_object_set_new(req, "csr", json_string(pem));
        free(pem);
        X509_REQ_free(csr);
    }
    if (key_out != NULL && ccf_pki_key_write(key_out, key, err, sizeof err) != CCF_OK)
        return die("--key-out", err);
    char *text = json_dumps(req, JSON_COMPACT);
    puts(text);
    free(text);
    json_decref(req);
    EVP_PKEY_free(platform);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    return 0;
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc >= 2 && strcmp(argv[1], "request") == 0)
        return cmd_request(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "keygen") == 0) {
        EVP_PKEY *k = NULL;
        if (ccf_pki_key_new(&k, err, sizeof err) != CCF_OK ||
            ccf_pki_key_write(argv[2], k, err, sizeof err) != CCF_OK)
            return die("keygen", err);
        EVP_PKEY_free(k);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "measure-self") == 0) {
        uint8_t m[32];
        char hex[65];
        if (ccf_evidence_measure_self(m, err, sizeof err) != CCF_OK)
            return die("measure", err);
        ccf_hex_encode(m, 32, hex);
        puts(hex);
        return 0;
    }
    fprintf(stderr, "usage: attest-helper request|keygen FILE|measure-self (see the source)\n");
    return 2;
}
