/* Policy parsing and schema validation (the spec's JSON schemas, exactly:
 * required fields, types, additionalProperties false), plus the extensions
 * of DESIGN §3. All errors are collected with their JSON path. */
#include "policy/policy_internal.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/kbs_path.h"
#include "policy/rights.h"

/* ---- errors and paths ---------------------------------------------------- */

static ccf_policy_error *next_error(pctx *c)
{
    if (c->errors->count >= CCF_POLICY_MAX_ERRORS) {
        c->errors->truncated = true;
        return NULL;
    }
    ccf_policy_error *e = &c->errors->items[c->errors->count++];
    memset(e, 0, sizeof *e);
    snprintf(e->path, sizeof e->path, "%s", c->path);
    return e;
}

void pctx_error(pctx *c, const char *fmt, ...)
{
    ccf_policy_error *e = next_error(c);
    if (e == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

void pctx_error_key(pctx *c, const char *key, const char *fmt, ...)
{
    size_t saved = pctx_push_key(c, key);
    ccf_policy_error *e = next_error(c);
    pctx_pop(c, saved);
    if (e == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* Appends to the path; a path that would overflow ends in "..." instead. */
static size_t path_append(pctx *c, const char *piece)
{
    size_t saved = c->path_len;
    int n = snprintf(c->path + c->path_len, sizeof c->path - c->path_len, "%s", piece);
    if (n < 0 || (size_t)n >= sizeof c->path - c->path_len) {
        memcpy(c->path + sizeof c->path - 4, "...", 4);
        c->path_len = sizeof c->path - 1;
    } else {
        c->path_len += (size_t)n;
    }
    return saved;
}

size_t pctx_push_key(pctx *c, const char *key)
{
    char piece[80];
    /* keys come from untrusted input: keep them short in paths */
    snprintf(piece, sizeof piece, "%s%.64s%s", c->path_len > 0 ? "." : "", key,
             strlen(key) > 64 ? "..." : "");
    return path_append(c, piece);
}

size_t pctx_push_index(pctx *c, size_t index)
{
    char piece[32];
    snprintf(piece, sizeof piece, "[%zu]", index);
    return path_append(c, piece);
}

void pctx_pop(pctx *c, size_t saved)
{
    c->path_len = saved;
    c->path[saved] = '\0';
}

/* ---- kinds ---------------------------------------------------------------- */

#define K(kind) (1u << (kind))
#define K_PROGRAM K(CCF_POLICY_PROGRAM)
#define K_USER K(CCF_POLICY_USER)
#define K_VAAS K(CCF_POLICY_VAAS)
#define K_FULL K(CCF_POLICY_FULL)

static const char *const kind_names[] = {"auto", "program", "user", "vaas", "full"};

const char *ccf_policy_kind_name(ccf_policy_kind kind)
{
    return (unsigned)kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : "?";
}

bool ccf_policy_kind_parse(const char *name, ccf_policy_kind *out)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *out = (ccf_policy_kind)i;
            return true;
        }
    }
    return false;
}

static const char *const platform_names[CCF_RUNTIME_COUNT] = {
    "nitro", "sgx", "tz", "linux", "sevsnp", "tdx",
};

const char *ccf_runtime_platform_name(ccf_runtime_platform p)
{
    return (unsigned)p < CCF_RUNTIME_COUNT ? platform_names[p] : "?";
}

/* ---- field tables --------------------------------------------------------- */

struct field {
    const char *name;
    unsigned allowed;  /* kinds where the field may appear */
    unsigned required; /* kinds where it must */
};

#define ALL_KINDS (K_PROGRAM | K_USER | K_VAAS | K_FULL)

static const struct field top_fields[] = {
    /* vaas, full: extension, the function CCFaaS made the instance of (docs/policy.md) */
    {"function", K_PROGRAM | K_USER | K_VAAS | K_FULL, K_PROGRAM | K_USER},
    {"instanceid", K_USER, K_USER},
    {"instance_id", K_VAAS | K_FULL, 0},
    {"execution_strategy", K_PROGRAM | K_VAAS | K_FULL, K_PROGRAM | K_VAAS | K_FULL},
    {"programs", K_PROGRAM | K_VAAS | K_FULL, K_PROGRAM | K_VAAS | K_FULL},
    {"data_files", K_PROGRAM | K_VAAS | K_FULL, 0}, /* extension in vaas, full */
    {"identities", K_USER | K_VAAS | K_FULL, K_USER | K_VAAS | K_FULL},
    {"ciphersuite", K_VAAS | K_FULL, K_VAAS | K_FULL},
    /* program: extension, a debug function (docs/tasks.md "Logs") */
    {"debug", K_PROGRAM | K_VAAS | K_FULL, K_VAAS | K_FULL},
    {"enable_clock", K_VAAS | K_FULL, K_VAAS | K_FULL},
    {"max_memory_mib", K_PROGRAM | K_VAAS | K_FULL, 0},
    {"stream_files", K_PROGRAM | K_VAAS | K_FULL, 0}, /* extension: docs/policy.md "Streams" */
    {"enclave_cert_expiry", K_FULL, K_FULL},
    {"proxy_attestation_server_url", K_FULL, K_FULL},
    {"kbs_url", K_FULL, 0}, /* extension: the key broker of encrypted files (docs/policy.md) */
    {"kbs_cert", K_FULL, 0}, /* extension: its TLS certificate, pinned (docs/policy.md) */
    {"proxy_tls_cert", K_FULL, 0}, /* extension: the proxy's HTTPS certificate, pinned */
    {"proxy_service_cert", K_FULL, K_FULL},
    {"runtime_manager_hash_nitro", K_FULL, K_FULL},
    {"runtime_manager_hash_sgx", K_FULL, K_FULL},
    {"runtime_manager_hash_tz", K_FULL, K_FULL},
    {"runtime_manager_hash_linux", K_FULL, 0},
    {"runtime_manager_hash_sevsnp", K_FULL, 0},
    {"runtime_manager_hash_tdx", K_FULL, 0},
    {"std_streams_table", K_FULL, K_FULL},
    {"veracruz_server_url", K_FULL, K_FULL},
    {"instance_nonce", K_FULL, 0}, /* extension: fresh per instance (docs/policy.md) */
};

static const struct field identity_fields[] = {
    {"certificate", ALL_KINDS, ALL_KINDS},
    {"file_rights", ALL_KINDS, ALL_KINDS},
    {"id", K_VAAS | K_FULL, K_VAAS | K_FULL},
};

static const struct field program_fields[] = {
    {"encrypted", K_PROGRAM | K_VAAS | K_FULL, 0}, /* extension: docs/policy.md */
    {"secrets", K_PROGRAM | K_VAAS | K_FULL, 0},   /* extension: docs/policy.md */
    {"file_rights", ALL_KINDS, ALL_KINDS},
    {"id", ALL_KINDS, ALL_KINDS},
    {"pi_hash", ALL_KINDS, ALL_KINDS},
    {"program_file_name", ALL_KINDS, ALL_KINDS},
};

static const struct field secret_fields[] = {
    {"kbs_resource", ALL_KINDS, ALL_KINDS},
    {"name", ALL_KINDS, ALL_KINDS},
};

static const struct field encrypted_fields[] = {
    {"kbs_resource", ALL_KINDS, ALL_KINDS},
    {"ocicrypt", ALL_KINDS, 0}, /* issue 20: an encrypted OCI layer */
    {"sha256", ALL_KINDS, ALL_KINDS},
};

static const struct field ocicrypt_fields[] = {
    {"keys_jwe", ALL_KINDS, ALL_KINDS},
    {"media_type", ALL_KINDS, ALL_KINDS},
    {"pubopts", ALL_KINDS, ALL_KINDS},
};

/* The spec's file_rights schema lists no "required"; an entry without a name
 * or rights grants nothing and is a mistake, so both are required here. */
static const struct field file_right_fields[] = {
    {"file_name", ALL_KINDS, ALL_KINDS},
    {"rights", ALL_KINDS, ALL_KINDS},
};

static const struct field data_file_fields[] = {
    {"data_file", ALL_KINDS, ALL_KINDS},
    {"encrypted", ALL_KINDS, 0}, /* extension: docs/policy.md */
    {"pi_hash", ALL_KINDS, ALL_KINDS},
    {"priority", ALL_KINDS, 0},
};

static const struct field expiry_fields[] = {
    {"day", ALL_KINDS, ALL_KINDS},   {"hour", ALL_KINDS, ALL_KINDS},
    {"minute", ALL_KINDS, ALL_KINDS}, {"month", ALL_KINDS, ALL_KINDS},
    {"year", ALL_KINDS, ALL_KINDS},
};

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define CCF_POLICY_MAX_SECRET_PATH 300

static const struct field *find_field(const struct field *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].name, name) == 0)
            return &f[i];
    }
    return NULL;
}

