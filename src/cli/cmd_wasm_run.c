/* `ccfaas wasm run`: run a WASI program with host files copied into an
 * in-memory instance file system under the policy's rights model, and
 * results copied out — how a user develops a function before registering it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "common/file.h"
#include "policy/rights.h"
#include "wasi/wasi.h"
#include "wasm/wasm.h"

#define MAX_MODULE_BYTES (256u << 20)
#define MAX_HOST_FILE (1u << 30)
#define DEFAULT_FILE_RIGHTS 8198u /* read */
#define DEFAULT_OUT_RIGHTS 533572u /* write */
#define EXIT_TRAP 134

static const char run_usage[] =
    "usage: ccfaas wasm run [OPTIONS] MODULE.wasm [-- ARGS...]\n"
    "\n"
    "Runs a WASI (wasi_snapshot_preview1) command in an in-memory file system that\n"
    "holds only the files given, with exactly the rights given (docs/rights.md).\n"
    "\n"
    "  --file NAME=HOSTPATH[:RIGHTS]  copy a host file in as NAME (default rights 8198: read)\n"
    "  --out NAME=HOSTPATH            the program may write NAME (533572); copied out after\n"
    "  --dir GUEST=HOSTDIR[:RIGHTS]   copy a host directory in under GUEST and preopen it\n"
    "                                 (default rights: all); GUEST / is the root\n"
    "  --env K=V                      an environment variable\n"
    "  --clock                        allow clock calls (default: they fail with EACCES)\n"
    "  --stdin PATH                   the program's stdin (default: empty)\n"
    "  --fuel N                       instruction budget (function entries + loop iterations)\n"
    "  --timeout SECONDS              wall-clock limit of the run (a trap when exceeded)\n"
    "  --max-memory-mib N             cap on the program's linear memory\n"
    "RIGHTS: a number (8198) or names (FD_READ,FD_SEEK,PATH_OPEN).\n"
    "\n"
    "Exit status: the program's exit code; 134 when it traps; 1 when it cannot run\n"
    "or an --out file was not written; 2 for usage errors.\n";

struct entry {
    char *name; /* guest file name (owned) */
    char *host; /* host path (owned) */
    uint32_t rights;
    bool is_dir;
};

struct run_args {
    const char *module;
    struct entry *files, *outs;
    size_t nfiles, nouts;
    const char **env;
    size_t nenv;
    const char *stdin_path;
    bool clock;
    uint64_t fuel, timeout_s;
    uint32_t max_pages;
    const char **argv;
    size_t argc;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ccfaas wasm run: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see `ccfaas wasm run --help`)\n");
    return CCF_EXIT_USAGE;
}

/* NAME=HOSTPATH[:RIGHTS] into e; guest names are normalised to be relative. */
static int parse_mapping(const char *flag, const char *arg, bool allow_rights, uint32_t def_rights,
                         struct entry *e)
{
    const char *eq = strchr(arg, '=');
    const char *colon;
    char err[160];
    if (eq == NULL || eq == arg || eq[1] == '\0')
        return usage_error("%s needs NAME=HOSTPATH", flag);
    const char *name = arg;
    size_t name_len = (size_t)(eq - arg);
    while (name_len > 0 && *name == '/') {
        name++;
        name_len--;
    }
    while (name_len > 0 && name[name_len - 1] == '/')
        name_len--;
    if ((e->name = strndup(name, name_len)) == NULL)
        return CCF_EXIT_FAIL;
    colon = strrchr(eq + 1, ':');
    e->rights = def_rights;
    if (allow_rights && colon != NULL && colon[1] != '\0' &&
        ccf_rights_parse(colon + 1, &e->rights, err, sizeof err) == CCF_OK)
        e->host = strndup(eq + 1, (size_t)(colon - eq - 1));
    else
        e->host = strdup(eq + 1);
    return e->host != NULL ? -1 : CCF_EXIT_FAIL;
}

