/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exectime - time whole-process runs of commands, the way a container runtime runs a CNI plugin.
 *
 *   exectime [-n N] [-w W] [-s SETUP] [-t TEARDOWN] [-T] [-e VAR=VAL]... [-i FILE]
 *            -l LABEL [-e VAR=VAL]... [-i FILE] -- CMD [ARG]... [';;' -l LABEL ... -- CMD ...]...
 *
 * Every iteration runs SETUP (sh -c, untimed), then each phase in the order given, then TEARDOWN
 * (untimed). A phase is one fork + execve + wait4 of CMD with an environment made of the -e
 * variables only (common ones first, then the phase's own) and stdin read from FILE (default
 * /dev/null); stdout and stderr are captured in memory and shown only if the run fails. "{i}" in
 * a variable's value or in an argument is replaced by the iteration number (0 .. W+N-1), and SETUP
 * and TEARDOWN see it as $BENCH_I, so a phase can target an object made for this iteration only
 * (ADD into a fresh netns, then DEL of the same container).
 *
 * Timed region of a phase: clock_gettime(CLOCK_MONOTONIC) just before fork() to just after
 * wait4() returns. The first W iterations are warm-up and not counted. Per phase it reports
 * min/median/p90/max wall time, the median CPU time (user + system), and the largest ru_maxrss
 * that wait4 returned (KiB; Linux folds in the peak of any child the command waited for).
 * A run that does not exit 0 aborts the benchmark with status 1.
 *
 * -T prints one tab-separated line per phase instead of the table:
 *   label n min_ms median_ms p90_ms max_ms cpu_median_ms maxrss_kib
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PHASES   16
#define MAX_ENV      64
#define CAPTURE_SHOW 4096

struct phase {
	const char *label;
	const char *env[MAX_ENV];
	int nenv;
	const char *stdin_path;
	char **argv;
	int argc;
	int out_fd; /* memfd holding the last run's stdout + stderr */
	double *wall_ms;
	double *cpu_ms;
	long maxrss_kib;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void) fputs("exectime: ", stderr);
	(void) vfprintf(stderr, fmt, ap);
	(void) fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void usage(void)
{
	(void) fputs("usage: exectime [-n N] [-w W] [-s SETUP] [-t TEARDOWN] [-T] [-e "
		     "VAR=VAL]... [-i FILE]\n"
		     "                -l LABEL [-e VAR=VAL]... [-i FILE] -- CMD [ARG]... "
		     "[';;' -l LABEL ... -- CMD ...]...\n",
		     stderr);
	exit(2);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory");
	return p;
}

/* s with every "{i}" replaced by the iteration number; a new string. */
static char *subst(const char *s, long iter)
{
	char num[24];
	size_t nlen, len = 0, cap;
	char *out;

	nlen = (size_t) snprintf(num, sizeof(num), "%ld", iter);
	cap = strlen(s) + 1;
	for (const char *p = s; (p = strstr(p, "{i}")); p += 3)
		cap += nlen;
	out = xcalloc(cap, 1);
	while (*s) {
		if (!strncmp(s, "{i}", 3)) {
			memcpy(out + len, num, nlen);
			len += nlen;
			s += 3;
		} else {
			out[len++] = *s++;
		}
	}
	out[len] = '\0';
	return out;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double) (b->tv_sec - a->tv_sec) * 1e3 + (double) (b->tv_nsec - a->tv_nsec) / 1e6;
}

static double tv_ms(const struct timeval *tv)
{
	return (double) tv->tv_sec * 1e3 + (double) tv->tv_usec / 1e3;
}

static void show_capture(int fd)
{
	char buf[CAPTURE_SHOW + 1];
	off_t end = lseek(fd, 0, SEEK_END);
	off_t from = end > CAPTURE_SHOW ? end - CAPTURE_SHOW : 0;
	ssize_t n = pread(fd, buf, CAPTURE_SHOW, from);

	if (n > 0) {
		buf[n] = '\0';
		(void) fprintf(stderr, "--- output%s:\n%s\n---\n", from ? " (tail)" : "", buf);
	}
}

