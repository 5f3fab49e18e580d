/*
 * `dnsfailover setup`: asks the questions an env file needs (role, provider
 * and its credentials, zone, record, addresses, timings, health check,
 * watcher), each with a default from the environment, the existing file or
 * the built-in default; writes the file atomically (mode 0600); for
 * bind-tsig can generate the key file and prints the named.conf lines; then
 * runs `validate` on the result. With --answers FILE the answers come from
 * KEY=VALUE lines instead of the terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "src/failover/cmd.h"
#include "src/failover/config_modules.h"
#include "src/failover/setup_kv.h"
#include "tsig/tsig_key.h"

#define SETUP_LINE_MAX 4096

typedef struct setup {
	kv_list_t file;	   /* the existing file (-c) */
	kv_list_t answers; /* --answers */
	kv_list_t out;	   /* what is written */
	char *const *envp;
	bool batch; /* answers from --answers, no terminal */
	bool eof;   /* the operator ended the input: nothing is written */
} setup_t;

/* Answers the wizard takes that are not configuration keys. */
static const char *const wizard_keys[] = {"GENERATE_KEY", NULL};

static bool key_known(const char *name)
{
	config_key_info_t info;
	for (size_t i = 0; config_key_at(failover_config_modules, i, &info); i++) {
		if (strcmp(info.name, name) == 0) {
			return true;
		}
		if (info.secret) {
			size_t n = strlen(info.name);
			if (strncmp(name, info.name, n) == 0 && strcmp(name + n, "_FILE") == 0) {
				return true;
			}
		}
	}
	return false;
}

static const char *env_get(const setup_t *s, const char *key)
{
	size_t n = strlen(key);
	for (char *const *e = s->envp; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, key, n) == 0 && (*e)[n] == '=' && (*e)[n + 1] != '\0') {
			return *e + n + 1;
		}
	}
	return NULL;
}

/* The default: the environment, then the existing file, then def. */
static const char *default_of(const setup_t *s, const char *key, const char *def)
{
	const char *v = env_get(s, key);
	if (v == NULL) {
		v = kv_get(&s->file, key);
	}
	if (v == NULL || v[0] == '\0') {
		v = def;
	}
	return v != NULL ? v : "";
}

static void echo_off(bool off, struct termios *saved)
{
	if (!isatty(STDIN_FILENO)) {
		return;
	}
	if (off) {
		struct termios t;
		if (tcgetattr(STDIN_FILENO, saved) != 0) {
			return;
		}
		t = *saved;
		t.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
	} else {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, saved);
		printf("\n");
	}
}

/*
 * One line from the terminal into buf; false at end of input. Secrets are
 * read without echo.
 */
static bool read_answer(setup_t *s, bool secret, char *buf, size_t size)
{
	struct termios saved;
	if (secret) {
		echo_off(true, &saved);
	}
	bool ok = fgets(buf, (int)size, stdin) != NULL;
	if (secret) {
		echo_off(false, &saved);
	}
	if (!ok) {
		s->eof = true;
		return false;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

/* A choice is one of the words of a space-separated list. */
static bool in_choices(const char *v, const char *choices)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p != '\0';) {
		size_t w = strcspn(p, " ");
		if (w == n && strncmp(p, v, n) == 0) {
			return true;
		}
		p += w;
		p += strspn(p, " ");
	}
	return false;
}

typedef struct question {
	const char *key;
	const char *text;
	const char *def;
	const char *choices; /* NULL: free text */
	bool required;
	bool secret;
	bool number; /* an unsigned integer */
} question_t;

static bool answer_ok(const question_t *q, const char *v, char *why, size_t size)
{
	if (v[0] == '\0') {
		if (q->required) {
			snprintf(why, size, "%s is required", q->key);
			return false;
		}
		return true;
	}
	if (q->choices != NULL && !in_choices(v, q->choices)) {
		snprintf(why, size, "%s must be one of: %s", q->key, q->choices);
		return false;
	}
	if (q->number && strspn(v, "0123456789") != strlen(v)) {
		snprintf(why, size, "%s must be a whole number of seconds or a count", q->key);
		return false;
	}
	return true;
}

/*
 * Asks q (or takes its answer from --answers) and records the answer in
 * s->out. Returns the answer (owned by s->out), or NULL when the input
 * ended or the answer file holds a wrong value.
 */
