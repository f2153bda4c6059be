/* The `kubernetes` backend (issue 21, docs/vaas.md): each instance is three
 * objects in one namespace, all labelled app.kubernetes.io/managed-by=
 * ccfaas-vaas and ccfaas.io/vaas=<owner>:
 *  - a ConfigMap (immutable) holding the full policy, mounted read-only;
 *  - a Pod running ccfaas-runtime from the configured image: restartPolicy
 *    Never (a runtime that ends has lost its key: the instance has ended),
 *    non-root, read-only root file system, no privilege escalation, every
 *    capability dropped, seccomp RuntimeDefault, no service account token, no
 *    service links; memory requested and limited as the process backend's
 *    RLIMIT_DATA, a CPU request, extra resources (TEE devices such as
 *    smarter-devices/nitro_enclaves) and a node selector from the settings;
 *    a readiness probe connecting to the data-plane port (the runtime listens
 *    only once it is attested and its certificate is in place, so Ready =
 *    the runtime's ready line);
 *  - a Service (ClusterIP) exposing that port; its DNS name is the host of
 *    veracruz_server_url unless VaaS was given --host.
 * The development platform's key comes from a Secret (platform-key.pem)
 * mounted read-only and handed to the runtime on descriptor 3 by /bin/sh, as
 * the process backend does (docs/deploy.md).
 *
 * start() creates ConfigMap, Service, Pod (in that order; on any failure it
 * deletes what it created), then polls the pod until Ready, Failed or the
 * deadline. A poller thread lists the owner's pods (one request) every
 * poll_ms and marks handles whose pod failed, ended or vanished; ended() only
 * reads that mark, so VaaS's reaper never waits for the network under its
 * lock. release() hands the handle to the poller, which deletes the objects.
 * Deletes carry preconditions (uid and resourceVersion): a 409 means the
 * object changed, so it is read again and deleted only if it is still the
 * one created (same uid); 404 means it is gone already. */
#define _GNU_SOURCE
#include "vaas/backend.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/crypto.h"
#include "common/log.h"
#include "vaas/k8s_api.h"
#include "vaas/k8s_parse.h"

#define MANAGED_BY "ccfaas-vaas"
#define POLICY_DIR "/var/run/ccfaas/policy"
#define KEY_DIR "/var/run/ccfaas/platform"
#define START_POLL_MS 250
#define NAME_MAX_LEN 63

enum { OBJ_CONFIGMAP, OBJ_SERVICE, OBJ_POD, OBJ_COUNT };
static const char *const obj_kind[OBJ_COUNT] = {"configmaps", "services", "pods"};

struct obj_ref {
    char uid[64];
    char rv[64];
    bool exists;
};

struct ccf_vaas_proc {
    struct k8s_state *s;
    char name[NAME_MAX_LEN + 1];
    char dir[4096];
    struct obj_ref objs[OBJ_COUNT];
    bool ended, released;
    int exit_code, signal;
    struct ccf_vaas_proc *next;
};

struct k8s_state {
    ccf_k8s *api;
    char owner[64];
    unsigned poll_ms;
    json_t *node_selector, *extra; /* objects of strings */
    char *image, *cpu, *secret, *service_account, *runtime_path;
    const char *const *runtime_args;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct ccf_vaas_proc *procs; /* started, ended or released: the poller's */
    pthread_t poller;
    bool poller_running, stopping;
};

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* A DNS-1035 label for instance_id: "ccf-<id>" when the id is one already
 * (lowercase letters, digits, '-'; short enough), else "ccfh-" + 24 hex of
 * its SHA-256 (the prefixes keep the two forms apart). */
