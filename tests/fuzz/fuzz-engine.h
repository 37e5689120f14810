/* fuzz-engine.h: one input through the locate-and-rewrite engine, every invariant checked (fuzz target and regression test). */
#ifndef FUZZ_ENGINE_H
#define FUZZ_ENGINE_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "errmsg.h"
#include "locate.h"
#include "rewrite.h"
#include "rules.h"

#define FUZZ_FUNCTION	"aiven_extras.session_replication_role"

/*
 * Record the first broken invariant in why and return -1. A broken
 * invariant is a bug: the fuzz target aborts on it, the regression test
 * fails on it.
 */
static int __attribute__((format(printf, 2, 3)))
fuzz_bug(struct err *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Is s safe to print on a terminal (no control bytes but tabs)? */
static int
fuzz_printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

/*
 * Quote sql for lit's kind and delimiters, put it back inside the same
 * delimiters, and lex it again: the lexer must find exactly that literal
 * and decode it to sql. This is what rewrite_apply relies on.
 */
static int
fuzz_quote_roundtrip(const struct perl_literal *lit, const char *sql, struct err *why)
{
	struct buf src_text = BUF_INIT, quoted = BUF_INIT, back = BUF_INIT;
	struct perl_source src;
	struct perl_literal again;
	struct err e = ERR_INIT;
	size_t cursor = 0, prefix;
	int rc = -1, found;

	if (locate_literal_quote(lit, sql, &quoted) == -1)
		return 0;	/* out of memory: not a bug */
	if (lit->kind == LITERAL_Q)
		buf_puts(&src_text, "q");
	else if (lit->kind == LITERAL_QQ)
		buf_puts(&src_text, "qq");
	buf_append(&src_text, &lit->open, 1);
	prefix = src_text.len;
	buf_append(&src_text, quoted.data, quoted.len);
	buf_append(&src_text, &lit->close, 1);
	if (buf_puts(&src_text, ";\n") == -1 || locate_source(&src, src_text.data, src_text.len) == -1) {
		rc = 0;
		goto done;
	}
	found = locate_next_literal(&src, &cursor, src.len, &again, &e);
	if (found != 1 || again.body_start != prefix || again.body_end != prefix + quoted.len)
		fuzz_bug(why, "quoting '%.200s' for %c...%c gives %s, which lexes as %s",
		    sql, lit->open, lit->close, src_text.data,
		    found == 1 ? "another literal" : found == 0 ? "no literal" : e.msg);
	else if (locate_literal_text(&src, &again, &back) == -1)
		rc = 0;
	else if (strcmp(back.data, sql) != 0)
		fuzz_bug(why, "quoting '%.200s' for %c...%c decodes back as '%.200s'",
		    sql, lit->open, lit->close, back.data);
	else
		rc = 0;
	locate_source_release(&src);
done:
	buf_release(&src_text);
	buf_release(&quoted);
	buf_release(&back);
	return rc;
}

/* The lexer's own invariants over the whole file. */
static int
fuzz_locate(const char *text, size_t len, struct err *why)
{
	static const char *const names[] = {
		"disable_triggers", "enable_triggers", "start_kid", "x", "sub",
	};
	struct perl_source src;
	struct span body;
	struct perl_literal lit;
	struct buf decoded = BUF_INIT;
	struct err e = ERR_INIT;
	size_t i, cursor = 0, literals = 0;
	unsigned count;
	char *version;
	int rc = -1, found;

	if (locate_source(&src, text, len) == -1)
		return 0;
	if (src.code_end > len) {
		fuzz_bug(why, "code_end %zu past the end (%zu)", src.code_end, len);
		goto done;
	}
	for (i = 0; i < src.npods; i++)
		if (src.pods[i].start >= src.pods[i].end || src.pods[i].end > len ||
		    (i > 0 && src.pods[i].start < src.pods[i - 1].end)) {
			fuzz_bug(why, "POD block %zu [%zu, %zu) out of order or bounds", i,
			    src.pods[i].start, src.pods[i].end);
			goto done;
		}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (locate_sub(&src, names[i], &body, &count, &e) == 0 && count > 0 &&
		    (body.start >= body.end || body.end > src.code_end)) {
			fuzz_bug(why, "sub %s body [%zu, %zu) out of bounds (code ends at %zu)",
			    names[i], body.start, body.end, src.code_end);
			goto done;
		}
	}
	if ((version = locate_version(&src)) != NULL) {
		if (strlen(version) == 0 || strlen(version) > 64 || !fuzz_printable(version)) {
			fuzz_bug(why, "version '%s' of length %zu", version, strlen(version));
			free(version);
			goto done;
		}
		free(version);
	}
	while ((found = locate_next_literal(&src, &cursor, len, &lit, &e)) == 1) {
		size_t before = lit.start;

		if (!(lit.start < lit.body_start && lit.body_start <= lit.body_end &&
		    lit.body_end < src.code_end && cursor == lit.body_end + 1)) {
			fuzz_bug(why, "literal at %zu: body [%zu, %zu), cursor %zu, code ends at %zu",
			    lit.start, lit.body_start, lit.body_end, cursor, src.code_end);
			goto done;
		}
		if (locate_line(&src, before) == 0) {
			fuzz_bug(why, "line 0 for offset %zu", before);
			goto done;
		}
		if (locate_literal_text(&src, &lit, &decoded) == -1)
			break;
		if (decoded.len > lit.body_end - lit.body_start) {
			fuzz_bug(why, "literal at %zu decodes longer (%zu) than its body (%zu)",
			    lit.start, decoded.len, lit.body_end - lit.body_start);
			goto done;
		}
		/*
		 * A literal whose text holds what the lexer never reads inside
		 * a literal (a NUL, a line that opens POD or ends the code) is
		 * not one rewrite_apply can produce: its text is a fixed template.
		 */
		if (memchr(decoded.data, '\0', decoded.len) == NULL &&
		    strchr(decoded.data, '\n') == NULL && strchr(decoded.data, '\r') == NULL &&
		    fuzz_quote_roundtrip(&lit, decoded.data, why) == -1)
			goto done;
		if (++literals > len) {
			fuzz_bug(why, "more literals (%zu) than bytes", literals);
			goto done;
		}
	}
	if (found == 0 && cursor != src.code_end) {
		fuzz_bug(why, "lexing stopped at %zu, not at the end of the code (%zu)", cursor,
		    src.code_end);
		goto done;
	}
	rc = 0;
done:
	buf_release(&decoded);
	locate_source_release(&src);
	return rc;
}

