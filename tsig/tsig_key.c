/*
 * TSIG keys from `nsupdate -y` strings and BIND key files. Every message says
 * where and what is wrong and what to do, and never quotes secret text: when
 * a token might be a misplaced secret it is described ("a quoted string"),
 * not shown.
 */
#include "tsig/tsig_key.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "src/common/log.h"
#include "src/common/secret_file.h"
#include "tsig/tsig_alg.h"

#define KEYFILE_SIZE_MAX (64 * 1024) /* tsig-keygen writes ~100 bytes per key */
#define KEYFILE_KEYS_MAX 64
#define TOKEN_MAX	 1024 /* a 512-byte secret is 684 base64 characters */
#define ALG_QUOTE_MAX	 32   /* longer "algorithm" text may be a misplaced secret */

static int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool word_equal(const char *a, const char *b)
{
	while (*a != '\0' && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b)) {
		a++;
		b++;
	}
	return *a == '\0' && *b == '\0';
}

/*
 * Sets key->name (lower case, absolute) and key->wire from text. Escapes
 * (\. and \DDD) are not supported: tsig-keygen never writes them, and
 * rejecting them is better than a name that silently differs from the
 * server's. Messages do not quote the name, the caller knows its context.
 */
static int key_set_name(tsig_key_t *key, const char *text, df_detail_t *d)
{
	size_t len = strlen(text);
	if (len > 0 && text[len - 1] == '.') {
		len--;
	}
	if (len == 0) {
		df_detail_set(d, "key name is empty (or the root)");
		return DF_EINVAL;
	}
	/* Wire form adds one length byte in front and the root label: len + 2. */
	if (len + 2 > TSIG_NAME_MAX) {
		df_detail_set(d, "key name is longer than %d characters", TSIG_NAME_MAX - 2);
		return DF_EINVAL;
	}

	size_t label_start = 0; /* offset in wire of the current label's length byte */
	size_t w = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c <= ' ' || c >= 0x7f || c == '\\') {
			df_detail_set(d, "key name contains a space, a control character or a "
					 "backslash (escapes are not supported)");
			return DF_EINVAL;
		}
		if (c == '.') {
			size_t label_len = w - label_start - 1;
			if (label_len == 0) {
				df_detail_set(d, "key name has an empty label (two dots in a row "
						 "or a leading dot)");
				return DF_EINVAL;
			}
			if (label_len > 63) {
				df_detail_set(d, "key name has a label longer than 63 characters");
				return DF_EINVAL;
			}
			key->wire[label_start] = (uint8_t)label_len;
			label_start = w++;
			key->name[i] = '.';
			continue;
		}
		key->wire[w++] = (uint8_t)ascii_lower(c);
		key->name[i] = (char)ascii_lower(c);
	}
	size_t label_len = w - label_start - 1;
	if (label_len == 0) {
		df_detail_set(d, "key name has an empty label (two dots in a row)");
		return DF_EINVAL;
	}
	if (label_len > 63) {
		df_detail_set(d, "key name has a label longer than 63 characters");
		return DF_EINVAL;
	}
	key->wire[label_start] = (uint8_t)label_len;
	key->wire[w++] = 0;
	key->wire_len = w;
	key->name[len] = '.';
	key->name[len + 1] = '\0';
	return DF_OK;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z') {
		return c - 'A';
	}
	if (c >= 'a' && c <= 'z') {
		return c - 'a' + 26;
	}
	if (c >= '0' && c <= '9') {
		return c - '0' + 52;
	}
	if (c == '+') {
		return 62;
	}
	if (c == '/') {
		return 63;
	}
	return -1;
}

/*
 * Decodes strict base64 (RFC 4648 alphabet, '=' padding required, unused
 * bits zero, as BIND's isc_base64 wants) into key->secret. Whitespace is
 * skipped, as BIND does inside a secret string.
 */
