/* In-memory file system with per-principal capability checks (docs/rights.md). */
#include "wasi/vfs.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy/rights.h"
#include "common/fifo.h"

#define NAME_MAX_LEN 255
#define MAX_SYMLINK_HOPS 40

typedef struct {
    char *name;
    ccf_vfs_node *node;
    uint64_t seq; /* insertion number in its directory: the readdir cookie is seq + 2 */
} dir_entry;

struct ccf_vfs_node {
    uint8_t type; /* WASI_FILETYPE_* */
    uint64_t ino;
    uint32_t nlink; /* directory entries naming it */
    uint32_t refs;  /* open descriptors */
    uint64_t atim, mtim, ctim;
    uint8_t *data; /* regular file */
    uint64_t size, cap;
    uint64_t generation; /* bumped on every change of data or size */
    dir_entry *entries; /* directory, in insertion order (seq ascending) */
    size_t count, entries_cap;
    uint64_t next_seq; /* directory: seq of the next entry inserted */
    char *target; /* symbolic link */
    ccf_fifo *fifo; /* a stream file (not owned): its bytes are in flight, never in data */
};

struct ccf_vfs {
    ccf_vfs_node *root;
    ccf_vfs_limits limits;
    uint64_t bytes;
    uint32_t nodes;
    uint64_t next_ino;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static ccf_vfs_node *node_new(ccf_vfs *vfs, uint8_t type)
{
    ccf_vfs_node *n;
    if (vfs->nodes >= vfs->limits.max_nodes || (n = calloc(1, sizeof *n)) == NULL)
        return NULL;
    n->type = type;
    n->ino = vfs->next_ino++;
    n->atim = n->mtim = n->ctim = now_ns();
    vfs->nodes++;
    return n;
}

/* File contents are user data: wiped before their memory goes back to the
 * allocator (as OpenSSH's sshbuf does), whatever the file's size then. */
static void data_free(uint8_t *data, uint64_t cap)
{
    if (data != NULL)
        OPENSSL_cleanse(data, (size_t)cap);
    free(data);
}

static void node_destroy(ccf_vfs *vfs, ccf_vfs_node *n)
{
    for (size_t i = 0; i < n->count; i++) {
        ccf_vfs_node *child = n->entries[i].node;
        free(n->entries[i].name);
        if (--child->nlink == 0)
            node_destroy(vfs, child);
    }
    vfs->bytes -= n->size;
    vfs->nodes--;
    free(n->entries);
    data_free(n->data, n->cap);
    free(n->target);
    free(n);
}

/* Frees the node once nothing names or holds it. */
static void node_maybe_free(ccf_vfs *vfs, ccf_vfs_node *n)
{
    if (n->nlink == 0 && n->refs == 0)
        node_destroy(vfs, n);
}

ccf_vfs *ccf_vfs_new(const ccf_vfs_limits *limits)
{
    ccf_vfs *vfs = calloc(1, sizeof *vfs);
    if (vfs == NULL)
        return NULL;
    if (limits != NULL)
        vfs->limits = *limits;
    if (vfs->limits.max_total_bytes == 0)
        vfs->limits.max_total_bytes = UINT64_C(1) << 30;
    if (vfs->limits.max_file_bytes == 0 || vfs->limits.max_file_bytes > vfs->limits.max_total_bytes)
        vfs->limits.max_file_bytes = vfs->limits.max_total_bytes;
    if (vfs->limits.max_nodes == 0)
        vfs->limits.max_nodes = 100000;
    vfs->next_ino = 1;
    if ((vfs->root = node_new(vfs, WASI_FILETYPE_DIRECTORY)) == NULL) {
        free(vfs);
        return NULL;
    }
    vfs->root->nlink = 1;
    return vfs;
}

/* Open descriptors must be released before; any left are freed with the tree. */
void ccf_vfs_free(ccf_vfs *vfs)
{
    if (vfs == NULL)
        return;
    node_destroy(vfs, vfs->root);
    free(vfs);
}

uint64_t ccf_vfs_bytes_used(const ccf_vfs *vfs) { return vfs->bytes; }
uint32_t ccf_vfs_nodes_used(const ccf_vfs *vfs) { return vfs->nodes; }

/* ---- lookup ---------------------------------------------------------------- */

static dir_entry *dir_find(const ccf_vfs_node *dir, const char *name, size_t len)
{
    for (size_t i = 0; i < dir->count; i++) {
        if (strlen(dir->entries[i].name) == len && memcmp(dir->entries[i].name, name, len) == 0)
            return &dir->entries[i];
    }
    return NULL;
}

/* The node at a normalised path (no symlink is followed), or NULL. */
static ccf_vfs_node *lookup(const ccf_vfs *vfs, const char *path)
{
    ccf_vfs_node *n = vfs->root;
    const char *p = path;
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        dir_entry *e;
        if (n->type != WASI_FILETYPE_DIRECTORY || (e = dir_find(n, p, len)) == NULL)
            return NULL;
        n = e->node;
        p += len;
        if (*p == '/')
            p++;
    }
    return n;
}

