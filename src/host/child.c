/* child.c: the one place that starts child processes: trusted program, clean environment, deadline. */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

#define CHILD_ENV_MAX	16

static long long
child_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
child_left_ms(long long deadline)
{
	long long left = deadline - child_now_ms();

	if (left < 0)
		return 0;
	return left > 60000 ? 60000 : (int)left;
}

/* What the child needs, prepared before fork: after it, only async-signal-safe calls. */
struct child_setup {
	char	*const *argv;
	char	*const *env;
	int	 prog;		/* the checked program */
	int	 input;		/* -1, or what becomes CHILD_INPUT_FD */
	int	 devnull;
	int	 outw;		/* its stdout: a pipe, or /dev/null */
	int	 errw;
	int	 execw;		/* errno of a failed exec; closed by a successful one */
	int	 maxfd;		/* descriptors to mark close-on-exec without close_range */
};

/* fd, or a close-on-exec copy of it above CHILD_INPUT_FD when it is that one. */
static int
child_clear_input_fd(int fd)
{
	return fd == CHILD_INPUT_FD ? fcntl(fd, F_DUPFD_CLOEXEC, CHILD_INPUT_FD + 1) : fd;
}

static void __attribute__((noreturn))
child_child_run(const struct child_setup *c)
{
	sigset_t none;
	int saved, fd, prog = c->prog, execw = c->execw, keep = 3;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (setpgid(0, 0) == -1 || dup2(c->devnull, STDIN_FILENO) == -1 ||
	    dup2(c->outw, STDOUT_FILENO) == -1 || dup2(c->errw, STDERR_FILENO) == -1 ||
	    chdir("/") == -1)
		goto fail;
	if (c->input != -1) {
		/* The program and the error pipe move off the input's number first. */
		if ((execw = child_clear_input_fd(execw)) == -1 ||
		    (prog = child_clear_input_fd(prog)) == -1)
			goto fail;
		if (c->input == CHILD_INPUT_FD ? fcntl(CHILD_INPUT_FD, F_SETFD, 0) == -1 :
		    dup2(c->input, CHILD_INPUT_FD) == -1)
			goto fail;
		keep = CHILD_INPUT_FD + 1;
	}
	/* Every other inherited descriptor closes at exec: the lock, the store, the roots. */
	if (close_range((unsigned)keep, ~0U, CLOSE_RANGE_CLOEXEC) == -1) {
		/* Before Linux 5.11: mark them one by one (fcntl is async-signal-safe). */
		for (fd = keep; fd < c->maxfd; fd++)
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	fexecve(prog, c->argv, c->env);
fail:
	saved = errno;
	while (write(execw, &saved, sizeof(saved)) == -1 && errno == EINTR)
		continue;
	_exit(127);
}

/* Is fd an ELF file? A script's #! interpreter would escape the trust check. */
static int
child_is_elf(int fd)
{
	unsigned char magic[4];

	return pread(fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
	    memcmp(magic, "\177ELF", 4) == 0;
}

static void
child_kill(struct child *sp)
{
	int status;

	if (sp->pid <= 0)
		return;
	kill(-sp->pid, SIGKILL);
	kill(sp->pid, SIGKILL);
	while (waitpid(sp->pid, &status, 0) == -1 && errno == EINTR)
		continue;
	sp->pid = -1;
}

void
child_abort(struct child *sp)
{
	child_kill(sp);
	if (sp->out != -1)
		close(sp->out);
	if (sp->err != -1)
		close(sp->err);
	sp->out = sp->err = -1;
	free(sp->program);
	sp->program = NULL;
}

int
child_start(struct child *sp, struct fsroot *host, const struct child_cmd *cmd, struct err *e)
{
	static const char *const base_env[] = { "PATH=" CHILD_PATH, "LC_ALL=C" };
	const char *env[CHILD_ENV_MAX + 3];
	struct child_setup c;
	struct trust_report tr = TRUST_REPORT_INIT;
	struct fsloc prog = FSLOC_INIT;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, execp[2] = { -1, -1 };
	int devnull = -1, rc = -1, child_errno, status, got;
	size_t n = 0, i;
	ssize_t r;
	pid_t pid;

	*sp = (struct child)CHILD_INIT;
	if ((sp->program = strdup(cmd->argv[0])) == NULL)
		return err_sys(e, cmd->argv[0], "out of memory");
	if (cmd->argv[0][0] != '/') {
		err_set(e, cmd->argv[0], "not an absolute path; not run");
		rc = CHILD_NOT_RUN;
		goto cleanup;
	}
	got = fsroot_locate(host, cmd->argv[0], FS_FOLLOW | FS_OPEN_FILE, &prog, &tr, e);
	if (got == FSROOT_UNTRUSTED) {
		err_hint(e, "not run as uid %lu", (unsigned long)host->rule.self);
		rc = CHILD_UNTRUSTED;
		goto cleanup;
	}
	if (got == -1) {
		rc = CHILD_NOT_RUN;
		goto cleanup;
	}
	if (!(prog.st.st_mode & S_IXUSR) || !child_is_elf(prog.fd)) {
		err_set(e, cmd->argv[0], "not an executable program (a script or no x bit); not run");
		rc = CHILD_NOT_RUN;
		goto cleanup;
	}
	for (i = 0; i < sizeof(base_env) / sizeof(base_env[0]); i++)
		env[n++] = base_env[i];
	for (i = 0; cmd->extra_env != NULL && cmd->extra_env[i] != NULL; i++) {
		if (i >= CHILD_ENV_MAX) {
			err_set(e, cmd->argv[0], "too many environment entries");
			goto cleanup;
		}
		env[n++] = cmd->extra_env[i];
	}
	env[n] = NULL;

	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		err_sys(e, "/dev/null", "cannot open");
		goto cleanup;
	}
	if ((cmd->capture_stdout && pipe2(outp, O_CLOEXEC) == -1) ||
	    pipe2(errp, O_CLOEXEC) == -1 || pipe2(execp, O_CLOEXEC) == -1) {
		err_sys(e, cmd->argv[0], "cannot create a pipe");
		goto cleanup;
	}
	c.argv = (char *const *)cmd->argv;
	c.env = (char *const *)env;
	c.prog = prog.fd;
	c.input = cmd->input;
	c.devnull = devnull;
	c.outw = cmd->capture_stdout ? outp[1] : devnull;
	c.errw = errp[1];
	c.execw = execp[1];
	c.maxfd = sysconf(_SC_OPEN_MAX) > 0 && sysconf(_SC_OPEN_MAX) < 65536 ?
	    (int)sysconf(_SC_OPEN_MAX) : 65536;

	sp->timeout_ms = cmd->timeout_ms;
	sp->deadline = child_now_ms() + cmd->timeout_ms;
	if ((pid = fork()) == -1) {
		err_sys(e, cmd->argv[0], "cannot start");
		goto cleanup;
	}
	if (pid == 0)
		child_child_run(&c);
	(void)setpgid(pid, pid);	/* as the child does: whichever runs first */
	sp->pid = pid;
	close(execp[1]);
	execp[1] = -1;
	while ((r = read(execp[0], &child_errno, sizeof(child_errno))) == -1 && errno == EINTR)
		continue;
	if (r == (ssize_t)sizeof(child_errno)) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			continue;
		sp->pid = -1;
		errno = child_errno;
		err_sys(e, cmd->argv[0], "cannot run");
		rc = CHILD_NOT_RUN;
		goto cleanup;
	}
	sp->out = outp[0];
	sp->err = errp[0];
	outp[0] = errp[0] = -1;
	rc = 0;
cleanup:
	if (rc != 0)
		child_abort(sp);
	for (i = 0; i < 2; i++) {
		if (outp[i] != -1)
			close(outp[i]);
		if (errp[i] != -1)
			close(errp[i]);
		if (execp[i] != -1)
			close(execp[i]);
	}
	if (devnull != -1)
		close(devnull);
	fsloc_release(&prog);
	trust_report_release(&tr);
	return rc;
}

