/* The interpreter: direct-threaded dispatch (computed goto) over the internal
 * instruction stream built by load.c. Instructions name their operand and
 * result slots as offsets from fp (frame base: params, then locals, then the
 * operand stack at fixed positions), so there is no stack pointer at run time.
 * Registers: pc (current cell), fp, mem/memsz (the current instance's memory,
 * reloaded after anything that can grow or switch it). Calls push a
 * fixed-size frame record on the store's frame array; nothing is allocated
 * per call. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "wasm/internal.h"

#define F32 ccf_wasm_f32
#define U32F ccf_wasm_f32_bits
#define F64 ccf_wasm_f64
#define U64F ccf_wasm_f64_bits

/* Rounding functions must return a quiet NaN for a signalling input. */
static inline uint64_t quiet32(uint64_t r)
{
    return isnan(F32(r)) ? (r | 0x00400000u) : r;
}
static inline uint64_t quiet64(uint64_t r)
{
    return isnan(F64(r)) ? (r | 0x0008000000000000ull) : r;
}

static float fmin32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static float fmax32(float a, float b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}
static double fmin64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static double fmax64(double a, double b)
{
    if (isnan(a) || isnan(b))
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* A v128 value by lanes (little endian: lane 0 is the lowest address). */
typedef union {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
} v128;

/* Saturating float -> i32/u32 (the trunc_sat rules; a float widens exactly). */
static inline uint32_t sat_s32(double x)
{
    if (isnan(x))
        return 0;
    if (!(x > -2147483649.0))
        return 0x80000000u;
    if (!(x < 2147483648.0))
        return 0x7fffffffu;
    return (uint32_t)(int32_t)x;
}
static inline uint32_t sat_u32(double x)
{
    if (isnan(x) || !(x > -1.0))
        return 0;
    if (!(x < 4294967296.0))
        return 0xffffffffu;
    return (uint32_t)x;
}

/* Executes the vector instruction whose op cell is pc[0] (see OP_SIMD in
 * internal.h): the handlers of interp_simd.h, addressed from pc like the
 * interpreter's own (pc[1] = dst, ...). Returns the next instruction, or NULL
 * on an out-of-bounds memory access (the only trap a vector instruction has).
 * Out of line so the scalar interpreter's register allocation is untouched. */
static const cell *simd_step(const cell *pc, uint64_t *fp, uint8_t *mem, uint64_t memsz)
{
    static const void *const labels[OP_SIMD_END_ - OP_SIMD_BASE_] = {
#define X(name) [OP_##name - OP_SIMD_BASE_] = &&L_##name,
        CCF_WASM_SIMD_OPS(X)
#undef X
    };
#define R(k) fp[pc[k].u]
#define NEXT() return pc
#define TRAP(k) return NULL
    uint64_t op = pc[0].u;
    if (op >= OP_SIMD_END_ - OP_SIMD_BASE_)
        return NULL; /* never produced by load.c */
    goto *labels[op];
#include "wasm/interp_simd.h"
#undef R
#undef NEXT
#undef TRAP
}

bool ccf_wasm_internal_functype_eq(const struct functype *a, const struct functype *b)
{
    return a == b || (a->np == b->np && a->nr == b->nr &&
                      (a->np + a->nr == 0 || memcmp(a->t, b->t, a->np + a->nr) == 0));
}

/* Calls a host function with args at sp[0..) (v128: two slots); results written from sp[0]. */
ccf_wasm_trap ccf_wasm_internal_call_host(struct ccf_wasm_instance *caller, struct funcinst *fi, uint64_t *sp,
                                          char *err, size_t errsz)
{
    ccf_wasm_val args[32], res[32];
    const struct functype *ft = fi->type;
    static const uint64_t zero[2];
    for (uint32_t i = 0, k = 0; i < ft->np; k += ccf_wasm_internal_width(ft->t[i]), i++)
        args[i] = ccf_wasm_internal_from_slots(ft->t[i], sp + k);
    for (uint32_t i = 0; i < ft->nr; i++)
        res[i] = ccf_wasm_internal_from_slots(ft->t[ft->np + i], zero);
    char msg[256] = "";
    ccf_err e = fi->host(caller, fi->user, args, res, msg, sizeof msg);
    if (e != CCF_OK) {
        if (err && errsz)
            snprintf(err, errsz, "%s", msg[0] ? msg : ccf_strerror(e));
        return CCF_WASM_TRAP_HOST;
    }
    for (uint32_t i = 0, k = 0; i < ft->nr; k += ccf_wasm_internal_width(ft->t[ft->np + i]), i++) {
        uint64_t b[2] = {0, 0};
        ccf_wasm_internal_to_slots(&res[i], b);
        sp[k] = b[0];
        if (ft->t[ft->np + i] == WASM_V128)
            sp[k + 1] = b[1];
    }
    return CCF_WASM_TRAP_NONE;
}

#ifdef CCF_WASM_PROFILE
/* Development aid (cmake -DCMAKE_C_FLAGS=-DCCF_WASM_PROFILE): counts executed
 * instructions and pairs of consecutive instructions, printed at exit. */
#include <stdlib.h>
static uint64_t prof_ops[OP_COUNT_], prof_pairs[OP_COUNT_][OP_COUNT_];
static int prof_prev = -1;
static const char *const prof_names[OP_COUNT_] = {
#define X(name) [OP_##name] = #name,
    CCF_WASM_OPS(X)
#undef X
#define X(name) [OP_##name##_I] = #name "_I",
    CCF_WASM_IMM_OPS(X)
#undef X
};
static void profile_dump(void)
{
    uint64_t total = 0;
    for (int i = 0; i < OP_COUNT_; i++)
        total += prof_ops[i];
    fprintf(stderr, "profile: %llu instructions\n", (unsigned long long)total);
    for (int n = 0; n < 25; n++) {
        int best = -1;
        for (int i = 0; i < OP_COUNT_; i++)
            if (prof_ops[i] && (best < 0 || prof_ops[i] > prof_ops[best]))
                best = i;
        if (best < 0)
            break;
        fprintf(stderr, "  %-22s %6.2f%%\n", prof_names[best], 100.0 * (double)prof_ops[best] / (double)total);
        prof_ops[best] = 0;
    }
    fprintf(stderr, "pairs:\n");
    for (int n = 0; n < 25; n++) {
        int bi = -1, bj = -1;
        for (int i = 0; i < OP_COUNT_; i++)
            for (int j = 0; j < OP_COUNT_; j++)
                if (prof_pairs[i][j] && (bi < 0 || prof_pairs[i][j] > prof_pairs[bi][bj])) {
                    bi = i;
                    bj = j;
                }
        if (bi < 0)
            break;
        fprintf(stderr, "  %-22s %-22s %6.2f%%\n", prof_names[bi], prof_names[bj],
                100.0 * (double)prof_pairs[bi][bj] / (double)total);
        prof_pairs[bi][bj] = 0;
    }
}
static void profile_count(const void *const *labels, const void *op)
{
    static bool registered;
    if (!registered) {
        registered = true;
        atexit(profile_dump);
    }
    for (int i = 0; i < OP_COUNT_; i++)
        if (labels[i] == op) {
            prof_ops[i]++;
            if (prof_prev >= 0)
                prof_pairs[prof_prev][i]++;
            prof_prev = i;
            return;
        }
}
#endif

/* Fuel: a slice kept in a register (internal.h), so the hot path is one decrement and
 * branch. */
#define take_slice ccf_wasm_internal_take_slice

/* Called when the slice ran out (*fuel == -1): charges the current unit to a
 * new slice; false when the budget is exhausted or an interrupt is pending. */
static __attribute__((noinline)) bool refuel(struct ccf_wasm_store *S, int64_t *fuel)
{
    if (S->interrupt || S->fuel == 0)
        return false;
    *fuel = take_slice(S) - 1;
    return true;
}

static ccf_wasm_trap interp(struct ccf_wasm_store *S, struct funcinst *fi, const void *const **labels_out,
                            char *err, size_t errsz)
{
    static const void *const labels[OP_COUNT_] = {
#define X(name) [OP_##name] = &&L_##name,
        CCF_WASM_OPS(X)
#undef X
#define X(name) [OP_##name##_I] = &&L_##name##_I,
        CCF_WASM_IMM_OPS(X)
#undef X
    };
    if (labels_out != NULL) {
        *labels_out = labels;
        return CCF_WASM_TRAP_NONE;
    }

    const cell *pc = NULL;
    uint64_t *fp = NULL;
    uint64_t *nfp = S->sp - ccf_wasm_internal_slots(fi->type->t, fi->type->np); /* the entry function's arguments */
    struct ccf_wasm_instance *inst = NULL;
    uint8_t *mem = NULL;
    uint64_t memsz = 0;
    int64_t fuel = take_slice(S); /* this run's share of the store's fuel */
    struct frame *frames = S->frames;
    const uint32_t depth_base = S->depth;
    uint32_t depth = depth_base;
    const uint32_t max_depth = S->limits.max_call_depth;
    uint64_t *const stack_end = S->stack_end;
    ccf_wasm_trap trap = CCF_WASM_TRAP_NONE;

#ifdef CCF_WASM_PROFILE
#define NEXT()                              \
    do {                                    \
        profile_count(labels, pc->op);      \
        goto *pc->op;                       \
    } while (0)
#else
#define NEXT() goto *pc->op
#endif
#define R(k) fp[pc[k].u]
#define RELOAD_MEM()                 \
    do {                             \
        mem = inst->mem->base;       \
        memsz = inst->mem->size;     \
    } while (0)
#define TRAP(k)             \
    do {                    \
        trap = (k);         \
        goto out;           \
    } while (0)

    goto do_call;

    /* fi: callee; nfp: its frame base (arguments there); pc: return address */
do_call: {
    const struct func *def = fi->def;
    if (def == NULL) {
        const struct functype *ft = fi->type;
        uint64_t pn = ccf_wasm_internal_slots(ft->t, ft->np), rn = ccf_wasm_internal_slots(ft->t + ft->np, ft->nr);
        uint64_t top = pn > rn ? pn : rn;
        if ((size_t)(stack_end - nfp) < top)
            TRAP(CCF_WASM_TRAP_STACK_EXHAUSTED);
        S->sp = nfp + top;
        S->depth = depth;
        S->fuel += fuel; /* a nested run may use it */
        /* compiled functions (jit.c) are entered like host functions: off the hot path */
        trap = fi->jit != NULL ? fi->jit(S, fi, nfp, err, errsz) : ccf_wasm_internal_call_host(inst, fi, nfp, err, errsz);
        fuel = take_slice(S);
        if (trap != CCF_WASM_TRAP_NONE)
            goto out;
        if (depth == depth_base)
            goto done; /* the entry function itself was compiled code */
        RELOAD_MEM();
        NEXT();
    }
    if (depth >= max_depth || (size_t)(stack_end - nfp) < (size_t)def->max_height)
        TRAP(CCF_WASM_TRAP_STACK_EXHAUSTED);
    if (--fuel < 0 && !refuel(S, &fuel))
        goto out_of_fuel;
    frames[depth].ret_pc = pc;
    frames[depth].fp = fp;
    frames[depth].inst = inst;
    depth++;
    fp = nfp;
    memset(fp + def->nparams, 0, (size_t)def->nlocals * sizeof *fp);
    if (fi->inst != inst) {
        inst = fi->inst;
        RELOAD_MEM();
    }
    pc = def->code;
    NEXT();
}

L_CALL:
    fi = inst->funcs[pc[1].u];
    nfp = fp + pc[2].u;
    pc += 3;
    goto do_call;

L_CALL_INDIRECT: {
    struct tableinst *tab = inst->tables[pc[2].u];
    uint32_t i = (uint32_t)R(3);
    if (i >= tab->size)
        TRAP(CCF_WASM_TRAP_UNDEFINED_ELEM);
    fi = (struct funcinst *)(uintptr_t)tab->elems[i];
    if (fi == NULL)
        TRAP(CCF_WASM_TRAP_UNINIT_ELEM);
    if (!ccf_wasm_internal_functype_eq(fi->type, &inst->module->types[pc[1].u]))
        TRAP(CCF_WASM_TRAP_TYPE_MISMATCH);
    nfp = fp + pc[4].u;
    pc += 5;
    goto do_call;
}

L_RETURN: {
    uint64_t n = pc[1].u;
    if (pc[2].u != 0)
        memmove(fp, fp + pc[2].u, n * sizeof *fp);
    depth--;
    pc = frames[depth].ret_pc;
    fp = frames[depth].fp;
    if (depth == depth_base)
        goto done;
    inst = frames[depth].inst;
    RELOAD_MEM();
    NEXT();
}

L_UNREACHABLE:
    TRAP(CCF_WASM_TRAP_UNREACHABLE);
    /* Fuel: one unit per backward branch (a loop iteration) and per call. */
#define TAKE(off)                                                       \
    do {                                                                \
        if ((off) < 0 && --fuel < 0 && !refuel(S, &fuel))               \
            goto out_of_fuel;                                           \
    } while (0)
L_JMP: {
    int64_t off = pc[1].i;
    TAKE(off);
    pc = pc + 1 + off;
    NEXT();
}
L_BR_IF:
    if ((uint32_t)R(1)) {
        int64_t off = pc[2].i;
        TAKE(off);
        pc = pc + 2 + off;
    } else {
        pc += 3;
    }
    NEXT();
L_BR_UNLESS:
    if (!(uint32_t)R(1)) {
        int64_t off = pc[2].i;
        TAKE(off);
        pc = pc + 2 + off;
    } else {
        pc += 3;
    }
    NEXT();
L_BR_MOVE: {
    int64_t off = pc[1].i;
    TAKE(off);
    memmove(fp + pc[2].u, fp + pc[3].u, pc[4].u * sizeof *fp);
    pc = pc + 1 + off;
    NEXT();
}
L_BR_IF_MOVE:
    if ((uint32_t)R(1)) {
        int64_t off = pc[2].i;
        TAKE(off);
        memmove(fp + pc[3].u, fp + pc[4].u, pc[5].u * sizeof *fp);
        pc = pc + 2 + off;
    } else {
        pc += 6;
    }
    NEXT();
L_BR_TABLE: {
    uint32_t n = pc[2].u32;
    uint64_t ar = pc[3].u;
    uint32_t i = (uint32_t)R(1);
    if (i > n)
        i = n;
    const cell *e = pc + 5 + 2 * (size_t)i;
    TAKE(e[0].i);
    if (ar && e[1].u != pc[4].u)
        memmove(fp + e[1].u, fp + pc[4].u, ar * sizeof *fp);
    pc = e + e[0].i;
    NEXT();
}
#define BRC(name, T, cmp)                                       \
    L_BRC_##name : {                                            \
        T a_ = (T)R(1), b_ = (T)R(2);                           \
        if (a_ cmp b_) {                                        \
            int64_t off = pc[3].i;                              \
            TAKE(off);                                          \
            pc = pc + 3 + off;                                  \
        } else {                                                \
            pc += 4;                                            \
        }                                                       \
        NEXT();                                                 \
    }                                                           \
    L_BRC_##name##_I : {                                        \
        T a_ = (T)R(1), b_ = (T)pc[2].u;                        \
        if (a_ cmp b_) {                                        \
            int64_t off = pc[3].i;                              \
            TAKE(off);                                          \
            pc = pc + 3 + off;                                  \
        } else {                                                \
            pc += 4;                                            \
        }                                                       \
        NEXT();                                                 \
    }
    BRC(EQ, uint32_t, ==)
    BRC(NE, uint32_t, !=)
    BRC(LT_S, int32_t, <)
    BRC(LT_U, uint32_t, <)
    BRC(GT_S, int32_t, >)
    BRC(GT_U, uint32_t, >)
    BRC(LE_S, int32_t, <=)
    BRC(LE_U, uint32_t, <=)
    BRC(GE_S, int32_t, >=)
    BRC(GE_U, uint32_t, >=)
