/* Unit tests for encrypted OCI layers in the instance (issue 20, docs/oci.md "In the
 * instance"): a data file declared `encrypted` with an ocicrypt descriptor, uploaded as
 * the layer skopeo encrypted (tests/data/ocicrypt/), is opened with the key broker's
 * private key and unpacked: its files at their paths, nothing under its own name.
 * Refused, with nothing stored: a key resource that is no private key (or one locked
 * by a passphrase, which is never asked for), another private
 * key, a policy pinning another diff_id, a layer file that clashes with a file of the
 * policy, a file over the per-file limit (not named: the names are the owner's), and a
 * layer whose files do not all fit (all or none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "common/file.h"
#include "oci/oci.h"
#include "runtime/instance.h"
#include "wasi/vfs.h"

#define RESOURCE "default/key/dataset-key"
#define SLOT "ocicrypt-dataset-0-0" /* the data file the layer is uploaded as */
#define LOADER 0                    /* identity 0 may write the slot (test policy) */

struct fixture {
    char *enc, *plain, *key_pem, diff[65], sha[65];
    size_t enc_len, plain_len, key_len;
    json_t *annotations;
};

static char *data_file(const char *name, size_t *len)
{
    char path[1024], err[256], *out = NULL;
    const char *dir = getenv("CCF_TEST_DATA");
    snprintf(path, sizeof path, "%s/%s", dir ? dir : "tests/data", name);
    assert_int_equal(ccf_file_read(path, 4 << 20, &out, len, err, sizeof err), CCF_OK);
    return out;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    size_t dl = 0;
    char err[256];
    f->enc = data_file("ocicrypt/layer.enc", &f->enc_len);
    f->plain = data_file("ocicrypt/plain.tar.gz", &f->plain_len);
    f->key_pem = data_file("ocicrypt/ec.key", &f->key_len);
    char *desc = data_file("ocicrypt/descriptor.json", &dl);
    json_t *d = json_loadb(desc, dl, 0, NULL);
    free(desc);
    f->annotations = json_incref(json_object_get(d, "annotations"));
    json_decref(d);
    /* the diff_id an image config would name: the SHA-256 of the layer's tar */
    assert_int_equal(ccf_oci_layer_diff_id((const uint8_t *)f->plain, f->plain_len, 1 << 20,
                                           f->diff, err, sizeof err),
                     CCF_OK);
    assert_true(ccf_sha256_hex(f->enc, f->enc_len, f->sha));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    free(f->enc);
    free(f->plain);
    free(f->key_pem);
    json_decref(f->annotations);
    free(f);
    return 0;
}

/* spec-full.json with the slot as an encrypted data file pinned to diff (and
 * extra data files "README" when clash), identity 0 allowed to write it. */
static ccf_instance *instance(const struct fixture *f, const char *diff, bool clash,
                              uint64_t total, uint64_t file)
{
    size_t len = 0;
    char *text = data_file("policies/spec-full.json", &len), err[512];
    json_t *p = json_loadb(text, len, 0, NULL);
    free(text);
    assert_non_null(p);
    json_t *enc = json_pack(
        "{s:s, s:s, s:{s:s, s:O, s:O}}", "kbs_resource", RESOURCE, "sha256", f->sha, "ocicrypt",
        "media_type", "application/vnd.oci.image.layer.v1.tar+gzip+encrypted", "keys_jwe",
        json_object_get(f->annotations, "org.opencontainers.image.enc.keys.jwe"), "pubopts",
        json_object_get(f->annotations, "org.opencontainers.image.enc.pubopts"));
    json_t *dfs = json_pack("[{s:s, s:s, s:o}]", "data_file", SLOT, "pi_hash", diff, "encrypted",
                            enc);
    if (clash)
        json_array_append_new(dfs, json_pack("{s:s, s:s}", "data_file", "README", "pi_hash",
                                             "00000000000000000000000000000000000000000000000000000"
                                             "00000000000"));
    assert_int_equal(json_object_set_new(p, "data_files", dfs), 0);
    json_array_append_new(json_object_get(json_array_get(json_object_get(p, "identities"), LOADER),
                                          "file_rights"),
                          json_pack("{s:s, s:i}", "file_name", SLOT, "rights", 533572));
    text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    ccf_instance *inst = NULL;
    ccf_instance_limits limits = {.max_instance_bytes = total, .max_file_bytes = file};
    if (ccf_instance_new(text, strlen(text), &limits, &inst, err, sizeof err) != CCF_OK)
        fail_msg("policy: %s", err);
    free(text);
    return inst;
}

