/* Cocos computation manifests (issue 20, docs/tasks.md "The Cocos flow"),
 * the format of spec/cocos-coco-kbs.md as written: a pure parser, no I/O,
 * fuzzed by tests/fuzz/fuzz_computation.c.
 *
 *   {"computation_id": "1",
 *    "algorithm": {"type": "oci-image", "uri": "docker://HOST/REPO:TAG",
 *                  "encrypted": true, "kbs_resource_path": "default/key/algo-key"},
 *    "datasets": [{same members}, ...],
 *    "kbs_url": "http://192.168.100.15:8080"}
 *
 * Strict: unknown members and wrong types are refused with the JSON path
 * ("datasets[0].type: \"s3\" is not supported (only \"oci-image\")").
 * computation_id: 1-64 of A-Za-z0-9-_.; algorithm required; datasets 0-64;
 * type "oci-image"; uri a docker:// reference (oci/oci.h); encrypted
 * optional (false); kbs_resource_path R/T/G, required exactly when
 * encrypted; kbs_url http(s)://HOST:PORT, required when something is
 * encrypted.
 *
 * Ownership: free with ccf_computation_free (NULL-safe). */
#ifndef CCF_CCFAAS_COMPUTATION_H
#define CCF_CCFAAS_COMPUTATION_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "oci/oci.h"

#define CCF_COMPUTATION_MAX_DATASETS 64

typedef struct {
    char *uri;
    ccf_oci_ref ref;
    bool encrypted;
    char *kbs_resource_path; /* NULL unless encrypted */
} ccf_computation_source;

typedef struct {
    char *id;
    ccf_computation_source algorithm;
    ccf_computation_source *datasets;
    size_t dataset_count;
    char *kbs_url; /* NULL when absent */
} ccf_computation;

ccf_err ccf_computation_parse(const char *text, size_t len, ccf_computation **out, char *err,
                              size_t err_size) __attribute__((warn_unused_result));
void ccf_computation_free(ccf_computation *c);
/* true when the algorithm or a dataset is encrypted */
bool ccf_computation_encrypted(const ccf_computation *c);

#endif
