/* redact.c: finding the secrets in connection strings and hiding them in messages. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

/* How deep a value that is itself a conninfo is followed. */
#define MAX_DEPTH	4
/* The shortest prefix of a secret hidden where a quoted name was cut short. */
#define MIN_TRUNCATED	3

static int	add_conninfo(struct redact *r, const char *s, size_t len, int depth);

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Where needle first occurs in the len bytes at s, ASCII case ignored; NULL if nowhere. */
static const char *
find_ci(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i, j;

	for (i = 0; n <= len && i <= len - n; i++) {
		for (j = 0; j < n && lower((unsigned char)s[i + j]) == needle[j]; j++)
			;
		if (j == n)
			return s + i;
	}
	return NULL;
}

static int
is_space(char c)
{
	return isspace((unsigned char)c) != 0;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)lower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * The len bytes at s percent-decoded into out, leniently: a '%' not
 * followed by two hex digits, or encoding NUL, stays as written and sets
 * *bad (libpq would refuse it). Returns 0 or -1 (ENOMEM).
 */
static int
pct_decode(struct buf *out, const char *s, size_t len, int *bad)
{
	size_t i;
	int hi, lo;
	char c;

	buf_reset(out);
	*bad = 0;
	if (buf_append(out, "", 0) == -1)
		return -1;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c == '%') {
			hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
			lo = i + 2 < len ? hex_value(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				*bad = 1;
			else {
				c = (char)(hi << 4 | lo);
				i += 2;
			}
		}
		if (buf_append(out, &c, 1) == -1)
			return -1;
	}
	return 0;
}

int
redact_add_secret(struct redact *r, const char *s, size_t len)
{
	char **v, *copy;
	size_t i;

	if (len == 0 || memchr(s, '\0', len) != NULL)
		return 0;
	for (i = 0; i < r->nsecrets; i++)
		if (strlen(r->secrets[i]) == len && memcmp(r->secrets[i], s, len) == 0)
			return 0;
	if ((copy = strndup(s, len)) == NULL)
		return -1;
	if ((v = reallocarray(r->secrets, r->nsecrets + 1, sizeof(*v))) == NULL) {
		free(copy);
		return -1;
	}
	r->secrets = v;
	r->secrets[r->nsecrets++] = copy;
	return 0;
}

/* Each piece of s between '@' and '/' signs, when there is more than one. */
static int
add_pieces(struct redact *r, const char *s, size_t len)
{
	size_t i, start = 0;

	if (memchr(s, '@', len) == NULL && memchr(s, '/', len) == NULL)
		return 0;
	for (i = 0; i <= len; i++)
		if (i == len || s[i] == '@' || s[i] == '/') {
			if (redact_add_secret(r, s + start, i - start) == -1)
				return -1;
			start = i + 1;
		}
	return 0;
}

/* A value that is itself a conninfo or URI (dbname=...): its secrets too. */
static int
add_nested(struct redact *r, const char *s, size_t len, int depth)
{
	if (memchr(s, '=', len) == NULL && find_ci(s, len, "://") == NULL)
		return 0;
	return add_conninfo(r, s, len, depth + 1);
}

/*
 * A secret as written and percent-decoded, with its pieces when asked
 * for; and whatever it nests.
 */
static int
add_forms(struct redact *r, const char *s, size_t len, int pieces, int depth)
{
	struct buf dec = BUF_INIT;
	int bad, rc = -1;

	if (redact_add_secret(r, s, len) == -1 || pct_decode(&dec, s, len, &bad) == -1)
		goto cleanup;
	if (redact_add_secret(r, dec.data, dec.len) == -1)
		goto cleanup;
	if (pieces && (add_pieces(r, s, len) == -1 || add_pieces(r, dec.data, dec.len) == -1))
		goto cleanup;
	if (add_nested(r, s, len, depth) == -1 ||
	    add_nested(r, dec.data, dec.len, depth) == -1)
		goto cleanup;
	rc = 0;
cleanup:
	buf_release(&dec);
	return rc;
}

/*
 * After an unquoted secret, the words up to the next keyword=value: the
 * writer may have meant them as part of it, and libpq quotes them back
 * ("missing "=" after ..."). end_of_value is where the value stopped.
 */
static int
add_following_words(struct redact *r, const char *value, const char *end_of_value,
    const char *end, char sep)
{
	const char *p = end_of_value, *word;

	for (;;) {
		while (p < end && (sep == ' ' ? is_space(*p) : *p == sep))
			p++;
		word = p;
		while (p < end && (sep == ' ' ? !is_space(*p) : *p != sep) && *p != '=')
			p++;
		if (p == word || (p < end && *p == '='))
			return 0;
		if (add_forms(r, word, (size_t)(p - word), 0, MAX_DEPTH) == -1 ||
		    add_forms(r, value, (size_t)(p - value), 0, MAX_DEPTH) == -1)
			return -1;
	}
}