ccf_vfs_node *ccf_vfs_lookup(const ccf_vfs *vfs, const char *path) { return lookup(vfs, path); }

/* Splits a normalised non-root path into its parent node and last name. */
static ccf_vfs_node *parent_of(const ccf_vfs *vfs, const char *path, const char **name)
{
    char parent[CCF_VFS_PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        *name = path;
        return vfs->root;
    }
    memcpy(parent, path, (size_t)(slash - path));
    parent[slash - path] = '\0';
    *name = slash + 1;
    return lookup(vfs, parent);
}

ccf_wasi_errno ccf_vfs_resolve(const ccf_vfs *vfs, const ccf_file_rights *principal,
                               const char *base, const char *rel, size_t rel_len,
                               bool follow_last, char out[CCF_VFS_PATH_MAX])
{
    char work[2 * CCF_VFS_PATH_MAX], next[2 * CCF_VFS_PATH_MAX];
    size_t wlen = rel_len, pos = 0, olen = strlen(base);
    int hops = 0;
    bool trailing_slash;

    if (rel_len == 0)
        return WASI_ENOENT;
    if (memchr(rel, '\0', rel_len) != NULL)
        return WASI_EINVAL;
    if (rel[0] == '/')
        return WASI_ENOTCAPABLE;
    if (rel_len >= CCF_VFS_PATH_MAX || olen >= CCF_VFS_PATH_MAX)
        return WASI_ENAMETOOLONG;
    memcpy(work, rel, rel_len);
    work[wlen] = '\0';
    memcpy(out, base, olen + 1);
    trailing_slash = rel[rel_len - 1] == '/';

    while (pos < wlen) {
        size_t start, len, rest;
        while (pos < wlen && work[pos] == '/')
            pos++;
        if (pos == wlen)
            break;
        start = pos;
        while (pos < wlen && work[pos] != '/')
            pos++;
        len = pos - start;
        rest = pos;
        while (rest < wlen && work[rest] == '/')
            rest++;
        bool last = rest == wlen;

        if (len == 1 && work[start] == '.')
            continue;
        if (len == 2 && work[start] == '.' && work[start + 1] == '.') {
            char *slash;
            if (olen == 0)
                return WASI_ENOTCAPABLE; /* above the root */
            slash = strrchr(out, '/');
            olen = slash ? (size_t)(slash - out) : 0;
            out[olen] = '\0';
            continue;
        }
        if (len > NAME_MAX_LEN)
            return WASI_ENAMETOOLONG;
        size_t saved = olen;
        if (olen + (olen ? 1 : 0) + len >= CCF_VFS_PATH_MAX)
            return WASI_ENAMETOOLONG;
        if (olen)
            out[olen++] = '/';
        memcpy(out + olen, work + start, len);
        olen += len;
        out[olen] = '\0';

        ccf_vfs_node *n = lookup(vfs, out);
        if (n != NULL &&
            !ccf_vfs_visible(principal, out, n->type == WASI_FILETYPE_DIRECTORY))
            n = NULL; /* what the principal may not see does not exist for it */
        if (n == NULL) {
            if (!last)
                return WASI_ENOENT;
            break;
        }
        if (n->type == WASI_FILETYPE_SYMBOLIC_LINK && (!last || follow_last || trailing_slash)) {
            size_t tlen = strlen(n->target), restlen = wlen - pos;
            if (++hops > MAX_SYMLINK_HOPS)
                return WASI_ELOOP;
            if (n->target[0] == '/')
                return WASI_ENOTCAPABLE;
            if (tlen + 1 + restlen >= sizeof next)
                return WASI_ENAMETOOLONG;
            memcpy(next, n->target, tlen);
            next[tlen] = '/';
            memcpy(next + tlen + 1, work + pos, restlen);
            wlen = tlen + 1 + restlen;
            memcpy(work, next, wlen);
            work[wlen] = '\0';
            pos = 0;
            olen = saved; /* the link's directory */
            out[olen] = '\0';
            continue;
        }
        if (!last && n->type != WASI_FILETYPE_DIRECTORY)
            return WASI_ENOTDIR;
    }
    if (trailing_slash) {
        ccf_vfs_node *n = lookup(vfs, out);
        if (n != NULL && n->type != WASI_FILETYPE_DIRECTORY &&
            ccf_vfs_visible(principal, out, false))
            return WASI_ENOTDIR;
    }
    return WASI_ESUCCESS;
}

/* ---- rights ---------------------------------------------------------------- */

uint32_t ccf_vfs_rights(const ccf_file_rights *p, const char *path, bool is_dir)
{
    char key[CCF_VFS_PATH_MAX + 1];
    uint32_t all = 0;
    if (p == NULL)
        return CCF_RIGHTS_ALL;
    if (path[0] == '\0') {
        for (size_t i = 0; i < p->count; i++)
            all |= p->items[i].rights;
        return all;
    }
    if (!is_dir)
        return ccf_file_rights_lookup(p, path);
    size_t n = strlen(path);
    if (n + 2 > sizeof key)
        return 0;
    memcpy(key, path, n);
    key[n] = '/';
    key[n + 1] = '\0';
    return ccf_file_rights_lookup(p, key);
}

