/* VaaS service (see vaas.h): the instance table, policy completion, routes
 * and the reaper. One mutex guards the table; starting and stopping a runtime
 * (slow) happen outside it, on a record marked starting/stopping so that no
 * one else touches it meanwhile. */
#include "vaas/vaas.h"

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attest/evidence.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/utc.h"
#include "policy/policy.h"
#include "vaas/backend.h"

#define REAP_INTERVAL_MS 100
#define MAX_RECORDS 4096 /* live + exited records kept; oldest exited go first */
#define TAIL_BYTES 1024

typedef enum { ST_STARTING, ST_READY, ST_STOPPING, ST_EXITED } inst_state;
static const char *const state_names[] = {"starting", "ready", "stopping", "exited"};

struct instance {
    char id[129];
    char hash[CCF_SHA256_HEX_LEN + 1];
    char *policy; /* the full policy text handed out */
    char dir[4096];
    char host[256]; /* of veracruz_server_url */
    uint16_t port;
    bool port_held;
    inst_state state;
    int exit_code, signal;
    time_t since;
    ccf_vaas_proc *proc;
    struct instance *next;
};

extern char **environ;

struct ccf_vaas {
    char *data_dir, *vaas_dir, *runtime_path, *platform_key_path, *proxy_url, *proxy_ca_pem;
    char *proxy_tls_cert_pem; /* NULL = the proxy speaks plain HTTP */
    char *host, *bind_addr;
    bool host_given; /* --host: else the backend may name each instance's host */
    char measurement_hex[CCF_SHA256_HEX_LEN + 1];
    uint16_t port_first, port_last;
    bool *port_used;
    unsigned cert_days, ready_timeout_ms;
    bool allow_debug;
    const ccf_vaas_backend *backend;
    ccf_vaas_backend_config bcfg;
    unsigned instance_memory_mib; /* cap of each runtime's memory limit; 0 = its policy's */
    char kbs_url[300];            /* the key broker instances fetch keys from; "" = none */
    char *kbs_cert_pem;           /* its certificate, for https; NULL = none */
    ccf_auth *auth; /* DATA/auth/tokens.json: the service token and admins */

    pthread_mutex_t lock;
    struct instance *instances;
    size_t record_count;
    unsigned long starts_ok, starts_failed, reaped;

    pthread_t reaper;
    bool reaper_running;
    pthread_cond_t wake;
    bool stopping;
};

/* --- helpers --------------------------------------------------------------- */

/* Whether bubblewrap can make its namespaces here (user namespaces may be
 * disabled): checked once at start so that the error is clear. */
static bool sandbox_works(char *err, size_t err_size)
{
    char *const argv[] = {"bwrap", "--unshare-all", "--unshare-user", "--uid", "65534",
                          "--gid", "65534", "--cap-drop", "ALL", "--share-net",
                          "--die-with-parent", "--ro-bind", "/", "/", "true", NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st = 0;
    bool ok = false;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory"), false;
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0) {
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (!ok)
        ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED,
                 "bubblewrap (bwrap) cannot create a sandbox on this machine (not installed, or "
                 "user namespaces are disabled): install it (scripts/install-deps) or run "
                 "without the sandbox (--no-sandbox, development only)");
    return ok;
}

/* The runtime's memory limit: what its policy lets it hold (files and wasm
 * memory, each up to max_memory_mib, default 1 GiB files and 4 GiB memory)
 * plus the runtime's own, capped by --instance-memory-mib. */
static unsigned instance_memory_mib(const ccf_vaas *v, const ccf_policy *vp)
{
    uint64_t need = vp->has_max_memory_mib ? 2 * (uint64_t)vp->max_memory_mib + 256
                                           : CCF_VAAS_DEFAULT_INSTANCE_MEMORY_MIB;
    if (v->instance_memory_mib > 0 && need > v->instance_memory_mib)
        need = v->instance_memory_mib;
    return (unsigned)need;
}

/* Instance directories left by a VaaS that was killed: their runtimes are
 * gone (bubblewrap's --die-with-parent) or orphaned; the files go. */
static void remove_stale(const char *vaas_dir)
{
    DIR *d = opendir(vaas_dir);
    struct dirent *e;
    char path[4200];
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        const char *files[] = {"policy.json", "runtime.log"};
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
            snprintf(path, sizeof path, "%s/%s/%s", vaas_dir, e->d_name, files[i]);
            unlink(path);
        }
        snprintf(path, sizeof path, "%s/%s", vaas_dir, e->d_name);
        if (rmdir(path) == 0)
            ccf_log_event("vaas", "removed the stale instance directory %s", path);
    }
    closedir(d);
}

