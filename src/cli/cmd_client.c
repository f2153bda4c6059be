/* `ccfaas client`: the data owner's and result reader's tool (veracruz-client
 * flags). Verifies the instance before sending anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli/commands.h"
#include "client/client.h"

static const char client_usage[] =
    "usage: ccfaas client POLICY --identity CERT --key KEY [--program NAME=PATH]...\n"
    "                     [--data NAME=PATH]... [--compute PROGRAM]... [--result NAME=PATH]...\n"
    "                     [--shutdown | --no-shutdown] [--quiet]\n"
    "       ccfaas client verify POLICY --identity CERT --key KEY\n"
    "\n"
    "Talks to the instance of a full POLICY (at its veracruz_server_url) as one identity.\n"
    "Before sending anything it verifies the instance: certificate chain to the policy's\n"
    "proxy_service_cert, runtime measurement = runtime_manager_hash_*, policy hash =\n"
    "SHA-256 of POLICY, certificate unexpired. Then, in this order:\n"
    "  --program NAME=PATH   upload a program (must hash to its pi_hash)\n"
    "  --data NAME=PATH      upload a data file (PATH - = stdin)\n"
    "  --compute PROGRAM     execute a program\n"
    "  --result NAME=PATH    save file NAME to PATH (- = stdout); when NAME is a program\n"
    "                        of the policy: execute it, then save its `output`\n"
    "  --shutdown            end the instance afterwards (default: --no-shutdown)\n"
    "  --quiet               no progress messages\n"
    "  --url URL             connect here instead of the policy's veracruz_server_url\n"
    "Exit status: 0 success, 1 a check, transfer or computation failed, 2 usage error.\n";

struct pair {
    const char *name, *path;
};

struct client_args {
    const char *policy, *cert, *key, *url;
    struct pair *programs, *data, *results;
    const char **computes;
    size_t nprograms, ndata, nresults, ncomputes;
    bool shutdown, quiet, verify_only;
};

static int usage_error(const char *msg, const char *arg)
{
    fprintf(stderr, "ccfaas client: %s%s (see `ccfaas client --help`)\n", msg, arg);
    return CCF_EXIT_USAGE;
}

static int parse_pair(const char *flag, const char *v, struct pair *out)
{
    const char *eq = strchr(v, '=');
    if (eq == NULL || eq == v || eq[1] == '\0')
        return usage_error("needs NAME=PATH: ", flag);
    out->name = strndup(v, (size_t)(eq - v));
    out->path = eq + 1;
    return out->name ? -1 : CCF_EXIT_FAIL;
}

static int parse_args(int argc, char **argv, struct client_args *a)
{
    int rc;
    memset(a, 0, sizeof *a);
    a->programs = calloc((size_t)argc, sizeof *a->programs);
    a->data = calloc((size_t)argc, sizeof *a->data);
    a->results = calloc((size_t)argc, sizeof *a->results);
    a->computes = calloc((size_t)argc, sizeof *a->computes);
    if (!a->programs || !a->data || !a->results || !a->computes)
        return CCF_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(client_usage, stdout);
            return CCF_EXIT_OK;
        } else if (strcmp(s, "verify") == 0 && a->policy == NULL && !a->verify_only) {
            a->verify_only = true; /* the subcommand: the first word that is not an option */
        } else if (strcmp(s, "--shutdown") == 0) {
            a->shutdown = true;
        } else if (strcmp(s, "--no-shutdown") == 0) {
            a->shutdown = false;
        } else if (strcmp(s, "--quiet") == 0 || strcmp(s, "-q") == 0) {
            a->quiet = true;
        } else if (s[0] != '-') {
            if (a->policy != NULL)
                return usage_error("more than one POLICY: ", s);
            a->policy = s;
        } else if (v == NULL) {
            return usage_error("a value is missing after ", s);
        } else {
            i++;
            if (strcmp(s, "--identity") == 0)
                a->cert = v;
            else if (strcmp(s, "--key") == 0)
                a->key = v;
            else if (strcmp(s, "--url") == 0)
                a->url = v;
            else if (strcmp(s, "--program") == 0) {
                if ((rc = parse_pair(s, v, &a->programs[a->nprograms++])) >= 0)
                    return rc;
            } else if (strcmp(s, "--data") == 0) {
                if ((rc = parse_pair(s, v, &a->data[a->ndata++])) >= 0)
                    return rc;
            } else if (strcmp(s, "--result") == 0) {
                if ((rc = parse_pair(s, v, &a->results[a->nresults++])) >= 0)
                    return rc;
            } else if (strcmp(s, "--compute") == 0) {
                a->computes[a->ncomputes++] = v;
            } else {
                return usage_error("unknown option ", s);
            }
        }
    }
    if (a->policy == NULL)
        return usage_error("no POLICY given", "");
    if (a->cert == NULL || a->key == NULL)
        return usage_error("--identity CERT and --key KEY are required", "");
    return -1;
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

