/* cmd_hook.c: hook install|remove|status, the apt hook for copies no package owns. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"
#include "hook.h"
#include "run.h"

/* The absolute path of this binary, for the hook to run. */
static char *
self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return strdup("/usr/sbin/" PROGNAME);
	buf[n] = '\0';
	return strdup(buf);
}

int
cmd_hook(struct options *o)
{
	struct err e = ERR_INIT;
	char *binary, *path;
	int rc;

	if (o->nfiles != 1) {
		run_complain("hook takes one of: install, remove, status");
		return EXIT_USAGE;
	}
	path = hook_path(o->root);
	if (strcmp(o->files[0], "status") == 0) {
		int on = hook_installed(o->root);

		if (o->json) {
			json_object *doc = json_object_new_object();

			json_object_object_add(doc, "command", json_object_new_string("hook"));
			json_object_object_add(doc, "installed", json_object_new_boolean(on));
			json_object_object_add(doc, "path", json_object_new_string(path ? path : ""));
			puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
			    JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(doc);
		} else if (!o->quiet)
			printf("%s: %s\n", path ? path : "apt hook", on ? "installed" : "not installed");
		free(path);
		return on ? EXIT_OK : EXIT_NOT_PATCHED;
	}
	if (strcmp(o->files[0], "install") == 0) {
		binary = self_path();
		rc = binary == NULL ? err_sys(&e, NULL, "out of memory") :
		    hook_install(o->root, binary, &e);
		free(binary);
	} else if (strcmp(o->files[0], "remove") == 0) {
		rc = hook_remove(o->root, &e);
	} else {
		free(path);
		run_complain("hook %s: unknown; use install, remove or status", o->files[0]);
		return EXIT_USAGE;
	}
	if (rc == -1)
		run_complain("%s", e.msg);
	else if (!o->quiet)
		printf("%s: %s\n", path ? path : "apt hook",
		    strcmp(o->files[0], "install") == 0 ? "installed" : "removed");
	free(path);
	return rc == -1 ? EXIT_FAILED : EXIT_OK;
}