/* Whether ADDR:port can be bound now (a port another program uses is skipped). */
static bool port_free(const char *addr, uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

/* Under the lock: a free port of the range, marked used; 0 when none. */
static uint16_t port_take(ccf_vaas *v)
{
    for (unsigned p = v->port_first; p <= v->port_last; p++) {
        size_t i = p - v->port_first;
        /* a port another program uses here is skipped (instances of a
         * backend that places them elsewhere do not bind here) */
        if (!v->port_used[i] && (!v->backend->local || port_free(v->bind_addr, (uint16_t)p))) {
            v->port_used[i] = true;
            return (uint16_t)p;
        }
    }
    return 0;
}

static void port_give(ccf_vaas *v, struct instance *in)
{
    if (in->port_held) {
        v->port_used[in->port - v->port_first] = false;
        in->port_held = false;
    }
}

static void remove_files(const struct instance *in)
{
    const char *files[] = {"policy.json", "runtime.log"};
    char path[4200];
    if (in->dir[0] == '\0')
        return;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", in->dir, files[i]);
        unlink(path);
    }
    if (rmdir(in->dir) != 0 && errno != ENOENT)
        ccf_log_event("vaas", "cannot remove %s: %s", in->dir, strerror(errno));
}

static struct instance *find(ccf_vaas *v, const char *id)
{
    for (struct instance *in = v->instances; in != NULL; in = in->next)
        if (strcmp(in->id, id) == 0)
            return in;
    return NULL;
}

/* Under the lock: unlinks and frees a record whose runtime is gone. */
static void drop(ccf_vaas *v, struct instance *in)
{
    for (struct instance **pp = &v->instances; *pp != NULL; pp = &(*pp)->next)
        if (*pp == in) {
            *pp = in->next;
            break;
        }
    port_give(v, in);
    remove_files(in);
    free(in->policy);
    free(in);
    v->record_count--;
}

/* Under the lock: makes room for one more record by forgetting the oldest
 * exited one; false when every record is live. */
static bool make_room(ccf_vaas *v)
{
    if (v->record_count < MAX_RECORDS)
        return true;
    struct instance *oldest = NULL;
    for (struct instance *in = v->instances; in != NULL; in = in->next)
        if (in->state == ST_EXITED && (oldest == NULL || in->since < oldest->since))
            oldest = in;
    if (oldest == NULL)
        return false;
    drop(v, oldest);
    return true;
}

/* --- the reaper -------------------------------------------------------------- */

/* Under the lock: notices runtimes that ended, frees their ports. */
static void reap(ccf_vaas *v)
{
    for (struct instance *in = v->instances; in != NULL; in = in->next) {
        if (in->state != ST_READY)
            continue;
        int code = 0, sig = 0;
        if (!v->backend->ended(in->proc, &code, &sig))
            continue;
        v->backend->release(in->proc);
        in->proc = NULL;
        in->state = ST_EXITED;
        in->exit_code = code;
        in->signal = sig;
        in->since = time(NULL);
        port_give(v, in);
        v->reaped++;
        ccf_log_event("vaas", "instance %s ended (exit code %d%s%d)", in->id, code,
                sig ? ", signal " : "", sig);
    }
}

static void *reaper_main(void *arg)
{
    ccf_vaas *v = arg;
    pthread_mutex_lock(&v->lock);
    while (!v->stopping) {
        reap(v);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += REAP_INTERVAL_MS * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&v->wake, &v->lock, &ts);
    }
    pthread_mutex_unlock(&v->lock);
    return NULL;
}

/* --- policy completion -------------------------------------------------------- */

static json_t *std_streams_default(void)
{
    return json_pack("[{s:{s:s,s:i}},{s:{s:s,s:i}},{s:{s:s,s:i}}]", "Stdin", "file_name",
                     "stdin", "rights", 8198, "Stdout", "file_name", "stdout", "rights", 533572,
                     "Stderr", "file_name", "stderr", "rights", 533572);
}

