/* wasicalls: WASI preview1 calls made directly (wasm32-wasi only; the native build only says
 * so), for what wasi-libc hides: descriptor rights, preopens, renumbering, poll_oneoff, and
 * the host's bounds checks on guest pointers.
 *
 * usage: wasicalls MODE [PATH]
 *   prestat        fd_prestat_get / fd_prestat_dir_name on fds 3..5
 *   rights PATH    the root's fdstat rights; PATH opened asking for every right: its rights are
 *                  what the entry grants; fd_fdstat_set_rights may drop rights, never add them
 *   fds            fd_close / fd_renumber / fd_fdstat_get on bad and renumbered descriptors
 *   poll PATH      poll_oneoff: an fd_read subscription on PATH, then a relative clock one
 *   bounds         calls given pointers and lengths outside linear memory: each must fail
 *                  with EFAULT (the host checks them; nothing is written, nothing traps);
 *                  needs a readable file "a"
 *   yield          sched_yield
 *   dirfd          directory descriptors as Rust's std and wasi-libc open them: "." and a
 *                  subdirectory with OFLAGS_DIRECTORY and the root's own rights (masked, not
 *                  refused), FD_WRITE on a directory (EISDIR), data calls on a directory,
 *                  fd_readdir with cookies, *at calls relative to the new descriptor and the
 *                  rights it holds (dropped rights refuse them), renumbering a directory over a
 *                  file, closing the preopen; run in an empty root with every right */
#include <stdlib.h>

#include "guest.h"

#ifndef __wasi__
int main(void)
{
	printf("wasicalls: wasm32-wasi only\n");
	return 0;
}
#else
#include <wasi/api.h>

#define ALL_RIGHTS ((__wasi_rights_t)((1u << 29) - 1))

/* raw imports: every argument exactly as given, so pointers can be forged */
#define WASI_IMPORT(name) \
	__attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__(name)))
int32_t raw_fd_write(int32_t fd, int32_t iovs, int32_t niovs, int32_t nwritten)
	WASI_IMPORT("fd_write");
int32_t raw_fd_read(int32_t fd, int32_t iovs, int32_t niovs, int32_t nread) WASI_IMPORT("fd_read");
int32_t raw_random_get(int32_t buf, int32_t len) WASI_IMPORT("random_get");
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t path_len, int32_t oflags,
		      int64_t base, int64_t inheriting, int32_t fdflags, int32_t newfd)
	WASI_IMPORT("path_open");
int32_t raw_args_sizes_get(int32_t argc, int32_t argv_buf_size) WASI_IMPORT("args_sizes_get");
int32_t raw_fd_prestat_dir_name(int32_t fd, int32_t path, int32_t len)
	WASI_IMPORT("fd_prestat_dir_name");
int32_t raw_fd_filestat_get(int32_t fd, int32_t buf) WASI_IMPORT("fd_filestat_get");

static const char *en(__wasi_errno_t e)
{
	return e == 0 ? "ok" : guest_errname(e);
}

static void prestat(void)
{
	for (__wasi_fd_t fd = 3; fd <= 5; fd++) {
		__wasi_prestat_t ps;
		__wasi_errno_t e = __wasi_fd_prestat_get(fd, &ps);
		printf("fd_prestat_get %u: %s", (unsigned)fd, en(e));
		if (e == 0) {
			char name[256] = {0};
			size_t len = ps.u.dir.pr_name_len < sizeof name - 1 ? ps.u.dir.pr_name_len
									   : sizeof name - 1;
			e = __wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len);
			printf(" tag=%u name_len=%u name=%s \"%s\"", ps.tag,
			       (unsigned)ps.u.dir.pr_name_len, en(e), name);
		}
		putchar('\n');
	}
}

static __wasi_fd_t open_path(const char *path, __wasi_rights_t base)
{
	__wasi_fd_t fd = 0;
	__wasi_errno_t e = __wasi_path_open(3, 0, path, 0, base, base, 0, &fd);
	printf("path_open %s asking %llu: %s\n", path, (unsigned long long)base, en(e));
	return e == 0 ? fd : (__wasi_fd_t)-1;
}

static void show_rights(const char *what, __wasi_fd_t fd)
{
	__wasi_fdstat_t st;
	__wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
	if (e != 0)
		printf("fdstat %s: %s\n", what, en(e));
	else
		printf("fdstat %s: base=%llu inheriting=%llu\n", what,
		       (unsigned long long)st.fs_rights_base,
		       (unsigned long long)st.fs_rights_inheriting);
}

