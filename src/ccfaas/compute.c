/* POST /computation (issue 20, docs/tasks.md "The Cocos flow"): a Cocos
 * computation manifest run as a task. CCFaaS pulls the algorithm (a
 * WebAssembly module: an OCI artifact layer, or a .wasm file in an image
 * layer) and the datasets (the files of their images' layers) from their OCI
 * registries, every byte checked against its digest, registers a function
 * of its own for the algorithm (read rights on the dataset files, write on
 * `output`), and runs it as a task whose inputs are the dataset files; the
 * function goes when the task ends.
 *
 * Encrypted images (ocicrypt, as skopeo makes them): CCFaaS pulls only the
 * ciphertext and never holds a key. Each encrypted layer becomes a program
 * or data file of the function declared `encrypted` with the layer's
 * descriptor (docs/policy.md "Encrypted OCI layers"), pinned by its digest
 * and its diff_id from the image config; the instance fetches the private
 * key from the key broker after its attestation and opens the layers. */
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccfaas/computation.h"
#include "ccfaas/internal.h"
#include "ccfaas/task_request.h"
#include "common/crypto.h"
#include "oci/oci.h"

#define MAX_BLOB (256u * 1024u * 1024u)
#define OUTPUT "output"
#define ALGORITHM "algorithm.wasm"

/* Docker's rule: registries on loopback speak plain HTTP. */
static bool loopback_host(const char *host)
{
    return strncmp(host, "localhost", 9) == 0 || strncmp(host, "127.", 4) == 0 ||
           strncmp(host, "[::1]", 5) == 0;
}

/* Basic credentials for the registries, from the request (never stored). */
struct creds {
    char user[256], password[256];
    bool set;
};

static ccf_oci_pull_opts pull_opts(const ccf_oci_ref *ref, const struct creds *c)
{
    return (ccf_oci_pull_opts){.insecure_http = loopback_host(ref->host), .max_blob = MAX_BLOB,
                               .username = c->set ? c->user : NULL,
                               .password = c->set ? c->password : NULL};
}

/* Header name, the standard base64 of something (the manifest has no place
 * for what travels beside it), decoded into *out (malloc'd, NUL-terminated;
 * NULL when the header is absent); false with why when its text is over
 * max_kib KiB or not base64. */
static bool header_b64(const ccf_http_request *req, const char *name, size_t max_kib,
                       uint8_t **out, size_t *len, char *why, size_t why_size)
{
    const char *h = ccf_http_request_header(req, name);
    *out = NULL;
    *len = 0;
    if (h == NULL)
        return true;
    if (strlen(h) > max_kib * 1024) {
        snprintf(why, why_size, "over %zu KiB", max_kib);
        return false;
    }
    return ccf_base64_decode(h, strlen(h), out, len, why, why_size) == CCF_OK;
}

/* Header CCFaaS-Registry-Auth: base64 of USER:PASSWORD (as HTTP basic auth). */
static bool registry_creds(const ccf_http_request *req, struct creds *c)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    char why[80];
    memset(c, 0, sizeof *c);
    if (!header_b64(req, "CCFaaS-Registry-Auth", 1, &buf, &n, why, sizeof why))
        return false;
    if (buf == NULL)
        return true;
    char *colon = strchr((char *)buf, ':');
    bool ok = colon != NULL && colon != (char *)buf && strlen((char *)buf) == n &&
              (size_t)(colon - (char *)buf) < sizeof c->user && strlen(colon + 1) < sizeof c->password;
    if (ok) {
        memcpy(c->user, buf, (size_t)(colon - (char *)buf));
        snprintf(c->password, sizeof c->password, "%s", colon + 1);
        c->set = true;
    }
    OPENSSL_cleanse(buf, n);
    free(buf);
    return ok;
}

/* Header CCFaaS-Result-Key: the base64 of the public JWK the result is
 * encrypted to (a task's result_key), into *jwk (NULL when absent); false
 * with why. */
