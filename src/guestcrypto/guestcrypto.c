/* The host module "ccfaas_crypto" (guestcrypto.h): the key store, the per-run
 * stream handles and the six host functions of docs/guest-crypto.md. Every
 * guest pointer and length is checked against the guest's memory before use;
 * every failure is a WASI errno returned to the guest, never a trap. */
#include "guestcrypto/guestcrypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "common/crypto.h"
#include "envelope/stream.h"
#include "wasi/wasi_abi.h"

struct keypair {
    char *program;
    char name[CCF_GUESTCRYPTO_MAX_NAME + 1];
    EVP_PKEY *pkey;
};

struct aead_key {
    char *program;
    char name[CCF_GUESTCRYPTO_MAX_NAME + 1];
    uint8_t *key; /* CCF_GCM_KEY_LEN bytes, secure heap */
};

struct ccf_guestcrypto_store {
    struct keypair keypairs[CCF_GUESTCRYPTO_MAX_KEYPAIRS];
    struct aead_key keys[CCF_GUESTCRYPTO_MAX_KEYS];
};

struct ccf_guestcrypto_run {
    ccf_guestcrypto_store *store;
    char *program;
    ccf_stream *streams[CCF_GUESTCRYPTO_MAX_STREAMS]; /* handle h is streams[h - 1] */
};

/* ---- store and run -------------------------------------------------------- */

ccf_err ccf_guestcrypto_store_new(ccf_guestcrypto_store **out, char *err, size_t errsz)
{
    if ((*out = calloc(1, sizeof **out)) == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
    return CCF_OK;
}

void ccf_guestcrypto_store_free(ccf_guestcrypto_store *store)
{
    if (store == NULL)
        return;
    for (size_t i = 0; i < CCF_GUESTCRYPTO_MAX_KEYPAIRS; i++) {
        EVP_PKEY_free(store->keypairs[i].pkey);
        free(store->keypairs[i].program);
    }
    for (size_t i = 0; i < CCF_GUESTCRYPTO_MAX_KEYS; i++) {
        OPENSSL_secure_clear_free(store->keys[i].key, CCF_GCM_KEY_LEN);
        free(store->keys[i].program);
    }
    free(store);
}

ccf_err ccf_guestcrypto_run_new(ccf_guestcrypto_store *store, const char *program,
                                ccf_guestcrypto_run **out, char *err, size_t errsz)
{
    ccf_guestcrypto_run *run = calloc(1, sizeof *run);
    *out = NULL;
    if (run == NULL || (run->program = strdup(program)) == NULL) {
        free(run);
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
    }
    run->store = store;
    *out = run;
    return CCF_OK;
}

void ccf_guestcrypto_run_free(ccf_guestcrypto_run *run)
{
    if (run == NULL)
        return;
    for (size_t i = 0; i < CCF_GUESTCRYPTO_MAX_STREAMS; i++)
        ccf_stream_free(run->streams[i]);
    free(run->program);
    free(run);
}

static struct keypair *find_keypair(ccf_guestcrypto_run *run, const char *name)
{
    for (size_t i = 0; i < CCF_GUESTCRYPTO_MAX_KEYPAIRS; i++) {
        struct keypair *k = &run->store->keypairs[i];
        if (k->pkey != NULL && strcmp(k->program, run->program) == 0 && strcmp(k->name, name) == 0)
            return k;
    }
    return NULL;
}

static struct aead_key *find_key(ccf_guestcrypto_run *run, const char *name)
{
    for (size_t i = 0; i < CCF_GUESTCRYPTO_MAX_KEYS; i++) {
        struct aead_key *k = &run->store->keys[i];
        if (k->key != NULL && strcmp(k->program, run->program) == 0 && strcmp(k->name, name) == 0)
            return k;
    }
    return NULL;
}

/* ---- guest memory ------------------------------------------------------------ */

/* A name argument: 1..64 bytes of [A-Za-z0-9._-] at [ptr, ptr+len). */
static uint32_t read_name(ccf_wasm_instance *caller, uint32_t ptr, uint32_t len,
                          char out[CCF_GUESTCRYPTO_MAX_NAME + 1])
{
    if (len == 0 || len > CCF_GUESTCRYPTO_MAX_NAME)
        return WASI_EINVAL;
    if (caller == NULL || ccf_wasm_memory_read(caller, ptr, out, len) != CCF_OK)
        return WASI_EFAULT;
    out[len] = '\0';
    for (uint32_t i = 0; i < len; i++) {
        char c = out[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return WASI_EINVAL;
    }
    return WASI_ESUCCESS;
}

/* A u32 out-parameter (size_t and uint32_t of wasm32): its 4 bytes must be in memory. */
static bool u32_ok(ccf_wasm_instance *caller, uint32_t ptr)
{
    return caller != NULL && ccf_wasm_memory_ptr(caller, ptr, 4) != NULL;
}

static void put_u32(ccf_wasm_instance *caller, uint32_t ptr, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    if (ccf_wasm_memory_write(caller, ptr, b, sizeof b) != CCF_OK)
        abort(); /* checked with u32_ok first; memories only grow */
}

/* ---- the host functions --------------------------------------------------------- */

#define A(i) (args[i].of.i32)

/* keypair_create(name, name_len) */
static uint32_t keypair_create(ccf_guestcrypto_run *run, ccf_wasm_instance *caller,
                               const ccf_wasm_val *args)
{
    char name[CCF_GUESTCRYPTO_MAX_NAME + 1];
    uint32_t e = read_name(caller, A(0), A(1), name);
    if (e != WASI_ESUCCESS)
        return e;
    if (find_keypair(run, name) != NULL)
        return WASI_ESUCCESS;
    struct keypair *slot = NULL;
    for (size_t i = 0; i < CCF_GUESTCRYPTO_MAX_KEYPAIRS && slot == NULL; i++) {
        if (run->store->keypairs[i].pkey == NULL)
            slot = &run->store->keypairs[i];
    }
    if (slot == NULL)
        return WASI_EMFILE;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)CCF_GUESTCRYPTO_RSA_BITS);
    char *program = strdup(run->program);
    if (pkey == NULL || program == NULL) {
        EVP_PKEY_free(pkey);
        free(program);
        return WASI_EIO;
    }
    slot->pkey = pkey;
    slot->program = program;
    memcpy(slot->name, name, sizeof name);
    return WASI_ESUCCESS;
}

