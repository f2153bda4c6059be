/* CCFaaS instances: POST /instance builds the VaaS policy, asks VaaS, loads
 * the programs and data files as the loader identity; GET shows the runtime's
 * status from VaaS and forgets instances whose runtime died; DELETE ends
 * them at VaaS. docs/ccfaas.md "Instances". */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ccfaas/internal.h"
#include "client/client.h"
#include "common/utc.h"
#include "common/crypto.h"
#include "common/log.h"
#include "net/http_client.h"

/* Best-effort calls (cleanup after a failure, recovery at start) do not wait long. */
#define CLEANUP_TIMEOUT_MS 5000
#define STATUS_TIMEOUT_MS 10000
/* Waiting for VaaS to finish starting an instance before deleting it: 150 x 200 ms. */
#define FORGET_TRIES 150

/* DATA/instances/<name>[/<file>] into out. */
static bool instance_path(const ccf_ccfaas *svc, const char *name, const char *file, char *out,
                          size_t size)
{
    int n = file ? snprintf(out, size, "%s/instances/%s/%s", svc->data_dir, name, file)
                 : snprintf(out, size, "%s/instances/%s", svc->data_dir, name);
    return n > 0 && (size_t)n < size;
}

static void remove_instance_dir(const ccf_ccfaas *svc, const char *name)
{
    char path[PATH_MAX];
    if (instance_path(svc, name, "policy.json", path, sizeof path))
        unlink(path);
    if (instance_path(svc, name, "upload.part", path, sizeof path))
        unlink(path);
    if (instance_path(svc, name, NULL, path, sizeof path))
        rmdir(path);
}

/* GET url at VaaS with CCFaaS's service token: *status and *json (NULL when
 * the reply is not JSON; caller decrefs). CCF_ERR_IO when unreachable. */
static ccf_err vaas_get(const ccf_ccfaas *svc, const char *url, long timeout_ms, long *status,
                        json_t **json, char *err, size_t err_size)
{
    ccf_http_reply reply = {0};
    ccf_http_call_req req = {.method = "GET", .url = url, .timeout_ms = timeout_ms,
                             .bearer = svc->vaas_token};
    *json = NULL;
    *status = 0;
    ccf_err rc = ccf_http_call(&req, &reply, err, err_size);
    if (rc != CCF_OK)
        return rc;
    *status = reply.status;
    *json = json_loadb(reply.body, reply.len, 0, NULL);
    ccf_http_reply_free(&reply);
    return CCF_OK;
}

/* DELETE /veracruz/<name>?instance_id=<name>&instance_hash=<hash>: VaaS's
 * status (0 when it could not be reached; err says why when not 200/404). */
static long vaas_delete(const ccf_ccfaas *svc, const char *name, const char *hash, long timeout_ms,
                        char *err, size_t err_size)
{
    char url[1024], detail[512];
    ccf_http_reply reply = {0};
    snprintf(url, sizeof url, "%s/veracruz/%s?instance_id=%s&instance_hash=%s", svc->vaas_url,
             name, name, hash ? hash : "");
    ccf_http_call_req req = {.method = "DELETE", .url = url, .timeout_ms = timeout_ms,
                             .bearer = svc->vaas_token};
    if (ccf_http_call(&req, &reply, err, err_size) != CCF_OK)
        return 0;
    long status = reply.status;
    if (status != 200 && status != 404)
        ccf_errf(err, err_size, CCF_ERR_IO, "VaaS answered %ld to DELETE: %s", status,
                 ccf_http_reply_error(reply.body, reply.len, detail, sizeof detail));
    ccf_http_reply_free(&reply);
    return status;
}

/* What VaaS knows of `name` (when CCFaaS did not get its answer: killed or
 * timed out while VaaS was starting the runtime): 1 with its instance_hash in
 * out, 2 while it is still starting (no hash yet), 0 unknown or unreachable. */
static int vaas_lookup_hash(const ccf_ccfaas *svc, const char *name, char out[65])
{
    char url[1024], err[512];
    long status = 0;
    json_t *j = NULL;
    int r = 0;
    snprintf(url, sizeof url, "%s/veracruz/%s", svc->vaas_url, name);
    if (vaas_get(svc, url, CLEANUP_TIMEOUT_MS, &status, &j, err, sizeof err) != CCF_OK)
        return 0;
    const char *h = json_string_value(json_object_get(j, "instance_hash"));
    const char *st = json_string_value(json_object_get(j, "status"));
    if (status == 200 && h != NULL && strlen(h) == CCF_SHA256_HEX_LEN) {
        snprintf(out, 65, "%s", h);
        r = 1;
    } else if (status == 200 && st != NULL && strcmp(st, "starting") == 0) {
        r = 2;
    }
    json_decref(j);
    return r;
}

