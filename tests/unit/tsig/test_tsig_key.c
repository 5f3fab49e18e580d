/*
 * TSIG keys: BIND key files (tsig-keygen output, several keys, comments,
 * every syntax error an operator can make), `nsupdate -y` strings, and the
 * permission checks of tsig_keyfile_load(). Every error message is checked
 * for the file label/line and for not quoting the secret.
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

#include "src/common/error.h"
#include "tsig/tsig_alg.h"
#include "tsig/tsig_key.h"

/* The 32 bytes 0x00..0x1f, the secret of the BIND captures. */
#define SECRET_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
/* A second, recognisable secret: must never show up in a message. */
#define SECRET2_B64 "c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFrLTEyMzQ="

/* As `tsig-keygen -a hmac-sha256 lease-key` writes it. */
#define KEYGEN_FILE \
	"key \"lease-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" SECRET_B64 "\";\n};\n"

static void assert_secret_bytes(const tsig_key_t *key)
{
	assert_int_equal(key->secret_len, 32);
	for (size_t i = 0; i < 32; i++) {
		assert_int_equal(key->secret[i], i);
	}
}

/* Messages must never carry secret text, whole or in part. */
static void assert_no_secret(const df_detail_t *d)
{
	assert_null(strstr(d->msg, SECRET_B64));
	assert_null(strstr(d->msg, SECRET2_B64));
	assert_null(strstr(d->msg, "AAECAwQF"));
	assert_null(strstr(d->msg, "c2VjcmV0"));
}

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		if (b[i] != 0) {
			return false;
		}
	}
	return true;
}

static int parse(tsig_key_t *key, const char *text, const char *want, df_detail_t *d)
{
	memset(d, 0, sizeof(*d));
	return tsig_keyfile_parse(key, text, strlen(text), want, "test.key", d);
}

/* Parses text expecting failure code, with want, and msg containing every
 * fragment given (NULL-terminated). */
static void expect_error(const char *text, const char *want, int code, ...)
{
	tsig_key_t key;
	df_detail_t d;
	memset(&key, 0xa5, sizeof(key));
	int ret = parse(&key, text, want, &d);
	if (ret != code) {
		fail_msg("expected %s, got %s (%s)", df_strerror(code), df_strerror(ret), d.msg);
	}
	va_list ap;
	va_start(ap, code);
	const char *frag;
	while ((frag = va_arg(ap, const char *)) != NULL) {
		if (strstr(d.msg, frag) == NULL) {
			fail_msg("message \"%s\" lacks \"%s\"", d.msg, frag);
		}
	}
	va_end(ap);
	assert_no_secret(&d);
	/* A failed parse leaves nothing behind, in particular no secret. */
	assert_true(all_zero(&key, sizeof(key)));
}

static void test_keygen_file(void **state)
{
	(void)state;
	tsig_key_t key;
	df_detail_t d;
	assert_int_equal(parse(&key, KEYGEN_FILE, NULL, &d), DF_OK);
	assert_string_equal(key.name, "lease-key.");
	assert_int_equal(key.wire_len, 11);
	assert_memory_equal(key.wire, "\x09lease-key\x00", 11);
	assert_ptr_equal(key.alg, tsig_alg_by_name("hmac-sha256"));
	assert_secret_bytes(&key);
	tsig_key_deinit(&key);
	assert_true(all_zero(&key, sizeof(key)));
}

/* want matches however the operator spells the name. */
static void test_select_by_name(void **state)
{
	(void)state;
	static const char *const wants[] = {"lease-key", "lease-key.", "LEASE-KEY.", "Lease-Key"};
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		tsig_key_t key;
		df_detail_t d;
		assert_int_equal(parse(&key, KEYGEN_FILE, wants[i], &d), DF_OK);
		assert_string_equal(key.name, "lease-key.");
		tsig_key_deinit(&key);
	}
}

#define MULTI_FILE                                                                   \
	"key \"a-key\" {\n algorithm hmac-sha1;\n secret \"" SECRET2_B64 "\";\n};\n" \
	"key B-Key. { algorithm HMAC-SHA512; secret \"" SECRET_B64 "\"; };\n"        \
	"key \"c.example.\" {\n algorithm hmac-md5.sig-alg.reg.int.;\n secret \"AQID\";\n};\n"

