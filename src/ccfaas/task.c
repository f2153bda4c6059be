/* CCFaaS tasks (issue 20, docs/tasks.md): a registered function run once.
 * POST /task checks the request and answers at once (201, state pending); a
 * thread of the task then makes an instance as POST /instance does (with a
 * fresh identity of the task's own as its only user), verifies it with the
 * owner's trust configuration as a client would, writes args, inputs and
 * secrets, executes, reads the declared outputs into a zip archive with
 * computed.json (iExec's form), encrypts it to the requester's key when one
 * was given, keeps a debug function's log, and deletes the instance. */
#define _GNU_SOURCE /* memfd_create */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest/trust.h"
#include "ccfaas/internal.h"
#include "ccfaas/task_request.h"
#include "ccfaas/task_store.h"
#include "client/client.h"
#include "client/expect.h"
#include "client/identity.h"
#include "common/crypto.h"
#include "common/dynbuf.h"
#include "common/file.h"
#include "common/log.h"
#include "common/utc.h"
#include "jose/jose.h"
#include "net/http_client.h"
#include "policy/rights.h"

/* POST /task bodies: inputs travel base64 in the JSON. */
#define TASK_MAX_BODY (64u * 1024u * 1024u)
/* One output, and the whole archive. */
#define TASK_MAX_OUTPUT (256u * 1024u * 1024u)
#define TASK_READ_RIGHTS (CCF_FD_READ | CCF_FD_SEEK | CCF_PATH_OPEN)
#define TASK_WRITE_RIGHTS CCF_EXPECT_LOADER_RIGHTS
#define TASK_ID_LEN 32

struct job {
    ccf_ccfaas *svc;
    char id[TASK_ID_LEN + 1];
    char instance[TASK_ID_LEN + 8];
    char *owner;
    ccf_task_request *req;
    ccf_trust *trust;
    char *program;
    char **outputs; /* resolved: the request's or the program's writable files */
    size_t output_count;
    bool debug;
    bool drop_function; /* a computation's function, made for this task alone */
    time_t deadline;
    char dir[PATH_MAX + 64];
};

static void job_free(struct job *j)
{
    if (j == NULL)
        return;
    free(j->owner);
    ccf_task_request_free(j->req);
    ccf_trust_free(j->trust);
    free(j->program);
    for (size_t i = 0; i < j->output_count; i++)
        free(j->outputs[i]);
    free(j->outputs);
    free(j);
}

/* ---- status ------------------------------------------------------------------- */

static json_t *task_json(const ccf_task_row *r)
{
    char when[CCF_UTC_LEN];
    ccf_utc_format((time_t)r->created, when);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "task", r->id, "function",
                          r->function, "program", r->program, "owner", r->owner, "state",
                          r->state, "created", when, "debug", r->debug);
    if (o == NULL)
        return NULL;
    if (r->started) {
        ccf_utc_format((time_t)r->started, when);
        json_object_set_new(o, "started", json_string(when));
    }
    if (r->ended) {
        ccf_utc_format((time_t)r->ended, when);
        json_object_set_new(o, "ended", json_string(when));
    }
    if (r->reason != NULL)
        json_object_set_new(o, "reason", json_string(r->reason));
    if (r->step != NULL)
        json_object_set_new(o, "step", json_string(r->step));
    json_t *outs = json_loads(r->outputs, 0, NULL);
    json_object_set_new(o, "outputs", outs ? outs : json_array());
    if (r->result_size >= 0)
        json_object_set_new(o, "result",
                            json_pack("{s:I, s:s, s:b, s:s, s:s}", "size",
                                      (json_int_t)r->result_size, "sha256",
                                      r->result_sha256 ? r->result_sha256 : "", "encrypted",
                                      r->encrypted, "format",
                                      r->encrypted ? "jwe" : "zip", "result_digest",
                                      r->digest ? r->digest : ""));
    json_object_set_new(o, "logs", json_boolean(r->logs_size >= 0));
    return o;
}

/* ---- the run ------------------------------------------------------------------ */

/* A file of memory only, for ccf_client_put (a path): args, inputs, secrets
 * never touch a disk of the host. *path gets /proc/self/fd/N; close fd after. */
