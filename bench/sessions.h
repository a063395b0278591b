/*
 * sessions.h: the session generator's state (bench_sessions.c runs it;
 * sessions_report.c reads the hub's /proc and prints the figures).
 */
#ifndef SOFTETHER_BENCH_SESSIONS_H
#define SOFTETHER_BENCH_SESSIONS_H

#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <event2/event.h>

#include "ether.h"
#include "log.h"
#include "proto.h"
#include "session.h"
#include "tlsio.h"

#define GEN_PACE_MS        5u      /* the connect queue's tick */
#define GEN_BACKOFF_MIN_MS 250u    /* a failed try waits, doubling ... */
#define GEN_BACKOFF_MAX_MS 8000u   /* ... up to this, with jitter */
#define GEN_CONNECT_MS     TRANSPORT_CONNECT_TIMEOUT_MS
#define GEN_SETTLE_IDLE_MS 15000u  /* after the hold, resumes under way may
                                      finish while one comes up at least
                                      this often ... */
#define GEN_SETTLE_MAX_MS  PROTO_RESUME_WINDOW_MS /* ... for this long */
#define GEN_REASONS        8u      /* kinds of failure told apart */
#define GEN_POLL_MS        100u
#define GEN_DRAIN_MS       300u    /* goodbyes flushed before exit */
#define GEN_LOG_FAILURES   5u      /* failures logged one by one; then counted */
#define GEN_FRAME_LEN      60u     /* a minimal Ethernet frame, no FCS */
#define GEN_ETHERTYPE      0x88b5u /* local experimental */
#define GEN_MAGIC          0x53454e47u
#define GEN_MAX_COUNT      100000u
#define GEN_MAX_SOURCES    65536u
#define GEN_TARGET_S       3.0     /* the wait at the hub a window aims at */
#define GEN_WINDOW_MIN     4u      /* tries under way at once, at least */
#define GEN_RATE_SAMPLES   16u     /* completions a window's rate is from */

enum gs_state {
	GS_WAIT = 0,     /* queued for a connection, or backing off */
	GS_CONNECTING,   /* TCP connect under way */
	GS_LOGIN,        /* TLS and login (or resume) under way */
	GS_UP,           /* the session is carried by a connection */
	GS_DONE,         /* refused for good, or stopped */
};

enum gen_phase {
	GEN_ADMIT = 0,   /* until every session is up once */
	GEN_HOLD,        /* keeping them */
	GEN_SETTLE,      /* the hold is over: resumes under way may finish */
	GEN_STOP,
};

enum gen_trickle_to { GEN_TO_PEERS = 0, GEN_TO_SELF };

/* The two kinds of try: a login costs the hub a password check, a resume
 * only a TLS handshake. */
enum gen_kind { GEN_LOGIN = 0, GEN_RESUME, GEN_NKINDS };

struct gen;

/* One session of the generator and the connection it is trying. */
struct gs {
	struct gen *g;
	uint32_t idx;
	enum gs_state state;
	TAILQ_ENTRY(gs) qe;          /* in its kind's queue while queued */
	int queued;
	enum gen_kind kind;          /* of the try queued or under way */
	int fd;                      /* while connecting */
	struct event *ev;            /* connect completion, or back-off */
	struct event *trickle_ev;
	struct conn *c;              /* while logging in */
	struct session sess;
	int have_sess;
	uint64_t id;
	uint8_t token[PROTO_TOKEN_LEN];
	uint8_t mac[ETHER_ADDR_LEN];
	uint32_t backoff_ms;
	int afresh;                  /* resume refused: log in again at once */
	int by_ticket;               /* the login under way sent the ticket */
	uint16_t ticket_len;         /* 0: none */
	uint8_t ticket[PROTO_TICKET_MAX]; /* the hub's last re-login ticket */
	int refused;                 /* retrying cannot help */
	int lost;                    /* lost at least once, or never up */
	int cut;                     /* cut by the generator, not back yet */
	int announced;               /* has sent the hub a frame from its MAC */
	uint64_t want_ms;            /* first connect of this login or resume */
	uint64_t tx_seq;
};
TAILQ_HEAD(gs_list, gs);

/* One kind of try: its queue, how many are under way, and when the last
 * ones succeeded (a ring). */
struct gen_window {
	struct gs_list ready;
	uint32_t inflight;
	double ok[GEN_RATE_SAMPLES];
	uint64_t nok;
};

struct gen_hubstat {
	long rss_kib;                /* -1: unknown */
	long fds;
	unsigned long long ticks;
};

struct gen {
	struct event_base *base;
	struct tlsio_conf tls;
	int have_tls;
	/* Options. */
	char host[256];
	uint16_t port;
	uint32_t count;
	const char *user, *hub_name, *fingerprint;
	char password[PROTO_MAX_SECRET + 1];
	size_t password_len;
	double hold_s, cut_after_s, trickle, rate, timeout_s;
	uint32_t max_inflight;
	enum gen_trickle_to trickle_to;
	int json;
	int no_tickets;              /* keep none: every login by password */
	int restarts;                /* the hub may forget sessions: no loss */
	pid_t hub_pid;
	/* Where to. */
	struct sockaddr_storage hub;
	socklen_t hub_len;
	uint32_t src_first, nsrc;    /* --sources: host order, how many */
	/* The sessions. */
	struct gs *s;
	struct gen_window win[GEN_NKINDS];
	struct event *pace_ev, *phase_ev, *cut_ev, *sig_term, *sig_int;
	double tokens;
	uint64_t pace_ms;
	uint32_t nup, ndone;
	enum gen_phase phase;
	uint8_t mac_run[2];          /* this run's MACs: 02:r0:r1:idx */
	/* What happened. */
	uint64_t tries, failures, hub_refusals, resumed, lost_events;
	uint64_t admit_tries, admit_failures; /* of them, until all were up */
	uint64_t frames_tx, frames_rx, frames_dropped;
	uint64_t logins_ticket, logins_password, tickets_refused, readmitted;
	double t_down;               /* all were up, then one went down */
	double back_s;               /* the last time they all came back */
	uint32_t backs;
	uint32_t ncut, cut_left;
	double *lat;                 /* login latencies of the admission, s */
	uint32_t nlat;
	double t_start, t_first, t_all_up, t_cut, t_resumed, t_settle;
	int all_up;
	uint64_t logged;             /* failures logged */
	struct { char why[96]; uint64_t n; } reasons[GEN_REASONS];
	uint64_t reasons_other;
	double t_last_up;
	char first_refusal[LOG_SAFE_LEN(128)];
	/* The hub, as /proc shows it. */
	/* idle; all up; the cut; all resumed; the hold's end; the finish */
	struct gen_hubstat h_idle, h_up, h_cut, h_resumed, h_hold, h_end;
	double t_h_up, t_h_cut, t_h_hold;
	uint32_t up_at_end;
};


/* The hub's RSS, fds and CPU ticks now (unknown without --hub-pid). */
void gen_hubstat(const struct gen *g, struct gen_hubstat *h);
/* The figures: on standard error, a summary line (and --json's
 * document) on standard output. */
void gen_report(struct gen *g);

#endif
