/* CCFaaS store over the SQL layer (see store.h, db.h): SQLite by default,
 * PostgreSQL for replicas. */
#include "ccfaas/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ccfaas/db.h"
#include "common/utc.h"

struct ccf_ccfaas_store {
    ccf_db *db;
    ccf_store_quotas quotas;
    char creator[64];
};

/* Live instances of an owner, and bytes of the files of its functions. */
#define SQL_OWNER_INSTANCES "SELECT count(*) FROM instance WHERE owner = $1 AND ended IS NULL"
#define SQL_OWNER_BYTES                                                                       \
    "SELECT (SELECT coalesce(sum(p.size), 0) FROM program p JOIN function f ON "            \
    "p.function = f.name WHERE f.owner = $1) + (SELECT coalesce(sum(d.size), 0) FROM "      \
    "data_file d JOIN function f ON d.function = f.name WHERE f.owner = $1)"

/* Version 1 (SQLite's text as it always was; PostgreSQL: the same tables
 * with its types, BIGINT for Unix seconds and sizes, BYTEA for bytes). Later
 * versions add steps to `migrations`. */
#define FILE_TABLE(table, INT, BYTES)                                    \
    "CREATE TABLE " table " ("                                           \
    "  function TEXT NOT NULL REFERENCES function(name) ON DELETE CASCADE," \
    "  name TEXT NOT NULL,"                                              \
    "  sha256 TEXT NOT NULL,"                                            \
    "  size " INT " NOT NULL,"                                           \
    "  created " INT " NOT NULL,"                                        \
    "  bytes " BYTES " NOT NULL,"                                        \
    "  PRIMARY KEY (function, name));"
#define SCHEMA_V1(INT, BYTES)                                            \
    "CREATE TABLE function ("                                            \
    "  name TEXT PRIMARY KEY,"                                           \
    "  policy " BYTES " NOT NULL," /* the program policy, byte for byte */ \
    "  policy_hash TEXT NOT NULL,"                                       \
    "  created " INT " NOT NULL);"                                       \
    FILE_TABLE("program", INT, BYTES)                                    \
    FILE_TABLE("data_file", INT, BYTES)                                  \
    "CREATE TABLE instance ("                                            \
    "  name TEXT PRIMARY KEY,"                                           \
    "  function TEXT NOT NULL," /* no foreign key: the delete check says why it fails */ \
    "  state TEXT NOT NULL CHECK (state IN ('creating', 'ready')),"      \
    "  created " INT " NOT NULL,"                                        \
    "  policy " BYTES ","                                                \
    "  policy_hash TEXT,"                                                \
    "  instance_hash TEXT);"                                             \
    "CREATE INDEX instance_function ON instance(function);"

static const char schema_v1[] = SCHEMA_V1("INTEGER", "BLOB");
static const char schema_v1_pg[] = SCHEMA_V1("BIGINT", "BYTEA");

/* Version 2 (issue 15): functions and instances belong to the caller who
 * made them. Rows of a version-1 store get owner "" (no caller): only admins
 * may change them. The same text for both backends. */
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
static const char schema_v3_pg[] =
    "ALTER TABLE instance ADD COLUMN ended TEXT;"
    "ALTER TABLE instance ADD COLUMN ended_at BIGINT;";

/* Version 4 (issue 21): the CCFaaS process that reserved an instance, so
 * that with replicas on one database a restarted replica removes only its
 * own half-made instances at once (others' when they are stale). */
static const char schema_v4[] = "ALTER TABLE instance ADD COLUMN creator TEXT NOT NULL DEFAULT '';";

static const ccf_db_migration migrations[CCF_CCFAAS_STORE_VERSION] = {
    {schema_v1, schema_v1_pg}, {schema_v2, schema_v2}, {schema_v3, schema_v3_pg},
    {schema_v4, schema_v4}};

static const char *const file_table[] = {"program", "data_file"};
static const char *const file_what[] = {"program", "data file"};

