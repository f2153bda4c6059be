/* The vector (v128, 0xfd) instruction handlers: the body of simd_step() in
 * interp.c, included inside that function (it provides pc, fp, mem, memsz
 * and the macros R, NEXT, TRAP). Not a header of its own; not installed.
 *
 * A v128 takes two frame slots (low half first). Each handler copies its
 * operands into v128 unions (memcpy: slots are only 8-byte aligned), works
 * lane by lane in plain C with the spec's exact rules (wrapping integer lanes
 * through unsigned types, saturation by clamping, IEEE lane operations from
 * the host as in the scalar instructions, min/max/rounding with the scalar
 * helpers) and copies the result out. Operand layout: internal.h. */

#define VGET(k, v) memcpy(&(v), &fp[pc[k].u], 16)
#define VPUT(k, v) memcpy(&fp[pc[k].u], &(v), 16)
/* unary: r.F[i] = expr (a), dst a */
#define VUN(name, N, F, expr)        \
    L_##name : {                     \
        v128 a, r;                   \
        VGET(2, a);                  \
        for (int i = 0; i < (N); i++) \
            r.F[i] = (expr);         \
        VPUT(1, r);                  \
        pc += 3;                     \
        NEXT();                      \
    }
/* binary: r.F[i] = expr (a, b), dst a b */
#define VBIN(name, N, F, expr)       \
    L_##name : {                     \
        v128 a, b, r;                \
        VGET(2, a);                  \
        VGET(3, b);                  \
        for (int i = 0; i < (N); i++) \
            r.F[i] = (expr);         \
        VPUT(1, r);                  \
        pc += 4;                     \
        NEXT();                      \
    }
/* shift by an i32 operand modulo the lane width: dst a s */
#define VSHIFT(name, N, F, expr)                     \
    L_##name : {                                     \
        v128 a, r;                                   \
        VGET(2, a);                                  \
        unsigned s = (unsigned)R(3) & (128u / (N) - 1); \
        for (int i = 0; i < (N); i++)                \
            r.F[i] = (expr);                         \
        VPUT(1, r);                                  \
        pc += 4;                                     \
        NEXT();                                      \
    }
/* a v128 reduced to an i32: dst a */
#define VTEST(name, expr)    \
    L_##name : {             \
        v128 a;              \
        VGET(2, a);          \
        R(1) = (expr);       \
        pc += 3;             \
        NEXT();              \
    }
#define MASK(c) (-(int64_t)((c) != 0)) /* all ones when c */

    /* ---- memory: dst addr off; stores addr val off ---- */
#define VEA(k, offk, N)                                        \
    uint64_t ea = (uint64_t)(uint32_t)R(k) + pc[offk].u;       \
    if (ea + (N) > memsz)                                      \
        TRAP(CCF_WASM_TRAP_MEMORY_OOB);
L_V128_LOAD: {
    VEA(2, 3, 16);
    memcpy(&fp[pc[1].u], mem + ea, 16);
    pc += 4;
    NEXT();
}
L_V128_STORE: {
    VEA(1, 3, 16);
    memcpy(mem + ea, &fp[pc[2].u], 16);
    pc += 4;
    NEXT();
}
#define VLOADX(name, N, T, F)             \
    L_##name : {                          \
        VEA(2, 3, 8);                     \
        T x[N];                           \
        v128 r;                           \
        memcpy(x, mem + ea, 8);           \
        for (int i = 0; i < (N); i++)     \
            r.F[i] = x[i];                \
        VPUT(1, r);                       \
        pc += 4;                          \
        NEXT();                           \
    }
    VLOADX(V128_LOAD8X8_S, 8, int8_t, i16)
    VLOADX(V128_LOAD8X8_U, 8, uint8_t, u16)
    VLOADX(V128_LOAD16X4_S, 4, int16_t, i32)
    VLOADX(V128_LOAD16X4_U, 4, uint16_t, u32)
    VLOADX(V128_LOAD32X2_S, 2, int32_t, i64)
    VLOADX(V128_LOAD32X2_U, 2, uint32_t, u64)
