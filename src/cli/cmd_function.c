/* `ccfaas function …` and `ccfaas instance …`: the CCFaaS REST API from the
 * shell (the spec's register-function-example and user-app scripts as
 * commands), over the REST client in client/ccfaas_api.h. The service URL
 * comes from --url, else CCFAAS_URL, else http://127.0.0.1:5010. A refusal by
 * the service is printed as "ccfaas: CODE: message" with exit status 1. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "client/ccfaas_api.h"
#include "client/expect.h"
#include "client/identity.h"
#include "client/settings.h"
#include "client/trust_file.h"
#include "net/http_client.h"
#include "common/crypto.h"
#include "common/file.h"
#include "envelope/envelope.h"
#include "policy/policy.h"
#include "wasm/wasm.h"

#define DEFAULT_URL CCF_CCFAAS_API_DEFAULT_URL
#define MAX_POLICY (1024u * 1024u)
#define MAX_UPLOAD (256u * 1024u * 1024u)

static const char function_usage[] =
    "usage: ccfaas function register POLICY --program NAME=PATH... [--data-file NAME=PATH]...\n"
    "       ccfaas function list [--json]\n"
    "       ccfaas function show NAME\n"
    "       ccfaas function delete NAME\n"
    "common option: --url URL (CCFaaS; default $CCFAAS_URL, else " DEFAULT_URL ")\n"
    "\n"
    "Functions registered at CCFaaS: a program policy (docs/policy.md) and its WebAssembly\n"
    "programs and data files. Run `ccfaas function SUBCOMMAND --help` for details.\n";

static const char instance_usage[] =
    "usage: ccfaas instance create USER_POLICY [-o POLICY_OUT]\n"
    "       ccfaas instance list [--json]\n"
    "       ccfaas instance show NAME\n"
    "       ccfaas instance delete NAME\n"
    "common option: --url URL (CCFaaS; default $CCFAAS_URL, else " DEFAULT_URL ")\n"
    "\n"
    "Instances of registered functions: attested ccfaas-runtime processes started by VaaS.\n"
    "Run `ccfaas instance SUBCOMMAND --help` for details.\n";

#define URL_HELP "CCFaaS (default $CCFAAS_URL, else the config file's\nurl, else " DEFAULT_URL ")"
/* Where CCFaaS is and who we are (client/settings.h): flag, environment, config file. */
#define CONN_OPTS(a)                                                                               \
    {.name = "url", .kind = CCF_OPT_STRING, .dest = &(a).url, .value = "URL", .help = URL_HELP},  \
    {.name = "token-file", .kind = CCF_OPT_STRING, .dest = &(a).flags.token_file, .value = "FILE", \
     .nonempty = true, .help = "the bearer token to send (default $CCFAAS_TOKEN,\n"               \
                               "$CCFAAS_TOKEN_FILE, the config file's token_file)"},             \
    {.name = "ca-cert", .kind = CCF_OPT_STRING, .dest = &(a).flags.ca_cert, .value = "FILE",       \
     .nonempty = true, .help = "https: the service CA to pin (default $CCFAAS_CA_CERT)"},         \
    {.name = "client-cert", .kind = CCF_OPT_STRING, .dest = &(a).flags.client_cert,              \
     .value = "FILE", .nonempty = true,                                                            \
     .help = "https: a client certificate of the service CA\n(default $CCFAAS_CERT)"},            \
    {.name = "client-key", .kind = CCF_OPT_STRING, .dest = &(a).flags.client_key, .value = "FILE", \
     .nonempty = true, .help = "its key (default $CCFAAS_KEY)"}

/* Options and arguments of one subcommand. */
struct args {
    const char *url, *output;
    ccf_settings_flags flags; /* pointers into argv */
    char url_used[1024];      /* the URL resolved (flag, environment or config file) */
    bool json;
    ccf_opt_list programs, data;
    ccf_opt_args pos;
    ccf_ccfaas_api *api;
};

