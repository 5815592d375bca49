/* SPDX-License-Identifier: Apache-2.0 */
/* log.h - leveled logging to stderr and an optional log file; every line carries cid + ifname. */
#pragma once

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Context printed on every line; strings are copied (truncated). */
void log_set_context(const char *prog, const char *containerid, const char *ifname);
void log_set_level(enum log_level level);
/* Returns -1 for an unknown name. */
int log_level_parse(const char *name);
/* Opens (creating with 0600) an append-only log file; -EINVAL when it is not a regular file
 * (a device, a FIFO, a socket), -errno on other failures. */
int log_open_file(const char *path);
void log_close(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * A record for operators to aggregate (the end-of-call duration line): labelled info, written to
 * the log file whatever the level, to stderr only at level info or debug (the runtime's stderr
 * stays as quiet as before at the default warn).
 */
void log_record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)
