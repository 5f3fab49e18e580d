/*
 * The watcher's state machine against a backend the test controls, and the
 * command and systemd backends against real programs: shell scripts with
 * the LSB status codes, and a stand-in systemctl on PATH that keeps unit
 * state and answers with systemctl's exit codes (0 active, 3 inactive,
 * 5 unit not found on start/stop).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "src/common/clock.h"
#include "src/failover/config_modules.h"
#include "src/watch/watcher.h"

/* ----------------------------------------------------------- fake backend */

typedef struct fake {
	watch_backend_t base;
	bool running;
	int status_calls, start_calls, stop_calls;
	bool fail_status, fail_action;
} fake_t;

static int fake_status(watch_backend_t *b, bool *running, df_detail_t *d)
{
	fake_t *f = (fake_t *)b;
	f->status_calls++;
	if (f->fail_status) {
		df_detail_set(d, "status broken");
		return DF_ENETWORK;
	}
	*running = f->running;
	return DF_OK;
}

static int fake_act(watch_backend_t *b, bool start, df_detail_t *d)
{
	fake_t *f = (fake_t *)b;
	*(start ? &f->start_calls : &f->stop_calls) += 1;
	if (f->fail_action) {
		df_detail_set(d, "action broken");
		return DF_ERANGE;
	}
	f->running = start;
	return DF_OK;
}

static int fake_start(watch_backend_t *b, df_detail_t *d)
{
	return fake_act(b, true, d);
}

static int fake_stop(watch_backend_t *b, df_detail_t *d)
{
	return fake_act(b, false, d);
}

static void fake_free(watch_backend_t *b)
{
	(void)b; /* owned by the test */
}

static const watch_backend_ops_t fake_ops = {
	.name = "fake",
	.status = fake_status,
	.start = fake_start,
	.stop = fake_stop,
	.free = fake_free,
};

/* ---------------------------------------------- fake backend on the loop */

/* Operations begin and end when the test says: one in flight at a time. */
typedef struct slow {
	watch_backend_t base;
	bool busy;
	enum watch_verb verb;
	watch_done_cb done;
	void *arg;
	int begun[3], cancelled;
} slow_t;

static int slow_begin(watch_backend_t *b, loop_t *loop, enum watch_verb verb, watch_done_cb done,
		      void *arg, df_detail_t *d)
{
	(void)loop;
	(void)d;
	slow_t *s = (slow_t *)b;
	assert_false(s->busy);
	s->busy = true;
	s->verb = verb;
	s->done = done;
	s->arg = arg;
	s->begun[verb]++;
	return DF_OK;
}

static void slow_cancel(watch_backend_t *b)
{
	slow_t *s = (slow_t *)b;
	if (s->busy) {
		s->busy = false;
		s->cancelled++;
	}
}

/* Ends the operation in flight, which must be verb. */
static void slow_finish(slow_t *s, enum watch_verb verb, int ret, bool running)
{
	assert_true(s->busy);
	assert_int_equal(s->verb, verb);
	s->busy = false;
	s->done(s->arg, verb, ret, running, ret == DF_OK ? "" : "it broke");
}

static const watch_backend_ops_t slow_ops = {
	.name = "slow",
	.status = fake_status, /* not called on the loop */
	.start = fake_start,
	.stop = fake_stop,
	.begin = slow_begin,
	.cancel = slow_cancel,
	.free = fake_free,
};

/* A step-down while the start is in flight kills it and stops at once. */
static void start_in_flight_is_cancelled_by_a_step_down(void **state)
{
	(void)state;
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	slow_t s = {.base = {.ops = &slow_ops}};
	watcher_t *w = NULL;
	assert_int_equal(watcher_new(&w, &s.base, "collector"), DF_OK);
	watcher_set_loop(w, loop);

	assert_int_equal(watcher_apply(w, true, 1000), INT64_MAX);
	assert_true(watcher_busy(w));
	slow_finish(&s, WATCH_STATUS, DF_OK, false);
	assert_int_equal(s.begun[WATCH_START], 1); /* and it hangs */
	watcher_apply(w, true, 2000);		   /* the next tick waits for it */
	assert_int_equal(s.begun[WATCH_START], 1);
	assert_int_equal(s.begun[WATCH_STATUS], 1);

	watcher_apply(w, false, 3000); /* the step-down */
	assert_int_equal(s.cancelled, 1);
	assert_int_equal(s.begun[WATCH_STOP], 1);
	slow_finish(&s, WATCH_STOP, DF_OK, false);
	assert_false(watcher_busy(w));
	watcher_counts_t c;
	watcher_get_counts(w, &c);
	assert_int_equal(c.start_ok, 0);
	assert_int_equal(c.start_failed, 1);
	assert_int_equal(c.stop_ok, 1);
	watcher_free(w);
	loop_free(loop);
}

