/* esc.c: escaping control characters and invalid UTF-8 in text from outside. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"

/*
 * The length of the valid UTF-8 sequence at p (at most n bytes), 1 for an
 * ASCII byte, 0 when p does not start one: no overlong forms, surrogates
 * or code points above U+10FFFF (RFC 3629).
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (p[i] < lo || p[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

/* U+0080 to U+009F as UTF-8: C2 80 to C2 9F. */
static int
is_c1(const unsigned char *p, size_t len)
{
	return len == 2 && p[0] == 0xc2 && p[1] <= 0x9f;
}

/*
 * The bidirectional formatting characters (Unicode UAX #9): U+061C,
 * U+200E, U+200F, U+202A to U+202E and U+2066 to U+2069. Printed raw they
 * reorder the text around them, so that a file name or a server message
 * can make a line read as something else ("Trojan Source", CVE-2021-42574).
 */
static int
is_bidi(const unsigned char *p, size_t len)
{
	if (len == 2)
		return p[0] == 0xd8 && p[1] == 0x9c;
	if (len != 3 || p[0] != 0xe2)
		return 0;
	return (p[1] == 0x80 && (p[2] == 0x8e || p[2] == 0x8f || (p[2] >= 0xaa && p[2] <= 0xae))) ||
	    (p[1] == 0x81 && p[2] >= 0xa6 && p[2] <= 0xa9);
}

/* The code point of the valid UTF-8 sequence at p, len bytes (2 or 3). */
static unsigned
utf8_code(const unsigned char *p, size_t len)
{
	return len == 2 ? (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu) :
	    (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
}

static int
put_hex(struct buf *out, unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', digits[c >> 4], digits[c & 0xf] };

	return buf_append(out, e, sizeof(e));
}

static int
put_control(struct buf *out, unsigned char c)
{
	switch (c) {
	case '\n':
		return buf_append(out, "\\n", 2);
	case '\r':
		return buf_append(out, "\\r", 2);
	case '\t':
		return buf_append(out, "\\t", 2);
	default:
		return put_hex(out, c);
	}
}

int
esc_text(struct buf *out, const char *s, size_t len, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	const unsigned char *run = p;
	size_t n;
	int multi = (flags & ESC_MULTILINE) != 0;

	/* Make sure out is a string even when nothing is appended. */
	if (buf_append(out, "", 0) == -1)
		return -1;
	while (p < end) {
		if (*p >= 0x20 && *p < 0x7f) {
			p++;
			continue;
		}
		if (multi && (*p == '\n' || *p == '\t' ||
		    (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
			p++;
			continue;
		}
		n = *p >= 0x80 ? utf8_len(p, (size_t)(end - p)) : 0;
		if (n > 0 && !is_c1(p, n) && !is_bidi(p, n)) {
			p += n;
			continue;
		}
		if (buf_append(out, run, (size_t)(p - run)) == -1)
			return -1;
		if (n == 0) {
			if (put_control(out, *p) == -1)
				return -1;
			p++;
		} else {
			for (; n > 0; n--, p++)
				if (put_hex(out, *p) == -1)
					return -1;
		}
		run = p;
	}
	return buf_append(out, run, (size_t)(p - run));
}

static int
write_all(FILE *f, const char *s, size_t len)
{
	if (len > 0 && fwrite(s, 1, len, f) != len)
		return -1;
	return 0;
}

int
esc_fprintf(FILE *f, const char *fmt, ...)
{
	struct buf out = BUF_INIT;
	va_list ap;
	char *line;
	size_t len;
	int n, rc = -1, newline;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	len = (size_t)n;
	if ((newline = len > 0 && line[len - 1] == '\n'))
		len--;
	if (esc_text(&out, line, len, 0) == 0 &&
	    (!newline || buf_append(&out, "\n", 1) == 0))
		rc = write_all(f, out.data, out.len);
	buf_release(&out);
	free(line);
	return rc;
}

int
esc_fputs_multiline(FILE *f, const char *s)
{
	struct buf out = BUF_INIT;
	int rc = -1;

	if (esc_text(&out, s, strlen(s), ESC_MULTILINE) == 0)
		rc = write_all(f, out.data, out.len);
	buf_release(&out);
	return rc;
}

static int
put_u(struct buf *out, unsigned code)
{
	return buf_printf(out, "\\u%04x", code);
}

int
esc_json(struct buf *out, const char *serialized)
{
	const unsigned char *p = (const unsigned char *)serialized, *run = p;
	const unsigned char *end = p + strlen(serialized);
	size_t n;
	int in_string = 0, rc;

	if (buf_append(out, "", 0) == -1)
		return -1;
	while (p < end) {
		if (!in_string) {
			if (*p == '"')
				in_string = 1;
			p++;
			continue;
		}
		if (*p == '"') {
			in_string = 0;
			p++;
			continue;
		}
		if (*p == '\\') {
			/* An escape json-c wrote: the byte after it is ASCII. */
			p += p + 1 < end ? 2 : 1;
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			p++;
			continue;
		}
		n = *p >= 0x80 ? utf8_len(p, (size_t)(end - p)) : 0;
		if (n > 0 && !is_c1(p, n) && !is_bidi(p, n)) {
			p += n;
			continue;
		}
		if (buf_append(out, run, (size_t)(p - run)) == -1)
			return -1;
		if (n > 0)
			rc = put_u(out, utf8_code(p, n));	/* C1 or bidi: same string */
		else if (*p < 0x80)
			rc = put_u(out, *p);	/* DEL, or a C0 control json-c let by */
		else
			rc = put_u(out, 0xfffdu);
		if (rc == -1)
			return -1;
		p += n > 0 ? n : 1;
		run = p;
	}
	return buf_append(out, run, (size_t)(p - run));
}
