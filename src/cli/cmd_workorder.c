/* `ccfaas workorder workers|submit|result` (issue 19, docs/workorders.md):
 * ccfaas's own client of a work-order listener. By default it verifies the
 * worker's ccfaas proof against the user's trust file and uses a fresh IV per
 * item and RSA-OAEP with SHA-256; --avalon-mode speaks Avalon's one-IV,
 * SHA-1 protocol. A thin shell over workorder/client.h. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "client/trust_file.h"
#include "common/crypto.h"
#include "common/file.h"
#include "workorder/client.h"
#include "workorder/workorder.h"

#define DEFAULT_URL "http://127.0.0.1:1947"
#define MAX_IN_FILE (512u << 10)

static const char *default_url(void)
{
    const char *u = getenv("CCFAAS_WORKORDER_URL");
    return u != NULL && u[0] != '\0' ? u : DEFAULT_URL;
}

static const char *str_or(const json_t *v)
{
    return json_is_string(v) ? json_string_value(v) : "";
}

/* WorkerRetrieve with ccfaas's proof; *worker owned by the caller. */
static int retrieve(const char *url, const char *worker_id, json_t **worker, char *err, size_t size)
{
    int code = 0;
    json_t *params = json_pack("{s:s, s:s}", "workerId", worker_id, "proofDataType",
                               "ccfaas-attested-instance");
    ccf_err rc = ccf_wo_call(url, "WorkerRetrieve", params, 30000, worker, &code, err, size);
    json_decref(params);
    if (rc != CCF_OK)
        return CCF_EXIT_FAIL;
    if (*worker == NULL) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, size, "worker %.64s: %s (code %d)", worker_id, msg, code);
        return CCF_EXIT_FAIL;
    }
    return CCF_EXIT_OK;
}

static int verify(const json_t *worker, const char *trust_path, bool quiet, char *err, size_t size)
{
    char path[4096];
    ccf_trust *trust = NULL;
    ccf_verify_result vr;
    int rc = CCF_EXIT_FAIL;
    if (ccf_trust_file_path(trust_path, path, sizeof path, err, size) != CCF_OK ||
        ccf_trust_file_load(path, &trust, err, size) != CCF_OK)
        return CCF_EXIT_USAGE;
    if (ccf_wo_verify_worker(worker, trust, &vr, err, size) == CCF_OK) {
        if (!quiet)
            printf("  verified: %s%s\n", vr.detail,
                   vr.development_platform ? " (" CCF_VERIFY_DEV_NOTICE ")" : "");
        rc = CCF_EXIT_OK;
    }
    ccf_trust_free(trust);
    return rc;
}

static int workers(int argc, char **argv)
{
    const char *url = default_url(), *trust = NULL;
    bool do_verify = false;
    char err[1024];
    json_t *lookup = NULL, *params = json_object();
    int code = 0, rc;
    const ccf_opt_cmd cmd = {
        .cmd = "workorder workers",
        .about = "Lists the listener's workers (WorkerLookUp, WorkerRetrieve): id, status, type;\n"
                 "with --verify also checks each one's ccfaas proof against your trust file.\n"};
    const ccf_opt opts[] = {
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .nonempty = true,
         .help = "the listener; default $CCFAAS_WORKORDER_URL, else\nhttp://127.0.0.1:1947"},
        {.name = "verify", .kind = CCF_OPT_FLAG, .dest = &do_verify,
         .help = "verify each worker's attested instance and keys"},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &trust, .value = "FILE", .nonempty = true,
         .help = "your trust file (default $CCFAAS_TRUST, then\n~/.config/ccfaas/trust.json)"},
        {0}};
    if ((rc = ccf_opt_run(&cmd, opts, argc, argv, NULL)) >= 0) {
        json_decref(params);
        return rc;
    }
    rc = CCF_EXIT_FAIL;
    if (ccf_wo_call(url, "WorkerLookUp", params, 30000, &lookup, &code, err, sizeof err) != CCF_OK ||
        lookup == NULL) {
        fprintf(stderr, "ccfaas workorder workers: %s\n", err);
        goto out;
    }
    rc = CCF_EXIT_OK;
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(lookup, "ids"), i, id) {
        json_t *w = NULL;
        if (!json_is_string(id) || retrieve(url, json_string_value(id), &w, err, sizeof err) != 0) {
            fprintf(stderr, "ccfaas workorder workers: %s\n", err);
            rc = CCF_EXIT_FAIL;
            continue;
        }
        printf("%s status=%lld type=%lld\n", json_string_value(id),
               (long long)json_integer_value(json_object_get(w, "status")),
               (long long)json_integer_value(json_object_get(w, "workerType")));
        if (do_verify && verify(w, trust, false, err, sizeof err) != CCF_EXIT_OK) {
            printf("  NOT verified: %s\n", err);
            rc = CCF_EXIT_FAIL;
        }
        json_decref(w);
    }
