/* seccomp allow-list of the serving runtime (sandbox.h). */
#include "runtime/sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

/* What serving needs: memory, the event loop on already-open sockets,
 * accepting connections, time, randomness, signals, exit. Notably absent:
 * open/openat, socket, connect, bind, listen, execve, fork/clone, ptrace: the
 * one other thread (programs run on it) is started before the filter, which
 * then covers both threads (TSYNC). */
static const int allowed[] = {
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(close),
    SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(munmap),
    SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
    SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
    SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(fcntl),
    SCMP_SYS(ioctl), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep), SCMP_SYS(futex), SCMP_SYS(getrandom),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill), SCMP_SYS(exit), SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall), SCMP_SYS(sched_yield), SCMP_SYS(prlimit64), SCMP_SYS(setitimer),
    /* the execution thread's end: glibc unregisters its restartable sequences */
    SCMP_SYS(rseq),
};

ccf_err ccf_sandbox_enter(bool allow_exec, char *err, size_t err_size)
{
    scmp_filter_ctx ctx;
    int rc;

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "no_new_privs: %s", strerror(errno));
    if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "seccomp_init failed");
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0)) != 0) {
            seccomp_release(ctx);
            return ccf_errf(err, err_size, CCF_ERR_INTERNAL, "seccomp rule %d: %s", allowed[i],
                            strerror(-rc));
        }
    }
    /* mmap/mprotect: any protection without PROT_EXEC; PROT_EXEC without PROT_WRITE only for
     * the compiler (its code pages are written while read+write, then made read+execute) */
    const int mem_calls[] = {SCMP_SYS(mmap), SCMP_SYS(mprotect)};
    for (size_t i = 0; i < 2; i++) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, mem_calls[i], 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
        if (rc == 0 && allow_exec)
            rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, mem_calls[i], 1,
                                  SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_EXEC));
        if (rc != 0) {
            seccomp_release(ctx);
            return ccf_errf(err, err_size, CCF_ERR_INTERNAL, "seccomp rule for mmap/mprotect: %s", strerror(-rc));
        }
    }
    /* the filter covers every thread: the execution thread exists already (dataplane.c) */
    if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
        seccomp_release(ctx);
        return ccf_errf(err, err_size, CCF_ERR_INTERNAL, "seccomp thread sync: %s", strerror(-rc));
    }
    rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0)
        return ccf_errf(err, err_size, CCF_ERR_IO, "seccomp_load: %s", strerror(-rc));
    return CCF_OK;
}
