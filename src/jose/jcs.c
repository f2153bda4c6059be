/* JSON Canonicalization Scheme (RFC 8785) of a jansson value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jose/internal.h"

/* Next UTF-16 code unit of a UTF-8 string: *pending holds the low surrogate
 * still owed for a supplementary code point. jansson strings are valid UTF-8;
 * a malformed byte is taken as U+FFFD so ordering stays total. */
static unsigned next_unit(const unsigned char **p, const unsigned char *end, unsigned *pending)
{
    if (*pending != 0) {
        unsigned u = *pending;
        *pending = 0;
        return u;
    }
    const unsigned char *s = *p;
    unsigned c = s[0], cp;
    size_t n;
    if (c < 0x80) {
        cp = c;
        n = 1;
    } else if ((c & 0xe0) == 0xc0 && end - s >= 2) {
        cp = (c & 0x1f) << 6 | (s[1] & 0x3f);
        n = 2;
    } else if ((c & 0xf0) == 0xe0 && end - s >= 3) {
        cp = (c & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
        n = 3;
    } else if ((c & 0xf8) == 0xf0 && end - s >= 4) {
        cp = (c & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 | (unsigned)(s[2] & 0x3f) << 6 |
             (s[3] & 0x3f);
        n = 4;
    } else {
        cp = 0xfffd;
        n = 1;
    }
    *p = s + n;
    if (cp >= 0x10000 && cp <= 0x10ffff) {
        cp -= 0x10000;
        *pending = 0xdc00 | (cp & 0x3ff);
        return 0xd800 | (cp >> 10);
    }
    return cp;
}

/* Compares two UTF-8 strings by their UTF-16 code units (RFC 8785 §3.2.3). */
static int utf16_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    const unsigned char *pa = (const unsigned char *)a, *ea = pa + alen;
    const unsigned char *pb = (const unsigned char *)b, *eb = pb + blen;
    unsigned qa = 0, qb = 0;
    while ((pa < ea || qa != 0) && (pb < eb || qb != 0)) {
        unsigned ua = next_unit(&pa, ea, &qa), ub = next_unit(&pb, eb, &qb);
        if (ua != ub)
            return ua < ub ? -1 : 1;
    }
    bool a_left = pa < ea || qa != 0, b_left = pb < eb || qb != 0;
    return a_left == b_left ? 0 : a_left ? 1 : -1;
}

typedef struct {
    const char *key;
    size_t len;
    const json_t *value;
} member;

static int member_cmp(const void *x, const void *y)
{
    const member *a = x, *b = y;
    return utf16_cmp(a->key, a->len, b->key, b->len);
}

ccf_err ccf_jcs_number(double d, char *buf, size_t bufsize)
{
    if (!isfinite(d))
        return CCF_ERR_INVALID;
    if (bufsize < 32)
        return CCF_ERR_TOO_LARGE;
    if (d == 0) { /* -0 too */
        snprintf(buf, bufsize, "0");
        return CCF_OK;
    }
    /* shortest digits that round-trip: %.*e rounds correctly, so the first
     * precision that reads back as d gives the digits ECMAScript picks */
    char e[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec - 1, d);
        if (strtod(e, NULL) == d)
            break;
    }
    /* e is [-]D[.DDD]e[+-]XX: split into digits and the decimal exponent */
    const char *p = e;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[20];
    size_t k = 0;
    for (; *p != 'e'; p++)
        if (*p != '.')
            digits[k++] = *p;
    while (k > 1 && digits[k - 1] == '0')
        k--;
    digits[k] = '\0';
    int n = atoi(p + 1) + 1; /* value = 0.digits × 10^n */
    char *o = buf;
    if (neg)
        *o++ = '-';
    if ((int)k <= n && n <= 21) {
        memcpy(o, digits, k);
        o += k;
        for (int i = 0; i < n - (int)k; i++)
            *o++ = '0';
    } else if (0 < n && n <= 21) {
        memcpy(o, digits, (size_t)n);
        o += n;
        *o++ = '.';
        memcpy(o, digits + n, k - (size_t)n);
        o += k - (size_t)n;
    } else if (-6 < n && n <= 0) {
        *o++ = '0';
        *o++ = '.';
        for (int i = 0; i < -n; i++)
            *o++ = '0';
        memcpy(o, digits, k);
        o += k;
    } else {
        *o++ = digits[0];
        if (k > 1) {
            *o++ = '.';
            memcpy(o, digits + 1, k - 1);
            o += k - 1;
        }
        /* at most 17 digits, a sign, a point and "e+308": well inside bufsize (>= 32) */
        o += snprintf(o, bufsize - (size_t)(o - buf), "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
    *o = '\0';
    return CCF_OK;
}

static ccf_err jcs_string(const char *s, size_t len, ccf_dynbuf *out)
{
    ccf_err e = ccf_dynbuf_add(out, "\"", 1);
    size_t run = 0; /* start of bytes copied as they are */
    for (size_t i = 0; i < len && e == CCF_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[8];
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(u, sizeof u, "\\u%04x", c);
                esc = u;
            }
        }
        if (esc == NULL)
            continue;
        if (i > run)
            e = ccf_dynbuf_add(out, s + run, i - run);
        if (e == CCF_OK)
            e = ccf_dynbuf_add(out, esc, strlen(esc));
        run = i + 1;
    }
    if (e == CCF_OK && len > run)
        e = ccf_dynbuf_add(out, s + run, len - run);
    if (e == CCF_OK)
        e = ccf_dynbuf_add(out, "\"", 1);
    return e;
}

