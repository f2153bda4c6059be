/* ccfaas WebAssembly engine: embedding API (DESIGN §7, issue 4).
 *
 * WebAssembly 2.0 core without SIMD: MVP, mutable-global import/export,
 * sign-extension, non-trapping float-to-int, multi-value, bulk memory and
 * reference types. Binary format only.
 *
 * Objects and ownership
 *   ccf_wasm_module   a decoded, fully validated module (immutable, shareable
 *                     between stores and threads once loaded). Created by
 *                     ccf_wasm_load, freed by ccf_wasm_module_free. A module
 *                     must outlive every instance made from it. The one change
 *                     allowed after loading: ccf_wasm_jit_compile (jit.h)
 *                     attaches native code, before the first instantiation;
 *                     the module then owns that code and frees it with itself.
 *   ccf_wasm_store    the unit of isolation: owns every runtime object
 *                     (instances, function/global/table/memory instances, the
 *                     value and call stacks) and the limits. Objects of one
 *                     store can be linked together; objects of different stores
 *                     must never be mixed. Freed (with everything it owns) by
 *                     ccf_wasm_store_free. A store is used by one thread at a time.
 *   ccf_wasm_instance a module instance, owned by its store.
 *   ccf_wasm_extern   a by-value handle on a function, global, table or memory
 *                     instance of a store (an export, or a host object); valid
 *                     as long as the store.
 *
 * Errors: every function returning ccf_err writes a reason into the caller's
 * buffer (err, err_size) on failure. Decoding/validation errors name the
 * section, the byte offset in the module and the reason. A trap is reported as
 * CCF_ERR_INVALID with *trap set to its kind (never NONE) and the spec's text in
 * err ("integer divide by zero", "out of bounds memory access", ...).
 */
#ifndef CCF_WASM_WASM_H
#define CCF_WASM_WASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef struct ccf_wasm_module ccf_wasm_module;
typedef struct ccf_wasm_store ccf_wasm_store;
typedef struct ccf_wasm_instance ccf_wasm_instance;

/* Value types, with their binary encodings. */
typedef enum {
    CCF_WASM_I32 = 0x7f,
    CCF_WASM_I64 = 0x7e,
    CCF_WASM_F32 = 0x7d,
    CCF_WASM_F64 = 0x7c,
    CCF_WASM_V128 = 0x7b,
    CCF_WASM_FUNCREF = 0x70,
    CCF_WASM_EXTERNREF = 0x6f,
} ccf_wasm_valtype;

/* A typed value. Floats are carried as their IEEE bit patterns so NaN payloads
 * survive. References are opaque pointers, NULL = ref.null. An externref is any
 * host pointer-sized value (the engine never dereferences it); a funcref is an
 * engine handle (obtain one with ccf_wasm_extern.func or from a table). */
typedef struct {
    ccf_wasm_valtype type;
    union {
        uint32_t i32;
        uint64_t i64;
        uint32_t f32; /* bits */
        uint64_t f64; /* bits */
        uint8_t v128[16]; /* little endian: lane 0 first */
        void *ref;
    } of;
} ccf_wasm_val;

/* Why a run stopped early. */
typedef enum {
    CCF_WASM_TRAP_NONE = 0,
    CCF_WASM_TRAP_UNREACHABLE,      /* "unreachable" */
    CCF_WASM_TRAP_MEMORY_OOB,       /* "out of bounds memory access" */
    CCF_WASM_TRAP_TABLE_OOB,        /* "out of bounds table access" */
    CCF_WASM_TRAP_UNDEFINED_ELEM,   /* "undefined element" (call_indirect index) */
    CCF_WASM_TRAP_UNINIT_ELEM,      /* "uninitialized element" (null funcref) */
    CCF_WASM_TRAP_TYPE_MISMATCH,    /* "indirect call type mismatch" */
    CCF_WASM_TRAP_DIV_ZERO,         /* "integer divide by zero" */
    CCF_WASM_TRAP_INT_OVERFLOW,     /* "integer overflow" */
    CCF_WASM_TRAP_BAD_CONVERSION,   /* "invalid conversion to integer" */
    CCF_WASM_TRAP_STACK_EXHAUSTED,  /* "call stack exhausted" (depth or stack space) */
    CCF_WASM_TRAP_BUDGET_EXHAUSTED, /* "budget exhausted" (instruction budget) */
    CCF_WASM_TRAP_HOST,             /* a host function failed; its reason is in err */
} ccf_wasm_trap;

/* Static text for a trap kind ("integer overflow", ...). */
const char *ccf_wasm_trap_string(ccf_wasm_trap trap);

/* ---- modules ------------------------------------------------------------ */

/* Decodes and validates `len` bytes (copied; the caller keeps its buffer).
 * On success *out is a module the caller frees with ccf_wasm_module_free.
 * On failure *out is NULL and err says e.g.
 *   "code section, offset 0x1f3: type mismatch: expected i32, got f64". */
ccf_err ccf_wasm_load(const uint8_t *bytes, size_t len, ccf_wasm_module **out,
                      char *err, size_t err_size) __attribute__((warn_unused_result));
