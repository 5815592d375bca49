/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_calllog.c - the node's recent CNI failures: which log files the rdmanet networks write
 * (logFile, ipam.log_file of the configs in the CNI config folder, plus --log-file), and what
 * the end-of-call records at their tail say: calls and failures over the window read, failures
 * per CNI code, the last few failed calls. Bounded everywhere: a config folder of at most
 * DOCTOR_CONF_FILES_MAX files of DOCTOR_CONF_MAX bytes, the last DOCTOR_LOG_TAIL bytes of a log.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/doctor_calllog.h"
#include "rdmanet/file.h"

#define LOGS_MAX 8

DEFINE_CLEANUP(cJSON *, cJSON_Delete)

struct log_ref {
	char path[4096];
	char source[4200];
};

struct logs {
	struct log_ref l[LOGS_MAX];
	unsigned n;
};

static void add_log(struct logs *ls, const char *path, const char *source)
{
	if (!path || path[0] != '/')
		return;
	for (unsigned i = 0; i < ls->n; i++)
		if (!strcmp(ls->l[i].path, path))
			return;
	if (ls->n >= LOGS_MAX)
		return;
	(void) snprintf(ls->l[ls->n].path, sizeof(ls->l[0].path), "%s", path);
	(void) snprintf(ls->l[ls->n].source, sizeof(ls->l[0].source), "%s", source);
	ls->n++;
}

/* The log files one network config (a .conf, a .conflist or a Multus delegate) names. */
static void conf_logs(const cJSON *conf, const char *source, struct logs *ls, int depth)
{
	const cJSON *p, *list = cJSON_GetObjectItem(conf, "plugins");

	if (depth > 2)
		return;
	if (!cJSON_IsArray(list))
		list = NULL;
	cJSON_ArrayForEach(p, list)
		conf_logs(p, source, ls, depth + 1);
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(conf, "delegates"))
		conf_logs(p, source, ls, depth + 1);
	if (!list &&
	    !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(conf, "type")) ?: "", "rdmanet")) {
		const cJSON *ipam = cJSON_GetObjectItem(conf, "ipam");
		char what[4200];

		(void) snprintf(what, sizeof(what), "logFile of %s", source);
		add_log(ls, cJSON_GetStringValue(cJSON_GetObjectItem(conf, "logFile")), what);
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(ipam, "type")) ?: "",
			    "rdmanet-ipam")) {
			(void) snprintf(what, sizeof(what), "ipam.log_file of %s", source);
			add_log(ls, cJSON_GetStringValue(cJSON_GetObjectItem(ipam, "log_file")),
				what);
		}
	}
}

static int conf_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && ((n > 5 && !strcmp(e->d_name + n - 5, ".conf")) ||
				       (n > 9 && !strcmp(e->d_name + n - 9, ".conflist")) ||
				       (n > 5 && !strcmp(e->d_name + n - 5, ".json")));
}

/* The log files of the rdmanet networks in dir; -errno when dir cannot be listed. */
static int dir_logs(const char *dir, struct logs *ls)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, conf_file, alphasort);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		_cleanup_(cJSON_Deletep) cJSON *conf = NULL;
		_cleanup_free_ char *text = NULL;
		char path[4096];
		size_t len;

		if (i < DOCTOR_CONF_FILES_MAX &&
		    (size_t) snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) <
			    sizeof(path) &&
		    file_read_bounded(path, DOCTOR_CONF_MAX, &text, &len) >= 0 &&
		    (conf = cJSON_ParseWithLength(text, len)))
			conf_logs(conf, path, ls, 0);
		free(names[i]);
	}
	free(names);
	return 0;
}

/* One "key=value" of a record at *s (bare, or double-quoted with \" and \\), in place. */
static bool next_field(char **s, char **key, char **value)
{
	char *p = *s, *w;

	while (*p == ' ')
		p++;
	*key = p;
	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	if (p == *key || *p != '=')
		return false;
	*p++ = '\0';
	if (*p == '"') {
		*value = w = ++p;
		for (; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			*w++ = *p;
		}
		if (*p)
			p++;
		*w = '\0';
	} else {
		*value = p;
		p += strcspn(p, " ");
		if (*p)
			*p++ = '\0';
	}
	*s = p;
	return true;
}

