/*
 * hook.c: the card's --up and --down commands. Each is split into words once
 * (admincmd.c's rules, no shell), then forked and exec'd whenever the
 * session comes up or goes down for good, with SOFTETHER_* variables, stdin
 * on /dev/null and CAP_NET_ADMIN kept (ambient) so that routes can be set.
 * One runs at a time, so a down never overtakes its up; the loop never
 * waits: SIGCHLD reaps, a timer stops one that runs too long.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <event2/event.h>

#include "hook.h"
#include "log.h"
#include "privdrop.h"

#define HOOK_QUEUE          2u    /* behind the running one: a down, an up */
#define HOOK_NVARS          11u   /* SOFTETHER_* variables, at most */
#define HOOK_NUM_MAX        24u   /* a port or session id in decimal */
#define HOOK_EXIT_EXEC      127   /* the command could not be exec'd */
#define HOOK_ERR_FD         3     /* in the child: where exec's errno goes */
#define HOOK_CLOSE_FALLBACK 65536L

extern char **environ;

/* One event's variables, copied (the card's strings may change after):
 * the strings of hook_vars in this order, each present if its bit is set
 * in has. */
enum { HOOK_S_IFNAME = 0, HOOK_S_MAC, HOOK_S_IP, HOOK_S_HUB, HOOK_S_HUB_NAME,
    HOOK_S_USER, HOOK_S_TRANSPORT, HOOK_S_REASON, HOOK_NSTR };

struct hook_job {
	enum hook_event ev;
	uint16_t port;
	uint64_t session;
	unsigned has;
	char s[HOOK_NSTR][HOOK_VALUE_MAX];
};

struct hook {
	struct event_base *base;
	const char *cmd[2];                      /* as given, for logs */
	struct admincmd_line words[2];
	char *argv[2][ADMINCMD_ARGS_MAX + 1];
	int up;                  /* an up asked for, its down not yet */
	struct hook_job queue[HOOK_QUEUE];
	size_t nqueue;
	pid_t pid;               /* the one running, or 0 */
	enum hook_event running;
	int errfd;               /* exec's errno from the child, or -1 */
	int stage;               /* 0 running, 1 SIGTERM sent, 2 SIGKILL sent */
	struct event *sigchld, *timer;
	void (*idle)(void *);
	void *idle_arg;
};

static const char *const hook_names[] = { "up", "down" };

int
hook_split(const char *cmd, struct admincmd_line *out, char *err,
    size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (admincmd_split(cmd, strlen(cmd), out, err, errlen) != 0)
		return -1;
	if (out->argc == 0 || out->argv[0][0] == '\0') {
		snprintf(err, errlen, "expected a command and its arguments");
		return -1;
	}
	return 0;
}

/* A value as a variable may carry it: bounded, no control bytes. */
static size_t
hook_clean(char *out, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < HOOK_VALUE_MAX - 1; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	out[i] = '\0';
	return i;
}

