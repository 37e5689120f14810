/* floor.c: the durable C floor, the least a careful program does to patch Bucardo.pm. */
/*
 * floor MODULE BACKUP_DIR
 *
 * What bench/run holds bucardo-aiven's first apply against: read the
 * module, keep a raw copy of it in BACKUP_DIR (written to a temporary
 * file, fsynced, linked to its name, the directory fsynced), rewrite the
 * two statements in memory, write the result to a temporary file beside
 * the module with its owner and mode, fsync it, rename it over the module
 * and fsync the directory. Four barriers: the backup is durable before the
 * module is replaced, and the module is durable when it returns. No check,
 * no history, no compression, no trust rule: the floor, not a tool.
 */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const from[] = {
	"SET session_replication_role = 'replica'",
	"SET session_replication_role = default",
};
static const char *const to[] = {
	"select aiven_extras.session_replication_role('replica');",
	"select aiven_extras.session_replication_role('origin');",
};

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "floor: %s: %s: %s\n", path, what, strerror(errno));
	exit(1);
}

static void
write_all(int fd, const char *p, size_t len, const char *path)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			die("write", path);
		}
		p += n;
		len -= (size_t)n;
	}
}

static void
fsync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 || fsync(fd) == -1)
		die("fsync", dir);
	close(fd);
}

int
main(int argc, char **argv)
{
	char tmp[4096], dst[4096], dirbuf[4096], *in, *out, *dir, *hit;
	size_t len, olen = 0, i, n;
	struct stat st;
	ssize_t got;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: floor MODULE BACKUP_DIR\n");
		return 2;
	}
	if ((fd = open(argv[1], O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1)
		die("open", argv[1]);
	len = (size_t)st.st_size;
	if ((in = malloc(len + 1)) == NULL || (out = malloc(len + 256)) == NULL)
		die("malloc", argv[1]);
	for (n = 0; n < len; n += (size_t)got)
		if ((got = read(fd, in + n, len - n)) <= 0)
			die("read", argv[1]);
	close(fd);
	in[len] = '\0';

	/* The raw backup, whole under its name before the module is touched. */
	snprintf(tmp, sizeof(tmp), "%s/.Bucardo.pm.orig.XXXXXX", argv[2]);
	snprintf(dst, sizeof(dst), "%s/Bucardo.pm.orig", argv[2]);
	if ((fd = mkstemp(tmp)) == -1)
		die("mkstemp", tmp);
	write_all(fd, in, len, tmp);
	if (fsync(fd) == -1 || close(fd) == -1)
		die("fsync", tmp);
	if (rename(tmp, dst) == -1)
		die("rename", dst);
	fsync_dir(argv[2]);

	/* The two edits, each statement found once. */
	memcpy(out, in, len);
	olen = len;
	for (i = 0; i < 2; i++) {
		if ((hit = memmem(out, olen, from[i], strlen(from[i]))) == NULL) {
			errno = ENOENT;
			die("statement not found", argv[1]);
		}
		n = (size_t)(hit - out);
		memmove(hit + strlen(to[i]), hit + strlen(from[i]), olen - n - strlen(from[i]));
		memcpy(hit, to[i], strlen(to[i]));
		olen = olen - strlen(from[i]) + strlen(to[i]);
	}

	/* The atomic replacement. */
	snprintf(dirbuf, sizeof(dirbuf), "%s", argv[1]);
	dir = dirname(dirbuf);
	snprintf(tmp, sizeof(tmp), "%s/.Bucardo.pm.XXXXXX", dir);
	if ((fd = mkstemp(tmp)) == -1)
		die("mkstemp", tmp);
	write_all(fd, out, olen, tmp);
	if (fchown(fd, st.st_uid, st.st_gid) == -1 || fchmod(fd, st.st_mode & 07777) == -1)
		die("fchown", tmp);
	if (fsync(fd) == -1 || close(fd) == -1)
		die("fsync", tmp);
	if (rename(tmp, argv[1]) == -1)
		die("rename", argv[1]);
	fsync_dir(dir);
	free(in);
	free(out);
	return 0;
}
