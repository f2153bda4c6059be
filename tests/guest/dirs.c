/* dirs: directories.
 * usage: dirs TREE WORKDIR
 * Walks TREE (a fixture copied in by the test) recursively and prints every entry sorted with
 * its type and size (regular files) and content checksum; then in WORKDIR builds a nested tree
 * with mkdir, lists it, checks that rmdir of a non-empty directory fails with ENOTEMPTY, that
 * mkdir of an existing name fails with EEXIST, that opening a directory for writing fails with
 * EISDIR, removes it bottom-up and lists WORKDIR again. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest.h"

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		printf("opendir %s: %s\n", dir, guest_errname(errno));
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, cmp);
	for (size_t i = 0; i < n; i++) {
		char p[1024];
		int plen = snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		struct stat st;
		if (plen < 0 || (size_t)plen >= sizeof p) {
			printf("%s/%s: path too long\n", dir, names[i]);
		} else if (stat(p, &st) != 0) {
			printf("stat %s: %s\n", p, guest_errname(errno));
		} else if (S_ISDIR(st.st_mode)) {
			printf("%*s%s/\n", 2 * depth, "", names[i]);
			walk(p, depth + 1);
		} else {
			unsigned char buf[4096];
			uint64_t h = GUEST_FNV_INIT;
			int fd = open(p, O_RDONLY);
			ssize_t r;
			while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0)
				h = guest_fnv1a(h, buf, (size_t)r);
			if (fd >= 0)
				close(fd);
			printf("%*s%s %lld bytes fnv %016llx\n", 2 * depth, "", names[i],
			       (long long)st.st_size, (unsigned long long)h);
		}
		free(names[i]);
	}
	free(names);
}

static void check(const char *what, int rc)
{
	printf("%s: %s\n", what, rc == 0 ? "ok" : guest_errname(errno));
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: dirs TREE WORKDIR\n");
		return 2;
	}
	printf("tree %s:\n", argv[1]);
	walk(argv[1], 1);

	if (chdir(argv[2]) != 0) {
		printf("chdir %s: %s\n", argv[2], guest_errname(errno));
		return 1;
	}
	check("mkdir a", mkdir("a", 0755));
	check("mkdir a/b", mkdir("a/b", 0755));
	check("mkdir a/b/c", mkdir("a/b/c", 0755));
	check("mkdir a/b2", mkdir("a/b2", 0755));
	int fd = open("a/b/c/leaf", O_WRONLY | O_CREAT | O_EXCL, 0644);
	check("create a/b/c/leaf", fd < 0 ? -1 : 0);
	if (fd >= 0) {
		if (write(fd, "leaf\n", 5) != 5)
			printf("write leaf: %s\n", guest_errname(errno));
		close(fd);
	}
	check("mkdir a (exists)", mkdir("a", 0755));
	check("mkdir x/y (no parent)", mkdir("x/y", 0755));
	check("rmdir a/b (not empty)", rmdir("a/b"));
	check("open a/b for writing", open("a/b", O_WRONLY) < 0 ? -1 : 0);
	check("create a/b/c/leaf/x (not a dir)", open("a/b/c/leaf/x", O_WRONLY | O_CREAT, 0644) < 0 ? -1 : 0);
	printf("work after mkdir:\n");
	walk(".", 1);
	check("unlink a/b/c/leaf", unlink("a/b/c/leaf"));
	check("unlink a/b (a directory)", unlink("a/b"));
	check("rmdir a/b/c", rmdir("a/b/c"));
	check("rmdir a/b", rmdir("a/b"));
	check("rmdir a/b2", rmdir("a/b2"));
	check("rmdir a", rmdir("a"));
	check("rmdir a (gone)", rmdir("a"));
	printf("work at the end:\n");
	walk(".", 1);
	return 0;
}