bool ccf_vfs_visible(const ccf_file_rights *p, const char *path, bool is_dir)
{
    size_t n = strlen(path);
    if (p == NULL || ccf_vfs_rights(p, path, is_dir) != 0)
        return true;
    if (!is_dir)
        return false;
    for (size_t i = 0; i < p->count; i++) {
        const char *e = p->items[i].file_name;
        if (p->items[i].rights != 0 && (n == 0 || (strncmp(e, path, n) == 0 && e[n] == '/')))
            return true;
    }
    return false;
}

static bool has(uint32_t rights, uint32_t need) { return (rights & need) == need; }

/* ---- nodes ------------------------------------------------------------------ */

uint8_t ccf_vfs_node_type(const ccf_vfs_node *n) { return n->type; }
uint64_t ccf_vfs_node_size(const ccf_vfs_node *n) { return n->size; }
uint64_t ccf_vfs_node_generation(const ccf_vfs_node *n) { return n->generation; }

const uint8_t *ccf_vfs_node_bytes(const ccf_vfs_node *n, uint64_t *size)
{
    *size = n->type == WASI_FILETYPE_REGULAR_FILE ? n->size : 0;
    return *size > 0 ? n->data : NULL;
}

void ccf_vfs_retain(ccf_vfs_node *n) { n->refs++; }

void ccf_vfs_release(ccf_vfs *vfs, ccf_vfs_node *n)
{
    if (n == NULL)
        return;
    n->refs--;
    node_maybe_free(vfs, n);
}

void ccf_vfs_node_stat(const ccf_vfs_node *n, ccf_vfs_stat *st)
{
    st->filetype = n->type;
    st->ino = n->ino;
    st->nlink = n->nlink;
    st->size = n->type == WASI_FILETYPE_SYMBOLIC_LINK ? strlen(n->target) : n->size;
    st->atim = n->atim;
    st->mtim = n->mtim;
    st->ctim = n->ctim;
}

