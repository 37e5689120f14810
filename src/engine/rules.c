/* rules.c: reading the rewrite rules of patches/ (built in, or from a directory). */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "rules.h"
#include "rules_builtin.h"


static int
rules_set(char **field, const char *value, size_t len, const char *where,
    const char *key, struct err *e)
{
	if (*field != NULL)
		return err_set(e, where, "'%s' given twice; each may appear once per %s",
		    key, strcmp(key, "sub") == 0 ? "layout" : "block");
	if ((*field = strndup(value, len)) == NULL)
		return err_sys(e, where, "cannot store '%s'", key);
	return 0;
}

struct rules_pattern {
	pcre2_code	*code;
	char		*where;		/* "FILE:LINE (sub NAME): 'KEY'", for messages */
};

/*
 * Compile pattern once, for the life of the ruleset: a pattern PCRE2
 * cannot compile is refused now, with its message and offset, rather than
 * when a file is judged. No JIT: these patterns only ever see a few dozen
 * short string literals per file, and JIT-compiling them costs more than
 * every match it speeds up (on the real module, about 0.1 ms more per run
 * with JIT). locate.c JIT-compiles its whole-file scans.
 */
static int
pattern_compile(struct rules_pattern **out, const char *pattern, const char *where,
    const char *key, struct err *e)
{
	struct rules_pattern *p;
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE offset;
	int errcode;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    asprintf(&p->where, "%s: '%s'", where, key) == -1) {
		free(p);
		return err_sys(e, where, "cannot compile '%s'", key);
	}
	p->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, 0, &errcode,
	    &offset, NULL);
	if (p->code == NULL) {
		if (pcre2_get_error_message(errcode, msg, sizeof(msg)) < 0)
			snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", errcode);
		err_set(e, where, "'%s': bad pattern at offset %zu: %s", key, (size_t)offset,
		    (const char *)msg);
		free(p->where);
		free(p);
		return -1;
	}
	*out = p;
	return 0;
}

static void
pattern_free(struct rules_pattern *p)
{
	if (p == NULL)
		return;
	pcre2_code_free(p->code);
	free(p->where);
	free(p);
}

int
rules_match(const struct rules_pattern *p, const char *text, size_t len, size_t group[2],
    struct err *e)
{
	pcre2_match_data *md;
	PCRE2_SIZE *ov;
	PCRE2_UCHAR msg[256];
	int rc;

	/* Two pairs: the whole match and group 1; PCRE2 returns 0 when more groups matched. */
	if ((md = pcre2_match_data_create(2, NULL)) == NULL)
		return err_sys(e, p->where, "cannot match");
	rc = pcre2_match(p->code, (PCRE2_SPTR)text, len, 0, 0, md, NULL);
	if (rc >= 0) {
		if (group != NULL) {
			ov = pcre2_get_ovector_pointer(md);
			group[0] = ov[2] == PCRE2_UNSET ? SIZE_MAX : (size_t)ov[2];
			group[1] = ov[3] == PCRE2_UNSET ? SIZE_MAX : (size_t)ov[3];
		}
		pcre2_match_data_free(md);
		return 1;
	}
	pcre2_match_data_free(md);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (pcre2_get_error_message(rc, msg, sizeof(msg)) < 0)
		snprintf((char *)msg, sizeof(msg), "PCRE2 error %d", rc);
	return err_set(e, p->where, "cannot match: %s", (const char *)msg);
}

char *
rules_sql_normal(const char *sql)
{
	char *out = malloc(strlen(sql) + 1), *o = out;
	const char *s = sql;

	if (out == NULL)
		return NULL;
	while (*s != '\0') {
		if (isspace((unsigned char)*s)) {
			while (isspace((unsigned char)*s))
				s++;
			if (o != out && *s != '\0' && *s != '(' && *s != ')' && *s != ';' &&
			    o[-1] != '(')
				*o++ = ' ';
			continue;
		}
		*o++ = (char)tolower((unsigned char)*s++);
	}
	while (o > out && (o[-1] == ';' || o[-1] == ' '))
		o--;
	*o = '\0';
	return out;
}

/*
 * A pattern matching template as rules_sql_normal leaves SQL, with each
 * placeholder an identifier: {function} a possibly qualified one, captured
 * (group 1 is its first occurrence), {schema} and {name} one each, not
 * captured. That a match names one function throughout is for the caller
 * to check, by expanding the template again. NULL when out of memory.
 */
