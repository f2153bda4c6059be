/* Unit tests for the data plane's abuse limits (issue 15 item 4): which new
 * connection gets in when handshakes crowd the slots (ccf_dataplane_admit),
 * and the storage reservations of uploads in flight (ccf_instance_upload_*):
 * admission, the per-file limit, commit and release, the credit of a
 * replaced file (given once), open-ended (chunked) bodies growing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "runtime/dataplane.h"
#include "runtime/instance.h"

#define MiB (UINT64_C(1) << 20)
#define WRITER 1 /* the identity that may read and write d/ (test policy) */

/* ---- admission of connections -------------------------------------------------- */

static void test_admit(void **state)
{
    (void)state;
    /* room for both: accepted */
    assert_int_equal(ccf_dataplane_admit(0, 0, 256, 32), CCF_ADMIT_ACCEPT);
    assert_int_equal(ccf_dataplane_admit(200, 31, 256, 32), CCF_ADMIT_ACCEPT);
    /* handshakes at their cap: the oldest gives way, whatever the total */
    assert_int_equal(ccf_dataplane_admit(32, 32, 256, 32), CCF_ADMIT_EVICT_HANDSHAKE);
    assert_int_equal(ccf_dataplane_admit(100, 40, 256, 32), CCF_ADMIT_EVICT_HANDSHAKE);
    /* every slot taken, some by handshakes: one of them gives way */
    assert_int_equal(ccf_dataplane_admit(256, 1, 256, 32), CCF_ADMIT_EVICT_HANDSHAKE);
    /* every slot taken by established connections: refused, as before */
    assert_int_equal(ccf_dataplane_admit(256, 0, 256, 32), CCF_ADMIT_REFUSE);
    assert_int_equal(ccf_dataplane_admit(300, 0, 256, 32), CCF_ADMIT_REFUSE);
    /* a cap of one handshake */
    assert_int_equal(ccf_dataplane_admit(5, 0, 256, 1), CCF_ADMIT_ACCEPT);
    assert_int_equal(ccf_dataplane_admit(5, 1, 256, 1), CCF_ADMIT_EVICT_HANDSHAKE);
}

/* ---- reservations -------------------------------------------------------------- */

/* The spec's full policy with identity 1 allowed to read and write under d/. */
static ccf_instance *instance(uint64_t total, uint64_t file)
{
    char path[1024], *text = NULL, err[256];
    size_t len;
    const char *data = getenv("CCF_TEST_DATA");
    json_error_t jerr;
    ccf_instance *inst = NULL;
    ccf_instance_limits limits = {.max_instance_bytes = total, .max_file_bytes = file};

    snprintf(path, sizeof path, "%s/policies/spec-full.json", data ? data : "tests/data");
    assert_int_equal(ccf_file_read(path, 1 << 20, &text, &len, err, sizeof err), CCF_OK);
    json_t *p = json_loadb(text, len, 0, &jerr);
    free(text);
    assert_non_null(p);
    assert_int_equal(json_object_set_new(json_array_get(json_object_get(p, "identities"), 1),
                                         "file_rights",
                                         json_pack("[{s:s, s:i}]", "file_name", "d/", "rights", 533574)),
                     0);
    text = json_dumps(p, JSON_COMPACT);
    json_decref(p);
    assert_non_null(text);
    if (ccf_instance_new(text, strlen(text), &limits, &inst, err, sizeof err) != CCF_OK)
        fail_msg("policy: %s", err);
    free(text);
    return inst;
}

/* Stores a file of len bytes as the writer. */
static void store(ccf_instance *inst, const char *name, size_t len)
{
    char msg[512];
    uint8_t *data = len ? calloc(1, len) : NULL;
    assert_true(len == 0 || data != NULL);
    if (ccf_instance_put(inst, WRITER, name, data, len, false, msg, sizeof msg) != CCF_OK)
        fail_msg("put %s: %s", name, msg);
}

static ccf_upload *begin(ccf_instance *inst, const char *name, uint64_t len, bool append,
                         bool open_ended)
{
    char msg[512];
    ccf_storage_figures fig;
    ccf_upload *up = NULL;
    if (ccf_instance_upload_begin(inst, WRITER, name, len, append, open_ended, &up, &fig, msg,
                                  sizeof msg) != CCF_OK)
        fail_msg("upload %s (%llu): %s", name, (unsigned long long)len, msg);
    assert_non_null(up);
    return up;
}