static const char *ask(setup_t *s, const question_t *q)
{
	const char *def = default_of(s, q->key, q->def);
	char why[256];
	char buf[SETUP_LINE_MAX];
	if (s->batch) {
		const char *v = kv_get(&s->answers, q->key);
		if (v == NULL) {
			v = def;
		}
		if (!answer_ok(q, v, why, sizeof(why))) {
			fprintf(stderr, "dnsfailover setup: answers: %s\n", why);
			return NULL;
		}
		snprintf(buf, sizeof(buf), "%s", v);
	} else {
		for (;;) {
			if (q->secret) {
				printf("%s (%s) [%s]: ", q->text, q->key,
				       def[0] != '\0' ? "keep the current one" : "");
			} else if (q->choices != NULL) {
				printf("%s (%s: %s) [%s]: ", q->text, q->key, q->choices, def);
			} else {
				printf("%s (%s) [%s]: ", q->text, q->key, def);
			}
			fflush(stdout);
			if (!read_answer(s, q->secret, buf, sizeof(buf))) {
				return NULL;
			}
			if (buf[0] == '\0') {
				snprintf(buf, sizeof(buf), "%s", def);
			} else if (strcmp(buf, "-") == 0) {
				buf[0] = '\0'; /* "-" clears a default */
			}
			if (answer_ok(q, buf, why, sizeof(why))) {
				break;
			}
			printf("  %s\n", why);
		}
	}
	int rc = kv_set(&s->out, q->key, buf);
	explicit_bzero(buf, sizeof(buf));
	return rc == DF_OK ? kv_get(&s->out, q->key) : NULL;
}

static const char *ask_one(setup_t *s, const char *key, const char *text, const char *def,
			   bool required)
{
	question_t q = {.key = key, .text = text, .def = def, .required = required};
	return ask(s, &q);
}

static const char *ask_choice(setup_t *s, const char *key, const char *text, const char *def,
			      const char *choices)
{
	question_t q = {.key = key, .text = text, .def = def, .choices = choices, .required = true};
	return ask(s, &q);
}

static const char *ask_secret(setup_t *s, const char *key, const char *text)
{
	question_t q = {.key = key, .text = text, .secret = true};
	return ask(s, &q);
}

static const char *ask_number(setup_t *s, const char *key, const char *text, const char *def)
{
	question_t q = {.key = key, .text = text, .def = def, .required = true, .number = true};
	return ask(s, &q);
}

#define ASK(expr)                     \
	do {                          \
		if ((expr) == NULL) { \
			return false; \
		}                     \
	} while (0)