static void object_name(const char *id, char *out, size_t size)
{
    size_t n = strlen(id);
    bool ok = n > 0 && n <= NAME_MAX_LEN - 4 && id[n - 1] != '-';
    for (size_t i = 0; ok && i < n; i++)
        ok = (id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-';
    if (ok) {
        snprintf(out, size, "ccf-%s", id);
        return;
    }
    uint8_t h[CCF_SHA256_LEN];
    char hex[CCF_SHA256_HEX_LEN + 1];
    if (!ccf_sha256(id, n, h))
        memset(h, 0, sizeof h); /* cannot happen with OpenSSL working; still a valid name */
    ccf_hex_encode(h, sizeof h, hex);
    snprintf(out, size, "ccfh-%.24s", hex);
}

/* "K=V,K=V" into a JSON object of strings; false (err says why) when a pair
 * has no '=' or an empty side. */
static bool parse_pairs(const char *list, const char *flag, json_t **out, char *err,
                        size_t err_size)
{
    *out = json_object();
    if (*out == NULL)
        return false;
    if (list == NULL || list[0] == '\0')
        return true;
    char *copy = strdup(list), *save = NULL;
    bool ok = copy != NULL;
    for (char *t = ok ? strtok_r(copy, ",", &save) : NULL; ok && t != NULL;
         t = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(t, '=');
        if (eq == NULL || eq == t || eq[1] == '\0' || strlen(t) > 316) {
            ccf_errf(err, err_size, CCF_ERR_INVALID, "%s: expected NAME=VALUE[,...], got '%s'",
                     flag, t);
            ok = false;
            break;
        }
        *eq = '\0';
        ok = json_object_set_new(*out, t, json_string(eq + 1)) == 0;
    }
    free(copy);
    if (!ok) {
        json_decref(*out);
        *out = NULL;
    }
    return ok;
}

/* --- objects ---------------------------------------------------------------- */

static json_t *labels(const struct k8s_state *s, const char *name)
{
    return json_pack("{s:s,s:s,s:s,s:s}", "app.kubernetes.io/name", "ccfaas-runtime",
                     "app.kubernetes.io/managed-by", MANAGED_BY, "ccfaas.io/vaas", s->owner,
                     "ccfaas.io/instance", name);
}

static json_t *metadata(const struct k8s_state *s, const char *name, const ccf_vaas_launch *l)
{
    return json_pack("{s:s,s:s,s:o,s:{s:s,s:s}}", "name", name, "namespace",
                     ccf_k8s_namespace(s->api), "labels", labels(s, name), "annotations",
                     "ccfaas.io/instance-id", l->instance_id, "ccfaas.io/policy-hash",
                     l->policy_hash);
}

static json_t *configmap_json(const struct k8s_state *s, const char *name,
                              const ccf_vaas_launch *l)
{
    return json_pack("{s:s,s:s,s:o,s:b,s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
                     "metadata", metadata(s, name, l), "immutable", 1, "data", "policy.json",
                     l->policy);
}

static json_t *service_json(const struct k8s_state *s, const char *name, const ccf_vaas_launch *l)
{
    return json_pack("{s:s,s:s,s:o,s:{s:s,s:{s:s},s:[{s:s,s:s,s:i,s:i}]}}", "apiVersion", "v1",
                     "kind", "Service", "metadata", metadata(s, name, l), "spec", "type",
                     "ClusterIP", "selector", "ccfaas.io/instance", name, "ports", "name",
                     "data-plane", "protocol", "TCP", "port", (int)l->port, "targetPort",
                     (int)l->port);
}

static json_t *pod_json(const struct k8s_state *s, const char *name, const ccf_vaas_launch *l)
{
    char listen[64], mem[32];
    snprintf(listen, sizeof listen, "0.0.0.0:%u", l->port);
    snprintf(mem, sizeof mem, "%uMi", l->memory_mib ? l->memory_mib : 512);
    /* /bin/sh opens the key on descriptor 3 and becomes the runtime (exec):
     * the key never appears in argv or the environment. */
    json_t *args = json_pack("[s,s,s,s,s,s,s,s,s]", s->runtime_path, "--policy",
                             POLICY_DIR "/policy.json", "--listen", listen, "--platform", "linux",
                             "--platform-key-fd", "3");
    for (size_t i = 0; args != NULL && s->runtime_args != NULL && s->runtime_args[i] != NULL;
         i++)
        json_array_append_new(args, json_string(s->runtime_args[i]));
    json_t *requests = json_pack("{s:s,s:s}", "cpu", s->cpu, "memory", mem);
    json_t *limits = json_pack("{s:s}", "memory", mem);
    const char *k;
    json_t *v;
    json_object_foreach(s->extra, k, v) { /* extended resources: requests = limits */
        json_object_set(requests, k, v);
        json_object_set(limits, k, v);
    }
    json_t *container = json_pack(
        "{s:s,s:s,s:s,s:[s,s,s],s:o,s:[{s:s,s:i,s:s}],"
        "s:{s:{s:i},s:i,s:i,s:i,s:i},s:{s:o,s:o},"
        "s:{s:b,s:b,s:b,s:b,s:{s:[s]}},"
        "s:[{s:s,s:s,s:b},{s:s,s:s,s:b}],s:s}",
        "name", "runtime", "image", s->image, "imagePullPolicy", "IfNotPresent",
        "command", "/bin/sh", "-c", "exec \"$0\" \"$@\" 3<" KEY_DIR "/platform-key.pem",
        "args", args,
        "ports", "name", "data-plane", "containerPort", (int)l->port, "protocol", "TCP",
        "readinessProbe", "tcpSocket", "port", (int)l->port, "initialDelaySeconds", 0,
        "periodSeconds", 1, "failureThreshold", 1, "successThreshold", 1,
        "resources", "requests", requests, "limits", limits,
        "securityContext", "allowPrivilegeEscalation", 0, "readOnlyRootFilesystem", 1,
        "runAsNonRoot", 1, "privileged", 0, "capabilities", "drop", "ALL",
        "volumeMounts", "name", "policy", "mountPath", POLICY_DIR, "readOnly", 1,
        "name", "platform-key", "mountPath", KEY_DIR, "readOnly", 1,
        "terminationMessagePolicy", "FallbackToLogsOnError");
    json_t *spec = json_pack(
        "{s:s,s:b,s:b,s:i,s:{s:b,s:i,s:i,s:i,s:{s:s}},s:[o],"
        "s:[{s:s,s:{s:s,s:i}},{s:s,s:{s:s,s:i}}]}",
        "restartPolicy", "Never", "automountServiceAccountToken", 0, "enableServiceLinks", 0,
        "terminationGracePeriodSeconds", 3,
        "securityContext", "runAsNonRoot", 1, "runAsUser", 65534, "runAsGroup", 65534,
        "fsGroup", 65534, "seccompProfile", "type", "RuntimeDefault",
        "containers", container,
        "volumes", "name", "policy", "configMap", "name", name, "defaultMode", 0444,
        "name", "platform-key", "secret", "secretName", s->secret, "defaultMode", 0440);
    if (spec != NULL && json_object_size(s->node_selector) > 0)
        json_object_set(spec, "nodeSelector", s->node_selector);
    if (spec != NULL && s->service_account != NULL)
        json_object_set_new(spec, "serviceAccountName", json_string(s->service_account));
    return json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", "v1", "kind", "Pod", "metadata",
                     metadata(s, name, l), "spec", spec);
}

