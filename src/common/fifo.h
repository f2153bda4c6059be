/* A stream's bytes in flight (issue 18): a bounded FIFO between one writer
 * and one reader on different threads. In the runtime (docs/policy.md
 * "Streams") the writer is the data plane's upload, on the event loop's
 * thread, the reader a program's fd_read on the execution thread; in the S3
 * stream service, an S3 download feeds an instance upload. The reader blocks until bytes arrive or the upload ends, so a
 * program consumes a file far larger than the instance's memory while it is
 * uploaded; the writer never blocks: it writes what fits and is told (its
 * notify callback) when it may write again.
 *
 * End of file only when the writer finished; an upload that broke off is an
 * error for the reader (CCF_FIFO_ABORTED), never a silently short file.
 * A stream is written once: a second writer is refused, before or after the
 * first ended.
 *
 * Ownership: the creator frees with ccf_fifo_free once neither side uses it;
 * bytes in the buffer are user data and are wiped. Thread-safe as described:
 * any number of calls from the two threads. */
#ifndef CCF_COMMON_FIFO_H
#define CCF_COMMON_FIFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ccf_fifo ccf_fifo;

typedef enum {
    CCF_FIFO_OK = 0,  /* bytes were read */
    CCF_FIFO_EOF,     /* the writer finished and every byte was read */
    CCF_FIFO_ABORTED, /* the upload broke off (the reason: ccf_fifo_abort_reason) */
    CCF_FIFO_STOPPED, /* the reader's stop callback said so (a deadline) */
} ccf_fifo_status;

/* capacity: bytes buffered at most (0 = 1 MiB). NULL when out of memory. */
ccf_fifo *ccf_fifo_new(size_t capacity);
void ccf_fifo_free(ccf_fifo *f);

/* ---- the writer ---- */
/* Takes the writer's place: false when a writer has it or had it (a stream
 * is uploaded once). */
bool ccf_fifo_attach_writer(ccf_fifo *f) __attribute__((warn_unused_result));
/* Appends what fits of p[0..n) and returns how much; less than n means full:
 * the notify callback is called once there is room again (at least half the
 * capacity). */
size_t ccf_fifo_write(ccf_fifo *f, const void *p, size_t n);
/* The upload is complete: the reader gets end of file after the last byte. */
void ccf_fifo_finish(ccf_fifo *f);
/* The upload broke off: the reader's next read fails; buffered bytes are
 * dropped (wiped). why is copied (a short reason). */
void ccf_fifo_abort(ccf_fifo *f, const char *why);
/* Called on the reader's thread, without the FIFO's lock held, when a writer
 * that found the buffer full may write again. Set before attaching. */
void ccf_fifo_set_notify(ccf_fifo *f, void (*fn)(void *user), void *user);

/* ---- the reader ---- */
/* Reads up to n bytes into buf, blocking until at least one byte is there or
 * the stream ended. stop (may be NULL) is polled while waiting, every 50 ms:
 * when it returns true the read gives up with CCF_FIFO_STOPPED. */
ccf_fifo_status ccf_fifo_read(ccf_fifo *f, void *buf, size_t n, size_t *got,
                              bool (*stop)(void *user), void *stop_user);

/* ---- figures (either thread) ---- */
uint64_t ccf_fifo_bytes_written(ccf_fifo *f);
uint64_t ccf_fifo_bytes_read(ccf_fifo *f);
size_t ccf_fifo_capacity(const ccf_fifo *f);
/* Copies the abort reason ("" unless aborted). */
void ccf_fifo_abort_reason(ccf_fifo *f, char *out, size_t out_size);

#endif
