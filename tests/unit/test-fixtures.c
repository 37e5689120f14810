/* test-fixtures.c: every fixture judged and rewritten exactly as its hand-made expected file says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rewrite.h"
#include "tap.h"

#define FN "aiven_extras.session_replication_role"

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *data;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(data);
		return NULL;
	}
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

struct good {
	const char	*name;
	const char	*state;
	const char	*layout;
	size_t		 sites;
	const char	*subdir;	/* expected/SUBDIR/NAME for form; NULL: expected/NAME, no --form */
	enum rule_form	 form;
};

struct bad {
	const char	*name;
	const char	*reason;	/* a phrase the refusal must contain */
};

/*
 * Each hand edit of bucardo-5.6.pm: judged as its state, and one of the
 * ways rewrite_reconstruct reads it back gives bucardo-5.6.pm itself (what
 * a package manager's checksum then confirms); the first way, every
 * literal put back, is pristine by the rules.
 */
static void
hand_edits(const struct ruleset *rs, const char *dir)
{
	static const struct { const char *name, *state; int modified; } hand[] = {
		{ "hand-guide.pm", "patched", 0 },
		{ "hand-capitals.pm", "patched", 0 },
		{ "hand-select-star.pm", "patched", 0 },
		{ "hand-commented.pm", "patched", 0 },
		{ "hand-slip.pm", "partial", 0 },
		{ "hand-half.pm", "partial", 0 },
		{ "modified-role.pm", "patched", 1 },
	};
	struct err e = ERR_INIT;
	size_t i, k, plen, len, ways[8];
	char *pristine = slurp(dir, "bucardo-5.6.pm", &plen);

	for (i = 0; i < sizeof(hand) / sizeof(hand[0]); i++) {
		struct analysis a = ANALYSIS_INIT, back = ANALYSIS_INIT;
		struct buf out = BUF_INIT;
		char *text = slurp(dir, hand[i].name, &len);
		int found = 0, got;

		if (text == NULL || pristine == NULL) {
			ok(0, "%s: fixture readable", hand[i].name);
			free(text);
			continue;
		}
		rewrite_analyze(&a, rs, FN, text, len, &e);
		is_str(rewrite_state_name(a.state), hand[i].state, "%s: %s", hand[i].name,
		    hand[i].state);
		ok((a.modified != NULL) == hand[i].modified, "%s: %slocally modified (%s)",
		    hand[i].name, hand[i].modified ? "" : "not ", a.modified ? a.modified : "-");
		if (a.state == MODULE_UNSUPPORTED || a.nsites > 8) {
			ok(0, "%s: reconstructable (%s)", hand[i].name, a.reason);
			free(text);
			analysis_release(&a);
			continue;
		}
		ok(rewrite_reconstruct(&out, &a, text, len, NULL, &e) == 0 &&
		    rewrite_analyze(&back, rs, FN, out.data, out.len, &e) == 0 &&
		    back.state == MODULE_PRISTINE, "%s: every literal put back reads as pristine",
		    hand[i].name);
		/* Every combination of ways, as adopt.c searches them. */
		memset(ways, 0, sizeof(ways));
		for (;;) {
			got = rewrite_reconstruct(&out, &a, text, len, ways, &e);
			if (got == 0 && (out.len == plen && memcmp(out.data, pristine, plen) == 0) &&
			    !hand[i].modified)
				found = 1;
			for (k = 0; k < a.nsites; k++) {
				if (++ways[k] < rewrite_reconstruct_ways(&a, k))
					break;
				ways[k] = 0;
			}
			if (k == a.nsites || found)
				break;
		}
		if (!hand[i].modified)
			ok(found, "%s: one way of reading it back is bucardo-5.6.pm, byte for byte",
			    hand[i].name);
		analysis_release(&a);
		analysis_release(&back);
		buf_release(&out);
		free(text);
	}
	free(pristine);
}

