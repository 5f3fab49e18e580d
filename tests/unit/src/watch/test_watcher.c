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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

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

static const watch_backend_ops_t fake_ops = {"fake", fake_status, fake_start, fake_stop, fake_free};

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
		cmocka_unit_test(failed_actions_back_off),
		cmocka_unit_test(unreadable_state_is_not_acted_on),
		cmocka_unit_test_setup_teardown(command_backend_lsb_status, setup_dir,
						teardown_dir),
		cmocka_unit_test(command_backend_needs_its_commands),
		cmocka_unit_test_setup_teardown(systemd_backend_through_systemctl, setup_dir,
						teardown_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
