/* secret: an application secret as its program sees it (issue 17, docs/policy.md).
 * Opens secrets/token, writes to `output` either "token: N bytes fnv=HEX" or
 * "token: ERRNAME", then whether it may write the secret ("write: ERRNAME" or "write: ok").
 * The secret's bytes themselves are never written: a test that finds them in `output`
 * would show a leak, not this program. */
#include <fcntl.h>
#include <unistd.h>

#include "guest.h"

int main(void)
{
	char buf[4096];
	FILE *out = fopen("output", "w");
	if (out == NULL)
		return 2;
	int fd = open("secrets/token", O_RDONLY);
	if (fd < 0) {
		fprintf(out, "token: %s\n", guest_errname(errno));
	} else {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0)
			fprintf(out, "token: read %s\n", guest_errname(errno));
		else
			fprintf(out, "token: %zd bytes fnv=%016llx\n", n,
			        (unsigned long long)guest_fnv1a(GUEST_FNV_INIT, buf, (size_t)n));
		close(fd);
	}
	int w = open("secrets/token", O_WRONLY | O_TRUNC);
	fprintf(out, "write: %s\n", w < 0 ? guest_errname(errno) : "ok");
	if (w >= 0)
		close(w);
	return fclose(out) == 0 ? 0 : 1;
}