#define VLOADSPLAT(name, N, F, ZERO)                  \
    L_##name : {                                      \
        VEA(2, 3, sizeof(((v128 *)0)->F[0]));         \
        v128 r;                                       \
        memset(&r, 0, sizeof r);                      \
        memcpy(&r.F[0], mem + ea, sizeof r.F[0]);     \
        for (int i = 1; !(ZERO) && i < (N); i++)      \
            r.F[i] = r.F[0];                          \
        VPUT(1, r);                                   \
        pc += 4;                                      \
        NEXT();                                       \
    }
    VLOADSPLAT(V128_LOAD8_SPLAT, 16, u8, 0)
    VLOADSPLAT(V128_LOAD16_SPLAT, 8, u16, 0)
    VLOADSPLAT(V128_LOAD32_SPLAT, 4, u32, 0)
    VLOADSPLAT(V128_LOAD64_SPLAT, 2, u64, 0)
    VLOADSPLAT(V128_LOAD32_ZERO, 4, u32, 1)
    VLOADSPLAT(V128_LOAD64_ZERO, 2, u64, 1)
    /* dst addr vec off lane; stores: addr vec off lane */
#define VLANEMEM(N, W)                                           \
    L_V128_LOAD##W##_LANE : {                                    \
        VEA(2, 4, N);                                            \
        v128 r;                                                  \
        VGET(3, r);                                              \
        memcpy(r.u8 + (pc[5].u & (16 / (N) - 1)) * (N), mem + ea, N); \
        VPUT(1, r);                                              \
        pc += 6;                                                 \
        NEXT();                                                  \
    }                                                            \
    L_V128_STORE##W##_LANE : {                                   \
        VEA(1, 3, N);                                            \
        v128 a;                                                  \
        VGET(2, a);                                              \
        memcpy(mem + ea, a.u8 + (pc[4].u & (16 / (N) - 1)) * (N), N); \
        pc += 5;                                                 \
        NEXT();                                                  \
    }
    VLANEMEM(1, 8)
    VLANEMEM(2, 16)
    VLANEMEM(4, 32)
    VLANEMEM(8, 64)

    /* ---- constants, shuffles, splats, lanes ---- */
L_V128_CONST:
    fp[pc[1].u] = pc[2].u;
    fp[pc[1].u + 1] = pc[3].u;
    pc += 4;
    NEXT();
L_I8X16_SHUFFLE: { /* dst a b lanes(2 cells) */
    v128 a, b, r;
    uint8_t idx[16];
    VGET(2, a);
    VGET(3, b);
    memcpy(idx, &pc[4].u, 8);
    memcpy(idx + 8, &pc[5].u, 8);
    for (int i = 0; i < 16; i++)
        r.u8[i] = idx[i] < 16 ? a.u8[idx[i] & 15] : b.u8[idx[i] & 15];
    VPUT(1, r);
    pc += 6;
    NEXT();
}
    VBIN(I8X16_SWIZZLE, 16, u8, b.u8[i] < 16 ? a.u8[b.u8[i] & 15] : 0)
#define VSPLAT(name, N, F, T)             \
    L_##name : {                          \
        v128 r;                           \
        T x = (T)R(2);                    \
        for (int i = 0; i < (N); i++)     \
            r.F[i] = x;                   \
        VPUT(1, r);                       \
        pc += 3;                          \
        NEXT();                           \
    }
    VSPLAT(I8X16_SPLAT, 16, u8, uint8_t)
    VSPLAT(I16X8_SPLAT, 8, u16, uint16_t)
    VSPLAT(I32X4_SPLAT, 4, u32, uint32_t)
    VSPLAT(I64X2_SPLAT, 2, u64, uint64_t)
    VSPLAT(F32X4_SPLAT, 4, u32, uint32_t)
    VSPLAT(F64X2_SPLAT, 2, u64, uint64_t)
    /* extract: dst a lane; replace: dst a x lane */
#define VEXTRACT(name, N, expr)           \
    L_##name : {                          \
        v128 a;                           \
        VGET(2, a);                       \
        unsigned l = pc[3].u32 & ((N) - 1); \
        R(1) = (expr);                    \
        pc += 4;                          \
        NEXT();                           \
    }
