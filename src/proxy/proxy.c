/* Proxy attestation service (see proxy.h). */
#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/evidence.h"
#include "attest/launch.h"
#include "attest/pki.h"
#include "common/utc.h"

#define CA_DAYS 3650
#define NONCE_KEEP_NS (600LL * 1000000000LL) /* used/expired nonces remembered this long */
#define MAX_REQUEST_BODY (64u * 1024u)
#define NOTICE "linux platform: development only; no TEE, no hardware protection"

struct nonce_slot {
    uint8_t nonce[32];
    char caller[48]; /* the address that asked for it ("" = not over HTTP) */
    int64_t expires_ns;
    bool live; /* slot holds a nonce */
    bool used;
};

struct ccf_proxy {
    char *data_dir;
    EVP_PKEY *ca_key;
    X509 *ca_cert;
    char *ca_pem;
    bool ca_created;
    EVP_PKEY *platform_pub;
    uint8_t (*allow)[CCF_SHA256_LEN];
    size_t allow_count;
    unsigned max_cert_days;
    int64_t nonce_lifetime_ns;
    long nonce_lifetime_s;
    pthread_mutex_t mu;
    struct nonce_slot *nonces;
    size_t max_nonces;
    size_t max_per_caller;
    ccf_auth *auth; /* DATA/auth/tokens.json: admins, for GET /metrics */
    unsigned long long results[CCF_PROXY_INTERNAL + 1]; /* under mu */
};

/* Each refusal's wire code and the error class whose HTTP status it gets from
 * the one table (net/status.h); indexed by ccf_proxy_result. */
static const struct {
    const char *code;
    ccf_err err;
} results_table[] = {
    [CCF_PROXY_OK] = {"ok", CCF_OK},
    [CCF_PROXY_BAD_REQUEST] = {"bad_request", CCF_ERR_INVALID},
    [CCF_PROXY_UNSUPPORTED_PLATFORM] = {"unsupported_platform", CCF_ERR_INVALID},
    [CCF_PROXY_UNKNOWN_NONCE] = {"unknown_nonce", CCF_ERR_DENIED},
    [CCF_PROXY_NONCE_REUSED] = {"nonce_reused", CCF_ERR_DENIED},
    [CCF_PROXY_NONCE_EXPIRED] = {"nonce_expired", CCF_ERR_DENIED},
    [CCF_PROXY_BAD_EVIDENCE] = {"bad_evidence", CCF_ERR_INVALID},
    [CCF_PROXY_BAD_CSR] = {"bad_csr", CCF_ERR_INVALID},
    [CCF_PROXY_BAD_SIGNATURE] = {"bad_signature", CCF_ERR_DENIED},
    [CCF_PROXY_REPORT_DATA_MISMATCH] = {"report_data_mismatch", CCF_ERR_DENIED},
    [CCF_PROXY_NO_MEASUREMENT_ALLOWED] = {"no_measurement_allowed", CCF_ERR_DENIED},
    [CCF_PROXY_MEASUREMENT_NOT_ALLOWED] = {"measurement_not_allowed", CCF_ERR_DENIED},
    [CCF_PROXY_BAD_EXPIRY] = {"bad_expiry", CCF_ERR_INVALID},
    [CCF_PROXY_TOO_MANY_NONCES] = {"too_many_nonces", CCF_ERR_BUSY},
    [CCF_PROXY_BUSY] = {"busy", CCF_ERR_BUSY},
    [CCF_PROXY_INTERNAL] = {"internal", CCF_ERR_INTERNAL},
};

const char *ccf_proxy_result_code(ccf_proxy_result r)
{
    return (unsigned)r <= CCF_PROXY_INTERNAL ? results_table[r].code : "internal";
}