char **
hook_env(enum hook_event ev, const struct hook_vars *v, char *const *base)
{
	char port[HOOK_NUM_MAX], session[HOOK_NUM_MAX];
	const struct {
		const char *name, *value;
	} vars[HOOK_NVARS] = {
		{ "SOFTETHER_EVENT", hook_names[ev] },
		{ "SOFTETHER_IFACE", v->ifname },
		{ "SOFTETHER_MAC", v->mac },
		{ "SOFTETHER_IP", v->ip },
		{ "SOFTETHER_HUB", v->hub },
		{ "SOFTETHER_HUB_PORT", port },
		{ "SOFTETHER_HUB_NAME", v->hub_name },
		{ "SOFTETHER_USER", v->user },
		{ "SOFTETHER_TRANSPORT", v->transport },
		{ "SOFTETHER_SESSION", session },
		{ "SOFTETHER_REASON", ev == HOOK_DOWN ? v->reason : NULL },
	};
	size_t n = 0, bytes = 0, at = 0;
	char **envp, *p;

	snprintf(port, sizeof port, "%u", (unsigned)v->port);
	snprintf(session, sizeof session, "%" PRIu64, v->session);
	for (size_t i = 0; base != NULL && base[i] != NULL; i++)
		if (strncmp(base[i], "SOFTETHER_", 10) != 0) {
			n++;
			bytes += strlen(base[i]) + 1;
		}
	for (size_t i = 0; i < HOOK_NVARS; i++)
		if (vars[i].value != NULL) {
			n++;
			bytes += strlen(vars[i].name) + 1 + HOOK_VALUE_MAX;
		}
	if ((envp = malloc((n + 1) * sizeof *envp + bytes)) == NULL)
		return NULL;
	p = (char *)(envp + n + 1);
	for (size_t i = 0; base != NULL && base[i] != NULL; i++)
		if (strncmp(base[i], "SOFTETHER_", 10) != 0) {
			size_t len = strlen(base[i]) + 1;
			memcpy(p, base[i], len);
			envp[at++] = p;
			p += len;
		}
	for (size_t i = 0; i < HOOK_NVARS; i++) {
		size_t len;
		if (vars[i].value == NULL)
			continue;
		len = strlen(vars[i].name);
		envp[at++] = p;
		memcpy(p, vars[i].name, len);
		p[len] = '=';
		p += len + 1;
		p += hook_clean(p, vars[i].value) + 1;
	}
	envp[at] = NULL;
	return envp;
}

/* The variables of j, pointing into it. */
static void
hook_job_vars(const struct hook_job *j, struct hook_vars *v)
{
	const char **f[HOOK_NSTR] = { &v->ifname, &v->mac, &v->ip, &v->hub,
	    &v->hub_name, &v->user, &v->transport, &v->reason };

	memset(v, 0, sizeof *v);
	v->port = j->port;
	v->session = j->session;
	for (size_t k = 0; k < HOOK_NSTR; k++)
		*f[k] = j->has & 1u << k ? j->s[k] : NULL;
}

