/* Tests for src/guestcrypto (the ccfaas_crypto host module) through a real
 * wasm module (wasm/gcrypto.wat: each import behind an exported wrapper):
 * keys scoped to the program and kept across runs of one store, a key
 * replaced by key_unwrap while a handle keeps its own copy, the caps (64
 * keys, 16 open streams per run; EMFILE), handles freed with their run, and
 * the wasi hook's errors for an unknown function or module. The guest's
 * view (EFAULT, EINVAL, ENOSPC, EILSEQ from C) is tests/cli/test-guest-crypto. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope/stream.h"
#include "guestcrypto/guestcrypto.h"

#define EILSEQ_ 25
#define EINVAL_ 28
#define EMFILE_ 33
#define ENOENT_ 44

/* guest memory layout of these tests */
#define NAME 0x100
#define NAME2 0x180
#define BUF 0x1000   /* 4 KiB: PEM, wrapped keys */
#define OUTLEN 0x2000
#define HANDLE 0x2004
#define FINAL 0x2008
#define HDR 0x3000
#define REC 0x4000   /* a record (1024 + 20) */
#define OUT 0x6000

static uint8_t *module_bytes;
static size_t module_len;

static uint8_t *slurp(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s.wasm", CCF_TEST_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("%s: not built (wat2wasm, Debian package wabt)", path);
    uint8_t *b = malloc(1 << 16);
    *len = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

/* One program run: the module instantiated with the run's ccfaas_crypto. */
struct guest {
    ccf_guestcrypto_run *run;
    ccf_wasm_module *module;
    ccf_wasm_store *store;
    ccf_wasm_instance *inst;
};

static void guest_start(struct guest *g, ccf_guestcrypto_store *keys, const char *program)
{
    char err[256];
    ccf_wasm_import imports[6];
    memset(g, 0, sizeof *g);
    assert_int_equal(ccf_guestcrypto_run_new(keys, program, &g->run, err, sizeof err), CCF_OK);
    ccf_wasi_host_module hm = ccf_guestcrypto_module(g->run);
    assert_string_equal(hm.name, "ccfaas_crypto");
    assert_int_equal(ccf_wasm_load(module_bytes, module_len, &g->module, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_store_new(NULL, &g->store, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_import_count(g->module), 6);
    for (size_t i = 0; i < 6; i++) {
        ccf_wasm_import_desc d;
        assert_true(ccf_wasm_import_get(g->module, i, &d));
        imports[i].module = hm.name;
        assert_int_equal(hm.bind(hm.user, g->store, d.name, d.name_len, &imports[i].name,
                                 &imports[i].ext, err, sizeof err),
                         CCF_OK);
    }
    assert_int_equal(ccf_wasm_instantiate(g->store, g->module, imports, 6, &g->inst, NULL, err,
                                          sizeof err),
                     CCF_OK);
}

static void guest_end(struct guest *g)
{
    ccf_wasm_store_free(g->store);
    ccf_wasm_module_free(g->module);
    ccf_guestcrypto_run_free(g->run);
}

static void put(struct guest *g, uint32_t at, const void *data, size_t len)
{
    assert_int_equal(ccf_wasm_memory_write(g->inst, at, data, len), CCF_OK);
}

static uint32_t get32(struct guest *g, uint32_t at)
{
    uint8_t b[4];
    assert_int_equal(ccf_wasm_memory_read(g->inst, at, b, 4), CCF_OK);
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Calls the export `fn` with up to 7 i32 arguments; returns its errno. */
static uint32_t call(struct guest *g, const char *fn, size_t n, ...)
{
    ccf_wasm_val args[7], res[1];
    char err[256];
    va_list ap;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        args[i] = (ccf_wasm_val){.type = CCF_WASM_I32, .of.i32 = va_arg(ap, uint32_t)};
    va_end(ap);
    res[0].type = CCF_WASM_I32;
    assert_int_equal(ccf_wasm_invoke(g->inst, fn, args, n, res, 1, NULL, NULL, err, sizeof err),
                     CCF_OK);
    return res[0].of.i32;
}

static uint32_t name_at(struct guest *g, uint32_t at, const char *name)
{
    put(g, at, name, strlen(name));
    return (uint32_t)strlen(name);
}

/* The public key PEM of key pair `name` (malloc'ed). */
static char *pem_of(struct guest *g, const char *name, uint32_t *e)
{
    uint32_t nl = name_at(g, NAME, name);
    *e = call(g, "public_key_pem", 5, NAME, nl, BUF, 4096, OUTLEN);
    if (*e != 0)
        return NULL;
    uint32_t n = get32(g, OUTLEN);
    char *pem = calloc(1, n + 1);
    assert_int_equal(ccf_wasm_memory_read(g->inst, BUF, pem, n), CCF_OK);
    return pem;
}

/* RSA-OAEP (SHA-256, MGF1 SHA-256) of key to the PEM public key, into guest memory at BUF. */
static uint32_t wrap_into(struct guest *g, const char *pem, const uint8_t key[32])
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pub, NULL);
    uint8_t out[512];
    size_t n = sizeof out;
    assert_non_null(pub);
    assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()), 1);
    assert_int_equal(EVP_PKEY_encrypt(c, out, &n, key, 32), 1);
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(pub);
    BIO_free(bio);
    put(g, BUF, out, n);
    return (uint32_t)n;
}

