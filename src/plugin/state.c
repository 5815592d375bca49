/* SPDX-License-Identifier: Apache-2.0 */
/* state.c - per-attachment state files: JSON, bounded, atomic, private to root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/state.h"

DEFINE_CLEANUP(cJSON *, cJSON_Delete)
DEFINE_CLEANUP(DIR *, closedir)

static int state_path(const char *containerid, const char *ifname, char *out, size_t len)
{
	int n;

	if (!cni_containerid_valid(containerid) || !cni_ifname_valid(ifname))
		return -EINVAL;
	n = snprintf(out, len, STATE_DIR "/%s-%s.json", containerid, ifname);
	return n < 0 || (size_t) n >= len ? -ENAMETOOLONG : 0;
}

/* mkdir -p of STATE_DIR, the last component 0700 (it names pods' devices). */
static int make_dir(void)
{
	char path[] = STATE_DIR;

	for (char *c = path + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int get_str(const cJSON *o, const char *key, char *out, size_t len)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	out[0] = '\0';
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= len)
		return -EBADMSG;
	strcpy(out, v->valuestring);
	return 0;
}

static int get_int(const cJSON *o, const char *key, int min, int max, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || v->valuedouble < min || v->valuedouble > max)
		return -EBADMSG;
	*out = (int) v->valuedouble;
	return 0;
}

static int state_load_file(int dirfd, const char *file, struct state *st)
{
	char buf[STATE_MAX_BYTES + 1];
	_cleanup_close_ int fd = -1;
	_cleanup_(cJSON_Deletep) cJSON *root = NULL;
	int mtu = 0, port = 0;
	ssize_t n;
	size_t len = 0;

	memset(st, 0, sizeof(*st));
	st->gid_index = -1;
	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t) n;
	if (n < 0)
		return -errno;
	if (len > STATE_MAX_BYTES)
		return -EFBIG;
	root = cJSON_ParseWithLength(buf, len);
	if (!cJSON_IsObject(root))
		return -EBADMSG;
	if (get_str(root, "network", st->network, sizeof(st->network)) < 0 ||
	    get_str(root, "containerID", st->containerid, sizeof(st->containerid)) < 0 ||
	    get_str(root, "ifname", st->ifname, sizeof(st->ifname)) < 0 ||
	    get_str(root, "netns", st->netns, sizeof(st->netns)) < 0 ||
	    get_str(root, "kind", st->kind, sizeof(st->kind)) < 0 ||
	    get_str(root, "hostName", st->host_name, sizeof(st->host_name)) < 0 ||
	    get_int(root, "hostIfindex", 0, INT_MAX, &st->host_ifindex) < 0 ||
	    get_int(root, "hostMtu", 0, 65535, &mtu) < 0 ||
	    get_str(root, "busID", st->bus_id, sizeof(st->bus_id)) < 0 ||
	    get_str(root, "rdmaDevice", st->rdma_device, sizeof(st->rdma_device)) < 0 ||
	    get_int(root, "rdmaPort", 0, 255, &port) < 0 ||
	    get_int(root, "gidIndex", -1, 65535, &st->gid_index) < 0)
		return -EBADMSG;
	st->host_mtu = (unsigned) mtu;
	st->rdma_port = (unsigned) port;
	st->rdma_moved = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "rdmaMoved"));
	if (st->host_name[0] && !cni_ifname_valid(st->host_name))
		return -EBADMSG;
	return 0;
}

int state_load(const char *containerid, const char *ifname, struct state *st)
{
	char path[PATH_MAX];
	int r = state_path(containerid, ifname, path, sizeof(path));

	if (r < 0)
		return r;
	return state_load_file(AT_FDCWD, path, st);
}

static char *format(const struct state *st)
{
	_cleanup_(cJSON_Deletep) cJSON *o = cJSON_CreateObject();
	bool ok = o;

	ok = ok && cJSON_AddStringToObject(o, "network", st->network) &&
	     cJSON_AddStringToObject(o, "containerID", st->containerid) &&
	     cJSON_AddStringToObject(o, "ifname", st->ifname) &&
	     cJSON_AddStringToObject(o, "netns", st->netns) &&
	     cJSON_AddStringToObject(o, "kind", st->kind) &&
	     cJSON_AddStringToObject(o, "hostName", st->host_name) &&
	     cJSON_AddNumberToObject(o, "hostIfindex", st->host_ifindex) &&
	     cJSON_AddNumberToObject(o, "hostMtu", st->host_mtu) &&
	     cJSON_AddStringToObject(o, "busID", st->bus_id) &&
	     cJSON_AddStringToObject(o, "rdmaDevice", st->rdma_device) &&
	     cJSON_AddNumberToObject(o, "rdmaPort", st->rdma_port) &&
	     cJSON_AddBoolToObject(o, "rdmaMoved", st->rdma_moved) &&
	     cJSON_AddNumberToObject(o, "gidIndex", st->gid_index);
	return ok ? cJSON_PrintUnformatted(o) : NULL;
}

int state_save(const char *containerid, const char *ifname, const struct state *st)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1, dfd = -1;
	size_t len, off = 0;
	int r;

	r = state_path(containerid, ifname, path, sizeof(path));
	if (r < 0)
		return r;
	r = make_dir();
	if (r < 0)
		return r;
	text = format(st);
	if (!text)
		return -ENOMEM;
	len = strlen(text);
	(void) snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long) getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		off += (size_t) n;
	}
	if (fsync(fd) < 0 || rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	dfd = open(STATE_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0)
		(void) fsync(dfd);
	return 0;
fail:
	(void) unlink(tmp);
	return r;
}

int state_foreach(int (*fn)(const struct state *st, void *arg), void *arg)
{
	_cleanup_(closedirp) DIR *d = opendir(STATE_DIR);
	struct dirent *e;
	struct state st;
	int r;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		if (n < 6 || strcmp(e->d_name + n - 5, ".json"))
			continue;
		r = state_load_file(dirfd(d), e->d_name, &st);
		if (r < 0 || !cni_containerid_valid(st.containerid) || !cni_ifname_valid(st.ifname))
			continue;
		r = fn(&st, arg);
		if (r < 0)
			return r;
	}
	return 0;
}

int state_remove(const char *containerid, const char *ifname)
{
	char path[PATH_MAX];
	int r = state_path(containerid, ifname, path, sizeof(path));

	if (r < 0)
		return r;
	return unlink(path) < 0 ? -errno : 0;
}
