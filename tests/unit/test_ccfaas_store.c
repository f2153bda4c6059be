/* Tests for src/ccfaas/store: the store of CCFaaS on a temporary SQLite
 * database, or on PostgreSQL when CCF_TEST_PG names a server
 * (tests/pg/with-postgres; unit.test_ccfaas_store_pg): write-once and
 * conflict rules, cascade on function delete, instance reservation checks,
 * ended instances, quotas, persistence across reopen, migration of a
 * version-2 store, schema version guard, a file that is no database, and
 * concurrent writers on two handles (two replicas): one reservation of a
 * name wins, an owner's instance quota holds across them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ccfaas/db.h"
#include "ccfaas/store.h"
#include "common/file.h"

static const char policy[] = "{\"function\": \"f\"}"; /* the store does not parse it */
static const char hash_a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char hash_b[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

struct fixture {
    char dir[64];
    char db[512]; /* the SQLite path or the PostgreSQL URL */
    bool pg;
    ccf_ccfaas_store *s;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[256];
    const char *url = getenv("CCF_TEST_PG");
    snprintf(f->dir, sizeof f->dir, "/tmp/ccfaas-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/ccfaas.db", f->dir);
    if (url != NULL && *url != '\0') {
        /* every test on an empty database */
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
    assert_int_equal(ccf_ccfaas_store_open(f->db, &f->s, err, sizeof err), CCF_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char path[600];
    ccf_ccfaas_store_close(f->s);
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4 && !f->pg; i++) {
        snprintf(path, sizeof path, "%s%s", f->db, suffixes[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/out", f->dir);
    unlink(path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void add_function(ccf_ccfaas_store *s, const char *name, const char *hash)
{
    char err[256];
    assert_int_equal(ccf_ccfaas_store_function_add(s, name, policy, strlen(policy), hash, "op", err,
                                                   sizeof err),
                     CCF_STORE_OK);
}

static void test_function_write_once(void **state)
{
    struct fixture *f = *state;
    char err[256], *text = NULL;
    size_t len = 0;
    int64_t created = 0;
    json_t *list = NULL;

    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_function_add(f->s, "f", "{}", 2, hash_b, "op", err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_non_null(strstr(err, "already registered"));
    assert_int_equal(ccf_ccfaas_store_function_get(f->s, "f", &text, &len, &created, err,
                                                   sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(len, strlen(policy));
    assert_memory_equal(text, policy, len); /* the first one, byte for byte */
    assert_true(created > 0);
    free(text);
    assert_int_equal(ccf_ccfaas_store_function_get(f->s, "g", &text, &len, NULL, err, sizeof err),
                     CCF_STORE_NOT_FOUND);
    assert_null(text);
    assert_int_equal(ccf_ccfaas_store_function_list(f->s, &list, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "function")),
                        "f");
    json_decref(list);
    assert_int_equal(ccf_ccfaas_store_function_delete(f->s, "g", NULL, err, sizeof err),
                     CCF_STORE_NOT_FOUND);
}

static void test_files(void **state)
{
    struct fixture *f = *state;
    char err[256], out[192], *back = NULL;
    size_t len = 0;
    json_t *st = NULL;

    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "abc", 3, err, sizeof err),
                     CCF_STORE_NOT_FOUND); /* no function */
    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_b, "p.wasm",
                                               hash_b, "abc", 3, err, sizeof err),
                     CCF_STORE_NOT_FOUND); /* the function's policy is another one */
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "abc", 3, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "abc", 3, err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_non_null(strstr(err, "already uploaded"));
    /* the same name as a data file is another file */
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_DATA_FILE, "f", hash_a, "p.wasm",
                                               hash_b, "", 0, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_file_get(f->s, CCF_STORE_PROGRAM, "f", "p.wasm", &st, err,
                                               sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(json_integer_value(json_object_get(st, "size")), 3);
    assert_string_equal(json_string_value(json_object_get(st, "sha256")), hash_b);
    json_decref(st);

    snprintf(out, sizeof out, "%s/out", f->dir);
    assert_int_equal(ccf_ccfaas_store_file_export(f->s, CCF_STORE_PROGRAM, "f", "p.wasm", out,
                                                  err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_file_read(out, 100, &back, &len, err, sizeof err), CCF_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(back, "abc", 3);
    free(back);
    assert_int_equal(ccf_ccfaas_store_file_export(f->s, CCF_STORE_DATA_FILE, "f", "p.wasm", out,
                                                  err, sizeof err),
                     CCF_STORE_OK); /* an empty file stays empty */
    assert_int_equal(ccf_file_read(out, 100, &back, &len, err, sizeof err), CCF_OK);
    assert_int_equal(len, 0);
    free(back);
    assert_int_equal(ccf_ccfaas_store_file_export(f->s, CCF_STORE_PROGRAM, "f", "q.wasm", out,
                                                  err, sizeof err),
                     CCF_STORE_NOT_FOUND);

    assert_int_equal(ccf_ccfaas_store_file_delete(f->s, CCF_STORE_PROGRAM, "f", "p.wasm", err,
                                                  sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_file_delete(f->s, CCF_STORE_PROGRAM, "f", "p.wasm", err,
                                                  sizeof err),
                     CCF_STORE_NOT_FOUND);
    assert_int_equal(ccf_ccfaas_store_file_get(f->s, CCF_STORE_PROGRAM, "f", "p.wasm", &st, err,
                                               sizeof err),
                     CCF_STORE_NOT_FOUND);
    /* deleting the function takes its files with it */
    assert_int_equal(ccf_ccfaas_store_function_delete(f->s, "f", NULL, err, sizeof err), CCF_STORE_OK);
    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_file_get(f->s, CCF_STORE_DATA_FILE, "f", "p.wasm", &st, err,
                                               sizeof err),
                     CCF_STORE_NOT_FOUND);
}

static void test_instances(void **state)
{
    struct fixture *f = *state;
    char err[256];
    const char *progs[] = {"p.wasm"}, *dfs[] = {"d"};
    ccf_store_instance row;
    ccf_store_instance *rows = NULL;
    size_t n = 0;

    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_a, progs, 1, dfs, 1, "alice",
                                                       err, sizeof err),
                     CCF_STORE_NOT_FOUND);
    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_a, progs, 1, dfs, 1, "alice",
                                                       err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_non_null(strstr(err, "program \"p.wasm\" of function \"f\" is not uploaded"));
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "x", 1, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_a, progs, 1, dfs, 1, "alice",
                                                       err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_non_null(strstr(err, "data file \"d\""));
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_DATA_FILE, "f", hash_a, "d",
                                               hash_b, "y", 1, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_b, progs, 1, dfs, 1, "alice",
                                                       err, sizeof err),
                     CCF_STORE_CONFLICT); /* registered again with another policy */
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_a, progs, 1, dfs, 1, "alice",
                                                       err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_a, progs, 1, dfs, 1, "alice",
                                                       err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_int_equal(ccf_ccfaas_store_function_delete(f->s, "f", NULL, err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_non_null(strstr(err, "1 live instance"));

    assert_int_equal(ccf_ccfaas_store_instance_get(f->s, "i", &row, err, sizeof err),
                     CCF_STORE_OK);
    assert_string_equal(row.state, "creating");
    assert_null(row.policy);
    assert_null(row.instance_hash);
    ccf_ccfaas_store_instance_clear(&row);
    assert_int_equal(ccf_ccfaas_store_instance_set_vaas(f->s, "i", hash_b, "{\"p\":1}", 7, hash_a,
                                                        err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_list(f->s, "creating", &rows, &n, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(n, 1);
    ccf_ccfaas_store_instances_free(rows, n);
    assert_int_equal(ccf_ccfaas_store_instance_set_ready(f->s, "i", err, sizeof err), CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_list(f->s, "creating", &rows, &n, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(n, 0);
    ccf_ccfaas_store_instances_free(rows, n);
    assert_int_equal(ccf_ccfaas_store_instance_get(f->s, "i", &row, err, sizeof err),
                     CCF_STORE_OK);
    assert_string_equal(row.state, "ready");
    assert_int_equal(row.policy_len, 7);
    assert_memory_equal(row.policy, "{\"p\":1}", 7);
    assert_string_equal(row.instance_hash, hash_b);
    assert_string_equal(row.policy_hash, hash_a);
    ccf_ccfaas_store_instance_clear(&row);
    assert_int_equal(ccf_ccfaas_store_instance_set_ready(f->s, "j", err, sizeof err),
                     CCF_STORE_NOT_FOUND);

    assert_int_equal(ccf_ccfaas_store_instance_delete(f->s, "i", NULL, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_delete(f->s, "i", NULL, err, sizeof err),
                     CCF_STORE_NOT_FOUND);
    assert_int_equal(ccf_ccfaas_store_function_delete(f->s, "f", NULL, err, sizeof err), CCF_STORE_OK);
}

/* A ready instance of the owner with programs and data uploaded. */
static void ready_instance(ccf_ccfaas_store *s, const char *name, const char *owner)
{
    char err[256];
    const char *progs[] = {"p.wasm"};
    assert_int_equal(ccf_ccfaas_store_instance_reserve(s, name, "f", hash_a, progs, 1, NULL, 0,
                                                       owner, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_set_ready(s, name, err, sizeof err), CCF_STORE_OK);
}

/* An ended instance stays listed, marked, until deleted; it does not hold
 * its function; its owner (only) may reuse its name. */
static void test_ended_instances(void **state)
{
    struct fixture *f = *state;
    char err[256];
    const char *progs[] = {"p.wasm"};
    ccf_store_instance row;
    int64_t functions = 0, creating = 0, ready = 0;

    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "x", 1, err, sizeof err),
                     CCF_STORE_OK);
    ready_instance(f->s, "i", "alice");
    assert_int_equal(ccf_ccfaas_store_instance_set_ended(f->s, "i", "exited", err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_set_ended(f->s, "i", "gone", err, sizeof err),
                     CCF_STORE_NOT_FOUND); /* marked once: the first cause stays */
    assert_int_equal(ccf_ccfaas_store_instance_get(f->s, "i", &row, err, sizeof err),
                     CCF_STORE_OK);
    assert_string_equal(row.ended, "exited");
    assert_true(row.ended_at > 1700000000);
    ccf_ccfaas_store_instance_clear(&row);
    assert_int_equal(ccf_ccfaas_store_counts(f->s, &functions, &creating, &ready), CCF_STORE_OK);
    assert_int_equal(ready, 0);

    /* another owner may not take the name; the owner may */
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_a, progs, 1, NULL, 0,
                                                       "bob", err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_non_null(strstr(err, "exists already"));
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "i", "f", hash_a, progs, 1, NULL, 0,
                                                       "alice", err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_get(f->s, "i", &row, err, sizeof err),
                     CCF_STORE_OK);
    assert_null(row.ended);
    assert_string_equal(row.state, "creating");
    ccf_ccfaas_store_instance_clear(&row);
    assert_int_equal(ccf_ccfaas_store_instance_delete(f->s, "i", NULL, err, sizeof err),
                     CCF_STORE_OK);

    /* a live instance holds the function; an ended one goes with it */
    ready_instance(f->s, "live", "alice");
    ready_instance(f->s, "dead", "alice");
    assert_int_equal(ccf_ccfaas_store_instance_set_ended(f->s, "dead", "gone", err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_function_delete(f->s, "f", NULL, err, sizeof err),
                     CCF_STORE_CONFLICT);
    assert_non_null(strstr(err, "1 live instance"));
    assert_int_equal(ccf_ccfaas_store_instance_delete(f->s, "live", NULL, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_function_delete(f->s, "f", NULL, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_instance_get(f->s, "dead", &row, err, sizeof err),
                     CCF_STORE_NOT_FOUND);
}

/* A version-2 store (before ended instances and creators) is migrated, its rows kept. */
static void test_migrates_version_2(void **state)
{
    struct fixture *f = *state;
    char err[256];
    sqlite3 *db = NULL;
    ccf_store_instance row;
    if (f->pg) {
        print_message("skipped: SQLite files only\n");
        skip();
    }

    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "x", 1, err, sizeof err),
                     CCF_STORE_OK);
    ready_instance(f->s, "i", "alice");
    ccf_ccfaas_store_close(f->s);
    f->s = NULL;
    /* back to version 2 as it was: without the three columns, and without the
     * version table (the version in user_version, as stores before it had it) */
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "ALTER TABLE instance DROP COLUMN ended;"
                                      "ALTER TABLE instance DROP COLUMN ended_at;"
                                      "ALTER TABLE instance DROP COLUMN creator;"
                                      "DROP TABLE ccf_schema;"
                                      "PRAGMA user_version = 2", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ccf_ccfaas_store_open(f->db, &f->s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_ccfaas_store_instance_get(f->s, "i", &row, err, sizeof err),
                     CCF_STORE_OK);
    assert_string_equal(row.owner, "alice");
    assert_string_equal(row.creator, "");
    assert_null(row.ended);
    ccf_ccfaas_store_instance_clear(&row);
    assert_int_equal(ccf_ccfaas_store_instance_set_ended(f->s, "i", "exited", err, sizeof err),
                     CCF_STORE_OK);
}

/* Quotas hold per owner, in the transaction: the N+1th live instance and
 * the byte that passes the quota are refused; ended instances and other
 * owners do not count. */
static void test_quotas(void **state)
{
    struct fixture *f = *state;
    char err[256];
    const char *progs[] = {"p.wasm"};
    int64_t instances = 0, bytes = 0;
    const ccf_store_quotas q = {.instances = 2, .bytes = 10};

    ccf_ccfaas_store_set_quotas(f->s, &q);
    add_function(f->s, "f", hash_a); /* owner "op" */
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_DATA_FILE, "f", hash_a, "d1",
                                               hash_b, "0123456", 7, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_DATA_FILE, "f", hash_a, "d2",
                                               hash_b, "0123", 4, err, sizeof err),
                     CCF_STORE_QUOTA);
    assert_non_null(strstr(err, "quota: the functions of \"op\" hold 7 bytes; 4 more"));
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "abc", 3, err, sizeof err),
                     CCF_STORE_OK); /* exactly the quota */
    assert_int_equal(ccf_ccfaas_store_usage(f->s, "op", &instances, &bytes, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(bytes, 10);

    ready_instance(f->s, "a1", "alice");
    ready_instance(f->s, "a2", "alice");
    assert_int_equal(ccf_ccfaas_store_instance_reserve(f->s, "a3", "f", hash_a, progs, 1, NULL, 0,
                                                       "alice", err, sizeof err),
                     CCF_STORE_QUOTA);
    assert_non_null(strstr(err, "\"alice\" has 2 live instance(s)"));
    ready_instance(f->s, "b1", "bob"); /* bob's own quota */
    assert_int_equal(ccf_ccfaas_store_instance_set_ended(f->s, "a2", "exited", err, sizeof err),
                     CCF_STORE_OK);
    ready_instance(f->s, "a3", "alice"); /* an ended one does not count */
    assert_int_equal(ccf_ccfaas_store_usage(f->s, "alice", &instances, &bytes, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(instances, 2);
    assert_int_equal(bytes, 0);
}

static void test_reopen_keeps_everything(void **state)
{
    struct fixture *f = *state;
    char err[256], *text = NULL;
    size_t len = 0;
    json_t *st = NULL;

    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "abc", 3, err, sizeof err),
                     CCF_STORE_OK);
    ccf_ccfaas_store_close(f->s);
    f->s = NULL;
    assert_int_equal(ccf_ccfaas_store_open(f->db, &f->s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_ccfaas_store_function_get(f->s, "f", &text, &len, NULL, err, sizeof err),
                     CCF_STORE_OK);
    assert_memory_equal(text, policy, len);
    free(text);
    assert_int_equal(ccf_ccfaas_store_file_get(f->s, CCF_STORE_PROGRAM, "f", "p.wasm", &st, err,
                                               sizeof err),
                     CCF_STORE_OK);
    json_decref(st);
}

static void test_newer_schema_refused(void **state)
{
    struct fixture *f = *state;
    char err[256];
    sqlite3 *db = NULL;
    ccf_ccfaas_store *s = NULL;

    ccf_ccfaas_store_close(f->s);
    f->s = NULL;
    if (f->pg) {
        ccf_db *pdb = NULL;
        assert_int_equal(ccf_db_open(f->db, &pdb, err, sizeof err), CCF_DB_OK);
        assert_int_equal(ccf_db_exec(pdb, "UPDATE ccf_schema SET version = 99 WHERE component = "
                                          "'ccfaas'", NULL, 0, NULL, err, sizeof err),
                         CCF_DB_OK);
        ccf_db_close(pdb);
        assert_int_equal(ccf_ccfaas_store_open(f->db, &s, err, sizeof err), CCF_ERR_UNSUPPORTED);
        assert_null(s);
        assert_non_null(strstr(err, "schema version 99"));
        return;
    }
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ccf_ccfaas_store_open(f->db, &s, err, sizeof err), CCF_ERR_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err, "schema version 99"));
    /* the same when the version table says so */
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 3; UPDATE ccf_schema SET version = 98 "
                                      "WHERE component = 'ccfaas'", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ccf_ccfaas_store_open(f->db, &s, err, sizeof err), CCF_ERR_UNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(err, "schema version 98"));
}

static void test_not_a_database(void **state)
{
    struct fixture *f = *state;
    char err[256], path[192];
    ccf_ccfaas_store *s = NULL;
    if (f->pg) {
        print_message("skipped: SQLite files only\n");
        skip();
    }
    snprintf(path, sizeof path, "%s/out", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("this is not an SQLite database, just text long enough to have a header......\n", fp);
    fclose(fp);
    assert_int_not_equal(ccf_ccfaas_store_open(path, &s, err, sizeof err), CCF_OK);
    assert_null(s);
    assert_int_not_equal(ccf_ccfaas_store_open("/nonexistent-dir/x.db", &s, err, sizeof err),
                         CCF_OK);
    assert_null(s);
}

struct racer {
    ccf_ccfaas_store *s;
    int index;
    ccf_store_rc rc;
    ccf_store_rc fn_rc;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    char err[256], name[16];
    const char *progs[] = {"p.wasm"};
    r->rc = ccf_ccfaas_store_instance_reserve(r->s, "same", "f", hash_a, progs, 1, NULL, 0, "u", err,
                                              sizeof err);
    snprintf(name, sizeof name, "g%d", r->index);
    r->fn_rc = ccf_ccfaas_store_function_add(r->s, name, policy, strlen(policy), hash_a, "op", err,
                                             sizeof err);
    return NULL;
}

/* Threads of the HTTP server share a store, and replicas share the
 * database (a second handle here): one reservation of a name wins. */
static void test_concurrent_writers(void **state)
{
    struct fixture *f = *state;
    char err[256];
    enum { N = 8 };
    pthread_t t[N];
    struct racer r[N];
    json_t *list = NULL;
    ccf_ccfaas_store *other = NULL;

    assert_int_equal(ccf_ccfaas_store_open(f->db, &other, err, sizeof err), CCF_OK);
    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "x", 1, err, sizeof err),
                     CCF_STORE_OK);
    for (int i = 0; i < N; i++) {
        r[i] = (struct racer){.s = i % 2 ? other : f->s, .index = i};
        assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
    }
    int won = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        won += r[i].rc == CCF_STORE_OK;
        assert_true(r[i].rc == CCF_STORE_OK || r[i].rc == CCF_STORE_CONFLICT);
        assert_int_equal(r[i].fn_rc, CCF_STORE_OK);
    }
    assert_int_equal(won, 1);
    assert_int_equal(ccf_ccfaas_store_function_list(f->s, &list, err, sizeof err), CCF_STORE_OK);
    assert_int_equal(json_array_size(list), N + 1);
    json_decref(list);
    ccf_ccfaas_store_close(other);
}

struct quota_racer {
    ccf_ccfaas_store *s;
    int index;
    ccf_store_rc rc;
};

static void *quota_race(void *arg)
{
    struct quota_racer *r = arg;
    char err[256], name[16];
    const char *progs[] = {"p.wasm"};
    snprintf(name, sizeof name, "i%d", r->index);
    r->rc = ccf_ccfaas_store_instance_reserve(r->s, name, "f", hash_a, progs, 1, NULL, 0, "q", err,
                                              sizeof err);
    return NULL;
}

/* An owner's instance quota holds when its requests reach two replicas at once. */
static void test_quota_across_handles(void **state)
{
    struct fixture *f = *state;
    char err[256];
    enum { N = 10, QUOTA = 3 };
    pthread_t t[N];
    struct quota_racer r[N];
    ccf_ccfaas_store *other = NULL;
    ccf_store_quotas q = {.instances = QUOTA};
    int64_t live = 0, bytes = 0;

    assert_int_equal(ccf_ccfaas_store_open(f->db, &other, err, sizeof err), CCF_OK);
    ccf_ccfaas_store_set_quotas(f->s, &q);
    ccf_ccfaas_store_set_quotas(other, &q);
    add_function(f->s, "f", hash_a);
    assert_int_equal(ccf_ccfaas_store_file_add(f->s, CCF_STORE_PROGRAM, "f", hash_a, "p.wasm",
                                               hash_b, "x", 1, err, sizeof err),
                     CCF_STORE_OK);
    for (int i = 0; i < N; i++) {
        r[i] = (struct quota_racer){.s = i % 2 ? other : f->s, .index = i};
        assert_int_equal(pthread_create(&t[i], NULL, quota_race, &r[i]), 0);
    }
    int won = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        won += r[i].rc == CCF_STORE_OK;
        assert_true(r[i].rc == CCF_STORE_OK || r[i].rc == CCF_STORE_QUOTA);
    }
    assert_int_equal(won, QUOTA);
    assert_int_equal(ccf_ccfaas_store_usage(other, "q", &live, &bytes, err, sizeof err),
                     CCF_STORE_OK);
    assert_int_equal(live, QUOTA);
    ccf_ccfaas_store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_function_write_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ended_instances, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrates_version_2, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quotas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quota_across_handles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
