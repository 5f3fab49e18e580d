/*
 * The CoreDNS-MySQL backend (reference directadmin.md 5.2): the schema of
 * the coredns_mysql_extend plugin (zones, records), every row online=1,
 * zone_name absolute and lower case, hostname relative to the zone ("@" at
 * the apex), data in presentation form with every name absolute (the plugin
 * reads it with no origin). A zone is replaced in one transaction: the zones
 * row ensured, its records deleted and inserted again, and the row count
 * checked against the parsed zone before the commit.
 */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/common/log.h"
#include "src/common/secret_file.h"
#include "zones/zp_backend.h"

#define SQL_MAX (8 * 1024 * 1024)

typedef struct my_be {
	char host[256];
	char socket[512];
	unsigned port;
	char database[65];
	char user[81];
	char password[256];
	char zones_table[65];
	char records_table[65];
	unsigned timeout;
	MYSQL *db;
} my_be_t;

static int db_error(my_be_t *be, df_detail_t *d, const char *what)
{
	df_detail_set(d, "MySQL %s@%s/%s: %s: %s", be->user,
		      be->socket[0] != '\0' ? be->socket : be->host, be->database, what,
		      be->db != NULL ? mysql_error(be->db) : "not connected");
	if (be->db != NULL) {
		unsigned e = mysql_errno(be->db);
		/* 2006 server gone, 2013 lost connection: reconnect next time */
		if (e == 2006 || e == 2013) {
			mysql_close(be->db);
			be->db = NULL;
		}
	}
	return DF_ENETWORK;
}

static int connect_db(my_be_t *be, df_detail_t *d)
{
	if (be->db != NULL) {
		return DF_OK;
	}
	be->db = mysql_init(NULL);
	if (be->db == NULL) {
		return DF_ENOMEM;
	}
	mysql_options(be->db, MYSQL_OPT_CONNECT_TIMEOUT, &be->timeout);
	mysql_options(be->db, MYSQL_OPT_READ_TIMEOUT, &be->timeout);
	mysql_options(be->db, MYSQL_OPT_WRITE_TIMEOUT, &be->timeout);
	if (mysql_real_connect(be->db, be->socket[0] != '\0' ? NULL : be->host, be->user,
			       be->password[0] != '\0' ? be->password : NULL, be->database,
			       be->port, be->socket[0] != '\0' ? be->socket : NULL, 0) == NULL) {
		int ret = db_error(be, d, "connect");
		mysql_close(be->db);
		be->db = NULL;
		return ret;
	}
	mysql_set_character_set(be->db, "utf8mb4");
	return DF_OK;
}

static int query(my_be_t *be, const char *sql, size_t len, df_detail_t *d)
{
	if (mysql_real_query(be->db, sql, (unsigned long)len) != 0) {
		return db_error(be, d, "query");
	}
	return DF_OK;
}

/* One integer from a SELECT; -1 when there is no row. */
static int query_int(my_be_t *be, const char *sql, long long *out, df_detail_t *d)
{
	int ret = query(be, sql, strlen(sql), d);
	if (ret != DF_OK) {
		return ret;
	}
	MYSQL_RES *res = mysql_store_result(be->db);
	if (res == NULL) {
		return db_error(be, d, "result");
	}
	MYSQL_ROW row = mysql_fetch_row(res);
	*out = row != NULL && row[0] != NULL ? atoll(row[0]) : -1;
	mysql_free_result(res);
	return DF_OK;
}

/* Appends text to a growing buffer. */
typedef struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
} sbuf_t;

