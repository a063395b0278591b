/*
 * ether.h: Ethernet addresses, as both roles and every device kind use
 * them: random locally administered MACs, parsing and printing.
 */
#ifndef SOFTETHER_ETHER_H
#define SOFTETHER_ETHER_H

#include <stdint.h>

#define ETHER_ADDR_LEN   6
#define ETHER_ADDR_STR   18   /* "5e:00:00:00:00:01" and its NUL */

/* A random locally administered unicast MAC. */
void ether_random_mac(uint8_t mac[ETHER_ADDR_LEN]);
/* "5e:00:..." -> 0; rejects multicast and all-zero. */
int ether_parse_mac(const char *s, uint8_t mac[ETHER_ADDR_LEN]);
/* A configuration key's check (cfg_key.check): 0 if s is such a MAC, else
 * -1 with what was expected in why. */
int ether_mac_ok(const char *s, char *why, size_t whylen);
void ether_format_mac(const uint8_t mac[ETHER_ADDR_LEN],
    char out[ETHER_ADDR_STR]);

#endif
