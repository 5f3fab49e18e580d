/*
 * The queue on SQLite. Every change is one IMMEDIATE transaction, so a
 * writer never has to upgrade a read lock; the busy timeout covers the
 * workers and the endpoint writing at once.
 */
#include "zones/zp_queue.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 10000

struct zp_queue {
	sqlite3 *db;
	char path[512];
	char **backends;
	size_t nbackends;
};

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS zones ("
	" name TEXT PRIMARY KEY, text BLOB NOT NULL, version INTEGER NOT NULL,"
	" hostname TEXT NOT NULL DEFAULT '', username TEXT NOT NULL DEFAULT '',"
	" deleted INTEGER NOT NULL DEFAULT 0, updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS queue ("
	" backend TEXT NOT NULL, zone TEXT NOT NULL, op TEXT NOT NULL,"
	" version INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
	" next_at INTEGER NOT NULL, queued_at INTEGER NOT NULL, last_error TEXT,"
	" PRIMARY KEY (backend, zone));"
	"CREATE INDEX IF NOT EXISTS queue_due ON queue (backend, next_at);"
	"CREATE TABLE IF NOT EXISTS applied ("
	" backend TEXT NOT NULL, zone TEXT NOT NULL, version INTEGER NOT NULL,"
	" at INTEGER NOT NULL, PRIMARY KEY (backend, zone));"
	"CREATE TABLE IF NOT EXISTS dead_letters ("
	" id INTEGER PRIMARY KEY, backend TEXT NOT NULL, zone TEXT NOT NULL,"
	" op TEXT NOT NULL, version INTEGER NOT NULL, attempts INTEGER NOT NULL,"
	" error TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS dead_backend ON dead_letters (backend, zone);";

static int db_fail(zp_queue_t *q, df_detail_t *d, const char *what)
{
	df_detail_set(d, "queue %s: %s: %s", q->path, what, sqlite3_errmsg(q->db));
	return DF_EINVAL;
}

static int exec(zp_queue_t *q, const char *sql, df_detail_t *d)
{
	char *err = NULL;
	if (sqlite3_exec(q->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		df_detail_set(d, "queue %s: %s", q->path, err != NULL ? err : "error");
		sqlite3_free(err);
		return DF_EINVAL;
	}
	return DF_OK;
}

static sqlite3_stmt *prep(zp_queue_t *q, const char *sql, df_detail_t *d)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_fail(q, d, "prepare");
		return NULL;
	}
	return st;
}

/* Runs a statement that returns no row; finalizes it. */
static int step_done(zp_queue_t *q, sqlite3_stmt *st, df_detail_t *d)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		return db_fail(q, d, "write");
	}
	return DF_OK;
}

static int begin(zp_queue_t *q, df_detail_t *d)
{
	return exec(q, "BEGIN IMMEDIATE", d);
}

static int finish(zp_queue_t *q, int ret, df_detail_t *d)
{
	if (ret == DF_OK) {
		ret = exec(q, "COMMIT", d);
	}
	if (ret != DF_OK) {
		sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
	}
	return ret;
}

