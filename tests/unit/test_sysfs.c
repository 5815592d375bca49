/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sysfs.c - the one sysfs reader (src/base/sysfs.c) on files laid out like sysfs attributes in
 * a temporary directory: one line without its newline, truncation, absent paths, name checks,
 * a directory's first entry and a link's last component.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rdmanet/sysfs.h"
#include "unit.h"

static char dir[256];

static void put(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	(void) snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f)
		return;
	(void) fputs(text, f);
	(void) fclose(f);
}

static void test_read_line(void)
{
	char path[PATH_MAX], buf[64];

	put("rate", "100 Gb/sec (4X EDR)\n");
	(void) snprintf(path, sizeof(path), "%s/rate", dir);
	CHECK_INT(sysfs_read_line(path, buf, sizeof(buf)), 19);
	CHECK_STR(buf, "100 Gb/sec (4X EDR)");
	/* only the first line, and no newline when there is none */
	put("two", "first\nsecond\n");
	(void) snprintf(path, sizeof(path), "%s/two", dir);
	CHECK_INT(sysfs_read_line(path, buf, sizeof(buf)), 5);
	CHECK_STR(buf, "first");
	put("bare", "1");
	(void) snprintf(path, sizeof(path), "%s/bare", dir);
	CHECK_INT(sysfs_read_line(path, buf, sizeof(buf)), 1);
	CHECK_STR(buf, "1");
	put("empty", "");
	(void) snprintf(path, sizeof(path), "%s/empty", dir);
	CHECK_INT(sysfs_read_line(path, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "");
}

static void test_read_line_truncates(void)
{
	char path[PATH_MAX], buf[8];

	put("long", "fe80:0000:0000:0000\n");
	(void) snprintf(path, sizeof(path), "%s/long", dir);
	CHECK_INT(sysfs_read_line(path, buf, sizeof(buf)), 7);
	CHECK_STR(buf, "fe80:00");
}

static void test_read_line_absent(void)
{
	char path[PATH_MAX], buf[16] = "stale";

	(void) snprintf(path, sizeof(path), "%s/nothing", dir);
	CHECK_INT(sysfs_read_line(path, buf, sizeof(buf)), -ENOENT);
	CHECK_STR(buf, "");
	/* a file where a directory should be: absent as well */
	(void) snprintf(path, sizeof(path), "%s/rate/mode", dir);
	CHECK_INT(sysfs_read_line(path, buf, sizeof(buf)), -ENOENT);
	/* a directory is no attribute */
	CHECK_INT(sysfs_read_line(dir, buf, sizeof(buf)), -EISDIR);
}

static void test_read_linef(void)
{
	char buf[32] = "stale", longname[PATH_MAX + 16];

	put("numa_node", "-1\n");
	CHECK_INT(sysfs_read_linef(buf, sizeof(buf), "%s/%s", dir, "numa_node"), 2);
	CHECK_STR(buf, "-1");
	CHECK_INT(sysfs_read_linef(buf, sizeof(buf), "%s/%s", dir, "mode"), -ENOENT);
	CHECK_STR(buf, "");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	(void) snprintf(buf, sizeof(buf), "stale");
	CHECK_INT(sysfs_read_linef(buf, sizeof(buf), "%s/%s", dir, longname), -ENAMETOOLONG);
	CHECK_STR(buf, "");
}

static void test_name_ok(void)
{
	char big[NAME_MAX + 1];

	CHECK(sysfs_name_ok("mlx5_0"));
	CHECK(sysfs_name_ok("eth0.100"));
	CHECK(sysfs_name_ok("..."));
	CHECK(!sysfs_name_ok(NULL));
	CHECK(!sysfs_name_ok(""));
	CHECK(!sysfs_name_ok("."));
	CHECK(!sysfs_name_ok(".."));
	CHECK(!sysfs_name_ok("../net"));
	CHECK(!sysfs_name_ok("a/b"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(!sysfs_name_ok(big));
	big[NAME_MAX - 1] = '\0';
	CHECK(sysfs_name_ok(big));
}

static void test_first_entry(void)
{
	char path[PATH_MAX], out[16], tiny[4];

	(void) snprintf(path, sizeof(path), "%s/net", dir);
	CHECK_INT(mkdir(path, 0755), 0);
	CHECK_INT(sysfs_first_entry(path, out, sizeof(out)), -ENOENT);
	(void) snprintf(path, sizeof(path), "%s/net/.hidden", dir);
	CHECK_INT(mkdir(path, 0755), 0);
	(void) snprintf(path, sizeof(path), "%s/net", dir);
	CHECK_INT(sysfs_first_entry(path, out, sizeof(out)), -ENOENT);
	(void) snprintf(path, sizeof(path), "%s/net/ens1f0", dir);
	CHECK_INT(mkdir(path, 0755), 0);
	(void) snprintf(path, sizeof(path), "%s/net", dir);
	CHECK_INT(sysfs_first_entry(path, out, sizeof(out)), 0);
	CHECK_STR(out, "ens1f0");
	CHECK_INT(sysfs_first_entry(path, tiny, sizeof(tiny)), -ENAMETOOLONG);
	(void) snprintf(path, sizeof(path), "%s/none", dir);
	CHECK_INT(sysfs_first_entry(path, out, sizeof(out)), -ENOENT);
	(void) snprintf(path, sizeof(path), "%s/rate", dir);
	CHECK_INT(sysfs_first_entry(path, out, sizeof(out)), -ENOENT);
}

static void test_link_base(void)
{
	char path[PATH_MAX], out[16], tiny[4];

	(void) snprintf(path, sizeof(path), "%s/driver", dir);
	CHECK_INT(symlink("../../../../bus/pci/drivers/mlx5_core", path), 0);
	CHECK_INT(sysfs_link_base(path, out, sizeof(out)), 0);
	CHECK_STR(out, "mlx5_core");
	CHECK_INT(sysfs_link_base(path, tiny, sizeof(tiny)), -ENAMETOOLONG);
	(void) snprintf(path, sizeof(path), "%s/plain", dir);
	CHECK_INT(symlink("rxe", path), 0);
	CHECK_INT(sysfs_link_base(path, out, sizeof(out)), 0);
	CHECK_STR(out, "rxe");
	(void) snprintf(path, sizeof(path), "%s/nolink", dir);
	CHECK_INT(sysfs_link_base(path, out, sizeof(out)), -ENOENT);
	(void) snprintf(path, sizeof(path), "%s/rate", dir);
	CHECK_INT(sysfs_link_base(path, out, sizeof(out)), -EINVAL);
}

/* Removes what the tests made, deepest first. */
static void cleanup(void)
{
	static const char *const files[] = { "rate", "two",       "bare",   "empty",
					     "long", "numa_node", "driver", "plain" };
	static const char *const dirs[] = { "net/.hidden", "net/ens1f0", "net" };
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		(void) snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		(void) unlink(path);
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		(void) snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		(void) rmdir(path);
	}
	(void) rmdir(dir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	(void) snprintf(dir, sizeof(dir), "%s/test_sysfs.XXXXXX", tmp);
	if (!mkdtemp(dir)) {
		printf("cannot create a temporary directory\n0 passed, 1 failed\n");
		return 1;
	}
	RUN(test_read_line);
	RUN(test_read_line_truncates);
	RUN(test_read_line_absent);
	RUN(test_read_linef);
	RUN(test_name_ok);
	RUN(test_first_entry);
	RUN(test_link_base);
	cleanup();
	UNIT_DONE();
}