static int parse_u64(const char *flag, const char *v, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = v ? strtoull(v, &end, 10) : 0;
    if (v == NULL || *v == '\0' || *end != '\0' || errno != 0 || x > max || v[0] == '-')
        return usage_error("%s needs a number", flag);
    *out = x;
    return -1;
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
    int rc;
    memset(a, 0, sizeof *a);
    a->files = calloc((size_t)argc, sizeof *a->files);
    a->outs = calloc((size_t)argc, sizeof *a->outs);
    a->env = calloc((size_t)argc, sizeof *a->env);
    a->argv = calloc((size_t)argc + 1, sizeof *a->argv);
    if (!a->files || !a->outs || !a->env || !a->argv)
        return CCF_EXIT_FAIL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            fputs(run_usage, stdout);
            return CCF_EXIT_OK;
        } else if (strcmp(s, "--") == 0) {
            for (i++; i < argc; i++)
                a->argv[a->argc++] = argv[i];
            break;
        } else if (strcmp(s, "--clock") == 0) {
            a->clock = true;
            continue;
        } else if (s[0] != '-' || strcmp(s, "-") == 0) {
            if (a->module != NULL) {
                /* arguments after the module belong to the program */
                for (; i < argc; i++)
                    a->argv[a->argc++] = argv[i];
                break;
            }
            a->module = s;
            continue;
        }
        if (v == NULL)
            return usage_error("%s needs a value", s);
        i++;
        if (strcmp(s, "--file") == 0 || strcmp(s, "--dir") == 0) {
            struct entry *e = &a->files[a->nfiles++];
            e->is_dir = s[2] == 'd';
            if ((rc = parse_mapping(s, v, true, e->is_dir ? CCF_RIGHTS_ALL & ~CCF_FD_EXECUTE
                                                          : DEFAULT_FILE_RIGHTS, e)) >= 0)
                return rc;
        } else if (strcmp(s, "--out") == 0) {
            if ((rc = parse_mapping(s, v, false, DEFAULT_OUT_RIGHTS, &a->outs[a->nouts++])) >= 0)
                return rc;
        } else if (strcmp(s, "--env") == 0) {
            if (strchr(v, '=') == NULL)
                return usage_error("--env needs K=V, got '%s'", v);
            a->env[a->nenv++] = v;
        } else if (strcmp(s, "--stdin") == 0) {
            a->stdin_path = v;
        } else if (strcmp(s, "--fuel") == 0) {
            if ((rc = parse_u64(s, v, UINT64_MAX, &a->fuel)) >= 0)
                return rc;
        } else if (strcmp(s, "--timeout") == 0) {
            if ((rc = parse_u64(s, v, 4000000, &a->timeout_s)) >= 0)
                return rc;
        } else if (strcmp(s, "--max-memory-mib") == 0) {
            uint64_t mib;
            if ((rc = parse_u64(s, v, 4096, &mib)) >= 0)
                return rc;
            a->max_pages = (uint32_t)(mib * 16);
        } else {
            return usage_error("unknown option '%s'", s);
        }
    }
    if (a->module == NULL)
        return usage_error("%sno MODULE.wasm given", "");
    return -1;
}

