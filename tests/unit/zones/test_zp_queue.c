/* The durable queue: a push, a repeat, a change racing a backend, deletes
 * and their ownership check, the retry schedule, dead letters and healing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zones/zp_queue.h"

static char dir[64];
static char path[128];
static const char *const BACKENDS[] = {"a", "b"};

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_zp_queue.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		return -1;
	}
	snprintf(path, sizeof(path), "%s/q.db", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static zp_queue_t *fresh(void)
{
	unlink(path);
	char p[160];
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	zp_queue_t *q = NULL;
	df_detail_t d;
	assert_int_equal(zp_queue_open(&q, path, BACKENDS, 2, &d), DF_OK);
	return q;
}

static void push(zp_queue_t *q, const char *zone, const char *text, const char *host,
		 enum zp_push_result want)
{
	enum zp_push_result res;
	df_detail_t d;
	assert_int_equal(zp_queue_push(q, zone, text, strlen(text), host, "u1", 100, &res, &d),
			 DF_OK);
	assert_int_equal(res, want);
}

static void push_repeat_and_change(void **state)
{
	(void)state;
	zp_queue_t *q = fresh();
	zp_item_t it[4];
	df_detail_t d;
	push(q, "example.com", "v1", "h1", ZP_PUSH_QUEUED);
	push(q, "example.com", "v1", "h1", ZP_PUSH_UNCHANGED);
	zp_backend_stats_t st;
	assert_int_equal(zp_queue_stats(q, "a", &st), DF_OK);
	assert_int_equal(st.pending, 1);
	/* backend a takes v1; meanwhile v2 arrives: a's done must not drop v2 */
	assert_int_equal(zp_queue_due(q, "a", 100, it, 4, &d), 1);
	assert_string_equal(it[0].text, "v1");
	push(q, "example.com", "v2", "h1", ZP_PUSH_QUEUED);
	assert_int_equal(zp_queue_done(q, "a", &it[0], 101, &d), DF_OK);
	zp_item_clear(&it[0]);
	assert_int_equal(zp_queue_due(q, "a", 101, it, 4, &d), 1);
	assert_string_equal(it[0].text, "v2");
	assert_int_equal(it[0].version, 2);
	assert_int_equal(zp_queue_done(q, "a", &it[0], 102, &d), DF_OK);
	zp_item_clear(&it[0]);
	assert_int_equal(zp_queue_due(q, "a", 200, it, 4, &d), 0);
	/* b skipped v1 entirely: one write of v2 */
	assert_int_equal(zp_queue_due(q, "b", 200, it, 4, &d), 1);
	assert_string_equal(it[0].text, "v2");
	zp_item_clear(&it[0]);
	zp_zone_info_t info;
	assert_int_equal(zp_queue_lookup(q, "example.com", &info, &d), DF_OK);
	assert_true(info.exists);
	assert_string_equal(info.hostname, "h1");
	assert_string_equal(info.username, "u1");
	/* the same text from a new master records the master, queues nothing */
	push(q, "example.com", "v2", "h2", ZP_PUSH_UNCHANGED);
	assert_int_equal(zp_queue_lookup(q, "example.com", &info, &d), DF_OK);
	assert_string_equal(info.hostname, "h2");
	assert_int_equal(zp_queue_zone_count(q), 1);
	zp_queue_close(q);
}

static void deletes(void **state)
{
	(void)state;
	zp_queue_t *q = fresh();
	df_detail_t d;
	enum zp_delete_result res;
	zp_item_t it[4];
	assert_int_equal(zp_queue_delete(q, "absent.com", "h1", 100, &res, &d), DF_OK);
	assert_int_equal(res, ZP_DELETE_ABSENT);
	push(q, "example.com", "v1", "h1", ZP_PUSH_QUEUED);
	assert_int_equal(zp_queue_delete(q, "example.com", "h2", 100, &res, &d), DF_OK);
	assert_int_equal(res, ZP_DELETE_REFUSED);
	assert_int_equal(zp_queue_delete(q, "example.com", "", 100, &res, &d), DF_OK);
	assert_int_equal(res, ZP_DELETE_REFUSED);
	assert_int_equal(zp_queue_delete(q, "example.com", "h1", 100, &res, &d), DF_OK);
	assert_int_equal(res, ZP_DELETE_QUEUED);
	zp_zone_info_t info;
	assert_int_equal(zp_queue_lookup(q, "example.com", &info, &d), DF_OK);
	assert_false(info.exists);
	/* the row stays until both backends have deleted */
	const char *be[] = {"a", "b"};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(zp_queue_due(q, be[i], 100, it, 4, &d), 1);
		assert_int_equal(it[0].op, ZP_OP_DELETE);
		assert_int_equal(zp_queue_done(q, be[i], &it[0], 100, &d), DF_OK);
		zp_item_clear(&it[0]);
		assert_int_equal(zp_queue_zone_count(q), 0);
	}
	/* a push after the delete brings the zone back */
	push(q, "example.com", "v1", "h1", ZP_PUSH_QUEUED);
	assert_int_equal(zp_queue_zone_count(q), 1);
	zp_queue_close(q);
}

