/* `ccfaas task …`: one-shot runs of a registered function at CCFaaS (issue 20,
 * docs/tasks.md), iExec's `app run --watch` / `task show --download` / `task
 * debug --logs` as commands over the task routes. The service URL and token
 * as for `ccfaas function` (--url, CCFAAS_URL, CCFAAS_TOKEN[_FILE]). */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "client/ccfaas_api.h"
#include "client/trust_file.h"
#include "common/file.h"
#include "jose/jose.h"

#define DEFAULT_URL CCF_CCFAAS_API_DEFAULT_URL
#define URL_HELP "CCFaaS (default $CCFAAS_URL, else " DEFAULT_URL ")"
#define TASK_MAX_INPUT (48u * 1024u * 1024u)
#define TASK_MAX_RESULT_REPLY (360u * 1024u * 1024u)

static const char task_usage[] =
    "usage: ccfaas task run FUNCTION [--args ARGS] [--input NAME=PATH|URI]... [--secret NAME=VALUE]...\n"
    "                       [--output NAME]... [--watch] [--encrypt-to PUBKEY.pem] ...\n"
    "       ccfaas task show ID [--download FILE [--key KEY.pem]] [--json]\n"
    "       ccfaas task logs ID\n"
    "       ccfaas task list [--json]\n"
    "       ccfaas task delete ID\n"
    "common option: --url URL (CCFaaS; default $CCFAAS_URL, else " DEFAULT_URL ")\n"
    "\n"
    "Tasks run a registered function once in a fresh attested instance, verified with your trust\n"
    "configuration, and keep its outputs as a zip archive with computed.json (docs/tasks.md).\n"
    "Run `ccfaas task SUBCOMMAND --help` for details.\n";

static ccf_ccfaas_api *api_open(const ccf_opt_cmd *cmd, const char *url)
{
    ccf_ccfaas_api *api = NULL;
    char err[600];
    if (url == NULL)
        url = getenv("CCFAAS_URL");
    if (url == NULL || url[0] == '\0')
        url = DEFAULT_URL;
    if (ccf_ccfaas_api_new(url, &api, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd->cmd, err);
        return NULL;
    }
    return api;
}

static int failed(const char *cmd, const ccf_ccfaas_api *api, const char *err)
{
    if (ccf_ccfaas_api_status(api) == 0)
        fprintf(stderr, "ccfaas %s: cannot reach CCFaaS: %s (is `ccfaas up` running? set --url "
                        "or CCFAAS_URL)\n", cmd, err);
    else
        fprintf(stderr, "ccfaas: %s\n", err);
    return CCF_EXIT_FAIL;
}

static char *b64(const void *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    return out;
}

/* "NAME: " + the base64 of data, malloc'd (NULL: out of memory); what is
 * beside a computation's manifest travels so (the middle copy is wiped: it
 * may be a password). */
static char *b64_header(const char *name, const void *data, size_t len)
{
    char *b = b64(data, len), *h = NULL;
    size_t n = b ? strlen(name) + strlen(b) + 3 : 0;
    if (b != NULL && (h = malloc(n)) != NULL)
        snprintf(h, n, "%s: %s", name, b);
    if (b != NULL)
        OPENSSL_cleanse(b, strlen(b));
    free(b);
    return h;
}

/* One line for a task status. */
static void print_status(const json_t *t)
{
    const char *state = json_string_value(json_object_get(t, "state"));
    printf("%s  %-9s  %s  %s", json_string_value(json_object_get(t, "task")),
           state ? state : "?", json_string_value(json_object_get(t, "function")),
           json_string_value(json_object_get(t, "created")));
    const char *reason = json_string_value(json_object_get(t, "reason"));
    if (reason != NULL)
        printf("  (%s: %s)", json_string_value(json_object_get(t, "step")), reason);
    const json_t *res = json_object_get(t, "result");
    if (res != NULL)
        printf("  result %lld bytes%s, digest %s", (long long)json_integer_value(
                                                       json_object_get(res, "size")),
               json_is_true(json_object_get(res, "encrypted")) ? " (encrypted)" : "",
               json_string_value(json_object_get(res, "result_digest")));
    putchar('\n');
}

