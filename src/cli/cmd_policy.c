/* `ccfaas policy`: validate, hash, explain rights, show who may do what; write
 * user and program policies from certificates and modules (issue 25 item 7). */
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "common/crypto.h"
#include "common/file.h"
#include "policy/policy.h"
#include "policy/rights.h"
#include "wasm/wasm.h"

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
    "  user --function F --instance ID --grant CERT:FILE=RIGHTS... [-o FILE] [--force]\n"
    "                  write a user policy (for `ccfaas instance create`) from certificates\n"
    "  program --function F --grant PROGRAM.wasm:FILE=RIGHTS... [-o FILE] [--force]\n"
    "                  write a program policy (for `ccfaas function register`) from modules\n"
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
    for (size_t i = 0; i < p->stream_file_count; i++) /* docs/policy.md "Streams" */
        printf("  stream file         %s (read by programs while it is uploaded)\n",
               p->stream_files[i]);
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

/* ---- policy user, policy program: policies written from certificates and modules -------
 * Users wrote these by hand (PEM escaped into JSON, pi_hash copied from sha256sum); now
 * each --grant names a host file and an instance file, and the policy comes out checked by
 * the same parser the services use, in canonical form (issue 25 item 7). */

#define CERT_MAX_BYTES (1u << 20)     /* a PEM certificate is a few KiB */
#define MODULE_MAX_BYTES (256u << 20) /* as `ccfaas wasm validate` */
/* What a result reader needs (open, read, seek) and what a data owner needs to upload
 * (create, write, truncate): the spec's 8198 and 533572 (docs/policy.md "Rights"). */
#define RIGHTS_READ (CCF_FD_READ | CCF_FD_SEEK | CCF_PATH_OPEN)
#define RIGHTS_WRITE                                                                      \
    (CCF_FD_SEEK | CCF_FD_WRITE | CCF_PATH_CREATE_FILE | CCF_PATH_OPEN |                  \
     CCF_PATH_FILESTAT_SET_SIZE)

#define RIGHTS_HELP                                                                        \
    "RIGHTS: read (8198 = FD_READ|FD_SEEK|PATH_OPEN), write (533572 = FD_SEEK|FD_WRITE|\n" \
    "PATH_CREATE_FILE|PATH_OPEN|PATH_FILESTAT_SET_SIZE), read+write (533574), a number, or\n" \
    "rights names joined by ',' or '|' (`ccfaas policy rights --list` says what each allows).\n"

/* One file right, with the --grant it came from (messages name it). */
struct grant_right {
    char *file;
    uint32_t rights;
    const char *grant;
};

/* An identity (user policy) or a program (program policy) and its file rights. */
struct grantee {
    char *cert;                        /* user: the certificate, PEM as OpenSSL writes it */
    char *name;                        /* program: program_file_name (the module's basename) */
    char hash[CCF_SHA256_HEX_LEN + 1]; /* program: pi_hash */
    const char *grant;                 /* the first --grant that named it */
    struct grant_right *rights;        /* at most one per --grant */
    size_t count;
};

/* The options of `policy user` / `policy program` and what the grants made. */
struct writer {
    const ccf_opt_cmd *cmd;
    bool program; /* a program policy; else a user policy */
    const char *function, *instance, *strategy, *output;
    bool force;
    ccf_opt_list grants;
    struct grantee *g; /* at most one per --grant */
    size_t count;
};

static void writer_free(struct writer *w)
{
    for (size_t i = 0; w->g != NULL && i < w->count; i++) {
        for (size_t j = 0; j < w->g[i].count; j++)
            free(w->g[i].rights[j].file);
        free(w->g[i].rights);
        free(w->g[i].cert);
        free(w->g[i].name);
    }
    free(w->g);
    w->g = NULL;
    w->count = 0;
}

/* "ccfaas policy user: --grant 'ARG': WHAT; RIGHTS is ..." for a RIGHTS that does not parse:
 * names the bad word and lists the valid ones. Returns CCF_EXIT_USAGE. */
