/* The store: what instances own (functions, memories, tables, globals), host
 * objects, linking and instantiation, calls from the host,
 * host access to linear memory. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "wasm/internal.h"

#define DEFAULT_DEPTH 10000u
#define DEFAULT_SLOTS (1u << 20)

ccf_err ccf_wasm_store_new(const ccf_wasm_limits *limits, ccf_wasm_store **out, char *err,
                           size_t err_size)
{
    ccf_wasm_store *s = NULL;
    *out = NULL;
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (limits != NULL)
        s->limits = *limits;
    if (s->limits.max_memory_pages == 0 || s->limits.max_memory_pages > WASM_MAX_PAGES)
        s->limits.max_memory_pages = WASM_MAX_PAGES;
    if (s->limits.max_call_depth == 0)
        s->limits.max_call_depth = DEFAULT_DEPTH;
    if (s->limits.max_stack_slots == 0)
        s->limits.max_stack_slots = DEFAULT_SLOTS;
    s->stack = calloc(s->limits.max_stack_slots, sizeof *s->stack);
    s->frames = calloc(s->limits.max_call_depth, sizeof *s->frames);
    if (s->stack == NULL || s->frames == NULL) {
        ccf_wasm_store_free(s);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory (stacks)");
    }
    s->stack_end = s->stack + s->limits.max_stack_slots;
    s->sp = s->stack;
    ccf_wasm_store_set_fuel(s, s->limits.fuel);
    *out = s;
    return CCF_OK;
}

void ccf_wasm_store_set_fuel(ccf_wasm_store *s, uint64_t fuel)
{
    s->fuel_limited = fuel != 0;
    s->fuel = fuel == 0 || fuel > INT64_MAX ? INT64_MAX : (int64_t)fuel;
}

void ccf_wasm_store_interrupt(ccf_wasm_store *s)
{
    s->interrupt = 1;
}

uint64_t ccf_wasm_store_fuel(const ccf_wasm_store *s)
{
    return s->fuel_limited ? (uint64_t)s->fuel : UINT64_MAX;
}

static void free_instance(struct ccf_wasm_instance *in)
{
    if (in->elem_items != NULL)
        for (uint32_t i = 0; i < in->module->nelems; i++)
            free(in->elem_items[i]);
    free(in->elem_items);
    free(in->elem_len);
    free(in->data_len);
    free(in->funcs);
    free(in->tables);
    free(in->globals);
    free(in);
}

void ccf_wasm_store_free(ccf_wasm_store *s)
{
    if (s == NULL)
        return;
    for (struct ccf_wasm_instance *i = s->instances, *n; i != NULL; i = n) {
        n = i->next_owned;
        free_instance(i);
    }
    for (struct funcinst *f = s->funcs, *n; f != NULL; f = n) {
        n = f->next_owned;
        if (f->inst == NULL && f->def == NULL) {
            /* host function: owns its type */
            free(f->type->t);
            free((void *)f->type);
        }
        free(f);
    }
    for (struct globalinst *g = s->globals, *n; g != NULL; g = n) {
        n = g->next_owned;
        free(g);
    }
    for (struct tableinst *t = s->tables, *n; t != NULL; t = n) {
        n = t->next_owned;
        free(t->elems);
        free(t);
    }
    for (struct meminst *m = s->mems, *n; m != NULL; m = n) {
        n = m->next_owned;
        if (m->base != NULL)
            munmap(m->base, m->reserved);
        free(m);
    }
    free(s->stack);
    free(s->frames);
    free(s);
}

/* ---- runtime object constructors ---- */

static struct globalinst *new_global(ccf_wasm_store *s, uint8_t type, bool mut, uint64_t val)
{
    struct globalinst *g = calloc(1, sizeof *g);
    if (g == NULL)
        return NULL;
    g->type = type;
    g->mut = mut;
    g->val = val;
    g->next_owned = s->globals;
    s->globals = g;
    return g;
}

static struct tableinst *new_table(ccf_wasm_store *s, uint8_t type, uint32_t min, uint32_t max)
{
    struct tableinst *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    /* cap initial table allocations: a huge minimum is refused as a resource limit */
    if (min > (1u << 24)) {
        free(t);
        return NULL;
    }
    t->elems = calloc(min ? min : 1, sizeof *t->elems);
    if (t->elems == NULL) {
        free(t);
        return NULL;
    }
    t->type = type;
    t->size = min;
    t->max = max;
    t->next_owned = s->tables;
    s->tables = t;
    return t;
}

