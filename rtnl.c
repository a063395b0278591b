/*
 * rtnl.c: the card's rtnetlink requests (rtnl.h). Each opens its own
 * socket, sends one request and reads what answers it: they are rare (an
 * address at start, a lease now and then), and the kernel answers at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "rtnl.h"

#define RTNL_V4_BITS    32u
#define RTNL_V6_BITS    128u
#define RTNL_DUMP_BUF   16384u  /* one read of a route dump */
#define RTNL_DUMP_READS 4096u   /* reads of one dump at most */
#define RTNL_TIMEOUT_S  2       /* the kernel answers at once; never hang */
#define RTNL_INFINITY   0xffffffffu /* INFINITY_LIFE_TIME */

struct rtnl_req {
	struct nlmsghdr n;
	union {
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	} u;
	char attrs[256];
};

/* Append an attribute to the request (its room is always enough here). */
static void
rtnl_attr(struct rtnl_req *req, unsigned short type, const void *data,
    size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)req +
	    NLMSG_ALIGN(req->n.nlmsg_len));

	if (NLMSG_ALIGN(req->n.nlmsg_len) + RTA_SPACE(len) > sizeof *req)
		return;
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	req->n.nlmsg_len = NLMSG_ALIGN(req->n.nlmsg_len) +
	    RTA_ALIGN(rta->rta_len);
}

static int
rtnl_open(char *err, size_t errlen)
{
	struct timeval tv = { RTNL_TIMEOUT_S, 0 };
	int sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (sock < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return sock;
}

static int
rtnl_send(int sock, struct nlmsghdr *req, char *err, size_t errlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(sock, req, req->nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof sa) < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Send one request and read its acknowledgement: 0, the kernel's errno
 * for it (> 0), or -1 with err if netlink itself failed. */
static int
rtnl_talk(struct nlmsghdr *req, char *err, size_t errlen)
{
	char reply[1024];
	ssize_t n;
	int sock = rtnl_open(err, errlen);

	if (sock < 0)
		return -1;
	if (rtnl_send(sock, req, err, errlen) != 0) {
		close(sock);
		return -1;
	}
	n = recv(sock, reply, sizeof reply, 0);
	close(sock);
	if (n < 0) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		return -1;
	}
	if (n >= (ssize_t)(NLMSG_HDRLEN + sizeof(struct nlmsgerr))) {
		struct nlmsghdr *h = (struct nlmsghdr *)reply;
		struct nlmsgerr *e = NLMSG_DATA(h);
		if (h->nlmsg_type == NLMSG_ERROR && e->error != 0)
			return -e->error;
	}
	return 0;
}

static int
rtnl_ifindex(const char *ifname, unsigned *idx, char *err, size_t errlen)
{
	if ((*idx = if_nametoindex(ifname)) == 0) {
		snprintf(err, errlen, "%s: %s", ifname, strerror(errno));
		return -1;
	}
	return 0;
}

int
rtnl_addr(const char *ifname, int add, int family, const void *addr,
    unsigned prefix, uint32_t valid_s, char *err, size_t errlen)
{
	size_t alen = family == AF_INET ? 4 : 16;
	char shown[INET6_ADDRSTRLEN];
	struct rtnl_req req;
	unsigned idx;
	int rc;

	if ((family != AF_INET && family != AF_INET6) ||
	    prefix > (family == AF_INET ? RTNL_V4_BITS : RTNL_V6_BITS)) {
		snprintf(err, errlen, "%s: not an address and prefix", ifname);
		return -1;
	}
	if (rtnl_ifindex(ifname, &idx, err, errlen) != 0)
		return -1;
	memset(&req, 0, sizeof req);
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.u.ifa);
	req.n.nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE |
	    NLM_F_REPLACE : 0);
	req.u.ifa.ifa_family = (unsigned char)family;
	req.u.ifa.ifa_prefixlen = (unsigned char)prefix;
	req.u.ifa.ifa_index = idx;
	rtnl_attr(&req, IFA_LOCAL, addr, alen);
	rtnl_attr(&req, IFA_ADDRESS, addr, alen);
	if (add && family == AF_INET && prefix < RTNL_V4_BITS - 1) {
		uint32_t a, mask = prefix ? htonl(~0u << (RTNL_V4_BITS -
		    prefix)) : 0;
		memcpy(&a, addr, 4);
		a |= ~mask;
		rtnl_attr(&req, IFA_BROADCAST, &a, 4);
	}
	if (add && valid_s != RTNL_FOREVER) {
		struct ifa_cacheinfo ci = { .ifa_prefered = valid_s,
		    .ifa_valid = valid_s };
		rtnl_attr(&req, IFA_CACHEINFO, &ci, sizeof ci);
	}
	rc = rtnl_talk(&req.n, err, errlen);
	/* Removing what is not there is done. */
	if (!add && rc == EADDRNOTAVAIL)
		rc = 0;
	if (rc > 0) {
		inet_ntop(family, addr, shown, sizeof shown);
		snprintf(err, errlen, "%s %s/%u %s %s: %s", add ? "adding" :
		    "removing", shown, prefix, add ? "to" : "from", ifname,
		    strerror(rc));
	}
	return rc == 0 ? 0 : -1;
}

