/*
 * Unit tests of the entry points of src/provider/provider.c that hide
 * whether a provider blocks or runs on the loop: provider_read() and
 * provider_swap() on a provider that runs on the loop (a private loop per
 * call), provider_read_begin() and provider_swap_begin() on a blocking one
 * (done runs inside the call), and a loop provider that never ends its
 * operation (the blocking form returns "unknown", not success).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "src/common/clock.h"
#include "src/http/http_multi.h"
#include "src/loop/loop.h"
#include "src/provider/provider.h"

/* A provider that answers from the loop after a timer, or never. */
typedef struct fake {
	provider_t base;
	loop_timer_t *timer;
	lease_t *out;
	provider_done_fn done;
	void *arg;
	bool hang;    /* begin an operation that never ends */
	int answer;   /* what the operation returns */
	int cancels;  /* cancel() calls */
	int blocking; /* calls of the blocking read/swap */
} fake_t;

static void fake_fire(loop_timer_t *t, void *arg)
{
	fake_t *f = arg;
	df_detail_t d = {""};
	(void)t;
	if (f->answer == DF_OK) {
		f->out->has_txt = true;
		strcpy(f->out->txt, "owner=primary exp=100 epoch=2");
	} else {
		df_detail_set(&d, "the fake said %d", f->answer);
	}
	loop_timer_free(f->timer);
	f->timer = NULL;
	f->done(&f->base, f->answer, &d, f->arg);
}

static int fake_begin(fake_t *f, http_multi_t *m, lease_t *out, provider_done_fn done, void *arg)
{
	assert_non_null(m);
	assert_null(f->timer); /* one operation at a time */
	f->out = out;
	f->done = done;
	f->arg = arg;
	if (f->hang) {
		/* Nothing armed: only the deadline ends the call. */
		return DF_OK;
	}
	int ret = loop_timer_new(http_multi_loop(m), &f->timer, fake_fire, f);
	if (ret == DF_OK) {
		loop_timer_arm(f->timer, 5, 0);
	}
	return ret;
}

static int fake_read_begin(provider_t *p, http_multi_t *m, lease_t *out, provider_done_fn done,
			   void *arg)
{
	return fake_begin((fake_t *)p, m, out, done, arg);
}

static int fake_swap_begin(provider_t *p, http_multi_t *m, const lease_t *expected, lease_t *next,
			   provider_done_fn done, void *arg)
{
	(void)expected;
	return fake_begin((fake_t *)p, m, next, done, arg);
}

static void fake_cancel(provider_t *p)
{
	fake_t *f = (fake_t *)p;
	f->cancels++;
	loop_timer_free(f->timer);
	f->timer = NULL;
}

static int fake_read(provider_t *p, lease_t *out, df_detail_t *d)
{
	fake_t *f = (fake_t *)p;
	f->blocking++;
	out->has_a = true;
	strcpy(out->a, "192.0.2.1");
	if (f->answer != DF_OK) {
		df_detail_set(d, "blocking fake said %d", f->answer);
	}
	return f->answer;
}

static int fake_swap(provider_t *p, const lease_t *expected, lease_t *next, df_detail_t *d)
{
	(void)expected;
	return fake_read(p, next, d);
}

static const provider_ops_t loop_ops = {
	.id = "fake-loop",
	.read_begin = fake_read_begin,
	.swap_begin = fake_swap_begin,
	.cancel = fake_cancel,
};

static const provider_ops_t blocking_ops = {
	.id = "fake-blocking",
	.read = fake_read,
	.swap = fake_swap,
};