/* A task's status: its line, or indented JSON. */
static void print_task(const json_t *t, bool json_out)
{
    if (!json_out) {
        print_status(t);
        return;
    }
    char *s = json_dumps(t, JSON_INDENT(2));
    printf("%s\n", s ? s : "");
    free(s);
}

static bool ended(const json_t *t)
{
    const char *s = json_string_value(json_object_get(t, "state"));
    return s != NULL && strcmp(s, "pending") != 0 && strcmp(s, "running") != 0;
}

/* The public JWK of a PEM public key (or of a private key's public half). */
static json_t *jwk_of(const char *path, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    EVP_PKEY *k = NULL;
    json_t *jwk = NULL;
    if (f == NULL) {
        snprintf(err, err_size, "%s: cannot open", path);
        return NULL;
    }
    k = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (k == NULL) {
        snprintf(err, err_size, "%s: not a PEM public key (EC P-256 or RSA)", path);
        return NULL;
    }
    if (ccf_jwk_from_key(k, NULL, &jwk, err, err_size) != CCF_OK)
        jwk = NULL;
    EVP_PKEY_free(k);
    return jwk;
}

static json_t *get_task(ccf_ccfaas_api *api, const char *id, char *err, size_t err_size)
{
    ccf_ccfaas_api_reply reply;
    const char *segs[] = {"task", id};
    if (ccf_ccfaas_api_call(api, "GET", segs, 2, NULL, 0, 0, NULL, &reply, err, err_size) != CCF_OK)
        return NULL;
    json_t *t = json_incref(reply.json);
    ccf_ccfaas_api_reply_free(&reply);
    if (t == NULL)
        snprintf(err, err_size, "unexpected reply: not JSON");
    return t;
}

/* The user's trust file (--trust, else the default locations): its path
 * into path (4096 bytes) and its text. */
static bool read_trust(const char *cmd, const char *opt, char path[4096], char **text,
                       size_t *len)
{
    char err[1024];
    if (ccf_trust_file_path(opt, path, 4096, err, sizeof err) == CCF_OK &&
        ccf_file_read(path, 1024 * 1024, text, len, err, sizeof err) == CCF_OK)
        return true;
    fprintf(stderr, "ccfaas %s: trust configuration: %s (make one with `ccfaas trust add`, "
                    "docs/trust.md)\n", cmd, err);
    return false;
}

/* Follows a task until it ends: its states on stderr, its final line (or
 * JSON) on stdout; exit 0 only when it completed. */
static int watch_task(ccf_ccfaas_api *api, const char *cmd, const char *id, bool json_out)
{
    char err[1024], last[16] = "pending"; /* the state last printed */
    json_t *t = NULL;
    int rc;
    fprintf(stderr, "task %s: pending", id);
    for (;;) {
        const struct timespec pause = {0, 250 * 1000 * 1000};
        json_decref(t);
        if ((t = get_task(api, id, err, sizeof err)) == NULL) {
            fputc('\n', stderr);
            return failed(cmd, api, err);
        }
        const char *st = json_string_value(json_object_get(t, "state"));
        if (st != NULL && strcmp(st, last) != 0) {
            fprintf(stderr, " -> %s", st);
            snprintf(last, sizeof last, "%s", st);
        }
        if (ended(t))
            break;
        nanosleep(&pause, NULL);
    }
    fputc('\n', stderr);
    print_task(t, json_out);
    rc = strcmp(json_string_value(json_object_get(t, "state")), "completed") == 0
             ? CCF_EXIT_OK
             : CCF_EXIT_FAIL;
    json_decref(t);
    return rc;
}

/* Declared below. */
static int download(ccf_ccfaas_api *api, const char *id, const char *file, const char *keyfile,
                    bool encrypted);

/* POSTs what makes a task (route "task" or "computation"); prints its id (or
 * the JSON answer), or with watch follows it and, with file, downloads its
 * result. */
