/* test-redact.c: unit tests for redact.c, secrets found in every conninfo form and hidden. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"
#include "tap.h"

static int
holds(const struct redact *r, const char *secret)
{
	size_t i;

	for (i = 0; i < r->nsecrets; i++)
		if (strcmp(r->secrets[i], secret) == 0)
			return 1;
	return 0;
}

static void
show(const struct redact *r)
{
	size_t i;

	for (i = 0; i < r->nsecrets; i++)
		printf("#   secret %zu: '%s'\n", i, r->secrets[i]);
}

/*
 * The secrets of conninfo include each of the NULL-terminated want, and
 * scrubbing conninfo itself leaves none of them.
 */
static void
finds(const char *conninfo, const char *const *want, const char *name)
{
	struct redact r = REDACT_INIT;
	char *scrubbed;
	size_t i;
	int all = 1, clean = 1;

	must(redact_add_conninfo(&r, conninfo));
	for (i = 0; want[i] != NULL; i++)
		if (!holds(&r, want[i])) {
			printf("#   missing: '%s'\n", want[i]);
			all = 0;
		}
	ok(all, "%s: every secret found", name);
	if (!all)
		show(&r);
	scrubbed = redact_scrub(&r, conninfo);
	for (i = 0; want[i] != NULL; i++)
		if (scrubbed == NULL || strstr(scrubbed, want[i]) != NULL)
			clean = 0;
	ok(clean, "%s: none left after scrubbing it (%s)", name, scrubbed ? scrubbed : "NULL");
	free(scrubbed);
	redact_release(&r);
}

#define FINDS(conninfo, name, ...) do { \
	static const char *const want_[] = { __VA_ARGS__, NULL }; \
	finds(conninfo, want_, name); \
} while (0)

static size_t
count(const char *conninfo)
{
	struct redact r = REDACT_INIT;
	size_t n;

	must(redact_add_conninfo(&r, conninfo));
	n = r.nsecrets;
	if (n > 0)
		show(&r);
	redact_release(&r);
	return n;
}

static void
test_keyword_value(void)
{
	FINDS("host=db.example.com password=S3cretPw dbname=x", "keyword/value", "S3cretPw");
	FINDS("host = h  password =  S3cretPw  user=u", "spaces around '='", "S3cretPw");
	FINDS("host=h password='pw with spaces' user=u", "single-quoted value",
	    "pw with spaces");
	FINDS("password='it\\'s \\\\ ok'", "quoted with backslash escapes", "it's \\ ok",
	    "it\\'s \\\\ ok");
	FINDS("password=a\\ b host=h", "unquoted with a backslash escape", "a b");
	FINDS("host=h sslpassword=KeyPass1", "sslpassword", "KeyPass1");
	FINDS("PASSWORD=UpperKey Password=Mixed", "keywords in any case", "UpperKey", "Mixed");
	FINDS("password=p%40ss", "percent-encoded in keyword form: both", "p%40ss", "p@ss");
	FINDS("password=abc def host=h", "words after an unquoted password", "abc", "def",
	    "abc def");
	FINDS("password='unterminated secret", "an unterminated quote", "unterminated secret");
	FINDS("dbname='host=h password=InnerPw'", "a dbname that is a conninfo", "InnerPw");
	FINDS("dbname='dbname=\\'password=Deeper\\''", "a conninfo two levels deep", "Deeper");
	FINDS("host=h dbname=postgresql://u:UriInner@h/db", "a dbname that is a URI",
	    "UriInner");
	FINDS("user=u password= host=h password=Second", "an empty then a second password",
	    "Second");
	ok(count("host=h port=5432 dbname=d user=u sslmode=require") == 0,
	    "no secret in a conninfo without one");
	ok(count("") == 0 && count("just_a_dbname") == 0,
	    "no secret in a plain database name");
}

