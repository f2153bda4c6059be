/* The `process` backend: ccfaas-runtime as a local child process, inside
 * bubblewrap (own user, pid, ipc, uts, cgroup and mount namespaces, the root
 * file system read-only, its own empty /tmp; uid and gid 65534 in its user
 * namespace, no capabilities), with resource limits set by util-linux's
 * prlimit before bubblewrap starts (so they hold from the first instruction:
 * posix_spawn cannot set them, and setting them afterwards would race). The network namespace is
 * shared: the runtime must reach the proxy to be attested and serve its
 * port; after that its own seccomp filter allows no new sockets
 * (docs/threat-model.md). Spawned with posix_spawn because VaaS is
 * multi-threaded (no fork + non-async-signal-safe code). */
#define _GNU_SOURCE /* pipe2, posix_spawn_file_actions_addclosefrom_np, POSIX_SPAWN_SETSID */
#include "vaas/backend.h"
#include "vaas/cgroup.h"
#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Sanitizer builds map terabytes of shadow memory: no RLIMIT_DATA there. */
#if defined(__SANITIZE_ADDRESS__)
#define CCF_NO_DATA_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define CCF_NO_DATA_LIMIT 1
#endif
#endif

#define STOP_GRACE_MS 3000
#define RUNTIME_NOFILE 1024           /* 256 data-plane connections and a few files */
#define RUNTIME_FSIZE (256ull << 20)  /* the runtime's log: a runaway cannot fill the disk */
#define TAIL_BYTES 1024
#define MAX_ARGS 64

struct ccf_vaas_proc {
    pid_t pid;
    ccf_vaas_cgroup *cg; /* NULL: rlimits only (no cgroup could be made) */
};

extern char **environ;

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ccf_vaas_file_tail(const char *path, char *buf, size_t size)
{
    buf[0] = '\0';
    if (size < 2)
        return;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    off_t end = lseek(fd, 0, SEEK_END);
    off_t from = end > (off_t)(size - 1) ? end - (off_t)(size - 1) : 0;
    ssize_t n = pread(fd, buf, size - 1, from);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    char *start = buf;
    if (from > 0 && (start = strchr(buf, '\n')) != NULL)
        start++;
    else if (start == NULL)
        start = buf;
    size_t len = strlen(start);
    while (len > 0 && (start[len - 1] == '\n' || start[len - 1] == '\r'))
        start[--len] = '\0';
    memmove(buf, start, len + 1);
    for (char *p = buf; *p; p++) /* one line for JSON messages and logs */
        if (*p == '\n')
            *p = '|';
}

