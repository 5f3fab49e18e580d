/*
 * Unit tests for src/lease_txt.c: what the existing tool and dig produce,
 * what our writer produces, and every way a value can be unusable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "src/lease/lease_txt.h"

static lease_txt_t lease;
static df_detail_t d;

static int parse(const char *text)
{
	memset(&d, 0, sizeof(d));
	return lease_txt_parse(&lease, text, strlen(text), &d);
}

static void expect_lease(const char *text, const char *owner, int64_t exp, uint64_t epoch)
{
	memset(&lease, 0x5a, sizeof(lease));
	int ret = parse(text);
	if (ret != DF_OK) {
		fail_msg("'%s' did not parse: %d %s", text, ret, d.msg);
	}
	assert_string_equal(lease.owner, owner);
	assert_true(lease.exp == exp);
	assert_true(lease.epoch == epoch);
}

static void expect_bad(const char *text, int err, const char *msg)
{
	lease_txt_t before;
	memset(&lease, 0x5a, sizeof(lease));
	memcpy(&before, &lease, sizeof(lease));
	int ret = parse(text);
	if (ret != err) {
		fail_msg("'%s': expected %d, got %d (%s)", text, err, ret, d.msg);
	}
	if (strstr(d.msg, msg) == NULL) {
		fail_msg("'%s': message \"%s\" lacks \"%s\"", text, d.msg, msg);
	}
	/* out is written only on success */
	assert_memory_equal(&lease, &before, sizeof(lease));
}

static void test_parse_forms(void **state)
{
	(void)state;
	/* Ours. */
	expect_lease("owner=primary exp=1769571600 epoch=7", "primary", 1769571600, 7);
	/* Written by the existing tool: no epoch, which reads as 0. */
	expect_lease("owner=primary exp=1769571600", "primary", 1769571600, 0);
	expect_lease("owner=dr exp=1699567890", "dr", 1699567890, 0);
	/* As dig prints it, and as the REST APIs return it. */
	expect_lease("\"owner=primary exp=1769571600 epoch=7\"", "primary", 1769571600, 7);
	expect_lease("  \"owner=dr exp=1 epoch=2\"\t", "dr", 1, 2);
	/* Any order, any amount of white space. */
	expect_lease("epoch=3   exp=10\t\towner=dr", "dr", 10, 3);
	expect_lease("\t owner=dr \t exp=10 \t", "dr", 10, 0);
	/* Unknown keys and stray words are someone else's. */
	expect_lease("owner=primary exp=1 foo=bar epoch=3", "primary", 1, 3);
	expect_lease("v=2 owner=primary note= exp=1 hello =x = epoch=4 Owner=dr", "primary", 1, 4);
	/* Limits. */
	expect_lease("owner=dr exp=0", "dr", 0, 0);
	expect_lease("owner=dr exp=253402300799 epoch=9223372036854775807", "dr", LEASE_TXT_EXP_MAX,
		     INT64_MAX);
	expect_lease("owner=dr exp=000000000000000000000042 epoch=007", "dr", 42, 7);
}

