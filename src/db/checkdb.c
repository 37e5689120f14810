/* checkdb.c: asking each database Bucardo will write to whether the module Bucardo runs will work there. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "bucardodb.h"
#include "checkdb.h"
#include "pqlazy.h"
#include "redact.h"

#define AIVEN_EXTRAS		"aiven_extras"
#define CREATE_EXTENSION_FIX	"run `CREATE EXTENSION aiven_extras;` as the service's " \
				"admin user (avnadmin on Aiven)"
#define SRR			"session_replication_role"

/* What echo_conninfo() found out about a CONNINFO. */
enum {
	CONNINFO_PARSED = 1 << 0,	/* libpq understood it */
	CONNINFO_NESTED = 1 << 1,	/* its dbname is a conninfo: it is hidden */
	CONNINFO_SCHEME_CASE = 1 << 2	/* a URI whose scheme libpq does not know */
};

/* One run: what every database's check shares. */
struct checkdb_run {
	const struct checkdb_options	*o;
	const struct pq_api		*pq;
	struct err			 load;	/* why libpq did not load */
	struct redact			 secrets;	/* every password given or stored */
	struct checkdb_report		*r;
};


static char *
xstrdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* The first line of a libpq message, without its trailing newline. */
static char *
first_line(const char *msg)
{
	if (msg == NULL || *msg == '\0')
		return strdup("no message from libpq");
	return strndup(msg, strcspn(msg, "\n"));
}

/* Append s (owned; NULL is out of memory) to a vector of strings. */
static int
push(char ***v, size_t *n, char *s)
{
	char **w;

	if (s == NULL)
		return -1;
	if ((w = reallocarray(*v, *n + 1, sizeof(*w))) == NULL) {
		free(s);
		return -1;
	}
	*v = w;
	w[(*n)++] = s;
	return 0;
}

static void
free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
is_uri(const char *s)
{
	return redact_uri_prefix(s, 1) > 0;
}

/* A database name that is itself a conninfo or URI (libpq does not unfold it twice). */
static int
looks_nested(const char *s)
{
	return strchr(s, '=') != NULL || redact_uri_prefix(s, 0) > 0;
}

/* A value as conninfo writes it, quoted when it has to be, secrets hidden. */
static void
put_value(struct buf *b, const struct redact *secrets, const char *raw)
{
	const char *p;
	char *v;

	if ((v = redact_scrub(secrets, raw)) == NULL)
		return;
	if (*v != '\0' && strpbrk(v, " \t\n\r\f\v'\\") == NULL) {
		buf_puts(b, v);
		free(v);
		return;
	}
	buf_puts(b, "'");
	for (p = v; *p != '\0'; p++) {
		if (*p == '\'' || *p == '\\')
			buf_puts(b, "\\");
		buf_append(b, p, 1);
	}
	buf_puts(b, "'");
	free(v);
}

/*
 * CONNINFO as it may be echoed: parsed by libpq (so URIs and keyword/value
 * strings are both understood) and written back as keyword=value pairs
 * without any password, each value scrubbed of the secrets. What libpq
 * cannot parse, or takes as a plain database name, is shown as given only
 * when it cannot hold a secret, else as "conninfo #N". *how gets
 * CONNINFO_* flags.
 */
static char *
echo_conninfo(const struct pq_api *pq, const char *raw, size_t index,
    const struct redact *secrets, int *how)
{
	static const char *const first[] = { "host", "hostaddr", "port", "dbname", "user" };
	PQconninfoOption *opts, *opt;
	struct buf b = BUF_INIT;
	char *msg = NULL;
	size_t i;
	int seen_first;

	*how = 0;
	if (strchr(raw, '=') == NULL && !is_uri(raw)) {
		/*
		 * libpq takes a string without '=' as a plain database name,
		 * POSTGRESQL://USER:PASSWORD@HOST too: it knows the scheme in
		 * lower case only.
		 */
		*how = CONNINFO_PARSED;
		if (redact_uri_prefix(raw, 0) > 0)
			*how |= CONNINFO_SCHEME_CASE;
		if (*raw == '\0')
			return strdup("(libpq defaults)");
		if (redact_may_hold_secret(raw))
			return str_format("conninfo #%zu", index + 1);
		buf_puts(&b, "dbname=");
		put_value(&b, secrets, raw);
		return buf_detach(&b, NULL);
	}
	if (pq == NULL || (opts = pq->PQconninfoParse(raw, &msg)) == NULL) {
		if (msg != NULL)
			pq->PQfreemem(msg);
		if (redact_uri_prefix(raw, 0) > 0 && !is_uri(raw))
			*how |= CONNINFO_SCHEME_CASE;
		if (!redact_may_hold_secret(raw))
			return redact_scrub(secrets, raw);
		return str_format("conninfo #%zu", index + 1);
	}
	*how = CONNINFO_PARSED;
	for (i = 0; i < sizeof(first) / sizeof(first[0]); i++)
		for (opt = opts; opt->keyword != NULL; opt++) {
			if (strcmp(opt->keyword, first[i]) != 0 || opt->val == NULL)
				continue;
			if (b.len > 0)
				buf_puts(&b, " ");
			buf_printf(&b, "%s=", opt->keyword);
			/* A dbname that is itself a conninfo may hold a password. */
			if (strcmp(opt->keyword, "dbname") == 0 && looks_nested(opt->val)) {
				buf_puts(&b, REDACT_HIDDEN);
				*how |= CONNINFO_NESTED;
			} else
				put_value(&b, secrets, opt->val);
		}
	for (opt = opts; opt->keyword != NULL; opt++) {
		seen_first = 0;
		for (i = 0; i < sizeof(first) / sizeof(first[0]); i++)
			if (strcmp(opt->keyword, first[i]) == 0)
				seen_first = 1;
		if (seen_first || opt->val == NULL ||
		    redact_is_secret_keyword(opt->keyword, strlen(opt->keyword)))
			continue;
		if (b.len > 0)
			buf_puts(&b, " ");
		buf_printf(&b, "%s=", opt->keyword);
		put_value(&b, secrets, opt->val);
	}
	pq->PQconninfoFree(opts);
	if (b.len == 0)
		return strdup("(libpq defaults)");
	return buf_detach(&b, NULL);
}

/*
 * The first setting of a parsed conninfo that libpq would refuse when
 * connecting: its keyword in *keyword, its value in *value (both owned by
 * opts), and why; NULL when there is none.
 */
static const char *
bad_setting(const PQconninfoOption *opts, const char **keyword, const char **value)
{
	const PQconninfoOption *opt;
	const char *why;

	for (opt = opts; opt->keyword != NULL; opt++)
		if (!redact_is_secret_keyword(opt->keyword, strlen(opt->keyword)) &&
		    (why = judge_conninfo_value(opt->keyword, opt->val)) != NULL) {
			*keyword = opt->keyword;
			*value = opt->val;
			return why;
		}
	return NULL;
}

/*
 * The libpq settings that name a file on this host (libpq's parameter key
 * words: the SSL files, passfile, and the key log libpq 18 writes).
 */
