/* rewrite.c: a module's state against the rules, the rewrite itself, and its structural check. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "sqlcall.h"

const char *
rewrite_state_name(enum module_state state)
{
	switch (state) {
	case MODULE_PRISTINE: return "pristine";
	case MODULE_PATCHED: return "patched";
	case MODULE_PARTIAL: return "partial";
	case MODULE_UNSUPPORTED: break;
	}
	return "unsupported";
}

static int __attribute__((format(printf, 2, 3)))
unsupported(struct analysis *a, const char *fmt, ...)
{
	va_list ap;

	a->state = MODULE_UNSUPPORTED;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
	return 0;
}

/* Compare dotted release numbers: <0, 0, >0 as a is older, equal, newer. */
static int
version_cmp(const char *a, const char *b)
{
	while (*a != '\0' || *b != '\0') {
		char *ea, *eb;
		unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);

		if (x != y)
			return x < y ? -1 : 1;
		if (ea == a || eb == b)
			return 0;	/* not numeric past here: treat as equal */
		a = *ea == '.' ? ea + 1 : ea;
		b = *eb == '.' ? eb + 1 : eb;
		if (*ea != '.' && *eb != '.')
			break;
	}
	return 0;
}

/*
 * If sql (as rules_sql_normal leaves it) is one of the rule's forms
 * written for some other function (the file was patched for another
 * service), set *name to that name, which the caller frees; else to NULL.
 * The name must make the whole template again, so {schema} and {name}
 * agree with it. Returns 0, or -1 with e set (PCRE2 failed, or out of
 * memory).
 */
static int
other_function(char **name, const struct rule *r, const char *sql_norm, struct err *e)
{
	char *again, *again_norm;
	size_t f, group[2];
	int m, same;

	*name = NULL;
	for (f = 0; f < RULE_FORMS && *name == NULL; f++) {
		if (r->becomes_re[f] == NULL)
			continue;
		if ((m = rules_match(r->becomes_re[f], sql_norm, strlen(sql_norm), group, e)) == -1)
			return -1;
		if (m == 0 || group[0] == SIZE_MAX)
			continue;
		if ((*name = strndup(sql_norm + group[0], group[1] - group[0])) == NULL)
			return err_sys(e, NULL, "out of memory");
		again = rules_expand(r->becomes[f], *name);
		again_norm = again != NULL ? rules_sql_normal(again) : NULL;
		same = again_norm != NULL && strcmp(again_norm, sql_norm) == 0;
		if (again_norm == NULL && (again != NULL || errno != EINVAL)) {
			free(again);
			free(*name);
			*name = NULL;
			return err_sys(e, NULL, "out of memory");
		}
		free(again_norm);
		free(again);
		if (!same) {
			free(*name);
			*name = NULL;
		}
	}
	return 0;
}

/*
 * At most size - 1 bytes of s, safe to print in a message: blanks as
 * spaces, other control bytes as '?', so a file cannot write to the
 * administrator's terminal.
 */
