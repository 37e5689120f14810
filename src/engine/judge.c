/* judge.c: whether a database is ready for the module Bucardo will run, from what was learnt of both. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"

/*
 * The one place that says which form a patched module is in. Each patched
 * site says which form it was written in; sites in both forms, which apply
 * never writes, count as plain: plain is what fails where the function is
 * missing.
 */
int
judge_module_from_analysis(struct judge_module *m, const struct analysis *a)
{
	size_t i;
	int guarded = 0, plain = 0;

	m->layout = a->layout != NULL && strcmp(a->layout->name, "5.0") == 0 ?
	    JUDGE_LAYOUT_50 : JUDGE_LAYOUT_54;
	switch (a->state) {
	case MODULE_PRISTINE:
		m->form = JUDGE_SET;
		return 0;
	case MODULE_PARTIAL:
		m->form = JUDGE_MIXED;
		return 0;
	case MODULE_PATCHED:
		for (i = 0; i < a->nsites; i++)
			if (a->sites[i].form == RULE_FORM_GUARDED)
				guarded = 1;
			else
				plain = 1;
		m->form = guarded && !plain ? JUDGE_GUARD : JUDGE_CALL;
		return 0;
	case MODULE_UNSUPPORTED:
		break;
	}
	m->form = JUDGE_CALL;
	return -1;
}

int
judge_module_from_name(struct judge_module *m, const char *name)
{
	size_t n = strcspn(name, ":");

	m->layout = JUDGE_LAYOUT_54;
	if (name[n] == ':') {
		if (strcmp(name + n + 1, "5.0") == 0)
			m->layout = JUDGE_LAYOUT_50;
		else if (strcmp(name + n + 1, "5.4") != 0)
			return -1;
	}
	if (n == 8 && strncmp(name, "pristine", n) == 0)
		m->form = JUDGE_SET;
	else if (n == 7 && strncmp(name, "patched", n) == 0)
		m->form = JUDGE_CALL;
	else if (n == 7 && strncmp(name, "guarded", n) == 0)
		m->form = JUDGE_GUARD;
	else
		return -1;
	return 0;
}

const char *
judge_form_name(enum judge_form form)
{
	switch (form) {
	case JUDGE_SET: return "pristine";
	case JUDGE_CALL: return "patched";
	case JUDGE_GUARD: return "guarded";
	case JUDGE_MIXED: return "partial";
	case JUDGE_FORMS: break;
	}
	return "unknown";
}

/* Does every call the module makes work? The 5.0 layout only ever calls it with 'replica'. */
static int
calls_work(enum judge_layout layout, const struct judge_facts *f)
{
	if (f->call_ok[0] != 1)
		return 0;
	return layout == JUDGE_LAYOUT_50 || f->call_ok[1] == 1;
}

enum judge_verdict
judge_database(const struct judge_module *m, const struct judge_facts *f)
{
	int statement_ok;

	if (f->unusable == 1 || f->connected != 1)
		return JUDGE_NO_CONNECTION;
	if (f->statement_runs == 0)
		statement_ok = 1;
	else
		switch (m->form) {
		case JUDGE_SET:
			if (f->can_set != 1)
				return JUDGE_NEEDS_APPLY;
			statement_ok = 1;
			break;
		case JUDGE_GUARD:
			statement_ok = calls_work(m->layout, f) ||
			    (f->function_exists == 0 && f->can_set == 1);
			if (!statement_ok)
				return JUDGE_NEEDS_FUNCTION;
			break;
		case JUDGE_MIXED:
			if (f->can_set != 1 || !calls_work(JUDGE_LAYOUT_54, f))
				return JUDGE_NEEDS_BOTH;
			statement_ok = 1;
			break;
		case JUDGE_CALL:
		default:
			if (!calls_work(m->layout, f))
				return JUDGE_NEEDS_FUNCTION;
			statement_ok = 1;
			break;
		}
	if (f->index_tables > 0 && f->pg_class_update != 1)
		return JUDGE_REBUILD_INDEX;
	return statement_ok && f->statement_runs != 0 ? JUDGE_READY : JUDGE_READY_UNTOUCHED;
}

int
judge_ready(enum judge_verdict v)
{
	return v == JUDGE_READY || v == JUDGE_READY_UNTOUCHED;
}

