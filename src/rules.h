/* rules.h: the rewrite rules of patches/, as data: which sub, which statement, what it becomes. */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>

#include "errmsg.h"
#include "fsroot.h"

/*
 * A rules file is a list of "key value" lines; '#' starts a comment line.
 *   layout NAME        starts a layout (a family of Bucardo releases)
 *   describe TEXT      what the layout is, for messages
 *   since VERSION      oldest Bucardo release with this layout
 *   mentions REGEX     a string literal matching this, inside a rule's sub,
 *                      is a session_replication_role statement of some kind
 *   sub NAME           starts a rule: the statement lives in `sub NAME`
 *   statement REGEX    the SQL as Bucardo ships it (PCRE2, matched against
 *                      the literal's decoded text)
 *   expect TEXT        the statement in words, for messages
 *   becomes TEMPLATE   the SQL it is rewritten to; {function} stands for the
 *                      --function name
 * Layouts are tried in order; the first whose subs are all present applies.
 */

struct rule {
	char	*sub;
	char	*statement;
	char	*expect;
	char	*becomes;
};

struct layout {
	char		*name;
	char		*describe;
	char		*since;
	char		*mentions;
	char		*origin;	/* "FILE:LINE" where the layout starts */
	struct rule	*rules;
	size_t		 nrules;
};

struct ruleset {
	struct layout	*layouts;
	size_t		 nlayouts;
};

#define RULESET_INIT { NULL, 0 }

/* Parse one rules file's text, appending its layouts; name is used in messages. */
int	rules_parse(struct ruleset *rs, const char *name, const char *text, size_t len,
	    struct err *e);
/* The rules built into the binary from patches/ at build time. */
int	rules_load_builtin(struct ruleset *rs, struct err *e);
/*
 * Every *.rules file of dir (for --rules DIR), in name order, found from
 * host's root: the directory and each file must pass the trust rule
 * (trust.h), since the rules decide what is written into a module root
 * loads. Returns 0, FSROOT_UNTRUSTED or -1, with e set on failure.
 */
int	rules_load_dir(struct ruleset *rs, struct fsroot *host, const char *dir, struct err *e);
void	rules_release(struct ruleset *rs);

/* Is name a plain SQL function name (identifier, optionally schema-qualified)? */
int	rules_function_ok(const char *name);

#endif