static void
excerpt(char *out, size_t size, const char *s)
{
	size_t i;

	for (i = 0; i + 1 < size && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		out[i] = isspace(c) ? ' ' : c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[i] = '\0';
}

static int
add_site(struct analysis *a, const struct rule *r, const struct perl_literal *lit,
    unsigned line, int patched, const char *sql)
{
	struct site *s = reallocarray(a->sites, a->nsites + 1, sizeof(*s));

	if (s == NULL)
		return -1;
	a->sites = s;
	s = &a->sites[a->nsites];
	if ((s->sql = strdup(sql)) == NULL)
		return -1;
	a->nsites++;
	s->rule = r;
	s->lit = *lit;
	s->line = line;
	s->patched = patched;
	s->form = RULE_FORM_PLAIN;
	s->slip = 0;
	s->by_hand = 0;
	s->note = NULL;
	return 0;
}

/*
 * Does a line of the literal, its closing delimiter included, start in
 * column 0? Bucardo writes each statement on one line. A continuation line
 * starting with '=' or '}' is read as POD or as the end of the sub, and the
 * rewritten statement, on one line, would change where those are.
 */
static int
spans_column_zero(const struct perl_source *src, const struct perl_literal *lit)
{
	const char *t = src->text;
	size_t p;

	for (p = lit->body_start; p < lit->body_end; p++) {
		char next = t[p + 1];

		if ((t[p] == '\n' || t[p] == '\r') &&
		    next != ' ' && next != '\t' && next != '\r' && next != '\n')
			return 1;
	}
	return 0;
}

/*
 * A call of the right function that is not the tool's own text: another
 * spelling of the same call (patched by hand), or the call with another
 * argument than this sub's: the migration guide's slip, which says line
 * 5359 holds "= default" and so has people put the 'replica' call in
 * enable_triggers. s->note says which.
 */
static int
site_by_hand(struct site *s, const struct sql_call *call, const struct sql_call *expect,
    const struct rule *r)
{
	s->by_hand = 1;
	if (s->patched)
		return asprintf(&s->note, "patched by hand (%s('%s'), spelled otherwise than "
		    "the tool writes it)", call->function, call->arg) == -1 ? -1 : 0;
	s->slip = 1;
	if (asprintf(&s->note, "calls %s('%s'), but Bucardo's sub %s sets '%s' here (%s): the "
	    "migration guide's slip; apply puts '%s'", call->function, call->arg, r->sub,
	    expect->arg, r->expect, expect->arg) == -1) {
		s->note = NULL;
		return -1;
	}
	return 0;
}

/*
 * Judge the statements of one rule's sub. Leaves a->state unsupported with a
 * reason when the sub does not hold exactly one statement we know.
 */
static int
judge_rule(struct analysis *a, const struct perl_source *src, const struct layout *l,
    const struct rule *r, const struct span *body, const char *function, struct err *e)
{
	struct perl_literal lit;
	struct buf text = BUF_INIT;
	struct err lexerr = ERR_INIT;
	size_t cursor = body->start, before = a->nsites, f;
	char *want[RULE_FORMS] = { NULL }, *have_normal = NULL, *other = NULL, *sql;
	struct sql_call expect = SQL_CALL_INIT, call = SQL_CALL_INIT;
	char shown[121];
	int rc = -1, found, m, form, got;

	for (f = 0; f < RULE_FORMS; f++) {
		if (r->becomes[f] == NULL)
			continue;
		/* An unqualified --function has no guarded form: nothing to recognise. */
		if ((sql = rules_expand(r->becomes[f], function)) == NULL && errno != EINVAL)
			goto fail_memory;
		want[f] = sql != NULL ? rules_sql_normal(sql) : NULL;
		/* The plain form as a call: any spelling of that call is the same. */
		if (f == RULE_FORM_PLAIN && sql != NULL && sqlcall_parse(&expect, sql) == -1) {
			free(sql);
			goto fail_memory;
		}
		free(sql);
		if (sql != NULL && want[f] == NULL)
			goto fail_memory;
	}
	while ((found = locate_next_literal(src, &cursor, body->end, &lit, &lexerr)) == 1) {
		unsigned line;

		if (locate_literal_text(src, &lit, &text) == -1) {
			err_sys(e, NULL, "cannot decode a string");
			goto cleanup;
		}
		/*
		 * The rewritten form is recognised first: it need not mention
		 * session_replication_role (--function may name anything), and
		 * a statement pattern that happens to match it too must not
		 * make a rewrite look undone. Counting lines walks the file:
		 * only for the literals that matter.
		 */
		free(have_normal);
		if ((have_normal = rules_sql_normal(text.data)) == NULL)
			goto fail_memory;
		for (form = 0; form < RULE_FORMS; form++)
			if (want[form] != NULL && strcmp(have_normal, want[form]) == 0)
				break;
		if (form < RULE_FORMS) {
			line = locate_line(src, lit.start);
			if (add_site(a, r, &lit, line, 1, text.data) == -1)
				goto fail_memory;
			a->sites[a->nsites - 1].form = (enum rule_form)form;
			continue;
		}
		sqlcall_release(&call);
		if (expect.function != NULL && (got = sqlcall_parse(&call, text.data)) != 0) {
			if (got == -1)
				goto fail_memory;
			if (strcmp(call.function, expect.function) == 0) {
				line = locate_line(src, lit.start);
				if (add_site(a, r, &lit, line, strcmp(call.arg, expect.arg) == 0,
				    text.data) == -1)
					goto fail_memory;
				if (site_by_hand(&a->sites[a->nsites - 1], &call, &expect, r) == -1)
					goto fail_memory;
				continue;
			}
			if (strcmp(call.arg, expect.arg) == 0) {
				free(a->other_function);
				if ((a->other_function = strdup(call.function)) == NULL)
					goto fail_memory;
				line = locate_line(src, lit.start);
				excerpt(shown, sizeof(shown), call.function);
				if (rules_function_ok(call.function))
					unsupported(a, "sub %s (line %u) already calls %s instead of %s; "
					    "run revert first, or pass --function %s",
					    r->sub, line, shown, function, shown);
				else
					unsupported(a, "sub %s (line %u) already calls %s instead of %s, a "
					    "name --function does not take; put the statement back as "
					    "Bucardo ships it (%s), or reinstall Bucardo's package",
					    r->sub, line, shown, function, r->expect);
				rc = 0;
				goto cleanup;
			}
		}
		if ((m = rules_match(r->statement_re, text.data, text.len, NULL, e)) == -1)
			goto cleanup;
		if (m) {
			line = locate_line(src, lit.start);
			if (spans_column_zero(src, &lit)) {
				unsupported(a, "sub %s (line %u) holds a statement spread over lines, "
				    "one starting in column 0; not Bucardo's layout", r->sub, line);
				rc = 0;
				goto cleanup;
			}
			if (add_site(a, r, &lit, line, 0, text.data) == -1)
				goto fail_memory;
			continue;
		}
		if (other_function(&other, r, have_normal, e) == -1)
			goto cleanup;
		if (other != NULL) {
			free(a->other_function);
			if ((a->other_function = strdup(other)) == NULL)
				goto fail_memory;
			line = locate_line(src, lit.start);
			excerpt(shown, sizeof(shown), other);
			unsupported(a, "sub %s (line %u) already calls %s instead of %s; "
			    "run revert first, or pass --function %s",
			    r->sub, line, shown, function, shown);
			rc = 0;
			goto cleanup;
		}
		if ((m = rules_match(l->mentions_re, text.data, text.len, NULL, e)) == -1)
			goto cleanup;
		if (!m)
			continue;
		line = locate_line(src, lit.start);
		excerpt(shown, sizeof(shown), text.data);
		unsupported(a, "sub %s (line %u) holds an unexpected session_replication_role "
		    "statement: %s", r->sub, line, shown);
		rc = 0;
		goto cleanup;
	}
	if (found == -1) {
		unsupported(a, "sub %s: %s; not Bucardo's layout", r->sub, lexerr.msg);
		rc = 0;
		goto cleanup;
	}
	if (a->nsites == before)
		unsupported(a, "sub %s (line %u) holds no \"%s\" statement; expected exactly one",
		    r->sub, locate_line(src, body->start), r->expect);
	else if (a->nsites - before > 1)
		unsupported(a, "sub %s holds %zu session_replication_role statements "
		    "(lines %u and %u); expected exactly one, and will not guess",
		    r->sub, a->nsites - before, a->sites[before].line, a->sites[before + 1].line);
	rc = 0;
	goto cleanup;
fail_memory:
	err_sys(e, NULL, "out of memory");
cleanup:
	free(other);
	free(have_normal);
	for (f = 0; f < RULE_FORMS; f++)
		free(want[f]);
	sqlcall_release(&call);
	sqlcall_release(&expect);
	buf_release(&text);
	return rc;
}

/* The oldest release any layout covers, for the "too old" message. */
static const char *
oldest_supported(const struct ruleset *rs)
{
	const char *oldest = NULL;
	size_t i;

	for (i = 0; i < rs->nlayouts; i++)
		if (oldest == NULL || version_cmp(rs->layouts[i].since, oldest) < 0)
			oldest = rs->layouts[i].since;
	return oldest;
}

static void
describe_layouts(const struct ruleset *rs, char *out, size_t size)
{
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < rs->nlayouts && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "; or " : "",
		    rs->layouts[i].describe ? rs->layouts[i].describe : rs->layouts[i].name);
}

