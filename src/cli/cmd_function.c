/* `ccfaas function …` and `ccfaas instance …`: the CCFaaS REST API from the
 * shell (the spec's register-function-example and user-app scripts as
 * commands). The service URL comes from --url, else CCFAAS_URL, else
 * http://127.0.0.1:5010. A refusal by the service is printed as
 * "ccfaas: CODE: message" with exit status 1. */
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
#include "client/identity.h"
#include "common/crypto.h"
#include "common/file.h"
#include "net/http_client.h"
#include "policy/policy.h"

#define DEFAULT_URL "http://127.0.0.1:5010"
#define MAX_POLICY (1024u * 1024u)
#define MAX_UPLOAD (256u * 1024u * 1024u)
/* POST /instance starts and attests a runtime and uploads the programs. */
#define CREATE_TIMEOUT_MS 180000L
#define UPLOAD_TIMEOUT_MS 300000L

static const char function_usage[] =
    "usage: ccfaas function register POLICY --program NAME=PATH... [--data-file NAME=PATH]...\n"
    "       ccfaas function list [--json]\n"
    "       ccfaas function show NAME\n"
    "       ccfaas function delete NAME\n"
    "common option: --url URL (CCFaaS; default $CCFAAS_URL, else " DEFAULT_URL ")\n"
    "\n"
    "Functions registered at CCFaaS: a program policy (docs/policy.md) and its WebAssembly\n"
    "programs and data files. Run `ccfaas function SUBCOMMAND --help` for details.\n";

static const char register_usage[] =
    "usage: ccfaas function register POLICY --program NAME=PATH... [--data-file NAME=PATH]...\n"
    "                                [--url URL]\n"
    "\n"
    "Registers the program policy POLICY (POST /function), then uploads each program\n"
    "(POST /function/F/program/NAME) and data file (POST /function/F/data_file/NAME).\n"
    "Every file is checked against its pi_hash in POLICY before anything is sent.\n"
    "Re-runnable: when the function is already registered with the same policy, it goes on\n"
    "with the uploads and skips programs and data files already registered.\n"
    "\n"
    "  --program NAME=PATH    a program of POLICY (its program_file_name) and its file\n"
    "  --data-file NAME=PATH  a data file of POLICY (its data_file) and its file\n"
    "  --url URL              CCFaaS (default $CCFAAS_URL, else " DEFAULT_URL ")\n"
    "Exit status: 0 registered, 1 refused or unreachable, 2 usage error.\n";

static const char list_usage[] =
    "usage: ccfaas function list [--json] [--url URL]\n"
    "\n"
    "The registered functions (GET /function), one per line; --json prints the reply.\n";
static const char show_usage[] =
    "usage: ccfaas function show NAME [--url URL]\n"
    "\n"
    "The program policy of function NAME exactly as registered (GET /function/NAME).\n";
static const char delete_usage[] =
    "usage: ccfaas function delete NAME [--url URL]\n"
    "\n"
    "Deletes function NAME, its programs and data files (DELETE /function/NAME); refused\n"
    "while instances of it exist.\n";

static const char instance_usage[] =
    "usage: ccfaas instance create USER_POLICY [-o POLICY_OUT]\n"
    "       ccfaas instance list [--json]\n"
    "       ccfaas instance show NAME\n"
    "       ccfaas instance delete NAME\n"
    "common option: --url URL (CCFaaS; default $CCFAAS_URL, else " DEFAULT_URL ")\n"
    "\n"
    "Instances of registered functions: attested ccfaas-runtime processes started by VaaS.\n"
    "Run `ccfaas instance SUBCOMMAND --help` for details.\n";

static const char create_usage[] =
    "usage: ccfaas instance create USER_POLICY [-o POLICY_OUT] [--url URL]\n"
    "\n"
    "Asks CCFaaS for an instance of the function USER_POLICY names (POST /instance).\n"
    "CCFaaS has VaaS start an attested runtime, loads the function's programs into it and\n"
    "returns the full policy, which is written byte for byte to POLICY_OUT (default\n"
    "INSTANCEID.policy.json): the file `ccfaas client` verifies the instance against.\n"
    "\n"
    "  -o, --output FILE  where to write the full policy (replaced if it exists)\n"
    "  --url URL          CCFaaS (default $CCFAAS_URL, else " DEFAULT_URL ")\n"
    "Next: ccfaas client POLICY_OUT --identity CERT --key KEY --data input-0=FILE ...\n";
