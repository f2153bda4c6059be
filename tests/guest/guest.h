/* Helpers shared by the guest test programs in tests/guest.
 *
 * The programs are built twice: for wasm32-wasi (clang + wasi-libc, run under
 * `ccfaas wasm run`) and natively (host compiler, run in a temp directory holding the same
 * files), and print deterministic lines that the case files in cases/ compare exactly.
 * Errors are printed by errno *name* (ENOENT, ENOTCAPABLE, ...) because the numbers differ
 * between wasi-libc and glibc. */
#ifndef CCF_GUEST_H
#define CCF_GUEST_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static inline const char *guest_errname(int e)
{
	switch (e) {
	case 0: return "OK";
	case E2BIG: return "E2BIG";
	case EACCES: return "EACCES";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case EBUSY: return "EBUSY";
	case EEXIST: return "EEXIST";
	case EFAULT: return "EFAULT";
	case EFBIG: return "EFBIG";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case EISDIR: return "EISDIR";
	case ELOOP: return "ELOOP";
	case EMFILE: return "EMFILE";
	case EMLINK: return "EMLINK";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOENT: return "ENOENT";
	case ENOMEM: return "ENOMEM";
	case ENOSPC: return "ENOSPC";
	case ENOSYS: return "ENOSYS";
	case ENOTDIR: return "ENOTDIR";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOTSUP: return "ENOTSUP";
	case ENOTTY: return "ENOTTY";
	case EOVERFLOW: return "EOVERFLOW";
	case EPERM: return "EPERM";
	case EROFS: return "EROFS";
	case ESPIPE: return "ESPIPE";
	case EXDEV: return "EXDEV";
#ifdef ENOTCAPABLE
	case ENOTCAPABLE: return "ENOTCAPABLE";
#endif
	default: return "E?";
	}
}

/* FNV-1a, 64 bit: a stable checksum printed by the programs. */
static inline uint64_t guest_fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
#define GUEST_FNV_INIT 0xcbf29ce484222325ULL

/* Prints n bytes as a quoted string: printable ASCII as is, the rest as \xNN. */
static inline void guest_print_quoted(const unsigned char *b, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\')
			putchar(b[i]);
		else
			printf("\\x%02x", b[i]);
	}
	putchar('"');
}

#endif