/* keyword = value pairs as libpq reads them, but never giving up on an error. */
static int
add_keyword_value(struct redact *r, const char *s, size_t len, int depth)
{
	const char *p = s, *end = s + len, *key, *raw, *raw_end;
	struct buf val = BUF_INIT;
	size_t keylen;
	int quoted, secret, rc = -1;

	while (p < end) {
		if (is_space(*p)) {
			p++;
			continue;
		}
		key = p;
		while (p < end && *p != '=' && !is_space(*p))
			p++;
		keylen = (size_t)(p - key);
		while (p < end && is_space(*p))
			p++;
		if (p == end || *p != '=')
			continue;
		p++;
		while (p < end && is_space(*p))
			p++;
		buf_reset(&val);
		if (buf_append(&val, "", 0) == -1)
			goto cleanup;
		if ((quoted = p < end && *p == '\''))
			p++;
		raw = p;
		while (p < end && (quoted ? *p != '\'' : !is_space(*p))) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (buf_append(&val, p, 1) == -1)
				goto cleanup;
			p++;
		}
		raw_end = p;
		if (quoted && p < end)
			p++;
		secret = redact_is_secret_keyword(key, keylen);
		if (secret) {
			if (add_forms(r, raw, (size_t)(raw_end - raw), 0, depth) == -1 ||
			    add_forms(r, val.data, val.len, 0, depth) == -1)
				goto cleanup;
			if (!quoted && add_following_words(r, raw, raw_end, end, ' ') == -1)
				goto cleanup;
		} else if (add_nested(r, val.data, val.len, depth) == -1)
			goto cleanup;
	}
	rc = 0;
cleanup:
	buf_release(&val);
	return rc;
}

/* A URI's query: key=value pairs joined by '&', each side percent-encoded. */
static int
add_query(struct redact *r, const char *s, size_t len, int depth)
{
	const char *p = s, *end = s + len, *param, *eq, *stop;
	struct buf key = BUF_INIT, val = BUF_INIT;
	int bad, rc = -1;

	while (p < end) {
		param = p;
		stop = memchr(p, '&', (size_t)(end - p));
		if (stop == NULL)
			stop = end;
		p = stop < end ? stop + 1 : end;
		if ((eq = memchr(param, '=', (size_t)(stop - param))) == NULL)
			continue;
		if (pct_decode(&key, param, (size_t)(eq - param), &bad) == -1)
			goto cleanup;
		if (bad || redact_is_secret_keyword(key.data, key.len) ||
		    redact_is_secret_keyword(param, (size_t)(eq - param))) {
			if (add_forms(r, eq + 1, (size_t)(stop - eq - 1), 1, depth) == -1)
				goto cleanup;
			if (add_following_words(r, eq + 1, stop, end, '&') == -1)
				goto cleanup;
		} else {
			if (pct_decode(&val, eq + 1, (size_t)(stop - eq - 1), &bad) == -1 ||
			    add_nested(r, val.data, val.len, depth) == -1 ||
			    add_nested(r, eq + 1, (size_t)(stop - eq - 1), depth) == -1)
				goto cleanup;
		}
	}
	rc = 0;
cleanup:
	buf_release(&val);
	buf_release(&key);
	return rc;
}

/* The password in user:password, if there is one. */
static int
add_userinfo(struct redact *r, const char *s, size_t len, int pieces, int depth)
{
	const char *colon = memchr(s, ':', len);

	if (colon == NULL)
		return 0;
	return add_forms(r, colon + 1, len - (size_t)(colon + 1 - s), pieces, depth);
}

/*
 * What follows the scheme of a URI, read as libpq reads it (user info up to
 * the first '@' before any '/', the query from the first '?' after it) and
 * as its writer may have meant it (up to the last '@' before the first '?').
 */
static int
add_uri(struct redact *r, const char *s, size_t len, int depth)
{
	const char *end = s + len, *p, *at = NULL, *last_at = NULL, *qmark, *rest, *slash;
	struct buf path = BUF_INIT;
	int bad, rc = -1;

	for (p = s; p < end && *p != '@' && *p != '/'; p++)
		;
	if (p < end && *p == '@') {
		at = p;
		if (add_userinfo(r, s, (size_t)(at - s), 0, depth) == -1)
			goto cleanup;
	}
	if ((qmark = memchr(s, '?', len)) == NULL)
		qmark = end;
	for (p = s; p < qmark; p++)
		if (*p == '@')
			last_at = p;
	if (last_at != NULL && last_at != at &&
	    add_userinfo(r, s, (size_t)(last_at - s), 1, depth) == -1)
		goto cleanup;
	rest = at != NULL ? at + 1 : s;
	if ((p = memchr(rest, '?', (size_t)(end - rest))) == NULL)
		p = end;
	if ((slash = memchr(rest, '/', (size_t)(p - rest))) != NULL) {
		if (pct_decode(&path, slash + 1, (size_t)(p - slash - 1), &bad) == -1 ||
		    add_nested(r, path.data, path.len, depth) == -1)
			goto cleanup;
	}
	if (p < end && add_query(r, p + 1, (size_t)(end - p - 1), depth) == -1)
		goto cleanup;
	if (qmark < end && qmark != p &&
	    add_query(r, qmark + 1, (size_t)(end - qmark - 1), depth) == -1)
		goto cleanup;
	rc = 0;
cleanup:
	buf_release(&path);
	return rc;
}

