/* cmd_hook.c: hook install|remove|status, the apt hook for copies no package owns. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"
#include "base/base.h"
#include "host/host.h"
#include "run.h"
#include "trace.h"

#define HOOK_PACKAGED	"/usr/sbin/" PROGNAME

/* Where a package or `meson install` puts the binary: a path that stays. */
static int
installed_path(const char *path)
{
	static const char *const dirs[] = {
		"/usr/sbin/", "/usr/bin/", "/usr/local/sbin/", "/usr/local/bin/", "/sbin/", "/bin/"
	};
	size_t i, n;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		n = strlen(dirs[i]);
		if (strncmp(path, dirs[i], n) == 0 && strchr(path + n, '/') == NULL)
			return 1;
	}
	return 0;
}

/*
 * The command the hook runs, as seen from inside the root: --binary; else
 * this binary when it is installed; else the packaged path when the root
 * has it; else this binary where it is, with *from_tree set (a build tree
 * that may go away).
 */
static char *
hook_binary(const struct options *o, int *from_tree)
{
	char self[PATH_MAX];
	const char *seen = self;
	struct fsloc loc;
	struct err ignored = ERR_INIT;
	ssize_t n;
	size_t rlen = strlen(o->fs->host);
	int packaged;

	*from_tree = 0;
	if (o->binary != NULL)
		return strdup(o->binary);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return strdup(HOOK_PACKAGED);
	self[n] = '\0';
	if (rlen > 0 && strncmp(self, o->fs->host, rlen) == 0 && self[rlen] == '/')
		seen = self + rlen;
	if (installed_path(seen))
		return strdup(seen);
	packaged = fsroot_locate(o->fs, HOOK_PACKAGED, FS_FOLLOW | FS_ANY_OWNER, &loc, NULL,
	    &ignored) == 0 && loc.st.st_mode != 0;
	fsloc_release(&loc);
	if (packaged)
		return strdup(HOOK_PACKAGED);
	*from_tree = 1;
	return strdup(seen);
}

/*
 * apt runs the hook as root after every package operation, for as long as
 * it is installed: the binary must pass the trust rule where apt will find
 * it (inside the root), or else where it is now, with no sticky directory
 * on the way (FS_STRICT: a build tree in /tmp, once removed, could be made
 * again by anyone). A binary that does not exist yet must be one nobody
 * else can create (fsroot_judge_missing). 0 when trusted, 1 when it does
 * not exist, -1 when refused.
 */
static int
hook_binary_trusted(const struct options *o, const char *binary, struct err *e)
{
	struct fsloc loc;
	struct trust_report tr = TRUST_REPORT_INIT;
	int rc;

	rc = fsroot_locate(o->fs, binary, FS_FOLLOW | FS_OPEN_FILE | FS_STRICT, &loc, &tr, e);
	fsloc_release(&loc);
	if (rc == -1 && errno == ENOENT && o->fs != o->host) {
		trust_report_release(&tr);
		rc = fsroot_locate(o->host, binary, FS_FOLLOW | FS_OPEN_FILE | FS_STRICT, &loc, &tr,
		    e);
		fsloc_release(&loc);
	}
	trust_report_release(&tr);
	if (rc == -1 && errno == ENOENT) {
		if ((rc = fsroot_judge_missing(o->fs, binary, FS_STRICT, e)) == 0)
			return 1;
	}
	if (rc == FSROOT_UNTRUSTED)
		err_hint(e, "apt would run it as root after every package operation; not installed");
	return rc == 0 ? 0 : -1;
}

/* The hook file's bytes below root (empty when there is none), to tell whether a run changed it. */
static void
hook_bytes(const struct options *o, struct buf *out)
{
	struct err ignored = ERR_INIT;

	buf_reset(out);
	if (fsroot_read(o->fs, HOOK_DIR "/" HOOK_NAME, FS_ANY_OWNER, 64 * 1024, out, NULL,
	    &ignored) != 0)
		buf_reset(out);
}

/*
 * The one JSON document of hook install, remove and status: what was asked,
 * where the hook is, whether it is installed now and whether this run
 * changed it, the command it runs, and the run's warnings and error.
 */
static void
hook_json(const char *action, const char *path, int installed, int changed,
    const char *binary, const char *warning, const char *error)
{
	json_object *doc = json_object_new_object(), *warnings = json_object_new_array();

	if (doc == NULL || warnings == NULL) {
		json_object_put(doc);
		json_object_put(warnings);
		return;
	}
	json_object_object_add(doc, "command", json_object_new_string("hook"));
	json_object_object_add(doc, "action", json_object_new_string(action));
	json_object_object_add(doc, "path", json_object_new_string(path));
	json_object_object_add(doc, "installed", json_object_new_boolean(installed));
	json_object_object_add(doc, "changed", json_object_new_boolean(changed));
	json_object_object_add(doc, "binary", report_json_string(binary));
	json_object_object_add(doc, "failed", json_object_new_boolean(error != NULL));
	json_object_object_add(doc, "error", report_json_string(error));
	if (warning != NULL)
		json_object_array_add(warnings, json_object_new_string(warning));
	json_object_object_add(doc, "warnings", warnings);
	report_emit_json(doc);
	json_object_put(doc);
}