static int upload_all(ccf_client *c, const char *what, const struct pair *files, size_t n,
                      bool quiet)
{
    char err[600];
    for (size_t i = 0; i < n; i++) {
        if (!quiet)
            fprintf(stderr, "Uploading %s%s from %s\n", what, files[i].name, files[i].path);
        if (ccf_client_put(c, files[i].name, files[i].path, false, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas client: upload %s: %s\n", files[i].name, err);
            return CCF_EXIT_FAIL;
        }
    }
    return CCF_EXIT_OK;
}

int ccf_cmd_client(int argc, char **argv)
{
    struct client_args a;
    ccf_client *c = NULL;
    ccf_verify_result vr;
    char err[600];
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ccf_client_config cfg = {.policy_path = a.policy, .cert_path = a.cert, .key_path = a.key,
                             .url = a.url, .progress = !a.quiet && isatty(STDERR_FILENO)};
    if (ccf_client_open(&cfg, &c, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas client: %s\n", err);
        goto out;
    }
    const ccf_policy *p = ccf_client_policy(c);
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
        if (a.verify_only)
            printf("Verified the instance:\n"
                   "  certificate chain  ends at the policy's proxy_service_cert\n"
                   "  runtime            %s, measurement %s = runtime_manager_hash_%s\n"
                   "  policy hash        %s = SHA-256 of %s\n"
                   "  certificate        valid until %s\n",
                   ccf_runtime_platform_name(vr.platform), mhex,
                   ccf_runtime_platform_name(vr.platform), ccf_client_policy_hash(c), a.policy,
                   until);
        else
            fprintf(stderr, "Verified the instance: %s runtime %.12s..., policy hash matches, "
                            "certificate valid until %s\n",
                    ccf_runtime_platform_name(vr.platform), mhex, until);
        if (vr.development_platform)
            fprintf(a.verify_only ? stdout : stderr, "WARNING: %s\n", CCF_VERIFY_DEV_NOTICE);
    }
    if (a.verify_only) {
        /* what the verified policy lets happen to the data: the programs (by hash) and rights */
        printf("\nThe instance enforces this policy:\n");
        ccf_cli_policy_show(a.policy, p, ccf_client_policy_hash(c));
        rc = CCF_EXIT_OK;
        goto out;
    }
    if (upload_all(c, "program ", a.programs, a.nprograms, a.quiet) != CCF_EXIT_OK ||
        upload_all(c, "", a.data, a.ndata, a.quiet) != CCF_EXIT_OK)
        goto out;
    for (size_t i = 0; i < a.ncomputes; i++) {
        if (run_compute(c, a.computes[i], a.quiet) != CCF_EXIT_OK)
            goto out;
    }
    for (size_t i = 0; i < a.nresults; i++) {
        const char *name = a.results[i].name;
        if (is_program(p, name)) { /* the spec's usage: run it, then read `output` */
            if (run_compute(c, name, a.quiet) != CCF_EXIT_OK)
                goto out;
            name = "output";
        }
        if (!a.quiet)
            fprintf(stderr, "Reading <instance>/%s into %s\n", name, a.results[i].path);
        if (ccf_client_get(c, name, a.results[i].path, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas client: read %s: %s\n", name, err);
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
    for (size_t i = 0; i < a.nprograms; i++)
        free((char *)a.programs[i].name);
    for (size_t i = 0; i < a.ndata; i++)
        free((char *)a.data[i].name);
    for (size_t i = 0; i < a.nresults; i++)
        free((char *)a.results[i].name);
    free(a.programs);
    free(a.data);
    free(a.results);
    free(a.computes);
    curl_global_cleanup();
    return rc;
}
