/* One option parser for every `ccfaas` command: a command declares a table
 * of its options (long name, short name, value kind, help) and the parser
 * both reads argv with it and prints `--help` from it, so the usage text
 * cannot drift from what is parsed (as curl's tool_getparam.c keeps one
 * table).
 *
 * Accepted forms: `--name VALUE`, `--name=VALUE`, `-s VALUE` (short name),
 * `--help` / `-h` where an option may stand (left to right: an earlier error
 * wins), `--` (everything after it is an argument), and
 * `-` alone is an argument (stdin/stdout). Flags take no value. A string
 * given twice keeps the last one; a list collects every use, in order.
 * Every error names the flag: "unknown option '--frob'", "--rows: a value
 * is missing", "--rows: expected 2-10000000, got '1'".
 *
 * Ownership: the table and the command description are the caller's
 * (usually on its stack, since `dest` points at its locals). Values stored
 * in dests point into argv (or, for `--name=VALUE`, into that argv string);
 * lists and the positional array are malloc'd by the parser and freed with
 * ccf_opt_args_free / ccf_opt_list_free (both NULL-safe, idempotent). */
#ifndef CCF_CLI_OPTIONS_H
#define CCF_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum {
    CCF_OPT_FLAG,   /* no value; dest: bool *, set to true (value_true false: set to false) */
    CCF_OPT_STRING, /* one value; dest: const char ** (the last use wins) */
    CCF_OPT_NUM,    /* a decimal in [min, max]; dest: long * */
    CCF_OPT_LIST,   /* one value per use, repeatable; dest: ccf_opt_list * */
    CCF_OPT_PAIR,   /* as LIST, each value NAME=VALUE with both parts non-empty */
} ccf_opt_kind;

typedef struct {
    const char **items; /* values, in order of use */
    size_t count;
} ccf_opt_list;

typedef struct {
    const char *name; /* long name without "--"; NULL ends a table */
    char short_name;  /* 0 = none */
    ccf_opt_kind kind;
    void *dest;
    const char *value; /* the value's name in help, e.g. "DIR"; NULL for flags */
    const char *help;  /* one line; '\n' starts a continuation line */
    long min, max;     /* CCF_OPT_NUM */
    bool clear;        /* CCF_OPT_FLAG: set *dest to false instead (e.g. --no-shutdown) */
    bool nonempty;     /* CCF_OPT_STRING: an empty value is a usage error */
} ccf_opt;

typedef struct {
    const char *cmd;      /* "function register": messages and usage say "ccfaas CMD" */
    const char *args;     /* the arguments in the synopsis, e.g. "POLICY" or "FILE..." */
    size_t min_args;      /* fewer arguments: usage error */
    size_t max_args;      /* more: usage error; (size_t)-1 = no limit */
    size_t stop_after;    /* > 0: after this many arguments, the rest are arguments too
                             (`wasm invoke FILE FUNC -5`) */
    const char *about;    /* after the synopsis; may be NULL */
    const char *epilog;   /* after the option list; may be NULL */
    bool bare_names;      /* errors print the option unquoted ("unknown option --x") */
    bool negative_args;   /* a dash and a digit ("-5") is an argument, not an option
                             (`policy rights -5` is then refused as a value) */
} ccf_opt_cmd;

/* Positional arguments, in order (pointers into argv). */
typedef struct {
    char **items;
    size_t count;
} ccf_opt_args;

typedef enum { CCF_OPT_OK, CCF_OPT_HELP, CCF_OPT_ERROR } ccf_opt_result;

/* Parses argv[1..argc-1] with the table. CCF_OPT_HELP when --help/-h was
 * reached (the arguments after it are not checked); CCF_OPT_ERROR with the message in
 * err (no "ccfaas CMD: " prefix). args (may be NULL when the command takes
 * none) receives the positionals. */
ccf_opt_result ccf_opt_parse(const ccf_opt_cmd *cmd, const ccf_opt *opts, int argc, char **argv,
                             ccf_opt_args *args, char *err, size_t err_size);

/* ccf_opt_parse for a command: prints the help on stdout (returns 0), or
 * "ccfaas CMD: ERROR (see `ccfaas CMD --help`)" on stderr (returns 2), or
 * returns -1: parsed, go on. */
int ccf_opt_run(const ccf_opt_cmd *cmd, const ccf_opt *opts, int argc, char **argv,
                ccf_opt_args *args);

/* The help: synopsis built from the table, about, every option with its
 * help, epilog. */
void ccf_opt_usage(const ccf_opt_cmd *cmd, const ccf_opt *opts, FILE *out);

/* Prints "ccfaas CMD: MESSAGE (see `ccfaas CMD --help`)" on stderr and
 * returns 2 (CCF_EXIT_USAGE): for checks a command makes after parsing. */
int ccf_opt_error(const ccf_opt_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void ccf_opt_args_free(ccf_opt_args *args);
/* Frees the list of every CCF_OPT_LIST / CCF_OPT_PAIR entry of the table. */
void ccf_opt_lists_free(const ccf_opt *opts);

/* Strict decimal in [lo, hi] (no sign, no spaces). */
bool ccf_opt_parse_num(const char *s, long lo, long hi, long *out);

/* Checks of the host paths a command is given, made before it does anything
 * (connects, creates, executes), so a mistake is named with the file and the
 * flag rather than surfacing later as a remote or internal error (issue 25).
 * "-" is stdin (inputs) or stdout (outputs) everywhere and always passes.
 *
 * The messages are complete sentences for "ccfaas CMD: MESSAGE", naming the
 * flag and the path and saying what to do; err is the caller's buffer. */
/* An input: an existing file that is not a directory (a FIFO or device is
 * fine). flag is how the user gave it, e.g. "--data input-0". */
bool ccf_opt_input_ok(const char *flag, const char *path, char *err, size_t err_size);

/* An output: not a directory, in an existing directory this process may write. */
bool ccf_opt_output_ok(const char *flag, const char *path, char *err, size_t err_size);

#endif