/* Every site of an accepted analysis lies inside the text, in order. */
static int
fuzz_sites(const struct analysis *a, size_t len, const char *what, struct err *why)
{
	size_t i;

	if (a->layout == NULL || a->nsites == 0)
		return fuzz_bug(why, "%s: %s with no layout or no sites", what,
		    rewrite_state_name(a->state));
	for (i = 0; i < a->nsites; i++) {
		const struct perl_literal *l = &a->sites[i].lit;

		if (!(l->start < l->body_start && l->body_start <= l->body_end && l->body_end < len))
			return fuzz_bug(why, "%s: site %zu [%zu, %zu) out of bounds (%zu)", what, i,
			    l->body_start, l->body_end, len);
		if (a->sites[i].sql == NULL || a->sites[i].line == 0)
			return fuzz_bug(why, "%s: site %zu has no text or line", what, i);
	}
	return 0;
}

/*
 * Judge text with rs as the tool does, and check the verdict: an accepted
 * file's analysis is consistent, its rewrite verifies and is judged
 * patched, and a patched file is left as it is. Returns 1 when text was
 * accepted (pristine, partial or patched), 0 when it was refused, -1 on a
 * bug (why says which).
 */
static int
fuzz_check_form(const struct ruleset *rs, const char *text, size_t size, enum rule_form form,
    struct err *why)
{
	struct analysis a = ANALYSIS_INIT, again = ANALYSIS_INIT;
	struct buf out = BUF_INIT, twice = BUF_INIT;
	struct err e = ERR_INIT;
	int rc = -1;