/* Deletes an instance at VaaS (hash NULL = ask VaaS for it), freeing its
 * port. VaaS refuses to delete an instance while it starts (409): wait for
 * it, bounded. */
static void release_at_vaas(ccf_ccfaas *svc, const char *name, const char *hash)
{
    char err[512] = "", found[CCF_SHA256_HEX_LEN + 1];
    const struct timespec pause = {0, 200 * 1000 * 1000};
    for (int tries = 0; tries < FORGET_TRIES; tries++) {
        int known = hash != NULL ? 1 : vaas_lookup_hash(svc, name, found);
        if (known == 0)
            break;
        if (known == 2) {
            nanosleep(&pause, NULL);
            continue;
        }
        long st = vaas_delete(svc, name, hash ? hash : found, CLEANUP_TIMEOUT_MS, err, sizeof err);
        if (st == 409 && tries + 1 < FORGET_TRIES) {
            nanosleep(&pause, NULL);
            continue;
        }
        if (st != 200 && st != 404)
            ccf_log_event("ccfaas", "instance %s: cleanup at VaaS failed: %s", name, err);
        break;
    }
}

/* Forgets an instance: at VaaS (when a create was sent there), then the
 * store row and the files. */
void ccf_ccfaas_forget(ccf_ccfaas *svc, const char *name, const char *hash, bool at_vaas)
{
    char err[512] = "";
    if (at_vaas)
        release_at_vaas(svc, name, hash);
    if (ccf_ccfaas_store_instance_delete(svc->store, name, NULL, err, sizeof err) ==
        CCF_STORE_FAILED)
        ccf_log_event("ccfaas", "instance %s: %s", name, err);
    remove_instance_dir(svc, name);
}

/* An instance whose runtime ended ("exited": at VaaS still, its port is
 * freed; "gone": VaaS forgot it) stays listed, marked, until deleted. */
static void mark_ended(ccf_ccfaas *svc, const ccf_store_instance *row, const char *how)
{
    char err[512] = "";
    if (strcmp(how, "exited") == 0)
        release_at_vaas(svc, row->name, row->instance_hash);
    if (ccf_ccfaas_store_instance_set_ended(svc->store, row->name, how, err, sizeof err) ==
        CCF_STORE_FAILED)
        ccf_log_event("ccfaas", "instance %s: %s", row->name, err);
    remove_instance_dir(svc, row->name);
}

void ccf_ccfaas_recover(ccf_ccfaas *svc)
{
    ccf_store_instance *rows = NULL;
    size_t n = 0;
    char err[512];
    if (ccf_ccfaas_store_instance_list(svc->store, "creating", &rows, &n, err, sizeof err) !=
        CCF_STORE_OK) {
        ccf_log_event("ccfaas", "recovery: %s", err);
        return;
    }
    /* replicas on one PostgreSQL: another replica may be creating it right
     * now; ours (the same data directory's id) are left-overs, others' only
     * once older than any creation takes */
    int64_t stale = (int64_t)(svc->vaas_timeout_ms / 1000) + svc->load_timeout_s + 60;
    bool shared = ccf_ccfaas_store_shared(svc->store);
    for (size_t i = 0; i < n; i++) {
        if (shared && strcmp(rows[i].creator, svc->replica) != 0 &&
            (int64_t)time(NULL) - rows[i].created < stale)
            continue;
        ccf_log_event("ccfaas", "instance %s was being created when CCFaaS stopped: removed",
                rows[i].name);
        ccf_ccfaas_forget(svc, rows[i].name, rows[i].instance_hash, true);
    }
    ccf_ccfaas_store_instances_free(rows, n);
}

/* ---- POST /instance ------------------------------------------------------------- */

/* The VaaS policy text (canonical JSON): loader identity 0 with write rights
 * on every program and data file, the user's identities 1..n, the function's
 * programs and data files (their pi_hash pins them in the runtime too).
 * Borrowed strings only; the arrays made here are freed here. */