int zp_queue_open(zp_queue_t **out, const char *path, const char *const *backends, size_t n,
		  df_detail_t *d)
{
	zp_queue_t *q = calloc(1, sizeof(*q));
	if (q == NULL) {
		return DF_ENOMEM;
	}
	snprintf(q->path, sizeof(q->path), "%s", path);
	q->backends = calloc(n + 1, sizeof(char *));
	for (size_t i = 0; q->backends != NULL && i < n; i++) {
		q->backends[i] = strdup(backends[i]);
		if (q->backends[i] == NULL) {
			zp_queue_close(q);
			return DF_ENOMEM;
		}
		q->nbackends++;
	}
	if (q->backends == NULL) {
		zp_queue_close(q);
		return DF_ENOMEM;
	}
	if (sqlite3_open_v2(path, &q->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		df_detail_set(d,
			      "queue %s: cannot open: %s (check the directory exists and is "
			      "writable)",
			      path, q->db != NULL ? sqlite3_errmsg(q->db) : "out of memory");
		zp_queue_close(q);
		return DF_EACCES;
	}
	sqlite3_busy_timeout(q->db, BUSY_TIMEOUT_MS);
	int ret = exec(q, "PRAGMA journal_mode=WAL", d);
	if (ret == DF_OK) {
		ret = exec(q, "PRAGMA synchronous=FULL", d);
	}
	if (ret == DF_OK) {
		ret = exec(q, SCHEMA, d);
	}
	if (ret != DF_OK) {
		zp_queue_close(q);
		return ret;
	}
	*out = q;
	return DF_OK;
}

void zp_queue_close(zp_queue_t *q)
{
	if (q == NULL) {
		return;
	}
	if (q->db != NULL) {
		sqlite3_close_v2(q->db);
	}
	for (size_t i = 0; q->backends != NULL && i < q->nbackends; i++) {
		free(q->backends[i]);
	}
	free(q->backends);
	free(q);
}

/* Queues op at version for every backend, replacing what was pending. */
static int queue_all(zp_queue_t *q, const char *zone, const char *op, int64_t version, int64_t now,
		     df_detail_t *d)
{
	for (size_t i = 0; i < q->nbackends; i++) {
		sqlite3_stmt *st =
			prep(q,
			     "INSERT OR REPLACE INTO queue (backend, zone, op, version,"
			     " attempts, next_at, queued_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
			     d);
		if (st == NULL) {
			return DF_EINVAL;
		}
		sqlite3_bind_text(st, 1, q->backends[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, op, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, version);
		sqlite3_bind_int64(st, 5, now);
		sqlite3_bind_int64(st, 6, now);
		int ret = step_done(q, st, d);
		if (ret != DF_OK) {
			return ret;
		}
		/* A newer operation supersedes an older dead letter. */
		st = prep(q, "DELETE FROM dead_letters WHERE backend = ? AND zone = ?", d);
		if (st == NULL) {
			return DF_EINVAL;
		}
		sqlite3_bind_text(st, 1, q->backends[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
		ret = step_done(q, st, d);
		if (ret != DF_OK) {
			return ret;
		}
	}
	return DF_OK;
}

int zp_queue_push(zp_queue_t *q, const char *zone, const char *text, size_t len,
		  const char *hostname, const char *username, int64_t now, enum zp_push_result *res,
		  df_detail_t *d)
{
	int ret = begin(q, d);
	if (ret != DF_OK) {
		return ret;
	}
	sqlite3_stmt *st = prep(
		q, "SELECT text, version, deleted, hostname, username FROM zones WHERE name = ?",
		d);
	if (st == NULL) {
		return finish(q, DF_EINVAL, d);
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	int64_t version = 0;
	bool same = false, meta = false;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const void *old = sqlite3_column_blob(st, 0);
		size_t olen = (size_t)sqlite3_column_bytes(st, 0);
		version = sqlite3_column_int64(st, 1);
		const char *oh = (const char *)sqlite3_column_text(st, 3);
		const char *ou = (const char *)sqlite3_column_text(st, 4);
		same = sqlite3_column_int(st, 2) == 0 && olen == len &&
		       (len == 0 || memcmp(old, text, len) == 0);
		meta = oh == NULL || strcmp(oh, hostname) != 0 ||
		       (username[0] != '\0' && (ou == NULL || strcmp(ou, username) != 0));
	} else if (rc != SQLITE_DONE) {
		sqlite3_finalize(st);
		return finish(q, db_fail(q, d, "read"), d);
	}
	sqlite3_finalize(st);
	if (same) {
		/* The text the backends have (or are getting) already: at most a
		 * new master or owner to record. */
		*res = ZP_PUSH_UNCHANGED;
		if (meta) {
			st = prep(q,
				  "UPDATE zones SET hostname = ?1, username = CASE WHEN ?2 = ''"
				  " THEN username ELSE ?2 END WHERE name = ?3",
				  d);
			if (st == NULL) {
				return finish(q, DF_EINVAL, d);
			}
			sqlite3_bind_text(st, 1, hostname, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, username, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 3, zone, -1, SQLITE_STATIC);
			ret = step_done(q, st, d);
		}
		return finish(q, ret, d);
	}
	version++;
	st = prep(q,
		  "INSERT INTO zones (name, text, version, hostname, username, deleted, updated)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6) ON CONFLICT (name) DO UPDATE SET"
		  " text = ?2, version = ?3, hostname = ?4,"
		  " username = CASE WHEN ?5 = '' THEN username ELSE ?5 END, deleted = 0, updated = "
		  "?6",
		  d);
	if (st == NULL) {
		return finish(q, DF_EINVAL, d);
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, text, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, version);
	sqlite3_bind_text(st, 4, hostname, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, username, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	ret = step_done(q, st, d);
	if (ret == DF_OK) {
		ret = queue_all(q, zone, "save", version, now, d);
	}
	ret = finish(q, ret, d);
	if (ret == DF_OK) {
		*res = ZP_PUSH_QUEUED;
	}
	return ret;
}

int zp_queue_delete(zp_queue_t *q, const char *zone, const char *hostname, int64_t now,
		    enum zp_delete_result *res, df_detail_t *d)
{
	int ret = begin(q, d);
	if (ret != DF_OK) {
		return ret;
	}
	sqlite3_stmt *st =
		prep(q, "SELECT version, hostname, deleted FROM zones WHERE name = ?", d);
	if (st == NULL) {
		return finish(q, DF_EINVAL, d);
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			return finish(q, db_fail(q, d, "read"), d);
		}
		*res = ZP_DELETE_ABSENT;
		return finish(q, DF_OK, d);
	}
	int64_t version = sqlite3_column_int64(st, 0);
	const char *stored = (const char *)sqlite3_column_text(st, 1);
	bool refused = stored != NULL && stored[0] != '\0' && strcmp(stored, hostname) != 0;
	bool already = sqlite3_column_int(st, 2) != 0;
	sqlite3_finalize(st);
	if (refused) {
		*res = ZP_DELETE_REFUSED;
		return finish(q, DF_OK, d);
	}
	if (already) {
		*res = ZP_DELETE_QUEUED;
		return finish(q, DF_OK, d);
	}
	version++;
	st = prep(q, "UPDATE zones SET deleted = 1, version = ?, updated = ? WHERE name = ?", d);
	if (st == NULL) {
		return finish(q, DF_EINVAL, d);
	}
	sqlite3_bind_int64(st, 1, version);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_text(st, 3, zone, -1, SQLITE_STATIC);
	ret = step_done(q, st, d);
	if (ret == DF_OK) {
		ret = queue_all(q, zone, "delete", version, now, d);
	}
	ret = finish(q, ret, d);
	if (ret == DF_OK) {
		*res = ZP_DELETE_QUEUED;
	}
	return ret;
}

int zp_queue_lookup(zp_queue_t *q, const char *zone, zp_zone_info_t *info, df_detail_t *d)
{
	memset(info, 0, sizeof(*info));
	sqlite3_stmt *st = prep(
		q, "SELECT hostname, username, version FROM zones WHERE name = ? AND deleted = 0",
		d);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		info->exists = true;
		snprintf(info->hostname, sizeof(info->hostname), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		snprintf(info->username, sizeof(info->username), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		info->version = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		return db_fail(q, d, "read");
	}
	return DF_OK;
}

void zp_item_clear(zp_item_t *it)
{
	free(it->text);
	memset(it, 0, sizeof(*it));
}

int zp_queue_due(zp_queue_t *q, const char *backend, int64_t now, zp_item_t *items, size_t max,
		 df_detail_t *d)
{
	sqlite3_stmt *st = prep(q,
				"SELECT q.zone, q.op, q.version, q.attempts, z.text FROM queue q"
				" LEFT JOIN zones z ON z.name = q.zone"
				" WHERE q.backend = ? AND q.next_at <= ?"
				" ORDER BY q.next_at, q.queued_at LIMIT ?",
				d);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, (int64_t)max);
	size_t n = 0;
	int rc;
	while (n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		zp_item_t *it = &items[n];
		memset(it, 0, sizeof(*it));
		snprintf(it->zone, sizeof(it->zone), "%s",
			 (const char *)sqlite3_column_text(st, 0));
		it->op = strcmp((const char *)sqlite3_column_text(st, 1), "delete") == 0
				 ? ZP_OP_DELETE
				 : ZP_OP_SAVE;
		it->version = sqlite3_column_int64(st, 2);
		it->attempts = (unsigned)sqlite3_column_int(st, 3);
		if (it->op == ZP_OP_SAVE) {
			const void *t = sqlite3_column_blob(st, 4);
			it->len = (size_t)sqlite3_column_bytes(st, 4);
			it->text = malloc(it->len + 1);
			if (it->text == NULL) {
				break;
			}
			if (it->len > 0) {
				memcpy(it->text, t, it->len);
			}
			it->text[it->len] = '\0';
		}
		n++;
	}
	sqlite3_finalize(st);
	return (int)n;
}

int64_t zp_queue_next_due(zp_queue_t *q, const char *backend)
{
	sqlite3_stmt *st = prep(q, "SELECT MIN(next_at) FROM queue WHERE backend = ?", NULL);
	int64_t at = INT64_MAX;
	if (st == NULL) {
		return at;
	}
	sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		at = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return at;
}

/* A deleted zone whose delete every backend has done is forgotten. */
static int forget_if_gone(zp_queue_t *q, const char *zone, df_detail_t *d)
{
	sqlite3_stmt *st = prep(q,
				"DELETE FROM zones WHERE name = ?1 AND deleted = 1"
				" AND NOT EXISTS (SELECT 1 FROM queue WHERE zone = ?1)"
				" AND NOT EXISTS (SELECT 1 FROM dead_letters WHERE zone = ?1)",
				d);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, zone, -1, SQLITE_STATIC);
	return step_done(q, st, d);
}

/* Removes it from backend's queue unless a newer version replaced it. */
static int unqueue(zp_queue_t *q, const char *backend, const zp_item_t *it, df_detail_t *d)
{
	sqlite3_stmt *st =
		prep(q, "DELETE FROM queue WHERE backend = ? AND zone = ? AND version = ?", d);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, it->zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, it->version);
	return step_done(q, st, d);
}

int zp_queue_done(zp_queue_t *q, const char *backend, const zp_item_t *it, int64_t now,
		  df_detail_t *d)
{
	int ret = begin(q, d);
	if (ret != DF_OK) {
		return ret;
	}
	ret = unqueue(q, backend, it, d);
	if (ret == DF_OK) {
		sqlite3_stmt *st =
			it->op == ZP_OP_SAVE
				? prep(q,
				       "INSERT OR REPLACE INTO applied (backend, zone, version, at)"
				       " VALUES (?, ?, ?, ?)",
				       d)
				: prep(q, "DELETE FROM applied WHERE backend = ? AND zone = ?", d);
		if (st == NULL) {
			return finish(q, DF_EINVAL, d);
		}
		sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, it->zone, -1, SQLITE_STATIC);
		if (it->op == ZP_OP_SAVE) {
			sqlite3_bind_int64(st, 3, it->version);
			sqlite3_bind_int64(st, 4, now);
		}
		ret = step_done(q, st, d);
	}
	if (ret == DF_OK && it->op == ZP_OP_DELETE) {
		ret = forget_if_gone(q, it->zone, d);
	}
	return finish(q, ret, d);
}

int zp_queue_failed(zp_queue_t *q, const char *backend, const zp_item_t *it, const char *error,
		    int64_t now, const unsigned *schedule, size_t n, bool *dead, df_detail_t *d)
{
	unsigned attempts = it->attempts + 1;
	*dead = attempts > n;
	int ret = begin(q, d);
	if (ret != DF_OK) {
		return ret;
	}
	sqlite3_stmt *st;
	if (*dead) {
		st = prep(
			q,
			"INSERT INTO dead_letters (backend, zone, op, version, attempts, error, at)"
			" SELECT backend, zone, op, version, ?4, ?5, ?6 FROM queue"
			" WHERE backend = ?1 AND zone = ?2 AND version = ?3",
			d);
		if (st == NULL) {
			return finish(q, DF_EINVAL, d);
		}
		sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, it->zone, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, it->version);
		sqlite3_bind_int(st, 4, (int)attempts);
		sqlite3_bind_text(st, 5, error, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now);
		ret = step_done(q, st, d);
		if (ret == DF_OK) {
			ret = unqueue(q, backend, it, d);
		}
	} else {
		st = prep(q,
			  "UPDATE queue SET attempts = ?, next_at = ?, last_error = ?"
			  " WHERE backend = ? AND zone = ? AND version = ?",
			  d);
		if (st == NULL) {
			return finish(q, DF_EINVAL, d);
		}
		sqlite3_bind_int(st, 1, (int)attempts);
		sqlite3_bind_int64(st, 2, now + (int64_t)schedule[attempts - 1]);
		sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, backend, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, it->zone, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, it->version);
		ret = step_done(q, st, d);
	}
	return finish(q, ret, d);
}