/* Kinds named in a mask, for "belongs to ... policies" hints. */
static void kinds_text(unsigned mask, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int k = CCF_POLICY_PROGRAM; k <= CCF_POLICY_FULL; k++) {
        if (mask & K(k)) {
            int n = snprintf(buf + used, size - used, "%s%s", used ? "/" : "", kind_names[k]);
            if (n < 0 || (size_t)n >= size - used)
                return;
            used += (size_t)n;
        }
    }
}

/* Unknown and missing fields of an object (additionalProperties: false). */
static void check_fields(pctx *c, json_t *obj, const struct field *f, size_t n)
{
    const char *key;
    json_t *value;
    unsigned me = K(c->kind);

    json_object_foreach(obj, key, value) {
        const struct field *known = find_field(f, n, key);
        if (known == NULL) {
            pctx_error_key(c, key, "unknown field (not in the %s policy schema)",
                           ccf_policy_kind_name(c->kind));
        } else if (!(known->allowed & me)) {
            char owners[64];
            kinds_text(known->allowed, owners, sizeof owners);
            pctx_error_key(c, key, "field not allowed in a %s policy (it belongs to %s policies)",
                           ccf_policy_kind_name(c->kind), owners);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if ((f[i].required & me) && json_object_get(obj, f[i].name) == NULL)
            pctx_error_key(c, f[i].name, "required field is missing");
    }
}

/* ---- typed access ---------------------------------------------------------- */

/* "\"abc\"", "12", "1.5", "true", "null", "an object", "an array". */
static void describe(json_t *v, char *buf, size_t size)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (n > 40)
            snprintf(buf, size, "\"%.37s...\"", s);
        else
            snprintf(buf, size, "\"%s\"", s);
        break;
    }
    case JSON_INTEGER: snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); break;
    case JSON_REAL: snprintf(buf, size, "%.17g", json_real_value(v)); break;
    case JSON_TRUE: snprintf(buf, size, "true"); break;
    case JSON_FALSE: snprintf(buf, size, "false"); break;
    case JSON_NULL: snprintf(buf, size, "null"); break;
    case JSON_OBJECT: snprintf(buf, size, "an object"); break;
    case JSON_ARRAY: snprintf(buf, size, "an array"); break;
    }
}

static void type_error(pctx *c, const char *expected, json_t *v)
{
    char got[64];
    describe(v, got, sizeof got);
    pctx_error(c, "expected %s, got %s", expected, got);
}

/* Each want_* reports at the current path and returns false on a type error. */
static bool want_string(pctx *c, json_t *v, char **out)
{
    if (!json_is_string(v)) {
        type_error(c, "a string", v);
        return false;
    }
    if ((*out = strdup(json_string_value(v))) == NULL) {
        c->nomem = true;
        return false;
    }
    return true;
}

static bool want_int(pctx *c, json_t *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (!json_is_integer(v)) {
        type_error(c, "an integer", v);
        return false;
    }
    json_int_t i = json_integer_value(v);
    if (i < lo || i > hi) {
        pctx_error(c, "%" JSON_INTEGER_FORMAT " is out of range (%" PRId64 "-%" PRId64 ")", i, lo,
                   hi);
        return false;
    }
    *out = i;
    return true;
}

static bool want_bool(pctx *c, json_t *v, bool *out)
{
    if (!json_is_boolean(v)) {
        type_error(c, "true or false", v);
        return false;
    }
    *out = json_is_true(v);
    return true;
}