static void
test_uri(void)
{
	FINDS("postgresql://u:S3cretPw@127.0.0.1:1/db", "postgresql:// user:password@",
	    "S3cretPw");
	FINDS("postgres://u:S3cretPw@h/db", "postgres://", "S3cretPw");
	FINDS("POSTGRESQL://u:S3cretPw@127.0.0.1:1/db", "scheme in capitals", "S3cretPw");
	FINDS("PostgreS://u:S3cretPw@h", "scheme in mixed case", "S3cretPw");
	FINDS("postgresql://u:Multi9@h1:5432,h2:5433,[::1]:5434/db?target_session_attrs=any",
	    "several hosts", "Multi9");
	FINDS("postgresql://u@h/db?password=QueryPw&sslmode=require", "query password",
	    "QueryPw");
	FINDS("postgresql://h/db?sslmode=require&sslpassword=SslPw&application_name=x",
	    "query sslpassword", "SslPw");
	FINDS("postgresql://h/db?pass%77ord=EncKey", "a percent-encoded key", "EncKey");
	FINDS("postgresql://h/db?%70%61%73%73%77%6f%72%64=AllEnc", "a key encoded whole",
	    "AllEnc");
	FINDS("postgresql://h/db?PASSWORD=UpKey", "a key in capitals", "UpKey");
	FINDS("postgresql://h/db?pass%7word=BadKey", "a key libpq cannot decode", "BadKey");
	FINDS("postgresql://u:p%40ss@h/db", "a percent-encoded password: both", "p%40ss",
	    "p@ss");
	FINDS("postgresql://h/db?password=q%26r%3D", "a percent-encoded query value",
	    "q%26r%3D", "q&r=");
	FINDS("postgresql://u:p@ss@host/db", "a raw '@' in the password", "p", "p@ss", "ss");
	FINDS("postgresql://u:pa/ss@host/db", "a raw '/' in the password", "pa/ss", "pa",
	    "ss");
	FINDS("postgresql://u:pa:ss@host", "a ':' in the password", "pa:ss");
	FINDS("postgresql://h/db?password=a&bcd&port=5", "a raw '&' in a query password",
	    "a", "bcd");
	FINDS("postgresql:///host%3Dh%20password%3DPathPw", "a URI path that is a conninfo",
	    "PathPw");
	FINDS("postgresql://h/?dbname=host%3Dx%20password%3DQueryDeep",
	    "a query dbname that is a conninfo", "QueryDeep");
	FINDS("  postgresql://u:Lead@h", "leading blanks", "Lead");
	FINDS("mysql://u:Elsewhere@h", "any scheme://user:password@", "Elsewhere");
	ok(count("postgresql://u@h:5432/db?sslmode=require&application_name=a%20b") == 0,
	    "no secret in a URI without one");
	ok(count("postgresql://") == 0 && count("postgres://@") == 0 &&
	    count("postgresql://:@") == 0, "degenerate URIs");
}

static void
scrubs(const struct redact *r, const char *text, const char *want, const char *name)
{
	char *got = redact_scrub(r, text);

	is_str(got, want, "%s", name);
	free(got);
}

