/* The compiled execution strategy (issue 22, docs/wasm.md "Compiled code").
 *
 * Input: the internal instruction stream load.c made for the interpreter
 * (validated, slot-addressed, branch targets resolved). Each function becomes
 * one LLVM function `void f(jrun *r, instance *inst, u64 *io)`: every frame
 * slot is an alloca (LLVM's mem2reg/SROA turn them into registers), every
 * internal instruction a few IR instructions with exactly the interpreter's
 * semantics (interp.c). Arguments arrive in io[0..), results leave there.
 *
 * Traps: a call to jit_trap(), which longjmps to the entry (jit_enter) -- only
 * generated frames and the helper are skipped, never C code that would need
 * cleaning up. Fuel: a local counter charged one unit at function entry and
 * at every backward branch like the interpreter's, written back to r->fuel
 * around calls; when it runs out jit_refuel() takes the next slice from the
 * store (or traps: budget exhausted / interrupt). Depth: r->depth against the
 * store's max_call_depth; native stack: the frame address against a limit set
 * by the outermost entry. Memory: explicit bounds check per access against
 * the memory's current size, reloaded after anything that can grow it. */
#include "wasm/jit.h"

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm/internal.h"

/* State of one entry into compiled code; generated code reads its fields by offset. */
struct jrun {
    int64_t fuel; /* the current fuel slice (the store holds the rest) */
    uint32_t depth, max_depth;
    uintptr_t stack_limit;
    struct ccf_wasm_store *S;
    char *err;
    size_t errsz;
    ccf_wasm_trap trap;
    jmp_buf jb;
};

typedef void (*jfn)(struct jrun *r, struct ccf_wasm_instance *inst, uint64_t *io);

struct jit_module {
    LLVMOrcLLJITRef jit;
    uint32_t n;
    void **code; /* per defined function: a jfn */
};

/* Native stack the compiled code of one outermost entry may use: deeper
 * recursion traps "call stack exhausted" (the call depth limit usually first). */
#define JIT_STACK_BUDGET (2u << 20)

/* ---------------------------------------------------------------- runtime */

static __attribute__((noreturn)) void jit_trap(struct jrun *r, uint32_t kind)
{
    r->trap = (ccf_wasm_trap)kind;
    longjmp(r->jb, 1);
}

#define take_slice ccf_wasm_internal_take_slice

/* The slice ran out: charge the current unit to a new one, or stop. */
static int64_t jit_refuel(struct jrun *r)
{
    struct ccf_wasm_store *S = r->S;
    if (S->interrupt || S->fuel == 0) {
        S->interrupt = 0;
        r->fuel = 0;
        jit_trap(r, CCF_WASM_TRAP_BUDGET_EXHAUSTED);
    }
    return take_slice(S) - 1;
}

static void host_failed(struct jrun *r, const char *msg)
{
    if (r->err != NULL && r->errsz > 0)
        snprintf(r->err, r->errsz, "%s", msg);
    jit_trap(r, CCF_WASM_TRAP_HOST);
}

/* Calls fi (an import: host, interpreted or compiled in another instance)
 * with its arguments in io; results back in io. */
static void jit_call(struct jrun *r, struct ccf_wasm_instance *caller, struct funcinst *fi, uint64_t *io)
{
    struct ccf_wasm_store *S = r->S;
    if (fi->jit_code != NULL) {
        ((jfn)(uintptr_t)fi->jit_code)(r, fi->inst, io);
        return;
    }
    const struct functype *ft = fi->type;
    /* nested runs (host functions calling back, the interpreter) use the store's counters */
    S->fuel += r->fuel;
    r->fuel = 0;
    S->depth = r->depth;
    char msg[256] = "";
    ccf_wasm_trap t = CCF_WASM_TRAP_NONE;
    if (fi->def == NULL) {
        t = ccf_wasm_internal_call_host(caller, fi, io, msg, sizeof msg);
        r->fuel = take_slice(S);
        if (t != CCF_WASM_TRAP_NONE)
            host_failed(r, msg);
        return;
    }
    /* interpreted callee: its arguments go on the store's value stack */
    uint64_t pn = ccf_wasm_internal_slots(ft->t, ft->np), rn = ccf_wasm_internal_slots(ft->t + ft->np, ft->nr);
    uint64_t *base = S->sp;
    if ((size_t)(S->stack_end - base) < (pn > rn ? pn : rn) + 1) {
        r->fuel = take_slice(S);
        jit_trap(r, CCF_WASM_TRAP_STACK_EXHAUSTED);
    }
    memcpy(base, io, pn * sizeof *io);
    S->sp = base + pn;
    t = ccf_wasm_internal_run(S, fi, msg, sizeof msg);
    S->sp = base;
    r->fuel = take_slice(S);
    if (t == CCF_WASM_TRAP_HOST)
        host_failed(r, msg);
    if (t != CCF_WASM_TRAP_NONE)
        jit_trap(r, t);
    memcpy(io, base, rn * sizeof *io);
}

static void jit_call_indirect(struct jrun *r, struct ccf_wasm_instance *inst, uint32_t table, uint32_t type,
                              uint32_t i, uint64_t *io)
{
    struct tableinst *tab = inst->tables[table];
    if (i >= tab->size)
        jit_trap(r, CCF_WASM_TRAP_UNDEFINED_ELEM);
    struct funcinst *fi = (struct funcinst *)(uintptr_t)tab->elems[i];
    if (fi == NULL)
        jit_trap(r, CCF_WASM_TRAP_UNINIT_ELEM);
    if (!ccf_wasm_internal_functype_eq(fi->type, &inst->module->types[type]))
        jit_trap(r, CCF_WASM_TRAP_TYPE_MISMATCH);
    jit_call(r, inst, fi, io);
}

/* Table, bulk memory and memory.grow: the interpreter's code, operands in b[]. */
static void jit_misc(struct jrun *r, struct ccf_wasm_instance *inst, uint32_t op, uint64_t x, uint64_t y, uint64_t *b)
{
    switch ((enum op)op) {
    case OP_TABLE_GET: {
        struct tableinst *t = inst->tables[x];
        uint32_t i = (uint32_t)b[0];
        if (i >= t->size)
            jit_trap(r, CCF_WASM_TRAP_TABLE_OOB);
        b[0] = t->elems[i];
        break;
    }
    case OP_TABLE_SET: {
        struct tableinst *t = inst->tables[x];
        uint32_t i = (uint32_t)b[0];
        if (i >= t->size)
            jit_trap(r, CCF_WASM_TRAP_TABLE_OOB);
        t->elems[i] = b[1];
        break;
    }
    case OP_TABLE_SIZE:
        b[0] = inst->tables[x]->size;
        break;
    case OP_TABLE_GROW:
        b[0] = (uint32_t)ccf_wasm_internal_table_grow(inst->tables[x], (uint32_t)b[1], b[0]);
        break;
    case OP_TABLE_FILL: {
        struct tableinst *t = inst->tables[x];
        uint32_t i = (uint32_t)b[0], n = (uint32_t)b[2];
        if ((uint64_t)i + n > t->size)
            jit_trap(r, CCF_WASM_TRAP_TABLE_OOB);
        for (uint32_t k = 0; k < n; k++)
            t->elems[i + k] = b[1];
        break;
    }
    case OP_TABLE_COPY: {
        struct tableinst *td = inst->tables[x], *ts = inst->tables[y];
        uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
        if ((uint64_t)d + n > td->size || (uint64_t)s + n > ts->size)
            jit_trap(r, CCF_WASM_TRAP_TABLE_OOB);
        if (n)
            memmove(td->elems + d, ts->elems + s, (size_t)n * sizeof *td->elems);
        break;
    }
    case OP_TABLE_INIT: {
        struct tableinst *t = inst->tables[x];
        uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
        if ((uint64_t)s + n > inst->elem_len[y] || (uint64_t)d + n > t->size)
            jit_trap(r, CCF_WASM_TRAP_TABLE_OOB);
        if (n)
            memcpy(t->elems + d, inst->elem_items[y] + s, (size_t)n * sizeof *t->elems);
        break;
    }
    case OP_ELEM_DROP:
        inst->elem_len[x] = 0;
        break;
    case OP_MEMORY_GROW:
        b[0] = (uint32_t)ccf_wasm_internal_mem_grow(r->S, inst->mem, (uint32_t)b[0]);
        break;
    case OP_MEMORY_INIT: {
        uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
        if ((uint64_t)s + n > inst->data_len[x] || (uint64_t)d + n > inst->mem->size)
            jit_trap(r, CCF_WASM_TRAP_MEMORY_OOB);
        if (n)
            memcpy(inst->mem->base + d, inst->module->datas[x].bytes + s, n);
        break;
    }
    case OP_DATA_DROP:
        inst->data_len[x] = 0;
        break;
    case OP_MEMORY_COPY: {
        uint32_t d = (uint32_t)b[0], s = (uint32_t)b[1], n = (uint32_t)b[2];
        uint64_t memsz = inst->mem->size;
        if ((uint64_t)s + n > memsz || (uint64_t)d + n > memsz)
            jit_trap(r, CCF_WASM_TRAP_MEMORY_OOB);
        if (n)
            memmove(inst->mem->base + d, inst->mem->base + s, n);
        break;
    }
    case OP_MEMORY_FILL: {
        uint32_t d = (uint32_t)b[0], n = (uint32_t)b[2];
        if ((uint64_t)d + n > inst->mem->size)
            jit_trap(r, CCF_WASM_TRAP_MEMORY_OOB);
        if (n)
            memset(inst->mem->base + d, (uint8_t)b[1], n);
        break;
    }
    default:
        jit_trap(r, CCF_WASM_TRAP_UNREACHABLE); /* never generated */
    }
}

#define F32 ccf_wasm_f32
#define U32F ccf_wasm_f32_bits
#define F64 ccf_wasm_f64
#define U64F ccf_wasm_f64_bits

