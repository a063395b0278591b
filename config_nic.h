/*
 * config_nic.h: the virtual LAN card's YAML file (softether --nic -c FILE):
 * the same settings as its command-line options, each checked as strictly.
 */
#ifndef SOFTETHER_CONFIG_NIC_H
#define SOFTETHER_CONFIG_NIC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Every key is optional: NULL, 0 or an empty list when the file lacks it.
 * All strings are owned by the struct until config_nic_free. */
struct config_nic {
	char *source;
	char *connect;             /* HOST[:PORT] or [V6]:PORT */
	char *hub_name;
	char *user;
	char *password_file;       /* absolute paths, all of them */
	char *tap;
	char *mac;                 /* unicast, not all zero */
	char *ip;                  /* ADDR/PREFIX */
	char *fingerprint;         /* 64 hex digits (colons allowed) */
	char *ca;
	char *known_hubs;
	char *via;                 /* a transport_find name */
	char *proxy;               /* HOST:PORT */
	char *proxy_user;
	char *proxy_password_file;
	char *ssh;                 /* [USER@]GATEWAY[:PORT] */
	char **ssh_options;        /* "Key=Value" */
	size_t nssh_options;
	uint32_t resume_window_ms; /* 0: not given */
	uint32_t dead_peer_ms;     /* 0: not given */
	uint32_t set;              /* bit i: key i was given (print order) */
};

/* 0, or -1 with *out empty and one line in err:
 * "FILE:LINE:COL: key: what was wrong (and what to do)". */
int config_nic_load_file(const char *path, struct config_nic *out, char *err,
    size_t errlen);
int config_nic_load_string(const char *source, const char *text, size_t len,
    struct config_nic *out, char *err, size_t errlen);
void config_nic_free(struct config_nic *cfg);
/* The keys the file gave, as canonical YAML that reloads the same. */
void config_nic_print(const struct config_nic *cfg, FILE *out);

#endif
