/* Engine internals shared by load.c (decoder, validator, code generator),
 * interp.c (interpreter) and store.c (the store: instances, memories, tables; API). Not installed. */
#ifndef CCF_WASM_INTERNAL_H
#define CCF_WASM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "wasm/wasm.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the engine assumes a little-endian host"
#endif

#define WASM_PAGE 65536u
#define WASM_MAX_PAGES 65536u

/* One cell of the internal instruction stream: a handler address followed by
 * pre-decoded immediates, one cell each. */
typedef union cell {
    const void *op;
    uint64_t u;
    int64_t i;
    uint32_t u32;
    const union cell *target;
} cell;

/* Internal instruction set (see docs/wasm.md). Operands and results are
 * frame slots (fp-relative offsets) fixed at validation time; immediates
 * follow the handler cell. Comments give the immediates in order. */
#define CCF_WASM_OPS(X) \
    X(UNREACHABLE) X(JMP) /* t */ X(BR_IF) /* c t */ X(BR_UNLESS) /* c t */ \
    X(BR_MOVE) /* t h src n */ X(BR_IF_MOVE) /* c t h src n */ \
    X(BR_TABLE) /* i n arity src, (n+1) x (t h) */ \
    X(RETURN) /* n src */ X(CALL) /* f base */ X(CALL_INDIRECT) /* type table i base */ \
    X(COPY) /* dst src */ X(COPY2) /* dst src dst2 src2 */ X(SELECT) /* dst a b c */ X(CONST) /* dst value */ \
    X(GLOBAL_GET) /* dst idx */ X(GLOBAL_SET) /* idx src */ \
    X(TABLE_GET) X(TABLE_SET) X(TABLE_SIZE) X(TABLE_GROW) X(TABLE_FILL) /* t base */ \
    X(TABLE_COPY) /* d s base */ X(TABLE_INIT) /* t e base */ X(ELEM_DROP) /* e */ \
    X(LOAD32) X(LOAD64) X(LOAD8_S) X(LOAD8_U) X(LOAD16_S) X(LOAD16_U) X(LOAD32_S) /* dst addr off */ \
    /* address = a + b (i32.add folded in): dst a b off */ \
    X(LOAD32_RR) X(LOAD64_RR) X(LOAD8_S_RR) X(LOAD8_U_RR) X(LOAD16_S_RR) X(LOAD16_U_RR) X(LOAD32_S_RR) \
    /* address = a + imm: dst a imm off */ \
    X(LOAD32_RI) X(LOAD64_RI) X(LOAD8_S_RI) X(LOAD8_U_RI) X(LOAD16_S_RI) X(LOAD16_U_RI) X(LOAD32_S_RI) \
    X(STORE8) X(STORE16) X(STORE32) X(STORE64) /* addr val off */ \
    X(STORE8_I) X(STORE16_I) X(STORE32_I) X(STORE64_I) /* addr imm off */ \
    /* f64 op with its second operand loaded from memory: dst a addr off */ \
    X(F64_ADD_M) X(F64_SUB_M) X(F64_MUL_M) \
    X(MEMORY_SIZE) /* dst */ X(MEMORY_GROW) /* dst a */ X(MEMORY_INIT) /* d base */ \
    X(DATA_DROP) /* d */ X(MEMORY_COPY) X(MEMORY_FILL) /* base */ \
    X(REF_IS_NULL) /* dst a */ X(REF_FUNC) /* dst idx */ \
    /* numeric: unary dst a; binary dst a b */ \
    X(I32_EQZ) X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) \
    X(I32_LE_S) X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) \
    X(I64_EQZ) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) \
    X(I64_LE_S) X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) \
    X(F32_EQ) X(F32_NE) X(F32_LT) X(F32_GT) X(F32_LE) X(F32_GE) \
    X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) X(F64_LE) X(F64_GE) \
    X(I32_CLZ) X(I32_CTZ) X(I32_POPCNT) X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_DIV_S) \
    X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U) X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) \
    X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL) X(I32_ROTR) \
    X(I64_CLZ) X(I64_CTZ) X(I64_POPCNT) X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_DIV_S) \
    X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U) X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) \
    X(I64_SHR_S) X(I64_SHR_U) X(I64_ROTL) X(I64_ROTR) \
    X(F32_ABS) X(F32_NEG) X(F32_CEIL) X(F32_FLOOR) X(F32_TRUNC) X(F32_NEAREST) X(F32_SQRT) \
    X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F32_MIN) X(F32_MAX) X(F32_COPYSIGN) \
    X(F64_ABS) X(F64_NEG) X(F64_CEIL) X(F64_FLOOR) X(F64_TRUNC) X(F64_NEAREST) X(F64_SQRT) \
    X(F64_ADD) X(F64_SUB) X(F64_MUL) X(F64_DIV) X(F64_MIN) X(F64_MAX) X(F64_COPYSIGN) \
    X(I32_WRAP_I64) X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S) X(I32_TRUNC_F64_U) \
    X(I64_EXTEND_I32_S) X(I64_EXTEND_I32_U) X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) \
    X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U) X(F32_CONVERT_I32_S) X(F32_CONVERT_I32_U) \
    X(F32_CONVERT_I64_S) X(F32_CONVERT_I64_U) X(F32_DEMOTE_F64) X(F64_CONVERT_I32_S) \
    X(F64_CONVERT_I32_U) X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U) X(F64_PROMOTE_F32) \
    X(I32_EXTEND8_S) X(I32_EXTEND16_S) X(I64_EXTEND8_S) X(I64_EXTEND16_S) X(I64_EXTEND32_S) \
    X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) X(I32_TRUNC_SAT_F64_S) X(I32_TRUNC_SAT_F64_U) \
    X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U) X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U) \
    /* fused i32 compare + conditional branch: a b t (taken when a CMP b) */ \
    X(BRC_EQ) X(BRC_NE) X(BRC_LT_S) X(BRC_LT_U) X(BRC_GT_S) X(BRC_GT_U) X(BRC_LE_S) X(BRC_LE_U) \
    X(BRC_GE_S) X(BRC_GE_U) \
    /* the same with b an immediate: a imm t */ \
    X(BRC_EQ_I) X(BRC_NE_I) X(BRC_LT_S_I) X(BRC_LT_U_I) X(BRC_GT_S_I) X(BRC_GT_U_I) X(BRC_LE_S_I) \
    X(BRC_LE_U_I) X(BRC_GE_S_I) X(BRC_GE_U_I) \
    /* v128 values take two slots (low half first) */ \
    X(SELECT128) /* dst a b c */ \
    X(GLOBAL_GET128) /* dst idx */ X(GLOBAL_SET128) /* idx src */ \
    X(SIMD) /* vector instruction: simd-op, then its operands (below) */