/* Judge a prepared source: the version first, then the first layout whose subs are all there. */
/*
 * Does each site sit where the layout's releases have it (its rule's
 * context)? A statement moved under an added condition, or given a
 * statement modifier, may never run where Bucardo needs it, rewritten or
 * not: a->modified says what was found. Sets nothing when all match.
 */
static int
judge_context(struct analysis *a, const struct perl_source *src, const struct layout *l,
    const struct span *bodies, struct err *e)
{
	struct buf chain = BUF_INIT, statement = BUF_INIT, subject = BUF_INIT;
	struct err lexerr = ERR_INIT;
	size_t i, j;
	int rc = -1, m;

	for (i = 0; i < a->nsites && a->modified == NULL; i++) {
		const struct site *s = &a->sites[i];
		char where[121], stmt[121];

		if (s->rule->context == NULL)
			continue;
		for (j = 0; j < l->nrules && &l->rules[j] != s->rule; j++)
			;
		if (locate_enclosing(src, &bodies[j], &s->lit, &chain, &statement, &lexerr) == -1) {
			if (asprintf(&a->modified, "sub %s (line %u): %s", s->rule->sub, s->line,
			    lexerr.msg) == -1)
				goto fail_memory;
			continue;
		}
		buf_reset(&subject);
		if (buf_printf(&subject, "%s :: %s", chain.data, statement.data) == -1)
			goto fail_memory;
		if ((m = rules_match(s->rule->context_re, subject.data, subject.len, NULL, e)) == -1)
			goto cleanup;
		if (m)
			continue;
		excerpt(where, sizeof(where), chain.len > 0 ? chain.data : "the sub itself");
		excerpt(stmt, sizeof(stmt), statement.data);
		if (asprintf(&a->modified, "sub %s (line %u) is locally modified: no Bucardo "
		    "release of layout %s has its statement as here, `%s` inside `%s`; it may "
		    "not run for every database Bucardo writes to", s->rule->sub, s->line,
		    l->name, stmt, where) == -1) {
			a->modified = NULL;
			goto fail_memory;
		}
	}
	rc = 0;
	goto cleanup;
fail_memory:
	err_sys(e, NULL, "out of memory");
cleanup:
	buf_release(&chain);
	buf_release(&statement);
	buf_release(&subject);
	return rc;
}