/* Rounding as interp.c does it (libm, a signalling NaN comes out quiet). */
static uint64_t jit_fround(uint32_t op, uint64_t x)
{
    uint64_t v;
    switch ((enum op)op) {
    case OP_F32_CEIL: v = U32F(ceilf(F32(x))); break;
    case OP_F32_FLOOR: v = U32F(floorf(F32(x))); break;
    case OP_F32_TRUNC: v = U32F(truncf(F32(x))); break;
    case OP_F32_NEAREST: v = U32F(nearbyintf(F32(x))); break;
    case OP_F64_CEIL: v = U64F(ceil(F64(x))); return isnan(F64(v)) ? v | 0x0008000000000000ull : v;
    case OP_F64_FLOOR: v = U64F(floor(F64(x))); return isnan(F64(v)) ? v | 0x0008000000000000ull : v;
    case OP_F64_TRUNC: v = U64F(trunc(F64(x))); return isnan(F64(v)) ? v | 0x0008000000000000ull : v;
    case OP_F64_NEAREST: v = U64F(nearbyint(F64(x))); return isnan(F64(v)) ? v | 0x0008000000000000ull : v;
    default: return x;
    }
    return isnan(F32(v)) ? v | 0x00400000u : v;
}

/* Guarded call of compiled code: a trap longjmps back here. */
static ccf_wasm_trap run_guarded(struct jrun *r, jfn f, struct ccf_wasm_instance *inst, uint64_t *io)
{
    if (setjmp(r->jb) != 0)
        return r->trap;
    f(r, inst, io);
    return CCF_WASM_TRAP_NONE;
}

/* The entry the engine calls (funcinst.jit): from ccf_wasm_call (through the
 * interpreter's entry) or from interpreted code calling a compiled function. */
static ccf_wasm_trap jit_enter(struct ccf_wasm_store *S, struct funcinst *fi, uint64_t *io, char *err,
                               size_t err_size)
{
    struct jrun r;
    memset(&r, 0, sizeof r);
    r.S = S;
    r.fuel = take_slice(S);
    r.depth = S->depth;
    r.max_depth = S->limits.max_call_depth;
    r.err = err;
    r.errsz = err_size;
    uint32_t depth0 = S->depth;
    bool outer = S->jit_stack_limit == 0;
    if (outer)
        S->jit_stack_limit = (uintptr_t)__builtin_frame_address(0) - JIT_STACK_BUDGET;
    r.stack_limit = S->jit_stack_limit;
    ccf_wasm_trap t = run_guarded(&r, (jfn)(uintptr_t)fi->jit_code, fi->inst, io);
    if (outer)
        S->jit_stack_limit = 0;
    S->depth = depth0; /* nested runs may have moved it */
    S->fuel += r.fuel < 0 ? 0 : r.fuel;
    if (t != CCF_WASM_TRAP_NONE && t != CCF_WASM_TRAP_HOST && err != NULL && err_size > 0)
        snprintf(err, err_size, "%s", ccf_wasm_trap_string(t));
    return t;
}

/* ---------------------------------------------------------- code generator */

struct cg {
    LLVMContextRef C;
    LLVMModuleRef M;
    LLVMBuilderRef bld;
    LLVMTypeRef i1, i8, i16, i32, i64, f32, f64, vd, i8p, i64p, fnty;
    const ccf_wasm_module *m;
    LLVMValueRef *fns;
    /* the function being generated */
    LLVMValueRef fn, r, inst, io, iobuf, fuel, memsz, membase, memp, depth0;
    LLVMValueRef *slots;
    uint8_t *kconst; /* per slot: last written by CONST in this straight-line block */
    bool oom;
    size_t nslots;
    LLVMBuilderRef abld;       /* allocas, at the start of the entry block */
    LLVMBasicBlockRef entry;
    LLVMBasicBlockRef *bb;     /* per cell: the block starting there, or NULL */
    LLVMBasicBlockRef trap_bb[CCF_WASM_TRAP_HOST + 1];
    char *err;
    size_t errsz;
};

/* ops by handler address */
static struct labop {
    const void *label;
    enum op op;
} labops[OP_COUNT_];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static bool llvm_ok;

static int labop_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)((const struct labop *)a)->label, y = (uintptr_t)((const struct labop *)b)->label;
    return x < y ? -1 : x > y;
}

static void init_once_fn(void)
{
    for (int i = 0; i < OP_COUNT_; i++) {
        labops[i].label = ccf_wasm_internal_label((enum op)i);
        labops[i].op = (enum op)i;
    }
    qsort(labops, OP_COUNT_, sizeof labops[0], labop_cmp);
    llvm_ok = LLVMInitializeNativeTarget() == 0 && LLVMInitializeNativeAsmPrinter() == 0;
}

static int op_of(const void *label)
{
    size_t lo = 0, hi = OP_COUNT_;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((uintptr_t)labops[mid].label < (uintptr_t)label)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < OP_COUNT_ && labops[lo].label == label ? (int)labops[lo].op : -1;
}

/* Length in cells of the instruction at code[pc] (op known), 0 if unsupported. */
static size_t op_len(enum op op, const cell *pc)
{
    switch (op) {
    case OP_UNREACHABLE: return 1;
    case OP_JMP: case OP_ELEM_DROP: case OP_DATA_DROP: case OP_MEMORY_SIZE: case OP_MEMORY_COPY:
    case OP_MEMORY_FILL:
        return 2;
    case OP_BR_IF: case OP_BR_UNLESS: case OP_RETURN: case OP_CALL: case OP_COPY: case OP_CONST:
    case OP_GLOBAL_GET: case OP_GLOBAL_SET: case OP_TABLE_GET: case OP_TABLE_SET: case OP_TABLE_SIZE:
    case OP_TABLE_GROW: case OP_TABLE_FILL: case OP_MEMORY_GROW: case OP_MEMORY_INIT: case OP_REF_IS_NULL:
    case OP_REF_FUNC:
        return 3;
    case OP_TABLE_COPY: case OP_TABLE_INIT: return 4;
    case OP_BR_MOVE: case OP_CALL_INDIRECT: case OP_COPY2: case OP_SELECT: return 5;
    case OP_BR_IF_MOVE: return 6;
    case OP_BR_TABLE: return 5 + 2 * ((size_t)pc[2].u32 + 1);
    case OP_LOAD32: case OP_LOAD64: case OP_LOAD8_S: case OP_LOAD8_U: case OP_LOAD16_S: case OP_LOAD16_U:
    case OP_LOAD32_S: case OP_STORE8: case OP_STORE16: case OP_STORE32: case OP_STORE64: case OP_STORE8_I:
    case OP_STORE16_I: case OP_STORE32_I: case OP_STORE64_I:
        return 4;
    case OP_LOAD32_RR: case OP_LOAD64_RR: case OP_LOAD8_S_RR: case OP_LOAD8_U_RR: case OP_LOAD16_S_RR:
    case OP_LOAD16_U_RR: case OP_LOAD32_S_RR: case OP_LOAD32_RI: case OP_LOAD64_RI: case OP_LOAD8_S_RI:
    case OP_LOAD8_U_RI: case OP_LOAD16_S_RI: case OP_LOAD16_U_RI: case OP_LOAD32_S_RI: case OP_F64_ADD_M:
    case OP_F64_SUB_M: case OP_F64_MUL_M:
        return 5;
    case OP_SELECT128: case OP_GLOBAL_GET128: case OP_GLOBAL_SET128: case OP_SIMD: return 0;
    default: break;
    }
    if (op >= OP_BRC_EQ && op <= OP_BRC_GE_U_I)
        return 4;
    if (op >= OP_I32_EQZ && op <= OP_I64_TRUNC_SAT_F64_U) {
        switch (op) {
        case OP_I32_EQZ: case OP_I64_EQZ: case OP_I32_CLZ: case OP_I32_CTZ: case OP_I32_POPCNT: case OP_I64_CLZ:
        case OP_I64_CTZ: case OP_I64_POPCNT:
            return 3;
        default: break;
        }
        if ((op >= OP_F32_ABS && op <= OP_F32_SQRT) || (op >= OP_F64_ABS && op <= OP_F64_SQRT) ||
            op >= OP_I32_WRAP_I64)
            return 3;
        return 4;
    }
    if (op >= OP_I32_ADD_I && op < OP_COUNT_)
        return 4;
    return 0;
}

#define B (g->bld)

static LLVMValueRef c32(struct cg *g, uint64_t v) { return LLVMConstInt(g->i32, v, 0); }
static LLVMValueRef c64(struct cg *g, uint64_t v) { return LLVMConstInt(g->i64, v, 0); }

static bool grow_slots(struct cg *g, uint64_t k)
{
    size_t n = (size_t)k + 16;
    LLVMValueRef *s = realloc(g->slots, n * sizeof *s);
    if (s == NULL)
        return false;
    g->slots = s;
    uint8_t *kc = realloc(g->kconst, n);
    if (kc == NULL)
        return false;
    g->kconst = kc;
    memset(s + g->nslots, 0, (n - g->nslots) * sizeof *s);
    memset(kc + g->nslots, 0, n - g->nslots);
    g->nslots = n;
    return true;
}

/* The alloca of frame slot k; created on first use (unreachable code may name
 * slots above max_height), zeroed at entry like the interpreter's locals. */
static LLVMValueRef slot(struct cg *g, uint64_t k)
{
    if (k >= g->nslots && !grow_slots(g, k)) {
        g->oom = true; /* reported by gen_func; the IR stays well-formed meanwhile */
        return g->fuel;
    }
    if (g->slots[k] == NULL) {
        LLVMValueRef first = LLVMGetFirstInstruction(g->entry);
        if (first != NULL)
            LLVMPositionBuilderBefore(g->abld, first);
        else
            LLVMPositionBuilderAtEnd(g->abld, g->entry);
        LLVMValueRef a = LLVMBuildAlloca(g->abld, g->i64, "");
        LLVMBuildStore(g->abld, LLVMConstInt(g->i64, 0, 0), a);
        g->slots[k] = a;
    }
    return g->slots[k];
}
static LLVMValueRef rd(struct cg *g, uint64_t k) { return LLVMBuildLoad2(B, g->i64, slot(g, k), ""); }
static void wr(struct cg *g, uint64_t k, LLVMValueRef v)
{
    LLVMBuildStore(B, v, slot(g, k));
    if (k < g->nslots)
        g->kconst[k] = 0;
}
static LLVMValueRef rd32(struct cg *g, uint64_t k) { return LLVMBuildTrunc(B, rd(g, k), g->i32, ""); }
static LLVMValueRef tof32(struct cg *g, LLVMValueRef v64)
{
    return LLVMBuildBitCast(B, LLVMBuildTrunc(B, v64, g->i32, ""), g->f32, "");
}
static LLVMValueRef tof64(struct cg *g, LLVMValueRef v64) { return LLVMBuildBitCast(B, v64, g->f64, ""); }
static LLVMValueRef fromf32(struct cg *g, LLVMValueRef f)
{
    return LLVMBuildZExt(B, LLVMBuildBitCast(B, f, g->i32, ""), g->i64, "");
}
static LLVMValueRef fromf64(struct cg *g, LLVMValueRef f) { return LLVMBuildBitCast(B, f, g->i64, ""); }

