/* Parsers for the kubernetes backend (see k8s_parse.h). */
#include "vaas/k8s_parse.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- the YAML subset ------------------------------------------------------ */

struct yline {
    size_t indent;
    char *text; /* after the indentation, comment and trailing blanks removed */
    size_t len;
    size_t lineno;
};

struct yparser {
    struct yline *lines;
    size_t n, i;
    char *err;
    size_t err_size;
    bool failed;
};

static json_t *yfail(struct yparser *p, size_t lineno, const char *msg)
{
    if (!p->failed) {
        ccf_errf(p->err, p->err_size, CCF_ERR_INVALID, "kubeconfig line %zu: %s", lineno, msg);
        p->failed = true;
    }
    return NULL;
}

/* Cuts a comment off s[0..len) (a '#' at the start or after a blank, outside
 * quotes) and trailing blanks; returns the new length. */
static size_t strip_comment(const char *s, size_t len)
{
    char quote = 0;
    for (size_t k = 0; k < len; k++) {
        char c = s[k];
        if (quote == '"' && c == '\\' && k + 1 < len) {
            k++;
        } else if (quote != 0) {
            if (c == quote)
                quote = 0;
        } else if ((c == '"' || c == '\'') && (k == 0 || s[k - 1] == ' ')) {
            quote = c;
        } else if (c == '#' && (k == 0 || s[k - 1] == ' ' || s[k - 1] == '\t')) {
            len = k;
            break;
        }
    }
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    return len;
}

static bool is_seq_item(const struct yline *l)
{
    return l->text[0] == '-' && (l->len == 1 || l->text[1] == ' ');
}

/* End of a quoted scalar starting at s[0] (the quote), or 0 when unterminated. */
static size_t quoted_end(const char *s, size_t len)
{
    for (size_t k = 1; k < len; k++) {
        if (s[0] == '"' && s[k] == '\\') {
            k++;
        } else if (s[k] == s[0]) {
            if (s[0] == '\'' && k + 1 < len && s[k + 1] == '\'') {
                k++;
                continue;
            }
            return k + 1;
        }
    }
    return 0;
}

/* Position of the ':' that ends a mapping key in s, or len when none. */
static size_t key_colon(const char *s, size_t len)
{
    size_t k = 0;
    if (len > 0 && (s[0] == '"' || s[0] == '\'')) {
        k = quoted_end(s, len);
        if (k == 0)
            return len;
        return k < len && s[k] == ':' && (k + 1 == len || s[k + 1] == ' ') ? k : len;
    }
    for (; k < len; k++)
        if (s[k] == ':' && (k + 1 == len || s[k + 1] == ' '))
            return k;
    return len;
}

static json_t *quoted_scalar(struct yparser *p, size_t lineno, const char *s, size_t len)
{
    size_t end = quoted_end(s, len);
    if (end == 0)
        return yfail(p, lineno, "unterminated quoted scalar");
    if (end != len)
        return yfail(p, lineno, "text after a quoted scalar");
    char *out = malloc(len);
    size_t o = 0;
    if (out == NULL)
        return yfail(p, lineno, "out of memory");
    for (size_t k = 1; k + 1 < end; k++) {
        char c = s[k];
        if (s[0] == '\'' && c == '\'') {
            k++; /* '' */
        } else if (s[0] == '"' && c == '\\') {
            char e = s[++k];
            static const char from[] = "\\\"/ntr0", to[] = "\\\"/\n\t\r";
            const char *f = e != '\0' ? strchr(from, e) : NULL;
            if (f == NULL || e == '0') {
                free(out);
                return yfail(p, lineno, "an escape other than \\\\ \\\" \\/ \\n \\t \\r "
                                              "in a double-quoted scalar");
            }
            c = to[f - from];
        }
        out[o++] = c;
    }
    json_t *j = json_stringn(out, o);
    OPENSSL_cleanse(out, len);
    free(out);
    return j != NULL ? j : yfail(p, lineno, "a scalar that is not UTF-8");
}

