/* ADDR:PORT parsing (see addr.h). */
#include "net/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

uint16_t ccf_addr_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
    return 0;
}

/* 1-5 decimal digits, at most 65535. */
static int parse_port(const char *s)
{
    size_t n = strlen(s);
    unsigned long v = 0;
    if (n == 0 || n > 5 || strspn(s, "0123456789") != n)
        return -1;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned long)(s[i] - '0');
    return v > 65535 ? -1 : (int)v;
}

ccf_err ccf_addr_parse(const char *text, ccf_addr *out, char *err, size_t err_size)
{
    char host[INET6_ADDRSTRLEN];
    const char *port_s = NULL;
    size_t hlen;
    int port;
    bool v6 = false;

    memset(out, 0, sizeof *out);
    if (text == NULL || text[0] == '\0')
        return ccf_errf(err, err_size, CCF_ERR_INVALID, "empty address: expected ADDR:PORT");
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            goto bad;
        hlen = (size_t)(close - text - 1);
        if (hlen >= sizeof host)
            goto bad;
        memcpy(host, text + 1, hlen);
        port_s = close + 2;
        v6 = true;
    } else {
        const char *colon = strchr(text, ':');
        if (colon == NULL || strchr(colon + 1, ':') != NULL) /* IPv6 needs brackets */
            goto bad;
        hlen = (size_t)(colon - text);
        if (hlen >= sizeof host)
            goto bad;
        memcpy(host, text, hlen);
        port_s = colon + 1;
    }
    host[hlen] = '\0';
    if (hlen == 0 || (port = parse_port(port_s)) < 0)
        goto bad;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)(void *)&out->ss;
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            goto bad;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        out->len = sizeof *a;
        return CCF_OK;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)(void *)&out->ss;
    /* inet_pton takes exactly dotted-quad decimal: no "1.2.3", no octal */
    if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &a->sin_addr) != 1)
        goto bad;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    out->len = sizeof *a;
    return CCF_OK;
bad:
    memset(out, 0, sizeof *out);
    return ccf_errf(err, err_size, CCF_ERR_INVALID,
                    "address '%s' is not ADDR:PORT (an IPv4 address, [IPv6] or localhost, "
                    "then a port 0-65535)",
                    text);
}
