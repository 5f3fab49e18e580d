#include "src/records/records_audit.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/*
 * Group commit: each writer appends its line under the lock and is answered
 * once an fdatasync() that started after its write has returned. One
 * writer syncs for everyone who wrote before it began, so concurrent
 * changes share a sync instead of queueing one each.
 */
struct rec_audit {
	int fd;
	bool syslog;
	pthread_mutex_t mu;
	pthread_cond_t synced_cond;
	uint64_t written; /* lines written */
	uint64_t synced;  /* lines known to be on disk */
	bool syncing;
	int sync_err;
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
	pthread_cond_init(&a->synced_cond, NULL);
	*out = a;
	return DF_OK;
}

void rec_audit_close(rec_audit_t *a)
{
	if (a != NULL) {
		close(a->fd);
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->synced_cond);
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
	uint64_t mine = ++a->written;
	while (ret == DF_OK && a->synced < mine) {
		if (a->syncing) {
			pthread_cond_wait(&a->synced_cond, &a->mu);
			continue;
		}
		a->syncing = true;
		uint64_t upto = a->written;
		pthread_mutex_unlock(&a->mu);
		int err = fdatasync(a->fd) != 0 ? -errno : DF_OK;
		pthread_mutex_lock(&a->mu);
		a->syncing = false;
		if (err == DF_OK) {
			a->synced = upto;
		} else {
			ret = err;
		}
		pthread_cond_broadcast(&a->synced_cond);
	}
	pthread_mutex_unlock(&a->mu);
	free(buf);
	if (a->syslog) {
		syslog(LOG_AUTHPRIV | LOG_NOTICE, "audit %s", line);
	}
	return ret;
}
