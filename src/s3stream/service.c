/* The S3 stream service (s3stream.h): jobs on their own threads, each an S3
 * download and an instance upload joined by a bounded FIFO. */
#include "s3stream/s3stream.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attest/trust.h"
#include "client/client.h"
#include "common/crypto.h"
#include "common/fifo.h"
#include "common/file.h"
#include "common/log.h"
#include "net/auth.h"
#include "s3stream/s3.h"

typedef enum { JOB_PENDING, JOB_VERIFYING, JOB_SENDING, JOB_COMPLETED, JOB_FAILED, JOB_CANCELLED } job_state;

static const char *state_name(job_state s)
{
    static const char *const names[] = {"pending", "verifying", "sending",
                                        "completed", "failed", "cancelled"};
    return names[s];
}

#define MAX_EXTRA_FILES 16
#define FILE_NAME_MAX 255

/* An extra file of the request, decoded once when the request is checked; its
 * bytes (the wrapped key of the reference's flow) are wiped when the job ends. */
struct extra_file {
    char name[FILE_NAME_MAX + 1];
    uint8_t *data;
    size_t len;
};

static void extras_free(struct extra_file *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        OPENSSL_cleanse(x[i].data, x[i].len);
        free(x[i].data);
        x[i].data = NULL;
    }
}

typedef struct job job;
struct job {
    job *next;
    ccf_s3stream *svc;
    char id[33];
    char owner[CCF_AUTH_NAME_MAX + 1];
    char file[FILE_NAME_MAX + 1];
    time_t created, finished;
    /* under svc->lock */
    job_state state;
    bool cancel;
    uint64_t total;
    bool total_known;
    uint64_t sent_saved; /* bytes_sent of a job read back from its record (no FIFO) */
    char error[600];
    /* the request (its secrets wiped when the job ends) */
    json_t *req;
    struct extra_file extras[MAX_EXTRA_FILES];
    size_t n_extras;
    ccf_fifo *fifo;
    /* the S3 side, on its own thread */
    pthread_t s3_thread;
    pthread_mutex_t m;
    pthread_cond_t cv;  /* the head arrived (size or error), room in the FIFO, the upload ended */
    bool head_done, s3_done, put_done;
    ccf_err s3_rc;
    char s3_err[512];
};

struct ccf_s3stream {
    ccf_s3stream_config cfg;
    ccf_auth *auth;
    char *jobs_dir; /* DATA_DIR/s3stream-jobs: one record per job, no secrets */
    pthread_mutex_t lock;
    pthread_cond_t idle; /* a job ended (free waits for the running ones) */
    job *jobs;           /* newest first */
    unsigned running, finished_count;
};

/* ---- the request ------------------------------------------------------------ */

struct field {
    const char *name;
    json_type type;
    bool required;
};

/* Every member known, with its type; required ones present. err names the
 * path ("s3.bucket: ..."). */