static void obj_path(const struct k8s_state *s, int kind, const char *name, char *buf,
                     size_t size)
{
    snprintf(buf, size, "/api/v1/namespaces/%s/%s%s%s", ccf_k8s_namespace(s->api),
             obj_kind[kind], name ? "/" : "", name ? name : "");
}

static void remember(struct obj_ref *ref, const json_t *obj)
{
    const json_t *meta = json_object_get(obj, "metadata");
    const char *uid = json_string_value(json_object_get(meta, "uid"));
    const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
    snprintf(ref->uid, sizeof ref->uid, "%s", uid ? uid : "");
    snprintf(ref->rv, sizeof ref->rv, "%s", rv ? rv : "");
    ref->exists = true;
}

/* Deletes one object that we created (ref): with preconditions; a 409 (it
 * changed) reads it again and retries while it is the same object; 404 and
 * an object that is not ours any more count as done. */
static ccf_err delete_obj(struct k8s_state *s, int kind, const char *name, struct obj_ref *ref,
                          char *err, size_t err_size)
{
    char path[512];
    long status;
    ccf_err rc = CCF_OK;
    obj_path(s, kind, name, path, sizeof path);
    for (int attempt = 0; attempt < 4; attempt++) {
        json_t *pre = json_object();
        if (ref->uid[0])
            json_object_set_new(pre, "uid", json_string(ref->uid));
        if (ref->rv[0])
            json_object_set_new(pre, "resourceVersion", json_string(ref->rv));
        json_t *opts = json_pack("{s:s,s:s,s:s,s:o}", "apiVersion", "v1", "kind",
                                 "DeleteOptions", "propagationPolicy", "Background",
                                 "preconditions", pre);
        rc = ccf_k8s_request(s->api, "DELETE", path, opts, NULL, &status, NULL, err, err_size);
        json_decref(opts);
        if (rc == CCF_OK || rc == CCF_ERR_NOT_FOUND) {
            ref->exists = false;
            return CCF_OK;
        }
        if (rc != CCF_ERR_CONFLICT)
            return rc;
        json_t *cur = NULL; /* changed since we saw it: still ours? */
        rc = ccf_k8s_request(s->api, "GET", path, NULL, NULL, &status, &cur, err, err_size);
        if (rc == CCF_ERR_NOT_FOUND) {
            json_decref(cur);
            ref->exists = false;
            return CCF_OK;
        }
        const char *uid =
            json_string_value(json_object_get(json_object_get(cur, "metadata"), "uid"));
        if (rc == CCF_OK && uid != NULL && ref->uid[0] && strcmp(uid, ref->uid) != 0) {
            ccf_log_event("vaas", "kubernetes: %s %s was replaced by another object (uid %s): "
                          "left alone", obj_kind[kind], name, uid);
            json_decref(cur);
            ref->exists = false;
            return CCF_OK;
        }
        if (rc == CCF_OK)
            remember(ref, cur);
        json_decref(cur);
        if (rc != CCF_OK)
            return rc;
    }
    return ccf_errf(err, err_size, CCF_ERR_CONFLICT, "DELETE %s: still changing after 4 "
                    "attempts", path);
}