static bool result_key_header(const ccf_http_request *req, json_t **jwk, char *why,
                              size_t why_size)
{
    uint8_t *text = NULL;
    size_t len = 0;
    char sub[300];
    *jwk = NULL;
    bool ok = header_b64(req, "CCFaaS-Result-Key", 64, &text, &len, sub, sizeof sub);
    if (ok && text != NULL &&
        (*jwk = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL)) == NULL) {
        snprintf(sub, sizeof sub, "not JSON");
        ok = false;
    }
    free(text);
    if (!ok) /* the header's form; else the key's own fault */
        snprintf(why, why_size, "%s: expected the base64 of a public JWK (EC P-256 or RSA)", sub);
    else if (*jwk != NULL && ccf_task_result_key_check(*jwk, "the key", why, why_size) != CCF_OK)
        ok = false;
    return ok;
}

static bool wasm_media_type(const char *mt)
{
    return strcmp(mt, "application/wasm") == 0 || strstr(mt, "wasm") != NULL;
}

static bool tar_media_type(const char *mt)
{
    return strstr(mt, "tar") != NULL || strstr(mt, "rootfs") != NULL;
}

/* ocicrypt's media types: the plain layer's + "+encrypted" */
static bool encrypted_media_type(const char *mt)
{
    size_t n = strlen(mt), k = strlen("+encrypted");
    return n > k && strcmp(mt + n - k, "+encrypted") == 0;
}

/* The files of a pulled image: name, bytes. */
struct files {
    ccf_task_item *items;
    size_t count, cap;
    const char *only_suffix; /* keep only names ending so (the algorithm's ".wasm") */
    char err[300];
};

/* ccf_oci_file_fn: *data is taken (never NULL: the layer reader and
 * ccf_oci_pull_blob give a buffer even for 0 bytes). */
static bool add_file(const char *path, uint8_t **data, size_t len, void *ctx)
{
    struct files *f = ctx;
    size_t pl = strlen(path), sl = f->only_suffix ? strlen(f->only_suffix) : 0;
    if (sl > 0 && (pl < sl || strcmp(path + pl - sl, f->only_suffix) != 0))
        return true;
    if (!ccf_task_file_name_ok(path)) {
        snprintf(f->err, sizeof f->err, "file \"%.100s\" has a name an instance cannot hold",
                 path);
        return false;
    }
    for (size_t i = 0; i < f->count; i++) { /* a later layer replaces the file */
        if (strcmp(f->items[i].name, path) == 0) {
            free(f->items[i].data);
            f->items[i].data = *data;
            f->items[i].len = len;
            *data = NULL;
            return true;
        }
    }
    if (f->count == CCF_TASK_MAX_ITEMS) {
        snprintf(f->err, sizeof f->err, "more than %d files", CCF_TASK_MAX_ITEMS);
        return false;
    }
    if (f->count == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 8;
        ccf_task_item *ni = realloc(f->items, nc * sizeof *ni);
        if (ni == NULL)
            goto nomem;
        f->items = ni;
        f->cap = nc;
    }
    ccf_task_item *it = &f->items[f->count];
    memset(it, 0, sizeof *it);
    if ((it->name = strdup(path)) == NULL)
        goto nomem;
    it->data = *data;
    it->len = len;
    *data = NULL;
    f->count++;
    return true;
nomem:
    snprintf(f->err, sizeof f->err, "out of memory");
    return false;
}

static void files_free(struct files *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].name);
        free(f->items[i].data);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

/* 502 for what the registry did (digest_mismatch when a byte was not what its
 * digest says), 400 for what the image holds. */
static void respond_pull(ccf_http_response *resp, ccf_err rc, const char *what, const char *err)
{
    if (strstr(err, "digest mismatch") != NULL)
        ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "digest_mismatch", "pull", NULL,
                                 "%s: %s", what, err);
    else if (rc == CCF_ERR_INVALID || rc == CCF_ERR_TOO_LARGE)
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL, "%s: %s",
                                 what, err);
    else
        ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "registry_failed", "pull", NULL,
                                 "%s: %s", what, err);
}

