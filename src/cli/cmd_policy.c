/* `ccfaas policy`: validate, hash, explain rights, show who may do what. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/file.h"
#include "policy/policy.h"
#include "policy/rights.h"

static const char policy_usage[] =
    "usage: ccfaas policy COMMAND [OPTIONS] ...\n"
    "\n"
    "commands:\n"
    "  validate FILE... [--kind K] [--json]\n"
    "                  check policies against the spec's schemas and ccfaas's rules;\n"
    "                  prints `FILE: PATH: message` per error (all of them, up to 20)\n"
    "  hash FILE... [-q]\n"
    "                  the policy hash: SHA-256 of the exact bytes (as sha256sum prints it;\n"
    "                  -q prints the hash alone)\n"
    "  rights VALUE... [--list]\n"
    "                  a number -> bit names, bit names -> the number\n"
    "                  (`ccfaas policy rights 8198`, `ccfaas policy rights FD_READ,PATH_OPEN`)\n"
    "  show FILE [--kind K]\n"
    "                  a table of each identity and program and what it may do to which file\n"
    "  canonical FILE [--kind K]\n"
    "                  the policy re-emitted in canonical form (sorted keys, 2-space indent);\n"
    "                  note: its hash differs from the original's\n"
    "\n"
    "K is one of: program, user, vaas, full (default: detected from the fields present).\n"
    "Exit status: 0 success, 1 invalid policy or unreadable file, 2 usage error.\n";

#define KIND_HELP "program, user, vaas or full (default: detected from the fields)"

/* Options and arguments of one `ccfaas policy` subcommand. */
struct opts {
    const char *kind_name;
    ccf_policy_kind kind;
    bool json;
    bool quiet;
    bool list;
    ccf_opt_args args;
};

/* Parses a subcommand's argv with its table; checks --kind. Returns -1 to go
 * on, or an exit code. o->args is freed by the caller (NULL-safe). */
static int parse_opts(const ccf_opt_cmd *cmd, const ccf_opt *table, int argc, char **argv,
                      struct opts *o)
{
    int rc = ccf_opt_run(cmd, table, argc, argv, &o->args);
    if (rc >= 0)
        return rc;
    if (o->kind_name != NULL && !ccf_policy_kind_parse(o->kind_name, &o->kind))
        return ccf_opt_error(cmd, "--kind: expected one of program, user, vaas, full, got '%s'",
                             o->kind_name);
    return -1;
}

/* Reads and parses one policy file. On failure errors are filled (a read
 * failure becomes one error with an empty path). */
static ccf_err load_policy(const char *file, ccf_policy_kind kind, ccf_policy **policy,
                           char **text, size_t *len, ccf_policy_errors *errors)
{
    char err[256];
    ccf_err rc = ccf_file_read(file, CCF_POLICY_MAX_BYTES, text, len, err, sizeof err);
    *policy = NULL;
    memset(errors, 0, sizeof *errors);
    if (rc != CCF_OK) {
        errors->count = 1;
        snprintf(errors->items[0].message, sizeof errors->items[0].message, "%s", err);
        return rc;
    }
    return ccf_policy_parse(*text, *len, kind, policy, errors);
}

static void print_errors(FILE *out, const char *file, const ccf_policy_errors *errors)
{
    for (size_t i = 0; i < errors->count; i++) {
        const ccf_policy_error *e = &errors->items[i];
        if (e->line > 0)
            fprintf(out, "%s: line %d, column %d: %s\n", file, e->line, e->column, e->message);
        else if (e->path[0] != '\0')
            fprintf(out, "%s: %s: %s\n", file, e->path, e->message);
        else
            fprintf(out, "%s: %s\n", file, e->message);
    }
    if (errors->truncated)
        fprintf(out, "%s: more errors not shown (at most %d are reported)\n", file,
                CCF_POLICY_MAX_ERRORS);
}

