/* Coalescing: which changes go into one UPDATE, and what each one asks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "src/records/records_batch.h"

static rec_rrset_t sets[8];

static void mk(rec_change_t *c, rec_op_t op, const char *name, uint16_t type, const rec_rrset_t *s)
{
	memset(c, 0, sizeof(*c));
	c->op = op;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->type = type;
	c->set = s;
}

static size_t count(const rec_change_t *l)
{
	size_t n = 0;
	for (; l != NULL; l = l->next) {
		n++;
	}
	return n;
}

static void test_distinct_names(void **state)
{
	(void)state;
	rec_error_t e;
	rec_rrset_init(&sets[0], "a.example.com.", REC_A, 300);
	assert_true(rec_value_add(&sets[0], "192.0.2.1", &e));
	rec_change_t c[4];
	mk(&c[0], REC_OP_REGISTER, "a.example.com.", REC_A, &sets[0]);
	mk(&c[1], REC_OP_REGISTER, "b.example.com.", REC_A, &sets[0]);
	mk(&c[2], REC_OP_DELETE, "a.example.com.", REC_A, NULL); /* same name as c[0] */
	mk(&c[3], REC_OP_REGISTER, "c.example.com.", REC_A, &sets[0]);
	c[0].next = &c[1];
	c[1].next = &c[2];
	c[2].next = &c[3];
	rec_change_t *q = &c[0];
	size_t n = 0;
	rec_change_t *b = rec_batch_take(&q, 100, REC_BATCH_BYTES, &n);
	assert_int_equal(n, 3);
	assert_ptr_equal(b, &c[0]);
	assert_ptr_equal(b->next, &c[1]);
	assert_ptr_equal(b->next->next, &c[3]);
	assert_ptr_equal(q, &c[2]); /* left for the next UPDATE, in order */
	assert_null(q->next);
	b = rec_batch_take(&q, 100, REC_BATCH_BYTES, &n);
	assert_int_equal(n, 1);
	assert_null(q);
	rec_rrset_clear(&sets[0]);
}

static void test_limits(void **state)
{
	(void)state;
	static rec_change_t c[300];
	rec_error_t e;
	rec_rrset_init(&sets[1], "x.example.com.", REC_TXT, 300);
	char txt[1500];
	memset(txt, 't', sizeof(txt) - 1);
	txt[sizeof(txt) - 1] = '\0';
	assert_true(rec_value_add(&sets[1], txt, &e));
	for (int i = 0; i < 300; i++) {
		char name[64];
		snprintf(name, sizeof(name), "h%d.example.com.", i);
		mk(&c[i], REC_OP_REGISTER, name, REC_TXT, &sets[1]);
		c[i].next = i + 1 < 300 ? &c[i + 1] : NULL;
	}
	rec_change_t *q = &c[0];
	size_t n = 0;
	rec_change_t *b = rec_batch_take(&q, 10, REC_BATCH_BYTES, &n);
	assert_int_equal(n, 10);
	assert_int_equal(count(b), 10);
	/* bounded by bytes: ~1.6 KB each, 60000 bytes */
	b = rec_batch_take(&q, 1000, REC_BATCH_BYTES, &n);
	assert_true(n > 20 && n < 40);
	ldns_pkt *pkt = rec_batch_update("example.com.", b);
	assert_non_null(pkt);
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt2wire(&wire, pkt, &len);
	assert_true(len <= REC_BATCH_BYTES);
	assert_int_equal(ldns_pkt_ancount(pkt), 2 * n); /* prerequisites: TXT and CNAME absent */
	assert_int_equal(ldns_pkt_nscount(pkt), n);
	LDNS_FREE(wire);
	ldns_pkt_free(pkt);
	rec_rrset_clear(&sets[1]);
}

static void test_prereqs(void **state)
{
	(void)state;
	rec_error_t e;
	rec_rrset_init(&sets[2], "w.example.com.", REC_CNAME, 60);
	assert_true(rec_value_add(&sets[2], "web.example.com", &e));
	rec_rrset_init(&sets[3], "m.example.com.", REC_A, 60);
	assert_true(rec_value_add(&sets[3], "192.0.2.1", &e));
	assert_true(rec_value_add(&sets[3], "192.0.2.2", &e));
	rec_rrset_init(&sets[4], "m.example.com.", REC_A, 60);
	assert_true(rec_value_add(&sets[4], "192.0.2.9", &e));
	rec_change_t c[3];
	mk(&c[0], REC_OP_REGISTER, "w.example.com.", REC_CNAME, &sets[2]);
	mk(&c[1], REC_OP_REPLACE, "m.example.com.", REC_A, &sets[4]);
	c[1].old = &sets[3];
	mk(&c[2], REC_OP_DELETE, "d.example.com.", 0, NULL);
	c[0].next = &c[1];
	c[1].next = &c[2];
	ldns_pkt *pkt = rec_batch_update("example.com.", c);
	assert_non_null(pkt);
	ldns_rr_list *pre = ldns_pkt_answer(pkt);
	ldns_rr_list *upd = ldns_pkt_authority(pkt);
	/* CNAME: name not in use (NONE ANY); CAS: RRset equals both old values */
	assert_int_equal(ldns_rr_list_rr_count(pre), 3);
	assert_int_equal(ldns_rr_get_class(ldns_rr_list_rr(pre, 0)), LDNS_RR_CLASS_NONE);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(pre, 0)), LDNS_RR_TYPE_ANY);
	assert_int_equal(ldns_rr_get_class(ldns_rr_list_rr(pre, 1)), LDNS_RR_CLASS_IN);
	assert_int_equal(ldns_rr_get_type(ldns_rr_list_rr(pre, 1)), LDNS_RR_TYPE_A);
	/* add CNAME; delete A rrset + add A; delete all five types */
	assert_int_equal(ldns_rr_list_rr_count(upd), 1 + 2 + 5);
	assert_int_equal(ldns_rr_get_class(ldns_rr_list_rr(upd, 1)), LDNS_RR_CLASS_ANY);
	ldns_pkt_free(pkt);
	for (int i = 2; i <= 4; i++) {
		rec_rrset_clear(&sets[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distinct_names),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_prereqs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