static ccf_err build_vaas_policy(const ccf_ccfaas *svc, const ccf_policy *fn,
                                 const ccf_policy *user, bool debug, char **out)
{
    ccf_policy v = {0};
    ccf_file_right *loader = NULL;
    ccf_err rc;

    *out = NULL;
    size_t nfiles = fn->program_count + fn->data_file_count;
    v.identities = calloc(user->identity_count + 1, sizeof *v.identities);
    loader = calloc(nfiles ? nfiles : 1, sizeof *loader);
    if (v.identities == NULL || loader == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < fn->program_count; i++)
        loader[i] = (ccf_file_right){fn->programs[i].program_file_name, CCF_CCFAAS_LOADER_RIGHTS};
    for (size_t i = 0; i < fn->data_file_count; i++)
        loader[fn->program_count + i] =
            (ccf_file_right){fn->data_files[i].data_file, CCF_CCFAAS_LOADER_RIGHTS};
    v.kind = CCF_POLICY_VAAS;
    v.function = fn->function; /* so that a key broker's rules can name it */
    v.instance_id = user->instance_id;
    v.execution_strategy = fn->execution_strategy;
    v.ciphersuite = (char *)svc->ciphersuite;
    v.debug = debug; /* a debug function's (docs/tasks.md "Logs") */
    v.enable_clock = true;
    v.has_max_memory_mib = fn->has_max_memory_mib;
    v.max_memory_mib = fn->max_memory_mib;
    v.identities[0] = (ccf_identity){.id = 0, .certificate = svc->loader_pem,
                                     .rights = {loader, nfiles}};
    for (size_t i = 0; i < user->identity_count; i++)
        v.identities[i + 1] = (ccf_identity){.id = (int64_t)i + 1,
                                             .certificate = user->identities[i].certificate,
                                             .rights = user->identities[i].rights};
    v.identity_count = user->identity_count + 1;
    v.programs = fn->programs;
    v.program_count = fn->program_count;
    v.data_files = fn->data_files;
    v.data_file_count = fn->data_file_count;
    v.stream_files = fn->stream_files;
    v.stream_file_count = fn->stream_file_count;
    rc = ccf_policy_emit(&v, out);
out:
    free(loader);
    free(v.identities);
    return rc;
}

/* Data files in load order: priority, lower first; the policy's order among equals. */
static int by_priority(const void *a, const void *b)
{
    const ccf_data_file *x = *(const ccf_data_file *const *)a, *y = *(const ccf_data_file *const *)b;
    if (x->priority != y->priority)
        return x->priority < y->priority ? -1 : 1;
    return x < y ? -1 : x > y; /* pointers into one array: policy order */
}

struct creation {
    ccf_ccfaas *svc;
    const ccf_policy *fn;
    const char *name;
    bool reserved, at_vaas;
    char *vaas_policy;
    char *policy; /* the full policy from VaaS */
    size_t policy_len;
    char instance_hash[CCF_SHA256_HEX_LEN + 1];
};

/* Step "VaaS create": POST /veracruz; fills c->policy and c->instance_hash. */
static bool vaas_create(struct creation *c, ccf_http_response *resp)
{
    char url[600], err[1024], detail[1024], hash[CCF_SHA256_HEX_LEN + 1];
    ccf_http_reply reply = {0};
    json_t *j = NULL;
    bool ok = false;
    const char *step = "VaaS create";

    snprintf(url, sizeof url, "%s/veracruz", c->svc->vaas_url);
    ccf_http_call_req req = {.method = "POST", .url = url, .body = c->vaas_policy,
                             .body_len = strlen(c->vaas_policy),
                             .timeout_ms = c->svc->vaas_timeout_ms,
                             .bearer = c->svc->vaas_token};
    /* Until VaaS answers, it may have started something (a timeout while it
     * was starting the runtime): the cleanup then asks it by name. A
     * non-200 answer means it made nothing - and a 409 names an instance
     * that is not ours, which must not be deleted. */
    c->at_vaas = true;
    if (ccf_http_call(&req, &reply, err, sizeof err) != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "vaas_failed", step, NULL,
                                 "step '%s' failed: VaaS unreachable: %s", step, err);
        goto out;
    }
    if (reply.status != 200)
        c->at_vaas = false;
    if (reply.status != 200) {
        ccf_http_reply_error(reply.body, reply.len, detail, sizeof detail);
        if (reply.status == 409)
            ccf_ccfaas_respond_error(resp, CCF_ERR_CONFLICT, NULL, step, NULL,
                                     "step '%s' failed: VaaS already has an instance \"%s\": %s",
                                     step, c->name, detail);
        else
            ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "vaas_failed", step, NULL,
                                     "step '%s' failed: VaaS answered %ld: %s", step, reply.status,
                                     detail);
        goto out;
    }
    j = json_loadb(reply.body, reply.len, 0, NULL);
    const char *policy = json_string_value(json_object_get(j, "policy"));
    const char *ih = json_string_value(json_object_get(j, "instance_hash"));
    const char *iid = json_string_value(json_object_get(j, "instance_id"));
    /* from here on VaaS runs something: a failure must delete it */
    if (ih != NULL && strlen(ih) == CCF_SHA256_HEX_LEN)
        snprintf(c->instance_hash, sizeof c->instance_hash, "%s", ih);
    if (policy == NULL || ih == NULL || iid == NULL || strcmp(iid, c->name) != 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "vaas_failed", step, NULL,
                                 "step '%s' failed: VaaS answered 200 without "
                                 "instance_id \"%s\", instance_hash and policy", step, c->name);
        goto out;
    }
    c->policy_len = json_string_length(json_object_get(j, "policy"));
    if (!ccf_policy_hash(policy, c->policy_len, hash) || strcmp(hash, ih) != 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "vaas_failed", step, NULL,
                                 "step '%s' failed: the policy VaaS returned hashes to %s, not "
                                 "its instance_hash %s", step, hash, ih);
        goto out;
    }
    if ((c->policy = malloc(c->policy_len + 1)) == NULL) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INTERNAL, NULL, step, NULL, "out of memory");
        goto out;
    }
    memcpy(c->policy, policy, c->policy_len);
    c->policy[c->policy_len] = '\0';
    ok = true;