static const char *const local_file_keywords[] = {
	"sslcert", "sslkey", "sslrootcert", "sslcrl", "sslcrldir", "passfile", "sslkeylogfile",
	NULL
};

/*
 * The other settings check-db takes from a control database: where to
 * connect and how, as Bucardo's bucardo.db columns and a dbconn of libpq 15
 * settings give it. Not hostaddr (libpq would look root's ~/.pgpass up by
 * host and send the password to hostaddr), not gssdelegation (root's
 * Kerberos ticket), not servicefile (libpq 18: a service file the server
 * names), and no setting a later libpq adds until it is judged here.
 */
static const char *const control_db_keywords[] = {
	"host", "port", "dbname", "user", "password", "service", "connect_timeout",
	"client_encoding", "options", "application_name", "fallback_application_name",
	"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count",
	"tcp_user_timeout", "sslmode", "sslcompression", "sslsni", "ssl_min_protocol_version",
	"ssl_max_protocol_version", "gssencmode", "krbsrvname", "target_session_attrs",
	"load_balance_hosts", "channel_binding", "require_auth", "sslnegotiation",
	NULL
};

static int
keyword_in(const char *const *list, const char *keyword)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, keyword) == 0)
			return 1;
	return 0;
}

/*
 * A control database is a database server, not the admin: check-db, which
 * runs as root, takes from it only the settings of control_db_keywords and
 * files root controls. A file one of its settings names is used only when
 * it is an absolute path to a regular file (sslcrldir: a directory) that
 * passes the trust rule, and sslkey never in OpenSSL's "engine:key" form,
 * for which libpq has OpenSSL load the engine, a shared object, by that
 * name. The first setting that fails, in *keyword and *value (owned by
 * opts), and why (the caller frees); NULL when none does.
 */
static char *
server_setting_problem(struct fsroot *host, const PQconninfoOption *opts, const char **keyword,
    const char **value)
{
	const PQconninfoOption *opt;
	struct trust_report tr = TRUST_REPORT_INIT;
	struct fsloc loc;
	struct err e = ERR_INIT;
	int rc, dir;

	for (opt = opts; opt->keyword != NULL; opt++) {
		if (opt->val == NULL || opt->val[0] == '\0' ||
		    keyword_in(control_db_keywords, opt->keyword))
			continue;
		*keyword = opt->keyword;
		*value = opt->val;
		if (!keyword_in(local_file_keywords, opt->keyword))
			return strdup("is not a setting check-db, running as root, takes from a "
			    "control database");
		if (strcmp(opt->keyword, "sslrootcert") == 0 && strcmp(opt->val, "system") == 0)
			continue;	/* libpq 16's "the system's CA store" */
		if (strcmp(opt->keyword, "sslkey") == 0 && strchr(opt->val, ':') != NULL)
			return strdup("is OpenSSL's engine:key form, which loads a shared object; "
			    "check-db, running as root, does not take it from a control database");
		if (opt->val[0] != '/')
			return strdup("is not an absolute path; check-db takes only files root "
			    "controls from a control database");
		if (host == NULL)
			return strdup("names a file; check-db takes none from a control database here");
		dir = strcmp(opt->keyword, "sslcrldir") == 0;
		rc = fsroot_locate(host, opt->val, FS_FOLLOW | (dir ? FS_OPEN_DIR : FS_OPEN_FILE),
		    &loc, &tr, &e);
		fsloc_release(&loc);
		trust_report_release(&tr);
		if (rc != 0)
			return str_format("names a file check-db will not use as root (%s); check "
			    "this database as the user Bucardo runs as, or with a CONNINFO of "
			    "your own", e.msg);
	}
	return NULL;
}

char *
checkdb_conninfo_problem(const char *conninfo, size_t index)
{
	struct redact secrets = REDACT_INIT;
	struct err e = ERR_INIT;
	const struct pq_api *pq;
	PQconninfoOption *opts = NULL;
	const char *keyword, *value, *why;
	char *msg = NULL, *echo = NULL, *line = NULL, *shown = NULL, *out = NULL;
	int how;

	/* A plain database name, or no libpq: nothing to say before connecting. */
	if ((strchr(conninfo, '=') == NULL && !is_uri(conninfo)) || (pq = pq_load(&e)) == NULL)
		return NULL;
	if (redact_add_conninfo(&secrets, conninfo) == -1)
		return strdup("out of memory");
	echo = echo_conninfo(pq, conninfo, index, &secrets, &how);
	if ((opts = pq->PQconninfoParse(conninfo, &msg)) == NULL) {
		line = first_line(msg);
		if (redact_may_hold_secret(conninfo))
			out = str_format("%s: not a valid conninfo string or URI (libpq's complaint is "
			    "not shown: it could quote the password); write it as psql takes "
			    "it: 'host=HOST port=5432 dbname=DB user=USER' or "
			    "postgres://USER@HOST:5432/DB", echo ? echo : "?");
		else
			out = str_format("%s: not a valid conninfo string or URI: %s", echo ? echo : "?",
			    line ? line : "?");
	} else if ((why = bad_setting(opts, &keyword, &value)) != NULL) {
		shown = redact_scrub(&secrets, value);
		out = str_format("%s: %s '%s' %s", echo ? echo : "?", keyword, shown ? shown : "?", why);
	}
	if (msg != NULL)
		pq->PQfreemem(msg);
	if (opts != NULL)
		pq->PQconninfoFree(opts);
	if (out != NULL)
		redact_scrub_in_place(&secrets, &out);
	free(shown);
	free(line);
	free(echo);
	redact_release(&secrets);
	return out;
}

static PGconn *
connect_db(const struct pq_api *pq, const char *conninfo, unsigned timeout)
{
	const char *keys[4], *vals[4];
	char seconds[16];
	int n = 0;

	/*
	 * Before dbname, which expand_dbname unfolds into CONNINFO's own
	 * settings: a connect_timeout written there still wins, and so does
	 * PGCONNECT_TIMEOUT, which an explicit key would override.
	 */
	if (timeout > 0 && getenv("PGCONNECT_TIMEOUT") == NULL) {
		snprintf(seconds, sizeof(seconds), "%u", timeout);
		keys[n] = "connect_timeout";
		vals[n++] = seconds;
	}
	keys[n] = "fallback_application_name";
	vals[n++] = "bucardo-aiven check-db";
	keys[n] = "dbname";
	vals[n++] = conninfo;
	keys[n] = NULL;
	vals[n] = NULL;
	return pq->PQconnectdbParams(keys, vals, 1);
}

static void
quiet_notices(void *arg, const char *message)
{
	/* A function's NOTICEs would interleave with the report. */
}

/* libpq's words for a setting it refused before it tried to connect at all. */
static int
malformed_message(const char *line)
{
	return line != NULL && (strncmp(line, "invalid ", 8) == 0 ||
	    strncmp(line, "could not match ", 16) == 0);
}

/*
 * Why a connection failed and what to check, from libpq's message. The
 * server's own words ("password authentication failed") are the only
 * reliable sign of a bad password; libpq gives no code for it.
 */
