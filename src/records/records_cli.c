#include "src/records/records_cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/secret_file.h"
#include "src/http/http_client.h"

#define TOKEN_MAX 512

static void usage(FILE *out)
{
	fprintf(out,
		"usage: dnsrecordsctl [-u URL] [-T TOKEN_FILE] [--cacert FILE] COMMAND ...\n"
		"\n"
		"commands:\n"
		"  register NAME TYPE VALUE... [--ttl N]   add a record (A AAAA CNAME TXT SRV)\n"
		"  replace NAME TYPE VALUE... [--ttl N]    replace it (--if-match ETAG: only if\n"
		"                                          it is still that)\n"
		"  unregister NAME [TYPE]                  remove it (idempotent)\n"
		"  get NAME [TYPE]                         show it\n"
		"  list [--zone Z] [--type T] [--name N]   list records\n"
		"  verify NAME [TYPE] [--wait S]           every authoritative server has it\n"
		"\n"
		"  -u URL          the API (default $DNSRECORDS_URL, else http://127.0.0.1:8053)\n"
		"  -T FILE         a private file holding the bearer token (default: the\n"
		"                  token in $DNSRECORDS_TOKEN)\n"
		"  --cacert FILE   CA certificate for an https URL\n"
		"\n"
		"exit codes: 0 ok, 1 failed, 2 usage or configuration error,\n"
		"            3 refused (conflict, precondition, not allowed),\n"
		"            4 not found (verify: not yet on every server)\n");
}

int rec_cli_exit_code(long status)
{
	if (status >= 200 && status < 300) {
		return 0;
	}
	if (status == 409 || status == 412 || status == 401 || status == 403) {
		return 3;
	}
	if (status == 404) {
		return 4;
	}
	if (status == 400 || status == 422) {
		return 2;
	}
	return 1;
}

static int read_token(const char *path, char *tok, size_t size)
{
	df_detail_t d = {{0}};
	int fd;
	if (secret_file_open(path, "token file", "-T", &fd, &d) != DF_OK) {
		fprintf(stderr, "dnsrecordsctl: %s\n", d.msg);
		return -1;
	}
	ssize_t n = read(fd, tok, size - 1);
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "dnsrecordsctl: %s is empty\n", path);
		return -1;
	}
	tok[n] = '\0';
	tok[strcspn(tok, "\r\n")] = '\0';
	return 0;
}

static int call(const char *base, const char *token, const char *cacert, const char *method,
		const char *path, json_t *body, const char *if_match, json_t **data)
{
	char url[2048];
	df_detail_t d = {{0}};
	http_options_t o = {.ca_file = cacert,
			    .connect_timeout_ms = 5000,
			    .timeout_ms = 120000,
			    .body_max = 64 * 1024 * 1024,
			    .user_agent = "dnsrecordsctl"};
	snprintf(url, sizeof(url), "%s%s", base, path);
	http_request_t *r = NULL;
	if (http_request_new(&r, method, url, &o, &d) != DF_OK) {
		fprintf(stderr, "dnsrecordsctl: %s\n", d.msg);
		return 2;
	}
	char h[TOKEN_MAX + 32];
	snprintf(h, sizeof(h), "Authorization: Bearer %s", token);
	http_request_add_header(r, h);
	explicit_bzero(h, sizeof(h));
	if (if_match != NULL) {
		snprintf(h, sizeof(h), "If-Match: %s", if_match);
		http_request_add_header(r, h);
	}
	char *b = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
	if (b != NULL) {
		http_request_add_header(r, "Content-Type: application/json");
		http_request_set_body(r, b, strlen(b));
		free(b);
	}
	int ret = http_client_perform(r, &d);
	if (ret != DF_OK) {
		fprintf(stderr, "dnsrecordsctl: %s\n", d.msg);
		http_request_free(r);
		return 1;
	}
	long st = http_request_status(r);
	size_t len;
	const char *rb = http_request_body(r, &len);
	json_t *j = json_loadb(rb, len, 0, NULL);
	int code = rec_cli_exit_code(st);
	if (code != 0) {
		json_t *e = json_object_get(j, "error");
		const char *msg = json_string_value(json_object_get(e, "message"));
		char safe[512];
		if (msg == NULL) {
			http_request_message(r, safe, sizeof(safe));
			msg = safe;
		}
		fprintf(stderr, "dnsrecordsctl: HTTP %ld: %s\n", st, msg);
		json_t *cur = json_object_get(e, "current");
		if (cur != NULL) {
			*data = json_incref(cur);
		}
	} else {
		*data = json_incref(json_object_get(j, "data"));
	}
	json_decref(j);
	http_request_free(r);
	return code;
}

static char *escape_path(const char *s)
{
	return http_client_escape(s);
}