static int submit(ccf_ccfaas_api *api, const char *cmd, const char *route, const char *body,
                  size_t len, const char *const *headers, bool watch, bool json_out,
                  const char *file)
{
    ccf_ccfaas_api_reply reply = {0};
    char err[1024];
    int rc = CCF_EXIT_FAIL;
    const char *segs[] = {route};
    if (ccf_ccfaas_api_call(api, "POST", segs, 1, body, len, 300000, headers, &reply, err,
                            sizeof err) != CCF_OK)
        return failed(cmd, api, err);
    const char *id = json_string_value(json_object_get(reply.json, "task"));
    if (id == NULL) {
        fprintf(stderr, "ccfaas %s: unexpected reply: no task id\n", cmd);
    } else if (!watch) {
        printf("%s\n", json_out ? reply.body : id);
        rc = CCF_EXIT_OK;
    } else {
        rc = watch_task(api, cmd, id, json_out);
        if (rc == CCF_EXIT_OK && file != NULL)
            rc = download(api, id, file, NULL, false);
    }
    ccf_ccfaas_api_reply_free(&reply);
    return rc;
}

static int task_run(int argc, char **argv)
{
    const char *url = NULL, *program = NULL, *args = NULL, *trust_opt = NULL, *enc = NULL,
               *det = NULL;
    ccf_opt_list inputs = {0}, secrets = {0}, outputs = {0};
    ccf_opt_args pos = {0};
    long timeout = 0;
    bool watch = false, json_out = false;
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .help = URL_HELP},
        {.name = "program", .kind = CCF_OPT_STRING, .dest = &program, .value = "NAME",
         .help = "the program to run (default: the function's only one)"},
        {.name = "args", .kind = CCF_OPT_STRING, .dest = &args, .value = "ARGS",
         .help = "arguments, given to the program as the file `args`"},
        {.name = "input", .kind = CCF_OPT_PAIR, .dest = &inputs, .value = "NAME=PATH|URI",
         .help = "an input file: a local file (sent in the request) or an http:// URI\n"
                 "(CCFaaS fetches it); repeatable"},
        {.name = "secret", .kind = CCF_OPT_PAIR, .dest = &secrets, .value = "NAME=VALUE",
         .help = "a secret written into the instance as the file NAME, never stored; repeatable"},
        {.name = "output", .kind = CCF_OPT_LIST, .dest = &outputs, .value = "NAME",
         .help = "an output to collect (default: every file the program may write); repeatable"},
        {.name = "deterministic-output", .kind = CCF_OPT_STRING, .dest = &det, .value = "NAME",
         .help = "the output computed.json hashes (default: the first)"},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &trust_opt, .value = "FILE",
         .help = "your trust configuration (default $CCFAAS_TRUST, then\n"
                 "~/.config/ccfaas/trust.json): the instance is verified with it"},
        {.name = "encrypt-to", .kind = CCF_OPT_STRING, .dest = &enc, .value = "PUBKEY.pem",
         .help = "encrypt the result to this public key (CCFaaS keeps only ciphertext)"},
        {.name = "timeout", .kind = CCF_OPT_NUM, .dest = &timeout, .value = "SECONDS",
         .help = "fail the task after this long (default 600)", .min = 1, .max = 3600},
        {.name = "watch", .kind = CCF_OPT_FLAG, .dest = &watch,
         .help = "wait until the task ends and print its final state (exit 1 unless completed)"},
        {.name = "json", .kind = CCF_OPT_FLAG, .dest = &json_out, .help = "print JSON"},
        {0}};
    const ccf_opt_cmd cmd = {.cmd = "task run", .args = "FUNCTION", .min_args = 1, .max_args = 1,
                             .about = "Runs FUNCTION once as a task and prints its id."};
    char err[1024], trust_path[4096];
    char *trust_text = NULL, *body = NULL;
    size_t trust_len = 0;
    json_t *req = NULL;
    ccf_ccfaas_api *api = NULL;
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &pos);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if ((api = api_open(&cmd, url)) == NULL)
        goto out;
    if (!read_trust(cmd.cmd, trust_opt, trust_path, &trust_text, &trust_len))
        goto out;
    json_t *trust = json_loadb(trust_text, trust_len, 0, NULL);
    req = json_pack("{s:s, s:o*}", "function", pos.items[0], "trust", trust);
    if (req == NULL) {
        fprintf(stderr, "ccfaas task run: %s is not JSON\n", trust_path);
        goto out;
    }
    if (program)
        json_object_set_new(req, "program", json_string(program));
    if (args)
        json_object_set_new(req, "args", json_string(args));
    if (det)
        json_object_set_new(req, "deterministic_output", json_string(det));
    if (timeout)
        json_object_set_new(req, "timeout_s", json_integer(timeout));
    json_t *arr = json_array();
    for (size_t i = 0; i < inputs.count; i++) {
        const char *v = inputs.items[i], *eq = strchr(v, '=');
        char *name = strndup(v, (size_t)(eq - v));
        if (strncmp(eq + 1, "http://", 7) == 0) {
            json_array_append_new(arr, json_pack("{s:s, s:s}", "name", name, "uri", eq + 1));
        } else {
            char *data = NULL, *enc64 = NULL;
            size_t len = 0;
            if (ccf_file_read(eq + 1, TASK_MAX_INPUT, &data, &len, err, sizeof err) != CCF_OK ||
                (enc64 = b64(data, len)) == NULL) {
                fprintf(stderr, "ccfaas task run: --input %s: %s\n", name, err);
                free(data);
                free(name);
                json_decref(arr);
                goto out;
            }
            json_array_append_new(arr, json_pack("{s:s, s:s}", "name", name, "data", enc64));
            free(data);
            free(enc64);
        }
        free(name);
    }
    if (inputs.count)
        json_object_set(req, "inputs", arr);
    json_decref(arr);
    arr = json_array();
    for (size_t i = 0; i < secrets.count; i++) {
        const char *v = secrets.items[i], *eq = strchr(v, '=');
        char *name = strndup(v, (size_t)(eq - v));
        json_array_append_new(arr, json_pack("{s:s, s:s}", "name", name, "value", eq + 1));
        free(name);
    }
    if (secrets.count)
        json_object_set(req, "secrets", arr);
    json_decref(arr);
    arr = json_array();
    for (size_t i = 0; i < outputs.count; i++)
        json_array_append_new(arr, json_string(outputs.items[i]));
    if (outputs.count)
        json_object_set(req, "outputs", arr);
    json_decref(arr);
    if (enc != NULL) {
        json_t *jwk = jwk_of(enc, err, sizeof err);
        if (jwk == NULL) {
            fprintf(stderr, "ccfaas task run: --encrypt-to: %s\n", err);
            goto out;
        }
        json_object_set_new(req, "result_key", jwk);
    }
    if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
        goto out;
    rc = submit(api, cmd.cmd, "task", body, strlen(body), NULL, watch, json_out, NULL);