/*
 * Runs sql, an INSERT into the queue with ?1 the backend and ?2 now, inside
 * the caller's transaction; *queued is how many rows it added.
 */
static int queue_select(zp_queue_t *q, const char *sql, const char *backend, int64_t now,
			int *queued, df_detail_t *d)
{
	*queued = 0;
	sqlite3_stmt *st = prep(q, sql, d);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now);
	int ret = step_done(q, st, d);
	if (ret == DF_OK) {
		*queued = sqlite3_changes(q->db);
	}
	return ret;
}

int zp_queue_heal_dead(zp_queue_t *q, const char *backend, int64_t now, df_detail_t *d)
{
	int ret = begin(q, d);
	if (ret != DF_OK) {
		return ret;
	}
	int healed;
	ret = queue_select(
		q,
		"INSERT OR IGNORE INTO queue (backend, zone, op, version, attempts, next_at, "
		"queued_at)"
		" SELECT ?1, z.name, CASE WHEN z.deleted THEN 'delete' ELSE 'save' END, z.version,"
		" 0, ?2, ?2 FROM zones z WHERE z.name IN"
		" (SELECT zone FROM dead_letters WHERE backend = ?1)",
		backend, now, &healed, d);
	if (ret == DF_OK) {
		sqlite3_stmt *st = prep(q, "DELETE FROM dead_letters WHERE backend = ?", d);
		if (st == NULL) {
			return finish(q, DF_EINVAL, d);
		}
		sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
		ret = step_done(q, st, d);
	}
	ret = finish(q, ret, d);
	return ret == DF_OK ? healed : ret;
}

