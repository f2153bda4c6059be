/* bigfile: a large file written, then read back and checked.
 * usage: bigfile PATH MIB
 * Writes MIB MiB of a pseudo-random pattern (xorshift64, fixed seed) in 1 MiB writes, checks
 * the size with fstat and lseek, reads it back in 1 MiB + 3 byte reads (so reads straddle the
 * write boundaries), compares a word checksum, checks one pread in the middle, truncates it
 * to 1 byte, and unlinks it. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

#define CHUNK (1u << 20)

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

/* the byte at offset off of the pattern, computed independently of the stream */
static void fill(unsigned char *buf, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = next(state);
		memcpy(buf + i, &v, 8);
	}
}

static uint64_t mix(uint64_t h, const unsigned char *b, size_t n)
{
	/* word-wise; n is a multiple of 8 except possibly at the very end */
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, b + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: bigfile PATH MIB\n");
		return 2;
	}
	const char *path = argv[1];
	long long total = atoll(argv[2]) * (long long)CHUNK;
	unsigned char *buf = malloc(CHUNK + 3);
	uint64_t state = 0x9e3779b97f4a7c15ULL, h = GUEST_FNV_INIT;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("create %s: %s\n", path, guest_errname(errno));
		return 1;
	}
	for (long long done = 0; done < total; done += CHUNK) {
		fill(buf, CHUNK, &state);
		h = mix(h, buf, CHUNK);
		ssize_t w = write(fd, buf, CHUNK);
		if (w != (ssize_t)CHUNK) {
			printf("write at %lld: %s\n", done, w < 0 ? guest_errname(errno) : "short");
			return 1;
		}
	}
	printf("wrote %lld bytes, checksum %016llx\n", total, (unsigned long long)h);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		printf("fstat: %s\n", guest_errname(errno));
		return 1;
	}
	printf("fstat size: %lld\n", (long long)st.st_size);
	printf("lseek end: %lld\n", (long long)lseek(fd, 0, SEEK_END));
	close(fd);

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("open %s: %s\n", path, guest_errname(errno));
		return 1;
	}
	uint64_t h2 = GUEST_FNV_INIT;
	long long got = 0;
	/* the checksum is word-wise, so keep a carry of the bytes past the last whole word */
	unsigned char carry[8];
	size_t ncarry = 0;
	for (;;) {
		ssize_t r = read(fd, buf, CHUNK + 3);
		if (r < 0) {
			printf("read at %lld: %s\n", got, guest_errname(errno));
			return 1;
		}
		if (r == 0)
			break;
		got += r;
		size_t i = 0;
		while (ncarry > 0 && ncarry < 8 && i < (size_t)r)
			carry[ncarry++] = buf[i++];
		if (ncarry == 8) {
			h2 = mix(h2, carry, 8);
			ncarry = 0;
		}
		size_t whole = ((size_t)r - i) / 8 * 8;
		h2 = mix(h2, buf + i, whole);
		i += whole;
		while (i < (size_t)r)
			carry[ncarry++] = buf[i++];
	}
	h2 = mix(h2, carry, ncarry);
	printf("read back %lld bytes, checksum %s\n", got, h2 == h ? "matches" : "DIFFERS");

	/* pread 16 bytes in the middle, at an odd offset, against the regenerated pattern */
	long long off = total / 2 + 3;
	unsigned char want[32], have[16];
	uint64_t s2 = 0x9e3779b97f4a7c15ULL;
	for (long long k = 0; k < (off - 3) / 8; k++)
		next(&s2);
	fill(want, 32, &s2);
	ssize_t r = pread(fd, have, 16, (off_t)off);
	printf("pread 16 at %lld: %s\n", off,
	       r == 16 && memcmp(have, want + 3, 16) == 0 ? "matches" : "DIFFERS");
	close(fd);

	fd = open(path, O_WRONLY);
	printf("ftruncate 1: %s\n", fd >= 0 && ftruncate(fd, 1) == 0 ? "ok" : guest_errname(errno));
	printf("size after: %lld\n", fd >= 0 && fstat(fd, &st) == 0 ? (long long)st.st_size : -1LL);
	close(fd);
	printf("unlink: %s\n", unlink(path) == 0 ? "ok" : guest_errname(errno));
	free(buf);
	return 0;
}
