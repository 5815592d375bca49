/* SPDX-License-Identifier: Apache-2.0 */
/*
 * devinfo.c - the Device Information Specification file (NPWG) Multus passes in the config and
 * copies into the pod's network-status: the RDMA device of an attachment, added to the file the
 * device plugin wrote or in one of our own, replaced atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/devinfo.h"
#include "rdmanet/log.h"

#define DEVINFO_MAX_BYTES 65536

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

/* mkdir -p of the parent of path; the spec says the plugin creates the directory if missing. */
static int make_parent(const char *path)
{
	char dir[CONFIG_PATH_MAX];

	(void) snprintf(dir, sizeof(dir), "%s", path);
	for (char *c = dir + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*c = '/';
	}
	return 0;
}

static cJSON *read_devinfo(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char buf[DEVINFO_MAX_BYTES + 1];
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t) n;
	if (n < 0 || len > DEVINFO_MAX_BYTES)
		return NULL;
	return cJSON_ParseWithLength(buf, len);
}

int cmd_rdma_devinfo(const struct config *cfg, const struct rdma_plan *plan, const char *pci,
		     bool *created, struct cni_err *err)
{
	_cleanup_(cJSON_Deletep) cJSON *root = NULL;
	_cleanup_free_ char *text = NULL;
	char tmp[CONFIG_PATH_MAX + 32];
	_cleanup_close_ int fd = -1;
	cJSON *p;
	size_t len, off = 0;
	int r;

	*created = false;
	if (!cfg->devinfo_file[0] || !plan->active)
		return 0;
	/* Multus copies the device plugin's file here for NADs with a resourceName: keep it */
	root = read_devinfo(cfg->devinfo_file);
	if (root && cJSON_IsObject(root) &&
	    cJSON_IsObject(p = cJSON_GetObjectItemCaseSensitive(root, "pci"))) {
		if (cJSON_GetObjectItemCaseSensitive(p, "rdma-device")) {
			log_debug("device-info file '%s' already names the RDMA device",
				  cfg->devinfo_file);
			return 0;
		}
	} else {
		cJSON_Delete(TAKE_PTR(root));
		if (!pci || !pci[0]) {
			log_info("RDMA device '%s' has no PCI address: no device-info file written",
				 plan->dev.name);
			return 0;
		}
		root = cJSON_CreateObject();
		if (!root || !cJSON_AddStringToObject(root, "type", "pci") ||
		    !cJSON_AddStringToObject(root, "version", "1.1.0") ||
		    !(p = cJSON_AddObjectToObject(root, "pci")) ||
		    !cJSON_AddStringToObject(p, "pci-address", pci))
			return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
		*created = true;
	}
	if (!cJSON_AddStringToObject(p, "rdma-device", plan->dev.name) ||
	    !(text = cJSON_PrintUnformatted(root)))
		return err_set(err, -ENOMEM, RDMANET_ERR_INTERNAL, NULL, "out of memory");
	r = make_parent(cfg->devinfo_file);
	if (r < 0)
		goto fail;
	(void) snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", cfg->devinfo_file, (long) getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	len = strlen(text);
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno != EINTR) {
			r = -errno;
			(void) unlink(tmp);
			goto fail;
		}
		off += n > 0 ? (size_t) n : 0;
	}
	if (rename(tmp, cfg->devinfo_file) < 0) {
		r = -errno;
		(void) unlink(tmp);
		goto fail;
	}
	log_info("device-info file '%s' names RDMA device '%s'", cfg->devinfo_file, plan->dev.name);
	return 0;
fail:
	*created = false;
	return err_set(err, r, RDMANET_ERR_INTERNAL, NULL, "cannot write the device-info file '%s'",
		       cfg->devinfo_file);
}
