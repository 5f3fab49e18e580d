/*
 * A fake HashiCorp Vault over HTTPS (libmicrohttpd with TLS) for the system
 * tests: the parts of the API dnsfailover uses, with Vault's answers
 * (reference/rest-providers.md section 8).
 *
 *   fake_vault -c CERT -k KEY -P PORTFILE -d DATAFILE [options]
 *
 *   -c/-k      the server's certificate and key (PEM), made by the test
 *   -P FILE    the port it listens on (127.0.0.1, chosen by the kernel)
 *   -d FILE    the secret's map (a JSON object), read at every request so a
 *              test can change it while the fake runs
 *   -m MOUNT   the KV mount (default secret); -K KEY the path (dns-failover)
 *   -v 1|2     KV version of the mount (default 2): only that shape answers
 *   -t TOKEN   a valid token (repeatable); -T SECS its ttl (0: none, as root)
 *   -r ROLE_ID -s SECRET_ID   the AppRole pair auth/approle/login accepts
 *   -R ROLE -j JWTFILE        the Kubernetes role and the JWT it accepts
 *   -L SECS    lease of the tokens a login issues (default 3600)
 *   -n NS      the namespace every request must carry (X-Vault-Namespace)
 *   -S FILE    sealed while FILE exists: every request answers 503
 *
 * Checks: X-Vault-Token on everything but the logins (403 {"errors":
 * ["permission denied"]} otherwise), the AppRole pair (400 {"errors":
 * ["invalid role or secret ID"]}: the wording is an assumption, the
 * reference marks it unconfirmed), the Kubernetes role and JWT (403, also
 * an assumption), a missing path (404 {"errors":[]}). It logs one line per
 * request on stdout: the method, the path, the status, and "renew-self" for
 * each renewal; never a token or a secret.
 */
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKENS_MAX 256
#define BODY_MAX   65536

static struct {
	const char *datafile, *mount, *key, *role_id, *secret_id, *k8s_role, *ns, *sealed_file;
	char *jwt;
	int version;
	long token_ttl, login_ttl;
	char *tokens[TOKENS_MAX];
	size_t ntokens;
	unsigned issued, renewals;
} fv = {.mount = "secret", .key = "dns-failover", .version = 2, .login_ttl = 3600};

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		return NULL;
	}
	char *buf = calloc(1, max + 1);
	size_t n = buf != NULL ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf != NULL) {
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
			buf[--n] = '\0';
		}
	}
	return buf;
}

static void logline(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, json_t *body,
			      const char *method, const char *url, const char *note)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		text != NULL ? strlen(text) : 0, text != NULL ? text : "", MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	logline("%s %s %u%s%s", method, url, status, note[0] != '\0' ? " " : "", note);
	return ret;
}

static json_t *errors(const char *msg)
{
	return msg != NULL ? json_pack("{s:[s]}", "errors", msg) : json_pack("{s:[]}", "errors");
}

static bool token_ok(const char *t)
{
	for (size_t i = 0; t != NULL && i < fv.ntokens; i++) {
		if (strcmp(fv.tokens[i], t) == 0) {
			return true;
		}
	}
	return false;
}

static json_t *new_login(void)
{
	char tok[64];
	snprintf(tok, sizeof(tok), "hvs.fake-login-%u-%ld", ++fv.issued, (long)getpid());
	if (fv.ntokens < TOKENS_MAX) {
		fv.tokens[fv.ntokens++] = strdup(tok);
	}
	return json_pack("{s:{s:s, s:s, s:[s], s:I, s:b}, s:n, s:I, s:b}", "auth", "client_token",
			 tok, "accessor", "fake-accessor", "token_policies", "default",
			 "lease_duration", (json_int_t)fv.login_ttl, "renewable", 1, "data",
			 "lease_duration", (json_int_t)0, "renewable", 0);
}

