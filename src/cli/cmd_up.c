/* `ccfaas up`: the proxy attestation service, VaaS and CCFaaS in one process
 * (three HTTP servers on their own threads; DESIGN §1, §2, §6). `ccfaas demo`
 * (cmd_demo.c) starts the same services through up.h. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include <openssl/x509.h>

#include "attest/evidence.h"
#include "attest/pki.h"
#include "client/trust_file.h"
#include "proxy/proxy.h"
#include "ccfaas/ccfaas.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/up.h"
#include "common/crypto.h"
#include "common/file.h"
#include "net/auth.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "serviceca/serviceca.h"
#include "vaas/vaas.h"

#include <openssl/crypto.h>

static const char *const svc_names[SVC_COUNT] = {"proxy", "vaas", "ccfaas"};

void ccf_cli_up_defaults(struct up_opts *o)
{
    *o = (struct up_opts){.data_dir = "ccfaas-data",
                          .host = "127.0.0.1",
                          .port = {CCF_PROXY_DEFAULT_PORT, CCF_VAAS_DEFAULT_PORT,
                                   CCF_CCFAAS_DEFAULT_PORT},
                          .first = CCF_VAAS_FIRST_INSTANCE_PORT,
                          .last = CCF_VAAS_FIRST_INSTANCE_PORT + 99,
                          .kbs_port = 8080,
                          .workorder_port = -1, /* 1947, and a taken port only skips it */
                          .s3stream_port = -1,  /* 5020, likewise */
                          .max_instances_per_user = CCF_CCFAAS_DEFAULT_INSTANCES_PER_USER,
                          .max_mib_per_operator = CCF_CCFAAS_DEFAULT_MIB_PER_OPERATOR};
}

/* "H:P", or "[H]:P" for an IPv6 address. */
static void host_port(char *buf, size_t size, const char *host, unsigned port)
{
    snprintf(buf, size, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* A server for service i on opts' host and port, not yet started. */
static ccf_err new_server(const struct up_opts *o, const struct up *u, int i,
                          ccf_http_server **srv, char *err, size_t err_size)
{
    char listen[300];
    host_port(listen, sizeof listen, o->host, (unsigned)o->port[i]);
    ccf_http_config hc = {.listen = listen, .service = svc_names[i], .quiet = o->quiet,
                          .per_ip_connections = (unsigned)o->per_address,
                          .request_deadline_s = (unsigned)o->deadline_s};
    if (o->tls) {
        hc.tls_cert_file = u->tls_cert[i];
        hc.tls_key_file = u->tls_key[i];
        hc.tls_client_ca_file = u->ca_path;
    }
    ccf_err rc = ccf_http_server_new(&hc, srv, err, err_size);
    if (rc != CCF_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        ccf_errf(err, err_size, rc, "%s server on %s: %s", svc_names[i], listen, why);
    }
    return rc;
}

/* Starts server i (when `listen`) and records its URL. */
static ccf_err start_server(const struct up_opts *o, struct up *u, int i, bool listen, char *err,
                            size_t err_size)
{
    unsigned port = (unsigned)o->port[i];
    if (listen) {
        char why[512];
        if (ccf_http_server_start(u->srv[i], why, sizeof why) != CCF_OK)
            return ccf_errf(err, err_size, CCF_ERR_IO, "%s on %s port %u: %s", svc_names[i],
                            o->host, port, why);
        port = ccf_http_server_port(u->srv[i]);
    }
    char hp[sizeof u->hostport[i]];
    host_port(hp, sizeof hp, o->host, port);
    memcpy(u->hostport[i], hp, sizeof hp);
    snprintf(u->url[i], sizeof u->url[i], "%s://%s", o->tls ? "https" : "http", hp);
    return CCF_OK;
}

/* Stops the servers (CCFaaS first: no new instance requests), then frees the
 * services; VaaS stops every instance it still runs. */
void ccf_cli_up_stop(struct up *u)
{
    ccf_http_server_free(u->s3_srv); /* stops it */
    ccf_s3stream_free(u->s3);        /* cancels its jobs */
    ccf_http_server_free(u->wo_srv); /* stops it */
    ccf_wo_service_free(u->wo);
    ccf_trust_free(u->wo_trust);
    ccf_kbs_free(u->kbs); /* stops it */
    for (int i = SVC_COUNT - 1; i >= 0; i--)
        ccf_http_server_stop(u->srv[i]);
    ccf_ccfaas_free(u->ccfaas);
    ccf_vaas_free(u->vaas);
    ccf_proxy_free(u->proxy);
    for (int i = 0; i < SVC_COUNT; i++)
        ccf_http_server_free(u->srv[i]);
    free(u->proxy_tls_pem);
    memset(u, 0, sizeof *u);
}

/* DATA_DIR/trust.json: what a client must trust to use this host's instances.
 * Added to, never narrowed: a user may have added their own entries. */
static ccf_err write_trust(const struct up_opts *o, struct up *u,
                           const uint8_t measurement[CCF_SHA256_LEN], char *err, size_t err_size)
{
    const char *ca_pem = ccf_proxy_ca_pem(u->proxy);
    X509 *ca = NULL;
    ccf_trust *t = NULL;
    uint8_t h[CCF_SHA256_LEN];
    unsigned int n = 0;
    bool added;
    char detail[300];
    ccf_err rc;
    if (snprintf(u->trust_path, sizeof u->trust_path, "%s/trust.json", o->data_dir) >=
        (int)sizeof u->trust_path)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    if ((rc = ccf_pki_cert_from_pem(ca_pem, strlen(ca_pem), &ca, detail, sizeof detail)) != CCF_OK ||
        X509_digest(ca, EVP_sha256(), h, &n) != 1 || n != CCF_SHA256_LEN) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "trust file: the proxy CA: %s", detail);
        goto out;
    }
    if ((rc = ccf_trust_file_load_or_new(u->trust_path, &t, err, err_size)) != CCF_OK)
        goto out;
    if ((rc = ccf_trust_add_ca(t, h, "ccfaas up: proxy attestation CA", &added)) != CCF_OK ||
        (rc = ccf_trust_add_measurement(t, CCF_RUNTIME_LINUX, measurement, u->runtime, &added)) !=
            CCF_OK) {
        ccf_errf(err, err_size, rc, "trust file: cannot add entries");
        goto out;
    }
    t->allow_development_platform = true; /* this host has no TEE: say so, once, here */
    rc = ccf_trust_file_save(u->trust_path, t, err, err_size);
out:
    ccf_trust_free(t);
    X509_free(ca);
    return rc;
}

