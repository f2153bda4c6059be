/* CCFaaS store: tables for functions (program policy text exactly as
 * received), their programs and data files (bytes) and instances
 * (docs/ccfaas.md "Store"), over the SQL layer (db.h): a SQLite file by
 * default, or PostgreSQL shared by several CCFaaS replicas. Internal to
 * src/ccfaas.
 *
 * Every write is one transaction holding the database-wide write lock
 * (db.h), so a process killed at any point leaves either the whole write or
 * none of it, and checks that depend on the stored state (exists, already
 * registered, still used by instances, quotas) run inside the transaction
 * that writes: concurrent requests -- threads of one server or replicas on
 * one PostgreSQL -- cannot both pass them. Names are also primary keys. */
#ifndef CCF_CCFAAS_STORE_H
#define CCF_CCFAAS_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Schema version of component "ccfaas" in the layer's ccf_schema table
 * (SQLite: also in PRAGMA user_version, where stores before the table kept it). */
#define CCF_CCFAAS_STORE_VERSION 4

/* Outcome of a store call: the three a handler maps to 404, 409 and 500. */
typedef enum {
    CCF_STORE_OK = 0,
    CCF_STORE_NOT_FOUND, /* the function / file / instance does not exist */
    CCF_STORE_CONFLICT,  /* exists already, still in use, or not ready */
    CCF_STORE_FAILED,    /* SQLite or I/O failure (a 500) */
    CCF_STORE_FORBIDDEN, /* it belongs to another caller (a 403) */
    CCF_STORE_QUOTA,     /* the owner's quota would be exceeded (a 429) */
    CCF_STORE_UNAVAILABLE, /* the database server cannot be reached now (a 503) */
} ccf_store_rc;

/* Per-owner quotas the store enforces in the transaction that would exceed
 * them (so concurrent requests cannot pass together); 0 = unlimited. */
typedef struct {
    uint32_t instances; /* live instances (creating or running, not ended) per owner */
    uint64_t bytes;     /* bytes of programs and data files of the functions an owner has */
} ccf_store_quotas;

typedef enum { CCF_STORE_PROGRAM = 0, CCF_STORE_DATA_FILE } ccf_store_file_kind;

typedef struct ccf_ccfaas_store ccf_ccfaas_store;

/* An instance row. Strings owned by the row: ccf_ccfaas_store_instance_clear(). */
typedef struct {
    char *name;
    char *function;
    char *state;         /* "creating" (reserved, being loaded) or "ready" */
    int64_t created;     /* Unix seconds */
    char *policy;        /* the full policy text as VaaS produced it; NULL until known */
    size_t policy_len;
    char *policy_hash;   /* sha256 hex of policy; NULL until known */
    char *instance_hash; /* VaaS's instance_hash; NULL until known */
    char *owner;         /* the caller who created it ("" = made before owners existed) */
    char *ended;         /* NULL while alive; "exited" or "gone" once its runtime ended */
    int64_t ended_at;    /* Unix seconds, when ended was seen */
    char *creator;       /* the CCFaaS that reserved it (set_creator); "" before version 4 */
} ccf_store_instance;

/* Opens (creating when missing) the database -- a SQLite path or a
 * postgresql:// URL (db.h) -- and creates or migrates the schema. A database
 * of a newer schema version is refused (UNSUPPORTED); a PostgreSQL server
 * that cannot be reached is BUSY. */