static void test_several_keys(void **state)
{
	(void)state;
	tsig_key_t key;
	df_detail_t d;

	assert_int_equal(parse(&key, MULTI_FILE, "b-key", &d), DF_OK);
	assert_string_equal(key.name, "b-key.");
	assert_ptr_equal(key.alg, tsig_alg_by_name("hmac-sha512"));
	assert_secret_bytes(&key);
	tsig_key_deinit(&key);

	assert_int_equal(parse(&key, MULTI_FILE, "C.Example", &d), DF_OK);
	assert_string_equal(key.name, "c.example.");
	assert_memory_equal(key.wire,
			    "\x01"
			    "c\x07"
			    "example\x00",
			    11);
	assert_ptr_equal(key.alg, tsig_alg_by_name("hmac-md5"));
	assert_int_equal(key.secret_len, 3);
	assert_memory_equal(key.secret, "\x01\x02\x03", 3);
	tsig_key_deinit(&key);

	/* Which one? The operator must say, and learns which names exist. */
	expect_error(MULTI_FILE, NULL, DF_EKEYFILE, "test.key", "3 keys", "a-key.", "b-key.",
		     "c.example.", "TSIG_KEYNAME", NULL);
	expect_error(MULTI_FILE, "lease-key", DF_EKEYFILE, "no key named \"lease-key.\"",
		     "a-key., b-key., c.example.", "TSIG_KEYNAME", NULL);
	expect_error(KEYGEN_FILE, "other", DF_EKEYFILE, "no key named \"other.\"", "lease-key.",
		     NULL);
	expect_error(KEYGEN_FILE, "bad..name", DF_EINVAL, "TSIG_KEYNAME", "empty label", NULL);
}

static void test_comments_and_layout(void **state)
{
	(void)state;
	static const char *const texts[] = {
		/* ddns-confgen style: comment lines around the statement */
		"# To activate this key, place the following in named.conf\n"
		"// and in a separate keyfile on the system\n"
		"/* a block\n   comment over * several / lines */\n" KEYGEN_FILE
		"# update-policy { grant lease-key name lease.example.test. TXT; };\n",
		/* everything on one line, unquoted name, comments between tokens */
		"key lease-key/*c*/{algorithm hmac-sha256;#x\nsecret \"" SECRET_B64 "\";//y\n};",
		/* CRLF and tabs, keyword case */
		"KEY\t\"lease-key\"\r\n{\r\n  Algorithm  \"hmac-sha256\" ;\r\n  SECRET "
		"\"" SECRET_B64 "\" ;\r\n} ;\r\n",
		/* secret split by whitespace inside the string, as BIND accepts */
		"key \"lease-key\" { secret \"AAECAwQFBgcICQoLDA0ODxAR EhMUFRYXGBkaGxwdHh8=\"; "
		"algorithm hmac-sha256; };",
		/* no newline at the end, comment at the very end without newline */
		KEYGEN_FILE "// trailing",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		tsig_key_t key;
		df_detail_t d;
		int ret = parse(&key, texts[i], NULL, &d);
		if (ret != DF_OK) {
			fail_msg("text %zu: %s", i, d.msg);
		}
		assert_string_equal(key.name, "lease-key.");
		assert_ptr_equal(key.alg, tsig_alg_by_name("hmac-sha256"));
		assert_secret_bytes(&key);
		tsig_key_deinit(&key);
	}
}

/* Text need not be NUL-terminated: parse a prefix of a longer buffer. */
static void test_length_bounded(void **state)
{
	(void)state;
	char buf[sizeof(KEYGEN_FILE) + 16];
	memcpy(buf, KEYGEN_FILE, sizeof(KEYGEN_FILE) - 1);
	memcpy(buf + sizeof(KEYGEN_FILE) - 1, "key \"x\" {", 9);
	tsig_key_t key;
	df_detail_t d;
	assert_int_equal(tsig_keyfile_parse(&key, buf, sizeof(KEYGEN_FILE) - 1, NULL, "t", &d),
			 DF_OK);
	tsig_key_deinit(&key);
	assert_int_not_equal(
		tsig_keyfile_parse(&key, buf, sizeof(KEYGEN_FILE) - 1 + 9, NULL, "t", &d), DF_OK);
}

