/* The SQL layer's PostgreSQL backend (db.h) over libpq: one connection,
 * parameters sent typed (text, int8, bytea in binary), results read as
 * text (bytea unescaped). The caller (db.c) holds the handle's mutex. */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccfaas/db_internal.h"
#include "common/error.h"

/* Type OIDs of the parameters we send (pg_type.h). */
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_TEXT 25

/* Parameters of one statement, at most (the stores use a handful). */
#define MAX_PARAMS 32

/* The key of the advisory lock every write transaction takes: the
 * database-wide write lock of db.h ("ccfa"). */
#define WRITE_LOCK_KEY 0x63636661

/* PostgreSQL's error text ends with a newline; the error line does not. */
static void pg_message(char *out, size_t size, const char *msg)
{
    snprintf(out, size, "%s", msg != NULL && *msg != '\0' ? msg : "unknown error");
    for (size_t n = strlen(out); n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '); n--)
        out[n - 1] = '\0';
    for (char *p = out; *p != '\0'; p++)
        if (*p == '\n')
            *p = ' ';
}

/* The outcome of a failed statement: UNAVAILABLE when the server is gone
 * (connection broken; an error libpq made itself, without SQLSTATE, such as
 * "server closed the connection unexpectedly" while sending; class 08
 * connection exception; 57P0x shutting down or starting), UNIQUE for
 * unique_violation, else FAILED. */
static ccf_db_rc pg_fail(ccf_db *db, const PGresult *res, const char *what, char *err,
                         size_t err_size)
{
    char msg[384];
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *text = res != NULL && *PQresultErrorMessage(res) != '\0'
                           ? PQresultErrorMessage(res)
                           : PQerrorMessage(db->pg);
    bool gone = PQstatus(db->pg) == CONNECTION_BAD || state == NULL ||
                strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0;

    pg_message(msg, sizeof msg, text);
    if (gone) {
        db->pg_lost = true;
        ccf_errf(err, err_size, CCF_ERR_BUSY, "database %s unavailable (%s): %s", db->name, what,
                 msg);
        return CCF_DB_UNAVAILABLE;
    }
    ccf_errf(err, err_size, CCF_ERR_IO, "database %s: %s: %s", db->name, what, msg);
    return state != NULL && strcmp(state, "23505") == 0 ? CCF_DB_UNIQUE : CCF_DB_FAILED;
}

/* Reconnects a broken connection (outside transactions only). */
static ccf_db_rc pg_ensure(ccf_db *db, char *err, size_t err_size)
{
    if (PQstatus(db->pg) == CONNECTION_OK && !db->pg_lost)
        return CCF_DB_OK;
    db->pg_lost = false;
    PQreset(db->pg);
    return PQstatus(db->pg) == CONNECTION_OK ? CCF_DB_OK
                                             : pg_fail(db, NULL, "connect", err, err_size);
}

/* The URL without its password (nor query parameters, which may hold one). */
static void pg_name(ccf_db *db, const char *url)
{
    const char *user = "", *host = "", *port = "", *dbname = "";
    PQconninfoOption *opts = PQconninfoParse(url, NULL);
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++) {
        if (o->val == NULL)
            continue;
        if (strcmp(o->keyword, "user") == 0)
            user = o->val;
        else if (strcmp(o->keyword, "host") == 0)
            host = o->val;
        else if (strcmp(o->keyword, "port") == 0)
            port = o->val;
        else if (strcmp(o->keyword, "dbname") == 0)
            dbname = o->val;
    }
    /* a socket directory goes where libpq's URLs put it: ?host=/dir */
    bool dir = host[0] == '/';
    snprintf(db->name, sizeof db->name, "postgresql://%s%s%s%s%s/%s%s%s", user, *user ? "@" : "",
             dir ? "" : host, *port ? ":" : "", port, dbname, dir ? "?host=" : "",
             dir ? host : "");
    PQconninfoFree(opts);
}

/* "... token: \"secret\"" → "... token: \"...\"": every quoted part hidden
 * (the result cut at 250 bytes). */
static void unquote(char *msg, size_t size)
{
    char out[256];
    size_t w = 0;
    bool in = false;
    for (const char *r = msg; *r != '\0' && w + 5 < sizeof out; r++) {
        if (*r == '"') {
            out[w++] = '"';
            if (!in) {
                memcpy(out + w, "...", 3);
                w += 3;
            }
            in = !in;
        } else if (!in) {
            out[w++] = *r;
        }
    }
    out[w] = '\0';
    snprintf(msg, size, "%s", out);
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

ccf_db_rc ccf_db_pg_open(ccf_db *db, const char *url, char *err, size_t err_size)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &why);

    if (opts == NULL) {
        /* libpq quotes the part it refused, which may be the password (a bad
         * %-escape in it): say what was wrong, not the quoted text */
        char msg[256];
        pg_message(msg, sizeof msg, why != NULL ? why : "out of memory");
        PQfreemem(why);
        unquote(msg, sizeof msg);
        ccf_errf(err, err_size, CCF_ERR_INVALID, "database URL: %s", msg);
        return CCF_DB_FAILED;
    }
    PQconninfoFree(opts);
    pg_name(db, url);
    /* defaults the URL may override (it is expanded after them) */
    const char *const keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *const values[] = {"5", "ccfaas", url, NULL};
    db->pg = PQconnectdbParams(keys, values, 1);
    if (db->pg == NULL) {
        ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        return CCF_DB_FAILED;
    }
    /* notices ("relation already exists, skipping") are no errors: not on stderr */
    PQsetNoticeProcessor(db->pg, ignore_notice, NULL);
    if (PQstatus(db->pg) != CONNECTION_OK)
        return pg_fail(db, NULL, "connect", err, err_size);
    return CCF_DB_OK;
}