	if (rewrite_analyze(&a, rs, FUZZ_FUNCTION, text, size, &e) == -1) {
		fuzz_bug(why, "analyze failed: %s", e.msg);
		goto cleanup;
	}
	if (a.state == MODULE_UNSUPPORTED) {
		if (a.reason[0] == '\0' || a.layout != NULL) {
			fuzz_bug(why, "refused without a reason, or with a layout");
			goto cleanup;
		}
		if (!fuzz_printable(a.reason)) {
			fuzz_bug(why, "the reason holds control bytes: %s", a.reason);
			goto cleanup;
		}
		rc = 0;
		goto cleanup;
	}
	if (a.reason[0] != '\0') {
		fuzz_bug(why, "accepted as %s with a reason: %s", rewrite_state_name(a.state),
		    a.reason);
		goto cleanup;
	}
	if (fuzz_sites(&a, size, "before", why) == -1)
		goto cleanup;
	if (rewrite_apply(&out, &a, FUZZ_FUNCTION, form, text, size, &e) == -1) {
		/* A rules file may give no guarded form: then asking for it is refused. */
		if (form != RULE_FORMS && strstr(e.msg, "has no") != NULL) {
			rc = 1;
			goto cleanup;
		}
		fuzz_bug(why, "apply failed on a %s file: %s", rewrite_state_name(a.state), e.msg);
		goto cleanup;
	}
	if (rewrite_todo(&a, form) == 0 && (out.len != size || memcmp(out.data, text, size) != 0)) {
		fuzz_bug(why, "apply changed a file with nothing to do");
		goto cleanup;
	}
	if (rewrite_verify(rs, FUZZ_FUNCTION, form, "fuzz", &a, text, size, out.data, out.len,
	    &e) != 0) {
		fuzz_bug(why, "verify refused the rewrite of a %s file: %s",
		    rewrite_state_name(a.state), e.msg);
		goto cleanup;
	}
	if (rewrite_analyze(&again, rs, FUZZ_FUNCTION, out.data, out.len, &e) == -1 ||
	    again.state != MODULE_PATCHED) {
		fuzz_bug(why, "the rewrite of a %s file is judged %s: %s",
		    rewrite_state_name(a.state), rewrite_state_name(again.state),
		    again.reason[0] != '\0' ? again.reason : e.msg);
		goto cleanup;
	}
	if (again.layout != a.layout || again.nsites != a.nsites) {
		fuzz_bug(why, "the rewrite changed the layout or the number of sites");
		goto cleanup;
	}
	if (fuzz_sites(&again, out.len, "after", why) == -1)
		goto cleanup;
	if (rewrite_todo(&again, form) != 0) {
		fuzz_bug(why, "the rewrite leaves work for a second apply");
		goto cleanup;
	}
	if (rewrite_apply(&twice, &again, FUZZ_FUNCTION, form, out.data, out.len, &e) == -1 ||
	    twice.len != out.len || memcmp(twice.data, out.data, out.len) != 0) {
		fuzz_bug(why, "applying twice is not the same as applying once");
		goto cleanup;
	}
	rc = 1;
cleanup:
	analysis_release(&a);
	analysis_release(&again);
	buf_release(&out);
	buf_release(&twice);
	return rc;
}

/* fuzz_check_form for apply's default, then for each form asked for. */
static int
fuzz_check_text(const struct ruleset *rs, const char *text, size_t size, struct err *why)
{
	int rc, form;

	if ((rc = fuzz_check_form(rs, text, size, RULE_FORMS, why)) != 1)
		return rc;
	for (form = 0; form < RULE_FORMS; form++)
		if (fuzz_check_form(rs, text, size, (enum rule_form)form, why) == -1)
			return -1;
	return 1;
}

