/* `ccfaas client`: the data owner's and result reader's tool (veracruz-client
 * flags). Verifies the instance before sending anything. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/x509.h>

#include "attest/pki.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "client/client.h"
#include "client/expect.h"
#include "client/trust_file.h"
#include "common/file.h"
#include "policy/rights.h"

#define CLIENT_ABOUT                                                                          \
    "Talks to the instance of a full POLICY (at its veracruz_server_url) as one identity.\n"     \
    "Before sending anything it verifies the instance against YOUR trust configuration\n"       \
    "(--trust, docs/trust.md), never against anchors the policy names: the policy's\n"          \
    "proxy_service_cert and runtime_manager_hash_* must be trusted, the certificate chain\n"     \
    "ends at that CA, the runtime measurement and the launch configuration (sandbox, debug,\n"  \
    "platform) are acceptable, policy hash = SHA-256 of POLICY, certificate unexpired. With\n"  \
    "--expect it also checks that POLICY grants exactly what your user policy asked and that\n" \
    "the function's programs are the ones you know. Then, in this order: programs, data,\n"    \
    "computations, results. `ccfaas client verify POLICY ...` only verifies and shows who\n"   \
    "can read what you write.\n"

struct client_args {
    const char *policy, *cert, *key, *url, *trust, *expect, *function_policy;
    ccf_opt_list programs, data, results, computes;
    ccf_opt_args pos;
    bool shutdown, quiet, verify_only;
};

static int parse_args(int argc, char **argv, struct client_args *a, ccf_opt *opts)
{
    static const ccf_opt_cmd cmd = {
        .cmd = "client", .args = "[verify] POLICY", .min_args = 1, .max_args = 2,
        .about = CLIENT_ABOUT,
        .epilog = "Exit status: 0 success, 1 a check, transfer or computation failed, 2 usage "
                  "error.\n",
        .bare_names = true};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &a->pos);
    if (rc >= 0)
        return rc;
    if (a->pos.count == 2 && strcmp(a->pos.items[0], "verify") != 0)
        return ccf_opt_error(&cmd, "more than one POLICY: %s", a->pos.items[1]);
    a->verify_only = a->pos.count == 2;
    a->policy = a->pos.items[a->pos.count - 1];
    if (a->cert == NULL || a->key == NULL)
        return ccf_opt_error(&cmd, "--identity CERT and --key KEY are required");
    if (a->function_policy != NULL && a->expect == NULL)
        return ccf_opt_error(&cmd, "--function-policy needs --expect USER_POLICY");
    if (a->verify_only && (a->programs.count || a->data.count || a->computes.count ||
                           a->results.count || a->shutdown))
        return ccf_opt_error(&cmd, "`client verify` only verifies: drop --program, --data, "
                                   "--compute, --result and --shutdown, or drop `verify`");
    if (a->url != NULL && strncmp(a->url, "https://", 8) != 0)
        return ccf_opt_error(&cmd, "--url: expected https://HOST:PORT (the instance's data "
                                   "plane), got '%s'", a->url);
    return -1;
}

/* NAME=PATH of a pair list item (checked by the parser) into its parts;
 * name is written into buf. */
static const char *pair(const char *item, char *buf, size_t size)
{
    const char *eq = strchr(item, '=');
    snprintf(buf, size, "%.*s", (int)(eq - item), item);
    return eq + 1;
}

/* The local files of --program, --data and --result, checked before anything
 * is loaded or sent: inputs are readable files (not directories), stdin is
 * read once, results go to a writable directory. Prints what is wrong. */
