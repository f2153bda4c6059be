/* CCFaaS store over SQLite (see store.h). */
#include "ccfaas/store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/utc.h"

struct ccf_ccfaas_store {
    sqlite3 *db;
    pthread_mutex_t mu;
    ccf_store_quotas quotas;
};

/* Live instances of an owner, and bytes of the files of its functions. */
#define SQL_OWNER_INSTANCES \
    "SELECT count(*) FROM instance WHERE owner = ? AND ended IS NULL"
#define SQL_OWNER_BYTES                                                                       \
    "SELECT (SELECT coalesce(sum(p.size), 0) FROM program p JOIN function f ON "            \
    "p.function = f.name WHERE f.owner = ?1) + (SELECT coalesce(sum(d.size), 0) FROM "      \
    "data_file d JOIN function f ON d.function = f.name WHERE f.owner = ?1)"

/* Version 1. Later versions add steps to `migrations` (each run in the
 * transaction that also bumps user_version). */
static const char schema_v1[] =
    "CREATE TABLE function ("
    "  name TEXT PRIMARY KEY,"
    "  policy BLOB NOT NULL,"       /* the program policy, byte for byte */
    "  policy_hash TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE program ("
    "  function TEXT NOT NULL REFERENCES function(name) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  bytes BLOB NOT NULL,"
    "  PRIMARY KEY (function, name));"
    "CREATE TABLE data_file ("
    "  function TEXT NOT NULL REFERENCES function(name) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  bytes BLOB NOT NULL,"
    "  PRIMARY KEY (function, name));"
    "CREATE TABLE instance ("
    "  name TEXT PRIMARY KEY,"
    "  function TEXT NOT NULL,"     /* no foreign key: the delete check says why it fails */
    "  state TEXT NOT NULL CHECK (state IN ('creating', 'ready')),"
    "  created INTEGER NOT NULL,"
    "  policy BLOB,"
    "  policy_hash TEXT,"
    "  instance_hash TEXT);"
    "CREATE INDEX instance_function ON instance(function);";

/* Version 2 (issue 15): functions and instances belong to the caller who
 * made them. Rows of a version-1 store get owner "" (no caller): only admins
 * may change them. */
static const char schema_v2[] =
    "ALTER TABLE function ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE instance ADD COLUMN owner TEXT NOT NULL DEFAULT '';"
    "CREATE INDEX instance_owner ON instance(owner);";

/* Version 3 (issue 25): an instance whose runtime ended stays listed, as
 * `exited` or `gone`, until its owner deletes it (a user who saw it a moment
 * before must not meet "no instance"). */
static const char schema_v3[] =
    "ALTER TABLE instance ADD COLUMN ended TEXT;"
    "ALTER TABLE instance ADD COLUMN ended_at INTEGER;";

static const char *const migrations[CCF_CCFAAS_STORE_VERSION] = {schema_v1, schema_v2,
                                                                 schema_v3};

static const char *const file_table[] = {"program", "data_file"};
static const char *const file_what[] = {"program", "data file"};

static ccf_store_rc db_fail(ccf_ccfaas_store *s, char *err, size_t err_size, const char *what)
{
    ccf_errf(err, err_size, CCF_ERR_IO, "store: %s: %s", what, sqlite3_errmsg(s->db));
    return CCF_STORE_FAILED;
}

