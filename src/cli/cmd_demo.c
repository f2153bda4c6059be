/* `ccfaas demo`: `ccfaas up` on a temporary directory in this process, then
 * the spec's flow as a user types it (DESIGN §1, §2, §6): each step is
 * printed as the command, and done through the libraries those commands use
 * (client/ccfaas_api.h for CCFaaS, client/identity.h; the data-plane steps
 * run `ccfaas client` itself). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/up.h"
#include "client/ccfaas_api.h"
#include "client/identity.h"
#include "common/crypto.h"
#include "common/file.h"
#include "net/auth.h"
#include "policy/policy.h"

#include <openssl/crypto.h>

#define DEMO_SLOPE 2.5
#define DEMO_INTERCEPT 1.0
#define DEMO_NOISE 0.5
#define DEMO_TOLERANCE 1e-9 /* relative: the instance prints 12 significant digits */
#define DEMO_PROGRAM_KEY "default/key/demo-program"
#define DEMO_DATA_KEY "default/key/demo-data"

/* Prints the command as a user would type it. */
static void show(const char *const *args)
{
    printf("\n$ ccfaas");
    for (int i = 0; args[i] != NULL; i++)
        printf(strpbrk(args[i], " \"'$") ? " '%s'" : " %s", args[i]);
    printf("\n");
    fflush(stdout);
}

/* Prints the command, then runs it in this process (the very code of the
 * subcommand): for the data-plane client, which has no library call that
 * prints what the command prints. */
static int run(int (*fn)(int, char **), const char *const *args)
{
    char *argv[32];
    int argc = 0;
    show(args);
    for (; args[argc] != NULL && argc < 31; argc++)
        argv[argc] = (char *)args[argc];
    argv[argc] = NULL;
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    return rc;
}

/* `ccfaas user add NAME --role ROLE --data-dir data --out NAME.token` (the
 * admin's job), then the API handle speaks as NAME, as a user would with
 * CCFAAS_TOKEN_FILE=NAME.token. */
