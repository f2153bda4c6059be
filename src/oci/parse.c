/* OCI pure parsers: references, manifests, indexes, WWW-Authenticate (oci.h). */
#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/crypto.h"
#include "oci/oci.h"

void ccf_oci_digest(const void *data, size_t len, char out[CCF_OCI_DIGEST_LEN + 1])
{
    memcpy(out, "sha256:", 7);
    if (!ccf_sha256_hex(data, len, out + 7))
        out[0] = '\0';
}

static bool digest_ok(const char *d)
{
    if (strncmp(d, "sha256:", 7) != 0 || strlen(d) != CCF_OCI_DIGEST_LEN)
        return false;
    for (const char *p = d + 7; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* [a-z0-9]+ components separated by ".", "_", "__", "-"+, joined by "/". */
static bool repo_ok(const char *r, size_t n)
{
    if (n == 0 || n > 255)
        return false;
    bool need_alnum = true;
    for (size_t i = 0; i < n; i++) {
        char c = r[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            need_alnum = false;
        } else if (c == '/' || c == '.' || c == '-' || c == '_') {
            if (need_alnum)
                return false;
            if (c == '_' && i + 1 < n && r[i + 1] == '_')
                i++;
            else if (c == '-')
                while (i + 1 < n && r[i + 1] == '-')
                    i++;
            need_alnum = true;
        } else {
            return false;
        }
    }
    return !need_alnum;
}

static bool tag_ok(const char *t, size_t n)
{
    if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
            return false;
    return true;
}

static bool host_ok(const char *h, size_t n)
{
    size_t colon = n;
    for (size_t i = 0; i < n; i++)
        if (h[i] == ':')
            colon = i;
    if (colon == 0 || colon > 253)
        return false;
    for (size_t i = 0; i < colon; i++)
        if (!(isalnum((unsigned char)h[i]) || h[i] == '.' || h[i] == '-'))
            return false;
    if (colon < n) {
        long port = 0;
        if (colon + 1 == n || n - colon - 1 > 5)
            return false;
        for (size_t i = colon + 1; i < n; i++) {
            if (!isdigit((unsigned char)h[i]))
                return false;
            port = port * 10 + (h[i] - '0');
        }
        if (port < 1 || port > 65535)
            return false;
    }
    return true;
}

ccf_err ccf_oci_ref_parse(const char *uri, ccf_oci_ref *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    if (strncmp(uri, "docker://", 9) != 0)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "\"%.80s\": an image reference starts with docker://", uri);
    const char *s = uri + 9, *slash = strchr(s, '/');
    if (slash == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "\"%.80s\": expected docker://HOST[:PORT]/REPO[:TAG][@DIGEST]",
                   uri);
    if (!host_ok(s, (size_t)(slash - s)))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "\"%.80s\": bad registry host[:port] \"%.*s\"", uri,
                   (int)((slash - s) > 80 ? 80 : slash - s), s);
    memcpy(out->host, s, (size_t)(slash - s));
    const char *rest = slash + 1, *at = strchr(rest, '@');
    size_t end = at ? (size_t)(at - rest) : strlen(rest);
    if (at != NULL) {
        if (!digest_ok(at + 1))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "\"%.80s\": the digest must be sha256: and 64 lower-case "
                       "hex digits", uri);
        memcpy(out->digest, at + 1, CCF_OCI_DIGEST_LEN);
    }
    /* a tag is after the last ':' that follows the last '/' */
    size_t last_slash = 0, colon = end;
    for (size_t i = 0; i < end; i++) {
        if (rest[i] == '/')
            last_slash = i, colon = end;
        else if (rest[i] == ':')
            colon = i;
    }
    (void)last_slash;
    if (colon < end) {
        if (!tag_ok(rest + colon + 1, end - colon - 1))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "\"%.80s\": bad tag (1-128 of A-Z a-z 0-9 _ . -, not "
                       "starting with . or -)", uri);
        memcpy(out->tag, rest + colon + 1, end - colon - 1);
    }
    if (!repo_ok(rest, colon))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "\"%.80s\": bad repository (lower-case components "
                   "[a-z0-9] joined by . _ __ - and /, at most 255 bytes)", uri);
    memcpy(out->repo, rest, colon);
    if (out->tag[0] == '\0' && out->digest[0] == '\0')
        snprintf(out->tag, sizeof out->tag, "latest");
    return CCF_OK;
}