static json_t *scalar(struct yparser *p, size_t lineno, const char *s, size_t len)
{
    if (len == 2 && memcmp(s, "{}", 2) == 0)
        return json_object();
    if (len == 2 && memcmp(s, "[]", 2) == 0)
        return json_array();
    if (s[0] == '"' || s[0] == '\'')
        return quoted_scalar(p, lineno, s, len);
    if (strchr("{[&*!%@`", s[0]) != NULL)
        return yfail(p, lineno, "a value starting with one of { [ & * ! % @ ` (flow "
                                "collections, anchors, aliases, tags and reserved characters "
                                "are not supported)");
    json_t *j = json_stringn(s, len);
    return j != NULL ? j : yfail(p, lineno, "a scalar that is not UTF-8");
}

static json_t *parse_node(struct yparser *p, size_t indent, unsigned depth);

static json_t *parse_seq(struct yparser *p, size_t indent, unsigned depth)
{
    json_t *arr = json_array();
    while (arr != NULL && p->i < p->n && p->lines[p->i].indent == indent &&
           is_seq_item(&p->lines[p->i])) {
        struct yline *l = &p->lines[p->i];
        size_t off = 1;
        while (off < l->len && l->text[off] == ' ')
            off++;
        json_t *item;
        if (off == l->len) {
            p->i++;
            item = p->i < p->n && p->lines[p->i].indent > indent
                       ? parse_node(p, p->lines[p->i].indent, depth + 1)
                       : json_null();
        } else if (!is_seq_item(&(struct yline){.text = l->text + off, .len = l->len - off}) &&
                   key_colon(l->text + off, l->len - off) == l->len - off) {
            item = scalar(p, l->lineno, l->text + off, l->len - off); /* `- value` */
            p->i++;
        } else { /* `- key: value` or `- - x`: the rest opens a block at its column */
            l->indent += off;
            l->text += off;
            l->len -= off;
            item = parse_node(p, l->indent, depth + 1);
        }
        if (item == NULL || json_array_append_new(arr, item) != 0) {
            json_decref(arr);
            return yfail(p, l->lineno, "out of memory");
        }
        if (p->i < p->n && p->lines[p->i].indent > indent) {
            json_decref(arr);
            return yfail(p, p->lines[p->i].lineno, "unexpected indentation");
        }
    }
    return arr;
}

static json_t *block_scalar(struct yparser *p, size_t indent)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (f == NULL)
        return NULL;
    for (bool first = true; p->i < p->n && p->lines[p->i].indent > indent; p->i++, first = false)
        fprintf(f, "%s%.*s", first ? "" : "\n", (int)p->lines[p->i].len, p->lines[p->i].text);
    fclose(f);
    json_t *j = buf != NULL ? json_stringn(buf, size) : NULL;
    free(buf);
    return j;
}

static json_t *parse_map(struct yparser *p, size_t indent, unsigned depth)
{
    json_t *obj = json_object();
    while (obj != NULL && p->i < p->n && p->lines[p->i].indent == indent) {
        struct yline *l = &p->lines[p->i];
        if (is_seq_item(l)) {
            json_decref(obj);
            return yfail(p, l->lineno, "a sequence item where a mapping key was expected");
        }
        size_t colon = key_colon(l->text, l->len);
        if (colon == l->len || colon == 0) {
            json_decref(obj);
            return yfail(p, l->lineno, "expected `key: value`");
        }
        json_t *key = scalar(p, l->lineno, l->text, colon);
        if (key == NULL || !json_is_string(key)) {
            json_decref(key);
            json_decref(obj);
            return yfail(p, l->lineno, "a mapping key must be a scalar");
        }
        const char *v = l->text + colon + 1;
        size_t vlen = l->len - colon - 1;
        while (vlen > 0 && *v == ' ')
            v++, vlen--;
        p->i++;
        json_t *val;
        if (vlen == 0) {
            if (p->i < p->n && p->lines[p->i].indent > indent)
                val = parse_node(p, p->lines[p->i].indent, depth + 1);
            else if (p->i < p->n && p->lines[p->i].indent == indent &&
                     is_seq_item(&p->lines[p->i]))
                val = parse_seq(p, indent, depth + 1);
            else
                val = json_null();
        } else if (v[0] == '|' || v[0] == '>') {
            val = block_scalar(p, indent);
        } else {
            val = scalar(p, l->lineno, v, vlen);
        }
        const char *k = json_string_value(key);
        if (val == NULL || json_object_get(obj, k) != NULL ||
            strlen(k) != json_string_length(key)) {
            bool dup = val != NULL;
            json_decref(val);
            json_decref(key);
            json_decref(obj);
            return yfail(p, l->lineno, dup ? "a duplicate or NUL-containing key"
                                                 : "out of memory");
        }
        int set = json_object_set_new(obj, k, val);
        json_decref(key);
        if (set != 0) {
            json_decref(obj);
            return yfail(p, l->lineno, "out of memory");
        }
        if (p->i < p->n && p->lines[p->i].indent > indent) {
            json_decref(obj);
            return yfail(p, p->lines[p->i].lineno, "unexpected indentation");
        }
    }
    return obj;
}