static int cmd_validate(int argc, char **argv)
{
    struct opts o = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "policy validate", .args = "FILE...", .min_args = 1, .max_args = (size_t)-1,
        .about = "Checks policies against the spec's schemas and ccfaas's rules; prints\n"
                 "`FILE: valid KIND policy (hash H)` or `FILE: PATH: message` per error (all of\n"
                 "them, up to 20). FILE - is stdin.\n",
        .epilog = "\nExit status: 0 all valid, 1 an invalid policy or unreadable file, 2 usage "
                  "error.\n"};
    const ccf_opt table[] = {
        {.name = "kind", .kind = CCF_OPT_STRING, .dest = &o.kind_name, .value = "K",
         .help = KIND_HELP},
        {.name = "json", .kind = CCF_OPT_FLAG, .dest = &o.json,
         .help = "one JSON report: file, valid, kind, hash, errors, truncated"},
        {0}};
    int rc = parse_opts(&cmd, table, argc, argv, &o);
    json_t *report = NULL;
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_OK;
    if (o.json && (report = json_array()) == NULL) {
        rc = CCF_EXIT_FAIL;
        goto out;
    }
    for (size_t i = 0; i < o.args.count; i++) {
        ccf_policy *p = NULL;
        ccf_policy_errors errors;
        char *text = NULL, hash[CCF_SHA256_HEX_LEN + 1] = "";
        size_t len = 0;
        ccf_err err = load_policy(o.args.items[i], o.kind, &p, &text, &len, &errors);
        bool ok = err == CCF_OK;
        if (ok && !ccf_policy_hash(text, len, hash))
            hash[0] = '\0';
        if (!ok)
            rc = CCF_EXIT_FAIL;
        if (o.json) {
            json_t *entry = json_pack("{s:s, s:b, s:s}", "file", o.args.items[i], "valid", ok, "kind",
                                      ccf_policy_kind_name(ok ? p->kind : o.kind));
            if (entry != NULL) {
                if (ok)
                    json_object_set_new(entry, "hash", json_string(hash));
                json_object_set_new(entry, "errors", ccf_policy_errors_json(&errors));
                json_object_set_new(entry, "truncated", json_boolean(errors.truncated));
                json_array_append_new(report, entry);
            }
        } else if (ok) {
            printf("%s: valid %s policy (hash %s)\n", o.args.items[i], ccf_policy_kind_name(p->kind),
                   hash);
        } else {
            print_errors(stdout, o.args.items[i], &errors);
        }
        ccf_policy_free(p);
        free(text);
    }
    if (report != NULL) {
        char *s = json_dumps(report, JSON_INDENT(2));
        if (s == NULL) {
            rc = CCF_EXIT_FAIL;
        } else {
            printf("%s\n", s);
            free(s);
        }
    }
out:
    json_decref(report);
    ccf_opt_args_free(&o.args);
    return rc;
}

static int cmd_hash(int argc, char **argv)
{
    struct opts o = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "policy hash", .args = "FILE...", .min_args = 1, .max_args = (size_t)-1,
        .about = "The policy hash: SHA-256 of the exact bytes, printed as sha256sum prints it.\n"
                 "Any file is hashed; it need not be a valid policy. FILE - is stdin.\n"};
    const ccf_opt table[] = {
        {.name = "quiet", .short_name = 'q', .kind = CCF_OPT_FLAG, .dest = &o.quiet,
         .help = "print the hash alone"},
        {0}};
    int rc = parse_opts(&cmd, table, argc, argv, &o);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_OK;
    for (size_t i = 0; i < o.args.count; i++) {
        const char *file = o.args.items[i];
        char *text = NULL, err[256], hash[CCF_SHA256_HEX_LEN + 1];
        size_t len = 0;
        if (ccf_file_read(file, CCF_POLICY_MAX_BYTES, &text, &len, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "%s: %s\n", file, err);
            rc = CCF_EXIT_FAIL;
        } else if (!ccf_policy_hash(text, len, hash)) {
            fprintf(stderr, "%s: hashing failed\n", file);
            rc = CCF_EXIT_FAIL;
        } else if (o.quiet) {
            printf("%s\n", hash);
        } else {
            printf("%s  %s\n", hash, file);
        }
        free(text);
    }
out:
    ccf_opt_args_free(&o.args);
    return rc;
}

static void list_rights(void)
{
    printf("%-4s %-10s %-24s %s\n", "BIT", "VALUE", "NAME", "ALLOWS");
    for (unsigned bit = 0; bit < CCF_RIGHTS_COUNT; bit++)
        printf("%-4u %-10u %-24s %s\n", bit, 1u << bit, ccf_rights_bit_name(bit),
               ccf_rights_bit_description(bit));
    printf("\nCommon values: 8198 = read (FD_READ,FD_SEEK,PATH_OPEN); 533572 = write "
           "(FD_SEEK,FD_WRITE,PATH_CREATE_FILE,PATH_OPEN,PATH_FILESTAT_SET_SIZE).\n");
}

