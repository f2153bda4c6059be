/* `ccfaas ca init|issue|show`: the platform service CA of a data directory
 * (serviceca/serviceca.h, docs/auth.md "TLS"). `ccfaas up --tls` makes and
 * uses it by itself; these commands are for services on separate machines. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/crypto.h"
#include "net/auth.h"
#include "serviceca/serviceca.h"

static const char ca_usage[] =
    "usage: ccfaas ca init [--data-dir DIR]\n"
    "       ccfaas ca issue NAME --out-dir OUT [--data-dir DIR] [--san LIST] [--caller]\n"
    "       ccfaas ca show [--data-dir DIR]\n"
    "\n"
    "The platform service CA (DIR/ca/service-ca.crt and .key; default DIR\n"
    "./ccfaas-data): it issues the services their HTTPS certificates, with which\n"
    "they also authenticate to each other, and callers their client certificates\n"
    "(`ccfaas user add NAME --role ROLE --cert-dir OUT`). It is not the attestation\n"
    "CA: it vouches for platform parts, never for what runs in an instance.\n"
    "docs/auth.md.\n";

static const ccf_opt_cmd init_cmd = {
    .cmd = "ca init",
    .about = "Makes the data directory's service CA (reused when it exists) and prints\n"
             "where its certificate is: the file callers pin (curl --cacert,\n"
             "CCFAAS_CA_CERT)."};

static int ca_init(int argc, char **argv)
{
    const char *dir = "ccfaas-data";
    ccf_opt opts[] = {
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &dir, .value = "DIR",
         .help = "the services' data directory (default ./ccfaas-data)", .nonempty = true},
        {0}};
    ccf_serviceca *ca = NULL;
    char err[600];
    int rc = ccf_opt_run(&init_cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (ccf_serviceca_open(dir, true, &ca, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas ca init: %s\n", err);
        return CCF_EXIT_FAIL;
    }
    printf("service CA: %s\n", ccf_serviceca_cert_path(ca));
    ccf_serviceca_free(ca);
    return CCF_EXIT_OK;
}

static int ca_issue(int argc, char **argv)
{
    const char *dir = "ccfaas-data", *out_dir = NULL, *san = NULL;
    bool caller = false;
    ccf_opt opts[] = {
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &dir, .value = "DIR",
         .help = "the data directory holding the CA (default ./ccfaas-data)", .nonempty = true},
        {.name = "out-dir", .kind = CCF_OPT_STRING, .dest = &out_dir, .value = "OUT",
         .help = "writes OUT/NAME.crt and OUT/NAME.key (0600; never\noverwritten) (required)",
         .nonempty = true},
        {.name = "san", .kind = CCF_OPT_STRING, .dest = &san, .value = "LIST",
         .help = "subject alternative names of a service, e.g.\n"
                 "IP:10.0.0.5,DNS:vaas.example (default\nIP:127.0.0.1,IP:::1,DNS:localhost)",
         .nonempty = true},
        {.name = "caller", .kind = CCF_OPT_FLAG, .dest = &caller,
         .help = "a client certificate only (register it with `ccfaas user\nadd --cert-dir`, "
                 "which issues one itself)"},
        {0}};
    ccf_opt_cmd cmd = {.cmd = "ca issue", .args = "NAME", .min_args = 1, .max_args = 1,
                       .about = "Issues a certificate for a fresh key: a service's (HTTPS server "
                                "and client\ntowards the other services) unless --caller."};
    ccf_opt_args args = {0};
    ccf_serviceca *ca = NULL;
    char crt[4096], key[4096], err[600], hex[65];
    uint8_t fp[32];
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        goto out;
    if (out_dir == NULL) {
        rc = ccf_opt_error(&cmd, "--out-dir: required");
        goto out;
    }
    if (!ccf_auth_name_valid(args.items[0])) {
        rc = ccf_opt_error(&cmd, "NAME '%s': expected 1-%d of A-Z a-z 0-9 . _ - (not starting "
                           "with - or .)", args.items[0], CCF_AUTH_NAME_MAX);
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (snprintf(crt, sizeof crt, "%s/%s.crt", out_dir, args.items[0]) >= (int)sizeof crt ||
        snprintf(key, sizeof key, "%s/%s.key", out_dir, args.items[0]) >= (int)sizeof key) {
        fprintf(stderr, "ccfaas ca issue: --out-dir: path too long\n");
        goto out;
    }
    if (ccf_serviceca_open(dir, false, &ca, err, sizeof err) != CCF_OK ||
        ccf_serviceca_issue(ca, args.items[0], caller ? CCF_SERVICECA_CALLER : CCF_SERVICECA_SERVICE,
                            san, crt, key, fp, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas ca issue: %s\n", err);
        goto out;
    }
    ccf_hex_encode(fp, sizeof fp, hex);
    printf("issued %s: %s and %s (certificate SHA-256 %s)\n", args.items[0], crt, key, hex);
    rc = CCF_EXIT_OK;
out:
    ccf_serviceca_free(ca);
    ccf_opt_args_free(&args);
    return rc;
}

static int ca_show(int argc, char **argv)
{
    const char *dir = "ccfaas-data";
    ccf_opt opts[] = {
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &dir, .value = "DIR",
         .help = "the services' data directory (default ./ccfaas-data)", .nonempty = true},
        {0}};
    ccf_opt_cmd cmd = {.cmd = "ca show",
                       .about = "Prints the path and SHA-256 of the service CA's certificate."};
    ccf_serviceca *ca = NULL;
    char err[600], hex[65];
    uint8_t fp[32];
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (ccf_serviceca_open(dir, false, &ca, err, sizeof err) != CCF_OK ||
        ccf_serviceca_fingerprint(ccf_serviceca_cert_path(ca), fp, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas ca show: %s\n", err);
        ccf_serviceca_free(ca);
        return CCF_EXIT_FAIL;
    }
    ccf_hex_encode(fp, sizeof fp, hex);
    printf("%s  sha256 %s\n", ccf_serviceca_cert_path(ca), hex);
    ccf_serviceca_free(ca);
    return CCF_EXIT_OK;
}

int ccf_cmd_ca(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(ca_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    if (strcmp(argv[1], "init") == 0)
        return ca_init(argc - 1, argv + 1);
    if (strcmp(argv[1], "issue") == 0)
        return ca_issue(argc - 1, argv + 1);
    if (strcmp(argv[1], "show") == 0)
        return ca_show(argc - 1, argv + 1);
    fprintf(stderr, "ccfaas ca: unknown subcommand '%s' (init, issue, show; see `ccfaas ca "
                    "--help`)\n", argv[1]);
    return CCF_EXIT_USAGE;
}