static bool check_object(json_t *o, const char *path, const struct field *f, size_t n, char *err,
                         size_t err_size)
{
    const char *key;
    json_t *v;
    if (!json_is_object(o)) {
        snprintf(err, err_size, "%s: expected an object", path);
        return false;
    }
    json_object_foreach(o, key, v) {
        size_t i;
        for (i = 0; i < n && strcmp(f[i].name, key) != 0; i++)
            ;
        if (i == n) {
            snprintf(err, err_size, "%s%s%.64s: unknown field", path, *path ? "." : "", key);
            return false;
        }
        if (json_typeof(v) != f[i].type) {
            snprintf(err, err_size, "%s%s%s: expected %s", path, *path ? "." : "", key,
                     f[i].type == JSON_STRING ? "a string" : f[i].type == JSON_ARRAY ? "an array"
                                                                                     : "an object");
            return false;
        }
        if (f[i].type == JSON_STRING && json_string_length(v) == 0) {
            snprintf(err, err_size, "%s%s%s: must not be empty", path, *path ? "." : "", key);
            return false;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (f[i].required && json_object_get(o, f[i].name) == NULL) {
            snprintf(err, err_size, "%s%s%s: required field is missing", path, *path ? "." : "",
                     f[i].name);
            return false;
        }
    }
    return true;
}

static const char *str(json_t *o, const char *key) { return json_string_value(json_object_get(o, key)); }

static bool file_name_ok(const char *s) { return strlen(s) <= FILE_NAME_MAX && ccf_file_name_plain(s); }

/* The whole request's shape, before a job exists (400 with the path); the
 * extra files decoded into extras[*n_extras] (the caller frees them with
 * extras_free, on failure too). */
static bool check_request(json_t *r, struct extra_file *extras, size_t *n_extras, char *err,
                          size_t err_size)
{
    static const struct field top[] = {{"s3", JSON_OBJECT, true}, {"instance", JSON_OBJECT, true},
                                       {"file", JSON_STRING, true},
                                       {"extra_files", JSON_ARRAY, false}};
    static const struct field s3[] = {
        {"endpoint", JSON_STRING, false},      {"region", JSON_STRING, false},
        {"bucket", JSON_STRING, false},        {"key", JSON_STRING, false},
        {"access_key_id", JSON_STRING, false}, {"secret_access_key", JSON_STRING, false},
        {"session_token", JSON_STRING, false}, {"presigned_url", JSON_STRING, false}};
    static const struct field inst[] = {{"policy", JSON_STRING, true},
                                        {"certificate", JSON_STRING, true},
                                        {"private_key", JSON_STRING, true},
                                        {"trust", JSON_OBJECT, true},
                                        {"url", JSON_STRING, false}};
    static const struct field extra[] = {{"name", JSON_STRING, true},
                                         {"content_base64", JSON_STRING, true}};
    json_t *o, *item;
    size_t i;
    if (!check_object(r, "", top, sizeof top / sizeof top[0], err, err_size) ||
        !check_object(json_object_get(r, "s3"), "s3", s3, sizeof s3 / sizeof s3[0], err, err_size) ||
        !check_object(json_object_get(r, "instance"), "instance", inst, sizeof inst / sizeof inst[0],
                      err, err_size))
        return false;
    o = json_object_get(r, "s3");
    if (str(o, "presigned_url") != NULL) {
        static const char *const excl[] = {"endpoint", "bucket", "key", "access_key_id",
                                           "secret_access_key", "session_token"};
        for (i = 0; i < sizeof excl / sizeof excl[0]; i++) {
            if (json_object_get(o, excl[i]) != NULL) {
                snprintf(err, err_size, "s3.%s: not with s3.presigned_url (the URL carries its "
                                        "own authorisation)", excl[i]);
                return false;
            }
        }
        if (strncmp(str(o, "presigned_url"), "http://", 7) != 0 &&
            strncmp(str(o, "presigned_url"), "https://", 8) != 0) {
            snprintf(err, err_size, "s3.presigned_url: expected an http(s) URL");
            return false;
        }
    } else {
        static const char *const need[] = {"endpoint", "bucket", "key", "access_key_id",
                                           "secret_access_key"};
        for (i = 0; i < sizeof need / sizeof need[0]; i++) {
            if (json_object_get(o, need[i]) == NULL) {
                snprintf(err, err_size, "s3.%s: required field is missing (or give "
                                        "s3.presigned_url)", need[i]);
                return false;
            }
        }
        if (strncmp(str(o, "endpoint"), "http://", 7) != 0 &&
            strncmp(str(o, "endpoint"), "https://", 8) != 0) {
            snprintf(err, err_size, "s3.endpoint: expected http(s)://HOST[:PORT]");
            return false;
        }
    }
    if (!file_name_ok(str(r, "file"))) {
        snprintf(err, err_size, "file: not a plain file name of the instance");
        return false;
    }
    o = json_object_get(r, "extra_files");
    if (json_array_size(o) > MAX_EXTRA_FILES) {
        snprintf(err, err_size, "extra_files: at most %d", MAX_EXTRA_FILES);
        return false;
    }
    json_array_foreach(o, i, item) {
        char path[48], why[128];
        snprintf(path, sizeof path, "extra_files[%zu]", i);
        if (!check_object(item, path, extra, 2, err, err_size))
            return false;
        if (!file_name_ok(str(item, "name"))) {
            snprintf(err, err_size, "%s.name: not a plain file name of the instance", path);
            return false;
        }
        struct extra_file *x = &extras[(*n_extras)++];
        snprintf(x->name, sizeof x->name, "%s", str(item, "name"));
        json_t *b64 = json_object_get(item, "content_base64");
        if (ccf_base64_decode(json_string_value(b64), json_string_length(b64), &x->data, &x->len,
                              why, sizeof why) != CCF_OK) {
            snprintf(err, err_size, "%s.content_base64: %s", path, why);
            return false;
        }
    }
    return true;
}

/* Wipes every string of the request (credentials, the identity's key, the
 * policy) in place before it is freed. */
static void wipe_json(json_t *v)
{
    const char *key;
    json_t *x;
    size_t i;
    if (json_is_string(v))
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    else if (json_is_object(v))
        json_object_foreach(v, key, x) wipe_json(x);
    else if (json_is_array(v))
        json_array_foreach(v, i, x) wipe_json(x);
}

/* ---- a job ------------------------------------------------------------------ */

static json_t *job_json(const job *j);

/* The job's record in jobs_dir (under svc->lock): its public state and owner,
 * so that GET still answers after a restart and a job the service was
 * running when it stopped is reported failed, not lost. Never a secret. */
static void job_save(job *j)
{
    char path[4200], err[300];
    json_t *o = job_json(j);
    json_object_set_new(o, "owner", json_string(j->owner));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    snprintf(path, sizeof path, "%s/%s.json", j->svc->jobs_dir, j->id);
    if (text == NULL || ccf_file_write_atomic(path, text, strlen(text), 0600, false, err,
                                              sizeof err) != CCF_OK)
        ccf_log_event("s3stream", "job %s: its record was not saved: %s", j->id,
                      text ? err : "out of memory");
    free(text);
}

static void job_set(job *j, job_state st, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void job_set(job *j, job_state st, const char *fmt, ...)
{
    pthread_mutex_lock(&j->svc->lock);
    if (j->state != JOB_CANCELLED || st == JOB_CANCELLED) {
        j->state = st;
        if (fmt != NULL) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(j->error, sizeof j->error, fmt, ap);
            va_end(ap);
        }
        job_save(j);
    }
    pthread_mutex_unlock(&j->svc->lock);
}

static bool job_cancelled(job *j)
{
    pthread_mutex_lock(&j->svc->lock);
    bool c = j->cancel;
    pthread_mutex_unlock(&j->svc->lock);
    return c;
}

static void on_room(void *user)
{
    job *j = user;
    pthread_mutex_lock(&j->m);
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->m);
}

