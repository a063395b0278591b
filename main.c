/*
 * main.c: command line. Picks the role (--hub, --nic or a tool) and hands
 * over to the library; nothing else lives here.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "adminctl.h"
#include "auth.h"
#include "control.h"
#include "cert.h"
#include "detach.h"
#include "hubconf.h"
#include "nicconf.h"
#include "pidfile.h"
#include "log.h"
#include "nic.h"
#include "proto.h"
#include "pubkey.h"
#include "server.h"
#include "tcpcc.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: softether --hub [-c config.yaml] [--state-dir DIR] [--bridge IFNAME]\n"
"       softether --nic [-c client.yaml] --connect HOST[:PORT] --user NAME\n"
"                 --password-file FILE | --key-file FILE\n"
"                 [--hub-name NAME] [--tap IFNAME] [--mac MAC]\n"
"                 [--ip CIDR|none|dhcp] [--dns] [--default-route]\n"
"       softether --bridge IFNAME --connect HOST[:PORT] --user NAME\n"
"                 --password-file FILE | --key-file FILE [the card's other\n"
"                 options]\n"
"                 [--fingerprint SHA256HEX | --ca FILE] [--known-hubs FILE]\n"
"                 [--via %s]\n"
"                 [--up CMD] [--down CMD]\n"
"                 [--proxy HOST:PORT [--proxy-user U [--proxy-password-file F]]]\n"
"                 [--ssh [USER@]GATEWAY[:PORT] [--ssh-option KEY=VALUE ...]]\n"
"       softether --check-config [-c config.yaml]\n"
"       softether --check-config --nic [-c client.yaml] [card options]\n"
"       softether --hash-password < password.txt\n"
"       softether --gen-key FILE | --public-key FILE\n"
"       softether --admin [-c config.yaml | --state-dir DIR | --run-dir DIR]\n"
"                 [-e COMMAND] [--json] [--password-file FILE]\n"
"       softether --admin --nic [IFNAME] [--run-dir DIR] [-e COMMAND] [--json]\n"
"       softether --admin HOST[:PORT]\n"
"                 [--admin-password-file FILE | --admin-key-file FILE]\n"
"                 [--fingerprint SHA256HEX | --ca FILE] [--known-hubs FILE]\n"
"                 [-e COMMAND] [--json] [--password-file FILE]\n"
"       softether --version | --help\n"
"\n"
"  --hub               run a switching hub (no -c: the embedded default, which\n"
"                      listens on TCP 443 and 7777 and keeps its state in\n"
"                      " HUBCONF_DEFAULT_STATE ")\n"
"  --nic               plug a TAP virtual LAN card into a hub\n"
"  -c, --config FILE   the hub's YAML configuration; with --nic, the card's\n"
"                      options as YAML (command-line options override it)\n"
"  --state-dir DIR     where the hub keeps its certificate, key and\n"
"                      generated credentials\n"
"  --check-config      validate the configuration and print it in full\n"
"  --admin             administer the hub running on this machine through its\n"
"                      control socket (commands: -e help)\n"
"  --admin --nic [IFNAME]  ask the card on IFNAME (default vpn0) how it is,\n"
"                      through its control socket (commands: status, the\n"
"                      default, and help)\n"
"  --admin HOST[:PORT] the same inside the hub's TLS port, as admin with the\n"
"                      hub's admin.password (--admin-password-file FILE, or\n"
"                      asked), or with the key of its admin.public_key\n"
"                      (--admin-key-file FILE, made by --gen-key); the hub\n"
"                      is verified as a card verifies it\n"
"  -e COMMAND          run one command and exit (0 done, 1 refused)\n"
"  --json              answer each command with one JSON document\n"
"  --run-dir DIR       where the hub's control socket lives (default: the\n"
"                      state directory, or /run/softether for the default);\n"
"                      with --nic, the card's (default /run/softether)\n"
"  --hash-password     read a password on stdin, print its $argon2id$ hash\n"
"  --gen-key FILE      make a private key for logging in (FILE, mode 600,\n"
"                      never over another file) and print its public_key:\n"
"                      line for the user's entry in the hub's configuration\n"
"  --public-key FILE   print that line again for the key in FILE\n"
"  --connect HOST[:PORT]  the hub (default port %u; [v6addr]:port for IPv6)\n"
"  --hub-name NAME     the virtual hub to join (default DEFAULT)\n"
"  --user NAME, --password-file FILE  credentials (first line of FILE)\n"
"  --key-file FILE     log in with this private key (--gen-key) instead of a\n"
"                      password: the hub has its public_key for the user\n"
"  --tap IFNAME        TAP interface name (default vpn0)\n"
"  --bridge IFNAME     bridge this Ethernet interface instead of a TAP: its\n"
"                      whole LAN joins the hub (root or CAP_NET_RAW); with\n"
"                      --hub, onto hub DEFAULT with no network hop\n"
"  --mac MAC           the card's MAC (default: random, locally administered)\n"
"  --ip CIDR           assign an address, e.g. 192.168.77.1/24; none: leave\n"
"                      it to you; default (or dhcp): the built-in DHCP client\n"
"                      asks the virtual LAN for one once connected\n"
"  --dns               with DHCP, hand its DNS servers to resolvconf\n"
"  --default-route     with DHCP, make its router the default route, if the\n"
"                      host has none\n"
"  --fingerprint HEX   pin the hub's certificate (SHA-256, as the hub logs it)\n"
"  --ca FILE           verify the hub's certificate chain against FILE\n"
"  --known-hubs FILE   trust-on-first-use file (default ~/.softether/known_hubs)\n"
"  --via TRANSPORT     how to reach the hub (default direct)\n"
"  --resume-window S   keep a cut session S seconds for a resume, buffering\n"
"                      its frames (default 60; hub and card)\n"
"  --dead-peer S       a link silent for S seconds is dead (default 30)\n"
"  --keepalive S       idle keepalives at random every S/2..S seconds\n"
"                      (default 10; never rarer than a third of --dead-peer)\n"
"  --resume-budget MiB frames kept per cut session (default 8)\n"
"  --no-offload        plain frames only: no TCP/UDP super-frames from the\n"
"                      TAP, none asked of the hub (--offload false)\n"
"  --tcp-congestion NAME  the TCP congestion control of the connection to\n"
"                      the hub, e.g. cubic or bbr (default system: the\n"
"                      host's; not with --via ssh)\n"
"  --up CMD            run CMD each time a session comes up (not on a\n"
"                      resume), with no shell: words split as -e splits\n"
"                      them; SOFTETHER_IFACE, _MAC, _HUB... in its\n"
"                      environment, and CAP_NET_ADMIN (routes)\n"
"  --down CMD          the same when the session ends for good, or the card\n"
"                      stops (waited for: 10 s at most, as --up)\n"
"  --proxy HOST:PORT   the HTTP proxy or SOCKS server (--via http-proxy,\n"
"                      socks4, socks5)\n"
"  --proxy-user U, --proxy-password-file F  proxy credentials\n"
"  --ssh DEST          the SSH server that forwards to the hub (--via ssh,\n"
"                      run as 'ssh -W HUB:PORT', keys and ~/.ssh/config apply)\n"
"  --ssh-option K=V    passed to ssh as -o K=V (repeatable)\n"
"  -v, --verbose       debug logging;  -q, --quiet  warnings and errors only\n"
"  --syslog            log to syslog instead of stderr\n"
"  --daemon            detach into the background (implies --syslog); a card\n"
"                      once its first login is decided, exiting with its\n"
"                      status (or after 30 s, still trying)\n"
"  --pidfile FILE      write the process id there once it runs (and detached,\n"
"                      with --daemon); removed when it stops\n",
	    transport_names(), PROTO_DEFAULT_PORT);
}

enum {
	OPT_HUB = 256, OPT_NIC, OPT_CHECK, OPT_HASH, OPT_VERSION, OPT_STATE,
	OPT_SYSLOG, OPT_DAEMON, OPT_ADMIN, OPT_JSON, OPT_RUN_DIR,
	OPT_ADMIN_PWFILE, OPT_NO_OFFLOAD, OPT_PIDFILE, OPT_GENKEY, OPT_PUBKEY,
	OPT_ADMIN_KEYFILE,
	OPT_CARD = 1024,	/* + the index of a card option (nicconf.c) */
};

