/* `ccfaas user add|list|revoke`: the callers of the services of a data
 * directory, with their roles and bearer tokens (net/auth.h, docs/auth.md).
 * The services re-read the token file on their next request: no restart. */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "net/auth.h"
#include "serviceca/serviceca.h"

static const char user_usage[] =
    "usage: ccfaas user add NAME --role ROLE [--data-dir DIR] [--out FILE] [--cert-dir OUT]\n"
    "       ccfaas user list [--data-dir DIR]\n"
    "       ccfaas user revoke NAME [--data-dir DIR]\n"
    "\n"
    "Who may call the control plane (CCFaaS, VaaS, the proxy's /metrics) of the\n"
    "services using DIR (default ./ccfaas-data): DIR/auth/tokens.json holds each\n"
    "caller's name, role and the SHA-256 of its bearer token. Roles: admin\n"
    "(everything), operator (functions, programs, data files), user (instances),\n"
    "service (the platform's own services: CCFaaS towards VaaS). With --cert-dir\n"
    "the caller also gets a client certificate of DIR's service CA (HTTPS).\n"
    "Running services see a change at their next request. docs/auth.md.\n";

/* DIR/auth/tokens.json into path. */
static int tokens_path(const char *dir, char *path, size_t size)
{
    if (snprintf(path, size, "%s/%s", dir, CCF_AUTH_TOKENS_FILE) >= (int)size) {
        fprintf(stderr, "ccfaas user: --data-dir: path too long\n");
        return -1;
    }
    return 0;
}

/* --cert-dir: OUT/NAME.crt and OUT/NAME.key, a client certificate of the
 * data directory's service CA, registered to the caller just added. */