/* pointer to field at byte offset off of an i8* base, as ty* */
static LLVMValueRef fieldp(struct cg *g, LLVMValueRef base, size_t off, LLVMTypeRef ty)
{
    LLVMValueRef idx = c64(g, off);
    LLVMValueRef p = LLVMBuildGEP2(B, g->i8, base, &idx, 1, "");
    return LLVMBuildBitCast(B, p, LLVMPointerType(ty, 0), "");
}
static LLVMValueRef ldf(struct cg *g, LLVMValueRef base, size_t off, LLVMTypeRef ty)
{
    return LLVMBuildLoad2(B, ty, fieldp(g, base, off, ty), "");
}

static LLVMValueRef helper(struct cg *g, void *addr, LLVMTypeRef ty)
{
    return LLVMConstIntToPtr(LLVMConstInt(g->i64, (uint64_t)(uintptr_t)addr, 0), LLVMPointerType(ty, 0));
}

static LLVMValueRef intrinsic(struct cg *g, const char *name, LLVMTypeRef *tys, unsigned n, LLVMValueRef *args,
                              unsigned nargs)
{
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMValueRef f = LLVMGetIntrinsicDeclaration(g->M, id, tys, n);
    LLVMTypeRef ft = LLVMIntrinsicGetType(g->C, id, tys, n);
    return LLVMBuildCall2(B, ft, f, args, nargs, "");
}

static LLVMBasicBlockRef newbb(struct cg *g) { return LLVMAppendBasicBlockInContext(g->C, g->fn, ""); }

/* fuel and memory size to/from memory around anything that may run other code */
static void sync_out(struct cg *g)
{
    LLVMBuildStore(B, LLVMBuildLoad2(B, g->i64, g->fuel, ""), fieldp(g, g->r, offsetof(struct jrun, fuel), g->i64));
}
static void sync_in(struct cg *g)
{
    LLVMBuildStore(B, ldf(g, g->r, offsetof(struct jrun, fuel), g->i64), g->fuel);
    if (g->memp != NULL)
        LLVMBuildStore(B, ldf(g, g->memp, offsetof(struct meminst, size), g->i64), g->memsz);
}

static LLVMBasicBlockRef trap_block(struct cg *g, ccf_wasm_trap kind)
{
    if (g->trap_bb[kind] != NULL)
        return g->trap_bb[kind];
    LLVMBasicBlockRef cur = LLVMGetInsertBlock(B);
    LLVMBasicBlockRef t = newbb(g);
    LLVMPositionBuilderAtEnd(B, t);
    sync_out(g);
    LLVMTypeRef ps[2] = {g->i8p, g->i32};
    LLVMTypeRef ft = LLVMFunctionType(g->vd, ps, 2, 0);
    LLVMValueRef args[2] = {g->r, c32(g, (uint64_t)kind)};
    LLVMValueRef call = LLVMBuildCall2(B, ft, helper(g, (void *)jit_trap, ft), args, 2, "");
    LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                             LLVMCreateEnumAttribute(g->C, LLVMGetEnumAttributeKindForName("noreturn", 8), 0));
    LLVMBuildUnreachable(B);
    LLVMPositionBuilderAtEnd(B, cur);
    g->trap_bb[kind] = t;
    return t;
}

/* if (cond) trap kind; continues in a new block */
static void trap_if(struct cg *g, LLVMValueRef cond, ccf_wasm_trap kind)
{
    LLVMBasicBlockRef ok = newbb(g);
    LLVMBuildCondBr(B, cond, trap_block(g, kind), ok);
    LLVMPositionBuilderAtEnd(B, ok);
}

/* one unit of fuel (function entry, backward branch) */
static void charge(struct cg *g)
{
    LLVMValueRef f = LLVMBuildSub(B, LLVMBuildLoad2(B, g->i64, g->fuel, ""), c64(g, 1), "");
    LLVMBuildStore(B, f, g->fuel);
    LLVMBasicBlockRef slow = newbb(g), ok = newbb(g);
    LLVMValueRef neg = LLVMBuildICmp(B, LLVMIntSLT, f, c64(g, 0), "");
    LLVMValueRef expect[2] = {neg, LLVMConstInt(g->i1, 0, 0)};
    LLVMTypeRef t1 = g->i1;
    neg = intrinsic(g, "llvm.expect.i1", &t1, 1, expect, 2);
    LLVMBuildCondBr(B, neg, slow, ok);
    LLVMPositionBuilderAtEnd(B, slow);
    LLVMTypeRef ft = LLVMFunctionType(g->i64, &g->i8p, 1, 0);
    LLVMValueRef nf = LLVMBuildCall2(B, ft, helper(g, (void *)jit_refuel, ft), &g->r, 1, "");
    LLVMBuildStore(B, nf, g->fuel);
    LLVMBuildBr(B, ok);
    LLVMPositionBuilderAtEnd(B, ok);
}

/* jump from the current instruction to cell `target`; off < 0 = backward (charged) */
static void jump(struct cg *g, size_t target, int64_t off)
{
    if (off < 0)
        charge(g);
    LLVMBuildBr(B, g->bb[target]);
}

/* fp[dst..dst+n) = fp[src..src+n) with memmove's semantics (the interpreter's BR_MOVE) */
static void moves(struct cg *g, uint64_t dst, uint64_t src, uint64_t n)
{
    if (dst < src)
        for (uint64_t i = 0; i < n; i++)
            wr(g, dst + i, rd(g, src + i));
    else if (dst > src)
        for (uint64_t i = n; i-- > 0;)
            wr(g, dst + i, rd(g, src + i));
}

/* conditional branch to target with value moves and fuel on the taken edge */
static void cond_branch(struct cg *g, LLVMValueRef cond, size_t target, int64_t off, uint64_t h, uint64_t src,
                        uint64_t n)
{
    LLVMBasicBlockRef next = newbb(g);
    if (off >= 0 && (n == 0 || h == src)) {
        LLVMBuildCondBr(B, cond, g->bb[target], next);
    } else {
        LLVMBasicBlockRef taken = newbb(g);
        LLVMBuildCondBr(B, cond, taken, next);
        LLVMPositionBuilderAtEnd(B, taken);
        moves(g, h, src, n);
        jump(g, target, off);
    }
    LLVMPositionBuilderAtEnd(B, next);
}

static LLVMValueRef ea_check(struct cg *g, LLVMValueRef addr32, uint64_t off, unsigned size)
{
    LLVMValueRef ea = LLVMBuildAdd(B, LLVMBuildZExt(B, addr32, g->i64, ""), c64(g, off), "");
    LLVMValueRef end = LLVMBuildAdd(B, ea, c64(g, size), "");
    trap_if(g, LLVMBuildICmp(B, LLVMIntUGT, end, LLVMBuildLoad2(B, g->i64, g->memsz, ""), ""),
            CCF_WASM_TRAP_MEMORY_OOB);
    return ea;
}
static LLVMValueRef memptr(struct cg *g, LLVMValueRef ea, LLVMTypeRef ty)
{
    LLVMValueRef p = LLVMBuildGEP2(B, g->i8, g->membase, &ea, 1, "");
    return LLVMBuildBitCast(B, p, LLVMPointerType(ty, 0), "");
}
static LLVMValueRef mload(struct cg *g, LLVMValueRef ea, LLVMTypeRef ty)
{
    LLVMValueRef v = LLVMBuildLoad2(B, ty, memptr(g, ea, ty), "");
    LLVMSetAlignment(v, 1);
    return v;
}
static void mstore(struct cg *g, LLVMValueRef ea, LLVMValueRef v, LLVMTypeRef ty)
{
    LLVMValueRef s = LLVMBuildStore(B, LLVMBuildTrunc(B, v, ty, ""), memptr(g, ea, ty));
    LLVMSetAlignment(s, 1);
}

/* call of a helper taking (r, inst, op, x, y, io) with n operands copied from slot base */
static void misc(struct cg *g, enum op op, uint64_t x, uint64_t y, uint64_t base, unsigned nin, unsigned nout)
{
    for (unsigned i = 0; i < nin; i++) {
        LLVMValueRef idx = c64(g, i);
        LLVMBuildStore(B, rd(g, base + i), LLVMBuildGEP2(B, g->i64, g->iobuf, &idx, 1, ""));
    }
    sync_out(g);
    LLVMTypeRef ps[6] = {g->i8p, g->i8p, g->i32, g->i64, g->i64, g->i64p};
    LLVMTypeRef ft = LLVMFunctionType(g->vd, ps, 6, 0);
    LLVMValueRef args[6] = {g->r, g->inst, c32(g, op), c64(g, x), c64(g, y), g->iobuf};
    LLVMBuildCall2(B, ft, helper(g, (void *)jit_misc, ft), args, 6, "");
    sync_in(g);
    for (unsigned i = 0; i < nout; i++) {
        LLVMValueRef idx = c64(g, i);
        wr(g, base + i, LLVMBuildLoad2(B, g->i64, LLVMBuildGEP2(B, g->i64, g->iobuf, &idx, 1, ""), ""));
    }
}

static void io_put(struct cg *g, uint64_t base, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        LLVMValueRef idx = c64(g, i);
        LLVMBuildStore(B, rd(g, base + i), LLVMBuildGEP2(B, g->i64, g->iobuf, &idx, 1, ""));
    }
}
static void io_get(struct cg *g, uint64_t base, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        LLVMValueRef idx = c64(g, i);
        wr(g, base + i, LLVMBuildLoad2(B, g->i64, LLVMBuildGEP2(B, g->i64, g->iobuf, &idx, 1, ""), ""));
    }
}