/* The provider's credentials and where its zone is. */
static bool ask_provider(setup_t *s, const char *provider)
{
	if (strcmp(provider, "bind-tsig") == 0 || strcmp(provider, "ad-gss") == 0) {
		ASK(ask_one(s, "DNS_SERVER", "The zone's primary server (empty: its SOA MNAME)",
			    NULL, false));
		ASK(ask_number(s, "DNS_PORT", "Its port", "53"));
	}
	if (strcmp(provider, "bind-tsig") == 0) {
		const char *kf = NULL;
		ASK(kf = ask_one(s, "TSIG_KEYFILE", "The TSIG key file (tsig-keygen format)",
				 "/etc/dnsfailover/tsig.key", true));
		ASK(ask_one(s, "TSIG_KEYNAME",
			    "The key's name in that file (empty: the file's only key)", NULL,
			    false));
		ASK(ask_choice(s, "GENERATE_KEY", "Generate a new key into that file",
			       access(kf, F_OK) == 0 ? "no" : "yes", "yes no"));
	} else if (strcmp(provider, "ad-gss") == 0) {
		ASK(ask_one(s, "GSS_KEYTAB", "The keytab (empty: the ticket cache KRB5CCNAME)",
			    NULL, false));
		ASK(ask_one(s, "GSS_PRINCIPAL", "The principal whose key it holds", NULL, false));
		ASK(ask_one(s, "GSS_SERVICE", "The DNS server's principal (empty: DNS/<server>)",
			    NULL, false));
	} else if (strcmp(provider, "route53") == 0) {
		ASK(ask_one(s, "AWS_ACCESS_KEY_ID", "AWS access key id", NULL, true));
		ASK(ask_secret(s, "AWS_SECRET_ACCESS_KEY", "AWS secret access key"));
		ASK(ask_one(s, "ROUTE53_ZONE_ID", "The hosted zone id", NULL, true));
	} else if (strcmp(provider, "cloudflare") == 0) {
		ASK(ask_secret(s, "CLOUDFLARE_API_TOKEN", "API token with Zone:DNS:Edit"));
		ASK(ask_one(s, "CLOUDFLARE_ZONE_ID", "The zone id (empty: looked up by name)", NULL,
			    false));
	} else if (strcmp(provider, "infoblox") == 0) {
		ASK(ask_one(s, "INFOBLOX_HOST", "The grid master", NULL, true));
		ASK(ask_one(s, "INFOBLOX_USERNAME", "The WAPI user", NULL, true));
		ASK(ask_secret(s, "INFOBLOX_PASSWORD", "Its password"));
	} else if (strcmp(provider, "f5-gtm") == 0) {
		ASK(ask_one(s, "F5_HOST", "The BIG-IP management address", NULL, true));
		ASK(ask_one(s, "F5_USERNAME", "The iControl REST user", NULL, true));
		ASK(ask_secret(s, "F5_PASSWORD", "Its password"));
		ASK(ask_one(s, "F5_POOL_NAME", "The GTM pool (empty: none)", NULL, false));
	} else if (strcmp(provider, "gcp-dns") == 0) {
		ASK(ask_one(s, "GCP_CREDENTIALS_FILE", "The service account's JSON key file", NULL,
			    true));
		ASK(ask_one(s, "GCP_MANAGED_ZONE", "The managed zone's name", NULL, true));
	} else if (strcmp(provider, "azure-dns") == 0) {
		ASK(ask_one(s, "AZURE_SUBSCRIPTION_ID", "The subscription id", NULL, true));
		ASK(ask_one(s, "AZURE_RESOURCE_GROUP", "The resource group", NULL, true));
		ASK(ask_one(s, "AZURE_TENANT_ID", "The tenant id", NULL, true));
		ASK(ask_one(s, "AZURE_CLIENT_ID", "The service principal's client id", NULL, true));
		ASK(ask_secret(s, "AZURE_CLIENT_SECRET", "Its client secret"));
	} else if (strcmp(provider, "script") == 0) {
		ASK(ask_one(s, "SCRIPT_SET", "The program that writes the records", NULL, true));
		ASK(ask_one(s, "SCRIPT_GET", "The program that reads them", NULL, true));
	} else if (strcmp(provider, "dry-run") == 0) {
		ASK(ask_one(s, "DRYRUN_STATEFILE", "The state file",
			    "/var/lib/dnsfailover/dry-run.json", true));
	}
	return true;
}

static unsigned long num(const setup_t *s, const char *key, unsigned long def)
{
	const char *v = kv_get(&s->out, key);
	return v != NULL && v[0] != '\0' ? strtoul(v, NULL, 10) : def;
}

/* The lease timings, asked again until I < D < L holds. */
static bool ask_timings(setup_t *s)
{
	for (;;) {
		ASK(ask_number(s, "LEASE_TTL", "Seconds a lease is valid", "60"));
		ASK(ask_number(s, "UPDATE_INTERVAL", "Seconds between renewals and health checks",
			       "10"));
		ASK(ask_number(s, "RENEW_DEADLINE",
			       "Seconds without a renewal before the holder steps down", "40"));
		ASK(ask_number(s, "FAIL_THRESHOLD",
			       "Failed health checks before the DR site takes over", "3"));
		unsigned long l = num(s, "LEASE_TTL", 60);
		unsigned long i = num(s, "UPDATE_INTERVAL", 10);
		unsigned long d = num(s, "RENEW_DEADLINE", 40);
		if (i < d && d < l) {
			return true;
		}
		printf("  UPDATE_INTERVAL (%lu) < RENEW_DEADLINE (%lu) < LEASE_TTL (%lu) must "
		       "hold\n",
		       i, d, l);
		if (s->batch) {
			fprintf(stderr, "dnsfailover setup: answers: UPDATE_INTERVAL < "
					"RENEW_DEADLINE < LEASE_TTL does not hold\n");
			return false;
		}
	}
}