static const char ilist_usage[] =
    "usage: ccfaas instance list [--json] [--url URL]\n"
    "\n"
    "The instances CCFaaS knows (GET /instance), one per line; --json prints the reply.\n";
static const char ishow_usage[] =
    "usage: ccfaas instance show NAME [--url URL]\n"
    "\n"
    "The status of instance NAME, including its runtime's (GET /instance/NAME), as JSON.\n";
static const char idelete_usage[] =
    "usage: ccfaas instance delete NAME [--url URL]\n"
    "\n"
    "Ends instance NAME: VaaS stops its runtime, CCFaaS forgets it (DELETE /instance/NAME).\n";

struct pair {
    char *name;
    const char *path;
};

/* Arguments of one subcommand; arrays sized argc. */
struct args {
    const char *cmd;     /* "function register" ... for messages */
    const char *usage;
    const char *url;
    const char *output;
    const char *pos;     /* the one positional argument */
    struct pair *programs, *data;
    size_t nprograms, ndata;
    bool json;
};

static void args_free(struct args *a)
{
    for (size_t i = 0; i < a->nprograms; i++)
        free(a->programs[i].name);
    for (size_t i = 0; i < a->ndata; i++)
        free(a->data[i].name);
    free(a->programs);
    free(a->data);
}

static int usage_error(const struct args *a, const char *what, const char *arg)
{
    fprintf(stderr, "ccfaas %s: %s%s (see `ccfaas %s --help`)\n", a->cmd, what, arg, a->cmd);
    return CCF_EXIT_USAGE;
}

/* Which flags a subcommand takes. */
enum { F_FILES = 1, F_OUTPUT = 2, F_JSON = 4, F_POS = 8 };

/* -1: parsed, go on; otherwise the exit status. */
static int parse(int argc, char **argv, unsigned flags, struct args *a)
{
    a->programs = calloc((size_t)argc + 1, sizeof *a->programs);
    a->data = calloc((size_t)argc + 1, sizeof *a->data);
    if (a->programs == NULL || a->data == NULL) {
        fprintf(stderr, "ccfaas %s: out of memory\n", a->cmd);
        return CCF_EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(a->usage, stdout);
            return CCF_EXIT_OK;
        } else if ((flags & F_JSON) && strcmp(s, "--json") == 0) {
            a->json = true;
        } else if (s[0] != '-' || strcmp(s, "-") == 0) {
            if (!(flags & F_POS) || a->pos != NULL)
                return usage_error(a, "unexpected argument ", s);
            a->pos = s;
        } else if (strcmp(s, "--url") != 0 && strcmp(s, "--program") != 0 &&
                   strcmp(s, "--data-file") != 0 && strcmp(s, "-o") != 0 &&
                   strcmp(s, "--output") != 0) {
            return usage_error(a, "unknown option ", s);
        } else if (v == NULL) {
            return usage_error(a, "a value is missing after ", s);
        } else if (strcmp(s, "--url") == 0) {
            a->url = v;
            i++;
        } else if ((flags & F_OUTPUT) && (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0)) {
            a->output = v;
            i++;
        } else if ((flags & F_FILES) &&
                   (strcmp(s, "--program") == 0 || strcmp(s, "--data-file") == 0)) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v || eq[1] == '\0')
                return usage_error(a, "expected NAME=PATH after ", s);
            struct pair *p = s[2] == 'p' ? &a->programs[a->nprograms++] : &a->data[a->ndata++];
            if ((p->name = strndup(v, (size_t)(eq - v))) == NULL) {
                fprintf(stderr, "ccfaas %s: out of memory\n", a->cmd);
                return CCF_EXIT_FAIL;
            }
            p->path = eq + 1;
            i++;
        } else {
            return usage_error(a, "unknown option ", s);
        }
    }
    if ((flags & F_POS) && a->pos == NULL)
        return usage_error(a, "missing argument", "");
    if (a->url == NULL)
        a->url = getenv("CCFAAS_URL");
    if (a->url == NULL || a->url[0] == '\0')
        a->url = DEFAULT_URL;
    if (strncmp(a->url, "http://", 7) != 0)
        return usage_error(a, "--url / CCFAAS_URL must start with http://, got ", a->url);
    return -1;
}

