/* A small SQL layer under the CCFaaS stores (docs/ccfaas.md "Store"): one
 * API over SQLite (a file: the default) and PostgreSQL (a
 * postgresql://... URL: several replicas on one database).
 *
 * SQL is written once, with PostgreSQL's positional parameters $1, $2, ...;
 * for SQLite they become ?1, ?2, ... Keep to what both dialects accept (the
 * schema is the one exception: a migration step has a text per backend).
 *
 * Threads: a ccf_db is one connection used under its own (recursive) mutex.
 * ccf_db_begin() holds it until ccf_db_commit() / ccf_db_rollback(), so a
 * transaction's statements are never interleaved with another thread's;
 * statements outside a transaction take it for their own duration.
 *
 * Writes: ccf_db_begin() starts a transaction that holds the database-wide
 * write lock at once (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-level
 * advisory lock), so the checks a writer makes still hold when it commits, in
 * this process and in every other one on the same database. Unique
 * constraints back that up (CCF_DB_UNIQUE).
 *
 * Connection loss (PostgreSQL): a statement that finds the server gone fails
 * with CCF_DB_UNAVAILABLE; the next ccf_db_begin() or ccf_db_query() outside
 * a transaction reconnects first (and retries once when the server went away
 * while the connection was idle). Nothing is retried inside a transaction.
 *
 * Secrets: a URL's password never appears in ccf_db_name() or in any error
 * text this layer writes. */
#ifndef CCF_CCFAAS_DB_H
#define CCF_CCFAAS_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ccf_db ccf_db;
typedef struct ccf_db_rows ccf_db_rows;

typedef enum {
    CCF_DB_OK = 0,
    CCF_DB_NOT_FOUND,   /* ccf_db_query_int / ccf_db_blob_read: no row */
    CCF_DB_UNIQUE,      /* a primary key or unique constraint refused the write */
    CCF_DB_UNAVAILABLE, /* the database server cannot be reached (retry later: a 503) */
    CCF_DB_FAILED,      /* any other failure (a 500) */
} ccf_db_rc;

typedef enum { CCF_DB_SQLITE = 0, CCF_DB_POSTGRES } ccf_db_backend;

/* A statement parameter: text (NUL-terminated), a 64-bit integer, bytes, or NULL. */
typedef enum { CCF_DB_P_TEXT = 0, CCF_DB_P_INT, CCF_DB_P_BLOB, CCF_DB_P_NULL } ccf_db_ptype;
typedef struct {
    ccf_db_ptype type;
    const void *p; /* text or bytes; borrowed for the call */
    size_t len;    /* bytes only */
    int64_t i;     /* integers only */
} ccf_db_param;

#define CCF_DB_TEXT(s) ((ccf_db_param){.type = CCF_DB_P_TEXT, .p = (s)})
#define CCF_DB_INT(v) ((ccf_db_param){.type = CCF_DB_P_INT, .i = (int64_t)(v)})
#define CCF_DB_BLOB(b, n) ((ccf_db_param){.type = CCF_DB_P_BLOB, .p = (b), .len = (n)})
#define CCF_DB_NULLP ((ccf_db_param){.type = CCF_DB_P_NULL})
/* Text that may be NULL (SQL NULL then). */
#define CCF_DB_TEXT_OR_NULL(s) ((s) != NULL ? CCF_DB_TEXT(s) : CCF_DB_NULLP)

/* `target`: postgresql://... or postgres://... (libpq's URL form, its query
 * parameters included) or a SQLite file path (created when missing; WAL,
 * synchronous FULL, foreign keys on). FAILED/UNAVAILABLE with err naming
 * ccf_db_name(), never the password. */
ccf_db_rc ccf_db_open(const char *target, ccf_db **out, char *err, size_t err_size);
/* NULL is a no-op. Rolls back an open transaction. */
void ccf_db_close(ccf_db *db);
ccf_db_backend ccf_db_backend_of(const ccf_db *db);
/* Where the database is, fit for logs: the path, or the URL without its
 * password. Valid until ccf_db_close. */
