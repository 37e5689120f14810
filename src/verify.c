/* verify.c: running perl -c on a file, without a shell and with a time limit. */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "verify.h"

extern char **environ;

#define VERIFY_DIAG_MAX		8192
#define VERIFY_DEFAULT_PATH	"/usr/bin:/bin"

/*
 * Variables that make perl load or run code the file does not ask for
 * (PERL5OPT=-Mfoo, PERL5DB) or find modules elsewhere than the installed
 * bucardo will: either would make the verdict describe another program.
 */
static const char *const verify_perl_vars[] = {
	"PERL5OPT",
	"PERL5LIB",
	"PERLLIB",
	"PERL5DB",
	"PERL5DB_THREADED",
	NULL
};

static int
verify_is_perl_var(const char *entry)
{
	const char *const *v;
	size_t n;

	for (v = verify_perl_vars; *v != NULL; v++) {
		n = strlen(*v);
		if (strncmp(entry, *v, n) == 0 && entry[n] == '=')
			return 1;
	}
	return 0;
}

/* Returns a NULL-terminated copy of environ's pointers, filtered; free() it. */
static char **
verify_env(int keep_perl_env)
{
	char **env, **p;
	size_t n = 0, i = 0;

	for (p = environ; p != NULL && *p != NULL; p++)
		n++;
	if ((env = calloc(n + 1, sizeof(*env))) == NULL)
		return NULL;
	for (p = environ; p != NULL && *p != NULL; p++)
		if (keep_perl_env || !verify_is_perl_var(*p))
			env[i++] = *p;
	env[i] = NULL;
	return env;
}

/* What the child needs, kept in the parent's frame (see verify_child). */
struct verify_spawn {
	char	*argv[4];
	char	**env;
	int	 devnull;
	int	 errw;	/* perl's stderr */
	int	 execw;	/* errno of a failed execve */
};

/* 0 when path is a regular file we may execute, else -1 with errno set. */
static int
verify_runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	return access(path, X_OK);
}

/*
 * execvp would do this search, but it is not async-signal-safe and falls
 * back to /bin/sh on ENOEXEC; we want neither between fork and exec.
 * Relative and empty entries of PATH are skipped.
 * Returns a malloc'd path, or NULL with errno set (ENOENT: not in PATH).
 */
static char *
verify_find(const char *name)
{
	const char *path, *p, *end;
	char *cand;
	size_t dlen;

	if (strchr(name, '/') != NULL) {
		if (verify_runnable(name) == -1)
			return NULL;
		return strdup(name);
	}
	if ((path = getenv("PATH")) == NULL || *path == '\0')
		path = VERIFY_DEFAULT_PATH;
	for (p = path; ; p = end + 1) {
		if ((end = strchr(p, ':')) == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		/* We run as root: never a perl from the current directory. */
		if (dlen == 0 || *p != '/')
			goto next;
		if ((cand = malloc(dlen + 1 + strlen(name) + 1)) == NULL)
			return NULL;
		memcpy(cand, p, dlen);
		cand[dlen] = '/';
		strcpy(cand + dlen + 1, name);
		if (verify_runnable(cand) == 0)
			return cand;
		free(cand);
next:
		if (*end == '\0')
			break;
	}
	errno = ENOENT;
	return NULL;
}

static long long
verify_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, for poll(); -1 when there is none. */
static int
verify_left_ms(long long deadline)
{
	long long left;

	if (deadline < 0)
		return -1;
	left = deadline - verify_now_ms();
	if (left < 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

/*
 * Between fork and exec: only async-signal-safe calls, so nothing is freed
 * here; sp lives in the parent's frame, which keeps the copies reachable.
 */
static void __attribute__((noreturn))
verify_child(const struct verify_spawn *sp)
{
	sigset_t none;
	int saved;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(sp->devnull, STDIN_FILENO) == -1 ||
	    dup2(sp->devnull, STDOUT_FILENO) == -1 ||
	    dup2(sp->errw, STDERR_FILENO) == -1)
		goto fail;
	execve(sp->argv[0], sp->argv, sp->env);
fail:
	saved = errno;
	while (write(sp->execw, &saved, sizeof(saved)) == -1 && errno == EINTR)
		continue;
	_exit(127);
}

/*
 * Read the child's stderr until it closes or the deadline passes. Keeps
 * the first VERIFY_DIAG_MAX bytes and drains the rest, so a chatty child
 * never blocks on a full pipe. Returns 0 at EOF, 1 on timeout, -1 on error.
 */
static int
verify_collect(int fd, long long deadline, struct buf *diag)
{
	struct pollfd pfd;
	char chunk[4096];
	size_t kept = 0, room;
	ssize_t n;
	int r;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		r = poll(&pfd, 1, verify_left_ms(deadline));
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			if (verify_left_ms(deadline) == 0)
				return 1;
			continue;
		}
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		if (n == 0)
			return 0;
		room = VERIFY_DIAG_MAX - kept;
		if (diag != NULL && room > 0) {
			if ((size_t)n < room)
				room = (size_t)n;
			if (buf_append(diag, chunk, room) == -1)
				return -1;
			kept += room;
		}
	}
}

/*
 * Wait for the child until the deadline; it may close stderr and keep
 * running. Returns 0 with *status set, 1 on timeout, -1 on error.
 */
static int
verify_wait(pid_t pid, long long deadline, int *status)
{
	struct timespec nap = { 0, 200 * 1000 };
	pid_t r;

	/*
	 * perl has usually closed stderr because it is exiting: poll soon,
	 * then back off to 5 ms, so that the common case costs no sleep.
	 */
	for (;;) {
		r = waitpid(pid, status, deadline < 0 ? 0 : WNOHANG);
		if (r == pid)
			return 0;
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (verify_left_ms(deadline) == 0)
			return 1;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 5 * 1000 * 1000)
			nap.tv_nsec *= 2;
	}
}

