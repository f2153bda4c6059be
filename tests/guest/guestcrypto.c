/* The guest crypto module ccfaas_crypto (docs/guest-crypto.md) end to end,
 * from a real wasm32-wasi program (wasm only: the functions are the host's).
 * Driven by tests/cli/test-guest-crypto:
 *
 *   guestcrypto exchange OUTFILE
 *     creates key pair "kp" (twice: idempotent), prints its public key PEM on
 *     stdout (after an ENOSPC probe) and flushes; then reads stdin:
 *       u32 BE n1 | wrapped key 1 (n1) | u32 BE n2 | wrapped key 2 (n2) | stream (to EOF)
 *     unwraps both into "k1" and "k2", decrypts the stream with k1 into
 *     OUTFILE, opens its first record with k2, then runs the negative cases;
 *     one line per check: "NAME: ERRNO" (ERRNO a WASI errno name).
 *   guestcrypto limits
 *     names, bad pointers and unknown keys without any key exchange.
 *   guestcrypto            (no arguments: as an instance runs it, tests/e2e/test-guest-crypto)
 *     without a file wrapped-key: creates key pair "kp" and writes public-key.pem;
 *     with it: unwraps it as key "video" and decrypts video.ccfstr into output,
 *     reading the stream record by record (one record in memory). On a refusal,
 *     output ends with "refused: ERRNO" and the exit status is 1.
 * Exit 0 when every call returned what the contract says, 1 otherwise. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccfaas_crypto.h" /* src/guestcrypto: the guest API */

#define S(s) s, sizeof s - 1
/* an address far outside any memory this program has (4 GiB - 16) */
#define BAD ((void *)(uintptr_t)0xfffffff0u)

static int failures;

static const char *ename(int32_t e)
{
    switch (e) {
    case 0: return "OK";
    case 21: return "EFAULT";
    case 25: return "EILSEQ";
    case 28: return "EINVAL";
    case 29: return "EIO";
    case 33: return "EMFILE";
    case 44: return "ENOENT";
    case 51: return "ENOSPC";
    default: return "other";
    }
}