static bool ask_health(setup_t *s)
{
	const char *mode = NULL;
	ASK(mode = ask_choice(s, "HEALTH_MODE", "How the DR site checks the primary", "tcp",
			      "tcp metrics"));
	if (strcmp(mode, "tcp") == 0) {
		ASK(ask_one(s, "HEALTH_HOST", "The host to connect to (empty: PRIMARY_IP)", NULL,
			    false));
		ASK(ask_number(s, "HEALTH_PORT", "The port to connect to", "4317"));
	} else {
		ASK(ask_one(s, "HEALTH_URL", "The collector's metrics page", NULL, true));
		ASK(ask_one(s, "HEALTH_METRIC", "The counter that must keep growing",
			    "otelcol_receiver_accepted_metric_points_total", true));
		ASK(ask_number(s, "HEALTH_STALE_COUNT",
			       "Flat readings before the primary counts as unhealthy", "3"));
	}
	/* dnsfailover.conf(5), Health check: the worst-case failover time. */
	unsigned long l = num(s, "LEASE_TTL", 60);
	unsigned long i = num(s, "UPDATE_INTERVAL", 10);
	unsigned long f = num(s, "FAIL_THRESHOLD", 3);
	unsigned long stale = num(s, "HEALTH_STALE_COUNT", 3);
	printf("Worst-case failover time: (HEALTH_STALE_COUNT %lu + FAIL_THRESHOLD %lu - 1) x "
	       "UPDATE_INTERVAL %lu + LEASE_TTL %lu = %lu seconds\n",
	       stale, f, i, l, (stale + f - 1) * i + l);
	return true;
}

static bool ask_watcher(setup_t *s)
{
	const char *mode = NULL;
	ASK(mode = ask_choice(s, "WATCH_MODE", "How this site's collector is started and stopped",
			      "none", "none command systemd docker kubernetes"));
	if (strcmp(mode, "command") == 0) {
		ASK(ask_one(s, "WATCH_START_CMD", "The command that starts it", NULL, true));
		ASK(ask_one(s, "WATCH_STOP_CMD", "The command that stops it", NULL, true));
		ASK(ask_one(s, "WATCH_STATUS_CMD", "The command that exits 0 while it runs", NULL,
			    true));
	} else if (strcmp(mode, "systemd") == 0) {
		ASK(ask_one(s, "WATCH_UNIT", "The collector's unit", NULL, true));
	} else if (strcmp(mode, "docker") == 0) {
		ASK(ask_one(s, "OTEL_CONTAINER", "The collector's container", "otel-collector",
			    true));
		ASK(ask_one(s, "DOCKER_HOST", "The Engine API socket", "/var/run/docker.sock",
			    true));
	} else if (strcmp(mode, "kubernetes") == 0) {
		ASK(ask_one(s, "OTEL_NAMESPACE", "The collector's namespace", NULL, true));
		ASK(ask_one(s, "OTEL_DEPLOYMENT", "The collector's deployment", NULL, true));
	}
	return true;
}

static bool ask_all(setup_t *s)
{
	const char *zone = NULL;
	char rec[300];
	const char *provider = NULL;
	ASK(ask_choice(s, "ROLE", "This site's role", "primary", "primary dr"));
	ASK(provider = ask_choice(s, "DNS_PROVIDER", "Where the lease is kept", "bind-tsig",
				  "bind-tsig ad-gss route53 cloudflare infoblox f5-gtm gcp-dns "
				  "azure-dns script dry-run"));
	ASK(zone = ask_one(s, "DNS_ZONE", "The zone holding the lease record", NULL, true));
	snprintf(rec, sizeof(rec), "lease.%s", zone);
	ASK(ask_one(s, "DNS_RECORD", "The lease record's name, inside the zone", rec, true));
	ASK(ask_one(s, "PRIMARY_IP", "The primary site's address", NULL, true));
	ASK(ask_one(s, "DR_IP", "The DR site's address", NULL, true));
	return ask_provider(s, provider) && ask_timings(s) && ask_health(s) && ask_watcher(s);
}

/*
 * Writes text to path through a private temporary file in the same folder
 * (mode 0600), renamed over path only when complete; with keep, linked to
 * path instead, so that a file that appeared meanwhile is never replaced.
 */
