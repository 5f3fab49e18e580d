/*
 * The Vault client: the login (token, AppRole, Kubernetes), the KV read
 * (v2 then v1), the process's session and the renewal of its token on the
 * daemon's loop. See vault.h.
 */
#include "src/secrets/vault.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/common/clock.h"
#include "src/common/log.h"
#include "src/http/http_client.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"

/* Bounds of one request, and of all the requests of one configuration load. */
#define CONNECT_MS 5000
#define TIMEOUT_MS 10000
#define BODY_MAX   (256 * 1024)
/* A Kubernetes service account token is a JWT of a few KiB. */
#define JWT_MAX (64 * 1024)
/* A reused token must have at least this much left for the read. */
#define REUSE_MARGIN_MS 15000
/* Longest wait between two tries of a failed renewal. */
#define RETRY_MAX_MS 30000
/* Room for Vault's error text in a message. */
#define ERRTEXT_MAX 200
/* Room for a URL or path in a message. */
#define PATH_MAX_LEN 700

/*
 * The process's one Vault login. ident says which configuration it belongs
 * to: a reload with another VAULT_ADDR, method or role logs in afresh.
 */
static struct session {
	bool valid;
	char ident[2 * CONFIG_STR_MAX + 3 * 256 + 8];
	vault_auth_t auth;
	int64_t got_ms;	 /* monotonic time the lease was granted or renewed */
	unsigned gen;	 /* grows with every new token */
	bool from_login; /* AppRole or Kubernetes: another login may replace it */
	char addr[CONFIG_STR_MAX];
	char ca_file[CONFIG_STR_MAX];
	char ns[256];
} session;

static vault_keeper_t *the_keeper;
/* While vault_read_secret() runs: when its requests must all be done (monotonic). */
static int64_t read_deadline_ms;
static void keeper_rearm(vault_keeper_t *k);

void vault_session_clear(void)
{
	unsigned gen = session.gen;
	explicit_bzero(&session, sizeof(session));
	session.gen = gen + 1;
	if (the_keeper != NULL) {
		keeper_rearm(the_keeper);
	}
}

static int64_t session_expires_ms(void)
{
	if (session.auth.lease_s == 0) {
		return INT64_MAX;
	}
	return session.got_ms + (int64_t)session.auth.lease_s * 1000;
}

static const char *method_name(enum config_vault_auth a)
{
	switch (a) {
	case CONFIG_VAULT_APPROLE:
		return "approle";
	case CONFIG_VAULT_KUBERNETES:
		return "kubernetes";
	default:
		return "token";
	}
}

static void make_ident(const config_vault_t *v, char *out, size_t size)
{
	const char *who = v->auth == CONFIG_VAULT_APPROLE      ? v->role_id
			  : v->auth == CONFIG_VAULT_KUBERNETES ? v->k8s_role
							       : "";
	snprintf(out, size, "%s\n%s\n%s\n%s\n%s", v->addr, method_name(v->auth), who, v->ns,
		 v->ca_file);
}

/* "https://vault:8200" without its trailing slashes, plus "/v1/" and path. */
static void make_url(const char *addr, const char *path, char *out, size_t size)
{
	size_t n = strlen(addr);
	while (n > 0 && addr[n - 1] == '/') {
		n--;
	}
	snprintf(out, size, "%.*s/v1/%s", (int)n, addr, path);
}

/*
 * A request to Vault: method on /v1/path, with the token (NULL: none) and a
 * JSON body (NULL: none). On success *out owns it; not yet performed.
 */
