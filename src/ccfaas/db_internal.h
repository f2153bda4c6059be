/* Inside the SQL layer (db.h): the handle, result rows, and the PostgreSQL
 * half (db_pg.c) that db.c dispatches to. Not for other files. */
#ifndef CCF_CCFAAS_DB_INTERNAL_H
#define CCF_CCFAAS_DB_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

#include "ccfaas/db.h"

struct ccf_db {
    ccf_db_backend backend;
    pthread_mutex_t mu; /* recursive: held from begin to commit/rollback */
    bool in_tx;
    char name[512]; /* path, or URL without the password */
    sqlite3 *lite;
    struct pg_conn *pg; /* libpq's PGconn */
    bool pg_lost;       /* a statement met a dead connection: reconnect before the next */
};

struct ccf_db_cell {
    char *p; /* NUL-terminated copy; NULL for SQL NULL */
    size_t len;
};

struct ccf_db_rows {
    size_t nrows, cap;
    int ncols;
    struct ccf_db_cell *cells; /* nrows * ncols, row-major */
};

/* Appends one row of ncols cells (the next calls to rows_set fill it). */
bool ccf_db_rows_grow(ccf_db_rows *r);
/* Sets cell `col` of the last row to a copy of p/len (p NULL = SQL NULL). */
bool ccf_db_rows_set(ccf_db_rows *r, int col, const void *p, size_t len);

/* The PostgreSQL backend: same contracts as the public calls, the mutex held. */
ccf_db_rc ccf_db_pg_open(ccf_db *db, const char *url, char *err, size_t err_size);
void ccf_db_pg_close(ccf_db *db);
ccf_db_rc ccf_db_pg_begin(ccf_db *db, char *err, size_t err_size);
ccf_db_rc ccf_db_pg_end(ccf_db *db, bool commit, char *err, size_t err_size);
ccf_db_rc ccf_db_pg_run(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                        int64_t *changes, ccf_db_rows **rows, char *err, size_t err_size);
ccf_db_rc ccf_db_pg_script(ccf_db *db, const char *sql, char *err, size_t err_size);
ccf_db_rc ccf_db_pg_blob_read(ccf_db *db, const char *table, const char *column,
                              const char *where, const ccf_db_param *params, size_t nparams,
                              ccf_db_sink sink, void *arg, char *err, size_t err_size);

#endif
