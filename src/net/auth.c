/* Bearer-token store (see auth.h). */
#include "net/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/crypto.h"
#include "common/file.h"
#include "common/utc.h"

struct entry {
    char name[CCF_AUTH_NAME_MAX + 1];
    unsigned role;
    uint8_t hash[CCF_SHA256_LEN];
    bool has_cert;
    uint8_t cert[CCF_SHA256_LEN]; /* SHA-256 of the client certificate's DER */
};

struct ccf_auth {
    char *path;
    pthread_mutex_t mu;
    struct entry *entries; /* live entries only */
    size_t n;
    bool loaded;           /* a stat was taken; the fields below describe it */
    bool present;
    struct stat st;
};

static const struct {
    const char *name;
    unsigned role;
} roles[] = {{"admin", CCF_ROLE_ADMIN},
             {"operator", CCF_ROLE_OPERATOR},
             {"user", CCF_ROLE_USER},
             {"service", CCF_ROLE_SERVICE}};

const char *ccf_role_name(unsigned role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (roles[i].role == role)
            return roles[i].name;
    return "?";
}

bool ccf_role_parse(const char *s, unsigned *role)
{
    for (size_t i = 0; s != NULL && i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].name, s) == 0) {
            *role = roles[i].role;
            return true;
        }
    return false;
}

const char *ccf_roles_describe(unsigned set, char *buf, size_t size)
{
    size_t off = 0;
    buf[0] = '\0';
    /* least privileged first: "operator or admin" */
    static const unsigned order[] = {CCF_ROLE_USER, CCF_ROLE_OPERATOR, CCF_ROLE_SERVICE,
                                     CCF_ROLE_ADMIN};
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if ((set & order[i]) == 0)
            continue;
        int w = snprintf(buf + off, size - off, "%s%s", off ? " or " : "", ccf_role_name(order[i]));
        if (w < 0 || (size_t)w >= size - off)
            break;
        off += (size_t)w;
    }
    return buf;
}

bool ccf_auth_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > CCF_AUTH_NAME_MAX || name[0] == '-' || name[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* true when token has the form ccft_ + 64 hex */
static bool token_form(const char *token)
{
    size_t pl = strlen(CCF_AUTH_TOKEN_PREFIX);
    return token != NULL && strlen(token) == CCF_AUTH_TOKEN_LEN &&
           strncmp(token, CCF_AUTH_TOKEN_PREFIX, pl) == 0 && ccf_is_hex(token + pl, 64);
}

/* ---- the file ---------------------------------------------------------------- */

/* Reads and checks the file: *doc = the document ({"version":1,"tokens":[]} when
 * missing and `missing_ok`). */
static ccf_err load_doc(const char *path, bool missing_ok, json_t **doc, char *err,
                        size_t err_size)
{
    char *text = NULL;
    size_t len = 0;
    json_error_t jerr;
    ccf_err rc;
    *doc = NULL;
    struct stat st;
    if (stat(path, &st) != 0 && errno == ENOENT) {
        if (!missing_ok)
            return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "%s: no such file", path);
        *doc = json_pack("{s:i,s:[]}", "version", 1, "tokens");
        return *doc ? CCF_OK : ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    if ((rc = ccf_file_read(path, CCF_AUTH_MAX_FILE, &text, &len, err, err_size)) != CCF_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", err);
        return ccf_errf(err, err_size, rc, "%s: %s", path, why);
    }
    json_t *d = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (d == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: line %d column %d: %s", path,
                        jerr.line, jerr.column, jerr.text);
    json_t *v = json_object_get(d, "version"), *t = json_object_get(d, "tokens");
    if (!json_is_object(d) || !json_is_integer(v) || json_integer_value(v) != 1 ||
        !json_is_array(t)) {
        json_decref(d);
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "%s: expected {\"version\":1,\"tokens\":[...]}", path);
    }
    size_t i;
    json_t *e;
    json_array_foreach(t, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *role = json_string_value(json_object_get(e, "role"));
        const char *hash = json_string_value(json_object_get(e, "sha256"));
        json_t *revoked = json_object_get(e, "revoked");
        json_t *cert = json_object_get(e, "cert_sha256");
        unsigned r;
        if (!json_is_object(e) || !ccf_auth_name_valid(name) || !ccf_role_parse(role, &r) ||
            hash == NULL || !ccf_is_hex(hash, 64) || !json_is_boolean(revoked) ||
            (cert != NULL && (!json_is_string(cert) || !ccf_is_hex(json_string_value(cert), 64)))) {
            json_decref(d);
            return ccf_errf(err, err_size, CCF_ERR_INVALID,
                            "%s: tokens[%zu]: expected name, role (admin, operator, user, "
                            "service), sha256 (64 hex), revoked (boolean) and optionally "
                            "cert_sha256 (64 hex)", path, i);
        }
    }
    *doc = d;
    return CCF_OK;
}