/* Waits for pid up to ms milliseconds; true when reaped (status filled). */
static bool wait_for(pid_t pid, long ms, int *status)
{
    long deadline = now_ms() + ms;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return true;
        if (now_ms() >= deadline)
            return false;
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void terminate(pid_t pid, int *status)
{
    int st = 0;
    kill(pid, SIGTERM);
    if (!wait_for(pid, STOP_GRACE_MS, &st)) {
        kill(pid, SIGKILL);
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    if (status != NULL)
        *status = st;
}

static void describe_status(int st, char *buf, size_t size)
{
    if (WIFEXITED(st))
        snprintf(buf, size, "exited with code %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, size, "was killed by signal %d", WTERMSIG(st));
    else
        snprintf(buf, size, "ended");
}

/* The argument vector: with a cgroup, a shell that moves itself into it
 * and execs the rest (so the limits hold before the first instruction of
 * what follows; posix_spawn cannot); prlimit's limits, bwrap's options, then
 * the runtime's. The limit strings live in lim. */
static size_t build_argv(const ccf_vaas_backend_config *cfg, const ccf_vaas_launch *l,
                         const ccf_vaas_cgroup *cg, const char **argv, char lim[4][48])
{
    size_t n = 0;
    if (cg != NULL) {
        size_t np = 0;
        const char *const *procs = ccf_vaas_cgroup_procs(cg, &np);
        argv[n++] = "/bin/sh";
        argv[n++] = "-c";
        argv[n++] = np == 1 ? "echo $$ >\"$1\" && shift 1 && exec \"$@\""
                            : "echo $$ >\"$1\" && echo $$ >\"$2\" && shift 2 && exec \"$@\"";
        argv[n++] = "ccfaas-cgroup-join"; /* $0 */
        for (size_t i = 0; i < np && i < 2; i++)
            argv[n++] = procs[i];
    }
    argv[n++] = "prlimit";
    argv[n++] = "--core=0"; /* no core dump: a runtime's memory holds users' data and keys */
    snprintf(lim[0], sizeof lim[0], "--nofile=%u", RUNTIME_NOFILE);
    argv[n++] = lim[0];
    snprintf(lim[1], sizeof lim[1], "--fsize=%llu", RUNTIME_FSIZE);
    argv[n++] = lim[1];
#ifndef CCF_NO_DATA_LIMIT
    if (l->memory_mib > 0) {
        snprintf(lim[2], sizeof lim[2], "--data=%llu", (unsigned long long)l->memory_mib << 20);
        argv[n++] = lim[2];
    }
#endif
    if (cfg->cpu_seconds > 0) {
        snprintf(lim[3], sizeof lim[3], "--cpu=%u", cfg->cpu_seconds);
        argv[n++] = lim[3];
    }
    argv[n++] = "--";
    if (cfg->sandbox) {
        const char *bw[] = {"bwrap", "--unshare-all", "--unshare-user", "--uid", "65534",
                            "--gid", "65534", "--cap-drop", "ALL", "--share-net",
                            "--die-with-parent",
                            "--new-session", "--ro-bind", "/", "/", "--tmpfs", "/tmp",
                            "--proc", "/proc", "--dev", "/dev",
                            /* under a fresh /tmp: what the runtime must still see */
                            "--ro-bind", l->dir, l->dir, "--ro-bind", cfg->runtime_path,
                            cfg->runtime_path, "--chdir", "/", "--"};
        for (size_t i = 0; i < sizeof bw / sizeof bw[0]; i++)
            argv[n++] = bw[i];
    }
    const char *rt[] = {cfg->runtime_path, "--policy", l->policy_path, "--listen", l->listen,
                        "--platform", "linux", "--platform-key-fd", "3", "--ready-fd", "4"};
    for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++)
        argv[n++] = rt[i];
    for (size_t i = 0; cfg->runtime_args != NULL && cfg->runtime_args[i] != NULL &&
                       n < MAX_ARGS - 1; i++)
        argv[n++] = cfg->runtime_args[i];
    argv[n] = NULL;
    return n;
}

/* Reads the ready line from fd until the deadline: 1 ready, 0 the runtime
 * closed it (ended), -1 timeout. */
static int wait_ready(int fd, unsigned timeout_ms)
{
    char line[256];
    size_t len = 0;
    long deadline = now_ms() + (long)timeout_ms;
    for (;;) {
        long left = deadline - now_ms();
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 ? -1 : 0;
        ssize_t k = read(fd, line + len, sizeof line - 1 - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return 0;
        len += (size_t)k;
        line[len] = '\0';
        if (strncmp(line, "ready ", len < 6 ? len : 6) != 0)
            return 0; /* not the runtime's protocol */
        if (strchr(line, '\n') != NULL)
            return 1;
        if (len == sizeof line - 1)
            return 0;
    }
}

/* The runtime's environment: empty, but for the sanitizers' options (the
 * runtime accepts those in sanitizer builds only). env has room for 4. */
static void minimal_env(char *env[4])
{
    static const char *const keep[] = {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"};
    size_t n = 0;
    for (char **e = environ; *e != NULL && n < 3; e++) {
        for (size_t k = 0; k < 3; k++) {
            size_t l = strlen(keep[k]);
            if (strncmp(*e, keep[k], l) == 0 && (*e)[l] == '=')
                env[n++] = *e;
        }
    }
    env[n] = NULL;
}

static ccf_err process_start(const ccf_vaas_backend_config *cfg, const ccf_vaas_launch *l,
                             ccf_vaas_proc **out, char *err, size_t err_size)
{
    const char *argv[MAX_ARGS];
    char log_path[4096], tail[TAIL_BYTES], how[64];
    int pipefd[2] = {-1, -1};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_init = false, attr_init = false;
    pid_t pid = -1;
    ccf_err rc = CCF_OK;
    *out = NULL;

    if (snprintf(log_path, sizeof log_path, "%s/runtime.log", l->dir) >= (int)sizeof log_path)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "instance directory path too long");
    char lim[4][48], why[512];
    ccf_vaas_cgroup *cg = NULL;
    uint64_t mem = 0;
#ifndef CCF_NO_DATA_LIMIT
    mem = (uint64_t)l->memory_mib << 20;
#endif
    if (cfg->cgroups && ccf_vaas_cgroup_new(l->instance_id, mem, CCF_VAAS_CGROUP_PIDS, &cg, why,
                                            sizeof why) != CCF_OK)
        ccf_log_event("vaas", "instance %s: no cgroup, its rlimits only: %s", l->instance_id, why);
    build_argv(cfg, l, cg, argv, lim);
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "pipe: %s", strerror(errno));
    if (posix_spawn_file_actions_init(&fa) != 0 || posix_spawnattr_init(&attr) != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot prepare the runtime's start");
        goto out;
    }
    fa_init = attr_init = true;
    /* 4 first: the pipe's end may be descriptor 3 itself. */
    int fa_rc = posix_spawn_file_actions_adddup2(&fa, pipefd[1], 4);
    fa_rc |= posix_spawn_file_actions_addopen(&fa, 3, cfg->platform_key_path, O_RDONLY, 0);
    fa_rc |= posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    fa_rc |= posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_CREAT | O_APPEND,
                                               0600);
    fa_rc |= posix_spawn_file_actions_adddup2(&fa, 2, 1);
    fa_rc |= posix_spawn_file_actions_addclosefrom_np(&fa, 5);
    /* Server threads block SIGINT/SIGTERM: the runtime must not inherit that,
     * nor the terminal's Ctrl-C (own session: `ccfaas up` stops it itself). */
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGCHLD);
    fa_rc |= posix_spawnattr_setsigmask(&attr, &none);
    fa_rc |= posix_spawnattr_setsigdefault(&attr, &defaults);
    fa_rc |= posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                                 POSIX_SPAWN_SETSID);
    if (fa_rc != 0) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "cannot prepare the runtime's start");
        goto out;
    }
    /* An explicit minimal environment, never VaaS's own (LD_PRELOAD and the
     * like would reach the runtime; it would start itself again without them) */
    char *env[4];
    minimal_env(env);
    int sp = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, env);
    if (sp != 0) {
        pid = -1;
        rc = ccf_errf(err, err_size, CCF_ERR_IO, "cannot start %s: %s", argv[0], strerror(sp));
        goto out;
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    int ready = wait_ready(pipefd[0], l->ready_timeout_ms);
    if (ready == 1) {
        struct ccf_vaas_proc *p = calloc(1, sizeof *p);
        if (p == NULL) {
            rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
        p->pid = pid;
        p->cg = cg;
        pid = -1; /* owned by the handle now */
        cg = NULL;
        *out = p;
        goto out;
    }
    int st = 0;
    if (ready == 0 && wait_for(pid, STOP_GRACE_MS, &st)) {
        describe_status(st, how, sizeof how);
    } else {
        terminate(pid, &st);
        snprintf(how, sizeof how, "was not ready within %u ms", l->ready_timeout_ms);
    }
    pid = -1;
    ccf_vaas_file_tail(log_path, tail, sizeof tail);
    rc = ccf_errf(err, err_size, CCF_ERR_IO, "runtime %s; its stderr: %s", how,
                  tail[0] ? tail : "(empty)");
out:
    if (pid > 0)
        terminate(pid, NULL);
    ccf_vaas_cgroup_free(cg);
    if (fa_init)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_init)
        posix_spawnattr_destroy(&attr);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    return rc;
}

