/* args_env: the command line and the environment.
 * Prints argc, argv[0]'s base name without ".wasm", each argument quoted, then the environment
 * sorted, then getenv() of each argument that names a variable. */
#include <stdlib.h>

#include "guest.h"

extern char **environ;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	printf("argc: %d\n", argc);
	/* argv[0] is the program's path: the wasm module's under ccfaas, the executable's
	 * natively; compare the base name without a ".wasm" suffix */
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
	base = base ? base + 1 : argv[0] ? argv[0] : "";
	size_t blen = strlen(base);
	if (blen > 5 && strcmp(base + blen - 5, ".wasm") == 0)
		blen -= 5;
	printf("argv[0]: %.*s\n", (int)blen, base);
	for (int i = 1; i < argc; i++) {
		printf("argv[%d]: ", i);
		guest_print_quoted((const unsigned char *)argv[i], strlen(argv[i]));
		putchar('\n');
	}
	if (argv[argc] != NULL)
		printf("argv[argc] is not NULL\n");
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = malloc((n + 1) * sizeof *env);
	for (size_t i = 0; i < n; i++)
		env[i] = environ[i];
	qsort(env, n, sizeof *env, cmp);
	printf("environ: %zu\n", n);
	for (size_t i = 0; i < n; i++) {
		printf("env: ");
		guest_print_quoted((const unsigned char *)env[i], strlen(env[i]));
		putchar('\n');
	}
	for (int i = 1; i < argc; i++) {
		const char *v = getenv(argv[i]);
		if (v) {
			printf("getenv %s: ", argv[i]);
			guest_print_quoted((const unsigned char *)v, strlen(v));
			putchar('\n');
		}
	}
	free(env);
	return 0;
}