out:
    json_decref(req);
    free(body);
    free(trust_text);
    ccf_ccfaas_api_free(api);
    ccf_opt_lists_free(opts);
    ccf_opt_args_free(&pos);
    return rc;
}

/* Writes the result: the archive, or (--key) the archive decrypted from its JWE. */
static int download(ccf_ccfaas_api *api, const char *id, const char *file, const char *keyfile,
                    bool encrypted)
{
    ccf_ccfaas_api_reply reply;
    char err[1024];
    uint8_t *plain = NULL;
    size_t plen = 0;
    EVP_PKEY *key = NULL;
    int rc = CCF_EXIT_FAIL;
    const char *segs[] = {"task", id, "result"};
    /* an archive of outputs up to 256 MiB, or its JWE (base64url: 4/3 of it) */
    ccf_ccfaas_api_set_max_reply(api, TASK_MAX_RESULT_REPLY);
    if (ccf_ccfaas_api_call(api, "GET", segs, 3, NULL, 0, 120000, NULL, &reply, err, sizeof err) !=
        CCF_OK)
        return failed("task show", api, err);
    const void *data = reply.body;
    size_t len = reply.len;
    if (keyfile != NULL && encrypted) {
        FILE *f = fopen(keyfile, "rb");
        key = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
        if (f)
            fclose(f);
        if (key == NULL) {
            fprintf(stderr, "ccfaas task show: --key %s: not a PEM private key\n", keyfile);
            goto out;
        }
        if (ccf_jwe_decrypt_text(reply.body, reply.len, key, &plain, &plen, err, sizeof err) !=
            CCF_OK) {
            fprintf(stderr, "ccfaas task show: the result does not decrypt with %s: %s\n",
                    keyfile, err);
            goto out;
        }
        data = plain;
        len = plen;
    } else if (encrypted) {
        fprintf(stderr, "ccfaas task show: the result is encrypted: writing the JWE (decrypt "
                        "it with --key KEY.pem)\n");
    }
    if (ccf_file_write_atomic(file, data, len, 0600, false, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas task show: %s\n", err);
        goto out;
    }
    fprintf(stderr, "wrote %s (%zu bytes)\n", file, len);
    rc = CCF_EXIT_OK;
out:
    ccf_jose_secret_free(plain, plen);
    EVP_PKEY_free(key);
    ccf_ccfaas_api_reply_free(&reply);
    return rc;
}

static int task_show(int argc, char **argv)
{
    const char *url = NULL, *file = NULL, *keyfile = NULL;
    bool json_out = false;
    ccf_opt_args pos = {0};
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .help = URL_HELP},
        {.name = "download", .kind = CCF_OPT_STRING, .dest = &file, .value = "FILE",
         .help = "write the result (a zip archive) to FILE", .nonempty = true},
        {.name = "key", .kind = CCF_OPT_STRING, .dest = &keyfile, .value = "KEY.pem",
         .help = "the private key an encrypted result is decrypted with"},
        {.name = "json", .kind = CCF_OPT_FLAG, .dest = &json_out, .help = "print JSON"},
        {0}};
    const ccf_opt_cmd cmd = {.cmd = "task show", .args = "ID", .min_args = 1, .max_args = 1,
                             .about = "Shows a task; --download writes its result."};
    char err[1024];
    json_t *t = NULL;
    ccf_ccfaas_api *api = NULL;
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &pos);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if ((api = api_open(&cmd, url)) == NULL)
        goto out;
    if ((t = get_task(api, pos.items[0], err, sizeof err)) == NULL) {
        rc = failed(cmd.cmd, api, err);
        goto out;
    }
    print_task(t, json_out);
    rc = CCF_EXIT_OK;
    if (file != NULL)
        rc = download(api, pos.items[0], file, keyfile,
                      json_is_true(json_object_get(json_object_get(t, "result"), "encrypted")));
