/* rules_builtin.h: the patches/ files compiled into the binary (generated rules_builtin.c). */
#ifndef RULES_BUILTIN_H
#define RULES_BUILTIN_H

#include <stddef.h>

struct rules_file {
	const char	*name;
	const char	*text;
	size_t		 len;
};

extern const struct rules_file	rules_builtin[];
extern const size_t		rules_builtin_count;

#endif
