/*
 * main.c: command line. Picks the role (--hub, --nic or a tool) and hands
 * over to the library; nothing else lives here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "auth.h"
#include "cert.h"
#include "config.h"
#include "config_nic.h"
#include "log.h"
#include "nic.h"
#include "proto.h"
#include "server.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: softether --hub [-c config.yaml] [--state-dir DIR]\n"
"       softether --nic [-c client.yaml] --connect HOST[:PORT] --user NAME\n"
"                 --password-file FILE\n"
"                 [--hub-name NAME] [--tap IFNAME] [--mac MAC] [--ip CIDR]\n"
"                 [--fingerprint SHA256HEX | --ca FILE] [--known-hubs FILE]\n"
"                 [--via %s]\n"
"                 [--proxy HOST:PORT [--proxy-user U [--proxy-password-file F]]]\n"
"                 [--ssh [USER@]GATEWAY[:PORT] [--ssh-option KEY=VALUE ...]]\n"
"       softether --check-config [-c config.yaml]\n"
"       softether --check-config --nic -c client.yaml\n"
"       softether --hash-password < password.txt\n"
"       softether --version | --help\n"
"\n"
"  --hub               run a switching hub (no -c: the embedded default, which\n"
"                      listens on TCP 443 and 7777 and keeps its state in\n"
"                      " CONFIG_DEFAULT_STATE ")\n"
"  --nic               plug a TAP virtual LAN card into a hub\n"
"  -c, --config FILE   the hub's YAML configuration; with --nic, the card's\n"
"                      options as YAML (command-line options override it)\n"
"  --state-dir DIR     where the hub keeps its certificate, key and\n"
"                      generated credentials\n"
"  --check-config      validate the configuration and print it in full\n"
"  --hash-password     read a password on stdin, print its $argon2id$ hash\n"
"  --connect HOST[:PORT]  the hub (default port %u; [v6addr]:port for IPv6)\n"
"  --hub-name NAME     the virtual hub to join (default DEFAULT)\n"
"  --user NAME, --password-file FILE  credentials (first line of FILE)\n"
"  --tap IFNAME        TAP interface name (default vpn0)\n"
"  --mac MAC           the card's MAC (default: random, locally administered)\n"
"  --ip CIDR           assign an address, e.g. 192.168.77.1/24\n"
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
"  --proxy HOST:PORT   the HTTP proxy or SOCKS server (--via http-proxy,\n"
"                      socks4, socks5)\n"
"  --proxy-user U, --proxy-password-file F  proxy credentials\n"
"  --ssh DEST          the SSH server that forwards to the hub (--via ssh,\n"
"                      run as 'ssh -W HUB:PORT', keys and ~/.ssh/config apply)\n"
"  --ssh-option K=V    passed to ssh as -o K=V (repeatable)\n"
"  -v, --verbose       debug logging;  -q, --quiet  warnings and errors only\n"
"  --syslog            log to syslog instead of stderr\n"
"  --daemon            detach into the background (implies --syslog)\n",
	    transport_names(), PROTO_DEFAULT_PORT);
}

enum {
	OPT_HUB = 256, OPT_NIC, OPT_CHECK, OPT_HASH, OPT_VERSION, OPT_STATE,
	OPT_CONNECT, OPT_USER, OPT_PWFILE, OPT_HUBNAME, OPT_TAP, OPT_MAC,
	OPT_IP, OPT_FP, OPT_CA, OPT_KNOWN, OPT_VIA, OPT_SYSLOG, OPT_DAEMON,
	OPT_PROXY, OPT_PROXY_USER, OPT_PROXY_PWFILE, OPT_SSH, OPT_SSH_OPTION,
	OPT_RESUME_WINDOW, OPT_DEAD_PEER, OPT_KEEPALIVE, OPT_RESUME_BUDGET,
};

static const struct option long_opts[] = {
	{ "hub", no_argument, NULL, OPT_HUB },
	{ "nic", no_argument, NULL, OPT_NIC },
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "hash-password", no_argument, NULL, OPT_HASH },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, 'h' },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "password-file", required_argument, NULL, OPT_PWFILE },
	{ "hub-name", required_argument, NULL, OPT_HUBNAME },
	{ "tap", required_argument, NULL, OPT_TAP },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "ip", required_argument, NULL, OPT_IP },
	{ "fingerprint", required_argument, NULL, OPT_FP },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "known-hubs", required_argument, NULL, OPT_KNOWN },
	{ "via", required_argument, NULL, OPT_VIA },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "daemon", no_argument, NULL, OPT_DAEMON },
	{ "proxy", required_argument, NULL, OPT_PROXY },
	{ "proxy-user", required_argument, NULL, OPT_PROXY_USER },
	{ "proxy-password-file", required_argument, NULL, OPT_PROXY_PWFILE },
	{ "ssh", required_argument, NULL, OPT_SSH },
	{ "ssh-option", required_argument, NULL, OPT_SSH_OPTION },
	{ "resume-window", required_argument, NULL, OPT_RESUME_WINDOW },
	{ "dead-peer", required_argument, NULL, OPT_DEAD_PEER },
	{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
	{ "resume-budget", required_argument, NULL, OPT_RESUME_BUDGET },
	{ NULL, 0, NULL, 0 },
};

static int
parse_seconds(const char *opt, const char *arg, double lo, double hi,
    uint32_t *ms)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end != '\0' || !(v >= lo && v <= hi)) {
		fprintf(stderr, "softether: %s %s: expected seconds, %g..%g\n",
		    opt, arg, lo, hi);
		return -1;
	}
	*ms = (uint32_t)(v * 1000);
	return 0;
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

static int
load_config(const char *path, const char *state_dir, struct config *cfg)
{
	char err[1024];
	int rc;

	if (path != NULL)
		rc = config_load_file(path, state_dir, cfg, err, sizeof err);
	else
		rc = config_load_string("<default>", config_default_yaml,
		    strlen(config_default_yaml), state_dir, cfg, err,
		    sizeof err);
	if (rc != 0)
		fprintf(stderr, "softether: %s\n", err);
	return rc;
}

static int
load_nic_config(const char *path, struct config_nic *fc)
{
	char err[1024];

	if (config_nic_load_file(path, fc, err, sizeof err) == 0)
		return 0;
	fprintf(stderr, "softether: %s\n", err);
	return -1;
}

static const char *
pick(const char *cli, const char *file)
{
	return cli != NULL ? cli : file;
}

static const char *
default_known_hubs(void)
{
	static char path[4096];
	const char *home = getenv("HOME");

	snprintf(path, sizeof path, "%s/.softether/known_hubs",
	    home && *home ? home : "/root");
	return path;
}

int
main(int argc, char **argv)
{
	int role = 0, verbose = 0, quiet = 0, use_syslog = 0, daemonize = 0, c;
	int check = 0;
	const char *config_path = NULL, *state_dir = NULL, *connect = NULL;
	const char *via = NULL, *proxy = NULL;
	uint32_t resume_window_ms = 0, dead_peer_ms = 0;	/* 0: not given */
	uint32_t keepalive_ms = PROTO_KEEPALIVE_MS;
	size_t resume_budget = PROTO_RESUME_BUDGET;
	char proxy_host[256];
	struct nic_opts no;
	struct config_nic fc;
	struct config cfg;

	memset(&no, 0, sizeof no);
	memset(&fc, 0, sizeof fc);
	while ((c = getopt_long(argc, argv, "c:hvq", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_CHECK:
			check = 1;
			break;
		case OPT_HUB: case OPT_NIC: case OPT_HASH:
		case OPT_VERSION:
			if (role != 0 && role != c) {
				fprintf(stderr, "softether: choose one of --hub, "
				    "--nic, --check-config, --hash-password\n");
				return 1;
			}
			role = c;
			break;
		case 'c': config_path = optarg; break;
		case OPT_STATE: state_dir = optarg; break;
		case OPT_CONNECT: connect = optarg; break;
		case OPT_USER: no.user = optarg; break;
		case OPT_PWFILE: no.password_file = optarg; break;
		case OPT_HUBNAME: no.hub_name = optarg; break;
		case OPT_TAP: no.ifname = optarg; break;
		case OPT_MAC: no.mac = optarg; break;
		case OPT_IP: no.ip = optarg; break;
		case OPT_FP: no.fingerprint = optarg; break;
		case OPT_CA: no.ca_file = optarg; break;
		case OPT_KNOWN: no.known_hubs = optarg; break;
		case OPT_VIA: via = optarg; break;
		case OPT_SYSLOG: use_syslog = 1; break;
		case OPT_DAEMON: daemonize = 1; break;
		case OPT_PROXY: proxy = optarg; break;
		case OPT_RESUME_WINDOW:
			if (parse_seconds("--resume-window", optarg, 0.5, 3600,
			    &resume_window_ms) != 0)
				return 1;
			break;
		case OPT_KEEPALIVE:
			if (parse_seconds("--keepalive", optarg, 1, 300,
			    &keepalive_ms) != 0)
				return 1;
			break;
		case OPT_RESUME_BUDGET: {
			char *end;
			unsigned long mib = strtoul(optarg, &end, 10);
			if (end == optarg || *end != '\0' || mib < 1 ||
			    mib > 1024) {
				fprintf(stderr, "softether: --resume-budget %s: "
				    "expected MiB, 1..1024\n", optarg);
				return 1;
			}
			resume_budget = (size_t)mib << 20;
			break;
		}
		case OPT_DEAD_PEER:
			if (parse_seconds("--dead-peer", optarg, 2, 600,
			    &dead_peer_ms) != 0)
				return 1;
			break;
		case OPT_PROXY_USER: no.target.proxy_user = optarg; break;
		case OPT_PROXY_PWFILE: no.proxy_password_file = optarg; break;
		case OPT_SSH: no.target.ssh_dest = optarg; break;
		case OPT_SSH_OPTION:
			if (no.target.nssh_options == TRANSPORT_MAX_SSH_OPTIONS) {
				fprintf(stderr, "softether: at most %u "
				    "--ssh-option\n", TRANSPORT_MAX_SSH_OPTIONS);
				return 1;
			}
			no.target.ssh_options[no.target.nssh_options++] =
			    optarg;
			break;
		case 'v': verbose = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "softether: unexpected argument '%s' (see "
		    "--help)\n", argv[optind]);
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "softether: libsodium failed to initialise\n");
		return 1;
	}
	if (check && role != 0 && role != OPT_HUB && role != OPT_NIC) {
		fprintf(stderr, "softether: --check-config goes with a hub "
		    "configuration or --nic -c FILE\n");
		return 1;
	}
	if (check && role == OPT_NIC && config_path == NULL) {
		fprintf(stderr, "softether: --check-config --nic needs -c "
		    "FILE\n");
		return 1;
	}
	if (check)
		role = role == OPT_NIC ? OPT_NIC : OPT_CHECK;
	if (resume_window_ms == 0 && role != OPT_NIC)
		resume_window_ms = PROTO_RESUME_WINDOW_MS;
	if (dead_peer_ms == 0 && role != OPT_NIC)
		dead_peer_ms = PROTO_DEAD_PEER_MS;
	if (daemonize && role != OPT_HUB && role != OPT_NIC) {
		fprintf(stderr, "softether: --daemon goes with --hub or --nic\n");
		return 1;
	}
	log_init("softether", verbose ? LOG_LVL_DEBUG : quiet ? LOG_LVL_WARN :
	    LOG_LVL_INFO, use_syslog);

	switch (role) {
	case OPT_VERSION:
		printf("softether %s\n", SOFTETHER_VERSION);
		return 0;
	case OPT_HASH:
		return hash_password();
	case OPT_CHECK:
		if (load_config(config_path, state_dir, &cfg) != 0)
			return 1;
		config_print(&cfg, stdout);
		config_free(&cfg);
		return 0;
	case OPT_HUB: {
		if (load_config(config_path, state_dir, &cfg) != 0)
			return 1;
		if (!verbose && !quiet)
			log_set_level(cfg.log_level);
		struct server_opts so = { daemonize, resume_window_ms,
		    dead_peer_ms, keepalive_ms, resume_budget };
		int rc = server_run(&cfg, &so);
		config_free(&cfg);
		return rc;
	}
	case OPT_NIC: {
		if (config_path != NULL &&
		    load_nic_config(config_path, &fc) != 0)
			return 1;
		if (check) {
			config_nic_print(&fc, stdout);
			config_nic_free(&fc);
			return 0;
		}
		/* The command line overrides the file, option by option. */
		connect = pick(connect, fc.connect);
		via = pick(via, pick(fc.via, "direct"));
		proxy = pick(proxy, fc.proxy);
		no.user = pick(no.user, fc.user);
		no.password_file = pick(no.password_file, fc.password_file);
		no.hub_name = pick(no.hub_name, pick(fc.hub_name, "DEFAULT"));
		no.ifname = pick(no.ifname, pick(fc.tap, "vpn0"));
		no.dev = &dev_tap;
		no.mac = pick(no.mac, fc.mac);
		no.ip = pick(no.ip, fc.ip);
		no.known_hubs = pick(no.known_hubs, fc.known_hubs);
		/* Either way of trusting the hub replaces the file's. */
		if (no.fingerprint == NULL && no.ca_file == NULL) {
			no.fingerprint = fc.fingerprint;
			no.ca_file = fc.ca;
		}
		no.target.proxy_user = pick(no.target.proxy_user,
		    fc.proxy_user);
		no.proxy_password_file = pick(no.proxy_password_file,
		    fc.proxy_password_file);
		no.target.ssh_dest = pick(no.target.ssh_dest, fc.ssh);
		if (no.target.nssh_options == 0)
			for (size_t i = 0; i < fc.nssh_options &&
			    i < TRANSPORT_MAX_SSH_OPTIONS; i++)
				no.target.ssh_options[no.target.nssh_options++] =
				    fc.ssh_options[i];
		if (resume_window_ms == 0)
			resume_window_ms = fc.resume_window_ms != 0 ?
			    fc.resume_window_ms : PROTO_RESUME_WINDOW_MS;
		if (dead_peer_ms == 0)
			dead_peer_ms = fc.dead_peer_ms != 0 ?
			    fc.dead_peer_ms : PROTO_DEAD_PEER_MS;
		const char *missing = connect == NULL ? "--connect" :
		    no.user == NULL ? "--user" :
		    no.password_file == NULL ? "--password-file" : NULL;
		if (missing != NULL) {
			fprintf(stderr, "softether: --nic needs %s (see "
			    "--help)\n", missing);
			return 1;
		}
		if (nic_parse_hostport(connect, no.host, sizeof no.host,
		    &no.port, PROTO_DEFAULT_PORT) != 0) {
			fprintf(stderr, "softether: --connect %s: expected "
			    "HOST, HOST:PORT or [IPv6]:PORT\n", connect);
			return 1;
		}
		if (proxy != NULL) {
			if (nic_parse_hostport(proxy, proxy_host,
			    sizeof proxy_host, &no.target.proxy_port, 0) != 0 ||
			    no.target.proxy_port == 0) {
				fprintf(stderr, "softether: --proxy %s: expected "
				    "HOST:PORT or [IPv6]:PORT\n", proxy);
				return 1;
			}
			no.target.proxy_host = proxy_host;
		}
		if ((no.via = transport_find(via)) == NULL) {
			fprintf(stderr, "softether: --via %s: unknown transport "
			    "(known: %s)\n", via, transport_names());
			return 1;
		}
		if (no.fingerprint != NULL && no.ca_file != NULL) {
			fprintf(stderr, "softether: use --fingerprint or --ca, "
			    "not both\n");
			return 1;
		}
		char fp[65];
		if (no.fingerprint != NULL &&
		    cert_fingerprint_parse(no.fingerprint, fp) != 0) {
			fprintf(stderr, "softether: --fingerprint: expected 64 "
			    "hex digits (the SHA-256 the hub logs)\n");
			return 1;
		}
		no.resume_window_ms = resume_window_ms;
		no.dead_peer_ms = dead_peer_ms;
		no.keepalive_ms = keepalive_ms;
		no.resume_budget = resume_budget;
		if (no.known_hubs == NULL)
			no.known_hubs = default_known_hubs();
		if (daemonize) {
			if (daemon(0, 0) != 0) {
				fprintf(stderr, "softether: daemon: %s\n",
				    strerror(errno));
				return 1;
			}
			log_init("softether", log_get_level(), 1);
		}
		int rc = nic_run(&no);
		config_nic_free(&fc);
		return rc;
	}
	default:
		usage(stderr);
		return 1;
	}
}
