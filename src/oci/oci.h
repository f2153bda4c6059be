/* OCI registries as a source of programs and data sets (issue 20, docs/oci.md).
 *
 * Pure parsers (no I/O; fuzzed by tests/fuzz/fuzz_oci.c), each refusal saying
 * what and where:
 *   - image references  docker://HOST[:PORT]/REPO[:TAG][@sha256:HEX]
 *   - image manifests   (OCI application/vnd.oci.image.manifest.v1+json and
 *                        Docker application/vnd.docker.distribution.manifest.v2+json)
 *   - image indexes     (OCI application/vnd.oci.image.index.v1+json and Docker
 *                        manifest lists)
 *   - WWW-Authenticate  challenges (RFC 7235: Basic, Bearer with realm/service/scope)
 * and a registry client over libcurl (registry v2 API: anonymous, basic and
 * bearer-token auth; every manifest and blob checked against its digest) and a
 * layer reader over libarchive (tar, gzip).
 *
 * Ownership: every *_parse fills a struct the caller clears with the matching
 * *_clear (NULL-safe, idempotent); blobs are malloc'd, freed by the caller. */
#ifndef CCF_OCI_OCI_H
#define CCF_OCI_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CCF_OCI_MAX_MANIFEST (4u * 1024u * 1024u)
#define CCF_OCI_MAX_LAYERS 128
#define CCF_OCI_DIGEST_LEN 71 /* "sha256:" + 64 hex */