static void
explain_connection(const struct pq_api *pq, PGconn *c, const char *raw, int how,
    char **reason, char **fix)
{
	char *line;

	line = first_line(pq->PQerrorMessage(c));
	if (how & CONNINFO_NESTED) {
		/*
		 * libpq does not unfold a conninfo given as dbname a second
		 * time: the server gets it as a database name and quotes it.
		 */
		free(line);
		line = strdup("(libpq's message is not shown: the dbname given is "
		    "itself a connection string and may hold a password)");
	}
	if (!(how & CONNINFO_PARSED)) {
		if (redact_may_hold_secret(raw))
			*reason = strdup("not a valid conninfo string or URI (libpq's "
			    "complaint is not shown: it could quote the password)");
		else
			*reason = str_format("not a valid conninfo string or URI: %s",
			    line ? line : "");
		*fix = strdup("write it as psql takes it: 'host=HOST port=5432 "
		    "dbname=DB user=USER' or postgres://USER@HOST:5432/DB");
		free(line);
		return;
	}
	if (malformed_message(line)) {
		*reason = str_format("malformed connection settings: %s", line);
		*fix = strdup("correct that setting: libpq refused it before trying to connect");
	} else if (pq->PQconnectionNeedsPassword(c)) {
		*reason = str_format("the server asks for a password and none was given (%s)",
		    line ? line : "");
		*fix = strdup("set PGPASSWORD, or add host:port:dbname:user:password to "
		    "~/.pgpass (mode 0600), or put password= in CONNINFO");
	} else if (line != NULL && strstr(line, "authentication failed") != NULL) {
		*reason = str_format("authentication failed: %s", line);
		*fix = strdup("check the user name and its password (PGPASSWORD, "
		    "~/.pgpass or password= in CONNINFO) and that pg_hba.conf lets "
		    "this user in from this host");
	} else if (line != NULL && strstr(line, "does not exist") != NULL) {
		*reason = str_format("cannot connect: %s", line);
		*fix = strdup("check dbname and user: they must exist on this server");
	} else {
		*reason = str_format("cannot connect: %s", line ? line : "");
		*fix = strdup("check host, port and sslmode, that the server is running, "
		    "and that a firewall (on Aiven: the service's allowed IP addresses) "
		    "lets this host reach it");
	}
	if (how & CONNINFO_SCHEME_CASE) {
		free(*fix);
		*fix = strdup("write the URI's scheme in lower case, postgresql:// or "
		    "postgres://: libpq knows no other spelling and took the whole "
		    "string as a database name");
	}
	free(line);
}

/*
 * Run one statement with up to two text parameters; the result, or NULL
 * with *error set to the server's primary message (what psql would show
 * after "ERROR:").
 */
static PGresult *
run2(const struct pq_api *pq, PGconn *c, const char *sql, const char *p1, const char *p2,
    char **error)
{
	const char *params[2] = { p1, p2 };
	PGresult *res;
	const char *msg;
	ExecStatusType st;
	int n = p2 != NULL ? 2 : p1 != NULL ? 1 : 0;

	res = pq->PQexecParams(c, sql, n, NULL, n > 0 ? params : NULL, NULL, NULL, 0);
	st = res != NULL ? pq->PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return res;
	if (error != NULL) {
		free(*error);
		msg = res != NULL ? pq->PQresultErrorMessage(res) : pq->PQerrorMessage(c);
		if (strncmp(msg, "ERROR:  ", 8) == 0)
			msg += 8;
		*error = first_line(msg);
	}
	pq->PQclear(res);
	return NULL;
}

static PGresult *
run(const struct pq_api *pq, PGconn *c, const char *sql, const char *param, char **error)
{
	return run2(pq, c, sql, param, NULL, error);
}

/* The first value of a one-row result, copied; NULL for SQL NULL. */
static char *
value(const struct pq_api *pq, PGresult *res, int col)
{
	if (res == NULL || pq->PQntuples(res) < 1 || pq->PQgetisnull(res, 0, col))
		return NULL;
	return strdup(pq->PQgetvalue(res, 0, col));
}

static int
bool_value(const struct pq_api *pq, PGresult *res, int col)
{
	if (res == NULL || pq->PQntuples(res) < 1 || pq->PQgetisnull(res, 0, col))
		return JUDGE_UNKNOWN;
	return strcmp(pq->PQgetvalue(res, 0, col), "t") == 0;
}

/*
 * The function's name as SQL: each part folded to lower case, as the
 * unquoted name in the patched module is, then quoted.
 */
static char *
quoted_function(const struct pq_api *pq, PGconn *c, const char *function)
{
	struct buf b = BUF_INIT;
	char part[128], *q;
	const char *p = function;
	size_t n, i;

	while (*p != '\0') {
		n = strcspn(p, ".");
		if (n >= sizeof(part)) {
			buf_release(&b);
			return NULL;
		}
		for (i = 0; i < n; i++)
			part[i] = (char)tolower((unsigned char)p[i]);
		part[n] = '\0';
		if ((q = pq->PQescapeIdentifier(c, part, n)) == NULL) {
			buf_release(&b);
			return NULL;
		}
		if (b.len > 0)
			buf_puts(&b, ".");
		buf_puts(&b, q);
		pq->PQfreemem(q);
		p += n;
		if (*p == '.')
			p++;
	}
	return buf_detach(&b, NULL);
}

/* A role name as GRANT takes it: quoted only when it has to be. */
static char *
role_sql(const char *role)
{
	struct buf b = BUF_INIT;
	const char *p;

	for (p = role; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || *p == '_' ||
		    (p > role && isdigit((unsigned char)*p))))
			break;
	if (*p == '\0' && p > role)
		return strdup(role);
	buf_puts(&b, "\"");
	for (p = role; *p != '\0'; p++) {
		buf_append(&b, p, 1);
		if (*p == '"')
			buf_puts(&b, "\"");
	}
	buf_puts(&b, "\"");
	return buf_detach(&b, NULL);
}

static int
function_in_aiven_extras(const char *function)
{
	size_t n = strlen(AIVEN_EXTRAS);

	return strncasecmp(function, AIVEN_EXTRAS, n) == 0 && function[n] == '.';
}

/*
 * Inside one transaction that is rolled back: SET LOCAL the parameter,
 * which is what a provider's rule (RDS's rds_superuser, a GRANT SET on
 * PostgreSQL 15) lets a role do without superuser, then call the function
 * with each value, reading the setting after each call: the function must
 * set it for the session, not just for its own duration. A savepoint
 * before each step lets the next be tried when one fails.
 */
