/* libFuzzer target: random sequences of file-system operations (the calls
 * WASI and the data plane make) by the host and by two limited principals.
 * Invariants: no crash or leak; a refused operation (ENOTCAPABLE) changes
 * neither the bytes stored nor the node count; usage stays within limits. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/rights.h"
#include "wasi/vfs.h"

static const char *const paths[] = {
    "a", "b", "d", "d/x", "d/e", "d/e/f", "out", "out/r", "..", "d/..", "l", "d/l",
    "a/", "d/./x", "../a", "l/x", "", ".", "x/y/z", "out/../a",
};
#define NPATHS (sizeof paths / sizeof paths[0])

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t next(struct input *in)
{
    if (in->n == 0)
        return 0;
    in->n--;
    return *in->p++;
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
struct listing {
    uint64_t last;     /* the cookie the listing started from, then the last d_next */
    unsigned seen, max; /* entries given; stop after max (a short buffer) */
};

static bool check_dirent(void *user, uint64_t next_cookie, uint64_t ino, uint8_t type,
                         const char *name, size_t name_len)
{
    struct listing *l = user;
    (void)ino;
    (void)type;
    if (next_cookie <= l->last || name_len == 0 || name_len > 255 || name[0] == '\0')
        abort();
    l->last = next_cookie;
    return ++l->seen < l->max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_vfs_limits limits = {.max_total_bytes = 1 << 16, .max_file_bytes = 1 << 14, .max_nodes = 64};
    ccf_vfs *vfs = ccf_vfs_new(&limits);
    ccf_file_right reader_items[] = {{"a", 8198}, {"d/", 8198 | CCF_FD_READDIR}};
    ccf_file_right writer_items[] = {{"out/", CCF_RIGHTS_ALL}, {"b", 533572}, {"l", CCF_PATH_SYMLINK}};
    ccf_file_rights reader = {reader_items, 2}, writer = {writer_items, 3};
    const ccf_file_rights *principals[] = {NULL, &reader, &writer};
    ccf_vfs_node *open_nodes[8] = {0};
    struct input in = {data, size};
    uint8_t buf[512];

    if (vfs == NULL)
        return 0;
    while (in.n > 0) {
        uint8_t op = next(&in) % 15;
        const ccf_file_rights *who = principals[next(&in) % 3];
        char path[CCF_VFS_PATH_MAX], path2[CCF_VFS_PATH_MAX];
        const char *raw = paths[next(&in) % NPATHS], *raw2 = paths[next(&in) % NPATHS];
        uint64_t bytes = ccf_vfs_bytes_used(vfs);
        uint32_t nodes = ccf_vfs_nodes_used(vfs);
        unsigned slot = next(&in) % 8;
        uint8_t arg = next(&in); /* flags, offset or size, per operation */
        size_t len = next(&in), got;
        uint32_t rights;
        ccf_wasi_errno e = WASI_ESUCCESS;

        if (len > in.n) /* the rest of the input is the data */
            len = in.n;
        if (ccf_vfs_resolve(vfs, NULL, "", raw, strlen(raw), op & 1, path) != WASI_ESUCCESS ||
            ccf_vfs_resolve(vfs, NULL, "", raw2, strlen(raw2), false, path2) != WASI_ESUCCESS)
            continue;
        switch (op) {
        case 0: e = ccf_vfs_put(vfs, who, path, in.p, len, false); break;
        case 1: e = ccf_vfs_put(vfs, who, path, in.p, len, true); break;
        case 2: {
            uint8_t *out = NULL;
            e = ccf_vfs_get(vfs, who, path, &out, &got);
            free(out);
            break;
        }
        case 3: e = ccf_vfs_mkdir(vfs, who, path); break;
        case 4: e = ccf_vfs_rmdir(vfs, who, path); break;
        case 5: e = ccf_vfs_unlink(vfs, who, path); break;
        case 6: e = ccf_vfs_rename(vfs, who, path, path2); break;
        case 7: e = ccf_vfs_link(vfs, who, path, path2); break;
        case 8: e = ccf_vfs_symlink(vfs, who, raw2, path); break;
        case 9: {
            ccf_vfs_node *n = NULL;
            e = ccf_vfs_open(vfs, who, path, (uint16_t)(arg & 15), &n, &rights);
            if (e == WASI_ESUCCESS) {
                ccf_vfs_release(vfs, open_nodes[slot]);
                open_nodes[slot] = n;
            }
            break;
        }
        case 10:
            if (open_nodes[slot] != NULL)
                (void)ccf_vfs_node_write(vfs, open_nodes[slot], arg * 64u, in.p, len);
            break;
        case 11:
            if (open_nodes[slot] != NULL)
                (void)ccf_vfs_node_read(open_nodes[slot], arg, buf, sizeof buf, &got);
            break;
        case 12:
            if (open_nodes[slot] != NULL)
                (void)ccf_vfs_node_truncate(vfs, open_nodes[slot], (uint64_t)arg * 97u);
            break;
        case 13: e = ccf_vfs_readlink(vfs, who, path, (char *)buf, sizeof buf, &got); break;
        case 14: {
            /* a listing from cookie `arg`: cookies only grow (resumable), names non-empty */
            struct listing l = {arg, 0, (arg & 7u) + 1};
            e = ccf_vfs_readdir(vfs, who, path, arg, check_dirent, &l);
            break;
        }
        }
        if (e == WASI_ENOTCAPABLE &&
            (ccf_vfs_bytes_used(vfs) != bytes || ccf_vfs_nodes_used(vfs) != nodes))
            abort(); /* a refusal changed something */
        if (ccf_vfs_bytes_used(vfs) > limits.max_total_bytes ||
            ccf_vfs_nodes_used(vfs) > limits.max_nodes)
            abort();
        in.p += len;
        in.n -= len;
    }
    for (unsigned i = 0; i < 8; i++)
        ccf_vfs_release(vfs, open_nodes[i]);
    ccf_vfs_free(vfs);
    return 0;
}