int zp_queue_heal_missing(zp_queue_t *q, const char *backend, const char *const *present, size_t n,
			  int64_t now, df_detail_t *d)
{
	int ret = exec(q, "CREATE TEMP TABLE IF NOT EXISTS present (name TEXT PRIMARY KEY)", d);
	if (ret == DF_OK) {
		ret = begin(q, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	ret = exec(q, "DELETE FROM temp.present", d);
	for (size_t i = 0; ret == DF_OK && i < n; i++) {
		sqlite3_stmt *st = prep(q, "INSERT OR IGNORE INTO temp.present VALUES (?)", d);
		if (st == NULL) {
			ret = DF_EINVAL;
			break;
		}
		sqlite3_bind_text(st, 1, present[i], -1, SQLITE_STATIC);
		ret = step_done(q, st, d);
	}
	int healed = 0;
	if (ret == DF_OK) {
		ret = queue_select(
			q,
			"INSERT OR IGNORE INTO queue (backend, zone, op, version, attempts, "
			"next_at, queued_at) SELECT ?1, z.name, 'save', z.version, 0, ?2, ?2 "
			"FROM zones z WHERE z.deleted = 0 AND z.name NOT IN (SELECT name "
			"FROM temp.present)",
			backend, now, &healed, d);
	}
	ret = finish(q, ret, d);
	return ret == DF_OK ? healed : ret;
}

static int64_t count(zp_queue_t *q, const char *sql, const char *backend)
{
	sqlite3_stmt *st = prep(q, sql, NULL);
	int64_t n = -1;
	if (st == NULL) {
		return n;
	}
	if (backend != NULL) {
		sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

int zp_queue_stats(zp_queue_t *q, const char *backend, zp_backend_stats_t *s)
{
	s->pending = count(q, "SELECT COUNT(*) FROM queue WHERE backend = ?", backend);
	s->dead = count(q, "SELECT COUNT(*) FROM dead_letters WHERE backend = ?", backend);
	s->applied = count(q, "SELECT COUNT(*) FROM applied WHERE backend = ?", backend);
	return s->pending < 0 || s->dead < 0 || s->applied < 0 ? DF_EINVAL : DF_OK;
}

int64_t zp_queue_zone_count(zp_queue_t *q)
{
	return count(q, "SELECT COUNT(*) FROM zones WHERE deleted = 0", NULL);
}

int zp_queue_each_dead(zp_queue_t *q,
		       void (*fn)(void *arg, const char *backend, const char *zone, const char *op,
				  unsigned attempts, const char *error, int64_t at),
		       void *arg)
{
	sqlite3_stmt *st = prep(q,
				"SELECT backend, zone, op, attempts, error, at FROM dead_letters"
				" ORDER BY backend, zone",
				NULL);
	if (st == NULL) {
		return DF_EINVAL;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2), (unsigned)sqlite3_column_int(st, 3),
		   (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5));
	}
	sqlite3_finalize(st);
	return DF_OK;
}

int zp_queue_each_zone(zp_queue_t *q, const char *hostname, void (*fn)(void *arg, const char *zone),
		       void *arg)
{
	sqlite3_stmt *st = prep(q,
				"SELECT name FROM zones WHERE deleted = 0 AND hostname = ?"
				" ORDER BY name",
				NULL);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, hostname, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fn(arg, (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return DF_OK;
}

int zp_queue_each_applied(zp_queue_t *q, const char *backend,
			  void (*fn)(void *arg, const char *zone, const char *text, size_t len),
			  void *arg)
{
	sqlite3_stmt *st = prep(q,
				"SELECT z.name, z.text FROM zones z JOIN applied a"
				" ON a.zone = z.name AND a.backend = ?1 AND a.version = z.version"
				" WHERE z.deleted = 0 AND NOT EXISTS"
				" (SELECT 1 FROM queue WHERE backend = ?1 AND zone = z.name)"
				" ORDER BY z.name",
				NULL);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		fn(arg, (const char *)sqlite3_column_text(st, 0),
		   (const char *)sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1));
	}
	sqlite3_finalize(st);
	return DF_OK;
}

int zp_queue_requeue(zp_queue_t *q, const char *backend, const char *zone, int64_t now,
		     df_detail_t *d)
{
	sqlite3_stmt *st = prep(q,
				"INSERT OR IGNORE INTO queue (backend, zone, op, version, "
				"attempts, next_at, queued_at)"
				" SELECT ?1, name, 'save', version, 0, ?3, ?3 FROM zones WHERE "
				"name = ?2 AND deleted = 0",
				d);
	if (st == NULL) {
		return DF_EINVAL;
	}
	sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, zone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return step_done(q, st, d);
}