static void
try_statements(const struct pq_api *pq, PGconn *c, const char *qfunction, struct checkdb_db *d)
{
	static const char *const args[] = { "replica", "origin" };
	struct checkdb_call *call;
	PGresult *res;
	char *sql = NULL, *ignored = NULL, *shown = NULL;
	size_t i;

	if ((res = run(pq, c, "begin", NULL, &d->set_error)) == NULL)
		return;
	pq->PQclear(res);
	pq->PQclear(run(pq, c, "savepoint bucardo_aiven_check", NULL, &ignored));
	if ((res = run(pq, c, "set local " SRR " = replica", NULL, &d->set_error)) != NULL) {
		pq->PQclear(res);
		res = run(pq, c, "show " SRR, NULL, &d->set_error);
		shown = value(pq, res, 0);
		pq->PQclear(res);
		d->facts.can_set = shown != NULL && strcmp(shown, "replica") == 0;
		free(shown);
	} else
		d->facts.can_set = 0;
	pq->PQclear(run(pq, c, "rollback to savepoint bucardo_aiven_check", NULL, &ignored));
	if (qfunction != NULL && (sql = str_format("select %s($1::text)", qfunction)) != NULL)
		for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
			call = &d->calls[d->ncalls++];
			call->arg = args[i];
			d->facts.call_ok[i] = 0;
			if ((res = run(pq, c, sql, args[i], &call->error)) == NULL) {
				pq->PQclear(run(pq, c, "rollback to savepoint "
				    "bucardo_aiven_check", NULL, &ignored));
				continue;
			}
			pq->PQclear(res);
			if ((res = run(pq, c, "show " SRR, NULL, &call->error)) == NULL)
				continue;
			call->value = value(pq, res, 0);
			pq->PQclear(res);
			if (call->value != NULL && strcmp(call->value, args[i]) == 0)
				call->ok = d->facts.call_ok[i] = 1;
			else
				call->error = str_format("the call returned, but " SRR " is then %s, "
				    "not %s", call->value ? call->value : "unset", args[i]);
		}
	pq->PQclear(run(pq, c, "rollback", NULL, &ignored));
	free(ignored);
	free(sql);
}

/*
 * rebuild_index: may the user update pg_class, and has each table Bucardo
 * would switch indexes off for any index here (Bucardo skips one without).
 */
static void
ask_indexes(const struct pq_api *pq, PGconn *c, struct checkdb_db *d)
{
	PGresult *res;
	char *error = NULL;
	size_t i, dot;

	if (d->nindexes == 0)
		return;
	res = run(pq, c, "select has_table_privilege('pg_catalog.pg_class', 'UPDATE')",
	    NULL, &error);
	d->facts.pg_class_update = bool_value(pq, res, 0);
	pq->PQclear(res);
	for (i = 0; i < d->nindexes; i++) {
		char *schema;

		dot = strcspn(d->indexes[i].table, ".");
		if ((schema = strndup(d->indexes[i].table, dot)) == NULL)
			continue;
		res = run2(pq, c, "select c.relhasindex from pg_catalog.pg_class c join "
		    "pg_catalog.pg_namespace n on n.oid = c.relnamespace "
		    "where n.nspname = $1 and c.relname = $2", schema,
		    d->indexes[i].table + dot + (d->indexes[i].table[dot] == '.'), &error);
		d->indexes[i].has_indexes = bool_value(pq, res, 0);
		pq->PQclear(res);
		free(schema);
	}
	free(error);
	d->facts.index_tables = 0;
	for (i = 0; i < d->nindexes; i++)
		if (d->indexes[i].has_indexes != 0)
			d->facts.index_tables++;
}

static void
take_target(const struct pq_api *pq, PGconn *c, struct checkdb_db *d)
{
	const char *db;

	d->host = xstrdup(pq->PQhost(c));
	d->port = xstrdup(pq->PQport(c));
	db = pq->PQdb(c);
	/* A dbname that is a conninfo (nested) may hold a password. */
	d->dbname = db != NULL && looks_nested(db) ? strdup(REDACT_HIDDEN) : xstrdup(db);
	d->user = xstrdup(pq->PQuser(c));
}

/*
 * Connect with conninfo and ask everything the verdict needs. raw is what
 * echo and explanations are about (the CONNINFO given, or the string built
 * from Bucardo's settings).
 */
static void
probe(struct checkdb_run *k, const char *raw, int how, struct checkdb_db *d)
{
	const struct pq_api *pq = k->pq;
	const char *function = k->o->function;
	PGconn *c;
	PGresult *res;
	char *qfunction = NULL, *signature = NULL, *error = NULL;

	if ((c = connect_db(pq, raw, k->o->connect_timeout)) == NULL) {
		d->reason = strdup("cannot connect: out of memory");
		return;
	}
	pq->PQsetNoticeProcessor(c, quiet_notices, NULL);
	if (how & CONNINFO_PARSED)
		take_target(pq, c, d);
	if (pq->PQstatus(c) != CONNECTION_OK) {
		explain_connection(pq, c, raw, how, &d->reason, &d->fix);
		goto done;
	}
	d->connected = d->facts.connected = 1;

	res = run(pq, c, "select current_setting('server_version'), "
	    "current_setting('server_version_num')::int, current_user, "
	    "coalesce((select rolsuper from pg_catalog.pg_roles "
	    "where rolname = current_user), current_setting('is_superuser') = 'on')",
	    NULL, &error);
	if (res == NULL) {
		d->facts.connected = 0;
		d->reason = str_format("cannot ask the server who we are: %s", error);
		d->fix = strdup("check that this is a PostgreSQL server, not a pooler "
		    "that refuses plain queries");
		goto done;
	}
	d->server_version = value(pq, res, 0);
	d->version_num = d->server_version != NULL ? atoi(pq->PQgetvalue(res, 0, 1)) : 0;
	free(d->user);
	d->user = value(pq, res, 2);
	d->superuser = bool_value(pq, res, 3);
	pq->PQclear(res);

	/* GRANT SET ON PARAMETER exists from PostgreSQL 15 on. */
	if (d->version_num >= 150000) {
		res = run(pq, c, "select has_parameter_privilege(current_user, '" SRR "', 'SET')",
		    NULL, &error);
		d->set_granted = bool_value(pq, res, 0);
		pq->PQclear(res);
	}
	if (function_in_aiven_extras(function)) {
		res = run(pq, c, "select extversion from pg_catalog.pg_extension "
		    "where extname = 'aiven_extras'", NULL, &error);
		if (res != NULL) {
			d->extension_checked = 1;
			d->extension_version = value(pq, res, 0);
		}
		pq->PQclear(res);
	}

	/*
	 * The function, not the extension: what the patched module calls is
	 * the function, and it may have been created without the extension.
	 */
	if ((qfunction = quoted_function(pq, c, function)) != NULL &&
	    (signature = str_format("%s(text)", qfunction)) != NULL) {
		res = run(pq, c, "select p::oid, has_function_privilege(p::oid, 'EXECUTE') "
		    "from (select to_regprocedure($1) as p) s", signature, &error);
		if (res == NULL) {
			d->lookup_error = error;
			error = NULL;
		} else {
			d->facts.function_exists = !pq->PQgetisnull(res, 0, 0);
			if (d->facts.function_exists)
				d->facts.function_executable = bool_value(pq, res, 1);
			pq->PQclear(res);
		}
	} else
		d->lookup_error = str_format("cannot quote the function name %s", function);
	try_statements(pq, c, d->facts.function_exists == 1 ? qfunction : NULL, d);
	ask_indexes(pq, c, d);
done:
	free(error);
	free(signature);
	free(qfunction);
	pq->PQfinish(c);
}