int64_t ccf_wasm_internal_table_grow(struct tableinst *t, uint32_t delta, uint64_t init)
{
    uint32_t old = t->size;
    uint64_t nsz = (uint64_t)old + delta;
    uint64_t max = t->max == UINT32_MAX ? UINT32_MAX : t->max;
    if (nsz > max || nsz > (1u << 24))
        return -1;
    if (delta == 0)
        return old;
    uint64_t *n = realloc(t->elems, (size_t)nsz * sizeof *n);
    if (n == NULL)
        return -1;
    for (uint64_t i = old; i < nsz; i++)
        n[i] = init;
    t->elems = n;
    t->size = (uint32_t)nsz;
    return old;
}

static struct meminst *new_memory(ccf_wasm_store *s, uint32_t min, uint32_t max)
{
    struct meminst *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    uint64_t cap = s->limits.max_memory_pages;
    if (max != UINT32_MAX && max < cap)
        cap = max;
    if (min > cap) {
        free(m);
        return NULL;
    }
    m->max = (uint32_t)cap;
    m->reserved = (size_t)cap * WASM_PAGE;
    if (m->reserved > 0) {
        void *p = mmap(NULL, m->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            free(m);
            return NULL;
        }
        m->base = p;
        if (min > 0 && mprotect(m->base, (size_t)min * WASM_PAGE, PROT_READ | PROT_WRITE) != 0) {
            munmap(m->base, m->reserved);
            free(m);
            return NULL;
        }
    }
    m->declared_max = max;
    m->pages = min;
    m->size = (uint64_t)min * WASM_PAGE;
    m->next_owned = s->mems;
    s->mems = m;
    return m;
}

int64_t ccf_wasm_internal_mem_grow(struct ccf_wasm_store *s, struct meminst *m, uint32_t delta)
{
    (void)s;
    uint32_t old = m->pages;
    uint64_t np = (uint64_t)old + delta;
    if (np > m->max)
        return -1;
    if (delta == 0)
        return old;
    if (mprotect(m->base, (size_t)np * WASM_PAGE, PROT_READ | PROT_WRITE) != 0)
        return -1;
    m->pages = (uint32_t)np;
    m->size = np * WASM_PAGE;
    return old;
}

static int letter_type(char c)
{
    switch (c) {
    case 'i': return 0x7f;
    case 'I': return 0x7e;
    case 'f': return 0x7d;
    case 'F': return 0x7c;
    case 'V': return 0x7b;
    case 'r': return 0x70;
    case 'x': return 0x6f;
    }
    return -1;
}

static char type_letter(uint8_t t)
{
    switch (t) {
    case 0x7f: return 'i';
    case 0x7e: return 'I';
    case 0x7d: return 'f';
    case 0x7c: return 'F';
    case 0x7b: return 'V';
    case 0x70: return 'r';
    case 0x6f: return 'x';
    }
    return '?';
}

ccf_err ccf_wasm_host_func(ccf_wasm_store *s, const char *params, const char *results,
                           ccf_wasm_host_fn fn, void *user, ccf_wasm_extern *out, char *err,
                           size_t err_size)
{
    struct funcinst *f = NULL;
    struct functype *ft = NULL;
    size_t np = strlen(params), nr = strlen(results);
    if (np > 32 || nr > 32 || fn == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "host function: at most 32 params/results and a callback");
    f = calloc(1, sizeof *f);
    ft = calloc(1, sizeof *ft);
    if (f == NULL || ft == NULL || (ft->t = malloc(np + nr + 1)) == NULL) {
        free(f);
        if (ft)
            free(ft->t);
        free(ft);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < np + nr; i++) {
        int t = letter_type(i < np ? params[i] : results[i - np]);
        if (t < 0) {
            free(ft->t);
            free(ft);
            free(f);
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "host function: bad type letter");
        }
        ft->t[i] = (uint8_t)t;
    }
    ft->np = (uint32_t)np;
    ft->nr = (uint32_t)nr;
    f->type = ft;
    f->host = fn;
    f->user = user;
    f->next_owned = s->funcs;
    s->funcs = f;
    out->kind = CCF_WASM_EXTERN_FUNC;
    out->ptr = f;
    return CCF_OK;
}

