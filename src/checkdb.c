/* checkdb.c: connecting as Bucardo will and trying the function the patched module calls. */
#include <ctype.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkdb.h"
#include "errmsg.h"
#include "esc.h"
#include "pqlazy.h"
#include "redact.h"
#include "report.h"

#define PROGNAME		"bucardo-aiven"
#define AIVEN_EXTRAS		"aiven_extras"
#define CREATE_EXTENSION_FIX	"run `CREATE EXTENSION aiven_extras;` as the service's " \
				"admin user (avnadmin on Aiven)"

/* Tri-state answers: a question not asked (or not answerable) prints as null. */
enum { UNKNOWN = -1 };

/* What echo_conninfo() found out about a CONNINFO. */
enum {
	CONNINFO_PARSED = 1 << 0,	/* libpq understood it */
	CONNINFO_NESTED = 1 << 1,	/* its dbname is a conninfo: it is hidden */
	CONNINFO_SCHEME_CASE = 1 << 2	/* a URI whose scheme libpq does not know */
};

struct call_result {
	const char	*arg;		/* static: "replica" or "origin" */
	int		 ok;
	char		*value;		/* session_replication_role after the call */
	char		*error;
};

struct db_result {
	char		*conninfo;	/* as given, password removed */
	char		*host;
	char		*port;
	char		*dbname;
	char		*user;		/* current_user once connected, else the one tried */
	int		 connected;
	char		*server_version;
	int		 version_num;
	int		 superuser;
	int		 set_granted;	/* UNKNOWN before PostgreSQL 15 */
	int		 extension_checked;
	char		*extension_version;	/* NULL: not installed */
	int		 function_exists;
	int		 function_executable;
	char		*lookup_error;	/* looking the function up failed */
	struct call_result calls[2];
	int		 ncalls;
	int		 ready;
	char		*reason;	/* why not ready */
	char		*fix;		/* what to do about it */
	char		*note;		/* why ready, when it is not the function */
};

struct control_result {
	char		*conninfo;	/* password removed */
	char		*host;
	char		*port;
	char		*dbname;
	char		*user;
	int		 connected;
	int		 has_schema;
	char		**syncs;	/* syncs with rebuild_index set */
	size_t		 nsyncs;
	char		*error;
};

struct check_report {
	struct db_result	*dbs;
	size_t			 ndbs;
	struct control_result	*control;	/* NULL without --bucardo-db */
	char			**warnings;
	size_t			 nwarnings;
	int			 ready;
};

#define CHECK_REPORT_INIT { NULL, 0, NULL, NULL, 0, 0 }

static char *
xstrdup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) == -1)
		s = NULL;
	va_end(ap);
	return s;
}

/* The first line of a libpq message, without its trailing newline. */
static char *
first_line(const char *msg)
{
	if (msg == NULL || *msg == '\0')
		return strdup("no message from libpq");
	return strndup(msg, strcspn(msg, "\n"));
}