/* Why the function fails here, and the fix, whatever the module. */
static void
function_words(const char *function, const struct checkdb_db *d, char **reason, char **fix)
{
	const struct checkdb_call *bad = NULL;
	char *role = NULL, *schema = NULL;
	int i;

	for (i = 0; i < d->ncalls; i++)
		if (!d->calls[i].ok && bad == NULL)
			bad = &d->calls[i];
	if (d->lookup_error != NULL) {
		*reason = str_format("cannot look up %s(text): %s", function, d->lookup_error);
		/* Without USAGE on the schema, even looking the name up fails. */
		if (strstr(d->lookup_error, "permission denied for schema") != NULL &&
		    (schema = strndup(function, strcspn(function, "."))) != NULL &&
		    (role = role_sql(d->user != NULL ? d->user : "USER")) != NULL)
			*fix = str_format("run `GRANT USAGE ON SCHEMA %s TO %s;` as the schema's owner "
			    "or the service's admin user", schema, role);
		else
			*fix = strdup("check that the user may use the function's schema");
	} else if (d->facts.function_exists == 0) {
		*reason = str_format("%s(text) does not exist in this database", function);
		if (!function_in_aiven_extras(function))
			*fix = str_format("create %s(text), SECURITY DEFINER and owned by a role that "
			    "may set " SRR ", calling set_config('" SRR "', $1, false); or "
			    "name the function that exists with --function", function);
		else if (d->extension_version != NULL)
			*fix = strdup("the installed aiven_extras is too old: run `ALTER "
			    "EXTENSION aiven_extras UPDATE;` as the service's admin user "
			    "(avnadmin on Aiven)");
		else
			*fix = strdup(CREATE_EXTENSION_FIX);
	} else if (d->facts.function_executable == 0) {
		role = role_sql(d->user != NULL ? d->user : "USER");
		*reason = str_format("user %s may not EXECUTE %s(text)", d->user ? d->user : "?",
		    function);
		*fix = str_format("run `GRANT EXECUTE ON FUNCTION %s(text) TO %s;` as the function's "
		    "owner or the service's admin user", function, role ? role : "USER");
	} else if (bad != NULL) {
		*reason = str_format("%s('%s') failed: %s", function, bad->arg,
		    bad->error ? bad->error : "unknown error");
		*fix = str_format("check the function (\\sf %s in psql): it must be SECURITY DEFINER, "
		    "owned by a role that may set " SRR ", and call set_config('" SRR "', "
		    "$1, false)", function);
	} else {
		*reason = str_format("%s could not be tried", function);
		*fix = strdup("run again, or try the calls by hand in psql");
	}
	free(role);
	free(schema);
}

/* "a, b and c" of the tables concerned, and the commands that clear them. */
static void
index_words(const struct checkdb_db *d, char **tables, char **fixes)
{
	struct buf t = BUF_INIT, f = BUF_INIT;
	const struct checkdb_index *x;
	size_t i, j, shown = 0;
	int dup;

	for (i = 0; i < d->nindexes; i++) {
		x = &d->indexes[i];
		if (x->has_indexes == 0)
			continue;
		buf_printf(&t, "%s%s (sync %s)", shown++ > 0 ? ", " : "", x->table, x->sync);
		dup = 0;
		for (j = 0; j < i; j++)
			if (d->indexes[j].has_indexes != 0 &&
			    d->indexes[j].from_table == x->from_table &&
			    strcmp(x->from_table ? d->indexes[j].table : d->indexes[j].sync,
			    x->from_table ? x->table : x->sync) == 0)
				dup = 1;
		if (dup)
			continue;
		if (x->from_table)
			buf_printf(&f, "%sbucardo update table %s rebuild_index=0",
			    f.len > 0 ? "; " : "", x->table);
		else
			buf_printf(&f, "%sbucardo update sync %s rebuild_index=0",
			    f.len > 0 ? "; " : "", x->sync);
	}
	buf_puts(&t, "");
	buf_puts(&f, "");
	*tables = buf_detach(&t, NULL);
	*fixes = buf_detach(&f, NULL);
}

/* The words of the verdict: reason and fix when not ready, a note when ready. */
static void
explain(const struct checkdb_options *o, struct checkdb_db *d)
{
	const char *function = o->function;
	const char *user = d->user != NULL ? d->user : "?";
	char *reason = NULL, *fix = NULL, *tables = NULL, *fixes = NULL;

	switch (d->verdict) {
	case JUDGE_READY:
		if (o->module.form == JUDGE_SET)
			d->note = str_format("Bucardo's unpatched module works here: user %s may SET "
			    SRR "%s", user, d->superuser == 1 ? " (a superuser)" : "");
		else if (o->module.form == JUDGE_GUARD && d->facts.function_exists == 0)
			d->note = str_format("the guarded module sets " SRR " itself here: user %s "
			    "may, and %s does not exist", user, function);
		else
			d->note = str_format("Bucardo with the %s module will work",
			    judge_form_name(o->module.form));
		break;
	case JUDGE_READY_UNTOUCHED:
		d->note = strdup("Bucardo never switches " SRR " on this database");
		break;
	case JUDGE_NO_CONNECTION:
		break;	/* reason and fix come from the connection */
	case JUDGE_NEEDS_APPLY:
		d->reason = str_format("Bucardo.pm is pristine: Bucardo runs SET " SRR " here, and "
		    "user %s may not (%s)", user, d->set_error ? d->set_error :
		    "refused");
		if (d->facts.function_exists == 1 && d->facts.call_ok[0] == 1)
			d->fix = strdup("run `bucardo-aiven apply` on the Bucardo host, then "
			    "restart Bucardo: the function works here");
		else {
			function_words(function, d, &reason, &fix);
			d->fix = str_format("run `bucardo-aiven apply` on the Bucardo host, then "
			    "restart Bucardo; and %s, since %s", fix ? fix : "?",
			    reason ? reason : "?");
		}
		break;
	case JUDGE_NEEDS_FUNCTION:
		function_words(function, d, &reason, &fix);
		d->reason = str_format("%s: the %s module calls it on every database it writes to, "
		    "superusers included", reason ? reason : "?",
		    judge_form_name(o->module.form));
		if (d->facts.can_set == 1)
			d->fix = str_format("%s; or, as user %s may SET " SRR " here, run Bucardo "
			    "unpatched (bucardo-aiven revert) if every database allows it",
			    fix ? fix : "?", user);
		else {
			d->fix = fix;
			fix = NULL;
		}
		break;
	case JUDGE_NEEDS_BOTH:
		d->reason = str_format("Bucardo.pm is only partly patched: it runs SET " SRR " in "
		    "one place and calls %s in the other, and user %s may %s", function,
		    user, d->facts.can_set == 1 ? "SET it but the call fails" : "not SET it");
		d->fix = strdup("run `bucardo-aiven apply` on the Bucardo host to finish the "
		    "patch, then restart Bucardo");
		break;
	case JUDGE_REBUILD_INDEX:
		index_words(d, &tables, &fixes);
		d->reason = str_format("rebuild_index is set for %s: Bucardo then runs UPDATE "
		    "pg_class SET relhasindex here, which user %s may not do (it takes a "
		    "superuser, whatever the patch)", tables ? tables : "?", user);
		d->fix = str_format("clear it: %s", fixes ? fixes : "?");
		break;
	}
	free(tables);
	free(fixes);
	free(reason);
	free(fix);
}

