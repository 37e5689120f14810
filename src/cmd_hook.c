/* cmd_hook.c: hook install|remove|status, the apt hook for copies no package owns. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"
#include "esc.h"
#include "hook.h"
#include "run.h"

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
 * apt runs the hook as root after every package operation: the binary must
 * pass the trust rule, where apt will find it (inside the root), or else
 * where it is now. 0 when trusted, 1 when it does not exist, -1 when refused.
 */
static int
hook_binary_trusted(const struct options *o, const char *binary, struct err *e)
{
	struct fsloc loc;
	int rc;

	rc = fsroot_locate(o->fs, binary, FS_FOLLOW | FS_OPEN_FILE, &loc, NULL, e);
	fsloc_release(&loc);
	if (rc == -1 && errno == ENOENT && o->fs != o->host) {
		rc = fsroot_locate(o->host, binary, FS_FOLLOW | FS_OPEN_FILE, &loc, NULL, e);
		fsloc_release(&loc);
	}
	if (rc == -1 && errno == ENOENT)
		return 1;
	if (rc == FSROOT_UNTRUSTED)
		err_hint(e, "apt would run it as root after every package operation; not installed");
	return rc == 0 ? 0 : -1;
}

static int
hook_install_cmd(const struct options *o, const char *path)
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
	if (hook_install(o->fs, binary, &e) == -1) {
		run_complain("%s", e.msg);
		free(binary);
		return EXIT_FAILED;
	}
	if (!o->quiet && !o->json)
		esc_fprintf(stdout, "%s: installed, running %s\n", path, binary);
	free(binary);
	return EXIT_OK;
}

int
cmd_hook(struct options *o)
{
	struct err e = ERR_INIT;
	json_object *doc;
	char *path;
	int on, removed, status;

	if (o->nfiles != 1) {
		run_complain("hook takes one of: install, remove, status");
		return EXIT_USAGE;
	}
	if (o->binary != NULL && strcmp(o->files[0], "install") != 0) {
		run_complain("hook %s: --binary applies to hook install only", o->files[0]);
		return EXIT_USAGE;
	}
	if (asprintf(&path, "%s%s/%s", o->fs->host, HOOK_DIR, HOOK_NAME) == -1) {
		run_complain("out of memory");
		return EXIT_FAILED;
	}
	if (strcmp(o->files[0], "status") == 0) {
		on = hook_installed(o->fs);
		if (o->json) {
			doc = json_object_new_object();
			json_object_object_add(doc, "command", json_object_new_string("hook"));
			json_object_object_add(doc, "installed", json_object_new_boolean(on));
			json_object_object_add(doc, "path", json_object_new_string(path));
			report_emit_json(doc);
			json_object_put(doc);
		} else if (!o->quiet)
			esc_fprintf(stdout, "%s: %s\n", path, on ? "installed" : "not installed");
		status = on ? EXIT_OK : EXIT_NOT_PATCHED;
	} else if (strcmp(o->files[0], "install") == 0) {
		status = hook_install_cmd(o, path);
	} else if (strcmp(o->files[0], "remove") == 0) {
		if (hook_remove(o->fs, &removed, &e) == -1) {
			run_complain("%s", e.msg);
			status = EXIT_FAILED;
		} else {
			if (!o->quiet && !o->json)
				esc_fprintf(stdout, "%s: %s\n", path, removed ? "removed" :
				    "no apt hook installed; nothing to remove");
			status = EXIT_OK;
		}
	} else {
		run_complain("hook %s: unknown; use install, remove or status", o->files[0]);
		status = EXIT_USAGE;
	}
	free(path);
	return status;
}
