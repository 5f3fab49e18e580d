/*
 * A small, strict reader for the XML bodies of rest-xml APIs (Route 53):
 * the document becomes a tree of elements, each with its local name (the
 * namespace prefix dropped) and its text, entities decoded.
 *
 * Strict and bounded: one root element, tags that match, attributes well
 * formed (their values are not kept), at most XML_MAX_DEPTH levels and
 * XML_MAX_NODES elements. The five predefined entities and character
 * references (&#N; &#xH;, encoded as UTF-8) are decoded; any other entity,
 * a DOCTYPE (so no DTD, no entity expansion), a NUL byte or a stray '<' or
 * '&' is an error. Comments, processing instructions and the XML
 * declaration are skipped; CDATA sections are text.
 */
#pragma once

#include <stddef.h>

#include "src/common/error.h"

#define XML_MAX_DEPTH 32
#define XML_MAX_NODES 20000

typedef struct xml_doc xml_doc_t;
typedef struct xml_node xml_node_t;

/*
 * Parses text (len bytes). On success *out owns the tree, freed with
 * xml_free(). On error *out is untouched, DF_EMALFORMED (or DF_ENOMEM) is
 * returned and why (size bytes) says what and at which byte offset, with
 * nothing of the input in it.
 */
int xml_parse(xml_doc_t **out, const char *text, size_t len, char *why, size_t size);

/* Frees doc and its nodes; NULL does nothing. */
void xml_free(xml_doc_t *doc);

/* The root element (never NULL for a parsed document). Owned by doc. */
const xml_node_t *xml_root(const xml_doc_t *doc);

/* The element's local name ("Name" for "ns:Name"). */
const char *xml_name(const xml_node_t *n);

/* The element's own text, decoded, its children's left out ("" when none). */
const char *xml_text(const xml_node_t *n);

/* First child element of n called name (NULL: any name); NULL when none. */
const xml_node_t *xml_child(const xml_node_t *n, const char *name);

/* Next sibling element of n called name (NULL: any name); NULL when none. */
const xml_node_t *xml_next(const xml_node_t *n, const char *name);

/* xml_text() of the first child called name, or NULL when there is no such child. */
const char *xml_child_text(const xml_node_t *n, const char *name);

/* The element at path under n: names separated by '/', each the first child so named. */
const xml_node_t *xml_path(const xml_node_t *n, const char *path);

/*
 * s escaped for XML text or an attribute value (& < > " ' as entities),
 * malloc'd (caller frees with free()); NULL when out of memory.
 */
char *xml_escape(const char *s);