/* A caller `name` with `role` whose token is written to token_file, unless
 * the file exists already (*created says which). */
static ccf_err make_token(const char *tokens, const char *name, unsigned role,
                          const char *token_file, bool *created, char *err, size_t err_size)
{
    char tok[CCF_AUTH_TOKEN_LEN + 1];
    ccf_err rc;
    *created = false;
    if (access(token_file, F_OK) == 0)
        return CCF_OK;
    if ((rc = ccf_auth_add(tokens, name, role, tok, err, err_size)) !=
        CCF_OK) {
        if (rc == CCF_ERR_CONFLICT) {
            char why[400];
            snprintf(why, sizeof why, "%s", err);
            return ccf_errf(err, err_size, rc, "%s is missing but %s: revoke it to make a new "
                            "one (ccfaas user revoke %s --data-dir DIR)", token_file, why, name);
        }
        return rc;
    }
    rc = ccf_auth_token_write(token_file, tok, err, err_size);
    OPENSSL_cleanse(tok, sizeof tok);
    *created = rc == CCF_OK;
    return rc;
}

static ccf_err setup_tokens(const struct up_opts *o, struct up *u, char *err, size_t err_size)
{
    char tokens[PATH_MAX + 64], service[PATH_MAX + 64];
    bool made = false;
    ccf_err rc;
    if (mkdir(o->data_dir, 0700) == 0)
        u->made_data_dir = true;
    else if (errno != EEXIST)
        return ccf_errf(err, err_size, CCF_ERR_IO, "cannot create %s: %s", o->data_dir,
                        strerror(errno));
    if (snprintf(tokens, sizeof tokens, "%s/%s", o->data_dir, CCF_AUTH_TOKENS_FILE) >=
            (int)sizeof tokens ||
        snprintf(service, sizeof service, "%s/%s", o->data_dir, CCF_AUTH_SERVICE_TOKEN_FILE) >=
            (int)sizeof service ||
        snprintf(u->admin_token_path, sizeof u->admin_token_path, "%s/%s", o->data_dir,
                 CCF_AUTH_ADMIN_TOKEN_FILE) >= (int)sizeof u->admin_token_path)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    if ((rc = ccf_auth_dir_make(o->data_dir, err, err_size)) != CCF_OK ||
        (rc = make_token(tokens, "admin", CCF_ROLE_ADMIN, u->admin_token_path,
                         &u->admin_token_created, err, err_size)) != CCF_OK ||
        (rc = make_token(tokens, "ccfaas-service", CCF_ROLE_SERVICE, service, &made, err,
                         err_size)) != CCF_OK) {
        char why[600];
        snprintf(why, sizeof why, "%s", err);
        return ccf_errf(err, err_size, rc, "tokens: %s", why);
    }
    return CCF_OK;
}

/* --tls: the data directory's service CA (made on first start), a
 * certificate for each service (reissued when missing or near expiry), the
 * admin's client certificate (made once), both registered in the token store
 * beside the tokens; this process's outgoing calls (CCFaaS -> VaaS) pin the CA
 * and present CCFaaS's certificate. */