static json_t *parse_node(struct yparser *p, size_t indent, unsigned depth)
{
    if (depth > CCF_K8S_YAML_DEPTH)
        return yfail(p, p->lines[p->i].lineno, "nested too deeply");
    return is_seq_item(&p->lines[p->i]) ? parse_seq(p, indent, depth)
                                        : parse_map(p, indent, depth);
}

ccf_err ccf_k8s_yaml_parse(const char *text, size_t len, json_t **out, char *err,
                           size_t err_size)
{
    char *copy = NULL;
    struct yparser p = {.err = err, .err_size = err_size};
    ccf_err rc = CCF_OK;
    *out = NULL;
    if (len > CCF_K8S_YAML_MAX)
        return ccf_errf(err, err_size, CCF_ERR_TOO_LARGE, "kubeconfig: over %u bytes",
                        CCF_K8S_YAML_MAX);
    if (memchr(text, '\0', len) != NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig: a NUL byte");
    size_t s = 0;
    while (s < len && strchr(" \t\r\n", text[s]) != NULL)
        s++;
    if (s < len && text[s] == '{') {
        json_error_t je;
        *out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
        if (*out == NULL || !json_is_object(*out)) {
            json_decref(*out);
            *out = NULL;
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig line %d: %s", je.line,
                            je.text);
        }
        return CCF_OK;
    }
    if ((copy = malloc(len + 1)) == NULL ||
        (p.lines = calloc(len / 2 + 2, sizeof *p.lines)) == NULL) {
        rc = ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    size_t lineno = 0;
    for (char *line = copy; line != NULL;) {
        char *nl = strchr(line, '\n');
        size_t l = nl ? (size_t)(nl - line) : strlen(line);
        lineno++;
        size_t ind = 0;
        while (ind < l && line[ind] == ' ')
            ind++;
        size_t body = strip_comment(line + ind, l - ind);
        if (body > 0 && line[ind] == '\t') {
            rc = ccf_errf(err, err_size, CCF_ERR_INVALID,
                          "kubeconfig line %zu: a tab in the indentation", lineno);
            goto out;
        }
        bool marker = ind == 0 && ((body == 3 && (memcmp(line, "---", 3) == 0 ||
                                                   memcmp(line, "...", 3) == 0)));
        if (body > 0 && !marker) {
            line[ind + body] = '\0';
            p.lines[p.n++] = (struct yline){.indent = ind, .text = line + ind, .len = body,
                                            .lineno = lineno};
        }
        line = nl ? nl + 1 : NULL;
    }
    json_t *root = p.n == 0 ? json_object() : parse_node(&p, p.lines[0].indent, 0);
    if (root != NULL && p.i < p.n) {
        json_decref(root);
        root = yfail(&p, p.lines[p.i].lineno, "unexpected indentation");
    }
    if (root != NULL && !json_is_object(root)) {
        json_decref(root);
        root = yfail(&p, p.lines[0].lineno, "the document is not a mapping");
    }
    if (root == NULL) {
        rc = p.failed ? CCF_ERR_INVALID
                      : ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
        goto out;
    }
    *out = root;
out:
    if (copy != NULL)
        OPENSSL_cleanse(copy, len); /* it may hold tokens and keys */
    free(copy);
    free(p.lines);
    return rc;
}

/* --- kubeconfig ----------------------------------------------------------- */

void ccf_k8s_kubeconfig_clear(ccf_k8s_kubeconfig *kc)
{
    if (kc == NULL)
        return;
    char **all[] = {&kc->server,    &kc->ca_pem,    &kc->ca_file,  &kc->token,
                    &kc->token_file, &kc->cert_pem, &kc->key_pem,  &kc->cert_file,
                    &kc->key_file,  &kc->namespace_};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
        if (*all[k] != NULL) {
            OPENSSL_cleanse(*all[k], strlen(*all[k]));
            free(*all[k]);
            *all[k] = NULL;
        }
    }
}