out:
    json_decref(t);
    ccf_ccfaas_api_free(api);
    ccf_opt_args_free(&pos);
    return rc;
}

/* logs, delete: one call on task/ID[/what]. */
static int task_one(int argc, char **argv, const char *name, const char *method,
                    const char *what, const char *about)
{
    const char *url = NULL;
    ccf_opt_args pos = {0};
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .help = URL_HELP},
        {0}};
    const ccf_opt_cmd cmd = {.cmd = name, .args = "ID", .min_args = 1, .max_args = 1,
                             .about = about};
    char err[1024];
    ccf_ccfaas_api *api = NULL;
    ccf_ccfaas_api_reply reply = {0};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &pos);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if ((api = api_open(&cmd, url)) == NULL)
        goto out;
    const char *segs[] = {"task", pos.items[0], what};
    if (ccf_ccfaas_api_call(api, method, segs, what ? 3 : 2, NULL, 0, 0, NULL, &reply, err,
                            sizeof err) != CCF_OK) {
        rc = failed(cmd.cmd, api, err);
        goto out;
    }
    if (what != NULL)
        fwrite(reply.body, 1, reply.len, stdout);
    else
        printf("deleted task %s\n", pos.items[0]);
    rc = CCF_EXIT_OK;
out:
    ccf_ccfaas_api_reply_free(&reply);
    ccf_ccfaas_api_free(api);
    ccf_opt_args_free(&pos);
    return rc;
}

