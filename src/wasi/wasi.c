/* wasi_snapshot_preview1 host functions over the capability file system.
 * Every pointer and length from the guest is bounds-checked (EFAULT). */
#include "wasi/wasi.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "policy/rights.h"
#include "common/fifo.h"

#define MAX_FDS 1024
#define WASI_RIGHTS_MASK ((UINT64_C(1) << 29) - 1) /* bit 29 is ccfaas's FD_EXECUTE */

/* The rights a directory descriptor can hold (docs/rights.md, "Directory
 * descriptors"): asking for others (FD_READ, FD_SEEK, ...) when opening a
 * directory is not an error, they are masked. The same set as the reference
 * runtimes' directory base rights; what a directory yields (inheriting) is
 * not masked. */
#define DIR_RIGHTS                                                                                 \
    (CCF_FD_FDSTAT_SET_FLAGS | CCF_FD_SYNC | CCF_FD_ADVISE | CCF_PATH_CREATE_DIRECTORY |           \
     CCF_PATH_CREATE_FILE | CCF_PATH_LINK_SOURCE | CCF_PATH_LINK_TARGET | CCF_PATH_OPEN |          \
     CCF_FD_READDIR | CCF_PATH_READLINK | CCF_PATH_RENAME_SOURCE | CCF_PATH_RENAME_TARGET |        \
     CCF_PATH_FILESTAT_GET | CCF_PATH_FILESTAT_SET_SIZE | CCF_PATH_FILESTAT_SET_TIMES |            \
     CCF_FD_FILESTAT_GET | CCF_FD_FILESTAT_SET_TIMES | CCF_PATH_SYMLINK |                          \
     CCF_PATH_REMOVE_DIRECTORY | CCF_PATH_UNLINK_FILE | CCF_POLL_FD_READWRITE)

typedef enum { FD_FREE = 0, FD_HOST, FD_NODE, FD_NULL } fd_kind;

typedef struct {
    fd_kind kind;
    int host_fd;        /* FD_HOST */
    ccf_vfs_node *node; /* FD_NODE, retained */
    char *path;         /* FD_NODE: normalised path in the vfs */
    char *preopen;      /* guest name of a preopened directory, else NULL */
    uint8_t filetype;
    uint16_t flags;
    uint64_t base, inheriting; /* rights */
    uint64_t offset;
} wasi_fd;

typedef struct ccf_wasi {
    const ccf_wasi_config *cfg;
    wasi_fd fds[MAX_FDS];
    bool exited;
    uint32_t exit_code;
} ccf_wasi;

/* ---- deadline ---------------------------------------------------------------- */

/* The store of the run under a deadline (one at a time per process). */
static ccf_wasm_store *volatile deadline_store;
static volatile sig_atomic_t deadline_hit;

static void on_deadline(int sig)
{
    (void)sig;
    deadline_hit = 1;
    if (deadline_store != NULL)
        ccf_wasm_store_interrupt(deadline_store);
}

/* A program waiting for a stream's bytes gives up at its deadline. */
static bool stop_waiting(void *user)
{
    (void)user;
    return deadline_hit != 0;
}

static void deadline_arm(ccf_wasm_store *store, uint32_t ms, struct sigaction *old)
{
    struct sigaction sa;
    struct itimerval it = {{0, 0}, {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000}};
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_deadline;
    sigemptyset(&sa.sa_mask);
    deadline_hit = 0;
    deadline_store = store;
    sigaction(SIGALRM, &sa, old);
    setitimer(ITIMER_REAL, &it, NULL);
}

static void deadline_disarm(const struct sigaction *old)
{
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    deadline_store = NULL;
    sigaction(SIGALRM, old, NULL);
}

/* ---- guest memory ----------------------------------------------------------- */

/* Pointer to [off, off+len) of the caller's memory, or NULL (-> EFAULT). */
static uint8_t *mem(ccf_wasm_instance *inst, uint32_t off, uint64_t len)
{
    return inst != NULL ? ccf_wasm_memory_ptr(inst, off, len) : NULL;
}

#define MEM_OR_FAULT(var, inst, off, len)                                                          \
    uint8_t *var = mem((inst), (off), (len));                                                      \
    if (var == NULL)                                                                               \
        return WASI_EFAULT;

static ccf_wasi_errno store32(ccf_wasm_instance *inst, uint32_t off, uint32_t v)
{
    MEM_OR_FAULT(p, inst, off, 4);
    wasi_st32(p, v);
    return WASI_ESUCCESS;
}

static ccf_wasi_errno store64(ccf_wasm_instance *inst, uint32_t off, uint64_t v)
{
    MEM_OR_FAULT(p, inst, off, 8);
    wasi_st64(p, v);
    return WASI_ESUCCESS;
}

/* ---- descriptors ------------------------------------------------------------- */

static wasi_fd *get_fd(ccf_wasi *w, uint32_t fd)
{
    if (fd >= MAX_FDS || w->fds[fd].kind == FD_FREE)
        return NULL;
    return &w->fds[fd];
}

static bool fd_has(const wasi_fd *f, uint32_t right) { return (f->base & right) == right; }

static void fd_close_slot(ccf_wasi *w, wasi_fd *f)
{
    if (f->kind == FD_NODE)
        ccf_vfs_release(w->cfg->vfs, f->node);
    free(f->path);
    free(f->preopen);
    memset(f, 0, sizeof *f);
}

static int free_slot(ccf_wasi *w)
{
    for (int i = 0; i < MAX_FDS; i++) {
        if (w->fds[i].kind == FD_FREE)
            return i;
    }
    return -1;
}

static bool is_dir_fd(const wasi_fd *f)
{
    return f->kind == FD_NODE && f->filetype == WASI_FILETYPE_DIRECTORY;
}

/* The directory a path argument is relative to, holding the rights `need`
 * (preview1: each path_* call needs its right on the directory descriptor, as
 * well as on the entry it touches). EBADF: no such descriptor; ENOTDIR: not a
 * directory; ENOTCAPABLE: a right missing; ENOENT: the directory was removed
 * since it was opened (its path names another node, or none). */
static ccf_wasi_errno dir_fd(ccf_wasi *w, uint32_t fd, uint32_t need, wasi_fd **out)
{
    wasi_fd *f = get_fd(w, fd);
    if (f == NULL)
        return WASI_EBADF;
    if (!is_dir_fd(f))
        return WASI_ENOTDIR;
    if (!fd_has(f, need))
        return WASI_ENOTCAPABLE;
    if (ccf_vfs_lookup(w->cfg->vfs, f->path) != f->node)
        return WASI_ENOENT;
    *out = f;
    return WASI_ESUCCESS;
}

/* Resolves a guest path (ptr, len) relative to directory fd (which must hold
 * `need`) into out. *slash (may be NULL) tells whether the guest's path ended
 * in '/': the trailing-slash rules of the calls need it (resolve drops it). */
