/*
 * test-sqlcall.c: sqlcall_parse against tests/data/spellings.txt, the
 * spellings people write by hand (the e2e test runs the same list through
 * PostgreSQL), and the details the list does not show: names folded as
 * PostgreSQL folds them, quotes doubled, a name that is not the function.
 */
#include "sqlcall.h"
#include "tap.h"

/* Undo the list's \n, \t and \\ escapes in place. */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			*w++ = *s == 'n' ? '\n' : *s == 't' ? '\t' : *s;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

static void
spellings_file(void)
{
	char path[4096], line[4096];
	const char *srcdir = getenv("SRCDIR");
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/tests/data/spellings.txt", srcdir ? srcdir : ".");
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "tests/data/spellings.txt can be read (%s)", path);
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		struct sql_call c = SQL_CALL_INIT;
		char *verdict = line, *arg, *sql, shown[4096];
		int got;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if ((arg = strchr(verdict, '\t')) == NULL || (sql = strchr(arg + 1, '\t')) == NULL) {
			ok(0, "spellings.txt line is VERDICT<TAB>ARG<TAB>SQL: %s", line);
			continue;
		}
		*arg++ = '\0';
		*sql++ = '\0';
		snprintf(shown, sizeof(shown), "%s", sql);	/* as listed: one line */
		unescape(sql);
		got = sqlcall_parse(&c, sql);
		if (strcmp(verdict, "call") == 0) {
			ok(got == 1 && strcmp(c.function, "aiven_extras.session_replication_role") == 0 &&
			    strcmp(c.arg, arg) == 0, "read as a call with '%s': %s", arg, shown);
		} else
			ok(got == 0 && c.function == NULL, "not read as a call: %s", shown);
		sqlcall_release(&c);
		n++;
	}
	fclose(f);
	ok(n >= 20, "spellings.txt holds the list (%d spellings)", n);
}

static void
details(void)
{
	struct sql_call c = SQL_CALL_INIT;

	ok(sqlcall_parse(&c, "select \"Odd Schema\".F('x')") == 1, "a quoted schema is read");
	is_str(c.function, "Odd Schema.f", "quoted parts keep their case, unquoted ones fold");
	sqlcall_release(&c);
	ok(sqlcall_parse(&c, "select f('it''s')") == 1, "a doubled quote is read");
	is_str(c.arg, "it's", "and means one quote");
	sqlcall_release(&c);
	ok(sqlcall_parse(&c, "select f(E'a\\'b')") == 1, "an E'' string with an escaped quote is read");
	is_str(c.arg, "a'b", "and means one quote");
	sqlcall_release(&c);
	ok(sqlcall_parse(&c, "select f('x') -- a comment; select g('y')") == 1,
	    "a second statement inside a comment is only a comment");
	sqlcall_release(&c);
	ok(sqlcall_parse(&c, "select f('x'") == 0, "an unclosed call is not a call");
	ok(sqlcall_parse(&c, "select f('x)") == 0, "an unclosed string is not a call");
	ok(sqlcall_parse(&c, "") == 0, "an empty statement is not a call");
}

int
main(void)
{
	spellings_file();
	details();
	return tap_done();
}