ccf_err ccf_proxy_result_err(ccf_proxy_result r)
{
    return (unsigned)r <= CCF_PROXY_INTERNAL ? results_table[r].err : CCF_ERR_INTERNAL;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ */
/* setup */

static ccf_err load_or_create_ca(ccf_proxy *p, char *err, size_t err_size)
{
    char key_path[4096], cert_path[4096];
    X509 *cert = NULL;
    bool key_created = false;
    ccf_err rc;
    if (snprintf(key_path, sizeof key_path, "%s/%s", p->data_dir, CCF_PROXY_CA_KEY_FILE) >=
            (int)sizeof key_path ||
        snprintf(cert_path, sizeof cert_path, "%s/%s", p->data_dir, CCF_PROXY_CA_CERT_FILE) >=
            (int)sizeof cert_path)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    if ((rc = ccf_pki_key_load_or_create(key_path, &p->ca_key, &key_created, err, err_size)) !=
        CCF_OK)
        return rc;
    if (!ccf_pki_key_is_p256(p->ca_key))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: not a P-256 key", key_path);
    rc = key_created ? CCF_ERR_NOT_FOUND : ccf_pki_cert_read(cert_path, &p->ca_cert, err, err_size);
    if (rc == CCF_OK) {
        if (X509_check_private_key(p->ca_cert, p->ca_key) != 1) {
            ERR_clear_error();
            return ccf_errf(err, err_size, CCF_ERR_INVALID,
                            "%s does not belong to the key %s", cert_path, key_path);
        }
    } else if (rc == CCF_ERR_NOT_FOUND) {
        time_t not_after = time(NULL) + (time_t)CA_DAYS * 86400;
        if ((rc = ccf_pki_cert_new(p->ca_key, "ccfaas proxy attestation CA", NULL, not_after,
                                   &cert, err, err_size)) != CCF_OK)
            return rc;
        if (ccf_pki_cert_add_ext(cert, NULL, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") !=
                CCF_OK ||
            ccf_pki_cert_add_ext(cert, NULL, NID_key_usage, "critical,keyCertSign,cRLSign") !=
                CCF_OK ||
            ccf_pki_cert_add_ext(cert, NULL, NID_subject_key_identifier, "hash") != CCF_OK ||
            ccf_pki_cert_add_ext(cert, NULL, NID_authority_key_identifier, "keyid:always") !=
                CCF_OK ||
            ccf_pki_cert_sign(cert, p->ca_key) != CCF_OK) {
            X509_free(cert);
            return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot create the CA certificate");
        }
        if ((rc = ccf_pki_cert_write(cert_path, cert, err, err_size)) != CCF_OK) {
            X509_free(cert);
            return rc;
        }
        p->ca_cert = cert;
        p->ca_created = true;
    } else {
        return rc;
    }
    if (ccf_pki_cert_to_pem(p->ca_cert, &p->ca_pem) != CCF_OK)
        return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot encode the CA certificate");
    return CCF_OK;
}

static ccf_err load_platform_key(ccf_proxy *p, const char *pub_path, char *err, size_t err_size)
{
    EVP_PKEY *priv = NULL;
    uint8_t *der = NULL;
    size_t len = 0;
    ccf_err rc;
    if (pub_path != NULL) {
        if ((rc = ccf_pki_pub_read(pub_path, &p->platform_pub, err, err_size)) != CCF_OK)
            return rc;
        if (!ccf_pki_key_is_p256(p->platform_pub))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: not a P-256 public key", pub_path);
        return CCF_OK;
    }
    /* only the public half is kept: the proxy never signs evidence */
    if ((rc = ccf_platform_key_load_or_create(p->data_dir, &priv, NULL, err, err_size)) != CCF_OK)
        return rc;
    rc = ccf_pki_pub_der(priv, &der, &len);
    EVP_PKEY_free(priv);
    if (rc != CCF_OK)
        return ccf_errf(err, err_size, rc, "cannot encode the platform public key");
    const unsigned char *q = der;
    p->platform_pub = d2i_PUBKEY(NULL, &q, (long)len);
    free(der);
    if (p->platform_pub == NULL)
        return ccf_errf(err, err_size, CCF_ERR_CRYPTO, "cannot decode the platform public key");
    return CCF_OK;
}

ccf_err ccf_proxy_new(const ccf_proxy_config *cfg, ccf_proxy **out, char *err, size_t err_size)
{
    ccf_proxy *p = NULL;
    ccf_err rc;
    *out = NULL;
    if (cfg->data_dir == NULL || cfg->data_dir[0] == '\0')
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "a data directory is required");
    if ((p = calloc(1, sizeof *p)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    p->max_cert_days = cfg->max_cert_days ? cfg->max_cert_days : 1;
    p->nonce_lifetime_s = cfg->nonce_lifetime_s < 0 ? 60 : cfg->nonce_lifetime_s;
    p->nonce_lifetime_ns = (int64_t)p->nonce_lifetime_s * 1000000000LL;
    p->max_nonces = cfg->max_nonces ? cfg->max_nonces : 4096;
    p->max_per_caller = cfg->max_nonces_per_caller ? cfg->max_nonces_per_caller
                                                   : CCF_PROXY_DEFAULT_NONCES_PER_CALLER;
    if ((p->data_dir = strdup(cfg->data_dir)) == NULL ||
        (p->nonces = calloc(p->max_nonces, sizeof *p->nonces)) == NULL ||
        (cfg->allow_count > 0 &&
         (p->allow = calloc(cfg->allow_count, sizeof *p->allow)) == NULL)) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (cfg->allow_count > 0)
        memcpy(p->allow, cfg->allow, cfg->allow_count * sizeof *p->allow);
    p->allow_count = cfg->allow_count;
    if ((rc = ccf_pki_mkdir(p->data_dir, err, err_size)) != CCF_OK ||
        (rc = load_or_create_ca(p, err, err_size)) != CCF_OK ||
        (rc = load_platform_key(p, cfg->platform_key_pub, err, err_size)) != CCF_OK ||
        (rc = ccf_auth_open_dir(p->data_dir, &p->auth, err, err_size)) != CCF_OK)
        goto fail;
    *out = p;
    return CCF_OK;
fail:
    ccf_proxy_free(p);
    return rc;
}

void ccf_proxy_free(ccf_proxy *p)
{
    if (p == NULL)
        return;
    EVP_PKEY_free(p->ca_key); /* OpenSSL wipes private key material on free */
    X509_free(p->ca_cert);
    free(p->ca_pem);
    EVP_PKEY_free(p->platform_pub);
    free(p->allow);
    free(p->nonces);
    free(p->data_dir);
    ccf_auth_free(p->auth);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

const char *ccf_proxy_ca_pem(const ccf_proxy *p)
{
    return p->ca_pem;
}

bool ccf_proxy_ca_created(const ccf_proxy *p)
{
    return p->ca_created;
}

/* ------------------------------------------------------------------ */
/* nonces */

ccf_proxy_result ccf_proxy_nonce_new(ccf_proxy *p, char hex[2 * 32 + 1])
{
    unsigned retry;
    return ccf_proxy_nonce_new_for(p, "", hex, &retry);
}

ccf_proxy_result ccf_proxy_nonce_new_for(ccf_proxy *p, const char *caller, char hex[2 * 32 + 1],
                                         unsigned *retry_after_s)
{
    uint8_t n[32];
    *retry_after_s = 0;
    hex[0] = '\0';
    if (RAND_bytes(n, sizeof n) != 1)
        return CCF_PROXY_INTERNAL;
    int64_t now = mono_ns();
    ccf_proxy_result r = CCF_PROXY_BUSY;
    pthread_mutex_lock(&p->mu);
    struct nonce_slot *free_slot = NULL, *oldest_dead = NULL;
    /* one caller's outstanding nonces are bounded: a flood from one address
     * cannot fill the table that every runtime needs */
    if (caller[0] != '\0') {
        size_t mine = 0;
        int64_t first_expiry = INT64_MAX;
        for (size_t i = 0; i < p->max_nonces; i++) {
            const struct nonce_slot *s = &p->nonces[i];
            if (s->live && !s->used && now < s->expires_ns && strcmp(s->caller, caller) == 0) {
                mine++;
                if (s->expires_ns < first_expiry)
                    first_expiry = s->expires_ns;
            }
        }
        if (mine >= p->max_per_caller) {
            int64_t wait = (first_expiry - now + 999999999LL) / 1000000000LL;
            *retry_after_s = wait < 1 ? 1u : (unsigned)wait;
            r = CCF_PROXY_TOO_MANY_NONCES;
            goto out;
        }
    }
    for (size_t i = 0; i < p->max_nonces; i++) {
        struct nonce_slot *s = &p->nonces[i];
        if (!s->live || now >= s->expires_ns + NONCE_KEEP_NS) {
            free_slot = s;
            break;
        }
        /* used or expired nonces may be forgotten early when the table is full */
        if ((s->used || now >= s->expires_ns) &&
            (oldest_dead == NULL || s->expires_ns < oldest_dead->expires_ns))
            oldest_dead = s;
    }
    if (free_slot == NULL)
        free_slot = oldest_dead;
    if (free_slot != NULL) {
        memcpy(free_slot->nonce, n, sizeof n);
        free_slot->expires_ns = now + p->nonce_lifetime_ns;
        free_slot->live = true;
        free_slot->used = false;
        snprintf(free_slot->caller, sizeof free_slot->caller, "%s", caller);
        r = CCF_PROXY_OK;
    } else {
        *retry_after_s = 1;
    }
out:
    pthread_mutex_unlock(&p->mu);
    if (r == CCF_PROXY_OK)
        ccf_hex_encode(n, sizeof n, hex);
    else
        hex[0] = '\0';
    return r;
}

/* Looks the nonce up and burns it: whatever happens next, it is never
 * accepted again. */
static ccf_proxy_result nonce_consume(ccf_proxy *p, const uint8_t n[32])
{
    int64_t now = mono_ns();
    ccf_proxy_result r = CCF_PROXY_UNKNOWN_NONCE;
    pthread_mutex_lock(&p->mu);
    for (size_t i = 0; i < p->max_nonces; i++) {
        struct nonce_slot *s = &p->nonces[i];
        if (!s->live || !ccf_ct_equal(s->nonce, n, 32))
            continue;
        if (s->used)
            r = CCF_PROXY_NONCE_REUSED;
        else if (now >= s->expires_ns)
            r = CCF_PROXY_NONCE_EXPIRED;
        else
            r = CCF_PROXY_OK;
        s->used = true;
        break;
    }
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* ------------------------------------------------------------------ */
/* attestation */

static bool san_ok(const char *s, bool *is_ip)
{
    unsigned char buf[16];
    size_t n = strlen(s);
    *is_ip = inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
    if (*is_ip)
        return true;
    if (n == 0 || n > 253 || s[0] == '.' || s[0] == '-' || s[n - 1] == '.' ||
        strstr(s, "..") != NULL)
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

static bool days_in_month_ok(int y, int m, int d)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d >= 1 && d <= dim[m - 1] + (m == 2 && leap ? 1 : 0);
}

/* Reads {"year","month","day","hour","minute"} into a UTC time. */
static bool parse_expiry(const json_t *v, time_t *out)
{
    static const char *const names[] = {"year", "month", "day", "hour", "minute"};
    static const long lo[] = {1970, 1, 1, 0, 0}, hi[] = {9999, 12, 31, 23, 59};
    long f[5];
    if (!json_is_object(v) || json_object_size(v) != 5)
        return false;
    for (int i = 0; i < 5; i++) {
        const json_t *x = json_object_get(v, names[i]);
        if (!json_is_integer(x) || json_integer_value(x) < lo[i] || json_integer_value(x) > hi[i])
            return false;
        f[i] = (long)json_integer_value(x);
    }
    if (!days_in_month_ok((int)f[0], (int)f[1], (int)f[2]))
        return false;
    struct tm tm = {0};
    tm.tm_year = (int)f[0] - 1900;
    tm.tm_mon = (int)f[1] - 1;
    tm.tm_mday = (int)f[2];
    tm.tm_hour = (int)f[3];
    tm.tm_min = (int)f[4];
    *out = timegm(&tm);
    return true;
}

static ccf_proxy_result fail(char *msg, size_t n, ccf_proxy_result r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static ccf_proxy_result fail(char *msg, size_t n, ccf_proxy_result r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, n, fmt, ap);
    va_end(ap);
    return r;
}

static const char *str_member(const json_t *req, const char *key)
{
    const json_t *v = json_object_get(req, key);
    if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)))
        return NULL;
    return json_string_value(v);
}

/* Issues the certificate. */
static ccf_proxy_result issue(ccf_proxy *p, EVP_PKEY *pub, const ccf_evidence *ev,
                              const uint8_t policy_hash[32], const char *platform,
                              const char *launch, const json_t *sans, time_t not_after,
                              X509 **out, char *msg, size_t msg_size)
{
    X509 *cert = NULL;
    char san_conf[CCF_PROXY_MAX_SANS * 270] = "";
    size_t used = 0, i;
    const json_t *v;
    ccf_proxy_result r = CCF_PROXY_INTERNAL;
    const char *cn = "ccfaas runtime instance";

    json_array_foreach(sans, i, v) {
        bool ip = false;
        const char *s = json_string_value(v);
        if (i == 0 && strlen(s) <= 64)
            cn = s;
        (void)san_ok(s, &ip);
        int w = snprintf(san_conf + used, sizeof san_conf - used, "%s%s:%s", used ? "," : "",
                         ip ? "IP" : "DNS", s);
        if (w < 0 || (size_t)w >= sizeof san_conf - used) {
            snprintf(msg, msg_size, "subject alternative names too long");
            goto out;
        }
        used += (size_t)w;
    }
    char err[256];
    if (ccf_pki_cert_new(pub, cn, p->ca_cert, not_after, &cert, err, sizeof err) != CCF_OK)
        goto out;
    if (ccf_pki_cert_add_ext(cert, p->ca_cert, NID_basic_constraints, "critical,CA:FALSE") !=
            CCF_OK ||
        ccf_pki_cert_add_ext(cert, p->ca_cert, NID_key_usage, "critical,digitalSignature") !=
            CCF_OK ||
        ccf_pki_cert_add_ext(cert, p->ca_cert, NID_ext_key_usage, "serverAuth,clientAuth") !=
            CCF_OK ||
        ccf_pki_cert_add_ext(cert, p->ca_cert, NID_subject_key_identifier, "hash") != CCF_OK ||
        ccf_pki_cert_add_ext(cert, p->ca_cert, NID_authority_key_identifier, "keyid:always") !=
            CCF_OK ||
        (used > 0 &&
         ccf_pki_cert_add_ext(cert, p->ca_cert, NID_subject_alt_name, san_conf) != CCF_OK) ||
        ccf_pki_cert_add_raw_ext(cert, CCF_OID_MEASUREMENT, ev->measurement, 32) != CCF_OK ||
        ccf_pki_cert_add_raw_ext(cert, CCF_OID_POLICY_HASH, policy_hash, 32) != CCF_OK ||
        ccf_pki_cert_add_raw_ext(cert, CCF_OID_PLATFORM, (const uint8_t *)platform,
                                 strlen(platform)) != CCF_OK ||
        ccf_pki_cert_add_raw_ext(cert, CCF_OID_LAUNCH, (const uint8_t *)launch, strlen(launch)) !=
            CCF_OK ||
        ccf_pki_cert_sign(cert, p->ca_key) != CCF_OK) {
        snprintf(msg, msg_size, "cannot build the certificate");
        goto out;
    }
    *out = cert;
    cert = NULL;
    r = CCF_PROXY_OK;
out:
    if (r != CCF_PROXY_OK && msg[0] == '\0')
        snprintf(msg, msg_size, "cannot build the certificate");
    X509_free(cert);
    return r;
}

static ccf_proxy_result attest(ccf_proxy *p, const char *platform, const json_t *req,
                               json_t **response, char *msg, size_t msg_size)
{
    static const char *const members[] = {"nonce", "policy_hash", "evidence", "csr", "launch",
                                          "enclave_cert_expiry", "subject_alt_names"};
    X509_REQ *csr = NULL;
    EVP_PKEY *pub = NULL;
    X509 *cert = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    uint8_t nonce[32], policy_hash[32];
    ccf_evidence ev;
    char detail[256], *cert_pem = NULL;
    const char *key;
    const json_t *value;
    ccf_proxy_result r;

    *response = NULL;
    msg[0] = '\0';
    if (strcmp(platform, "linux") != 0)
        return fail(msg, msg_size, CCF_PROXY_UNSUPPORTED_PLATFORM,
                    "platform '%.32s' is not supported (yet); supported: linux", platform);
    if (!json_is_object(req))
        return fail(msg, msg_size, CCF_PROXY_BAD_REQUEST, "the request must be a JSON object");
    const char *nonce_hex = str_member(req, "nonce");
    if (nonce_hex == NULL || !ccf_attest_hex_decode(nonce_hex, nonce, sizeof nonce))
        return fail(msg, msg_size, CCF_PROXY_BAD_REQUEST, "nonce: expected 64 hex digits");
    /* from here on the nonce is burnt, whatever the outcome */
    if ((r = nonce_consume(p, nonce)) != CCF_PROXY_OK)
        return fail(msg, msg_size, r, "%s",
                    r == CCF_PROXY_NONCE_REUSED ? "the nonce was used already (replay?)"
                    : r == CCF_PROXY_NONCE_EXPIRED
                        ? "the nonce expired; ask POST /attest/start for a new one"
                        : "the nonce was not issued by this service (or was forgotten)");

    json_object_foreach((json_t *)req, key, value) {
        bool known = false;
        for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
            known = known || strcmp(key, members[i]) == 0;
        if (!known) {
            r = fail(msg, msg_size, CCF_PROXY_BAD_REQUEST, "unknown member \"%.64s\"", key);
            goto out;
        }
    }
    const char *ph = str_member(req, "policy_hash");
    if (ph == NULL || !ccf_attest_hex_decode(ph, policy_hash, sizeof policy_hash)) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_REQUEST, "policy_hash: expected 64 hex digits");
        goto out;
    }
    const json_t *sans = json_object_get(req, "subject_alt_names");
    if (sans != NULL) {
        size_t i;
        const json_t *v;
        if (!json_is_array(sans) || json_array_size(sans) > CCF_PROXY_MAX_SANS) {
            r = fail(msg, msg_size, CCF_PROXY_BAD_REQUEST,
                     "subject_alt_names: expected an array of at most %d names",
                     CCF_PROXY_MAX_SANS);
            goto out;
        }
        json_array_foreach(sans, i, v) {
            bool ip = false;
            const char *s = json_is_string(v) ? json_string_value(v) : NULL;
            if (s == NULL || json_string_length(v) != strlen(s) || !san_ok(s, &ip)) {
                r = fail(msg, msg_size, CCF_PROXY_BAD_REQUEST,
                         "subject_alt_names[%zu]: expected a DNS name or an IP address", i);
                goto out;
            }
        }
    }
    time_t now = time(NULL);
    time_t not_after = now + (time_t)p->max_cert_days * 86400;
    const json_t *exp = json_object_get(req, "enclave_cert_expiry");
    if (exp != NULL) {
        time_t t;
        if (!parse_expiry(exp, &t)) {
            r = fail(msg, msg_size, CCF_PROXY_BAD_EXPIRY,
                     "enclave_cert_expiry: expected {year, month, day, hour, minute} of a real "
                     "date");
            goto out;
        }
        if (t <= now) {
            r = fail(msg, msg_size, CCF_PROXY_BAD_EXPIRY,
                     "enclave_cert_expiry is in the past: no certificate can be issued");
            goto out;
        }
        if (t < not_after)
            not_after = t;
    }
    if (ccf_evidence_from_json(json_object_get(req, "evidence"), &ev, detail, sizeof detail) !=
        CCF_OK) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_EVIDENCE, "%s", detail);
        goto out;
    }
    const char *csr_pem = str_member(req, "csr");
    if (csr_pem == NULL) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_CSR, "csr: expected a PEM certificate request");
        goto out;
    }
    if (ccf_pki_csr_from_pem(csr_pem, strlen(csr_pem), &csr, detail, sizeof detail) != CCF_OK) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_CSR, "csr: %s", detail);
        goto out;
    }
    if ((pub = X509_REQ_get_pubkey(csr)) == NULL || !ccf_pki_key_is_p256(pub)) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_CSR, "csr: the key must be a P-256 key");
        goto out;
    }
    if (X509_REQ_verify(csr, pub) != 1) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_CSR,
                 "csr: its self-signature does not verify (the requester does not hold the key)");
        goto out;
    }
    /* the runtime's own statement of how it was started, bound by report_data */
    const char *launch = str_member(req, "launch");
    ccf_launch lc;
    uint8_t launch_hash[CCF_SHA256_LEN];
    if (launch == NULL) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_REQUEST,
                 "launch: expected the runtime's launch configuration (a JSON text)");
        goto out;
    }
    if (ccf_launch_parse(launch, strlen(launch), &lc, detail, sizeof detail) != CCF_OK) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_REQUEST, "launch: %s", detail);
        goto out;
    }
    if (strcmp(ccf_runtime_platform_name(lc.platform), platform) != 0) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_REQUEST,
                 "launch: names platform %s, the request is for %s",
                 ccf_runtime_platform_name(lc.platform), platform);
        goto out;
    }
    if (!ccf_launch_hash(launch, strlen(launch), launch_hash)) {
        r = fail(msg, msg_size, CCF_PROXY_INTERNAL, "SHA-256 failed");
        goto out;
    }
    if (ccf_evidence_verify(&ev, p->platform_pub, detail, sizeof detail) != CCF_OK) {
        r = fail(msg, msg_size, CCF_PROXY_BAD_SIGNATURE, "%s", detail);
        goto out;
    }
    if (ccf_pki_pub_der(pub, &der, &der_len) != CCF_OK) {
        r = fail(msg, msg_size, CCF_PROXY_INTERNAL, "cannot encode the CSR key");
        goto out;
    }
    ccf_err b = ccf_evidence_check_binding(&ev, der, der_len, policy_hash, nonce, sizeof nonce,
                                           launch_hash);
    if (b != CCF_OK) {
        r = fail(msg, msg_size, b == CCF_ERR_DENIED ? CCF_PROXY_REPORT_DATA_MISMATCH
                                                    : CCF_PROXY_INTERNAL,
                 "report_data is not SHA-256(CSR public key DER || policy_hash || nonce || "
                 "SHA-256(launch))");
        goto out;
    }
    if (p->allow_count == 0) {
        r = fail(msg, msg_size, CCF_PROXY_NO_MEASUREMENT_ALLOWED,
                 "no runtime measurement is allowed by this service (start it with "
                 "--allow-measurement HEX, or install ccfaas-runtime next to ccfaas)");
        goto out;
    }
    bool allowed = false;
    for (size_t i = 0; i < p->allow_count; i++)
        allowed = allowed || ccf_ct_equal(p->allow[i], ev.measurement, CCF_SHA256_LEN);
    if (!allowed) {
        char hex[CCF_SHA256_HEX_LEN + 1];
        ccf_hex_encode(ev.measurement, CCF_SHA256_LEN, hex);
        r = fail(msg, msg_size, CCF_PROXY_MEASUREMENT_NOT_ALLOWED,
                 "measurement %s is not in the allow-list", hex);
        goto out;
    }
    if ((r = issue(p, pub, &ev, policy_hash, platform, launch, sans, not_after, &cert, msg,
                   msg_size)) !=
        CCF_PROXY_OK)
        goto out;
    if (ccf_pki_cert_to_pem(cert, &cert_pem) != CCF_OK) {
        r = fail(msg, msg_size, CCF_PROXY_INTERNAL, "cannot encode the certificate");
        goto out;
    }
    char na[CCF_UTC_LEN];
    ccf_utc_format(not_after, na);
    *response = json_pack("{s:s,s:s,s:s,s:b,s:s,s:s}", "certificate", cert_pem, "ca_certificate",
                          p->ca_pem, "platform", platform, "development_only", 1, "not_after", na,
                          "notice", NOTICE);
    if (*response == NULL)
        r = fail(msg, msg_size, CCF_PROXY_INTERNAL, "out of memory");