static void rights(const char *path)
{
	show_rights("root", 3);
	__wasi_fd_t fd = open_path(path, ALL_RIGHTS);
	if (fd == (__wasi_fd_t)-1)
		return;
	show_rights(path, fd);
	__wasi_rights_t small = __WASI_RIGHTS_FD_READ;
	printf("set_rights FD_READ: %s\n", en(__wasi_fd_fdstat_set_rights(fd, small, 0)));
	show_rights(path, fd);
	printf("set_rights back to all: %s\n",
	       en(__wasi_fd_fdstat_set_rights(fd, ALL_RIGHTS, ALL_RIGHTS)));
	show_rights(path, fd);
	__wasi_filesize_t pos;
	printf("fd_seek after dropping FD_SEEK: %s\n",
	       en(__wasi_fd_seek(fd, 1, __WASI_WHENCE_SET, &pos)));
	char buf[16] = {0};
	__wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
	__wasi_size_t n = 0;
	__wasi_errno_t e = __wasi_fd_read(fd, &iov, 1, &n);
	printf("fd_read: %s %u\n", en(e), (unsigned)n);
	printf("fd_close: %s\n", en(__wasi_fd_close(fd)));
}

static void fds(void)
{
	__wasi_fdstat_t st;
	printf("fd_close 99: %s\n", en(__wasi_fd_close(99)));
	printf("fd_fdstat_get 99: %s\n", en(__wasi_fd_fdstat_get(99, &st)));
	__wasi_fd_t a = open_path("a", __WASI_RIGHTS_FD_READ);
	__wasi_fd_t b = open_path("b", __WASI_RIGHTS_FD_READ);
	if (a == (__wasi_fd_t)-1 || b == (__wasi_fd_t)-1)
		return;
	printf("fd_renumber a -> b: %s\n", en(__wasi_fd_renumber(a, b)));
	printf("fd_fdstat_get a: %s\n", en(__wasi_fd_fdstat_get(a, &st)));
	char buf[16] = {0};
	__wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
	__wasi_size_t n = 0;
	__wasi_errno_t e = __wasi_fd_read(b, &iov, 1, &n);
	printf("fd_read b: %s \"%s\"\n", en(e), buf);
	printf("fd_renumber b -> 99: %s\n", en(__wasi_fd_renumber(b, 99)));
	printf("fd_close b: %s\n", en(__wasi_fd_close(b)));
	printf("fd_close b again: %s\n", en(__wasi_fd_close(b)));
	printf("fd_renumber 3 -> 3: %s\n", en(__wasi_fd_renumber(3, 3)));
	printf("fd_fdstat_get 3: %s\n", en(__wasi_fd_fdstat_get(3, &st)));
}

static __wasi_errno_t open_at(__wasi_fd_t dir, const char *path, __wasi_oflags_t oflags,
			      __wasi_rights_t base, __wasi_rights_t inh, __wasi_fd_t *fd)
{
	return __wasi_path_open(dir, 0, path, oflags, base, inh, 0, fd);
}

/* The names fd_readdir gives from `cookie` on (one call, a small buffer), with the cookie of
 * the last whole entry in *last. */
static void readdir_from(__wasi_fd_t fd, __wasi_dircookie_t cookie, __wasi_dircookie_t *last)
{
	uint8_t buf[64];
	__wasi_size_t used = 0, at = 0;
	__wasi_errno_t e = __wasi_fd_readdir(fd, buf, sizeof buf, cookie, &used);
	printf("fd_readdir from %llu: %s", (unsigned long long)cookie, en(e));
	while (e == 0 && at + sizeof(__wasi_dirent_t) <= used) {
		__wasi_dirent_t d;
		memcpy(&d, buf + at, sizeof d);
		if (at + sizeof d + d.d_namlen > used)
			break; /* cut short: the buffer was full */
		printf(" %.*s", (int)d.d_namlen, (const char *)buf + at + sizeof d);
		*last = d.d_next;
		at += sizeof d + d.d_namlen;
	}
	printf("%s\n", used == sizeof buf ? " (full)" : "");
}

