/* libFuzzer target for the OCI parsers (src/oci/oci.h: references, manifests,
 * indexes, challenges, image configs' diff_ids, layers and their diff_ids) and the
 * Cocos computation manifest (src/ccfaas/computation.h) and ocicrypt's layer
 * options (src/oci/ocicrypt.h): the first byte picks the
 * parser, the rest is its input. A refusal always says why; what is accepted
 * keeps the promised limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccfaas/computation.h"
#include "oci/oci.h"
#include "oci/ocicrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool count_file(const char *path, uint8_t **d, size_t len, void *ctx)
{
    (void)d;
    if (path[0] == '/' || len > 1024 * 1024)
        abort();
    return ++*(size_t *)ctx < 1000;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "", *text;
    if (size < 1)
        return 0;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    if ((text = malloc(n + 1)) == NULL)
        return 0;
    memcpy(text, in, n);
    text[n] = '\0';
    ccf_err rc = CCF_OK;
    switch (data[0] % 10) {
    case 0: {
        ccf_oci_ref r;
        rc = ccf_oci_ref_parse(text, &r, err, sizeof err);
        if (rc == CCF_OK && (r.host[0] == '\0' || r.repo[0] == '\0' ||
                             (r.tag[0] == '\0' && r.digest[0] == '\0')))
            abort();
        break;
    }
    case 1: {
        ccf_oci_manifest m;
        rc = ccf_oci_manifest_parse(in, n, &m, err, sizeof err);
        if (rc == CCF_OK && (m.layer_count == 0 || m.layer_count > CCF_OCI_MAX_LAYERS))
            abort();
        ccf_oci_manifest_clear(&m);
        break;
    }
    case 2: {
        ccf_oci_index ix;
        rc = ccf_oci_index_parse(in, n, &ix, err, sizeof err);
        if (rc == CCF_OK && ix.count > 0 && ccf_oci_index_pick(&ix) == NULL)
            abort();
        ccf_oci_index_clear(&ix);
        break;
    }
    case 3: {
        ccf_oci_challenge ch;
        rc = ccf_oci_challenge_parse(text, &ch, err, sizeof err);
        if (rc == CCF_OK && ch.bearer && ch.realm[0] == '\0')
            abort();
        break;
    }
    case 4: {
        ccf_computation *c = NULL;
        rc = ccf_computation_parse(in, n, &c, err, sizeof err);
        if (rc == CCF_OK && (c->id == NULL || c->algorithm.uri == NULL ||
                             (ccf_computation_encrypted(c) && c->kbs_url == NULL)))
            abort();
        if (rc != CCF_OK && c != NULL)
            abort();
        ccf_computation_free(c);
        break;
    }
    case 6: {
        ccf_ocicrypt_keys k;
        rc = ccf_ocicrypt_pubopts_parse(text, &k, err, sizeof err);
        ccf_ocicrypt_keys_clear(&k);
        break;
    }
    case 7: {
        ccf_ocicrypt_keys k;
        rc = ccf_ocicrypt_privopts_parse(data + 1, n, &k, err, sizeof err);
        if (rc == CCF_OK && strncmp(k.digest, "sha256:", 7) != 0)
            abort();
        ccf_ocicrypt_keys_clear(&k);
        break;
    }
    case 8: {
        char ids[4][CCF_OCI_DIGEST_LEN + 1];
        size_t count = 99;
        rc = ccf_oci_config_diff_ids(in, n, ids, 4, &count, err, sizeof err);
        if ((rc == CCF_OK && count > 4) || (rc != CCF_OK && count != 0))
            abort();
        for (size_t i = 0; rc == CCF_OK && i < count; i++)
            if (strncmp(ids[i], "sha256:", 7) != 0 || strlen(ids[i]) != CCF_OCI_DIGEST_LEN)
                abort();
        break;
    }
    case 9: {
        char hex[65];
        rc = ccf_oci_layer_diff_id(data + 1, n, 64 * 1024, hex, err, sizeof err);
        if (rc == CCF_OK && strlen(hex) != 64)
            abort();
        break;
    }
    default: {
        size_t files = 0;
        rc = ccf_oci_layer_files(data + 1, n, 1024 * 1024, count_file, &files, err, sizeof err);
        break;
    }
    }
    if (rc != CCF_OK && err[0] == '\0')
        abort();
    free(text);
    return 0;
}
