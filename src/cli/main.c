/* `ccfaas`: every untrusted service and user tool, as subcommands (DESIGN §2). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"policy", ccf_cmd_policy, "validate, hash and explain policies"},
    {"wasm", ccf_cmd_wasm, "validate, invoke and run WebAssembly modules"},
    {"up", ccf_cmd_up, "run proxy attestation, VaaS and CCFaaS in one process"},
    {"demo", ccf_cmd_demo, "the spec's example end to end: register, instance, compute"},
    {"function", ccf_cmd_function, "register, list, show and delete functions (CCFaaS)"},
    {"instance", ccf_cmd_instance, "create, list, show and delete instances (CCFaaS)"},
    {"task", ccf_cmd_task, "run a function once; watch, download the result, logs (CCFaaS)"},
    {"compute", ccf_cmd_compute, "run a Cocos computation manifest (OCI algorithm, datasets)"},
    {"serve", ccf_cmd_serve, "run one service (proxy, vaas, ccfaas) in the foreground"},
    {"client", ccf_cmd_client, "verify an instance, upload, compute, read results"},
    {"identity", ccf_cmd_identity, "make user identities (certificate + key) for policies"},
    {"user", ccf_cmd_user, "callers of the services: add, list, revoke bearer tokens"},
    {"ca", ccf_cmd_ca, "the platform service CA: HTTPS certificates of services and callers"},
    {"trust", ccf_cmd_trust, "the attestation CAs and runtimes you accept (your trust file)"},
    {"measure", ccf_cmd_measure, "print a ccfaas-runtime's measurement, to trust"},
    {"kbs", ccf_cmd_kbs, "key broker clients: fetch (as an instance), put, policy (admin)"},
    {"encrypt", ccf_cmd_encrypt, "encrypt a program or data file for the key broker's key"},
    {"decrypt", ccf_cmd_decrypt, "open (or --info: describe) an encrypted envelope"},
    {"workorder", ccf_cmd_workorder, "work orders (EEA Trusted Compute / Avalon): workers, submit, result"},
    {"attest", ccf_cmd_attest, "verify real TEE evidence (SEV-SNP, TDX, Nitro, SGX) offline"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: ccfaas [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "ccfaas: confidential-computing functions as a service.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `ccfaas COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CCF_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return CCF_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("ccfaas %s\n", CCF_VERSION);
        return CCF_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    if (cmd[0] == '-')
        fprintf(stderr, "ccfaas: unknown option '%s'\n", cmd);
    else
        fprintf(stderr, "ccfaas: unknown command '%s'\n", cmd);
    fprintf(stderr, "Run `ccfaas --help` for the list of commands.\n");
    return CCF_EXIT_USAGE;
}