static ccf_wasi_errno guest_path(ccf_wasi *w, ccf_wasm_instance *inst, uint32_t fd, uint32_t need,
                                 uint32_t ptr, uint32_t len, bool follow,
                                 char out[CCF_VFS_PATH_MAX], bool *slash)
{
    wasi_fd *d;
    ccf_wasi_errno e = dir_fd(w, fd, need, &d);
    if (e != WASI_ESUCCESS)
        return e;
    MEM_OR_FAULT(p, inst, ptr, len);
    if (slash != NULL)
        *slash = len > 0 && p[len - 1] == '/';
    return ccf_vfs_resolve(w->cfg->vfs, w->cfg->rights, d->path, (const char *)p, len, follow,
                           out);
}

/* After `from` was renamed to `to`, the descriptors opened at or beneath
 * `from` follow it. A path that would grow too long is left as it was: the
 * descriptor then names nothing (ENOENT from dir_fd), it is never cut. */
static void follow_rename(ccf_wasi *w, const char *from, const char *to)
{
    size_t flen = strlen(from), tlen = strlen(to);
    for (int i = 0; i < MAX_FDS; i++) {
        wasi_fd *f = &w->fds[i];
        char *moved;
        size_t rest;
        if (f->kind != FD_NODE || f->path == NULL || strncmp(f->path, from, flen) != 0 ||
            (f->path[flen] != '\0' && f->path[flen] != '/'))
            continue;
        rest = strlen(f->path + flen);
        if (tlen + rest >= CCF_VFS_PATH_MAX || (moved = malloc(tlen + rest + 1)) == NULL)
            continue;
        memcpy(moved, to, tlen);
        memcpy(moved + tlen, f->path + flen, rest + 1);
        free(f->path);
        f->path = moved;
    }
}

/* ---- args, environment, clocks, random ----------------------------------- */

static ccf_wasi_errno strings_sizes(ccf_wasm_instance *inst, const char *const *v, size_t n,
                                    uint32_t count_ptr, uint32_t size_ptr)
{
    uint64_t total = 0;
    ccf_wasi_errno e;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    if (total > UINT32_MAX)
        return WASI_EOVERFLOW;
    if ((e = store32(inst, count_ptr, (uint32_t)n)) != WASI_ESUCCESS)
        return e;
    return store32(inst, size_ptr, (uint32_t)total);
}

static ccf_wasi_errno strings_get(ccf_wasm_instance *inst, const char *const *v, size_t n,
                                  uint32_t ptrs, uint32_t buf)
{
    uint32_t at = buf;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(v[i]) + 1;
        ccf_wasi_errno e = store32(inst, ptrs + (uint32_t)(4 * i), at);
        if (e != WASI_ESUCCESS)
            return e;
        MEM_OR_FAULT(p, inst, at, len);
        memcpy(p, v[i], len);
        at += (uint32_t)len;
    }
    return WASI_ESUCCESS;
}

static ccf_wasi_errno clock_of(uint32_t id, clockid_t *out)
{
    switch (id) {
    case WASI_CLOCK_REALTIME: *out = CLOCK_REALTIME; return WASI_ESUCCESS;
    case WASI_CLOCK_MONOTONIC: *out = CLOCK_MONOTONIC; return WASI_ESUCCESS;
    case WASI_CLOCK_PROCESS_CPUTIME: *out = CLOCK_PROCESS_CPUTIME_ID; return WASI_ESUCCESS;
    case WASI_CLOCK_THREAD_CPUTIME: *out = CLOCK_THREAD_CPUTIME_ID; return WASI_ESUCCESS;
    default: return WASI_EINVAL;
    }
}

static uint64_t ts_ns(const struct timespec *ts)
{
    return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static ccf_wasi_errno clock_now(ccf_wasi *w, uint32_t id, uint64_t *ns)
{
    clockid_t c;
    struct timespec ts;
    ccf_wasi_errno e;
    if (!w->cfg->enable_clock)
        return WASI_EACCES;
    if ((e = clock_of(id, &c)) != WASI_ESUCCESS)
        return e;
    if (clock_gettime(c, &ts) != 0)
        return WASI_EINVAL;
    *ns = ts_ns(&ts);
    return WASI_ESUCCESS;
}

/* ---- the calls ------------------------------------------------------------------
 * Each takes the WASI state, the calling instance and the raw arguments. */

typedef ccf_wasi_errno (*wasi_call)(ccf_wasi *w, ccf_wasm_instance *inst, const ccf_wasm_val *a);
#define I(n) (a[n].of.i32)
#define L(n) (a[n].of.i64)
#define CALL(name) static ccf_wasi_errno name(ccf_wasi *w, ccf_wasm_instance *inst, const ccf_wasm_val *a)

CALL(args_sizes_get) { return strings_sizes(inst, w->cfg->argv, w->cfg->argc, I(0), I(1)); }
CALL(args_get) { return strings_get(inst, w->cfg->argv, w->cfg->argc, I(0), I(1)); }
CALL(environ_sizes_get) { return strings_sizes(inst, w->cfg->env, w->cfg->envc, I(0), I(1)); }
CALL(environ_get) { return strings_get(inst, w->cfg->env, w->cfg->envc, I(0), I(1)); }

CALL(clock_res_get)
{
    clockid_t c;
    struct timespec ts;
    ccf_wasi_errno e;
    if (!w->cfg->enable_clock)
        return WASI_EACCES;
    if ((e = clock_of(I(0), &c)) != WASI_ESUCCESS)
        return e;
    if (clock_getres(c, &ts) != 0)
        return WASI_EINVAL;
    return store64(inst, I(1), ts_ns(&ts));
}

CALL(clock_time_get)
{
    uint64_t ns;
    ccf_wasi_errno e = clock_now(w, I(0), &ns);
    return e != WASI_ESUCCESS ? e : store64(inst, I(2), ns);
}

CALL(random_get)
{
    MEM_OR_FAULT(p, inst, I(0), I(1));
    size_t done = 0, len = I(1);
    (void)w;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return WASI_EIO;
        }
        done += (size_t)n;
    }
    return WASI_ESUCCESS;
}

CALL(sched_yield)
{
    (void)w, (void)inst, (void)a;
    return WASI_ESUCCESS;
}

CALL(proc_raise)
{
    (void)w, (void)inst, (void)a;
    return WASI_ENOTSUP;
}

/* No sockets exist in an instance: any valid descriptor is not one. */
CALL(sock_any)
{
    (void)inst;
    return get_fd(w, I(0)) == NULL ? WASI_EBADF : WASI_ENOTSOCK;
}

/* ---- descriptors: metadata -------------------------------------------------- */

CALL(fd_close)
{
    (void)inst;
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    fd_close_slot(w, f);
    return WASI_ESUCCESS;
}

CALL(fd_renumber)
{
    (void)inst;
    wasi_fd *from = get_fd(w, I(0)), *to = get_fd(w, I(1));
    if (from == NULL || to == NULL)
        return WASI_EBADF;
    if (from == to)
        return WASI_ESUCCESS;
    fd_close_slot(w, to);
    *to = *from;
    memset(from, 0, sizeof *from);
    return WASI_ESUCCESS;
}