/* base + "/" + path segments, each percent-encoded except A-Z a-z 0-9 - . _ ~ */
static char *make_url(const char *base, const char *const *segs, size_t n)
{
    size_t blen = strlen(base);
    while (blen > 0 && base[blen - 1] == '/')
        blen--;
    size_t cap = blen + 1;
    for (size_t i = 0; i < n; i++)
        cap += 1 + 3 * strlen(segs[i]);
    char *u = malloc(cap);
    if (u == NULL)
        return NULL;
    memcpy(u, base, blen);
    size_t o = blen;
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        u[o++] = '/';
        for (const unsigned char *c = (const unsigned char *)segs[i]; *c; c++) {
            if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                *c == '-' || *c == '.' || *c == '_' || *c == '~') {
                u[o++] = (char)*c;
            } else {
                u[o++] = '%';
                u[o++] = hex[*c >> 4];
                u[o++] = hex[*c & 15];
            }
        }
    }
    u[o] = '\0';
    return u;
}

/* One CCFaaS request. Returns CCF_EXIT_OK with *reply filled (any status), or
 * CCF_EXIT_FAIL after saying why the service could not be reached. */
static int call(const struct args *a, const char *method, const char *const *segs, size_t nseg,
                const void *body, size_t len, const char *ctype, long timeout_ms,
                ccf_http_reply *reply)
{
    char err[600];
    char *url = make_url(a->url, segs, nseg);
    if (url == NULL) {
        fprintf(stderr, "ccfaas %s: out of memory\n", a->cmd);
        return CCF_EXIT_FAIL;
    }
    ccf_http_call_req req = {.method = method, .url = url, .body = body, .body_len = len,
                             .content_type = ctype, .timeout_ms = timeout_ms};
    memset(reply, 0, sizeof *reply);
    ccf_err rc = ccf_http_call(&req, reply, err, sizeof err);
    free(url);
    if (rc != CCF_OK) {
        fprintf(stderr, "ccfaas %s: cannot reach CCFaaS: %s (is `ccfaas up` running? set --url "
                        "or CCFAAS_URL)\n", a->cmd, err);
        return CCF_EXIT_FAIL;
    }
    return CCF_EXIT_OK;
}

/* The service's refusal as "ccfaas: CODE: message". */
static int refused(const ccf_http_reply *reply)
{
    char msg[1024];
    ccf_http_reply_error(reply->body, reply->len, msg, sizeof msg);
    fprintf(stderr, "ccfaas: %s\n", msg);
    return CCF_EXIT_FAIL;
}

static bool ok_status(long s)
{
    return s >= 200 && s < 300;
}

/* --- function register ------------------------------------------------------------ */

/* A file to upload: its bytes, checked against the policy's pi_hash. */
struct upload {
    const char *kind; /* "program" or "data_file" */
    const char *name;
    const char *path;
    char *bytes;
    size_t len;
};

