/* PLACEHOLDER (issue 7 in progress): replaced by the real command this session. */
#include <stdio.h>

#include "cli/commands.h"

int ccf_serve_vaas(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "ccfaas: not built yet\n");
    return CCF_EXIT_FAIL;
}