static void
test_scrub(void)
{
	struct redact r = REDACT_INIT;
	struct buf b = BUF_INIT;
	char *s;

	ok(redact_scrub(&r, NULL) == NULL, "NULL scrubs to NULL");
	scrubs(&r, "nothing to hide", "nothing to hide", "no secrets: unchanged");
	must(redact_add_secret(&r, "S3cretPw", 8));
	scrubs(&r,
	    "FATAL:  database \"POSTGRESQL://u:S3cretPw@127.0.0.1:1/db\" does not exist",
	    "FATAL:  database \"POSTGRESQL://u:(hidden)@127.0.0.1:1/db\" does not exist",
	    "the server's message about a capitals URI");
	scrubs(&r, "S3cretPw and s3cretpw and S3CRETPW", "(hidden) and (hidden) and (hidden)",
	    "every occurrence, ASCII case ignored");
	scrubs(&r, "S3cretPwS3cretPw", "(hidden)", "adjacent occurrences merge");
	scrubs(&r, "database \"x password=S3cretP\" does not exist",
	    "database \"x password=(hidden)\" does not exist",
	    "a prefix where the server cut the quoted name short");
	scrubs(&r, "ends with S3cr", "ends with (hidden)", "a prefix at the end of the text");
	scrubs(&r, "S3c in the middle", "S3c in the middle",
	    "a prefix in the middle of text is not a secret");
	scrubs(&r, "\"S3\"", "\"S3\"", "prefixes shorter than 3 bytes are left");
	redact_release(&r);

	must(redact_add_secret(&r, "abc", 3));
	must(redact_add_secret(&r, "cde", 3));
	scrubs(&r, "xabcdex", "x(hidden)x", "overlapping secrets hide their union");
	redact_release(&r);

	must(redact_add_secret(&r, "aa", 2));
	scrubs(&r, "baaab", "b(hidden)b", "a secret overlapping itself");
	redact_release(&r);

	must(redact_add_secret(&r, "e", 1));
	scrubs(&r, "see here", "s(hidden) h(hidden)r(hidden)",
	    "a one-byte secret, every occurrence");
	scrubs(&r, "hidden", "hidd(hidden)n", "what is inserted is not scanned again");
	must(redact_add_secret(&r, "(hidden)", 8));
	scrubs(&r, "a (hidden) b", "a (hidden) b", "a secret equal to the marker");
	redact_release(&r);

	must(redact_add_secret(&r, "", 0));
	ok(r.nsecrets == 0, "an empty secret is not added");
	must(redact_add_secret(&r, "dup", 3));
	must(redact_add_secret(&r, "dup", 3));
	ok(r.nsecrets == 1, "a secret is added once");
	must(redact_add_conninfo(&r, "password=S3cretPw"));
	must(redact_scrub_buf(&b, &r, "pw S3cretPw dup"));
	is_str(b.data, "pw (hidden) (hidden)", "redact_scrub_buf appends");
	buf_release(&b);
	s = strdup("in place: S3cretPw");
	ok(redact_scrub_in_place(&r, &s) == 0, "redact_scrub_in_place succeeds");
	is_str(s, "in place: (hidden)", "redact_scrub_in_place replaces the string");
	free(s);
	s = NULL;
	ok(redact_scrub_in_place(&r, &s) == 0 && s == NULL,
	    "redact_scrub_in_place keeps NULL");
	redact_release(&r);
	ok(r.nsecrets == 0 && r.secrets == NULL, "redact_release empties the set");
}

static void
test_predicates(void)
{
	ok(redact_may_hold_secret("host=h password=x"), "may hold: password=");
	ok(redact_may_hold_secret("host=h PassWord=x"), "may hold: password in any case");
	ok(redact_may_hold_secret("postgresql://h/db?pass%77ord=x"), "may hold: percent sign");
	ok(redact_may_hold_secret("POSTGRESQL://u:pw@h/db"), "may hold: scheme://user:pw@");
	ok(redact_may_hold_secret("x oauth_client_secret=y"), "may hold: secret");
	ok(!redact_may_hold_secret("host=h dbname=d user=u"), "may not hold: plain keywords");
	ok(!redact_may_hold_secret("postgresql://h:5432/db"), "may not hold: URI without '@'");
	ok(!redact_may_hold_secret("target"), "may not hold: a database name");

	ok(redact_is_secret_keyword("password", 8) &&
	    redact_is_secret_keyword("sslpassword", 11),
	    "password and sslpassword are secret keywords");
	ok(redact_is_secret_keyword("PASSWORD", 8), "keywords compared in any case");
	ok(!redact_is_secret_keyword("passwordx", 4), "only len bytes are looked at");
	ok(!redact_is_secret_keyword("user", 4) && !redact_is_secret_keyword("dbname", 6),
	    "user and dbname are not");

	ok(redact_uri_prefix("postgresql://h", 1) == 13 &&
	    redact_uri_prefix("postgres://h", 1) == 11, "libpq's prefixes");
	ok(redact_uri_prefix("POSTGRESQL://h", 1) == 0,
	    "libpq does not know the scheme in capitals");
	ok(redact_uri_prefix("POSTGRESQL://h", 0) == 13 &&
	    redact_uri_prefix("Postgres://", 0) == 11, "any case when asked");
	ok(redact_uri_prefix("postgresql:/h", 0) == 0 && redact_uri_prefix("host=h", 0) == 0,
	    "no prefix");
}

int
main(void)
{
	test_keyword_value();
	test_uri();
	test_scrub();
	test_predicates();
	return tap_done();
}