static void dirfd(void)
{
	__wasi_fdstat_t root, st;
	__wasi_fd_t dot, sub, f;
	__wasi_filesize_t pos;
	__wasi_dircookie_t last = 0;
	char buf[8];
	__wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf};
	__wasi_size_t n;

	if (__wasi_fd_fdstat_get(3, &root) != 0)
		return;
	printf("mkdir sub, create sub/x, sub/y: %s", en(__wasi_path_create_directory(3, "sub")));
	printf(" %s", en(open_at(3, "sub/x", __WASI_OFLAGS_CREAT, 0, 0, &f)));
	printf(" %s\n", en(open_at(3, "sub/y", __WASI_OFLAGS_CREAT, 0, 0, &f)));
	/* Rust's std opens the preopen itself with the rights it reports */
	printf("open . DIRECTORY with the root's rights: %s\n",
	       en(open_at(3, ".", __WASI_OFLAGS_DIRECTORY, root.fs_rights_base,
			  root.fs_rights_inheriting, &dot)));
	printf("open . asking every right but FD_WRITE: %s\n",
	       en(open_at(3, ".", 0, ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, ALL_RIGHTS, &f)));
	show_rights(". (masked)", f);
	printf("open . DIRECTORY with FD_READ|FD_WRITE: %s\n",
	       en(open_at(3, ".", __WASI_OFLAGS_DIRECTORY,
			  __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE, 0, &f)));
	printf("open sub/x DIRECTORY: %s\n", en(open_at(3, "sub/x", __WASI_OFLAGS_DIRECTORY, 0, 0, &f)));
	printf("open sub/x/ (trailing slash): %s\n", en(open_at(3, "sub/x/", 0, 0, 0, &f)));
	printf("open new/ CREAT: %s\n", en(open_at(3, "new/", __WASI_OFLAGS_CREAT, 0, 0, &f)));
	printf("open sub CREAT|DIRECTORY: %s\n",
	       en(open_at(3, "sub", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_DIRECTORY, 0, 0, &f)));
	printf("open sub/ (a directory without OFLAGS_DIRECTORY): %s\n",
	       en(open_at(dot, "sub/", 0, ALL_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, ALL_RIGHTS, &sub)));
	if (__wasi_fd_fdstat_get(sub, &st) == 0)
		printf("fdstat sub: filetype=%u FD_SEEK=%d FD_READ=%d FD_READDIR=%d\n",
		       (unsigned)st.fs_filetype, !!(st.fs_rights_base & __WASI_RIGHTS_FD_SEEK),
		       !!(st.fs_rights_base & __WASI_RIGHTS_FD_READ),
		       !!(st.fs_rights_base & __WASI_RIGHTS_FD_READDIR));
	printf("fd_seek sub: %s\n", en(__wasi_fd_seek(sub, 0, __WASI_WHENCE_CUR, &pos)));
	printf("fd_tell sub: %s\n", en(__wasi_fd_tell(sub, &pos)));
	printf("fd_read sub: %s\n", en(__wasi_fd_read(sub, &iov, 1, &n)));
	printf("fd_filestat_set_size sub: %s\n", en(__wasi_fd_filestat_set_size(sub, 0)));
	/* readdir with cookies, resumed after the entry before it was removed */
	readdir_from(sub, 0, &last);
	readdir_from(sub, 2, &last);
	printf("unlink x through sub: %s\n", en(__wasi_path_unlink_file(sub, "x")));
	readdir_from(sub, 3, &last);
	/* *at calls relative to sub */
	printf("create z through sub: %s\n",
	       en(open_at(sub, "z", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, &f)));
	printf("fd_close z: %s\n", en(__wasi_fd_close(f)));
	printf("mkdir d through sub: %s\n", en(__wasi_path_create_directory(sub, "d")));
	printf("rename z d/z2 through sub: %s\n", en(__wasi_path_rename(sub, "z", sub, "d/z2")));
	printf("rename y y2/ (a file with a slash): %s\n", en(__wasi_path_rename(sub, "y", sub, "y2/")));
	printf("symlink to new/: %s\n", en(__wasi_path_symlink("y", sub, "ln/")));
	/* the descriptor follows its directory's rename; *at calls on it still work */
	printf("rename sub moved: %s\n", en(__wasi_path_rename(3, "sub", 3, "moved")));
	__wasi_filestat_t fst;
	printf("stat d/z2 through the renamed sub: %s\n",
	       en(__wasi_path_filestat_get(sub, 0, "d/z2", &fst)));
	/* dropped rights on a directory descriptor refuse the calls that need them */
	printf("set_rights sub: drop PATH_CREATE_DIRECTORY, PATH_OPEN: %s\n",
	       en(__wasi_fd_fdstat_set_rights(sub, st.fs_rights_base & ~(__WASI_RIGHTS_PATH_CREATE_DIRECTORY |
									    __WASI_RIGHTS_PATH_OPEN),
					      st.fs_rights_inheriting)));
	printf("mkdir e through sub: %s\n", en(__wasi_path_create_directory(sub, "e")));
	printf("open y through sub: %s\n", en(open_at(sub, "y", 0, 0, 0, &f)));
	printf("set_rights sub: add them back: %s\n",
	       en(__wasi_fd_fdstat_set_rights(sub, st.fs_rights_base, st.fs_rights_inheriting)));
	/* a directory descriptor renumbered over a file one, then the preopen closed */
	printf("open moved/y: %s\n", en(open_at(dot, "moved/y", 0, __WASI_RIGHTS_FD_READ, 0, &f)));
	printf("fd_renumber sub -> y's fd: %s\n", en(__wasi_fd_renumber(sub, f)));
	printf("path_filestat_get d through it: %s\n", en(__wasi_path_filestat_get(f, 0, "d", &fst)));
	printf("fd_close the preopen: %s\n", en(__wasi_fd_close(3)));
	printf("fd_fdstat_get 3: %s\n", en(__wasi_fd_fdstat_get(3, &st)));
	printf("stat moved/d through the . descriptor: %s\n",
	       en(__wasi_path_filestat_get(dot, 0, "moved/d", &fst)));
	/* *at calls relative to a removed directory */
	printf("unlink moved/d/z2, rmdir moved/d: %s %s\n", en(__wasi_path_unlink_file(dot, "moved/d/z2")),
	       en(__wasi_path_remove_directory(dot, "moved/d")));
	printf("open moved, unlink moved/y: %s",
	       en(open_at(dot, "moved", 0, __WASI_RIGHTS_PATH_CREATE_DIRECTORY, 0, &sub)));
	printf(" %s\n", en(__wasi_path_unlink_file(dot, "moved/y")));
	printf("rmdir moved: %s\n", en(__wasi_path_remove_directory(dot, "moved")));
	printf("mkdir in the removed directory: %s\n", en(__wasi_path_create_directory(sub, "q")));
}

