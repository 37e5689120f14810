/* locate.c: subs, string literals and $VERSION in Perl source, by pattern and by lexing. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "locate.h"

/*
 * This is not a Perl parser, and does not need to be: Bucardo.pm is
 * written in one house style. It knows enough of Perl's lexical structure
 * (POD, comments, the quote forms, regex literals) to tell a statement
 * from a comment or a POD example. Anything it cannot follow makes the
 * file unsupported, never silently rewritten.
 */

static int
is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Is offset at the start of a line? */
static int
at_line_start(const char *text, size_t offset)
{
	return offset == 0 || text[offset - 1] == '\n';
}

static size_t
line_end(const struct perl_source *src, size_t offset)
{
	const char *nl = memchr(src->text + offset, '\n', src->len - offset);

	return nl != NULL ? (size_t)(nl - src->text) + 1 : src->len;
}

/* A POD block starts with '=' and a letter at the start of a line. */
static int
pod_starts(const struct perl_source *src, size_t offset)
{
	return at_line_start(src->text, offset) && offset + 1 < src->len &&
	    src->text[offset] == '=' && isalpha((unsigned char)src->text[offset + 1]);
}

/* Offset just past the POD block starting at offset (its =cut line included). */
static size_t
pod_skip(const struct perl_source *src, size_t offset)
{
	while (offset < src->len) {
		size_t next = line_end(src, offset);

		if (src->len - offset >= 4 && memcmp(src->text + offset, "=cut", 4) == 0 &&
		    (offset + 4 == src->len || !isalnum((unsigned char)src->text[offset + 4])))
			return next;
		offset = next;
	}
	return src->len;
}

/* Is offset inside POD? A binary search of the blocks mapped by locate_source. */
static int
in_pod(const struct perl_source *src, size_t offset)
{
	size_t lo = 0, hi = src->npods;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (offset < src->pods[mid].start)
			hi = mid;
		else if (offset >= src->pods[mid].end)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

/*
 * What scan_matches does with each match: ov holds the match (ov[0],
 * ov[1]) and its groups; *next is where the search goes on, the match's
 * end (one past an empty match) unless changed. Returns 0 to go on, 1 to
 * stop there, -1 on failure with e set.
 */
typedef int	match_fn(const struct perl_source *src, const PCRE2_SIZE *ov, void *arg,
		    size_t *next, struct err *e);

/*
 * The one way this file searches a module: pattern, compiled with
 * PCRE2_MULTILINE, is run over src->text[start, limit), and each match
 * outside POD goes to found. With jit it is JIT-compiled first: that pays
 * for the scans that run through the whole file, not for the $VERSION
 * line near its top (measured on the real module). Returns 1 when found
 * stopped the search, 0 when there are no more matches, -1 with e set
 * when found fails or PCRE2 does: PCRE2's message, never "not found".
 */
static int
scan_matches(const struct perl_source *src, const char *pattern, int jit, size_t start,
    size_t limit, match_fn *found, void *arg, struct err *e)
{
	pcre2_code *code;
	pcre2_match_data *md = NULL;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE erroff, *ov;
	size_t next;
	int errcode, rc = 0, got;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_MULTILINE,
	    &errcode, &erroff, NULL);
	if (code == NULL) {
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", errcode);
		return err_set(e, NULL, "cannot compile the pattern %s at offset %zu: %s",
		    pattern, (size_t)erroff, (const char *)msg);
	}
	/* Where JIT is not available (PCRE2 built without it), the interpreter matches the same. */
	if (jit)
		pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	if ((md = pcre2_match_data_create_from_pattern(code, NULL)) == NULL) {
		rc = err_sys(e, NULL, "cannot search for %s", pattern);
		goto cleanup;
	}
	while (start < limit) {
		got = pcre2_match(code, (PCRE2_SPTR)src->text, limit, start, 0, md, NULL);
		if (got == PCRE2_ERROR_NOMATCH)
			break;
		if (got < 0) {
			if (pcre2_get_error_message(got, msg, sizeof(msg)) < 0)
				snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", got);
			rc = err_set(e, NULL, "cannot search for %s from line %u: %s", pattern,
			    locate_line(src, start), (const char *)msg);
			break;
		}
		ov = pcre2_get_ovector_pointer(md);
		next = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
		if (!in_pod(src, ov[0]) && (rc = found(src, ov, arg, &next, e)) != 0)
			break;
		start = next;
	}
cleanup:
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return rc;
}

