/* The CCFaaS REST client (src/client/ccfaas_api.h) against the real CCFaaS
 * service, in this process on a loopback port; its VaaS URL points at a
 * closed port, so instance creation fails the way it does when VaaS is down. */
#define _GNU_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "ccfaas/ccfaas.h"
#include "client/ccfaas_api.h"
#include "common/crypto.h"
#include "net/auth.h"
#include "net/http_server.h"

struct fixture {
    char admin[CCF_AUTH_TOKEN_LEN + 1], op[CCF_AUTH_TOKEN_LEN + 1], op2[CCF_AUTH_TOKEN_LEN + 1],
        user[CCF_AUTH_TOKEN_LEN + 1];
    char dir[64];
    ccf_ccfaas *svc;
    ccf_http_server *srv;
    ccf_ccfaas_api *api;
    char url[64];
};

static const char program[] = "\0asm\1\0\0\0"; /* bytes: CCFaaS checks the hash only */
#define PROGRAM_LEN (sizeof program - 1)

static int rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    char err[512];
    if (f == NULL)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/test-ccfaas-api-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    /* port 9 (discard) on loopback: nothing listens, VaaS is "down" */
    ccf_ccfaas_config cc = {.data_dir = f->dir, .vaas_url = "http://127.0.0.1:9"};
    ccf_http_config hc = {.listen = "127.0.0.1:0", .service = "ccfaas", .quiet = true};
    if (ccf_ccfaas_new(&cc, &f->svc, err, sizeof err) != CCF_OK ||
        ccf_http_server_new(&hc, &f->srv, err, sizeof err) != CCF_OK ||
        ccf_ccfaas_mount(f->svc, f->srv) != CCF_OK ||
        ccf_http_server_start(f->srv, err, sizeof err) != CCF_OK) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u/", ccf_http_server_port(f->srv));
    if (ccf_ccfaas_api_new(f->url, &f->api, err, sizeof err) != CCF_OK)
        return -1;
    /* callers: an admin (the handle speaks as it), an operator, two users */
    char tokens[512];
    snprintf(tokens, sizeof tokens, "%s/%s", f->dir, CCF_AUTH_TOKENS_FILE);
    if (ccf_auth_add(tokens, "root", CCF_ROLE_ADMIN, f->admin, err, sizeof err) != CCF_OK ||
        ccf_auth_add(tokens, "olga", CCF_ROLE_OPERATOR, f->op, err, sizeof err) != CCF_OK ||
        ccf_auth_add(tokens, "olaf", CCF_ROLE_OPERATOR, f->op2, err, sizeof err) != CCF_OK ||
        ccf_auth_add(tokens, "ulla", CCF_ROLE_USER, f->user, err, sizeof err) != CCF_OK)
        return -1;
    ccf_ccfaas_api_set_token(f->api, f->admin);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    ccf_ccfaas_api_free(f->api);
    ccf_http_server_stop(f->srv);
    ccf_ccfaas_free(f->svc);
    ccf_http_server_free(f->srv);
    rm_rf(f->dir);
    free(f);
    return 0;
}