static int
hook_install_cmd(const struct options *o, const char *path, char **binary_out, char **warning)
{
	struct err e = ERR_INIT;
	char *binary;
	int from_tree, rc;

	if ((binary = hook_binary(o, &from_tree)) == NULL) {
		run_complain("out of memory");
		return EXIT_FAILED;
	}
	if (hook_binary_ok(binary, &e) == -1) {
		run_complain("%s: %s", binary, e.msg);
		free(binary);
		return o->binary != NULL ? EXIT_USAGE : EXIT_FAILED;
	}
	if ((rc = hook_binary_trusted(o, binary, &e)) == -1) {
		run_complain("%s", e.msg);
		free(binary);
		return EXIT_FAILED;
	}
	if (rc == 1)
		run_complain("%s: warning: does not exist%s%s; the hook does nothing until it does",
		    binary, o->root != NULL ? " below " : "", o->root != NULL ? o->fs->host : "");
	else if (from_tree)
		run_complain("%s: warning: a build tree, not an installed path; the hook stops "
		    "working when it is removed: install the tool (meson install) and run hook "
		    "install again, or give --binary", binary);
	if ((rc == 1 || from_tree) && run_last_complaint() != NULL)
		*warning = strdup(run_last_complaint());
	if (hook_install(o->fs, binary, &e) == -1) {
		run_complain("%s", e.msg);
		free(binary);
		return EXIT_FAILED;
	}
	if (!o->quiet && !o->json)
		esc_fprintf(stdout, "%s: installed, running %s\n", path, binary);
	*binary_out = binary;
	return EXIT_OK;
}

int
cmd_hook(struct options *o)
{
	struct err e = ERR_INIT;
	struct buf before = BUF_INIT, after = BUF_INIT;
	char *path, *binary = NULL, *warning = NULL;
	const char *action = o->nfiles == 1 ? o->files[0] : NULL;
	int on, removed, status;

	if (o->nfiles != 1) {
		run_complain("hook takes one of: install, remove, status");
		return EXIT_USAGE;
	}
	if (o->binary != NULL && strcmp(action, "install") != 0) {
		run_complain("hook %s: --binary applies to hook install only", action);
		return EXIT_USAGE;
	}
	if (strcmp(action, "install") != 0 && strcmp(action, "remove") != 0 &&
	    strcmp(action, "status") != 0) {
		run_complain("hook %s: unknown; use install, remove or status", action);
		return EXIT_USAGE;
	}
	if (asprintf(&path, "%s%s/%s", o->fs->host, HOOK_DIR, HOOK_NAME) == -1) {
		run_complain("out of memory");
		return EXIT_FAILED;
	}
	hook_bytes(o, &before);
	if (strcmp(action, "status") == 0) {
		/* A check: 0 yes, 3 no (as status answers "not patched"), 1 cannot tell. */
		if ((on = hook_installed(o->fs, &e)) == -1) {
			run_complain("%s", e.msg);
			status = EXIT_FAILED;
		} else {
			if (!o->quiet && !o->json)
				esc_fprintf(stdout, "%s: %s\n", path, on ? "installed" :
				    "not installed");
			status = on ? EXIT_OK : EXIT_NOT_PATCHED;
		}
	} else if (strcmp(action, "install") == 0) {
		status = hook_install_cmd(o, path, &binary, &warning);
	} else if (hook_remove(o->fs, &removed, &e) == -1) {
		run_complain("%s", e.msg);
		status = EXIT_FAILED;
	} else {
		if (!o->quiet && !o->json)
			esc_fprintf(stdout, "%s: %s\n", path, removed ? "removed" :
			    "no apt hook installed; nothing to remove");
		status = EXIT_OK;
	}
	hook_bytes(o, &after);
	if (before.len != after.len || (before.len > 0 &&
	    memcmp(before.data, after.data, before.len) != 0))
		trace_line(o, LOG_NOTICE, "hook %s: %s: %s", action, path,
		    after.len > 0 ? "written" : "removed");
	else if (status == EXIT_FAILED)
		trace_line(o, LOG_ERR, "hook %s: %s: failed: %s", action, path,
		    run_last_complaint() ? run_last_complaint() : "see stderr");
	if (o->json) {
		hook_json(action, path, hook_installed(o->fs, &e) == 1, before.len != after.len ||
		    (before.len > 0 && memcmp(before.data, after.data, before.len) != 0), binary,
		    warning, status == EXIT_OK || status == EXIT_NOT_PATCHED ? NULL :
		    run_last_complaint());
	}
	buf_release(&before);
	buf_release(&after);
	free(binary);
	free(warning);
	free(path);
	return status;
}
