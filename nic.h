/*
 * nic.h: the virtual LAN card (--nic): an Ethernet device (a TAP interface,
 * or another kind from dev.h) plugged into a hub over one of the
 * transports, reconnecting until stopped.
 */
#ifndef SOFTETHER_NIC_H
#define SOFTETHER_NIC_H

#include <stdint.h>
#include <time.h>

#include "dev.h"
#include "transport/transport.h"

struct event_base;
struct nic;

/* How the card's TAP gets its address. */
enum nic_addressing {
	NIC_ADDR_NONE = 0,  /* left to the user (--ip none, a bridge) */
	NIC_ADDR_STATIC,    /* --ip CIDR */
	NIC_ADDR_DHCP,      /* the built-in client, once a session is up */
};

struct nic_opts {
	char host[256];
	uint16_t port;
	const char *user;
	const char *password_file;
	const char *key_file;      /* instead: log in with this key */
	const char *hub_name;      /* default "DEFAULT" */
	const struct dev_ops *dev; /* default &dev_tap */
	const char *ifname;        /* the device's name; default "vpn0" */
	const char *mac;           /* NULL: random locally administered */
	const char *ip;            /* NIC_ADDR_STATIC's ADDR/PREFIX */
	enum nic_addressing addressing; /* NONE unless set (nicconf: DHCP
	                              for a TAP card given no --ip) */
	int dhcp_dns;              /* --dns: its servers to resolvconf */
	int dhcp_default_route;    /* --default-route: its router, if the
	                              host has no default route */
	const char *fingerprint;   /* pin the hub's certificate */
	const char *ca_file;       /* or verify a chain */
	const char *known_hubs;    /* trust-on-first-use file */
	const struct transport_ops *via;
	/* The transport's own settings; host/port filled from --connect,
	 * proxy_password from --proxy-password-file by nic_new. */
	struct transport_target target;
	const char *proxy_password_file;
	uint32_t resume_window_ms;   /* keep a cut session this long */
	uint32_t dead_peer_ms;       /* silence that means the link is dead */
	uint32_t keepalive_ms;       /* idle keepalives every [k/2, k] at most */
	size_t resume_budget;        /* bytes kept while cut */
	int no_offload;              /* plain frames only (--no-offload) */
	const char *up, *down;       /* hook commands (hook.h), or NULL */
	int drop_privileges;         /* once the device is open, keep only
	                                what it needs (privdrop_card) */
	const char *control_path;    /* its control socket (softether --admin
	                                --nic); NULL: none */
	int embedded;                /* on a loop it shares with others (a
	                                hub's cascade): nic_free leaves the
	                                transport's background work (ssh
	                                children of other cards) alone */
	/* --daemon: told how the first login went, once NIC_SETTLE_S have
	 * passed or sooner: 0 up, NIC_SETTLE_TRYING still trying; a card
	 * that stops before either is told its exit code by the caller. */
	void (*settled)(int code);
	char proxy_host[256];        /* target.proxy_host points here */
	char known_hubs_path[4096];  /* the default known_hubs */
};

/* The card's life, one state at a time (nic_set_state logs each move). */
enum nic_state {
	NIC_CONNECTING = 0, /* the transport is reaching the hub */
	NIC_TLS,            /* TLS handshake */
	NIC_LOGIN,          /* hello and auth (or resume) sent */
	NIC_UP,             /* frames flow; carrier on */
	NIC_CUT,            /* connection lost, session kept: resuming */
	NIC_BACKOFF,        /* waiting before the next attempt */
	NIC_STOPPING,       /* saying goodbye */
	NIC_STOPPED,        /* done; nic_exit_code tells how */
};

#define NIC_SETTLE_S      30
#define NIC_ADDR_STR      52   /* an IPv6 address, '/', a prefix, NUL */
#define NIC_SETTLE_TRYING (-1)

/* How the card is (softether --admin --nic, SIGUSR1; nicadmin.c prints
 * it). Strings point into the card and its options. */
struct nic_status {
	const char *ifname, *host, *hub_name, *via, *user;
	uint16_t port;
	char mac[ETHER_ADDR_STR];
	enum nic_state state;        /* NIC_CUT through a resume's tries */
	enum nic_state phase;        /* the step under way: state, or a
	                                resume's connecting, tls, login */
	time_t state_since;          /* wall clock */
	double state_for_s;
	uint64_t session;            /* 0: none */
	time_t session_since;        /* when the hub started it */
	double session_for_s;
	uint64_t in_bytes, in_frames, out_bytes, out_frames;
	uint32_t resumes;
	uint64_t lost, dropped;
	uint64_t coalesced;          /* frames from the hub that reached the
	                                device inside super-frames */
	int offload;
	char tcp_congestion[16];     /* the connection's (to the hub or the
	                                proxy); "": none, or not TCP (ssh) */
	const char *last_error;      /* "": none; as it came: may hold a peer's
	                                words, escape before printing */
	time_t last_error_at;
	/* The TAP's own address. */
	const char *addressing;      /* "static", "dhcp" or "none" */
	char address[NIC_ADDR_STR];  /* held: ADDR/PREFIX; "": none */
	const char *dhcp_state;      /* dhcpcli_state_name; NULL: no DHCP */
	char dhcp_server[16], dhcp_router[16]; /* "": none */
	int dhcp_route;              /* the default route via the router is
	                                the card's */
	time_t dhcp_renew_at, dhcp_expires_at; /* wall clock; 0: never */
	uint32_t dhcp_leases, dhcp_renewals, dhcp_losses;
};

/* The card has stopped for good (by nic_stop or a refusal retrying cannot
 * fix); code is the process exit code. */
typedef void nic_done_fn(void *arg, int code);

/*
 * A card on base: opens the device and starts connecting. Returns NULL
 * (after logging why) if the options or the device are unusable. o must
 * outlive it.
 */
struct nic *nic_new(struct event_base *base, const struct nic_opts *o,
    nic_done_fn *done, void *arg);
/* Say goodbye and stop; done(code) follows. */
void nic_stop(struct nic *n, int code);
void nic_free(struct nic *n);
enum nic_state nic_state(const struct nic *n);
/* "connecting", "tls", "login", "up", "cut-resuming", "backing-off",
 * "stopping", "stopped". */
const char *nic_state_name(enum nic_state st);
void nic_get_status(const struct nic *n, struct nic_status *st);
struct dev *nic_dev(struct nic *n);
/* The connection logging in or carrying the session, or NULL. */
struct conn *nic_conn(struct nic *n);

/* What a start checks before it opens anything (secrets read, transport,
 * MAC, CA file), and nothing else: --check-config --nic. 0, or -1 with
 * err. */
int nic_check(const struct nic_opts *o, char *err, size_t errlen);

/* A card on its own event loop until SIGINT/SIGTERM or a refusal. Returns
 * the process exit code: 0 stopped by the user, 2 refused for a reason
 * retrying cannot fix (credentials, certificate), 1 other errors. */
int nic_run(const struct nic_opts *o);

/* "host", "host:port", "[v6]:port" -> host and port (default_port if
 * absent). 0 or -1. */
int nic_parse_hostport(const char *s, char *host, size_t hostlen,
    uint16_t *port, uint16_t default_port);

#endif
