/* wasi/fifo.h: a stream file's bounded FIFO between an upload and a program,
 * and the vfs's stream nodes (issue 18). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/fifo.h"
#include "wasi/vfs.h"
#include "wasi/wasi_abi.h"

static int notified;
static void on_room(void *user) { (*(int *)user)++; }

static void test_bounded_and_in_order(void **state)
{
    (void)state;
    ccf_fifo *f = ccf_fifo_new(8);
    uint8_t buf[16];
    size_t got;
    notified = 0;
    assert_non_null(f);
    ccf_fifo_set_notify(f, on_room, &notified);
    assert_true(ccf_fifo_attach_writer(f));
    assert_false(ccf_fifo_attach_writer(f)); /* written once */
    assert_int_equal(ccf_fifo_write(f, "abcdefghij", 10), 8); /* what fits */
    assert_int_equal(ccf_fifo_write(f, "x", 1), 0);
    assert_int_equal(notified, 0);
    assert_int_equal(ccf_fifo_read(f, buf, 3, &got, NULL, NULL), CCF_FIFO_OK);
    assert_int_equal(got, 3);
    assert_memory_equal(buf, "abc", 3);
    assert_int_equal(notified, 0); /* 3 of 8 free: less than half */
    assert_int_equal(ccf_fifo_read(f, buf, 2, &got, NULL, NULL), CCF_FIFO_OK);
    assert_int_equal(notified, 1); /* now half is free: the writer is told once */
    /* the ring wraps */
    assert_int_equal(ccf_fifo_write(f, "klmno", 5), 5);
    assert_int_equal(ccf_fifo_read(f, buf, sizeof buf, &got, NULL, NULL), CCF_FIFO_OK);
    assert_int_equal(got, 8);
    assert_memory_equal(buf, "fghklmno", 8);
    ccf_fifo_finish(f);
    assert_int_equal(ccf_fifo_read(f, buf, sizeof buf, &got, NULL, NULL), CCF_FIFO_EOF);
    assert_int_equal(got, 0);
    assert_int_equal(ccf_fifo_bytes_written(f), 13);
    assert_int_equal(ccf_fifo_bytes_read(f), 13);
    assert_int_equal(ccf_fifo_write(f, "late", 4), 0); /* finished: nothing more */
    ccf_fifo_free(f);
}

static void test_abort_is_an_error_not_eof(void **state)
{
    (void)state;
    ccf_fifo *f = ccf_fifo_new(64);
    uint8_t buf[8];
    size_t got;
    char why[128];
    assert_true(ccf_fifo_attach_writer(f));
    assert_int_equal(ccf_fifo_write(f, "partial", 7), 7);
    ccf_fifo_abort(f, "connection closed");
    /* buffered bytes are dropped with it: a program never sees a short file end well */
    assert_int_equal(ccf_fifo_read(f, buf, sizeof buf, &got, NULL, NULL), CCF_FIFO_ABORTED);
    assert_int_equal(got, 0);
    ccf_fifo_abort_reason(f, why, sizeof why);
    assert_string_equal(why, "connection closed");
    ccf_fifo_finish(f); /* too late: stays aborted */
    assert_int_equal(ccf_fifo_read(f, buf, sizeof buf, &got, NULL, NULL), CCF_FIFO_ABORTED);
    ccf_fifo_free(f);
}

static int stop_calls;
static bool stop_after_two(void *user)
{
    (void)user;
    return ++stop_calls > 2;
}

static void test_reader_stops_when_told(void **state)
{
    (void)state;
    ccf_fifo *f = ccf_fifo_new(0);
    uint8_t b;
    size_t got;
    stop_calls = 0;
    assert_int_equal(ccf_fifo_capacity(f), 1u << 20);
    assert_int_equal(ccf_fifo_read(f, &b, 1, &got, stop_after_two, NULL), CCF_FIFO_STOPPED);
    assert_int_equal(stop_calls, 3);
    ccf_fifo_free(f);
}

/* A writer thread pushes 8 MiB through a 4 KiB FIFO in odd-sized pieces,
 * waiting for the notify callback whenever the FIFO is full; the reader sees
 * every byte in order. */
struct pump {
    ccf_fifo *f;
    pthread_mutex_t m;
    pthread_cond_t room;
    int wakeups;
};

