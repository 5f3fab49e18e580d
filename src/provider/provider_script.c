/*
 * The script provider: the lease is read and written by the operator's own
 * programs, SCRIPT_GET and SCRIPT_SET, with the existing tool's protocol
 * (src/provider/provider_script.h), for DNS systems nothing else supports.
 *
 * The programs run without a shell (proc_spawn_env(): a clean environment
 * plus the DNS_* variables, descriptors 0-2 only, a process group of their
 * own), bounded by SCRIPT_TIMEOUT and the caller's deadline: on timeout the
 * whole group gets SIGTERM, then SIGKILL a second later. They run on the
 * caller's loop (the multi's), watched with loop_child_watch(), so the
 * daemon never waits for one.
 *
 * A script cannot compare and swap: swap runs SCRIPT_GET, compares what it
 * printed with the lease last read, runs SCRIPT_SET, then SCRIPT_GET again
 * to see what was written (ops.atomic_cas is false).
 */
#include "src/provider/provider_script.h"
#include "src/provider/provider.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/proc.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"

#define SCRIPT_ERR_KEEP	 1024 /* bytes of stderr kept for messages */
#define SCRIPT_ERR_SHOWN 240  /* of which quoted in a message */
#define SCRIPT_KILL_MS	 1000 /* SIGTERM, then SIGKILL this much later */
#define SCRIPT_ENV_MAX	 8
#define SCRIPT_ARG_MAX	 6 /* the protocol's arguments after the command's own words */

enum sc_step {
	SC_IDLE,
	SC_GET,	 /* the read */
	SC_PRE,	 /* SCRIPT_GET before a write: compare */
	SC_SET,	 /* SCRIPT_SET */
	SC_BACK, /* SCRIPT_GET after the write */
};

typedef struct script {
	provider_t base;	     /* first: provider_t * and script_t * convert */
	char record[256], zone[256]; /* without their trailing dots */
	/* The operation in flight. */
	enum sc_step step;
	loop_t *loop;
	lease_t *out; /* read: the lease to fill; swap: next */
	bool has_expected;
	lease_version_t expected; /* the version swap compares with */
	char expected_txt[LEASE_MAX_RDATA];
	provider_done_fn done;
	void *arg;
	/* The program in flight. */
	pid_t pid;
	int out_fd, err_fd;
	loop_io_t *out_io, *err_io;
	loop_child_t *child;
	loop_timer_t *timer;
	long timeout_ms;
	bool timed_out, killed;
	char *output; /* SCRIPT_OUTPUT_MAX + 1 */
	size_t out_len;
	bool out_over;
	char err[SCRIPT_ERR_KEEP];
	size_t err_len;
	char argbuf[CONFIG_CMD_MAX];
	char args[SCRIPT_ARG_MAX][256];
	char env[SCRIPT_ENV_MAX][LEASE_MAX_RDATA + 16];
} script_t;

/* ---- What SCRIPT_GET printed ------------------------------------------------- */

