/*
 * test_metrics.c: the Prometheus endpoint: the text rendering (HELP and
 * TYPE before each family's samples, names, counters' _total, label
 * escaping, one line per series, the values put in); and against an
 * in-process hub with two cards: nothing listens without metrics.listen,
 * a reload opens it and moves it, GET/HEAD/404/405 over a socket, and the
 * numbers (sessions, frames, logins) follow what happened.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>

#include "hubfix.h"
#include "metrics.h"
#include "srv.h"

#define T_BODY_MAX (1u << 20)

/* ---- The rendering -------------------------------------------------- */

/* The rendering as one NUL-terminated string (free it). */
static char *
t_render(const struct metrics_snap *s)
{
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *text;

	assert_non_null(b);
	metrics_render(b, s);
	len = evbuffer_get_length(b);
	text = malloc(len + 1);
	assert_non_null(text);
	assert_int_equal(evbuffer_remove(b, text, len), (int)len);
	text[len] = '\0';
	evbuffer_free(b);
	return text;
}

static int
t_name_ok(const char *s, size_t len)
{
	if (len == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_' ||
	    s[0] == ':'))
		return 0;
	for (size_t i = 1; i < len; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' ||
		    s[i] == ':'))
			return 0;
	return 1;
}

/*
 * The exposition format, line by line, as strictly as a scraper reads it:
 * each family's HELP then TYPE, then only its samples; valid metric and
 * label names; label values closed, with only \\, \" and \n escapes;
 * counters named *_total with a value >= 0; no series twice. Returns the
 * number of samples.
 */
static size_t
t_check_format(const char *text)
{
	char family[128] = "", type[16] = "", seen_fam[64][128];
	char (*series)[512] = calloc(4096, sizeof *series);
	size_t nfam = 0, nseries = 0;
	int have_help = 0;

	assert_non_null(series);
	assert_true(text[0] != '\0');
	assert_int_equal(text[strlen(text) - 1], '\n');
	for (const char *line = text; *line != '\0';) {
		const char *end = strchr(line, '\n');
		size_t len = (size_t)(end - line);
		char buf[512];

		assert_non_null(end);
		assert_true(len > 0 && len < sizeof buf);
		memcpy(buf, line, len);
		buf[len] = '\0';
		line = end + 1;
		if (strncmp(buf, "# HELP ", 7) == 0) {
			const char *n = buf + 7, *sp = strchr(n, ' ');
			assert_non_null(sp);
			assert_true(t_name_ok(n, (size_t)(sp - n)));
			assert_true(strncmp(n, "softether_", 10) == 0);
			snprintf(family, sizeof family, "%.*s",
			    (int)(sp - n), n);
			for (size_t i = 0; i < nfam; i++)
				if (strcmp(seen_fam[i], family) == 0)
					fail_msg("family %s twice", family);
			assert_true(nfam < 64);
			snprintf(seen_fam[nfam++], sizeof seen_fam[0], "%s",
			    family);
			assert_null(strchr(sp + 1, '\\'));
			have_help = 1;
			type[0] = '\0';
			continue;
		}
		if (strncmp(buf, "# TYPE ", 7) == 0) {
			const char *n = buf + 7, *sp = strchr(n, ' ');
			assert_true(have_help);
			assert_non_null(sp);
			assert_int_equal((size_t)(sp - n), strlen(family));
			assert_memory_equal(n, family, strlen(family));
			snprintf(type, sizeof type, "%s", sp + 1);
			assert_true(strcmp(type, "counter") == 0 ||
			    strcmp(type, "gauge") == 0);
			if (strcmp(type, "counter") == 0) {
				size_t fl = strlen(family);
				assert_true(fl > 6 &&
				    strcmp(family + fl - 6, "_total") == 0);
			}
			continue;
		}
		assert_true(buf[0] != '#');
		/* A sample of the current family. */
		assert_true(type[0] != '\0');
		size_t nl = strcspn(buf, "{ ");
		assert_int_equal(nl, strlen(family));
		assert_memory_equal(buf, family, nl);
		const char *p = buf + nl;
		if (*p == '{') {
			p++;
			for (;;) {
				size_t kl = strcspn(p, "=");
				assert_true(t_name_ok(p, kl));
				p += kl;
				assert_int_equal(p[0], '=');
				assert_int_equal(p[1], '"');
				for (p += 2; *p != '"'; p++) {
					assert_true(*p != '\0' && *p != '\n');
					if (*p == '\\') {
						p++;
						assert_true(*p == '\\' ||
						    *p == '"' || *p == 'n');
					}
				}
				p++;
				if (*p == '}')
					break;
				assert_int_equal(*p, ',');
				p++;
			}
			p++;
		}
		assert_int_equal(*p, ' ');
		/* The series (name and labels) once only. */
		size_t sl = (size_t)(p - buf);
		for (size_t i = 0; i < nseries; i++)
			if (strlen(series[i]) == sl &&
			    memcmp(series[i], buf, sl) == 0)
				fail_msg("series twice: %s", buf);
		assert_true(nseries < 4096);
		snprintf(series[nseries++], sizeof series[0], "%.*s", (int)sl,
		    buf);
		char *vend;
		double v = strtod(p + 1, &vend);
		assert_true(vend != p + 1 && *vend == '\0');
		if (strcmp(type, "counter") == 0)
			assert_true(v >= 0);
	}
	free(series);
	return nseries;
}