/* Pulls an image's files into f: artifact layers (not tar) by their title,
 * tar layers file by file. false with the error in resp. */
static bool pull_files(const ccf_computation_source *src, const struct creds *c,
                       const char *what, struct files *f, char digest[CCF_OCI_DIGEST_LEN + 1],
                       ccf_http_response *resp)
{
    ccf_oci_manifest m = {0};
    ccf_oci_pull_opts o = pull_opts(&src->ref, c);
    char err[600] = "";
    uint8_t *blob = NULL;
    size_t len = 0;
    ccf_err rc = ccf_oci_pull_manifest(&src->ref, &o, &m, digest, err, sizeof err);
    if (rc != CCF_OK) {
        respond_pull(resp, rc, what, err);
        return false;
    }
    for (size_t i = 0; i < m.layer_count; i++) {
        const ccf_oci_descriptor *d = &m.layers[i];
        bool wasm = wasm_media_type(d->media_type);
        if (encrypted_media_type(d->media_type)) {
            ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                     "%s: layer %zu of %s is encrypted (%s): declare the source "
                                     "\"encrypted\": true with the kbs_resource_path of its key",
                                     what, i, src->uri, d->media_type);
            goto fail;
        }
        if (!wasm && !tar_media_type(d->media_type) && d->title == NULL)
            continue; /* nothing to take from it */
        if ((rc = ccf_oci_pull_blob(&src->ref, &o, d->digest, d->size, &blob, &len, err,
                                    sizeof err)) != CCF_OK) {
            respond_pull(resp, rc, what, err);
            goto fail;
        }
        if (wasm || (!tar_media_type(d->media_type) && d->title != NULL)) {
            /* a module keeps its title when it names a .wasm file */
            size_t tl = d->title ? strlen(d->title) : 0;
            const char *name = d->title ? d->title : ALGORITHM;
            if (wasm && (tl < 5 || strcmp(d->title + tl - 5, ".wasm") != 0))
                name = ALGORITHM;
            if (!add_file(name, &blob, len, f)) {
                respond_pull(resp, CCF_ERR_INVALID, what, f->err);
                goto fail;
            }
        } else if ((rc = ccf_oci_layer_files(blob, len, MAX_BLOB, add_file, f, err,
                                             sizeof err)) != CCF_OK || f->err[0]) {
            respond_pull(resp, rc != CCF_OK ? rc : CCF_ERR_INVALID, what, f->err[0] ? f->err : err);
            goto fail;
        }
        free(blob);
        blob = NULL;
    }
    ccf_oci_manifest_clear(&m);
    return true;
fail:
    free(blob);
    ccf_oci_manifest_clear(&m);
    return false;
}

/* An encrypted layer (ciphertext only) as a file of the function. */
struct enc_file {
    char name[64];        /* the program's or data file's name */
    const char *resource; /* the key broker resource of its key (the manifest's) */
    char sha256[CCF_SHA256_HEX_LEN + 1];  /* the blob's: its digest */
    char diff_id[CCF_SHA256_HEX_LEN + 1]; /* its uncompressed tar's: the pi_hash */
    char *media_type, *keys_jwe, *pubopts;
    uint8_t *blob;
    size_t len;
};

struct enc_files {
    struct enc_file *items;
    size_t count;
};

static void enc_files_free(struct enc_files *f)
{
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].media_type);
        free(f->items[i].keys_jwe);
        free(f->items[i].pubopts);
        free(f->items[i].blob);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

/* Pulls an encrypted image's layers (ciphertext, digest-checked) and their
 * diff_ids (from its config) into f, each named PREFIX-<n>; an algorithm's
 * image (one_layer) has exactly one layer, named PREFIX. false with the
 * error in resp. */
