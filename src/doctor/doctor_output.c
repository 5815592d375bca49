/* SPDX-License-Identifier: Apache-2.0 */
/*
 * doctor_output.c - a doctor report as the operator reads it: the cJSON report printed as JSON,
 * or rendered as text (facts per device, port, rail and interface, then the findings).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/doctor.h"
#include "rdmanet/doctor_output.h"

static const char *str(const cJSON *o, const char *k)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, k));

	return s ? s : "";
}

static double num(const cJSON *o, const char *k)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static bool flag(const cJSON *o, const char *k)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(o, k));
}

static void text_netdev(FILE *f, const cJSON *n)
{
	(void) fprintf(f, "%s (ifindex %.0f), MTU %.0f, %s%s", str(n, "name"), num(n, "ifindex"),
		       num(n, "mtu"), flag(n, "up") ? "up" : "DOWN",
		       flag(n, "up") && !flag(n, "carrier") ? ", NO CARRIER" : "");
}

static void text_port(FILE *f, const cJSON *p)
{
	const cJSON *x, *g = cJSON_GetObjectItem(p, "gids");

	(void) fprintf(f, "  port %.0f: %s, %s, %s", num(p, "port"), str(p, "state"),
		       str(p, "physState"), str(p, "linkLayer"));
	if (*str(p, "rate"))
		(void) fprintf(f, ", %s", str(p, "rate"));
	if (cJSON_GetObjectItem(p, "activeMtu"))
		(void) fprintf(f, ", IB MTU %.0f (max %.0f)", num(p, "activeMtu"),
			       num(p, "maxMtu"));
	(void) fputs("\n    netdev: ", f);
	if ((x = cJSON_GetObjectItem(p, "netdev")))
		text_netdev(f, x);
	else
		(void) fputs("none in this network namespace", f);
	(void) fprintf(f, "\n    GIDs: %.0f of %.0f used\n", num(g, "used"), num(g, "total"));
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(g, "entries"))
		(void) fprintf(f, "      %3.0f %-39s %-10s %s\n", num(x, "index"),
			       str(x, "address"), str(x, "type"), str(x, "netdev"));
	if ((g = cJSON_GetObjectItem(p, "pkeys"))) {
		(void) fputs("    P_Keys:", f);
		cJSON_ArrayForEach(x, g)
			(void) fprintf(f, " %s", cJSON_GetStringValue(x));
		(void) fputc('\n', f);
	}
}

static void text_interface(FILE *f, const cJSON *i)
{
	static const char *const vias[][2] = { { "netdev", "the port's netdev" },
					       { "gid", "its IPs are in the port's GID table" },
					       { "ipoib", "IPoIB on the port" } };
	const cJSON *x, *u = cJSON_GetObjectItem(i, "rdma");

	(void) fprintf(f, "\ninterface %s: ", str(i, "name"));
	if (!flag(i, "exists")) {
		(void) fputs("does not exist\n", f);
		return;
	}
	text_netdev(f, cJSON_GetObjectItem(i, "netdev"));
	if (!cJSON_IsObject(u)) {
		(void) fputs("\n  RDMA: none\n", f);
		return;
	}
	(void) fprintf(f, "\n  RDMA: %s port %.0f", str(u, "device"), num(u, "port"));
	for (size_t k = 0; k < ARRAY_SIZE(vias); k++)
		if (!strcmp(str(u, "via"), vias[k][0]))
			(void) fprintf(f, " (%s)", vias[k][1]);
	(void) fputc('\n', f);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(i, "addresses")) {
		if (cJSON_IsNumber(cJSON_GetObjectItem(x, "gidIndex")))
			(void) fprintf(f, "  %s: GID %.0f (%s)\n", str(x, "address"),
				       num(x, "gidIndex"), str(x, "gidType"));
		else
			(void) fprintf(f, "  %s: NO GID\n", str(x, "address"));
	}
}

static void text_rail(FILE *f, const cJSON *x)
{
	const cJSON *p = cJSON_GetObjectItem(x, "parent"), *a;
	const cJSON *sc = cJSON_GetObjectItem(x, "sysctls");

	(void) fprintf(f, "\nrail %s (%s): MTU %.0f", str(x, "name"), str(x, "kind"),
		       num(x, "mtu"));
	if (cJSON_IsObject(p))
		(void) fprintf(f, ", parent %s MTU %.0f", str(p, "name"), num(p, "mtu"));
	(void) fprintf(f, "\n  routing: %s (table %.0f)\n",
		       flag(x, "policyRouting") ? "own table, rules from its addresses" :
						  "MAIN TABLE ONLY",
		       num(x, "table"));
	(void) fputs("  addresses:", f);
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(x, "addresses"))
		(void) fprintf(f, " %s", cJSON_GetStringValue(a));
	(void) fprintf(f, "\n  arp_ignore %.0f, arp_announce %.0f, rp_filter %.0f\n",
		       num(sc, "arp_ignore"), num(sc, "arp_announce"), num(sc, "rp_filter"));
	if (*str(x, "rdma"))
		(void) fprintf(f, "  label: %s\n", str(x, "rdma"));
}

static void text_calllog(FILE *f, const cJSON *x)
{
	const cJSON *c, *codes = cJSON_GetObjectItem(x, "failuresByCode");
	const char *sep = ": ";

	(void) fprintf(f, "\nCNI calls logged in %s (%s):\n", str(x, "path"), str(x, "source"));
	if (!flag(x, "readable")) {
		(void) fprintf(f, "  cannot read it: %s\n", str(x, "error"));
		return;
	}
	if (!num(x, "calls")) {
		(void) fputs("  no call records\n", f);
		return;
	}
	(void) fprintf(f, "  %.0f calls from %s to %s%s, %.0f failed", num(x, "calls"),
		       str(x, "from"), str(x, "to"),
		       num(x, "bytesSkipped") > 0 ? " (the file's last MiB)" : "",
		       num(x, "failures"));
	cJSON_ArrayForEach(c, codes) {
		(void) fprintf(f, "%scode %s x%.0f", sep, c->string, cJSON_GetNumberValue(c));
		sep = ", ";
	}
	(void) fputc('\n', f);
	if (cJSON_GetArraySize(cJSON_GetObjectItem(x, "recentFailures")))
		(void) fputs("  recent failures (newest last):\n", f);
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(x, "recentFailures"))
		(void) fprintf(f, "    %s %s %s code %.0f container %s ifname %s: %s\n",
			       str(c, "time"), str(c, "plugin"), str(c, "cmd"), num(c, "code"),
			       str(c, "container"), str(c, "ifname"), str(c, "msg"));
}

static void text(FILE *f, const cJSON *r, unsigned problems)
{
	const char *mode = cJSON_GetStringValue(cJSON_GetObjectItem(r, "netnsMode"));
	const cJSON *x, *y, *u;

	(void) fprintf(f, "network namespace: %s\n",
		       *str(r, "netns") ? str(r, "netns") : "current (as this process sees it)");
	(void) fprintf(f, "libibverbs: %s\n", str(cJSON_GetObjectItem(r, "libibverbs"), "detail"));
	(void) fprintf(f, "RDMA stack: %s\n", flag(r, "rdmaStack") ? "loaded" : "NOT LOADED");
	if (flag(r, "rdmaStack"))
		(void) fprintf(f, "RDMA netns mode: %s\n", mode ? mode : "unknown (kernel < 5.2)");
	if (cJSON_GetObjectItem(r, "rdmaCm"))
		(void) fprintf(f, "rdma_cm: " DOCTOR_RDMA_CM " %s\n",
			       flag(r, "rdmaCm") ? "present" : "MISSING");
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "devices")) {
		u = cJSON_GetObjectItem(x, "uverbs");
		(void) fprintf(f, "\n%s: driver %s, PCI %s, protocol %s, node GUID %s%s%s\n",
			       str(x, "name"), *str(x, "driver") ? str(x, "driver") : "?",
			       *str(x, "pci") ? str(x, "pci") : "none", str(x, "protocol"),
			       str(x, "nodeGuid"), *str(x, "fw") ? ", fw " : "", str(x, "fw"));
		(void) fprintf(f, "  uverbs: %s %s\n", *str(u, "path") ? str(u, "path") : "none",
			       flag(u, "present") ? "present" : "MISSING");
		if (num(x, "numaNode") >= 0)
			(void) fprintf(f, "  NUMA node: %.0f\n", num(x, "numaNode"));
		else
			(void) fputs("  NUMA node: none reported\n", f);
		cJSON_ArrayForEach(y, cJSON_GetObjectItem(x, "ports"))
			text_port(f, y);
	}
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "rails"))
		text_rail(f, x);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "interfaces"))
		text_interface(f, x);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "callLogs"))
		text_calllog(f, x);
	(void) fputs("\nfindings:\n", f);
	cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "findings")) {
		(void) fprintf(f, "  %-5s  %s\n", str(x, "severity"), str(x, "what"));
		if (*str(x, "cause"))
			(void) fprintf(f, "         cause: %s\n", str(x, "cause"));
		if (*str(x, "fix"))
			(void) fprintf(f, "         fix:   %s\n", str(x, "fix"));
	}
	if (!cJSON_GetArraySize(cJSON_GetObjectItem(r, "findings")))
		(void) fputs("  none\n", f);
	(void) fprintf(f, "\n%u problem%s found\n", problems, problems == 1 ? "" : "s");
}

int doctor_output(const cJSON *report, bool json, unsigned problems, char **out)
{
	size_t size = 0;
	FILE *f;

	*out = NULL;
	if (json) {
		*out = cJSON_Print(report);
		return *out ? 0 : -ENOMEM;
	}
	f = open_memstream(out, &size);
	if (!f)
		return -ENOMEM;
	text(f, report, problems);
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}