static ccf_err setup_tls(const struct up_opts *o, struct up *u, char *err, size_t err_size)
{
    ccf_serviceca *ca = NULL;
    char tokens[PATH_MAX + 64], sans[400], why[600];
    uint8_t fp[32];
    ccf_err rc;
    /* the certificates name the address they serve on (and loopback) */
    snprintf(sans, sizeof sans, "IP:127.0.0.1,IP:::1,DNS:localhost%s%s",
             strcmp(o->host, "127.0.0.1") && strcmp(o->host, "::1") ? ",IP:" : "",
             strcmp(o->host, "127.0.0.1") && strcmp(o->host, "::1") ? o->host : "");
    snprintf(tokens, sizeof tokens, "%s/%s", o->data_dir, CCF_AUTH_TOKENS_FILE);
    if (snprintf(u->admin_cert_path, sizeof u->admin_cert_path, "%s/admin.crt", o->data_dir) >=
            (int)sizeof u->admin_cert_path ||
        snprintf(u->admin_key_path, sizeof u->admin_key_path, "%s/admin.key", o->data_dir) >=
            (int)sizeof u->admin_key_path)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "data directory path too long");
    if ((rc = ccf_serviceca_open(o->data_dir, true, &ca, why, sizeof why)) != CCF_OK)
        goto out;
    snprintf(u->ca_path, sizeof u->ca_path, "%s", ccf_serviceca_cert_path(ca));
    for (int i = 0; i < SVC_COUNT; i++) {
        if ((rc = ccf_serviceca_ensure(ca, o->data_dir, svc_names[i], sans, u->tls_cert[i],
                                       u->tls_key[i], sizeof u->tls_cert[i], fp, why,
                                       sizeof why)) != CCF_OK)
            goto out;
        /* CCFaaS's certificate is the platform service's client identity towards VaaS */
        if (i == SVC_CCFAAS &&
            (rc = ccf_auth_set_cert(tokens, "ccfaas-service", fp, why, sizeof why)) != CCF_OK)
            goto out;
    }
    if (access(u->admin_key_path, F_OK) != 0) {
        unlink(u->admin_cert_path);
        if ((rc = ccf_serviceca_issue(ca, "admin", CCF_SERVICECA_CALLER, NULL, u->admin_cert_path,
                                      u->admin_key_path, fp, why, sizeof why)) != CCF_OK ||
            (rc = ccf_auth_set_cert(tokens, "admin", fp, why, sizeof why)) != CCF_OK)
            goto out;
    }
    size_t len = 0;
    ccf_http_tls ct = {.ca_file = u->ca_path, .cert_file = u->tls_cert[SVC_CCFAAS],
                       .key_file = u->tls_key[SVC_CCFAAS]};
    if ((rc = ccf_file_read(u->tls_cert[SVC_PROXY], 65536, &u->proxy_tls_pem, &len, why,
                            sizeof why)) != CCF_OK)
        goto out;
    if (ccf_http_client_set_tls(&ct) != CCF_OK)
        rc = ccf_errf(why, sizeof why, CCF_ERR_NOMEM, "out of memory");
out:
    ccf_serviceca_free(ca);
    if (rc != CCF_OK)
        ccf_errf(err, err_size, rc, "service CA: %s", why);
    return rc;
}

/* The key broker on the same data directory: its store and keys beside the
 * others', the linux platform key the proxy made as its trusted key. */
static ccf_err start_kbs(const struct up_opts *o, struct up *u, char *err, size_t err_size)
{
    char listen[300], why[512];
    host_port(listen, sizeof listen, o->host, (unsigned)o->kbs_port);
    ccf_kbs_config kc = {.data_dir = o->data_dir, .listen = listen, .quiet = o->quiet,
                         .tls = true, .per_ip_connections = (unsigned)o->per_address,
                         .request_deadline_s = (unsigned)o->deadline_s};
    ccf_err rc = ccf_kbs_new(&kc, &u->kbs, why, sizeof why);
    if (rc == CCF_OK)
        rc = ccf_kbs_start(u->kbs, why, sizeof why);
    if (rc != CCF_OK)
        return ccf_errf(err, err_size, rc, "kbs on %s port %ld: %s", o->host, o->kbs_port, why);
    host_port(listen, sizeof listen, o->host, ccf_kbs_port(u->kbs));
    snprintf(u->kbs_url, sizeof u->kbs_url, "https://%s", listen);
    return CCF_OK;
}

/* With --tls, a listener of `up` beside the three services (work orders, S3
 * streams): its certificate from the data directory's service CA (made once),
 * and client certificates of that CA accepted. */