/* The member of `list` (an array of {name, <kind>: {...}}) named name. */
static const json_t *named(const json_t *root, const char *list, const char *kind,
                           const char *name, char *err, size_t err_size)
{
    const json_t *arr = json_object_get(root, list);
    if (arr != NULL && !json_is_array(arr) && !json_is_null(arr)) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig %s: expected a list", list);
        return NULL;
    }
    for (size_t k = 0; arr != NULL && k < json_array_size(arr); k++) {
        const json_t *e = json_array_get(arr, k);
        const char *n = json_string_value(json_object_get(e, "name"));
        if (n != NULL && strcmp(n, name) == 0) {
            const json_t *inner = json_object_get(e, kind);
            if (!json_is_object(inner)) {
                ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig %s[%zu].%s: expected a "
                         "mapping", list, k, kind);
                return NULL;
            }
            return inner;
        }
    }
    ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig: no %s named '%s' in %s", kind, name,
             list);
    return NULL;
}

/* A string member (NULL when absent); false when present and not a string. */
static bool opt_str(const json_t *obj, const char *key, const char **out, const char *where,
                    char *err, size_t err_size)
{
    const json_t *v = json_object_get(obj, key);
    *out = json_string_value(v);
    if (v != NULL && !json_is_string(v) && !json_is_null(v)) {
        ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig %s.%s: expected a string", where,
                 key);
        return false;
    }
    return true;
}

/* Standard base64 (whitespace-free, padded) into a new NUL-terminated string. */
static char *b64_decode(const char *in)
{
    size_t len = strlen(in);
    if (len == 0 || len % 4 != 0 || len > CCF_K8S_YAML_MAX)
        return NULL;
    unsigned char *out = malloc(len / 4 * 3 + 1);
    if (out == NULL)
        return NULL;
    int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
    if (n < 0) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    n -= (in[len - 1] == '=') + (in[len - 2] == '=');
    if (memchr(out, '\0', (size_t)n) != NULL) { /* PEM text only */
        OPENSSL_cleanse(out, len / 4 * 3);
        free(out);
        return NULL;
    }
    out[n] = '\0';
    return (char *)out;
}

static bool dup_into(char **dst, const char *src)
{
    return src == NULL || (*dst = strdup(src)) != NULL;
}