/* One internal op per vector instruction (opcodes.h, same names). They are
 * not handlers of the interpreter's own: every vector instruction is the
 * handler SIMD followed by its op (OP_<name> - OP_SIMD_BASE_) in the cell
 * after, which an out-of-line function in interp.c executes, so the scalar
 * handlers keep their registers. From that cell on: the result slot (dst)
 * if the signature has one, the operand slots, then the immediates: memarg
 * offset, lane index, v128.const/shuffle bytes as two cells (low, high). */
#define CCF_WASM_SIMD_OPS(X) \
    X(V128_LOAD) X(V128_LOAD8X8_S) X(V128_LOAD8X8_U) X(V128_LOAD16X4_S) X(V128_LOAD16X4_U) \
    X(V128_LOAD32X2_S) X(V128_LOAD32X2_U) X(V128_LOAD8_SPLAT) X(V128_LOAD16_SPLAT) \
    X(V128_LOAD32_SPLAT) X(V128_LOAD64_SPLAT) X(V128_STORE) X(V128_CONST) X(I8X16_SHUFFLE) \
    X(I8X16_SWIZZLE) X(I8X16_SPLAT) X(I16X8_SPLAT) X(I32X4_SPLAT) X(I64X2_SPLAT) X(F32X4_SPLAT) \
    X(F64X2_SPLAT) X(I8X16_EXTRACT_LANE_S) X(I8X16_EXTRACT_LANE_U) X(I8X16_REPLACE_LANE) \
    X(I16X8_EXTRACT_LANE_S) X(I16X8_EXTRACT_LANE_U) X(I16X8_REPLACE_LANE) X(I32X4_EXTRACT_LANE) \
    X(I32X4_REPLACE_LANE) X(I64X2_EXTRACT_LANE) X(I64X2_REPLACE_LANE) X(F32X4_EXTRACT_LANE) \
    X(F32X4_REPLACE_LANE) X(F64X2_EXTRACT_LANE) X(F64X2_REPLACE_LANE) X(I8X16_EQ) X(I8X16_NE) \
    X(I8X16_LT_S) X(I8X16_LT_U) X(I8X16_GT_S) X(I8X16_GT_U) X(I8X16_LE_S) X(I8X16_LE_U) \
    X(I8X16_GE_S) X(I8X16_GE_U) X(I16X8_EQ) X(I16X8_NE) X(I16X8_LT_S) X(I16X8_LT_U) X(I16X8_GT_S) \
    X(I16X8_GT_U) X(I16X8_LE_S) X(I16X8_LE_U) X(I16X8_GE_S) X(I16X8_GE_U) X(I32X4_EQ) X(I32X4_NE) \
    X(I32X4_LT_S) X(I32X4_LT_U) X(I32X4_GT_S) X(I32X4_GT_U) X(I32X4_LE_S) X(I32X4_LE_U) \
    X(I32X4_GE_S) X(I32X4_GE_U) X(F32X4_EQ) X(F32X4_NE) X(F32X4_LT) X(F32X4_GT) X(F32X4_LE) \
    X(F32X4_GE) X(F64X2_EQ) X(F64X2_NE) X(F64X2_LT) X(F64X2_GT) X(F64X2_LE) X(F64X2_GE) X(V128_NOT) \
    X(V128_AND) X(V128_ANDNOT) X(V128_OR) X(V128_XOR) X(V128_BITSELECT) X(V128_ANY_TRUE) \
    X(V128_LOAD8_LANE) X(V128_LOAD16_LANE) X(V128_LOAD32_LANE) X(V128_LOAD64_LANE) \
    X(V128_STORE8_LANE) X(V128_STORE16_LANE) X(V128_STORE32_LANE) X(V128_STORE64_LANE) \
    X(V128_LOAD32_ZERO) X(V128_LOAD64_ZERO) X(F32X4_DEMOTE_F64X2_ZERO) X(F64X2_PROMOTE_LOW_F32X4) \
    X(I8X16_ABS) X(I8X16_NEG) X(I8X16_POPCNT) X(I8X16_ALL_TRUE) X(I8X16_BITMASK) \
    X(I8X16_NARROW_I16X8_S) X(I8X16_NARROW_I16X8_U) X(F32X4_CEIL) X(F32X4_FLOOR) X(F32X4_TRUNC) \
    X(F32X4_NEAREST) X(I8X16_SHL) X(I8X16_SHR_S) X(I8X16_SHR_U) X(I8X16_ADD) X(I8X16_ADD_SAT_S) \
    X(I8X16_ADD_SAT_U) X(I8X16_SUB) X(I8X16_SUB_SAT_S) X(I8X16_SUB_SAT_U) X(F64X2_CEIL) \
    X(F64X2_FLOOR) X(I8X16_MIN_S) X(I8X16_MIN_U) X(I8X16_MAX_S) X(I8X16_MAX_U) X(F64X2_TRUNC) \
    X(I8X16_AVGR_U) X(I16X8_EXTADD_PAIRWISE_I8X16_S) X(I16X8_EXTADD_PAIRWISE_I8X16_U) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_S) X(I32X4_EXTADD_PAIRWISE_I16X8_U) X(I16X8_ABS) X(I16X8_NEG) \
    X(I16X8_Q15MULR_SAT_S) X(I16X8_ALL_TRUE) X(I16X8_BITMASK) X(I16X8_NARROW_I32X4_S) \
    X(I16X8_NARROW_I32X4_U) X(I16X8_EXTEND_LOW_I8X16_S) X(I16X8_EXTEND_HIGH_I8X16_S) \
    X(I16X8_EXTEND_LOW_I8X16_U) X(I16X8_EXTEND_HIGH_I8X16_U) X(I16X8_SHL) X(I16X8_SHR_S) \
    X(I16X8_SHR_U) X(I16X8_ADD) X(I16X8_ADD_SAT_S) X(I16X8_ADD_SAT_U) X(I16X8_SUB) \
    X(I16X8_SUB_SAT_S) X(I16X8_SUB_SAT_U) X(F64X2_NEAREST) X(I16X8_MUL) X(I16X8_MIN_S) \
    X(I16X8_MIN_U) X(I16X8_MAX_S) X(I16X8_MAX_U) X(I16X8_AVGR_U) X(I16X8_EXTMUL_LOW_I8X16_S) \
    X(I16X8_EXTMUL_HIGH_I8X16_S) X(I16X8_EXTMUL_LOW_I8X16_U) X(I16X8_EXTMUL_HIGH_I8X16_U) \
    X(I32X4_ABS) X(I32X4_NEG) X(I32X4_ALL_TRUE) X(I32X4_BITMASK) X(I32X4_EXTEND_LOW_I16X8_S) \
    X(I32X4_EXTEND_HIGH_I16X8_S) X(I32X4_EXTEND_LOW_I16X8_U) X(I32X4_EXTEND_HIGH_I16X8_U) \
    X(I32X4_SHL) X(I32X4_SHR_S) X(I32X4_SHR_U) X(I32X4_ADD) X(I32X4_SUB) X(I32X4_MUL) X(I32X4_MIN_S) \
    X(I32X4_MIN_U) X(I32X4_MAX_S) X(I32X4_MAX_U) X(I32X4_DOT_I16X8_S) X(I32X4_EXTMUL_LOW_I16X8_S) \
    X(I32X4_EXTMUL_HIGH_I16X8_S) X(I32X4_EXTMUL_LOW_I16X8_U) X(I32X4_EXTMUL_HIGH_I16X8_U) \
    X(I64X2_ABS) X(I64X2_NEG) X(I64X2_ALL_TRUE) X(I64X2_BITMASK) X(I64X2_EXTEND_LOW_I32X4_S) \
    X(I64X2_EXTEND_HIGH_I32X4_S) X(I64X2_EXTEND_LOW_I32X4_U) X(I64X2_EXTEND_HIGH_I32X4_U) \
    X(I64X2_SHL) X(I64X2_SHR_S) X(I64X2_SHR_U) X(I64X2_ADD) X(I64X2_SUB) X(I64X2_MUL) X(I64X2_EQ) \
    X(I64X2_NE) X(I64X2_LT_S) X(I64X2_GT_S) X(I64X2_LE_S) X(I64X2_GE_S) X(I64X2_EXTMUL_LOW_I32X4_S) \
    X(I64X2_EXTMUL_HIGH_I32X4_S) X(I64X2_EXTMUL_LOW_I32X4_U) X(I64X2_EXTMUL_HIGH_I32X4_U) \
    X(F32X4_ABS) X(F32X4_NEG) X(F32X4_SQRT) X(F32X4_ADD) X(F32X4_SUB) X(F32X4_MUL) X(F32X4_DIV) \
    X(F32X4_MIN) X(F32X4_MAX) X(F32X4_PMIN) X(F32X4_PMAX) X(F64X2_ABS) X(F64X2_NEG) X(F64X2_SQRT) \
    X(F64X2_ADD) X(F64X2_SUB) X(F64X2_MUL) X(F64X2_DIV) X(F64X2_MIN) X(F64X2_MAX) X(F64X2_PMIN) \
    X(F64X2_PMAX) X(I32X4_TRUNC_SAT_F32X4_S) X(I32X4_TRUNC_SAT_F32X4_U) X(F32X4_CONVERT_I32X4_S) \
    X(F32X4_CONVERT_I32X4_U) X(I32X4_TRUNC_SAT_F64X2_S_ZERO) X(I32X4_TRUNC_SAT_F64X2_U_ZERO) \
    X(F64X2_CONVERT_LOW_I32X4_S) X(F64X2_CONVERT_LOW_I32X4_U)