static void why_set(char *why, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void why_set(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
}

/* One member: missing, null or "" is absent. */
static int member(json_t *root, const char *key, char *buf, size_t size, bool *present, char *why,
		  size_t why_size)
{
	json_t *v = json_object_get(root, key);
	*present = false;
	if (v == NULL || json_is_null(v)) {
		return DF_OK;
	}
	if (!json_is_string(v)) {
		why_set(why, why_size, "\"%s\" is not a string", key);
		return DF_EMALFORMED;
	}
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (memchr(s, '\0', len) != NULL) {
		why_set(why, why_size, "\"%s\" holds a NUL byte", key);
		return DF_EMALFORMED;
	}
	if (len >= size) {
		why_set(why, why_size, "\"%s\" is too long (%zu bytes, at most %zu)", key, len,
			size - 1);
		return DF_EMALFORMED;
	}
	memcpy(buf, s, len + 1);
	*present = len > 0;
	return DF_OK;
}

int script_parse_output(const char *text, size_t len, script_output_t *out, char *why,
			size_t why_size)
{
	json_error_t jerr;
	char shown[LOG_ESCAPE_SIZE(64)];
	char raw[LEASE_MAX_RDATA];
	int ret = DF_EMALFORMED;
	memset(out, 0, sizeof(*out));
	if (why_size > 0) {
		why[0] = '\0';
	}
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		why_set(why, why_size, "not JSON (line %d column %d: %s)", jerr.line, jerr.column,
			log_escape(shown, sizeof(shown), jerr.text, strlen(jerr.text)));
		goto out;
	}
	if (!json_is_object(root)) {
		why_set(why, why_size, "not a JSON object {\"A\": ..., \"TXT\": ...}");
		goto out;
	}
	if (member(root, "A", out->a, sizeof(out->a), &out->has_a, why, why_size) != DF_OK) {
		goto out;
	}
	struct in_addr addr;
	if (out->has_a && inet_pton(AF_INET, out->a, &addr) != 1) {
		why_set(why, why_size, "\"A\" is not an IPv4 address: \"%s\"",
			log_escape(shown, sizeof(shown), out->a, strlen(out->a)));
		goto out;
	}
	bool has_txt = false;
	if (member(root, "TXT", raw, sizeof(raw), &has_txt, why, why_size) != DF_OK) {
		goto out;
	}
	/* As dig prints it ("\"owner=...\"") or bare: the same text. */
	if (has_txt && provider_txt_decode(raw, strlen(raw), out->txt, sizeof(out->txt)) != DF_OK) {
		why_set(why, why_size, "\"TXT\" is not a TXT value: \"%s\"",
			log_escape(shown, sizeof(shown), raw, strlen(raw)));
		goto out;
	}
	out->has_txt = has_txt;
	ret = DF_OK;
out:
	json_decref(root);
	if (ret != DF_OK) {
		memset(out, 0, sizeof(*out));
	}
	return ret;
}

/* ---- Running a program ------------------------------------------------------- */

static script_t *sp_of(provider_t *p)
{
	return (script_t *)p;
}

static const char *step_key(enum sc_step step)
{
	return step == SC_SET ? "SCRIPT_SET" : "SCRIPT_GET";
}

static const char *step_cmd(const script_t *sp, enum sc_step step)
{
	return step == SC_SET ? sp->base.cfg->script.set_cmd : sp->base.cfg->script.get_cmd;
}

/* Reads what fd has now into buf (kept up to size, the rest dropped). true at EOF. */
static bool drain(int fd, char *buf, size_t size, size_t *used, bool *over)
{
	char chunk[4096];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return errno != EAGAIN && errno != EWOULDBLOCK;
		}
		if (n == 0) {
			return true;
		}
		size_t keep = (size_t)n;
		if (*used + keep > size) {
			keep = size - *used;
			if (over != NULL) {
				*over = true;
			}
		}
		memcpy(buf + *used, chunk, keep);
		*used += keep;
	}
}

static void close_io(loop_io_t **io, int *fd)
{
	loop_io_free(*io);
	*io = NULL;
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static void on_out(loop_io_t *io, int fd, unsigned events, void *arg)
{
	script_t *sp = arg;
	(void)io;
	(void)events;
	if (drain(fd, sp->output, SCRIPT_OUTPUT_MAX, &sp->out_len, &sp->out_over)) {
		close_io(&sp->out_io, &sp->out_fd);
	}
}

static void on_err(loop_io_t *io, int fd, unsigned events, void *arg)
{
	script_t *sp = arg;
	(void)io;
	(void)events;
	if (drain(fd, sp->err, sizeof(sp->err) - 1, &sp->err_len, NULL)) {
		close_io(&sp->err_io, &sp->err_fd);
	}
}

static void on_timeout(loop_timer_t *t, void *arg)
{
	script_t *sp = arg;
	if (!sp->timed_out) {
		sp->timed_out = true;
		proc_kill_group(sp->pid, SIGTERM);
		loop_timer_arm(t, SCRIPT_KILL_MS, 0);
		return;
	}
	sp->killed = true;
	proc_kill_group(sp->pid, SIGKILL);
}

/* Ends what the program left: watches, descriptors, timer; kills it when asked. */
static void program_end(script_t *sp, bool kill_it)
{
	if (sp->child != NULL) {
		loop_child_cancel(sp->child);
		sp->child = NULL;
		if (kill_it && sp->pid > 0) {
			proc_kill_group(sp->pid, SIGKILL);
			/* Killed: this wait is the reaping, not a blocking call. */
			while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR) {
			}
		}
	}
	sp->pid = 0;
	close_io(&sp->out_io, &sp->out_fd);
	close_io(&sp->err_io, &sp->err_fd);
	loop_timer_free(sp->timer);
	sp->timer = NULL;
}