static int rights_error(const struct writer *w, const char *grant, const char *what)
{
    char names[1024];
    if (!ccf_rights_format(CCF_RIGHTS_ALL, ", ", names, sizeof names))
        snprintf(names, sizeof names, "see `ccfaas policy rights --list`");
    fprintf(stderr,
            "ccfaas %s: --grant '%s': %s; RIGHTS is read, write, read+write, a number, or "
            "rights names joined by ',' or '|': %s (`ccfaas policy rights --list` says what "
            "each allows)\n",
            w->cmd->cmd, grant, what, names);
    return CCF_EXIT_USAGE;
}

/* RIGHTS of a --grant: words read/write, numbers and bit names, joined by ',', '|' or '+'
 * (read+write is the union). Returns -1 (parsed) or an exit code, the error printed. */
static int parse_grant_rights(const struct writer *w, const char *grant, const char *text,
                              uint32_t *out)
{
    char token[64], err[200], what[300];
    uint32_t acc = 0;
    const char *p = text;
    for (;;) {
        size_t n = strcspn(p, ",|+");
        uint32_t bits = 0;
        if (n == 0) {
            snprintf(what, sizeof what, "an empty word in RIGHTS '%s'", text);
            return rights_error(w, grant, what);
        }
        snprintf(token, sizeof token, "%.*s", (int)(n < sizeof token ? n : sizeof token - 1), p);
        if (strcasecmp(token, "read") == 0) {
            bits = RIGHTS_READ;
        } else if (strcasecmp(token, "write") == 0) {
            bits = RIGHTS_WRITE;
        } else if (n >= sizeof token) {
            snprintf(what, sizeof what, "unknown right '%.40s...'", p);
            return rights_error(w, grant, what);
        } else if (ccf_rights_parse(token, &bits, err, sizeof err) != CCF_OK) {
            if (token[0] >= '0' && token[0] <= '9') /* the number's own complaint */
                snprintf(what, sizeof what, "%s", err);
            else
                snprintf(what, sizeof what, "unknown right '%s'", token);
            return rights_error(w, grant, what);
        }
        acc |= bits;
        p += n;
        if (*p == '\0')
            break;
        p++;
    }
    if (acc == 0) {
        snprintf(what, sizeof what, "RIGHTS '%s' grants nothing", text);
        return rights_error(w, grant, what);
    }
    *out = acc;
    return -1;
}

/* Splits a --grant HOST:FILE=RIGHTS (RIGHTS after the last '=', HOST up to the last ':'
 * before it: a host path may hold ':', an instance file name may not). */
static int split_grant(const struct writer *w, const char *arg, char **host, char **file,
                       const char **rights)
{
    const char *eq = strrchr(arg, '=');
    const char *colon = NULL;
    for (const char *c = arg; eq != NULL && c < eq; c++)
        if (*c == ':')
            colon = c;
    if (eq == NULL || colon == NULL || colon == arg || colon + 1 == eq || eq[1] == '\0')
        return ccf_opt_error(w->cmd, "--grant '%s': expected %s, e.g. %s", arg,
                             w->program ? "PROGRAM.wasm:FILE=RIGHTS" : "CERT:FILE=RIGHTS",
                             w->program ? "linear-regression.wasm:input-0=read"
                                        : "owner.crt:input-0=write");
    *host = strndup(arg, (size_t)(colon - arg));
    *file = strndup(colon + 1, (size_t)(eq - colon - 1));
    *rights = eq + 1;
    return *host != NULL && *file != NULL ? -1 : CCF_EXIT_FAIL;
}