static void
judge(const struct checkdb_options *o, struct checkdb_db *d)
{
	d->verdict = judge_database(&o->module, &d->facts);
	d->ready = judge_ready(d->verdict);
	d->works_with = judge_works_with(o->module.layout, &d->facts);
	explain(o, d);
}

/* Everything from outside, scrubbed of every password given or stored. */
static void
scrub_db(const struct redact *s, struct checkdb_db *d)
{
	char **fields[] = { &d->conninfo, &d->host, &d->port, &d->dbname, &d->user,
	    &d->server_version, &d->set_error, &d->extension_version, &d->lookup_error,
	    &d->reason, &d->fix, &d->note };
	size_t i;
	int j;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		redact_scrub_in_place(s, fields[i]);
	for (j = 0; j < d->ncalls; j++) {
		redact_scrub_in_place(s, &d->calls[j].value);
		redact_scrub_in_place(s, &d->calls[j].error);
	}
}

static void
scrub_report(const struct redact *s, struct checkdb_report *r)
{
	struct checkdb_control *k = r->control;
	size_t i, j;

	for (i = 0; i < r->ndbs; i++)
		scrub_db(s, &r->dbs[i]);
	for (i = 0; i < r->nwarnings; i++)
		redact_scrub_in_place(s, &r->warnings[i]);
	redact_scrub_in_place(s, &r->error);
	if (k == NULL)
		return;
	redact_scrub_in_place(s, &k->conninfo);
	redact_scrub_in_place(s, &k->host);
	redact_scrub_in_place(s, &k->port);
	redact_scrub_in_place(s, &k->dbname);
	redact_scrub_in_place(s, &k->user);
	redact_scrub_in_place(s, &k->error);
	for (i = 0; i < k->nsyncs; i++)
		for (j = 0; j < k->syncs[i].nmembers; j++)
			redact_scrub_in_place(s, &k->syncs[i].members[j].skipped);
}

static struct checkdb_db *
add_db(struct checkdb_report *r)
{
	struct checkdb_db *v, *d;
	static const struct judge_facts facts = JUDGE_FACTS_INIT;

	if ((v = reallocarray(r->dbs, r->ndbs + 1, sizeof(*v))) == NULL)
		return NULL;
	r->dbs = v;
	d = &r->dbs[r->ndbs++];
	memset(d, 0, sizeof(*d));
	d->facts = facts;
	d->superuser = d->set_granted = JUDGE_UNKNOWN;
	return d;
}

/* A CONNINFO given on the command line: a database Bucardo writes to. */
static int
check_conninfo(struct checkdb_run *k, size_t index)
{
	const char *raw = k->o->conninfos[index];
	struct checkdb_db *d;
	int how;

	if ((d = add_db(k->r)) == NULL)
		return -1;
	d->conninfo = echo_conninfo(k->pq, raw, index, &k->secrets, &how);
	if (k->pq == NULL) {
		d->reason = strdup("not checked: libpq is not loaded");
		d->fix = strdup("install libpq, then run check-db again");
	} else
		probe(k, raw, how, d);
	judge(k->o, d);
	return 0;
}

/* The report's entry for Bucardo's database name, made on first use. */
static struct checkdb_db *
bucardo_entry(struct checkdb_report *r, size_t first, const char *name)
{
	struct checkdb_db *d;
	size_t i;

	for (i = first; i < r->ndbs; i++)
		if (strcmp(r->dbs[i].name, name) == 0)
			return &r->dbs[i];
	if ((d = add_db(r)) == NULL || (d->name = strdup(name)) == NULL)
		return NULL;
	d->facts.statement_runs = 0;
	return d;
}

static int
add_index(struct checkdb_db *d, const struct bucardodb_table *t, const char *sync,
    int from_table)
{
	struct checkdb_index *v;

	if ((v = reallocarray(d->indexes, d->nindexes + 1, sizeof(*v))) == NULL)
		return -1;
	d->indexes = v;
	v = &d->indexes[d->nindexes++];
	memset(v, 0, sizeof(*v));
	v->has_indexes = JUDGE_UNKNOWN;
	v->from_table = from_table;
	v->table = str_format("%s.%s", t->schema ? t->schema : "?", t->name ? t->name : "?");
	v->sync = strdup(sync);
	return v->table != NULL && v->sync != NULL ? 0 : -1;
}

/* Why Bucardo leaves a database of a sync alone, or NULL when it uses it. */
static char *
left_out(const struct bucardodb_db *db, const char *name)
{
	if (db == NULL)
		return str_format("%s is not in bucardo.db", name);
	if (db->status != NULL && strcmp(db->status, "inactive") == 0)
		return strdup("inactive: Bucardo skips it");
	if (db->dbtype != NULL && strcmp(db->dbtype, "postgres") != 0)
		return str_format("a %s database: session_replication_role is PostgreSQL's",
		    db->dbtype);
	return NULL;
}

/*
 * One warning per table with its own rebuild_index, one per sync whose
 * setting applies, each with the command that clears it and the databases
 * it concerns.
 */
static int
warn_rebuild_index(struct checkdb_report *r, size_t first, const struct bucardodb_sync *s)
{
	struct buf dbs = BUF_INIT;
	char *full;
	size_t i, j, t;
	int rc = 0, sync_level = 0;

	for (t = 0; t < s->ntables; t++) {
		const struct bucardodb_table *x = &s->tables[t];
		int eff = x->rebuild_index >= 0 ? x->rebuild_index : s->rebuild_index;

		if (x->reltype != NULL && strcmp(x->reltype, "table") != 0)
			continue;
		if (eff == 0)
			continue;
		if (x->rebuild_index < 0) {
			sync_level = 1;
			continue;
		}
		if ((full = str_format("%s.%s", x->schema ? x->schema : "?",
		    x->name ? x->name : "?")) == NULL) {
			rc = -1;
			break;
		}
		buf_reset(&dbs);
		for (i = first; i < r->ndbs; i++)
			for (j = 0; j < r->dbs[i].nindexes; j++)
				if (r->dbs[i].indexes[j].from_table &&
				    strcmp(r->dbs[i].indexes[j].sync, s->name) == 0 &&
				    strcmp(r->dbs[i].indexes[j].table, full) == 0)
					buf_printf(&dbs, "%s%s", dbs.len ? ", " : "", r->dbs[i].name);
		rc |= push(&r->warnings, &r->nwarnings, str_format("table %s has rebuild_index set "
		    "(its own setting, which wins over sync %s's): Bucardo switches its "
		    "indexes off with UPDATE pg_class SET relhasindex on %s, which takes a "
		    "superuser whatever the patch; clear it: bucardo update table %s "
		    "rebuild_index=0", full, s->name,
		    dbs.len ? dbs.data : "the databases it writes to", full));
		free(full);
	}
	if (sync_level)
		rc |= push(&r->warnings, &r->nwarnings, str_format("sync %s has rebuild_index set: "
		    "for its tables without a setting of their own, Bucardo switches indexes "
		    "off with UPDATE pg_class SET relhasindex on the databases it writes to, "
		    "which takes a superuser whatever the patch; clear it: bucardo update "
		    "sync %s rebuild_index=0", s->name, s->name));
	buf_release(&dbs);
	return rc;
}

