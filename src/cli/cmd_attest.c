/* `ccfaas attest verify --platform snp|tdx|nitro|sgx EVIDENCE ...`: verifies real
 * TEE evidence offline against pinned roots (src/attest/tee.h) and prints the
 * verdict and the claims. Exit 0 accepted, 1 refused (the failing check is
 * printed), 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/tee.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/utc.h"

#define ATTEST_MAX_FILE (4u << 20)

#define ATTEST_ABOUT                                                                      \
    "Verifies TEE evidence (binary, hex or base64; '-' = stdin) against pinned trust\n"      \
    "anchors and prints the verdict and the claims:\n"                                      \
    "  snp    AMD SEV-SNP report (1184 bytes, or the KBS JSON form with its cert_chain);\n" \
    "         --vcek the VCEK/VLEK certificate (default: the one in the JSON);\n"          \
    "         --roots the AMD ASK/ARK/ASVK bundle of the product (e.g. Milan)\n"           \
    "  tdx    Intel TDX DCAP quote v4/v5; --roots the Intel SGX Root CA;\n"                \
    "         --collateral JSON (tcb_info, qe_identity, signatures, issuer chains)\n"      \
    "  nitro  AWS Nitro Enclaves attestation document; --roots the AWS Nitro root\n"       \
    "  sgx    Intel SGX DCAP quote v3; --roots and --collateral as for tdx\n"
#define ATTEST_EPILOG                                                                     \
    "\nExit 0 accepted, 1 refused (or a file cannot be read), 2 usage.\n"                   \
    "Nothing in ccfaas produces such evidence yet: these are verifiers only.\n"

static bool read_opt(const char *path, char **buf, size_t *len, const char *what)
{
    char err[512];
    if (path == NULL)
        return true;
    if (ccf_file_read(path, ATTEST_MAX_FILE, buf, len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas attest verify: %s %s: %s\n", what, path, err);
        return false;
    }
    return true;
}

static void print_hex(const char *label, const uint8_t *b, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (h == NULL)
        return;
    ccf_hex_encode(b, n, h);
    printf("  %-15s %s\n", label, h);
    free(h);
}


/* The DCAP part shared by TDX and SGX quotes. */
static void print_dcap(const ccf_tee_claims *c)
{
    print_hex("fmspc", c->dcap.fmspc, 6);
    printf("  %-15s %u\n", "pce_svn", c->dcap.pce_svn);
    if (c->tcb_status[0])
        printf("  %-15s %s%s%s\n", "tcb_status", c->tcb_status,
               c->dcap.advisories[0] ? " advisories " : "", c->dcap.advisories);
    else
        printf("  %-15s not evaluated (no --collateral)\n", "tcb_status");
}
static void print_text(const ccf_tee_claims *c)
{
    printf("  %-15s %s\n", "signer", c->signer);
    print_hex(c->platform == CCF_TEE_NITRO ? "pcr0" : "measurement", c->measurement,
              c->measurement_len);
    if (c->platform != CCF_TEE_NITRO)
        print_hex("report_data", c->report_data, c->report_data_len);
    printf("  %-15s %s\n", "debug", c->debug ? "yes (reject in production)" : "no");
    switch (c->platform) {
    case CCF_TEE_SNP: {
        const ccf_tee_snp_tcb *t = &c->snp.reported_tcb;
        printf("  %-15s %s\n  %-15s %u\n  %-15s %u\n  %-15s 0x%llx\n  %-15s %u\n", "product",
               c->snp.product, "version", c->snp.version, "guest_svn", c->snp.guest_svn, "policy",
               (unsigned long long)c->snp.policy, "vmpl", c->snp.vmpl);
        printf("  %-15s bl=%u tee=%u snp=%u ucode=%u fmc=%u\n", "reported_tcb", t->bootloader,
               t->tee, t->snp, t->microcode, t->fmc);
        print_hex("chip_id", c->snp.chip_id, 64);
        break;
    }
    case CCF_TEE_TDX:
        printf("  %-15s %u\n  %-15s 0x%x\n", "version", c->dcap.version, "tee_type",
               c->dcap.tee_type);
        print_hex("mr_seam", c->tdx.mr_seam, 48);
        print_hex("td_attributes", c->tdx.td_attributes, 8);
        print_hex("xfam", c->tdx.xfam, 8);
        print_hex("tee_tcb_svn", c->tdx.tee_tcb_svn, 16);
        for (int i = 0; i < 4; i++) {
            char k[8];
            snprintf(k, sizeof k, "rtmr%d", i);
            print_hex(k, c->tdx.rtmr[i], 48);
        }
        print_dcap(c);
        break;
    case CCF_TEE_SGX:
        printf("  %-15s %u\n", "version", c->dcap.version);
        print_hex("mr_signer", c->sgx.mr_signer, 32);
        printf("  %-15s %u\n  %-15s %u\n", "isv_prod_id", c->sgx.isv_prod_id, "isv_svn",
               c->sgx.isv_svn);
        print_hex("attributes", c->sgx.attributes, 16);
        print_dcap(c);
        break;
    case CCF_TEE_NITRO:
        printf("  %-15s %s\n  %-15s %llu\n", "module_id", c->nitro.module_id, "timestamp_ms",
               (unsigned long long)c->nitro.timestamp_ms);
        for (int i = 0; i < CCF_TEE_NITRO_MAX_PCRS; i++) {
            char k[8];
            if (i == 0 || !(c->nitro.pcr_present & (1u << i)))
                continue;
            snprintf(k, sizeof k, "pcr%d", i);
            print_hex(k, c->nitro.pcrs[i], c->nitro.pcr_len);
        }
        if (c->nitro.has_nonce)
            print_hex("nonce", c->nitro.nonce, c->nitro.nonce_len);
        if (c->nitro.has_user_data)
            print_hex("user_data", c->nitro.user_data, c->nitro.user_data_len);
        if (c->nitro.has_public_key)
            print_hex("public_key", c->nitro.public_key, c->nitro.public_key_len);
        break;
    }
}