/* ---- manifests and indexes ------------------------------------------------------ */

static void desc_clear(ccf_oci_descriptor *d)
{
    free(d->media_type);
    free(d->title);
    free(d->enc_keys_jwe);
    free(d->enc_pubopts);
    free(d->platform_os);
    free(d->platform_arch);
    memset(d, 0, sizeof *d);
}

static char *dup_str(const json_t *v) { return json_is_string(v) ? strdup(json_string_value(v)) : NULL; }

static ccf_err parse_desc(const json_t *o, const char *path, bool index, ccf_oci_descriptor *d,
                          char *err, size_t err_size)
{
    if (!json_is_object(o))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected an object", path);
    const json_t *mt = json_object_get(o, "mediaType"), *dg = json_object_get(o, "digest"),
                 *sz = json_object_get(o, "size");
    if (!json_is_string(mt))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s.mediaType: expected a string", path);
    if (!json_is_string(dg) || !digest_ok(json_string_value(dg)))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s.digest: expected sha256: and 64 lower-case hex digits",
                   path);
    if (!json_is_integer(sz) || json_integer_value(sz) < 0)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s.size: expected an integer >= 0", path);
    d->media_type = strdup(json_string_value(mt));
    memcpy(d->digest, json_string_value(dg), CCF_OCI_DIGEST_LEN + 1);
    d->size = json_integer_value(sz);
    const json_t *ann = json_object_get(o, "annotations");
    if (ann != NULL && !json_is_object(ann))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s.annotations: expected an object", path);
    const json_t *title = json_object_get(ann, "org.opencontainers.image.title");
    if (title != NULL && !json_is_string(title))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s.annotations.org.opencontainers.image.title: expected a "
                   "string", path);
    d->title = dup_str(title);
    static const char *const enc[] = {"org.opencontainers.image.enc.keys.jwe",
                                      "org.opencontainers.image.enc.pubopts"};
    char **into[] = {&d->enc_keys_jwe, &d->enc_pubopts};
    for (size_t i = 0; i < 2; i++) {
        const json_t *a = json_object_get(ann, enc[i]);
        if (a != NULL && !json_is_string(a))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s.annotations.%s: expected a string",
                            path, enc[i]);
        if (a != NULL && (*into[i] = dup_str(a)) == NULL)
            return CCF_ERR_NOMEM;
    }
    if (index) {
        const json_t *pf = json_object_get(o, "platform");
        if (pf != NULL && !json_is_object(pf))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s.platform: expected an object", path);
        d->platform_os = dup_str(json_object_get(pf, "os"));
        d->platform_arch = dup_str(json_object_get(pf, "architecture"));
    }
    return d->media_type ? CCF_OK : CCF_ERR_NOMEM;
}

static json_t *load_object(const char *json, size_t len, char *err, size_t err_size)
{
    json_error_t je;
    if (len > CCF_OCI_MAX_MANIFEST) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "larger than %u bytes", CCF_OCI_MAX_MANIFEST);
        return NULL;
    }
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "not JSON: line %d, column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    const json_t *sv = json_object_get(root, "schemaVersion");
    if (!json_is_object(root) || !json_is_integer(sv) || json_integer_value(sv) != 2) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "schemaVersion: expected 2");
        json_decref(root);
        return NULL;
    }
    return root;
}

