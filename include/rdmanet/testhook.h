/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testhook.h - the fault hooks of the test build, in one place. They exist only when
 * RDMANET_TESTING is defined (the Makefile defines it for the sanitizer build, TESTING=1 for
 * any other): a release binary reads none of these variables and its strings name none of them.
 *
 * RDMANET_TEST_FAIL_STEP=<step>: testhook_fail(step) is true there (the caller fails the step
 * as if the kernel had refused it). RDMANET_TEST_KILL_STEP=<step>: testhook_kill(step) SIGKILLs
 * the process there (no rollback at all: what a crash or an OOM kill leaves). The step names are
 * those of rdmanet's ADD and of rdmanet-ipam's ipam-* steps. RDMANET_IPAM_LOCK_DIR: the folder of
 * rdmanet-ipam's pool locks instead of /run/rdmanet-ipam (a node per folder in one namespace).
 * RDMANET_TEST_SECOND_MS=<10..1000>: how many milliseconds rdmanet-ipam's api_timeout_seconds and
 * retry_budget_seconds count per second, so that fault tests wait through 1-4 "second" timeouts
 * in a fraction of the time without a config that could also reach a node.
 */
#ifndef RDMANET_TESTHOOK_H
#define RDMANET_TESTHOOK_H

#include <stdbool.h>

#ifdef RDMANET_TESTING
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/log.h"

static inline bool testhook_is(const char *var, const char *step)
{
	const char *want = getenv(var);

	return want && !strcmp(want, step);
}

static inline void testhook_kill(const char *step)
{
	if (testhook_is("RDMANET_TEST_KILL_STEP", step)) {
		log_warn("test hook: killing the process at step '%s'", step);
		(void) raise(SIGKILL);
	}
}

static inline bool testhook_fail(const char *step)
{
	if (!testhook_is("RDMANET_TEST_FAIL_STEP", step))
		return false;
	log_warn("test hook: failing step '%s'", step);
	return true;
}

static inline const char *testhook_lock_dir(void)
{
	const char *dir = getenv("RDMANET_IPAM_LOCK_DIR");

	return dir && *dir ? dir : NULL;
}

static inline unsigned testhook_second_ms(void)
{
	const char *s = getenv("RDMANET_TEST_SECOND_MS");
	char *end;
	unsigned long ms;

	if (!s || !*s)
		return 1000;
	ms = strtoul(s, &end, 10);
	if (*end || ms < 10 || ms > 1000) {
		log_warn("test hook: RDMANET_TEST_SECOND_MS='%s' is not 10..1000, ignored", s);
		return 1000;
	}
	return (unsigned) ms;
}
#else
static inline void testhook_kill(const char *step)
{
	(void) step;
}

static inline bool testhook_fail(const char *step)
{
	(void) step;
	return false;
}

static inline const char *testhook_lock_dir(void)
{
	return NULL;
}

static inline unsigned testhook_second_ms(void)
{
	return 1000;
}
#endif

#endif