static ccf_err save_doc(const char *path, json_t *doc, char *err, size_t err_size)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    if (text == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    size_t n = strlen(text);
    ccf_err rc = CCF_OK;
    char *full = realloc(text, n + 2);
    if (full == NULL) {
        free(text);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    full[n] = '\n';
    full[n + 1] = '\0';
    rc = ccf_file_write_atomic(path, full, n + 1, 0600, false, err, err_size);
    free(full);
    return rc;
}

/* The live token of name in the document, or NULL. */
static json_t *find_live(json_t *doc, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "tokens"), i, e) {
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0 &&
            !json_is_true(json_object_get(e, "revoked")))
            return e;
    }
    return NULL;
}

/* mkdir -p of path's parent directory, 0700 for the last one. */
static ccf_err make_parent(const char *path, char *err, size_t err_size)
{
    char dir[4096];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "path too long: %s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL || slash == dir)
        return CCF_OK;
    *slash = '\0';
    /* mkdir -p, 0700 for each directory made */
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return ccf_errf(err, err_size, CCF_ERR_IO, "cannot create directory %s: %s", dir,
                            strerror(errno));
        *p = saved;
        if (saved == '\0')
            break;
    }
    return CCF_OK;
}

ccf_err ccf_auth_dir_make(const char *data_dir, char *err, size_t err_size)
{
    char p[4096];
    if (snprintf(p, sizeof p, "%s/%s", data_dir, CCF_AUTH_TOKENS_FILE) >= (int)sizeof p)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    return make_parent(p, err, err_size);
}

ccf_err ccf_auth_add(const char *path, const char *name, unsigned role,
                     char token[CCF_AUTH_TOKEN_LEN + 1], char *err, size_t err_size)
{
    json_t *doc = NULL;
    uint8_t raw[32], hash[CCF_SHA256_LEN];
    char hex[2 * CCF_SHA256_LEN + 1], when[CCF_UTC_LEN];
    ccf_err rc;
    token[0] = '\0';
    if (!ccf_auth_name_valid(name))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "name '%s': expected 1-%d of A-Z a-z 0-9 . _ - (not starting with - or .)",
                        name ? name : "", CCF_AUTH_NAME_MAX);
    if (strcmp(ccf_role_name(role), "?") == 0)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "role: expected admin, operator, user "
                                                        "or service");
    if ((rc = make_parent(path, err, err_size)) != CCF_OK ||
        (rc = load_doc(path, true, &doc, err, err_size)) != CCF_OK)
        goto out;
    if (find_live(doc, name) != NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_CONFLICT,
                      "%s already has a token (revoke it first: ccfaas user revoke %s)", name,
                      name);
        goto out;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "no random bytes for a token");
        goto out;
    }
    memcpy(token, CCF_AUTH_TOKEN_PREFIX, strlen(CCF_AUTH_TOKEN_PREFIX));
    ccf_hex_encode(raw, sizeof raw, token + strlen(CCF_AUTH_TOKEN_PREFIX));
    if (!ccf_sha256(token, strlen(token), hash)) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot hash the token");
        goto out;
    }
    ccf_hex_encode(hash, sizeof hash, hex);
    ccf_utc_format(time(NULL), when);
    json_t *e = json_pack("{s:s,s:s,s:s,s:s,s:b}", "name", name, "role", ccf_role_name(role),
                          "sha256", hex, "created", when, "revoked", 0);
    if (e == NULL || json_array_append_new(json_object_get(doc, "tokens"), e) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = save_doc(path, doc, err, err_size);
out:
    OPENSSL_cleanse(raw, sizeof raw);
    if (rc != CCF_OK)
        OPENSSL_cleanse(token, CCF_AUTH_TOKEN_LEN + 1);
    json_decref(doc);
    return rc;
}

ccf_err ccf_auth_revoke(const char *path, const char *name, char *err, size_t err_size)
{
    json_t *doc = NULL;
    ccf_err rc;
    if ((rc = load_doc(path, true, &doc, err, err_size)) != CCF_OK)
        goto out;
    json_t *e = ccf_auth_name_valid(name) ? find_live(doc, name) : NULL;
    if (e == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "%s: no live token for '%s'", path,
                      name ? name : "");
        goto out;
    }
    char when[CCF_UTC_LEN];
    ccf_utc_format(time(NULL), when);
    json_object_set_new(e, "revoked", json_true());
    json_object_set_new(e, "revoked_at", json_string(when));
    rc = save_doc(path, doc, err, err_size);
