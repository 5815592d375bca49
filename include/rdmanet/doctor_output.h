/* SPDX-License-Identifier: Apache-2.0 */
/* doctor_output.h - a doctor report rendered for the operator: JSON or text. */
#pragma once
#include <stdbool.h>

#include <cjson/cJSON.h>

/*
 * The report (doctor_collect.h's cJSON object) as JSON, or as text ending in "N problems found";
 * *out is the caller's to free. -ENOMEM.
 */
int doctor_output(const cJSON *report, bool json, unsigned problems, char **out);
