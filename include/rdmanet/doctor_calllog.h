/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_calllog.h - the node's recent CNI failures for the doctor: the end-of-call records
 * (plugin_main.h) in the log files of the rdmanet networks in the CNI config folder and those
 * given with --log-file, read from their tail only.
 */
#pragma once
#include <stddef.h>

#include <cjson/cJSON.h>

#include "rdmanet/doctor.h"
#include "rdmanet/doctor_rules.h"

#define DOCTOR_CNI_CONF_DIR   "/etc/cni/net.d"
#define DOCTOR_CONF_FILES_MAX 64            /* config files read from the folder */
#define DOCTOR_CONF_MAX       (256 * 1024)  /* a larger config file is skipped */
#define DOCTOR_LOG_TAIL       (1024 * 1024) /* read of each log file: its last MiB */
#define DOCTOR_LAST_FAILURES  10

/*
 * Adds "callLogs" to root: per log file its source, whether it could be read, the window of
 * records read, calls and failures, failures per CNI code and the last DOCTOR_LAST_FAILURES
 * failed calls; the rules' findings to f. Never fails the run: what cannot be read is a finding.
 */
void doctor_calllog(const struct doctor_opts *o, cJSON *root, struct doctor_findings *f);

/*
 * One record line (a whole log line, NUL-terminated, modified in place) into a new cJSON object
 * {time, plugin, cmd, result, code, ms, network, container, ifname, msg}; NULL when the line is
 * no record. For tests.
 */
cJSON *doctor_calllog_parse(char *line);
