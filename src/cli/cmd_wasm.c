/* `ccfaas wasm`: validate, invoke and run WebAssembly modules (the spec-test
 * runner lives with the spec tests: tests/spec/spec_runner.c). */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/file.h"
#include "wasm/jit.h"
#include "wasm/wasm.h"

#define MAX_MODULE_BYTES (256u << 20)

static void usage_main(FILE *out)
{
    fprintf(out,
            "usage: ccfaas wasm [--help] SUBCOMMAND [ARGS...]\n"
            "\n"
            "subcommands:\n"
            "  validate FILE.wasm              decode and validate a binary module\n"
            "  invoke FILE.wasm FUNC [ARGS...] instantiate (no imports) and call an export\n"
            "  run MODULE.wasm [OPTIONS]       run a WASI program on given files (see run --help)\n"
            "\n"
            "Run `ccfaas wasm SUBCOMMAND --help` for a subcommand's options.\n");
}

static bool is_help(const char *a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

int ccf_cli_wasm_strategy(const char *cmd, const char *path, ccf_wasm_module *m, const char *strategy)
{
    char err[512];
    if (strategy == NULL || strcmp(strategy, "interp") == 0)
        return -1;
    if (strcmp(strategy, "jit") != 0) {
        fprintf(stderr, "ccfaas %s: --strategy: expected jit or interp, got '%s'\n", cmd, strategy);
        return CCF_EXIT_USAGE;
    }
    ccf_err e = ccf_wasm_jit_compile(m, err, sizeof err);
    if (e == CCF_ERR_UNSUPPORTED) {
        fprintf(stderr, "ccfaas %s: %s: interpreted: %s\n", cmd, path, err);
    } else if (e != CCF_OK) {
        fprintf(stderr, "ccfaas %s: %s: cannot compile: %s\n", cmd, path, err);
        return CCF_EXIT_FAIL;
    } else if (getenv("CCFAAS_JIT_STATS") != NULL) {
        double us;
        size_t bytes;
        ccf_wasm_jit_last_stats(&us, &bytes);
        fprintf(stderr, "jit: %zu bytes of wasm compiled in %.1f ms\n", bytes, us / 1000.0);
    }
    return -1;
}

static ccf_err read_module(const char *path, ccf_wasm_module **out, char *err, size_t errsz)
{
    char *buf = NULL;
    size_t len = 0;
    ccf_err e = ccf_file_read(path, MAX_MODULE_BYTES, &buf, &len, err, errsz);
    if (e != CCF_OK)
        return e;
    e = ccf_wasm_load((const uint8_t *)buf, len, out, err, errsz);
    free(buf);
    return e;
}

static int cmd_validate(int argc, char **argv)
{
    const ccf_opt_cmd cmd = {
        .cmd = "wasm validate", .args = "FILE.wasm", .min_args = 1, .max_args = 1,
        .about = "Decodes and validates the module; prints \"valid\" or the error (section,\n"
                 "byte offset, reason). Exit 0 valid, 1 invalid, 2 usage.\n"};
    const ccf_opt table[] = {{0}};
    ccf_opt_args args = {0};
    int rc = ccf_opt_run(&cmd, table, argc, argv, &args);
    if (rc >= 0)
        return rc;
    const char *file = args.items[0];
    ccf_opt_args_free(&args); /* file points into argv */
    char err[512];
    ccf_wasm_module *m = NULL;
    if (read_module(file, &m, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "%s: %s\n", file, err);
        return CCF_EXIT_FAIL;
    }
    printf("valid: %zu imports, %zu exports\n", ccf_wasm_import_count(m), ccf_wasm_export_count(m));
    ccf_wasm_module_free(m);
    return CCF_EXIT_OK;
}

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

static bool parse_arg(char type, const char *s, ccf_wasm_val *v)
{
    uint64_t u;
    char *end;
    switch (type) {
    case 'i':
        if (!parse_u64(s, &u) || (u > UINT32_MAX && (int64_t)u < INT32_MIN))
            return false;
        v->type = CCF_WASM_I32;
        v->of.i32 = (uint32_t)u;
        return true;
    case 'I':
        if (!parse_u64(s, &u))
            return false;
        v->type = CCF_WASM_I64;
        v->of.i64 = u;
        return true;
    case 'f': {
        float f = strtof(s, &end);
        if (*end || end == s)
            return false;
        v->type = CCF_WASM_F32;
        memcpy(&v->of.f32, &f, 4);
        return true;
    }
    case 'F': {
        double d = strtod(s, &end);
        if (*end || end == s)
            return false;
        v->type = CCF_WASM_F64;
        memcpy(&v->of.f64, &d, 8);
        return true;
    }
    case 'V': /* 32 hex digits: the 16 bytes in memory order (lane 0 first), as printed */
        if (strlen(s) != 32)
            return false;
        for (size_t k = 0; k < 16; k++) {
            int hi = OPENSSL_hexchar2int((unsigned char)s[2 * k]);
            int lo = OPENSSL_hexchar2int((unsigned char)s[2 * k + 1]);
            if (hi < 0 || lo < 0)
                return false;
            v->of.v128[k] = (uint8_t)(hi << 4 | lo);
        }
        v->type = CCF_WASM_V128;
        return true;
    }
    return false;
}

static void print_val(const ccf_wasm_val *v)
{
    switch (v->type) {
    case CCF_WASM_I32: printf("i32:%" PRIu32 "\n", v->of.i32); break;
    case CCF_WASM_I64: printf("i64:%" PRIu64 "\n", v->of.i64); break;
    case CCF_WASM_F32: {
        float f;
        memcpy(&f, &v->of.f32, 4);
        printf("f32:%.9g\n", (double)f);
        break;
    }
    case CCF_WASM_F64: {
        double d;
        memcpy(&d, &v->of.f64, 8);
        printf("f64:%.17g\n", d);
        break;
    }
    case CCF_WASM_V128:
        printf("v128:");
        for (size_t k = 0; k < 16; k++)
            printf("%02x", v->of.v128[k]);
        printf("\n");
        break;
    default: printf("ref:%s\n", v->of.ref ? "non-null" : "null"); break;
    }
}

static int cmd_invoke(int argc, char **argv)
{
    ccf_wasm_limits lim = {0};
    long fuel = 0, pages = 0, depth = 0;
    const char *strategy = "interp";
    const ccf_opt_cmd cmd = {
        .cmd = "wasm invoke", .args = "FILE.wasm FUNC [ARGS...]", .min_args = 2,
        .max_args = (size_t)-1, .stop_after = 2, /* FUNC's arguments may be negative */
        .about = "Instantiates the module (it must not have imports) and calls export FUNC with\n"
                 "numeric ARGS (i32/i64 as decimal or 0x hex, f32/f64 as decimal floats, inf, "
                 "nan,\nv128 as 32 hex digits: its 16 bytes in memory order, lane 0 first).\nPrints one result per line as TYPE:VALUE. A trap prints its reason, "
                 "exit 1.\n"};
    const ccf_opt table[] = {
        {.name = "fuel", .kind = CCF_OPT_NUM, .dest = &fuel, .value = "N",
         .help = "instruction budget (function entries + loop iterations)", .max = LONG_MAX},
        {.name = "max-pages", .kind = CCF_OPT_NUM, .dest = &pages, .value = "N",
         .help = "cap on linear memory pages (64 KiB)", .max = 65536},
        {.name = "max-depth", .kind = CCF_OPT_NUM, .dest = &depth, .value = "N",
         .help = "cap on nested calls", .max = 1000000},
        {.name = "strategy", .kind = CCF_OPT_STRING, .dest = &strategy, .value = "jit|interp",
         .help = "interp (default): the interpreter; jit: compile to native code first", .nonempty = true},
        {0}};
    ccf_opt_args pos = {0};
    int rc = ccf_opt_run(&cmd, table, argc, argv, &pos);
    if (rc >= 0)
        return rc;
    lim.fuel = (uint64_t)fuel;
    lim.max_memory_pages = (uint32_t)pages;
    lim.max_call_depth = (uint32_t)depth;
    int nargs = (int)pos.count - 2;
    char **args = pos.items + 2;

    char err[512];
    ccf_wasm_module *m = NULL;
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *inst = NULL;
    ccf_wasm_extern f;
    char ps[40], rs[40];
    ccf_wasm_val vargs[32], res[32];
    size_t nres = 0;
    ccf_wasm_trap trap;

    rc = CCF_EXIT_FAIL;
    if (nargs > 32) {
        fprintf(stderr, "%s: %d arguments given, at most 32 are supported\n", pos.items[0], nargs);
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    if (read_module(pos.items[0], &m, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "%s: %s\n", pos.items[0], err);
        goto out;
    }
    if ((rc = ccf_cli_wasm_strategy("wasm invoke", pos.items[0], m, strategy)) >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    if (ccf_wasm_store_new(&lim, &s, err, sizeof err) != CCF_OK ||
        ccf_wasm_instantiate(s, m, NULL, 0, &inst, &trap, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "%s: instantiation failed: %s\n", pos.items[0], err);
        goto out;
    }
    if (ccf_wasm_export(inst, pos.items[1], &f, err, sizeof err) != CCF_OK || f.kind != CCF_WASM_EXTERN_FUNC ||
        ccf_wasm_func_signature(f, ps, sizeof ps, rs, sizeof rs) != CCF_OK) {
        fprintf(stderr, "%s: no exported function \"%s\"\n", pos.items[0], pos.items[1]);
        goto out;
    }
    if ((size_t)nargs != strlen(ps)) {
        fprintf(stderr, "%s: \"%s\" takes %zu arguments, %d given\n", pos.items[0], pos.items[1], strlen(ps), nargs);
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    for (int k = 0; k < nargs; k++) {
        if (!parse_arg(ps[k], args[k], &vargs[k])) {
            fprintf(stderr, "%s: argument %d '%s' is not a valid %s\n", pos.items[0], k + 1, args[k],
                    ps[k] == 'i' ? "i32" : ps[k] == 'I' ? "i64" : ps[k] == 'f' ? "f32" :
                    ps[k] == 'F' ? "f64" : ps[k] == 'V' ? "v128 (32 hex digits)" :
                    "numeric value (reference parameters are not supported)");
            rc = CCF_EXIT_USAGE;
            goto out;
        }
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    ccf_err ce = ccf_wasm_call(s, f, vargs, (size_t)nargs, res, 32, &nres, &trap, err, sizeof err);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    if (getenv("CCFAAS_JIT_STATS") != NULL) /* bench/wasm: the call's CPU time alone */
        fprintf(stderr, "run: %.3f ms\n",
                (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    if (ce != CCF_OK) {
        fprintf(stderr, "%s: %s: %s\n", pos.items[0], trap != CCF_WASM_TRAP_NONE ? "trap" : "error", err);
        goto out;
    }
    for (size_t k = 0; k < nres; k++)
        print_val(&res[k]);
    rc = CCF_EXIT_OK;
out:
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
    ccf_opt_args_free(&pos);
    return rc;
}

int ccf_cmd_wasm(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return CCF_EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (is_help(sub) || strcmp(sub, "help") == 0) {
        usage_main(stdout);
        return CCF_EXIT_OK;
    }
    if (strcmp(sub, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(sub, "invoke") == 0)
        return cmd_invoke(argc - 1, argv + 1);
    if (strcmp(sub, "run") == 0)
        return ccf_cmd_wasm_run(argc - 1, argv + 1);
    if (sub[0] == '-')
        fprintf(stderr, "ccfaas wasm: unknown option '%s'\n", sub);
    else
        fprintf(stderr, "ccfaas wasm: unknown subcommand '%s'\n", sub);
    usage_main(stderr);
    return CCF_EXIT_USAGE;
}
