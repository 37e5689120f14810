/* bucardodb.c: Bucardo's control database as its daemon reads it: databases, syncs, tables, and how it connects. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "bucardodb.h"

/* Column col of row as a new string, NULL for SQL NULL (or no memory: *oom set). */
static char *
cell(const struct pq_api *pq, PGresult *res, int row, int col, int *oom)
{
	char *s;

	if (pq->PQgetisnull(res, row, col))
		return NULL;
	if ((s = strdup(pq->PQgetvalue(res, row, col))) == NULL)
		*oom = 1;
	return s;
}

static int
int_cell(const struct pq_api *pq, PGresult *res, int row, int col)
{
	if (pq->PQgetisnull(res, row, col))
		return -1;
	return atoi(pq->PQgetvalue(res, row, col));
}

/* Run sql; the result, or NULL with e holding the server's first line. */
static PGresult *
query(const struct pq_api *pq, PGconn *c, const char *sql, const char *what, struct err *e)
{
	PGresult *res;
	const char *msg;
	ExecStatusType st;

	res = pq->PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
	st = res != NULL ? pq->PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK)
		return res;
	msg = res != NULL ? pq->PQresultErrorMessage(res) : pq->PQerrorMessage(c);
	if (strncmp(msg, "ERROR:  ", 8) == 0)
		msg += 8;
	err_set(e, NULL, "cannot read %s: %.*s", what, (int)strcspn(msg, "\n"), msg);
	pq->PQclear(res);
	return NULL;
}

static int
read_dbs(struct bucardodb *b, const struct pq_api *pq, PGconn *c, struct err *e)
{
	PGresult *res;
	int i, n, oom = 0;

	res = query(pq, c, "select d.name, j->>'dbtype', j->>'dbhost', j->>'dbport', "
	    "j->>'dbname', j->>'dbuser', j->>'dbpass', j->>'dbservice', j->>'dbconn', "
	    "j->>'dbdsn', j->>'status' from bucardo.db d cross join lateral to_jsonb(d) j "
	    "order by d.name", "bucardo.db", e);
	if (res == NULL)
		return -1;
	n = pq->PQntuples(res);
	if (n > 0 && (b->dbs = calloc((size_t)n, sizeof(*b->dbs))) == NULL)
		oom = 1;
	for (i = 0; i < n && !oom; i++) {
		struct bucardodb_db *d = &b->dbs[b->ndbs++];

		d->name = cell(pq, res, i, 0, &oom);
		d->dbtype = cell(pq, res, i, 1, &oom);
		d->host = cell(pq, res, i, 2, &oom);
		d->port = cell(pq, res, i, 3, &oom);
		d->dbname = cell(pq, res, i, 4, &oom);
		d->user = cell(pq, res, i, 5, &oom);
		d->pass = cell(pq, res, i, 6, &oom);
		d->service = cell(pq, res, i, 7, &oom);
		d->conn = cell(pq, res, i, 8, &oom);
		d->dsn = cell(pq, res, i, 9, &oom);
		d->status = cell(pq, res, i, 10, &oom);
	}
	pq->PQclear(res);
	return oom ? err_set(e, NULL, "reading bucardo.db: out of memory") : 0;
}

static struct bucardodb_sync *
find_sync(struct bucardodb *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nsyncs; i++)
		if (strcmp(b->syncs[i].name, name) == 0)
			return &b->syncs[i];
	return NULL;
}

static int
read_syncs(struct bucardodb *b, const struct pq_api *pq, PGconn *c, struct err *e)
{
	PGresult *res;
	int i, n, oom = 0;

	res = query(pq, c, "select s.name, j->>'status', j->>'dbs', j->>'herd', "
	    "(j->>'rebuild_index')::int from bucardo.sync s cross join lateral to_jsonb(s) j "
	    "order by s.name", "bucardo.sync", e);
	if (res == NULL)
		return -1;
	n = pq->PQntuples(res);
	if (n > 0 && (b->syncs = calloc((size_t)n, sizeof(*b->syncs))) == NULL)
		oom = 1;
	for (i = 0; i < n && !oom; i++) {
		struct bucardodb_sync *s = &b->syncs[b->nsyncs++];

		s->name = cell(pq, res, i, 0, &oom);
		s->status = cell(pq, res, i, 1, &oom);
		s->dbgroup = cell(pq, res, i, 2, &oom);
		s->relgroup = cell(pq, res, i, 3, &oom);
		s->rebuild_index = int_cell(pq, res, i, 4);
		if (s->name == NULL && !oom)
			oom = (s->name = strdup("")) == NULL;
	}
	pq->PQclear(res);
	return oom ? err_set(e, NULL, "reading bucardo.sync: out of memory") : 0;
}