static void test_parse_not_terminated(void **state)
{
	(void)state;
	/* len bounds the input: what follows is not read (ASan checks this). */
	static const char buf[] = "owner=dr exp=12345 epoch=9garbage";
	memset(&d, 0, sizeof(d));
	assert_int_equal(lease_txt_parse(&lease, buf, strlen("owner=dr exp=12345 epoch=9"), &d),
			 DF_OK);
	assert_true(lease.epoch == 9);
	assert_int_equal(lease_txt_parse(&lease, buf, strlen("owner=dr exp=123"), &d), DF_OK);
	assert_true(lease.exp == 123);
	/* A NUL inside the value is not the end of it. */
	static const char nul[] = "owner=dr exp=5\0 epoch=1";
	assert_int_equal(lease_txt_parse(&lease, nul, sizeof(nul) - 1, &d), DF_EINVAL);
	/* d may be NULL, text may be empty. */
	assert_int_equal(lease_txt_parse(&lease, "", 0, NULL), DF_EINVAL);
	assert_int_equal(lease_txt_parse(&lease, NULL, 0, NULL), DF_EINVAL);
	assert_int_equal(lease_txt_parse(&lease, NULL, 3, NULL), DF_EINVAL);
	assert_int_equal(lease_txt_parse(NULL, "owner=dr exp=1", 14, NULL), DF_EINVAL);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_bad("", DF_EINVAL, "lease TXT: missing owner");
	expect_bad("\"\"", DF_EINVAL, "missing owner");
	expect_bad("exp=1 epoch=2", DF_EINVAL, "lease TXT: missing owner");
	expect_bad("owner=dr epoch=2", DF_EINVAL, "lease TXT: missing exp");
	expect_bad("owner=secondary exp=1", DF_EINVAL,
		   "lease TXT: owner=secondary is not primary or dr");
	expect_bad("owner=Primary exp=1", DF_EINVAL, "owner=Primary is not primary or dr");
	expect_bad("owner= exp=1", DF_EINVAL, "owner= is not primary or dr");
	expect_bad("owner=\"dr\" exp=1", DF_EINVAL, "owner=\"dr\" is not primary or dr");
	expect_bad("owner=primaryx exp=1", DF_EINVAL, "owner=primaryx is not");
	/* One pair of quotes only, and only around the whole value. */
	expect_bad("\"owner=dr exp=1", DF_EINVAL, "missing owner"); /* '"owner' is a foreign key */
	expect_bad("owner=dr exp=1\"", DF_EINVAL, "exp=1\" is not a decimal unix time");
	expect_bad("owner=dr exp=-1", DF_EINVAL, "exp=-1 is not a decimal unix time");
	expect_bad("owner=dr exp=+1", DF_EINVAL, "exp=+1 is not a decimal");
	expect_bad("owner=dr exp=", DF_EINVAL, "exp= is not a decimal");
	expect_bad("owner=dr exp=1.5", DF_EINVAL, "exp=1.5 is not a decimal");
	expect_bad("owner=dr exp=0x10", DF_EINVAL, "exp=0x10 is not a decimal");
	expect_bad("owner=dr exp=1_000", DF_EINVAL, "exp=1_000 is not a decimal");
	expect_bad("owner=dr exp=253402300800", DF_ERANGE, "exp=253402300800 is out of range");
	expect_bad("owner=dr exp=99999999999999999999999", DF_ERANGE, "is out of range");
	expect_bad("owner=dr exp=1 epoch=x", DF_EINVAL, "epoch=x is not a decimal integer");
	expect_bad("owner=dr exp=1 epoch=-1", DF_EINVAL, "epoch=-1 is not a decimal integer");
	expect_bad("owner=dr exp=1 epoch=", DF_EINVAL, "epoch= is not a decimal integer");
	expect_bad("owner=dr exp=1 epoch=18446744073709551616", DF_ERANGE,
		   "epoch=18446744073709551616 is out of range");
	/* The epoch is a fencing token that JSON consumers read as a signed
	 * 64-bit integer: nothing above INT64_MAX is a lease. */
	expect_bad("owner=dr exp=1 epoch=18446744073709551615", DF_ERANGE,
		   "lease TXT: epoch=18446744073709551615 is out of range "
		   "(0-9223372036854775807)");
	expect_bad("owner=dr exp=1 epoch=9223372036854775808", DF_ERANGE,
		   "epoch=9223372036854775808 is out of range (0-9223372036854775807)");
	/* A repeated key is ambiguous: refuse it rather than pick one. */
	expect_bad("owner=dr exp=1 owner=dr", DF_EINVAL, "lease TXT: owner given twice");
	expect_bad("owner=dr exp=1 exp=1", DF_EINVAL, "lease TXT: exp given twice");
	expect_bad("owner=dr exp=1 epoch=1 epoch=2", DF_EINVAL, "lease TXT: epoch given twice");
	/* Bad bytes are masked and long values cut in the message. */
	expect_bad("owner=dr\x01\x7f exp=1", DF_EINVAL, "owner=dr?? is not");
	expect_bad("owner=dr exp=x234567890123456789012345678901234567890", DF_EINVAL,
		   "exp=x2345678901234567890123456789012... is not");
}

