/* SPDX-License-Identifier: Apache-2.0 */
/* ipam_exec.c - fork/exec of IPAM plugins: pipes, a deadline, bounded output, no shell. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/clock.h"
#include "rdmanet/ipam_exec.h"
#include "rdmanet/log.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

#define ENV_ITEM_MAX (CNI_PATH_ENV_MAX + 32)

static int find_plugin(const char *type, const char *cni_path, char *out, size_t outlen)
{
	const char *p = cni_path;

	while (p && *p) {
		size_t n = strcspn(p, ":");
		struct stat st;

		if (n && (size_t) snprintf(out, outlen, "%.*s/%s", (int) n, p, type) < outlen &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		p += n;
		if (*p == ':')
			p++;
	}
	return -ENOENT;
}

struct child_io {
	const char *in;
	size_t in_len;
	char *out;
	size_t out_len;
	bool too_big;
};

/* Feeds stdin and drains stdout until EOF or the deadline. -ETIMEDOUT on the deadline. */
static int pump(int in_fd, int out_fd, struct child_io *io, long long deadline)
{
	size_t written = 0, cap = 0;

	while (out_fd >= 0) {
		struct pollfd pfd[2] = { { out_fd, POLLIN, 0 }, { in_fd, POLLOUT, 0 } };
		long long left = deadline - clock_now_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(pfd, in_fd >= 0 ? 2 : 1, (int) (left > 1000 ? 1000 : left));
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		if (in_fd >= 0 && pfd[1].revents) {
			ssize_t w = (pfd[1].revents & POLLOUT) ?
					    write(in_fd, io->in + written, io->in_len - written) :
					    -1;
			if (w > 0)
				written += (size_t) w;
			if (w < 0 || written == io->in_len) {
				(void) close(in_fd);
				in_fd = -1;
			}
		}
		if (pfd[0].revents) {
			char *grown;
			ssize_t rd;

			if (io->out_len + 4096 + 1 > cap) {
				cap = cap ? cap * 2 : 8192;
				grown = realloc(io->out, cap);
				if (!grown)
					return -ENOMEM;
				io->out = grown;
			}
			rd = read(out_fd, io->out + io->out_len, cap - io->out_len - 1);
			if (rd < 0 && errno != EINTR && errno != EAGAIN)
				return -errno;
			if (rd == 0)
				break;
			if (rd > 0) {
				io->out_len += (size_t) rd;
				io->out[io->out_len] = '\0';
				if (io->out_len > IPAM_OUTPUT_MAX) {
					io->too_big = true;
					break;
				}
			}
		}
	}
	if (in_fd >= 0)
		(void) close(in_fd);
	return 0;
}

/* Waits for pid until the deadline; -ETIMEDOUT (child killed, not yet reaped) after it. */
static int reap(pid_t pid, int *status, long long deadline)
{
	const struct timespec tick = { 0, 200 * 1000 };

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		if (clock_now_ms() >= deadline) {
			(void) kill(-pid, SIGKILL);
			return -ETIMEDOUT;
		}
		(void) nanosleep(&tick, NULL);
	}
}

/* The CNI variables of this call, which replace the caller's own. */
static const char *const cni_vars[] = { "CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS",
					"CNI_IFNAME",  "CNI_ARGS",        "CNI_PATH" };
#define N_CNI_VARS (sizeof(cni_vars) / sizeof(cni_vars[0]))

static bool is_cni_var(const char *item)
{
	for (size_t i = 0; i < N_CNI_VARS; i++) {
		size_t n = strlen(cni_vars[i]);

		if (!strncmp(item, cni_vars[i], n) && item[n] == '=')
			return true;
	}
	return false;
}

/*
 * The SPEC: a delegated plugin gets the same environment as its caller (HTTPS_PROXY, NO_PROXY,
 * whatever the IPAM reads); only the CNI variables are this call's (CNI_COMMAND differs for the
 * VERSION probe and a rollback DEL). Malformed items (no '=') are dropped. malloc'd array whose
 * strings are environ's or store's.
 */
