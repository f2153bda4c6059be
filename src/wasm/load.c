/* Decoder, validator and code generator: one pass over the binary module.
 * Function bodies are validated with the spec's algorithm (operand type stack
 * + control frames) and translated at the same time into the internal
 * instruction stream (internal.h): handler addresses with pre-decoded
 * immediates, branch targets resolved to relative cell offsets, locals and
 * branch heights as fixed slot offsets from the frame base. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm/internal.h"
#include "wasm/opcodes.h"

#define MAX_LOCALS 50000u
#define MAX_FUNC_SLOTS (1u << 20)

struct rd {
    const uint8_t *start, *p, *end;
    const char *sec;
    const char *insn; /* instruction being validated (code section), or NULL */
    char *err;
    size_t errsz;
};

__attribute__((format(printf, 3, 0))) static ccf_err failv(struct rd *r, const uint8_t *at, const char *fmt, va_list ap)
{
    if (r->err != NULL && r->errsz > 0) {
        int n = snprintf(r->err, r->errsz, "%s section, offset 0x%zx: ", r->sec,
                         (size_t)(at - r->start));
        if (n >= 0 && (size_t)n < r->errsz)
            vsnprintf(r->err + n, r->errsz - (size_t)n, fmt, ap);
        size_t len = strlen(r->err);
        if (r->insn != NULL && len < r->errsz)
            snprintf(r->err + len, r->errsz - len, " (in %s)", r->insn);
    }
    return CCF_ERR_INVALID;
}

__attribute__((format(printf, 2, 3))) static ccf_err fail(struct rd *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ccf_err e = failv(r, r->p, fmt, ap);
    va_end(ap);
    return e;
}

__attribute__((format(printf, 3, 4))) static ccf_err fail_at(struct rd *r, const uint8_t *at,
                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ccf_err e = failv(r, at, fmt, ap);
    va_end(ap);
    return e;
}

#define TRY(x)                  \
    do {                        \
        ccf_err e_ = (x);       \
        if (e_ != CCF_OK)       \
            return e_;          \
    } while (0)

static ccf_err rd_byte(struct rd *r, uint8_t *out)
{
    *out = 0;
    if (r->p >= r->end)
        return fail(r, "unexpected end");
    *out = *r->p++;
    return CCF_OK;
}

/* LEB128 with the spec's size and unused-bit rules. */
static ccf_err rd_leb(struct rd *r, unsigned bits, bool sign, uint64_t *out)
{
    const uint8_t *at = r->p;
    unsigned maxb = (bits + 6) / 7;
    uint64_t v = 0;
    *out = 0;
    unsigned shift = 0;
    for (unsigned i = 0;; i++) {
        uint8_t b;
        if (r->p >= r->end)
            return fail(r, "unexpected end");
        b = *r->p++;
        if (i == maxb - 1) {
            unsigned valid = bits - 7 * (maxb - 1);
            if (b & 0x80)
                return fail_at(r, at, "integer representation too long");
            if (sign) {
                uint8_t m = (uint8_t)((0x7f << (valid - 1)) & 0x7f);
                if ((b & m) != 0 && (b & m) != m)
                    return fail_at(r, at, "integer too large");
            } else {
                uint8_t m = (uint8_t)((0x7f << valid) & 0x7f);
                if (b & m)
                    return fail_at(r, at, "integer too large");
            }
        }
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (sign && shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            break;
        }
    }
    *out = v;
    return CCF_OK;
}

static ccf_err rd_u32(struct rd *r, uint32_t *out)
{
    uint64_t v;
    *out = 0;
    TRY(rd_leb(r, 32, false, &v));
    *out = (uint32_t)v;
    return CCF_OK;
}

/* A vector length: each element takes at least min_elem_bytes, so a count
 * larger than the rest of the input is malformed (bounds every allocation). */
static ccf_err rd_count(struct rd *r, uint32_t *out, size_t min_elem_bytes)
{
    const uint8_t *at = r->p;
    TRY(rd_u32(r, out));
    if (min_elem_bytes > 0 && (uint64_t)*out * min_elem_bytes > (uint64_t)(r->end - r->p))
        return fail_at(r, at, "length out of bounds (unexpected end)");
    return CCF_OK;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp;
        size_t len;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            cp = c & 0x1f;
            len = 2;
        } else if ((c & 0xf0) == 0xe0) {
            cp = c & 0x0f;
            len = 3;
        } else if ((c & 0xf8) == 0xf0) {
            cp = c & 0x07;
            len = 4;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* A name: copied NUL-terminated (may contain NUL bytes, len is exact). */
static ccf_err rd_name(struct rd *r, char **out, uint32_t *len)
{
    uint32_t n;
    TRY(rd_count(r, &n, 1));
    if (!utf8_valid(r->p, n))
        return fail(r, "malformed UTF-8 encoding");
    char *s = malloc((size_t)n + 1);
    if (s == NULL)
        return CCF_ERR_NOMEM;
    memcpy(s, r->p, n);
    s[n] = '\0';
    r->p += n;
    *out = s;
    *len = n;
    return CCF_OK;
}

static bool is_valtype(uint8_t t)
{
    return t == 0x7f || t == 0x7e || t == 0x7d || t == 0x7c || t == WASM_V128 || t == 0x70 || t == 0x6f;
}
static bool is_reftype(uint8_t t) { return t == 0x70 || t == 0x6f; }

static const char *tname(uint8_t t)
{
    switch (t) {
    case 0x7f: return "i32";
    case 0x7e: return "i64";
    case 0x7d: return "f32";
    case 0x7c: return "f64";
    case WASM_V128: return "v128";
    case 0x70: return "funcref";
    case 0x6f: return "externref";
    case 0: return "unknown";
    }
    return "?";
}

static ccf_err rd_valtype(struct rd *r, uint8_t *out)
{
    const uint8_t *at = r->p;
    TRY(rd_byte(r, out));
    if (!is_valtype(*out))
        return fail_at(r, at, "malformed value type 0x%02x", *out);
    return CCF_OK;
}

static ccf_err rd_reftype(struct rd *r, uint8_t *out)
{
    const uint8_t *at = r->p;
    TRY(rd_byte(r, out));
    if (!is_reftype(*out))
        return fail_at(r, at, "malformed reference type 0x%02x", *out);
    return CCF_OK;
}

static ccf_err rd_limits(struct rd *r, struct limits *l, bool memory)
{
    uint8_t flag;
    const uint8_t *at = r->p;
    TRY(rd_byte(r, &flag));
    if (flag > 1)
        return fail_at(r, at, "integer too large (limits flag 0x%02x)", flag);
    TRY(rd_u32(r, &l->min));
    l->max = UINT32_MAX;
    if (flag == 1)
        TRY(rd_u32(r, &l->max));
    if (memory) {
        if (l->min > WASM_MAX_PAGES)
            return fail_at(r, at, "memory size must be at most 65536 pages (4GiB)");
        if (flag == 1 && l->max > WASM_MAX_PAGES)
            return fail_at(r, at, "memory size must be at most 65536 pages (4GiB)");
    }
    if (flag == 1 && l->max < l->min)
        return fail_at(r, at, "size minimum must not be greater than maximum");
    return CCF_OK;
}

/* ---- module decoding ---- */

struct loader {
    struct rd r;
    ccf_wasm_module *m;
    uint8_t *declared; /* per func: may be used by ref.func in code */
    bool has_datacount;
    uint32_t datacount;
};

static ccf_err rd_constexpr(struct loader *L, uint8_t want, struct constexpr_ *ce, bool global_init)
{
    struct rd *r = &L->r;
    const uint8_t *at = r->p;
    uint8_t op, got = 0;
    uint64_t v;
    TRY(rd_byte(r, &op));
    ce->op = op;
    switch (op) {
    case 0x41:
        TRY(rd_leb(r, 32, true, &v));
        ce->val = (uint32_t)v;
        got = 0x7f;
        break;
    case 0x42:
        TRY(rd_leb(r, 64, true, &v));
        ce->val = v;
        got = 0x7e;
        break;
    case 0x43:
        if (r->end - r->p < 4)
            return fail(r, "unexpected end");
        ce->val = (uint64_t)r->p[0] | (uint64_t)r->p[1] << 8 | (uint64_t)r->p[2] << 16 |
                  (uint64_t)r->p[3] << 24;
        r->p += 4;
        got = 0x7d;
        break;
    case 0x44:
        if (r->end - r->p < 8)
            return fail(r, "unexpected end");
        ce->val = 0;
        for (int i = 7; i >= 0; i--)
            ce->val = (ce->val << 8) | r->p[i];
        r->p += 8;
        got = 0x7c;
        break;
    case 0xfd: { /* v128.const */
        uint32_t sub;
        TRY(rd_u32(r, &sub));
        if (sub != 12)
            return fail_at(r, at, "constant expression required (opcode 0xfd %u)", sub);
        if (r->end - r->p < 16)
            return fail(r, "unexpected end");
        memcpy(&ce->val, r->p, 8);
        memcpy(&ce->hi, r->p + 8, 8);
        r->p += 16;
        got = WASM_V128;
        break;
    }
    case 0xd0: {
        uint8_t t;
        TRY(rd_reftype(r, &t));
        ce->val = 0;
        got = t;
        break;
    }
    case 0xd2: {
        uint32_t f;
        TRY(rd_u32(r, &f));
        if (f >= L->m->nfuncs)
            return fail_at(r, at, "unknown function %u", f);
        L->declared[f] = 1;
        ce->val = f;
        got = 0x70;
        break;
    }
    case 0x23: {
        uint32_t g;
        TRY(rd_u32(r, &g));
        uint32_t limit = global_init ? L->m->nglobal_imports : L->m->nglobals;
        if (g >= limit || g >= L->m->nglobal_imports)
            return fail_at(r, at, "unknown global %u", g);
        if (L->m->globals[g].mut)
            return fail_at(r, at, "constant expression required (mutable global)");
        ce->val = g;
        got = L->m->globals[g].type;
        break;
    }
    default:
        if (op == 0x0b)
            return fail_at(r, at, "type mismatch: constant expression is empty");
        return fail_at(r, at, "constant expression required (opcode 0x%02x)", op);
    }
    at = r->p;
    TRY(rd_byte(r, &op));
    if (op != 0x0b) {
        if (op == 0x41 || op == 0x42 || op == 0x43 || op == 0x44 || op == 0xd0 || op == 0xd2 ||
            op == 0x23 || op == 0xfd)
            return fail_at(r, at, "type mismatch: constant expression has extra values");
        return fail_at(r, at, "constant expression required (opcode 0x%02x)", op);
    }
    if (got != want)
        return fail_at(r, at, "type mismatch: constant expression has type %s, expected %s",
                       tname(got), tname(want));
    return CCF_OK;
}

static ccf_err sec_type(struct loader *L)
{
    struct rd *r = &L->r;
    ccf_wasm_module *m = L->m;
    uint32_t n;
    TRY(rd_count(r, &n, 3));
    m->types = calloc(n ? n : 1, sizeof *m->types);
    if (m->types == NULL)
        return CCF_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t form;
        uint32_t np, nr;
        const uint8_t *at = r->p;
        TRY(rd_byte(r, &form));
        if (form != 0x60)
            return fail_at(r, at, "integer representation too long (function type form 0x%02x)", form);
        TRY(rd_count(r, &np, 1));
        const uint8_t *pp = r->p;
        r->p += np;
        TRY(rd_count(r, &nr, 1));
        const uint8_t *rp = r->p;
        r->p += nr;
        struct functype *ft = &m->types[i];
        ft->t = malloc((size_t)np + nr + 1);
        if (ft->t == NULL)
            return CCF_ERR_NOMEM;
        m->ntypes = i + 1;
        ft->np = np;
        ft->nr = nr;
        memcpy(ft->t, pp, np);
        memcpy(ft->t + np, rp, nr);
        for (uint32_t k = 0; k < np + nr; k++)
            if (!is_valtype(ft->t[k]))
                return fail_at(r, k < np ? pp + k : rp + (k - np), "malformed value type 0x%02x",
                               ft->t[k]);
    }
    m->ntypes = n;
    return CCF_OK;
}