/* A one-record stream of `text` under key into guest memory (HDR, REC); returns the record size. */
static uint32_t stream_into(struct guest *g, const uint8_t key[32], const char *text)
{
    char err[256];
    uint8_t hdr[24], rec[1024 + 20];
    size_t rl = 0;
    ccf_stream *s = NULL;
    assert_int_equal(ccf_stream_sealer_new(key, 1024, hdr, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_stream_seal(s, (const uint8_t *)text, strlen(text), true, rec, &rl, err,
                                     sizeof err),
                     CCF_OK);
    ccf_stream_free(s);
    put(g, HDR, hdr, sizeof hdr);
    put(g, REC, rec, rl);
    return (uint32_t)rl;
}

static const uint8_t key1[32] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
static const uint8_t key2[32] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
                                 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};

static void test_scope_and_lifetime(void **state)
{
    (void)state;
    char err[256];
    ccf_guestcrypto_store *keys = NULL;
    struct guest a, b;
    uint32_t e, n;
    assert_int_equal(ccf_guestcrypto_store_new(&keys, err, sizeof err), CCF_OK);

    /* program a: a key pair, a key unwrapped, a stream opened */
    guest_start(&a, keys, "a.wasm");
    n = name_at(&a, NAME, "kp");
    assert_int_equal(call(&a, "keypair_create", 2, NAME, n), 0);
    char *pem_a = pem_of(&a, "kp", &e);
    assert_int_equal(e, 0);
    assert_non_null(strstr(pem_a, "-----BEGIN PUBLIC KEY-----"));
    uint32_t wl = wrap_into(&a, pem_a, key1);
    assert_int_equal(wl, 384);
    uint32_t kl = name_at(&a, NAME2, "video");
    assert_int_equal(call(&a, "key_unwrap", 6, NAME, n, BUF, wl, NAME2, kl), 0);
    uint32_t rl = stream_into(&a, key1, "first stream");
    assert_int_equal(call(&a, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), 0);
    uint32_t h = get32(&a, HANDLE);
    /* the name replaced by key2 while the handle is open: the handle keeps key1 */
    wl = wrap_into(&a, pem_a, key2);
    assert_int_equal(call(&a, "key_unwrap", 6, NAME, n, BUF, wl, NAME2, kl), 0);
    assert_int_equal(call(&a, "stream_record", 7, h, REC, rl, OUT, 1024, OUTLEN, FINAL), 0);
    assert_int_equal(get32(&a, OUTLEN), strlen("first stream"));
    assert_int_equal(get32(&a, FINAL), 1);
    /* ...and a new handle gets key2: key1's stream no longer opens */
    assert_int_equal(call(&a, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), 0);
    assert_int_equal(call(&a, "stream_record", 7, get32(&a, HANDLE), REC, rl, OUT, 1024, OUTLEN,
                          FINAL),
                     EILSEQ_);
    /* a wrapped key that is not 32 bytes is refused */
    {
        BIO *bio = BIO_new_mem_buf(pem_a, -1);
        EVP_PKEY *pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pub, NULL);
        uint8_t out[512], k16[16] = {0};
        size_t on = sizeof out;
        assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()), 1);
        assert_int_equal(EVP_PKEY_encrypt(c, out, &on, k16, sizeof k16), 1);
        put(&a, BUF, out, on);
        uint32_t k3 = name_at(&a, NAME2, "k16");
        assert_int_equal(call(&a, "key_unwrap", 6, NAME, n, BUF, (uint32_t)on, NAME2, k3), EILSEQ_);
        EVP_PKEY_CTX_free(c);
        EVP_PKEY_free(pub);
        BIO_free(bio);
    }
    /* a is still running (handles open) when b runs: b sees none of a's keys */
    guest_start(&b, keys, "b.wasm");
    char *pem_b = pem_of(&b, "kp", &e);
    assert_null(pem_b);
    assert_int_equal(e, ENOENT_);
    kl = name_at(&b, NAME2, "video");
    stream_into(&b, key2, "x");
    assert_int_equal(call(&b, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), ENOENT_);
    assert_int_equal(call(&b, "stream_close", 1, h), ENOENT_); /* a's handle number */
    n = name_at(&b, NAME, "kp");
    assert_int_equal(call(&b, "keypair_create", 2, NAME, n), 0);
    pem_b = pem_of(&b, "kp", &e);
    assert_string_not_equal(pem_a, pem_b);
    guest_end(&b);
    guest_end(&a); /* with its handles still open: freed with the run */

    /* a's next execution: the same key pair and key (key2) */
    guest_start(&a, keys, "a.wasm");
    char *pem_a2 = pem_of(&a, "kp", &e);
    assert_string_equal(pem_a, pem_a2);
    n = name_at(&a, NAME, "kp");
    assert_int_equal(call(&a, "keypair_create", 2, NAME, n), 0); /* idempotent */
    char *pem_a3 = pem_of(&a, "kp", &e);
    assert_string_equal(pem_a, pem_a3);
    kl = name_at(&a, NAME2, "video");
    rl = stream_into(&a, key2, "second");
    assert_int_equal(call(&a, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), 0);
    h = get32(&a, HANDLE);
    assert_int_equal(call(&a, "stream_record", 7, h, REC, rl, OUT, 1024, OUTLEN, FINAL), 0);
    assert_int_equal(call(&a, "stream_close", 1, h), 0);
    guest_end(&a);
    free(pem_a);
    free(pem_a2);
    free(pem_a3);
    free(pem_b);
    ccf_guestcrypto_store_free(keys);
}