/* A stop in flight when the site turns active again is let finish; then
 * the new goal is followed from a fresh status. */
static void stop_in_flight_is_let_finish(void **state)
{
	(void)state;
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	slow_t s = {.base = {.ops = &slow_ops}};
	watcher_t *w = NULL;
	assert_int_equal(watcher_new(&w, &s.base, "collector"), DF_OK);
	watcher_set_loop(w, loop);
	watcher_apply(w, false, 1000);
	slow_finish(&s, WATCH_STATUS, DF_OK, true);
	assert_int_equal(s.begun[WATCH_STOP], 1);
	watcher_apply(w, true, 2000);
	assert_int_equal(s.cancelled, 0);
	slow_finish(&s, WATCH_STOP, DF_OK, false);
	assert_int_equal(s.begun[WATCH_STATUS], 2);
	slow_finish(&s, WATCH_STATUS, DF_OK, false);
	assert_int_equal(s.begun[WATCH_START], 1);
	slow_finish(&s, WATCH_START, DF_OK, true);
	assert_false(watcher_busy(w));
	/* A failed start backs off as the blocking form does. */
	watcher_apply(w, false, 3000);
	slow_finish(&s, WATCH_STATUS, DF_OK, true);
	slow_finish(&s, WATCH_STOP, DF_ERANGE, true);
	watcher_counts_t c;
	watcher_get_counts(w, &c);
	assert_int_equal(c.stop_failed, 1);
	/* on_done ran at clock_mono_ms(): the retry is 2 s after that. */
	int64_t now = clock_mono_ms();
	int64_t retry = watcher_apply(w, false, now);
	assert_true(retry > now && retry <= now + 2000);
	assert_false(watcher_busy(w));
	assert_int_equal(s.begun[WATCH_STATUS], 3);
	watcher_free(w);
	loop_free(loop);
}

static void acts_only_on_a_difference(void **state)
{
	(void)state;
	fake_t f = {.base = {.ops = &fake_ops}};
	watcher_t *w = NULL;
	assert_int_equal(watcher_new(&w, &f.base, "collector"), DF_OK);
	assert_int_equal(watcher_apply(w, true, 1000), INT64_MAX);
	assert_int_equal(f.start_calls, 1);
	assert_true(f.running);
	/* Already running: checked, not restarted. */
	assert_int_equal(watcher_apply(w, true, 2000), INT64_MAX);
	assert_int_equal(f.start_calls, 1);
	assert_int_equal(f.status_calls, 2);
	/* Stopped by hand while it should run: started again. */
	f.running = false;
	watcher_apply(w, true, 3000);
	assert_int_equal(f.start_calls, 2);
	/* Started by hand while it should not run: stopped. */
	watcher_apply(w, false, 4000);
	assert_int_equal(f.stop_calls, 1);
	assert_false(f.running);
	watcher_counts_t c;
	watcher_get_counts(w, &c);
	assert_int_equal(c.start_ok, 2);
	assert_int_equal(c.stop_ok, 1);
	watcher_free(w);
}