static bool want_rights(pctx *c, json_t *v, uint32_t *out)
{
    if (!json_is_integer(v)) {
        type_error(c, "an integer", v);
        return false;
    }
    json_int_t i = json_integer_value(v);
    if (i < 0 || i > (json_int_t)CCF_RIGHTS_ALL) {
        pctx_error(c,
                   "%" JSON_INTEGER_FORMAT " is out of range: rights are bits 0-29 "
                   "(0 to %u, see `ccfaas policy rights --list`)",
                   i, (unsigned)CCF_RIGHTS_ALL);
        return false;
    }
    *out = (uint32_t)i;
    return true;
}

/* Runs fn on object member `key` with the path pushed (if present). */
#define WITH_KEY(c, obj, key, v, ...)                                                             \
    do {                                                                                           \
        json_t *v = json_object_get((obj), (key));                                                 \
        if (v != NULL) {                                                                           \
            size_t saved_ = pctx_push_key((c), (key));                                             \
            __VA_ARGS__;                                                                           \
            pctx_pop((c), saved_);                                                                 \
        }                                                                                          \
    } while (0)

/* ---- structure ---------------------------------------------------------- */

static void free_encrypted(ccf_encrypted *e)
{
    free(e->kbs_resource);
    free(e->sha256);
    if (e->ocicrypt != NULL) {
        free(e->ocicrypt->media_type);
        free(e->ocicrypt->keys_jwe);
        free(e->ocicrypt->pubopts);
        free(e->ocicrypt);
    }
}

static void free_rights(ccf_file_rights *r)
{
    for (size_t i = 0; i < r->count; i++)
        free(r->items[i].file_name);
    free(r->items);
    r->items = NULL;
    r->count = 0;
}

void ccf_policy_free(ccf_policy *p)
{
    if (p == NULL)
        return;
    free(p->function);
    free(p->instance_id);
    free(p->instance_nonce);
    free(p->execution_strategy);
    free(p->ciphersuite);
    for (size_t i = 0; i < p->identity_count; i++) {
        free(p->identities[i].certificate);
        free(p->identities[i].subject);
        free_rights(&p->identities[i].rights);
    }
    free(p->identities);
    for (size_t i = 0; i < p->program_count; i++) {
        for (size_t j = 0; j < p->programs[i].secret_count; j++) {
            free(p->programs[i].secrets[j].kbs_resource);
            free(p->programs[i].secrets[j].name);
        }
        free(p->programs[i].secrets);
        free_encrypted(&p->programs[i].encrypted);
        free(p->programs[i].pi_hash);
        free(p->programs[i].program_file_name);
        free_rights(&p->programs[i].rights);
    }
    free(p->programs);
    for (size_t i = 0; i < p->data_file_count; i++) {
        free_encrypted(&p->data_files[i].encrypted);
        free(p->data_files[i].data_file);
        free(p->data_files[i].pi_hash);
    }
    free(p->data_files);
    for (size_t i = 0; i < p->stream_file_count; i++)
        free(p->stream_files[i]);
    free(p->stream_files);
    free(p->proxy_attestation_server_url);
    free(p->kbs_url);
    free(p->kbs_cert);
    free(p->proxy_tls_cert);
    free(p->proxy_service_cert);
    free(p->veracruz_server_url);
    for (int i = 0; i < CCF_RUNTIME_COUNT; i++)
        free(p->runtime_hash[i]);
    for (size_t i = 0; i < p->std_stream_count; i++)
        free(p->std_streams[i].file_name);
    free(p->std_streams);
    free(p);
}

/* calloc for n items (n may be 0: returns a valid pointer or NULL on OOM). */
static void *alloc_items(pctx *c, size_t n, size_t size)
{
    void *p = calloc(n > 0 ? n : 1, size);
    if (p == NULL)
        c->nomem = true;
    return p;
}

static bool want_array(pctx *c, json_t *v)
{
    if (!json_is_array(v)) {
        type_error(c, "an array", v);
        return false;
    }
    return true;
}

static bool want_object(pctx *c, json_t *v)
{
    if (!json_is_object(v)) {
        type_error(c, "an object", v);
        return false;
    }
    return true;
}

/* Index of the first of the n elements of `base` (element size `stride`)
 * whose string member at `offset` equals s, or -1: duplicate detection. */
static long find_string(const void *base, size_t stride, size_t offset, size_t n, const char *s)
{
    for (size_t j = 0; j < n; j++) {
        const char *t = *(char *const *)((const char *)base + j * stride + offset);
        if (t != NULL && strcmp(t, s) == 0)
            return (long)j;
    }
    return -1;
}

/* The same for an int64_t member. */
static long find_id(const void *base, size_t stride, size_t offset, size_t n, int64_t id)
{
    for (size_t j = 0; j < n; j++) {
        if (*(const int64_t *)((const char *)base + j * stride + offset) == id)
            return (long)j;
    }
    return -1;
}

#define FIND_STRING(arr, type, member, n, s)                                                       \
    find_string((arr), sizeof(type), offsetof(type, member), (n), (s))

/* Element `index` of a list: `item` is its JSON object (NULL when it is not
 * an object: only initialise), `base` the array being filled, `ctx` the owner. */
typedef void (*item_parser)(pctx *c, json_t *item, void *base, size_t index, void *ctx);

/* The shape every list of objects shares: an array of objects with known
 * fields, one element each in the returned array (*count of them; the caller
 * owns it, NULL when arr is no array), the path following. */
static void *parse_list(pctx *c, json_t *arr, size_t *count, size_t elem_size,
                        const struct field *fields, size_t nfields, item_parser fn, void *ctx)
{
    size_t i;
    json_t *item;
    void *base;

    if (!want_array(c, arr) || (base = alloc_items(c, json_array_size(arr), elem_size)) == NULL)
        return NULL;
    json_array_foreach(arr, i, item) {
        size_t saved = pctx_push_index(c, i);
        bool object = want_object(c, item);
        (*count)++;
        if (object)
            check_fields(c, item, fields, nfields);
        fn(c, object ? item : NULL, base, i, ctx);
        pctx_pop(c, saved);
    }
    return base;
}

