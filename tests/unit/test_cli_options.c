/* The CLI's option-table parser (src/cli/options.h): forms, kinds, and that
 * every error names the flag. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/options.h"

/* One command's options, reset for each parse. */
struct vals {
    const char *dir, *out;
    long rows;
    bool quiet, shutdown;
    ccf_opt_list files;
    ccf_opt_list pairs;
};

static const ccf_opt_cmd cmd = {.cmd = "thing", .args = "FILE...", .min_args = 1,
                                .max_args = 2, .about = "Does a thing.\n",
                                .epilog = "Exit status: 0.\n"};

static ccf_opt_result parse(struct vals *v, ccf_opt_args *args, char *err, size_t err_size,
                            int argc, char **argv)
{
    const ccf_opt opts[] = {
        {.name = "data-dir", .kind = CCF_OPT_STRING, .dest = &v->dir, .value = "DIR",
         .help = "where", .nonempty = true},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &v->out,
         .value = "FILE", .help = "to"},
        {.name = "rows", .kind = CCF_OPT_NUM, .dest = &v->rows, .value = "N", .help = "how many",
         .min = 2, .max = 100},
        {.name = "quiet", .short_name = 'q', .kind = CCF_OPT_FLAG, .dest = &v->quiet,
         .help = "hush"},
        {.name = "shutdown", .kind = CCF_OPT_FLAG, .dest = &v->shutdown, .help = "end"},
        {.name = "no-shutdown", .kind = CCF_OPT_FLAG, .dest = &v->shutdown, .help = "keep",
         .clear = true},
        {.name = "file", .kind = CCF_OPT_LIST, .dest = &v->files, .value = "F", .help = "a file"},
        {.name = "data", .kind = CCF_OPT_PAIR, .dest = &v->pairs, .value = "NAME=PATH",
         .help = "a pair"},
        {0}};
    memset(v, 0, sizeof *v);
    return ccf_opt_parse(&cmd, opts, argc, argv, args, err, err_size);
}

#define ARGV(...) (char *[]){"thing", __VA_ARGS__, NULL}
#define ARGC(...) ((int)(sizeof((char *[]){"thing", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(v, a, e, ...) parse(v, a, e, sizeof e, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void free_vals(struct vals *v, ccf_opt_args *a)
{
    free(v->files.items);
    free(v->pairs.items);
    memset(&v->files, 0, sizeof v->files);
    memset(&v->pairs, 0, sizeof v->pairs);
    ccf_opt_args_free(a);
}

static void test_forms(void **state)
{
    (void)state;
    struct vals v;
    ccf_opt_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "--data-dir", "d1", "x", "--rows=7", "-o", "o1", "-q"),
                     CCF_OPT_OK);
    assert_string_equal(v.dir, "d1");
    assert_string_equal(v.out, "o1");
    assert_int_equal(v.rows, 7);
    assert_true(v.quiet);
    assert_int_equal(a.count, 1);
    assert_string_equal(a.items[0], "x");
    free_vals(&v, &a);
    /* --x=v and --x v are the same; the last use of a string wins */
    assert_int_equal(PARSE(&v, &a, err, "--data-dir=a", "x", "--data-dir", "b", "--output=="),
                     CCF_OPT_OK);
    assert_string_equal(v.dir, "b");
    assert_string_equal(v.out, "=");
    free_vals(&v, &a);
    /* `-` is an argument, `--` ends the options */
    assert_int_equal(PARSE(&v, &a, err, "-", "--", "--quiet"), CCF_OPT_OK);
    assert_false(v.quiet);
    assert_int_equal(a.count, 2);
    assert_string_equal(a.items[0], "-");
    assert_string_equal(a.items[1], "--quiet");
    free_vals(&v, &a);
    /* flags: --no-shutdown clears what --shutdown set, last wins */
    assert_int_equal(PARSE(&v, &a, err, "x", "--shutdown", "--no-shutdown"), CCF_OPT_OK);
    assert_false(v.shutdown);
    free_vals(&v, &a);
}

static void test_lists(void **state)
{
    (void)state;
    struct vals v;
    ccf_opt_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "x", "--file", "a", "--file=b", "--data", "in=p.csv",
                           "--data", "out=-"),
                     CCF_OPT_OK);
    assert_int_equal(v.files.count, 2);
    assert_string_equal(v.files.items[0], "a");
    assert_string_equal(v.files.items[1], "b");
    assert_int_equal(v.pairs.count, 2);
    assert_string_equal(v.pairs.items[1], "out=-");
    free_vals(&v, &a);
    const char *bad[] = {"noequals", "=path", "name="};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(PARSE(&v, &a, err, "x", "--data", (char *)bad[i]), CCF_OPT_ERROR);
        assert_non_null(strstr(err, "--data"));
        assert_non_null(strstr(err, "NAME=PATH"));
        free_vals(&v, &a);
    }
}