static void
t_has_line(const char *text, const char *line)
{
	char *want = malloc(strlen(line) + 3);
	const char *at;

	assert_non_null(want);
	sprintf(want, "\n%s\n", line);
	at = strstr(text, want);
	if (at == NULL && strncmp(text, line, strlen(line)) == 0 &&
	    text[strlen(line)] == '\n')
		at = text;
	if (at == NULL)
		fail_msg("no line '%s' in:\n%s", line, text);
	free(want);
}

static void
test_label_escaping(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char out[64];
	size_t n;

	(void)state;
	assert_non_null(b);
	metrics_label_value(b, "a\\b\"c\nd");
	n = evbuffer_get_length(b);
	assert_true(n < sizeof out);
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	assert_string_equal(out, "a\\\\b\\\"c\\nd");
	metrics_label_value(b, "");
	assert_int_equal(evbuffer_get_length(b), 0);
	metrics_label_value(b, "\\\\\n\"");
	n = evbuffer_get_length(b);
	evbuffer_remove(b, out, n);
	out[n] = '\0';
	assert_string_equal(out, "\\\\\\\\\\n\\\"");
	evbuffer_free(b);
}

static void
test_render(void **state)
{
	struct metrics_hub hubs[2];
	struct metrics_snap s = {
		.version = "1.2\"3", .start_time_s = 1700000000.25,
		.queue_used = 4096, .queue_limit = 1u << 30,
		.queues_shed = 3, .tls_resumed = 11, .hubs = hubs, .nhubs = 2,
	};
	char *text, line[256];

	(void)state;
	memset(hubs, 0, sizeof hubs);
	hubs[0].name = "lab";
	hubs[0].online = 1;
	hubs[0].sessions_up = 2;
	hubs[0].sessions_cut = 1;
	hubs[0].sessions_ended = 7;
	hubs[0].in_frames = 10;
	hubs[0].in_bytes = 1000;
	hubs[0].out_frames = 20;
	hubs[0].out_bytes = UINT64_MAX;
	hubs[0].resumes = 4;
	hubs[0].logins_ok = 9;
	hubs[0].logins_failed = 5;
	hubs[0].logins_ticket = 8;
	hubs[0].logins_key = 6;
	hubs[0].tickets_refused = 1;
	for (int r = 0; r < SW_DROP_NREASONS; r++)
		hubs[0].drops[r] = 100u + (uint64_t)r;
	hubs[0].macs = 3;
	hubs[0].ip4s = 2;
	hubs[0].ip6s = 6;
	/* A name from a configuration file: anything, escaped. */
	hubs[1].name = "we\"ird\\na\nme";
	hubs[1].sessions_up = 1;

	text = t_render(&s);
	/* 6 process-wide, 2 x (1 online + 2 sessions + 1 ended + 2 frames +
	 * 2 bytes + drops + 1 resumes + 2 logins + 1 by ticket + 1 by key +
	 * 1 tickets refused + 1 macs + 2 ips). */
	assert_int_equal(t_check_format(text), 6u + 2u * (17u +
	    SW_DROP_NREASONS));
	t_has_line(text, "# TYPE softether_frames_total counter");
	t_has_line(text, "# TYPE softether_sessions gauge");
	t_has_line(text, "softether_build_info{version=\"1.2\\\"3\"} 1");
	t_has_line(text, "softether_start_time_seconds 1700000000.250");
	t_has_line(text, "softether_session_queue_bytes 4096");
	t_has_line(text, "softether_session_queue_limit_bytes 1073741824");
	t_has_line(text, "softether_session_queues_shed_total 3");
	t_has_line(text, "softether_tls_resumed_total 11");
	t_has_line(text, "softether_hub_online{hub=\"lab\"} 1");
	t_has_line(text, "softether_sessions{hub=\"lab\",state=\"up\"} 2");
	t_has_line(text, "softether_sessions{hub=\"lab\",state=\"cut\"} 1");
	t_has_line(text, "softether_sessions_ended_total{hub=\"lab\"} 7");
	t_has_line(text, "softether_frames_total{hub=\"lab\",direction="
	    "\"in\"} 10");
	t_has_line(text, "softether_frames_total{hub=\"lab\",direction="
	    "\"out\"} 20");
	t_has_line(text, "softether_bytes_total{hub=\"lab\",direction="
	    "\"in\"} 1000");
	t_has_line(text, "softether_bytes_total{hub=\"lab\",direction="
	    "\"out\"} 18446744073709551615");
	t_has_line(text, "softether_resumes_total{hub=\"lab\"} 4");
	t_has_line(text, "softether_logins_total{hub=\"lab\",result=\"ok\"} 9");
	t_has_line(text, "softether_logins_total{hub=\"lab\",result="
	    "\"failed\"} 5");
	t_has_line(text, "softether_logins_by_key_total{hub=\"lab\"} 6");
	t_has_line(text, "softether_logins_by_ticket_total{hub=\"lab\"} 8");
	t_has_line(text, "softether_tickets_refused_total{hub=\"lab\"} 1");
	t_has_line(text, "softether_mac_table_entries{hub=\"lab\"} 3");
	t_has_line(text, "softether_ip_table_entries{hub=\"lab\",family="
	    "\"ipv4\"} 2");
	t_has_line(text, "softether_ip_table_entries{hub=\"lab\",family="
	    "\"ipv6\"} 6");
	for (int r = 0; r < SW_DROP_NREASONS; r++) {
		snprintf(line, sizeof line, "softether_drops_total{hub=\"lab\","
		    "reason=\"%s\"} %d", sw_drop_name((enum sw_drop_reason)r),
		    100 + r);
		t_has_line(text, line);
	}
	t_has_line(text, "softether_hub_online{hub=\"we\\\"ird\\\\na\\nme\"} "
	    "0");
	t_has_line(text, "softether_sessions{hub=\"we\\\"ird\\\\na\\nme\","
	    "state=\"up\"} 1");
	/* HELP and TYPE come first, right before the family's samples. */
	assert_true(strncmp(text, "# HELP softether_build_info ", 28) == 0);
	assert_non_null(strstr(text, "# TYPE softether_drops_total counter\n"
	    "softether_drops_total{hub=\"lab\",reason=\"bad-frame\"} 100\n"));
	free(text);

	/* No hubs: every family still says what it is. */
	s.nhubs = 0;
	text = t_render(&s);
	assert_int_equal(t_check_format(text), 6);
	t_has_line(text, "# TYPE softether_logins_total counter");
	free(text);
}