/* public_key_pem(name, name_len, buf, buf_len, out_len) */
static uint32_t public_key_pem(ccf_guestcrypto_run *run, ccf_wasm_instance *caller,
                               const ccf_wasm_val *args)
{
    char name[CCF_GUESTCRYPTO_MAX_NAME + 1];
    uint32_t e = read_name(caller, A(0), A(1), name);
    if (e != WASI_ESUCCESS)
        return e;
    if (ccf_wasm_memory_ptr(caller, A(2), A(3)) == NULL || !u32_ok(caller, A(4)))
        return WASI_EFAULT;
    struct keypair *k = find_keypair(run, name);
    if (k == NULL)
        return WASI_ENOENT;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long n = 0;
    if (bio == NULL || PEM_write_bio_PUBKEY(bio, k->pkey) != 1 ||
        (n = BIO_get_mem_data(bio, &pem)) <= 0) {
        BIO_free(bio);
        return WASI_EIO;
    }
    put_u32(caller, A(4), (uint32_t)n);
    e = WASI_ENOSPC;
    if ((uint64_t)n <= A(3)) {
        e = ccf_wasm_memory_write(caller, A(2), pem, (size_t)n) == CCF_OK ? WASI_ESUCCESS
                                                                           : WASI_EFAULT;
    }
    BIO_free(bio);
    return e;
}

