/* Tests for src/ccfaas/db (the SQL layer) against SQLite (a temporary file)
 * and, when CCF_TEST_PG names a server (tests/pg/with-postgres sets it),
 * PostgreSQL: parameters of every type, NULLs and bytes with NULs, unique
 * violations apart from other errors, commit and rollback, chunked blob
 * reads, migrations with the version table (once, newer refused), two
 * handles (two replicas) incrementing one counter under load without a lost
 * update, and on PostgreSQL: the password kept out of names and errors, a
 * killed connection → UNAVAILABLE and then a reconnect. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccfaas/db.h"

struct fixture {
    char dir[64];
    char target[512]; /* a path or the URL */
    bool pg;
    ccf_db *db;
};

static const char *pg_url(void)
{
    const char *u = getenv("CCF_TEST_PG");
    return u != NULL && *u != '\0' ? u : NULL;
}

/* Tables of earlier tests go: every test starts on an empty database. */
static void wipe(ccf_db *db, bool pg)
{
    char err[256];
    if (pg) {
        assert_int_equal(ccf_db_exec(db, "DROP SCHEMA public CASCADE", NULL, 0, NULL, err,
                                     sizeof err),
                         CCF_DB_OK);
        assert_int_equal(ccf_db_exec(db, "CREATE SCHEMA public", NULL, 0, NULL, err, sizeof err),
                         CCF_DB_OK);
    }
}

static int setup(void **state, bool pg)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];
    f->pg = pg;
    if (pg) {
        snprintf(f->target, sizeof f->target, "%s", pg_url());
    } else {
        snprintf(f->dir, sizeof f->dir, "/tmp/ccfaas-db-XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->target, sizeof f->target, "%s/t.db", f->dir);
    }
    assert_int_equal(ccf_db_open(f->target, &f->db, err, sizeof err), CCF_DB_OK);
    wipe(f->db, pg);
    *state = f;
    return 0;
}

static int setup_lite(void **state)
{
    return setup(state, false);
}

static int setup_pg(void **state)
{
    if (pg_url() == NULL) {
        *state = NULL;
        return 0;
    }
    return setup(state, true);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[600];
    if (f == NULL)
        return 0;
    ccf_db_close(f->db);
    if (!f->pg) {
        const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
        for (size_t i = 0; i < 4; i++) {
            snprintf(path, sizeof path, "%s%s", f->target, suffixes[i]);
            unlink(path);
        }
        rmdir(f->dir);
    }
    free(f);
    return 0;
}

#define NEED(f)                                                                 \
    do {                                                                        \
        if ((f) == NULL) {                                                      \
            print_message("skipped: CCF_TEST_PG not set (no PostgreSQL server; " \
                          "tests/pg/with-postgres starts one)\n");              \
            skip();                                                             \
        }                                                                       \
    } while (0)

static void make_table(struct fixture *f)
{
    char err[256];
    assert_int_equal(ccf_db_exec(f->db, f->pg ? "CREATE TABLE t (k TEXT PRIMARY KEY, n BIGINT, "
                                                "b BYTEA, s TEXT)"
                                              : "CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER, "
                                                "b BLOB, s TEXT)",
                                 NULL, 0, NULL, err, sizeof err),
                     CCF_DB_OK);
}