static bool pull_encrypted(const ccf_computation_source *src, const struct creds *c,
                           const char *what, const char *prefix, bool one_layer,
                           struct enc_files *f, char digest[CCF_OCI_DIGEST_LEN + 1],
                           ccf_http_response *resp)
{
    ccf_oci_manifest m = {0};
    ccf_oci_pull_opts o = pull_opts(&src->ref, c);
    char err[600] = "", (*ids)[CCF_OCI_DIGEST_LEN + 1] = NULL;
    uint8_t *config = NULL;
    size_t clen = 0, nids = 0;
    bool ok = false;
    ccf_err rc = ccf_oci_pull_manifest(&src->ref, &o, &m, digest, err, sizeof err);
    if (rc != CCF_OK) {
        respond_pull(resp, rc, what, err);
        return false;
    }
    if (one_layer && m.layer_count != 1) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                 "%s: %s has %zu layers; an encrypted algorithm image has one "
                                 "(the layer holding its .wasm)", what, src->uri, m.layer_count);
        goto out;
    }
    /* the diff_ids pin what the layers hold, which only the instance sees */
    if ((ids = calloc(CCF_OCI_MAX_LAYERS, sizeof *ids)) == NULL)
        goto nomem;
    if ((rc = ccf_oci_pull_blob(&src->ref, &o, m.config.digest, m.config.size, &config, &clen,
                                err, sizeof err)) != CCF_OK ||
        (rc = ccf_oci_config_diff_ids((const char *)config, clen, ids, CCF_OCI_MAX_LAYERS, &nids,
                                      err, sizeof err)) != CCF_OK) {
        respond_pull(resp, rc, what, err);
        goto out;
    }
    if (nids != m.layer_count) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                 "%s: the image config of %s names %zu diff_ids for %zu layers",
                                 what, src->uri, nids, m.layer_count);
        goto out;
    }
    if ((f->items = calloc(m.layer_count, sizeof *f->items)) == NULL)
        goto nomem;
    for (size_t i = 0; i < m.layer_count; i++) {
        const ccf_oci_descriptor *d = &m.layers[i];
        struct enc_file *e = &f->items[i];
        if (!encrypted_media_type(d->media_type)) {
            ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                     "%s: layer %zu of %s is not encrypted (%s), but the manifest "
                                     "says \"encrypted\": true", what, i, src->uri, d->media_type);
            goto out;
        }
        if (d->enc_keys_jwe == NULL || d->enc_pubopts == NULL) {
            ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                     "%s: layer %zu of %s has no %s annotation: only JWE key "
                                     "wrapping is supported (skopeo copy --encryption-key "
                                     "jwe:PUBLIC-KEY.pem)", what, i, src->uri,
                                     d->enc_keys_jwe == NULL ? "org.opencontainers.image.enc.keys.jwe"
                                                            : "org.opencontainers.image.enc.pubopts");
            goto out;
        }
        if (one_layer)
            snprintf(e->name, sizeof e->name, "%s", prefix);
        else
            snprintf(e->name, sizeof e->name, "%s-%zu", prefix, i);
        e->resource = src->kbs_resource_path;
        memcpy(e->sha256, d->digest + 7, CCF_SHA256_HEX_LEN + 1);
        memcpy(e->diff_id, ids[i] + 7, CCF_SHA256_HEX_LEN + 1);
        f->count++;
        if ((e->media_type = strdup(d->media_type)) == NULL ||
            (e->keys_jwe = strdup(d->enc_keys_jwe)) == NULL ||
            (e->pubopts = strdup(d->enc_pubopts)) == NULL)
            goto nomem;
        if ((rc = ccf_oci_pull_blob(&src->ref, &o, d->digest, d->size, &e->blob, &e->len, err,
                                    sizeof err)) != CCF_OK) {
            respond_pull(resp, rc, what, err);
            goto out;
        }
    }
    ok = true;
    goto out;