static int add_cert(const char *dir, const char *tokens, const char *name, const char *out_dir)
{
    ccf_serviceca *ca = NULL;
    char crt[4096], key[4096], err[600];
    uint8_t fp[32];
    int rc = CCF_EXIT_FAIL;
    if (snprintf(crt, sizeof crt, "%s/%s.crt", out_dir, name) >= (int)sizeof crt ||
        snprintf(key, sizeof key, "%s/%s.key", out_dir, name) >= (int)sizeof key) {
        fprintf(stderr, "ccfaas user add: --cert-dir: path too long\n");
        goto out;
    }
    if (ccf_serviceca_open(dir, false, &ca, err, sizeof err) != CCF_OK ||
        ccf_serviceca_issue(ca, name, CCF_SERVICECA_CALLER, NULL, crt, key, fp, err, sizeof err) !=
            CCF_OK ||
        ccf_auth_set_cert(tokens, name, fp, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas user add: %s is added, but without a certificate: %s\n", name, err);
        goto out;
    }
    printf("client certificate: %s and %s (use: curl --cacert %s --cert %s --key %s)\n", crt, key,
           ccf_serviceca_cert_path(ca), crt, key);
    rc = CCF_EXIT_OK;
out:
    ccf_serviceca_free(ca);
    return rc;
}

static int user_add(int argc, char **argv)
{
    const char *dir = "ccfaas-data", *role_name = NULL, *out = NULL, *cert_dir = NULL;
    ccf_opt opts[] = {
        {.name = "role", .kind = CCF_OPT_STRING, .dest = &role_name, .value = "ROLE",
         .help = "admin, operator, user or service (required)", .nonempty = true},
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &dir, .value = "DIR",
         .help = "the services' data directory (default ./ccfaas-data)", .nonempty = true},
        {.name = "out", .kind = CCF_OPT_STRING, .dest = &out, .value = "FILE",
         .help = "write the token to FILE (0600) instead of printing it", .nonempty = true},
        {.name = "cert-dir", .kind = CCF_OPT_STRING, .dest = &cert_dir, .value = "OUT",
         .help = "also issue a client certificate of DIR's service CA:\nOUT/NAME.crt and "
                 "OUT/NAME.key (0600); `ccfaas ca init`\nmakes the CA", .nonempty = true},
        {0}};
    ccf_opt_cmd cmd = {.cmd = "user add", .args = "NAME", .min_args = 1, .max_args = 1,
                       .about = "Adds a caller with a new bearer token, printed once (only its\n"
                                "SHA-256 is kept). Use it as `Authorization: Bearer TOKEN`, or\n"
                                "export CCFAAS_TOKEN=TOKEN for `ccfaas function|instance`."};
    ccf_opt_args args = {0};
    char path[4096], err[600], token[CCF_AUTH_TOKEN_LEN + 1] = "";
    unsigned role = 0;
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        goto out;
    if (role_name == NULL) {
        rc = ccf_opt_error(&cmd, "--role: required (admin, operator, user or service)");
        goto out;
    }
    if (!ccf_role_parse(role_name, &role)) {
        rc = ccf_opt_error(&cmd, "--role: expected admin, operator, user or service, got '%s'",
                           role_name);
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (tokens_path(dir, path, sizeof path) != 0)
        goto out;
    if (ccf_auth_add(path, args.items[0], role, token, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas user add: %s\n", err);
        goto out;
    }
    if (out != NULL) {
        if (ccf_auth_token_write(out, token, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas user add: the token was made but cannot be written: %s "
                            "(revoke it: ccfaas user revoke %s)\n", err, args.items[0]);
            goto out;
        }
        printf("added %s (%s); token written to %s\n", args.items[0], ccf_role_name(role), out);
    } else {
        printf("added %s (%s); its token (shown once, keep it secret):\n%s\n", args.items[0],
               ccf_role_name(role), token);
    }
    rc = cert_dir != NULL ? add_cert(dir, path, args.items[0], cert_dir) : CCF_EXIT_OK;
out:
    OPENSSL_cleanse(token, sizeof token);
    ccf_opt_args_free(&args);
    return rc;
}

static int user_list(int argc, char **argv)
{
    const char *dir = "ccfaas-data";
    ccf_opt opts[] = {
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &dir, .value = "DIR",
         .help = "the services' data directory (default ./ccfaas-data)", .nonempty = true},
        {0}};
    ccf_opt_cmd cmd = {.cmd = "user list",
                       .about = "Lists the callers: NAME ROLE CREATED [revoked]."};
    char path[4096], err[600];
    json_t *list = NULL;
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (tokens_path(dir, path, sizeof path) != 0)
        return CCF_EXIT_FAIL;
    if (ccf_auth_list(path, &list, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas user list: %s\n", err);
        return CCF_EXIT_FAIL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const char *created = json_string_value(json_object_get(e, "created"));
        printf("%-24s %-9s %s%s\n", json_string_value(json_object_get(e, "name")),
               json_string_value(json_object_get(e, "role")), created ? created : "-",
               json_is_true(json_object_get(e, "revoked")) ? "  revoked" : "");
    }
    json_decref(list);
    return CCF_EXIT_OK;
}

static int user_revoke(int argc, char **argv)
{
    const char *dir = "ccfaas-data";
    ccf_opt opts[] = {
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &dir, .value = "DIR",
         .help = "the services' data directory (default ./ccfaas-data)", .nonempty = true},
        {0}};
    ccf_opt_cmd cmd = {.cmd = "user revoke", .args = "NAME", .min_args = 1, .max_args = 1,
                       .about = "Revokes the caller's token: refused (401) from the services' "
                                "next request."};
    ccf_opt_args args = {0};
    char path[4096], err[600];
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (tokens_path(dir, path, sizeof path) != 0)
        goto out;
    if (ccf_auth_revoke(path, args.items[0], err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas user revoke: %s\n", err);
        goto out;
    }
    printf("revoked %s\n", args.items[0]);
    rc = CCF_EXIT_OK;
out:
    ccf_opt_args_free(&args);
    return rc;
}

int ccf_cmd_user(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(user_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    if (strcmp(argv[1], "add") == 0)
        return user_add(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return user_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "revoke") == 0)
        return user_revoke(argc - 1, argv + 1);
    fprintf(stderr, "ccfaas user: unknown subcommand '%s' (add, list, revoke; see `ccfaas user "
                    "--help`)\n", argv[1]);
    return CCF_EXIT_USAGE;
}