static void failed_actions_back_off(void **state)
{
	(void)state;
	fake_t f = {.base = {.ops = &fake_ops}, .fail_action = true};
	watcher_t *w = NULL;
	assert_int_equal(watcher_new(&w, &f.base, "collector"), DF_OK);
	assert_int_equal(watcher_apply(w, true, 1000), 3000); /* 2 s */
	/* Before the retry instant: nothing is tried. */
	assert_int_equal(watcher_apply(w, true, 2000), 3000);
	assert_int_equal(f.start_calls, 1);
	assert_int_equal(watcher_apply(w, true, 3000), 7000);  /* 4 s */
	assert_int_equal(watcher_apply(w, true, 7000), 15000); /* 8 s */
	assert_int_equal(f.start_calls, 3);
	/* Capped at 60 s. */
	int64_t t = 15000;
	for (int i = 0; i < 10; i++) {
		t = watcher_apply(w, true, t);
	}
	assert_int_equal(watcher_apply(w, true, t) - t, 60000);
	/* A new goal is tried at once, whatever the backoff. */
	f.fail_action = false;
	f.running = true;
	assert_int_equal(watcher_apply(w, false, t + 1), INT64_MAX);
	assert_false(f.running);
	watcher_counts_t c;
	watcher_get_counts(w, &c);
	assert_true(c.start_failed >= 3);
	assert_int_equal(c.stop_ok, 1);
	watcher_free(w);
}

static void unreadable_state_is_not_acted_on(void **state)
{
	(void)state;
	fake_t f = {.base = {.ops = &fake_ops}, .fail_status = true};
	watcher_t *w = NULL;
	assert_int_equal(watcher_new(&w, &f.base, "collector"), DF_OK);
	assert_int_equal(watcher_apply(w, true, 1000), 3000);
	assert_int_equal(f.start_calls, 0);
	watcher_free(w);
}

/* --------------------------------------------- command and systemd backends */

static char dir[64];

static void write_exec(const char *name, const char *body)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, 0755);
}

static int setup_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/dnsfailover-watch.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static config_t *config_for(const char *extra)
{
	static config_t cfg;
	char text[2048];
	snprintf(text, sizeof(text),
		 "ROLE=dr\nDNS_PROVIDER=dry-run\nDNS_ZONE=example.test\n"
		 "DNS_RECORD=lease.example.test\nPRIMARY_IP=192.0.2.10\nDR_IP=192.0.2.20\n%s",
		 extra);
	df_detail_t d = {""};
	if (config_parse_text(&cfg, failover_config_modules, text, strlen(text), "t.env", &d) !=
	    DF_OK) {
		fail_msg("config: %s", d.msg);
	}
	return &cfg;
}

static void command_backend_lsb_status(void **state)
{
	(void)state;
	char text[1024];
	write_exec("svc", "case \"$1\" in status) exit $(cat "
			  "\"$(dirname \"$0\")/code\");;\n"
			  "start|stop) echo \"$1 done\"; exit 0;; esac; exit 2\n");
	snprintf(text, sizeof(text),
		 "WATCH_MODE=command\nWATCH_START_CMD=%s/svc start\nWATCH_STOP_CMD=%s/svc stop\n"
		 "WATCH_STATUS_CMD=%s/svc status\nWATCH_CMD_TIMEOUT=5\n",
		 dir, dir, dir);
	watch_backend_t *b = NULL;
	df_detail_t d = {""};
	assert_int_equal(watch_backend_new(&b, config_for(text), &d), DF_OK);
	assert_string_equal(b->ops->name, "command");
	static const struct {
		const char *code;
		int ret;
		bool running;
	} cases[] = {
		{"0", DF_OK, true},  {"1", DF_OK, false},     {"2", DF_OK, false},
		{"3", DF_OK, false}, {"4", DF_ERANGE, false},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[128];
		snprintf(path, sizeof(path), "%s/code", dir);
		FILE *f = fopen(path, "w");
		fprintf(f, "%s\n", cases[i].code);
		fclose(f);
		bool running = !cases[i].running;
		assert_int_equal(b->ops->status(b, &running, &d), cases[i].ret);
		if (cases[i].ret == DF_OK) {
			assert_int_equal(running, cases[i].running);
		}
	}
	assert_int_equal(b->ops->start(b, &d), DF_OK);
	watch_backend_free(b);
}

/* Runs loop until pred(arg) holds, or timeout_ms; returns whether it held. */
typedef struct until {
	loop_t *loop;
	bool (*pred)(void *arg);
	void *arg;
	int64_t deadline;
	bool held;
} until_t;