/* The store outcome of a failed database call (err written by the layer). */
static ccf_store_rc failed(ccf_db_rc rc)
{
    return rc == CCF_DB_UNAVAILABLE ? CCF_STORE_UNAVAILABLE : CCF_STORE_FAILED;
}

static ccf_store_rc begin(ccf_ccfaas_store *s, char *err, size_t err_size)
{
    ccf_db_rc rc = ccf_db_begin(s->db, err, err_size);
    return rc == CCF_DB_OK ? CCF_STORE_OK : failed(rc);
}

/* Commits when rc is OK (a failed commit turns rc into FAILED/UNAVAILABLE), else rolls back. */
static ccf_store_rc finish(ccf_ccfaas_store *s, ccf_store_rc rc, char *err, size_t err_size)
{
    if (rc != CCF_STORE_OK) {
        ccf_db_rollback(s->db);
        return rc;
    }
    ccf_db_rc r = ccf_db_commit(s->db, err, err_size);
    return r == CCF_DB_OK ? CCF_STORE_OK : failed(r);
}

/* One integer (a count) from a query with text parameters. */
static ccf_db_rc count2(ccf_ccfaas_store *s, const char *sql, const char *a, const char *b,
                        int64_t *out, char *err, size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT(a), CCF_DB_TEXT(b)};
    return ccf_db_query_int(s->db, sql, p, b != NULL ? 2 : a != NULL ? 1 : 0, out, err, err_size);
}

ccf_err ccf_ccfaas_store_open(const char *path, ccf_ccfaas_store **out, char *err, size_t err_size)
{
    ccf_ccfaas_store *s = calloc(1, sizeof *s);
    ccf_err rc = CCF_OK;
    bool newer = false;

    *out = NULL;
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    ccf_db_rc r = ccf_db_open(path, &s->db, err, err_size);
    if (r == CCF_DB_OK)
        r = ccf_db_migrate(s->db, "ccfaas", migrations, CCF_CCFAAS_STORE_VERSION, true, &newer, err,
                           err_size);
    if (r != CCF_DB_OK) {
        rc = newer ? CCF_ERR_UNSUPPORTED : r == CCF_DB_UNAVAILABLE ? CCF_ERR_BUSY : CCF_ERR_IO;
        goto out;
    }
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
    ccf_db_close(s->db);
    free(s);
}

bool ccf_ccfaas_store_shared(const ccf_ccfaas_store *s)
{
    return ccf_db_backend_of(s->db) == CCF_DB_POSTGRES;
}

const char *ccf_ccfaas_store_name(const ccf_ccfaas_store *s)
{
    return ccf_db_name(s->db);
}

/* ---- functions ------------------------------------------------------------ */

