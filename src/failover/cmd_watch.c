/*
 * dnsfailover watch: the standalone watcher. Every OTEL_CHECK_INTERVAL it
 * reads the A record of DNS_RECORD straight from DNS_SERVER (signed and
 * verified when a TSIG key is configured; never the system resolver or its
 * cache), compares it with MY_IP (DR_IP in its place, as the existing
 * watcher took it), and has the collector run here exactly when they match.
 * Several A records name no one site: the collector does not run here until
 * there is one again (the holder's next renewal replaces them).
 * When DNS cannot be read for RENEW_DEADLINE it follows the step-down rule
 * (WATCH_ON_DNS_FAILURE=stop) or leaves the collector as it is (keep).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/failover/config_modules.h"
#include "src/common/clock.h"
#include "src/failover/cmd.h"
#include "src/dns/dns_client.h"
#include "src/dns/dns_msg.h"
#include "src/common/log.h"
#include "src/loop/loop.h"
#include "src/provider/rfc2136_setup.h"
#include "src/watch/watcher.h"
#include "tsig/tsig_key.h"

typedef struct watch_state {
	const config_t *cfg;
	dns_client_t *client;
	watcher_t *watcher;
	const char *my_ip;
	bool keep_on_dns_failure;
	int64_t interval_ms;
	int64_t deadline_ms; /* RENEW_DEADLINE */
	int64_t last_read_ms;
	bool want;
	bool stepped_down;
	char last_a[200]; /* the address, or "A, B" of several, as last logged */
} watch_state_t;

/* Reads the record's A; *addr is "" when there is none. *count is how many
 * A records there are; when more than one, addr lists them ("A, B"). */
static int read_a(watch_state_t *ws, char *addr, size_t size, size_t *count, df_detail_t *d)
{
	dns_answer_t ans = {0};
	ldns_rr_list *rrs = NULL;
	ldns_pkt *q = dns_msg_query_new(ws->cfg->record, LDNS_RR_TYPE_A);
	if (q == NULL) {
		return DF_ENOMEM;
	}
	dns_client_set_deadline(ws->client, clock_mono_ms() + ws->interval_ms);
	int ret = dns_client_exchange(ws->client, q, &ans, d);
	ldns_pkt_free(q);
	if (ret != DF_OK) {
		goto out;
	}
	if (ans.rcode != LDNS_RCODE_NOERROR && ans.rcode != LDNS_RCODE_NXDOMAIN) {
		df_detail_set(d, "DNS server %s answered RCODE %d for %s A",
			      dns_client_server(ws->client), ans.rcode, ws->cfg->record);
		ret = DF_ERCODE;
		goto out;
	}
	if (!ldns_pkt_aa(ans.pkt)) {
		df_detail_set(d,
			      "DNS server %s is not authoritative for %s: DNS_SERVER must be the "
			      "zone's primary, not a resolver",
			      dns_client_server(ws->client), ws->cfg->record);
		ret = DF_ENOTAUTH;
		goto out;
	}
	addr[0] = '\0';
	*count = 0;
	rrs = dns_msg_answer_rrs(ans.pkt, ws->cfg->record, LDNS_RR_TYPE_A);
	if (rrs != NULL) {
		*count = ldns_rr_list_rr_count(rrs);
		size_t used = 0;
		for (size_t i = 0; i < *count && used < size; i++) {
			char *a = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(rrs, i), 0));
			int n = snprintf(addr + used, size - used, "%s%s", i > 0 ? ", " : "",
					 a != NULL ? a : "");
			free(a);
			used += n > 0 ? (size_t)n : 0;
		}
	}
out:
	ldns_rr_list_deep_free(rrs);
	dns_answer_deinit(&ans);
	return ret;
}

static void check(watch_state_t *ws)
{
	df_detail_t d = {""};
	char addr[sizeof(ws->last_a)];
	size_t count = 0;
	int64_t now = clock_mono_ms();
	int ret = read_a(ws, addr, sizeof(addr), &count, &d);
	if (ret == DF_OK) {
		ws->last_read_ms = now;
		ws->stepped_down = false;
		bool mine = count == 1 && strcmp(addr, ws->my_ip) == 0;
		if (strcmp(addr, ws->last_a) != 0 && count > 1) {
			log_warn("Watcher: %s holds %zu A records (%s); a lease has one A record: "
				 "this site is not active until it has one again",
				 ws->cfg->record, count, addr);
			snprintf(ws->last_a, sizeof(ws->last_a), "%s", addr);
		} else if (strcmp(addr, ws->last_a) != 0) {
			log_info("Watcher: %s A=%s (this site is %s): this site is %s",
				 ws->cfg->record, addr[0] != '\0' ? addr : "(none)", ws->my_ip,
				 mine ? "active" : "not active");
			snprintf(ws->last_a, sizeof(ws->last_a), "%s", addr);
		}
		ws->want = mine;
	} else {
		log_warn("Watcher: cannot read %s A: %s", ws->cfg->record, d.msg);
		if (!ws->keep_on_dns_failure && ws->want &&
		    now - ws->last_read_ms >= ws->deadline_ms) {
			log_warn("Watcher: no answer from DNS for %llds (RENEW_DEADLINE): stopping "
				 "the collector (WATCH_ON_DNS_FAILURE=stop)",
				 (long long)((now - ws->last_read_ms) / 1000));
			ws->want = false;
			ws->stepped_down = true;
			ws->last_a[0] = '\0';
		}
	}
	watcher_apply(ws->watcher, ws->want, clock_mono_ms());
}

