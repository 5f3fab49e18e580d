#include "src/http/xml_read.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAME_MAX_LEN 128

struct xml_node {
	char name[NAME_MAX_LEN + 1]; /* local name */
	char *text;		     /* NUL-terminated, NULL when empty */
	size_t text_len, text_cap;
	xml_node_t *first, *last, *next;
};

struct xml_doc {
	xml_node_t *root;
	size_t count;
};

typedef struct parser {
	const char *s;
	size_t len, pos;
	xml_doc_t *doc;
	char *why;
	size_t why_size;
	int ret;
} parser_t;

static bool fail(parser_t *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(parser_t *p, const char *fmt, ...)
{
	if (p->ret == DF_OK) {
		p->ret = DF_EMALFORMED;
		if (p->why != NULL && p->why_size > 0) {
			char msg[160];
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(msg, sizeof(msg), fmt, ap);
			va_end(ap);
			snprintf(p->why, p->why_size, "XML: %s at byte %zu", msg, p->pos);
		}
	}
	return false;
}

static bool nomem(parser_t *p)
{
	if (p->ret == DF_OK) {
		p->ret = DF_ENOMEM;
		if (p->why != NULL && p->why_size > 0) {
			snprintf(p->why, p->why_size, "XML: out of memory");
		}
	}
	return false;
}

static bool starts(const parser_t *p, const char *lit)
{
	size_t n = strlen(lit);
	return p->len - p->pos >= n && memcmp(p->s + p->pos, lit, n) == 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_space(parser_t *p)
{
	while (p->pos < p->len && is_space(p->s[p->pos])) {
		p->pos++;
	}
}

/* Moves past the next occurrence of end; false (and an error) when there is none. */
static bool skip_past(parser_t *p, const char *end, const char *what)
{
	size_t n = strlen(end);
	for (size_t i = p->pos; i + n <= p->len; i++) {
		if (p->s[i] == '\0') {
			p->pos = i;
			return fail(p, "NUL byte in %s", what);
		}
		if (memcmp(p->s + i, end, n) == 0) {
			p->pos = i + n;
			return true;
		}
	}
	return fail(p, "unterminated %s", what);
}

static bool name_start(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':' ||
	       c >= 0x80;
}

static bool name_char(unsigned char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* A name into out (local part only when local), or an error. */
static bool read_name(parser_t *p, char out[NAME_MAX_LEN + 1], bool local)
{
	size_t start = p->pos;
	if (p->pos >= p->len || !name_start((unsigned char)p->s[p->pos])) {
		return fail(p, "a name was expected");
	}
	while (p->pos < p->len && name_char((unsigned char)p->s[p->pos])) {
		p->pos++;
	}
	size_t n = p->pos - start;
	if (n > NAME_MAX_LEN) {
		return fail(p, "a name longer than %d bytes", NAME_MAX_LEN);
	}
	const char *name = p->s + start;
	if (local) {
		const char *colon = memchr(name, ':', n);
		if (colon != NULL) {
			n -= (size_t)(colon + 1 - name);
			name = colon + 1;
			if (n == 0) {
				return fail(p, "a name with an empty local part");
			}
		}
	}
	memcpy(out, name, n);
	out[n] = '\0';
	return true;
}

static bool text_add(parser_t *p, xml_node_t *n, const char *s, size_t len)
{
	if (n->text_len + len + 1 > n->text_cap) {
		size_t cap = n->text_cap == 0 ? 64 : n->text_cap;
		while (cap < n->text_len + len + 1) {
			cap *= 2;
		}
		char *t = realloc(n->text, cap);
		if (t == NULL) {
			return nomem(p);
		}
		n->text = t;
		n->text_cap = cap;
	}
	memcpy(n->text + n->text_len, s, len);
	n->text_len += len;
	n->text[n->text_len] = '\0';
	return true;
}

static size_t utf8_put(uint32_t c, char out[4])
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Decodes the reference at p->pos ('&') into out; its length in *n. */
static bool entity(parser_t *p, char out[4], size_t *n)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"quot;", '"'}, {"apos;", '\''}};
	p->pos++;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		if (starts(p, named[i].name)) {
			p->pos += strlen(named[i].name);
			out[0] = named[i].c;
			*n = 1;
			return true;
		}
	}
	if (!starts(p, "#")) {
		return fail(p, "an unknown entity (only the five predefined ones are read)");
	}
	p->pos++;
	bool hex = starts(p, "x");
	if (hex) {
		p->pos++;
	}
	uint32_t c = 0;
	size_t digits = 0;
	while (p->pos < p->len && p->s[p->pos] != ';') {
		char d = p->s[p->pos];
		int v = -1;
		if (d >= '0' && d <= '9') {
			v = d - '0';
		} else if (hex && d >= 'a' && d <= 'f') {
			v = d - 'a' + 10;
		} else if (hex && d >= 'A' && d <= 'F') {
			v = d - 'A' + 10;
		}
		if (v < 0 || ++digits > 8) {
			return fail(p, "a bad character reference");
		}
		c = c * (hex ? 16u : 10u) + (uint32_t)v;
		p->pos++;
	}
	if (p->pos >= p->len || digits == 0) {
		return fail(p, "a bad character reference");
	}
	p->pos++;
	if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || (c >= 0xd800 && c <= 0xdfff) ||
	    c > 0x10ffff || c == 0xfffe || c == 0xffff) {
		return fail(p, "a character reference to a character XML does not allow");
	}
	*n = utf8_put(c, out);
	return true;
}

