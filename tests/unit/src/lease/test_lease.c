#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "src/lease/lease.h"

#define NOW 1800000000LL

static lease_t lease_of(const char *owner, int64_t exp, uint64_t epoch)
{
	lease_t l;
	memset(&l, 0, sizeof(l));
	l.has_txt = true;
	l.txt_valid = true;
	strcpy(l.lease.owner, owner);
	l.lease.exp = exp;
	l.lease.epoch = epoch;
	return l;
}

static void absent_lease_is_created_with_epoch_1(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[256];
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, NULL, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_string_equal(next.owner, "primary");
	assert_int_equal(next.exp, NOW + 60);
	assert_int_equal(next.epoch, 1);
	/* A lease_t that exists but holds no TXT counts as absent too. */
	lease_t only_a;
	memset(&only_a, 0, sizeof(only_a));
	only_a.has_a = true;
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_DR, &only_a, NOW, 30, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_string_equal(next.owner, "dr");
	assert_int_equal(next.exp, NOW + 30);
}

static void own_lease_is_renewed_with_same_epoch(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[256];
	lease_t cur = lease_of("primary", NOW + 20, 7);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_int_equal(next.epoch, 7);
	cur = lease_of("primary", NOW - 500, 7);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_int_equal(next.epoch, 7);
}

static void valid_foreign_lease_is_refused(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[256];
	lease_t cur = lease_of("dr", NOW + 45, 3);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_REFUSE_HELD);
	assert_non_null(strstr(why, "dr holds a valid lease for 45s"));
	assert_non_null(strstr(why, "--force"));
}

static void expiry_boundary_follows_the_seed_rule(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[256];
	/* exp == now: the seed's rule is "valid if exp > now", so this is expired. */
	lease_t cur = lease_of("dr", NOW, 3);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	cur = lease_of("dr", NOW + 1, 3);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_REFUSE_HELD);
}

static void expired_foreign_lease_is_taken_with_next_epoch(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[256];
	lease_t cur = lease_of("primary", NOW - 1, 9);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_DR, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_string_equal(next.owner, "dr");
	assert_int_equal(next.epoch, 10);
}

static void force_takes_valid_foreign_lease(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[256];
	lease_t cur = lease_of("dr", NOW + 45, 3);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, true, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_int_equal(next.epoch, 4);
	assert_non_null(strstr(why, "forcing"));
}

static void unreadable_txt_needs_force(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[256];
	lease_t cur;
	memset(&cur, 0, sizeof(cur));
	cur.has_txt = true;
	strcpy(cur.txt, "v=spf1 -all");
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_REFUSE_FOREIGN);
	assert_non_null(strstr(why, "v=spf1 -all"));
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, true, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_int_equal(next.epoch, 1);
}

static void formatted_lease_leaves_the_version_to_the_provider(void **state)
{
	(void)state;
	lease_t l = lease_of("dr", NOW + 60, 12);
	l.has_txt = l.txt_valid = false;
	l.version.len = 0;
	assert_int_equal(lease_value_format(&l), DF_OK);
	assert_string_equal(l.txt, "owner=dr exp=1800000060 epoch=12");
	assert_true(l.has_txt);
	assert_true(l.txt_valid);
	assert_int_equal(l.version.len, 0);
	/* An owner no lease has is not formatted. */
	snprintf(l.lease.owner, sizeof(l.lease.owner), "%s", "secondary");
	assert_int_equal(lease_value_format(&l), DF_EINVAL);
}

/* Bytes from the network are quoted escaped in why, which init logs. */
static void unreadable_txt_is_quoted_escaped(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[512];
	lease_t cur;
	memset(&cur, 0, sizeof(cur));
	cur.has_txt = true;
	snprintf(cur.txt, sizeof(cur.txt), "%s",
		 "x\r\n[2026-01-01 00:00:00] [INFO] FAILOVER: Promoted DR to active, "
		 "A=6.6.6.6\x1b[2K");
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_REFUSE_FOREIGN);
	assert_string_equal(why, "the TXT record holds \"x\\x0d\\x0a[2026-01-01 00:00:00] [INFO] "
				 "FAILOVER: Promoted DR to active, A=6.6.6.6\\x1b[2K\", which is "
				 "not a lease; not overwriting it (use --force to replace it)");
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, true, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_string_equal(why, "replacing the unreadable TXT \"x\\x0d\\x0a[2026-01-01 00:00:00] "
				 "[INFO] FAILOVER: Promoted DR to active, A=6.6.6.6\\x1b[2K\" "
				 "(--force)");
}

/* The epoch only grows: at its largest a change of owner is refused, never
 * wrapped to 0 or written as a value no reader accepts. */
static void epoch_at_its_largest_is_not_raised(void **state)
{
	(void)state;
	lease_txt_t next;
	char why[512];
	uint64_t largest[] = {(uint64_t)INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX};
	for (size_t i = 0; i < sizeof(largest) / sizeof(largest[0]); i++) {
		for (int force = 0; force <= 1; force++) {
			lease_t cur = lease_of("dr", NOW - 10, largest[i]);
			memset(&next, 0x5a, sizeof(next));
			enum lease_init_action a = lease_plan_init(
				CONFIG_ROLE_PRIMARY, &cur, NOW, 60, force, &next, why, sizeof(why));
			if (a == LEASE_INIT_WRITE) {
				fail_msg("epoch %llu (force %d): would write epoch %llu (%s)",
					 (unsigned long long)largest[i], force,
					 (unsigned long long)next.epoch, why);
			}
			assert_non_null(strstr(why, "epoch"));
			assert_non_null(strstr(why, "largest"));
		}
	}
	lease_t cur = lease_of("dr", NOW - 10, (uint64_t)INT64_MAX);
	lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, true, &next, why, sizeof(why));
	assert_string_equal(why, "the lease epoch 9223372036854775807 is the largest a lease can "
				 "carry and a change of owner must raise it: nothing written "
				 "(delete the lease records by hand and run init to start again "
				 "at epoch 1)");
	/* One below: taken with the largest. */
	cur = lease_of("dr", NOW - 10, (uint64_t)INT64_MAX - 1);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_true(next.epoch == (uint64_t)INT64_MAX);
	/* Our own lease keeps its epoch, even the largest: a renewal. */
	cur = lease_of("primary", NOW - 10, (uint64_t)INT64_MAX);
	assert_int_equal(
		lease_plan_init(CONFIG_ROLE_PRIMARY, &cur, NOW, 60, false, &next, why, sizeof(why)),
		LEASE_INIT_WRITE);
	assert_true(next.epoch == (uint64_t)INT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unreadable_txt_is_quoted_escaped),
		cmocka_unit_test(epoch_at_its_largest_is_not_raised),
		cmocka_unit_test(absent_lease_is_created_with_epoch_1),
		cmocka_unit_test(own_lease_is_renewed_with_same_epoch),
		cmocka_unit_test(valid_foreign_lease_is_refused),
		cmocka_unit_test(expiry_boundary_follows_the_seed_rule),
		cmocka_unit_test(expired_foreign_lease_is_taken_with_next_epoch),
		cmocka_unit_test(force_takes_valid_foreign_lease),
		cmocka_unit_test(unreadable_txt_needs_force),
		cmocka_unit_test(formatted_lease_leaves_the_version_to_the_provider),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
