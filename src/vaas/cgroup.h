/* A cgroup per instance for the `process` backend (issue 15 item 4; docs/vaas.md
 * "Limits"): memory (counting the page cache and kernel memory the process's
 * rlimits miss) and the number of tasks, set before the runtime's first
 * instruction.
 *
 * Where: beside VaaS, under the cgroup VaaS itself is in (from
 * /proc/self/cgroup), as `ccfaas-<instance>`, in cgroup v1's memory and pids
 * hierarchies, or in the unified (v2) hierarchy when VaaS's cgroup delegates
 * the memory and pids controllers to its children. When neither can be
 * written (no privilege, no delegation) ccf_vaas_cgroup_new fails with
 * CCF_ERR_UNSUPPORTED and VaaS runs the instance with its rlimits only, and
 * says so (docs/vaas.md).
 *
 * Ownership: *out of ccf_vaas_cgroup_new is freed by ccf_vaas_cgroup_free,
 * which removes the directories (after the instance's processes ended;
 * NULL is a no-op). */
#ifndef CCF_VAAS_CGROUP_H
#define CCF_VAAS_CGROUP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Tasks (threads included) one instance may have: the runtime's threads and
 * bubblewrap's init, with room. */
#define CCF_VAAS_CGROUP_PIDS 128

typedef struct ccf_vaas_cgroup ccf_vaas_cgroup;

/* Makes the instance's cgroup with these limits (memory_bytes 0 = none).
 * Environment for tests: CCF_CGROUP_ROOT replaces /sys/fs/cgroup. */
ccf_err ccf_vaas_cgroup_new(const char *instance_id, uint64_t memory_bytes, unsigned pids,
                            ccf_vaas_cgroup **out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* "v1" or "v2". */
const char *ccf_vaas_cgroup_kind(const ccf_vaas_cgroup *cg);
/* The cgroup.procs files a process writes its pid to, to join (one per
 * hierarchy: 1 for v2, 2 for v1); *n is set. Valid while cg lives. */
const char *const *ccf_vaas_cgroup_procs(const ccf_vaas_cgroup *cg, size_t *n);
/* Moves pid in (the launcher does it for its child itself; this is for tests
 * and for a process already running). */
ccf_err ccf_vaas_cgroup_add(const ccf_vaas_cgroup *cg, long pid, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Removes the cgroup directories (processes must have ended). */
void ccf_vaas_cgroup_free(ccf_vaas_cgroup *cg);

#endif