static void pump_room(void *user)
{
    struct pump *p = user;
    pthread_mutex_lock(&p->m);
    p->wakeups++;
    pthread_cond_signal(&p->room);
    pthread_mutex_unlock(&p->m);
}

#define PUMP_TOTAL (8u << 20)

static void *pump_writer(void *arg)
{
    struct pump *p = arg;
    uint8_t piece[777];
    uint32_t next = 0;
    while (next < PUMP_TOTAL) {
        size_t n = sizeof piece < PUMP_TOTAL - next ? sizeof piece : PUMP_TOTAL - next, off = 0;
        for (size_t i = 0; i < n; i++)
            piece[i] = (uint8_t)((next + i) * 2654435761u >> 24);
        while (off < n) {
            pthread_mutex_lock(&p->m);
            int seen = p->wakeups;
            pthread_mutex_unlock(&p->m);
            size_t w = ccf_fifo_write(p->f, piece + off, n - off);
            off += w;
            if (off < n) {
                pthread_mutex_lock(&p->m);
                while (p->wakeups == seen)
                    pthread_cond_wait(&p->room, &p->m);
                pthread_mutex_unlock(&p->m);
            }
        }
        next += (uint32_t)n;
    }
    ccf_fifo_finish(p->f);
    return NULL;
}

static void test_threads_move_every_byte(void **state)
{
    (void)state;
    struct pump p = {.f = ccf_fifo_new(4096)};
    pthread_t t;
    uint8_t buf[1000];
    uint32_t pos = 0;
    size_t got;
    ccf_fifo_status st;
    pthread_mutex_init(&p.m, NULL);
    pthread_cond_init(&p.room, NULL);
    ccf_fifo_set_notify(p.f, pump_room, &p);
    assert_true(ccf_fifo_attach_writer(p.f));
    assert_int_equal(pthread_create(&t, NULL, pump_writer, &p), 0);
    while ((st = ccf_fifo_read(p.f, buf, sizeof buf, &got, NULL, NULL)) == CCF_FIFO_OK) {
        for (size_t i = 0; i < got; i++)
            assert_int_equal(buf[i], (uint8_t)((pos + i) * 2654435761u >> 24));
        pos += (uint32_t)got;
    }
    assert_int_equal(st, CCF_FIFO_EOF);
    assert_int_equal(pos, PUMP_TOTAL);
    pthread_join(t, NULL);
    assert_true(p.wakeups > 0); /* the writer did wait for room */
    ccf_fifo_free(p.f);
    pthread_cond_destroy(&p.room);
    pthread_mutex_destroy(&p.m);
}

static void test_vfs_stream_node(void **state)
{
    (void)state;
    ccf_vfs *vfs = ccf_vfs_new(NULL);
    ccf_fifo *f = ccf_fifo_new(16);
    ccf_vfs_node *n;
    assert_int_equal(ccf_vfs_put_fifo(vfs, "in/video", f), WASI_ESUCCESS); /* parents made */
    assert_int_equal(ccf_vfs_put_fifo(vfs, "in/video", f), WASI_EEXIST);
    n = ccf_vfs_lookup(vfs, "in/video");
    assert_non_null(n);
    assert_ptr_equal(ccf_vfs_node_fifo(n), f);
    assert_int_equal(ccf_vfs_node_size(n), 0);
    /* its bytes come from the upload only */
    assert_int_equal(ccf_vfs_node_write(vfs, n, 0, "x", 1), WASI_ENOTSUP);
    assert_int_equal(ccf_vfs_node_truncate(vfs, n, 5), WASI_EINVAL);
    assert_int_equal(ccf_vfs_put(vfs, NULL, "in/video", "data", 4, false), WASI_EINVAL);
    assert_int_equal(ccf_vfs_bytes_used(vfs), 0);
    assert_null(ccf_vfs_node_fifo(ccf_vfs_lookup(vfs, "in")));
    ccf_vfs_free(vfs);
    ccf_fifo_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounded_and_in_order),
        cmocka_unit_test(test_abort_is_an_error_not_eof),
        cmocka_unit_test(test_reader_stops_when_told),
        cmocka_unit_test(test_threads_move_every_byte),
        cmocka_unit_test(test_vfs_stream_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