static ccf_err sec_import(struct loader *L)
{
    struct rd *r = &L->r;
    ccf_wasm_module *m = L->m;
    uint32_t n;
    TRY(rd_count(r, &n, 4));
    m->imports = calloc(n ? n : 1, sizeof *m->imports);
    if (m->imports == NULL)
        return CCF_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct import *im = &m->imports[i];
        m->nimports = i + 1;
        TRY(rd_name(r, &im->module, &im->module_len));
        TRY(rd_name(r, &im->name, &im->name_len));
        const uint8_t *at = r->p;
        TRY(rd_byte(r, &im->kind));
        switch (im->kind) {
        case 0:
            TRY(rd_u32(r, &im->type));
            if (im->type >= m->ntypes)
                return fail_at(r, at, "unknown type %u", im->type);
            m->nfunc_imports++;
            break;
        case 1:
            TRY(rd_reftype(r, &im->valtype));
            TRY(rd_limits(r, &im->lim, false));
            m->ntable_imports++;
            break;
        case 2:
            TRY(rd_limits(r, &im->lim, true));
            m->nmem_imports++;
            break;
        case 3: {
            TRY(rd_valtype(r, &im->valtype));
            const uint8_t *mat = r->p;
            TRY(rd_byte(r, &im->mut));
            if (im->mut > 1)
                return fail_at(r, mat, "malformed mutability");
            m->nglobal_imports++;
            break;
        }
        default:
            return fail_at(r, at, "malformed import kind 0x%02x", im->kind);
        }
        if (m->nmem_imports > 1)
            return fail_at(r, at, "multiple memories");
    }
    return CCF_OK;
}

struct tmp_spaces {
    uint32_t nfuncs, ntables, nmems;
    uint32_t *ftypes;
    struct table_def *tables;
    struct limits *mems;
    bool built;
};

/* Builds the function, table, memory and (imported) global index spaces once
 * the sections before the global section are known. */
static ccf_err build_spaces(struct loader *L, struct tmp_spaces *T)
{
    ccf_wasm_module *m = L->m;
    if (T->built)
        return CCF_OK;
    T->built = true;
    m->nfuncs = m->nfunc_imports + T->nfuncs;
    m->ntables = m->ntable_imports + T->ntables;
    m->nmems = m->nmem_imports + T->nmems;
    m->nglobals = m->nglobal_imports;
    m->func_types = calloc(m->nfuncs ? m->nfuncs : 1, sizeof *m->func_types);
    m->funcs = calloc(T->nfuncs + 1, sizeof *m->funcs);
    m->tables = calloc(m->ntables ? m->ntables : 1, sizeof *m->tables);
    m->mems = calloc(m->nmems ? m->nmems : 1, sizeof *m->mems);
    m->globals = calloc(m->nglobals ? m->nglobals : 1, sizeof *m->globals);
    L->declared = calloc(m->nfuncs ? m->nfuncs : 1, 1);
    if (!m->func_types || !m->funcs || !m->tables || !m->mems || !m->globals || !L->declared)
        return CCF_ERR_NOMEM;
    uint32_t fi = 0, ti = 0, mi = 0, gi = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        struct import *im = &m->imports[i];
        switch (im->kind) {
        case 0: m->func_types[fi++] = im->type; break;
        case 1: m->tables[ti].type = im->valtype; m->tables[ti++].lim = im->lim; break;
        case 2: m->mems[mi++] = im->lim; break;
        case 3: m->globals[gi].type = im->valtype; m->globals[gi++].mut = im->mut; break;
        }
    }
    for (uint32_t i = 0; i < T->nfuncs; i++)
        m->func_types[fi++] = T->ftypes[i];
    for (uint32_t i = 0; i < T->ntables; i++)
        m->tables[ti++] = T->tables[i];
    for (uint32_t i = 0; i < T->nmems; i++)
        m->mems[mi++] = T->mems[i];
    return CCF_OK;
}

/* ---- function bodies ---- */

enum { K_BLOCK, K_LOOP, K_IF, K_ELSE, K_FUNC };

struct ctrl {
    uint8_t kind;
    bool unreachable;
    const uint8_t *pt, *rt;
    uint32_t np, nr;
    uint32_t height;   /* type stack height at entry, params excluded */
    size_t loop_pc;    /* K_LOOP: code index of the loop head */
    int64_t fix;       /* head of the list of cells to patch with the end position */
    int64_t else_fix;  /* K_IF: BR_UNLESS target cell, -1 none */
};

struct fc {
    struct loader *L;
    struct rd *r;
    uint8_t *vs;      /* operand types (0 = unknown, in unreachable code) */
    uint32_t *sslot;  /* per operand (and one past the top): its slot above the locals */
    int32_t *loc;     /* where each operand lives: LOC_SLOT, LOC_CONST or a local index */
    uint64_t *cval;   /* LOC_CONST: the value */
    uint32_t nvs, capvs;
    struct ctrl *cs;
    uint32_t ncs, capcs;
    cell *code;
    size_t ncode, capcode;
    int64_t last_dst; /* cell holding the result slot of the last instruction, -1 none */
    int64_t last_copy; /* start of the last instruction if it is a COPY, -1 none */
    const uint8_t *at; /* current instruction, for error offsets */
    const uint8_t *end; /* end of the function body */
    uint8_t *ltypes; /* local types, params first */
    uint32_t *lslot; /* slot of each local (v128 takes two) */
    uint32_t nlt, nls; /* locals, their slots */
    uint32_t max_height;
};

/* Operand locations. An operand is materialised in its natural slot
 * (nat(): above the locals, v128 taking two slots) or, until something forces it, still a reference to a
 * local or a constant: consumers then read the local directly or use an
 * immediate form. Everything is materialised at every control instruction. */
#define LOC_SLOT (-1)
#define LOC_CONST (-2)

static const uint8_t vt_bytes[256] = {
    [0x7f] = 0x7f, [0x7e] = 0x7e, [0x7d] = 0x7d, [0x7c] = 0x7c, [0x7b] = 0x7b, [0x70] = 0x70, [0x6f] = 0x6f,
};

/* The opcode table (opcodes.h) by position: one-byte opcodes at their byte,
 * 0xfc sub-opcodes from 0x100, 0xfd (vector) sub-opcodes from 0x200.
 * Empty positions (name NULL) are illegal opcodes. */
struct opinfo {
    const char *name;   /* the spec's name */
    uint32_t code;      /* enum ccf_wasm_opcode */
    uint8_t cls, imm;   /* enum ccf_wasm_opclass, enum ccf_wasm_immkind */
    const char *sig;    /* "params:results", "-" when the handler decides */
    int op;             /* enum op, or OP_NONE */
};

#define OP_NONE (-1)
#define OPSLOT(prefix, code) ((prefix) == 0 ? (code) : (prefix) == 0xfc ? 0x100 + (code) : 0x200 + (code))

