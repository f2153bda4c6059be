/* libFuzzer target for the body of CCFaaS POST /task (src/ccfaas/task_request.h):
 * any bytes. A refusal always says why; an accepted request respects the
 * limits the parser promises (counts, sizes, file names, timeout). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ccfaas/task_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ccf_task_request *r = NULL;
    char err[512] = "";
    if (ccf_task_request_parse((const char *)data, size, &r, err, sizeof err) != CCF_OK) {
        if (err[0] == '\0' || r != NULL)
            abort();
        return 0;
    }
    if (r->function == NULL || r->trust == NULL || r->input_count > CCF_TASK_MAX_ITEMS ||
        r->secret_count > CCF_TASK_MAX_ITEMS || r->output_count > CCF_TASK_MAX_ITEMS ||
        r->timeout_s < 1 || r->timeout_s > CCF_TASK_MAX_TIMEOUT_S)
        abort();
    for (size_t i = 0; i < r->input_count; i++)
        if (!ccf_task_file_name_ok(r->inputs[i].name) ||
            (r->inputs[i].uri == NULL) == (r->inputs[i].data == NULL))
            abort();
    for (size_t i = 0; i < r->secret_count; i++)
        if (!ccf_task_file_name_ok(r->secrets[i].name) || r->secrets[i].len > CCF_TASK_MAX_SECRET)
            abort();
    for (size_t i = 0; i < r->output_count; i++)
        if (!ccf_task_file_name_ok(r->outputs[i]))
            abort();
    ccf_task_request_free(r);
    return 0;
}
