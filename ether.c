/*
 * ether.c: Ethernet address helpers shared by the hub, the card and the
 * device kinds.
 */
#include <stdio.h>
#include <sodium.h>

#include "ether.h"

void
ether_random_mac(uint8_t mac[ETHER_ADDR_LEN])
{
	randombytes_buf(mac, ETHER_ADDR_LEN);
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, local */
}

int
ether_parse_mac(const char *s, uint8_t mac[ETHER_ADDR_LEN])
{
	unsigned v[ETHER_ADDR_LEN];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5], &tail) != ETHER_ADDR_LEN)
		return -1;
	for (int i = 0; i < ETHER_ADDR_LEN; i++)
		mac[i] = (uint8_t)v[i];
	if (mac[0] & 1)
		return -1;
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return -1;
	return 0;
}

int
ether_mac_ok(const char *s, char *why, size_t whylen)
{
	uint8_t mac[ETHER_ADDR_LEN];

	if (ether_parse_mac(s, mac) == 0)
		return 0;
	snprintf(why, whylen, "expected a unicast MAC such as "
	    "5e:01:02:03:04:05");
	return -1;
}

void
ether_format_mac(const uint8_t mac[ETHER_ADDR_LEN], char out[ETHER_ADDR_STR])
{
	snprintf(out, ETHER_ADDR_STR, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
	    mac[1], mac[2], mac[3], mac[4], mac[5]);
}