static void file_right_item(pctx *c, json_t *item, void *base, size_t i, void *ctx)
{
    ccf_file_right *r = (ccf_file_right *)base + i;
    (void)ctx;
    if (item == NULL)
        return;
    WITH_KEY(c, item, "file_name", v, {
        long j;
        if (want_string(c, v, &r->file_name) && check_file_name(c, r->file_name, true) &&
            (j = FIND_STRING(base, ccf_file_right, file_name, i, r->file_name)) >= 0)
            pctx_error(c, "\"%s\" is listed twice in this file_rights list (also at [%ld])",
                       r->file_name, j);
    });
    WITH_KEY(c, item, "rights", v, want_rights(c, v, &r->rights));
}

static void parse_file_rights(pctx *c, json_t *arr, ccf_file_rights *out)
{
    out->items = parse_list(c, arr, &out->count, sizeof *out->items, file_right_fields,
                            NFIELDS(file_right_fields), file_right_item, NULL);
}

/* Member "id" of element i of a list: an integer in [0, 2^31) that no earlier
 * element (int64_t member at `offset`, elements of `stride` bytes) uses. */
static void want_unique_id(pctx *c, json_t *item, const void *base, size_t stride, size_t offset,
                           size_t i, int64_t *id, const char *list)
{
    WITH_KEY(c, item, "id", v, {
        long j;
        if (want_int(c, v, 0, INT32_MAX, id) && (j = find_id(base, stride, offset, i, *id)) >= 0)
            pctx_error(c, "id %" PRId64 " is used twice (also %s[%ld])", *id, list, j);
    });
}

/* An annotation's text: 1..max bytes of the standard base64 alphabet, and
 * commas between the items of a list (keys_jwe). */
static void check_annotation(pctx *c, const char *s, size_t max, bool list)
{
    size_t n = strlen(s), bad = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                          "0123456789+/=,");
    if (n == 0 || n > max)
        pctx_error(c, "must be 1-%zu bytes, not %zu", max, n);
    else if (bad != n || (!list && strchr(s, ',') != NULL))
        pctx_error(c, "byte %zu is not standard base64%s (the layer descriptor's annotation, as "
                      "skopeo wrote it)", bad < n ? bad : (size_t)(strchr(s, ',') - s),
                   list ? " or a comma" : "");
}

/* {"media_type", "keys_jwe", "pubopts"}: the encrypted layer's descriptor
 * (docs/policy.md "Encrypted OCI layers"); only tar layers, plain or gzip. */
static void parse_ocicrypt(pctx *c, json_t *obj, ccf_encrypted *e)
{
    static const char *const types[] = {"application/vnd.oci.image.layer.v1.tar+encrypted",
                                        "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
                                        "application/vnd.docker.image.rootfs.diff.tar.gzip+encrypted"};
    if (!want_object(c, obj))
        return;
    if ((e->ocicrypt = calloc(1, sizeof *e->ocicrypt)) == NULL) {
        c->nomem = true;
        return;
    }
    ccf_ocicrypt_layer *l = e->ocicrypt;
    check_fields(c, obj, ocicrypt_fields, NFIELDS(ocicrypt_fields));
    WITH_KEY(c, obj, "media_type", v, {
        bool known = false;
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            known |= json_is_string(v) && strcmp(json_string_value(v), types[i]) == 0;
        if (want_string(c, v, &l->media_type) && !known)
            pctx_error(c, "\"%.100s\" is not an encrypted tar layer (%s, %s or %s)", l->media_type,
                       types[0], types[1], types[2]);
    });
    WITH_KEY(c, obj, "keys_jwe", v, {
        if (want_string(c, v, &l->keys_jwe))
            check_annotation(c, l->keys_jwe, CCF_POLICY_MAX_KEYS_JWE, true);
    });
    WITH_KEY(c, obj, "pubopts", v, {
        if (want_string(c, v, &l->pubopts))
            check_annotation(c, l->pubopts, 4096, false);
    });
}

/* {"kbs_resource": "R/T/G", "sha256": 64 hex[, "ocicrypt": {...}]}: where the
 * key is, which envelope (or encrypted layer) may be uploaded. */
static void parse_encrypted(pctx *c, json_t *obj, ccf_encrypted *e)
{
    if (!want_object(c, obj))
        return;
    check_fields(c, obj, encrypted_fields, NFIELDS(encrypted_fields));
    WITH_KEY(c, obj, "kbs_resource", v, {
        if (want_string(c, v, &e->kbs_resource) && !ccf_kbs_path_ok(e->kbs_resource))
            pctx_error(c, "\"%.64s\" is not a key broker path REPOSITORY/TYPE/TAG (each 1-128 "
                          "of A-Z a-z 0-9 . _ -)", e->kbs_resource);
    });
    WITH_KEY(c, obj, "sha256", v, {
        if (want_string(c, v, &e->sha256))
            check_sha256_hex(c, e->sha256, false);
    });
    WITH_KEY(c, obj, "ocicrypt", v, parse_ocicrypt(c, v, e));
}

static void secret_item(pctx *c, json_t *item, void *base, size_t i, void *ctx)
{
    ccf_secret *sec = (ccf_secret *)base + i;
    (void)ctx;
    if (item == NULL)
        return;
    WITH_KEY(c, item, "kbs_resource", v, {
        if (want_string(c, v, &sec->kbs_resource) && !ccf_kbs_path_ok(sec->kbs_resource))
            pctx_error(c, "\"%.64s\" is not a key broker path REPOSITORY/TYPE/TAG (each 1-128 "
                          "of A-Z a-z 0-9 . _ -)", sec->kbs_resource);
    });
    WITH_KEY(c, item, "name", v, {
        if (want_string(c, v, &sec->name))
            check_name(c, "a secret's name", sec->name);
    });
}

static void identity_item(pctx *c, json_t *item, void *base, size_t i, void *ctx)
{
    ccf_identity *id = (ccf_identity *)base + i;
    (void)ctx;
    id->id = -1;
    if (item == NULL)
        return;
    WITH_KEY(c, item, "certificate", v, {
        long j;
        if (want_string(c, v, &id->certificate) &&
            check_certificate(c, id->certificate, &id->subject) &&
            (j = FIND_STRING(base, ccf_identity, certificate, i, id->certificate)) >= 0)
            pctx_error(c, "same certificate as identities[%ld]: each identity needs its own "
                          "certificate", j);
    });
    WITH_KEY(c, item, "file_rights", v, parse_file_rights(c, v, &id->rights));
    if (c->kind != CCF_POLICY_USER)
        want_unique_id(c, item, base, sizeof(ccf_identity), offsetof(ccf_identity, id), i, &id->id,
                       "identities");
}