static void test_duplicate_names(void **state)
{
	(void)state;
	expect_error("key \"a\" { algorithm hmac-sha256; secret \"" SECRET_B64 "\"; };\n"
		     "key \"A.\" { algorithm hmac-sha1; secret \"" SECRET2_B64 "\"; };\n",
		     "a", DF_EKEYFILE, "test.key:2:", "defined twice", "line 1", NULL);
}

static void test_bad_secret(void **state)
{
	(void)state;
	/* invalid character: '*' is not base64 */
	expect_error("key k {\n algorithm hmac-sha256;\n secret \"c2VjcmV0*XRoYXQ=\";\n};\n", NULL,
		     DF_EKEYFILE, "test.key:3:", "key \"k.\"", "base64", NULL);
	/* cut short: length not a multiple of 4 */
	expect_error("key k { algorithm hmac-sha256; secret "
		     "\"c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1sZWFrLTEyMzQ\"; };",
		     NULL, DF_EKEYFILE, "test.key:1:", "multiple of 4", NULL);
	/* missing padding */
	expect_error("key k { algorithm hmac-sha256; secret \"AQI\"; };", NULL, DF_EKEYFILE,
		     "base64", NULL);
	/* data after padding */
	expect_error("key k { algorithm hmac-sha256; secret \"AQ==AQID\"; };", NULL, DF_EKEYFILE,
		     "after '='", NULL);
	/* too much padding / padding too early */
	expect_error("key k { algorithm hmac-sha256; secret \"A===\"; };", NULL, DF_EKEYFILE, "'='",
		     NULL);
	/* non-canonical: "AB==" carries bits the padding discards */
	expect_error("key k { algorithm hmac-sha256; secret \"AB==\"; };", NULL, DF_EKEYFILE,
		     "non-zero bits", NULL);
	/* empty secret */
	expect_error("key k { algorithm hmac-sha256; secret \"\"; };", NULL, DF_EKEYFILE,
		     "secret is empty", NULL);
	/* secret not quoted: described, not shown */
	expect_error("key k { algorithm hmac-sha256; secret " SECRET2_B64 "; };", NULL, DF_EKEYFILE,
		     "quoted string", "found a word", NULL);
	/* a secret where the algorithm belongs: the message must not echo it */
	expect_error("key k { algorithm \"" SECRET2_B64 "\"; };", NULL, DF_EALG,
		     "unknown TSIG algorithm", NULL);
	expect_error("key k { algorithm hmac-sha256 \"" SECRET2_B64 "\"; };", NULL, DF_EKEYFILE,
		     "expected ';' after the algorithm, found a quoted string", NULL);
	expect_error("key k { algorithm hmac-sha256 " SECRET2_B64 "; };", NULL, DF_EKEYFILE,
		     "found a word", NULL);
	/* too long: 600 bytes of secret, above TSIG_SECRET_MAX */
	char text[1200];
	int n = snprintf(text, sizeof(text), "key k { algorithm hmac-sha256; secret \"");
	for (int i = 0; i < 200; i++) {
		n += snprintf(text + n, sizeof(text) - (size_t)n, "AAAA");
	}
	snprintf(text + n, sizeof(text) - (size_t)n, "\"; };");
	expect_error(text, NULL, DF_EKEYFILE, "longer than 512", NULL);
}

