/* exitcode: how a program ends.
 * usage: exitcode MODE CODE
 *   exit    printf a line (buffered), run an atexit handler, exit(CODE)
 *   return  printf a line, return CODE from main
 *   _Exit   write(2) a line unbuffered, _Exit(CODE): the atexit handler must not run
 *   abort   write a line, abort(): natively SIGABRT (shell status 134), in wasm a trap */
#include <stdlib.h>
#include <unistd.h>

#include "guest.h"

static void on_exit_handler(void)
{
	printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: exitcode exit|return|_Exit|abort CODE\n");
		return 2;
	}
	int code = (int)strtol(argv[2], NULL, 10);
	const char *mode = argv[1];
	if (strcmp(mode, "exit") == 0) {
		atexit(on_exit_handler);
		printf("exiting with %d\n", code);
		exit(code);
	} else if (strcmp(mode, "return") == 0) {
		printf("returning %d\n", code);
		return code;
	} else if (strcmp(mode, "_Exit") == 0) {
		atexit(on_exit_handler);
		static const char msg[] = "_Exit now\n";
		if (write(1, msg, sizeof msg - 1) < 0)
			return 3;
		_Exit(code);
	} else if (strcmp(mode, "abort") == 0) {
		static const char msg[] = "aborting\n";
		if (write(1, msg, sizeof msg - 1) < 0)
			return 3;
		abort();
	}
	fprintf(stderr, "exitcode: unknown mode %s\n", mode);
	return 2;
}
