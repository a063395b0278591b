/*
 * console.c: the telnet-compatible management console (admin.listen,
 * default 127.0.0.1:8023). Plain lines, so telnet or nc works; the admin
 * password (admin.password, an Argon2id hash, checked on the worker
 * thread) comes first and nothing is accepted before it. Failed logins are
 * throttled per source; an idle console and a console that does not log
 * in in time are closed; an over-long line is refused with a message.
 * Commands are the control socket's (admin.c), answered as text.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <sodium.h>

#include "admin.h"
#include "auth.h"
#include "clock.h"
#include "console.h"
#include "linecl.h"
#include "log.h"
#include "srv.h"

#define CONSOLE_MAX_CLIENTS   8u
#define CONSOLE_LOGIN_S       30    /* to give the password */
#define CONSOLE_IDLE_S        600   /* a logged-in console silent this long */
#define CONSOLE_BACKLOG       16
#define CONSOLE_OUT_MAX       (32u * 1024u * 1024u) /* never read: closed */
#define CONSOLE_IN_MAX        (64u * 1024u) /* typed ahead of the check */

#define TELNET_IAC   255
#define TELNET_SB    250
#define TELNET_SE    240
#define TELNET_WILL  251
#define TELNET_DONT  254

enum console_state {
	CONSOLE_PASSWORD = 0,  /* waiting for the password line */
	CONSOLE_CHECKING,      /* the worker is checking it */
	CONSOLE_READY,         /* logged in: commands */
	CONSOLE_CLOSING,       /* writing the last words */
};

struct console_client {
	TAILQ_ENTRY(console_client) entry;
	struct console *con;
	struct linecl *l;
	enum console_state state;
	struct auth_try try;        /* the password check, if running */
	struct sockaddr_storage peer_addr;
	char peer[64];
	int skipping;                  /* discarding an over-long line */
};
TAILQ_HEAD(console_client_list, console_client);

struct console {
	struct srv *srv;
	int fd;
	struct event *ev;
	struct auth_throttle *throttle;
	struct console_client_list clients;
	unsigned nclients;
	char name[80];
};

static void console_drain(struct console_client *cl);

size_t
console_strip_telnet(uint8_t *buf, size_t len)
{
	size_t i = 0, o = 0;

	while (i < len) {
		if (buf[i] != TELNET_IAC) {
			buf[o++] = buf[i++];
			continue;
		}
		if (i + 1 >= len)
			break;                      /* a lone IAC at the end */
		if (buf[i + 1] == TELNET_IAC) {     /* an escaped 255 */
			buf[o++] = TELNET_IAC;
			i += 2;
		} else if (buf[i + 1] == TELNET_SB) {
			/* Subnegotiation: up to IAC SE. */
			i += 2;
			while (i + 1 < len && !(buf[i] == TELNET_IAC &&
			    buf[i + 1] == TELNET_SE))
				i++;
			i += 2;
		} else if (buf[i + 1] >= TELNET_WILL &&
		    buf[i + 1] <= TELNET_DONT)
			i += 3;                     /* WILL/WONT/DO/DONT opt */
		else
			i += 2;                     /* a two-byte command */
	}
	return o;
}

static void
console_client_freed(struct linecl *l)
{
	struct console_client *cl = l->arg;
	struct console *con = cl->con;

	auth_try_cancel(&cl->try);
	TAILQ_REMOVE(&con->clients, cl, entry);
	con->nclients--;
	free(cl);
}

/* Text onto the wire with telnet's CR LF line ends. */
static void
console_send(struct console_client *cl, struct evbuffer *text)
{
	size_t len;
	char *line;

	while ((line = evbuffer_readln(text, &len, EVBUFFER_EOL_LF)) != NULL) {
		evbuffer_add(cl->l->out, line, len);
		evbuffer_add(cl->l->out, "\r\n", 2);
		free(line);
	}
	len = evbuffer_get_length(text);
	if (len > 0) {
		evbuffer_add_buffer(cl->l->out, text);
		evbuffer_add(cl->l->out, "\r\n", 2);
	}
}

static void
console_say(struct console_client *cl, const char *s)
{
	evbuffer_add(cl->l->out, s, strlen(s));
}

static void
console_close(struct console_client *cl, const char *why)
{
	if (why != NULL) {
		console_say(cl, why);
		console_say(cl, "\r\n");
	}
	cl->state = CONSOLE_CLOSING;
	linecl_close(cl->l);
}

static void
console_auth_done(void *arg, int ok)
{
	struct console_client *cl = arg;

	if (!ok) {
		log_warn("console login refused: from=%s: wrong password",
		    cl->peer);
		console_close(cl, "wrong password");
		linecl_flush(cl->l);
		return;
	}
	log_info("console login: from=%s", cl->peer);
	cl->state = CONSOLE_READY;
	console_say(cl, "softether " SOFTETHER_VERSION " console; help lists "
	    "the commands\r\n> ");
	linecl_read(cl->l, CONSOLE_IDLE_S);
	console_drain(cl);
	linecl_flush(cl->l);
}

