/* `ccfaas up`: the proxy attestation service, VaaS and CCFaaS in one process
 * (three HTTP servers on their own threads), and `ccfaas demo`: `up` on a
 * temporary directory, then the spec's flow as a user types it (DESIGN §1,
 * §2, §6). */
#define _XOPEN_SOURCE 700 /* nftw */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "attest/evidence.h"
#include "proxy/proxy.h"
#include "ccfaas/ccfaas.h"
#include "cli/commands.h"
#include "common/crypto.h"
#include "common/file.h"
#include "common/http_server.h"
#include "vaas/vaas.h"

static const char up_usage[] =
    "usage: ccfaas up [--data-dir DIR] [--host H] [--proxy-port N] [--vaas-port N]\n"
    "                 [--ccfaas-port N] [--instance-ports FIRST-LAST] [--no-sandbox]\n"
    "                 [--quiet] [--list-routes]\n"
    "\n"
    "Runs the proxy attestation service, VaaS and CCFaaS in one process until Ctrl-C\n"
    "(SIGINT) or SIGTERM, which stops every instance and exits with status 0. The CA,\n"
    "platform key and CCFaaS loader identity are created in DIR on first start and reused.\n"
    "Prints the three URLs, then `ccfaas up: ready` once all three listen.\n"
    "\n"
    "  --data-dir DIR              default ./ccfaas-data\n"
    "  --host H                    address to bind and to put into URLs (instances'\n"
    "                              veracruz_server_url too); default 127.0.0.1\n"
    "  --proxy-port N              default 3010   (0: any free port, printed)\n"
    "  --vaas-port N               default 5000   (0: any free port, printed)\n"
    "  --ccfaas-port N             default 5010   (0: any free port, printed)\n"
    "  --instance-ports FIRST-LAST ports of instances; default 3014-3113\n"
    "  --no-sandbox                run instances without bubblewrap (debugging)\n"
    "  --quiet                     no request log on stderr\n"
    "  --list-routes               print every route of the three services as\n"
    "                              `METHOD PATTERN` and exit (nothing listens)\n"
    "\n"
    "Clients: CCFAAS_URL=http://H:CCFAAS_PORT for `ccfaas function|instance`.\n"
    "Platform `linux` is for DEVELOPMENT ONLY: no TEE, no hardware protection.\n";

static const char demo_usage[] =
    "usage: ccfaas demo [--rows N] [--wasm PATH] [--keep] [--no-sandbox]\n"
    "\n"
    "The spec's example end to end on this machine: starts `ccfaas up` (in this process,\n"
    "free ports, a temporary data directory), then as a user would: registers the\n"
    "linear-regression function, makes the user's identities, creates an instance,\n"
    "uploads a generated data set as input-0, computes, reads `output`, compares the\n"
    "coefficients with the ones computed here natively, deletes the instance and stops.\n"
    "\n"
    "  --rows N      points in the data set (default 1000; y = 2.5x + 1.0 + noise)\n"
    "  --wasm PATH   linear-regression.wasm (default: beside ccfaas, else the build tree)\n"
    "  --keep        keep the temporary directory (policies, identities, data, result)\n"
    "  --no-sandbox  instances without bubblewrap (also chosen, with a note, when\n"
    "                bubblewrap cannot make a sandbox here, e.g. in a container)\n"
    "Exit status: 0 only when the instance's coefficients match the expected ones.\n";

enum { SVC_PROXY, SVC_VAAS, SVC_CCFAAS, SVC_COUNT };
static const char *const svc_names[SVC_COUNT] = {"proxy", "vaas", "ccfaas"};

struct up_opts {
    const char *data_dir;
    const char *host;
    long port[SVC_COUNT];
    long first, last;
    bool no_sandbox, quiet;
};

/* The three services and their servers. */
struct up {
    ccf_proxy *proxy;
    ccf_vaas *vaas;
    ccf_ccfaas *ccfaas;
    ccf_http_server *srv[SVC_COUNT];
    char url[SVC_COUNT][320];  /* http://HOST:PORT */
    char hostport[SVC_COUNT][300];
    char runtime[PATH_MAX + 64];
    char key_path[PATH_MAX + 64];
};

