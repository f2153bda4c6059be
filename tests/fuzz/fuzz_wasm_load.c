/* libFuzzer target: decode + validate arbitrary bytes as a WebAssembly module;
 * when valid, satisfy its imports with host objects of the expected types
 * (functions returning zeros), instantiate it under tight limits and call
 * every exported function with zero arguments. Any crash, leak, hang or sanitizer
 * report is a bug: untrusted modules must only ever produce errors or traps.
 *
 * Inputs starting with 0xfd are not modules but recipes for one (SIMD mode):
 * the rest of the bytes choose vector instructions (rows of the engine's
 * opcode table, opcodes.h) and their immediates; operands they need are
 * provided from parameters, locals and constants, so the generated function
 * is valid by construction and its instructions really run (interpreter
 * lanes, memory bounds, lane indices). The module is then loaded and run as
 * above; mutations of the recipe (e.g. out-of-range lanes, taken as bytes)
 * also reach the validator.
 *
 * Built with -DCCF_FUZZ_WASM_JIT this is fuzz_wasm_jit, the differential target of the
 * compiled strategy (issue 22): every valid module runs twice, interpreted and compiled
 * (src/wasm/jit.h; modules the compiler refuses, v128, are skipped), and the outcomes must
 * be equal: per export call the trap kind, the results (NaNs compare as NaN: their bits may
 * legitimately differ) and the fuel left, then the memory's size and bytes. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/opcodes.h"
#include "wasm/wasm.h"
#ifdef CCF_FUZZ_WASM_JIT
#include "wasm/jit.h"
#endif

/* What one run of a module did (the differential target compares two). */
struct outcome {
    size_t ncalls;
    struct call_outcome {
        int rc;
        ccf_wasm_trap trap;
        size_t nres;
        ccf_wasm_val res[32];
        uint64_t fuel;
    } calls[16];
    uint64_t memsz;
    uint8_t *mem; /* malloc'd copy, or NULL */
};

/* The vector rows of the opcode table: sub-opcode, immediates, signature. */
static const struct vrow {
    unsigned code, imm;
    const char *sig;
} vrows[] = {
#define VROW(name, prefix, code, text, cls, imm, sig, op) {(prefix) == 0xfd ? (code) : 0x100u, IMM_##imm, sig},
    CCF_WASM_OPCODES(VROW)
#undef VROW
};

struct gen {
    uint8_t *out;
    size_t n, cap;
    const uint8_t *in;
    size_t left;
};

static void put(struct gen *g, uint8_t b)
{
    if (g->n < g->cap)
        g->out[g->n++] = b;
}

static void put_u32(struct gen *g, uint32_t v)
{
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        put(g, (uint8_t)(b | (v ? 0x80 : 0)));
    } while (v);
}

static uint8_t take(struct gen *g)
{
    if (g->left == 0)
        return 0;
    g->left--;
    return *g->in++;
}

/* Pushes one operand of type letter t: a parameter/local or a constant. */
static void operand(struct gen *g, char t)
{
    uint8_t k = take(g);
    switch (t) {
    case 'V': /* params 0, 1 and local 3: v128 */
        if (k & 0x80) {
            put(g, 0xfd);
            put_u32(g, 12);
            for (int i = 0; i < 16; i++)
                put(g, take(g));
        } else {
            put(g, 0x20);
            put(g, (uint8_t)(k % 3 == 2 ? 3 : k % 3));
        }
        break;
    case 'i': /* memory addresses near the end of the 1-page memory too */
        put(g, 0x41);
        put_u32(g, k & 1 ? 65536u - (k >> 1) : (uint32_t)k);
        if ((k & 1) == 0 && (k & 0x40))
            put(g, 0x41), put_u32(g, 0), put(g, 0x6a); /* i32.add, for the folded forms */
        break;
    case 'I':
        put(g, 0x42);
        put(g, (uint8_t)(k & 0x7f));
        break;
    case 'f':
        put(g, 0x43);
        for (int i = 0; i < 4; i++)
            put(g, i == 3 ? k : take(g));
        break;
    default: /* 'F' */
        put(g, 0x44);
        for (int i = 0; i < 8; i++)
            put(g, i == 7 ? k : take(g));
        break;
    }
}

/* Function body: up to 64 vector instructions, each with its operands; every
 * result goes to local 3 (v128) or is dropped; returns local 3. */