static void on_size(void *user, uint64_t size)
{
    job *j = user;
    pthread_mutex_lock(&j->svc->lock);
    j->total = size;
    j->total_known = true;
    pthread_mutex_unlock(&j->svc->lock);
    pthread_mutex_lock(&j->m);
    j->head_done = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->m);
}

/* S3 bytes into the FIFO, waiting for room; false stops the download (the
 * upload ended or the job was cancelled). */
static bool s3_sink(void *user, const void *data, size_t len)
{
    job *j = user;
    size_t off = 0;
    if (!j->head_done) /* no Content-Length: the upload goes chunked */
        on_size(j, UINT64_MAX);
    while (off < len) {
        off += ccf_fifo_write(j->fifo, (const uint8_t *)data + off, len - off);
        if (off == len)
            break;
        if (job_cancelled(j))
            return false;
        pthread_mutex_lock(&j->m);
        if (j->put_done) {
            pthread_mutex_unlock(&j->m);
            return false;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&j->cv, &j->m, &ts);
        pthread_mutex_unlock(&j->m);
    }
    return true;
}

static bool put_ended(job *j)
{
    pthread_mutex_lock(&j->m);
    bool done = j->put_done;
    pthread_mutex_unlock(&j->m);
    return done;
}

/* The S3 side stops when the job is cancelled or the upload ended, even
 * while S3 sends nothing. */
static bool s3_stop(void *user) { return job_cancelled(user) || put_ended(user); }