static void test_errors_name_the_flag(void **state)
{
    (void)state;
    struct vals v;
    ccf_opt_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "x", "--frob"), CCF_OPT_ERROR);
    assert_string_equal(err, "unknown option '--frob'");
    assert_int_equal(PARSE(&v, &a, err, "x", "--frob=1"), CCF_OPT_ERROR);
    assert_string_equal(err, "unknown option '--frob'");
    assert_int_equal(PARSE(&v, &a, err, "x", "-z"), CCF_OPT_ERROR);
    assert_string_equal(err, "unknown option '-z'");
    assert_int_equal(PARSE(&v, &a, err, "x", "-qo"), CCF_OPT_ERROR); /* no bundling */
    assert_non_null(strstr(err, "-qo"));
    /* missing value: the last argument, or empty where a value is required */
    assert_int_equal(PARSE(&v, &a, err, "x", "--rows"), CCF_OPT_ERROR);
    assert_string_equal(err, "--rows: a value is missing");
    assert_int_equal(PARSE(&v, &a, err, "x", "-o"), CCF_OPT_ERROR);
    assert_string_equal(err, "--output: a value is missing");
    assert_int_equal(PARSE(&v, &a, err, "x", "--data-dir="), CCF_OPT_ERROR);
    assert_string_equal(err, "--data-dir: a value is missing");
    /* numbers: out of range, signs, junk */
    const char *nums[] = {"1", "101", "-5", "+5", "5x", "", "99999999999999999999999"};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
        assert_int_equal(PARSE(&v, &a, err, "x", "--rows", (char *)nums[i]), CCF_OPT_ERROR);
        assert_non_null(strstr(err, "--rows: expected 2-100"));
    }
    assert_int_equal(PARSE(&v, &a, err, "x", "--rows", "2", "--rows", "100"), CCF_OPT_OK);
    assert_int_equal(v.rows, 100);
    free_vals(&v, &a);
    /* a flag takes no value */
    assert_int_equal(PARSE(&v, &a, err, "x", "--quiet=yes"), CCF_OPT_ERROR);
    assert_string_equal(err, "--quiet takes no value");
    /* argument counts */
    assert_int_equal(PARSE(&v, &a, err, "--quiet"), CCF_OPT_ERROR);
    assert_string_equal(err, "missing argument FILE...");
    assert_int_equal(PARSE(&v, &a, err, "a", "b", "c"), CCF_OPT_ERROR);
    assert_string_equal(err, "unexpected argument 'c'");
    assert_null(a.items); /* freed on error */
}

static void test_help(void **state)
{
    (void)state;
    struct vals v;
    ccf_opt_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "--help"), CCF_OPT_HELP);
    assert_int_equal(PARSE(&v, &a, err, "x", "-h", "--frob"), CCF_OPT_HELP);
    /* an earlier error wins; after `--`, --help is an argument */
    assert_int_equal(PARSE(&v, &a, err, "--frob", "--help"), CCF_OPT_ERROR);
    assert_int_equal(PARSE(&v, &a, err, "--", "--help"), CCF_OPT_OK);
    free_vals(&v, &a);
}

static void test_stop_after(void **state)
{
    (void)state;
    bool quiet = false;
    const ccf_opt opts[] = {{.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &quiet, .help = "q"},
                            {0}};
    const ccf_opt_cmd c = {.cmd = "invoke", .args = "FILE FUNC [ARGS...]", .min_args = 2,
                           .max_args = (size_t)-1, .stop_after = 2};
    char *argv[] = {"invoke", "--quiet", "m.wasm", "f", "-5", "--quiet", "--help", NULL};
    ccf_opt_args a;
    char err[128];
    assert_int_equal(ccf_opt_parse(&c, opts, 7, argv, &a, err, sizeof err), CCF_OPT_OK);
    assert_true(quiet);
    assert_int_equal(a.count, 5);
    assert_string_equal(a.items[2], "-5");
    assert_string_equal(a.items[4], "--help");
    ccf_opt_args_free(&a);
    ccf_opt_args_free(&a); /* idempotent */
}

static void test_negative_args(void **state)
{
    (void)state;
    bool list = false;
    const ccf_opt opts[] = {{.name = "list", .kind = CCF_OPT_FLAG, .dest = &list, .help = "l"},
                            {0}};
    const ccf_opt_cmd c = {.cmd = "policy rights", .args = "VALUE...", .max_args = (size_t)-1,
                           .negative_args = true};
    char *argv[] = {"rights", "-5", "--list", "-0x1", NULL};
    char *bad[] = {"rights", "-x", NULL};
    ccf_opt_args a;
    char err[128];
    assert_int_equal(ccf_opt_parse(&c, opts, 4, argv, &a, err, sizeof err), CCF_OPT_OK);
    assert_true(list);
    assert_int_equal(a.count, 2);
    assert_string_equal(a.items[0], "-5");
    assert_string_equal(a.items[1], "-0x1");
    ccf_opt_args_free(&a);
    /* a dash and a letter is still an option */
    assert_int_equal(ccf_opt_parse(&c, opts, 2, bad, &a, err, sizeof err), CCF_OPT_ERROR);
    assert_string_equal(err, "unknown option '-x'");
}