out:
    json_decref(j);
    ccf_http_reply_free(&reply);
    return ok;
}

static bool write_file(const char *path, const char *data, size_t len, char *err, size_t err_size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    size_t done = 0;
    if (fd < 0) {
        ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        return false;
    }
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    if (close(fd) != 0 || done < len) {
        ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

/* Steps "connect" and "upload ...": the loader verifies the instance (as any
 * client does: handshake checks and the policy hash), then uploads programs
 * and data files (by priority). */
static bool load_instance(struct creation *c, ccf_http_response *resp)
{
    ccf_ccfaas *svc = c->svc;
    const ccf_policy *fn = c->fn;
    char dir[PATH_MAX], policy_path[PATH_MAX], part[PATH_MAX], err[1024], step[400];
    const ccf_data_file **order = NULL;
    ccf_client *client = NULL;
    ccf_verify_result vr;
    bool ok = false;

    snprintf(step, sizeof step, "connect");
    if (!instance_path(svc, c->name, NULL, dir, sizeof dir) ||
        !instance_path(svc, c->name, "policy.json", policy_path, sizeof policy_path) ||
        !instance_path(svc, c->name, "upload.part", part, sizeof part)) {
        ccf_errf(err, sizeof err, CCF_ERR_INVALID, "data directory path too long");
        goto fail;
    }
    if ((mkdir(dir, 0700) != 0 && errno != EEXIST)) {
        ccf_errf(err, sizeof err, CCF_ERR_IO, "mkdir %s: %s", dir, strerror(errno));
        goto fail;
    }
    if (!write_file(policy_path, c->policy, c->policy_len, err, sizeof err))
        goto fail;
    ccf_client_config cc = {.policy_path = policy_path, .cert_path = svc->loader_crt,
                            .key_path = svc->loader_key, .timeout_s = svc->load_timeout_s};
    if (ccf_client_open(&cc, &client, err, sizeof err) != CCF_OK ||
        ccf_client_verify(client, &vr, err, sizeof err) != CCF_OK)
        goto fail;
    for (size_t i = 0; i < fn->program_count; i++) {
        const char *name = fn->programs[i].program_file_name;
        snprintf(step, sizeof step, "upload program %s", name);
        if (ccf_ccfaas_store_file_export(svc->store, CCF_STORE_PROGRAM, fn->function, name, part,
                                         err, sizeof err) != CCF_STORE_OK ||
            ccf_client_put(client, name, part, false, err, sizeof err) != CCF_OK)
            goto fail;
    }
    if (fn->data_file_count > 0) {
        if ((order = calloc(fn->data_file_count, sizeof *order)) == NULL) {
            ccf_errf(err, sizeof err, CCF_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (size_t i = 0; i < fn->data_file_count; i++)
            order[i] = &fn->data_files[i];
        qsort(order, fn->data_file_count, sizeof *order, by_priority);
    }
    for (size_t i = 0; i < fn->data_file_count; i++) {
        const char *name = order[i]->data_file;
        snprintf(step, sizeof step, "upload data file %s", name);
        if (ccf_ccfaas_store_file_export(svc->store, CCF_STORE_DATA_FILE, fn->function, name, part,
                                         err, sizeof err) != CCF_STORE_OK ||
            ccf_client_put(client, name, part, false, err, sizeof err) != CCF_OK)
            goto fail;
    }
    ok = true;
    goto out;
fail:
    ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "instance_failed", step, NULL,
                             "step '%s' failed: %s",
                             step, err);
out:
    unlink(part);
    free(order);
    ccf_client_free(client);
    return ok;
}

bool ccf_ccfaas_instance_create(ccf_ccfaas *svc, const char *body, size_t len, const char *owner,
                                bool debug, ccf_http_response *resp, char **policy_out,
                                size_t *policy_len)
{
    ccf_policy *user = NULL, *fn = NULL, *check = NULL;
    ccf_policy_errors errors;
    char *fn_text = NULL, err[1024] = "", fn_hash[CCF_SHA256_HEX_LEN + 1];
    char policy_hash[CCF_SHA256_HEX_LEN + 1];
    const char **progs = NULL, **dfs = NULL;
    size_t fn_len = 0;
    struct creation c = {.svc = svc};
    bool done = false;
    ccf_store_rc src;

    ccf_err rc = ccf_policy_parse(body, len, CCF_POLICY_USER, &user, &errors);
    if (rc != CCF_OK) {
        ccf_ccfaas_respond_policy_errors(resp, rc, "user policy", &errors);
        goto out;
    }
    c.name = user->instance_id;
    /* the loader's certificate is public (identity 0 of every policy handed out);
     * as a user identity it would be a duplicate the VaaS policy cannot have */
    for (size_t i = 0; i < user->identity_count; i++) {
        if (strcmp(user->identities[i].certificate, svc->loader_pem) == 0) {
            memset(&errors, 0, sizeof errors);
            errors.count = 1;
            snprintf(errors.items[0].path, sizeof errors.items[0].path,
                     "identities[%zu].certificate", i);
            snprintf(errors.items[0].message, sizeof errors.items[0].message,
                     "is CCFaaS's loader certificate (identity 0 of every instance); each user "
                     "identity needs its own certificate");
            ccf_ccfaas_respond_policy_errors(resp, CCF_ERR_INVALID, "user policy", &errors);
            goto out;
        }
    }
    src = ccf_ccfaas_store_function_get(svc->store, user->function, &fn_text, &fn_len, NULL, err,
                                        sizeof err);
    if (src != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, src, err);
        goto out;
    }
    if (ccf_policy_parse(fn_text, fn_len, CCF_POLICY_PROGRAM, &fn, NULL) != CCF_OK ||
        !ccf_policy_hash(fn_text, fn_len, fn_hash)) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_IO, "store_failed", "function", NULL,
                                 "the stored policy of function \"%s\" does not parse",
                                 user->function);
        goto out;
    }
    c.fn = fn;
    progs = calloc(fn->program_count + 1, sizeof *progs);
    dfs = calloc(fn->data_file_count + 1, sizeof *dfs);
    if (progs == NULL || dfs == NULL) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INTERNAL, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < fn->program_count; i++)
        progs[i] = fn->programs[i].program_file_name;
    for (size_t i = 0; i < fn->data_file_count; i++)
        dfs[i] = fn->data_files[i].data_file;
    /* the name is ours from here on: a concurrent POST with it gets 409 */
    src = ccf_ccfaas_store_instance_reserve(svc->store, c.name, user->function, fn_hash, progs,
                                            fn->program_count, dfs, fn->data_file_count, owner,
                                            err, sizeof err);
    /* the name may belong to the caller's instance whose runtime died unseen:
     * marked ended, it is replaced */
    if (src == CCF_STORE_CONFLICT && ccf_ccfaas_refresh(svc, NULL, c.name, NULL) > 0)
        src = ccf_ccfaas_store_instance_reserve(svc->store, c.name, user->function, fn_hash,
                                                progs, fn->program_count, dfs,
                                                fn->data_file_count, owner, err, sizeof err);
    if (src != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, src, err);
        goto out;
    }
    c.reserved = true;
    if (build_vaas_policy(svc, fn, user, debug || fn->debug, &c.vaas_policy) != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INTERNAL, NULL, "build VaaS policy", NULL,
                                 "cannot build the VaaS policy");
        goto out;
    }
    rc = ccf_policy_parse(c.vaas_policy, strlen(c.vaas_policy), CCF_POLICY_VAAS, &check, &errors);
    if (rc != CCF_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INVALID, "invalid_policy", "build VaaS policy",
                                 &errors,
                                 "step 'build VaaS policy' failed: the VaaS policy made from "
                                 "function \"%s\" and this user policy is invalid: %s: %s",
                                 user->function, errors.count ? errors.items[0].path : "",
                                 errors.count ? errors.items[0].message : ccf_strerror(rc));
        goto out;
    }
    if (!vaas_create(&c, resp))
        goto out;
    if (!ccf_policy_hash(c.policy, c.policy_len, policy_hash) ||
        (src = ccf_ccfaas_store_instance_set_vaas(svc->store, c.name, c.instance_hash, c.policy,
                                                  c.policy_len, policy_hash, err, sizeof err)) !=
            CCF_STORE_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_IO, "store_failed", "store", NULL,
                                 "step 'store' failed: %s", err);
        goto out;
    }
    if (!load_instance(&c, resp))
        goto out;
    if ((src = ccf_ccfaas_store_instance_set_ready(svc->store, c.name, err, sizeof err)) !=
        CCF_STORE_OK) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_IO, "store_failed", "store", NULL,
                                 "step 'store' failed: %s", err);
        goto out;
    }
    /* the full policy exactly as VaaS produced it: users hash these bytes */
    json_t *ans = json_pack("{s:s, s:s%}", "instance", c.name, "policy", c.policy, c.policy_len);
    if (ans == NULL) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_INTERNAL, NULL, NULL, NULL, "out of memory");
        goto out;
    }
    ccf_http_respond_json(resp, 200, ans);
    if (policy_out != NULL) {
        *policy_out = c.policy;
        *policy_len = c.policy_len;
        c.policy = NULL;
    }
    done = true;