L_COPY:
    R(1) = R(2);
    pc += 3;
    NEXT();
L_COPY2:
    R(1) = R(2);
    R(3) = R(4);
    pc += 5;
    NEXT();
L_SELECT:
    R(1) = (uint32_t)R(4) ? R(2) : R(3);
    pc += 5;
    NEXT();
L_CONST:
    R(1) = pc[2].u;
    pc += 3;
    NEXT();
L_GLOBAL_GET:
    R(1) = inst->globals[pc[2].u]->val;
    pc += 3;
    NEXT();
L_GLOBAL_SET:
    inst->globals[pc[1].u]->val = R(2);
    pc += 3;
    NEXT();
L_SELECT128: {
    uint64_t *src = (uint32_t)R(4) ? &fp[pc[2].u] : &fp[pc[3].u];
    uint64_t lo = src[0], hi = src[1];
    fp[pc[1].u] = lo;
    fp[pc[1].u + 1] = hi;
    pc += 5;
    NEXT();
}
L_GLOBAL_GET128: {
    const struct globalinst *g = inst->globals[pc[2].u];
    fp[pc[1].u] = g->val;
    fp[pc[1].u + 1] = g->hi;
    pc += 3;
    NEXT();
}
L_GLOBAL_SET128: {
    struct globalinst *g = inst->globals[pc[1].u];
    g->val = fp[pc[2].u];
    g->hi = fp[pc[2].u + 1];
    pc += 3;
    NEXT();
}

    /* table and bulk ops: operands at fp[base..], result at fp[base] */