/* The full policy (canonical text) for a validated VaaS policy. */
static ccf_err complete_policy(ccf_vaas *v, const char *text, size_t len, const char *id,
                               const char *host,
                               uint16_t port, bool has_encrypted, char **out, char *err,
                               size_t err_size)
{
    json_t *root = NULL;
    ccf_policy *full = NULL;
    ccf_policy_errors errors;
    char url[300];
    ccf_err rc = CCF_OK;
    *out = NULL;
    if ((root = json_loadb(text, len, 0, NULL)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "policy is not JSON");
    time_t exp = time(NULL) + (time_t)v->cert_days * 86400;
    struct tm tm;
    gmtime_r(&exp, &tm);
    snprintf(url, sizeof url, "%s:%u", host, port);
    static const char *const offered_not[] = {"nitro", "sgx", "tz", "sevsnp", "tdx"};
    int set = json_object_set_new(root, "instance_id", json_string(id));
    set |= json_object_set_new(root, "proxy_attestation_server_url", json_string(v->proxy_url));
    set |= json_object_set_new(root, "proxy_service_cert", json_string(v->proxy_ca_pem));
    if (v->proxy_tls_cert_pem != NULL)
        set |= json_object_set_new(root, "proxy_tls_cert", json_string(v->proxy_tls_cert_pem));
    if (v->kbs_url[0] != '\0' && has_encrypted) { /* only where keys are needed */
        set |= json_object_set_new(root, "kbs_url", json_string(v->kbs_url));
        if (v->kbs_cert_pem != NULL)
            set |= json_object_set_new(root, "kbs_cert", json_string(v->kbs_cert_pem));
    }
    set |= json_object_set_new(root, "runtime_manager_hash_linux",
                               json_string(v->measurement_hex));
    for (size_t i = 0; i < sizeof offered_not / sizeof offered_not[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "runtime_manager_hash_%s", offered_not[i]);
        set |= json_object_set_new(root, key, json_string(""));
    }
    set |= json_object_set_new(root, "enclave_cert_expiry",
                               json_pack("{s:i,s:i,s:i,s:i,s:i}", "year", tm.tm_year + 1900,
                                         "month", tm.tm_mon + 1, "day", tm.tm_mday, "hour",
                                         tm.tm_hour, "minute", tm.tm_min));
    set |= json_object_set_new(root, "std_streams_table", std_streams_default());
    set |= json_object_set_new(root, "veracruz_server_url", json_string(url));
    /* a fresh value per instance: a re-created instance (same name, port and
     * expiry minute) never has an old policy's bytes, so never its hash */
    uint8_t nonce[CCF_SHA256_LEN];
    char nonce_hex[CCF_SHA256_HEX_LEN + 1];
    if (RAND_bytes(nonce, sizeof nonce) != 1) {
        rc = ccf_errf(err, err_size, CCF_ERR_CRYPTO, "no random bytes for the instance nonce");
        goto out;
    }
    ccf_hex_encode(nonce, sizeof nonce, nonce_hex);
    set |= json_object_set_new(root, "instance_nonce", json_string(nonce_hex));
    char *draft = set == 0 ? json_dumps(root, JSON_COMPACT) : NULL;
    if (draft == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Validated as a full policy before any runtime sees it, then emitted canonically. */
    rc = ccf_policy_parse(draft, strlen(draft), CCF_POLICY_FULL, &full, &errors);
    free(draft);
    if (rc != CCF_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "the completed policy is invalid: %s: %s",
                      errors.count ? errors.items[0].path : "",
                      errors.count ? errors.items[0].message : "?");
        goto out;
    }
    rc = ccf_policy_emit(full, out);
    if (rc != CCF_OK)
        ccf_errf(err, err_size, rc, "cannot emit the full policy");
out:
    ccf_policy_free(full);
    json_decref(root);
    return rc;
}

static ccf_err write_file(const char *path, const char *text, char *err, size_t err_size)
{
    FILE *f = fopen(path, "wxe");
    if (f == NULL)
        return ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
    size_t n = strlen(text);
    bool ok = fwrite(text, 1, n, f) == n;
    ok = (fclose(f) == 0) && ok;
    return ok ? CCF_OK : ccf_errf(err, err_size, CCF_ERR_IO, "%s: write failed", path);
}

/* --- routes ------------------------------------------------------------------------ */

static json_t *status_json(ccf_vaas *v, const struct instance *in)
{
    char since[CCF_UTC_LEN], url[300];
    ccf_utc_format(in->since, since);
    snprintf(url, sizeof url, "%s:%u", in->host, in->port);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "instance_id", in->id, "instance_hash",
                          in->hash, "status", state_names[in->state], "since", since, "url", url,
                          "backend", v->backend->name);
    if (o != NULL && in->state == ST_EXITED) {
        char path[4200], tail[TAIL_BYTES];
        json_object_set_new(o, "exit_code", json_integer(in->exit_code));
        if (in->signal != 0)
            json_object_set_new(o, "signal", json_integer(in->signal));
        snprintf(path, sizeof path, "%s/runtime.log", in->dir);
        ccf_vaas_file_tail(path, tail, sizeof tail);
        json_object_set_new(o, "stderr_tail", json_string(tail));
    }
    return o;
}