static void test_bad_algorithm(void **state)
{
	(void)state;
	expect_error("key k {\n algorithm hmac-sha999;\n secret \"" SECRET_B64 "\";\n};\n", NULL,
		     DF_EALG, "test.key:2:", "\"hmac-sha999\"", "hmac-sha256", NULL);
	expect_error("key k { algorithm; secret \"" SECRET_B64 "\"; };", NULL, DF_EKEYFILE,
		     "expected an algorithm name", NULL);
	expect_error("key k { secret \"" SECRET_B64 "\"; };", NULL, DF_EKEYFILE, "has no algorithm",
		     NULL);
	expect_error("key k { algorithm hmac-sha256; algorithm hmac-sha1; secret \"" SECRET_B64
		     "\"; };",
		     NULL, DF_EKEYFILE, "second algorithm", NULL);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	/* missing ';' after the algorithm, after the secret, after '}' */
	expect_error("key k {\n algorithm hmac-sha256\n secret \"" SECRET_B64 "\";\n};\n", NULL,
		     DF_EKEYFILE, "test.key:3:", "expected ';' after the algorithm", "'secret'",
		     NULL);
	expect_error("key k {\n algorithm hmac-sha256;\n secret \"" SECRET_B64 "\"\n};\n", NULL,
		     DF_EKEYFILE, "test.key:4:", "expected ';' after the secret", "'}'", NULL);
	expect_error("key k {\n algorithm hmac-sha256;\n secret \"" SECRET_B64 "\";\n}\n", NULL,
		     DF_EKEYFILE, "test.key:5:", "after the '}'", "end of file", NULL);
	/* missing '}' */
	expect_error("key k {\n algorithm hmac-sha256;\n secret \"" SECRET_B64 "\";\n", NULL,
		     DF_EKEYFILE, "test.key:1:", "not closed", NULL);
	/* missing '{' */
	expect_error("key k\n algorithm hmac-sha256;\n secret \"" SECRET_B64 "\";\n};\n", NULL,
		     DF_EKEYFILE, "test.key:2:", "expected '{'", NULL);
	/* missing name */
	expect_error("key {\n algorithm hmac-sha256; secret \"" SECRET_B64 "\"; };", NULL,
		     DF_EKEYFILE, "test.key:1:", "expected a key name", NULL);
	/* no secret */
	expect_error("key k { algorithm hmac-sha256; };", NULL, DF_EKEYFILE, "has no secret", NULL);
	/* unknown clause and unknown statement */
	expect_error("key k { algorithm hmac-sha256; secret \"" SECRET_B64 "\"; owner x; };", NULL,
		     DF_EKEYFILE, "found a word in key \"k.\"", NULL);
	expect_error("options { directory \"/var\"; };", NULL, DF_EKEYFILE,
		     "test.key:1:", "expected a key statement", NULL);
	/* an invalid key name */
	expect_error("key \"a..b\" { algorithm hmac-sha256; secret \"" SECRET_B64 "\"; };", NULL,
		     DF_EKEYFILE, "test.key:1:", "empty label", NULL);
	/* unterminated comment, reported where it opens */
	expect_error(KEYGEN_FILE "\n/* never closed\n\n", NULL, DF_EKEYFILE,
		     "test.key:6:", "unterminated /*", NULL);
	/* unterminated string: the secret's own quote */
	expect_error("key k {\n algorithm hmac-sha256;\n secret \"" SECRET_B64 ";\n};\n", NULL,
		     DF_EKEYFILE, "test.key:3:", "unterminated quoted string", NULL);
	expect_error("key \"k", NULL, DF_EKEYFILE, "unterminated quoted string", NULL);
	/* NUL inside the text */
	tsig_key_t key;
	df_detail_t d;
	static const char nul[] = "key k\0{";
	assert_int_equal(tsig_keyfile_parse(&key, nul, sizeof(nul) - 1, NULL, "t", &d),
			 DF_EKEYFILE);
	assert_non_null(strstr(d.msg, "NUL"));
}

static void test_empty_file(void **state)
{
	(void)state;
	expect_error("", NULL, DF_EKEYFILE, "test.key", "no key statement", NULL);
	expect_error("  \n\t\n", NULL, DF_EKEYFILE, "no key statement", NULL);
	expect_error("# only a comment\n/* and another */\n", "lease-key", DF_EKEYFILE,
		     "no key statement", NULL);
	tsig_key_t key;
	df_detail_t d;
	assert_int_equal(tsig_keyfile_parse(&key, NULL, 0, NULL, NULL, &d), DF_EKEYFILE);
	assert_int_equal(tsig_keyfile_parse(NULL, "", 0, NULL, NULL, &d), DF_EINVAL);
}

