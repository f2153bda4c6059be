/* CCFaaS task store over the SQL layer (task_store.h, db.h): SQLite or
 * PostgreSQL, the same database as the function store, its own tables and
 * schema steps (component "ccfaas-tasks" of ccf_schema). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ccfaas/db.h"
#include "ccfaas/task_store.h"
#include "common/crypto.h"

struct ccf_task_store {
    ccf_db *db;
    char runner[65]; /* this replica */
};

/* Step i takes the schema from version i to i + 1. Step 1 tolerates the
 * table of the first SQLite-only task store (same columns, own task_schema
 * table), which step 2 retires. */
#define TASK_TABLE(INT64, BYTES)                                                               \
    "CREATE TABLE IF NOT EXISTS task ("                                                        \
    " id TEXT PRIMARY KEY, owner TEXT NOT NULL, function TEXT NOT NULL,"                       \
    " program TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, step TEXT,"                      \
    " created " INT64 " NOT NULL, started " INT64 " NOT NULL DEFAULT 0,"                        \
    " ended " INT64 " NOT NULL DEFAULT 0, debug INTEGER NOT NULL,"                               \
    " encrypted INTEGER NOT NULL, outputs TEXT NOT NULL, digest TEXT,"                          \
    " result_sha256 TEXT, result " BYTES ", logs " BYTES ");"                                    \
    "CREATE INDEX IF NOT EXISTS task_owner ON task(owner, created);"
/* step 2: the replica that runs a task (so that a replica restarting fails only its own) */
#define TASK_RUNNER                                                                            \
    "ALTER TABLE task ADD COLUMN runner TEXT NOT NULL DEFAULT '';"                              \
    "DROP TABLE IF EXISTS task_schema;"
static const ccf_db_migration migrations[] = {
    {.sqlite = TASK_TABLE("INTEGER", "BLOB"), .postgres = TASK_TABLE("BIGINT", "BYTEA")},
    {.sqlite = TASK_RUNNER, .postgres = TASK_RUNNER},
};

#define SELECT_COLS                                                                            \
    "SELECT id, owner, function, program, state, reason, step, created, started, ended, "    \
    "debug, encrypted, outputs, digest, result_sha256, coalesce(length(result), -1), "       \
    "coalesce(length(logs), -1) FROM task "

static ccf_store_rc failed(ccf_db_rc rc)
{
    return rc == CCF_DB_UNAVAILABLE ? CCF_STORE_UNAVAILABLE : CCF_STORE_FAILED;
}

ccf_err ccf_task_store_open(const char *target, const char *runner, ccf_task_store **out,
                            char *err, size_t err_size)
{
    ccf_task_store *s = calloc(1, sizeof *s);
    bool newer = false;
    *out = NULL;
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    snprintf(s->runner, sizeof s->runner, "%s", runner);
    ccf_db_rc r = ccf_db_open(target, &s->db, err, err_size);
    if (r == CCF_DB_OK)
        r = ccf_db_migrate(s->db, "ccfaas-tasks", migrations, CCF_TASK_STORE_VERSION, false,
                           &newer, err, err_size);
    if (r != CCF_DB_OK) {
        ccf_task_store_close(s);
        return newer ? CCF_ERR_UNSUPPORTED : r == CCF_DB_UNAVAILABLE ? CCF_ERR_BUSY : CCF_ERR_IO;
    }
    *out = s;
    return CCF_OK;
}

void ccf_task_store_close(ccf_task_store *s)
{
    if (s == NULL)
        return;
    ccf_db_close(s->db);
    free(s);
}

