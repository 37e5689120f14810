/* rules.h: the rewrite rules of patches/, as data: which sub, which statement, what it becomes. */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>

#include "base/base.h"

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
 *   expect TEXT        the statement exactly as Bucardo ships it: named in
 *                      messages, and put back to reconstruct the original of
 *                      a copy patched by hand
 *   becomes TEMPLATE   the SQL it is rewritten to, the plain form: the call
 *                      the migration guide asks for
 *   guarded TEMPLATE   the guarded form, optional: one statement that calls
 *                      the function where it exists and sets the parameter
 *                      itself elsewhere (a superuser source without it)
 *   shipped TEXT       a line holding the statement, as a release ships it
 *                      (without its indentation), optional, repeatable:
 *                      tried when the original of a hand edit that
 *                      replaced the whole line is reconstructed, and kept
 *                      only when a package manager's checksum confirms it
 *   context REGEX      where the statement sits, optional: matched against
 *                      "BLOCKS :: STATEMENT", the headers of the blocks
 *                      around it inside the sub, outermost first and joined
 *                      by " / ", then its own statement with the literal as
 *                      STRING (locate_enclosing in locate.h); a copy where it
 *                      does not match is locally modified
 *   form plain|guarded the form apply writes in this layout by default
 *   refuse VERSION TEXT releases from VERSION up to this layout's `since`
 *                      are refused with TEXT (betas with another layout)
 * In a template, {function} stands for the --function name, {schema} and
 * {name} for its two halves. Layouts are tried in order; the first whose
 * subs are all present applies.
 */

/*
 * The forms a rewritten statement takes. Guarded is the stronger: it works
 * wherever plain does, and on a database without the function too.
 */
enum rule_form {
	RULE_FORM_PLAIN,
	RULE_FORM_GUARDED,
	RULE_FORMS
};

struct rule {
	char	*sub;
	char	*statement;
	char	*expect;
	char	*becomes[RULE_FORMS];	/* the template of each form; NULL: none */
	char	*context;	/* where the releases have the statement, or NULL */
	char	**shipped;	/* the statement's whole lines as releases ship them */
	size_t	 nshipped;
};

struct layout {
	char		*name;
	char		*describe;
	char		*since;
	char		*mentions;
	char		*origin;	/* "FILE:LINE" where the layout starts */
	enum rule_form	 form;		/* written by default */
	char		*refuse_from;	/* oldest release refuse_why applies to, or NULL */
	char		*refuse_why;
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
void	rules_release(struct ruleset *rs);

/* Is name a plain SQL function name (identifier, optionally schema-qualified)? */
int	rules_function_ok(const char *name);

/*
 * A template with {function}, {schema} and {name} replaced for function (a
 * rules_function_ok name). Returns a string the caller frees, or NULL:
 * errno ENOMEM, or EINVAL when the template needs {schema} and function
 * names none (the guarded form looks the function up by schema and name).
 */
char	*rules_expand(const char *template, const char *function);

/* "plain" or "guarded"; and back: RULE_FORMS for a name that is neither. */
const char	*rules_form_name(enum rule_form form);
enum rule_form	 rules_form_from_name(const char *name);

#endif