static int
analyze_source(struct analysis *a, const struct ruleset *rs, const char *function,
    const struct perl_source *src, struct err *e)
{
	const char *oldest;
	char layouts[300];
	size_t i, j, patched = 0, touched = 0;

	if ((a->version = locate_version(src)) == NULL && src->version != SIZE_MAX)
		return err_sys(e, NULL, "out of memory");
	for (i = 0; a->version != NULL && i < rs->nlayouts; i++) {
		const struct layout *l = &rs->layouts[i];

		if (l->refuse_from != NULL && version_cmp(a->version, l->refuse_from) >= 0 &&
		    version_cmp(a->version, l->since) < 0)
			return unsupported(a, "Bucardo %s: %s", a->version, l->refuse_why);
	}
	oldest = oldest_supported(rs);
	if (a->version != NULL && oldest != NULL && version_cmp(a->version, oldest) < 0)
		return unsupported(a, "Bucardo %s is older than %s, the oldest release "
		    "patches/ knows; its layout is not supported", a->version, oldest);

	for (i = 0; i < rs->nlayouts; i++) {
		const struct layout *l = &rs->layouts[i];
		struct span *bodies;
		size_t present = 0;

		if ((bodies = calloc(l->nrules, sizeof(*bodies))) == NULL)
			return err_sys(e, NULL, "out of memory");
		for (j = 0; j < l->nrules; j++) {
			unsigned count;
			struct err lexerr = ERR_INIT;

			if (locate_sub(src, l->rules[j].sub, &bodies[j], &count, &lexerr) == -1) {
				free(bodies);
				return unsupported(a, "%s", lexerr.msg);
			}
			if (count > 1) {
				free(bodies);
				return unsupported(a, "sub %s is defined %u times; expected once",
				    l->rules[j].sub, count);
			}
			present += count;
		}
		if (present < l->nrules) {
			free(bodies);
			continue;
		}
		a->layout = l;
		for (j = 0; j < l->nrules && a->reason[0] == '\0'; j++)
			if (judge_rule(a, src, l, &l->rules[j], &bodies[j], function, e) == -1) {
				free(bodies);
				return -1;
			}
		if (a->reason[0] == '\0' && judge_context(a, src, l, bodies, e) == -1) {
			free(bodies);
			return -1;
		}
		free(bodies);
		if (a->reason[0] != '\0') {
			a->layout = NULL;
			return 0;
		}
		/* A slip is half a hand edit: partial, for apply to finish. */
		for (j = 0; j < a->nsites; j++) {
			patched += a->sites[j].patched != 0;
			touched += a->sites[j].patched || a->sites[j].slip;
		}
		a->state = touched == 0 ? MODULE_PRISTINE :
		    patched == a->nsites ? MODULE_PATCHED : MODULE_PARTIAL;
		return 0;
	}
	describe_layouts(rs, layouts, sizeof(layouts));
	if (a->version == NULL)
		return unsupported(a, "no Bucardo version line and no known layout; "
		    "not a Bucardo.pm? (looked for: %s)", layouts);
	return unsupported(a, "Bucardo %s has none of the known layouts (%s)",
	    a->version, layouts);
}