out:
    json_decref(lookup);
    json_decref(params);
    return rc;
}

/* Polls WorkOrderGetResult while it answers "pending" (5), up to timeout_s. */
static int get_result(const char *url, const char *woid, long timeout_s, json_t **result, char *err,
                      size_t size)
{
    json_t *params = json_pack("{s:s}", "workOrderId", woid);
    time_t end = time(NULL) + timeout_s;
    int code = 0;
    for (;;) {
        if (ccf_wo_call(url, "WorkOrderGetResult", params, 30000, result, &code, err, size) != CCF_OK)
            break;
        if (*result != NULL || code != CCF_WO_PENDING || time(NULL) >= end)
            break;
        usleep(200 * 1000);
    }
    json_decref(params);
    if (*result == NULL && code != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, size, "work order %.64s: %s (code %d)", woid, msg, code);
    }
    return *result != NULL ? CCF_EXIT_OK : CCF_EXIT_FAIL;
}

static int write_out(const char *path, const uint8_t *data, size_t len, char *err, size_t size)
{
    if (path == NULL || strcmp(path, "-") == 0) {
        fwrite(data, 1, len, stdout);
        if (len == 0 || data[len - 1] != '\n')
            putchar('\n');
        return fflush(stdout) == 0 ? CCF_EXIT_OK : CCF_EXIT_FAIL;
    }
    return ccf_file_write_atomic(path, data, len, 0600, false, err, size) == CCF_OK ? CCF_EXIT_OK
                                                                                      : CCF_EXIT_FAIL;
}

/* What `result` needs later: the request's ids, the worker's verification
 * key and the session (a secret: 0600). */
static int save_session(const char *path, const json_t *req, const char *vk, const ccf_wo_session *s,
                        char *err, size_t size)
{
    char key[2 * CCF_WO_KEY_LEN + 1], iv[2 * CCF_WO_IV_LEN + 1];
    ccf_hex_encode(s->key, sizeof s->key, key);
    ccf_hex_encode(s->iv, sizeof s->iv, iv);
    json_t *j = json_pack("{s:O, s:s, s:s, s:s, s:b}", "request", (json_t *)req, "verificationKey", vk,
                          "sessionKey", key, "iv", iv, "avalonMode", s->avalon_mode);
    char *text = j ? json_dumps(j, JSON_INDENT(1)) : NULL;
    int rc = text && ccf_file_write_atomic(path, text, strlen(text), 0600, false, err, size) == CCF_OK
                 ? CCF_EXIT_OK : CCF_EXIT_FAIL;
    OPENSSL_cleanse(key, sizeof key);
    if (text != NULL)
        OPENSSL_cleanse(text, strlen(text));
    free(text);
    json_decref(j);
    return rc;
}

static int open_and_print(const json_t *res, const json_t *req, const char *vk, const ccf_wo_session *s,
                          const char *out_path, const char *who)
{
    uint8_t *plain = NULL;
    size_t len = 0;
    char err[600];
    int rc = CCF_EXIT_FAIL;
    if (ccf_wo_open_result(res, req, vk, s, &plain, &len, err, sizeof err) != CCF_OK)
        fprintf(stderr, "ccfaas workorder %s: %s\n", who, err);
    else if ((rc = write_out(out_path, plain, len, err, sizeof err)) != CCF_EXIT_OK)
        fprintf(stderr, "ccfaas workorder %s: %s\n", who, err);
    if (plain != NULL)
        OPENSSL_cleanse(plain, len);
    free(plain);
    return rc;
}