out:
    free(cert_pem);
    X509_free(cert);
    free(der);
    EVP_PKEY_free(pub);
    X509_REQ_free(csr);
    ERR_clear_error();
    return r;
}

ccf_proxy_result ccf_proxy_attest(ccf_proxy *p, const char *platform, const json_t *req,
                                  json_t **response, char *msg, size_t msg_size)
{
    ccf_proxy_result r = attest(p, platform, req, response, msg, msg_size);
    pthread_mutex_lock(&p->mu);
    if ((unsigned)r <= CCF_PROXY_INTERNAL)
        p->results[r]++;
    pthread_mutex_unlock(&p->mu);
    return r;
}

/* ------------------------------------------------------------------ */
/* HTTP */

static void metrics(ccf_http_metrics *m, void *ctx)
{
    ccf_proxy *p = ctx;
    unsigned long long results[CCF_PROXY_INTERNAL + 1];
    size_t outstanding = 0;
    int64_t now = mono_ns();
    pthread_mutex_lock(&p->mu);
    memcpy(results, p->results, sizeof results);
    for (size_t i = 0; i < p->max_nonces; i++)
        if (p->nonces[i].live && !p->nonces[i].used && now < p->nonces[i].expires_ns)
            outstanding++;
    pthread_mutex_unlock(&p->mu);
    ccf_http_metrics_printf(m, "# HELP ccfaas_proxy_attestations_total Attestation requests by "
                               "outcome (ok or the refusal code).\n"
                               "# TYPE ccfaas_proxy_attestations_total counter\n");
    for (int r = 0; r <= CCF_PROXY_INTERNAL; r++)
        ccf_http_metrics_printf(m, "ccfaas_proxy_attestations_total{result=\"%s\"} %llu\n",
                                ccf_proxy_result_code((ccf_proxy_result)r), results[r]);
    ccf_http_metrics_printf(m, "# HELP ccfaas_proxy_nonces_outstanding Nonces issued, not yet "
                               "used and not expired.\n"
                               "# TYPE ccfaas_proxy_nonces_outstanding gauge\n"
                               "ccfaas_proxy_nonces_outstanding %zu\n",
                            outstanding);
}

