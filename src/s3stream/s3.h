/* Reading one object from S3 (issue 18, docs/s3stream.md): a streaming GET
 * signed with SigV4 (libcurl's CURLOPT_AWS_SIGV4) or through a pre-signed
 * URL, resumed with a ranged request when the connection breaks, and S3's
 * error documents turned into clear errors.
 *
 * The error parser is pure (no I/O, no allocation) and bounded, in the style
 * of net/http1.h; it takes untrusted bytes (fuzz_s3_error). */
#ifndef CCF_S3STREAM_S3_H
#define CCF_S3STREAM_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Longest error document parsed; longer ones are cut there (their start says enough). */
#define CCF_S3_ERROR_MAX_BODY 16384

typedef struct {
    char code[64];     /* <Code>, e.g. "NoSuchKey", "SignatureDoesNotMatch" */
    char message[256]; /* <Message>, cut to fit */
    char region[64];   /* <Region>: the bucket's region when a request named another */
} ccf_s3_error;

/* Parses S3's XML error document: an optional XML declaration, then
 * <Error>...</Error> whose direct children Code, Message and Region are
 * read (others skipped; character references &amp; &lt; &gt; &quot; &apos;
 * decoded, others refused). CCF_ERR_INVALID (nothing usable) for anything
 * else: no <Error> root, no Code, a tag not closed, nested markup in a field. */
ccf_err ccf_s3_error_parse(const char *body, size_t len, ccf_s3_error *out)
    __attribute__((warn_unused_result));

/* Where the object is: endpoint + bucket + key (path style) with credentials,
 * or a pre-signed URL. Strings are the caller's. */
typedef struct {
    const char *endpoint; /* http(s)://HOST[:PORT] */
    const char *region;   /* e.g. "us-east-1" */
    const char *bucket;
    const char *key;
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token; /* optional (temporary credentials) */
    const char *presigned_url; /* instead of all of the above */
    unsigned max_retries;      /* ranged resumptions after a broken connection; 0 = 5 */
    /* Optional: asked at least once a second, even while S3 sends nothing;
     * true ends the transfer as cancelled (ccf_s3_get's user is passed). */
    bool (*stop)(void *user);
} ccf_s3_source;

/* The object's bytes as they arrive: return false to stop (a cancelled job). */
typedef bool (*ccf_s3_sink_fn)(void *user, const void *data, size_t len);
/* Called once the size is known (before the first byte). */
typedef void (*ccf_s3_size_fn)(void *user, uint64_t size);

/* Streams the object to sink; never holds more than libcurl's buffer. A
 * broken connection is resumed with `Range: bytes=N-` and `If-Match: ETAG`
 * (an object replaced meanwhile is not spliced: 412 is an error). Errors
 * name S3's status and code (CCF_ERR_UPSTREAM): "S3 403 SignatureDoesNotMatch:
 * ...", "S3 404 NoSuchKey: ...", the region S3 says the bucket is in;
 * transport failures after the retries (CCF_ERR_IO); a sink that stopped:
 * CCF_ERR_BUSY, "cancelled". */
ccf_err ccf_s3_get(const ccf_s3_source *src, ccf_s3_size_fn on_size, ccf_s3_sink_fn sink,
                   void *user, char *err, size_t err_size) __attribute__((warn_unused_result));

#endif
