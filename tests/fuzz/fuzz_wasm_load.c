/* libFuzzer target: decode + validate arbitrary bytes as a WebAssembly module;
 * when valid, satisfy its imports with host objects of the expected types
 * (functions returning zeros), instantiate it under tight limits and call
 * every exported function with zero arguments. Any crash, leak, hang or sanitizer
 * report is a bug: untrusted modules must only ever produce errors or traps. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wasm/wasm.h"

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

static void run_exports(const ccf_wasm_module *m)
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
            case 'r': args[k].type = CCF_WASM_FUNCREF; break;
            default: args[k].type = CCF_WASM_EXTERNREF; break;
            }
        }
        ccf_wasm_store_set_fuel(s, 20000);
        (void)ccf_wasm_call(s, f, args, np, res, 32, NULL, NULL, err, sizeof err);
    }
out:
    ccf_wasm_store_free(s);
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_wasm_module *m = NULL;
    char err[256];
    if (ccf_wasm_load(data, size, &m, err, sizeof err) != CCF_OK)
        return 0;
    run_exports(m);
    ccf_wasm_module_free(m);
    return 0;
}
