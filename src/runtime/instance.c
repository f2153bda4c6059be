/* The trusted instance's operations (instance.h). */
#include "runtime/instance.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "attest/pki.h"
#include "envelope/envelope.h"
#include "oci/oci.h"
#include "oci/ocicrypt.h"
#include "guestcrypto/guestcrypto.h"
#include "policy/rights.h"
#include "common/fifo.h"
#include "common/file.h"
#include "wasi/wasi.h"
#include "wasm/jit.h"
#include "wasm/wasm.h"

#define ID_NAME_MAX 160

struct ccf_instance {
    char *text;
    size_t len;
    char hash[CCF_SHA256_HEX_LEN + 1];
    ccf_policy *policy;
    ccf_vfs *vfs;
    uint8_t **id_der; /* DER of each identity's certificate */
    size_t *id_der_len;
    char (*id_name)[ID_NAME_MAX]; /* `identity N (SUBJECT)`, for refusals */
    ccf_instance_limits limits;
    uint64_t max_total, max_file; /* the file system's limits, as it applies them */
    ccf_upload *uploads;          /* reservations of uploads in flight */
    uint64_t reserved;            /* the sum of their charges */
    struct instance_key *keys;    /* of the policy's encrypted files (issue 17) */
    size_t nkeys;
    /* per program whose policy entry is an encrypted OCI layer (issue 20): the SHA-256
     * (hex) of the module taken from it, what executions check; "" until it arrived */
    char (*unpacked)[CCF_SHA256_HEX_LEN + 1];
    ccf_wasm_module **modules;    /* "JIT" policies: per program, compiled when it arrived */
    ccf_fifo **fifos;             /* per policy stream_files entry: its bytes in flight */
    ccf_guestcrypto_store *guest_keys; /* the programs' ccfaas_crypto keys (issue 18) */
};

/* A key broker key of encrypted files: in OpenSSL's secure heap, wiped when
 * freed; never written anywhere. */
struct instance_key {
    const char *resource; /* into the policy */
    uint8_t *key;         /* secure heap: an envelope key (CCF_GCM_KEY_LEN bytes) or the PEM
                             private key of encrypted OCI layers */
    size_t len;
};

/* One upload's reservation (instance.h). */
struct ccf_upload {
    ccf_upload *prev, *next;
    char path[CCF_VFS_PATH_MAX];
    bool append, open_ended;
    uint64_t credit; /* bytes of the replaced file this upload is not charged for */
    uint64_t charge; /* counted in inst->reserved */
};

/* The certificate's DER, and how refusals name its identity: the index and the
 * subject (RFC 2253, control and non-ASCII characters escaped, cut to fit). */
static ccf_err cert_der(const char *pem, size_t index, uint8_t **der, size_t *len,
                        char name[ID_NAME_MAX])
{
    BIO *bio = BIO_new_mem_buf(pem, -1), *mem = BIO_new(BIO_s_mem());
    X509 *cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    unsigned char *p = NULL;
    int n = cert ? i2d_X509(cert, &p) : -1;
    char *subject = NULL;
    long sl = 0;
    if (n > 0 && mem != NULL &&
        X509_NAME_print_ex(mem, X509_get_subject_name(cert), 0, XN_FLAG_RFC2253) >= 0)
        sl = BIO_get_mem_data(mem, &subject);
    if (sl > 0)
        snprintf(name, ID_NAME_MAX, "identity %zu (%.*s)", index,
                 (int)(sl < ID_NAME_MAX - 40 ? sl : ID_NAME_MAX - 40), subject);
    else
        snprintf(name, ID_NAME_MAX, "identity %zu", index);
    X509_free(cert);
    BIO_free(bio);
    BIO_free(mem);
    if (n <= 0)
        return CCF_ERR_CRYPTO;
    *der = p; /* OPENSSL_malloc'd */
    *len = (size_t)n;
    return CCF_OK;
}

void ccf_instance_free(ccf_instance *inst)
{
    if (inst == NULL)
        return;
    for (size_t i = 0; inst->policy != NULL && i < inst->policy->identity_count; i++)
        OPENSSL_free(inst->id_der ? inst->id_der[i] : NULL);
    free(inst->id_der);
    free(inst->id_der_len);
    free(inst->id_name);
    while (inst->uploads != NULL)
        ccf_instance_upload_end(inst, inst->uploads);
    for (size_t i = 0; i < inst->nkeys; i++)
        OPENSSL_secure_clear_free(inst->keys[i].key, inst->keys[i].len);
    free(inst->keys);
    free(inst->unpacked);
    for (size_t i = 0; inst->modules != NULL && i < inst->policy->program_count; i++)
        ccf_wasm_module_free(inst->modules[i]);
    free(inst->modules);
    ccf_vfs_free(inst->vfs);
    for (size_t i = 0; inst->fifos != NULL && i < inst->policy->stream_file_count; i++)
        ccf_fifo_free(inst->fifos[i]);
    free(inst->fifos);
    ccf_guestcrypto_store_free(inst->guest_keys);
    ccf_policy_free(inst->policy);
    free(inst->text);
    free(inst);
}

/* The right each program has on its own secrets (read, as the spec's 8198),
 * added to its rights in this instance's copy of the policy (the policy text
 * and hash are untouched). */
static ccf_err grant_secrets(ccf_policy *p, char *err, size_t err_size)
{
    for (size_t k = 0; k < p->program_count; k++) {
        ccf_program *prog = &p->programs[k];
        if (prog->secret_count == 0)
            continue;
        ccf_file_right *items = realloc(prog->rights.items,
                                        (prog->rights.count + prog->secret_count) *
                                            sizeof *items);
        if (items == NULL)
            return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        prog->rights.items = items;
        for (size_t i = 0; i < prog->secret_count; i++) {
            size_t n = strlen(CCF_POLICY_SECRETS_DIR) + strlen(prog->secrets[i].name) + 1;
            char *name = malloc(n);
            if (name == NULL)
                return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            snprintf(name, n, "%s%s", CCF_POLICY_SECRETS_DIR, prog->secrets[i].name);
            items[prog->rights.count++] = (ccf_file_right){
                .file_name = name, .rights = CCF_FD_READ | CCF_FD_SEEK | CCF_PATH_OPEN};
        }
    }
    return CCF_OK;
}