static int write_atomic(const char *path, bool keep, void (*fill)(FILE *f, const void *arg),
			const void *arg)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		fprintf(stderr, "dnsfailover setup: %s: name too long\n", path);
		return CMD_EXIT_FAIL;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "dnsfailover setup: cannot create a file next to %s: %s\n", path,
			strerror(errno));
		return CMD_EXIT_FAIL;
	}
	FILE *f = fchmod(fd, 0600) == 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		fprintf(stderr, "dnsfailover setup: %s: %s\n", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		return CMD_EXIT_FAIL;
	}
	fill(f, arg);
	bool ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || (keep ? link(tmp, path) : rename(tmp, path)) != 0) {
		fprintf(stderr, "dnsfailover setup: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return CMD_EXIT_FAIL;
	}
	if (keep) {
		unlink(tmp);
	}
	return CMD_EXIT_OK;
}

static bool is_wizard_key(const char *key)
{
	for (size_t i = 0; wizard_keys[i] != NULL; i++) {
		if (strcmp(wizard_keys[i], key) == 0) {
			return true;
		}
	}
	return false;
}

static void fill_env(FILE *f, const void *arg)
{
	const setup_t *s = arg;
	fprintf(f, "# dnsfailover configuration, written by `dnsfailover setup`.\n"
		   "# dnsfailover.conf(5) describes every key.\n");
	for (size_t i = 0; i < s->out.n; i++) {
		if (is_wizard_key(s->out.key[i]) || s->out.val[i][0] == '\0' ||
		    (strcmp(s->out.key[i], "WATCH_MODE") == 0 &&
		     strcmp(s->out.val[i], "none") == 0)) {
			continue;
		}
		fprintf(f, "%s=", s->out.key[i]);
		kv_put_value(f, s->out.val[i]);
		fputc('\n', f);
	}
	bool header = false;
	for (size_t i = 0; i < s->file.n; i++) {
		/* Keys of the old file the questions did not cover are kept. */
		if (kv_get(&s->out, s->file.key[i]) != NULL || s->file.val[i][0] == '\0' ||
		    !key_known(s->file.key[i])) {
			continue;
		}
		if (!header) {
			fprintf(f, "# kept from the previous file\n");
			header = true;
		}
		fprintf(f, "%s=", s->file.key[i]);
		kv_put_value(f, s->file.val[i]);
		fputc('\n', f);
	}
}

static void fill_text(FILE *f, const void *arg)
{
	fputs(arg, f);
}

/* The key's name as named.conf spells it. */
static const char *key_name(const setup_t *s)
{
	const char *n = kv_get(&s->out, "TSIG_KEYNAME");
	return n != NULL && n[0] != '\0' ? n : "dnsfailover";
}

static int generate_key(const setup_t *s)
{
	const char *path = kv_get(&s->out, "TSIG_KEYFILE");
	char text[1024];
	df_detail_t d = {""};
	if (access(path, F_OK) == 0) {
		fprintf(stderr,
			"dnsfailover setup: TSIG_KEYFILE %s exists; answer GENERATE_KEY=no to "
			"use it, or choose another file (an existing key is never replaced)\n",
			path);
		return CMD_EXIT_USAGE;
	}
	if (tsig_keyfile_generate(key_name(s), text, sizeof(text), &d) != DF_OK) {
		fprintf(stderr, "dnsfailover setup: TSIG_KEYNAME: %s\n", d.msg);
		return CMD_EXIT_USAGE;
	}
	int rc = write_atomic(path, true, fill_text, text);
	explicit_bzero(text, sizeof(text));
	if (rc == CMD_EXIT_OK) {
		printf("Wrote the key %s (hmac-sha256) to %s (mode 0600)\n", key_name(s), path);
	}
	return rc;
}

static void print_named_conf(const setup_t *s, bool generated)
{
	const char *record = kv_get(&s->out, "DNS_RECORD");
	const char *kf = kv_get(&s->out, "TSIG_KEYFILE");
	const char *name = generated ? key_name(s) : kv_get(&s->out, "TSIG_KEYNAME");
	if (name == NULL || name[0] == '\0') {
		name = "<the key's name in TSIG_KEYFILE>";
	}
	printf("\nAdd to named.conf on the zone's primary server (copy %s there, readable\n"
	       "by named only):\n\n"
	       "\tinclude \"%s\";\n\n"
	       "and in the zone \"%s\" statement, either (only the lease records):\n\n"
	       "\tupdate-policy {\n\t\tgrant %s name %s. A TXT;\n\t};\n\n"
	       "or (the whole zone):\n\n"
	       "\tallow-update { key %s; };\n\n",
	       kf, kf, kv_get(&s->out, "DNS_ZONE"), name, record, name);
}