static void args_free(struct args *a, const ccf_opt *opts)
{
    ccf_opt_lists_free(opts);
    ccf_opt_args_free(&a->pos);
    ccf_ccfaas_api_free(a->api);
}

/* Parses, then resolves the URL (--url, else CCFAAS_URL, else the default)
 * into a->api. -1: go on; otherwise the exit status. */
static int parse(const ccf_opt_cmd *cmd, const ccf_opt *opts, int argc, char **argv,
                 struct args *a)
{
    char err[600];
    ccf_settings set = {0};
    int rc = ccf_opt_run(cmd, opts, argc, argv, &a->pos);
    if (rc >= 0)
        return rc;
    a->flags.url = a->url;
    if (ccf_settings_resolve(&a->flags, &set, err, sizeof err) != CCF_OK) {
        rc = ccf_opt_error(cmd, "%s", err);
        goto out;
    }
    const char *url = set.url != NULL ? set.url : DEFAULT_URL;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        rc = ccf_opt_error(cmd, "--url / CCFAAS_URL / the config file's url must start with "
                                "http:// or https://, got %s", url);
        goto out;
    }
    ccf_http_tls tls = {set.ca_cert, set.client_cert, set.client_key};
    if (ccf_http_client_set_tls(&tls) != CCF_OK ||
        ccf_ccfaas_api_new(url, &a->api, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd->cmd, err);
        rc = CCF_EXIT_FAIL;
        goto out;
    }
    ccf_ccfaas_api_set_token(a->api, set.token);
    snprintf(a->url_used, sizeof a->url_used, "%s", url);
    a->url = a->url_used;
    rc = -1;
out:
    ccf_settings_free(&set);
    return rc;
}

/* A failed call: unreachable, the service's refusal ("ccfaas: CODE:
 * message"), or an unexpected reply. */
static int failed(const char *cmd, const struct args *a, const char *err)
{
    long st = ccf_ccfaas_api_status(a->api);
    if (st == 0)
        fprintf(stderr, "ccfaas %s: cannot reach CCFaaS: %s (is `ccfaas up` running? set --url "
                        "or CCFAAS_URL)\n", cmd, err);
    else if (st >= 200 && st < 300)
        fprintf(stderr, "ccfaas %s: %s\n", cmd, err);
    else
        fprintf(stderr, "ccfaas: %s\n", err);
    return CCF_EXIT_FAIL;
}

/* --- function register ------------------------------------------------------------ */

/* A file to upload: its bytes, checked against the policy's pi_hash. */
struct upload {
    ccf_ccfaas_file_kind kind;
    const char *name; /* NAME of NAME=PATH (owned) */
    const char *path;
    char *bytes;
    size_t len;
};

/* Parses FILE's text as the `want` kind of policy, before anything is sent: on
 * failure prints one error per line with its JSON path, and when the text is
 * another kind of policy, says which and what it is for. */
static bool local_policy(const char *cmd, const char *file, const char *text, size_t len,
                         ccf_policy_kind want, ccf_policy **out)
{
    static const char *const used_by[] = {
        [CCF_POLICY_PROGRAM] = "`ccfaas function register`",
        [CCF_POLICY_USER] = "`ccfaas instance create`",
        [CCF_POLICY_VAAS] = "VaaS, POST /veracruz",
        [CCF_POLICY_FULL] = "`ccfaas client`: what an instance enforces"};
    ccf_policy_errors perr;
    ccf_policy *other = NULL;
    if (ccf_policy_parse(text, len, want, out, &perr) == CCF_OK)
        return true;
    if (ccf_policy_parse(text, len, CCF_POLICY_AUTO, &other, NULL) == CCF_OK &&
        other->kind != want && other->kind > CCF_POLICY_AUTO && other->kind <= CCF_POLICY_FULL) {
        fprintf(stderr, "ccfaas %s: %s is a %s policy (for %s), not a %s policy\n", cmd, file,
                ccf_policy_kind_name(other->kind), used_by[other->kind],
                ccf_policy_kind_name(want));
        ccf_policy_free(other);
        return false;
    }
    ccf_policy_free(other);
    fprintf(stderr, "ccfaas %s: %s is not a valid %s policy:\n", cmd, file,
            ccf_policy_kind_name(want));
    for (size_t i = 0; i < perr.count; i++)
        fprintf(stderr, "  %s: %s\n", perr.items[i].path[0] ? perr.items[i].path : "(document)",
                perr.items[i].message);
    return false;
}

