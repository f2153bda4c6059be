/* `ccfaas trust add|list|remove` (the user's trust configuration,
 * docs/trust.md) and `ccfaas measure` (a runtime's measurement, to trust). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attest/evidence.h"
#include "attest/pki.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "client/trust_file.h"

static const char *const allowances[] = {"development-platform", "debug", "unsandboxed"};

static bool *allowance(ccf_trust *t, const char *name)
{
    bool *flags[] = {&t->allow_development_platform, &t->allow_debug, &t->allow_unsandboxed};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(name, allowances[i]) == 0)
            return flags[i];
    }
    return NULL;
}

/* Sets (add) or clears (remove) each --allow WHAT; a usage error (returned,
 * nothing saved) for an unknown WHAT, else -1. */
static int set_allowances(const ccf_opt_cmd *cmd, ccf_trust *t, const ccf_opt_list *allow,
                          bool value)
{
    for (size_t i = 0; i < allow->count; i++) {
        bool *flag = allowance(t, allow->items[i]);
        if (flag == NULL)
            return ccf_opt_error(cmd, "--allow %s: expected development-platform, debug or "
                                      "unsandboxed", allow->items[i]);
        *flag = value;
        printf("%s: %s instances\n", value ? "allowed" : "refused", allow->items[i]);
    }
    return -1;
}

/* "PLATFORM:HEX" into its parts. */
static bool parse_measurement(const char *s, ccf_runtime_platform *p, uint8_t out[CCF_SHA256_LEN])
{
    const char *colon = strchr(s, ':');
    if (colon == NULL)
        return false;
    for (int i = 0; i < CCF_RUNTIME_COUNT; i++) {
        const char *name = ccf_runtime_platform_name((ccf_runtime_platform)i);
        if (strlen(name) == (size_t)(colon - s) && strncmp(s, name, strlen(name)) == 0) {
            *p = (ccf_runtime_platform)i;
            return ccf_attest_hex_decode(colon + 1, out, CCF_SHA256_LEN);
        }
    }
    return false;
}

struct trust_opts {
    const char *trust, *name;
    ccf_opt_list cas, measurements, runtimes, allow;
};