/* Is this dump entry an IPv4 default route of the main table? */
static int
rtnl_is_default(struct nlmsghdr *h)
{
	struct rtmsg *r = NLMSG_DATA(h);
	struct rtattr *a;
	unsigned table;
	int len;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof *r))
		return 0;
	if (r->rtm_family != AF_INET || r->rtm_dst_len != 0 ||
	    r->rtm_type != RTN_UNICAST)
		return 0;
	table = r->rtm_table;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *r));
	for (a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == RTA_TABLE &&
		    RTA_PAYLOAD(a) >= sizeof(uint32_t))
			memcpy(&table, RTA_DATA(a), sizeof(uint32_t));
	return table == RT_TABLE_MAIN;
}

/* 1 if the main table has an IPv4 default route, 0 if not, -1 with err. */
static int
rtnl_has_default4(char *err, size_t errlen)
{
	char buf[RTNL_DUMP_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct rtnl_req req;
	int sock, found = 0;

	if ((sock = rtnl_open(err, errlen)) < 0)
		return -1;
	memset(&req, 0, sizeof req);
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.u.rt);
	req.n.nlmsg_type = RTM_GETROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.u.rt.rtm_family = AF_INET;
	if (rtnl_send(sock, &req.n, err, errlen) != 0) {
		close(sock);
		return -1;
	}
	for (unsigned reads = 0; reads < RTNL_DUMP_READS; reads++) {
		ssize_t n = recv(sock, buf, sizeof buf, 0);
		size_t off = 0;

		if (n <= 0) {
			snprintf(err, errlen, "netlink route dump: %s",
			    n < 0 ? strerror(errno) : "cut short");
			close(sock);
			return -1;
		}
		/* Each message whole within what was read, or the read ends. */
		while (off + NLMSG_HDRLEN <= (size_t)n) {
			struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);

			if (h->nlmsg_len < NLMSG_HDRLEN ||
			    h->nlmsg_len > (size_t)n - off)
				break;
			if (h->nlmsg_type == NLMSG_DONE) {
				close(sock);
				return found;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				snprintf(err, errlen, "netlink route dump: "
				    "refused");
				close(sock);
				return -1;
			}
			found |= rtnl_is_default(h);
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
	close(sock);
	snprintf(err, errlen, "netlink route dump: no end");
	return -1;
}

int
rtnl_default_route4(const char *ifname, int add, uint32_t gw, char *err,
    size_t errlen)
{
	uint32_t gw_n = htonl(gw);
	char shown[INET_ADDRSTRLEN];
	struct rtnl_req req;
	unsigned idx;
	int rc;

	if (add && (rc = rtnl_has_default4(err, errlen)) != 0)
		return rc;
	if (rtnl_ifindex(ifname, &idx, err, errlen) != 0)
		return add ? -1 : 0;	/* the interface gone: the route too */
	memset(&req, 0, sizeof req);
	req.n.nlmsg_len = NLMSG_LENGTH(sizeof req.u.rt);
	req.n.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE |
	    NLM_F_EXCL : 0);
	req.u.rt.rtm_family = AF_INET;
	req.u.rt.rtm_table = RT_TABLE_MAIN;
	/* Marked as DHCP's: a removal takes only a route so marked, never
	 * one the administrator made through the same router. */
	req.u.rt.rtm_protocol = RTPROT_DHCP;
	req.u.rt.rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	req.u.rt.rtm_type = RTN_UNICAST;
	rtnl_attr(&req, RTA_GATEWAY, &gw_n, sizeof gw_n);
	rtnl_attr(&req, RTA_OIF, &idx, sizeof idx);
	rc = rtnl_talk(&req.n, err, errlen);
	if (add && rc == EEXIST)
		return 1;
	if (!add && rc == ESRCH)
		rc = 0;
	if (rc > 0) {
		inet_ntop(AF_INET, &gw_n, shown, sizeof shown);
		snprintf(err, errlen, "%s the default route via %s dev %s: %s",
		    add ? "adding" : "removing", shown, ifname, strerror(rc));
	}
	return rc == 0 ? 0 : -1;
}
