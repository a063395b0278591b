/*
 * sessions_report.c: what the session generator reports: the hub as
 * /proc/PID shows it (RSS, file descriptors, CPU ticks), and the figures
 * of a run, as text and as JSON.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sessions.h"

/* ---- /proc of the hub ------------------------------------------------ */

static long
proc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static long
proc_fds(pid_t pid)
{
	char path[64];
	struct dirent *d;
	long n = 0;
	DIR *dir;

	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n;
}

/* utime + stime, in clock ticks. */
static unsigned long long
proc_ticks(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "pid (comm) ", comm may hold spaces: fields from state on. */
	char *p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	    "%*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

void
gen_hubstat(const struct gen *g, struct gen_hubstat *h)
{
	h->rss_kib = -1;
	h->fds = -1;
	h->ticks = 0;
	if (g->hub_pid <= 0)
		return;
	h->rss_kib = proc_rss_kib(g->hub_pid);
	h->fds = proc_fds(g->hub_pid);
	h->ticks = proc_ticks(g->hub_pid);
}

/* ---- Report ---------------------------------------------------------- */

static int
gen_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
gen_pct(const double *v, uint32_t n, double p)
{
	if (n == 0)
		return 0;
	uint32_t i = (uint32_t)(p * (n - 1) + 0.5);
	return v[i];
}

static long
gen_self_rss(void)
{
	return proc_rss_kib(getpid());
}

void
gen_report(struct gen *g)
{
	uint32_t up = g->up_at_end, lost = 0;
	double hz = (double)sysconf(_SC_CLK_TCK);
	double admit = g->all_up ? g->t_all_up - g->t_first : 0;
	double resume = g->ncut > 0 && g->cut_left == 0 ?
	    g->t_resumed - g->t_cut : -1;
	int hub = g->hub_pid > 0 && g->all_up && g->h_idle.rss_kib >= 0 &&
	    g->h_up.rss_kib >= 0;
	/* Idle: from all up to the cut, or else to the end of the hold. */
	const struct gen_hubstat *ie = g->ncut > 0 ? &g->h_cut : &g->h_hold;
	double idle_s = (g->ncut > 0 ? g->t_h_cut : g->t_h_hold) - g->t_h_up;
	double idle_cpu = hub && g->all_up && idle_s > 0 ?
	    (double)(ie->ticks - g->h_up.ticks) / hz / idle_s * 100.0 : -1;
	double admit_cpu = hub ? (double)(g->h_up.ticks - g->h_idle.ticks) /
	    hz : -1;
	double resume_cpu = hub && resume >= 0 ? (double)(g->h_resumed.ticks -
	    g->h_cut.ticks) / hz : -1;
	struct rusage ru;

	for (uint32_t i = 0; i < g->count; i++)
		lost += g->s[i].lost;
	getrusage(RUSAGE_SELF, &ru);
	qsort(g->lat, g->nlat, sizeof *g->lat, gen_cmp);
	double p50 = gen_pct(g->lat, g->nlat, 0.5);
	double p99 = gen_pct(g->lat, g->nlat, 0.99);
	double pmax = g->nlat ? g->lat[g->nlat - 1] : 0;
	double gen_cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec /
	    1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;

	if (g->all_up)
		fprintf(stderr, "admitted %u sessions in %.2f s (first connect "
		    "to last welcome): %.1f logins/s; login p50 %.2f s, p99 "
		    "%.2f s, max %.2f s; %llu tries, %llu failed\n", g->count,
		    admit, admit > 0 ? g->count / admit : 0, p50, p99, pmax,
		    (unsigned long long)g->admit_tries,
		    (unsigned long long)g->admit_failures);
	for (unsigned i = 0; i < GEN_REASONS && g->reasons[i].n > 0; i++)
		fprintf(stderr, "%s%llu tries failed: %s\n", i == 0 ?
		    "failures: " : "          ",
		    (unsigned long long)g->reasons[i].n, g->reasons[i].why);
	if (g->reasons_other > 0)
		fprintf(stderr, "          %llu tries failed otherwise\n",
		    (unsigned long long)g->reasons_other);
	if (g->hub_refusals > 0)
		fprintf(stderr, "the hub refused %llu tries (busy, throttled "
		    "or full), the first saying \"%s\"\n",
		    (unsigned long long)g->hub_refusals, g->first_refusal);
	if (hub) {
		fprintf(stderr, "hub RSS: %ld KiB idle, %ld KiB with %u up "
		    "(%.1f KiB per session), %ld KiB after the hold\n",
		    g->h_idle.rss_kib, g->h_up.rss_kib, g->count,
		    (double)(g->h_up.rss_kib - g->h_idle.rss_kib) / g->count,
		    g->h_end.rss_kib);
		fprintf(stderr, "hub fds: %ld idle, %ld with %u up (%.2f per "
		    "session), %ld after the hold\n", g->h_idle.fds, g->h_up.fds,
		    g->count, (double)(g->h_up.fds - g->h_idle.fds) / g->count,
		    g->h_end.fds);
		fprintf(stderr, "hub CPU: %.1f s to admit %u (%.1f ms per "
		    "login); %.2f %% of a core holding them (%.1f s%s)\n",
		    admit_cpu, g->count, admit_cpu * 1e3 / g->count, idle_cpu,
		    idle_s, g->trickle > 0 ? ", with the trickle" : ", idle");
	}
	if (g->ncut > 0 && resume < 0)
		fprintf(stderr, "cut %u connections: %u not resumed\n",
		    g->ncut, g->cut_left);
	if (resume >= 0)
		fprintf(stderr, "resumed all %u in %.2f s (%.0f resumes/s)%s",
		    g->ncut, resume, resume > 0 ? g->ncut / resume : 0,
		    hub ? "" : "\n");
	if (resume >= 0 && hub)
		fprintf(stderr, "; hub CPU %.2f s (%.2f ms per resume)\n",
		    resume_cpu, resume_cpu * 1e3 / g->ncut);
	fprintf(stderr, "generator: RSS %ld KiB, CPU %.1f s\n", gen_self_rss(),
	    gen_cpu);
	if (g->logins_ticket + g->tickets_refused + g->readmitted > 0)
		fprintf(stderr, "logins: %llu by password, %llu by re-login "
		    "ticket, %llu tickets refused; %llu sessions the hub "
		    "forgot logged in again%s\n",
		    (unsigned long long)g->logins_password,
		    (unsigned long long)g->logins_ticket,
		    (unsigned long long)g->tickets_refused,
		    (unsigned long long)g->readmitted, g->backs > 0 ? "" :
		    " (not all back)");
	printf("summary: up=%u lost=%u resumed=%llu frames_sent=%llu "
	    "frames_received=%llu logins_password=%llu logins_ticket=%llu "
	    "tickets_refused=%llu readmitted=%llu\n", up, lost,
	    (unsigned long long)g->resumed, (unsigned long long)g->frames_tx,
	    (unsigned long long)g->frames_rx,
	    (unsigned long long)g->logins_password,
	    (unsigned long long)g->logins_ticket,
	    (unsigned long long)g->tickets_refused,
	    (unsigned long long)g->readmitted);
	if (g->json) {
		printf("{\"count\":%u,\"up\":%u,\"lost\":%u,\"lost_events\":%llu,"
		    "\"resumed\":%llu,\"frames_sent\":%llu,"
		    "\"frames_received\":%llu,\"frames_dropped\":%llu,"
		    "\"tries\":%llu,\"failures\":%llu,\"hub_refusals\":%llu,"
		    "\"admit_s\":%.3f,\"logins_per_s\":%.2f,"
		    "\"login_p50_s\":%.3f,\"login_p99_s\":%.3f,"
		    "\"login_max_s\":%.3f,\"cut\":%u,\"resume_s\":%.3f,"
		    "\"logins_password\":%llu,\"logins_ticket\":%llu,"
		    "\"tickets_refused\":%llu,\"readmitted\":%llu,"
		    "\"back_s\":%.3f,",
		    g->count, up, lost, (unsigned long long)g->lost_events,
		    (unsigned long long)g->resumed,
		    (unsigned long long)g->frames_tx,
		    (unsigned long long)g->frames_rx,
		    (unsigned long long)g->frames_dropped,
		    (unsigned long long)g->tries,
		    (unsigned long long)g->failures,
		    (unsigned long long)g->hub_refusals, admit,
		    admit > 0 ? g->count / admit : 0, p50, p99, pmax, g->ncut,
		    resume, (unsigned long long)g->logins_password,
		    (unsigned long long)g->logins_ticket,
		    (unsigned long long)g->tickets_refused,
		    (unsigned long long)g->readmitted,
		    g->backs > 0 ? g->back_s : -1.0);
		if (hub)
			printf("\"hub\":{\"rss_idle_kib\":%ld,\"rss_up_kib\":%ld,"
			    "\"rss_hold_kib\":%ld,\"rss_per_session_kib\":%.2f,"
			    "\"fds_idle\":%ld,\"fds_up\":%ld,\"fds_hold\":%ld,"
			    "\"fds_per_session\":%.3f,\"cpu_admit_s\":%.2f,"
			    "\"cpu_hold_pct\":%.3f,\"hold_window_s\":%.1f,"
			    "\"cpu_resume_s\":%.2f},",
			    g->h_idle.rss_kib, g->h_up.rss_kib,
			    g->h_end.rss_kib, (double)(g->h_up.rss_kib -
			    g->h_idle.rss_kib) / g->count, g->h_idle.fds,
			    g->h_up.fds, g->h_end.fds, (double)(g->h_up.fds -
			    g->h_idle.fds) / g->count, admit_cpu, idle_cpu,
			    idle_s, resume_cpu);
		printf("\"generator\":{\"rss_kib\":%ld,\"cpu_s\":%.2f}}\n",
		    gen_self_rss(), gen_cpu);
	}
	fflush(stdout);
}