static uint64_t val_bits(ccf_wasm_val v)
{
    switch (v.type) {
    case CCF_WASM_I32: case CCF_WASM_F32: return v.of.i32;
    case CCF_WASM_FUNCREF: case CCF_WASM_EXTERNREF: return (uint64_t)(uintptr_t)v.of.ref;
    default: return v.of.i64;
    }
}

static ccf_wasm_val bits_val(uint8_t t, uint64_t b)
{
    ccf_wasm_val v;
    memset(&v, 0, sizeof v);
    v.type = (ccf_wasm_valtype)t;
    switch (t) {
    case 0x7f: case 0x7d: v.of.i32 = (uint32_t)b; break;
    case 0x70: case 0x6f: v.of.ref = (void *)(uintptr_t)b; break;
    default: v.of.i64 = b; break;
    }
    return v;
}

static bool valid_type(int t)
{
    return t == 0x7f || t == 0x7e || t == 0x7d || t == 0x7c || t == 0x7b || t == 0x70 || t == 0x6f;
}

ccf_err ccf_wasm_host_global(ccf_wasm_store *s, ccf_wasm_val init, bool mutable_,
                             ccf_wasm_extern *out, char *err, size_t err_size)
{
    if (!valid_type(init.type))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "host global: bad type");
    struct globalinst *g = new_global(s, (uint8_t)init.type, mutable_, val_bits(init));
    if (g == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    if (init.type == CCF_WASM_V128) {
        uint64_t b[2];
        ccf_wasm_internal_to_slots(&init, b);
        g->val = b[0];
        g->hi = b[1];
    }
    out->kind = CCF_WASM_EXTERN_GLOBAL;
    out->ptr = g;
    return CCF_OK;
}

ccf_err ccf_wasm_host_table(ccf_wasm_store *s, ccf_wasm_valtype reftype, uint32_t min, uint32_t max,
                            ccf_wasm_extern *out, char *err, size_t err_size)
{
    if ((reftype != CCF_WASM_FUNCREF && reftype != CCF_WASM_EXTERNREF) || min > max)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "host table: bad type or limits");
    struct tableinst *t = new_table(s, (uint8_t)reftype, min, max);
    if (t == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "host table: cannot allocate %u elements", min);
    out->kind = CCF_WASM_EXTERN_TABLE;
    out->ptr = t;
    return CCF_OK;
}

ccf_err ccf_wasm_host_memory(ccf_wasm_store *s, uint32_t min, uint32_t max, ccf_wasm_extern *out,
                             char *err, size_t err_size)
{
    if (min > WASM_MAX_PAGES || (max != UINT32_MAX && (max < min || max > WASM_MAX_PAGES)))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "host memory: bad limits");
    struct meminst *m = new_memory(s, min, max);
    if (m == NULL)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "host memory: cannot allocate %u pages", min);
    out->kind = CCF_WASM_EXTERN_MEMORY;
    out->ptr = m;
    return CCF_OK;
}

/* ---- instantiation ---- */

static bool limits_match(uint32_t amin, uint32_t amax, const struct limits *want)
{
    if (amin < want->min)
        return false;
    if (want->max != UINT32_MAX && (amax == UINT32_MAX || amax > want->max))
        return false;
    return true;
}

/* The high half of a v128 constant expression (v128.const or global.get). */
static uint64_t eval_const_hi(const struct ccf_wasm_instance *in, const struct constexpr_ *ce)
{
    return ce->op == 0x23 ? in->globals[ce->val]->hi : ce->hi;
}

static uint64_t eval_const(const struct ccf_wasm_instance *in, const struct constexpr_ *ce)
{
    switch (ce->op) {
    case 0xd2: return (uint64_t)(uintptr_t)in->funcs[ce->val];
    case 0x23: return in->globals[ce->val]->val;
    default: return ce->val;
    }
}