static const struct opinfo optable[0x300] = {
#define ROW(name_, prefix, code_, text, cls_, imm_, sig_, op_) \
    [OPSLOT(prefix, code_)] = {.name = text, .code = CCF_WASM_##name_, .cls = CLS_##cls_, \
                               .imm = IMM_##imm_, .sig = sig_, .op = OP_##op_},
    CCF_WASM_OPCODES(ROW)
#undef ROW
};

/* Decoded immediates of one instruction (which fields: its IMM_* kind). */
struct imm {
    uint32_t a, b;    /* indices in immediate order; memarg: a = align, b = offset */
    uint64_t v;       /* t.const: the bits; v128.const, i8x16.shuffle: the low half */
    uint64_t v2;      /* v128.const, i8x16.shuffle: the high half */
    uint32_t lane;    /* lane index */
    uint8_t t;        /* ref.null, select t: the type */
    const uint8_t *pt, *rt; /* block type: params, results */
    uint32_t np, nr;
};

static ccf_err emit_cell(struct fc *c, cell v)
{
    if (c->ncode == c->capcode) {
        size_t nc = c->capcode ? c->capcode * 2 : 64;
        cell *n = realloc(c->code, nc * sizeof *n);
        if (n == NULL)
            return CCF_ERR_NOMEM;
        c->code = n;
        c->capcode = nc;
    }
    c->code[c->ncode++] = v;
    return CCF_OK;
}

static ccf_err emit_op(struct fc *c, enum op op)
{
    cell v;
    v.op = ccf_wasm_internal_label(op);
    c->last_dst = -1;
    c->last_copy = -1;
    return emit_cell(c, v);
}

static ccf_err emit_u(struct fc *c, uint64_t u)
{
    cell v;
    v.u = u;
    return emit_cell(c, v);
}

/* dst = src; two copies in a row (no label between) become one COPY2. */
static ccf_err emit_copy(struct fc *c, uint64_t dst, uint64_t src)
{
    if (c->last_copy >= 0 && (size_t)c->last_copy + 3 == c->ncode) {
        c->code[c->last_copy].op = ccf_wasm_internal_label(OP_COPY2);
        c->last_copy = -1;
        TRY(emit_u(c, dst));
        return emit_u(c, src);
    }
    int64_t here = (int64_t)c->ncode;
    TRY(emit_op(c, OP_COPY));
    TRY(emit_u(c, dst));
    TRY(emit_u(c, src));
    c->last_copy = here;
    return CCF_OK;
}

/* Emits the result slot of a value-producing instruction (may be retargeted
 * by a following local.set/tee). */
static ccf_err emit_dst(struct fc *c, uint64_t slot)
{
    int64_t here = (int64_t)c->ncode;
    ccf_err e = emit_u(c, slot);
    c->last_dst = here;
    return e;
}

static ccf_err push(struct fc *c, uint8_t t)
{
    if (c->nvs == c->capvs) {
        uint32_t nc = c->capvs ? c->capvs * 2 : 64;
        uint8_t *n = realloc(c->vs, nc);
        if (n == NULL)
            return CCF_ERR_NOMEM;
        c->vs = n;
        int32_t *l = realloc(c->loc, nc * sizeof *l);
        if (l == NULL)
            return CCF_ERR_NOMEM;
        c->loc = l;
        uint64_t *cv = realloc(c->cval, nc * sizeof *cv);
        if (cv == NULL)
            return CCF_ERR_NOMEM;
        c->cval = cv;
        uint32_t *ss = realloc(c->sslot, (nc + 1) * sizeof *ss);
        if (ss == NULL)
            return CCF_ERR_NOMEM;
        if (c->sslot == NULL)
            ss[0] = 0;
        c->sslot = ss;
        c->capvs = nc;
    }
    c->loc[c->nvs] = LOC_SLOT;
    c->sslot[c->nvs + 1] = c->sslot[c->nvs] + ccf_wasm_internal_width(t);
    c->vs[c->nvs++] = t;
    uint64_t h = (uint64_t)c->nls + c->sslot[c->nvs];
    if (h > MAX_FUNC_SLOTS)
        return fail_at(c->r, c->at, "function needs too much stack");
    if (h > c->max_height)
        c->max_height = (uint32_t)h;
    return CCF_OK;
}

static ccf_err pop_any(struct fc *c, uint8_t *out)
{
    *out = 0;
    struct ctrl *f = &c->cs[c->ncs - 1];
    if (c->nvs == f->height) {
        if (f->unreachable) {
            *out = 0;
            return CCF_OK;
        }
        return fail_at(c->r, c->at, "type mismatch: operand stack is empty");
    }
    *out = c->vs[--c->nvs];
    return CCF_OK;
}

static ccf_err pop_expect(struct fc *c, uint8_t want, uint8_t *out)
{
    uint8_t t = 0;
    TRY(pop_any(c, &t));
    if (t != want && t != 0 && want != 0)
        return fail_at(c->r, c->at, "type mismatch: expected %s, got %s", tname(want), tname(t));
    if (out)
        *out = t ? t : want;
    return CCF_OK;
}

static ccf_err pop_types(struct fc *c, const uint8_t *t, uint32_t n)
{
    for (uint32_t i = n; i-- > 0;)
        TRY(pop_expect(c, t[i], NULL));
    return CCF_OK;
}

static ccf_err push_types(struct fc *c, const uint8_t *t, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        TRY(push(c, t[i]));
    return CCF_OK;
}

static bool dead(struct fc *c) { return c->cs[c->ncs - 1].unreachable; }

/* Natural slot of operand i (i <= nvs). */
static uint64_t nat(const struct fc *c, uint32_t i) { return (uint64_t)c->nls + (c->sslot ? c->sslot[i] : 0); }

static bool wide(const struct fc *c, uint32_t i) { return c->vs[i] == WASM_V128; }

/* Materialises operand i in its natural slot. */
static ccf_err flush_entry(struct fc *c, uint32_t i)
{
    if (c->loc[i] == LOC_SLOT)
        return CCF_OK;
    if (c->loc[i] == LOC_CONST) {
        TRY(emit_op(c, OP_CONST));
        TRY(emit_u(c, nat(c, i)));
        TRY(emit_u(c, c->cval[i]));
    } else {
        uint64_t s = c->lslot[c->loc[i]];
        TRY(emit_copy(c, nat(c, i), s));
        if (wide(c, i))
            TRY(emit_copy(c, nat(c, i) + 1, s + 1));
    }
    c->loc[i] = LOC_SLOT;
    return CCF_OK;
}

static ccf_err flush_all(struct fc *c)
{
    if (dead(c))
        return CCF_OK;
    for (uint32_t i = 0; i < c->nvs; i++)
        TRY(flush_entry(c, i));
    return CCF_OK;
}

/* Before local k changes: operands still referring to it get their own copy. */
static ccf_err flush_local(struct fc *c, uint32_t k, uint32_t below, bool *any)
{
    *any = false;
    for (uint32_t i = 0; i < below; i++)
        if (c->loc[i] == (int32_t)k) {
            *any = true;
            TRY(flush_entry(c, i));
        }
    return CCF_OK;
}

/* Slot to read operand i (a popped operand: i >= nvs); constants are
 * materialised first. */
static ccf_err src_slot(struct fc *c, uint32_t i, uint64_t *slot)
{
    if (c->loc[i] == LOC_CONST)
        TRY(flush_entry(c, i));
    *slot = c->loc[i] >= 0 ? (uint64_t)c->lslot[c->loc[i]] : nat(c, i);
    return CCF_OK;
}

static ccf_err push_ctrl(struct fc *c, uint8_t kind, const uint8_t *pt, uint32_t np,
                         const uint8_t *rt, uint32_t nr)
{
    if (c->ncs == c->capcs) {
        uint32_t nc = c->capcs ? c->capcs * 2 : 16;
        struct ctrl *n = realloc(c->cs, nc * sizeof *n);
        if (n == NULL)
            return CCF_ERR_NOMEM;
        c->cs = n;
        c->capcs = nc;
    }
    struct ctrl *f = &c->cs[c->ncs++];
    f->kind = kind;
    f->unreachable = false;
    f->pt = pt;
    f->np = np;
    f->rt = rt;
    f->nr = nr;
    f->height = c->nvs;
    f->loop_pc = c->ncode;
    f->fix = -1;
    f->else_fix = -1;
    return push_types(c, pt, np);
}

static void set_unreachable(struct fc *c)
{
    struct ctrl *f = &c->cs[c->ncs - 1];
    c->nvs = f->height;
    f->unreachable = true;
}

static void label_types(const struct ctrl *f, const uint8_t **t, uint32_t *n)
{
    if (f->kind == K_LOOP) {
        *t = f->pt;
        *n = f->np;
    } else {
        *t = f->rt;
        *n = f->nr;
    }
}

/* Appends a cell holding a branch offset to label f (resolved now for loops,
 * at the label's end otherwise). */
static ccf_err emit_target(struct fc *c, struct ctrl *f)
{
    size_t here = c->ncode;
    if (f->kind == K_LOOP)
        return emit_u(c, (uint64_t)((int64_t)f->loop_pc - (int64_t)here));
    TRY(emit_u(c, (uint64_t)f->fix));
    f->fix = (int64_t)here;
    return CCF_OK;
}

static void patch_list(struct fc *c, int64_t head, size_t target)
{
    while (head >= 0) {
        int64_t next = c->code[head].i;
        c->code[head].i = (int64_t)target - head;
        head = next;
    }
}

/* Code for `br depth` / `br_if depth` once types are checked and the label's
 * values (materialised) start at stack index nvs; cond: slot of the condition. */
static int imm_variant(enum op o)
{
    switch (o) {
#define X(name) case OP_##name: return OP_##name##_I;
        CCF_WASM_IMM_OPS(X)
#undef X
    default: return -1;
    }
}

/* Emits a conditional branch on slot cond (taken when cond != 0, or == 0 if
 * !when_true) without its target cell. When the condition was computed by
 * the instruction just before (producer: its result cell) and that is an i32
 * comparison or eqz, the comparison is folded into the branch. */
static ccf_err emit_cond_branch(struct fc *c, int64_t producer, uint64_t cond, bool when_true)
{
    static const enum op cmps[] = {OP_I32_EQ, OP_I32_NE, OP_I32_LT_S, OP_I32_LT_U, OP_I32_GT_S,
                                   OP_I32_GT_U, OP_I32_LE_S, OP_I32_LE_U, OP_I32_GE_S, OP_I32_GE_U};
    static const enum op brc[] = {OP_BRC_EQ, OP_BRC_NE, OP_BRC_LT_S, OP_BRC_LT_U, OP_BRC_GT_S,
                                  OP_BRC_GT_U, OP_BRC_LE_S, OP_BRC_LE_U, OP_BRC_GE_S, OP_BRC_GE_U};
    static const int inverse[] = {1, 0, 8, 9, 6, 7, 4, 5, 2, 3};
    if (producer >= 1 && (size_t)producer + 1 < c->ncode && c->code[producer].u == cond) {
        const void *op = c->code[producer - 1].op;
        if (op == ccf_wasm_internal_label(OP_I32_EQZ) && (size_t)producer + 2 == c->ncode) {
            uint64_t a = c->code[producer + 1].u;
            c->ncode = (size_t)producer - 1;
            TRY(emit_op(c, when_true ? OP_BR_UNLESS : OP_BR_IF));
            return emit_u(c, a);
        }
        if ((size_t)producer + 3 == c->ncode) {
            for (int k = 0; k < 10; k++) {
                bool imm = op == ccf_wasm_internal_label((enum op)imm_variant(cmps[k]));
                if (!imm && op != ccf_wasm_internal_label(cmps[k]))
                    continue;
                uint64_t a = c->code[producer + 1].u, b = c->code[producer + 2].u;
                int j = when_true ? k : inverse[k];
                c->ncode = (size_t)producer - 1;
                TRY(emit_op(c, imm ? (enum op)(OP_BRC_EQ_I + j) : brc[j]));
                TRY(emit_u(c, a));
                return emit_u(c, b);
            }
        }
    }
    TRY(emit_op(c, when_true ? OP_BR_IF : OP_BR_UNLESS));
    return emit_u(c, cond);
}

static ccf_err emit_br(struct fc *c, uint32_t depth, bool is_cond, uint64_t cond, int64_t producer)
{
    struct ctrl *f = &c->cs[c->ncs - 1 - depth];
    const uint8_t *t;
    uint32_t n;
    label_types(f, &t, &n);
    uint64_t h = nat(c, f->height);
    uint64_t src = nat(c, c->nvs);
    if (src == h || n == 0) {
        if (is_cond)
            TRY(emit_cond_branch(c, producer, cond, true));
        else
            TRY(emit_op(c, OP_JMP));
        return emit_target(c, f);
    }
    TRY(emit_op(c, is_cond ? OP_BR_IF_MOVE : OP_BR_MOVE));
    if (is_cond)
        TRY(emit_u(c, cond));
    TRY(emit_target(c, f));
    TRY(emit_u(c, h));
    TRY(emit_u(c, src));
    return emit_u(c, ccf_wasm_internal_slots(t, n));
}

static ccf_err rd_blocktype(struct fc *c, struct imm *im)
{
    struct rd *r = c->r;
    const uint8_t *at = r->p;
    if (r->p >= r->end)
        return fail(r, "unexpected end");
    uint8_t b = *r->p;
    if (b == 0x40) { /* empty */
        r->p++;
        return CCF_OK;
    }
    if (is_valtype(b)) {
        r->p++;
        im->rt = &vt_bytes[b];
        im->nr = 1;
        return CCF_OK;
    }
    uint64_t v;
    TRY(rd_leb(r, 33, true, &v));
    if ((int64_t)v < 0)
        return fail_at(r, at, "malformed block type");
    if (v >= c->L->m->ntypes)
        return fail_at(r, at, "unknown type %llu", (unsigned long long)v);
    struct functype *ft = &c->L->m->types[v];
    im->pt = ft->t;
    im->np = ft->np;
    im->rt = ft->t + ft->np;
    im->nr = ft->nr;
    return CCF_OK;
}

static ccf_err rd_zero_byte(struct rd *r, const uint8_t *at)
{
    uint8_t z;
    TRY(rd_byte(r, &z));
    if (z != 0)
        return fail_at(r, at, "zero byte expected");
    return CCF_OK;
}

/* Reads the immediates of instruction o (its IMM_* kind) into *im. Only what
 * the immediate itself implies is checked here (LEB128 ranges, zero bytes,
 * memarg alignment); index spaces are the handlers' business. */
static ccf_err rd_imm(struct fc *c, const struct opinfo *o, struct imm *im)
{
    struct rd *r = c->r;
    const uint8_t *at = r->p;
    memset(im, 0, sizeof *im);
    switch ((enum ccf_wasm_immkind)o->imm) {
    case IMM_NONE:
    case IMM_BR_TABLE: /* a vector: the handler reads it */
        return CCF_OK;
    case IMM_BLOCKTYPE:
        return rd_blocktype(c, im);
    case IMM_LABEL:
    case IMM_FUNC:
    case IMM_LOCAL:
    case IMM_GLOBAL:
    case IMM_TABLE:
    case IMM_ELEM:
    case IMM_DATA:
        return rd_u32(r, &im->a);
    case IMM_TYPE_TABLE:
    case IMM_ELEM_TABLE:
    case IMM_TABLE_TABLE:
        TRY(rd_u32(r, &im->a));
        return rd_u32(r, &im->b);
    case IMM_REFTYPE:
        return rd_reftype(r, &im->t);
    case IMM_VALTYPES: {
        uint32_t n;
        TRY(rd_count(r, &n, 1));
        if (n != 1)
            return fail_at(r, c->at, "invalid result arity for select");
        return rd_valtype(r, &im->t);
    }
    case IMM_MEMARG8:
    case IMM_MEMARG16:
    case IMM_MEMARG32:
    case IMM_MEMARG64:
    case IMM_MEMARG128:
        TRY(rd_u32(r, &im->a));
        TRY(rd_u32(r, &im->b));
        if (c->L->m->nmems == 0)
            return fail_at(r, at, "unknown memory 0");
        if (im->a > (uint32_t)(o->imm - IMM_MEMARG8))
            return fail_at(r, at, "alignment must not be larger than natural");
        return CCF_OK;
    case IMM_MEM:
        return rd_zero_byte(r, c->at);
    case IMM_MEM_MEM:
        TRY(rd_zero_byte(r, c->at));
        return rd_zero_byte(r, c->at);
    case IMM_DATA_MEM:
        TRY(rd_u32(r, &im->a));
        return rd_zero_byte(r, c->at);
    case IMM_I32:
        TRY(rd_leb(r, 32, true, &im->v));
        im->v = (uint32_t)im->v;
        return CCF_OK;
    case IMM_I64:
        return rd_leb(r, 64, true, &im->v);
    case IMM_F32:
    case IMM_F64: {
        unsigned n = o->imm == IMM_F32 ? 4 : 8;
        if ((size_t)(c->end - r->p) < n)
            return fail(r, "unexpected end");
        for (unsigned i = n; i-- > 0;)
            im->v = (im->v << 8) | r->p[i];
        r->p += n;
        return CCF_OK;
    }
    case IMM_V128:
    case IMM_SHUFFLE:
        if ((size_t)(c->end - r->p) < 16)
            return fail(r, "unexpected end");
        if (o->imm == IMM_SHUFFLE)
            for (unsigned i = 0; i < 16; i++)
                if (r->p[i] >= 32)
                    return fail_at(r, r->p + i, "invalid lane index %u", r->p[i]);
        memcpy(&im->v, r->p, 8);
        memcpy(&im->v2, r->p + 8, 8);
        r->p += 16;
        return CCF_OK;
    case IMM_MEMLANE8:
    case IMM_MEMLANE16:
    case IMM_MEMLANE32:
    case IMM_MEMLANE64:
        TRY(rd_u32(r, &im->a));
        TRY(rd_u32(r, &im->b));
        if (c->L->m->nmems == 0)
            return fail_at(r, at, "unknown memory 0");
        if (im->a > (uint32_t)(o->imm - IMM_MEMLANE8))
            return fail_at(r, at, "alignment must not be larger than natural");
        /* FALLTHROUGH */
    case IMM_LANE2:
    case IMM_LANE4:
    case IMM_LANE8:
    case IMM_LANE16: {
        uint8_t lane;
        unsigned lanes = o->imm >= IMM_MEMLANE8 ? 16u >> (o->imm - IMM_MEMLANE8) : 2u << (o->imm - IMM_LANE2);
        const uint8_t *lat = r->p;
        TRY(rd_byte(r, &lane));
        if (lane >= lanes)
            return fail_at(r, lat, "invalid lane index %u", lane);
        im->lane = lane;
        return CCF_OK;
    }
    }
    return fail_at(r, at, "no decoder for the immediates of %s", o->name);
}

/* Value type of a signature letter (opcodes.h). */
static uint8_t letter_type(char ch)
{
    switch (ch) {
    case 'i': return 0x7f;
    case 'I': return 0x7e;
    case 'f': return 0x7d;
    case 'F': return 0x7c;
    case 'V': return WASM_V128;
    }
    return 0;
}

/* Validates an instruction against its "params:results" signature. */
static ccf_err check_sig(struct fc *c, const char *sig)
{
    const char *colon = strchr(sig, ':');
    for (const char *p = colon; p-- > sig;)
        TRY(pop_expect(c, letter_type(*p), NULL));
    for (const char *p = colon + 1; *p; p++)
        TRY(push(c, letter_type(*p)));
    return CCF_OK;
}

/* A numeric instruction with nin operands (1 or 2) and one result. */
static ccf_err numeric(struct fc *c, const char *sig, enum op op)
{
    const char *colon = strchr(sig, ':');
    uint32_t nin = (uint32_t)(colon - sig);
    for (const char *p = colon; p-- > sig;)
        TRY(pop_expect(c, letter_type(*p), NULL));
    uint32_t base = c->nvs; /* operands at base.., result at base */
    bool live = !dead(c);
    uint64_t a = 0, b = 0;
    int iv = -1;
    if (live) {
        TRY(src_slot(c, base, &a));
        if (nin == 2) {
            iv = imm_variant(op);
            if (iv >= 0 && c->loc[base + 1] == LOC_CONST)
                b = c->cval[base + 1];
            else {
                iv = -1;
                TRY(src_slot(c, base + 1, &b));
            }
        }
    }
    TRY(push(c, letter_type(colon[1])));
    if (!live)
        return CCF_OK;
    int64_t ld = c->last_dst;
    if (iv < 0 && (op == OP_F64_ADD || op == OP_F64_SUB || op == OP_F64_MUL) && ld >= 1 &&
        (size_t)ld + 3 == c->ncode && c->loc[base + 1] == LOC_SLOT && c->code[ld].u == b &&
        b == nat(c, base + 1) && c->code[ld - 1].op == ccf_wasm_internal_label(OP_LOAD64)) {
        /* fold the f64.load producing the second operand */
        uint64_t addr = c->code[ld + 1].u, off = c->code[ld + 2].u;
        c->ncode = (size_t)ld - 1;
        TRY(emit_op(c, op == OP_F64_ADD ? OP_F64_ADD_M : op == OP_F64_SUB ? OP_F64_SUB_M : OP_F64_MUL_M));
        TRY(emit_dst(c, nat(c, base)));
        TRY(emit_u(c, a));
        TRY(emit_u(c, addr));
        return emit_u(c, off);
    }
    TRY(emit_op(c, iv >= 0 ? (enum op)iv : op));
    TRY(emit_dst(c, nat(c, base)));
    TRY(emit_u(c, a));
    if (nin == 2)
        TRY(emit_u(c, b));
    return CCF_OK;
}

static ccf_err check_table(struct fc *c, uint32_t t)
{
    if (t >= c->L->m->ntables)
        return fail_at(c->r, c->at, "unknown table %u", t);
    return CCF_OK;
}

static ccf_err check_elem(struct fc *c, uint32_t e)
{
    if (e >= c->L->m->nelems)
        return fail_at(c->r, c->at, "unknown elem segment %u", e);
    return CCF_OK;
}

static ccf_err check_data(struct fc *c, uint32_t d)
{
    if (!c->L->has_datacount)
        return fail_at(c->r, c->at, "data count section required");
    if (d >= c->L->datacount)
        return fail_at(c->r, c->at, "unknown data segment %u", d);
    return CCF_OK;
}

static ccf_err check_func(struct fc *c, uint32_t f)
{
    if (f >= c->L->m->nfuncs)
        return fail_at(c->r, c->at, "unknown function %u", f);
    return CCF_OK;
}

static ccf_err check_label(struct fc *c, uint32_t depth)
{
    if (depth >= c->ncs)
        return fail_at(c->r, c->at, "unknown label %u", depth);
    return CCF_OK;
}

static ccf_err check_local(struct fc *c, uint32_t l)
{
    if (l >= c->nlt)
        return fail_at(c->r, c->at, "unknown local %u", l);
    return CCF_OK;
}

/* Rare instructions: operands materialised, [op][imm...][base], results from base. */
static ccf_err emit_based(struct fc *c, enum op op, int nimm, uint64_t i1, uint64_t i2, uint32_t base)
{
    if (dead(c))
        return CCF_OK;
    TRY(emit_op(c, op));
    if (nimm > 0)
        TRY(emit_u(c, i1));
    if (nimm > 1)
        TRY(emit_u(c, i2));
    return emit_u(c, nat(c, base));
}

/* ---- control instructions (§3.3.8) ---- */

static ccf_err end_block(struct fc *c)
{
    struct ctrl *f = &c->cs[c->ncs - 1];
    TRY(pop_types(c, f->rt, f->nr));
    if (c->nvs != f->height)
        return fail_at(c->r, c->at, "type mismatch: values remaining on the stack at end of block");
    if (f->kind == K_IF) {
        /* if without else: params must equal results */
        if (f->np != f->nr || (f->np && memcmp(f->pt, f->rt, f->np) != 0))
            return fail_at(c->r, c->at, "type mismatch: if without else must not change the types");
        if (f->else_fix >= 0)
            c->code[f->else_fix].i = (int64_t)c->ncode - f->else_fix;
    }
    patch_list(c, f->fix, c->ncode);
    const uint8_t *rt = f->rt;
    uint32_t nr = f->nr;
    c->ncs--;
    return push_types(c, rt, nr);
}

static ccf_err end_func(struct fc *c)
{
    struct ctrl *f = &c->cs[c->ncs - 1];
    TRY(pop_types(c, f->rt, f->nr));
    if (c->nvs != f->height)
        return fail_at(c->r, c->at, "type mismatch: values remaining on the stack at end of function");
    patch_list(c, f->fix, c->ncode);
    TRY(emit_op(c, OP_RETURN));
    TRY(emit_u(c, ccf_wasm_internal_slots(f->rt, f->nr)));
    TRY(emit_u(c, nat(c, 0)));
    c->ncs--;
    return CCF_OK;
}

/* block, loop, if: prev_dst is the result cell of the instruction before
 * (an if folds a comparison computing its condition). */
static ccf_err begin_block(struct fc *c, const struct opinfo *o, const struct imm *im, int64_t prev_dst)
{
    int64_t else_fix = -1;
    if (o->code == CCF_WASM_IF) {
        TRY(pop_expect(c, 0x7f, NULL));
        if (!dead(c)) {
            /* branch to else when the condition is false */
            TRY(emit_cond_branch(c, prev_dst, nat(c, c->nvs), false));
            else_fix = (int64_t)c->ncode;
            TRY(emit_u(c, 0));
        }
    }
    TRY(pop_types(c, im->pt, im->np));
    size_t loop_pc = c->ncode;
    uint8_t kind = o->code == CCF_WASM_BLOCK ? K_BLOCK : o->code == CCF_WASM_LOOP ? K_LOOP : K_IF;
    TRY(push_ctrl(c, kind, im->pt, im->np, im->rt, im->nr));
    c->cs[c->ncs - 1].loop_pc = loop_pc;
    c->cs[c->ncs - 1].else_fix = else_fix;
    return CCF_OK;
}

static ccf_err else_block(struct fc *c)
{
    struct ctrl *f = &c->cs[c->ncs - 1];
    if (f->kind != K_IF)
        return fail_at(c->r, c->at, "else without matching if");
    TRY(pop_types(c, f->rt, f->nr));
    if (c->nvs != f->height)
        return fail_at(c->r, c->at, "type mismatch: values remaining on the stack at else");
    if (!f->unreachable) {
        TRY(emit_op(c, OP_JMP));
        TRY(emit_target(c, f));
    }
    if (f->else_fix >= 0)
        c->code[f->else_fix].i = (int64_t)c->ncode - f->else_fix;
    f->else_fix = -1;
    f->kind = K_ELSE;
    f->unreachable = false;
    return push_types(c, f->pt, f->np);
}

/* br, br_if */
static ccf_err branch(struct fc *c, const struct opinfo *o, const struct imm *im, int64_t prev_dst)
{
    bool is_cond = o->code == CCF_WASM_BR_IF;
    TRY(check_label(c, im->a));
    uint64_t cond = 0;
    if (is_cond) {
        TRY(pop_expect(c, 0x7f, NULL));
        cond = nat(c, c->nvs);
    }
    const uint8_t *t;
    uint32_t n;
    label_types(&c->cs[c->ncs - 1 - im->a], &t, &n);
    TRY(pop_types(c, t, n));
    if (!dead(c))
        TRY(emit_br(c, im->a, is_cond, cond, prev_dst));
    if (!is_cond) {
        set_unreachable(c);
        return CCF_OK;
    }
    return push_types(c, t, n);
}

/* Checks the operands against label depth's types without popping them. */
static ccf_err br_table_check(struct fc *c, uint32_t depth)
{
    const uint8_t *lt;
    uint32_t ln;
    label_types(&c->cs[c->ncs - 1 - depth], &lt, &ln);
    struct ctrl *f = &c->cs[c->ncs - 1];
    for (uint32_t k = 0; k < ln; k++) {
        uint32_t d = ln - 1 - k;
        uint8_t have;
        if (c->nvs - f->height > d)
            have = c->vs[c->nvs - 1 - d];
        else if (f->unreachable)
            have = 0;
        else
            return fail_at(c->r, c->at, "type mismatch: operand stack too small for br_table");
        if (have != 0 && have != lt[k])
            return fail_at(c->r, c->at, "type mismatch: br_table operand %s, label wants %s",
                           tname(have), tname(lt[k]));
    }
    return CCF_OK;
}

static ccf_err br_table(struct fc *c)
{
    uint32_t *labels = NULL;
    uint32_t n;
    ccf_err e;
    if ((e = rd_count(c->r, &n, 1)) != CCF_OK)
        goto out;
    labels = malloc(((size_t)n + 1) * sizeof *labels);
    if (labels == NULL) {
        e = CCF_ERR_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i <= n; i++)
        if ((e = rd_u32(c->r, &labels[i])) != CCF_OK || (e = check_label(c, labels[i])) != CCF_OK)
            goto out;
    if ((e = pop_expect(c, 0x7f, NULL)) != CCF_OK)
        goto out;
    uint64_t idx_slot = nat(c, c->nvs);
    const uint8_t *dt;
    uint32_t dn;
    label_types(&c->cs[c->ncs - 1 - labels[n]], &dt, &dn);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *lt;
        uint32_t ln;
        label_types(&c->cs[c->ncs - 1 - labels[i]], &lt, &ln);
        if (ln != dn) {
            e = fail_at(c->r, c->at, "type mismatch: br_table labels of different arity");
            goto out;
        }
        if ((e = br_table_check(c, labels[i])) != CCF_OK)
            goto out;
    }
    if ((e = pop_types(c, dt, dn)) != CCF_OK)
        goto out;
    if (!dead(c)) {
        if ((e = emit_op(c, OP_BR_TABLE)) != CCF_OK || (e = emit_u(c, idx_slot)) != CCF_OK ||
            (e = emit_u(c, n)) != CCF_OK || (e = emit_u(c, ccf_wasm_internal_slots(dt, dn))) != CCF_OK ||
            (e = emit_u(c, nat(c, c->nvs))) != CCF_OK)
            goto out;
        for (uint32_t i = 0; i <= n; i++) {
            struct ctrl *f = &c->cs[c->ncs - 1 - labels[i]];
            if ((e = emit_target(c, f)) != CCF_OK || (e = emit_u(c, nat(c, f->height))) != CCF_OK)
                goto out;
        }
    }
    set_unreachable(c);
out:
    free(labels);
    return e;
}