/* match_fn: the first match's offset into *(size_t *)arg. */
static int
first_match(const struct perl_source *src, const PCRE2_SIZE *ov, void *arg, size_t *next,
    struct err *e)
{
	*(size_t *)arg = ov[0];
	return 1;
}

/*
 * The offset of the first line matching pattern at or after start, outside
 * POD, into *at. 1 when found, 0 when not, -1 when PCRE2 fails (e set).
 */
static int
find_line(const struct perl_source *src, const char *pattern, size_t start, size_t limit,
    size_t *at, struct err *e)
{
	return scan_matches(src, pattern, 1, start, limit, first_match, at, e);
}

/* What locate_source's scans fill: the source being prepared, and its arrays' room. */
struct filling {
	struct perl_source	*src;
	size_t			 cap;
};

/* match_fn: a POD block starts here; the search goes on past its =cut. */
static int
add_pod(const struct perl_source *src, const PCRE2_SIZE *ov, void *arg, size_t *next,
    struct err *e)
{
	struct filling *f = arg;
	struct span *grown;

	if (f->src->npods == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		if ((grown = reallocarray(f->src->pods, f->cap, sizeof(*grown))) == NULL)
			return err_sys(e, NULL, "out of memory");
		f->src->pods = grown;
	}
	*next = pod_skip(src, ov[0]);
	f->src->pods[f->src->npods++] = (struct span){ ov[0], *next };
	return 0;
}

/* match_fn: a `sub NAME` line in code, for locate_sub. */
static int
add_sub(const struct perl_source *src, const PCRE2_SIZE *ov, void *arg, size_t *next,
    struct err *e)
{
	struct filling *f = arg;
	struct sub_line *grown;

	if (f->src->nsubs == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		if ((grown = reallocarray(f->src->subs, f->cap, sizeof(*grown))) == NULL)
			return err_sys(e, NULL, "out of memory");
		f->src->subs = grown;
	}
	f->src->subs[f->src->nsubs++] = (struct sub_line){ ov[0], ov[2], ov[3] - ov[2],
	    ov[4] != PCRE2_UNSET };
	return 0;
}

/* match_fn: `our $VERSION = '...'`, where its value is kept in the source. */
static int
set_version(const struct perl_source *src, const PCRE2_SIZE *ov, void *arg, size_t *next,
    struct err *e)
{
	struct filling *f = arg;

	f->src->version = ov[2];
	f->src->version_len = ov[3] - ov[2];
	return 1;
}

int
locate_source(struct perl_source *src, const char *text, size_t len)
{
	struct filling f = { src, 0 };
	size_t end;
	int got;

	src->text = text;
	src->len = len;
	src->code_end = len;
	src->pods = NULL;
	src->npods = 0;
	src->subs = NULL;
	src->nsubs = 0;
	src->version = SIZE_MAX;
	src->version_len = 0;
	src->why = (struct err)ERR_INIT;
	/*
	 * Only a line starting with '=' and a letter can open POD; PCRE2's
	 * JIT scans for those far faster than walking the file line by line.
	 */
	if (scan_matches(src, "^=[A-Za-z]", 1, 0, len, add_pod, &f, &src->why) == -1)
		goto fail;
	if ((got = find_line(src, "^__(?:END|DATA)__[ \\t\\r]*$", 0, len, &end, &src->why)) == -1)
		goto fail;
	if (got == 1)
		src->code_end = end;
	f.cap = 0;
	if (scan_matches(src, "^sub[ \\t]+(\\w+)\\b([ \\t]*;)?", 1, 0, src->code_end, add_sub, &f,
	    &src->why) == -1 ||
	    scan_matches(src, "^[ \\t]*our[ \\t]+\\$VERSION[ \\t]*=[ \\t]*['\"]"
	    "([^'\"\\x00-\\x1f\\x7f]{1,64})['\"]", 0, 0, src->code_end, set_version, &f,
	    &src->why) == -1)
		goto fail;
	return 0;
fail:
	locate_source_release(src);
	return -1;
}