/* Reads one host file of a --grant; a file that cannot be read exits 1, naming it. */
static int read_grant_file(const struct writer *w, const char *grant, const char *path,
                           size_t max, char **text, size_t *len)
{
    char err[256];
    if (ccf_file_read(path, max, text, len, err, sizeof err) == CCF_OK)
        return -1;
    fprintf(stderr, "ccfaas %s: --grant '%s': cannot read %s: %s\n", w->cmd->cmd, grant, path,
            err);
    return CCF_EXIT_FAIL;
}

/* The one X.509 certificate of a PEM file, re-encoded by OpenSSL (so the policy holds the
 * certificate alone: no key, no comments, whatever the file held around it). */
static int read_cert(const struct writer *w, const char *grant, const char *path, char **pem)
{
    char *text = NULL;
    size_t len = 0;
    BIO *in = NULL, *out = NULL;
    X509 *cert = NULL, *second = NULL;
    BUF_MEM *mem = NULL;
    int rc = read_grant_file(w, grant, path, CERT_MAX_BYTES, &text, &len);
    if (rc >= 0)
        return rc;
    rc = CCF_EXIT_FAIL;
    if ((in = BIO_new_mem_buf(text, (int)len)) == NULL)
        goto out;
    if ((cert = PEM_read_bio_X509(in, NULL, NULL, NULL)) == NULL) {
        bool key = strstr(text, "PRIVATE KEY-----") != NULL;
        fprintf(stderr,
                "ccfaas %s: --grant '%s': %s is %s; give the identity's certificate, the .crt "
                "file (`ccfaas identity new NAME` writes NAME.crt and NAME.key)\n",
                w->cmd->cmd, grant, path,
                key ? "a private key, not a certificate (never put a key in a policy)"
                    : "not a PEM X.509 certificate (no -----BEGIN CERTIFICATE----- block "
                      "OpenSSL can read)");
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    ERR_clear_error();
    if ((second = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
        fprintf(stderr, "ccfaas %s: --grant '%s': %s holds more than one certificate; give a "
                        "file with the identity's certificate alone\n",
                w->cmd->cmd, grant, path);
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    if ((out = BIO_new(BIO_s_mem())) == NULL || !PEM_write_bio_X509(out, cert))
        goto out;
    BIO_get_mem_ptr(out, &mem);
    if (mem == NULL || (*pem = strndup(mem->data, mem->length)) == NULL)
        goto out;
    rc = -1;
out:
    if (rc == CCF_EXIT_FAIL)
        fprintf(stderr, "ccfaas %s: --grant '%s': %s: out of memory\n", w->cmd->cmd, grant, path);
    ERR_clear_error();
    X509_free(second);
    X509_free(cert);
    BIO_free(out);
    BIO_free(in);
    free(text);
    return rc;
}

/* A program: a valid WebAssembly module (as `ccfaas wasm validate` checks it), its
 * basename and the SHA-256 of its bytes. */
static int read_module(const struct writer *w, const char *grant, const char *path,
                       struct grantee *g)
{
    char *bytes = NULL, err[512];
    size_t len = 0;
    ccf_wasm_module *m = NULL;
    const char *slash = strrchr(path, '/');
    int rc = read_grant_file(w, grant, path, MODULE_MAX_BYTES, &bytes, &len);
    if (rc >= 0)
        return rc;
    if (ccf_wasm_load((const uint8_t *)bytes, len, &m, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: --grant '%s': %s is not a valid WebAssembly module (%s); "
                        "give the .wasm the build made (`ccfaas wasm validate FILE` checks one)\n",
                w->cmd->cmd, grant, path, err);
        rc = CCF_EXIT_USAGE;
    } else if (!ccf_sha256_hex(bytes, len, g->hash) ||
               (g->name = strdup(slash != NULL ? slash + 1 : path)) == NULL) {
        fprintf(stderr, "ccfaas %s: --grant '%s': %s: hashing failed\n", w->cmd->cmd, grant,
                path);
        rc = CCF_EXIT_FAIL;
    }
    ccf_wasm_module_free(m);
    free(bytes);
    return rc;
}

/* One --grant into w->g: finds or adds its identity or program, adds the file right. */
static int add_grant(struct writer *w, const char *grant)
{
    char *host = NULL, *file = NULL;
    const char *rights_text = NULL;
    uint32_t rights = 0;
    struct grantee fresh = {0}, *g = NULL;
    int rc = split_grant(w, grant, &host, &file, &rights_text);
    if (rc >= 0 || (rc = parse_grant_rights(w, grant, rights_text, &rights)) >= 0)
        goto out;
    rc = w->program ? read_module(w, grant, host, &fresh) : read_cert(w, grant, host, &fresh.cert);
    if (rc >= 0)
        goto out;
    /* the same certificate (or module) named twice is one identity (program) */
    for (size_t i = 0; i < w->count && g == NULL; i++) {
        struct grantee *o = &w->g[i];
        if (!w->program && strcmp(o->cert, fresh.cert) == 0)
            g = o;
        else if (w->program && strcmp(o->name, fresh.name) == 0) {
            if (strcmp(o->hash, fresh.hash) != 0) {
                rc = ccf_opt_error(w->cmd, "--grant '%s': another program named %s is in "
                                           "--grant '%s' (program file names are unique in a "
                                           "policy); rename one of the files",
                                   grant, fresh.name, o->grant);
                goto out;
            }
            g = o;
        }
    }
    if (g == NULL) {
        g = &w->g[w->count++];
        *g = fresh;
        memset(&fresh, 0, sizeof fresh);
        g->grant = grant;
        if ((g->rights = calloc(w->grants.count, sizeof *g->rights)) == NULL) {
            rc = CCF_EXIT_FAIL;
            goto out;
        }
    }
    for (size_t j = 0; j < g->count; j++) {
        if (strcmp(g->rights[j].file, file) == 0) {
            rc = ccf_opt_error(w->cmd, "--grant '%s': %s %s has rights on %s already, from "
                                       "--grant '%s'; give one --grant per file with all its "
                                       "rights (e.g. =read+write)",
                               grant, w->program ? "program" : "the identity of",
                               w->program ? g->name : host, file, g->rights[j].grant);
            goto out;
        }
    }
    g->rights[g->count++] = (struct grant_right){.file = file, .rights = rights, .grant = grant};
    file = NULL;
    rc = -1;
out:
    free(fresh.cert);
    free(fresh.name);
    free(host);
    free(file);
    return rc;
}

/* The grants as the policy's JSON (the parser then checks it as any policy). */
static json_t *writer_json(const struct writer *w)
{
    json_t *root = json_object(), *list = json_array();
    if (root == NULL || list == NULL)
        goto fail;
    json_object_set_new(root, "function", json_string(w->function));
    if (w->program)
        json_object_set_new(root, "execution_strategy", json_string(w->strategy));
    else
        json_object_set_new(root, "instanceid", json_string(w->instance));
    for (size_t i = 0; i < w->count; i++) {
        const struct grantee *g = &w->g[i];
        json_t *item, *rights = json_array();
        if (w->program)
            item = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)i, "pi_hash", g->hash,
                             "program_file_name", g->name);
        else
            item = json_pack("{s:s}", "certificate", g->cert);
        for (size_t j = 0; rights != NULL && j < g->count; j++)
            json_array_append_new(rights, json_pack("{s:s, s:I}", "file_name", g->rights[j].file,
                                                    "rights", (json_int_t)g->rights[j].rights));
        if (item == NULL || rights == NULL) {
            json_decref(item);
            json_decref(rights);
            goto fail;
        }
        /* the *_new setters take the reference even when they fail */
        if (json_object_set_new(item, "file_rights", rights) != 0) {
            json_decref(item);
            goto fail;
        }
        if (json_array_append_new(list, item) != 0)
            goto fail;
    }
    if (json_object_set_new(root, w->program ? "programs" : "identities", list) == 0)
        return root;
    list = NULL;
fail:
    json_decref(list);
    json_decref(root);
    return NULL;
}

/* A policy error in terms of what the user typed: the flag, or the --grant behind the
 * identity, program or file right at the error's JSON path. */
static void print_writer_error(const struct writer *w, const ccf_policy_error *e)
{
    const char *prefix = w->program ? "programs[" : "identities[";
    size_t plen = strlen(prefix), a = 0, b = 0, found = 0;
    int n = 0;
    const char *flag = NULL;
    char named[600], *end = NULL;
    /* "identities[A]" or "identities[A].file_rights[B]" (programs[...] alike) */
    if (strncmp(e->path, prefix, plen) == 0 && e->path[plen] >= '0' && e->path[plen] <= '9') {
        a = (size_t)strtoul(e->path + plen, &end, 10);
        if (*end == ']' && a < w->count) {
            found = 1;
            if (sscanf(end, "].file_rights[%zu]%n", &b, &n) == 1 && n > 0 && b < w->g[a].count)
                found = 2;
        }
    }
    if (strcmp(e->path, "function") == 0)
        flag = "--function";
    else if (strcmp(e->path, "instanceid") == 0)
        flag = "--instance";
    else if (strcmp(e->path, "execution_strategy") == 0)
        flag = "--execution-strategy";
    if (flag != NULL) {
        snprintf(named, sizeof named, "%s", flag);
    } else if (found == 2) {
        snprintf(named, sizeof named, "--grant '%s'", w->g[a].rights[b].grant);
    } else if (found == 1) {
        snprintf(named, sizeof named, "--grant '%s'", w->g[a].grant);
    } else {
        snprintf(named, sizeof named, "the policy");
    }
    if (flag != NULL || found > 0) /* the message names the value; the JSON path adds nothing */
        fprintf(stderr, "ccfaas %s: %s: %s\n", w->cmd->cmd, named, e->message);
    else
        fprintf(stderr, "ccfaas %s: %s: %s%s%s\n", w->cmd->cmd, named, e->path,
                e->path[0] != '\0' ? ": " : "", e->message);
}

/* Runs `policy user` or `policy program` once the table has been parsed. */
static int write_policy(struct writer *w)
{
    json_t *root = NULL;
    char *text = NULL, *emitted = NULL, err[600], hash[CCF_SHA256_HEX_LEN + 1];
    ccf_policy *p = NULL;
    ccf_policy_errors errors;
    bool to_stdout = w->output == NULL || strcmp(w->output, "-") == 0;
    struct stat st;
    int rc;

    if (w->function == NULL)
        return ccf_opt_error(w->cmd, "--function F is required: the function's name%s",
                             w->program ? " (what `ccfaas function list` will show)"
                                        : " as registered (`ccfaas function list`)");
    if (!w->program && w->instance == NULL)
        return ccf_opt_error(w->cmd, "--instance ID is required: the id to give the instance "
                                     "(1-128 of A-Z a-z 0-9 - _ .)");
    if (w->grants.count == 0)
        return ccf_opt_error(w->cmd, "no --grant given: at least one %s",
                             w->program ? "PROGRAM.wasm:FILE=RIGHTS (e.g. "
                                          "linear-regression.wasm:input-0=read)"
                                        : "CERT:FILE=RIGHTS (e.g. owner.crt:input-0=write)");
    /* where it goes is checked before any file is read: nothing is written on error */
    if (!to_stdout && !ccf_opt_output_ok("-o", w->output, err, sizeof err)) {
        fprintf(stderr, "ccfaas %s: %s\n", w->cmd->cmd, err);
        return CCF_EXIT_FAIL;
    }
    if (!to_stdout && !w->force && lstat(w->output, &st) == 0)
        return ccf_opt_error(w->cmd, "-o %s: the file exists; give --force to replace it, or "
                                     "another name", w->output);
    if ((w->g = calloc(w->grants.count, sizeof *w->g)) == NULL)
        return CCF_EXIT_FAIL;
    for (size_t i = 0; i < w->grants.count; i++)
        if ((rc = add_grant(w, w->grants.items[i])) >= 0)
            return rc;

    rc = CCF_EXIT_FAIL;
    if ((root = writer_json(w)) == NULL || (text = json_dumps(root, JSON_COMPACT)) == NULL) {
        fprintf(stderr, "ccfaas %s: out of memory\n", w->cmd->cmd);
        goto out;
    }
    if (ccf_policy_parse(text, strlen(text), w->program ? CCF_POLICY_PROGRAM : CCF_POLICY_USER,
                         &p, &errors) != CCF_OK) {
        if (errors.count == 0) {
            fprintf(stderr, "ccfaas %s: out of memory\n", w->cmd->cmd);
            goto out;
        }
        for (size_t i = 0; i < errors.count; i++)
            print_writer_error(w, &errors.items[i]);
        fprintf(stderr, "ccfaas %s: nothing written (see `ccfaas %s --help`)\n", w->cmd->cmd,
                w->cmd->cmd);
        rc = CCF_EXIT_USAGE;
        goto out;
    }
    if (ccf_policy_emit(p, &emitted) != CCF_OK || !ccf_policy_hash(emitted, strlen(emitted), hash)) {
        fprintf(stderr, "ccfaas %s: cannot emit the policy: out of memory\n", w->cmd->cmd);
        goto out;
    }
    if (to_stdout) {
        fputs(emitted, stdout);
        rc = fflush(stdout) == 0 ? CCF_EXIT_OK : CCF_EXIT_FAIL;
        goto out;
    }
    if (ccf_file_write_atomic(w->output, emitted, strlen(emitted), 0644, !w->force, err,
                              sizeof err) != CCF_OK) {
        fprintf(stderr, "ccfaas %s: -o %s\n", w->cmd->cmd, err);
        goto out;
    }
    printf("wrote %s: %s policy, %zu %s, hash %s\n", w->output, w->program ? "program" : "user",
           w->count, w->program ? (w->count == 1 ? "program" : "programs")
                                : (w->count == 1 ? "identity" : "identities"),
           hash);
    rc = CCF_EXIT_OK;
out:
    ccf_policy_free(p);
    free(emitted);
    free(text);
    json_decref(root);
    return rc;
}

static int cmd_user(int argc, char **argv)
{
    struct writer w = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "policy user",
        .about =
            "Writes a user policy: the body of `ccfaas instance create` (docs/policy.md). Each\n"
            "--grant gives the identity whose X.509 certificate is the PEM file CERT the RIGHTS\n"
            "on the instance's file FILE (`ccfaas identity new NAME` writes NAME.crt). Identities\n"
            "come in the order first named; the same certificate twice is one identity. The\n"
            "policy is checked as `ccfaas policy validate` checks it, then written in canonical\n"
            "form.\n",
        .epilog = "\n" RIGHTS_HELP
                  "\nExample (a data owner uploads input-0, a result reader reads output):\n"
                  "  ccfaas policy user --function linear-regression --instance lr1 \\\n"
                  "      --grant owner.crt:input-0=write --grant reader.crt:output=read \\\n"
                  "      -o user-policy.json\n"
                  "\nExit status: 0 written, 1 a file cannot be read or written, 2 usage error\n"
                  "(a missing flag, a bad RIGHTS, a CERT that is not a certificate, a file\n"
                  "granted twice to one identity, -o FILE exists without --force).\n"};
    const ccf_opt table[] = {
        {.name = "function", .kind = CCF_OPT_STRING, .dest = &w.function, .value = "F",
         .nonempty = true, .help = "the function the instance runs (required)"},
        {.name = "instance", .kind = CCF_OPT_STRING, .dest = &w.instance, .value = "ID",
         .nonempty = true, .help = "the instance's id, 1-128 of A-Z a-z 0-9 - _ . (required)"},
        {.name = "grant", .kind = CCF_OPT_LIST, .dest = &w.grants, .value = "CERT:FILE=RIGHTS",
         .help = "RIGHTS on FILE for the identity with certificate CERT\n(at least one; "
                 "repeatable)"},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &w.output,
         .value = "FILE", .nonempty = true,
         .help = "write the policy to FILE, atomically (default and -: stdout)"},
        {.name = "force", .kind = CCF_OPT_FLAG, .dest = &w.force,
         .help = "replace an existing -o FILE"},
        {0}};
    w.cmd = &cmd;
    int rc = ccf_opt_run(&cmd, table, argc, argv, NULL);
    if (rc < 0)
        rc = write_policy(&w);
    writer_free(&w);
    ccf_opt_lists_free(table);
    return rc;
}