ccf_err ccf_instance_new(const char *text, size_t len, const ccf_instance_limits *limits,
                         ccf_instance **out, char *err, size_t err_size)
{
    ccf_instance *inst = NULL;
    ccf_policy_errors errors;
    ccf_vfs_limits vl = {0};
    ccf_err rc;

    *out = NULL;
    if ((inst = calloc(1, sizeof *inst)) == NULL || (inst->text = malloc(len + 1)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(inst->text, text, len);
    inst->text[len] = '\0';
    inst->len = len;
    if (limits != NULL)
        inst->limits = *limits;
    if ((rc = ccf_guestcrypto_store_new(&inst->guest_keys, err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_policy_parse(text, len, CCF_POLICY_FULL, &inst->policy, &errors)) != CCF_OK) {
        const ccf_policy_error *e = &errors.items[0];
        if (errors.count == 0)
            ccf_errf(err, err_size, rc, "policy: %s", ccf_strerror(rc));
        else if (e->line > 0)
            ccf_errf(err, err_size, rc, "policy: line %d, column %d: %s", e->line, e->column,
                     e->message);
        else
            ccf_errf(err, err_size, rc, "policy: %s%s%s", e->path, e->path[0] ? ": " : "",
                     e->message);
        goto fail;
    }
    if (!ccf_policy_hash(text, len, inst->hash)) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot hash the policy");
        goto fail;
    }
    if ((rc = grant_secrets(inst->policy, err, err_size)) != CCF_OK)
        goto fail;
    if ((inst->unpacked = calloc(inst->policy->program_count + 1, sizeof *inst->unpacked)) ==
        NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    size_t n = inst->policy->identity_count;
    if ((inst->id_der = calloc(n + 1, sizeof *inst->id_der)) == NULL ||
        (inst->id_der_len = calloc(n + 1, sizeof *inst->id_der_len)) == NULL ||
        (inst->id_name = calloc(n + 1, sizeof *inst->id_name)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        if (cert_der(inst->policy->identities[i].certificate, i, &inst->id_der[i],
                     &inst->id_der_len[i], inst->id_name[i]) != CCF_OK) {
            rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "identities[%zu]: unusable certificate", i);
            goto fail;
        }
    }
    vl.max_total_bytes = inst->limits.max_instance_bytes;
    if (vl.max_total_bytes == 0 && inst->policy->has_max_memory_mib)
        vl.max_total_bytes = (uint64_t)inst->policy->max_memory_mib << 20;
    vl.max_file_bytes = inst->limits.max_file_bytes;
    /* as ccf_vfs_new applies them (vfs.h: 0 = 1 GiB; a file at most the total) */
    inst->max_total = vl.max_total_bytes ? vl.max_total_bytes : UINT64_C(1) << 30;
    inst->max_file = vl.max_file_bytes && vl.max_file_bytes < inst->max_total ? vl.max_file_bytes
                                                                              : inst->max_total;
    if ((inst->vfs = ccf_vfs_new(&vl)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    /* stream files exist from the start: a program may open one before its upload begins */
    size_t ns = inst->policy->stream_file_count;
    if (ns > 0 && (inst->fifos = calloc(ns, sizeof *inst->fifos)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < ns; i++) {
        ccf_wasi_errno e;
        if ((inst->fifos[i] = ccf_fifo_new((size_t)inst->limits.stream_buffer_bytes)) == NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto fail;
        }
        if ((e = ccf_vfs_put_fifo(inst->vfs, inst->policy->stream_files[i], inst->fifos[i])) !=
            WASI_ESUCCESS) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "stream_files[%zu] \"%s\": %s", i,
                          inst->policy->stream_files[i], ccf_wasi_errno_name(e));
            goto fail;
        }
    }
    *out = inst;
    return CCF_OK;
fail:
    ccf_instance_free(inst);
    return rc;
}

const ccf_policy *ccf_instance_policy(const ccf_instance *inst) { return inst->policy; }
ccf_vfs *ccf_instance_vfs(ccf_instance *inst) { return inst->vfs; }
const char *ccf_instance_policy_hash(const ccf_instance *inst) { return inst->hash; }

const char *ccf_instance_policy_text(const ccf_instance *inst, size_t *len)
{
    *len = inst->len;
    return inst->text;
}

int ccf_instance_identity_by_der(const ccf_instance *inst, const uint8_t *der, size_t len)
{
    for (size_t i = 0; i < inst->policy->identity_count; i++) {
        if (inst->id_der_len[i] == len && memcmp(inst->id_der[i], der, len) == 0)
            return (int)i;
    }
    return -1;
}

/* Normalises a client-supplied file name into out. A name whose parent
 * directories do not exist yet gives ENOENT; a malformed one another errno. */
static ccf_wasi_errno file_name(ccf_instance *inst, const char *name, char out[CCF_VFS_PATH_MAX],
                                char *msg, size_t msg_size)
{
    /* the host view: missing_or_forbidden decides what the caller is told */
    ccf_wasi_errno e = ccf_vfs_resolve(inst->vfs, NULL, "", name, strlen(name), false, out);
    if (e == WASI_ESUCCESS && out[0] == '\0')
        e = WASI_EISDIR;
    if (e != WASI_ESUCCESS)
        snprintf(msg, msg_size, "%s \"%.100s\": %s",
                 e == WASI_ENOENT ? "no such directory for" : "bad file name", name,
                 e == WASI_EISDIR ? "names the root" : ccf_wasi_errno_name(e));
    return e;
}

/* The pi_hash a file is pinned to (a program's or a listed data file's), or
 * NULL; *enc (may be NULL) is its encrypted declaration (kbs_resource NULL
 * when it arrives in plaintext). */
static const char *pinned_enc(const ccf_instance *inst, const char *path,
                              const ccf_encrypted **enc)
{
    const ccf_policy *p = inst->policy;
    for (size_t i = 0; i < p->program_count; i++) {
        if (strcmp(p->programs[i].program_file_name, path) == 0) {
            if (enc != NULL)
                *enc = &p->programs[i].encrypted;
            return p->programs[i].pi_hash;
        }
    }
    for (size_t i = 0; i < p->data_file_count; i++) {
        if (strcmp(p->data_files[i].data_file, path) == 0) {
            if (enc != NULL)
                *enc = &p->data_files[i].encrypted;
            return p->data_files[i].pi_hash;
        }
    }
    return NULL;
}

static const char *pinned(const ccf_instance *inst, const char *path)
{
    return pinned_enc(inst, path, NULL);
}

static ccf_err from_errno(ccf_wasi_errno e)
{
    switch (e) {
    case WASI_ESUCCESS: return CCF_OK;
    case WASI_ENOTCAPABLE: return CCF_ERR_DENIED;
    case WASI_ENOENT: return CCF_ERR_NOT_FOUND;
    case WASI_EFBIG:
    case WASI_ENOSPC: return CCF_ERR_TOO_LARGE;
    case WASI_ENOMEM: return CCF_ERR_INTERNAL;
    default: return CCF_ERR_INVALID;
    }
}

static bool hash_matches(const void *data, size_t len, const char *pi_hash)
{
    char hex[CCF_SHA256_HEX_LEN + 1];
    return ccf_sha256_hex(data, len, hex) && strcasecmp(hex, pi_hash) == 0;
}

static const ccf_file_rights *rights_of(const ccf_instance *inst, int who)
{
    return &inst->policy->identities[who].rights;
}

int ccf_instance_stream_index(const ccf_instance *inst, const char *name)
{
    for (size_t i = 0; i < inst->policy->stream_file_count; i++) {
        if (strcmp(inst->policy->stream_files[i], name) == 0)
            return (int)i;
    }
    return -1;
}

ccf_err ccf_instance_stream_begin(ccf_instance *inst, int who, const char *name, ccf_fifo **out,
                                  char *msg, size_t msg_size)
{
    int i = ccf_instance_stream_index(inst, name);
    *out = NULL;
    if (who < 0 || (size_t)who >= inst->policy->identity_count)
        return snprintf(msg, msg_size, "unknown identity"), CCF_ERR_DENIED;
    if (i < 0)
        return snprintf(msg, msg_size, "%.100s is not a stream file of the policy", name),
               CCF_ERR_NOT_FOUND;
    /* the policy alone decides (no file-system access: a program may be running) */
    uint32_t r = ccf_vfs_rights(rights_of(inst, who), name, false);
    if ((r & (CCF_PATH_OPEN | CCF_FD_WRITE)) != (CCF_PATH_OPEN | CCF_FD_WRITE)) {
        snprintf(msg, msg_size, "%s may not write %s", inst->id_name[who], name);
        return CCF_ERR_DENIED;
    }
    if (!ccf_fifo_attach_writer(inst->fifos[i])) {
        snprintf(msg, msg_size, "%s is a stream and was uploaded already (a stream is written once)",
                 name);
        return CCF_ERR_CONFLICT;
    }
    *out = inst->fifos[i];
    return CCF_OK;
}

/* A name that cannot be resolved: file names are no secret from identities
 * (they can read the policy), so one without any right on it gets 403, one
 * with rights 404 (its directory does not exist yet); a malformed name 400. */
static ccf_err missing_or_forbidden(ccf_instance *inst, int who, const char *name,
                                            ccf_wasi_errno e, char *msg, size_t msg_size)
{
    if (e != WASI_ENOENT)
        return CCF_ERR_INVALID;
    if (ccf_vfs_rights(rights_of(inst, who), name, false) == 0) {
        snprintf(msg, msg_size, "%s has no rights on %.100s", inst->id_name[who], name);
        return CCF_ERR_DENIED;
    }
    return CCF_ERR_NOT_FOUND;
}

static ccf_err pinned_append(const char *path, char *msg, size_t msg_size)
{
    snprintf(msg, msg_size, "%s is pinned to its pi_hash by the policy: it cannot be appended to",
             path);
    return CCF_ERR_CONFLICT;
}

/* The identity and the file a put names, into path. A file whose
 * directories are missing is fine when `who` may create it: they come with
 * it (made now when make_dirs, else only the check). */
static ccf_err put_target(ccf_instance *inst, int who, const char *name, bool make_dirs,
                                  char path[CCF_VFS_PATH_MAX], char *msg, size_t msg_size)
{
    ccf_wasi_errno e;
    if (who < 0 || (size_t)who >= inst->policy->identity_count)
        return snprintf(msg, msg_size, "unknown identity"), CCF_ERR_DENIED;
    if ((e = file_name(inst, name, path, msg, msg_size)) == WASI_ENOENT && ccf_file_name_plain(name) &&
        strlen(name) < CCF_VFS_PATH_MAX &&
        (ccf_vfs_rights(rights_of(inst, who), name, false) & CCF_PATH_CREATE_FILE)) {
        if (!make_dirs) {
            memcpy(path, name, strlen(name) + 1);
            e = WASI_ESUCCESS;
        } else if (ccf_vfs_make_parents(inst->vfs, name) == WASI_ESUCCESS) {
            e = file_name(inst, name, path, msg, msg_size);
        }
    }
    return e == WASI_ESUCCESS ? CCF_OK : missing_or_forbidden(inst, who, name, e, msg, msg_size);
}

/* Every check of a put before the file system's own: names, identity,
 * pinning. path receives the file's path. */
static ccf_err put_allowed(ccf_instance *inst, int who, const char *name,
                                   const uint8_t *data, size_t len, bool append,
                                   char path[CCF_VFS_PATH_MAX], char *msg, size_t msg_size)
{
    char hex[CCF_SHA256_HEX_LEN + 1];
    const char *pin;
    ccf_err st = put_target(inst, who, name, true, path, msg, msg_size);

    if (st != CCF_OK)
        return st;
    const ccf_encrypted *enc = NULL;
    if ((pin = pinned_enc(inst, path, &enc)) != NULL) {
        if (append)
            return pinned_append(path, msg, msg_size);
        if (enc->kbs_resource != NULL) /* an envelope: its own hash now, the plaintext's later */
            pin = enc->sha256;
        if (!hash_matches(data, len, pin)) {
            if (!ccf_sha256_hex(data, len, hex))
                hex[0] = '\0';
            snprintf(msg, msg_size, "%s: content hashes to %s, the policy pins %s; not stored", path,
                     hex, pin);
            return CCF_ERR_CONFLICT;
        }
    }
    return CCF_OK;
}

/* The outcome of a put (or of its checks) as a status and message. */
static ccf_err put_status(const ccf_instance *inst, ccf_wasi_errno e, int who, const char *path,
                          bool append, char *msg, size_t msg_size)
{
    switch (e) {
    case WASI_ESUCCESS: return CCF_OK;
    case WASI_ENOTCAPABLE:
        snprintf(msg, msg_size, "%s may not %s %s", inst->id_name[who], append ? "append to" : "write",
                 path);
        return CCF_ERR_DENIED;
    case WASI_EFBIG:
        snprintf(msg, msg_size, "%s would exceed the per-file limit", path);
        return CCF_ERR_TOO_LARGE;
    case WASI_ENOSPC:
        snprintf(msg, msg_size, "%s would exceed the instance's storage limit", path);
        return CCF_ERR_TOO_LARGE;
    default:
        snprintf(msg, msg_size, "%s: %s", path, ccf_wasi_errno_name(e));
        return from_errno(e);
    }
}

/* The key the instance fetched for resource, or NULL. */
static const struct instance_key *key_for(const ccf_instance *inst, const char *resource)
{
    for (size_t i = 0; i < inst->nkeys; i++)
        if (strcmp(inst->keys[i].resource, resource) == 0)
            return &inst->keys[i];
    return NULL;
}

/* An encrypted file's envelope (already matched to its pinned hash) into
 * its plaintext, with the key the instance fetched: *data and *len are
 * replaced (the envelope freed). The plaintext must hash to pi_hash. */
static ccf_err open_envelope(ccf_instance *inst, const char *path, const ccf_encrypted *enc,
                             uint8_t **data, size_t *len, char *msg, size_t msg_size)
{
    const struct instance_key *key = key_for(inst, enc->kbs_resource);
    char why[320];
    uint8_t *plain = NULL;
    ccf_envelope_info info;
    if (key == NULL) {
        snprintf(msg, msg_size, "%s is encrypted and this instance has no key for %s", path,
                 enc->kbs_resource);
        return CCF_ERR_INTERNAL;
    }
    if (ccf_envelope_open(key->key, *data, *len, &plain, &info, why, sizeof why) != CCF_OK) {
        snprintf(msg, msg_size, "%s: %s; not stored", path, why);
        return CCF_ERR_CONFLICT;
    }
    const char *pi_hash = pinned(inst, path);
    if (strcmp(info.kbs_resource, enc->kbs_resource) != 0 ||
        strcasecmp(info.plaintext_sha256, pi_hash) != 0) {
        snprintf(msg, msg_size, "%s: the envelope opens to plaintext %s, the policy pins %s; not "
                                "stored", path, info.plaintext_sha256, pi_hash);
        ccf_envelope_free(plain, (size_t)info.plaintext_size);
        return CCF_ERR_CONFLICT;
    }
    free(*data);
    *data = plain;
    *len = (size_t)info.plaintext_size;
    return CCF_OK;
}

/* The encrypted declaration of file i of the policy: its programs, then its
 * data files (i < program_count + data_file_count). */
static const ccf_encrypted *file_encrypted(const ccf_policy *p, size_t i)
{
    return i < p->program_count ? &p->programs[i].encrypted
                                : &p->data_files[i - p->program_count].encrypted;
}

/* How the files of the policy use key resource r: 1 only encrypted OCI layers,
 * 0 only envelopes (or none), -1 both. */
static int resource_layers(const ccf_policy *p, const char *r)
{
    bool layer = false, envelope = false;
    for (size_t i = 0; i < p->program_count + p->data_file_count; i++) {
        const ccf_encrypted *e = file_encrypted(p, i);
        if (e->kbs_resource != NULL && strcmp(e->kbs_resource, r) == 0)
            *(e->ocicrypt != NULL ? &layer : &envelope) = true;
    }
    return layer && envelope ? -1 : layer ? 1 : 0;
}

/* The private key of a key resource's PEM (NULL when it is none; one locked
 * by a passphrase is refused, never asked for: ccf_pki_key_from_pem). */
static EVP_PKEY *layer_key(const uint8_t *pem, size_t len)
{
    EVP_PKEY *k = NULL;
    char why[160];
    return ccf_pki_key_from_pem((const char *)pem, len, &k, why, sizeof why) == CCF_OK ? k : NULL;
}

/* ---- encrypted OCI layers (issue 20, docs/oci.md "In the instance") ------------------- */

/* The files taken from a layer: the program's module, or a data set's files. */
struct layer_take {
    ccf_instance *inst;
    bool program; /* keep only the last .wasm */
    struct {
        char *name;
        uint8_t *data;
        size_t len;
    } *files;
    size_t count;
    char why[300];
};

static void layer_take_free(struct layer_take *t)
{
    for (size_t i = 0; i < t->count; i++) {
        free(t->files[i].name);
        free(t->files[i].data);
    }
    free(t->files);
    t->files = NULL;
    t->count = 0;
}

/* ccf_oci_file_fn: a module replaces the one before it; a data set's file
 * must be new to the instance (not pinned, no stream, no secret, nothing
 * there yet) and appear once. */
static bool layer_file(const char *name, uint8_t **data, size_t len, void *ctx)
{
    struct layer_take *t = ctx;
    size_t nl = strlen(name);
    if (t->program && (nl < 5 || strcmp(name + nl - 5, ".wasm") != 0))
        return true;
    if (!t->program) {
        /* the refusal goes to the platform: it names a file only when the platform knows
         * that name anyway (the policy's, or one it wrote) */
        const char *clash = NULL, *unnamed = NULL;
        if (!ccf_file_name_plain(name) || nl >= CCF_VFS_PATH_MAX)
            unnamed = "a file of the layer has a name an instance cannot hold";
        else if (pinned(t->inst, name) != NULL || ccf_instance_stream_index(t->inst, name) >= 0)
            clash = "is a file of the policy";
        else if (strncmp(name, CCF_POLICY_SECRETS_DIR, strlen(CCF_POLICY_SECRETS_DIR)) == 0)
            unnamed = "a file of the layer is where application secrets are";
        else if (ccf_vfs_lookup(t->inst->vfs, name) != NULL)
            clash = "exists already";
        for (size_t i = 0; i < t->count && clash == NULL && unnamed == NULL; i++)
            if (strcmp(t->files[i].name, name) == 0)
                unnamed = "a file appears twice in the layer";
        if (unnamed != NULL)
            snprintf(t->why, sizeof t->why, "%s", unnamed);
        else if (clash != NULL)
            snprintf(t->why, sizeof t->why, "the layer's file \"%.100s\" %s", name, clash);
        if (unnamed != NULL || clash != NULL)
            return false;
    }
    if (t->program)
        layer_take_free(t);
    void *nf = realloc(t->files, (t->count + 1) * sizeof *t->files);
    char *n = strdup(name);
    if (nf != NULL)
        t->files = nf;
    if (nf == NULL || n == NULL) {
        free(n);
        snprintf(t->why, sizeof t->why, "out of memory");
        return false;
    }
    t->files[t->count].name = n;
    t->files[t->count].data = *data; /* taken, not copied */
    t->files[t->count++].len = len;
    *data = NULL;
    return true;
}

/* The program index of path, or -1. */
static long program_at(const ccf_instance *inst, const char *path)
{
    for (size_t i = 0; i < inst->policy->program_count; i++)
        if (strcmp(inst->policy->programs[i].program_file_name, path) == 0)
            return (long)i;
    return -1;
}

/* The data set's files into the file system, owned by the host (as secrets
 * are): all or none. */
static ccf_err layer_store(ccf_instance *inst, const char *path, struct layer_take *t, char *msg,
                           size_t msg_size)
{
    for (size_t i = 0; i < t->count; i++) {
        ccf_wasi_errno e = ccf_vfs_make_parents(inst->vfs, t->files[i].name);
        if (e == WASI_ESUCCESS) {
            e = ccf_vfs_put_owned(inst->vfs, NULL, t->files[i].name, t->files[i].data,
                                  t->files[i].len, false);
            t->files[i].data = NULL; /* the file system took it, whatever the outcome */
        }
        if (e != WASI_ESUCCESS) {
            snprintf(msg, msg_size, "%s: the layer's file %.100s: %s; not stored", path,
                     t->files[i].name, e == WASI_EFBIG    ? "over the per-file limit"
                                       : e == WASI_ENOSPC ? "over the instance's storage limit"
                                                          : ccf_wasi_errno_name(e));
            for (size_t j = 0; j < i; j++)
                (void)ccf_vfs_unlink(inst->vfs, NULL, t->files[j].name);
            return from_errno(e) == CCF_ERR_INVALID ? CCF_ERR_CONFLICT : from_errno(e);
        }
    }
    return CCF_OK;
}

/* An encrypted OCI layer uploaded as path (its blob already matched to
 * encrypted.sha256): opened in place with the key broker's private key, its
 * tar must hash to pi_hash (the image's diff_id). A program takes the layer's
 * last .wasm file (*data, *len replaced; its hash is what executions check);
 * a data set's files are stored at their paths in the layer and *stored says
 * path itself gets nothing. *data may be NULL afterwards (freed). */
static ccf_err open_layer(ccf_instance *inst, const char *path, const ccf_encrypted *enc,
                          uint8_t **data, size_t *len, bool *stored, char *msg, size_t msg_size)
{
    const struct instance_key *key = key_for(inst, enc->kbs_resource);
    char why[400];
    long prog = program_at(inst, path);
    struct layer_take take = {.inst = inst, .program = prog >= 0};
    ccf_err st;
    *stored = false;
    if (key == NULL) {
        snprintf(msg, msg_size, "%s is encrypted and this instance has no key for %s", path,
                 enc->kbs_resource);
        return CCF_ERR_INTERNAL;
    }
    EVP_PKEY *pk = layer_key(key->key, key->len);
    if (pk == NULL) {
        snprintf(msg, msg_size, "%s: the key of %s is no private key", path, enc->kbs_resource);
        return CCF_ERR_INTERNAL;
    }
    /* in place: the ciphertext becomes the plain layer, no second copy of it */
    st = ccf_ocicrypt_layer_open(*data, *len, enc->ocicrypt->keys_jwe, enc->ocicrypt->pubopts, pk,
                                 pinned(inst, path), inst->max_total, why, sizeof why);
    EVP_PKEY_free(pk);
    if (st != CCF_OK) {
        snprintf(msg, msg_size, "%s: encrypted OCI layer (key %s): %s; not stored", path,
                 enc->kbs_resource, why);
        return st == CCF_ERR_NOMEM || st == CCF_ERR_TOO_LARGE ? st : CCF_ERR_CONFLICT;
    }
    st = ccf_oci_layer_files(*data, *len, (size_t)inst->max_file, layer_file, &take, why,
                             sizeof why);
    OPENSSL_cleanse(*data, *len); /* the plain layer: its files are taken, it goes */
    free(*data);
    *data = NULL;
    *len = 0;
    if (st != CCF_OK || take.why[0] != '\0') {
        if (st == CCF_ERR_TOO_LARGE) /* its message names the file: not for the platform */
            snprintf(why, sizeof why, "a file of the layer is over the per-file limit of %llu "
                     "bytes", (unsigned long long)inst->max_file);
        snprintf(msg, msg_size, "%s: encrypted OCI layer: %s; not stored", path,
                 take.why[0] ? take.why : why);
        layer_take_free(&take);
        return st == CCF_ERR_TOO_LARGE || st == CCF_ERR_NOMEM ? st : CCF_ERR_CONFLICT;
    }
    if (prog < 0) {
        st = layer_store(inst, path, &take, msg, msg_size);
        *stored = st == CCF_OK;
    } else if (take.count == 0) {
        snprintf(msg, msg_size, "%s: the encrypted OCI layer holds no .wasm file; not stored", path);
        st = CCF_ERR_CONFLICT;
    } else if (!ccf_sha256_hex(take.files[0].data, take.files[0].len, inst->unpacked[prog])) {
        snprintf(msg, msg_size, "cannot hash the program");
        st = CCF_ERR_INTERNAL;
    } else {
        *data = take.files[0].data;
        *len = take.files[0].len;
        take.files[0].data = NULL;
    }
    layer_take_free(&take);
    return st;
}

/* What program i's bytes must hash to when executed: its pi_hash, or for an
 * encrypted OCI layer the module taken from it ("" before it arrived). */
static const char *program_pin(const ccf_instance *inst, size_t i)
{
    return inst->policy->programs[i].encrypted.ocicrypt != NULL ? inst->unpacked[i]
                                                                 : inst->policy->programs[i].pi_hash;
}

/* The key broker resource of encrypted file or secret number i (files
 * first, then each program's secrets), or NULL past the end; *is_key says which. */
static const char *resource_at(const ccf_policy *p, size_t i, bool *is_key)
{
    size_t nfiles = p->program_count + p->data_file_count;
    *is_key = i < nfiles;
    if (i < nfiles) {
        const char *r = file_encrypted(p, i)->kbs_resource;
        return r ? r : "";
    }
    i -= nfiles;
    for (size_t k = 0; k < p->program_count; k++) {
        if (i < p->programs[k].secret_count)
            return p->programs[k].secrets[i].kbs_resource;
        i -= p->programs[k].secret_count;
    }
    return NULL;
}

size_t ccf_instance_kbs_resources(const ccf_instance *inst, const char **out, size_t max)
{
    size_t n = 0;
    bool key;
    const char *r;
    for (size_t i = 0; (r = resource_at(inst->policy, i, &key)) != NULL; i++) {
        bool seen = r[0] == '\0';
        for (size_t j = 0; j < n && j < max && !seen; j++)
            seen = strcmp(out[j], r) == 0;
        if (!seen) {
            if (n < max)
                out[n] = r;
            n++;
        }
    }
    return n;
}

/* Application secrets of resource: each as the file secrets/NAME, owned by
 * the host (only the declaring program holds a right on it). */
static ccf_err put_secrets(ccf_instance *inst, const char *resource, const uint8_t *bytes,
                           size_t len, char *msg, size_t msg_size)
{
    const ccf_policy *p = inst->policy;
    for (size_t k = 0; k < p->program_count; k++) {
        for (size_t i = 0; i < p->programs[k].secret_count; i++) {
            const ccf_secret *sec = &p->programs[k].secrets[i];
            char path[CCF_VFS_PATH_MAX];
            if (strcmp(sec->kbs_resource, resource) != 0)
                continue;
            snprintf(path, sizeof path, "%s%s", CCF_POLICY_SECRETS_DIR, sec->name);
            uint8_t *copy = malloc(len > 0 ? len : 1);
            if (copy == NULL)
                return snprintf(msg, msg_size, "out of memory"), CCF_ERR_NOMEM;
            memcpy(copy, bytes, len);
            ccf_wasi_errno e = ccf_vfs_make_parents(inst->vfs, path);
            if (e == WASI_ESUCCESS && len > 0) {
                e = ccf_vfs_put_owned(inst->vfs, NULL, path, copy, len, false); /* takes copy */
            } else {
                if (e == WASI_ESUCCESS) /* an empty secret: no buffer to hand over */
                    e = ccf_vfs_put_owned(inst->vfs, NULL, path, NULL, 0, false);
                free(copy);
            }
            if (e != WASI_ESUCCESS)
                return snprintf(msg, msg_size, "secret %s: %s", sec->name,
                                ccf_wasi_errno_name(e)),
                       from_errno(e);
        }
    }
    return CCF_OK;
}

ccf_err ccf_instance_add_resource(ccf_instance *inst, const char *resource, const uint8_t *bytes,
                                  size_t len, char *msg, size_t msg_size)
{
    const char *r = NULL;
    bool key = false, is_key;
    const char *at;
    for (size_t i = 0; (at = resource_at(inst->policy, i, &is_key)) != NULL; i++)
        if (strcmp(at, resource) == 0) {
            r = at;
            key |= is_key;
        }
    if (r == NULL)
        return snprintf(msg, msg_size, "%s is no resource of this policy", resource),
               CCF_ERR_INVALID;
    ccf_err st = put_secrets(inst, r, bytes, len, msg, msg_size);
    if (st != CCF_OK || !key)
        return st;
    int layers = resource_layers(inst->policy, r);
    if (layers < 0)
        return snprintf(msg, msg_size, "key broker resource %s is named by envelopes and by "
                                       "encrypted OCI layers: one key cannot be both", resource),
               CCF_ERR_INVALID;
    if (layers == 0 && len != CCF_GCM_KEY_LEN)
        return snprintf(msg, msg_size, "key broker resource %s holds %zu bytes; an envelope key "
                                       "is %d", resource, len, CCF_GCM_KEY_LEN),
               CCF_ERR_INVALID;
    EVP_PKEY *pk = layers > 0 ? layer_key(bytes, len) : NULL;
    if (layers > 0 && pk == NULL) /* never the bytes: they are a secret */
        return snprintf(msg, msg_size, "key broker resource %s is not a PEM private key (what "
                                       "opens encrypted OCI layers, docs/oci.md)", resource),
               CCF_ERR_INVALID;
    EVP_PKEY_free(pk);
    struct instance_key *k = realloc(inst->keys, (inst->nkeys + 1) * sizeof *k);
    if (k == NULL)
        return snprintf(msg, msg_size, "out of memory"), CCF_ERR_NOMEM;
    inst->keys = k;
    uint8_t *copy = OPENSSL_secure_malloc(len);
    if (copy == NULL)
        return snprintf(msg, msg_size, "out of memory"), CCF_ERR_NOMEM;
    memcpy(copy, bytes, len);
    inst->keys[inst->nkeys++] = (struct instance_key){.resource = r, .key = copy, .len = len};
    return CCF_OK;
}


/* "JIT" policies (issue 22): the module of program `index`, loaded and compiled from bytes
 * that matched its pi_hash, kept for every later execution (its bytes cannot change without
 * failing that hash). A module the compiler refuses (v128/SIMD) is kept interpreted.
 * NULL when the bytes do not load or memory runs out (err says why). */
static ccf_wasm_module *jit_module(ccf_instance *inst, size_t index, const uint8_t *bytes, size_t len,
                                   char *err, size_t err_size)
{
    if (inst->modules == NULL &&
        (inst->modules = calloc(inst->policy->program_count + 1, sizeof *inst->modules)) == NULL) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    if (inst->modules[index] != NULL)
        return inst->modules[index];
    ccf_wasm_module *m = NULL;
    if (ccf_wasm_load(bytes, len, &m, err, err_size) != CCF_OK)
        return NULL;
    char jerr[200];
    ccf_err e = ccf_wasm_jit_compile(m, jerr, sizeof jerr);
    if (e != CCF_OK && e != CCF_ERR_UNSUPPORTED) {
        snprintf(err, err_size, "compiling: %.200s", jerr);
        ccf_wasm_module_free(m);
        return NULL;
    }
    inst->modules[index] = m;
    return m;
}

/* A program of a "JIT" policy has arrived: compile it now, not on its first request. */
static void compile_arrived(ccf_instance *inst, const char *path)
{
    const ccf_policy *p = inst->policy;
    uint8_t *bytes = NULL;
    size_t len = 0;
    char err[256];
    if (strcmp(p->execution_strategy, "JIT") != 0)
        return;
    for (size_t i = 0; i < p->program_count; i++) {
        if (strcmp(p->programs[i].program_file_name, path) != 0)
            continue;
        if (inst->modules != NULL && inst->modules[i] != NULL) {
            ccf_wasm_module_free(inst->modules[i]); /* replaced by new bytes with the same hash */
            inst->modules[i] = NULL;
        }
        if (ccf_vfs_get(inst->vfs, NULL, path, &bytes, &len) == WASI_ESUCCESS &&
            hash_matches(bytes, len, program_pin(inst, i)))
            (void)jit_module(inst, i, bytes, len, err, sizeof err); /* a failure shows at execution */
        free(bytes);
        return;
    }
}

ccf_err ccf_instance_put(ccf_instance *inst, int who, const char *name, uint8_t *data,
                                 size_t len, bool append, char *msg, size_t msg_size)
{
    char path[CCF_VFS_PATH_MAX];
    const ccf_encrypted *enc = NULL;
    ccf_err st = put_allowed(inst, who, name, data, len, append, path, msg, msg_size);
    bool stored = false;
    if (st == CCF_OK && pinned_enc(inst, path, &enc) != NULL && enc->kbs_resource != NULL)
        st = enc->ocicrypt != NULL
                 ? open_layer(inst, path, enc, &data, &len, &stored, msg, msg_size)
                 : open_envelope(inst, path, enc, &data, &len, msg, msg_size);
    if (st != CCF_OK || stored) { /* stored: a data set's layer, unpacked */
        free(data);
        return st;
    }
    ccf_wasi_errno e = ccf_vfs_put_owned(inst->vfs, rights_of(inst, who), path, data, len, append);
    st = put_status(inst, e, who, path, append, msg, msg_size);
    if (st == CCF_OK)
        compile_arrived(inst, path);
    return st;
}

/* The checks of a put that need neither content nor size: identity, name,
 * write right, appending to a pinned file. path receives the file's path. */
static ccf_err put_may(ccf_instance *inst, int who, const char *name, bool append,
                       char path[CCF_VFS_PATH_MAX], char *msg, size_t msg_size)
{
    uint32_t r;
    ccf_err st = put_target(inst, who, name, false, path, msg, msg_size);

    if (st != CCF_OK)
        return st;
    r = ccf_vfs_rights(rights_of(inst, who), path, false);
    if ((r & (CCF_PATH_OPEN | CCF_FD_WRITE)) != (CCF_PATH_OPEN | CCF_FD_WRITE))
        return put_status(inst, WASI_ENOTCAPABLE, who, path, append, msg, msg_size);
    if (append && pinned(inst, path) != NULL)
        return pinned_append(path, msg, msg_size);
    return CCF_OK;
}

ccf_err ccf_instance_put_check(ccf_instance *inst, int who, const char *name, uint64_t len,
                                       bool append, char *msg, size_t msg_size)
{
    char path[CCF_VFS_PATH_MAX];
    ccf_err st = put_may(inst, who, name, append, path, msg, msg_size);

    if (st != CCF_OK)
        return st;
    return put_status(inst, ccf_vfs_room(inst->vfs, path, len, append), who, path, append, msg, msg_size);
}

/* ---- reservations of uploads in flight (instance.h) ----------------------------- */

/* The size of the regular file at a normalised path (0: none). */
static uint64_t file_size(const ccf_instance *inst, const char *path)
{
    const ccf_vfs_node *n = ccf_vfs_lookup(inst->vfs, path);
    return n != NULL && ccf_vfs_node_type(n) == WASI_FILETYPE_REGULAR_FILE ? ccf_vfs_node_size(n) : 0;
}

static uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* Whether a body of len bytes (appended to the file's current size, or
 * replacing it) stays within the per-file limit; else the message. */
static ccf_err within_file_limit(ccf_instance *inst, const ccf_upload *up, uint64_t len, char *msg,
                                 size_t msg_size)
{
    uint64_t size = up->append ? add_sat(file_size(inst, up->path), len) : len;
    if (size <= inst->max_file)
        return CCF_OK;
    snprintf(msg, msg_size, "%s would be %llu bytes, over the per-file limit of %llu", up->path,
             (unsigned long long)size, (unsigned long long)inst->max_file);
    return CCF_ERR_TOO_LARGE;
}

/* Sets up's charge to `charge` bytes if files + the other uploads' charges +
 * it fit the instance's total; else says why (fig, msg) and changes nothing. */
static ccf_err charge_upload(ccf_instance *inst, ccf_upload *up, uint64_t charge,
                             ccf_storage_figures *fig, char *msg, size_t msg_size)
{
    uint64_t others = inst->reserved - up->charge;
    uint64_t used = ccf_vfs_bytes_used(inst->vfs);
    if (add_sat(add_sat(used, others), charge) <= inst->max_total) {
        inst->reserved = others + charge;
        up->charge = charge;
        return CCF_OK;
    }
    *fig = (ccf_storage_figures){.limit = inst->max_total, .used = used, .reserved = others,
                                 .asked = charge};
    snprintf(msg, msg_size,
             "%s: the instance's storage limit is %llu bytes: %llu in files, %llu reserved by "
             "uploads in progress, this upload asks %llu%s",
             up->path, (unsigned long long)fig->limit, (unsigned long long)fig->used,
             (unsigned long long)fig->reserved, (unsigned long long)fig->asked,
             up->credit > 0 ? " (its length less the bytes of the file it replaces)" : "");
    return CCF_ERR_TOO_LARGE;
}

ccf_err ccf_instance_upload_begin(ccf_instance *inst, int who, const char *name, uint64_t len,
                                  bool append, bool open_ended, ccf_upload **out,
                                  ccf_storage_figures *fig, char *msg, size_t msg_size)
{
    ccf_upload *up;
    ccf_err st;

    *out = NULL;
    memset(fig, 0, sizeof *fig);
    if (open_ended)
        len = 0;
    if ((up = calloc(1, sizeof *up)) == NULL) {
        snprintf(msg, msg_size, "out of memory");
        return CCF_ERR_INTERNAL;
    }
    up->append = append;
    up->open_ended = open_ended;
    if ((st = put_may(inst, who, name, append, up->path, msg, msg_size)) != CCF_OK ||
        (st = within_file_limit(inst, up, len, msg, msg_size)) != CCF_OK)
        goto fail;
    if (!append) {
        /* the replaced file's bytes, each credited to one upload only */
        uint64_t old = file_size(inst, up->path), claimed = 0;
        for (const ccf_upload *o = inst->uploads; o != NULL; o = o->next) {
            if (!o->append && strcmp(o->path, up->path) == 0)
                claimed = add_sat(claimed, o->credit);
        }
        up->credit = old > claimed ? old - claimed : 0;
        if (!open_ended && up->credit > len)
            up->credit = len;
    }
    if ((st = charge_upload(inst, up, len > up->credit ? len - up->credit : 0, fig, msg,
                            msg_size)) != CCF_OK)
        goto fail;
    up->next = inst->uploads;
    if (inst->uploads != NULL)
        inst->uploads->prev = up;
    inst->uploads = up;
    *out = up;
    return CCF_OK;
fail:
    free(up);
    return st;
}

ccf_err ccf_instance_upload_grow(ccf_instance *inst, ccf_upload *up, uint64_t len,
                                 ccf_storage_figures *fig, char *msg, size_t msg_size)
{
    ccf_err st;
    memset(fig, 0, sizeof *fig);
    if ((st = within_file_limit(inst, up, len, msg, msg_size)) != CCF_OK)
        return st;
    return charge_upload(inst, up, len > up->credit ? len - up->credit : 0, fig, msg, msg_size);
}

void ccf_instance_upload_end(ccf_instance *inst, ccf_upload *up)
{
    if (up == NULL)
        return;
    inst->reserved -= up->charge;
    if (up->prev != NULL)
        up->prev->next = up->next;
    else
        inst->uploads = up->next;
    if (up->next != NULL)
        up->next->prev = up->prev;
    free(up);
}

void ccf_instance_storage(const ccf_instance *inst, ccf_storage_figures *fig)
{
    *fig = (ccf_storage_figures){.limit = inst->max_total, .used = ccf_vfs_bytes_used(inst->vfs),
                                 .reserved = inst->reserved};
}

ccf_err ccf_instance_open_read(ccf_instance *inst, int who, const char *name,
                                       ccf_vfs_node **node, char *msg, size_t msg_size)
{
    char path[CCF_VFS_PATH_MAX];
    ccf_wasi_errno e;

    *node = NULL;
    if (who < 0 || (size_t)who >= inst->policy->identity_count)
        return snprintf(msg, msg_size, "unknown identity"), CCF_ERR_DENIED;
    if ((e = file_name(inst, name, path, msg, msg_size)) != WASI_ESUCCESS)
        return missing_or_forbidden(inst, who, name, e, msg, msg_size);
    e = ccf_vfs_open_read(inst->vfs, rights_of(inst, who), path, node);
    if (e == WASI_ESUCCESS && ccf_vfs_node_fifo(*node) != NULL) {
        ccf_vfs_release(inst->vfs, *node);
        *node = NULL;
        snprintf(msg, msg_size, "%s is a stream (the policy's stream_files): programs read it "
                                "while it is uploaded; it is never stored to be downloaded", path);
        return CCF_ERR_CONFLICT;
    }
    /* File names are no secret from identities (they can read the policy):
     * lacking the right is 403, a file not there (yet) 404. */
    if (e == WASI_ENOTCAPABLE ||
        (e == WASI_ENOENT && ccf_vfs_rights(rights_of(inst, who), path, false) == 0)) {
        snprintf(msg, msg_size, "%s may not read %s", inst->id_name[who], path);
        return CCF_ERR_DENIED;
    }
    if (e == WASI_ENOENT) {
        snprintf(msg, msg_size, "%s does not exist (yet)", path);
        return CCF_ERR_NOT_FOUND;
    }
    if (e != WASI_ESUCCESS)
        snprintf(msg, msg_size, "%s: %s", path, ccf_wasi_errno_name(e));
    return from_errno(e);
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

ccf_err ccf_instance_execute(ccf_instance *inst, int who, const char *program,
                                     ccf_exec_result *res, char *msg, size_t msg_size)
{
    const ccf_policy *p = inst->policy;
    const ccf_program *prog = NULL;
    size_t index = 0;
    uint8_t *bytes = NULL;
    size_t len = 0;
    ccf_wasm_module *module = NULL;
    ccf_wasi_config cfg;
    ccf_wasi_result wr;
    ccf_guestcrypto_run *crypto = NULL;
    ccf_wasi_host_module crypto_module;
    ccf_err st = CCF_OK;
    const char *argv[1];
    char err[256];
    uint64_t start = now_us();

    memset(res, 0, sizeof *res);
    for (size_t i = 0; i < p->program_count; i++) {
        if (strcmp(p->programs[i].program_file_name, program) == 0) {
            prog = &p->programs[i];
            index = i;
        }
    }
    if (prog == NULL) {
        snprintf(msg, msg_size, "the policy has no program \"%.100s\"", program);
        return CCF_ERR_NOT_FOUND;
    }
    if (who < 0 || !ccf_policy_may_execute(p, (size_t)who, index)) {
        snprintf(msg, msg_size, "%s may not execute %s", inst->id_name[who], program);
        return CCF_ERR_DENIED;
    }
    if (ccf_vfs_get(inst->vfs, NULL, program, &bytes, &len) != WASI_ESUCCESS) {
        snprintf(msg, msg_size, "%s has not been uploaded", program);
        return CCF_ERR_NOT_FOUND;
    }
    /* Checked at upload; checked again, as a program may have rewritten it. */
    if (!hash_matches(bytes, len, program_pin(inst, index))) {
        snprintf(msg, msg_size, "%s no longer matches its pi_hash", program);
        st = CCF_ERR_CONFLICT;
        goto out;
    }
    /* "Interpretation": loaded per execution, the compiler never touched; "JIT": the
     * module compiled when the program arrived (or now, for a program that came another way) */
    const ccf_wasm_module *run = NULL;
    if (strcmp(p->execution_strategy, "JIT") == 0)
        run = jit_module(inst, index, bytes, len, err, sizeof err);
    else if (ccf_wasm_load(bytes, len, &module, err, sizeof err) == CCF_OK)
        run = module;
    if (run == NULL) {
        snprintf(msg, msg_size, "%s is not a valid WebAssembly module: %s", program, err);
        st = CCF_ERR_INVALID;
        goto out;
    }
    memset(&cfg, 0, sizeof cfg);
    argv[0] = program;
    cfg.vfs = inst->vfs;
    cfg.rights = &prog->rights;
    cfg.argv = argv;
    cfg.argc = 1;
    cfg.enable_clock = p->enable_clock;
    for (size_t i = 0; i < p->std_stream_count; i++) {
        const ccf_std_stream *s = &p->std_streams[i];
        cfg.std[s->stream] = (ccf_wasi_stream){
            .kind = CCF_WASI_STREAM_FILE, .file_name = s->file_name, .rights = s->rights};
    }
    /* What debug mode adds (docs/attestation.md): the program's stderr goes to
     * the runtime's own log, which the host reads. Bound into the evidence, so
     * clients know, and refuse it unless they trust debug instances. */
    if (p->debug)
        cfg.std[CCF_STDERR] = (ccf_wasi_stream){.kind = CCF_WASI_STREAM_HOST,
                                                .host_fd = STDERR_FILENO};
    cfg.limits.fuel = inst->limits.fuel;
    cfg.deadline_ms = inst->limits.deadline_ms;
    if (p->has_max_memory_mib)
        cfg.limits.max_memory_pages = (uint32_t)(p->max_memory_mib * 16);
    /* the guest crypto module, its keys scoped to this program (docs/guest-crypto.md) */
    if ((st = ccf_guestcrypto_run_new(inst->guest_keys, program, &crypto, err, sizeof err)) !=
        CCF_OK) {
        snprintf(msg, msg_size, "%s cannot run: %s", program, err);
        goto out;
    }
    crypto_module = ccf_guestcrypto_module(crypto);
    cfg.host_modules = &crypto_module;
    cfg.n_host_modules = 1;
    if (ccf_wasi_run(run, &cfg, &wr, err, sizeof err) != CCF_OK) {
        snprintf(msg, msg_size, "%s cannot run: %s", program, err);
        st = CCF_ERR_INVALID;
        goto out;
    }
    res->trapped = !wr.exited;
    res->exit_code = wr.exit_code;
    snprintf(res->trap, sizeof res->trap, "%s", wr.exited ? "" : wr.message);
out:
    res->duration_us = now_us() - start;
    ccf_guestcrypto_run_free(crypto);
    ccf_wasm_module_free(module);
    free(bytes);
    return st;
}