static int mem_file(const void *data, size_t len, char path[64], char *err, size_t err_size)
{
    int fd = memfd_create("ccfaas-task", MFD_CLOEXEC);
    size_t done = 0;
    if (fd < 0) {
        ccf_errf(err, err_size, CCF_ERR_IO, "memfd_create: %s", strerror(errno));
        return -1;
    }
    while (done < len) {
        ssize_t w = write(fd, (const char *)data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ccf_errf(err, err_size, CCF_ERR_IO, "memfd write: %s", strerror(errno));
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

/* A computation's key broker (its manifest's kbs_url) is the one the verified
 * instance fetched its keys from (the policy's kbs_url, set by VaaS); a
 * trailing '/' aside, the same text. */
static bool same_key_broker(const ccf_task_request *r, const ccf_policy *p, char *err,
                            size_t err_size)
{
    if (r->key_broker == NULL)
        return true;
    size_t a = strlen(r->key_broker), b = p->kbs_url ? strlen(p->kbs_url) : 0;
    while (a > 0 && r->key_broker[a - 1] == '/')
        a--;
    while (b > 0 && p->kbs_url[b - 1] == '/')
        b--;
    if (p->kbs_url != NULL && a == b && strncmp(r->key_broker, p->kbs_url, a) == 0)
        return true;
    ccf_errf(err, err_size, CCF_ERR_DENIED, "the manifest's kbs_url is %s, but the instance "
             "fetched its keys from %s (the platform's key broker: `ccfaas up` prints it; `serve "
             "vaas --kbs`); nothing was sent to it", r->key_broker,
             p->kbs_url ? p->kbs_url : "no key broker");
    return false;
}

static ccf_err put_bytes(ccf_client *c, const char *name, const void *data, size_t len, char *err,
                         size_t err_size)
{
    char path[64];
    int fd = mem_file(data, len, path, err, err_size);
    if (fd < 0)
        return CCF_ERR_IO;
    ccf_err rc = ccf_client_put(c, name, path, false, err, err_size);
    /* a secret's pages go with the descriptor: ftruncate frees them first */
    if (ftruncate(fd, 0) != 0) { /* nothing more to do */
    }
    close(fd);
    return rc;
}

/* GET url (http only), the body capped. */
static ccf_err fetch_uri(const char *uri, char **out, size_t *len, char *err, size_t err_size)
{
    ccf_http_reply reply = {0};
    ccf_http_call_req req = {.method = "GET", .url = uri, .timeout_ms = 120000,
                             .max_reply = TASK_MAX_BODY};
    *out = NULL;
    ccf_err rc = ccf_http_call(&req, &reply, err, err_size);
    if (rc != CCF_OK)
        return rc;
    if (reply.status != 200) {
        ccf_http_reply_free(&reply);
        return ccf_errf(err, err_size, CCF_ERR_IO, "GET %s answered %ld", uri, reply.status);
    }
    *out = reply.body;
    *len = reply.len;
    return CCF_OK;
}

static ccf_err read_all(const char *path, char **out, size_t *len, char *err, size_t err_size)
{
    return ccf_file_read(path, TASK_MAX_OUTPUT, out, len, err, err_size);
}

struct zip_sink {
    ccf_dynbuf *buf;
};

static la_ssize_t zip_write(struct archive *a, void *ctx, const void *data, size_t n)
{
    (void)a;
    struct zip_sink *s = ctx;
    return ccf_dynbuf_add(s->buf, data, n) == CCF_OK ? (la_ssize_t)n : -1;
}

static int zip_close(struct archive *a, void *ctx)
{
    (void)a;
    (void)ctx;
    return ARCHIVE_OK;
}

/* One archive member. */
static bool zip_add(struct archive *a, const char *name, const void *data, size_t len,
                    time_t when)
{
    struct archive_entry *e = archive_entry_new();
    bool ok = e != NULL;
    if (ok) {
        archive_entry_set_pathname(e, name);
        archive_entry_set_size(e, (la_int64_t)len);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_mtime(e, when, 0);
        ok = archive_write_header(a, e) == ARCHIVE_OK &&
             (len == 0 || archive_write_data(a, data, len) == (la_ssize_t)len);
    }
    archive_entry_free(e);
    return ok;
}

/* The result archive: every output under its name, then computed.json. */
static ccf_err build_zip(const struct job *j, char **data, size_t *sizes, const char *computed,
                         ccf_dynbuf *out, char *err, size_t err_size)
{
    struct archive *a = archive_write_new();
    struct zip_sink sink = {out};
    time_t now = time(NULL);
    ccf_err rc = CCF_OK;
    if (a == NULL || archive_write_set_format_zip(a) != ARCHIVE_OK ||
        archive_write_open(a, &sink, NULL, zip_write, zip_close) != ARCHIVE_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_INTERNAL, "zip: %s",
                      a ? archive_error_string(a) : "out of memory");
        goto out;
    }
    for (size_t i = 0; i < j->output_count; i++) {
        if (!zip_add(a, j->outputs[i], data[i], sizes[i], now)) {
            rc = ccf_errf(err, err_size, CCF_ERR_INTERNAL, "zip %s: %s", j->outputs[i],
                          archive_error_string(a));
            goto out;
        }
    }
    if (!zip_add(a, "computed.json", computed, strlen(computed), now) ||
        archive_write_close(a) != ARCHIVE_OK)
        rc = ccf_errf(err, err_size, CCF_ERR_INTERNAL, "zip: %s", archive_error_string(a));
out:
    archive_write_free(a);
    return rc;
}

/* The instance's log at VaaS (a debug instance: its program's stderr too). */
static char *vaas_log(const ccf_ccfaas *svc, const char *name, size_t *len)
{
    char url[700], err[256];
    ccf_http_reply reply = {0};
    snprintf(url, sizeof url, "%s/veracruz/%s/log", svc->vaas_url, name);
    ccf_http_call_req req = {.method = "GET", .url = url, .timeout_ms = 10000,
                             .bearer = svc->vaas_token};
    if (ccf_http_call(&req, &reply, err, sizeof err) != CCF_OK)
        return NULL;
    if (reply.status != 200) {
        ccf_http_reply_free(&reply);
        return NULL;
    }
    *len = reply.len;
    return reply.body;
}

/* The user policy of the task's instance: the task identity may write args,
 * inputs and secrets, read the outputs and execute the program. */
static char *user_policy(const struct job *j, const char *cert_pem)
{
    json_t *rights = json_array();
    const ccf_task_request *r = j->req;
    if (rights == NULL)
        return NULL;
#define RIGHT(n, v) json_array_append_new(rights, json_pack("{s:s, s:i}", "file_name", (n), \
                                                             "rights", (json_int_t)(v)))
    if (r->args != NULL)
        RIGHT("args", TASK_WRITE_RIGHTS);
    for (size_t i = 0; i < r->input_count; i++)
        RIGHT(r->inputs[i].name, TASK_WRITE_RIGHTS);
    for (size_t i = 0; i < r->secret_count; i++)
        RIGHT(r->secrets[i].name, TASK_WRITE_RIGHTS);
    for (size_t i = 0; i < j->output_count; i++)
        RIGHT(j->outputs[i], TASK_READ_RIGHTS);
    RIGHT(j->program, CCF_FD_EXECUTE);
#undef RIGHT
    json_t *p = json_pack("{s:s, s:s, s:[{s:s, s:o}]}", "function", r->function, "instanceid",
                          j->instance, "identities", "certificate", cert_pem, "file_rights",
                          rights);
    char *text = p ? json_dumps(p, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
    json_decref(p);
    return text;
}

/* The message of an error answer of ccf_ccfaas_instance_create. */
static void response_message(const ccf_http_response *resp, char *out, size_t size)
{
    json_t *j = resp->body ? json_loadb(resp->body, resp->body_len, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    snprintf(out, size, "%s", m ? m : "instance creation failed");
    json_decref(j);
}

static void remove_dir(const struct job *j)
{
    static const char *const files[] = {"task.crt", "task.key", "policy.json"};
    char p[PATH_MAX + 128];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", j->dir, files[i]);
        unlink(p);
    }
    for (size_t i = 0; i < j->output_count; i++) {
        snprintf(p, sizeof p, "%s/output-%zu", j->dir, i);
        unlink(p);
    }
    rmdir(j->dir);
}

/* The instance (when made) and a computation's function go: before the final
 * state is written, so that a caller who sees the task end finds neither. */
static void release(struct job *j, bool *made)
{
    char err[512];
    if (*made)
        ccf_ccfaas_forget(j->svc, j->instance, NULL, true);
    *made = false;
    if (j->drop_function &&
        ccf_ccfaas_store_function_delete(j->svc->store, j->req->function, NULL, err, sizeof err) !=
            CCF_STORE_OK)
        ccf_log_event("ccfaas", "task %s: removing function %s: %s", j->id, j->req->function, err);
    j->drop_function = false;
}

static void run(struct job *j)
{
    ccf_ccfaas *svc = j->svc;
    const ccf_task_request *r = j->req;
    char err[1024] = "", step[320] = "start", crt[PATH_MAX], key[PATH_MAX], path[PATH_MAX + 128];
    char *cert_pem = NULL, *user = NULL, *policy = NULL, *logs = NULL, *computed = NULL;
    char **data = NULL;
    size_t *sizes = NULL, policy_len = 0, pem_len = 0, logs_len = 0;
    ccf_http_response resp = {0};
    ccf_client *client = NULL;
    ccf_policy *userp = NULL;
    ccf_verify_result vr;
    ccf_dynbuf zip;
    bool made = false, timed_out = false;
    const char *state = "failed";
    long exit_code = 0;
    char trap[256] = "";

    ccf_dynbuf_init(&zip, TASK_MAX_OUTPUT);
    if (ccf_task_store_start(svc->tasks, j->id, err, sizeof err) != CCF_STORE_OK)
        goto fail;
    snprintf(step, sizeof step, "identity");
    if (mkdir(j->dir, 0700) != 0) {
        ccf_errf(err, sizeof err, CCF_ERR_IO, "mkdir %s: %s", j->dir, strerror(errno));
        goto fail;
    }
    if (ccf_identity_new(j->dir, "task", 2, crt, key, sizeof crt, NULL, err, sizeof err) !=
            CCF_OK ||
        ccf_file_read(crt, 64 * 1024, &cert_pem, &pem_len, err, sizeof err) != CCF_OK)
        goto fail;
    snprintf(step, sizeof step, "create instance");
    if ((user = user_policy(j, cert_pem)) == NULL) {
        ccf_errf(err, sizeof err, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (!ccf_ccfaas_instance_create(svc, user, strlen(user), j->owner, false, &resp, &policy,
                                    &policy_len)) {
        response_message(&resp, err, sizeof err);
        goto fail;
    }
    made = true;
    /* verified as the owner's client would: its anchors, then the identities
     * and rights it asked for (no one else may read what it writes) */
    snprintf(step, sizeof step, "verify");
    snprintf(path, sizeof path, "%s/policy.json", j->dir);
    if (ccf_file_write_atomic(path, policy, policy_len, 0600, false, err, sizeof err) != CCF_OK)
        goto fail;
    ccf_client_config cc = {.policy_path = path, .cert_path = crt, .key_path = key,
                            .timeout_s = r->timeout_s, .trust = j->trust};
    if (ccf_client_open(&cc, &client, err, sizeof err) != CCF_OK ||
        ccf_policy_parse(user, strlen(user), CCF_POLICY_USER, &userp, NULL) != CCF_OK ||
        ccf_expect_user_policy(ccf_client_policy(client), userp, err, sizeof err) != CCF_OK ||
        ccf_client_verify(client, &vr, err, sizeof err) != CCF_OK ||
        !same_key_broker(r, ccf_client_policy(client), err, sizeof err))
        goto fail;
    if (r->args != NULL) {
        snprintf(step, sizeof step, "write args");
        if (put_bytes(client, "args", r->args, strlen(r->args), err, sizeof err) != CCF_OK)
            goto fail;
    }
    for (size_t i = 0; i < r->input_count; i++) {
        const ccf_task_item *in = &r->inputs[i];
        char *fetched = NULL;
        size_t flen = 0;
        snprintf(step, sizeof step, "input %s", in->name);
        if (in->uri != NULL && fetch_uri(in->uri, &fetched, &flen, err, sizeof err) != CCF_OK)
            goto fail;
        ccf_err prc = put_bytes(client, in->name, fetched ? fetched : (const char *)in->data,
                                fetched ? flen : in->len, err, sizeof err);
        free(fetched);
        if (prc != CCF_OK)
            goto fail;
    }
    for (size_t i = 0; i < r->secret_count; i++) {
        snprintf(step, sizeof step, "secret %s", r->secrets[i].name);
        if (put_bytes(client, r->secrets[i].name, r->secrets[i].data, r->secrets[i].len, err,
                      sizeof err) != CCF_OK)
            goto fail;
    }
    snprintf(step, sizeof step, "execute %s", j->program);
    if (ccf_client_execute(client, j->program, &exit_code, trap, sizeof trap, err, sizeof err) !=
        CCF_OK) {
        timed_out = time(NULL) >= j->deadline;
        if (timed_out)
            ccf_errf(err, sizeof err, CCF_ERR_BUSY, "the program ran longer than timeout_s "
                     "(%ld s)", r->timeout_s);
        goto fail;
    }
    if (j->debug) /* the program's stderr, in the runtime's log at VaaS */
        logs = vaas_log(svc, j->instance, &logs_len);
    if (exit_code != 0) {
        if (exit_code < 0)
            ccf_errf(err, sizeof err, CCF_ERR_INVALID, "the program trapped: %s", trap);
        else
            ccf_errf(err, sizeof err, CCF_ERR_INVALID, "the program exited with code %ld",
                     exit_code);
        goto fail;
    }
    data = calloc(j->output_count, sizeof *data);
    sizes = calloc(j->output_count, sizeof *sizes);
    if (data == NULL || sizes == NULL) {
        ccf_errf(err, sizeof err, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    size_t det = 0;
    for (size_t i = 0; i < j->output_count; i++) {
        snprintf(step, sizeof step, "output %s", j->outputs[i]);
        snprintf(path, sizeof path, "%s/output-%zu", j->dir, i);
        ccf_err grc = ccf_client_get(client, j->outputs[i], path, err, sizeof err);
        if (grc == CCF_OK)
            grc = read_all(path, &data[i], &sizes[i], err, sizeof err);
        unlink(path);
        if (grc != CCF_OK)
            goto fail;
        if (r->deterministic_output && strcmp(r->deterministic_output, j->outputs[i]) == 0)
            det = i;
    }
    snprintf(step, sizeof step, "result");
    char digest[CCF_SHA256_HEX_LEN + 3] = "0x";
    if (!ccf_sha256_hex(data[det], sizes[det], digest + 2)) {
        ccf_errf(err, sizeof err, CCF_ERR_INTERNAL, "sha256 failed");
        goto fail;
    }
    /* iExec's computed.json, plus the list of outputs */
    json_t *outs = json_array();
    for (size_t i = 0; outs != NULL && i < j->output_count; i++)
        json_array_append_new(outs, json_string(j->outputs[i]));
    json_t *cj = json_pack("{s:s, s:s, s:s, s:o*}", "deterministic-output-path",
                           j->outputs[det], "result-digest", digest, "task-id", j->id, "outputs",
                           outs);
    computed = cj ? json_dumps(cj, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL;
    json_decref(cj);
    if (computed == NULL) {
        ccf_errf(err, sizeof err, CCF_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if (build_zip(j, data, sizes, computed, &zip, err, sizeof err) != CCF_OK)
        goto fail;
    const void *result = zip.p;
    size_t result_len = zip.len;
    char *jwe_text = NULL;
    if (r->result_key != NULL) {
        json_t *jwe = NULL;
        if (ccf_jwe_encrypt_to_jwk(r->result_key, zip.p, zip.len, &jwe, err, sizeof err) !=
            CCF_OK)
            goto fail;
        jwe_text = json_dumps(jwe, JSON_COMPACT);
        json_decref(jwe);
        if (jwe_text == NULL) {
            ccf_errf(err, sizeof err, CCF_ERR_NOMEM, "out of memory");
            goto fail;
        }
        result = jwe_text;
        result_len = strlen(jwe_text);
    }
    /* the instance goes before the state says ended: a caller who saw the task
     * end may make another at once (its instance quota) */
    ccf_client_free(client);
    client = NULL;
    release(j, &made);
    ccf_store_rc src = ccf_task_store_finish_ok(svc->tasks, j->id, result, result_len, digest,
                                                logs, logs_len, err, sizeof err);
    free(jwe_text);
    if (src != CCF_STORE_OK)
        goto fail;
    state = "completed";
    goto out;
fail:
    if (timed_out)
        state = "timed_out";
    ccf_client_free(client);
    client = NULL;
    release(j, &made);
    ccf_log_event("ccfaas", "task %s %s at step '%s': %s", j->id, state, step, err);
    if (ccf_task_store_finish_failed(svc->tasks, j->id, state, step, err, logs, logs_len, err,
                                     sizeof err) == CCF_STORE_FAILED)
        ccf_log_event("ccfaas", "task %s: %s", j->id, err);
out:
    ccf_client_free(client);
    release(j, &made); /* whatever happened: it ran once */
    remove_dir(j);
    for (size_t i = 0; data != NULL && i < j->output_count; i++) {
        if (data[i] != NULL)
            OPENSSL_cleanse(data[i], sizes[i]);
        free(data[i]);
    }
    ccf_dynbuf_free(&zip); /* wipes */
    free(data);
    free(sizes);
    free(computed);
    free(logs);
    free(cert_pem);
    free(user);
    free(policy);
    free(resp.body);
    free(resp.location);
    ccf_policy_free(userp);
}

static void *task_thread(void *arg)
{
    struct job *j = arg;
    ccf_ccfaas *svc = j->svc;
    run(j);
    job_free(j);
    pthread_mutex_lock(&svc->task_mu);
    svc->task_threads--;
    pthread_cond_broadcast(&svc->task_cv);
    pthread_mutex_unlock(&svc->task_mu);
    return NULL;
}

/* ---- routes ------------------------------------------------------------------- */

static bool in_list(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

/* The program and the outputs of the task: the request's, or the function's
 * only program and the files it may write. false with a 400 in resp. */
static bool resolve(struct job *j, const ccf_policy *fn, ccf_http_response *resp)
{
    const ccf_task_request *r = j->req;
    const ccf_program *prog = NULL;
    for (size_t i = 0; i < fn->program_count; i++)
        if (r->program ? strcmp(fn->programs[i].program_file_name, r->program) == 0
                       : fn->program_count == 1)
            prog = &fn->programs[i];
    if (prog == NULL) {
        ccf_dynbuf names;
        ccf_dynbuf_init(&names, 4096);
        for (size_t i = 0; i < fn->program_count; i++)
            if (ccf_dynbuf_addf(&names, "%s%s", i ? ", " : "",
                                fn->programs[i].program_file_name) != CCF_OK)
                break;
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_task", NULL, NULL,
                                 "program: function \"%s\" %s \"%s\" (its programs: %.*s)",
                                 fn->function, r->program ? "has no program" : "has several "
                                 "programs; name one of them", r->program ? r->program : "",
                                 (int)names.len, names.p ? names.p : "");
        ccf_dynbuf_free(&names);
        return false;
    }
    if ((j->program = strdup(prog->program_file_name)) == NULL)
        return false;
    /* names the instance already has: the function's programs and data files */
    const char *clash = NULL;
    for (size_t i = 0; i < r->input_count + r->secret_count && clash == NULL; i++) {
        const char *n = i < r->input_count ? r->inputs[i].name
                                           : r->secrets[i - r->input_count].name;
        for (size_t k = 0; k < fn->program_count; k++)
            if (strcmp(fn->programs[k].program_file_name, n) == 0)
                clash = n;
        for (size_t k = 0; k < fn->data_file_count; k++)
            if (strcmp(fn->data_files[k].data_file, n) == 0)
                clash = n;
    }
    if (clash != NULL) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_task", NULL, NULL,
                                 "inputs: \"%s\" is a program or data file of function \"%s\"",
                                 clash, fn->function);
        return false;
    }
    size_t cap = r->outputs ? r->output_count : prog->rights.count;
    if ((j->outputs = calloc(cap + 1, sizeof *j->outputs)) == NULL)
        return false;
    if (r->outputs != NULL) {
        for (size_t i = 0; i < r->output_count; i++)
            if ((j->outputs[j->output_count++] = strdup(r->outputs[i])) == NULL)
                return false;
    } else {
        for (size_t i = 0; i < prog->rights.count; i++) {
            const ccf_file_right *fr = &prog->rights.items[i];
            size_t n = strlen(fr->file_name);
            if (!(fr->rights & CCF_FD_WRITE) || n == 0 || fr->file_name[n - 1] == '/' ||
                !ccf_task_file_name_ok(fr->file_name) ||
                (r->args && strcmp(fr->file_name, "args") == 0))
                continue;
            bool taken = false;
            for (size_t k = 0; k < r->input_count; k++)
                taken |= strcmp(r->inputs[k].name, fr->file_name) == 0;
            for (size_t k = 0; k < r->secret_count; k++)
                taken |= strcmp(r->secrets[k].name, fr->file_name) == 0;
            if (!taken && !in_list(j->outputs, j->output_count, fr->file_name) &&
                (j->outputs[j->output_count++] = strdup(fr->file_name)) == NULL)
                return false;
        }
        if (j->output_count == 0) {
            ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_task", NULL, NULL,
                                     "outputs: program \"%s\" may write no single file; name the "
                                     "outputs", j->program);
            return false;
        }
    }
    if (r->deterministic_output != NULL &&
        !in_list(j->outputs, j->output_count, r->deterministic_output)) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_task", NULL, NULL,
                                 "deterministic_output: \"%s\" is not an output (%s, ...)",
                                 r->deterministic_output, j->outputs[0]);
        return false;
    }
    return true;
}

/* Checks a parsed task (its function, program, outputs, trust) and starts it:
 * true with the 201 answer in resp ({"task","state","function","program"}
 * and the members of extra, which it takes) and the thread running (j is then
 * the thread's: not to be touched), else an error in resp and j still the
 * caller's. */
static bool task_begin(ccf_ccfaas *svc, struct job *j, const char *owner, json_t *extra,
                       ccf_http_response *resp)
{
    json_t *answer = NULL;
    char loc[64];
    ccf_policy *fn = NULL;
    char err[1024] = "", *fn_text = NULL, *outs = NULL;
    size_t fn_len = 0;
    unsigned char rnd[TASK_ID_LEN / 2];
    ccf_store_rc src;
    pthread_t th;
    pthread_attr_t attr;
    bool ok = false;

    j->svc = svc;
    src = ccf_ccfaas_store_function_get(svc->store, j->req->function, &fn_text, &fn_len, NULL, err,
                                        sizeof err);
    if (src != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, src, err);
        goto out;
    }
    if (ccf_policy_parse(fn_text, fn_len, CCF_POLICY_PROGRAM, &fn, NULL) != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_IO, "store_failed", NULL, NULL,
                                 "the stored policy of function \"%s\" does not parse",
                                 j->req->function);
        goto out;
    }
    if (!resolve(j, fn, resp)) {
        if (resp->status == 0)
            goto nomem;
        goto out;
    }
    j->debug = fn->debug;
    if (j->debug && !j->trust->allow_debug) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_task", NULL, NULL,
                                 "function \"%s\" is a debug function (its instances are debug "
                                 "instances) and the trust configuration does not accept debug "
                                 "instances (allow_debug, docs/trust.md)", fn->function);
        goto out;
    }
    if (RAND_bytes(rnd, sizeof rnd) != 1)
        goto nomem;
    for (size_t i = 0; i < sizeof rnd; i++)
        snprintf(j->id + 2 * i, 3, "%02x", rnd[i]);
    snprintf(j->instance, sizeof j->instance, "task-%s", j->id);
    if (snprintf(j->dir, sizeof j->dir, "%s/tasks/%s", svc->data_dir, j->id) >=
        (int)sizeof j->dir)
        goto nomem; /* cannot happen: data_dir < PATH_MAX */
    if ((j->owner = strdup(owner)) == NULL)
        goto nomem;
    json_t *oa = json_array();
    for (size_t i = 0; oa != NULL && i < j->output_count; i++)
        json_array_append_new(oa, json_string(j->outputs[i]));
    outs = oa ? json_dumps(oa, JSON_COMPACT) : NULL;
    json_decref(oa);
    if (outs == NULL)
        goto nomem;
    ccf_task_row row = {.id = j->id, .owner = j->owner, .function = j->req->function,
                        .program = j->program, .outputs = outs, .created = time(NULL),
                        .debug = j->debug, .encrypted = j->req->result_key != NULL};
    if ((src = ccf_task_store_insert(svc->tasks, &row, err, sizeof err)) != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, src, err);
        goto out;
    }
    j->deadline = time(NULL) + j->req->timeout_s;
    /* the answer is made before the thread starts: from then on j is its */
    answer = json_pack("{s:s, s:s, s:s, s:s}", "task", j->id, "state", "pending", "function",
                       j->req->function, "program", j->program);
    snprintf(loc, sizeof loc, "/task/%s", j->id);
    if (answer == NULL || (extra != NULL && json_object_update(answer, extra) != 0))
        goto nomem;
    pthread_mutex_lock(&svc->task_mu);
    bool stopping = svc->tasks_stopping;
    if (!stopping)
        svc->task_threads++;
    pthread_mutex_unlock(&svc->task_mu);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (stopping || pthread_create(&th, &attr, task_thread, j) != 0) {
        pthread_attr_destroy(&attr);
        if (!stopping) {
            pthread_mutex_lock(&svc->task_mu);
            svc->task_threads--;
            pthread_mutex_unlock(&svc->task_mu);
        }
        (void)ccf_task_store_finish_failed(svc->tasks, j->id, "failed", "start",
                                           "CCFaaS could not start the task", NULL, 0, err,
                                           sizeof err);
        ccf_ccfaas_respond_error(resp, CCF_ERR_BUSY, NULL, NULL, NULL,
                                 "cannot start the task now");
        goto out;
    }
    pthread_attr_destroy(&attr);
    resp->location = strdup(loc);
    ccf_http_respond_json(resp, 201, answer);
    answer = NULL;
    ok = true;
    goto out;