static void test_params_and_rows(void **state)
{
    struct fixture *f = *state;
    char err[256];
    ccf_db_rows *rows = NULL;
    int64_t changes = -1;
    static const char bytes[] = {'a', 0, 'b', (char)0xff};
    NEED(f);
    make_table(f);
    ccf_db_param p[] = {CCF_DB_TEXT("one"), CCF_DB_INT(-5000000000LL), CCF_DB_BLOB(bytes, 4),
                        CCF_DB_TEXT("it's \"quoted\" $1")};
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t VALUES ($1, $2, $3, $4)", p, 4, &changes,
                                 err, sizeof err),
                     CCF_DB_OK);
    assert_int_equal(changes, 1);
    ccf_db_param q[] = {CCF_DB_TEXT("two"), CCF_DB_NULLP, CCF_DB_BLOB(NULL, 0), CCF_DB_NULLP};
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t VALUES ($1, $2, $3, $4)", q, 4, NULL, err,
                                 sizeof err),
                     CCF_DB_OK);
    /* a literal holding "$1" is not a parameter */
    assert_int_equal(ccf_db_query(f->db, "SELECT k, n, b, s, '$1' FROM t ORDER BY k", NULL, 0,
                                  &rows, err, sizeof err),
                     CCF_DB_OK);
    assert_int_equal(ccf_db_rows_count(rows), 2);
    size_t len = 99;
    assert_string_equal(ccf_db_text(rows, 0, 0), "one");
    assert_int_equal(ccf_db_int(rows, 0, 1), -5000000000LL);
    const void *b = ccf_db_blob(rows, 0, 2, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(b, bytes, 4);
    assert_string_equal(ccf_db_text(rows, 0, 3), "it's \"quoted\" $1");
    assert_string_equal(ccf_db_text(rows, 0, 4), "$1");
    assert_true(ccf_db_is_null(rows, 1, 1));
    assert_false(ccf_db_is_null(rows, 1, 2)); /* empty bytes are not NULL */
    assert_non_null(ccf_db_blob(rows, 1, 2, &len));
    assert_int_equal(len, 0);
    assert_null(ccf_db_text(rows, 1, 3));
    assert_null(ccf_db_text(rows, 5, 0)); /* out of range */
    ccf_db_rows_free(rows);
    ccf_db_rows_free(NULL);
    int64_t n = 0;
    ccf_db_param k = CCF_DB_TEXT("nope");
    assert_int_equal(ccf_db_query_int(f->db, "SELECT n FROM t WHERE k = $1", &k, 1, &n, err,
                                      sizeof err),
                     CCF_DB_NOT_FOUND);
}

static void test_unique_and_errors(void **state)
{
    struct fixture *f = *state;
    char err[256];
    NEED(f);
    make_table(f);
    ccf_db_param p[] = {CCF_DB_TEXT("k")};
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k) VALUES ($1)", p, 1, NULL, err,
                                 sizeof err),
                     CCF_DB_OK);
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k) VALUES ($1)", p, 1, NULL, err,
                                 sizeof err),
                     CCF_DB_UNIQUE);
    assert_non_null(strstr(err, "database "));
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO nosuch (k) VALUES ($1)", p, 1, NULL, err,
                                 sizeof err),
                     CCF_DB_FAILED);
    assert_non_null(strstr(err, "nosuch"));
    assert_int_equal(ccf_db_exec(f->db, "SELEC 1", NULL, 0, NULL, err, sizeof err),
                     CCF_DB_FAILED);
}

static void test_transactions(void **state)
{
    struct fixture *f = *state;
    char err[256];
    int64_t n = -1;
    NEED(f);
    make_table(f);
    ccf_db_param a = CCF_DB_TEXT("a"), b = CCF_DB_TEXT("b");
    assert_int_equal(ccf_db_begin(f->db, err, sizeof err), CCF_DB_OK);
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k) VALUES ($1)", &a, 1, NULL, err,
                                 sizeof err),
                     CCF_DB_OK);
    ccf_db_rollback(f->db);
    assert_int_equal(ccf_db_begin(f->db, err, sizeof err), CCF_DB_OK);
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k) VALUES ($1)", &b, 1, NULL, err,
                                 sizeof err),
                     CCF_DB_OK);
    /* a failed statement inside: finish rolls the whole transaction back */
    assert_int_equal(ccf_db_finish(f->db,
                                   ccf_db_exec(f->db, "INSERT INTO t (k) VALUES ($1)", &b, 1,
                                               NULL, err, sizeof err),
                                   err, sizeof err),
                     CCF_DB_UNIQUE);
    assert_int_equal(ccf_db_query_int(f->db, "SELECT count(*) FROM t", NULL, 0, &n, err,
                                      sizeof err),
                     CCF_DB_OK);
    assert_int_equal(n, 0);
    assert_int_equal(ccf_db_begin(f->db, err, sizeof err), CCF_DB_OK);
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k) VALUES ($1)", &b, 1, NULL, err,
                                 sizeof err),
                     CCF_DB_OK);
    assert_int_equal(ccf_db_commit(f->db, err, sizeof err), CCF_DB_OK);
    assert_int_equal(ccf_db_query_int(f->db, "SELECT count(*) FROM t", NULL, 0, &n, err,
                                      sizeof err),
                     CCF_DB_OK);
    assert_int_equal(n, 1);
}

struct collect {
    unsigned char *buf;
    size_t len, calls;
};