static bool exec(ccf_ccfaas_store *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/* BEGIN IMMEDIATE takes the write lock at once: the checks that follow see
 * the state the write will apply to. */
static ccf_store_rc begin(ccf_ccfaas_store *s, char *err, size_t err_size)
{
    pthread_mutex_lock(&s->mu);
    if (!exec(s, "BEGIN IMMEDIATE")) {
        ccf_store_rc rc = db_fail(s, err, err_size, "begin");
        pthread_mutex_unlock(&s->mu);
        return rc;
    }
    return CCF_STORE_OK;
}

/* Commits when rc is OK (a failed commit turns rc into FAILED), else rolls back. */
static ccf_store_rc finish(ccf_ccfaas_store *s, ccf_store_rc rc, char *err, size_t err_size)
{
    if (rc == CCF_STORE_OK && !exec(s, "COMMIT"))
        rc = db_fail(s, err, err_size, "commit");
    if (rc != CCF_STORE_OK && sqlite3_get_autocommit(s->db) == 0)
        exec(s, "ROLLBACK");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static sqlite3_stmt *prep(ccf_ccfaas_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    return st;
}

/* One integer from a query with up to three text parameters; -1 on failure. */
static int64_t query_int(ccf_ccfaas_store *s, const char *sql, const char *a, const char *b,
                         const char *c)
{
    sqlite3_stmt *st = prep(s, sql);
    int64_t v = -1;
    if (st == NULL)
        return -1;
    const char *args[] = {a, b, c};
    for (int i = 0; i < 3 && args[i] != NULL; i++)
        sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Runs a statement with text parameters (NULL-terminated list); true when done. */
static bool run(ccf_ccfaas_store *s, const char *sql, const char *const *args)
{
    sqlite3_stmt *st = prep(s, sql);
    if (st == NULL)
        return false;
    for (int i = 0; args != NULL && args[i] != NULL; i++)
        sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    return r == SQLITE_DONE;
}

static char *dup_col(sqlite3_stmt *st, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (p == NULL && sqlite3_column_type(st, col) == SQLITE_NULL)
        return NULL;
    char *out = malloc((size_t)n + 1);
    if (out == NULL)
        return NULL;
    if (n > 0)
        memcpy(out, p, (size_t)n);
    out[n] = '\0';
    if (len != NULL)
        *len = (size_t)n;
    return out;
}

static ccf_err migrate(ccf_ccfaas_store *s, char *err, size_t err_size)
{
    ccf_err rc = CCF_OK;
    if (!exec(s, "BEGIN IMMEDIATE"))
        return ccf_errf(err, err_size, CCF_ERR_IO, "store: %s", sqlite3_errmsg(s->db));
    int64_t version = query_int(s, "PRAGMA user_version", NULL, NULL, NULL);
    if (version < 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "store: %s", sqlite3_errmsg(s->db));
        goto out;
    }
    if (version > CCF_CCFAAS_STORE_VERSION) {
        rc = ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED,
                      "store: schema version %lld is newer than this ccfaas knows (%d)",
                      (long long)version, CCF_CCFAAS_STORE_VERSION);
        goto out;
    }
    for (int64_t v = version; v < CCF_CCFAAS_STORE_VERSION; v++) {
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)v + 1);
        if (!exec(s, migrations[v]) || !exec(s, sql)) {
            rc = ccf_errf(err, err_size, CCF_ERR_IO, "store: migration to version %lld: %s",
                          (long long)v + 1, sqlite3_errmsg(s->db));
            goto out;
        }
    }
out:
    if (!exec(s, rc == CCF_OK ? "COMMIT" : "ROLLBACK") && rc == CCF_OK)
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "store: %s", sqlite3_errmsg(s->db));
    return rc;
}

ccf_err ccf_ccfaas_store_open(const char *path, ccf_ccfaas_store **out, char *err, size_t err_size)
{
    ccf_ccfaas_store *s = calloc(1, sizeof *s);
    ccf_err rc = CCF_OK;

    *out = NULL;
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->mu, NULL);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                          SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "store %s: %s", path,
                      s->db ? sqlite3_errmsg(s->db) : "cannot open");
        goto out;
    }
    /* WAL: readers and the writer of another process do not block each other;
     * synchronous FULL: a commit survives a power cut, not only a kill. */
    sqlite3_busy_timeout(s->db, 5000);
    if (!exec(s, "PRAGMA journal_mode = WAL") || !exec(s, "PRAGMA synchronous = FULL") ||
        !exec(s, "PRAGMA foreign_keys = ON")) {
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "store %s: %s", path, sqlite3_errmsg(s->db));
        goto out;
    }
    if ((rc = migrate(s, err, err_size)) != CCF_OK)
        goto out;
    *out = s;
    s = NULL;
out:
    ccf_ccfaas_store_close(s);
    return rc;
}