out:
    if (done)
        atomic_fetch_add(&svc->instances_ok, 1);
    else if (c.reserved) /* failures after the input checks */
        atomic_fetch_add(&svc->instances_failed, 1);
    if (!done && c.reserved)
        ccf_ccfaas_forget(svc, c.name, c.instance_hash[0] ? c.instance_hash : NULL, c.at_vaas);
    ccf_policy_free(check);
    ccf_policy_free(user);
    ccf_policy_free(fn);
    free(fn_text);
    free(progs);
    free(dfs);
    free(c.vaas_policy);
    free(c.policy);
    return done;
}

static void h_instance_post(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    size_t len = 0;
    const char *body = ccf_http_request_body(req, &len);
    (void)ccf_ccfaas_instance_create(ctx, body, len, ccf_ccfaas_caller(req)->name, false, resp,
                                     NULL, NULL);
}

/* ---- status --------------------------------------------------------------------- */

/* The runtime's status at VaaS: *runtime (caller decrefs) or NULL with
 * *gone = VaaS does not know it (or knows another instance by that name),
 * or NULL with err = VaaS could not say. */
static json_t *vaas_status(const ccf_ccfaas *svc, const ccf_store_instance *row, bool *gone,
                           char *err, size_t err_size)
{
    char url[1024], detail[512];
    long status = 0;
    json_t *j = NULL;

    *gone = false;
    snprintf(url, sizeof url, "%s/veracruz/%s", svc->vaas_url, row->name);
    if (vaas_get(svc, url, STATUS_TIMEOUT_MS, &status, &j, err, err_size) != CCF_OK)
        return NULL;
    if (status == 404) {
        *gone = true;
        json_decref(j);
        return NULL;
    }
    if (status != 200 || !json_is_object(j)) {
        char *txt = j ? json_dumps(j, JSON_COMPACT) : NULL;
        ccf_errf(err, err_size, CCF_ERR_IO, "VaaS answered %ld: %s", status,
                 txt ? ccf_http_reply_error(txt, strlen(txt), detail, sizeof detail) : "");
        free(txt);
        json_decref(j);
        return NULL;
    }
    const char *ih = json_string_value(json_object_get(j, "instance_hash"));
    if (ih != NULL && row->instance_hash != NULL && strcmp(ih, row->instance_hash) != 0) {
        *gone = true; /* the name was reused at VaaS: ours is gone */
        json_decref(j);
        return NULL;
    }
    return j;
}