/* call, call_indirect: operands from base = nvs after popping the params. */
static ccf_err call(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    ccf_wasm_module *m = c->L->m;
    const struct functype *cf;
    uint64_t islot = 0;
    if (o->code == CCF_WASM_CALL) {
        TRY(check_func(c, im->a));
        cf = &m->types[m->func_types[im->a]];
    } else {
        TRY(check_table(c, im->b));
        if (im->a >= m->ntypes)
            return fail_at(c->r, c->at, "unknown type %u", im->a);
        if (m->tables[im->b].type != 0x70)
            return fail_at(c->r, c->at, "type mismatch: call_indirect on a table of %s",
                           tname(m->tables[im->b].type));
        cf = &m->types[im->a];
        TRY(pop_expect(c, 0x7f, NULL));
        islot = nat(c, c->nvs);
    }
    TRY(pop_types(c, cf->t, cf->np));
    if (!dead(c)) {
        TRY(emit_op(c, (enum op)o->op));
        TRY(emit_u(c, im->a));
        if (o->code == CCF_WASM_CALL_INDIRECT) {
            TRY(emit_u(c, im->b));
            TRY(emit_u(c, islot));
        }
        TRY(emit_u(c, nat(c, c->nvs)));
    }
    return push_types(c, cf->t + cf->np, cf->nr);
}