#define VREPLACE(name, N, F, T)           \
    L_##name : {                          \
        v128 a;                           \
        VGET(2, a);                       \
        a.F[pc[4].u32 & ((N) - 1)] = (T)R(3); \
        VPUT(1, a);                       \
        pc += 5;                          \
        NEXT();                           \
    }
    VEXTRACT(I8X16_EXTRACT_LANE_S, 16, (uint32_t)(int32_t)a.i8[l])
    VEXTRACT(I8X16_EXTRACT_LANE_U, 16, a.u8[l])
    VEXTRACT(I16X8_EXTRACT_LANE_S, 8, (uint32_t)(int32_t)a.i16[l])
    VEXTRACT(I16X8_EXTRACT_LANE_U, 8, a.u16[l])
    VEXTRACT(I32X4_EXTRACT_LANE, 4, a.u32[l])
    VEXTRACT(I64X2_EXTRACT_LANE, 2, a.u64[l])
    VEXTRACT(F32X4_EXTRACT_LANE, 4, a.u32[l])
    VEXTRACT(F64X2_EXTRACT_LANE, 2, a.u64[l])
    VREPLACE(I8X16_REPLACE_LANE, 16, u8, uint8_t)
    VREPLACE(I16X8_REPLACE_LANE, 8, u16, uint16_t)
    VREPLACE(I32X4_REPLACE_LANE, 4, u32, uint32_t)
    VREPLACE(I64X2_REPLACE_LANE, 2, u64, uint64_t)
    VREPLACE(F32X4_REPLACE_LANE, 4, u32, uint32_t)
    VREPLACE(F64X2_REPLACE_LANE, 2, u64, uint64_t)

    /* ---- comparisons: all ones / all zeros per lane ---- */