static int
add_warning(struct check_report *r, char *w)
{
	char **v;

	if (w == NULL)
		return -1;
	if ((v = reallocarray(r->warnings, r->nwarnings + 1, sizeof(*v))) == NULL) {
		free(w);
		return -1;
	}
	r->warnings = v;
	r->warnings[r->nwarnings++] = w;
	return 0;
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
			return fmt("conninfo #%zu", index + 1);
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
		return fmt("conninfo #%zu", index + 1);
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
			*reason = fmt("not a valid conninfo string or URI: %s",
			    line ? line : "");
		*fix = strdup("write it as psql takes it: 'host=HOST port=5432 "
		    "dbname=DB user=USER' or postgres://USER@HOST:5432/DB");
		free(line);
		return;
	}
	if (pq->PQconnectionNeedsPassword(c)) {
		*reason = fmt("the server asks for a password and none was given (%s)",
		    line ? line : "");
		*fix = strdup("set PGPASSWORD, or add host:port:dbname:user:password to "
		    "~/.pgpass (mode 0600), or put password= in CONNINFO");
	} else if (line != NULL && strstr(line, "authentication failed") != NULL) {
		*reason = fmt("authentication failed: %s", line);
		*fix = strdup("check the user name and its password (PGPASSWORD, "
		    "~/.pgpass or password= in CONNINFO) and that pg_hba.conf lets "
		    "this user in from this host");
	} else if (line != NULL && strstr(line, "does not exist") != NULL) {
		*reason = fmt("cannot connect: %s", line);
		*fix = strdup("check dbname and user: they must exist on this server");
	} else {
		*reason = fmt("cannot connect: %s", line ? line : "");
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
 * Run one statement; the result, or NULL with *error set to the server's
 * primary message (what psql would show after "ERROR:").
 */
static PGresult *
run(const struct pq_api *pq, PGconn *c, const char *sql, const char *param, char **error)
{
	PGresult *res;
	const char *msg;
	ExecStatusType st;

	res = pq->PQexecParams(c, sql, param != NULL ? 1 : 0, NULL,
	    param != NULL ? &param : NULL, NULL, NULL, 0);
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
		return UNKNOWN;
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
role_sql(const struct pq_api *pq, PGconn *c, const char *role)
{
	const char *p;
	char *q, *s;

	for (p = role; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || *p == '_' ||
		    (p > role && isdigit((unsigned char)*p))))
			break;
	if (*p == '\0' && p > role)
		return strdup(role);
	if ((q = pq->PQescapeIdentifier(c, role, strlen(role))) == NULL)
		return strdup(role);
	s = strdup(q);
	pq->PQfreemem(q);
	return s;
}

static int
function_in_aiven_extras(const char *function)
{
	size_t n = strlen(AIVEN_EXTRAS);

	return strncasecmp(function, AIVEN_EXTRAS, n) == 0 && function[n] == '.';
}

/*
 * Call the function with each value inside one transaction that is rolled
 * back, reading the setting after each call: the function must set it for
 * the session, not just for its own duration. A savepoint per call lets
 * the second be tried when the first fails.
 */
static void
try_calls(const struct pq_api *pq, PGconn *c, const char *qfunction, struct db_result *d)
{
	static const char *const args[] = { "replica", "origin" };
	struct call_result *call;
	PGresult *res;
	char *sql = NULL, *ignored = NULL;
	size_t i;

	if ((sql = fmt("select %s($1::text)", qfunction)) == NULL)
		return;
	if ((res = run(pq, c, "begin", NULL, &d->calls[0].error)) == NULL) {
		d->calls[0].arg = args[0];
		d->ncalls = 1;
		free(sql);
		return;
	}
	pq->PQclear(res);
	for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
		call = &d->calls[d->ncalls++];
		call->arg = args[i];
		pq->PQclear(run(pq, c, "savepoint bucardo_aiven_call", NULL, &call->error));
		if ((res = run(pq, c, sql, args[i], &call->error)) == NULL) {
			pq->PQclear(run(pq, c, "rollback to savepoint bucardo_aiven_call",
			    NULL, &ignored));
			continue;
		}
		pq->PQclear(res);
		if ((res = run(pq, c, "show session_replication_role", NULL,
		    &call->error)) == NULL)
			continue;
		call->value = value(pq, res, 0);
		pq->PQclear(res);
		if (call->value != NULL && strcmp(call->value, args[i]) == 0)
			call->ok = 1;
		else
			call->error = fmt("the call returned, but session_replication_role "
			    "is then %s, not %s", call->value ? call->value : "unset",
			    args[i]);
	}
	pq->PQclear(run(pq, c, "rollback", NULL, &ignored));
	free(ignored);
	free(sql);
}

