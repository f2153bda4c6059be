/* Test helper for tests/jose/interop: ccfaas's side of the JOSE operations,
 * reading its input from stdin and writing the result to stdout.
 *   jose-tool jwk PUB.pem [ALG]          the public key as a JWK
 *   jose-tool encrypt JWK.json           plaintext → flattened JWE (alg from the JWK)
 *   jose-tool decrypt KEY.pem            flattened JWE → plaintext
 *   jose-tool jwt-sign KEY.pem           claims JSON → compact JWT
 *   jose-tool jwt-verify PUB.pem NOW     compact JWT → claims (JCS)
 *   jose-tool jcs                        JSON → RFC 8785 canonical JSON
 *   jose-tool jcs-numbers                lines of 16 hex digits (IEEE bits) → numbers
 * Exit 0 on success, 1 with the error on stderr. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "jose/jose.h"

static char err[512];

static char *read_all(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap * 2 + 1);
            if (b == NULL) {
                free(buf);
                return NULL;
            }
            buf = b;
            cap *= 2;
        }
    }
    if (buf != NULL)
        buf[n] = 0;
    *len = n;
    return buf;
}

static EVP_PKEY *load_key(const char *path, int private_key)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = NULL;
    if (f != NULL) {
        k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
                        : PEM_read_PUBKEY(f, NULL, NULL, NULL);
        fclose(f);
    }
    if (k == NULL) {
        fprintf(stderr, "jose-tool: cannot read %s key %s\n", private_key ? "private" : "public",
                path);
        exit(1);
    }
    return k;
}

static int fail(ccf_err e)
{
    fprintf(stderr, "jose-tool: %s: %s\n", ccf_strerror(e), err);
    return 1;
}

static int print_json(json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    puts(s);
    free(s);
    json_decref(v);
    return 0;
}

int main(int argc, char **argv)
{
    size_t len = 0;
    ccf_err e;
    if (argc < 2) {
        fprintf(stderr, "usage: jose-tool jwk|encrypt|decrypt|jwt-sign|jwt-verify|jcs|jcs-numbers ...\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "jwk") == 0 && argc >= 3) {
        EVP_PKEY *k = load_key(argv[2], 0);
        json_t *jwk = NULL;
        if ((e = ccf_jwk_from_key(k, argc > 3 ? argv[3] : NULL, &jwk, err, sizeof err)) != CCF_OK)
            return fail(e);
        EVP_PKEY_free(k);
        return print_json(jwk);
    }
    if (strcmp(cmd, "encrypt") == 0 && argc == 3) {
        json_error_t jerr;
        json_t *jwk = json_load_file(argv[2], 0, &jerr), *jwe = NULL;
        char *in = read_all(stdin, &len);
        if (jwk == NULL || in == NULL) {
            fprintf(stderr, "jose-tool: cannot read %s\n", argv[2]);
            return 1;
        }
        if ((e = ccf_jwe_encrypt_to_jwk(jwk, in, len, &jwe, err, sizeof err)) != CCF_OK)
            return fail(e);
        free(in);
        json_decref(jwk);
        return print_json(jwe);
    }
    if (strcmp(cmd, "decrypt") == 0 && argc == 3) {
        EVP_PKEY *k = load_key(argv[2], 1);
        char *in = read_all(stdin, &len);
        uint8_t *pt = NULL;
        size_t ptlen = 0;
        if ((e = ccf_jwe_decrypt_text(in, len, k, &pt, &ptlen, err, sizeof err)) != CCF_OK)
            return fail(e);
        fwrite(pt, 1, ptlen, stdout);
        ccf_jose_secret_free(pt, ptlen);
        free(in);
        EVP_PKEY_free(k);
        return 0;
    }
    if (strcmp(cmd, "jwt-sign") == 0 && argc == 3) {
        EVP_PKEY *k = load_key(argv[2], 1);
        json_t *claims = json_loadf(stdin, 0, NULL);
        char *tok = NULL;
        if ((e = ccf_jwt_sign(k, claims, &tok, err, sizeof err)) != CCF_OK)
            return fail(e);
        puts(tok);
        free(tok);
        json_decref(claims);
        EVP_PKEY_free(k);
        return 0;
    }
    if (strcmp(cmd, "jwt-verify") == 0 && argc == 4) {
        EVP_PKEY *k = load_key(argv[2], 0);
        char *in = read_all(stdin, &len);
        while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
            len--;
        json_t *claims = NULL;
        if ((e = ccf_jwt_verify(in, len, k, strtoll(argv[3], NULL, 10), 0, CCF_JWT_REQUIRE_EXP,
                                &claims, err, sizeof err)) != CCF_OK)
            return fail(e);
        free(in);
        EVP_PKEY_free(k);
        return print_json(claims);
    }
    if (strcmp(cmd, "jcs") == 0) {
        char *in = read_all(stdin, &len);
        json_error_t jerr;
        json_t *v = json_loadb(in, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
        if (v == NULL) {
            fprintf(stderr, "jose-tool: not JSON: %s\n", jerr.text);
            return 1;
        }
        ccf_dynbuf b;
        ccf_dynbuf_init(&b, 1 << 24);
        if ((e = ccf_jcs_serialize(v, &b, err, sizeof err)) != CCF_OK)
            return fail(e);
        fwrite(b.p, 1, b.len, stdout);
        ccf_dynbuf_free(&b);
        json_decref(v);
        free(in);
        return 0;
    }
    if (strcmp(cmd, "jcs-numbers") == 0) {
        char line[64], num[40];
        while (fgets(line, sizeof line, stdin) != NULL) {
            uint64_t bits = strtoull(line, NULL, 16);
            double d;
            memcpy(&d, &bits, sizeof d);
            if (ccf_jcs_number(d, num, sizeof num) != CCF_OK)
                snprintf(num, sizeof num, "invalid");
            puts(num);
        }
        return 0;
    }
    fprintf(stderr, "jose-tool: unknown command or arguments\n");
    return 2;
}
