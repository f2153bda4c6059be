/* CCFaaS task store over SQLite (task_store.h). */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccfaas/task_store.h"
#include "common/crypto.h"

struct ccf_task_store {
    sqlite3 *db;
    pthread_mutex_t mu;
};

/* Schema steps: step i brings task_schema.version from i to i + 1. */
static const char *const migrations[] = {
    "CREATE TABLE task ("
    " id TEXT PRIMARY KEY, owner TEXT NOT NULL, function TEXT NOT NULL,"
    " program TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, step TEXT,"
    " created INTEGER NOT NULL, started INTEGER NOT NULL DEFAULT 0,"
    " ended INTEGER NOT NULL DEFAULT 0, debug INTEGER NOT NULL, encrypted INTEGER NOT NULL,"
    " outputs TEXT NOT NULL, digest TEXT, result_sha256 TEXT, result BLOB, logs BLOB);"
    "CREATE INDEX task_owner ON task(owner, created);",
};

#define SELECT_COLS                                                                            \
    "id, owner, function, program, state, reason, step, created, started, ended, debug, "    \
    "encrypted, outputs, digest, result_sha256, ifnull(length(result), -1), "                \
    "ifnull(length(logs), -1)"

static ccf_store_rc fail(ccf_task_store *s, char *err, size_t err_size, const char *what)
{
    snprintf(err, err_size, "task store: %s: %s", what, sqlite3_errmsg(s->db));
    return CCF_STORE_FAILED;
}

static bool exec(ccf_task_store *s, const char *sql, char *err, size_t err_size)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return true;
    snprintf(err, err_size, "task store: %s", msg ? msg : sqlite3_errmsg(s->db));
    sqlite3_free(msg);
    return false;
}

static ccf_err migrate(ccf_task_store *s, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    int64_t version = 0;
    const int64_t known = (int64_t)(sizeof migrations / sizeof migrations[0]);
    if (!exec(s, "BEGIN IMMEDIATE", err, err_size))
        return CCF_ERR_IO;
    if (!exec(s, "CREATE TABLE IF NOT EXISTS task_schema (version INTEGER NOT NULL)", err,
              err_size))
        goto fail;
    if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM task_schema", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        fail(s, err, err_size, "schema version");
        goto fail;
    }
    version = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (version > known) {
        snprintf(err, err_size, "task store: schema version %lld is newer than this ccfaas (%lld)",
                 (long long)version, (long long)known);
        goto fail;
    }
    for (int64_t v = version; v < known; v++) {
        char sql[96];
        snprintf(sql, sizeof sql, "DELETE FROM task_schema; INSERT INTO task_schema VALUES (%lld)",
                 (long long)v + 1);
        if (!exec(s, migrations[v], err, err_size) || !exec(s, sql, err, err_size))
            goto fail;
    }
    if (!exec(s, "COMMIT", err, err_size))
        goto fail;
    return CCF_OK;
fail:
    sqlite3_finalize(st);
    char ignore[64];
    (void)exec(s, "ROLLBACK", ignore, sizeof ignore);
    return CCF_ERR_IO;
}

ccf_err ccf_task_store_open(const char *path, ccf_task_store **out, char *err, size_t err_size)
{
    ccf_task_store *s = calloc(1, sizeof *s);
    *out = NULL;
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        snprintf(err, err_size, "task store %s: %s", path,
                 s->db ? sqlite3_errmsg(s->db) : "cannot open");
        ccf_task_store_close(s);
        return CCF_ERR_IO;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (!exec(s, "PRAGMA journal_mode = WAL", err, err_size) ||
        !exec(s, "PRAGMA synchronous = FULL", err, err_size) ||
        migrate(s, err, err_size) != CCF_OK) {
        ccf_task_store_close(s);
        return CCF_ERR_IO;
    }
    *out = s;
    return CCF_OK;
}

void ccf_task_store_close(ccf_task_store *s)
{
    if (s == NULL)
        return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? strdup((const char *)t) : NULL;
}

static bool read_row(sqlite3_stmt *st, ccf_task_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = col_text(st, 0);
    r->owner = col_text(st, 1);
    r->function = col_text(st, 2);
    r->program = col_text(st, 3);
    r->state = col_text(st, 4);
    r->reason = col_text(st, 5);
    r->step = col_text(st, 6);
    r->created = sqlite3_column_int64(st, 7);
    r->started = sqlite3_column_int64(st, 8);
    r->ended = sqlite3_column_int64(st, 9);
    r->debug = sqlite3_column_int(st, 10) != 0;
    r->encrypted = sqlite3_column_int(st, 11) != 0;
    r->outputs = col_text(st, 12);
    r->digest = col_text(st, 13);
    r->result_sha256 = col_text(st, 14);
    r->result_size = sqlite3_column_int64(st, 15);
    r->logs_size = sqlite3_column_int64(st, 16);
    if (r->id == NULL || r->owner == NULL || r->function == NULL || r->program == NULL ||
        r->state == NULL || r->outputs == NULL) {
        ccf_task_row_clear(r);
        return false;
    }
    return true;
}

