/* `ccfaas wasm`: validate, invoke and run WebAssembly modules (the spec-test
 * runner lives with the spec tests: tests/spec/spec_runner.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "common/file.h"
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

static void usage_validate(FILE *out)
{
    fprintf(out, "usage: ccfaas wasm validate [--help] FILE.wasm\n"
                 "Decodes and validates the module; prints \"valid\" or the error (section,\n"
                 "byte offset, reason). Exit 0 valid, 1 invalid, 2 usage.\n");
}

static void usage_invoke(FILE *out)
{
    fprintf(out,
            "usage: ccfaas wasm invoke [--help] [--fuel N] [--max-pages N] [--max-depth N]\n"
            "                          FILE.wasm FUNC [ARGS...]\n"
            "Instantiates the module (it must not have imports) and calls export FUNC with\n"
            "numeric ARGS (i32/i64 as decimal or 0x hex, f32/f64 as decimal floats, inf, nan).\n"
            "Prints one result per line as TYPE:VALUE. A trap prints its reason, exit 1.\n"
            "  --fuel N        instruction budget (function entries + loop iterations)\n"
            "  --max-pages N   cap on linear memory pages (64 KiB)\n"
            "  --max-depth N   cap on nested calls\n");
}

static bool is_help(const char *a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

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
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            usage_validate(stdout);
            return CCF_EXIT_OK;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "ccfaas wasm validate: unknown option '%s'\n", argv[i]);
            usage_validate(stderr);
            return CCF_EXIT_USAGE;
        }
        if (file != NULL) {
            fprintf(stderr, "ccfaas wasm validate: one file expected\n");
            return CCF_EXIT_USAGE;
        }
        file = argv[i];
    }
    if (file == NULL) {
        usage_validate(stderr);
        return CCF_EXIT_USAGE;
    }
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
    default: printf("ref:%s\n", v->of.ref ? "non-null" : "null"); break;
    }
}

static bool parse_num_opt(const char *name, const char *s, uint64_t max, uint64_t *out)
{
    if (s == NULL || !parse_u64(s, out) || *out > max || s[0] == '-') {
        fprintf(stderr, "ccfaas wasm invoke: %s needs a number up to %" PRIu64 "\n", name, max);
        return false;
    }
    return true;
}

static int cmd_invoke(int argc, char **argv)
{
    ccf_wasm_limits lim = {0};
    const char *pos[2] = {NULL, NULL};
    int npos = 0, i;
    uint64_t n;
    for (i = 1; i < argc && npos < 2; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            usage_invoke(stdout);
            return CCF_EXIT_OK;
        }
        if (strcmp(a, "--fuel") == 0) {
            if (!parse_num_opt(a, i + 1 < argc ? argv[++i] : NULL, UINT64_MAX, &n))
                return CCF_EXIT_USAGE;
            lim.fuel = n;
        } else if (strcmp(a, "--max-pages") == 0) {
            if (!parse_num_opt(a, i + 1 < argc ? argv[++i] : NULL, 65536, &n))
                return CCF_EXIT_USAGE;
            lim.max_memory_pages = (uint32_t)n;
        } else if (strcmp(a, "--max-depth") == 0) {
            if (!parse_num_opt(a, i + 1 < argc ? argv[++i] : NULL, 1000000, &n))
                return CCF_EXIT_USAGE;
            lim.max_call_depth = (uint32_t)n;
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "ccfaas wasm invoke: unknown option '%s'\n", a);
            usage_invoke(stderr);
            return CCF_EXIT_USAGE;
        } else {
            pos[npos++] = a;
        }
    }
    if (npos < 2) {
        usage_invoke(stderr);
        return CCF_EXIT_USAGE;
    }
    int nargs = argc - i;
    char **args = argv + i;

    char err[512];
    ccf_wasm_module *m = NULL;
    ccf_wasm_store *s = NULL;
    ccf_wasm_instance *inst = NULL;
    int rc = CCF_EXIT_FAIL;
    ccf_wasm_extern f;
    char ps[40], rs[40];
    ccf_wasm_val vargs[32], res[32];
    size_t nres = 0;
    ccf_wasm_trap trap;

    if (read_module(pos[0], &m, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "%s: %s\n", pos[0], err);
        goto out;
    }
    if (ccf_wasm_store_new(&lim, &s, err, sizeof err) != CCF_OK ||
        ccf_wasm_instantiate(s, m, NULL, 0, &inst, &trap, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "%s: instantiation failed: %s\n", pos[0], err);
        goto out;
    }
    if (ccf_wasm_export(inst, pos[1], &f, err, sizeof err) != CCF_OK || f.kind != CCF_WASM_EXTERN_FUNC ||
        ccf_wasm_func_signature(f, ps, sizeof ps, rs, sizeof rs) != CCF_OK) {
        fprintf(stderr, "%s: no exported function \"%s\"\n", pos[0], pos[1]);
        goto out;
    }
    if ((size_t)nargs != strlen(ps)) {
        fprintf(stderr, "%s: \"%s\" takes %zu arguments, %d given\n", pos[0], pos[1], strlen(ps), nargs);
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    for (int k = 0; k < nargs; k++) {
        if (!parse_arg(ps[k], args[k], &vargs[k])) {
            fprintf(stderr, "%s: argument %d '%s' is not a valid %s\n", pos[0], k + 1, args[k],
                    ps[k] == 'i' ? "i32" : ps[k] == 'I' ? "i64" : ps[k] == 'f' ? "f32" :
                    ps[k] == 'F' ? "f64" : "numeric value (reference parameters are not supported)");
            rc = CCF_EXIT_USAGE;
            goto out;
        }
    }
    if (ccf_wasm_call(s, f, vargs, (size_t)nargs, res, 32, &nres, &trap, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "%s: %s: %s\n", pos[0], trap != CCF_WASM_TRAP_NONE ? "trap" : "error", err);
        goto out;
    }
    for (size_t k = 0; k < nres; k++)
        print_val(&res[k]);
    rc = CCF_EXIT_OK;
out:
    ccf_wasm_store_free(s);
    ccf_wasm_module_free(m);
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