static char **ipam_environ(enum cni_command cmd, const struct cni_env *env,
			   char (*store)[ENV_ITEM_MAX], int *r)
{
	const char *vals[N_CNI_VARS] = { cni_command_name(cmd), env->containerid, env->netns,
					 env->ifname,           env->args_raw,    env->path };
	size_t n = 0, count = 0;
	char **envp;

	for (char **e = environ; *e; e++)
		count++;
	envp = calloc(count + N_CNI_VARS + 1, sizeof(*envp));
	if (!envp) {
		*r = -ENOMEM;
		return NULL;
	}
	for (char **e = environ; *e; e++)
		if (strchr(*e, '=') && !is_cni_var(*e))
			envp[n++] = *e;
	for (size_t i = 0; i < N_CNI_VARS; i++) {
		if (!vals[i])
			continue;
		if ((size_t) snprintf(store[i], ENV_ITEM_MAX, "%s=%s", cni_vars[i], vals[i]) >=
		    ENV_ITEM_MAX) {
			free(envp);
			*r = -E2BIG;
			return NULL;
		}
		envp[n++] = store[i];
	}
	*r = 0;
	return envp;
}

static struct ipam_exec_stats stats;

void ipam_exec_stats_get(struct ipam_exec_stats *out)
{
	*out = stats;
}

/* Spawns plugin with the caller's environment and this call's CNI variables. */
static int run_plugin(const char *plugin, const char *type, enum cni_command cmd,
		      const struct cni_env *env, const char *in, size_t in_len, unsigned timeout_ms,
		      char **out, int *status, struct cni_err *err)
{
	static char store[N_CNI_VARS][ENV_ITEM_MAX];
	_cleanup_free_ char **envp = NULL;
	char *argv[] = { (char *) type, NULL };
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, r;
	struct child_io io = { .in = in, .in_len = in_len };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def, none;
	long long deadline, start_us;
	pid_t pid;

	*out = NULL;
	start_us = clock_now_us();
	envp = ipam_environ(cmd, env, store, &r);
	if (!envp)
		return err_set(err, r, RDMANET_ERR_IPAM, NULL,
			       "environment for IPAM plugin '%s' too large", type);
	if (pipe2(inp, O_CLOEXEC) < 0 || pipe2(outp, O_CLOEXEC) < 0) {
		r = -errno;
		goto fail_pipes;
	}
	(void) posix_spawn_file_actions_init(&fa);
	(void) posix_spawn_file_actions_adddup2(&fa, inp[0], STDIN_FILENO);
	(void) posix_spawn_file_actions_adddup2(&fa, outp[1], STDOUT_FILENO);
	/* and no fd the runtime let us inherit without close-on-exec: the IPAM gets 0, 1, 2 only */
	(void) posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
	(void) posix_spawnattr_init(&attr);
	(void) sigemptyset(&none);
	(void) sigemptyset(&def);
	(void) sigaddset(&def, SIGPIPE);
	(void) posix_spawnattr_setsigmask(&attr, &none);
	(void) posix_spawnattr_setsigdefault(&attr, &def);
	(void) posix_spawnattr_setpgroup(&attr, 0);
	(void) posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
						       POSIX_SPAWN_SETPGROUP);
	r = -posix_spawn(&pid, plugin, &fa, &attr, argv, envp);
	(void) posix_spawn_file_actions_destroy(&fa);
	(void) posix_spawnattr_destroy(&attr);
	(void) close(inp[0]);
	(void) close(outp[1]);
	if (r < 0) {
		(void) close(inp[1]);
		(void) close(outp[0]);
		return err_set(err, r, RDMANET_ERR_IPAM, NULL, "cannot execute IPAM plugin '%s'",
			       plugin);
	}
	deadline = clock_now_ms() + timeout_ms;
	r = pump(inp[1], outp[0], &io, deadline);
	(void) close(outp[0]);
	if (r < 0 || io.too_big)
		(void) kill(-pid, SIGKILL);
	else
		r = reap(pid, status, deadline); /* a child may close stdout and linger */
	if (r < 0 || io.too_big)
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	stats.runs++;
	stats.us += clock_now_us() - start_us;
	if (r == -ETIMEDOUT) {
		free(io.out);
		return err_set(err, r, CNI_ERR_TRY_AGAIN, NULL,
			       "IPAM plugin '%s' did not answer %s within %u s "
			       "(ipamTimeoutSeconds)",
			       type, cni_command_name(cmd), timeout_ms / 1000);
	}
	if (r < 0 || io.too_big) {
		free(io.out);
		return err_set(err, r < 0 ? r : -E2BIG, RDMANET_ERR_IPAM, NULL,
			       "IPAM plugin '%s' %s: %s", type, cni_command_name(cmd),
			       io.too_big ? "printed more than 1 MiB" :
					    "I/O with the plugin failed");
	}
	*out = io.out;
	return 0;

