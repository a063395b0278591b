/*
 * hook.h: the card's --up and --down commands: split into words as the
 * console splits a line and run with no shell, told about the session in
 * SOFTETHER_* variables, one at a time, never waited for by the loop.
 */
#ifndef SOFTETHER_HOOK_H
#define SOFTETHER_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "admincmd.h"

#define HOOK_TIMEOUT_MS  10000u  /* a hook still running then is stopped */
#define HOOK_GRACE_MS    2000u   /* from SIGTERM to SIGKILL */
#define HOOK_VALUE_MAX   256u    /* one variable's value, peers' words cut */

struct event_base;
struct hook;

enum hook_event { HOOK_UP = 0, HOOK_DOWN };

/* What a hook is told. NULL strings are left out. */
struct hook_vars {
	const char *ifname;        /* SOFTETHER_IFACE */
	const char *mac;           /* SOFTETHER_MAC (a TAP's own) */
	const char *ip;            /* SOFTETHER_IP (--ip, if given) */
	const char *hub;           /* SOFTETHER_HUB: the host of --connect */
	uint16_t port;             /* SOFTETHER_HUB_PORT */
	const char *hub_name;      /* SOFTETHER_HUB_NAME */
	const char *user;          /* SOFTETHER_USER */
	const char *transport;     /* SOFTETHER_TRANSPORT */
	uint64_t session;          /* SOFTETHER_SESSION */
	const char *reason;        /* SOFTETHER_REASON (down): why */
};

/* A hook's command as words (argv[argc] is NULL). 0, or -1 with err. */
int hook_split(const char *cmd, struct admincmd_line *out, char *err,
    size_t errlen);

/*
 * The environment a hook runs with: base's entries but any SOFTETHER_*,
 * then SOFTETHER_EVENT and the variables of v, each value cut to
 * HOOK_VALUE_MAX - 1 bytes with control bytes written '?'. One malloc'd
 * block (free it), NULL-terminated; NULL if out of memory.
 */
char **hook_env(enum hook_event ev, const struct hook_vars *v,
    char *const *base);

/*
 * The hooks of a card on base: up and down are commands (either NULL), and
 * the strings of every hook_vars given later must outlive the hook but
 * reason, which is copied. NULL if both are NULL or out of memory.
 */
struct hook *hook_new(struct event_base *base, const char *up,
    const char *down);
/*
 * The session came up (HOOK_UP) or went down for good (HOOK_DOWN): run the
 * command, or queue it behind the one running. A down is only for an up
 * asked before it; one that cancels an up that never started drops both.
 */
void hook_event(struct hook *h, enum hook_event ev,
    const struct hook_vars *v);
/* The session is up as the hooks know it (an up without its down yet). */
int hook_is_up(const struct hook *h);
/* 0 if no hook runs or waits; else 1, and idle(arg) once none does. */
int hook_wait(struct hook *h, void (*idle)(void *), void *arg);
/* A hook still running is left to finish, one waiting is not started. */
void hook_free(struct hook *h);

#endif