static void test_key_init(void **state)
{
	(void)state;
	tsig_key_t key;
	df_detail_t d = {{0}};

	assert_int_equal(tsig_key_init(&key, "Lease-Key", "HMAC-SHA256.", SECRET_B64, &d), DF_OK);
	assert_string_equal(key.name, "lease-key.");
	assert_memory_equal(key.wire, "\x09lease-key\x00", 11);
	assert_secret_bytes(&key);
	tsig_key_deinit(&key);

	/* the longest name: 253 characters, wire form exactly 255 bytes */
	char name[300];
	memset(name, 'a', sizeof(name));
	for (int i = 63; i < 253; i += 64) {
		name[i] = '.';
	}
	name[253] = '\0';
	assert_int_equal(tsig_key_init(&key, name, "hmac-sha1", SECRET_B64, &d), DF_OK);
	assert_int_equal(key.wire_len, 255);
	tsig_key_deinit(&key);
	name[253] = 'a';
	name[254] = '\0';
	assert_int_equal(tsig_key_init(&key, name, "hmac-sha1", SECRET_B64, &d), DF_EINVAL);
	assert_non_null(strstr(d.msg, "longer than 253"));

	static const struct {
		const char *name, *alg, *secret, *frag;
		int code;
	} bad[] = {
		{"", "hmac-sha256", SECRET_B64, "empty", DF_EINVAL},
		{".", "hmac-sha256", SECRET_B64, "empty", DF_EINVAL},
		{"a..b", "hmac-sha256", SECRET_B64, "empty label", DF_EINVAL},
		{".a", "hmac-sha256", SECRET_B64, "empty label", DF_EINVAL},
		{"a..", "hmac-sha256", SECRET_B64, "empty label", DF_EINVAL},
		{"a b", "hmac-sha256", SECRET_B64, "space", DF_EINVAL},
		{"a\\.b", "hmac-sha256", SECRET_B64, "backslash", DF_EINVAL},
		{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x",
		 "hmac-sha256", SECRET_B64, "63", DF_EINVAL},
		{"k", "hmac-sha3", SECRET_B64, "unknown TSIG algorithm \"hmac-sha3\"", DF_EALG},
		{"k", "hmac-sha256", "", "empty", DF_EINVAL},
		{"k", "hmac-sha256", "  \n", "empty", DF_EINVAL},
		{"k", "hmac-sha256", SECRET2_B64 "!", "alphabet", DF_EINVAL},
		{"k", "hmac-sha256", "-_-_", "alphabet", DF_EINVAL}, /* base64url is not base64 */
		{NULL, "hmac-sha256", SECRET_B64, "name", DF_EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&key, 0x5a, sizeof(key));
		memset(&d, 0, sizeof(d));
		int ret = tsig_key_init(&key, bad[i].name, bad[i].alg, bad[i].secret, &d);
		if (ret != bad[i].code || strstr(d.msg, bad[i].frag) == NULL) {
			fail_msg("case %zu: %s (%s)", i, df_strerror(ret), d.msg);
		}
		assert_no_secret(&d);
		assert_true(all_zero(&key, sizeof(key)));
	}
	assert_int_equal(tsig_key_init(NULL, "k", "hmac-sha256", SECRET_B64, NULL), DF_EINVAL);
	/* d may be NULL */
	assert_int_equal(tsig_key_init(&key, "k", "nope", SECRET_B64, NULL), DF_EALG);
	tsig_key_deinit(NULL);
}