int
rewrite_analyze(struct analysis *a, const struct ruleset *rs, const char *function,
    const char *text, size_t len, struct err *e)
{
	struct perl_source src;
	int rc;

	analysis_release(a);
	a->state = MODULE_UNSUPPORTED;
	if (len == 0)
		return unsupported(a, "the file is empty; not a Bucardo.pm");
	if (memchr(text, '\0', len) != NULL)
		return unsupported(a, "the file holds NUL bytes; not a Perl module");
	if (locate_source(&src, text, len) == -1)
		return err_set(e, NULL, "%s", src.why.msg);
	rc = analyze_source(a, rs, function, &src, e);
	locate_source_release(&src);
	return rc;
}

static int
site_cmp(const void *x, const void *y)
{
	const struct site *a = x, *b = y;

	return a->lit.start < b->lit.start ? -1 : a->lit.start > b->lit.start;
}

enum rule_form
rewrite_target_form(const struct analysis *a, const struct site *s, enum rule_form want)
{
	enum rule_form f;

	if (want != RULE_FORMS)
		return want;
	f = a->layout != NULL ? a->layout->form : RULE_FORM_PLAIN;
	/* A stronger form already there stays: guarded works wherever plain does. */
	if (s->patched && s->form > f)
		f = s->form;
	return f;
}

int
rewrite_site_todo(const struct analysis *a, const struct site *s, enum rule_form want)
{
	return !s->patched || s->form != rewrite_target_form(a, s, want);
}

size_t
rewrite_todo(const struct analysis *a, enum rule_form want)
{
	size_t i, n = 0;

	for (i = 0; i < a->nsites; i++)
		n += rewrite_site_todo(a, &a->sites[i], want) != 0;
	return n;
}

char *
rewrite_site_sql(const struct analysis *a, const struct site *s, const char *function,
    enum rule_form want, struct err *e)
{
	enum rule_form f = rewrite_target_form(a, s, want);
	char *sql;

