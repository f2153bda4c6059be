/* Unit tests for src/vaas/k8s_parse (issue 21): the kubeconfig YAML subset
 * (what kubectl writes parses to the expected tree; every refusal names the
 * line and why), context selection (every missing or refused piece named),
 * Status replies (reason and message, sanitised, bounded) and Pod states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vaas/k8s_parse.h"

/* what `kubectl config` writes (block sequences at their key's indentation) */
static const char kubectl_style[] =
    "apiVersion: v1\n"
    "clusters:\n"
    "- cluster:\n"
    "    certificate-authority-data: LS0tLS1CRUdJTiBYLS0tLS0K\n"
    "    server: https://10.0.0.1:6443\n"
    "  name: k3s\n"
    "contexts:\n"
    "- context:\n"
    "    cluster: k3s\n"
    "    namespace: ccfaas\n"
    "    user: admin\n"
    "  name: dev # a comment\n"
    "current-context: dev\n"
    "kind: Config\n"
    "preferences: {}\n"
    "users:\n"
    "- name: admin\n"
    "  user:\n"
    "    token: \"a#b\\\"c\"\n";

static json_t *parse_ok(const char *text)
{
    json_t *root = NULL;
    char err[256] = "";
    if (ccf_k8s_yaml_parse(text, strlen(text), &root, err, sizeof err) != CCF_OK)
        fail_msg("refused: %s", err);
    return root;
}

static void test_kubectl_style(void **state)
{
    (void)state;
    json_t *root = parse_ok(kubectl_style);
    json_t *want = json_loads(
        "{\"apiVersion\":\"v1\",\"clusters\":[{\"cluster\":{\"certificate-authority-data\":"
        "\"LS0tLS1CRUdJTiBYLS0tLS0K\",\"server\":\"https://10.0.0.1:6443\"},\"name\":\"k3s\"}],"
        "\"contexts\":[{\"context\":{\"cluster\":\"k3s\",\"namespace\":\"ccfaas\",\"user\":"
        "\"admin\"},\"name\":\"dev\"}],\"current-context\":\"dev\",\"kind\":\"Config\","
        "\"preferences\":{},\"users\":[{\"name\":\"admin\",\"user\":{\"token\":\"a#b\\\"c\"}}]}",
        0, NULL);
    assert_non_null(want);
    assert_true(json_equal(root, want));
    ccf_k8s_kubeconfig kc;
    char err[256];
    assert_int_equal(ccf_k8s_kubeconfig_select(root, NULL, &kc, err, sizeof err), CCF_OK);
    assert_string_equal(kc.server, "https://10.0.0.1:6443");
    assert_string_equal(kc.ca_pem, "-----BEGIN X-----\n");
    assert_string_equal(kc.token, "a#b\"c");
    assert_string_equal(kc.namespace_, "ccfaas");
    assert_null(kc.cert_pem);
    ccf_k8s_kubeconfig_clear(&kc);
    assert_null(kc.server);
    json_decref(want);
    json_decref(root);
}

static void test_nested_and_scalars(void **state)
{
    (void)state;
    json_t *root = parse_ok("---\na:\n  - b\n  - - c\n    - 'it''s'\n  -\n    e: |\n      x\n"
                            "      y\n  - k: v\n    l: w\nempty:\nq: \"\\t\\n\\\\\"\n...\n");
    json_t *want = json_loads("{\"a\":[\"b\",[\"c\",\"it's\"],{\"e\":\"x\\ny\"},{\"k\":\"v\","
                              "\"l\":\"w\"}],\"empty\":null,\"q\":\"\\t\\n\\\\\"}", 0, NULL);
    char *got = json_dumps(root, JSON_SORT_KEYS);
    if (!json_equal(root, want))
        fail_msg("got %s", got);
    free(got);
    json_decref(want);
    json_decref(root);
    root = parse_ok("{\"a\": 1}"); /* JSON kubeconfigs as JSON */
    assert_int_equal(json_integer_value(json_object_get(root, "a")), 1);
    json_decref(root);
    root = parse_ok("# nothing\n\n");
    assert_int_equal(json_object_size(root), 0);
    json_decref(root);
}

