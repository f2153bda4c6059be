/* The runtime's own seccomp allow-list (DESIGN §9, privilege separation):
 * installed once the listening socket, key and certificate are ready. After
 * it: no exec, no new sockets or outbound connections, no opening of host
 * files, no ptrace, no fork; anything not allowed kills the process. */
#ifndef CCF_RUNTIME_SANDBOX_H
#define CCF_RUNTIME_SANDBOX_H

#include <stddef.h>

#include "common/error.h"

ccf_err ccf_sandbox_enter(char *err, size_t err_size) __attribute__((warn_unused_result));

#endif