L_TABLE_GET: {
    struct tableinst *t = inst->tables[pc[1].u];
    uint64_t *b = fp + pc[2].u;
    uint32_t i = (uint32_t)b[0];
    if (i >= t->size)
        TRAP(CCF_WASM_TRAP_TABLE_OOB);
    b[0] = t->elems[i];
    pc += 3;
    NEXT();
}
L_TABLE_SET: {
    struct tableinst *t = inst->tables[pc[1].u];
    uint64_t *b = fp + pc[2].u;
    uint32_t i = (uint32_t)b[0];
    if (i >= t->size)
        TRAP(CCF_WASM_TRAP_TABLE_OOB);
    t->elems[i] = b[1];
    pc += 3;
    NEXT();
}
L_TABLE_SIZE:
    fp[pc[2].u] = inst->tables[pc[1].u]->size;
    pc += 3;
    NEXT();
L_TABLE_GROW: {
    struct tableinst *t = inst->tables[pc[1].u];
    uint64_t *b = fp + pc[2].u;
    b[0] = (uint32_t)ccf_wasm_internal_table_grow(t, (uint32_t)b[1], b[0]);
    pc += 3;
    NEXT();
}
L_TABLE_FILL: {
    struct tableinst *t = inst->tables[pc[1].u];
    uint64_t *b = fp + pc[2].u;
    uint32_t i = (uint32_t)b[0], n = (uint32_t)b[2];
    uint64_t v = b[1];
    if ((uint64_t)i + n > t->size)
        TRAP(CCF_WASM_TRAP_TABLE_OOB);
    for (uint32_t k = 0; k < n; k++)
        t->elems[i + k] = v;
    pc += 3;
    NEXT();
}
L_TABLE_COPY: {
    struct tableinst *td = inst->tables[pc[1].u], *ts = inst->tables[pc[2].u];
    uint64_t *b = fp + pc[3].u;
    uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
    if ((uint64_t)d + n > td->size || (uint64_t)s + n > ts->size)
        TRAP(CCF_WASM_TRAP_TABLE_OOB);
    if (n)
        memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof *td->elems);
    pc += 4;
    NEXT();
}
L_TABLE_INIT: {
    struct tableinst *t = inst->tables[pc[1].u];
    uint32_t e = pc[2].u32;
    uint64_t *b = fp + pc[3].u;
    uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
    if ((uint64_t)s + n > inst->elem_len[e] || (uint64_t)d + n > t->size)
        TRAP(CCF_WASM_TRAP_TABLE_OOB);
    if (n)
        memcpy(t->elems + d, inst->elem_items[e] + s, (size_t)n * sizeof *t->elems);
    pc += 4;
    NEXT();
}
L_ELEM_DROP:
    inst->elem_len[pc[1].u] = 0;
    pc += 2;
    NEXT();