nomem:
    ccf_ccfaas_respond_error(resp, CCF_ERR_NOMEM, NULL, NULL, NULL, "out of memory");
out:
    free(config);
    free(ids);
    ccf_oci_manifest_clear(&m);
    return ok;
}

/* Moves the layers of from to the end of to. */
static bool enc_files_append(struct enc_files *to, struct enc_files *from)
{
    struct enc_file *n = realloc(to->items, (to->count + from->count + 1) * sizeof *n);
    if (n == NULL)
        return false;
    memcpy(n + to->count, from->items, from->count * sizeof *n);
    to->items = n;
    to->count += from->count;
    free(from->items);
    memset(from, 0, sizeof *from);
    return true;
}

/* "encrypted" of an encrypted layer (docs/policy.md "Encrypted OCI layers"). */
static json_t *encrypted_json(const struct enc_file *e)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "kbs_resource", e->resource, "sha256",
                     e->sha256, "ocicrypt", "media_type", e->media_type, "keys_jwe", e->keys_jwe,
                     "pubopts", e->pubopts);
}

/* The program policy of the computation's function: the algorithm (its
 * plaintext's hash, or its encrypted layer), the encrypted dataset layers as
 * data files; the algorithm reads the dataset files (all of "/" when one is
 * encrypted: their names are inside it) and writes output. */