static ccf_err link_import(ccf_wasm_store *s, const ccf_wasm_module *m, const struct import *im,
                           const ccf_wasm_import *imports, size_t n, ccf_wasm_extern *ext,
                           char *err, size_t err_size)
{
    (void)s;
    (void)m;
    for (size_t i = n; i-- > 0;) { /* later bindings shadow earlier ones */
        if (strlen(imports[i].module) == im->module_len &&
            memcmp(imports[i].module, im->module, im->module_len) == 0 &&
            strlen(imports[i].name) == im->name_len &&
            memcmp(imports[i].name, im->name, im->name_len) == 0) {
            *ext = imports[i].ext;
            return CCF_OK;
        }
    }
    return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "unknown import \"%s\" \"%s\"", im->module,
                    im->name);
}

ccf_err ccf_wasm_instantiate(ccf_wasm_store *s, const ccf_wasm_module *m,
                             const ccf_wasm_import *imports, size_t n_imports,
                             ccf_wasm_instance **out, ccf_wasm_trap *trap, char *err, size_t err_size)
{
    struct ccf_wasm_instance *in = NULL;
    ccf_err e = CCF_OK;
    ccf_wasm_trap tr = CCF_WASM_TRAP_NONE;
    static struct meminst nomem; /* zero-sized: instances without memory point here */

    *out = NULL;
    if (trap)
        *trap = CCF_WASM_TRAP_NONE;
    in = calloc(1, sizeof *in);
    if (in == NULL)
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    in->module = m;
    in->store = s;
    in->mem = &nomem;
    in->funcs = calloc(m->nfuncs + 1, sizeof *in->funcs);
    in->tables = calloc(m->ntables + 1, sizeof *in->tables);
    in->globals = calloc(m->nglobals + 1, sizeof *in->globals);
    in->elem_items = calloc(m->nelems + 1, sizeof *in->elem_items);
    in->elem_len = calloc(m->nelems + 1, sizeof *in->elem_len);
    in->data_len = calloc(m->ndatas + 1, sizeof *in->data_len);
    if (!in->funcs || !in->tables || !in->globals || !in->elem_items || !in->elem_len || !in->data_len) {
        e = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }

    /* imports */
    uint32_t fi = 0, ti = 0, gi = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        const struct import *im = &m->imports[i];
        ccf_wasm_extern ext = {CCF_WASM_EXTERN_FUNC, NULL};
        if ((e = link_import(s, m, im, imports, n_imports, &ext, err, err_size)) != CCF_OK)
            goto out;
        if ((uint8_t)ext.kind != im->kind || ext.ptr == NULL) {
            e = ccf_errf(err, err_size, CCF_ERR_INVALID, "incompatible import type for \"%s\" \"%s\"",
                         im->module, im->name);
            goto out;
        }
        switch (im->kind) {
        case 0: {
            struct funcinst *f = ext.ptr;
            if (!ccf_wasm_internal_functype_eq(f->type, &m->types[im->type])) {
                e = ccf_errf(err, err_size, CCF_ERR_INVALID,
                             "incompatible import type for \"%s\" \"%s\" (function signature)",
                             im->module, im->name);
                goto out;
            }
            in->funcs[fi++] = f;
            break;
        }
        case 1: {
            struct tableinst *t = ext.ptr;
            if (t->type != im->valtype || !limits_match(t->size, t->max, &im->lim)) {
                e = ccf_errf(err, err_size, CCF_ERR_INVALID,
                             "incompatible import type for \"%s\" \"%s\" (table)", im->module, im->name);
                goto out;
            }
            in->tables[ti++] = t;
            break;
        }
        case 2: {
            struct meminst *mm = ext.ptr;
            uint32_t amax = mm->max;
            /* a memory created without maximum reports none, even if the store caps it */
            if (mm->declared_max == UINT32_MAX)
                amax = UINT32_MAX;
            if (!limits_match(mm->pages, amax, &im->lim)) {
                e = ccf_errf(err, err_size, CCF_ERR_INVALID,
                             "incompatible import type for \"%s\" \"%s\" (memory)", im->module, im->name);
                goto out;
            }
            in->mem = mm;
            break;
        }
        case 3: {
            struct globalinst *g = ext.ptr;
            if (g->type != im->valtype || g->mut != im->mut) {
                e = ccf_errf(err, err_size, CCF_ERR_INVALID,
                             "incompatible import type for \"%s\" \"%s\" (global)", im->module, im->name);
                goto out;
            }
            in->globals[gi++] = g;
            break;
        }
        }
    }
    /* own functions */
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        struct funcinst *f = calloc(1, sizeof *f);
        if (f == NULL) {
            e = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
        f->inst = in;
        f->idx = i;
        if (m->jit != NULL) {
            f->jit = m->jit_enter; /* compiled: called like a host function, def stays NULL */
            f->jit_code = m->jit_code[i - m->nfunc_imports];
        }
        else
            f->def = &m->funcs[i - m->nfunc_imports];
        f->type = &m->types[m->func_types[i]];
        f->next_owned = s->funcs;
        s->funcs = f;
        in->funcs[i] = f;
    }
    for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
        in->tables[i] = new_table(s, m->tables[i].type, m->tables[i].lim.min, m->tables[i].lim.max);
        if (in->tables[i] == NULL) {
            e = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "cannot allocate table of %u elements",
                         m->tables[i].lim.min);
            goto out;
        }
    }
    if (m->nmems > m->nmem_imports) {
        struct meminst *mm = new_memory(s, m->mems[0].min, m->mems[0].max);
        if (mm == NULL) {
            e = ccf_errf(err, err_size, CCF_ERR_TOO_LARGE,
                         "cannot allocate memory of %u pages (limit %u)", m->mems[0].min,
                         s->limits.max_memory_pages);
            goto out;
        }
        in->mem = mm;
    }
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
        in->globals[i] = new_global(s, m->globals[i].type, m->globals[i].mut,
                                    eval_const(in, &m->globals[i].init));
        if (in->globals[i] == NULL) {
            e = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
        if (m->globals[i].type == WASM_V128)
            in->globals[i]->hi = eval_const_hi(in, &m->globals[i].init);
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const struct elem_seg *sg = &m->elems[i];
        in->elem_items[i] = calloc(sg->n ? sg->n : 1, sizeof(uint64_t));
        if (in->elem_items[i] == NULL) {
            e = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
            goto out;
        }
        for (uint32_t k = 0; k < sg->n; k++)
            in->elem_items[i][k] = eval_const(in, &sg->items[k]);
        in->elem_len[i] = sg->mode == SEG_PASSIVE ? sg->n : 0;
    }
    for (uint32_t i = 0; i < m->ndatas; i++)
        in->data_len[i] = m->datas[i].mode == SEG_PASSIVE ? m->datas[i].len : 0;

    /* the instance belongs to the store from here on: writes below may trap */
    in->next_owned = s->instances;
    s->instances = in;

    for (uint32_t i = 0; i < m->nelems && tr == CCF_WASM_TRAP_NONE; i++) {
        const struct elem_seg *sg = &m->elems[i];
        if (sg->mode != SEG_ACTIVE)
            continue;
        uint32_t off = (uint32_t)eval_const(in, &sg->offset);
        struct tableinst *t = in->tables[sg->table];
        if ((uint64_t)off + sg->n > t->size) {
            tr = CCF_WASM_TRAP_TABLE_OOB;
            break;
        }
        for (uint32_t k = 0; k < sg->n; k++)
            t->elems[off + k] = in->elem_items[i][k];
    }
    for (uint32_t i = 0; i < m->ndatas && tr == CCF_WASM_TRAP_NONE; i++) {
        const struct data_seg *d = &m->datas[i];
        if (d->mode != SEG_ACTIVE)
            continue;
        uint32_t off = (uint32_t)eval_const(in, &d->offset);
        if ((uint64_t)off + d->len > in->mem->size) {
            tr = CCF_WASM_TRAP_MEMORY_OOB;
            break;
        }
        if (d->len)
            memcpy(in->mem->base + off, d->bytes, d->len);
    }
    if (tr != CCF_WASM_TRAP_NONE) {
        e = ccf_errf(err, err_size, CCF_ERR_INVALID, "%s", ccf_wasm_trap_string(tr));
        goto trapped;
    }
    if (m->start >= 0) {
        ccf_wasm_extern f = {CCF_WASM_EXTERN_FUNC, in->funcs[m->start]};
        e = ccf_wasm_call(s, f, NULL, 0, NULL, 0, NULL, &tr, err, err_size);
        if (e != CCF_OK)
            goto trapped;
    }
    *out = in;
    return CCF_OK;