static void until_tick(loop_timer_t *t, void *arg)
{
	until_t *u = arg;
	(void)t;
	u->held = u->pred(u->arg);
	if (u->held || clock_mono_ms() >= u->deadline) {
		loop_stop(u->loop);
	}
}

static bool run_until(loop_t *loop, bool (*pred)(void *), void *arg, int timeout_ms)
{
	until_t u = {loop, pred, arg, clock_mono_ms() + timeout_ms, false};
	loop_timer_t *t = NULL;
	assert_int_equal(loop_timer_new(loop, &t, until_tick, &u), DF_OK);
	loop_timer_arm(t, 0, 10);
	assert_int_equal(loop_run(loop), DF_OK);
	loop_timer_free(t);
	return u.held;
}

static bool file_there(void *name)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, (const char *)name);
	return access(path, F_OK) == 0;
}

static bool stopped_and_idle(void *w)
{
	return file_there("stopped") && !watcher_busy(w);
}

/* A process that is gone or only a zombie waiting for its reaper. */
static bool dead(pid_t pid)
{
	char path[64], text[256] = "";
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		return true;
	}
	size_t n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	const char *close = strrchr(text, ')');
	return close != NULL && close[1] == ' ' && close[2] == 'Z';
}

/* The command backend on a real loop: a start that hangs is killed, with
 * what it started, the moment the site steps down, and the stop runs
 * at once; the loop is never held by the program. */
static void hung_start_is_killed_on_step_down(void **state)
{
	(void)state;
	char text[1024];
	write_exec("hang", "d=$(dirname \"$0\")\n"
			   "case \"$1\" in\n"
			   "status) exit 3;;\n"
			   "start) sleep 300 & echo $! >\"$d/sleep.pid\"; wait;;\n"
			   "stop) echo stopped >\"$d/stopped\";;\n"
			   "esac\n");
	snprintf(text, sizeof(text),
		 "WATCH_MODE=command\nWATCH_START_CMD=%s/hang start\nWATCH_STOP_CMD=%s/hang stop\n"
		 "WATCH_STATUS_CMD=%s/hang status\nWATCH_CMD_TIMEOUT=60\n",
		 dir, dir, dir);
	char path[128];
	snprintf(path, sizeof(path), "%s/sleep.pid", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/stopped", dir);
	unlink(path);
	watch_backend_t *b = NULL;
	df_detail_t d = {""};
	assert_int_equal(watch_backend_new(&b, config_for(text), &d), DF_OK);
	watcher_t *w = NULL;
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	assert_int_equal(watcher_new(&w, b, "collector"), DF_OK);
	watcher_set_loop(w, loop);

	watcher_apply(w, true, clock_mono_ms());
	assert_true(run_until(loop, file_there, "sleep.pid", 5000));
	assert_true(watcher_busy(w)); /* the start hangs */
	snprintf(path, sizeof(path), "%s/sleep.pid", dir);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int pid = 0;
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);

	int64_t t0 = clock_mono_ms();
	watcher_apply(w, false, t0);
	assert_true(run_until(loop, stopped_and_idle, w, 5000));
	int64_t took = clock_mono_ms() - t0;
	assert_true(took < 1000);
	assert_true(dead(pid)); /* killed with the start's process group */
	watcher_counts_t c;
	watcher_get_counts(w, &c);
	assert_int_equal(c.start_failed, 1);
	assert_int_equal(c.stop_ok, 1);
	watcher_free(w);
	loop_free(loop);
}