cJSON *doctor_calllog_parse(char *line)
{
	static const char *const numeric[] = { "code", "ms" };
	static const char *const strings[] = { "cmd",       "result", "network",
					       "container", "ifname", "msg" };
	char *rec = strstr(line, ": call cmd="), *sp, *br, *key, *value;
	cJSON *o;

	if (!rec || !(sp = strchr(line, ' ')) || sp > rec)
		return NULL;
	*rec = '\0';
	rec += strlen(": call ");
	*sp++ = '\0';
	br = strchr(sp, '[');
	if (!br || br > sp + 64)
		return NULL;
	*br = '\0';
	o = cJSON_CreateObject();
	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "time", line);
	cJSON_AddStringToObject(o, "plugin", sp);
	while (next_field(&rec, &key, &value)) {
		for (size_t i = 0; i < ARRAY_SIZE(numeric); i++)
			if (!strcmp(key, numeric[i]))
				cJSON_AddNumberToObject(o, key, strtod(value, NULL));
		for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
			if (!strcmp(key, strings[i]))
				cJSON_AddStringToObject(o, key, value);
	}
	if (!cJSON_GetObjectItem(o, "cmd") || !cJSON_GetObjectItem(o, "result")) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The records of one log file into its object x; the failure findings to f. */
static void scan_log(const struct log_ref *l, cJSON *x, struct doctor_findings *f)
{
	_cleanup_free_ char *text = NULL;
	cJSON *recent, *codes, *first = NULL, *last = NULL;
	unsigned calls = 0, failures = 0;
	size_t len, skipped;
	char *line, *next;
	int r;

	r = file_read_tail(l->path, DOCTOR_LOG_TAIL, &text, &len, &skipped);
	cJSON_AddBoolToObject(x, "readable", r >= 0);
	if (r < 0) {
		cJSON_AddStringToObject(x, "error", strerror(-r));
		doctor_rule_call_log(f, l->path, l->source, r);
		return;
	}
	cJSON_AddNumberToObject(x, "bytesRead", (double) len);
	cJSON_AddNumberToObject(x, "bytesSkipped", (double) skipped);
	codes = cJSON_CreateObject();
	recent = cJSON_CreateArray();
	/* from the middle of the file: its first, partial line is no record */
	line = skipped ? strchr(text, '\n') : text;
	for (; line && *line; line = next) {
		_cleanup_(cJSON_Deletep) cJSON *o = NULL;
		const cJSON *c;
		char code[16];

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!(o = doctor_calllog_parse(line)))
			continue;
		calls++;
		cJSON_Delete(last);
		last = cJSON_Duplicate(cJSON_GetObjectItem(o, "time"), true);
		if (!first)
			first = cJSON_Duplicate(last, true);
		if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "result")), "ok"))
			continue;
		failures++;
		(void) snprintf(code, sizeof(code), "%.0f",
				cJSON_GetNumberValue(cJSON_GetObjectItem(o, "code")));
		c = cJSON_GetObjectItem(codes, code);
		if (c)
			cJSON_SetNumberValue((cJSON *) c, c->valuedouble + 1);
		else
			cJSON_AddNumberToObject(codes, code, 1);
		cJSON_AddItemToArray(recent, TAKE_PTR(o));
		if (cJSON_GetArraySize(recent) > DOCTOR_LAST_FAILURES)
			cJSON_DeleteItemFromArray(recent, 0);
	}
	cJSON_AddItemToObject(x, "from", first ? first : cJSON_CreateNull());
	cJSON_AddItemToObject(x, "to", last ? last : cJSON_CreateNull());
	cJSON_AddNumberToObject(x, "calls", calls);
	cJSON_AddNumberToObject(x, "failures", failures);
	cJSON_AddItemToObject(x, "failuresByCode", codes);
	cJSON_AddItemToObject(x, "recentFailures", recent);
	doctor_rule_call_failures(f, l->path, calls, failures,
				  first ? cJSON_GetStringValue(first) : "");
}

void doctor_calllog(const struct doctor_opts *o, cJSON *root, struct doctor_findings *f)
{
	_cleanup_free_ struct logs *ls = calloc(1, sizeof(*ls));
	const char *dir = o->cni_conf_dir ? o->cni_conf_dir : DOCTOR_CNI_CONF_DIR;
	cJSON *arr = cJSON_AddArrayToObject(root, "callLogs");
	int r;

	if (!ls || !arr)
		return;
	for (int i = 0; i < o->n_log_files; i++)
		add_log(ls, o->log_files[i], "--log-file");
	r = dir_logs(dir, ls);
	cJSON_AddStringToObject(root, "cniConfDir", dir);
	for (unsigned i = 0; i < ls->n; i++) {
		cJSON *x = cJSON_CreateObject();

		if (!x)
			return;
		cJSON_AddStringToObject(x, "path", ls->l[i].path);
		cJSON_AddStringToObject(x, "source", ls->l[i].source);
		scan_log(&ls->l[i], x, f);
		cJSON_AddItemToArray(arr, x);
	}
	if (!ls->n)
		doctor_rule_no_call_log(f, dir, r);
}
