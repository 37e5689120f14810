/* judge.h: whether a database is ready for the module Bucardo will run, from what was learnt of both. */
#ifndef JUDGE_H
#define JUDGE_H

#include <stddef.h>

#include "rewrite.h"

/* What the module's statement is, on every database it runs on. */
enum judge_form {
	JUDGE_SET,	/* pristine: SET session_replication_role, as Bucardo ships it */
	JUDGE_CALL,	/* patched, plain form: select FUNCTION('replica') */
	JUDGE_GUARD,	/* patched, guarded form: the function where it exists, else set_config */
	JUDGE_MIXED,	/* partly patched: some statements SET, the others call */
	JUDGE_FORMS
};

/* Where the statement runs (FACTS.md). */
enum judge_layout {
	JUDGE_LAYOUT_54,	/* 5.4.0 and later: disable_triggers and enable_triggers,
				   on each database a sync writes rows into */
	JUDGE_LAYOUT_50		/* 5.0.0 to 5.3.1: start_kid, on every database the kid
				   writes to, its sources included (but in a fullcopy sync) */
};

struct judge_module {
	enum judge_form		form;
	enum judge_layout	layout;
};

/*
 * The module an analysed Bucardo.pm is. Pristine, patched (plain or
 * guarded, as its sites say) and partial map to a form; the layout named
 * "5.0" to JUDGE_LAYOUT_50, any other to JUDGE_LAYOUT_54. Returns 0, or -1
 * when a is unsupported (Bucardo runs statements no rule describes).
 */
int	judge_module_from_analysis(struct judge_module *m, const struct analysis *a);

/*
 * The module named by its state, for a Bucardo host that is another
 * machine: "pristine", "patched" (the plain form) or "guarded", each
 * optionally followed by ":5.0" for Bucardo 5.0.0 to 5.3.1 (the start_kid
 * layout) or ":5.4" (5.4.0 and later, the default). Returns 0, or -1 for
 * any other name.
 */
int	judge_module_from_name(struct judge_module *m, const char *name);

/* "pristine", "patched", "guarded", "partial". */
const char	*judge_form_name(enum judge_form form);

/* A fact that was not asked, or could not be answered. */
#define JUDGE_UNKNOWN	(-1)

/* What was found out about one database, each 1, 0 or JUDGE_UNKNOWN. */
struct judge_facts {
	int	connected;
	int	unusable;		/* Bucardo cannot connect the way it is set up */
	int	can_set;		/* SET LOCAL session_replication_role = replica worked */
	int	function_exists;
	int	function_executable;
	int	call_ok[2];		/* the function with 'replica', then with 'origin' */
	int	statement_runs;		/* the module runs its statement on this database */
	int	index_tables;		/* tables whose indexes Bucardo switches off here
					   (rebuild_index), a count */
	int	pg_class_update;	/* the user may UPDATE pg_class (a superuser) */
};

#define JUDGE_FACTS_INIT { 0, 0, JUDGE_UNKNOWN, JUDGE_UNKNOWN, JUDGE_UNKNOWN, \
	{ JUDGE_UNKNOWN, JUDGE_UNKNOWN }, 1, 0, JUDGE_UNKNOWN }

enum judge_verdict {
	JUDGE_READY,		/* the statement the module runs here works */
	JUDGE_READY_UNTOUCHED,	/* the module never runs its statement here */
	JUDGE_NO_CONNECTION,	/* not reached, or not the way Bucardo connects */
	JUDGE_NEEDS_APPLY,	/* pristine module, and SET is refused here */
	JUDGE_NEEDS_FUNCTION,	/* the module calls the function, and the call fails here */
	JUDGE_NEEDS_BOTH,	/* partly patched: needs SET and the function */
	JUDGE_REBUILD_INDEX	/* rebuild_index on, and UPDATE pg_class refused */
};

/* The verdict on one database for module m. */
enum judge_verdict	judge_database(const struct judge_module *m, const struct judge_facts *f);

/* Is the verdict "ready"? */
int	judge_ready(enum judge_verdict v);

/*
 * The forms (bit 1 << JUDGE_SET, 1 << JUDGE_CALL, 1 << JUDGE_GUARD; never
 * JUDGE_MIXED) with which the database would be ready in the given layout.
 */
unsigned	judge_works_with(enum judge_layout layout, const struct judge_facts *f);

/* A database's role in a sync, as bucardo.dbmap stores it. */
enum judge_role {
	JUDGE_SOURCE,
	JUDGE_TARGET,
	JUDGE_FULLCOPY
};

/* "source" and "fullcopy"; anything else is a target, as Bucardo takes it. */
enum judge_role	judge_role_from_name(const char *name);

/*
 * What a sync's kid does on each of its n active databases (roles[i]):
 * runs[i] is set when the module runs its statement there, copies[i] when
 * the kid writes rows into it (where rebuild_index switches indexes off).
 * A fullcopy sync (no target, at most one source, a fullcopy database)
 * writes only into its fullcopy databases. Otherwise, from 5.4.0 on, a
 * sync with one source writes into every other database, one with several
 * sources into all of them; in the 5.0 layout the statement runs on every
 * database, the sources too, while rows go into the others.
 */
void	judge_sync_plan(enum judge_layout layout, const enum judge_role *roles, size_t n,
	    int *runs, int *copies);

/*
 * Why libpq would refuse value for keyword when connecting, though it
 * parses: a port, timeout or keepalive setting that is not a number, a
 * port out of range, an sslmode (gssencmode, channel_binding,
 * target_session_attrs, ssl_*_protocol_version) it does not know. A static
 * string, or NULL when the value is fine. NULL value: fine.
 */
const char	*judge_conninfo_value(const char *keyword, const char *value);

#endif
