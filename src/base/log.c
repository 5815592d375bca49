/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rdmanet/log.h"

static struct {
	enum log_level level;
	int fd;
	pid_t pid; /* of the process that set the context; 0: ask getpid() each line */
	char prog[32];
	char cid[80];
	char ifname[20];
} log_state = { .level = LOG_LVL_WARN, .fd = -1, .prog = "rdmanet" };

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_context(const char *prog, const char *containerid, const char *ifname)
{
	log_state.pid = getpid(); /* once: nothing forks and logs without exec */
	if (prog)
		(void) snprintf(log_state.prog, sizeof(log_state.prog), "%s", prog);
	(void) snprintf(log_state.cid, sizeof(log_state.cid), "%.12s",
			containerid ? containerid : "");
	(void) snprintf(log_state.ifname, sizeof(log_state.ifname), "%.15s", ifname ? ifname : "");
	/* both come from the environment before validation: keep log lines one line each */
	for (char *p = log_state.cid; *p; p++)
		if (!isgraph((unsigned char) *p))
			*p = '?';
	for (char *p = log_state.ifname; *p; p++)
		if (!isgraph((unsigned char) *p))
			*p = '?';
}

void log_set_level(enum log_level level)
{
	log_state.level = level;
}

int log_level_parse(const char *name)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcmp(name, level_names[i]))
			return (int) i;
	return -1;
}

int log_open_file(const char *path)
{
	/* O_NONBLOCK: a FIFO without a reader must not hang the plugin; only regular files pass */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		      0600);
	struct stat st;

	if (fd < 0)
		return errno == ENXIO || errno == EISDIR ? -EINVAL : -errno; /* FIFO, directory */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		(void) close(fd);
		return -EINVAL;
	}
	log_close();
	log_state.fd = fd;
	return 0;
}

void log_close(void)
{
	if (log_state.fd >= 0)
		(void) close(log_state.fd);
	log_state.fd = -1;
}

/* One line labelled level, to stderr when to_stderr and to the log file when one is open. */
__attribute__((format(printf, 3, 0))) static void log_line(enum log_level level, bool to_stderr,
							   const char *fmt, va_list ap)
{
	char line[1024], ts[32];
	struct timespec now;
	struct tm tm;
	int n, m;

	(void) clock_gettime(CLOCK_REALTIME, &now);
	(void) gmtime_r(&now.tv_sec, &tm);
	(void) strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ %s[%d] %s cid=%s ifname=%s: ", ts,
		     now.tv_nsec / 1000000, log_state.prog,
		     (int) (log_state.pid ? log_state.pid : getpid()), level_names[level],
		     log_state.cid[0] ? log_state.cid : "-",
		     log_state.ifname[0] ? log_state.ifname : "-");
	if (n < 0 || (size_t) n >= sizeof(line))
		return;
	m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	if (m < 0)
		return;
	n = (size_t) (n + m) >= sizeof(line) - 1 ? (int) sizeof(line) - 2 : n + m;
	for (int i = 0; i < n; i++) /* one event, one line, whatever plugins and users wrote */
		if (iscntrl((unsigned char) line[i]))
			line[i] = ' ';
	line[n++] = '\n';
	if (to_stderr)
		(void) !write(STDERR_FILENO, line, n);
	if (log_state.fd >= 0)
		(void) !write(log_state.fd, line, n);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (level > log_state.level)
		return;
	va_start(ap, fmt);
	log_line(level, true, fmt, ap);
	va_end(ap);
}

void log_record(const char *fmt, ...)
{
	bool to_stderr = log_state.level >= LOG_LVL_INFO;
	va_list ap;

	if (!to_stderr && log_state.fd < 0)
		return;
	va_start(ap, fmt);
	log_line(LOG_LVL_INFO, to_stderr, fmt, ap);
	va_end(ap);
}
