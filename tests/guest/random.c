/* random: getentropy (WASI random_get).
 * Two 32-byte draws must differ and not be all zero; 64 KiB of draws must contain every byte
 * value (a missing value has probability about 256 * e^-256). */
#include <unistd.h>

#include "guest.h"

static int all_zero(const unsigned char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

int main(void)
{
	unsigned char a[32], b[32];
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	if (getentropy(a, sizeof a) != 0 || getentropy(b, sizeof b) != 0) {
		printf("getentropy: %s\n", guest_errname(errno));
		return 1;
	}
	printf("getentropy: ok\n");
	printf("nonzero: %s\n", !all_zero(a, sizeof a) && !all_zero(b, sizeof b) ? "yes" : "no");
	printf("two draws differ: %s\n", memcmp(a, b, sizeof a) != 0 ? "yes" : "no");
	static unsigned char big[65536];
	for (size_t off = 0; off < sizeof big; off += 256)
		if (getentropy(big + off, 256) != 0) {
			printf("getentropy 256: %s\n", guest_errname(errno));
			return 1;
		}
	unsigned seen[256] = {0};
	for (size_t i = 0; i < sizeof big; i++)
		seen[big[i]]++;
	int missing = 0;
	for (int v = 0; v < 256; v++)
		missing += seen[v] == 0;
	printf("every byte value seen: %s\n", missing == 0 ? "yes" : "no");
	printf("zero-length draw: %s\n", getentropy(a, 0) == 0 ? "ok" : guest_errname(errno));
	return 0;
}
