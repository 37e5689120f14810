/* pkgdb.c: checking content against dpkg's md5sums and rpm's per-file digests. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nettle/md5.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "base/base.h"
#include "child.h"
#include "pkgdb.h"

#define PKGDB_DPKG_INFO		"/var/lib/dpkg/info"
#define PKGDB_MD5SUMS_LIMIT	(16u * 1024 * 1024)
#define PKGDB_RPM_LIMIT		(16u * 1024 * 1024)
#define PKGDB_RPM_TIMEOUT_MS	60000

/* The lower-case hex digest of data with the algorithm numbered algo (RFC 4880, 9.4). */
static int
pkgdb_digest(int algo, const void *data, size_t len, char *hex, size_t hexsize)
{
	uint8_t d[SHA512_DIGEST_SIZE];
	size_t n, i;

	switch (algo) {
	case 1: {
		struct md5_ctx c;

		md5_init(&c);
		md5_update(&c, len, data);
		md5_digest(&c, MD5_DIGEST_SIZE, d);
		n = MD5_DIGEST_SIZE;
		break;
	}
	case 2: {
		struct sha1_ctx c;

		sha1_init(&c);
		sha1_update(&c, len, data);
		sha1_digest(&c, SHA1_DIGEST_SIZE, d);
		n = SHA1_DIGEST_SIZE;
		break;
	}
	case 8: {
		struct sha256_ctx c;

		sha256_init(&c);
		sha256_update(&c, len, data);
		sha256_digest(&c, SHA256_DIGEST_SIZE, d);
		n = SHA256_DIGEST_SIZE;
		break;
	}
	case 9: {
		struct sha384_ctx c;

		sha384_init(&c);
		sha384_update(&c, len, data);
		sha384_digest(&c, SHA384_DIGEST_SIZE, d);
		n = SHA384_DIGEST_SIZE;
		break;
	}
	case 10: {
		struct sha512_ctx c;

		sha512_init(&c);
		sha512_update(&c, len, data);
		sha512_digest(&c, SHA512_DIGEST_SIZE, d);
		n = SHA512_DIGEST_SIZE;
		break;
	}
	default:
		return -1;
	}
	if (hexsize < 2 * n + 1)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return 0;
}

/*
 * Find "HEX  PATH" for rel (the path without its leading slash) in one
 * md5sums text; *hex points into text. 1 when found.
 */
static int
pkgdb_md5sums_line(char *text, const char *rel, const char **hex)
{
	char *line, *next, *sp;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((sp = strchr(line, ' ')) == NULL || sp - line != 32 || sp[1] != ' ')
			continue;
		if (strcmp(sp + 2, rel) == 0) {
			*sp = '\0';
			*hex = line;
			return 1;
		}
	}
	return 0;
}