#define MAIN_FIXED_OPTS 21u
#define MAIN_MAX_OPTS   (MAIN_FIXED_OPTS + 32u + 1u)

static const struct option main_fixed_opts[MAIN_FIXED_OPTS] = {
	{ "hub", no_argument, NULL, OPT_HUB },
	{ "nic", no_argument, NULL, OPT_NIC },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "hash-password", no_argument, NULL, OPT_HASH },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "admin", no_argument, NULL, OPT_ADMIN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
	{ "admin-password-file", required_argument, NULL, OPT_ADMIN_PWFILE },
	{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
	{ "pidfile", required_argument, NULL, OPT_PIDFILE },
	{ "gen-key", required_argument, NULL, OPT_GENKEY },
	{ "public-key", required_argument, NULL, OPT_PUBKEY },
	{ "admin-key-file", required_argument, NULL, OPT_ADMIN_KEYFILE },
};

static const char *main_pidfile;	/* --pidfile FILE */
static const char *main_offload = "offload"; /* or "no-offload", as typed */

/* Card option i as it was typed (--no-offload sets offload). */
static const char *
main_card_opt(size_t i)
{
	const char *arg, *name = nicconf_opt(i, &arg);

	return nicconf_bit("offload") == 1u << i ? main_offload : name;
}