static ccf_err listener_tls(const struct up_opts *o, struct up *u, const char *name, char *cert,
                            char *key, size_t size, ccf_http_config *hc, char *err, size_t err_size)
{
    ccf_serviceca *ca = NULL;
    uint8_t fp[32];
    char sans[400], why[600];
    ccf_err rc;
    if (!o->tls)
        return CCF_OK;
    snprintf(sans, sizeof sans, "IP:127.0.0.1,IP:::1,DNS:localhost%s%s",
             strcmp(o->host, "127.0.0.1") && strcmp(o->host, "::1") ? ",IP:" : "",
             strcmp(o->host, "127.0.0.1") && strcmp(o->host, "::1") ? o->host : "");
    rc = ccf_serviceca_open(o->data_dir, true, &ca, why, sizeof why);
    if (rc == CCF_OK)
        rc = ccf_serviceca_ensure(ca, o->data_dir, name, sans, cert, key, size, fp, why, sizeof why);
    ccf_serviceca_free(ca);
    if (rc != CCF_OK)
        return ccf_errf(err, err_size, rc, "%s: service CA: %s", name, why);
    hc->tls_cert_file = cert;
    hc->tls_key_file = key;
    hc->tls_client_ca_file = u->ca_path;
    return CCF_OK;
}

/* Starts a listener of `up` beside the three services (work orders, S3
 * streams) for the service svc, mounted by mount: HTTPS with --tls, `up`'s
 * limits. A default port that is taken (port_opt < 0) only skips it: *srv is
 * then NULL and `skipped` says why; `up` is also run by tests and by people
 * with such a service of their own. */
static ccf_err start_listener(const struct up_opts *o, struct up *u, const char *name,
                              long port_opt, long default_port, char *cert, char *key,
                              size_t cert_size, ccf_err (*mount)(void *svc, ccf_http_server *srv),
                              void *svc, ccf_http_server **srv, char *url, size_t url_size,
                              char *skipped, size_t skipped_size, char *err, size_t err_size)
{
    char listen[300], why[600];
    ccf_err rc;
    long port = port_opt < 0 ? default_port : port_opt;
    host_port(listen, sizeof listen, o->host, (unsigned)port);
    ccf_http_config hc = {.listen = listen, .service = name, .quiet = o->quiet,
                          .per_ip_connections = (unsigned)o->per_address,
                          .request_deadline_s = (unsigned)o->deadline_s};
    if ((rc = listener_tls(o, u, name, cert, key, cert_size, &hc, err, err_size)) != CCF_OK)
        return rc;
    if ((rc = ccf_http_server_new(&hc, srv, why, sizeof why)) != CCF_OK)
        return ccf_errf(err, err_size, rc, "%s: %s", name, why);
    if ((rc = mount(svc, *srv)) != CCF_OK)
        return ccf_errf(err, err_size, rc, "%s: cannot add routes", name);
    if ((rc = ccf_http_server_start(*srv, why, sizeof why)) != CCF_OK) {
        if (port_opt < 0) {
            snprintf(skipped, skipped_size, "port %ld: %.300s", port, why);
            ccf_http_server_free(*srv);
            *srv = NULL;
            return CCF_OK;
        }
        return ccf_errf(err, err_size, rc, "%s on %s port %ld: %s", name, o->host, port, why);
    }
    host_port(listen, sizeof listen, o->host, ccf_http_server_port(*srv));
    snprintf(url, url_size, "%s://%s", o->tls ? "https" : "http", listen);
    return CCF_OK;
}

static ccf_err mount_s3stream(void *svc, ccf_http_server *srv) { return ccf_s3stream_mount(svc, srv); }
static ccf_err mount_workorder(void *svc, ccf_http_server *srv) { return ccf_wo_service_mount(svc, srv); }

/* The S3 stream service (docs/s3stream.md) for up's callers; default port 5020. */
static ccf_err start_s3stream(const struct up_opts *o, struct up *u, char *err, size_t err_size)
{
    char why[600];
    ccf_err rc;
    ccf_s3stream_config sc = {.data_dir = o->data_dir}; /* up's callers */
    if ((rc = ccf_s3stream_new(&sc, &u->s3, why, sizeof why)) != CCF_OK)
        return ccf_errf(err, err_size, rc, "s3stream: %s", why);
    rc = start_listener(o, u, "s3stream", o->s3stream_port, CCF_S3STREAM_DEFAULT_PORT, u->s3_tls_cert,
                        u->s3_tls_key, sizeof u->s3_tls_cert, mount_s3stream, u->s3, &u->s3_srv,
                        u->s3_url, sizeof u->s3_url, u->s3_skipped, sizeof u->s3_skipped, err,
                        err_size);
    if (rc == CCF_OK && u->s3_srv == NULL) { /* skipped */
        ccf_s3stream_free(u->s3);
        u->s3 = NULL;
    }
    return rc;
}