static ccf_err control(struct fc *c, const struct opinfo *o, const struct imm *im, int64_t prev_dst)
{
    switch ((enum ccf_wasm_opcode)o->code) {
    case CCF_WASM_UNREACHABLE:
        if (!dead(c))
            TRY(emit_op(c, OP_UNREACHABLE));
        set_unreachable(c);
        return CCF_OK;
    case CCF_WASM_NOP:
        return CCF_OK;
    case CCF_WASM_BLOCK:
    case CCF_WASM_LOOP:
    case CCF_WASM_IF:
        return begin_block(c, o, im, prev_dst);
    case CCF_WASM_ELSE:
        return else_block(c);
    case CCF_WASM_END:
        return c->cs[c->ncs - 1].kind == K_FUNC ? end_func(c) : end_block(c);
    case CCF_WASM_BR:
    case CCF_WASM_BR_IF:
        return branch(c, o, im, prev_dst);
    case CCF_WASM_BR_TABLE:
        return br_table(c);
    case CCF_WASM_RETURN: {
        struct ctrl *f = &c->cs[0];
        TRY(pop_types(c, f->rt, f->nr));
        if (!dead(c)) {
            TRY(emit_op(c, OP_RETURN));
            TRY(emit_u(c, ccf_wasm_internal_slots(f->rt, f->nr)));
            TRY(emit_u(c, nat(c, c->nvs)));
        }
        set_unreachable(c);
        return CCF_OK;
    }
    case CCF_WASM_CALL:
    case CCF_WASM_CALL_INDIRECT:
        return call(c, o, im);
    default:
        break;
    }
    return fail_at(c->r, c->at, "no control handler for %s", o->name);
}

/* ---- reference instructions (§3.3.2) ---- */

static ccf_err reference(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    switch ((enum ccf_wasm_opcode)o->code) {
    case CCF_WASM_REF_NULL:
        TRY(push(c, im->t));
        c->loc[c->nvs - 1] = LOC_CONST;
        c->cval[c->nvs - 1] = 0;
        return CCF_OK;
    case CCF_WASM_REF_IS_NULL: {
        uint8_t t;
        uint64_t s = 0;
        TRY(pop_any(c, &t));
        if (t != 0 && !is_reftype(t))
            return fail_at(c->r, c->at, "type mismatch: ref.is_null on %s", tname(t));
        uint32_t base = c->nvs;
        bool live = !dead(c);
        if (live)
            TRY(src_slot(c, base, &s));
        TRY(push(c, 0x7f));
        if (!live)
            return CCF_OK;
        TRY(emit_op(c, OP_REF_IS_NULL));
        TRY(emit_dst(c, nat(c, base)));
        return emit_u(c, s);
    }
    case CCF_WASM_REF_FUNC:
        TRY(check_func(c, im->a));
        if (!c->L->declared[im->a])
            return fail_at(c->r, c->at, "undeclared function reference %u", im->a);
        TRY(push(c, 0x70));
        if (dead(c))
            return CCF_OK;
        TRY(emit_op(c, OP_REF_FUNC));
        TRY(emit_dst(c, nat(c, c->nvs - 1)));
        return emit_u(c, im->a);
    default:
        break;
    }
    return fail_at(c->r, c->at, "no reference handler for %s", o->name);
}

/* ---- parametric instructions (§3.3.4) ---- */

static ccf_err parametric(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    uint8_t t1, t2;
    if (o->code == CCF_WASM_DROP)
        return pop_any(c, &t1);
    /* select, select t */
    uint8_t rtype = im->t;
    TRY(pop_expect(c, 0x7f, NULL));
    if (o->code == CCF_WASM_SELECT_T) {
        TRY(pop_expect(c, rtype, NULL));
        TRY(pop_expect(c, rtype, NULL));
    } else {
        TRY(pop_any(c, &t1));
        TRY(pop_any(c, &t2));
        if (is_reftype(t1) || is_reftype(t2))
            return fail_at(c->r, c->at, "type mismatch: select without type on reference operands");
        if (t1 != 0 && t2 != 0 && t1 != t2)
            return fail_at(c->r, c->at, "type mismatch: select operands %s and %s", tname(t1), tname(t2));
        rtype = t1 ? t1 : t2;
    }
    uint32_t base = c->nvs;
    bool live = !dead(c);
    uint64_t s1 = 0, s2 = 0, s3 = 0;
    if (live) {
        TRY(src_slot(c, base, &s1));
        TRY(src_slot(c, base + 1, &s2));
        TRY(src_slot(c, base + 2, &s3));
    }
    TRY(push(c, rtype));
    if (!live)
        return CCF_OK;
    TRY(emit_op(c, rtype == WASM_V128 ? OP_SELECT128 : OP_SELECT));
    TRY(emit_dst(c, nat(c, base)));
    TRY(emit_u(c, s1));
    TRY(emit_u(c, s2));
    return emit_u(c, s3);
}

/* ---- variable instructions (§3.3.5) ---- */

/* local.set, local.tee: the value goes to local a; the producer of the value
 * writes the local directly when nothing else still refers to the old one. */
