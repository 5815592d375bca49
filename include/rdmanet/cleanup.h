/* SPDX-License-Identifier: Apache-2.0 */
/* cleanup.h - scope-bound cleanup of local resources (systemd/libnl style). */
#pragma once
#include <stdlib.h>
#include <unistd.h>

#define DEFINE_CLEANUP(type, fn)          \
	static inline void fn##p(type *p) \
	{                                 \
		if (*p)                   \
			fn(*p);           \
	}
#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **) p);
}
static inline void closep(int *fd)
{
	if (*fd >= 0)
		(void) close(*fd);
}
#define _cleanup_free_  _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership out of a cleanup-scoped variable. */
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _p = (p); \
		(p) = NULL;             \
		_p;                     \
	})
#define TAKE_FD(fd)             \
	({                      \
		int _fd = (fd); \
		(fd) = -1;      \
		_fd;            \
	})
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
