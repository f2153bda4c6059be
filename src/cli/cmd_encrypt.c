/* `ccfaas encrypt` and `ccfaas decrypt`: the envelope of encrypted programs
 * and data files (src/envelope, docs/kbs.md). The key is a file of 32 raw
 * bytes, the one `ccfaas kbs put` stores; only instances the key broker's
 * rules allow get it. With --stream: the chunked format CCFSTR01
 * (src/envelope/stream.h, docs/guest-crypto.md) in constant memory, for
 * streams a guest decrypts with the ccfaas_crypto module. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/file.h"
#include "envelope/envelope.h"
#include "envelope/stream.h"

/* Reads a key file: exactly 32 bytes. */
static bool read_key(const char *cmd, const char *path, uint8_t key[CCF_GCM_KEY_LEN])
{
    char *text = NULL, err[512];
    size_t len = 0;
    if (ccf_file_read(path, 4096, &text, &len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: --key %s: %s\n", cmd, path, err);
        return false;
    }
    bool ok = len == CCF_GCM_KEY_LEN;
    if (ok)
        memcpy(key, text, CCF_GCM_KEY_LEN);
    else
        fprintf(stderr, "ccfaas %s: --key %s: %zu bytes; a key is exactly 32 raw bytes (make one "
                        "with `ccfaas encrypt --new-key FILE`)\n", cmd, path, len);
    OPENSSL_cleanse(text, len);
    free(text);
    return ok;
}

/* Writes data to path ("-" = stdout); an existing file only with force. */
static bool write_out(const char *cmd, const char *path, const void *data, size_t len,
                      mode_t mode, bool force)
{
    char err[512];
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0)
            return true;
        fprintf(stderr, "ccfaas %s: standard output: %s\n", cmd, strerror(errno));
        return false;
    }
    if (ccf_file_write_atomic(path, data, len, mode, !force, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s%s\n", cmd, err,
                access(path, F_OK) == 0 && !force ? " (it exists: --force replaces it)" : "");
        return false;
    }
    return true;
}

/* ---- --stream: CCFSTR01 in constant memory ------------------------------------ */

/* Where a stream's output goes: stdout, or OUT written atomically (common/file.h:
 * a temporary file beside it until everything was written; nothing partial is left). */
struct sink {
    const char *path;
    bool to_stdout;
    ccf_atomic_file file;
};

static bool sink_open(const char *cmd, const char *path, mode_t mode, bool force, struct sink *s)
{
    char err[512];
    memset(s, 0, sizeof *s);
    s->path = path;
    s->file.fd = -1;
    if (strcmp(path, "-") == 0) {
        s->to_stdout = true;
        return true;
    }
    if (!force && access(path, F_OK) == 0) {
        fprintf(stderr, "ccfaas %s: %s exists (--force replaces it)\n", cmd, path);
        return false;
    }
    if (ccf_atomic_file_open(&s->file, path, mode, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd, err);
        return false;
    }
    return true;
}

static bool sink_write(const char *cmd, struct sink *s, const void *data, size_t len)
{
    char err[512];
    if (s->to_stdout) {
        if (len == 0 || fwrite(data, 1, len, stdout) == len)
            return true;
        fprintf(stderr, "ccfaas %s: standard output: %s\n", cmd, strerror(errno));
        return false;
    }
    if (ccf_atomic_file_write(&s->file, data, len, err, sizeof err) == CCF_OK)
        return true;
    fprintf(stderr, "ccfaas %s: %s\n", cmd, err);
    return false;
}

/* ok: make the file OUT (replacing it only with force); else remove the temporary file. */
static bool sink_close(const char *cmd, struct sink *s, bool ok, bool force)
{
    char err[512];
    if (s->to_stdout) {
        if (fflush(stdout) == 0)
            return ok;
        fprintf(stderr, "ccfaas %s: standard output: %s\n", cmd, strerror(errno));
        return false;
    }
    if (!ok) {
        ccf_atomic_file_abandon(&s->file);
        return false;
    }
    if (ccf_atomic_file_commit(&s->file, !force, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s\n", cmd, err);
        return false;
    }
    return true;
}

/* Reads up to n bytes (fewer only at end of file); SIZE_MAX on a read error. */
static size_t read_full(FILE *f, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t r = fread(buf + got, 1, n - got, f);
        if (r == 0)
            return ferror(f) ? SIZE_MAX : got;
        got += r;
    }
    return got;
}

static FILE *open_in(const char *cmd, const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        fprintf(stderr, "ccfaas %s: %s: %s\n", cmd, path, strerror(errno));
    return f;
}