void
locate_source_release(struct perl_source *src)
{
	free(src->pods);
	src->pods = NULL;
	src->npods = 0;
	free(src->subs);
	src->subs = NULL;
	src->nsubs = 0;
}

unsigned
locate_line(const struct perl_source *src, size_t offset)
{
	unsigned line = 1;
	const char *p = src->text, *end = src->text + (offset < src->len ? offset : src->len);

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p++;
	}
	return line;
}

int
locate_sub(const struct perl_source *src, const char *name, struct span *body,
    unsigned *count, struct err *e)
{
	size_t i, n = strlen(name), after;
	const struct sub_line *first = NULL;
	size_t close = 0;
	int got;

	*count = 0;
	body->start = body->end = 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!is_word(name[i]))
			break;
	if (i == 0 || name[i] != '\0' || n > 128)
		return err_set(e, NULL, "cannot search for sub %.100s: not a short Perl name", name);
	/* A definition, not a forward declaration (`sub NAME;`). */
	for (i = 0; i < src->nsubs; i++) {
		const struct sub_line *l = &src->subs[i];

		if (l->declaration || l->name_len != n ||
		    memcmp(src->text + l->name, name, n) != 0)
			continue;
		if (++*count == 1)
			first = l;
	}
	if (first == NULL)
		return 0;
	body->start = first->start;

	/* House style: a sub ends with the first `}` at the start of a line. */
	if ((got = find_line(src, "^\\}", body->start, src->code_end, &close, e)) == -1) {
		err_hint(e, "looking for the end of sub %s (line %u)", name,
		    locate_line(src, body->start));
		return -1;
	}
	after = line_end(src, body->start);
	for (i = (size_t)(first - src->subs) + 1; i < src->nsubs; i++)
		if (src->subs[i].start >= after)
			break;
	if (got == 0 || (i < src->nsubs && src->subs[i].start < close))
		return err_set(e, NULL, "sub %s (line %u) is never closed: the file is cut off "
		    "or not in Bucardo's layout", name, locate_line(src, body->start));
	body->end = line_end(src, close);
	return 0;
}

/* Closing delimiter for an opening one (brackets pair, others close themselves). */
static char
closing_of(char open)
{
	switch (open) {
	case '{': return '}';
	case '(': return ')';
	case '[': return ']';
	case '<': return '>';
	default: return open;
	}
}

/*
 * Offset of the delimiter closing a body that starts at p, opened by open;
 * nested brackets of the same kind count, a backslash escapes. -1 if none
 * before limit.
 */
static long
find_close(const char *text, size_t p, size_t limit, char open)
{
	char close = closing_of(open);
	int depth = 0;

	for (; p < limit; p++) {
		char c = text[p];

		if (c == '\\') {
			p++;
			continue;
		}
		if (c == close && depth == 0)
			return (long)p;
		if (open != close) {
			if (c == open)
				depth++;
			else if (c == close)
				depth--;
		}
	}
	return -1;
}

/* The last non-blank byte before p, or '\0'. */
static char
previous_nonblank(const char *text, size_t p, size_t floor)
{
	while (p > floor) {
		p--;
		if (!isspace((unsigned char)text[p]))
			return text[p];
	}
	return '\0';
}

/*
 * A word is a quote operator only where Perl would read it as one: not a
 * variable name ($q), a method (->q), a hash key (q => or {q}), or a file
 * test (-s); and followed by a delimiter it accepts.
 */
static int
quote_operator(const char *text, size_t word, size_t after, size_t limit, size_t *delim)
{
	size_t p = after;
	char before = word > 0 ? text[word - 1] : '\0';

	if (before == '$' || before == '@' || before == '%' || before == '&' ||
	    before == '*' || before == '-' || before == '>' || before == ':' || is_word(before))
		return 0;
	while (p < limit && (text[p] == ' ' || text[p] == '\t'))
		p++;
	if (p >= limit)
		return 0;
	if (text[p] == '#' && p > after)
		return 0;	/* `q #`: with blanks before it, '#' starts a comment */
	if (text[p] == '=' && p + 1 < limit && text[p + 1] == '>')
		return 0;
	if (is_word(text[p]) || isspace((unsigned char)text[p]) || text[p] == ',' ||
	    text[p] == ';' || text[p] == ')' || text[p] == '}' || text[p] == ']' ||
	    text[p] == '>' || text[p] == '=')
		return 0;
	*delim = p;
	return 1;
}