/* Card option i is a flag on the command line (--dns): it sets its key
 * true; in the file it is a boolean. */
static int
main_card_flag(size_t i)
{
	return ((nicconf_bit("dns") | nicconf_bit("default_route")) &
	    1u << i) != 0;
}

/* The fixed options, then every card option from its table. */
static void
main_options(struct option *opts)
{
	const char *arg, *name;
	size_t n = 0;

	memcpy(opts, main_fixed_opts, sizeof main_fixed_opts);
	n = MAIN_FIXED_OPTS;
	for (size_t i = 0; (name = nicconf_opt(i, &arg)) != NULL &&
	    n + 1 < MAIN_MAX_OPTS; i++)
		opts[n++] = (struct option){ name, main_card_flag(i) ?
		    no_argument : required_argument, NULL, OPT_CARD + (int)i };
	memset(&opts[n], 0, sizeof opts[n]);
}

static int
hash_password(void)
{
	char pw[PROTO_MAX_SECRET + 2], hash[AUTH_HASH_MAX];
	size_t len;

	if (isatty(STDIN_FILENO))
		fprintf(stderr, "password: ");
	if (fgets(pw, sizeof pw, stdin) == NULL) {
		fprintf(stderr, "softether: --hash-password: no password on "
		    "stdin\n");
		return 1;
	}
	len = strcspn(pw, "\r\n");
	pw[len] = '\0';
	if (len == 0 || len > PROTO_MAX_SECRET) {
		fprintf(stderr, "softether: --hash-password: the password must "
		    "be 1..%u bytes on the first line\n", PROTO_MAX_SECRET);
		return 1;
	}
	if (auth_hash_password(pw, len, hash) != 0) {
		fprintf(stderr, "softether: out of memory hashing\n");
		return 1;
	}
	sodium_memzero(pw, sizeof pw);
	printf("%s\n", hash);
	return 0;
}

/* --gen-key FILE and --public-key FILE: the key's public half, as a
 * user's public_key: line in the hub's configuration. */