nomem:
    ccf_ccfaas_respond_error(resp, CCF_ERR_NOMEM, NULL, NULL, NULL, "out of memory");
out:
    json_decref(answer);
    json_decref(extra);
    ccf_policy_free(fn);
    free(fn_text);
    free(outs);
    return ok;
}

bool ccf_ccfaas_task_start(ccf_ccfaas *svc, ccf_task_request *req, ccf_trust *trust,
                           const char *owner, bool drop_function, json_t *extra,
                           ccf_http_response *resp)
{
    struct job *j = calloc(1, sizeof *j);
    if (j == NULL) {
        ccf_task_request_free(req);
        ccf_trust_free(trust);
        json_decref(extra);
        ccf_ccfaas_respond_error(resp, CCF_ERR_NOMEM, NULL, NULL, NULL, "out of memory");
        return false;
    }
    j->req = req;
    j->trust = trust;
    j->drop_function = drop_function;
    if (task_begin(svc, j, owner, extra, resp))
        return true;
    job_free(j);
    return false;
}

static void h_task_post(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    struct job *j = NULL;
    char err[1024] = "";
    size_t len = 0;
    const char *body = ccf_http_request_body(req, &len);

    if ((j = calloc(1, sizeof *j)) == NULL) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_NOMEM, NULL, NULL, NULL, "out of memory");
        return;
    }
    if (ccf_task_request_parse(body, len, &j->req, err, sizeof err) != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_task", NULL, NULL, "%s", err);
        goto out;
    }
    if (ccf_trust_parse(j->req->trust, strlen(j->req->trust), &j->trust, err, sizeof err) !=
        CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_task", NULL, NULL, "trust.%s",
                                 err);
        goto out;
    }
    if (task_begin(svc, j, ccf_ccfaas_caller(req)->name, NULL, resp))
        j = NULL; /* the thread's: it may already have freed it */