int ccf_cmd_attest(int argc, char **argv)
{
    const char *platform = NULL, *evpath = NULL, *vcek = NULL, *roots = NULL, *coll = NULL;
    bool json = false, platform_ok;
    ccf_tee_platform p = CCF_TEE_SNP;
    ccf_tee_verify_opts o = {0};
    ccf_tee_claims *c = NULL;
    char *evtext = NULL, *vbuf = NULL, *rbuf = NULL, *cbuf = NULL, err[512], *js;
    uint8_t *ev = NULL;
    size_t evtext_len = 0, ev_len = 0, vlen = 0, rlen = 0, clen = 0;
    int rc = CCF_EXIT_USAGE;
    ccf_err e;

    const char *at = NULL;
    ccf_opt_args args = {0};
    const ccf_opt_cmd cmd = {.cmd = "attest verify", .args = "EVIDENCE", .min_args = 1,
                             .max_args = 1, .about = ATTEST_ABOUT, .epilog = ATTEST_EPILOG};
    const ccf_opt opts[] = {
        {.name = "platform", .kind = CCF_OPT_STRING, .dest = &platform, .value = "snp|tdx|nitro|sgx",
         .help = "the evidence's platform (required)"},
        {.name = "roots", .kind = CCF_OPT_STRING, .dest = &roots, .value = "FILE",
         .help = "the pinned trust anchors (PEM; required)"},
        {.name = "vcek", .kind = CCF_OPT_STRING, .dest = &vcek, .value = "FILE",
         .help = "snp: the VCEK/VLEK certificate"},
        {.name = "collateral", .kind = CCF_OPT_STRING, .dest = &coll, .value = "FILE",
         .help = "tdx, sgx: the collateral JSON"},
        {.name = "at", .kind = CCF_OPT_STRING, .dest = &at, .value = "YYYY-MM-DDTHH:MM:SSZ",
         .help = "verify as of that time instead of now"},
        {.name = "json", .kind = CCF_OPT_FLAG, .dest = &json,
         .help = "the verdict and claims as one JSON object"},
        {0}};

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        ccf_opt_usage(&cmd, opts, stdout);
        return CCF_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        if (argc >= 2)
            fprintf(stderr, "ccfaas attest: unknown subcommand '%s'; the one subcommand is "
                            "verify\n", argv[1]);
        ccf_opt_usage(&cmd, opts, stderr);
        return CCF_EXIT_USAGE;
    }
    if ((rc = ccf_opt_run(&cmd, opts, argc - 1, argv + 1, &args)) >= 0)
        goto out;
    rc = CCF_EXIT_USAGE;
    evpath = args.items[0];
    if (at != NULL && !ccf_utc_parse(at, &o.at)) {
        rc = ccf_opt_error(&cmd, "--at: expected YYYY-MM-DDTHH:MM:SSZ, got '%s'", at);
        goto out;
    }
    platform_ok = ccf_tee_platform_parse(platform, &p);
    if (!platform_ok || roots == NULL) {
        rc = ccf_opt_error(&cmd, "%s", !platform_ok
                                           ? "--platform snp|tdx|nitro|sgx is required"
                                           : "--roots FILE (the pinned trust anchors) is required");
        goto out;
    }
    if ((vcek != NULL && p != CCF_TEE_SNP) ||
        (coll != NULL && p != CCF_TEE_TDX && p != CCF_TEE_SGX)) {
        rc = ccf_opt_error(&cmd, "%s applies to %s only",
                           vcek != NULL && p != CCF_TEE_SNP ? "--vcek" : "--collateral",
                           vcek != NULL && p != CCF_TEE_SNP ? "snp" : "tdx and sgx");
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (!read_opt(evpath, &evtext, &evtext_len, "EVIDENCE") || !read_opt(vcek, &vbuf, &vlen, "--vcek") ||
        !read_opt(roots, &rbuf, &rlen, "--roots") || !read_opt(coll, &cbuf, &clen, "--collateral"))
        goto out;
    if (p == CCF_TEE_SNP && evtext_len > 0 && evtext[strspn(evtext, " \t\r\n")] == '{') {
        /* The KBS JSON form: the report to rebuild, maybe with its VCEK. */
        uint8_t *chain_vcek = NULL;
        size_t chain_len = 0;
        if ((ev = malloc(1184)) == NULL)
            goto out;
        if ((e = ccf_tee_snp_from_kbs_json(evtext, evtext_len, ev, &chain_vcek, &chain_len, err,
                                           sizeof err)) != CCF_OK)
            goto verdict;
        ev_len = 1184;
        if (vbuf == NULL) {
            vbuf = (char *)chain_vcek;
            vlen = chain_len;
        } else {
            free(chain_vcek);
        }
    } else if (ccf_tee_evidence_decode((const uint8_t *)evtext, evtext_len, &ev, &ev_len, err,
                                       sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas attest verify: EVIDENCE %s: %s\n", evpath, err);
        goto out;
    }
    o.roots = (const uint8_t *)rbuf;
    o.roots_len = rlen;
    o.vcek = (const uint8_t *)vbuf;
    o.vcek_len = vlen;
    o.collateral = cbuf;
    o.collateral_len = clen;
    if ((c = calloc(1, sizeof *c)) == NULL)
        goto out;
    e = ccf_tee_verify(p, ev, ev_len, &o, c, err, sizeof err);
verdict:
    if (json) {
        js = e == CCF_OK ? ccf_tee_claims_json(c) : NULL;
        if (e == CCF_OK && js != NULL) {
            printf("{\"verdict\":\"accepted\",\"claims\":%s}\n", js);
        } else {
            /* err is OpenSSL/our text: keep it JSON-safe. */
            for (char *q = err; *q; q++)
                if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20)
                    *q = '\'';
            printf("{\"verdict\":\"refused\",\"error\":\"%s\"}\n", e == CCF_OK ? "out of memory" : err);
            if (e == CCF_OK)
                e = CCF_ERR_NOMEM;
        }
        free(js);
    } else if (e == CCF_OK) {
        printf("accepted: %s evidence verified%s\n", ccf_tee_platform_name(p),
               o.at != 0 ? " (as of --at)" : "");
        print_text(c);
    } else {
        printf("refused: %s\n", err);
    }
    rc = e == CCF_OK ? CCF_EXIT_OK : CCF_EXIT_FAIL;
out:
    free(c);
    free(ev);
    free(evtext);
    free(vbuf);
    free(rbuf);
    free(cbuf);
    ccf_opt_args_free(&args);
    return rc;
}
