/*
 * Unit tests for src/http/xml_read.c: the Route 53 bodies of tests/vectors/
 * read into trees, entities decoded, and every refusal of a strict reader
 * (DOCTYPE, unknown entity, mismatched tags, depth, NUL, text outside the
 * root) with a reason that names the byte offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/http/xml_read.h"

static char *read_vector(const char *name, size_t *len)
{
	const char *dir = getenv("VECTORS_DIR");
	assert_non_null(dir); /* run through make check */
	char path[4096];
	snprintf(path, sizeof(path), "%s/route53/%s", dir, name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(65536);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static xml_doc_t *parse_ok(const char *s)
{
	xml_doc_t *doc = NULL;
	char why[200];
	int ret = xml_parse(&doc, s, strlen(s), why, sizeof(why));
	if (ret != DF_OK) {
		fprintf(stderr, "unexpected: %s\n", why);
	}
	assert_int_equal(ret, DF_OK);
	return doc;
}

static void parse_bad(const char *s, size_t len, const char *reason)
{
	xml_doc_t *doc = NULL;
	char why[200];
	assert_int_equal(xml_parse(&doc, s, len, why, sizeof(why)), DF_EMALFORMED);
	assert_null(doc);
	if (strstr(why, reason) == NULL) {
		fprintf(stderr, "reason \"%s\" lacks \"%s\"\n", why, reason);
	}
	assert_non_null(strstr(why, reason));
	assert_non_null(strstr(why, "at byte"));
}

static void test_listing(void **state)
{
	(void)state;
	size_t len;
	char *s = read_vector("synth-list-rrsets-lease.xml", &len);
	xml_doc_t *doc = NULL;
	assert_int_equal(xml_parse(&doc, s, len, NULL, 0), DF_OK);
	const xml_node_t *root = xml_root(doc);
	assert_string_equal(xml_name(root), "ListResourceRecordSetsResponse");
	const xml_node_t *set = xml_path(root, "ResourceRecordSets/ResourceRecordSet");
	assert_non_null(set);
	assert_string_equal(xml_child_text(set, "Name"), "lease.example.com.");
	assert_string_equal(xml_child_text(set, "Type"), "A");
	assert_string_equal(xml_text(xml_path(set, "ResourceRecords/ResourceRecord/Value")),
			    "192.0.2.10");
	set = xml_next(set, "ResourceRecordSet");
	assert_string_equal(xml_child_text(set, "Type"), "TXT");
	assert_string_equal(xml_text(xml_path(set, "ResourceRecords/ResourceRecord/Value")),
			    "\"owner=primary exp=1768478400\"");
	set = xml_next(set, "ResourceRecordSet");
	assert_string_equal(xml_child_text(set, "Name"), "ns1.example.com.");
	assert_null(xml_next(set, "ResourceRecordSet"));
	assert_string_equal(xml_child_text(root, "IsTruncated"), "false");
	assert_null(xml_child_text(root, "NextRecordName"));
	xml_free(doc);
	free(s);
}

static void test_every_vector(void **state)
{
	(void)state;
	static const char *const files[] = {
		"boto-fixture-list-rrsets-1.xml",
		"boto-fixture-list-rrsets-2.xml",
		"boto-fixture-list-rrsets-3.xml",
		"captured-boto-issue-2887-errorresponse-invalidchangebatch.xml",
		"lego-fixture-changeResourceRecordSetsResponse.xml",
		"lego-fixture-getChangeResponse.xml",
		"synth-change-request-cas-takeover.xml",
		"synth-error-response-prior-request-not-complete.xml",
		"synth-errorresponse-invalidchangebatch-values-mismatch.xml",
		"synth-invalid-change-batch-not-found.xml",
		"synth-invalid-change-batch-values-mismatch.xml",
		"synth-list-rrsets-lease.xml",
	};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		size_t len;
		char *s = read_vector(files[i], &len);
		xml_doc_t *doc = NULL;
		char why[200];
		int ret = xml_parse(&doc, s, len, why, sizeof(why));
		if (ret != DF_OK) {
			fprintf(stderr, "%s: %s\n", files[i], why);
		}
		assert_int_equal(ret, DF_OK);
		xml_free(doc);
		free(s);
	}
	size_t len;
	char *s =
		read_vector("captured-boto-issue-2887-errorresponse-invalidchangebatch.xml", &len);
	xml_doc_t *doc = NULL;
	assert_int_equal(xml_parse(&doc, s, len, NULL, 0), DF_OK);
	assert_string_equal(xml_text(xml_path(xml_root(doc), "Error/Code")), "InvalidChangeBatch");
	assert_non_null(strstr(xml_text(xml_path(xml_root(doc), "Error/Message")),
			       "[name='k.bestwestdays.net.', type='A'] but it was not found"));
	xml_free(doc);
	free(s);
}