/* Binary operators that also exist as OP_<name>_I: dst a imm (the
 * second operand is a constant from the instruction stream). */
#define CCF_WASM_IMM_OPS(X) \
    X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S) \
    X(I32_SHR_U) X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S) \
    X(I32_LE_U) X(I32_GE_S) X(I32_GE_U) X(I32_ROTL) X(I32_ROTR) \
    X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S) \
    X(I64_SHR_U) X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) X(I64_LE_S) \
    X(I64_LE_U) X(I64_GE_S) X(I64_GE_U) X(I64_ROTL) X(I64_ROTR) \
    X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F64_ADD) X(F64_SUB) X(F64_MUL) X(F64_DIV)

enum op {
#define X(name) OP_##name,
    CCF_WASM_OPS(X)
#undef X
#define X(name) OP_##name##_I,
    CCF_WASM_IMM_OPS(X)
#undef X
    OP_COUNT_, /* the interpreter's handlers */
    OP_SIMD_BASE_ = OP_COUNT_,
#define X(name) OP_##name,
    CCF_WASM_SIMD_OPS(X)
#undef X
    OP_SIMD_END_
};

struct functype {
    uint32_t np, nr;
    uint8_t *t; /* np params then nr results (valtype bytes) */
};

struct limits {
    uint32_t min, max; /* max UINT32_MAX = none */
};