/* ---- Against a running hub ------------------------------------------ */

struct t_http {
	struct t_env *e;
	int fd;
	char buf[T_BODY_MAX];
	size_t len;
	int done;
};

static int
t_http_done(void *arg)
{
	struct t_http *h = arg;
	ssize_t n;

	while (!h->done && h->len < sizeof h->buf - 1) {
		n = recv(h->fd, h->buf + h->len, sizeof h->buf - 1 - h->len,
		    MSG_DONTWAIT);
		if (n > 0) {
			h->len += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			h->done = 1;
		break;
	}
	h->buf[h->len] = '\0';
	return h->done;
}

/* One request (the hub answers and closes: HTTP/1.0), on the test's loop:
 * the answer, NUL-terminated, in a buffer to free. NULL if connecting
 * was refused. */
static char *
t_http(struct t_env *e, uint16_t port, const char *req)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
	    .sin_port = htons(port) };
	struct t_http *h = calloc(1, sizeof *h);
	char *out;

	assert_non_null(h);
	h->e = e;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(h->fd >= 0);
	if (connect(h->fd, (struct sockaddr *)&a, sizeof a) != 0) {
		assert_int_equal(errno, ECONNREFUSED);
		close(h->fd);
		free(h);
		return NULL;
	}
	assert_int_equal(send(h->fd, req, strlen(req), 0),
	    (ssize_t)strlen(req));
	t_until(e, t_http_done, h, "the metrics answer");
	close(h->fd);
	out = strdup(h->buf);
	assert_non_null(out);
	free(h);
	return out;
}