static void
console_password(struct console_client *cl, const char *line, size_t len)
{
	struct console *con = cl->con;
	const char *hash = con->srv->cfg->admin.password;
	char msg[128];

	if (hash == NULL) {
		console_close(cl, "the console is closed (no admin.password)");
		return;
	}
	cl->state = CONSOLE_CHECKING;
	linecl_pause(cl->l);
	if (auth_try_start(&cl->try, con->srv->auth, con->throttle,
	    (const struct sockaddr *)&cl->peer_addr, NULL, hash, line, len,
	    console_auth_done, cl, msg, sizeof msg) != 0) {
		log_warn("console login refused: from=%s: %s", cl->peer, msg);
		console_close(cl, msg);
	}
}

static void
console_line(struct console_client *cl, char *line, size_t len)
{
	struct evbuffer *out;

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (cl->state == CONSOLE_PASSWORD) {
		console_password(cl, line, len);
		sodium_memzero(line, len);
		return;
	}
	if ((out = evbuffer_new()) == NULL) {
		console_close(cl, "out of memory");
		return;
	}
	admin_line(cl->con->srv, line, len, 0, out);
	console_send(cl, out);
	evbuffer_free(out);
	if (strcmp(line, "quit") == 0) {
		console_close(cl, NULL);
		return;
	}
	console_say(cl, "> ");
}

/* Run the complete lines waiting, as far as the state allows (the password
 * check stops it until the worker answers). */
static void
console_drain(struct console_client *cl)
{
	size_t len;
	char *line;

	while (cl->state == CONSOLE_PASSWORD || cl->state == CONSOLE_READY) {
		line = evbuffer_readln(cl->l->in, &len, EVBUFFER_EOL_LF);
		if (line == NULL)
			break;
		if (cl->skipping)
			cl->skipping = 0; /* the rest of an over-long line */
		else
			console_line(cl, line, len);
		sodium_memzero(line, len);
		free(line);
	}
	if (cl->state == CONSOLE_CHECKING &&
	    evbuffer_get_length(cl->l->in) > CONSOLE_IN_MAX) {
		console_close(cl, "too much input before the password was "
		    "checked");
		return;
	}
	if (cl->state != CONSOLE_CHECKING &&
	    evbuffer_get_length(cl->l->in) > ADMINCMD_LINE_MAX + 2) {
		/* A line that has not ended yet and cannot fit. */
		evbuffer_drain(cl->l->in, evbuffer_get_length(cl->l->in));
		if (!cl->skipping && cl->state == CONSOLE_READY)
			console_say(cl, "line too long (at most 1024 bytes)\r\n> ");
		if (cl->state == CONSOLE_PASSWORD)
			console_close(cl, "line too long");
		cl->skipping = 1;
	}
	/* All typed and all answered: done. */
	if (cl->l->eof && cl->state != CONSOLE_CHECKING &&
	    cl->state != CONSOLE_CLOSING)
		console_close(cl, NULL);
}

static void
console_input(struct linecl *l, int timed_out)
{
	struct console_client *cl = l->arg;

	if (timed_out) {
		console_close(cl, cl->state == CONSOLE_READY ?
		    "idle too long; goodbye" : "no password in time; goodbye");
		linecl_flush(l);
		return;
	}
	console_drain(cl);
	if (evbuffer_get_length(l->out) > CONSOLE_OUT_MAX) {
		linecl_free(l);
		return;
	}
	linecl_flush(l);
}

static void
console_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct console *con = arg;
	struct console_client *cl;
	struct sockaddr_storage sa;
	socklen_t salen = sizeof sa;
	char host[INET6_ADDRSTRLEN] = "?";
	int fd = accept4(lfd, (struct sockaddr *)&sa, &salen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (con->nclients >= CONSOLE_MAX_CLIENTS ||
	    (cl = calloc(1, sizeof *cl)) == NULL) {
		close(fd);
		return;
	}
	cl->con = con;
	cl->peer_addr = sa;
	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host,
		    sizeof host);
	else if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr,
		    host, sizeof host);
	snprintf(cl->peer, sizeof cl->peer, "%s", host);
	cl->l = linecl_new(con->srv->base, fd, console_input,
	    console_client_freed, cl, CONSOLE_LOGIN_S);
	if (cl->l == NULL) {
		free(cl);
		return;
	}
	cl->l->filter = console_strip_telnet;
	TAILQ_INSERT_TAIL(&con->clients, cl, entry);
	con->nclients++;
	console_say(cl, "softether hub console\r\npassword: ");
	linecl_flush(cl->l);
}

struct console *
console_new(struct srv *srv, int fd, const char *name)
{
	struct console *con = calloc(1, sizeof *con);

	if (con == NULL) {
		close(fd);
		return NULL;
	}
	con->srv = srv;
	con->fd = fd;
	snprintf(con->name, sizeof con->name, "%s", name);
	TAILQ_INIT(&con->clients);
	con->throttle = auth_throttle_new();
	con->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    console_accept_cb, con);
	if (con->throttle == NULL || con->ev == NULL) {
		console_free(con);
		return NULL;
	}
	event_add(con->ev, NULL);
	return con;
}

void
console_free(struct console *con)
{
	struct console_client *cl;

	if (con == NULL)
		return;
	while ((cl = TAILQ_FIRST(&con->clients)) != NULL)
		linecl_free(cl->l);
	if (con->ev != NULL)
		event_free(con->ev);
	if (con->throttle != NULL)
		auth_throttle_free(con->throttle);
	close(con->fd);
	free(con);
}