/*
 * Where each active sync writes, from its databases' roles: the report
 * gets one entry per database Bucardo writes to, with its roles, whether
 * the statement runs there, and the tables whose indexes it switches off.
 */
static int
plan(struct checkdb_run *k, const struct bucardodb *b, size_t first)
{
	struct checkdb_control *c = k->r->control;
	struct checkdb_db *d;
	enum judge_role *roles = NULL;
	int *runs = NULL, *copies = NULL;
	size_t i, j, t, n;
	int rc = -1;

	if (b->nsyncs > 0 && (c->syncs = calloc(b->nsyncs, sizeof(*c->syncs))) == NULL)
		return -1;
	for (i = 0; i < b->nsyncs; i++) {
		const struct bucardodb_sync *s = &b->syncs[i];
		struct checkdb_sync *cs = &c->syncs[c->nsyncs++];

		cs->name = strdup(s->name);
		cs->status = xstrdup(s->status);
		cs->dbgroup = xstrdup(s->dbgroup);
		cs->relgroup = xstrdup(s->relgroup);
		cs->rebuild_index = s->rebuild_index;
		cs->active = s->status != NULL && strcmp(s->status, "active") == 0;
		if (cs->name == NULL)
			goto done;
		if (s->nmembers > 0 &&
		    (cs->members = calloc(s->nmembers, sizeof(*cs->members))) == NULL)
			goto done;
		free(roles);
		free(runs);
		free(copies);
		roles = calloc(s->nmembers + 1, sizeof(*roles));
		runs = calloc(s->nmembers + 1, sizeof(*runs));
		copies = calloc(s->nmembers + 1, sizeof(*copies));
		if (roles == NULL || runs == NULL || copies == NULL)
			goto done;
		/* Only the databases Bucardo uses shape the sync. */
		for (j = n = 0; j < s->nmembers; j++) {
			struct checkdb_member *m = &cs->members[cs->nmembers++];

			m->db = xstrdup(s->members[j].db);
			m->role = xstrdup(s->members[j].role);
			m->skipped = left_out(bucardodb_find(b, s->members[j].db),
			    s->members[j].db);
			if (m->skipped == NULL)
				roles[n++] = judge_role_from_name(s->members[j].role);
		}
		if (!cs->active)
			continue;
		judge_sync_plan(k->o->module.layout, roles, n, runs, copies);
		for (j = n = 0; j < cs->nmembers; j++) {
			struct checkdb_member *m = &cs->members[j];

			if (m->skipped != NULL || m->db == NULL)
				continue;
			if (!runs[n] && !copies[n]) {
				m->skipped = strdup("only read from: Bucardo does not write to it "
				    "in this sync");
				n++;
				continue;
			}
			if ((d = bucardo_entry(k->r, first, m->db)) == NULL ||
			    push(&d->roles, &d->nroles, str_format("%s (%s)", s->name,
			    m->role ? m->role : "target")) == -1)
				goto done;
			m->checked = 1;
			if (runs[n])
				d->facts.statement_runs = 1;
			for (t = 0; copies[n] && t < s->ntables; t++) {
				const struct bucardodb_table *x = &s->tables[t];
				int eff = x->rebuild_index >= 0 ? x->rebuild_index :
				    s->rebuild_index;

				if (eff != 0 && (x->reltype == NULL ||
				    strcmp(x->reltype, "table") == 0) &&
				    add_index(d, x, s->name, x->rebuild_index >= 0) == -1)
					goto done;
			}
			n++;
		}
	}
	rc = 0;
done:
	free(roles);
	free(runs);
	free(copies);
	return rc;
}

/* Where libpq's name for a setting lives in bucardo.db, for `bucardo update db`. */
static const char *
bucardo_field(const char *keyword)
{
	static const char *const map[][2] = { { "port", "dbport" }, { "host", "dbhost" },
	    { "dbname", "dbname" }, { "user", "dbuser" }, { "service", "dbservice" } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(keyword, map[i][0]) == 0)
			return map[i][1];
	return "dbconn";
}

/* One of Bucardo's databases, connected to as Bucardo's DBD::Pg connects. */
static int
check_bucardo_db(struct checkdb_run *k, const struct bucardodb_db *db, struct checkdb_db *d)
{
	const struct pq_api *pq = k->pq;
	PQconninfoOption *opts;
	const char *keyword, *bad, *why;
	char *conninfo, *msg = NULL, *file_why;
	int how;

	if (bucardodb_dsn_broken(db)) {
		d->facts.unusable = 1;
		d->reason = str_format("database %s has a DSN stored (bucardo.db.dbdsn): Bucardo "
		    "5.5.0 and 5.6.0 connect to it as \"TEST\" followed by the DSN, which no "
		    "DBI driver takes, so Bucardo cannot connect to it at all", d->name);
		d->fix = str_format("store the connection as separate settings instead: bucardo "
		    "update db %s dsn='' dbhost=HOST dbport=PORT dbname=DB dbuser=USER",
		    d->name);
		return 0;
	}
	if ((conninfo = bucardodb_conninfo(db)) == NULL ||
	    redact_add_conninfo(&k->secrets, conninfo) == -1) {
		free(conninfo);
		return -1;
	}
	d->conninfo = echo_conninfo(pq, conninfo, 0, &k->secrets, &how);
	if ((opts = pq->PQconninfoParse(conninfo, &msg)) == NULL) {
		d->facts.unusable = 1;
		d->reason = str_format("Bucardo's settings for database %s make a connection string "
		    "libpq cannot parse: %s", d->name, msg ? msg : "?");
		if (d->reason != NULL)
			d->reason[strcspn(d->reason, "\n")] = '\0';
		d->fix = str_format("correct them: bucardo update db %s dbhost=... dbport=... "
		    "dbname=... (no spaces or quotes in the values)", d->name);
	} else if ((why = bad_setting(opts, &keyword, &bad)) != NULL) {
		d->facts.unusable = 1;
		d->reason = str_format("Bucardo's settings for database %s are malformed: %s '%s' %s",
		    d->name, keyword, bad, why);
		d->fix = str_format("correct it: bucardo update db %s %s=...", d->name,
		    bucardo_field(keyword));
	} else if ((file_why = server_setting_problem(k->o->host, opts, &keyword, &bad)) != NULL) {
		d->facts.unusable = 1;
		d->reason = str_format("Bucardo's settings for database %s: %s '%s' %s", d->name,
		    keyword, bad, file_why);
		d->fix = str_format("check it with check-db CONNINFO, run as the user Bucardo "
		    "runs as, or give that file to root: bucardo update db %s %s=...", d->name,
		    bucardo_field(keyword));
		free(file_why);
	}
	if (msg != NULL)
		pq->PQfreemem(msg);
	if (opts != NULL)
		pq->PQconninfoFree(opts);
	if (!d->facts.unusable)
		probe(k, conninfo, how, d);
	explicit_bzero(conninfo, strlen(conninfo));
	free(conninfo);
	return 0;
}