	if (s->rule->becomes[f] == NULL) {
		err_set(e, NULL, "the %s layout has no %s form for sub %s (patches/ gives none)",
		    a->layout ? a->layout->name : "?", rules_form_name(f), s->rule->sub);
		return NULL;
	}
	if ((sql = rules_expand(s->rule->becomes[f], function)) == NULL) {
		if (errno == EINVAL)
			err_set(e, NULL, "the %s form needs a schema-qualified --function "
			    "(schema.name), since it looks the function up; %s has no schema",
			    rules_form_name(f), function);
		else
			err_sys(e, NULL, "out of memory");
	}
	return sql;
}

int
rewrite_apply(struct buf *out, const struct analysis *a, const char *function,
    enum rule_form want, const char *text, size_t len, struct err *e)
{
	struct site *sites;
	struct buf quoted = BUF_INIT;
	size_t i, at = 0;
	int rc = -1;

	if (a->state == MODULE_UNSUPPORTED)
		return err_set(e, NULL, "cannot rewrite an unsupported file: %s", a->reason);
	if ((sites = calloc(a->nsites ? a->nsites : 1, sizeof(*sites))) == NULL)
		return err_sys(e, NULL, "out of memory");
	memcpy(sites, a->sites, a->nsites * sizeof(*sites));
	qsort(sites, a->nsites, sizeof(*sites), site_cmp);
	buf_reset(out);
	for (i = 0; i < a->nsites; i++) {
		const struct site *s = &sites[i];
		char *sql;

		if (!rewrite_site_todo(a, s, want))
			continue;
		if (s->lit.body_start < at || s->lit.body_end < s->lit.body_start ||
		    s->lit.body_end > len) {
			err_set(e, NULL, "internal error: the statements at lines %u and %u overlap; "
			    "nothing written, please report this", i ? sites[i - 1].line : 0, s->line);
			goto cleanup;
		}
		if ((sql = rewrite_site_sql(a, s, function, want, e)) == NULL)
			goto cleanup;
		if (locate_literal_quote(&s->lit, sql, &quoted) == -1) {
			free(sql);
			err_sys(e, NULL, "out of memory");
			goto cleanup;
		}
		free(sql);
		if (buf_append(out, text + at, s->lit.body_start - at) == -1 ||
		    buf_append(out, quoted.data, quoted.len) == -1) {
			err_sys(e, NULL, "out of memory");
			goto cleanup;
		}
		at = s->lit.body_end;
	}
	if (buf_append(out, text + at, len - at) == -1) {
		err_sys(e, NULL, "out of memory");
		goto cleanup;
	}
	rc = 0;
cleanup:
	buf_release(&quoted);
	free(sites);
	return rc;
}

/* The ways a site's line may have read, besides its literal: see rewrite_reconstruct_ways. */
#define UNCOMMENT_WAYS	4	/* the line above or below, with "# " or "#" taken off */

size_t
rewrite_reconstruct_ways(const struct analysis *a, size_t i)
{
	const struct site *s = &a->sites[i];

	if (!s->patched && !s->slip)
		return 1;
	return 1 + s->rule->nshipped + UNCOMMENT_WAYS;
}

struct edit {
	size_t		 start, end;	/* the bytes replaced */
	const char	*with;		/* by these */
	size_t		 with_len;
};

static int
edit_cmp(const void *x, const void *y)
{
	const struct edit *a = x, *b = y;

	return a->start < b->start ? -1 : a->start > b->start;
}

/*
 * The edit that puts site s back the given way (see rewrite_reconstruct).
 * quoted holds the storage of way 0. 1 when that way does not fit the text.
 */
static int
reconstruct_edit(const struct site *s, size_t way, const char *text, size_t len,
    struct buf *quoted, struct edit *ed)
{
	size_t ls = s->lit.start, le = s->lit.body_end, indent, k, ns = s->rule->nshipped;
	size_t ce, ns_start, ns_end, p;
	const char *prefix;