static void random_id(char out[20])
{
    uint8_t r[8];
    FILE *f = fopen("/dev/urandom", "rbe");
    if (f == NULL || fread(r, 1, sizeof r, f) != sizeof r) {
        uint64_t t = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)out;
        memcpy(r, &t, sizeof r);
    }
    if (f != NULL)
        fclose(f);
    char hex[17];
    ccf_hex_encode(r, sizeof r, hex);
    snprintf(out, 20, "vc-%s", hex);
}

static void handle_create(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_vaas *v = ctx;
    size_t len = 0;
    const char *text = ccf_http_request_body(req, &len);
    ccf_policy *vp = NULL;
    ccf_policy_errors errors;
    struct instance *in = NULL;
    char *full = NULL, err[2048], path[4200], listen[300];
    char generated[20];

    if (ccf_policy_parse(text, len, CCF_POLICY_VAAS, &vp, &errors) != CCF_OK) {
        json_t *body = ccf_policy_errors_response(&errors, "VaaS policy");
        if (body == NULL)
            ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "out of memory");
        else
            ccf_http_respond_json(resp, 400, body);
        return;
    }
    if (vp->debug && !v->allow_debug) {
        ccf_http_respond_err(resp, CCF_ERR_DENIED, "debug_not_allowed",
                             "debug instances are not allowed by this VaaS (its operator starts "
                             "it with --allow-debug); clients refuse them unless they trust "
                             "debug instances");
        goto out;
    }
    if (ccf_policy_has_encrypted(vp) && v->kbs_url[0] == '\0') {
        ccf_http_respond_err(resp, CCF_ERR_UNSUPPORTED, "no_key_broker",
                             "the policy has encrypted programs or data files or secrets, and "
                             "this VaaS has no key broker for its instances to fetch them from (its "
                             "operator starts it with --kbs URL; `ccfaas up` does)");
        goto out;
    }
    const char *id = vp->instance_id;
    if (id == NULL) {
        random_id(generated);
        id = generated;
    }
    if ((in = calloc(1, sizeof *in)) == NULL) {
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "out of memory");
        goto out;
    }
    snprintf(in->id, sizeof in->id, "%s", id);

    /* Reserve the name and a port. */
    pthread_mutex_lock(&v->lock);
    struct instance *old = find(v, id);
    if (old != NULL && old->state == ST_EXITED)
        drop(v, old); /* an ended instance's name may be reused */
    else if (old != NULL) {
        pthread_mutex_unlock(&v->lock);
        ccf_http_respond_err(resp, CCF_ERR_CONFLICT, NULL, "instance '%s' exists (%s)", id,
                             state_names[old->state]);
        goto out;
    }
    if (!make_room(v)) {
        pthread_mutex_unlock(&v->lock);
        ccf_http_respond_err(resp, CCF_ERR_EXHAUSTED, NULL, "too many instances (%d)", MAX_RECORDS);
        goto out;
    }
    if ((in->port = port_take(v)) == 0) {
        pthread_mutex_unlock(&v->lock);
        ccf_http_respond_err(resp, CCF_ERR_EXHAUSTED, "no_free_port",
                             "no free port in %u-%u for a new instance", v->port_first,
                             v->port_last);
        goto out;
    }
    in->port_held = true;
    in->state = ST_STARTING;
    in->since = time(NULL);
    in->next = v->instances;
    v->instances = in;
    v->record_count++;
    pthread_mutex_unlock(&v->lock);

    /* Policy, files, runtime: outside the lock. */
    if (!v->host_given && v->backend->instance_host != NULL)
        v->backend->instance_host(&v->bcfg, id, in->host, sizeof in->host);
    else
        snprintf(in->host, sizeof in->host, "%s", v->host);
    if (complete_policy(v, text, len, id, in->host, in->port, ccf_policy_has_encrypted(vp), &full,
                        err, sizeof err) != CCF_OK) {
        /* the VaaS policy was valid: a completion that is not is our fault */
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "%s", err);
        goto fail;
    }
    char hash[CCF_SHA256_HEX_LEN + 1];
    if (!ccf_policy_hash(full, strlen(full), hash)) {
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "cannot hash the policy");
        goto fail;
    }
    if (snprintf(in->dir, sizeof in->dir, "%s/%s", v->vaas_dir, id) >= (int)sizeof in->dir ||
        mkdir(in->dir, 0700) != 0) {
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "cannot create %s: %s", in->dir,
                             strerror(errno));
        in->dir[0] = '\0';
        goto fail;
    }
    snprintf(path, sizeof path, "%s/policy.json", in->dir);
    if (write_file(path, full, err, sizeof err) != CCF_OK) {
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "%s", err);
        goto fail;
    }
    snprintf(listen, sizeof listen, "%s:%u", v->bind_addr, in->port);
    ccf_vaas_launch l = {.instance_id = id, .dir = in->dir, .policy_path = path,
                         .listen = listen, .ready_timeout_ms = v->ready_timeout_ms,
                         .memory_mib = instance_memory_mib(v, vp), .port = in->port,
                         .policy = full, .policy_hash = hash};
    ccf_vaas_proc *proc = NULL;
    if (v->backend->start(&v->bcfg, &l, &proc, err, sizeof err) != CCF_OK) {
        ccf_log_event("vaas", "instance %s failed to start: %s", id, err);
        ccf_http_respond_err(resp, CCF_ERR_UPSTREAM, "runtime_failed", "instance '%s': %s", id,
                             err);
        goto fail;
    }

    pthread_mutex_lock(&v->lock);
    in->proc = proc;
    in->policy = full;
    full = NULL;
    snprintf(in->hash, sizeof in->hash, "%s", hash);
    in->state = ST_READY;
    in->since = time(NULL);
    v->starts_ok++;
    json_t *body = json_pack("{s:s,s:s,s:s}", "instance_id", in->id, "instance_hash", in->hash,
                             "policy", in->policy);
    pthread_mutex_unlock(&v->lock);
    if (body == NULL)
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "out of memory");
    else
        ccf_http_respond_json(resp, 200, body);
    in = NULL;
    goto out;