static int task_logs(int argc, char **argv)
{
    return task_one(argc, argv, "task logs", "GET", "logs",
                    "Prints the log of a task of a debug function (its program's stderr).");
}

static int task_delete(int argc, char **argv)
{
    return task_one(argc, argv, "task delete", "DELETE", NULL,
                    "Deletes an ended task and its result.");
}

static int task_list(int argc, char **argv)
{
    const char *url = NULL;
    bool json_out = false;
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .help = URL_HELP},
        {.name = "json", .kind = CCF_OPT_FLAG, .dest = &json_out, .help = "print JSON"},
        {0}};
    const ccf_opt_cmd cmd = {.cmd = "task list", .about = "Lists your tasks, newest first."};
    char err[1024];
    ccf_ccfaas_api *api = NULL;
    ccf_ccfaas_api_reply reply = {0};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, NULL);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if ((api = api_open(&cmd, url)) == NULL)
        goto out;
    const char *segs[] = {"task"};
    if (ccf_ccfaas_api_call(api, "GET", segs, 1, NULL, 0, 0, NULL, &reply, err, sizeof err) !=
        CCF_OK) {
        rc = failed(cmd.cmd, api, err);
        goto out;
    }
    const json_t *arr = json_object_get(reply.json, "tasks");
    if (json_out) {
        printf("%s\n", reply.body);
    } else {
        size_t i;
        const json_t *t;
        json_array_foreach(arr, i, t) print_status(t);
    }
    rc = CCF_EXIT_OK;
out:
    ccf_ccfaas_api_reply_free(&reply);
    ccf_ccfaas_api_free(api);
    return rc;
}

