/* libFuzzer target for the verifier's trust configuration and the runtime's
 * launch configuration (issue 14): any bytes. A trust file that parses must
 * emit canonically and parse back to an equal configuration, whose emit is the
 * same text again; a refusal always says why. A launch text that parses must
 * encode and parse back to the same settings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attest/launch.h"
#include "attest/trust.h"

static int str_eq(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int trust_equal(const ccf_trust *a, const ccf_trust *b)
{
    if (a->ca_count != b->ca_count || a->measurement_count != b->measurement_count ||
        a->allow_development_platform != b->allow_development_platform ||
        a->allow_debug != b->allow_debug || a->allow_unsandboxed != b->allow_unsandboxed)
        return 0;
    for (size_t i = 0; i < a->ca_count; i++) {
        if (memcmp(a->cas[i].sha256, b->cas[i].sha256, CCF_SHA256_LEN) != 0 ||
            !str_eq(a->cas[i].name, b->cas[i].name))
            return 0;
    }
    for (size_t i = 0; i < a->measurement_count; i++) {
        const ccf_trust_measurement *x = &a->measurements[i], *y = &b->measurements[i];
        if (x->platform != y->platform || memcmp(x->sha256, y->sha256, CCF_SHA256_LEN) != 0 ||
            !str_eq(x->name, y->name))
            return 0;
    }
    return 1;
}

static void fuzz_trust(const uint8_t *data, size_t size)
{
    ccf_trust *t = NULL, *u = NULL;
    char *once = NULL, *twice = NULL, err[256];
    err[0] = '\0';
    if (ccf_trust_parse((const char *)data, size, &t, err, sizeof err) != CCF_OK) {
        if (t != NULL || err[0] == '\0')
            abort(); /* a refusal says why and leaks nothing */
        return;
    }
    if (t == NULL || t->ca_count > CCF_TRUST_MAX_ENTRIES ||
        t->measurement_count > CCF_TRUST_MAX_ENTRIES)
        abort();
    if (ccf_trust_emit(t, &once) != CCF_OK)
        abort();
    if (ccf_trust_parse(once, strlen(once), &u, err, sizeof err) != CCF_OK)
        abort(); /* what we emit must parse */
    if (!trust_equal(t, u))
        abort();
    if (ccf_trust_emit(u, &twice) != CCF_OK || strcmp(once, twice) != 0)
        abort(); /* canonical form is a fixed point */
    ccf_trust_free(t);
    ccf_trust_free(u);
    free(once);
    free(twice);
}

static void fuzz_launch(const uint8_t *data, size_t size)
{
    ccf_launch l, m;
    char *text = NULL, err[256];
    err[0] = '\0';
    if (ccf_launch_parse((const char *)data, size, &l, err, sizeof err) != CCF_OK) {
        if (err[0] == '\0')
            abort();
        return;
    }
    if (l.platform >= CCF_RUNTIME_COUNT || ccf_launch_encode(&l, &text) != CCF_OK)
        abort();
    if (ccf_launch_parse(text, strlen(text), &m, err, sizeof err) != CCF_OK ||
        l.platform != m.platform || l.sandbox != m.sandbox || l.debug != m.debug ||
        l.clean_environment != m.clean_environment || l.fuel != m.fuel ||
        l.max_exec_seconds != m.max_exec_seconds || l.max_file_mib != m.max_file_mib)
        abort(); /* what we encode must parse back to the same settings */
    free(text);
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_trust(data, size);
    fuzz_launch(data, size);
    return 0;
}
