/* fuzz-rewrite.c: libFuzzer target over locate, rewrite and the built-in rules (built by tools/fuzz). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz-engine.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The rules are parsed once, as the tool does at start-up; a fuzz target may keep them. */
static struct ruleset builtin_rules = RULESET_INIT;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct err e = ERR_INIT;

	if (rules_load_builtin(&builtin_rules, &e) == -1) {
		fprintf(stderr, "fuzz-rewrite: cannot load the built-in rules: %s\n", e.msg);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err why = ERR_INIT;

	if (fuzz_engine_one(&builtin_rules, data, size, &why) == -1) {
		fprintf(stderr, "fuzz-rewrite: BUG: %s\n", why.msg);
		abort();
	}
	return 0;
}
