/*
 * A stand-in DirectAdmin master for the reconciler's tests: it enforces
 * Basic auth and serves the domains of DOMAINS_FILE (one a line) as
 * CMD_DNS_ADMIN?json=yes&page=N&ipp=M (paged, info.total_pages) and as the
 * legacy CMD_API_SHOW_ALL_DOMAINS. MODE_FILE, read on every request, picks
 * how it answers: json (default), legacy (CMD_DNS_ADMIN is 404), redirect
 * (302, as the Evolution skin does for Basic auth), html (a login page),
 * error (500), page2fail (pages after the first fail), login (Basic auth
 * is redirected; POST /CMD_LOGIN with the right form sets the session
 * cookie the listing then needs).
 *
 *   fake_da PORT_FILE USER:PASSWORD DOMAINS_FILE MODE_FILE
 * writes its port to PORT_FILE and each request target to stdout.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/http/http_server.h"
#include "zones/zp_proto.h"

static const char *cred;
static const char *domains_file;
static const char *mode_file;

static void text(http_response_t *r, unsigned status, const char *type, const char *body)
{
	http_response_text(r, status, type, body);
}

static long param(const char *target, const char *key, long def)
{
	const char *q = strchr(target, '?');
	size_t kl = strlen(key);
	for (const char *p = q; p != NULL; p = strchr(p + 1, '&')) {
		if (strncmp(p + 1, key, kl) == 0 && p[1 + kl] == '=') {
			return atol(p + 2 + kl);
		}
	}
	return def;
}

static void handle(void *arg, const http_sreq_t *req, http_response_t *resp)
{
	(void)arg;
	const char *method = http_req_method(req);
	const char *target = http_req_target(req);
	const char *cookie = http_req_header(req, "Cookie");
	const char *authorization = http_req_header(req, "Authorization");
	size_t body_len = 0;
	const char *body = http_req_body(req, &body_len);
	printf("%s %s%s\n", method, target, cookie != NULL ? " (cookie)" : "");
	fflush(stdout);
	char want[720], enc[700];
	zp_b64_encode(cred, enc, sizeof(enc));
	snprintf(want, sizeof(want), "Basic %s", enc);
	char mode[32] = "json";
	FILE *mf = fopen(mode_file, "r");
	if (mf != NULL) {
		if (fgets(mode, sizeof(mode), mf) == NULL) {
			snprintf(mode, sizeof(mode), "json");
		}
		mode[strcspn(mode, "\n")] = '\0';
		fclose(mf);
	}
	bool session = cookie != NULL && strstr(cookie, "session=zp-sess-1") != NULL;
	if (strcmp(mode, "login") == 0 && strncmp(target, "/CMD_LOGIN", 10) == 0) {
		char form[512];
		char user_pw[400];
		snprintf(user_pw, sizeof(user_pw), "%s", cred);
		char *colon = strchr(user_pw, ':');
		if (colon != NULL) {
			*colon = '\0';
		}
		snprintf(form, sizeof(form), "username=%s&password=%s&referer=", user_pw,
			 colon != NULL ? colon + 1 : "");
		text(resp, 302, "text/html", "");
		if (strcmp(method, "POST") == 0 && strncmp(body, form, strlen(form)) == 0) {
			http_response_header(resp, "Set-Cookie",
					     "session=zp-sess-1; path=/; HttpOnly");
		}
		return;
	}
	bool basic_ok = authorization != NULL && strcmp(authorization, want) == 0;
	if (strcmp(mode, "login") == 0 && !session) {
		/* the Evolution skin: Basic auth gets the login page's redirect */
		text(resp, basic_ok ? 302 : 401, "text/html", "");
		return;
	}
	if (!basic_ok && !session) {
		text(resp, 401, "text/plain", "error=1&text=auth");
		return;
	}
	char *names[4096];
	size_t n = 0;
	FILE *df = fopen(domains_file, "r");
	char line[300];
	while (df != NULL && n < 4096 && fgets(line, sizeof(line), df) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] != '\0') {
			names[n++] = strdup(line);
		}
	}
	if (df != NULL) {
		fclose(df);
	}
	size_t cap = 256 + n * 320;
	char *out = malloc(cap);
	size_t used = 0;
	out[0] = '\0';
	bool json = strncmp(target, "/CMD_DNS_ADMIN", 14) == 0;
	bool legacy = strncmp(target, "/CMD_API_SHOW_ALL_DOMAINS", 25) == 0;
	long page = param(target, "page", 1);
	if (strcmp(mode, "redirect") == 0) {
		text(resp, 302, "text/html", "");
	} else if (strcmp(mode, "html") == 0) {
		text(resp, 200, "text/html", "<html><body>Please log in</body></html>");
	} else if (strcmp(mode, "error") == 0 || (strcmp(mode, "page2fail") == 0 && page > 1)) {
		text(resp, 500, "text/plain", "internal error");
	} else if (json && strcmp(mode, "legacy") == 0) {
		text(resp, 404, "text/plain", "not found");
	} else if (json) {
		long ipp = param(target, "ipp", 1000);
		long pages = ipp > 0 ? ((long)n + ipp - 1) / ipp : 1;
		used += (size_t)snprintf(out + used, cap - used, "{");
		for (long i = (page - 1) * ipp; i >= 0 && i < (long)n && i < page * ipp; i++) {
			used += (size_t)snprintf(
				out + used, cap - used,
				"\"%ld\":{\"domain\":\"%s\",\"ip\":\"192.0.2.1\"},", i, names[i]);
		}
		snprintf(out + used, cap - used, "\"info\":{\"total_pages\":%ld,\"ipp\":%ld}}",
			 pages < 1 ? 1 : pages, ipp);
		text(resp, 200, "application/json", out);
	} else if (legacy) {
		for (size_t i = 0; i < n; i++) {
			used += (size_t)snprintf(out + used, cap - used, "%slist%%5B%%5D=%s",
						 i > 0 ? "&" : "", names[i]);
		}
		text(resp, 200, "text/plain", out);
	} else {
		text(resp, 404, "text/plain", "not found");
	}
	free(out);
	for (size_t i = 0; i < n; i++) {
		free(names[i]);
	}
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: fake_da PORT_FILE USER:PASSWORD DOMAINS_FILE MODE_FILE\n");
		return 64;
	}
	cred = argv[2];
	domains_file = argv[3];
	mode_file = argv[4];
	http_server_opts_t o = {.listen = "127.0.0.1:0",
				.setting = "fake DA listener",
				.conn_max = 16,
				.timeout_s = 30,
				.body_max = 64 * 1024,
				.handler = handle,
				.serial = true};
	http_server_t *s = NULL;
	df_detail_t d = {{0}};
	if (http_server_start(&s, &o, &d) != DF_OK) {
		fprintf(stderr, "fake_da: %s\n", d.msg);
		return 1;
	}
	FILE *pf = fopen(argv[1], "w");
	if (pf == NULL) {
		return 1;
	}
	fprintf(pf, "%u\n", (unsigned)http_server_port(s));
	fclose(pf);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sig;
	sigwait(&set, &sig);
	http_server_stop(s);
	return 0;
}