fail:
    pthread_mutex_lock(&v->lock);
    v->starts_failed++;
    drop(v, in);
    pthread_mutex_unlock(&v->lock);
    in = NULL;
out:
    free(in);
    free(full);
    ccf_policy_free(vp);
}

static void handle_list(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_vaas *v = ctx;
    const char *id = ccf_http_request_query(req, "instance_id");
    const char *hash = ccf_http_request_query(req, "instance_hash");
    json_t *arr = json_array();
    pthread_mutex_lock(&v->lock);
    reap(v);
    for (struct instance *in = v->instances; arr != NULL && in != NULL; in = in->next) {
        if ((id != NULL && strcmp(id, in->id) != 0) || (hash != NULL && strcmp(hash, in->hash) != 0))
            continue;
        json_array_append_new(arr, status_json(v, in));
    }
    pthread_mutex_unlock(&v->lock);
    json_t *body = arr ? json_pack("{s:o}", "instances", arr) : NULL;
    if (body == NULL)
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "out of memory");
    else
        ccf_http_respond_json(resp, 200, body);
}

static void handle_get(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_vaas *v = ctx;
    const char *name = ccf_http_request_param(req, "name");
    pthread_mutex_lock(&v->lock);
    reap(v);
    struct instance *in = find(v, name);
    json_t *body = in != NULL ? status_json(v, in) : NULL;
    pthread_mutex_unlock(&v->lock);
    if (in == NULL)
        ccf_http_respond_err(resp, CCF_ERR_NOT_FOUND, NULL, "no instance '%s'", name);
    else if (body == NULL)
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "out of memory");
    else
        ccf_http_respond_json(resp, 200, body);
}

/* GET /veracruz/<name>/log: the runtime's stderr (its own lines and, for a
 * debug instance only, its program's stderr: docs/vaas.md), the last 1 MiB. */