int
main(void)
{
	static const struct good good[] = {
		{ "bucardo-5.6.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		{ "bucardo-5.4.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		{ "bucardo-5.3.pm", "pristine", "5.0", 1, NULL, RULE_FORMS },
		{ "bucardo-5.1.pm", "pristine", "5.0", 1, NULL, RULE_FORMS },
		{ "bucardo-5.0.pm", "pristine", "5.0", 1, NULL, RULE_FORMS },
		{ "bucardo-4.99.pm", "pristine", "5.0", 1, NULL, RULE_FORMS },
		{ "variants-quoting.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		{ "variants-paren.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		{ "variants-origin.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		{ "crlf.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		{ "bom.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		{ "patched-5.6.pm", "patched", "5.4", 2, NULL, RULE_FORMS },
		{ "partial-5.6.pm", "partial", "5.4", 2, NULL, RULE_FORMS },
		{ "tabs.pm", "pristine", "5.4", 2, NULL, RULE_FORMS },
		/* The 5.0 layout's default is guarded: a plain one of an earlier release becomes so. */
		{ "patched-5.3-plain.pm", "patched", "5.0", 1, NULL, RULE_FORMS },
		{ "bucardo-5.3.pm", "pristine", "5.0", 1, "plain", RULE_FORM_PLAIN },
		{ "bucardo-5.1.pm", "pristine", "5.0", 1, "plain", RULE_FORM_PLAIN },
		{ "bucardo-5.0.pm", "pristine", "5.0", 1, "plain", RULE_FORM_PLAIN },
		{ "bucardo-5.6.pm", "pristine", "5.4", 2, "guarded", RULE_FORM_GUARDED },
		{ "variants-quoting.pm", "pristine", "5.4", 2, "guarded", RULE_FORM_GUARDED },
		{ "variants-paren.pm", "pristine", "5.4", 2, "guarded", RULE_FORM_GUARDED },
		{ "crlf.pm", "pristine", "5.4", 2, "guarded", RULE_FORM_GUARDED },
		/* Patched in the plain form, asked for the guarded one: rewritten again. */
		{ "patched-5.6.pm", "patched", "5.4", 2, "guarded", RULE_FORM_GUARDED },
	};
	static const struct bad bad[] = {
		{ "empty.pm", "empty" },
		{ "garbage.bin", "NUL" },
		{ "truncated-in-disable.pm", "never closed" },
		{ "indented-end.pm", "sub disable_triggers (line 105) is never closed" },
		{ "missing-disable-statement.pm", "sub disable_triggers" },
		{ "missing-enable-statement.pm", "sub enable_triggers" },
		{ "twice-disable.pm", "expected exactly one" },
		{ "twice-enable.pm", "expected exactly one" },
		{ "only-in-pod.pm", "holds no" },
		{ "only-in-comments.pm", "holds no" },
		{ "unknown-function.pm", "other_ext.session_replication_role" },
		{ "bucardo-4.pm", "4.5.0" },
		{ "no-subs-5.6.pm", "none of the known layouts" },
		{ "duplicate-sub.pm", "defined 2 times" },
		{ "bucardo-4.99-early.pm", "sub run_kid_custom_code" },
	};
	const char *dir = getenv("FIXTURES");
	char expected_dir[1024];
	struct ruleset rs = RULESET_INIT;
	struct err e = ERR_INIT;
	size_t i;

	if (dir == NULL) {
		printf("Bail out! FIXTURES is not set\n");
		return 1;
	}
	snprintf(expected_dir, sizeof(expected_dir), "%s/expected", dir);
	if (rules_load_builtin(&rs, &e) == -1) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct analysis a = ANALYSIS_INIT, again = ANALYSIS_INIT;
		struct buf out = BUF_INIT;
		size_t len, want_len, k;
		char expected[1100], name[200];
		char *text = slurp(dir, good[i].name, &len), *want;
		enum rule_form form = good[i].form;

		snprintf(expected, sizeof(expected), "%s%s%s", expected_dir,
		    good[i].subdir ? "/" : "", good[i].subdir ? good[i].subdir : "");
		snprintf(name, sizeof(name), "%s%s%s", good[i].name, good[i].subdir ? " --form " : "",
		    good[i].subdir ? good[i].subdir : "");
		want = slurp(expected, good[i].name, &want_len);
		if (text == NULL || want == NULL) {
			ok(0, "%s: fixture and expected file readable", name);
			continue;
		}
		rewrite_analyze(&a, &rs, FN, text, len, &e);
		is_str(rewrite_state_name(a.state), good[i].state, "%s: %s", name, good[i].state);
		ok(a.layout != NULL && strcmp(a.layout->name, good[i].layout) == 0 &&
		    a.nsites == good[i].sites, "%s: layout %s, %zu statements (%s)", name,
		    good[i].layout, good[i].sites, a.reason);
		if (a.state != MODULE_UNSUPPORTED &&
		    rewrite_apply(&out, &a, FN, form, text, len, &e) == 0) {
			ok(out.len == want_len && memcmp(out.data, want, want_len) == 0,
			    "%s: result byte-identical to %s/%s", name, expected, good[i].name);
			ok(rewrite_verify(&rs, FN, form, good[i].name, &a, text, len, out.data, out.len,
			    &e) == 0, "%s: structural check passes (%s)", name, e.msg);
			rewrite_analyze(&again, &rs, FN, out.data, out.len, &e);
			ok(again.state == MODULE_PATCHED && rewrite_todo(&again, form) == 0,
			    "%s: result judged patched, nothing left to do", name);
			for (k = 0; k < again.nsites; k++)
				ok(again.sites[k].form == (form != RULE_FORMS ? form : a.layout->form),
				    "%s: sub %s in the %s form", name, again.sites[k].rule->sub,
				    rules_form_name(form != RULE_FORMS ? form : a.layout->form));
		} else
			ok(0, "%s: rewrite succeeds (%s)", name, e.msg);
		analysis_release(&a);
		analysis_release(&again);
		buf_release(&out);
		free(text);
		free(want);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct analysis a = ANALYSIS_INIT;
		size_t len;
		char *text = slurp(dir, bad[i].name, &len);

		if (text == NULL) {
			ok(0, "%s: fixture readable", bad[i].name);
			continue;
		}
		ok(rewrite_analyze(&a, &rs, FN, text, len, &e) == 0 &&
		    a.state == MODULE_UNSUPPORTED && strstr(a.reason, bad[i].reason) != NULL,
		    "%s: refused, saying '%s' (%s)", bad[i].name, bad[i].reason, a.reason);
		analysis_release(&a);
		free(text);
	}
	hand_edits(&rs, dir);
	rules_release(&rs);
	return tap_done();
}
