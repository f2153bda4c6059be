/* The SQL layer (db.h): dispatch, result rows, migrations and the SQLite
 * backend; PostgreSQL is in db_pg.c. */
#include "ccfaas/db_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

/* ---- result rows ------------------------------------------------------------ */

bool ccf_db_rows_grow(ccf_db_rows *r)
{
    if (r->nrows == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 8;
        if (r->ncols > 0 && ncap > SIZE_MAX / (size_t)r->ncols / sizeof *r->cells)
            return false;
        struct ccf_db_cell *n = realloc(r->cells, ncap * (size_t)r->ncols * sizeof *n);
        if (n == NULL && r->ncols > 0)
            return false;
        r->cells = n;
        r->cap = ncap;
    }
    for (int c = 0; c < r->ncols; c++)
        r->cells[r->nrows * (size_t)r->ncols + (size_t)c] = (struct ccf_db_cell){0};
    r->nrows++;
    return true;
}

bool ccf_db_rows_set(ccf_db_rows *r, int col, const void *p, size_t len)
{
    struct ccf_db_cell *c = &r->cells[(r->nrows - 1) * (size_t)r->ncols + (size_t)col];
    if (p == NULL)
        return true;
    if ((c->p = malloc(len + 1)) == NULL)
        return false;
    if (len > 0)
        memcpy(c->p, p, len);
    c->p[len] = '\0';
    c->len = len;
    return true;
}

static const struct ccf_db_cell *cell(const ccf_db_rows *r, size_t row, int col)
{
    if (r == NULL || row >= r->nrows || col < 0 || col >= r->ncols)
        return NULL;
    return &r->cells[row * (size_t)r->ncols + (size_t)col];
}

size_t ccf_db_rows_count(const ccf_db_rows *r)
{
    return r != NULL ? r->nrows : 0;
}

bool ccf_db_is_null(const ccf_db_rows *r, size_t row, int col)
{
    const struct ccf_db_cell *c = cell(r, row, col);
    return c == NULL || c->p == NULL;
}

const char *ccf_db_text(const ccf_db_rows *r, size_t row, int col)
{
    const struct ccf_db_cell *c = cell(r, row, col);
    return c != NULL ? c->p : NULL;
}

const void *ccf_db_blob(const ccf_db_rows *r, size_t row, int col, size_t *len)
{
    const struct ccf_db_cell *c = cell(r, row, col);
    *len = c != NULL && c->p != NULL ? c->len : 0;
    return c != NULL ? c->p : NULL;
}

int64_t ccf_db_int(const ccf_db_rows *r, size_t row, int col)
{
    const char *t = ccf_db_text(r, row, col);
    /* PostgreSQL's sum() of bigints is numeric: "12" or "12.0" both read as 12 */
    return t != NULL ? (int64_t)strtoll(t, NULL, 10) : 0;
}

char *ccf_db_dup(const ccf_db_rows *r, size_t row, int col, size_t *len)
{
    const struct ccf_db_cell *c = cell(r, row, col);
    if (c == NULL || c->p == NULL)
        return NULL;
    char *out = malloc(c->len + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, c->p, c->len + 1);
    if (len != NULL)
        *len = c->len;
    return out;
}

void ccf_db_rows_free(ccf_db_rows *r)
{
    if (r == NULL)
        return;
    for (size_t i = 0; i < r->nrows * (size_t)r->ncols; i++)
        free(r->cells[i].p);
    free(r->cells);
    free(r);
}

/* ---- SQLite ----------------------------------------------------------------- */

static ccf_db_rc lite_fail(ccf_db *db, char *err, size_t err_size)
{
    int ext = sqlite3_extended_errcode(db->lite);
    ccf_errf(err, err_size, CCF_ERR_IO, "database %s: %s", db->name, sqlite3_errmsg(db->lite));
    return ext == SQLITE_CONSTRAINT_PRIMARYKEY || ext == SQLITE_CONSTRAINT_UNIQUE ? CCF_DB_UNIQUE
                                                                                  : CCF_DB_FAILED;
}