static void put(sbuf_t *b, const char *s, size_t n)
{
	if (b->oom) {
		return;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : 4096;
		while (cap < b->len + n + 1) {
			cap *= 2;
		}
		char *np = cap <= SQL_MAX ? realloc(b->p, cap) : NULL;
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(sbuf_t *b, const char *s)
{
	put(b, s, strlen(s));
}

/* 'escaped' */
static void put_quoted(my_be_t *be, sbuf_t *b, const char *s)
{
	size_t n = strlen(s);
	char *e = malloc(2 * n + 1);
	if (e == NULL) {
		b->oom = true;
		return;
	}
	unsigned long el = mysql_real_escape_string(be->db, e, s, (unsigned long)n);
	put(b, "'", 1);
	put(b, e, el);
	put(b, "'", 1);
	free(e);
}

/* The owner relative to the zone: "@", "www", "a.b", "*". */
static void relative_owner(const ldns_rr *rr, const char *zone, char *out, size_t size)
{
	char *o = ldns_rdf2str(ldns_rr_owner(rr));
	if (o == NULL) {
		snprintf(out, size, "@");
		return;
	}
	size_t ol = strlen(o), zl = strlen(zone);
	/* o is "name.zone." or "zone." */
	if (ol == zl + 1 && strncmp(o, zone, zl) == 0) {
		snprintf(out, size, "@");
	} else if (ol > zl + 2 && strncmp(o + ol - zl - 1, zone, zl) == 0 &&
		   o[ol - zl - 2] == '.') {
		snprintf(out, size, "%.*s", (int)(ol - zl - 2), o);
	} else {
		snprintf(out, size, "%s", o);
	}
	free(o);
}

/* Presentation RDATA, names absolute as ldns prints them. */
static char *rdata_text(const ldns_rr *rr)
{
	sbuf_t b = {0};
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		char *s = ldns_rdf2str(ldns_rr_rdf(rr, i));
		if (s == NULL) {
			free(b.p);
			return NULL;
		}
		if (i > 0) {
			put(&b, " ", 1);
		}
		puts_(&b, s);
		free(s);
	}
	if (b.p == NULL && !b.oom) {
		return strdup("");
	}
	return b.oom ? (free(b.p), NULL) : b.p;
}

static int rollback(my_be_t *be, int ret)
{
	if (be->db != NULL) {
		mysql_query(be->db, "ROLLBACK");
	}
	return ret;
}

static int zone_id(my_be_t *be, const char *abs, bool create, long long *id, df_detail_t *d)
{
	sbuf_t q = {0};
	puts_(&q, "SELECT id FROM ");
	puts_(&q, be->zones_table);
	puts_(&q, " WHERE zone_name = ");
	put_quoted(be, &q, abs);
	if (q.oom) {
		free(q.p);
		return DF_ENOMEM;
	}
	int ret = query_int(be, q.p, id, d);
	free(q.p);
	if (ret != DF_OK || *id >= 0 || !create) {
		return ret;
	}
	memset(&q, 0, sizeof(q));
	puts_(&q, "INSERT INTO ");
	puts_(&q, be->zones_table);
	puts_(&q, " (zone_name) VALUES (");
	put_quoted(be, &q, abs);
	puts_(&q, ")");
	ret = q.oom ? DF_ENOMEM : query(be, q.p, q.len, d);
	free(q.p);
	if (ret == DF_OK) {
		*id = (long long)mysql_insert_id(be->db);
	}
	return ret;
}

static int my_write(zp_backend_t *b, const zp_zone_t *z, df_detail_t *d)
{
	my_be_t *be = b->priv;
	int ret = connect_db(be, d);
	if (ret != DF_OK) {
		return ret;
	}
	char abs[260];
	snprintf(abs, sizeof(abs), "%s.", z->name);
	ret = query(be, "START TRANSACTION", 17, d);
	long long id = -1;
	if (ret == DF_OK) {
		ret = zone_id(be, abs, true, &id, d);
	}
	char sql[256];
	if (ret == DF_OK) {
		int n = snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE zone_id = %lld",
				 be->records_table, id);
		ret = query(be, sql, (size_t)n, d);
	}
	if (ret != DF_OK) {
		return rollback(be, ret);
	}
	sbuf_t q = {0};
	puts_(&q, "INSERT INTO ");
	puts_(&q, be->records_table);
	puts_(&q, " (zone_id, hostname, type, data, ttl, online) VALUES ");
	for (size_t i = 0; i < zp_zone_count(z); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(z->rrs, i);
		char owner[300], num[64];
		relative_owner(rr, z->name, owner, sizeof(owner));
		char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
		char *data = rdata_text(rr);
		if (type == NULL || data == NULL) {
			free(type);
			free(data);
			free(q.p);
			return rollback(be, DF_ENOMEM);
		}
		snprintf(num, sizeof(num), "%s(%lld, ", i > 0 ? ", " : "", id);
		puts_(&q, num);
		put_quoted(be, &q, owner);
		puts_(&q, ", ");
		put_quoted(be, &q, type);
		puts_(&q, ", ");
		put_quoted(be, &q, data);
		snprintf(num, sizeof(num), ", %u, 1)", (unsigned)ldns_rr_ttl(rr));
		puts_(&q, num);
		free(type);
		free(data);
	}
	if (q.oom) {
		free(q.p);
		return rollback(be, DF_ENOMEM);
	}
	ret = query(be, q.p, q.len, d);
	free(q.p);
	long long count = -1;
	if (ret == DF_OK) {
		snprintf(sql, sizeof(sql),
			 "SELECT COUNT(*) FROM %s WHERE zone_id = %lld AND online = 1",
			 be->records_table, id);
		ret = query_int(be, sql, &count, d);
	}
	if (ret == DF_OK && count != (long long)zp_zone_count(z)) {
		df_detail_set(d, "MySQL %s: zone %s has %lld rows after the insert, %zu expected",
			      be->database, z->name, count, zp_zone_count(z));
		ret = DF_ECONFLICT;
	}
	if (ret == DF_OK) {
		ret = query(be, "COMMIT", 6, d);
	}
	return ret == DF_OK ? DF_OK : rollback(be, ret);
}