static int
key_command(int role, const char *path)
{
	uint8_t sk[PUBKEY_SECRET], pk[PUBKEY_LEN];
	char err[1024], b64[PUBKEY_B64_LEN + 1];
	int rc = role == OPT_GENKEY ?
	    pubkey_generate(path, pk, err, sizeof err) :
	    pubkey_load("--public-key", path, sk, pk, err, sizeof err);

	sodium_memzero(sk, sizeof sk);
	if (rc != 0) {
		fprintf(stderr, "softether: %s%s\n", role == OPT_GENKEY ?
		    "--gen-key " : "", err);
		return 1;
	}
	pubkey_b64(pk, b64);
	printf("public_key: \"%s\"\n", b64);
	return 0;
}

static int
load_config(const char *path, const char *state_dir, struct hubconf *cfg)
{
	char err[1024];
	int rc;

	if (path != NULL)
		rc = hubconf_load_file(path, state_dir, cfg, err, sizeof err);
	else
		rc = hubconf_load_string("<default>", hubconf_default_yaml,
		    strlen(hubconf_default_yaml), state_dir, cfg, err,
		    sizeof err);
	if (rc != 0)
		fprintf(stderr, "softether: %s\n", err);
	return rc;
}

/* The card options a hub takes too (its own timers). */
static int
hub_opts(const struct nicconf *cli, struct server_opts *so)
{
	static const char *const shared[] = { "resume_window", "dead_peer",
	    "keepalive", "resume_budget", "bridge" };
	uint32_t timers = 0;
	const char *arg, *name;

	for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
		timers |= nicconf_bit(shared[i]);
	for (size_t i = 0; (name = nicconf_opt(i, &arg)) != NULL; i++)
		if ((cli->set & ~timers) & 1u << i) {
			fprintf(stderr, "softether: --%s goes with --nic, not "
			    "--hub\n", main_card_opt(i));
			return -1;
		}
	nicconf_timers(cli, &so->resume_window_ms, &so->dead_peer_ms,
	    &so->keepalive_ms, &so->resume_budget);
	so->bridge = cli->bridge;
	return 0;
}

/* What a hub start checks before it opens anything, and what
 * --check-config checks: the command line, then the configuration. 0, or
 * -1 (said why). */
static int
hub_prepare(const char *config_path, const char *state_dir,
    const struct nicconf *cli, struct server_opts *so, struct hubconf *cfg)
{
	char err[384];

	if (hub_opts(cli, so) != 0 ||
	    load_config(config_path, state_dir, cfg) != 0)
		return -1;
	if (tcpcc_check(cfg->tcp_congestion, err, sizeof err) != 0) {
		fprintf(stderr, "softether: %s: tcp_congestion: %s\n",
		    cfg->source, err);
		hubconf_free(cfg);
		return -1;
	}
	return 0;
}

/* softether --check-config [--hub]: as a start would take it, printed
 * with --bridge in it (the start adds it so). */
static int
hub_check(const char *config_path, const char *state_dir,
    const struct nicconf *cli)
{
	struct server_opts so = { .state_dir = state_dir };
	struct hubconf cfg;
	char err[512];

	if (hub_prepare(config_path, state_dir, cli, &so, &cfg) != 0)
		return 1;
	if (so.bridge != NULL && hubconf_bridge_add(&cfg, so.bridge, "DEFAULT",
	    err, sizeof err) != 0) {
		fprintf(stderr, "softether: %s\n", err);
		hubconf_free(&cfg);
		return 1;
	}
	hubconf_print(&cfg, stdout);
	hubconf_free(&cfg);
	return 0;
}

