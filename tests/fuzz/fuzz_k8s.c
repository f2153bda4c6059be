/* libFuzzer target for what the kubernetes backend reads from outside (issue
 * 21, src/vaas/k8s_parse.h): the first byte picks the parser, the rest is its
 * input. 0: a kubeconfig (the YAML subset, then the context's cluster and
 * user; a parse refusal must say why); 1: an API server's error reply
 * (Status); 2: a Pod object. Nothing may crash, leak or read out of bounds;
 * a kubeconfig tree that parses is an object; the texts stay NUL-terminated
 * within their buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vaas/k8s_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    char err[512] = "";
    switch (data[0] % 3) {
    case 0: {
        json_t *root = NULL;
        if (ccf_k8s_yaml_parse(text, len, &root, err, sizeof err) != CCF_OK) {
            if (err[0] == '\0' || root != NULL)
                abort(); /* a refusal says why and gives nothing */
            break;
        }
        if (!json_is_object(root))
            abort();
        ccf_k8s_kubeconfig kc;
        if (ccf_k8s_kubeconfig_select(root, NULL, &kc, err, sizeof err) == CCF_OK) {
            if (kc.server == NULL || (strncmp(kc.server, "http://", 7) != 0 &&
                                      strncmp(kc.server, "https://", 8) != 0))
                abort();
        } else if (kc.server != NULL || kc.token != NULL || err[0] == '\0') {
            abort(); /* cleared on error */
        }
        ccf_k8s_kubeconfig_clear(&kc);
        json_decref(root);
        break;
    }
    case 1: {
        char buf[300], reason[32];
        ccf_k8s_status_describe(409, text, len, buf, sizeof buf, reason, sizeof reason);
        if (strnlen(buf, sizeof buf) == sizeof buf || strnlen(reason, sizeof reason) ==
                                                          sizeof reason)
            abort();
        for (const char *p = buf; *p; p++)
            if ((unsigned char)*p < 0x20)
                abort(); /* one line for logs and JSON messages */
        break;
    }
    default: {
        json_t *pod = json_loadb(text, len, 0, NULL);
        ccf_k8s_pod_state st;
        if (ccf_k8s_pod_read(pod, &st, err, sizeof err) == CCF_OK) {
            if (strnlen(st.phase, sizeof st.phase) == sizeof st.phase ||
                strnlen(st.message, sizeof st.message) == sizeof st.message)
                abort();
            if (!st.terminated && st.exit_code != -1)
                abort();
        }
        json_decref(pod);
        break;
    }
    }
    return 0;
}