/* f32/f64 min/max with the interpreter's rules (NaN: a+b; equal: sign decides) */
static LLVMValueRef fminmax(struct cg *g, LLVMValueRef a, LLVMValueRef b, bool is64, bool is_min)
{
    LLVMTypeRef it = is64 ? g->i64 : g->i32;
    LLVMValueRef nan = LLVMBuildFCmp(B, LLVMRealUNO, a, b, "");
    LLVMValueRef eq = LLVMBuildFCmp(B, LLVMRealOEQ, a, b, "");
    LLVMValueRef ab = LLVMBuildBitCast(B, a, it, ""), bb = LLVMBuildBitCast(B, b, it, "");
    LLVMValueRef eqv = LLVMBuildBitCast(B, is_min ? LLVMBuildOr(B, ab, bb, "") : LLVMBuildAnd(B, ab, bb, ""),
                                        LLVMTypeOf(a), "");
    LLVMValueRef lt = LLVMBuildFCmp(B, is_min ? LLVMRealOLT : LLVMRealOGT, a, b, "");
    LLVMValueRef v = LLVMBuildSelect(B, lt, a, b, "");
    v = LLVMBuildSelect(B, eq, eqv, v, "");
    return LLVMBuildSelect(B, nan, LLVMBuildFAdd(B, a, b, ""), v, "");
}

/* checked float -> int (the interpreter's TRUNC ranges) */
static LLVMValueRef ftrunc(struct cg *g, LLVMValueRef x, bool sgn, bool to64, double lo, bool lo_incl, double hi)
{
    LLVMTypeRef ft = LLVMTypeOf(x);
    trap_if(g, LLVMBuildFCmp(B, LLVMRealUNO, x, x, ""), CCF_WASM_TRAP_BAD_CONVERSION);
    LLVMValueRef lok = LLVMBuildFCmp(B, lo_incl ? LLVMRealOGE : LLVMRealOGT, x, LLVMConstReal(ft, lo), "");
    LLVMValueRef hok = LLVMBuildFCmp(B, LLVMRealOLT, x, LLVMConstReal(ft, hi), "");
    trap_if(g, LLVMBuildNot(B, LLVMBuildAnd(B, lok, hok, ""), ""), CCF_WASM_TRAP_INT_OVERFLOW);
    LLVMTypeRef it = to64 ? g->i64 : g->i32;
    LLVMValueRef v = sgn ? LLVMBuildFPToSI(B, x, it, "") : LLVMBuildFPToUI(B, x, it, "");
    return to64 ? v : LLVMBuildZExt(B, v, g->i64, "");
}

static LLVMValueRef fsat(struct cg *g, LLVMValueRef x, bool sgn, bool to64)
{
    LLVMTypeRef tys[2] = {to64 ? g->i64 : g->i32, LLVMTypeOf(x)};
    LLVMValueRef v = intrinsic(g, sgn ? "llvm.fptosi.sat" : "llvm.fptoui.sat", tys, 2, &x, 1);
    return to64 ? v : LLVMBuildZExt(B, v, g->i64, "");
}

/* i32/i64 division and remainder with the interpreter's traps */
static LLVMValueRef divrem(struct cg *g, enum op op, LLVMValueRef a, LLVMValueRef b, bool is64)
{
    LLVMTypeRef t = is64 ? g->i64 : g->i32;
    trap_if(g, LLVMBuildICmp(B, LLVMIntEQ, b, LLVMConstInt(t, 0, 0), ""), CCF_WASM_TRAP_DIV_ZERO);
    LLVMValueRef min = LLVMConstInt(t, is64 ? 0x8000000000000000ull : 0x80000000u, 0);
    LLVMValueRef m1 = LLVMConstAllOnes(t);
    switch (op) {
    case OP_I32_DIV_S: case OP_I64_DIV_S:
        trap_if(g, LLVMBuildAnd(B, LLVMBuildICmp(B, LLVMIntEQ, a, min, ""), LLVMBuildICmp(B, LLVMIntEQ, b, m1, ""), ""),
                CCF_WASM_TRAP_INT_OVERFLOW);
        return LLVMBuildSDiv(B, a, b, "");
    case OP_I32_DIV_U: case OP_I64_DIV_U: return LLVMBuildUDiv(B, a, b, "");
    case OP_I32_REM_U: case OP_I64_REM_U: return LLVMBuildURem(B, a, b, "");
    default: {
        /* b == -1: 0 (x86's idiv would fault on INT_MIN % -1) */
        LLVMValueRef is_m1 = LLVMBuildICmp(B, LLVMIntEQ, b, m1, "");
        LLVMValueRef safe_b = LLVMBuildSelect(B, is_m1, LLVMConstInt(t, 1, 0), b, "");
        return LLVMBuildSRem(B, a, safe_b, "");
    }
    }
}

static LLVMIntPredicate brc_pred(int k)
{
    static const LLVMIntPredicate p[10] = {LLVMIntEQ, LLVMIntNE, LLVMIntSLT, LLVMIntULT, LLVMIntSGT,
                                           LLVMIntUGT, LLVMIntSLE, LLVMIntULE, LLVMIntSGE, LLVMIntUGE};
    return p[k];
}

/* binary integer op (i32 or i64 operands already typed) */
static LLVMValueRef ibin(struct cg *g, enum op op, LLVMValueRef a, LLVMValueRef b, bool is64)
{
    LLVMTypeRef t = is64 ? g->i64 : g->i32;
    LLVMValueRef mask = LLVMConstInt(t, is64 ? 63 : 31, 0);
    int base = is64 ? OP_I64_ADD : OP_I32_ADD;
    switch ((int)op - base) {
    case 0: return LLVMBuildAdd(B, a, b, "");
    case 1: return LLVMBuildSub(B, a, b, "");
    case 2: return LLVMBuildMul(B, a, b, "");
    case 3: case 4: case 5: case 6: return divrem(g, op, a, b, is64);
    case 7: return LLVMBuildAnd(B, a, b, "");
    case 8: return LLVMBuildOr(B, a, b, "");
    case 9: return LLVMBuildXor(B, a, b, "");
    case 10: return LLVMBuildShl(B, a, LLVMBuildAnd(B, b, mask, ""), "");
    case 11: return LLVMBuildAShr(B, a, LLVMBuildAnd(B, b, mask, ""), "");
    case 12: return LLVMBuildLShr(B, a, LLVMBuildAnd(B, b, mask, ""), "");
    default: {
        LLVMValueRef args[3] = {a, a, b};
        return intrinsic(g, (int)op - base == 13 ? "llvm.fshl" : "llvm.fshr", &t, 1, args, 3);
    }
    }
}

static LLVMValueRef icmp(struct cg *g, enum op op, LLVMValueRef a, LLVMValueRef b, bool is64)
{
    int k = (int)op - (is64 ? OP_I64_EQ : OP_I32_EQ);
    return LLVMBuildZExt(B, LLVMBuildICmp(B, brc_pred(k), a, b, ""), g->i64, "");
}

static LLVMValueRef fcmp(struct cg *g, int k, LLVMValueRef a, LLVMValueRef b)
{
    static const LLVMRealPredicate p[6] = {LLVMRealOEQ, LLVMRealUNE, LLVMRealOLT, LLVMRealOGT, LLVMRealOLE, LLVMRealOGE};
    return LLVMBuildZExt(B, LLVMBuildFCmp(B, p[k], a, b, ""), g->i64, "");
}

/* A float value the optimiser cannot see through (an empty asm): LLVM folds
 * x*1, x/1, x-0 and demote(promote(x)) to x, which loses the quieting of a
 * signalling NaN that the hardware (and the interpreter) does. */
static LLVMValueRef opaque(struct cg *g, LLVMValueRef v)
{
    LLVMTypeRef t = LLVMTypeOf(v);
    LLVMTypeRef ft = LLVMFunctionType(t, &t, 1, 0);
    char code[] = "", cons[] = "=x,0";
    LLVMValueRef a = LLVMGetInlineAsm(ft, code, 0, cons, 4, 0, 0, LLVMInlineAsmDialectATT, 0);
    return LLVMBuildCall2(B, ft, a, &v, 1, "");
}

static LLVMValueRef fbin(struct cg *g, int k, LLVMValueRef a, LLVMValueRef b, bool is64)
{
    switch (k) {
    case 0: return LLVMBuildFAdd(B, a, b, "");
    case 1: return LLVMBuildFSub(B, a, b, "");
    case 2: return LLVMBuildFMul(B, a, b, "");
    case 3: return LLVMBuildFDiv(B, a, b, "");
    case 4: return fminmax(g, a, b, is64, true);
    default: return fminmax(g, a, b, is64, false);
    }
}