static void program_item(pctx *c, json_t *item, void *base, size_t i, void *ctx)
{
    ccf_program *prog = (ccf_program *)base + i;
    (void)ctx;
    prog->id = -1;
    if (item == NULL)
        return;
    want_unique_id(c, item, base, sizeof(ccf_program), offsetof(ccf_program, id), i, &prog->id,
                   "programs");
    WITH_KEY(c, item, "pi_hash", v, {
        if (want_string(c, v, &prog->pi_hash))
            check_sha256_hex(c, prog->pi_hash, false);
    });
    WITH_KEY(c, item, "program_file_name", v, {
        long j;
        if (want_string(c, v, &prog->program_file_name) &&
            check_file_name(c, prog->program_file_name, false) &&
            (j = FIND_STRING(base, ccf_program, program_file_name, i, prog->program_file_name)) >= 0)
            pctx_error(c, "\"%s\" is used twice (also programs[%ld])", prog->program_file_name, j);
    });
    WITH_KEY(c, item, "file_rights", v, parse_file_rights(c, v, &prog->rights));
    WITH_KEY(c, item, "encrypted", v, parse_encrypted(c, v, &prog->encrypted));
    WITH_KEY(c, item, "secrets", v, {
        prog->secrets = parse_list(c, v, &prog->secret_count, sizeof *prog->secrets,
                                   secret_fields, NFIELDS(secret_fields), secret_item, NULL);
    });
}

static void data_file_item(pctx *c, json_t *item, void *base, size_t i, void *ctx)
{
    ccf_data_file *df = (ccf_data_file *)base + i;
    const ccf_policy *p = ctx; /* its programs, parsed before */
    if (item == NULL)
        return;
    WITH_KEY(c, item, "data_file", v, {
        long j;
        if (want_string(c, v, &df->data_file) && check_file_name(c, df->data_file, false)) {
            if ((j = FIND_STRING(base, ccf_data_file, data_file, i, df->data_file)) >= 0)
                pctx_error(c, "\"%s\" is listed twice (also data_files[%ld])", df->data_file, j);
            if ((j = FIND_STRING(p->programs, ccf_program, program_file_name, p->program_count,
                                 df->data_file)) >= 0)
                pctx_error(c, "\"%s\" is already the name of programs[%ld]", df->data_file, j);
        }
    });
    WITH_KEY(c, item, "pi_hash", v, {
        if (want_string(c, v, &df->pi_hash))
            check_sha256_hex(c, df->pi_hash, false);
    });
    WITH_KEY(c, item, "priority", v, {
        if (want_int(c, v, 0, INT32_MAX, &df->priority))
            df->has_priority = true;
    });
    WITH_KEY(c, item, "encrypted", v, parse_encrypted(c, v, &df->encrypted));
}

static void parse_identities(pctx *c, json_t *arr, ccf_policy *p)
{
    p->identities = parse_list(c, arr, &p->identity_count, sizeof *p->identities, identity_fields,
                               NFIELDS(identity_fields), identity_item, NULL);
}

static void parse_programs(pctx *c, json_t *arr, ccf_policy *p)
{
    if (json_is_array(arr) && json_array_size(arr) == 0) {
        pctx_error(c, "a function needs at least one program");
        return;
    }
    p->programs = parse_list(c, arr, &p->program_count, sizeof *p->programs, program_fields,
                             NFIELDS(program_fields), program_item, NULL);
}

static void parse_data_files(pctx *c, json_t *arr, ccf_policy *p)
{
    p->data_files = parse_list(c, arr, &p->data_file_count, sizeof *p->data_files,
                               data_file_fields, NFIELDS(data_file_fields), data_file_item, p);
}

/* stream_files: distinct plain file names (no directory), none a program's
 * or a data file's (those are stored whole and pinned). */
static void parse_stream_files(pctx *c, json_t *arr, ccf_policy *p)
{
    size_t i;
    json_t *item;
    if (!want_array(c, arr))
        return;
    if ((p->stream_files = alloc_items(c, json_array_size(arr), sizeof *p->stream_files)) == NULL)
        return;
    json_array_foreach(arr, i, item) {
        size_t saved = pctx_push_index(c, i);
        char **name = &p->stream_files[i];
        long j;
        p->stream_file_count = i + 1;
        if (want_string(c, item, name) && check_file_name(c, *name, false)) {
            for (j = 0; j < (long)i; j++) {
                if (p->stream_files[j] != NULL && strcmp(p->stream_files[j], *name) == 0)
                    pctx_error(c, "\"%s\" is listed twice (also stream_files[%ld])", *name, j);
            }
            if ((j = FIND_STRING(p->programs, ccf_program, program_file_name, p->program_count,
                                 *name)) >= 0)
                pctx_error(c, "\"%s\" is programs[%ld]: a program is stored whole, not streamed",
                           *name, j);
            if ((j = FIND_STRING(p->data_files, ccf_data_file, data_file, p->data_file_count,
                                 *name)) >= 0)
                pctx_error(c, "\"%s\" is data_files[%ld]: a data file is stored whole, not "
                              "streamed", *name, j);
        }
        pctx_pop(c, saved);
    }
}

static void parse_expiry(pctx *c, json_t *obj, ccf_cert_expiry *e)
{
    int64_t n;
    bool complete = true;
    struct {
        const char *key;
        int *dst;
    } parts[] = {{"year", &e->year},   {"month", &e->month},   {"day", &e->day},
                 {"hour", &e->hour},   {"minute", &e->minute}};

    if (!want_object(c, obj))
        return;
    check_fields(c, obj, expiry_fields, NFIELDS(expiry_fields));
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        json_t *v = json_object_get(obj, parts[i].key);
        if (v == NULL) {
            complete = false;
            continue;
        }
        size_t saved = pctx_push_key(c, parts[i].key);
        if (want_int(c, v, INT32_MIN, INT32_MAX, &n))
            *parts[i].dst = (int)n;
        else
            complete = false;
        pctx_pop(c, saved);
    }
    if (complete)
        check_expiry(c, e);
}

