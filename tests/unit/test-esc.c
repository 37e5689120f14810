/* test-esc.c: unit tests for esc.c, control characters and invalid UTF-8 made visible. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "tap.h"

/* esc_text on the len bytes at s; a static result, valid until the next call. */
static const char *
escaped(const char *s, size_t len, unsigned flags)
{
	static struct buf out = BUF_INIT;

	buf_reset(&out);
	must(esc_text(&out, s, len, flags));
	return out.data;
}

#define ESC1(lit)	escaped(lit, sizeof(lit) - 1, 0)
#define ESCM(lit)	escaped(lit, sizeof(lit) - 1, ESC_MULTILINE)

/* What a call writing to a FILE wrote, for the caller to free. */
static char *
captured(int (*fn)(FILE *, const char *), const char *arg)
{
	char *data = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&data, &size);

	if (f == NULL)
		exit(1);
	ok(fn(f, arg) == 0, "writing %zu bytes succeeds", strlen(arg));
	fclose(f);
	return data;
}

static int
fprintf_line(FILE *f, const char *arg)
{
	return esc_fprintf(f, "path %s: %d\n", arg, 7);
}

static int
fprintf_bare(FILE *f, const char *arg)
{
	return esc_fprintf(f, "%s", arg);
}

/* Whether the len bytes at s hold a byte below 0x20 other than those in allowed, or DEL. */
static int
has_raw_control(const char *s, size_t len, const char *allowed)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && strchr(allowed, c) == NULL) || c == 0x7f)
			return 1;
		if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