static int load_upload(const char *cmd, const ccf_policy *pol, struct upload *u)
{
    char err[600] = "", hash[CCF_SHA256_HEX_LEN + 1];
    const char *want = NULL, *kind = u->kind == CCF_CCFAAS_PROGRAM ? "program" : "data_file";
    const ccf_encrypted *enc = NULL;
    bool program = u->kind == CCF_CCFAAS_PROGRAM;
    for (size_t i = 0; program && i < pol->program_count; i++)
        if (strcmp(pol->programs[i].program_file_name, u->name) == 0) {
            want = pol->programs[i].pi_hash;
            enc = &pol->programs[i].encrypted;
        }
    for (size_t i = 0; !program && i < pol->data_file_count; i++)
        if (strcmp(pol->data_files[i].data_file, u->name) == 0) {
            want = pol->data_files[i].pi_hash;
            enc = &pol->data_files[i].encrypted;
        }
    if (want == NULL) {
        fprintf(stderr, "ccfaas %s: %s: the policy has no %s of that name\n", cmd, u->name,
                program ? "program (programs[].program_file_name)" : "data file (data_files[].data_file)");
        return CCF_EXIT_FAIL;
    }
    if (ccf_file_read(u->path, MAX_UPLOAD, &u->bytes, &u->len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s %s: %s: %s\n", cmd, kind, u->name, u->path, err);
        return CCF_EXIT_FAIL;
    }
    if (!ccf_sha256_hex(u->bytes, u->len, hash)) {
        fprintf(stderr, "ccfaas %s: cannot hash %s\n", cmd, u->path);
        return CCF_EXIT_FAIL;
    }
    if (enc != NULL && enc->kbs_resource != NULL) {
        /* an envelope (or an encrypted OCI layer): its own hash, and a header naming the key
         * and plaintext */
        ccf_envelope_info info;
        if (strcasecmp(hash, enc->sha256) != 0) {
            fprintf(stderr, "ccfaas %s: %s: SHA-256 is %s but the policy's encrypted.sha256 for "
                            "%s is %s (give the envelope `ccfaas encrypt` wrote)\n",
                    cmd, u->path, hash, u->name, enc->sha256);
            return CCF_EXIT_FAIL;
        }
        if (enc->ocicrypt != NULL) /* an encrypted OCI layer: what it holds, the instance sees */
            return CCF_EXIT_OK;
        if (ccf_envelope_parse((const uint8_t *)u->bytes, u->len, &info, err, sizeof err) !=
                CCF_OK ||
            strcmp(info.kbs_resource, enc->kbs_resource) != 0 ||
            strcasecmp(info.plaintext_sha256, want) != 0) {
            fprintf(stderr, "ccfaas %s: %s: %s\n", cmd, u->path,
                    err[0] ? err : "its envelope names another key or plaintext than the policy");
            return CCF_EXIT_FAIL;
        }
        return CCF_EXIT_OK; /* the instance checks the plaintext (a module) once it opens it */
    }
    if (strcasecmp(hash, want) != 0) {
        fprintf(stderr, "ccfaas %s: %s: SHA-256 is %s but the policy's pi_hash for %s is %s\n",
                cmd, u->path, hash, u->name, want);
        return CCF_EXIT_FAIL;
    }
    if (program) { /* a program must be a valid module: instances would refuse it at run time */
        ccf_wasm_module *m = NULL;
        if (ccf_wasm_load((const uint8_t *)u->bytes, u->len, &m, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas %s: program %s: %s is not a valid WebAssembly module: %s\n",
                    cmd, u->name, u->path, err);
            return CCF_EXIT_FAIL;
        }
        ccf_wasm_module_free(m);
    }
    return CCF_EXIT_OK;
}

static int function_register(int argc, char **argv)
{
    struct args a = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "function register", .args = "POLICY", .min_args = 1, .max_args = 1,
        .about = "Registers the program policy POLICY (POST /function), then uploads each program\n"
                 "(POST /function/F/program/NAME) and data file (POST /function/F/data_file/NAME).\n"
                 "Every file is checked against its pi_hash in POLICY before anything is sent.\n"
                 "Re-runnable: when the function is already registered with the same policy, it goes on\n"
                 "with the uploads and skips programs and data files already registered.\n",
        .epilog = "Exit status: 0 registered, 1 refused or unreachable, 2 usage error.\n",
        .bare_names = true};
    const ccf_opt opts[] = {
        {.name = "program", .kind = CCF_OPT_PAIR, .dest = &a.programs, .value = "NAME=PATH", .help = "a program of POLICY (its program_file_name) and its file"},
        {.name = "data-file", .kind = CCF_OPT_PAIR, .dest = &a.data, .value = "NAME=PATH", .help = "a data file of POLICY (its data_file) and its file"},
        CONN_OPTS(a),
        {0}};
    struct upload *ups = NULL;
    size_t nups = 0;
    char *text = NULL;
    size_t len = 0;
    ccf_policy *pol = NULL;
    char err[1200];
    int rc = parse(&cmd, opts, argc, argv, &a);
    if (rc >= 0)
        goto out;
    const char *file = a.pos.items[0];
    rc = CCF_EXIT_FAIL;
    if (a.programs.count == 0) {
        rc = ccf_opt_error(&cmd, "at least one --program NAME=PATH is needed");
        goto out;
    }
    if (ccf_file_read(file, MAX_POLICY, &text, &len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s: %s\n", cmd.cmd, file, err);
        goto out;
    }
    /* validated here too: errors name their JSON path before anything is sent */
    if (!local_policy(cmd.cmd, file, text, len, CCF_POLICY_PROGRAM, &pol))
        goto out;
    size_t total = a.programs.count + a.data.count;
    if ((ups = calloc(total + 1, sizeof *ups)) == NULL)
        goto out;
    for (size_t i = 0; i < total; i++) {
        bool prog = i < a.programs.count;
        const char *v = prog ? a.programs.items[i] : a.data.items[i - a.programs.count];
        const char *eq = strchr(v, '=');
        struct upload *u = &ups[nups++];
        *u = (struct upload){.kind = prog ? CCF_CCFAAS_PROGRAM : CCF_CCFAAS_DATA_FILE,
                             .name = strndup(v, (size_t)(eq - v)), .path = eq + 1};
        if (u->name == NULL || load_upload(cmd.cmd, pol, u) != CCF_EXIT_OK)
            goto out;
    }
    printf("CCFaaS at %s: function %s\n", a.url, pol->function);
    bool existed = false;
    if (ccf_ccfaas_api_function_register(a.api, text, len, &existed, err, sizeof err) != CCF_OK) {
        failed(cmd.cmd, &a, err);
        if (ccf_ccfaas_api_status(a.api) == 409)
            fprintf(stderr, "ccfaas %s: function %s is registered with another policy (`ccfaas "
                            "function show %s`; delete it first to replace it)\n",
                    cmd.cmd, pol->function, pol->function);
        goto out;
    }
    if (existed)
        printf("function %s already registered with this policy: continuing\n", pol->function);
    else
        printf("registered function %s (policy %s)\n", pol->function, file);
    for (size_t i = 0; i < nups; i++) {
        bool skipped = false;
        const char *what = ups[i].kind == CCF_CCFAAS_PROGRAM ? "program" : "data file";
        if (ccf_ccfaas_api_file_upload(a.api, pol->function, ups[i].kind, ups[i].name, ups[i].bytes,
                                       ups[i].len, existed, &skipped, err, sizeof err) != CCF_OK) {
            failed(cmd.cmd, &a, err);
            goto out;
        }
        if (skipped)
            printf("%s %s already registered: skipped\n", what, ups[i].name);
        else
            printf("uploaded %s %s (%zu bytes)\n", what, ups[i].name, ups[i].len);
    }
    for (size_t i = 0; i < pol->program_count; i++) {
        bool given = false;
        for (size_t k = 0; k < nups; k++)
            given = given || (ups[k].kind == CCF_CCFAAS_PROGRAM &&
                              strcmp(ups[k].name, pol->programs[i].program_file_name) == 0);
        if (!given && !existed)
            printf("note: program %s was not uploaded (no --program %s=PATH): instances need it\n",
                   pol->programs[i].program_file_name, pol->programs[i].program_file_name);
    }
    rc = CCF_EXIT_OK;
out:
    for (size_t i = 0; i < nups; i++) {
        free((char *)ups[i].name);
        free(ups[i].bytes);
    }
    free(ups);
    ccf_policy_free(pol);
    free(text);
    args_free(&a, opts);
    return rc;
}

/* --- list / show / delete (functions and instances) --------------------------------- */

/* One line per item: a string as is, an object by its name member and then
 * its other scalar members. */
static void print_list(const json_t *items, const char *const *name_keys)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        if (json_is_string(it)) {
            printf("%s\n", json_string_value(it));
            continue;
        }
        const char *name = NULL, *k;
        for (size_t n = 0; name == NULL && name_keys[n] != NULL; n++)
            name = json_string_value(json_object_get(it, name_keys[n]));
        printf("%s", name ? name : "?");
        json_t *v;
        json_object_foreach((json_t *)it, k, v) {
            if (name != NULL && json_string_value(v) == name)
                continue;
            if (json_is_string(v))
                printf("  %s=%s", k, json_string_value(v));
            else if (json_is_integer(v))
                printf("  %s=%" JSON_INTEGER_FORMAT, k, json_integer_value(v));
            else if (json_is_boolean(v))
                printf("  %s=%s", k, json_is_true(v) ? "true" : "false");
        }
        printf("\n");
    }
}

