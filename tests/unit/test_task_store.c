/* Tests for src/ccfaas/task_store (issue 20) on SQLite, or on PostgreSQL when
 * CCF_TEST_PG names a server (tests/pg/with-postgres; unit.test_task_store_pg):
 * the states pending -> running -> completed | failed and the refusals of
 * the wrong order, results and logs, owners' lists, deletes only of ended
 * tasks, live counts, a restart failing only this replica's unfinished tasks,
 * and (SQLite) the store of the first, SQLite-only version migrated. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccfaas/db.h"
#include "ccfaas/task_store.h"

struct fixture {
    char dir[64];
    char db[512];
    bool pg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];
    const char *url = getenv("CCF_TEST_PG");
    snprintf(f->dir, sizeof f->dir, "/tmp/ccfaas-tasks-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/ccfaas.db", f->dir);
    if (url != NULL && *url != '\0') {
        ccf_db *db = NULL;
        f->pg = true;
        snprintf(f->db, sizeof f->db, "%s", url);
        assert_int_equal(ccf_db_open(url, &db, err, sizeof err), CCF_DB_OK);
        assert_int_equal(ccf_db_exec(db, "DROP SCHEMA public CASCADE", NULL, 0, NULL, err,
                                     sizeof err),
                         CCF_DB_OK);
        assert_int_equal(ccf_db_exec(db, "CREATE SCHEMA public", NULL, 0, NULL, err, sizeof err),
                         CCF_DB_OK);
        ccf_db_close(db);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[600];
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4 && !f->pg; i++) {
        snprintf(path, sizeof path, "%s%s", f->db, suffixes[i]);
        unlink(path);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static ccf_task_store *open_store(const struct fixture *f, const char *runner)
{
    ccf_task_store *s = NULL;
    char err[256];
    assert_int_equal(ccf_task_store_open(f->db, runner, &s, err, sizeof err), CCF_OK);
    return s;
}

static void insert(ccf_task_store *s, const char *id, const char *owner, int64_t created)
{
    char err[256];
    ccf_task_row r = {.id = (char *)id, .owner = (char *)owner, .function = "f",
                      .program = "p.wasm", .outputs = "[\"output\"]", .created = created};
    assert_int_equal(ccf_task_store_insert(s, &r, err, sizeof err), CCF_STORE_OK);
}

static void test_states(void **state)
{
    struct fixture *f = *state;
    ccf_task_store *s = open_store(f, "r1");
    ccf_task_row row, dup = {.id = "t1", .owner = "x", .function = "f", .program = "p",
                             .outputs = "[]"};
    char err[256];
    void *blob = NULL;
    size_t len = 0;
    int64_t live = 0;

    insert(s, "t1", "alice", 100);
    assert_int_equal(ccf_task_store_insert(s, &dup, err, sizeof err), CCF_STORE_CONFLICT);
    assert_int_equal(ccf_task_store_get(s, "t1", &row, err, sizeof err), CCF_STORE_OK);
    assert_string_equal(row.state, "pending");
    assert_int_equal(row.result_size, -1);
    assert_int_equal(row.logs_size, -1);
    ccf_task_row_clear(&row);
    /* completed only from running */
    assert_int_equal(ccf_task_store_finish_ok(s, "t1", "zip", 3, "0xab", NULL, 0, err, sizeof err),
                     CCF_STORE_NOT_FOUND);
    assert_int_equal(ccf_task_store_live(s, "alice", &live, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(live, 1);
    assert_int_equal(ccf_task_store_start(s, "t1", err, sizeof err), CCF_STORE_OK);
    assert_int_equal(ccf_task_store_start(s, "t1", err, sizeof err), CCF_STORE_NOT_FOUND);
    assert_int_equal(ccf_task_store_delete(s, "t1", err, sizeof err), CCF_STORE_CONFLICT);
    assert_int_equal(ccf_task_store_finish_ok(s, "t1", "zip\0bytes", 9, "0xab", NULL, 0, err,
                                              sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_task_store_finish_failed(s, "t1", "failed", "x", "y", NULL, 0, err,
                                                  sizeof err),
                     CCF_STORE_NOT_FOUND); /* ended: stays completed */
    assert_int_equal(ccf_task_store_get(s, "t1", &row, err, sizeof err), CCF_STORE_OK);
    assert_string_equal(row.state, "completed");
    assert_string_equal(row.digest, "0xab");
    assert_int_equal(row.result_size, 9);
    assert_int_equal(row.logs_size, -1);
    assert_non_null(row.result_sha256);
    assert_int_not_equal(row.ended, 0);
    ccf_task_row_clear(&row);
    assert_int_equal(ccf_task_store_blob(s, "t1", "result", &blob, &len, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(len, 9);
    assert_memory_equal(blob, "zip\0bytes", 9);
    free(blob);
    assert_int_equal(ccf_task_store_blob(s, "t1", "logs", &blob, &len, err, sizeof err),
                     CCF_STORE_NOT_FOUND);
    /* failed with logs (even empty ones are kept) */
    insert(s, "t2", "alice", 200);
    assert_int_equal(ccf_task_store_finish_failed(s, "t2", "timed_out", "execute p.wasm", "late",
                                                  "", 0, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_task_store_get(s, "t2", &row, err, sizeof err), CCF_STORE_OK);
    assert_string_equal(row.state, "timed_out");
    assert_string_equal(row.step, "execute p.wasm");
    assert_string_equal(row.reason, "late");
    assert_int_equal(row.logs_size, 0);
    ccf_task_row_clear(&row);
    assert_int_equal(ccf_task_store_live(s, "alice", &live, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(live, 0);
    assert_int_equal(ccf_task_store_delete(s, "t1", err, sizeof err), CCF_STORE_OK);
    assert_int_equal(ccf_task_store_get(s, "t1", &row, err, sizeof err), CCF_STORE_NOT_FOUND);
    ccf_task_store_close(s);
}

static void test_lists_and_replicas(void **state)
{
    struct fixture *f = *state;
    ccf_task_store *a = open_store(f, "replica-a"), *b = open_store(f, "replica-b");
    ccf_task_row *rows = NULL, row;
    size_t n = 0;
    char err[256], **ids = NULL;

    insert(a, "a1", "alice", 10);
    insert(a, "a2", "bob", 30);
    insert(b, "b1", "alice", 20);
    assert_int_equal(ccf_task_store_start(b, "b1", err, sizeof err), CCF_STORE_OK);
    assert_int_equal(ccf_task_store_list(a, "alice", &rows, &n, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(rows[0].id, "b1"); /* newest first */
    assert_string_equal(rows[1].id, "a1");
    ccf_task_rows_free(rows, n);
    assert_int_equal(ccf_task_store_list(a, NULL, &rows, &n, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(n, 3);
    ccf_task_rows_free(rows, n);
    /* replica a restarts: its two unfinished tasks fail, b's running task does not */
    ccf_task_store_close(a);
    a = open_store(f, "replica-a");
    assert_int_equal(ccf_task_store_fail_unfinished(a, &ids, &n, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        assert_true(strcmp(ids[i], "a1") == 0 || strcmp(ids[i], "a2") == 0);
        free(ids[i]);
    }
    free(ids);
    assert_int_equal(ccf_task_store_get(a, "a1", &row, err, sizeof err), CCF_STORE_OK);
    assert_string_equal(row.state, "failed");
    assert_string_equal(row.reason, "CCFaaS stopped while the task ran");
    ccf_task_row_clear(&row);
    assert_int_equal(ccf_task_store_get(a, "b1", &row, err, sizeof err), CCF_STORE_OK);
    assert_string_equal(row.state, "running");
    ccf_task_row_clear(&row);
    ccf_task_store_close(a);
    ccf_task_store_close(b);
}

/* SQLite: the first task store's table (no runner column, its own task_schema
 * table) is taken over by the migration. */
static void test_legacy_sqlite(void **state)
{
    struct fixture *f = *state;
    ccf_db *db = NULL;
    ccf_task_row row;
    char err[256];
    int64_t n = -1;
    if (f->pg)
        skip();
    assert_int_equal(ccf_db_open(f->db, &db, err, sizeof err), CCF_DB_OK);
    static const char *const legacy[] = {
        "CREATE TABLE task_schema (version INTEGER NOT NULL)",
        "INSERT INTO task_schema VALUES (1)",
        ("CREATE TABLE task (id TEXT PRIMARY KEY, owner TEXT NOT NULL, function TEXT NOT NULL, "
         "program TEXT NOT NULL, state TEXT NOT NULL, reason TEXT, step TEXT, created INTEGER "
         "NOT NULL, started INTEGER NOT NULL DEFAULT 0, ended INTEGER NOT NULL DEFAULT 0, debug "
         "INTEGER NOT NULL, encrypted INTEGER NOT NULL, outputs TEXT NOT NULL, digest TEXT, "
         "result_sha256 TEXT, result BLOB, logs BLOB)"),
        ("INSERT INTO task (id, owner, function, program, state, created, debug, encrypted, "
         "outputs) VALUES ('old', 'alice', 'f', 'p', 'completed', 1, 0, 0, '[]')"),
    };
    for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
        assert_int_equal(ccf_db_exec(db, legacy[i], NULL, 0, NULL, err, sizeof err), CCF_DB_OK);
    ccf_db_close(db);
    ccf_task_store *s = open_store(f, "r");
    assert_int_equal(ccf_task_store_get(s, "old", &row, err, sizeof err), CCF_STORE_OK);
    assert_string_equal(row.state, "completed");
    ccf_task_row_clear(&row);
    insert(s, "new", "alice", 2);
    ccf_task_store_close(s);
    assert_int_equal(ccf_db_open(f->db, &db, err, sizeof err), CCF_DB_OK);
    assert_int_equal(ccf_db_query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                                          "'task_schema'", NULL, 0, &n, err, sizeof err),
                     CCF_DB_OK);
    assert_int_equal(n, 0);
    ccf_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_states, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lists_and_replicas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_legacy_sqlite, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