static ccf_err jcs_value(const json_t *v, ccf_dynbuf *out, int depth, char *err, size_t errsz)
{
    ccf_err e = CCF_OK;
    if (depth > CCF_JOSE_MAX_JCS_DEPTH)
        return ccf_errf(err, errsz, CCF_ERR_TOO_LARGE, "JCS: nesting deeper than %d",
                        CCF_JOSE_MAX_JCS_DEPTH);
    switch (json_typeof(v)) {
    case JSON_NULL:
        e = ccf_dynbuf_add(out, "null", 4);
        break;
    case JSON_TRUE:
        e = ccf_dynbuf_add(out, "true", 4);
        break;
    case JSON_FALSE:
        e = ccf_dynbuf_add(out, "false", 5);
        break;
    case JSON_INTEGER:
    case JSON_REAL: {
        char num[40];
        double d = json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
        if (ccf_jcs_number(d, num, sizeof num) != CCF_OK)
            return ccf_errf(err, errsz, CCF_ERR_INVALID, "JCS: number is not finite");
        e = ccf_dynbuf_add(out, num, strlen(num));
        break;
    }
    case JSON_STRING:
        e = jcs_string(json_string_value(v), json_string_length(v), out);
        break;
    case JSON_ARRAY:
        e = ccf_dynbuf_add(out, "[", 1);
        for (size_t i = 0; i < json_array_size(v) && e == CCF_OK; i++) {
            if (i > 0)
                e = ccf_dynbuf_add(out, ",", 1);
            if (e == CCF_OK && (e = jcs_value(json_array_get(v, i), out, depth + 1, err,
                                               errsz)) != CCF_OK)
                return e; /* described by the nested call */
        }
        if (e == CCF_OK)
            e = ccf_dynbuf_add(out, "]", 1);
        break;
    case JSON_OBJECT: {
        size_t n = json_object_size(v), i = 0;
        member *m = n > 0 ? calloc(n, sizeof *m) : NULL;
        if (n > 0 && m == NULL)
            return ccf_errf(err, errsz, CCF_ERR_NOMEM, "JCS: out of memory");
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) {
            if (i < n) {
                m[i].key = key;
                m[i].len = strlen(key); /* jansson keys are NUL-terminated */
                m[i].value = val;
                i++;
            }
        }
        if (i > 1)
            qsort(m, i, sizeof *m, member_cmp);
        e = ccf_dynbuf_add(out, "{", 1);
        for (size_t j = 0; j < i && e == CCF_OK; j++) {
            if (j > 0)
                e = ccf_dynbuf_add(out, ",", 1);
            if (e == CCF_OK)
                e = jcs_string(m[j].key, m[j].len, out);
            if (e == CCF_OK)
                e = ccf_dynbuf_add(out, ":", 1);
            if (e == CCF_OK && (e = jcs_value(m[j].value, out, depth + 1, err, errsz)) !=
                                   CCF_OK) {
                free(m);
                return e; /* described by the nested call */
            }
        }
        free(m);
        if (e == CCF_OK)
            e = ccf_dynbuf_add(out, "}", 1);
        break;
    }
    default:
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JCS: unknown JSON type");
    }
    if (e == CCF_ERR_TOO_LARGE || e == CCF_ERR_NOMEM)
        return ccf_errf(err, errsz, e, "JCS: output buffer: %s", ccf_strerror(e));
    return e;
}

ccf_err ccf_jcs_serialize(const json_t *v, ccf_dynbuf *out, char *err, size_t errsz)
{
    if (v == NULL)
        return ccf_errf(err, errsz, CCF_ERR_INVALID, "JCS: no value");
    return jcs_value(v, out, 0, err, errsz);
}