static void test_loop_provider_blocking_form(void **state)
{
	fake_t f = {.base.ops = &loop_ops, .answer = DF_OK};
	lease_t l;
	df_detail_t d = {""};
	(void)state;

	memset(&l, 0, sizeof(l));
	assert_int_equal(provider_read(&f.base, &l, &d), DF_OK);
	assert_true(l.has_txt);
	assert_string_equal(l.txt, "owner=primary exp=100 epoch=2");
	assert_null(f.timer);

	/* An error comes back with the provider's own detail. */
	f.answer = DF_ECONFLICT;
	memset(&l, 0, sizeof(l));
	assert_int_equal(provider_swap(&f.base, NULL, &l, &d), DF_ECONFLICT);
	assert_string_equal(d.msg, "the fake said -1013");
	assert_false(l.has_txt);
	assert_int_equal(f.cancels, 0);
}

static void test_loop_provider_without_outcome(void **state)
{
	fake_t f = {.base.ops = &loop_ops, .answer = DF_OK, .hang = true};
	lease_t l;
	df_detail_t d = {""};
	(void)state;

	/* No outcome by the deadline: a swap that may have been sent is
	 * "unknown", never success, and the operation is cancelled. */
	f.base.deadline_ms = clock_mono_ms() + 10;
	int64_t start = clock_mono_ms();
	memset(&l, 0, sizeof(l));
	assert_int_equal(provider_swap(&f.base, NULL, &l, &d), DF_EUNKNOWN);
	assert_true(provider_outcome_unknown(DF_EUNKNOWN));
	assert_non_null(strstr(d.msg, "fake-loop"));
	assert_int_equal(f.cancels, 1);
	/* The deadline, plus the private loop's grace, and not much more. */
	assert_in_range(clock_mono_ms() - start, 10, 3000);
}

typedef struct outcome {
	int calls;
	int ret;
	char msg[sizeof(((df_detail_t *)0)->msg)];
} outcome_t;

static void record_done(provider_t *p, int ret, const df_detail_t *d, void *arg)
{
	outcome_t *o = arg;
	(void)p;
	o->calls++;
	o->ret = ret;
	strcpy(o->msg, d->msg);
}

static void test_blocking_provider_begin_form(void **state)
{
	fake_t f = {.base.ops = &blocking_ops, .answer = DF_OK};
	outcome_t o = {0};
	lease_t l;
	(void)state;

	/* No multi is needed: the call is made now and done runs before the
	 * begin call returns. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(provider_read_begin(&f.base, NULL, &l, record_done, &o), DF_OK);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.ret, DF_OK);
	assert_string_equal(l.a, "192.0.2.1");

	f.answer = DF_ETIMEDOUT;
	assert_int_equal(provider_swap_begin(&f.base, NULL, NULL, &l, record_done, &o), DF_OK);
	assert_int_equal(o.calls, 2);
	assert_int_equal(o.ret, DF_ETIMEDOUT);
	assert_string_equal(o.msg, "blocking fake said -110");
	assert_int_equal(f.blocking, 2);
	provider_cancel(&f.base); /* no cancel op: harmless */
}

static void test_loop_provider_begin_form(void **state)
{
	fake_t f = {.base.ops = &loop_ops, .answer = DF_OK};
	outcome_t o = {0};
	loop_t *l = NULL;
	http_multi_t *m = NULL;
	lease_t lease;
	(void)state;

	assert_int_equal(loop_new(&l), DF_OK);
	assert_int_equal(http_multi_new(&m, l), DF_OK);
	memset(&lease, 0, sizeof(lease));
	assert_int_equal(provider_read_begin(&f.base, m, &lease, record_done, &o), DF_OK);
	/* Never inside the begin call. */
	assert_int_equal(o.calls, 0);
	assert_non_null(f.timer);
	provider_cancel(&f.base);
	assert_int_equal(f.cancels, 1);
	assert_null(f.timer);
	http_multi_free(m);
	loop_free(l);
	assert_int_equal(o.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loop_provider_blocking_form),
		cmocka_unit_test(test_loop_provider_without_outcome),
		cmocka_unit_test(test_blocking_provider_begin_form),
		cmocka_unit_test(test_loop_provider_begin_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
