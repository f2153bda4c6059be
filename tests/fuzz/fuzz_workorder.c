/* libFuzzer target for the work-order protocol rules (workorder/proto.h):
 * the JSON-RPC envelope, WorkOrderSubmit's params checks and the two hashes,
 * on arbitrary bytes. Checked contracts: a parse either succeeds with a known
 * method and object params, or fails with code 2 or -32601 and a message;
 * params that pass ccf_wo_submit_check always hash (the request hash cannot
 * fail after the check); hashing is deterministic; nothing leaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "workorder/proto.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_wo_rpc rpc;
    char err[512];
    int code = 0;
    uint8_t h1[32], h2[32];

    err[0] = '\0';
    if (ccf_wo_rpc_parse((const char *)data, size, &rpc, &code, err, sizeof err) == CCF_OK) {
        CHECK(code == CCF_WO_SUCCESS);
        CHECK(ccf_wo_method_name(rpc.method) != NULL);
        CHECK(json_is_object(rpc.params) && rpc.id != NULL);
        if (ccf_wo_submit_check(rpc.params, err, sizeof err) == CCF_OK) {
            CHECK(ccf_wo_request_hash(rpc.params, h1));
            CHECK(ccf_wo_request_hash(rpc.params, h2));
            CHECK(memcmp(h1, h2, 32) == 0);
        } else {
            CHECK(err[0] != '\0');
        }
        /* the response hash of whatever the params hold: never a crash */
        (void)ccf_wo_response_hash(rpc.params, h1);
    } else {
        CHECK(code == CCF_WO_INVALID_PARAMETER || code == CCF_WO_METHOD_NOT_FOUND);
        CHECK(err[0] != '\0');
    }
    ccf_wo_rpc_clear(&rpc);
    return 0;
}
