/* PLACEHOLDER (issue 7 in progress): replaced by the real commands this session. */
#include <stdio.h>

#include "cli/commands.h"

int ccf_cmd_up(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ccfaas: not built yet\n");
    return CCF_EXIT_FAIL;
}

int ccf_cmd_demo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ccfaas: not built yet\n");
    return CCF_EXIT_FAIL;
}