static void finish(script_t *sp, int ret, const df_detail_t *d)
{
	provider_done_fn done = sp->done;
	void *arg = sp->arg;
	program_end(sp, true);
	sp->step = SC_IDLE;
	sp->loop = NULL;
	sp->done = NULL;
	if (done != NULL) {
		done(&sp->base, ret, d, arg);
	}
}

static void on_exit_status(loop_child_t *c, pid_t pid, int status, void *arg);

/* Starts the program of step. On error nothing runs and d says why. */
static int start_step(script_t *sp, enum sc_step step, df_detail_t *d)
{
	const config_t *cfg = sp->base.cfg;
	const char *key = step_key(step);
	char *argv[PROC_MAX_ARGS + 1];
	char *envp[SCRIPT_ENV_MAX + 1];
	size_t ne = 0, na;
	df_detail_t why = {""};

	program_end(sp, true);
	sp->timeout_ms = provider_budget_ms(&sp->base, (long)sp->base.cfg->script.timeout * 1000);
	if (sp->timeout_ms <= 0) {
		df_detail_set(d, "script: no time left before the deadline to run %s", key);
		return DF_ETIMEDOUT;
	}
	int words = proc_split(step_cmd(sp, step), sp->argbuf, sizeof(sp->argbuf), argv, &why);
	if (words <= 0 || words + SCRIPT_ARG_MAX > PROC_MAX_ARGS) {
		df_detail_set(d, "%s: %s", key,
			      why.msg[0] != '\0' ? why.msg : "too many words in the command");
		return DF_ECONFIG;
	}
	na = 0;
	snprintf(sp->args[na++], sizeof(sp->args[0]), "%s", sp->record);
	snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_RECORD=%s", sp->record);
	snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_ZONE=%s", sp->zone);
	snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_TTL=%" PRIu32, cfg->dns_ttl);
	if (step == SC_SET) {
		const lease_t *next = sp->out;
		/* record ip owner expiry ttl zone */
		snprintf(sp->args[na++], sizeof(sp->args[0]), "%s", next->a);
		snprintf(sp->args[na++], sizeof(sp->args[0]), "%s", next->lease.owner);
		snprintf(sp->args[na++], sizeof(sp->args[0]), "%" PRId64, next->lease.exp);
		snprintf(sp->args[na++], sizeof(sp->args[0]), "%" PRIu32, cfg->dns_ttl);
		snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_IP=%s", next->a);
		snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_OWNER=%s", next->lease.owner);
		snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_EXPIRY=%" PRId64, next->lease.exp);
		snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_EPOCH=%" PRIu64,
			 next->lease.epoch);
		snprintf(sp->env[ne++], sizeof(sp->env[0]), "DNS_TXT=%s", next->txt);
	}
	snprintf(sp->args[na++], sizeof(sp->args[0]), "%s", sp->zone);
	for (size_t i = 0; i < na; i++) {
		argv[words++] = sp->args[i];
	}
	argv[words] = NULL;
	for (size_t i = 0; i < ne; i++) {
		envp[i] = sp->env[i];
	}
	envp[ne] = NULL;

	sp->out_len = 0;
	sp->out_over = false;
	sp->err_len = 0;
	sp->timed_out = false;
	sp->killed = false;
	int ret = proc_spawn_env(argv, envp, &sp->pid, &sp->out_fd, &sp->err_fd, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s", key);
		sp->pid = 0;
		return ret;
	}
	ret = loop_child_watch(sp->loop, &sp->child, sp->pid, on_exit_status, sp);
	if (ret == DF_OK) {
		ret = loop_io_new(sp->loop, &sp->out_io, sp->out_fd, LOOP_READ, on_out, sp);
	}
	if (ret == DF_OK) {
		ret = loop_io_new(sp->loop, &sp->err_io, sp->err_fd, LOOP_READ, on_err, sp);
	}
	if (ret == DF_OK) {
		ret = loop_timer_new(sp->loop, &sp->timer, on_timeout, sp);
	}
	if (ret != DF_OK) {
		if (sp->child == NULL && sp->pid > 0) {
			proc_kill_group(sp->pid, SIGKILL);
			while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR) {
			}
			sp->pid = 0;
		}
		program_end(sp, true);
		df_detail_set(d, "script: cannot watch %s on the event loop: %s", key,
			      df_strerror(ret));
		return ret;
	}
	loop_timer_arm(sp->timer, sp->timeout_ms, 0);
	sp->step = step;
	return DF_OK;
}

