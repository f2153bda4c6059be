/* A test workload (tests/e2e/test-workorder): it tries to keep a work order's
 * input for the next one. It writes its input to workorder/stash/kept (a file
 * of its own under the work order's directory) and answers what it found
 * there from before: "found: TEXT", or "nothing kept". The runtime clears
 * workorder/ after every work order, so it must always find nothing. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int main(void)
{
    char in[256] = "", old[256] = "", out[300];
    size_t n;
    FILE *f = fopen("workorder/in-0", "rb");
    if (f == NULL)
        return 1;
    n = fread(in, 1, sizeof in - 1, f);
    in[n] = '\0';
    fclose(f);
    if ((f = fopen("workorder/stash/kept", "rb")) != NULL) {
        n = fread(old, 1, sizeof old - 1, f);
        old[n] = '\0';
        fclose(f);
    }
    mkdir("workorder/stash", 0700);
    if ((f = fopen("workorder/stash/kept", "wb")) == NULL || fwrite(in, 1, strlen(in), f) != strlen(in) ||
        fclose(f) != 0)
        return 1;
    int len = snprintf(out, sizeof out, old[0] ? "found: %s" : "nothing kept", old);
    if ((f = fopen("workorder/out", "wb")) == NULL || fwrite(out, 1, (size_t)len, f) != (size_t)len ||
        fclose(f) != 0)
        return 1;
    return 0;
}