/* Does a '/' at p start a regex literal rather than a division? */
static int
regex_slash(const char *text, size_t p, size_t floor)
{
	char prev = previous_nonblank(text, p, floor);

	return prev == '\0' || strchr("(,=~!{;&|?:", prev) != NULL;
}

/*
 * The scanner under locate_next_literal and locate_enclosing: the next
 * string literal at or after *cursor (returns 1), or with punct set, the
 * next '{', '}' or ';' of code (returns 2, *at its offset), whichever comes
 * first; comments, POD, regexes and other quote operators are skipped.
 * 0 at limit, -1 when a literal is not closed (e set).
 */
static int
scan_code(const struct perl_source *src, size_t *cursor, size_t limit, int punct,
    struct perl_literal *lit, size_t *at, struct err *e)
{
	const char *t = src->text;
	size_t p = *cursor, floor = *cursor;
	long close;

	if (limit > src->code_end)
		limit = src->code_end;
	while (p < limit) {
		char c = t[p];

		if (pod_starts(src, p)) {
			p = pod_skip(src, p);
			continue;
		}
		if (c == '#') {
			if (p > 0 && t[p - 1] == '$') {	/* $#array, $#{...} */
				p++;
				continue;
			}
			p = line_end(src, p);
			continue;
		}
		if (c == '\\') {
			p += 2;
			continue;
		}
		if (c == '\'' || c == '"') {
			if ((close = find_close(t, p + 1, limit, c)) < 0)
				return err_set(e, NULL, "unterminated string starting at line %u",
				    locate_line(src, p));
			lit->kind = c == '\'' ? LITERAL_SINGLE : LITERAL_DOUBLE;
			lit->start = p;
			lit->body_start = p + 1;
			lit->body_end = (size_t)close;
			lit->open = lit->close = c;
			*cursor = (size_t)close + 1;
			return 1;
		}
		if (c == '/' && regex_slash(t, p, floor)) {
			if ((close = find_close(t, p + 1, limit, '/')) < 0)
				return err_set(e, NULL, "unterminated pattern starting at line %u",
				    locate_line(src, p));
			p = (size_t)close + 1;
			continue;
		}
		if (is_word(c) && (p == 0 || !is_word(t[p - 1]))) {
			size_t w = p, end = p, d;
			int parts;

			while (end < limit && is_word(t[end]))
				end++;
			p = end;
			if (end - w == 1 && strchr("qmsy", t[w]) != NULL)
				parts = t[w] == 's' || t[w] == 'y' ? 2 : 1;
			else if (end - w == 2 && (memcmp(t + w, "qq", 2) == 0 ||
			    memcmp(t + w, "qw", 2) == 0 || memcmp(t + w, "qr", 2) == 0))
				parts = 1;
			else if (end - w == 2 && memcmp(t + w, "tr", 2) == 0)
				parts = 2;
			else
				continue;
			if (!quote_operator(t, w, end, limit, &d))
				continue;
			if ((close = find_close(t, d + 1, limit, t[d])) < 0)
				return err_set(e, NULL, "unterminated quote starting at line %u",
				    locate_line(src, w));
			if (t[w] == 'q' && (end - w == 1 || t[w + 1] == 'q')) {
				lit->kind = end - w == 1 ? LITERAL_Q : LITERAL_QQ;
				lit->start = w;
				lit->body_start = d + 1;
				lit->body_end = (size_t)close;
				lit->open = t[d];
				lit->close = closing_of(t[d]);
				*cursor = (size_t)close + 1;
				return 1;
			}
			p = (size_t)close + 1;
			if (parts == 2) {
				/* s{..}{..} takes a fresh delimiter; s/../../ reuses it. */
				if (closing_of(t[d]) != t[d]) {
					while (p < limit && isspace((unsigned char)t[p]))
						p++;
					if (p >= limit || (close = find_close(t, p + 1, limit, t[p])) < 0)
						return err_set(e, NULL, "unterminated substitution at line %u",
						    locate_line(src, w));
				} else if ((close = find_close(t, p, limit, t[d])) < 0)
					return err_set(e, NULL, "unterminated substitution at line %u",
					    locate_line(src, w));
				p = (size_t)close + 1;
			}
			continue;
		}
		if (punct && (c == '{' || c == '}' || c == ';')) {
			*at = p;
			*cursor = p + 1;
			return 2;
		}
		p++;
	}
	*cursor = limit;
	return 0;
}

