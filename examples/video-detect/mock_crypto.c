/* mock_crypto.c: a native stand-in for ccfaas-runtime's "ccfaas_crypto" host functions
 * (ccfaas_crypto.h, docs/guest-crypto.md), for testing detect's encrypted mode
 * natively (test-video-detect) while the runtime's implementation is elsewhere. NOT the
 * runtime's code and not a security boundary: the one key pair "video" is an RSA private key
 * read from the PEM file named by $CCFAAS_CRYPTO_MOCK_KEY (a process cannot keep keys across
 * runs the way an instance does). Errors are this libc's errno values, as the wasm guest sees
 * WASI's under wasi-libc. Crypto through OpenSSL EVP only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "ccfaas_crypto.h"

#define MAX_STREAMS 4

static EVP_PKEY *keypair;  /* "video", loaded on first use; freed at exit */
static unsigned char aead_key[32];
static char aead_name[65]; /* the one AEAD key's name; "" when none */

struct stream {
	int used, failed, final_seen;
	unsigned char header[CCFSTR_HEADER_LEN];
	uint32_t chunk;
	uint64_t index;
};
static struct stream streams[MAX_STREAMS];

static int valid_name(const char *name, size_t len)
{
	if (len < 1 || len > 64)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int is_video(const char *name, size_t len)
{
	return len == 5 && memcmp(name, "video", 5) == 0;
}

static void free_keypair(void)
{
	EVP_PKEY_free(keypair);
	keypair = NULL;
}

static int load_keypair(void)
{
	if (keypair)
		return 0;
	const char *path = getenv("CCFAAS_CRYPTO_MOCK_KEY");
	FILE *f = path ? fopen(path, "r") : NULL;
	if (!f)
		return EIO;
	keypair = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!keypair)
		return EIO;
	atexit(free_keypair);
	return 0;
}

int32_t keypair_create(const char *name, size_t name_len)
{
	if (!valid_name(name, name_len))
		return EINVAL;
	if (!is_video(name, name_len))
		return EIO; /* the mock has one key pair */
	return load_keypair();
}

int32_t public_key_pem(const char *name, size_t name_len, uint8_t *buf, size_t buf_len,
		       size_t *out_len)
{
	if (!valid_name(name, name_len))
		return EINVAL;
	if (!is_video(name, name_len) || load_keypair() != 0)
		return ENOENT;
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	int32_t rc = EIO;
	if (b && PEM_write_bio_PUBKEY(b, keypair) == 1) {
		long n = BIO_get_mem_data(b, &pem);
		*out_len = (size_t)n;
		if ((size_t)n > buf_len)
			rc = ENOSPC;
		else {
			memcpy(buf, pem, (size_t)n);
			rc = 0;
		}
	}
	BIO_free(b);
	return rc;
}

int32_t key_unwrap(const char *kp, size_t kp_len, const uint8_t *wrapped, size_t wrapped_len,
		   const char *key_name, size_t key_name_len)
{
	if (!valid_name(kp, kp_len) || !valid_name(key_name, key_name_len))
		return EINVAL;
	if (!is_video(kp, kp_len) || load_keypair() != 0)
		return ENOENT;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(keypair, NULL);
	unsigned char out[512];
	size_t out_len = sizeof out;
	int32_t rc = EILSEQ;
	if (ctx && EVP_PKEY_decrypt_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_decrypt(ctx, out, &out_len, wrapped, wrapped_len) == 1) {
		if (out_len == sizeof aead_key) {
			memcpy(aead_key, out, sizeof aead_key);
			memcpy(aead_name, key_name, key_name_len);
			aead_name[key_name_len] = '\0';
			rc = 0;
		} else
			rc = EINVAL;
	}
	OPENSSL_cleanse(out, sizeof out);
	EVP_PKEY_CTX_free(ctx);
	return rc;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int32_t stream_open(const char *key_name, size_t key_name_len, const uint8_t *header,
		    size_t header_len, uint32_t *handle)
{
	if (!valid_name(key_name, key_name_len))
		return EINVAL;
	if (strlen(aead_name) != key_name_len || memcmp(aead_name, key_name, key_name_len) != 0)
		return ENOENT;
	if (header_len != CCFSTR_HEADER_LEN || memcmp(header, CCFSTR_MAGIC, 8) != 0)
		return EINVAL;
	uint32_t chunk = get_be32(header + 8);
	if (chunk < CCFSTR_MIN_CHUNK || chunk > CCFSTR_MAX_CHUNK)
		return EINVAL;
	for (uint32_t i = 0; i < MAX_STREAMS; i++) {
		if (!streams[i].used) {
			streams[i] = (struct stream){.used = 1, .chunk = chunk};
			memcpy(streams[i].header, header, CCFSTR_HEADER_LEN);
			*handle = i;
			return 0;
		}
	}
	return EIO;
}

int32_t stream_record(uint32_t handle, const uint8_t *record, size_t record_len, uint8_t *out,
		      size_t out_cap, size_t *out_len, uint32_t *final)
{
	if (handle >= MAX_STREAMS || !streams[handle].used)
		return ENOENT;
	struct stream *s = &streams[handle];
	if (s->failed || s->final_seen || record_len < 4 + CCFSTR_TAG_LEN)
		goto bad;
	uint32_t field = get_be32(record), len = field & ~CCFSTR_FINAL;
	int is_final = (field & CCFSTR_FINAL) != 0;
	if (record_len != 4 + (size_t)len + CCFSTR_TAG_LEN || len > s->chunk ||
	    (!is_final && len != s->chunk))
		goto bad;
	if (out_cap < len) {
		*out_len = len;
		return ENOSPC;
	}
	unsigned char nonce[12], aad[CCFSTR_HEADER_LEN + 4];
	memcpy(nonce, s->header + 12, sizeof nonce);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] ^= (unsigned char)(s->index >> (56 - 8 * i));
	memcpy(aad, s->header, CCFSTR_HEADER_LEN);
	memcpy(aad + CCFSTR_HEADER_LEN, record, 4);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = ctx && EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, aead_key, nonce) == 1 &&
			EVP_DecryptUpdate(ctx, NULL, &n, aad, sizeof aad) == 1 &&
			EVP_DecryptUpdate(ctx, out, &n, record + 4, (int)len) == 1 &&
			EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CCFSTR_TAG_LEN,
					    (void *)(record + 4 + len)) == 1 &&
			EVP_DecryptFinal_ex(ctx, out + n, &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		memset(out, 0, len); /* no unauthenticated plaintext */
		goto bad;
	}
	s->index++;
	s->final_seen = is_final;
	*out_len = len;
	*final = (uint32_t)is_final;
	return 0;
bad:
	s->failed = 1;
	return EILSEQ;
}

int32_t stream_close(uint32_t handle)
{
	if (handle >= MAX_STREAMS || !streams[handle].used)
		return ENOENT;
	int ok = streams[handle].final_seen && !streams[handle].failed;
	streams[handle].used = 0;
	return ok ? 0 : EILSEQ;
}