static int check_answer_keys(const setup_t *s, const char *path)
{
	for (size_t i = 0; i < s->answers.n; i++) {
		if (!key_known(s->answers.key[i]) && !is_wizard_key(s->answers.key[i])) {
			const char *c =
				config_closest_key(failover_config_modules, s->answers.key[i]);
			fprintf(stderr, "dnsfailover setup: %s: unknown key %s%s%s\n", path,
				s->answers.key[i], c != NULL ? "; did you mean " : "",
				c != NULL ? c : "");
			return CMD_EXIT_USAGE;
		}
	}
	return CMD_EXIT_OK;
}

static int run_setup(setup_t *s, const char *config_path, const char *answers, const char *out)
{
	if (config_path != NULL && kv_read(&s->file, config_path, true) != DF_OK) {
		return CMD_EXIT_USAGE;
	}
	if (answers != NULL) {
		s->batch = true;
		if (kv_read(&s->answers, answers, false) != DF_OK ||
		    check_answer_keys(s, answers) != CMD_EXIT_OK) {
			return CMD_EXIT_USAGE;
		}
	} else {
		printf("dnsfailover setup: answer each question; Enter takes the default in [],\n"
		       "'-' leaves a key unset, Ctrl-D stops without writing anything.\n\n");
	}
	if (!ask_all(s)) {
		if (s->eof) {
			printf("\n");
			fprintf(stderr, "dnsfailover setup: input ended; nothing was written\n");
		}
		return CMD_EXIT_USAGE;
	}
	/* Answers to keys the questions do not cover are written as given. */
	for (size_t i = 0; i < s->answers.n; i++) {
		if (!is_wizard_key(s->answers.key[i]) &&
		    kv_get(&s->out, s->answers.key[i]) == NULL &&
		    kv_set(&s->out, s->answers.key[i], s->answers.val[i]) != DF_OK) {
			fprintf(stderr, "dnsfailover setup: %s: too many keys\n", answers);
			return CMD_EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < s->out.n; i++) {
		if (!is_wizard_key(s->out.key[i]) && !key_known(s->out.key[i])) {
			fprintf(stderr, "dnsfailover setup: internal: %s is not a key\n",
				s->out.key[i]);
			return CMD_EXIT_FAIL;
		}
	}
	bool bind = strcmp(kv_get(&s->out, "DNS_PROVIDER"), "bind-tsig") == 0;
	const char *gen = kv_get(&s->out, "GENERATE_KEY");
	bool generated = bind && gen != NULL && strcmp(gen, "yes") == 0;
	if (generated) {
		if (kv_get(&s->out, "TSIG_KEYNAME")[0] == '\0') {
			kv_set(&s->out, "TSIG_KEYNAME", key_name(s));
		}
		int rc = generate_key(s);
		if (rc != CMD_EXIT_OK) {
			return rc;
		}
	}
	int rc = write_atomic(out, false, fill_env, s);
	if (rc != CMD_EXIT_OK) {
		return rc;
	}
	printf("Wrote %s (mode 0600)\n", out);
	if (bind) {
		print_named_conf(s, generated);
	}
	printf("Checking it: dnsfailover -c %s validate\n\n", out);
	fflush(stdout);
	rc = cmd_validate(out, s->envp);
	if (rc != CMD_EXIT_OK) {
		printf("\nFix what the FAIL lines above name (edit %s, or run `dnsfailover -c %s "
		       "setup` again), then run `dnsfailover -c %s validate`.\n",
		       out, out, out);
	}
	return rc;
}

int cmd_setup(const char *config_path, const char *answers, const char *out, char *const *envp)
{
	setup_t *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		return CMD_EXIT_FAIL;
	}
	s->envp = envp;
	if (out == NULL) {
		out = config_path != NULL ? config_path : "dnsfailover.env";
	}
	int rc = run_setup(s, config_path, answers, out);
	kv_wipe(&s->file);
	kv_wipe(&s->answers);
	kv_wipe(&s->out);
	free(s);
	return rc;
}