static void test_yaml_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"a: 1\n\tb: 2\n", "line 2: a tab in the indentation"},
        {"a: 1\na: 2\n", "line 2: a duplicate"},
        {"a: 1\n  b: 2\n", "line 2: unexpected indentation"},
        {"a:\n  b: 1\n c: 2\n", "line 3: unexpected indentation"},
        {"just text\n", "line 1: expected `key: value`"},
        {"- a\n- b\n", "line 1: the document is not a mapping"},
        {"a: [1, 2]\n", "line 1: a value starting with one of"},
        {"a: &x b\n", "line 1: a value starting with one of"},
        {"a: *x\n", "line 1: a value starting with one of"},
        {"a: !!str b\n", "line 1: a value starting with one of"},
        {"a: \"open\n", "line 1: unterminated quoted scalar"},
        {"a: \"x\" y\n", "line 1: text after a quoted scalar"},
        {"a: \"\\q\"\n", "line 1: an escape other than"},
        {"a: \"\\0\"\n", "line 1: an escape other than"},
        {"a: \xff\xfe\n", "line 1: a scalar that is not UTF-8"},
        {"a:\n- b\nc: d\n- e\n", "line 4: a sequence item where a mapping key"},
        {"{\"a\": 1, \"a\": 2}", "line 1: duplicate object key"},
        {"{\"a\": ", "line 1:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *root = NULL;
        char err[256] = "";
        ccf_err rc = ccf_k8s_yaml_parse(cases[i].text, strlen(cases[i].text), &root, err,
                                        sizeof err);
        if (rc == CCF_OK || root != NULL || strstr(err, cases[i].want) == NULL)
            fail_msg("case %zu (%s): rc %d, err '%s', want '%s'", i, cases[i].text, rc, err,
                     cases[i].want);
    }
    /* depth, NUL, size */
    char deep[4096] = "";
    size_t n = 0;
    for (int d = 0; d < 40; d++)
        n += (size_t)snprintf(deep + n, sizeof deep - n, "%*sk%d:\n", d * 2, "", d);
    json_t *root = NULL;
    char err[256];
    assert_int_equal(ccf_k8s_yaml_parse(deep, n, &root, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "nested too deeply"));
    assert_int_equal(ccf_k8s_yaml_parse("a: b\0c", 6, &root, err, sizeof err), CCF_ERR_INVALID);
    assert_non_null(strstr(err, "NUL"));
    char *big = malloc(CCF_K8S_YAML_MAX + 2);
    memset(big, 'a', CCF_K8S_YAML_MAX + 1);
    assert_int_equal(ccf_k8s_yaml_parse(big, CCF_K8S_YAML_MAX + 1, &root, err, sizeof err),
                     CCF_ERR_TOO_LARGE);
    free(big);
}

static void select_refused(const char *yaml, const char *context, ccf_err want_rc,
                           const char *want)
{
    json_t *root = parse_ok(yaml);
    ccf_k8s_kubeconfig kc;
    char err[512] = "";
    ccf_err rc = ccf_k8s_kubeconfig_select(root, context, &kc, err, sizeof err);
    if (rc != want_rc || strstr(err, want) == NULL || kc.server != NULL)
        fail_msg("rc %d, err '%s', want '%s'", rc, err, want);
    json_decref(root);
}

#define CTX "current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
#define CL "clusters:\n- name: c\n  cluster:\n    server: https://h:1\n"
#define US "users:\n- name: u\n  user:\n    token: t\n"

static void test_select_refusals(void **state)
{
    (void)state;
    select_refused(CL US, NULL, CCF_ERR_INVALID, "no current-context");
    select_refused(CTX CL US, "other", CCF_ERR_INVALID, "no context named 'other'");
    select_refused(CTX US, NULL, CCF_ERR_INVALID, "no cluster named 'c'");
    select_refused(CTX CL, NULL, CCF_ERR_INVALID, "no user named 'u'");
    select_refused(CTX "clusters:\n- name: c\n  cluster:\n    server: ftp://h\n" US, NULL,
                   CCF_ERR_INVALID, "server must be an http(s):// URL");
    select_refused(CTX "clusters:\n- name: c\n  cluster:\n    server: https://h\n"
                       "    insecure-skip-tls-verify: true\n" US,
                   NULL, CCF_ERR_DENIED, "insecure-skip-tls-verify is refused");
    select_refused(CTX CL "users:\n- name: u\n  user:\n    exec:\n      command: aws\n", NULL,
                   CCF_ERR_UNSUPPORTED, "exec and auth-provider plugins are not supported");
    select_refused(CTX CL "users:\n- name: u\n  user:\n    client-certificate: a.crt\n", NULL,
                   CCF_ERR_INVALID, "a client certificate needs its key");
    select_refused(CTX CL "users:\n- name: u\n  user:\n    client-certificate-data: \"!!\"\n"
                          "    client-key-data: QUJD\n",
                   NULL, CCF_ERR_INVALID, "client-certificate-data: not base64");
    select_refused(CTX CL "users:\n- name: u\n  user:\n    token:\n      - t\n", NULL,
                   CCF_ERR_INVALID, "user.token: expected a string");
    select_refused(CTX CL "users: 5\n", NULL, CCF_ERR_INVALID, "users: expected a list");
    select_refused("current-context: x\ncontexts:\n- name: x\n  context: 5\n" CL US, NULL,
                   CCF_ERR_INVALID, "contexts[0].context: expected a mapping");
    select_refused("current-context: x\ncontexts:\n- name: x\n  context:\n    user: u\n" CL US,
                   NULL, CCF_ERR_INVALID, "needs a cluster and a user");
}