out:
    json_decref(doc);
    return rc;
}

ccf_err ccf_auth_list(const char *path, json_t **out, char *err, size_t err_size)
{
    json_t *doc = NULL, *list = NULL;
    ccf_err rc;
    *out = NULL;
    if ((rc = load_doc(path, true, &doc, err, err_size)) != CCF_OK)
        return rc;
    if ((list = json_array()) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(doc, "tokens"), i, e) {
        json_t *c = json_object_get(e, "created");
        json_t *o = json_pack("{s:O,s:O,s:O,s:O}", "name", json_object_get(e, "name"), "role",
                              json_object_get(e, "role"), "created", c ? c : json_null(),
                              "revoked", json_object_get(e, "revoked"));
        if (o == NULL || json_array_append_new(list, o) != 0) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    *out = list;
    list = NULL;
out:
    json_decref(list);
    json_decref(doc);
    return rc;
}

/* ---- token files ---------------------------------------------------------- */

ccf_err ccf_auth_token_write(const char *path, const char *token, char *err, size_t err_size)
{
    char buf[CCF_AUTH_TOKEN_LEN + 2];
    if (!token_form(token))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "not a ccfaas token");
    memcpy(buf, token, CCF_AUTH_TOKEN_LEN);
    buf[CCF_AUTH_TOKEN_LEN] = '\n';
    ccf_err rc = make_parent(path, err, err_size);
    if (rc == CCF_OK)
        rc = ccf_file_write_atomic(path, buf, CCF_AUTH_TOKEN_LEN + 1, 0600, false, err, err_size);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

ccf_err ccf_auth_token_read(const char *path, char token[CCF_AUTH_TOKEN_LEN + 1], char *err,
                            size_t err_size)
{
    char *text = NULL;
    size_t len = 0;
    ccf_err rc = ccf_file_read(path, 1024, &text, &len, err, err_size);
    token[0] = '\0';
    if (rc != CCF_OK)
        return rc;
    size_t a = 0, b = len;
    while (a < b && strchr(" \t\r\n", text[a]) != NULL)
        a++;
    while (b > a && strchr(" \t\r\n", text[b - 1]) != NULL)
        b--;
    if (b - a == CCF_AUTH_TOKEN_LEN) {
        memcpy(token, text + a, CCF_AUTH_TOKEN_LEN);
        token[CCF_AUTH_TOKEN_LEN] = '\0';
    }
    OPENSSL_cleanse(text, len);
    free(text);
    if (!token_form(token)) {
        OPENSSL_cleanse(token, CCF_AUTH_TOKEN_LEN + 1);
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: not a ccfaas token (%s...)", path,
                        CCF_AUTH_TOKEN_PREFIX);
    }
    return CCF_OK;
}

/* ---- the service side --------------------------------------------------------- */

ccf_err ccf_auth_open(const char *path, ccf_auth **out, char *err, size_t err_size)
{
    ccf_auth *a = calloc(1, sizeof *a);
    *out = NULL;
    if (a == NULL || (a->path = strdup(path)) == NULL) {
        free(a);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&a->mu, NULL);
    *out = a;
    return CCF_OK;
}

ccf_err ccf_auth_open_dir(const char *data_dir, ccf_auth **out, char *err, size_t err_size)
{
    char p[4096];
    ccf_err rc;
    *out = NULL;
    if (snprintf(p, sizeof p, "%s/%s", data_dir, CCF_AUTH_TOKENS_FILE) >= (int)sizeof p)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST)
        return ccf_errf(err, err_size, CCF_ERR_IO, "cannot create %s: %s", data_dir,
                        strerror(errno));
    if ((rc = make_parent(p, err, err_size)) != CCF_OK)
        return rc;
    return ccf_auth_open(p, out, err, err_size);
}

