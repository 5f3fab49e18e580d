/*
 * dnsfailover: keeps exactly one of two sites active by holding a lease in
 * DNS. This file only parses the command line; everything else lives in the
 * library that the tests link too.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <config.h> /* the build's, not src/config.h */
#include "src/failover/config_modules.h"
#include "src/common/clock.h"
#include "src/failover/cmd.h"
#include "src/conf/config.h"
#include "src/failover/daemon.h"
#include "src/common/log.h"
#ifdef HAVE_GSSAPI
#include "gss/gss_session.h"
#endif

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dnsfailover [-c FILE] [-d] COMMAND\n"
		"\n"
		"commands:\n"
		"  run [--daemonize] [--pidfile FILE]\n"
		"                  hold the lease: renew it (primary), or watch the primary\n"
		"                  and take over when it fails (dr)\n"
		"  init [--force]  write this site's lease when it is absent or expired\n"
		"  show            print the lease as JSON\n"
		"  promote         (dr) make the DR site active now\n"
		"  failback        (primary) make the primary site active again\n"
		"  validate        check the configuration, key, server and permissions\n"
		"  watch           run the collector here while DNS_RECORD's A is MY_IP\n"
		"  setup [--answers FILE] [--output FILE]\n"
		"                  ask for each setting (defaults: the environment and -c FILE),\n"
		"                  write the env file (mode 0600), then validate it\n"
		"\n"
		"options:\n"
		"  -c FILE         read KEY=VALUE settings from FILE (the environment overrides)\n"
		"  -d              debug logging\n"
		"  -h, --help      this text\n"
		"  -V, --version   print the version\n"
		"\n"
		"exit codes: 0 ok, 1 failed, 2 usage or configuration error,\n"
		"            3 init refused (the other site holds a valid lease),\n"
		"            4 show found no lease\n");
}

static void config_warning(const char *msg)
{
	log_warn("%s", msg);
}

/* Test hooks: play a site whose wall clock is off, without touching the
 * system clock; see GSS-TSIG key renewal without waiting an hour. */
static void apply_test_clock(void)
{
	const char *wall = getenv("DNSFAILOVER_TEST_WALL_OFFSET");
	const char *lease = getenv("DNSFAILOVER_TEST_LEASE_OFFSET");
#ifdef HAVE_GSSAPI
	const char *gss_life = getenv("DNSFAILOVER_TEST_GSS_KEY_LIFETIME");
	if (gss_life != NULL && gss_life[0] != '\0') {
		gss_session_set_key_lifetime(strtoll(gss_life, NULL, 10));
	}
#endif
	if (wall != NULL && wall[0] != '\0') {
		clock_set_wall_offset(strtoll(wall, NULL, 10));
	}
	if (lease != NULL && lease[0] != '\0') {
		clock_set_lease_offset(strtoll(lease, NULL, 10));
	}
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	int c;
	/* '+': stop at the command, its own options follow it. */
	while ((c = getopt_long(argc, argv, "+c:dhV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			log_set_level(LOG_LEVEL_DEBUG);
			break;
		case 'h':
			usage(stdout);
			return CMD_EXIT_OK;
		case 'V':
			printf("dnsfailover %s\n", PACKAGE_VERSION);
			return CMD_EXIT_OK;
		default:
			usage(stderr);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return CMD_EXIT_USAGE;
	}
	const char *command = argv[optind++];
	bool is_run = strcmp(command, "run") == 0;
	bool force = false;
	bool is_setup = strcmp(command, "setup") == 0;
	const char *answers = NULL;
	const char *output = NULL;
	daemon_opts_t run = {.config_path = path, .envp = environ};
	for (; optind < argc; optind++) {
		const char *arg = argv[optind];
		if (strcmp(command, "init") == 0 && strcmp(arg, "--force") == 0) {
			force = true;
		} else if (is_run && strcmp(arg, "--daemonize") == 0) {
			run.daemonize = true;
		} else if (is_run && strcmp(arg, "--pidfile") == 0 && optind + 1 < argc) {
			run.pidfile = argv[++optind];
		} else if (is_setup && strcmp(arg, "--answers") == 0 && optind + 1 < argc) {
			answers = argv[++optind];
		} else if (is_setup && strcmp(arg, "--output") == 0 && optind + 1 < argc) {
			output = argv[++optind];
		} else {
			fprintf(stderr, "dnsfailover: unexpected argument '%s' for %s\n", arg,
				command);
			return CMD_EXIT_USAGE;
		}
	}
	apply_test_clock();

	if (strcmp(command, "validate") == 0) {
		return cmd_validate(path, environ);
	}
	if (is_setup) {
		return cmd_setup(path, answers, output, environ);
	}
	if (is_run) {
		return daemon_run(&run);
	}
	if (strcmp(command, "watch") == 0) {
		return cmd_watch(path, environ);
	}
	bool forced = strcmp(command, "promote") == 0 || strcmp(command, "failback") == 0;
	bool known = forced || strcmp(command, "init") == 0 || strcmp(command, "show") == 0;
	if (!known) {
		fprintf(stderr, "dnsfailover: unknown command '%s'\n", command);
		usage(stderr);
		return CMD_EXIT_USAGE;
	}

	config_t cfg;
	df_detail_t d = {""};
	if (config_load(&cfg, failover_config_modules, path, environ, config_warning, &d) !=
	    DF_OK) {
		log_err("configuration: %s", d.msg);
		return CMD_EXIT_USAGE;
	}
	if (cfg.log_level > log_get_level()) {
		log_set_level(cfg.log_level);
	}
	int code;
	if (forced) {
		code = cmd_force(&cfg, command);
	} else if (strcmp(command, "init") == 0) {
		code = cmd_init(&cfg, force);
	} else {
		code = cmd_show(&cfg);
	}
	config_deinit(&cfg); /* wipes the secrets */
	return code;
}
