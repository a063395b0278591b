/*
 * control.c: a local control socket (a Unix socket, mode 0600, in the run
 * directory), the hub's or a card's. The file permission is the
 * authentication. Each request is one line, "T COMMAND" (text) or
 * "J COMMAND" (JSON); each reply is "OK <len>\n" or "ERR <len>\n" and that
 * many bytes (admincmd.c), or a stream (hub capture): "STREAM", "DATA"
 * pieces, a last reply, the end of the connection. What a command does is
 * the owner's callback.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "admin.h"
#include "capture.h"
#include "control.h"
#include "linecl.h"
#include "log.h"
#include "srv.h"

#define CONTROL_MAX_CLIENTS 16u
#define CONTROL_IDLE_S      300   /* a client silent this long is closed */
#define CONTROL_BACKLOG     16
#define CONTROL_STALE_S     10    /* a socket bound this long listens */

struct control_client {
	TAILQ_ENTRY(control_client) entry;
	struct control *ctl;
	struct linecl *l;
	/* While a stream runs: its producer's callbacks, else NULL. */
	const struct control_stream_cbs *cbs;
	void *cbs_arg;
	int stop_asked;
};
TAILQ_HEAD(control_client_list, control_client);

struct control {
	struct event_base *base;
	control_exec_fn *exec;
	control_stream_fn *stream;      /* NULL: no streaming commands */
	void *arg;
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

	if (cl->cbs != NULL)
		cl->cbs->gone(cl->cbs_arg);
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
		rc = cl->ctl->stream == NULL ? 0 : cl->ctl->stream(cl->ctl->arg,
		    line + 2, len - 2, json, cl, body);
		if (rc == 0)
			control_reply(cl, cl->ctl->exec(cl->ctl->arg, line + 2,
			    len - 2, json, body) == 0, body);
		else if (rc < 0)
			control_reply(cl, 0, body);
		/* 1: a stream began; its header is out. */
	}
	evbuffer_free(body);
}

/* While a stream runs, anything from the client (its end, a byte) asks
 * the producer to stop; the input is dropped. */
static void
control_stream_input(struct control_client *cl)
{
	struct linecl *l = cl->l;
	struct pollfd pfd = { .fd = l->fd, .events = 0 };

	/* Closed, not just shut for writing: gone, nobody to answer. */
	if (l->eof && poll(&pfd, 1, 0) == 1 &&
	    (pfd.revents & (POLLHUP | POLLERR))) {
		linecl_free(l);
		return;
	}
	if (!cl->stop_asked && (l->eof || evbuffer_get_length(l->in) > 0)) {
		cl->stop_asked = 1;
		cl->cbs->stop(cl->cbs_arg);
	}
	evbuffer_drain(l->in, evbuffer_get_length(l->in));
}

static void
control_input(struct linecl *l, int timed_out)
{
	struct control_client *cl = l->arg;
	struct evbuffer *body;
	size_t len;
	char *line;

	if (cl->cbs != NULL) {
		control_stream_input(cl);	/* may free l */
		return;
	}
	if (timed_out || l->eof) {
		linecl_free(l);
		return;
	}
	while (!l->closing && cl->cbs == NULL && (line = evbuffer_readln(l->in,
	    &len, EVBUFFER_EOL_LF)) != NULL) {
		control_request(cl, line, len);
		free(line);
	}
	if (cl->cbs != NULL) {
		/* A stream began: what followed its line stops it. */
		control_stream_input(cl);	/* may free l */
		return;
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
	cl->l = linecl_new(ctl->base, fd, control_input,
	    control_client_freed, cl, CONTROL_IDLE_S);
	if (cl->l == NULL) {
		free(cl);
		return;
	}
	TAILQ_INSERT_TAIL(&ctl->clients, cl, entry);
	ctl->nclients++;
}

/* Is a live process answering on path? */
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

/* The socket's directory, if missing: one level, like /run/softether. */
static void
control_mkdir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		log_warn("cannot create %s: %s", dir, strerror(errno));
}

struct control *
control_open(struct event_base *base, const char *path,
    control_exec_fn *exec, void *arg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control *ctl;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof sa.sun_path) {
		log_warn("control socket %s: path too long; no local "
		    "administration", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (control_in_use(&sa)) {
		errno = EADDRINUSE;
		return NULL;
	}
	unlink(path); /* a stale socket of a process that died */
	control_mkdir(path);
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
		errno = EPERM;	/* warned: not "in use" */
		return NULL;
	}
	if ((ctl = calloc(1, sizeof *ctl)) == NULL) {
		close(fd);
		unlink(path);
		return NULL;
	}
	ctl->base = base;
	ctl->exec = exec;
	ctl->arg = arg;
	ctl->fd = fd;
	snprintf(ctl->path, sizeof ctl->path, "%s", path);
	TAILQ_INIT(&ctl->clients);
	ctl->ev = event_new(base, fd, EV_READ | EV_PERSIST,
	    control_accept_cb, ctl);
	if (ctl->ev == NULL) {
		control_free(ctl);
		return NULL;
	}
	event_add(ctl->ev, NULL);
	log_info("control socket %s", path);
	return ctl;
}