struct constexpr_ {
    uint8_t op; /* 0x41 i32.const 0x42 0x43 0x44, 0xd0 ref.null, 0xd2 ref.func, 0x23 global.get,
                 * 0xfd v128.const */
    uint64_t val; /* constant bits (v128: low half), or index */
    uint64_t hi;  /* v128.const: high half */
};

#define WASM_V128 0x7b

/* Frame slots a value of type t takes: v128 two, everything else one. */
static inline uint32_t ccf_wasm_internal_width(uint8_t t) { return t == WASM_V128 ? 2u : 1u; }
static inline uint64_t ccf_wasm_internal_slots(const uint8_t *t, uint32_t n)
{
    uint64_t s = 0;
    for (uint32_t i = 0; i < n; i++)
        s += ccf_wasm_internal_width(t[i]);
    return s;
}

struct func {
    uint32_t type;
    uint32_t nlocals;      /* slots of the declared locals, excluding params */
    uint32_t max_height;   /* slots: params + locals + max operand stack */
    uint32_t nparams;      /* slots of the params */
    cell *code;
    size_t code_len;
};

struct import {
    char *module, *name;
    uint32_t module_len, name_len;
    uint8_t kind;
    uint32_t type;          /* func: type index */
    uint8_t valtype, mut;   /* global; table: valtype = reftype */
    struct limits lim;      /* table, memory */
};