trapped:
    if (trap)
        *trap = tr;
    return e;
out:
    free_instance(in);
    return e;
}

const ccf_wasm_module *ccf_wasm_instance_module(const ccf_wasm_instance *inst)
{
    return inst->module;
}

ccf_err ccf_wasm_export(ccf_wasm_instance *in, const char *name, ccf_wasm_extern *out, char *err,
                        size_t err_size)
{
    return ccf_wasm_export_n(in, name, strlen(name), out, err, err_size);
}

ccf_err ccf_wasm_export_n(ccf_wasm_instance *in, const char *name, size_t len, ccf_wasm_extern *out,
                          char *err, size_t err_size)
{
    const ccf_wasm_module *m = in->module;
    for (uint32_t i = 0; i < m->nexports; i++) {
        const struct export_ *x = &m->exports[i];
        if (x->name_len != len || memcmp(x->name, name, len) != 0)
            continue;
        out->kind = (ccf_wasm_extern_kind)x->kind;
        switch (x->kind) {
        case 0: out->ptr = in->funcs[x->idx]; break;
        case 1: out->ptr = in->tables[x->idx]; break;
        case 2: out->ptr = in->mem; break;
        default: out->ptr = in->globals[x->idx]; break;
        }
        return CCF_OK;
    }
    return ccf_errf(err, err_size, CCF_ERR_NOT_FOUND, "no export named \"%.*s\"", (int)len, name);
}