static void *s3_main(void *arg)
{
    job *j = arg;
    json_t *o = json_object_get(j->req, "s3");
    ccf_s3_source src = {.endpoint = str(o, "endpoint"),
                         .region = str(o, "region") ? str(o, "region") : "us-east-1",
                         .bucket = str(o, "bucket"),
                         .key = str(o, "key"),
                         .access_key_id = str(o, "access_key_id"),
                         .secret_access_key = str(o, "secret_access_key"),
                         .session_token = str(o, "session_token"),
                         .presigned_url = str(o, "presigned_url"),
                         .stop = s3_stop};
    j->s3_rc = ccf_s3_get(&src, on_size, s3_sink, j, j->s3_err, sizeof j->s3_err);
    if (j->s3_rc == CCF_OK)
        ccf_fifo_finish(j->fifo);
    else
        ccf_fifo_abort(j->fifo, j->s3_err);
    pthread_mutex_lock(&j->m);
    j->s3_done = j->head_done = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->m);
    return NULL;
}

static bool stop_reading(void *user) { return job_cancelled(user); }

/* The instance's upload reads the FIFO; an S3 failure or a cancel aborts it. */
static size_t fifo_source(void *user, char *buf, size_t len)
{
    job *j = user;
    size_t got = 0;
    if (job_cancelled(j))
        return CCF_CLIENT_READ_ABORT;
    switch (ccf_fifo_read(j->fifo, buf, len, &got, stop_reading, j)) {
    case CCF_FIFO_OK: return got;
    case CCF_FIFO_EOF: return 0;
    default: return CCF_CLIENT_READ_ABORT;
    }
}

struct mem_source {
    const uint8_t *p;
    size_t len, off;
    job *j;
};

static size_t mem_source(void *user, char *buf, size_t len)
{
    struct mem_source *m = user;
    size_t n = m->len - m->off < len ? m->len - m->off : len;
    memcpy(buf, m->p + m->off, n);
    m->off += n;
    return n;
}

static bool mem_stop(void *user) { return job_cancelled(((struct mem_source *)user)->j); }

/* Sends the extra files (the wrapped video key of the reference's flow). */
static bool send_extra_files(job *j, ccf_client *c)
{
    char err[600];
    for (size_t i = 0; i < j->n_extras; i++) {
        struct mem_source m = {.p = j->extras[i].data, .len = j->extras[i].len, .j = j};
        if (ccf_client_put_cb(c, j->extras[i].name, mem_source, mem_stop, &m, (long long)m.len,
                              false, err, sizeof err) != CCF_OK) {
            job_set(j, JOB_FAILED, "extra_files[%zu] (%s): %s", i, j->extras[i].name, err);
            return false;
        }
    }
    return true;
}

/* Ends the S3 side (the upload is over, whichever way) and waits for it. */
static void stop_download(job *j)
{
    pthread_mutex_lock(&j->m);
    j->put_done = true;
    pthread_cond_broadcast(&j->cv);
    pthread_mutex_unlock(&j->m);
    ccf_fifo_abort(j->fifo, "the upload ended"); /* unblocks nothing new: the S3 side stops */
    pthread_join(j->s3_thread, NULL);
}

/* Verifies the instance as `ccfaas client` does; then S3's answer (an S3
 * error fails the job before the instance receives anything); then the extra
 * files; then the object. */