int rec_cli_main(int argc, char **argv)
{
	const char *base = getenv("DNSRECORDS_URL");
	const char *token_file = NULL, *cacert = NULL, *zone = NULL, *type = NULL, *name = NULL;
	const char *if_match = NULL;
	long ttl = -1, wait_s = -1;
	static const struct option longopts[] = {
		{"cacert", required_argument, NULL, 'C'},
		{"ttl", required_argument, NULL, 't'},
		{"zone", required_argument, NULL, 'z'},
		{"type", required_argument, NULL, 'y'},
		{"name", required_argument, NULL, 'n'},
		{"wait", required_argument, NULL, 'w'},
		{"if-match", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+u:T:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			base = optarg;
			break;
		case 'T':
			token_file = optarg;
			break;
		case 'C':
			cacert = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[optind++];
	/* After the command: its arguments and --ttl N, --zone Z, --type T,
	 * --name N, --wait S, --if-match ETAG in any order. */
	int nargs = 0;
	char *args[64];
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || strlen(a) == 2) {
			if (nargs >= 64) {
				usage(stderr);
				return 2;
			}
			args[nargs++] = argv[i];
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "dnsrecordsctl: %s needs a value\n", a);
			return 2;
		}
		const char *v = argv[++i];
		if (strcmp(a, "--ttl") == 0) {
			ttl = strtol(v, NULL, 10);
		} else if (strcmp(a, "--zone") == 0) {
			zone = v;
		} else if (strcmp(a, "--type") == 0) {
			type = v;
		} else if (strcmp(a, "--name") == 0) {
			name = v;
		} else if (strcmp(a, "--wait") == 0) {
			wait_s = strtol(v, NULL, 10);
		} else if (strcmp(a, "--if-match") == 0) {
			if_match = v;
		} else {
			fprintf(stderr, "dnsrecordsctl: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (base == NULL || base[0] == '\0') {
		base = "http://127.0.0.1:8053";
	}
	char token[TOKEN_MAX];
	if (token_file != NULL) {
		if (read_token(token_file, token, sizeof(token)) != 0) {
			return 2;
		}
	} else if (getenv("DNSRECORDS_TOKEN") != NULL) {
		snprintf(token, sizeof(token), "%s", getenv("DNSRECORDS_TOKEN"));
	} else {
		fprintf(stderr, "dnsrecordsctl: no token: give -T FILE or set DNSRECORDS_TOKEN\n");
		return 2;
	}
	json_t *data = NULL;
	int code;
	char path[4096];
	char *en = nargs > 0 ? escape_path(args[0]) : NULL;
	if ((strcmp(cmd, "register") == 0 || strcmp(cmd, "replace") == 0) && nargs >= 3) {
		json_t *vals = json_array();
		for (int i = 2; i < nargs; i++) {
			json_array_append_new(vals, json_string(args[i]));
		}
		json_t *b = json_pack("{s:s,s:s,s:o}", "name", args[0], "type", args[1], "values",
				      vals);
		if (ttl >= 0) {
			json_object_set_new(b, "ttl", json_integer(ttl));
		}
		bool reg = cmd[2] == 'g';
		snprintf(path, sizeof(path), "/api/v1/dns/records%s%s", reg ? "" : "/",
			 reg ? "" : en);
		code = call(base, token, cacert, reg ? "POST" : "PUT", path, b, if_match, &data);
		json_decref(b);
	} else if ((strcmp(cmd, "unregister") == 0 || strcmp(cmd, "get") == 0) &&
		   (nargs == 1 || nargs == 2)) {
		snprintf(path, sizeof(path), "/api/v1/dns/records/%s%s%s", en,
			 nargs == 2 ? "?type=" : "", nargs == 2 ? args[1] : "");
		code = call(base, token, cacert, cmd[0] == 'u' ? "DELETE" : "GET", path, NULL, NULL,
			    &data);
	} else if (strcmp(cmd, "list") == 0 && nargs == 0) {
		snprintf(path, sizeof(path), "/api/v1/dns/records?limit=1000%s%s%s%s%s%s",
			 zone ? "&zone=" : "", zone ? zone : "", type ? "&type=" : "",
			 type ? type : "", name ? "&name=" : "", name ? name : "");
		code = call(base, token, cacert, "GET", path, NULL, NULL, &data);
	} else if (strcmp(cmd, "verify") == 0 && (nargs == 1 || nargs == 2)) {
		snprintf(path, sizeof(path), "/api/v1/dns/records/%s/verify?type=%s&wait=%ld", en,
			 nargs == 2 ? args[1] : "A", wait_s > 0 ? wait_s : 0);
		code = call(base, token, cacert, "GET", path, NULL, NULL, &data);
		if (code == 0 && !json_is_true(json_object_get(data, "verified"))) {
			code = 4;
		}
	} else {
		free(en);
		explicit_bzero(token, sizeof(token));
		usage(stderr);
		return 2;
	}
	free(en);
	explicit_bzero(token, sizeof(token));
	if (data != NULL) {
		char *s = json_dumps(data, JSON_INDENT(2));
		if (s != NULL) {
			FILE *out = code == 0 || code == 4 ? stdout : stderr;
			fprintf(out, "%s\n", s);
			free(s);
		}
		json_decref(data);
	}
	return code;
}