static void test_caps(void **state)
{
    (void)state;
    char err[256], name[16];
    ccf_guestcrypto_store *keys = NULL;
    struct guest g;
    assert_int_equal(ccf_guestcrypto_store_new(&keys, err, sizeof err), CCF_OK);
    guest_start(&g, keys, "p");
    uint32_t n = name_at(&g, NAME, "kp");
    assert_int_equal(call(&g, "keypair_create", 2, NAME, n), 0);
    uint32_t e;
    char *pem = pem_of(&g, "kp", &e);
    uint32_t wl = wrap_into(&g, pem, key1);
    /* 64 keys; the 65th: EMFILE; replacing one still works */
    for (int i = 0; i < CCF_GUESTCRYPTO_MAX_KEYS; i++) {
        snprintf(name, sizeof name, "k%d", i);
        uint32_t kl = name_at(&g, NAME2, name);
        assert_int_equal(call(&g, "key_unwrap", 6, NAME, n, BUF, wl, NAME2, kl), 0);
    }
    uint32_t kl = name_at(&g, NAME2, "one-more");
    assert_int_equal(call(&g, "key_unwrap", 6, NAME, n, BUF, wl, NAME2, kl), EMFILE_);
    kl = name_at(&g, NAME2, "k7");
    assert_int_equal(call(&g, "key_unwrap", 6, NAME, n, BUF, wl, NAME2, kl), 0);
    /* a header of the wrong size or form */
    stream_into(&g, key1, "s");
    assert_int_equal(call(&g, "stream_open", 5, NAME2, kl, HDR, 25, HANDLE), EINVAL_);
    put(&g, HDR, "CCFSTR02", 8);
    assert_int_equal(call(&g, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), EINVAL_);
    put(&g, HDR, "CCFSTR01", 8);
    /* 16 open streams; the 17th: EMFILE until one is closed */
    uint32_t handles[CCF_GUESTCRYPTO_MAX_STREAMS];
    for (int i = 0; i < CCF_GUESTCRYPTO_MAX_STREAMS; i++) {
        assert_int_equal(call(&g, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), 0);
        handles[i] = get32(&g, HANDLE);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(handles[i], handles[j]);
    }
    assert_int_equal(call(&g, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), EMFILE_);
    assert_int_equal(call(&g, "stream_close", 1, handles[5]), EILSEQ_); /* no final record */
    assert_int_equal(call(&g, "stream_close", 1, handles[5]), ENOENT_);
    assert_int_equal(call(&g, "stream_open", 5, NAME2, kl, HDR, 24, HANDLE), 0);
    assert_int_equal(get32(&g, HANDLE), handles[5]);
    free(pem);
    guest_end(&g);
    ccf_guestcrypto_store_free(keys);
}