static int cmd_rights(int argc, char **argv)
{
    struct opts o = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "policy rights", .args = "VALUE...", .max_args = (size_t)-1,
        .negative_args = true,
        .about = "A number -> its bit names; bit names -> the number (`ccfaas policy rights 8198`,\n"
                 "`ccfaas policy rights FD_READ,PATH_OPEN`).\n",
        .epilog = "\nExit status: 0 success, 2 a VALUE that is not rights (usage error).\n"};
    const ccf_opt table[] = {
        {.name = "list", .kind = CCF_OPT_FLAG, .dest = &o.list,
         .help = "every right: bit, value, name, what it allows"},
        {0}};
    int rc = parse_opts(&cmd, table, argc, argv, &o);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_OK;
    if (o.list) {
        list_rights();
        goto out;
    }
    if (o.args.count == 0) {
        rc = ccf_opt_error(&cmd, "no VALUE given (a number or bit names; `--list` shows them)");
        goto out;
    }
    for (size_t i = 0; i < o.args.count; i++) {
        const char *v = o.args.items[i];
        char err[160], names[1024];
        uint32_t rights;
        if (ccf_rights_parse(v, &rights, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas policy rights: %s\n", err); /* err says where to look */
            rc = CCF_EXIT_USAGE;
        } else if (v[0] >= '0' && v[0] <= '9') {
            if (!ccf_rights_format(rights, ",", names, sizeof names)) {
                rc = CCF_EXIT_FAIL;
                continue;
            }
            printf("%s\n", rights == 0 ? "(none)" : names);
        } else {
            printf("%u\n", rights);
        }
    }
out:
    ccf_opt_args_free(&o.args);
    return rc;
}

/* One row of the `show` table. */
static void row(int who_width, const char *who, const char *file, uint32_t rights)
{
    char summary[512];
    if (!ccf_rights_summary(rights, summary, sizeof summary))
        snprintf(summary, sizeof summary, "(see `ccfaas policy rights %u`)", rights);
    printf("  %-*s  %-24s %10u  %s\n", who_width, who, file, rights, summary);
}

static void identity_label(const ccf_policy *p, size_t i, char *buf, size_t size)
{
    const ccf_identity *id = &p->identities[i];
    if (id->id >= 0)
        snprintf(buf, size, "identity %lld (%.60s)", (long long)id->id, id->subject);
    else
        snprintf(buf, size, "identity [%zu] (%.60s)", i, id->subject);
}

/* Whether the expiry moment lies in the past (UTC). */
static bool expiry_passed(const ccf_cert_expiry *e)
{
    time_t now = time(NULL);
    struct tm t;
    char stamp[32], then[32];
    if (gmtime_r(&now, &t) == NULL)
        return false;
    snprintf(stamp, sizeof stamp, "%04d%02d%02d%02d%02d", t.tm_year + 1900, t.tm_mon + 1,
             t.tm_mday, t.tm_hour, t.tm_min);
    snprintf(then, sizeof then, "%04d%02d%02d%02d%02d", e->year, e->month, e->day, e->hour,
             e->minute);
    return strcmp(then, stamp) < 0;
}

void ccf_cli_policy_show(const char *file, const ccf_policy *p, const char *hash)
{
    static const char *const stream_names[] = {"stdin", "stdout", "stderr"};
    char label[128];
    int width = 3;

    printf("%s: %s policy, hash %s\n", file, ccf_policy_kind_name(p->kind), hash);
    if (p->function)
        printf("  function            %s\n", p->function);
    if (p->instance_id)
        printf("  instance id         %s\n", p->instance_id);
    if (p->execution_strategy)
        printf("  execution strategy  %s\n", p->execution_strategy);
    if (p->kind == CCF_POLICY_VAAS || p->kind == CCF_POLICY_FULL)
        printf("  ciphersuite         %s\n  clock               %s\n  debug               %s\n",
               p->ciphersuite, p->enable_clock ? "enabled" : "disabled (clock calls fail)",
               p->debug ? "on" : "off");
    if (p->has_max_memory_mib)
        printf("  memory limit        %lld MiB\n", (long long)p->max_memory_mib);
    if (p->kind == CCF_POLICY_FULL) {
        const ccf_cert_expiry *e = &p->enclave_cert_expiry;
        printf("  instance address    %s\n  attested by         %s\n"
               "  certificate expiry  %04d-%02d-%02d %02d:%02d UTC%s\n",
               p->veracruz_server_url, p->proxy_attestation_server_url, e->year, e->month, e->day,
               e->hour, e->minute, expiry_passed(e) ? " (passed: clients will refuse it)" : "");
        for (int i = 0; i < CCF_RUNTIME_COUNT; i++) {
            if (p->runtime_hash[i] != NULL && p->runtime_hash[i][0] != '\0')
                printf("  runtime %-11s %s%s\n",
                       ccf_runtime_platform_name((ccf_runtime_platform)i), p->runtime_hash[i],
                       i == CCF_RUNTIME_LINUX ? "  (development platform: no hardware protection)"
                                              : "");
        }
    }
    for (size_t i = 0; i < p->program_count; i++)
        printf("  program             %s (sha256 %s)\n", p->programs[i].program_file_name,
               p->programs[i].pi_hash);
    for (size_t i = 0; i < p->data_file_count; i++)
        printf("  data file           %s (sha256 %s, priority %lld)\n", p->data_files[i].data_file,
               p->data_files[i].pi_hash, (long long)p->data_files[i].priority);

    for (size_t i = 0; i < p->identity_count; i++) {
        identity_label(p, i, label, sizeof label);
        if ((int)strlen(label) > width)
            width = (int)strlen(label);
    }
    for (size_t i = 0; i < p->program_count; i++) {
        snprintf(label, sizeof label, "program %lld (%.60s)", (long long)p->programs[i].id,
                 p->programs[i].program_file_name);
        if ((int)strlen(label) > width)
            width = (int)strlen(label);
    }
    printf("\n  %-*s  %-24s %10s  %s\n", width, "WHO", "FILE", "RIGHTS", "MAY");
    for (size_t i = 0; i < p->identity_count; i++) {
        identity_label(p, i, label, sizeof label);
        if (p->identities[i].rights.count == 0)
            printf("  %-*s  (no file rights)\n", width, label);
        for (size_t j = 0; j < p->identities[i].rights.count; j++)
            row(width, j == 0 ? label : "", p->identities[i].rights.items[j].file_name,
                p->identities[i].rights.items[j].rights);
    }
    for (size_t i = 0; i < p->program_count; i++) {
        snprintf(label, sizeof label, "program %lld (%.60s)", (long long)p->programs[i].id,
                 p->programs[i].program_file_name);
        if (p->programs[i].rights.count == 0)
            printf("  %-*s  (no file rights)\n", width, label);
        for (size_t j = 0; j < p->programs[i].rights.count; j++)
            row(width, j == 0 ? label : "", p->programs[i].rights.items[j].file_name,
                p->programs[i].rights.items[j].rights);
    }
    for (size_t i = 0; i < p->std_stream_count; i++)
        row(width, stream_names[p->std_streams[i].stream], p->std_streams[i].file_name,
            p->std_streams[i].rights);

    if (p->identity_count > 0 && p->program_count > 0) {
        printf("\n  who may execute which program:\n");
        for (size_t i = 0; i < p->identity_count; i++) {
            bool any = false;
            identity_label(p, i, label, sizeof label);
            printf("  %-*s  ", width, label);
            for (size_t j = 0; j < p->program_count; j++) {
                if (ccf_policy_may_execute(p, i, j)) {
                    printf("%s%s", any ? ", " : "", p->programs[j].program_file_name);
                    any = true;
                }
            }
            printf("%s\n", any ? "" : "(none)");
        }
    }
}

