/* The S3 stream service (issue 18, docs/s3stream.md; the users' reference's
 * "Iotex S3 app", port 5020): streams an object from S3 into a file of an
 * attested instance, after verifying the instance as `ccfaas client` does
 * (the caller's trust configuration included).
 *
 * Routes (mounted on a ccf_http_server; roles user or admin):
 *   POST   /s3_stream_veracruz        a job (schema in docs/s3stream.md) -> 202 {"job","state"}
 *   GET    /s3_stream_veracruz        the caller's jobs
 *   GET    /s3_stream_veracruz/<job>  {"job","state","file","bytes_sent","bytes_total","error",...}
 *   DELETE /s3_stream_veracruz/<job>  cancels: the instance sees a broken upload, never a short file
 * A job belongs to its caller (others get 404). States: pending -> verifying
 * -> sending -> completed | failed (error says why) | cancelled.
 *
 * Secrets (the S3 secret key, the identity's private key) live only in the
 * job's request while it runs and are wiped when it ends; they are never
 * logged, stored or answered. Each job streams through a bounded FIFO
 * (common/fifo.h): constant memory whatever the object's size.
 *
 * Lifetime: new -> mount -> (serve) -> free (cancels and waits for running jobs). */
#ifndef CCF_S3STREAM_S3STREAM_H
#define CCF_S3STREAM_S3STREAM_H

#include <stddef.h>

#include "common/error.h"
#include "net/http_server.h"

#define CCF_S3STREAM_DEFAULT_PORT 5020

typedef struct ccf_s3stream ccf_s3stream;

typedef struct {
    const char *data_dir;     /* DIR/auth/tokens.json: the callers (net/auth.h); required */
    unsigned max_running;     /* jobs running at once; 0 = 8 (more: 429 busy) */
    unsigned max_per_caller;  /* jobs running per caller; 0 = 4 */
    unsigned keep_finished;   /* finished jobs kept for GET; 0 = 256 (oldest dropped first) */
    size_t buffer_bytes;      /* the FIFO between S3 and the instance; 0 = 4 MiB */
} ccf_s3stream_config;

ccf_err ccf_s3stream_new(const ccf_s3stream_config *cfg, ccf_s3stream **out, char *err,
                         size_t err_size) __attribute__((warn_unused_result));
ccf_err ccf_s3stream_mount(ccf_s3stream *s, ccf_http_server *srv)
    __attribute__((warn_unused_result));
void ccf_s3stream_free(ccf_s3stream *s);

/* Largest job request (a full policy, PEMs, extra files in base64). */
#define CCF_S3STREAM_MAX_REQUEST (8u << 20)

#endif