/* The work-order listener (docs/workorders.md) on the same data directory:
 * its identity, database and the operators' tokens beside the others', the
 * instances checked against DATA_DIR/trust.json; default port 1947. */
static ccf_err start_workorder(const struct up_opts *o, struct up *u, char *err, size_t err_size)
{
    char why[600];
    ccf_err rc;
    ccf_wo_config wc = {.data_dir = o->data_dir};
    if ((rc = ccf_trust_file_load(u->trust_path, &u->wo_trust, why, sizeof why)) != CCF_OK ||
        (wc.trust = u->wo_trust, rc = ccf_wo_service_new(&wc, &u->wo, why, sizeof why)) != CCF_OK)
        return ccf_errf(err, err_size, rc, "workorder: %s", why);
    rc = start_listener(o, u, "workorder", o->workorder_port, CCF_WO_DEFAULT_PORT, u->wo_tls_cert,
                        u->wo_tls_key, sizeof u->wo_tls_cert, mount_workorder, u->wo, &u->wo_srv,
                        u->wo_url, sizeof u->wo_url, u->wo_skipped, sizeof u->wo_skipped, err,
                        err_size);
    if (rc == CCF_OK && u->wo_srv == NULL) { /* skipped */
        ccf_wo_service_free(u->wo);
        u->wo = NULL;
    }
    return rc;
}

/* Creates, mounts and (when `listen`) starts the services in order: VaaS
 * needs the proxy's address and CA and the key broker's URL, CCFaaS the VaaS
 * URL. On failure everything made so far is stopped and freed. */