#define LOAD(name, N, T, ext, addr, offk, len)                  \
    L_##name : {                                                \
        uint64_t ea = (uint64_t)(uint32_t)(addr) + pc[offk].u;  \
        if (ea + (N) > memsz)                                   \
            TRAP(CCF_WASM_TRAP_MEMORY_OOB);                     \
        T v_;                                                   \
        memcpy(&v_, mem + ea, N);                               \
        R(1) = (uint64_t)(ext)v_;                               \
        pc += len;                                              \
        NEXT();                                                 \
    }
#define LOADS(name, N, T, ext)                                          \
    LOAD(name, N, T, ext, R(2), 3, 4)                                   \
    LOAD(name##_RR, N, T, ext, R(2) + R(3), 4, 5)                       \
    LOAD(name##_RI, N, T, ext, R(2) + pc[3].u, 4, 5)
    LOADS(LOAD32, 4, uint32_t, uint64_t)
    LOADS(LOAD64, 8, uint64_t, uint64_t)
    LOADS(LOAD8_S, 1, int8_t, int64_t)
    LOADS(LOAD8_U, 1, uint8_t, uint64_t)
    LOADS(LOAD16_S, 2, int16_t, int64_t)
    LOADS(LOAD16_U, 2, uint16_t, uint64_t)
    LOADS(LOAD32_S, 4, int32_t, int64_t)
#define SEA(N)                                                  \
    uint64_t ea = (uint64_t)(uint32_t)R(1) + pc[3].u;           \
    if (ea + (N) > memsz)                                       \
        TRAP(CCF_WASM_TRAP_MEMORY_OOB);
#define STORE(name, N, T, val)                                  \
    L_##name : {                                                \
        SEA(N);                                                 \
        T v_ = (T)(val);                                        \
        memcpy(mem + ea, &v_, N);                               \
        pc += 4;                                                \
        NEXT();                                                 \
    }
    STORE(STORE8, 1, uint8_t, R(2))
    STORE(STORE16, 2, uint16_t, R(2))
    STORE(STORE32, 4, uint32_t, R(2))
    STORE(STORE64, 8, uint64_t, R(2))
    STORE(STORE8_I, 1, uint8_t, pc[2].u)
    STORE(STORE16_I, 2, uint16_t, pc[2].u)
    STORE(STORE32_I, 4, uint32_t, pc[2].u)
    STORE(STORE64_I, 8, uint64_t, pc[2].u)
#define FMEM(name, expr)                                        \
    L_##name : {                                                \
        uint64_t ea = (uint64_t)(uint32_t)R(3) + pc[4].u;       \
        if (ea + 8 > memsz)                                     \
            TRAP(CCF_WASM_TRAP_MEMORY_OOB);                     \
        uint64_t x_ = R(2), y_;                                 \
        memcpy(&y_, mem + ea, 8);                               \
        R(1) = (expr);                                          \
        pc += 5;                                                \
        NEXT();                                                 \
    }
    FMEM(F64_ADD_M, U64F(F64(x_) + F64(y_)))
    FMEM(F64_SUB_M, U64F(F64(x_) - F64(y_)))
    FMEM(F64_MUL_M, U64F(F64(x_) * F64(y_)))