void ccf_db_pg_close(ccf_db *db)
{
    PQfinish(db->pg);
    db->pg = NULL;
}

static ccf_db_rc pg_command(ccf_db *db, const char *sql, const char *what, char *err,
                            size_t err_size)
{
    PGresult *res = PQexec(db->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    ccf_db_rc rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK
                       ? CCF_DB_OK
                       : pg_fail(db, res, what, err, err_size);
    PQclear(res);
    return rc;
}

ccf_db_rc ccf_db_pg_begin(ccf_db *db, char *err, size_t err_size)
{
    char sql[96];
    snprintf(sql, sizeof sql, "BEGIN; SELECT pg_advisory_xact_lock(%d)", WRITE_LOCK_KEY);
    ccf_db_rc rc = pg_ensure(db, err, err_size);
    if (rc == CCF_DB_OK)
        rc = pg_command(db, sql, "begin", err, err_size);
    /* the server went away while we were idle: nothing ran yet, try once more */
    if (rc == CCF_DB_UNAVAILABLE && pg_ensure(db, err, err_size) == CCF_DB_OK)
        rc = pg_command(db, sql, "begin", err, err_size);
    if (rc != CCF_DB_OK && PQstatus(db->pg) == CONNECTION_OK &&
        PQtransactionStatus(db->pg) != PQTRANS_IDLE)
        pg_command(db, "ROLLBACK", "rollback", NULL, 0);
    return rc;
}

ccf_db_rc ccf_db_pg_end(ccf_db *db, bool commit, char *err, size_t err_size)
{
    if (PQstatus(db->pg) != CONNECTION_OK) {
        /* the transaction died with the connection */
        return commit ? pg_fail(db, NULL, "commit", err, err_size) : CCF_DB_OK;
    }
    if (!commit || PQtransactionStatus(db->pg) == PQTRANS_INERROR) {
        pg_command(db, "ROLLBACK", "rollback", NULL, 0);
        if (commit) {
            ccf_errf(err, err_size, CCF_ERR_IO, "database %s: commit: the transaction failed",
                     db->name);
            return CCF_DB_FAILED;
        }
        return CCF_DB_OK;
    }
    return pg_command(db, "COMMIT", "commit", err, err_size);
}

static ccf_db_rc pg_rows(PGresult *res, ccf_db_rows **rows, char *err, size_t err_size)
{
    ccf_db_rows *out = calloc(1, sizeof *out);
    if (out == NULL)
        goto nomem;
    out->ncols = PQnfields(res);
    for (int r = 0; r < PQntuples(res); r++) {
        if (!ccf_db_rows_grow(out))
            goto nomem;
        for (int c = 0; c < out->ncols; c++) {
            if (PQgetisnull(res, r, c))
                continue;
            const char *v = PQgetvalue(res, r, c);
            size_t len = (size_t)PQgetlength(res, r, c);
            bool ok;
            if (PQftype(res, c) == OID_BYTEA) {
                unsigned char *bytes = PQunescapeBytea((const unsigned char *)v, &len);
                ok = bytes != NULL && ccf_db_rows_set(out, c, bytes, len);
                PQfreemem(bytes);
            } else {
                ok = ccf_db_rows_set(out, c, v, len);
            }
            if (!ok)
                goto nomem;
        }
    }
    *rows = out;
    return CCF_DB_OK;
nomem:
    ccf_db_rows_free(out);
    ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    return CCF_DB_FAILED;
}

/* Sends a statement; the caller checked nparams <= MAX_PARAMS and byte lengths. */
static PGresult *pg_params(ccf_db *db, const char *sql, const ccf_db_param *params,
                           size_t nparams)
{
    const char *values[MAX_PARAMS];
    int lengths[MAX_PARAMS], formats[MAX_PARAMS];
    Oid types[MAX_PARAMS];
    char ints[MAX_PARAMS][24];

    for (size_t i = 0; i < nparams; i++) {
        const ccf_db_param *p = &params[i];
        lengths[i] = 0;
        formats[i] = 0;
        switch (p->type) {
        case CCF_DB_P_TEXT:
            values[i] = p->p;
            types[i] = OID_TEXT;
            break;
        case CCF_DB_P_INT:
            snprintf(ints[i], sizeof ints[i], "%" PRId64, p->i);
            values[i] = ints[i];
            types[i] = OID_INT8;
            break;
        case CCF_DB_P_BLOB:
            values[i] = p->len > 0 ? p->p : "";
            lengths[i] = (int)p->len;
            formats[i] = 1;
            types[i] = OID_BYTEA;
            break;
        default:
            values[i] = NULL;
            types[i] = 0;
            break;
        }
    }
    return PQexecParams(db->pg, sql, (int)nparams, types, values, lengths, formats, 0);
}

ccf_db_rc ccf_db_pg_run(ccf_db *db, const char *sql, const ccf_db_param *params, size_t nparams,
                        int64_t *changes, ccf_db_rows **rows, char *err, size_t err_size)
{
    ccf_db_rc rc = CCF_DB_OK;
    PGresult *res = NULL;

    bool fits = nparams <= MAX_PARAMS;
    for (size_t i = 0; fits && i < nparams; i++)
        fits = params[i].type != CCF_DB_P_BLOB || params[i].len <= (size_t)INT32_MAX;
    if (!fits) { /* refused here, not by the server: no connection trouble */
        ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "database %s: more than %d parameters or "
                 "bytes over 2 GiB", db->name, MAX_PARAMS);
        return CCF_DB_FAILED;
    }
    if (!db->in_tx && (rc = pg_ensure(db, err, err_size)) != CCF_DB_OK)
        return rc;
    res = pg_params(db, sql, params, nparams);
    ExecStatusType st = PQresultStatus(res);
    /* a read outside a transaction that met a connection the server closed
     * while idle: reconnect and read again (nothing was changed) */
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && !db->in_tx && rows != NULL &&
        pg_fail(db, res, "statement", err, err_size) == CCF_DB_UNAVAILABLE &&
        pg_ensure(db, err, err_size) == CCF_DB_OK) {
        PQclear(res);
        res = pg_params(db, sql, params, nparams);
        st = PQresultStatus(res);
    }
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        rc = pg_fail(db, res, "statement", err, err_size);
        goto out;
    }
    if (changes != NULL)
        *changes = strtoll(PQcmdTuples(res), NULL, 10);
    if (rows != NULL)
        rc = pg_rows(res, rows, err, err_size);