/* A refusal for the instance's total: the figures it names. */
static void refused(ccf_instance *inst, const char *name, uint64_t len, bool append,
                    uint64_t used, uint64_t reserved, uint64_t asked)
{
    char msg[512];
    ccf_storage_figures fig;
    ccf_upload *up = NULL;
    assert_int_equal(ccf_instance_upload_begin(inst, WRITER, name, len, append, false, &up, &fig, msg,
                                               sizeof msg),
                     CCF_ERR_TOO_LARGE);
    assert_null(up);
    assert_int_equal(fig.limit, 100);
    assert_int_equal(fig.used, used);
    assert_int_equal(fig.reserved, reserved);
    assert_int_equal(fig.asked, asked);
    assert_non_null(strstr(msg, "reserved by uploads in progress"));
}

static uint64_t reserved(const ccf_instance *inst)
{
    ccf_storage_figures fig;
    ccf_instance_storage(inst, &fig);
    assert_int_equal(fig.asked, 0);
    return fig.reserved;
}

static void test_reserve_total(void **state)
{
    (void)state;
    ccf_instance *inst = instance(100, 60);
    ccf_upload *a = begin(inst, "d/a", 60, false, false);
    assert_int_equal(reserved(inst), 60);
    refused(inst, "d/b", 50, false, 0, 60, 50); /* 60 + 50 > 100 */
    ccf_upload *b = begin(inst, "d/b", 40, false, false); /* exactly the limit */
    assert_int_equal(reserved(inst), 100);
    refused(inst, "d/c", 1, false, 0, 100, 1);
    ccf_instance_upload_end(inst, a); /* dropped: its bytes are free again */
    assert_int_equal(reserved(inst), 40);
    ccf_upload *c = begin(inst, "d/c", 60, false, false);
    /* committed: counted as a file from then on, no longer as a reservation */
    store(inst, "d/c", 60);
    ccf_instance_upload_end(inst, c);
    ccf_storage_figures fig;
    ccf_instance_storage(inst, &fig);
    assert_int_equal(fig.limit, 100);
    assert_int_equal(fig.used, 60);
    assert_int_equal(fig.reserved, 40);
    refused(inst, "d/d", 1, false, 60, 40, 1);
    ccf_instance_upload_end(inst, b);
    ccf_instance_upload_end(inst, NULL); /* no-op */
    assert_int_equal(reserved(inst), 0);
    ccf_instance_free(inst);
}

static void test_reserve_checks_first(void **state)
{
    (void)state;
    char msg[512];
    ccf_storage_figures fig;
    ccf_upload *up;
    ccf_instance *inst = instance(100, 60);
    /* over the per-file limit: 413 without figures */
    assert_int_equal(ccf_instance_upload_begin(inst, WRITER, "d/a", 61, false, false, &up, &fig, msg,
                                               sizeof msg),
                     CCF_ERR_TOO_LARGE);
    assert_null(up);
    assert_int_equal(fig.limit, 0);
    assert_non_null(strstr(msg, "per-file limit of 60"));
    /* an append: the file's size and the body together */
    store(inst, "d/a", 30);
    assert_int_equal(ccf_instance_upload_begin(inst, WRITER, "d/a", 31, true, false, &up, &fig, msg,
                                               sizeof msg),
                     CCF_ERR_TOO_LARGE);
    assert_int_equal(fig.limit, 0);
    /* rights before sizes: identity 0 may not write d/ */
    assert_int_equal(ccf_instance_upload_begin(inst, 0, "d/b", 1000, false, false, &up, &fig, msg,
                                               sizeof msg),
                     CCF_ERR_DENIED);
    assert_null(up);
    assert_int_equal(reserved(inst), 0);
    ccf_instance_free(inst);
}

/* The rule of instance.h: a replacement is credited with the file it
 * replaces, and a file's bytes are credited to one upload at a time. */