/* The status object of a row; an instance whose runtime exited or vanished
 * is shown as such and marked ended (deleted at VaaS, to free its port). */
static json_t *instance_status(ccf_ccfaas *svc, const ccf_store_instance *row)
{
    char when[CCF_UTC_LEN], err[512] = "";
    bool gone = false;
    json_t *runtime = NULL;
    const char *status = row->state;

    ccf_utc_format((time_t)row->created, when);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "instance", row->name, "function",
                          row->function, "created", when, "owner", row->owner);
    if (o == NULL)
        return NULL;
    if (row->policy_hash != NULL)
        json_object_set_new(o, "policy_hash", json_string(row->policy_hash));
    if (row->instance_hash != NULL)
        json_object_set_new(o, "instance_hash", json_string(row->instance_hash));
    if (row->ended != NULL) {
        char at[CCF_UTC_LEN];
        ccf_utc_format((time_t)row->ended_at, at);
        status = row->ended;
        json_object_set_new(o, "ended", json_string(at));
    } else if (strcmp(row->state, "ready") == 0) {
        runtime = vaas_status(svc, row, &gone, err, sizeof err);
        const char *rs = json_string_value(json_object_get(runtime, "status"));
        if (gone) {
            status = "gone";
        } else if (runtime == NULL) {
            status = "unknown";
            json_object_set_new(o, "runtime_error", json_string(err));
        } else if (rs != NULL) {
            status = rs; /* starting, ready, stopping, exited */
        }
        if (gone || (rs != NULL && strcmp(rs, "exited") == 0)) {
            char at[CCF_UTC_LEN];
            mark_ended(svc, row, gone ? "gone" : "exited");
            ccf_utc_format(time(NULL), at);
            json_object_set_new(o, "ended", json_string(at));
        }
    }
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "runtime", runtime ? runtime : json_null());
    return o;
}

