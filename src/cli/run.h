/* run.h: what every command's run shares: the files it works on, judging them, reporting. */
#ifndef RUN_H
#define RUN_H

#include "host/host.h"
#include "options.h"
#include "report.h"
#include "engine/engine.h"

/*
 * What status, apply and revert share from start to end: the report, the
 * copies discovery found, the rules. run_begin fills it, run_end prints the
 * report and releases it all.
 */
struct run_context {
	struct report		r;
	struct discovery	d;
	struct ruleset		rs;
};

#define RUN_CONTEXT_INIT { REPORT_INIT, DISCOVERY_INIT, RULESET_INIT }

/* "bucardo-aiven: MESSAGE" on stderr. */
void	run_complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The last message run_complain printed (owned here), or NULL. */
const char	*run_last_complaint(void);

/* A failure of the whole run: on stderr now, and in the JSON document. */
void	run_fail(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print the per-file errors on stderr, then the report on stdout. */
void	run_finish(const struct options *o, const struct report *r);

/* Mark a file failed with a message ("PATH: reason"); returns -1. */
int	run_fail_file(struct file_report *f, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Attach a note to a file's report, replacing any earlier one. */
void	run_note_file(struct file_report *f, const char *msg);

/*
 * The function and the form a file is to be patched with: what --reapply
 * found recorded for it in the watch list, or else --function and --form.
 */
const char	*run_function(const struct options *o, const struct file_report *f);
enum rule_form	 run_form(const struct options *o, const struct file_report *f);

/* Discovery's options for this run (the roots, PATH, HOME, PERL5LIB). */
void	run_discover_options(const struct options *o, struct discover_options *d);

/*
 * The files a command works on: the ones given, or every copy discovery
 * finds. want_active asks which one perl loads (costs one perl run when
 * files are given).
 */
int	run_gather(struct options *o, struct report *r, struct discovery *d, int want_active);

/* The rules: built in, or --rules DIR. */
int	run_load_rules(const struct options *o, struct ruleset *rs, struct report *r);

/* run_examine's result for a file that fails the trust rule. */
#define RUN_UNTRUSTED	1

/*
 * Read and judge one file, filling its report entry: 0 when read and
 * analysed; RUN_UNTRUSTED when it fails the trust rule (nothing read; the
 * entry says "untrusted", who controls it and how to patch it anyway);
 * -1 when it cannot be read (the entry is marked failed).
 */
int	run_examine(const struct options *o, const struct ruleset *rs, struct file_report *f,
	    struct target *t, struct analysis *a);

/*
 * Does a file that failed the trust rule make the run fail? When the admin
 * named it, when Bucardo loads it, or with --reapply; otherwise only a note.
 */
int	run_untrusted_fails(const struct options *o, const struct file_report *f);

/* Attach the unified diff from old to new to a file's report. */
int	run_add_diff(struct file_report *f, const char *path, const struct buf *old,
	    const struct buf *new);

/* Advice when a running Bucardo loaded a file before it was changed. */
void	run_restart_advice(const struct options *o, struct report *r, int only_changed);

/* Mark which of the files given perl would load (discovery did it already). */
void	run_mark_active(const struct options *o, struct report *r);

/*
 * The end of apply and revert: the restart advice when a file Bucardo
 * loaded changed, and the exit status: 1 when failed, else 0; with
 * --detailed-exitcodes Puppet's 0 (nothing to do), 2 (changed), 4 (failed)
 * or 6 (changed, and something else failed).
 */
int	run_conclude(const struct options *o, struct report *r, int failed);

/*
 * Start a command: name its report (command, kind, check mode, state
 * directory, function), load the rules and gather the files (want_active:
 * ask which copy perl loads). Returns 0, or -1 when the run cannot go on
 * (the report says why); run_end is due either way.
 */
int	run_begin(struct options *o, struct run_context *c, const char *command,
	    enum report_kind kind, int want_active);

/* End a command: print the report (run_finish) and release the context. */
void	run_end(const struct options *o, struct run_context *c);

#endif
