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
#include "src/clock.h"
#include "src/cmd.h"
#include "src/config.h"
#include "src/log.h"

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dnsfailover [-c FILE] [-d] COMMAND\n"
		"\n"
		"commands:\n"
		"  init [--force]  write this site's lease when it is absent or expired\n"
		"  show            print the lease as JSON\n"
		"  validate        check the configuration, key, server and permissions\n"
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

/* Test hook: play a site whose wall clock is off, without touching the system clock. */
static void apply_test_clock(void)
{
	const char *offset = getenv("DNSFAILOVER_TEST_WALL_OFFSET");
	if (offset != NULL && offset[0] != '\0') {
		clock_set_wall_offset(strtoll(offset, NULL, 10));
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
	bool force = false;
	for (; optind < argc; optind++) {
		if (strcmp(command, "init") == 0 && strcmp(argv[optind], "--force") == 0) {
			force = true;
		} else {
			fprintf(stderr, "dnsfailover: unexpected argument '%s' for %s\n",
				argv[optind], command);
			return CMD_EXIT_USAGE;
		}
	}
	apply_test_clock();

	if (strcmp(command, "validate") == 0) {
		return cmd_validate(path, environ);
	}
	bool known = strcmp(command, "init") == 0 || strcmp(command, "show") == 0;
	if (!known) {
		bool later = strcmp(command, "run") == 0 || strcmp(command, "promote") == 0 ||
			     strcmp(command, "failback") == 0 || strcmp(command, "watch") == 0;
		fprintf(stderr, "dnsfailover: %s command '%s'\n",
			later ? "this version does not have the" : "unknown", command);
		usage(stderr);
		return CMD_EXIT_USAGE;
	}

	config_t cfg;
	df_detail_t d = {""};
	if (config_load(&cfg, path, environ, config_warning, &d) != DF_OK) {
		log_err("configuration: %s", d.msg);
		return CMD_EXIT_USAGE;
	}
	int code = strcmp(command, "init") == 0 ? cmd_init(&cfg, force) : cmd_show(&cfg);
	config_deinit(&cfg); /* wipes the secrets */
	return code;
}