/* Numeric instructions (unary dst a; binary dst a b; _I: dst a imm). */
static bool numeric(struct cg *g, enum op op, const cell *pc)
{
    uint64_t d = pc[1].u;
    /* immediate forms: map to the base op with b = constant */
    static const enum op imm_base[] = {
#define X(name) OP_##name,
        CCF_WASM_IMM_OPS(X)
#undef X
    };
    bool imm = op >= OP_I32_ADD_I && op < OP_COUNT_;
    if (imm)
        op = imm_base[op - OP_I32_ADD_I];
    LLVMValueRef x = rd(g, pc[2].u);
    LLVMValueRef y = imm ? c64(g, pc[3].u) : NULL;
    if (y == NULL && op_len(op, pc) == 4)
        y = rd(g, pc[3].u);
    LLVMValueRef x32 = LLVMBuildTrunc(B, x, g->i32, ""), y32 = y ? LLVMBuildTrunc(B, y, g->i32, "") : NULL;
    LLVMTypeRef t32 = g->i32, t64 = g->i64;
    LLVMValueRef fz = LLVMConstInt(g->i1, 0, 0);
    LLVMValueRef r;
    if (op == OP_I32_EQZ) {
        r = LLVMBuildZExt(B, LLVMBuildICmp(B, LLVMIntEQ, x32, c32(g, 0), ""), g->i64, "");
    } else if (op == OP_I64_EQZ) {
        r = LLVMBuildZExt(B, LLVMBuildICmp(B, LLVMIntEQ, x, c64(g, 0), ""), g->i64, "");
    } else if (op >= OP_I32_EQ && op <= OP_I32_GE_U) {
        r = icmp(g, op, x32, y32, false);
    } else if (op >= OP_I64_EQ && op <= OP_I64_GE_U) {
        r = icmp(g, op, x, y, true);
    } else if (op >= OP_F32_EQ && op <= OP_F32_GE) {
        r = fcmp(g, (int)op - OP_F32_EQ, tof32(g, x), tof32(g, y));
    } else if (op >= OP_F64_EQ && op <= OP_F64_GE) {
        r = fcmp(g, (int)op - OP_F64_EQ, tof64(g, x), tof64(g, y));
    } else if (op == OP_I32_CLZ || op == OP_I32_CTZ || op == OP_I32_POPCNT) {
        LLVMValueRef a[2] = {x32, fz};
        r = LLVMBuildZExt(B, intrinsic(g, op == OP_I32_CLZ ? "llvm.ctlz" : op == OP_I32_CTZ ? "llvm.cttz" : "llvm.ctpop",
                                       &t32, 1, a, op == OP_I32_POPCNT ? 1 : 2), g->i64, "");
    } else if (op == OP_I64_CLZ || op == OP_I64_CTZ || op == OP_I64_POPCNT) {
        LLVMValueRef a[2] = {x, fz};
        r = intrinsic(g, op == OP_I64_CLZ ? "llvm.ctlz" : op == OP_I64_CTZ ? "llvm.cttz" : "llvm.ctpop", &t64, 1, a,
                      op == OP_I64_POPCNT ? 1 : 2);
    } else if (op >= OP_I32_ADD && op <= OP_I32_ROTR) {
        r = LLVMBuildZExt(B, ibin(g, op, x32, y32, false), g->i64, "");
    } else if (op >= OP_I64_ADD && op <= OP_I64_ROTR) {
        r = ibin(g, op, x, y, true);
    } else if (op == OP_F32_ABS || op == OP_F32_NEG || op == OP_F32_COPYSIGN) {
        if (op == OP_F32_ABS)
            r = LLVMBuildAnd(B, x, c64(g, 0x7fffffffu), "");
        else if (op == OP_F32_NEG)
            r = LLVMBuildXor(B, LLVMBuildAnd(B, x, c64(g, 0xffffffffu), ""), c64(g, 0x80000000u), "");
        else
            r = LLVMBuildOr(B, LLVMBuildAnd(B, x, c64(g, 0x7fffffffu), ""), LLVMBuildAnd(B, y, c64(g, 0x80000000u), ""), "");
    } else if (op == OP_F64_ABS || op == OP_F64_NEG || op == OP_F64_COPYSIGN) {
        if (op == OP_F64_ABS)
            r = LLVMBuildAnd(B, x, c64(g, 0x7fffffffffffffffull), "");
        else if (op == OP_F64_NEG)
            r = LLVMBuildXor(B, x, c64(g, 0x8000000000000000ull), "");
        else
            r = LLVMBuildOr(B, LLVMBuildAnd(B, x, c64(g, 0x7fffffffffffffffull), ""),
                            LLVMBuildAnd(B, y, c64(g, 0x8000000000000000ull), ""), "");
    } else if ((op >= OP_F32_CEIL && op <= OP_F32_NEAREST) || (op >= OP_F64_CEIL && op <= OP_F64_NEAREST)) {
        LLVMTypeRef ps[2] = {g->i32, g->i64};
        LLVMTypeRef ft = LLVMFunctionType(g->i64, ps, 2, 0);
        LLVMValueRef args[2] = {c32(g, op), x};
        r = LLVMBuildCall2(B, ft, helper(g, (void *)jit_fround, ft), args, 2, "");
    } else if (op == OP_F32_SQRT) {
        LLVMValueRef a = tof32(g, x);
        LLVMTypeRef t = g->f32;
        r = fromf32(g, intrinsic(g, "llvm.sqrt", &t, 1, &a, 1));
    } else if (op == OP_F64_SQRT) {
        LLVMValueRef a = tof64(g, x);
        LLVMTypeRef t = g->f64;
        r = fromf64(g, intrinsic(g, "llvm.sqrt", &t, 1, &a, 1));
    } else if ((op >= OP_F32_ADD && op <= OP_F32_MAX) || (op >= OP_F64_ADD && op <= OP_F64_MAX)) {
        /* constant operands hidden from the optimiser (see opaque) */
        bool is64 = op >= OP_F64_ADD;
        LLVMValueRef a = is64 ? tof64(g, x) : tof32(g, x), b = is64 ? tof64(g, y) : tof32(g, y);
        if (pc[2].u < g->nslots && g->kconst[pc[2].u])
            a = opaque(g, a);
        if (imm || (pc[3].u < g->nslots && g->kconst[pc[3].u]))
            b = opaque(g, b);
        LLVMValueRef v = fbin(g, (int)op - (is64 ? OP_F64_ADD : OP_F32_ADD), a, b, is64);
        r = is64 ? fromf64(g, v) : fromf32(g, v);
    } else {
        switch (op) {
        case OP_I32_WRAP_I64: r = LLVMBuildAnd(B, x, c64(g, 0xffffffffu), ""); break;
        case OP_I32_TRUNC_F32_S: r = ftrunc(g, tof32(g, x), true, false, -2147483648.0, true, 2147483648.0); break;
        case OP_I32_TRUNC_F32_U: r = ftrunc(g, tof32(g, x), false, false, -1.0, false, 4294967296.0); break;
        case OP_I32_TRUNC_F64_S: r = ftrunc(g, tof64(g, x), true, false, -2147483649.0, false, 2147483648.0); break;
        case OP_I32_TRUNC_F64_U: r = ftrunc(g, tof64(g, x), false, false, -1.0, false, 4294967296.0); break;
        case OP_I64_EXTEND_I32_S: r = LLVMBuildSExt(B, x32, g->i64, ""); break;
        case OP_I64_EXTEND_I32_U: r = LLVMBuildZExt(B, x32, g->i64, ""); break;
        case OP_I64_TRUNC_F32_S:
            r = ftrunc(g, tof32(g, x), true, true, -9223372036854775808.0, true, 9223372036854775808.0);
            break;
        case OP_I64_TRUNC_F32_U: r = ftrunc(g, tof32(g, x), false, true, -1.0, false, 18446744073709551616.0); break;
        case OP_I64_TRUNC_F64_S:
            r = ftrunc(g, tof64(g, x), true, true, -9223372036854775808.0, true, 9223372036854775808.0);
            break;
        case OP_I64_TRUNC_F64_U: r = ftrunc(g, tof64(g, x), false, true, -1.0, false, 18446744073709551616.0); break;
        case OP_F32_CONVERT_I32_S: r = fromf32(g, LLVMBuildSIToFP(B, x32, g->f32, "")); break;
        case OP_F32_CONVERT_I32_U: r = fromf32(g, LLVMBuildUIToFP(B, x32, g->f32, "")); break;
        case OP_F32_CONVERT_I64_S: r = fromf32(g, LLVMBuildSIToFP(B, x, g->f32, "")); break;
        case OP_F32_CONVERT_I64_U: r = fromf32(g, LLVMBuildUIToFP(B, x, g->f32, "")); break;
        case OP_F32_DEMOTE_F64: r = fromf32(g, LLVMBuildFPTrunc(B, tof64(g, x), g->f32, "")); break;
        case OP_F64_CONVERT_I32_S: r = fromf64(g, LLVMBuildSIToFP(B, x32, g->f64, "")); break;
        case OP_F64_CONVERT_I32_U: r = fromf64(g, LLVMBuildUIToFP(B, x32, g->f64, "")); break;
        case OP_F64_CONVERT_I64_S: r = fromf64(g, LLVMBuildSIToFP(B, x, g->f64, "")); break;
        case OP_F64_CONVERT_I64_U: r = fromf64(g, LLVMBuildUIToFP(B, x, g->f64, "")); break;
        case OP_F64_PROMOTE_F32: r = fromf64(g, opaque(g, LLVMBuildFPExt(B, tof32(g, x), g->f64, ""))); break;
        case OP_I32_EXTEND8_S:
            r = LLVMBuildZExt(B, LLVMBuildSExt(B, LLVMBuildTrunc(B, x, g->i8, ""), g->i32, ""), g->i64, "");
            break;
        case OP_I32_EXTEND16_S:
            r = LLVMBuildZExt(B, LLVMBuildSExt(B, LLVMBuildTrunc(B, x, g->i16, ""), g->i32, ""), g->i64, "");
            break;
        case OP_I64_EXTEND8_S: r = LLVMBuildSExt(B, LLVMBuildTrunc(B, x, g->i8, ""), g->i64, ""); break;
        case OP_I64_EXTEND16_S: r = LLVMBuildSExt(B, LLVMBuildTrunc(B, x, g->i16, ""), g->i64, ""); break;
        case OP_I64_EXTEND32_S: r = LLVMBuildSExt(B, x32, g->i64, ""); break;
        case OP_I32_TRUNC_SAT_F32_S: r = fsat(g, tof32(g, x), true, false); break;
        case OP_I32_TRUNC_SAT_F32_U: r = fsat(g, tof32(g, x), false, false); break;
        case OP_I32_TRUNC_SAT_F64_S: r = fsat(g, tof64(g, x), true, false); break;
        case OP_I32_TRUNC_SAT_F64_U: r = fsat(g, tof64(g, x), false, false); break;
        case OP_I64_TRUNC_SAT_F32_S: r = fsat(g, tof32(g, x), true, true); break;
        case OP_I64_TRUNC_SAT_F32_U: r = fsat(g, tof32(g, x), false, true); break;
        case OP_I64_TRUNC_SAT_F64_S: r = fsat(g, tof64(g, x), true, true); break;
        case OP_I64_TRUNC_SAT_F64_U: r = fsat(g, tof64(g, x), false, true); break;
        default: return false;
        }
    }
    wr(g, d, r);
    return true;
}