struct upload {
	char buf[BODY_MAX];
	size_t len;
	bool too_big;
};

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *data_size, void **con_cls)
{
	(void)cls;
	(void)version;
	struct upload *up = *con_cls;
	if (up == NULL) {
		up = calloc(1, sizeof(*up));
		if (up == NULL) {
			return MHD_NO;
		}
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (up->len + *data_size > sizeof(up->buf) - 1) {
			up->too_big = true;
		} else {
			memcpy(up->buf + up->len, data, *data_size);
			up->len += *data_size;
		}
		*data_size = 0;
		return MHD_YES;
	}

	if (fv.sealed_file != NULL && access(fv.sealed_file, F_OK) == 0) {
		return answer(c, 503, errors("Vault is sealed"), method, url, "sealed");
	}
	const char *ns = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vault-Namespace");
	if (fv.ns != NULL && (ns == NULL || strcmp(ns, fv.ns) != 0)) {
		return answer(c, 403, errors("permission denied"), method, url, "namespace");
	}
	bool post = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
	json_t *in = post ? json_loadb(up->buf, up->len, 0, NULL) : NULL;

	if (post && strcmp(url, "/v1/auth/approle/login") == 0) {
		const char *rid = json_string_value(json_object_get(in, "role_id"));
		const char *sid = json_string_value(json_object_get(in, "secret_id"));
		bool ok = fv.role_id != NULL && rid != NULL && sid != NULL &&
			  strcmp(rid, fv.role_id) == 0 && strcmp(sid, fv.secret_id) == 0;
		json_decref(in);
		if (!ok) {
			return answer(c, 400, errors("invalid role or secret ID"), method, url,
				      "approle refused");
		}
		return answer(c, 200, new_login(), method, url, "approle login");
	}
	if (post && strcmp(url, "/v1/auth/kubernetes/login") == 0) {
		const char *role = json_string_value(json_object_get(in, "role"));
		const char *jwt = json_string_value(json_object_get(in, "jwt"));
		bool ok = fv.k8s_role != NULL && role != NULL && jwt != NULL &&
			  strcmp(role, fv.k8s_role) == 0 && strcmp(jwt, fv.jwt) == 0;
		json_decref(in);
		if (!ok) {
			return answer(c, 403, errors("permission denied"), method, url,
				      "kubernetes refused");
		}
		return answer(c, 200, new_login(), method, url, "kubernetes login");
	}
	json_decref(in);

	const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Vault-Token");
	if (!token_ok(tok)) {
		return answer(c, 403, errors("permission denied"), method, url, "bad token");
	}
	bool login_token = tok != NULL && strncmp(tok, "hvs.fake-login-", 15) == 0;
	long ttl = login_token ? fv.login_ttl : fv.token_ttl;
	if (strcmp(method, "GET") == 0 && strcmp(url, "/v1/auth/token/lookup-self") == 0) {
		return answer(c, 200,
			      json_pack("{s:{s:I, s:b, s:s}}", "data", "ttl", (json_int_t)ttl,
					"renewable", ttl > 0, "accessor", "fake-accessor"),
			      method, url, "");
	}
	if (post && strcmp(url, "/v1/auth/token/renew-self") == 0) {
		fv.renewals++;
		char note[64];
		snprintf(note, sizeof(note), "renew-self %u", fv.renewals);
		return answer(c, 200,
			      json_pack("{s:{s:s, s:I, s:b}}", "auth", "client_token", tok,
					"lease_duration", (json_int_t)ttl, "renewable", ttl > 0),
			      method, url, note);
	}
	char v2[512], v1[512];
	snprintf(v2, sizeof(v2), "/v1/%s/data/%s", fv.mount, fv.key);
	snprintf(v1, sizeof(v1), "/v1/%s/%s", fv.mount, fv.key);
	const char *want = fv.version == 2 ? v2 : v1;
	if (strcmp(method, "GET") == 0 && strcmp(url, want) == 0) {
		json_t *map = json_load_file(fv.datafile, 0, NULL);
		if (!json_is_object(map)) {
			json_decref(map);
			return answer(c, 404, errors(NULL), method, url, "no data file");
		}
		json_t *body;
		if (fv.version == 2) {
			body = json_pack(
				"{s:s, s:s, s:b, s:I, s:{s:o, s:{s:s, s:n, s:s, s:b, s:I}}, "
				"s:n, s:n, s:n}",
				"request_id", "fake", "lease_id", "", "renewable", 0,
				"lease_duration", (json_int_t)0, "data", "data", map, "metadata",
				"created_time", "2026-01-15T12:00:00Z", "custom_metadata",
				"deletion_time", "", "destroyed", 0, "version", (json_int_t)1,
				"wrap_info", "warnings", "auth");
		} else {
			body = json_pack("{s:s, s:s, s:b, s:I, s:o, s:n, s:n, s:n}", "request_id",
					 "fake", "lease_id", "", "renewable", 0, "lease_duration",
					 (json_int_t)2764800, "data", map, "wrap_info", "warnings",
					 "auth");
		}
		return answer(c, 200, body, method, url, "secret read");
	}
	return answer(c, 404, errors(NULL), method, url, "");
}