static void test_from_string(void **state)
{
	(void)state;
	tsig_key_t key;
	df_detail_t d = {{0}};

	assert_int_equal(tsig_key_from_string(&key, "hmac-sha256:lease-key:" SECRET_B64, &d),
			 DF_OK);
	assert_string_equal(key.name, "lease-key.");
	assert_ptr_equal(key.alg, tsig_alg_by_name("hmac-sha256"));
	assert_secret_bytes(&key);
	tsig_key_deinit(&key);

	assert_int_equal(
		tsig_key_from_string(&key, "hmac-md5.sig-alg.reg.int.:Lease-Key.:" SECRET_B64, &d),
		DF_OK);
	assert_string_equal(key.name, "lease-key.");
	assert_ptr_equal(key.alg, tsig_alg_by_name("hmac-md5"));
	tsig_key_deinit(&key);

	static const struct {
		const char *spec, *frag;
		int code;
	} bad[] = {
		/* nsupdate would take this as hmac-md5: we insist on the algorithm */
		{"lease-key:" SECRET2_B64, "hmac-md5", DF_EINVAL},
		{SECRET2_B64, "alg:name:secret", DF_EINVAL},
		{"hmac-sha999:lease-key:" SECRET2_B64, "not a known algorithm", DF_EALG},
		/* fields in the wrong order: the secret comes first, never echoed */
		{SECRET2_B64 ":lease-key:hmac-sha256", "not a known algorithm", DF_EALG},
		{"hmac-sha256:" SECRET2_B64 ":lease-key", "base64", DF_EINVAL},
		{"hmac-sha256:lease-key:", "secret is empty", DF_EINVAL},
		{"hmac-sha256::" SECRET2_B64, "TSIG key string: key name is empty", DF_EINVAL},
		{"hmac-sha256:lease-key:" SECRET2_B64 ":x", "more than two ':'", DF_EINVAL},
		{"hmac-sha256:lease-key:c2VjcmV0*", "base64", DF_EINVAL},
		{"", "no ':'", DF_EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&key, 0x5a, sizeof(key));
		memset(&d, 0, sizeof(d));
		int ret = tsig_key_from_string(&key, bad[i].spec, &d);
		if (ret != bad[i].code || strstr(d.msg, bad[i].frag) == NULL) {
			fail_msg("case %zu: %s (%s)", i, df_strerror(ret), d.msg);
		}
		assert_no_secret(&d);
		assert_true(all_zero(&key, sizeof(key)));
	}
	assert_int_equal(tsig_key_from_string(&key, NULL, &d), DF_EINVAL);
	assert_int_equal(tsig_key_from_string(NULL, "a:b:c", &d), DF_EINVAL);
}

/* Key files on disk: a private temporary directory per test run. */
static char tmpdir[] = "/tmp/test_tsig_key.XXXXXX";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_load_permissions(void **state)
{
	(void)state;
	char path[256];
	tsig_key_t key;
	df_detail_t d = {{0}};
	snprintf(path, sizeof(path), "%s/lease.key", tmpdir);

	write_file(path, KEYGEN_FILE, 0600);
	assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_OK);
	assert_string_equal(key.name, "lease-key.");
	assert_secret_bytes(&key);
	tsig_key_deinit(&key);
	assert_int_equal(tsig_keyfile_load(&key, path, "lease-key", &d), DF_OK);
	tsig_key_deinit(&key);
	/* owner-only modes other than 0600 are fine too */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_OK);
	tsig_key_deinit(&key);

	static const struct {
		mode_t mode;
		const char *what;
	} refused[] = {
		{0644, "readable by group and others"},
		{0640, "readable by group"},
		{0604, "readable by others"},
		{0660, "readable and writable by group"},
		{0610, "executable by group"},
		{0601, "executable by others"},
		{0620, "writable by group"},
		{0602, "writable by others"},
		{0642, "readable by group and writable by others"},
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char expect[2 * sizeof(path) + 100];
		assert_int_equal(chmod(path, refused[i].mode), 0);
		memset(&key, 0x5a, sizeof(key));
		assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_EKEYPERM);
		snprintf(expect, sizeof(expect),
			 "key file %s is %s (mode %04o, owner uid %u): run 'chmod 600 %s'", path,
			 refused[i].what, (unsigned)refused[i].mode, (unsigned)geteuid(), path);
		assert_string_equal(d.msg, expect);
		assert_no_secret(&d);
		assert_true(all_zero(&key, sizeof(key)));
	}

	/* Owned by someone else: only root can set that up. */
	assert_int_equal(chmod(path, 0600), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 12345, 12345), 0);
		assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_EKEYPERM);
		assert_non_null(strstr(d.msg, "owned by uid 12345"));
		assert_int_equal(chown(path, 0, 0), 0);
	}

	/* A syntax error names the path and line. */
	write_file(path, "key k {\n algorithm hmac-sha256;\n secret \"AQI\";\n};\n", 0600);
	assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_EKEYFILE);
	char prefix[sizeof(path) + 16];
	snprintf(prefix, sizeof(prefix), "%s:3: ", path);
	assert_memory_equal(d.msg, prefix, strlen(prefix));
	assert_int_equal(unlink(path), 0);
}

