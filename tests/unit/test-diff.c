/* test-diff.c: diff_unified output that patch(1) applies. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "diff.h"
#include "errmsg.h"
#include "git2lazy.h"
#include "tap.h"

#define PATH	"/usr/share/perl5/Bucardo.pm"

static int
write_file(const char *path, const void *data, size_t len)
{
	FILE *f;
	int rc = 0;

	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (len > 0 && fwrite(data, 1, len, f) != len)
		rc = -1;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static int
read_file(struct buf *b, const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	rc = buf_read_fd(b, fd, 1 << 20);
	close(fd);
	return rc;
}

/*
 * Put old at ROOT/usr/share/perl5/Bucardo.pm, run `patch -p1` (with
 * --dry-run first) from ROOT, and check the result is new.
 */
static void
check_patch(const char *root, const char *name, const char *old,
    const char *new, const struct buf *diff)
{
	struct buf got = BUF_INIT;
	char file[512], dfile[512], cmd[1536];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/usr && mkdir -p %s/usr/share/perl5",
	    root, root);
	if (system(cmd) != 0)
		ok(0, "%s: set up %s", name, root);
	snprintf(file, sizeof(file), "%s%s", root, PATH);
	snprintf(dfile, sizeof(dfile), "%s/change.diff", root);
	write_file(file, old, strlen(old));
	write_file(dfile, diff->data, diff->len);

	snprintf(cmd, sizeof(cmd), "cd %s && patch -s -p1 --dry-run < %s",
	    root, dfile);
	ok(system(cmd) == 0, "%s: patch -p1 --dry-run accepts the diff", name);
	snprintf(cmd, sizeof(cmd), "cd %s && patch -s -p1 < %s", root, dfile);
	ok(system(cmd) == 0, "%s: patch -p1 applies the diff", name);
	ok(read_file(&got, file) == 0 && got.len == strlen(new) &&
	    memcmp(got.data, new, got.len) == 0,
	    "%s: the patched file equals the new bytes", name);
	buf_release(&got);
}

int
main(void)
{
	static const char old[] =
	    "package Bucardo;\n" "use strict;\n" "use warnings;\n"
	    "sub one {\n" "    return 1;\n" "}\n" "sub two {\n"
	    "    return 2;\n" "}\n" "sub three {\n" "    return 3;\n"
	    "}\n" "1;\n";
	static const char new[] =
	    "package Bucardo;\n" "use strict;\n" "use warnings;\n"
	    "sub one {\n" "    return 'one';\n" "}\n" "sub two {\n"
	    "    return 2;\n" "}\n" "sub three {\n" "    return 'three';\n"
	    "}\n" "1;\n";
	static const char tail_old[] = "a\nb\n-- comment\nc";
	static const char tail_new[] = "a\nb\nc\nd";
	static const char headers[] =
	    "--- a/usr/share/perl5/Bucardo.pm\n"
	    "+++ b/usr/share/perl5/Bucardo.pm\n@@ ";
	struct buf out = BUF_INIT;
	struct err e = ERR_INIT;
	const struct git2_api *g;
	char root[] = "/tmp/test-diff.XXXXXX", cmd[600];
	int rc;

	if (mkdtemp(root) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}

	rc = diff_unified(&out, PATH, old, strlen(old), new, strlen(new), &e);
	ok(rc == 0, "two-line change: diff_unified succeeds (%s)", e.msg);
	ok(out.len > 0 && strncmp(out.data, headers, strlen(headers)) == 0,
	    "two-line change: headers are a/ and b/ of the path, no leading slash");
	if (out.len > 0 && strncmp(out.data, "--- ", 4) != 0)
		printf("# got:\n%s", out.data);
	ok(out.len > 0 && strstr(out.data, "-    return 1;\n+    return 'one';\n") &&
	    strstr(out.data, "-    return 3;\n+    return 'three';\n"),
	    "two-line change: both changes are in the diff");
	ok(out.len > 0 && strstr(out.data, "diff --git") == NULL &&
	    strstr(out.data, "\nindex ") == NULL,
	    "two-line change: no git object header lines");
	ok(out.len > 0 && strstr(out.data, "\n use warnings;\n") != NULL &&
	    strstr(out.data, "\n package Bucardo;\n") == NULL,
	    "two-line change: three lines of context, not more");
	check_patch(root, "two-line change", old, new, &out);

	buf_reset(&out);
	rc = diff_unified(&out, PATH, old, strlen(old), old, strlen(old), &e);
	ok(rc == 0 && out.len == 0, "equal inputs: nothing appended");

	buf_reset(&out);
	buf_puts(&out, "kept\n");
	rc = diff_unified(&out, PATH, old, strlen(old), old, strlen(old), &e);
	ok(rc == 0 && out.len == 5, "equal inputs: existing contents untouched");
	rc = diff_unified(&out, PATH, old, strlen(old), new, strlen(new), &e);
	ok(rc == 0 && strncmp(out.data, "kept\n--- a/", 11) == 0,
	    "a diff is appended after existing contents");

	/* A removed "-- comment" line reads "--- comment" in the hunk. */
	buf_reset(&out);
	rc = diff_unified(&out, PATH, tail_old, strlen(tail_old), tail_new,
	    strlen(tail_new), &e);
	ok(rc == 0 && strstr(out.data, "\\ No newline at end of file") != NULL,
	    "missing final newline: marked in the diff");
	check_patch(root, "missing final newline", tail_old, tail_new, &out);

	buf_release(&out);
	if ((g = git2_load(&e)) != NULL)
		g->git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", root);
	return tap_done();
}
