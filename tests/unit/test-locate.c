/* test-locate.c: finding subs and literals without being fooled by POD, comments or quotes. */
#include <stdlib.h>
#include <string.h>

#include "locate.h"
#include "tap.h"

static const char *sample =
    "package Sample;\n"
    "our $VERSION = '5.6.0';\n"
    "# sub disable_triggers { in a comment }\n"
    "=head1 EXAMPLE\n"
    "\n"
    "sub disable_triggers {\n"
    "  q{SET session_replication_role = 'replica'}\n"
    "}\n"
    "\n"
    "=cut\n"
    "\n"
    "sub disable_triggers {\n"
    "    my $n = $#list; ## don't stop at the apostrophe\n"
    "    my $r = $x =~ /'/ ? 1 : 0;\n"
    "    my %h = (q => 1, s => 2);\n"
    "    $y =~ s{a'}{b};\n"
    "    $dbh->do(q{SET session_replication_role = 'replica'}); # q{not this}\n"
    "    $dbh->do(\"say \\\"hi\\\" and \\$x\");\n"
    "    $dbh->do('it\\'s');\n"
    "}\n"
    "\n"
    "sub enable_triggers;\n"
    "__END__\n"
    "sub enable_triggers {\n"
    "}\n";

int
main(void)
{
	struct perl_source src;
	struct span body;
	struct perl_literal lit;
	struct buf text = BUF_INIT, quoted = BUF_INIT;
	struct err e = ERR_INIT;
	unsigned count;
	size_t cursor;
	char *version;
	int n;

	locate_source(&src, sample, strlen(sample));
	ok(src.code_end == (size_t)(strstr(sample, "__END__") - sample), "code ends at __END__");
	version = locate_version(&src);
	is_str(version, "5.6.0", "version read from our $VERSION");
	free(version);

	ok(locate_sub(&src, "disable_triggers", &body, &count, &e) == 0, "sub found");
	ok(count == 1, "the POD and comment copies are not counted (%u)", count);
	ok(locate_line(&src, body.start) == 12, "the code copy is found, line %u",
	    locate_line(&src, body.start));
	ok(sample[body.end - 2] == '}', "body ends at its closing brace");
	ok(locate_sub(&src, "enable_triggers", &body, &count, &e) == 0 && count == 0,
	    "forward declaration and code after __END__ are not definitions");

	locate_sub(&src, "disable_triggers", &body, &count, &e);
	cursor = body.start;
	n = locate_next_literal(&src, &cursor, body.end, &lit, &e);
	ok(n == 1 && lit.kind == LITERAL_Q && lit.open == '{',
	    "first literal is the q{} statement, past $#, a comment apostrophe, a regex, "
	    "fat-comma q and s and a substitution");
	locate_literal_text(&src, &lit, &text);
	is_str(text.data, "SET session_replication_role = 'replica'", "its text");
	ok(locate_line(&src, lit.start) == 17, "on line 17");
	n = locate_next_literal(&src, &cursor, body.end, &lit, &e);
	ok(n == 1 && lit.kind == LITERAL_DOUBLE, "the comment's q{} is skipped; next is \"...\"");
	locate_literal_text(&src, &lit, &text);
	is_str(text.data, "say \"hi\" and $x", "double-quoted escapes undone");
	n = locate_next_literal(&src, &cursor, body.end, &lit, &e);
	locate_literal_text(&src, &lit, &text);
	ok(n == 1 && lit.kind == LITERAL_SINGLE, "single-quoted literal found");
	is_str(text.data, "it's", "single-quoted escape undone");
	ok(locate_next_literal(&src, &cursor, body.end, &lit, &e) == 0, "no more literals");

	locate_literal_quote(&lit, "select f('replica');", &quoted);
	is_str(quoted.data, "select f(\\'replica\\');", "quotes escaped for ''");
	lit.kind = LITERAL_Q; lit.open = '('; lit.close = ')';
	locate_literal_quote(&lit, "select f('replica');", &quoted);
	is_str(quoted.data, "select f('replica');", "balanced parens kept as they are in q()");
	locate_literal_quote(&lit, "a ) b", &quoted);
	is_str(quoted.data, "a \\) b", "unbalanced paren escaped in q()");
	lit.kind = LITERAL_DOUBLE; lit.open = lit.close = '"';
	locate_literal_quote(&lit, "$x \"y\"", &quoted);
	is_str(quoted.data, "\\$x \\\"y\\\"", "interpolation and quotes escaped for \"\"");

	{
		const char *cut = "sub disable_triggers {\n  my $x = 1;\n";
		locate_source_release(&src);
		locate_source(&src, cut, strlen(cut));
		ok(locate_sub(&src, "disable_triggers", &body, &count, &e) == -1 &&
		    strstr(e.msg, "never closed"), "a cut-off sub is reported: %s", e.msg);
	}
	{
		const char *open = "sub x {\n  my $s = 'unterminated;\n}\n";
		locate_source_release(&src);
		locate_source(&src, open, strlen(open));
		locate_sub(&src, "x", &body, &count, &e);
		cursor = body.start;
		ok(locate_next_literal(&src, &cursor, body.end, &lit, &e) == -1 &&
		    strstr(e.msg, "unterminated"), "an unterminated string is an error: %s", e.msg);
	}
	{
		const char *crlf = "our $VERSION = '5.4.1';\r\nsub a {\r\n  q(x);\r\n}\r\n";
		locate_source_release(&src);
		locate_source(&src, crlf, strlen(crlf));
		version = locate_version(&src);
		is_str(version, "5.4.1", "version read with CRLF endings");
		free(version);
		ok(locate_sub(&src, "a", &body, &count, &e) == 0 && count == 1, "sub found with CRLF");
	}
	locate_source_release(&src);
	buf_release(&text);
	buf_release(&quoted);
	return tap_done();
}