ccf_err ccf_k8s_kubeconfig_select(const json_t *root, const char *context,
                                  ccf_k8s_kubeconfig *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    const char *ctx_name = context, *cluster_name = NULL, *user_name = NULL, *ns = NULL;
    const char *server = NULL, *ca_data = NULL, *ca_file = NULL, *insecure = NULL;
    const char *token = NULL, *token_file = NULL, *cert_data = NULL, *key_data = NULL;
    const char *cert_file = NULL, *key_file = NULL;
    if (!json_is_object(root))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig: not a mapping");
    if (ctx_name == NULL &&
        (!opt_str(root, "current-context", &ctx_name, "", err, err_size) || ctx_name == NULL ||
         ctx_name[0] == '\0'))
        return ccf_errf(err, err_size, CCF_ERR_INVALID,
                        "kubeconfig: no current-context (name one with --k8s-context)");
    const json_t *ctx = named(root, "contexts", "context", ctx_name, err, err_size);
    if (ctx == NULL)
        return CCF_ERR_INVALID;
    if (!opt_str(ctx, "cluster", &cluster_name, "context", err, err_size) ||
        !opt_str(ctx, "user", &user_name, "context", err, err_size) ||
        !opt_str(ctx, "namespace", &ns, "context", err, err_size))
        return CCF_ERR_INVALID;
    if (cluster_name == NULL || user_name == NULL)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig context '%s': needs a "
                        "cluster and a user", ctx_name);
    const json_t *cl = named(root, "clusters", "cluster", cluster_name, err, err_size);
    if (cl == NULL)
        return CCF_ERR_INVALID;
    const json_t *us = named(root, "users", "user", user_name, err, err_size);
    if (us == NULL)
        return CCF_ERR_INVALID;
    if (!opt_str(cl, "server", &server, "cluster", err, err_size) ||
        !opt_str(cl, "certificate-authority-data", &ca_data, "cluster", err, err_size) ||
        !opt_str(cl, "certificate-authority", &ca_file, "cluster", err, err_size) ||
        !opt_str(cl, "insecure-skip-tls-verify", &insecure, "cluster", err, err_size) ||
        !opt_str(us, "token", &token, "user", err, err_size) ||
        !opt_str(us, "tokenFile", &token_file, "user", err, err_size) ||
        !opt_str(us, "client-certificate-data", &cert_data, "user", err, err_size) ||
        !opt_str(us, "client-key-data", &key_data, "user", err, err_size) ||
        !opt_str(us, "client-certificate", &cert_file, "user", err, err_size) ||
        !opt_str(us, "client-key", &key_file, "user", err, err_size))
        return CCF_ERR_INVALID;
    if (server == NULL || (strncmp(server, "https://", 8) != 0 &&
                           strncmp(server, "http://", 7) != 0) || strlen(server) > 2048)
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig cluster '%s': server must "
                        "be an http(s):// URL", cluster_name);
    if (insecure != NULL && strcmp(insecure, "true") == 0)
        return ccf_errf(err, err_size, CCF_ERR_DENIED, "kubeconfig cluster '%s': "
                        "insecure-skip-tls-verify is refused (give its certificate-authority)",
                        cluster_name);
    if (json_object_get(us, "exec") != NULL || json_object_get(us, "auth-provider") != NULL)
        return ccf_errf(err, err_size, CCF_ERR_UNSUPPORTED, "kubeconfig user '%s': exec and "
                        "auth-provider plugins are not supported (use a token or a client "
                        "certificate)", user_name);
    if ((cert_data != NULL || cert_file != NULL) != (key_data != NULL || key_file != NULL))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig user '%s': a client "
                        "certificate needs its key and the other way round", user_name);
    struct { const char *in; char **out; const char *name; } data[] = {
        {ca_data, &out->ca_pem, "certificate-authority-data"},
        {cert_data, &out->cert_pem, "client-certificate-data"},
        {key_data, &out->key_pem, "client-key-data"}};
    for (size_t k = 0; k < sizeof data / sizeof data[0]; k++) {
        if (data[k].in != NULL && (*data[k].out = b64_decode(data[k].in)) == NULL) {
            ccf_k8s_kubeconfig_clear(out);
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "kubeconfig %s: not base64 of PEM "
                            "text", data[k].name);
        }
    }
    if (!dup_into(&out->server, server) || !dup_into(&out->ca_file, ca_file) ||
        !dup_into(&out->token, token) || !dup_into(&out->token_file, token_file) ||
        !dup_into(&out->cert_file, cert_file) || !dup_into(&out->key_file, key_file) ||
        !dup_into(&out->namespace_, ns)) {
        ccf_k8s_kubeconfig_clear(out);
        return ccf_errf(err, err_size, CCF_ERR_NOMEM, "out of memory");
    }
    return CCF_OK;
}

/* --- Status and Pod objects ---------------------------------------------- */

/* src into dst (at most size - 1 bytes), control characters as '?'. */
static void clean_copy(char *dst, size_t size, const char *src, size_t len)
{
    size_t n = len < size - 1 ? len : size - 1;
    for (size_t k = 0; k < n; k++)
        dst[k] = (unsigned char)src[k] < 0x20 || src[k] == 0x7f ? '?' : src[k];
    dst[n] = '\0';
}

static void copy_member(char *dst, size_t size, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        clean_copy(dst, size, json_string_value(v), json_string_length(v));
}

const char *ccf_k8s_status_describe(long status, const char *body, size_t len, char *buf,
                                    size_t size, char *reason, size_t reason_size)
{
    char r[64] = "", msg[512] = "";
    json_t *j = body != NULL && len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    if (kind != NULL && strcmp(kind, "Status") == 0) {
        copy_member(r, sizeof r, j, "reason");
        copy_member(msg, sizeof msg, j, "message");
    } else if (body != NULL) {
        clean_copy(msg, sizeof msg, body, len < 200 ? len : 200);
    }
    json_decref(j);
    if (reason != NULL && reason_size > 0)
        snprintf(reason, reason_size, "%s", r);
    snprintf(buf, size, "HTTP %ld%s%s: %s", status, r[0] ? " " : "", r,
             msg[0] ? msg : "(no message)");
    return buf;
}