static void h_ca(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_proxy *p = ctx;
    (void)req;
    ccf_http_respond_bytes(resp, 200, "application/x-pem-file", p->ca_pem, strlen(p->ca_pem));
}

static void h_start(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_proxy *p = ctx;
    char hex[65], peer[48];
    unsigned retry = 0;
    ccf_proxy_result r =
        ccf_proxy_nonce_new_for(p, ccf_http_request_peer(req, peer, sizeof peer), hex, &retry);
    if (r == CCF_PROXY_TOO_MANY_NONCES) {
        ccf_http_respond_error(resp, 429, ccf_proxy_result_code(r),
                               "too many outstanding nonces for %s (at most %zu; each is "
                               "used by an attestation or expires after %ld s)",
                               peer, p->max_per_caller, p->nonce_lifetime_s);
        resp->retry_after_s = retry;
        return;
    }
    if (r != CCF_PROXY_OK) {
        resp->retry_after_s = retry;
        ccf_http_respond_err(resp, ccf_proxy_result_err(r), ccf_proxy_result_code(r), "%s",
                             r == CCF_PROXY_BUSY ? "too many outstanding nonces; retry later"
                                                 : "cannot make a nonce");
        return;
    }
    ccf_http_respond_json(resp, 200,
                          json_pack("{s:s,s:I}", "nonce", hex, "expires_in",
                                    (json_int_t)p->nonce_lifetime_s));
}