static int key_set_secret(tsig_key_t *key, const char *b64, size_t len, df_detail_t *d)
{
	int ret = DF_EINVAL;
	unsigned vals[4] = {0};
	size_t q = 0, pads = 0, out = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)b64[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			continue;
		}
		if (c == '=') {
			/* Padding fills the third and fourth character of the last quad only. */
			if (q < 2 || ++pads > 2) {
				df_detail_set(d,
					      "secret is not valid base64 ('=' at character %zu)",
					      i + 1);
				goto out;
			}
			vals[q++] = 0;
		} else {
			int v = b64_value(c);
			if (v < 0) {
				df_detail_set(d,
					      "secret is not valid base64 (character %zu is not in "
					      "the base64 alphabet)",
					      i + 1);
				goto out;
			}
			if (pads > 0) {
				df_detail_set(d, "secret is not valid base64 (data after '=' "
						 "padding)");
				goto out;
			}
			vals[q++] = (unsigned)v;
		}
		if (q < 4) {
			continue;
		}
		/* "xx==" and "xxx=" must not carry bits the padding throws away. */
		if ((pads == 2 && (vals[1] & 0x0f) != 0) || (pads == 1 && (vals[2] & 0x03) != 0)) {
			df_detail_set(d, "secret is not valid base64 (non-zero bits before the "
					 "'=' padding)");
			goto out;
		}
		size_t n = 3 - pads;
		if (out + n > TSIG_SECRET_MAX) {
			df_detail_set(d, "secret is longer than %d bytes", TSIG_SECRET_MAX);
			goto out;
		}
		uint8_t bytes[3] = {(uint8_t)(vals[0] << 2 | vals[1] >> 4),
				    (uint8_t)(vals[1] << 4 | vals[2] >> 2),
				    (uint8_t)(vals[2] << 6 | vals[3])};
		memcpy(key->secret + out, bytes, n);
		OPENSSL_cleanse(bytes, sizeof(bytes));
		out += n;
		q = 0;
	}
	if (q != 0) {
		df_detail_set(d, "secret is not valid base64 (its length is not a multiple of 4: "
				 "cut short or missing '=' padding?)");
		goto out;
	}
	if (out == 0) {
		df_detail_set(d, "secret is empty");
		goto out;
	}
	key->secret_len = out;
	ret = DF_OK;
out:
	OPENSSL_cleanse(vals, sizeof(vals));
	return ret;
}

/*
 * Warns when the secret is shorter than half the HMAC's output: below that
 * the key, not the algorithm, bounds how hard a signature is to forge, and
 * one signed message is enough to try secrets offline. RFC 2104 section 3
 * discourages any key shorter than the output; tsig-keygen makes keys of
 * exactly that size. The key is still used: the server decides what it
 * accepts. where names the source ("path:line" of a key file) or is NULL.
 */
static void warn_short_secret(const tsig_key_t *key, const char *where)
{
	size_t out = key->alg != NULL ? key->alg->mac_size : 0;
	if (out == 0 || key->secret_len * 2 >= out) {
		return; /* a negotiated (GSS) key, or long enough */
	}
	log_warn("TSIG key \"%s\"%s%s%s has a %zu-byte secret, less than half the %zu-byte "
		 "output of %s: it is easier to guess than the algorithm is to break; use a "
		 "secret of at least %zu bytes, as tsig-keygen -a %s makes",
		 key->name, where != NULL ? " (" : "", where != NULL ? where : "",
		 where != NULL ? ")" : "", key->secret_len, out, key->alg->name, out,
		 key->alg->name);
}

void tsig_key_deinit(tsig_key_t *key)
{
	if (key != NULL) {
		OPENSSL_cleanse(key, sizeof(*key));
	}
}

/* Prints alg_name only when it cannot be a secret pasted in the wrong field. */
static void set_unknown_alg(df_detail_t *d, const char *alg_name)
{
	if (strlen(alg_name) <= ALG_QUOTE_MAX) {
		df_detail_set(d, "unknown TSIG algorithm \"%s\" (known: %s)", alg_name,
			      tsig_alg_list());
	} else {
		df_detail_set(d, "unknown TSIG algorithm (known: %s)", tsig_alg_list());
	}
}