static void
test_one_line(void)
{
	is_str(ESC1("plain /usr/share/perl5/Bucardo.pm"), "plain /usr/share/perl5/Bucardo.pm",
	    "printable ASCII is copied unchanged");
	is_str(ESC1("a\\b \"q\" 'x'"), "a\\b \"q\" 'x'", "backslashes and quotes are kept");
	is_str(ESC1("\033[2J\033[Hready"), "\\x1b[2J\\x1b[Hready",
	    "ESC sequences (clear screen, home) become \\x1b");
	is_str(ESC1("\033]0;title\007"), "\\x1b]0;title\\x07",
	    "an OSC title sequence and BEL");
	is_str(ESC1("\xc2\x9b" "2J"), "\\xc2\\x9b2J",
	    "CSI as a C1 control (U+009B) is escaped");
	is_str(ESC1("\xc2\x80|\xc2\x9f"), "\\xc2\\x80|\\xc2\\x9f",
	    "U+0080 and U+009F, the C1 ends");
	is_str(ESC1("\xc2\xa0|\xc2\xa9"), "\xc2\xa0|\xc2\xa9",
	    "U+00A0 and U+00A9 are not C1: kept");
	is_str(ESC1("del\x7f"), "del\\x7f", "DEL is escaped");
	is_str(ESC1("a\0b"), "a\\x00b", "a NUL inside the length is escaped, not the end");
	is_str(ESC1("\x01\x1f"), "\\x01\\x1f", "other C0 controls as \\xHH");
	is_str(ESC1("a\nb\rc\td"), "a\\nb\\rc\\td", "newline, CR and tab in one-line mode");
	is_str(ESC1("\r\n"), "\\r\\n", "CRLF is escaped in one-line mode");
	is_str(ESC1("caf\xc3\xa9 \xe2\x82\xac \xe2\x80\x94 \xf0\x9f\x98\x80 \xe6\x97\xa5"),
	    "caf\xc3\xa9 \xe2\x82\xac \xe2\x80\x94 \xf0\x9f\x98\x80 \xe6\x97\xa5",
	    "valid 2, 3 and 4 byte UTF-8 is kept");
	is_str(ESC1("evil\xe2\x80\xaemp.pm"), "evil\\xe2\\x80\\xaemp.pm",
	    "U+202E (right-to-left override) is escaped: it would reorder the line");
	is_str(ESC1("\xe2\x80\xaa\xe2\x80\x8e\xe2\x80\x8f\xe2\x81\xa6\xe2\x81\xa9\xd8\x9c"),
	    "\\xe2\\x80\\xaa\\xe2\\x80\\x8e\\xe2\\x80\\x8f\\xe2\\x81\\xa6\\xe2\\x81\\xa9\\xd8\\x9c",
	    "every bidirectional formatting character: U+202A, U+200E, U+200F, U+2066, U+2069, U+061C");
	is_str(ESC1("\xe2\x80\xa9|\xe2\x80\xaf|\xe2\x81\xa5|\xe2\x81\xaa|\xd8\x9b"),
	    "\xe2\x80\xa9|\xe2\x80\xaf|\xe2\x81\xa5|\xe2\x81\xaa|\xd8\x9b",
	    "their neighbours (U+2029, U+202F, U+2065, U+206A, U+061B) are kept");
	is_str(ESC1("\xff"), "\\xff", "0xff is never UTF-8");
	is_str(ESC1("x\x80y"), "x\\x80y", "a lone continuation byte");
	is_str(ESC1("\xe2\x82"), "\\xe2\\x82", "a sequence cut short at the end");
	is_str(ESC1("\xe2\x82z"), "\\xe2\\x82z", "a sequence cut short by ASCII");
	is_str(ESC1("\xc0\xaf"), "\\xc0\\xaf", "an overlong '/'");
	is_str(ESC1("\xe0\x80\xaf"), "\\xe0\\x80\\xaf", "an overlong 3-byte form");
	is_str(ESC1("\xed\xa0\x80"), "\\xed\\xa0\\x80", "a UTF-16 surrogate");
	is_str(ESC1("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80", "above U+10FFFF");
	is_str(ESC1("\xf4\x8f\xbf\xbf"), "\xf4\x8f\xbf\xbf", "U+10FFFF itself is kept");
	is_str(ESC1("\xc3\xc3\xa9"), "\\xc3\xc3\xa9", "a bad lead byte, then a valid pair");
	is_str(ESC1(""), "", "the empty string");
}

static void
test_multiline(void)
{
	is_str(ESCM("-a\n+b\tc\n"), "-a\n+b\tc\n", "multiline keeps newlines and tabs");
	is_str(ESCM("dos\r\nline\r\n"), "dos\r\nline\r\n", "multiline keeps CRLF");
	is_str(ESCM("over\rwrite\n"), "over\\rwrite\n", "a lone CR is escaped");
	is_str(ESCM("end\r"), "end\\r", "a CR at the very end is escaped");
	is_str(ESCM("\r\r\n"), "\\r\r\n", "only the CR just before LF is kept");
	is_str(ESCM("+\033[2J\033[Hready\n"), "+\\x1b[2J\\x1b[Hready\n",
	    "multiline still escapes ESC");
	is_str(ESCM("\xc2\x9b\x7f\x0b\x0c"), "\\xc2\\x9b\\x7f\\x0b\\x0c",
	    "multiline escapes C1, DEL, VT and FF");
	is_str(ESCM("x\0y\n"), "x\\x00y\n", "multiline escapes NUL");
}

static void
test_fprintf(void)
{
	char *s;

	s = captured(fprintf_line, "/tmp/evil\033[2J\nready");
	is_str(s, "path /tmp/evil\\x1b[2J\\nready: 7\n",
	    "esc_fprintf escapes an argument and keeps the final newline");
	free(s);
	s = captured(fprintf_line, "/usr/share/perl5/Bucardo.pm");
	is_str(s, "path /usr/share/perl5/Bucardo.pm: 7\n", "ordinary text is byte-identical");
	free(s);
	s = captured(fprintf_bare, "two\n\n");
	is_str(s, "two\\n\n", "only one trailing newline is kept");
	free(s);
	s = captured(fprintf_bare, "no newline\r");
	is_str(s, "no newline\\r", "no newline added when there is none");
	free(s);
	s = captured(fprintf_bare, "");
	is_str(s, "", "an empty line writes nothing");
	free(s);
	s = captured(esc_fputs_multiline, "@@ -1 +1 @@\n-a\r\n+b\033[31m\n");
	is_str(s, "@@ -1 +1 @@\n-a\r\n+b\\x1b[31m\n", "esc_fputs_multiline for diffs");
	free(s);
}

static const char *
json_escaped(const char *serialized)
{
	static struct buf out = BUF_INIT;

	buf_reset(&out);
	must(esc_json(&out, serialized));
	return out.data;
}

/* Whether all of s is valid UTF-8 (the decoder of esc.c is not used to check itself). */
static int
valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned cp, n, i;

	while (*p) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			n = 1;
			cp = *p & 0x1f;
		} else if ((*p & 0xf0) == 0xe0) {
			n = 2;
			cp = *p & 0x0f;
		} else if ((*p & 0xf8) == 0xf0) {
			n = 3;
			cp = *p & 0x07;
		} else
			return 0;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n + 1;
	}
	return 1;
}