fail_pipes:
	for (int i = 0; i < 2; i++) {
		if (inp[i] >= 0)
			(void) close(inp[i]);
		if (outp[i] >= 0)
			(void) close(outp[i]);
	}
	return err_set(err, r, RDMANET_ERR_IPAM, NULL, "cannot create pipes for IPAM plugin '%s'",
		       type);
}

/* Turns a failed plugin's error JSON into ours; *code receives its CNI code (0 if none). */
static int plugin_failed(const char *type, enum cni_command cmd, const char *out, int status,
			 int *code, struct cni_err *err)
{
	_cleanup_(cJSON_Deletep) cJSON *j = out ? cJSON_Parse(out) : NULL;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "code");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "msg");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "details");

	*code = 0;
	if (cJSON_IsNumber(c) && c->valueint > 0 && c->valueint < 1000 && cJSON_IsString(m)) {
		*code = c->valueint;
		return err_set(err, -EIO, c->valueint, cJSON_IsString(d) ? d->valuestring : "",
			       "IPAM plugin '%s' failed %s: %.400s", type, cni_command_name(cmd),
			       m->valuestring);
	}
	if (WIFSIGNALED(status))
		return err_set(err, -EIO, RDMANET_ERR_IPAM, out ? out : "",
			       "IPAM plugin '%s' was killed by signal %d during %s", type,
			       WTERMSIG(status), cni_command_name(cmd));
	return err_set(err, -EIO, RDMANET_ERR_IPAM, out ? out : "",
		       "IPAM plugin '%s' exited with status %d during %s without a CNI error", type,
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1, cni_command_name(cmd));
}

/* Highest 1.x version both the plugin and we support, below ours; "" when none. */
static void negotiate(const char *plugin, const char *type, const struct config *cfg,
		      const struct cni_env *env, char out[CNI_VERSION_MAX])
{
	_cleanup_free_ char *reply = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	struct cni_err ignored = { 0 };
	char in[64];
	const cJSON *v, *list;
	int status;

	out[0] = '\0';
	(void) snprintf(in, sizeof(in), "{\"cniVersion\":\"%s\"}", cfg->cni_version);
	if (run_plugin(plugin, type, CNI_CMD_VERSION, env, in, strlen(in), 10000, &reply, &status,
		       &ignored) < 0 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) || !reply)
		return;
	j = cJSON_Parse(reply);
	list = cJSON_GetObjectItemCaseSensitive(j, "supportedVersions");
	cJSON_ArrayForEach(v, list) {
		if (!cJSON_IsString(v) || !cni_version_supported(v->valuestring) ||
		    cni_version_cmp(v->valuestring, "1.0.0") < 0 ||
		    cni_version_cmp(v->valuestring, cfg->cni_version) >= 0)
			continue;
		if (!out[0] || cni_version_cmp(v->valuestring, out) > 0)
			strcpy(out, v->valuestring);
	}
}

/*
 * The network config at another version, all of it: a prevResult (CHECK, DEL) is converted too,
 * since a plugin that parses it refuses one newer than the request (libcni's static: "result type
 * supports [1.0.0] but unmarshalled CNIVersion is 1.1.0"); fields the lower version lacks go.
 */
static char *with_version(const struct config *cfg, const char *version)
{
	_cleanup_(cJSON_Deletep) cJSON *j = cJSON_Duplicate(cfg->root, true);
	_cleanup_(cni_result_free) struct cni_result prev = { 0 };
	_cleanup_free_ char *text = NULL;
	struct cni_err ignored = { 0 };
	cJSON *converted;

	if (!j ||
	    !cJSON_ReplaceItemInObjectCaseSensitive(j, "cniVersion", cJSON_CreateString(version)))
		return NULL;
	if (cfg->prev_result) {
		/* config_parse validated it; unparsable here means out of memory */
		if (cni_result_parse(cfg->prev_result, "prevResult", CNI_ERR_INVALID_CONFIG, &prev,
				     &ignored) < 0 ||
		    !(text = cni_result_format(&prev, version)) || !(converted = cJSON_Parse(text)))
			return NULL;
		if (!cJSON_ReplaceItemInObjectCaseSensitive(j, "prevResult", converted)) {
			cJSON_Delete(converted);
			return NULL;
		}
	}
	return cJSON_PrintUnformatted(j);
}