	while (ls > 0 && text[ls - 1] != '\n')
		ls--;
	while (le < len && text[le] != '\n')
		le++;
	ce = le > ls && text[le - 1] == '\r' ? le - 1 : le;
	for (indent = ls; indent < ce && (text[indent] == ' ' || text[indent] == '\t'); indent++)
		;
	if (way == 0) {
		if (locate_literal_quote(&s->lit, s->rule->expect, quoted) == -1)
			return -1;
		*ed = (struct edit){ s->lit.body_start, s->lit.body_end, quoted->data, quoted->len };
		return 0;
	}
	if (way <= ns) {
		*ed = (struct edit){ indent, ce, s->rule->shipped[way - 1],
		    strlen(s->rule->shipped[way - 1]) };
		return 0;
	}
	k = way - ns - 1;
	prefix = k % 2 == 0 ? "# " : "#";
	if (k < 2) {		/* the line above, the site's own line dropped */
		if (ls == 0)
			return 1;
		ns_end = ls - 1;
		for (ns_start = ns_end; ns_start > 0 && text[ns_start - 1] != '\n'; ns_start--)
			;
		ed->start = ns_start;
		ed->end = le;
	} else {		/* the line below */
		if (le >= len)
			return 1;
		ns_start = le + 1;
		for (ns_end = ns_start; ns_end < len && text[ns_end] != '\n'; ns_end++)
			;
		ed->start = ls;
		ed->end = ns_end;
	}
	for (p = ns_start; p < ns_end && (text[p] == ' ' || text[p] == '\t'); p++)
		;
	if (ns_end - p < strlen(prefix) || memcmp(text + p, prefix, strlen(prefix)) != 0)
		return 1;
	/* The neighbour's indentation, then the rest of it after the comment mark. */
	buf_reset(quoted);
	if (buf_append(quoted, text + ns_start, p - ns_start) == -1 ||
	    buf_append(quoted, text + p + strlen(prefix), ns_end - p - strlen(prefix)) == -1)
		return -1;
	ed->with = quoted->data;
	ed->with_len = quoted->len;
	return 0;
}

int
rewrite_reconstruct(struct buf *out, const struct analysis *a, const char *text, size_t len,
    const size_t *ways, struct err *e)
{
	struct edit *edits;
	struct buf *held;
	size_t i, n = 0, at = 0;
	int rc = -1, got;

	if (a->state == MODULE_UNSUPPORTED)
		return err_set(e, NULL, "cannot reconstruct an unsupported file: %s", a->reason);
	edits = calloc(a->nsites ? a->nsites : 1, sizeof(*edits));
	held = calloc(a->nsites ? a->nsites : 1, sizeof(*held));
	if (edits == NULL || held == NULL) {
		free(edits);
		free(held);
		return err_sys(e, NULL, "out of memory");
	}
	buf_reset(out);
	for (i = 0; i < a->nsites; i++) {
		const struct site *s = &a->sites[i];

		if (!s->patched && !s->slip)
			continue;
		got = reconstruct_edit(s, ways != NULL ? ways[i] : 0, text, len, &held[i], &edits[n]);
		if (got == -1) {
			err_sys(e, NULL, "out of memory");
			goto cleanup;
		}
		if (got == 1) {
			rc = 1;
			goto cleanup;
		}
		n++;
	}
	qsort(edits, n, sizeof(*edits), edit_cmp);
	for (i = 0; i < n; i++) {
		if (edits[i].start < at || edits[i].end > len || edits[i].end < edits[i].start) {
			rc = 1;		/* two ways that overlap: not a reading of this text */
			goto cleanup;
		}
		if (buf_append(out, text + at, edits[i].start - at) == -1 ||
		    buf_append(out, edits[i].with, edits[i].with_len) == -1) {
			err_sys(e, NULL, "out of memory");
			goto cleanup;
		}
		at = edits[i].end;
	}
	if (buf_append(out, text + at, len - at) == -1) {
		err_sys(e, NULL, "out of memory");
		goto cleanup;
	}
	rc = 0;
cleanup:
	for (i = 0; i < a->nsites; i++)
		buf_release(&held[i]);
	free(held);
	free(edits);
	return rc;
}

