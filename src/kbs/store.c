/* Resource store (kbs.h): SQLite file DATA/kbs.db; each resource encrypted at
 * rest with AES-256-GCM (OpenSSL EVP) under a key kept outside the database,
 * DATA/kbs-storage.key (32 random bytes, 0600, made on first open). Stored
 * blob = IV (12) || ciphertext || tag (16); AAD = "ccfaas-kbs-resource-v1" NUL
 * path, so a blob moved to another path does not decrypt. The rule set is not
 * secret and is stored as text. One connection, serialised by a mutex. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/pki.h"
#include "common/crypto.h"
#include "common/file.h"
#include "jose/jose.h"
#include "kbs/kbs.h"

#define KEY_LEN 32
#define IV_LEN 12
#define TAG_LEN 16
#define AAD_PREFIX "ccfaas-kbs-resource-v1"

struct ccf_kbs_store {
    sqlite3 *db;
    pthread_mutex_t mu;
    uint8_t *key; /* secure heap */
};

static ccf_err load_key(const char *data_dir, uint8_t *key, char *err, size_t errsz)
{
    char path[4096];
    char *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", data_dir, CCF_KBS_STORAGE_KEY_FILE);
    ccf_err rc = ccf_file_read(path, KEY_LEN + 1, &text, &len, err, errsz);
    if (rc == CCF_OK) {
        if (len != KEY_LEN)
            rc = ccf_errf(err, errsz, CCF_ERR_INVALID, "%s: expected %d bytes", path, KEY_LEN);
        else
            memcpy(key, text, KEY_LEN);
        OPENSSL_cleanse(text, len);
        free(text);
        return rc;
    }
    if (access(path, F_OK) == 0)
        return rc;
    if (RAND_priv_bytes(key, KEY_LEN) != 1)
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "no random bytes");
    return ccf_file_write_atomic(path, key, KEY_LEN, 0600, true, err, errsz);
}

ccf_err ccf_kbs_store_open(const char *data_dir, ccf_kbs_store **out, char *err, size_t errsz)
{
    ccf_kbs_store *s = NULL;
    char path[4096];
    ccf_err rc;
    *out = NULL;
    if ((rc = ccf_pki_mkdir(data_dir, err, errsz)) != CCF_OK)
        return rc;
    if ((s = calloc(1, sizeof *s)) == NULL)
        return CCF_ERR_NOMEM;
    pthread_mutex_init(&s->mu, NULL);
    if ((s->key = OPENSSL_secure_zalloc(KEY_LEN)) == NULL) {
        rc = CCF_ERR_NOMEM;
        goto bad;
    }
    if ((rc = load_key(data_dir, s->key, err, errsz)) != CCF_OK)
        goto bad;
    snprintf(path, sizeof path, "%s/%s", data_dir, CCF_KBS_DB_FILE);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = ccf_errf(err, errsz, CCF_ERR_IO, "%s: %s", path,
                      s->db ? sqlite3_errmsg(s->db) : "cannot open");
        goto bad;
    }
    (void)chmod(path, 0600);
    char *msg = NULL;
    if (sqlite3_exec(s->db,
                     "PRAGMA journal_mode=WAL;"
                     /* a deleted resource's ciphertext is overwritten, not left in free pages */
                     "PRAGMA secure_delete=ON;"
                     "CREATE TABLE IF NOT EXISTS resources (path TEXT PRIMARY KEY, blob BLOB NOT NULL);"
                     "CREATE TABLE IF NOT EXISTS policy (id INTEGER PRIMARY KEY CHECK (id = 1),"
                     " text TEXT NOT NULL);",
                     NULL, NULL, &msg) != SQLITE_OK) {
        rc = ccf_errf(err, errsz, CCF_ERR_IO, "%s: %s", path, msg ? msg : "schema");
        sqlite3_free(msg);
        goto bad;
    }
    *out = s;
    return CCF_OK;
bad:
    ccf_kbs_store_close(s);
    return rc;
}

