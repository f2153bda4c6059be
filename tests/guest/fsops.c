/* fsops: a file-operation interpreter for the rights and file-system tests.
 *
 * usage: fsops OP ARG... [OP ARG...]...
 * Runs each operation in order on relative paths (the guest's preopened `/` is its working
 * directory; natively the temp directory the test prepared) and prints one line per operation:
 *   "OP ARGS: RESULT" where RESULT is "ok", a value, or the errno name (ENOTCAPABLE, ENOENT, ...).
 * The file operations work on one "current" descriptor, set by the last successful `open`.
 *
 *   open PATH MODE      MODE = r | w | rw, followed by any of c (O_CREAT) t (O_TRUNC)
 *                       a (O_APPEND) x (O_EXCL) d (O_DIRECTORY), e.g. "wct", "rwc"
 *   close
 *   read N              prints the count and the bytes read, quoted
 *   pread N OFF
 *   write STR           prints the count written
 *   pwrite STR OFF
 *   seek OFF set|cur|end   prints the new offset
 *   tell                lseek(fd, 0, SEEK_CUR)
 *   ftruncate N
 *   fstat               "reg size=N" or "dir"
 *   append              fcntl(F_SETFL, O_APPEND)
 *   fsync | fdatasync
 *   allocate OFF LEN    posix_fallocate
 *   advise OFF LEN      posix_fadvise(POSIX_FADV_SEQUENTIAL)
 *   futimes SEC         futimens: atime = mtime = SEC
 *   stat PATH           "reg size=N" or "dir"
 *   mtime PATH          st_mtime in seconds
 *   mtime-is PATH SEC   "yes" if st_mtime == SEC, else "no" (for unknown starting times)
 *   utimes PATH SEC     utimensat: atime = mtime = SEC
 *   cat PATH            open read-only, read it all, print it quoted
 *   ls PATH             the sorted names of a directory (directories end in '/'), or (empty)
 *   mkdir PATH | rmdir PATH | unlink PATH
 *   rename OLD NEW | link OLD NEW | symlink TARGET PATH
 *   readlink PATH       the link's target, quoted
 *   lstat PATH          like stat, without following a last symlink ("link" for one)
 *   echo WORD           prints WORD (to mark phases of a test)
 * The same on the current descriptor, but calling WASI directly (wasm only; natively they print
 * "n/a"), because wasi-libc turns ENOTCAPABLE into POSIX errors for these (read/write: EBADF,
 * lseek: ESPIPE, fsync: EINVAL, ...) and the rights tests check the WASI errno itself:
 *   wread N | wpread N OFF | wwrite STR | wpwrite STR OFF | wseek OFF set|cur|end | wtell
 *   wsync | wdatasync
 * Exit status: 0, or 2 on a malformed script. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "guest.h"

#ifdef __wasi__
#include <wasi/api.h>
#endif

static int cur = -1;

static void fail(void)
{
	printf("%s\n", guest_errname(errno));
}

static long long num(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "fsops: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int parse_mode(const char *m)
{
	int f;
	if (strncmp(m, "rw", 2) == 0) {
		f = O_RDWR;
		m += 2;
	} else if (*m == 'r') {
		f = O_RDONLY;
		m++;
	} else if (*m == 'w') {
		f = O_WRONLY;
		m++;
	} else {
		fprintf(stderr, "fsops: bad open mode\n");
		exit(2);
	}
	for (; *m; m++) {
		switch (*m) {
		case 'c': f |= O_CREAT; break;
		case 't': f |= O_TRUNC; break;
		case 'a': f |= O_APPEND; break;
		case 'x': f |= O_EXCL; break;
		case 'd': f |= O_DIRECTORY; break;
		default:
			fprintf(stderr, "fsops: bad open mode\n");
			exit(2);
		}
	}
	return f;
}

static void print_stat(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		printf("dir\n");
	else if (S_ISREG(st->st_mode))
		printf("reg size=%lld\n", (long long)st->st_size);
	else
		printf("other\n");
}

static void do_read(long long n, long long off, int positional)
{
	unsigned char *buf = malloc((size_t)n + 1);
	if (!buf) {
		printf("ENOMEM\n");
		return;
	}
	ssize_t r = positional ? pread(cur, buf, (size_t)n, (off_t)off) : read(cur, buf, (size_t)n);
	if (r < 0) {
		fail();
	} else {
		printf("%zd ", r);
		guest_print_quoted(buf, (size_t)r);
		putchar('\n');
	}
	free(buf);
}

static void do_cat(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail();
		return;
	}
	unsigned char buf[4096];
	size_t len = 0, cap = 4096;
	unsigned char *all = malloc(cap);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0) {
			fail();
			goto out;
		}
		if (r == 0)
			break;
		if (len + (size_t)r > cap) {
			cap = 2 * (len + (size_t)r);
			all = realloc(all, cap);
		}
		memcpy(all + len, buf, (size_t)r);
		len += (size_t)r;
	}
	guest_print_quoted(all, len);
	putchar('\n');
out:
	free(all);
	close(fd);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void do_ls(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		fail();
		return;
	}
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		size_t len = strlen(e->d_name) + 2;
		char *s = malloc(len);
		if (s == NULL)
			break;
		snprintf(s, len, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : "");
		names = realloc(names, (n + 1) * sizeof *names);
		names[n++] = s;
	}
	if (errno != 0) {
		fail();
	} else {
		if (n > 1)
			qsort(names, n, sizeof *names, cmp_str);
		if (n == 0)
			printf("(empty)");
		for (size_t i = 0; i < n; i++)
			printf("%s%s", i ? " " : "", names[i]);
		putchar('\n');
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
}

static void result(int rc)
{
	if (rc < 0)
		fail();
	else
		printf("ok\n");
}

/* posix_fallocate / posix_fadvise return the error number instead of setting errno */
static void result_ret(int err)
{
	if (err != 0)
		printf("%s\n", guest_errname(err));
	else
		printf("ok\n");
}

