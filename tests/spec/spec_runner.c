/* spec_runner: runs one script of the WebAssembly core spec test suite, as
 * converted by `wast2json` (modules beside it), against src/wasm. Kept with
 * its tests (as WAMR keeps its spec runner), not in the `ccfaas` CLI.
 *
 * usage: spec_runner [--help] [--known-failures FILE] [--verbose] [--strategy jit|interp] FILE.json
 * --strategy jit compiles every module (src/wasm/jit.h) before it is
 * instantiated; modules the compiler refuses (v128/SIMD) stay interpreted.
 * Prints each failing command with its line, then `N passed, M failed, K
 * skipped`. Text-format modules are skipped. --known-failures lists
 * `FILE.wast:LINE reason` lines that are expected to fail (reported, not
 * counted as failures; passing ones are errors). Exit 0 when nothing
 * unexpected failed, 1 otherwise, 2 on a usage error. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/file.h"
#include "wasm/jit.h"
#include "wasm/wasm.h"

#define MAX_MODULE_BYTES (256u << 20)
#define EXIT_USAGE 2

static void usage(FILE *out)
{
    fprintf(out,
            "usage: spec_runner [--help] [--known-failures FILE] [--verbose] [--strategy jit|interp] FILE.json\n"
            "Runs a script converted by `wast2json` (modules next to it). Prints each failing\n"
            "command with its line, then `N passed, M failed, K skipped`. Text-format modules\n"
            "are skipped. --known-failures lists `FILE.wast:LINE reason` lines that are\n"
            "expected to fail (reported, not counted as failures; passing ones are errors).\n"
            "--strategy jit compiles each module to native code (modules with v128 values stay\n"
            "interpreted). Exit 0 when nothing unexpected failed.\n");
}

/* A decimal or 0x number; a leading '-' wraps to its two's complement. */
static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-') {
        long long v = strtoll(s, &end, 0);
        if (errno || *end || end == s)
            return false;
        *out = (uint64_t)v;
        return true;
    }
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || end == s)
        return false;
    *out = v;
    return true;
}

static bool use_jit;
static unsigned n_compiled, n_refused; /* --strategy jit: modules compiled / left to the interpreter */

static ccf_err read_module(const char *path, ccf_wasm_module **out, char *err, size_t errsz)
{
    char *buf = NULL;
    size_t len = 0;
    ccf_err e = ccf_file_read(path, MAX_MODULE_BYTES, &buf, &len, err, errsz);
    if (e != CCF_OK)
        return e;
    e = ccf_wasm_load((const uint8_t *)buf, len, out, err, errsz);
    free(buf);
    if (e == CCF_OK && use_jit) {
        char jerr[512];
        ccf_err je = ccf_wasm_jit_compile(*out, jerr, sizeof jerr);
        if (je == CCF_OK)
            n_compiled++;
        else if (je == CCF_ERR_UNSUPPORTED)
            n_refused++;
        if (je != CCF_OK && je != CCF_ERR_UNSUPPORTED) {
            /* a module the compiler should translate but did not: a failure, never a silent fallback */
            ccf_wasm_module_free(*out);
            *out = NULL;
            return ccf_errf(err, errsz, CCF_ERR_INTERNAL, "compiling %s: %s", path, jerr);
        }
    }
    return e;
}


struct named {
    char *name;
    ccf_wasm_instance *inst;
};

struct known {
    char *key; /* "file.wast:LINE" */
    bool hit;
};

struct st {
    const char *dir;
    const char *wast; /* basename of the .wast */
    ccf_wasm_store *store;
    ccf_wasm_import *imports;
    size_t nimports, capimports;
    struct named *names;
    size_t nnames;
    ccf_wasm_instance *current; /* NULL: none or skipped */
    bool current_skipped;
    ccf_wasm_module **modules;
    size_t nmodules;
    unsigned passed, failed, skipped, known_failed;
    struct known *known;
    size_t nknown;
    bool verbose;
};

static ccf_err spectest_print(ccf_wasm_instance *caller, void *user, const ccf_wasm_val *args,
                              ccf_wasm_val *results, char *err, size_t err_size)
{
    (void)caller; (void)user; (void)args; (void)results; (void)err; (void)err_size;
    return CCF_OK;
}