CALL(fd_fdstat_get)
{
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    MEM_OR_FAULT(p, inst, I(1), 24);
    memset(p, 0, 24);
    p[0] = f->filetype;
    wasi_st16(p + 2, f->flags);
    wasi_st64(p + 8, f->base & WASI_RIGHTS_MASK);
    wasi_st64(p + 16, f->inheriting & WASI_RIGHTS_MASK);
    return WASI_ESUCCESS;
}

CALL(fd_fdstat_set_flags)
{
    (void)inst;
    wasi_fd *f = get_fd(w, I(0));
    uint32_t flags = I(1);
    if (f == NULL)
        return WASI_EBADF;
    if (flags > 31)
        return WASI_EINVAL;
    if (!fd_has(f, CCF_FD_FDSTAT_SET_FLAGS))
        return WASI_ENOTCAPABLE;
    f->flags = (uint16_t)flags;
    return WASI_ESUCCESS;
}

CALL(fd_fdstat_set_rights)
{
    (void)inst;
    wasi_fd *f = get_fd(w, I(0));
    uint64_t base = L(1), inh = L(2);
    if (f == NULL)
        return WASI_EBADF;
    /* rights can only be dropped */
    if ((base & ~(f->base & WASI_RIGHTS_MASK)) || (inh & ~(f->inheriting & WASI_RIGHTS_MASK)))
        return WASI_ENOTCAPABLE;
    f->base = base | (f->base & CCF_FD_EXECUTE);
    f->inheriting = inh;
    return WASI_ESUCCESS;
}

static void write_filestat(uint8_t *p, const ccf_vfs_stat *st)
{
    memset(p, 0, 64);
    wasi_st64(p + 0, 1); /* dev: one file system per instance */
    wasi_st64(p + 8, st->ino);
    p[16] = st->filetype;
    wasi_st64(p + 24, st->nlink);
    wasi_st64(p + 32, st->size);
    wasi_st64(p + 40, st->atim);
    wasi_st64(p + 48, st->mtim);
    wasi_st64(p + 56, st->ctim);
}

CALL(fd_filestat_get)
{
    wasi_fd *f = get_fd(w, I(0));
    ccf_vfs_stat st = {0};
    if (f == NULL)
        return WASI_EBADF;
    if (!fd_has(f, CCF_FD_FILESTAT_GET))
        return WASI_ENOTCAPABLE;
    MEM_OR_FAULT(p, inst, I(1), 64);
    if (f->kind == FD_NODE)
        ccf_vfs_node_stat(f->node, &st);
    else
        st.filetype = f->filetype;
    write_filestat(p, &st);
    return WASI_ESUCCESS;
}

CALL(fd_filestat_set_size)
{
    (void)inst;
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR;
    if (!fd_has(f, CCF_FD_FILESTAT_SET_SIZE))
        return WASI_ENOTCAPABLE;
    if (f->kind != FD_NODE)
        return WASI_EINVAL;
    return ccf_vfs_node_truncate(w->cfg->vfs, f->node, L(1));
}

CALL(fd_filestat_set_times)
{
    (void)inst;
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    if (!fd_has(f, CCF_FD_FILESTAT_SET_TIMES))
        return WASI_ENOTCAPABLE;
    if (f->kind != FD_NODE)
        return WASI_EINVAL;
    return ccf_vfs_node_set_times(f->node, L(1), L(2), (uint16_t)I(3));
}

CALL(fd_prestat_get)
{
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL || f->preopen == NULL)
        return WASI_EBADF;
    MEM_OR_FAULT(p, inst, I(1), 8);
    memset(p, 0, 8);
    wasi_st32(p + 4, (uint32_t)strlen(f->preopen));
    return WASI_ESUCCESS;
}

CALL(fd_prestat_dir_name)
{
    wasi_fd *f = get_fd(w, I(0));
    size_t len;
    if (f == NULL || f->preopen == NULL)
        return WASI_EBADF;
    len = strlen(f->preopen);
    if (I(2) < len)
        return WASI_ENAMETOOLONG;
    MEM_OR_FAULT(p, inst, I(1), len);
    memcpy(p, f->preopen, len);
    return WASI_ESUCCESS;
}

CALL(fd_advise)
{
    (void)inst;
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    if (I(3) > 5)
        return WASI_EINVAL;
    if (!fd_has(f, CCF_FD_ADVISE))
        return WASI_ENOTCAPABLE;
    return f->kind == FD_NODE ? WASI_ESUCCESS : WASI_ESPIPE;
}

CALL(fd_allocate)
{
    (void)inst;
    wasi_fd *f = get_fd(w, I(0));
    uint64_t off = L(1), len = L(2);
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR;
    if (!fd_has(f, CCF_FD_ALLOCATE))
        return WASI_ENOTCAPABLE;
    if (f->kind != FD_NODE || f->filetype != WASI_FILETYPE_REGULAR_FILE)
        return WASI_EINVAL;
    if (off > UINT64_MAX - len)
        return WASI_EFBIG;
    if (off + len > ccf_vfs_node_size(f->node))
        return ccf_vfs_node_truncate(w->cfg->vfs, f->node, off + len);
    return WASI_ESUCCESS;
}

static ccf_wasi_errno sync_common(ccf_wasi *w, uint32_t fd, uint32_t right)
{
    wasi_fd *f = get_fd(w, fd);
    if (f == NULL)
        return WASI_EBADF;
    return fd_has(f, right) ? WASI_ESUCCESS : WASI_ENOTCAPABLE;
}

CALL(fd_sync)
{
    (void)inst;
    return sync_common(w, I(0), CCF_FD_SYNC);
}

CALL(fd_datasync)
{
    (void)inst;
    return sync_common(w, I(0), CCF_FD_DATASYNC);
}

/* ---- descriptors: data ---------------------------------------------------- */

/* Walks an iovec array: fn is called per buffer; stops early on a short transfer. */
typedef ccf_wasi_errno (*iov_fn)(ccf_wasi *w, wasi_fd *f, uint8_t *buf, uint32_t len,
                                 uint64_t *offset, size_t *done);

static ccf_wasi_errno for_iovs(ccf_wasi *w, ccf_wasm_instance *inst, wasi_fd *f, uint32_t iovs,
                               uint32_t n, uint64_t *offset, iov_fn fn, uint32_t result_ptr)
{
    uint64_t total = 0;
    MEM_OR_FAULT(vec, inst, iovs, (uint64_t)n * 8);
    /* check every buffer before the first transfer */
    for (uint32_t i = 0; i < n; i++) {
        if (mem(inst, wasi_ld32(vec + 8 * i), wasi_ld32(vec + 8 * i + 4)) == NULL)
            return WASI_EFAULT;
    }
    if (mem(inst, result_ptr, 4) == NULL)
        return WASI_EFAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = wasi_ld32(vec + 8 * i + 4);
        uint8_t *buf = mem(inst, wasi_ld32(vec + 8 * i), len);
        size_t done = 0;
        ccf_wasi_errno e = fn(w, f, buf, len, offset, &done);
        total += done;
        if (e != WASI_ESUCCESS) {
            if (total > 0)
                break; /* report the partial transfer */
            return e;
        }
        if (done < len)
            break;
    }
    if (total > UINT32_MAX)
        total = UINT32_MAX;
    return store32(inst, result_ptr, (uint32_t)total);
}