ccf_err ccf_ccfaas_store_open(const char *path, ccf_ccfaas_store **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* NULL is a no-op. */
void ccf_ccfaas_store_close(ccf_ccfaas_store *s);
/* True when other CCFaaS processes may share the database (PostgreSQL). */
bool ccf_ccfaas_store_shared(const ccf_ccfaas_store *s);
/* Where the store is, fit for logs (a URL without its password). */
const char *ccf_ccfaas_store_name(const ccf_ccfaas_store *s);

/* Functions. policy_hash is the sha256 hex of the policy text; file writes
 * give it back so that a function deleted and registered again with another
 * policy in the meantime is noticed (CONFLICT). */
ccf_store_rc ccf_ccfaas_store_function_add(ccf_ccfaas_store *s, const char *name, const char *policy,
                                           size_t len, const char *policy_hash, const char *owner,
                                           char *err, size_t err_size);
/* *owner (caller frees): who registered the function ("" before owners existed). */
ccf_store_rc ccf_ccfaas_store_function_owner(ccf_ccfaas_store *s, const char *name, char **owner,
                                             char *err, size_t err_size);
/* *policy (NUL-terminated, caller frees) and *created; either may be NULL. */
ccf_store_rc ccf_ccfaas_store_function_get(ccf_ccfaas_store *s, const char *name, char **policy,
                                           size_t *len, int64_t *created, char *err,
                                           size_t err_size);
/* *out = [{"function","created","policy_hash","programs_uploaded","data_files_uploaded",
 * "instances","owner"}...] by name; caller decrefs. */
ccf_store_rc ccf_ccfaas_store_function_list(ccf_ccfaas_store *s, json_t **out, char *err,
                                            size_t err_size);
/* CONFLICT while instances of the function exist (err says how many);
 * FORBIDDEN when owner is not NULL and not the function's owner (in the same
 * transaction). Deletes its programs and data files with it. */
ccf_store_rc ccf_ccfaas_store_function_delete(ccf_ccfaas_store *s, const char *name,
                                              const char *owner, char *err, size_t err_size);

/* Programs and data files. add: NOT_FOUND when the function is gone,
 * CONFLICT when already stored (write-once) or the function's policy changed,
 * QUOTA when the function's owner would hold more bytes than its quota. */
ccf_store_rc ccf_ccfaas_store_file_add(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                       const char *function, const char *policy_hash,
                                       const char *name, const char *sha256, const void *bytes,
                                       size_t len, char *err, size_t err_size);
/* *out = {"sha256","size","created"} of a stored file (NOT_FOUND when not uploaded). */
ccf_store_rc ccf_ccfaas_store_file_get(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                       const char *function, const char *name, json_t **out,
                                       char *err, size_t err_size);
ccf_store_rc ccf_ccfaas_store_file_delete(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                          const char *function, const char *name, char *err,
                                          size_t err_size);
/* Writes the stored bytes to `path` (created 0600, replaced), streaming. */
ccf_store_rc ccf_ccfaas_store_file_export(ccf_ccfaas_store *s, ccf_store_file_kind kind,
                                          const char *function, const char *name,
                                          const char *path, char *err, size_t err_size);

/* Sets the quotas (default: none). Before the store is shared between threads. */
void ccf_ccfaas_store_set_quotas(ccf_ccfaas_store *s, const ccf_store_quotas *q);
/* Who reserves instances from now on (a replica's id, at most 63 bytes;
 * default ""). Before the store is shared between threads. */
void ccf_ccfaas_store_set_creator(ccf_ccfaas_store *s, const char *creator);
/* What an owner uses of its quotas; FAILED on a database error. */
ccf_store_rc ccf_ccfaas_store_usage(ccf_ccfaas_store *s, const char *owner, int64_t *instances,
                                    int64_t *bytes, char *err, size_t err_size);

/* Instances. reserve: a "creating" row, in one transaction with the checks:
 * NOT_FOUND when the function is missing; CONFLICT when the name is taken
 * (the owner's own ended instance of that name is replaced), QUOTA when the
 * owner has its quota of live instances,
 * the function's policy is not policy_hash any more, or one of the needed
 * programs / data files is not uploaded (err names it). */
ccf_store_rc ccf_ccfaas_store_instance_reserve(ccf_ccfaas_store *s, const char *name,
                                               const char *function, const char *fn_policy_hash,
                                               const char *const *programs, size_t nprograms,
                                               const char *const *data_files, size_t ndata,
                                               const char *owner, char *err, size_t err_size);
/* Marks an instance whose runtime ended ("exited" or "gone"); it stays
 * listed until deleted. NOT_FOUND when missing or marked already. */
ccf_store_rc ccf_ccfaas_store_instance_set_ended(ccf_ccfaas_store *s, const char *name,
                                                 const char *how, char *err, size_t err_size);
/* Records what VaaS answered (still "creating"). */
ccf_store_rc ccf_ccfaas_store_instance_set_vaas(ccf_ccfaas_store *s, const char *name,
                                                const char *instance_hash, const char *policy,
                                                size_t len, const char *policy_hash, char *err,
                                                size_t err_size);
ccf_store_rc ccf_ccfaas_store_instance_set_ready(ccf_ccfaas_store *s, const char *name, char *err,
                                                 size_t err_size);
ccf_store_rc ccf_ccfaas_store_instance_get(ccf_ccfaas_store *s, const char *name,
                                           ccf_store_instance *out, char *err, size_t err_size);
/* Every instance (by name), optionally only those in `state` (NULL = all).
 * *rows is an array of *count rows: ccf_ccfaas_store_instances_free(). */
ccf_store_rc ccf_ccfaas_store_instance_list(ccf_ccfaas_store *s, const char *state,
                                            ccf_store_instance **rows, size_t *count, char *err,
                                            size_t err_size);
/* owner NULL = whoever owns it; else FORBIDDEN when it is another's. */
ccf_store_rc ccf_ccfaas_store_instance_delete(ccf_ccfaas_store *s, const char *name,
                                              const char *owner, char *err, size_t err_size);
void ccf_ccfaas_store_instance_clear(ccf_store_instance *row);
void ccf_ccfaas_store_instances_free(ccf_store_instance *rows, size_t count);

/* Counts for metrics: functions, instances creating, instances ready. */
ccf_store_rc ccf_ccfaas_store_counts(ccf_ccfaas_store *s, int64_t *functions, int64_t *creating,
                                     int64_t *ready);

#endif