/* The same with the fixture's private key fetched, as the runtime does after its attestation. */
static ccf_instance *keyed_instance(const struct fixture *f, const char *diff, bool clash,
                                    uint64_t total, uint64_t file)
{
    char msg[512];
    ccf_instance *inst = instance(f, diff, clash, total, file);
    assert_int_equal(ccf_instance_add_resource(inst, RESOURCE, (const uint8_t *)f->key_pem,
                                               f->key_len, msg, sizeof msg),
                     CCF_OK);
    return inst;
}

/* Uploads the encrypted layer as the loader. */
static ccf_err put_layer(const struct fixture *f, ccf_instance *inst, char *msg, size_t msg_size)
{
    uint8_t *copy = malloc(f->enc_len);
    assert_non_null(copy);
    memcpy(copy, f->enc, f->enc_len);
    return ccf_instance_put(inst, LOADER, SLOT, copy, f->enc_len, false, msg, msg_size);
}

static bool exists(ccf_instance *inst, const char *path)
{
    return ccf_vfs_lookup(ccf_instance_vfs(inst), path) != NULL;
}

static void test_unpacks_layer(void **state)
{
    struct fixture *f = *state;
    char msg[512] = "";
    uint8_t *bytes = NULL;
    size_t len = 0;
    ccf_instance *inst = keyed_instance(f, f->diff, false, 0, 0);
    if (put_layer(f, inst, msg, sizeof msg) != CCF_OK)
        fail_msg("put: %s", msg);
    /* the layer's files, as tar made them (make-fixture) */
    assert_int_equal(ccf_vfs_get(ccf_instance_vfs(inst), NULL, "data/input-0", &bytes, &len),
                     WASI_ESUCCESS);
    assert_int_equal(len, 20);
    assert_memory_equal(bytes, "x,y\n1,1.5\n2,4\n3,6.5\n", 20);
    free(bytes);
    assert_true(exists(inst, "README"));
    assert_false(exists(inst, SLOT)); /* the ciphertext is not kept */
    /* again: its files exist now, refused (409), nothing changed */
    assert_int_equal(put_layer(f, inst, msg, sizeof msg), CCF_ERR_CONFLICT);
    assert_non_null(strstr(msg, "exists already"));
    assert_true(exists(inst, "data/input-0"));
    /* other bytes than the pinned blob: refused before anything is opened */
    uint8_t *other = calloc(1, f->enc_len);
    assert_int_equal(ccf_instance_put(inst, LOADER, SLOT, other, f->enc_len, false, msg, sizeof msg),
                     CCF_ERR_CONFLICT);
    assert_non_null(strstr(msg, "the policy pins"));
    ccf_instance_free(inst);
}

