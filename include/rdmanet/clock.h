/* SPDX-License-Identifier: Apache-2.0 */
/* clock.h - the one clock deadlines are measured on. */
#pragma once
#include <time.h>

/* Milliseconds on CLOCK_MONOTONIC: immune to the wall clock being set. */
static inline long long clock_now_ms(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Microseconds on CLOCK_MONOTONIC: for durations logged with sub-millisecond precision. */
static inline long long clock_now_us(void)
{
	struct timespec ts;

	(void) clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