static void h_attest(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_proxy *p = ctx;
    char msg[512];
    json_t *body = ccf_http_request_json(req, msg, sizeof msg), *out = NULL;
    if (body == NULL) {
        ccf_http_respond_error(resp, 400, "bad_request", "%s", msg);
        return;
    }
    ccf_proxy_result r =
        ccf_proxy_attest(p, ccf_http_request_param(req, "platform"), body, &out, msg, sizeof msg);
    json_decref(body);
    if (r != CCF_PROXY_OK) {
        ccf_http_respond_err(resp, ccf_proxy_result_err(r), ccf_proxy_result_code(r), "%s", msg);
        return;
    }
    ccf_http_respond_json(resp, 200, out);
}

ccf_err ccf_proxy_mount(ccf_proxy *p, ccf_http_server *srv)
{
    ccf_err rc;
    /* the attestation routes stay open (runtimes prove themselves with their
     * evidence; nonces are bounded per caller); GET /metrics is for admins */
    ccf_http_server_set_auth(srv, p->auth);
    if ((rc = ccf_http_server_route(srv, "GET", "/ca", h_ca, p, 0)) != CCF_OK ||
        (rc = ccf_http_server_route(srv, "POST", "/attest/start", h_start, p, 1024)) != CCF_OK ||
        (rc = ccf_http_server_route(srv, "POST", "/attest/<platform>", h_attest, p,
                                    MAX_REQUEST_BODY)) != CCF_OK ||
        (rc = ccf_http_server_add_metrics(srv, metrics, p)) != CCF_OK)
        return rc;
    return CCF_OK;
}