/* Seals in into the sink record by record: a full chunk is final only when
 * nothing follows it (one byte of lookahead). */
static bool stream_seal_file(const uint8_t key[CCF_GCM_KEY_LEN], const char *in, FILE *f,
                             uint32_t chunk, struct sink *out, uint64_t *total, uint64_t *records)
{
    uint8_t header[CCF_STREAM_HEADER_LEN], *buf = malloc(chunk);
    uint8_t *rec = malloc((size_t)chunk + CCF_STREAM_RECORD_OVERHEAD);
    ccf_stream *s = NULL;
    char err[512];
    bool ok = false;
    size_t have;
    *total = *records = 0;
    if (buf == NULL || rec == NULL) {
        fprintf(stderr, "ccfaas encrypt: out of memory\n");
        goto out;
    }
    if (ccf_stream_sealer_new(key, chunk, header, &s, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas encrypt: %s\n", err);
        goto out;
    }
    if (!sink_write("encrypt", out, header, sizeof header))
        goto out;
    have = read_full(f, buf, chunk);
    for (;;) {
        int next = EOF;
        size_t rl = 0;
        if (have == SIZE_MAX)
            break;
        if (have == chunk)
            next = fgetc(f);
        if (ferror(f))
            break;
        bool final = next == EOF;
        if (ccf_stream_seal(s, buf, have, final, rec, &rl, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas encrypt: %s\n", err);
            goto out;
        }
        if (!sink_write("encrypt", out, rec, rl))
            goto out;
        *total += have;
        (*records)++;
        if (final) {
            ok = true;
            goto out;
        }
        buf[0] = (uint8_t)next;
        have = read_full(f, buf + 1, chunk - 1);
        if (have != SIZE_MAX)
            have++;
    }
    fprintf(stderr, "ccfaas encrypt: %s: %s\n", in, strerror(errno));
out:
    if (buf != NULL)
        OPENSSL_cleanse(buf, chunk);
    free(buf);
    free(rec);
    ccf_stream_free(s);
    return ok;
}

/* Opens a CCFSTR01 stream record by record into the sink; any refusal (a
 * truncated, tampered or extended stream) fails. */
static bool stream_open_file(const uint8_t key[CCF_GCM_KEY_LEN], const char *in, FILE *f,
                             struct sink *out, uint64_t *total)
{
    uint8_t header[CCF_STREAM_HEADER_LEN], *rec = NULL, *plain = NULL;
    ccf_stream *s = NULL;
    char err[512];
    bool ok = false;
    size_t n = read_full(f, header, sizeof header);
    *total = 0;
    if (n == SIZE_MAX)
        goto read_error;
    if (ccf_stream_opener_new(key, header, n, &s, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas decrypt: %s: %s\n", in, err);
        goto out;
    }
    uint32_t chunk = ccf_stream_chunk_size(s);
    if ((rec = malloc((size_t)chunk + CCF_STREAM_RECORD_OVERHEAD)) == NULL ||
        (plain = malloc(chunk)) == NULL) {
        fprintf(stderr, "ccfaas decrypt: out of memory\n");
        goto out;
    }
    for (;;) {
        size_t l = 0, got = 0;
        bool final = false;
        if ((n = read_full(f, rec, CCF_STREAM_LEN_FIELD)) == SIZE_MAX)
            goto read_error;
        if (n == 0)
            break; /* ccf_stream_finish says whether that was the end */
        if (n < CCF_STREAM_LEN_FIELD) {
            fprintf(stderr, "ccfaas decrypt: %s: truncated in the length field of record %llu\n",
                    in, (unsigned long long)ccf_stream_index(s));
            goto out;
        }
        if (ccf_stream_len_parse(chunk, rec, &l, &final, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas decrypt: %s: record %llu: %s\n", in,
                    (unsigned long long)ccf_stream_index(s), err);
            goto out;
        }
        if ((n = read_full(f, rec + CCF_STREAM_LEN_FIELD, l + CCF_GCM_TAG_LEN)) == SIZE_MAX)
            goto read_error;
        if (n < l + CCF_GCM_TAG_LEN) {
            fprintf(stderr, "ccfaas decrypt: %s: truncated in record %llu\n", in,
                    (unsigned long long)ccf_stream_index(s));
            goto out;
        }
        if (ccf_stream_open(s, rec, l + CCF_STREAM_RECORD_OVERHEAD, plain, chunk, &got, &final,
                            err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas decrypt: %s: %s\n", in, err);
            goto out;
        }
        if (!sink_write("decrypt", out, plain, got))
            goto out;
        *total += got;
        if (final) {
            int c = fgetc(f);
            if (ferror(f))
                goto read_error;
            if (c != EOF) {
                fprintf(stderr, "ccfaas decrypt: %s: bytes after the final record\n", in);
                goto out;
            }
            break;
        }
    }
    if (ccf_stream_finish(s, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas decrypt: %s: %s\n", in, err);
        goto out;
    }
    ok = true;
    goto out;
read_error:
    fprintf(stderr, "ccfaas decrypt: %s: %s\n", in, strerror(errno));
out:
    if (plain != NULL)
        OPENSSL_cleanse(plain, ccf_stream_chunk_size(s));
    free(plain);
    free(rec);
    ccf_stream_free(s);
    return ok;
}

/* `ccfaas encrypt --stream`: the key (read, or made and written once OUT is). */
static int encrypt_stream(const char *in, const char *out, const char *key_path,
                          const char *new_key, long chunk, bool force)
{
    uint8_t key[CCF_GCM_KEY_LEN];
    uint64_t total = 0, records = 0;
    struct sink sink;
    FILE *f = NULL;
    int rc = CCF_EXIT_FAIL;
    if (new_key != NULL && access(new_key, F_OK) == 0) {
        fprintf(stderr, "ccfaas encrypt: --new-key %s exists (never overwritten)\n", new_key);
        return rc;
    }
    if (key_path != NULL ? !read_key("encrypt", key_path, key) : RAND_bytes(key, sizeof key) != 1)
        goto out;
    if ((f = open_in("encrypt", in)) == NULL)
        goto out;
    if (!sink_open("encrypt", out, 0644, force, &sink))
        goto out;
    bool ok = stream_seal_file(key, in, f, (uint32_t)chunk, &sink, &total, &records);
    /* the new key before OUT becomes visible; OUT not made takes its new key with it */
    if (ok && new_key != NULL && !write_out("encrypt", new_key, key, sizeof key, 0600, false))
        ok = false;
    if (!sink_close("encrypt", &sink, ok, force)) {
        if (ok && new_key != NULL)
            unlink(new_key);
        goto out;
    }
    fprintf(strcmp(out, "-") == 0 ? stderr : stdout,
            "encrypted %s (%llu bytes, %llu records of at most %ld) into %s as a CCFSTR01 "
            "stream%s%s\n", in, (unsigned long long)total, (unsigned long long)records, chunk,
            out, new_key ? "; new key in " : "", new_key ? new_key : "");
    rc = CCF_EXIT_OK;
out:
    OPENSSL_cleanse(key, sizeof key);
    if (f != NULL && f != stdin)
        fclose(f);
    return rc;
}

static int decrypt_stream(const char *in, const char *out, const char *key_path, bool force)
{
    uint8_t key[CCF_GCM_KEY_LEN];
    uint64_t total = 0;
    struct sink sink;
    FILE *f = NULL;
    int rc = CCF_EXIT_FAIL;
    if (!read_key("decrypt", key_path, key) || (f = open_in("decrypt", in)) == NULL)
        goto out;
    if (!sink_open("decrypt", out, 0600, force, &sink))
        goto out;
    bool ok = stream_open_file(key, in, f, &sink, &total);
    if (!sink_close("decrypt", &sink, ok, force))
        goto out;
    if (strcmp(out, "-") != 0)
        printf("decrypted %s (%llu bytes) into %s\n", in, (unsigned long long)total, out);
    rc = CCF_EXIT_OK;
out:
    OPENSSL_cleanse(key, sizeof key);
    if (f != NULL && f != stdin)
        fclose(f);
    return rc;
}

int ccf_cmd_encrypt(int argc, char **argv)
{
    const char *resource = NULL, *key_path = NULL, *new_key = NULL, *out = NULL;
    bool force = false, stream = false;
    long chunk = CCF_STREAM_DEFAULT_CHUNK;
    ccf_opt_args args = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "encrypt", .args = "FILE", .min_args = 1, .max_args = 1,
        .about = "Encrypts FILE (a program or data file; - = stdin) into an envelope that only an\n"
                 "instance the key broker releases the key to can open (AES-256-GCM; the header\n"
                 "names the key's resource path and the plaintext's SHA-256: docs/kbs.md). Give\n"
                 "--key FILE (32 raw bytes) or --new-key FILE (made, mode 0600), then store the\n"
                 "key with `ccfaas kbs put RESOURCE KEYFILE`. The policy's pi_hash stays the\n"
                 "plaintext's SHA-256.\n"
                 "With --stream: the chunked format CCFSTR01 instead (docs/guest-crypto.md), in\n"
                 "constant memory, for programs that decrypt as they read with the guest crypto\n"
                 "module; no --kbs-resource (the key goes to the program, wrapped to its public\n"
                 "key).\n"};
    const ccf_opt opts[] = {
        {.name = "kbs-resource", .kind = CCF_OPT_STRING, .dest = &resource, .value = "R/T/G",
         .nonempty = true, .help = "the key broker path of the key (required)"},
        {.name = "key", .kind = CCF_OPT_STRING, .dest = &key_path, .value = "FILE",
         .nonempty = true, .help = "the key: a file of 32 raw bytes"},
        {.name = "new-key", .kind = CCF_OPT_STRING, .dest = &new_key, .value = "FILE",
         .nonempty = true, .help = "make a random key and write it to FILE (0600; never\n"
                                   "overwritten)"},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &out,
         .value = "OUT", .nonempty = true, .help = "the envelope (default FILE.enc; - = stdout)"},
        {.name = "force", .kind = CCF_OPT_FLAG, .dest = &force, .help = "replace OUT if it exists"},
        {.name = "stream", .kind = CCF_OPT_FLAG, .dest = &stream,
         .help = "write a CCFSTR01 stream (AES-256-GCM in chunks), not an envelope"},
        {.name = "chunk-size", .kind = CCF_OPT_NUM, .dest = &chunk, .value = "BYTES",
         .min = CCF_STREAM_MIN_CHUNK, .max = CCF_STREAM_MAX_CHUNK,
         .help = "--stream: plaintext bytes per record (default 65536)"},
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        return rc;
    const char *in = args.items[0];
    uint8_t key[CCF_GCM_KEY_LEN], *env = NULL;
    char *plain = NULL, *dflt = NULL, err[512];
    size_t plen = 0, elen = 0;
    rc = CCF_EXIT_USAGE;
    if (stream && resource != NULL) {
        fprintf(stderr, "ccfaas encrypt: --stream takes no --kbs-resource (the key goes to the "
                        "program, wrapped to its public key: docs/guest-crypto.md)\n");
        goto out;
    }
    if (!stream && chunk != CCF_STREAM_DEFAULT_CHUNK) {
        fprintf(stderr, "ccfaas encrypt: --chunk-size is for --stream\n");
        goto out;
    }
    if (resource == NULL && !stream) {
        fprintf(stderr, "ccfaas encrypt: --kbs-resource R/T/G is required (the key broker path "
                        "the instance will fetch the key from)\n");
        goto out;
    }
    if (!stream && !ccf_kbs_path_ok(resource)) {
        fprintf(stderr, "ccfaas encrypt: --kbs-resource '%s': expected REPOSITORY/TYPE/TAG, each "
                        "1-128 of A-Z a-z 0-9 . _ -\n", resource);
        goto out;
    }
    if ((key_path == NULL) == (new_key == NULL)) {
        fprintf(stderr, "ccfaas encrypt: give exactly one of --key FILE and --new-key FILE\n");
        goto out;
    }
    if (out == NULL) {
        if (strcmp(in, "-") == 0) {
            fprintf(stderr, "ccfaas encrypt: reading stdin: give -o OUT (- = stdout)\n");
            goto out;
        }
        size_t n = strlen(in) + sizeof ".enc";
        if ((dflt = malloc(n)) == NULL)
            goto out;
        snprintf(dflt, n, "%s.enc", in);
        out = dflt;
    }
    if (stream) {
        rc = encrypt_stream(in, out, key_path, new_key, chunk, force);
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    /* check the output before anything is made, so that a failure leaves no key behind */
    if (strcmp(out, "-") != 0 && !force && access(out, F_OK) == 0) {
        fprintf(stderr, "ccfaas encrypt: %s exists (--force replaces it)\n", out);
        goto out;
    }
    if (ccf_file_read(in, (size_t)CCF_ENVELOPE_MAX_PLAINTEXT, &plain, &plen, err, sizeof err) !=
        CCF_OK) {
        fprintf(stderr, "ccfaas encrypt: %s: %s\n", in, err);
        goto out;
    }
    if (key_path != NULL ? !read_key("encrypt", key_path, key) : RAND_bytes(key, sizeof key) != 1)
        goto out;
    if (ccf_envelope_seal(key, resource, (const uint8_t *)plain, plen, &env, &elen, err,
                          sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas encrypt: %s\n", err);
        goto out;
    }
    /* the new key first (never over an existing file), then the envelope; an
     * envelope that cannot be written takes its new key with it */
    if (new_key != NULL && !write_out("encrypt", new_key, key, sizeof key, 0600, false))
        goto out;
    if (!write_out("encrypt", out, env, elen, 0644, force)) {
        if (new_key != NULL)
            unlink(new_key);
        goto out;
    }
    fprintf(strcmp(out, "-") == 0 ? stderr : stdout,
            "encrypted %s (%zu bytes) into %s for key broker resource %s%s%s\n", in, plen, out,
            resource, new_key ? "; new key in " : "", new_key ? new_key : "");
    rc = CCF_EXIT_OK;
out:
    OPENSSL_cleanse(key, sizeof key);
    if (plain != NULL)
        OPENSSL_cleanse(plain, plen);
    free(plain);
    free(env);
    free(dflt);
    ccf_opt_args_free(&args);
    return rc;
}

int ccf_cmd_decrypt(int argc, char **argv)
{
    const char *key_path = NULL, *out = NULL;
    bool force = false, info_only = false, stream = false;
    ccf_opt_args args = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "decrypt", .args = "ENVELOPE", .min_args = 1, .max_args = 1,
        .about = "Opens an envelope made by `ccfaas encrypt` (to check one; instances open theirs\n"
                 "with the key the key broker releases to them). --info prints its header only,\n"
                 "no key needed. With --stream: opens a CCFSTR01 stream (ENVELOPE - = stdin) in\n"
                 "constant memory; a truncated, reordered or changed stream fails and leaves no\n"
                 "OUT file (to stdout, what authenticated before the failure was written).\n"};
    const ccf_opt opts[] = {
        {.name = "key", .kind = CCF_OPT_STRING, .dest = &key_path, .value = "FILE",
         .nonempty = true, .help = "the key: a file of 32 raw bytes"},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &out,
         .value = "OUT", .nonempty = true, .help = "the plaintext (required with --key; - = stdout)"},
        {.name = "force", .kind = CCF_OPT_FLAG, .dest = &force, .help = "replace OUT if it exists"},
        {.name = "info", .kind = CCF_OPT_FLAG, .dest = &info_only,
         .help = "print the header (resource, plaintext size and SHA-256)"},
        {.name = "stream", .kind = CCF_OPT_FLAG, .dest = &stream,
         .help = "ENVELOPE is a CCFSTR01 stream (`ccfaas encrypt --stream`)"},
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        return rc;
    const char *in = args.items[0];
    uint8_t key[CCF_GCM_KEY_LEN], *plain = NULL;
    char *env = NULL, err[512];
    size_t elen = 0;
    ccf_envelope_info info = {0};
    rc = CCF_EXIT_USAGE;
    if (!info_only && (key_path == NULL || out == NULL)) {
        fprintf(stderr, "ccfaas decrypt: give --key FILE and -o OUT (or --info)\n");
        goto out;
    }
    if (stream && info_only) {
        fprintf(stderr, "ccfaas decrypt: --info is for envelopes, not --stream\n");
        goto out;
    }
    if (stream) {
        rc = decrypt_stream(in, out, key_path, force);
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (ccf_file_read(in, (size_t)CCF_ENVELOPE_MAX_PLAINTEXT + 2 * CCF_ENVELOPE_MAX_HEADER, &env,
                      &elen, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas decrypt: %s: %s\n", in, err);
        goto out;
    }
    if (info_only) {
        if (ccf_envelope_parse((const uint8_t *)env, elen, &info, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas decrypt: %s: %s\n", in, err);
            goto out;
        }
        printf("kbs_resource: %s\nplaintext_size: %llu\nplaintext_sha256: %s\n",
               info.kbs_resource, (unsigned long long)info.plaintext_size,
               info.plaintext_sha256);
        rc = CCF_EXIT_OK;
        goto out;
    }
    if (!read_key("decrypt", key_path, key))
        goto out;
    if (ccf_envelope_open(key, (const uint8_t *)env, elen, &plain, &info, err, sizeof err) !=
        CCF_OK) {
        fprintf(stderr, "ccfaas decrypt: %s: %s\n", in, err);
        goto out;
    }
    if (write_out("decrypt", out, plain, (size_t)info.plaintext_size, 0600, force))
        rc = CCF_EXIT_OK;
out:
    OPENSSL_cleanse(key, sizeof key);
    ccf_envelope_free(plain, (size_t)info.plaintext_size);
    free(env);
    ccf_opt_args_free(&args);
    return rc;
}
