/* checkdb.h: asking each database Bucardo will write to whether the module Bucardo runs will work there. */
#ifndef CHECKDB_H
#define CHECKDB_H

#include <stddef.h>

#include "engine/engine.h"
#include "host/host.h"

struct checkdb_options {
	char		**conninfos;	/* conninfo strings or URIs, as psql takes them */
	int		 nconninfos;
	const char	*function;	/* the SECURITY DEFINER function, schema-qualified */
	const char	*bucardo_db;	/* Bucardo's control database, or NULL */
	struct judge_module module;	/* the module Bucardo will run */
	unsigned	 connect_timeout;	/* seconds; 0 leaves libpq's default */
	struct fsroot	*host;		/* borrowed: judges the files a control database
					   names; NULL refuses them all */
};

/* A call of the function inside the rolled-back transaction. */
struct checkdb_call {
	const char	*arg;		/* static: "replica" or "origin" */
	int		 ok;
	char		*value;		/* session_replication_role after the call */
	char		*error;
};

/* A table whose indexes Bucardo switches off on a database (rebuild_index). */
struct checkdb_index {
	char		*table;		/* schema.name as Bucardo stores it */
	char		*sync;
	int		 from_table;	/* the table's own setting, not the sync's */
	int		 has_indexes;	/* on this database; JUDGE_UNKNOWN: not found there */
};

/* A database, its sync roles (--bucardo-db), what it answered, and the verdict. */
struct checkdb_db {
	char		*name;		/* Bucardo's name for it; NULL for a CONNINFO */
	char		*conninfo;	/* as libpq gets it, passwords removed */
	char		*host;
	char		*port;
	char		*dbname;
	char		*user;		/* current_user once connected, else the one tried */
	char		**roles;	/* "SYNC (ROLE)" for each sync it is in */
	size_t		 nroles;
	int		 connected;
	char		*server_version;
	int		 version_num;
	int		 superuser;
	int		 set_granted;	/* has_parameter_privilege; JUDGE_UNKNOWN before 15 */
	char		*set_error;	/* why SET LOCAL session_replication_role failed */
	int		 extension_checked;
	char		*extension_version;	/* NULL: not installed */
	char		*lookup_error;	/* looking the function up failed */
	struct checkdb_call calls[2];
	int		 ncalls;
	struct checkdb_index *indexes;
	size_t		 nindexes;
	struct judge_facts facts;
	enum judge_verdict verdict;
	unsigned	 works_with;	/* judge_works_with */
	int		 ready;
	char		*reason;	/* why not ready */
	char		*fix;		/* what to do about it */
	char		*note;		/* why ready */
};

/* A database of a sync, with its role. */
struct checkdb_member {
	char		*db;
	char		*role;
	int		 checked;	/* Bucardo writes to it: it is in the report's dbs */
	char		*skipped;	/* why it is left out (inactive, not PostgreSQL), or NULL */
};

struct checkdb_sync {
	char		*name;
	char		*status;
	char		*dbgroup;
	char		*relgroup;
	int		 rebuild_index;
	int		 active;	/* Bucardo runs it */
	struct checkdb_member *members;
	size_t		 nmembers;
};

/* Bucardo's control database (--bucardo-db). */
struct checkdb_control {
	char		*conninfo;	/* password removed */
	char		*host;
	char		*port;
	char		*dbname;
	char		*user;
	int		 connected;
	struct checkdb_sync *syncs;
	size_t		 nsyncs;
	char		*error;		/* it could not be read */
};

struct checkdb_report {
	struct checkdb_db	*dbs;	/* the CONNINFOs given, then Bucardo's databases */
	size_t			 ndbs;
	struct checkdb_control	*control;	/* NULL without --bucardo-db */
	char			**warnings;
	size_t			 nwarnings;
	unsigned		 works_with;	/* forms with which every database is ready */
	int			 ready;		/* every database ready, nothing failed */
	char			*error;		/* what could not be checked at all */
};

#define CHECKDB_REPORT_INIT { NULL, 0, NULL, NULL, 0, 0, 0, NULL }

/*
 * Before any connection: whether libpq takes conninfo (the index-th given)
 * as a connection string it can use. NULL when it does; otherwise a
 * message for the administrator (caller frees) naming the field that is
 * wrong ("port 'abc' is not a number") or quoting libpq's complaint, with
 * the conninfo shown without its secrets: a usage error.
 */
char	*checkdb_conninfo_problem(const char *conninfo, size_t index);

/*
 * Connect to each database as Bucardo will, ask it who the user is and
 * what it may do, try SET LOCAL session_replication_role and the function
 * inside a transaction that is rolled back, and judge it against the
 * module o->module. With o->bucardo_db, read the syncs, their databases
 * and roles, each database's settings and rebuild_index (a table's own,
 * else its sync's) from Bucardo's control database, then check every
 * database a sync writes to, connecting with the connection string
 * Bucardo's DBD::Pg builds from those settings. Nothing is printed: r
 * holds every answer and verdict, scrubbed of every password given or
 * stored (redact.h); libpq is loaded on first use. Returns 0, or -1 when
 * memory runs out (r->error says so). r is the caller's to release.
 */
int	checkdb_run(struct checkdb_report *r, const struct checkdb_options *o);

void	checkdb_report_release(struct checkdb_report *r);

#endif