static int lookup(const struct config *cfg, const struct cni_env *env, char *plugin, size_t len,
		  struct cni_err *err)
{
	if (find_plugin(cfg->ipam_type, env->path, plugin, len) < 0)
		return err_set(err, -ENOENT, RDMANET_ERR_IPAM, NULL,
			       "IPAM plugin '%s' not found in CNI_PATH '%.200s': install it on the "
			       "node or fix 'ipam.type'",
			       cfg->ipam_type, env->path ? env->path : "");
	return 0;
}

int ipam_exec(const struct config *cfg, const struct cni_env *env, enum cni_command cmd, char **out,
	      struct cni_err *err)
{
	_cleanup_free_ char *reply = NULL, *rewritten = NULL;
	char plugin[4096], version[CNI_VERSION_MAX];
	struct cni_err first = { 0 };
	int status, code, r;

	*out = NULL;
	r = lookup(cfg, env, plugin, sizeof(plugin), err);
	if (r < 0)
		return r;
	log_debug("running IPAM plugin '%s' %s", plugin, cni_command_name(cmd));
	r = run_plugin(plugin, cfg->ipam_type, cmd, env, cfg->raw, cfg->raw_len,
		       cfg->ipam_timeout_ms, &reply, &status, err);
	if (r < 0)
		return r;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*out = TAKE_PTR(reply);
		return 0;
	}
	r = plugin_failed(cfg->ipam_type, cmd, reply, status, &code, &first);
	if (code != CNI_ERR_INCOMPATIBLE_VERSION || cni_version_cmp(cfg->cni_version, "1.0.0") <= 0)
		goto fail;
	negotiate(plugin, cfg->ipam_type, cfg, env, version);
	if (!version[0] || !(rewritten = with_version(cfg, version)))
		goto fail;
	log_info("IPAM plugin '%s' does not speak cniVersion %s: retrying %s with %s",
		 cfg->ipam_type, cfg->cni_version, cni_command_name(cmd), version);
	free(reply);
	reply = NULL;
	r = run_plugin(plugin, cfg->ipam_type, cmd, env, rewritten, strlen(rewritten),
		       cfg->ipam_timeout_ms, &reply, &status, err);
	if (r < 0)
		return r;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		*out = TAKE_PTR(reply);
		return 0;
	}
	return plugin_failed(cfg->ipam_type, cmd, reply, status, &code, err);
fail:
	if (!err->code)
		*err = first;
	return r;
}

int ipam_exec_add(const struct config *cfg, const struct cni_env *env, struct cni_result *res,
		  struct cni_err *err)
{
	_cleanup_free_ char *out = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	int r;

	r = ipam_exec(cfg, env, CNI_CMD_ADD, &out, err);
	if (r < 0)
		return r;
	j = out ? cJSON_Parse(out) : NULL;
	if (!j)
		return err_set(err, -EBADMSG, RDMANET_ERR_IPAM, NULL,
			       "IPAM plugin '%s' printed no JSON result for ADD", cfg->ipam_type);
	r = cni_result_parse(j, "IPAM result", RDMANET_ERR_IPAM, res, err);
	if (r < 0)
		return r;
	if (!res->n_ips)
		return err_set(err, -EBADMSG, RDMANET_ERR_IPAM, NULL,
			       "IPAM plugin '%s' returned no IP address", cfg->ipam_type);
	return 0;
}

int ipam_supports(const struct config *cfg, const struct cni_env *env, const char *version,
		  struct cni_err *err)
{
	_cleanup_free_ char *reply = NULL;
	_cleanup_(cJSON_Deletep) cJSON *j = NULL;
	char plugin[4096], in[64];
	const cJSON *v;
	int status, r;

	r = lookup(cfg, env, plugin, sizeof(plugin), err);
	if (r < 0)
		return r;
	(void) snprintf(in, sizeof(in), "{\"cniVersion\":\"%s\"}", cfg->cni_version);
	r = run_plugin(plugin, cfg->ipam_type, CNI_CMD_VERSION, env, in, strlen(in),
		       cfg->ipam_timeout_ms, &reply, &status, err);
	if (r < 0)
		return r;
	j = reply ? cJSON_Parse(reply) : NULL;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !j)
		return err_set(err, -EIO, RDMANET_ERR_IPAM, NULL,
			       "IPAM plugin '%s' did not answer VERSION", cfg->ipam_type);
	cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(j, "supportedVersions"))
		if (cJSON_IsString(v) && !strcmp(v->valuestring, version))
			return 1;
	return 0;
}