/* "PROGRAM: " and the first of what it wrote on stderr, escaped, for a message. */
static void describe(const script_t *sp, char *buf, size_t size)
{
	char shown[LOG_ESCAPE_SIZE(SCRIPT_ERR_SHOWN)];
	size_t len = sp->err_len;
	while (len > 0 && (sp->err[len - 1] == '\n' || sp->err[len - 1] == '\r')) {
		len--;
	}
	char prog[256];
	snprintf(prog, sizeof(prog), "%.*s", (int)strcspn(step_cmd(sp, sp->step), " \t"),
		 step_cmd(sp, sp->step));
	if (len == 0) {
		snprintf(buf, size, "%s (%s), nothing on stderr", step_key(sp->step), prog);
		return;
	}
	log_escape(shown, sizeof(shown), sp->err, len < SCRIPT_ERR_SHOWN ? len : SCRIPT_ERR_SHOWN);
	snprintf(buf, size, "%s (%s), stderr: \"%s%s\"", step_key(sp->step), prog, shown,
		 len > SCRIPT_ERR_SHOWN ? "..." : "");
}

/* The version of a lease read through SCRIPT_GET: its A and TXT as printed. */
static void version_of(const script_output_t *o, lease_version_t *v)
{
	int n = snprintf((char *)v->bytes, sizeof(v->bytes), "A=%s\nTXT=%s", o->has_a ? o->a : "",
			 o->has_txt ? o->txt : "");
	v->len = n > 0 && (size_t)n < sizeof(v->bytes) ? (size_t)n : sizeof(v->bytes) - 1;
}

static void lease_of(const script_t *sp, const script_output_t *o, lease_t *l)
{
	memset(l, 0, sizeof(*l));
	if (o->has_a) {
		provider_lease_add_a(l, o->a);
	}
	if (o->has_txt) {
		provider_lease_set_txt(l, o->txt, strlen(o->txt));
	}
	version_of(o, &l->version);
	snprintf(l->server, sizeof(l->server), "%.*s", (int)sizeof(l->server) - 1,
		 sp->base.cfg->script.get_cmd);
}

/* After SCRIPT_SET: is what SCRIPT_GET prints now what was written? */
static int check_back(script_t *sp, const script_output_t *o, df_detail_t *d)
{
	lease_t *next = sp->out;
	char shown[LOG_ESCAPE_SIZE(64)];
	lease_t *now = calloc(1, sizeof(*now));
	if (now == NULL) {
		return DF_ENOMEM;
	}
	lease_of(sp, o, now);
	bool a_ok = !next->has_a || (now->has_a && strcmp(now->a, next->a) == 0);
	int ret = DF_OK;
	if (a_ok && lease_value_same_txt(now, next)) {
		next->version = now->version;
	} else if (a_ok && now->txt_valid && strcmp(now->lease.owner, next->lease.owner) == 0 &&
		   now->lease.exp == next->lease.exp && now->lease.epoch == 0) {
		/* The set script wrote the TXT from its arguments, without the
		 * epoch: that lease is epoch 0, and what we now hold. */
		log_debug("script: SCRIPT_SET wrote the lease without its epoch; it reads as "
			  "epoch 0");
		snprintf(next->txt, sizeof(next->txt), "%s", now->txt);
		next->lease = now->lease;
		next->version = now->version;
	} else if (sp->has_expected && now->version.len == sp->expected.len &&
		   memcmp(now->version.bytes, sp->expected.bytes, now->version.len) == 0) {
		df_detail_set(d,
			      "script: SCRIPT_SET exited 0 but SCRIPT_GET still prints the old "
			      "lease (\"%s\"): check that the set script writes what the get "
			      "script reads",
			      log_escape(shown, sizeof(shown), now->txt, strlen(now->txt)));
		ret = DF_ERCODE;
	} else {
		df_detail_set(
			d,
			"script: after SCRIPT_SET, SCRIPT_GET prints A %s and TXT \"%s\", not "
			"what was written (A %s, \"%s\"): someone else wrote, or the set "
			"script does not write what the get script reads",
			now->has_a ? now->a : "none",
			log_escape(shown, sizeof(shown), now->txt, strlen(now->txt)), next->a,
			next->txt);
		ret = DF_ECONFLICT;
	}
	free(now);
	return ret;
}