static char *
template_pattern(const char *template)
{
	static const struct { const char *key, *group; } holes[] = {
		{ "{function}", "([a-z_][a-z0-9_$]*(?:\\.[a-z_][a-z0-9_$]*)?)" },
		{ "{schema}", "(?:[a-z_][a-z0-9_$]*)" },
		{ "{name}", "(?:[a-z_][a-z0-9_$]*)" },
	};
	struct buf out = BUF_INIT;
	char *norm = rules_sql_normal(template), *p;
	size_t i;

	if (norm == NULL || buf_puts(&out, "^") == -1)
		goto fail;
	for (p = norm; *p != '\0';) {
		for (i = 0; i < sizeof(holes) / sizeof(holes[0]); i++)
			if (strncmp(p, holes[i].key, strlen(holes[i].key)) == 0)
				break;
		if (i < sizeof(holes) / sizeof(holes[0])) {
			if (buf_puts(&out, holes[i].group) == -1)
				goto fail;
			p += strlen(holes[i].key);
			continue;
		}
		if ((strchr("\\^$.|?*+()[]{}", *p) != NULL && buf_puts(&out, "\\") == -1) ||
		    buf_append(&out, p++, 1) == -1)
			goto fail;
	}
	if (buf_puts(&out, "$") == -1)
		goto fail;
	free(norm);
	return buf_detach(&out, NULL);
fail:
	free(norm);
	buf_release(&out);
	return NULL;
}