static void up_defaults(struct up_opts *o)
{
    *o = (struct up_opts){.data_dir = "ccfaas-data",
                          .host = "127.0.0.1",
                          .port = {CCF_PROXY_DEFAULT_PORT, CCF_VAAS_DEFAULT_PORT,
                                   CCF_CCFAAS_DEFAULT_PORT},
                          .first = CCF_VAAS_FIRST_INSTANCE_PORT,
                          .last = CCF_VAAS_FIRST_INSTANCE_PORT + 99};
}

/* "H:P", or "[H]:P" for an IPv6 address. */
static void host_port(char *buf, size_t size, const char *host, unsigned port)
{
    snprintf(buf, size, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
}

/* A server for service i on opts' host and port, not yet started. */
static ccf_err new_server(const struct up_opts *o, int i, ccf_http_server **srv, char *err,
                          size_t err_size)
{
    char listen[300];
    host_port(listen, sizeof listen, o->host, (unsigned)o->port[i]);
    ccf_http_config hc = {.listen = listen, .service = svc_names[i], .quiet = o->quiet};
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
    snprintf(u->url[i], sizeof u->url[i], "http://%s", hp);
    return CCF_OK;
}

/* Stops the servers (CCFaaS first: no new instance requests), then frees the
 * services; VaaS stops every instance it still runs. */
static void up_stop(struct up *u)
{
    for (int i = SVC_COUNT - 1; i >= 0; i--)
        ccf_http_server_stop(u->srv[i]);
    ccf_ccfaas_free(u->ccfaas);
    ccf_vaas_free(u->vaas);
    ccf_proxy_free(u->proxy);
    for (int i = 0; i < SVC_COUNT; i++)
        ccf_http_server_free(u->srv[i]);
    memset(u, 0, sizeof *u);
}

/* Creates, mounts and (when `listen`) starts the three services in order:
 * VaaS needs the proxy's address and CA, CCFaaS the VaaS URL. On failure
 * everything made so far is stopped and freed. */
static ccf_err up_start(const struct up_opts *o, struct up *u, bool listen, char *err,
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
    /* nonce_lifetime_s 0 would mean "expire at once" (tests): -1 = the 60 s default */
    ccf_proxy_config pc = {.data_dir = o->data_dir, .allow = allow, .allow_count = 1,
                           .nonce_lifetime_s = -1};
    if ((rc = ccf_proxy_new(&pc, &u->proxy, err, err_size)) != CCF_OK ||
        (rc = new_server(o, SVC_PROXY, &u->srv[SVC_PROXY], err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_proxy_mount(u->proxy, u->srv[SVC_PROXY])) != CCF_OK) {
        ccf_errf(err, err_size, rc, "proxy: cannot add routes");
        goto fail;
    }
    if ((rc = start_server(o, u, SVC_PROXY, listen, err, err_size)) != CCF_OK)
        goto fail;

    snprintf(u->key_path, sizeof u->key_path, "%s/%s", o->data_dir, CCF_PLATFORM_KEY_FILE);
    ccf_vaas_config vc = {.data_dir = o->data_dir,
                          .runtime_path = u->runtime,
                          .platform_key_path = u->key_path,
                          .proxy_url = u->hostport[SVC_PROXY],
                          .proxy_ca_pem = ccf_proxy_ca_pem(u->proxy),
                          .host = o->host,
                          .bind_addr = o->host,
                          .port_first = (uint16_t)o->first,
                          .port_last = (uint16_t)o->last,
                          .no_sandbox = o->no_sandbox};
    if ((rc = ccf_vaas_new(&vc, &u->vaas, err, err_size)) != CCF_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        ccf_errf(err, err_size, rc, "vaas: %s", why);
        goto fail;
    }
    if ((rc = new_server(o, SVC_VAAS, &u->srv[SVC_VAAS], err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_vaas_mount(u->vaas, u->srv[SVC_VAAS])) != CCF_OK) {
        ccf_errf(err, err_size, rc, "vaas: cannot add routes");
        goto fail;
    }
    if ((rc = start_server(o, u, SVC_VAAS, listen, err, err_size)) != CCF_OK)
        goto fail;

    ccf_ccfaas_config cc = {.data_dir = o->data_dir, .vaas_url = u->url[SVC_VAAS]};
    if ((rc = ccf_ccfaas_new(&cc, &u->ccfaas, err, err_size)) != CCF_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        ccf_errf(err, err_size, rc, "ccfaas: %s", why);
        goto fail;
    }
    if ((rc = new_server(o, SVC_CCFAAS, &u->srv[SVC_CCFAAS], err, err_size)) != CCF_OK)
        goto fail;
    if ((rc = ccf_ccfaas_mount(u->ccfaas, u->srv[SVC_CCFAAS])) != CCF_OK) {
        ccf_errf(err, err_size, rc, "ccfaas: cannot add routes");
        goto fail;
    }
    if ((rc = start_server(o, u, SVC_CCFAAS, listen, err, err_size)) != CCF_OK)
        goto fail;
    return CCF_OK;
fail:
    up_stop(u);
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
static void remove_tree(const char *dir)
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
    if (up_start(o, &u, false, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas up: %s\n", err);
        remove_tree(tmpl);
        return CCF_EXIT_FAIL;
    }
    for (int i = 0; i < SVC_COUNT; i++)
        ccf_http_server_each_route(u.srv[i], print_route, NULL);
    up_stop(&u);
    remove_tree(tmpl);
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
    if (!ccf_cli_parse_num(a, 1, 65535, first) || !ccf_cli_parse_num(dash + 1, 1, 65535, last) ||
        *last < *first)
        return -1;
    return 0;
}

/* -1 when parsed (go on), otherwise the exit status. */
static int parse_up(int argc, char **argv, struct up_opts *o, bool *routes)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long *port = NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(up_usage, stdout);
            return CCF_EXIT_OK;
        } else if (strcmp(a, "--quiet") == 0) {
            o->quiet = true;
            continue;
        } else if (strcmp(a, "--no-sandbox") == 0) {
            o->no_sandbox = true;
            continue;
        } else if (strcmp(a, "--list-routes") == 0) {
            *routes = true;
            continue;
        } else if (strcmp(a, "--data-dir") != 0 && strcmp(a, "--host") != 0 &&
                   strcmp(a, "--proxy-port") != 0 && strcmp(a, "--vaas-port") != 0 &&
                   strcmp(a, "--ccfaas-port") != 0 && strcmp(a, "--instance-ports") != 0) {
            fprintf(stderr, "ccfaas up: unknown option '%s' (see `ccfaas up --help`)\n", a);
            return CCF_EXIT_USAGE;
        } else if (v == NULL || v[0] == '\0') {
            fprintf(stderr, "ccfaas up: a value is missing after %s (see `ccfaas up --help`)\n", a);
            return CCF_EXIT_USAGE;
        }
        i++;
        if (strcmp(a, "--data-dir") == 0)
            o->data_dir = v;
        else if (strcmp(a, "--host") == 0)
            o->host = v;
        else if (strcmp(a, "--instance-ports") == 0) {
            if (parse_range(v, &o->first, &o->last) != 0) {
                fprintf(stderr, "ccfaas up: --instance-ports: expected FIRST-LAST (1-65535, "
                                "FIRST <= LAST), got '%s'\n", v);
                return CCF_EXIT_USAGE;
            }
        } else {
            port = &o->port[a[2] == 'p' ? SVC_PROXY : a[2] == 'v' ? SVC_VAAS : SVC_CCFAAS];
            if (!ccf_cli_parse_num(v, 0, 65535, port)) {
                fprintf(stderr, "ccfaas up: %s: expected a port 0-65535, got '%s'\n", a, v);
                return CCF_EXIT_USAGE;
            }
        }
    }
    return -1;
}

static void print_urls(const struct up_opts *o, const struct up *u, const char *indent)
{
    printf("%sproxy:   %s   (CA %s/%s, %s)\n", indent, u->url[SVC_PROXY], o->data_dir,
           CCF_PROXY_CA_CERT_FILE, ccf_proxy_ca_created(u->proxy) ? "created" : "reused");
    printf("%svaas:    %s   (instances on ports %ld-%ld%s)\n", indent, u->url[SVC_VAAS], o->first,
           o->last, o->no_sandbox ? ", NOT sandboxed" : "");
    printf("%sccfaas:  %s\n", indent, u->url[SVC_CCFAAS]);
    char real[PATH_MAX];
    printf("%sruntime: %s\n", indent, realpath(u->runtime, real) ? real : u->runtime);
    printf("%splatform: linux - DEVELOPMENT ONLY: no TEE, no hardware protection\n", indent);
}

int ccf_cmd_up(int argc, char **argv)
{
    struct up_opts o;
    struct up u;
    bool routes = false;
    char err[1024];
    up_defaults(&o);
    int rc = parse_up(argc, argv, &o, &routes);
    if (rc >= 0)
        return rc;
    if (routes)
        return list_routes(&o);
    /* before any thread exists: curl (CCFaaS -> VaaS), then the signal mask
     * the server threads inherit */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    ccf_http_block_stop_signals();
    if (up_start(&o, &u, true, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas up: %s\n", err);
        rc = CCF_EXIT_FAIL;
        goto out;
    }
    printf("ccfaas up: proxy attestation, VaaS and CCFaaS (data directory %s)\n", o.data_dir);
    print_urls(&o, &u, "  ");
    printf("ccfaas up: ready (export CCFAAS_URL=%s; Ctrl-C stops everything)\n",
           u.url[SVC_CCFAAS]);
    fflush(stdout);
    int sig = ccf_http_wait_stop_signal();
    size_t live = ccf_vaas_live_count(u.vaas);
    printf("ccfaas up: stopping (signal %d; %zu instance%s running)\n", sig, live,
           live == 1 ? "" : "s");
    fflush(stdout);
    up_stop(&u);
    printf("ccfaas up: stopped\n");
    rc = CCF_EXIT_OK;
out:
    curl_global_cleanup();
    return rc;
}

/* ======================================================================================
 * ccfaas demo
 * ====================================================================================== */

#define DEMO_SLOPE 2.5
#define DEMO_INTERCEPT 1.0
#define DEMO_NOISE 0.5
#define DEMO_TOLERANCE 1e-9 /* relative: the instance prints 12 significant digits */

/* Prints the command as a user would type it, then runs it in this process
 * (the very code of the subcommand). */
static int run(int (*fn)(int, char **), const char *const *args)
{
    char *argv[32];
    int argc = 0;
    printf("\n$ ccfaas");
    for (; args[argc] != NULL && argc < 31; argc++) {
        printf(strpbrk(args[argc], " \"'$") ? " '%s'" : " %s", args[argc]);
        argv[argc] = (char *)args[argc];
    }
    argv[argc] = NULL;
    printf("\n");
    fflush(stdout);
    int rc = fn(argc, argv);
    fflush(stdout);
    fflush(stderr);
    return rc;
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

static bool write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return false;
    bool ok = fputs(text, f) >= 0;
    return fclose(f) == 0 && ok;
}

/* The program policy of linear-regression.wasm (the spec's rights). */
static char *program_policy(const char *wasm_hash)
{
    json_t *p = json_pack("{s:s, s:s, s:[{s:I, s:s, s:s, s:[{s:s, s:I}, {s:s, s:I}]}]}",
                          "function", "linear-regression", "execution_strategy", "Interpretation",
                          "programs", "id", (json_int_t)0, "pi_hash", wasm_hash,
                          "program_file_name", "linear-regression.wasm", "file_rights",
                          "file_name", "input-0", "rights", (json_int_t)8198, "file_name",
                          "output", "rights", (json_int_t)533572);
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
    const char *wasm;
    bool keep, no_sandbox;
};

static int parse_demo(int argc, char **argv, struct demo_opts *d)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(demo_usage, stdout);
            return CCF_EXIT_OK;
        } else if (strcmp(a, "--keep") == 0) {
            d->keep = true;
        } else if (strcmp(a, "--no-sandbox") == 0) {
            d->no_sandbox = true;
        } else if (strcmp(a, "--rows") != 0 && strcmp(a, "--wasm") != 0) {
            fprintf(stderr, "ccfaas demo: unknown option '%s' (see `ccfaas demo --help`)\n", a);
            return CCF_EXIT_USAGE;
        } else if (v == NULL) {
            fprintf(stderr, "ccfaas demo: a value is missing after %s\n", a);
            return CCF_EXIT_USAGE;
        } else if (strcmp(a, "--rows") == 0) {
            i++;
            if (!ccf_cli_parse_num(v, 2, 10000000, &d->rows)) {
                fprintf(stderr, "ccfaas demo: --rows: expected 2-10000000, got '%s'\n", v);
                return CCF_EXIT_USAGE;
            }
        } else {
            i++;
            d->wasm = v;
        }
    }
    return -1;
}