static void *job_main(void *arg)
{
    job *j = arg;
    ccf_s3stream *svc = j->svc;
    json_t *inst = json_object_get(j->req, "instance");
    ccf_client *c = NULL;
    ccf_trust *trust = NULL;
    char *trust_text = NULL, err[600];
    ccf_verify_result vr;
    bool s3_started = false;

    job_set(j, JOB_VERIFYING, NULL);
    if ((trust_text = json_dumps(json_object_get(inst, "trust"), JSON_COMPACT)) == NULL ||
        ccf_trust_parse(trust_text, strlen(trust_text), &trust, err, sizeof err) != CCF_OK) {
        job_set(j, JOB_FAILED, "instance.trust: %s", trust_text ? err : "out of memory");
        goto out;
    }
    ccf_client_config cc = {.policy_text = str(inst, "policy"),
                            .policy_len = json_string_length(json_object_get(inst, "policy")),
                            .cert_pem = str(inst, "certificate"),
                            .key_pem = str(inst, "private_key"),
                            .url = str(inst, "url"),
                            .trust = trust};
    if (ccf_client_open(&cc, &c, err, sizeof err) != CCF_OK ||
        ccf_client_verify(c, &vr, err, sizeof err) != CCF_OK) {
        job_set(j, JOB_FAILED, "the instance failed verification; nothing was sent: %s", err);
        goto out;
    }
    if (pthread_create(&j->s3_thread, NULL, s3_main, j) != 0) {
        job_set(j, JOB_FAILED, "cannot start the S3 download");
        goto out;
    }
    s3_started = true;
    pthread_mutex_lock(&j->m); /* S3's answer first: its size is the upload's Content-Length */
    while (!j->head_done)
        pthread_cond_wait(&j->cv, &j->m);
    pthread_mutex_unlock(&j->m);
    if (j->s3_done && j->s3_rc != CCF_OK) {
        if (job_cancelled(j))
            job_set(j, JOB_CANCELLED, "cancelled before anything was sent");
        else
            job_set(j, JOB_FAILED, "%s; nothing was sent to the instance", j->s3_err);
        goto out;
    }
    job_set(j, JOB_SENDING, NULL);
    if (!send_extra_files(j, c))
        goto out;
    pthread_mutex_lock(&svc->lock);
    long long size = j->total_known && j->total != UINT64_MAX ? (long long)j->total : -1;
    pthread_mutex_unlock(&svc->lock);
    ccf_err put_rc = ccf_client_put_cb(c, j->file, fifo_source, stop_reading, j, size, false, err,
                                       sizeof err);
    stop_download(j);
    s3_started = false;
    if (job_cancelled(j))
        job_set(j, JOB_CANCELLED, "cancelled: the instance saw a broken upload of %s", j->file);
    else if (put_rc != CCF_OK && (j->s3_rc == CCF_OK || j->s3_rc == CCF_ERR_BUSY))
        job_set(j, JOB_FAILED, "the instance: %s", err); /* the download stopped for it */
    else if (j->s3_rc != CCF_OK)
        job_set(j, JOB_FAILED, "%s", j->s3_err);
    else
        job_set(j, JOB_COMPLETED, NULL);
out:
    if (s3_started)
        stop_download(j);
    pthread_mutex_lock(&svc->lock);
    bool late_cancel = j->cancel && j->state != JOB_COMPLETED && j->state != JOB_CANCELLED;
    pthread_mutex_unlock(&svc->lock);
    if (late_cancel) /* an upload the cancel broke: whatever error it gave */
        job_set(j, JOB_CANCELLED, "cancelled: the instance saw a broken upload of %s", j->file);
    ccf_client_free(c);
    ccf_trust_free(trust);
    free(trust_text);
    pthread_mutex_lock(&svc->lock);
    wipe_json(j->req); /* the job's secrets end with it */
    json_decref(j->req);
    j->req = NULL;
    extras_free(j->extras, j->n_extras);
    j->sent_saved = ccf_fifo_bytes_read(j->fifo);
    j->finished = time(NULL);
    job_save(j);
    svc->running--;
    svc->finished_count++;
    pthread_cond_broadcast(&svc->idle);
    pthread_mutex_unlock(&svc->lock);
    return NULL;
}

static void job_free(job *j)
{
    ccf_fifo_free(j->fifo);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->m);
    free(j);
}

/* Drops the oldest finished jobs beyond keep_finished (under svc->lock). */
static void prune(ccf_s3stream *svc)
{
    while (svc->finished_count > svc->cfg.keep_finished) {
        job **pp = &svc->jobs, **oldest = NULL;
        for (; *pp != NULL; pp = &(*pp)->next)
            if ((*pp)->finished != 0)
                oldest = pp;
        if (oldest == NULL)
            return;
        job *j = *oldest;
        char path[4200];
        *oldest = j->next;
        snprintf(path, sizeof path, "%s/%s.json", svc->jobs_dir, j->id);
        unlink(path);
        job_free(j);
        svc->finished_count--;
    }
}

/* ---- routes ------------------------------------------------------------------ */