static void body(struct gen *g)
{
    static uint16_t vec[256];
    static size_t nvec;
    if (nvec == 0)
        for (size_t i = 0; i < sizeof vrows / sizeof vrows[0] && nvec < 256; i++)
            if (vrows[i].code <= 0xff)
                vec[nvec++] = (uint16_t)i;
    put(g, 1);                 /* one local group: */
    put(g, 1), put(g, 0x7b);   /* local 3: v128 */
    for (int k = 0; k < 64 && g->left > 0; k++) {
        const struct vrow *r = &vrows[vec[take(g) % nvec]];
        const char *colon = strchr(r->sig, ':');
        for (const char *p = r->sig; p < colon; p++)
            operand(g, *p);
        put(g, 0xfd);
        put_u32(g, r->code);
        uint8_t b = take(g);
        switch (r->imm) {
        case IMM_MEMARG8: case IMM_MEMARG16: case IMM_MEMARG32: case IMM_MEMARG64: case IMM_MEMARG128:
            put(g, (uint8_t)(b % (r->imm - IMM_MEMARG8 + 1)));
            put_u32(g, take(g));
            break;
        case IMM_MEMLANE8: case IMM_MEMLANE16: case IMM_MEMLANE32: case IMM_MEMLANE64:
            put(g, (uint8_t)(b % (r->imm - IMM_MEMLANE8 + 1)));
            put_u32(g, take(g));
            put(g, (uint8_t)(take(g) % (16u >> (r->imm - IMM_MEMLANE8))));
            break;
        case IMM_LANE2: case IMM_LANE4: case IMM_LANE8: case IMM_LANE16:
            put(g, (uint8_t)(b % (2u << (r->imm - IMM_LANE2))));
            break;
        case IMM_V128:
        case IMM_SHUFFLE:
            for (int i = 0; i < 16; i++)
                put(g, (uint8_t)(r->imm == IMM_SHUFFLE ? (i ? take(g) : b) % 32 : (i ? take(g) : b)));
            break;
        default:
            break;
        }
        if (colon[1] == 'V')
            put(g, 0x21), put(g, 3); /* local.set 3 */
        else if (colon[1])
            put(g, 0x1a);            /* drop */
    }
    put(g, 0x20), put(g, 3); /* local.get 3 */
    put(g, 0x0b);
}

/* A module: memory 1 page with a data segment, func (v128 v128 i32) -> v128
 * exported as "f", its body from the recipe. */
