/* SPDX-License-Identifier: Apache-2.0 */
/* ipaddr_sysctl.h - per-interface IPv4/IPv6 sysctls inside the pod netns. */
#pragma once

/*
 * Writes /proc/sys/net/<ipv4|ipv6>/conf/<ifname>/<key>; must run inside the target netns.
 * -ENOENT when the tree is absent (IPv6 disabled).
 */
int ipaddr_sysctl_set(const char *family, const char *ifname, const char *key, const char *value);
/* Reads an integer sysctl of the same tree; must run inside the target netns. */
int ipaddr_sysctl_get(const char *family, const char *ifname, const char *key, int *value);