static char *function_policy(const char *name, const char *pi_hash, const struct enc_file *algo,
                             const struct files *data, const struct enc_files *enc_data)
{
    json_t *rights = json_array(), *dfs = json_array();
    if (enc_data->count > 0)
        json_array_append_new(rights, json_pack("{s:s, s:i}", "file_name", "/", "rights", 8198));
    else
        for (size_t i = 0; rights != NULL && i < data->count; i++)
            json_array_append_new(rights, json_pack("{s:s, s:i}", "file_name",
                                                    data->items[i].name, "rights", 8198));
    json_array_append_new(rights, json_pack("{s:s, s:i}", "file_name", OUTPUT, "rights", 533572));
    for (size_t i = 0; dfs != NULL && i < enc_data->count; i++)
        json_array_append_new(dfs, json_pack("{s:s, s:s, s:o}", "data_file",
                                             enc_data->items[i].name, "pi_hash",
                                             enc_data->items[i].diff_id, "encrypted",
                                             encrypted_json(&enc_data->items[i])));
    json_t *prog = json_pack("{s:i, s:s, s:s, s:o}", "id", 0, "pi_hash",
                             algo ? algo->diff_id : pi_hash, "program_file_name", ALGORITHM,
                             "file_rights", rights);
    if (prog != NULL && algo != NULL)
        json_object_set_new(prog, "encrypted", encrypted_json(algo));
    json_t *p = json_pack("{s:s, s:s, s:[o]}", "function", name, "execution_strategy",
                          "Interpretation", "programs", prog);
    if (p != NULL && enc_data->count > 0)
        json_object_set(p, "data_files", dfs);
    json_decref(dfs);
    char *text = p ? json_dumps(p, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
    json_decref(p);
    return text;
}

static void h_computation_post(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_computation *comp = NULL;
    ccf_trust *trust = NULL;
    ccf_task_request *task = NULL;
    struct files algo = {.only_suffix = ".wasm"}, data = {0};
    struct enc_files enc_algo = {0}, enc_data = {0};
    char err[1024] = "", fname[128], phash[CCF_SHA256_HEX_LEN + 1], whash[CCF_SHA256_HEX_LEN + 1];
    char adigest[CCF_OCI_DIGEST_LEN + 1] = "", ddigest[CCF_OCI_DIGEST_LEN + 1];
    char *policy = NULL;
    uint8_t *trust_text = NULL;
    unsigned char rnd[4];
    size_t len = 0;
    bool registered = false;
    const char *body = ccf_http_request_body(req, &len);
    const char *owner = ccf_ccfaas_caller(req)->name;
    json_t *digests = NULL, *result_key = NULL;
    struct creds creds = {.set = false};

    if (ccf_computation_parse(body, len, &comp, err, sizeof err) != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_computation", NULL, NULL, "%s",
                                 err);
        goto out;
    }
    /* the owner's trust configuration: beside the manifest, which has no place for it */
    size_t trust_len = 0;
    bool trust_b64 = header_b64(req, "CCFaaS-Trust", 1024, &trust_text, &trust_len, err, sizeof err);
    if (trust_b64 && trust_len == 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_computation", NULL, NULL,
                                 "header CCFaaS-Trust: required: the base64 of the trust "
                                 "configuration the instance is verified with (docs/trust.md)");
        goto out;
    }
    if (!trust_b64 ||
        ccf_trust_parse((const char *)trust_text, trust_len, &trust, err, sizeof err) != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_computation", NULL, NULL,
                                 "header CCFaaS-Trust: %s", err);
        goto out;
    }
    if (!result_key_header(req, &result_key, err, sizeof err)) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_computation", NULL, NULL,
                                 "header CCFaaS-Result-Key: %s", err);
        goto out;
    }
    if (!registry_creds(req, &creds)) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_computation", NULL, NULL,
                                 "header CCFaaS-Registry-Auth: expected the base64 of "
                                 "USER:PASSWORD");
        goto out;
    }
    /* the algorithm: the last .wasm of its image, or its encrypted layer */
    if (comp->algorithm.encrypted
            ? !pull_encrypted(&comp->algorithm, &creds, "algorithm", ALGORITHM, true, &enc_algo,
                              adigest, resp)
            : !pull_files(&comp->algorithm, &creds, "algorithm", &algo, adigest, resp))
        goto out;
    if (enc_algo.count == 0 && algo.count == 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                 "algorithm: %s holds no WebAssembly module (an application/wasm "
                                 "layer or a .wasm file in a layer)", comp->algorithm.uri);
        goto out;
    }
    if ((digests = json_pack("{s:s, s:[]}", "algorithm", adigest, "datasets")) == NULL)
        goto nomem;
    for (size_t i = 0; i < comp->dataset_count; i++) {
        char what[32], prefix[48];
        size_t before = data.count;
        struct enc_files layers = {0};
        snprintf(what, sizeof what, "datasets[%zu]", i);
        snprintf(prefix, sizeof prefix, "ocicrypt-dataset-%zu", i);
        if (comp->datasets[i].encrypted) {
            bool pulled = pull_encrypted(&comp->datasets[i], &creds, what, prefix, false, &layers,
                                         ddigest, resp);
            bool kept = pulled && enc_files_append(&enc_data, &layers);
            enc_files_free(&layers); /* what was not moved: a failure's partial pull */
            if (!pulled)
                goto out;
            if (!kept)
                goto nomem;
        } else if (!pull_files(&comp->datasets[i], &creds, what, &data, ddigest, resp)) {
            goto out;
        } else if (data.count == before) {
            ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                     "%s: %s holds no file", what, comp->datasets[i].uri);
            goto out;
        }
        json_array_append_new(json_object_get(digests, "datasets"), json_string(ddigest));
    }
    for (size_t i = 0; i < data.count; i++) {
        if (strcmp(data.items[i].name, OUTPUT) == 0 || strcmp(data.items[i].name, ALGORITHM) == 0 ||
            strncmp(data.items[i].name, "ocicrypt-dataset-", 17) == 0) {
            ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_image", "pull", NULL,
                                     "a dataset holds a file named %s, which the algorithm "
                                     "writes or is, or an encrypted layer's name",
                                     data.items[i].name);
            goto out;
        }
    }
    const struct enc_file *ea = enc_algo.count == 1 ? &enc_algo.items[0] : NULL;
    const uint8_t *prog_bytes = ea ? ea->blob : algo.items[algo.count - 1].data;
    size_t prog_len = ea ? ea->len : algo.items[algo.count - 1].len;
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        goto nomem;
    snprintf(fname, sizeof fname, "cocos-%.64s-%02x%02x%02x%02x", comp->id, rnd[0], rnd[1],
             rnd[2], rnd[3]);
    if (ea != NULL) /* its digest, checked when it was pulled */
        memcpy(whash, ea->sha256, sizeof whash);
    else if (!ccf_sha256_hex(prog_bytes, prog_len, whash))
        goto nomem;
    if ((policy = function_policy(fname, whash, ea, &data, &enc_data)) == NULL ||
        !ccf_sha256_hex(policy, strlen(policy), phash))
        goto nomem;
    ccf_store_rc src = ccf_ccfaas_store_function_add(svc->store, fname, policy, strlen(policy),
                                                     phash, owner, err, sizeof err);
    if (src == CCF_STORE_OK) {
        registered = true;
        src = ccf_ccfaas_store_file_add(svc->store, CCF_STORE_PROGRAM, fname, phash, ALGORITHM,
                                        whash, prog_bytes, prog_len, err, sizeof err);
    }
    for (size_t i = 0; i < enc_data.count && src == CCF_STORE_OK; i++)
        src = ccf_ccfaas_store_file_add(svc->store, CCF_STORE_DATA_FILE, fname, phash,
                                        enc_data.items[i].name, enc_data.items[i].sha256,
                                        enc_data.items[i].blob, enc_data.items[i].len, err,
                                        sizeof err);
    if (src != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, src, err);
        goto out;
    }
    /* the task: the dataset files as inputs, output collected */
    if ((task = calloc(1, sizeof *task)) == NULL || (task->function = strdup(fname)) == NULL ||
        (task->trust = strdup("{}")) == NULL || (task->outputs = calloc(1, sizeof(char *))) == NULL ||
        (task->outputs[0] = strdup(OUTPUT)) == NULL)
        goto nomem;
    task->output_count = 1;
    task->timeout_s = CCF_TASK_DEFAULT_TIMEOUT_S;
    task->result_key = result_key; /* the result stored as a JWE to it, or NULL */
    result_key = NULL;
    /* keys from the key broker the manifest names, or no computation */
    if (ccf_computation_encrypted(comp) && (task->key_broker = strdup(comp->kbs_url)) == NULL)
        goto nomem;
    task->inputs = data.items;
    task->input_count = data.count;
    data.items = NULL;
    data.count = 0;
    json_t *extra = json_pack("{s:s, s:o}", "computation_id", comp->id, "digests", digests);
    digests = NULL;
    ccf_task_request *t = task;
    ccf_trust *tr = trust;
    task = NULL;
    trust = NULL;
    if (ccf_ccfaas_task_start(svc, t, tr, owner, true, extra, resp))
        registered = false; /* the task removes it when it ends */
    goto out;
nomem:
    ccf_ccfaas_respond_error(resp, CCF_ERR_NOMEM, NULL, NULL, NULL, "out of memory");
out:
    OPENSSL_cleanse(&creds, sizeof creds);
    if (registered &&
        ccf_ccfaas_store_function_delete(svc->store, fname, NULL, err, sizeof err) != CCF_STORE_OK)
        fprintf(stderr, "ccfaas: computation function %s: %s\n", fname, err);
    json_decref(digests);
    json_decref(result_key);
    ccf_task_request_free(task);
    ccf_trust_free(trust);
    ccf_computation_free(comp);
    files_free(&algo);
    files_free(&data);
    enc_files_free(&enc_algo);
    enc_files_free(&enc_data);
    free(policy);
    free(trust_text);
}

ccf_err ccf_ccfaas_mount_computations(ccf_ccfaas *svc, ccf_http_server *srv)
{
    return ccf_http_server_route_auth(srv, "POST", "/computation", CCF_ROLE_USER | CCF_ROLE_ADMIN,
                                      h_computation_post, svc, 0);
}