static void parse_std_streams(pctx *c, json_t *arr, ccf_policy *p)
{
    static const char *const stream_names[] = {"Stdin", "Stdout", "Stderr"};
    size_t i;
    json_t *item;
    int seen[3] = {-1, -1, -1};

    if (!want_array(c, arr))
        return;
    if ((p->std_streams = alloc_items(c, json_array_size(arr), sizeof *p->std_streams)) == NULL)
        return;
    json_array_foreach(arr, i, item) {
        size_t saved = pctx_push_index(c, i);
        const char *key;
        json_t *value;
        if (!want_object(c, item)) {
            pctx_pop(c, saved);
            continue;
        }
        if (json_object_size(item) != 1) {
            pctx_error(c, "expected an object with exactly one of \"Stdin\", \"Stdout\", "
                          "\"Stderr\", got %zu fields", json_object_size(item));
            pctx_pop(c, saved);
            continue;
        }
        json_object_foreach(item, key, value) {
            int which = -1;
            for (int s = 0; s < 3; s++) {
                if (strcmp(key, stream_names[s]) == 0)
                    which = s;
            }
            if (which < 0) {
                pctx_error_key(c, key, "unknown stream (expected \"Stdin\", \"Stdout\" or "
                                       "\"Stderr\")");
                continue;
            }
            size_t saved2 = pctx_push_key(c, key);
            if (seen[which] >= 0)
                pctx_error(c, "%s is listed twice (also std_streams_table[%d])", key, seen[which]);
            seen[which] = (int)i;
            ccf_std_stream *s = &p->std_streams[p->std_stream_count++];
            s->stream = (ccf_std_stream_kind)which;
            if (want_object(c, value)) {
                check_fields(c, value, file_right_fields, NFIELDS(file_right_fields));
                WITH_KEY(c, value, "file_name", v, {
                    if (want_string(c, v, &s->file_name))
                        check_file_name(c, s->file_name, false);
                });
                WITH_KEY(c, value, "rights", v, want_rights(c, v, &s->rights));
            }
            pctx_pop(c, saved2);
        }
        pctx_pop(c, saved);
    }
}

static const char *const ciphersuites[] = {
    /* TLS 1.3 */
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    /* TLS 1.2, ECDHE with AEAD only */
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
};

bool ccf_policy_ciphersuite_known(const char *name)
{
    for (size_t i = 0; i < sizeof ciphersuites / sizeof ciphersuites[0]; i++) {
        if (strcmp(name, ciphersuites[i]) == 0)
            return true;
    }
    return false;
}

/* Which kind a document is, from the fields it has. */
static ccf_policy_kind detect_kind(json_t *root)
{
    static const char *const full_only[] = {
        "enclave_cert_expiry", "proxy_attestation_server_url", "proxy_service_cert",
        "runtime_manager_hash_nitro", "runtime_manager_hash_sgx", "runtime_manager_hash_tz",
        "runtime_manager_hash_linux", "runtime_manager_hash_sevsnp", "runtime_manager_hash_tdx",
        "std_streams_table", "veracruz_server_url",
    };
    bool has_programs = json_object_get(root, "programs") != NULL;
    bool has_identities = json_object_get(root, "identities") != NULL;

    if (has_programs && has_identities) {
        for (size_t i = 0; i < sizeof full_only / sizeof full_only[0]; i++) {
            if (json_object_get(root, full_only[i]) != NULL)
                return CCF_POLICY_FULL;
        }
        return CCF_POLICY_VAAS;
    }
    if (has_programs || json_object_get(root, "execution_strategy") != NULL)
        return CCF_POLICY_PROGRAM;
    if (has_identities || json_object_get(root, "instanceid") != NULL)
        return CCF_POLICY_USER;
    return CCF_POLICY_AUTO;
}