int
rewrite_verify(const struct ruleset *rs, const char *function, enum rule_form want,
    const char *path, const struct analysis *before, const char *old, size_t old_len,
    const char *new, size_t new_len, struct err *e)
{
	struct analysis after = ANALYSIS_INIT;
	struct site *os = NULL, *ns = NULL;
	size_t i, oat = 0, nat = 0;
	int rc = -1;

	if (rewrite_analyze(&after, rs, function, new, new_len, e) == -1)
		return -1;
	if (after.state != MODULE_PATCHED) {
		err_set(e, path, "internal check failed: the rewritten file is %s, not patched (%s); "
		    "nothing written, please report this", rewrite_state_name(after.state),
		    after.reason);
		goto cleanup;
	}
	if (after.layout != before->layout || after.nsites != before->nsites) {
		err_set(e, path, "internal check failed: the rewrite changed the file's layout; "
		    "nothing written, please report this");
		goto cleanup;
	}
	os = calloc(before->nsites + 1, sizeof(*os));
	ns = calloc(after.nsites + 1, sizeof(*ns));
	if (os == NULL || ns == NULL) {
		err_sys(e, path, "out of memory");
		goto cleanup;
	}
	memcpy(os, before->sites, before->nsites * sizeof(*os));
	memcpy(ns, after.sites, after.nsites * sizeof(*ns));
	qsort(os, before->nsites, sizeof(*os), site_cmp);
	qsort(ns, after.nsites, sizeof(*ns), site_cmp);
	/* Everything outside the statements' quotes must be byte-identical. */
	for (i = 0; i <= before->nsites; i++) {
		size_t oend = i < before->nsites ? os[i].lit.body_start : old_len;
		size_t nend = i < after.nsites ? ns[i].lit.body_start : new_len;

		if (oend - oat != nend - nat || memcmp(old + oat, new + nat, oend - oat) != 0) {
			err_set(e, path, "internal check failed: bytes outside the statements "
			    "changed; nothing written, please report this");
			goto cleanup;
		}
		if (i < before->nsites) {
			if (ns[i].form != rewrite_target_form(before, &os[i], want)) {
				err_set(e, path, "internal check failed: sub %s is in the %s form, "
				    "not the %s form asked for; nothing written, please report this",
				    os[i].rule->sub, rules_form_name(ns[i].form),
				    rules_form_name(rewrite_target_form(before, &os[i], want)));
				goto cleanup;
			}
			if (!rewrite_site_todo(before, &os[i], want) && (os[i].lit.body_end -
			    os[i].lit.body_start !=
			    ns[i].lit.body_end - ns[i].lit.body_start ||
			    memcmp(old + os[i].lit.body_start, new + ns[i].lit.body_start,
			    os[i].lit.body_end - os[i].lit.body_start) != 0)) {
				err_set(e, path, "internal check failed: a statement already "
				    "rewritten was changed; nothing written, please report this");
				goto cleanup;
			}
			oat = os[i].lit.body_end;
			nat = ns[i].lit.body_end;
		}
	}
	rc = 0;
cleanup:
	free(os);
	free(ns);
	analysis_release(&after);
	return rc;
}

void
analysis_release(struct analysis *a)
{
	size_t i;

	for (i = 0; i < a->nsites; i++) {
		free(a->sites[i].sql);
		free(a->sites[i].note);
	}
	free(a->version);
	free(a->sites);
	free(a->other_function);
	free(a->modified);
	a->other_function = NULL;
	a->modified = NULL;
	a->version = NULL;
	a->sites = NULL;
	a->nsites = 0;
	a->layout = NULL;
	a->reason[0] = '\0';
	a->state = MODULE_UNSUPPORTED;
}