static void call_to(struct cg *g, LLVMValueRef callee_fn, LLVMValueRef fi, const struct functype *ft, uint64_t base,
                    bool indirect, uint64_t table, uint64_t type, LLVMValueRef idx)
{
    uint64_t pn = ccf_wasm_internal_slots(ft->t, ft->np), rn = ccf_wasm_internal_slots(ft->t + ft->np, ft->nr);
    io_put(g, base, pn);
    sync_out(g);
    if (indirect) {
        /* fast path inline: the element is a compiled function whose type is this module's
         * type entry itself; anything else (traps, other types, host or interpreted
         * callees) through jit_call_indirect, which checks as the interpreter does */
        LLVMValueRef tabs = ldf(g, g->inst, offsetof(struct ccf_wasm_instance, tables), g->i8p);
        LLVMValueRef tab = ldf(g, tabs, table * sizeof(void *), g->i8p);
        LLVMValueRef size = ldf(g, tab, offsetof(struct tableinst, size), g->i32);
        LLVMBasicBlockRef slow = newbb(g), fast = newbb(g), done = newbb(g), c1 = newbb(g), c2 = newbb(g);
        LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntULT, idx, size, ""), c1, slow);
        LLVMPositionBuilderAtEnd(B, c1);
        LLVMValueRef elems = ldf(g, tab, offsetof(struct tableinst, elems), g->i64p);
        LLVMValueRef i64 = LLVMBuildZExt(B, idx, g->i64, "");
        LLVMValueRef el = LLVMBuildLoad2(B, g->i64, LLVMBuildGEP2(B, g->i64, elems, &i64, 1, ""), "");
        LLVMValueRef fip = LLVMBuildIntToPtr(B, el, g->i8p, "");
        LLVMBuildCondBr(B, LLVMBuildICmp(B, LLVMIntNE, el, c64(g, 0), ""), c2, slow);
        LLVMPositionBuilderAtEnd(B, c2);
        LLVMValueRef fty = ldf(g, fip, offsetof(struct funcinst, type), g->i64);
        LLVMValueRef code = ldf(g, fip, offsetof(struct funcinst, jit_code), g->i8p);
        LLVMValueRef same = LLVMBuildICmp(B, LLVMIntEQ, fty, c64(g, (uint64_t)(uintptr_t)&g->m->types[type]), "");
        LLVMValueRef has = LLVMBuildICmp(B, LLVMIntNE, LLVMBuildPtrToInt(B, code, g->i64, ""), c64(g, 0), "");
        LLVMBuildCondBr(B, LLVMBuildAnd(B, same, has, ""), fast, slow);
        LLVMPositionBuilderAtEnd(B, fast);
        LLVMValueRef cinst = ldf(g, fip, offsetof(struct funcinst, inst), g->i8p);
        LLVMValueRef fargs[3] = {g->r, cinst, g->iobuf};
        LLVMBuildCall2(B, g->fnty, LLVMBuildBitCast(B, code, LLVMPointerType(g->fnty, 0), ""), fargs, 3, "");
        LLVMBuildBr(B, done);
        LLVMPositionBuilderAtEnd(B, slow);
        LLVMTypeRef ps[6] = {g->i8p, g->i8p, g->i32, g->i32, g->i32, g->i64p};
        LLVMTypeRef ty = LLVMFunctionType(g->vd, ps, 6, 0);
        LLVMValueRef args[6] = {g->r, g->inst, c32(g, table), c32(g, type), idx, g->iobuf};
        LLVMBuildCall2(B, ty, helper(g, (void *)jit_call_indirect, ty), args, 6, "");
        LLVMBuildBr(B, done);
        LLVMPositionBuilderAtEnd(B, done);
    } else if (fi != NULL) {
        LLVMTypeRef ps[4] = {g->i8p, g->i8p, g->i8p, g->i64p};
        LLVMTypeRef ty = LLVMFunctionType(g->vd, ps, 4, 0);
        LLVMValueRef args[4] = {g->r, g->inst, fi, g->iobuf};
        LLVMBuildCall2(B, ty, helper(g, (void *)jit_call, ty), args, 4, "");
    } else {
        LLVMValueRef args[3] = {g->r, g->inst, g->iobuf};
        LLVMBuildCall2(B, g->fnty, callee_fn, args, 3, "");
    }
    sync_in(g);
    io_get(g, base, rn);
}

/* Emits one instruction; false if it cannot be compiled. */
static bool emit(struct cg *g, const cell *code, size_t at, enum op op)
{
    const cell *pc = code + at;
#define U(k) (pc[k].u)
    switch (op) {
    case OP_UNREACHABLE:
        LLVMBuildBr(B, trap_block(g, CCF_WASM_TRAP_UNREACHABLE));
        return true;
    case OP_JMP:
        jump(g, (size_t)((int64_t)at + 1 + pc[1].i), pc[1].i);
        return true;
    case OP_BR_IF: case OP_BR_UNLESS: {
        LLVMValueRef c = LLVMBuildICmp(B, op == OP_BR_IF ? LLVMIntNE : LLVMIntEQ, rd32(g, U(1)), c32(g, 0), "");
        cond_branch(g, c, (size_t)((int64_t)at + 2 + pc[2].i), pc[2].i, 0, 0, 0);
        return true;
    }
    case OP_BR_MOVE:
        moves(g, U(2), U(3), U(4));
        jump(g, (size_t)((int64_t)at + 1 + pc[1].i), pc[1].i);
        return true;
    case OP_BR_IF_MOVE: {
        LLVMValueRef c = LLVMBuildICmp(B, LLVMIntNE, rd32(g, U(1)), c32(g, 0), "");
        cond_branch(g, c, (size_t)((int64_t)at + 2 + pc[2].i), pc[2].i, U(3), U(4), U(5));
        return true;
    }
    case OP_BR_TABLE: {
        uint32_t n = pc[2].u32;
        uint64_t ar = U(3), src = U(4);
        LLVMValueRef i = rd32(g, U(1));
        LLVMBasicBlockRef *cases = malloc(((size_t)n + 1) * sizeof *cases);
        if (cases == NULL)
            return false;
        for (uint32_t k = 0; k <= n; k++)
            cases[k] = newbb(g);
        LLVMValueRef sw = LLVMBuildSwitch(B, i, cases[n], n);
        for (uint32_t k = 0; k < n; k++)
            LLVMAddCase(sw, c32(g, k), cases[k]);
        for (uint32_t k = 0; k <= n; k++) {
            size_t e = at + 5 + 2 * (size_t)k;
            LLVMPositionBuilderAtEnd(B, cases[k]);
            if (ar)
                moves(g, code[e + 1].u, src, ar);
            jump(g, (size_t)((int64_t)e + code[e].i), code[e].i);
        }
        free(cases);
        return true;
    }
    case OP_RETURN: {
        uint64_t n = U(1), src = U(2);
        for (uint64_t k = 0; k < n; k++) {
            LLVMValueRef idx = c64(g, k);
            LLVMBuildStore(B, rd(g, src + k), LLVMBuildGEP2(B, g->i64, g->io, &idx, 1, ""));
        }
        LLVMBuildStore(B, g->depth0, fieldp(g, g->r, offsetof(struct jrun, depth), g->i32));
        sync_out(g);
        LLVMBuildRetVoid(B);
        return true;
    }
    case OP_CALL: {
        uint64_t f = U(1);
        const struct functype *ft = &g->m->types[g->m->func_types[f]];
        if (f < g->m->nfunc_imports) {
            LLVMValueRef funcs = ldf(g, g->inst, offsetof(struct ccf_wasm_instance, funcs), g->i8p);
            LLVMValueRef fi = ldf(g, funcs, f * sizeof(void *), g->i8p);
            call_to(g, NULL, fi, ft, U(2), false, 0, 0, NULL);
        } else {
            call_to(g, g->fns[f - g->m->nfunc_imports], NULL, ft, U(2), false, 0, 0, NULL);
        }
        return true;
    }
    case OP_CALL_INDIRECT:
        call_to(g, NULL, NULL, &g->m->types[U(1)], U(4), true, U(2), U(1), rd32(g, U(3)));
        return true;
    case OP_COPY: wr(g, U(1), rd(g, U(2))); return true;
    case OP_COPY2:
        wr(g, U(1), rd(g, U(2)));
        wr(g, U(3), rd(g, U(4)));
        return true;
    case OP_SELECT: {
        LLVMValueRef c = LLVMBuildICmp(B, LLVMIntNE, rd32(g, U(4)), c32(g, 0), "");
        wr(g, U(1), LLVMBuildSelect(B, c, rd(g, U(2)), rd(g, U(3)), ""));
        return true;
    }
    case OP_CONST:
        wr(g, U(1), c64(g, U(2)));
        if (U(1) < g->nslots)
            g->kconst[U(1)] = 1;
        return true;
    case OP_GLOBAL_GET: case OP_GLOBAL_SET: {
        LLVMValueRef gl = ldf(g, g->inst, offsetof(struct ccf_wasm_instance, globals), g->i8p);
        LLVMValueRef gp = ldf(g, gl, (op == OP_GLOBAL_GET ? U(2) : U(1)) * sizeof(void *), g->i8p);
        LLVMValueRef vp = fieldp(g, gp, offsetof(struct globalinst, val), g->i64);
        if (op == OP_GLOBAL_GET)
            wr(g, U(1), LLVMBuildLoad2(B, g->i64, vp, ""));
        else
            LLVMBuildStore(B, rd(g, U(2)), vp);
        return true;
    }
    case OP_TABLE_GET: misc(g, op, U(1), 0, U(2), 1, 1); return true;
    case OP_TABLE_SET: misc(g, op, U(1), 0, U(2), 2, 0); return true;
    case OP_TABLE_SIZE: misc(g, op, U(1), 0, U(2), 0, 1); return true;
    case OP_TABLE_GROW: misc(g, op, U(1), 0, U(2), 2, 1); return true;
    case OP_TABLE_FILL: misc(g, op, U(1), 0, U(2), 3, 0); return true;
    case OP_TABLE_COPY: case OP_TABLE_INIT: misc(g, op, U(1), U(2), U(3), 3, 0); return true;
    case OP_ELEM_DROP: case OP_DATA_DROP: misc(g, op, U(1), 0, 0, 0, 0); return true;
    case OP_MEMORY_INIT: misc(g, op, U(1), 0, U(2), 3, 0); return true;
    case OP_MEMORY_COPY: case OP_MEMORY_FILL: misc(g, op, 0, 0, U(1), 3, 0); return true;
    case OP_MEMORY_GROW: {
        LLVMValueRef idx = c64(g, 0);
        LLVMBuildStore(B, rd(g, U(2)), LLVMBuildGEP2(B, g->i64, g->iobuf, &idx, 1, ""));
        misc(g, op, 0, 0, U(1), 0, 1);
        return true;
    }
    case OP_MEMORY_SIZE:
        wr(g, U(1), LLVMBuildZExt(B, ldf(g, g->memp, offsetof(struct meminst, pages), g->i32), g->i64, ""));
        return true;
    case OP_REF_IS_NULL:
        wr(g, U(1), LLVMBuildZExt(B, LLVMBuildICmp(B, LLVMIntEQ, rd(g, U(2)), c64(g, 0), ""), g->i64, ""));
        return true;
    case OP_REF_FUNC: {
        LLVMValueRef funcs = ldf(g, g->inst, offsetof(struct ccf_wasm_instance, funcs), g->i8p);
        wr(g, U(1), ldf(g, funcs, U(2) * sizeof(void *), g->i64));
        return true;
    }
    case OP_F64_ADD_M: case OP_F64_SUB_M: case OP_F64_MUL_M: {
        LLVMValueRef ea = ea_check(g, rd32(g, U(3)), U(4), 8);
        LLVMValueRef y = tof64(g, mload(g, ea, g->i64)), x = tof64(g, rd(g, U(2)));
        wr(g, U(1), fromf64(g, fbin(g, op - OP_F64_ADD_M, x, y, true)));
        return true;
    }
    default: break;
    }
    /* loads: LOADx dst addr off; _RR dst a b off; _RI dst a imm off */
    if (op >= OP_LOAD32 && op <= OP_LOAD32_S_RI) {
        int k = (op - OP_LOAD32) % 7, form = (op - OP_LOAD32) / 7;
        static const unsigned sizes[7] = {4, 8, 1, 1, 2, 2, 4};
        static const bool sext[7] = {false, false, true, false, true, false, true};
        LLVMValueRef addr;
        uint64_t off;
        if (form == 0) {
            addr = rd32(g, U(2));
            off = U(3);
        } else {
            LLVMValueRef b = form == 1 ? rd(g, U(3)) : c64(g, U(3));
            addr = LLVMBuildTrunc(B, LLVMBuildAdd(B, rd(g, U(2)), b, ""), g->i32, "");
            off = U(4);
        }
        LLVMValueRef ea = ea_check(g, addr, off, sizes[k]);
        LLVMTypeRef t = LLVMIntTypeInContext(g->C, sizes[k] * 8);
        LLVMValueRef v = mload(g, ea, t);
        if (sizes[k] < 8)
            v = sext[k] ? LLVMBuildSExt(B, v, g->i64, "") : LLVMBuildZExt(B, v, g->i64, "");
        wr(g, U(1), v);
        return true;
    }
    if (op >= OP_STORE8 && op <= OP_STORE64_I) {
        static const unsigned sizes[4] = {1, 2, 4, 8};
        unsigned n = sizes[(op - OP_STORE8) % 4];
        LLVMValueRef ea = ea_check(g, rd32(g, U(1)), U(3), n);
        LLVMValueRef v = op >= OP_STORE8_I ? c64(g, U(2)) : rd(g, U(2));
        mstore(g, ea, v, LLVMIntTypeInContext(g->C, n * 8));
        return true;
    }
    if (op >= OP_BRC_EQ && op <= OP_BRC_GE_U_I) {
        bool imm = op >= OP_BRC_EQ_I;
        int k = (int)op - (imm ? OP_BRC_EQ_I : OP_BRC_EQ);
        LLVMValueRef a = rd32(g, U(1)), b = imm ? c32(g, (uint32_t)U(2)) : rd32(g, U(2));
        cond_branch(g, LLVMBuildICmp(B, brc_pred(k), a, b, ""), (size_t)((int64_t)at + 3 + pc[3].i), pc[3].i, 0, 0, 0);
        return true;
    }
    return numeric(g, op, pc);
#undef U
}

