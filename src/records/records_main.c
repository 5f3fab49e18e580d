#include "src/records/records_main.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/common/log.h"
#include "src/records/records_webhook.h"

#define BODY_MAX (4 * 1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out, "usage: dnsrecordsd [-c FILE] [-n] [-d]\n"
		     "       dnsrecordsd -k | -h\n"
		     "\n"
		     "  -c FILE   configuration (default " REC_DEFAULT_CONF ")\n"
		     "  -n        check the configuration, key files and tokens file, then exit\n"
		     "  -d        debug logging\n"
		     "  -k        list the configuration keys with their defaults\n"
		     "  -h        this text\n"
		     "\n"
		     "exit codes: 0 ok, 1 failed, 2 usage or configuration error\n");
}

int rec_main(int argc, char **argv)
{
	const char *path = REC_DEFAULT_CONF;
	bool check = false, debug = false;
	int opt;
	while ((opt = getopt(argc, argv, "c:ndhk")) != -1) {
		switch (opt) {
		case 'k':
			for (const rec_conf_key_t *k = rec_conf_keys; k->name != NULL; k++) {
				printf("%s%s=%s\t%s\n", k->zone ? "[zone] " : "", k->name,
				       k->def != NULL ? k->def : "(required)", k->help);
			}
			return 0;
		case 'c':
			path = optarg;
			break;
		case 'n':
			check = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	static rec_conf_t conf;
	rec_tokens_t *tokens = calloc(1, sizeof(*tokens));
	df_detail_t d = {{0}};
	if (rec_conf_load(&conf, path, &d) != DF_OK) {
		log_err("%s", d.msg);
		return 2;
	}
	if (tokens == NULL || rec_tokens_load(tokens, conf.tokens_file, &d) != DF_OK) {
		log_err("%s", d.msg);
		free(tokens);
		rec_conf_deinit(&conf);
		return 2;
	}
	if (debug || conf.log_debug) {
		log_set_level(LOG_LEVEL_DEBUG);
	}
	if (check) {
		printf("%s: OK (%zu zones, %zu tokens)\n", path, conf.nzones, tokens->n);
		rec_tokens_deinit(tokens);
		free(tokens);
		rec_conf_deinit(&conf);
		return 0;
	}
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc = 1;
	rec_api_t api = {.c = &conf, .tokens = tokens};
	pthread_rwlock_init(&api.tokens_lock, NULL);
	http_server_t *srv = NULL, *wsrv = NULL;
	rec_webhook_t wh = {0};
	bool wh_init = false;
	api.m = rec_metrics_new();
	/* One bucket per position in the tokens file, whatever a reload brings. */
	api.lim = rec_limits_new(REC_TOKENS_MAX, conf.rate, conf.burst, conf.max_concurrent);
	if (api.m == NULL || api.lim == NULL ||
	    rec_audit_open(&api.audit, conf.audit_log, conf.audit_syslog, &d) != DF_OK ||
	    rec_store_new(&api.store, &conf, api.m, &d) != DF_OK) {
		log_err("%s", d.msg[0] != '\0' ? d.msg : "out of memory");
		goto out;
	}
	http_server_opts_t o = {.listen = conf.listen,
				.setting = "listen",
				.tls_cert = conf.tls_cert,
				.tls_key = conf.tls_key,
				.conn_max = conf.max_concurrent + 16,
				.timeout_s = 30,
				.body_max = BODY_MAX,
				.handler = rec_api_handle,
				.arg = &api};
	if (http_server_start(&srv, &o, &d) != DF_OK) {
		log_err("%s", d.msg);
		goto out;
	}
	log_info("dnsrecordsd: serving %zu zone(s) on %s%s (port %u)", conf.nzones, conf.listen,
		 conf.tls_cert[0] != '\0' ? " with TLS" : "", http_server_port(srv));
	if (conf.webhook_listen[0] != '\0') {
		if (rec_webhook_init(&wh, &api) != DF_OK) {
			goto out;
		}
		wh_init = true;
		http_server_opts_t wo = {.listen = conf.webhook_listen,
					 .setting = "webhook_listen",
					 .conn_max = 64,
					 .timeout_s = 60,
					 .body_max = BODY_MAX,
					 .handler = rec_webhook_handle,
					 .arg = &wh};
		if (http_server_start(&wsrv, &wo, &d) != DF_OK) {
			log_err("%s", d.msg);
			goto out;
		}
		log_info("dnsrecordsd: external-dns webhook on %s (port %u)", conf.webhook_listen,
			 http_server_port(wsrv));
	}
	for (;;) {
		int sig = 0;
		sigwait(&set, &sig);
		if (sig == SIGHUP) {
			rec_tokens_t *old = NULL;
			if (rec_api_reload_tokens(&api, &old, &d) == DF_OK) {
				log_info("SIGHUP: tokens file %s reloaded (%zu tokens); restart "
					 "dnsrecordsd to load a new configuration",
					 conf.tokens_file, api.tokens->n);
				rec_tokens_deinit(old);
				free(old);
			} else {
				log_err("SIGHUP: %s; keeping the current tokens", d.msg);
			}
			continue;
		}
		log_info("dnsrecordsd: signal %d, stopping", sig);
		break;
	}
	rc = 0;
out:
	http_server_stop(wsrv);
	http_server_stop(srv);
	if (wh_init) {
		rec_webhook_deinit(&wh);
	}
	rec_store_free(api.store);
	rec_audit_close(api.audit);
	rec_limits_free(api.lim);
	rec_metrics_free(api.m);
	rec_tokens_deinit((rec_tokens_t *)api.tokens);
	free((rec_tokens_t *)api.tokens);
	pthread_rwlock_destroy(&api.tokens_lock);
	rec_conf_deinit(&conf);
	return rc;
}