/* Deletes every object of p that exists; the first error is kept in err. */
static ccf_err delete_all(struct ccf_vaas_proc *p, char *err, size_t err_size)
{
    ccf_err first = CCF_OK;
    char e[1024];
    for (int kind = OBJ_POD; kind >= 0; kind--) {
        if (!p->objs[kind].exists)
            continue;
        ccf_err rc = delete_obj(p->s, kind, p->name, &p->objs[kind], e, sizeof e);
        if (rc != CCF_OK) {
            ccf_log_event("vaas", "kubernetes: cannot delete %s %s: %s", obj_kind[kind],
                          p->name, e);
            if (first == CCF_OK) {
                first = rc;
                ccf_errf(err, err_size, rc, "%s", e);
            }
        }
    }
    return first;
}

/* Appends one line to DIR/runtime.log (what VaaS shows as stderr_tail). */
static void log_line(const char *dir, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(const char *dir, const char *fmt, ...)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/runtime.log", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "a");
    if (f == NULL) {
        close(fd);
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

static void describe_pod(const ccf_k8s_pod_state *ps, char *buf, size_t size)
{
    char code[48] = "";
    if (ps->terminated)
        snprintf(code, sizeof code, ", exit code %d", ps->exit_code);
    snprintf(buf, size, "phase %s%s%s%s%s%s", ps->phase[0] ? ps->phase : "(none)",
             ps->reason[0] ? ", reason " : "", ps->reason, code, ps->message[0] ? ": " : "",
             ps->message);
}

/* --- the poller --------------------------------------------------------------- */

/* Under the lock: marks p ended with the pod's state (NULL: the pod is gone). */
static void mark_ended(struct ccf_vaas_proc *p, const ccf_k8s_pod_state *ps)
{
    char how[800];
    p->ended = true;
    p->exit_code = ps && ps->terminated ? ps->exit_code : -1;
    p->signal = ps && ps->terminated ? ps->signal : 0;
    if (ps != NULL)
        describe_pod(ps, how, sizeof how);
    log_line(p->dir, "pod %s ended: %s", p->name,
             ps != NULL ? how : "deleted outside VaaS (or its node was lost)");
}

static void poll_once(struct k8s_state *s)
{
    char path[512], err[1024];
    long status;
    json_t *list = NULL;
    snprintf(path, sizeof path, "/api/v1/namespaces/%s/pods?labelSelector=ccfaas.io%%2Fvaas%%3D%s",
             ccf_k8s_namespace(s->api), s->owner);
    ccf_err rc = ccf_k8s_request(s->api, "GET", path, NULL, NULL, &status, &list, err, sizeof err);
    const json_t *items = json_object_get(list, "items");
    pthread_mutex_lock(&s->lock);
    if (rc != CCF_OK || !json_is_array(items)) {
        /* the API server is away: nothing is known, nothing is marked */
        static long last_logged;
        if (now_ms() - last_logged > 30000) {
            last_logged = now_ms();
            ccf_log_event("vaas", "kubernetes: cannot list pods: %s",
                          rc != CCF_OK ? err : "reply without items");
        }
    } else {
        for (struct ccf_vaas_proc *p = s->procs; p != NULL; p = p->next) {
            if (p->ended || p->released)
                continue;
            const json_t *pod = NULL;
            for (size_t i = 0; pod == NULL && i < json_array_size(items); i++) {
                const char *n = json_string_value(json_object_get(
                    json_object_get(json_array_get(items, i), "metadata"), "name"));
                if (n != NULL && strcmp(n, p->name) == 0)
                    pod = json_array_get(items, i);
            }
            ccf_k8s_pod_state ps;
            if (pod == NULL) {
                p->objs[OBJ_POD].exists = false;
                mark_ended(p, NULL);
            } else if (ccf_k8s_pod_read(pod, &ps, err, sizeof err) == CCF_OK) {
                const char *uid = ps.uid;
                if (p->objs[OBJ_POD].uid[0] && strcmp(uid, p->objs[OBJ_POD].uid) != 0) {
                    p->objs[OBJ_POD].exists = false; /* not ours: ours is gone */
                    mark_ended(p, NULL);
                    continue;
                }
                snprintf(p->objs[OBJ_POD].rv, sizeof p->objs[OBJ_POD].rv, "%s",
                         ps.resource_version);
                if (strcmp(ps.phase, "Failed") == 0 || strcmp(ps.phase, "Succeeded") == 0 ||
                    ps.terminated || ps.deleting)
                    mark_ended(p, &ps);
            }
        }
    }
    /* released handles: delete their objects outside the lock, then free */
    struct ccf_vaas_proc *gone = NULL;
    for (struct ccf_vaas_proc **pp = &s->procs; *pp != NULL;) {
        struct ccf_vaas_proc *p = *pp;
        if (p->released) {
            *pp = p->next;
            p->next = gone;
            gone = p;
        } else {
            pp = &p->next;
        }
    }
    pthread_mutex_unlock(&s->lock);
    json_decref(list);
    while (gone != NULL) {
        struct ccf_vaas_proc *p = gone;
        gone = p->next;
        if (delete_all(p, err, sizeof err) != CCF_OK && !s->stopping) {
            pthread_mutex_lock(&s->lock); /* try again at the next round */
            p->next = s->procs;
            s->procs = p;
            pthread_mutex_unlock(&s->lock);
            continue;
        }
        free(p);
    }
}

static void *poller_main(void *arg)
{
    struct k8s_state *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        pthread_mutex_unlock(&s->lock);
        poll_once(s);
        pthread_mutex_lock(&s->lock);
        if (s->stopping)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(s->poll_ms / 1000);
        ts.tv_nsec += (long)(s->poll_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->wake, &s->lock, &ts);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Objects of this owner left by a VaaS that was killed: deleted at start. */
static void remove_stale(struct k8s_state *s)
{
    char path[512], err[1024];
    long status;
    for (int kind = OBJ_POD; kind >= 0; kind--) {
        json_t *list = NULL;
        snprintf(path, sizeof path, "/api/v1/namespaces/%s/%s?labelSelector=ccfaas.io%%2Fvaas%%3D%s",
                 ccf_k8s_namespace(s->api), obj_kind[kind], s->owner);
        if (ccf_k8s_request(s->api, "GET", path, NULL, NULL, &status, &list, err, sizeof err) !=
            CCF_OK) {
            ccf_log_event("vaas", "kubernetes: cannot list stale %s: %s", obj_kind[kind], err);
            json_decref(list);
            continue;
        }
        const json_t *items = json_object_get(list, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            const json_t *it = json_array_get(items, i);
            const char *name =
                json_string_value(json_object_get(json_object_get(it, "metadata"), "name"));
            struct obj_ref ref = {0};
            if (name == NULL || strlen(name) > NAME_MAX_LEN)
                continue;
            remember(&ref, it);
            if (delete_obj(s, kind, name, &ref, err, sizeof err) == CCF_OK)
                ccf_log_event("vaas", "kubernetes: removed the stale %s %s", obj_kind[kind],
                              name);
            else
                ccf_log_event("vaas", "kubernetes: cannot remove the stale %s %s: %s",
                              obj_kind[kind], name, err);
        }
        json_decref(list);
    }
}

/* --- the backend operations ----------------------------------------------------- */

static void k8s_close(ccf_vaas_backend_config *cfg)
{
    struct k8s_state *s = cfg->state;
    if (s == NULL)
        return;
    if (s->poller_running) {
        pthread_mutex_lock(&s->lock);
        s->stopping = true;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->poller, NULL);
    }
    /* handles VaaS released and the poller did not get to (VaaS stopped the others) */
    while (s->procs != NULL) {
        struct ccf_vaas_proc *p = s->procs;
        char err[1024];
        s->procs = p->next;
        (void)delete_all(p, err, sizeof err);
        free(p);
    }
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    ccf_k8s_free(s->api);
    json_decref(s->node_selector);
    json_decref(s->extra);
    free(s->image);
    free(s->cpu);
    free(s->secret);
    free(s->service_account);
    free(s->runtime_path);
    free(s);
    cfg->state = NULL;
}

static bool label_value_ok(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 63)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
            return false;
    return v[0] != '-' && v[n - 1] != '-';
}

static ccf_err k8s_open(ccf_vaas_backend_config *cfg, char *err, size_t err_size)
{
    const ccf_vaas_k8s_config *kc = cfg->k8s;
    ccf_err rc = CCF_OK;
    if (kc == NULL || kc->image == NULL || kc->image[0] == '\0')
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "the kubernetes backend needs the runtime's image (--k8s-image)");
    if (kc->platform_key_secret == NULL || kc->platform_key_secret[0] == '\0')
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "the kubernetes backend needs --k8s-platform-key-secret NAME: the "
                        "runtime's only platform so far is the development one, whose key the "
                        "pods read from that Secret (docs/deploy.md)");
    struct k8s_state *s = calloc(1, sizeof *s);
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    cfg->state = s;
    snprintf(s->owner, sizeof s->owner, "%s", kc->owner ? kc->owner : "vaas");
    if (!label_value_ok(s->owner) || !label_value_ok(kc->platform_key_secret)) {
        rc = ccf_errf(err, err_size, CCF_ERR_INVALID, "--k8s-owner and --k8s-platform-key-"
                      "secret: expected DNS labels (a-z, 0-9, '-', at most 63)");
        goto out;
    }
    s->poll_ms = kc->poll_ms ? kc->poll_ms : 1000;
    s->runtime_args = cfg->runtime_args;
    if (!parse_pairs(kc->node_selector, "--k8s-node-selector", &s->node_selector, err,
                     err_size) ||
        !parse_pairs(kc->resources, "--k8s-resource", &s->extra, err, err_size)) {
        rc = CCF_ERR_INVALID;
        goto out;
    }
    if ((s->image = strdup(kc->image)) == NULL ||
        (s->cpu = strdup(kc->cpu ? kc->cpu : "100m")) == NULL ||
        (s->secret = strdup(kc->platform_key_secret)) == NULL ||
        (kc->service_account && (s->service_account = strdup(kc->service_account)) == NULL) ||
        (s->runtime_path = strdup(cfg->runtime_path)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = ccf_k8s_open(kc->kubeconfig, kc->context, kc->namespace_, &s->api, err,
                           err_size)) != CCF_OK)
        goto out;
    /* one request that needs the rights VaaS relies on: a clear error at start */
    char path[512];
    long status;
    obj_path(s, OBJ_POD, NULL, path, sizeof path);
    if ((rc = ccf_k8s_request(s->api, "GET", path, NULL, NULL, &status, NULL, err, err_size)) !=
        CCF_OK)
        goto out;
    remove_stale(s);
    if (pthread_create(&s->poller, NULL, poller_main, s) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot start the pod poller");
        goto out;
    }
    s->poller_running = true;
    ccf_log_event("vaas", "kubernetes backend: %s, namespace %s, image %s, owner %s",
                  ccf_k8s_server(s->api), ccf_k8s_namespace(s->api), s->image, s->owner);