ccf_store_rc ccf_ccfaas_store_function_add(ccf_ccfaas_store *s, const char *name, const char *policy,
                                           size_t len, const char *policy_hash, const char *owner,
                                           char *err, size_t err_size)
{
    int64_t n = 0;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    ccf_db_rc r = count2(s, "SELECT count(*) FROM function WHERE name = $1", name, NULL, &n, err,
                         err_size);
    if (r == CCF_DB_OK && n == 0) {
        ccf_db_param p[] = {CCF_DB_TEXT(name), CCF_DB_BLOB(policy, len), CCF_DB_TEXT(policy_hash),
                            CCF_DB_INT(time(NULL)), CCF_DB_TEXT(owner ? owner : "")};
        r = ccf_db_exec(s->db, "INSERT INTO function (name, policy, policy_hash, created, owner) "
                               "VALUES ($1, $2, $3, $4, $5)", p, 5, NULL, err, err_size);
    }
    if (r == CCF_DB_UNIQUE || (r == CCF_DB_OK && n > 0)) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "function \"%s\" is already registered", name);
        rc = CCF_STORE_CONFLICT;
    } else if (r != CCF_DB_OK) {
        rc = failed(r);
    }
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_function_get(ccf_ccfaas_store *s, const char *name, char **policy,
                                           size_t *len, int64_t *created, char *err,
                                           size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    ccf_db_param p = CCF_DB_TEXT(name);

    if (policy != NULL)
        *policy = NULL;
    ccf_db_rc r = ccf_db_query(s->db, "SELECT policy, created FROM function WHERE name = $1", &p,
                               1, &rows, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (ccf_db_rows_count(rows) == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no function \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    } else {
        if (created != NULL)
            *created = ccf_db_int(rows, 0, 1);
        if (policy != NULL && (*policy = ccf_db_dup(rows, 0, 0, len)) == NULL) {
            ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            rc = CCF_STORE_FAILED;
        }
    }
    ccf_db_rows_free(rows);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_function_list(ccf_ccfaas_store *s, json_t **out, char *err,
                                            size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    json_t *arr = json_array();

    *out = NULL;
    if (arr == NULL) {
        rc = CCF_STORE_FAILED;
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    ccf_db_rc r = ccf_db_query(
        s->db,
        "SELECT f.name, f.created, f.policy_hash,"
        " (SELECT count(*) FROM program p WHERE p.function = f.name),"
        " (SELECT count(*) FROM data_file d WHERE d.function = f.name),"
        " (SELECT count(*) FROM instance i WHERE i.function = f.name AND i.ended IS NULL), f.owner"
        " FROM function f ORDER BY f.name",
        NULL, 0, &rows, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
        goto out;
    }
    for (size_t i = 0; i < ccf_db_rows_count(rows); i++) {
        char when[CCF_UTC_LEN];
        ccf_utc_format((time_t)ccf_db_int(rows, i, 1), when);
        json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s}", "function",
                              ccf_db_text(rows, i, 0), "created", when, "policy_hash",
                              ccf_db_text(rows, i, 2), "programs_uploaded",
                              (json_int_t)ccf_db_int(rows, i, 3), "data_files_uploaded",
                              (json_int_t)ccf_db_int(rows, i, 4), "instances",
                              (json_int_t)ccf_db_int(rows, i, 5), "owner",
                              ccf_db_text(rows, i, 6));
        if (o == NULL || json_array_append_new(arr, o) != 0) {
            rc = CCF_STORE_FAILED;
            ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    *out = arr;
    arr = NULL;
out:
    json_decref(arr);
    ccf_db_rows_free(rows);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_function_owner(ccf_ccfaas_store *s, const char *name, char **owner,
                                             char *err, size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    ccf_db_param p = CCF_DB_TEXT(name);

    *owner = NULL;
    ccf_db_rc r = ccf_db_query(s->db, "SELECT owner FROM function WHERE name = $1", &p, 1, &rows,
                               err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (ccf_db_rows_count(rows) == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no function \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    } else if ((*owner = ccf_db_dup(rows, 0, 0, NULL)) == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
    }
    ccf_db_rows_free(rows);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_function_delete(ccf_ccfaas_store *s, const char *name,
                                              const char *owner, char *err, size_t err_size)
{
    int64_t n = 0, mine = 0, live = 0;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    ccf_db_rc r = count2(s, "SELECT count(*) FROM function WHERE name = $1", name, NULL, &n, err,
                         err_size);
    if (r == CCF_DB_OK)
        r = owner == NULL ? (mine = n, CCF_DB_OK)
                          : count2(s, "SELECT count(*) FROM function WHERE name = $1 AND "
                                      "owner = $2", name, owner, &mine, err, err_size);
    if (r == CCF_DB_OK)
        r = count2(s, "SELECT count(*) FROM instance WHERE function = $1 AND ended IS NULL", name,
                   NULL, &live, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
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
        ccf_db_param p = CCF_DB_TEXT(name);
        if ((r = ccf_db_exec(s->db, "DELETE FROM instance WHERE function = $1 AND ended IS NOT "
                                    "NULL", &p, 1, NULL, err, err_size)) != CCF_DB_OK ||
            (r = ccf_db_exec(s->db, "DELETE FROM function WHERE name = $1", &p, 1, NULL, err,
                             err_size)) != CCF_DB_OK)
            rc = failed(r);
    }
    return finish(s, rc, err, err_size);
}

/* ---- programs and data files ------------------------------------------------ */

static void not_uploaded(char *err, size_t err_size, ccf_store_file_kind kind, const char *name,
                         const char *function)
{
    ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "%s \"%s\" of function \"%s\" is not uploaded",
             file_what[kind], name, function);
}

ccf_store_rc ccf_ccfaas_store_file_add(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                       const char *function, const char *policy_hash,
                                       const char *name, const char *sha256, const void *bytes,
                                       size_t len, char *err, size_t err_size)
{
    char sql[160];
    int64_t fn = 0, have = 0;
    ccf_db_rows *rows = NULL;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE function = $1 AND name = $2",
             file_table[kind]);
    ccf_db_rc r = count2(s, "SELECT count(*) FROM function WHERE name = $1 AND policy_hash = $2",
                         function, policy_hash, &fn, err, err_size);
    if (r == CCF_DB_OK)
        r = count2(s, sql, function, name, &have, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
        goto out;
    }
    if (fn == 0) {
        /* gone, or deleted and registered again with another policy meanwhile */
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "function \"%s\" changed or was deleted "
                                                   "during the upload", function);
        rc = CCF_STORE_NOT_FOUND;
        goto out;
    }
    if (have > 0)
        goto exists;
    if (s->quotas.bytes > 0) {
        int64_t used = 0;
        ccf_db_param p = CCF_DB_TEXT(function);
        if ((r = ccf_db_query(s->db, "SELECT owner FROM function WHERE name = $1", &p, 1, &rows,
                              err, err_size)) != CCF_DB_OK) {
            rc = failed(r);
            goto out;
        }
        const char *owner = ccf_db_text(rows, 0, 0) != NULL ? ccf_db_text(rows, 0, 0) : "";
        if ((r = count2(s, SQL_OWNER_BYTES, owner, NULL, &used, err, err_size)) != CCF_DB_OK) {
            rc = failed(r);
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
                              "VALUES ($1, $2, $3, $4, $5, $6)", file_table[kind]);
    ccf_db_param p[] = {CCF_DB_TEXT(function), CCF_DB_TEXT(name),   CCF_DB_TEXT(sha256),
                        CCF_DB_INT(len),       CCF_DB_INT(time(NULL)), CCF_DB_BLOB(bytes, len)};
    r = ccf_db_exec(s->db, sql, p, 6, NULL, err, err_size);
    if (r == CCF_DB_UNIQUE)
        goto exists;
    if (r != CCF_DB_OK)
        rc = failed(r);
    goto out;
exists:
    ccf_errf(err, err_size, CCF_ERR_INVALID,
             "%s \"%s\" of function \"%s\" is already uploaded (write-once: delete it first)",
             file_what[kind], name, function);
    rc = CCF_STORE_CONFLICT;
out:
    ccf_db_rows_free(rows);
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_file_get(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                       const char *function, const char *name, json_t **out,
                                       char *err, size_t err_size)
{
    char sql[160];
    ccf_db_rows *rows = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    ccf_db_param p[] = {CCF_DB_TEXT(function), CCF_DB_TEXT(name)};

    *out = NULL;
    snprintf(sql, sizeof sql, "SELECT sha256, size, created FROM %s WHERE function = $1 AND "
                              "name = $2", file_table[kind]);
    ccf_db_rc r = ccf_db_query(s->db, sql, p, 2, &rows, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (ccf_db_rows_count(rows) == 0) {
        not_uploaded(err, err_size, kind, name, function);
        rc = CCF_STORE_NOT_FOUND;
    } else {
        char when[CCF_UTC_LEN];
        ccf_utc_format((time_t)ccf_db_int(rows, 0, 2), when);
        *out = json_pack("{s:s, s:I, s:s}", "sha256", ccf_db_text(rows, 0, 0), "size",
                         (json_int_t)ccf_db_int(rows, 0, 1), "created", when);
        if (*out == NULL) {
            ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            rc = CCF_STORE_FAILED;
        }
    }
    ccf_db_rows_free(rows);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_file_delete(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                          const char *function, const char *name, char *err,
                                          size_t err_size)
{
    char sql[160];
    int64_t changed = 0;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE function = $1 AND name = $2",
             file_table[kind]);
    ccf_db_param p[] = {CCF_DB_TEXT(function), CCF_DB_TEXT(name)};
    ccf_db_rc r = ccf_db_exec(s->db, sql, p, 2, &changed, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (changed == 0) {
        not_uploaded(err, err_size, kind, name, function);
        rc = CCF_STORE_NOT_FOUND;
    }
    return finish(s, rc, err, err_size);
}

struct export_sink {
    int fd;
    const char *path;
    char *err;
    size_t err_size;
};

static bool export_open(struct export_sink *x)
{
    if (x->fd < 0 && (x->fd = open(x->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
        ccf_errf(x->err, x->err_size, CCF_ERR_IO, "%s: %s", x->path, strerror(errno));
        return false;
    }
    return true;
}

/* The file is made at the first bytes (or after an empty one): a missing
 * program leaves no file behind. */
static bool export_write(void *arg, const void *bytes, size_t len)
{
    struct export_sink *x = arg;
    if (!export_open(x))
        return false;
    for (size_t done = 0; done < len;) {
        ssize_t w = write(x->fd, (const char *)bytes + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            ccf_errf(x->err, x->err_size, CCF_ERR_IO, "%s: %s", x->path, strerror(errno));
            return false;
        }
        done += (size_t)w;
    }
    return true;
}

ccf_store_rc ccf_ccfaas_store_file_export(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                          const char *function, const char *name,
                                          const char *path, char *err, size_t err_size)
{
    ccf_store_rc rc = CCF_STORE_OK;
    struct export_sink x = {.fd = -1, .path = path, .err = err, .err_size = err_size};
    ccf_db_param p[] = {CCF_DB_TEXT(function), CCF_DB_TEXT(name)};

    ccf_db_rc r = ccf_db_blob_read(s->db, file_table[kind], "bytes", "function = $1 AND name = $2",
                                   p, 2, export_write, &x, err, err_size);
    if (r == CCF_DB_NOT_FOUND) {
        not_uploaded(err, err_size, kind, name, function);
        rc = CCF_STORE_NOT_FOUND;
    } else if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (!export_open(&x)) {
        rc = CCF_STORE_FAILED;
    }
    if (x.fd >= 0 && close(x.fd) != 0 && rc == CCF_STORE_OK) {
        ccf_errf(err, err_size, CCF_ERR_IO, "%s: %s", path, strerror(errno));
        rc = CCF_STORE_FAILED;
    }
    return rc;
}

/* ---- quotas ------------------------------------------------------------------ */

void ccf_ccfaas_store_set_quotas(ccf_ccfaas_store *s, const ccf_store_quotas *q)
{
    s->quotas = *q;
}

void ccf_ccfaas_store_set_creator(ccf_ccfaas_store *s, const char *creator)
{
    snprintf(s->creator, sizeof s->creator, "%s", creator);
}

ccf_store_rc ccf_ccfaas_store_usage(ccf_ccfaas_store *s, const char *owner, int64_t *instances,
                                    int64_t *bytes, char *err, size_t err_size)
{
    ccf_db_rc r = count2(s, SQL_OWNER_INSTANCES, owner, NULL, instances, err, err_size);
    if (r == CCF_DB_OK)
        r = count2(s, SQL_OWNER_BYTES, owner, NULL, bytes, err, err_size);
    return r == CCF_DB_OK ? CCF_STORE_OK : failed(r);
}

/* ---- instances -------------------------------------------------------------- */

/* The checks of a reservation, in the write transaction (see store.h). */
static ccf_store_rc reserve_checks(ccf_ccfaas_store *s, const char *name, const char *function,
                                   const char *fn_policy_hash, const char *const *programs,
                                   size_t nprograms, const char *const *data_files, size_t ndata,
                                   const char *owner, char *err, size_t err_size)
{
    int64_t fn = 0, same = 0, taken = 0, live = 0;
    ccf_db_rc r = count2(s, "SELECT count(*) FROM function WHERE name = $1", function, NULL, &fn,
                         err, err_size);
    if (r == CCF_DB_OK)
        r = count2(s, "SELECT count(*) FROM function WHERE name = $1 AND policy_hash = $2",
                   function, fn_policy_hash, &same, err, err_size);
    /* the caller's own ended instance of that name is replaced */
    ccf_db_param mine[] = {CCF_DB_TEXT(name), CCF_DB_TEXT(owner)};
    if (r == CCF_DB_OK)
        r = ccf_db_exec(s->db, "DELETE FROM instance WHERE name = $1 AND owner = $2 AND ended "
                               "IS NOT NULL", mine, 2, NULL, err, err_size);
    if (r == CCF_DB_OK)
        r = count2(s, "SELECT count(*) FROM instance WHERE name = $1", name, NULL, &taken, err,
                   err_size);
    if (r != CCF_DB_OK)
        return failed(r);
    if (fn == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no function \"%s\"", function);
        return CCF_STORE_NOT_FOUND;
    }
    if (taken > 0) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "instance \"%s\" exists already", name);
        return CCF_STORE_CONFLICT;
    }
    if (s->quotas.instances > 0) {
        if ((r = count2(s, SQL_OWNER_INSTANCES, owner, NULL, &live, err, err_size)) != CCF_DB_OK)
            return failed(r);
        if (live >= (int64_t)s->quotas.instances) {
            ccf_errf(err, err_size, CCF_ERR_BUSY,
                     "quota: \"%s\" has %lld live instance(s), the most allowed; delete one "
                     "first", owner, (long long)live);
            return CCF_STORE_QUOTA;
        }
    }
    if (same == 0) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "function \"%s\" was registered again meanwhile",
                 function);
        return CCF_STORE_CONFLICT;
    }
    for (int k = 0; k < 2; k++) {
        const char *const *names = k == 0 ? programs : data_files;
        size_t n = k == 0 ? nprograms : ndata;
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE function = $1 AND name = $2",
                 file_table[k]);
        for (size_t i = 0; i < n; i++) {
            int64_t have = 0;
            if ((r = count2(s, sql, function, names[i], &have, err, err_size)) != CCF_DB_OK)
                return failed(r);
            if (have == 0) {
                ccf_errf(err, err_size, CCF_ERR_INVALID, "%s \"%s\" of function \"%s\" is not "
                         "uploaded", file_what[k], names[i], function);
                return CCF_STORE_CONFLICT;
            }
        }
    }
    return CCF_STORE_OK;
}

ccf_store_rc ccf_ccfaas_store_instance_reserve(ccf_ccfaas_store *s, const char *name,
                                               const char *function, const char *fn_policy_hash,
                                               const char *const *programs, size_t nprograms,
                                               const char *const *data_files, size_t ndata,
                                               const char *owner, char *err, size_t err_size)
{
    if (owner == NULL)
        owner = "";
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    rc = reserve_checks(s, name, function, fn_policy_hash, programs, nprograms, data_files, ndata,
                        owner, err, err_size);
    if (rc == CCF_STORE_OK) {
        ccf_db_param p[] = {CCF_DB_TEXT(name), CCF_DB_TEXT(function), CCF_DB_INT(time(NULL)),
                            CCF_DB_TEXT(owner), CCF_DB_TEXT(s->creator)};
        ccf_db_rc r = ccf_db_exec(s->db, "INSERT INTO instance (name, function, state, created, "
                                         "owner, creator) VALUES ($1, $2, 'creating', $3, $4, $5)",
                                  p, 5, NULL, err, err_size);
        if (r == CCF_DB_UNIQUE) {
            ccf_errf(err, err_size, CCF_ERR_INVALID, "instance \"%s\" exists already", name);
            rc = CCF_STORE_CONFLICT;
        } else if (r != CCF_DB_OK) {
            rc = failed(r);
        }
    }
    return finish(s, rc, err, err_size);
}

/* One UPDATE of the named instance (its name the last parameter). */
static ccf_store_rc instance_update(ccf_ccfaas_store *s, const char *name, const char *sql,
                                    ccf_db_param *p, size_t n, char *err, size_t err_size)
{
    int64_t changed = 0;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    p[n - 1] = CCF_DB_TEXT(name);
    ccf_db_rc r = ccf_db_exec(s->db, sql, p, n, &changed, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (changed == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no instance \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    }
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_instance_set_ended(ccf_ccfaas_store *s, const char *name,
                                                 const char *how, char *err, size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT(how), CCF_DB_INT(time(NULL)), CCF_DB_NULLP};
    return instance_update(s, name, "UPDATE instance SET ended = $1, ended_at = $2 "
                                    "WHERE name = $3 AND ended IS NULL",
                           p, 3, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_instance_set_vaas(ccf_ccfaas_store *s, const char *name,
                                                const char *instance_hash, const char *policy,
                                                size_t len, const char *policy_hash, char *err,
                                                size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_TEXT_OR_NULL(instance_hash),
                        policy != NULL ? CCF_DB_BLOB(policy, len) : CCF_DB_NULLP,
                        CCF_DB_TEXT_OR_NULL(policy_hash), CCF_DB_NULLP};
    return instance_update(s, name, "UPDATE instance SET instance_hash = $1, policy = $2, "
                                    "policy_hash = $3 WHERE name = $4",
                           p, 4, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_instance_set_ready(ccf_ccfaas_store *s, const char *name, char *err,
                                                 size_t err_size)
{
    ccf_db_param p[] = {CCF_DB_NULLP};
    return instance_update(s, name, "UPDATE instance SET state = 'ready' WHERE name = $1", p, 1,
                           err, err_size);
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
    free(row->creator);
    memset(row, 0, sizeof *row);
}

void ccf_ccfaas_store_instances_free(ccf_store_instance *rows, size_t count)
{
    for (size_t i = 0; rows != NULL && i < count; i++)
        ccf_ccfaas_store_instance_clear(&rows[i]);
    free(rows);
}

static bool read_instance(const ccf_db_rows *r, size_t i, ccf_store_instance *row)
{
    memset(row, 0, sizeof *row);
    row->name = ccf_db_dup(r, i, 0, NULL);
    row->function = ccf_db_dup(r, i, 1, NULL);
    row->state = ccf_db_dup(r, i, 2, NULL);
    row->created = ccf_db_int(r, i, 3);
    row->policy = ccf_db_dup(r, i, 4, &row->policy_len);
    row->policy_hash = ccf_db_dup(r, i, 5, NULL);
    row->instance_hash = ccf_db_dup(r, i, 6, NULL);
    row->owner = ccf_db_dup(r, i, 7, NULL);
    row->ended = ccf_db_dup(r, i, 8, NULL);
    row->ended_at = ccf_db_int(r, i, 9);
    row->creator = ccf_db_dup(r, i, 10, NULL);
    bool ok = row->name != NULL && row->function != NULL && row->state != NULL &&
              row->owner != NULL && row->creator != NULL && (row->policy != NULL) == !ccf_db_is_null(r, i, 4) &&
              (row->policy_hash != NULL) == !ccf_db_is_null(r, i, 5) &&
              (row->instance_hash != NULL) == !ccf_db_is_null(r, i, 6) &&
              (row->ended != NULL) == !ccf_db_is_null(r, i, 8);
    if (!ok)
        ccf_ccfaas_store_instance_clear(row);
    return ok;
}

#define INSTANCE_COLUMNS \
    "name, function, state, created, policy, policy_hash, instance_hash, owner, ended, ended_at, " \
    "creator"

ccf_store_rc ccf_ccfaas_store_instance_get(ccf_ccfaas_store *s, const char *name,
                                           ccf_store_instance *out, char *err, size_t err_size)
{
    ccf_db_rows *rows = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    ccf_db_param p = CCF_DB_TEXT(name);

    memset(out, 0, sizeof *out);
    ccf_db_rc r = ccf_db_query(s->db, "SELECT " INSTANCE_COLUMNS " FROM instance WHERE name = $1",
                               &p, 1, &rows, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (ccf_db_rows_count(rows) == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no instance \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    } else if (!read_instance(rows, 0, out)) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        rc = CCF_STORE_FAILED;
    }
    ccf_db_rows_free(rows);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_instance_list(ccf_ccfaas_store *s, const char *state,
                                            ccf_store_instance **rows, size_t *count, char *err,
                                            size_t err_size)
{
    ccf_db_rows *res = NULL;
    ccf_store_rc rc = CCF_STORE_OK;
    ccf_store_instance *v = NULL;
    size_t n = 0;
    ccf_db_param p = CCF_DB_TEXT(state);

    *rows = NULL;
    *count = 0;
    ccf_db_rc r = ccf_db_query(s->db,
                               state != NULL ? "SELECT " INSTANCE_COLUMNS " FROM instance WHERE "
                                               "state = $1 ORDER BY name"
                                             : "SELECT " INSTANCE_COLUMNS " FROM instance "
                                               "ORDER BY name",
                               &p, state != NULL ? 1 : 0, &res, err, err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
        goto out;
    }
    size_t total = ccf_db_rows_count(res);
    if (total > 0 && (v = calloc(total, sizeof *v)) == NULL)
        goto nomem;
    for (; n < total; n++)
        if (!read_instance(res, n, &v[n]))
            goto nomem;
    *rows = v;
    *count = n;
    v = NULL;
    goto out;
nomem:
    ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    rc = CCF_STORE_FAILED;
out:
    ccf_ccfaas_store_instances_free(v, n);
    ccf_db_rows_free(res);
    return rc;
}

ccf_store_rc ccf_ccfaas_store_instance_delete(ccf_ccfaas_store *s, const char *name,
                                              const char *owner, char *err, size_t err_size)
{
    int64_t changed = 0, n = 0;
    ccf_store_rc rc = begin(s, err, err_size);
    if (rc != CCF_STORE_OK)
        return rc;
    ccf_db_param p[] = {CCF_DB_TEXT(name), CCF_DB_TEXT(owner)};
    ccf_db_rc r = ccf_db_exec(s->db, owner == NULL ? "DELETE FROM instance WHERE name = $1"
                                                   : "DELETE FROM instance WHERE name = $1 AND "
                                                     "owner = $2",
                              p, owner == NULL ? 1 : 2, &changed, err, err_size);
    if (r == CCF_DB_OK && changed == 0)
        r = count2(s, "SELECT count(*) FROM instance WHERE name = $1", name, NULL, &n, err,
                   err_size);
    if (r != CCF_DB_OK) {
        rc = failed(r);
    } else if (changed == 0 && n > 0) {
        ccf_errf(err, err_size, CCF_ERR_DENIED,
                 "forbidden: instance \"%s\" belongs to another user", name);
        rc = CCF_STORE_FORBIDDEN;
    } else if (changed == 0) {
        ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no instance \"%s\"", name);
        rc = CCF_STORE_NOT_FOUND;
    }
    return finish(s, rc, err, err_size);
}

ccf_store_rc ccf_ccfaas_store_counts(ccf_ccfaas_store *s, int64_t *functions, int64_t *creating,
                                     int64_t *ready)
{
    char err[256];
    ccf_db_rc r = count2(s, "SELECT count(*) FROM function", NULL, NULL, functions, err,
                         sizeof err);
    if (r == CCF_DB_OK)
        r = count2(s, "SELECT count(*) FROM instance WHERE state = 'creating'", NULL, NULL,
                   creating, err, sizeof err);
    if (r == CCF_DB_OK)
        r = count2(s, "SELECT count(*) FROM instance WHERE state = 'ready' AND ended IS NULL",
                   NULL, NULL, ready, err, sizeof err);
    return r == CCF_DB_OK ? CCF_STORE_OK : failed(r);
}