/* A unix socket that takes connections into its backlog and never answers. */
static int listen_silent(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static bool idle(void *w)
{
	return !watcher_busy(w);
}

/* A timer that notes when it fired. */
static void on_mark(loop_timer_t *t, void *arg)
{
	(void)t;
	*(int64_t *)arg = clock_mono_ms();
}

/* The Docker backend on a loop: a daemon that never answers costs a watched
 * socket, not the loop; a timer armed meanwhile fires on time. */
static void docker_on_a_silent_socket_does_not_hold_the_loop(void **state)
{
	(void)state;
	char path[128], text[512];
	snprintf(path, sizeof(path), "%s/docker.sock", dir);
	int lfd = listen_silent(path);
	snprintf(text, sizeof(text),
		 "WATCH_MODE=docker\nOTEL_CONTAINER=otel-collector\nDOCKER_HOST=unix://%s\n", path);
	watch_backend_t *b = NULL;
	df_detail_t d = {""};
	assert_int_equal(watch_backend_new(&b, config_for(text), &d), DF_OK);
	b->timeout_ms = 300;
	loop_t *loop = NULL;
	assert_int_equal(loop_new(&loop), DF_OK);
	watcher_t *w = NULL;
	assert_int_equal(watcher_new(&w, b, "collector"), DF_OK);
	watcher_set_loop(w, loop);

	int64_t fired = 0;
	loop_timer_t *t = NULL;
	assert_int_equal(loop_timer_new(loop, &t, on_mark, &fired), DF_OK);
	int64_t t0 = clock_mono_ms();
	assert_int_equal(watcher_apply(w, true, t0), INT64_MAX); /* at once */
	assert_true(clock_mono_ms() - t0 < 50);
	assert_true(watcher_busy(w));
	int64_t armed = clock_mono_ms();
	loop_timer_arm(t, 100, 0);
	assert_true(run_until(loop, idle, w, 3000));
	int64_t took = clock_mono_ms() - t0;
	if (fired - armed < 100 || fired - armed >= 120) {
		fail_msg("a 100 ms timer fired after %lld ms while the inspect was in flight",
			 (long long)(fired - armed));
	}
	if (took < 250 || took > 800) {
		fail_msg("the silent inspect ended after %lld ms, expected about 300",
			 (long long)took);
	}
	/* The state could not be read: nothing was started, a retry is due. */
	watcher_counts_t c;
	watcher_get_counts(w, &c);
	assert_int_equal(c.start_ok + c.start_failed, 0);
	int64_t now = clock_mono_ms();
	int64_t retry = watcher_apply(w, true, now);
	assert_true(retry > now && retry <= now + 2000);

	/* A step-down begins a fresh inspect; the loop stops while it is in
	 * flight, and the loop is freed before the watcher, as the daemon does. */
	watcher_apply(w, false, now);
	assert_true(watcher_busy(w));
	fired = 0;
	loop_timer_arm(t, 50, 0);
	run_until(loop, idle, w, 60);
	assert_true(watcher_busy(w));
	watcher_set_loop(w, NULL);
	assert_false(watcher_busy(w));
	loop_timer_free(t);
	loop_free(loop);
	watcher_free(w);
	close(lfd);
	unlink(path);
}

static void command_backend_needs_its_commands(void **state)
{
	(void)state;
	watch_backend_t *b = NULL;
	df_detail_t d = {""};
	assert_int_equal(
		watch_backend_new(&b, config_for("WATCH_MODE=command\nWATCH_START_CMD=x\n"), &d),
		DF_ECONFIG);
	assert_non_null(strstr(d.msg, "WATCH_MODE=command needs WATCH_STOP_CMD"));
	assert_int_equal(watch_backend_new(&b,
					   config_for("WATCH_MODE=command\nWATCH_START_CMD=x 'y\n"
						      "WATCH_STOP_CMD=x\nWATCH_STATUS_CMD=x\n"),
					   &d),
			 DF_ECONFIG);
	assert_non_null(strstr(d.msg, "WATCH_START_CMD"));
	assert_non_null(strstr(d.msg, "unbalanced"));
	/* The backend says what it runs, for the log. */
	assert_int_equal(
		watch_backend_new(&b,
				  config_for("WATCH_MODE=command\n"
					     "WATCH_START_CMD=/etc/init.d/otelcol start\n"
					     "WATCH_STOP_CMD=/etc/init.d/otelcol stop\n"
					     "WATCH_STATUS_CMD=/etc/init.d/otelcol status\n"),
				  &d),
		DF_OK);
	assert_string_equal(b->what, "commands of /etc/init.d/otelcol");
	watch_backend_free(b);
	assert_int_equal(watch_backend_new(&b, config_for(""), &d), DF_OK);
	assert_null(b);
}

static void systemd_backend_through_systemctl(void **state)
{
	(void)state;
	/* systemctl's contract: is-active --quiet exits 0 when active, 3 when
	 * not; start/stop of an unknown unit exit 5 with its message. */
	write_exec(
		"systemctl",
		"state=\"$(dirname \"$0\")/unit-$(echo \"$@\" | awk '{print $NF}')\"\n"
		"echo \"$@\" >>\"$(dirname \"$0\")/calls\"\n"
		"case \"$*\" in *nosuch*) echo \"Failed to $1 nosuch.service: Unit nosuch.service "
		"not found.\" >&2; exit 5;; esac\n"
		"case \"$1\" in\n"
		"start) touch \"$state\";;\n"
		"stop) rm -f \"$state\";;\n"
		"is-active) [ \"$2\" = --quiet ] || exit 1; [ -e \"$state\" ] && exit 0; exit 3;;\n"
		"*) exit 1;;\nesac\n");
	char path[256];
	snprintf(path, sizeof(path), "%s:%s", dir, getenv("PATH"));
	setenv("PATH", path, 1);
	watch_backend_t *b = NULL;
	df_detail_t d = {""};
	assert_int_equal(watch_backend_new(&b,
					   config_for("WATCH_MODE=systemd\nWATCH_UNIT=otelcol."
						      "service\n"),
					   &d),
			 DF_OK);
	assert_string_equal(b->what, "systemd unit otelcol.service");
	watcher_t *w = NULL;
	assert_int_equal(watcher_new(&w, b, "collector"), DF_OK);
	bool running = true;
	assert_int_equal(b->ops->status(b, &running, &d), DF_OK);
	assert_false(running);
	assert_int_equal(watcher_apply(w, true, 1000), INT64_MAX);
	assert_int_equal(b->ops->status(b, &running, &d), DF_OK);
	assert_true(running);
	assert_int_equal(watcher_apply(w, false, 2000), INT64_MAX);
	assert_int_equal(b->ops->status(b, &running, &d), DF_OK);
	assert_false(running);
	watcher_free(w);
	/* The calls systemctl saw, in order. */
	char calls[512] = "";
	snprintf(path, sizeof(path), "%s/calls", dir);
	FILE *f = fopen(path, "r");
	size_t n = fread(calls, 1, sizeof(calls) - 1, f);
	calls[n] = '\0';
	fclose(f);
	assert_string_equal(calls, "is-active --quiet otelcol.service\n"
				   "is-active --quiet otelcol.service\n"
				   "start otelcol.service\n"
				   "is-active --quiet otelcol.service\n"
				   "is-active --quiet otelcol.service\n"
				   "stop otelcol.service\n"
				   "is-active --quiet otelcol.service\n");
	/* An unknown unit: systemctl's own words reach the operator. */
	assert_int_equal(watch_backend_new(&b,
					   config_for("WATCH_MODE=systemd\nWATCH_UNIT=nosuch."
						      "service\n"),
					   &d),
			 DF_OK);
	assert_int_equal(b->ops->start(b, &d), DF_ERANGE);
	assert_non_null(strstr(d.msg, "systemctl exited 5: Failed to start nosuch.service: Unit "
				      "nosuch.service not found."));
	watch_backend_free(b);
	assert_int_equal(watch_backend_new(&b, config_for("WATCH_MODE=systemd\n"), &d), DF_ECONFIG);
	assert_non_null(strstr(d.msg, "needs WATCH_UNIT"));
	assert_int_equal(
		watch_backend_new(&b, config_for("WATCH_MODE=systemd\nWATCH_UNIT='a b'\n"), &d),
		DF_ECONFIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acts_only_on_a_difference),
		cmocka_unit_test(start_in_flight_is_cancelled_by_a_step_down),
		cmocka_unit_test(stop_in_flight_is_let_finish),
		cmocka_unit_test(hung_start_is_killed_on_step_down),
		cmocka_unit_test(failed_actions_back_off),
		cmocka_unit_test(unreadable_state_is_not_acted_on),
		cmocka_unit_test_setup_teardown(command_backend_lsb_status, setup_dir,
						teardown_dir),
		cmocka_unit_test(command_backend_needs_its_commands),
		cmocka_unit_test_setup_teardown(docker_on_a_silent_socket_does_not_hold_the_loop,
						setup_dir, teardown_dir),
		cmocka_unit_test_setup_teardown(systemd_backend_through_systemctl, setup_dir,
						teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