static bool demo_caller(ccf_ccfaas_api *api, const char *name, const char *role)
{
    char file[64], tok[CCF_AUTH_TOKEN_LEN + 1], err[512];
    snprintf(file, sizeof file, "%s.token", name);
    if (access(file, F_OK) != 0 &&
        run(ccf_cmd_user, (const char *const[]){"user", "add", name, "--role", role, "--data-dir",
                                                "data", "--out", file, NULL}) != CCF_EXIT_OK)
        return false;
    if (ccf_auth_token_read(file, tok, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas demo: %s\n", err);
        return false;
    }
    printf("$ export CCFAAS_TOKEN_FILE=%s   # the %s's bearer token\n", file, role);
    ccf_ccfaas_api_set_token(api, tok);
    OPENSSL_cleanse(tok, sizeof tok);
    return true;
}

static void step(const char *title)
{
    bool tty = isatty(STDOUT_FILENO); /* bold on a terminal only: logs stay plain */
    printf("\n%s== %s%s\n", tty ? "\033[1m" : "", title, tty ? "\033[0m" : "");
}

/* The wasm: --wasm, else beside this executable (an installation), else the
 * build tree (src/cli/../../examples/linear-regression/). */
static bool find_wasm(const char *given, char *out, size_t size)
{
    if (given != NULL)
        return realpath(given, out) != NULL || (snprintf(out, size, "%s", given), false);
    char self[PATH_MAX];
    if (!ccf_cli_self_dir(self, sizeof self))
        return false;
    const char *cands[] = {"linear-regression.wasm",
                           "../../examples/linear-regression/linear-regression.wasm"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        char p[PATH_MAX + 80];
        snprintf(p, sizeof p, "%s/%s", self, cands[i]);
        if (access(p, R_OK) == 0 && realpath(p, out) != NULL)
            return true;
    }
    snprintf(out, size, "%s/../../examples/linear-regression/linear-regression.wasm", self);
    return false;
}

/* y = 2.5 x + 1.0 + noise in [-0.5, 0.5] (Park-Miller, seed 42: the same
 * data every run), written as CSV; the expected line is computed from the
 * very numbers written (read back), as the program inside does. */
static bool make_data(const char *path, long rows, double *slope, double *intercept,
                      char *err, size_t err_size)
{
    FILE *f = fopen(path, "w");
    double *x = calloc((size_t)rows, sizeof *x), *y = calloc((size_t)rows, sizeof *y);
    bool ok = false;
    if (f == NULL || x == NULL || y == NULL) {
        snprintf(err, err_size, "%s: %s", path, f == NULL ? strerror(errno) : "out of memory");
        goto out;
    }
    fprintf(f, "x,y\n");
    unsigned long long s = 42;
    for (long i = 0; i < rows; i++) {
        char line[96];
        s = (s * 16807u) % 2147483647u;
        double u = (double)s / 2147483647.0 * 2 - 1;
        double xi = (double)i / 10;
        snprintf(line, sizeof line, "%.3f,%.6f\n", xi, DEMO_SLOPE * xi + DEMO_INTERCEPT +
                                                            DEMO_NOISE * u);
        fputs(line, f);
        char *end;
        x[i] = strtod(line, &end);
        y[i] = strtod(end + 1, NULL);
    }
    if (fclose(f) != 0) {
        f = NULL;
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    f = NULL;
    /* the program's method: means, then centred sums */
    double mx = 0, my = 0, sxx = 0, sxy = 0;
    for (long i = 0; i < rows; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)rows;
    my /= (double)rows;
    for (long i = 0; i < rows; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    *slope = sxy / sxx;
    *intercept = my - *slope * mx;
    ok = true;
out:
    if (f != NULL)
        fclose(f);
    free(x);
    free(y);
    return ok;
}

static bool write_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

static bool write_text(const char *path, const char *text)
{
    return write_bytes(path, text, strlen(text));
}

/* The program policy of linear-regression.wasm (the spec's rights). */
/* The program policy; with envelope hashes (encrypted demo) the program is
 * declared encrypted and the data set is the function's data file input-0,
 * encrypted too. */
static char *program_policy(const char *strategy, const char *wasm_hash, const char *wasm_env,
                            const char *data_hash, const char *data_env)
{
    json_t *p = json_pack("{s:s, s:s, s:[{s:I, s:s, s:s, s:[{s:s, s:I}, {s:s, s:I}]}]}",
                          "function", "linear-regression", "execution_strategy", strategy,
                          "programs", "id", (json_int_t)0, "pi_hash", wasm_hash,
                          "program_file_name", "linear-regression.wasm", "file_rights",
                          "file_name", "input-0", "rights", (json_int_t)8198, "file_name",
                          "output", "rights", (json_int_t)533572);
    if (p != NULL && wasm_env != NULL) {
        json_object_set_new(json_array_get(json_object_get(p, "programs"), 0), "encrypted",
                            json_pack("{s:s, s:s}", "kbs_resource", DEMO_PROGRAM_KEY, "sha256",
                                      wasm_env));
        json_object_set_new(p, "data_files",
                            json_pack("[{s:s, s:s, s:{s:s, s:s}}]", "data_file", "input-0",
                                      "pi_hash", data_hash, "encrypted", "kbs_resource",
                                      DEMO_DATA_KEY, "sha256", data_env));
    }
    char *s = p ? json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(p);
    return s;
}

/* The user policy: the data owner writes input-0, the result reader reads
 * output (and so may run the program). `display` puts file names in place of
 * the certificates. */
static char *user_policy(const char *id, const char *owner_pem, const char *reader_pem,
                         bool display)
{
    json_t *p = json_pack(
        "{s:s, s:s, s:[{s:s, s:[{s:s, s:I}]}, {s:s, s:[{s:s, s:I}]}]}", "function",
        "linear-regression", "instanceid", id, "identities", "certificate",
        display ? "<data-owner.crt>" : owner_pem, "file_rights", "file_name", "input-0", "rights",
        (json_int_t)533572, "certificate", display ? "<result-reader.crt>" : reader_pem,
        "file_rights", "file_name", "output", "rights", (json_int_t)8198);
    char *s = p ? json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(p);
    return s;
}

/* A range of `count` instance ports that are free now, at a random place
 * (no clash with a `ccfaas up` already running on the defaults). */
static bool free_port_range(const char *host, long count, long *first)
{
    struct in_addr ia;
    if (inet_pton(AF_INET, host, &ia) != 1)
        return false;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    for (int attempt = 0; attempt < 50; attempt++) {
        long base = 20000 + rand() % 40000;
        bool ok = true;
        for (long p = base; ok && p < base + count; p++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p),
                                     .sin_addr = ia};
            ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
            if (fd >= 0)
                close(fd);
        }
        if (ok) {
            *first = base;
            return true;
        }
    }
    return false;
}

static bool near(double got, double want)
{
    return fabs(got - want) <= DEMO_TOLERANCE * fmax(1.0, fabs(want));
}

struct demo_opts {
    long rows;
    const char *wasm, *strategy;
    bool keep, no_sandbox, encrypted;
};

/* -1 when parsed (go on), otherwise the exit status. */
static int parse_demo(int argc, char **argv, struct demo_opts *d)
{
    const ccf_opt_cmd cmd = {
        .cmd = "demo",
        .about = "The spec's example end to end on this machine: starts `ccfaas up` (in this process,\n"
                 "free ports, a temporary data directory), then as a user would: registers the\n"
                 "linear-regression function, makes the user's identities, creates an instance,\n"
                 "uploads a generated data set as input-0, computes, reads `output`, compares the\n"
                 "coefficients with the ones computed here natively, deletes the instance and stops.\n",
        .epilog = "Exit status: 0 only when the instance's coefficients match the expected ones.\n"};
    const ccf_opt opts[] = {
        {.name = "rows", .kind = CCF_OPT_NUM, .dest = &d->rows, .value = "N",
         .help = "points in the data set (default 1000; y = 2.5x + 1.0 + noise)", .min = 2,
         .max = 10000000},
        {.name = "wasm", .kind = CCF_OPT_STRING, .dest = &d->wasm, .value = "PATH",
         .help = "linear-regression.wasm (default: beside ccfaas, else the build tree)"},
        {.name = "encrypted", .kind = CCF_OPT_FLAG, .dest = &d->encrypted,
         .help = "the program and the data set travel encrypted: their keys only in\n"
                 "the key broker, which releases them to the attested instance\n"
                 "(docs/kbs.md)"},
        {.name = "strategy", .kind = CCF_OPT_STRING, .dest = &d->strategy, .value = "S",
         .help = "the function's execution_strategy: Interpretation (default) or JIT\n"
                 "(compiled to native code in the instance; docs/wasm.md)", .nonempty = true},
        {.name = "keep", .kind = CCF_OPT_FLAG, .dest = &d->keep,
         .help = "keep the temporary directory (policies, identities, data, result)"},
        {.name = "no-sandbox", .kind = CCF_OPT_FLAG, .dest = &d->no_sandbox,
         .help = "instances without bubblewrap (also chosen, with a note, when\n"
                 "bubblewrap cannot make a sandbox here, e.g. in a container)"},
        {0}};
    return ccf_opt_run(&cmd, opts, argc, argv, NULL);
}

/* A CCFaaS call failed: its refusal or why it could not be reached. */
static void api_failed(const ccf_ccfaas_api *api, const char *what, const char *err)
{
    if (ccf_ccfaas_api_status(api) == 0)
        fprintf(stderr, "ccfaas %s: cannot reach CCFaaS: %s\n", what, err);
    else
        fprintf(stderr, "ccfaas: %s\n", err);
}

/* `ccfaas function register POLICY --program NAME=WASM [--data-file input-0=CSV]`
 * and `function list`. */
static bool demo_register(ccf_ccfaas_api *api, const char *ppol, const char *wasm_path,
                          const char *wbytes, size_t wlen, const char *csv, const char *dbytes,
                          size_t dlen)
{
    char err[1200];
    bool existed = false, skipped = false;
    ccf_ccfaas_api_reply r = {0};
    char arg[PATH_MAX + 128], darg[128];
    snprintf(arg, sizeof arg, "linear-regression.wasm=%s", wasm_path);
    if (csv != NULL) {
        snprintf(darg, sizeof darg, "input-0=%s.enc", csv);
        show((const char *const[]){"function", "register", "linear-regression.json", "--program",
                                   arg, "--data-file", darg, NULL});
    } else {
        show((const char *const[]){"function", "register", "linear-regression.json", "--program",
                                   arg, NULL});
    }
    printf("CCFaaS at %s: function linear-regression\n", ccf_ccfaas_api_url(api));
    if (ccf_ccfaas_api_function_register(api, ppol, strlen(ppol), &existed, err, sizeof err) !=
        CCF_OK) {
        api_failed(api, "function register", err);
        return false;
    }
    printf("registered function linear-regression (policy linear-regression.json)\n");
    if (ccf_ccfaas_api_file_upload(api, "linear-regression", CCF_CCFAAS_PROGRAM,
                                   "linear-regression.wasm", wbytes, wlen, existed, &skipped, err,
                                   sizeof err) != CCF_OK) {
        api_failed(api, "function register", err);
        return false;
    }
    printf("uploaded program linear-regression.wasm (%zu bytes)\n", wlen);
    if (csv != NULL) {
        if (ccf_ccfaas_api_file_upload(api, "linear-regression", CCF_CCFAAS_DATA_FILE, "input-0",
                                       dbytes, dlen, existed, &skipped, err, sizeof err) !=
            CCF_OK) {
            api_failed(api, "function register", err);
            return false;
        }
        printf("uploaded data file input-0 (%zu bytes)\n", dlen);
    }
    show((const char *const[]){"function", "list", NULL});
    if (ccf_ccfaas_api_function_list(api, &r, err, sizeof err) != CCF_OK) {
        api_failed(api, "function list", err);
        return false;
    }
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r.json, "functions"), i, it) {
        const char *name = json_is_string(it) ? json_string_value(it)
                                              : json_string_value(json_object_get(it, "function"));
        printf("%s\n", name ? name : "?");
    }
    ccf_ccfaas_api_reply_free(&r);
    return true;
}

