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

/*
 * A pattern of a rules file, compiled once, when the file is parsed, and
 * freed by rules_release with the rest of the ruleset; rules_match runs it.
 * Opaque: only rules.c knows it is PCRE2.
 */
struct rules_pattern;

struct rule {
	char	*sub;
	char	*statement;
	char	*expect;
	char	*becomes[RULE_FORMS];	/* the template of each form; NULL: none */
	char	*context;	/* where the releases have the statement, or NULL */
	char	**shipped;	/* the statement's whole lines as releases ship them */
	size_t	 nshipped;
	struct rules_pattern	*statement_re;	/* statement, compiled */
	struct rules_pattern	*context_re;	/* context, compiled; NULL when none */
	struct rules_pattern	*becomes_re[RULE_FORMS];	/* each template as a pattern
					   over rules_sql_normal text that matches it written
					   for any function, capture group 1 the function;
					   NULL where becomes[] is */
};

struct layout {
	char		*name;
	char		*describe;
	char		*since;
	char		*mentions;
	struct rules_pattern	*mentions_re;	/* mentions, compiled */
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

/*
 * Parse one rules file's text (len bytes, not NUL-terminated), appending
 * its layouts to rs; name is used in messages. Every pattern is compiled
 * here, once for the life of rs: a pattern PCRE2 refuses fails the parse
 * with PCRE2's message and the offset in the pattern. Returns 0, or -1
 * with e set; rs may then hold part of the file, and is the caller's to
 * release with rules_release either way.
 */
int	rules_parse(struct ruleset *rs, const char *name, const char *text, size_t len,
	    struct err *e);
/* The rules built into the binary from patches/ at build time, as rules_parse. */
int	rules_load_builtin(struct ruleset *rs, struct err *e);
/* Free everything rs holds, its compiled patterns included; rs is empty again. */
void	rules_release(struct ruleset *rs);

/*
 * Run p on text[0, len). Returns 1 when it matches, 0 when it does not, -1
 * when PCRE2 fails (its match or depth limit reached, out of memory): e
 * then names the pattern (its rules file, sub and key) with PCRE2's
 * message. When group is not NULL and p matches, group[0] and group[1] get
 * the start and end offsets in text of capture group 1 (both SIZE_MAX when
 * it took no part).
 */
int	rules_match(const struct rules_pattern *p, const char *text, size_t len,
	    size_t group[2], struct err *e);

/*
 * SQL as the rules compare it: each run of blanks folded to one space
 * (dropped at either end, after '(' and before '(', ')' or ';'), letters
 * lowered, trailing ';' dropped. So the migration guide's hand edit and the
 * tool's own text compare equal whatever their spacing. Returns a string
 * the caller frees, or NULL when out of memory.
 */
char	*rules_sql_normal(const char *sql);

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