static json_t *job_json(const job *j)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:o}", "job", j->id, "state",
                     state_name(j->state), "file", j->file, "bytes_sent",
                     (json_int_t)(j->finished || j->fifo == NULL ? j->sent_saved
                                                                 : ccf_fifo_bytes_read(j->fifo)),
                     "bytes_total",
                     j->total_known && j->total != UINT64_MAX ? json_integer((json_int_t)j->total)
                                                              : json_null(),
                     "error", j->error[0] ? json_string(j->error) : json_null(), "created",
                     (json_int_t)j->created, "finished",
                     j->finished ? json_integer((json_int_t)j->finished) : json_null());
}

/* The caller's job named in the path, or NULL (404 set). Under svc->lock. */
static job *find_job(ccf_s3stream *svc, const ccf_http_request *req, ccf_http_response *resp)
{
    const char *id = ccf_http_request_param(req, "job");
    const ccf_principal *who = ccf_http_request_principal(req);
    for (job *j = svc->jobs; j != NULL; j = j->next) {
        /* another caller's job is not there for this one (admins see all) */
        if (strcmp(j->id, id) == 0 && (who->role == CCF_ROLE_ADMIN || strcmp(j->owner, who->name) == 0))
            return j;
    }
    ccf_http_respond_error(resp, 404, "not_found", "no job %.64s", id);
    return NULL;
}

/* A request that does not become a running job: its secrets wiped, all freed. */
static void drop_request(json_t *r, job *j)
{
    wipe_json(r);
    json_decref(r);
    if (j != NULL) {
        extras_free(j->extras, j->n_extras);
        job_free(j);
    }
}

static void route_post(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_s3stream *svc = ctx;
    const ccf_principal *who = ccf_http_request_principal(req);
    char err[512];
    json_t *r = ccf_http_request_json(req, err, sizeof err);
    job *j = NULL;
    unsigned mine = 0;
    pthread_attr_t attr;
    pthread_t t;

    if (r == NULL)
        return ccf_http_respond_error(resp, 400, "bad_request", "%s", err);
    if ((j = calloc(1, sizeof *j)) == NULL) {
        drop_request(r, NULL);
        return ccf_http_respond_error(resp, 503, "busy", "out of memory");
    }
    pthread_mutex_init(&j->m, NULL);
    pthread_cond_init(&j->cv, NULL);
    if (!check_request(r, j->extras, &j->n_extras, err, sizeof err)) {
        drop_request(r, j);
        return ccf_http_respond_error(resp, 400, "bad_request", "%s", err);
    }
    if ((j->fifo = ccf_fifo_new(svc->cfg.buffer_bytes)) == NULL) {
        drop_request(r, j);
        return ccf_http_respond_error(resp, 503, "busy", "out of memory");
    }
    uint8_t rnd[16];
    if (RAND_bytes(rnd, sizeof rnd) != 1) {
        drop_request(r, j);
        return ccf_http_respond_error(resp, 500, "internal", "no random bytes");
    }
    ccf_hex_encode(rnd, sizeof rnd, j->id);
    j->svc = svc;
    j->req = r;
    j->created = time(NULL);
    snprintf(j->owner, sizeof j->owner, "%s", who->name);
    snprintf(j->file, sizeof j->file, "%s", str(r, "file"));
    ccf_fifo_set_notify(j->fifo, on_room, j);
    if (!ccf_fifo_attach_writer(j->fifo))
        abort(); /* a fresh FIFO */

    pthread_mutex_lock(&svc->lock);
    for (job *x = svc->jobs; x != NULL; x = x->next)
        mine += x->finished == 0 && strcmp(x->owner, who->name) == 0;
    if (svc->running >= svc->cfg.max_running || mine >= svc->cfg.max_per_caller) {
        pthread_mutex_unlock(&svc->lock);
        drop_request(r, j);
        resp->retry_after_s = 5;
        return ccf_http_respond_error(resp, 429, "too_many_jobs",
                                      "%s jobs running (at most %u, %u per caller): retry later",
                                      mine >= svc->cfg.max_per_caller ? "your" : "all",
                                      svc->cfg.max_running, svc->cfg.max_per_caller);
    }
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, job_main, j) != 0) {
        pthread_attr_destroy(&attr);
        pthread_mutex_unlock(&svc->lock);
        drop_request(r, j);
        return ccf_http_respond_error(resp, 503, "busy", "cannot start a job thread");
    }
    pthread_attr_destroy(&attr);
    svc->running++;
    j->next = svc->jobs;
    svc->jobs = j;
    job_save(j);
    prune(svc);
    ccf_http_respond_json(resp, 202, json_pack("{s:s, s:s}", "job", j->id, "state", "pending"));
    pthread_mutex_unlock(&svc->lock);
}

