/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cidr.c - address and "address/prefix" text, for the interface plugin's addresses and routes
 * (cni.c, config.c) and for the IPAM's ranges and exclusions (pool.c) alike (pure code).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "rdmanet/cidr.h"
#include "rdmanet/err.h"

int cidr_addr_parse(const char *s, int *family, unsigned char addr[16])
{
	int f;

	memset(addr, 0, 16);
	if (!s)
		return -EINVAL;
	f = strchr(s, ':') ? AF_INET6 : AF_INET;
	/* inet_pton rejects spaces, zones, IPv4 octets with leading zeros and trailing junk */
	if (inet_pton(f, s, addr) != 1) {
		memset(addr, 0, 16);
		return -EINVAL;
	}
	*family = f;
	return 0;
}

int cidr_parse(const char *s, int *family, unsigned char addr[16], unsigned *prefixlen, char *why,
	       size_t whylen)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash, *p;
	unsigned n_bits = 0;
	size_t n;

	memset(addr, 0, 16);
	*family = 0;
	*prefixlen = 0;
	if (!s) {
		err_why(why, whylen, "no CIDR given");
		return -EINVAL;
	}
	slash = strchr(s, '/');
	if (!slash) {
		err_why(why, whylen, "'%s' is not a CIDR: the '/prefix' is missing", s);
		return -EINVAL;
	}
	n = (size_t) (slash - s);
	if (n == 0 || n >= sizeof(ip)) {
		err_why(why, whylen, "'%s' is not a CIDR: bad address", s);
		return -EINVAL;
	}
	memcpy(ip, s, n);
	ip[n] = '\0';
	if (cidr_addr_parse(ip, family, addr) < 0) {
		err_why(why, whylen, "'%s' is not a CIDR: '%s' is not an IP address", s, ip);
		return -EINVAL;
	}
	/* decimal, no sign, no spaces, no leading zeros */
	p = slash + 1;
	n = strlen(p);
	if (n == 0 || n > 3 || (p[0] == '0' && n > 1) || strspn(p, "0123456789") != n) {
		err_why(why, whylen, "'%s' is not a CIDR: bad prefix length '%s'", s, p);
		return -EINVAL;
	}
	for (; *p; p++)
		n_bits = n_bits * 10 + (unsigned) (*p - '0');
	if (n_bits > (*family == AF_INET ? 32u : 128u)) {
		err_why(why, whylen, "'%s' is not a CIDR: the prefix length is over %u", s,
			*family == AF_INET ? 32u : 128u);
		return -EINVAL;
	}
	*prefixlen = n_bits;
	return 0;
}