static const char *const function_names[] = {"function", "name", NULL};
static const char *const instance_names[] = {"instance", "instance_id", "name", "id", NULL};

/* `function list` and `instance list`. */
static int do_list(int argc, char **argv, bool instances)
{
    struct args a = {0};
    const ccf_opt_cmd cmd = {
        .cmd = instances ? "instance list" : "function list",
        .about = instances ? "The instances CCFaaS knows (GET /instance), one per line; --json prints the reply.\n"
                           : "The registered functions (GET /function), one per line; --json prints the reply.\n",
        .bare_names = true};
    const ccf_opt opts[] = {{.name = "json", .kind = CCF_OPT_FLAG, .dest = &a.json, .help = "print the reply as JSON"},
                            CONN_OPTS(a),
                            {0}};
    ccf_ccfaas_api_reply r = {0};
    char err[1200];
    int rc = parse(&cmd, opts, argc, argv, &a);
    if (rc >= 0)
        goto out;
    ccf_err e = instances ? ccf_ccfaas_api_instance_list(a.api, &r, err, sizeof err)
                          : ccf_ccfaas_api_function_list(a.api, &r, err, sizeof err);
    if (e != CCF_OK) {
        rc = failed(cmd.cmd, &a, err);
        goto out;
    }
    if (a.json)
        printf("%s\n", r.body);
    else
        print_list(json_object_get(r.json, instances ? "instances" : "functions"),
                   instances ? instance_names : function_names);
    rc = CCF_EXIT_OK;
out:
    ccf_ccfaas_api_reply_free(&r);
    args_free(&a, opts);
    return rc;
}