/* Decide, once everything that could be asked has been. */
static void
verdict(const struct pq_api *pq, PGconn *c, const char *function, struct db_result *d)
{
	const struct call_result *bad = NULL;
	char *role = NULL, *schema = NULL;
	int i, calls_ok;

	calls_ok = d->ncalls == 2;
	for (i = 0; i < d->ncalls; i++)
		if (!d->calls[i].ok) {
			calls_ok = 0;
			if (bad == NULL)
				bad = &d->calls[i];
		}
	if (d->superuser == 1) {
		d->ready = 1;
		d->note = strdup("the user is a superuser: Bucardo works here with or "
		    "without the patch (the patch is not needed)");
		return;
	}
	if (d->set_granted == 1) {
		d->ready = 1;
		d->note = strdup("SET on session_replication_role is granted to the "
		    "user: unpatched Bucardo works here too, so the patch is unnecessary");
		return;
	}
	if (calls_ok) {
		d->ready = 1;
		return;
	}
	if (d->lookup_error != NULL) {
		d->reason = fmt("cannot look up %s(text): %s", function, d->lookup_error);
		/* Without USAGE on the schema, even looking the name up fails. */
		if (strstr(d->lookup_error, "permission denied for schema") != NULL &&
		    (schema = strndup(function, strcspn(function, "."))) != NULL &&
		    (role = role_sql(pq, c, d->user != NULL ? d->user : "USER")) != NULL)
			d->fix = fmt("run `GRANT USAGE ON SCHEMA %s TO %s;` as the "
			    "schema's owner or the service's admin user", schema, role);
		else
			d->fix = strdup("check that the user may use the function's schema");
		free(role);
		free(schema);
	} else if (d->function_exists == 0) {
		d->reason = fmt("%s(text) does not exist in this database", function);
		if (!function_in_aiven_extras(function))
			d->fix = fmt("create %s(text), SECURITY DEFINER and owned by a "
			    "role that may set session_replication_role, calling "
			    "set_config('session_replication_role', $1, false); or name "
			    "the function that exists with --function", function);
		else if (d->extension_version != NULL)
			d->fix = strdup("the installed aiven_extras is too old: run "
			    "`ALTER EXTENSION aiven_extras UPDATE;` as the service's "
			    "admin user (avnadmin on Aiven)");
		else
			d->fix = strdup(CREATE_EXTENSION_FIX);
	} else if (d->function_executable == 0) {
		role = role_sql(pq, c, d->user != NULL ? d->user : "USER");
		d->reason = fmt("user %s may not EXECUTE %s(text)", d->user, function);
		d->fix = fmt("run `GRANT EXECUTE ON FUNCTION %s(text) TO %s;` as the "
		    "function's owner or the service's admin user", function,
		    role ? role : "USER");
		free(role);
	} else if (bad != NULL) {
		d->reason = fmt("%s('%s') failed: %s", function, bad->arg,
		    bad->error ? bad->error : "unknown error");
		d->fix = fmt("check the function (\\sf %s in psql): it must be SECURITY "
		    "DEFINER, owned by a role that may set session_replication_role, "
		    "and call set_config('session_replication_role', $1, false)",
		    function);
	} else {
		d->reason = fmt("%s could not be tried", function);
		d->fix = strdup("run again with -v, or try the calls by hand in psql");
	}
}

/*
 * When the user does not need the function, the patched module still
 * calls it: warn if it would then fail here.
 */
static void
warn_unneeded(struct check_report *r, const char *function, const struct db_result *d)
{
	if (!d->ready || d->note == NULL)
		return;
	if (d->function_exists == 0)
		add_warning(r, fmt("%s: %s(text) does not exist there, so Bucardo with "
		    "the patched module would fail although unpatched Bucardo works: "
		    "leave Bucardo.pm unpatched (bucardo-aiven revert) or %s",
		    d->conninfo, function, CREATE_EXTENSION_FIX));
	else if (d->ncalls == 2 && !(d->calls[0].ok && d->calls[1].ok))
		add_warning(r, fmt("%s: calling %s fails there, so Bucardo with the "
		    "patched module would fail although unpatched Bucardo works: "
		    "leave Bucardo.pm unpatched (bucardo-aiven revert) or fix the "
		    "function", d->conninfo, function));
}

static void
take_target(const struct pq_api *pq, PGconn *c, char **host, char **port, char **dbname,
    char **user)
{
	const char *db;

	*host = xstrdup(pq->PQhost(c));
	*port = xstrdup(pq->PQport(c));
	db = pq->PQdb(c);
	/* A dbname that is a conninfo (nested) may hold a password. */
	*dbname = db != NULL && looks_nested(db) ? strdup(REDACT_HIDDEN) : xstrdup(db);
	*user = xstrdup(pq->PQuser(c));
}