void ccf_wasm_module_free(ccf_wasm_module *module); /* NULL is a no-op */

typedef enum {
    CCF_WASM_EXTERN_FUNC = 0,
    CCF_WASM_EXTERN_TABLE = 1,
    CCF_WASM_EXTERN_MEMORY = 2,
    CCF_WASM_EXTERN_GLOBAL = 3,
} ccf_wasm_extern_kind;

/* Introspection. Strings point into the module (valid while it lives) and are
 * valid UTF-8 but may contain NUL bytes (name_len gives the length). */
typedef struct {
    const char *module, *name;
    size_t module_len, name_len;
    ccf_wasm_extern_kind kind;
    /* expected type: global: type + mutable_; table: type (reference type) +
     * min/max; memory: min/max pages (max UINT32_MAX = none); function: see
     * ccf_wasm_import_signature */
    ccf_wasm_valtype type;
    bool mutable_;
    uint32_t min, max;
} ccf_wasm_import_desc;
typedef struct {
    const char *name;
    size_t name_len;
    ccf_wasm_extern_kind kind;
} ccf_wasm_export_desc;
size_t ccf_wasm_import_count(const ccf_wasm_module *module);
size_t ccf_wasm_export_count(const ccf_wasm_module *module);
/* false when i is out of range. */
bool ccf_wasm_import_get(const ccf_wasm_module *module, size_t i, ccf_wasm_import_desc *out);
bool ccf_wasm_export_get(const ccf_wasm_module *module, size_t i, ccf_wasm_export_desc *out);
/* Signature of function import i as type-letter strings (see
 * ccf_wasm_host_func; buffers of 33 bytes suffice for host-compatible
 * signatures). CCF_ERR_INVALID if import i is not a function,
 * CCF_ERR_TOO_LARGE if a buffer is too small. */
ccf_err ccf_wasm_import_signature(const ccf_wasm_module *module, size_t i, char *params,
                                  size_t params_size, char *results, size_t results_size);

/* ---- stores and limits -------------------------------------------------- */

typedef struct {
    uint32_t max_memory_pages; /* cap on any memory of the store (64 KiB pages); 0 = 65536 */
    uint32_t max_call_depth;   /* nested wasm calls; 0 = 10000 */
    uint32_t max_stack_slots;  /* value stack (8-byte slots); 0 = 1 Mi slots */
    uint64_t fuel;             /* instruction budget, see ccf_wasm_store_set_fuel; 0 = unlimited */
} ccf_wasm_limits;

/* limits NULL = defaults. Caller frees with ccf_wasm_store_free. */
ccf_err ccf_wasm_store_new(const ccf_wasm_limits *limits, ccf_wasm_store **out,
                           char *err, size_t err_size) __attribute__((warn_unused_result));
/* Frees the store and every instance and object it owns. NULL is a no-op. */
void ccf_wasm_store_free(ccf_wasm_store *store);

/* Instruction budget ("fuel"): one unit is charged per function entry and per
 * loop iteration (every backward branch target), so any run that executes an
 * unbounded number of instructions consumes unbounded fuel. When the fuel runs
 * out the run stops with CCF_WASM_TRAP_BUDGET_EXHAUSTED. fuel 0 = unlimited.
 * The budget is shared by all later invocations in the store. */
void ccf_wasm_store_set_fuel(ccf_wasm_store *store, uint64_t fuel);
/* Fuel left (UINT64_MAX when unlimited). */
uint64_t ccf_wasm_store_fuel(const ccf_wasm_store *store);
/* Deadline support: asks the run executing in the store (or the next one) to
 * stop with CCF_WASM_TRAP_BUDGET_EXHAUSTED. It is noticed within 65536 calls
 * or loop iterations (the engine hands out fuel in slices of that size).
 * Async-signal-safe and callable from another thread (e.g. a timer); the
 * request is consumed when a run stops because of it. */
void ccf_wasm_store_interrupt(ccf_wasm_store *store);

/* ---- externals and host objects ----------------------------------------- */

typedef struct {
    ccf_wasm_extern_kind kind;
    void *ptr; /* engine object, opaque */
} ccf_wasm_extern;

/* Host function callback. `caller` is the instance whose code called the
 * function (use it for ccf_wasm_memory_*; NULL when invoked directly by the
 * host through ccf_wasm_call). args/results follow the declared signature
 * (results[i].type is preset). Return CCF_OK, or an error with a reason in
 * (err, err_size): the run stops with CCF_WASM_TRAP_HOST and that reason. */
typedef ccf_err (*ccf_wasm_host_fn)(ccf_wasm_instance *caller, void *user,
                                    const ccf_wasm_val *args, ccf_wasm_val *results,
                                    char *err, size_t err_size);

/* Signatures are strings of type letters: 'i' i32, 'I' i64, 'f' f32, 'F' f64, 'V' v128,
 * 'r' funcref, 'x' externref; e.g. params "iI", results "" or "i". At most 32
 * of each. The store owns the result. */