/* GET /metrics: the body, after checking the status and type. */
static char *
t_scrape(struct t_env *e, uint16_t port)
{
	char *r = t_http(e, port, "GET /metrics HTTP/1.0\r\n\r\n"), *body;

	assert_non_null(r);
	if (strncmp(r, "HTTP/1.0 200 OK\r\n", 17) != 0 &&
	    strncmp(r, "HTTP/1.1 200 OK\r\n", 17) != 0)
		fail_msg("scrape answered: %.200s", r);
	assert_non_null(strstr(r, "\r\nContent-Type: " METRICS_CONTENT_TYPE
	    "\r\n"));
	body = strstr(r, "\r\n\r\n");
	assert_non_null(body);
	body = strdup(body + 4);
	assert_non_null(body);
	free(r);
	t_check_format(body);
	return body;
}

/* The value of one series in a scrape. */
static uint64_t
t_value(const char *body, const char *series)
{
	char *want = malloc(strlen(series) + 3);
	const char *at;

	assert_non_null(want);
	sprintf(want, "\n%s ", series);
	at = strstr(body, want);
	if (at == NULL)
		fail_msg("no series %s in:\n%s", series, body);
	at += strlen(want);
	free(want);
	return strtoull(at, NULL, 10);
}

/* metrics: listen: 127.0.0.1:port into the hub's file, and a reload. */
static void
t_reload_metrics(struct t_env *e, uint16_t port)
{
	char yaml[sizeof e->yaml + 64], err[1024];

	if (port != 0)
		snprintf(yaml, sizeof yaml, "%smetrics:\n  listen: "
		    "\"127.0.0.1:%u\"\n", e->yaml, port);
	else
		snprintf(yaml, sizeof yaml, "%s", e->yaml);
	t_write_file(e->cfgfile, yaml);
	if (reload_config(e->hub, err, sizeof err) != 0)
		fail_msg("reload: %s", err);
}

struct t_count {
	struct srv *srv;
	uint64_t want;
};

static int
t_frames_in(void *arg)
{
	struct t_count *c = arg;
	struct srv_totals t;
	uint32_t up, cut;

	remote_hub_totals(srv_find_hub(c->srv, "DEFAULT"), &t, &up, &cut);
	return t.rx_frames >= c->want;
}