static int vault_request(const char *addr, const char *ca_file, const char *ns, const char *method,
			 const char *path, const char *token, const char *json,
			 http_request_t **out, df_detail_t *d)
{
	char url[CONFIG_STR_MAX + PATH_MAX_LEN];
	char line[VAULT_TOKEN_MAX + 32];
	http_options_t opt = {
		.ca_file = ca_file,
		.connect_timeout_ms = CONNECT_MS,
		.timeout_ms = TIMEOUT_MS,
		.body_max = BODY_MAX,
	};
	http_request_t *req = NULL;

	/* A load blocks its caller (a reload blocks the daemon's loop): bounded in all. */
	if (read_deadline_ms != 0) {
		int64_t left = read_deadline_ms - clock_mono_ms();
		opt.timeout_ms = left < 1 ? 1 : left < TIMEOUT_MS ? (long)left : TIMEOUT_MS;
		if (opt.connect_timeout_ms > opt.timeout_ms) {
			opt.connect_timeout_ms = opt.timeout_ms;
		}
	}

	make_url(addr, path, url, sizeof(url));
	int ret = http_request_new(&req, method, url, &opt, d);
	if (ret != DF_OK) {
		return ret;
	}
	if (token != NULL) {
		snprintf(line, sizeof(line), "X-Vault-Token: %s", token);
		ret = http_request_add_header(req, line);
		explicit_bzero(line, sizeof(line));
	}
	if (ret == DF_OK && ns != NULL && ns[0] != '\0') {
		snprintf(line, sizeof(line), "X-Vault-Namespace: %s", ns);
		ret = http_request_add_header(req, line);
	}
	if (ret == DF_OK && json != NULL) {
		ret = http_request_add_header(req, "Content-Type: application/json");
		if (ret == DF_OK) {
			ret = http_request_set_body(req, json, strlen(json));
		}
	}
	if (ret != DF_OK) {
		http_request_free(req);
		df_detail_set(d, "cannot build a request to Vault (%s)", df_strerror(ret));
		return ret;
	}
	*out = req;
	return DF_OK;
}

/* Why a request got no answer, and what to check, for d. */
static void transport_error(const config_vault_t *v, const char *method, const char *path,
			    const http_request_t *req, df_detail_t *d)
{
	const char *hint;
	switch (http_request_fail(req)) {
	case HTTP_FAIL_TLS:
		hint = v->ca_file[0] != '\0'
			       ? "check that VAULT_CACERT holds the CA that signed Vault's "
				 "certificate and that the host name of VAULT_ADDR is in it"
			       : "set VAULT_CACERT to the CA that signed Vault's certificate, "
				 "and check that the host name of VAULT_ADDR is in it";
		break;
	case HTTP_FAIL_CA_FILE:
		hint = "check that VAULT_CACERT names a readable PEM file";
		break;
	case HTTP_FAIL_TIMEOUT:
		hint = "check VAULT_ADDR and that Vault is up (it did not answer within 10 s)";
		break;
	default:
		hint = "check VAULT_ADDR and that Vault is up and reachable from here";
		break;
	}
	df_detail_set(d, "Vault at VAULT_ADDR=%s is not reachable (%s /v1/%s: %s): %s", v->addr,
		      method, path, http_request_reason(req), hint);
}

/*
 * Performs req. DF_OK when an answer came back (*status, *body, *len say
 * what); otherwise d says why, naming VAULT_ADDR.
 */
static int perform(const config_vault_t *v, const char *method, const char *path,
		   http_request_t *req, long *status, const char **body, size_t *len,
		   df_detail_t *d)
{
	int ret = http_client_perform(req, d);
	if (ret != DF_OK) {
		transport_error(v, method, path, req, d);
		return ret;
	}
	*status = http_request_status(req);
	*body = http_request_body(req, len);
	return DF_OK;
}

static void sealed_error(const config_vault_t *v, const char *method, const char *path,
			 df_detail_t *d)
{
	df_detail_set(d,
		      "Vault at VAULT_ADDR=%s is sealed (%s /v1/%s answered 503): unseal it "
		      "(vault operator unseal) and try again",
		      v->addr, method, path);
}

/* Reads the Kubernetes service account token (a JWT) into a malloc'd string. */
static int read_jwt(const config_vault_t *v, char **out, df_detail_t *d)
{
	int fd = open(v->k8s_jwt_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	if (fd < 0) {
		df_detail_set(d,
			      "cannot read VAULT_K8S_JWT_PATH=%s (%s): in a pod it is the service "
			      "account's token (is automountServiceAccountToken off?)",
			      v->k8s_jwt_path, strerror(errno));
		return DF_ECONFIG;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > JWT_MAX) {
		df_detail_set(d, "VAULT_K8S_JWT_PATH=%s is not a regular file of 1 byte to %d KiB",
			      v->k8s_jwt_path, JWT_MAX >> 10);
		close(fd);
		return DF_ECONFIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return DF_ENOMEM;
	}
	while (len < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' ')) {
		len--;
	}
	buf[len] = '\0';
	if (len == 0 || strlen(buf) != len) {
		explicit_bzero(buf, (size_t)st.st_size + 1);
		free(buf);
		df_detail_set(d, "VAULT_K8S_JWT_PATH=%s is empty or holds a NUL byte",
			      v->k8s_jwt_path);
		return DF_ECONFIG;
	}
	*out = buf;
	return DF_OK;
}