/* A small module in Bucardo's layouts, judged with the rules an input parses into. */
static const char fuzz_sample[] =
    "package Bucardo;\n"
    "our $VERSION = '5.6.0';\n"
    "sub start_kid {\n"
    "    my $self = shift; # q{SET session_replication_role = 'replica'}\n"
    "    $dbh->do('SET search_path = public');\n"
    "}\n"
    "\n"
    "=pod\n"
    "\n"
    "sub disable_triggers { q{SET session_replication_role = default} }\n"
    "\n"
    "=cut\n"
    "\n"
    "sub disable_triggers {\n"
    "    my ($self, $info, $dbh) = @_;\n"
    "    $self->glog(\"Setting session_replication_role to replica\", 3);\n"
    "    $dbh->do(q{SET session_replication_role = 'replica'});\n"
    "    return $#{$info} / 2;\n"
    "} ## end of disable_triggers\n"
    "\n"
    "sub enable_triggers {\n"
    "    my ($self, $info, $dbh) = @_;\n"
    "    $x =~ s{a}{b}g;\n"
    "    $dbh->do(\"SET session_replication_role TO DEFAULT\"); ## Assumes a sane default!\n"
    "}\n"
    "\n"
    "1;\n"
    "__END__\n"
    "sub enable_triggers {\n"
    "}\n";

/*
 * The input as a rules file (--rules DIR): a file rules_parse accepts is
 * complete, and the sample module judged with it passes every check.
 */
static int
fuzz_rules(const char *text, size_t size, struct err *why)
{
	struct ruleset rs = RULESET_INIT;
	struct err e = ERR_INIT;
	size_t i, j;
	int rc = 0;

	if (rules_parse(&rs, "fuzz.rules", text, size, &e) == 0) {
		for (i = 0; i < rs.nlayouts && rc == 0; i++) {
			const struct layout *l = &rs.layouts[i];

			if (l->name == NULL || l->since == NULL || l->mentions == NULL ||
			    l->origin == NULL || l->nrules == 0)
				rc = fuzz_bug(why, "rules accepted with layout %zu incomplete", i);
			for (j = 0; j < l->nrules && rc == 0; j++)
				if (l->rules[j].sub == NULL || l->rules[j].statement == NULL ||
				    l->rules[j].expect == NULL ||
				    l->rules[j].becomes[RULE_FORM_PLAIN] == NULL ||
				    strstr(l->rules[j].becomes[RULE_FORM_PLAIN], "{function}") == NULL ||
				    (l->rules[j].becomes[RULE_FORM_GUARDED] != NULL &&
				    strstr(l->rules[j].becomes[RULE_FORM_GUARDED], "{function}") == NULL) ||
				    l->rules[j].becomes[l->form] == NULL)
					rc = fuzz_bug(why, "rules accepted with rule %zu of layout %zu "
					    "incomplete", j, i);
		}
		if (rc == 0 && fuzz_check_text(&rs, fuzz_sample, sizeof(fuzz_sample) - 1, why) == -1) {
			char msg[sizeof(why->msg)];

			snprintf(msg, sizeof(msg), "%s", why->msg);
			rc = fuzz_bug(why, "with these rules: %.900s", msg);
		}
	}
	rules_release(&rs);
	return rc;
}

/*
 * Run one input through the engine: the lexer's invariants, the input as a
 * module judged with rs, and the input as a rules file. Returns 1 when the
 * module was accepted, 0 when refused, -1 on a bug (why says which).
 */
static int
fuzz_engine_one(const struct ruleset *rs, const uint8_t *data, size_t size, struct err *why)
{
	char *text;
	int rc = -1;

	/* Exactly size bytes, no NUL after them: reading past len is caught. */
	if ((text = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	if (fuzz_locate(text, size, why) == 0 && fuzz_rules(text, size, why) == 0)
		rc = fuzz_check_text(rs, text, size, why);
	free(text);
	return rc;
}

#endif