static void poll(const char *path)
{
	__wasi_fd_t fd = open_path(path, __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_POLL_FD_READWRITE);
	if (fd == (__wasi_fd_t)-1)
		return;
	__wasi_subscription_t sub[1];
	__wasi_event_t ev[1];
	__wasi_size_t n = 0;
	memset(sub, 0, sizeof sub);
	memset(ev, 0, sizeof ev);
	sub[0].userdata = 7;
	sub[0].u.tag = __WASI_EVENTTYPE_FD_READ;
	sub[0].u.u.fd_read.file_descriptor = fd;
	__wasi_errno_t e = __wasi_poll_oneoff(sub, ev, 1, &n);
	printf("poll fd_read: %s events=%u", en(e), (unsigned)n);
	if (e == 0 && n == 1)
		printf(" userdata=%llu error=%s type=%u nbytes=%llu", (unsigned long long)ev[0].userdata,
		       en(ev[0].error), ev[0].type, (unsigned long long)ev[0].fd_readwrite.nbytes);
	putchar('\n');
	memset(sub, 0, sizeof sub);
	memset(ev, 0, sizeof ev);
	sub[0].userdata = 9;
	sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
	sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
	sub[0].u.u.clock.timeout = 1000000; /* 1 ms, relative */
	e = __wasi_poll_oneoff(sub, ev, 1, &n);
	printf("poll clock: %s events=%u", en(e), (unsigned)n);
	if (e == 0 && n == 1)
		printf(" userdata=%llu error=%s type=%u", (unsigned long long)ev[0].userdata,
		       en(ev[0].error), ev[0].type);
	putchar('\n');
	printf("poll nothing: %s\n", en(__wasi_poll_oneoff(sub, ev, 0, &n)));
}