/* SCRIPT_GET before the write: the lease must be the one last read. */
static int check_pre(script_t *sp, const script_output_t *o, df_detail_t *d)
{
	lease_version_t now;
	char shown[LOG_ESCAPE_SIZE(64)], exp_shown[LOG_ESCAPE_SIZE(64)];
	version_of(o, &now);
	if (!sp->has_expected) {
		if (o->has_txt) {
			df_detail_set(d,
				      "script: expected no lease, SCRIPT_GET prints TXT \"%s\" "
				      "(someone else wrote it)",
				      log_escape(shown, sizeof(shown), o->txt, strlen(o->txt)));
			return DF_ECONFLICT;
		}
		return DF_OK;
	}
	if (now.len != sp->expected.len || memcmp(now.bytes, sp->expected.bytes, now.len) != 0) {
		df_detail_set(d,
			      "script: the lease changed since it was read: expected TXT \"%s\", "
			      "SCRIPT_GET prints \"%s\"",
			      log_escape(exp_shown, sizeof(exp_shown), sp->expected_txt,
					 strlen(sp->expected_txt)),
			      o->has_txt ? log_escape(shown, sizeof(shown), o->txt, strlen(o->txt))
					 : "(nothing)");
		return DF_ECONFLICT;
	}
	return DF_OK;
}