static void parse_top(pctx *c, json_t *root, ccf_policy *p)
{
    check_fields(c, root, top_fields, NFIELDS(top_fields));

    WITH_KEY(c, root, "function", v, {
        if (want_string(c, v, &p->function))
            check_name(c, "function name", p->function);
    });
    WITH_KEY(c, root, c->kind == CCF_POLICY_USER ? "instanceid" : "instance_id", v, {
        if (want_string(c, v, &p->instance_id))
            check_name(c, "instance id", p->instance_id);
    });
    WITH_KEY(c, root, "execution_strategy", v, {
        if (want_string(c, v, &p->execution_strategy) &&
            strcmp(p->execution_strategy, "Interpretation") != 0 &&
            strcmp(p->execution_strategy, "JIT") != 0)
            pctx_error(c, "must be \"Interpretation\" or \"JIT\", got \"%.64s\"",
                       p->execution_strategy);
    });
    WITH_KEY(c, root, "ciphersuite", v, {
        if (want_string(c, v, &p->ciphersuite) && !ccf_policy_ciphersuite_known(p->ciphersuite))
            pctx_error(c, "unknown TLS cipher suite \"%.80s\" (e.g. \"TLS_AES_128_GCM_SHA256\" or "
                          "\"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\")", p->ciphersuite);
    });
    WITH_KEY(c, root, "debug", v, want_bool(c, v, &p->debug));
    WITH_KEY(c, root, "enable_clock", v, want_bool(c, v, &p->enable_clock));
    WITH_KEY(c, root, "max_memory_mib", v, {
        if (want_int(c, v, 1, 65536, &p->max_memory_mib))
            p->has_max_memory_mib = true;
    });
    WITH_KEY(c, root, "identities", v, parse_identities(c, v, p));
    WITH_KEY(c, root, "programs", v, parse_programs(c, v, p));
    if (c->kind != CCF_POLICY_USER) {
        WITH_KEY(c, root, "data_files", v, parse_data_files(c, v, p));
        WITH_KEY(c, root, "stream_files", v, parse_stream_files(c, v, p));
    }

    if (c->kind != CCF_POLICY_FULL)
        return;
    WITH_KEY(c, root, "instance_nonce", v, {
        if (want_string(c, v, &p->instance_nonce))
            check_sha256_hex(c, p->instance_nonce, false);
    });
    WITH_KEY(c, root, "enclave_cert_expiry", v, parse_expiry(c, v, &p->enclave_cert_expiry));
    WITH_KEY(c, root, "kbs_url", v, {
        if (want_string(c, v, &p->kbs_url))
            check_host_port(c, p->kbs_url, true);
    });
    WITH_KEY(c, root, "kbs_cert", v, {
        char *subject = NULL;
        if (want_string(c, v, &p->kbs_cert))
            check_certificate(c, p->kbs_cert, &subject);
        free(subject);
    });
    if (p->kbs_url != NULL && strncmp(p->kbs_url, "https://", 8) == 0 && p->kbs_cert == NULL) {
        size_t saved = pctx_push_key(c, "kbs_cert");
        pctx_error(c, "required with an https kbs_url: the key broker's certificate, pinned");
        pctx_pop(c, saved);
    }
    WITH_KEY(c, root, "proxy_attestation_server_url", v, {
        if (want_string(c, v, &p->proxy_attestation_server_url))
            check_host_port(c, p->proxy_attestation_server_url, true);
    });
    WITH_KEY(c, root, "proxy_tls_cert", v, {
        char *subject = NULL;
        if (want_string(c, v, &p->proxy_tls_cert))
            check_certificate(c, p->proxy_tls_cert, &subject);
        free(subject);
    });
    if (p->proxy_attestation_server_url != NULL &&
        strncmp(p->proxy_attestation_server_url, "https://", 8) == 0 && p->proxy_tls_cert == NULL) {
        size_t saved = pctx_push_key(c, "proxy_tls_cert");
        pctx_error(c, "required with an https proxy_attestation_server_url: the proxy's "
                      "certificate, pinned");
        pctx_pop(c, saved);
    }
    WITH_KEY(c, root, "proxy_service_cert", v, {
        char *subject = NULL;
        if (want_string(c, v, &p->proxy_service_cert))
            check_certificate(c, p->proxy_service_cert, &subject);
        free(subject);
    });
    WITH_KEY(c, root, "veracruz_server_url", v, {
        if (want_string(c, v, &p->veracruz_server_url))
            check_host_port(c, p->veracruz_server_url, false);
    });
    bool any_hash = false, hashes_present = true;
    for (int i = 0; i < CCF_RUNTIME_COUNT; i++) {
        char key[64];
        snprintf(key, sizeof key, "runtime_manager_hash_%s", platform_names[i]);
        WITH_KEY(c, root, key, v, {
            if (want_string(c, v, &p->runtime_hash[i]) && check_sha256_hex(c, p->runtime_hash[i], true))
                any_hash |= p->runtime_hash[i][0] != '\0';
            else
                hashes_present = false;
        });
    }
    if (hashes_present && !any_hash && json_object_get(root, "runtime_manager_hash_nitro") != NULL)
        pctx_error(c, "no runtime measurement: at least one runtime_manager_hash_* must be set, "
                      "or no client can verify the instance");
    WITH_KEY(c, root, "std_streams_table", v, parse_std_streams(c, v, p));
}

static const ccf_file_rights *identity_rights(const ccf_policy *p, size_t i)
{
    return &p->identities[i].rights;
}

static const ccf_file_rights *program_rights(const ccf_policy *p, size_t i)
{
    return &p->programs[i].rights;
}

/* Whether file_rights entry `entry` (a file, a directory ending in '/', or
 * "/") covers path. */
static bool right_covers(const char *entry, const char *path)
{
    size_t n = strlen(entry);
    return strcmp(entry, "/") == 0 || strcmp(entry, path) == 0 ||
           (n > 0 && entry[n - 1] == '/' && strncmp(entry, path, n) == 0);
}

/* Application secrets are for their program alone: unique names, and no
 * identity or program holds an explicit right that covers secrets/ (the
 * runtime gives the declaring program read access; nobody else gets any, so
 * no identity can read a secret over the data plane). */
static void check_secrets(pctx *c, const ccf_policy *p)
{
    char path[CCF_POLICY_MAX_SECRET_PATH];
    bool any = false;
    for (size_t i = 0; i < p->program_count; i++) {
        for (size_t j = 0; j < p->programs[i].secret_count; j++) {
            const char *name = p->programs[i].secrets[j].name;
            any = true;
            for (size_t k = 0; name != NULL && k <= i; k++)
                for (size_t l = 0; l < (k == i ? j : p->programs[k].secret_count); l++)
                    if (p->programs[k].secrets[l].name != NULL &&
                        strcmp(p->programs[k].secrets[l].name, name) == 0) {
                        size_t s0 = pctx_push_key(c, "programs");
                        pctx_push_index(c, i);
                        pctx_push_key(c, "secrets");
                        pctx_push_index(c, j);
                        pctx_push_key(c, "name");
                        pctx_error(c, "secret \"%s\" is declared twice (also "
                                      "programs[%zu].secrets[%zu])", name, k, l);
                        pctx_pop(c, s0);
                    }
        }
    }
    if (!any)
        return;
    snprintf(path, sizeof path, "%sx", CCF_POLICY_SECRETS_DIR);
    struct {
        const char *list;
        size_t count;
        const ccf_file_rights *(*rights)(const ccf_policy *, size_t);
    } owners[] = {{"identities", p->identity_count, identity_rights},
                  {"programs", p->program_count, program_rights}};
    for (size_t o = 0; o < 2; o++) {
        for (size_t i = 0; i < owners[o].count; i++) {
            const ccf_file_rights *r = owners[o].rights(p, i);
            for (size_t k = 0; k < r->count; k++) {
                const char *f = r->items[k].file_name;
                if (f == NULL || !(right_covers(f, path) ||
                                   strncmp(f, CCF_POLICY_SECRETS_DIR,
                                           strlen(CCF_POLICY_SECRETS_DIR)) == 0))
                    continue;
                size_t s0 = pctx_push_key(c, owners[o].list);
                pctx_push_index(c, i);
                pctx_push_key(c, "file_rights");
                pctx_push_index(c, k);
                pctx_push_key(c, "file_name");
                pctx_error(c, "\"%.64s\" covers the application secrets (%s...): with secrets "
                              "declared, no identity or program may hold rights on %s or \"/\" "
                              "(each secret's program reads it without a right)",
                           f, CCF_POLICY_SECRETS_DIR, CCF_POLICY_SECRETS_DIR);
                pctx_pop(c, s0);
            }
        }
    }
}

