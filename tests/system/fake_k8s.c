/*
 * fake_k8s: a stand-in for a Kubernetes API server over HTTPS, for the
 * watcher's kubernetes backend: bearer-token authentication, RBAC from the
 * rules of a Role the test extracts from a manifest, and the apps/v1
 * Deployments with their scale subresource.
 *
 *   fake_k8s -p PORT -k KEY.pem -C CERT.pem -t TOKENFILE -u USER -r RULES
 *            -d NS/NAME=REPLICAS ... [-c CONTROL] [-P PIDFILE]
 *
 *   -t TOKENFILE  the one valid bearer token (read at every request, so a
 *                 test can rotate it); it authenticates as USER
 *                 (system:serviceaccount:NS:NAME)
 *   -r RULES      what USER may do, one rule a line:
 *                     allow NAMESPACE APIGROUP RESOURCE RESOURCENAME|* VERB
 *                 anything else is forbidden (RBAC denies by default)
 *   -d NS/NAME=N  a Deployment that exists, with N replicas (repeatable)
 *
 * Routes (the request's RBAC verb in brackets):
 *   /apis/apps/v1/namespaces/NS/deployments/NAME/scale  GET [get], PATCH [patch],
 *                                                       PUT [update]
 *   /apis/apps/v1/namespaces/NS/deployments/NAME        GET [get], PATCH [patch],
 *                                                       DELETE [delete]
 *   /apis/apps/v1/namespaces/NS/deployments             GET [list], POST [create]
 * The order is the API server's: authentication (401), authorization (403),
 * then the object (404). Errors are Status objects, with the messages and
 * reasons the API server gives. Only PATCH of the scale subresource with a
 * merge patch ({"spec":{"replicas":N}}) changes anything; the Scale object is
 * autoscaling/v1's, whose spec.replicas is omitted when 0 (omitempty).
 *
 * Every authorization decision goes to stdout as one line:
 *   authz allow|deny USER VERB GROUP RESOURCE NS/NAME -> STATUS
 * GET /__fake/stats (no credentials) adds {"deployments": {"NS/NAME": N}}.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/system/fake_https.h"

#define RULES_MAX  32
#define DEPLOY_MAX 8

typedef struct rule {
	char ns[64], group[64], resource[64], name[254], verb[32];
} rule_t;

static struct {
	const char *token_file, *user;
	rule_t rules[RULES_MAX];
	int nrules;
	struct {
		char ns[64], name[254];
		long replicas;
	} deploy[DEPLOY_MAX];
	int ndeploy;
	unsigned long generation;
} g;

static MHD_RESULT status(struct MHD_Connection *c, unsigned code, const char *reason,
			 const char *message, const char *name, const char *kind)
{
	json_t *s = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status",
			      "apiVersion", "v1", "metadata", "status", "Failure", "message",
			      message, "reason", reason, "code", (int)code);
	if (name != NULL) {
		json_object_set_new(
			s, "details",
			json_pack("{s:s, s:s, s:s}", "name", name, "group", "apps", "kind", kind));
	}
	return fh_send_json(c, code, s);
}

static bool token_ok(struct MHD_Connection *c)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char tok[8192] = "";
	FILE *f = fopen(g.token_file, "r");
	if (f == NULL) {
		return false;
	}
	size_t n = fread(tok, 1, sizeof(tok) - 1, f);
	fclose(f);
	tok[n] = '\0';
	while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r' || tok[n - 1] == ' ')) {
		tok[--n] = '\0';
	}
	return n > 0 && h != NULL && strncmp(h, "Bearer ", 7) == 0 && strcmp(h + 7, tok) == 0;
}

static bool allowed(const char *ns, const char *resource, const char *name, const char *verb)
{
	for (int i = 0; i < g.nrules; i++) {
		const rule_t *r = &g.rules[i];
		if (strcmp(r->ns, ns) == 0 && strcmp(r->group, "apps") == 0 &&
		    strcmp(r->resource, resource) == 0 && strcmp(r->verb, verb) == 0 &&
		    (strcmp(r->name, "*") == 0 || (name != NULL && strcmp(r->name, name) == 0))) {
			return true;
		}
	}
	return false;
}

static int find(const char *ns, const char *name)
{
	for (int i = 0; i < g.ndeploy; i++) {
		if (strcmp(g.deploy[i].ns, ns) == 0 && strcmp(g.deploy[i].name, name) == 0) {
			return i;
		}
	}
	return -1;
}

static json_t *scale_object(int i)
{
	char sel[300];
	snprintf(sel, sizeof(sel), "app.kubernetes.io/name=%s", g.deploy[i].name);
	json_t *spec = json_object();
	if (g.deploy[i].replicas != 0) {
		json_object_set_new(spec, "replicas", json_integer(g.deploy[i].replicas));
	}
	char rv[32];
	snprintf(rv, sizeof(rv), "%lu", 1000 + g.generation);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:o, s:{s:I, s:s}}", "kind", "Scale",
			 "apiVersion", "autoscaling/v1", "metadata", "name", g.deploy[i].name,
			 "namespace", g.deploy[i].ns, "resourceVersion", rv, "creationTimestamp",
			 "2026-01-01T00:00:00Z", "spec", spec, "status", "replicas",
			 (json_int_t)g.deploy[i].replicas, "selector", sel);
}

/* The merge patch {"spec":{"replicas":N}} applied to deployment i. */
static MHD_RESULT patch_scale(const fh_request_t *r, int i)
{
	const char *ct = MHD_lookup_connection_value(r->c, MHD_HEADER_KIND, "Content-Type");
	if (ct == NULL || (strcmp(ct, "application/merge-patch+json") != 0 &&
			   strcmp(ct, "application/strategic-merge-patch+json") != 0)) {
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "the body of the request was in an unknown format - "
			 "accepted media types include: "
			 "application/merge-patch+json, "
			 "application/strategic-merge-patch+json");
		return status(r->c, 415, "UnsupportedMediaType", msg, NULL, NULL);
	}
	json_t *p = json_loadb(r->body, r->len, 0, NULL);
	json_t *n = json_object_get(json_object_get(p, "spec"), "replicas");
	if (!json_is_integer(n) || json_integer_value(n) < 0) {
		json_decref(p);
		return status(r->c, 422, "Invalid",
			      "Scale.autoscaling \"\" is invalid: spec.replicas", g.deploy[i].name,
			      "deployments");
	}
	g.deploy[i].replicas = (long)json_integer_value(n);
	g.generation++;
	json_decref(p);
	printf("scale %s/%s replicas=%ld\n", g.deploy[i].ns, g.deploy[i].name,
	       g.deploy[i].replicas);
	fflush(stdout);
	return fh_send_json(r->c, 200, scale_object(i));
}

