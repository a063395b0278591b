/*
 * bench_relay.c: the least a virtual LAN of this shape can do, as a floor for
 * bench/compare.sh. No encryption, no switching, no login: a card copies
 * frames between a TAP and one TCP connection (two length bytes before each),
 * and the hub copies bytes between its two connections as they come.
 *
 *   bench_relay hub PORT            accept two cards on PORT, relay them
 *   bench_relay card IF ADDR PORT   make TAP IF, connect to ADDR:PORT
 *
 * A card prints "up" once connected, then the interface is the caller's to
 * address and bring up. Either side exits when its peer closes. Any RTT a
 * VPN adds beyond what this adds on the same machine is the VPN's own work;
 * this much is the machine's: three processes woken in turn, twice per echo.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define R_FRAME_MAX 65535u       /* what two length bytes can say */
#define R_IN        (1u << 18)   /* a card's socket read buffer */

static void
r_die(const char *what)
{
	fprintf(stderr, "bench_relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
r_write_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			r_die("write");
		}
		p += w;
		n -= (size_t)w;
	}
}

static int
r_port(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 1 || v > 65535) {
		fprintf(stderr, "bench_relay: bad port '%s'\n", s);
		exit(2);
	}
	return (int)v;
}

static int
r_epoll(int a, uint32_t ta, int b, uint32_t tb)
{
	struct epoll_event e = { .events = EPOLLIN };
	int ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		r_die("epoll_create1");
	e.data.u32 = ta;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, a, &e) < 0)
		r_die("epoll_ctl");
	e.data.u32 = tb;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, b, &e) < 0)
		r_die("epoll_ctl");
	return ep;
}

/* What epoll_wait gives, 0 if a signal cut it short. */
static int
r_wait(int ep, struct epoll_event ev[2])
{
	int n;

	if ((n = epoll_wait(ep, ev, 2, -1)) < 0) {
		if (errno != EINTR)
			r_die("epoll_wait");
		return 0;
	}
	return n;
}

static int
r_card(const char *ifname, const char *addr, int port)
{
	static uint8_t in[R_IN], frame[2 + R_FRAME_MAX];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct ifreq ifr;
	size_t have = 0, off, len;
	ssize_t r;
	int tap, s, ep, one = 1, n, i;

	if (strlen(ifname) >= IFNAMSIZ) {
		fprintf(stderr, "bench_relay: interface name too long\n");
		return 2;
	}
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "bench_relay: bad IPv4 address '%s'\n", addr);
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	if ((tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0)
		r_die("/dev/net/tun");
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(tap, TUNSETIFF, &ifr) < 0)
		r_die("TUNSETIFF");
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		r_die("socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		r_die("connect");
	setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	printf("up\n");
	fflush(stdout);
	ep = r_epoll(tap, 0, s, 1);
	for (;;) {
		struct epoll_event ev[2];

		n = r_wait(ep, ev);
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == 0) {
				if ((r = read(tap, frame + 2, R_FRAME_MAX)) <= 0)
					continue;
				frame[0] = (uint8_t)(r >> 8);
				frame[1] = (uint8_t)r;
				r_write_all(s, frame, (size_t)r + 2);
				continue;
			}
			if ((r = read(s, in + have, sizeof in - have)) <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				return 0;
			}
			have += (size_t)r;
			for (off = 0; have - off >= 2; off += 2 + len) {
				len = (size_t)in[off] << 8 | in[off + 1];
				if (have - off < 2 + len)
					break;
				/* A full TAP queue drops, as a NIC would. */
				(void)!write(tap, in + off + 2, len);
			}
			memmove(in, in + off, have - off);
			have -= off;
		}
	}
}

static int
r_hub(int port)
{
	static uint8_t buf[1u << 18];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int l, c[2], ep, one = 1, n, i, k;
	ssize_t r;

	sa.sin_port = htons((uint16_t)port);
	if ((l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		r_die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 2) < 0)
		r_die("listen");
	for (i = 0; i < 2; i++) {
		if ((c[i] = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0)
			r_die("accept");
		setsockopt(c[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	close(l);
	ep = r_epoll(c[0], 0, c[1], 1);
	for (;;) {
		struct epoll_event ev[2];

		n = r_wait(ep, ev);
		for (i = 0; i < n; i++) {
			k = (int)ev[i].data.u32;
			if ((r = read(c[k], buf, sizeof buf)) <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				return 0;
			}
			r_write_all(c[1 - k], buf, (size_t)r);
		}
	}
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "hub") == 0)
		return r_hub(r_port(argv[2]));
	if (argc == 5 && strcmp(argv[1], "card") == 0)
		return r_card(argv[2], argv[3], r_port(argv[4]));
	fprintf(stderr, "usage: bench_relay hub PORT\n"
	    "       bench_relay card IF ADDR PORT\n");
	return 2;
}