void ccf_task_row_clear(ccf_task_row *r)
{
    if (r == NULL)
        return;
    free(r->id);
    free(r->owner);
    free(r->function);
    free(r->program);
    free(r->state);
    free(r->reason);
    free(r->step);
    free(r->outputs);
    free(r->digest);
    free(r->result_sha256);
    memset(r, 0, sizeof *r);
}

void ccf_task_rows_free(ccf_task_row *rows, size_t count)
{
    for (size_t i = 0; rows != NULL && i < count; i++)
        ccf_task_row_clear(&rows[i]);
    free(rows);
}

/* Binds text parameters 1..n (NULL binds SQL NULL). */
static bool bind_texts(sqlite3_stmt *st, const char *const *v, int n)
{
    for (int i = 0; i < n; i++)
        if (sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_TRANSIENT) != SQLITE_OK)
            return false;
    return true;
}

ccf_store_rc ccf_task_store_insert(ccf_task_store *s, const ccf_task_row *row, char *err,
                                   size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    const char *t[] = {row->id, row->owner, row->function, row->program, row->outputs};
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO task (id, owner, function, program, outputs, state, "
                           "created, debug, encrypted) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
                           -1, &st, NULL) != SQLITE_OK ||
        !bind_texts(st, t, 5) || sqlite3_bind_int64(st, 6, row->created) != SQLITE_OK ||
        sqlite3_bind_int(st, 7, row->debug) != SQLITE_OK ||
        sqlite3_bind_int(st, 8, row->encrypted) != SQLITE_OK) {
        rc = fail(s, err, err_size, "insert");
    } else {
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT) {
            snprintf(err, err_size, "task %s exists", row->id);
            rc = CCF_STORE_CONFLICT;
        } else if (r != SQLITE_DONE) {
            rc = fail(s, err, err_size, "insert");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* One UPDATE of a task in one of the `from` states; NOT_FOUND when no row changed. */
static ccf_store_rc update(ccf_task_store *s, const char *sql, const char *const *texts, int n,
                           const void *b1, size_t l1, const void *b2, size_t l2, char *err,
                           size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK || !bind_texts(st, texts, n) ||
        sqlite3_bind_int64(st, n + 1, (sqlite3_int64)time(NULL)) != SQLITE_OK ||
        (b1 != NULL && sqlite3_bind_blob64(st, n + 2, b1, l1, SQLITE_TRANSIENT) != SQLITE_OK) ||
        (b2 != NULL && sqlite3_bind_blob64(st, n + 3, b2, l2, SQLITE_TRANSIENT) != SQLITE_OK)) {
        rc = fail(s, err, err_size, "update");
    } else if (sqlite3_step(st) != SQLITE_DONE) {
        rc = fail(s, err, err_size, "update");
    } else if (sqlite3_changes(s->db) == 0) {
        snprintf(err, err_size, "no such task in that state");
        rc = CCF_STORE_NOT_FOUND;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_task_store_start(ccf_task_store *s, const char *id, char *err, size_t err_size)
{
    const char *t[] = {id};
    return update(s, "UPDATE task SET state = 'running', started = ?2 WHERE id = ?1 AND "
                     "state = 'pending'", t, 1, NULL, 0, NULL, 0, err, err_size);
}

ccf_store_rc ccf_task_store_finish_failed(ccf_task_store *s, const char *id, const char *state,
                                          const char *step, const char *reason, const void *logs,
                                          size_t logs_len, char *err, size_t err_size)
{
    const char *t[] = {id, state, step, reason};
    return update(s, "UPDATE task SET state = ?2, step = ?3, reason = ?4, ended = ?5, logs = ?6 "
                     "WHERE id = ?1 AND state IN ('pending', 'running')",
                  t, 4, logs, logs_len, NULL, 0, err, err_size);
}

ccf_store_rc ccf_task_store_finish_ok(ccf_task_store *s, const char *id, const void *result,
                                      size_t result_len, const char *digest, const void *logs,
                                      size_t logs_len, char *err, size_t err_size)
{
    char sha[CCF_SHA256_HEX_LEN + 1];
    if (!ccf_sha256_hex(result, result_len, sha))
        return CCF_STORE_FAILED;
    const char *t[] = {id, digest, sha};
    if (logs == NULL)
        return update(s, "UPDATE task SET state = 'completed', digest = ?2, result_sha256 = ?3, "
                         "ended = ?4, result = ?5 WHERE id = ?1 AND state = 'running'",
                      t, 3, result, result_len, NULL, 0, err, err_size);
    return update(s, "UPDATE task SET state = 'completed', digest = ?2, result_sha256 = ?3, "
                     "ended = ?4, result = ?5, logs = ?6 WHERE id = ?1 AND state = 'running'",
                  t, 3, result, result_len, logs, logs_len, err, err_size);
}

ccf_store_rc ccf_task_store_get(ccf_task_store *s, const char *id, ccf_task_row *row, char *err,
                                size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    memset(row, 0, sizeof *row);
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db, "SELECT " SELECT_COLS " FROM task WHERE id = ?", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        rc = fail(s, err, err_size, "get");
    } else {
        int r = sqlite3_step(st);
        if (r == SQLITE_DONE) {
            snprintf(err, err_size, "no task \"%.80s\"", id);
            rc = CCF_STORE_NOT_FOUND;
        } else if (r != SQLITE_ROW || !read_row(st, row)) {
            rc = fail(s, err, err_size, "get");
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_task_store_blob(ccf_task_store *s, const char *id, const char *what, void **out,
                                 size_t *len, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    bool logs = strcmp(what, "logs") == 0;
    *out = NULL;
    *len = 0;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db,
                           logs ? "SELECT logs FROM task WHERE id = ?"
                                : "SELECT result FROM task WHERE id = ?",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        rc = fail(s, err, err_size, "read");
    } else if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL) {
        snprintf(err, err_size, "task \"%.80s\" has no %s", id, what);
        rc = CCF_STORE_NOT_FOUND;
    } else {
        int n = sqlite3_column_bytes(st, 0);
        const void *b = sqlite3_column_blob(st, 0);
        if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL) {
            snprintf(err, err_size, "out of memory");
            rc = CCF_STORE_FAILED;
        } else {
            if (n > 0)
                memcpy(*out, b, (size_t)n);
            *len = (size_t)n;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_task_store_list(ccf_task_store *s, const char *owner, ccf_task_row **rows,
                                 size_t *count, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    size_t n = 0, cap = 0;
    ccf_task_row *v = NULL;
    *rows = NULL;
    *count = 0;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT " SELECT_COLS " FROM task WHERE ?1 IS NULL OR owner = ?1 "
                           "ORDER BY created DESC, id",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
        rc = fail(s, err, err_size, "list");
        goto out;
    }
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            ccf_task_row *nv = realloc(v, nc * sizeof *nv);
            if (nv == NULL) {
                snprintf(err, err_size, "out of memory");
                rc = CCF_STORE_FAILED;
                goto out;
            }
            v = nv;
            cap = nc;
        }
        if (!read_row(st, &v[n])) {
            rc = fail(s, err, err_size, "list");
            goto out;
        }
        n++;
    }
    if (r != SQLITE_DONE)
        rc = fail(s, err, err_size, "list");
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    if (rc != CCF_STORE_OK) {
        ccf_task_rows_free(v, n);
        return rc;
    }
    *rows = v;
    *count = n;
    return rc;
}

ccf_store_rc ccf_task_store_delete(ccf_task_store *s, const char *id, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db, "DELETE FROM task WHERE id = ? AND state NOT IN "
                                  "('pending', 'running')", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        rc = fail(s, err, err_size, "delete");
    } else if (sqlite3_changes(s->db) == 0) {
        snprintf(err, err_size, "task \"%.80s\" is still pending or running; delete it when it "
                 "has ended", id);
        rc = CCF_STORE_CONFLICT;
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_task_store_fail_unfinished(ccf_task_store *s, char ***ids, size_t *count,
                                            char *err, size_t err_size)
{
    ccf_task_row *rows = NULL;
    size_t n = 0, k = 0;
    *ids = NULL;
    *count = 0;
    ccf_store_rc rc = ccf_task_store_list(s, NULL, &rows, &n, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v != NULL && i < n; i++) {
        if (strcmp(rows[i].state, "pending") != 0 && strcmp(rows[i].state, "running") != 0)
            continue;
        if (ccf_task_store_finish_failed(s, rows[i].id, "failed", "run",
                                         "CCFaaS stopped while the task ran", NULL, 0, err,
                                         err_size) == CCF_STORE_FAILED)
            rc = CCF_STORE_FAILED;
        v[k++] = rows[i].id;
        rows[i].id = NULL;
    }
    ccf_task_rows_free(rows, n);
    if (v == NULL)
        return CCF_STORE_FAILED;
    *ids = v;
    *count = k;
    return rc;
}

ccf_store_rc ccf_task_store_live(ccf_task_store *s, const char *owner, int64_t *count, char *err,
                                 size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    *count = 0;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM task WHERE owner = ? AND state IN "
                                  "('pending', 'running')", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, owner, -1, SQLITE_TRANSIENT) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        rc = fail(s, err, err_size, "count");
    else
        *count = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}