static bool process_ended(ccf_vaas_proc *p, int *exit_code, int *signal)
{
    int st = 0;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == 0)
        return false;
    if (r < 0) { /* not ours any more: treat as ended, cause unknown */
        *exit_code = -1;
        *signal = 0;
        return true;
    }
    /* bubblewrap reports the runtime's exit code; a runtime killed by a
     * signal shows as 128 + signal (as a shell does). */
    *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    *signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    if (WIFEXITED(st) && WEXITSTATUS(st) > 128 && WEXITSTATUS(st) < 128 + 65) {
        *signal = WEXITSTATUS(st) - 128;
    }
    p->pid = -1;
    return true;
}

static void process_stop(ccf_vaas_proc *p)
{
    if (p == NULL)
        return;
    if (p->pid > 0)
        terminate(p->pid, NULL);
    ccf_vaas_cgroup_free(p->cg);
    free(p);
}

static void process_release(ccf_vaas_proc *p)
{
    if (p != NULL)
        ccf_vaas_cgroup_free(p->cg);
    free(p);
}

const ccf_vaas_backend ccf_vaas_backend_process = {
    .name = "process",
    .local = true,
    .start = process_start,
    .ended = process_ended,
    .stop = process_stop,
    .release = process_release,
};

const ccf_vaas_backend *ccf_vaas_backend_find(const char *name, char *err, size_t err_size)
{
    if (name == NULL || strcmp(name, "process") == 0)
        return &ccf_vaas_backend_process;
    if (strcmp(name, "kubernetes") == 0)
        return &ccf_vaas_backend_kubernetes;
    ccf_errf(err, err_size, CCF_ERR_INVALID,
             "unknown backend '%s' (available: process, kubernetes)", name);
    return NULL;
}