/* The login's JSON body: {"role_id":..,"secret_id":..} or {"role":..,"jwt":..}. */
static char *login_body(const char *k1, const char *v1, const char *k2, const char *v2)
{
	vault_json_wipe_on_free(); /* the copies json_pack() makes are wiped when freed */
	json_t *o = json_pack("{s:s, s:s}", k1, v1, k2, v2);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static void wipe_str(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* AppRole or Kubernetes login: a new token in *out. */
static int login(const config_vault_t *v, vault_auth_t *out, df_detail_t *d)
{
	const char *path, *check;
	char *body = NULL, *jwt = NULL;
	char shown[2 * CONFIG_STR_MAX + 300];
	int ret;

	if (v->auth == CONFIG_VAULT_APPROLE) {
		path = "auth/approle/login";
		body = login_body("role_id", v->role_id, "secret_id", v->secret_id);
		check = "check VAULT_ROLE_ID and VAULT_SECRET_ID (a secret ID can expire or run "
			"out of uses)";
	} else {
		ret = read_jwt(v, &jwt, d);
		if (ret != DF_OK) {
			return ret;
		}
		path = "auth/kubernetes/login";
		body = login_body("role", v->k8s_role, "jwt", jwt);
		wipe_str(jwt);
		snprintf(shown, sizeof(shown),
			 "check VAULT_K8S_ROLE=%s, that the service account token in "
			 "VAULT_K8S_JWT_PATH=%s is bound to that role, and the Kubernetes auth "
			 "method's configuration in Vault",
			 v->k8s_role, v->k8s_jwt_path);
		check = shown;
	}
	if (body == NULL) {
		return DF_ENOMEM;
	}
	http_request_t *req = NULL;
	ret = vault_request(v->addr, v->ca_file, v->ns, "POST", path, NULL, body, &req, d);
	wipe_str(body);
	if (ret != DF_OK) {
		return ret;
	}
	long status;
	const char *ans;
	size_t len;
	ret = perform(v, "POST", path, req, &status, &ans, &len, d);
	if (ret == DF_OK && vault_is_sealed(status, ans, len)) {
		sealed_error(v, "POST", path, d);
		ret = DF_ECONFIG;
	} else if (ret == DF_OK && status != 200) {
		char errs[ERRTEXT_MAX];
		vault_parse_errors(ans, len, errs, sizeof(errs));
		df_detail_set(
			d, "Vault at VAULT_ADDR=%s refused the %s login (POST /v1/%s: %ld %s): %s",
			v->addr, method_name(v->auth), path, status, errs, check);
		ret = DF_ECONFIG;
	} else if (ret == DF_OK) {
		df_detail_t why = {""};
		ret = vault_parse_auth(ans, len, out, &why);
		if (ret != DF_OK) {
			df_detail_set(d, "Vault at VAULT_ADDR=%s: POST /v1/%s answered 200 but %s",
				      v->addr, path, why.msg);
			ret = DF_ECONFIG;
		}
	}
	http_request_free(req);
	return ret;
}

/* VAULT_TOKEN into *out, with its lease from lookup-self when allowed. */
static int use_token(const config_vault_t *v, vault_auth_t *out, df_detail_t *d)
{
	static const char path[] = "auth/token/lookup-self";
	http_request_t *req = NULL;
	long status;
	const char *ans;
	size_t len;

	int ret = vault_request(v->addr, v->ca_file, v->ns, "GET", path, v->token, NULL, &req, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = perform(v, "GET", path, req, &status, &ans, &len, d);
	if (ret == DF_OK && vault_is_sealed(status, ans, len)) {
		sealed_error(v, "GET", path, d);
		ret = DF_ECONFIG;
	} else if (ret == DF_OK) {
		/* A token whose policy denies lookup-self still reads: the read decides. */
		if (status != 200 || vault_parse_lookup(ans, len, out, NULL) != DF_OK) {
			out->lease_s = 0;
			out->renewable = false;
			log_debug(
				"Vault: lookup-self answered %ld: the token's lease is unknown and "
				"it is not renewed",
				status);
		}
		snprintf(out->token, sizeof(out->token), "%s", v->token);
	}
	http_request_free(req);
	return ret;
}

/*
 * A token for v in the session: the one it has when still good, else a new
 * one. A failed login leaves the session as it was, so that a daemon whose
 * reload failed keeps renewing the token of the configuration it runs.
 */
static int get_token(const config_vault_t *v, bool fresh, df_detail_t *d)
{
	char ident[sizeof(session.ident)];
	make_ident(v, ident, sizeof(ident));
	if (!fresh && session.valid && strcmp(ident, session.ident) == 0 &&
	    v->auth != CONFIG_VAULT_TOKEN &&
	    clock_mono_ms() + REUSE_MARGIN_MS < session_expires_ms()) {
		return DF_OK;
	}
	int64_t now = clock_mono_ms();
	vault_auth_t *auth = calloc(1, sizeof(*auth));
	if (auth == NULL) {
		return DF_ENOMEM;
	}
	int ret = v->auth == CONFIG_VAULT_TOKEN ? use_token(v, auth, d) : login(v, auth, d);
	if (ret != DF_OK) {
		explicit_bzero(auth, sizeof(*auth));
		free(auth);
		return ret;
	}
	vault_session_clear();
	session.auth = *auth;
	explicit_bzero(auth, sizeof(*auth));
	free(auth);
	session.from_login = v->auth != CONFIG_VAULT_TOKEN;
	session.valid = true;
	session.got_ms = now;
	snprintf(session.ident, sizeof(session.ident), "%s", ident);
	snprintf(session.addr, sizeof(session.addr), "%s", v->addr);
	snprintf(session.ca_file, sizeof(session.ca_file), "%s", v->ca_file);
	snprintf(session.ns, sizeof(session.ns), "%s", v->ns);
	if (the_keeper != NULL) {
		keeper_rearm(the_keeper);
	}
	return DF_OK;
}

/* One KV read: DF_OK and the walk done, DF_ENOENT (*status says why), or an error. */
static int read_kv(const config_vault_t *v, int version, const char *path, vault_kv_cb cb,
		   void *arg, long *status, df_detail_t *d)
{
	http_request_t *req = NULL;
	const char *ans;
	size_t len;
	int ret = vault_request(v->addr, v->ca_file, v->ns, "GET", path, session.auth.token, NULL,
				&req, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = perform(v, "GET", path, req, status, &ans, &len, d);
	if (ret == DF_OK && vault_is_sealed(*status, ans, len)) {
		sealed_error(v, "GET", path, d);
		ret = DF_ECONFIG;
	} else if (ret == DF_OK && *status == 200) {
		df_detail_t why = {""};
		ret = vault_parse_kv(ans, len, version, cb, arg, &why);
		if (ret == DF_EMALFORMED) {
			df_detail_set(d, "Vault at VAULT_ADDR=%s: GET /v1/%s answered 200 but %s",
				      v->addr, path, why.msg);
			ret = DF_ECONFIG;
		} else if (ret != DF_OK && d->msg[0] == '\0') {
			df_detail_set(d, "Vault secret /v1/%s: %s", path, df_strerror(ret));
		}
	} else if (ret == DF_OK) {
		char errs[ERRTEXT_MAX];
		vault_parse_errors(ans, len, errs, sizeof(errs));
		df_detail_set(d, "%ld %s", *status, errs);
		ret = DF_ENOENT;
	}
	http_request_free(req);
	return ret;
}

/* Both reads failed with an answer: the message for what they said. */
static void read_error(const config_vault_t *v, const char *p2, long s2, const char *e2,
		       const char *p1, long s1, const char *e1, df_detail_t *d)
{
	if (s2 == 404 && s1 == 404) {
		df_detail_set(d,
			      "Vault at VAULT_ADDR=%s has no secret at /v1/%s (KV v2) nor /v1/%s "
			      "(KV v1): check VAULT_MOUNT=%s and VAULT_KEY=%s, and that the secret "
			      "exists (vault kv get -mount=%s %s)",
			      v->addr, p2, p1, v->mount, v->key, v->mount, v->key);
	} else if (s2 == 403 || s1 == 403) {
		df_detail_set(
			d,
			"Vault at VAULT_ADDR=%s denied reading the secret (GET /v1/%s: %s; GET "
			"/v1/%s: %s): check that the token (VAULT_AUTH_METHOD=%s%s) is valid "
			"and that its policy allows \"read\" on %s/data/%s (KV v2) or %s/%s "
			"(KV v1)",
			v->addr, p2, e2, p1, e1, method_name(v->auth),
			v->auth == CONFIG_VAULT_TOKEN ? ", VAULT_TOKEN" : "", v->mount, v->key,
			v->mount, v->key);
	} else {
		df_detail_set(d,
			      "Vault at VAULT_ADDR=%s did not give the secret (GET /v1/%s: %s; GET "
			      "/v1/%s: %s): check VAULT_MOUNT=%s, VAULT_KEY=%s and Vault's health",
			      v->addr, p2, e2, p1, e1, v->mount, v->key);
	}
}

/* Reads v2 then v1 with the session's token. */
static int read_both(const config_vault_t *v, vault_kv_cb cb, void *arg, char *origin, size_t size,
		     long *s2, df_detail_t *d)
{
	char p2[PATH_MAX_LEN], p1[PATH_MAX_LEN];
	df_detail_t d2 = {""}, d1 = {""};
	long s1 = 0;

	snprintf(p2, sizeof(p2), "%s/data/%s", v->mount, v->key);
	snprintf(p1, sizeof(p1), "%s/%s", v->mount, v->key);
	*s2 = 0;
	int ret = read_kv(v, 2, p2, cb, arg, s2, &d2);
	if (ret == DF_OK) {
		snprintf(origin, size, "Vault %s/%s (KV v2)", v->mount, v->key);
		return DF_OK;
	}
	if (ret != DF_ENOENT) {
		*d = d2;
		return ret;
	}
	ret = read_kv(v, 1, p1, cb, arg, &s1, &d1);
	if (ret == DF_OK) {
		snprintf(origin, size, "Vault %s/%s (KV v1)", v->mount, v->key);
		return DF_OK;
	}
	if (ret != DF_ENOENT) {
		*d = d1;
		return ret;
	}
	if (*s2 == 403 && s1 == 403) {
		ret = DF_EACCES;
	}
	read_error(v, p2, *s2, d2.msg, p1, s1, d1.msg, d);
	return ret == DF_EACCES ? DF_EACCES : DF_ECONFIG;
}

int vault_read_secret(const config_vault_t *v, vault_kv_cb cb, void *arg, char *origin, size_t size,
		      df_detail_t *d)
{
	long s2;
	bool reused;
	char ident[sizeof(session.ident)];

	if (v == NULL || cb == NULL || origin == NULL || size == 0) {
		return DF_EINVAL;
	}
	make_ident(v, ident, sizeof(ident));
	reused = session.valid && strcmp(ident, session.ident) == 0;
	read_deadline_ms = clock_mono_ms() + TIMEOUT_MS;
	int ret = get_token(v, false, d);
	if (ret == DF_OK) {
		ret = read_both(v, cb, arg, origin, size, &s2, d);
	}
	if (ret == DF_EACCES && reused && session.from_login) {
		/* The kept token may have been revoked: one fresh login. */
		log_info("Vault: the kept token was refused; logging in again");
		ret = get_token(v, true, d);
		if (ret == DF_OK) {
			ret = read_both(v, cb, arg, origin, size, &s2, d);
		}
	}
	read_deadline_ms = 0;
	return ret == DF_EACCES ? DF_ECONFIG : ret;
}

/*
 * The renewal of the session's token on a loop.
 */
struct vault_keeper {
	http_multi_t *multi;
	loop_timer_t *timer;
	http_request_t *req; /* in flight, or NULL */
	unsigned gen;	     /* the session's generation the request renews */
	int64_t retry_ms;    /* next wait after a failure */
};

static void keeper_arm_in(vault_keeper_t *k, int64_t delay_ms)
{
	loop_timer_arm(k->timer, delay_ms > 0 ? delay_ms : 1, 0);
}

static void keeper_rearm(vault_keeper_t *k)
{
	if (k->req != NULL) {
		http_request_cancel(k->multi, k->req);
		http_request_free(k->req);
		k->req = NULL;
	}
	loop_timer_cancel(k->timer);
	k->retry_ms = 0;
	if (!session.valid || !session.auth.renewable || session.auth.lease_s == 0) {
		return;
	}
	/* At two thirds of the lease. */
	int64_t at = session.got_ms + (int64_t)session.auth.lease_s * 2000 / 3;
	keeper_arm_in(k, at - clock_mono_ms());
}

/* After a failed renewal: try again sooner than the lease ends, while it lasts. */
static void keeper_retry(vault_keeper_t *k, const char *why)
{
	int64_t left = session_expires_ms() - clock_mono_ms();
	if (left <= 0) {
		log_err("Vault token renewal failed (%s) and the token has expired: the next "
			"reload (SIGHUP) logs in again with VAULT_AUTH_METHOD, or needs a new "
			"VAULT_TOKEN",
			why);
		return;
	}
	int64_t wait = left / 3;
	if (wait > RETRY_MAX_MS) {
		wait = RETRY_MAX_MS;
	}
	if (wait < 1000) {
		wait = 1000;
	}
	log_warn("Vault token renewal failed (%s); trying again in %lld s, the token expires in "
		 "%lld s",
		 why, (long long)(wait / 1000), (long long)(left / 1000));
	keeper_arm_in(k, wait);
}

static void on_renewed(http_request_t *req, int ret, void *arg)
{
	vault_keeper_t *k = arg;
	char why[ERRTEXT_MAX + PATH_MAX_LEN];
	size_t len = 0;
	const char *body = http_request_body(req, &len);
	long status = http_request_status(req);

	k->req = NULL;
	if (k->gen != session.gen || !session.valid) {
		http_request_free(req);
		keeper_rearm(k);
		return;
	}
	if (ret != DF_OK) {
		snprintf(why, sizeof(why), "VAULT_ADDR=%s not reachable: %s", session.addr,
			 http_request_reason(req));
	} else if (status != 200) {
		char errs[ERRTEXT_MAX];
		vault_parse_errors(body, len, errs, sizeof(errs));
		snprintf(why, sizeof(why),
			 "VAULT_ADDR=%s, POST /v1/auth/token/renew-self: %ld %s%s", session.addr,
			 status, errs,
			 vault_is_sealed(status, body, len) ? " (Vault is sealed)" : "");
	} else {
		vault_auth_t auth;
		df_detail_t d = {""};
		if (vault_parse_auth(body, len, &auth, &d) == DF_OK) {
			http_request_free(req);
			session.got_ms = clock_mono_ms();
			session.auth.lease_s = auth.lease_s;
			session.auth.renewable = auth.renewable;
			if (strcmp(auth.token, session.auth.token) != 0) {
				memcpy(session.auth.token, auth.token, sizeof(auth.token));
			}
			explicit_bzero(&auth, sizeof(auth));
			log_info("Vault token renewed for %u s", session.auth.lease_s);
			keeper_rearm(k);
			return;
		}
		snprintf(why, sizeof(why), "VAULT_ADDR=%s, renew-self answered 200 but %s",
			 session.addr, d.msg);
	}
	http_request_free(req);
	keeper_retry(k, why);
}

static void on_renew_time(loop_timer_t *t, void *arg)
{
	vault_keeper_t *k = arg;
	df_detail_t d = {""};
	(void)t;
	if (!session.valid || k->req != NULL) {
		return;
	}
	int ret = vault_request(session.addr, session.ca_file, session.ns, "POST",
				"auth/token/renew-self", session.auth.token, "{}", &k->req, &d);
	if (ret == DF_OK) {
		k->gen = session.gen;
		ret = http_request_begin(k->multi, k->req, on_renewed, k);
	}
	if (ret != DF_OK) {
		http_request_free(k->req);
		k->req = NULL;
		keeper_retry(k, d.msg[0] != '\0' ? d.msg : df_strerror(ret));
	}
}

int vault_keeper_new(vault_keeper_t **out, http_multi_t *m)
{
	if (out == NULL || m == NULL || the_keeper != NULL) {
		return DF_EINVAL;
	}
	vault_keeper_t *k = calloc(1, sizeof(*k));
	if (k == NULL) {
		return DF_ENOMEM;
	}
	k->multi = m;
	int ret = loop_timer_new(http_multi_loop(m), &k->timer, on_renew_time, k);
	if (ret != DF_OK) {
		free(k);
		return ret;
	}
	the_keeper = k;
	keeper_rearm(k);
	*out = k;
	return DF_OK;
}

void vault_keeper_free(vault_keeper_t *k)
{
	if (k == NULL) {
		return;
	}
	if (k->req != NULL) {
		http_request_cancel(k->multi, k->req);
		http_request_free(k->req);
	}
	loop_timer_free(k->timer);
	if (the_keeper == k) {
		the_keeper = NULL;
	}
	free(k);
}