/* A branch target: a block starts there. False if outside the function. */
static bool mark_target(struct cg *g, size_t n, int64_t t)
{
    if (t < 0 || (size_t)t >= n)
        return false;
    if (g->bb[t] == NULL)
        g->bb[t] = newbb(g);
    return true;
}

/* Generates function k (defined index). */
static ccf_err gen_func(struct cg *g, uint32_t k)
{
    const struct func *f = &g->m->funcs[k];
    const struct functype *ft = &g->m->types[g->m->func_types[k + g->m->nfunc_imports]];
    ccf_err e = CCF_OK;
    size_t n = f->code_len;
    int *ops = calloc(n + 1, sizeof *ops);
    g->bb = calloc(n + 1, sizeof *g->bb);
    g->nslots = (size_t)f->max_height + 1;
    g->slots = calloc(g->nslots, sizeof *g->slots);
    g->kconst = calloc(g->nslots, 1);
    if (ops == NULL || g->bb == NULL || g->slots == NULL || g->kconst == NULL) {
        e = ccf_errf(g->err, g->errsz, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    memset(g->trap_bb, 0, sizeof g->trap_bb);
    /* pass 1: instruction boundaries, branch targets, the io buffer size */
    for (size_t i = 0; i <= n; i++)
        ops[i] = -2; /* not an instruction start */
    uint64_t iomax = ccf_wasm_internal_slots(ft->t, ft->np + ft->nr) + 4;
    g->fn = g->fns[k];
    for (size_t at = 0; at < n;) {
        int op = op_of(f->code[at].op);
        size_t len = op < 0 ? 0 : op_len((enum op)op, f->code + at);
        if (len == 0 || at + len > n) {
            /* v128 code is refused (the module stays interpreted); anything else is a bug */
            bool v128 = op == OP_SIMD || op == OP_SELECT128 || op == OP_GLOBAL_GET128 || op == OP_GLOBAL_SET128;
            e = ccf_errf(g->err, g->errsz, v128 ? CCF_ERR_UNSUPPORTED : CCF_ERR_INTERNAL,
                         "function %u: instruction at cell %zu not compiled%s", k + g->m->nfunc_imports, at,
                         v128 ? " (v128/SIMD: interpreted)" : "");
            goto out;
        }
        ops[at] = op;
        if (op == OP_CALL || op == OP_CALL_INDIRECT) {
            const struct functype *ct = op == OP_CALL ? &g->m->types[g->m->func_types[f->code[at + 1].u]]
                                                      : &g->m->types[f->code[at + 1].u];
            uint64_t s = ccf_wasm_internal_slots(ct->t, ct->np + ct->nr);
            iomax = s > iomax ? s : iomax;
        }
        at += len;
    }
    LLVMBasicBlockRef entry = newbb(g);
    g->entry = entry;
    /* targets */
    for (size_t at = 0; at < n; at++) {
        if (ops[at] < 0)
            continue;
        const cell *pc = f->code + at;
        bool ok = true;
        switch (ops[at]) {
        case OP_JMP: case OP_BR_MOVE: ok = mark_target(g, n, (int64_t)at + 1 + pc[1].i); break;
        case OP_BR_IF: case OP_BR_UNLESS: case OP_BR_IF_MOVE: ok = mark_target(g, n, (int64_t)at + 2 + pc[2].i); break;
        case OP_BR_TABLE:
            for (uint32_t c = 0; c <= pc[2].u32 && ok; c++) {
                size_t el = at + 5 + 2 * (size_t)c;
                ok = mark_target(g, n, (int64_t)el + f->code[el].i);
            }
            break;
        default:
            if (ops[at] >= OP_BRC_EQ && ops[at] <= OP_BRC_GE_U_I)
                ok = mark_target(g, n, (int64_t)at + 3 + pc[3].i);
        }
        if (!ok)
            goto bad_target;
    }
    for (size_t at = 0; at < n; at++)
        if (g->bb[at] != NULL && ops[at] < 0)
            goto bad_target;

    /* prologue */
    LLVMPositionBuilderAtEnd(B, entry);
    g->r = LLVMGetParam(g->fn, 0);
    g->inst = LLVMGetParam(g->fn, 1);
    g->io = LLVMGetParam(g->fn, 2);
    g->fuel = LLVMBuildAlloca(B, g->i64, "");
    g->memsz = LLVMBuildAlloca(B, g->i64, "");
    g->iobuf = LLVMBuildArrayAlloca(B, g->i64, c64(g, iomax), "");
    for (uint32_t s = 0; s < f->nparams; s++) {
        LLVMValueRef idx = c64(g, s);
        wr(g, s, LLVMBuildLoad2(B, g->i64, LLVMBuildGEP2(B, g->i64, g->io, &idx, 1, ""), ""));
    }
    g->memp = NULL;
    g->membase = NULL;
    LLVMBuildStore(B, c64(g, 0), g->memsz);
    if (g->m->nmems > 0) {
        g->memp = ldf(g, g->inst, offsetof(struct ccf_wasm_instance, mem), g->i8p);
        g->membase = ldf(g, g->memp, offsetof(struct meminst, base), g->i8p);
        LLVMBuildStore(B, ldf(g, g->memp, offsetof(struct meminst, size), g->i64), g->memsz);
    }
    LLVMBuildStore(B, ldf(g, g->r, offsetof(struct jrun, fuel), g->i64), g->fuel);
    /* depth and native stack, then one unit of fuel, like the interpreter's call */
    g->depth0 = ldf(g, g->r, offsetof(struct jrun, depth), g->i32);
    LLVMValueRef maxd = ldf(g, g->r, offsetof(struct jrun, max_depth), g->i32);
    LLVMValueRef zero = c32(g, 0);
    LLVMTypeRef pt = g->i8p;
    LLVMValueRef fa = LLVMBuildPtrToInt(B, intrinsic(g, "llvm.frameaddress", &pt, 1, &zero, 1), g->i64, "");
    LLVMValueRef lim = ldf(g, g->r, offsetof(struct jrun, stack_limit), g->i64);
    trap_if(g, LLVMBuildOr(B, LLVMBuildICmp(B, LLVMIntUGE, g->depth0, maxd, ""), LLVMBuildICmp(B, LLVMIntULT, fa, lim, ""), ""),
            CCF_WASM_TRAP_STACK_EXHAUSTED);
    LLVMBuildStore(B, LLVMBuildAdd(B, g->depth0, c32(g, 1), ""), fieldp(g, g->r, offsetof(struct jrun, depth), g->i32));
    charge(g);

    /* pass 2: the body */
    for (size_t at = 0; at < n; at++) {
        if (ops[at] < 0)
            continue;
        LLVMBasicBlockRef cur = LLVMGetInsertBlock(B);
        bool ended = LLVMGetBasicBlockTerminator(cur) != NULL;
        if (g->bb[at] != NULL) {
            memset(g->kconst, 0, g->nslots);
            if (!ended)
                LLVMBuildBr(B, g->bb[at]);
            LLVMPositionBuilderAtEnd(B, g->bb[at]);
        } else if (ended) {
            LLVMPositionBuilderAtEnd(B, newbb(g)); /* unreachable code */
        }
        if (!emit(g, f->code, at, (enum op)ops[at])) {
            e = ccf_errf(g->err, g->errsz, CCF_ERR_INTERNAL, "function %u: instruction %d at cell %zu not compiled",
                         k + g->m->nfunc_imports, ops[at], at);
            goto out;
        }
    }
    if (LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(B)) == NULL)
        LLVMBuildUnreachable(B);
    if (g->oom)
        e = ccf_errf(g->err, g->errsz, CCF_ERR_NOMEM, "out of memory");
    goto out;
bad_target:
    e = ccf_errf(g->err, g->errsz, CCF_ERR_INTERNAL, "function %u: branch target not at an instruction",
                 k + g->m->nfunc_imports);
out:
    free(ops);
    free(g->bb);
    free(g->slots);
    free(g->kconst);
    g->bb = NULL;
    g->slots = NULL;
    g->kconst = NULL;
    return e;
}

/* ------------------------------------------------------------- the module */

static void jit_free(void *p)
{
    struct jit_module *jm = p;
    if (jm == NULL)
        return;
    if (jm->jit != NULL)
        LLVMOrcDisposeLLJIT(jm->jit);
    free(jm->code);
    free(jm);
}

/* Symbols the generated code may need beyond our helpers (LLVM lowers some
 * operations to libc/libm calls); a static binary has no dynamic symbol
 * table to look them up in. */
static ccf_err define_libcalls(LLVMOrcLLJITRef J, char *err, size_t errsz)
{
    static const struct {
        const char *name;
        void *addr;
    } syms[] = {
        {"memcpy", (void *)memcpy}, {"memmove", (void *)memmove}, {"memset", (void *)memset},
        {"ceilf", (void *)ceilf},   {"floorf", (void *)floorf},   {"truncf", (void *)truncf},
        {"nearbyintf", (void *)nearbyintf}, {"sqrtf", (void *)sqrtf}, {"ceil", (void *)ceil},
        {"floor", (void *)floor},   {"trunc", (void *)trunc},     {"nearbyint", (void *)nearbyint},
        {"sqrt", (void *)sqrt},     {"fmin", (void *)fmin},       {"fmax", (void *)fmax},
        {"fminf", (void *)fminf},   {"fmaxf", (void *)fmaxf},
    };
    enum { NS = sizeof syms / sizeof syms[0] };
    LLVMJITCSymbolMapPair pairs[NS];
    for (size_t i = 0; i < NS; i++) {
        pairs[i].Name = LLVMOrcLLJITMangleAndIntern(J, syms[i].name);
        pairs[i].Sym.Address = (LLVMOrcJITTargetAddress)(uintptr_t)syms[i].addr;
        pairs[i].Sym.Flags.GenericFlags = LLVMJITSymbolGenericFlagsExported | LLVMJITSymbolGenericFlagsCallable;
        pairs[i].Sym.Flags.TargetFlags = 0;
    }
    LLVMOrcMaterializationUnitRef mu = LLVMOrcAbsoluteSymbols(pairs, NS);
    LLVMErrorRef le = LLVMOrcJITDylibDefine(LLVMOrcLLJITGetMainJITDylib(J), mu);
    if (le != NULL) {
        char *msg = LLVMGetErrorMessage(le);
        ccf_err e = ccf_errf(err, errsz, CCF_ERR_INTERNAL, "jit: defining libc symbols: %s", msg);
        LLVMDisposeErrorMessage(msg);
        return e;
    }
    return CCF_OK;
}

static ccf_err llvm_fail(LLVMErrorRef le, const char *what, char *err, size_t errsz)
{
    char *msg = LLVMGetErrorMessage(le);
    ccf_err e = ccf_errf(err, errsz, CCF_ERR_INTERNAL, "jit: %s: %s", what, msg);
    LLVMDisposeErrorMessage(msg);
    return e;
}

static double last_us;
static size_t last_bytes;

void ccf_wasm_jit_last_stats(double *compile_us, size_t *wasm_bytes)
{
    if (compile_us)
        *compile_us = last_us;
    if (wasm_bytes)
        *wasm_bytes = last_bytes;
}

bool ccf_wasm_jit_compiled(const ccf_wasm_module *m) { return m != NULL && m->jit != NULL; }

/* v128 anywhere in the module's types or globals: not compiled */
static bool uses_v128(const ccf_wasm_module *m)
{
    for (uint32_t i = 0; i < m->ntypes; i++)
        for (uint32_t k = 0; k < m->types[i].np + m->types[i].nr; k++)
            if (m->types[i].t[k] == WASM_V128)
                return true;
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (m->globals[i].type == WASM_V128)
            return true;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == 3 && m->imports[i].valtype == WASM_V128)
            return true;
    return false;
}

