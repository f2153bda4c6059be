/* `ccfaas identity new NAME [--days N] [--dir DIR]`: a user identity
 * (NAME.crt + NAME.key) to put into policies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "client/identity.h"

static const char identity_usage[] =
    "usage: ccfaas identity new NAME [--days N] [--dir DIR]\n"
    "\n"
    "Creates DIR/NAME.crt (self-signed X.509, P-256, CN=NAME, valid N days, default 365)\n"
    "and DIR/NAME.key (its private key, mode 0600); DIR defaults to the current\n"
    "directory. Existing files are never overwritten. Put the certificate into a\n"
    "policy's identities; give both to `ccfaas client --identity NAME.crt --key NAME.key`.\n";

int ccf_cmd_identity(int argc, char **argv)
{
    const char *name = NULL, *dir = ".";
    unsigned long days = CCF_IDENTITY_DEFAULT_DAYS;
    char crt[4096], key[4096], fp[65], err[512];

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(identity_usage, stdout);
        return CCF_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "new") != 0) {
        fputs(identity_usage, stderr);
        return CCF_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(identity_usage, stdout);
            return CCF_EXIT_OK;
        } else if (strcmp(a, "--days") == 0 && i + 1 < argc) {
            const char *v = argv[++i];
            char *end = NULL;
            errno = 0;
            days = strtoul(v, &end, 10);
            if (v[0] < '0' || v[0] > '9' || errno != 0 || *end != '\0' || days < 1 ||
                days > CCF_IDENTITY_MAX_DAYS) {
                fprintf(stderr, "ccfaas identity new: --days: expected 1-%d, got '%s'\n",
                        CCF_IDENTITY_MAX_DAYS, v);
                return CCF_EXIT_USAGE;
            }
        } else if (strcmp(a, "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (a[0] == '-') {
            fprintf(stderr, "ccfaas identity new: unknown option or missing value '%s'\n", a);
            return CCF_EXIT_USAGE;
        } else if (name == NULL) {
            name = a;
        } else {
            fprintf(stderr, "ccfaas identity new: one NAME only ('%s' is extra)\n", a);
            return CCF_EXIT_USAGE;
        }
    }
    if (name == NULL) {
        fputs(identity_usage, stderr);
        return CCF_EXIT_USAGE;
    }
    if (!ccf_identity_name_ok(name)) {
        fprintf(stderr, "ccfaas identity new: '%s': use 1-64 of A-Z a-z 0-9 . _ - (not "
                        "starting with . or -)\n", name);
        return CCF_EXIT_USAGE;
    }
    if (ccf_identity_new(dir, name, (unsigned)days, crt, key, sizeof crt, fp, err, sizeof err) !=
        CCF_OK) {
        fprintf(stderr, "ccfaas identity new: %s\n", err);
        return CCF_EXIT_FAIL;
    }
    printf("certificate: %s (valid %lu days)\nprivate key: %s (mode 0600; keep it secret)\n"
           "sha256 fingerprint: %s\n",
           crt, days, key, fp);
    return CCF_EXIT_OK;
}