int
locate_next_literal(const struct perl_source *src, size_t *cursor, size_t limit,
    struct perl_literal *lit, struct err *e)
{
	size_t at;

	return scan_code(src, cursor, limit, 0, lit, &at, e);
}

/* Append text[from, to) to out with comments dropped and blanks folded to one space. */
static int
header_text(struct buf *out, const char *text, size_t from, size_t to)
{
	size_t p;
	int space = 0;

	for (p = from; p < to; p++) {
		if (text[p] == '#' && (p == from || text[p - 1] != '$')) {
			while (p < to && text[p] != '\n')
				p++;
			space = 1;
			continue;
		}
		if (isspace((unsigned char)text[p])) {
			space = 1;
			continue;
		}
		if (space && out->len > 0 && buf_puts(out, " ") == -1)
			return -1;
		space = 0;
		if (buf_append(out, text + p, 1) == -1)
			return -1;
	}
	return buf_append(out, "", 0);
}

/*
 * Does a '{' whose statement so far reads header open a block of code
 * (a control structure, a bare or labelled block, a sub, do, eval, or a
 * map/grep/sort block), rather than a subscript, a dereference or an
 * anonymous hash?
 */
static int
opens_block(const char *header)
{
	static const char *const words[] = { "else", "do", "eval", "BEGIN", "END", "map", "grep",
	    "sort", "continue", NULL };
	size_t n = strlen(header), i, w;

	if (n == 0 || header[n - 1] == ')')
		return 1;
	if (header[n - 1] == ':' && (n < 2 || header[n - 2] != ':'))
		return 1;	/* LABEL: */
	for (w = n; w > 0 && (isalnum((unsigned char)header[w - 1]) || header[w - 1] == '_'); w--)
		;
	if (w > 0 && header[w - 1] != ' ')
		return 0;	/* $x->{, %{, ${, @{ and the like */
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(header + w, words[i]) == 0)
			return 1;
	return strncmp(header, "sub ", 4) == 0;
}

/*
 * The statement around lit, from its start to the ';' that ends it (or the
 * '}' that closes its block), with lit itself written as STRING: what a
 * statement modifier (`... if $x;`) or a changed call would show in.
 */
static int
statement_text(const struct perl_source *src, const struct span *body, size_t start,
    const struct perl_literal *lit, struct buf *out, struct err *e)
{
	struct perl_literal other;
	size_t cursor = lit->body_end + 1, at, depth = 0, end = body->end;
	int got;

	buf_reset(out);
	while ((got = scan_code(src, &cursor, body->end, 1, &other, &at, e)) > 0) {
		char c = src->text[at];

		if (got == 1)
			continue;	/* a literal in the statement: skipped whole */
		if (c == '{')
			depth++;
		else if (c == '}' && depth-- == 0) {
			end = at;
			break;
		} else if (c == ';' && depth == 0) {
			end = at + 1;
			break;
		}
	}
	if (got == -1)
		return -1;
	if (header_text(out, src->text, start, lit->start) == -1 ||
	    buf_puts(out, out->len > 0 && src->text[lit->start - 1] == ' ' ? " STRING" : "STRING") == -1)
		return -1;
	/* The tail's first blank, if any, survives header_text's folding as one space. */
	if (lit->body_end + 1 < end && isspace((unsigned char)src->text[lit->body_end + 1]) &&
	    buf_puts(out, " ") == -1)
		return -1;
	{
		struct buf tail = BUF_INIT;
		int rc = header_text(&tail, src->text, lit->body_end + 1, end);

		if (rc == 0 && tail.len > 0)
			rc = buf_puts(out, tail.data);
		buf_release(&tail);
		return rc;
	}
}

