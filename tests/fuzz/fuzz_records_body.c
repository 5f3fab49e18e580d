/*
 * Fuzz target for dnsrecordsd's request bodies (rec_api_parse_body) and the
 * name / query-string checks: any bytes as a JSON body, and the same bytes
 * as a name from a URL. A body that is accepted must give a checked RRset
 * inside a served zone; a refusal must name a field and say why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "src/records/records_webhook.h"

static rec_conf_t conf;

static void setup(void)
{
	static const char text[] = "tokens_file = /dev/null\naudit_log = /dev/null\n"
				   "[zone example.test]\nserver = 127.0.0.1\nkey_file = /k\n"
				   "[zone sub.example.test]\nserver = 127.0.0.1\nkey_file = /k\n";
	df_detail_t d;
	if (rec_conf_parse(&conf, text, strlen(text), "fuzz", &d) != DF_OK) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		setup();
		ready = 1;
	}
	rec_rrset_t set;
	const rec_zone_conf_t *z = NULL;
	rec_error_t e = {{0}, {0}};
	unsigned status = 0;
	if (rec_api_parse_body(&conf, (const char *)data, size, NULL, &set, &z, &e, &status)) {
		rec_error_t e2;
		if (z == NULL || set.n == 0 || !rec_name_in_zone(set.name, z->name) ||
		    !rec_rrset_check(&set, conf.ttl_min, conf.ttl_max, &e2)) {
			abort();
		}
		char etag[32];
		rec_rrset_etag(&set, etag, sizeof(etag));
	} else if (e.field[0] == '\0' || e.msg[0] == '\0' || (status != 400 && status != 422)) {
		abort();
	}
	rec_rrset_clear(&set);

	/* The same bytes as external-dns endpoints (an array, or one object). */
	json_t *j = json_loadb((const char *)data, size, 0, NULL);
	if (j != NULL) {
		size_t i;
		json_t *ep;
		json_t *list = json_is_array(j) ? j : json_object_get(j, "create");
		json_array_foreach(list, i, ep)
		{
			if (rec_webhook_endpoint(&conf, ep, &set, &z, &e) &&
			    (z == NULL || !rec_name_in_zone(set.name, z->name))) {
				abort();
			}
			rec_rrset_clear(&set);
		}
		if (json_is_object(j) && rec_webhook_endpoint(&conf, j, &set, &z, &e) &&
		    z == NULL) {
			abort();
		}
		rec_rrset_clear(&set);
		json_decref(j);
	}

	/* The same bytes as a name from the URL path or the query string. */
	char *s = malloc(size + 1);
	if (s == NULL) {
		return 0;
	}
	memcpy(s, data, size);
	s[size] = '\0';
	char name[REC_NAME_MAX];
	uint16_t type = 0;
	if (rec_name_check(s, REC_TXT, name, &e)) {
		if (strlen(name) > 254 || name[strlen(name) - 1] != '.') {
			abort();
		}
		rec_conf_zone_for(&conf, name);
	}
	rec_type_parse(s, &type);
	rec_rrset_init(&set, "x.example.test.", REC_SRV, 300);
	rec_value_add(&set, s, &e);
	rec_rrset_clear(&set);
	free(s);
	return 0;
}