ccf_wasi_errno ccf_vfs_node_read(ccf_vfs_node *n, uint64_t off, void *buf, size_t len, size_t *got)
{
    *got = 0;
    if (n->type == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    if (n->type != WASI_FILETYPE_REGULAR_FILE)
        return WASI_EINVAL;
    if (off < n->size) {
        uint64_t avail = n->size - off;
        *got = len < avail ? len : (size_t)avail;
        memcpy(buf, n->data + off, *got);
    }
    n->atim = now_ns();
    return WASI_ESUCCESS;
}

/* Makes room for `size` bytes (quota checked by the caller). */
static ccf_wasi_errno reserve(ccf_vfs *vfs, ccf_vfs_node *n, uint64_t size)
{
    uint64_t cap;
    uint8_t *p;
    if (size <= n->cap)
        return WASI_ESUCCESS;
    cap = n->cap < 4096 ? 4096 : n->cap * 2;
    if (cap < size)
        cap = size;
    if (cap > vfs->limits.max_file_bytes)
        cap = size;
    /* not realloc: it would free the old block unwiped */
    if (cap > SIZE_MAX || (p = malloc((size_t)cap)) == NULL)
        return WASI_ENOMEM;
    if (n->size > 0)
        memcpy(p, n->data, (size_t)n->size);
    data_free(n->data, n->cap);
    n->data = p;
    n->cap = cap;
    return WASI_ESUCCESS;
}

/* Whether a file may grow from `old` to `size` bytes: the per-file (EFBIG)
 * and total (ENOSPC) limits. Shrinking always may. */
static ccf_wasi_errno check_growth(const ccf_vfs *vfs, uint64_t old, uint64_t size)
{
    if (size <= old)
        return WASI_ESUCCESS;
    if (size > vfs->limits.max_file_bytes)
        return WASI_EFBIG;
    if (size - old > vfs->limits.max_total_bytes - vfs->bytes)
        return WASI_ENOSPC;
    return WASI_ESUCCESS;
}

/* Sets the size, zero-filling growth. */
static ccf_wasi_errno resize(ccf_vfs *vfs, ccf_vfs_node *n, uint64_t size)
{
    ccf_wasi_errno e = check_growth(vfs, n->size, size);
    if (e == WASI_ESUCCESS)
        e = reserve(vfs, n, size);
    if (e != WASI_ESUCCESS)
        return e;
    if (size > n->size)
        memset(n->data + n->size, 0, (size_t)(size - n->size));
    vfs->bytes = vfs->bytes - n->size + size;
    n->size = size;
    n->generation++;
    n->mtim = n->ctim = now_ns();
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_node_write(ccf_vfs *vfs, ccf_vfs_node *n, uint64_t off, const void *buf,
                                  size_t len)
{
    ccf_wasi_errno e;
    if (n->type == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    if (n->type != WASI_FILETYPE_REGULAR_FILE)
        return WASI_EINVAL;
    if (n->fifo != NULL)
        return WASI_ENOTSUP; /* a stream is written by its upload only */
    if (len == 0)
        return WASI_ESUCCESS;
    if (off > UINT64_MAX - len)
        return WASI_EFBIG;
    if (off + len > n->size && (e = resize(vfs, n, off + len)) != WASI_ESUCCESS)
        return e;
    memcpy(n->data + off, buf, len);
    n->generation++;
    n->mtim = n->ctim = now_ns();
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_node_truncate(ccf_vfs *vfs, ccf_vfs_node *n, uint64_t size)
{
    if (n->type == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    if (n->type != WASI_FILETYPE_REGULAR_FILE || n->fifo != NULL)
        return WASI_EINVAL;
    return resize(vfs, n, size);
}

ccf_wasi_errno ccf_vfs_node_set_times(ccf_vfs_node *n, uint64_t atim, uint64_t mtim,
                                      uint16_t flags)
{
    uint64_t now = now_ns();
    if (((flags & WASI_FST_ATIM) && (flags & WASI_FST_ATIM_NOW)) ||
        ((flags & WASI_FST_MTIM) && (flags & WASI_FST_MTIM_NOW)) || flags > 15)
        return WASI_EINVAL;
    if (flags & WASI_FST_ATIM)
        n->atim = atim;
    if (flags & WASI_FST_ATIM_NOW)
        n->atim = now;
    if (flags & WASI_FST_MTIM)
        n->mtim = mtim;
    if (flags & WASI_FST_MTIM_NOW)
        n->mtim = now;
    n->ctim = now;
    return WASI_ESUCCESS;
}

/* ---- directory entries ---------------------------------------------------- */

/* Room for one more entry, so that a later dir_insert cannot fail. */
static ccf_wasi_errno dir_reserve(ccf_vfs_node *dir)
{
    if (dir->count == dir->entries_cap) {
        size_t cap = dir->entries_cap ? dir->entries_cap * 2 : 8;
        dir_entry *e = realloc(dir->entries, cap * sizeof *e);
        if (e == NULL)
            return WASI_ENOMEM;
        dir->entries = e;
        dir->entries_cap = cap;
    }
    return WASI_ESUCCESS;
}

/* Inserts an entry (takes `name`); dir_reserve must have succeeded. */
static void dir_insert(ccf_vfs_node *dir, char *name, ccf_vfs_node *node)
{
    dir->entries[dir->count].name = name;
    dir->entries[dir->count].node = node;
    dir->entries[dir->count].seq = dir->next_seq++;
    dir->count++;
    node->nlink++;
    dir->mtim = dir->ctim = now_ns();
}

static ccf_wasi_errno dir_add(ccf_vfs_node *dir, const char *name, ccf_vfs_node *node)
{
    char *copy;
    if (dir_reserve(dir) != WASI_ESUCCESS || (copy = strdup(name)) == NULL)
        return WASI_ENOMEM;
    dir_insert(dir, copy, node);
    return WASI_ESUCCESS;
}

/* Removes the entry, keeping the order of the others (their seq, hence their
 * readdir cookies, do not change). Returns the node, not yet freed. */
static ccf_vfs_node *dir_remove(ccf_vfs_node *dir, dir_entry *e)
{
    ccf_vfs_node *n = e->node;
    size_t i = (size_t)(e - dir->entries);
    free(e->name);
    memmove(&dir->entries[i], &dir->entries[i + 1], (dir->count - i - 1) * sizeof *e);
    dir->count--;
    n->nlink--;
    dir->mtim = dir->ctim = now_ns();
    return n;
}

/* The parent directory of a new entry at `path`, or an errno. */
static ccf_wasi_errno new_entry_parent(const ccf_vfs *vfs, const char *path, ccf_vfs_node **parent,
                                       const char **name)
{
    if (path[0] == '\0')
        return WASI_EEXIST; /* the root */
    *parent = parent_of(vfs, path, name);
    if (*parent == NULL)
        return WASI_ENOENT;
    if ((*parent)->type != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    return WASI_ESUCCESS;
}

/* Existing node visible to the principal, or NULL. */
static ccf_vfs_node *visible_node(const ccf_vfs *vfs, const ccf_file_rights *p, const char *path)
{
    ccf_vfs_node *n = lookup(vfs, path);
    if (n == NULL || !ccf_vfs_visible(p, path, n->type == WASI_FILETYPE_DIRECTORY))
        return NULL;
    return n;
}

static uint32_t node_rights(const ccf_file_rights *p, const char *path, const ccf_vfs_node *n)
{
    return ccf_vfs_rights(p, path, n->type == WASI_FILETYPE_DIRECTORY);
}

ccf_wasi_errno ccf_vfs_open(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                            uint16_t oflags, ccf_vfs_node **out, uint32_t *rights)
{
    ccf_vfs_node *n = lookup(vfs, path), *parent;
    const char *name;
    ccf_wasi_errno e;
    uint32_t r;

    *out = NULL;
    if (n != NULL && !ccf_vfs_visible(p, path, n->type == WASI_FILETYPE_DIRECTORY)) {
        if (oflags & WASI_O_CREAT)
            return WASI_ENOTCAPABLE; /* as if absent: creating it is not allowed */
        return WASI_ENOENT;
    }
    if (n == NULL) {
        if (!(oflags & WASI_O_CREAT) || (oflags & WASI_O_DIRECTORY))
            return WASI_ENOENT;
        if ((e = new_entry_parent(vfs, path, &parent, &name)) != WASI_ESUCCESS)
            return e;
        r = ccf_vfs_rights(p, path, false);
        if (!has(r, CCF_PATH_OPEN | CCF_PATH_CREATE_FILE))
            return WASI_ENOTCAPABLE;
        if ((n = node_new(vfs, WASI_FILETYPE_REGULAR_FILE)) == NULL)
            return WASI_ENOSPC;
        if ((e = dir_add(parent, name, n)) != WASI_ESUCCESS) {
            node_destroy(vfs, n);
            return e;
        }
    } else {
        r = node_rights(p, path, n);
        if ((oflags & WASI_O_CREAT) && (oflags & WASI_O_EXCL))
            return WASI_EEXIST;
        if (!has(r, CCF_PATH_OPEN))
            return WASI_ENOTCAPABLE;
        if (n->type == WASI_FILETYPE_SYMBOLIC_LINK)
            return WASI_ELOOP;
        if ((oflags & WASI_O_CREAT) && n->type == WASI_FILETYPE_DIRECTORY)
            return WASI_EISDIR; /* as open(2): O_CREAT names a file */
        if ((oflags & WASI_O_DIRECTORY) && n->type != WASI_FILETYPE_DIRECTORY)
            return WASI_ENOTDIR;
        if (oflags & WASI_O_TRUNC) {
            if (n->type == WASI_FILETYPE_DIRECTORY)
                return WASI_EISDIR;
            if (!has(r, CCF_PATH_FILESTAT_SET_SIZE))
                return WASI_ENOTCAPABLE;
            if ((e = resize(vfs, n, 0)) != WASI_ESUCCESS)
                return e;
        }
    }
    n->refs++;
    *out = n;
    *rights = r;
    return WASI_ESUCCESS;
}

/* Index of the first entry whose cookie (seq + 2) is at least `cookie`. */
static size_t dir_first_from(const ccf_vfs_node *dir, uint64_t cookie)
{
    size_t lo = 0, hi = dir->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (dir->entries[mid].seq + 2 < cookie)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

ccf_wasi_errno ccf_vfs_readdir(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                               uint64_t start, ccf_vfs_dirent_fn fn, void *user)
{
    ccf_vfs_node *dir = visible_node(vfs, p, path), *parent;
    char child[CCF_VFS_PATH_MAX];
    const char *name;

    if (dir == NULL)
        return WASI_ENOENT;
    if (dir->type != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    parent = path[0] == '\0' ? dir : parent_of(vfs, path, &name);
    if (parent == NULL)
        parent = dir;
    dir->atim = now_ns();
    if (start == 0 && !fn(user, 1, dir->ino, WASI_FILETYPE_DIRECTORY, ".", 1))
        return WASI_ESUCCESS;
    if (start <= 1 && !fn(user, 2, parent->ino, WASI_FILETYPE_DIRECTORY, "..", 2))
        return WASI_ESUCCESS;
    /* Cookies of entries are seq + 2 and never change while the entry exists,
     * so removing entries during a listing skips nothing. */
    for (size_t i = dir_first_from(dir, start); i < dir->count; i++) {
        const dir_entry *e = &dir->entries[i];
        int len = snprintf(child, sizeof child, "%s%s%s", path, path[0] ? "/" : "", e->name);
        if (len < 0 || (size_t)len >= sizeof child ||
            !ccf_vfs_visible(p, child, e->node->type == WASI_FILETYPE_DIRECTORY))
            continue;
        if (!fn(user, e->seq + 3, e->node->ino, e->node->type, e->name, strlen(e->name)))
            break;
    }
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_stat_path(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                                 ccf_vfs_stat *st)
{
    ccf_vfs_node *n = visible_node(vfs, p, path);
    if (n == NULL)
        return WASI_ENOENT;
    if (!has(node_rights(p, path, n), CCF_PATH_FILESTAT_GET))
        return WASI_ENOTCAPABLE;
    ccf_vfs_node_stat(n, st);
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_set_times_path(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                                      uint64_t atim, uint64_t mtim, uint16_t flags)
{
    ccf_vfs_node *n = visible_node(vfs, p, path);
    if (n == NULL)
        return WASI_ENOENT;
    if (!has(node_rights(p, path, n), CCF_PATH_FILESTAT_SET_TIMES))
        return WASI_ENOTCAPABLE;
    return ccf_vfs_node_set_times(n, atim, mtim, flags);
}

ccf_wasi_errno ccf_vfs_mkdir(ccf_vfs *vfs, const ccf_file_rights *p, const char *path)
{
    ccf_vfs_node *parent, *n = lookup(vfs, path);
    const char *name;
    ccf_wasi_errno e;

    if (!has(ccf_vfs_rights(p, path, true), CCF_PATH_CREATE_DIRECTORY))
        return n != NULL && ccf_vfs_visible(p, path, n->type == WASI_FILETYPE_DIRECTORY)
                   ? WASI_EEXIST
                   : WASI_ENOTCAPABLE;
    if (n != NULL)
        return WASI_EEXIST;
    if ((e = new_entry_parent(vfs, path, &parent, &name)) != WASI_ESUCCESS)
        return e;
    if ((n = node_new(vfs, WASI_FILETYPE_DIRECTORY)) == NULL)
        return WASI_ENOSPC;
    if ((e = dir_add(parent, name, n)) != WASI_ESUCCESS)
        node_destroy(vfs, n);
    return e;
}

/* Removes the entry at path (checked by the caller) and frees it if unused. */
static void remove_path(ccf_vfs *vfs, const char *path)
{
    const char *name;
    ccf_vfs_node *parent = parent_of(vfs, path, &name);
    dir_entry *e = parent ? dir_find(parent, name, strlen(name)) : NULL;
    if (e != NULL)
        node_maybe_free(vfs, dir_remove(parent, e));
}

ccf_wasi_errno ccf_vfs_rmdir(ccf_vfs *vfs, const ccf_file_rights *p, const char *path)
{
    ccf_vfs_node *n = visible_node(vfs, p, path);
    if (n == NULL)
        return WASI_ENOENT;
    if (n->type != WASI_FILETYPE_DIRECTORY)
        return WASI_ENOTDIR;
    if (!has(node_rights(p, path, n), CCF_PATH_REMOVE_DIRECTORY))
        return WASI_ENOTCAPABLE;
    if (path[0] == '\0')
        return WASI_EBUSY;
    if (n->count > 0)
        return WASI_ENOTEMPTY;
    remove_path(vfs, path);
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_unlink(ccf_vfs *vfs, const ccf_file_rights *p, const char *path)
{
    ccf_vfs_node *n = visible_node(vfs, p, path);
    if (n == NULL)
        return WASI_ENOENT;
    if (n->type == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    if (!has(node_rights(p, path, n), CCF_PATH_UNLINK_FILE))
        return WASI_ENOTCAPABLE;
    remove_path(vfs, path);
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_rename(ccf_vfs *vfs, const ccf_file_rights *p, const char *from,
                              const char *to)
{
    ccf_vfs_node *n = visible_node(vfs, p, from), *target, *to_parent, *from_parent;
    const char *to_name, *from_name;
    ccf_wasi_errno e;
    bool is_dir;
    size_t flen = strlen(from);

    if (n == NULL)
        return WASI_ENOENT;
    is_dir = n->type == WASI_FILETYPE_DIRECTORY;
    if (!has(ccf_vfs_rights(p, from, is_dir), CCF_PATH_RENAME_SOURCE) ||
        !has(ccf_vfs_rights(p, to, is_dir), CCF_PATH_RENAME_TARGET))
        return WASI_ENOTCAPABLE;
    if (from[0] == '\0' || to[0] == '\0')
        return WASI_EBUSY;
    if (is_dir && strncmp(to, from, flen) == 0 && to[flen] == '/')
        return WASI_EINVAL; /* into its own subtree */
    if ((e = new_entry_parent(vfs, to, &to_parent, &to_name)) != WASI_ESUCCESS)
        return e;
    target = lookup(vfs, to);
    if (target == n)
        return WASI_ESUCCESS;
    if (target != NULL) {
        if (target->type == WASI_FILETYPE_DIRECTORY) {
            if (!is_dir)
                return WASI_EISDIR;
            if (target->count > 0)
                return WASI_ENOTEMPTY;
        } else if (is_dir) {
            return WASI_ENOTDIR;
        }
    }
    from_parent = parent_of(vfs, from, &from_name);
    if (from_parent == NULL)
        return WASI_ENOENT;
    /* Everything that can fail happens before the first change. */
    char *name_copy = strdup(to_name);
    if (name_copy == NULL || dir_reserve(to_parent) != WASI_ESUCCESS) {
        free(name_copy);
        return WASI_ENOMEM;
    }
    if (target != NULL)
        remove_path(vfs, to);
    dir_insert(to_parent, name_copy, n);
    dir_remove(from_parent, dir_find(from_parent, from_name, strlen(from_name)));
    n->ctim = now_ns();
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_link(ccf_vfs *vfs, const ccf_file_rights *p, const char *from,
                            const char *to)
{
    ccf_vfs_node *n = visible_node(vfs, p, from), *parent;
    const char *name;
    ccf_wasi_errno e;

    if (n == NULL)
        return WASI_ENOENT;
    if (!has(node_rights(p, from, n), CCF_PATH_LINK_SOURCE) ||
        !has(ccf_vfs_rights(p, to, false), CCF_PATH_LINK_TARGET))
        return WASI_ENOTCAPABLE;
    if (n->type == WASI_FILETYPE_DIRECTORY)
        return WASI_EPERM;
    if (lookup(vfs, to) != NULL)
        return WASI_EEXIST;
    if ((e = new_entry_parent(vfs, to, &parent, &name)) != WASI_ESUCCESS)
        return e;
    return dir_add(parent, name, n);
}

ccf_wasi_errno ccf_vfs_symlink(ccf_vfs *vfs, const ccf_file_rights *p, const char *target,
                               const char *path)
{
    ccf_vfs_node *parent, *n;
    const char *name;
    ccf_wasi_errno e;
    size_t tlen = strlen(target);

    if (!has(ccf_vfs_rights(p, path, false), CCF_PATH_SYMLINK))
        return WASI_ENOTCAPABLE;
    if (tlen == 0)
        return WASI_ENOENT;
    if (tlen >= CCF_VFS_PATH_MAX)
        return WASI_ENAMETOOLONG;
    if (lookup(vfs, path) != NULL)
        return WASI_EEXIST;
    if ((e = new_entry_parent(vfs, path, &parent, &name)) != WASI_ESUCCESS)
        return e;
    if ((n = node_new(vfs, WASI_FILETYPE_SYMBOLIC_LINK)) == NULL)
        return WASI_ENOSPC;
    if ((n->target = strdup(target)) == NULL || (e = dir_add(parent, name, n)) != WASI_ESUCCESS) {
        node_destroy(vfs, n);
        return WASI_ENOMEM;
    }
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_readlink(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                                char *buf, size_t buf_len, size_t *got)
{
    ccf_vfs_node *n = visible_node(vfs, p, path);
    size_t len;
    *got = 0;
    if (n == NULL)
        return WASI_ENOENT;
    if (n->type != WASI_FILETYPE_SYMBOLIC_LINK)
        return WASI_EINVAL;
    if (!has(node_rights(p, path, n), CCF_PATH_READLINK))
        return WASI_ENOTCAPABLE;
    len = strlen(n->target);
    *got = len < buf_len ? len : buf_len;
    memcpy(buf, n->target, *got);
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_put_fifo(ccf_vfs *vfs, const char *path, ccf_fifo *fifo)
{
    ccf_vfs_node *n, *parent;
    const char *name;
    ccf_wasi_errno e;
    if ((e = ccf_vfs_make_parents(vfs, path)) != WASI_ESUCCESS)
        return e;
    if (lookup(vfs, path) != NULL)
        return WASI_EEXIST;
    if ((e = new_entry_parent(vfs, path, &parent, &name)) != WASI_ESUCCESS)
        return e;
    if ((n = node_new(vfs, WASI_FILETYPE_REGULAR_FILE)) == NULL)
        return WASI_ENOSPC;
    n->fifo = fifo;
    if ((e = dir_add(parent, name, n)) != WASI_ESUCCESS)
        node_destroy(vfs, n);
    return e;
}

ccf_fifo *ccf_vfs_node_fifo(const ccf_vfs_node *node) { return node->fifo; }

ccf_wasi_errno ccf_vfs_make_parents(ccf_vfs *vfs, const char *path)
{
    char dir[CCF_VFS_PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof dir)
        return WASI_ENAMETOOLONG;
    memcpy(dir, path, n + 1);
    for (char *s = strchr(dir, '/'); s != NULL; s = strchr(s + 1, '/')) {
        ccf_vfs_node *d;
        ccf_wasi_errno e;
        *s = '\0';
        d = lookup(vfs, dir);
        if (d == NULL && (e = ccf_vfs_mkdir(vfs, NULL, dir)) != WASI_ESUCCESS)
            return e;
        if (d != NULL && d->type != WASI_FILETYPE_DIRECTORY)
            return WASI_ENOTDIR;
        *s = '/';
    }
    return WASI_ESUCCESS;
}

/* Sets a regular file's content to buf (len bytes, malloc'd: the file owns it now). */
static void adopt(ccf_vfs *vfs, ccf_vfs_node *n, uint8_t *buf, size_t len)
{
    data_free(n->data, n->cap);
    vfs->bytes = vfs->bytes - n->size + len;
    n->data = buf;
    n->size = n->cap = len;
    n->generation++;
    n->mtim = n->ctim = now_ns();
}

/* put and put_owned: with *owned non-NULL (the same bytes as data), the file
 * takes that buffer instead of a copy and *owned becomes NULL. */
static ccf_wasi_errno put(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                          const void *data, size_t len, bool append, uint8_t **owned)
{
    ccf_vfs_node *n, *parent;
    const char *name;
    ccf_wasi_errno e;
    uint32_t r = ccf_vfs_rights(p, path, false);
    uint8_t *fresh = NULL;

    if (p == NULL && (e = ccf_vfs_make_parents(vfs, path)) != WASI_ESUCCESS)
        return e;
    n = visible_node(vfs, p, path);
    if (n == NULL) {
        if (lookup(vfs, path) != NULL || !has(r, CCF_PATH_OPEN | CCF_FD_WRITE | CCF_PATH_CREATE_FILE))
            return WASI_ENOTCAPABLE;
        if ((e = new_entry_parent(vfs, path, &parent, &name)) != WASI_ESUCCESS ||
            (e = check_growth(vfs, 0, len)) != WASI_ESUCCESS)
            return e;
        if ((n = node_new(vfs, WASI_FILETYPE_REGULAR_FILE)) == NULL)
            return WASI_ENOSPC;
        if ((e = dir_add(parent, name, n)) != WASI_ESUCCESS) {
            node_destroy(vfs, n);
            return e;
        }
        if (*owned != NULL && len > 0) {
            adopt(vfs, n, *owned, len);
            *owned = NULL;
            return WASI_ESUCCESS;
        }
        return ccf_vfs_node_write(vfs, n, 0, data, len);
    }
    if (n->type == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    if (n->type != WASI_FILETYPE_REGULAR_FILE || n->fifo != NULL)
        return WASI_EINVAL;
    if (append) {
        if (!has(r, CCF_PATH_OPEN | CCF_FD_WRITE))
            return WASI_ENOTCAPABLE;
        return ccf_vfs_node_write(vfs, n, n->size, data, len);
    }
    if (!has(r, CCF_PATH_OPEN | CCF_FD_WRITE | CCF_PATH_FILESTAT_SET_SIZE))
        return WASI_ENOTCAPABLE;
    /* Replace: build the new content aside so a failure leaves the old one. */
    if ((e = check_growth(vfs, n->size, len)) != WASI_ESUCCESS)
        return e;
    if (*owned != NULL) {
        fresh = *owned;
        *owned = NULL;
    } else if ((fresh = malloc(len > 0 ? len : 1)) == NULL) {
        return WASI_ENOMEM;
    } else if (len > 0) {
        memcpy(fresh, data, len);
    }
    adopt(vfs, n, fresh, len);
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_put(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                           const void *data, size_t len, bool append)
{
    uint8_t *none = NULL;
    return put(vfs, p, path, data, len, append, &none);
}

ccf_wasi_errno ccf_vfs_put_owned(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                                 uint8_t *data, size_t len, bool append)
{
    uint8_t *owned = data;
    ccf_wasi_errno e = put(vfs, p, path, data, len, append, &owned);
    data_free(owned, len); /* not adopted: appended (copied) or refused */
    return e;
}

ccf_wasi_errno ccf_vfs_room(const ccf_vfs *vfs, const char *path, uint64_t size, bool append)
{
    const ccf_vfs_node *n = lookup(vfs, path);
    uint64_t old = n != NULL && n->type == WASI_FILETYPE_REGULAR_FILE ? n->size : 0;
    if (append && size > UINT64_MAX - old)
        return WASI_EFBIG;
    return check_growth(vfs, old, append ? old + size : size);
}

ccf_wasi_errno ccf_vfs_open_read(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                                 ccf_vfs_node **out)
{
    ccf_vfs_node *n = visible_node(vfs, p, path);
    *out = NULL;
    if (n == NULL)
        return WASI_ENOENT;
    if (n->type == WASI_FILETYPE_DIRECTORY)
        return WASI_EISDIR;
    if (n->type != WASI_FILETYPE_REGULAR_FILE)
        return WASI_EINVAL;
    if (!has(node_rights(p, path, n), CCF_PATH_OPEN | CCF_FD_READ))
        return WASI_ENOTCAPABLE;
    n->atim = now_ns();
    n->refs++;
    *out = n;
    return WASI_ESUCCESS;
}

ccf_wasi_errno ccf_vfs_get(ccf_vfs *vfs, const ccf_file_rights *p, const char *path,
                           uint8_t **data, size_t *len)
{
    ccf_vfs_node *n;
    ccf_wasi_errno e = ccf_vfs_open_read(vfs, p, path, &n);
    *data = NULL;
    *len = 0;
    if (e != WASI_ESUCCESS)
        return e;
    if ((*data = malloc(n->size > 0 ? (size_t)n->size : 1)) == NULL)
        e = WASI_ENOMEM;
    else if (n->size > 0) /* an empty file has no buffer */
        memcpy(*data, n->data, (size_t)n->size);
    *len = e == WASI_ESUCCESS ? (size_t)n->size : 0;
    ccf_vfs_release(vfs, n);
    return e;
}

const char *ccf_wasi_errno_name(ccf_wasi_errno e)
{
    switch (e) {
    case WASI_ESUCCESS: return "ESUCCESS";
    case WASI_E2BIG: return "E2BIG";
    case WASI_EACCES: return "EACCES";
    case WASI_EBADF: return "EBADF";
    case WASI_EBUSY: return "EBUSY";
    case WASI_EEXIST: return "EEXIST";
    case WASI_EFAULT: return "EFAULT";
    case WASI_EFBIG: return "EFBIG";
    case WASI_EINTR: return "EINTR";
    case WASI_EINVAL: return "EINVAL";
    case WASI_EISDIR: return "EISDIR";
    case WASI_ELOOP: return "ELOOP";
    case WASI_ENAMETOOLONG: return "ENAMETOOLONG";
    case WASI_ENOENT: return "ENOENT";
    case WASI_ENOMEM: return "ENOMEM";
    case WASI_ENOSPC: return "ENOSPC";
    case WASI_ENOTDIR: return "ENOTDIR";
    case WASI_ENOTEMPTY: return "ENOTEMPTY";
    case WASI_ENOTSUP: return "ENOTSUP";
    case WASI_EPERM: return "EPERM";
    case WASI_ESPIPE: return "ESPIPE";
    case WASI_ENOTCAPABLE: return "ENOTCAPABLE";
    default: return "E?";
    }
}
