/*
 * The throwaway KDC of the gss/ unit tests and the in-process acceptor.
 */
#include "tests/unit/gss/unit_kdc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];
static pid_t kdc_pid;

static int free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &sl) != 0) {
		if (s >= 0) {
			close(s);
		}
		return -1;
	}
	close(s);
	return ntohs(sa.sin_port);
}

static int write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		return -1;
	}
	fputs(text, f);
	return fclose(f);
}

static int run(const char *cmd)
{
	char full[1024];
	snprintf(full, sizeof(full), "%s >>%s/log 2>&1", cmd, dir);
	return system(full);
}

const char *unit_kdc_dir(void)
{
	return dir;
}

void unit_kdc_stop(void)
{
	if (kdc_pid > 0) {
		kill(kdc_pid, SIGTERM);
		waitpid(kdc_pid, NULL, 0);
		kdc_pid = 0;
	}
	if (dir[0] != '\0') {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0) {
			fprintf(stderr, "could not remove %s\n", dir);
		}
		dir[0] = '\0';
	}
}

int unit_kdc_kinit(const char *opts)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "kinit %s -k -t %s/client.keytab lease-primary@EXAMPLE.TEST",
		 opts != NULL ? opts : "", dir);
	return run(cmd) == 0 ? 0 : -1;
}

static int setup(const char *tag)
{
	snprintf(dir, sizeof(dir), "/tmp/%s.XXXXXX", tag);
	if (mkdtemp(dir) == NULL) {
		dir[0] = '\0';
		return -1;
	}
	int port = free_port();
	if (port < 0) {
		return -1;
	}
	char text[2048];
	snprintf(text, sizeof(text),
		 "[libdefaults]\n default_realm = EXAMPLE.TEST\n dns_lookup_kdc = false\n"
		 " dns_lookup_realm = false\n rdns = false\n dns_canonicalize_hostname = false\n"
		 "[realms]\n EXAMPLE.TEST = {\n  kdc = 127.0.0.1:%d\n }\n"
		 "[domain_realm]\n .example.test = EXAMPLE.TEST\n example.test = EXAMPLE.TEST\n",
		 port);
	if (write_file("krb5.conf", text) != 0) {
		return -1;
	}
	snprintf(text, sizeof(text),
		 "[kdcdefaults]\n kdc_listen = 127.0.0.1:%d\n kdc_tcp_listen = 127.0.0.1:%d\n"
		 "[realms]\n EXAMPLE.TEST = {\n  database_name = %s/principal\n"
		 "  key_stash_file = %s/stash\n  acl_file = %s/kadm5.acl\n }\n",
		 port, port, dir, dir, dir);
	if (write_file("kdc.conf", text) != 0 || write_file("kadm5.acl", "") != 0) {
		return -1;
	}
	char env[160];
	snprintf(env, sizeof(env), "%s/krb5.conf", dir);
	setenv("KRB5_CONFIG", env, 1);
	snprintf(env, sizeof(env), "%s/kdc.conf", dir);
	setenv("KRB5_KDC_PROFILE", env, 1);
	snprintf(env, sizeof(env), "FILE:%s/cc", dir);
	setenv("KRB5CCNAME", env, 1);
	snprintf(env, sizeof(env), "FILE:%s/dns.keytab", dir);
	setenv("KRB5_KTNAME", env, 1);

	char cmd[512];
	if (run("/usr/sbin/kdb5_util create -s -r EXAMPLE.TEST -P test-master-pw") != 0 ||
	    run("/usr/sbin/kadmin.local -r EXAMPLE.TEST -q 'addprinc -randkey "
		"DNS/ns1.example.test'") != 0 ||
	    run("/usr/sbin/kadmin.local -r EXAMPLE.TEST -q 'addprinc -randkey lease-primary'") !=
		    0) {
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "/usr/sbin/kadmin.local -r EXAMPLE.TEST -q 'ktadd -k %s/dns.keytab "
		 "DNS/ns1.example.test'",
		 dir);
	if (run(cmd) != 0) {
		return -1;
	}
	snprintf(cmd, sizeof(cmd),
		 "/usr/sbin/kadmin.local -r EXAMPLE.TEST -q 'ktadd -k %s/client.keytab "
		 "lease-primary'",
		 dir);
	if (run(cmd) != 0) {
		return -1;
	}
	/* private, as GSS_KEYTAB requires */
	snprintf(cmd, sizeof(cmd), "%s/client.keytab", dir);
	if (chmod(cmd, 0600) != 0) {
		return -1;
	}
	kdc_pid = fork();
	if (kdc_pid < 0) {
		return -1;
	}
	if (kdc_pid == 0) {
		execl("/usr/sbin/krb5kdc", "krb5kdc", "-n", (char *)NULL);
		_exit(127);
	}
	/* kinit until the KDC answers (a few seconds at most) */
	for (int i = 0; i < 50; i++) {
		if (unit_kdc_kinit(NULL) == 0) {
			return 0;
		}
		usleep(100000);
	}
	return -1;
}

int unit_kdc_start(const char *tag)
{
	if (access("/usr/sbin/krb5kdc", X_OK) != 0 || access("/usr/sbin/kdb5_util", X_OK) != 0 ||
	    access("/usr/sbin/kadmin.local", X_OK) != 0) {
		return 1;
	}
	if (setup(tag) == 0) {
		return 0;
	}
	fprintf(stderr, "%s: could not start the KDC; its log:\n", tag);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "cat %s/log >&2", dir);
	if (dir[0] != '\0' && system(cmd) != 0) {
		fprintf(stderr, "(no log)\n");
	}
	unit_kdc_stop();
	return -1;
}

OM_uint32 unit_kdc_accept(gss_ctx_id_t *actx, const uint8_t *in, size_t in_len,
			  gss_buffer_desc *out)
{
	OM_uint32 minor;
	gss_buffer_desc tok = {.length = in_len, .value = (void *)in};

	out->length = 0;
	out->value = NULL;
	return gss_accept_sec_context(&minor, actx, GSS_C_NO_CREDENTIAL, &tok,
				      GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, out, NULL, NULL, NULL);
}