#define LOG_MAX (1024 * 1024)
static void handle_log(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_vaas *v = ctx;
    const char *name = ccf_http_request_param(req, "name");
    char path[4200];
    pthread_mutex_lock(&v->lock);
    reap(v);
    struct instance *in = find(v, name);
    if (in != NULL)
        snprintf(path, sizeof path, "%s/runtime.log", in->dir);
    pthread_mutex_unlock(&v->lock);
    if (in == NULL) {
        ccf_http_respond_err(resp, CCF_ERR_NOT_FOUND, NULL, "no instance '%s'", name);
        return;
    }
    char *buf = malloc(LOG_MAX);
    ssize_t n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (buf != NULL && fd >= 0) {
        off_t end = lseek(fd, 0, SEEK_END);
        n = pread(fd, buf, LOG_MAX, end > LOG_MAX ? end - LOG_MAX : 0);
    }
    if (fd >= 0)
        close(fd);
    if (buf == NULL)
        ccf_http_respond_err(resp, CCF_ERR_INTERNAL, NULL, "out of memory");
    else
        ccf_http_respond_bytes(resp, 200, "text/plain", buf, n > 0 ? (size_t)n : 0);
    free(buf);
}

static void handle_delete(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_vaas *v = ctx;
    const char *name = ccf_http_request_param(req, "name");
    const char *id = ccf_http_request_query(req, "instance_id");
    const char *hash = ccf_http_request_query(req, "instance_hash");
    if (id == NULL || hash == NULL) {
        ccf_http_respond_err(resp, CCF_ERR_INVALID, NULL,
                             "DELETE /veracruz/%s needs the query parameters instance_id and "
                             "instance_hash", name);
        return;
    }
    pthread_mutex_lock(&v->lock);
    reap(v);
    struct instance *in = find(v, name);
    if (in == NULL) {
        pthread_mutex_unlock(&v->lock);
        ccf_http_respond_err(resp, CCF_ERR_NOT_FOUND, NULL, "no instance '%s'", name);
        return;
    }
    if (strcmp(id, in->id) != 0 || strcmp(hash, in->hash) != 0) {
        pthread_mutex_unlock(&v->lock);
        ccf_http_respond_err(resp, CCF_ERR_DENIED, "mismatch",
                             "instance_id and instance_hash must both match instance '%s'",
                             name);
        return;
    }
    if (in->state == ST_STARTING || in->state == ST_STOPPING) {
        pthread_mutex_unlock(&v->lock);
        ccf_http_respond_err(resp, CCF_ERR_CONFLICT, NULL, "instance '%s' is %s; try again", name,
                             state_names[in->state]);
        return;
    }
    ccf_vaas_proc *proc = in->proc;
    in->proc = NULL;
    in->state = ST_STOPPING;
    pthread_mutex_unlock(&v->lock);
    if (proc != NULL)
        v->backend->stop(proc); /* slow: outside the lock */
    pthread_mutex_lock(&v->lock);
    drop(v, in);
    pthread_mutex_unlock(&v->lock);
    ccf_http_respond_json(resp, 200, json_pack("{s:s,s:s}", "instance_id", id, "status",
                                               "deleted"));
}

static void metrics(ccf_http_metrics *m, void *ctx)
{
    ccf_vaas *v = ctx;
    size_t counts[4] = {0};
    pthread_mutex_lock(&v->lock);
    for (struct instance *in = v->instances; in != NULL; in = in->next)
        counts[in->state]++;
    unsigned long ok = v->starts_ok, failed = v->starts_failed, reaped = v->reaped;
    pthread_mutex_unlock(&v->lock);
    for (size_t i = 0; i < 4; i++)
        ccf_http_metrics_printf(m, "ccfaas_vaas_instances{status=\"%s\"} %zu\n", state_names[i],
                                counts[i]);
    ccf_http_metrics_printf(m, "ccfaas_vaas_starts_total{result=\"ok\"} %lu\n", ok);
    ccf_http_metrics_printf(m, "ccfaas_vaas_starts_total{result=\"failed\"} %lu\n", failed);
    ccf_http_metrics_printf(m, "ccfaas_vaas_ended_total %lu\n", reaped);
}

/* --- lifetime ---------------------------------------------------------------------- */

