/* stdio: standard streams.
 * Reads all of stdin, prints its size and checksum, then each stdin line upper-cased with its
 * number; writes a marker line to stderr; exercises printf formatting; with an argument N,
 * then writes N lines of 64 bytes to stdout in one fwrite. */
#include <ctype.h>
#include <stdlib.h>

#include "guest.h"

int main(int argc, char **argv)
{
	size_t nlines = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 0;
	size_t cap = 1024, len = 0;
	char *in = malloc(cap);
	size_t r;
	while ((r = fread(in + len, 1, cap - len, stdin)) > 0) {
		len += r;
		if (len == cap)
			in = realloc(in, cap *= 2);
	}
	if (ferror(stdin)) {
		printf("stdin: %s\n", guest_errname(errno));
		return 1;
	}
	printf("stdin: %zu bytes fnv=%016llx\n", len,
	       (unsigned long long)guest_fnv1a(GUEST_FNV_INIT, in, len));
	size_t line = 0, start = 0;
	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n' || i == len - 1) {
			size_t end = in[i] == '\n' ? i : i + 1;
			printf("%zu: ", ++line);
			for (size_t k = start; k < end; k++)
				putchar(toupper((unsigned char)in[k]));
			putchar('\n');
			start = i + 1;
		}
	}
	fprintf(stderr, "stdio: this line goes to stderr\n");
	printf("format: [%5d] [%-5s] [%.3f] [%x] [%lld]\n", 42, "ab", 3.14159, 255u,
	       -9000000000LL);
	/* one big write through stdio: lines of 63 characters + newline */
	size_t n = nlines * 64;
	char *big = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = (i % 64 == 63) ? '\n' : (char)('a' + (i / 64) % 26);
	if (n)
		printf("wrote %zu bytes\n", fwrite(big, 1, n, stdout));
	printf("end\n");
	free(big);
	free(in);
	return 0;
}