static ccf_err add_import(struct st *st, const char *module, const char *name, ccf_wasm_extern ext)
{
    if (st->nimports == st->capimports) {
        size_t nc = st->capimports ? st->capimports * 2 : 32;
        ccf_wasm_import *n = realloc(st->imports, nc * sizeof *n);
        if (n == NULL)
            return CCF_ERR_NOMEM;
        st->imports = n;
        st->capimports = nc;
    }
    char *m = strdup(module), *f = strdup(name);
    if (m == NULL || f == NULL) {
        free(m);
        free(f);
        return CCF_ERR_NOMEM;
    }
    st->imports[st->nimports].module = m;
    st->imports[st->nimports].name = f;
    st->imports[st->nimports].ext = ext;
    st->nimports++;
    return CCF_OK;
}

static ccf_err setup_spectest(struct st *st, char *err, size_t errsz)
{
    static const struct {
        const char *name, *params;
    } funcs[] = {{"print", ""}, {"print_i32", "i"}, {"print_i64", "I"}, {"print_f32", "f"},
                 {"print_f64", "F"}, {"print_i32_f32", "if"}, {"print_f64_f64", "FF"}};
    ccf_wasm_extern x;
    ccf_err e;
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
        if ((e = ccf_wasm_host_func(st->store, funcs[i].params, "", spectest_print, NULL, &x, err, errsz)) != CCF_OK ||
            (e = add_import(st, "spectest", funcs[i].name, x)) != CCF_OK)
            return e;
    }
    ccf_wasm_val v;
    float f32 = 666.6f;
    double f64 = 666.6;
    v.type = CCF_WASM_I32;
    v.of.i32 = 666;
    if ((e = ccf_wasm_host_global(st->store, v, false, &x, err, errsz)) != CCF_OK ||
        (e = add_import(st, "spectest", "global_i32", x)) != CCF_OK)
        return e;
    v.type = CCF_WASM_I64;
    v.of.i64 = 666;
    if ((e = ccf_wasm_host_global(st->store, v, false, &x, err, errsz)) != CCF_OK ||
        (e = add_import(st, "spectest", "global_i64", x)) != CCF_OK)
        return e;
    v.type = CCF_WASM_F32;
    memcpy(&v.of.f32, &f32, 4);
    if ((e = ccf_wasm_host_global(st->store, v, false, &x, err, errsz)) != CCF_OK ||
        (e = add_import(st, "spectest", "global_f32", x)) != CCF_OK)
        return e;
    v.type = CCF_WASM_F64;
    memcpy(&v.of.f64, &f64, 8);
    if ((e = ccf_wasm_host_global(st->store, v, false, &x, err, errsz)) != CCF_OK ||
        (e = add_import(st, "spectest", "global_f64", x)) != CCF_OK)
        return e;
    if ((e = ccf_wasm_host_table(st->store, CCF_WASM_FUNCREF, 10, 20, &x, err, errsz)) != CCF_OK ||
        (e = add_import(st, "spectest", "table", x)) != CCF_OK)
        return e;
    if ((e = ccf_wasm_host_memory(st->store, 1, 2, &x, err, errsz)) != CCF_OK ||
        (e = add_import(st, "spectest", "memory", x)) != CCF_OK)
        return e;
    return CCF_OK;
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

__attribute__((format(printf, 4, 5))) static void report_fail(struct st *st, long line, const char *type,
                                                              const char *fmt, ...)
{
    char key[512];
    snprintf(key, sizeof key, "%s:%ld", st->wast, line);
    for (size_t i = 0; i < st->nknown; i++) {
        if (strcmp(st->known[i].key, key) == 0) {
            st->known[i].hit = true;
            st->known_failed++;
            return;
        }
    }
    st->failed++;
    va_list ap;
    va_start(ap, fmt);
    printf("%s: %s: FAIL: ", key, type);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static void report_pass(struct st *st, long line)
{
    char key[512];
    snprintf(key, sizeof key, "%s:%ld", st->wast, line);
    for (size_t i = 0; i < st->nknown; i++) {
        if (strcmp(st->known[i].key, key) == 0) {
            st->known[i].hit = true;
            st->failed++;
            printf("%s: listed in known failures but passes now: remove it\n", key);
            return;
        }
    }
    st->passed++;
}

static ccf_err load_file_module(struct st *st, const char *filename, ccf_wasm_module **out, char *err,
                                size_t errsz)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", st->dir, filename);
    return read_module(path, out, err, errsz);
}

