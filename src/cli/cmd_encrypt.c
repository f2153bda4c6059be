/* `ccfaas encrypt` and `ccfaas decrypt`: the envelope of encrypted programs
 * and data files (src/envelope, docs/kbs.md). The key is a file of 32 raw
 * bytes, the one `ccfaas kbs put` stores; only instances the key broker's
 * rules allow get it. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/file.h"
#include "envelope/envelope.h"

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

int ccf_cmd_encrypt(int argc, char **argv)
{
    const char *resource = NULL, *key_path = NULL, *new_key = NULL, *out = NULL;
    bool force = false;
    ccf_opt_args args = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "encrypt", .args = "FILE", .min_args = 1, .max_args = 1,
        .about = "Encrypts FILE (a program or data file; - = stdin) into an envelope that only an\n"
                 "instance the key broker releases the key to can open (AES-256-GCM; the header\n"
                 "names the key's resource path and the plaintext's SHA-256: docs/kbs.md). Give\n"
                 "--key FILE (32 raw bytes) or --new-key FILE (made, mode 0600), then store the\n"
                 "key with `ccfaas kbs put RESOURCE KEYFILE`. The policy's pi_hash stays the\n"
                 "plaintext's SHA-256.\n"};
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
        {0}};
    int rc = ccf_opt_run(&cmd, opts, argc, argv, &args);
    if (rc >= 0)
        return rc;
    const char *in = args.items[0];
    uint8_t key[CCF_GCM_KEY_LEN], *env = NULL;
    char *plain = NULL, *dflt = NULL, err[512];
    size_t plen = 0, elen = 0;
    rc = CCF_EXIT_USAGE;
    if (resource == NULL) {
        fprintf(stderr, "ccfaas encrypt: --kbs-resource R/T/G is required (the key broker path "
                        "the instance will fetch the key from)\n");
        goto out;
    }
    if (!ccf_kbs_path_ok(resource)) {
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
    bool force = false, info_only = false;
    ccf_opt_args args = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "decrypt", .args = "ENVELOPE", .min_args = 1, .max_args = 1,
        .about = "Opens an envelope made by `ccfaas encrypt` (to check one; instances open theirs\n"
                 "with the key the key broker releases to them). --info prints its header only,\n"
                 "no key needed.\n"};
    const ccf_opt opts[] = {
        {.name = "key", .kind = CCF_OPT_STRING, .dest = &key_path, .value = "FILE",
         .nonempty = true, .help = "the key: a file of 32 raw bytes"},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &out,
         .value = "OUT", .nonempty = true, .help = "the plaintext (required with --key; - = stdout)"},
        {.name = "force", .kind = CCF_OPT_FLAG, .dest = &force, .help = "replace OUT if it exists"},
        {.name = "info", .kind = CCF_OPT_FLAG, .dest = &info_only,
         .help = "print the header (resource, plaintext size and SHA-256)"},
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
