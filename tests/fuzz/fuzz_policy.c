/* libFuzzer target for the policy parser: any bytes, every kind. A document
 * that parses must emit canonically and parse back, to the same text again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

static void check_round_trip(const ccf_policy *p)
{
    char *once = NULL, *twice = NULL;
    ccf_policy *q = NULL;
    if (ccf_policy_emit(p, &once) != CCF_OK)
        abort();
    if (ccf_policy_parse(once, strlen(once), p->kind, &q, NULL) != CCF_OK)
        abort(); /* what we emit must be valid */
    if (ccf_policy_emit(q, &twice) != CCF_OK || strcmp(once, twice) != 0)
        abort(); /* canonical form is a fixed point */
    ccf_policy_free(q);
    free(once);
    free(twice);
}

/* libFuzzer's entry point (declared here: libFuzzer ships no header for it). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_policy_errors errors;
    for (int kind = CCF_POLICY_AUTO; kind <= CCF_POLICY_FULL; kind++) {
        ccf_policy *p = NULL;
        ccf_err rc = ccf_policy_parse((const char *)data, size, (ccf_policy_kind)kind, &p, &errors);
        if (rc == CCF_OK) {
            if (p == NULL || errors.count != 0)
                abort();
            check_round_trip(p);
        } else if (p != NULL || errors.count == 0 || errors.count > CCF_POLICY_MAX_ERRORS) {
            abort(); /* a refusal always says why, and never leaks a policy */
        }
        ccf_policy_free(p);
    }
    return 0;
}
