#include "src/records/records_audit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

struct rec_audit {
	int fd;
	bool syslog;
	pthread_mutex_t mu;
};

int rec_audit_open(rec_audit_t **out, const char *path, bool to_syslog, df_detail_t *d)
{
	rec_audit_t *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		return DF_ENOMEM;
	}
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (a->fd < 0) {
		int err = errno;
		df_detail_set(d, "audit_log %s: cannot open it for appending: %s", path,
			      strerror(err));
		free(a);
		return -err;
	}
	a->syslog = to_syslog;
	pthread_mutex_init(&a->mu, NULL);
	*out = a;
	return DF_OK;
}

void rec_audit_close(rec_audit_t *a)
{
	if (a != NULL) {
		close(a->fd);
		pthread_mutex_destroy(&a->mu);
		free(a);
	}
}

int rec_audit_write(rec_audit_t *a, const char *line)
{
	size_t len = strlen(line);
	char *buf = malloc(len + 1);
	if (buf == NULL) {
		return DF_ENOMEM;
	}
	memcpy(buf, line, len);
	buf[len] = '\n';
	int ret = DF_OK;
	pthread_mutex_lock(&a->mu);
	size_t done = 0;
	while (done < len + 1) {
		ssize_t w = write(a->fd, buf + done, len + 1 - done);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			ret = -errno;
			break;
		}
		done += (size_t)w;
	}
	if (ret == DF_OK && fdatasync(a->fd) != 0) {
		ret = -errno;
	}
	pthread_mutex_unlock(&a->mu);
	free(buf);
	if (a->syslog) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit %s", line);
	}
	return ret;
}
