/* ccfaas WebAssembly engine: the compiled execution strategy (issue 22).
 *
 * ccf_wasm_jit_compile translates a validated module's internal code (the
 * interpreter's slot-addressed instruction stream, load.c) to LLVM IR and
 * compiles it to native code with LLVM's ORC LLJIT, in memory. Afterwards the
 * module's functions run as native code in every store it is instantiated in,
 * through the same embedding API (wasm.h) with the interpreter's semantics:
 * the same trap kinds and texts, the same fuel accounting (one unit per call
 * and per backward branch), ccf_wasm_store_interrupt, host functions and
 * imports, explicit bounds checks on every memory access. Compiled and
 * interpreted instances can call each other.
 *
 * This is a separate library (ccf_wasm_jit) so programs that only interpret
 * do not link LLVM; the compiler is initialised on the first compilation. */
#ifndef CCF_WASM_JIT_H
#define CCF_WASM_JIT_H

#include <stddef.h>

#include "common/error.h"
#include "wasm/wasm.h"

/* Compiles `module` in place. Call it once, after ccf_wasm_load and before the
 * module is instantiated for the first time. CCF_ERR_UNSUPPORTED (module
 * unchanged, still runnable by the interpreter) when the module uses what the
 * compiler does not translate: v128 values and SIMD instructions; the reason
 * is in err. Other errors (CCF_ERR_INTERNAL, CCF_ERR_NOMEM) also leave the
 * module interpreted. */
ccf_err ccf_wasm_jit_compile(ccf_wasm_module *module, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* True when the module runs as compiled code. */
bool ccf_wasm_jit_compiled(const ccf_wasm_module *module);

/* Statistics of the last successful compilation in this process (CCFAAS_JIT_STATS of
 * `ccfaas wasm invoke|run`, bench/wasm): its CPU time in microseconds, the module's bytes. */
void ccf_wasm_jit_last_stats(double *compile_us, size_t *wasm_bytes);

#endif