/*
 * Hide the secrets of the database's CONNINFO in everything that came from
 * it, libpq or the server, before it is printed. A field that cannot be
 * scrubbed (out of memory) is dropped, never kept as it was.
 */
static void
scrub_db(const struct redact *secrets, struct db_result *d)
{
	char **fields[] = { &d->conninfo, &d->host, &d->port, &d->dbname, &d->user,
	    &d->server_version, &d->extension_version, &d->lookup_error, &d->reason,
	    &d->fix, &d->note };
	size_t i;
	int j;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		redact_scrub_in_place(secrets, fields[i]);
	for (j = 0; j < d->ncalls; j++) {
		redact_scrub_in_place(secrets, &d->calls[j].value);
		redact_scrub_in_place(secrets, &d->calls[j].error);
	}
}

static void
scrub_control(const struct redact *secrets, struct control_result *k)
{
	char **fields[] = { &k->conninfo, &k->host, &k->port, &k->dbname, &k->user,
	    &k->error };
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		redact_scrub_in_place(secrets, fields[i]);
}

static void
check_one(const struct checkdb_options *o, const struct pq_api *pq, struct err *load,
    size_t index, struct check_report *r)
{
	struct db_result *d = &r->dbs[index];
	const char *raw = o->conninfos[index];
	PGconn *c = NULL;
	PGresult *res;
	struct redact secrets = REDACT_INIT;
	char *qfunction = NULL, *signature = NULL, *error = NULL;
	int how;

	d->superuser = d->set_granted = UNKNOWN;
	d->function_exists = d->function_executable = UNKNOWN;
	if (redact_add_conninfo(&secrets, raw) == -1) {
		d->conninfo = fmt("conninfo #%zu", index + 1);
		d->reason = strdup("out of memory");
		goto done;
	}
	d->conninfo = echo_conninfo(pq, raw, index, &secrets, &how);
	if (pq == NULL) {
		d->reason = strdup(load->msg);
		d->fix = strdup("install libpq, then run check-db again");
		goto done;
	}
	c = connect_db(pq, raw, o->connect_timeout);
	if (c == NULL) {
		d->reason = strdup("cannot connect: out of memory");
		goto done;
	}
	pq->PQsetNoticeProcessor(c, quiet_notices, NULL);
	if (how & CONNINFO_PARSED)
		take_target(pq, c, &d->host, &d->port, &d->dbname, &d->user);
	if (pq->PQstatus(c) != CONNECTION_OK) {
		explain_connection(pq, c, raw, how, &d->reason, &d->fix);
		goto done;
	}
	d->connected = 1;

	res = run(pq, c, "select current_setting('server_version'), "
	    "current_setting('server_version_num')::int, current_user, "
	    "coalesce((select rolsuper from pg_catalog.pg_roles "
	    "where rolname = current_user), current_setting('is_superuser') = 'on')",
	    NULL, &error);
	if (res == NULL) {
		d->reason = fmt("cannot ask the server who we are: %s", error);
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
		res = run(pq, c, "select has_parameter_privilege(current_user, "
		    "'session_replication_role', 'SET')", NULL, &error);
		d->set_granted = bool_value(pq, res, 0);
		pq->PQclear(res);
	}

	if (function_in_aiven_extras(o->function)) {
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
	if ((qfunction = quoted_function(pq, c, o->function)) == NULL) {
		d->reason = fmt("%s: cannot quote the function name", o->function);
		goto done;
	}
	if ((signature = fmt("%s(text)", qfunction)) == NULL)
		goto done;
	res = run(pq, c, "select p::oid, has_function_privilege(p::oid, 'EXECUTE') "
	    "from (select to_regprocedure($1) as p) s", signature, &error);
	if (res == NULL) {
		d->lookup_error = error;
		error = NULL;
	} else {
		d->function_exists = !pq->PQgetisnull(res, 0, 0);
		if (d->function_exists)
			d->function_executable = bool_value(pq, res, 1);
		pq->PQclear(res);
	}
	if (d->function_exists == 1)
		try_calls(pq, c, qfunction, d);
	verdict(pq, c, o->function, d);
done:
	free(error);
	free(signature);
	free(qfunction);
	if (c != NULL)
		pq->PQfinish(c);
	scrub_db(&secrets, d);
	warn_unneeded(r, o->function, d);
	redact_release(&secrets);
}

static char *
shell_word(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (!(isalnum((unsigned char)*p) || strchr("_.-", *p) != NULL))
			break;
	if (*p == '\0' && p > s)
		return strdup(s);
	if (strchr(s, '\'') != NULL)
		return strdup("NAME");
	return fmt("'%s'", s);
}

/*
 * Bucardo's rebuild_index turns indexes off and on again by updating
 * pg_class on the target, which takes a superuser whatever the patch does.
 */
static void
check_control(const struct checkdb_options *o, const struct pq_api *pq, struct err *load,
    struct check_report *r)
{
	struct control_result *k = r->control;
	struct redact secrets = REDACT_INIT;
	PGconn *c = NULL;
	PGresult *res;
	char *error = NULL, *fix = NULL, *word;
	char **syncs;
	int how, i, n;

	k->has_schema = UNKNOWN;
	if (redact_add_conninfo(&secrets, o->bucardo_db) == -1) {
		k->conninfo = fmt("conninfo #%d", o->nconninfos + 1);
		k->error = strdup("out of memory");
		goto done;
	}
	k->conninfo = echo_conninfo(pq, o->bucardo_db, (size_t)o->nconninfos, &secrets, &how);
	if (pq == NULL) {
		k->error = strdup(load->msg);
		goto done;
	}
	if ((c = connect_db(pq, o->bucardo_db, o->connect_timeout)) == NULL) {
		k->error = strdup("cannot connect: out of memory");
		goto done;
	}
	pq->PQsetNoticeProcessor(c, quiet_notices, NULL);
	if (how & CONNINFO_PARSED)
		take_target(pq, c, &k->host, &k->port, &k->dbname, &k->user);
	if (pq->PQstatus(c) != CONNECTION_OK) {
		explain_connection(pq, c, o->bucardo_db, how, &error, &fix);
		k->error = fmt("%s; %s", error, fix);
		goto done;
	}
	k->connected = 1;
	res = run(pq, c, "select exists (select 1 from pg_catalog.pg_namespace "
	    "where nspname = 'bucardo'), to_regclass('bucardo.sync') is not null",
	    NULL, &error);
	if (res == NULL) {
		k->error = fmt("cannot look for the bucardo schema: %s", error);
		goto done;
	}
	k->has_schema = bool_value(pq, res, 0);
	i = bool_value(pq, res, 1);
	pq->PQclear(res);
	if (k->has_schema != 1) {
		k->error = strdup("no bucardo schema in this database: it is not "
		    "Bucardo's control database (that is dbname=bucardo unless "
		    "bucardo install was told otherwise)");
		goto done;
	}
	if (i != 1) {
		k->error = strdup("the bucardo schema has no sync table: Bucardo's "
		    "install looks incomplete");
		goto done;
	}
	res = run(pq, c, "select name from bucardo.sync where rebuild_index <> 0 "
	    "order by name", NULL, &error);
	if (res == NULL) {
		k->error = fmt("cannot read bucardo.sync: %s", error);
		goto done;
	}
	n = pq->PQntuples(res);
	if (n > 0 && (syncs = calloc((size_t)n, sizeof(*syncs))) != NULL) {
		k->syncs = syncs;
		for (i = 0; i < n; i++) {
			if ((k->syncs[i] = redact_scrub(&secrets,
			    pq->PQgetvalue(res, i, 0))) == NULL)
				break;
			k->nsyncs++;
			word = shell_word(k->syncs[i]);
			add_warning(r, fmt("sync %s has rebuild_index set: Bucardo then "
			    "runs UPDATE pg_class SET relhasindex on the target, which "
			    "needs superuser whatever the patch; set rebuild_index=0 "
			    "(bucardo update sync %s rebuild_index=0)", k->syncs[i],
			    word ? word : "NAME"));
			free(word);
		}
	}
	pq->PQclear(res);
done:
	free(error);
	free(fix);
	if (c != NULL)
		pq->PQfinish(c);
	scrub_control(&secrets, k);
	redact_release(&secrets);
}

static const char *
yes_no(int v)
{
	return v == UNKNOWN ? "unknown" : v ? "yes" : "no";
}

static void
print_target(const char *host, const char *port, const char *dbname, const char *user,
    const char *conninfo)
{
	if (host == NULL && dbname == NULL && user == NULL) {
		esc_fprintf(stdout, "%s\n", conninfo ? conninfo : "?");
		return;
	}
	esc_fprintf(stdout, "host=%s port=%s db=%s user=%s\n", host ? host : "?",
	    port ? port : "?", dbname ? dbname : "?", user ? user : "?");
}

static void
print_db_text(const struct checkdb_options *o, const struct db_result *d)
{
	size_t len;
	int i;

	print_target(d->host, d->port, d->dbname, d->user, d->conninfo);
	if (o->verbose)
		esc_fprintf(stdout, "conninfo: %s\n", d->conninfo ? d->conninfo : "?");
	if (!d->connected) {
		esc_fprintf(stdout, "verdict: NOT ready — %s; fix: %s\n",
		    d->reason ? d->reason : "?", d->fix ? d->fix : "?");
		return;
	}
	/* "15.4 (Debian 15.4-1)": the number is what matters here. */
	len = d->server_version != NULL ? strlen(d->server_version) : 0;
	if (!o->verbose && d->server_version != NULL)
		len = strcspn(d->server_version, " ");
	esc_fprintf(stdout, "server: %.*s\n", (int)len,
	    d->server_version ? d->server_version : "");
	esc_fprintf(stdout, "superuser: %s\n", yes_no(d->superuser));
	if (d->version_num >= 150000)
		esc_fprintf(stdout, "SET session_replication_role granted: %s\n",
		    yes_no(d->set_granted));
	else if (d->version_num > 0)
		esc_fprintf(stdout, "SET session_replication_role granted: n/a (PostgreSQL "
		    "%d cannot grant it)\n", d->version_num / 10000);
	if (d->extension_checked) {
		if (d->extension_version != NULL)
			esc_fprintf(stdout, "extension aiven_extras: installed, version %s\n",
			    d->extension_version);
		else
			esc_fprintf(stdout, "extension aiven_extras: not installed\n");
	}
	if (d->function_exists == 1)
		esc_fprintf(stdout, "%s(text): present, %s\n", o->function,
		    d->function_executable == 1 ? "executable" :
		    d->function_executable == 0 ? "not executable by this user" :
		    "executable: unknown");
	else if (d->function_exists == 0)
		esc_fprintf(stdout, "%s(text): missing\n", o->function);
	for (i = 0; i < d->ncalls; i++) {
		if (d->calls[i].ok)
			esc_fprintf(stdout, "call '%s': session_replication_role = %s\n",
			    d->calls[i].arg, d->calls[i].value ? d->calls[i].value : "?");
		else
			esc_fprintf(stdout, "call '%s': failed: %s\n", d->calls[i].arg,
			    d->calls[i].error ? d->calls[i].error : "unknown error");
	}
	if (d->ready && d->note != NULL)
		esc_fprintf(stdout, "verdict: ready — %s\n", d->note);
	else if (d->ready)
		esc_fprintf(stdout, "verdict: ready — Bucardo with the patched module "
		    "will work\n");
	else
		esc_fprintf(stdout, "verdict: NOT ready — %s; fix: %s\n",
		    d->reason ? d->reason : "?", d->fix ? d->fix : "?");
}

static void
print_text(const struct checkdb_options *o, const struct check_report *r)
{
	const struct control_result *k = r->control;
	size_t i;

	for (i = 0; i < r->ndbs; i++) {
		if (i > 0)
			esc_fprintf(stdout, "\n");
		print_db_text(o, &r->dbs[i]);
	}
	if (k != NULL) {
		esc_fprintf(stdout, "\n");
		esc_fprintf(stdout, "bucardo control database: ");
		print_target(k->host, k->port, k->dbname, k->user, k->conninfo);
		if (k->error != NULL)
			esc_fprintf(stdout, "error: %s\n", k->error);
		else if (k->nsyncs == 0)
			esc_fprintf(stdout, "syncs with rebuild_index set: none\n");
		else
			for (i = 0; i < k->nsyncs; i++)
				esc_fprintf(stdout, "sync %s: rebuild_index set\n",
				    k->syncs[i]);
	}
	if (r->nwarnings > 0)
		esc_fprintf(stdout, "\n");
	for (i = 0; i < r->nwarnings; i++)
		esc_fprintf(stdout, "warning: %s\n", r->warnings[i]);
	fflush(stdout);
}

static json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
jbool(int v)
{
	return v == UNKNOWN ? NULL : json_object_new_boolean(v);
}

static json_object *
json_db(const char *function, const struct db_result *d)
{
	json_object *o = json_object_new_object(), *calls = json_object_new_array(), *c;
	int i;

	json_object_object_add(o, "conninfo", jstr(d->conninfo));
	json_object_object_add(o, "host", jstr(d->host));
	json_object_object_add(o, "port", jstr(d->port));
	json_object_object_add(o, "dbname", jstr(d->dbname));
	json_object_object_add(o, "connected", json_object_new_boolean(d->connected));
	json_object_object_add(o, "server_version", jstr(d->server_version));
	json_object_object_add(o, "server_version_num",
	    d->version_num > 0 ? json_object_new_int(d->version_num) : NULL);
	json_object_object_add(o, "user", jstr(d->user));
	json_object_object_add(o, "superuser", jbool(d->superuser));
	json_object_object_add(o, "set_granted", jbool(d->set_granted));
	json_object_object_add(o, "extension_installed",
	    d->extension_checked ? json_object_new_boolean(d->extension_version != NULL) :
	    NULL);
	json_object_object_add(o, "extension_version", jstr(d->extension_version));
	json_object_object_add(o, "function", jstr(function));
	json_object_object_add(o, "function_exists", jbool(d->function_exists));
	json_object_object_add(o, "function_executable", jbool(d->function_executable));
	for (i = 0; i < d->ncalls; i++) {
		c = json_object_new_object();
		json_object_object_add(c, "arg", jstr(d->calls[i].arg));
		json_object_object_add(c, "ok", json_object_new_boolean(d->calls[i].ok));
		json_object_object_add(c, "value", jstr(d->calls[i].value));
		json_object_object_add(c, "error", jstr(d->calls[i].error));
		json_object_array_add(calls, c);
	}
	json_object_object_add(o, "calls", calls);
	json_object_object_add(o, "ready", json_object_new_boolean(d->ready));
	json_object_object_add(o, "reason", jstr(d->reason));
	json_object_object_add(o, "fix", jstr(d->fix));
	json_object_object_add(o, "note", jstr(d->note));
	return o;
}

static int
print_json(const struct checkdb_options *o, const struct check_report *r)
{
	const struct control_result *k = r->control;
	json_object *doc = json_object_new_object(), *dbs = json_object_new_array();
	json_object *warnings = json_object_new_array(), *kj, *syncs;
	size_t i;
	int rc;

	if (doc == NULL || dbs == NULL || warnings == NULL) {
		json_object_put(doc);
		json_object_put(dbs);
		json_object_put(warnings);
		return -1;
	}
	json_object_object_add(doc, "command", json_object_new_string("check-db"));
	json_object_object_add(doc, "ready", json_object_new_boolean(r->ready));
	json_object_object_add(doc, "function", jstr(o->function));
	for (i = 0; i < r->ndbs; i++)
		json_object_array_add(dbs, json_db(o->function, &r->dbs[i]));
	json_object_object_add(doc, "databases", dbs);
	kj = NULL;
	if (k != NULL) {
		kj = json_object_new_object();
		syncs = json_object_new_array();
		json_object_object_add(kj, "conninfo", jstr(k->conninfo));
		json_object_object_add(kj, "connected", json_object_new_boolean(k->connected));
		json_object_object_add(kj, "bucardo_schema", jbool(k->has_schema));
		for (i = 0; i < k->nsyncs; i++)
			json_object_array_add(syncs, jstr(k->syncs[i]));
		json_object_object_add(kj, "syncs_with_rebuild_index", syncs);
		json_object_object_add(kj, "error", jstr(k->error));
	}
	json_object_object_add(doc, "bucardo_db", kj);
	for (i = 0; i < r->nwarnings; i++)
		json_object_array_add(warnings, jstr(r->warnings[i]));
	json_object_object_add(doc, "warnings", warnings);
	rc = report_emit_json(doc);
	json_object_put(doc);
	return rc;
}

static void
db_release(struct db_result *d)
{
	int i;

	for (i = 0; i < d->ncalls; i++) {
		free(d->calls[i].value);
		free(d->calls[i].error);
	}
	free(d->note);
	free(d->fix);
	free(d->reason);
	free(d->lookup_error);
	free(d->extension_version);
	free(d->server_version);
	free(d->user);
	free(d->dbname);
	free(d->port);
	free(d->host);
	free(d->conninfo);
}

static void
control_release(struct control_result *k)
{
	size_t i;

	if (k == NULL)
		return;
	free(k->error);
	for (i = 0; i < k->nsyncs; i++)
		free(k->syncs[i]);
	free(k->syncs);
	free(k->user);
	free(k->dbname);
	free(k->port);
	free(k->host);
	free(k->conninfo);
	free(k);
}

static void
check_report_release(struct check_report *r)
{
	size_t i;

	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	control_release(r->control);
	for (i = 0; i < r->ndbs; i++)
		db_release(&r->dbs[i]);
	free(r->dbs);
	memset(r, 0, sizeof(*r));
}

int
checkdb_run(const struct checkdb_options *o)
{
	struct check_report r = CHECK_REPORT_INIT;
	struct err load = ERR_INIT;
	const struct pq_api *pq;
	const struct db_result *d;
	size_t i;
	int status = 1;

	if (o->nconninfos <= 0)
		return 1;
	if ((r.dbs = calloc((size_t)o->nconninfos, sizeof(*r.dbs))) == NULL) {
		esc_fprintf(stderr, "%s: out of memory\n", PROGNAME);
		return 1;
	}
	r.ndbs = (size_t)o->nconninfos;
	/* Failing to load is reported per database, so JSON still has a document. */
	pq = pq_load(&load);
	for (i = 0; i < r.ndbs; i++)
		check_one(o, pq, &load, i, &r);
	if (o->bucardo_db != NULL) {
		if ((r.control = calloc(1, sizeof(*r.control))) == NULL) {
			esc_fprintf(stderr, "%s: out of memory\n", PROGNAME);
			goto cleanup;
		}
		check_control(o, pq, &load, &r);
	}

	r.ready = 1;
	for (i = 0; i < r.ndbs; i++) {
		d = &r.dbs[i];
		if (d->ready)
			continue;
		r.ready = 0;
		esc_fprintf(stderr, "%s: %s: %s; %s\n", PROGNAME,
		    d->conninfo ? d->conninfo : "?", d->reason ? d->reason : "not ready",
		    d->fix ? d->fix : "see the report above");
	}
	if (r.control != NULL && r.control->error != NULL) {
		r.ready = 0;
		esc_fprintf(stderr, "%s: %s: %s\n", PROGNAME,
		    r.control->conninfo ? r.control->conninfo : "?", r.control->error);
	}
	status = r.ready ? 0 : 1;
	if (o->json) {
		if (print_json(o, &r) == -1) {
			esc_fprintf(stderr, "%s: cannot write the JSON report\n", PROGNAME);
			status = 1;
		}
	} else if (!o->quiet)
		print_text(o, &r);
cleanup:
	check_report_release(&r);
	return status;
}