ccf_err ccf_wasm_func_signature(ccf_wasm_extern func, char *params, size_t params_size,
                                char *results, size_t results_size)
{
    if (func.kind != CCF_WASM_EXTERN_FUNC || func.ptr == NULL)
        return CCF_ERR_INVALID;
    return ccf_wasm_internal_signature(((struct funcinst *)func.ptr)->type, params, params_size,
                                       results, results_size);
}

ccf_err ccf_wasm_internal_signature(const struct functype *ft, char *params, size_t params_size,
                                    char *results, size_t results_size)
{
    if (params_size < (size_t)ft->np + 1 || results_size < (size_t)ft->nr + 1)
        return CCF_ERR_TOO_LARGE;
    for (uint32_t i = 0; i < ft->np; i++)
        params[i] = type_letter(ft->t[i]);
    params[ft->np] = '\0';
    for (uint32_t i = 0; i < ft->nr; i++)
        results[i] = type_letter(ft->t[ft->np + i]);
    results[ft->nr] = '\0';
    return CCF_OK;
}

ccf_err ccf_wasm_call(ccf_wasm_store *s, ccf_wasm_extern func, const ccf_wasm_val *args,
                      size_t n_args, ccf_wasm_val *results, size_t results_cap, size_t *n_results,
                      ccf_wasm_trap *trap, char *err, size_t err_size)
{
    if (trap)
        *trap = CCF_WASM_TRAP_NONE;
    if (func.kind != CCF_WASM_EXTERN_FUNC || func.ptr == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "not a function");
    struct funcinst *f = func.ptr;
    const struct functype *ft = f->type;
    if (n_args != ft->np)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "function takes %u arguments, got %zu", ft->np, n_args);
    if (results_cap < ft->nr)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "function returns %u results", ft->nr);
    for (uint32_t i = 0; i < ft->np; i++)
        if ((uint8_t)args[i].type != ft->t[i])
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "argument %u has the wrong type", i);
    uint64_t *base = s->sp;
    uint64_t pslots = ccf_wasm_internal_slots(ft->t, ft->np), rslots = ccf_wasm_internal_slots(ft->t + ft->np, ft->nr);
    size_t need = (size_t)(pslots > rslots ? pslots : rslots);
    if ((size_t)(s->stack_end - base) < need + 1) {
        if (trap)
            *trap = CCF_WASM_TRAP_STACK_EXHAUSTED;
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s", ccf_wasm_trap_string(CCF_WASM_TRAP_STACK_EXHAUSTED));
    }
    for (uint32_t i = 0, k = 0; i < ft->np; k += ccf_wasm_internal_width(ft->t[i]), i++)
        ccf_wasm_internal_to_slots(&args[i], base + k);
    ccf_wasm_trap tr;
    if (f->def == NULL && f->jit == NULL) {
        ccf_wasm_val a[32], r[32];
        char msg[256] = "";
        for (uint32_t i = 0; i < ft->np; i++)
            a[i] = args[i];
        for (uint32_t i = 0; i < ft->nr; i++)
            r[i] = bits_val(ft->t[ft->np + i], 0);
        ccf_err he = f->host(NULL, f->user, a, r, msg, sizeof msg);
        if (he != CCF_OK) {
            if (trap)
                *trap = CCF_WASM_TRAP_HOST;
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "%s", msg[0] ? msg : ccf_strerror(he));
        }
        for (uint32_t i = 0; i < ft->nr; i++) {
            uint64_t b[2] = {0, 0};
            ccf_wasm_internal_to_slots(&r[i], b);
            results[i] = ccf_wasm_internal_from_slots(ft->t[ft->np + i], b);
        }
        if (n_results)
            *n_results = ft->nr;
        return CCF_OK;
    }
    s->sp = base + pslots;
    tr = ccf_wasm_internal_run(s, f, err, err_size);
    s->sp = base;
    if (tr != CCF_WASM_TRAP_NONE) {
        if (trap)
            *trap = tr;
        return CCF_ERR_INVALID;
    }
    for (uint32_t i = 0, k = 0; i < ft->nr; k += ccf_wasm_internal_width(ft->t[ft->np + i]), i++)
        results[i] = ccf_wasm_internal_from_slots(ft->t[ft->np + i], base + k);
    if (n_results)
        *n_results = ft->nr;
    return CCF_OK;
}

