/* clock: clock_gettime / clock_getres / nanosleep.
 * Prints "ok" or the errno name per call; with the clock enabled every call must succeed and
 * give sane values; with it disabled (`ccfaas wasm run` without --clock) they fail with EACCES. */
#include <time.h>

#include "guest.h"

static void gettime(const char *name, clockid_t id, struct timespec *ts)
{
	printf("clock_gettime %s: ", name);
	if (clock_gettime(id, ts) != 0)
		printf("%s\n", guest_errname(errno));
	else
		printf("ok\n");
}

int main(void)
{
	struct timespec rt = {0, 0}, m1 = {0, 0}, m2 = {0, 0}, res = {0, 0};
	gettime("REALTIME", CLOCK_REALTIME, &rt);
	gettime("MONOTONIC", CLOCK_MONOTONIC, &m1);
	printf("clock_getres REALTIME: ");
	if (clock_getres(CLOCK_REALTIME, &res) != 0)
		printf("%s\n", guest_errname(errno));
	else
		printf("ok\n");
	/* 2020-09-13 < now < 2100-01-01 */
	if (rt.tv_sec != 0)
		printf("realtime sane: %s\n",
		       rt.tv_sec > 1600000000 && rt.tv_sec < 4102444800 ? "yes" : "no");
	if (res.tv_sec != 0 || res.tv_nsec != 0)
		printf("resolution sane: %s\n",
		       res.tv_sec == 0 && res.tv_nsec > 0 && res.tv_nsec <= 1000000 ? "yes" : "no");
	if (m1.tv_sec != 0 || m1.tv_nsec != 0) {
		/* sleep 2 ms: the monotonic clock must advance by at least that much */
		struct timespec d = {0, 2000000};
		printf("nanosleep: %s\n", nanosleep(&d, NULL) == 0 ? "ok" : guest_errname(errno));
		gettime("MONOTONIC", CLOCK_MONOTONIC, &m2);
		long long ns = (long long)(m2.tv_sec - m1.tv_sec) * 1000000000LL +
			       (m2.tv_nsec - m1.tv_nsec);
		printf("monotonic advanced >= 2ms: %s\n", ns >= 2000000 ? "yes" : "no");
	}
	return 0;
}
