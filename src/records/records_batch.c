#include "src/records/records_batch.h"

#include <string.h>

#include "src/dns/dns_msg.h"

static const uint16_t ours[] = {REC_A, REC_AAAA, REC_CNAME, REC_TXT, REC_SRV};

static bool push(ldns_rr_list *l, ldns_rr *rr)
{
	if (rr == NULL) {
		return false;
	}
	if (!ldns_rr_list_push_rr(l, rr)) {
		ldns_rr_free(rr);
		return false;
	}
	return true;
}

bool rec_change_rrs(const rec_change_t *ch, ldns_rr_list *pre, ldns_rr_list *upd)
{
	const char *n = ch->name;
	ldns_rr_type t = (ldns_rr_type)ch->type;
	bool ok = true;
	switch (ch->op) {
	case REC_OP_REGISTER:
		if (t == LDNS_RR_TYPE_CNAME) {
			ok = push(pre, dns_rr_name_unused(n));
		} else {
			ok = push(pre, dns_rr_rrset_absent(n, t)) &&
			     push(pre, dns_rr_rrset_absent(n, LDNS_RR_TYPE_CNAME));
		}
		break;
	case REC_OP_REPLACE:
		if (ch->old != NULL) {
			for (size_t i = 0; ok && i < ch->old->n; i++) {
				ok = push(pre, dns_rr_rrset_equals(n, t, ch->old->v[i].rdata,
								   ch->old->v[i].rdlen));
			}
		} else {
			ok = push(pre, dns_rr_rrset_exists(n, t));
		}
		ok = ok && push(upd, dns_rr_delete_rrset(n, t));
		break;
	case REC_OP_DELETE:
		if (t != 0) {
			ok = push(upd, dns_rr_delete_rrset(n, t));
		}
		for (size_t i = 0; t == 0 && ok && i < sizeof(ours) / sizeof(ours[0]); i++) {
			ok = push(upd, dns_rr_delete_rrset(n, (ldns_rr_type)ours[i]));
		}
		return ok;
	}
	for (size_t i = 0; ok && ch->set != NULL && i < ch->set->n; i++) {
		ok = push(upd,
			  dns_rr_add(n, t, ch->set->ttl, ch->set->v[i].rdata, ch->set->v[i].rdlen));
	}
	return ok;
}

size_t rec_change_size(const rec_change_t *ch)
{
	size_t name = strlen(ch->name) + 1;
	size_t rr = name + 10; /* owner, type, class, ttl, rdlength */
	size_t size = 2 * rr + (ch->op == REC_OP_DELETE && ch->type == 0 ? 4 * rr : 0);
	if (ch->old != NULL) {
		for (size_t i = 0; i < ch->old->n; i++) {
			size += rr + ch->old->v[i].rdlen;
		}
	}
	if (ch->set != NULL) {
		for (size_t i = 0; i < ch->set->n; i++) {
			size += rr + ch->set->v[i].rdlen;
		}
	}
	return size;
}

rec_change_t *rec_batch_take(rec_change_t **queue, size_t max_changes, size_t max_bytes,
			     size_t *count)
{
	rec_change_t *head = NULL, **tail = &head;
	rec_change_t **pp = queue;
	size_t n = 0, bytes = 12 + 300; /* header, zone, TSIG */
	while (*pp != NULL && n < max_changes) {
		rec_change_t *ch = *pp;
		size_t sz = rec_change_size(ch);
		bool clash = false;
		for (rec_change_t *t = head; t != NULL && !clash; t = t->next) {
			clash = strcmp(t->name, ch->name) == 0;
		}
		if (n > 0 && bytes + sz > max_bytes) {
			break;
		}
		if (clash) {
			pp = &ch->next;
			continue;
		}
		*pp = ch->next;
		ch->next = NULL;
		*tail = ch;
		tail = &ch->next;
		bytes += sz;
		n++;
	}
	*count = n;
	return head;
}

ldns_pkt *rec_batch_update(const char *zone, const rec_change_t *list)
{
	ldns_rr_list *pre = ldns_rr_list_new();
	ldns_rr_list *upd = ldns_rr_list_new();
	ldns_pkt *pkt = NULL;
	bool ok = pre != NULL && upd != NULL;
	for (const rec_change_t *ch = list; ok && ch != NULL; ch = ch->next) {
		ok = rec_change_rrs(ch, pre, upd);
	}
	if (ok) {
		pkt = dns_msg_update_new(zone, pre, upd);
	}
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(upd);
	return pkt;
}
