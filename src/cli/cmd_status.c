/* cmd_status.c: the commands that only read: status and history. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adopt.h"
#include "commands.h"
#include "base/base.h"
#include "run.h"
#include "state/state.h"
#include "host/host.h"

int
cmd_status(struct options *o)
{
	struct run_context c = RUN_CONTEXT_INIT;
	size_t i;
	int status = EXIT_FAILED, unreadable = 0, unpatched = 0, got;

	if (run_begin(o, &c, "status", REPORT_STATUS, 1) == -1)
		goto done;
	for (i = 0; i < c.r.nfiles; i++) {
		struct file_report *f = &c.r.files[i];
		struct target t = TARGET_INIT;
		struct analysis a = ANALYSIS_INIT;

		if ((got = run_examine(o, &c.rs, f, &t, &a)) == -1)
			unreadable = 1;
		else if (got == RUN_UNTRUSTED) {
			/* Only Bucardo's own copy, or one asked about, says "not patched". */
			if (f->active || o->nfiles > 0)
				unpatched = 1;
		} else if (a.state != MODULE_PATCHED || a.modified != NULL) {
			unpatched = 1;
			if (a.state == MODULE_UNSUPPORTED)
				run_note_file(f, a.reason);
		} else if (f->message == NULL && !adopt_listed(o, t.inner)) {
			/* Patched now, but an upgrade would undo it unnoticed. */
			run_note_file(f, "patched, but not kept patched (a hand edit?): run "
			    "'bucardo-aiven apply' to adopt it, or the next package upgrade undoes it");
		}
		analysis_release(&a);
		atomic_release(&t);
	}
	run_restart_advice(o, &c.r, 0);
	status = unreadable ? EXIT_FAILED : c.r.nfiles == 0 ? EXIT_NONE_FOUND :
	    unpatched ? EXIT_NOT_PATCHED : EXIT_OK;
done:
	run_end(o, &c);
	return status;
}

int
cmd_history(struct options *o)
{
	struct report r = REPORT_INIT;
	struct store *store = NULL;
	struct statedir sd = STATEDIR_INIT;
	struct err e = ERR_INIT;
	struct fsloc loc;
	char *inner = NULL;
	const char *filter = NULL;
	int status = EXIT_FAILED;

	r.command = "history";
	r.kind = REPORT_HISTORY;
	r.state_dir = o->state_dir;
	if (o->nfiles > 1) {
		run_complain("history takes at most one FILE");
		return EXIT_USAGE;
	}
	if (o->nfiles == 1) {
		if (fsroot_inner(o->fs, o->files[0], &inner, &e) == -1) {
			run_fail(&r, "%s", e.msg);
			goto done;
		}
		/* The store keeps files by their path inside the root, links resolved. */
		if (fsroot_locate(o->fs, inner, FS_FOLLOW | FS_ANY_OWNER, &loc, NULL, &e) == 0) {
			free(inner);
			inner = loc.inner;
			loc.inner = NULL;
		}
		fsloc_release(&loc);
		filter = inner;
	}
	if (statedir_open(&sd, o->state_fs, o->state_inner, STATEDIR_READ, &e) == -1) {
		run_fail(&r, "%s", e.msg);
		goto done;
	}
	if (sd.fd == -1) {
		status = EXIT_OK;	/* nothing was ever recorded */
		goto done;
	}
	if (store_open(&store, o->state_fs, o->state_inner, STORE_READ, o->lock_timeout, &e) == -1 ||
	    store_history(store, filter, &r.events, &r.nevents, &e) == -1) {
		run_fail(&r, "%s", e.msg);
		goto done;
	}
	status = EXIT_OK;
done:
	run_finish(o, &r);
	statedir_close(&sd);
	store_close(store);
	report_release(&r);
	free(inner);
	return status;
}