/* Host paths checked before a command acts: each message names the flag and the path. */
static void test_paths(void **state)
{
    (void)state;
    char dir[] = "/tmp/ccf-opt-paths-XXXXXX", file[300], sub[300], err[600];
    assert_non_null(mkdtemp(dir));
    snprintf(file, sizeof file, "%s/data.csv", dir);
    snprintf(sub, sizeof sub, "%s/nodir/o.json", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("1,2\n", f);
    fclose(f);

    assert_true(ccf_opt_input_ok("--data input-0", file, err, sizeof err));
    assert_true(ccf_opt_input_ok("--data input-0", "-", err, sizeof err));
    assert_false(ccf_opt_input_ok("--data input-0", dir, err, sizeof err));
    assert_non_null(strstr(err, "--data input-0: "));
    assert_non_null(strstr(err, "is a directory; give a file"));
    assert_false(ccf_opt_input_ok("--file x", sub, err, sizeof err));
    assert_non_null(strstr(err, "--file x: cannot read "));
    assert_non_null(strstr(err, "No such file"));

    assert_true(ccf_opt_output_ok("--result output", file, err, sizeof err)); /* replaced */
    assert_true(ccf_opt_output_ok("--result output", "-", err, sizeof err));
    assert_true(ccf_opt_output_ok("--out o", "relative-name.json", err, sizeof err));
    assert_false(ccf_opt_output_ok("--result output", dir, err, sizeof err));
    assert_non_null(strstr(err, "is a directory; give a file name in it"));
    assert_false(ccf_opt_output_ok("--result output", sub, err, sizeof err));
    assert_non_null(strstr(err, "--result output: cannot write "));
    assert_non_null(strstr(err, "/nodir does not exist"));
    assert_false(ccf_opt_output_ok("--out o", "", err, sizeof err));

    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(dir), 0);
}

static void test_bare_names(void **state)
{
    (void)state;
    const ccf_opt_cmd c = {.cmd = "function list", .bare_names = true};
    const ccf_opt opts[] = {{0}};
    char *argv[] = {"list", "--frob", NULL};
    char err[128];
    assert_int_equal(ccf_opt_parse(&c, opts, 2, argv, NULL, err, sizeof err), CCF_OPT_ERROR);
    assert_string_equal(err, "unknown option --frob");
}

/* The help is made from the table: every option and its help appear. */
static void test_usage_from_table(void **state)
{
    (void)state;
    bool q = false;
    const char *o = NULL;
    ccf_opt_list l = {0};
    const ccf_opt opts[] = {
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &o, .value = "FILE",
         .help = "where to write\nsecond line"},
        {.name = "quiet", .kind = CCF_OPT_FLAG, .dest = &q, .help = "hush"},
        {.name = "data", .kind = CCF_OPT_PAIR, .dest = &l, .value = "NAME=PATH", .help = "pairs"},
        {0}};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    ccf_opt_usage(&cmd, opts, f);
    fclose(f);
    assert_non_null(strstr(buf, "usage: ccfaas thing FILE... [-o FILE] [--quiet] [--data NAME=PATH]..."));
    assert_non_null(strstr(buf, "Does a thing."));
    assert_non_null(strstr(buf, "-o, --output FILE"));
    assert_non_null(strstr(buf, "where to write\n"));
    assert_non_null(strstr(buf, "second line"));
    assert_non_null(strstr(buf, "--quiet"));
    assert_non_null(strstr(buf, "hush"));
    assert_non_null(strstr(buf, "Exit status: 0."));
    free(buf);
}

static void test_parse_num(void **state)
{
    (void)state;
    long v = -1;
    assert_true(ccf_opt_parse_num("0", 0, 65535, &v));
    assert_int_equal(v, 0);
    assert_true(ccf_opt_parse_num("65535", 0, 65535, &v));
    assert_false(ccf_opt_parse_num("65536", 0, 65535, &v));
    assert_false(ccf_opt_parse_num(" 1", 0, 9, &v));
    assert_false(ccf_opt_parse_num(NULL, 0, 9, &v));
    assert_int_equal(v, 65535);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_errors_name_the_flag),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_stop_after),
        cmocka_unit_test(test_negative_args),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_bare_names),
        cmocka_unit_test(test_usage_from_table),
        cmocka_unit_test(test_parse_num),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
