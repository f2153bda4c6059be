/* CCFaaS task store (issue 20): the tasks of docs/tasks.md, their result
 * archives and logs. Internal to src/ccfaas; kept apart from store.c (its own
 * tables and schema steps, component "ccfaas-tasks" of db.h's ccf_schema) on
 * the same database (SQLite file or PostgreSQL), over its own connection.
 *
 * Every write is one statement (db.h: safe from the HTTP worker threads and
 * the task threads, and between replicas: each update names the state it
 * changes). Rows hold no input and no secret: those live in memory only, for
 * the task's thread. Each task records the replica running it (`runner`), and
 * the tasks a replica was running when it stopped are failed at its next start
 * (ccf_task_store_fail_unfinished), not those of the other replicas.
 *
 * Ownership: rows returned are the caller's, cleared with
 * ccf_task_row_clear / ccf_task_rows_free (NULL-safe); blobs with free(). */
#ifndef CCF_CCFAAS_TASK_STORE_H
#define CCF_CCFAAS_TASK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccfaas/store.h"
#include "common/error.h"

#define CCF_TASK_STORE_VERSION 2

typedef struct ccf_task_store ccf_task_store;

typedef struct {
    char *id;
    char *owner;
    char *function;
    char *program;
    char *state;     /* pending, running, completed, failed, timed_out */
    char *reason;    /* why it failed or timed out; NULL otherwise */
    char *step;      /* the step that failed; NULL otherwise */
    int64_t created, started, ended; /* Unix seconds; 0 = not yet */
    bool debug;      /* the function is a debug function: logs are kept */
    bool encrypted;  /* the result is a JWE to the requester's key */
    char *outputs;   /* JSON array text of the declared outputs */
    char *digest;    /* "0x" + SHA-256 of the deterministic output; NULL until completed */
    char *result_sha256; /* SHA-256 of the stored result (archive or JWE) */
    int64_t result_size; /* -1 = no result */
    int64_t logs_size;   /* -1 = no logs */
} ccf_task_row;

/* target: a SQLite path or a postgresql:// URL (db.h); runner: this replica's
 * name (stable across its restarts). */
ccf_err ccf_task_store_open(const char *target, const char *runner, ccf_task_store **out,
                            char *err, size_t err_size) __attribute__((warn_unused_result));
void ccf_task_store_close(ccf_task_store *s);

/* A new task, state pending. CCF_STORE_CONFLICT when the id exists. */
ccf_store_rc ccf_task_store_insert(ccf_task_store *s, const ccf_task_row *row, char *err,
                                   size_t err_size);
/* pending -> running (sets started). */
ccf_store_rc ccf_task_store_start(ccf_task_store *s, const char *id, char *err, size_t err_size);
/* -> failed / timed_out with the reason and step (sets ended; logs may be NULL). */
ccf_store_rc ccf_task_store_finish_failed(ccf_task_store *s, const char *id, const char *state,
                                          const char *step, const char *reason, const void *logs,
                                          size_t logs_len, char *err, size_t err_size);
/* -> completed with the result (archive or JWE), its digest and the logs (NULL = none). */
ccf_store_rc ccf_task_store_finish_ok(ccf_task_store *s, const char *id, const void *result,
                                      size_t result_len, const char *digest, const void *logs,
                                      size_t logs_len, char *err, size_t err_size);

ccf_store_rc ccf_task_store_get(ccf_task_store *s, const char *id, ccf_task_row *row, char *err,
                                size_t err_size);
/* The result (what="result") or the logs (what="logs"): *out malloc'd;
 * CCF_STORE_NOT_FOUND when the task has none. */
ccf_store_rc ccf_task_store_blob(ccf_task_store *s, const char *id, const char *what, void **out,
                                 size_t *len, char *err, size_t err_size);
/* Every task (owner NULL) or an owner's, newest first. */
ccf_store_rc ccf_task_store_list(ccf_task_store *s, const char *owner, ccf_task_row **rows,
                                 size_t *count, char *err, size_t err_size);
/* Deletes an ended task (CCF_STORE_CONFLICT while pending or running). */
ccf_store_rc ccf_task_store_delete(ccf_task_store *s, const char *id, char *err, size_t err_size);
/* At start: this replica's tasks left pending or running are failed ("CCFaaS
 * stopped while the task ran"); their ids in *ids (malloc'd array of malloc'd
 * strings). */
ccf_store_rc ccf_task_store_fail_unfinished(ccf_task_store *s, char ***ids, size_t *count,
                                            char *err, size_t err_size);
/* Tasks of an owner that are pending or running. */
ccf_store_rc ccf_task_store_live(ccf_task_store *s, const char *owner, int64_t *count, char *err,
                                 size_t err_size);

void ccf_task_row_clear(ccf_task_row *row);
void ccf_task_rows_free(ccf_task_row *rows, size_t count);

#endif