static void check(const char *what, int32_t got, int32_t want)
{
    printf("%s: %s\n", what, ename(got));
    if (got != want) {
        printf("  FAIL: want %s\n", ename(want));
        failures++;
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint8_t *read_all(size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (n == cap && (buf = realloc(buf, cap *= 2)) == NULL)
            exit(2);
        size_t got = fread(buf + n, 1, cap - n, stdin);
        if (got == 0)
            break;
        n += got;
    }
    *len = n;
    return buf;
}

/* The size of the record at p (its len field + L + 16), or 0 past the end. */
static size_t record_size(const uint8_t *data, size_t len, size_t pos)
{
    if (pos + 4 > len)
        return 0;
    size_t r = (be32(data + pos) & 0x7fffffffu) + 20;
    return pos + r <= len ? r : 0;
}

static void limits(void)
{
    uint8_t buf[64];
    size_t n = 0;
    uint32_t h = 0, fin = 0;
    check("name empty", keypair_create("kp", 0), 28);
    check("name 65 bytes", keypair_create("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 65), 28);
    check("name with a blank", keypair_create(S("a b")), 28);
    check("name with a slash", keypair_create(S("../kp")), 28);
    check("name out of memory", keypair_create(BAD, 8), 21);
    check("pem of no key pair", public_key_pem(S("nokp"), buf, sizeof buf, &n), 44);
    check("pem buffer out of memory", public_key_pem(S("nokp"), BAD, 64, &n), 21);
    check("pem out_len out of memory", public_key_pem(S("nokp"), buf, sizeof buf, BAD), 21);
    check("unwrap with no key pair", key_unwrap(S("nokp"), buf, 32, S("k")), 44);
    check("unwrap wrapped out of memory", key_unwrap(S("nokp"), BAD, 384, S("k")), 21);
    check("open with no key", stream_open(S("nokey"), buf, 24, &h), 44);
    check("open header out of memory", stream_open(S("nokey"), BAD, 24, &h), 21);
    check("record of no handle", stream_record(7, buf, 20, buf, 0, &n, &fin), 44);
    check("record of handle 0", stream_record(0, buf, 20, buf, 0, &n, &fin), 44);
    check("close of no handle", stream_close(3), 44);
}

/* The two executions of an instance: key pair first, then the stream. */
static int instance_run(void)
{
    static uint8_t pem[4096], wrapped[1024], rec[(1 << 16) + 20], plain[1 << 16];
    size_t n = 0;
    uint32_t h = 0, fin = 0;
    int32_t e;
    FILE *w = fopen("wrapped-key", "rb");
    if (w == NULL) {
        FILE *p = fopen("public-key.pem", "wb");
        if (p == NULL || keypair_create(S("kp")) != 0 ||
            public_key_pem(S("kp"), pem, sizeof pem, &n) != 0 || fwrite(pem, 1, n, p) != n)
            return 1;
        return fclose(p) == 0 ? 0 : 1;
    }
    size_t wn = fread(wrapped, 1, sizeof wrapped, w);
    fclose(w);
    FILE *v = fopen("video.ccfstr", "rb"), *out = fopen("output", "wb");
    if (v == NULL || out == NULL)
        return 2;
    if ((e = key_unwrap(S("kp"), wrapped, wn, S("video"))) != 0 ||
        fread(rec, 1, 24, v) != 24 || (e = stream_open(S("video"), rec, 24, &h)) != 0)
        goto refused;
    while (!fin) {
        /* a record: its length field says how much follows (at most one chunk of 64 KiB here) */
        if (fread(rec, 1, 4, v) != 4)
            break;
        size_t l = be32(rec) & 0x7fffffffu;
        if (l > sizeof plain || fread(rec + 4, 1, l + 16, v) != l + 16)
            break;
        if ((e = stream_record(h, rec, l + 20, plain, sizeof plain, &n, &fin)) != 0)
            goto refused;
        fwrite(plain, 1, n, out);
    }
    if ((e = stream_close(h)) != 0)
        goto refused;
    return fclose(out) == 0 ? 0 : 1;
refused:
    fprintf(out, "refused: %s\n", ename(e));
    fclose(out);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 1)
        return instance_run();
    if (argc == 2 && strcmp(argv[1], "limits") == 0) {
        limits();
        return failures ? 1 : 0;
    }
    if (argc != 3 || strcmp(argv[1], "exchange") != 0) {
        fprintf(stderr, "usage: guestcrypto exchange OUTFILE | guestcrypto limits\n");
        return 2;
    }
    static uint8_t pem[4096];
    size_t pem_len = 0, n = 0, len = 0;
    uint32_t h = 0, h2 = 0, fin = 0;

    /* 1. the key pair and its public key */
    if (keypair_create(S("kp")) != 0 || keypair_create(S("kp")) != 0) {
        fprintf(stderr, "keypair_create failed\n");
        return 1;
    }
    int32_t e = public_key_pem(S("kp"), pem, 10, &pem_len);
    if (e != 51 || pem_len < 500 || pem_len > sizeof pem) {
        fprintf(stderr, "public_key_pem into 10 bytes: %s, out_len %zu\n", ename(e), pem_len);
        return 1;
    }
    if (public_key_pem(S("kp"), pem, sizeof pem, &n) != 0 || n != pem_len) {
        fprintf(stderr, "public_key_pem failed\n");
        return 1;
    }
    fwrite(pem, 1, n, stdout);
    fflush(stdout);

    /* 2. the wrapped keys and the stream, from stdin */
    uint8_t *in = read_all(&len);
    if (len < 8) {
        fprintf(stderr, "stdin: %zu bytes\n", len);
        return 1;
    }
    size_t n1 = be32(in), n2 = be32(in + 4 + n1);
    const uint8_t *w1 = in + 4, *w2 = in + 8 + n1, *st = in + 8 + n1 + n2;
    size_t st_len = len - 8 - n1 - n2;
    check("unwrap k1 (openssl pkeyutl)", key_unwrap(S("kp"), w1, n1, S("k1")), 0);
    check("unwrap k2 (pycryptodome)", key_unwrap(S("kp"), w2, n2, S("k2")), 0);

    /* 3. the stream decrypted with k1, record by record, into OUTFILE */
    FILE *out = fopen(argv[2], "wb");
    uint8_t *plain = malloc(1 << 24);
    if (out == NULL || plain == NULL)
        return 2;
    check("stream_open k1", stream_open(S("k1"), st, 24, &h), 0);
    size_t pos = 24, r, records = 0;
    int32_t last = 0;
    while ((r = record_size(st, st_len, pos)) > 0) {
        last = stream_record(h, st + pos, r, plain, 1 << 24, &n, &fin);
        if (last != 0)
            break;
        fwrite(plain, 1, n, out);
        pos += r;
        records++;
    }
    fclose(out);
    check("every record opened", last, 0);
    printf("records: %zu, final: %u, all bytes used: %s\n", records, fin,
           pos == st_len ? "yes" : "no");
    check("stream_close after the final record", stream_close(h), 0);
    check("stream_close again", stream_close(h), 44);

    /* 4. k2 (the same key, wrapped by pycryptodome) opens the first record */
    size_t r0 = record_size(st, st_len, 24), r1 = record_size(st, st_len, 24 + r0);
    check("stream_open k2", stream_open(S("k2"), st, 24, &h2), 0);
    check("k2: too small a buffer", stream_record(h2, st + 24, r0, plain, 1, &n, &fin), 51);
    printf("k2: out_len asks for %zu\n", n);
    check("k2: record 0", stream_record(h2, st + 24, r0, plain, r0 - 20, &n, &fin), 0);
    /* truncated: closed before the final record */
    check("k2: close before the final record", stream_close(h2), r1 > 0 ? 25 : 0);

    /* 5. the negative cases */
    uint8_t *copy = malloc(st_len);
    memcpy(copy, st, st_len);
    check("open: header of 23 bytes", stream_open(S("k1"), st, 23, &h), 28);
    copy[0] ^= 1;
    check("open: bad magic", stream_open(S("k1"), copy, 24, &h), 28);
    copy[0] ^= 1;
    check("open: out_handle out of memory", stream_open(S("k1"), st, 24, BAD), 21);
    check("open again", stream_open(S("k1"), st, 24, &h), 0);
    check("record: out of memory", stream_record(h, BAD, r0, plain, 1 << 24, &n, &fin), 21);
    check("record: out buffer out of memory", stream_record(h, st + 24, r0, BAD, 64, &n, &fin), 21);
    check("record: final out of memory", stream_record(h, st + 24, r0, plain, 1 << 24, &n, BAD), 21);
    check("record: out overlapping the record",
          stream_record(h, copy + 24, r0, copy + 30, r0, &n, &fin), 28);
    check("record 0", stream_record(h, st + 24, r0, plain, 1 << 24, &n, &fin), 0);
    if (r1 > 0) {
        copy[24 + r0 + 10] ^= 0x40; /* a ciphertext byte of record 1 */
        check("record 1 tampered", stream_record(h, copy + 24 + r0, r1, plain, 1 << 24, &n, &fin),
              25);
        check("record 1 intact after a failure",
              stream_record(h, st + 24 + r0, r1, plain, 1 << 24, &n, &fin), 25);
    }
    check("close a failed stream", stream_close(h), 25);
    /* a record out of order: record 1 first */
    check("open again", stream_open(S("k1"), st, 24, &h), 0);
    if (r1 > 0)
        check("record 1 first", stream_record(h, st + 24 + r0, r1, plain, 1 << 24, &n, &fin), 25);
    check("close", stream_close(h), 25);
    /* unwrap: the wrong length, garbage of the right length */
    check("unwrap: 100 bytes", key_unwrap(S("kp"), w1, 100, S("k3")), 28);
    memcpy(copy, w1, n1);
    copy[5] ^= 1;
    check("unwrap: a changed byte", key_unwrap(S("kp"), copy, n1, S("k3")), 25);
    check("open with the key that failed", stream_open(S("k3"), st, 24, &h), 44);
    limits();
    return failures ? 1 : 0;
}