#define VCMPS(P, N, U, S, UF, SF)                                  \
    VBIN(P##_EQ, N, UF, (U)MASK(a.UF[i] == b.UF[i]))               \
    VBIN(P##_NE, N, UF, (U)MASK(a.UF[i] != b.UF[i]))               \
    VBIN(P##_LT_S, N, UF, (U)MASK(a.SF[i] < b.SF[i]))              \
    VBIN(P##_LT_U, N, UF, (U)MASK(a.UF[i] < b.UF[i]))              \
    VBIN(P##_GT_S, N, UF, (U)MASK(a.SF[i] > b.SF[i]))              \
    VBIN(P##_GT_U, N, UF, (U)MASK(a.UF[i] > b.UF[i]))              \
    VBIN(P##_LE_S, N, UF, (U)MASK(a.SF[i] <= b.SF[i]))             \
    VBIN(P##_LE_U, N, UF, (U)MASK(a.UF[i] <= b.UF[i]))             \
    VBIN(P##_GE_S, N, UF, (U)MASK(a.SF[i] >= b.SF[i]))             \
    VBIN(P##_GE_U, N, UF, (U)MASK(a.UF[i] >= b.UF[i]))
    VCMPS(I8X16, 16, uint8_t, int8_t, u8, i8)
    VCMPS(I16X8, 8, uint16_t, int16_t, u16, i16)
    VCMPS(I32X4, 4, uint32_t, int32_t, u32, i32)
    VBIN(I64X2_EQ, 2, u64, (uint64_t)MASK(a.u64[i] == b.u64[i]))
    VBIN(I64X2_NE, 2, u64, (uint64_t)MASK(a.u64[i] != b.u64[i]))
    VBIN(I64X2_LT_S, 2, u64, (uint64_t)MASK(a.i64[i] < b.i64[i]))
    VBIN(I64X2_GT_S, 2, u64, (uint64_t)MASK(a.i64[i] > b.i64[i]))
    VBIN(I64X2_LE_S, 2, u64, (uint64_t)MASK(a.i64[i] <= b.i64[i]))
    VBIN(I64X2_GE_S, 2, u64, (uint64_t)MASK(a.i64[i] >= b.i64[i]))
#define VFCMPS(P, N, U, UF, FF)                                    \
    VBIN(P##_EQ, N, UF, (U)MASK(a.FF[i] == b.FF[i]))               \
    VBIN(P##_NE, N, UF, (U)MASK(a.FF[i] != b.FF[i]))               \
    VBIN(P##_LT, N, UF, (U)MASK(a.FF[i] < b.FF[i]))                \
    VBIN(P##_GT, N, UF, (U)MASK(a.FF[i] > b.FF[i]))                \
    VBIN(P##_LE, N, UF, (U)MASK(a.FF[i] <= b.FF[i]))               \
    VBIN(P##_GE, N, UF, (U)MASK(a.FF[i] >= b.FF[i]))
    VFCMPS(F32X4, 4, uint32_t, u32, f32)
    VFCMPS(F64X2, 2, uint64_t, u64, f64)

    /* ---- bitwise ---- */
    VUN(V128_NOT, 2, u64, ~a.u64[i])
    VBIN(V128_AND, 2, u64, a.u64[i] & b.u64[i])
    VBIN(V128_ANDNOT, 2, u64, a.u64[i] & ~b.u64[i])
    VBIN(V128_OR, 2, u64, a.u64[i] | b.u64[i])
    VBIN(V128_XOR, 2, u64, a.u64[i] ^ b.u64[i])
L_V128_BITSELECT: { /* dst a b c */
    v128 a, b, m, r;
    VGET(2, a);
    VGET(3, b);
    VGET(4, m);
    for (int i = 0; i < 2; i++)
        r.u64[i] = (a.u64[i] & m.u64[i]) | (b.u64[i] & ~m.u64[i]);
    VPUT(1, r);
    pc += 5;
    NEXT();
}
    VTEST(V128_ANY_TRUE, (a.u64[0] | a.u64[1]) != 0)

    /* ---- integer lanes ---- */
#define VALLTRUE(name, N, F)                  \
    L_##name : {                              \
        v128 a;                               \
        VGET(2, a);                           \
        uint32_t t = 1;                       \
        for (int i = 0; i < (N); i++)         \
            t &= a.F[i] != 0;                 \
        R(1) = t;                             \
        pc += 3;                              \
        NEXT();                               \
    }
#define VBITMASK(name, N, F)                  \
    L_##name : {                              \
        v128 a;                               \
        VGET(2, a);                           \
        uint32_t t = 0;                       \
        for (int i = 0; i < (N); i++)         \
            t |= (uint32_t)(a.F[i] < 0) << i; \
        R(1) = t;                             \
        pc += 3;                              \
        NEXT();                               \
    }
    /* abs, neg: through unsigned lanes (no signed overflow) */
#define VINTS(P, N, U, UF, SF, BITS)                                         \
    VUN(P##_ABS, N, UF, (U)(a.SF[i] < 0 ? 0u - a.UF[i] : a.UF[i]))           \
    VUN(P##_NEG, N, UF, (U)(0u - a.UF[i]))                                   \
    VALLTRUE(P##_ALL_TRUE, N, UF)                                            \
    VBITMASK(P##_BITMASK, N, SF)                                             \
    VSHIFT(P##_SHL, N, UF, (U)((uint64_t)a.UF[i] << s))                      \
    VSHIFT(P##_SHR_S, N, UF, (U)(a.SF[i] >> s))                              \
    VSHIFT(P##_SHR_U, N, UF, (U)(a.UF[i] >> s))                              \
    VBIN(P##_ADD, N, UF, (U)((uint64_t)a.UF[i] + b.UF[i]))                   \
    VBIN(P##_SUB, N, UF, (U)((uint64_t)a.UF[i] - b.UF[i]))
    VINTS(I8X16, 16, uint8_t, u8, i8, 8)
    VINTS(I16X8, 8, uint16_t, u16, i16, 16)
    VINTS(I32X4, 4, uint32_t, u32, i32, 32)
    VINTS(I64X2, 2, uint64_t, u64, i64, 64)
    VUN(I8X16_POPCNT, 16, u8, (uint8_t)__builtin_popcount(a.u8[i]))
#define VMINMAX(P, N, UF, SF)                                      \
    VBIN(P##_MIN_S, N, SF, a.SF[i] < b.SF[i] ? a.SF[i] : b.SF[i])  \
    VBIN(P##_MIN_U, N, UF, a.UF[i] < b.UF[i] ? a.UF[i] : b.UF[i])  \
    VBIN(P##_MAX_S, N, SF, a.SF[i] > b.SF[i] ? a.SF[i] : b.SF[i])  \
    VBIN(P##_MAX_U, N, UF, a.UF[i] > b.UF[i] ? a.UF[i] : b.UF[i])
    VMINMAX(I8X16, 16, u8, i8)
    VMINMAX(I16X8, 8, u16, i16)
    VMINMAX(I32X4, 4, u32, i32)
    /* saturating: computed in int, then clamped */
#define CLAMP(x, lo, hi) ((x) < (lo) ? (lo) : (x) > (hi) ? (hi) : (x))
#define VSAT(P, N, UF, SF, SMIN, SMAX, UMAX)                                               \
    VBIN(P##_ADD_SAT_S, N, SF, CLAMP((int)a.SF[i] + (int)b.SF[i], SMIN, SMAX))              \
    VBIN(P##_ADD_SAT_U, N, UF, CLAMP((int)a.UF[i] + (int)b.UF[i], 0, UMAX))                 \
    VBIN(P##_SUB_SAT_S, N, SF, CLAMP((int)a.SF[i] - (int)b.SF[i], SMIN, SMAX))              \
    VBIN(P##_SUB_SAT_U, N, UF, CLAMP((int)a.UF[i] - (int)b.UF[i], 0, UMAX))                 \
    VBIN(P##_AVGR_U, N, UF, ((unsigned)a.UF[i] + b.UF[i] + 1) >> 1)
    VSAT(I8X16, 16, u8, i8, -128, 127, 255)
    VSAT(I16X8, 8, u16, i16, -32768, 32767, 65535)
    /* narrow: lanes of a then of b, signed input saturated */
    VBIN(I8X16_NARROW_I16X8_S, 16, i8, CLAMP(i < 8 ? a.i16[i] : b.i16[i - 8], -128, 127))
    VBIN(I8X16_NARROW_I16X8_U, 16, u8, CLAMP(i < 8 ? a.i16[i] : b.i16[i - 8], 0, 255))
    VBIN(I16X8_NARROW_I32X4_S, 8, i16, CLAMP(i < 4 ? a.i32[i] : b.i32[i - 4], -32768, 32767))
    VBIN(I16X8_NARROW_I32X4_U, 8, u16, CLAMP(i < 4 ? a.i32[i] : b.i32[i - 4], 0, 65535))
    VBIN(I16X8_MUL, 8, u16, (uint16_t)((uint32_t)a.u16[i] * b.u16[i]))
    VBIN(I32X4_MUL, 4, u32, a.u32[i] * b.u32[i])
    VBIN(I64X2_MUL, 2, u64, a.u64[i] * b.u64[i])
    VBIN(I16X8_Q15MULR_SAT_S, 8, i16, CLAMP(((int32_t)a.i16[i] * b.i16[i] + 0x4000) >> 15, -32768, 32767))
    VBIN(I32X4_DOT_I16X8_S, 4, u32,
         (uint32_t)((int64_t)a.i16[2 * i] * b.i16[2 * i] + (int64_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]))
    /* widening: extend low/high half, pairwise add, multiply */
#define VWIDE(P, N, WF, S, NF, UF)                                                           \
    VUN(P##_EXTEND_LOW_##S##_S, N, WF, a.NF[i])                                              \
    VUN(P##_EXTEND_HIGH_##S##_S, N, WF, a.NF[i + (N)])                                       \
    VUN(P##_EXTEND_LOW_##S##_U, N, WF, a.UF[i])                                              \
    VUN(P##_EXTEND_HIGH_##S##_U, N, WF, a.UF[i + (N)])                                       \
    VBIN(P##_EXTMUL_LOW_##S##_S, N, WF, (int64_t)a.NF[i] * b.NF[i])                          \
    VBIN(P##_EXTMUL_HIGH_##S##_S, N, WF, (int64_t)a.NF[i + (N)] * b.NF[i + (N)])             \
    VBIN(P##_EXTMUL_LOW_##S##_U, N, WF, (uint64_t)a.UF[i] * b.UF[i])                         \
    VBIN(P##_EXTMUL_HIGH_##S##_U, N, WF, (uint64_t)a.UF[i + (N)] * b.UF[i + (N)])
    VWIDE(I16X8, 8, u16, I8X16, i8, u8)
    VWIDE(I32X4, 4, u32, I16X8, i16, u16)
    VWIDE(I64X2, 2, u64, I32X4, i32, u32)
    VUN(I16X8_EXTADD_PAIRWISE_I8X16_S, 8, u16, (uint16_t)(a.i8[2 * i] + a.i8[2 * i + 1]))
    VUN(I16X8_EXTADD_PAIRWISE_I8X16_U, 8, u16, (uint16_t)(a.u8[2 * i] + a.u8[2 * i + 1]))
    VUN(I32X4_EXTADD_PAIRWISE_I16X8_S, 4, u32, (uint32_t)(a.i16[2 * i] + a.i16[2 * i + 1]))
    VUN(I32X4_EXTADD_PAIRWISE_I16X8_U, 4, u32, (uint32_t)(a.u16[2 * i] + a.u16[2 * i + 1]))

    /* ---- floating point lanes ---- */
#define VFLOATS(P, N, UF, FF, SIGN, SQRT, MIN, MAX)                                  \
    VUN(P##_ABS, N, UF, a.UF[i] & ~(SIGN))                                           \
    VUN(P##_NEG, N, UF, a.UF[i] ^ (SIGN))                                            \
    VUN(P##_SQRT, N, FF, SQRT(a.FF[i]))                                              \
    VBIN(P##_ADD, N, FF, a.FF[i] + b.FF[i])                                          \
    VBIN(P##_SUB, N, FF, a.FF[i] - b.FF[i])                                          \
    VBIN(P##_MUL, N, FF, a.FF[i] * b.FF[i])                                          \
    VBIN(P##_DIV, N, FF, a.FF[i] / b.FF[i])                                          \
    VBIN(P##_MIN, N, FF, MIN(a.FF[i], b.FF[i]))                                      \
    VBIN(P##_MAX, N, FF, MAX(a.FF[i], b.FF[i]))                                      \
    VBIN(P##_PMIN, N, UF, b.FF[i] < a.FF[i] ? b.UF[i] : a.UF[i])                     \
    VBIN(P##_PMAX, N, UF, a.FF[i] < b.FF[i] ? b.UF[i] : a.UF[i])
    VFLOATS(F32X4, 4, u32, f32, 0x80000000u, sqrtf, fmin32, fmax32)
    VFLOATS(F64X2, 2, u64, f64, 0x8000000000000000ull, sqrt, fmin64, fmax64)
    VUN(F32X4_CEIL, 4, u32, (uint32_t)quiet32(U32F(ceilf(a.f32[i]))))
    VUN(F32X4_FLOOR, 4, u32, (uint32_t)quiet32(U32F(floorf(a.f32[i]))))
    VUN(F32X4_TRUNC, 4, u32, (uint32_t)quiet32(U32F(truncf(a.f32[i]))))
    VUN(F32X4_NEAREST, 4, u32, (uint32_t)quiet32(U32F(nearbyintf(a.f32[i]))))
    VUN(F64X2_CEIL, 2, u64, quiet64(U64F(ceil(a.f64[i]))))
    VUN(F64X2_FLOOR, 2, u64, quiet64(U64F(floor(a.f64[i]))))
    VUN(F64X2_TRUNC, 2, u64, quiet64(U64F(trunc(a.f64[i]))))
    VUN(F64X2_NEAREST, 2, u64, quiet64(U64F(nearbyint(a.f64[i]))))

    /* ---- conversions ---- */
    VUN(I32X4_TRUNC_SAT_F32X4_S, 4, u32, sat_s32((double)a.f32[i]))
    VUN(I32X4_TRUNC_SAT_F32X4_U, 4, u32, sat_u32((double)a.f32[i]))
    VUN(I32X4_TRUNC_SAT_F64X2_S_ZERO, 4, u32, i < 2 ? sat_s32(a.f64[i & 1]) : 0)
    VUN(I32X4_TRUNC_SAT_F64X2_U_ZERO, 4, u32, i < 2 ? sat_u32(a.f64[i & 1]) : 0)
    VUN(F32X4_CONVERT_I32X4_S, 4, f32, (float)a.i32[i])
    VUN(F32X4_CONVERT_I32X4_U, 4, f32, (float)a.u32[i])
    VUN(F64X2_CONVERT_LOW_I32X4_S, 2, f64, (double)a.i32[i])
    VUN(F64X2_CONVERT_LOW_I32X4_U, 2, f64, (double)a.u32[i])
    VUN(F32X4_DEMOTE_F64X2_ZERO, 4, f32, i < 2 ? (float)a.f64[i & 1] : 0.0f)
    VUN(F64X2_PROMOTE_LOW_F32X4, 2, f64, (double)a.f32[i])

#undef VGET
#undef VPUT
#undef VUN
#undef VBIN
#undef VSHIFT
#undef VTEST
#undef MASK
#undef VEA
#undef CLAMP