/* $1 → ?1 outside quoted literals and identifiers. */
static char *lite_sql(const char *sql)
{
    size_t n = strlen(sql);
    char *out = malloc(n + 1);
    char quote = 0;
    if (out == NULL)
        return NULL;
    for (size_t i = 0; i <= n; i++) {
        char ch = sql[i];
        if (quote != 0 && ch == quote)
            quote = 0;
        else if (quote == 0 && (ch == '\'' || ch == '"'))
            quote = ch;
        else if (quote == 0 && ch == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9')
            ch = '?';
        out[i] = ch;
    }
    return out;
}

static ccf_db_rc lite_prepare(ccf_db *db, const char *sql, const ccf_db_param *params,
                              size_t nparams, sqlite3_stmt **st, char *err, size_t err_size)
{
    char *text = lite_sql(sql);
    *st = NULL;
    if (text == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        return CCF_DB_FAILED;
    }
    int r = sqlite3_prepare_v2(db->lite, text, -1, st, NULL);
    free(text);
    if (r != SQLITE_OK)
        return lite_fail(db, err, err_size);
    for (size_t i = 0; i < nparams; i++) {
        int k = (int)i + 1;
        const ccf_db_param *p = &params[i];
        switch (p->type) {
        case CCF_DB_P_TEXT:
            r = sqlite3_bind_text(*st, k, p->p, -1, SQLITE_STATIC);
            break;
        case CCF_DB_P_INT:
            r = sqlite3_bind_int64(*st, k, (sqlite3_int64)p->i);
            break;
        case CCF_DB_P_BLOB: /* zero-length bytes stay non-NULL */
            r = p->len == 0 ? sqlite3_bind_zeroblob(*st, k, 0)
                            : sqlite3_bind_blob64(*st, k, p->p, p->len, SQLITE_STATIC);
            break;
        default:
            r = sqlite3_bind_null(*st, k);
            break;
        }
        if (r != SQLITE_OK) {
            ccf_db_rc rc = lite_fail(db, err, err_size);
            sqlite3_finalize(*st);
            *st = NULL;
            return rc;
        }
    }
    return CCF_DB_OK;
}

static ccf_db_rc lite_run(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                          int64_t *changes, ccf_db_rows **rows, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_db_rows *out = NULL;
    ccf_db_rc rc = lite_prepare(db, sql, params, nparams, &st, err, err_size);
    int r;

    if (rc != CCF_DB_OK)
        return rc;
    if (rows != NULL && (out = calloc(1, sizeof *out)) == NULL)
        goto nomem;
    if (out != NULL)
        out->ncols = sqlite3_column_count(st);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (out == NULL)
            continue;
        if (!ccf_db_rows_grow(out))
            goto nomem;
        for (int c = 0; c < out->ncols; c++) {
            const void *p = sqlite3_column_type(st, c) == SQLITE_NULL ? NULL
                            : sqlite3_column_type(st, c) == SQLITE_BLOB
                                ? sqlite3_column_blob(st, c)
                                : (const void *)sqlite3_column_text(st, c);
            size_t len = (size_t)sqlite3_column_bytes(st, c);
            if (p == NULL && sqlite3_column_type(st, c) != SQLITE_NULL)
                p = ""; /* an empty blob */
            if (!ccf_db_rows_set(out, c, p, len))
                goto nomem;
        }
    }
    if (r != SQLITE_DONE) {
        rc = lite_fail(db, err, err_size);
        goto out;
    }
    if (changes != NULL)
        *changes = sqlite3_changes(db->lite);
    if (rows != NULL) {
        *rows = out;
        out = NULL;
    }
    goto out;
nomem:
    ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    rc = CCF_DB_FAILED;
out:
    sqlite3_finalize(st);
    ccf_db_rows_free(out);
    return rc;
}

static ccf_db_rc lite_script(ccf_db *db, const char *sql, char *err, size_t err_size)
{
    return sqlite3_exec(db->lite, sql, NULL, NULL, NULL) == SQLITE_OK ? CCF_DB_OK
                                                                     : lite_fail(db, err, err_size);
}