static int
add_conninfo(struct redact *r, const char *s, size_t len, int depth)
{
	const char *p = s, *end = s + len, *sep;
	size_t n;

	if (depth > MAX_DEPTH)
		return 0;
	while (p < end && is_space(*p))
		p++;
	if ((n = redact_uri_prefix(p, 0)) > 0 && n <= (size_t)(end - p)) {
		if (add_uri(r, p + n, (size_t)(end - p) - n, depth) == -1)
			return -1;
	} else if (memchr(s, '=', len) != NULL && add_keyword_value(r, s, len, depth) == -1)
		return -1;
	/* Any other "scheme://user:password@" in it, wherever libpq would put it. */
	for (p = s; p < end && (sep = find_ci(p, (size_t)(end - p), "://")) != NULL;
	    p = sep + 3)
		if (add_uri(r, sep + 3, (size_t)(end - sep - 3), depth + 1) == -1)
			return -1;
	return 0;
}

int
redact_add_conninfo(struct redact *r, const char *conninfo)
{
	if (conninfo == NULL)
		return 0;
	return add_conninfo(r, conninfo, strlen(conninfo), 0);
}

int
redact_is_secret_keyword(const char *keyword, size_t len)
{
	return find_ci(keyword, len, "password") != NULL ||
	    find_ci(keyword, len, "passwd") != NULL ||
	    find_ci(keyword, len, "secret") != NULL;
}

int
redact_may_hold_secret(const char *s)
{
	size_t len = strlen(s);
	const char *sep;

	if (find_ci(s, len, "pass") != NULL || find_ci(s, len, "secret") != NULL ||
	    strchr(s, '%') != NULL)
		return 1;
	return (sep = strstr(s, "://")) != NULL && strchr(sep, '@') != NULL;
}

size_t
redact_uri_prefix(const char *s, int exact)
{
	static const char *const prefixes[] = { "postgresql://", "postgres://" };
	size_t i, n;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		n = strlen(prefixes[i]);
		if (exact ? strncmp(s, prefixes[i], n) == 0 :
		    strncasecmp(s, prefixes[i], n) == 0)
			return n;
	}
	return 0;
}

/*
 * How many bytes of secret (len bytes) match at text (left bytes), ASCII
 * case ignored.
 */
static size_t
match_len(const char *text, size_t left, const char *secret, size_t len)
{
	size_t i;

	for (i = 0; i < len && i < left; i++)
		if (lower((unsigned char)text[i]) != lower((unsigned char)secret[i]))
			break;
	return i;
}

int
redact_scrub_buf(struct buf *out, const struct redact *r, const char *text)
{
	size_t n = strlen(text), i, k, len, m, run;
	unsigned char *mask;
	int rc = -1;

	if (r->nsecrets == 0 || n == 0)
		return buf_append(out, text, n);
	if ((mask = calloc(n, 1)) == NULL)
		return -1;
	for (k = 0; k < r->nsecrets; k++) {
		len = strlen(r->secrets[k]);
		for (i = 0; i < n; i++) {
			m = match_len(text + i, n - i, r->secrets[k], len);
			if (m == len || (m >= MIN_TRUNCATED &&
			    (i + m == n || text[i + m] == '"' || text[i + m] == '\'')))
				memset(mask + i, 1, m);
		}
	}
	for (i = 0; i < n; i = run) {
		for (run = i; run < n && mask[run] == mask[i]; run++)
			;
		if (mask[i] ? buf_puts(out, REDACT_HIDDEN) == -1 :
		    buf_append(out, text + i, run - i) == -1)
			goto cleanup;
	}
	rc = 0;
cleanup:
	free(mask);
	return rc;
}

char *
redact_scrub(const struct redact *r, const char *text)
{
	struct buf b = BUF_INIT;

	if (text == NULL)
		return NULL;
	if (buf_append(&b, "", 0) == -1 || redact_scrub_buf(&b, r, text) == -1) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

int
redact_scrub_in_place(const struct redact *r, char **s)
{
	char *t;

	if (*s == NULL)
		return 0;
	t = redact_scrub(r, *s);
	free(*s);
	*s = t;
	return t != NULL ? 0 : -1;
}

void
redact_release(struct redact *r)
{
	size_t i;

	for (i = 0; i < r->nsecrets; i++)
		free(r->secrets[i]);
	free(r->secrets);
	r->secrets = NULL;
	r->nsecrets = 0;
}