/* show and canonical: load one valid policy, then print it one way or the other. */
static int cmd_one_policy(const char *sub, int argc, char **argv, bool canonical)
{
    struct opts o = {0};
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    char *text = NULL, *emitted = NULL, hash[CCF_SHA256_HEX_LEN + 1], name[32];
    size_t len = 0;
    snprintf(name, sizeof name, "policy %s", sub);
    const ccf_opt_cmd cmd = {
        .cmd = name, .args = "FILE", .min_args = 1, .max_args = 1,
        .about = canonical ? "The policy re-emitted in canonical form (sorted keys, 2-space indent);\n"
                             "note: its hash differs from the original's.\n"
                           : "A table of each identity and program and what it may do to which "
                             "file,\nwith the policy's settings and hash.\n"};
    const ccf_opt table[] = {
        {.name = "kind", .kind = CCF_OPT_STRING, .dest = &o.kind_name, .value = "K",
         .help = KIND_HELP},
        {0}};
    int rc = parse_opts(&cmd, table, argc, argv, &o);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_FAIL;
    const char *file = o.args.items[0];
    if (load_policy(file, o.kind, &p, &text, &len, &errors) != CCF_OK) {
        print_errors(stderr, file, &errors);
        goto out;
    }
    if (canonical) {
        if (ccf_policy_emit(p, &emitted) != CCF_OK) {
            fprintf(stderr, "%s: cannot emit the policy: out of memory\n", file);
            goto out;
        }
        fputs(emitted, stdout);
    } else {
        if (!ccf_policy_hash(text, len, hash))
            goto out;
        ccf_cli_policy_show(file, p, hash);
    }
    rc = CCF_EXIT_OK;
out:
    free(emitted);
    free(text);
    ccf_policy_free(p);
    ccf_opt_args_free(&o.args);
    return rc;
}

static int cmd_show(int argc, char **argv)
{
    return cmd_one_policy("show", argc, argv, false);
}

static int cmd_canonical(int argc, char **argv)
{
    return cmd_one_policy("canonical", argc, argv, true);
}

int ccf_cmd_policy(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {
        {"validate", cmd_validate}, {"hash", cmd_hash},           {"rights", cmd_rights},
        {"show", cmd_show},         {"canonical", cmd_canonical},
    };
    if (argc < 2) {
        fputs(policy_usage, stderr);
        return CCF_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(policy_usage, stdout);
        return CCF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "ccfaas policy: unknown %s '%s' (see `ccfaas policy --help`)\n",
            argv[1][0] == '-' ? "option" : "command", argv[1]);
    return CCF_EXIT_USAGE;
}
