/* The WebAssembly instruction set as one table (core spec 2.0, binary format
 * §5.4), read by the decoder/validator in load.c. Not installed.
 *
 * One row per instruction:
 *   X(NAME, PREFIX, CODE, "text", CLASS, IMM, "sig", OP)
 * NAME    enumerator CCF_WASM_NAME (enum ccf_wasm_opcode below)
 * PREFIX  0 for one-byte opcodes, 0xfc (0xfd for SIMD) for prefixed ones
 * CODE    the opcode byte, or the u32 sub-opcode after the prefix
 * "text"  the spec's name, used in validation messages
 * CLASS   which handler in load.c validates and translates it (CLS_*)
 * IMM     its immediates, decoded before the handler runs (IMM_*)
 * "sig"   operand and result types, "params:results" with i=i32 I=i64
 *         f=f32 F=f64 V=v128; "-" when they depend on immediates or on the operand
 *         stack (the handler checks them)
 * OP      the internal instruction it translates to (enum op in
 *         internal.h, without OP_), NONE when the handler decides; for
 *         CLS_NUMERIC, NONE means the bits stay as they are (reinterpret)
 *
 * CLS_NUMERIC rows are validated and translated from "sig" and OP alone, so
 * a new simple instruction is one row here plus its interpreter handler. */
#ifndef CCF_WASM_OPCODES_H
#define CCF_WASM_OPCODES_H

/* Instruction classes: one handler each in load.c. */
enum ccf_wasm_opclass {
    CLS_CONTROL,     /* blocks, branches, calls, unreachable, nop */
    CLS_REFERENCE,   /* ref.null, ref.is_null, ref.func */
    CLS_PARAMETRIC,  /* drop, select */
    CLS_VARIABLE,    /* local.*, global.* */
    CLS_TABLE,       /* table.*, elem.drop */
    CLS_LOAD,        /* t.load*: "i:t" */
    CLS_STORE,       /* t.store*: "it:" */
    CLS_MEMORY,      /* memory.size, memory.grow */
    CLS_BULK,        /* memory.init, data.drop, memory.copy, memory.fill */
    CLS_CONST,       /* t.const */
    CLS_NUMERIC,     /* unary, binary, test, compare, convert: from "sig" */
    CLS_VECTOR,      /* v128 (0xfd): operands and result from "sig", immediates appended */
};

/* Immediate kinds (§5.4): what the decoder reads after the opcode. */
enum ccf_wasm_immkind {
    IMM_NONE,
    IMM_BLOCKTYPE,   /* empty, a value type or a type index (s33) */
    IMM_LABEL,       /* labelidx */
    IMM_BR_TABLE,    /* vec(labelidx) labelidx: read by the handler */
    IMM_FUNC,        /* funcidx */
    IMM_TYPE_TABLE,  /* typeidx tableidx (call_indirect) */
    IMM_REFTYPE,     /* reftype (ref.null) */
    IMM_VALTYPES,    /* vec(valtype), exactly one (select t) */
    IMM_LOCAL,       /* localidx */
    IMM_GLOBAL,      /* globalidx */
    IMM_TABLE,       /* tableidx */
    IMM_ELEM_TABLE,  /* elemidx tableidx (table.init) */
    IMM_ELEM,        /* elemidx */
    IMM_TABLE_TABLE, /* tableidx (destination) tableidx (source) */
    IMM_MEMARG8,     /* memarg (align, offset), natural alignment 1 byte */
    IMM_MEMARG16,    /* ... 2 bytes */
    IMM_MEMARG32,    /* ... 4 bytes */
    IMM_MEMARG64,    /* ... 8 bytes */
    IMM_MEMARG128,   /* ... 16 bytes (keep the five in this order) */
    IMM_MEM,         /* memidx, a 0x00 byte in 2.0 */
    IMM_MEM_MEM,     /* two 0x00 bytes (memory.copy) */
    IMM_DATA_MEM,    /* dataidx, 0x00 (memory.init) */
    IMM_DATA,        /* dataidx */
    IMM_I32,         /* i32 (signed LEB128) */
    IMM_I64,         /* i64 (signed LEB128) */
    IMM_F32,         /* 4 bytes, little endian */
    IMM_F64,         /* 8 bytes, little endian */
    IMM_V128,        /* 16 bytes, little endian (v128.const) */
    IMM_SHUFFLE,     /* 16 lane indices, each < 32 (i8x16.shuffle) */
    IMM_LANE2,       /* one lane index byte, < 2 */
    IMM_LANE4,       /* ... < 4 */
    IMM_LANE8,       /* ... < 8 */
    IMM_LANE16,      /* ... < 16 (keep the four in this order) */
    IMM_MEMLANE8,    /* memarg (natural alignment 1 byte) then a lane index < 16 */
    IMM_MEMLANE16,   /* ... 2 bytes, lane < 8 */
    IMM_MEMLANE32,   /* ... 4 bytes, lane < 4 */
    IMM_MEMLANE64,   /* ... 8 bytes, lane < 2 (keep the four in this order) */
};