static bool collect(void *arg, const void *bytes, size_t len)
{
    struct collect *c = arg;
    memcpy(c->buf + c->len, bytes, len);
    c->len += len;
    c->calls++;
    return c->calls < 1000;
}

static bool refuse(void *arg, const void *bytes, size_t len)
{
    (void)arg, (void)bytes, (void)len;
    return false;
}

static void test_blob_read(void **state)
{
    struct fixture *f = *state;
    char err[256];
    size_t big = 3 * 1024 * 1024 + 17;
    NEED(f);
    unsigned char *data = malloc(big);
    struct collect c = {.buf = malloc(big)};
    assert_non_null(data);
    assert_non_null(c.buf);
    make_table(f);
    for (size_t i = 0; i < big; i++)
        data[i] = (unsigned char)(i * 7 + (i >> 12));
    ccf_db_param p[] = {CCF_DB_TEXT("big"), CCF_DB_BLOB(data, big)};
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k, b) VALUES ($1, $2)", p, 2, NULL, err,
                                 sizeof err),
                     CCF_DB_OK);
    assert_int_equal(ccf_db_blob_read(f->db, "t", "b", "k = $1", p, 1, collect, &c, err,
                                      sizeof err),
                     CCF_DB_OK);
    assert_int_equal(c.len, big);
    assert_true(c.calls > 1); /* in chunks */
    assert_memory_equal(c.buf, data, big);
    ccf_db_param none = CCF_DB_TEXT("none");
    assert_int_equal(ccf_db_blob_read(f->db, "t", "b", "k = $1", &none, 1, collect, &c, err,
                                      sizeof err),
                     CCF_DB_NOT_FOUND);
    assert_int_equal(ccf_db_blob_read(f->db, "t", "b", "k = $1", p, 1, refuse, NULL, err,
                                      sizeof err),
                     CCF_DB_FAILED);
    /* the handle still works after a stopped read */
    int64_t n = 0;
    assert_int_equal(ccf_db_query_int(f->db, "SELECT count(*) FROM t", NULL, 0, &n, err,
                                      sizeof err),
                     CCF_DB_OK);
    assert_int_equal(n, 1);
    free(data);
    free(c.buf);
}

static const ccf_db_migration steps[] = {
    {"CREATE TABLE m (a INTEGER)", "CREATE TABLE m (a BIGINT)"},
    {"ALTER TABLE m ADD COLUMN b TEXT", "ALTER TABLE m ADD COLUMN b TEXT"},
};

static void test_migrate(void **state)
{
    struct fixture *f = *state;
    char err[256];
    bool newer = true;
    int64_t v = 0;
    NEED(f);
    assert_int_equal(ccf_db_migrate(f->db, "test", steps, 1, false, &newer, err, sizeof err),
                     CCF_DB_OK);
    assert_false(newer);
    /* again with one more step: only that one runs (the first would fail twice) */
    assert_int_equal(ccf_db_migrate(f->db, "test", steps, 2, false, &newer, err, sizeof err),
                     CCF_DB_OK);
    assert_int_equal(ccf_db_migrate(f->db, "test", steps, 2, false, &newer, err, sizeof err),
                     CCF_DB_OK);
    ccf_db_param c = CCF_DB_TEXT("test");
    assert_int_equal(ccf_db_query_int(f->db, "SELECT version FROM ccf_schema WHERE component = $1",
                                      &c, 1, &v, err, sizeof err),
                     CCF_DB_OK);
    assert_int_equal(v, 2);
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO m (a, b) VALUES (1, 'x')", NULL, 0, NULL,
                                 err, sizeof err),
                     CCF_DB_OK);
    /* another component has its own version */
    assert_int_equal(ccf_db_migrate(f->db, "other", NULL, 0, false, &newer, err, sizeof err),
                     CCF_DB_OK);
    /* a binary that knows one step only refuses the newer schema */
    assert_int_equal(ccf_db_migrate(f->db, "test", steps, 1, false, &newer, err, sizeof err),
                     CCF_DB_FAILED);
    assert_true(newer);
    assert_non_null(strstr(err, "test schema version 2 is newer"));
    /* a failing step leaves the version where it was */
    const ccf_db_migration bad[] = {steps[0], steps[1], {"CREATE TABLE m (x)", "CREATE "
                                                         "TABLE m (x BIGINT)"}};
    assert_int_equal(ccf_db_migrate(f->db, "test", bad, 3, false, &newer, err, sizeof err),
                     CCF_DB_FAILED);
    assert_false(newer);
    assert_non_null(strstr(err, "migration to version 3"));
    assert_int_equal(ccf_db_query_int(f->db, "SELECT version FROM ccf_schema WHERE component = $1",
                                      &c, 1, &v, err, sizeof err),
                     CCF_DB_OK);
    assert_int_equal(v, 2);
}