/* key_unwrap(kp, kp_len, wrapped, wrapped_len, key_name, key_name_len) */
static uint32_t key_unwrap(ccf_guestcrypto_run *run, ccf_wasm_instance *caller,
                           const ccf_wasm_val *args)
{
    char kp[CCF_GUESTCRYPTO_MAX_NAME + 1], name[CCF_GUESTCRYPTO_MAX_NAME + 1];
    uint32_t e = read_name(caller, A(0), A(1), kp);
    if (e == WASI_ESUCCESS)
        e = read_name(caller, A(4), A(5), name);
    if (e != WASI_ESUCCESS)
        return e;
    const uint8_t *wrapped = ccf_wasm_memory_ptr(caller, A(2), A(3));
    if (wrapped == NULL)
        return WASI_EFAULT;
    struct keypair *k = find_keypair(run, kp);
    if (k == NULL)
        return WASI_ENOENT;
    if (A(3) != (uint32_t)EVP_PKEY_get_size(k->pkey))
        return WASI_EINVAL; /* an RSA-3072 ciphertext is 384 bytes exactly */
    struct aead_key *dst = find_key(run, name);
    for (size_t i = 0; i < CCF_GUESTCRYPTO_MAX_KEYS && dst == NULL; i++) {
        if (run->store->keys[i].key == NULL)
            dst = &run->store->keys[i];
    }
    if (dst == NULL)
        return WASI_EMFILE;
    /* the plaintext in the secure heap; room for a whole modulus, as OpenSSL asks */
    size_t cap = (size_t)EVP_PKEY_get_size(k->pkey), n = cap;
    uint8_t *plain = OPENSSL_secure_malloc(cap);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
    e = WASI_EIO;
    if (plain == NULL || c == NULL || EVP_PKEY_decrypt_init(c) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_OAEP_PADDING) != 1 ||
        EVP_PKEY_CTX_set_rsa_oaep_md(c, EVP_sha256()) != 1 ||
        EVP_PKEY_CTX_set_rsa_mgf1_md(c, EVP_sha256()) != 1)
        goto out;
    e = WASI_EILSEQ;
    if (EVP_PKEY_decrypt(c, plain, &n, wrapped, A(3)) != 1 || n != CCF_GCM_KEY_LEN)
        goto out;
    e = WASI_EIO;
    if (dst->key == NULL) {
        char *program = strdup(run->program);
        uint8_t *key = OPENSSL_secure_malloc(CCF_GCM_KEY_LEN);
        if (program == NULL || key == NULL) {
            free(program);
            OPENSSL_secure_free(key);
            goto out;
        }
        dst->program = program;
        dst->key = key;
        memcpy(dst->name, name, sizeof name);
    }
    memcpy(dst->key, plain, CCF_GCM_KEY_LEN);
    e = WASI_ESUCCESS;
out:
    EVP_PKEY_CTX_free(c);
    if (plain != NULL)
        OPENSSL_secure_clear_free(plain, cap);
    return e;
}

/* stream_open(key_name, key_name_len, header, header_len, handle) */
static uint32_t stream_open(ccf_guestcrypto_run *run, ccf_wasm_instance *caller,
                            const ccf_wasm_val *args)
{
    char name[CCF_GUESTCRYPTO_MAX_NAME + 1], err[256];
    uint32_t e = read_name(caller, A(0), A(1), name);
    if (e != WASI_ESUCCESS)
        return e;
    const uint8_t *header = ccf_wasm_memory_ptr(caller, A(2), A(3));
    if (header == NULL || !u32_ok(caller, A(4)))
        return WASI_EFAULT;
    struct aead_key *k = find_key(run, name);
    if (k == NULL)
        return WASI_ENOENT;
    size_t h = 0;
    while (h < CCF_GUESTCRYPTO_MAX_STREAMS && run->streams[h] != NULL)
        h++;
    if (h == CCF_GUESTCRYPTO_MAX_STREAMS)
        return WASI_EMFILE;
    switch (ccf_stream_opener_new(k->key, header, A(3), &run->streams[h], err, sizeof err)) {
    case CCF_OK:
        put_u32(caller, A(4), (uint32_t)h + 1);
        return WASI_ESUCCESS;
    case CCF_ERR_INVALID:
        return WASI_EINVAL;
    default:
        return WASI_EIO;
    }
}

static ccf_stream **handle_slot(ccf_guestcrypto_run *run, uint32_t handle)
{
    if (handle == 0 || handle > CCF_GUESTCRYPTO_MAX_STREAMS || run->streams[handle - 1] == NULL)
        return NULL;
    return &run->streams[handle - 1];
}

