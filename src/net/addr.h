/* The one ADDR:PORT parser: what `--listen` (control plane and data plane)
 * and `ccfaas up --host` addresses are checked with. Pure: no name lookup,
 * no I/O (part of ccf_net_core, linked by the trusted runtime).
 *
 * Rule (docs/cli.md):
 *   ADDR:PORT where ADDR is an IPv4 address in dotted form (0.0.0.0 = every
 *   interface), an IPv6 address in brackets ([::1], [::] = every interface),
 *   or `localhost` (= 127.0.0.1); PORT is 1 to 5 decimal digits, 0-65535
 *   (0 = any free port). Nothing may be left out: `:8080` (no address),
 *   `127.0.0.1` and `127.0.0.1:` (no port), unbracketed IPv6 and host names
 *   are refused, so that the address bound is exactly the one written. */
#ifndef CCF_NET_ADDR_H
#define CCF_NET_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"

typedef struct {
    struct sockaddr_storage ss; /* AF_INET or AF_INET6, port set */
    socklen_t len;              /* bytes of ss in use, for bind() */
} ccf_addr;

/* Parses text by the rule above into *out. CCF_ERR_INVALID with err naming
 * the text and the rule when it does not follow it. */
ccf_err ccf_addr_parse(const char *text, ccf_addr *out, char *err, size_t err_size)
    __attribute__((warn_unused_result));

/* The port of a parsed (or getsockname'd) address, host byte order. */
uint16_t ccf_addr_port(const struct sockaddr_storage *ss);

#endif