static bool read_row(const ccf_db_rows *rows, size_t i, ccf_task_row *r)
{
    memset(r, 0, sizeof *r);
    r->id = ccf_db_dup(rows, i, 0, NULL);
    r->owner = ccf_db_dup(rows, i, 1, NULL);
    r->function = ccf_db_dup(rows, i, 2, NULL);
    r->program = ccf_db_dup(rows, i, 3, NULL);
    r->state = ccf_db_dup(rows, i, 4, NULL);
    r->reason = ccf_db_dup(rows, i, 5, NULL);
    r->step = ccf_db_dup(rows, i, 6, NULL);
    r->created = ccf_db_int(rows, i, 7);
    r->started = ccf_db_int(rows, i, 8);
    r->ended = ccf_db_int(rows, i, 9);
    r->debug = ccf_db_int(rows, i, 10) != 0;
    r->encrypted = ccf_db_int(rows, i, 11) != 0;
    r->outputs = ccf_db_dup(rows, i, 12, NULL);
    r->digest = ccf_db_dup(rows, i, 13, NULL);
    r->result_sha256 = ccf_db_dup(rows, i, 14, NULL);
    r->result_size = ccf_db_int(rows, i, 15);
    r->logs_size = ccf_db_int(rows, i, 16);
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

ccf_store_rc ccf_task_store_insert(ccf_task_store *s, const ccf_task_row *row, char *err,
                                   size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT(row->id),      CCF_DB_TEXT(row->owner),
                        CCF_DB_TEXT(row->function), CCF_DB_TEXT(row->program),
                        CCF_DB_TEXT(row->outputs),  CCF_DB_INT(row->created),
                        CCF_DB_INT(row->debug),     CCF_DB_INT(row->encrypted),
                        CCF_DB_TEXT(s->runner)};
    ccf_db_rc r = ccf_db_exec(s->db,
                              "INSERT INTO task (id, owner, function, program, outputs, state, "
                              "created, debug, encrypted, runner) VALUES ($1, $2, $3, $4, $5, "
                              "'pending', $6, $7, $8, $9)",
                              p, 9, NULL, err, err_size);
    if (r == CCF_DB_UNIQUE) {
        snprintf(err, err_size, "task %s exists", row->id);
        return CCF_STORE_CONFLICT;
    }
    return r == CCF_DB_OK ? CCF_STORE_OK : failed(r);
}

/* One UPDATE; NOT_FOUND when it changed no row (not in the state it needs). */
static ccf_store_rc update(ccf_task_store *s, const char *sql, const ccf_db_param *p, size_t n,
                           char *err, size_t err_size)
{
    int64_t changes = 0;
    ccf_db_rc r = ccf_db_exec(s->db, sql, p, n, &changes, err, err_size);
    if (r != CCF_DB_OK)
        return failed(r);
    if (changes == 0) {
        snprintf(err, err_size, "no such task in that state");
        return CCF_STORE_NOT_FOUND;
    }
    return CCF_STORE_OK;
}

ccf_store_rc ccf_task_store_start(ccf_task_store *s, const char *id, char *err, size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT(id), CCF_DB_INT(time(NULL))};
    return update(s, "UPDATE task SET state = 'running', started = $2 WHERE id = $1 AND "
                     "state = 'pending'", p, 2, err, err_size);
}

ccf_store_rc ccf_task_store_finish_failed(ccf_task_store *s, const char *id, const char *state,
                                          const char *step, const char *reason, const void *logs,
                                          size_t logs_len, char *err, size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT(id), CCF_DB_TEXT(state), CCF_DB_TEXT_OR_NULL(step),
                        CCF_DB_TEXT_OR_NULL(reason), CCF_DB_INT(time(NULL)),
                        logs ? CCF_DB_BLOB(logs, logs_len) : CCF_DB_NULLP};
    return update(s, "UPDATE task SET state = $2, step = $3, reason = $4, ended = $5, logs = $6 "
                     "WHERE id = $1 AND state IN ('pending', 'running')", p, 6, err, err_size);
}

ccf_store_rc ccf_task_store_finish_ok(ccf_task_store *s, const char *id, const void *result,
                                      size_t result_len, const char *digest, const void *logs,
                                      size_t logs_len, char *err, size_t err_size)
{
    char sha[CCF_SHA256_HEX_LEN + 1];
    if (!ccf_sha256_hex(result, result_len, sha))
        return CCF_STORE_FAILED;
    ccf_db_param p[] = {CCF_DB_TEXT(id), CCF_DB_TEXT(digest), CCF_DB_TEXT(sha),
                        CCF_DB_INT(time(NULL)), CCF_DB_BLOB(result, result_len),
                        logs ? CCF_DB_BLOB(logs, logs_len) : CCF_DB_NULLP};
    return update(s, "UPDATE task SET state = 'completed', digest = $2, result_sha256 = $3, "
                     "ended = $4, result = $5, logs = $6 WHERE id = $1 AND state = 'running'",
                  p, 6, err, err_size);
}

ccf_store_rc ccf_task_store_get(ccf_task_store *s, const char *id, ccf_task_row *row, char *err,
                                size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_db_param p[] = {CCF_DB_TEXT(id)};
    ccf_store_rc rc = CCF_STORE_OK;
    memset(row, 0, sizeof *row);
    ccf_db_rc r = ccf_db_query(s->db, SELECT_COLS "WHERE id = $1", p, 1, &rows, err, err_size);
    if (r != CCF_DB_OK)
        return failed(r);
    if (ccf_db_rows_count(rows) == 0) {
        snprintf(err, err_size, "no task \"%.80s\"", id);
        rc = CCF_STORE_NOT_FOUND;
    } else if (!read_row(rows, 0, row)) {
        snprintf(err, err_size, "out of memory");
        rc = CCF_STORE_FAILED;
    }
    ccf_db_rows_free(rows);
    return rc;
}