int ccf_cmd_task(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {{"run", task_run},   {"show", task_show},     {"logs", task_logs},
                {"list", task_list}, {"delete", task_delete}};
    int rc = CCF_EXIT_USAGE;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(task_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    size_t k = 0;
    while (k < sizeof subs / sizeof subs[0] && strcmp(argv[1], subs[k].name) != 0)
        k++;
    if (k < sizeof subs / sizeof subs[0])
        rc = subs[k].run(argc - 1, argv + 1);
    else
        fprintf(stderr, "ccfaas task: unknown subcommand '%s' (see `ccfaas task --help`)\n",
                argv[1]);
    curl_global_cleanup();
    return rc;
}

/* `ccfaas compute MANIFEST.json`: a Cocos computation manifest run as a task. */
int ccf_cmd_compute(int argc, char **argv)
{
    const char *url = NULL, *trust_opt = NULL, *file = NULL, *ruser = NULL, *rpass = NULL,
               *enc = NULL;
    bool watch = false, json_out = false, curl_up = false;
    ccf_opt_args pos = {0};
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .help = URL_HELP},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &trust_opt, .value = "FILE",
         .help = "your trust configuration (default $CCFAAS_TRUST, then\n"
                 "~/.config/ccfaas/trust.json): the instance is verified with it"},
        {.name = "encrypt-to", .kind = CCF_OPT_STRING, .dest = &enc, .value = "PUBKEY.pem",
         .help = "encrypt the result to this public key (CCFaaS keeps only ciphertext;\n"
                 "`ccfaas task show ID --download FILE --key KEY.pem` decrypts it)"},
        {.name = "watch", .kind = CCF_OPT_FLAG, .dest = &watch,
         .help = "wait until the task ends (exit 1 unless completed)"},
        {.name = "download", .kind = CCF_OPT_STRING, .dest = &file, .value = "FILE",
         .help = "with --watch: write the result archive (zip) to FILE (its JWE\n"
                 "with --encrypt-to)", .nonempty = true},
        {.name = "registry-user", .kind = CCF_OPT_STRING, .dest = &ruser, .value = "USER",
         .help = "basic credentials for the registries (with --registry-password-file)"},
        {.name = "registry-password-file", .kind = CCF_OPT_STRING, .dest = &rpass,
         .value = "FILE", .help = "the registry password (first line of FILE)"},
        {.name = "json", .kind = CCF_OPT_FLAG, .dest = &json_out, .help = "print JSON"},
        {0}};
    const ccf_opt_cmd cmd = {
        .cmd = "compute", .args = "MANIFEST.json", .min_args = 1, .max_args = 1,
        .about = "Runs a Cocos computation manifest (computation_id, algorithm, datasets,\n"
                 "kbs_url; docs/tasks.md) as a task: CCFaaS pulls the algorithm and the\n"
                 "datasets from their OCI registries; images encrypted with skopeo's\n"
                 "jwe: keys are pulled as ciphertext and opened inside the attested\n"
                 "instance with the private key the key broker releases to it\n"
                 "(kbs_resource_path). Prints the task id."};
    char err[1024], trust_path[4096], *manifest = NULL, *trust_text = NULL, *hdr = NULL;
    char *pw = NULL, *auth = NULL, *rkey = NULL;
    size_t mlen = 0, tlen = 0, pwlen = 0;
    ccf_ccfaas_api *api = NULL;
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &pos);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (file != NULL && !watch) {
        rc = ccf_opt_error(&cmd, "--download needs --watch");
        goto out;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_up = true;
    if ((api = api_open(&cmd, url)) == NULL)
        goto out;
    if (ccf_file_read(pos.items[0], 1024 * 1024, &manifest, &mlen, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas compute: %s\n", err);
        goto out;
    }
    if (!read_trust(cmd.cmd, trust_opt, trust_path, &trust_text, &tlen))
        goto out;
    if ((hdr = b64_header("CCFaaS-Trust", trust_text, tlen)) == NULL)
        goto out;
    if ((ruser == NULL) != (rpass == NULL)) {
        rc = ccf_opt_error(&cmd, "--registry-user and --registry-password-file go together");
        goto out;
    }
    if (ruser != NULL) { /* one more header: CCFaaS-Registry-Auth: base64(USER:PASSWORD) */
        if (ccf_file_read(rpass, 512, &pw, &pwlen, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas compute: %s\n", err);
            goto out;
        }
        pw[strcspn(pw, "\r\n")] = '\0';
        size_t ul = strlen(ruser) + strlen(pw) + 2;
        char *up = malloc(ul);
        if (up != NULL) {
            snprintf(up, ul, "%s:%s", ruser, pw);
            auth = b64_header("CCFaaS-Registry-Auth", up, ul - 1);
            OPENSSL_cleanse(up, ul);
            free(up);
        }
        if (auth == NULL)
            goto out;
    }
    if (enc != NULL) { /* CCFaaS-Result-Key: base64 of the public JWK */
        json_t *jwk = jwk_of(enc, err, sizeof err);
        char *text = jwk ? json_dumps(jwk, JSON_COMPACT) : NULL;
        rkey = text ? b64_header("CCFaaS-Result-Key", text, strlen(text)) : NULL;
        if (rkey == NULL)
            fprintf(stderr, "ccfaas compute: --encrypt-to: %s\n", jwk ? "out of memory" : err);
        json_decref(jwk);
        free(text);
        if (rkey == NULL)
            goto out;
    }
    const char *headers[4] = {hdr};
    size_t nh = 1;
    if (auth != NULL)
        headers[nh++] = auth;
    if (rkey != NULL)
        headers[nh++] = rkey;
    rc = submit(api, cmd.cmd, "computation", manifest, mlen, headers, watch, json_out, file);
out:
    free(rkey);
    free(manifest);
    free(trust_text);
    free(hdr);
    if (pw != NULL)
        OPENSSL_cleanse(pw, pwlen);
    free(pw);
    if (auth != NULL)
        OPENSSL_cleanse(auth, strlen(auth));
    free(auth);
    ccf_ccfaas_api_free(api);
    ccf_opt_args_free(&pos);
    if (curl_up)
        curl_global_cleanup();
    return rc;
}