enum one_op { FUNCTION_SHOW, FUNCTION_DELETE, INSTANCE_SHOW, INSTANCE_DELETE };

/* show: the function's policy as exact bytes, an instance's status as
 * pretty JSON; delete prints "deleted ...". */
static int do_one(int argc, char **argv, enum one_op op)
{
    static const char *const names[] = {"function show", "function delete", "instance show",
                                        "instance delete"};
    static const char *const abouts[] = {
        "The program policy of function NAME exactly as registered (GET /function/NAME).\n",
        ("Deletes function NAME, its programs and data files (DELETE /function/NAME); refused\n"
         "while instances of it exist.\n"),
        "The status of instance NAME, including its runtime's (GET /instance/NAME), as JSON.\n",
        "Ends instance NAME: VaaS stops its runtime, CCFaaS forgets it (DELETE /instance/NAME).\n"};
    struct args a = {0};
    const ccf_opt_cmd cmd = {.cmd = names[op], .args = "NAME", .min_args = 1, .max_args = 1,
                             .about = abouts[op], .bare_names = true};
    const ccf_opt opts[] = {CONN_OPTS(a), {0}};
    ccf_ccfaas_api_reply r = {0};
    char err[1200];
    ccf_err e = CCF_OK;
    int rc = parse(&cmd, opts, argc, argv, &a);
    if (rc >= 0)
        goto out;
    const char *name = a.pos.items[0];
    switch (op) {
    case FUNCTION_SHOW: e = ccf_ccfaas_api_function_show(a.api, name, &r, err, sizeof err); break;
    case FUNCTION_DELETE: e = ccf_ccfaas_api_function_delete(a.api, name, err, sizeof err); break;
    case INSTANCE_SHOW: e = ccf_ccfaas_api_instance_show(a.api, name, &r, err, sizeof err); break;
    case INSTANCE_DELETE: e = ccf_ccfaas_api_instance_delete(a.api, name, err, sizeof err); break;
    }
    if (e != CCF_OK) {
        rc = failed(cmd.cmd, &a, err);
        goto out;
    }
    if (op == FUNCTION_DELETE || op == INSTANCE_DELETE) {
        printf("deleted %s %s\n", op == FUNCTION_DELETE ? "function" : "instance", name);
    } else if (op == INSTANCE_SHOW) {
        char *s = r.json ? json_dumps(r.json, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        printf("%s\n", s ? s : r.body);
        free(s);
    } else {
        /* exact bytes (redirect into a file to get the registered policy back);
         * a newline is added only for a terminal */
        fwrite(r.body, 1, r.len, stdout);
        if (r.len > 0 && r.body[r.len - 1] != '\n' && isatty(STDOUT_FILENO))
            printf("\n");
    }
    rc = CCF_EXIT_OK;
out:
    ccf_ccfaas_api_reply_free(&r);
    args_free(&a, opts);
    return rc;
}

struct sub {
    const char *name;
    int (*run)(int argc, char **argv);
};

static int dispatch(int argc, char **argv, const char *cmd, const char *usage,
                    const struct sub *subs, size_t n)
{
    int rc;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            rc = subs[i].run(argc - 1, argv + 1);
            goto out;
        }
    }
    fprintf(stderr, "ccfaas %s: unknown subcommand '%s' (see `ccfaas %s --help`)\n", cmd, argv[1],
            cmd);
    rc = CCF_EXIT_USAGE;