static void
hook_job_fill(struct hook_job *j, enum hook_event ev,
    const struct hook_vars *v)
{
	const char *const src[HOOK_NSTR] = { v->ifname, v->mac, v->ip, v->hub,
	    v->hub_name, v->user, v->transport, v->reason };

	memset(j, 0, sizeof *j);
	j->ev = ev;
	j->port = v->port;
	j->session = v->session;
	for (size_t k = 0; k < HOOK_NSTR; k++)
		if (src[k] != NULL) {
			hook_clean(j->s[k], src[k]);
			j->has |= 1u << k;
		}
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void __attribute__((noreturn))
hook_exec(char *const argv[], char **envp, int null_fd, int errw, long maxfd)
{
	struct sigaction sa;
	sigset_t none;
	int e;

	/* Handlers would run the card's code; ignored signals (SIGPIPE)
	 * would stay ignored across exec. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	/* Its own session and group: the terminal's Ctrl-C is the card's,
	 * and a hook that runs too long is stopped with all it started. */
	setsid();
	if (dup2(null_fd, STDIN_FILENO) < 0 ||
	    (errw != HOOK_ERR_FD && dup2(errw, HOOK_ERR_FD) < 0) ||
	    fcntl(HOOK_ERR_FD, F_SETFD, FD_CLOEXEC) != 0)
		_exit(HOOK_EXIT_EXEC);
	if (close_range(HOOK_ERR_FD + 1, ~0U, 0) != 0)
		for (long fd = HOOK_ERR_FD + 1; fd < maxfd; fd++)
			close((int)fd);
	privdrop_child_net_admin();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	environ = envp;
	execvp(argv[0], argv);
	e = errno;
	(void)!write(HOOK_ERR_FD, &e, sizeof e);
	_exit(HOOK_EXIT_EXEC);
}

/* fork and exec job's command; 0, or -1 (logged). */
static int
hook_spawn(struct hook *h, const struct hook_job *job)
{
	const char *name = hook_names[job->ev];
	long maxfd = sysconf(_SC_OPEN_MAX);
	struct hook_vars v;
	char **envp;
	int ep[2] = { -1, -1 }, null_fd = -1, saved;
	sigset_t all, old;
	pid_t pid;

	if (maxfd < 0 || maxfd > HOOK_CLOSE_FALLBACK)
		maxfd = HOOK_CLOSE_FALLBACK;
	hook_job_vars(job, &v);
	envp = hook_env(job->ev, &v, environ);
	if (envp == NULL || pipe2(ep, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    (null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		log_warn("%s hook: cannot start %s: %s", name,
		    h->argv[job->ev][0], envp == NULL ? "out of memory" :
		    strerror(errno));
		goto fail;
	}
	/* Signals wait until the child has reset their handlers. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		hook_exec(h->argv[job->ev], envp, null_fd, ep[1], maxfd);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_warn("%s hook: cannot start %s: fork: %s", name,
		    h->argv[job->ev][0], strerror(saved));
		goto fail;
	}
	close(ep[1]);
	close(null_fd);
	free(envp);
	h->pid = pid;
	h->errfd = ep[0];
	h->running = job->ev;
	h->stage = 0;
	event_add(h->timer, &(struct timeval){ HOOK_TIMEOUT_MS / 1000,
	    HOOK_TIMEOUT_MS % 1000 * 1000 });
	log_debug("%s hook started: %s (pid %ld)", name, h->cmd[job->ev],
	    (long)pid);
	return 0;
fail:
	for (int i = 0; i < 2; i++)
		if (ep[i] >= 0)
			close(ep[i]);
	if (null_fd >= 0)
		close(null_fd);
	free(envp);
	return -1;
}

/* Start what waits, in order, until one runs or none is left. */
static void
hook_next(struct hook *h)
{
	struct hook_job job;

	while (h->pid == 0 && h->nqueue > 0) {
		job = h->queue[0];
		memmove(&h->queue[0], &h->queue[1],
		    --h->nqueue * sizeof h->queue[0]);
		hook_spawn(h, &job);
	}
}

static void
hook_maybe_idle(struct hook *h)
{
	void (*idle)(void *) = h->idle;

	if (idle == NULL || h->pid != 0 || h->nqueue != 0)
		return;
	h->idle = NULL;
	idle(h->idle_arg);
}

/* The running hook has ended (status, or -1 if reaped elsewhere). */
static void
hook_reaped(struct hook *h, int status)
{
	const char *name = hook_names[h->running], *cmd = h->cmd[h->running];
	int e;

	event_del(h->timer);
	if (read(h->errfd, &e, sizeof e) == (ssize_t)sizeof e)
		log_warn("%s hook: cannot run %s: %s", name,
		    h->argv[h->running][0], strerror(e));
	else if (status < 0)
		log_warn("%s hook %s ended, its status unknown", name, cmd);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("%s hook %s exited with status 0", name, cmd);
	else if (WIFEXITED(status))
		log_warn("%s hook %s exited with status %d", name, cmd,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_warn("%s hook %s killed by signal %d%s", name, cmd,
		    WTERMSIG(status), h->stage > 0 ? " (it ran too long)" : "");
	close(h->errfd);
	h->errfd = -1;
	h->pid = 0;
}

/* 1 if the running hook was reaped now. */
static int
hook_reap(struct hook *h)
{
	int status;
	pid_t r;

	if (h->pid == 0)
		return 0;
	do
		r = waitpid(h->pid, &status, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return 0;
	hook_reaped(h, r < 0 ? -1 : status);
	return 1;
}

static void
hook_sigchld_cb(evutil_socket_t sig, short what, void *arg)
{
	struct hook *h = arg;

	if (hook_reap(h)) {
		hook_next(h);
		hook_maybe_idle(h);
	}
}

/* Too long: SIGTERM to its group, then SIGKILL. */
static void
hook_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct hook *h = arg;
	int sig = h->stage == 0 ? SIGTERM : SIGKILL;

	if (hook_reap(h)) {
		hook_next(h);
		hook_maybe_idle(h);
		return;
	}
	if (h->stage == 0)
		log_warn("%s hook %s (pid %ld) still running after %u s; "
		    "stopping it", hook_names[h->running], h->cmd[h->running],
		    (long)h->pid, HOOK_TIMEOUT_MS / 1000);
	else if (h->stage == 1)
		log_warn("%s hook %s (pid %ld) ignored SIGTERM; killing it",
		    hook_names[h->running], h->cmd[h->running], (long)h->pid);
	if (h->stage < 2 && kill(-h->pid, sig) != 0)
		kill(h->pid, sig);
	if (h->stage < 2)
		h->stage++;
	/* Looked at again (SIGCHLD normally comes first). */
	event_add(h->timer, &(struct timeval){ HOOK_GRACE_MS / 1000,
	    HOOK_GRACE_MS % 1000 * 1000 });
}

struct hook *
hook_new(struct event_base *base, const char *up, const char *down)
{
	struct hook *h;
	char err[256];

	if (up == NULL && down == NULL)
		return NULL;
	if ((h = calloc(1, sizeof *h)) == NULL) {
		log_err("out of memory starting the card's hooks");
		return NULL;
	}
	h->base = base;
	h->errfd = -1;
	h->cmd[HOOK_UP] = up;
	h->cmd[HOOK_DOWN] = down;
	for (int ev = 0; ev < 2; ev++) {
		if (h->cmd[ev] == NULL)
			continue;
		if (hook_split(h->cmd[ev], &h->words[ev], err,
		    sizeof err) != 0) {
			log_err("--%s: %s", hook_names[ev], err);
			free(h);
			return NULL;
		}
		memcpy(h->argv[ev], h->words[ev].argv,
		    h->words[ev].argc * sizeof h->argv[ev][0]);
		h->argv[ev][h->words[ev].argc] = NULL;
	}
	/* Before any fork: a child that ends at once still signals. */
	h->sigchld = evsignal_new(base, SIGCHLD, hook_sigchld_cb, h);
	h->timer = evtimer_new(base, hook_timer_cb, h);
	if (h->sigchld == NULL || h->timer == NULL ||
	    event_add(h->sigchld, NULL) != 0) {
		log_err("out of memory starting the card's hooks");
		hook_free(h);
		return NULL;
	}
	return h;
}

void
hook_event(struct hook *h, enum hook_event ev, const struct hook_vars *v)
{
	struct hook_job *j;

	if (h == NULL)
		return;
	if (ev == HOOK_UP) {
		if (h->up)
			return;
		h->up = 1;
	} else {
		if (!h->up)
			return;
		h->up = 0;
		/* Its session is over before its up could start. */
		if (h->nqueue > 0 && h->queue[h->nqueue - 1].ev == HOOK_UP) {
			h->nqueue--;
			log_debug("up hook not run: its session is over");
			return;
		}
	}
	if (h->cmd[ev] == NULL)
		return;
	if (h->nqueue == HOOK_QUEUE) {
		/* Cannot happen: ups and downs alternate, pairs cancel. */
		log_warn("%s hook not run: %zu hooks wait already",
		    hook_names[ev], h->nqueue);
		return;
	}
	j = &h->queue[h->nqueue++];
	hook_job_fill(j, ev, v);
	hook_next(h);
}

int
hook_is_up(const struct hook *h)
{
	return h != NULL && h->up;
}

int
hook_wait(struct hook *h, void (*idle)(void *), void *arg)
{
	if (h == NULL || (h->pid == 0 && h->nqueue == 0))
		return 0;
	h->idle = idle;
	h->idle_arg = arg;
	return 1;
}

void
hook_free(struct hook *h)
{
	if (h == NULL)
		return;
	if (h->pid != 0)
		log_warn("%s hook %s (pid %ld) still running; left to finish",
		    hook_names[h->running], h->cmd[h->running], (long)h->pid);
	for (size_t i = 0; i < h->nqueue; i++)
		log_warn("%s hook not run: the card is exiting",
		    hook_names[h->queue[i].ev]);
	if (h->errfd >= 0)
		close(h->errfd);
	if (h->sigchld != NULL)
		event_free(h->sigchld);
	if (h->timer != NULL)
		event_free(h->timer);
	free(h);
}
