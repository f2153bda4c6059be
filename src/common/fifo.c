/* Bounded FIFO of a stream file (fifo.h): a ring buffer under one mutex. */
#include "common/fifo.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WAIT_SLICE_NS 50000000L /* the reader re-checks its stop callback this often */

struct ccf_fifo {
    pthread_mutex_t lock;
    pthread_cond_t readable; /* bytes arrived, or the stream ended */
    uint8_t *buf;
    size_t cap, head, len; /* ring: len bytes from head */
    uint64_t written, read;
    bool writer, finished, aborted;
    bool writer_waiting; /* a write was short: notify once there is room */
    char why[128];
    void (*notify)(void *user);
    void *notify_user;
};

ccf_fifo *ccf_fifo_new(size_t capacity)
{
    ccf_fifo *f = calloc(1, sizeof *f);
    if (f == NULL)
        return NULL;
    f->cap = capacity ? capacity : (size_t)1 << 20;
    if ((f->buf = malloc(f->cap)) == NULL) {
        free(f);
        return NULL;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* waits immune to clock changes */
    pthread_cond_init(&f->readable, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&f->lock, NULL);
    return f;
}

void ccf_fifo_free(ccf_fifo *f)
{
    if (f == NULL)
        return;
    OPENSSL_cleanse(f->buf, f->cap);
    free(f->buf);
    pthread_cond_destroy(&f->readable);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

void ccf_fifo_set_notify(ccf_fifo *f, void (*fn)(void *user), void *user)
{
    pthread_mutex_lock(&f->lock);
    f->notify = fn;
    f->notify_user = user;
    pthread_mutex_unlock(&f->lock);
}

bool ccf_fifo_attach_writer(ccf_fifo *f)
{
    pthread_mutex_lock(&f->lock);
    bool ok = !f->writer;
    f->writer = true;
    pthread_mutex_unlock(&f->lock);
    return ok;
}

size_t ccf_fifo_write(ccf_fifo *f, const void *p, size_t n)
{
    size_t done = 0;
    pthread_mutex_lock(&f->lock);
    if (!f->finished && !f->aborted) {
        while (done < n && f->len < f->cap) {
            size_t tail = (f->head + f->len) % f->cap;
            size_t room = f->cap - f->len, run = f->cap - tail;
            size_t step = n - done;
            if (step > room)
                step = room;
            if (step > run)
                step = run;
            memcpy(f->buf + tail, (const uint8_t *)p + done, step);
            f->len += step;
            done += step;
        }
        f->written += done;
        if (done < n)
            f->writer_waiting = true;
        if (done > 0)
            pthread_cond_broadcast(&f->readable);
    }
    pthread_mutex_unlock(&f->lock);
    return done;
}

void ccf_fifo_finish(ccf_fifo *f)
{
    pthread_mutex_lock(&f->lock);
    if (!f->aborted)
        f->finished = true;
    pthread_cond_broadcast(&f->readable);
    pthread_mutex_unlock(&f->lock);
}

void ccf_fifo_abort(ccf_fifo *f, const char *why)
{
    pthread_mutex_lock(&f->lock);
    if (!f->finished && !f->aborted) {
        f->aborted = true;
        snprintf(f->why, sizeof f->why, "%s", why ? why : "the upload broke off");
        OPENSSL_cleanse(f->buf, f->cap);
        f->len = 0;
    }
    pthread_cond_broadcast(&f->readable);
    pthread_mutex_unlock(&f->lock);
}

ccf_fifo_status ccf_fifo_read(ccf_fifo *f, void *buf, size_t n, size_t *got,
                              bool (*stop)(void *user), void *stop_user)
{
    ccf_fifo_status st = CCF_FIFO_OK;
    void (*notify)(void *) = NULL;
    void *notify_user = NULL;

    *got = 0;
    pthread_mutex_lock(&f->lock);
    while (f->len == 0 && !f->finished && !f->aborted && n > 0) {
        if (stop != NULL && stop(stop_user)) {
            pthread_mutex_unlock(&f->lock);
            return CCF_FIFO_STOPPED;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += WAIT_SLICE_NS;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&f->readable, &f->lock, &ts);
    }
    if (f->aborted) {
        st = CCF_FIFO_ABORTED;
    } else if (f->len == 0 && n > 0) {
        st = CCF_FIFO_EOF;
    } else {
        while (*got < n && f->len > 0) {
            size_t run = f->cap - f->head, step = n - *got;
            if (step > f->len)
                step = f->len;
            if (step > run)
                step = run;
            memcpy((uint8_t *)buf + *got, f->buf + f->head, step);
            OPENSSL_cleanse(f->buf + f->head, step); /* read bytes do not linger */
            f->head = (f->head + step) % f->cap;
            f->len -= step;
            *got += step;
        }
        f->read += *got;
        if (f->writer_waiting && f->cap - f->len >= f->cap / 2) {
            f->writer_waiting = false;
            notify = f->notify;
            notify_user = f->notify_user;
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (notify != NULL)
        notify(notify_user);
    return st;
}

uint64_t ccf_fifo_bytes_written(ccf_fifo *f)
{
    pthread_mutex_lock(&f->lock);
    uint64_t v = f->written;
    pthread_mutex_unlock(&f->lock);
    return v;
}

uint64_t ccf_fifo_bytes_read(ccf_fifo *f)
{
    pthread_mutex_lock(&f->lock);
    uint64_t v = f->read;
    pthread_mutex_unlock(&f->lock);
    return v;
}

size_t ccf_fifo_capacity(const ccf_fifo *f) { return f->cap; }

void ccf_fifo_abort_reason(ccf_fifo *f, char *out, size_t out_size)
{
    pthread_mutex_lock(&f->lock);
    snprintf(out, out_size, "%s", f->aborted ? f->why : "");
    pthread_mutex_unlock(&f->lock);
}