ccf_err ccf_wasm_jit_compile(ccf_wasm_module *m, char *err, size_t errsz)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0); /* CPU time: the machine may be shared */
    if (m == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "no module");
    if (m->jit != NULL)
        return CCF_OK;
    if (uses_v128(m))
        return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED, "the compiler does not translate v128 values (SIMD)");
    pthread_once(&init_once, init_once_fn);
    if (!llvm_ok)
        return ccf_errf(err, errsz, CCF_ERR_INTERNAL, "jit: LLVM's native target is not available");
    ccf_err e = CCF_OK;
    uint32_t nd = m->nfuncs - m->nfunc_imports;
    struct jit_module *jm = calloc(1, sizeof *jm);
    struct cg gs, *g = &gs;
    memset(g, 0, sizeof *g);
    LLVMOrcThreadSafeContextRef tsc = NULL;
    LLVMTargetMachineRef tm = NULL;
    char *cpu = NULL, *features = NULL, *triple = NULL;
    g->fns = calloc((size_t)nd + 1, sizeof *g->fns);
    if (jm == NULL || g->fns == NULL || (jm->code = calloc((size_t)nd + 1, sizeof *jm->code)) == NULL) {
        e = ccf_errf(err, errsz, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    jm->n = nd;
    tsc = LLVMOrcCreateNewThreadSafeContext();
    g->C = LLVMOrcThreadSafeContextGetContext(tsc);
    g->M = LLVMModuleCreateWithNameInContext("wasm", g->C);
    g->bld = LLVMCreateBuilderInContext(g->C);
    g->abld = LLVMCreateBuilderInContext(g->C);
    g->m = m;
    g->err = err;
    g->errsz = errsz;
    g->i1 = LLVMInt1TypeInContext(g->C);
    g->i8 = LLVMInt8TypeInContext(g->C);
    g->i16 = LLVMInt16TypeInContext(g->C);
    g->i32 = LLVMInt32TypeInContext(g->C);
    g->i64 = LLVMInt64TypeInContext(g->C);
    g->f32 = LLVMFloatTypeInContext(g->C);
    g->f64 = LLVMDoubleTypeInContext(g->C);
    g->vd = LLVMVoidTypeInContext(g->C);
    g->i8p = LLVMPointerType(g->i8, 0);
    g->i64p = LLVMPointerType(g->i64, 0);
    LLVMTypeRef ps[3] = {g->i8p, g->i8p, g->i64p};
    g->fnty = LLVMFunctionType(g->vd, ps, 3, 0);
    for (uint32_t k = 0; k < nd; k++) {
        char name[32];
        snprintf(name, sizeof name, "f%u", k);
        g->fns[k] = LLVMAddFunction(g->M, name, g->fnty);
        /* traps leave by longjmp, never by unwinding */
        LLVMAddAttributeAtIndex(g->fns[k], LLVMAttributeFunctionIndex,
                                LLVMCreateEnumAttribute(g->C, LLVMGetEnumAttributeKindForName("nounwind", 8), 0));
    }
    for (uint32_t k = 0; k < nd; k++)
        if ((e = gen_func(g, k)) != CCF_OK)
            goto out;
    char *vmsg = NULL;
    if (LLVMVerifyModule(g->M, LLVMReturnStatusAction, &vmsg)) {
        e = ccf_errf(err, errsz, CCF_ERR_INTERNAL, "jit: generated code does not verify: %.200s", vmsg ? vmsg : "");
        LLVMDisposeMessage(vmsg);
        goto out;
    }
    LLVMDisposeMessage(vmsg);
    /* optimise for this CPU (the code never leaves the process) */
    triple = LLVMGetDefaultTargetTriple();
    cpu = LLVMGetHostCPUName();
    features = LLVMGetHostCPUFeatures();
    LLVMTargetRef target;
    char *terr = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &terr)) {
        e = ccf_errf(err, errsz, CCF_ERR_INTERNAL, "jit: no target: %s", terr ? terr : "");
        LLVMDisposeMessage(terr);
        goto out;
    }
    tm = LLVMCreateTargetMachine(target, triple, cpu, features, LLVMCodeGenLevelDefault, LLVMRelocDefault,
                                 LLVMCodeModelJITDefault);
    LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
    LLVMErrorRef le = LLVMRunPasses(g->M, "default<O2>", tm, po);
    LLVMDisposePassBuilderOptions(po);
    if (le != NULL) {
        e = llvm_fail(le, "optimising", err, errsz);
        goto out;
    }
    if ((le = LLVMOrcCreateLLJIT(&jm->jit, NULL)) != NULL) {
        e = llvm_fail(le, "creating the JIT", err, errsz);
        goto out;
    }
    if ((e = define_libcalls(jm->jit, err, errsz)) != CCF_OK)
        goto out;
    LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(g->M, tsc);
    g->M = NULL; /* owned by tsm, then by the JIT */
    if ((le = LLVMOrcLLJITAddLLVMIRModule(jm->jit, LLVMOrcLLJITGetMainJITDylib(jm->jit), tsm)) != NULL) {
        LLVMOrcDisposeThreadSafeModule(tsm);
        e = llvm_fail(le, "adding the module", err, errsz);
        goto out;
    }
    for (uint32_t k = 0; k < nd; k++) {
        char name[32];
        snprintf(name, sizeof name, "f%u", k);
        LLVMOrcExecutorAddress a = 0;
        if ((le = LLVMOrcLLJITLookup(jm->jit, &a, name)) != NULL) {
            e = llvm_fail(le, "compiling", err, errsz);
            goto out;
        }
        jm->code[k] = (void *)(uintptr_t)a;
    }
    m->jit = jm;
    m->jit_enter = jit_enter;
    m->jit_code = jm->code;
    m->jit_free = jit_free;
    jm = NULL;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    last_us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
    last_bytes = m->len;
out:
    if (g->bld != NULL)
        LLVMDisposeBuilder(g->bld);
    if (g->abld != NULL)
        LLVMDisposeBuilder(g->abld);
    if (g->M != NULL)
        LLVMDisposeModule(g->M);
    if (tsc != NULL)
        LLVMOrcDisposeThreadSafeContext(tsc);
    if (tm != NULL)
        LLVMDisposeTargetMachine(tm);
    LLVMDisposeMessage(cpu);
    LLVMDisposeMessage(features);
    LLVMDisposeMessage(triple);
    free(g->fns);
    jit_free(jm);
    return e;
}