ccf_err ccf_oci_config_diff_ids(const char *json, size_t len, char (*ids)[CCF_OCI_DIGEST_LEN + 1],
                                size_t max, size_t *count, char *err, size_t err_size)
{
    json_error_t je;
    ccf_err rc = CCF_OK;
    *count = 0;
    if (len > CCF_OCI_MAX_MANIFEST)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "image config: larger than %u bytes",
                        CCF_OCI_MAX_MANIFEST);
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "image config: not JSON: line %d, column "
                        "%d: %s", je.line, je.column, je.text);
    const json_t *rootfs = json_object_get(root, "rootfs"), *d = json_object_get(rootfs, "diff_ids");
    if (!json_is_object(root) || !json_is_object(rootfs) || !json_is_array(d)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "image config: rootfs.diff_ids: expected "
                      "an array");
        goto out;
    }
    if (json_array_size(d) > max) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "image config: rootfs.diff_ids: more than "
                      "%zu", max);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(d); i++) {
        const json_t *v = json_array_get(d, i);
        if (!json_is_string(v) || !digest_ok(json_string_value(v))) {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "image config: rootfs.diff_ids[%zu]: "
                          "expected sha256: and 64 lower-case hex digits", i);
            goto out;
        }
        memcpy(ids[i], json_string_value(v), CCF_OCI_DIGEST_LEN + 1);
    }
    *count = json_array_size(d);
out:
    json_decref(root);
    return rc;
}

void ccf_oci_manifest_clear(ccf_oci_manifest *m)
{
    if (m == NULL)
        return;
    free(m->media_type);
    free(m->artifact_type);
    desc_clear(&m->config);
    for (size_t i = 0; i < m->layer_count; i++)
        desc_clear(&m->layers[i]);
    free(m->layers);
    memset(m, 0, sizeof *m);
}

ccf_err ccf_oci_manifest_parse(const char *json, size_t len, ccf_oci_manifest *out, char *err,
                               size_t err_size)
{
    ccf_err rc;
    char path[32];
    memset(out, 0, sizeof *out);
    json_t *root = load_object(json, len, err, err_size);
    if (root == NULL)
        return CCF_ERR_INVALID;
    const json_t *mt = json_object_get(root, "mediaType"), *at = json_object_get(root, "artifactType");
    const json_t *layers = json_object_get(root, "layers");
    if ((mt != NULL && !json_is_string(mt)) || (at != NULL && !json_is_string(at))) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected a string", mt && !json_is_string(mt) ? "mediaType"
                                                                                   : "artifactType");
        goto out;
    }
    if (mt != NULL && strcmp(json_string_value(mt), CCF_OCI_MT_MANIFEST) != 0 &&
        strcmp(json_string_value(mt), CCF_OCI_MT_DOCKER_MANIFEST) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "mediaType: \"%.80s\" is not an image manifest",
                 json_string_value(mt));
        goto out;
    }
    out->media_type = dup_str(mt);
    out->artifact_type = dup_str(at);
    if ((rc = parse_desc(json_object_get(root, "config"), "config", false, &out->config, err,
                         err_size)) != CCF_OK)
        goto out;
    if (!json_is_array(layers) || json_array_size(layers) == 0 ||
        json_array_size(layers) > CCF_OCI_MAX_LAYERS) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "layers: expected an array of 1-%d descriptors",
                 CCF_OCI_MAX_LAYERS);
        goto out;
    }
    if ((out->layers = calloc(json_array_size(layers), sizeof *out->layers)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(layers); i++) {
        out->layer_count = i + 1;
        snprintf(path, sizeof path, "layers[%zu]", i);
        if ((rc = parse_desc(json_array_get(layers, i), path, false, &out->layers[i], err,
                             err_size)) != CCF_OK)
            goto out;
    }
    rc = CCF_OK;
out:
    json_decref(root);
    if (rc != CCF_OK)
        ccf_oci_manifest_clear(out);
    return rc;
}

void ccf_oci_index_clear(ccf_oci_index *ix)
{
    if (ix == NULL)
        return;
    for (size_t i = 0; i < ix->count; i++)
        desc_clear(&ix->manifests[i]);
    free(ix->manifests);
    memset(ix, 0, sizeof *ix);
}

