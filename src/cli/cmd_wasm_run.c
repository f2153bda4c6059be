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
#include "cli/options.h"
#include "common/file.h"
#include "guestcrypto/guestcrypto.h"
#include "policy/rights.h"
#include "wasi/wasi.h"
#include "wasm/wasm.h"

#define MAX_MODULE_BYTES (256u << 20)
#define MAX_HOST_FILE (1u << 30)
#define DEFAULT_FILE_RIGHTS 8198u /* read */
#define DEFAULT_OUT_RIGHTS 533572u /* write */
#define EXIT_TRAP 134

#define RUN_ABOUT                                                                          \
    "Runs a WASI (wasi_snapshot_preview1) command in an in-memory file system that\n"        \
    "holds only the files given, with exactly the rights given (docs/rights.md). ARGS\n"     \
    "after MODULE.wasm (or after --) are the program's. The program may also import\n"      \
    "the guest crypto module ccfaas_crypto (docs/guest-crypto.md); its keys live for\n"     \
    "this one run.\n"
#define RUN_EPILOG                                                                         \
    "\nRIGHTS: a number (8198) or names (FD_READ,FD_SEEK,PATH_OPEN); `ccfaas policy rights\n" \
    "--list` shows them. HOSTPATH - is stdin (--file) or stdout (--out).\n"                 \
    "\n"                                                                                    \
    "Exit status: the program's exit code; 134 when it traps; 1 when it cannot run\n"      \
    "or an --out file was not written; 2 for usage errors.\n"

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
    const char *strategy;
};

static const ccf_opt_cmd run_cmd = {
    .cmd = "wasm run", .args = "MODULE.wasm [ARGS...]", .min_args = 1, .max_args = (size_t)-1,
    .stop_after = 2, /* after the module and the program's first argument, all is the program's */
    .about = RUN_ABOUT, .epilog = RUN_EPILOG};

/* Whether s looks like a RIGHTS value (a number or upper-case bit names). */
static bool looks_like_rights(const char *s)
{
    return s[0] != '\0' && strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_,") == strlen(s);
}

/* NAME=HOSTPATH[:RIGHTS] into e; guest names are normalised to be relative.
 * A :RIGHTS suffix that looks like rights but does not parse is an error
 * naming it, unless HOSTPATH with it is an existing file. */
static int parse_mapping(const char *flag, const char *arg, bool allow_rights, uint32_t def_rights,
                         struct entry *e)
{
    const char *eq = strchr(arg, '=');
    const char *colon;
    char err[160];
    if (eq == NULL || eq == arg || eq[1] == '\0')
        return ccf_opt_error(&run_cmd, "%s: expected NAME=HOSTPATH, got '%s'", flag, arg);
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
        ccf_rights_parse(colon + 1, &e->rights, err, sizeof err) == CCF_OK) {
        e->host = strndup(eq + 1, (size_t)(colon - eq - 1));
    } else {
        if (allow_rights && colon != NULL && looks_like_rights(colon + 1) &&
            access(eq + 1, F_OK) != 0) {
            /* err already says where to look up the names */
            fprintf(stderr, "ccfaas wasm run: %s %s: %s\n", flag, arg, err);
            return CCF_EXIT_USAGE;
        }
        e->host = strdup(eq + 1);
    }
    return e->host != NULL ? -1 : CCF_EXIT_FAIL;
}