static void route_get(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_s3stream *svc = ctx;
    pthread_mutex_lock(&svc->lock);
    job *j = find_job(svc, req, resp);
    if (j != NULL)
        ccf_http_respond_json(resp, 200, job_json(j));
    pthread_mutex_unlock(&svc->lock);
}

static void route_list(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_s3stream *svc = ctx;
    const ccf_principal *who = ccf_http_request_principal(req);
    json_t *list = json_array();
    pthread_mutex_lock(&svc->lock);
    for (job *j = svc->jobs; j != NULL && list != NULL; j = j->next) {
        if (who->role == CCF_ROLE_ADMIN || strcmp(j->owner, who->name) == 0)
            json_array_append_new(list, job_json(j));
    }
    pthread_mutex_unlock(&svc->lock);
    ccf_http_respond_json(resp, 200, json_pack("{s:o}", "jobs", list ? list : json_array()));
}

static void route_delete(const ccf_http_request *req, ccf_http_response *resp, void *ctx)
{
    ccf_s3stream *svc = ctx;
    pthread_mutex_lock(&svc->lock);
    job *j = find_job(svc, req, resp);
    if (j != NULL) {
        if (j->finished == 0) {
            j->cancel = true;
            if (j->state == JOB_PENDING || j->state == JOB_VERIFYING)
                j->state = JOB_CANCELLED;
        }
        ccf_http_respond_json(resp, 202, job_json(j));
        on_room(j); /* a download waiting for room looks at the flag now */
    }
    pthread_mutex_unlock(&svc->lock);
}

static job_state state_of(const char *name)
{
    for (job_state s = JOB_PENDING; s <= JOB_CANCELLED; s++)
        if (name != NULL && strcmp(state_name(s), name) == 0)
            return s;
    return JOB_FAILED;
}

/* Reads the job records back (svc->jobs_dir): a job that was not finished
 * when the service stopped is failed now, saying so; its instance saw the
 * upload break, never a short file. Records that do not parse are skipped
 * with a log line. */