static void test_refusals(void **state)
{
    struct fixture *f = *state;
    char msg[512] = "", other_diff[65];
    uint8_t key32[32] = {1};
    /* a key resource that is no private key: refused when it arrives, its bytes not shown */
    ccf_instance *inst = instance(f, f->diff, false, 0, 0);
    assert_int_equal(ccf_instance_add_resource(inst, RESOURCE, key32, sizeof key32, msg, sizeof msg),
                     CCF_ERR_INVALID);
    assert_non_null(strstr(msg, "is not a PEM private key"));
    /* a passphrase-protected key: refused, never asked for */
    {
        EVP_PKEY *k = EVP_EC_gen("P-256");
        BIO *pb = BIO_new(BIO_s_mem());
        char *ppem = NULL;
        assert_int_equal(PEM_write_bio_PrivateKey(pb, k, EVP_aes_256_cbc(), NULL, 0, NULL,
                                                  (void *)"secret"),
                         1);
        long ppl = BIO_get_mem_data(pb, &ppem);
        assert_non_null(strstr(ppem, "ENCRYPTED"));
        assert_int_equal(ccf_instance_add_resource(inst, RESOURCE, (const uint8_t *)ppem,
                                                   (size_t)ppl, msg, sizeof msg),
                         CCF_ERR_INVALID);
        assert_non_null(strstr(msg, "is not a PEM private key"));
        BIO_free(pb);
        EVP_PKEY_free(k);
    }
    /* without a key: the layer cannot be opened */
    assert_int_not_equal(put_layer(f, inst, msg, sizeof msg), CCF_OK);
    assert_non_null(strstr(msg, "no key for " RESOURCE));
    ccf_instance_free(inst);

    /* another private key: the layer does not open, nothing stored */
    EVP_PKEY *wrong = EVP_EC_gen("P-256");
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL;
    assert_int_equal(PEM_write_bio_PrivateKey(b, wrong, NULL, NULL, 0, NULL, NULL), 1);
    long pl = BIO_get_mem_data(b, &pem);
    inst = instance(f, f->diff, false, 0, 0);
    assert_int_equal(ccf_instance_add_resource(inst, RESOURCE, (const uint8_t *)pem, (size_t)pl,
                                               msg, sizeof msg),
                     CCF_OK);
    assert_int_equal(put_layer(f, inst, msg, sizeof msg), CCF_ERR_CONFLICT);
    assert_non_null(strstr(msg, SLOT ": encrypted OCI layer (key " RESOURCE ")"));
    assert_non_null(strstr(msg, "does not open with this private key"));
    assert_false(exists(inst, "data/input-0") || exists(inst, "README"));
    ccf_instance_free(inst);
    BIO_free(b);
    EVP_PKEY_free(wrong);

    /* the policy pins another diff_id: the right key, another layer */
    memcpy(other_diff, f->diff, sizeof other_diff);
    other_diff[63] = other_diff[63] == 'a' ? 'b' : 'a';
    inst = keyed_instance(f, other_diff, false, 0, 0);
    assert_int_equal(put_layer(f, inst, msg, sizeof msg), CCF_ERR_CONFLICT);
    assert_non_null(strstr(msg, "not the diff_id"));
    assert_false(exists(inst, "data/input-0") || exists(inst, "README"));
    ccf_instance_free(inst);

    /* a layer file named like a file of the policy: refused, nothing stored */
    inst = keyed_instance(f, f->diff, true, 0, 0);
    assert_int_equal(put_layer(f, inst, msg, sizeof msg), CCF_ERR_CONFLICT);
    assert_non_null(strstr(msg, "\"README\" is a file of the policy"));
    assert_false(exists(inst, "data/input-0"));
    ccf_instance_free(inst);
}

/* A layer file over the per-file limit: refused, its name not in the message (the platform
 * reads it; the layer's file names are the owner's). */
static void test_file_limit(void **state)
{
    struct fixture *f = *state;
    char msg[512] = "";
    ccf_instance *inst = keyed_instance(f, f->diff, false, 0, 18); /* README: 17 bytes, input-0: 20 */
    assert_int_equal(put_layer(f, inst, msg, sizeof msg), CCF_ERR_TOO_LARGE);
    assert_non_null(strstr(msg, "a file of the layer is over the per-file limit of 18 bytes"));
    assert_null(strstr(msg, "input-0"));
    assert_false(exists(inst, "README") || exists(inst, "data/input-0"));
    ccf_instance_free(inst);
}

/* All or none: when the second file does not fit, the first goes again. */
static void test_all_or_none(void **state)
{
    struct fixture *f = *state;
    char msg[512] = "";
    /* the tar (10 KiB) must fit the instance's total; fill it up to 25 bytes before */
    const uint64_t total = 16384;
    ccf_instance *inst = keyed_instance(f, f->diff, false, total, 0);
    ccf_storage_figures fig;
    ccf_instance_storage(inst, &fig);
    size_t fill = (size_t)(total - fig.used - 25);
    uint8_t *big = calloc(1, fill);
    assert_non_null(big);
    if (ccf_instance_put(inst, 1, "input-0", big, fill, false, msg, sizeof msg) != CCF_OK)
        fail_msg("fill: %s", msg);
    assert_int_equal(put_layer(f, inst, msg, sizeof msg), CCF_ERR_TOO_LARGE);
    assert_non_null(strstr(msg, "over the instance's storage limit"));
    assert_false(exists(inst, "data/input-0"));
    assert_false(exists(inst, "README"));
    ccf_instance_free(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unpacks_layer),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_file_limit),
        cmocka_unit_test(test_all_or_none),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