static MHD_RESULT handle(const fh_request_t *r)
{
	char ns[64] = "", name[254] = "", sub[32] = "", rest[8] = "";
	const char *resource = NULL, *verb = NULL;
	bool get = strcmp(r->method, "GET") == 0, patch = strcmp(r->method, "PATCH") == 0;
	bool put = strcmp(r->method, "PUT") == 0, del = strcmp(r->method, "DELETE") == 0;
	bool post = strcmp(r->method, "POST") == 0;
	int parts =
		sscanf(r->url, "/apis/apps/v1/namespaces/%63[^/]/deployments/%253[^/]/%31[^/]/%7s",
		       ns, name, sub, rest);

	if (!token_ok(r->c)) {
		printf("authn deny %s %s\n", r->method, r->url);
		fflush(stdout);
		return status(r->c, 401, "Unauthorized", "Unauthorized", NULL, NULL);
	}
	if (parts == 3 && strcmp(sub, "scale") == 0) {
		resource = "deployments/scale";
		verb = get ? "get" : patch ? "patch" : put ? "update" : NULL;
	} else if (parts == 2) {
		resource = "deployments";
		verb = get ? "get" : patch ? "patch" : del ? "delete" : NULL;
	} else if (parts == 1) {
		char list[160];
		snprintf(list, sizeof(list), "/apis/apps/v1/namespaces/%s/deployments", ns);
		if (strcmp(r->url, list) == 0) {
			resource = "deployments";
			verb = get ? "list" : post ? "create" : NULL;
		}
	}
	if (resource == NULL || verb == NULL) {
		printf("route none %s %s\n", r->method, r->url);
		fflush(stdout);
		return status(r->c, 404, "NotFound",
			      "the server could not find the requested resource", NULL, NULL);
	}
	bool ok = allowed(ns, resource, name[0] != '\0' ? name : NULL, verb);
	unsigned code = 0;
	int i = name[0] != '\0' ? find(ns, name) : -1;
	if (!ok) {
		code = 403;
	} else if (strcmp(resource, "deployments/scale") != 0 || (!get && !patch)) {
		code = 405; /* allowed, but not part of this stand-in */
	} else if (i < 0) {
		code = 404;
	} else {
		code = 200;
	}
	printf("authz %s %s %s apps %s %s/%s -> %u\n", ok ? "allow" : "deny", g.user, verb,
	       resource, ns, name, code);
	fflush(stdout);

	char msg[1024];
	const char *slash = strchr(resource, '/');
	switch (code) {
	case 403:
		if (slash != NULL) {
			snprintf(msg, sizeof(msg),
				 "deployments.apps \"%s\" is forbidden: User \"%s\" cannot %s "
				 "resource \"%s\" in API group \"apps\" in the namespace \"%s\"",
				 name, g.user, verb, resource, ns);
		} else {
			snprintf(msg, sizeof(msg),
				 "deployments.apps%s%s%s is forbidden: User \"%s\" cannot %s "
				 "resource \"deployments\" in API group \"apps\" in the namespace "
				 "\"%s\"",
				 name[0] != '\0' ? " \"" : "", name, name[0] != '\0' ? "\"" : "",
				 g.user, verb, ns);
		}
		return status(r->c, 403, "Forbidden", msg, name[0] != '\0' ? name : NULL,
			      "deployments");
	case 404:
		snprintf(msg, sizeof(msg), "deployments.apps \"%s\" not found", name);
		return status(r->c, 404, "NotFound", msg, name, "deployments");
	case 405:
		return status(r->c, 405, "MethodNotAllowed",
			      "the stand-in serves only get and patch of deployments/scale", NULL,
			      NULL);
	default:
		return get ? fh_send_json(r->c, 200, scale_object(i)) : patch_scale(r, i);
	}
}