static void on_signal(loop_t *l, int signo, void *arg)
{
	(void)arg;
	log_info("Received %s, shutting down", strsignal(signo));
	loop_stop(l);
}

static void on_check(loop_timer_t *t, void *arg)
{
	(void)t;
	check(arg);
}

static int run_loop(watch_state_t *ws)
{
	loop_t *l = NULL;
	loop_timer_t *t = NULL;
	int ret = loop_new(&l);
	if (ret == DF_OK) {
		ret = loop_signal_add(l, SIGTERM, on_signal, NULL);
	}
	if (ret == DF_OK) {
		ret = loop_signal_add(l, SIGINT, on_signal, NULL);
	}
	if (ret == DF_OK) {
		ret = loop_timer_new(l, &t, on_check, ws);
	}
	if (ret != DF_OK) {
		log_err("watch: cannot set up the event loop: %s", df_strerror(ret));
		goto out;
	}
	loop_timer_arm(t, 1, ws->interval_ms);
	/* Commands run on the loop, so a hung one never delays a DNS check. */
	watcher_set_loop(ws->watcher, l);
	ret = loop_run(l);
	if (ret != DF_OK) {
		log_err("watch: event loop failed: %s", df_strerror(ret));
	}
	watcher_set_loop(ws->watcher, NULL);
out:
	loop_free(l);
	return ret == DF_OK ? CMD_EXIT_OK : CMD_EXIT_FAIL;
}

static void config_warning(const char *msg)
{
	log_warn("%s", msg);
}

int cmd_watch(const char *path, char *const *envp)
{
	config_t cfg = {0};
	df_detail_t d = {""};
	tsig_key_t key;
	bool have_key = false;
	watch_backend_t *backend = NULL;
	watch_state_t ws = {.cfg = &cfg};
	int code = CMD_EXIT_USAGE;
	char server[CONFIG_STR_MAX];
	memset(&key, 0, sizeof(key));

	if (config_load_watch(&cfg, failover_config_modules, path, envp, config_warning, &d) !=
	    DF_OK) {
		log_err("watch: configuration: %s", d.msg);
		return CMD_EXIT_USAGE;
	}
	ws.my_ip = cfg.watch.my_ip; /* MY_IP, or DR_IP in its place */
	ws.keep_on_dns_failure = cfg.watch.on_dns_failure == CONFIG_DNS_FAILURE_KEEP;
	ws.interval_ms = cfg.watch.check_interval_ms;
	ws.deadline_ms = (int64_t)cfg.renew_deadline * 1000;
	if (cfg.server[0] == '\0' && cfg.zone[0] == '\0') {
		log_err("watch: set DNS_SERVER (or DNS_ZONE, to find the zone's primary): the "
			"watcher asks the authoritative server, never the system resolver");
		goto out;
	}
	if (rfc2136_load_key(&cfg, &key, &have_key, &d) != DF_OK) {
		log_err("watch: %s", d.msg);
		code = CMD_EXIT_FAIL;
		goto out;
	}
	if (rfc2136_client_new(&ws.client, &cfg, have_key ? &key : NULL, false, server,
			       sizeof(server), NULL, &d) != DF_OK) {
		log_err("watch: %s", d.msg);
		code = CMD_EXIT_FAIL;
		goto out;
	}
	if (watch_backend_new(&backend, &cfg, &d) != DF_OK || backend == NULL) {
		log_err("watch: %s",
			backend == NULL && d.msg[0] == '\0'
				? "set WATCH_MODE (docker, kubernetes, command or systemd)"
				: d.msg);
		goto out;
	}
	if (watcher_new(&ws.watcher, backend, "collector") != DF_OK) {
		watch_backend_free(backend);
		code = CMD_EXIT_FAIL;
		goto out;
	}
	ws.last_read_ms = clock_mono_ms();
	log_info("Watcher starting: %s A from %s, this site %s, every %llds, %s backend, on DNS "
		 "failure: %s",
		 cfg.record, dns_client_server(ws.client), ws.my_ip,
		 (long long)(ws.interval_ms / 1000), backend->ops->name,
		 ws.keep_on_dns_failure ? "keep" : "stop");
	code = run_loop(&ws);
out:
	watcher_free(ws.watcher);
	dns_client_free(ws.client);
	tsig_key_deinit(&key);
	config_deinit(&cfg);
	return code;
}
