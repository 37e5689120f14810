/* sqlcall.h: reading one SQL statement as a call of a function with one string argument, however it is spelled. */
#ifndef SQLCALL_H
#define SQLCALL_H

/*
 * People who follow the migration guide by hand write the call in many
 * ways PostgreSQL runs the same: SELECT f('replica') or SELECT * FROM
 * f('replica'), keywords and unquoted names in any case, with or without a
 * semicolon, comments or an alias, the argument cast ('replica'::text,
 * text 'replica'), named (arg => 'replica'), written E'replica' or
 * $$replica$$, the call in parentheses or its result cast. Each of these
 * calls the function once, with that argument, and discards the result.
 * Anything else (another statement, two calls, a WHERE clause, a number)
 * is not read as a call.
 */
struct sql_call {
	char	*function;	/* as PostgreSQL resolves it: unquoted parts folded to
				   lower case, quoted ones as written; "schema.name" */
	char	*arg;		/* the string argument's value */
};

#define SQL_CALL_INIT { NULL, NULL }

/*
 * Read sql. Returns 1 when it is such a call (c filled, the caller's to
 * release), 0 when it is not (c left empty), -1 when memory runs out.
 */
int	sqlcall_parse(struct sql_call *c, const char *sql);
void	sqlcall_release(struct sql_call *c);

#endif