out:
    if (rc != CCF_OK)
        k8s_close(cfg);
    return rc;
}

static void k8s_instance_host(const ccf_vaas_backend_config *cfg, const char *instance_id,
                              char *buf, size_t size)
{
    const struct k8s_state *s = cfg->state;
    char name[NAME_MAX_LEN + 1];
    object_name(instance_id, name, sizeof name);
    snprintf(buf, size, "%s.%s.svc", name, ccf_k8s_namespace(s->api));
}

static ccf_err k8s_start(const ccf_vaas_backend_config *cfg, const ccf_vaas_launch *l,
                         ccf_vaas_proc **out, char *err, size_t err_size)
{
    struct k8s_state *s = cfg->state;
    struct ccf_vaas_proc *p = calloc(1, sizeof *p);
    char path[512], how[1024], e[1024];
    long status;
    ccf_err rc = CCF_OK;
    json_t *objs[OBJ_COUNT] = {NULL, NULL, NULL};
    *out = NULL;
    if (p == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    p->s = s;
    object_name(l->instance_id, p->name, sizeof p->name);
    snprintf(p->dir, sizeof p->dir, "%s", l->dir);
    objs[OBJ_CONFIGMAP] = configmap_json(s, p->name, l);
    objs[OBJ_SERVICE] = service_json(s, p->name, l);
    objs[OBJ_POD] = pod_json(s, p->name, l);
    if (objs[0] == NULL || objs[1] == NULL || objs[2] == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot build the objects");
        goto out;
    }
    for (int kind = 0; kind < OBJ_COUNT; kind++) {
        json_t *created = NULL;
        obj_path(s, kind, NULL, path, sizeof path);
        rc = ccf_k8s_request(s->api, "POST", path, objs[kind], NULL, &status, &created, e,
                             sizeof e);
        if (rc == CCF_OK)
            remember(&p->objs[kind], created);
        json_decref(created);
        if (rc != CCF_OK) {
            ccf_errf(err, err_size, rc, "kubernetes: creating %s %s: %s", obj_kind[kind],
                     p->name, e);
            goto out;
        }
    }
    log_line(p->dir, "pod %s created in namespace %s", p->name, ccf_k8s_namespace(s->api));
    /* until Ready (the runtime is attested and serves), Failed or the deadline */
    long deadline = now_ms() + (long)l->ready_timeout_ms;
    ccf_k8s_pod_state ps = {0};
    obj_path(s, OBJ_POD, p->name, path, sizeof path);
    for (;;) {
        json_t *pod = NULL;
        rc = ccf_k8s_request(s->api, "GET", path, NULL, NULL, &status, &pod, e, sizeof e);
        if (rc == CCF_OK)
            rc = ccf_k8s_pod_read(pod, &ps, e, sizeof e);
        json_decref(pod);
        if (rc == CCF_ERR_NOT_FOUND) {
            p->objs[OBJ_POD].exists = false;
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "pod %s was deleted while starting: %s",
                          p->name, e);
            goto out;
        }
        if (rc != CCF_OK) {
            ccf_errf(err, err_size, rc, "kubernetes: reading pod %s: %s", p->name, e);
            goto out;
        }
        snprintf(p->objs[OBJ_POD].rv, sizeof p->objs[OBJ_POD].rv, "%s", ps.resource_version);
        if (ps.ready && strcmp(ps.phase, "Running") == 0)
            break;
        describe_pod(&ps, how, sizeof how);
        if (strcmp(ps.phase, "Failed") == 0 || strcmp(ps.phase, "Succeeded") == 0 ||
            ps.terminated) {
            log_line(p->dir, "pod %s ended: %s", p->name, how);
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "pod %s ended before it was ready: %s",
                          p->name, how);
            goto out;
        }
        if (now_ms() >= deadline) {
            log_line(p->dir, "pod %s not ready: %s", p->name, how);
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "pod %s was not ready within %u ms: %s",
                          p->name, l->ready_timeout_ms, how);
            goto out;
        }
        sleep_ms(START_POLL_MS);
    }
    log_line(p->dir, "pod %s ready", p->name);
    pthread_mutex_lock(&s->lock);
    p->next = s->procs;
    s->procs = p;
    pthread_mutex_unlock(&s->lock);
    *out = p;
    p = NULL;