int ccf_cmd_demo(int argc, char **argv)
{
    struct demo_opts d = {.rows = 1000};
    struct up_opts o;
    struct up u;
    bool up_running = false, instance = false, made_dir = false;
    char dir[] = "/tmp/ccfaas-demo-XXXXXX", data_dir[sizeof dir + 8];
    char wasm[PATH_MAX + 80], err[1024], hash[CCF_SHA256_HEX_LEN + 1], id[32], wasm_arg[PATH_MAX + 128];
    char *wbytes = NULL, *ppol = NULL, *upol = NULL, *shown = NULL, *owner = NULL, *reader = NULL;
    char *result = NULL;
    size_t wlen = 0, n = 0;
    json_t *res = NULL;
    double slope = 0, intercept = 0;
    int rc = parse_demo(argc, argv, &d);
    if (rc >= 0)
        return rc;
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
    up_defaults(&o);
    o.data_dir = data_dir;
    o.quiet = true;
    o.no_sandbox = d.no_sandbox;
    o.port[SVC_PROXY] = o.port[SVC_VAAS] = o.port[SVC_CCFAAS] = 0;
    if (!free_port_range(o.host, 10, &o.first)) {
        fprintf(stderr, "ccfaas demo: no 10 free ports found for instances\n");
        goto out;
    }
    o.last = o.first + 9;
    printf("$ ccfaas up --data-dir data --proxy-port 0 --vaas-port 0 --ccfaas-port 0 "
           "--instance-ports %ld-%ld%s\n", o.first, o.last, o.no_sandbox ? " --no-sandbox" : "");
    ccf_err urc = up_start(&o, &u, true, err, sizeof err);
    if (urc == CCF_ERR_UNSUPPORTED && !o.no_sandbox) {
        /* containers often forbid user namespaces: the demo still shows the flow */
        printf("note: %s\nnote: the demo goes on with --no-sandbox (development only)\n", err);
        o.no_sandbox = true;
        urc = up_start(&o, &u, true, err, sizeof err);
    }
    if (urc != CCF_OK) {
        fprintf(stderr, "ccfaas demo: ccfaas up: %s\n", err);
        goto out;
    }
    up_running = true;
    print_urls(&o, &u, "  ");
    /* No request can be in flight yet (nobody knows the ports): safe to set. */
    setenv("CCFAAS_URL", u.url[SVC_CCFAAS], 1);
    printf("$ export CCFAAS_URL=%s\n", u.url[SVC_CCFAAS]);

    step("2. The operator registers the function: program policy + program");
    if ((ppol = program_policy(hash)) == NULL || !write_text("linear-regression.json", ppol)) {
        fprintf(stderr, "ccfaas demo: cannot write linear-regression.json\n");
        goto out;
    }
    printf("linear-regression.json (pi_hash = SHA-256 of %s):\n%s\n", wasm, ppol);
    snprintf(wasm_arg, sizeof wasm_arg, "linear-regression.wasm=%s", wasm);
    if (run(ccf_cmd_function, (const char *const[]){"function", "register",
                                                    "linear-regression.json", "--program",
                                                    wasm_arg, NULL}) != 0 ||
        run(ccf_cmd_function, (const char *const[]){"function", "list", NULL}) != 0)
        goto out;

    step("3. The user makes two identities: the data owner and the result reader");
    if (run(ccf_cmd_identity, (const char *const[]){"identity", "new", "data-owner", NULL}) != 0 ||
        run(ccf_cmd_identity, (const char *const[]){"identity", "new", "result-reader", NULL}) != 0)
        goto out;

    step("4. The user asks CCFaaS for an instance: a user policy naming who may do what");
    snprintf(id, sizeof id, "demo-%08x", (unsigned)rand());
    if (ccf_file_read("data-owner.crt", 65536, &owner, &n, err, sizeof err) != CCF_OK ||
        ccf_file_read("result-reader.crt", 65536, &reader, &n, err, sizeof err) != CCF_OK ||
        (upol = user_policy(id, owner, reader, false)) == NULL ||
        (shown = user_policy(id, owner, reader, true)) == NULL ||
        !write_text("user-policy.json", upol)) {
        fprintf(stderr, "ccfaas demo: cannot write user-policy.json: %s\n", err);
        goto out;
    }
    printf("user-policy.json (certificates shown by file name):\n%s\n", shown);
    if (run(ccf_cmd_instance, (const char *const[]){"instance", "create", "user-policy.json", "-o",
                                                    "instance-policy.json", NULL}) != 0)
        goto out;
    instance = true;
    printf("CCFaaS had VaaS start an attested ccfaas-runtime and loaded the program into it;\n"
           "instance-policy.json is the full policy (the bytes the client verifies against).\n");

    step("5. The data owner verifies the instance, then uploads the data set as input-0");
    char csv[32];
    snprintf(csv, sizeof csv, "data-%ld.csv", d.rows);
    if (!make_data(csv, d.rows, &slope, &intercept, err, sizeof err)) {
        fprintf(stderr, "ccfaas demo: %s\n", err);
        goto out;
    }
    printf("%s: %ld points on y = %.1f x + %.1f with noise in [-%.1f, %.1f]\n", csv, d.rows,
           DEMO_SLOPE, DEMO_INTERCEPT, DEMO_NOISE, DEMO_NOISE);
    char data_arg[64];
    snprintf(data_arg, sizeof data_arg, "input-0=%s", csv);
    if (run(ccf_cmd_client, (const char *const[]){"client", "instance-policy.json", "--identity",
                                                  "data-owner.crt", "--key", "data-owner.key",
                                                  "--data", data_arg, NULL}) != 0)
        goto out;

    step("6. The result reader runs the function and reads `output`");
    if (run(ccf_cmd_client, (const char *const[]){"client", "instance-policy.json", "--identity",
                                                  "result-reader.crt", "--key",
                                                  "result-reader.key", "--result",
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
    int drc = run(ccf_cmd_instance, (const char *const[]){"instance", "delete", id, NULL});
    instance = false;
    rc = ok && drc == 0 ? CCF_EXIT_OK : CCF_EXIT_FAIL;
out:
    if (instance) /* a failure after creation: do not leave the runtime behind */
        (void)run(ccf_cmd_instance, (const char *const[]){"instance", "delete", id, NULL});
    if (up_running) {
        printf("(ccfaas up stops: its servers, then every instance VaaS still runs)\n");
        up_stop(&u);
        printf("ccfaas up: stopped\n");
    }
    curl_global_cleanup();
    if (made_dir) {
        if (d.keep || rc != CCF_EXIT_OK)
            printf("\nkept %s (policies, identities, data, result; services' data in data/)\n",
                   dir);
        else
            remove_tree(dir);
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
    return rc;
}