const char *ccf_db_name(const ccf_db *db);
/* True for postgresql:// and postgres:// targets. */
bool ccf_db_is_url(const char *target);

/* Write transactions (see above). commit: UNAVAILABLE/FAILED when it did not
 * commit (then rolled back). rollback after a failure is always safe. */
ccf_db_rc ccf_db_begin(ccf_db *db, char *err, size_t err_size);
ccf_db_rc ccf_db_commit(ccf_db *db, char *err, size_t err_size);
void ccf_db_rollback(ccf_db *db);
/* Commit when rc is OK, else roll back; returns the outcome. */
ccf_db_rc ccf_db_finish(ccf_db *db, ccf_db_rc rc, char *err, size_t err_size);

/* A statement without result rows; *changes (may be NULL) = rows changed. */
ccf_db_rc ccf_db_exec(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                      int64_t *changes, char *err, size_t err_size);
/* A query: every result row, read into *out (caller frees: ccf_db_rows_free). */
ccf_db_rc ccf_db_query(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                       ccf_db_rows **out, char *err, size_t err_size);
/* The first column of the first row as an integer; NOT_FOUND without a row. */
ccf_db_rc ccf_db_query_int(ccf_db *db, const char *sql, const ccf_db_param *params,
                           size_t nparams, int64_t *out, char *err, size_t err_size);

/* Result rows (owned by the ccf_db_rows; pointers valid until it is freed). */
size_t ccf_db_rows_count(const ccf_db_rows *r);
bool ccf_db_is_null(const ccf_db_rows *r, size_t row, int col);
/* NUL-terminated text; NULL for SQL NULL. */
const char *ccf_db_text(const ccf_db_rows *r, size_t row, int col);
/* Bytes (text or blob columns); NULL for SQL NULL, else non-NULL even when *len is 0. */
const void *ccf_db_blob(const ccf_db_rows *r, size_t row, int col, size_t *len);
/* An integer column (0 for NULL or not a number). */
int64_t ccf_db_int(const ccf_db_rows *r, size_t row, int col);
/* A copy of a column (NUL-terminated, caller frees); NULL for SQL NULL or out of memory. */
char *ccf_db_dup(const ccf_db_rows *r, size_t row, int col, size_t *len);
void ccf_db_rows_free(ccf_db_rows *r);

/* Streams a large bytes column to `sink` in chunks without loading it whole:
 * SELECT `column` FROM `table` WHERE `where` (one row). `sink` returns false to
 * stop (then FAILED; the sink keeps its own error). NOT_FOUND without a row. */
typedef bool (*ccf_db_sink)(void *arg, const void *bytes, size_t len);
ccf_db_rc ccf_db_blob_read(ccf_db *db, const char *table, const char *column, const char *where,
                           const ccf_db_param *params, size_t nparams, ccf_db_sink sink,
                           void *arg, char *err, size_t err_size);

/* Schema migrations, one version table for every component on the database:
 * ccf_schema(component, version). Step i (0-based) takes `component` from
 * version i to i + 1; the steps due and the version bump run in one write
 * transaction, so concurrent openers (replicas starting together) migrate
 * once. A database newer than `count` is refused: FAILED with *newer set and
 * err saying "schema version N is newer". `legacy_user_version`
 * (SQLite): a database from before the version table kept its version in
 * PRAGMA user_version; it is adopted, and kept in step so older binaries
 * still refuse a newer schema. */
typedef struct {
    const char *sqlite;
    const char *postgres;
} ccf_db_migration;
ccf_db_rc ccf_db_migrate(ccf_db *db, const char *component, const ccf_db_migration *steps,
                         size_t count, bool legacy_user_version, bool *newer, char *err,
                         size_t err_size);

#endif