L_MEMORY_SIZE:
    R(1) = inst->mem->pages;
    pc += 2;
    NEXT();
L_MEMORY_GROW: {
    int64_t r = ccf_wasm_internal_mem_grow(S, inst->mem, (uint32_t)R(2));
    R(1) = (uint32_t)r;
    RELOAD_MEM();
    pc += 3;
    NEXT();
}
L_MEMORY_INIT: {
    uint32_t dseg = pc[1].u32;
    uint64_t *b = fp + pc[2].u;
    uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
    if ((uint64_t)s + n > inst->data_len[dseg] || (uint64_t)d + n > memsz)
        TRAP(CCF_WASM_TRAP_MEMORY_OOB);
    if (n)
        memcpy(mem + d, inst->module->datas[dseg].bytes + s, n);
    pc += 3;
    NEXT();
}
L_DATA_DROP:
    inst->data_len[pc[1].u] = 0;
    pc += 2;
    NEXT();
L_MEMORY_COPY: {
    uint64_t *b = fp + pc[1].u;
    uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
    if ((uint64_t)s + n > memsz || (uint64_t)d + n > memsz)
        TRAP(CCF_WASM_TRAP_MEMORY_OOB);
    if (n)
        memmove(mem + d, mem + s, n);
    pc += 2;
    NEXT();
}
L_MEMORY_FILL: {
    uint64_t *b = fp + pc[1].u;
    uint32_t d = (uint32_t)b[0], n = (uint32_t)b[2];
    int v = (uint8_t)b[1];
    if ((uint64_t)d + n > memsz)
        TRAP(CCF_WASM_TRAP_MEMORY_OOB);
    if (n)
        memset(mem + d, v, n);
    pc += 2;
    NEXT();
}
L_REF_IS_NULL:
    R(1) = R(2) == 0;
    pc += 3;
    NEXT();
L_REF_FUNC:
    R(1) = (uint64_t)(uintptr_t)inst->funcs[pc[2].u];
    pc += 3;
    NEXT();

    /* ---- numeric: x = first operand, y = second (slot or immediate) ---- */
#define A32 ((uint32_t)x_)
#define B32 ((uint32_t)y_)
#define A64 (x_)
#define B64 (y_)
#define BIN(name, expr)                 \
    L_##name : {                        \
        uint64_t x_ = R(2), y_ = R(3);  \
        R(1) = (expr);                  \
        pc += 4;                        \
        NEXT();                         \
    }
#define BIN2(name, expr)                \
    BIN(name, expr)                     \
    L_##name##_I : {                    \
        uint64_t x_ = R(2), y_ = pc[3].u; \
        R(1) = (expr);                  \
        pc += 4;                        \
        NEXT();                         \
    }