static ccf_err local_set(struct fc *c, bool tee, uint32_t a)
{
    TRY(pop_expect(c, c->ltypes[a], NULL));
    if (dead(c))
        return tee ? push(c, c->ltypes[a]) : CCF_OK;
    uint32_t p = c->nvs;
    bool refs;
    int64_t ld = c->last_dst;
    TRY(flush_local(c, a, p, &refs));
    uint64_t ls = c->lslot[a];
    if (!refs && c->loc[p] == LOC_SLOT && ld >= 0 && c->code[ld].u == nat(c, p)) {
        c->code[ld].u = ls;
        c->last_dst = -1;
    } else if (c->loc[p] == LOC_CONST) {
        TRY(emit_op(c, OP_CONST));
        TRY(emit_u(c, ls));
        TRY(emit_u(c, c->cval[p]));
    } else if (c->loc[p] != (int32_t)a) {
        uint64_t s;
        TRY(src_slot(c, p, &s));
        TRY(emit_copy(c, ls, s));
        if (c->ltypes[a] == WASM_V128)
            TRY(emit_copy(c, ls + 1, s + 1));
    }
    if (tee) {
        TRY(push(c, c->ltypes[a]));
        c->loc[c->nvs - 1] = (int32_t)a;
    }
    return CCF_OK;
}

static ccf_err variable(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    ccf_wasm_module *m = c->L->m;
    uint32_t a = im->a;
    switch ((enum ccf_wasm_opcode)o->code) {
    case CCF_WASM_LOCAL_GET:
        TRY(check_local(c, a));
        TRY(push(c, c->ltypes[a]));
        c->loc[c->nvs - 1] = (int32_t)a; /* read lazily, see LOC_SLOT */
        return CCF_OK;
    case CCF_WASM_LOCAL_SET:
    case CCF_WASM_LOCAL_TEE:
        TRY(check_local(c, a));
        return local_set(c, o->code == CCF_WASM_LOCAL_TEE, a);
    case CCF_WASM_GLOBAL_GET:
    case CCF_WASM_GLOBAL_SET:
        if (a >= m->nglobals)
            return fail_at(c->r, c->at, "unknown global %u", a);
        if (o->code == CCF_WASM_GLOBAL_GET) {
            TRY(push(c, m->globals[a].type));
            if (dead(c))
                return CCF_OK;
            TRY(emit_op(c, m->globals[a].type == WASM_V128 ? OP_GLOBAL_GET128 : OP_GLOBAL_GET));
            TRY(emit_dst(c, nat(c, c->nvs - 1)));
            return emit_u(c, a);
        }
        if (!m->globals[a].mut)
            return fail_at(c->r, c->at, "global is immutable");
        TRY(pop_expect(c, m->globals[a].type, NULL));
        if (dead(c))
            return CCF_OK;
        uint64_t s;
        TRY(src_slot(c, c->nvs, &s));
        TRY(emit_op(c, m->globals[a].type == WASM_V128 ? OP_GLOBAL_SET128 : OP_GLOBAL_SET));
        TRY(emit_u(c, a));
        return emit_u(c, s);
    default:
        break;
    }
    return fail_at(c->r, c->at, "no variable handler for %s", o->name);
}

/* ---- table instructions (§3.3.6): rare, operands materialised ---- */

static ccf_err table(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    ccf_wasm_module *m = c->L->m;
    enum op op = (enum op)o->op;
    TRY(flush_all(c));
    switch ((enum ccf_wasm_opcode)o->code) {
    case CCF_WASM_TABLE_GET:
        TRY(check_table(c, im->a));
        TRY(pop_expect(c, 0x7f, NULL));
        TRY(push(c, m->tables[im->a].type));
        return emit_based(c, op, 1, im->a, 0, c->nvs - 1);
    case CCF_WASM_TABLE_SET:
        TRY(check_table(c, im->a));
        TRY(pop_expect(c, m->tables[im->a].type, NULL));
        TRY(pop_expect(c, 0x7f, NULL));
        return emit_based(c, op, 1, im->a, 0, c->nvs);
    case CCF_WASM_TABLE_INIT: /* elem a, table b */
        TRY(check_elem(c, im->a));
        TRY(check_table(c, im->b));
        if (m->elems[im->a].type != m->tables[im->b].type)
            return fail_at(c->r, c->at, "type mismatch: elem segment and table types differ");
        TRY(check_sig(c, o->sig));
        return emit_based(c, op, 2, im->b, im->a, c->nvs);
    case CCF_WASM_ELEM_DROP:
        TRY(check_elem(c, im->a));
        if (dead(c))
            return CCF_OK;
        TRY(emit_op(c, op));
        return emit_u(c, im->a);
    case CCF_WASM_TABLE_COPY: /* destination a, source b */
        TRY(check_table(c, im->a));
        TRY(check_table(c, im->b));
        if (m->tables[im->a].type != m->tables[im->b].type)
            return fail_at(c->r, c->at, "type mismatch: table types differ");
        TRY(check_sig(c, o->sig));
        return emit_based(c, op, 2, im->a, im->b, c->nvs);
    case CCF_WASM_TABLE_GROW: { /* ref n -> i32 */
        TRY(check_table(c, im->a));
        TRY(pop_expect(c, 0x7f, NULL));
        TRY(pop_expect(c, m->tables[im->a].type, NULL));
        uint32_t base = c->nvs;
        TRY(push(c, 0x7f));
        return emit_based(c, op, 1, im->a, 0, base);
    }
    case CCF_WASM_TABLE_SIZE: {
        TRY(check_table(c, im->a));
        uint32_t base = c->nvs;
        TRY(check_sig(c, o->sig));
        return emit_based(c, op, 1, im->a, 0, base);
    }
    case CCF_WASM_TABLE_FILL: /* i ref n */
        TRY(check_table(c, im->a));
        TRY(pop_expect(c, 0x7f, NULL));
        TRY(pop_expect(c, m->tables[im->a].type, NULL));
        TRY(pop_expect(c, 0x7f, NULL));
        return emit_based(c, op, 1, im->a, 0, c->nvs);
    default:
        break;
    }
    return fail_at(c->r, c->at, "no table handler for %s", o->name);
}

/* ---- memory instructions (§3.3.7) ---- */

/* t.load*: memarg in im (a = align, b = offset). An i32.add computing the
 * address just before is folded into the load. */
static ccf_err load(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    uint64_t s = 0;
    uint32_t off = im->b;
    TRY(pop_expect(c, letter_type(o->sig[0]), NULL));
    uint32_t base = c->nvs;
    bool live = !dead(c);
    if (live)
        TRY(src_slot(c, base, &s));
    TRY(push(c, letter_type(o->sig[2])));
    if (!live)
        return CCF_OK;
    int64_t ld = c->last_dst;
    enum op op = (enum op)o->op;
    if (c->loc[base] == LOC_SLOT && ld >= 1 && (size_t)ld + 3 == c->ncode && c->code[ld].u == nat(c, base) &&
        (c->code[ld - 1].op == ccf_wasm_internal_label(OP_I32_ADD) ||
         c->code[ld - 1].op == ccf_wasm_internal_label(OP_I32_ADD_I))) {
        bool rr = c->code[ld - 1].op == ccf_wasm_internal_label(OP_I32_ADD);
        uint64_t a1 = c->code[ld + 1].u, a2 = c->code[ld + 2].u;
        c->ncode = (size_t)ld - 1;
        TRY(emit_op(c, (enum op)((rr ? OP_LOAD32_RR : OP_LOAD32_RI) + (op - OP_LOAD32))));
        TRY(emit_dst(c, nat(c, base)));
        TRY(emit_u(c, a1));
        TRY(emit_u(c, a2));
        return emit_u(c, off);
    }
    TRY(emit_op(c, op));
    TRY(emit_dst(c, nat(c, base)));
    TRY(emit_u(c, s));
    return emit_u(c, off);
}

/* t.store*: a constant value becomes an immediate. */
static ccf_err store(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    uint64_t s1, s2;
    TRY(check_sig(c, o->sig));
    if (dead(c))
        return CCF_OK;
    uint32_t base = c->nvs;
    enum op op = (enum op)o->op;
    TRY(src_slot(c, base, &s1));
    if (c->loc[base + 1] == LOC_CONST) {
        op = (enum op)(OP_STORE8_I + (op - OP_STORE8));
        s2 = c->cval[base + 1];
    } else {
        TRY(src_slot(c, base + 1, &s2));
    }
    TRY(emit_op(c, op));
    TRY(emit_u(c, s1));
    TRY(emit_u(c, s2));
    return emit_u(c, im->b);
}

/* memory.size, memory.grow */
static ccf_err memory(struct fc *c, const struct opinfo *o)
{
    uint64_t s = 0;
    bool grow = o->code == CCF_WASM_MEMORY_GROW;
    if (c->L->m->nmems == 0)
        return fail_at(c->r, c->at, "unknown memory 0");
    if (grow)
        TRY(pop_expect(c, 0x7f, NULL));
    uint32_t base = c->nvs;
    bool live = !dead(c);
    if (live && grow)
        TRY(src_slot(c, base, &s));
    TRY(push(c, 0x7f));
    if (!live)
        return CCF_OK;
    TRY(emit_op(c, (enum op)o->op));
    TRY(emit_dst(c, nat(c, base)));
    return grow ? emit_u(c, s) : CCF_OK;
}

/* memory.init, data.drop, memory.copy, memory.fill: rare, operands materialised */
static ccf_err bulk(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    enum op op = (enum op)o->op;
    TRY(flush_all(c));
    if (o->code == CCF_WASM_DATA_DROP) {
        TRY(check_data(c, im->a));
        if (dead(c))
            return CCF_OK;
        TRY(emit_op(c, op));
        return emit_u(c, im->a);
    }
    if (c->L->m->nmems == 0)
        return fail_at(c->r, c->at, "unknown memory 0");
    if (o->code == CCF_WASM_MEMORY_INIT)
        TRY(check_data(c, im->a));
    TRY(check_sig(c, o->sig));
    return emit_based(c, op, o->code == CCF_WASM_MEMORY_INIT ? 1 : 0, im->a, 0, c->nvs);
}

/* ---- numeric instructions (§3.3.1) ---- */

/* t.const: not emitted; a constant operand until something needs it in a slot */
static ccf_err constant(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    TRY(push(c, letter_type(o->sig[1])));
    c->loc[c->nvs - 1] = LOC_CONST;
    c->cval[c->nvs - 1] = im->v;
    return CCF_OK;
}

/* Everything else numeric, from its row: signature and internal op. */
static ccf_err numeric_row(struct fc *c, const struct opinfo *o)
{
    if (o->op != OP_NONE)
        return numeric(c, o->sig, (enum op)o->op);
    /* reinterpretations: same bits, only the type changes */
    uint32_t save_nvs = c->nvs;
    int32_t l = save_nvs > 0 ? c->loc[save_nvs - 1] : LOC_SLOT;
    uint64_t cv = save_nvs > 0 ? c->cval[save_nvs - 1] : 0;
    TRY(check_sig(c, o->sig));
    if (c->nvs == save_nvs && save_nvs > 0) {
        c->loc[c->nvs - 1] = l;
        c->cval[c->nvs - 1] = cv;
    }
    return CCF_OK;
}

/* ---- vector instructions (§3.3.3): every row from its signature ---- */

/* Operands popped per "sig", result (if any) at the first operand's slot;
 * emitted as op [dst] operands... immediates... (internal.h). */