ccf_err ccf_wasm_invoke(ccf_wasm_instance *in, const char *name, const ccf_wasm_val *args,
                        size_t n_args, ccf_wasm_val *results, size_t results_cap, size_t *n_results,
                        ccf_wasm_trap *trap, char *err, size_t err_size)
{
    ccf_wasm_extern f;
    if (trap)
        *trap = CCF_WASM_TRAP_NONE;
    ccf_err e = ccf_wasm_export(in, name, &f, err, err_size);
    if (e != CCF_OK)
        return e;
    if (f.kind != CCF_WASM_EXTERN_FUNC)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "export \"%s\" is not a function", name);
    return ccf_wasm_call(in->store, f, args, n_args, results, results_cap, n_results, trap, err, err_size);
}

ccf_err ccf_wasm_global_get(ccf_wasm_extern global, ccf_wasm_val *out)
{
    if (global.kind != CCF_WASM_EXTERN_GLOBAL || global.ptr == NULL)
        return CCF_ERR_INVALID;
    struct globalinst *g = global.ptr;
    uint64_t b[2] = {g->val, g->hi};
    *out = ccf_wasm_internal_from_slots(g->type, b);
    return CCF_OK;
}

ccf_err ccf_wasm_global_set(ccf_wasm_extern global, ccf_wasm_val val)
{
    if (global.kind != CCF_WASM_EXTERN_GLOBAL || global.ptr == NULL)
        return CCF_ERR_INVALID;
    struct globalinst *g = global.ptr;
    if (!g->mut || (uint8_t)val.type != g->type)
        return CCF_ERR_INVALID;
    uint64_t b[2] = {0, 0};
    ccf_wasm_internal_to_slots(&val, b);
    g->val = b[0];
    g->hi = b[1];
    return CCF_OK;
}

uint64_t ccf_wasm_memory_size(const ccf_wasm_instance *in)
{
    return in->mem->size;
}

ccf_err ccf_wasm_memory_read(const ccf_wasm_instance *in, uint64_t offset, void *dst, size_t len)
{
    if (offset > in->mem->size || len > in->mem->size - offset)
        return CCF_ERR_INVALID;
    if (len)
        memcpy(dst, in->mem->base + offset, len);
    return CCF_OK;
}

ccf_err ccf_wasm_memory_write(ccf_wasm_instance *in, uint64_t offset, const void *src, size_t len)
{
    if (offset > in->mem->size || len > in->mem->size - offset)
        return CCF_ERR_INVALID;
    if (len)
        memcpy(in->mem->base + offset, src, len);
    return CCF_OK;
}

uint8_t *ccf_wasm_memory_ptr(ccf_wasm_instance *in, uint64_t offset, uint64_t len)
{
    if (offset > in->mem->size || len > in->mem->size - offset || in->mem->base == NULL)
        return NULL;
    return in->mem->base + offset;
}