#define UN(name, expr)                  \
    L_##name : {                        \
        uint64_t y_ = R(2);             \
        R(1) = (expr);                  \
        pc += 3;                        \
        NEXT();                         \
    }
    UN(I32_EQZ, B32 == 0)
    BIN2(I32_EQ, A32 == B32)
    BIN2(I32_NE, A32 != B32)
    BIN2(I32_LT_S, (int32_t)A32 < (int32_t)B32)
    BIN2(I32_LT_U, A32 < B32)
    BIN2(I32_GT_S, (int32_t)A32 > (int32_t)B32)
    BIN2(I32_GT_U, A32 > B32)
    BIN2(I32_LE_S, (int32_t)A32 <= (int32_t)B32)
    BIN2(I32_LE_U, A32 <= B32)
    BIN2(I32_GE_S, (int32_t)A32 >= (int32_t)B32)
    BIN2(I32_GE_U, A32 >= B32)
    UN(I64_EQZ, B64 == 0)
    BIN2(I64_EQ, A64 == B64)
    BIN2(I64_NE, A64 != B64)
    BIN2(I64_LT_S, (int64_t)A64 < (int64_t)B64)
    BIN2(I64_LT_U, A64 < B64)
    BIN2(I64_GT_S, (int64_t)A64 > (int64_t)B64)
    BIN2(I64_GT_U, A64 > B64)
    BIN2(I64_LE_S, (int64_t)A64 <= (int64_t)B64)
    BIN2(I64_LE_U, A64 <= B64)
    BIN2(I64_GE_S, (int64_t)A64 >= (int64_t)B64)
    BIN2(I64_GE_U, A64 >= B64)
    BIN(F32_EQ, F32(A64) == F32(B64))
    BIN(F32_NE, F32(A64) != F32(B64))
    BIN(F32_LT, F32(A64) < F32(B64))
    BIN(F32_GT, F32(A64) > F32(B64))
    BIN(F32_LE, F32(A64) <= F32(B64))
    BIN(F32_GE, F32(A64) >= F32(B64))
    BIN(F64_EQ, F64(A64) == F64(B64))
    BIN(F64_NE, F64(A64) != F64(B64))
    BIN(F64_LT, F64(A64) < F64(B64))
    BIN(F64_GT, F64(A64) > F64(B64))
    BIN(F64_LE, F64(A64) <= F64(B64))
    BIN(F64_GE, F64(A64) >= F64(B64))

    UN(I32_CLZ, B32 ? (uint32_t)__builtin_clz(B32) : 32u)
    UN(I32_CTZ, B32 ? (uint32_t)__builtin_ctz(B32) : 32u)
    UN(I32_POPCNT, (uint32_t)__builtin_popcount(B32))
    BIN2(I32_ADD, (uint32_t)(A32 + B32))
    BIN2(I32_SUB, (uint32_t)(A32 - B32))
    BIN2(I32_MUL, (uint32_t)(A32 * B32))
L_I32_DIV_S: {
    int32_t a = (int32_t)R(2), b = (int32_t)R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    if (a == INT32_MIN && b == -1)
        TRAP(CCF_WASM_TRAP_INT_OVERFLOW);
    R(1) = (uint32_t)(a / b);
    pc += 4;
    NEXT();
}
L_I32_DIV_U: {
    uint32_t a = (uint32_t)R(2), b = (uint32_t)R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    R(1) = a / b;
    pc += 4;
    NEXT();
}
L_I32_REM_S: {
    int32_t a = (int32_t)R(2), b = (int32_t)R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    R(1) = b == -1 ? 0 : (uint32_t)(a % b);
    pc += 4;
    NEXT();
}
L_I32_REM_U: {
    uint32_t a = (uint32_t)R(2), b = (uint32_t)R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    R(1) = a % b;
    pc += 4;
    NEXT();
}
    BIN2(I32_AND, (uint32_t)(A64 & B64))
    BIN2(I32_OR, (uint32_t)(A64 | B64))
    BIN2(I32_XOR, (uint32_t)(A64 ^ B64))
    BIN2(I32_SHL, (uint32_t)(A32 << (B32 & 31)))
    BIN2(I32_SHR_S, (uint32_t)((int32_t)A32 >> (B32 & 31)))
    BIN2(I32_SHR_U, A32 >> (B32 & 31))
    BIN2(I32_ROTL, (uint32_t)((A32 << (B32 & 31)) | (A32 >> ((32 - (B32 & 31)) & 31))))
    BIN2(I32_ROTR, (uint32_t)((A32 >> (B32 & 31)) | (A32 << ((32 - (B32 & 31)) & 31))))
    UN(I64_CLZ, B64 ? (uint64_t)__builtin_clzll(B64) : 64u)
    UN(I64_CTZ, B64 ? (uint64_t)__builtin_ctzll(B64) : 64u)
    UN(I64_POPCNT, (uint64_t)__builtin_popcountll(B64))
    BIN2(I64_ADD, A64 + B64)
    BIN2(I64_SUB, A64 - B64)
    BIN2(I64_MUL, A64 * B64)