static int
run_hub(const char *config_path, const char *state_dir, const char *run_dir,
    const struct nicconf *cli, int daemonize, int verbose, int quiet)
{
	struct server_opts so = { .daemonize = daemonize, .run_dir = run_dir,
	    .config_path = config_path, .state_dir = state_dir,
	    .pidfile = main_pidfile };
	struct hubconf cfg;
	int rc;

	if (hub_prepare(config_path, state_dir, cli, &so, &cfg) != 0)
		return 1;
	if (!verbose && !quiet)
		log_set_level(cfg.log_level);
	rc = server_run(&cfg, &so);
	hubconf_free(&cfg);
	return rc;
}

/* softether --admin HOST[:PORT]: over the hub's TLS port. */
static int
run_admin_net(const char *addr, const char *cmd, int json,
    const char *admin_pwfile, const char *admin_keyfile,
    const struct nicconf *cli)
{
	uint32_t ok = nicconf_bit("password_file") | nicconf_bit("fingerprint") |
	    nicconf_bit("ca") | nicconf_bit("known_hubs");
	struct adminnet_opts o = { addr, cmd, json, cli->password_file,
	    admin_pwfile, cli->fingerprint, cli->ca, cli->known_hubs,
	    admin_keyfile };
	const char *arg, *name, *home = getenv("HOME");
	char known[4096];

	for (size_t i = 0; (name = nicconf_opt(i, &arg)) != NULL; i++)
		if ((cli->set & ~ok) & 1u << i) {
			fprintf(stderr, "softether: --%s goes with --nic, not "
			    "--admin\n", main_card_opt(i));
			return 1;
		}
	if (o.fingerprint != NULL && o.ca_file != NULL) {
		fprintf(stderr, "softether: use --fingerprint or --ca, not "
		    "both\n");
		return 1;
	}
	if (o.known_hubs == NULL) {
		snprintf(known, sizeof known, "%s/.softether/known_hubs",
		    home != NULL && *home ? home : "/root");
		o.known_hubs = known;
	}
	return adminnet_run(&o);
}

/* The hub's control socket is found as the hub finds it: from the same
 * configuration, --state-dir and --run-dir. */
static int
run_admin(const char *config_path, const char *state_dir, const char *run_dir,
    const char *cmd, int json, const struct nicconf *cli)
{
	char path[4096];
	struct hubconf cfg;
	const char *arg, *name;

	for (size_t i = 0; (name = nicconf_opt(i, &arg)) != NULL; i++)
		if ((cli->set & ~nicconf_bit("password_file")) & 1u << i) {
			fprintf(stderr, "softether: --%s goes with --nic, not "
			    "--admin\n", main_card_opt(i));
			return 1;
		}

	if (run_dir == NULL) {
		if (load_config(config_path, state_dir, &cfg) != 0)
			return 1;
		control_path(path, sizeof path, NULL, cfg.state_dir);
		hubconf_free(&cfg);
	} else
		control_path(path, sizeof path, run_dir, NULL);
	return adminctl_run(path, NULL, cmd, json, cli->password_file);
}

/* softether --admin --nic [IFNAME]: a running card's control socket, in
 * its run directory and named after its interface and network namespace. */
static int
run_admin_nic(const char *ifname, const char *run_dir, const char *cmd,
    int json, const struct nicconf *cli)
{
	char path[4096], netns[CONTROL_NETNS_MAX + 32], who[64];
	const char *arg, *name;

	for (size_t i = 0; (name = nicconf_opt(i, &arg)) != NULL; i++)
		if ((cli->set & ~nicconf_bit("tap")) & 1u << i) {
			fprintf(stderr, "softether: --%s goes with --nic, not "
			    "--admin --nic\n", main_card_opt(i));
			return 1;
		}
	if (ifname == NULL)
		ifname = cli->tap != NULL ? cli->tap : "vpn0";
	if (strlen(ifname) > DEV_NAME_MAX || ifname[0] == '\0' ||
	    strspn(ifname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
	    "YZ0123456789._@-") != strlen(ifname)) {
		fprintf(stderr, "softether: --admin --nic: '%.32s' is not an "
		    "interface name\n", ifname);
		return 1;
	}
	control_netns(netns, sizeof netns);
	control_nic_path(path, sizeof path, run_dir, ifname, netns);
	snprintf(who, sizeof who, "the card on %s", ifname);
	return adminctl_run(path, who, cmd != NULL ? cmd : "status", json,
	    NULL);
}