ccf_err ccf_cli_up_start(const struct up_opts *o, struct up *u, bool listen, char *err,
                        size_t err_size)
{
    uint8_t measurement[CCF_SHA256_LEN];
    const uint8_t(*allow)[CCF_SHA256_LEN] = (const uint8_t(*)[CCF_SHA256_LEN])measurement;
    ccf_err rc;
    memset(u, 0, sizeof *u);
    if (!ccf_cli_default_runtime(u->runtime, sizeof u->runtime, measurement)) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                      "ccfaas-runtime not found beside ccfaas nor in the build tree "
                      "(src/runtime/ccfaas-runtime)");
        goto fail;
    }
    if ((rc = setup_tokens(o, u, err, err_size)) != CCF_OK ||
        (o->tls && (rc = setup_tls(o, u, err, err_size)) != CCF_OK))
        goto fail;
    /* nonce_lifetime_s 0 would mean "expire at once" (tests): -1 = the 60 s default */
    ccf_proxy_config pc = {.data_dir = o->data_dir, .allow = allow, .allow_count = 1,
                           .nonce_lifetime_s = -1};
    if ((rc = ccf_proxy_new(&pc, &u->proxy, err, err_size)) != CCF_OK ||
        (rc = new_server(o, u, SVC_PROXY, &u->srv[SVC_PROXY], err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_proxy_mount(u->proxy, u->srv[SVC_PROXY])) != CCF_OK) {
        ccf_errf(err, err_size, rc, "proxy: cannot add routes");
        goto fail;
    }
    if ((rc = start_server(o, u, SVC_PROXY, listen, err, err_size)) != CCF_OK ||
        (rc = write_trust(o, u, measurement, err, err_size)) != CCF_OK)
        goto fail;

    /* the key broker before VaaS, which puts its URL into the policies that need it */
    if (listen && (rc = start_kbs(o, u, err, err_size)) != CCF_OK)
        goto fail;
    snprintf(u->key_path, sizeof u->key_path, "%s/%s", o->data_dir, CCF_PLATFORM_KEY_FILE);
    ccf_vaas_config vc = {.data_dir = o->data_dir,
                          .kbs_url = u->kbs != NULL ? u->kbs_url : NULL,
                          .kbs_cert_pem = u->kbs != NULL ? ccf_kbs_tls_cert_pem(u->kbs) : NULL,
                          .runtime_path = u->runtime,
                          .platform_key_path = u->key_path,
                          .proxy_url = o->tls ? u->url[SVC_PROXY] : u->hostport[SVC_PROXY],
                          .proxy_ca_pem = ccf_proxy_ca_pem(u->proxy),
                          .proxy_tls_cert_pem = u->proxy_tls_pem,
                          .host = o->host,
                          .bind_addr = o->host,
                          .port_first = (uint16_t)o->first,
                          .port_last = (uint16_t)o->last,
                          .no_sandbox = o->no_sandbox,
                          .instance_memory_mib = (unsigned)o->instance_memory_mib,
                          .instance_cpu_seconds = (unsigned)o->instance_cpu_seconds};
    if ((rc = ccf_vaas_new(&vc, &u->vaas, err, err_size)) != CCF_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        ccf_errf(err, err_size, rc, "vaas: %s", why);
        goto fail;
    }
    if ((rc = new_server(o, u, SVC_VAAS, &u->srv[SVC_VAAS], err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_vaas_mount(u->vaas, u->srv[SVC_VAAS])) != CCF_OK) {
        ccf_errf(err, err_size, rc, "vaas: cannot add routes");
        goto fail;
    }
    if ((rc = start_server(o, u, SVC_VAAS, listen, err, err_size)) != CCF_OK)
        goto fail;

    ccf_ccfaas_config cc = {.data_dir = o->data_dir, .db_path = o->db,
                            .vaas_url = u->url[SVC_VAAS],
                            .max_instances_per_owner = (uint32_t)o->max_instances_per_user,
                            .max_bytes_per_owner = (uint64_t)o->max_mib_per_operator << 20};
    if ((rc = ccf_ccfaas_new(&cc, &u->ccfaas, err, err_size)) != CCF_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        ccf_errf(err, err_size, rc, "ccfaas: %s", why);
        goto fail;
    }
    if ((rc = new_server(o, u, SVC_CCFAAS, &u->srv[SVC_CCFAAS], err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_ccfaas_mount(u->ccfaas, u->srv[SVC_CCFAAS])) != CCF_OK) {
        ccf_errf(err, err_size, rc, "ccfaas: cannot add routes");
        goto fail;
    }
    if ((rc = start_server(o, u, SVC_CCFAAS, listen, err, err_size)) != CCF_OK)
        goto fail;
    if (listen && (rc = start_workorder(o, u, err, err_size)) != CCF_OK)
        goto fail;
    if (listen && (rc = start_s3stream(o, u, err, err_size)) != CCF_OK)
        goto fail;
    return CCF_OK;
fail:;
    bool made = u->made_data_dir; /* up_stop clears u */
    ccf_cli_up_stop(u);
    if (made) {
        ccf_cli_remove_tree(o->data_dir);
        size_t n = strlen(err);
        if (n + 1 < err_size)
            snprintf(err + n, err_size - n, " (%s, made by this start, was removed)",
                     o->data_dir);
    }
    return rc;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* rm -rf dir (never follows symbolic links) */
void ccf_cli_remove_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void print_route(const char *method, const char *pattern, void *ctx)
{
    (void)ctx;
    printf("%s %s\n", method, pattern);
}

/* --list-routes: the services are made on a throw-away data directory (they
 * create keys and a database on start) and never listen. */
static int list_routes(struct up_opts *o)
{
    char tmpl[] = "/tmp/ccfaas-routes-XXXXXX", err[600];
    struct up u;
    if (mkdtemp(tmpl) == NULL) {
        fprintf(stderr, "ccfaas up: --list-routes: temporary directory: %s\n", strerror(errno));
        return CCF_EXIT_FAIL;
    }
    o->data_dir = tmpl;
    o->quiet = true;
    if (ccf_cli_up_start(o, &u, false, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas up: %s\n", err);
        ccf_cli_remove_tree(tmpl);
        return CCF_EXIT_FAIL;
    }
    for (int i = 0; i < SVC_COUNT; i++)
        ccf_http_server_each_route(u.srv[i], print_route, NULL);
    ccf_cli_up_stop(&u);
    ccf_cli_remove_tree(tmpl);
    return CCF_EXIT_OK;
}

static int parse_range(const char *v, long *first, long *last)
{
    char a[16];
    const char *dash = strchr(v, '-');
    if (dash == NULL || (size_t)(dash - v) >= sizeof a)
        return -1;
    memcpy(a, v, (size_t)(dash - v));
    a[dash - v] = '\0';
    if (!ccf_opt_parse_num(a, 1, 65535, first) || !ccf_opt_parse_num(dash + 1, 1, 65535, last) ||
        *last < *first)
        return -1;
    return 0;
}

/* -1 when parsed (go on), otherwise the exit status. */
static int parse_up(int argc, char **argv, struct up_opts *o, bool *routes)
{
    const char *range = NULL;
    const ccf_opt_cmd cmd = {
        .cmd = "up",
        .about = "Runs the proxy attestation service, VaaS and CCFaaS in one process until Ctrl-C\n"
                 "(SIGINT) or SIGTERM, which stops every instance and exits with status 0. The CA,\n"
                 "platform key and CCFaaS loader identity are created in DIR on first start and reused.\n"
                 "Prints the three URLs, then `ccfaas up: ready` once all three listen.\n",
        .epilog = "\nClients: CCFAAS_URL=http://H:CCFAAS_PORT and a bearer token (CCFAAS_TOKEN or\n"
                  "CCFAAS_TOKEN_FILE; DIR/admin.token is the admin's, made on first start; `ccfaas\n"
                  "user add` makes more) for `ccfaas function|instance`. With --tls: https://,\n"
                  "CCFAAS_CA_CERT=DIR/ca/service-ca.crt, and a token or a client certificate\n"
                  "(CCFAAS_CERT/CCFAAS_KEY; DIR/admin.crt is the admin's). docs/auth.md.\n"
                  "Platform `linux` is for DEVELOPMENT ONLY: no TEE, no hardware protection.\n"};
    const ccf_opt opts[] = {
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &o->data_dir, .value = "DIR",
         .help = "default ./ccfaas-data", .nonempty = true},
        {.name = "db", .kind = CCF_OPT_STRING, .dest = &o->db, .value = "FILE|URL",
         .nonempty = true,
         .help = "CCFaaS's store: a SQLite file (default\nDIR/ccfaas.db) or "
                 "postgresql://USER:PASSWORD@HOST:PORT/DB\n(docs/ccfaas.md)"},
        {.name = "host", .kind = CCF_OPT_STRING, .dest = &o->host, .value = "H",
         .help = "address to bind and to put into URLs (instances'\n"
                 "veracruz_server_url too); default 127.0.0.1",
         .nonempty = true},
        {.name = "proxy-port", .kind = CCF_OPT_NUM, .dest = &o->port[SVC_PROXY], .value = "N",
         .help = "default 3010   (0: any free port, printed)", .min = 0, .max = 65535},
        {.name = "vaas-port", .kind = CCF_OPT_NUM, .dest = &o->port[SVC_VAAS], .value = "N",
         .help = "default 5000   (0: any free port, printed)", .min = 0, .max = 65535},
        {.name = "ccfaas-port", .kind = CCF_OPT_NUM, .dest = &o->port[SVC_CCFAAS], .value = "N",
         .help = "default 5010   (0: any free port, printed)", .min = 0, .max = 65535},
        {.name = "kbs-port", .kind = CCF_OPT_NUM, .dest = &o->kbs_port, .value = "N",
         .help = "default 8080   (0: any free port, printed)", .min = 0, .max = 65535},
        {.name = "workorder-port", .kind = CCF_OPT_NUM, .dest = &o->workorder_port, .value = "N",
         .help = "work-order listener, Avalon JSON-RPC; default 1947\n(0: any free port, printed; "
                 "a taken default port\nonly skips it)",
         .min = 0, .max = 65535},
        {.name = "s3stream-port", .kind = CCF_OPT_NUM, .dest = &o->s3stream_port, .value = "N",
         .help = "S3 stream service; default 5020 (0: any free port,\nprinted; a taken default "
                 "port only skips it)",
         .min = 0, .max = 65535},
        {.name = "instance-ports", .kind = CCF_OPT_STRING, .dest = &range, .value = "FIRST-LAST",
         .help = "ports of instances; default 3014-3113", .nonempty = true},
        {.name = "max-instances-per-user", .kind = CCF_OPT_NUM,
         .dest = &o->max_instances_per_user, .value = "N",
         .help = "live instances one caller may have; more get 429\n(default 16, 0: no limit)",
         .min = 0, .max = 1000000},
        {.name = "max-mib-per-operator", .kind = CCF_OPT_NUM, .dest = &o->max_mib_per_operator,
         .value = "N",
         .help = "MiB of programs and data files of one caller's\n"
                 "functions; more get 429 "
                 "(default 4096, 0: no limit)",
         .min = 0, .max = 1L << 30},
        {.name = "instance-memory-mib", .kind = CCF_OPT_NUM, .dest = &o->instance_memory_mib,
         .value = "N",
         .help = "most memory of one instance (default: what its\npolicy allows; docs/vaas.md)",
         .min = 0, .max = 1L << 24},
        {.name = "instance-cpu-seconds", .kind = CCF_OPT_NUM, .dest = &o->instance_cpu_seconds,
         .value = "N", .help = "CPU seconds one instance may use in all (default\n0: no limit)",
         .min = 0, .max = 1L << 30},
        {.name = "tls", .kind = CCF_OPT_FLAG, .dest = &o->tls,
         .help = "serve HTTPS: a service CA in DIR/ca (made once)\nissues each service a "
                 "certificate; services call\neach other with mutual TLS; needed to listen\n"
                 "beyond loopback (docs/auth.md)"},
        CCF_CLI_LIMIT_OPTS(*o),
        {.name = "no-sandbox", .kind = CCF_OPT_FLAG, .dest = &o->no_sandbox,
         .help = "run instances without bubblewrap (debugging)"},
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &o->quiet, .help = "no request log on stderr"},
        {.name = "list-routes", .kind = CCF_OPT_FLAG, .dest = routes,
         .help = "print every route of the three services as\n"
                 "`METHOD PATTERN` and exit (nothing listens)"},
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (range != NULL && parse_range(range, &o->first, &o->last) != 0)
        return ccf_opt_error(&cmd, "--instance-ports: expected FIRST-LAST (1-65535, FIRST <= LAST), "
                                   "got '%s'", range);
    return -1;
}

void ccf_cli_up_print_urls(const struct up_opts *o, const struct up *u, const char *indent)
{
    printf("%sproxy:   %s   (CA %s/%s, %s)\n", indent, u->url[SVC_PROXY], o->data_dir,
           CCF_PROXY_CA_CERT_FILE, ccf_proxy_ca_created(u->proxy) ? "created" : "reused");
    printf("%svaas:    %s   (instances on ports %ld-%ld%s)\n", indent, u->url[SVC_VAAS], o->first,
           o->last, o->no_sandbox ? ", NOT sandboxed" : "");
    printf("%sccfaas:  %s\n", indent, u->url[SVC_CCFAAS]);
    if (u->kbs != NULL)
        printf("%skbs:     %s   (key broker; TLS certificate %s/%s, admin key %s/%s%s)\n",
               indent, u->kbs_url, o->data_dir, CCF_KBS_TLS_CERT_FILE, o->data_dir,
               CCF_KBS_ADMIN_KEY_FILE, ccf_kbs_admin_created(u->kbs) ? ", created" : "");
    if (u->wo != NULL)
        printf("%sworkorder: %s   (EEA Trusted Compute / Avalon JSON-RPC; its identity "
               "%s/workorder.crt: docs/workorders.md)\n", indent, u->wo_url, o->data_dir);
    else if (u->wo_skipped[0] != '\0')
        printf("%sworkorder: not started (%s; --workorder-port N)\n", indent, u->wo_skipped);
    if (u->s3 != NULL)
        printf("%ss3stream: %s   (S3 -> instance streaming: docs/s3stream.md)\n", indent, u->s3_url);
    else if (u->s3_skipped[0] != '\0')
        printf("%ss3stream: not started (%s; --s3stream-port N)\n", indent, u->s3_skipped);
    char real[PATH_MAX];
    printf("%sruntime: %s\n", indent, realpath(u->runtime, real) ? real : u->runtime);
    printf("%splatform: linux - DEVELOPMENT ONLY: no TEE, no hardware protection\n", indent);
    printf("%strust:   %s   (the CA and runtime a client must trust here: export "
           "CCFAAS_TRUST=%s, or ccfaas client --trust)\n", indent, u->trust_path, u->trust_path);
    if (o->tls)
        printf("%sTLS:     service CA %s; admin client certificate %s (key %s)\n"
               "%s         (export CCFAAS_CA_CERT=%s CCFAAS_CERT=%s CCFAAS_KEY=%s)\n",
               indent, u->ca_path, u->admin_cert_path, u->admin_key_path, indent, u->ca_path,
               u->admin_cert_path, u->admin_key_path);
    printf("%sadmin:   %s   (%s; the admin's bearer token: export CCFAAS_TOKEN_FILE=%s, or\n"
           "%s         curl -H \"Authorization: Bearer $(cat %s)\"; more callers: ccfaas user add "
           "NAME --role operator|user --data-dir %s)\n",
           indent, u->admin_token_path, u->admin_token_created ? "created" : "reused",
           u->admin_token_path, indent, u->admin_token_path, o->data_dir);
}

int ccf_cmd_up(int argc, char **argv)
{
    struct up_opts o;
    struct up u;
    bool routes = false;
    char err[1024];
    ccf_cli_up_defaults(&o);
    int rc = parse_up(argc, argv, &o, &routes);
    if (rc >= 0)
        return rc;
    if (routes)
        return list_routes(&o);
    /* before any thread exists: curl (CCFaaS -> VaaS), then the signal mask
     * the server threads inherit */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ccf_http_block_stop_signals();
    if (ccf_cli_up_start(&o, &u, true, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas up: %s\n", err);
        rc = CCF_EXIT_FAIL;
        goto out;
    }
    printf("ccfaas up: proxy attestation, VaaS, CCFaaS and the key broker (data directory %s)\n",
           o.data_dir);
    ccf_cli_up_print_urls(&o, &u, "  ");
    printf("ccfaas up: ready (export CCFAAS_URL=%s; Ctrl-C stops everything)\n",
           u.url[SVC_CCFAAS]);
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    size_t live = ccf_vaas_live_count(u.vaas);
    printf("ccfaas up: stopping (signal %d; %zu instance%s running)\n", sig, live,
           live == 1 ? "" : "s");
    fflush(stdout);
    ccf_cli_up_stop(&u);
    printf("ccfaas up: stopped\n");
    rc = CCF_EXIT_OK;
out:
    curl_global_cleanup();
    return rc;
}
