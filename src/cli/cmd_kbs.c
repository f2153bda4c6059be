/* `ccfaas kbs fetch|put|policy|get|delete` and `ccfaas serve kbs` (issue 17, docs/kbs.md):
 * the key broker speaking Trustee's KBS protocol 0.4.0, and its clients. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/pki.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/file.h"
#include "jose/jose.h"
#include "kbs/kbs.h"
#include "net/http_server.h"

int ccf_serve_kbs(int argc, char **argv)
{
    const char *listen = CCF_KBS_DEFAULT_LISTEN, *data_dir = "ccfaas-data", *pub = NULL,
               *admin = NULL;
    long token_s = 300, session_s = 300, threads = 4;
    bool quiet = false, tls = false;
    struct ccf_cli_tls lim = {0}; /* the limits only: the key broker's TLS is its own */
    ccf_kbs *kbs = NULL;
    char err[512];
    ccf_opt_list roots = {0};
    ccf_kbs_tee_root tr[CCF_KBS_MAX_TEE_ROOTS];
    const ccf_opt_cmd cmd = {
        .cmd = "serve kbs",
        .about = "The key broker: releases resources only to attested instances, speaking\n"
                 "Trustee's KBS protocol 0.4.0 (docs/kbs.md).\n",
        .epilog = "\nPlatform `linux` is for DEVELOPMENT ONLY: no TEE, no hardware protection;\n"
                  "resources reach it only when a rule names it.\n"};
    const ccf_opt opts[] = {
        {.name = "listen", .kind = CCF_OPT_STRING, .dest = &listen, .value = "ADDR:PORT",
         .nonempty = true, .help = "default 127.0.0.1:8080 (port 0: any free port)"},
        {.name = "tls", .kind = CCF_OPT_FLAG, .dest = &tls,
         .help = "HTTPS with DIR/kbs-tls.key and its self-signed DIR/kbs-tls.crt\n(made on first "
                 "start): the certificate clients and policies pin"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true,
         .help = "kbs.db, kbs-storage.key, kbs-token.key, kbs-admin.pub\n(made on first start); "
                 "default ./ccfaas-data"},
        {.name = "platform-key-pub", .kind = CCF_OPT_STRING, .dest = &pub, .value = "FILE",
         .nonempty = true, .help = "trusted linux platform key (PEM); default DIR/platform-key.pem"},
        {.name = "admin-key-pub", .kind = CCF_OPT_STRING, .dest = &admin, .value = "FILE",
         .nonempty = true,
         .help = "Ed25519 public key of the administrator; default\nDIR/kbs-admin.pub (made with "
                 "DIR/kbs-admin.key when both miss)"},
        {.name = "token-lifetime", .kind = CCF_OPT_NUM, .dest = &token_s, .value = "SECONDS",
         .help = "attestation tokens live this long (default 300)", .min = 1, .max = 86400},
        {.name = "session-lifetime", .kind = CCF_OPT_NUM, .dest = &session_s, .value = "SECONDS",
         .help = "sessions (cookies) live this long (default 300)", .min = 1, .max = 86400},
        {.name = "threads", .kind = CCF_OPT_NUM, .dest = &threads, .value = "N",
         .help = "HTTP worker threads (default 4)", .min = 1, .max = 256},
        {.name = "tee-roots", .kind = CCF_OPT_PAIR, .dest = &roots, .value = "TEE=FILE",
         .help = "verify that TEE's evidence against these pinned anchors\n(PEM or DER; "
                 "repeatable): snp=AMD ASK/ARK/ASVK bundle of\none product (once per product), "
                 "tdx=, sgx=Intel SGX Root CA,\nnitro=AWS Nitro Enclaves root"},
        CCF_CLI_LIMIT_OPTS(lim),
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &quiet, .help = "no request log on stderr"},
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        goto out;
    if (roots.count > CCF_KBS_MAX_TEE_ROOTS) {
        rc = ccf_opt_error(&cmd, "--tee-roots: at most %d files", CCF_KBS_MAX_TEE_ROOTS);
        goto out;
    }
    for (size_t i = 0; i < roots.count; i++) {
        char name[16];
        const char *eq = strchr(roots.items[i], '=');
        size_t nl = (size_t)(eq - roots.items[i]);
        snprintf(name, sizeof name, "%.*s", (int)(nl < sizeof name ? nl : sizeof name - 1),
                 roots.items[i]);
        if (nl >= sizeof name || !ccf_tee_platform_parse(name, &tr[i].platform)) {
            rc = ccf_opt_error(&cmd, "--tee-roots %s: TEE must be snp, tdx, sgx or nitro",
                               roots.items[i]);
            goto out;
        }
        tr[i].file = eq + 1;
    }
    rc = CCF_EXIT_FAIL;
    ccf_kbs_config kc = {.data_dir = data_dir, .listen = listen, .platform_key_pub = pub,
                         .admin_key_pub = admin, .token_lifetime_s = (unsigned)token_s,
                         .session_lifetime_s = (unsigned)session_s, .threads = (unsigned)threads,
                         .quiet = quiet, .tee_roots = tr, .n_tee_roots = roots.count,
                         .tls = tls, .per_ip_connections = (unsigned)lim.per_address,
                         .request_deadline_s = (unsigned)lim.deadline_s};
    ccf_http_block_stop_signals();
    if (ccf_kbs_new(&kc, &kbs, err, sizeof err) != CCF_OK ||
        ccf_kbs_start(kbs, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas serve kbs: %s\n", err);
        goto out;
    }
    char host[256];
    snprintf(host, sizeof host, "%s", listen);
    char *colon = strrchr(host, ':');
    if (colon != NULL)
        *colon = '\0';
    printf("ccfaas key broker (Trustee KBS protocol %s)\n", CCF_KBS_PROTOCOL_VERSION);
    printf("  listening: %s://%s:%u\n", tls ? "https" : "http", host, ccf_kbs_port(kbs));
    if (tls)
        printf("  tls:       %s/%s (self-signed: clients pin it)\n", data_dir, CCF_KBS_TLS_CERT_FILE);
    printf("  store:     %s/%s (resources encrypted with %s/%s)\n", data_dir, CCF_KBS_DB_FILE,
           data_dir, CCF_KBS_STORAGE_KEY_FILE);
    if (admin != NULL)
        printf("  admin key: %s\n", admin);
    else
        printf("  admin key: %s/%s (%s)\n", data_dir, CCF_KBS_ADMIN_PUB_FILE,
               ccf_kbs_admin_created(kbs) ? "created with its private half kbs-admin.key"
                                          : "reused");
    printf("  platform:  linux - DEVELOPMENT ONLY: no TEE, no hardware protection\n");
    for (size_t i = 0; i < roots.count; i++)
        printf("  tee:       %s, pinned anchors %s\n", ccf_tee_platform_name(tr[i].platform),
               tr[i].file);
    printf("  accepts:   %s\n", ccf_kbs_platforms(kbs));
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    printf("stopping (signal %d)\n", sig);
    fflush(stdout);
    rc = CCF_EXIT_OK;
out:
    ccf_kbs_free(kbs);
    ccf_opt_lists_free(opts);
    return rc;
}

