/*
 * direct.c: the direct transport: a plain TCP connection to the hub.
 */
#include "transport/transport.h"

static struct transport_conn *
direct_connect(struct event_base *base, const struct transport_target *t,
    transport_done_fn *done, void *arg)
{
	return (struct transport_conn *)transport_tcp_connect(base, t->host,
	    t->port, t->tcp_congestion, done, arg);
}

static void
direct_cancel(struct transport_conn *c)
{
	transport_tcp_cancel((struct transport_tcp *)c);
}

static const char *
direct_check(const struct transport_target *t)
{
	if (t->proxy_host != NULL || t->ssh_dest != NULL)
		return "--proxy and --ssh go with --via http-proxy, socks4, "
		    "socks5 or ssh";
	return NULL;
}

const struct transport_ops transport_direct = {
	.name = "direct",
	.takes = TRANSPORT_TAKES_TCP,
	.check = direct_check,
	.connect = direct_connect,
	.cancel = direct_cancel,
};