static size_t simd_module(const uint8_t *in, size_t len, uint8_t *out, size_t cap)
{
    static const uint8_t head[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7f, 0x01, 0x7b, /* type */
        0x03, 0x02, 0x01, 0x00,                                     /* func */
        0x05, 0x03, 0x01, 0x00, 0x01,                               /* memory 1 */
        0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,                    /* export "f" */
    };
    uint8_t code[16384];
    struct gen b = {.out = code, .cap = sizeof code, .in = in, .left = len};
    body(&b);
    if (b.n == b.cap || cap < sizeof head + b.n + 64)
        return 0;
    struct gen g = {.out = out, .cap = cap};
    for (size_t i = 0; i < sizeof head; i++)
        put(&g, head[i]);
    /* code section: one body */
    uint8_t sz[5];
    struct gen s1 = {.out = sz, .cap = sizeof sz};
    put_u32(&s1, (uint32_t)b.n);
    put(&g, 0x0a);
    put_u32(&g, (uint32_t)(1 + s1.n + b.n));
    put(&g, 1);
    put_u32(&g, (uint32_t)b.n);
    for (size_t i = 0; i < b.n; i++)
        put(&g, code[i]);
    /* data: 16 bytes at 0 and at 65520 so loads see something */
    static const uint8_t data[] = {0x0b, 0x2d, 0x02,
        0x00, 0x41, 0x00, 0x0b, 0x10, 1, 0x80, 0xff, 0x7f, 2, 0xfe, 0x81, 3, 4, 5, 6, 7, 8, 9, 10, 11,
        0x00, 0x41, 0xf0, 0xff, 0x03, 0x0b, 0x10, 0xff, 0x7f, 0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    for (size_t i = 0; i < sizeof data; i++)
        put(&g, data[i]);
    return g.n;
}

#define MAX_IMPORTS 64

static ccf_err zero_fn(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args,
                       ccf_wasm_val *results, char *err, size_t err_size)
{
    (void)caller;
    (void)user;
    (void)args;
    (void)results; /* preset to zero values of the right types */
    (void)err;
    (void)err_size;
    return CCF_OK;
}

/* Host objects matching every import; false when one cannot be made. */
static bool make_imports(ccf_wasm_store *s, const ccf_wasm_module *m, ccf_wasm_import *imp,
                         char names[][2][64], size_t *n)
{
    size_t count = ccf_wasm_import_count(m);
    char err[128];
    if (count > MAX_IMPORTS)
        return false;
    for (size_t i = 0; i < count; i++) {
        ccf_wasm_import_desc d;
        ccf_err e = CCF_ERR_INVALID;
        if (!ccf_wasm_import_get(m, i, &d) || d.module_len >= 64 || d.name_len >= 64 ||
            memchr(d.module, '\0', d.module_len) || memchr(d.name, '\0', d.name_len))
            return false;
        memcpy(names[i][0], d.module, d.module_len);
        names[i][0][d.module_len] = '\0';
        memcpy(names[i][1], d.name, d.name_len);
        names[i][1][d.name_len] = '\0';
        imp[i].module = names[i][0];
        imp[i].name = names[i][1];
        switch (d.kind) {
        case CCF_WASM_EXTERN_FUNC: {
            char ps[40], rs[40];
            if (ccf_wasm_import_signature(m, i, ps, sizeof ps, rs, sizeof rs) == CCF_OK)
                e = ccf_wasm_host_func(s, ps, rs, zero_fn, NULL, &imp[i].ext, err, sizeof err);
            break;
        }
        case CCF_WASM_EXTERN_GLOBAL: {
            ccf_wasm_val v;
            memset(&v, 0, sizeof v);
            v.type = d.type;
            e = ccf_wasm_host_global(s, v, d.mutable_, &imp[i].ext, err, sizeof err);
            break;
        }
        case CCF_WASM_EXTERN_TABLE:
            if (d.min <= 1000)
                e = ccf_wasm_host_table(s, d.type, d.min, d.max, &imp[i].ext, err, sizeof err);
            break;
        case CCF_WASM_EXTERN_MEMORY:
            e = ccf_wasm_host_memory(s, d.min, d.max, &imp[i].ext, err, sizeof err);
            break;
        }
        if (e != CCF_OK)
            return false;
    }
    *n = count;
    return true;
}

static void run_exports(const ccf_wasm_module *m, struct outcome *o)
{
    ccf_wasm_limits lim = {.max_memory_pages = 16, .max_call_depth = 200,
                           .max_stack_slots = 1u << 16, .fuel = 20000};
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *inst = NULL;
    char err[256];
    ccf_wasm_import imp[MAX_IMPORTS];
    static char names[MAX_IMPORTS][2][64];
    size_t nimp = 0;
    if (ccf_wasm_store_new(&lim, &s, err, sizeof err) != CCF_OK)
        return;
    if (!make_imports(s, m, imp, names, &nimp) ||
        ccf_wasm_instantiate(s, m, imp, nimp, &inst, NULL, err, sizeof err) != CCF_OK)
        goto out;
    ccf_wasm_export_desc d;
    for (size_t i = 0; ccf_wasm_export_get(m, i, &d) && i < 16; i++) {
        char name[128], ps[40], rs[40];
        ccf_wasm_extern f;
        ccf_wasm_val args[32], res[32];
        if (d.kind != CCF_WASM_EXTERN_FUNC || d.name_len >= sizeof name)
            continue;
        memcpy(name, d.name, d.name_len);
        name[d.name_len] = '\0';
        if (ccf_wasm_export_n(inst, name, d.name_len, &f, err, sizeof err) != CCF_OK ||
            ccf_wasm_func_signature(f, ps, sizeof ps, rs, sizeof rs) != CCF_OK)
            continue;
        size_t np = strlen(ps);
        if (np > 32)
            continue;
        for (size_t k = 0; k < np; k++) {
            memset(&args[k], 0, sizeof args[k]);
            switch (ps[k]) {
            case 'i': args[k].type = CCF_WASM_I32; break;
            case 'I': args[k].type = CCF_WASM_I64; break;
            case 'f': args[k].type = CCF_WASM_F32; break;
            case 'F': args[k].type = CCF_WASM_F64; break;
            case 'V': args[k].type = CCF_WASM_V128; break;
            case 'r': args[k].type = CCF_WASM_FUNCREF; break;
            default: args[k].type = CCF_WASM_EXTERNREF; break;
            }
        }
        ccf_wasm_store_set_fuel(s, 20000);
        size_t nres = 0;
        ccf_wasm_trap trap = CCF_WASM_TRAP_NONE;
        ccf_err rc = ccf_wasm_call(s, f, args, np, res, 32, &nres, &trap, err, sizeof err);
        if (o != NULL && o->ncalls < 16) {
            struct call_outcome *c = &o->calls[o->ncalls++];
            c->rc = (int)rc;
            c->trap = trap;
            c->nres = rc == CCF_OK ? nres : 0;
            memcpy(c->res, res, c->nres * sizeof res[0]);
            c->fuel = ccf_wasm_store_fuel(s);
        }
    }
    if (o != NULL && (o->memsz = ccf_wasm_memory_size(inst)) > 0 && (o->mem = malloc(o->memsz)) != NULL &&
        ccf_wasm_memory_read(inst, 0, o->mem, o->memsz) != CCF_OK) {
        free(o->mem);
        o->mem = NULL;
    }
out:
    ccf_wasm_store_free(s);
}

#ifdef CCF_FUZZ_WASM_JIT
static bool same_val(const ccf_wasm_val *a, const ccf_wasm_val *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case CCF_WASM_I32: return a->of.i32 == b->of.i32;
    case CCF_WASM_F32: {
        float x, y;
        memcpy(&x, &a->of.f32, 4);
        memcpy(&y, &b->of.f32, 4);
        return (isnan(x) && isnan(y)) || a->of.f32 == b->of.f32;
    }
    case CCF_WASM_F64: {
        double x, y;
        memcpy(&x, &a->of.f64, 8);
        memcpy(&y, &b->of.f64, 8);
        return (isnan(x) && isnan(y)) || a->of.f64 == b->of.f64;
    }
    case CCF_WASM_FUNCREF: return (a->of.ref == NULL) == (b->of.ref == NULL); /* each store's own */
    case CCF_WASM_EXTERNREF: return a->of.ref == b->of.ref;
    default: return a->of.i64 == b->of.i64;
    }
}