static void test_status(void **state)
{
    (void)state;
    char buf[200], reason[32];
    const char *st = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
                     "\"message\":\"pods \\\"x\\\" is forbidden:\\nexceeded quota\","
                     "\"reason\":\"Forbidden\",\"code\":403}";
    ccf_k8s_status_describe(403, st, strlen(st), buf, sizeof buf, reason, sizeof reason);
    assert_string_equal(buf, "HTTP 403 Forbidden: pods \"x\" is forbidden:?exceeded quota");
    assert_string_equal(reason, "Forbidden");
    ccf_k8s_status_describe(502, "<html>\r\nbad gateway", 19, buf, sizeof buf, reason,
                            sizeof reason);
    assert_string_equal(buf, "HTTP 502: <html>??bad gateway");
    assert_string_equal(reason, "");
    ccf_k8s_status_describe(500, NULL, 0, buf, sizeof buf, NULL, 0);
    assert_string_equal(buf, "HTTP 500: (no message)");
    ccf_k8s_status_describe(403, st, strlen(st), buf, 12, reason, 4); /* cut, terminated */
    assert_string_equal(buf, "HTTP 403 Fo");
    assert_string_equal(reason, "For");
}

static void pod_ok(const char *text, ccf_k8s_pod_state *ps)
{
    json_t *pod = json_loads(text, 0, NULL);
    char err[256];
    assert_non_null(pod);
    if (ccf_k8s_pod_read(pod, ps, err, sizeof err) != CCF_OK)
        fail_msg("%s", err);
    json_decref(pod);
}

static void test_pod(void **state)
{
    (void)state;
    ccf_k8s_pod_state ps;
    pod_ok("{\"kind\":\"Pod\",\"metadata\":{\"uid\":\"u1\",\"resourceVersion\":\"9\"},\"status\":"
           "{\"phase\":\"Running\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
           &ps);
    assert_string_equal(ps.phase, "Running");
    assert_true(ps.ready);
    assert_false(ps.terminated);
    assert_int_equal(ps.exit_code, -1);
    assert_string_equal(ps.uid, "u1");
    assert_string_equal(ps.resource_version, "9");
    pod_ok("{\"metadata\":{\"deletionTimestamp\":\"x\"},\"status\":{\"phase\":\"Failed\","
           "\"containerStatuses\":[{\"state\":{\"terminated\":{\"exitCode\":137,\"reason\":"
           "\"OOMKilled\"}}}]}}", &ps);
    assert_true(ps.terminated);
    assert_int_equal(ps.exit_code, 137);
    assert_int_equal(ps.signal, 9);
    assert_string_equal(ps.reason, "OOMKilled");
    assert_true(ps.deleting);
    pod_ok("{\"metadata\":{},\"status\":{\"phase\":\"Pending\",\"conditions\":[{\"type\":"
           "\"PodScheduled\",\"status\":\"False\",\"reason\":\"Unschedulable\",\"message\":"
           "\"0/3 nodes\"}]}}", &ps);
    assert_string_equal(ps.reason, "Unschedulable");
    assert_string_equal(ps.message, "0/3 nodes");
    assert_false(ps.ready);
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"[]", "not a Pod object"},
        {"{\"kind\":\"Service\",\"metadata\":{}}", "not a Pod object"},
        {"{\"kind\":\"Pod\"}", "pod.metadata: expected an object"},
        {"{\"metadata\":{},\"status\":5}", "pod.status: expected an object"},
        {"{\"metadata\":{},\"status\":{\"conditions\":{}}}", "conditions: expected an array"},
        {"{\"metadata\":{},\"status\":{\"containerStatuses\":1}}", "expected an array"},
        {"{\"metadata\":{},\"status\":{\"containerStatuses\":[{\"state\":{\"terminated\":"
         "{\"exitCode\":\"1\"}}}]}}", "exitCode and signal must be integers"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *pod = json_loads(bad[i].text, 0, NULL);
        char err[256] = "";
        assert_non_null(pod);
        if (ccf_k8s_pod_read(pod, &ps, err, sizeof err) == CCF_OK ||
            strstr(err, bad[i].want) == NULL)
            fail_msg("case %zu: err '%s', want '%s'", i, err, bad[i].want);
        json_decref(pod);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kubectl_style),   cmocka_unit_test(test_nested_and_scalars),
        cmocka_unit_test(test_yaml_refusals),   cmocka_unit_test(test_select_refusals),
        cmocka_unit_test(test_status),          cmocka_unit_test(test_pod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