unsigned
judge_works_with(enum judge_layout layout, const struct judge_facts *f)
{
	static const enum judge_form forms[] = { JUDGE_SET, JUDGE_CALL, JUDGE_GUARD };
	struct judge_module m;
	unsigned set = 0;
	size_t i;

	m.layout = layout;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		m.form = forms[i];
		if (judge_ready(judge_database(&m, f)))
			set |= 1u << forms[i];
	}
	return set;
}

enum judge_role
judge_role_from_name(const char *name)
{
	if (name != NULL && strcmp(name, "source") == 0)
		return JUDGE_SOURCE;
	if (name != NULL && strcmp(name, "fullcopy") == 0)
		return JUDGE_FULLCOPY;
	return JUDGE_TARGET;
}

void
judge_sync_plan(enum judge_layout layout, const enum judge_role *roles, size_t n, int *runs,
    int *copies)
{
	size_t i, sources = 0, targets = 0, fullcopies = 0;
	int fullcopy;

	for (i = 0; i < n; i++)
		switch (roles[i]) {
		case JUDGE_SOURCE: sources++; break;
		case JUDGE_TARGET: targets++; break;
		case JUDGE_FULLCOPY: fullcopies++; break;
		}
	/* As the MCP decides it when it starts. */
	fullcopy = targets == 0 && sources <= 1 && fullcopies > 0;
	for (i = 0; i < n; i++) {
		if (fullcopy) {
			runs[i] = copies[i] = roles[i] == JUDGE_FULLCOPY;
			continue;
		}
		copies[i] = roles[i] != JUDGE_SOURCE || sources > 1;
		runs[i] = layout == JUDGE_LAYOUT_50 ? 1 : copies[i];
	}
}

/* libpq's parse_int_param: an int, white space around it allowed. */
static int
libpq_int(const char *value, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (end == value || errno != 0 || v < INT_MIN || v > INT_MAX)
		return -1;
	while (*end != '\0' && isspace((unsigned char)*end))
		end++;
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

/* Each comma-separated port: empty (the default) or a number from 1 to 65535. */
static const char *
port_problem(const char *value)
{
	char one[64];
	const char *p = value;
	size_t n;
	long v;

	for (;;) {
		n = strcspn(p, ",");
		if (n > 0) {
			if (n >= sizeof(one))
				return "is not a number";
			memcpy(one, p, n);
			one[n] = '\0';
			if (libpq_int(one, &v) == -1)
				return "is not a number";
			if (v < 1 || v > 65535)
				return "is not a port number (1 to 65535)";
		}
		if (p[n] == '\0')
			return NULL;
		p += n + 1;
	}
}

static int
one_of(const char *value, const char *const *allowed)
{
	size_t i;

	for (i = 0; allowed[i] != NULL; i++)
		if (strcmp(value, allowed[i]) == 0)
			return 1;
	return 0;
}

const char *
judge_conninfo_value(const char *keyword, const char *value)
{
	static const char *const integers[] = { "connect_timeout", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout",
	    NULL };
	static const char *const sslmodes[] = { "disable", "allow", "prefer", "require",
	    "verify-ca", "verify-full", NULL };
	static const char *const three[] = { "disable", "prefer", "require", NULL };
	static const char *const sessions[] = { "any", "read-write", "read-only", "primary",
	    "standby", "prefer-standby", NULL };
	static const char *const tls[] = { "", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3", NULL };
	long v;

	if (value == NULL)
		return NULL;
	if (strcmp(keyword, "port") == 0)
		return port_problem(value);
	if (one_of(keyword, integers))
		return libpq_int(value, &v) == 0 ? NULL : "is not a number";
	if (strcmp(keyword, "sslmode") == 0)
		return one_of(value, sslmodes) ? NULL : "is not an sslmode libpq knows "
		    "(disable, allow, prefer, require, verify-ca, verify-full)";
	if (strcmp(keyword, "gssencmode") == 0 || strcmp(keyword, "channel_binding") == 0)
		return one_of(value, three) ? NULL : "is not one of disable, prefer, require";
	if (strcmp(keyword, "target_session_attrs") == 0)
		return one_of(value, sessions) ? NULL : "is not one of any, read-write, "
		    "read-only, primary, standby, prefer-standby";
	if (strcmp(keyword, "ssl_min_protocol_version") == 0 ||
	    strcmp(keyword, "ssl_max_protocol_version") == 0)
		return one_of(value, tls) ? NULL : "is not one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3";
	return NULL;
}
