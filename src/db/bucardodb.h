/* bucardodb.h: Bucardo's control database as its daemon reads it: databases, syncs, tables, and how it connects. */
#ifndef BUCARDODB_H
#define BUCARDODB_H

#include <stddef.h>

#include "base/base.h"
#include "pqlazy.h"

/* A row of bucardo.db; NULL for SQL NULL or a column this release lacks. */
struct bucardodb_db {
	char	*name;		/* Bucardo's name for it */
	char	*dbtype;	/* postgres, mysql, ... */
	char	*host;
	char	*port;
	char	*dbname;
	char	*user;
	char	*pass;		/* a secret: never printed */
	char	*service;
	char	*conn;		/* dbconn: appended to the DSN as it is */
	char	*dsn;		/* dbdsn (5.5.0 and later) */
	char	*status;	/* active, inactive, stalled */
};

/* A database of a sync's dbgroup (bucardo.dbmap). */
struct bucardodb_member {
	char	*db;
	char	*role;		/* source, target, fullcopy */
};

/* A table or sequence of a sync's relgroup (bucardo.goat through bucardo.herdmap). */
struct bucardodb_table {
	char	*schema;
	char	*name;
	char	*reltype;	/* table, sequence */
	int	 rebuild_index;	/* goat.rebuild_index; -1 for NULL: the sync's applies */
};

struct bucardodb_sync {
	char			*name;
	char			*status;	/* active, inactive, ... */
	char			*dbgroup;	/* sync.dbs */
	char			*relgroup;	/* sync.herd */
	int			 rebuild_index;
	struct bucardodb_member	*members;
	size_t			 nmembers;
	struct bucardodb_table	*tables;
	size_t			 ntables;
};

struct bucardodb {
	struct bucardodb_db	*dbs;
	size_t			 ndbs;
	struct bucardodb_sync	*syncs;
	size_t			 nsyncs;
};

#define BUCARDODB_INIT { NULL, 0, NULL, 0 }

/*
 * Read the databases, the syncs with their dbgroup's members and roles,
 * and the tables of each sync's relgroup with their own rebuild_index,
 * from the control database c is connected to. Columns are read by name
 * from each row (to_jsonb), so a release without one gets NULL. Returns 0,
 * or -1 with e set: no bucardo schema (not Bucardo's control database), a
 * table missing, or a query refused. b is the caller's to release either
 * way.
 */
int	bucardodb_read(struct bucardodb *b, const struct pq_api *pq, PGconn *c, struct err *e);

/* The database named name, or NULL. */
const struct bucardodb_db	*bucardodb_find(const struct bucardodb *b, const char *name);

/*
 * The connection string libpq gets when Bucardo connects to d (caller
 * frees; NULL when out of memory): Bucardo's DSN, dbname and service
 * joined with ';', then port, host and dbconn as stored, unquoted; then
 * what DBD::Pg does with it: its first db= or database= made dbname=,
 * double quotes made single when dbname is quoted, each ';' outside single
 * quotes made a space, and user and password appended single-quoted (\ and
 * ' escaped) when not empty. A stored dbdsn is not used: see
 * bucardodb_dsn_broken.
 */
char	*bucardodb_conninfo(const struct bucardodb_db *d);

/*
 * Whether Bucardo cannot connect to d at all: a non-empty dbdsn, which the
 * releases that have the column (5.5.0 and 5.6.0) turn into "TEST" DSN,
 * a data source no DBI driver takes.
 */
int	bucardodb_dsn_broken(const struct bucardodb_db *d);

void	bucardodb_release(struct bucardodb *b);

#endif
