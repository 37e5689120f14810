/* verify.c: perl -c on a file, only when perl and everything it would load are trusted. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "perl.h"
#include "verify.h"

#define VERIFY_DIAG_MAX		8192
/* The name perl compiles: the caller's descriptor, as child_start passes it. */
#define VERIFY_SCRIPT		"/dev/fd/3"

/* diag with every VERIFY_SCRIPT written as file, appended to out. */
static int
verify_name_diag(struct buf *out, const struct buf *diag, const char *file)
{
	const char *p = diag->data, *end = diag->data + diag->len, *hit;
	size_t n = strlen(VERIFY_SCRIPT);

	while (p < end && (hit = memmem(p, (size_t)(end - p), VERIFY_SCRIPT, n)) != NULL) {
		if (buf_append(out, p, (size_t)(hit - p)) == -1 || buf_puts(out, file) == -1)
			return -1;
		p = hit + n;
	}
	return p < end ? buf_append(out, p, (size_t)(end - p)) : 0;
}

/*
 * The PERL5LIB or PERLLIB entry to pass on with keep_perl_env, into *entry
 * (NULL when the variable is unset). Every directory it names must be
 * absolute and trusted: a relative one is the current directory's, and
 * perl would load modules from it as root.
 */
static int
verify_lib_env(struct fsroot *host, const char *name, char **entry, struct err *e)
{
	const char *value = getenv(name), *p, *end;
	char *dir;
	int rc;

	*entry = NULL;
	if (value == NULL)
		return 0;
	for (p = value; *p != '\0'; p = *end == ':' ? end + 1 : end) {
		end = strchrnul(p, ':');
		if (end == p)
			continue;
		if ((dir = strndup(p, (size_t)(end - p))) == NULL)
			return err_sys(e, name, "out of memory");
		if (dir[0] != '/') {
			err_set(e, NULL, "%s names the relative directory %s: perl -c not run "
			    "(--keep-perl-env takes absolute, trusted directories only)", name, dir);
			free(dir);
			return PERL_NOT_RUN;
		}
		rc = perl_dir_trusted(host, dir, e);
		free(dir);
		if (rc == FSROOT_UNTRUSTED) {
			err_hint(e, "named by %s: perl -c not run", name);
			return PERL_NOT_RUN;
		}
		if (rc == -1)
			return -1;
	}
	if (asprintf(entry, "%s=%s", name, value) == -1) {
		*entry = NULL;
		return err_sys(e, name, "out of memory");
	}
	return 0;
}

int
verify_perl_vouch(struct perl_vouch *v, struct fsroot *host, const char *perl_path,
    int keep_perl_env)
{
	struct buf inc = BUF_INIT;
	int rc, n = 0;

	*v = (struct perl_vouch)PERL_VOUCH_INIT;
	if ((v->perl = perl_find(perl_path)) == NULL) {
		err_set(&v->why, perl_path, "not found in %s", CHILD_PATH);
		err_hint(&v->why, "install perl, or give the full path of the perl that runs "
		    "bucardo");
		return v->verdict = PERL_NOT_RUN;
	}
	/* What perl -c would load from: its own @INC, asked of it, then judged whole. */
	rc = perl_ask_inc(host, v->perl, 0, &inc, &v->why);
	if (rc == 0)
		rc = perl_inc_trusted(host, &inc, &v->why);
	if (rc == 0 && keep_perl_env &&
	    (rc = verify_lib_env(host, "PERL5LIB", &v->env[n], &v->why)) == 0) {
		n += v->env[n] != NULL;
		rc = verify_lib_env(host, "PERLLIB", &v->env[n], &v->why);
	}
	if (rc == FSROOT_UNTRUSTED)
		err_hint(&v->why, "perl -c not run");
	/* A perl that cannot even list @INC is as good as none: structure alone decides. */
	if (rc != 0)
		rc = PERL_NOT_RUN;
	buf_release(&inc);
	return v->verdict = rc;
}

void
verify_vouch_release(struct perl_vouch *v)
{
	size_t i;

	for (i = 0; i < sizeof(v->env) / sizeof(v->env[0]); i++)
		free(v->env[i]);
	free(v->perl);
	*v = (struct perl_vouch)PERL_VOUCH_INIT;
}

int
verify_perl_start(struct perl_run *run, struct fsroot *host, const struct perl_vouch *v,
    int fd, unsigned timeout_sec, struct err *e)
{
	struct child_cmd cmd;
	const char *argv[6];
	int rc;

	*run = (struct perl_run)PERL_RUN_INIT;
	if (v->verdict != 0) {
		*e = v->why;
		return v->verdict;
	}
	/* "--": a file named like a switch is still a file. */
	argv[0] = v->perl;
	argv[1] = "-f";
	argv[2] = "-c";
	argv[3] = "--";
	argv[4] = VERIFY_SCRIPT;
	argv[5] = NULL;
	cmd = (struct child_cmd)CHILD_CMD_INIT;
	cmd.argv = argv;
	cmd.input = fd;
	cmd.extra_env = (const char *const *)v->env;
	cmd.timeout_ms = timeout_sec * 1000;
	rc = child_start(&run->sp, host, &cmd, e);
	if (rc == CHILD_UNTRUSTED || rc == CHILD_NOT_RUN)
		rc = PERL_NOT_RUN;
	if (rc == 0)
		rc = PERL_STARTED;
	run->running = rc == PERL_STARTED;
	return rc;
}

int
verify_perl_finish(struct perl_run *run, const char *file, struct buf *diag, struct err *e)
{
	struct buf keep = BUF_INIT;
	int status, rc = -1;

	if (!run->running)
		return err_set(e, file, "perl -c was not started");
	run->running = 0;
	if (child_finish(&run->sp, NULL, 0, &keep, VERIFY_DIAG_MAX, &status, e) == -1) {
		err_hint(e, "perl -c on %s", file);
		goto cleanup;
	}
	if (diag != NULL && keep.len > 0 && verify_name_diag(diag, &keep, file) == -1) {
		err_sys(e, file, "cannot record perl's diagnostics");
		goto cleanup;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = PERL_COMPILES;
	else {
		if (WIFSIGNALED(status) && diag != NULL &&
		    buf_printf(diag, "perl -c killed by signal %d\n", WTERMSIG(status)) == -1) {
			err_sys(e, file, "cannot record perl's diagnostics");
			goto cleanup;
		}
		rc = PERL_FAILS;
	}
cleanup:
	buf_release(&keep);
	return rc;
}

void
verify_perl_abort(struct perl_run *run)
{
	child_abort(&run->sp);
	run->running = 0;
}

int
verify_perl_compiles(struct fsroot *host, const char *perl_path, const char *file,
    int keep_perl_env, unsigned timeout_sec, struct buf *diag, struct err *e)
{
	struct perl_vouch v;
	struct perl_run run = PERL_RUN_INIT;
	struct stat st;
	int rc, fd;

	fd = open(file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return err_sys(e, file, "cannot open");
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, file, "not a regular file");
	}
	verify_perl_vouch(&v, host, perl_path, keep_perl_env);
	if ((rc = verify_perl_start(&run, host, &v, fd, timeout_sec, e)) == PERL_STARTED)
		rc = verify_perl_finish(&run, file, diag, e);
	close(fd);
	verify_perl_abort(&run);
	verify_vouch_release(&v);
	return rc;
}