static void on_exit_status(loop_child_t *c, pid_t pid, int status, void *arg)
{
	script_t *sp = arg;
	df_detail_t d = {""};
	char what[LOG_ESCAPE_SIZE(SCRIPT_ERR_SHOWN) + 600];
	script_output_t *o = NULL;
	enum sc_step was = sp->step;
	bool write = was == SC_SET;
	int ret = DF_OK;
	(void)c;
	(void)pid;
	sp->child = NULL; /* reaped; the watch goes when we return */
	sp->pid = 0;
	/* What it wrote before it exited is in the pipes. */
	if (sp->out_fd >= 0) {
		drain(sp->out_fd, sp->output, SCRIPT_OUTPUT_MAX, &sp->out_len, &sp->out_over);
	}
	if (sp->err_fd >= 0) {
		drain(sp->err_fd, sp->err, sizeof(sp->err) - 1, &sp->err_len, NULL);
	}
	sp->err[sp->err_len] = '\0';
	describe(sp, what, sizeof(what));
	if (sp->timed_out) {
		df_detail_set(&d,
			      "%s did not finish within %ld s: killed it and its process group "
			      "(SCRIPT_TIMEOUT=%u)%s",
			      what, (sp->timeout_ms + 999) / 1000, sp->base.cfg->script.timeout,
			      write ? "; it may have written part of the lease: read again" : "");
		ret = write ? DF_EUNKNOWN : DF_ETIMEDOUT;
		goto fail;
	}
	if (proc_exec_failed(status, sp->err)) {
		df_detail_set(&d, "%s: cannot be run: check the path and its execute permission",
			      what);
		ret = DF_ECONFIG;
		goto fail;
	}
	if (status != 0) {
		df_detail_set(&d, "%s exited with status %d%s", what, status,
			      write ? "; it may have written part of the lease: read again" : "");
		ret = write ? DF_EUNKNOWN : DF_ERCODE;
		goto fail;
	}
	if (write) {
		ret = start_step(sp, SC_BACK, &d);
		if (ret != DF_OK) {
			df_detail_prefix(&d, "SCRIPT_SET exited 0, but");
			ret = DF_EUNKNOWN;
			goto fail;
		}
		return;
	}
	o = malloc(sizeof(*o));
	if (o == NULL) {
		ret = DF_ENOMEM;
		goto fail;
	}
	char why[256];
	if (sp->out_over) {
		df_detail_set(&d, "%s printed more than %d bytes", what, SCRIPT_OUTPUT_MAX);
		ret = DF_ERCODE;
	} else if (script_parse_output(sp->output, sp->out_len, o, why, sizeof(why)) != DF_OK) {
		df_detail_set(&d, "%s printed %s, not {\"A\": \"<ip>\", \"TXT\": \"<lease>\"}: %s",
			      what, sp->out_len == 0 ? "nothing" : "something else", why);
		ret = DF_ERCODE;
	}
	if (ret != DF_OK) {
		if (was == SC_BACK) {
			df_detail_prefix(&d,
					 "SCRIPT_SET exited 0, but reading the lease back failed");
			ret = DF_EUNKNOWN;
		}
		goto fail;
	}
	switch (was) {
	case SC_GET:
		lease_of(sp, o, sp->out);
		if (!o->has_txt) {
			df_detail_set(&d, "no lease TXT: SCRIPT_GET prints no \"TXT\" for %s",
				      sp->record);
			ret = DF_ENOTFOUND;
		}
		break;
	case SC_PRE:
		ret = check_pre(sp, o, &d);
		if (ret == DF_OK) {
			ret = start_step(sp, SC_SET, &d);
			if (ret == DF_OK) {
				free(o);
				return;
			}
		}
		break;
	case SC_BACK:
		ret = check_back(sp, o, &d);
		break;
	default:
		ret = DF_EINVAL;
		break;
	}
fail:
	free(o);
	finish(sp, ret, &d);
}

/* ---- The provider ------------------------------------------------------------ */

static int op_begin(script_t *sp, http_multi_t *m, lease_t *out, enum sc_step first,
		    provider_done_fn done, void *arg)
{
	df_detail_t d = {""};
	if (sp->step != SC_IDLE || m == NULL || out == NULL || done == NULL) {
		return DF_EINVAL;
	}
	sp->loop = http_multi_loop(m);
	sp->out = out;
	sp->done = done;
	sp->arg = arg;
	int ret = start_step(sp, first, &d);
	if (ret != DF_OK) {
		sp->loop = NULL;
		sp->done = NULL;
		sp->step = SC_IDLE;
		log_warn("%s", d.msg);
	}
	return ret;
}

static int sc_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			 void *arg)
{
	return op_begin(sp_of(p), m, out, SC_GET, done, arg);
}

static int sc_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			 provider_done_fn done, void *arg)
{
	script_t *sp = sp_of(p);
	if (next == NULL || !next->has_a || lease_value_format(next) != DF_OK ||
	    sp->step != SC_IDLE) {
		return DF_EINVAL;
	}
	sp->has_expected = expected != NULL && expected->has_txt;
	sp->expected.len = 0;
	sp->expected_txt[0] = '\0';
	if (sp->has_expected) {
		sp->expected = expected->version;
		snprintf(sp->expected_txt, sizeof(sp->expected_txt), "%s", expected->txt);
	}
	next->version.len = 0;
	return op_begin(sp, m, next, SC_PRE, done, arg);
}

static void sc_cancel(provider_t *p)
{
	script_t *sp = sp_of(p);
	if (sp->step == SC_IDLE) {
		return;
	}
	program_end(sp, true);
	sp->step = SC_IDLE;
	sp->loop = NULL;
	sp->done = NULL;
}

