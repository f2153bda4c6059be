/* files: a program using buffered stdio on files, as ordinary functions do.
 * usage: files WORKDIR RESULT
 * In WORKDIR (which must exist): creates notes.txt with fopen "w", appends with "a", rewrites
 * a word in place with "r+" + fseek, reads it back line by line with fgets, checks ftell and
 * rewind, shortens it with ftruncate, then writes a summary to RESULT (fopen "w": the program
 * only needs create/truncate/write rights on RESULT). */
#include <stdlib.h>
#include <unistd.h>

#include "guest.h"

static char path[512];

static void show(void)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("fopen r: %s\n", guest_errname(errno));
		exit(1);
	}
	char line[128];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		size_t len = strlen(line);
		printf("  %d| %s%s", ++n, line, len && line[len - 1] == '\n' ? "" : " (no newline)\n");
	}
	printf("  (%d lines, eof=%d)\n", n, feof(f) ? 1 : 0);
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: files WORKDIR RESULT\n");
		return 2;
	}
	snprintf(path, sizeof path, "%s/notes.txt", argv[1]);

	FILE *f = fopen(path, "w");
	if (!f) {
		printf("fopen w: %s\n", guest_errname(errno));
		return 1;
	}
	for (int i = 1; i <= 3; i++)
		fprintf(f, "line %d: alpha\n", i);
	printf("ftell after 3 lines: %ld\n", ftell(f));
	fclose(f);

	f = fopen(path, "a");
	fputs("line 4: appended\n", f);
	fclose(f);
	printf("after append:\n");
	show();

	f = fopen(path, "r+");
	fseek(f, 14 + 8, SEEK_SET); /* the word "alpha" of line 2 */
	fputs("OMEGA", f);
	fseek(f, 0, SEEK_END);
	printf("ftell at end: %ld\n", ftell(f));
	rewind(f);
	char word[6] = {0};
	fseek(f, 22, SEEK_SET);
	printf("fread back: %zu ", fread(word, 1, 5, f));
	printf("%s\n", word);
	fflush(f);
	printf("ftruncate 31: %s\n", ftruncate(fileno(f), 31) == 0 ? "ok" : guest_errname(errno));
	fclose(f);
	printf("after truncate:\n");
	show();

	/* the whole file, for the checksum in the result */
	f = fopen(path, "rb");
	unsigned char buf[256];
	size_t n = fread(buf, 1, sizeof buf, f);
	fclose(f);

	FILE *out = fopen(argv[2], "w");
	if (!out) {
		printf("fopen %s w: %s\n", argv[2], guest_errname(errno));
		return 1;
	}
	fprintf(out, "notes.txt: %zu bytes, fnv %016llx\n", n,
	       (unsigned long long)guest_fnv1a(GUEST_FNV_INIT, buf, n));
	if (fclose(out) != 0) {
		printf("fclose %s: %s\n", argv[2], guest_errname(errno));
		return 1;
	}
	printf("done\n");
	return 0;
}