void ccf_auth_free(ccf_auth *a)
{
    if (a == NULL)
        return;
    if (a->entries != NULL)
        OPENSSL_cleanse(a->entries, a->n * sizeof *a->entries);
    free(a->entries);
    free(a->path);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

const char *ccf_auth_path(const ccf_auth *a)
{
    return a->path;
}

static bool same_stat(const struct stat *x, const struct stat *y)
{
    return x->st_ino == y->st_ino && x->st_dev == y->st_dev && x->st_size == y->st_size &&
           x->st_mtim.tv_sec == y->st_mtim.tv_sec && x->st_mtim.tv_nsec == y->st_mtim.tv_nsec;
}

/* 64 hex digits (checked by load_doc) into 32 bytes. */
static void unhex(const char *h, uint8_t out[CCF_SHA256_LEN])
{
    for (size_t k = 0; k < CCF_SHA256_LEN; k++) {
        unsigned v;
        sscanf(h + 2 * k, "%2x", &v);
        out[k] = (uint8_t)v;
    }
}

/* Under a->mu: re-reads the file when it changed. On any failure the store is
 * empty (fail closed). */
static void refresh(ccf_auth *a)
{
    struct stat st;
    bool present = stat(a->path, &st) == 0;
    if (a->loaded && present == a->present && (!present || same_stat(&st, &a->st)))
        return;
    free(a->entries);
    a->entries = NULL;
    a->n = 0;
    a->loaded = true;
    a->present = present;
    if (present)
        a->st = st;
    json_t *doc = NULL;
    char err[256];
    if (!present || load_doc(a->path, false, &doc, err, sizeof err) != CCF_OK)
        return;
    json_t *t = json_object_get(doc, "tokens");
    size_t cap = json_array_size(t);
    if (cap > 0 && (a->entries = calloc(cap, sizeof *a->entries)) != NULL) {
        size_t i;
        json_t *e;
        json_array_foreach(t, i, e) {
            if (json_is_true(json_object_get(e, "revoked")))
                continue;
            struct entry *x = &a->entries[a->n];
            snprintf(x->name, sizeof x->name, "%s", json_string_value(json_object_get(e, "name")));
            if (!ccf_role_parse(json_string_value(json_object_get(e, "role")), &x->role))
                continue;
            unhex(json_string_value(json_object_get(e, "sha256")), x->hash);
            const char *c = json_string_value(json_object_get(e, "cert_sha256"));
            if ((x->has_cert = c != NULL))
                unhex(c, x->cert);
            a->n++;
        }
    }
    json_decref(doc);
}

/* The live entry whose token hash (by_cert false) or certificate hash (true)
 * is h, into *who. */
static bool lookup(ccf_auth *a, const uint8_t h[CCF_SHA256_LEN], bool by_cert, ccf_principal *who)
{
    bool found = false;
    pthread_mutex_lock(&a->mu);
    refresh(a);
    /* every entry is compared, whatever matched before: the time taken does
     * not depend on which entry (if any) matches */
    for (size_t i = 0; i < a->n; i++) {
        const struct entry *x = &a->entries[i];
        if (by_cert && !x->has_cert)
            continue;
        int diff = CRYPTO_memcmp(h, by_cert ? x->cert : x->hash, CCF_SHA256_LEN);
        if (diff == 0 && !found) {
            found = true;
            memcpy(who->name, x->name, sizeof who->name);
            who->role = x->role;
        }
    }
    pthread_mutex_unlock(&a->mu);
    return found;
}

bool ccf_auth_check(ccf_auth *a, const char *token, ccf_principal *who)
{
    uint8_t h[CCF_SHA256_LEN];
    memset(who, 0, sizeof *who);
    if (a == NULL || !token_form(token) || !ccf_sha256(token, strlen(token), h))
        return false;
    bool found = lookup(a, h, false, who);
    OPENSSL_cleanse(h, sizeof h);
    return found;
}

bool ccf_auth_check_cert(ccf_auth *a, const uint8_t cert_sha256[CCF_SHA256_LEN], ccf_principal *who)
{
    memset(who, 0, sizeof *who);
    return a != NULL && lookup(a, cert_sha256, true, who);
}

ccf_err ccf_auth_set_cert(const char *path, const char *name,
                          const uint8_t cert_sha256[CCF_SHA256_LEN], char *err, size_t err_size)
{
    json_t *doc = NULL;
    char hex[2 * CCF_SHA256_LEN + 1];
    ccf_err rc;
    if ((rc = load_doc(path, false, &doc, err, err_size)) != CCF_OK)
        goto out;
    json_t *e = ccf_auth_name_valid(name) ? find_live(doc, name) : NULL;
    if (e == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "%s: no live caller '%s'", path,
                      name ? name : "");
        goto out;
    }
    ccf_hex_encode(cert_sha256, CCF_SHA256_LEN, hex);
    json_object_set_new(e, "cert_sha256", json_string(hex));
    rc = save_doc(path, doc, err, err_size);
out:
    json_decref(doc);
    return rc;
}