/* p against the working directory: --daemon leaves it for "/". */
static const char *
main_abspath(const char *p, char *buf, size_t len)
{
	char cwd[4096];

	if (p == NULL || p[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return p;
	snprintf(buf, len, "%s/%s", cwd, p);
	return buf;
}

/* The file (if any) with the command line over it, checked as a start
 * checks it; then printed (check) or run. */
static int
run_nic(const char *config_path, struct nicconf *cli, int check,
    int daemonize, const char *run_dir)
{
	char ctlpath[4096], netns[CONTROL_NETNS_MAX + 32];
	char rundir_abs[8192], pidfile_abs[8192];
	struct nicconf fc;
	struct nic_opts no;
	char err[1024];
	int rc;

	memset(&fc, 0, sizeof fc);
	if (config_path != NULL &&
	    nicconf_load_file(config_path, &fc, err, sizeof err) != 0) {
		fprintf(stderr, "softether: %s\n", err);
		return 1;
	}
	nicconf_merge(&fc, cli);
	if (nicconf_to_opts(&fc, &no, err, sizeof err) != 0) {
		fprintf(stderr, "softether: %s\n", err);
		nicconf_free(&fc);
		return 1;
	}
	/* The rest of what a start checks before it opens anything. */
	if (check && nic_check(&no, err, sizeof err) != 0) {
		fprintf(stderr, "softether: %s\n", err);
		nicconf_free(&fc);
		return 1;
	}
	if (check) {
		nicconf_print(&fc, stdout);
		nicconf_free(&fc);
		return 0;
	}
	/* Opened while it can still be made (before root is given up). */
	int pidfd = -1;
	main_pidfile = main_abspath(main_pidfile, pidfile_abs,
	    sizeof pidfile_abs);
	if (main_pidfile != NULL && (pidfd = pidfile_open(main_pidfile)) < 0) {
		fprintf(stderr, "softether: --pidfile %s: %s\n", main_pidfile,
		    strerror(errno));
		nicconf_free(&fc);
		return 1;
	}
	control_netns(netns, sizeof netns);
	control_nic_path(ctlpath, sizeof ctlpath, main_abspath(run_dir,
	    rundir_abs, sizeof rundir_abs), no.ifname, netns);
	no.control_path = ctlpath;
	if (daemonize) {
		/* The parent stays until the first login is decided. */
		if (detach_start() != 0) {
			fprintf(stderr, "softether: --daemon: %s\n",
			    strerror(errno));
			pidfile_remove(main_pidfile, pidfd);
			nicconf_free(&fc);
			return 1;
		}
		log_init("softether", log_get_level(), 1);
		no.settled = detach_settle;
	}
	if (pidfd >= 0 && pidfile_write(pidfd) != 0)
		log_warn("cannot write %s: %s", main_pidfile, strerror(errno));
	no.drop_privileges = 1;
	rc = nic_run(&no);
	pidfile_remove(main_pidfile, pidfd);
	detach_settle(rc);
	nicconf_free(&fc);
	return rc;
}

/* The role the flags add up to, or -1 (said why). */
static int
main_role(int role, int check, int daemonize)
{
	/* The data path allocates and frees blocks of 64-256 KiB (batches,
	 * input chunks) thousands of times a second. glibc's defaults give
	 * such memory back to the kernel at once (trimming the heap, or
	 * mmap/munmap) and fault it in again, zeroed, moments later: a
	 * quarter of the tunnel's CPU. Big blocks come from the heap and up
	 * to 8 MiB of free heap top is kept. */
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	if (sodium_init() < 0) {
		fprintf(stderr, "softether: libsodium failed to initialise\n");
		return -1;
	}
	if (check && role != 0 && role != OPT_HUB && role != OPT_NIC) {
		fprintf(stderr, "softether: --check-config goes with a hub "
		    "configuration or --nic\n");
		return -1;
	}
	if (check && role != OPT_NIC)
		role = OPT_CHECK;
	/* A check takes the command line a start takes (a service's, say). */
	if (main_pidfile != NULL && role != OPT_HUB && role != OPT_NIC &&
	    role != OPT_CHECK) {
		fprintf(stderr, "softether: --pidfile goes with --hub or "
		    "--nic\n");
		return -1;
	}
	if (daemonize && role != OPT_HUB && role != OPT_NIC &&
	    role != OPT_CHECK) {
		fprintf(stderr, "softether: --daemon goes with --hub or --nic\n");
		return -1;
	}
	return role;
}

int
main(int argc, char **argv)
{
	int role = 0, verbose = 0, quiet = 0, use_syslog = 0, daemonize = 0, c;
	int check = 0, json = 0, admin_nic = 0, rc;
	const char *config_path = NULL, *state_dir = NULL, *run_dir = NULL;
	const char *exec_cmd = NULL, *admin_pwfile = NULL, *admin_addr = NULL;
	const char *key_path = NULL, *admin_keyfile = NULL;
	struct option opts[MAIN_MAX_OPTS];
	struct nicconf cli;
	char err[1024];

	memset(&cli, 0, sizeof cli);
	main_options(opts);
	while ((c = getopt_long(argc, argv, "c:e:hvq", opts, NULL)) != -1) {
		if (c >= OPT_CARD) {
			const char *arg;
			if (nicconf_bit("offload") == 1u << (c - OPT_CARD))
				main_offload = "offload";
			if (nicconf_arg(&cli, nicconf_opt((size_t)(c - OPT_CARD),
			    &arg), main_card_flag((size_t)(c - OPT_CARD)) ?
			    "true" : optarg, err, sizeof err) != 0) {
				fprintf(stderr, "softether: %s\n", err);
				nicconf_free(&cli);
				return 1;
			}
			continue;
		}
		switch (c) {
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_GENKEY: case OPT_PUBKEY:
			key_path = optarg;
			/* FALLTHROUGH */
		case OPT_HUB: case OPT_NIC: case OPT_HASH:
		case OPT_VERSION: case OPT_ADMIN:
			/* --admin --nic: a running card's control socket. */
			if ((role == OPT_ADMIN && c == OPT_NIC) ||
			    (role == OPT_NIC && c == OPT_ADMIN)) {
				role = OPT_ADMIN;
				admin_nic = 1;
				break;
			}
			if (role != 0 && role != c) {
				fprintf(stderr, "softether: choose one of --hub, "
				    "--nic, --check-config, --hash-password, "
				    "--gen-key, --public-key\n");
				return 1;
			}
			role = c;
			break;
		case 'c': config_path = optarg; break;
		case OPT_STATE: state_dir = optarg; break;
		case OPT_RUN_DIR: run_dir = optarg; break;
		case OPT_JSON: json = 1; break;
		case 'e': exec_cmd = optarg; break;
		case OPT_ADMIN_PWFILE: admin_pwfile = optarg; break;
		case OPT_ADMIN_KEYFILE: admin_keyfile = optarg; break;
		case OPT_SYSLOG: use_syslog = 1; break;
		case OPT_PIDFILE: main_pidfile = optarg; break;
		case OPT_NO_OFFLOAD:	/* --offload false */
			main_offload = "no-offload";
			if (nicconf_arg(&cli, "offload", "false", err,
			    sizeof err) != 0) {
				fprintf(stderr, "softether: %s\n", err);
				nicconf_free(&cli);
				return 1;
			}
			break;
		case OPT_DAEMON: daemonize = 1; break;
		case 'v': verbose = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind + 1 == argc && role == OPT_ADMIN)
		admin_addr = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "softether: unexpected argument '%s' (see "
		    "--help)\n", argv[optind]);
		return 1;
	}
	if ((exec_cmd != NULL || json) && role != OPT_ADMIN) {
		fprintf(stderr, "softether: -e and --json go with --admin\n");
		return 1;
	}
	/* softether --bridge eth0 --connect ...: a card that bridges. */
	if (role == 0 && cli.bridge != NULL)
		role = OPT_NIC;
	if ((role = main_role(role, check, daemonize)) < 0)
		return 1;
	/* The administrator's secret: a password, or a key. */
	const char *admin_secret = admin_keyfile != NULL ? admin_keyfile :
	    admin_pwfile;
	const char *admin_opt = admin_keyfile != NULL ? "--admin-key-file" :
	    "--admin-password-file";
	if (admin_pwfile != NULL && admin_keyfile != NULL) {
		fprintf(stderr, "softether: use --admin-password-file or "
		    "--admin-key-file, not both\n");
		return 1;
	}
	if (admin_nic && (config_path != NULL || state_dir != NULL ||
	    admin_secret != NULL)) {
		fprintf(stderr, "softether: -c, --state-dir and %s go with a "
		    "hub's --admin, not --admin --nic\n", admin_opt);
		return 1;
	}
	/* Another role's option is refused, never ignored. */
	if (role == OPT_NIC && state_dir != NULL) {
		fprintf(stderr, "softether: --state-dir goes with --hub or "
		    "--admin, not --nic\n");
		return 1;
	}
	if (admin_secret != NULL && role != 0 && (role != OPT_ADMIN ||
	    admin_addr == NULL)) {
		fprintf(stderr, "softether: %s goes with "
		    "--admin HOST, not %s\n", admin_opt,
		    role == OPT_ADMIN ? "--admin" :
		    role == OPT_NIC ? "--nic" : role == OPT_HASH ?
		    "--hash-password" : role == OPT_VERSION ? "--version" :
		    role == OPT_GENKEY ? "--gen-key" : role == OPT_PUBKEY ?
		    "--public-key" : "--hub");
		return 1;
	}
	/* --daemon means syslog: with none, say so while stderr is open. */
	if (daemonize && !check)
		(void)log_syslog_check(1);
	log_init("softether", verbose ? LOG_LVL_DEBUG : quiet ? LOG_LVL_WARN :
	    LOG_LVL_INFO, use_syslog);

	switch (role) {
	case OPT_VERSION:
		rc = (printf("softether %s\n", SOFTETHER_VERSION), 0);
		break;
	case OPT_HASH:
		rc = hash_password();
		break;
	case OPT_GENKEY: case OPT_PUBKEY:
		rc = key_command(role, key_path);
		break;
	case OPT_CHECK:
		rc = hub_check(config_path, state_dir, &cli);
		break;
	case OPT_HUB:
		rc = run_hub(config_path, state_dir, run_dir, &cli, daemonize,
		    verbose, quiet);
		break;
	case OPT_ADMIN:
		if (admin_nic) {
			rc = run_admin_nic(admin_addr, run_dir, exec_cmd, json,
			    &cli);
			break;
		}
		rc = admin_addr != NULL ? run_admin_net(admin_addr, exec_cmd,
		    json, admin_pwfile, admin_keyfile, &cli) :
		    run_admin(config_path, state_dir,
		    run_dir, exec_cmd, json, &cli);
		break;
	case OPT_NIC:
		rc = run_nic(config_path, &cli, check, daemonize, run_dir);
		break;
	default:
		fprintf(stderr, "softether: no role given: --hub, --nic or "
		    "--admin\n");
		usage(stderr);
		rc = 1;
		break;
	}
	nicconf_free(&cli);
	return rc;
}
