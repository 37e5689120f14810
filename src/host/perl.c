/* perl.c: asking perl for @INC, and whether anybody else could change what it loads. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perl.h"
#include "child.h"

#define PERL_INC_LIMIT		(1024 * 1024)
#define PERL_STDERR_KEEP	512

/*
 * Every entry ends in a NUL, which no path can hold. Hooks in @INC print
 * as CODE(0x...), which is not an absolute path, and are skipped by callers.
 */
#define PERL_INC_SCRIPT		"print qq{$_\\0} for @INC"

int
perl_ask_inc(struct fsroot *host, const char *perl, int taint, struct buf *inc, struct err *e)
{
	struct child sp = CHILD_INIT;
	struct child_cmd cmd;
	struct buf errout = BUF_INIT;
	const char *argv[6];
	char tflag[3] = "-T";
	size_t argc = 0;
	int rc, status;

	argv[argc++] = perl;
	argv[argc++] = "-f";
	if (taint) {
		tflag[1] = (char)taint;
		argv[argc++] = tflag;
	}
	argv[argc++] = "-e";
	argv[argc++] = PERL_INC_SCRIPT;
	argv[argc] = NULL;
	cmd = (struct child_cmd)CHILD_CMD_INIT;
	cmd.argv = argv;
	cmd.timeout_ms = PERL_INC_TIMEOUT_MS;
	cmd.capture_stdout = 1;
	if ((rc = child_start(&sp, host, &cmd, e)) != 0)
		return rc;
	if (child_finish(&sp, inc, PERL_INC_LIMIT, &errout, PERL_STDERR_KEEP, &status, e) == -1) {
		rc = -1;
		goto cleanup;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (errout.len > 0)
			errout.data[strcspn(errout.data, "\n")] = '\0';
		if (WIFEXITED(status))
			err_set(e, perl, "listing @INC failed with status %d%s%s", WEXITSTATUS(status),
			    errout.len > 0 ? ": " : "", errout.len > 0 ? errout.data : "");
		else
			err_set(e, perl, "listing @INC: killed by signal %d", WTERMSIG(status));
		rc = -1;
	}
cleanup:
	buf_release(&errout);
	return rc;
}

int
perl_dir_trusted(struct fsroot *host, const char *dir, struct err *e)
{
	int rc;

	/* Everything perl could load from it: the way there and the whole tree below. */
	rc = fsroot_judge_tree(host, dir, e);
	if (rc != -1 || (errno != ENOENT && errno != ENOTDIR))
		return rc;
	/* Missing: whoever may create entries in the nearest parent that exists could make it. */
	return fsroot_judge_missing(host, dir, 0, e);
}

int
perl_inc_trusted(struct fsroot *host, const struct buf *inc, struct err *e)
{
	const char *p, *end;
	int rc;

	if (inc->len == 0)
		return 0;
	for (p = inc->data, end = inc->data + inc->len; p < end; p += strlen(p) + 1) {
		if (p[0] != '/')
			continue;
		if ((rc = perl_dir_trusted(host, p, e)) != 0)
			return rc;
	}
	return 0;
}

char *
perl_find(const char *name)
{
	const char *p, *end;
	struct stat st;
	char *cand;
	size_t dlen;

	if (strchr(name, '/') != NULL)
		return strdup(name);
	for (p = CHILD_PATH; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchrnul(p, ':');
		dlen = (size_t)(end - p);
		if (asprintf(&cand, "%.*s/%s", (int)dlen, p, name) == -1)
			return NULL;
		if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR))
			return cand;
		free(cand);
	}
	return NULL;
}
