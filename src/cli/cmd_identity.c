/* `ccfaas identity new NAME [--days N] [--dir DIR]`: a user identity
 * (NAME.crt + NAME.key) to put into policies. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "client/identity.h"

int ccf_cmd_identity(int argc, char **argv)
{
    const char *dir = ".";
    long days = CCF_IDENTITY_DEFAULT_DAYS;
    char crt[4096], key[4096], fp[65], err[512];
    ccf_opt_args args = {0};
    const ccf_opt_cmd cmd = {
        .cmd = "identity new", .args = "NAME", .min_args = 1, .max_args = 1,
        .about = "Creates DIR/NAME.crt (self-signed X.509, P-256, CN=NAME, valid N days, default 365)\n"
                 "and DIR/NAME.key (its private key, mode 0600); DIR defaults to the current\n"
                 "directory. Existing files are never overwritten. Put the certificate into a\n"
                 "policy's identities; give both to `ccfaas client --identity NAME.crt --key NAME.key`.\n"};
    const ccf_opt opts[] = {
        {.name = "days", .kind = CCF_OPT_NUM, .dest = &days, .value = "N",
         .help = "validity in days (default 365)", .min = 1, .max = CCF_IDENTITY_MAX_DAYS},
        {.name = "dir", .kind = CCF_OPT_STRING, .dest = &dir, .value = "DIR",
         .help = "where to write NAME.crt and NAME.key (default .)"},
        {0}};
    int rc;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        ccf_opt_usage(&cmd, opts, stdout);
        return CCF_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "new") != 0) {
        ccf_opt_usage(&cmd, opts, stderr);
        return CCF_EXIT_USAGE;
    }
    if ((rc = ccf_opt_run(&cmd, opts, argc - 1, argv + 1, &args)) >= 0)
        return rc;
    const char *name = args.items[0];
    ccf_opt_args_free(&args);
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
    printf("certificate: %s (valid %ld days)\nprivate key: %s (mode 0600; keep it secret)\n"
           "sha256 fingerprint: %s\n",
           crt, days, key, fp);
    return CCF_EXIT_OK;
}
