/*
 * control.c: the hub's local control socket (a Unix socket, mode 0600, in
 * the run directory). The file permission is the authentication. Each
 * request is one line, "T COMMAND" (text) or "J COMMAND" (JSON); each reply
 * is "OK <len>\n" or "ERR <len>\n" and that many bytes (admincmd.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "admin.h"
#include "control.h"
#include "log.h"
#include "srv.h"

#define CONTROL_MAX_CLIENTS 16u
#define CONTROL_IDLE_S      300   /* a client silent this long is closed */
#define CONTROL_BACKLOG     16

struct control_client {
	TAILQ_ENTRY(control_client) entry;
	struct control *ctl;
	int fd;
	struct event *rev, *wev;
	struct evbuffer *in, *out;
	int closing;                  /* close once out is written */
};
TAILQ_HEAD(control_client_list, control_client);

struct control {
	struct srv *srv;
	int fd;
	struct event *ev;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct control_client_list clients;
	unsigned nclients;
};

static void
control_client_free(struct control_client *cl)
{
	struct control *ctl = cl->ctl;

	TAILQ_REMOVE(&ctl->clients, cl, entry);
	ctl->nclients--;
	event_free(cl->rev);
	event_free(cl->wev);
	evbuffer_free(cl->in);
	evbuffer_free(cl->out);
	close(cl->fd);
	free(cl);
}

static void
control_flush(struct control_client *cl)
{
	while (evbuffer_get_length(cl->out) > 0) {
		int n = evbuffer_write(cl->out, cl->fd);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			control_client_free(cl);
			return;
		}
	}
	if (evbuffer_get_length(cl->out) > 0) {
		event_add(cl->wev, NULL);
		return;
	}
	if (cl->closing)
		control_client_free(cl);
}

static void
control_write_cb(evutil_socket_t fd, short what, void *arg)
{
	control_flush(arg);
}

static void
control_reply(struct control_client *cl, int ok, struct evbuffer *body)
{
	char hdr[ADMINCMD_REPLY_HDR];
	size_t n = admincmd_reply_hdr(hdr, ok, evbuffer_get_length(body));

	evbuffer_add(cl->out, hdr, n);
	evbuffer_add_buffer(cl->out, body);
}

/* One request line: "T cmd" or "J cmd". */
static void
control_request(struct control_client *cl, const char *line, size_t len)
{
	struct evbuffer *body = evbuffer_new();
	int json, rc;

	if (body == NULL) {
		cl->closing = 1;
		return;
	}
	if (len < 2 || (line[0] != 'T' && line[0] != 'J') || line[1] != ' ') {
		evbuffer_add_printf(body, "bad request (expected 'T COMMAND' "
		    "or 'J COMMAND')\n");
		control_reply(cl, 0, body);
		cl->closing = 1;
	} else {
		json = line[0] == 'J';
		rc = admin_line(cl->ctl->srv, line + 2, len - 2, json, body);
		control_reply(cl, rc == 0, body);
	}
	evbuffer_free(body);
}

static void
control_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control_client *cl = arg;
	size_t len;
	char *line;

	if (what & EV_TIMEOUT) {
		control_client_free(cl);
		return;
	}
	int n = evbuffer_read(cl->in, fd, ADMINCMD_LINE_MAX + 4);
	if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) {
		control_client_free(cl);
		return;
	}
	while (!cl->closing && (line = evbuffer_readln(cl->in, &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		control_request(cl, line, len);
		free(line);
	}
	if (!cl->closing && evbuffer_get_length(cl->in) > ADMINCMD_LINE_MAX + 2) {
		struct evbuffer *body = evbuffer_new();
		if (body != NULL) {
			evbuffer_add_printf(body, "line too long (at most %u "
			    "bytes)\n", ADMINCMD_LINE_MAX);
			control_reply(cl, 0, body);
			evbuffer_free(body);
		}
		cl->closing = 1;
	}
	if (cl->closing)
		event_del(cl->rev);
	control_flush(cl);
}

static void
control_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct control *ctl = arg;
	struct timeval idle = { CONTROL_IDLE_S, 0 };
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct control_client *cl;

	if (fd < 0)
		return;
	if (ctl->nclients >= CONTROL_MAX_CLIENTS ||
	    (cl = calloc(1, sizeof *cl)) == NULL) {
		close(fd);
		return;
	}
	cl->ctl = ctl;
	cl->fd = fd;
	cl->in = evbuffer_new();
	cl->out = evbuffer_new();
	cl->rev = event_new(ctl->srv->base, fd, EV_READ | EV_PERSIST,
	    control_read_cb, cl);
	cl->wev = event_new(ctl->srv->base, fd, EV_WRITE, control_write_cb,
	    cl);
	TAILQ_INSERT_TAIL(&ctl->clients, cl, entry);
	ctl->nclients++;
	if (cl->in == NULL || cl->out == NULL || cl->rev == NULL ||
	    cl->wev == NULL) {
		control_client_free(cl);
		return;
	}
	event_add(cl->rev, &idle);
}

/* Is a live hub answering on path? */
static int
control_in_use(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), live;

	if (fd < 0)
		return 0;
	live = connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
	close(fd);
	return live;
}

struct control *
control_new(struct srv *srv, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *ctl;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path) {
		log_warn("control socket %s: path too long; no local "
		    "administration", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (control_in_use(&sa)) {
		log_warn("control socket %s: another hub answers there; "
		    "softether --admin reaches that one (use --run-dir)", path);
		return NULL;
	}
	unlink(path); /* a stale socket of a hub that died */
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) < 0) {
		log_warn("control socket %s: %s", path, strerror(errno));
		return NULL;
	}
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
	umask(old);
	if (rc != 0 || chmod(path, 0600) != 0 ||
	    listen(fd, CONTROL_BACKLOG) != 0) {
		log_warn("control socket %s: %s; no local administration", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	if ((ctl = calloc(1, sizeof *ctl)) == NULL) {
		close(fd);
		unlink(path);
		return NULL;
	}
	ctl->srv = srv;
	ctl->fd = fd;
	snprintf(ctl->path, sizeof ctl->path, "%s", path);
	TAILQ_INIT(&ctl->clients);
	ctl->ev = event_new(srv->base, fd, EV_READ | EV_PERSIST,
	    control_accept_cb, ctl);
	if (ctl->ev == NULL) {
		control_free(ctl);
		return NULL;
	}
	event_add(ctl->ev, NULL);
	log_info("control socket %s", path);
	return ctl;
}

void
control_free(struct control *ctl)
{
	struct control_client *cl;

	if (ctl == NULL)
		return;
	while ((cl = TAILQ_FIRST(&ctl->clients)) != NULL)
		control_client_free(cl);
	if (ctl->ev != NULL)
		event_free(ctl->ev);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

void
control_path(char *out, size_t len, const char *run_dir,
    const char *state_dir)
{
	if (run_dir == NULL)
		run_dir = strcmp(state_dir, HUBCONF_DEFAULT_STATE) == 0 ?
		    CONTROL_DEFAULT_RUN : state_dir;
	snprintf(out, len, "%s/%s", run_dir, CONTROL_SOCKET_NAME);
}