struct export_ {
    char *name;
    uint32_t name_len;
    uint8_t kind;
    uint32_t idx;
};

struct global_def {
    uint8_t type, mut;
    struct constexpr_ init; /* unused for imports */
};

struct table_def {
    uint8_t type;
    struct limits lim;
};

enum seg_mode { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARATIVE };

struct elem_seg {
    uint8_t mode, type;
    uint32_t table;
    struct constexpr_ offset;
    uint32_t n;
    struct constexpr_ *items;
};

struct data_seg {
    uint8_t mode;
    uint32_t mem;
    struct constexpr_ offset;
    const uint8_t *bytes; /* into module->bytes */
    uint32_t len;
};

struct funcinst;
struct ccf_wasm_store;
/* A compiled function's entry from the engine (jit.c, issue 22): runs fi with
 * its arguments at io[0..) (slots) and leaves the results at io[0..), like a
 * host function; returns the trap kind (reason in err for TRAP_HOST). */
typedef ccf_wasm_trap (*ccf_wasm_jit_entry)(struct ccf_wasm_store *store, struct funcinst *fi,
                                            uint64_t *io, char *err, size_t err_size);

struct ccf_wasm_module {
    /* Compiled code (src/wasm/jit.c), attached by ccf_wasm_jit_compile before any
     * instantiation; NULL = interpreted. Freed through jit_free so this library
     * does not link the compiler. */
    void *jit;
    ccf_wasm_jit_entry jit_enter;
    void *const *jit_code; /* per defined function: its native code (called by compiled code) */
    void (*jit_free)(void *jit);
    uint8_t *bytes;
    size_t len;
    uint32_t ntypes;
    struct functype *types;
    uint32_t nimports;
    struct import *imports;
    uint32_t nfuncs, nfunc_imports; /* totals include imports */
    uint32_t *func_types;          /* nfuncs type indices */
    struct func *funcs;             /* nfuncs - nfunc_imports */
    uint32_t ntables, ntable_imports;
    struct table_def *tables;
    uint32_t nmems, nmem_imports;
    struct limits *mems;
    uint32_t nglobals, nglobal_imports;
    struct global_def *globals;
    uint32_t nexports;
    struct export_ *exports;
    int64_t start; /* -1 none */
    uint32_t nelems;
    struct elem_seg *elems;
    uint32_t ndatas;
    struct data_seg *datas;
};