int tsig_key_init(tsig_key_t *key, const char *name, const char *alg_name, const char *secret_b64,
		  df_detail_t *d)
{
	int ret = DF_EINVAL;
	if (key == NULL) {
		return DF_EINVAL;
	}
	OPENSSL_cleanse(key, sizeof(*key));
	if (name == NULL || alg_name == NULL || secret_b64 == NULL) {
		df_detail_set(d, "TSIG key needs a name, an algorithm and a secret");
		goto out;
	}
	key->alg = tsig_alg_by_name(alg_name);
	if (key->alg == NULL) {
		set_unknown_alg(d, alg_name);
		ret = DF_EALG;
		goto out;
	}
	ret = key_set_name(key, name, d);
	if (ret != DF_OK) {
		goto out;
	}
	ret = key_set_secret(key, secret_b64, strlen(secret_b64), d);
	if (ret == DF_OK) {
		warn_short_secret(key, NULL);
	}
out:
	if (ret != DF_OK) {
		tsig_key_deinit(key);
	}
	return ret;
}

int tsig_key_from_string(tsig_key_t *key, const char *spec, df_detail_t *d)
{
	int ret = DF_EINVAL;
	char alg_name[ALG_QUOTE_MAX + 1];
	char name[TSIG_NAME_MAX + 2];

	if (key == NULL) {
		return DF_EINVAL;
	}
	OPENSSL_cleanse(key, sizeof(*key));
	if (spec == NULL) {
		df_detail_set(d, "TSIG key string is missing");
		goto out;
	}
	const char *c1 = strchr(spec, ':');
	const char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
	if (c1 == NULL) {
		df_detail_set(d, "TSIG key string has no ':': the format is alg:name:secret, "
				 "e.g. hmac-sha256:lease-key:SECRET");
		goto out;
	}
	if (c2 == NULL) {
		df_detail_set(d, "TSIG key string has no algorithm: write alg:name:secret, e.g. "
				 "hmac-sha256:NAME:SECRET (nsupdate -y would silently use "
				 "hmac-md5 here, which the server probably does not expect)");
		goto out;
	}
	if (strchr(c2 + 1, ':') != NULL) {
		df_detail_set(d, "TSIG key string has more than two ':': the format is "
				 "alg:name:secret");
		goto out;
	}

	/* The fields are not quoted: if they were given in the wrong order,
	 * any of them might be the secret. */
	size_t alg_len = (size_t)(c1 - spec);
	if (alg_len < sizeof(alg_name)) {
		memcpy(alg_name, spec, alg_len);
		alg_name[alg_len] = '\0';
		key->alg = tsig_alg_by_name(alg_name);
	}
	if (key->alg == NULL) {
		df_detail_set(d,
			      "the first field of the TSIG key string is not a known algorithm "
			      "(known: %s): the format is alg:name:secret",
			      tsig_alg_list());
		ret = DF_EALG;
		goto out;
	}
	size_t name_len = (size_t)(c2 - c1 - 1);
	if (name_len >= sizeof(name)) {
		df_detail_set(d, "the key name in the TSIG key string is too long");
		goto out;
	}
	memcpy(name, c1 + 1, name_len);
	name[name_len] = '\0';
	ret = key_set_name(key, name, d);
	if (ret == DF_OK) {
		ret = key_set_secret(key, c2 + 1, strlen(c2 + 1), d);
	}
	if (ret != DF_OK) {
		df_detail_prefix(d, "TSIG key string");
	} else {
		warn_short_secret(key, NULL);
	}
out:
	if (ret != DF_OK) {
		tsig_key_deinit(key);
	}
	return ret;
}

/* Key file parser. */

enum tok_type { TOK_EOF, TOK_WORD, TOK_STRING, TOK_LBRACE, TOK_RBRACE, TOK_SEMI };

typedef struct parser {
	const char *p, *end;
	unsigned line;
	const char *label;
	df_detail_t *d;

	enum tok_type type;
	unsigned tok_line;
	char tok[TOKEN_MAX + 1]; /* may hold the secret: wiped at the end */
	size_t tok_len;

	unsigned nkeys;
	char names[KEYFILE_KEYS_MAX][TSIG_NAME_MAX + 2];
	unsigned lines[KEYFILE_KEYS_MAX];

	char want[TSIG_NAME_MAX + 2]; /* normalised, "" for none */
	bool found;
	unsigned chosen_line;
	tsig_key_t current; /* the key being parsed */
	tsig_key_t chosen;
} parser_t;

