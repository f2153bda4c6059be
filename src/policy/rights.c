#include "policy/rights.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    const char *description;
    const char *verb; /* for summaries; NULL = listed by name */
} bits[CCF_RIGHTS_COUNT] = {
    {"FD_DATASYNC", "synchronise file data to storage", "datasync"},
    {"FD_READ", "read file contents", "read"},
    {"FD_SEEK", "move the file offset (seek, including tell)", "seek"},
    {"FD_FDSTAT_SET_FLAGS", "change descriptor flags (e.g. append mode)", "set-flags"},
    {"FD_SYNC", "synchronise file data and metadata", "sync"},
    {"FD_TELL", "read the file offset", "tell"},
    {"FD_WRITE", "write file contents", "write"},
    {"FD_ADVISE", "give access-pattern advice", "advise"},
    {"FD_ALLOCATE", "reserve space in the file", "allocate"},
    {"PATH_CREATE_DIRECTORY", "create directories", "mkdir"},
    {"PATH_CREATE_FILE", "create files that do not exist", "create"},
    {"PATH_LINK_SOURCE", "be the source of a hard link", "link-from"},
    {"PATH_LINK_TARGET", "be the target of a hard link", "link-to"},
    {"PATH_OPEN", "open the file", "open"},
    {"FD_READDIR", "list directory entries", "readdir"},
    {"PATH_READLINK", "read symbolic links", "readlink"},
    {"PATH_RENAME_SOURCE", "rename the file away", "rename-from"},
    {"PATH_RENAME_TARGET", "rename something to this name", "rename-to"},
    {"PATH_FILESTAT_GET", "read metadata by path", "stat"},
    {"PATH_FILESTAT_SET_SIZE", "truncate or extend by path (open with O_TRUNC)", "truncate"},
    {"PATH_FILESTAT_SET_TIMES", "set timestamps by path", "set-times"},
    {"FD_FILESTAT_GET", "read metadata of an open file", "fstat"},
    {"FD_FILESTAT_SET_SIZE", "truncate or extend an open file", "ftruncate"},
    {"FD_FILESTAT_SET_TIMES", "set timestamps of an open file", "fset-times"},
    {"PATH_SYMLINK", "create symbolic links", "symlink"},
    {"PATH_REMOVE_DIRECTORY", "remove directories", "rmdir"},
    {"PATH_UNLINK_FILE", "delete the file", "unlink"},
    {"POLL_FD_READWRITE", "wait for the file to become readable/writable", "poll"},
    {"SOCK_SHUTDOWN", "shut down sockets", "sock-shutdown"},
    {"FD_EXECUTE", "execute the program (ccfaas extension)", "execute"},
};

const char *ccf_rights_bit_name(unsigned bit)
{
    return bit < CCF_RIGHTS_COUNT ? bits[bit].name : NULL;
}

const char *ccf_rights_bit_description(unsigned bit)
{
    return bit < CCF_RIGHTS_COUNT ? bits[bit].description : NULL;
}

/* Appends s to buf at *used; false when it does not fit. */
static bool append(char *buf, size_t size, size_t *used, const char *s)
{
    size_t n = strlen(s);
    if (*used + n + 1 > size) {
        size_t room = size > *used + 1 ? size - *used - 1 : 0;
        if (size > *used) {
            memcpy(buf + *used, s, room);
            buf[*used + room] = '\0';
        }
        *used = size;
        return false;
    }
    memcpy(buf + *used, s, n + 1);
    *used += n;
    return true;
}

static bool format_bits(uint32_t rights, const char *sep, bool verbs, char *buf, size_t size)
{
    size_t used = 0;
    bool first = true;
    if (size == 0)
        return false;
    buf[0] = '\0';
    for (unsigned bit = 0; bit < 32; bit++) {
        char unknown[16];
        const char *word;
        if (!(rights & (UINT32_C(1) << bit)))
            continue;
        if (bit < CCF_RIGHTS_COUNT) {
            word = verbs ? bits[bit].verb : bits[bit].name;
        } else {
            snprintf(unknown, sizeof unknown, "BIT_%u", bit);
            word = unknown;
        }
        if ((!first && !append(buf, size, &used, sep)) || !append(buf, size, &used, word))
            return false;
        first = false;
    }
    return true;
}

bool ccf_rights_format(uint32_t rights, const char *sep, char *buf, size_t size)
{
    return format_bits(rights, sep, false, buf, size);
}

bool ccf_rights_summary(uint32_t rights, char *buf, size_t size)
{
    if (rights == 0) {
        if (size == 0)
            return false;
        snprintf(buf, size, "nothing");
        return size > strlen("nothing");
    }
    return format_bits(rights, ", ", true, buf, size);
}

static bool parse_number(const char *text, uint32_t *out, char *err, size_t err_size)
{
    char *end = NULL;
    unsigned long long v;
    int base = (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) ? 16 : 10;
    const char *digits = base == 16 ? text + 2 : text;
    if (!isdigit((unsigned char)digits[0]) &&
        !(base == 16 && isxdigit((unsigned char)digits[0]))) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "'%s' is not a number", text);
        return false;
    }
    errno = 0;
    v = strtoull(digits, &end, base);
    if (errno != 0 || *end != '\0') {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "'%s' is not a number", text);
        return false;
    }
    if (v > CCF_RIGHTS_ALL) {
        ccf_errf(err, err_size, CCF_ERR_INVALID,
                 "%s is out of range: rights are bits 0-29 (at most %u)", text,
                 (unsigned)CCF_RIGHTS_ALL);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static int lookup_name(const char *token)
{
    if (strncasecmp(token, "CCF_", 4) == 0)
        token += 4;
    if (strncasecmp(token, "RIGHT_", 6) == 0)
        token += 6;
    for (unsigned bit = 0; bit < CCF_RIGHTS_COUNT; bit++) {
        if (strcasecmp(token, bits[bit].name) == 0)
            return (int)bit;
    }
    return -1;
}

ccf_err ccf_rights_parse(const char *text, uint32_t *out, char *err, size_t err_size)
{
    char token[64];
    uint32_t acc = 0;
    size_t ntokens = 0;
    const char *p = text;

    while (*p == ' ')
        p++;
    if (isdigit((unsigned char)*p)) {
        if (!parse_number(p, out, err, err_size))
            return CCF_ERR_INVALID;
        return CCF_OK;
    }
    while (*p != '\0') {
        size_t n = 0;
        int bit;
        while (*p == ',' || *p == '|' || *p == '+' || *p == ' ')
            p++;
        if (*p == '\0')
            break;
        while (p[n] != '\0' && p[n] != ',' && p[n] != '|' && p[n] != '+' && p[n] != ' ')
            n++;
        if (n >= sizeof token)
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "unknown right '%.*s...'", 40, p);
        memcpy(token, p, n);
        token[n] = '\0';
        p += n;
        bit = lookup_name(token);
        if (bit < 0)
            return ccf_errf(err, err_size, CCF_ERR_INVALID,
                            "unknown right '%s' (see `ccfaas policy rights --list`)", token);
        acc |= UINT32_C(1) << bit;
        ntokens++;
    }
    if (ntokens == 0)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "no rights given");
    *out = acc;
    return CCF_OK;
}