static void retries_then_dead_then_healed(void **state)
{
	(void)state;
	zp_queue_t *q = fresh();
	df_detail_t d;
	zp_item_t it[1];
	static const unsigned sched[] = {30, 120, 300, 900, 1800};
	push(q, "example.com", "v1", "h1", ZP_PUSH_QUEUED);
	int64_t now = 100;
	for (unsigned k = 0; k < 5; k++) {
		assert_int_equal(zp_queue_due(q, "a", now, it, 1, &d), 1);
		assert_int_equal(it[0].attempts, k);
		bool dead = true;
		assert_int_equal(zp_queue_failed(q, "a", &it[0], "down", now, sched, 5, &dead, &d),
				 DF_OK);
		assert_false(dead);
		zp_item_clear(&it[0]);
		/* not due a second early */
		assert_int_equal(zp_queue_due(q, "a", now + sched[k] - 1, it, 1, &d), 0);
		assert_int_equal(zp_queue_next_due(q, "a"), now + sched[k]);
		now += sched[k];
	}
	assert_int_equal(zp_queue_due(q, "a", now, it, 1, &d), 1);
	bool dead = false;
	assert_int_equal(zp_queue_failed(q, "a", &it[0], "still down", now, sched, 5, &dead, &d),
			 DF_OK);
	assert_true(dead);
	zp_item_clear(&it[0]);
	zp_backend_stats_t st;
	zp_queue_stats(q, "a", &st);
	assert_int_equal(st.pending, 0);
	assert_int_equal(st.dead, 1);
	zp_queue_stats(q, "b", &st);
	assert_int_equal(st.pending, 1); /* b never failed */
	assert_int_equal(st.dead, 0);
	/* persisted: a second connection sees it */
	zp_queue_t *q2 = NULL;
	assert_int_equal(zp_queue_open(&q2, path, BACKENDS, 2, &d), DF_OK);
	zp_queue_stats(q2, "a", &st);
	assert_int_equal(st.dead, 1);
	zp_queue_close(q2);
	assert_int_equal(zp_queue_heal_dead(q, "a", now, &d), 1);
	zp_queue_stats(q, "a", &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.dead, 0);
	assert_int_equal(zp_queue_due(q, "a", now, it, 1, &d), 1);
	assert_int_equal(it[0].attempts, 0);
	assert_int_equal(zp_queue_done(q, "a", &it[0], now, &d), DF_OK);
	zp_item_clear(&it[0]);
	/* healing by listing: a backend that lacks a stored zone gets it again */
	const char *present[] = {"other.com"};
	assert_int_equal(zp_queue_heal_missing(q, "a", present, 1, now, &d), 1);
	const char *all[] = {"example.com"};
	assert_int_equal(zp_queue_heal_missing(q, "b", all, 1, now, &d), 0);
	zp_queue_close(q);
}

static void count_applied(void *arg, const char *zone, const char *text, size_t len)
{
	(void)zone;
	(void)text;
	(void)len;
	(*(int *)arg)++;
}

static void applied_and_requeue(void **state)
{
	(void)state;
	zp_queue_t *q = fresh();
	df_detail_t d;
	zp_item_t it[1];
	push(q, "example.com", "v1", "h1", ZP_PUSH_QUEUED);
	int n = 0;
	zp_queue_each_applied(q, "a", count_applied, &n);
	assert_int_equal(n, 0); /* queued, not applied */
	assert_int_equal(zp_queue_due(q, "a", 100, it, 1, &d), 1);
	assert_int_equal(zp_queue_done(q, "a", &it[0], 100, &d), DF_OK);
	zp_item_clear(&it[0]);
	zp_queue_each_applied(q, "a", count_applied, &n);
	assert_int_equal(n, 1);
	/* a newer version pending: not "applied in its current version" */
	push(q, "example.com", "v2", "h1", ZP_PUSH_QUEUED);
	n = 0;
	zp_queue_each_applied(q, "a", count_applied, &n);
	assert_int_equal(n, 0);
	assert_int_equal(zp_queue_due(q, "a", 100, it, 1, &d), 1);
	assert_int_equal(zp_queue_done(q, "a", &it[0], 100, &d), DF_OK);
	zp_item_clear(&it[0]);
	assert_int_equal(zp_queue_requeue(q, "a", "example.com", 100, &d), DF_OK);
	assert_int_equal(zp_queue_requeue(q, "a", "example.com", 100, &d), DF_OK);
	zp_backend_stats_t st;
	zp_queue_stats(q, "a", &st);
	assert_int_equal(st.pending, 1);
	assert_int_equal(zp_queue_due(q, "a", 100, it, 1, &d), 1);
	assert_int_equal(it[0].version, 2);
	zp_item_clear(&it[0]);
	zp_queue_close(q);
}

static void unwritable_path_named(void **state)
{
	(void)state;
	zp_queue_t *q = NULL;
	df_detail_t d = {{0}};
	assert_int_not_equal(zp_queue_open(&q, "/nonexistent/dir/q.db", BACKENDS, 2, &d), DF_OK);
	assert_non_null(strstr(d.msg, "/nonexistent/dir/q.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(push_repeat_and_change),
		cmocka_unit_test(deletes),
		cmocka_unit_test(retries_then_dead_then_healed),
		cmocka_unit_test(applied_and_requeue),
		cmocka_unit_test(unwritable_path_named),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