/* Kill and reap, so that no zombie or runaway perl outlives the check. */
static void
verify_kill(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		continue;
}

int
verify_perl_start(struct perl_run *run, const char *perl, const char *file,
    int keep_perl_env, unsigned timeout_sec, struct err *e)
{
	struct verify_spawn sp;
	char *path = NULL, *arg = NULL, **env = NULL;
	int errp[2] = { -1, -1 }, execp[2] = { -1, -1 };
	int devnull = -1, status, child_errno, rc = -1;
	pid_t pid = -1;
	ssize_t n;

	run->pid = -1;
	run->errfd = -1;
	run->deadline = -1;
	run->timeout_sec = timeout_sec;
	if ((path = verify_find(perl)) == NULL) {
		if (errno == ENOMEM) {
			err_sys(e, perl, "cannot look for perl");
			goto cleanup;
		}
		if (strchr(perl, '/') == NULL)
			err_set(e, perl, "not found in PATH");
		else
			err_sys(e, perl, "cannot run perl");
		err_hint(e, "install perl, or give the full path of the perl "
		    "that runs bucardo");
		rc = PERL_NOT_RUN;
		goto cleanup;
	}
	/* A name starting with '-' would be read by perl as a switch. */
	if (file[0] == '-') {
		if ((arg = malloc(strlen(file) + 3)) == NULL) {
			err_sys(e, file, "cannot build the perl command");
			goto cleanup;
		}
		memcpy(arg, "./", 2);
		strcpy(arg + 2, file);
	} else if ((arg = strdup(file)) == NULL) {
		err_sys(e, file, "cannot build the perl command");
		goto cleanup;
	}
	if ((env = verify_env(keep_perl_env)) == NULL) {
		err_sys(e, file, "cannot build perl's environment");
		goto cleanup;
	}
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		err_sys(e, "/dev/null", "cannot open");
		goto cleanup;
	}
	if (pipe2(errp, O_CLOEXEC) == -1 || pipe2(execp, O_CLOEXEC) == -1) {
		err_sys(e, file, "cannot create a pipe for perl");
		goto cleanup;
	}
	sp.argv[0] = path;
	sp.argv[1] = "-c";
	sp.argv[2] = arg;
	sp.argv[3] = NULL;
	sp.env = env;
	sp.devnull = devnull;
	sp.errw = errp[1];
	sp.execw = execp[1];

	if (timeout_sec > 0)
		run->deadline = verify_now_ms() + (long long)timeout_sec * 1000;
	if ((pid = fork()) == -1) {
		err_sys(e, file, "cannot start perl");
		goto cleanup;
	}
	if (pid == 0)
		verify_child(&sp);

	close(errp[1]);
	errp[1] = -1;
	close(execp[1]);
	execp[1] = -1;

	/* EOF here means execve succeeded and closed the O_CLOEXEC end. */
	while ((n = read(execp[0], &child_errno, sizeof(child_errno))) == -1 &&
	    errno == EINTR)
		continue;
	if (n == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			continue;
		pid = -1;
		errno = child_errno;
		err_sys(e, path, "cannot run perl");
		err_hint(e, "install perl, or give the full path of the perl "
		    "that runs bucardo");
		rc = PERL_NOT_RUN;
		goto cleanup;
	}
	run->pid = pid;
	run->errfd = errp[0];
	errp[0] = -1;
	pid = -1;
	rc = 0;

cleanup:
	if (pid > 0)
		verify_kill(pid);
	if (execp[0] != -1)
		close(execp[0]);
	if (execp[1] != -1)
		close(execp[1]);
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	if (devnull != -1)
		close(devnull);
	free(env);
	free(arg);
	free(path);
	return rc;
}

int
verify_perl_finish(struct perl_run *run, const char *file, struct buf *diag, struct err *e)
{
	int r, status, rc = -1;

	r = verify_collect(run->errfd, run->deadline, diag);
	if (r == 0)
		r = verify_wait(run->pid, run->deadline, &status);
	if (r == 1) {
		err_set(e, file, "perl -c gave no answer within %u s and was "
		    "killed", run->timeout_sec);
		goto cleanup;
	}
	if (r == -1) {
		err_sys(e, file, "cannot follow perl -c");
		goto cleanup;
	}
	run->pid = -1;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = PERL_COMPILES;
	else {
		if (WIFSIGNALED(status) && diag != NULL &&
		    buf_printf(diag, "perl -c killed by signal %d\n",
		    WTERMSIG(status)) == -1) {
			err_sys(e, file, "cannot record perl's diagnostics");
			goto cleanup;
		}
		rc = PERL_FAILS;
	}
cleanup:
	verify_perl_abort(run);
	return rc;
}

void
verify_perl_abort(struct perl_run *run)
{
	if (run->pid > 0)
		verify_kill(run->pid);
	run->pid = -1;
	if (run->errfd != -1)
		close(run->errfd);
	run->errfd = -1;
}

int
verify_perl_compiles(const char *perl, const char *file, int keep_perl_env,
    unsigned timeout_sec, struct buf *diag, struct err *e)
{
	struct perl_run run = PERL_RUN_INIT;
	int rc;

	if ((rc = verify_perl_start(&run, perl, file, keep_perl_env, timeout_sec, e)) != 0)
		return rc;
	return verify_perl_finish(&run, file, diag, e);
}
