/* The runtime's own seccomp allow-list (DESIGN §9, privilege separation):
 * installed once the listening socket, key and certificate are ready. After
 * it: no exec, no new sockets or outbound connections, no opening of host
 * files, no ptrace, no fork; anything not allowed kills the process. */
#ifndef CCF_RUNTIME_SANDBOX_H
#define CCF_RUNTIME_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* Executable memory (mmap/mprotect with PROT_EXEC): never together with PROT_WRITE (W^X
 * enforced by the kernel), and only when allow_exec (a "JIT" policy: the compiler's code
 * pages, mapped writable, filled, then made read+execute). */
ccf_err ccf_sandbox_enter(bool allow_exec, char *err, size_t err_size) __attribute__((warn_unused_result));

#endif