/* ---- runtime objects ---- */

struct funcinst {
    struct ccf_wasm_instance *inst; /* NULL for host functions */
    const struct func *def;         /* NULL for host and compiled functions */
    ccf_wasm_jit_entry jit;         /* compiled function: its entry (def NULL) */
    void *jit_code;                 /* compiled function: its code, for calls from compiled code */
    uint32_t idx;                   /* compiled function: index in the module */
    const struct functype *type;
    ccf_wasm_host_fn host;
    void *user;
    struct funcinst *next_owned;
};

struct globalinst {
    uint64_t val;
    uint64_t hi; /* v128: high half */
    uint8_t type, mut;
    struct globalinst *next_owned;
};

struct tableinst {
    uint64_t *elems; /* refs (pointers), 0 = null */
    uint32_t size, max;
    uint8_t type;
    struct tableinst *next_owned;
};

struct meminst {
    uint8_t *base;     /* reserved region, never moves */
    size_t reserved;   /* bytes reserved */
    uint64_t size;     /* bytes accessible */
    uint32_t pages, max; /* max: effective cap (declared max, store limit) */
    uint32_t declared_max; /* UINT32_MAX = none declared */
    struct meminst *next_owned;
};

struct ccf_wasm_instance {
    const ccf_wasm_module *module;
    struct ccf_wasm_store *store;
    struct funcinst **funcs;
    struct tableinst **tables;
    struct meminst *mem; /* memory 0 or NULL */
    struct globalinst **globals;
    uint64_t **elem_items; /* per elem segment: evaluated refs */
    uint32_t *elem_len;    /* 0 once dropped */
    uint32_t *data_len;    /* 0 once dropped */
    struct ccf_wasm_instance *next_owned;
};

struct frame {
    const cell *ret_pc;
    uint64_t *fp;
    struct ccf_wasm_instance *inst;
};