static ccf_wasm_instance *find_instance(struct st *st, const char *name)
{
    if (name == NULL)
        return st->current;
    for (size_t i = st->nnames; i-- > 0;)
        if (strcmp(st->names[i].name, name) == 0)
            return st->names[i].inst;
    return NULL;
}

/* v128 NaN patterns: *nan_kind = V128_NAN | (V128_F64 for f64 lanes) | two
 * bits per lane (0 exact, 1 nan:canonical, 2 nan:arithmetic) from bit 0. */
#define V128_NAN 0x1000
#define V128_F64 0x2000

/* {"type": "v128", "lane_type": "i8|i16|i32|i64|f32|f64", "value": [lanes...]} */
static bool parse_v128(json_t *j, ccf_wasm_val *v, int *nan_kind)
{
    const char *lt = jstr(j, "lane_type");
    json_t *lanes = json_object_get(j, "value");
    unsigned bits;
    if (lt == NULL || !json_is_array(lanes) || sscanf(lt + 1, "%u", &bits) != 1 ||
        (bits != 8 && bits != 16 && bits != 32 && bits != 64))
        return false;
    unsigned n = 128 / bits, bytes = bits / 8;
    if (json_array_size(lanes) != n)
        return false;
    v->type = CCF_WASM_V128;
    memset(v->of.v128, 0, sizeof v->of.v128);
    for (unsigned i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(lanes, i));
        uint64_t u = 0;
        if (s == NULL)
            return false;
        if (lt[0] == 'f' && strncmp(s, "nan:", 4) == 0) {
            int k = strcmp(s, "nan:canonical") == 0 ? 1 : strcmp(s, "nan:arithmetic") == 0 ? 2 : 0;
            if (k == 0)
                return false;
            *nan_kind |= V128_NAN | (bits == 64 ? V128_F64 : 0) | k << (2 * i);
            continue;
        }
        if (!parse_u64(s, &u))
            return false;
        for (unsigned b = 0; b < bytes; b++)
            v->of.v128[i * bytes + b] = (uint8_t)(u >> (8 * b));
    }
    return true;
}