/* Compile the patterns of rule r; where names it in messages. */
static int
rules_compile_rule(struct rule *r, const char *where, struct err *e)
{
	char *pattern;
	size_t f;
	int rc;

	if (pattern_compile(&r->statement_re, r->statement, where, "statement", e) == -1 ||
	    (r->context != NULL &&
	    pattern_compile(&r->context_re, r->context, where, "context", e) == -1))
		return -1;
	for (f = 0; f < RULE_FORMS; f++) {
		if (r->becomes[f] == NULL)
			continue;
		if ((pattern = template_pattern(r->becomes[f])) == NULL)
			return err_sys(e, where, "cannot compile '%s'",
			    f == RULE_FORM_PLAIN ? "becomes" : "guarded");
		rc = pattern_compile(&r->becomes_re[f], pattern, where,
		    f == RULE_FORM_PLAIN ? "becomes" : "guarded", e);
		free(pattern);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* A sub name as Perl spells it, short enough to search for. */
static int
rules_sub_ok(const char *name)
{
	const char *p = name;

	if (!(isalpha((unsigned char)*p) || *p == '_'))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '\0' && p - name <= 128;
}

/* Check a layout read whole, and compile its patterns. */
static int
rules_check_layout(struct layout *l, struct err *e)
{
	size_t i, j;
	char where[256];

	if (l->since == NULL || l->mentions == NULL || l->nrules == 0)
		return err_set(e, l->origin, "layout '%s' needs 'since', 'mentions' and at least one 'sub'",
		    l->name);
	if (pattern_compile(&l->mentions_re, l->mentions, l->origin, "mentions", e) == -1)
		return -1;
	for (i = 0; i < l->nrules; i++) {
		struct rule *r = &l->rules[i];

		snprintf(where, sizeof(where), "%s (sub %.100s)", l->origin, r->sub);
		if (!rules_sub_ok(r->sub))
			return err_set(e, where, "'sub' must name a Perl sub: letters, digits and "
			    "underscores, at most 128");
		for (j = 0; j < i; j++)
			if (strcmp(l->rules[j].sub, r->sub) == 0)
				return err_set(e, where, "sub named twice in layout '%s'; "
				    "each sub holds one statement", l->name);
		if (r->statement == NULL || r->becomes[RULE_FORM_PLAIN] == NULL || r->expect == NULL)
			return err_set(e, where, "each 'sub' needs 'statement', 'expect' and 'becomes'");
		for (j = 0; j < RULE_FORMS; j++)
			if (r->becomes[j] != NULL && strstr(r->becomes[j], "{function}") == NULL)
				return err_set(e, where, "'%s' must contain {function}",
				    j == RULE_FORM_PLAIN ? "becomes" : "guarded");
		if (l->form != RULE_FORM_PLAIN && r->becomes[l->form] == NULL)
			return err_set(e, where, "layout '%s' writes the %s form by default, but this "
			    "sub has no '%s' template", l->name, rules_form_name(l->form),
			    rules_form_name(l->form));
		if (rules_compile_rule(r, where, e) == -1)
			return -1;
	}
	return 0;
}

static struct layout *
rules_new_layout(struct ruleset *rs, const char *name, size_t len, const char *where,
    struct err *e)
{
	struct layout *l;

	l = reallocarray(rs->layouts, rs->nlayouts + 1, sizeof(*l));
	if (l == NULL) {
		err_sys(e, where, "cannot add a layout");
		return NULL;
	}
	rs->layouts = l;
	l = &rs->layouts[rs->nlayouts];
	memset(l, 0, sizeof(*l));
	rs->nlayouts++;
	if ((l->name = strndup(name, len)) == NULL ||
	    (l->origin = strdup(where)) == NULL) {
		err_sys(e, where, "cannot add a layout");
		return NULL;
	}
	return l;
}

static struct rule *
rules_new_rule(struct layout *l, const char *sub, size_t len, const char *where,
    struct err *e)
{
	struct rule *r;

	r = reallocarray(l->rules, l->nrules + 1, sizeof(*r));
	if (r == NULL) {
		err_sys(e, where, "cannot add a rule");
		return NULL;
	}
	l->rules = r;
	r = &l->rules[l->nrules++];
	memset(r, 0, sizeof(*r));
	if ((r->sub = strndup(sub, len)) == NULL) {
		err_sys(e, where, "cannot add a rule");
		return NULL;
	}
	return r;
}

static enum rule_form
rules_form_from_name_n(const char *name, size_t len)
{
	enum rule_form f;

	for (f = 0; f < RULE_FORMS; f++)
		if (strlen(rules_form_name(f)) == len && strncmp(rules_form_name(f), name, len) == 0)
			return f;
	return RULE_FORMS;
}

/* "refuse VERSION TEXT" */
static int
rules_refuse(struct layout *l, const char *value, size_t len, const char *where, struct err *e)
{
	size_t vlen = 0;

	while (vlen < len && !isspace((unsigned char)value[vlen]))
		vlen++;
	if (vlen == len || vlen == 0 || strspn(value, "0123456789.") < vlen)
		return err_set(e, where, "'refuse' needs a release number and a reason");
	if (rules_set(&l->refuse_from, value, vlen, where, "refuse", e) == -1)
		return -1;
	while (vlen < len && isspace((unsigned char)value[vlen]))
		vlen++;
	return rules_set(&l->refuse_why, value + vlen, len - vlen, where, "refuse", e);
}

int
rules_parse(struct ruleset *rs, const char *name, const char *text, size_t len,
    struct err *e)
{
	struct layout *layout = NULL;
	struct rule *rule = NULL;
	size_t first = rs->nlayouts, pos = 0, i;
	unsigned lineno = 0;
	char where[256];

	while (pos < len) {
		const char *line = text + pos, *nl, *key, *value, *end;
		size_t keylen, valuelen;

		nl = memchr(line, '\n', len - pos);
		end = nl != NULL ? nl : text + len;
		pos = (size_t)(end - text) + (nl != NULL);
		lineno++;
		snprintf(where, sizeof(where), "%s:%u", name, lineno);

		while (end > line && isspace((unsigned char)end[-1]))
			end--;
		key = line;
		while (key < end && isspace((unsigned char)*key))
			key++;
		if (key == end || *key == '#')
			continue;
		value = key;
		while (value < end && !isspace((unsigned char)*value))
			value++;
		keylen = (size_t)(value - key);
		while (value < end && isspace((unsigned char)*value))
			value++;
		valuelen = (size_t)(end - value);
		for (i = 0; key + i < end; i++)
			if (((unsigned char)key[i] < 0x20 && key[i] != '\t') || key[i] == 0x7f)
				return err_set(e, where, "a control character in this line; "
				    "messages quote these values");
		if (valuelen == 0)
			return err_set(e, where, "'%.*s' has no value", (int)keylen, key);

#define KEY(k) (keylen == strlen(k) && memcmp(key, k, keylen) == 0)
		if (KEY("layout")) {
			if ((layout = rules_new_layout(rs, value, valuelen, where, e)) == NULL)
				return -1;
			rule = NULL;
			continue;
		}
		if (layout == NULL)
			return err_set(e, where, "'%.*s' before any 'layout' line", (int)keylen, key);
		if (KEY("describe")) {
			if (rules_set(&layout->describe, value, valuelen, where, "describe", e) == -1)
				return -1;
		} else if (KEY("since")) {
			if (rules_set(&layout->since, value, valuelen, where, "since", e) == -1)
				return -1;
		} else if (KEY("mentions")) {
			if (rules_set(&layout->mentions, value, valuelen, where, "mentions", e) == -1)
				return -1;
		} else if (KEY("sub")) {
			if ((rule = rules_new_rule(layout, value, valuelen, where, e)) == NULL)
				return -1;
		} else if (KEY("form")) {
			if ((layout->form = rules_form_from_name_n(value, valuelen)) == RULE_FORMS)
				return err_set(e, where, "'form' is plain or guarded");
		} else if (KEY("refuse")) {
			if (rules_refuse(layout, value, valuelen, where, e) == -1)
				return -1;
		} else if (rule == NULL && (KEY("statement") || KEY("expect") || KEY("becomes") ||
		    KEY("guarded") || KEY("context") || KEY("shipped"))) {
			return err_set(e, where, "'%.*s' before any 'sub' line", (int)keylen, key);
		} else if (KEY("statement")) {
			if (rules_set(&rule->statement, value, valuelen, where, "statement", e) == -1)
				return -1;
		} else if (KEY("shipped")) {
			char **grown = reallocarray(rule->shipped, rule->nshipped + 1,
			    sizeof(*grown));

			if (grown == NULL)
				return err_sys(e, where, "cannot store 'shipped'");
			rule->shipped = grown;
			if ((grown[rule->nshipped] = strndup(value, valuelen)) == NULL)
				return err_sys(e, where, "cannot store 'shipped'");
			rule->nshipped++;
		} else if (KEY("context")) {
			if (rules_set(&rule->context, value, valuelen, where, "context", e) == -1)
				return -1;
		} else if (KEY("expect")) {
			if (rules_set(&rule->expect, value, valuelen, where, "expect", e) == -1)
				return -1;
		} else if (KEY("becomes")) {
			if (rules_set(&rule->becomes[RULE_FORM_PLAIN], value, valuelen, where,
			    "becomes", e) == -1)
				return -1;
		} else if (KEY("guarded")) {
			if (rules_set(&rule->becomes[RULE_FORM_GUARDED], value, valuelen, where,
			    "guarded", e) == -1)
				return -1;
		} else {
			return err_set(e, where, "unknown key '%.*s' (known: layout, describe, since, "
			    "mentions, form, refuse, sub, statement, expect, becomes, guarded)",
			    (int)keylen, key);
		}
#undef KEY
	}
	if (rs->nlayouts == first)
		return err_set(e, name, "no 'layout' in this rules file");
	for (i = first; i < rs->nlayouts; i++)
		if (rules_check_layout(&rs->layouts[i], e) == -1)
			return -1;
	return 0;
}

int
rules_load_builtin(struct ruleset *rs, struct err *e)
{
	size_t i;

	for (i = 0; i < rules_builtin_count; i++)
		if (rules_parse(rs, rules_builtin[i].name, rules_builtin[i].text,
		    rules_builtin[i].len, e) == -1)
			return -1;
	return 0;
}

void
rules_release(struct ruleset *rs)
{
	size_t i, j, k;

	for (i = 0; i < rs->nlayouts; i++) {
		struct layout *l = &rs->layouts[i];

		for (j = 0; j < l->nrules; j++) {
			free(l->rules[j].sub);
			free(l->rules[j].statement);
			free(l->rules[j].expect);
			free(l->rules[j].context);
			for (k = 0; k < l->rules[j].nshipped; k++)
				free(l->rules[j].shipped[k]);
			free(l->rules[j].shipped);
			for (k = 0; k < RULE_FORMS; k++) {
				free(l->rules[j].becomes[k]);
				pattern_free(l->rules[j].becomes_re[k]);
			}
			pattern_free(l->rules[j].statement_re);
			pattern_free(l->rules[j].context_re);
		}
		free(l->rules);
		free(l->refuse_from);
		free(l->refuse_why);
		free(l->name);
		free(l->describe);
		free(l->since);
		free(l->mentions);
		pattern_free(l->mentions_re);
		free(l->origin);
	}
	free(rs->layouts);
	rs->layouts = NULL;
	rs->nlayouts = 0;
}

int
rules_function_ok(const char *name)
{
	const char *p = name;
	int parts = 0;

	/*
	 * An identifier, optionally schema-qualified: nothing that would need
	 * quoting in SQL or escaping in any of Perl's quote forms.
	 */
	for (;;) {
		if (!(isalpha((unsigned char)*p) || *p == '_'))
			return 0;
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
		parts++;
		if (*p == '\0')
			return p - name <= 127;
		if (*p != '.' || parts == 2)
			return 0;
		p++;
	}
}

const char *
rules_form_name(enum rule_form form)
{
	return form == RULE_FORM_GUARDED ? "guarded" : "plain";
}

enum rule_form
rules_form_from_name(const char *name)
{
	return rules_form_from_name_n(name, strlen(name));
}

char *
rules_expand(const char *template, const char *function)
{
	static const char *const keys[] = { "{function}", "{schema}", "{name}" };
	struct buf out = BUF_INIT;
	const char *dot = strchr(function, '.'), *p = template, *value;
	size_t i, klen, vlen;

	while (*p != '\0') {
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strncmp(p, keys[i], strlen(keys[i])) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			if (buf_append(&out, p++, 1) == -1)
				goto nomem;
			continue;
		}
		klen = strlen(keys[i]);
		if (i > 0 && dot == NULL) {
			buf_release(&out);
			errno = EINVAL;
			return NULL;
		}
		value = i == 2 ? dot + 1 : function;
		vlen = i == 1 ? (size_t)(dot - function) : strlen(value);
		if (buf_append(&out, value, vlen) == -1)
			goto nomem;
		p += klen;
	}
	if (buf_append(&out, "", 0) == -1)
		goto nomem;
	return buf_detach(&out, NULL);
nomem:
	buf_release(&out);
	errno = ENOMEM;
	return NULL;
}