struct ccf_wasm_store {
    ccf_wasm_limits limits;
    uint64_t *stack, *stack_end, *sp; /* sp: first free slot */
    struct frame *frames;
    uint32_t depth;
    int64_t fuel; /* INT64_MAX when unlimited */
    volatile sig_atomic_t interrupt; /* ccf_wasm_store_interrupt */
    uintptr_t jit_stack_limit; /* compiled code: native stack limit of the outermost entry (0 = none) */
    bool fuel_limited;
    struct funcinst *funcs;
    struct globalinst *globals;
    struct tableinst *tables;
    struct meminst *mems;
    struct ccf_wasm_instance *instances;
};

/* A value to its frame slots (1 or 2, ccf_wasm_internal_width) and back. */
static inline void ccf_wasm_internal_to_slots(const ccf_wasm_val *v, uint64_t *s)
{
    switch (v->type) {
    case CCF_WASM_I32: case CCF_WASM_F32: s[0] = v->of.i32; break;
    case CCF_WASM_FUNCREF: case CCF_WASM_EXTERNREF: s[0] = (uint64_t)(uintptr_t)v->of.ref; break;
    case CCF_WASM_V128: memcpy(s, v->of.v128, 16); break;
    default: s[0] = v->of.i64; break;
    }
}
static inline ccf_wasm_val ccf_wasm_internal_from_slots(uint8_t t, const uint64_t *s)
{
    ccf_wasm_val v;
    memset(&v, 0, sizeof v);
    v.type = (ccf_wasm_valtype)t;
    switch (t) {
    case 0x7f: case 0x7d: v.of.i32 = (uint32_t)s[0]; break;
    case 0x70: case 0x6f: v.of.ref = (void *)(uintptr_t)s[0]; break;
    case WASM_V128: memcpy(v.of.v128, s, 16); break;
    default: v.of.i64 = s[0]; break;
    }
    return v;
}

/* Float values as their bits in a frame slot, and back (f32: the low 32 bits). */
static inline float ccf_wasm_f32(uint64_t s)
{
    uint32_t u = (uint32_t)s;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint64_t ccf_wasm_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static inline double ccf_wasm_f64(uint64_t s)
{
    double d;
    memcpy(&d, &s, 8);
    return d;
}
static inline uint64_t ccf_wasm_f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}

/* Fuel is handed to a run in slices (interp.c, jit.c); the store's counter holds the rest.
 * Refilling (every slice) is also where an interrupt request is noticed. */
#define CCF_WASM_FUEL_SLICE 65536
static inline int64_t ccf_wasm_internal_take_slice(struct ccf_wasm_store *S)
{
    int64_t n = S->fuel < CCF_WASM_FUEL_SLICE ? S->fuel : CCF_WASM_FUEL_SLICE;
    S->fuel -= n;
    return n;
}

/* interp.c: calls host function fi with its arguments at sp[0..) (slots); results written
 * from sp[0]. TRAP_HOST with the reason in err when it fails. */
ccf_wasm_trap ccf_wasm_internal_call_host(struct ccf_wasm_instance *caller, struct funcinst *fi, uint64_t *sp,
                                          char *err, size_t errsz);

/* load.c: the interpreter's handler address for op. */
const void *ccf_wasm_internal_label(enum op op);

/* interp.c: runs fi with args already at store->sp - np. On success the nr
 * results are at the old sp position. Returns trap kind (NONE on success);
 * for TRAP_HOST the reason is in err. */
ccf_wasm_trap ccf_wasm_internal_run(struct ccf_wasm_store *store, struct funcinst *fi,
                                     char *err, size_t err_size);

bool ccf_wasm_internal_functype_eq(const struct functype *a, const struct functype *b);
/* Grows a memory by delta pages; returns old page count or -1. */
int64_t ccf_wasm_internal_mem_grow(struct ccf_wasm_store *store, struct meminst *m, uint32_t delta);
int64_t ccf_wasm_internal_table_grow(struct tableinst *t, uint32_t delta, uint64_t init);
/* A function type as the API's type letters (wasm.h, ccf_wasm_host_func). */
ccf_err ccf_wasm_internal_signature(const struct functype *ft, char *params, size_t params_size,
                                    char *results, size_t results_size);

#endif