static int
pkgdb_dpkg(struct fsroot *root, const char *inner, struct pkgdb_record *rec, struct err *e)
{
	struct fsloc info;
	struct buf text = BUF_INIT;
	struct err ignored = ERR_INIT;
	struct dirent *de;
	char *path = NULL;
	const char *hex;
	size_t n;
	int fd, rc = 0;
	DIR *d;

	if (fsroot_locate(root, PKGDB_DPKG_INFO, FS_FOLLOW | FS_OPEN_DIR, &info, NULL,
	    &ignored) != 0) {
		fsloc_release(&info);
		return 0;	/* no dpkg here, or one we may not trust: it says nothing */
	}
	if ((fd = openat(info.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		fsloc_release(&info);
		return err_sys(e, info.host, "cannot list dpkg's records");
	}
	while (!rec->found && (de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n <= 8 || strcmp(de->d_name + n - 8, ".md5sums") != 0)
			continue;
		free(path);
		buf_reset(&text);
		if (asprintf(&path, "%s/%s", info.inner, de->d_name) == -1) {
			path = NULL;
			rc = err_sys(e, NULL, "out of memory");
			break;
		}
		if (fsroot_read(root, path, 0, PKGDB_MD5SUMS_LIMIT, &text, NULL, &ignored) != 0 ||
		    text.len == 0 || !pkgdb_md5sums_line(text.data, inner + 1, &hex))
			continue;
		rec->found = 1;
		rec->algo = PKGDB_MD5;
		snprintf(rec->digest, sizeof(rec->digest), "%s", hex);
		snprintf(rec->source, sizeof(rec->source), "dpkg (%.*s)", (int)(n - 8), de->d_name);
		/* PACKAGE.md5sums or, for a Multi-Arch: same package, PACKAGE:ARCH.md5sums. */
		snprintf(rec->reinstall, sizeof(rec->reinstall), "apt-get install --reinstall %.*s",
		    (int)(n - 8), de->d_name);
	}
	closedir(d);
	fsloc_release(&info);
	buf_release(&text);
	free(path);
	return rc;
}

/* Is there an rpm database below root? Both places rpm has used. */
static int
pkgdb_has_rpmdb(struct fsroot *root)
{
	static const char *const dbs[] = { "/var/lib/rpm", "/usr/lib/sysimage/rpm" };
	struct fsloc loc;
	struct err ignored = ERR_INIT;
	size_t i;
	int found = 0;

	for (i = 0; i < sizeof(dbs) / sizeof(dbs[0]) && !found; i++) {
		found = fsroot_locate(root, dbs[i], FS_FOLLOW | FS_OPEN_DIR, &loc, NULL,
		    &ignored) == 0;
		fsloc_release(&loc);
	}
	return found;
}

static int
pkgdb_rpm(struct fsroot *root, struct fsroot *host, const char *inner, struct pkgdb_record *rec,
    struct err *e)
{
	static const char *const rpms[] = { "/usr/bin/rpm", "/bin/rpm" };
	struct child ch;
	struct child_cmd cmd;
	struct buf out = BUF_INIT;
	struct err ignored = ERR_INIT;
	const char *argv[9];
	char *line, *next, *tab, *algo_line = NULL;
	char *pkg = NULL, *name;
	const char *digest = NULL;
	size_t i;
	int status, algo;

	if (!pkgdb_has_rpmdb(root))
		return 0;
	for (i = 0; i < sizeof(rpms) / sizeof(rpms[0]); i++) {
		argv[0] = rpms[i];
		argv[1] = "--root";
		argv[2] = root->host[0] != '\0' ? root->host : "/";
		argv[3] = "-qf";
		argv[4] = "--qf";
		argv[5] = "%{NAME}\\n%{NEVR}\\n%{FILEDIGESTALGO}\\n[%{FILENAMES}\\t%{FILEDIGESTS}\\n]";
		argv[6] = "--";
		argv[7] = inner;
		argv[8] = NULL;
		cmd = (struct child_cmd)CHILD_CMD_INIT;
		cmd.argv = argv;
		cmd.timeout_ms = PKGDB_RPM_TIMEOUT_MS;
		cmd.capture_stdout = 1;
		if (child_start(&ch, host, &cmd, &ignored) == 0)
			break;
	}
	if (i == sizeof(rpms) / sizeof(rpms[0]))
		return 0;	/* no rpm we may run: it says nothing */
	if (child_finish(&ch, &out, PKGDB_RPM_LIMIT, NULL, 0, &status, e) == -1) {
		buf_release(&out);
		return -1;
	}
	/* rpm -qf of a file no package owns exits 1: nothing recorded. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || out.len == 0) {
		buf_release(&out);
		return 0;
	}
	name = out.data;
	if ((pkg = strchr(name, '\n')) == NULL)
		goto done;
	*pkg++ = '\0';
	if ((algo_line = strchr(pkg, '\n')) == NULL)
		goto done;
	*algo_line++ = '\0';
	if ((line = strchr(algo_line, '\n')) == NULL)
		goto done;
	*line++ = '\0';
	algo = atoi(algo_line);
	for (; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		if (strcmp(line, inner) == 0)
			digest = tab + 1;
	}
	if (digest == NULL || *digest == '\0' || strlen(digest) >= sizeof(rec->digest))
		goto done;
	rec->found = 1;
	rec->algo = algo;
	snprintf(rec->digest, sizeof(rec->digest), "%s", digest);
	snprintf(rec->source, sizeof(rec->source), "rpm (%s)", pkg);
	snprintf(rec->reinstall, sizeof(rec->reinstall), "dnf reinstall %s", name);
done:
	buf_release(&out);
	return 0;
}

int
pkgdb_lookup(struct fsroot *root, struct fsroot *host, const char *inner,
    struct pkgdb_record *rec, struct err *e)
{
	memset(rec, 0, sizeof(*rec));
	if (pkgdb_dpkg(root, inner, rec, e) == -1)
		return -1;
	if (!rec->found && pkgdb_rpm(root, host, inner, rec, e) == -1)
		return -1;
	return 0;
}

int
pkgdb_matches(const struct pkgdb_record *rec, const void *data, size_t len)
{
	char mine[2 * SHA512_DIGEST_SIZE + 1];

	if (!rec->found || pkgdb_digest(rec->algo, data, len, mine, sizeof(mine)) == -1)
		return 0;
	return strcmp(mine, rec->digest) == 0;
}