out:
    curl_global_cleanup();
    return rc;
}

static int function_list(int argc, char **argv) { return do_list(argc, argv, false); }
static int function_show(int argc, char **argv) { return do_one(argc, argv, FUNCTION_SHOW); }
static int function_delete(int argc, char **argv) { return do_one(argc, argv, FUNCTION_DELETE); }

int ccf_cmd_function(int argc, char **argv)
{
    static const struct sub subs[] = {{"register", function_register},
                                      {"list", function_list},
                                      {"show", function_show},
                                      {"delete", function_delete}};
    return dispatch(argc, argv, "function", function_usage, subs, sizeof subs / sizeof subs[0]);
}

/* --- instance create ------------------------------------------------------------------ */

/* Writes exactly len bytes to path, via a temporary file renamed into place
 * (a reader never sees half a policy). */
static bool write_exact(const char *path, const char *data, size_t len, char *err, size_t err_size)
{
    char tmp[4096];
    int fd = -1;
    bool ok = false;
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp) {
        snprintf(err, err_size, "%s: path too long", path);
        return false;
    }
    if ((fd = mkstemp(tmp)) < 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        return false;
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, err_size, "%s: %s", path, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fchmod(fd, 0644) != 0 || close(fd) != 0) {
        fd = -1;
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (fd >= 0)
        close(fd);
    if (!ok)
        unlink(tmp);
    return ok;
}