static int perr(parser_t *ps, unsigned line, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Sets "label:line: message" and returns code. */
static int perr(parser_t *ps, unsigned line, int code, const char *fmt, ...)
{
	char msg[sizeof(ps->d->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	df_detail_set(ps->d, "%s:%u: %s", ps->label, line, msg);
	return code;
}

/* What the current token is, without ever showing a string or unknown word. */
static const char *tok_describe(const parser_t *ps)
{
	switch (ps->type) {
	case TOK_EOF:
		return "end of file";
	case TOK_LBRACE:
		return "'{'";
	case TOK_RBRACE:
		return "'}'";
	case TOK_SEMI:
		return "';'";
	case TOK_STRING:
		return "a quoted string";
	case TOK_WORD:
		break;
	}
	static const char *const keywords[] = {"key", "algorithm", "secret"};
	static const char *const quoted[] = {"'key'", "'algorithm'", "'secret'"};
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++) {
		if (word_equal(ps->tok, keywords[i])) {
			return quoted[i];
		}
	}
	return "a word";
}

static bool at(const parser_t *ps, size_t off, char c)
{
	return (size_t)(ps->end - ps->p) > off && ps->p[off] == c;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Skips whitespace and the three kinds of comments. */
static int skip_blank(parser_t *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;
		if (c == '\n') {
			ps->line++;
			ps->p++;
		} else if (is_space(c)) {
			ps->p++;
		} else if (c == '#' || (c == '/' && at(ps, 1, '/'))) {
			while (ps->p < ps->end && *ps->p != '\n') {
				ps->p++;
			}
		} else if (c == '/' && at(ps, 1, '*')) {
			unsigned open_line = ps->line;
			ps->p += 2;
			while (ps->p < ps->end && !(*ps->p == '*' && at(ps, 1, '/'))) {
				if (*ps->p == '\n') {
					ps->line++;
				}
				ps->p++;
			}
			if (ps->p >= ps->end) {
				return perr(ps, open_line, DF_EKEYFILE,
					    "unterminated /* comment: add the closing */");
			}
			ps->p += 2;
		} else {
			break;
		}
	}
	return DF_OK;
}

static int next_token(parser_t *ps)
{
	int ret = skip_blank(ps);
	if (ret != DF_OK) {
		return ret;
	}
	ps->tok_len = 0;
	ps->tok[0] = '\0';
	ps->tok_line = ps->line;
	if (ps->p >= ps->end) {
		ps->type = TOK_EOF;
		return DF_OK;
	}
	char c = *ps->p;
	if (c == '\0') {
		return perr(ps, ps->line, DF_EKEYFILE, "NUL byte: this is not a text key file");
	}
	if (c == '{' || c == '}' || c == ';') {
		ps->type = c == '{' ? TOK_LBRACE : c == '}' ? TOK_RBRACE : TOK_SEMI;
		ps->p++;
		return DF_OK;
	}
	if (c == '"') {
		/* Quoted string on one line; a backslash takes the next character literally. */
		ps->type = TOK_STRING;
		ps->p++;
		while (ps->p < ps->end && *ps->p != '"' && *ps->p != '\n') {
			if (*ps->p == '\\' && ps->p + 1 < ps->end && ps->p[1] != '\n') {
				ps->p++;
			}
			if (*ps->p == '\0') {
				return perr(ps, ps->line, DF_EKEYFILE,
					    "NUL byte: this is not a text key file");
			}
			if (ps->tok_len == TOKEN_MAX) {
				return perr(ps, ps->tok_line, DF_EKEYFILE,
					    "quoted string longer than %d characters", TOKEN_MAX);
			}
			ps->tok[ps->tok_len++] = *ps->p++;
		}
		if (ps->p >= ps->end || *ps->p != '"') {
			return perr(ps, ps->tok_line, DF_EKEYFILE,
				    "unterminated quoted string: add the closing '\"'");
		}
		ps->p++;
		ps->tok[ps->tok_len] = '\0';
		return DF_OK;
	}
	/* A word runs up to blank, punctuation, a quote or a comment. */
	ps->type = TOK_WORD;
	while (ps->p < ps->end) {
		c = *ps->p;
		if (is_space(c) || c == '{' || c == '}' || c == ';' || c == '"' || c == '#' ||
		    (c == '/' && (at(ps, 1, '/') || at(ps, 1, '*')))) {
			break;
		}
		if (c == '\0') {
			return perr(ps, ps->line, DF_EKEYFILE,
				    "NUL byte: this is not a text key file");
		}
		if (ps->tok_len == TOKEN_MAX) {
			return perr(ps, ps->tok_line, DF_EKEYFILE, "word longer than %d characters",
				    TOKEN_MAX);
		}
		ps->tok[ps->tok_len++] = c;
		ps->p++;
	}
	ps->tok[ps->tok_len] = '\0';
	return DF_OK;
}

/* Reads the ';' that ends a clause or statement. */
static int expect_semi(parser_t *ps, const char *after)
{
	int ret = next_token(ps);
	if (ret == DF_OK && ps->type != TOK_SEMI) {
		ret = perr(ps, ps->tok_line, DF_EKEYFILE, "expected ';' after %s, found %s", after,
			   tok_describe(ps));
	}
	return ret;
}

/* Parses one `key NAME { algorithm A; secret "S"; };` after the word "key". */
static int parse_key(parser_t *ps)
{
	int ret = DF_OK;
	unsigned key_line = ps->tok_line;
	unsigned alg_line = 0, secret_line = 0;
	char *name = ps->current.name;
	df_detail_t *d = ps->d;

	OPENSSL_cleanse(&ps->current, sizeof(ps->current));
	ret = next_token(ps);
	if (ret != DF_OK) {
		goto out;
	}
	if (ps->type != TOK_WORD && ps->type != TOK_STRING) {
		ret = perr(ps, ps->tok_line, DF_EKEYFILE,
			   "expected a key name after 'key', found %s", tok_describe(ps));
		goto out;
	}
	ret = key_set_name(&ps->current, ps->tok, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s:%u", ps->label, ps->tok_line);
		ret = DF_EKEYFILE;
		goto out;
	}
	ret = next_token(ps);
	if (ret != DF_OK) {
		goto out;
	}
	if (ps->type != TOK_LBRACE) {
		ret = perr(ps, ps->tok_line, DF_EKEYFILE,
			   "expected '{' after the name of key \"%s\", found %s", name,
			   tok_describe(ps));
		goto out;
	}

	for (;;) {
		ret = next_token(ps);
		if (ret != DF_OK) {
			goto out;
		}
		if (ps->type == TOK_RBRACE) {
			break;
		}
		if (ps->type == TOK_EOF) {
			ret = perr(ps, key_line, DF_EKEYFILE,
				   "key \"%s\" is not closed: add '};' after its secret", name);
			goto out;
		}
		unsigned clause_line = ps->tok_line;
		if (ps->type == TOK_WORD && word_equal(ps->tok, "algorithm")) {
			if (alg_line != 0) {
				ret = perr(ps, clause_line, DF_EKEYFILE,
					   "key \"%s\" has a second algorithm (first on line %u)",
					   name, alg_line);
				goto out;
			}
			alg_line = clause_line;
			ret = next_token(ps);
			if (ret != DF_OK) {
				goto out;
			}
			if (ps->type != TOK_WORD && ps->type != TOK_STRING) {
				ret = perr(ps, ps->tok_line, DF_EKEYFILE,
					   "expected an algorithm name after 'algorithm', found %s",
					   tok_describe(ps));
				goto out;
			}
			ps->current.alg = tsig_alg_by_name(ps->tok);
			if (ps->current.alg == NULL) {
				set_unknown_alg(d, ps->tok);
				df_detail_prefix(d, "%s:%u: key \"%s\"", ps->label, ps->tok_line,
						 name);
				ret = DF_EALG;
				goto out;
			}
			ret = expect_semi(ps, "the algorithm");
		} else if (ps->type == TOK_WORD && word_equal(ps->tok, "secret")) {
			if (secret_line != 0) {
				ret = perr(ps, clause_line, DF_EKEYFILE,
					   "key \"%s\" has a second secret (first on line %u)",
					   name, secret_line);
				goto out;
			}
			secret_line = clause_line;
			ret = next_token(ps);
			if (ret != DF_OK) {
				goto out;
			}
			if (ps->type != TOK_STRING) {
				ret = perr(ps, ps->tok_line, DF_EKEYFILE,
					   "expected the secret as a quoted string after 'secret', "
					   "found %s",
					   tok_describe(ps));
				goto out;
			}
			ret = key_set_secret(&ps->current, ps->tok, ps->tok_len, d);
			OPENSSL_cleanse(ps->tok, sizeof(ps->tok));
			if (ret != DF_OK) {
				df_detail_prefix(d, "%s:%u: key \"%s\"", ps->label, ps->tok_line,
						 name);
				ret = DF_EKEYFILE;
				goto out;
			}
			ret = expect_semi(ps, "the secret");
		} else {
			ret = perr(ps, clause_line, DF_EKEYFILE,
				   "found %s in key \"%s\" where 'algorithm', 'secret' or '}' "
				   "was expected",
				   tok_describe(ps), name);
		}
		if (ret != DF_OK) {
			goto out;
		}
	}
	ret = expect_semi(ps, "the '}' that closes a key");
	if (ret != DF_OK) {
		goto out;
	}

	if (alg_line == 0) {
		ret = perr(ps, key_line, DF_EKEYFILE,
			   "key \"%s\" has no algorithm: add e.g. 'algorithm hmac-sha256;', the "
			   "same as in the server's key statement",
			   name);
		goto out;
	}
	if (secret_line == 0) {
		ret = perr(ps, key_line, DF_EKEYFILE,
			   "key \"%s\" has no secret: add 'secret \"...\";' from tsig-keygen",
			   name);
		goto out;
	}
	for (unsigned i = 0; i < ps->nkeys; i++) {
		if (strcmp(ps->names[i], name) == 0) {
			ret = perr(ps, key_line, DF_EKEYFILE,
				   "key \"%s\" is defined twice (first on line %u): remove one",
				   name, ps->lines[i]);
			goto out;
		}
	}
	if (ps->nkeys == KEYFILE_KEYS_MAX) {
		ret = perr(ps, key_line, DF_EKEYFILE, "more than %d keys in one file",
			   KEYFILE_KEYS_MAX);
		goto out;
	}
	memcpy(ps->names[ps->nkeys], name, sizeof(ps->names[0]));
	ps->lines[ps->nkeys] = key_line;
	ps->nkeys++;
	/* Without want, keep the first key: a second one makes the file ambiguous. */
	if (ps->want[0] == '\0' ? ps->nkeys == 1 : strcmp(ps->want, name) == 0) {
		memcpy(&ps->chosen, &ps->current, sizeof(ps->chosen));
		ps->chosen_line = key_line;
		ps->found = true;
	}
out:
	OPENSSL_cleanse(&ps->current, sizeof(ps->current));
	return ret;
}

/* "a., b., c." into buf, cut short if it does not fit. */
static void list_names(const parser_t *ps, char *buf, size_t size)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < ps->nkeys && used < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i > 0 ? ", " : "", ps->names[i]);
		if (n < 0) {
			break;
		}
		used += (size_t)n;
	}
}

