#include "src/common/strbuf.h"

#include <stdlib.h>
#include <string.h>

void strbuf_add(strbuf_t *b, const void *s, size_t n)
{
	if (b->failed) {
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap == 0 ? 256 : b->cap;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		char *ns = realloc(b->s, cap);
		if (ns == NULL) {
			free(b->s);
			*b = (strbuf_t){.failed = true};
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	if (n > 0) {
		memcpy(b->s + b->len, s, n);
	}
	b->len += n;
	b->s[b->len] = '\0';
}

void strbuf_str(strbuf_t *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

char *strbuf_take(strbuf_t *b)
{
	if (!b->failed && b->s == NULL) {
		strbuf_add(b, "", 0);
	}
	char *s = b->failed ? NULL : b->s;
	*b = (strbuf_t){0};
	return s;
}

void strbuf_deinit(strbuf_t *b)
{
	free(b->s);
	*b = (strbuf_t){0};
}