/* Two handles on one database (two replicas), two threads each: every
 * increment of one counter, read and written back in a write transaction,
 * survives. */
struct bumper {
    const char *target;
    int rounds;
    int failures;
};

static void *bump(void *arg)
{
    struct bumper *b = arg;
    char err[256];
    ccf_db *db = NULL;
    if (ccf_db_open(b->target, &db, err, sizeof err) != CCF_DB_OK) {
        b->failures = b->rounds;
        return NULL;
    }
    for (int i = 0; i < b->rounds; i++) {
        int64_t n = 0;
        ccf_db_rc rc = ccf_db_begin(db, err, sizeof err);
        if (rc == CCF_DB_OK)
            rc = ccf_db_query_int(db, "SELECT n FROM t WHERE k = 'c'", NULL, 0, &n, err,
                                  sizeof err);
        ccf_db_param p = CCF_DB_INT(n + 1);
        if (rc == CCF_DB_OK)
            rc = ccf_db_exec(db, "UPDATE t SET n = $1 WHERE k = 'c'", &p, 1, NULL, err,
                             sizeof err);
        if (ccf_db_finish(db, rc, err, sizeof err) != CCF_DB_OK)
            b->failures++;
    }
    ccf_db_close(db);
    return NULL;
}

static void test_no_lost_update(void **state)
{
    struct fixture *f = *state;
    char err[256];
    pthread_t t[4];
    struct bumper b[4];
    int64_t n = 0;
    NEED(f);
    make_table(f);
    assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k, n) VALUES ('c', 0)", NULL, 0, NULL,
                                 err, sizeof err),
                     CCF_DB_OK);
    for (int i = 0; i < 4; i++) {
        b[i] = (struct bumper){.target = f->target, .rounds = 50};
        assert_int_equal(pthread_create(&t[i], NULL, bump, &b[i]), 0);
    }
    int failures = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        failures += b[i].failures;
    }
    assert_int_equal(failures, 0);
    assert_int_equal(ccf_db_query_int(f->db, "SELECT n FROM t WHERE k = 'c'", NULL, 0, &n, err,
                                      sizeof err),
                     CCF_DB_OK);
    assert_int_equal(n, 200);
}

static void test_sqlite_names(void **state)
{
    struct fixture *f = *state;
    char err[256];
    ccf_db *db = NULL;
    assert_int_equal(ccf_db_backend_of(f->db), CCF_DB_SQLITE);
    assert_string_equal(ccf_db_name(f->db), f->target);
    assert_false(ccf_db_is_url(f->target));
    assert_true(ccf_db_is_url("postgres://h/d"));
    assert_int_equal(ccf_db_open("/nonexistent-dir/x.db", &db, err, sizeof err), CCF_DB_FAILED);
    assert_null(db);
    assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
}

/* The URL with a password added (trust authentication ignores it). */
static void with_password(char *out, size_t size, const char *url, const char *pw)
{
    const char *at = strchr(url + strlen("postgresql://"), '@');
    assert_non_null(at);
    snprintf(out, size, "%.*s:%s%s", (int)(at - url), url, pw, at);
}