static ccf_err vector(struct fc *c, const struct opinfo *o, const struct imm *im)
{
    const char *sig = o->sig, *colon = strchr(sig, ':');
    uint32_t nin = (uint32_t)(colon - sig);
    uint64_t src[3] = {0, 0, 0};
    for (const char *p = colon; p-- > sig;)
        TRY(pop_expect(c, letter_type(*p), NULL));
    uint32_t base = c->nvs;
    bool live = !dead(c);
    for (uint32_t i = 0; live && i < nin; i++)
        TRY(src_slot(c, base + i, &src[i]));
    if (colon[1])
        TRY(push(c, letter_type(colon[1])));
    if (!live)
        return CCF_OK;
    TRY(emit_op(c, OP_SIMD));
    TRY(emit_u(c, (uint64_t)(o->op - OP_SIMD_BASE_)));
    if (colon[1])
        TRY(emit_dst(c, nat(c, base)));
    for (uint32_t i = 0; i < nin; i++)
        TRY(emit_u(c, src[i]));
    switch ((enum ccf_wasm_immkind)o->imm) {
    case IMM_MEMARG8: case IMM_MEMARG16: case IMM_MEMARG32: case IMM_MEMARG64: case IMM_MEMARG128:
        return emit_u(c, im->b);
    case IMM_MEMLANE8: case IMM_MEMLANE16: case IMM_MEMLANE32: case IMM_MEMLANE64:
        TRY(emit_u(c, im->b));
        return emit_u(c, im->lane);
    case IMM_LANE2: case IMM_LANE4: case IMM_LANE8: case IMM_LANE16:
        return emit_u(c, im->lane);
    case IMM_V128: case IMM_SHUFFLE:
        TRY(emit_u(c, im->v));
        return emit_u(c, im->v2);
    default:
        return CCF_OK;
    }
}

/* Reads an opcode (prefixed ones: prefix byte, u32 sub-opcode) and finds its row. */
static ccf_err rd_opcode(struct fc *c, const struct opinfo **out)
{
    uint8_t b;
    uint32_t sub;
    TRY(rd_byte(c->r, &b));
    if (b == 0xfd) {
        TRY(rd_u32(c->r, &sub));
        if (sub >= 0x100 || optable[OPSLOT(0xfd, sub)].name == NULL)
            return fail_at(c->r, c->at, "illegal opcode 0xfd %u", sub);
        *out = &optable[OPSLOT(0xfd, sub)];
        return CCF_OK;
    }
    if (b != 0xfc) {
        *out = &optable[b];
        if ((*out)->name == NULL)
            return fail_at(c->r, c->at, "illegal opcode 0x%02x", b);
        return CCF_OK;
    }
    TRY(rd_u32(c->r, &sub));
    if (sub >= 0x100 || optable[OPSLOT(0xfc, sub)].name == NULL)
        return fail_at(c->r, c->at, "illegal opcode 0xfc %u", sub);
    *out = &optable[OPSLOT(0xfc, sub)];
    return CCF_OK;
}

/* Validates and translates one instruction whose row is o. */
static ccf_err instruction(struct fc *c, const struct opinfo *o)
{
    struct imm im;
    TRY(rd_imm(c, o, &im));
    switch ((enum ccf_wasm_opclass)o->cls) {
    case CLS_CONTROL: {
        /* control flow merges here: no retargeting across, no lazy operands */
        int64_t prev_dst = -1;
        if (o->code != CCF_WASM_NOP) {
            size_t before = c->ncode;
            prev_dst = c->last_dst;
            c->last_dst = -1;
            c->last_copy = -1;
            TRY(flush_all(c));
            if (c->ncode != before)
                prev_dst = -1;
        }
        TRY(control(c, o, &im, prev_dst));
        c->last_copy = -1; /* a label may follow: nothing may merge across it */
        return CCF_OK;
    }
    case CLS_REFERENCE: return reference(c, o, &im);
    case CLS_PARAMETRIC: return parametric(c, o, &im);
    case CLS_VARIABLE: return variable(c, o, &im);
    case CLS_TABLE: return table(c, o, &im);
    case CLS_LOAD: return load(c, o, &im);
    case CLS_STORE: return store(c, o, &im);
    case CLS_MEMORY: return memory(c, o);
    case CLS_BULK: return bulk(c, o, &im);
    case CLS_CONST: return constant(c, o, &im);
    case CLS_NUMERIC: return numeric_row(c, o);
    case CLS_VECTOR: return vector(c, o, &im);
    }
    return fail_at(c->r, c->at, "no handler for %s", o->name);
}

static ccf_err compile_body(struct loader *L, uint32_t fidx, struct func *fn, const uint8_t *body_end)
{
    ccf_wasm_module *m = L->m;
    struct rd *r = &L->r;
    struct fc cc = {.L = L, .r = r, .end = body_end, .last_dst = -1, .last_copy = -1};
    struct fc *c = &cc;
    ccf_err e = CCF_OK;
    const struct functype *ft = &m->types[m->func_types[fidx]];

    /* locals */
    uint32_t ngroups;
    uint64_t total = ft->np;
    c->at = r->p;
    if ((e = rd_count(r, &ngroups, 2)) != CCF_OK)
        goto out;
    const uint8_t *save = r->p;
    for (uint32_t i = 0; i < ngroups; i++) {
        uint32_t cnt;
        uint8_t t;
        const uint8_t *at = r->p;
        if ((e = rd_u32(r, &cnt)) != CCF_OK || (e = rd_valtype(r, &t)) != CCF_OK)
            goto out;
        total += cnt;
        if (total > MAX_LOCALS) {
            e = fail_at(r, at, "too many locals");
            goto out;
        }
    }
    c->nlt = (uint32_t)total;
    c->ltypes = malloc(total + 1);
    if (c->ltypes == NULL) {
        e = CCF_ERR_NOMEM;
        goto out;
    }
    memcpy(c->ltypes, ft->t, ft->np);
    r->p = save;
    {
        uint32_t k = ft->np;
        for (uint32_t i = 0; i < ngroups; i++) {
            uint32_t cnt;
            uint8_t t;
            (void)rd_u32(r, &cnt);
            (void)rd_valtype(r, &t);
            memset(c->ltypes + k, t, cnt);
            k += cnt;
        }
    }
    c->lslot = malloc(((size_t)total + 1) * sizeof *c->lslot);
    if (c->lslot == NULL) {
        e = CCF_ERR_NOMEM;
        goto out;
    }
    for (uint32_t k = 0; k < c->nlt; k++) {
        c->lslot[k] = c->nls;
        c->nls += ccf_wasm_internal_width(c->ltypes[k]);
    }
    fn->nparams = (uint32_t)ccf_wasm_internal_slots(ft->t, ft->np);
    fn->nlocals = c->nls - fn->nparams;
    c->max_height = c->nls;
    if ((e = push_ctrl(c, K_FUNC, NULL, 0, ft->t + ft->np, ft->nr)) != CCF_OK)
        goto out;

    while (c->ncs > 0) {
        const struct opinfo *o = NULL;
        if (r->p >= body_end) {
            e = fail(r, "unexpected end of section or function");
            goto out;
        }
        c->at = r->p;
        if ((e = rd_opcode(c, &o)) != CCF_OK)
            goto out;
        r->insn = o->name; /* errors from here on name the instruction */
        e = instruction(c, o);
        r->insn = NULL;
        if (e != CCF_OK)
            goto out;
    }
    if (r->p != body_end) {
        e = fail(r, "section size mismatch: code after the end of the function");
        goto out;
    }
    fn->max_height = c->max_height;
    fn->code = c->code;
    fn->code_len = c->ncode;
    c->code = NULL;
out:
    free(c->code);
    free(c->vs);
    free(c->loc);
    free(c->cval);
    free(c->sslot);
    free(c->cs);
    free(c->ltypes);
    free(c->lslot);
    return e;
}

/* ---- sections ---- */

static ccf_err sec_elem(struct loader *L)
{
    struct rd *r = &L->r;
    ccf_wasm_module *m = L->m;
    uint32_t n;
    TRY(rd_count(r, &n, 1));
    m->elems = calloc(n ? n : 1, sizeof *m->elems);
    if (m->elems == NULL)
        return CCF_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct elem_seg *s = &m->elems[i];
        uint32_t flags;
        const uint8_t *at = r->p;
        m->nelems = i + 1;
        TRY(rd_u32(r, &flags));
        if (flags > 7)
            return fail_at(r, at, "malformed elements segment kind %u", flags);
        s->mode = (flags & 1) ? ((flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE) : SEG_ACTIVE;
        s->table = 0;
        s->type = 0x70;
        if (flags & 2 && !(flags & 1))
            TRY(rd_u32(r, &s->table));
        if (s->mode == SEG_ACTIVE) {
            if (s->table >= m->ntables)
                return fail_at(r, at, "unknown table %u", s->table);
            TRY(rd_constexpr(L, 0x7f, &s->offset, false));
        }
        bool exprs = flags & 4;
        if (flags & 3) {
            const uint8_t *kat = r->p;
            if (exprs) {
                TRY(rd_reftype(r, &s->type));
            } else {
                uint8_t kind;
                TRY(rd_byte(r, &kind));
                if (kind != 0)
                    return fail_at(r, kat, "malformed elements segment kind");
            }
        }
        TRY(rd_count(r, &s->n, 1));
        s->items = calloc(s->n ? s->n : 1, sizeof *s->items);
        if (s->items == NULL)
            return CCF_ERR_NOMEM;
        for (uint32_t k = 0; k < s->n; k++) {
            if (exprs) {
                TRY(rd_constexpr(L, s->type, &s->items[k], false));
            } else {
                uint32_t f;
                const uint8_t *fat = r->p;
                TRY(rd_u32(r, &f));
                if (f >= m->nfuncs)
                    return fail_at(r, fat, "unknown function %u", f);
                L->declared[f] = 1;
                s->items[k].op = 0xd2;
                s->items[k].val = f;
            }
        }
        if (s->mode == SEG_ACTIVE && m->tables[s->table].type != s->type)
            return fail_at(r, at, "type mismatch: elem segment of %s for a table of %s",
                           tname(s->type), tname(m->tables[s->table].type));
    }
    return CCF_OK;
}

static ccf_err sec_data(struct loader *L)
{
    struct rd *r = &L->r;
    ccf_wasm_module *m = L->m;
    uint32_t n;
    const uint8_t *at0 = r->p;
    TRY(rd_count(r, &n, 1));
    if (L->has_datacount && n != L->datacount)
        return fail_at(r, at0, "data count and data section have inconsistent lengths");
    m->datas = calloc(n ? n : 1, sizeof *m->datas);
    if (m->datas == NULL)
        return CCF_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct data_seg *s = &m->datas[i];
        uint32_t flags;
        const uint8_t *at = r->p;
        m->ndatas = i + 1;
        TRY(rd_u32(r, &flags));
        if (flags > 2)
            return fail_at(r, at, "malformed data segment kind %u", flags);
        s->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
        s->mem = 0;
        if (flags == 2)
            TRY(rd_u32(r, &s->mem));
        if (s->mode == SEG_ACTIVE) {
            if (s->mem >= m->nmems)
                return fail_at(r, at, "unknown memory %u", s->mem);
            TRY(rd_constexpr(L, 0x7f, &s->offset, false));
        }
        TRY(rd_count(r, &s->len, 1));
        s->bytes = r->p;
        r->p += s->len;
    }
    return CCF_OK;
}