/* clang-format off */
#define CCF_WASM_OPCODES(X) \
    /* control instructions (§5.4.1) */ \
    X(UNREACHABLE,    0, 0x00, "unreachable",   CONTROL, NONE,       "-", UNREACHABLE) \
    X(NOP,            0, 0x01, "nop",           CONTROL, NONE,       ":", NONE) \
    X(BLOCK,          0, 0x02, "block",         CONTROL, BLOCKTYPE,  "-", NONE) \
    X(LOOP,           0, 0x03, "loop",          CONTROL, BLOCKTYPE,  "-", NONE) \
    X(IF,             0, 0x04, "if",            CONTROL, BLOCKTYPE,  "-", NONE) \
    X(ELSE,           0, 0x05, "else",          CONTROL, NONE,       "-", JMP) \
    X(END,            0, 0x0b, "end",           CONTROL, NONE,       "-", NONE) \
    X(BR,             0, 0x0c, "br",            CONTROL, LABEL,      "-", NONE) \
    X(BR_IF,          0, 0x0d, "br_if",         CONTROL, LABEL,      "-", NONE) \
    X(BR_TABLE,       0, 0x0e, "br_table",      CONTROL, BR_TABLE,   "-", BR_TABLE) \
    X(RETURN,         0, 0x0f, "return",        CONTROL, NONE,       "-", RETURN) \
    X(CALL,           0, 0x10, "call",          CONTROL, FUNC,       "-", CALL) \
    X(CALL_INDIRECT,  0, 0x11, "call_indirect", CONTROL, TYPE_TABLE, "-", CALL_INDIRECT) \
    /* reference instructions (§5.4.2) */ \
    X(REF_NULL,       0, 0xd0, "ref.null",      REFERENCE, REFTYPE,  "-", NONE) \
    X(REF_IS_NULL,    0, 0xd1, "ref.is_null",   REFERENCE, NONE,     "-", REF_IS_NULL) \
    X(REF_FUNC,       0, 0xd2, "ref.func",      REFERENCE, FUNC,     "-", REF_FUNC) \
    /* parametric instructions (§5.4.3) */ \
    X(DROP,           0, 0x1a, "drop",          PARAMETRIC, NONE,     "-", NONE) \
    X(SELECT,         0, 0x1b, "select",        PARAMETRIC, NONE,     "-", SELECT) \
    X(SELECT_T,       0, 0x1c, "select",        PARAMETRIC, VALTYPES, "-", SELECT) \
    /* variable instructions (§5.4.4) */ \
    X(LOCAL_GET,      0, 0x20, "local.get",     VARIABLE, LOCAL,  "-", NONE) \
    X(LOCAL_SET,      0, 0x21, "local.set",     VARIABLE, LOCAL,  "-", NONE) \
    X(LOCAL_TEE,      0, 0x22, "local.tee",     VARIABLE, LOCAL,  "-", NONE) \
    X(GLOBAL_GET,     0, 0x23, "global.get",    VARIABLE, GLOBAL, "-", GLOBAL_GET) \
    X(GLOBAL_SET,     0, 0x24, "global.set",    VARIABLE, GLOBAL, "-", GLOBAL_SET) \
    /* table instructions (§5.4.5) */ \
    X(TABLE_GET,      0, 0x25, "table.get",     TABLE, TABLE,       "-", TABLE_GET) \
    X(TABLE_SET,      0, 0x26, "table.set",     TABLE, TABLE,       "-", TABLE_SET) \
    X(TABLE_INIT,  0xfc,   12, "table.init",    TABLE, ELEM_TABLE,  "iii:", TABLE_INIT) \
    X(ELEM_DROP,   0xfc,   13, "elem.drop",     TABLE, ELEM,        ":", ELEM_DROP) \
    X(TABLE_COPY,  0xfc,   14, "table.copy",    TABLE, TABLE_TABLE, "iii:", TABLE_COPY) \
    X(TABLE_GROW,  0xfc,   15, "table.grow",    TABLE, TABLE,       "-", TABLE_GROW) \
    X(TABLE_SIZE,  0xfc,   16, "table.size",    TABLE, TABLE,       ":i", TABLE_SIZE) \
    X(TABLE_FILL,  0xfc,   17, "table.fill",    TABLE, TABLE,       "-", TABLE_FILL) \
    /* memory instructions (§5.4.6) */ \
    X(I32_LOAD,       0, 0x28, "i32.load",      LOAD, MEMARG32, "i:i", LOAD32) \
    X(I64_LOAD,       0, 0x29, "i64.load",      LOAD, MEMARG64, "i:I", LOAD64) \
    X(F32_LOAD,       0, 0x2a, "f32.load",      LOAD, MEMARG32, "i:f", LOAD32) \
    X(F64_LOAD,       0, 0x2b, "f64.load",      LOAD, MEMARG64, "i:F", LOAD64) \
    X(I32_LOAD8_S,    0, 0x2c, "i32.load8_s",   LOAD, MEMARG8,  "i:i", LOAD8_S) \
    X(I32_LOAD8_U,    0, 0x2d, "i32.load8_u",   LOAD, MEMARG8,  "i:i", LOAD8_U) \
    X(I32_LOAD16_S,   0, 0x2e, "i32.load16_s",  LOAD, MEMARG16, "i:i", LOAD16_S) \
    X(I32_LOAD16_U,   0, 0x2f, "i32.load16_u",  LOAD, MEMARG16, "i:i", LOAD16_U) \
    X(I64_LOAD8_S,    0, 0x30, "i64.load8_s",   LOAD, MEMARG8,  "i:I", LOAD8_S) \
    X(I64_LOAD8_U,    0, 0x31, "i64.load8_u",   LOAD, MEMARG8,  "i:I", LOAD8_U) \
    X(I64_LOAD16_S,   0, 0x32, "i64.load16_s",  LOAD, MEMARG16, "i:I", LOAD16_S) \
    X(I64_LOAD16_U,   0, 0x33, "i64.load16_u",  LOAD, MEMARG16, "i:I", LOAD16_U) \
    X(I64_LOAD32_S,   0, 0x34, "i64.load32_s",  LOAD, MEMARG32, "i:I", LOAD32_S) \
    X(I64_LOAD32_U,   0, 0x35, "i64.load32_u",  LOAD, MEMARG32, "i:I", LOAD32) \
    X(I32_STORE,      0, 0x36, "i32.store",     STORE, MEMARG32, "ii:", STORE32) \
    X(I64_STORE,      0, 0x37, "i64.store",     STORE, MEMARG64, "iI:", STORE64) \
    X(F32_STORE,      0, 0x38, "f32.store",     STORE, MEMARG32, "if:", STORE32) \
    X(F64_STORE,      0, 0x39, "f64.store",     STORE, MEMARG64, "iF:", STORE64) \
    X(I32_STORE8,     0, 0x3a, "i32.store8",    STORE, MEMARG8,  "ii:", STORE8) \
    X(I32_STORE16,    0, 0x3b, "i32.store16",   STORE, MEMARG16, "ii:", STORE16) \
    X(I64_STORE8,     0, 0x3c, "i64.store8",    STORE, MEMARG8,  "iI:", STORE8) \
    X(I64_STORE16,    0, 0x3d, "i64.store16",   STORE, MEMARG16, "iI:", STORE16) \
    X(I64_STORE32,    0, 0x3e, "i64.store32",   STORE, MEMARG32, "iI:", STORE32) \
    X(MEMORY_SIZE,    0, 0x3f, "memory.size",   MEMORY, MEM,     ":i", MEMORY_SIZE) \
    X(MEMORY_GROW,    0, 0x40, "memory.grow",   MEMORY, MEM,     "i:i", MEMORY_GROW) \
    X(MEMORY_INIT, 0xfc,    8, "memory.init",   BULK, DATA_MEM,  "iii:", MEMORY_INIT) \
    X(DATA_DROP,   0xfc,    9, "data.drop",     BULK, DATA,      ":", DATA_DROP) \
    X(MEMORY_COPY, 0xfc,   10, "memory.copy",   BULK, MEM_MEM,   "iii:", MEMORY_COPY) \
    X(MEMORY_FILL, 0xfc,   11, "memory.fill",   BULK, MEM,       "iii:", MEMORY_FILL) \
    /* numeric instructions (§5.4.7) */ \
    X(I32_CONST,      0, 0x41, "i32.const",     CONST, I32, ":i", NONE) \
    X(I64_CONST,      0, 0x42, "i64.const",     CONST, I64, ":I", NONE) \
    X(F32_CONST,      0, 0x43, "f32.const",     CONST, F32, ":f", NONE) \
    X(F64_CONST,      0, 0x44, "f64.const",     CONST, F64, ":F", NONE) \
    X(I32_EQZ,        0, 0x45, "i32.eqz",       NUMERIC, NONE, "i:i", I32_EQZ) \
    X(I32_EQ,         0, 0x46, "i32.eq",        NUMERIC, NONE, "ii:i", I32_EQ) \
    X(I32_NE,         0, 0x47, "i32.ne",        NUMERIC, NONE, "ii:i", I32_NE) \
    X(I32_LT_S,       0, 0x48, "i32.lt_s",      NUMERIC, NONE, "ii:i", I32_LT_S) \
    X(I32_LT_U,       0, 0x49, "i32.lt_u",      NUMERIC, NONE, "ii:i", I32_LT_U) \
    X(I32_GT_S,       0, 0x4a, "i32.gt_s",      NUMERIC, NONE, "ii:i", I32_GT_S) \
    X(I32_GT_U,       0, 0x4b, "i32.gt_u",      NUMERIC, NONE, "ii:i", I32_GT_U) \
    X(I32_LE_S,       0, 0x4c, "i32.le_s",      NUMERIC, NONE, "ii:i", I32_LE_S) \
    X(I32_LE_U,       0, 0x4d, "i32.le_u",      NUMERIC, NONE, "ii:i", I32_LE_U) \
    X(I32_GE_S,       0, 0x4e, "i32.ge_s",      NUMERIC, NONE, "ii:i", I32_GE_S) \
    X(I32_GE_U,       0, 0x4f, "i32.ge_u",      NUMERIC, NONE, "ii:i", I32_GE_U) \
    X(I64_EQZ,        0, 0x50, "i64.eqz",       NUMERIC, NONE, "I:i", I64_EQZ) \
    X(I64_EQ,         0, 0x51, "i64.eq",        NUMERIC, NONE, "II:i", I64_EQ) \
    X(I64_NE,         0, 0x52, "i64.ne",        NUMERIC, NONE, "II:i", I64_NE) \
    X(I64_LT_S,       0, 0x53, "i64.lt_s",      NUMERIC, NONE, "II:i", I64_LT_S) \
    X(I64_LT_U,       0, 0x54, "i64.lt_u",      NUMERIC, NONE, "II:i", I64_LT_U) \
    X(I64_GT_S,       0, 0x55, "i64.gt_s",      NUMERIC, NONE, "II:i", I64_GT_S) \
    X(I64_GT_U,       0, 0x56, "i64.gt_u",      NUMERIC, NONE, "II:i", I64_GT_U) \
    X(I64_LE_S,       0, 0x57, "i64.le_s",      NUMERIC, NONE, "II:i", I64_LE_S) \
    X(I64_LE_U,       0, 0x58, "i64.le_u",      NUMERIC, NONE, "II:i", I64_LE_U) \
    X(I64_GE_S,       0, 0x59, "i64.ge_s",      NUMERIC, NONE, "II:i", I64_GE_S) \
    X(I64_GE_U,       0, 0x5a, "i64.ge_u",      NUMERIC, NONE, "II:i", I64_GE_U) \
    X(F32_EQ,         0, 0x5b, "f32.eq",        NUMERIC, NONE, "ff:i", F32_EQ) \
    X(F32_NE,         0, 0x5c, "f32.ne",        NUMERIC, NONE, "ff:i", F32_NE) \
    X(F32_LT,         0, 0x5d, "f32.lt",        NUMERIC, NONE, "ff:i", F32_LT) \
    X(F32_GT,         0, 0x5e, "f32.gt",        NUMERIC, NONE, "ff:i", F32_GT) \
    X(F32_LE,         0, 0x5f, "f32.le",        NUMERIC, NONE, "ff:i", F32_LE) \
    X(F32_GE,         0, 0x60, "f32.ge",        NUMERIC, NONE, "ff:i", F32_GE) \
    X(F64_EQ,         0, 0x61, "f64.eq",        NUMERIC, NONE, "FF:i", F64_EQ) \
    X(F64_NE,         0, 0x62, "f64.ne",        NUMERIC, NONE, "FF:i", F64_NE) \
    X(F64_LT,         0, 0x63, "f64.lt",        NUMERIC, NONE, "FF:i", F64_LT) \
    X(F64_GT,         0, 0x64, "f64.gt",        NUMERIC, NONE, "FF:i", F64_GT) \
    X(F64_LE,         0, 0x65, "f64.le",        NUMERIC, NONE, "FF:i", F64_LE) \
    X(F64_GE,         0, 0x66, "f64.ge",        NUMERIC, NONE, "FF:i", F64_GE) \
    X(I32_CLZ,        0, 0x67, "i32.clz",       NUMERIC, NONE, "i:i", I32_CLZ) \
    X(I32_CTZ,        0, 0x68, "i32.ctz",       NUMERIC, NONE, "i:i", I32_CTZ) \
    X(I32_POPCNT,     0, 0x69, "i32.popcnt",    NUMERIC, NONE, "i:i", I32_POPCNT) \
    X(I32_ADD,        0, 0x6a, "i32.add",       NUMERIC, NONE, "ii:i", I32_ADD) \
    X(I32_SUB,        0, 0x6b, "i32.sub",       NUMERIC, NONE, "ii:i", I32_SUB) \
    X(I32_MUL,        0, 0x6c, "i32.mul",       NUMERIC, NONE, "ii:i", I32_MUL) \
    X(I32_DIV_S,      0, 0x6d, "i32.div_s",     NUMERIC, NONE, "ii:i", I32_DIV_S) \
    X(I32_DIV_U,      0, 0x6e, "i32.div_u",     NUMERIC, NONE, "ii:i", I32_DIV_U) \
    X(I32_REM_S,      0, 0x6f, "i32.rem_s",     NUMERIC, NONE, "ii:i", I32_REM_S) \
    X(I32_REM_U,      0, 0x70, "i32.rem_u",     NUMERIC, NONE, "ii:i", I32_REM_U) \
    X(I32_AND,        0, 0x71, "i32.and",       NUMERIC, NONE, "ii:i", I32_AND) \
    X(I32_OR,         0, 0x72, "i32.or",        NUMERIC, NONE, "ii:i", I32_OR) \
    X(I32_XOR,        0, 0x73, "i32.xor",       NUMERIC, NONE, "ii:i", I32_XOR) \
    X(I32_SHL,        0, 0x74, "i32.shl",       NUMERIC, NONE, "ii:i", I32_SHL) \
    X(I32_SHR_S,      0, 0x75, "i32.shr_s",     NUMERIC, NONE, "ii:i", I32_SHR_S) \
    X(I32_SHR_U,      0, 0x76, "i32.shr_u",     NUMERIC, NONE, "ii:i", I32_SHR_U) \
    X(I32_ROTL,       0, 0x77, "i32.rotl",      NUMERIC, NONE, "ii:i", I32_ROTL) \
    X(I32_ROTR,       0, 0x78, "i32.rotr",      NUMERIC, NONE, "ii:i", I32_ROTR) \
    X(I64_CLZ,        0, 0x79, "i64.clz",       NUMERIC, NONE, "I:I", I64_CLZ) \
    X(I64_CTZ,        0, 0x7a, "i64.ctz",       NUMERIC, NONE, "I:I", I64_CTZ) \
    X(I64_POPCNT,     0, 0x7b, "i64.popcnt",    NUMERIC, NONE, "I:I", I64_POPCNT) \
    X(I64_ADD,        0, 0x7c, "i64.add",       NUMERIC, NONE, "II:I", I64_ADD) \
    X(I64_SUB,        0, 0x7d, "i64.sub",       NUMERIC, NONE, "II:I", I64_SUB) \
    X(I64_MUL,        0, 0x7e, "i64.mul",       NUMERIC, NONE, "II:I", I64_MUL) \
    X(I64_DIV_S,      0, 0x7f, "i64.div_s",     NUMERIC, NONE, "II:I", I64_DIV_S) \
    X(I64_DIV_U,      0, 0x80, "i64.div_u",     NUMERIC, NONE, "II:I", I64_DIV_U) \
    X(I64_REM_S,      0, 0x81, "i64.rem_s",     NUMERIC, NONE, "II:I", I64_REM_S) \
    X(I64_REM_U,      0, 0x82, "i64.rem_u",     NUMERIC, NONE, "II:I", I64_REM_U) \
    X(I64_AND,        0, 0x83, "i64.and",       NUMERIC, NONE, "II:I", I64_AND) \
    X(I64_OR,         0, 0x84, "i64.or",        NUMERIC, NONE, "II:I", I64_OR) \
    X(I64_XOR,        0, 0x85, "i64.xor",       NUMERIC, NONE, "II:I", I64_XOR) \
    X(I64_SHL,        0, 0x86, "i64.shl",       NUMERIC, NONE, "II:I", I64_SHL) \
    X(I64_SHR_S,      0, 0x87, "i64.shr_s",     NUMERIC, NONE, "II:I", I64_SHR_S) \
    X(I64_SHR_U,      0, 0x88, "i64.shr_u",     NUMERIC, NONE, "II:I", I64_SHR_U) \
    X(I64_ROTL,       0, 0x89, "i64.rotl",      NUMERIC, NONE, "II:I", I64_ROTL) \
    X(I64_ROTR,       0, 0x8a, "i64.rotr",      NUMERIC, NONE, "II:I", I64_ROTR) \
    X(F32_ABS,        0, 0x8b, "f32.abs",       NUMERIC, NONE, "f:f", F32_ABS) \
    X(F32_NEG,        0, 0x8c, "f32.neg",       NUMERIC, NONE, "f:f", F32_NEG) \
    X(F32_CEIL,       0, 0x8d, "f32.ceil",      NUMERIC, NONE, "f:f", F32_CEIL) \
    X(F32_FLOOR,      0, 0x8e, "f32.floor",     NUMERIC, NONE, "f:f", F32_FLOOR) \
    X(F32_TRUNC,      0, 0x8f, "f32.trunc",     NUMERIC, NONE, "f:f", F32_TRUNC) \
    X(F32_NEAREST,    0, 0x90, "f32.nearest",   NUMERIC, NONE, "f:f", F32_NEAREST) \
    X(F32_SQRT,       0, 0x91, "f32.sqrt",      NUMERIC, NONE, "f:f", F32_SQRT) \
    X(F32_ADD,        0, 0x92, "f32.add",       NUMERIC, NONE, "ff:f", F32_ADD) \
    X(F32_SUB,        0, 0x93, "f32.sub",       NUMERIC, NONE, "ff:f", F32_SUB) \
    X(F32_MUL,        0, 0x94, "f32.mul",       NUMERIC, NONE, "ff:f", F32_MUL) \
    X(F32_DIV,        0, 0x95, "f32.div",       NUMERIC, NONE, "ff:f", F32_DIV) \
    X(F32_MIN,        0, 0x96, "f32.min",       NUMERIC, NONE, "ff:f", F32_MIN) \
    X(F32_MAX,        0, 0x97, "f32.max",       NUMERIC, NONE, "ff:f", F32_MAX) \
    X(F32_COPYSIGN,   0, 0x98, "f32.copysign",  NUMERIC, NONE, "ff:f", F32_COPYSIGN) \
    X(F64_ABS,        0, 0x99, "f64.abs",       NUMERIC, NONE, "F:F", F64_ABS) \
    X(F64_NEG,        0, 0x9a, "f64.neg",       NUMERIC, NONE, "F:F", F64_NEG) \
    X(F64_CEIL,       0, 0x9b, "f64.ceil",      NUMERIC, NONE, "F:F", F64_CEIL) \
    X(F64_FLOOR,      0, 0x9c, "f64.floor",     NUMERIC, NONE, "F:F", F64_FLOOR) \
    X(F64_TRUNC,      0, 0x9d, "f64.trunc",     NUMERIC, NONE, "F:F", F64_TRUNC) \
    X(F64_NEAREST,    0, 0x9e, "f64.nearest",   NUMERIC, NONE, "F:F", F64_NEAREST) \
    X(F64_SQRT,       0, 0x9f, "f64.sqrt",      NUMERIC, NONE, "F:F", F64_SQRT) \
    X(F64_ADD,        0, 0xa0, "f64.add",       NUMERIC, NONE, "FF:F", F64_ADD) \
    X(F64_SUB,        0, 0xa1, "f64.sub",       NUMERIC, NONE, "FF:F", F64_SUB) \
    X(F64_MUL,        0, 0xa2, "f64.mul",       NUMERIC, NONE, "FF:F", F64_MUL) \
    X(F64_DIV,        0, 0xa3, "f64.div",       NUMERIC, NONE, "FF:F", F64_DIV) \
    X(F64_MIN,        0, 0xa4, "f64.min",       NUMERIC, NONE, "FF:F", F64_MIN) \
    X(F64_MAX,        0, 0xa5, "f64.max",       NUMERIC, NONE, "FF:F", F64_MAX) \
    X(F64_COPYSIGN,   0, 0xa6, "f64.copysign",  NUMERIC, NONE, "FF:F", F64_COPYSIGN) \
    X(I32_WRAP_I64,        0, 0xa7, "i32.wrap_i64",        NUMERIC, NONE, "I:i", I32_WRAP_I64) \
    X(I32_TRUNC_F32_S,     0, 0xa8, "i32.trunc_f32_s",     NUMERIC, NONE, "f:i", I32_TRUNC_F32_S) \
    X(I32_TRUNC_F32_U,     0, 0xa9, "i32.trunc_f32_u",     NUMERIC, NONE, "f:i", I32_TRUNC_F32_U) \
    X(I32_TRUNC_F64_S,     0, 0xaa, "i32.trunc_f64_s",     NUMERIC, NONE, "F:i", I32_TRUNC_F64_S) \
    X(I32_TRUNC_F64_U,     0, 0xab, "i32.trunc_f64_u",     NUMERIC, NONE, "F:i", I32_TRUNC_F64_U) \
    X(I64_EXTEND_I32_S,    0, 0xac, "i64.extend_i32_s",    NUMERIC, NONE, "i:I", I64_EXTEND_I32_S) \
    X(I64_EXTEND_I32_U,    0, 0xad, "i64.extend_i32_u",    NUMERIC, NONE, "i:I", I64_EXTEND_I32_U) \
    X(I64_TRUNC_F32_S,     0, 0xae, "i64.trunc_f32_s",     NUMERIC, NONE, "f:I", I64_TRUNC_F32_S) \
    X(I64_TRUNC_F32_U,     0, 0xaf, "i64.trunc_f32_u",     NUMERIC, NONE, "f:I", I64_TRUNC_F32_U) \
    X(I64_TRUNC_F64_S,     0, 0xb0, "i64.trunc_f64_s",     NUMERIC, NONE, "F:I", I64_TRUNC_F64_S) \
    X(I64_TRUNC_F64_U,     0, 0xb1, "i64.trunc_f64_u",     NUMERIC, NONE, "F:I", I64_TRUNC_F64_U) \
    X(F32_CONVERT_I32_S,   0, 0xb2, "f32.convert_i32_s",   NUMERIC, NONE, "i:f", F32_CONVERT_I32_S) \
    X(F32_CONVERT_I32_U,   0, 0xb3, "f32.convert_i32_u",   NUMERIC, NONE, "i:f", F32_CONVERT_I32_U) \
    X(F32_CONVERT_I64_S,   0, 0xb4, "f32.convert_i64_s",   NUMERIC, NONE, "I:f", F32_CONVERT_I64_S) \
    X(F32_CONVERT_I64_U,   0, 0xb5, "f32.convert_i64_u",   NUMERIC, NONE, "I:f", F32_CONVERT_I64_U) \
    X(F32_DEMOTE_F64,      0, 0xb6, "f32.demote_f64",      NUMERIC, NONE, "F:f", F32_DEMOTE_F64) \
    X(F64_CONVERT_I32_S,   0, 0xb7, "f64.convert_i32_s",   NUMERIC, NONE, "i:F", F64_CONVERT_I32_S) \
    X(F64_CONVERT_I32_U,   0, 0xb8, "f64.convert_i32_u",   NUMERIC, NONE, "i:F", F64_CONVERT_I32_U) \
    X(F64_CONVERT_I64_S,   0, 0xb9, "f64.convert_i64_s",   NUMERIC, NONE, "I:F", F64_CONVERT_I64_S) \
    X(F64_CONVERT_I64_U,   0, 0xba, "f64.convert_i64_u",   NUMERIC, NONE, "I:F", F64_CONVERT_I64_U) \
    X(F64_PROMOTE_F32,     0, 0xbb, "f64.promote_f32",     NUMERIC, NONE, "f:F", F64_PROMOTE_F32) \
    X(I32_REINTERPRET_F32, 0, 0xbc, "i32.reinterpret_f32", NUMERIC, NONE, "f:i", NONE) \
    X(I64_REINTERPRET_F64, 0, 0xbd, "i64.reinterpret_f64", NUMERIC, NONE, "F:I", NONE) \
    X(F32_REINTERPRET_I32, 0, 0xbe, "f32.reinterpret_i32", NUMERIC, NONE, "i:f", NONE) \
    X(F64_REINTERPRET_I64, 0, 0xbf, "f64.reinterpret_i64", NUMERIC, NONE, "I:F", NONE) \
    X(I32_EXTEND8_S,       0, 0xc0, "i32.extend8_s",       NUMERIC, NONE, "i:i", I32_EXTEND8_S) \
    X(I32_EXTEND16_S,      0, 0xc1, "i32.extend16_s",      NUMERIC, NONE, "i:i", I32_EXTEND16_S) \
    X(I64_EXTEND8_S,       0, 0xc2, "i64.extend8_s",       NUMERIC, NONE, "I:I", I64_EXTEND8_S) \
    X(I64_EXTEND16_S,      0, 0xc3, "i64.extend16_s",      NUMERIC, NONE, "I:I", I64_EXTEND16_S) \
    X(I64_EXTEND32_S,      0, 0xc4, "i64.extend32_s",      NUMERIC, NONE, "I:I", I64_EXTEND32_S) \
    X(I32_TRUNC_SAT_F32_S, 0xfc, 0, "i32.trunc_sat_f32_s", NUMERIC, NONE, "f:i", I32_TRUNC_SAT_F32_S) \
    X(I32_TRUNC_SAT_F32_U, 0xfc, 1, "i32.trunc_sat_f32_u", NUMERIC, NONE, "f:i", I32_TRUNC_SAT_F32_U) \
    X(I32_TRUNC_SAT_F64_S, 0xfc, 2, "i32.trunc_sat_f64_s", NUMERIC, NONE, "F:i", I32_TRUNC_SAT_F64_S) \
    X(I32_TRUNC_SAT_F64_U, 0xfc, 3, "i32.trunc_sat_f64_u", NUMERIC, NONE, "F:i", I32_TRUNC_SAT_F64_U) \
    X(I64_TRUNC_SAT_F32_S, 0xfc, 4, "i64.trunc_sat_f32_s", NUMERIC, NONE, "f:I", I64_TRUNC_SAT_F32_S) \
    X(I64_TRUNC_SAT_F32_U, 0xfc, 5, "i64.trunc_sat_f32_u", NUMERIC, NONE, "f:I", I64_TRUNC_SAT_F32_U) \
    X(I64_TRUNC_SAT_F64_S, 0xfc, 6, "i64.trunc_sat_f64_s", NUMERIC, NONE, "F:I", I64_TRUNC_SAT_F64_S) \
    X(I64_TRUNC_SAT_F64_U, 0xfc, 7, "i64.trunc_sat_f64_u", NUMERIC, NONE, "F:I", I64_TRUNC_SAT_F64_U) \
    /* vector instructions (§5.4.8): 0xfd prefix, V = v128 */ \
    X(V128_LOAD,                       0xfd, 0x00, "v128.load",                       VECTOR, MEMARG128, "i:V", V128_LOAD) \
    X(V128_LOAD8X8_S,                  0xfd, 0x01, "v128.load8x8_s",                  VECTOR, MEMARG64,  "i:V", V128_LOAD8X8_S) \
    X(V128_LOAD8X8_U,                  0xfd, 0x02, "v128.load8x8_u",                  VECTOR, MEMARG64,  "i:V", V128_LOAD8X8_U) \
    X(V128_LOAD16X4_S,                 0xfd, 0x03, "v128.load16x4_s",                 VECTOR, MEMARG64,  "i:V", V128_LOAD16X4_S) \
    X(V128_LOAD16X4_U,                 0xfd, 0x04, "v128.load16x4_u",                 VECTOR, MEMARG64,  "i:V", V128_LOAD16X4_U) \
    X(V128_LOAD32X2_S,                 0xfd, 0x05, "v128.load32x2_s",                 VECTOR, MEMARG64,  "i:V", V128_LOAD32X2_S) \
    X(V128_LOAD32X2_U,                 0xfd, 0x06, "v128.load32x2_u",                 VECTOR, MEMARG64,  "i:V", V128_LOAD32X2_U) \
    X(V128_LOAD8_SPLAT,                0xfd, 0x07, "v128.load8_splat",                VECTOR, MEMARG8,   "i:V", V128_LOAD8_SPLAT) \
    X(V128_LOAD16_SPLAT,               0xfd, 0x08, "v128.load16_splat",               VECTOR, MEMARG16,  "i:V", V128_LOAD16_SPLAT) \
    X(V128_LOAD32_SPLAT,               0xfd, 0x09, "v128.load32_splat",               VECTOR, MEMARG32,  "i:V", V128_LOAD32_SPLAT) \
    X(V128_LOAD64_SPLAT,               0xfd, 0x0a, "v128.load64_splat",               VECTOR, MEMARG64,  "i:V", V128_LOAD64_SPLAT) \
    X(V128_STORE,                      0xfd, 0x0b, "v128.store",                      VECTOR, MEMARG128, "iV:", V128_STORE) \
    X(V128_CONST,                      0xfd, 0x0c, "v128.const",                      VECTOR, V128,      ":V", V128_CONST) \
    X(I8X16_SHUFFLE,                   0xfd, 0x0d, "i8x16.shuffle",                   VECTOR, SHUFFLE,   "VV:V", I8X16_SHUFFLE) \
    X(I8X16_SWIZZLE,                   0xfd, 0x0e, "i8x16.swizzle",                   VECTOR, NONE,      "VV:V", I8X16_SWIZZLE) \
    X(I8X16_SPLAT,                     0xfd, 0x0f, "i8x16.splat",                     VECTOR, NONE,      "i:V", I8X16_SPLAT) \
    X(I16X8_SPLAT,                     0xfd, 0x10, "i16x8.splat",                     VECTOR, NONE,      "i:V", I16X8_SPLAT) \
    X(I32X4_SPLAT,                     0xfd, 0x11, "i32x4.splat",                     VECTOR, NONE,      "i:V", I32X4_SPLAT) \
    X(I64X2_SPLAT,                     0xfd, 0x12, "i64x2.splat",                     VECTOR, NONE,      "I:V", I64X2_SPLAT) \
    X(F32X4_SPLAT,                     0xfd, 0x13, "f32x4.splat",                     VECTOR, NONE,      "f:V", F32X4_SPLAT) \
    X(F64X2_SPLAT,                     0xfd, 0x14, "f64x2.splat",                     VECTOR, NONE,      "F:V", F64X2_SPLAT) \
    X(I8X16_EXTRACT_LANE_S,            0xfd, 0x15, "i8x16.extract_lane_s",            VECTOR, LANE16,    "V:i", I8X16_EXTRACT_LANE_S) \
    X(I8X16_EXTRACT_LANE_U,            0xfd, 0x16, "i8x16.extract_lane_u",            VECTOR, LANE16,    "V:i", I8X16_EXTRACT_LANE_U) \
    X(I8X16_REPLACE_LANE,              0xfd, 0x17, "i8x16.replace_lane",              VECTOR, LANE16,    "Vi:V", I8X16_REPLACE_LANE) \
    X(I16X8_EXTRACT_LANE_S,            0xfd, 0x18, "i16x8.extract_lane_s",            VECTOR, LANE8,     "V:i", I16X8_EXTRACT_LANE_S) \
    X(I16X8_EXTRACT_LANE_U,            0xfd, 0x19, "i16x8.extract_lane_u",            VECTOR, LANE8,     "V:i", I16X8_EXTRACT_LANE_U) \
    X(I16X8_REPLACE_LANE,              0xfd, 0x1a, "i16x8.replace_lane",              VECTOR, LANE8,     "Vi:V", I16X8_REPLACE_LANE) \
    X(I32X4_EXTRACT_LANE,              0xfd, 0x1b, "i32x4.extract_lane",              VECTOR, LANE4,     "V:i", I32X4_EXTRACT_LANE) \
    X(I32X4_REPLACE_LANE,              0xfd, 0x1c, "i32x4.replace_lane",              VECTOR, LANE4,     "Vi:V", I32X4_REPLACE_LANE) \
    X(I64X2_EXTRACT_LANE,              0xfd, 0x1d, "i64x2.extract_lane",              VECTOR, LANE2,     "V:I", I64X2_EXTRACT_LANE) \
    X(I64X2_REPLACE_LANE,              0xfd, 0x1e, "i64x2.replace_lane",              VECTOR, LANE2,     "VI:V", I64X2_REPLACE_LANE) \
    X(F32X4_EXTRACT_LANE,              0xfd, 0x1f, "f32x4.extract_lane",              VECTOR, LANE4,     "V:f", F32X4_EXTRACT_LANE) \
    X(F32X4_REPLACE_LANE,              0xfd, 0x20, "f32x4.replace_lane",              VECTOR, LANE4,     "Vf:V", F32X4_REPLACE_LANE) \
    X(F64X2_EXTRACT_LANE,              0xfd, 0x21, "f64x2.extract_lane",              VECTOR, LANE2,     "V:F", F64X2_EXTRACT_LANE) \
    X(F64X2_REPLACE_LANE,              0xfd, 0x22, "f64x2.replace_lane",              VECTOR, LANE2,     "VF:V", F64X2_REPLACE_LANE) \
    X(I8X16_EQ,                        0xfd, 0x23, "i8x16.eq",                        VECTOR, NONE,      "VV:V", I8X16_EQ) \
    X(I8X16_NE,                        0xfd, 0x24, "i8x16.ne",                        VECTOR, NONE,      "VV:V", I8X16_NE) \
    X(I8X16_LT_S,                      0xfd, 0x25, "i8x16.lt_s",                      VECTOR, NONE,      "VV:V", I8X16_LT_S) \
    X(I8X16_LT_U,                      0xfd, 0x26, "i8x16.lt_u",                      VECTOR, NONE,      "VV:V", I8X16_LT_U) \
    X(I8X16_GT_S,                      0xfd, 0x27, "i8x16.gt_s",                      VECTOR, NONE,      "VV:V", I8X16_GT_S) \
    X(I8X16_GT_U,                      0xfd, 0x28, "i8x16.gt_u",                      VECTOR, NONE,      "VV:V", I8X16_GT_U) \
    X(I8X16_LE_S,                      0xfd, 0x29, "i8x16.le_s",                      VECTOR, NONE,      "VV:V", I8X16_LE_S) \
    X(I8X16_LE_U,                      0xfd, 0x2a, "i8x16.le_u",                      VECTOR, NONE,      "VV:V", I8X16_LE_U) \
    X(I8X16_GE_S,                      0xfd, 0x2b, "i8x16.ge_s",                      VECTOR, NONE,      "VV:V", I8X16_GE_S) \
    X(I8X16_GE_U,                      0xfd, 0x2c, "i8x16.ge_u",                      VECTOR, NONE,      "VV:V", I8X16_GE_U) \
    X(I16X8_EQ,                        0xfd, 0x2d, "i16x8.eq",                        VECTOR, NONE,      "VV:V", I16X8_EQ) \
    X(I16X8_NE,                        0xfd, 0x2e, "i16x8.ne",                        VECTOR, NONE,      "VV:V", I16X8_NE) \
    X(I16X8_LT_S,                      0xfd, 0x2f, "i16x8.lt_s",                      VECTOR, NONE,      "VV:V", I16X8_LT_S) \
    X(I16X8_LT_U,                      0xfd, 0x30, "i16x8.lt_u",                      VECTOR, NONE,      "VV:V", I16X8_LT_U) \
    X(I16X8_GT_S,                      0xfd, 0x31, "i16x8.gt_s",                      VECTOR, NONE,      "VV:V", I16X8_GT_S) \
    X(I16X8_GT_U,                      0xfd, 0x32, "i16x8.gt_u",                      VECTOR, NONE,      "VV:V", I16X8_GT_U) \
    X(I16X8_LE_S,                      0xfd, 0x33, "i16x8.le_s",                      VECTOR, NONE,      "VV:V", I16X8_LE_S) \
    X(I16X8_LE_U,                      0xfd, 0x34, "i16x8.le_u",                      VECTOR, NONE,      "VV:V", I16X8_LE_U) \
    X(I16X8_GE_S,                      0xfd, 0x35, "i16x8.ge_s",                      VECTOR, NONE,      "VV:V", I16X8_GE_S) \
    X(I16X8_GE_U,                      0xfd, 0x36, "i16x8.ge_u",                      VECTOR, NONE,      "VV:V", I16X8_GE_U) \
    X(I32X4_EQ,                        0xfd, 0x37, "i32x4.eq",                        VECTOR, NONE,      "VV:V", I32X4_EQ) \
    X(I32X4_NE,                        0xfd, 0x38, "i32x4.ne",                        VECTOR, NONE,      "VV:V", I32X4_NE) \
    X(I32X4_LT_S,                      0xfd, 0x39, "i32x4.lt_s",                      VECTOR, NONE,      "VV:V", I32X4_LT_S) \
    X(I32X4_LT_U,                      0xfd, 0x3a, "i32x4.lt_u",                      VECTOR, NONE,      "VV:V", I32X4_LT_U) \
    X(I32X4_GT_S,                      0xfd, 0x3b, "i32x4.gt_s",                      VECTOR, NONE,      "VV:V", I32X4_GT_S) \
    X(I32X4_GT_U,                      0xfd, 0x3c, "i32x4.gt_u",                      VECTOR, NONE,      "VV:V", I32X4_GT_U) \
    X(I32X4_LE_S,                      0xfd, 0x3d, "i32x4.le_s",                      VECTOR, NONE,      "VV:V", I32X4_LE_S) \
    X(I32X4_LE_U,                      0xfd, 0x3e, "i32x4.le_u",                      VECTOR, NONE,      "VV:V", I32X4_LE_U) \
    X(I32X4_GE_S,                      0xfd, 0x3f, "i32x4.ge_s",                      VECTOR, NONE,      "VV:V", I32X4_GE_S) \
    X(I32X4_GE_U,                      0xfd, 0x40, "i32x4.ge_u",                      VECTOR, NONE,      "VV:V", I32X4_GE_U) \
    X(F32X4_EQ,                        0xfd, 0x41, "f32x4.eq",                        VECTOR, NONE,      "VV:V", F32X4_EQ) \
    X(F32X4_NE,                        0xfd, 0x42, "f32x4.ne",                        VECTOR, NONE,      "VV:V", F32X4_NE) \
    X(F32X4_LT,                        0xfd, 0x43, "f32x4.lt",                        VECTOR, NONE,      "VV:V", F32X4_LT) \
    X(F32X4_GT,                        0xfd, 0x44, "f32x4.gt",                        VECTOR, NONE,      "VV:V", F32X4_GT) \
    X(F32X4_LE,                        0xfd, 0x45, "f32x4.le",                        VECTOR, NONE,      "VV:V", F32X4_LE) \
    X(F32X4_GE,                        0xfd, 0x46, "f32x4.ge",                        VECTOR, NONE,      "VV:V", F32X4_GE) \
    X(F64X2_EQ,                        0xfd, 0x47, "f64x2.eq",                        VECTOR, NONE,      "VV:V", F64X2_EQ) \
    X(F64X2_NE,                        0xfd, 0x48, "f64x2.ne",                        VECTOR, NONE,      "VV:V", F64X2_NE) \
    X(F64X2_LT,                        0xfd, 0x49, "f64x2.lt",                        VECTOR, NONE,      "VV:V", F64X2_LT) \
    X(F64X2_GT,                        0xfd, 0x4a, "f64x2.gt",                        VECTOR, NONE,      "VV:V", F64X2_GT) \
    X(F64X2_LE,                        0xfd, 0x4b, "f64x2.le",                        VECTOR, NONE,      "VV:V", F64X2_LE) \
    X(F64X2_GE,                        0xfd, 0x4c, "f64x2.ge",                        VECTOR, NONE,      "VV:V", F64X2_GE) \
    X(V128_NOT,                        0xfd, 0x4d, "v128.not",                        VECTOR, NONE,      "V:V", V128_NOT) \
    X(V128_AND,                        0xfd, 0x4e, "v128.and",                        VECTOR, NONE,      "VV:V", V128_AND) \
    X(V128_ANDNOT,                     0xfd, 0x4f, "v128.andnot",                     VECTOR, NONE,      "VV:V", V128_ANDNOT) \
    X(V128_OR,                         0xfd, 0x50, "v128.or",                         VECTOR, NONE,      "VV:V", V128_OR) \
    X(V128_XOR,                        0xfd, 0x51, "v128.xor",                        VECTOR, NONE,      "VV:V", V128_XOR) \
    X(V128_BITSELECT,                  0xfd, 0x52, "v128.bitselect",                  VECTOR, NONE,      "VVV:V", V128_BITSELECT) \
    X(V128_ANY_TRUE,                   0xfd, 0x53, "v128.any_true",                   VECTOR, NONE,      "V:i", V128_ANY_TRUE) \
    X(V128_LOAD8_LANE,                 0xfd, 0x54, "v128.load8_lane",                 VECTOR, MEMLANE8,  "iV:V", V128_LOAD8_LANE) \
    X(V128_LOAD16_LANE,                0xfd, 0x55, "v128.load16_lane",                VECTOR, MEMLANE16, "iV:V", V128_LOAD16_LANE) \
    X(V128_LOAD32_LANE,                0xfd, 0x56, "v128.load32_lane",                VECTOR, MEMLANE32, "iV:V", V128_LOAD32_LANE) \
    X(V128_LOAD64_LANE,                0xfd, 0x57, "v128.load64_lane",                VECTOR, MEMLANE64, "iV:V", V128_LOAD64_LANE) \
    X(V128_STORE8_LANE,                0xfd, 0x58, "v128.store8_lane",                VECTOR, MEMLANE8,  "iV:", V128_STORE8_LANE) \
    X(V128_STORE16_LANE,               0xfd, 0x59, "v128.store16_lane",               VECTOR, MEMLANE16, "iV:", V128_STORE16_LANE) \
    X(V128_STORE32_LANE,               0xfd, 0x5a, "v128.store32_lane",               VECTOR, MEMLANE32, "iV:", V128_STORE32_LANE) \
    X(V128_STORE64_LANE,               0xfd, 0x5b, "v128.store64_lane",               VECTOR, MEMLANE64, "iV:", V128_STORE64_LANE) \
    X(V128_LOAD32_ZERO,                0xfd, 0x5c, "v128.load32_zero",                VECTOR, MEMARG32,  "i:V", V128_LOAD32_ZERO) \
    X(V128_LOAD64_ZERO,                0xfd, 0x5d, "v128.load64_zero",                VECTOR, MEMARG64,  "i:V", V128_LOAD64_ZERO) \
    X(F32X4_DEMOTE_F64X2_ZERO,         0xfd, 0x5e, "f32x4.demote_f64x2_zero",         VECTOR, NONE,      "V:V", F32X4_DEMOTE_F64X2_ZERO) \
    X(F64X2_PROMOTE_LOW_F32X4,         0xfd, 0x5f, "f64x2.promote_low_f32x4",         VECTOR, NONE,      "V:V", F64X2_PROMOTE_LOW_F32X4) \
    X(I8X16_ABS,                       0xfd, 0x60, "i8x16.abs",                       VECTOR, NONE,      "V:V", I8X16_ABS) \
    X(I8X16_NEG,                       0xfd, 0x61, "i8x16.neg",                       VECTOR, NONE,      "V:V", I8X16_NEG) \
    X(I8X16_POPCNT,                    0xfd, 0x62, "i8x16.popcnt",                    VECTOR, NONE,      "V:V", I8X16_POPCNT) \
    X(I8X16_ALL_TRUE,                  0xfd, 0x63, "i8x16.all_true",                  VECTOR, NONE,      "V:i", I8X16_ALL_TRUE) \
    X(I8X16_BITMASK,                   0xfd, 0x64, "i8x16.bitmask",                   VECTOR, NONE,      "V:i", I8X16_BITMASK) \
    X(I8X16_NARROW_I16X8_S,            0xfd, 0x65, "i8x16.narrow_i16x8_s",            VECTOR, NONE,      "VV:V", I8X16_NARROW_I16X8_S) \
    X(I8X16_NARROW_I16X8_U,            0xfd, 0x66, "i8x16.narrow_i16x8_u",            VECTOR, NONE,      "VV:V", I8X16_NARROW_I16X8_U) \
    X(F32X4_CEIL,                      0xfd, 0x67, "f32x4.ceil",                      VECTOR, NONE,      "V:V", F32X4_CEIL) \
    X(F32X4_FLOOR,                     0xfd, 0x68, "f32x4.floor",                     VECTOR, NONE,      "V:V", F32X4_FLOOR) \
    X(F32X4_TRUNC,                     0xfd, 0x69, "f32x4.trunc",                     VECTOR, NONE,      "V:V", F32X4_TRUNC) \
    X(F32X4_NEAREST,                   0xfd, 0x6a, "f32x4.nearest",                   VECTOR, NONE,      "V:V", F32X4_NEAREST) \
    X(I8X16_SHL,                       0xfd, 0x6b, "i8x16.shl",                       VECTOR, NONE,      "Vi:V", I8X16_SHL) \
    X(I8X16_SHR_S,                     0xfd, 0x6c, "i8x16.shr_s",                     VECTOR, NONE,      "Vi:V", I8X16_SHR_S) \
    X(I8X16_SHR_U,                     0xfd, 0x6d, "i8x16.shr_u",                     VECTOR, NONE,      "Vi:V", I8X16_SHR_U) \
    X(I8X16_ADD,                       0xfd, 0x6e, "i8x16.add",                       VECTOR, NONE,      "VV:V", I8X16_ADD) \
    X(I8X16_ADD_SAT_S,                 0xfd, 0x6f, "i8x16.add_sat_s",                 VECTOR, NONE,      "VV:V", I8X16_ADD_SAT_S) \
    X(I8X16_ADD_SAT_U,                 0xfd, 0x70, "i8x16.add_sat_u",                 VECTOR, NONE,      "VV:V", I8X16_ADD_SAT_U) \
    X(I8X16_SUB,                       0xfd, 0x71, "i8x16.sub",                       VECTOR, NONE,      "VV:V", I8X16_SUB) \
    X(I8X16_SUB_SAT_S,                 0xfd, 0x72, "i8x16.sub_sat_s",                 VECTOR, NONE,      "VV:V", I8X16_SUB_SAT_S) \
    X(I8X16_SUB_SAT_U,                 0xfd, 0x73, "i8x16.sub_sat_u",                 VECTOR, NONE,      "VV:V", I8X16_SUB_SAT_U) \
    X(F64X2_CEIL,                      0xfd, 0x74, "f64x2.ceil",                      VECTOR, NONE,      "V:V", F64X2_CEIL) \
    X(F64X2_FLOOR,                     0xfd, 0x75, "f64x2.floor",                     VECTOR, NONE,      "V:V", F64X2_FLOOR) \
    X(I8X16_MIN_S,                     0xfd, 0x76, "i8x16.min_s",                     VECTOR, NONE,      "VV:V", I8X16_MIN_S) \
    X(I8X16_MIN_U,                     0xfd, 0x77, "i8x16.min_u",                     VECTOR, NONE,      "VV:V", I8X16_MIN_U) \
    X(I8X16_MAX_S,                     0xfd, 0x78, "i8x16.max_s",                     VECTOR, NONE,      "VV:V", I8X16_MAX_S) \
    X(I8X16_MAX_U,                     0xfd, 0x79, "i8x16.max_u",                     VECTOR, NONE,      "VV:V", I8X16_MAX_U) \
    X(F64X2_TRUNC,                     0xfd, 0x7a, "f64x2.trunc",                     VECTOR, NONE,      "V:V", F64X2_TRUNC) \
    X(I8X16_AVGR_U,                    0xfd, 0x7b, "i8x16.avgr_u",                    VECTOR, NONE,      "VV:V", I8X16_AVGR_U) \
    X(I16X8_EXTADD_PAIRWISE_I8X16_S,   0xfd, 0x7c, "i16x8.extadd_pairwise_i8x16_s",   VECTOR, NONE,      "V:V", I16X8_EXTADD_PAIRWISE_I8X16_S) \
    X(I16X8_EXTADD_PAIRWISE_I8X16_U,   0xfd, 0x7d, "i16x8.extadd_pairwise_i8x16_u",   VECTOR, NONE,      "V:V", I16X8_EXTADD_PAIRWISE_I8X16_U) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_S,   0xfd, 0x7e, "i32x4.extadd_pairwise_i16x8_s",   VECTOR, NONE,      "V:V", I32X4_EXTADD_PAIRWISE_I16X8_S) \
    X(I32X4_EXTADD_PAIRWISE_I16X8_U,   0xfd, 0x7f, "i32x4.extadd_pairwise_i16x8_u",   VECTOR, NONE,      "V:V", I32X4_EXTADD_PAIRWISE_I16X8_U) \
    X(I16X8_ABS,                       0xfd, 0x80, "i16x8.abs",                       VECTOR, NONE,      "V:V", I16X8_ABS) \
    X(I16X8_NEG,                       0xfd, 0x81, "i16x8.neg",                       VECTOR, NONE,      "V:V", I16X8_NEG) \
    X(I16X8_Q15MULR_SAT_S,             0xfd, 0x82, "i16x8.q15mulr_sat_s",             VECTOR, NONE,      "VV:V", I16X8_Q15MULR_SAT_S) \
    X(I16X8_ALL_TRUE,                  0xfd, 0x83, "i16x8.all_true",                  VECTOR, NONE,      "V:i", I16X8_ALL_TRUE) \
    X(I16X8_BITMASK,                   0xfd, 0x84, "i16x8.bitmask",                   VECTOR, NONE,      "V:i", I16X8_BITMASK) \
    X(I16X8_NARROW_I32X4_S,            0xfd, 0x85, "i16x8.narrow_i32x4_s",            VECTOR, NONE,      "VV:V", I16X8_NARROW_I32X4_S) \
    X(I16X8_NARROW_I32X4_U,            0xfd, 0x86, "i16x8.narrow_i32x4_u",            VECTOR, NONE,      "VV:V", I16X8_NARROW_I32X4_U) \
    X(I16X8_EXTEND_LOW_I8X16_S,        0xfd, 0x87, "i16x8.extend_low_i8x16_s",        VECTOR, NONE,      "V:V", I16X8_EXTEND_LOW_I8X16_S) \
    X(I16X8_EXTEND_HIGH_I8X16_S,       0xfd, 0x88, "i16x8.extend_high_i8x16_s",       VECTOR, NONE,      "V:V", I16X8_EXTEND_HIGH_I8X16_S) \
    X(I16X8_EXTEND_LOW_I8X16_U,        0xfd, 0x89, "i16x8.extend_low_i8x16_u",        VECTOR, NONE,      "V:V", I16X8_EXTEND_LOW_I8X16_U) \
    X(I16X8_EXTEND_HIGH_I8X16_U,       0xfd, 0x8a, "i16x8.extend_high_i8x16_u",       VECTOR, NONE,      "V:V", I16X8_EXTEND_HIGH_I8X16_U) \
    X(I16X8_SHL,                       0xfd, 0x8b, "i16x8.shl",                       VECTOR, NONE,      "Vi:V", I16X8_SHL) \
    X(I16X8_SHR_S,                     0xfd, 0x8c, "i16x8.shr_s",                     VECTOR, NONE,      "Vi:V", I16X8_SHR_S) \
    X(I16X8_SHR_U,                     0xfd, 0x8d, "i16x8.shr_u",                     VECTOR, NONE,      "Vi:V", I16X8_SHR_U) \
    X(I16X8_ADD,                       0xfd, 0x8e, "i16x8.add",                       VECTOR, NONE,      "VV:V", I16X8_ADD) \
    X(I16X8_ADD_SAT_S,                 0xfd, 0x8f, "i16x8.add_sat_s",                 VECTOR, NONE,      "VV:V", I16X8_ADD_SAT_S) \
    X(I16X8_ADD_SAT_U,                 0xfd, 0x90, "i16x8.add_sat_u",                 VECTOR, NONE,      "VV:V", I16X8_ADD_SAT_U) \
    X(I16X8_SUB,                       0xfd, 0x91, "i16x8.sub",                       VECTOR, NONE,      "VV:V", I16X8_SUB) \
    X(I16X8_SUB_SAT_S,                 0xfd, 0x92, "i16x8.sub_sat_s",                 VECTOR, NONE,      "VV:V", I16X8_SUB_SAT_S) \
    X(I16X8_SUB_SAT_U,                 0xfd, 0x93, "i16x8.sub_sat_u",                 VECTOR, NONE,      "VV:V", I16X8_SUB_SAT_U) \
    X(F64X2_NEAREST,                   0xfd, 0x94, "f64x2.nearest",                   VECTOR, NONE,      "V:V", F64X2_NEAREST) \
    X(I16X8_MUL,                       0xfd, 0x95, "i16x8.mul",                       VECTOR, NONE,      "VV:V", I16X8_MUL) \
    X(I16X8_MIN_S,                     0xfd, 0x96, "i16x8.min_s",                     VECTOR, NONE,      "VV:V", I16X8_MIN_S) \
    X(I16X8_MIN_U,                     0xfd, 0x97, "i16x8.min_u",                     VECTOR, NONE,      "VV:V", I16X8_MIN_U) \
    X(I16X8_MAX_S,                     0xfd, 0x98, "i16x8.max_s",                     VECTOR, NONE,      "VV:V", I16X8_MAX_S) \
    X(I16X8_MAX_U,                     0xfd, 0x99, "i16x8.max_u",                     VECTOR, NONE,      "VV:V", I16X8_MAX_U) \
    X(I16X8_AVGR_U,                    0xfd, 0x9b, "i16x8.avgr_u",                    VECTOR, NONE,      "VV:V", I16X8_AVGR_U) \
    X(I16X8_EXTMUL_LOW_I8X16_S,        0xfd, 0x9c, "i16x8.extmul_low_i8x16_s",        VECTOR, NONE,      "VV:V", I16X8_EXTMUL_LOW_I8X16_S) \
    X(I16X8_EXTMUL_HIGH_I8X16_S,       0xfd, 0x9d, "i16x8.extmul_high_i8x16_s",       VECTOR, NONE,      "VV:V", I16X8_EXTMUL_HIGH_I8X16_S) \
    X(I16X8_EXTMUL_LOW_I8X16_U,        0xfd, 0x9e, "i16x8.extmul_low_i8x16_u",        VECTOR, NONE,      "VV:V", I16X8_EXTMUL_LOW_I8X16_U) \
    X(I16X8_EXTMUL_HIGH_I8X16_U,       0xfd, 0x9f, "i16x8.extmul_high_i8x16_u",       VECTOR, NONE,      "VV:V", I16X8_EXTMUL_HIGH_I8X16_U) \
    X(I32X4_ABS,                       0xfd, 0xa0, "i32x4.abs",                       VECTOR, NONE,      "V:V", I32X4_ABS) \
    X(I32X4_NEG,                       0xfd, 0xa1, "i32x4.neg",                       VECTOR, NONE,      "V:V", I32X4_NEG) \
    X(I32X4_ALL_TRUE,                  0xfd, 0xa3, "i32x4.all_true",                  VECTOR, NONE,      "V:i", I32X4_ALL_TRUE) \
    X(I32X4_BITMASK,                   0xfd, 0xa4, "i32x4.bitmask",                   VECTOR, NONE,      "V:i", I32X4_BITMASK) \
    X(I32X4_EXTEND_LOW_I16X8_S,        0xfd, 0xa7, "i32x4.extend_low_i16x8_s",        VECTOR, NONE,      "V:V", I32X4_EXTEND_LOW_I16X8_S) \
    X(I32X4_EXTEND_HIGH_I16X8_S,       0xfd, 0xa8, "i32x4.extend_high_i16x8_s",       VECTOR, NONE,      "V:V", I32X4_EXTEND_HIGH_I16X8_S) \
    X(I32X4_EXTEND_LOW_I16X8_U,        0xfd, 0xa9, "i32x4.extend_low_i16x8_u",        VECTOR, NONE,      "V:V", I32X4_EXTEND_LOW_I16X8_U) \
    X(I32X4_EXTEND_HIGH_I16X8_U,       0xfd, 0xaa, "i32x4.extend_high_i16x8_u",       VECTOR, NONE,      "V:V", I32X4_EXTEND_HIGH_I16X8_U) \
    X(I32X4_SHL,                       0xfd, 0xab, "i32x4.shl",                       VECTOR, NONE,      "Vi:V", I32X4_SHL) \
    X(I32X4_SHR_S,                     0xfd, 0xac, "i32x4.shr_s",                     VECTOR, NONE,      "Vi:V", I32X4_SHR_S) \
    X(I32X4_SHR_U,                     0xfd, 0xad, "i32x4.shr_u",                     VECTOR, NONE,      "Vi:V", I32X4_SHR_U) \
    X(I32X4_ADD,                       0xfd, 0xae, "i32x4.add",                       VECTOR, NONE,      "VV:V", I32X4_ADD) \
    X(I32X4_SUB,                       0xfd, 0xb1, "i32x4.sub",                       VECTOR, NONE,      "VV:V", I32X4_SUB) \
    X(I32X4_MUL,                       0xfd, 0xb5, "i32x4.mul",                       VECTOR, NONE,      "VV:V", I32X4_MUL) \
    X(I32X4_MIN_S,                     0xfd, 0xb6, "i32x4.min_s",                     VECTOR, NONE,      "VV:V", I32X4_MIN_S) \
    X(I32X4_MIN_U,                     0xfd, 0xb7, "i32x4.min_u",                     VECTOR, NONE,      "VV:V", I32X4_MIN_U) \
    X(I32X4_MAX_S,                     0xfd, 0xb8, "i32x4.max_s",                     VECTOR, NONE,      "VV:V", I32X4_MAX_S) \
    X(I32X4_MAX_U,                     0xfd, 0xb9, "i32x4.max_u",                     VECTOR, NONE,      "VV:V", I32X4_MAX_U) \
    X(I32X4_DOT_I16X8_S,               0xfd, 0xba, "i32x4.dot_i16x8_s",               VECTOR, NONE,      "VV:V", I32X4_DOT_I16X8_S) \
    X(I32X4_EXTMUL_LOW_I16X8_S,        0xfd, 0xbc, "i32x4.extmul_low_i16x8_s",        VECTOR, NONE,      "VV:V", I32X4_EXTMUL_LOW_I16X8_S) \
    X(I32X4_EXTMUL_HIGH_I16X8_S,       0xfd, 0xbd, "i32x4.extmul_high_i16x8_s",       VECTOR, NONE,      "VV:V", I32X4_EXTMUL_HIGH_I16X8_S) \
    X(I32X4_EXTMUL_LOW_I16X8_U,        0xfd, 0xbe, "i32x4.extmul_low_i16x8_u",        VECTOR, NONE,      "VV:V", I32X4_EXTMUL_LOW_I16X8_U) \
    X(I32X4_EXTMUL_HIGH_I16X8_U,       0xfd, 0xbf, "i32x4.extmul_high_i16x8_u",       VECTOR, NONE,      "VV:V", I32X4_EXTMUL_HIGH_I16X8_U) \
    X(I64X2_ABS,                       0xfd, 0xc0, "i64x2.abs",                       VECTOR, NONE,      "V:V", I64X2_ABS) \
    X(I64X2_NEG,                       0xfd, 0xc1, "i64x2.neg",                       VECTOR, NONE,      "V:V", I64X2_NEG) \
    X(I64X2_ALL_TRUE,                  0xfd, 0xc3, "i64x2.all_true",                  VECTOR, NONE,      "V:i", I64X2_ALL_TRUE) \
    X(I64X2_BITMASK,                   0xfd, 0xc4, "i64x2.bitmask",                   VECTOR, NONE,      "V:i", I64X2_BITMASK) \
    X(I64X2_EXTEND_LOW_I32X4_S,        0xfd, 0xc7, "i64x2.extend_low_i32x4_s",        VECTOR, NONE,      "V:V", I64X2_EXTEND_LOW_I32X4_S) \
    X(I64X2_EXTEND_HIGH_I32X4_S,       0xfd, 0xc8, "i64x2.extend_high_i32x4_s",       VECTOR, NONE,      "V:V", I64X2_EXTEND_HIGH_I32X4_S) \
    X(I64X2_EXTEND_LOW_I32X4_U,        0xfd, 0xc9, "i64x2.extend_low_i32x4_u",        VECTOR, NONE,      "V:V", I64X2_EXTEND_LOW_I32X4_U) \
    X(I64X2_EXTEND_HIGH_I32X4_U,       0xfd, 0xca, "i64x2.extend_high_i32x4_u",       VECTOR, NONE,      "V:V", I64X2_EXTEND_HIGH_I32X4_U) \
    X(I64X2_SHL,                       0xfd, 0xcb, "i64x2.shl",                       VECTOR, NONE,      "Vi:V", I64X2_SHL) \
    X(I64X2_SHR_S,                     0xfd, 0xcc, "i64x2.shr_s",                     VECTOR, NONE,      "Vi:V", I64X2_SHR_S) \
    X(I64X2_SHR_U,                     0xfd, 0xcd, "i64x2.shr_u",                     VECTOR, NONE,      "Vi:V", I64X2_SHR_U) \
    X(I64X2_ADD,                       0xfd, 0xce, "i64x2.add",                       VECTOR, NONE,      "VV:V", I64X2_ADD) \
    X(I64X2_SUB,                       0xfd, 0xd1, "i64x2.sub",                       VECTOR, NONE,      "VV:V", I64X2_SUB) \
    X(I64X2_MUL,                       0xfd, 0xd5, "i64x2.mul",                       VECTOR, NONE,      "VV:V", I64X2_MUL) \
    X(I64X2_EQ,                        0xfd, 0xd6, "i64x2.eq",                        VECTOR, NONE,      "VV:V", I64X2_EQ) \
    X(I64X2_NE,                        0xfd, 0xd7, "i64x2.ne",                        VECTOR, NONE,      "VV:V", I64X2_NE) \
    X(I64X2_LT_S,                      0xfd, 0xd8, "i64x2.lt_s",                      VECTOR, NONE,      "VV:V", I64X2_LT_S) \
    X(I64X2_GT_S,                      0xfd, 0xd9, "i64x2.gt_s",                      VECTOR, NONE,      "VV:V", I64X2_GT_S) \
    X(I64X2_LE_S,                      0xfd, 0xda, "i64x2.le_s",                      VECTOR, NONE,      "VV:V", I64X2_LE_S) \
    X(I64X2_GE_S,                      0xfd, 0xdb, "i64x2.ge_s",                      VECTOR, NONE,      "VV:V", I64X2_GE_S) \
    X(I64X2_EXTMUL_LOW_I32X4_S,        0xfd, 0xdc, "i64x2.extmul_low_i32x4_s",        VECTOR, NONE,      "VV:V", I64X2_EXTMUL_LOW_I32X4_S) \
    X(I64X2_EXTMUL_HIGH_I32X4_S,       0xfd, 0xdd, "i64x2.extmul_high_i32x4_s",       VECTOR, NONE,      "VV:V", I64X2_EXTMUL_HIGH_I32X4_S) \
    X(I64X2_EXTMUL_LOW_I32X4_U,        0xfd, 0xde, "i64x2.extmul_low_i32x4_u",        VECTOR, NONE,      "VV:V", I64X2_EXTMUL_LOW_I32X4_U) \
    X(I64X2_EXTMUL_HIGH_I32X4_U,       0xfd, 0xdf, "i64x2.extmul_high_i32x4_u",       VECTOR, NONE,      "VV:V", I64X2_EXTMUL_HIGH_I32X4_U) \
    X(F32X4_ABS,                       0xfd, 0xe0, "f32x4.abs",                       VECTOR, NONE,      "V:V", F32X4_ABS) \
    X(F32X4_NEG,                       0xfd, 0xe1, "f32x4.neg",                       VECTOR, NONE,      "V:V", F32X4_NEG) \
    X(F32X4_SQRT,                      0xfd, 0xe3, "f32x4.sqrt",                      VECTOR, NONE,      "V:V", F32X4_SQRT) \
    X(F32X4_ADD,                       0xfd, 0xe4, "f32x4.add",                       VECTOR, NONE,      "VV:V", F32X4_ADD) \
    X(F32X4_SUB,                       0xfd, 0xe5, "f32x4.sub",                       VECTOR, NONE,      "VV:V", F32X4_SUB) \
    X(F32X4_MUL,                       0xfd, 0xe6, "f32x4.mul",                       VECTOR, NONE,      "VV:V", F32X4_MUL) \
    X(F32X4_DIV,                       0xfd, 0xe7, "f32x4.div",                       VECTOR, NONE,      "VV:V", F32X4_DIV) \
    X(F32X4_MIN,                       0xfd, 0xe8, "f32x4.min",                       VECTOR, NONE,      "VV:V", F32X4_MIN) \
    X(F32X4_MAX,                       0xfd, 0xe9, "f32x4.max",                       VECTOR, NONE,      "VV:V", F32X4_MAX) \
    X(F32X4_PMIN,                      0xfd, 0xea, "f32x4.pmin",                      VECTOR, NONE,      "VV:V", F32X4_PMIN) \
    X(F32X4_PMAX,                      0xfd, 0xeb, "f32x4.pmax",                      VECTOR, NONE,      "VV:V", F32X4_PMAX) \
    X(F64X2_ABS,                       0xfd, 0xec, "f64x2.abs",                       VECTOR, NONE,      "V:V", F64X2_ABS) \
    X(F64X2_NEG,                       0xfd, 0xed, "f64x2.neg",                       VECTOR, NONE,      "V:V", F64X2_NEG) \
    X(F64X2_SQRT,                      0xfd, 0xef, "f64x2.sqrt",                      VECTOR, NONE,      "V:V", F64X2_SQRT) \
    X(F64X2_ADD,                       0xfd, 0xf0, "f64x2.add",                       VECTOR, NONE,      "VV:V", F64X2_ADD) \
    X(F64X2_SUB,                       0xfd, 0xf1, "f64x2.sub",                       VECTOR, NONE,      "VV:V", F64X2_SUB) \
    X(F64X2_MUL,                       0xfd, 0xf2, "f64x2.mul",                       VECTOR, NONE,      "VV:V", F64X2_MUL) \
    X(F64X2_DIV,                       0xfd, 0xf3, "f64x2.div",                       VECTOR, NONE,      "VV:V", F64X2_DIV) \
    X(F64X2_MIN,                       0xfd, 0xf4, "f64x2.min",                       VECTOR, NONE,      "VV:V", F64X2_MIN) \
    X(F64X2_MAX,                       0xfd, 0xf5, "f64x2.max",                       VECTOR, NONE,      "VV:V", F64X2_MAX) \
    X(F64X2_PMIN,                      0xfd, 0xf6, "f64x2.pmin",                      VECTOR, NONE,      "VV:V", F64X2_PMIN) \
    X(F64X2_PMAX,                      0xfd, 0xf7, "f64x2.pmax",                      VECTOR, NONE,      "VV:V", F64X2_PMAX) \
    X(I32X4_TRUNC_SAT_F32X4_S,         0xfd, 0xf8, "i32x4.trunc_sat_f32x4_s",         VECTOR, NONE,      "V:V", I32X4_TRUNC_SAT_F32X4_S) \
    X(I32X4_TRUNC_SAT_F32X4_U,         0xfd, 0xf9, "i32x4.trunc_sat_f32x4_u",         VECTOR, NONE,      "V:V", I32X4_TRUNC_SAT_F32X4_U) \
    X(F32X4_CONVERT_I32X4_S,           0xfd, 0xfa, "f32x4.convert_i32x4_s",           VECTOR, NONE,      "V:V", F32X4_CONVERT_I32X4_S) \
    X(F32X4_CONVERT_I32X4_U,           0xfd, 0xfb, "f32x4.convert_i32x4_u",           VECTOR, NONE,      "V:V", F32X4_CONVERT_I32X4_U) \
    X(I32X4_TRUNC_SAT_F64X2_S_ZERO,    0xfd, 0xfc, "i32x4.trunc_sat_f64x2_s_zero",    VECTOR, NONE,      "V:V", I32X4_TRUNC_SAT_F64X2_S_ZERO) \
    X(I32X4_TRUNC_SAT_F64X2_U_ZERO,    0xfd, 0xfd, "i32x4.trunc_sat_f64x2_u_zero",    VECTOR, NONE,      "V:V", I32X4_TRUNC_SAT_F64X2_U_ZERO) \
    X(F64X2_CONVERT_LOW_I32X4_S,       0xfd, 0xfe, "f64x2.convert_low_i32x4_s",       VECTOR, NONE,      "V:V", F64X2_CONVERT_LOW_I32X4_S) \
    X(F64X2_CONVERT_LOW_I32X4_U,       0xfd, 0xff, "f64x2.convert_low_i32x4_u",       VECTOR, NONE,      "V:V", F64X2_CONVERT_LOW_I32X4_U)
/* clang-format on */

/* An instruction's code: the byte, or prefix << 16 | sub-opcode. */
#define CCF_WASM_CODE(prefix, code) ((prefix) == 0 ? (unsigned)(code) : (unsigned)(prefix) << 16 | (unsigned)(code))

enum ccf_wasm_opcode {
#define CCF_WASM_OPCODE_ENUM(name, prefix, code, text, cls, imm, sig, op) \
    CCF_WASM_##name = CCF_WASM_CODE(prefix, code),
    CCF_WASM_OPCODES(CCF_WASM_OPCODE_ENUM)
#undef CCF_WASM_OPCODE_ENUM
};

#endif
