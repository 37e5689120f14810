/* trace.c: syslog lines for the runs nobody watches. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "base/base.h"
#include "trace.h"

int
trace_wanted(const struct options *o)
{
	const char *env = getenv("BUCARDO_AIVEN_SYSLOG");

	if (env != NULL && strcmp(env, "0") == 0)
		return 0;
	if (env != NULL && strcmp(env, "1") == 0)
		return 1;
	return o->reapply || (!isatty(STDIN_FILENO) && !isatty(STDERR_FILENO));
}

/* Escape msg and send it; syslog(3) opens the connection to /dev/log itself. */
static void
trace_send(int priority, const char *msg)
{
	struct buf safe = BUF_INIT;

	if (esc_text(&safe, msg, strlen(msg), 0) == -1 || buf_append(&safe, "", 0) == -1) {
		buf_release(&safe);
		return;
	}
	openlog(PROGNAME, LOG_PID, LOG_USER);
	syslog(priority, "%s", safe.data);
	closelog();
	buf_release(&safe);
}

void
trace_line(const struct options *o, int priority, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (!trace_wanted(o))
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n == -1)
		return;
	trace_send(priority, msg);
	free(msg);
}

void
trace_report(const struct options *o, const struct report *r)
{
	const char *mode = o->reapply ? " --reapply" : o->check ? " --check" : "";
	size_t i;

	if (!trace_wanted(o))
		return;
	for (i = 0; i < r->nfiles; i++) {
		const struct file_report *f = &r->files[i];

		if (f->failed)
			trace_line(o, LOG_ERR, "%s%s: %s: failed: %s", r->command, mode, f->path,
			    f->message != NULL ? f->message : "see its report");
		else if (f->changed && !o->check)
			trace_line(o, LOG_NOTICE, "%s%s: %s: %s (Bucardo %s)%s%s", r->command, mode,
			    f->path, f->action != NULL ? f->action : "changed",
			    f->version != NULL ? f->version : "of unknown version",
			    f->message != NULL ? "; " : "", f->message != NULL ? f->message : "");
	}
	if (r->error != NULL)
		trace_line(o, LOG_ERR, "%s%s: failed: %s", r->command, mode, r->error);
}