int
locate_enclosing(const struct perl_source *src, const struct span *body,
    const struct perl_literal *at_lit, struct buf *chain, struct buf *statement, struct err *e)
{
	size_t offset = at_lit->start;
	struct block { int code; size_t header, brace; } *stack = NULL, *grown;
	struct perl_literal lit;
	struct buf head = BUF_INIT;
	size_t cursor = body->start, boundary = body->start, at, depth = 0, cap = 0, i;
	int got, rc = -1, first = 1;

	buf_reset(chain);
	while (cursor < offset && (got = scan_code(src, &cursor, offset, 1, &lit, &at, e)) != 0) {
		if (got == -1)
			goto cleanup;
		if (got == 1)
			continue;
		if (src->text[at] == ';') {
			boundary = at + 1;
			continue;
		}
		if (src->text[at] == '}') {
			if (depth > 0 && stack[--depth].code)
				boundary = at + 1;
			continue;
		}
		if (depth == cap) {
			cap = cap ? cap * 2 : 16;
			if ((grown = reallocarray(stack, cap, sizeof(*stack))) == NULL) {
				err_sys(e, NULL, "out of memory");
				goto cleanup;
			}
			stack = grown;
		}
		buf_reset(&head);
		if (header_text(&head, src->text, boundary, at) == -1) {
			err_sys(e, NULL, "out of memory");
			goto cleanup;
		}
		stack[depth].code = opens_block(head.data);
		stack[depth].header = boundary;
		stack[depth].brace = at;
		if (stack[depth++].code)
			boundary = at + 1;
	}
	/* The chain of code blocks still open at offset, the sub's own excluded. */
	for (i = 1; i < depth; i++) {
		if (!stack[i].code)
			continue;
		buf_reset(&head);
		if (header_text(&head, src->text, stack[i].header, stack[i].brace) == -1 ||
		    (!first && buf_puts(chain, " / ") == -1) ||
		    buf_puts(chain, head.data) == -1) {
			err_sys(e, NULL, "out of memory");
			goto cleanup;
		}
		first = 0;
	}
	if (buf_append(chain, "", 0) == -1 ||
	    statement_text(src, body, boundary, at_lit, statement, e) == -1) {
		err_sys(e, NULL, "out of memory");
		goto cleanup;
	}
	rc = 0;
cleanup:
	free(stack);
	buf_release(&head);
	return rc;
}

int
locate_literal_text(const struct perl_source *src, const struct perl_literal *lit,
    struct buf *out)
{
	const char *t = src->text;
	size_t p;
	int interpolating = lit->kind == LITERAL_DOUBLE || lit->kind == LITERAL_QQ;

	buf_reset(out);
	for (p = lit->body_start; p < lit->body_end; p++) {
		char c = t[p];

		if (c == '\\' && p + 1 < lit->body_end) {
			char n = t[p + 1];

			if (n == '\\' || n == lit->open || n == lit->close) {
				c = n;
				p++;
			} else if (interpolating) {
				p++;
				switch (n) {
				case 'n': c = '\n'; break;
				case 't': c = '\t'; break;
				case 'r': c = '\r'; break;
				default: c = n; break;
				}
			}
		}
		if (buf_append(out, &c, 1) == -1)
			return -1;
	}
	if (out->data == NULL && buf_append(out, "", 0) == -1)
		return -1;
	return 0;
}

/* Do the brackets of this pair balance in s? Then a q() body needs no escapes. */
static int
balanced(const char *s, char open, char close)
{
	int depth = 0;

	for (; *s != '\0'; s++) {
		if (*s == open)
			depth++;
		else if (*s == close && --depth < 0)
			return 0;
	}
	return depth == 0;
}

int
locate_literal_quote(const struct perl_literal *lit, const char *sql, struct buf *out)
{
	int interpolating = lit->kind == LITERAL_DOUBLE || lit->kind == LITERAL_QQ;
	int escape_delims = lit->open == lit->close || !balanced(sql, lit->open, lit->close);
	const char *s;

	buf_reset(out);
	for (s = sql; *s != '\0'; s++) {
		int esc = *s == '\\' ||
		    (escape_delims && (*s == lit->open || *s == lit->close)) ||
		    (interpolating && (*s == '$' || *s == '@'));

		if ((esc && buf_append(out, "\\", 1) == -1) || buf_append(out, s, 1) == -1)
			return -1;
	}
	if (out->data == NULL && buf_append(out, "", 0) == -1)
		return -1;
	return 0;
}

char *
locate_version(const struct perl_source *src)
{
	if (src->version == SIZE_MAX)
		return NULL;
	return strndup(src->text + src->version, src->version_len);
}