static const json_t *path_get(const json_t *obj, const char *a, const char *b)
{
    const json_t *v = json_object_get(obj, a);
    return b != NULL ? json_object_get(v, b) : v;
}

ccf_err ccf_k8s_pod_read(const json_t *pod, ccf_k8s_pod_state *out, char *err, size_t err_size)
{
    memset(out, 0, sizeof *out);
    out->exit_code = -1;
    const char *kind = json_string_value(json_object_get(pod, "kind"));
    if (!json_is_object(pod) || (kind != NULL && strcmp(kind, "Pod") != 0))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "pod: not a Pod object");
    const json_t *meta = json_object_get(pod, "metadata"), *st = json_object_get(pod, "status");
    if (!json_is_object(meta))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "pod.metadata: expected an object");
    if (st != NULL && !json_is_object(st))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "pod.status: expected an object");
    copy_member(out->resource_version, sizeof out->resource_version, meta, "resourceVersion");
    copy_member(out->uid, sizeof out->uid, meta, "uid");
    out->deleting = json_object_get(meta, "deletionTimestamp") != NULL;
    copy_member(out->phase, sizeof out->phase, st, "phase");
    const json_t *conds = json_object_get(st, "conditions");
    if (conds != NULL && !json_is_array(conds))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "pod.status.conditions: expected an "
                        "array");
    for (size_t k = 0; k < json_array_size(conds); k++) {
        const json_t *c = json_array_get(conds, k);
        const char *type = json_string_value(json_object_get(c, "type"));
        const char *s = json_string_value(json_object_get(c, "status"));
        if (type == NULL || s == NULL)
            continue;
        if (strcmp(type, "Ready") == 0)
            out->ready = strcmp(s, "True") == 0;
        if (strcmp(s, "True") != 0 && out->reason[0] == '\0' &&
            json_is_string(json_object_get(c, "reason"))) {
            copy_member(out->reason, sizeof out->reason, c, "reason");
            copy_member(out->message, sizeof out->message, c, "message");
        }
    }
    const json_t *cs = json_object_get(st, "containerStatuses");
    if (cs != NULL && !json_is_array(cs))
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "pod.status.containerStatuses: "
                        "expected an array");
    const json_t *c0 = json_array_get(cs, 0);
    const json_t *term = path_get(c0, "state", "terminated");
    const json_t *wait = path_get(c0, "state", "waiting");
    if (json_is_object(term)) {
        const json_t *code = json_object_get(term, "exitCode");
        const json_t *sig = json_object_get(term, "signal");
        if (!json_is_integer(code) || (sig != NULL && !json_is_integer(sig)))
            return ccf_errf(err, err_size, CCF_ERR_INVALID, "pod.status.containerStatuses[0]."
                            "state.terminated: exitCode and signal must be integers");
        out->terminated = true;
        json_int_t c = json_integer_value(code), s = sig ? json_integer_value(sig) : 0;
        out->exit_code = c < -1 || c > 255 ? -1 : (int)c;
        out->signal = s < 0 || s > 64 ? 0 : (int)s;
        if (out->signal == 0 && out->exit_code > 128 && out->exit_code < 128 + 65)
            out->signal = out->exit_code - 128; /* as a shell reports it */
        out->reason[0] = out->message[0] = '\0';
        copy_member(out->reason, sizeof out->reason, term, "reason");
        copy_member(out->message, sizeof out->message, term, "message");
    } else if (json_is_object(wait) && json_is_string(json_object_get(wait, "reason"))) {
        out->reason[0] = out->message[0] = '\0';
        copy_member(out->reason, sizeof out->reason, wait, "reason");
        copy_member(out->message, sizeof out->message, wait, "message");
    }
    if (out->reason[0] == '\0') {
        copy_member(out->reason, sizeof out->reason, st, "reason");
        copy_member(out->message, sizeof out->message, st, "message");
    }
    return CCF_OK;
}