static void bounds(void)
{
	int32_t end = (int32_t)(__builtin_wasm_memory_size(0) * 65536u); /* first invalid byte */
	static __wasi_ciovec_t iov[1];
	static __wasi_size_t n;
	static char canary[8] = "canary";
	/* an iovec array past the end of memory, and one straddling it */
	printf("fd_write iovs past the end: %s\n", en(raw_fd_write(1, end, 1, (int32_t)&n)));
	printf("fd_write iovs straddling the end: %s\n", en(raw_fd_write(1, end - 4, 1, (int32_t)&n)));
	/* a good iovec whose buffer is past the end */
	iov[0].buf = (const uint8_t *)(uintptr_t)(end - 2);
	iov[0].buf_len = 16;
	printf("fd_write buffer straddling the end: %s\n",
	       en(raw_fd_write(1, (int32_t)iov, 1, (int32_t)&n)));
	/* lengths that overflow 32 bits when added to the pointer */
	iov[0].buf = (const uint8_t *)canary;
	iov[0].buf_len = 0xfffffff0u;
	printf("fd_write huge length: %s\n", en(raw_fd_write(1, (int32_t)iov, 1, (int32_t)&n)));
	printf("fd_write huge iovec count: %s\n",
	       en(raw_fd_write(1, (int32_t)iov, 0x20000000, (int32_t)&n)));
	iov[0].buf_len = 3;
	printf("fd_write result pointer past the end: %s\n",
	       en(raw_fd_write(1, (int32_t)iov, 1, end - 2)));
	/* reading file "a" into a buffer straddling the end: refused, and the offset stays */
	__wasi_fd_t fd = open_path("a", __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK);
	static __wasi_iovec_t riov[1];
	riov[0].buf = (uint8_t *)(uintptr_t)(end - 2);
	riov[0].buf_len = 16;
	printf("fd_read into a buffer straddling the end: %s\n",
	       en(raw_fd_read((int32_t)fd, (int32_t)riov, 1, (int32_t)&n)));
	__wasi_filesize_t pos = 99;
	printf("fd_tell after it: %s %llu\n", en(__wasi_fd_tell(fd, &pos)), (unsigned long long)pos);
	riov[0].buf = (uint8_t *)canary;
	riov[0].buf_len = 2;
	printf("fd_read result pointer past the end: %s\n",
	       en(raw_fd_read((int32_t)fd, (int32_t)riov, 1, end)));
	pos = 99;
	printf("fd_tell after it: %s %llu\n", en(__wasi_fd_tell(fd, &pos)), (unsigned long long)pos);
	printf("random_get straddling the end: %s\n", en(raw_random_get(end - 8, 16)));
	printf("random_get huge length: %s\n", en(raw_random_get(8, -1)));
	printf("path_open path straddling the end: %s\n",
	       en(raw_path_open(3, 0, end - 3, 8, 0, 0, 0, 0, (int32_t)&n)));
	printf("path_open result pointer past the end: %s\n",
	       en(raw_path_open(3, 0, (int32_t)"a", 1, 0, 0, 0, 0, end)));
	printf("args_sizes_get result past the end: %s\n",
	       en(raw_args_sizes_get(end - 2, (int32_t)&n)));
	printf("fd_prestat_dir_name buffer past the end: %s\n",
	       en(raw_fd_prestat_dir_name(3, end - 0, 1)));
	printf("fd_filestat_get result straddling the end: %s\n",
	       en(raw_fd_filestat_get(1, end - 8)));
	printf("canary intact: %s\n", strcmp(canary, "canary") == 0 ? "yes" : "no");
	printf("survived\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wasicalls prestat|rights PATH|fds|poll PATH|bounds|yield|dirfd\n");
		return 2;
	}
	const char *m = argv[1];
	if (strcmp(m, "prestat") == 0)
		prestat();
	else if (strcmp(m, "rights") == 0 && argc == 3)
		rights(argv[2]);
	else if (strcmp(m, "fds") == 0)
		fds();
	else if (strcmp(m, "poll") == 0 && argc == 3)
		poll(argv[2]);
	else if (strcmp(m, "bounds") == 0)
		bounds();
	else if (strcmp(m, "dirfd") == 0)
		dirfd();
	else if (strcmp(m, "yield") == 0)
		printf("sched_yield: %s\n", en(__wasi_sched_yield()));
	else {
		fprintf(stderr, "wasicalls: bad mode\n");
		return 2;
	}
	return 0;
}
#endif