/*
 * Bucardo's control database: its syncs, then every database a sync
 * writes to, as Bucardo connects to it.
 */
static int
check_control(struct checkdb_run *k)
{
	const struct pq_api *pq = k->pq;
	struct checkdb_control *c = k->r->control;
	struct bucardodb b = BUCARDODB_INIT;
	struct err e = ERR_INIT;
	PGconn *conn = NULL;
	char *reason = NULL, *fix = NULL;
	size_t i, first = k->r->ndbs;
	int how, rc = -1;

	c->conninfo = echo_conninfo(pq, k->o->bucardo_db, (size_t)k->o->nconninfos,
	    &k->secrets, &how);
	if (pq == NULL) {
		c->error = strdup(k->load.msg);
		return 0;
	}
	if ((conn = connect_db(pq, k->o->bucardo_db, k->o->connect_timeout)) == NULL) {
		c->error = strdup("cannot connect: out of memory");
		return 0;
	}
	pq->PQsetNoticeProcessor(conn, quiet_notices, NULL);
	if (how & CONNINFO_PARSED) {
		c->host = xstrdup(pq->PQhost(conn));
		c->port = xstrdup(pq->PQport(conn));
		c->dbname = xstrdup(pq->PQdb(conn));
		c->user = xstrdup(pq->PQuser(conn));
	}
	if (pq->PQstatus(conn) != CONNECTION_OK) {
		explain_connection(pq, conn, k->o->bucardo_db, how, &reason, &fix);
		c->error = str_format("%s; %s", reason ? reason : "?", fix ? fix : "?");
		rc = 0;
		goto done;
	}
	c->connected = 1;
	if (bucardodb_read(&b, pq, conn, &e) == -1) {
		c->error = strdup(e.msg);
		rc = 0;
		goto done;
	}
	pq->PQfinish(conn);
	conn = NULL;
	/* Every password Bucardo stores is hidden wherever it might appear. */
	for (i = 0; i < b.ndbs; i++)
		if (b.dbs[i].pass != NULL && *b.dbs[i].pass != '\0' &&
		    redact_add_secret(&k->secrets, b.dbs[i].pass, strlen(b.dbs[i].pass)) == -1)
			goto done;
	if (plan(k, &b, first) == -1)
		goto done;
	for (i = first; i < k->r->ndbs; i++) {
		struct checkdb_db *d = &k->r->dbs[i];

		if (check_bucardo_db(k, bucardodb_find(&b, d->name), d) == -1)
			goto done;
		judge(k->o, d);
	}
	for (i = 0; i < b.nsyncs; i++)
		if (b.syncs[i].status != NULL && strcmp(b.syncs[i].status, "active") == 0 &&
		    warn_rebuild_index(k->r, first, &b.syncs[i]) == -1)
			goto done;
	rc = 0;
done:
	if (conn != NULL)
		pq->PQfinish(conn);
	free(reason);
	free(fix);
	bucardodb_release(&b);
	return rc;
}

int
checkdb_run(struct checkdb_report *r, const struct checkdb_options *o)
{
	struct checkdb_run k;
	size_t i;
	int rc = -1;

	memset(&k, 0, sizeof(k));
	k.o = o;
	k.r = r;
	for (i = 0; i < (size_t)o->nconninfos; i++)
		if (redact_add_conninfo(&k.secrets, o->conninfos[i]) == -1)
			goto done;
	if (o->bucardo_db != NULL && redact_add_conninfo(&k.secrets, o->bucardo_db) == -1)
		goto done;
	/* Failing to load is said once; the databases still get a verdict each. */
	if ((k.pq = pq_load(&k.load)) == NULL && (r->error = strdup(k.load.msg)) == NULL)
		goto done;
	for (i = 0; i < (size_t)o->nconninfos; i++)
		if (check_conninfo(&k, i) == -1)
			goto done;
	if (o->bucardo_db != NULL) {
		if ((r->control = calloc(1, sizeof(*r->control))) == NULL ||
		    check_control(&k) == -1)
			goto done;
		if (r->control->error != NULL && r->error == NULL &&
		    (r->error = str_format("Bucardo's control database %s: %s",
		    r->control->conninfo ? r->control->conninfo : "?",
		    r->control->error)) == NULL)
			goto done;
	}
	r->ready = r->error == NULL;
	r->works_with = (1u << JUDGE_SET) | (1u << JUDGE_CALL) | (1u << JUDGE_GUARD);
	for (i = 0; i < r->ndbs; i++) {
		r->works_with &= r->dbs[i].works_with;
		if (!r->dbs[i].ready)
			r->ready = 0;
	}
	if (r->ndbs == 0)
		r->works_with = 0;
	rc = 0;
done:
	if (rc == -1 && r->error == NULL)
		r->error = strdup("out of memory");
	if (rc == -1)
		r->ready = 0;
	scrub_report(&k.secrets, r);
	redact_release(&k.secrets);
	return rc;
}

static void
db_release(struct checkdb_db *d)
{
	size_t i;
	int j;

	for (i = 0; i < d->nindexes; i++) {
		free(d->indexes[i].table);
		free(d->indexes[i].sync);
	}
	free(d->indexes);
	for (j = 0; j < d->ncalls; j++) {
		free(d->calls[j].value);
		free(d->calls[j].error);
	}
	free(d->note);
	free(d->fix);
	free(d->reason);
	free(d->lookup_error);
	free(d->extension_version);
	free(d->set_error);
	free(d->server_version);
	free_strings(d->roles, d->nroles);
	free(d->user);
	free(d->dbname);
	free(d->port);
	free(d->host);
	free(d->conninfo);
	free(d->name);
}

static void
control_release(struct checkdb_control *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsyncs; i++) {
		struct checkdb_sync *s = &c->syncs[i];

		for (j = 0; j < s->nmembers; j++) {
			free(s->members[j].skipped);
			free(s->members[j].role);
			free(s->members[j].db);
		}
		free(s->members);
		free(s->relgroup);
		free(s->dbgroup);
		free(s->status);
		free(s->name);
	}
	free(c->syncs);
	free(c->error);
	free(c->user);
	free(c->dbname);
	free(c->port);
	free(c->host);
	free(c->conninfo);
	free(c);
}

void
checkdb_report_release(struct checkdb_report *r)
{
	size_t i;

	free(r->error);
	free_strings(r->warnings, r->nwarnings);
	control_release(r->control);
	for (i = 0; i < r->ndbs; i++)
		db_release(&r->dbs[i]);
	free(r->dbs);
	memset(r, 0, sizeof(*r));
}