static ccf_err sec_export(struct loader *L)
{
    struct rd *r = &L->r;
    ccf_wasm_module *m = L->m;
    uint32_t n;
    TRY(rd_count(r, &n, 3));
    m->exports = calloc(n ? n : 1, sizeof *m->exports);
    if (m->exports == NULL)
        return CCF_ERR_NOMEM;
    for (uint32_t i = 0; i < n; i++) {
        struct export_ *x = &m->exports[i];
        const uint8_t *at = r->p;
        m->nexports = i + 1;
        TRY(rd_name(r, &x->name, &x->name_len));
        const uint8_t *kat = r->p;
        TRY(rd_byte(r, &x->kind));
        TRY(rd_u32(r, &x->idx));
        uint32_t limit;
        switch (x->kind) {
        case 0: limit = m->nfuncs; break;
        case 1: limit = m->ntables; break;
        case 2: limit = m->nmems; break;
        case 3: limit = m->nglobals; break;
        default: return fail_at(r, kat, "malformed export kind 0x%02x", x->kind);
        }
        if (x->idx >= limit)
            return fail_at(r, kat, "unknown %s %u",
                           x->kind == 0 ? "function" : x->kind == 1 ? "table" : x->kind == 2 ? "memory" : "global",
                           x->idx);
        if (x->kind == 0)
            L->declared[x->idx] = 1;
        for (uint32_t k = 0; k < i; k++)
            if (m->exports[k].name_len == x->name_len &&
                memcmp(m->exports[k].name, x->name, x->name_len) == 0)
                return fail_at(r, at, "duplicate export name");
    }
    return CCF_OK;
}

static ccf_err decode_sections(struct loader *L, struct tmp_spaces *T)
{
    struct rd *r = &L->r;
    ccf_wasm_module *m = L->m;
    static const uint8_t magic[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    bool have_code = false, have_funcsec = false;
    int last_rank = 0;

    r->sec = "header";
    if (r->end - r->p < 4 || memcmp(r->p, magic, 4) != 0)
        return fail(r, "magic header not detected");
    r->p += 4;
    if (r->end - r->p < 4 || memcmp(r->p, magic + 4, 4) != 0)
        return fail(r, "unknown binary version");
    r->p += 4;

    while (r->p < r->end) {
        static const char *const names[] = {"custom", "type", "import", "function", "table",
                                            "memory", "global", "export", "start", "element",
                                            "code", "data", "data count"};
        static const int rank[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
        const uint8_t *sat = r->p;
        uint8_t id;
        uint32_t size;
        r->sec = "module";
        TRY(rd_byte(r, &id));
        if (id > 12)
            return fail_at(r, sat, "malformed section id %u", id);
        r->sec = names[id];
        TRY(rd_u32(r, &size));
        if (size > (size_t)(r->end - r->p))
            return fail_at(r, sat, "length out of bounds (section size %u)", size);
        const uint8_t *send = r->p + size;
        const uint8_t *saved_end = r->end;
        if (id != 0) {
            if (rank[id] <= last_rank)
                return fail_at(r, sat, "unexpected content after last section (section out of order or duplicated)");
            last_rank = rank[id];
            if (rank[id] >= 6)
                TRY(build_spaces(L, T));
        }
        r->end = send;
        switch (id) {
        case 0: {
            char *name = NULL;
            uint32_t nl;
            ccf_err e = rd_name(r, &name, &nl);
            free(name);
            if (e != CCF_OK)
                return e;
            r->p = send;
            break;
        }
        case 1: TRY(sec_type(L)); break;
        case 2: TRY(sec_import(L)); break;
        case 3: {
            uint32_t n;
            TRY(rd_count(r, &n, 1));
            have_funcsec = true;
            T->ftypes = calloc(n ? n : 1, sizeof *T->ftypes);
            if (T->ftypes == NULL)
                return CCF_ERR_NOMEM;
            T->nfuncs = n;
            for (uint32_t i = 0; i < n; i++) {
                const uint8_t *at = r->p;
                TRY(rd_u32(r, &T->ftypes[i]));
                if (T->ftypes[i] >= m->ntypes)
                    return fail_at(r, at, "unknown type %u", T->ftypes[i]);
            }
            break;
        }
        case 4: {
            uint32_t n;
            TRY(rd_count(r, &n, 3));
            T->tables = calloc(n ? n : 1, sizeof *T->tables);
            if (T->tables == NULL)
                return CCF_ERR_NOMEM;
            T->ntables = n;
            for (uint32_t i = 0; i < n; i++) {
                TRY(rd_reftype(r, &T->tables[i].type));
                TRY(rd_limits(r, &T->tables[i].lim, false));
            }
            break;
        }
        case 5: {
            uint32_t n;
            TRY(rd_count(r, &n, 2));
            T->mems = calloc(n ? n : 1, sizeof *T->mems);
            if (T->mems == NULL)
                return CCF_ERR_NOMEM;
            T->nmems = n;
            for (uint32_t i = 0; i < n; i++)
                TRY(rd_limits(r, &T->mems[i], true));
            if (m->nmem_imports + n > 1)
                return fail_at(r, sat, "multiple memories");
            break;
        }
        case 6: {
            uint32_t n;
            TRY(rd_count(r, &n, 3));
            struct global_def *g = realloc(m->globals, ((size_t)m->nglobal_imports + n + 1) * sizeof *g);
            if (g == NULL)
                return CCF_ERR_NOMEM;
            m->globals = g;
            for (uint32_t i = 0; i < n; i++) {
                struct global_def *gd = &m->globals[m->nglobal_imports + i];
                const uint8_t *mat;
                TRY(rd_valtype(r, &gd->type));
                mat = r->p;
                TRY(rd_byte(r, &gd->mut));
                if (gd->mut > 1)
                    return fail_at(r, mat, "malformed mutability");
                TRY(rd_constexpr(L, gd->type, &gd->init, true));
                m->nglobals = m->nglobal_imports + i + 1;
            }
            break;
        }
        case 7: TRY(sec_export(L)); break;
        case 8: {
            uint32_t f;
            TRY(rd_u32(r, &f));
            if (f >= m->nfuncs)
                return fail_at(r, sat, "unknown function %u", f);
            const struct functype *ft = &m->types[m->func_types[f]];
            if (ft->np || ft->nr)
                return fail_at(r, sat, "start function must have type [] -> []");
            m->start = f;
            break;
        }
        case 9: TRY(sec_elem(L)); break;
        case 12:
            TRY(rd_u32(r, &L->datacount));
            L->has_datacount = true;
            break;
        case 10: {
            uint32_t n;
            const uint8_t *at = r->p;
            TRY(rd_count(r, &n, 1));
            if (n != m->nfuncs - m->nfunc_imports)
                return fail_at(r, at, "function and code section have inconsistent lengths");
            have_code = true;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t bsz;
                const uint8_t *bat = r->p;
                TRY(rd_u32(r, &bsz));
                if (bsz > (size_t)(r->end - r->p))
                    return fail_at(r, bat, "length out of bounds (function body size %u)", bsz);
                const uint8_t *bend = r->p + bsz;
                const uint8_t *outer_end = r->end;
                r->end = bend;
                ccf_err e = compile_body(L, m->nfunc_imports + i, &m->funcs[i], bend);
                r->end = outer_end;
                if (e != CCF_OK)
                    return e;
            }
            break;
        }
        case 11: TRY(sec_data(L)); break;
        }
        if (r->p != send)
            return fail(r, "section size mismatch");
        r->end = saved_end;
    }
    r->sec = "module";
    TRY(build_spaces(L, T));
    (void)have_funcsec;
    if (!have_code && m->nfuncs != m->nfunc_imports)
        return fail(r, "function and code section have inconsistent lengths");
    if (L->has_datacount && m->datas == NULL && L->datacount != 0)
        return fail(r, "data count and data section have inconsistent lengths");
    return CCF_OK;
}

static ccf_err decode(struct loader *L)
{
    struct tmp_spaces T = {0};
    ccf_err e = decode_sections(L, &T);
    free(T.ftypes);
    free(T.tables);
    free(T.mems);
    return e;
}

void ccf_wasm_module_free(ccf_wasm_module *m)
{
    if (m == NULL)
        return;
    if (m->jit != NULL)
        m->jit_free(m->jit);
    for (uint32_t i = 0; i < m->ntypes; i++)
        free(m->types[i].t);
    free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        free(m->imports[i].module);
        free(m->imports[i].name);
    }
    free(m->imports);
    free(m->func_types);
    if (m->funcs != NULL)
        for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++)
            free(m->funcs[i].code);
    free(m->funcs);
    free(m->tables);
    free(m->mems);
    free(m->globals);
    for (uint32_t i = 0; i < m->nexports; i++)
        free(m->exports[i].name);
    free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++)
        free(m->elems[i].items);
    free(m->elems);
    free(m->datas);
    free(m->bytes);
    free(m);
}

ccf_err ccf_wasm_load(const uint8_t *bytes, size_t len, ccf_wasm_module **out, char *err,
                      size_t err_size)
{
    ccf_wasm_module *m = NULL;
    struct loader L = {0};
    ccf_err e = CCF_OK;

    *out = NULL;
    m = calloc(1, sizeof *m);
    if (m == NULL) {
        e = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    m->start = -1;
    m->bytes = malloc(len ? len : 1);
    if (m->bytes == NULL) {
        e = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (len)
        memcpy(m->bytes, bytes, len);
    m->len = len;
    L.m = m;
    L.r.start = m->bytes;
    L.r.p = m->bytes;
    L.r.end = m->bytes + len;
    L.r.err = err;
    L.r.errsz = err_size;
    e = decode(&L);
    if (e == CCF_ERR_NOMEM)
        ccf_errf(err, err_size, e, "out of memory while loading the module");
out:
    free(L.declared);
    if (e != CCF_OK) {
        ccf_wasm_module_free(m);
        return e;
    }
    *out = m;
    return CCF_OK;
}

size_t ccf_wasm_import_count(const ccf_wasm_module *m) { return m->nimports; }
size_t ccf_wasm_export_count(const ccf_wasm_module *m) { return m->nexports; }

bool ccf_wasm_import_get(const ccf_wasm_module *m, size_t i, ccf_wasm_import_desc *out)
{
    if (i >= m->nimports)
        return false;
    out->module = m->imports[i].module;
    out->module_len = m->imports[i].module_len;
    out->name = m->imports[i].name;
    out->name_len = m->imports[i].name_len;
    out->kind = (ccf_wasm_extern_kind)m->imports[i].kind;
    out->type = (ccf_wasm_valtype)m->imports[i].valtype;
    out->mutable_ = m->imports[i].mut != 0;
    out->min = m->imports[i].lim.min;
    out->max = m->imports[i].lim.max;
    return true;
}

ccf_err ccf_wasm_import_signature(const ccf_wasm_module *m, size_t i, char *params,
                                  size_t params_size, char *results, size_t results_size)
{
    if (i >= m->nimports || m->imports[i].kind != 0)
        return CCF_ERR_INVALID;
    return ccf_wasm_internal_signature(&m->types[m->imports[i].type], params, params_size, results,
                                       results_size);
}

bool ccf_wasm_export_get(const ccf_wasm_module *m, size_t i, ccf_wasm_export_desc *out)
{
    if (i >= m->nexports)
        return false;
    out->name = m->exports[i].name;
    out->name_len = m->exports[i].name_len;
    out->kind = (ccf_wasm_extern_kind)m->exports[i].kind;
    return true;
}
