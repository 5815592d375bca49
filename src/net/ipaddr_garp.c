/* SPDX-License-Identifier: Apache-2.0 */
/* ipaddr_garp.c - gratuitous ARP: the announcement a pod's new address sends (RFC 5227). */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>

#include "rdmanet/cleanup.h"
#include "rdmanet/ipaddr_garp.h"

int ipaddr_garp_packet(unsigned short hwtype, const unsigned char *hw, unsigned hwlen,
		       const unsigned char addr[4], unsigned char *out, size_t outlen)
{
	size_t n = sizeof(struct arphdr) + 2 * (hwlen + 4);
	struct arphdr h = { htons(hwtype), htons(ETH_P_IP), (unsigned char) hwlen, 4,
			    htons(ARPOP_REQUEST) };
	unsigned char *p = out;

	if (!hwlen || hwlen > 32 || n > outlen)
		return -EINVAL;
	memset(out, 0, n);
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	memcpy(p, hw, hwlen);               /* sender hardware address */
	memcpy(p + hwlen, addr, 4);         /* sender IP */
	memcpy(p + 2 * hwlen + 4, addr, 4); /* target IP = sender: an announcement (RFC 5227) */
	return (int) n;
}

int ipaddr_garp(int ifindex, unsigned short hwtype, const unsigned char *hw, unsigned hwlen,
		const unsigned char *bcast, unsigned blen, const unsigned char addr[4])
{
	/* IPoIB's 20-byte addresses do not fit sll_addr[8]: the kernel reads sll_halen bytes */
	struct {
		struct sockaddr_ll ll;
		unsigned char more[32];
	} to = { .ll = { .sll_family = AF_PACKET,
			 .sll_protocol = htons(ETH_P_ARP),
			 .sll_ifindex = ifindex,
			 .sll_halen = (unsigned char) blen } };
	unsigned char pkt[sizeof(struct arphdr) + 2 * (32 + 4)];
	_cleanup_close_ int fd = -1;
	int n = ipaddr_garp_packet(hwtype, hw, hwlen, addr, pkt, sizeof(pkt));

	if (n < 0 || !blen || blen > 8 + sizeof(to.more))
		return -EINVAL;
	memcpy((unsigned char *) &to + offsetof(struct sockaddr_ll, sll_addr), bcast, blen);
	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0)
		return -errno;
	if (sendto(fd, pkt, (size_t) n, 0, (struct sockaddr *) &to,
		   (socklen_t) (offsetof(struct sockaddr_ll, sll_addr) + blen)) < 0)
		return -errno;
	return 0;
}