out:
    job_free(j);
}

/* Before the body is read: the caller's live instances and running tasks
 * within its instance quota. */
static bool admit_task_post(const ccf_http_request *req, long long content_length,
                            ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    const char *me = ccf_ccfaas_caller(req)->name;
    int64_t live = 0;
    char err[512];
    (void)content_length;
    if (!ccf_ccfaas_admit_instance(svc, me, resp))
        return false;
    if (svc->quotas.instances == 0)
        return true;
    if (ccf_task_store_live(svc->tasks, me, &live, err, sizeof err) != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, CCF_STORE_FAILED, err);
        return false;
    }
    if (live < (int64_t)svc->quotas.instances)
        return true;
    ccf_ccfaas_respond_quota(resp, "quota: \"%s\" has %lld task(s) pending or running, the most "
                                   "allowed; wait for one to end", me, (long long)live);
    return false;
}

/* The caller's task row, or an error in resp (404, 403). */
static bool own_task(ccf_ccfaas *svc, const ccf_http_request *req, ccf_task_row *row,
                     ccf_http_response *resp)
{
    char err[512];
    ccf_store_rc rc = ccf_task_store_get(svc->tasks, ccf_http_request_param(req, "id"), row, err,
                                         sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return false;
    }
    const char *me = ccf_ccfaas_owner_filter(req);
    if (me == NULL || strcmp(row->owner, me) == 0)
        return true;
    ccf_ccfaas_respond_error(resp, CCF_ERR_DENIED, "forbidden", NULL, NULL,
                             "forbidden: task belongs to another user (only its owner or an "
                             "admin may see or delete it)");
    ccf_task_row_clear(row);
    return false;
}