static ccf_wasi_errno read_chunk(ccf_wasi *w, wasi_fd *f, uint8_t *buf, uint32_t len,
                                 uint64_t *offset, size_t *done)
{
    (void)w;
    *done = 0;
    if (f->kind == FD_NULL)
        return WASI_ESUCCESS;
    if (f->kind == FD_HOST) {
        ssize_t n;
        do
            n = read(f->host_fd, buf, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
            return WASI_EIO;
        *done = (size_t)n;
        return WASI_ESUCCESS;
    }
    ccf_fifo *fifo = ccf_vfs_node_fifo(f->node);
    if (fifo != NULL) { /* a stream file: wait for its upload (docs/policy.md "Streams") */
        switch (ccf_fifo_read(fifo, buf, len, done, stop_waiting, NULL)) {
        case CCF_FIFO_OK:
        case CCF_FIFO_EOF: *offset += *done; return WASI_ESUCCESS;
        case CCF_FIFO_ABORTED: return WASI_EIO; /* never a silently short file */
        case CCF_FIFO_STOPPED: return WASI_EINTR;
        }
        return WASI_EIO;
    }
    ccf_wasi_errno e = ccf_vfs_node_read(f->node, *offset, buf, len, done);
    *offset += *done;
    return e;
}

static ccf_wasi_errno write_chunk(ccf_wasi *w, wasi_fd *f, uint8_t *buf, uint32_t len,
                                  uint64_t *offset, size_t *done)
{
    *done = 0;
    if (f->kind == FD_NULL) {
        *done = len;
        return WASI_ESUCCESS;
    }
    if (f->kind == FD_HOST) {
        while (*done < len) {
            ssize_t n = write(f->host_fd, buf + *done, len - *done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return WASI_EIO;
            *done += (size_t)n;
        }
        return WASI_ESUCCESS;
    }
    ccf_wasi_errno e = ccf_vfs_node_write(w->cfg->vfs, f->node, *offset, buf, len);
    if (e == WASI_ESUCCESS) {
        *done = len;
        *offset += len;
    }
    return e;
}

CALL(fd_read)
{
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR;
    if (!fd_has(f, CCF_FD_READ))
        return WASI_ENOTCAPABLE;
    return for_iovs(w, inst, f, I(1), I(2), &f->offset, read_chunk, I(3));
}

CALL(fd_pread)
{
    wasi_fd *f = get_fd(w, I(0));
    uint64_t off = L(3);
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR;
    if (!fd_has(f, CCF_FD_READ))
        return WASI_ENOTCAPABLE;
    if (f->kind != FD_NODE || ccf_vfs_node_fifo(f->node) != NULL)
        return WASI_ESPIPE;
    return for_iovs(w, inst, f, I(1), I(2), &off, read_chunk, I(4));
}

CALL(fd_write)
{
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR;
    if (!fd_has(f, CCF_FD_WRITE))
        return WASI_ENOTCAPABLE;
    if (f->kind == FD_NODE && (f->flags & WASI_FDFLAG_APPEND))
        f->offset = ccf_vfs_node_size(f->node);
    return for_iovs(w, inst, f, I(1), I(2), &f->offset, write_chunk, I(3));
}

CALL(fd_pwrite)
{
    wasi_fd *f = get_fd(w, I(0));
    uint64_t off = L(3);
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR;
    if (!fd_has(f, CCF_FD_WRITE))
        return WASI_ENOTCAPABLE;
    if (f->kind != FD_NODE || ccf_vfs_node_fifo(f->node) != NULL)
        return WASI_ESPIPE;
    return for_iovs(w, inst, f, I(1), I(2), &off, write_chunk, I(4));
}

CALL(fd_seek)
{
    wasi_fd *f = get_fd(w, I(0));
    int64_t delta = (int64_t)L(1);
    uint32_t whence = I(2);
    int64_t base;
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR; /* a directory has no offset (docs/rights.md) */
    if (!(fd_has(f, CCF_FD_SEEK) ||
          (fd_has(f, CCF_FD_TELL) && whence == WASI_WHENCE_CUR && delta == 0)))
        return WASI_ENOTCAPABLE;
    if (f->kind != FD_NODE)
        return WASI_ESPIPE;
    if (ccf_vfs_node_fifo(f->node) != NULL && !(whence == WASI_WHENCE_CUR && delta == 0))
        return WASI_ESPIPE; /* a stream only tells how far it was read */
    switch (whence) {
    case WASI_WHENCE_SET: base = 0; break;
    case WASI_WHENCE_CUR: base = (int64_t)f->offset; break;
    case WASI_WHENCE_END: base = (int64_t)ccf_vfs_node_size(f->node); break;
    default: return WASI_EINVAL;
    }
    if ((delta > 0 && base > INT64_MAX - delta) || base + delta < 0)
        return WASI_EINVAL;
    if (mem(inst, I(3), 8) == NULL)
        return WASI_EFAULT;
    f->offset = (uint64_t)(base + delta);
    return store64(inst, I(3), f->offset);
}

CALL(fd_tell)
{
    wasi_fd *f = get_fd(w, I(0));
    if (f == NULL)
        return WASI_EBADF;
    if (is_dir_fd(f))
        return WASI_EISDIR;
    if (!fd_has(f, CCF_FD_TELL) && !fd_has(f, CCF_FD_SEEK))
        return WASI_ENOTCAPABLE;
    if (f->kind != FD_NODE)
        return WASI_ESPIPE;
    return store64(inst, I(1), f->offset);
}

/* fd_readdir fills the buffer with dirents; a final entry may be cut short. */
struct readdir_ctx {
    uint8_t *buf;
    uint32_t cap, used;
};

static bool put_dirent(void *user, uint64_t next, uint64_t ino, uint8_t type, const char *name,
                       size_t len)
{
    struct readdir_ctx *r = user;
    uint8_t head[24];
    memset(head, 0, sizeof head);
    wasi_st64(head, next);
    wasi_st64(head + 8, ino);
    wasi_st32(head + 16, (uint32_t)len);
    head[20] = type;
    for (size_t i = 0; i < sizeof head + len && r->used < r->cap; i++)
        r->buf[r->used++] = i < sizeof head ? head[i] : (uint8_t)name[i - sizeof head];
    return r->used < r->cap;
}

CALL(fd_readdir)
{
    wasi_fd *f = get_fd(w, I(0));
    struct readdir_ctx r;
    ccf_wasi_errno e;
    if (f == NULL)
        return WASI_EBADF;
    if (!is_dir_fd(f))
        return WASI_ENOTDIR;
    if (!fd_has(f, CCF_FD_READDIR))
        return WASI_ENOTCAPABLE;
    MEM_OR_FAULT(p, inst, I(1), I(2));
    if (mem(inst, I(4), 4) == NULL)
        return WASI_EFAULT;
    r.buf = p;
    r.cap = I(2);
    r.used = 0;
    /* A directory removed since it was opened lists nothing, as on Linux. */
    if (r.cap > 0 && ccf_vfs_lookup(w->cfg->vfs, f->path) == f->node &&
        (e = ccf_vfs_readdir(w->cfg->vfs, w->cfg->rights, f->path, L(3), put_dirent, &r)) !=
            WASI_ESUCCESS)
        return e;
    return store32(inst, I(4), r.used);
}

/* ---- paths ---------------------------------------------------------------- */

CALL(path_open)
{
    char path[CCF_VFS_PATH_MAX];
    uint32_t oflags = I(4), fdflags = I(7), rights = 0, need;
    uint64_t want_base = L(5), want_inh = L(6);
    ccf_vfs_node *node = NULL;
    wasi_fd *d, *f;
    ccf_wasi_errno e;
    bool slash = false;
    int slot;

    if ((e = dir_fd(w, I(0), 0, &d)) != WASI_ESUCCESS)
        return e;
    if (oflags > 15 || fdflags > 31)
        return WASI_EINVAL;
    /* O_DIRECTORY with O_CREAT: as Linux since 6.4 (a directory cannot be
     * made by open) */
    if ((oflags & WASI_O_DIRECTORY) && (oflags & WASI_O_CREAT))
        return WASI_EINVAL;
    if (mem(inst, I(8), 4) == NULL)
        return WASI_EFAULT;
    if ((e = guest_path(w, inst, I(0), CCF_PATH_OPEN, I(2), I(3), I(1) & WASI_LOOKUP_SYMLINK_FOLLOW,
                        path, &slash)) != WASI_ESUCCESS)
        return e;
    /* creating needs PATH_CREATE_FILE, truncating PATH_FILESTAT_SET_SIZE on
     * the directory descriptor too; O_CREAT on an existing file creates
     * nothing, O_TRUNC on a missing one truncates nothing (docs/rights.md) */
    if (ccf_vfs_lookup(w->cfg->vfs, path) == NULL)
        need = (oflags & WASI_O_CREAT) ? CCF_PATH_CREATE_FILE : 0;
    else
        need = (oflags & WASI_O_TRUNC) ? CCF_PATH_FILESTAT_SET_SIZE : 0;
    if (!fd_has(d, need))
        return WASI_ENOTCAPABLE;
    /* "new/" with O_CREAT: a trailing slash names a directory, open cannot
     * create one (EISDIR, as open(2)); without the right to create it, the
     * usual refusal */
    if (slash && (oflags & WASI_O_CREAT) && ccf_vfs_lookup(w->cfg->vfs, path) == NULL)
        return (ccf_vfs_rights(w->cfg->rights, path, false) & CCF_PATH_CREATE_FILE)
                   ? WASI_EISDIR
                   : WASI_ENOTCAPABLE;
    if ((slot = free_slot(w)) < 0)
        return WASI_EMFILE;
    if ((e = ccf_vfs_open(w->cfg->vfs, w->cfg->rights, path, (uint16_t)oflags, &node, &rights)) !=
        WASI_ESUCCESS)
        return e;
    f = &w->fds[slot];
    if (ccf_vfs_node_type(node) == WASI_FILETYPE_DIRECTORY) {
        /* as POSIX: a directory cannot be opened for writing; every other
         * right that makes no sense for a directory is masked */
        if ((fdflags & WASI_FDFLAG_APPEND) || (want_base & CCF_FD_WRITE)) {
            ccf_vfs_release(w->cfg->vfs, node);
            return WASI_EISDIR;
        }
        f->base = want_base & rights & d->inheriting & DIR_RIGHTS;
        f->inheriting = want_inh & d->inheriting;
    } else {
        /* a descriptor holds what was asked, within what the entry grants */
        f->base = want_base & rights & d->inheriting;
        f->inheriting = want_inh & rights & d->inheriting;
    }
    if ((f->path = strdup(path)) == NULL) {
        ccf_vfs_release(w->cfg->vfs, node);
        memset(f, 0, sizeof *f);
        return WASI_ENOMEM;
    }
    f->kind = FD_NODE;
    f->node = node;
    f->filetype = ccf_vfs_node_type(node);
    f->flags = (uint16_t)fdflags;
    return store32(inst, I(8), (uint32_t)slot);
}

CALL(path_create_directory)
{
    char path[CCF_VFS_PATH_MAX];
    ccf_wasi_errno e =
        guest_path(w, inst, I(0), CCF_PATH_CREATE_DIRECTORY, I(1), I(2), false, path, NULL);
    return e != WASI_ESUCCESS ? e : ccf_vfs_mkdir(w->cfg->vfs, w->cfg->rights, path);
}

CALL(path_remove_directory)
{
    char path[CCF_VFS_PATH_MAX];
    ccf_wasi_errno e =
        guest_path(w, inst, I(0), CCF_PATH_REMOVE_DIRECTORY, I(1), I(2), false, path, NULL);
    return e != WASI_ESUCCESS ? e : ccf_vfs_rmdir(w->cfg->vfs, w->cfg->rights, path);
}

CALL(path_unlink_file)
{
    char path[CCF_VFS_PATH_MAX];
    ccf_wasi_errno e =
        guest_path(w, inst, I(0), CCF_PATH_UNLINK_FILE, I(1), I(2), false, path, NULL);
    return e != WASI_ESUCCESS ? e : ccf_vfs_unlink(w->cfg->vfs, w->cfg->rights, path);
}

CALL(path_filestat_get)
{
    char path[CCF_VFS_PATH_MAX];
    ccf_vfs_stat st;
    ccf_wasi_errno e = guest_path(w, inst, I(0), CCF_PATH_FILESTAT_GET, I(2), I(3),
                                  I(1) & WASI_LOOKUP_SYMLINK_FOLLOW, path, NULL);
    if (e != WASI_ESUCCESS)
        return e;
    MEM_OR_FAULT(p, inst, I(4), 64);
    if ((e = ccf_vfs_stat_path(w->cfg->vfs, w->cfg->rights, path, &st)) != WASI_ESUCCESS)
        return e;
    write_filestat(p, &st);
    return WASI_ESUCCESS;
}

CALL(path_filestat_set_times)
{
    char path[CCF_VFS_PATH_MAX];
    ccf_wasi_errno e = guest_path(w, inst, I(0), CCF_PATH_FILESTAT_SET_TIMES, I(2), I(3),
                                  I(1) & WASI_LOOKUP_SYMLINK_FOLLOW, path, NULL);
    if (e != WASI_ESUCCESS)
        return e;
    return ccf_vfs_set_times_path(w->cfg->vfs, w->cfg->rights, path, L(4), L(5), (uint16_t)I(6));
}

/* Whether the principal sees a node at path that is not a directory. */
static bool visible_non_dir(ccf_wasi *w, const char *path)
{
    ccf_vfs_node *n = ccf_vfs_lookup(w->cfg->vfs, path);
    return n != NULL && ccf_vfs_node_type(n) != WASI_FILETYPE_DIRECTORY &&
           ccf_vfs_visible(w->cfg->rights, path, false);
}

CALL(path_rename)
{
    char from[CCF_VFS_PATH_MAX], to[CCF_VFS_PATH_MAX];
    bool from_slash = false, to_slash = false;
    ccf_wasi_errno e = guest_path(w, inst, I(0), CCF_PATH_RENAME_SOURCE, I(1), I(2), false, from,
                                  &from_slash);
    if (e == WASI_ESUCCESS)
        e = guest_path(w, inst, I(3), CCF_PATH_RENAME_TARGET, I(4), I(5), false, to, &to_slash);
    if (e != WASI_ESUCCESS)
        return e;
    /* a trailing slash on either name says "directory": renaming a file so
     * is ENOTDIR (a slash on an existing file's name was refused by resolve) */
    if ((from_slash || to_slash) && visible_non_dir(w, from))
        return WASI_ENOTDIR;
    if ((e = ccf_vfs_rename(w->cfg->vfs, w->cfg->rights, from, to)) == WASI_ESUCCESS)
        follow_rename(w, from, to);
    return e;
}

CALL(path_link)
{
    char from[CCF_VFS_PATH_MAX], to[CCF_VFS_PATH_MAX];
    bool to_slash = false;
    ccf_wasi_errno e = guest_path(w, inst, I(0), CCF_PATH_LINK_SOURCE, I(2), I(3),
                                  I(1) & WASI_LOOKUP_SYMLINK_FOLLOW, from, NULL);
    if (e == WASI_ESUCCESS)
        e = guest_path(w, inst, I(4), CCF_PATH_LINK_TARGET, I(5), I(6), false, to, &to_slash);
    if (e != WASI_ESUCCESS)
        return e;
    /* "new/": a hard link is never a directory (ENOENT as linkat(2)) */
    if (to_slash && ccf_vfs_lookup(w->cfg->vfs, to) == NULL)
        return WASI_ENOENT;
    return ccf_vfs_link(w->cfg->vfs, w->cfg->rights, from, to);
}

CALL(path_symlink)
{
    char target[CCF_VFS_PATH_MAX], path[CCF_VFS_PATH_MAX];
    uint32_t tlen = I(1);
    bool slash = false;
    ccf_wasi_errno e;
    MEM_OR_FAULT(t, inst, I(0), tlen);
    if (tlen >= sizeof target)
        return WASI_ENAMETOOLONG;
    if (memchr(t, '\0', tlen) != NULL)
        return WASI_EINVAL;
    memcpy(target, t, tlen);
    target[tlen] = '\0';
    if ((e = guest_path(w, inst, I(2), CCF_PATH_SYMLINK, I(3), I(4), false, path, &slash)) !=
        WASI_ESUCCESS)
        return e;
    /* "new/": a symbolic link is never a directory (ENOENT as symlinkat(2)) */
    if (slash && ccf_vfs_lookup(w->cfg->vfs, path) == NULL)
        return WASI_ENOENT;
    return ccf_vfs_symlink(w->cfg->vfs, w->cfg->rights, target, path);
}

CALL(path_readlink)
{
    char path[CCF_VFS_PATH_MAX];
    size_t n;
    ccf_wasi_errno e =
        guest_path(w, inst, I(0), CCF_PATH_READLINK, I(1), I(2), false, path, NULL);
    if (e != WASI_ESUCCESS)
        return e;
    MEM_OR_FAULT(buf, inst, I(3), I(4));
    if (mem(inst, I(5), 4) == NULL)
        return WASI_EFAULT;
    if ((e = ccf_vfs_readlink(w->cfg->vfs, w->cfg->rights, path, (char *)buf, I(4), &n)) !=
        WASI_ESUCCESS)
        return e;
    return store32(inst, I(5), (uint32_t)n);
}

/* ---- poll_oneoff ------------------------------------------------------------ */

CALL(poll_oneoff)
{
    uint32_t n = I(2), nevents = 0;
    uint64_t now = 0, earliest = UINT64_MAX;
    bool any_fd_ready = false, clock_ok = false;

    if (n == 0)
        return WASI_EINVAL;
    MEM_OR_FAULT(in, inst, I(0), (uint64_t)n * 48);
    MEM_OR_FAULT(out, inst, I(1), (uint64_t)n * 32);
    if (mem(inst, I(3), 4) == NULL)
        return WASI_EFAULT;
    if (w->cfg->enable_clock) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        now = ts_ns(&ts);
        clock_ok = true;
    }
    /* First pass: fd readiness (in-memory files are always ready) and the
     * earliest clock deadline. */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + 48 * i;
        uint8_t tag = s[8];
        if (tag == WASI_EVENTTYPE_FD_READ || tag == WASI_EVENTTYPE_FD_WRITE) {
            any_fd_ready = true;
        } else if (tag == WASI_EVENTTYPE_CLOCK && clock_ok) {
            uint64_t timeout = wasi_ld64(s + 24);
            uint16_t flags = wasi_ld16(s + 40);
            uint64_t deadline;
            if (flags & WASI_SUBCLOCK_ABSTIME) {
                uint64_t t;
                if (clock_now(w, wasi_ld32(s + 16), &t) != WASI_ESUCCESS)
                    t = now;
                deadline = timeout > t ? now + (timeout - t) : now;
            } else {
                deadline = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
            }
            if (deadline < earliest)
                earliest = deadline;
        }
    }
    if (!any_fd_ready && earliest != UINT64_MAX && earliest > now) {
        uint64_t wait = earliest - now;
        struct timespec ts = {(time_t)(wait / 1000000000u), (long)(wait % 1000000000u)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !deadline_hit)
            ;
        now = earliest;
    }
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = in + 48 * i;
        uint8_t *ev = out + 32 * nevents;
        uint8_t tag = s[8];
        uint16_t error = WASI_ESUCCESS;
        uint64_t nbytes = 0;
        if (tag == WASI_EVENTTYPE_CLOCK) {
            if (any_fd_ready)
                continue;
            if (!clock_ok) {
                error = WASI_EACCES;
            } else {
                clockid_t c;
                if (clock_of(wasi_ld32(s + 16), &c) != WASI_ESUCCESS)
                    error = WASI_EINVAL;
                else if (earliest != UINT64_MAX && earliest > now)
                    continue; /* not yet due */
            }
        } else if (tag == WASI_EVENTTYPE_FD_READ || tag == WASI_EVENTTYPE_FD_WRITE) {
            wasi_fd *f = get_fd(w, wasi_ld32(s + 16));
            if (f == NULL)
                error = WASI_EBADF;
            else if (!fd_has(f, CCF_POLL_FD_READWRITE))
                error = WASI_ENOTCAPABLE;
            else if (tag == WASI_EVENTTYPE_FD_READ && f->kind == FD_NODE) {
                uint64_t size = ccf_vfs_node_size(f->node);
                nbytes = size > f->offset ? size - f->offset : 0;
            }
        } else {
            error = WASI_EINVAL;
        }
        memset(ev, 0, 32);
        memcpy(ev, s, 8); /* userdata */
        wasi_st16(ev + 8, error);
        ev[10] = tag;
        wasi_st64(ev + 16, nbytes);
        nevents++;
    }
    return store32(inst, I(3), nevents);
}

