/* Policies: the four kinds of the spec (program, user, VaaS, full), parsed
 * and validated into one structure; canonical emitter; policy hash.
 *
 * Ownership: ccf_policy_parse() returns a policy the caller frees with
 * ccf_policy_free(); every string in it is owned by the policy. The policy
 * hash is always of the exact bytes a policy was received as - never of a
 * re-serialisation (DESIGN §3). */
#ifndef CCF_POLICY_POLICY_H
#define CCF_POLICY_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/error.h"

typedef enum {
    CCF_POLICY_AUTO = 0, /* detect from the fields present */
    CCF_POLICY_PROGRAM,  /* CCFaaS POST /function */
    CCF_POLICY_USER,     /* CCFaaS POST /instance */
    CCF_POLICY_VAAS,     /* VaaS POST /veracruz */
    CCF_POLICY_FULL,     /* what a runtime loads and a client verifies */
} ccf_policy_kind;

/* "program", "user", "vaas", "full" ("auto" for CCF_POLICY_AUTO). */
const char *ccf_policy_kind_name(ccf_policy_kind kind);
/* Parses one of the names above; false when unknown. */
bool ccf_policy_kind_parse(const char *name, ccf_policy_kind *out)
    __attribute__((warn_unused_result, nonnull));

/* Largest policy text accepted (certificates make policies a few KiB each). */
#define CCF_POLICY_MAX_BYTES (4u * 1024u * 1024u)
/* the longest keys.jwe annotation of an encrypted OCI layer (issue 20): a JWE per recipient */
#define CCF_POLICY_MAX_KEYS_JWE (64u * 1024u)

typedef struct {
    char *file_name; /* a file, a directory when it ends in '/', "/" = everything */
    uint32_t rights; /* bits of policy/rights.h */
} ccf_file_right;

typedef struct {
    ccf_file_right *items;
    size_t count;
} ccf_file_rights;

typedef struct {
    int64_t id;        /* -1 in user policies, which have no ids */
    char *certificate; /* PEM, exactly as in the policy */
    char *subject;     /* RFC 2253 subject of the certificate, for display */
    ccf_file_rights rights;
} ccf_identity;

/* Extension (issue 20, docs/policy.md "Encrypted OCI layers"): the file is an
 * OCI image layer encrypted by containers/ocicrypt (skopeo), with the layer
 * descriptor's media type and annotations; the key broker resource holds the
 * private key that opens keys_jwe. */
typedef struct {
    char *media_type; /* a tar layer type + "+encrypted" */
    char *keys_jwe;   /* annotation org.opencontainers.image.enc.keys.jwe */
    char *pubopts;    /* annotation org.opencontainers.image.enc.pubopts */
} ccf_ocicrypt_layer;

/* Extension (issue 17, docs/policy.md): a program or data file registered as
 * an envelope (docs/kbs.md) whose key is the key broker resource
 * kbs_resource; sha256 is the envelope's, pi_hash stays the plaintext's.
 * With ocicrypt (issue 20) the file is an encrypted OCI layer instead:
 * sha256 is the encrypted blob's (its OCI digest) and pi_hash the layer's
 * diff_id (the SHA-256 of its uncompressed tar), from which the instance
 * takes the file. */
typedef struct {
    char *kbs_resource; /* NULL: not encrypted */
    char *sha256;
    ccf_ocicrypt_layer *ocicrypt; /* NULL: a CCFaaS envelope */
} ccf_encrypted;

/* Extension (issue 17, docs/policy.md): an application secret, a key broker
 * resource the instance fetches and shows to its program only, read-only, as
 * the file secrets/NAME. */
typedef struct {
    char *kbs_resource;
    char *name;
} ccf_secret;

#define CCF_POLICY_SECRETS_DIR "secrets/"

typedef struct {
    int64_t id;
    char *pi_hash; /* 64 hex digits */
    char *program_file_name;
    ccf_file_rights rights;
    ccf_encrypted encrypted;
    ccf_secret *secrets;
    size_t secret_count;
} ccf_program;

typedef struct {
    char *data_file;
    char *pi_hash;
    int64_t priority; /* 0 when absent; lower loads first */
    bool has_priority;
    ccf_encrypted encrypted;
} ccf_data_file;

typedef struct {
    int year, month, day, hour, minute; /* UTC */
} ccf_cert_expiry;

typedef enum { CCF_STDIN = 0, CCF_STDOUT, CCF_STDERR } ccf_std_stream_kind;

typedef struct {
    ccf_std_stream_kind stream;
    char *file_name;
    uint32_t rights;
} ccf_std_stream;

/* Runtime measurements a full policy can carry: the spec's three plus ours. */
typedef enum {
    CCF_RUNTIME_NITRO = 0,
    CCF_RUNTIME_SGX,
    CCF_RUNTIME_TZ,
    CCF_RUNTIME_LINUX,  /* ccfaas extension: the development platform */
    CCF_RUNTIME_SEVSNP, /* ccfaas extension */
    CCF_RUNTIME_TDX,    /* ccfaas extension */
    CCF_RUNTIME_COUNT
} ccf_runtime_platform;

/* "nitro", "sgx", ... as in the field names runtime_manager_hash_<name>. */
const char *ccf_runtime_platform_name(ccf_runtime_platform p);

