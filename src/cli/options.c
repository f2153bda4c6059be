/* The option-table parser of every `ccfaas` command (options.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"

bool ccf_opt_parse_num(const char *s, long lo, long hi, long *out)
{
    char *end = NULL;
    if (s == NULL || s[0] == '\0' || strspn(s, "0123456789") != strlen(s))
        return false;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool is_help(const char *a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

/* "--name" (or "-s") as the user wrote it, quoted unless bare_names. */
static const char *shown(const ccf_opt_cmd *cmd, const char *arg, char *buf, size_t size)
{
    snprintf(buf, size, cmd->bare_names ? "%s" : "'%s'", arg);
    return buf;
}

static const ccf_opt *find_long(const ccf_opt *opts, const char *name, size_t len)
{
    for (const ccf_opt *o = opts; o != NULL && o->name != NULL; o++)
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0)
            return o;
    return NULL;
}

static const ccf_opt *find_short(const ccf_opt *opts, char c)
{
    for (const ccf_opt *o = opts; o != NULL && o->name != NULL; o++)
        if (o->short_name != 0 && o->short_name == c)
            return o;
    return NULL;
}

static bool list_add(ccf_opt_list *l, const char *v)
{
    const char **n = realloc(l->items, (l->count + 1) * sizeof *n);
    if (n == NULL)
        return false;
    n[l->count++] = v;
    l->items = n;
    return true;
}

/* Stores value v (NULL for a flag) of option o; false with err set. */
static bool store(const ccf_opt *o, const char *v, char *err, size_t err_size)
{
    switch (o->kind) {
    case CCF_OPT_FLAG:
        *(bool *)o->dest = !o->clear;
        return true;
    case CCF_OPT_STRING:
        if (o->nonempty && v[0] == '\0') {
            snprintf(err, err_size, "--%s: a value is missing", o->name);
            return false;
        }
        *(const char **)o->dest = v;
        return true;
    case CCF_OPT_NUM:
        if (!ccf_opt_parse_num(v, o->min, o->max, (long *)o->dest)) {
            snprintf(err, err_size, "--%s: expected %ld-%ld, got '%s'", o->name, o->min, o->max, v);
            return false;
        }
        return true;
    case CCF_OPT_PAIR: {
        const char *eq = strchr(v, '=');
        if (eq == NULL || eq == v || eq[1] == '\0') {
            snprintf(err, err_size, "--%s: expected %s, got '%s'", o->name,
                     o->value ? o->value : "NAME=VALUE", v);
            return false;
        }
    }
        /* fall through */
    case CCF_OPT_LIST:
        if (!list_add(o->dest, v)) {
            snprintf(err, err_size, "--%s: out of memory", o->name);
            return false;
        }
        return true;
    }
    snprintf(err, err_size, "--%s: unknown kind", o->name);
    return false;
}

ccf_opt_result ccf_opt_parse(const ccf_opt_cmd *cmd, const ccf_opt *opts, int argc, char **argv,
                             ccf_opt_args *args, char *err, size_t err_size)
{
    ccf_opt_args none = {0};
    ccf_opt_args *pos = args != NULL ? args : &none;
    bool only_args = false;
    char q[300];
    ccf_opt_result rc = CCF_OPT_ERROR;
    err[0] = '\0';
    memset(pos, 0, sizeof *pos);
    if ((pos->items = calloc((size_t)argc + 1, sizeof *pos->items)) == NULL) {
        snprintf(err, err_size, "out of memory");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        const ccf_opt *o = NULL;
        const char *v = NULL;
        if (only_args || a[0] != '-' || a[1] == '\0' ||
            (cmd->negative_args && a[1] >= '0' && a[1] <= '9') ||
            (cmd->stop_after > 0 && pos->count >= cmd->stop_after)) {
            if (pos->count >= cmd->max_args) {
                snprintf(err, err_size, "unexpected argument '%s'", a);
                goto out;
            }
            pos->items[pos->count++] = a;
            continue;
        }
        if (is_help(a)) {
            rc = CCF_OPT_HELP;
            goto out;
        }
        if (strcmp(a, "--") == 0) {
            only_args = true;
            continue;
        }
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t n = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
            o = find_long(opts, a + 2, n);
            if (o == NULL) {
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)(n + 2 < 250 ? n + 2 : 250), a);
                snprintf(err, err_size, "unknown option %s", shown(cmd, name, q, sizeof q));
                goto out;
            }
            if (eq != NULL) {
                if (o->kind == CCF_OPT_FLAG) {
                    snprintf(err, err_size, "--%s takes no value", o->name);
                    goto out;
                }
                v = eq + 1;
            }
        } else {
            o = a[2] == '\0' ? find_short(opts, a[1]) : NULL;
            if (o == NULL) {
                snprintf(err, err_size, "unknown option %s", shown(cmd, a, q, sizeof q));
                goto out;
            }
        }
        if (o->kind != CCF_OPT_FLAG && v == NULL) {
            if (i + 1 >= argc) {
                snprintf(err, err_size, "--%s: a value is missing", o->name);
                goto out;
            }
            v = argv[++i];
        }
        if (!store(o, v, err, err_size))
            goto out;
    }
    if (pos->count < cmd->min_args) {
        snprintf(err, err_size, "missing argument%s%s", cmd->args ? " " : "",
                 cmd->args ? cmd->args : "");
        goto out;
    }
    rc = CCF_OPT_OK;
out:
    if (args == NULL || rc != CCF_OPT_OK)
        ccf_opt_args_free(pos);
    return rc;
}