/* Each sync's databases, in the order Bucardo ranks them. */
static int
read_members(struct bucardodb *b, const struct pq_api *pq, PGconn *c, struct err *e)
{
	struct bucardodb_member *v;
	struct bucardodb_sync *s;
	PGresult *res;
	int i, n, oom = 0;

	res = query(pq, c, "select s.name, m.db, m.role from bucardo.sync s "
	    "join bucardo.dbmap m on m.dbgroup = s.dbs "
	    "order by s.name, m.priority desc, m.db", "bucardo.dbmap", e);
	if (res == NULL)
		return -1;
	n = pq->PQntuples(res);
	for (i = 0; i < n && !oom; i++) {
		if ((s = find_sync(b, pq->PQgetvalue(res, i, 0))) == NULL)
			continue;
		if ((v = reallocarray(s->members, s->nmembers + 1, sizeof(*v))) == NULL) {
			oom = 1;
			break;
		}
		s->members = v;
		v = &s->members[s->nmembers++];
		v->db = cell(pq, res, i, 1, &oom);
		v->role = cell(pq, res, i, 2, &oom);
	}
	pq->PQclear(res);
	return oom ? err_set(e, NULL, "reading bucardo.dbmap: out of memory") : 0;
}

static int
read_tables(struct bucardodb *b, const struct pq_api *pq, PGconn *c, struct err *e)
{
	struct bucardodb_table *v;
	struct bucardodb_sync *s;
	PGresult *res;
	int i, n, oom = 0;

	res = query(pq, c, "select s.name, g.schemaname, g.tablename, j->>'reltype', "
	    "(j->>'rebuild_index')::int from bucardo.sync s "
	    "join bucardo.herdmap h on h.herd = s.herd "
	    "join bucardo.goat g on g.id = h.goat cross join lateral to_jsonb(g) j "
	    "order by s.name, h.priority desc, g.schemaname, g.tablename",
	    "bucardo.goat", e);
	if (res == NULL)
		return -1;
	n = pq->PQntuples(res);
	for (i = 0; i < n && !oom; i++) {
		if ((s = find_sync(b, pq->PQgetvalue(res, i, 0))) == NULL)
			continue;
		if ((v = reallocarray(s->tables, s->ntables + 1, sizeof(*v))) == NULL) {
			oom = 1;
			break;
		}
		s->tables = v;
		v = &s->tables[s->ntables++];
		v->schema = cell(pq, res, i, 1, &oom);
		v->name = cell(pq, res, i, 2, &oom);
		v->reltype = cell(pq, res, i, 3, &oom);
		v->rebuild_index = int_cell(pq, res, i, 4);
	}
	pq->PQclear(res);
	return oom ? err_set(e, NULL, "reading bucardo.goat: out of memory") : 0;
}

int
bucardodb_read(struct bucardodb *b, const struct pq_api *pq, PGconn *c, struct err *e)
{
	static const char *const tables[] = { "db", "dbmap", "sync", "goat", "herdmap" };
	PGresult *res;
	size_t i;
	int missing = -1;

	res = query(pq, c, "select exists (select 1 from pg_catalog.pg_namespace "
	    "where nspname = 'bucardo'), to_regclass('bucardo.db') is not null, "
	    "to_regclass('bucardo.dbmap') is not null, to_regclass('bucardo.sync') is not null, "
	    "to_regclass('bucardo.goat') is not null, to_regclass('bucardo.herdmap') is not null",
	    "the bucardo schema", e);
	if (res == NULL)
		return -1;
	if (pq->PQntuples(res) != 1 || strcmp(pq->PQgetvalue(res, 0, 0), "t") != 0) {
		pq->PQclear(res);
		return err_set(e, NULL, "no bucardo schema in this database: it is not "
		    "Bucardo's control database (that is dbname=bucardo unless bucardo "
		    "install was told otherwise)");
	}
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]) && missing == -1; i++)
		if (strcmp(pq->PQgetvalue(res, 0, (int)i + 1), "t") != 0)
			missing = (int)i;
	pq->PQclear(res);
	if (missing != -1)
		return err_set(e, NULL, "the bucardo schema has no table %s: not the "
		    "control database of Bucardo 5, or its install is incomplete",
		    tables[missing]);
	if (read_dbs(b, pq, c, e) == -1 || read_syncs(b, pq, c, e) == -1 ||
	    read_members(b, pq, c, e) == -1 || read_tables(b, pq, c, e) == -1)
		return -1;
	return 0;
}

const struct bucardodb_db *
bucardodb_find(const struct bucardodb *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->ndbs; i++)
		if (b->dbs[i].name != NULL && strcmp(b->dbs[i].name, name) == 0)
			return &b->dbs[i];
	return NULL;
}

static int
filled(const char *s)
{
	return s != NULL && *s != '\0';
}

static int
word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Perl's \s, as DBD::Pg's patterns use it. */
static int
perl_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Does s at p hold KEY followed by optional white space and '='? The length up to '=' included, or 0. */
static size_t
key_at(const char *s, size_t p, const char *key)
{
	size_t n = strlen(key), q;

	if (strncmp(s + p, key, n) != 0)
		return 0;
	for (q = p + n; perl_space(s[q]); q++)
		;
	return s[q] == '=' ? q + 1 - p : 0;
}