L_I64_DIV_S: {
    int64_t a = (int64_t)R(2), b = (int64_t)R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    if (a == INT64_MIN && b == -1)
        TRAP(CCF_WASM_TRAP_INT_OVERFLOW);
    R(1) = (uint64_t)(a / b);
    pc += 4;
    NEXT();
}
L_I64_DIV_U: {
    uint64_t a = R(2), b = R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    R(1) = a / b;
    pc += 4;
    NEXT();
}
L_I64_REM_S: {
    int64_t a = (int64_t)R(2), b = (int64_t)R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    R(1) = b == -1 ? 0 : (uint64_t)(a % b);
    pc += 4;
    NEXT();
}
L_I64_REM_U: {
    uint64_t a = R(2), b = R(3);
    if (b == 0)
        TRAP(CCF_WASM_TRAP_DIV_ZERO);
    R(1) = a % b;
    pc += 4;
    NEXT();
}
    BIN2(I64_AND, A64 & B64)
    BIN2(I64_OR, A64 | B64)
    BIN2(I64_XOR, A64 ^ B64)
    BIN2(I64_SHL, A64 << (B64 & 63))
    BIN2(I64_SHR_S, (uint64_t)((int64_t)A64 >> (B64 & 63)))
    BIN2(I64_SHR_U, A64 >> (B64 & 63))
    BIN2(I64_ROTL, (A64 << (B64 & 63)) | (A64 >> ((64 - (B64 & 63)) & 63)))
    BIN2(I64_ROTR, (A64 >> (B64 & 63)) | (A64 << ((64 - (B64 & 63)) & 63)))
    UN(F32_ABS, B32 & 0x7fffffffu)
    UN(F32_NEG, B32 ^ 0x80000000u)
    UN(F32_CEIL, quiet32(U32F(ceilf(F32(B64)))))
    UN(F32_FLOOR, quiet32(U32F(floorf(F32(B64)))))
    UN(F32_TRUNC, quiet32(U32F(truncf(F32(B64)))))
    UN(F32_NEAREST, quiet32(U32F(nearbyintf(F32(B64)))))
    UN(F32_SQRT, U32F(sqrtf(F32(B64))))
    BIN2(F32_ADD, U32F(F32(A64) + F32(B64)))
    BIN2(F32_SUB, U32F(F32(A64) - F32(B64)))
    BIN2(F32_MUL, U32F(F32(A64) * F32(B64)))
    BIN2(F32_DIV, U32F(F32(A64) / F32(B64)))
    BIN(F32_MIN, U32F(fmin32(F32(A64), F32(B64))))
    BIN(F32_MAX, U32F(fmax32(F32(A64), F32(B64))))
    BIN(F32_COPYSIGN, (A32 & 0x7fffffffu) | (B32 & 0x80000000u))
    UN(F64_ABS, B64 & 0x7fffffffffffffffull)
    UN(F64_NEG, B64 ^ 0x8000000000000000ull)
    UN(F64_CEIL, quiet64(U64F(ceil(F64(B64)))))
    UN(F64_FLOOR, quiet64(U64F(floor(F64(B64)))))
    UN(F64_TRUNC, quiet64(U64F(trunc(F64(B64)))))
    UN(F64_NEAREST, quiet64(U64F(nearbyint(F64(B64)))))
    UN(F64_SQRT, U64F(sqrt(F64(B64))))
    BIN2(F64_ADD, U64F(F64(A64) + F64(B64)))
    BIN2(F64_SUB, U64F(F64(A64) - F64(B64)))
    BIN2(F64_MUL, U64F(F64(A64) * F64(B64)))
    BIN2(F64_DIV, U64F(F64(A64) / F64(B64)))
    BIN(F64_MIN, U64F(fmin64(F64(A64), F64(B64))))
    BIN(F64_MAX, U64F(fmax64(F64(A64), F64(B64))))
    BIN(F64_COPYSIGN, (A64 & 0x7fffffffffffffffull) | (B64 & 0x8000000000000000ull))

    UN(I32_WRAP_I64, (uint32_t)B64)
#define TRUNC(name, FT, get, lo_ok, hi_ok, cast)            \
    L_##name : {                                            \
        FT x_ = get(R(2));                                  \
        if (isnan(x_))                                      \
            TRAP(CCF_WASM_TRAP_BAD_CONVERSION);             \
        if (!(lo_ok && hi_ok))                              \
            TRAP(CCF_WASM_TRAP_INT_OVERFLOW);               \
        R(1) = cast;                                        \
        pc += 3;                                            \
        NEXT();                                             \
    }
    TRUNC(I32_TRUNC_F32_S, float, F32, x_ >= -2147483648.0f, x_ < 2147483648.0f, (uint32_t)(int32_t)x_)
    TRUNC(I32_TRUNC_F32_U, float, F32, x_ > -1.0f, x_ < 4294967296.0f, (uint32_t)x_)
    TRUNC(I32_TRUNC_F64_S, double, F64, x_ > -2147483649.0, x_ < 2147483648.0, (uint32_t)(int32_t)x_)
    TRUNC(I32_TRUNC_F64_U, double, F64, x_ > -1.0, x_ < 4294967296.0, (uint32_t)x_)
    UN(I64_EXTEND_I32_S, (uint64_t)(int64_t)(int32_t)B32)
    UN(I64_EXTEND_I32_U, (uint64_t)B32)
    TRUNC(I64_TRUNC_F32_S, float, F32, x_ >= -9223372036854775808.0f, x_ < 9223372036854775808.0f,
          (uint64_t)(int64_t)x_)
    TRUNC(I64_TRUNC_F32_U, float, F32, x_ > -1.0f, x_ < 18446744073709551616.0f, (uint64_t)x_)
    TRUNC(I64_TRUNC_F64_S, double, F64, x_ >= -9223372036854775808.0, x_ < 9223372036854775808.0,
          (uint64_t)(int64_t)x_)
    TRUNC(I64_TRUNC_F64_U, double, F64, x_ > -1.0, x_ < 18446744073709551616.0, (uint64_t)x_)
    UN(F32_CONVERT_I32_S, U32F((float)(int32_t)B32))
    UN(F32_CONVERT_I32_U, U32F((float)B32))
    UN(F32_CONVERT_I64_S, U32F((float)(int64_t)B64))
    UN(F32_CONVERT_I64_U, U32F((float)B64))
    UN(F32_DEMOTE_F64, U32F((float)F64(B64)))
    UN(F64_CONVERT_I32_S, U64F((double)(int32_t)B32))
    UN(F64_CONVERT_I32_U, U64F((double)B32))
    UN(F64_CONVERT_I64_S, U64F((double)(int64_t)B64))
    UN(F64_CONVERT_I64_U, U64F((double)B64))
    UN(F64_PROMOTE_F32, U64F((double)F32(B64)))
    UN(I32_EXTEND8_S, (uint32_t)(int32_t)(int8_t)B32)
    UN(I32_EXTEND16_S, (uint32_t)(int32_t)(int16_t)B32)
    UN(I64_EXTEND8_S, (uint64_t)(int64_t)(int8_t)B64)
    UN(I64_EXTEND16_S, (uint64_t)(int64_t)(int16_t)B64)
    UN(I64_EXTEND32_S, (uint64_t)(int64_t)(int32_t)B64)
