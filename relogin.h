/*
 * relogin.h: the hub's re-login tickets: the key file, issuing them in
 * WELCOME, admitting an AUTH that carries one without Argon2.
 */
#ifndef SOFTETHER_RELOGIN_H
#define SOFTETHER_RELOGIN_H

#include <stddef.h>
#include <stdint.h>

#include "hubconf.h"
#include "proto.h"
#include "ticket.h"

struct srv;

#define RELOGIN_KEY_FILE    "ticket.key"
#define RELOGIN_LIFETIME_S  (24u * 3600u)  /* a ticket is good this long */
#define RELOGIN_ROTATE_S    (24u * 3600u)  /* a key seals this long, then
                                              only opens for as long */

/* Load <state_dir>/ticket.key or make and save one. Always 0: a key
 * file that cannot be read or saved is logged, and fresh keys serve. */
int relogin_init(struct srv *srv);
/* Rotate the key when due (the hub's periodic timer), and save. */
void relogin_tick(struct srv *srv);
void relogin_free(struct srv *srv);

/* A ticket for user u of virtual hub hub into out; its length, or 0. */
size_t relogin_issue(struct srv *srv, const char *hub,
    const struct hubconf_user *u, uint8_t out[PROTO_TICKET_MAX]);

/* An AUTH with PROTO_AUTH_TICKET to this hub: TICKET_OK and *user (still
 * to pass the per-user policy), or why not. */
enum ticket_result relogin_admit(struct srv *srv,
    const struct hubconf_hub *hub, const struct proto_auth *a,
    const struct hubconf_user **user);

#endif