ccf_err ccf_policy_parse(const char *text, size_t len, ccf_policy_kind kind, ccf_policy **out,
                         ccf_policy_errors *errors)
{
    ccf_policy_errors local;
    pctx c;
    json_t *root = NULL;
    json_error_t jerr;
    ccf_policy *p = NULL;
    ccf_err rc = CCF_ERR_INVALID;

    *out = NULL;
    memset(&c, 0, sizeof c);
    c.errors = errors != NULL ? errors : &local;
    memset(c.errors, 0, sizeof *c.errors);

    if (len > CCF_POLICY_MAX_BYTES) {
        pctx_error(&c, "policy is %zu bytes; at most %u are accepted", len, CCF_POLICY_MAX_BYTES);
        return CCF_ERR_TOO_LARGE;
    }
    /* Duplicate keys would make two readers of one policy disagree: refuse them. */
    root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        ccf_policy_error *e = next_error(&c);
        if (e != NULL) {
            e->line = jerr.line > 0 ? jerr.line : 1;
            e->column = jerr.column > 0 ? jerr.column : 1;
            snprintf(e->message, sizeof e->message, "invalid JSON: %s", jerr.text);
        }
        goto out;
    }
    if (!json_is_object(root)) {
        type_error(&c, "a JSON object", root);
        goto out;
    }
    c.kind = kind == CCF_POLICY_AUTO ? detect_kind(root) : kind;
    if (c.kind == CCF_POLICY_AUTO) {
        pctx_error(&c, "cannot tell which kind of policy this is (it has neither \"programs\" "
                       "nor \"identities\"); name it with --kind program|user|vaas|full");
        goto out;
    }
    if ((p = calloc(1, sizeof *p)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    p->kind = c.kind;
    parse_top(&c, root, p);
    check_secrets(&c, p);
    if (c.nomem) {
        rc = CCF_ERR_NOMEM;
        pctx_error(&c, "out of memory");
        goto out;
    }
    if (c.errors->count == 0) {
        *out = p;
        p = NULL;
        rc = CCF_OK;
    }
out:
    ccf_policy_free(p);
    json_decref(root);
    return rc;
}

bool ccf_policy_hash(const char *text, size_t len, char out[CCF_SHA256_HEX_LEN + 1])
{
    return ccf_sha256_hex(text, len, out);
}

uint32_t ccf_file_rights_lookup(const ccf_file_rights *rights, const char *file_name)
{
    long best_len = -1;
    uint32_t best = 0;
    for (size_t i = 0; i < rights->count; i++) {
        const char *entry = rights->items[i].file_name;
        size_t n = strlen(entry);
        if (strcmp(entry, file_name) == 0)
            return rights->items[i].rights;
        if (n == 0 || entry[n - 1] != '/')
            continue;
        /* "/" is the root directory: every file inherits from it */
        size_t prefix = n == 1 ? 0 : n;
        if ((long)prefix > best_len && strncmp(entry, file_name, prefix) == 0) {
            best_len = (long)prefix;
            best = rights->items[i].rights;
        }
    }
    return best;
}

static bool uses_execute_bit(const ccf_policy *p)
{
    for (size_t i = 0; i < p->identity_count; i++) {
        for (size_t j = 0; j < p->identities[i].rights.count; j++) {
            if (p->identities[i].rights.items[j].rights & CCF_FD_EXECUTE)
                return true;
        }
    }
    return false;
}

bool ccf_policy_may_execute(const ccf_policy *p, size_t identity, size_t program)
{
    if (identity >= p->identity_count || program >= p->program_count)
        return false;
    const ccf_file_rights *r = &p->identities[identity].rights;
    if (uses_execute_bit(p))
        return (ccf_file_rights_lookup(r, p->programs[program].program_file_name) &
                CCF_FD_EXECUTE) != 0;
    for (size_t j = 0; j < r->count; j++) {
        if (r->items[j].rights & CCF_FD_READ)
            return true;
    }
    return false;
}

json_t *ccf_policy_errors_json(const ccf_policy_errors *errors)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < errors->count; i++) {
        const ccf_policy_error *e = &errors->items[i];
        json_t *o = json_pack("{s:s, s:s}", "path", e->path, "message", e->message);
        if (o != NULL && e->line > 0) {
            json_object_set_new(o, "line", json_integer(e->line));
            json_object_set_new(o, "column", json_integer(e->column));
        }
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

json_t *ccf_policy_errors_response(const ccf_policy_errors *errors, const char *what)
{
    char msg[640];
    const ccf_policy_error *e = errors->count > 0 ? &errors->items[0] : NULL;
    bool syntax = e != NULL && e->line > 0;
    size_t more = errors->count > 0 ? errors->count - 1 : 0;
    if (e == NULL)
        snprintf(msg, sizeof msg, "%s: invalid", what);
    else if (syntax)
        snprintf(msg, sizeof msg, "%s: line %d, column %d: %s", what, e->line, e->column,
                 e->message);
    else
        snprintf(msg, sizeof msg, "%s: %s%s%s", what, e->path, e->path[0] ? ": " : "",
                 e->message);
    if (more > 0 || errors->truncated) {
        size_t n = strlen(msg);
        snprintf(msg + n, sizeof msg - n, " (and %zu more%s)", more,
                 errors->truncated ? ", list truncated" : "");
    }
    json_t *list = ccf_policy_errors_json(errors);
    if (list == NULL)
        return NULL;
    return json_pack("{s:{s:s, s:s, s:o}}", "error", "code", syntax ? "invalid_json" :
                     "invalid_policy", "message", msg, "errors", list);
}

bool ccf_policy_has_encrypted(const ccf_policy *p)
{
    for (size_t i = 0; i < p->program_count; i++)
        if (p->programs[i].encrypted.kbs_resource != NULL || p->programs[i].secret_count > 0)
            return true;
    for (size_t i = 0; i < p->data_file_count; i++)
        if (p->data_files[i].encrypted.kbs_resource != NULL)
            return true;
    return false;
}