static void h_task_get(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_task_row row;
    if (!own_task(ctx, req, &row, resp))
        return;
    ccf_http_respond_json(resp, 200, task_json(&row));
    ccf_task_row_clear(&row);
}

static void h_task_list(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_task_row *rows = NULL;
    size_t n = 0;
    char err[512];
    ccf_store_rc rc = ccf_task_store_list(svc->tasks, ccf_ccfaas_owner_filter(req), &rows, &n,
                                          err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++)
        json_array_append_new(arr, task_json(&rows[i]));
    ccf_task_rows_free(rows, n);
    ccf_http_respond_json(resp, 200, json_pack("{s:o*}", "tasks", arr));
}

static void h_task_result(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_task_row row;
    void *blob = NULL;
    size_t len = 0;
    char err[512];
    if (!own_task(svc, req, &row, resp))
        return;
    if (strcmp(row.state, "completed") != 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_CONFLICT, NULL, NULL, NULL,
                                 "task %s is %s: only a completed task has a result%s%s", row.id,
                                 row.state, row.reason ? " (" : "", row.reason ? ")" : "");
    } else {
        ccf_store_rc rc = ccf_task_store_blob(svc->tasks, row.id, "result", &blob, &len, err,
                                              sizeof err);
        if (rc != CCF_STORE_OK)
            ccf_ccfaas_respond_store(resp, rc, err);
        else
            ccf_http_respond_bytes(resp, 200, row.encrypted ? "application/jose+json"
                                                             : "application/zip", blob, len);
    }
    free(blob);
    ccf_task_row_clear(&row);
}