static int submit(int argc, char **argv)
{
    const char *url = default_url(), *trust = NULL, *name = NULL, *wid_hex = NULL, *workload = NULL;
    const char *session_path = NULL, *out_path = NULL;
    bool avalon = false, no_verify = false;
    long timeout = 300;
    ccf_opt_list texts = {0}, files = {0};
    char err[1024], wid[65];
    json_t *worker = NULL, *req = NULL, *res = NULL, *ans = NULL;
    ccf_wo_session s;
    const char **in = NULL;
    size_t *in_len = NULL, n = 0;
    char **owned = NULL;
    int code = 0, rc;
    const ccf_opt_cmd cmd = {
        .cmd = "workorder submit",
        .about = "Submits a work order to a worker and prints its result: the worker's ccfaas proof\n"
                 "is verified against your trust file first, the in-data and the request hash are\n"
                 "encrypted with a fresh session key (a fresh IV per item, RSA-OAEP with SHA-256:\n"
                 "docs/workorders.md), the result's signature is checked before it is decrypted.\n",
        .epilog = "\nExit status: 0 the result was verified and printed, 1 a failure (the worker's\n"
                  "error code and message on stderr), 2 usage.\n"};
    const ccf_opt opts[] = {
        {.name = "worker", .short_name = 'w', .kind = CCF_OPT_STRING, .dest = &name, .value = "NAME",
         .nonempty = true, .help = "the worker by name (its id is SHA-256 of the name)"},
        {.name = "worker-id", .kind = CCF_OPT_STRING, .dest = &wid_hex, .value = "HEX",
         .nonempty = true, .help = "the worker by id (64 hex digits)"},
        {.name = "workload", .short_name = 'l', .kind = CCF_OPT_STRING, .dest = &workload,
         .value = "ID", .nonempty = true, .help = "the workload, e.g. python-hello (required)"},
        {.name = "in-data", .short_name = 'i', .kind = CCF_OPT_LIST, .dest = &texts, .value = "TEXT",
         .help = "an in-data item (repeatable; in order, with --in-file)"},
        {.name = "in-file", .kind = CCF_OPT_LIST, .dest = &files, .value = "FILE",
         .help = "an in-data item from a file (at most 512 KiB; repeatable)"},
        {.name = "avalon-mode", .kind = CCF_OPT_FLAG, .dest = &avalon,
         .help = "Avalon's protocol: one IV for every item, RSA-OAEP with\nSHA-1 (weaker; "
                 "docs/workorders.md)"},
        {.name = "no-verify", .kind = CCF_OPT_FLAG, .dest = &no_verify,
         .help = "do not verify the worker's instance (its keys are then\ntaken on the listener's word)"},
        {.name = "trust", .kind = CCF_OPT_STRING, .dest = &trust, .value = "FILE", .nonempty = true,
         .help = "your trust file (default $CCFAAS_TRUST, then\n~/.config/ccfaas/trust.json)"},
        {.name = "session", .kind = CCF_OPT_STRING, .dest = &session_path, .value = "FILE",
         .nonempty = true,
         .help = "also write the session (the key: a secret, 0600) for\n`ccfaas workorder result`"},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &out_path,
         .value = "FILE", .nonempty = true, .help = "write the result to FILE (default: stdout)"},
        {.name = "timeout", .kind = CCF_OPT_NUM, .dest = &timeout, .value = "SECONDS",
         .help = "wait this long for the result (default 300)", .min = 1, .max = 86400},
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .nonempty = true,
         .help = "the listener; default $CCFAAS_WORKORDER_URL, else\nhttp://127.0.0.1:1947"},
        {0}};
    memset(&s, 0, sizeof s);
    if ((rc = ccf_opt_run(&cmd, opts, argc, argv, NULL)) >= 0)
        goto out;
    if (workload == NULL || (name == NULL) == (wid_hex == NULL) || texts.count + files.count == 0) {
        rc = ccf_opt_error(&cmd, "needs --workload, one of --worker and --worker-id, and at least "
                                 "one --in-data or --in-file");
        goto out;
    }
    if (wid_hex != NULL && (strlen(wid_hex) != 64 || !ccf_is_hex(wid_hex, 64))) {
        rc = ccf_opt_error(&cmd, "--worker-id: expected 64 hex digits");
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (name != NULL ? !ccf_wo_worker_id(name, wid) : snprintf(wid, sizeof wid, "%s", wid_hex) != 64)
        goto out;
    n = texts.count + files.count;
    in = calloc(n, sizeof *in);
    in_len = calloc(n, sizeof *in_len);
    owned = calloc(n, sizeof *owned);
    if (in == NULL || in_len == NULL || owned == NULL)
        goto out;
    for (size_t i = 0; i < texts.count; i++) {
        in[i] = texts.items[i];
        in_len[i] = strlen(texts.items[i]);
    }
    for (size_t i = 0; i < files.count; i++) {
        size_t k = texts.count + i;
        if (ccf_file_read(files.items[i], MAX_IN_FILE, &owned[k], &in_len[k], err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas workorder submit: --in-file %s: %s\n", files.items[i], err);
            rc = CCF_EXIT_USAGE;
            goto out;
        }
        in[k] = owned[k];
    }
    if (retrieve(url, wid, &worker, err, sizeof err) != CCF_EXIT_OK) {
        fprintf(stderr, "ccfaas workorder submit: %s\n", err);
        goto out;
    }
    if (!no_verify && (rc = verify(worker, trust, true, err, sizeof err)) != CCF_EXIT_OK) {
        fprintf(stderr, "ccfaas workorder submit: the worker is not verified: %s\n", err);
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    const char *vk = json_string_value(json_object_get(
        json_object_get(json_object_get(worker, "details"), "workerTypeData"), "verificationKey"));
    if (ccf_wo_make_request(worker, wid, workload, in, in_len, n, avalon, &s, &req, err,
                            sizeof err) != CCF_OK ||
        (session_path != NULL && save_session(session_path, req, vk ? vk : "", &s, err, sizeof err) != 0)) {
        fprintf(stderr, "ccfaas workorder submit: %s\n", err);
        goto out;
    }
    if (ccf_wo_call(url, "WorkOrderSubmit", req, 30000L + timeout * 1000, &ans, &code, err,
                    sizeof err) != CCF_OK ||
        (ans == NULL && code != CCF_WO_PENDING)) {
        fprintf(stderr, "ccfaas workorder submit: %s (code %d)\n", err, code);
        goto out;
    }
    const char *woid = json_string_value(json_object_get(req, "workOrderId"));
    if (ans != NULL) { /* a synchronous listener answers with the result itself */
        res = ans;
        ans = NULL;
    } else if (get_result(url, woid, timeout, &res, err, sizeof err) != CCF_EXIT_OK) {
        fprintf(stderr, "ccfaas workorder submit: %s\n", err);
        goto out;
    }
    fprintf(stderr, "ccfaas workorder submit: work order %s: result signed by the worker\n", woid);
    rc = open_and_print(res, req, vk, &s, out_path, "submit");
out:
    ccf_wo_session_clear(&s);
    for (size_t i = 0; owned != NULL && i < n; i++) {
        if (owned[i] != NULL)
            OPENSSL_cleanse(owned[i], in_len[i]);
        free(owned[i]);
    }
    free(owned);
    free(in);
    free(in_len);
    json_decref(worker);
    json_decref(req);
    json_decref(res);
    json_decref(ans);
    ccf_opt_lists_free(opts);
    return rc;
}

static int result(int argc, char **argv)
{
    const char *url = default_url(), *session_path = NULL, *out_path = NULL;
    long timeout = 300;
    ccf_opt_args args = {0};
    char err[1024], *text = NULL;
    size_t len = 0, n;
    json_t *sess = NULL, *res = NULL;
    ccf_wo_session s;
    int rc;
    const ccf_opt_cmd cmd = {
        .cmd = "workorder result",
        .args = "WORKORDER_ID",
        .min_args = 1,
        .max_args = 1,
        .about = "Fetches a work order's result again (it stays at the listener), checks the\n"
                 "worker's signature and decrypts it with the session `submit --session` wrote.\n"};
    const ccf_opt opts[] = {
        {.name = "session", .kind = CCF_OPT_STRING, .dest = &session_path, .value = "FILE",
         .nonempty = true, .help = "the session file of the submit (required)"},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &out_path,
         .value = "FILE", .nonempty = true, .help = "write the result to FILE (default: stdout)"},
        {.name = "timeout", .kind = CCF_OPT_NUM, .dest = &timeout, .value = "SECONDS",
         .help = "wait this long while it is pending (default 300)", .min = 1, .max = 86400},
        {.name = "url", .kind = CCF_OPT_STRING, .dest = &url, .value = "URL", .nonempty = true,
         .help = "the listener; default $CCFAAS_WORKORDER_URL, else\nhttp://127.0.0.1:1947"},
        {0}};
    memset(&s, 0, sizeof s);
    if ((rc = ccf_opt_run(&cmd, opts, argc, argv, &args)) >= 0)
        goto out;
    if (session_path == NULL) {
        rc = ccf_opt_error(&cmd, "--session FILE is required (what `submit --session` wrote)");
        goto out;
    }
    rc = CCF_EXIT_USAGE;
    if (ccf_file_read(session_path, 1 << 20, &text, &len, err, sizeof err) != CCF_OK ||
        (sess = json_loadb(text, len, 0, NULL)) == NULL ||
        !ccf_wo_unhex(str_or(json_object_get(sess, "sessionKey")), s.key, sizeof s.key, &n) ||
        n != sizeof s.key ||
        !ccf_wo_unhex(str_or(json_object_get(sess, "iv")), s.iv, sizeof s.iv, &n) ||
        n != sizeof s.iv || !json_is_string(json_object_get(sess, "verificationKey"))) {
        fprintf(stderr, "ccfaas workorder result: --session %s: not a session file of `submit`\n",
                session_path);
        goto out;
    }
    s.avalon_mode = json_is_true(json_object_get(sess, "avalonMode"));
    const json_t *req = json_object_get(sess, "request");
    if (strcmp(str_or(json_object_get(req, "workOrderId")), args.items[0]) != 0) {
        fprintf(stderr, "ccfaas workorder result: --session %s is the session of work order %s\n",
                session_path, json_string_value(json_object_get(req, "workOrderId")));
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (get_result(url, args.items[0], timeout, &res, err, sizeof err) != CCF_EXIT_OK) {
        fprintf(stderr, "ccfaas workorder result: %s\n", err);
        goto out;
    }
    rc = open_and_print(res, req, json_string_value(json_object_get(sess, "verificationKey")), &s,
                        out_path, "result");
out:
    ccf_wo_session_clear(&s);
    if (text != NULL)
        OPENSSL_cleanse(text, len);
    free(text);
    json_decref(sess);
    json_decref(res);
    ccf_opt_args_free(&args);
    return rc;
}

int ccf_cmd_workorder(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *o = argc < 2 ? stderr : stdout;
        fprintf(o, "usage: ccfaas workorder COMMAND [OPTIONS]\n\n"
                   "commands:\n"
                   "  workers  list the listener's workers (--verify: check their instances)\n"
                   "  submit   submit a work order and print its verified, decrypted result\n"
                   "  result   fetch a work order's result again (with the submit's session)\n"
                   "\nThe listener itself: `ccfaas serve workorder` (docs/workorders.md).\n");
        return argc < 2 ? CCF_EXIT_USAGE : CCF_EXIT_OK;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = CCF_EXIT_USAGE;
    if (strcmp(argv[1], "workers") == 0)
        rc = workers(argc - 1, argv + 1);
    else if (strcmp(argv[1], "submit") == 0)
        rc = submit(argc - 1, argv + 1);
    else if (strcmp(argv[1], "result") == 0)
        rc = result(argc - 1, argv + 1);
    else
        fprintf(stderr, "ccfaas workorder: unknown command '%s' (see `ccfaas workorder --help`)\n",
                argv[1]);
    curl_global_cleanup();
    return rc;
}