/* Read once from *fd; EOF closes it. Past limit: hard fails with EFBIG, soft drops. */
static int
child_drain(int *fd, struct buf *b, size_t limit, int hard)
{
	char chunk[4096];
	size_t have = b != NULL ? b->len : 0, room;
	ssize_t n;

	n = read(*fd, chunk, sizeof(chunk));
	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (n == 0) {
		close(*fd);
		*fd = -1;
		return 0;
	}
	if (b == NULL)
		return 0;
	room = have < limit ? limit - have : 0;
	if ((size_t)n > room) {
		if (hard) {
			errno = EFBIG;
			return -1;
		}
		n = (ssize_t)room;
	}
	return buf_append(b, chunk, (size_t)n);
}

/*
 * Wait for the child to exit, until the deadline. It is left a zombie
 * (WNOWAIT), so that its process group can be killed before the pid is
 * released: nothing it started outlives the check.
 */
static int
child_wait_exit(struct child *sp, int *status)
{
	struct timespec nap = { 0, 200 * 1000 };
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)sp->pid, &si, WEXITED | WNOHANG | WNOWAIT) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (si.si_pid == sp->pid)
			break;
		if (child_left_ms(sp->deadline) == 0)
			return 1;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 5 * 1000 * 1000)
			nap.tv_nsec *= 2;
	}
	kill(-sp->pid, SIGKILL);
	while (waitpid(sp->pid, status, 0) == -1) {
		if (errno != EINTR)
			return -1;
	}
	sp->pid = -1;
	return 0;
}

int
child_finish(struct child *sp, struct buf *out, size_t out_limit, struct buf *errout,
    size_t err_keep, int *status, struct err *e)
{
	struct pollfd pfd[2];
	nfds_t nfd, i;
	int r, rc = -1;

	while (sp->out != -1 || sp->err != -1) {
		nfd = 0;
		if (sp->out != -1) {
			pfd[nfd].fd = sp->out;
			pfd[nfd++].events = POLLIN;
		}
		if (sp->err != -1) {
			pfd[nfd].fd = sp->err;
			pfd[nfd++].events = POLLIN;
		}
		if ((r = poll(pfd, nfd, child_left_ms(sp->deadline))) == -1) {
			if (errno == EINTR)
				continue;
			err_sys(e, sp->program, "cannot follow");
			goto cleanup;
		}
		if (r == 0 && child_left_ms(sp->deadline) == 0)
			goto timeout;
		for (i = 0; i < nfd; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == sp->out) {
				if (child_drain(&sp->out, out, out_limit, 1) == -1) {
					err_sys(e, sp->program, "reading its output");
					goto cleanup;
				}
			} else if (child_drain(&sp->err, errout, err_keep, 0) == -1) {
				err_sys(e, sp->program, "reading its errors");
				goto cleanup;
			}
		}
	}
	/* It may close its output and go on running: the deadline still holds. */
	if ((r = child_wait_exit(sp, status)) == 1)
		goto timeout;
	if (r == -1) {
		err_sys(e, sp->program, "waiting for it");
		goto cleanup;
	}
	rc = 0;
	goto cleanup;
timeout:
	err_set(e, sp->program, "gave no answer within %u s and was killed",
	    (sp->timeout_ms + 999) / 1000);
cleanup:
	child_abort(sp);
	return rc;
}
