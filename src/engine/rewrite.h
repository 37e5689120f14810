/* rewrite.h: judging a module's state and rewriting its statements, with the result checked. */
#ifndef REWRITE_H
#define REWRITE_H

#include <stddef.h>

#include "base/base.h"
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
	enum rule_form		 form;	/* when patched: which form it is in */
	int			 slip;	/* calls the function with another argument
					   (the guide's slip): to be rewritten */
	int			 by_hand;	/* patched, but not as the tool writes it: a
					   hand edit (another spelling, or the slip) */
	char			*sql;	/* the literal's text as found (owned) */
	char			*note;	/* why it is read so, for status -v; or NULL */
};

struct analysis {
	enum module_state	 state;
	char			*version;	/* our $VERSION, or NULL */
	const struct layout	*layout;	/* NULL when unsupported */
	struct site		*sites;
	size_t			 nsites;
	char			 reason[512];	/* why unsupported */
	char			*other_function;	/* unsupported because the statements
						   call this function instead, or NULL */
	char			*modified;	/* locally modified: what differs from the
						   layout's releases around a statement
						   (a rule's context), or NULL */
};

#define ANALYSIS_INIT { MODULE_UNSUPPORTED, NULL, NULL, NULL, 0, { 0 }, NULL, NULL }

const char	*rewrite_state_name(enum module_state state);

/*
 * Classify text against the ruleset for the given function. Returns 0 (the
 * verdict, unsupported included, is in a), or -1 on a resource or pattern
 * error (e set).
 */
int	rewrite_analyze(struct analysis *a, const struct ruleset *rs, const char *function,
	    const char *text, size_t len, struct err *e);

/*
 * The form site s is to end up in when apply is asked for want: want
 * itself, or with RULE_FORMS (no --form), the layout's form, or the site's
 * own when it is already patched in a stronger one (guarded outranks
 * plain: it works wherever plain does).
 */
enum rule_form	rewrite_target_form(const struct analysis *a, const struct site *s,
		    enum rule_form want);

/* Would apply rewrite site s for want: unpatched, or not in its target form? */
int	rewrite_site_todo(const struct analysis *a, const struct site *s, enum rule_form want);

/* How many sites apply would rewrite for want (0: nothing to write). */
size_t	rewrite_todo(const struct analysis *a, enum rule_form want);

/*
 * The SQL site s is rewritten to for function and want (caller frees), or
 * NULL with e set: the layout has no such form, or the guarded form was
 * asked for with a function that names no schema.
 */
char	*rewrite_site_sql(const struct analysis *a, const struct site *s, const char *function,
	    enum rule_form want, struct err *e);

/*
 * Produce the patched text: each site that is unpatched, or not in its
 * target form (rewrite_target_form), gets the SQL of that form, quoted for
 * the literal; every other byte kept. a must not be unsupported.
 */
int	rewrite_apply(struct buf *out, const struct analysis *a, const char *function,
	    enum rule_form want, const char *text, size_t len, struct err *e);

/*
 * The structural check of a result: re-analyse it, require it patched with
 * every site in its target form, and require that it differs from the
 * original only inside the literals of the sites it rewrote. Returns 0 or
 * -1 with e set (path names the file in messages).
 */
int	rewrite_verify(const struct ruleset *rs, const char *function, enum rule_form want,
	    const char *path, const struct analysis *before, const char *old, size_t old_len,
	    const char *new, size_t new_len, struct err *e);

/*
 * The original a hand edit (or the tool) was made from, as far as the rules
 * can tell, one way of reading it: ways[i] (one per a->sites entry, NULL:
 * all 0) says how site i is put back when it is patched or slipped:
 *   0                the literal's text becomes the statement as Bucardo
 *                    ships it (its rule's `expect`), quoted for the literal;
 *   1..nshipped      the whole line, indentation kept, becomes the rule's
 *                    `shipped` line of that number (a hand edit that
 *                    replaced the line, losing a trailing comment);
 *   then 4 more      the line is dropped and the line above (or below) is
 *                    uncommented, "# " or "#" taken off (the old line kept
 *                    as a comment, the new one written next to it).
 * Every other byte is kept. Only a package manager's checksum (pkgdb.h)
 * can say which reading is the file as shipped. Returns 0, 1 when the way
 * does not fit the text (no such comment line, edits that overlap), or -1
 * with e set.
 */
int	rewrite_reconstruct(struct buf *out, const struct analysis *a, const char *text,
	    size_t len, const size_t *ways, struct err *e);

/* How many ways rewrite_reconstruct can read site i (1 when it is unpatched). */
size_t	rewrite_reconstruct_ways(const struct analysis *a, size_t i);

void	analysis_release(struct analysis *a);

#endif
