/*
 * tap.h: the Linux TAP device behind the virtual LAN card: create it, give
 * it a MAC, an address and a carrier state that follows the tunnel.
 */
#ifndef SOFTETHER_TAP_H
#define SOFTETHER_TAP_H

#include <stddef.h>
#include <stdint.h>

#define TAP_NAME_MAX 15   /* IFNAMSIZ - 1 */

/* Create (or attach to) TAP interface `name` (non-blocking fd, no packet
 * info header), set its MAC, carrier off, link up. Returns fd or -1. */
int tap_open(const char *name, const uint8_t mac[6], char *err,
    size_t errlen);
/* Cable plugged in (1) or out (0). */
int tap_set_carrier(int fd, int on);
/* Assign "ADDR/PREFIX" (IPv4 or IPv6). 0 or -1 with err. */
int tap_set_addr(const char *ifname, const char *cidr, char *err,
    size_t errlen);

/* A random locally administered unicast MAC. */
void tap_random_mac(uint8_t mac[6]);
/* "5e:00:..." -> 0; rejects multicast and all-zero. */
int tap_parse_mac(const char *s, uint8_t mac[6]);
void tap_format_mac(const uint8_t mac[6], char out[18]);

#endif