/* DBD::Pg's s/\b(?:db|database)\s*=/dbname=/, once. */
static int
dbd_synonym(struct buf *out, const char *dsn)
{
	size_t p, n = 0;

	for (p = 0; dsn[p] != '\0'; p++) {
		if (p > 0 && word_char(dsn[p - 1]))
			continue;
		if (!word_char(dsn[p]))
			continue;
		if ((n = key_at(dsn, p, "db")) > 0 || (n = key_at(dsn, p, "database")) > 0)
			break;
	}
	if (dsn[p] == '\0')
		return buf_puts(out, dsn);
	if (buf_append(out, dsn, p) == -1 || buf_puts(out, "dbname=") == -1)
		return -1;
	return buf_puts(out, dsn + p + n);
}

/* DBD::Pg's m{dbname\s*=\s*["']([^"']+)}: a quoted database name. */
static int
dbname_quoted(const char *s)
{
	const char *p, *q;

	for (p = s; (p = strstr(p, "dbname")) != NULL; p++) {
		for (q = p + 6; perl_space(*q); q++)
			;
		if (*q++ != '=')
			continue;
		while (perl_space(*q))
			q++;
		if ((*q == '"' || *q == '\'') && q[1] != '\0' && q[1] != '"' && q[1] != '\'')
			return 1;
	}
	return 0;
}

/* " key='value'", with \ and ' escaped as dbd_db_login6 does. */
static int
append_quoted(struct buf *b, const char *key, const char *value)
{
	const char *p;

	if (buf_printf(b, " %s='", key) == -1)
		return -1;
	for (p = value; *p != '\0'; p++)
		if (((*p == '\'' || *p == '\\') && buf_puts(b, "\\") == -1) ||
		    buf_append(b, p, 1) == -1)
			return -1;
	return buf_puts(b, "'");
}

char *
bucardodb_conninfo(const struct bucardodb_db *d)
{
	struct buf dsn = BUF_INIT, syn = BUF_INIT, out = BUF_INIT;
	char *p;
	int inquote = 0, rc = 0;

	/* connect_database: dbname and service joined, then port, host, dbconn. */
	if (filled(d->dbname))
		rc |= buf_printf(&dsn, "dbname=%s", d->dbname);
	if (filled(d->service))
		rc |= buf_printf(&dsn, "%sservice=%s", dsn.len > 0 ? ";" : "", d->service);
	if (filled(d->port))
		rc |= buf_printf(&dsn, ";port=%s", d->port);
	if (filled(d->host))
		rc |= buf_printf(&dsn, ";host=%s", d->host);
	if (filled(d->conn))
		rc |= buf_printf(&dsn, ";%s", d->conn);
	rc |= buf_puts(&dsn, "");
	/* DBD::Pg::dr::connect. */
	if (rc == 0)
		rc |= dbd_synonym(&syn, dsn.data);
	rc |= buf_puts(&syn, "");
	if (rc == 0 && dbname_quoted(syn.data))
		for (p = syn.data; *p != '\0'; p++)
			if (*p == '"')
				*p = '\'';
	/* dbd_db_login6. */
	for (p = syn.data; rc == 0 && p != NULL && *p != '\0'; p++) {
		if (*p == ';' && !inquote) {
			rc |= buf_puts(&out, " ");
			continue;
		}
		if (*p == '\'')
			inquote = !inquote;
		rc |= buf_append(&out, p, 1);
	}
	if (rc == 0 && filled(d->user))
		rc |= append_quoted(&out, "user", d->user);
	if (rc == 0 && filled(d->pass))
		rc |= append_quoted(&out, "password", d->pass);
	rc |= buf_puts(&out, "");
	buf_release(&dsn);
	buf_release(&syn);
	if (rc != 0) {
		buf_release(&out);
		return NULL;
	}
	return buf_detach(&out, NULL);
}

int
bucardodb_dsn_broken(const struct bucardodb_db *d)
{
	return filled(d->dsn);
}

static void
db_release(struct bucardodb_db *d)
{
	free(d->status);
	free(d->dsn);
	free(d->conn);
	free(d->service);
	if (d->pass != NULL)
		explicit_bzero(d->pass, strlen(d->pass));
	free(d->pass);
	free(d->user);
	free(d->dbname);
	free(d->port);
	free(d->host);
	free(d->dbtype);
	free(d->name);
}

static void
sync_release(struct bucardodb_sync *s)
{
	size_t i;

	for (i = 0; i < s->ntables; i++) {
		free(s->tables[i].reltype);
		free(s->tables[i].name);
		free(s->tables[i].schema);
	}
	free(s->tables);
	for (i = 0; i < s->nmembers; i++) {
		free(s->members[i].role);
		free(s->members[i].db);
	}
	free(s->members);
	free(s->relgroup);
	free(s->dbgroup);
	free(s->status);
	free(s->name);
}

void
bucardodb_release(struct bucardodb *b)
{
	size_t i;

	for (i = 0; i < b->nsyncs; i++)
		sync_release(&b->syncs[i]);
	free(b->syncs);
	for (i = 0; i < b->ndbs; i++)
		db_release(&b->dbs[i]);
	free(b->dbs);
	b->dbs = NULL;
	b->syncs = NULL;
	b->ndbs = b->nsyncs = 0;
}