static ccf_db_rc lite_open(ccf_db *db, const char *path, char *err, size_t err_size)
{
    if (sqlite3_open_v2(path, &db->lite, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                             SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        ccf_errf(err, err_size, CCF_ERR_IO, "database %s: %s", path,
                 db->lite ? sqlite3_errmsg(db->lite) : "cannot open");
        return CCF_DB_FAILED;
    }
    /* WAL: readers and the writer of another process do not block each other;
     * synchronous FULL: a commit survives a power cut, not only a kill. */
    sqlite3_busy_timeout(db->lite, 5000);
    return lite_script(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                           "PRAGMA foreign_keys = ON", err, err_size);
}

static ccf_db_rc lite_blob_read(ccf_db *db, const char *table, const char *column,
                                const char *where, const ccf_db_param *params, size_t nparams,
                                ccf_db_sink sink, void *arg, char *err, size_t err_size)
{
    char sql[512];
    int64_t rowid = 0;
    sqlite3_blob *blob = NULL;
    char *buf = NULL;
    ccf_db_rc rc;

    snprintf(sql, sizeof sql, "SELECT rowid FROM %s WHERE %s", table, where);
    if ((rc = ccf_db_query_int(db, sql, params, nparams, &rowid, err, err_size)) != CCF_DB_OK)
        return rc;
    /* streamed in chunks: programs can be hundreds of MiB */
    if (sqlite3_blob_open(db->lite, "main", table, column, rowid, 0, &blob) != SQLITE_OK) {
        rc = lite_fail(db, err, err_size);
        goto out;
    }
    static const int chunk = 1 << 16;
    if ((buf = malloc((size_t)chunk)) == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_DB_FAILED;
        goto out;
    }
    int total = sqlite3_blob_bytes(blob);
    for (int off = 0; off < total;) {
        int n = total - off < chunk ? total - off : chunk;
        if (sqlite3_blob_read(blob, buf, n, off) != SQLITE_OK) {
            rc = lite_fail(db, err, err_size);
            goto out;
        }
        if (!sink(arg, buf, (size_t)n)) {
            rc = CCF_DB_FAILED;
            goto out;
        }
        off += n;
    }
out:
    free(buf);
    sqlite3_blob_close(blob);
    return rc;
}

/* ---- dispatch --------------------------------------------------------------- */

bool ccf_db_is_url(const char *target)
{
    return strncmp(target, "postgresql://", 13) == 0 || strncmp(target, "postgres://", 11) == 0;
}

ccf_db_rc ccf_db_open(const char *target, ccf_db **out, char *err, size_t err_size)
{
    pthread_mutexattr_t attr;
    ccf_db *db = calloc(1, sizeof *db);
    ccf_db_rc rc;

    *out = NULL;
    if (db == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        return CCF_DB_FAILED;
    }
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&db->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    if (ccf_db_is_url(target)) {
        db->backend = CCF_DB_POSTGRES;
        rc = ccf_db_pg_open(db, target, err, err_size);
    } else {
        db->backend = CCF_DB_SQLITE;
        snprintf(db->name, sizeof db->name, "%s", target);
        rc = lite_open(db, target, err, err_size);
    }
    if (rc != CCF_DB_OK) {
        ccf_db_close(db);
        return rc;
    }
    *out = db;
    return CCF_DB_OK;
}

void ccf_db_close(ccf_db *db)
{
    if (db == NULL)
        return;
    if (db->in_tx)
        ccf_db_rollback(db);
    if (db->backend == CCF_DB_POSTGRES)
        ccf_db_pg_close(db);
    else
        sqlite3_close(db->lite);
    pthread_mutex_destroy(&db->mu);
    free(db);
}

ccf_db_backend ccf_db_backend_of(const ccf_db *db)
{
    return db->backend;
}

const char *ccf_db_name(const ccf_db *db)
{
    return db->name;
}

ccf_db_rc ccf_db_begin(ccf_db *db, char *err, size_t err_size)
{
    pthread_mutex_lock(&db->mu);
    /* BEGIN IMMEDIATE takes the write lock at once: the checks that follow see
     * the state the write will apply to. */
    ccf_db_rc rc = db->backend == CCF_DB_POSTGRES ? ccf_db_pg_begin(db, err, err_size)
                                                 : lite_script(db, "BEGIN IMMEDIATE", err, err_size);
    if (rc != CCF_DB_OK) {
        pthread_mutex_unlock(&db->mu);
        return rc;
    }
    db->in_tx = true;
    return CCF_DB_OK;
}

static ccf_db_rc end_tx(ccf_db *db, bool commit, char *err, size_t err_size)
{
    ccf_db_rc rc = CCF_DB_OK;
    if (!db->in_tx)
        return CCF_DB_OK;
    if (db->backend == CCF_DB_POSTGRES) {
        rc = ccf_db_pg_end(db, commit, err, err_size);
    } else {
        if (commit)
            rc = lite_script(db, "COMMIT", err, err_size);
        if (sqlite3_get_autocommit(db->lite) == 0)
            sqlite3_exec(db->lite, "ROLLBACK", NULL, NULL, NULL);
    }
    db->in_tx = false;
    pthread_mutex_unlock(&db->mu);
    return rc;
}

ccf_db_rc ccf_db_commit(ccf_db *db, char *err, size_t err_size)
{
    return end_tx(db, true, err, err_size);
}

void ccf_db_rollback(ccf_db *db)
{
    end_tx(db, false, NULL, 0);
}

ccf_db_rc ccf_db_finish(ccf_db *db, ccf_db_rc rc, char *err, size_t err_size)
{
    if (rc == CCF_DB_OK)
        return ccf_db_commit(db, err, err_size);
    ccf_db_rollback(db);
    return rc;
}

static ccf_db_rc run(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                     int64_t *changes, ccf_db_rows **rows, char *err, size_t err_size)
{
    pthread_mutex_lock(&db->mu);
    ccf_db_rc rc = db->backend == CCF_DB_POSTGRES
                       ? ccf_db_pg_run(db, sql, params, nparams, changes, rows, err, err_size)
                       : lite_run(db, sql, params, nparams, changes, rows, err, err_size);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

ccf_db_rc ccf_db_exec(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                      int64_t *changes, char *err, size_t err_size)
{
    return run(db, sql, params, nparams, changes, NULL, err, err_size);
}

ccf_db_rc ccf_db_query(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                       ccf_db_rows **out, char *err, size_t err_size)
{
    *out = NULL;
    return run(db, sql, params, nparams, NULL, out, err, err_size);
}

ccf_db_rc ccf_db_query_int(ccf_db *db, const char *sql, const ccf_db_param *params,
                           size_t nparams, int64_t *out, char *err, size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_db_rc rc = ccf_db_query(db, sql, params, nparams, &rows, err, err_size);
    *out = 0;
    if (rc == CCF_DB_OK && ccf_db_rows_count(rows) == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no row");
        rc = CCF_DB_NOT_FOUND;
    } else if (rc == CCF_DB_OK) {
        *out = ccf_db_int(rows, 0, 0);
    }
    ccf_db_rows_free(rows);
    return rc;
}

ccf_db_rc ccf_db_blob_read(ccf_db *db, const char *table, const char *column, const char *where,
                           const ccf_db_param *params, size_t nparams, ccf_db_sink sink,
                           void *arg, char *err, size_t err_size)
{
    pthread_mutex_lock(&db->mu);
    ccf_db_rc rc = db->backend == CCF_DB_POSTGRES
                       ? ccf_db_pg_blob_read(db, table, column, where, params, nparams, sink,
                                             arg, err, err_size)
                       : lite_blob_read(db, table, column, where, params, nparams, sink, arg,
                                        err, err_size);
    pthread_mutex_unlock(&db->mu);
    return rc;
}

/* ---- migrations ------------------------------------------------------------- */

static ccf_db_rc script(ccf_db *db, const char *sql, char *err, size_t err_size)
{
    return db->backend == CCF_DB_POSTGRES ? ccf_db_pg_script(db, sql, err, err_size)
                                          : lite_script(db, sql, err, err_size);
}

ccf_db_rc ccf_db_migrate(ccf_db *db, const char *component, const ccf_db_migration *steps,
                         size_t count, bool legacy_user_version, bool *newer, char *err,
                         size_t err_size)
{
    bool lite = db->backend == CCF_DB_SQLITE;
    bool legacy = legacy_user_version && lite;
    int64_t version = 0;
    ccf_db_rows *rows = NULL;
    ccf_db_param who = CCF_DB_TEXT(component);

    *newer = false;
    ccf_db_rc rc = ccf_db_begin(db, err, err_size);
    if (rc != CCF_DB_OK)
        return rc;
    if ((rc = script(db, "CREATE TABLE IF NOT EXISTS ccf_schema (component TEXT PRIMARY KEY, "
                         "version BIGINT NOT NULL)", err, err_size)) != CCF_DB_OK ||
        (rc = ccf_db_query(db, "SELECT version FROM ccf_schema WHERE component = $1", &who, 1,
                           &rows, err, err_size)) != CCF_DB_OK)
        goto out;
    if (ccf_db_rows_count(rows) > 0)
        version = ccf_db_int(rows, 0, 0);
    if (legacy) {
        /* the higher of the two: a newer binary of the old kind also counts */
        int64_t old = 0;
        if ((rc = ccf_db_query_int(db, "PRAGMA user_version", NULL, 0, &old, err, err_size)) !=
            CCF_DB_OK)
            goto out;
        if (old > version)
            version = old;
    }
    if (version > (int64_t)count) {
        ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED,
                 "database %s: %s schema version %" PRId64 " is newer than this ccfaas knows "
                 "(%zu)", db->name, component, version, count);
        *newer = true;
        rc = CCF_DB_FAILED;
        goto out;
    }
    for (int64_t v = version; v < (int64_t)count; v++) {
        const ccf_db_migration *m = &steps[v];
        if ((rc = script(db, lite ? m->sqlite : m->postgres, err, err_size)) != CCF_DB_OK) {
            char why[384];
            snprintf(why, sizeof why, "%s", err);
            ccf_errf(err, err_size, CCF_ERR_IO, "%s schema migration to version %" PRId64 ": %s",
                     component, v + 1, why);
            goto out;
        }
    }
    ccf_db_param set[] = {who, CCF_DB_INT(count)};
    if (version < (int64_t)count &&
        (rc = ccf_db_exec(db, "DELETE FROM ccf_schema WHERE component = $1", set, 1, NULL, err,
                          err_size)) == CCF_DB_OK)
        rc = ccf_db_exec(db, "INSERT INTO ccf_schema (component, version) VALUES ($1, $2)", set,
                         2, NULL, err, err_size);
    if (rc == CCF_DB_OK && legacy) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %zu", count);
        rc = lite_script(db, sql, err, err_size);
    }
out:
    ccf_db_rows_free(rows);
    return ccf_db_finish(db, rc, err, err_size);
}