int tsig_keyfile_parse(tsig_key_t *key, const char *text, size_t len, const char *want,
		       const char *label, df_detail_t *d)
{
	int ret = DF_EINVAL;
	parser_t *ps = NULL;
	char names[256];

	if (key == NULL) {
		return DF_EINVAL;
	}
	OPENSSL_cleanse(key, sizeof(*key));
	if (text == NULL && len > 0) {
		goto out;
	}
	if (label == NULL) {
		label = "key file";
	}
	ps = calloc(1, sizeof(*ps));
	if (ps == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	ps->p = text;
	ps->end = text + len;
	ps->line = 1;
	ps->label = label;
	ps->d = d;
	if (want != NULL) {
		/* Normalised like the names in the file: "Lease-Key" finds "lease-key.". */
		ret = key_set_name(&ps->current, want, d);
		if (ret != DF_OK) {
			df_detail_prefix(d, "TSIG_KEYNAME");
			goto out;
		}
		memcpy(ps->want, ps->current.name, sizeof(ps->want));
	}

	for (;;) {
		ret = next_token(ps);
		if (ret != DF_OK) {
			goto out;
		}
		if (ps->type == TOK_EOF) {
			break;
		}
		if (ps->type != TOK_WORD || !word_equal(ps->tok, "key")) {
			ret = perr(ps, ps->tok_line, DF_EKEYFILE,
				   "expected a key statement, found %s (a key file holds only "
				   "key \"name\" { algorithm ...; secret \"...\"; }; statements)",
				   tok_describe(ps));
			goto out;
		}
		ret = parse_key(ps);
		if (ret != DF_OK) {
			goto out;
		}
	}

	ret = DF_EKEYFILE;
	if (ps->nkeys == 0) {
		df_detail_set(d,
			      "%s: no key statement found: expected key \"name\" { algorithm "
			      "hmac-sha256; secret \"...\"; }; as tsig-keygen writes it",
			      label);
		goto out;
	}
	list_names(ps, names, sizeof(names));
	if (want == NULL) {
		if (ps->nkeys > 1) {
			df_detail_set(d,
				      "%s holds %u keys (%s): set TSIG_KEYNAME to the one to use",
				      label, ps->nkeys, names);
			goto out;
		}
	}
	if (!ps->found) {
		df_detail_set(d,
			      "%s: no key named \"%s\" (keys in the file: %s): check TSIG_KEYNAME",
			      label, ps->want, names);
		ret = DF_EKEYFILE;
		goto out;
	}
	memcpy(key, &ps->chosen, sizeof(*key));
	char where[512];
	snprintf(where, sizeof(where), "%s:%u", label, ps->chosen_line);
	warn_short_secret(key, where);
	ret = DF_OK;
out:
	if (ps != NULL) {
		OPENSSL_cleanse(ps, sizeof(*ps));
		free(ps);
	}
	return ret;
}

int tsig_keyfile_load(tsig_key_t *key, const char *path, const char *want, df_detail_t *d)
{
	int ret = DF_EINVAL;
	int fd = -1;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	if (key == NULL) {
		return DF_EINVAL;
	}
	OPENSSL_cleanse(key, sizeof(*key));
	if (path == NULL) {
		df_detail_set(d, "no TSIG key file given");
		goto out;
	}
	ret = secret_file_open(path, "key file", "TSIG_KEYFILE", &fd, d);
	if (ret != DF_OK) {
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		df_detail_set(d, "cannot stat key file %s (%s)", path, df_strerror(ret));
		goto out;
	}
	if (st.st_size > KEYFILE_SIZE_MAX) {
		ret = DF_EKEYFILE;
		df_detail_set(d, "key file %s is larger than %d bytes: is it the right file?", path,
			      KEYFILE_SIZE_MAX);
		goto out;
	}

	/* Read up to one byte past the limit so that a file that grew since fstat() is caught. */
	buf = malloc(KEYFILE_SIZE_MAX + 1);
	if (buf == NULL) {
		ret = DF_ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, KEYFILE_SIZE_MAX + 1 - len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			ret = -errno;
			df_detail_set(d, "cannot read key file %s (%s)", path, df_strerror(ret));
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > KEYFILE_SIZE_MAX) {
			ret = DF_EKEYFILE;
			df_detail_set(d, "key file %s is larger than %d bytes", path,
				      KEYFILE_SIZE_MAX);
			goto out;
		}
	}
	ret = tsig_keyfile_parse(key, buf, len, want, path, d);
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, KEYFILE_SIZE_MAX + 1);
		free(buf);
	}
	if (fd >= 0) {
		close(fd);
	}
	return ret;
}

int tsig_keyfile_generate(const char *name, char *out, size_t size, df_detail_t *d)
{
	uint8_t raw[32];
	unsigned char b64[4 * ((sizeof(raw) + 2) / 3) + 1];
	size_t got = 0;
	if (name == NULL || name[0] == '\0' || strlen(name) > TSIG_NAME_MAX ||
	    strpbrk(name, "\" \t\n;{}") != NULL) {
		df_detail_set(d, "key name '%s' is not a valid key name", name != NULL ? name : "");
		return DF_EINVAL;
	}
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			df_detail_set(d, "getrandom: %s", strerror(errno));
			return -errno;
		}
		got += (size_t)n;
	}
	EVP_EncodeBlock(b64, raw, (int)sizeof(raw));
	OPENSSL_cleanse(raw, sizeof(raw));
	int n = snprintf(out, size,
			 "key \"%s\" {\n\talgorithm hmac-sha256;\n\tsecret \"%s\";\n};\n", name,
			 (const char *)b64);
	OPENSSL_cleanse(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= size) {
		df_detail_set(d, "key file text for '%s' does not fit", name);
		return DF_ERANGE;
	}
	return DF_OK;
}
