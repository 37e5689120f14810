/* test-fuzz-regressions.c: every fuzzing finding (fixtures/fuzz/) and every fixture through the fuzz target's checks, without libFuzzer. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz-engine.h"
#include "tap.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f;
	char *data;
	long n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0) {
		fclose(f);
		return NULL;
	}
	rewind(f);
	data = malloc((size_t)n + 1);
	if (data == NULL || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return data;
}

static int
regular(const struct dirent *de)
{
	return de->d_name[0] != '.' && strcmp(de->d_name, "README.md") != 0 &&
	    (de->d_type == DT_REG || de->d_type == DT_UNKNOWN);
}

/* Run every file of fixtures/sub through the checks; count the files and the accepted ones. */
static void
replay_dir(const struct ruleset *rs, const char *fixtures, const char *sub, size_t *files,
    size_t *accepted)
{
	char dir[1024];
	struct dirent **names;
	int i, n;

	snprintf(dir, sizeof(dir), "%s%s%s", fixtures, *sub ? "/" : "", sub);
	if ((n = scandir(dir, &names, regular, alphasort)) == -1) {
		ok(0, "%s: readable", dir);
		return;
	}
	for (i = 0; i < n; i++) {
		char path[2048];
		struct err why = ERR_INIT;
		size_t len;
		char *data;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if ((data = slurp(path, &len)) == NULL) {
			free(names[i]);
			continue;	/* a directory (fixtures/expected) */
		}
		rc = fuzz_engine_one(rs, (const uint8_t *)data, len, &why);
		ok(rc != -1, "%s%s%s: %s%s", sub, *sub ? "/" : "", names[i]->d_name,
		    rc == 1 ? "no invariant broken (accepted, rewritten, verified)" :
		    rc == 0 ? "no invariant broken (refused as a module)" : "BUG: ", why.msg);
		(*files)++;
		*accepted += rc == 1;
		free(names[i]);
		free(data);
	}
	free(names);
}

/* Findings whose refusal must say why, so a fix cannot quietly come undone. */
static void
check_reasons(const struct ruleset *rs, const char *fixtures)
{
	static const struct {
		const char	*file;
		const char	*says;
	} modules[] = {
		{ "brace-in-statement.pm", "one starting in column 0" },
		{ "pod-in-statement.pm", "one starting in column 0" },
		{ "control-bytes-in-statement.pm", "statement: SET ?]0;owned??[2J session" },
	}, rules[] = {
		{ "rules-sub-twice.rules", "sub named twice" },
		{ "rules-long-sub-name.rules", "must name a Perl sub" },
		{ "rules-control-bytes.rules", "rules-control-bytes.rules:12: a control character" },
	};
	char path[1024];
	size_t i, len;
	char *text;

	for (i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
		struct analysis a = ANALYSIS_INIT;
		struct err e = ERR_INIT;

		snprintf(path, sizeof(path), "%s/fuzz/%s", fixtures, modules[i].file);
		if ((text = slurp(path, &len)) == NULL) {
			ok(0, "fuzz/%s readable", modules[i].file);
			continue;
		}
		ok(rewrite_analyze(&a, rs, FUZZ_FUNCTION, text, len, &e) == 0 &&
		    a.state == MODULE_UNSUPPORTED && strstr(a.reason, modules[i].says) != NULL,
		    "fuzz/%s: refused, saying '%s' (%s)", modules[i].file, modules[i].says, a.reason);
		analysis_release(&a);
		free(text);
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct ruleset bad = RULESET_INIT;
		struct err e = ERR_INIT;

		snprintf(path, sizeof(path), "%s/fuzz/%s", fixtures, rules[i].file);
		if ((text = slurp(path, &len)) == NULL) {
			ok(0, "fuzz/%s readable", rules[i].file);
			continue;
		}
		ok(rules_parse(&bad, rules[i].file, text, len, &e) == -1 &&
		    strstr(e.msg, rules[i].says) != NULL,
		    "fuzz/%s: refused as a rules file, saying '%s' (%s)", rules[i].file,
		    rules[i].says, e.msg);
		rules_release(&bad);
		free(text);
	}
}

int
main(void)
{
	const char *fixtures = getenv("FIXTURES");
	struct ruleset rs = RULESET_INIT;
	struct err e = ERR_INIT;
	size_t files = 0, accepted = 0, findings = 0, unused = 0;

	if (fixtures == NULL) {
		printf("Bail out! FIXTURES is not set\n");
		return 1;
	}
	if (rules_load_builtin(&rs, &e) == -1) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	ok(fuzz_check_text(&rs, fuzz_sample, sizeof(fuzz_sample) - 1, &e) == 1,
	    "the sample that rules inputs are tried on is accepted with the built-in rules %s", e.msg);
	replay_dir(&rs, fixtures, "fuzz", &findings, &unused);
	check_reasons(&rs, fixtures);
	replay_dir(&rs, fixtures, "", &files, &accepted);
	replay_dir(&rs, fixtures, "expected", &files, &accepted);
	/* The fixtures hold 13 good inputs and 13 expected results: all must get through. */
	ok(accepted >= 26, "fixtures: %zu of %zu files accepted and verified (26 or more wanted); "
	    "%zu fuzzing findings replayed", accepted, files, findings);
	rules_release(&rs);
	return tap_done();
}