/* A program policy for function `name` with one program of the bytes above. */
static char *policy(const char *name, const char *pi_hash)
{
    json_t *p = json_pack("{s:s, s:s, s:[{s:I, s:s, s:s, s:[{s:s, s:I}]}]}", "function", name,
                          "execution_strategy", "Interpretation", "programs", "id",
                          (json_int_t)0, "pi_hash", pi_hash, "program_file_name", "p.wasm",
                          "file_rights", "file_name", "output", "rights", (json_int_t)533572);
    char *s = json_dumps(p, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(p);
    return s;
}

/* Roles and ownership through the client: no token 401, wrong role 403,
 * another operator's function 403 and unchanged, its owner may delete it. */
static void test_roles(void **state)
{
    struct fixture *f = *state;
    char err[1024], hash[CCF_SHA256_HEX_LEN + 1];
    bool existed, skipped;
    ccf_ccfaas_api_reply r = {0};
    assert_true(ccf_sha256_hex(program, PROGRAM_LEN, hash));
    char *pol = policy("fn-r", hash);

    ccf_ccfaas_api_set_token(f->api, NULL);
    assert_int_equal(ccf_ccfaas_api_function_list(f->api, &r, err, sizeof err), CCF_ERR_DENIED);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 401);
    assert_non_null(strstr(err, "unauthenticated"));
    assert_non_null(strstr(err, "CCFAAS_TOKEN"));
    ccf_ccfaas_api_set_token(f->api, f->user);
    assert_int_equal(ccf_ccfaas_api_function_register(f->api, pol, strlen(pol), &existed, err,
                                                      sizeof err),
                     CCF_ERR_DENIED);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 403);
    assert_non_null(strstr(err, "forbidden"));
    ccf_ccfaas_api_set_token(f->api, f->op);
    assert_int_equal(ccf_ccfaas_api_function_register(f->api, pol, strlen(pol), &existed, err,
                                                      sizeof err),
                     CCF_OK);
    /* an operator may not make instances */
    assert_int_equal(ccf_ccfaas_api_instance_list(f->api, &r, err, sizeof err), CCF_ERR_DENIED);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 403);
    /* another operator: refused at upload and delete; the function is unchanged */
    ccf_ccfaas_api_set_token(f->api, f->op2);
    assert_int_equal(ccf_ccfaas_api_file_upload(f->api, "fn-r", CCF_CCFAAS_PROGRAM, "p.wasm",
                                                program, PROGRAM_LEN, false, &skipped, err,
                                                sizeof err),
                     CCF_ERR_DENIED);
    assert_non_null(strstr(err, "forbidden: function \"fn-r\" belongs to another operator"));
    assert_int_equal(ccf_ccfaas_api_function_delete(f->api, "fn-r", err, sizeof err),
                     CCF_ERR_DENIED);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 403);
    /* a user reads the catalogue: the function is there, with its owner */
    ccf_ccfaas_api_set_token(f->api, f->user);
    assert_int_equal(ccf_ccfaas_api_function_list(f->api, &r, err, sizeof err), CCF_OK);
    json_t *fn0 = json_array_get(json_object_get(r.json, "functions"), 0);
    assert_string_equal(json_string_value(json_object_get(fn0, "owner")), "olga");
    assert_int_equal(json_integer_value(json_object_get(fn0, "programs_uploaded")), 0);
    ccf_ccfaas_api_reply_free(&r);
    /* a user's instance list holds no one else's (none here) */
    assert_int_equal(ccf_ccfaas_api_instance_list(f->api, &r, err, sizeof err), CCF_OK);
    assert_int_equal(json_array_size(json_object_get(r.json, "instances")), 0);
    ccf_ccfaas_api_reply_free(&r);
    assert_int_equal(ccf_ccfaas_api_instance_show(f->api, "nope", &r, err, sizeof err),
                     CCF_ERR_NOT_FOUND);
    /* the owner uploads and deletes */
    ccf_ccfaas_api_set_token(f->api, f->op);
    assert_int_equal(ccf_ccfaas_api_file_upload(f->api, "fn-r", CCF_CCFAAS_PROGRAM, "p.wasm",
                                                program, PROGRAM_LEN, false, &skipped, err,
                                                sizeof err),
                     CCF_OK);
    assert_int_equal(ccf_ccfaas_api_function_delete(f->api, "fn-r", err, sizeof err), CCF_OK);
    free(pol);
}