/* Runs sh -c CMD with BENCH_I set; untimed. */
static void run_hook(const char *what, const char *cmd, long iter)
{
	char num[24];
	int status;
	pid_t pid;

	(void) snprintf(num, sizeof(num), "%ld", iter);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		(void) setenv("BENCH_I", num, 1);
		execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void) fprintf(stderr, "exectime: %s '%s' failed at iteration %ld (status 0x%x)\n",
			       what, cmd, iter, status);
		exit(1);
	}
}

/* One timed run of a phase; returns the wall time in ms. */
static double run_phase(struct phase *ph, long iter, double *cpu_ms, long *maxrss)
{
	char *envp[MAX_ENV + 1], **argv;
	struct timespec t0, t1;
	struct rusage ru;
	int in_fd, status;
	pid_t pid, r;

	for (int k = 0; k < ph->nenv; k++)
		envp[k] = subst(ph->env[k], iter);
	envp[ph->nenv] = NULL;
	argv = xcalloc((size_t) ph->argc + 1, sizeof(*argv));
	for (int k = 0; k < ph->argc; k++)
		argv[k] = subst(ph->argv[k], iter);
	in_fd = open(ph->stdin_path ? ph->stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
	if (in_fd < 0)
		die("%s: %s", ph->stdin_path, strerror(errno));
	if (ftruncate(ph->out_fd, 0) < 0 || lseek(ph->out_fd, 0, SEEK_SET) < 0)
		die("memfd: %s", strerror(errno));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (dup2(in_fd, STDIN_FILENO) < 0 || dup2(ph->out_fd, STDOUT_FILENO) < 0 ||
		    dup2(ph->out_fd, STDERR_FILENO) < 0)
			_exit(126);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	while ((r = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r < 0)
		die("wait4: %s", strerror(errno));

	(void) close(in_fd);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void) fprintf(stderr, "exectime: '%s' (%s) failed at iteration %ld: ", ph->label,
			       argv[0], iter);
		if (WIFEXITED(status))
			(void) fprintf(stderr, "exit status %d%s\n", WEXITSTATUS(status),
				       WEXITSTATUS(status) == 127 ? " (cannot execute?)" : "");
		else
			(void) fprintf(stderr, "signal %d\n", WTERMSIG(status));
		show_capture(ph->out_fd);
		exit(1);
	}
	for (int k = 0; k < ph->nenv; k++)
		free(envp[k]);
	for (int k = 0; k < ph->argc; k++)
		free(argv[k]);
	free(argv);
	*cpu_ms = tv_ms(&ru.ru_utime) + tv_ms(&ru.ru_stime);
	*maxrss = ru.ru_maxrss;
	return ms_between(&t0, &t1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;

	return (x > y) - (x < y);
}

static double median(const double *s, long n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Nearest-rank percentile of sorted samples. */
static double percentile(const double *s, long n, double p)
{
	long rank = (long) ((p / 100.0) * (double) n + 0.999999);

	if (rank < 1)
		rank = 1;
	return s[(rank > n ? n : rank) - 1];
}

static long parse_count(const char *s, const char *opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 10000000)
		die("%s: '%s' is not a count", opt, s);
	return v;
}

int main(int argc, char **argv)
{
	const char *common_env[MAX_ENV], *common_stdin = NULL, *setup = NULL, *teardown = NULL;
	struct phase phases[MAX_PHASES];
	struct phase *cur = NULL;
	int ncommon = 0, nphases = 0, tsv = 0;
	long n = 100, warmup = 3;

	memset(phases, 0, sizeof(phases));
	for (int a = 1; a < argc; a++) {
		const char *o = argv[a];
		const char *val = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(o, "-T")) {
			tsv = 1;
			continue;
		}
		if (!strcmp(o, "--")) {
			if (!cur)
				die("'--' before the first -l LABEL");
			if (cur->argv)
				die("phase '%s' has two commands (separate phases with ';;')",
				    cur->label);
			cur->argv = &argv[a + 1];
			while (a + 1 < argc && strcmp(argv[a + 1], ";;"))
				a++, cur->argc++;
			if (!cur->argc)
				die("phase '%s' has an empty command", cur->label);
			a++; /* skip ";;" if present */
			continue;
		}
		if (o[0] != '-' || !o[1] || o[2] || !val)
			usage();
		a++;
		switch (o[1]) {
		case 'n':
			n = parse_count(val, o);
			break;
		case 'w':
			warmup = parse_count(val, o);
			break;
		case 's':
			setup = val;
			break;
		case 't':
			teardown = val;
			break;
		case 'l':
			if (nphases == MAX_PHASES)
				die("more than %d phases", MAX_PHASES);
			if (cur && !cur->argv)
				die("phase '%s' has no command", cur->label);
			cur = &phases[nphases++];
			cur->label = val;
			for (int k = 0; k < ncommon; k++)
				cur->env[cur->nenv++] = common_env[k];
			cur->stdin_path = common_stdin;
			break;
		case 'e':
			if (!strchr(val, '='))
				die("-e '%s': expected VAR=VALUE", val);
			if (cur) {
				if (cur->nenv == MAX_ENV)
					die("too many -e");
				cur->env[cur->nenv++] = val;
			} else {
				if (ncommon == MAX_ENV)
					die("too many -e");
				common_env[ncommon++] = val;
			}
			break;
		case 'i':
			if (cur)
				cur->stdin_path = val;
			else
				common_stdin = val;
			break;
		default:
			usage();
		}
	}
	if (!nphases || n < 1)
		usage();
	if (!phases[nphases - 1].argv)
		die("phase '%s' has no command", phases[nphases - 1].label);

	for (int p = 0; p < nphases; p++) {
		phases[p].out_fd = memfd_create("exectime-out", MFD_CLOEXEC);
		if (phases[p].out_fd < 0)
			die("memfd_create: %s", strerror(errno));
		phases[p].wall_ms = xcalloc((size_t) n, sizeof(double));
		phases[p].cpu_ms = xcalloc((size_t) n, sizeof(double));
	}

	for (long it = 0; it < warmup + n; it++) {
		if (setup)
			run_hook("setup", setup, it);
		for (int p = 0; p < nphases; p++) {
			double wall, cpu;
			long rss;

			wall = run_phase(&phases[p], it, &cpu, &rss);
			if (it < warmup)
				continue;
			phases[p].wall_ms[it - warmup] = wall;
			phases[p].cpu_ms[it - warmup] = cpu;
			if (rss > phases[p].maxrss_kib)
				phases[p].maxrss_kib = rss;
		}
		if (teardown)
			run_hook("teardown", teardown, it);
	}

	if (!tsv)
		(void) printf("%-28s %6s %8s %8s %8s %8s %8s %10s\n", "phase", "n", "min", "median",
			      "p90", "max", "cpu med", "maxRSS KiB");
	for (int p = 0; p < nphases; p++) {
		struct phase *ph = &phases[p];

		qsort(ph->wall_ms, (size_t) n, sizeof(double), cmp_double);
		qsort(ph->cpu_ms, (size_t) n, sizeof(double), cmp_double);
		(void) printf(tsv ? "%s\t%ld\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%ld\n" :
				    "%-28s %6ld %8.3f %8.3f %8.3f %8.3f %8.3f %10ld\n",
			      ph->label, n, ph->wall_ms[0], median(ph->wall_ms, n),
			      percentile(ph->wall_ms, n, 90), ph->wall_ms[n - 1],
			      median(ph->cpu_ms, n), ph->maxrss_kib);
	}
	return fflush(stdout) == 0 ? 0 : 2;
}