/* `ccfaas identity new NAME`. */
static bool demo_identity(const char *name)
{
    char crt[4096], key[4096], fp[65], err[512];
    show((const char *const[]){"identity", "new", name, NULL});
    if (ccf_identity_new(".", name, CCF_IDENTITY_DEFAULT_DAYS, crt, key, sizeof crt, fp, err,
                         sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas identity new: %s\n", err);
        return false;
    }
    printf("certificate: %s (valid %d days)\nprivate key: %s (mode 0600; keep it secret)\n"
           "sha256 fingerprint: %s\n", crt, CCF_IDENTITY_DEFAULT_DAYS, key, fp);
    return true;
}

/* `ccfaas instance create user-policy.json -o instance-policy.json`. */
static bool demo_create(ccf_ccfaas_api *api, const char *upol, char *id, size_t id_size)
{
    char err[1200], hash[CCF_SHA256_HEX_LEN + 1];
    ccf_ccfaas_api_reply r = {0};
    const char *iid = NULL, *policy = NULL;
    size_t plen = 0;
    bool ok = false;
    show((const char *const[]){"instance", "create", "user-policy.json", "-o",
                               "instance-policy.json", NULL});
    if (ccf_ccfaas_api_instance_create(api, upol, strlen(upol), &r, &iid, &policy, &plen, err,
                                       sizeof err) != CCF_OK) {
        api_failed(api, "instance create", err);
        goto out;
    }
    snprintf(id, id_size, "%s", iid);
    if (!write_bytes("instance-policy.json", policy, plen)) {
        fprintf(stderr, "ccfaas instance create: instance %s created, but writing its policy "
                        "failed: %s\n", iid, strerror(errno));
        goto out;
    }
    if (!ccf_policy_hash(policy, plen, hash))
        hash[0] = '\0';
    printf("created instance %s\n  policy: instance-policy.json (policy hash %s)\n", iid, hash);
    ok = true;
out:
    ccf_ccfaas_api_reply_free(&r);
    return ok;
}

/* `ccfaas instance delete ID`. */
static bool demo_delete(ccf_ccfaas_api *api, const char *id)
{
    char err[1200];
    show((const char *const[]){"instance", "delete", id, NULL});
    if (ccf_ccfaas_api_instance_delete(api, id, err, sizeof err) != CCF_OK) {
        api_failed(api, "instance delete", err);
        return false;
    }
    printf("deleted instance %s\n", id);
    return true;
}

/* The encrypted demo's step 2 as commands: `ccfaas encrypt` the program and
 * the data set (new keys), `ccfaas kbs put` both keys, `ccfaas kbs policy`
 * a rule for this platform's runtime. The envelopes' bytes into env/len. */
static bool demo_encrypt(const struct up *u, const char *wasm, const char *csv, char *env[2],
                         size_t len[2], char *err, size_t err_size)
{
    char enc_csv[64], rt[PATH_MAX], mhex[CCF_SHA256_HEX_LEN + 1];
    uint8_t m[CCF_SHA256_LEN];
    snprintf(enc_csv, sizeof enc_csv, "%s.enc", csv);
    if (!ccf_cli_default_runtime(rt, sizeof rt, m))
        return snprintf(err, err_size, "ccfaas-runtime not found"), false;
    ccf_hex_encode(m, sizeof m, mhex);
    char rules[512];
    snprintf(rules, sizeof rules,
             "{\"version\": 1, \"rules\": [{\"resources\": [\"%s\", \"%s\"], \"allow\": "
             "[{\"platform\": [\"linux\"], \"measurement\": [\"%s\"]}]}]}\n",
             DEMO_PROGRAM_KEY, DEMO_DATA_KEY, mhex);
    if (!write_text("kbs-rules.json", rules))
        return snprintf(err, err_size, "cannot write kbs-rules.json"), false;
    printf("kbs-rules.json (the runtime's measurement %s):\n%s", mhex, rules);
    if (run(ccf_cmd_encrypt, (const char *const[]){"encrypt", wasm, "--kbs-resource",
                                                   DEMO_PROGRAM_KEY, "--new-key", "program.key",
                                                   "-o", "linear-regression.wasm.enc", NULL}) ||
        run(ccf_cmd_encrypt, (const char *const[]){"encrypt", csv, "--kbs-resource",
                                                   DEMO_DATA_KEY, "--new-key", "data.key", "-o",
                                                   enc_csv, NULL}) ||
        run(ccf_cmd_kbs, (const char *const[]){"kbs", "put", DEMO_PROGRAM_KEY, "program.key",
                                               "--url", u->kbs_url, "--data-dir", "data", NULL}) ||
        run(ccf_cmd_kbs, (const char *const[]){"kbs", "put", DEMO_DATA_KEY, "data.key", "--url",
                                               u->kbs_url, "--data-dir", "data", NULL}) ||
        run(ccf_cmd_kbs, (const char *const[]){"kbs", "policy", "kbs-rules.json", "--url",
                                               u->kbs_url, "--data-dir", "data", NULL}))
        return snprintf(err, err_size, "the key broker steps failed (above)"), false;
    if (ccf_file_read("linear-regression.wasm.enc", 256u << 20, &env[0], &len[0], err,
                      err_size) != CCF_OK ||
        ccf_file_read(enc_csv, 1u << 30, &env[1], &len[1], err, err_size) != CCF_OK)
        return false;
    return true;
}

int ccf_cmd_demo(int argc, char **argv)
{
    struct demo_opts d = {.rows = 1000, .strategy = "Interpretation"};
    struct up_opts o;
    struct up u;
    ccf_ccfaas_api *api = NULL;
    bool up_running = false, made_dir = false;
    char dir[] = "/tmp/ccfaas-demo-XXXXXX", data_dir[sizeof dir + 8];
    char wasm[PATH_MAX + 80], err[1024], hash[CCF_SHA256_HEX_LEN + 1], id[256] = "";
    char *wbytes = NULL, *ppol = NULL, *upol = NULL, *shown = NULL, *owner = NULL, *reader = NULL;
    char *result = NULL, *ebytes[2] = {NULL, NULL};
    size_t wlen = 0, n = 0, elen[2] = {0, 0};
    json_t *res = NULL;
    double slope = 0, intercept = 0;
    int rc = parse_demo(argc, argv, &d);
    if (rc >= 0)
        return rc;
    if (strcmp(d.strategy, "Interpretation") != 0 && strcmp(d.strategy, "JIT") != 0) {
        fprintf(stderr, "ccfaas demo: --strategy: expected Interpretation or JIT, got '%s'\n", d.strategy);
        return CCF_EXIT_USAGE;
    }
    rc = CCF_EXIT_FAIL;
    if (!find_wasm(d.wasm, wasm, sizeof wasm)) {
        fprintf(stderr, "ccfaas demo: %s not found (build it: `make build` with clang and "
                        "wasi-libc installed, or give --wasm PATH)\n", wasm);
        return CCF_EXIT_FAIL;
    }
    if (ccf_file_read(wasm, 256u << 20, &wbytes, &wlen, err, sizeof err) != CCF_OK ||
        !ccf_sha256_hex(wbytes, wlen, hash)) {
        fprintf(stderr, "ccfaas demo: %s: %s\n", wasm, err);
        goto out;
    }
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "ccfaas demo: temporary directory %s: %s\n", dir, strerror(errno));
        goto out;
    }
    made_dir = true;
    if (chdir(dir) != 0) {
        fprintf(stderr, "ccfaas demo: %s: %s\n", dir, strerror(errno));
        goto out;
    }
    snprintf(data_dir, sizeof data_dir, "%s/data", dir);
    curl_global_init(CURL_GLOBAL_DEFAULT); /* before the service threads */

    printf("ccfaas demo: the spec's linear-regression function end to end, on this machine.\n"
           "Working directory %s (the commands below run there).\n", dir);
    step("1. Start the services: ccfaas up (proxy attestation, VaaS, CCFaaS) on free ports");
    ccf_cli_up_defaults(&o);
    o.data_dir = data_dir;
    o.quiet = true;
    o.no_sandbox = d.no_sandbox;
    o.port[SVC_PROXY] = o.port[SVC_VAAS] = o.port[SVC_CCFAAS] = o.kbs_port = o.workorder_port = 0;
    if (!free_port_range(o.host, 10, &o.first)) {
        fprintf(stderr, "ccfaas demo: no 10 free ports found for instances\n");
        goto out;
    }
    o.last = o.first + 9;
    printf("$ ccfaas up --data-dir data --proxy-port 0 --vaas-port 0 --ccfaas-port 0 "
           "--instance-ports %ld-%ld%s\n", o.first, o.last, o.no_sandbox ? " --no-sandbox" : "");
    ccf_err urc = ccf_cli_up_start(&o, &u, true, err, sizeof err);
    if (urc == CCF_ERR_UNSUPPORTED && !o.no_sandbox) {
        /* containers often forbid user namespaces: the demo still shows the flow */
        printf("note: %s\nnote: the demo goes on with --no-sandbox (development only)\n", err);
        o.no_sandbox = true;
        urc = ccf_cli_up_start(&o, &u, true, err, sizeof err);
    }
    if (urc != CCF_OK) {
        fprintf(stderr, "ccfaas demo: ccfaas up: %s\n", err);
        goto out;
    }
    up_running = true;
    ccf_cli_up_print_urls(&o, &u, "  ");
    if (ccf_ccfaas_api_new(u.url[SVC_CCFAAS], &api, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas demo: %s\n", err);
        goto out;
    }
    printf("$ export CCFAAS_URL=%s\n", u.url[SVC_CCFAAS]);

    char csv[32];
    snprintf(csv, sizeof csv, "data-%ld.csv", d.rows);
    if (d.encrypted) {
        step("2. The operator encrypts the program and the data set; their keys go to the key "
             "broker,\n   with a rule that releases them only to this platform's attested "
             "runtime");
        if (!make_data(csv, d.rows, &slope, &intercept, err, sizeof err) ||
            !demo_encrypt(&u, wasm, csv, ebytes, elen, err, sizeof err)) {
            fprintf(stderr, "ccfaas demo: %s\n", err);
            goto out;
        }
        printf("%s: %ld points on y = %.1f x + %.1f with noise in [-%.1f, %.1f]\n", csv, d.rows,
               DEMO_SLOPE, DEMO_INTERCEPT, DEMO_NOISE, DEMO_NOISE);
    } else {
        step("2. The operator registers the function: program policy + program");
    }
    if (!demo_caller(api, "operator", "operator"))
        goto out;
    char ehash[2][CCF_SHA256_HEX_LEN + 1], dhash[CCF_SHA256_HEX_LEN + 1], *dbytes = NULL;
    size_t dlen = 0;
    if (d.encrypted &&
        (!ccf_sha256_hex(ebytes[0], elen[0], ehash[0]) ||
         !ccf_sha256_hex(ebytes[1], elen[1], ehash[1]) ||
         ccf_file_read(csv, 1u << 30, &dbytes, &dlen, err, sizeof err) != CCF_OK ||
         !ccf_sha256_hex(dbytes, dlen, dhash))) {
        free(dbytes);
        fprintf(stderr, "ccfaas demo: cannot hash the envelopes: %s\n", err);
        goto out;
    }
    free(dbytes);
    ppol = d.encrypted ? program_policy(d.strategy, hash, ehash[0], dhash, ehash[1])
                       : program_policy(d.strategy, hash, NULL, NULL, NULL);
    if (ppol == NULL || !write_text("linear-regression.json", ppol)) {
        fprintf(stderr, "ccfaas demo: cannot write linear-regression.json\n");
        goto out;
    }
    printf("linear-regression.json (pi_hash = SHA-256 of %s%s):\n%s\n", wasm,
           d.encrypted ? "; encrypted.sha256 = SHA-256 of each envelope" : "", ppol);
    if (d.encrypted ? !demo_register(api, ppol, "linear-regression.wasm.enc", ebytes[0], elen[0],
                                     csv, ebytes[1], elen[1])
                    : !demo_register(api, ppol, wasm, wbytes, wlen, NULL, NULL, 0))
        goto out;

    step("3. The user makes two identities: the data owner and the result reader");
    if (!demo_identity("data-owner") || !demo_identity("result-reader"))
        goto out;

    step("4. The user asks CCFaaS for an instance: a user policy naming who may do what");
    if (!demo_caller(api, "user", "user"))
        goto out;
    char uid[32];
    snprintf(uid, sizeof uid, "demo-%08x", (unsigned)rand());
    if (ccf_file_read("data-owner.crt", 65536, &owner, &n, err, sizeof err) != CCF_OK ||
        ccf_file_read("result-reader.crt", 65536, &reader, &n, err, sizeof err) != CCF_OK ||
        (upol = user_policy(uid, owner, reader, false)) == NULL ||
        (shown = user_policy(uid, owner, reader, true)) == NULL ||
        !write_text("user-policy.json", upol)) {
        fprintf(stderr, "ccfaas demo: cannot write user-policy.json: %s\n", err);
        goto out;
    }
    printf("user-policy.json (certificates shown by file name):\n%s\n", shown);
    if (!demo_create(api, upol, id, sizeof id))
        goto out;
    printf("CCFaaS had VaaS start an attested ccfaas-runtime and loaded the program into it;\n"
           "instance-policy.json is the full policy (the bytes the client verifies against).\n");

    if (d.encrypted) {
        step("5. The data set is the function's encrypted input-0: the instance fetched both "
             "keys\n   from the key broker after its attestation and opened the envelopes "
             "inside");
        printf("(CCFaaS and VaaS only ever held the envelopes; nothing for the data owner to "
               "upload)\n");
    } else {
        step("5. The data owner verifies the instance, then uploads the data set as input-0");
        if (!make_data(csv, d.rows, &slope, &intercept, err, sizeof err)) {
            fprintf(stderr, "ccfaas demo: %s\n", err);
            goto out;
        }
        printf("%s: %ld points on y = %.1f x + %.1f with noise in [-%.1f, %.1f]\n", csv, d.rows,
               DEMO_SLOPE, DEMO_INTERCEPT, DEMO_NOISE, DEMO_NOISE);
        char data_arg[64];
        snprintf(data_arg, sizeof data_arg, "input-0=%s", csv);
        /* the client trusts what `up` wrote for this host (data/trust.json), not the policy;
         * the data owner also checks the policy grants what user-policy.json asked */
        if (run(ccf_cmd_client,
                (const char *const[]){"client", "instance-policy.json", "--identity",
                                      "data-owner.crt", "--key", "data-owner.key", "--trust",
                                      "data/trust.json", "--expect", "user-policy.json",
                                      "--data", data_arg, NULL}) != 0)
            goto out;
    }

    step("6. The result reader runs the function and reads `output`");
    if (run(ccf_cmd_client, (const char *const[]){"client", "instance-policy.json", "--identity",
                                                  "result-reader.crt", "--key",
                                                  "result-reader.key", "--trust",
                                                  "data/trust.json", "--result",
                                                  "linear-regression.wasm=result.json",
                                                  NULL}) != 0)
        goto out;
    if (ccf_file_read("result.json", 65536, &result, &n, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas demo: result.json: %s\n", err);
        goto out;
    }
    printf("result.json: %s", result);
    json_error_t jerr;
    res = json_loads(result, 0, &jerr);
    json_t *js = json_object_get(res, "slope"), *ji = json_object_get(res, "intercept");
    json_t *jn = json_object_get(res, "n");
    if (!json_is_number(js) || !json_is_number(ji) || !json_is_integer(jn)) {
        fprintf(stderr, "ccfaas demo: result.json is not {\"n\",\"slope\",\"intercept\",...}\n");
        goto out;
    }
    double gs = json_number_value(js), gi = json_number_value(ji);
    bool ok = near(gs, slope) && near(gi, intercept) && json_integer_value(jn) == d.rows;
    printf("\n               %-20s %-20s %s\n", "instance", "expected (native)", "line the data "
                                                                                 "was made from");
    printf("  slope        %-20.12g %-20.12g %.1f\n", gs, slope, DEMO_SLOPE);
    printf("  intercept    %-20.12g %-20.12g %.1f\n", gi, intercept, DEMO_INTERCEPT);
    printf("  points       %-20" JSON_INTEGER_FORMAT " %-20ld\n", json_integer_value(jn), d.rows);
    printf("  %s\n", ok ? "MATCH: the instance computed the expected coefficients"
                        : "MISMATCH: the instance's coefficients differ from the expected ones");

    step("7. The instance is deleted, the services stop");
    bool deleted = demo_delete(api, id);
    id[0] = '\0';
    rc = ok && deleted ? CCF_EXIT_OK : CCF_EXIT_FAIL;
out:
    if (id[0] != '\0') /* a failure after creation: do not leave the runtime behind */
        (void)demo_delete(api, id);
    ccf_ccfaas_api_free(api);
    if (up_running) {
        printf("(ccfaas up stops: its servers, then every instance VaaS still runs)\n");
        ccf_cli_up_stop(&u);
        printf("ccfaas up: stopped\n");
    }
    curl_global_cleanup();
    if (made_dir) {
        if (d.keep || rc != CCF_EXIT_OK)
            printf("\nkept %s (policies, identities, data, result; services' data in data/)\n",
                   dir);
        else
            ccf_cli_remove_tree(dir);
    }
    printf("\nccfaas demo: %s\n", rc == CCF_EXIT_OK ? "OK" : "FAILED");
    json_decref(res);
    free(wbytes);
    free(ppol);
    free(upol);
    free(shown);
    free(owner);
    free(reader);
    free(result);
    free(ebytes[0]);
    free(ebytes[1]);
    return rc;
}
