/*
 * privdrop.h: the hub leaves root once what needs root is open.
 */
#ifndef SOFTETHER_PRIVDROP_H
#define SOFTETHER_PRIVDROP_H

#include <stddef.h>

#define PRIVDROP_DEFAULT_USER "softether"

/*
 * If running as root: state_dir (recursively) and run_dir become user's,
 * then the process becomes user (the default user, if it does not exist,
 * falls back to nobody with a warning; "root" stays root, with one), with
 * no capabilities but CAP_NET_RAW and CAP_NET_ADMIN if keep_net (bridges).
 * 0, or -1 with err.
 */
int privdrop(const char *user, const char *state_dir, const char *run_dir,
    int keep_net, char *err, size_t errlen);

#endif