/* Copies a host directory tree into the vfs under `guest`. */
static int copy_dir_in(ccf_vfs *vfs, const char *host, const char *guest)
{
    DIR *d = opendir(host);
    struct dirent *de;
    int rc = 0;
    if (d == NULL) {
        fprintf(stderr, "ccfaas wasm run: %s: %s\n", host, strerror(errno));
        return -1;
    }
    if (guest[0] != '\0' && ccf_vfs_mkdir(vfs, NULL, guest) != WASI_ESUCCESS &&
        ccf_vfs_stat_path(vfs, NULL, guest, &(ccf_vfs_stat){0}) != WASI_ESUCCESS) {
        fprintf(stderr, "ccfaas wasm run: cannot create directory %s\n", guest);
        closedir(d);
        return -1;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        char hpath[PATH_MAX], gpath[CCF_VFS_PATH_MAX];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (snprintf(hpath, sizeof hpath, "%s/%s", host, de->d_name) >= (int)sizeof hpath ||
            snprintf(gpath, sizeof gpath, "%s%s%s", guest, guest[0] ? "/" : "", de->d_name) >=
                (int)sizeof gpath || lstat(hpath, &st) != 0) {
            fprintf(stderr, "ccfaas wasm run: %s: cannot copy\n", hpath);
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            rc = copy_dir_in(vfs, hpath, gpath);
        } else if (S_ISLNK(st.st_mode)) {
            char target[CCF_VFS_PATH_MAX];
            ssize_t n = readlink(hpath, target, sizeof target - 1);
            if (n < 0 || (target[n] = '\0', ccf_vfs_symlink(vfs, NULL, target, gpath)) != 0) {
                fprintf(stderr, "ccfaas wasm run: %s: cannot copy symbolic link\n", hpath);
                rc = -1;
            }
        } else if (S_ISREG(st.st_mode)) {
            char *data = NULL, err[160];
            size_t len;
            ccf_wasi_errno e;
            if (ccf_file_read(hpath, MAX_HOST_FILE, &data, &len, err, sizeof err) != CCF_OK) {
                fprintf(stderr, "ccfaas wasm run: %s: %s\n", hpath, err);
                rc = -1;
            } else if ((e = ccf_vfs_put(vfs, NULL, gpath, data, len, false)) != WASI_ESUCCESS) {
                fprintf(stderr, "ccfaas wasm run: %s: %s\n", hpath, ccf_wasi_errno_name(e));
                rc = -1;
            }
            free(data);
        }
    }
    closedir(d);
    return rc;
}