static void set_times(struct timespec ts[2], long long sec)
{
	ts[0].tv_sec = (time_t)sec;
	ts[0].tv_nsec = 0;
	ts[1] = ts[0];
}

/* the w* operations: WASI calls on the current descriptor, the WASI errno printed by name */
static void do_raw(const char *op, char **a)
{
#ifdef __wasi__
	__wasi_errno_t e;
	__wasi_size_t n = 0;
	__wasi_filesize_t pos = 0;
	unsigned char buf[4096];
	if (strcmp(op, "wread") == 0 || strcmp(op, "wpread") == 0) {
		__wasi_iovec_t iov = {buf, (size_t)num(a[0]) < sizeof buf ? (size_t)num(a[0]) : sizeof buf};
		e = op[1] == 'p' ? __wasi_fd_pread(cur, &iov, 1, (__wasi_filesize_t)num(a[1]), &n)
				 : __wasi_fd_read(cur, &iov, 1, &n);
		if (e == 0) {
			printf("%u ", (unsigned)n);
			guest_print_quoted(buf, n);
			putchar('\n');
			return;
		}
	} else if (strcmp(op, "wwrite") == 0 || strcmp(op, "wpwrite") == 0) {
		__wasi_ciovec_t iov = {(const uint8_t *)a[0], strlen(a[0])};
		e = op[1] == 'p' ? __wasi_fd_pwrite(cur, &iov, 1, (__wasi_filesize_t)num(a[1]), &n)
				 : __wasi_fd_write(cur, &iov, 1, &n);
		if (e == 0) {
			printf("%u\n", (unsigned)n);
			return;
		}
	} else if (strcmp(op, "wseek") == 0 || strcmp(op, "wtell") == 0) {
		if (op[1] == 's') {
			__wasi_whence_t wh = strcmp(a[1], "set") == 0   ? __WASI_WHENCE_SET
					     : strcmp(a[1], "end") == 0 ? __WASI_WHENCE_END
									: __WASI_WHENCE_CUR;
			e = __wasi_fd_seek(cur, (__wasi_filedelta_t)num(a[0]), wh, &pos);
		} else {
			e = __wasi_fd_tell(cur, &pos);
		}
		if (e == 0) {
			printf("%llu\n", (unsigned long long)pos);
			return;
		}
	} else if (strcmp(op, "wsync") == 0) {
		e = __wasi_fd_sync(cur);
	} else {
		e = __wasi_fd_datasync(cur);
	}
	printf("%s\n", e == 0 ? "ok" : guest_errname(e));
#else
	(void)op;
	(void)a;
	printf("n/a (not wasm)\n");
#endif
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int nargs;
	} ops[] = {
		{"open", 2}, {"close", 0}, {"read", 1}, {"pread", 2}, {"write", 1},
		{"pwrite", 2}, {"seek", 2}, {"tell", 0}, {"ftruncate", 1}, {"fstat", 0},
		{"append", 0}, {"fsync", 0}, {"fdatasync", 0}, {"allocate", 2}, {"advise", 2},
		{"futimes", 1}, {"stat", 1}, {"mtime", 1}, {"mtime-is", 2}, {"utimes", 2}, {"cat", 1},
		{"ls", 1}, {"mkdir", 1}, {"rmdir", 1}, {"unlink", 1}, {"rename", 2},
		{"link", 2}, {"symlink", 2}, {"readlink", 1}, {"lstat", 1}, {"echo", 1}, {"wread", 1}, {"wpread", 2},
		{"wwrite", 1}, {"wpwrite", 2}, {"wseek", 2}, {"wtell", 0}, {"wsync", 0},
		{"wdatasync", 0},
	};
	int i = 1;
	while (i < argc) {
		const char *op = argv[i];
		int nargs = -1;
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++)
			if (strcmp(ops[k].name, op) == 0)
				nargs = ops[k].nargs;
		if (nargs < 0 || i + nargs > argc - 1) {
			fprintf(stderr, "fsops: bad operation or missing arguments at '%s'\n", op);
			return 2;
		}
		char **a = argv + i + 1;
		printf("%s", op);
		for (int k = 0; k < nargs; k++)
			printf(" %s", a[k]);
		printf(": ");
		errno = 0;
		struct stat st;
		struct timespec ts[2];
		if (strcmp(op, "open") == 0) {
			int fd = open(a[0], parse_mode(a[1]), 0644);
			if (fd < 0) {
				fail();
			} else {
				cur = fd;
				printf("ok\n");
			}
		} else if (strcmp(op, "close") == 0) {
			result(close(cur));
			cur = -1;
		} else if (strcmp(op, "read") == 0) {
			do_read(num(a[0]), 0, 0);
		} else if (strcmp(op, "pread") == 0) {
			do_read(num(a[0]), num(a[1]), 1);
		} else if (strcmp(op, "write") == 0 || strcmp(op, "pwrite") == 0) {
			ssize_t w = op[0] == 'p' ? pwrite(cur, a[0], strlen(a[0]), (off_t)num(a[1]))
						 : write(cur, a[0], strlen(a[0]));
			if (w < 0)
				fail();
			else
				printf("%zd\n", w);
		} else if (strcmp(op, "seek") == 0 || strcmp(op, "tell") == 0) {
			int wh = SEEK_CUR;
			off_t off = 0;
			if (op[0] == 's') {
				off = (off_t)num(a[0]);
				wh = strcmp(a[1], "set") == 0   ? SEEK_SET
				     : strcmp(a[1], "end") == 0 ? SEEK_END
								: SEEK_CUR;
			}
			off_t r = lseek(cur, off, wh);
			if (r < 0)
				fail();
			else
				printf("%lld\n", (long long)r);
		} else if (strcmp(op, "ftruncate") == 0) {
			result(ftruncate(cur, (off_t)num(a[0])));
		} else if (strcmp(op, "fstat") == 0) {
			if (fstat(cur, &st) < 0)
				fail();
			else
				print_stat(&st);
		} else if (strcmp(op, "append") == 0) {
			int fl = fcntl(cur, F_GETFL);
			result(fl < 0 ? fl : fcntl(cur, F_SETFL, fl | O_APPEND));
		} else if (strcmp(op, "fsync") == 0) {
			result(fsync(cur));
		} else if (strcmp(op, "fdatasync") == 0) {
			result(fdatasync(cur));
		} else if (strcmp(op, "allocate") == 0) {
			result_ret(posix_fallocate(cur, (off_t)num(a[0]), (off_t)num(a[1])));
		} else if (strcmp(op, "advise") == 0) {
			result_ret(posix_fadvise(cur, (off_t)num(a[0]), (off_t)num(a[1]),
						 POSIX_FADV_SEQUENTIAL));
		} else if (strcmp(op, "futimes") == 0) {
			set_times(ts, num(a[0]));
			result(futimens(cur, ts));
		} else if (strcmp(op, "stat") == 0) {
			if (stat(a[0], &st) < 0)
				fail();
			else
				print_stat(&st);
		} else if (strcmp(op, "mtime") == 0) {
			if (stat(a[0], &st) < 0)
				fail();
			else
				printf("%lld\n", (long long)st.st_mtime);
		} else if (strcmp(op, "mtime-is") == 0) {
			if (stat(a[0], &st) < 0)
				fail();
			else
				printf("%s\n", (long long)st.st_mtime == num(a[1]) ? "yes" : "no");
		} else if (strcmp(op, "utimes") == 0) {
			set_times(ts, num(a[1]));
			result(utimensat(AT_FDCWD, a[0], ts, 0));
		} else if (strcmp(op, "cat") == 0) {
			do_cat(a[0]);
		} else if (strcmp(op, "ls") == 0) {
			do_ls(a[0]);
		} else if (strcmp(op, "mkdir") == 0) {
			result(mkdir(a[0], 0755));
		} else if (strcmp(op, "rmdir") == 0) {
			result(rmdir(a[0]));
		} else if (strcmp(op, "unlink") == 0) {
			result(unlink(a[0]));
		} else if (strcmp(op, "rename") == 0) {
			result(rename(a[0], a[1]));
		} else if (strcmp(op, "link") == 0) {
			result(link(a[0], a[1]));
		} else if (strcmp(op, "symlink") == 0) {
			result(symlink(a[0], a[1]));
		} else if (op[0] == 'w') { /* wread, wwrite, ...: "write" was handled above */
			do_raw(op, a);
		} else if (strcmp(op, "readlink") == 0) {
			char target[1024];
			ssize_t r = readlink(a[0], target, sizeof target);
			if (r < 0) {
				fail();
			} else {
				guest_print_quoted((const unsigned char *)target, (size_t)r);
				putchar('\n');
			}
		} else if (strcmp(op, "lstat") == 0) {
			if (lstat(a[0], &st) < 0)
				fail();
			else if (S_ISLNK(st.st_mode))
				printf("link\n");
			else
				print_stat(&st);
		} else if (strcmp(op, "echo") == 0) {
			printf("%s\n", a[0]);
		}
		fflush(stdout);
		i += 1 + nargs;
	}
	return 0;
}