static void test_format(void **state)
{
	(void)state;
	char buf[LEASE_TXT_MAX];
	lease_txt_t l = {.owner = "primary", .exp = 1769571600, .epoch = 7};

	assert_int_equal(lease_txt_format(&l, buf, sizeof(buf)), DF_OK);
	assert_string_equal(buf, "owner=primary exp=1769571600 epoch=7");
	/* The writer always writes the epoch, even 0. */
	lease_txt_t z = {.owner = "dr", .exp = 5, .epoch = 0};
	assert_int_equal(lease_txt_format(&z, buf, sizeof(buf)), DF_OK);
	assert_string_equal(buf, "owner=dr exp=5 epoch=0");
	/* The longest value fits LEASE_TXT_MAX. */
	lease_txt_t big = {.owner = "primary", .exp = LEASE_TXT_EXP_MAX, .epoch = INT64_MAX};
	assert_int_equal(lease_txt_format(&big, buf, sizeof(buf)), DF_OK);
	assert_string_equal(buf, "owner=primary exp=253402300799 epoch=9223372036854775807");
	assert_true(strlen(buf) < LEASE_TXT_MAX);
	/* Never an epoch the reader refuses. */
	lease_txt_t over = {.owner = "dr", .exp = 1, .epoch = (uint64_t)INT64_MAX + 1};
	assert_int_equal(lease_txt_format(&over, buf, sizeof(buf)), DF_EINVAL);
	assert_string_equal(buf, "");
	over.epoch = UINT64_MAX;
	assert_int_equal(lease_txt_format(&over, buf, sizeof(buf)), DF_EINVAL);

	/* Exactly big enough, one byte short, nothing. */
	size_t need = strlen("owner=primary exp=1769571600 epoch=7") + 1;
	assert_int_equal(lease_txt_format(&l, buf, need), DF_OK);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(lease_txt_format(&l, buf, need - 1), DF_ENOSPACE);
	assert_string_equal(buf, "");
	assert_int_equal(lease_txt_format(&l, buf, 0), DF_ENOSPACE);
	assert_int_equal(lease_txt_format(&l, NULL, 10), DF_EINVAL);
	assert_int_equal(lease_txt_format(NULL, buf, sizeof(buf)), DF_EINVAL);

	/* Never write a lease no reader would accept. */
	lease_txt_t bad = {.owner = "secondary", .exp = 1};
	assert_int_equal(lease_txt_format(&bad, buf, sizeof(buf)), DF_EINVAL);
	assert_string_equal(buf, "");
	lease_txt_t neg = {.owner = "dr", .exp = -1};
	assert_int_equal(lease_txt_format(&neg, buf, sizeof(buf)), DF_EINVAL);
	lease_txt_t far = {.owner = "dr", .exp = LEASE_TXT_EXP_MAX + 1};
	assert_int_equal(lease_txt_format(&far, buf, sizeof(buf)), DF_EINVAL);
	lease_txt_t unterminated;
	memset(unterminated.owner, 'd', sizeof(unterminated.owner));
	unterminated.exp = 1;
	unterminated.epoch = 0;
	assert_int_equal(lease_txt_format(&unterminated, buf, sizeof(buf)), DF_EINVAL);
}

static void test_round_trip(void **state)
{
	(void)state;
	static const lease_txt_t cases[] = {
		{.owner = "primary", .exp = 0, .epoch = 0},
		{.owner = "dr", .exp = 1769571600, .epoch = 8},
		{.owner = "primary", .exp = LEASE_TXT_EXP_MAX, .epoch = INT64_MAX},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[LEASE_TXT_MAX], quoted[LEASE_TXT_MAX + 2];
		assert_int_equal(lease_txt_format(&cases[i], buf, sizeof(buf)), DF_OK);
		expect_lease(buf, cases[i].owner, cases[i].exp, cases[i].epoch);
		snprintf(quoted, sizeof(quoted), "\"%s\"", buf);
		expect_lease(quoted, cases[i].owner, cases[i].exp, cases[i].epoch);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),  cmocka_unit_test(test_parse_not_terminated),
		cmocka_unit_test(test_parse_errors), cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