ccf_err ccf_oci_index_parse(const char *json, size_t len, ccf_oci_index *out, char *err,
                            size_t err_size)
{
    ccf_err rc = CCF_OK;
    char path[32];
    memset(out, 0, sizeof *out);
    json_t *root = load_object(json, len, err, err_size);
    if (root == NULL)
        return CCF_ERR_INVALID;
    const json_t *ms = json_object_get(root, "manifests");
    if (!json_is_array(ms) || json_array_size(ms) > CCF_OCI_MAX_LAYERS) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "manifests: expected an array of at most %d descriptors",
                 CCF_OCI_MAX_LAYERS);
        goto out;
    }
    if ((out->manifests = calloc(json_array_size(ms) + 1, sizeof *out->manifests)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < json_array_size(ms); i++) {
        out->count = i + 1;
        snprintf(path, sizeof path, "manifests[%zu]", i);
        if ((rc = parse_desc(json_array_get(ms, i), path, true, &out->manifests[i], err,
                             err_size)) != CCF_OK)
            goto out;
    }
out:
    json_decref(root);
    if (rc != CCF_OK)
        ccf_oci_index_clear(out);
    return rc;
}

static bool is(const char *a, const char *b) { return a != NULL && strcmp(a, b) == 0; }

const ccf_oci_descriptor *ccf_oci_index_pick(const ccf_oci_index *ix)
{
    static const char *const prefs[][2] = {{"wasip1", "wasm"}, {"wasi", "wasm"}, {"linux", "amd64"}};
    for (size_t p = 0; p < sizeof prefs / sizeof prefs[0]; p++)
        for (size_t i = 0; i < ix->count; i++)
            if (is(ix->manifests[i].platform_os, prefs[p][0]) &&
                is(ix->manifests[i].platform_arch, prefs[p][1]))
                return &ix->manifests[i];
    return ix->count ? &ix->manifests[0] : NULL;
}

/* ---- WWW-Authenticate ------------------------------------------------------------- */

ccf_err ccf_oci_challenge_parse(const char *h, ccf_oci_challenge *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    while (*h == ' ' || *h == '\t')
        h++;
    if (strncasecmp(h, "Bearer", 6) == 0 && (h[6] == ' ' || h[6] == '\0'))
        out->bearer = true, h += 6;
    else if (strncasecmp(h, "Basic", 5) == 0 && (h[5] == ' ' || h[5] == '\0'))
        h += 5;
    else
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: scheme \"%.20s\" is neither Basic nor Bearer",
                   h);
    while (*h) {
        char name[32], value[1024];
        size_t n = 0, v = 0;
        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        if (*h == '\0')
            break;
        while (*h && (isalnum((unsigned char)*h) || *h == '_' || *h == '-')) {
            if (n + 1 >= sizeof name)
                return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: parameter name too long");
            name[n++] = *h++;
        }
        name[n] = '\0';
        if (n == 0 || *h != '=')
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: expected name=value at \"%.20s\"", h);
        h++;
        if (*h == '"') {
            h++;
            while (*h && *h != '"') {
                if (*h == '\\' && h[1] != '\0')
                    h++;
                if (v + 1 >= sizeof value)
                    return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: %s is too long", name);
                value[v++] = *h++;
            }
            if (*h != '"')
                return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: unterminated quoted %s", name);
            h++;
        } else {
            while (*h && *h != ',' && *h != ' ' && *h != '\t') {
                if (v + 1 >= sizeof value)
                    return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: %s is too long", name);
                value[v++] = *h++;
            }
        }
        value[v] = '\0';
        for (size_t i = 0; i < v; i++)
            if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
                return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: %s has a control character", name);
        char *dst = NULL;
        size_t cap = 0;
        if (strcasecmp(name, "realm") == 0)
            dst = out->realm, cap = sizeof out->realm;
        else if (strcasecmp(name, "service") == 0)
            dst = out->service, cap = sizeof out->service;
        else if (strcasecmp(name, "scope") == 0)
            dst = out->scope, cap = sizeof out->scope;
        if (dst != NULL) {
            if (v >= cap)
                return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: %s is too long", name);
            memcpy(dst, value, v + 1);
        }
    }
    if (out->bearer && strncmp(out->realm, "https://", 8) != 0 &&
        strncmp(out->realm, "http://", 7) != 0)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "WWW-Authenticate: Bearer needs an http(s):// realm");
    return CCF_OK;
}