static int my_delete(zp_backend_t *b, const char *zone, df_detail_t *d)
{
	my_be_t *be = b->priv;
	int ret = connect_db(be, d);
	if (ret != DF_OK) {
		return ret;
	}
	char abs[260], sql[256];
	snprintf(abs, sizeof(abs), "%s.", zone);
	ret = query(be, "START TRANSACTION", 17, d);
	long long id = -1;
	if (ret == DF_OK) {
		ret = zone_id(be, abs, false, &id, d);
	}
	if (ret == DF_OK && id >= 0) {
		int n = snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE zone_id = %lld",
				 be->records_table, id);
		ret = query(be, sql, (size_t)n, d);
		if (ret == DF_OK) {
			n = snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = %lld",
				     be->zones_table, id);
			ret = query(be, sql, (size_t)n, d);
		}
	}
	if (ret == DF_OK) {
		ret = query(be, "COMMIT", 6, d);
	}
	return ret == DF_OK ? DF_OK : rollback(be, ret);
}

static int my_list(zp_backend_t *b, char ***names, size_t *n, df_detail_t *d)
{
	my_be_t *be = b->priv;
	int ret = connect_db(be, d);
	if (ret != DF_OK) {
		return ret;
	}
	char sql[128];
	int l = snprintf(sql, sizeof(sql), "SELECT zone_name FROM %s", be->zones_table);
	ret = query(be, sql, (size_t)l, d);
	if (ret != DF_OK) {
		return ret;
	}
	MYSQL_RES *res = mysql_store_result(be->db);
	if (res == NULL) {
		return db_error(be, d, "result");
	}
	size_t rows = (size_t)mysql_num_rows(res);
	char **v = calloc(rows + 1, sizeof(char *));
	MYSQL_ROW row;
	*n = 0;
	while (v != NULL && (row = mysql_fetch_row(res)) != NULL) {
		if (row[0] == NULL) {
			continue;
		}
		size_t len = strlen(row[0]);
		if (len > 0 && row[0][len - 1] == '.') {
			len--;
		}
		v[*n] = strndup(row[0], len);
		if (v[*n] == NULL) {
			zp_names_free(v, *n);
			v = NULL;
			break;
		}
		(*n)++;
	}
	mysql_free_result(res);
	if (v == NULL) {
		*n = 0;
		return DF_ENOMEM;
	}
	*names = v;
	return DF_OK;
}

static int my_count(zp_backend_t *b, const char *zone, size_t *n, df_detail_t *d)
{
	my_be_t *be = b->priv;
	int ret = connect_db(be, d);
	if (ret != DF_OK) {
		return ret;
	}
	char abs[260];
	snprintf(abs, sizeof(abs), "%s.", zone);
	sbuf_t q = {0};
	puts_(&q, "SELECT COUNT(*) FROM ");
	puts_(&q, be->records_table);
	puts_(&q, " r JOIN ");
	puts_(&q, be->zones_table);
	puts_(&q, " z ON r.zone_id = z.id WHERE r.online != 0 AND z.zone_name = ");
	put_quoted(be, &q, abs);
	long long c = 0;
	ret = q.oom ? DF_ENOMEM : query_int(be, q.p, &c, d);
	free(q.p);
	if (ret == DF_OK) {
		*n = c > 0 ? (size_t)c : 0;
	}
	return ret;
}

static void my_destroy(zp_backend_t *b)
{
	my_be_t *be = b->priv;
	if (be == NULL) {
		return;
	}
	if (be->db != NULL) {
		mysql_close(be->db);
	}
	explicit_bzero(be->password, sizeof(be->password));
	free(be);
}

static const zp_backend_ops_t MY_OPS = {
	.type = "coredns_mysql",
	.write_zone = my_write,
	.delete_zone = my_delete,
	.commit = NULL,
	.list_zones = my_list,
	.count_records = my_count,
	.destroy = my_destroy,
};

static bool table_name_ok(const char *s)
{
	if (s[0] == '\0' || strlen(s) > 64) {
		return false;
	}
	for (const char *p = s; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_')) {
			return false;
		}
	}
	return true;
}