typedef struct ccf_policy {
    ccf_policy_kind kind;
    char *function;           /* program, user */
    char *instance_id;        /* user ("instanceid"); vaas, full ("instance_id", optional) */
    char *instance_nonce;     /* full, optional extension: 64 hex, fresh per instance, so a
                                 re-created instance never has an old policy's hash */
    char *execution_strategy; /* program, vaas, full */
    char *ciphersuite;        /* vaas, full */
    bool debug;               /* vaas, full; program: a debug function (extension) */
    bool enable_clock;        /* vaas, full */
    bool has_max_memory_mib;  /* extension: program, vaas, full */
    int64_t max_memory_mib;

    ccf_identity *identities; /* user, vaas, full */
    size_t identity_count;
    ccf_program *programs; /* program, vaas, full */
    size_t program_count;
    ccf_data_file *data_files; /* program */
    size_t data_file_count;
    /* extension (program, vaas, full): files that are streams, read by programs
     * while they are uploaded (docs/policy.md "Streams", issue 18) */
    char **stream_files;
    size_t stream_file_count;

    /* full policies only */
    ccf_cert_expiry enclave_cert_expiry;
    char *proxy_attestation_server_url;
    char *proxy_service_cert;
    char *kbs_url;        /* extension: the key broker of encrypted files; NULL when none */
    char *kbs_cert;       /* extension: its TLS certificate (PEM), pinned for https */
    char *proxy_tls_cert; /* extension: the proxy's HTTPS certificate (PEM), pinned */
    char *veracruz_server_url;
    char *runtime_hash[CCF_RUNTIME_COUNT]; /* NULL when absent, "" when not offered */
    ccf_std_stream *std_streams;
    size_t std_stream_count;
} ccf_policy;

/* Errors: each names a JSON path (or, for malformed JSON, a line and column). */
#define CCF_POLICY_MAX_ERRORS 20

typedef struct {
    char path[192];    /* "identities[1].file_rights[0].rights"; "" = whole document */
    char message[320]; /* "expected an integer, got \"x\"" */
    int line, column;  /* > 0 only for JSON syntax errors */
} ccf_policy_error;

typedef struct {
    ccf_policy_error items[CCF_POLICY_MAX_ERRORS];
    size_t count;
    bool truncated; /* more errors existed than fit */
} ccf_policy_errors;

/* Parses and validates `len` bytes of policy text as `kind` (AUTO detects it).
 * On success returns CCF_OK and *out (caller frees). Otherwise *out is NULL,
 * errors lists what is wrong (all of it, up to CCF_POLICY_MAX_ERRORS) and the
 * result is CCF_ERR_INVALID, CCF_ERR_TOO_LARGE or CCF_ERR_NOMEM. `errors` may
 * be NULL when the caller only needs the verdict. Never crashes on any input. */
ccf_err ccf_policy_parse(const char *text, size_t len, ccf_policy_kind kind, ccf_policy **out,
                         ccf_policy_errors *errors) __attribute__((warn_unused_result));

void ccf_policy_free(ccf_policy *policy);

/* true when a program or data file of p is declared encrypted or a program
 * has secrets (an instance of it needs a key broker: the full policy's
 * kbs_url). */
bool ccf_policy_has_encrypted(const ccf_policy *p);

/* The errors as a JSON array [{"path","message","line"?,"column"?}] (NULL when
 * out of memory; the caller decrefs). */
json_t *ccf_policy_errors_json(const ccf_policy_errors *errors);
/* The body of a 400 answer refusing a policy (`what` names it, e.g. "VaaS
 * policy"): {"error":{"code":"invalid_json"|"invalid_policy","message":"<what>:
 * <first error>[ (and N more)]","errors":[...]}}. NULL when out of memory. */
json_t *ccf_policy_errors_response(const ccf_policy_errors *errors, const char *what);

/* Canonical JSON of the policy (keys sorted, 2-space indent, one final
 * newline): what ccfaas emits when it *produces* a policy. *out is a
 * NUL-terminated string the caller frees with free(). */
ccf_err ccf_policy_emit(const ccf_policy *policy, char **out) __attribute__((warn_unused_result));

/* The policy hash: lowercase hex SHA-256 of exactly these bytes. */
bool ccf_policy_hash(const char *text, size_t len, char out[CCF_SHA256_HEX_LEN + 1])
    __attribute__((warn_unused_result));

/* Whether identity `identity` may run program `program` (indices): with bit 29
 * (FD_EXECUTE) on the program's file; in a policy that uses bit 29 nowhere
 * (the spec's own format), any identity that may read some file may execute. */
bool ccf_policy_may_execute(const ccf_policy *policy, size_t identity, size_t program)
    __attribute__((warn_unused_result, nonnull));

/* The rights a rights list grants on `file_name`: its exact entry, else the
 * longest directory entry ("dir/", or "/" for the whole root) that contains
 * it; 0 when none. */
uint32_t ccf_file_rights_lookup(const ccf_file_rights *rights, const char *file_name)
    __attribute__((warn_unused_result, nonnull));

/* Known TLS cipher suite names (TLS 1.3 and 1.2 ECDHE AEAD suites). */
bool ccf_policy_ciphersuite_known(const char *name);

#endif