static void h_task_logs(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_task_row row;
    void *blob = NULL;
    size_t len = 0;
    char err[512];
    if (!own_task(svc, req, &row, resp))
        return;
    if (!row.debug) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_DENIED, "not_debug", NULL, NULL,
                                 "function \"%s\" is not a debug function: its program's stderr "
                                 "never leaves the instance, so a task of it has no logs",
                                 row.function);
    } else if (strcmp(row.state, "pending") == 0 || strcmp(row.state, "running") == 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_CONFLICT, NULL, NULL, NULL,
                                 "task %s is %s: its logs are kept when it ends", row.id,
                                 row.state);
    } else {
        ccf_store_rc rc = ccf_task_store_blob(svc->tasks, row.id, "logs", &blob, &len, err,
                                              sizeof err);
        if (rc != CCF_STORE_OK)
            ccf_ccfaas_respond_store(resp, rc, err);
        else
            ccf_http_respond_bytes(resp, 200, "text/plain", blob, len);
    }
    free(blob);
    ccf_task_row_clear(&row);
}

static void h_task_delete(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_task_row row;
    char err[512];
    if (!own_task(svc, req, &row, resp))
        return;
    ccf_store_rc rc = ccf_task_store_delete(svc->tasks, row.id, err, sizeof err);
    if (rc != CCF_STORE_OK)
        ccf_ccfaas_respond_store(resp, rc, err);
    else
        ccf_http_respond_json(resp, 200, json_pack("{s:s, s:b}", "task", row.id, "deleted", 1));
    ccf_task_row_clear(&row);
}