/* ---- the import table ----------------------------------------------------------- */

struct wasi_fn {
    const char *name, *params, *results;
    wasi_call call; /* NULL for proc_exit */
};

static const struct wasi_fn wasi_fns[] = {
    {"args_get", "ii", "i", args_get},
    {"args_sizes_get", "ii", "i", args_sizes_get},
    {"environ_get", "ii", "i", environ_get},
    {"environ_sizes_get", "ii", "i", environ_sizes_get},
    {"clock_res_get", "ii", "i", clock_res_get},
    {"clock_time_get", "iIi", "i", clock_time_get},
    {"fd_advise", "iIIi", "i", fd_advise},
    {"fd_allocate", "iII", "i", fd_allocate},
    {"fd_close", "i", "i", fd_close},
    {"fd_datasync", "i", "i", fd_datasync},
    {"fd_fdstat_get", "ii", "i", fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", "i", fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", "i", fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", "i", fd_filestat_get},
    {"fd_filestat_set_size", "iI", "i", fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", "i", fd_filestat_set_times},
    {"fd_pread", "iiiIi", "i", fd_pread},
    {"fd_prestat_get", "ii", "i", fd_prestat_get},
    {"fd_prestat_dir_name", "iii", "i", fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", "i", fd_pwrite},
    {"fd_read", "iiii", "i", fd_read},
    {"fd_readdir", "iiiIi", "i", fd_readdir},
    {"fd_renumber", "ii", "i", fd_renumber},
    {"fd_seek", "iIii", "i", fd_seek},
    {"fd_sync", "i", "i", fd_sync},
    {"fd_tell", "ii", "i", fd_tell},
    {"fd_write", "iiii", "i", fd_write},
    {"path_create_directory", "iii", "i", path_create_directory},
    {"path_filestat_get", "iiiii", "i", path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", "i", path_filestat_set_times},
    {"path_link", "iiiiiii", "i", path_link},
    {"path_open", "iiiiiIIii", "i", path_open},
    {"path_readlink", "iiiiii", "i", path_readlink},
    {"path_remove_directory", "iii", "i", path_remove_directory},
    {"path_rename", "iiiiii", "i", path_rename},
    {"path_symlink", "iiiii", "i", path_symlink},
    {"path_unlink_file", "iii", "i", path_unlink_file},
    {"poll_oneoff", "iiii", "i", poll_oneoff},
    {"proc_exit", "i", "", NULL},
    {"proc_raise", "i", "i", proc_raise},
    {"sched_yield", "", "i", sched_yield},
    {"random_get", "ii", "i", random_get},
    {"sock_accept", "iii", "i", sock_any},
    {"sock_recv", "iiiiii", "i", sock_any},
    {"sock_send", "iiiii", "i", sock_any},
    {"sock_shutdown", "ii", "i", sock_any},
};
#define N_WASI_FNS (sizeof wasi_fns / sizeof wasi_fns[0])

struct binding {
    ccf_wasi *w;
    const struct wasi_fn *fn;
};

/* Marks proc_exit in the trap reason so a run can tell it from a failure. */
static const char exit_marker[] = "proc_exit";

static ccf_err trampoline(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args,
                          ccf_wasm_val *results, char *err, size_t err_size)
{
    struct binding *b = user;
    if (b->fn->call == NULL) {
        b->w->exited = true;
        b->w->exit_code = args[0].of.i32;
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s", exit_marker);
    }
    results[0].of.i32 = b->fn->call(b->w, caller, args);
    return CCF_OK;
}

/* ---- setup and run ---------------------------------------------------------- */

static ccf_err open_stream(ccf_wasi *w, int fd, const ccf_wasi_stream *s, char *err, size_t errsz)
{
    static const uint32_t in_rights = CCF_FD_READ | CCF_FD_FDSTAT_SET_FLAGS | CCF_POLL_FD_READWRITE |
                                      CCF_FD_FILESTAT_GET;
    static const uint32_t out_rights = CCF_FD_WRITE | CCF_FD_FDSTAT_SET_FLAGS |
                                       CCF_POLL_FD_READWRITE | CCF_FD_FILESTAT_GET |
                                       CCF_FD_DATASYNC | CCF_FD_SYNC;
    wasi_fd *f = &w->fds[fd];
    f->filetype = WASI_FILETYPE_CHARACTER_DEVICE;
    f->base = fd == 0 ? in_rights : out_rights;
    switch (s->kind) {
    case CCF_WASI_STREAM_NONE:
        f->kind = FD_NULL;
        return CCF_OK;
    case CCF_WASI_STREAM_HOST:
        f->kind = FD_HOST;
        f->host_fd = s->host_fd;
        return CCF_OK;
    case CCF_WASI_STREAM_FILE: {
        uint32_t r;
        ccf_wasi_errno e = ccf_vfs_open(w->cfg->vfs, NULL, s->file_name, WASI_O_CREAT, &f->node, &r);
        if (e != WASI_ESUCCESS)
            return ccf_errf(err, errsz, CCF_ERR_INVALID, "std stream file \"%s\": %s",
                            s->file_name, ccf_wasi_errno_name(e));
        if ((f->path = strdup(s->file_name)) == NULL)
            return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
        f->kind = FD_NODE;
        f->filetype = WASI_FILETYPE_REGULAR_FILE;
        /* the table's rights, within what a stream can do */
        f->base = (f->base | CCF_FD_SEEK | CCF_FD_TELL) & s->rights;
        if (fd != 0) {
            f->flags = WASI_FDFLAG_APPEND;
            f->offset = ccf_vfs_node_size(f->node);
        }
        return CCF_OK;
    }
    }
    return ccf_errf(err, errsz, CCF_ERR_INVALID, "bad std stream kind");
}

static ccf_err open_preopen(ccf_wasi *w, int fd, const char *guest, char *err, size_t errsz)
{
    char path[CCF_VFS_PATH_MAX];
    const char *rel = guest;
    uint32_t r = 0;
    ccf_wasi_errno e;
    wasi_fd *f = &w->fds[fd];

    while (*rel == '/')
        rel++;
    if (*rel == '\0') {
        path[0] = '\0';
    } else if ((e = ccf_vfs_resolve(w->cfg->vfs, NULL, "", rel, strlen(rel), true, path)) !=
               WASI_ESUCCESS) {
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "preopened directory \"%s\": %s", guest,
                        ccf_wasi_errno_name(e));
    }
    /* The host opens it; the program's rights apply to what is inside. */
    if ((e = ccf_vfs_open(w->cfg->vfs, NULL, path, WASI_O_DIRECTORY, &f->node, &r)) != WASI_ESUCCESS)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "preopened directory \"%s\": %s", guest,
                        ccf_wasi_errno_name(e));
    f->kind = FD_NODE;
    f->filetype = WASI_FILETYPE_DIRECTORY;
    if ((f->path = strdup(path)) == NULL || (f->preopen = strdup(guest)) == NULL)
        return ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
    f->inheriting = ccf_vfs_rights(w->cfg->rights, path, true) |
                    ccf_vfs_rights(w->cfg->rights, "", true);
    f->base = f->inheriting & DIR_RIGHTS;
    return CCF_OK;
}

static void wasi_teardown(ccf_wasi *w)
{
    for (int i = 0; i < MAX_FDS; i++) {
        if (w->fds[i].kind != FD_FREE)
            fd_close_slot(w, &w->fds[i]);
    }
}

/* An import of another module than WASI: one of cfg->host_modules binds it. */
static ccf_err bind_host_import(const ccf_wasi_config *cfg, ccf_wasm_store *store,
                                const ccf_wasm_import_desc *d, ccf_wasm_import *imp, char *err,
                                size_t err_size)
{
    char names[256] = "";
    size_t used = 0;
    for (size_t m = 0; m < cfg->n_host_modules; m++) {
        const ccf_wasi_host_module *hm = &cfg->host_modules[m];
        if (strlen(hm->name) == d->module_len && memcmp(hm->name, d->module, d->module_len) == 0) {
            if (d->kind != CCF_WASM_EXTERN_FUNC)
                return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                                "import \"%s\".\"%.*s\" is not a function (%s offers only "
                                "functions)", hm->name, (int)d->name_len, d->name, hm->name);
            imp->module = hm->name;
            return hm->bind(hm->user, store, d->name, d->name_len, &imp->name, &imp->ext, err,
                            err_size);
        }
        int n = snprintf(names + used, sizeof names - used, ", %s", hm->name);
        if (n > 0 && (size_t)n < sizeof names - used)
            used += (size_t)n;
    }
    return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                    "import \"%.*s\".\"%.*s\" cannot be satisfied: programs may import only "
                    "wasi_snapshot_preview1%s", (int)d->module_len, d->module, (int)d->name_len,
                    d->name, names);
}