ccf_err ccf_vaas_new(const ccf_vaas_config *cfg, ccf_vaas **out, char *err, size_t err_size)
{
    ccf_vaas *v = NULL;
    ccf_err rc = CCF_OK;
    uint8_t m[CCF_SHA256_LEN];
    *out = NULL;
    if (cfg->data_dir == NULL || cfg->runtime_path == NULL || cfg->platform_key_path == NULL ||
        cfg->proxy_url == NULL || cfg->proxy_ca_pem == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "VaaS needs a data directory, the runtime, the platform key, the proxy "
                        "URL and the proxy CA certificate");
    const ccf_vaas_backend *be = ccf_vaas_backend_find(cfg->backend, err, err_size);
    if (be == NULL)
        return CCF_ERR_UNSUPPORTED;
    if (access(cfg->runtime_path, X_OK) != 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "runtime %s: %s", cfg->runtime_path,
                        strerror(errno));
    if (be->local && access(cfg->platform_key_path, R_OK) != 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "platform key %s: %s", cfg->platform_key_path,
                        strerror(errno));
    if (ccf_evidence_measure_file(cfg->runtime_path, m, err, err_size) != CCF_OK)
        return CCF_ERR_IO;
    if (be->local && !cfg->no_sandbox && !sandbox_works(err, err_size))
        return CCF_ERR_UNSUPPORTED;
    uint16_t first = cfg->port_first ? cfg->port_first : CCF_VAAS_FIRST_INSTANCE_PORT;
    unsigned last = cfg->port_last ? cfg->port_last : (unsigned)first + 99;
    if (last > 65535)
        last = 65535;
    if (last < first)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "instance port range %u-%u is empty",
                        first, last);

    if ((v = calloc(1, sizeof *v)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&v->lock, NULL);
    pthread_cond_init(&v->wake, NULL);
    ccf_hex_encode(m, sizeof m, v->measurement_hex);
    v->backend = be;
    v->port_first = first;
    v->port_last = (uint16_t)last;
    v->cert_days = cfg->cert_days ? cfg->cert_days : 1;
    v->ready_timeout_ms = cfg->ready_timeout_ms ? cfg->ready_timeout_ms : 15000;
    v->data_dir = strdup(cfg->data_dir);
    v->runtime_path = realpath(cfg->runtime_path, NULL); /* bubblewrap binds absolute paths */
    v->platform_key_path = strdup(cfg->platform_key_path);
    v->proxy_ca_pem = strdup(cfg->proxy_ca_pem);
    /* Policies carry the proxy as HOST:PORT (the spec's form), or as
     * https://HOST:PORT with its certificate pinned beside it */
    if ((strncmp(cfg->proxy_url, "https://", 8) == 0) != (cfg->proxy_tls_cert_pem != NULL)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "proxy %s: an https proxy needs its "
                      "certificate (to pin), and only an https one has one", cfg->proxy_url);
        goto out;
    }
    if (cfg->proxy_tls_cert_pem != NULL &&
        (v->proxy_tls_cert_pem = strdup(cfg->proxy_tls_cert_pem)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    v->proxy_url = strdup(strncmp(cfg->proxy_url, "http://", 7) == 0 ? cfg->proxy_url + 7
                                                                      : cfg->proxy_url);
    v->host = strdup(cfg->host ? cfg->host : "127.0.0.1");
    v->host_given = cfg->host != NULL;
    v->bind_addr = strdup(cfg->bind_addr ? cfg->bind_addr : v->host ? v->host : "127.0.0.1");
    v->port_used = calloc((size_t)(v->port_last - v->port_first) + 1, sizeof *v->port_used);
    if (mkdir(cfg->data_dir, 0700) != 0 && errno != EEXIST) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "cannot create %s: %s", cfg->data_dir,
                      strerror(errno));
        goto out;
    }
    char *abs_data = realpath(cfg->data_dir, NULL);
    size_t dl = (abs_data ? strlen(abs_data) : 0) + sizeof "/vaas";
    v->vaas_dir = abs_data ? malloc(dl) : NULL;
    if (v->vaas_dir != NULL)
        snprintf(v->vaas_dir, dl, "%s/vaas", abs_data);
    free(abs_data);
    if (v->data_dir == NULL || v->runtime_path == NULL || v->platform_key_path == NULL ||
        v->proxy_ca_pem == NULL || v->proxy_url == NULL || v->host == NULL ||
        v->bind_addr == NULL || v->port_used == NULL || v->vaas_dir == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t pl = strlen(v->proxy_url);
    while (pl > 0 && v->proxy_url[pl - 1] == '/')
        v->proxy_url[--pl] = '\0';
    if (mkdir(v->vaas_dir, 0700) != 0 && errno != EEXIST) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "cannot create %s: %s", v->vaas_dir,
                      strerror(errno));
        goto out;
    }
    v->allow_debug = cfg->allow_debug;
    if ((rc = ccf_auth_open_dir(cfg->data_dir, &v->auth, err, err_size)) != CCF_OK)
        goto out;
    remove_stale(v->vaas_dir);
    v->bcfg = (ccf_vaas_backend_config){.runtime_path = v->runtime_path,
                                        .platform_key_path = v->platform_key_path,
                                        .sandbox = !cfg->no_sandbox,
                                        .cpu_seconds = cfg->instance_cpu_seconds,
                                        .cgroups = true,
                                        .runtime_args = cfg->runtime_args,
                                        .k8s = cfg->k8s};
    if (v->backend->open != NULL &&
        (rc = v->backend->open(&v->bcfg, err, err_size)) != CCF_OK)
        goto out;
    v->instance_memory_mib = cfg->instance_memory_mib;
    if (cfg->kbs_url != NULL &&
        snprintf(v->kbs_url, sizeof v->kbs_url, "%s", cfg->kbs_url) >= (int)sizeof v->kbs_url) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "key broker URL too long");
        goto out;
    }
    if (strncmp(v->kbs_url, "https://", 8) == 0 && cfg->kbs_cert_pem == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "an https key broker needs its certificate "
                                                      "(--kbs-cert FILE), which policies pin");
        goto out;
    }
    if (cfg->kbs_cert_pem != NULL && (v->kbs_cert_pem = strdup(cfg->kbs_cert_pem)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto out;
    }
    if (pthread_create(&v->reaper, NULL, reaper_main, v) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot start the reaper thread");
        goto out;
    }
    v->reaper_running = true;
    *out = v;
    v = NULL;
out:
    ccf_vaas_free(v);
    return rc;
}

