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
 *         f=f32 F=f64; "-" when they depend on immediates or on the operand
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
    IMM_MEMARG64,    /* ... 8 bytes (keep the four in this order) */
    IMM_MEM,         /* memidx, a 0x00 byte in 2.0 */
    IMM_MEM_MEM,     /* two 0x00 bytes (memory.copy) */
    IMM_DATA_MEM,    /* dataidx, 0x00 (memory.init) */
    IMM_DATA,        /* dataidx */
    IMM_I32,         /* i32 (signed LEB128) */
    IMM_I64,         /* i64 (signed LEB128) */
    IMM_F32,         /* 4 bytes, little endian */
    IMM_F64,         /* 8 bytes, little endian */
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
    X(I64_TRUNC_SAT_F64_U, 0xfc, 7, "i64.trunc_sat_f64_u", NUMERIC, NONE, "F:I", I64_TRUNC_SAT_F64_U)
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