static void done(void *cls, struct MHD_Connection *c, void **con_cls,
		 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int main(int argc, char **argv)
{
	const char *cert = NULL, *key = NULL, *portfile = NULL, *jwtfile = NULL;
	int opt;
	while ((opt = getopt(argc, argv, "c:k:P:d:m:K:v:t:T:r:s:R:j:L:n:S:")) != -1) {
		switch (opt) {
		case 'c':
			cert = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'P':
			portfile = optarg;
			break;
		case 'd':
			fv.datafile = optarg;
			break;
		case 'm':
			fv.mount = optarg;
			break;
		case 'K':
			fv.key = optarg;
			break;
		case 'v':
			fv.version = atoi(optarg);
			break;
		case 't':
			if (fv.ntokens < TOKENS_MAX) {
				fv.tokens[fv.ntokens++] = strdup(optarg);
			}
			break;
		case 'T':
			fv.token_ttl = atol(optarg);
			break;
		case 'r':
			fv.role_id = optarg;
			break;
		case 's':
			fv.secret_id = optarg;
			break;
		case 'R':
			fv.k8s_role = optarg;
			break;
		case 'j':
			jwtfile = optarg;
			break;
		case 'L':
			fv.login_ttl = atol(optarg);
			break;
		case 'n':
			fv.ns = optarg;
			break;
		case 'S':
			fv.sealed_file = optarg;
			break;
		default:
			fprintf(stderr, "fake_vault: bad option (see the source's header)\n");
			return 2;
		}
	}
	if (cert == NULL || key == NULL || portfile == NULL || fv.datafile == NULL ||
	    (fv.version != 1 && fv.version != 2) ||
	    (fv.role_id != NULL) != (fv.secret_id != NULL) ||
	    (fv.k8s_role != NULL) != (jwtfile != NULL)) {
		fprintf(stderr, "fake_vault: -c, -k, -P and -d are required; -v is 1 or 2; -r "
				"goes with -s, -R with -j\n");
		return 2;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		fprintf(stderr, "fake_vault: libmicrohttpd was built without TLS\n");
		return 77;
	}
	char *cert_pem = slurp(cert, BODY_MAX), *key_pem = slurp(key, BODY_MAX);
	if (cert_pem == NULL || key_pem == NULL) {
		fprintf(stderr, "fake_vault: cannot read %s or %s: %s\n", cert, key,
			strerror(errno));
		return 2;
	}
	if (jwtfile != NULL && (fv.jwt = slurp(jwtfile, BODY_MAX)) == NULL) {
		fprintf(stderr, "fake_vault: cannot read %s\n", jwtfile);
		return 2;
	}
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	/* One thread: the handler's state needs no lock. */
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_HTTPS_MEM_CERT, cert_pem, MHD_OPTION_HTTPS_MEM_KEY, key_pem,
		MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)10, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "fake_vault: cannot start the HTTPS server\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	char tmp[1024];
	snprintf(tmp, sizeof(tmp), "%s.tmp", portfile);
	FILE *pf = fopen(tmp, "w");
	if (pf == NULL || info == NULL || fprintf(pf, "%u\n", (unsigned)info->port) < 0 ||
	    fclose(pf) != 0 || rename(tmp, portfile) != 0) {
		fprintf(stderr, "fake_vault: cannot write %s\n", portfile);
		MHD_stop_daemon(d);
		return 1;
	}
	logline("fake_vault listening on 127.0.0.1:%u (KV v%d at %s/%s)", (unsigned)info->port,
		fv.version, fv.mount, fv.key);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop) {
		pause();
	}
	MHD_stop_daemon(d);
	logline("fake_vault stopped after %u renewals", fv.renewals);
	free(cert_pem);
	free(key_pem);
	free(fv.jwt);
	for (size_t i = 0; i < fv.ntokens; i++) {
		free(fv.tokens[i]);
	}
	return 0;
}
