/* `ccfaas policy`: validate, hash, explain rights, show who may do what. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
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

struct opts {
    ccf_policy_kind kind;
    bool json;
    bool quiet;
    bool list;
    char **files;
    int nfiles;
};

/* Parses the options of `ccfaas policy <sub>`: accepted is a string of the
 * flags this subcommand takes ("kjql"). Returns -1 on success or an exit code. */
static int parse_opts(const char *sub, int argc, char **argv, const char *accepted,
                      struct opts *o)
{
    bool only_files = false;
    memset(o, 0, sizeof *o);
    if ((o->files = calloc((size_t)argc + 1, sizeof *o->files)) == NULL) {
        fprintf(stderr, "ccfaas policy %s: out of memory\n", sub);
        return CCF_EXIT_FAIL;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_files || a[0] != '-' || strcmp(a, "-") == 0) {
            o->files[o->nfiles++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            only_files = true;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(policy_usage, stdout);
            return CCF_EXIT_OK;
        } else if (strchr(accepted, 'k') && (strcmp(a, "--kind") == 0 || strncmp(a, "--kind=", 7) == 0)) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            if (v == NULL || !ccf_policy_kind_parse(v, &o->kind)) {
                fprintf(stderr, "ccfaas policy %s: --kind needs one of program, user, vaas, full%s%s\n",
                        sub, v ? ", got " : "", v ? v : "");
                return CCF_EXIT_USAGE;
            }
        } else if (strchr(accepted, 'j') && strcmp(a, "--json") == 0) {
            o->json = true;
        } else if (strchr(accepted, 'q') && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) {
            o->quiet = true;
        } else if (strchr(accepted, 'l') && strcmp(a, "--list") == 0) {
            o->list = true;
        } else if (strchr(accepted, 'n') && a[1] >= '0' && a[1] <= '9') {
            o->files[o->nfiles++] = argv[i]; /* a negative number for `rights` */
        } else {
            fprintf(stderr, "ccfaas policy %s: unknown option '%s' (see `ccfaas policy --help`)\n",
                    sub, a);
            return CCF_EXIT_USAGE;
        }
    }
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
    struct opts o;
    int rc = parse_opts("validate", argc, argv, "kj", &o);
    json_t *report = NULL;
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_OK;
    if (o.nfiles == 0) {
        fprintf(stderr, "ccfaas policy validate: no FILE given (see `ccfaas policy --help`)\n");
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    if (o.json && (report = json_array()) == NULL) {
        rc = CCF_EXIT_FAIL;
        goto out;
    }
    for (int i = 0; i < o.nfiles; i++) {
        ccf_policy *p = NULL;
        ccf_policy_errors errors;
        char *text = NULL, hash[CCF_SHA256_HEX_LEN + 1] = "";
        size_t len = 0;
        ccf_err err = load_policy(o.files[i], o.kind, &p, &text, &len, &errors);
        bool ok = err == CCF_OK;
        if (ok && !ccf_policy_hash(text, len, hash))
            hash[0] = '\0';
        if (!ok)
            rc = CCF_EXIT_FAIL;
        if (o.json) {
            json_t *entry = json_pack("{s:s, s:b, s:s}", "file", o.files[i], "valid", ok, "kind",
                                      ccf_policy_kind_name(ok ? p->kind : o.kind));
            if (entry != NULL) {
                if (ok)
                    json_object_set_new(entry, "hash", json_string(hash));
                json_object_set_new(entry, "errors", ccf_policy_errors_json(&errors));
                json_object_set_new(entry, "truncated", json_boolean(errors.truncated));
                json_array_append_new(report, entry);
            }
        } else if (ok) {
            printf("%s: valid %s policy (hash %s)\n", o.files[i], ccf_policy_kind_name(p->kind),
                   hash);
        } else {
            print_errors(stdout, o.files[i], &errors);
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
    free(o.files);
    return rc;
}

static int cmd_hash(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("hash", argc, argv, "q", &o);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_OK;
    if (o.nfiles == 0) {
        fprintf(stderr, "ccfaas policy hash: no FILE given (see `ccfaas policy --help`)\n");
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < o.nfiles; i++) {
        char *text = NULL, err[256], hash[CCF_SHA256_HEX_LEN + 1];
        size_t len = 0;
        if (ccf_file_read(o.files[i], CCF_POLICY_MAX_BYTES, &text, &len, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "%s: %s\n", o.files[i], err);
            rc = CCF_EXIT_FAIL;
        } else if (!ccf_policy_hash(text, len, hash)) {
            fprintf(stderr, "%s: hashing failed\n", o.files[i]);
            rc = CCF_EXIT_FAIL;
        } else if (o.quiet) {
            printf("%s\n", hash);
        } else {
            printf("%s  %s\n", hash, o.files[i]);
        }
        free(text);
    }
out:
    free(o.files);
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
    struct opts o;
    int rc = parse_opts("rights", argc, argv, "ln", &o);
    if (rc >= 0)
        goto out;
    rc = CCF_EXIT_OK;
    if (o.list) {
        list_rights();
        goto out;
    }
    if (o.nfiles == 0) {
        fprintf(stderr, "ccfaas policy rights: no VALUE given (a number or bit names; "
                        "`--list` shows them)\n");
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < o.nfiles; i++) {
        const char *v = o.files[i];
        char err[160], names[1024];
        uint32_t rights;
        if (ccf_rights_parse(v, &rights, err, sizeof err) != CCF_OK) {
            fprintf(stderr, "ccfaas policy rights: %s\n", err);
            rc = CCF_EXIT_FAIL;
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
    free(o.files);
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
    struct opts o;
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    char *text = NULL, *emitted = NULL, hash[CCF_SHA256_HEX_LEN + 1];
    size_t len = 0;
    int rc = parse_opts(sub, argc, argv, "k", &o);
    if (rc >= 0)
        goto out;
    if (o.nfiles != 1) {
        fprintf(stderr, "ccfaas policy %s: expected exactly one FILE (see `ccfaas policy --help`)\n",
                sub);
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    rc = CCF_EXIT_FAIL;
    if (load_policy(o.files[0], o.kind, &p, &text, &len, &errors) != CCF_OK) {
        print_errors(stderr, o.files[0], &errors);
        goto out;
    }
    if (canonical) {
        if (ccf_policy_emit(p, &emitted) != CCF_OK) {
            fprintf(stderr, "%s: cannot emit the policy: out of memory\n", o.files[0]);
            goto out;
        }
        printf("%s\n", emitted);
    } else {
        if (!ccf_policy_hash(text, len, hash))
            goto out;
        ccf_cli_policy_show(o.files[0], p, hash);
    }
    rc = CCF_EXIT_OK;
out:
    free(emitted);
    free(text);
    ccf_policy_free(p);
    free(o.files);
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
