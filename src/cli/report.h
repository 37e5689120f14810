/* report.h: what a run did to each file, printed for people or as one JSON document. */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>

#include "base/base.h"
#include "engine/engine.h"
#include "state/state.h"

struct statement_report {
	char		*sub;
	unsigned	 line;
	char		*before;	/* SQL as found */
	char		*after;		/* SQL as written (or as it would be) */
	char		*note;		/* how it was read (a hand spelling, the guide's
					   slip), for status -v and JSON; or NULL */
};

struct file_report {
	char		*path;		/* as given or found */
	char		*inner;		/* the path inside the root (--root), as asked for */
	char		*real;		/* symlinks resolved; NULL when unreadable */
	char		*version;	/* Bucardo's $VERSION, NULL when unknown */
	char		*layout;	/* patches/ layout name */
	const char	*state;		/* pristine, patched, partial, modified, unsupported or
					   untrusted; NULL when it could not be read */
	const char	*form;		/* of the patched statements: plain, guarded, mixed; or NULL */
	char		*function;	/* --reapply: the function apply used for it, or NULL */
	enum rule_form	 want_form;	/* --reapply: the form apply wrote; RULE_FORMS: none */
	const char	*state_after;	/* after this run (apply, revert) */
	const char	*action;	/* what happened, in words: "patched", "already patched", ... */
	const char	*perl_check;	/* apply's perl -c: passed, skipped (--no-perl-check),
					   not-run (perl may not run), original-fails; NULL
					   when the run did not get that far */
	int		 active;	/* the copy perl would load */
	int		 changed;	/* the file was (or, with --check, would be) changed */
	int		 failed;
	int		 untrusted;	/* fails the trust rule: never read, compiled or written */
	char		*fault_path;	/* untrusted: the first component that fails */
	long		 fault_uid;	/* untrusted: its owner */
	char		*message;	/* the error, or a note, or NULL */
	char		*diff;		/* unified diff when asked for */
	struct statement_report	*statements;
	size_t		 nstatements;
};

/*
 * What a report holds, which picks its printers (report.c's table): the
 * copies as found (status), what was done to them (apply, revert: the
 * default), or the store's events (history).
 */
enum report_kind {
	REPORT_ACTIONS,
	REPORT_STATUS,
	REPORT_HISTORY
};

struct report {
	const char		*command;
	enum report_kind	 kind;
	int			 check_mode;
	const char		*state_dir;
	const char		*function;
	struct file_report	*files;
	size_t			 nfiles;
	char			**searched;	/* every directory discovery looked in
						   (borrowed from the discovery); the text
						   shows them only when nothing was found */
	size_t			 nsearched;
	int			 discovered;	/* files came from discovery, not arguments */
	char			*restart;	/* "Bucardo is running ..." advice, or NULL */
	char			*warning;	/* why discovery guessed which copy perl
						   loads (perl not asked), or NULL */
	char			*error;		/* why the whole run failed, or NULL */
	struct store_event	*events;	/* history */
	size_t			 nevents;
	char			**warnings;	/* run-wide warnings (report_warn), in order */
	size_t			 nwarnings;
};

#define REPORT_INIT { NULL, REPORT_ACTIONS, 0, NULL, NULL, NULL, 0, NULL, 0, 0, NULL, NULL, NULL, \
	NULL, 0, NULL, 0 }

/* Add a file entry (zeroed, path copied); NULL when out of memory. */
struct file_report	*report_add(struct report *r, const char *path);
/* Add a statement to f; every string is copied, after and note may be NULL. -1: no memory. */
int	report_statement(struct file_report *f, const char *sub, unsigned line,
	    const char *before, const char *after, const char *note);
int	report_changed(const struct report *r);
/*
 * Add a run-wide warning (printf-style): one line of its own in text, an
 * entry of "warnings" in JSON. Returns 0, or -1 when out of memory.
 */
int	report_warn(struct report *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Human-readable lines on stdout (per-file errors go to stderr in run.c),
 * control characters in them escaped (esc.h); diffs keep their newlines
 * and tabs.
 */
void	report_print_text(const struct report *r, int verbose);
/* One JSON document on stdout, through report_emit_json. -1 when it cannot be built. */
int	report_print_json(const struct report *r);

/*
 * The version of the JSON interface (man page, JSON OUTPUT; the schema in
 * schema/bucardo-aiven.schema.json). Raised only when a change would break a
 * consumer: a key removed or renamed, a type or a meaning changed. New keys
 * do not raise it.
 */
#define REPORT_FORMAT_VERSION	1

struct json_object;
/* A JSON string for s, or JSON null when s is NULL; the caller owns it. */
struct json_object	*report_json_string(const char *s);
/*
 * Write doc on stdout inside the shared envelope ("format_version",
 * "version", then doc's keys, with "command", "changed", "check_mode",
 * "failed", "error" and "warnings" defaulted when doc lacks them), as
 * pretty-printed JSON (slashes not escaped) with DEL, C1 controls and
 * invalid UTF-8 in its strings escaped (esc_json), then a newline, and
 * flush. doc stays the caller's. Returns 0, or -1 when it cannot be
 * serialized or written. Every JSON document the tool prints goes through
 * here, and a process prints at most one.
 */
int	report_emit_json(struct json_object *doc);
/* Has this process printed its JSON document? */
int	report_json_emitted(void);
/*
 * The document of a run that ended before its command printed one (a
 * usage error, an unknown option; or a command with nothing more to say):
 * "failed" when error is not NULL, error, and the exit_status the process
 * ends with. Returns as report_emit_json.
 */
int	report_emit_error(const char *command, int check_mode, const char *error,
	    int exit_status);

void	report_release(struct report *r);

#endif