#define CCF_OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CCF_OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define CCF_OCI_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define CCF_OCI_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* docker://HOST[:PORT]/REPO[:TAG][@sha256:HEX]. host: a name or IPv4, port
 * 1-65535; repo: lower-case path components [a-z0-9]+ joined by . _ __ - or /
 * (the distribution spec's grammar), at most 255 bytes; tag:
 * [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; digest: sha256 with 64 lower-case hex.
 * No tag and no digest = tag "latest". */
typedef struct {
    char host[256]; /* with ":PORT" when given */
    char repo[256];
    char tag[129];  /* "" when only a digest was given */
    char digest[CCF_OCI_DIGEST_LEN + 1]; /* "" = none */
} ccf_oci_ref;

ccf_err ccf_oci_ref_parse(const char *uri, ccf_oci_ref *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

typedef struct {
    char *media_type;
    char digest[CCF_OCI_DIGEST_LEN + 1];
    int64_t size;
    char *title;        /* annotation org.opencontainers.image.title, or NULL */
    char *enc_keys_jwe; /* annotation org.opencontainers.image.enc.keys.jwe (ocicrypt), or NULL */
    char *enc_pubopts;  /* annotation org.opencontainers.image.enc.pubopts (ocicrypt), or NULL */
    char *platform_os;  /* index entries: platform.os, or NULL */
    char *platform_arch;
} ccf_oci_descriptor;

typedef struct {
    char *media_type;    /* the manifest's mediaType, or NULL when absent */
    char *artifact_type; /* OCI 1.1 artifactType, or NULL */
    ccf_oci_descriptor config;
    ccf_oci_descriptor *layers;
    size_t layer_count;
} ccf_oci_manifest;

typedef struct {
    ccf_oci_descriptor *manifests;
    size_t count;
} ccf_oci_index;

/* schemaVersion 2; config and layers with mediaType, digest (sha256) and size
 * >= 0; 1..CCF_OCI_MAX_LAYERS layers (an artifact's config may be the empty
 * descriptor). Unknown members are ignored (the spec allows extensions), a
 * wrong type is refused with its JSON path. */
ccf_err ccf_oci_manifest_parse(const char *json, size_t len, ccf_oci_manifest *out, char *err,
                               size_t err_size) __attribute__((warn_unused_result));
void ccf_oci_manifest_clear(ccf_oci_manifest *m);
ccf_err ccf_oci_index_parse(const char *json, size_t len, ccf_oci_index *out, char *err,
                            size_t err_size) __attribute__((warn_unused_result));
void ccf_oci_index_clear(ccf_oci_index *ix);
/* The index entry to use: platform wasip1/wasm or wasi/wasm first, then
 * linux/amd64, then the first; NULL when empty. */
const ccf_oci_descriptor *ccf_oci_index_pick(const ccf_oci_index *ix);

/* The diff_ids of an image configuration (application/vnd.oci.image.config.v1+json,
 * Docker's container image config): rootfs.diff_ids, each "sha256:" + 64
 * lower-case hex, the SHA-256 of a layer's uncompressed tar (ocicrypt leaves
 * them as they were). *count gets how many (<= max; more is an error). */
ccf_err ccf_oci_config_diff_ids(const char *json, size_t len, char (*ids)[CCF_OCI_DIGEST_LEN + 1],
                                size_t max, size_t *count, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* A WWW-Authenticate challenge: scheme Basic or Bearer (case-insensitive),
 * auth-params name=value or name="quoted" (backslash escapes), comma
 * separated. Bearer needs realm (an http:// or https:// URL). */
typedef struct {
    bool bearer; /* false: Basic */
    char realm[1024];
    char service[256];
    char scope[512];
} ccf_oci_challenge;

ccf_err ccf_oci_challenge_parse(const char *header, ccf_oci_challenge *out, char *err,
                                size_t err_size) __attribute__((warn_unused_result));

/* "sha256:HEX" of data into out. */
void ccf_oci_digest(const void *data, size_t len, char out[CCF_OCI_DIGEST_LEN + 1]);

/* ---- the registry client (libcurl) ------------------------------------------ */

typedef struct {
    const char *username, *password; /* basic credentials, or NULL (anonymous) */
    bool insecure_http;  /* http:// instead of https:// (loopback test registries) */
    const char *ca_file; /* extra CA for https, or NULL */
    size_t max_blob;     /* 0 = 256 MiB */
    long timeout_s;      /* per request; 0 = 120 */
} ccf_oci_pull_opts;

/* The image manifest of ref (an index is resolved with ccf_oci_index_pick),
 * its bytes checked against ref's digest when it has one (and against the
 * registry's Docker-Content-Digest). *manifest_digest gets its digest. */
ccf_err ccf_oci_pull_manifest(const ccf_oci_ref *ref, const ccf_oci_pull_opts *opts,
                              ccf_oci_manifest *out, char manifest_digest[CCF_OCI_DIGEST_LEN + 1],
                              char *err, size_t err_size) __attribute__((warn_unused_result));
/* A blob, its bytes checked against digest (and size when >= 0). */
ccf_err ccf_oci_pull_blob(const ccf_oci_ref *ref, const ccf_oci_pull_opts *opts,
                          const char *digest, int64_t size, uint8_t **out, size_t *len,
                          char *err, size_t err_size) __attribute__((warn_unused_result));

/* ---- layers (libarchive; library ccf_oci_layer, without libcurl, which the trusted
 * runtime links) -------------------------------------------------------------------------- */

/* The diff_id of a layer (gzip or plain, recognised by its bytes): the SHA-256
 * (hex) of its uncompressed tar, hashed as it is decompressed (nothing kept),
 * refused as soon as it passes max bytes. */
ccf_err ccf_oci_layer_diff_id(const uint8_t *layer, size_t len, size_t max, char hex[65],
                              char *err, size_t err_size) __attribute__((warn_unused_result));

/* Calls fn for every regular file of a tar layer (plain or gzip), with its
 * path (leading "./" and "/" removed) and bytes (*data, malloc'd: fn may take
 * it, setting *data to NULL, instead of copying it); fn returns false to
 * stop. Whiteouts (.wh.*) and non-regular entries are skipped; a file over
 * max_file bytes is an error. */
typedef bool (*ccf_oci_file_fn)(const char *path, uint8_t **data, size_t len, void *ctx);
ccf_err ccf_oci_layer_files(const uint8_t *layer, size_t len, size_t max_file, ccf_oci_file_fn fn,
                            void *ctx, char *err, size_t err_size)
    __attribute__((warn_unused_result));

#endif
