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
#include "linecl.h"
#include "log.h"
#include "srv.h"

#define CONTROL_MAX_CLIENTS 16u
#define CONTROL_IDLE_S      300   /* a client silent this long is closed */
#define CONTROL_BACKLOG     16

struct control_client {
	TAILQ_ENTRY(control_client) entry;
	struct control *ctl;
	struct linecl *l;
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
control_client_freed(struct linecl *l)
{
	struct control_client *cl = l->arg;

	TAILQ_REMOVE(&cl->ctl->clients, cl, entry);
	cl->ctl->nclients--;
	free(cl);
}

static void
control_reply(struct control_client *cl, int ok, struct evbuffer *body)
{
	char hdr[ADMINCMD_REPLY_HDR];
	size_t n = admincmd_reply_hdr(hdr, ok, evbuffer_get_length(body));

	evbuffer_add(cl->l->out, hdr, n);
	evbuffer_add_buffer(cl->l->out, body);
}

/* One request line: "T cmd" or "J cmd". */
static void
control_request(struct control_client *cl, const char *line, size_t len)
{
	struct evbuffer *body = evbuffer_new();
	int json, rc;

	if (body == NULL) {
		linecl_close(cl->l);
		return;
	}
	if (len < 2 || (line[0] != 'T' && line[0] != 'J') || line[1] != ' ') {
		evbuffer_add_printf(body, "bad request (expected 'T COMMAND' "
		    "or 'J COMMAND')\n");
		control_reply(cl, 0, body);
		linecl_close(cl->l);
	} else {
		json = line[0] == 'J';
		rc = admin_line(cl->ctl->srv, line + 2, len - 2, json, body);
		control_reply(cl, rc == 0, body);
	}
	evbuffer_free(body);
}

static void
control_input(struct linecl *l, int timed_out)
{
	struct control_client *cl = l->arg;
	struct evbuffer *body;
	size_t len;
	char *line;

	if (timed_out || l->eof) {
		linecl_free(l);
		return;
	}
	while (!l->closing && (line = evbuffer_readln(l->in, &len,
	    EVBUFFER_EOL_LF)) != NULL) {
		control_request(cl, line, len);
		free(line);
	}
	if (!l->closing && evbuffer_get_length(l->in) > ADMINCMD_LINE_MAX + 2 &&
	    (body = evbuffer_new()) != NULL) {
		evbuffer_add_printf(body, "line too long (at most %u bytes)\n",
		    ADMINCMD_LINE_MAX);
		control_reply(cl, 0, body);
		evbuffer_free(body);
		linecl_close(l);
	}
	linecl_flush(l);
}

static void
control_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct control *ctl = arg;
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
	cl->l = linecl_new(ctl->srv->base, fd, control_input,
	    control_client_freed, cl, CONTROL_IDLE_S);
	if (cl->l == NULL) {
		free(cl);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, cl, entry);
	ctl->nclients++;
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
		linecl_free(cl->l);
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