void ccf_kbs_store_close(ccf_kbs_store *s)
{
    if (s == NULL)
        return;
    sqlite3_close(s->db);
    OPENSSL_secure_clear_free(s->key, KEY_LEN);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* AES-256-GCM with AAD = AAD_PREFIX NUL path: a blob moved to another path
 * does not decrypt. */
static bool gcm(bool enc, const uint8_t *key, const uint8_t *iv, const char *path,
                const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
    char aad[sizeof AAD_PREFIX + 3 * CCF_KBS_MAX_SEGMENT + 3];
    size_t pl = strlen(path);
    if (len > CCF_KBS_MAX_RESOURCE || pl > sizeof aad - sizeof AAD_PREFIX)
        return false;
    memcpy(aad, AAD_PREFIX, sizeof AAD_PREFIX);
    memcpy(aad + sizeof AAD_PREFIX, path, pl);
    return ccf_aes256gcm(enc, key, iv, aad, sizeof AAD_PREFIX + pl, in, len, out, tag);
}

ccf_err ccf_kbs_store_put(ccf_kbs_store *s, const char *path, const void *data, size_t len,
                          char *err, size_t errsz)
{
    if (len > CCF_KBS_MAX_RESOURCE)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "resource larger than %u bytes",
                        CCF_KBS_MAX_RESOURCE);
    size_t bl = IV_LEN + len + TAG_LEN;
    uint8_t *blob = malloc(bl);
    sqlite3_stmt *st = NULL;
    ccf_err rc = CCF_OK;
    if (blob == NULL)
        return CCF_ERR_NOMEM;
    if (RAND_bytes(blob, IV_LEN) != 1 ||
        !gcm(true, s->key, blob, path, data, len, blob + IV_LEN, blob + IV_LEN + len)) {
        free(blob);
        return ccf_errf(err, errsz, CCF_ERR_CRYPTO, "encryption failed");
    }
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO resources (path, blob) VALUES (?, ?)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_blob(st, 2, blob, (int)bl, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = ccf_errf(err, errsz, CCF_ERR_IO, "database: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    free(blob);
    return rc;
}

ccf_err ccf_kbs_store_delete(ccf_kbs_store *s, const char *path, char *err, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    ccf_err rc = CCF_OK;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db, "DELETE FROM resources WHERE path = ?", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = ccf_errf(err, errsz, CCF_ERR_IO, "database: %s", sqlite3_errmsg(s->db));
    else if (sqlite3_changes(s->db) == 0)
        rc = ccf_errf(err, errsz, CCF_ERR_NOT_FOUND, "no resource %s", path);
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_err ccf_kbs_store_get(ccf_kbs_store *s, const char *path, uint8_t **data, size_t *len,
                          char *err, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    ccf_err rc = CCF_OK;
    uint8_t *blob = NULL;
    size_t bl = 0;
    *data = NULL;
    *len = 0;
    pthread_mutex_lock(&s->mu);
    int step = SQLITE_ERROR;
    if (sqlite3_prepare_v2(s->db, "SELECT blob FROM resources WHERE path = ?", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC) != SQLITE_OK ||
        ((step = sqlite3_step(st)) != SQLITE_ROW && step != SQLITE_DONE))
        rc = ccf_errf(err, errsz, CCF_ERR_IO, "database: %s", sqlite3_errmsg(s->db));
    else if (step == SQLITE_DONE)
        rc = ccf_errf(err, errsz, CCF_ERR_NOT_FOUND, "no resource %s", path);
    else {
        bl = (size_t)sqlite3_column_bytes(st, 0);
        if (bl < IV_LEN + TAG_LEN || bl > IV_LEN + TAG_LEN + CCF_KBS_MAX_RESOURCE ||
            (blob = malloc(bl)) == NULL)
            rc = ccf_errf(err, errsz, CCF_ERR_INVALID, "stored resource %s is malformed", path);
        else
            memcpy(blob, sqlite3_column_blob(st, 0), bl);
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    if (rc != CCF_OK) {
        free(blob);
        return rc;
    }
    size_t n = bl - IV_LEN - TAG_LEN;
    uint8_t *p = OPENSSL_secure_malloc(n + 1);
    if (p == NULL)
        rc = CCF_ERR_NOMEM;
    else if (!gcm(false, s->key, blob, path, blob + IV_LEN, n, p, blob + IV_LEN + n)) {
        OPENSSL_secure_clear_free(p, n + 1);
        rc = ccf_errf(err, errsz, CCF_ERR_CRYPTO, "stored resource %s does not decrypt", path);
    } else {
        *data = p;
        *len = n;
    }
    free(blob);
    return rc;
}

ccf_err ccf_kbs_store_put_policy(ccf_kbs_store *s, const char *text, size_t len, char *err,
                                 size_t errsz)
{
    sqlite3_stmt *st = NULL;
    ccf_err rc = CCF_OK;
    pthread_mutex_lock(&s->mu);
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO policy (id, text) VALUES (1, ?)", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, text, (int)len, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        rc = ccf_errf(err, errsz, CCF_ERR_IO, "database: %s", sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

ccf_err ccf_kbs_store_get_policy(ccf_kbs_store *s, char **text, size_t *len, char *err,
                                 size_t errsz)
{
    sqlite3_stmt *st = NULL;
    ccf_err rc = CCF_OK;
    *text = NULL;
    *len = 0;
    pthread_mutex_lock(&s->mu);
    int step = SQLITE_ERROR;
    if (sqlite3_prepare_v2(s->db, "SELECT text FROM policy WHERE id = 1", -1, &st, NULL) !=
            SQLITE_OK ||
        ((step = sqlite3_step(st)) != SQLITE_ROW && step != SQLITE_DONE))
        rc = ccf_errf(err, errsz, CCF_ERR_IO, "database: %s", sqlite3_errmsg(s->db));
    else if (step == SQLITE_DONE)
        rc = CCF_ERR_NOT_FOUND;
    else {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        if ((*text = malloc(n + 1)) == NULL)
            rc = CCF_ERR_NOMEM;
        else {
            memcpy(*text, sqlite3_column_text(st, 0), n);
            (*text)[n] = '\0';
            *len = n;
        }
    }
    sqlite3_finalize(st);
    pthread_mutex_unlock(&s->mu);
    return rc;
}