out:
    PQclear(res);
    return rc;
}

ccf_db_rc ccf_db_pg_script(ccf_db *db, const char *sql, char *err, size_t err_size)
{
    return pg_command(db, sql, "statement", err, err_size);
}

ccf_db_rc ccf_db_pg_blob_read(ccf_db *db, const char *table, const char *column,
                              const char *where, const ccf_db_param *params, size_t nparams,
                              ccf_db_sink sink, void *arg, char *err, size_t err_size)
{
    enum { CHUNK = 1 << 20 };
    char sql[512];
    int64_t total = 0;
    ccf_db_param p[16];
    ccf_db_rc rc;
    bool own_tx = !db->in_tx;

    if (nparams + 2 > sizeof p / sizeof p[0]) {
        ccf_errf(err, err_size, CCF_ERR_INTERNAL, "too many parameters");
        return CCF_DB_FAILED;
    }
    /* one snapshot for all chunks: a file deleted meanwhile is read whole or not at all */
    if (own_tx) {
        if ((rc = pg_ensure(db, err, err_size)) != CCF_DB_OK ||
            (rc = pg_command(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "begin", err,
                             err_size)) != CCF_DB_OK)
            return rc;
        db->in_tx = true;
    }
    snprintf(sql, sizeof sql, "SELECT octet_length(%s) FROM %s WHERE %s", column, table, where);
    if ((rc = ccf_db_query_int(db, sql, params, nparams, &total, err, err_size)) != CCF_DB_OK)
        goto out;
    memcpy(p, params, nparams * sizeof *p);
    snprintf(sql, sizeof sql, "SELECT substring(%s FROM $%zu::int FOR $%zu::int) FROM %s WHERE %s", column,
             nparams + 1, nparams + 2, table, where);
    for (int64_t off = 0; off < total;) {
        ccf_db_rows *rows = NULL;
        size_t len = 0;
        p[nparams] = CCF_DB_INT(off + 1); /* substring counts from 1 */
        p[nparams + 1] = CCF_DB_INT(CHUNK);
        if ((rc = ccf_db_pg_run(db, sql, p, nparams + 2, NULL, &rows, err, err_size)) !=
            CCF_DB_OK)
            goto out;
        const void *bytes = ccf_db_blob(rows, 0, 0, &len);
        bool got = bytes != NULL && len > 0;
        bool ok = got && sink(arg, bytes, len);
        ccf_db_rows_free(rows);
        if (!got)
            ccf_errf(err, err_size, CCF_ERR_IO, "database %s: %s changed while read", db->name,
                     table);
        if (!ok) {
            rc = CCF_DB_FAILED;
            goto out;
        }
        off += (int64_t)len;
    }
out:
    if (own_tx) {
        db->in_tx = false;
        if (PQstatus(db->pg) == CONNECTION_OK)
            pg_command(db, "ROLLBACK", "rollback", NULL, 0);
    }
    return rc;
}