/* What the user's own trust and expectations say of the full policy CCFaaS
 * returned (docs/trust.md): its anchors are trusted, it grants what the user
 * policy asked (plus a write-only loader), and the function's programs are
 * the known ones (or those of function_policy). The host wrote that policy:
 * nothing in it is taken on trust. */
static bool instance_acceptable(const char *cmd, const char *policy, size_t plen,
                                const char *user_text, size_t ulen, const char *trust_opt,
                                const char *fn_path)
{
    ccf_policy *full = NULL;
    ccf_trust *trust = NULL;
    char err[1200], trust_path[4096], known[4200], function[256];
    bool first = false, ok = false;
    if (ccf_policy_parse(policy, plen, CCF_POLICY_FULL, &full, NULL) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: CCFaaS returned a policy that is not a valid full policy\n",
                cmd);
        goto out;
    }
    if (ccf_trust_file_path(trust_opt, trust_path, sizeof trust_path, err, sizeof err) != CCF_OK ||
        ccf_trust_file_load(trust_path, &trust, err, sizeof err) != CCF_OK ||
        ccf_trust_check_policy(trust, full, err, sizeof err) != CCF_OK ||
        ccf_expect_check_user_text(full, user_text, ulen, fn_path, trust_path, &first, known,
                                   sizeof known, function, sizeof function, err,
                                   sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd, err);
        goto out;
    }
    if (first)
        printf("  first use of function %s: its programs are recorded in %s\n", function, known);
    ok = true;
out:
    ccf_policy_free(full);
    ccf_trust_free(trust);
    return ok;
}