/* The table's values into a (mappings parsed, checked). */
static int parse_args(int argc, char **argv, struct run_args *a)
{
    ccf_opt_list files = {0}, dirs = {0}, outs = {0}, env = {0};
    long fuel = 0, timeout = 0, mib = 0;
    ccf_opt_args pos = {0};
    const ccf_opt table[] = {
        {.name = "file", .kind = CCF_OPT_PAIR, .dest = &files, .value = "NAME=HOSTPATH[:RIGHTS]",
         .help = "copy a host file in as NAME (default rights 8198: read)"},
        {.name = "out", .kind = CCF_OPT_PAIR, .dest = &outs, .value = "NAME=HOSTPATH",
         .help = "the program may write NAME (533572); copied out after"},
        {.name = "dir", .kind = CCF_OPT_PAIR, .dest = &dirs, .value = "GUEST=HOSTDIR[:RIGHTS]",
         .help = "copy a host directory in under GUEST and preopen it\n(default rights: all); "
                 "GUEST / is the root"},
        {.name = "env", .kind = CCF_OPT_LIST, .dest = &env, .value = "K=V",
         .help = "an environment variable"},
        {.name = "clock", .kind = CCF_OPT_FLAG, .dest = &a->clock,
         .help = "allow clock calls (default: they fail with EACCES)"},
        {.name = "stdin", .kind = CCF_OPT_STRING, .dest = &a->stdin_path, .value = "PATH",
         .help = "the program's stdin (default: empty)", .nonempty = true},
        {.name = "fuel", .kind = CCF_OPT_NUM, .dest = &fuel, .value = "N",
         .help = "instruction budget (function entries + loop iterations)", .max = LONG_MAX},
        {.name = "timeout", .kind = CCF_OPT_NUM, .dest = &timeout, .value = "SECONDS",
         .help = "wall-clock limit of the run (a trap when exceeded)", .max = 4000000},
        {.name = "max-memory-mib", .kind = CCF_OPT_NUM, .dest = &mib, .value = "N",
         .help = "cap on the program's linear memory", .max = 4096},
        {.name = "strategy", .kind = CCF_OPT_STRING, .dest = &a->strategy, .value = "jit|interp",
         .help = "interp (default): the interpreter; jit: compile to native code first", .nonempty = true},
        {0}};
    int rc;

    memset(a, 0, sizeof *a);
    if ((rc = ccf_opt_run(&run_cmd, table, argc, argv, &pos)) >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    a->files = calloc(files.count + dirs.count + 1, sizeof *a->files);
    a->outs = calloc(outs.count + 1, sizeof *a->outs);
    a->env = calloc(env.count + 1, sizeof *a->env);
    a->argv = calloc(pos.count + 1, sizeof *a->argv);
    if (!a->files || !a->outs || !a->env || !a->argv)
        goto out;
    for (size_t i = 0; i < files.count; i++) {
        struct entry *e = &a->files[a->nfiles++];
        if ((rc = parse_mapping("--file", files.items[i], true, DEFAULT_FILE_RIGHTS, e)) >= 0)
            goto out;
    }
    for (size_t i = 0; i < dirs.count; i++) {
        struct entry *e = &a->files[a->nfiles++];
        e->is_dir = true;
        if ((rc = parse_mapping("--dir", dirs.items[i], true, CCF_RIGHTS_ALL & ~CCF_FD_EXECUTE,
                                e)) >= 0)
            goto out;
    }
    for (size_t i = 0; i < outs.count; i++) {
        if ((rc = parse_mapping("--out", outs.items[i], false, DEFAULT_OUT_RIGHTS,
                                &a->outs[a->nouts++])) >= 0)
            goto out;
    }
    for (size_t i = 0; i < env.count; i++) {
        if (strchr(env.items[i], '=') == NULL) {
            rc = ccf_opt_error(&run_cmd, "--env: expected K=V, got '%s'", env.items[i]);
            goto out;
        }
        a->env[a->nenv++] = env.items[i];
    }
    a->fuel = (uint64_t)fuel;
    a->timeout_s = (uint64_t)timeout;
    a->max_pages = (uint32_t)(mib * 16);
    a->module = pos.items[0];
    for (size_t i = 1; i < pos.count; i++)
        a->argv[a->argc++] = pos.items[i];
    rc = -1;
out:
    ccf_opt_lists_free(table);
    ccf_opt_args_free(&pos);
    return rc;
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

/* Writes data to path through a temporary file, so a failure leaves no half
 * file; path "-" is stdout. */
static int write_out(const char *path, const uint8_t *data, size_t len)
{
    char tmp[PATH_MAX];
    FILE *f;
    if (strcmp(path, "-") == 0)
        return fwrite(data, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : -1;
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
    ccf_guestcrypto_store *keys = NULL;
    ccf_guestcrypto_run *crypto = NULL;
    ccf_wasi_host_module crypto_module;
    char err[512], *bytes = NULL;
    size_t len, ndirs = 0;
    int stdin_fd = -1;
    int rc = parse_args(argc, argv, &a);

    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    /* every named file checked before anything runs */
    for (size_t i = 0; i < a.nfiles; i++) {
        char flag[300];
        snprintf(flag, sizeof flag, "%s %.200s", a.files[i].is_dir ? "--dir" : "--file",
                 a.files[i].name);
        if (!a.files[i].is_dir && !ccf_opt_input_ok(flag, a.files[i].host, err, sizeof err)) {
            fprintf(stderr, "ccfaas wasm run: %s\n", err);
            goto out;
        }
    }
    for (size_t i = 0; i < a.nouts; i++) {
        char flag[300];
        snprintf(flag, sizeof flag, "--out %.200s", a.outs[i].name);
        if (!ccf_opt_output_ok(flag, a.outs[i].host, err, sizeof err)) {
            fprintf(stderr, "ccfaas wasm run: %s\n", err);
            goto out;
        }
    }
    if (ccf_file_read(a.module, MAX_MODULE_BYTES, &bytes, &len, err, sizeof err) != CCF_OK ||
        ccf_wasm_load((const uint8_t *)bytes, len, &module, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas wasm run: %s: %s\n", a.module, err);
        goto out;
    }
    if ((rc = ccf_cli_wasm_strategy("wasm run", a.module, module, a.strategy)) >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
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
    if (ccf_guestcrypto_store_new(&keys, err, sizeof err) != CCF_OK ||
        ccf_guestcrypto_run_new(keys, a.module, &crypto, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas wasm run: %s\n", err);
        goto out;
    }
    crypto_module = ccf_guestcrypto_module(crypto);
    cfg.host_modules = &crypto_module;
    cfg.n_host_modules = 1;

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
    ccf_guestcrypto_run_free(crypto);
    ccf_guestcrypto_store_free(keys);
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