static void test_load_not_a_file(void **state)
{
	(void)state;
	char path[256];
	tsig_key_t key;
	df_detail_t d = {{0}};

	snprintf(path, sizeof(path), "%s/missing.key", tmpdir);
	assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_ENOENT);
	assert_non_null(strstr(d.msg, path));
	assert_non_null(strstr(d.msg, "does not exist"));

	/* a directory, even one with a safe mode */
	snprintf(path, sizeof(path), "%s/dir.key", tmpdir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_EKEYFILE);
	assert_non_null(strstr(d.msg, "not a regular file"));
	assert_int_equal(rmdir(path), 0);

	/* a FIFO must be refused, not block open() or read() */
	snprintf(path, sizeof(path), "%s/fifo.key", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_EKEYFILE);
	assert_non_null(strstr(d.msg, "not a regular file"));
	assert_int_equal(unlink(path), 0);

	/* larger than 64 KiB: refused before reading */
	snprintf(path, sizeof(path), "%s/big.key", tmpdir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 70 * 1024; i++) {
		fputc('#', f);
	}
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(tsig_keyfile_load(&key, path, NULL, &d), DF_EKEYFILE);
	assert_non_null(strstr(d.msg, "larger than"));
	assert_int_equal(unlink(path), 0);

	assert_int_equal(tsig_keyfile_load(&key, NULL, NULL, &d), DF_EINVAL);
}