static void test_reserve_replace(void **state)
{
    (void)state;
    ccf_instance *inst = instance(100, 60);
    store(inst, "d/f", 40);
    store(inst, "d/g", 50); /* 90 of 100 in files */
    ccf_upload *r1 = begin(inst, "d/f", 40, false, false);
    assert_int_equal(reserved(inst), 0); /* 40 replacing 40 adds nothing */
    /* a second replacement of d/f in flight: the credit is taken, charged in full */
    refused(inst, "d/f", 40, false, 90, 0, 40);
    /* appending to d/f adds its length whatever happens to d/f */
    refused(inst, "d/f", 11, true, 90, 0, 11);
    ccf_upload *ap = begin(inst, "d/f", 10, true, false);
    assert_int_equal(reserved(inst), 10);
    ccf_instance_upload_end(inst, ap);
    ccf_instance_upload_end(inst, r1);
    /* growing a file is charged the growth */
    refused(inst, "d/f", 51, false, 90, 0, 11);
    ccf_upload *r2 = begin(inst, "d/f", 50, false, false);
    assert_int_equal(reserved(inst), 10);
    /* a smaller replacement claims only as much credit as it uses: another
     * concurrent one gets the rest of the file's 40 bytes */
    ccf_instance_upload_end(inst, r2);
    ccf_upload *small = begin(inst, "d/f", 10, false, false); /* credit 10, charge 0 */
    ccf_upload *other = begin(inst, "d/f", 40, false, false); /* credit 30, charge 10 */
    assert_int_equal(reserved(inst), 10);
    ccf_instance_upload_end(inst, small);
    ccf_instance_upload_end(inst, other);
    assert_int_equal(reserved(inst), 0);
    ccf_instance_free(inst);
}

/* The brief's case: a 40 MiB file replaced by 40 MiB in a 64 MiB instance. */
static void test_reserve_replace_40_of_64(void **state)
{
    (void)state;
    char msg[512];
    ccf_instance *inst = instance(64 * MiB, 0);
    store(inst, "d/big", 40 * MiB);
    ccf_upload *up = begin(inst, "d/big", 40 * MiB, false, false);
    uint8_t *data = calloc(1, 40 * MiB);
    assert_non_null(data);
    data[0] = 1;
    assert_int_equal(ccf_instance_put(inst, WRITER, "d/big", data, 40 * MiB, false, msg, sizeof msg),
                     CCF_OK);
    ccf_instance_upload_end(inst, up);
    ccf_storage_figures fig;
    ccf_instance_storage(inst, &fig);
    assert_int_equal(fig.used, 40 * MiB);
    assert_int_equal(fig.reserved, 0);
    ccf_instance_free(inst);
}

/* Open-ended (chunked) bodies: no charge until they pass their credit. */
static void test_reserve_open_ended(void **state)
{
    (void)state;
    char msg[512];
    ccf_storage_figures fig;
    ccf_instance *inst = instance(100, 60);
    store(inst, "d/f", 40);
    store(inst, "d/g", 30); /* 70 in files */
    ccf_upload *rep = begin(inst, "d/f", 12345, false, true); /* the length is ignored */
    assert_int_equal(reserved(inst), 0);
    assert_int_equal(ccf_instance_upload_grow(inst, rep, 40, &fig, msg, sizeof msg), CCF_OK);
    assert_int_equal(reserved(inst), 0);
    assert_int_equal(ccf_instance_upload_grow(inst, rep, 55, &fig, msg, sizeof msg), CCF_OK);
    assert_int_equal(reserved(inst), 15);
    ccf_upload *app = begin(inst, "d/g", 0, true, true);
    assert_int_equal(ccf_instance_upload_grow(inst, app, 15, &fig, msg, sizeof msg), CCF_OK);
    assert_int_equal(reserved(inst), 30); /* 70 + 30 = 100 */
    /* one byte more: refused, nothing changed */
    assert_int_equal(ccf_instance_upload_grow(inst, app, 16, &fig, msg, sizeof msg), CCF_ERR_TOO_LARGE);
    assert_int_equal(fig.limit, 100);
    assert_int_equal(fig.used, 70);
    assert_int_equal(fig.reserved, 15);
    assert_int_equal(fig.asked, 16);
    assert_int_equal(reserved(inst), 30);
    /* past the per-file limit: refused without figures */
    assert_int_equal(ccf_instance_upload_grow(inst, rep, 61, &fig, msg, sizeof msg), CCF_ERR_TOO_LARGE);
    assert_int_equal(fig.limit, 0);
    assert_int_equal(reserved(inst), 30);
    ccf_instance_upload_end(inst, app);
    assert_int_equal(reserved(inst), 15);
    /* still held when the instance goes: freed with it (ASan: no leak) */
    (void)rep;
    ccf_instance_free(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admit),
        cmocka_unit_test(test_reserve_total),
        cmocka_unit_test(test_reserve_checks_first),
        cmocka_unit_test(test_reserve_replace),
        cmocka_unit_test(test_reserve_replace_40_of_64),
        cmocka_unit_test(test_reserve_open_ended),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