static int check_files(const struct client_args *a)
{
    const ccf_opt_list *inputs[] = {&a->programs, &a->data};
    const char *flags[] = {"--program", "--data"};
    char flag[300], stdin_user[300] = "", name[256], err[1200];
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < inputs[k]->count; i++) {
            const char *path = pair(inputs[k]->items[i], name, sizeof name);
            snprintf(flag, sizeof flag, "%s %s", flags[k], name);
            if (strcmp(path, "-") == 0) {
                if (stdin_user[0] != '\0') {
                    fprintf(stderr, "ccfaas client: %s=-: stdin is read once, and %s=- reads "
                                    "it already; give a file for one of them\n", flag, stdin_user);
                    return CCF_EXIT_USAGE;
                }
                snprintf(stdin_user, sizeof stdin_user, "%s", flag);
            } else if (!ccf_opt_input_ok(flag, path, err, sizeof err)) {
                fprintf(stderr, "ccfaas client: %s; nothing was sent\n", err);
                return CCF_EXIT_FAIL;
            }
        }
    }
    for (size_t i = 0; i < a->results.count; i++) {
        const char *path = pair(a->results.items[i], name, sizeof name);
        snprintf(flag, sizeof flag, "--result %s", name);
        if (!ccf_opt_output_ok(flag, path, err, sizeof err)) {
            fprintf(stderr, "ccfaas client: %s; nothing was sent\n", err);
            return CCF_EXIT_FAIL;
        }
    }
    return -1;
}

/* The policy identity whose certificate is the file cert_path, or -1. */
static long own_identity(const ccf_policy *p, const char *cert_path)
{
    X509 *mine = NULL;
    char err[200];
    long found = -1;
    if (ccf_pki_cert_read(cert_path, &mine, err, sizeof err) != CCF_OK)
        return -1;
    for (size_t i = 0; i < p->identity_count && found < 0; i++) {
        X509 *x = NULL;
        const char *pem = p->identities[i].certificate;
        if (ccf_pki_cert_from_pem(pem, strlen(pem), &x, err, sizeof err) == CCF_OK &&
            X509_cmp(x, mine) == 0)
            found = (long)i;
        X509_free(x);
    }
    X509_free(mine);
    return found;
}

/* For every file this identity may write: every identity and program that can
 * read it (what the data owner must agree to before uploading). */
static void show_readers(const ccf_policy *p, long me)
{
    const uint32_t rd = CCF_FD_READ;
    printf("\nWho can read what you can write:\n");
    if (me < 0) {
        printf("  (your certificate is not one of the policy's identities)\n");
        return;
    }
    const ccf_file_rights *mine = &p->identities[me].rights;
    size_t shown = 0;
    for (size_t f = 0; f < mine->count; f++) {
        const char *name = mine->items[f].file_name;
        if (!(mine->items[f].rights & CCF_FD_WRITE))
            continue;
        shown++;
        printf("  %s:", name);
        size_t n = 0;
        for (size_t i = 0; i < p->identity_count; i++) {
            if (ccf_file_rights_lookup(&p->identities[i].rights, name) & rd)
                printf("%s identity %" PRId64 " (%s)%s", n++ ? "," : "", p->identities[i].id,
                       p->identities[i].subject ? p->identities[i].subject : "?",
                       (long)i == me ? " = you" : "");
        }
        for (size_t i = 0; i < p->program_count; i++) {
            if (ccf_file_rights_lookup(&p->programs[i].rights, name) & rd)
                printf("%s program %s", n++ ? "," : "", p->programs[i].program_file_name);
        }
        printf("%s\n", n ? "" : " nobody");
    }
    if (shown == 0)
        printf("  (you may write no file)\n");
}

static bool is_program(const ccf_policy *p, const char *name)
{
    for (size_t i = 0; i < p->program_count; i++) {
        if (strcmp(p->programs[i].program_file_name, name) == 0)
            return true;
    }
    return false;
}