void ccf_ccfaas_store_close(ccf_ccfaas_store *s)
{
    if (s == NULL)
        return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- functions ------------------------------------------------------------ */

ccf_store_rc ccf_ccfaas_store_function_add(ccf_ccfaas_store *s, const char *name, const char *policy,
                                           size_t len, const char *policy_hash, const char *owner,
                                           char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    int64_t n = query_int(s, "SELECT count(*) FROM function WHERE name = ?", name, NULL, NULL);
    if (n < 0) {
        rc = db_fail(s, err, err_size, "function lookup");
        goto out;
    }
    if (n > 0) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "function \"%s\" is already registered", name);
        rc = CCF_STORE_CONFLICT;
        goto out;
    }
    if ((st = prep(s, "INSERT INTO function (name, policy, policy_hash, created, owner) "
                      "VALUES (?, ?, ?, ?, ?)")) == NULL) {
        rc = db_fail(s, err, err_size, "insert function");
        goto out;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 2, policy, len, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, policy_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    sqlite3_bind_text(st, 5, owner ? owner : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, err_size, "insert function");
out:
    sqlite3_finalize(st);
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_function_get(ccf_ccfaas_store *s, const char *name, char **policy,
                                           size_t *len, int64_t *created, char *err,
                                           size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;

    if (policy != NULL)
        *policy = NULL;
    pthread_mutex_lock(&s->mu);
    if ((st = prep(s, "SELECT policy, created FROM function WHERE name = ?")) == NULL) {
        rc = db_fail(s, err, err_size, "function lookup");
        goto out;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no function \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
        goto out;
    }
    if (r != SQLITE_ROW) {
        rc = db_fail(s, err, err_size, "function lookup");
        goto out;
    }
    if (created != NULL)
        *created = sqlite3_column_int64(st, 1);
    if (policy != NULL && (*policy = dup_col(st, 0, len)) == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_function_list(ccf_ccfaas_store *s, json_t **out, char *err,
                                            size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    json_t *arr = json_array();

    *out = NULL;
    pthread_mutex_lock(&s->mu);
    if (arr == NULL) {
        rc = CCF_STORE_FAILED;
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = prep(s, "SELECT f.name, f.created, f.policy_hash,"
                 " (SELECT count(*) FROM program p WHERE p.function = f.name),"
                 " (SELECT count(*) FROM data_file d WHERE d.function = f.name),"
                 " (SELECT count(*) FROM instance i WHERE i.function = f.name AND i.ended IS NULL), f.owner"
                 " FROM function f ORDER BY f.name");
    if (st == NULL) {
        rc = db_fail(s, err, err_size, "function list");
        goto out;
    }
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        char when[CCF_UTC_LEN];
        ccf_utc_format((time_t)sqlite3_column_int64(st, 1), when);
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "function",
                              (const char *)sqlite3_column_text(st, 0), "created", when,
                              "policy_hash", (const char *)sqlite3_column_text(st, 2),
                              "programs_uploaded", (json_int_t)sqlite3_column_int64(st, 3),
                              "data_files_uploaded", (json_int_t)sqlite3_column_int64(st, 4),
                              "instances", (json_int_t)sqlite3_column_int64(st, 5));
        if (o != NULL)
            json_object_set_new(o, "owner",
                                json_string((const char *)sqlite3_column_text(st, 6)));
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            rc = CCF_STORE_FAILED;
            ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    if (r != SQLITE_DONE) {
        rc = db_fail(s, err, err_size, "function list");
        goto out;
    }
    *out = arr;
    arr = NULL;
out:
    json_decref(arr);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_function_owner(ccf_ccfaas_store *s, const char *name, char **owner,
                                             char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    *owner = NULL;
    pthread_mutex_lock(&s->mu);
    if ((st = prep(s, "SELECT owner FROM function WHERE name = ?")) == NULL) {
        rc = db_fail(s, err, err_size, "function lookup");
        goto out;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no function \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    } else if (r != SQLITE_ROW) {
        rc = db_fail(s, err, err_size, "function lookup");
    } else if ((*owner = dup_col(st, 0, NULL)) == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_function_delete(ccf_ccfaas_store *s, const char *name,
                                              const char *owner, char *err, size_t err_size)
{
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    int64_t n = query_int(s, "SELECT count(*) FROM function WHERE name = ?", name, NULL, NULL);
    int64_t mine = owner == NULL ? n
                                 : query_int(s, "SELECT count(*) FROM function WHERE name = ? "
                                                "AND owner = ?", name, owner, NULL);
    int64_t live = query_int(s, "SELECT count(*) FROM instance WHERE function = ? AND "
                                "ended IS NULL", name, NULL, NULL);
    if (n < 0 || live < 0 || mine < 0) {
        rc = db_fail(s, err, err_size, "function lookup");
    } else if (n == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no function \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    } else if (mine == 0) {
        ccf_errf(err, err_size, CCF_ERR_DENIED,
                 "forbidden: function \"%s\" belongs to another operator", name);
        rc = CCF_STORE_FORBIDDEN;
    } else if (live > 0) {
        ccf_errf(err, err_size, CCF_ERR_INVALID,
                 "function \"%s\" has %lld live instance(s); delete them first", name,
                 (long long)live);
        rc = CCF_STORE_CONFLICT;
    } else {
        /* ended instances of the function go with it */
        const char *args[] = {name, NULL};
        if (!run(s, "DELETE FROM instance WHERE function = ? AND ended IS NOT NULL", args) ||
            !run(s, "DELETE FROM function WHERE name = ?", args))
            rc = db_fail(s, err, err_size, "delete function");
    }
    return finish(s, rc, err, err_size);
}

/* ---- programs and data files ------------------------------------------------ */

ccf_store_rc ccf_ccfaas_store_file_add(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                       const char *function, const char *policy_hash,
                                       const char *name, const char *sha256, const void *bytes,
                                       size_t len, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    char sql[160];
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    int64_t fn = query_int(s, "SELECT count(*) FROM function WHERE name = ? AND policy_hash = ?",
                           function, policy_hash, NULL);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE function = ? AND name = ?",
             file_table[kind]);
    int64_t have = query_int(s, sql, function, name, NULL);
    if (fn < 0 || have < 0) {
        rc = db_fail(s, err, err_size, "lookup");
        goto out;
    }
    if (fn == 0) {
        /* gone, or deleted and registered again with another policy meanwhile */
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "function \"%s\" changed or was deleted "
                                                   "during the upload", function);
        rc = CCF_STORE_NOT_FOUND;
        goto out;
    }
    if (have > 0) {
        ccf_errf(err, err_size, CCF_ERR_INVALID,
                 "%s \"%s\" of function \"%s\" is already uploaded (write-once: delete it first)",
                 file_what[kind], name, function);
        rc = CCF_STORE_CONFLICT;
        goto out;
    }
    if (s->quotas.bytes > 0) {
        char owner[256] = "";
        sqlite3_stmt *o = prep(s, "SELECT owner FROM function WHERE name = ?");
        if (o != NULL) {
            sqlite3_bind_text(o, 1, function, -1, SQLITE_STATIC);
            if (sqlite3_step(o) == SQLITE_ROW && sqlite3_column_text(o, 0) != NULL)
                snprintf(owner, sizeof owner, "%s", (const char *)sqlite3_column_text(o, 0));
            sqlite3_finalize(o);
        }
        int64_t used = query_int(s, SQL_OWNER_BYTES, owner, NULL, NULL);
        if (used < 0) {
            rc = db_fail(s, err, err_size, "quota lookup");
            goto out;
        }
        if ((uint64_t)used + len > s->quotas.bytes) {
            ccf_errf(err, err_size, CCF_ERR_BUSY,
                     "quota: the functions of \"%s\" hold %lld bytes; %zu more would pass the "
                     "quota of %llu bytes (delete programs, data files or functions first)",
                     owner, (long long)used, len, (unsigned long long)s->quotas.bytes);
            rc = CCF_STORE_QUOTA;
            goto out;
        }
    }
    snprintf(sql, sizeof sql, "INSERT INTO %s (function, name, sha256, size, created, bytes) "
                              "VALUES (?, ?, ?, ?, ?, ?)", file_table[kind]);
    if ((st = prep(s, sql)) == NULL) {
        rc = db_fail(s, err, err_size, "insert");
        goto out;
    }
    sqlite3_bind_text(st, 1, function, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, sha256, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)len);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
    /* zero-length blobs must still be non-NULL (the column is NOT NULL) */
    if (len == 0)
        sqlite3_bind_zeroblob(st, 6, 0);
    else
        sqlite3_bind_blob64(st, 6, bytes, len, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, err_size, "insert");
out:
    sqlite3_finalize(st);
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_file_get(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                       const char *function, const char *name, json_t **out,
                                       char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    char sql[160];
    ccf_store_rc rc = CCF_STORE_OK;

    *out = NULL;
    pthread_mutex_lock(&s->mu);
    snprintf(sql, sizeof sql, "SELECT sha256, size, created FROM %s WHERE function = ? AND name = ?",
             file_table[kind]);
    if ((st = prep(s, sql)) == NULL) {
        rc = db_fail(s, err, err_size, "lookup");
        goto out;
    }
    sqlite3_bind_text(st, 1, function, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "%s \"%s\" of function \"%s\" is not uploaded",
                 file_what[kind], name, function);
        rc = CCF_STORE_NOT_FOUND;
        goto out;
    }
    if (r != SQLITE_ROW) {
        rc = db_fail(s, err, err_size, "lookup");
        goto out;
    }
    char when[CCF_UTC_LEN];
    ccf_utc_format((time_t)sqlite3_column_int64(st, 2), when);
    *out = json_pack("{s:s, s:I, s:s}", "sha256", (const char *)sqlite3_column_text(st, 0),
                     "size", (json_int_t)sqlite3_column_int64(st, 1), "created", when);
    if (*out == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_file_delete(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                          const char *function, const char *name, char *err,
                                          size_t err_size)
{
    char sql[160];
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE function = ? AND name = ?", file_table[kind]);
    const char *args[] = {function, name, NULL};
    if (!run(s, sql, args)) {
        rc = db_fail(s, err, err_size, "delete");
    } else if (sqlite3_changes(s->db) == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "%s \"%s\" of function \"%s\" is not uploaded",
                 file_what[kind], name, function);
        rc = CCF_STORE_NOT_FOUND;
    }
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_file_export(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                          const char *function, const char *name,
                                          const char *path, char *err, size_t err_size)
{
    sqlite3_blob *blob = NULL;
    char sql[160];
    int fd = -1;
    ccf_store_rc rc = CCF_STORE_OK;

    pthread_mutex_lock(&s->mu);
    snprintf(sql, sizeof sql, "SELECT rowid FROM %s WHERE function = ? AND name = ?",
             file_table[kind]);
    int64_t rowid = query_int(s, sql, function, name, NULL);
    if (rowid < 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "%s \"%s\" of function \"%s\" is not uploaded",
                 file_what[kind], name, function);
        rc = CCF_STORE_NOT_FOUND;
        goto out;
    }
    /* streamed in chunks: programs can be hundreds of MiB */
    if (sqlite3_blob_open(s->db, "main", file_table[kind], "bytes", rowid, 0, &blob) != SQLITE_OK) {
        rc = db_fail(s, err, err_size, "read");
        goto out;
    }
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        rc = CCF_STORE_FAILED;
        goto out;
    }
    int total = sqlite3_blob_bytes(blob);
    static const int chunk = 1 << 16;
    char *buf = malloc((size_t)chunk);
    if (buf == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
        goto out;
    }
    for (int off = 0; off < total && rc == CCF_STORE_OK;) {
        int n = total - off < chunk ? total - off : chunk;
        if (sqlite3_blob_read(blob, buf, n, off) != SQLITE_OK) {
            rc = db_fail(s, err, err_size, "read");
            break;
        }
        for (int done = 0; done < n;) {
            ssize_t w = write(fd, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
                rc = CCF_STORE_FAILED;
                break;
            }
            done += (int)w;
        }
        off += n;
    }
    free(buf);
out:
    if (fd >= 0 && close(fd) != 0 && rc == CCF_STORE_OK) {
        ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        rc = CCF_STORE_FAILED;
    }
    sqlite3_blob_close(blob);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- quotas ------------------------------------------------------------------ */

void ccf_ccfaas_store_set_quotas(ccf_ccfaas_store *s, const ccf_store_quotas *q)
{
    s->quotas = *q;
}

ccf_store_rc ccf_ccfaas_store_usage(ccf_ccfaas_store *s, const char *owner, int64_t *instances,
                                    int64_t *bytes, char *err, size_t err_size)
{
    pthread_mutex_lock(&s->mu);
    *instances = query_int(s, SQL_OWNER_INSTANCES, owner, NULL, NULL);
    *bytes = query_int(s, SQL_OWNER_BYTES, owner, NULL, NULL);
    ccf_store_rc rc = *instances < 0 || *bytes < 0 ? db_fail(s, err, err_size, "quota lookup")
                                                   : CCF_STORE_OK;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- instances -------------------------------------------------------------- */

ccf_store_rc ccf_ccfaas_store_instance_reserve(ccf_ccfaas_store *s, const char *name,
                                               const char *function, const char *fn_policy_hash,
                                               const char *const *programs, size_t nprograms,
                                               const char *const *data_files, size_t ndata,
                                               const char *owner, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    int64_t fn = query_int(s, "SELECT count(*) FROM function WHERE name = ?", function, NULL, NULL);
    int64_t same = query_int(s, "SELECT count(*) FROM function WHERE name = ? AND policy_hash = ?",
                             function, fn_policy_hash, NULL);
    /* the caller's own ended instance of that name is replaced */
    const char *mine[] = {name, owner ? owner : "", NULL};
    if (!run(s, "DELETE FROM instance WHERE name = ? AND owner = ? AND ended IS NOT NULL", mine)) {
        rc = db_fail(s, err, err_size, "replace ended instance");
        goto out;
    }
    int64_t taken = query_int(s, "SELECT count(*) FROM instance WHERE name = ?", name, NULL, NULL);
    if (fn < 0 || same < 0 || taken < 0) {
        rc = db_fail(s, err, err_size, "lookup");
        goto out;
    }
    if (fn == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no function \"%s\"", function);
        rc = CCF_STORE_NOT_FOUND;
        goto out;
    }
    if (taken > 0) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "instance \"%s\" exists already", name);
        rc = CCF_STORE_CONFLICT;
        goto out;
    }
    if (s->quotas.instances > 0) {
        int64_t live = query_int(s, SQL_OWNER_INSTANCES, owner ? owner : "", NULL, NULL);
        if (live < 0) {
            rc = db_fail(s, err, err_size, "quota lookup");
            goto out;
        }
        if (live >= (int64_t)s->quotas.instances) {
            ccf_errf(err, err_size, CCF_ERR_BUSY,
                     "quota: \"%s\" has %lld live instance(s), the most allowed; delete one "
                     "first", owner ? owner : "", (long long)live);
            rc = CCF_STORE_QUOTA;
            goto out;
        }
    }
    if (same == 0) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "function \"%s\" was registered again meanwhile",
                 function);
        rc = CCF_STORE_CONFLICT;
        goto out;
    }
    for (int k = 0; k < 2; k++) {
        const char *const *names = k == 0 ? programs : data_files;
        size_t n = k == 0 ? nprograms : ndata;
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE function = ? AND name = ?",
                 file_table[k]);
        for (size_t i = 0; i < n; i++) {
            int64_t have = query_int(s, sql, function, names[i], NULL);
            if (have < 0) {
                rc = db_fail(s, err, err_size, "lookup");
                goto out;
            }
            if (have == 0) {
                ccf_errf(err, err_size, CCF_ERR_INVALID, "%s \"%s\" of function \"%s\" is not "
                         "uploaded", file_what[k], names[i], function);
                rc = CCF_STORE_CONFLICT;
                goto out;
            }
        }
    }
    if ((st = prep(s, "INSERT INTO instance (name, function, state, created, owner) "
                      "VALUES (?, ?, 'creating', ?, ?)")) == NULL) {
        rc = db_fail(s, err, err_size, "insert instance");
        goto out;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, function, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
    sqlite3_bind_text(st, 4, owner ? owner : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = db_fail(s, err, err_size, "insert instance");
out:
    sqlite3_finalize(st);
    return finish(s, rc, err, err_size);
}

static ccf_store_rc instance_update(ccf_ccfaas_store *s, const char *name, const char *sql,
                                    const char *a, const void *blob, size_t blob_len,
                                    const char *b, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    if ((st = prep(s, sql)) == NULL) {
        rc = db_fail(s, err, err_size, "update instance");
        goto out;
    }
    int i = 1;
    if (a != NULL)
        sqlite3_bind_text(st, i++, a, -1, SQLITE_STATIC);
    if (blob != NULL)
        sqlite3_bind_blob64(st, i++, blob, blob_len, SQLITE_STATIC);
    if (b != NULL)
        sqlite3_bind_text(st, i++, b, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, i, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = db_fail(s, err, err_size, "update instance");
    } else if (sqlite3_changes(s->db) == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no instance \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    }
out:
    sqlite3_finalize(st);
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_instance_set_ended(ccf_ccfaas_store *s, const char *name,
                                                 const char *how, char *err, size_t err_size)
{
    return instance_update(s, name, "UPDATE instance SET ended = ?, "
                                    "ended_at = CAST(strftime('%s', 'now') AS INTEGER) "
                                    "WHERE name = ? AND ended IS NULL",
                           how, NULL, 0, NULL, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_instance_set_vaas(ccf_ccfaas_store *s, const char *name,
                                                const char *instance_hash, const char *policy,
                                                size_t len, const char *policy_hash, char *err,
                                                size_t err_size)
{
    return instance_update(s, name, "UPDATE instance SET instance_hash = ?, policy = ?, "
                                    "policy_hash = ? WHERE name = ?",
                           instance_hash, policy, len, policy_hash, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_instance_set_ready(ccf_ccfaas_store *s, const char *name, char *err,
                                                 size_t err_size)
{
    return instance_update(s, name, "UPDATE instance SET state = 'ready' WHERE name = ?", NULL,
                           NULL, 0, NULL, err, err_size);
}

void ccf_ccfaas_store_instance_clear(ccf_store_instance *row)
{
    if (row == NULL)
        return;
    free(row->name);
    free(row->function);
    free(row->state);
    free(row->policy);
    free(row->policy_hash);
    free(row->instance_hash);
    free(row->owner);
    free(row->ended);
    memset(row, 0, sizeof *row);
}

void ccf_ccfaas_store_instances_free(ccf_store_instance *rows, size_t count)
{
    for (size_t i = 0; rows != NULL && i < count; i++)
        ccf_ccfaas_store_instance_clear(&rows[i]);
    free(rows);
}

static bool read_instance(sqlite3_stmt *st, ccf_store_instance *row)
{
    memset(row, 0, sizeof *row);
    row->name = dup_col(st, 0, NULL);
    row->function = dup_col(st, 1, NULL);
    row->state = dup_col(st, 2, NULL);
    row->created = sqlite3_column_int64(st, 3);
    row->policy = dup_col(st, 4, &row->policy_len);
    row->policy_hash = dup_col(st, 5, NULL);
    row->instance_hash = dup_col(st, 6, NULL);
    row->owner = dup_col(st, 7, NULL);
    row->ended = dup_col(st, 8, NULL);
    row->ended_at = sqlite3_column_int64(st, 9);
    bool ok = row->name != NULL && row->function != NULL && row->state != NULL &&
              row->owner != NULL &&
              (row->policy != NULL) == (sqlite3_column_type(st, 4) != SQLITE_NULL) &&
              (row->policy_hash != NULL) == (sqlite3_column_type(st, 5) != SQLITE_NULL) &&
              (row->instance_hash != NULL) == (sqlite3_column_type(st, 6) != SQLITE_NULL) &&
              (row->ended != NULL) == (sqlite3_column_type(st, 8) != SQLITE_NULL);
    if (!ok)
        ccf_ccfaas_store_instance_clear(row);
    return ok;
}

#define INSTANCE_COLUMNS \
    "name, function, state, created, policy, policy_hash, instance_hash, owner, ended, ended_at"

ccf_store_rc ccf_ccfaas_store_instance_get(ccf_ccfaas_store *s, const char *name,
                                           ccf_store_instance *out, char *err, size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;

    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    if ((st = prep(s, "SELECT " INSTANCE_COLUMNS " FROM instance WHERE name = ?")) == NULL) {
        rc = db_fail(s, err, err_size, "instance lookup");
        goto out;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_DONE) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no instance \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    } else if (r != SQLITE_ROW) {
        rc = db_fail(s, err, err_size, "instance lookup");
    } else if (!read_instance(st, out)) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_instance_list(ccf_ccfaas_store *s, const char *state,
                                            ccf_store_instance **rows, size_t *count, char *err,
                                            size_t err_size)
{
    sqlite3_stmt *st = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    ccf_store_instance *v = NULL;
    size_t n = 0, cap = 0;
    int r;

    *rows = NULL;
    *count = 0;
    pthread_mutex_lock(&s->mu);
    st = prep(s, state != NULL ? "SELECT " INSTANCE_COLUMNS " FROM instance WHERE state = ? "
                                 "ORDER BY name"
                               : "SELECT " INSTANCE_COLUMNS " FROM instance ORDER BY name");
    if (st == NULL) {
        rc = db_fail(s, err, err_size, "instance list");
        goto out;
    }
    if (state != NULL)
        sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            ccf_store_instance *nv = realloc(v, ncap * sizeof *v);
            if (nv == NULL)
                break;
            v = nv;
            cap = ncap;
        }
        if (!read_instance(st, &v[n]))
            break;
        n++;
    }
    if (r == SQLITE_ROW) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
    } else if (r != SQLITE_DONE) {
        rc = db_fail(s, err, err_size, "instance list");
    }
out:
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    if (rc != CCF_STORE_OK) {
        ccf_ccfaas_store_instances_free(v, n);
        return rc;
    }
    *rows = v;
    *count = n;
    return rc;
}

ccf_store_rc ccf_ccfaas_store_instance_delete(ccf_ccfaas_store *s, const char *name,
                                              const char *owner, char *err, size_t err_size)
{
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    const char *args[] = {name, owner, NULL};
    if (!run(s, owner == NULL ? "DELETE FROM instance WHERE name = ?"
                              : "DELETE FROM instance WHERE name = ? AND owner = ?",
             args)) {
        rc = db_fail(s, err, err_size, "delete instance");
    } else if (sqlite3_changes(s->db) == 0) {
        int64_t n = query_int(s, "SELECT count(*) FROM instance WHERE name = ?", name, NULL, NULL);
        if (n > 0) {
            ccf_errf(err, err_size, CCF_ERR_DENIED,
                     "forbidden: instance \"%s\" belongs to another user", name);
            rc = CCF_STORE_FORBIDDEN;
        } else {
            ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no instance \"%s\"", name);
            rc = CCF_STORE_NOT_FOUND;
        }
    }
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_counts(ccf_ccfaas_store *s, int64_t *functions, int64_t *creating,
                                     int64_t *ready)
{
    pthread_mutex_lock(&s->mu);
    *functions = query_int(s, "SELECT count(*) FROM function", NULL, NULL, NULL);
    *creating = query_int(s, "SELECT count(*) FROM instance WHERE state = 'creating'", NULL, NULL,
                          NULL);
    *ready = query_int(s, "SELECT count(*) FROM instance WHERE state = 'ready' AND ended IS NULL",
                       NULL, NULL, NULL);
    pthread_mutex_unlock(&s->mu);
    return *functions < 0 || *creating < 0 || *ready < 0 ? CCF_STORE_FAILED : CCF_STORE_OK;
}