static int trust_add(int argc, char **argv)
{
    struct trust_opts o = {0};
    ccf_opt opts[] = {
        {.name = "ca", .kind = CCF_OPT_LIST, .dest = &o.cas, .value = "FILE",
         .help = "accept this attestation CA (a proxy's CA certificate, PEM)"},
        {.name = "measurement", .kind = CCF_OPT_LIST, .dest = &o.measurements, .value = "PLATFORM:SHA256",
         .help = "accept this runtime measurement (platform linux, sevsnp, tdx, nitro, sgx, tz)"},
        {.name = "runtime", .kind = CCF_OPT_LIST, .dest = &o.runtimes, .value = "PATH",
         .help = "accept the ccfaas-runtime at PATH (its measurement, platform linux)"},
        {.name = "allow", .kind = CCF_OPT_LIST, .dest = &o.allow, .value = "WHAT",
         .help = "accept instances that are: development-platform (no TEE), debug, unsandboxed"},
        {.name = "name", .kind = CCF_OPT_STRING, .dest = &o.name, .value = "TEXT",
         .help = "a note kept with the entries added"},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &o.trust, .value = "FILE",
         .help = "the trust file (default $CCFAAS_TRUST, else ~/.config/ccfaas/trust.json)"},
        {0}};
    ccf_opt_cmd cmd = {.cmd = "trust add", .about = "Adds anchors to your trust configuration "
                                                    "(created when missing)."};
    ccf_trust *t = NULL;
    char path[4096], err[600];
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        goto out;
    if (o.cas.count + o.measurements.count + o.runtimes.count + o.allow.count == 0) {
        rc = ccf_opt_error(&cmd, "nothing to add: give --ca, --measurement, --runtime or --allow");
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (ccf_trust_file_path(o.trust, path, sizeof path, err, sizeof err) != CCF_OK ||
        ccf_trust_file_load_or_new(path, &t, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas trust add: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < o.cas.count; i++) {
        X509 *ca = NULL;
        uint8_t h[CCF_SHA256_LEN];
        unsigned int n = 0;
        bool added;
        char hex[CCF_SHA256_HEX_LEN + 1];
        if (ccf_pki_cert_read(o.cas.items[i], &ca, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas trust add: --ca %s: %s\n", o.cas.items[i], err);
            goto out;
        }
        bool ok = X509_digest(ca, EVP_sha256(), h, &n) == 1 && n == CCF_SHA256_LEN;
        X509_free(ca);
        if (!ok || ccf_trust_add_ca(t, h, o.name ? o.name : o.cas.items[i], &added) != CCF_OK) {
            fprintf(stderr, "ccfaas trust add: --ca %s: cannot add\n", o.cas.items[i]);
            goto out;
        }
        ccf_hex_encode(h, CCF_SHA256_LEN, hex);
        printf("%s attestation CA %s (%s)\n", added ? "added" : "already trusted:", hex,
               o.cas.items[i]);
    }
    for (size_t i = 0; i < o.measurements.count + o.runtimes.count; i++) {
        bool from_file = i >= o.measurements.count;
        const char *v = from_file ? o.runtimes.items[i - o.measurements.count] : o.measurements.items[i];
        ccf_runtime_platform p = CCF_RUNTIME_LINUX;
        uint8_t m[CCF_SHA256_LEN];
        bool added;
        char hex[CCF_SHA256_HEX_LEN + 1];
        if (from_file ? ccf_evidence_measure_file(v, m, err, sizeof err) != CCF_OK
                      : !parse_measurement(v, &p, m)) {
            if (from_file)
                fprintf(stderr, "ccfaas trust add: --runtime %s: %s\n", v, err);
            else
                fprintf(stderr, "ccfaas trust add: --measurement %s: expected PLATFORM:SHA256 "
                                "(e.g. linux:<64 hex digits>)\n", v);
            rc = from_file ? CCF_EXIT_FAIL : CCF_EXIT_USAGE;
            goto out;
        }
        if (ccf_trust_add_measurement(t, p, m, o.name ? o.name : (from_file ? v : NULL), &added) !=
            CCF_OK) {
            fprintf(stderr, "ccfaas trust add: too many measurements\n");
            goto out;
        }
        ccf_hex_encode(m, CCF_SHA256_LEN, hex);
        printf("%s measurement %s:%s\n", added ? "added" : "already trusted:",
               ccf_runtime_platform_name(p), hex);
    }
    if ((rc = set_allowances(&cmd, t, &o.allow, true)) >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (ccf_trust_file_save(path, t, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas trust add: %s\n", err);
        goto out;
    }
    printf("saved %s\n", path);
    rc = CCF_EXIT_OK;
out:
    ccf_trust_free(t);
    ccf_opt_lists_free(opts);
    return rc;
}

static int trust_list(int argc, char **argv)
{
    const char *trust = NULL;
    ccf_opt opts[] = {{.name = "trust", .kind = CCF_OPT_STRING, .dest = &trust, .value = "FILE",
         .help = "the trust file (default $CCFAAS_TRUST, else ~/.config/ccfaas/trust.json)"},
                      {0}};
    ccf_opt_cmd cmd = {.cmd = "trust list", .about = "Prints your trust configuration."};
    ccf_trust *t = NULL;
    char path[4096], err[600], hex[CCF_SHA256_HEX_LEN + 1];
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        return rc;
    if (ccf_trust_file_path(trust, path, sizeof path, err, sizeof err) != CCF_OK ||
        ccf_trust_file_load(path, &t, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas trust list: %s\n", err);
        return CCF_EXIT_FAIL;
    }
    printf("trust file %s\nattestation CAs (SHA-256 of the certificate):\n", path);
    for (size_t i = 0; i < t->ca_count; i++) {
        ccf_hex_encode(t->cas[i].sha256, CCF_SHA256_LEN, hex);
        printf("  %s  %s\n", hex, t->cas[i].name ? t->cas[i].name : "");
    }
    printf("runtime measurements:\n");
    for (size_t i = 0; i < t->measurement_count; i++) {
        ccf_hex_encode(t->measurements[i].sha256, CCF_SHA256_LEN, hex);
        printf("  %-7s %s  %s\n", ccf_runtime_platform_name(t->measurements[i].platform), hex,
               t->measurements[i].name ? t->measurements[i].name : "");
    }
    printf("development platform (no TEE): %s\ndebug instances: %s\nunsandboxed runtimes: %s\n",
           t->allow_development_platform ? "allowed" : "refused",
           t->allow_debug ? "allowed" : "refused", t->allow_unsandboxed ? "allowed" : "refused");
    ccf_trust_free(t);
    return CCF_EXIT_OK;
}

static int trust_remove(int argc, char **argv)
{
    struct trust_opts o = {0};
    ccf_opt opts[] = {
        {.name = "allow", .kind = CCF_OPT_LIST, .dest = &o.allow, .value = "WHAT",
         .help = "refuse again: development-platform, debug, unsandboxed"},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &o.trust, .value = "FILE",
         .help = "the trust file (default $CCFAAS_TRUST, else ~/.config/ccfaas/trust.json)"},
        {0}};
    ccf_opt_cmd cmd = {.cmd = "trust remove", .args = "[SHA256...]", .max_args = (size_t)-1,
                       .about = "Removes every CA and measurement entry with these hashes."};
    ccf_opt_args args = {0};
    ccf_trust *t = NULL;
    char path[4096], err[600];
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        goto out;
    if (args.count + o.allow.count == 0) {
        rc = ccf_opt_error(&cmd, "nothing to remove: give SHA256s or --allow");
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (ccf_trust_file_path(o.trust, path, sizeof path, err, sizeof err) != CCF_OK ||
        ccf_trust_file_load(path, &t, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas trust remove: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < args.count; i++) {
        uint8_t h[CCF_SHA256_LEN];
        size_t removed = 0;
        if (!ccf_attest_hex_decode(args.items[i], h, sizeof h)) {
            rc = ccf_opt_error(&cmd, "'%s' is not a SHA-256 (64 hex digits)", args.items[i]);
            goto out;
        }
        ccf_trust_remove(t, h, &removed);
        if (removed == 0) {
            fprintf(stderr, "ccfaas trust remove: %s is not in %s\n", args.items[i], path);
            goto out;
        }
        printf("removed %s (%zu entr%s)\n", args.items[i], removed, removed == 1 ? "y" : "ies");
    }
    if ((rc = set_allowances(&cmd, t, &o.allow, false)) >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (ccf_trust_file_save(path, t, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas trust remove: %s\n", err);
        goto out;
    }
    rc = CCF_EXIT_OK;
out:
    ccf_trust_free(t);
    ccf_opt_args_free(&args);
    ccf_opt_lists_free(opts);
    return rc;
}

static const char trust_usage[] =
    "usage: ccfaas trust add|list|remove [OPTIONS]\n"
    "\n"
    "Your trust configuration: the attestation CAs and runtime measurements you accept,\n"
    "and whether development-platform, debug or unsandboxed instances are acceptable.\n"
    "`ccfaas client` and `ccfaas instance create` verify every instance against it,\n"
    "never against the anchors a policy names (docs/trust.md). `ccfaas up` writes one\n"
    "for its own local platform: DATA_DIR/trust.json.\n"
    "  add     add anchors or allowances (see `ccfaas trust add --help`)\n"
    "  list    print the configuration\n"
    "  remove  remove anchors (by SHA-256) or allowances\n";

int ccf_cmd_trust(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(trust_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    if (strcmp(argv[1], "add") == 0)
        return trust_add(argc - 1, argv + 1);
    if (strcmp(argv[1], "list") == 0)
        return trust_list(argc - 1, argv + 1);
    if (strcmp(argv[1], "remove") == 0)
        return trust_remove(argc - 1, argv + 1);
    fprintf(stderr, "ccfaas trust: unknown subcommand '%s' (add, list, remove; see `ccfaas trust "
                    "--help`)\n", argv[1]);
    return CCF_EXIT_USAGE;
}

int ccf_cmd_measure(int argc, char **argv)
{
    ccf_opt_cmd cmd = {.cmd = "measure", .args = "[RUNTIME]", .max_args = 1,
                       .about = "Prints the measurement (SHA-256, platform linux) of a\n"
                                "ccfaas-runtime: the one beside this ccfaas by default. Build the\n"
                                "same commit yourself (make reproducible-check) to get the value\n"
                                "to trust: ccfaas trust add --measurement linux:HASH"};
    ccf_opt opts[] = {{0}};
    ccf_opt_args args = {0};
    char path[4096], err[600], hex[CCF_SHA256_HEX_LEN + 1];
    uint8_t m[CCF_SHA256_LEN];
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        return rc;
    rc = CCF_EXIT_FAIL;
    if (args.count == 1) {
        snprintf(path, sizeof path, "%s", args.items[0]);
        if (ccf_evidence_measure_file(path, m, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas measure: %s\n", err);
            goto out;
        }
    } else if (!ccf_cli_default_runtime(path, sizeof path, m)) {
        fprintf(stderr, "ccfaas measure: no ccfaas-runtime beside this ccfaas; give its path\n");
        goto out;
    }
    ccf_hex_encode(m, CCF_SHA256_LEN, hex);
    printf("linux:%s  %s\n", hex, path);
    rc = CCF_EXIT_OK;
out:
    ccf_opt_args_free(&args);
    return rc;
}