/* Whether prog can be executed: the path itself, or found in PATH as execvp() would. */
static bool runnable(const char *prog)
{
	if (strchr(prog, '/') != NULL) {
		return access(prog, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (path == NULL || path[0] == '\0') {
		path = PROC_DEFAULT_PATH;
	}
	for (const char *dir = path; *dir != '\0';) {
		size_t n = strcspn(dir, ":");
		char full[1024];
		snprintf(full, sizeof(full), "%.*s/%s", (int)n, n > 0 ? dir : ".", prog);
		if (access(full, X_OK) == 0) {
			return true;
		}
		dir += n + (dir[n] == ':' ? 1 : 0);
	}
	return false;
}

static int sc_check(provider_t *p, provider_report_fn fn, void *arg, df_detail_t *d)
{
	script_t *sp = sp_of(p);
	char line[1200];
	const config_t *cfg = p->cfg;
	/* The programs exist and may be run. */
	const char *cmds[] = {cfg->script.set_cmd, cfg->script.get_cmd};
	const char *keys[] = {"SCRIPT_SET", "SCRIPT_GET"};
	int ret = DF_OK;
	for (int i = 0; i < 2; i++) {
		char buf[CONFIG_CMD_MAX];
		char *argv[PROC_MAX_ARGS + 1];
		df_detail_t why = {""};
		bool ok =
			proc_split(cmds[i], buf, sizeof(buf), argv, &why) > 0 && runnable(argv[0]);
		snprintf(line, sizeof(line), "%s %s %s", keys[i], argv[0] != NULL ? argv[0] : "",
			 ok ? "is executable" : "cannot be run: check the path and its mode");
		if (fn != NULL) {
			fn(arg, ok, line);
		}
		if (!ok && ret == DF_OK) {
			df_detail_set(d, "%s", line);
			ret = DF_ECONFIG;
		}
	}
	/* SCRIPT_GET answers with the protocol's JSON. */
	lease_t *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		return DF_ENOMEM;
	}
	df_detail_t sub = {""};
	int rr = provider_read(p, l, &sub);
	bool ok = rr == DF_OK || rr == DF_ENOTFOUND;
	snprintf(line, sizeof(line), "SCRIPT_GET %s %s prints the lease%s%s", sp->record, sp->zone,
		 rr == DF_ENOTFOUND ? " (none yet: run init)" : "", ok ? "" : ": ");
	if (!ok) {
		size_t used = strlen(line);
		snprintf(line + used, sizeof(line) - used, "%s", sub.msg);
	}
	if (fn != NULL) {
		fn(arg, ok, line);
	}
	if (!ok && ret == DF_OK) {
		df_detail_set(d, "%s", sub.msg);
		ret = rr;
	}
	free(l);
	return ret;
}

static void sc_free(provider_t *p)
{
	script_t *sp = sp_of(p);
	sc_cancel(p);
	free(sp->output);
	free(sp);
}

static const provider_ops_t script_ops = {
	.id = "script",
	.atomic_cas = false,
	.cas_note = "a script cannot compare and swap: each write runs SCRIPT_GET, compares it "
		    "with the lease last read, runs SCRIPT_SET and reads back, so a write by "
		    "another writer between the compare and the set is overwritten and only "
		    "noticed at that writer's next read",
	.read_begin = sc_read_begin,
	.swap_begin = sc_swap_begin,
	.cancel = sc_cancel,
	.check = sc_check,
	.free = sc_free,
};

int provider_script_new(provider_t **out, const config_t *cfg, df_detail_t *d)
{
	if (out == NULL || cfg == NULL) {
		return DF_EINVAL;
	}
	if (cfg->script.set_cmd[0] == '\0' || cfg->script.get_cmd[0] == '\0') {
		df_detail_set(d, "DNS_PROVIDER=script needs SCRIPT_SET and SCRIPT_GET");
		return DF_ECONFIG;
	}
	script_t *sp = calloc(1, sizeof(*sp));
	char *output = malloc(SCRIPT_OUTPUT_MAX + 1);
	if (sp == NULL || output == NULL) {
		free(sp);
		free(output);
		return DF_ENOMEM;
	}
	sp->base.ops = &script_ops;
	sp->base.cfg = cfg;
	sp->output = output;
	sp->out_fd = -1;
	sp->err_fd = -1;
	provider_name_bare(sp->record, sizeof(sp->record), cfg->record);
	provider_name_bare(sp->zone, sizeof(sp->zone), cfg->zone);
	*out = &sp->base;
	return DF_OK;
}