static void differ(const char *what, size_t i)
{
    fprintf(stderr, "fuzz_wasm_jit: interpreter and compiled code differ: %s (call %zu)\n", what, i);
    abort();
}

/* Runs the module interpreted (m) and compiled (a second copy of the bytes). */
static void differential(const uint8_t *data, size_t size, const ccf_wasm_module *m)
{
    ccf_wasm_module *mj = NULL;
    char err[256];
    struct outcome a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (ccf_wasm_load(data, size, &mj, err, sizeof err) != CCF_OK)
        differ("the second load failed", 0);
    ccf_err e = ccf_wasm_jit_compile(mj, err, sizeof err);
    if (e == CCF_ERR_UNSUPPORTED)
        goto out; /* v128: interpreted either way */
    if (e != CCF_OK) {
        fprintf(stderr, "fuzz_wasm_jit: a valid module does not compile: %s\n", err);
        abort();
    }
    run_exports(m, &a);
    run_exports(mj, &b);
    if (a.ncalls != b.ncalls)
        differ("number of calls", 0);
    for (size_t i = 0; i < a.ncalls; i++) {
        const struct call_outcome *x = &a.calls[i], *y = &b.calls[i];
        if (x->rc != y->rc || x->trap != y->trap)
            differ("status or trap kind", i);
        if (x->nres != y->nres)
            differ("result count", i);
        for (size_t k = 0; k < x->nres; k++)
            if (!same_val(&x->res[k], &y->res[k]))
                differ("a result", i);
        if (x->fuel != y->fuel)
            differ("fuel left", i);
    }
    if (a.memsz != b.memsz || (a.mem != NULL) != (b.mem != NULL) ||
        (a.mem != NULL && memcmp(a.mem, b.mem, a.memsz) != 0))
        differ("memory after the calls", a.ncalls);
out:
    free(a.mem);
    free(b.mem);
    ccf_wasm_module_free(mj);
}
#endif

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_wasm_module *m = NULL;
    char err[256];
    static uint8_t built[32768];
    if (size > 0 && data[0] == 0xfd) {
        size = simd_module(data + 1, size - 1, built, sizeof built);
        data = built;
    }
    if (ccf_wasm_load(data, size, &m, err, sizeof err) != CCF_OK)
        return 0;
#ifdef CCF_FUZZ_WASM_JIT
    differential(data, size, m);
#else
    run_exports(m, NULL);
#endif
    ccf_wasm_module_free(m);
    return 0;
}
