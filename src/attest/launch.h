/* The launch configuration of a runtime: the security-relevant settings it
 * runs with, stated by the (measured) runtime itself, bound into its evidence
 * (report_data covers SHA-256 of this text) and carried in its certificate
 * (extension CCF_OID_LAUNCH), so a client sees how the instance was started,
 * not only which binary it is (DESIGN §5; docs/attestation.md).
 *
 * Wire form: compact JSON, keys sorted, exactly these members:
 *   {"clean_environment":true,"debug":false,"fuel":0,"max_exec_seconds":600,
 *    "max_file_mib":0,"platform":"linux","sandbox":true}
 * fuel 0 = unlimited, max_exec_seconds 0 = none, max_file_mib 0 = the
 * instance's default limit. */
#ifndef CCF_ATTEST_LAUNCH_H
#define CCF_ATTEST_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/crypto.h"
#include "common/error.h"
#include "policy/policy.h"

/* Certificate extension holding the launch text (raw bytes). */
#define CCF_OID_LAUNCH "2.25.177017044025858951851601782016859815042"
/* Largest launch text accepted. */
#define CCF_LAUNCH_MAX_TEXT 512

typedef struct {
    ccf_runtime_platform platform;
    bool sandbox;           /* seccomp filter installed once ready */
    bool debug;             /* the policy's debug flag (docs/attestation.md: what it adds) */
    bool clean_environment; /* no loader variables reached the runtime */
    uint64_t fuel;
    uint64_t max_exec_seconds;
    uint64_t max_file_mib;
} ccf_launch;

/* The wire form (NUL-terminated; the caller frees). CCF_ERR_INVALID when a
 * number exceeds INT64_MAX (JSON integers are read back as signed 64-bit). */
ccf_err ccf_launch_encode(const ccf_launch *l, char **out) __attribute__((warn_unused_result));
/* Parses the wire form strictly (untrusted: bounded, every member required,
 * no others). */
ccf_err ccf_launch_parse(const char *text, size_t len, ccf_launch *out, char *err,
                         size_t err_size) __attribute__((warn_unused_result));
/* SHA-256 of the wire text, the value report_data binds. */
bool ccf_launch_hash(const char *text, size_t len, uint8_t out[CCF_SHA256_LEN])
    __attribute__((warn_unused_result));

#endif