/*
 * Serialize {"k": value} with json-c as report_emit_json does, pass it
 * through esc_json, check the text is clean, and decode it again.
 */
static void
round_trip(const char *value, const char *want, const char *name)
{
	json_object *doc = json_object_new_object(), *back, *v;
	const char *text, *out;

	json_object_object_add(doc, "k", json_object_new_string(value));
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	out = json_escaped(text);
	ok(!has_raw_control(out, strlen(out), "\n"), "%s: no raw control byte", name);
	ok(valid_utf8(out), "%s: valid UTF-8", name);
	back = json_tokener_parse(out);
	ok(back != NULL && json_object_object_get_ex(back, "k", &v) &&
	    json_object_is_type(v, json_type_string), "%s: parses back", name);
	if (back != NULL && json_object_object_get_ex(back, "k", &v))
		is_str(json_object_get_string(v), want, "%s: decodes to the same string",
		    name);
	else
		ok(0, "%s: decodes to the same string", name);
	json_object_put(back);
	json_object_put(doc);
}

static void
test_json(void)
{
	is_str(json_escaped("{ \"a\": [ 1, true, null ] }"), "{ \"a\": [ 1, true, null ] }",
	    "outside strings nothing changes");
	is_str(json_escaped("\"a\x7f" "b\""), "\"a\\u007fb\"", "DEL becomes \\u007f");
	is_str(json_escaped("\"\xc2\x9b" "2J\xc2\x80\""), "\"\\u009b2J\\u0080\"",
	    "C1 controls become \\u0080..\\u009f");
	is_str(json_escaped("\"a\xe2\x80\xae" "b\xe2\x81\xa6\xd8\x9c\""), "\"a\\u202eb\\u2066\\u061c\"",
	    "bidirectional formatting characters become their \\uXXXX");
	is_str(json_escaped("\"\xff\xc0\xaf\""), "\"\\ufffd\\ufffd\\ufffd\"",
	    "each invalid byte becomes \\ufffd");
	is_str(json_escaped("\"\\\"\x7f\\\\\" \"\x7f\""), "\"\\\"\\u007f\\\\\" \"\\u007f\"",
	    "escaped quotes and backslashes keep track of the string");
	is_str(json_escaped("\"caf\xc3\xa9 \xf0\x9f\x98\x80\""),
	    "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "valid UTF-8 in strings is kept");
	is_str(json_escaped("\"\\u001b[2J\""), "\"\\u001b[2J\"",
	    "json-c's own escapes are kept");
	is_str(json_escaped("\"\x1b\""), "\"\\u001b\"", "a raw C0 control is escaped too");

	round_trip("\033[2J\033[Hready", "\033[2J\033[Hready", "ESC");
	round_trip("a\x7f" "b", "a\x7f" "b", "DEL");
	round_trip("\xc2\x9b" "2J\xc2\x85\xc2\x9f", "\xc2\x9b" "2J\xc2\x85\xc2\x9f", "C1");
	round_trip("line\nnext\r\n\ttab", "line\nnext\r\n\ttab", "newlines and tabs");
	round_trip("caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80",
	    "caf\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x98\x80", "valid UTF-8");
	round_trip("bad\xff" "end", "bad\xef\xbf\xbd" "end", "invalid UTF-8 to U+FFFD");
	round_trip("q\"\\/x", "q\"\\/x", "quote, backslash, slash");
	round_trip("gnp.\xe2\x80\xae" "exe", "gnp.\xe2\x80\xae" "exe", "right-to-left override");
}

int
main(void)
{
	test_one_line();
	test_multiline();
	test_fprintf();
	test_json();
	return tap_done();
}
