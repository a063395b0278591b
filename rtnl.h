/*
 * rtnl.h: the few rtnetlink requests the card makes of the kernel: an
 * address on or off its interface, a default route through it, and
 * whether the host has a default route already.
 */
#ifndef SOFTETHER_RTNL_H
#define SOFTETHER_RTNL_H

#include <stddef.h>
#include <stdint.h>

#define RTNL_FOREVER 0u   /* an address's lifetime: no end */

/*
 * addr (4 bytes for AF_INET, 16 for AF_INET6, network order) with prefix
 * onto ifname (add), replacing the same address's lifetime if it is there
 * already, or off it (the address not there: done). An IPv4 address below
 * /31 gets its subnet's broadcast. valid_s: the kernel removes the address
 * itself after that many seconds (RTNL_FOREVER: never). 0, or -1 with err.
 */
int rtnl_addr(const char *ifname, int add, int family, const void *addr,
    unsigned prefix, uint32_t valid_s, char *err, size_t errlen);

/*
 * The IPv4 default route through gw (host order) on ifname: added only if
 * none exists in the main table (0 added, 1 left alone: the host has one,
 * -1 with err), or removed (0, also if it was gone; -1 with err).
 */
int rtnl_default_route4(const char *ifname, int add, uint32_t gw, char *err,
    size_t errlen);

#endif