ccf_store_rc ccf_task_store_blob(ccf_task_store *s, const char *id, const char *what, void **out,
                                 size_t *len, char *err, size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_db_param p[] = {CCF_DB_TEXT(id)};
    ccf_store_rc rc = CCF_STORE_OK;
    bool logs = strcmp(what, "logs") == 0;
    *out = NULL;
    *len = 0;
    ccf_db_rc r = ccf_db_query(s->db, logs ? "SELECT logs FROM task WHERE id = $1"
                                           : "SELECT result FROM task WHERE id = $1",
                               p, 1, &rows, err, err_size);
    if (r != CCF_DB_OK)
        return failed(r);
    if (ccf_db_rows_count(rows) == 0 || ccf_db_is_null(rows, 0, 0)) {
        snprintf(err, err_size, "task \"%.80s\" has no %s", id, what);
        rc = CCF_STORE_NOT_FOUND;
    } else if ((*out = ccf_db_dup(rows, 0, 0, len)) == NULL) {
        snprintf(err, err_size, "out of memory");
        rc = CCF_STORE_FAILED;
    }
    ccf_db_rows_free(rows);
    return rc;
}

ccf_store_rc ccf_task_store_list(ccf_task_store *s, const char *owner, ccf_task_row **out,
                                 size_t *count, char *err, size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_db_param p[] = {CCF_DB_TEXT(owner)};
    ccf_store_rc rc = CCF_STORE_OK;
    *out = NULL;
    *count = 0;
    ccf_db_rc r = owner != NULL
                      ? ccf_db_query(s->db, SELECT_COLS "WHERE owner = $1 ORDER BY created DESC, id",
                                     p, 1, &rows, err, err_size)
                      : ccf_db_query(s->db, SELECT_COLS "ORDER BY created DESC, id", NULL, 0,
                                     &rows, err, err_size);
    if (r != CCF_DB_OK)
        return failed(r);
    size_t n = ccf_db_rows_count(rows);
    ccf_task_row *v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v != NULL && i < n; i++) {
        if (!read_row(rows, i, &v[i])) {
            ccf_task_rows_free(v, i);
            v = NULL;
        }
    }
    ccf_db_rows_free(rows);
    if (v == NULL) {
        snprintf(err, err_size, "out of memory");
        return CCF_STORE_FAILED;
    }
    *out = v;
    *count = n;
    return rc;
}

ccf_store_rc ccf_task_store_delete(ccf_task_store *s, const char *id, char *err, size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT(id)};
    ccf_store_rc rc = update(s, "DELETE FROM task WHERE id = $1 AND state NOT IN "
                                "('pending', 'running')", p, 1, err, err_size);
    if (rc == CCF_STORE_NOT_FOUND) {
        snprintf(err, err_size, "task \"%.80s\" is still pending or running; delete it when it "
                 "has ended", id);
        rc = CCF_STORE_CONFLICT;
    }
    return rc;
}

ccf_store_rc ccf_task_store_fail_unfinished(ccf_task_store *s, char ***ids, size_t *count,
                                            char *err, size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_db_param p[] = {CCF_DB_TEXT(s->runner)};
    ccf_store_rc rc = CCF_STORE_OK;
    size_t k = 0;
    *ids = NULL;
    *count = 0;
    /* this replica's only: the others are running theirs */
    ccf_db_rc r = ccf_db_query(s->db, "SELECT id FROM task WHERE runner = $1 AND state IN "
                                      "('pending', 'running')", p, 1, &rows, err, err_size);
    if (r != CCF_DB_OK)
        return failed(r);
    size_t n = ccf_db_rows_count(rows);
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; v != NULL && i < n; i++) {
        char *id = ccf_db_dup(rows, i, 0, NULL);
        if (id == NULL)
            continue;
        ccf_store_rc fr = ccf_task_store_finish_failed(s, id, "failed", "run",
                                                       "CCFaaS stopped while the task ran", NULL,
                                                       0, err, err_size);
        if (fr == CCF_STORE_FAILED || fr == CCF_STORE_UNAVAILABLE)
            rc = fr;
        v[k++] = id;
    }
    ccf_db_rows_free(rows);
    if (v == NULL)
        return CCF_STORE_FAILED;
    *ids = v;
    *count = k;
    return rc;
}

ccf_store_rc ccf_task_store_live(ccf_task_store *s, const char *owner, int64_t *count, char *err,
                                 size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT(owner)};
    ccf_db_rc r = ccf_db_query_int(s->db, "SELECT count(*) FROM task WHERE owner = $1 AND "
                                          "state IN ('pending', 'running')",
                                   p, 1, count, err, err_size);
    return r == CCF_DB_OK ? CCF_STORE_OK : failed(r);
}