static void load_jobs(ccf_s3stream *svc)
{
    DIR *d = opendir(svc->jobs_dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        char path[4200], err[300], *text = NULL;
        size_t len = strlen(e->d_name), tl = 0;
        if (len != 32 + 5 || strcmp(e->d_name + 32, ".json") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", svc->jobs_dir, e->d_name);
        json_t *o = ccf_file_read(path, 64 << 10, &text, &tl, err, sizeof err) == CCF_OK
                        ? json_loadb(text, tl, 0, NULL)
                        : NULL;
        free(text);
        job *j = calloc(1, sizeof *j);
        const char *id = str(o, "job"), *owner = str(o, "owner"), *file = str(o, "file");
        if (j == NULL || id == NULL || strlen(id) != 32 || memcmp(id, e->d_name, 32) != 0 ||
            owner == NULL || file == NULL) {
            ccf_log_event("s3stream", "job record %s skipped: not a job record", e->d_name);
            free(j);
            json_decref(o);
            continue;
        }
        j->svc = svc;
        snprintf(j->id, sizeof j->id, "%s", id);
        snprintf(j->owner, sizeof j->owner, "%s", owner);
        snprintf(j->file, sizeof j->file, "%s", file);
        snprintf(j->error, sizeof j->error, "%s", str(o, "error") ? str(o, "error") : "");
        j->state = state_of(str(o, "state"));
        j->sent_saved = (uint64_t)json_integer_value(json_object_get(o, "bytes_sent"));
        j->total_known = json_is_integer(json_object_get(o, "bytes_total"));
        j->total = (uint64_t)json_integer_value(json_object_get(o, "bytes_total"));
        j->created = (time_t)json_integer_value(json_object_get(o, "created"));
        j->finished = (time_t)json_integer_value(json_object_get(o, "finished"));
        pthread_mutex_init(&j->m, NULL);
        pthread_cond_init(&j->cv, NULL);
        if (j->finished == 0 || (j->state != JOB_COMPLETED && j->state != JOB_FAILED &&
                                 j->state != JOB_CANCELLED)) {
            j->state = JOB_FAILED;
            snprintf(j->error, sizeof j->error, "interrupted: the S3 stream service stopped during "
                     "the job; the instance saw a broken upload of %s, never a short file", j->file);
            j->finished = time(NULL);
            job_save(j);
        }
        j->next = svc->jobs;
        svc->jobs = j;
        svc->finished_count++;
        json_decref(o);
    }
    if (d != NULL)
        closedir(d);
    prune(svc);
}

ccf_err ccf_s3stream_new(const ccf_s3stream_config *cfg, ccf_s3stream **out, char *err,
                         size_t err_size)
{
    ccf_s3stream *s = calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (cfg != NULL)
        s->cfg = *cfg;
    if (s->cfg.max_running == 0)
        s->cfg.max_running = 8;
    if (s->cfg.max_per_caller == 0)
        s->cfg.max_per_caller = 4;
    if (s->cfg.keep_finished == 0)
        s->cfg.keep_finished = 256;
    if (s->cfg.buffer_bytes == 0)
        s->cfg.buffer_bytes = (size_t)4 << 20;
    ccf_err rc = s->cfg.data_dir == NULL
                     ? ccf_errf(err, err_size, CCF_ERR_INVALID, "no data directory")
                     : ccf_auth_open_dir(s->cfg.data_dir, &s->auth, err, err_size);
    if (rc != CCF_OK) {
        free(s);
        return rc;
    }
    size_t dl = strlen(s->cfg.data_dir) + sizeof "/s3stream-jobs";
    if ((s->jobs_dir = malloc(dl)) == NULL) {
        ccf_auth_free(s->auth);
        free(s);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    snprintf(s->jobs_dir, dl, "%s/s3stream-jobs", s->cfg.data_dir);
    if (mkdir(s->jobs_dir, 0700) != 0 && errno != EEXIST) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", s->jobs_dir, strerror(errno));
        ccf_auth_free(s->auth);
        free(s->jobs_dir);
        free(s);
        return rc;
    }
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->idle, NULL);
    load_jobs(s);
    *out = s;
    return CCF_OK;
}

ccf_err ccf_s3stream_mount(ccf_s3stream *s, ccf_http_server *srv)
{
    const unsigned roles = CCF_ROLE_USER | CCF_ROLE_ADMIN;
    ccf_err rc;
    ccf_http_server_set_auth(srv, s->auth);
    if ((rc = ccf_http_server_route_auth(srv, "POST", "/s3_stream_veracruz", roles, route_post, s,
                                         CCF_S3STREAM_MAX_REQUEST)) != CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/s3_stream_veracruz", roles, route_list, s,
                                         0)) != CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "GET", "/s3_stream_veracruz/<job>", roles, route_get,
                                         s, 0)) != CCF_OK ||
        (rc = ccf_http_server_route_auth(srv, "DELETE", "/s3_stream_veracruz/<job>", roles,
                                         route_delete, s, 0)) != CCF_OK)
        return rc;
    return CCF_OK;
}

void ccf_s3stream_free(ccf_s3stream *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->lock);
    for (job *j = s->jobs; j != NULL; j = j->next)
        j->cancel = j->finished == 0 ? true : j->cancel;
    while (s->running > 0) /* each ends promptly once cancelled */
        pthread_cond_wait(&s->idle, &s->lock);
    pthread_mutex_unlock(&s->lock);
    while (s->jobs != NULL) {
        job *j = s->jobs;
        s->jobs = j->next;
        job_free(j);
    }
    pthread_cond_destroy(&s->idle);
    pthread_mutex_destroy(&s->lock);
    ccf_auth_free(s->auth);
    free(s->jobs_dir);
    free(s);
}