ccf_err ccf_wasi_run(const ccf_wasm_module *module, const ccf_wasi_config *cfg,
                     ccf_wasi_result *result, char *err, size_t err_size)
{
    ccf_wasi *w = NULL;
    ccf_wasm_store *store = NULL;
    ccf_wasm_instance *inst = NULL;
    ccf_wasm_import *imports = NULL;
    struct binding *bindings = NULL;
    size_t nimports = ccf_wasm_import_count(module);
    ccf_wasm_trap trap = CCF_WASM_TRAP_NONE;
    ccf_wasm_extern start;
    char reason[256] = "";
    ccf_err rc;

    memset(result, 0, sizeof *result);
    if (cfg->vfs == NULL || 3 + cfg->ndirs > MAX_FDS)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "bad WASI configuration");
    if ((w = calloc(1, sizeof *w)) == NULL ||
        (imports = calloc(nimports + 1, sizeof *imports)) == NULL ||
        (bindings = calloc(nimports + 1, sizeof *bindings)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    w->cfg = cfg;
    for (int i = 0; i < 3; i++) {
        if ((rc = open_stream(w, i, &cfg->std[i], err, err_size)) != CCF_OK)
            goto out;
    }
    /* The root is preopened (fd 3) when the program may touch any file; a
     * program without file rights has no directory at all. */
    if (cfg->rights == NULL || cfg->rights->count > 0) {
        int fd = 3;
        if ((rc = open_preopen(w, fd++, "/", err, err_size)) != CCF_OK)
            goto out;
        for (size_t i = 0; i < cfg->ndirs; i++) {
            if ((rc = open_preopen(w, fd++, cfg->dirs[i], err, err_size)) != CCF_OK)
                goto out;
        }
    }
    if ((rc = ccf_wasm_store_new(&cfg->limits, &store, err, err_size)) != CCF_OK)
        goto out;

    for (size_t i = 0; i < nimports; i++) {
        ccf_wasm_import_desc d;
        const struct wasi_fn *fn = NULL;
        if (!ccf_wasm_import_get(module, i, &d)) {
            rc = ccf_errf(err, err_size, CCF_ERR_INTERNAL, "import %zu unreadable", i);
            goto out;
        }
        if (d.module_len != strlen("wasi_snapshot_preview1") ||
            memcmp(d.module, "wasi_snapshot_preview1", d.module_len) != 0) {
            if ((rc = bind_host_import(cfg, store, &d, &imports[i], err, err_size)) != CCF_OK)
                goto out;
            continue;
        }
        for (size_t j = 0; j < N_WASI_FNS; j++) {
            if (strlen(wasi_fns[j].name) == d.name_len &&
                memcmp(wasi_fns[j].name, d.name, d.name_len) == 0)
                fn = &wasi_fns[j];
        }
        if (fn == NULL || d.kind != CCF_WASM_EXTERN_FUNC) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                          "unknown WASI import \"%.*s\"", (int)d.name_len, d.name);
            goto out;
        }
        bindings[i].w = w;
        bindings[i].fn = fn;
        imports[i].module = "wasi_snapshot_preview1";
        imports[i].name = fn->name;
        if ((rc = ccf_wasm_host_func(store, fn->params, fn->results, trampoline, &bindings[i],
                                     &imports[i].ext, err, err_size)) != CCF_OK)
            goto out;
    }
    rc = ccf_wasm_instantiate(store, module, imports, nimports, &inst, &trap, reason, sizeof reason);
    if (rc != CCF_OK && trap == CCF_WASM_TRAP_NONE) {
        rc = ccf_errf(err, err_size, rc, "cannot instantiate: %s", reason);
        goto out;
    }
    if (rc == CCF_OK) {
        if (ccf_wasm_export(inst, "_start", &start, reason, sizeof reason) != CCF_OK ||
            start.kind != CCF_WASM_EXTERN_FUNC) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOT_FOUND,
                          "the module exports no `_start` function (not a WASI command)");
            goto out;
        }
        struct sigaction old;
        if (cfg->deadline_ms > 0)
            deadline_arm(store, cfg->deadline_ms, &old);
        rc = ccf_wasm_call(store, start, NULL, 0, NULL, 0, NULL, &trap, reason, sizeof reason);
        if (cfg->deadline_ms > 0) {
            deadline_disarm(&old);
            if (rc != CCF_OK && deadline_hit && !w->exited)
                snprintf(reason, sizeof reason, "deadline exceeded (%u ms)", cfg->deadline_ms);
        }
    }
    if (w->exited) {
        result->exited = true;
        result->exit_code = w->exit_code;
    } else if (rc == CCF_OK) {
        result->exited = true;
        result->exit_code = 0;
    } else {
        result->trap = trap != CCF_WASM_TRAP_NONE ? trap : CCF_WASM_TRAP_HOST;
        snprintf(result->message, sizeof result->message, "%s", reason);
    }
    rc = CCF_OK;
out:
    if (w != NULL)
        wasi_teardown(w);
    ccf_wasm_store_free(store);
    free(bindings);
    free(imports);
    free(w);
    return rc;
}
