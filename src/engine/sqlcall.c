/* sqlcall.c: a small SQL reader for one statement: SELECT of a function call with one string argument. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "sqlcall.h"

/* A statement with more tokens than this is not a lone call. */
#define SQLCALL_MAX_TOKENS	64

enum tok_kind {
	TOK_END,
	TOK_IDENT,	/* unquoted: folded to lower case */
	TOK_QIDENT,	/* "quoted": as written */
	TOK_STRING,	/* the value of '...', E'...' or $tag$...$tag$ */
	TOK_PUNCT,	/* ( ) . , ; * :: => := */
	TOK_OTHER	/* a number or anything else: never part of a call */
};

struct tok {
	enum tok_kind	 kind;
	char		*text;
};

struct reader {
	struct tok	 toks[SQLCALL_MAX_TOKENS + 1];
	size_t		 n;
	size_t		 at;
};

static const char *
skip_blank(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (p[0] == '/' && p[1] == '*') {
			int depth = 1;

			/* Block comments nest in PostgreSQL. */
			for (p += 2; *p != '\0' && depth > 0; p++) {
				if (p[0] == '/' && p[1] == '*')
					depth++, p++;
				else if (p[0] == '*' && p[1] == '/')
					depth--, p++;
			}
			continue;
		}
		return p;
	}
}

/*
 * '...' with '' for a quote; with backslash escapes too when escapes is set
 * (E'...'). 1 with *next past the closing quote, 0 when it is not closed,
 * -1 when memory runs out.
 */
static int
read_quoted(const char *p, int escapes, struct buf *out, const char **next)
{
	for (p++; *p != '\0'; p++) {
		if (*p == '\'' && p[1] == '\'') {
			if (buf_append(out, "'", 1) == -1)
				return -1;
			p++;
			continue;
		}
		if (*p == '\'') {
			*next = p + 1;
			return 1;
		}
		if (escapes && *p == '\\' && p[1] != '\0')
			p++;
		if (buf_append(out, p, 1) == -1)
			return -1;
	}
	return 0;
}

/* $tag$...$tag$; p at the first '$'. Returns as read_quoted. */
static int
read_dollar(const char *p, struct buf *out, const char **next)
{
	const char *tag = p, *end, *body;
	size_t tlen;

	for (end = p + 1; *end == '_' || isalnum((unsigned char)*end); end++)
		;
	if (*end != '$' || isdigit((unsigned char)p[1]))
		return 0;
	tlen = (size_t)(end - tag) + 1;
	body = end + 1;
	for (p = body; *p != '\0'; p++)
		if (strncmp(p, tag, tlen) == 0) {
			if (buf_append(out, body, (size_t)(p - body)) == -1)
				return -1;
			*next = p + tlen;
			return 1;
		}
	return 0;
}

static int
add_tok(struct reader *r, enum tok_kind kind, const char *text, size_t len)
{
	if (r->n >= SQLCALL_MAX_TOKENS)
		return 0;
	if ((r->toks[r->n].text = strndup(text, len)) == NULL)
		return -1;
	r->toks[r->n++].kind = kind;
	return 1;
}