/* Writes data to path through a temporary file, so a failure leaves no half file. */
static int write_out(const char *path, const uint8_t *data, size_t len)
{
    char tmp[PATH_MAX];
    FILE *f;
    if (snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp ||
        (f = fopen(tmp, "wb")) == NULL)
        return -1;
    if (fwrite(data, 1, len, f) != len || fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int ccf_cmd_wasm_run(int argc, char **argv)
{
    struct run_args a;
    ccf_vfs *vfs = NULL;
    ccf_wasm_module *module = NULL;
    ccf_file_right *rights = NULL;
    ccf_file_rights rights_list = {0};
    const char **dirs = NULL;
    ccf_wasi_config cfg;
    ccf_wasi_result result;
    char err[512], *bytes = NULL;
    size_t len, ndirs = 0;
    int stdin_fd = -1;
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (ccf_file_read(a.module, MAX_MODULE_BYTES, &bytes, &len, err, sizeof err) != CCF_OK ||
        ccf_wasm_load((const uint8_t *)bytes, len, &module, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas wasm run: %s: %s\n", a.module, err);
        goto out;
    }
    if ((vfs = ccf_vfs_new(NULL)) == NULL ||
        (rights = calloc(a.nfiles + a.nouts + 1, sizeof *rights)) == NULL ||
        (dirs = calloc(a.nfiles + 1, sizeof *dirs)) == NULL) {
        fprintf(stderr, "ccfaas wasm run: out of memory\n");
        goto out;
    }
    rights_list.items = rights;
    for (size_t i = 0; i < a.nfiles; i++) {
        struct entry *e = &a.files[i];
        char name[CCF_VFS_PATH_MAX];
        if (e->is_dir) {
            if (copy_dir_in(vfs, e->host, e->name) != 0)
                goto out;
            snprintf(name, sizeof name, "%s/", e->name);
            if (e->name[0] != '\0')
                dirs[ndirs++] = e->name;
        } else {
            char *data = NULL;
            ccf_wasi_errno we;
            if (ccf_file_read(e->host, MAX_HOST_FILE, &data, &len, err, sizeof err) != CCF_OK) {
                fprintf(stderr, "ccfaas wasm run: %s: %s\n", e->host, err);
                goto out;
            }
            we = ccf_vfs_put(vfs, NULL, e->name, data, len, false);
            free(data);
            if (we != WASI_ESUCCESS) {
                fprintf(stderr, "ccfaas wasm run: cannot load %s: %s\n", e->name,
                        ccf_wasi_errno_name(we));
                goto out;
            }
            snprintf(name, sizeof name, "%s", e->name);
        }
        if ((rights[rights_list.count].file_name = strdup(name)) == NULL)
            goto out;
        rights[rights_list.count++].rights = e->rights;
    }
    for (size_t i = 0; i < a.nouts; i++) {
        bool known = false;
        for (size_t j = 0; j < rights_list.count; j++)
            known |= strcmp(rights[j].file_name, a.outs[i].name) == 0;
        if (known)
            continue;
        if ((rights[rights_list.count].file_name = strdup(a.outs[i].name)) == NULL)
            goto out;
        rights[rights_list.count++].rights = DEFAULT_OUT_RIGHTS;
    }
    if (a.stdin_path != NULL && (stdin_fd = open(a.stdin_path, O_RDONLY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "ccfaas wasm run: %s: %s\n", a.stdin_path, strerror(errno));
        goto out;
    }

    memset(&cfg, 0, sizeof cfg);
    a.argv[a.argc] = NULL;
    memmove(a.argv + 1, a.argv, a.argc * sizeof *a.argv);
    a.argv[0] = a.module;
    cfg.vfs = vfs;
    cfg.rights = &rights_list;
    cfg.argv = a.argv;
    cfg.argc = a.argc + 1;
    cfg.env = a.env;
    cfg.envc = a.nenv;
    cfg.enable_clock = a.clock;
    cfg.std[0] = stdin_fd >= 0 ? (ccf_wasi_stream){.kind = CCF_WASI_STREAM_HOST, .host_fd = stdin_fd}
                               : (ccf_wasi_stream){.kind = CCF_WASI_STREAM_NONE};
    cfg.std[1] = (ccf_wasi_stream){.kind = CCF_WASI_STREAM_HOST, .host_fd = STDOUT_FILENO};
    cfg.std[2] = (ccf_wasi_stream){.kind = CCF_WASI_STREAM_HOST, .host_fd = STDERR_FILENO};
    cfg.dirs = dirs;
    cfg.ndirs = ndirs;
    cfg.limits.fuel = a.fuel;
    cfg.deadline_ms = (uint32_t)(a.timeout_s * 1000);
    cfg.limits.max_memory_pages = a.max_pages;

    if (ccf_wasi_run(module, &cfg, &result, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas wasm run: %s: %s\n", a.module, err);
        goto out;
    }
    if (!result.exited) {
        fprintf(stderr, "ccfaas wasm run: trap: %s\n", result.message);
        rc = EXIT_TRAP;
        goto out;
    }
    rc = result.exit_code <= 255 ? (int)result.exit_code : CCF_EXIT_FAIL;
    for (size_t i = 0; i < a.nouts; i++) {
        uint8_t *data = NULL;
        ccf_wasi_errno we = ccf_vfs_get(vfs, NULL, a.outs[i].name, &data, &len);
        if (we != WASI_ESUCCESS) {
            fprintf(stderr, "ccfaas wasm run: output %s: %s\n", a.outs[i].name,
                    we == WASI_ENOENT ? "the program did not write it" : ccf_wasi_errno_name(we));
            if (rc == 0)
                rc = CCF_EXIT_FAIL;
        } else if (write_out(a.outs[i].host, data, len) != 0) {
            fprintf(stderr, "ccfaas wasm run: cannot write %s: %s\n", a.outs[i].host,
                    strerror(errno));
            if (rc == 0)
                rc = CCF_EXIT_FAIL;
        }
        free(data);
    }
out:
    if (stdin_fd >= 0)
        close(stdin_fd);
    for (size_t i = 0; i < rights_list.count; i++)
        free(rights[i].file_name);
    free(rights);
    free(dirs);
    for (size_t i = 0; i < a.nfiles; i++) {
        free(a.files[i].name);
        free(a.files[i].host);
    }
    for (size_t i = 0; i < a.nouts; i++) {
        free(a.outs[i].name);
        free(a.outs[i].host);
    }
    free(a.files);
    free(a.outs);
    free(a.env);
    free(a.argv);
    ccf_vfs_free(vfs);
    ccf_wasm_module_free(module);
    free(bytes);
    return rc;
}