size_t ccf_ccfaas_refresh(ccf_ccfaas *svc, const char *function, const char *name,
                          const char *owner)
{
    ccf_store_instance *rows = NULL;
    size_t n = 0, removed = 0;
    char err[512];
    if (ccf_ccfaas_store_instance_list(svc->store, "ready", &rows, &n, err, sizeof err) !=
        CCF_STORE_OK)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].ended != NULL || (function != NULL && strcmp(rows[i].function, function) != 0) ||
            (name != NULL && strcmp(rows[i].name, name) != 0) ||
            (owner != NULL && strcmp(rows[i].owner, owner) != 0))
            continue;
        json_t *st = instance_status(svc, &rows[i]);
        removed += json_object_get(st, "ended") != NULL;
        json_decref(st);
    }
    ccf_ccfaas_store_instances_free(rows, n);
    return removed;
}

static void h_instance_list(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_store_instance *rows = NULL;
    size_t n = 0;
    char err[512];
    const char *me = ccf_ccfaas_owner_filter(req); /* NULL: an admin sees every instance */
    ccf_store_rc rc = ccf_ccfaas_store_instance_list(svc->store, NULL, &rows, &n, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < n; i++) {
        if (me != NULL && strcmp(rows[i].owner, me) != 0)
            continue; /* another tenant's: not even its name */
        json_t *st = instance_status(svc, &rows[i]);
        if (st != NULL)
            json_array_append_new(arr, st);
    }
    ccf_ccfaas_store_instances_free(rows, n);
    ccf_http_respond_json(resp, 200, json_pack("{s:o*}", "instances", arr));
}

/* true when the caller owns the instance or is an admin; else a 403 naming
 * the check. */
static bool owns(const ccf_http_request *req, const ccf_store_instance *row,
                 ccf_http_response *resp)
{
    const char *me = ccf_ccfaas_owner_filter(req);
    if (me == NULL || strcmp(row->owner, me) == 0)
        return true;
    ccf_ccfaas_respond_error(resp, CCF_ERR_DENIED, "forbidden", NULL, NULL,
                             "forbidden: instance belongs to another user (only its owner or an "
                             "admin may see or delete \"%s\")", row->name);
    return false;
}

static void h_instance_get(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_store_instance row;
    char err[512];
    ccf_store_rc rc = ccf_ccfaas_store_instance_get(svc->store, ccf_http_request_param(req, "name"),
                                                    &row, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return;
    }
    if (!owns(req, &row, resp)) {
        ccf_ccfaas_store_instance_clear(&row);
        return;
    }
    json_t *st = instance_status(svc, &row);
    /* the full policy again, for a user whose POST answer was lost (not in lists: size) */
    if (st != NULL && row.policy != NULL)
        json_object_set_new(st, "policy", json_stringn(row.policy, row.policy_len));
    ccf_http_respond_json(resp, 200, st);
    ccf_ccfaas_store_instance_clear(&row);
}

/* VaaS's DELETE, waiting out its 409 "stopping; try again" while another
 * delete of the same instance (a thread or a replica) stops it (up to ~5 s):
 * then 404, and the store row decides which delete answers 200. */
static long vaas_delete_settled(ccf_ccfaas *svc, const ccf_store_instance *row, char *err,
                                size_t err_size)
{
    long vst = vaas_delete(svc, row->name, row->instance_hash, STATUS_TIMEOUT_MS, err, err_size);
    for (int i = 0; i < 100 && vst == 409; i++) {
        usleep(50 * 1000);
        vst = vaas_delete(svc, row->name, row->instance_hash, STATUS_TIMEOUT_MS, err, err_size);
    }
    return vst;
}