static void test_pg_password_hidden(void **state)
{
    struct fixture *f = *state;
    char err[512], url[600];
    ccf_db *db = NULL;
    NEED(f);
    assert_int_equal(ccf_db_backend_of(f->db), CCF_DB_POSTGRES);
    with_password(url, sizeof url, f->target, "Sup3rSecretPw");
    assert_int_equal(ccf_db_open(url, &db, err, sizeof err), CCF_DB_OK);
    assert_null(strstr(ccf_db_name(db), "Sup3rSecretPw"));
    assert_non_null(strstr(ccf_db_name(db), "postgresql://ccfaas@"));
    assert_int_equal(ccf_db_exec(db, "SELEC", NULL, 0, NULL, err, sizeof err), CCF_DB_FAILED);
    assert_null(strstr(err, "Sup3rSecretPw"));
    ccf_db_close(db);
    db = NULL;
    /* no server there: UNAVAILABLE, and the error names neither password */
    assert_int_equal(ccf_db_open("postgresql://u:Sup3rSecretPw@/d?host=/nonexistent-dir"
                                 "&password=An0therSecret", &db, err, sizeof err),
                     CCF_DB_UNAVAILABLE);
    assert_null(db);
    assert_null(strstr(err, "Sup3rSecretPw"));
    assert_null(strstr(err, "An0therSecret"));
    assert_non_null(strstr(err, "unavailable"));
    /* malformed URLs: refused saying why, no secret echoed (libpq quotes the
     * token it refuses: here the password itself) */
    assert_int_equal(ccf_db_open("postgresql://u:Sup3rSecretPw@/d?nosuchoption=1", &db, err,
                                 sizeof err),
                     CCF_DB_FAILED);
    assert_null(strstr(err, "Sup3rSecretPw"));
    assert_non_null(strstr(err, "invalid URI query parameter"));
    assert_int_equal(ccf_db_open("postgresql://u:Sup3r%zzSecretPw@h/d", &db, err, sizeof err),
                     CCF_DB_FAILED);
    assert_null(strstr(err, "Secret"));
    assert_non_null(strstr(err, "percent-encoded"));
    assert_int_equal(ccf_db_open("postgresql://u@h/d?password=An0ther%zzSecret", &db, err,
                                 sizeof err),
                     CCF_DB_FAILED);
    assert_null(strstr(err, "Secret"));
}

/* The server ends our session (as a restart does): the statement that meets
 * it fails with UNAVAILABLE inside a transaction, and the handle reconnects
 * by itself afterwards; a read outside a transaction just reconnects. */
static void test_pg_reconnect(void **state)
{
    struct fixture *f = *state;
    char err[512];
    ccf_db *killer = NULL;
    int64_t pid = 0, n = 0;
    NEED(f);
    make_table(f);
    assert_int_equal(ccf_db_open(f->target, &killer, err, sizeof err), CCF_DB_OK);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(ccf_db_query_int(f->db, "SELECT pg_backend_pid()", NULL, 0, &pid, err,
                                          sizeof err),
                         CCF_DB_OK);
        if (round == 0)
            assert_int_equal(ccf_db_begin(f->db, err, sizeof err), CCF_DB_OK);
        ccf_db_param p = CCF_DB_INT(pid);
        assert_int_equal(ccf_db_query_int(killer, "SELECT pg_terminate_backend($1::int)", &p, 1,
                                          &n, err, sizeof err),
                         CCF_DB_OK);
        usleep(100 * 1000);
        if (round == 0) {
            ccf_db_param k = CCF_DB_TEXT("x");
            assert_int_equal(ccf_db_exec(f->db, "INSERT INTO t (k) VALUES ($1)", &k, 1, NULL,
                                         err, sizeof err),
                             CCF_DB_UNAVAILABLE);
            assert_non_null(strstr(err, "unavailable"));
            assert_int_equal(ccf_db_commit(f->db, err, sizeof err), CCF_DB_UNAVAILABLE);
        }
        assert_int_equal(ccf_db_query_int(f->db, "SELECT count(*) FROM t", NULL, 0, &n, err,
                                          sizeof err),
                         CCF_DB_OK);
        assert_int_equal(n, 0);
    }
    assert_int_equal(ccf_db_begin(f->db, err, sizeof err), CCF_DB_OK);
    ccf_db_rollback(f->db);
    ccf_db_close(killer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_params_and_rows, setup_lite, teardown),
        cmocka_unit_test_setup_teardown(test_unique_and_errors, setup_lite, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup_lite, teardown),
        cmocka_unit_test_setup_teardown(test_blob_read, setup_lite, teardown),
        cmocka_unit_test_setup_teardown(test_migrate, setup_lite, teardown),
        cmocka_unit_test_setup_teardown(test_no_lost_update, setup_lite, teardown),
        cmocka_unit_test_setup_teardown(test_sqlite_names, setup_lite, teardown),
        cmocka_unit_test_setup_teardown(test_params_and_rows, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_unique_and_errors, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_transactions, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_blob_read, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_migrate, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_no_lost_update, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_pg_password_hidden, setup_pg, teardown),
        cmocka_unit_test_setup_teardown(test_pg_reconnect, setup_pg, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