static void stats(json_t *s)
{
	json_t *d = json_object();
	for (int i = 0; i < g.ndeploy; i++) {
		char key[320];
		snprintf(key, sizeof(key), "%s/%s", g.deploy[i].ns, g.deploy[i].name);
		json_object_set_new(d, key, json_integer(g.deploy[i].replicas));
	}
	json_object_set_new(s, "deployments", d);
}

static int read_rules(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	if (f == NULL) {
		fprintf(stderr, "fake_k8s: cannot open %s\n", path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		rule_t r;
		if (line[0] == '#' || line[strspn(line, " \t\r\n")] == '\0') {
			continue;
		}
		if (g.nrules == RULES_MAX || sscanf(line, "allow %63s %63s %63s %253s %31s", r.ns,
						    r.group, r.resource, r.name, r.verb) != 5) {
			fprintf(stderr, "fake_k8s: %s: bad rule: %s", path, line);
			fclose(f);
			return -1;
		}
		g.rules[g.nrules++] = r;
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	int opt;
	fh_opts_t o = {0};
	const char *rules = NULL;
	while ((opt = getopt(argc, argv, "p:k:C:c:P:t:u:r:d:")) != -1) {
		switch (opt) {
		case 't':
			g.token_file = optarg;
			break;
		case 'u':
			g.user = optarg;
			break;
		case 'r':
			rules = optarg;
			break;
		case 'd': {
			int i = g.ndeploy;
			if (i == DEPLOY_MAX ||
			    sscanf(optarg, "%63[^/]/%253[^=]=%ld", g.deploy[i].ns, g.deploy[i].name,
				   &g.deploy[i].replicas) != 3) {
				fprintf(stderr, "fake_k8s: bad -d %s\n", optarg);
				return 2;
			}
			g.ndeploy++;
			break;
		}
		default:
			if (!fh_opt(&o, opt, optarg)) {
				return 2;
			}
		}
	}
	if (o.port <= 0 || o.key == NULL || o.cert == NULL || g.token_file == NULL ||
	    g.user == NULL || rules == NULL || read_rules(rules) != 0) {
		fprintf(stderr, "usage: fake_k8s -p PORT -k KEY -C CERT -t TOKENFILE -u USER -r "
				"RULES -d NS/NAME=N ... [-c CONTROL] [-P PIDFILE]\n");
		return 2;
	}
	return fh_serve("fake_k8s", o.port, o.key, o.cert, o.control, o.pidfile, handle, stats);
}
