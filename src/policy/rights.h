/* File rights: WASI rights bits 0-28 (the spec's table) plus bit 29,
 * FD_EXECUTE (ccfaas). Bits 30 and above are never valid. */
#ifndef CCF_POLICY_RIGHTS_H
#define CCF_POLICY_RIGHTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define CCF_RIGHTS_COUNT 30
#define CCF_RIGHTS_ALL ((UINT32_C(1) << CCF_RIGHTS_COUNT) - 1)

enum {
    CCF_FD_DATASYNC = 1u << 0,
    CCF_FD_READ = 1u << 1,
    CCF_FD_SEEK = 1u << 2,
    CCF_FD_FDSTAT_SET_FLAGS = 1u << 3,
    CCF_FD_SYNC = 1u << 4,
    CCF_FD_TELL = 1u << 5,
    CCF_FD_WRITE = 1u << 6,
    CCF_FD_ADVISE = 1u << 7,
    CCF_FD_ALLOCATE = 1u << 8,
    CCF_PATH_CREATE_DIRECTORY = 1u << 9,
    CCF_PATH_CREATE_FILE = 1u << 10,
    CCF_PATH_LINK_SOURCE = 1u << 11,
    CCF_PATH_LINK_TARGET = 1u << 12,
    CCF_PATH_OPEN = 1u << 13,
    CCF_FD_READDIR = 1u << 14,
    CCF_PATH_READLINK = 1u << 15,
    CCF_PATH_RENAME_SOURCE = 1u << 16,
    CCF_PATH_RENAME_TARGET = 1u << 17,
    CCF_PATH_FILESTAT_GET = 1u << 18,
    CCF_PATH_FILESTAT_SET_SIZE = 1u << 19,
    CCF_PATH_FILESTAT_SET_TIMES = 1u << 20,
    CCF_FD_FILESTAT_GET = 1u << 21,
    CCF_FD_FILESTAT_SET_SIZE = 1u << 22,
    CCF_FD_FILESTAT_SET_TIMES = 1u << 23,
    CCF_PATH_SYMLINK = 1u << 24,
    CCF_PATH_REMOVE_DIRECTORY = 1u << 25,
    CCF_PATH_UNLINK_FILE = 1u << 26,
    CCF_POLL_FD_READWRITE = 1u << 27,
    CCF_SOCK_SHUTDOWN = 1u << 28,
    CCF_FD_EXECUTE = 1u << 29,
};

/* The name of bit `bit` (0..29), e.g. "FD_READ"; NULL when out of range. */
const char *ccf_rights_bit_name(unsigned bit);

/* One-line description of bit `bit` for humans; NULL when out of range. */
const char *ccf_rights_bit_description(unsigned bit);

/* Writes the names of the set bits, lowest bit first, joined by `sep`
 * ("FD_SEEK,FD_WRITE"); "" for 0. Bits >= 30 are written as "BIT_n".
 * Returns false when buf is too small (buf then holds a truncated string). */
bool ccf_rights_format(uint32_t rights, const char *sep, char *buf, size_t size);

/* Parses a rights expression: a decimal or 0x-hex number, or names of bits
 * (with or without "CCF_"/"RIGHT_" prefixes, any case) separated by ',', '|',
 * '+' or spaces. Fails with a message naming the bad token. */
ccf_err ccf_rights_parse(const char *text, uint32_t *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Short verbs for what the rights allow ("open, read, seek"), for tables. */
bool ccf_rights_summary(uint32_t rights, char *buf, size_t size);

#endif