static int
control_hub_exec(void *arg, const char *line, size_t len, int json,
    struct evbuffer *out)
{
	return admin_line(arg, line, len, json, out);
}

void
control_set_stream(struct control *ctl, control_stream_fn *fn)
{
	ctl->stream = fn;
}

void
control_stream_begin(struct control_client *cl,
    const struct control_stream_cbs *cbs, void *arg, const char *text)
{
	char hdr[ADMINCMD_REPLY_HDR];
	size_t n = admincmd_frame_hdr(hdr, ADMINCMD_FRAME_STREAM, strlen(text));

	cl->cbs = cbs;
	cl->cbs_arg = arg;
	cl->stop_asked = 0;
	evbuffer_add(cl->l->out, hdr, n);
	evbuffer_add(cl->l->out, text, strlen(text));
	/* A quiet client is a listening one: no idle timeout. */
	linecl_pause(cl->l);
	linecl_read(cl->l, 0);
	linecl_flush_soon(cl->l);
}

int
control_stream_write(struct control_client *cl, const void *const *p,
    const size_t *len, int n, size_t max)
{
	struct evbuffer *out = cl->l->out;
	char hdr[ADMINCMD_REPLY_HDR];
	size_t total = 0, hl;
	int i;

	for (i = 0; i < n; i++)
		total += len[i];
	hl = admincmd_frame_hdr(hdr, ADMINCMD_FRAME_DATA, total);
	if (evbuffer_get_length(out) + hl + total > max)
		return -1;
	evbuffer_add(out, hdr, hl);
	for (i = 0; i < n; i++)
		evbuffer_add(out, p[i], len[i]);
	linecl_flush_soon(cl->l);
	return 0;
}

void
control_stream_end(struct control_client *cl, int ok, const char *text)
{
	char hdr[ADMINCMD_REPLY_HDR];
	size_t n = admincmd_reply_hdr(hdr, ok, strlen(text));

	cl->cbs = NULL;
	evbuffer_add(cl->l->out, hdr, n);
	evbuffer_add(cl->l->out, text, strlen(text));
	linecl_close(cl->l);
	linecl_flush(cl->l);
}

struct control *
control_new(struct srv *srv, const char *path)
{
	struct control *ctl = control_open(srv->base, path, control_hub_exec,
	    srv);

	if (ctl == NULL && errno == EADDRINUSE)
		log_warn("control socket %s: another hub answers there; "
		    "softether --admin reaches that one (use --run-dir)", path);
	if (ctl != NULL)
		control_set_stream(ctl, capture_control);
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
control_json_str(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			evbuffer_add_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			evbuffer_add_printf(out, "\\u%04x", *p);
		else
			evbuffer_add(out, p, 1);
	}
	evbuffer_add(out, "\"", 1);
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

void
control_nic_path(char *out, size_t len, const char *run_dir,
    const char *ifname, const char *netns)
{
	snprintf(out, len, "%s/nic-%s%s%s.sock", run_dir != NULL ? run_dir :
	    CONTROL_DEFAULT_RUN, ifname, netns[0] != '\0' ? "@" : "", netns);
}

void
control_nic_sweep(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof sa.sun_path], *slash;
	time_t now = time(NULL);
	struct dirent *e;
	struct stat st;
	DIR *d;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "nic-", 4) != 0 || n < 9 ||
		    strcmp(e->d_name + n - 5, ".sock") != 0 ||
		    (size_t)snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s",
		    dir, e->d_name) >= sizeof sa.sun_path ||
		    strcmp(sa.sun_path, path) == 0)
			continue;
		/* Not one bound a moment ago and not listening yet. */
		if (lstat(sa.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode) ||
		    now - st.st_mtime < CONTROL_STALE_S || control_in_use(&sa))
			continue;
		if (unlink(sa.sun_path) == 0)
			log_debug("removed %s: no card answers there",
			    sa.sun_path);
	}
	closedir(d);
}

/* A name fit for a file name's part: [A-Za-z0-9._-], not too long. */
static int
control_plain_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CONTROL_NETNS_MAX || strspn(s, "abcdefghijklmnopqrstu"
	    "vwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return 0;
	return strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

void
control_netns(char *out, size_t len)
{
	struct stat self, st;
	struct dirent *e;
	DIR *d;

	out[0] = '\0';
	if (stat("/proc/self/ns/net", &self) != 0)
		return;
	/* A namespace ip netns named (and entered) goes by its name. */
	if ((d = opendir("/run/netns")) != NULL) {
		while ((e = readdir(d)) != NULL) {
			char p[300];
			if (!control_plain_name(e->d_name))
				continue;
			snprintf(p, sizeof p, "/run/netns/%s", e->d_name);
			if (stat(p, &st) == 0 && st.st_dev == self.st_dev &&
			    st.st_ino == self.st_ino) {
				snprintf(out, len, "%s", e->d_name);
				closedir(d);
				return;
			}
		}
		closedir(d);
	}
	/* Another, if init's can be looked at (not always, even for root
	 * in a container), by its inode; else plain names. */
	if (stat("/proc/1/ns/net", &st) == 0 && (st.st_dev != self.st_dev ||
	    st.st_ino != self.st_ino))
		snprintf(out, len, "net%" PRIu64, (uint64_t)self.st_ino);
}