static int setup_tmpdir(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

/*
 * What the log (stderr before daemonizing) received while fn ran.
 */
static const char *logged_by(int (*fn)(tsig_key_t *key, const void *arg), tsig_key_t *key,
			     const void *arg, int *ret)
{
	static char out[4096];
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	*ret = fn(key, arg);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	size_t n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static int from_string(tsig_key_t *key, const void *spec)
{
	return tsig_key_from_string(key, spec, NULL);
}

static int from_file_text(tsig_key_t *key, const void *text)
{
	return tsig_keyfile_parse(key, text, strlen(text), NULL, "/etc/dnsfailover/tsig.key", NULL);
}

static int from_init_md5(tsig_key_t *key, const void *secret)
{
	return tsig_key_init(key, "lease-key", "hmac-md5", secret, NULL);
}

/* A 1-byte secret is taken (the server decides), with a warning that names
 * the key and the length and says what to use instead. */
static void test_short_secret_warns(void **state)
{
	(void)state;
	tsig_key_t key;
	int ret = -1;
	const char *log = logged_by(from_string, &key, "hmac-sha256:lease-key:AQ==", &ret);
	assert_int_equal(ret, DF_OK);
	assert_int_equal(key.secret_len, 1);
	assert_non_null(strstr(log, "[WARN]"));
	assert_non_null(strstr(log, "TSIG key \"lease-key.\""));
	assert_non_null(strstr(log, "1-byte secret"));
	assert_non_null(strstr(log, "hmac-sha256"));
	assert_non_null(strstr(log, "at least 32 bytes"));
	assert_non_null(strstr(log, "tsig-keygen"));
	assert_null(strstr(log, "AQ=="));
	tsig_key_deinit(&key);

	log = logged_by(from_file_text, &key,
			"# lease\nkey \"lease-key\" {\n\talgorithm hmac-sha512;\n\tsecret "
			"\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\";\n};\n",
			&ret);
	assert_int_equal(ret, DF_OK);
	/* 31 bytes is less than half of hmac-sha512's 64. */
	assert_int_equal(key.secret_len, 31);
	assert_non_null(strstr(log, "/etc/dnsfailover/tsig.key:2"));
	assert_non_null(strstr(log, "TSIG key \"lease-key.\""));
	assert_non_null(strstr(log, "31-byte secret"));
	assert_non_null(strstr(log, "at least 64 bytes"));
	tsig_key_deinit(&key);

	log = logged_by(from_init_md5, &key, "AAECAwQFBg==", &ret); /* 7 bytes */
	assert_int_equal(ret, DF_OK);
	assert_non_null(strstr(log, "7-byte secret"));
	assert_non_null(strstr(log, "at least 16 bytes"));
	tsig_key_deinit(&key);
}

/* The rule: a warning below half the HMAC output size; tsig-keygen's keys
 * (the full output size) and half of it pass quietly. */
static void test_secret_length_rule(void **state)
{
	(void)state;
	tsig_key_t key;
	int ret = -1;
	/* 32 bytes for hmac-sha256, as tsig-keygen makes. */
	assert_string_equal(logged_by(from_string, &key, "hmac-sha256:k:" SECRET_B64, &ret), "");
	assert_int_equal(ret, DF_OK);
	/* 16 bytes: half the output, still quiet. */
	assert_string_equal(
		logged_by(from_string, &key, "hmac-sha256:k:AAECAwQFBgcICQoLDA0ODw==", &ret), "");
	assert_int_equal(key.secret_len, 16);
	/* 15 bytes: warned. */
	assert_non_null(
		strstr(logged_by(from_string, &key, "hmac-sha256:k:AAECAwQFBgcICQoLDA0O", &ret),
		       "15-byte secret"));
	assert_int_equal(key.secret_len, 15);
	/* hmac-md5 (16-byte output): 8 bytes is half, quiet. */
	assert_string_equal(logged_by(from_init_md5, &key, "AAECAwQFBgc=", &ret), "");
	assert_int_equal(key.secret_len, 8);
	tsig_key_deinit(&key);
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* A generated key is a tsig-keygen key statement the parser reads back:
 * hmac-sha256, 32 random bytes, a new secret every time. */
static void test_generate(void **state)
{
	(void)state;
	char a[512], b[512];
	df_detail_t d = {""};
	tsig_key_t ka = {0}, kb = {0};
	assert_int_equal(tsig_keyfile_generate("site-key", a, sizeof(a), &d), DF_OK);
	assert_int_equal(tsig_keyfile_generate("site-key", b, sizeof(b), &d), DF_OK);
	assert_non_null(strstr(a, "key \"site-key\" {\n\talgorithm hmac-sha256;\n\tsecret \""));
	assert_int_equal(tsig_keyfile_parse(&ka, a, strlen(a), "site-key", "gen", &d), DF_OK);
	assert_int_equal(tsig_keyfile_parse(&kb, b, strlen(b), NULL, "gen", &d), DF_OK);
	assert_string_equal(ka.name, "site-key.");
	assert_ptr_equal(ka.alg, tsig_alg_by_name("hmac-sha256"));
	assert_int_equal(ka.secret_len, 32);
	assert_int_equal(kb.secret_len, 32);
	assert_memory_not_equal(ka.secret, kb.secret, 32);
	tsig_key_deinit(&ka);
	tsig_key_deinit(&kb);

	char small[40];
	assert_int_equal(tsig_keyfile_generate("site-key", small, sizeof(small), &d), DF_ERANGE);
	assert_int_equal(tsig_keyfile_generate("bad\"name", a, sizeof(a), &d), DF_EINVAL);
	assert_non_null(strstr(d.msg, "not a valid key name"));
	assert_int_equal(tsig_keyfile_generate("", a, sizeof(a), &d), DF_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keygen_file),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_select_by_name),
		cmocka_unit_test(test_several_keys),
		cmocka_unit_test(test_comments_and_layout),
		cmocka_unit_test(test_length_bounded),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_bad_secret),
		cmocka_unit_test(test_bad_algorithm),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_key_init),
		cmocka_unit_test(test_from_string),
		cmocka_unit_test(test_load_permissions),
		cmocka_unit_test(test_load_not_a_file),
		cmocka_unit_test(test_short_secret_warns),
		cmocka_unit_test(test_secret_length_rule),
	};
	return cmocka_run_group_tests_name("tsig_key", tests, setup_tmpdir, teardown_tmpdir);
}