static int read_password(my_be_t *be, const char *path, zp_backend_conf_t *c, df_detail_t *d)
{
	int fd;
	int ret = secret_file_open(path, "password file", "password_file", &fd, d);
	if (ret != DF_OK) {
		df_detail_prefix(d, "%s:%d: backend %s", c->file, c->line, c->name);
		return ret;
	}
	ssize_t n = read(fd, be->password, sizeof(be->password) - 1);
	close(fd);
	if (n < 0) {
		df_detail_set(d, "password file %s: %s", path, strerror(errno));
		return DF_EACCES;
	}
	be->password[n] = '\0';
	be->password[strcspn(be->password, "\r\n")] = '\0';
	return DF_OK;
}

static int create_tables(my_be_t *be, df_detail_t *d)
{
	char sql[1024];
	int n = snprintf(
		sql, sizeof(sql),
		"CREATE TABLE IF NOT EXISTS %s (id INT NOT NULL AUTO_INCREMENT,"
		" zone_name VARCHAR(255) NOT NULL, PRIMARY KEY (id), UNIQUE KEY (zone_name))",
		be->zones_table);
	int ret = query(be, sql, (size_t)n, d);
	if (ret == DF_OK) {
		n = snprintf(sql, sizeof(sql),
			     "CREATE TABLE IF NOT EXISTS %s (id INT NOT NULL AUTO_INCREMENT,"
			     " zone_id INT NOT NULL, hostname VARCHAR(512) NOT NULL,"
			     " type VARCHAR(10) NOT NULL, data VARCHAR(1024) NOT NULL,"
			     " ttl INT NOT NULL DEFAULT 120, online INT NOT NULL DEFAULT 0,"
			     " PRIMARY KEY (id), FOREIGN KEY (zone_id) REFERENCES %s(id),"
			     " INDEX idx_lookup (zone_id, hostname, type, online))",
			     be->records_table, be->zones_table);
		ret = query(be, sql, (size_t)n, d);
	}
	return ret;
}

int zp_backend_coredns_mysql_create(zp_backend_t *b, zp_backend_conf_t *c, df_detail_t *d)
{
	my_be_t *be = calloc(1, sizeof(*be));
	if (be == NULL) {
		return DF_ENOMEM;
	}
	b->priv = be;
	b->ops = &MY_OPS;
	static bool lib_ready;
	if (!lib_ready) {
		/* Before any worker thread starts: the client library's globals. */
		mysql_library_init(0, NULL, NULL);
		lib_ready = true;
	}
	const char *db = zp_kv_get(c, "database", NULL);
	const char *user = zp_kv_get(c, "user", NULL);
	if (db == NULL || user == NULL || strlen(db) >= sizeof(be->database) ||
	    strlen(user) >= sizeof(be->user)) {
		df_detail_set(d, "%s:%d: backend %s: database and user are required", c->file,
			      c->line, c->name);
		return DF_ECONFIG;
	}
	snprintf(be->database, sizeof(be->database), "%s", db);
	snprintf(be->user, sizeof(be->user), "%s", user);
	snprintf(be->host, sizeof(be->host), "%s", zp_kv_get(c, "host", "localhost"));
	snprintf(be->socket, sizeof(be->socket), "%s", zp_kv_get(c, "socket", ""));
	snprintf(be->zones_table, sizeof(be->zones_table), "%s",
		 zp_kv_get(c, "zones_table", "zones"));
	snprintf(be->records_table, sizeof(be->records_table), "%s",
		 zp_kv_get(c, "records_table", "records"));
	if (!table_name_ok(be->zones_table) || !table_name_ok(be->records_table)) {
		df_detail_set(d,
			      "%s:%d: backend %s: zones_table and records_table: letters, digits "
			      "and '_'",
			      c->file, c->line, c->name);
		return DF_ECONFIG;
	}
	int ret = zp_kv_uint(c, "port", 3306, 1, 65535, &be->port, d);
	if (ret == DF_OK) {
		ret = zp_kv_uint(c, "timeout", 5, 1, 120, &be->timeout, d);
	}
	const char *pw = zp_kv_get(c, "password_file", NULL);
	if (ret == DF_OK && pw != NULL && pw[0] != '\0') {
		ret = read_password(be, pw, c, d);
	}
	if (ret != DF_OK) {
		return ret;
	}
	/* The schema now when the server answers; otherwise at the first write. */
	df_detail_t cd = {{0}};
	if (connect_db(be, &cd) == DF_OK) {
		if (create_tables(be, &cd) != DF_OK) {
			log_warn("backend %s: %s", c->name, cd.msg);
		}
	} else {
		log_warn("backend %s: %s (retried at the first write)", c->name, cd.msg);
	}
	return DF_OK;
}