out:
    if (p != NULL) {
        char derr[1024];
        if (delete_all(p, derr, sizeof derr) != CCF_OK) {
            /* leave them to the poller, which retries */
            size_t n = strlen(err);
            snprintf(err + n, err_size - n, " (and deleting its objects: %s; retried)", derr);
            p->released = true;
            pthread_mutex_lock(&s->lock);
            p->next = s->procs;
            s->procs = p;
            pthread_mutex_unlock(&s->lock);
            p = NULL;
        }
    }
    free(p);
    for (int kind = 0; kind < OBJ_COUNT; kind++)
        json_decref(objs[kind]);
    return rc;
}

static bool k8s_ended(ccf_vaas_proc *p, int *exit_code, int *signal)
{
    pthread_mutex_lock(&p->s->lock);
    bool ended = p->ended;
    *exit_code = p->exit_code;
    *signal = p->signal;
    pthread_mutex_unlock(&p->s->lock);
    return ended;
}

/* Deletes the objects now (VaaS's DELETE waits for it). */
static void k8s_stop(ccf_vaas_proc *p)
{
    if (p == NULL)
        return;
    struct k8s_state *s = p->s;
    char err[1024];
    pthread_mutex_lock(&s->lock);
    for (struct ccf_vaas_proc **pp = &s->procs; *pp != NULL; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    pthread_mutex_unlock(&s->lock);
    if (delete_all(p, err, sizeof err) != CCF_OK) {
        p->released = true; /* the poller retries */
        pthread_mutex_lock(&s->lock);
        p->next = s->procs;
        s->procs = p;
        pthread_mutex_unlock(&s->lock);
        return;
    }
    free(p);
}

/* An ended instance: its objects go in the background (the poller). */
static void k8s_release(ccf_vaas_proc *p)
{
    if (p == NULL)
        return;
    pthread_mutex_lock(&p->s->lock);
    p->released = true;
    pthread_cond_signal(&p->s->wake);
    pthread_mutex_unlock(&p->s->lock);
}

const ccf_vaas_backend ccf_vaas_backend_kubernetes = {
    .name = "kubernetes",
    .local = false,
    .open = k8s_open,
    .close = k8s_close,
    .instance_host = k8s_instance_host,
    .start = k8s_start,
    .ended = k8s_ended,
    .stop = k8s_stop,
    .release = k8s_release,
};