/* Lane i of a v128 (f32 or f64 lanes) against its NaN pattern or its bits. */
static bool v128_lane_matches(const ccf_wasm_val *got, const ccf_wasm_val *want, int nan_kind, unsigned i)
{
    int k = (nan_kind >> (2 * i)) & 3;
    if (nan_kind & V128_F64) {
        uint64_t g, w;
        memcpy(&g, got->of.v128 + 8 * i, 8);
        memcpy(&w, want->of.v128 + 8 * i, 8);
        if (k == 1)
            return (g & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
        if (k == 2)
            return (g & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
        return g == w;
    }
    uint32_t g, w;
    memcpy(&g, got->of.v128 + 4 * i, 4);
    memcpy(&w, want->of.v128 + 4 * i, 4);
    if (k == 1)
        return (g & 0x7fffffffu) == 0x7fc00000u;
    if (k == 2)
        return (g & 0x7fc00000u) == 0x7fc00000u;
    return g == w;
}

static bool parse_value(json_t *j, ccf_wasm_val *v, int *nan_kind)
{
    const char *t = jstr(j, "type"), *s = jstr(j, "value");
    *nan_kind = 0;
    if (t == NULL)
        return false;
    if (strcmp(t, "externref") == 0 || strcmp(t, "funcref") == 0) {
        v->type = t[0] == 'e' ? CCF_WASM_EXTERNREF : CCF_WASM_FUNCREF;
        if (s == NULL) {
            *nan_kind = 3; /* any non-null reference */
            v->of.ref = NULL;
            return true;
        }
        if (strcmp(s, "null") == 0) {
            v->of.ref = NULL;
            return true;
        }
        uint64_t u;
        if (!parse_u64(s, &u))
            return false;
        v->of.ref = (void *)(uintptr_t)(u + 1); /* keep ref.extern 0 distinct from null */
        return true;
    }
    if (strcmp(t, "v128") == 0)
        return parse_v128(j, v, nan_kind);
    if (s == NULL)
        return false;
    if (strcmp(s, "nan:canonical") == 0)
        *nan_kind = 1;
    else if (strcmp(s, "nan:arithmetic") == 0)
        *nan_kind = 2;
    uint64_t u = 0;
    if (*nan_kind == 0 && !parse_u64(s, &u))
        return false;
    if (strcmp(t, "i32") == 0) {
        v->type = CCF_WASM_I32;
        v->of.i32 = (uint32_t)u;
    } else if (strcmp(t, "f32") == 0) {
        v->type = CCF_WASM_F32;
        v->of.f32 = (uint32_t)u;
    } else if (strcmp(t, "i64") == 0) {
        v->type = CCF_WASM_I64;
        v->of.i64 = u;
    } else if (strcmp(t, "f64") == 0) {
        v->type = CCF_WASM_F64;
        v->of.f64 = u;
    } else {
        return false; /* v128 etc. */
    }
    return true;
}

static bool value_matches(const ccf_wasm_val *got, const ccf_wasm_val *want, int nan_kind)
{
    if (got->type != want->type)
        return false;
    switch (want->type) {
    case CCF_WASM_I32: return got->of.i32 == want->of.i32;
    case CCF_WASM_I64: return got->of.i64 == want->of.i64;
    case CCF_WASM_F32:
        if (nan_kind == 1)
            return (got->of.f32 & 0x7fffffffu) == 0x7fc00000u;
        if (nan_kind == 2)
            return (got->of.f32 & 0x7fc00000u) == 0x7fc00000u;
        return got->of.f32 == want->of.f32;
    case CCF_WASM_F64:
        if (nan_kind == 1)
            return (got->of.f64 & 0x7fffffffffffffffull) == 0x7ff8000000000000ull;
        if (nan_kind == 2)
            return (got->of.f64 & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
        return got->of.f64 == want->of.f64;
    case CCF_WASM_V128:
        if (nan_kind & V128_NAN) {
            for (unsigned i = 0; i < (nan_kind & V128_F64 ? 2u : 4u); i++)
                if (!v128_lane_matches(got, want, nan_kind, i))
                    return false;
            return true;
        }
        return memcmp(got->of.v128, want->of.v128, 16) == 0;
    default:
        if (nan_kind == 3)
            return got->of.ref != NULL;
        return got->of.ref == want->of.ref;
    }
}

static void fmt_val(const ccf_wasm_val *v, char *buf, size_t n)
{
    switch (v->type) {
    case CCF_WASM_I32: snprintf(buf, n, "i32:%" PRIu32, v->of.i32); break;
    case CCF_WASM_I64: snprintf(buf, n, "i64:%" PRIu64, v->of.i64); break;
    case CCF_WASM_F32: snprintf(buf, n, "f32:0x%08" PRIx32, v->of.f32); break;
    case CCF_WASM_F64: snprintf(buf, n, "f64:0x%016" PRIx64, v->of.f64); break;
    case CCF_WASM_V128: {
        uint64_t lo, hi;
        memcpy(&lo, v->of.v128, 8);
        memcpy(&hi, v->of.v128 + 8, 8);
        snprintf(buf, n, "v128:0x%016" PRIx64 "%016" PRIx64, hi, lo);
        break;
    }
    default: snprintf(buf, n, "ref:%p", v->of.ref); break;
    }
}

/* Runs an action. Returns CCF_OK with results, or the error (trap set). */
static ccf_err run_action(struct st *st, json_t *act, ccf_wasm_val *res, size_t *nres,
                          ccf_wasm_trap *trap, char *err, size_t errsz, bool *skip)
{
    const char *type = jstr(act, "type"), *field = jstr(act, "field");
    ccf_wasm_instance *inst = find_instance(st, jstr(act, "module"));
    *trap = CCF_WASM_TRAP_NONE;
    *skip = false;
    if (inst == NULL) {
        if (st->current_skipped && jstr(act, "module") == NULL) {
            *skip = true;
            return CCF_ERR_UNSUPPORTED;
        }
        return ccf_errf(err, errsz, CCF_ERR_NOT_FOUND, "no module instance for the action");
    }
    if (type == NULL || field == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "malformed action");
    ccf_wasm_extern x;
    ccf_err e = ccf_wasm_export_n(inst, field, json_string_length(json_object_get(act, "field")), &x,
                                  err, errsz);
    if (e != CCF_OK)
        return e;
    if (strcmp(type, "get") == 0) {
        *nres = 1;
        return ccf_wasm_global_get(x, &res[0]);
    }
    json_t *args = json_object_get(act, "args");
    ccf_wasm_val a[64];
    size_t na = json_array_size(args);
    if (na > 64)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "too many arguments");
    for (size_t i = 0; i < na; i++) {
        int nk;
        if (!parse_value(json_array_get(args, i), &a[i], &nk) || nk != 0) {
            *skip = true;
            return ccf_errf(err, errsz, CCF_ERR_UNSUPPORTED, "unsupported argument");
        }
    }
    return ccf_wasm_call(st->store, x, a, na, res, 64, nres, trap, err, errsz);
}

static bool text_module(json_t *cmd)
{
    const char *mt = jstr(cmd, "module_type"), *fn = jstr(cmd, "filename");
    if (mt != NULL && strcmp(mt, "text") == 0)
        return true;
    size_t n = fn ? strlen(fn) : 0;
    return n > 4 && strcmp(fn + n - 4, ".wat") == 0;
}

static bool trap_text_matches(const char *got, const char *want)
{
    if (want == NULL)
        return true;
    size_t a = strlen(got), b = strlen(want);
    return strncmp(got, want, a < b ? a : b) == 0;
}

static void run_command(struct st *st, json_t *cmd)
{
    const char *type = jstr(cmd, "type");
    long line = (long)json_integer_value(json_object_get(cmd, "line"));
    char err[1024] = "";
    ccf_wasm_val res[64];
    size_t nres = 0;
    ccf_wasm_trap trap = CCF_WASM_TRAP_NONE;
    bool skip = false;
    ccf_err e;

    if (type == NULL) {
        report_fail(st, line, "?", "command without type");
        return;
    }
    if (strcmp(type, "module") == 0) {
        ccf_wasm_module *m = NULL;
        ccf_wasm_instance *inst = NULL;
        const char *name = jstr(cmd, "name");
        st->current = NULL;
        st->current_skipped = false;
        if (text_module(cmd)) {
            st->current_skipped = true;
            st->skipped++;
            return;
        }
        e = load_file_module(st, jstr(cmd, "filename"), &m, err, sizeof err);
        if (e == CCF_OK) {
            ccf_wasm_module **nm = realloc(st->modules, (st->nmodules + 1) * sizeof *nm);
            if (nm == NULL) {
                ccf_wasm_module_free(m);
                report_fail(st, line, type, "out of memory");
                return;
            }
            st->modules = nm;
            st->modules[st->nmodules++] = m;
            e = ccf_wasm_instantiate(st->store, m, st->imports, st->nimports, &inst, &trap, err, sizeof err);
        }
        if (e != CCF_OK) {
            report_fail(st, line, type, "%s", err);
            return;
        }
        st->current = inst;
        if (name != NULL) {
            struct named *nn = realloc(st->names, (st->nnames + 1) * sizeof *nn);
            char *dup = strdup(name);
            if (nn == NULL || dup == NULL) {
                free(dup);
                if (nn)
                    st->names = nn;
                report_fail(st, line, type, "out of memory");
                return;
            }
            st->names = nn;
            st->names[st->nnames].name = dup;
            st->names[st->nnames].inst = inst;
            st->nnames++;
        }
        report_pass(st, line);
        return;
    }
    if (strcmp(type, "register") == 0) {
        const char *as = jstr(cmd, "as");
        ccf_wasm_instance *inst = find_instance(st, jstr(cmd, "name"));
        if (inst == NULL || as == NULL) {
            if (st->current_skipped && jstr(cmd, "name") == NULL) {
                st->skipped++;
                return;
            }
            report_fail(st, line, type, "no module to register");
            return;
        }
        /* register every export of the instance under `as` */
        const ccf_wasm_module *m = ccf_wasm_instance_module(inst);
        ccf_wasm_export_desc d;
        for (size_t k = 0; ccf_wasm_export_get(m, k, &d); k++) {
            ccf_wasm_extern x;
            char nm[1024];
            if (d.name_len >= sizeof nm || memchr(d.name, '\0', d.name_len) != NULL)
                continue;
            memcpy(nm, d.name, d.name_len);
            nm[d.name_len] = '\0';
            if (ccf_wasm_export(inst, nm, &x, err, sizeof err) == CCF_OK && add_import(st, as, nm, x) != CCF_OK) {
                report_fail(st, line, type, "out of memory");
                return;
            }
        }
        report_pass(st, line);
        return;
    }
    if (strcmp(type, "action") == 0) {
        e = run_action(st, json_object_get(cmd, "action"), res, &nres, &trap, err, sizeof err, &skip);
        if (skip)
            st->skipped++;
        else if (e != CCF_OK)
            report_fail(st, line, type, "%s", err);
        else
            report_pass(st, line);
        return;
    }
    if (strcmp(type, "assert_return") == 0) {
        e = run_action(st, json_object_get(cmd, "action"), res, &nres, &trap, err, sizeof err, &skip);
        if (skip) {
            st->skipped++;
            return;
        }
        if (e != CCF_OK) {
            report_fail(st, line, type, "%s", err);
            return;
        }
        json_t *exp = json_object_get(cmd, "expected");
        if (json_array_size(exp) != nres) {
            report_fail(st, line, type, "expected %zu results, got %zu", json_array_size(exp), nres);
            return;
        }
        for (size_t i = 0; i < nres; i++) {
            ccf_wasm_val want;
            int nk;
            if (!parse_value(json_array_get(exp, i), &want, &nk)) {
                st->skipped++;
                return;
            }
            if (!value_matches(&res[i], &want, nk)) {
                char g[64], w[64];
                if (nk & V128_NAN)
                    nk = 0; /* show the bits (NaN lanes as 0) */
                fmt_val(&res[i], g, sizeof g);
                fmt_val(&want, w, sizeof w);
                report_fail(st, line, type, "result %zu: got %s, expected %s%s", i, g,
                            nk == 1 ? "nan:canonical" : nk == 2 ? "nan:arithmetic" : w, "");
                return;
            }
        }
        report_pass(st, line);
        return;
    }
    if (strcmp(type, "assert_trap") == 0 || strcmp(type, "assert_exhaustion") == 0) {
        e = run_action(st, json_object_get(cmd, "action"), res, &nres, &trap, err, sizeof err, &skip);
        if (skip) {
            st->skipped++;
            return;
        }
        if (e == CCF_OK || trap == CCF_WASM_TRAP_NONE) {
            report_fail(st, line, type, "expected trap \"%s\", got %s", jstr(cmd, "text"),
                        e == CCF_OK ? "success" : err);
            return;
        }
        if (!trap_text_matches(err, jstr(cmd, "text"))) {
            report_fail(st, line, type, "expected trap \"%s\", got \"%s\"", jstr(cmd, "text"), err);
            return;
        }
        report_pass(st, line);
        return;
    }
    if (strcmp(type, "assert_invalid") == 0 || strcmp(type, "assert_malformed") == 0 ||
        strcmp(type, "assert_unlinkable") == 0 || strcmp(type, "assert_uninstantiable") == 0) {
        if (text_module(cmd)) {
            st->skipped++;
            return;
        }
        ccf_wasm_module *m = NULL;
        e = load_file_module(st, jstr(cmd, "filename"), &m, err, sizeof err);
        bool want_load_fail = type[7] == 'i' || type[7] == 'm'; /* invalid, malformed */
        if (want_load_fail) {
            if (e == CCF_OK)
                report_fail(st, line, type, "module loaded, expected \"%s\"", jstr(cmd, "text"));
            else
                report_pass(st, line);
            ccf_wasm_module_free(m);
            return;
        }
        if (e != CCF_OK) {
            report_fail(st, line, type, "module does not load: %s", err);
            return;
        }
        ccf_wasm_module **nm = realloc(st->modules, (st->nmodules + 1) * sizeof *nm);
        if (nm == NULL) {
            ccf_wasm_module_free(m);
            report_fail(st, line, type, "out of memory");
            return;
        }
        st->modules = nm;
        st->modules[st->nmodules++] = m;
        ccf_wasm_instance *inst = NULL;
        e = ccf_wasm_instantiate(st->store, m, st->imports, st->nimports, &inst, &trap, err, sizeof err);
        bool unlinkable = strcmp(type, "assert_unlinkable") == 0;
        if (e == CCF_OK)
            report_fail(st, line, type, "module instantiated, expected \"%s\"", jstr(cmd, "text"));
        else if (unlinkable && trap != CCF_WASM_TRAP_NONE)
            report_fail(st, line, type, "trapped (%s), expected a link error", err);
        else if (!unlinkable && trap == CCF_WASM_TRAP_NONE)
            report_fail(st, line, type, "link error (%s), expected a trap", err);
        else
            report_pass(st, line);
        return;
    }
    st->skipped++;
    if (st->verbose)
        printf("%s:%ld: %s: skipped (unsupported command)\n", st->wast, line, type);
}

static bool load_known(struct st *st, const char *path)
{
    char *buf = NULL, err[256];
    size_t len;
    if (ccf_file_read(path, 1u << 20, &buf, &len, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "spec_runner: %s\n", err);
        return false;
    }
    for (char *line = buf, *next; line != NULL && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        size_t k = strcspn(line, " \t");
        struct known *n = realloc(st->known, (st->nknown + 1) * sizeof *n);
        if (n == NULL)
            break;
        st->known = n;
        st->known[st->nknown].key = strndup(line, k);
        st->known[st->nknown].hit = false;
        if (st->known[st->nknown].key)
            st->nknown++;
    }
    free(buf);
    return true;
}

int main(int argc, char **argv)
{
    const char *file = NULL, *known = NULL;
    struct st st = {0};
    int rc = EXIT_FAILURE;
    json_t *root = NULL;
    char err[512];
    char *dir = NULL;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return EXIT_SUCCESS;
        } else if (strcmp(argv[i], "--known-failures") == 0 && i + 1 < argc) {
            known = argv[++i];
        } else if (strcmp(argv[i], "--verbose") == 0) {
            st.verbose = true;
        } else if (strcmp(argv[i], "--strategy") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "jit") == 0) {
                use_jit = true;
            } else if (strcmp(argv[i], "interp") != 0) {
                fprintf(stderr, "spec_runner: --strategy takes jit or interp, not '%s'\n", argv[i]);
                return EXIT_USAGE;
            }
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "spec_runner: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return EXIT_USAGE;
        } else if (file == NULL) {
            file = argv[i];
        } else {
            fprintf(stderr, "spec_runner: one file expected\n");
            return EXIT_USAGE;
        }
    }
    if (file == NULL) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (known != NULL && !load_known(&st, known))
        goto out;
    json_error_t jerr;
    root = json_load_file(file, JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        fprintf(stderr, "%s:%d: %s\n", file, jerr.line, jerr.text);
        goto out;
    }
    dir = strdup(file);
    if (dir == NULL)
        goto out;
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = '\0';
    } else {
        free(dir);
        dir = strdup(".");
        if (dir == NULL)
            goto out;
    }
    st.dir = dir;
    const char *src = jstr(root, "source_filename");
    st.wast = src ? (strrchr(src, '/') ? strrchr(src, '/') + 1 : src) : file;
    if (ccf_wasm_store_new(NULL, &st.store, err, sizeof err) != CCF_OK || setup_spectest(&st, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "spec_runner: %s\n", err);
        goto out;
    }
    json_t *cmds = json_object_get(root, "commands");
    for (size_t i = 0; i < json_array_size(cmds); i++)
        run_command(&st, json_array_get(cmds, i));
    for (size_t i = 0; i < st.nknown; i++) {
        size_t wl = strlen(st.wast);
        if (!st.known[i].hit && strncmp(st.known[i].key, st.wast, wl) == 0 && st.known[i].key[wl] == ':')
            printf("%s: listed in known failures but not run\n", st.known[i].key);
    }
    if (st.known_failed)
        printf("%u passed, %u failed, %u skipped (%u known failures)\n", st.passed, st.failed, st.skipped,
               st.known_failed);
    else
        printf("%u passed, %u failed, %u skipped\n", st.passed, st.failed, st.skipped);
    if (use_jit)
        printf("jit: %u modules compiled, %u interpreted (v128)\n", n_compiled, n_refused);
    rc = st.failed ? EXIT_FAILURE : EXIT_SUCCESS;
out:
    ccf_wasm_store_free(st.store);
    for (size_t i = 0; i < st.nmodules; i++)
        ccf_wasm_module_free(st.modules[i]);
    free(st.modules);
    for (size_t i = 0; i < st.nimports; i++) {
        free((char *)st.imports[i].module);
        free((char *)st.imports[i].name);
    }
    free(st.imports);
    for (size_t i = 0; i < st.nnames; i++)
        free(st.names[i].name);
    free(st.names);
    for (size_t i = 0; i < st.nknown; i++)
        free(st.known[i].key);
    free(st.known);
    free(dir);
    json_decref(root);
    return rc;
}

