/* trace.h: a trace in syslog of the runs nobody watches (package triggers, the apt hook, cron, automation). */
#ifndef TRACE_H
#define TRACE_H

#include "options.h"
#include "report.h"

/*
 * Does this run leave a trace in syslog? Yes with --reapply (the package
 * triggers and the apt hook run it), or when neither stdin nor stderr is a
 * terminal (cron, automation, a post-install script). The environment can
 * say otherwise: BUCARDO_AIVEN_SYSLOG=1 always, =0 never (the test suite
 * sets 0, so as not to write into the host's logs). Only a choice of
 * whether to log, so an environment root did not set cannot make it do
 * anything else.
 */
int	trace_wanted(const struct options *o);

/*
 * Send r's outcome to syslog(3) with ident "bucardo-aiven", facility user:
 * one LOG_NOTICE line per copy changed (what was done, its version), one
 * LOG_ERR line per copy that failed and for a failure of the whole run.
 * A run that changed nothing and failed nothing logs nothing, so the
 * already-patched path after every package operation stays quiet. Every
 * string is escaped first (esc.h): file content and paths are outside text.
 * Nothing when trace_wanted says no.
 */
void	trace_report(const struct options *o, const struct report *r);

/* One line of its own (the hook's changes), at priority (LOG_NOTICE, LOG_ERR). */
void	trace_line(const struct options *o, int priority, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