/* Split sql into tokens. 1 when it could be, 0 when it is no SQL we read, -1 on ENOMEM. */
static int
tokenize(struct reader *r, const char *sql)
{
	static const char *const puncts[] = { "::", "=>", ":=", "(", ")", ".", ",", ";", "*" };
	struct buf s = BUF_INIT;
	const char *p = sql, *start, *next = NULL;
	size_t i;
	int rc = 1;
	char *q;

	for (;;) {
		p = skip_blank(p);
		if (*p == '\0')
			break;
		start = p;
		buf_reset(&s);
		if (buf_append(&s, "", 0) == -1) {
			rc = -1;
			break;
		}
		if (((*p == 'E' || *p == 'e') && p[1] == '\'') || *p == '\'') {
			if ((rc = read_quoted(*p == '\'' ? p : p + 1, *p != '\'', &s, &next)) == 1)
				rc = add_tok(r, TOK_STRING, s.data, s.len);
			p = next;
		} else if (*p == '$') {
			if ((rc = read_dollar(p, &s, &next)) == 1)
				rc = add_tok(r, TOK_STRING, s.data, s.len);
			p = next;
		} else if (*p == '"') {
			for (p++; *p != '\0' && !(*p == '"' && p[1] != '"'); p++) {
				if (*p == '"')
					p++;
				if (buf_append(&s, p, 1) == -1) {
					rc = -1;
					break;
				}
			}
			if (rc == 1 && (*p != '"' || s.len == 0))
				rc = 0;
			if (rc == 1)
				rc = add_tok(r, TOK_QIDENT, s.data, s.len);
			p++;
		} else if (isalpha((unsigned char)*p) || *p == '_') {
			while (isalnum((unsigned char)*p) || *p == '_' || *p == '$')
				p++;
			rc = add_tok(r, TOK_IDENT, start, (size_t)(p - start));
			if (rc == 1)
				for (q = r->toks[r->n - 1].text; *q != '\0'; q++)
					*q = (char)tolower((unsigned char)*q);
		} else {
			for (i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++)
				if (strncmp(p, puncts[i], strlen(puncts[i])) == 0)
					break;
			if (i == sizeof(puncts) / sizeof(puncts[0]))
				rc = 0;	/* a number, an operator: not a lone call */
			else {
				rc = add_tok(r, TOK_PUNCT, p, strlen(puncts[i]));
				p += strlen(puncts[i]);
			}
		}
		if (rc != 1)
			break;
	}
	buf_release(&s);
	if (rc == 1) {
		r->toks[r->n].kind = TOK_END;
		r->toks[r->n].text = NULL;
	}
	return rc;
}

static const struct tok *
peek(const struct reader *r)
{
	return &r->toks[r->at];
}

static int
is_punct(const struct reader *r, const char *s)
{
	return peek(r)->kind == TOK_PUNCT && strcmp(peek(r)->text, s) == 0;
}

static int
is_word(const struct reader *r, const char *s)
{
	return peek(r)->kind == TOK_IDENT && strcmp(peek(r)->text, s) == 0;
}

static int
take_punct(struct reader *r, const char *s)
{
	if (!is_punct(r, s))
		return 0;
	r->at++;
	return 1;
}

static int
take_word(struct reader *r, const char *s)
{
	if (!is_word(r, s))
		return 0;
	r->at++;
	return 1;
}

/* Words that end an expression; never a name or an alias. */
static int
reserved(const char *w)
{
	static const char *const words[] = {
		"select", "from", "where", "as", "and", "or", "not", "union", "limit",
		"order", "group", "having", "into", "join", "on", "cast", NULL
	};
	size_t i;

	for (i = 0; words[i] != NULL; i++)
		if (strcmp(w, words[i]) == 0)
			return 1;
	return 0;
}

static int
take_name(struct reader *r)
{
	if (peek(r)->kind == TOK_QIDENT || (peek(r)->kind == TOK_IDENT && !reserved(peek(r)->text))) {
		r->at++;
		return 1;
	}
	return 0;
}

/* A type name: one word, or two for "character varying", "double precision". */
static int
take_type(struct reader *r)
{
	if (!take_name(r))
		return 0;
	(void)(take_word(r, "varying") || take_word(r, "precision"));
	return 1;
}

/* "::type", any number of times. */
static void
take_casts(struct reader *r)
{
	size_t keep;

	for (;;) {
		keep = r->at;
		if (!take_punct(r, "::") || !take_type(r)) {
			r->at = keep;
			return;
		}
	}
}

/* The string argument: 'x', 'x'::text, text 'x', CAST('x' AS text), ('x'). */
static int
take_value(struct reader *r, const char **value)
{
	size_t keep = r->at;

	if (take_punct(r, "(")) {
		if (take_value(r, value) && take_punct(r, ")")) {
			take_casts(r);
			return 1;
		}
		r->at = keep;
		return 0;
	}
	if (take_word(r, "cast")) {
		if (take_punct(r, "(") && take_value(r, value) && take_word(r, "as") &&
		    take_type(r) && take_punct(r, ")")) {
			take_casts(r);
			return 1;
		}
		r->at = keep;
		return 0;
	}
	if (peek(r)->kind != TOK_STRING && take_type(r) && peek(r)->kind != TOK_STRING) {
		r->at = keep;
		return 0;
	}
	if (peek(r)->kind != TOK_STRING) {
		r->at = keep;
		return 0;
	}
	*value = peek(r)->text;
	r->at++;
	take_casts(r);
	return 1;
}

