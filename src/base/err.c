/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rdmanet/err.h"

int err_set(struct cni_err *e, int r, int code, const char *details, const char *fmt, ...)
{
	int ret = r < 0 ? r : -EINVAL;
	va_list ap;

	if (!e || e->code)
		return ret;
	e->code = code;
	va_start(ap, fmt);
	(void) vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (details && *details)
		(void) snprintf(e->details, sizeof(e->details), "%s", details);
	else if (r < 0 && r != -EINVAL) /* EINVAL: our own validation, msg says it all */
		(void) snprintf(e->details, sizeof(e->details), "%s", strerror(-r));
	return ret;
}

void err_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	(void) vsnprintf(why, len, fmt, ap);
	va_end(ap);
}