/* The wasi hook: an unknown function of the module, an unknown module. */
static void test_hook_errors(void **state)
{
    (void)state;
    char err[256];
    ccf_guestcrypto_store *keys = NULL;
    ccf_guestcrypto_run *run = NULL;
    ccf_wasm_store *store = NULL;
    ccf_wasm_extern ext;
    const char *fn = NULL;
    assert_int_equal(ccf_guestcrypto_store_new(&keys, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_guestcrypto_run_new(keys, "p", &run, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_store_new(NULL, &store, err, sizeof err), CCF_OK);
    ccf_wasi_host_module hm = ccf_guestcrypto_module(run);
    assert_int_equal(hm.bind(hm.user, store, "private_key", 11, &fn, &ext, err, sizeof err),
                     CCF_ERR_NOT_FOUND);
    assert_non_null(strstr(err, "unknown import \"ccfaas_crypto\".\"private_key\""));
    assert_non_null(strstr(err, "stream_record"));

    size_t len = 0;
    uint8_t *bytes = slurp("gcrypto_other", &len);
    ccf_wasm_module *m = NULL;
    ccf_vfs *vfs = ccf_vfs_new(NULL);
    ccf_wasi_config cfg = {.vfs = vfs, .host_modules = &hm, .n_host_modules = 1};
    ccf_wasi_result res;
    assert_int_equal(ccf_wasm_load(bytes, len, &m, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasi_run(m, &cfg, &res, err, sizeof err), CCF_ERR_NOT_FOUND);
    assert_string_equal(err, "import \"env\".\"secret_key\" cannot be satisfied: programs may "
                             "import only wasi_snapshot_preview1, ccfaas_crypto");
    cfg.n_host_modules = 0;
    assert_int_equal(ccf_wasi_run(m, &cfg, &res, err, sizeof err), CCF_ERR_NOT_FOUND);
    assert_string_equal(err, "import \"env\".\"secret_key\" cannot be satisfied: programs may "
                             "import only wasi_snapshot_preview1");
    ccf_wasm_module_free(m);
    ccf_vfs_free(vfs);
    free(bytes);
    ccf_wasm_store_free(store);
    ccf_guestcrypto_run_free(run);
    ccf_guestcrypto_store_free(keys);
}

int main(void)
{
    module_bytes = slurp("gcrypto", &module_len);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope_and_lifetime),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_hook_errors),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(module_bytes);
    return rc;
}
