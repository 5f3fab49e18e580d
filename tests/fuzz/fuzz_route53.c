/*
 * Route 53 answer bodies on any bytes: the XML reader, the listing reader,
 * the error classifier, a TXT value decoded and encoded back, and the
 * version reader. What a message may carry is checked for control bytes
 * only after log_escape(), as the provider does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/http/xml_read.h"
#include "src/provider/route53.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	route53_page_t *pg = calloc(1, sizeof(*pg));
	route53_set_t *a = malloc(sizeof(*a)), *t = malloc(sizeof(*t));
	if (buf == NULL || pg == NULL || a == NULL || t == NULL) {
		goto out;
	}
	memcpy(buf, data, size);
	buf[size] = '\0';
	char why[200], code[64], msg[512];
	xml_doc_t *doc = NULL;
	if (xml_parse(&doc, buf, size, why, sizeof(why)) == DF_OK) {
		const xml_node_t *root = xml_root(doc);
		for (const xml_node_t *n = xml_child(root, NULL); n != NULL;
		     n = xml_next(n, NULL)) {
			(void)xml_text(n);
		}
		xml_free(doc);
	}
	route53_parse_listing(buf, size, "lease.example.com.", pg, why, sizeof(why));
	route53_parse_error(400, buf, size, code, sizeof(code), msg, sizeof(msg));
	route53_conflict_message(buf);
	char txt[1200], enc[4096], back[1200];
	if (route53_txt_decode(buf, txt, sizeof(txt)) == DF_OK &&
	    route53_txt_encode(txt, strlen(txt), enc, sizeof(enc)) == DF_OK) {
		/* Encoding then decoding gives the text back. */
		if (route53_txt_decode(enc, back, sizeof(back)) != DF_OK ||
		    strcmp(back, txt) != 0) {
			abort();
		}
	}
	lease_version_t v;
	v.len = size < sizeof(v.bytes) ? size : sizeof(v.bytes);
	memcpy(v.bytes, data, v.len);
	route53_version_get(&v, a, t);
out:
	free(buf);
	free(pg);
	free(a);
	free(t);
	return 0;
}
