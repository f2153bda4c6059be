/* keygen: the first step of detect's encrypted mode (README.md here, docs/guest-crypto.md).
 *
 * Creates the program's key pair "video" in the runtime (ccfaas_crypto keypair_create: RSA-3072,
 * the private key never leaves ccfaas-runtime; idempotent, so a second run gives the same key)
 * and writes its public key (PEM, SubjectPublicKeyInfo) to the file `video_pubkey.pem`. The
 * user encrypts the video key to it (RSA-OAEP with SHA-256) and uploads the result as
 * `video_key`; detect then unwraps it in the runtime.
 *
 * wasm32-wasi only (the host functions exist only under ccfaas-runtime).
 * usage: keygen [PUBKEY_FILE]   (default: video_pubkey.pem)
 * Exit status: 0 done; 1 usage or I/O error; 3 the runtime refused (the errno is named). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ccfaas_crypto.h"

#define KEY_PAIR "video"
#define DEFAULT_OUT "video_pubkey.pem"

int main(int argc, char **argv)
{
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		puts("usage: keygen [PUBKEY_FILE]\n"
		     "Creates this program's RSA-3072 key pair \"video\" inside ccfaas-runtime (if it\n"
		     "does not exist yet) and writes its public key (PEM) to PUBKEY_FILE (default\n"
		     "video_pubkey.pem). Encrypt the 32-byte video key to it with RSA-OAEP/SHA-256 and\n"
		     "upload the result as video_key for detect (docs/guest-crypto.md).");
		return 0;
	}
	if (argc > 2 || (argc > 1 && argv[1][0] == '-')) {
		fputs("usage: keygen [PUBKEY_FILE]\n", stderr);
		return 1;
	}
	const char *outname = argc > 1 ? argv[1] : DEFAULT_OUT;
	int32_t e = keypair_create(KEY_PAIR, strlen(KEY_PAIR));
	if (e != 0) {
		fprintf(stderr, "keygen: cannot create key pair \"%s\": %s (errno %d)\n", KEY_PAIR,
			strerror(e), (int)e);
		return 3;
	}
	size_t cap = 1024, len = 0;
	uint8_t *pem = malloc(cap);
	if (!pem) {
		fputs("keygen: out of memory\n", stderr);
		return 1;
	}
	e = public_key_pem(KEY_PAIR, strlen(KEY_PAIR), pem, cap, &len);
	if (e == ENOSPC && len > cap && len <= 64 * 1024) { /* the size needed is in len */
		uint8_t *bigger = realloc(pem, len);
		if (!bigger) {
			free(pem);
			fputs("keygen: out of memory\n", stderr);
			return 1;
		}
		pem = bigger;
		cap = len;
		e = public_key_pem(KEY_PAIR, strlen(KEY_PAIR), pem, cap, &len);
	}
	if (e != 0 || len > cap) {
		fprintf(stderr, "keygen: cannot read the public key of \"%s\": %s (errno %d)\n",
			KEY_PAIR, strerror(e), (int)e);
		free(pem);
		return 3;
	}
	int rc = 0;
	FILE *f = fopen(outname, "w");
	if (!f) {
		fprintf(stderr, "keygen: cannot create %s: %s\n", outname, strerror(errno));
		rc = 1;
	} else {
		size_t n = fwrite(pem, 1, len, f);
		if (fclose(f) != 0 || n != len) {
			fprintf(stderr, "keygen: cannot write %s\n", outname);
			rc = 1;
		}
	}
	free(pem);
	return rc;
}
