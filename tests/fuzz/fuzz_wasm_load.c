/* libFuzzer target: decode + validate arbitrary bytes as a WebAssembly module;
 * when valid and import-free, instantiate it under tight limits and call every
 * exported function with zero arguments. Any crash, leak, hang or sanitizer
 * report is a bug: untrusted modules must only ever produce errors or traps. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wasm/wasm.h"

static void run_exports(const ccf_wasm_module *m)
{
    ccf_wasm_limits lim = {.max_memory_pages = 16, .max_call_depth = 200,
                           .max_stack_slots = 1u << 16, .fuel = 20000};
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *inst = NULL;
    char err[256];
    if (ccf_wasm_store_new(&lim, &s, err, sizeof err) != CCF_OK)
        return;
    if (ccf_wasm_instantiate(s, m, NULL, 0, &inst, NULL, err, sizeof err) != CCF_OK)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_wasm_module *m = NULL;
    char err[256];
    if (ccf_wasm_load(data, size, &m, err, sizeof err) != CCF_OK)
        return 0;
    if (ccf_wasm_import_count(m) == 0)
        run_exports(m);
    ccf_wasm_module_free(m);
    return 0;
}