/* Appends s to the synopsis line, wrapping under the command name. */
static void syn_add(FILE *out, const char *s, size_t *col, size_t indent)
{
    size_t n = strlen(s);
    if (*col + 1 + n > 92) {
        fprintf(out, "\n%*s", (int)indent, "");
        *col = indent;
    } else {
        fputc(' ', out);
        (*col)++;
    }
    fputs(s, out);
    *col += n;
}

void ccf_opt_usage(const ccf_opt_cmd *cmd, const ccf_opt *opts, FILE *out)
{
    char item[256], left[200];
    size_t col = (size_t)fprintf(out, "usage: ccfaas %s", cmd->cmd), indent = col + 1, width = 0;
    if (cmd->args != NULL && cmd->args[0] != '\0')
        syn_add(out, cmd->args, &col, indent);
    for (const ccf_opt *o = opts; o != NULL && o->name != NULL; o++) {
        bool many = o->kind == CCF_OPT_LIST || o->kind == CCF_OPT_PAIR;
        char sh[4] = {'-', o->short_name, '\0'};
        snprintf(item, sizeof item, "[%s%s%s%s]%s", o->short_name ? "" : "--",
                 o->short_name ? sh : o->name, o->value ? " " : "", o->value ? o->value : "",
                 many ? "..." : "");
        syn_add(out, item, &col, indent);
    }
    fputc('\n', out);
    if (cmd->about != NULL)
        fprintf(out, "\n%s", cmd->about);
    for (const ccf_opt *o = opts; o != NULL && o->name != NULL; o++) {
        size_t w = strlen(o->name) + (o->value ? strlen(o->value) + 1 : 0) + (o->short_name ? 4 : 0);
        width = w > width ? w : width;
    }
    if (opts != NULL && opts[0].name != NULL)
        fputc('\n', out);
    for (const ccf_opt *o = opts; o != NULL && o->name != NULL; o++) {
        char sh[8] = "";
        if (o->short_name)
            snprintf(sh, sizeof sh, "-%c, ", o->short_name);
        snprintf(left, sizeof left, "%s--%s%s%s", sh, o->name, o->value ? " " : "",
                 o->value ? o->value : "");
        fprintf(out, "  %-*s  ", (int)width + 2, left);
        /* continuation lines of the help under its first */
        for (const char *h = o->help ? o->help : ""; *h;) {
            const char *nl = strchr(h, '\n');
            size_t n = nl ? (size_t)(nl - h) : strlen(h);
            fprintf(out, "%.*s", (int)n, h);
            if (nl == NULL)
                break;
            fprintf(out, "\n  %-*s  ", (int)width + 2, "");
            h = nl + 1;
        }
        fputc('\n', out);
    }
    if (cmd->epilog != NULL)
        fprintf(out, "%s%s", opts != NULL && opts[0].name != NULL ? "" : "\n", cmd->epilog);
}

int ccf_opt_error(const ccf_opt_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "ccfaas %s: ", cmd->cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see `ccfaas %s --help`)\n", cmd->cmd);
    return CCF_EXIT_USAGE;
}

int ccf_opt_run(const ccf_opt_cmd *cmd, const ccf_opt *opts, int argc, char **argv,
                ccf_opt_args *args)
{
    char err[512];
    switch (ccf_opt_parse(cmd, opts, argc, argv, args, err, sizeof err)) {
    case CCF_OPT_HELP:
        ccf_opt_usage(cmd, opts, stdout);
        return CCF_EXIT_OK;
    case CCF_OPT_ERROR:
        return ccf_opt_error(cmd, "%s", err);
    case CCF_OPT_OK:
        break;
    }
    return -1;
}

void ccf_opt_args_free(ccf_opt_args *args)
{
    if (args == NULL)
        return;
    free(args->items);
    args->items = NULL;
    args->count = 0;
}

void ccf_opt_lists_free(const ccf_opt *opts)
{
    for (const ccf_opt *o = opts; o != NULL && o->name != NULL; o++) {
        if (o->kind == CCF_OPT_LIST || o->kind == CCF_OPT_PAIR) {
            ccf_opt_list *l = o->dest;
            free(l->items);
            l->items = NULL;
            l->count = 0;
        }
    }
}

/* --- host paths given as option values, checked before a command acts --- */

bool ccf_opt_input_ok(const char *flag, const char *path, char *err, size_t err_size)
{
    struct stat st;
    if (strcmp(path, "-") == 0)
        return true;
    if (stat(path, &st) != 0) {
        snprintf(err, err_size, "%s: cannot read %s: %s", flag, path, strerror(errno));
        return false;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: %s is a directory; give a file", flag, path);
        return false;
    }
    if (access(path, R_OK) != 0) {
        snprintf(err, err_size, "%s: cannot read %s: %s", flag, path, strerror(errno));
        return false;
    }
    return true;
}

bool ccf_opt_output_ok(const char *flag, const char *path, char *err, size_t err_size)
{
    char dir[PATH_MAX];
    struct stat st;
    if (strcmp(path, "-") == 0)
        return true;
    if (path[0] == '\0') {
        snprintf(err, err_size, "%s: an empty path; give a file name or - (stdout)", flag);
        return false;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: %s is a directory; give a file name in it", flag, path);
        return false;
    }
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else if ((size_t)(slash - path) >= sizeof dir) {
        snprintf(err, err_size, "%s: path too long: %.200s...", flag, path);
        return false;
    } else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s: cannot write %s: directory %s does not exist (create it "
                                "first)", flag, path, dir);
        return false;
    }
    if (access(dir, W_OK) != 0) {
        snprintf(err, err_size, "%s: cannot write %s: directory %s is not writable (%s)", flag,
                 path, dir, strerror(errno));
        return false;
    }
    return true;
}