ccf_err ccf_vaas_mount(ccf_vaas *v, ccf_http_server *srv)
{
    ccf_err rc;
    /* only the platform's services (CCFaaS) and admins: VaaS trusts its caller
     * with every instance */
    const unsigned who = CCF_ROLE_SERVICE | CCF_ROLE_ADMIN;
    ccf_http_server_set_auth(srv, v->auth);
    if ((rc = ccf_http_server_route_auth(srv, "POST", "/veracruz", who, handle_create, v,
                                         CCF_POLICY_MAX_BYTES)) != CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/veracruz", who, handle_list, v, 0)) !=
            CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/veracruz/<name>", who, handle_get, v, 0)) !=
            CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/veracruz/<name>/log", who, handle_log, v,
                                         0)) != CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "DELETE", "/veracruz/<name>", who, handle_delete, v,
                                         0)) != CCF_OK)
        return rc;
    return ccf_http_server_add_metrics(srv, metrics, v);
}

size_t ccf_vaas_live_count(ccf_vaas *v)
{
    size_t n = 0;
    pthread_mutex_lock(&v->lock);
    for (struct instance *in = v->instances; in != NULL; in = in->next)
        n += in->state != ST_EXITED;
    pthread_mutex_unlock(&v->lock);
    return n;
}

void ccf_vaas_free(ccf_vaas *v)
{
    if (v == NULL)
        return;
    if (v->reaper_running) {
        pthread_mutex_lock(&v->lock);
        v->stopping = true;
        pthread_cond_signal(&v->wake);
        pthread_mutex_unlock(&v->lock);
        pthread_join(v->reaper, NULL);
    }
    /* The HTTP server is stopped: no handler runs, every record is ours. */
    while (v->instances != NULL) {
        struct instance *in = v->instances;
        if (in->proc != NULL)
            v->backend->stop(in->proc);
        in->proc = NULL;
        drop(v, in);
    }
    if (v->backend != NULL && v->backend->close != NULL)
        v->backend->close(&v->bcfg);
    pthread_cond_destroy(&v->wake);
    pthread_mutex_destroy(&v->lock);
    free(v->data_dir);
    free(v->vaas_dir);
    free(v->runtime_path);
    free(v->platform_key_path);
    free(v->proxy_url);
    free(v->proxy_ca_pem);
    free(v->kbs_cert_pem);
    free(v->proxy_tls_cert_pem);
    free(v->host);
    free(v->bind_addr);
    free(v->port_used);
    ccf_auth_free(v->auth);
    free(v);
}