static void h_instance_delete(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    ccf_store_instance row;
    char err[512];
    long vst = 0;
    ccf_store_rc rc = ccf_ccfaas_store_instance_get(svc->store, ccf_http_request_param(req, "name"),
                                                    &row, err, sizeof err);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_respond_store(resp, rc, err);
        return;
    }
    if (!owns(req, &row, resp)) {
        /* refused before anything is touched: not VaaS, not the store */
    } else if (row.ended == NULL && strcmp(row.state, "ready") != 0) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_CONFLICT, NULL, NULL, NULL,
                                 "instance \"%s\" is being created; delete it when its creation "
                                 "has finished or failed", row.name);
    } else if (row.ended == NULL && /* an ended one's port was freed when it ended */
               (vst = vaas_delete_settled(svc, &row, err, sizeof err)) != 200 && vst != 404) {
        ccf_ccfaas_respond_error(resp, CCF_ERR_UPSTREAM, "vaas_failed", "VaaS delete", NULL,
                                 "step 'VaaS delete' failed: %s", err);
    } else if ((rc = ccf_ccfaas_store_instance_delete(svc->store, row.name, NULL, err,
                                                     sizeof err)) != CCF_STORE_OK) {
        /* the row decides: of two deletes at once (threads or replicas) one
         * wins, the other finds it gone (404) */
        ccf_ccfaas_respond_store(resp, rc, err);
    } else {
        remove_instance_dir(svc, row.name);
        ccf_http_respond_json(resp, 200,
                              json_pack("{s:s, s:b}", "instance", row.name, "deleted", 1));
    }
    ccf_ccfaas_store_instance_clear(&row);
}

static void metrics(ccf_http_metrics *m, void *ctx)
{
    ccf_ccfaas *svc = ctx;
    int64_t functions = 0, creating = 0, ready = 0;
    if (ccf_ccfaas_store_counts(svc->store, &functions, &creating, &ready) == CCF_STORE_OK) {
        ccf_http_metrics_printf(m, "ccfaas_ccfaas_functions %lld\n", (long long)functions);
        ccf_http_metrics_printf(m, "ccfaas_ccfaas_instances{state=\"creating\"} %lld\n",
                                (long long)creating);
        ccf_http_metrics_printf(m, "ccfaas_ccfaas_instances{state=\"ready\"} %lld\n",
                                (long long)ready);
    }
    ccf_http_metrics_printf(m, "ccfaas_ccfaas_instance_creations_total{result=\"ok\"} %lu\n",
                            atomic_load(&svc->instances_ok));
    ccf_http_metrics_printf(m, "ccfaas_ccfaas_instance_creations_total{result=\"failed\"} %lu\n",
                            atomic_load(&svc->instances_failed));
}

/* Before the policy is read: a caller at its quota of live instances gets
 * 429 (its instances whose runtime died unseen are looked at first: they do
 * not count). reserve checks again in its transaction. */
bool ccf_ccfaas_admit_instance(ccf_ccfaas *svc, const char *me, ccf_http_response *resp)
{
    int64_t live = 0, bytes = 0;
    char err[512];
    if (svc->quotas.instances == 0)
        return true;
    for (int pass = 0; pass < 2; pass++) {
        if (ccf_ccfaas_store_usage(svc->store, me, &live, &bytes, err, sizeof err) !=
            CCF_STORE_OK) {
            ccf_ccfaas_respond_store(resp, CCF_STORE_FAILED, err);
            return false;
        }
        if (live < (int64_t)svc->quotas.instances ||
            (pass == 0 && ccf_ccfaas_refresh(svc, NULL, NULL, me) == 0))
            break;
    }
    if (live < (int64_t)svc->quotas.instances)
        return true;
    ccf_ccfaas_respond_quota(resp, "quota: \"%s\" has %lld live instance(s), the most allowed; "
                                   "delete one first (ccfaas instance list)",
                             me, (long long)live);
    return false;
}

static bool admit_instance_post(const ccf_http_request *req, long long content_length,
                                ccf_http_response *resp, void *ctx)
{
    (void)content_length;
    return ccf_ccfaas_admit_instance(ctx, ccf_ccfaas_caller(req)->name, resp);
}

ccf_err ccf_ccfaas_mount_instances(ccf_ccfaas *svc, ccf_http_server *srv)
{
    ccf_err rc;
    /* users (and admins) make instances; each sees and deletes only its own */
    const unsigned mk = CCF_ROLE_USER | CCF_ROLE_ADMIN;
    if ((rc = ccf_http_server_route_auth(srv, "POST", "/instance", mk, h_instance_post, svc,
                                         CCF_POLICY_MAX_BYTES)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/instance", mk, h_instance_list, svc, 0)) ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/instance/<name>", mk, h_instance_get, svc,
                                         0)) ||
        (rc = ccf_http_server_route_auth(srv, "DELETE", "/instance/<name>", mk,
                                         h_instance_delete, svc, 0)) ||
        (rc = ccf_http_server_route_admit(srv, "POST", "/instance", admit_instance_post)))
        return rc;
    return ccf_http_server_add_metrics(srv, metrics, svc);
}