static void test_entities(void **state)
{
	(void)state;
	xml_doc_t *doc = parse_ok("<a>x &lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#xe9;&#x20AC;"
				  "<![CDATA[<raw>&amp;]]><!-- c --><b k='v&amp;' j=\"1\"/>y</a>");
	const xml_node_t *a = xml_root(doc);
	assert_string_equal(xml_text(a), "x <>&\"' AB\xc3\xa9\xe2\x82\xac<raw>&amp;y");
	assert_string_equal(xml_name(xml_child(a, NULL)), "b");
	assert_string_equal(xml_text(xml_child(a, "b")), "");
	xml_free(doc);
	/* Prefixes dropped, a declaration and comments around the root. */
	doc = parse_ok("\xef\xbb\xbf<?xml version=\"1.0\"?>\n<!-- x --><ns:R xmlns:ns=\"u\">"
		       "<ns:C>1</ns:C></ns:R>\n<!-- y -->\n");
	assert_string_equal(xml_name(xml_root(doc)), "R");
	assert_string_equal(xml_child_text(xml_root(doc), "C"), "1");
	xml_free(doc);
	doc = parse_ok("<e/>");
	assert_string_equal(xml_text(xml_root(doc)), "");
	xml_free(doc);
}

static void test_refusals(void **state)
{
	(void)state;
	parse_bad("", 0, "no root element");
	parse_bad("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", 38, "DOCTYPE");
	parse_bad("<a>&x;</a>", 10, "unknown entity");
	parse_bad("<a>&#0;</a>", 11, "does not allow");
	parse_bad("<a>&#xD800;</a>", 15, "does not allow");
	parse_bad("<a>&#99999999999;</a>", 21, "character reference");
	parse_bad("<a>&amp</a>", 11, "unknown entity");
	parse_bad("<a><b></a></b>", 14, "does not match");
	parse_bad("<a></a><b></b>", 14, "second root");
	parse_bad("<a></a>x", 8, "outside the root");
	parse_bad("x<a></a>", 8, "outside the root");
	parse_bad("<a>", 3, "ends inside <a>");
	parse_bad("<a>\0</a>", 8, "NUL");
	parse_bad("<a>\x01</a>", 8, "control character");
	parse_bad("<a b></a>", 9, "'='");
	parse_bad("<a b=c></a>", 11, "quoted");
	parse_bad("<a b='<'></a>", 13, "attribute value");
	parse_bad("<a b='1'c='2'></a>", 18, "space");
	parse_bad("<a><!-- x </a>", 14, "unterminated comment");
	parse_bad("<a>]]></a>", 10, "]]>");
	parse_bad("<1a></1a>", 9, "name was expected");
	parse_bad("<a></ a>", 8, "name was expected");
	parse_bad("</a>", 4, "no element open");
	parse_bad("<a:></a:>", 9, "empty local part");
	char deep[4 * (XML_MAX_DEPTH + 2) + 1];
	size_t n = 0;
	for (int i = 0; i < XML_MAX_DEPTH + 1; i++) {
		memcpy(deep + n, "<a>", 3);
		n += 3;
	}
	parse_bad(deep, n, "deeper than");
	char *many = malloc(4 * (XML_MAX_NODES + 2) + 8);
	assert_non_null(many);
	n = 0;
	memcpy(many, "<r>", 3);
	n = 3;
	for (int i = 0; i < XML_MAX_NODES; i++) {
		memcpy(many + n, "<a/>", 4);
		n += 4;
	}
	memcpy(many + n, "</r>", 4);
	n += 4;
	parse_bad(many, n, "more than");
	free(many);
}

static void test_escape(void **state)
{
	(void)state;
	char *e = xml_escape("a&b<c>d\"e'f");
	assert_string_equal(e, "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	xml_doc_t *doc = NULL;
	char buf[128];
	snprintf(buf, sizeof(buf), "<v>%s</v>", e);
	assert_int_equal(xml_parse(&doc, buf, strlen(buf), NULL, 0), DF_OK);
	assert_string_equal(xml_text(xml_root(doc)), "a&b<c>d\"e'f");
	xml_free(doc);
	free(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listing),	 cmocka_unit_test(test_every_vector),
		cmocka_unit_test(test_entities), cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_escape),
	};
	return cmocka_run_group_tests_name("xml_read", tests, NULL, NULL);
}
