/* SPDX-License-Identifier: Apache-2.0 */
/* unit.h - a minimal test runner: TEST() functions, CHECK macros, "N passed, N failed". */
#pragma once
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int unit_passed, unit_failed, unit_cur_failed;
static const char *unit_cur;

#define CHECK(cond)                                                                             \
	do {                                                                                    \
		if (!(cond)) {                                                                  \
			printf("  %s:%d: %s: CHECK(%s) failed\n", __FILE__, __LINE__, unit_cur, \
			       #cond);                                                          \
			unit_cur_failed = 1;                                                    \
		}                                                                               \
	} while (0)
#define CHECK_STR(a, b)                                                                     \
	do {                                                                                \
		const char *_a = (a), *_b = (b);                                            \
		if (!_a || !_b || strcmp(_a, _b)) {                                         \
			printf("  %s:%d: %s: '%s' != '%s'\n", __FILE__, __LINE__, unit_cur, \
			       _a ? _a : "(null)", _b ? _b : "(null)");                     \
			unit_cur_failed = 1;                                                \
		}                                                                           \
	} while (0)
#define CHECK_INT(a, b)                                                                        \
	do {                                                                                   \
		long long _a = (long long) (a), _b = (long long) (b);                          \
		if (_a != _b) {                                                                \
			printf("  %s:%d: %s: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
			       unit_cur, #a, _a, _b);                                          \
			unit_cur_failed = 1;                                                   \
		}                                                                              \
	} while (0)

#define RUN(fn)                                       \
	do {                                          \
		unit_cur = #fn;                       \
		unit_cur_failed = 0;                  \
		fn();                                 \
		if (unit_cur_failed) {                \
			unit_failed++;                \
			printf("not ok - %s\n", #fn); \
		} else {                              \
			unit_passed++;                \
			printf("ok - %s\n", #fn);     \
		}                                     \
	} while (0)

#define UNIT_DONE()                                                         \
	do {                                                                \
		printf("%d passed, %d failed\n", unit_passed, unit_failed); \
		return unit_failed ? 1 : 0;                                 \
	} while (0)

/* A whole file, NUL-terminated (fixtures); NULL when unreadable. The caller frees it. */
static inline char *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t) n + 1);
		if (buf && fread(buf, 1, (size_t) n, f) != (size_t) n) {
			free(buf);
			buf = NULL;
		}
		if (buf) {
			buf[n] = '\0';
			*len = (size_t) n;
		}
	}
	(void) fclose(f);
	return buf;
}

/*
 * The absolute path of tests/fixtures/<sub>: below FIXTURES_DIR (a tests/fixtures elsewhere)
 * when set, else relative to the working directory (run.sh and run-all.sh start at the top),
 * else to the binary (build/tests/test_x). -ENOENT when it is not a directory.
 */
static inline int unit_fixtures(const char *argv0, const char *sub, char out[PATH_MAX])
{
	const char *env = getenv("FIXTURES_DIR"), *slash = strrchr(argv0, '/');
	char cand[PATH_MAX];
	struct stat st;

	if (env && *env)
		(void) snprintf(cand, sizeof(cand), "%s/%s", env, sub);
	else if (stat("tests/fixtures", &st) == 0 && S_ISDIR(st.st_mode))
		(void) snprintf(cand, sizeof(cand), "tests/fixtures/%s", sub);
	else
		(void) snprintf(cand, sizeof(cand), "%.*s/../../tests/fixtures/%s",
				slash ? (int) (slash - argv0) : 1, slash ? argv0 : ".", sub);
	if (!realpath(cand, out) || stat(out, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ENOENT;
	return 0;
}