static bool bad_char(unsigned char c)
{
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

/* Text up to the next '<', decoded into n (NULL: outside the root, spaces only). */
static bool read_text(parser_t *p, xml_node_t *n)
{
	while (p->pos < p->len && p->s[p->pos] != '<') {
		char c = p->s[p->pos];
		if (bad_char((unsigned char)c)) {
			return fail(p, "a control character in text");
		}
		if (n == NULL) {
			if (!is_space(c)) {
				return fail(p, "text outside the root element");
			}
			p->pos++;
			continue;
		}
		if (c == '&') {
			char buf[4];
			size_t len;
			if (!entity(p, buf, &len) || !text_add(p, n, buf, len)) {
				return false;
			}
			continue;
		}
		if (c == '>' && p->pos >= 2 && p->s[p->pos - 1] == ']' && p->s[p->pos - 2] == ']') {
			return fail(p, "\"]]>\" in text");
		}
		size_t start = p->pos;
		while (p->pos < p->len && p->s[p->pos] != '<' && p->s[p->pos] != '&' &&
		       p->s[p->pos] != '>' && !bad_char((unsigned char)p->s[p->pos])) {
			p->pos++;
		}
		if (p->pos == start) {
			/* a lone '>' */
			p->pos++;
		}
		if (!text_add(p, n, p->s + start, p->pos - start)) {
			return false;
		}
	}
	return true;
}

/* Attributes up to '>' or "/>"; sets *empty for the latter. */
static bool read_attributes(parser_t *p, bool *empty)
{
	for (;;) {
		size_t before = p->pos;
		skip_space(p);
		if (starts(p, "/>")) {
			p->pos += 2;
			*empty = true;
			return true;
		}
		if (starts(p, ">")) {
			p->pos++;
			*empty = false;
			return true;
		}
		if (p->pos == before) {
			return fail(p, "a space or the end of the tag was expected");
		}
		char name[NAME_MAX_LEN + 1];
		if (!read_name(p, name, false)) {
			return false;
		}
		skip_space(p);
		if (!starts(p, "=")) {
			return fail(p, "'=' was expected after an attribute name");
		}
		p->pos++;
		skip_space(p);
		if (p->pos >= p->len || (p->s[p->pos] != '"' && p->s[p->pos] != '\'')) {
			return fail(p, "a quoted attribute value was expected");
		}
		char q = p->s[p->pos++];
		while (p->pos < p->len && p->s[p->pos] != q) {
			char c = p->s[p->pos];
			if (c == '<' || bad_char((unsigned char)c)) {
				return fail(p, "a '<' or control character in an attribute value");
			}
			if (c == '&') {
				char buf[4];
				size_t len;
				if (!entity(p, buf, &len)) {
					return false;
				}
				continue;
			}
			p->pos++;
		}
		if (p->pos >= p->len) {
			return fail(p, "an unterminated attribute value");
		}
		p->pos++;
	}
}

/* Comments, processing instructions and spaces (outside the root). */
static bool skip_misc(parser_t *p)
{
	for (;;) {
		if (!read_text(p, NULL)) {
			return false;
		}
		if (starts(p, "<?")) {
			if (!skip_past(p, "?>", "processing instruction")) {
				return false;
			}
		} else if (starts(p, "<!--")) {
			p->pos += 4;
			if (!skip_past(p, "-->", "comment")) {
				return false;
			}
		} else if (starts(p, "<!")) {
			return fail(p, "a DOCTYPE or declaration (not read)");
		} else {
			return true;
		}
	}
}

static void node_free(xml_node_t *n)
{
	/* Depth is bounded by XML_MAX_DEPTH: the recursion is too. */
	while (n != NULL) {
		xml_node_t *next = n->next;
		node_free(n->first);
		free(n->text);
		free(n);
		n = next;
	}
}

static bool parse(parser_t *p)
{
	xml_node_t *stack[XML_MAX_DEPTH];
	size_t depth = 0;
	if (memchr(p->s, '\0', p->len) != NULL) {
		p->pos = (size_t)((const char *)memchr(p->s, '\0', p->len) - p->s);
		return fail(p, "a NUL byte");
	}
	/* A byte-order mark. */
	if (starts(p, "\xef\xbb\xbf")) {
		p->pos += 3;
	}
	if (!skip_misc(p)) {
		return false;
	}
	if (p->pos >= p->len) {
		return fail(p, "no root element");
	}
	for (;;) {
		if (depth > 0 && !read_text(p, stack[depth - 1])) {
			return false;
		}
		if (p->pos >= p->len) {
			return fail(p, "the document ends inside <%s>", stack[depth - 1]->name);
		}
		/* p->s[p->pos] == '<' */
		if (depth > 0 && starts(p, "<!--")) {
			p->pos += 4;
			if (!skip_past(p, "-->", "comment")) {
				return false;
			}
			continue;
		}
		if (depth > 0 && starts(p, "<![CDATA[")) {
			p->pos += 9;
			size_t start = p->pos;
			if (!skip_past(p, "]]>", "CDATA section")) {
				return false;
			}
			for (size_t i = start; i < p->pos - 3; i++) {
				if (bad_char((unsigned char)p->s[i])) {
					return fail(p, "a control character in a CDATA section");
				}
			}
			if (!text_add(p, stack[depth - 1], p->s + start, p->pos - 3 - start)) {
				return false;
			}
			continue;
		}
		if (depth > 0 && starts(p, "<?")) {
			if (!skip_past(p, "?>", "processing instruction")) {
				return false;
			}
			continue;
		}
		if (starts(p, "<!")) {
			return fail(p, "a DOCTYPE or declaration (not read)");
		}
		if (starts(p, "</")) {
			p->pos += 2;
			char name[NAME_MAX_LEN + 1];
			if (depth == 0) {
				return fail(p, "a closing tag with no element open");
			}
			if (!read_name(p, name, true)) {
				return false;
			}
			skip_space(p);
			if (!starts(p, ">")) {
				return fail(p, "'>' was expected");
			}
			p->pos++;
			if (strcmp(name, stack[depth - 1]->name) != 0) {
				return fail(p, "a closing tag that does not match <%s>",
					    stack[depth - 1]->name);
			}
			depth--;
			if (depth == 0) {
				break;
			}
			continue;
		}
		p->pos++;
		if (p->doc->count >= XML_MAX_NODES) {
			return fail(p, "more than %d elements", XML_MAX_NODES);
		}
		xml_node_t *n = calloc(1, sizeof(*n));
		if (n == NULL) {
			return nomem(p);
		}
		p->doc->count++;
		if (depth == 0) {
			if (p->doc->root != NULL) {
				free(n);
				return fail(p, "a second root element");
			}
			p->doc->root = n;
		} else {
			xml_node_t *parent = stack[depth - 1];
			if (parent->last != NULL) {
				parent->last->next = n;
			} else {
				parent->first = n;
			}
			parent->last = n;
		}
		bool empty = false;
		if (!read_name(p, n->name, true) || !read_attributes(p, &empty)) {
			return false;
		}
		if (empty) {
			if (depth == 0) {
				break;
			}
			continue;
		}
		if (depth == XML_MAX_DEPTH) {
			return fail(p, "elements nested deeper than %d", XML_MAX_DEPTH);
		}
		stack[depth++] = n;
	}
	if (!skip_misc(p)) {
		return false;
	}
	if (p->pos < p->len) {
		return fail(p, "a second root element");
	}
	return true;
}

int xml_parse(xml_doc_t **out, const char *text, size_t len, char *why, size_t size)
{
	if (out == NULL || (text == NULL && len > 0)) {
		return DF_EINVAL;
	}
	if (why != NULL && size > 0) {
		why[0] = '\0';
	}
	xml_doc_t *doc = calloc(1, sizeof(*doc));
	if (doc == NULL) {
		return DF_ENOMEM;
	}
	parser_t p = {.s = text != NULL ? text : "",
		      .len = len,
		      .doc = doc,
		      .why = why,
		      .why_size = size,
		      .ret = DF_OK};
	if (!parse(&p)) {
		xml_free(doc);
		return p.ret != DF_OK ? p.ret : DF_EMALFORMED;
	}
	*out = doc;
	return DF_OK;
}

void xml_free(xml_doc_t *doc)
{
	if (doc == NULL) {
		return;
	}
	node_free(doc->root);
	free(doc);
}

const xml_node_t *xml_root(const xml_doc_t *doc)
{
	return doc != NULL ? doc->root : NULL;
}

const char *xml_name(const xml_node_t *n)
{
	return n != NULL ? n->name : "";
}

const char *xml_text(const xml_node_t *n)
{
	return n != NULL && n->text != NULL ? n->text : "";
}

static const xml_node_t *from(const xml_node_t *n, const char *name)
{
	for (; n != NULL; n = n->next) {
		if (name == NULL || strcmp(n->name, name) == 0) {
			return n;
		}
	}
	return NULL;
}

const xml_node_t *xml_child(const xml_node_t *n, const char *name)
{
	return n != NULL ? from(n->first, name) : NULL;
}

const xml_node_t *xml_next(const xml_node_t *n, const char *name)
{
	return n != NULL ? from(n->next, name) : NULL;
}

const char *xml_child_text(const xml_node_t *n, const char *name)
{
	const xml_node_t *c = xml_child(n, name);
	return c != NULL ? xml_text(c) : NULL;
}

const xml_node_t *xml_path(const xml_node_t *n, const char *path)
{
	char part[NAME_MAX_LEN + 1];
	while (n != NULL && path != NULL && *path != '\0') {
		size_t len = strcspn(path, "/");
		if (len > NAME_MAX_LEN) {
			return NULL;
		}
		memcpy(part, path, len);
		part[len] = '\0';
		n = xml_child(n, part);
		path += len;
		if (*path == '/') {
			path++;
		}
	}
	return n;
}

char *xml_escape(const char *s)
{
	size_t n = 0;
	for (const char *c = s; *c != '\0'; c++) {
		n += *c == '&' ? 5 : *c == '<' || *c == '>' ? 4 : *c == '"' || *c == '\'' ? 6 : 1;
	}
	char *out = malloc(n + 1);
	if (out == NULL) {
		return NULL;
	}
	char *o = out;
	for (const char *c = s; *c != '\0'; c++) {
		const char *e = *c == '&'    ? "&amp;"
				: *c == '<'  ? "&lt;"
				: *c == '>'  ? "&gt;"
				: *c == '"'  ? "&quot;"
				: *c == '\'' ? "&apos;"
					     : NULL;
		if (e != NULL) {
			memcpy(o, e, strlen(e));
			o += strlen(e);
		} else {
			*o++ = *c;
		}
	}
	*o = '\0';
	return out;
}
