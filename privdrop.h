/*
 * privdrop.h: the hub leaves root once what needs root is open.
 */
#ifndef SOFTETHER_PRIVDROP_H
#define SOFTETHER_PRIVDROP_H

#include <stddef.h>

#define PRIVDROP_DEFAULT_USER "softether"

/*
 * If running as root: state_dir (recursively) becomes user's, run_dir
 * (shared with cards) stays root's with user's group allowed to write in
 * it, then the process becomes user (the default user, if it does not exist,
 * falls back to nobody with a warning; "root" stays root, with one), with
 * no capabilities but CAP_NET_RAW and CAP_NET_ADMIN if keep_net (bridges).
 * 0, or -1 with err.
 */
int privdrop(const char *user, const char *state_dir, const char *run_dir,
    int keep_net, char *err, size_t errlen);

/*
 * The card, once its device is open: run by root through sudo, it becomes
 * the invoking user (SUDO_UID); run by root itself, it stays uid 0 but
 * without root's powers. Either way it keeps only CAP_NET_ADMIN (carrier,
 * addresses), plus CAP_NET_RAW if keep_raw (a bridge reopening its
 * interface), and what it starts (ssh) gets no capability at all, but its
 * hooks (if hooks) CAP_NET_ADMIN. Not root: nothing to do. 0, or -1 with
 * err.
 */
int privdrop_card(int keep_raw, int hooks, char *err, size_t errlen);

/* In a child between fork and exec (async-signal-safe): CAP_NET_ADMIN, if
 * held, becomes inheritable and ambient, so the program exec'd keeps it
 * (a hook adding routes). Quietly nothing if it cannot. */
void privdrop_child_net_admin(void);

/* The home of the user the card acts for: sudo's invoking user when root
 * runs it through sudo, else $HOME; NULL if neither is known. */
const char *privdrop_card_home(void);

#endif
