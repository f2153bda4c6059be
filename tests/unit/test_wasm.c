/* Unit tests of the WebAssembly engine's embedding API (src/wasm/wasm.h):
 * host functions, host memory access, limits (memory pages, call depth,
 * instruction budget), traps, isolation of instances, and load errors that
 * name section, offset and reason. The modules are tests/unit/wasm/NAME.wat,
 * compiled by wat2wasm at build time; only the malformed binaries of the
 * load-error test, which have no text form, are byte arrays here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wasm/wasm.h"

/* Reads tests/unit/wasm/NAME.wat as compiled by wat2wasm at build time
 * (CCF_TEST_WASM_DIR); the caller frees. */
static uint8_t *read_wasm(const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.wasm", CCF_TEST_WASM_DIR, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s (built from tests/unit/wasm/%s.wat by wat2wasm)", path, name);
    uint8_t *b = malloc(1 << 16);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 16, f);
    assert_true(feof(f)); /* the test modules are small */
    fclose(f);
    return b;
}

static ccf_wasm_val i32v(uint32_t v)
{
    ccf_wasm_val x;
    x.type = CCF_WASM_I32;
    x.of.i32 = v;
    return x;
}

/* Loads tests/unit/wasm/NAME.wat (the module keeps its own copy of the bytes). */
static ccf_wasm_module *load_ok(const char *name)
{
    ccf_wasm_module *m = NULL;
    char err[256];
    size_t n;
    uint8_t *b = read_wasm(name, &n);
    ccf_err e = ccf_wasm_load(b, n, &m, err, sizeof err);
    free(b);
    if (e != CCF_OK)
        fail_msg("load of %s failed: %s", name, err);
    return m;
}

/* ---- host functions ---- */

static ccf_err host_add(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args,
                        ccf_wasm_val *results, char *err, size_t err_size)
{
    (void)caller;
    (void)err;
    (void)err_size;
    int *calls = user;
    (*calls)++;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
    return CCF_OK;
}

/* Writes bytes 1..n at args[0] in the caller's memory; fails past the end. */
static ccf_err host_fill(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args,
                         ccf_wasm_val *results, char *err, size_t err_size)
{
    (void)user;
    (void)results;
    uint8_t buf[256];
    uint32_t n = args[1].of.i32;
    if (n > sizeof buf)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "fill: too long");
    for (uint32_t i = 0; i < n; i++)
        buf[i] = (uint8_t)(i + 1);
    if (ccf_wasm_memory_write(caller, args[0].of.i32, buf, n) != CCF_OK)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "fill: out of bounds");
    return CCF_OK;
}

struct host_env {
    ccf_wasm_module *m;
    ccf_wasm_store *s;
    ccf_wasm_instance *inst;
    int calls;
};

