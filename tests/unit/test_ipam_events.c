/* SPDX-License-Identifier: Apache-2.0 */
/* test_ipam_events.c - Event names (client-go's <object>.<hex>, a DNS subdomain at any pool name
 * length) and the node's series file: repeats within the interval are counted without a request,
 * a series being sent by another run is left alone. (Sending: tests/integ/test_events.sh.) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "rdmanet/ipam_events.h"
#include "unit.h"

static void test_name(void)
{
	char out[300], pool[260];

	ipam_event_name("10.1.0.0-24", 0x18eec0ee66e9b6c6ULL, out, sizeof(out));
	CHECK_STR(out, "10.1.0.0-24.18eec0ee66e9b6c6");
	memset(pool, 'a', 253);
	pool[253] = '\0';
	ipam_event_name(pool, 0x18eec0ee66e9b6c6ULL, out, sizeof(out));
	CHECK_INT(strlen(out), 253);
	CHECK(!strcmp(out + 236, ".18eec0ee66e9b6c6"));
	ipam_event_name("p", 1, out, sizeof(out));
	CHECK_STR(out, "p.1");
}

static void series(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int) len, f))
			buf[0] = '\0';
		fclose(f);
	}
}

static void test_series(void)
{
	char dir[] = "/tmp/rdmanet-events-unit.XXXXXX", path[128], buf[512], want[512];
	struct ipam_event ev = { .ns = "kube-system",
				 .pool = "10.1.0.0-30",
				 .warning = true,
				 .reason = IPAM_EVENT_EXHAUSTED,
				 .message = "m" };
	long long now = (long long) time(NULL);
	FILE *f;
	int fd;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	(void) snprintf(path, sizeof(path), "%s/10.1.0.0-30.PoolExhausted.event", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "10.1.0.0-30.abc %lld 3 %lld\n", now - 5, now - 1);
	fclose(f);
	/* sent a second ago: counted, no request (the client is never touched) */
	CHECK_INT(ipam_event_repeat(NULL, dir, &ev), 0);
	series(path, buf, sizeof(buf));
	(void) snprintf(want, sizeof(want), "10.1.0.0-30.abc %lld 4 %lld\n", now - 5, now - 1);
	CHECK_STR(buf, want);
	/* another run holds the file: nothing counted, nothing sent */
	fd = open(path, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
	CHECK_INT(ipam_event_repeat(NULL, dir, &ev), 0);
	series(path, buf, sizeof(buf));
	CHECK_STR(buf, want);
	if (fd >= 0)
		close(fd);
	(void) unlink(path);
	(void) rmdir(dir);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_name);
	RUN(test_series);
	UNIT_DONE();
}