/* stream_record(handle, record, record_len, out, out_cap, out_len, final) */
static uint32_t stream_record(ccf_guestcrypto_run *run, ccf_wasm_instance *caller,
                              const ccf_wasm_val *args)
{
    char err[256];
    ccf_stream **s = handle_slot(run, A(0));
    if (s == NULL)
        return WASI_ENOENT;
    if (caller == NULL)
        return WASI_EFAULT;
    const uint8_t *record = ccf_wasm_memory_ptr(caller, A(1), A(2));
    uint8_t *out = ccf_wasm_memory_ptr(caller, A(3), A(4));
    if (record == NULL || out == NULL || !u32_ok(caller, A(5)) || !u32_ok(caller, A(6)))
        return WASI_EFAULT;
    /* decrypted straight into the guest's buffer: it may not overlap the record */
    if ((uint64_t)A(1) < (uint64_t)A(3) + A(4) && (uint64_t)A(3) < (uint64_t)A(1) + A(2))
        return WASI_EINVAL;
    size_t got = 0;
    bool final = false;
    switch (ccf_stream_open(*s, record, A(2), out, A(4), &got, &final, err, sizeof err)) {
    case CCF_OK:
        put_u32(caller, A(5), (uint32_t)got);
        put_u32(caller, A(6), final ? 1 : 0);
        return WASI_ESUCCESS;
    case CCF_ERR_TOO_LARGE:
        put_u32(caller, A(5), (uint32_t)got);
        return WASI_ENOSPC;
    case CCF_ERR_DENIED:
        return WASI_EILSEQ;
    default:
        return WASI_EIO;
    }
}

/* stream_close(handle) */
static uint32_t stream_close(ccf_guestcrypto_run *run, ccf_wasm_instance *caller,
                             const ccf_wasm_val *args)
{
    (void)caller;
    char err[256];
    ccf_stream **s = handle_slot(run, A(0));
    if (s == NULL)
        return WASI_ENOENT;
    uint32_t e = ccf_stream_finish(*s, err, sizeof err) == CCF_OK ? WASI_ESUCCESS : WASI_EILSEQ;
    ccf_stream_free(*s);
    *s = NULL;
    return e;
}

/* ---- binding ------------------------------------------------------------------ */

typedef uint32_t (*gc_fn)(ccf_guestcrypto_run *, ccf_wasm_instance *, const ccf_wasm_val *);

#define HOST(fn)                                                                              \
    static ccf_err host_##fn(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args, \
                             ccf_wasm_val *results, char *err, size_t err_size)               \
    {                                                                                         \
        (void)err;                                                                            \
        (void)err_size;                                                                       \
        results[0].of.i32 = fn(user, caller, args);                                           \
        return CCF_OK;                                                                        \
    }
HOST(keypair_create)
HOST(public_key_pem)
HOST(key_unwrap)
HOST(stream_open)
HOST(stream_record)
HOST(stream_close)

static const struct {
    const char *name, *params;
    ccf_wasm_host_fn fn;
} functions[] = {
    {"keypair_create", "ii", host_keypair_create},
    {"public_key_pem", "iiiii", host_public_key_pem},
    {"key_unwrap", "iiiiii", host_key_unwrap},
    {"stream_open", "iiiii", host_stream_open},
    {"stream_record", "iiiiiii", host_stream_record},
    {"stream_close", "i", host_stream_close},
};
#define N_FUNCTIONS (sizeof functions / sizeof functions[0])

static ccf_err bind(void *user, ccf_wasm_store *store, const char *fn, size_t fn_len,
                    const char **fn_name, ccf_wasm_extern *out, char *err, size_t err_size)
{
    for (size_t i = 0; i < N_FUNCTIONS; i++) {
        if (strlen(functions[i].name) == fn_len && memcmp(functions[i].name, fn, fn_len) == 0) {
            *fn_name = functions[i].name;
            return ccf_wasm_host_func(store, functions[i].params, "i", functions[i].fn, user, out,
                                      err, err_size);
        }
    }
    return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                    "unknown import \"%s\".\"%.*s\" (it offers keypair_create, public_key_pem, "
                    "key_unwrap, stream_open, stream_record, stream_close)",
                    CCF_GUESTCRYPTO_MODULE, (int)(fn_len > 64 ? 64 : fn_len), fn);
}

ccf_wasi_host_module ccf_guestcrypto_module(ccf_guestcrypto_run *run)
{
    return (ccf_wasi_host_module){.name = CCF_GUESTCRYPTO_MODULE, .user = run, .bind = bind};
}