static int run_compute(ccf_client *c, const char *program, bool quiet)
{
    char err[600], trap[256];
    long code;
    if (!quiet)
        fprintf(stderr, "Executing %s\n", program);
    if (ccf_client_execute(c, program, &code, trap, sizeof trap, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas client: execute %s: %s\n", program, err);
        return CCF_EXIT_FAIL;
    }
    if (code != 0) {
        if (code < 0)
            fprintf(stderr, "ccfaas client: %s trapped: %s\n", program, trap);
        else
            fprintf(stderr, "ccfaas client: %s exited with code %ld\n", program, code);
        return CCF_EXIT_FAIL;
    }
    return CCF_EXIT_OK;
}

static int upload_all(ccf_client *c, const char *what, const ccf_opt_list *files, bool quiet)
{
    char err[600], name[256];
    for (size_t i = 0; i < files->count; i++) {
        const char *path = pair(files->items[i], name, sizeof name);
        if (!quiet)
            fprintf(stderr, "Uploading %s%s from %s\n", what, name, path);
        if (ccf_client_put(c, name, path, false, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas client: upload %s: %s\n", name, err);
            return CCF_EXIT_FAIL;
        }
    }
    return CCF_EXIT_OK;
}

int ccf_cmd_client(int argc, char **argv)
{
    struct client_args a = {0};
    ccf_opt opts[] = {
        {.name = "identity", .kind = CCF_OPT_STRING, .dest = &a.cert, .value = "CERT",
         .help = "your identity's certificate (PEM), one of the policy's identities"},
        {.name = "key", .kind = CCF_OPT_STRING, .dest = &a.key, .value = "KEY",
         .help = "its private key (PEM)"},
        {.name = "program", .kind = CCF_OPT_PAIR, .dest = &a.programs, .value = "NAME=PATH",
         .help = "upload a program (must hash to its pi_hash)"},
        {.name = "data", .kind = CCF_OPT_PAIR, .dest = &a.data, .value = "NAME=PATH",
         .help = "upload a data file (PATH - = stdin)"},
        {.name = "compute", .kind = CCF_OPT_LIST, .dest = &a.computes, .value = "PROGRAM",
         .help = "execute a program"},
        {.name = "result", .kind = CCF_OPT_PAIR, .dest = &a.results, .value = "NAME=PATH",
         .help = "save file NAME to PATH (- = stdout); when NAME is a program\nof the policy: "
                 "execute it, then save its `output`"},
        {.name = "shutdown", .kind = CCF_OPT_FLAG, .dest = &a.shutdown,
         .help = "end the instance afterwards"},
        {.name = "no-shutdown", .kind = CCF_OPT_FLAG, .dest = &a.shutdown, .clear = true,
         .help = "leave the instance running (the default)"},
        {.name = "quiet", .short_name = 'q', .kind = CCF_OPT_FLAG, .dest = &a.quiet,
         .help = "no progress messages"},
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &a.url, .value = "URL",
         .help = "connect here instead of the policy's veracruz_server_url"},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &a.trust, .value = "FILE",
         .help = "your trust configuration (default $CCFAAS_TRUST, else\n"
                 "~/.config/ccfaas/trust.json; `ccfaas trust --help`)"},
        {.name = "expect", .kind = CCF_OPT_STRING, .dest = &a.expect, .value = "USER_POLICY",
         .help = "refuse unless POLICY grants exactly what this user policy asked\n(plus a "
                 "write-only loader) and runs the function's known programs"},
        {.name = "function-policy", .kind = CCF_OPT_STRING, .dest = &a.function_policy,
         .value = "FILE", .help = "with --expect: the function's programs must be this program "
                                  "policy's\n(default: as first seen, in known_functions.json)"},
        {0}};
    ccf_client *c = NULL;
    ccf_trust *trust = NULL;
    char *user_text = NULL;
    ccf_verify_result vr;
    char err[1200], trust_path[4096], name[256];
    int rc = parse_args(argc, argv, &a, opts);

    if (rc >= 0 || (rc = check_files(&a)) >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    /* the user's own anchors, never the policy's */
    if (ccf_trust_file_path(a.trust, trust_path, sizeof trust_path, err, sizeof err) != CCF_OK ||
        ccf_trust_file_load(trust_path, &trust, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas client: %s\n", err);
        goto out;
    }
    ccf_client_config cfg = {.policy_path = a.policy, .cert_path = a.cert, .key_path = a.key,
                             .url = a.url, .progress = !a.quiet && isatty(STDERR_FILENO),
                             .trust = trust};
    if (ccf_client_open(&cfg, &c, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas client: %s\n", err);
        goto out;
    }
    const ccf_policy *p = ccf_client_policy(c);
    if (a.expect != NULL) {
        char known[4200], function[256];
        size_t ulen = 0;
        bool first = false;
        if (ccf_file_read(a.expect, CCF_POLICY_MAX_BYTES, &user_text, &ulen, err, sizeof err) !=
            CCF_OK) {
            fprintf(stderr, "ccfaas client: --expect %s: %s\n", a.expect, err);
            goto out;
        }
        if (ccf_expect_check_user_text(p, user_text, ulen, a.function_policy, trust_path, &first,
                                       known, sizeof known, function, sizeof function, err,
                                       sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas client: --expect %s: %s\n", a.expect, err);
            goto out;
        }
        if (first && !a.quiet)
            fprintf(stderr, "First use of function %s: its programs are recorded in %s\n",
                    function, known);
    }
    if (!a.quiet)
        fprintf(stderr, "Loaded policy %s %s\nConnecting to %s\n", a.policy,
                ccf_client_policy_hash(c), a.url ? a.url : p->veracruz_server_url);
    if (ccf_client_verify(c, &vr, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas client: %s\n", err);
        goto out;
    }
    if (!a.quiet || a.verify_only) {
        char mhex[CCF_SHA256_HEX_LEN + 1];
        char until[32];
        struct tm tm;
        ccf_hex_encode(vr.measurement, sizeof vr.measurement, mhex);
        strftime(until, sizeof until, "%Y-%m-%d %H:%M UTC", gmtime_r(&vr.not_after, &tm));
        if (a.verify_only) {
            printf("Verified the instance against your trust configuration %s:\n"
                   "  certificate chain  ends at the policy's proxy_service_cert, a CA you trust\n"
                   "  runtime            %s, measurement %s = runtime_manager_hash_%s, trusted\n"
                   "  policy hash        %s = SHA-256 of %s\n"
                   "  certificate        valid until %s\n",
                   trust_path, ccf_runtime_platform_name(vr.platform), mhex,
                   ccf_runtime_platform_name(vr.platform), ccf_client_policy_hash(c), a.policy,
                   until);
            if (vr.has_launch)
                printf("  launch             sandbox %s, debug %s, fuel %s, execution deadline "
                       "%" PRIu64 " s%s\n",
                       vr.launch.sandbox ? "on" : "OFF", vr.launch.debug ? "ON" : "off",
                       vr.launch.fuel ? "limited" : "unlimited", vr.launch.max_exec_seconds,
                       vr.launch.max_exec_seconds ? "" : " (none)");
            if (a.expect != NULL)
                printf("  expectations       the policy grants what %s asked; the function's "
                       "programs are the known ones\n", a.expect);
        } else {
            fprintf(stderr, "Verified the instance: %s runtime %.12s..., policy hash matches, "
                            "certificate valid until %s\n",
                    ccf_runtime_platform_name(vr.platform), mhex, until);
        }
        if (vr.development_platform)
            fprintf(a.verify_only ? stdout : stderr, "WARNING: %s\n", CCF_VERIFY_DEV_NOTICE);
    }
    if (a.verify_only) {
        /* what the verified policy lets happen to the data: the programs (by hash) and rights */
        printf("\nThe instance enforces this policy:\n");
        ccf_cli_policy_show(a.policy, p, ccf_client_policy_hash(c));
        show_readers(p, own_identity(p, a.cert));
        rc = CCF_EXIT_OK;
        goto out;
    }
    if (upload_all(c, "program ", &a.programs, a.quiet) != CCF_EXIT_OK ||
        upload_all(c, "", &a.data, a.quiet) != CCF_EXIT_OK)
        goto out;
    for (size_t i = 0; i < a.computes.count; i++) {
        if (run_compute(c, a.computes.items[i], a.quiet) != CCF_EXIT_OK)
            goto out;
    }
    for (size_t i = 0; i < a.results.count; i++) {
        const char *path = pair(a.results.items[i], name, sizeof name);
        const char *file = name;
        if (is_program(p, name)) { /* the spec's usage: run it, then read `output` */
            if (run_compute(c, name, a.quiet) != CCF_EXIT_OK)
                goto out;
            file = "output";
        }
        if (!a.quiet)
            fprintf(stderr, "Reading <instance>/%s into %s\n", file, path);
        if (ccf_client_get(c, file, path, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas client: read %s: %s\n", file, err);
            goto out;
        }
    }
    if (a.shutdown) {
        if (!a.quiet)
            fprintf(stderr, "Shutting down the instance\n");
        if (ccf_client_shutdown(c, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas client: shutdown: %s\n", err);
            goto out;
        }
    }
    rc = CCF_EXIT_OK;
out:
    ccf_client_free(c);
    ccf_trust_free(trust);
    free(user_text);
    ccf_opt_args_free(&a.pos);
    ccf_opt_lists_free(opts);
    curl_global_cleanup();
    return rc;
}