static int cmd_program(int argc, char **argv)
{
    struct writer w = {.program = true, .strategy = "Interpretation"};
    const ccf_opt_cmd cmd = {
        .cmd = "policy program",
        .about =
            "Writes a program policy: the body of `ccfaas function register` (docs/policy.md).\n"
            "Each --grant gives the program PROGRAM.wasm (a WebAssembly module, checked as\n"
            "`ccfaas wasm validate` checks it) the RIGHTS on the instance's file FILE. A program's\n"
            "program_file_name is the file's basename, its pi_hash the SHA-256 of its bytes, its\n"
            "id 0, 1, ... in the order first named. The policy is checked as `ccfaas policy\n"
            "validate` checks it, then written in canonical form.\n",
        .epilog = "\n" RIGHTS_HELP
                  "For a program: read lets it open and read FILE, write lets it create and "
                  "write it.\n"
                  "\nExample (the example's function reads input-0 and writes output):\n"
                  "  ccfaas policy program --function linear-regression \\\n"
                  "      --grant build/examples/linear-regression/linear-regression.wasm:input-0=read \\\n"
                  "      --grant build/examples/linear-regression/linear-regression.wasm:output=write \\\n"
                  "      -o linear-regression.json\n"
                  "\nExit status: 0 written, 1 a file cannot be read or written, 2 usage error\n"
                  "(a missing flag, a bad RIGHTS, a PROGRAM that is not WebAssembly, a file\n"
                  "granted twice to one program, -o FILE exists without --force).\n"};
    const ccf_opt table[] = {
        {.name = "function", .kind = CCF_OPT_STRING, .dest = &w.function, .value = "F",
         .nonempty = true, .help = "the function's name, 1-128 of A-Z a-z 0-9 - _ . (required)"},
        {.name = "grant", .kind = CCF_OPT_LIST, .dest = &w.grants,
         .value = "PROGRAM.wasm:FILE=RIGHTS",
         .help = "RIGHTS on FILE for the program PROGRAM.wasm\n(at least one; repeatable)"},
        {.name = "execution-strategy", .kind = CCF_OPT_STRING, .dest = &w.strategy,
         .value = "S", .nonempty = true, .help = "Interpretation (default) or JIT"},
        {.name = "output", .short_name = 'o', .kind = CCF_OPT_STRING, .dest = &w.output,
         .value = "FILE", .nonempty = true,
         .help = "write the policy to FILE, atomically (default and -: stdout)"},
        {.name = "force", .kind = CCF_OPT_FLAG, .dest = &w.force,
         .help = "replace an existing -o FILE"},
        {0}};
    w.cmd = &cmd;
    int rc = ccf_opt_run(&cmd, table, argc, argv, NULL);
    if (rc < 0)
        rc = write_policy(&w);
    writer_free(&w);
    ccf_opt_lists_free(table);
    return rc;
}

int ccf_cmd_policy(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } subs[] = {
        {"validate", cmd_validate}, {"hash", cmd_hash},           {"rights", cmd_rights},
        {"show", cmd_show},         {"canonical", cmd_canonical}, {"user", cmd_user},
        {"program", cmd_program},
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