static int load_upload(const struct args *a, const ccf_policy *pol, struct upload *u)
{
    char err[600], hash[CCF_SHA256_HEX_LEN + 1];
    const char *want = NULL;
    bool program = strcmp(u->kind, "program") == 0;
    for (size_t i = 0; program && i < pol->program_count; i++)
        if (strcmp(pol->programs[i].program_file_name, u->name) == 0)
            want = pol->programs[i].pi_hash;
    for (size_t i = 0; !program && i < pol->data_file_count; i++)
        if (strcmp(pol->data_files[i].data_file, u->name) == 0)
            want = pol->data_files[i].pi_hash;
    if (want == NULL) {
        fprintf(stderr, "ccfaas %s: %s: the policy has no %s of that name\n", a->cmd, u->name,
                program ? "program (programs[].program_file_name)" : "data file (data_files[].data_file)");
        return CCF_EXIT_FAIL;
    }
    if (ccf_file_read(u->path, MAX_UPLOAD, &u->bytes, &u->len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s %s: %s: %s\n", a->cmd, u->kind, u->name, u->path, err);
        return CCF_EXIT_FAIL;
    }
    if (!ccf_sha256_hex(u->bytes, u->len, hash)) {
        fprintf(stderr, "ccfaas %s: cannot hash %s\n", a->cmd, u->path);
        return CCF_EXIT_FAIL;
    }
    if (strcasecmp(hash, want) != 0) {
        fprintf(stderr, "ccfaas %s: %s: SHA-256 is %s but the policy's pi_hash for %s is %s\n",
                a->cmd, u->path, hash, u->name, want);
        return CCF_EXIT_FAIL;
    }
    return CCF_EXIT_OK;
}

/* Whether two policy texts are the same bytes, or the same JSON. */
static bool same_policy(const char *x, size_t xlen, const char *y, size_t ylen)
{
    if (xlen == ylen && memcmp(x, y, xlen) == 0)
        return true;
    json_t *jx = json_loadb(x, xlen, 0, NULL), *jy = json_loadb(y, ylen, 0, NULL);
    bool same = jx != NULL && jy != NULL && json_equal(jx, jy);
    json_decref(jx);
    json_decref(jy);
    return same;
}

/* POST one file; when the function pre-existed, a 409 on a file the service
 * already has is "already registered" (write-once, and bytes must hash to the
 * same pi_hash, so it holds these very bytes). */
static int upload(const struct args *a, const char *fn, const struct upload *u, bool existed)
{
    ccf_http_reply r = {0};
    const char *segs[] = {"function", fn, u->kind, u->name};
    int rc = call(a, "POST", segs, 4, u->bytes, u->len, "application/octet-stream",
                  UPLOAD_TIMEOUT_MS, &r);
    if (rc != CCF_EXIT_OK)
        goto out;
    if (ok_status(r.status)) {
        printf("uploaded %s %s (%zu bytes)\n", strcmp(u->kind, "program") == 0 ? "program" : "data file",
               u->name, u->len);
    } else if (r.status == 409 && existed) {
        ccf_http_reply st = {0};
        if ((rc = call(a, "GET", segs, 4, NULL, 0, NULL, 0, &st)) != CCF_EXIT_OK)
            goto out;
        json_t *j = json_loadb(st.body, st.len, 0, NULL);
        /* a status that says it is not uploaded yet means the 409 was something else */
        bool missing = !ok_status(st.status) || json_is_false(json_object_get(j, "uploaded"));
        json_decref(j);
        ccf_http_reply_free(&st);
        if (missing)
            rc = refused(&r);
        else
            printf("%s %s already registered: skipped\n",
                   strcmp(u->kind, "program") == 0 ? "program" : "data file", u->name);
    } else {
        rc = refused(&r);
    }
out:
    ccf_http_reply_free(&r);
    return rc;
}

static int function_register(int argc, char **argv)
{
    struct args a = {.cmd = "function register", .usage = register_usage};
    struct upload *ups = NULL;
    size_t nups = 0;
    char *text = NULL;
    size_t len = 0;
    ccf_policy *pol = NULL;
    ccf_policy_errors perr;
    ccf_http_reply r = {0}, cur = {0};
    char err[600];
    int rc = parse(argc, argv, F_FILES | F_POS, &a);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (a.nprograms == 0) {
        rc = usage_error(&a, "at least one --program NAME=PATH is needed", "");
        goto out;
    }
    if (ccf_file_read(a.pos, MAX_POLICY, &text, &len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s: %s\n", a.cmd, a.pos, err);
        goto out;
    }
    /* validated here too: errors name their JSON path before anything is sent */
    if (ccf_policy_parse(text, len, CCF_POLICY_PROGRAM, &pol, &perr) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s is not a valid program policy:\n", a.cmd, a.pos);
        for (size_t i = 0; i < perr.count; i++)
            fprintf(stderr, "  %s: %s\n", perr.items[i].path[0] ? perr.items[i].path : "(document)",
                    perr.items[i].message);
        goto out;
    }
    if ((ups = calloc(a.nprograms + a.ndata + 1, sizeof *ups)) == NULL)
        goto out;
    for (size_t i = 0; i < a.nprograms + a.ndata; i++) {
        bool prog = i < a.nprograms;
        const struct pair *p = prog ? &a.programs[i] : &a.data[i - a.nprograms];
        ups[nups] = (struct upload){.kind = prog ? "program" : "data_file", .name = p->name,
                                    .path = p->path};
        if (load_upload(&a, pol, &ups[nups++]) != CCF_EXIT_OK)
            goto out;
    }
    printf("CCFaaS at %s: function %s\n", a.url, pol->function);
    const char *fsegs[] = {"function", pol->function};
    if (call(&a, "POST", fsegs, 1, text, len, "application/json", 0, &r) != CCF_EXIT_OK)
        goto out;
    bool existed = false;
    if (ok_status(r.status)) {
        printf("registered function %s (policy %s)\n", pol->function, a.pos);
    } else if (r.status == 409) {
        if (call(&a, "GET", fsegs, 2, NULL, 0, NULL, 0, &cur) != CCF_EXIT_OK)
            goto out;
        if (!ok_status(cur.status) || !same_policy(cur.body, cur.len, text, len)) {
            refused(&r);
            fprintf(stderr, "ccfaas %s: function %s is registered with another policy (`ccfaas "
                            "function show %s`; delete it first to replace it)\n",
                    a.cmd, pol->function, pol->function);
            goto out;
        }
        existed = true;
        printf("function %s already registered with this policy: continuing\n", pol->function);
    } else {
        rc = refused(&r);
        goto out;
    }
    for (size_t i = 0; i < nups; i++)
        if (upload(&a, pol->function, &ups[i], existed) != CCF_EXIT_OK)
            goto out;
    for (size_t i = 0; i < pol->program_count; i++) {
        bool given = false;
        for (size_t k = 0; k < a.nprograms; k++)
            given = given || strcmp(a.programs[k].name, pol->programs[i].program_file_name) == 0;
        if (!given && !existed)
            printf("note: program %s was not uploaded (no --program %s=PATH): instances need it\n",
                   pol->programs[i].program_file_name, pol->programs[i].program_file_name);
    }
    rc = CCF_EXIT_OK;
out:
    for (size_t i = 0; i < nups; i++)
        free(ups[i].bytes);
    free(ups);
    ccf_http_reply_free(&r);
    ccf_http_reply_free(&cur);
    ccf_policy_free(pol);
    free(text);
    args_free(&a);
    return rc;
}

/* --- list / show / delete (functions and instances) --------------------------------- */

/* One line per item of reply[key]: a string as is, an object by its name
 * member and then its other scalar members. */
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

static int do_list(int argc, char **argv, const char *cmd, const char *usage, const char *coll,
                   const char *key, const char *const *name_keys)
{
    struct args a = {.cmd = cmd, .usage = usage};
    ccf_http_reply r = {0};
    json_t *j = NULL;
    int rc = parse(argc, argv, F_JSON, &a);
    if (rc >= 0)
        goto out;
    const char *segs[] = {coll};
    if ((rc = call(&a, "GET", segs, 1, NULL, 0, NULL, 0, &r)) != CCF_EXIT_OK)
        goto out;
    if (!ok_status(r.status)) {
        rc = refused(&r);
        goto out;
    }
    j = json_loadb(r.body, r.len, 0, NULL);
    if (!json_is_array(json_object_get(j, key))) {
        fprintf(stderr, "ccfaas %s: unexpected reply (no \"%s\" array): %.200s\n", cmd, key, r.body);
        rc = CCF_EXIT_FAIL;
        goto out;
    }
    if (a.json)
        printf("%s\n", r.body);
    else
        print_list(json_object_get(j, key), name_keys);
    rc = CCF_EXIT_OK;
out:
    json_decref(j);
    ccf_http_reply_free(&r);
    args_free(&a);
    return rc;
}

/* GET or DELETE /COLL/NAME. GET prints the body (pretty JSON when `pretty`,
 * exact bytes otherwise); DELETE prints `done`. */
static int do_one(int argc, char **argv, const char *cmd, const char *usage, const char *method,
                  const char *coll, bool pretty, const char *done)
{
    struct args a = {.cmd = cmd, .usage = usage};
    ccf_http_reply r = {0};
    int rc = parse(argc, argv, F_POS, &a);
    if (rc >= 0)
        goto out;
    const char *segs[] = {coll, a.pos};
    if ((rc = call(&a, method, segs, 2, NULL, 0, NULL, 0, &r)) != CCF_EXIT_OK)
        goto out;
    if (!ok_status(r.status)) {
        rc = refused(&r);
        goto out;
    }
    if (done != NULL) {
        printf("%s %s\n", done, a.pos);
    } else if (pretty) {
        json_t *j = json_loadb(r.body, r.len, 0, NULL);
        char *s = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        printf("%s\n", s ? s : r.body);
        free(s);
        json_decref(j);
    } else {
        /* exact bytes (redirect into a file to get the registered policy back);
         * a newline is added only for a terminal */
        fwrite(r.body, 1, r.len, stdout);
        if (r.len > 0 && r.body[r.len - 1] != '\n' && isatty(STDOUT_FILENO))
            printf("\n");
    }
    rc = CCF_EXIT_OK;
out:
    ccf_http_reply_free(&r);
    args_free(&a);
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
    curl_global_init(CURL_GLOBAL_DEFAULT); /* reference-counted: fine inside `ccfaas demo` */
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

static const char *const function_names[] = {"function", "name", NULL};
static const char *const instance_names[] = {"instance", "instance_id", "name", "id", NULL};

static int function_list(int argc, char **argv)
{
    return do_list(argc, argv, "function list", list_usage, "function", "functions",
                   function_names);
}
static int function_show(int argc, char **argv)
{
    return do_one(argc, argv, "function show", show_usage, "GET", "function", false, NULL);
}
static int function_delete(int argc, char **argv)
{
    return do_one(argc, argv, "function delete", delete_usage, "DELETE", "function", false,
                  "deleted function");
}

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

static int instance_create(int argc, char **argv)
{
    struct args a = {.cmd = "instance create", .usage = create_usage};
    char *text = NULL, *path = NULL;
    size_t len = 0;
    ccf_http_reply r = {0};
    json_t *j = NULL;
    char err[600], hash[CCF_SHA256_HEX_LEN + 1];
    int rc = parse(argc, argv, F_OUTPUT | F_POS, &a);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (ccf_file_read(a.pos, MAX_POLICY, &text, &len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s: %s\n", a.cmd, a.pos, err);
        goto out;
    }
    const char *segs[] = {"instance"};
    if (call(&a, "POST", segs, 1, text, len, "application/json", CREATE_TIMEOUT_MS, &r) !=
        CCF_EXIT_OK)
        goto out;
    if (!ok_status(r.status)) {
        rc = refused(&r);
        goto out;
    }
    j = json_loadb(r.body, r.len, 0, NULL);
    const char *id = json_string_value(json_object_get(j, "instance"));
    json_t *pj = json_object_get(j, "policy");
    if (id == NULL || !json_is_string(pj)) {
        fprintf(stderr, "ccfaas %s: unexpected reply (needs \"instance\" and \"policy\" "
                        "strings): %.200s\n", a.cmd, r.body);
        goto out;
    }
    const char *policy = json_string_value(pj);
    size_t plen = json_string_length(pj);
    if (a.output == NULL) {
        /* the id becomes a file name: only a plain one */
        if (!ccf_identity_name_ok(id)) {
            fprintf(stderr, "ccfaas %s: instance '%s' was created but its id is not a plain file "
                            "name: give -o FILE (then `ccfaas instance delete` it or retry)\n",
                    a.cmd, id);
            goto out;
        }
        size_t n = strlen(id) + sizeof ".policy.json";
        if ((path = malloc(n)) == NULL)
            goto out;
        snprintf(path, n, "%s.policy.json", id);
    }
    const char *dest = a.output ? a.output : path;
    if (!write_exact(dest, policy, plen, err, sizeof err)) {
        fprintf(stderr, "ccfaas %s: instance %s created, but writing its policy failed: %s\n",
                a.cmd, id, err);
        goto out;
    }
    if (!ccf_policy_hash(policy, plen, hash))
        hash[0] = '\0';
    printf("created instance %s\n", id);
    printf("  policy: %s (policy hash %s)\n", dest, hash);
    rc = CCF_EXIT_OK;
out:
    json_decref(j);
    ccf_http_reply_free(&r);
    free(text);
    free(path);
    args_free(&a);
    return rc;
}

static int instance_list(int argc, char **argv)
{
    return do_list(argc, argv, "instance list", ilist_usage, "instance", "instances",
                   instance_names);
}
static int instance_show(int argc, char **argv)
{
    return do_one(argc, argv, "instance show", ishow_usage, "GET", "instance", true, NULL);
}
static int instance_delete(int argc, char **argv)
{
    return do_one(argc, argv, "instance delete", idelete_usage, "DELETE", "instance", false,
                  "deleted instance");
}

int ccf_cmd_instance(int argc, char **argv)
{
    static const struct sub subs[] = {{"create", instance_create},
                                      {"list", instance_list},
                                      {"show", instance_show},
                                      {"delete", instance_delete}};
    return dispatch(argc, argv, "instance", instance_usage, subs, sizeof subs / sizeof subs[0]);
}