static void
test_hub_endpoint(void **state)
{
	struct t_env *e = *state;
	uint16_t port = t_free_port(), port2;
	uint8_t f[T_FRAME_LEN];
	char spec[32], *r, *body;
	struct t_count c = { e->hub, 1 };

	/* No metrics.listen: nothing listens. */
	assert_null(e->hub->metrics);
	assert_null(t_http(e, port, "GET /metrics HTTP/1.0\r\n\r\n"));

	/* A reload opens it. */
	t_reload_metrics(e, port);
	snprintf(spec, sizeof spec, "127.0.0.1:%u", port);
	assert_string_equal(metrics_listening(e->hub->metrics), spec);
	body = t_scrape(e, port);
	assert_int_equal(t_value(body, "softether_sessions{hub=\"DEFAULT\","
	    "state=\"up\"}"), 0);
	free(body);

	/* Two cards, a frame from A to B, and a wrong password. */
	t_two_cards(e);
	t_frame(f, t_mac_a, t_mac_b, 1);
	t_inject(&e->a, f, sizeof f);
	t_until(e, t_frames_in, &c, "the frame to reach the hub");
	t_card_opts(e, &e->bad, "pairX", e->badpw, NULL);
	t_card_start(e, &e->bad);
	t_until(e, t_card_done, &e->bad, "the refused card to stop");
	body = t_scrape(e, port);
	assert_int_equal(t_value(body, "softether_sessions{hub=\"DEFAULT\","
	    "state=\"up\"}"), 2);
	assert_int_equal(t_value(body, "softether_sessions{hub=\"DEFAULT\","
	    "state=\"cut\"}"), 0);
	assert_true(t_value(body, "softether_frames_total{hub=\"DEFAULT\","
	    "direction=\"in\"}") >= 1);
	assert_true(t_value(body, "softether_bytes_total{hub=\"DEFAULT\","
	    "direction=\"in\"}") >= T_FRAME_LEN);
	assert_int_equal(t_value(body, "softether_logins_total{hub="
	    "\"DEFAULT\",result=\"ok\"}"), 2);
	assert_int_equal(t_value(body, "softether_logins_total{hub="
	    "\"DEFAULT\",result=\"failed\"}"), 1);
	assert_true(t_value(body, "softether_mac_table_entries{hub="
	    "\"DEFAULT\"}") >= 1);
	assert_true(t_value(body, "softether_session_queue_limit_bytes") > 0);
	free(body);

	/* HEAD: the headers only; other paths 404, other methods 405. */
	r = t_http(e, port, "HEAD /metrics HTTP/1.0\r\n\r\n");
	assert_non_null(r);
	assert_true(strncmp(r, "HTTP/1.0 200 OK\r\n", 17) == 0 ||
	    strncmp(r, "HTTP/1.1 200 OK\r\n", 17) == 0);
	assert_non_null(strstr(r, "\r\nContent-Type: " METRICS_CONTENT_TYPE));
	assert_null(strstr(r, "softether_"));
	free(r);
	r = t_http(e, port, "GET /nope HTTP/1.0\r\n\r\n");
	assert_non_null(strstr(r, " 404 "));
	free(r);
	r = t_http(e, port, "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n"
	    "\r\n");
	assert_non_null(strstr(r, " 405 "));
	assert_non_null(strstr(r, "\r\nAllow: GET, HEAD\r\n"));
	free(r);
	/* Garbage and an oversized header: refused, the hub serves on. */
	r = t_http(e, port, "\x01\x02 garbage \xff\r\n\r\n");
	assert_null(strstr(r, "200 OK"));
	free(r);
	{
		size_t big = METRICS_MAX_HEADERS * 2;
		char *req = malloc(big + 64);
		assert_non_null(req);
		snprintf(req, big + 64, "GET /metrics HTTP/1.0\r\nX-Big: ");
		size_t n = strlen(req);
		memset(req + n, 'a', big);
		snprintf(req + n + big, 64, "\r\n\r\n");
		r = t_http(e, port, req);
		assert_null(strstr(r, "200 OK"));
		free(r);
		free(req);
	}
	body = t_scrape(e, port);
	free(body);

	/* A reload moves it; one without the key closes it. */
	port2 = t_free_port();
	t_reload_metrics(e, port2);
	snprintf(spec, sizeof spec, "127.0.0.1:%u", port2);
	assert_string_equal(metrics_listening(e->hub->metrics), spec);
	assert_null(t_http(e, port, "GET /metrics HTTP/1.0\r\n\r\n"));
	body = t_scrape(e, port2);
	assert_int_equal(t_value(body, "softether_sessions{hub=\"DEFAULT\","
	    "state=\"up\"}"), 2);
	free(body);
	t_reload_metrics(e, 0);
	assert_string_equal(metrics_listening(e->hub->metrics), "");
	assert_null(t_http(e, port2, "GET /metrics HTTP/1.0\r\n\r\n"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_render),
		cmocka_unit_test_setup_teardown(test_hub_endpoint, t_setup,
		    t_teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