static const char *default_url(void)
{
    const char *u = getenv("KBS_URL");
    return u != NULL && u[0] != '\0' ? u : "http://127.0.0.1:8080";
}

/* An https key broker: DIR/kbs-tls.crt is the certificate to pin. */
static void use_tls_cert(const char *url, const char *data_dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", data_dir, CCF_KBS_TLS_CERT_FILE);
    ccf_kbs_client_set_tls_cert(strncmp(url, "https://", 8) == 0 ? path : NULL);
}

static int kbs_fetch(int argc, char **argv)
{
    const char *url = default_url(), *tee = NULL, *platform = NULL, *data_dir = "ccfaas-data",
               *mhex = NULL, *phex = NULL, *out = NULL, *token_out = NULL, *jwe_out = NULL,
               *tamper = NULL, *init = NULL;
    char *init_text = NULL, *tls_pem = NULL;
    size_t init_len = 0;
    bool debug = false;
    ccf_opt_args args = {0};
    EVP_PKEY *tk = NULL, *pk = NULL;
    uint8_t m[32], ph[32] = {0}, *plain = NULL;
    size_t plen = 0;
    char *token = NULL, *jwe = NULL, err[1024], path[4096];
    const ccf_opt_cmd cmd = {
        .cmd = "kbs fetch", .args = "REPO/TYPE/TAG", .min_args = 1, .max_args = 1,
        .about = "Fetches a resource as an attested instance would: auth, attest with linux\n"
                 "evidence made by the platform key, resource, JWE decrypted with the tee key.\n"
                 "For tests and development (the platform key forges any measurement).\n"};
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .nonempty = true,
         .help = "the KBS; default $KBS_URL or http://127.0.0.1:8080"},
        {.name = "tee-key", .kind = CCF_OPT_STRING, .dest = &tee, .value = "KEY", .nonempty = true,
         .help = "private key (PEM, P-256 or RSA) whose public half is the\ntee-pubkey (required)"},
        {.name = "platform-key", .kind = CCF_OPT_STRING, .dest = &platform, .value = "FILE",
         .nonempty = true, .help = "linux platform key; default DIR/platform-key.pem"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true, .help = "default ./ccfaas-data"},
        {.name = "measurement", .kind = CCF_OPT_STRING, .dest = &mhex, .value = "HEX",
         .nonempty = true, .help = "measurement to claim; default this executable's SHA-256"},
        {.name = "policy-hash", .kind = CCF_OPT_STRING, .dest = &phex, .value = "HEX",
         .nonempty = true, .help = "policy hash to claim; default 64 zeros"},
        {.name = "debug", .kind = CCF_OPT_FLAG, .dest = &debug,
         .help = "claim a debug launch configuration"},
        {.name = "init-data", .kind = CCF_OPT_STRING, .dest = &init, .value = "POLICY",
         .nonempty = true,
         .help = "send this full policy as init-data (rules may then name its\ninstance and "
                 "programs); --policy-hash defaults to its SHA-256"},
        {.name = "out", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &out, .value = "FILE",
         .nonempty = true, .help = "write the resource here (0600); default stdout"},
        {.name = "token-out", .kind = CCF_OPT_STRING, .dest = &token_out, .value = "FILE",
         .nonempty = true, .help = "write the attestation token here"},
        {.name = "jwe-out", .kind = CCF_OPT_STRING, .dest = &jwe_out, .value = "FILE",
         .nonempty = true, .help = "write the JWE as received here"},
        {.name = "tamper", .kind = CCF_OPT_STRING, .dest = &tamper, .value = "HOW",
         .nonempty = true,
         .help = "tests: nonce-reuse, foreign-nonce or binding (a request\nthe KBS must refuse)"},
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        return rc;
    ccf_kbs_tamper tm = CCF_KBS_TAMPER_NONE;
    if (tee == NULL) {
        rc = ccf_opt_error(&cmd, "--tee-key is required");
        goto out;
    }
    if (tamper != NULL) {
        if (strcmp(tamper, "nonce-reuse") == 0)
            tm = CCF_KBS_TAMPER_NONCE_REUSE;
        else if (strcmp(tamper, "foreign-nonce") == 0)
            tm = CCF_KBS_TAMPER_FOREIGN_NONCE;
        else if (strcmp(tamper, "binding") == 0)
            tm = CCF_KBS_TAMPER_BINDING;
        else {
            rc = ccf_opt_error(&cmd, "--tamper: expected nonce-reuse, foreign-nonce or binding");
            goto out;
        }
    }
    if ((mhex != NULL && (strlen(mhex) != 64 || !ccf_attest_hex_decode(mhex, m, 32))) ||
        (phex != NULL && (strlen(phex) != 64 || !ccf_attest_hex_decode(phex, ph, 32)))) {
        rc = ccf_opt_error(&cmd, "--measurement / --policy-hash: expected 64 hex digits");
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (mhex == NULL && ccf_evidence_measure_self(m, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas kbs fetch: %s\n", err);
        goto out;
    }
    if (init != NULL) {
        if (ccf_file_read(init, CCF_KBS_MAX_REQUEST, &init_text, &init_len, err, sizeof err) !=
            CCF_OK) {
            fprintf(stderr, "ccfaas kbs fetch: --init-data %s: %s\n", init, err);
            goto out;
        }
        if (phex == NULL && !ccf_sha256(init_text, init_len, ph)) {
            fprintf(stderr, "ccfaas kbs fetch: cannot hash %s\n", init);
            goto out;
        }
    }
    snprintf(path, sizeof path, "%s/%s", data_dir, CCF_PLATFORM_KEY_FILE);
    if (ccf_pki_key_read(tee, &tk, err, sizeof err) != CCF_OK ||
        ccf_pki_key_read(platform ? platform : path, &pk, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas kbs fetch: %s\n", err);
        goto out;
    }
    if (strncmp(url, "https://", 8) == 0) {
        snprintf(path, sizeof path, "%s/%s", data_dir, CCF_KBS_TLS_CERT_FILE);
        size_t cl = 0;
        if (ccf_file_read(path, 65536, &tls_pem, &cl, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas kbs fetch: the key broker's certificate %s: %s\n", path, err);
            goto out;
        }
    }
    ccf_kbs_fetch_req q = {.url = url, .tee_key = tk, .platform_key = pk, .measurement = m,
                           .policy_hash = ph, .init_data = init_text, .tls_cert_pem = tls_pem,
                           .debug = debug,
                           .resource = args.items[0], .tamper = tm};
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ccf_err e = ccf_kbs_fetch(&q, &plain, &plen, &token, &jwe, err, sizeof err);
    if (e == CCF_OK && token_out != NULL)
        e = ccf_file_write_atomic(token_out, token, strlen(token), 0600, false, err, sizeof err);
    if (e == CCF_OK && jwe_out != NULL)
        e = ccf_file_write_atomic(jwe_out, jwe, strlen(jwe), 0600, false, err, sizeof err);
    if (e == CCF_OK && out != NULL)
        e = ccf_file_write_atomic(out, plain, plen, 0600, false, err, sizeof err);
    else if (e == CCF_OK && fwrite(plain, 1, plen, stdout) != plen)
        e = CCF_ERR_IO;
    curl_global_cleanup();
    if (e != CCF_OK) {
        fprintf(stderr, "ccfaas kbs fetch: %s\n", err);
        goto out;
    }
    rc = CCF_EXIT_OK;
out:
    ccf_jose_secret_free(plain, plen);
    free(token);
    free(init_text);
    free(tls_pem);
    free(jwe);
    EVP_PKEY_free(tk);
    EVP_PKEY_free(pk);
    ccf_opt_args_free(&args);
    return rc;
}

/* put and policy: admin requests. */
static int kbs_admin(int argc, char **argv, bool policy)
{
    const char *url = default_url(), *key = NULL, *data_dir = "ccfaas-data";
    ccf_opt_args args = {0};
    EVP_PKEY *ak = NULL;
    char *data = NULL, *b64 = NULL, *body = NULL, err[1024], path[4096], kp[4096];
    size_t len = 0;
    const ccf_opt_cmd cmd = {
        .cmd = policy ? "kbs policy" : "kbs put", .args = policy ? "RULES.json" : "REPO/TYPE/TAG FILE",
        .min_args = policy ? 1 : 2, .max_args = policy ? 1 : 2,
        .about = policy ? "Sets the KBS resource policy (the rule set of docs/kbs.md).\n"
                        : "Stores a resource in the KBS (encrypted at rest).\n"};
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .nonempty = true,
         .help = "the KBS; default $KBS_URL or http://127.0.0.1:8080"},
        {.name = "admin-key", .kind = CCF_OPT_STRING, .dest = &key, .value = "KEY",
         .nonempty = true, .help = "Ed25519 private key (PEM); default DIR/kbs-admin.key"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true, .help = "default ./ccfaas-data"},
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        return rc;
    rc = CCF_EXIT_FAIL;
    const char *file = args.items[policy ? 0 : 1];
    snprintf(kp, sizeof kp, "%s/%s", data_dir, CCF_KBS_ADMIN_KEY_FILE);
    if (ccf_pki_key_read(key ? key : kp, &ak, err, sizeof err) != CCF_OK ||
        ccf_file_read(file, policy ? CCF_KBS_MAX_POLICY : CCF_KBS_MAX_RESOURCE, &data, &len, err,
                      sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd.cmd, err);
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    use_tls_cert(url, data_dir);
    ccf_err e;
    if (policy) {
        json_t *rules = NULL;
        json_t *o = NULL;
        if ((e = ccf_kbs_rules_parse(data, len, &rules, err, sizeof err)) == CCF_OK) {
            json_decref(rules);
            b64 = ccf_b64url_encode(data, len);
            o = b64 ? json_pack("{s:s}", "policy", b64) : NULL;
            body = o ? json_dumps(o, JSON_COMPACT) : NULL;
            json_decref(o);
            e = body == NULL ? CCF_ERR_NOMEM
                             : ccf_kbs_admin_post(url, "/kbs/v0/resource-policy", ak, body,
                                                  strlen(body), "application/json", err,
                                                  sizeof err);
        }
    } else {
        snprintf(path, sizeof path, "/kbs/v0/resource/%s", args.items[0]);
        e = ccf_kbs_admin_post(url, path, ak, data, len, "application/octet-stream", err,
                               sizeof err);
    }
    curl_global_cleanup();
    if (e != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd.cmd, err);
        goto out;
    }
    printf(policy ? "policy set\n" : "stored %s\n", args.items[0]);
    rc = CCF_EXIT_OK;
out:
    if (data != NULL) {
        memset(data, 0, len);
        free(data);
    }
    free(b64);
    free(body);
    EVP_PKEY_free(ak);
    ccf_opt_args_free(&args);
    return rc;
}

/* get policy and delete: admin requests without a file. An admin reads the
 * rule set but never a resource's plaintext (docs/kbs.md "Admin"). */
static int kbs_admin_read(int argc, char **argv, bool del)
{
    const char *url = default_url(), *key = NULL, *data_dir = "ccfaas-data";
    ccf_opt_args args = {0};
    EVP_PKEY *ak = NULL;
    char *reply = NULL, err[1024], path[4096], kp[4096];
    uint8_t *text = NULL;
    size_t tlen = 0;
    json_t *v = NULL;
    const ccf_opt_cmd cmd = {
        .cmd = del ? "kbs delete" : "kbs get", .args = del ? "REPO/TYPE/TAG" : "policy",
        .min_args = 1, .max_args = 1,
        .about = del ? "Removes a resource from the KBS (admin).\n"
                     : "Prints the KBS resource policy (the rule set as set; admin). A\n"
                       "resource's plaintext cannot be read back: it leaves the KBS only\n"
                       "encrypted to an attested instance's key.\n"};
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .nonempty = true,
         .help = "the KBS; default $KBS_URL or http://127.0.0.1:8080"},
        {.name = "admin-key", .kind = CCF_OPT_STRING, .dest = &key, .value = "KEY",
         .nonempty = true, .help = "Ed25519 private key (PEM); default DIR/kbs-admin.key"},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &data_dir, .value = "DIR",
         .nonempty = true, .help = "default ./ccfaas-data"},
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        return rc;
    const char *what = args.items[0];
    if (!del && strcmp(what, "policy") != 0) {
        rc = ccf_opt_error(&cmd, "'%s': the one thing to get is 'policy' (resources are released "
                                 "only to attested instances, with `kbs fetch` for tests)", what);
        goto out;
    }
    if (del) {
        char seg[3][CCF_KBS_MAX_SEGMENT + 1];
        int n = 0;
        const char *p = what;
        bool ok = strlen(what) < sizeof path - 32;
        for (; ok && n < 3; n++) {
            size_t l = strcspn(p, "/");
            ok = l <= CCF_KBS_MAX_SEGMENT && (n == 2 ? p[l] == '\0' : p[l] == '/');
            if (ok) {
                memcpy(seg[n], p, l);
                seg[n][l] = '\0';
                ok = ccf_kbs_segment_ok(seg[n]);
                p += l + 1;
            }
        }
        if (!ok) {
            rc = ccf_opt_error(&cmd, "'%s': expected REPO/TYPE/TAG, each 1-128 of "
                                     "[A-Za-z0-9._-], not . or ..", what);
            goto out;
        }
    }
    rc = CCF_EXIT_FAIL;
    snprintf(kp, sizeof kp, "%s/%s", data_dir, CCF_KBS_ADMIN_KEY_FILE);
    if (ccf_pki_key_read(key ? key : kp, &ak, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd.cmd, err);
        goto out;
    }
    if (del)
        snprintf(path, sizeof path, "/kbs/v0/resource/%s", what);
    else
        snprintf(path, sizeof path, "/kbs/v0/resource-policy");
    curl_global_init(CURL_GLOBAL_DEFAULT);
    use_tls_cert(url, data_dir);
    ccf_err e = ccf_kbs_admin_request(url, del ? "DELETE" : "GET", path, ak, NULL, 0, NULL,
                                      del ? NULL : &reply, err, sizeof err);
    curl_global_cleanup();
    if (e == CCF_OK && !del) {
        /* {"policy": base64url of the rule set}: print the rule set itself */
        const char *b = NULL;
        if ((v = json_loads(reply, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
            (b = json_string_value(json_object_get(v, "policy"))) == NULL)
            e = ccf_errf(err, sizeof err, CCF_ERR_INVALID,
                         "the KBS answered no {\"policy\": ...} object");
        else
            e = ccf_b64url_decode_alloc(b, strlen(b), CCF_KBS_MAX_POLICY, &text, &tlen, err,
                                        sizeof err);
    }
    if (e != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd.cmd, err);
        goto out;
    }
    if (del)
        printf("deleted %s\n", what);
    else if (fwrite(text, 1, tlen, stdout) != tlen || (tlen > 0 && text[tlen - 1] != '\n' &&
                                                       putchar('\n') == EOF)) {
        fprintf(stderr, "ccfaas %s: cannot write to stdout\n", cmd.cmd);
        goto out;
    }
    rc = CCF_EXIT_OK;
out:
    free(reply);
    free(text);
    json_decref(v);
    EVP_PKEY_free(ak);
    ccf_opt_args_free(&args);
    return rc;
}

int ccf_cmd_kbs(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *o = argc < 2 ? stderr : stdout;
        fprintf(o, "usage: ccfaas kbs COMMAND [OPTIONS]\n\n"
                   "commands:\n"
                   "  fetch   fetch a resource as an attested instance (tests, development)\n"
                   "  put     store a resource (admin)\n"
                   "  policy  set the resource policy (admin)\n"
                   "  get     get policy: print the resource policy (admin)\n"
                   "  delete  remove a resource (admin)\n"
                   "\nThe service itself: `ccfaas serve kbs` (docs/kbs.md).\n");
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    if (strcmp(argv[1], "fetch") == 0)
        return kbs_fetch(argc - 1, argv + 1);
    if (strcmp(argv[1], "put") == 0)
        return kbs_admin(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "policy") == 0)
        return kbs_admin(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "get") == 0)
        return kbs_admin_read(argc - 1, argv + 1, false);
    if (strcmp(argv[1], "delete") == 0)
        return kbs_admin_read(argc - 1, argv + 1, true);
    if (strcmp(argv[1], "serve") == 0)
        return ccf_serve_kbs(argc - 1, argv + 1);
    fprintf(stderr, "ccfaas kbs: unknown command '%s' (see `ccfaas kbs --help`)\n", argv[1]);
    return CCF_EXIT_USAGE;
}
