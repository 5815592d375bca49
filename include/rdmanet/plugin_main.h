/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plugin_main.h - the one entry of both plugins (as CNI's skel.PluginMain is for Go plugins):
 * the CNI_* environment and stdin, VERSION, a handler per command, the result or error JSON on
 * stdout and the exit status. Each binary's main() is a call to cni_plugin_main().
 */
#pragma once
#include <stddef.h>

#include "rdmanet/cni.h"
#include "rdmanet/config.h"
#include "rdmanet/err.h"

/* One invocation, as a plugin's hooks and handlers see it. */
struct cni_call {
	struct cni_env env;
	const char *in; /* stdin, NUL-terminated */
	size_t len;
	char version[CNI_VERSION_MAX];     /* of the JSON: stdin's cniVersion, then the config's */
	struct cni_result res;             /* what ADD answers, printed in version */
	void *ctx;                         /* the plugin's own state, as main() handed it */
	char network[CONFIG_NAME_MAX + 1]; /* the config's "name", set by load, for the record */
};

/* `<binary> WORD ARGS...`: run gets argv from WORD on and returns the exit status. */
struct cni_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
};

/*
 * The versions VERSION answers are cni_supported_versions, the same for both plugins. Unlike
 * skel, no "about" text: an unset CNI_COMMAND is error 4, not a banner.
 */
struct cni_plugin {
	const char *name;                         /* log context: "rdmanet" */
	const struct cni_subcommand *subcommands; /* { NULL }-terminated; may be NULL */
	/*
	 * Parses c->in into c->ctx, copies a cniVersion it found to c->version and sets up logging;
	 * anything else every command needs. unload follows whatever load returned.
	 */
	int (*load)(struct cni_call *c, struct cni_err *err);
	void (*unload)(struct cni_call *c);
	/*
	 * Before unload: the plugin's own fields of the call's record (see cni_plugin_main), added
	 * to buf (len bytes, NUL-terminated) with cni_record_field. May be NULL.
	 */
	void (*record)(struct cni_call *c, char *buf, size_t len);
	/* One per CNI_COMMAND; add fills c->res. NULL: "unsupported CNI_COMMAND", error 4. */
	int (*add)(struct cni_call *c, struct cni_err *err);
	int (*del)(struct cni_call *c, struct cni_err *err);
	int (*check)(struct cni_call *c, struct cni_err *err);
	int (*status)(struct cni_call *c, struct cni_err *err);
	int (*gc)(struct cni_call *c, struct cni_err *err);
};

/*
 * The whole process: SIGPIPE ignored, a subcommand named by argv[1], else one CNI command with
 * ctx as c->ctx. Returns the exit status: 0, or 1 with the error JSON printed and logged.
 * Each command that got as far as load ends with one logfmt record (log_record), e.g.
 *   call cmd=ADD result=ok code=0 ms=12.345 network=net container=ID ifname=net1 <plugin's>
 * with result=error, the CNI code and msg="..." (last) when it failed; ms is the wall time from
 * main() to the record.
 */
int cni_plugin_main(int argc, char **argv, const struct cni_plugin *p, void *ctx);

/*
 * Appends " key=value" to the NUL-terminated buf of len bytes: value bare when it is a plain word
 * (letters, digits, "-_.:/@+,"), else double-quoted with '"' and '\\' escaped (and cut to fit);
 * dropped when not even its start fits.
 */
void cni_record_field(char *buf, size_t len, const char *key, const char *value);

/*
 * A config's logging, for load: level < 0 keeps the default, file "" is stderr only; field
 * names the config key in the warning when the file cannot be used.
 */
void cni_plugin_logging(int level, const char *file, const char *field);