static int host_setup(void **state)
{
    struct host_env *h = calloc(1, sizeof *h);
    char err[256];
    ccf_wasm_import imp[2] = {{"env", "add", {0}}, {"env", "fill", {0}}};
    h->m = load_ok("host");
    assert_int_equal(ccf_wasm_store_new(NULL, &h->s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_host_func(h->s, "ii", "i", host_add, &h->calls, &imp[0].ext, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_host_func(h->s, "ii", "", host_fill, NULL, &imp[1].ext, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(h->s, h->m, imp, 2, &h->inst, NULL, err, sizeof err), CCF_OK);
    *state = h;
    return 0;
}

static int host_teardown(void **state)
{
    struct host_env *h = *state;
    ccf_wasm_store_free(h->s);
    ccf_wasm_module_free(h->m);
    free(h);
    return 0;
}

static void test_host_function_called(void **state)
{
    struct host_env *h = *state;
    ccf_wasm_val args[2] = {i32v(40), i32v(2)}, res[1];
    size_t n = 0;
    char err[256];
    assert_int_equal(ccf_wasm_invoke(h->inst, "call_add", args, 2, res, 1, &n, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(n, 1);
    assert_int_equal(res[0].type, CCF_WASM_I32);
    assert_int_equal(res[0].of.i32, 42);
    assert_int_equal(h->calls, 1);
}

static void test_host_writes_caller_memory(void **state)
{
    struct host_env *h = *state;
    ccf_wasm_val args[2] = {i32v(100), i32v(10)}, res[1];
    char err[256];
    uint8_t back[10];
    assert_int_equal(ccf_wasm_invoke(h->inst, "fill_and_sum", args, 2, res, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(res[0].of.i32, 55); /* 1+2+...+10 read back by the guest */
    assert_int_equal(ccf_wasm_memory_read(h->inst, 100, back, sizeof back), CCF_OK);
    assert_int_equal(back[0], 1);
    assert_int_equal(back[9], 10);
}

static void test_host_error_is_trap(void **state)
{
    struct host_env *h = *state;
    /* fill at the last bytes of the 64 KiB memory: the host refuses */
    ccf_wasm_val args[2] = {i32v(65536 - 4), i32v(10)}, res[1];
    char err[256] = "";
    ccf_wasm_trap trap = CCF_WASM_TRAP_NONE;
    assert_int_equal(ccf_wasm_invoke(h->inst, "fill_and_sum", args, 2, res, 1, NULL, &trap, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_HOST);
    assert_string_equal(err, "fill: out of bounds");
    /* the instance stays usable after a trap */
    ccf_wasm_val a2[2] = {i32v(1), i32v(2)};
    assert_int_equal(ccf_wasm_invoke(h->inst, "call_add", a2, 2, res, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(res[0].of.i32, 3);
}

static void test_host_memory_bounds(void **state)
{
    struct host_env *h = *state;
    uint8_t b[8] = {0};
    assert_int_equal(ccf_wasm_memory_size(h->inst), 65536);
    assert_int_equal(ccf_wasm_memory_write(h->inst, 65536 - 8, b, 8), CCF_OK);
    assert_int_equal(ccf_wasm_memory_write(h->inst, 65536 - 7, b, 8), CCF_ERR_INVALID);
    assert_int_equal(ccf_wasm_memory_read(h->inst, 65536, b, 1), CCF_ERR_INVALID);
    assert_int_equal(ccf_wasm_memory_read(h->inst, 65536, b, 0), CCF_OK);
    assert_int_equal(ccf_wasm_memory_read(h->inst, UINT64_MAX, b, 1), CCF_ERR_INVALID);
    assert_int_equal(ccf_wasm_memory_read(h->inst, 1, b, SIZE_MAX), CCF_ERR_INVALID);
    assert_non_null(ccf_wasm_memory_ptr(h->inst, 0, 65536));
    assert_null(ccf_wasm_memory_ptr(h->inst, 1, 65536));
    assert_null(ccf_wasm_memory_ptr(h->inst, UINT64_MAX, 2));
}

static void test_missing_and_mismatched_imports(void **state)
{
    (void)state;
    ccf_wasm_module *m = load_ok("host");
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *inst = NULL;
    char err[256];
    int calls = 0;
    ccf_wasm_import imp[2] = {{"env", "add", {0}}, {"env", "fill", {0}}};
    assert_int_equal(ccf_wasm_store_new(NULL, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_host_func(s, "ii", "i", host_add, &calls, &imp[0].ext, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s, m, imp, 1, &inst, NULL, err, sizeof err), CCF_ERR_NOT_FOUND);
    assert_null(inst);
    assert_non_null(strstr(err, "\"env\" \"fill\""));
    /* wrong signature for fill: (i32) -> () */
    assert_int_equal(ccf_wasm_host_func(s, "i", "", host_fill, NULL, &imp[1].ext, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s, m, imp, 2, &inst, NULL, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "incompatible import type"));
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
}

/* ---- limits ---- */

static ccf_wasm_instance *new_limits(ccf_wasm_store **s, ccf_wasm_module **m, const ccf_wasm_limits *lim)
{
    char err[256];
    ccf_wasm_instance *inst = NULL;
    *m = load_ok("limits");
    assert_int_equal(ccf_wasm_store_new(lim, s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(*s, *m, NULL, 0, &inst, NULL, err, sizeof err), CCF_OK);
    return inst;
}

static void test_call_depth_limit(void **state)
{
    (void)state;
    ccf_wasm_limits lim = {.max_call_depth = 100};
    ccf_wasm_store *s;
    ccf_wasm_module *m;
    ccf_wasm_instance *inst = new_limits(&s, &m, &lim);
    ccf_wasm_val a = i32v(50), r[1];
    ccf_wasm_trap trap;
    char err[256];
    assert_int_equal(ccf_wasm_invoke(inst, "rec", &a, 1, r, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 50);
    a = i32v(100); /* 101 nested calls */
    assert_int_equal(ccf_wasm_invoke(inst, "rec", &a, 1, r, 1, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_STACK_EXHAUSTED);
    assert_string_equal(err, "call stack exhausted");
    a = i32v(99);
    assert_int_equal(ccf_wasm_invoke(inst, "rec", &a, 1, r, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 99);
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
}

static void test_fuel_budget(void **state)
{
    (void)state;
    ccf_wasm_limits lim = {.fuel = 1000};
    ccf_wasm_store *s;
    ccf_wasm_module *m;
    ccf_wasm_instance *inst = new_limits(&s, &m, &lim);
    ccf_wasm_val a = i32v(100), r[1];
    ccf_wasm_trap trap;
    char err[256];
    /* 1 entry + 100 backward branches (loop iterations) */
    assert_int_equal(ccf_wasm_invoke(inst, "count", &a, 1, r, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 100);
    assert_int_equal(ccf_wasm_store_fuel(s), 1000 - 101);
    assert_int_equal(ccf_wasm_invoke(inst, "spin", NULL, 0, r, 1, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_BUDGET_EXHAUSTED);
    assert_string_equal(err, "budget exhausted");
    assert_int_equal(ccf_wasm_store_fuel(s), 0);
    /* refuel and run again */
    ccf_wasm_store_set_fuel(s, 10);
    a = i32v(3);
    assert_int_equal(ccf_wasm_invoke(inst, "count", &a, 1, r, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 3);
    ccf_wasm_store_set_fuel(s, 0);
    assert_int_equal(ccf_wasm_store_fuel(s), UINT64_MAX);
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
}

/* A host function requests the interrupt (as a deadline timer would): the
 * infinite loop after it stops with "budget exhausted", and the request is
 * consumed so the next call runs normally. */
static ccf_err host_interrupt(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args,
                              ccf_wasm_val *results, char *err, size_t err_size)
{
    (void)caller;
    (void)args;
    (void)results;
    (void)err;
    (void)err_size;
    ccf_wasm_store_interrupt(user);
    return CCF_OK;
}

static void test_interrupt_stops_run(void **state)
{
    (void)state;
    ccf_wasm_module *m = load_ok("intr");
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *in = NULL;
    ccf_wasm_import imp = {"env", "tick", {0}};
    ccf_wasm_val r[1];
    ccf_wasm_trap trap;
    char err[256];
    assert_int_equal(ccf_wasm_store_new(NULL, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_host_func(s, "", "", host_interrupt, s, &imp.ext, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s, m, &imp, 1, &in, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_invoke(in, "spin_after_tick", NULL, 0, r, 1, NULL, &trap, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_BUDGET_EXHAUSTED);
    assert_int_equal(ccf_wasm_invoke(in, "answer", NULL, 0, r, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 42);
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
}

static void test_memory_page_cap(void **state)
{
    (void)state;
    ccf_wasm_limits lim = {.max_memory_pages = 4};
    ccf_wasm_store *s;
    ccf_wasm_module *m;
    ccf_wasm_instance *inst = new_limits(&s, &m, &lim);
    ccf_wasm_val a = i32v(3), r[1];
    char err[256];
    assert_int_equal(ccf_wasm_invoke(inst, "grow", &a, 1, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 1); /* old size */
    assert_int_equal(ccf_wasm_memory_size(inst), 4 * 65536);
    a = i32v(1);
    assert_int_equal(ccf_wasm_invoke(inst, "grow", &a, 1, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 0xffffffffu); /* -1: refused */
    /* the grown memory is usable up to its last byte, not beyond */
    ccf_wasm_val st[2] = {i32v(4 * 65536 - 4), i32v(0xdeadbeef)};
    assert_int_equal(ccf_wasm_invoke(inst, "store", st, 2, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    a = i32v(4 * 65536 - 4);
    assert_int_equal(ccf_wasm_invoke(inst, "load", &a, 1, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 0xdeadbeef);
    ccf_wasm_trap trap;
    a = i32v(4 * 65536 - 3);
    assert_int_equal(ccf_wasm_invoke(inst, "load", &a, 1, r, 1, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_MEMORY_OOB);
    assert_string_equal(err, "out of bounds memory access");

    /* a module whose initial memory exceeds the cap does not instantiate */
    ccf_wasm_module *big = load_ok("big");
    ccf_wasm_instance *bi = NULL;
    assert_int_equal(ccf_wasm_instantiate(s, big, NULL, 0, &bi, NULL, err, sizeof err), CCF_ERR_TOO_LARGE);
    assert_null(bi);
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(big);
    ccf_wasm_module_free(m);
}

static void test_traps_and_floats(void **state)
{
    (void)state;
    ccf_wasm_store *s;
    ccf_wasm_module *m;
    ccf_wasm_instance *inst = new_limits(&s, &m, NULL);
    ccf_wasm_val a[2] = {i32v(7), i32v(0)}, r[1];
    ccf_wasm_trap trap;
    char err[256];
    assert_int_equal(ccf_wasm_invoke(inst, "div", a, 2, r, 1, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_DIV_ZERO);
    assert_string_equal(err, "integer divide by zero");
    a[0] = i32v(0x80000000u);
    a[1] = i32v(0xffffffffu);
    assert_int_equal(ccf_wasm_invoke(inst, "div", a, 2, r, 1, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_INT_OVERFLOW);
    a[0] = i32v((uint32_t)-7);
    a[1] = i32v(2);
    assert_int_equal(ccf_wasm_invoke(inst, "div", a, 2, r, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal((int32_t)r[0].of.i32, -3);
    /* f64.min(-0, +0) = -0; wrong argument types are refused before running */
    ccf_wasm_val f[2];
    f[0].type = f[1].type = CCF_WASM_F64;
    f[0].of.f64 = 0x8000000000000000ull;
    f[1].of.f64 = 0;
    assert_int_equal(ccf_wasm_invoke(inst, "fmin", f, 2, r, 1, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.f64, 0x8000000000000000ull);
    assert_int_equal(ccf_wasm_invoke(inst, "fmin", a, 2, r, 1, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_NONE);
    assert_int_equal(ccf_wasm_invoke(inst, "nope", NULL, 0, r, 1, NULL, &trap, err, sizeof err), CCF_ERR_NOT_FOUND);
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
}

static void test_instances_isolated(void **state)
{
    (void)state;
    ccf_wasm_module *m = load_ok("limits");
    ccf_wasm_store *s1 = NULL, *s2 = NULL;
    ccf_wasm_instance *a = NULL, *b = NULL, *c = NULL;
    char err[256];
    ccf_wasm_val r[1];
    assert_int_equal(ccf_wasm_store_new(NULL, &s1, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_store_new(NULL, &s2, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s1, m, NULL, 0, &a, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s1, m, NULL, 0, &b, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s2, m, NULL, 0, &c, NULL, err, sizeof err), CCF_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(ccf_wasm_invoke(a, "incr", NULL, 0, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 3);
    assert_int_equal(ccf_wasm_invoke(b, "incr", NULL, 0, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 1);
    assert_int_equal(ccf_wasm_invoke(c, "incr", NULL, 0, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 1);
    ccf_wasm_val st[2] = {i32v(8), i32v(1234)};
    assert_int_equal(ccf_wasm_invoke(a, "store", st, 2, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    ccf_wasm_val ld = i32v(8);
    assert_int_equal(ccf_wasm_invoke(a, "load", &ld, 1, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 1234);
    assert_int_equal(ccf_wasm_invoke(b, "load", &ld, 1, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 0);
    assert_int_equal(ccf_wasm_invoke(c, "load", &ld, 1, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 0);
    /* freeing one store leaves the other working */
    ccf_wasm_store_free(s1);
    assert_int_equal(ccf_wasm_invoke(c, "incr", NULL, 0, r, 1, NULL, NULL, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 2);
    ccf_wasm_store_free(s2);
    ccf_wasm_module_free(m);
}

/* ---- fused instruction forms (code generator peepholes) ---- */

static ccf_wasm_val f64v(double d)
{
    ccf_wasm_val x;
    x.type = CCF_WASM_F64;
    memcpy(&x.of.f64, &d, 8);
    return x;
}

static double as_f64(ccf_wasm_val v)
{
    double d;
    memcpy(&d, &v.of.f64, 8);
    return d;
}

static void test_fused_forms(void **state)
{
    (void)state;
    ccf_wasm_module *m = load_ok("fused");
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *in = NULL;
    ccf_wasm_val a[2], r[2];
    ccf_wasm_trap trap;
    size_t n;
    char err[256];
    assert_int_equal(ccf_wasm_store_new(NULL, &s, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s, m, NULL, 0, &in, NULL, err, sizeof err), CCF_OK);
    /* 0xfffffffc + 4 wraps to address 0 */
    a[0] = i32v(0xfffffffcu);
    assert_int_equal(ccf_wasm_invoke(in, "load_add_imm", a, 1, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 0x04030201u);
    a[0] = i32v(65532);
    assert_int_equal(ccf_wasm_invoke(in, "load_add_imm", a, 1, r, 2, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_MEMORY_OOB);
    a[0] = i32v(0xffffffffu);
    a[1] = i32v(1);
    assert_int_equal(ccf_wasm_invoke(in, "load_add", a, 2, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 2);
    /* f64 ops with a loaded operand: value and bounds */
    a[0] = f64v(3.0);
    a[1] = i32v(65528);
    assert_int_equal(ccf_wasm_invoke(in, "mul_load", a, 2, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_true(as_f64(r[0]) == 3.0);
    assert_int_equal(ccf_wasm_invoke(in, "sub_load", a, 2, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_true(as_f64(r[0]) == 2.0);
    a[1] = i32v(65529);
    assert_int_equal(ccf_wasm_invoke(in, "mul_load", a, 2, r, 2, NULL, &trap, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(trap, CCF_WASM_TRAP_MEMORY_OOB);
    /* compare-and-branch forms */
    a[0] = i32v(10);
    assert_int_equal(ccf_wasm_invoke(in, "count_lt", a, 1, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 45);
    a[0] = i32v((uint32_t)-5); /* signed: the loop does not run */
    assert_int_equal(ccf_wasm_invoke(in, "count_lt", a, 1, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 0);
    a[0] = i32v(0);
    assert_int_equal(ccf_wasm_invoke(in, "if_eqz", a, 1, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 10);
    a[0] = i32v(5);
    assert_int_equal(ccf_wasm_invoke(in, "if_eqz", a, 1, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 20);
    a[0] = i32v(0xffffffffu); /* unsigned: not less than 1 */
    a[1] = i32v(1);
    assert_int_equal(ccf_wasm_invoke(in, "if_lt_u", a, 2, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 2);
    a[0] = i32v(0);
    assert_int_equal(ccf_wasm_invoke(in, "if_lt_u", a, 2, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 1);
    /* copies and multi-value results */
    a[0] = i32v(1);
    a[1] = i32v(2);
    assert_int_equal(ccf_wasm_invoke(in, "swap", a, 2, r, 2, &n, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(n, 2);
    assert_int_equal(r[0].of.i32, 2);
    assert_int_equal(r[1].of.i32, 1);
    /* a pending local.get keeps the value from before the local.set */
    a[0] = i32v(10);
    assert_int_equal(ccf_wasm_invoke(in, "lazy", a, 1, r, 2, NULL, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(r[0].of.i32, 3);
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
}

/* ---- load errors ---- */

static void expect_load_error(const uint8_t *b, size_t n, const char *want)
{
    ccf_wasm_module *m = (ccf_wasm_module *)&m; /* must be reset to NULL */
    char err[256] = "";
    assert_int_not_equal(ccf_wasm_load(b, n, &m, err, sizeof err), CCF_OK);
    assert_null(m);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

/* ---- v128 (SIMD) through the API ---- */

static ccf_wasm_val v128_i32x4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    ccf_wasm_val x;
    uint32_t l[4] = {a, b, c, d};
    x.type = CCF_WASM_V128;
    memcpy(x.of.v128, l, 16);
    return x;
}

static void assert_i32x4(const ccf_wasm_val *v, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    uint32_t l[4];
    assert_int_equal(v->type, CCF_WASM_V128);
    memcpy(l, v->of.v128, 16);
    assert_int_equal(l[0], a);
    assert_int_equal(l[1], b);
    assert_int_equal(l[2], c);
    assert_int_equal(l[3], d);
}

/* (i, v, j) -> (v with lanes reversed and i added to lane 0, j - i) */
static ccf_err host_swap(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args,
                         ccf_wasm_val *results, char *err, size_t err_size)
{
    (void)caller;
    (void)user;
    (void)err;
    (void)err_size;
    uint32_t l[4], r[4];
    if (args[1].type != CCF_WASM_V128 || results[0].type != CCF_WASM_V128)
        return CCF_ERR_INVALID;
    memcpy(l, args[1].of.v128, 16);
    r[0] = l[3] + args[0].of.i32;
    r[1] = l[2];
    r[2] = l[1];
    r[3] = l[0];
    memcpy(results[0].of.v128, r, 16);
    results[1].of.i32 = args[2].of.i32 - args[0].of.i32;
    return CCF_OK;
}

static void test_simd_values(void **state)
{
    (void)state;
    ccf_wasm_module *m = load_ok("simd");
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *in = NULL;
    ccf_wasm_import imp[1];
    char err[256];
    assert_int_equal(ccf_wasm_store_new(NULL, &s, err, sizeof err), CCF_OK);
    imp[0].module = "env";
    imp[0].name = "swap";
    assert_int_equal(ccf_wasm_host_func(s, "iVi", "Vi", host_swap, NULL, &imp[0].ext, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_instantiate(s, m, imp, 1, &in, NULL, err, sizeof err), CCF_OK);

    /* mixed params and results: (7, [1 2 3 4], 5) -> ([13 14 15 16], 35) */
    ccf_wasm_val args[3] = {i32v(7), v128_i32x4(1, 2, 3, 4), i32v(5)}, res[4];
    size_t nres = 0;
    ccf_wasm_trap trap;
    assert_int_equal(ccf_wasm_invoke(in, "mix", args, 3, res, 4, &nres, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(nres, 2);
    assert_i32x4(&res[0], 13, 14, 15, 16);
    assert_int_equal(res[1].type, CCF_WASM_I32);
    assert_int_equal(res[1].of.i32, 35);

    /* chain(1): mix(2, g, 3) = ([15 25 35 45], 6); swap(6, that, 1) = ([51 35 25 15], -5); taken */
    ccf_wasm_val one = i32v(1);
    assert_int_equal(ccf_wasm_invoke(in, "chain", &one, 1, res, 4, &nres, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(nres, 2);
    assert_i32x4(&res[0], 51, 35, 25, 15);
    assert_int_equal(res[1].of.i32, (uint32_t)-5);
    /* chain(0): not taken, the block's own values */
    ccf_wasm_val zero = i32v(0);
    assert_int_equal(ccf_wasm_invoke(in, "chain", &zero, 1, res, 4, &nres, &trap, err, sizeof err), CCF_OK);
    assert_i32x4(&res[0], ~0u, ~0u, ~0u, ~0u);
    assert_int_equal(res[1].of.i32, 99);

    /* globals: select keeps g (10+40), then takes the constant (1+4); read and write from the host */
    assert_int_equal(ccf_wasm_invoke(in, "pick", &zero, 1, res, 4, &nres, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(res[0].of.i32, 50);
    assert_int_equal(ccf_wasm_invoke(in, "pick", &one, 1, res, 4, &nres, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(res[0].of.i32, 5);
    ccf_wasm_extern g;
    assert_int_equal(ccf_wasm_export(in, "g", &g, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_global_get(g, &res[0]), CCF_OK);
    assert_i32x4(&res[0], 1, 2, 3, 4);
    assert_int_equal(ccf_wasm_global_set(g, v128_i32x4(100, 0, 0, 200)), CCF_OK);
    assert_int_equal(ccf_wasm_invoke(in, "pick", &zero, 1, res, 4, &nres, &trap, err, sizeof err), CCF_OK);
    assert_int_equal(res[0].of.i32, 300);
    char ps[8], rs[8];
    assert_int_equal(ccf_wasm_export(in, "mix", &g, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_wasm_func_signature(g, ps, sizeof ps, rs, sizeof rs), CCF_OK);
    assert_string_equal(ps, "iVi");
    assert_string_equal(rs, "Vi");
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
}

/* Invalid vector immediates name the instruction and the byte. */
static void test_simd_load_errors(void **state)
{
    (void)state;
    /* (func (result i32) v128.const 0 ; i32x4.extract_lane 4) and a shuffle lane 32 */
    static const uint8_t head[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01,
                                   0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00};
    uint8_t b[128];
    ccf_wasm_module *m = NULL;
    char err[256];
    size_t n = sizeof head;
    memcpy(b, head, n);
    static const uint8_t code[] = {0x0a, 0x19, 0x01, 0x17, 0x00, 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, 0, 0, 0, 0, 0xfd, 0x1b, 0x04, 0x0b};
    memcpy(b + n, code, sizeof code);
    assert_int_equal(ccf_wasm_load(b, n + sizeof code, &m, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "invalid lane index 4"));
    assert_non_null(strstr(err, "(in i32x4.extract_lane)"));
    assert_non_null(strstr(err, "offset 0x2c"));
    /* a 0xfd sub-opcode past the table (u32 256) */
    uint8_t bad[sizeof code];
    memcpy(bad, code, sizeof code);
    bad[24] = 0x80;
    bad[25] = 0x02;
    memcpy(b + n, bad, sizeof bad);
    assert_int_equal(ccf_wasm_load(b, n + sizeof bad, &m, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "illegal opcode 0xfd 256"));
}

static void test_load_errors_name_section_offset(void **state)
{
    (void)state;
    static const uint8_t empty[] = {0};
    static const uint8_t badmagic[] = {0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t badversion[] = {0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00};
    /* type section claims 5 bytes, only 2 follow */
    static const uint8_t truncated[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60};
    /* function section (id 3) before type section (id 1) */
    static const uint8_t order[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x03, 0x01, 0x00,
                                    0x01, 0x01, 0x00};
    /* memory of 65537 pages */
    static const uint8_t bigmem[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x05, 0x01,
                                     0x00, 0x81, 0x80, 0x04};
    /* LEB128 of the type count with 6 bytes */
    static const uint8_t longleb[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x80,
                                      0x80, 0x80, 0x80, 0x80, 0x00};
    expect_load_error(empty, 0, "header section, offset 0x0: magic header not detected");
    expect_load_error(badmagic, sizeof badmagic, "magic header not detected");
    expect_load_error(badversion, sizeof badversion, "header section, offset 0x4: unknown binary version");
    size_t n;
    uint8_t *b = read_wasm("mismatch", &n); /* invalid, not malformed: written as text */
    expect_load_error(b, n, "code section, offset 0x1a: type mismatch: expected i32, got i64 (in end)");
    free(b);
    expect_load_error(truncated, sizeof truncated, "type section, offset 0x8: length out of bounds");
    expect_load_error(order, sizeof order, "type section, offset 0xb: unexpected content after last section");
    expect_load_error(bigmem, sizeof bigmem, "memory section, offset 0xb: memory size must be at most 65536 pages");
    expect_load_error(longleb, sizeof longleb, "type section, offset 0xa: integer representation too long");
    /* every proper prefix of a valid module fails cleanly */
    b = read_wasm("host", &n);
    for (size_t k = 0; k < n; k++) {
        ccf_wasm_module *m = NULL;
        char err[256];
        if (ccf_wasm_load(b, k, &m, err, sizeof err) == CCF_OK) {
            /* only a prefix that ends exactly at a section boundary may be valid */
            ccf_wasm_module_free(m);
            continue;
        }
        assert_non_null(strstr(err, "section, offset 0x"));
    }
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_host_function_called, host_setup, host_teardown),
        cmocka_unit_test_setup_teardown(test_host_writes_caller_memory, host_setup, host_teardown),
        cmocka_unit_test_setup_teardown(test_host_error_is_trap, host_setup, host_teardown),
        cmocka_unit_test_setup_teardown(test_host_memory_bounds, host_setup, host_teardown),
        cmocka_unit_test(test_missing_and_mismatched_imports),
        cmocka_unit_test(test_call_depth_limit),
        cmocka_unit_test(test_fuel_budget),
        cmocka_unit_test(test_interrupt_stops_run),
        cmocka_unit_test(test_memory_page_cap),
        cmocka_unit_test(test_traps_and_floats),
        cmocka_unit_test(test_instances_isolated),
        cmocka_unit_test(test_fused_forms),
        cmocka_unit_test(test_load_errors_name_section_offset),
        cmocka_unit_test(test_simd_values),
        cmocka_unit_test(test_simd_load_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
