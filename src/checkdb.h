/* checkdb.h: asking a target database whether Bucardo with the patched module will work there. */
#ifndef CHECKDB_H
#define CHECKDB_H

struct checkdb_options {
	char		**conninfos;	/* conninfo strings or URIs, as psql takes them */
	int		 nconninfos;
	const char	*function;	/* the SECURITY DEFINER function, schema-qualified */
	const char	*bucardo_db;	/* Bucardo's control database, or NULL */
	int		 json;		/* one JSON document on stdout */
	int		 quiet;
	int		 verbose;
	unsigned	 connect_timeout;	/* seconds; 0 leaves libpq's default */
};

/*
 * Connect to each database as Bucardo will, try the function inside a
 * transaction that is rolled back, and print the verdict (text or JSON on
 * stdout; each database that is not ready, and each connection that fails,
 * also as "bucardo-aiven: CONNINFO: reason; fix" on stderr). No password is
 * ever printed: CONNINFO is echoed with password= and URI passwords removed
 * (or as "conninfo #N" when it cannot be parsed), and every message from
 * libpq or the server is scrubbed of the secrets its CONNINFO holds
 * (redact.h). Control characters are escaped in every line (esc.h).
 * libpq is loaded on first use. Returns the exit status: 0 when Bucardo with
 * the patched module will work against every database given, 1 when it
 * will not for one of them or a connection (the control database's too)
 * fails.
 */
int	checkdb_run(const struct checkdb_options *o);

#endif