static void test_new(void **state)
{
    (void)state;
    ccf_ccfaas_api *api = (ccf_ccfaas_api *)1;
    char err[256];
    assert_int_equal(ccf_ccfaas_api_new("ftp://x", &api, err, sizeof err), CCF_ERR_INVALID);
    assert_null(api);
    assert_non_null(strstr(err, "http://"));
    assert_int_equal(ccf_ccfaas_api_new("http://", &api, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_ccfaas_api_new(NULL, &api, err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_ccfaas_api_new("http://h:1///", &api, err, sizeof err), CCF_OK);
    assert_string_equal(ccf_ccfaas_api_url(api), "http://h:1");
    assert_int_equal(ccf_ccfaas_api_status(api), 0);
    ccf_ccfaas_api_free(api);
    ccf_ccfaas_api_free(NULL);
    ccf_ccfaas_api_reply_free(NULL);
}

static void test_function_lifecycle(void **state)
{
    struct fixture *f = *state;
    char err[1024], hash[CCF_SHA256_HEX_LEN + 1];
    bool existed = true, skipped = true;
    ccf_ccfaas_api_reply r = {0};
    assert_true(ccf_sha256_hex(program, PROGRAM_LEN, hash));
    char *pol = policy("fn-a", hash);

    assert_int_equal(ccf_ccfaas_api_function_register(f->api, pol, strlen(pol), &existed, err,
                                                      sizeof err), CCF_OK);
    assert_false(existed);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 201);
    assert_int_equal(ccf_ccfaas_api_file_upload(f->api, "fn-a", CCF_CCFAAS_PROGRAM, "p.wasm",
                                                program, PROGRAM_LEN, false, &skipped, err,
                                                sizeof err), CCF_OK);
    assert_false(skipped);

    /* again with the same policy: re-runnable; the program already there is skipped */
    assert_int_equal(ccf_ccfaas_api_function_register(f->api, pol, strlen(pol), &existed, err,
                                                      sizeof err), CCF_OK);
    assert_true(existed);
    assert_int_equal(ccf_ccfaas_api_file_upload(f->api, "fn-a", CCF_CCFAAS_PROGRAM, "p.wasm",
                                                program, PROGRAM_LEN, true, &skipped, err,
                                                sizeof err), CCF_OK);
    assert_true(skipped);
    /* the same 409 for a caller that did not register before is the refusal */
    assert_int_equal(ccf_ccfaas_api_file_upload(f->api, "fn-a", CCF_CCFAAS_PROGRAM, "p.wasm",
                                                program, PROGRAM_LEN, false, &skipped, err,
                                                sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 409);

    /* list and show */
    assert_int_equal(ccf_ccfaas_api_function_list(f->api, &r, err, sizeof err), CCF_OK);
    assert_int_equal(json_array_size(json_object_get(r.json, "functions")), 1);
    ccf_ccfaas_api_reply_free(&r);
    assert_int_equal(ccf_ccfaas_api_function_show(f->api, "fn-a", &r, err, sizeof err), CCF_OK);
    assert_int_equal(r.len, strlen(pol));
    assert_memory_equal(r.body, pol, r.len);
    ccf_ccfaas_api_reply_free(&r);
    ccf_ccfaas_api_reply_free(&r); /* idempotent */

    /* delete, then it is gone */
    assert_int_equal(ccf_ccfaas_api_function_delete(f->api, "fn-a", err, sizeof err), CCF_OK);
    assert_int_equal(ccf_ccfaas_api_function_show(f->api, "fn-a", &r, err, sizeof err),
                     CCF_ERR_NOT_FOUND);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 404);
    assert_non_null(strstr(err, "not_found: ")); /* the service's own CODE: message */
    assert_null(r.body);
    free(pol);
}

static void test_refusals(void **state)
{
    struct fixture *f = *state;
    char err[1024], hash[CCF_SHA256_HEX_LEN + 1];
    bool existed, skipped;
    assert_true(ccf_sha256_hex(program, PROGRAM_LEN, hash));
    char *pol = policy("fn-b", hash), *other = policy("fn-b", "00");

    /* not JSON / no function member: refused before anything is sent */
    assert_int_equal(ccf_ccfaas_api_function_register(f->api, "{]", 2, &existed, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 0);
    assert_non_null(strstr(err, "\"function\""));
    /* an invalid program policy: the service's 400 */
    assert_int_equal(ccf_ccfaas_api_function_register(f->api, "{\"function\":\"x\"}", 16,
                                                      &existed, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 400);
    /* registered with another policy: the 409 stands */
    assert_int_equal(ccf_ccfaas_api_function_register(f->api, pol, strlen(pol), &existed, err,
                                                      sizeof err), CCF_OK);
    json_t *j = json_loads(pol, 0, NULL);
    json_object_set_new(j, "execution_strategy", json_string("JIT"));
    char *changed = json_dumps(j, 0);
    json_decref(j);
    assert_int_equal(ccf_ccfaas_api_function_register(f->api, changed, strlen(changed), &existed,
                                                      err, sizeof err), CCF_ERR_INVALID);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 409);
    assert_false(existed);
    /* bytes that do not hash to pi_hash; unknown program; unknown function */
    assert_int_equal(ccf_ccfaas_api_file_upload(f->api, "fn-b", CCF_CCFAAS_PROGRAM, "p.wasm", "x",
                                                1, false, &skipped, err, sizeof err),
                     CCF_ERR_INVALID);
    assert_int_equal(ccf_ccfaas_api_status(f->api), 409);
    assert_int_equal(ccf_ccfaas_api_file_upload(f->api, "fn-b", CCF_CCFAAS_DATA_FILE, "nope", "x", 1,
                                                false, &skipped, err, sizeof err),
                     CCF_ERR_NOT_FOUND);
    assert_int_equal(ccf_ccfaas_api_function_delete(f->api, "no such/fn", err, sizeof err),
                     CCF_ERR_NOT_FOUND);
    /* instances: unknown ones, and creation while VaaS is down */
    ccf_ccfaas_api_reply r = {0};
    const char *id = "x", *full = "x";
    size_t len = 1;
    assert_int_equal(ccf_ccfaas_api_instance_show(f->api, "nope", &r, err, sizeof err),
                     CCF_ERR_NOT_FOUND);
    assert_int_equal(ccf_ccfaas_api_instance_delete(f->api, "nope", err, sizeof err),
                     CCF_ERR_NOT_FOUND);
    assert_int_equal(ccf_ccfaas_api_instance_list(f->api, &r, err, sizeof err), CCF_OK);
    assert_int_equal(json_array_size(json_object_get(r.json, "instances")), 0);
    ccf_ccfaas_api_reply_free(&r);
    assert_int_not_equal(ccf_ccfaas_api_instance_create(f->api, "{}", 2, &r, &id, &full, &len, err,
                                                        sizeof err), CCF_OK);
    assert_true(ccf_ccfaas_api_status(f->api) >= 400);
    assert_null(id);
    assert_null(full);
    assert_int_equal(len, 0);
    assert_null(r.body);
    free(pol);
    free(other);
    free(changed);
}

static void test_unreachable(void **state)
{
    (void)state;
    ccf_ccfaas_api *api = NULL;
    ccf_ccfaas_api_reply r = {0};
    char err[512];
    bool existed;
    assert_int_equal(ccf_ccfaas_api_new("http://127.0.0.1:9", &api, err, sizeof err), CCF_OK);
    assert_int_equal(ccf_ccfaas_api_function_list(api, &r, err, sizeof err), CCF_ERR_IO);
    assert_int_equal(ccf_ccfaas_api_status(api), 0);
    assert_non_null(strstr(err, "127.0.0.1:9"));
    assert_int_equal(ccf_ccfaas_api_function_register(api, "{\"function\":\"f\"}", 16, &existed,
                                                      err, sizeof err), CCF_ERR_IO);
    ccf_ccfaas_api_free(api);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new),
        cmocka_unit_test_setup_teardown(test_function_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles, setup, teardown),
        cmocka_unit_test(test_unreachable),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