#define SAT(name, FT, get, lo, hi, lov, hiv, cast)           \
    L_##name : {                                            \
        FT x_ = get(R(2));                                  \
        uint64_t r_;                                        \
        if (isnan(x_))                                      \
            r_ = 0;                                         \
        else if (!(x_ > (lo)))                              \
            r_ = (lov);                                     \
        else if (!(x_ < (hi)))                              \
            r_ = (hiv);                                     \
        else                                                \
            r_ = cast;                                      \
        R(1) = r_;                                          \
        pc += 3;                                            \
        NEXT();                                             \
    }
    SAT(I32_TRUNC_SAT_F32_S, float, F32, -2147483904.0f, 2147483648.0f, 0x80000000u, 0x7fffffffu,
        (uint32_t)(int32_t)x_)
    SAT(I32_TRUNC_SAT_F32_U, float, F32, -1.0f, 4294967296.0f, 0u, 0xffffffffu, (uint32_t)x_)
    SAT(I32_TRUNC_SAT_F64_S, double, F64, -2147483649.0, 2147483648.0, 0x80000000u, 0x7fffffffu,
        (uint32_t)(int32_t)x_)
    SAT(I32_TRUNC_SAT_F64_U, double, F64, -1.0, 4294967296.0, 0u, 0xffffffffu, (uint32_t)x_)
    SAT(I64_TRUNC_SAT_F32_S, float, F32, -9223373136366403584.0f, 9223372036854775808.0f,
        0x8000000000000000ull, 0x7fffffffffffffffull, (uint64_t)(int64_t)x_)
    SAT(I64_TRUNC_SAT_F32_U, float, F32, -1.0f, 18446744073709551616.0f, 0u, ~0ull, (uint64_t)x_)
    SAT(I64_TRUNC_SAT_F64_S, double, F64, -9223372036854777856.0, 9223372036854775808.0,
        0x8000000000000000ull, 0x7fffffffffffffffull, (uint64_t)(int64_t)x_)
    SAT(I64_TRUNC_SAT_F64_U, double, F64, -1.0, 18446744073709551616.0, 0u, ~0ull, (uint64_t)x_)
L_SIMD: {
    const cell *next = simd_step(pc + 1, fp, mem, memsz);
    if (next == NULL)
        TRAP(CCF_WASM_TRAP_MEMORY_OOB);
    pc = next;
    NEXT();
}

done:
    S->depth = depth_base;
    S->fuel += fuel;
    return CCF_WASM_TRAP_NONE;
out_of_fuel:
    trap = CCF_WASM_TRAP_BUDGET_EXHAUSTED;
    if (S->interrupt)
        S->interrupt = 0;
out:
    S->depth = depth_base;
    S->fuel += fuel < 0 ? 0 : fuel;
    if (trap != CCF_WASM_TRAP_HOST && err != NULL && errsz > 0)
        snprintf(err, errsz, "%s", ccf_wasm_trap_string(trap));
    return trap;
}

const void *ccf_wasm_internal_label(enum op op)
{
    const void *const *labels = NULL;
    interp(NULL, NULL, &labels, NULL, 0);
    return labels[op];
}

ccf_wasm_trap ccf_wasm_internal_run(struct ccf_wasm_store *store, struct funcinst *fi, char *err,
                                    size_t err_size)
{
    return interp(store, fi, NULL, err, err_size);
}

const char *ccf_wasm_trap_string(ccf_wasm_trap trap)
{
    switch (trap) {
    case CCF_WASM_TRAP_NONE: return "no trap";
    case CCF_WASM_TRAP_UNREACHABLE: return "unreachable";
    case CCF_WASM_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case CCF_WASM_TRAP_TABLE_OOB: return "out of bounds table access";
    case CCF_WASM_TRAP_UNDEFINED_ELEM: return "undefined element";
    case CCF_WASM_TRAP_UNINIT_ELEM: return "uninitialized element";
    case CCF_WASM_TRAP_TYPE_MISMATCH: return "indirect call type mismatch";
    case CCF_WASM_TRAP_DIV_ZERO: return "integer divide by zero";
    case CCF_WASM_TRAP_INT_OVERFLOW: return "integer overflow";
    case CCF_WASM_TRAP_BAD_CONVERSION: return "invalid conversion to integer";
    case CCF_WASM_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case CCF_WASM_TRAP_BUDGET_EXHAUSTED: return "budget exhausted";
    case CCF_WASM_TRAP_HOST: return "host function failed";
    }
    return "unknown trap";
}