ccf_err ccf_ccfaas_mount_tasks(ccf_ccfaas *svc, ccf_http_server *srv)
{
    ccf_err rc;
    const unsigned mk = CCF_ROLE_USER | CCF_ROLE_ADMIN;
    if ((rc = ccf_http_server_route_auth(srv, "POST", "/task", mk, h_task_post, svc,
                                         TASK_MAX_BODY)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/task", mk, h_task_list, svc, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/task/<id>", mk, h_task_get, svc, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/task/<id>/result", mk, h_task_result, svc,
                                         0)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/task/<id>/logs", mk, h_task_logs, svc,
                                         0)) ||
        (rc = ccf_http_server_route_auth(srv, "DELETE", "/task/<id>", mk, h_task_delete, svc,
                                         0)) ||
        (rc = ccf_http_server_route_admit(srv, "POST", "/task", admit_task_post)) ||
        (rc = ccf_ccfaas_mount_computations(svc, srv)) ||
        (rc = ccf_http_server_route_admit(srv, "POST", "/computation", admit_task_post)))
        return rc;
    return CCF_OK;
}

void ccf_ccfaas_tasks_recover(ccf_ccfaas *svc)
{
    char **ids = NULL, err[512], name[TASK_ID_LEN + 64];
    size_t n = 0;
    if (ccf_task_store_fail_unfinished(svc->tasks, &ids, &n, err, sizeof err) != CCF_STORE_OK)
        ccf_log_event("ccfaas", "task recovery: %s", err);
    for (size_t i = 0; i < n; i++) {
        ccf_log_event("ccfaas", "task %s was running when CCFaaS stopped: failed", ids[i]);
        snprintf(name, sizeof name, "task-%s", ids[i]);
        ccf_ccfaas_forget(svc, name, NULL, true);
        struct job j = {.output_count = 0};
        if (snprintf(j.dir, sizeof j.dir, "%s/tasks/%s", svc->data_dir, ids[i]) <
            (int)sizeof j.dir)
            remove_dir(&j);
        free(ids[i]);
    }
    free(ids);
}

void ccf_ccfaas_tasks_stop(ccf_ccfaas *svc)
{
    pthread_mutex_lock(&svc->task_mu);
    svc->tasks_stopping = true;
    while (svc->task_threads > 0)
        pthread_cond_wait(&svc->task_cv, &svc->task_mu);
    pthread_mutex_unlock(&svc->task_mu);
}