ccf_err ccf_wasm_host_func(ccf_wasm_store *store, const char *params, const char *results,
                           ccf_wasm_host_fn fn, void *user, ccf_wasm_extern *out,
                           char *err, size_t err_size) __attribute__((warn_unused_result));
ccf_err ccf_wasm_host_global(ccf_wasm_store *store, ccf_wasm_val init, bool mutable_,
                             ccf_wasm_extern *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* max UINT32_MAX = no maximum. Elements start as NULL. */
ccf_err ccf_wasm_host_table(ccf_wasm_store *store, ccf_wasm_valtype reftype, uint32_t min,
                            uint32_t max, ccf_wasm_extern *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Pages; max UINT32_MAX = no maximum (the store's cap still applies). */
ccf_err ccf_wasm_host_memory(ccf_wasm_store *store, uint32_t min, uint32_t max,
                             ccf_wasm_extern *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* ---- instances ---------------------------------------------------------- */

/* One import binding: satisfies the module's import (module, name). */
typedef struct {
    const char *module, *name; /* NUL-terminated */
    ccf_wasm_extern ext;
} ccf_wasm_import;

/* Links the module's imports against `imports` (matched by name; a missing or
 * type-incompatible import fails with CCF_ERR_NOT_FOUND / CCF_ERR_INVALID and
 * *trap = NONE), allocates the instance, initialises tables and memories and
 * runs the start function. A trap during initialisation fails with *trap set
 * (writes done before the trap stay visible in imported tables/memories, as the
 * spec says). On success the store owns *out. trap may be NULL. */
ccf_err ccf_wasm_instantiate(ccf_wasm_store *store, const ccf_wasm_module *module,
                             const ccf_wasm_import *imports, size_t n_imports,
                             ccf_wasm_instance **out, ccf_wasm_trap *trap,
                             char *err, size_t err_size) __attribute__((warn_unused_result));

/* The module an instance was made from. */
const ccf_wasm_module *ccf_wasm_instance_module(const ccf_wasm_instance *inst);

/* The export named `name` (NUL-terminated). CCF_ERR_NOT_FOUND if absent. */
ccf_err ccf_wasm_export(ccf_wasm_instance *inst, const char *name, ccf_wasm_extern *out,
                        char *err, size_t err_size) __attribute__((warn_unused_result));
/* The same for a name of name_len bytes (names may contain NUL bytes). */
ccf_err ccf_wasm_export_n(ccf_wasm_instance *inst, const char *name, size_t name_len,
                          ccf_wasm_extern *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Signature of a function extern as type-letter strings (see ccf_wasm_host_func);
 * buffers of 33 bytes always suffice. */
ccf_err ccf_wasm_func_signature(ccf_wasm_extern func, char *params, size_t params_size,
                                char *results, size_t results_size);

/* Calls a function extern. args must match the parameter types exactly;
 * results_cap must be at least the result count (written to *n_results when
 * not NULL). On a trap: CCF_ERR_INVALID, *trap set (trap may be NULL), reason
 * in err. */
ccf_err ccf_wasm_call(ccf_wasm_store *store, ccf_wasm_extern func, const ccf_wasm_val *args,
                      size_t n_args, ccf_wasm_val *results, size_t results_cap,
                      size_t *n_results, ccf_wasm_trap *trap, char *err, size_t err_size)
    __attribute__((warn_unused_result));
/* Convenience: ccf_wasm_export + ccf_wasm_call. */
ccf_err ccf_wasm_invoke(ccf_wasm_instance *inst, const char *name, const ccf_wasm_val *args,
                        size_t n_args, ccf_wasm_val *results, size_t results_cap,
                        size_t *n_results, ccf_wasm_trap *trap, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* Global externs: read (any) / write (mutable only, same type). */
ccf_err ccf_wasm_global_get(ccf_wasm_extern global, ccf_wasm_val *out);
ccf_err ccf_wasm_global_set(ccf_wasm_extern global, ccf_wasm_val val);

/* ---- linear memory from the host ---------------------------------------- */

/* Size in bytes of the instance's memory (0 if it has none). */
uint64_t ccf_wasm_memory_size(const ccf_wasm_instance *inst);
/* Bounded copies; CCF_ERR_INVALID (nothing copied) if [offset, offset+len) is
 * not inside the memory. */
ccf_err ccf_wasm_memory_read(const ccf_wasm_instance *inst, uint64_t offset, void *dst, size_t len)
    __attribute__((warn_unused_result));
ccf_err ccf_wasm_memory_write(ccf_wasm_instance *inst, uint64_t offset, const void *src, size_t len)
    __attribute__((warn_unused_result));
/* Direct pointer to [offset, offset+len) or NULL if out of bounds. The memory
 * never moves, so the pointer stays valid as long as the store, but it is only
 * meaningful until the module shrinks nothing: memories only grow. The guest
 * can change the bytes at any call. */
uint8_t *ccf_wasm_memory_ptr(ccf_wasm_instance *inst, uint64_t offset, uint64_t len);

#endif
