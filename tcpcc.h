/*
 * tcpcc.h: the TCP congestion control of the tunnel's own connections
 * (tcp_congestion in the hub's configuration and the card's). Unset, or
 * "system", leaves the host's (net.ipv4.tcp_congestion_control).
 */
#ifndef SOFTETHER_TCPCC_H
#define SOFTETHER_TCPCC_H

#include <stddef.h>

#define TCPCC_SYSTEM "system"
#define TCPCC_NAME_MAX 15	/* the kernel's TCP_CA_NAME_MAX, less the NUL */

/* 1 if name leaves the host's choice: NULL or "system". */
int tcpcc_is_system(const char *name);
/* 1 if a and b choose the same (both the host's, or the same name). */
int tcpcc_same(const char *a, const char *b);
/* Sets it on a TCP socket (nothing if tcpcc_is_system). 0, or -1 with
 * errno and err saying why and what the kernel has or allows ("... (it
 * has: reno cubic)"). A listening socket's choice passes to what it
 * accepts. */
int tcpcc_set(int fd, const char *name, char *err, size_t errlen);
/* The same on a TCP socket made and closed for the purpose: what a start
 * and --check-config check first. Only a name the kernel lacks fails
 * here: one it does not allow without CAP_NET_ADMIN depends on what the
 * start will hold (a hub sets it while still root), and the start itself
 * says so if it cannot. */
int tcpcc_check(const char *name, char *err, size_t errlen);
/* The congestion control fd runs, in buf; "?" if it cannot be read. */
const char *tcpcc_get(int fd, char *buf, size_t len);

#endif
