/* rewrite.h: judging a module's state and rewriting its statements, with the result checked. */
#ifndef REWRITE_H
#define REWRITE_H

#include <stddef.h>

#include "buf.h"
#include "errmsg.h"
#include "locate.h"
#include "rules.h"

enum module_state {
	MODULE_PRISTINE,	/* every statement as Bucardo ships it */
	MODULE_PATCHED,		/* every statement rewritten for the function */
	MODULE_PARTIAL,		/* some rewritten, some not */
	MODULE_UNSUPPORTED	/* no layout fits, or a statement is missing or ambiguous */
};

struct site {
	const struct rule	*rule;
	struct perl_literal	 lit;
	unsigned		 line;
	int			 patched;
	char			*sql;	/* the literal's text as found (owned) */
};

struct analysis {
	enum module_state	 state;
	char			*version;	/* our $VERSION, or NULL */
	const struct layout	*layout;	/* NULL when unsupported */
	struct site		*sites;
	size_t			 nsites;
	char			 reason[512];	/* why unsupported */
};

#define ANALYSIS_INIT { MODULE_UNSUPPORTED, NULL, NULL, NULL, 0, { 0 } }

const char	*rewrite_state_name(enum module_state state);

/*
 * Classify text against the ruleset for the given function. Returns 0 (the
 * verdict, unsupported included, is in a), or -1 on a resource or pattern
 * error (e set).
 */
int	rewrite_analyze(struct analysis *a, const struct ruleset *rs, const char *function,
	    const char *text, size_t len, struct err *e);

/*
 * Produce the patched text: each unpatched site's SQL replaced by its rule's
 * template, quoted for the literal; every other byte kept. a must not be
 * unsupported.
 */
int	rewrite_apply(struct buf *out, const struct analysis *a, const char *function,
	    const char *text, size_t len, struct err *e);

/*
 * The structural check of a result: re-analyse it, require it patched, and
 * require that it differs from the original only inside the literals of the
 * sites. Returns 0 or -1 with e set (path names the file in messages).
 */
int	rewrite_verify(const struct ruleset *rs, const char *function, const char *path,
	    const struct analysis *before, const char *old, size_t old_len,
	    const char *new, size_t new_len, struct err *e);

void	analysis_release(struct analysis *a);

#endif