/* name(value) or schema.name(value), the argument maybe named: arg => value. */
static int
take_call(struct reader *r, struct buf *name, const char **value)
{
	size_t keep = r->at;
	const struct tok *part;

	buf_reset(name);
	if (take_punct(r, "(")) {
		if (take_call(r, name, value) && take_punct(r, ")")) {
			take_casts(r);
			return 1;
		}
		r->at = keep;
		return 0;
	}
	if (take_word(r, "cast")) {
		if (take_punct(r, "(") && take_call(r, name, value) && take_word(r, "as") &&
		    take_type(r) && take_punct(r, ")")) {
			take_casts(r);
			return 1;
		}
		r->at = keep;
		return 0;
	}
	part = peek(r);
	if (!take_name(r) || buf_puts(name, part->text) == -1)
		goto no;
	if (take_punct(r, ".")) {
		part = peek(r);
		if (!take_name(r) || buf_puts(name, ".") == -1 || buf_puts(name, part->text) == -1)
			goto no;
	}
	if (!take_punct(r, "("))
		goto no;
	/* A named argument: "arg_parameter => 'replica'", or := in older servers. */
	if ((peek(r)->kind == TOK_IDENT || peek(r)->kind == TOK_QIDENT) &&
	    (r->toks[r->at + 1].kind == TOK_PUNCT && (strcmp(r->toks[r->at + 1].text, "=>") == 0 ||
	    strcmp(r->toks[r->at + 1].text, ":=") == 0)))
		r->at += 2;
	if (!take_value(r, value) || !take_punct(r, ")"))
		goto no;
	take_casts(r);
	return 1;
no:
	r->at = keep;
	return 0;
}

/* [AS] alias, optional. */
static void
take_alias(struct reader *r)
{
	size_t keep = r->at;

	if (take_word(r, "as") && !take_name(r))
		r->at = keep;
	else if (r->at == keep)
		(void)take_name(r);
}

/* The end: an optional ';' and nothing else. */
static int
at_end(struct reader *r)
{
	(void)take_punct(r, ";");
	return peek(r)->kind == TOK_END;
}

int
sqlcall_parse(struct sql_call *c, const char *sql)
{
	struct reader r;
	struct buf name = BUF_INIT;
	const char *value = NULL;
	size_t i, keep;
	int rc, found = 0;

	*c = (struct sql_call)SQL_CALL_INIT;
	memset(&r, 0, sizeof(r));
	if ((rc = tokenize(&r, sql)) != 1)
		goto done;
	rc = 0;
	if (!take_word(&r, "select"))
		goto done;
	keep = r.at;
	/* SELECT f('x') [AS alias] */
	if (take_call(&r, &name, &value)) {
		take_alias(&r);
		found = at_end(&r);
	}
	/* SELECT * FROM f('x') [AS alias], or SELECT alias FROM ... */
	if (!found) {
		r.at = keep;
		if ((take_punct(&r, "*") || take_name(&r)) && take_word(&r, "from") &&
		    take_call(&r, &name, &value)) {
			take_alias(&r);
			found = at_end(&r);
		}
	}
	if (found) {
		if ((c->function = buf_detach(&name, NULL)) == NULL ||
		    (c->arg = strdup(value)) == NULL) {
			sqlcall_release(c);
			rc = -1;
			goto done;
		}
		rc = 1;
	}
done:
	for (i = 0; i < r.n; i++)
		free(r.toks[i].text);
	buf_release(&name);
	return rc;
}

void
sqlcall_release(struct sql_call *c)
{
	free(c->function);
	free(c->arg);
	*c = (struct sql_call)SQL_CALL_INIT;
}