static int instance_create(int argc, char **argv)
{
    struct args a = {0};
    const char *trust_opt = NULL, *fn_path = NULL;
    const ccf_opt_cmd cmd = {
        .cmd = "instance create", .args = "USER_POLICY", .min_args = 1, .max_args = 1,
        .about = "Asks CCFaaS for an instance of the function USER_POLICY names (POST /instance).\n"
                 "CCFaaS has VaaS start an attested runtime, loads the function's programs into it and\n"
                 "returns the full policy, which is written byte for byte to POLICY_OUT (default\n"
                 "INSTANCEID.policy.json): the file `ccfaas client` verifies the instance against.\n"
                 "Before writing it, the policy is checked against your trust configuration, against\n"
                 "USER_POLICY (same identities and rights, plus only a write-only loader) and against\n"
                 "the function's programs as you first saw them (docs/trust.md).\n",
        .epilog = "Next: ccfaas client POLICY_OUT --identity CERT --key KEY --data input-0=FILE ...\n",
        .bare_names = true};
    const ccf_opt opts[] = {
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &a.output, .value = "POLICY_OUT", .help = "where to write the full policy (replaced if it exists;\n- = standard output); checked before the instance is made"},
        CONN_OPTS(a),
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &trust_opt, .value = "FILE", .help = "your trust configuration (default $CCFAAS_TRUST, else\n~/.config/ccfaas/trust.json)"},
        {.name = "function-policy", .kind = CCF_OPT_STRING, .dest = &fn_path, .value = "FILE", .help = "the function's programs must be this program policy's\n(default: as first seen, in known_functions.json beside the trust file)"},
        {0}};
    char *text = NULL, *path = NULL;
    size_t len = 0, plen = 0;
    ccf_ccfaas_api_reply r = {0};
    const char *id = NULL, *policy = NULL;
    char err[1200], hash[CCF_SHA256_HEX_LEN + 1];
    int rc = parse(&cmd, opts, argc, argv, &a);
    if (rc >= 0)
        goto out;
    const char *file = a.pos.items[0];
    rc = CCF_EXIT_FAIL;
    /* where the policy goes is checked before anything is created (issue 25): an
     * instance whose policy cannot be written is one the user cannot use */
    if (a.output != NULL && !ccf_opt_output_ok("-o", a.output, err, sizeof err)) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd.cmd, err);
        goto out;
    }
    if (ccf_file_read(file, MAX_POLICY, &text, &len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s: %s\n", cmd.cmd, file, err);
        goto out;
    }
    ccf_policy *user = NULL; /* checked here, one error per line, before CCFaaS sees it */
    if (!local_policy(cmd.cmd, file, text, len, CCF_POLICY_USER, &user))
        goto out;
    ccf_policy_free(user);
    if (ccf_ccfaas_api_instance_create(a.api, text, len, &r, &id, &policy, &plen, err,
                                       sizeof err) != CCF_OK) {
        rc = failed(cmd.cmd, &a, err);
        goto out;
    }
    /* the full policy is checked before it is written where a client would use it */
    if (!instance_acceptable(cmd.cmd, policy, plen, text, len, trust_opt, fn_path)) {
        fprintf(stderr, "ccfaas %s: instance %s was created but is NOT what you asked for: do not "
                        "use it (ccfaas instance delete %s)\n", cmd.cmd, id, id);
        goto out;
    }
    if (a.output == NULL) {
        /* the id becomes a file name: only a plain one */
        if (!ccf_identity_name_ok(id)) {
            fprintf(stderr, "ccfaas %s: instance '%s' was created but its id is not a plain file "
                            "name: give -o FILE (then `ccfaas instance delete` it or retry)\n",
                    cmd.cmd, id);
            goto out;
        }
        size_t n = strlen(id) + sizeof ".policy.json";
        if ((path = malloc(n)) == NULL)
            goto out;
        snprintf(path, n, "%s.policy.json", id);
    }
    const char *dest = a.output ? a.output : path;
    bool to_stdout = strcmp(dest, "-") == 0; /* -o -: the policy bytes alone on stdout */
    if (to_stdout ? fwrite(policy, 1, plen, stdout) != plen || fflush(stdout) != 0
                  : !write_exact(dest, policy, plen, err, sizeof err)) {
        if (to_stdout)
            snprintf(err, sizeof err, "standard output: %s", strerror(errno));
        fprintf(stderr, "ccfaas %s: instance %s created, but writing its policy failed: %s\n"
                        "  It exists: delete it (ccfaas instance delete %s) and create it again.\n",
                cmd.cmd, id, err, id);
        goto out;
    }
    if (!ccf_policy_hash(policy, plen, hash))
        hash[0] = '\0';
    FILE *msg = to_stdout ? stderr : stdout;
    fprintf(msg, "created instance %s\n", id);
    fprintf(msg, "  policy: %s (policy hash %s)\n", to_stdout ? "standard output" : dest, hash);
    rc = CCF_EXIT_OK;
out:
    ccf_ccfaas_api_reply_free(&r);
    free(text);
    free(path);
    args_free(&a, opts);
    return rc;
}

static int instance_list(int argc, char **argv) { return do_list(argc, argv, true); }
static int instance_show(int argc, char **argv) { return do_one(argc, argv, INSTANCE_SHOW); }
static int instance_delete(int argc, char **argv) { return do_one(argc, argv, INSTANCE_DELETE); }

int ccf_cmd_instance(int argc, char **argv)
{
    static const struct sub subs[] = {{"create", instance_create},
                                      {"list", instance_list},
                                      {"show", instance_show},
                                      {"delete", instance_delete}};
    return dispatch(argc, argv, "instance", instance_usage, subs, sizeof subs / sizeof subs[0]);
}
