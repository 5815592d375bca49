/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rdma_resolve.c - which RDMA device RDMA CM picks for an address, for tests/vm/guest_rails.sh.
 *
 *   rdma-resolve [-s SRC] [-t TIMEOUT_MS] DST
 *
 * Creates an RDMA CM id (RDMA_PS_TCP) in the caller's network namespace, binds it to SRC when
 * given (rdma_bind_addr, as a workload pinning a rail does), resolves DST (rdma_resolve_addr:
 * route + neighbour lookup in the kernel) and waits for the outcome. Prints one line:
 *
 *   ok dev=rxe1 port=1 src=10.70.0.12 dst=10.70.0.250 bound=rxe1
 *   error step=resolve event=ADDR_ERROR status=-110 bound=rxe1 ...
 *
 * where bound= is the device the bind alone acquired ("-" without SRC or before it). Exit status:
 * 0 resolved; 2 usage; 3 no RDMA CM (event channel or id); 4 bind failed; 5 rdma_resolve_addr
 * failed at once; 6 an error event (ADDR_ERROR, ...); 7 no event before the timeout.
 * Test tool only (librdmacm): never linked into the plugins.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rdma/rdma_cma.h>

enum {
	EXIT_RESOLVED = 0,
	EXIT_USAGE = 2,
	EXIT_NO_CM = 3,
	EXIT_BIND = 4,
	EXIT_RESOLVE = 5,
	EXIT_EVENT = 6,
	EXIT_TIMEOUT = 7,
};

static int parse_addr(const char *s, struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST, .ai_family = AF_UNSPEC };
	struct addrinfo *ai;

	if (getaddrinfo(s, NULL, &hints, &ai))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	return 0;
}

static const char *addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a = sa->sa_family == AF_INET6 ?
				(const void *) &((const struct sockaddr_in6 *) sa)->sin6_addr :
				(const void *) &((const struct sockaddr_in *) sa)->sin_addr;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return "-";
	return inet_ntop(sa->sa_family, a, buf, len) ? buf : "?";
}

static const char *dev_name(const struct rdma_cm_id *id)
{
	return id->verbs ? ibv_get_device_name(id->verbs->device) : "-";
}

/* bind (when src), resolve, wait: prints the line, returns the exit status */
static int resolve(struct rdma_event_channel *ch, struct rdma_cm_id *id,
		   struct sockaddr_storage *src, struct sockaddr_storage *dst, int timeout_ms)
{
	char sbuf[INET6_ADDRSTRLEN], dbuf[INET6_ADDRSTRLEN], bound[64] = "-";
	struct pollfd pfd = { .fd = ch->fd, .events = POLLIN };
	struct rdma_cm_event *ev;
	int r;

	if (src) {
		if (rdma_bind_addr(id, (struct sockaddr *) src)) {
			printf("error step=bind src=%s errno=%d msg=\"%s\"\n",
			       addr_str((struct sockaddr *) src, sbuf, sizeof(sbuf)), errno,
			       strerror(errno));
			return EXIT_BIND;
		}
		snprintf(bound, sizeof(bound), "%s", dev_name(id));
	}
	if (rdma_resolve_addr(id, NULL, (struct sockaddr *) dst, timeout_ms)) {
		printf("error step=resolve_addr bound=%s errno=%d msg=\"%s\"\n", bound, errno,
		       strerror(errno));
		return EXIT_RESOLVE;
	}

	/* the kernel gives up after timeout_ms (ADDR_ERROR); wait a little longer for its event */
	do
		r = poll(&pfd, 1, timeout_ms + 1000);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		printf("error step=wait bound=%s msg=\"no event within %d ms\"\n", bound,
		       timeout_ms + 1000);
		return EXIT_TIMEOUT;
	}
	if (rdma_get_cm_event(ch, &ev)) {
		printf("error step=get_event errno=%d msg=\"%s\"\n", errno, strerror(errno));
		return EXIT_EVENT;
	}
	if (ev->event != RDMA_CM_EVENT_ADDR_RESOLVED) {
		printf("error step=event event=%s status=%d bound=%s\n", rdma_event_str(ev->event),
		       ev->status, bound);
		rdma_ack_cm_event(ev);
		return EXIT_EVENT;
	}
	rdma_ack_cm_event(ev);
	printf("ok dev=%s port=%u src=%s dst=%s bound=%s\n", dev_name(id), id->port_num,
	       addr_str(rdma_get_local_addr(id), sbuf, sizeof(sbuf)),
	       addr_str(rdma_get_peer_addr(id), dbuf, sizeof(dbuf)), bound);
	return EXIT_RESOLVED;
}

static void usage(void)
{
	fprintf(stderr, "usage: rdma-resolve [-s SRC] [-t TIMEOUT_MS] DST\n");
	exit(EXIT_USAGE);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage src, dst;
	struct rdma_event_channel *ch;
	struct rdma_cm_id *id;
	const char *src_arg = NULL;
	int timeout_ms = 2000, c, rc;

	while ((c = getopt(argc, argv, "s:t:")) != -1) {
		switch (c) {
		case 's':
			src_arg = optarg;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || timeout_ms <= 0 || parse_addr(argv[optind], &dst) < 0 ||
	    (src_arg && parse_addr(src_arg, &src) < 0))
		usage();

	ch = rdma_create_event_channel();
	if (!ch) {
		printf("error step=channel errno=%d msg=\"%s\"\n", errno, strerror(errno));
		return EXIT_NO_CM;
	}
	if (rdma_create_id(ch, &id, NULL, RDMA_PS_TCP)) {
		printf("error step=create_id errno=%d msg=\"%s\"\n", errno, strerror(errno));
		rdma_destroy_event_channel(ch);
		return EXIT_NO_CM;
	}
	rc = resolve(ch, id, src_arg ? &src : NULL, &dst, timeout_ms);
	rdma_destroy_id(id);
	rdma_destroy_event_channel(ch);
	return rc;
}
