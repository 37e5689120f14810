/* test-hook.c: the apt hook: written whole below the root, only over its own file, removed, and asked about. */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hook.h"
#include "tap.h"

#define BIN	"/usr/sbin/bucardo-aiven"
#define HOOK	"etc/apt/apt.conf.d/" HOOK_NAME
#define TEXT(bin) \
	"// Written by bucardo-aiven hook install; remove with: bucardo-aiven hook remove\n" \
	"// Re-applies the Bucardo patch after every package operation, for the\n" \
	"// copies of Bucardo.pm that no package manager owns (CPAN, local::lib).\n" \
	"DPkg::Post-Invoke { \"if [ -x " bin " ]; then " bin " apply --reapply -q || true; " \
	"fi\"; };\n"

/* An admin's own file of the hook's name, longer than the tool's mark line. */
#define FOREIGN	"// the admin's own post-invoke hook, longer than the tool's mark\n"

static char base[PATH_MAX];

static int
has(const char *msg, const char *needle)
{
	if (msg != NULL && strstr(msg, needle) != NULL)
		return 1;
	printf("#   text:  %s\n#   lacks: %s\n", msg ? msg : "(null)", needle);
	return 0;
}

static const char *
at(const char *rel)
{
	static char bufs[8][PATH_MAX + 64];
	static int next;
	char *out = bufs[next++ % 8];

	snprintf(out, sizeof(bufs[0]), "%s/%s", base, rel);
	return out;
}

static int
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* The file's bytes (at most 4 KiB), or "(none)". */
static const char *
slurp(const char *path)
{
	static char text[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return "(none)";
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

/* How many entries the apt directory holds besides the hook: temporary files left behind. */
static int
others(void)
{
	DIR *d = opendir(at("etc/apt/apt.conf.d"));
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    strcmp(de->d_name, HOOK_NAME) != 0 && strcmp(de->d_name, "00admin") != 0) {
			printf("#   left behind: %s\n", de->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
test_binary_ok(void)
{
	static const char *const refused[] = { "bucardo-aiven", "./bucardo-aiven",
	    "/opt/my tools/bucardo-aiven", "/usr/sbin/bucardo-aiven; rm -rf /",
	    "/usr/sbin/$(id)", "/usr/sbin/\"x\"", "/usr/sbin/x\n", "/usr/sbin/x'y", "" };
	struct err e = ERR_INIT;
	size_t i;
	int all = 1;

	ok(hook_binary_ok(BIN, &e) == 0, "a plain absolute path is taken");
	ok(hook_binary_ok("/opt/ba-1.2_3+4/bin/bucardo-aiven", &e) == 0,
	    "letters, digits and /._+- are taken");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (hook_binary_ok(refused[i], &e) != -1) {
			printf("#   taken: '%s'\n", refused[i]);
			all = 0;
		}
	ok(all, "relative paths, blanks, quotes and shell syntax are refused");
	ok(has(e.msg, "apt and sh both read literally"), "saying why: %s", e.msg);
}

static void
test_no_apt(struct fsroot *root)
{
	struct err e = ERR_INIT;
	int removed = -1;

	ok(hook_installed(root, &e) == 0, "no apt directory: not installed (%s)", e.msg);
	memset(&e, 0, sizeof(e));
	ok(hook_install(root, BIN, &e) == -1 && has(e.msg, "is apt installed here?"),
	    "install without an apt directory: refused with a hint: %s", e.msg);
	ok(hook_remove(root, &removed, &e) == 0 && removed == 0,
	    "remove without an apt directory: nothing to do");

	must(mkdir(at("etc"), 0755));
	must(mkdir(at("etc/apt"), 0755));
	must(put(at("etc/apt/apt.conf.d"), "not a directory\n"));
	memset(&e, 0, sizeof(e));
	ok(hook_install(root, BIN, &e) == -1 && has(e.msg, "not a directory"),
	    "an apt.conf.d that is a file: refused, saying what it is: %s", e.msg);
	ok(hook_installed(root, &e) == 0, "and no hook is installed there");
	must(unlink(at("etc/apt/apt.conf.d")));
	must(mkdir(at("etc/apt/apt.conf.d"), 0755));
}

static void
test_install_remove(struct fsroot *root)
{
	struct err e = ERR_INIT;
	struct stat st;
	int removed = -1;

	must(put(at("etc/apt/apt.conf.d/00admin"), "// the admin's own\n"));
	ok(hook_installed(root, &e) == 0, "an apt directory without the hook: not installed");
	ok(hook_install(root, BIN, &e) == 0, "install (%s)", e.msg);
	is_str(slurp(at(HOOK)), TEXT(BIN), "the hook runs apply --reapply -q, never failing apt");
	if (lstat(at(HOOK), &st) == -1)
		st.st_mode = 0;
	ok(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644 && st.st_uid == geteuid(),
	    "a regular file, 0644, ours (%o)", (unsigned)(st.st_mode & 07777));
	ok(others() == 0, "no temporary file left in the apt directory");
	is_str(slurp(at("etc/apt/apt.conf.d/00admin")), "// the admin's own\n",
	    "the other files there untouched");
	ok(hook_installed(root, &e) == 1, "installed");

	ok(hook_install(root, "/usr/local/sbin/bucardo-aiven", &e) == 0 &&
	    strcmp(slurp(at(HOOK)), TEXT("/usr/local/sbin/bucardo-aiven")) == 0,
	    "install again: its own hook replaced, naming the new binary");
	memset(&e, 0, sizeof(e));
	ok(hook_install(root, "/usr/sbin/x; reboot", &e) == -1 &&
	    strcmp(slurp(at(HOOK)), TEXT("/usr/local/sbin/bucardo-aiven")) == 0,
	    "a binary the shell would not read literally: refused, the hook kept: %s", e.msg);

	memset(&e, 0, sizeof(e));
	ok(hook_remove(root, &removed, &e) == 0 && removed == 1, "remove (%s)", e.msg);
	ok(access(at(HOOK), F_OK) == -1 && errno == ENOENT, "the file is gone");
	ok(hook_installed(root, &e) == 0, "not installed");
	ok(hook_remove(root, &removed, &e) == 0 && removed == 0, "remove again: nothing to do");
}

static void
test_not_ours(struct fsroot *root)
{
	struct err e = ERR_INIT;
	int removed = -1;

	must(put(at(HOOK), FOREIGN));
	ok(hook_installed(root, &e) == 0, "a file of that name the tool did not write: not "
	    "the hook");
	ok(hook_install(root, BIN, &e) == -1 && has(e.msg, "not written by bucardo-aiven") &&
	    has(e.msg, "move it aside"), "install refuses to replace it: %s", e.msg);
	ok(hook_remove(root, &removed, &e) == -1 && removed == 0 &&
	    has(e.msg, "left alone"), "remove refuses to delete it: %s", e.msg);
	is_str(slurp(at(HOOK)), FOREIGN, "and it is left as it was");
	must(unlink(at(HOOK)));

	must(mkfifo(at(HOOK), 0644));
	ok(hook_installed(root, &e) == 0, "a fifo of that name: not the hook, and not "
	    "blocked on");
	ok(hook_install(root, BIN, &e) == -1 && has(e.msg, "not written by bucardo-aiven"),
	    "install refuses to replace a fifo: %s", e.msg);
	ok(hook_remove(root, &removed, &e) == -1 && removed == 0, "remove refuses it too");
	must(unlink(at(HOOK)));
	must(symlink(at("etc/apt/apt.conf.d/00admin"), at(HOOK)));
	ok(hook_installed(root, &e) == 0 && hook_install(root, BIN, &e) == -1,
	    "a symbolic link of that name: not followed, not replaced");
	must(unlink(at(HOOK)));
}

/* An apt directory others may write to: apt would run what they put there, as root. */
static void
test_untrusted(struct fsroot *root)
{
	struct err e = ERR_INIT;
	int removed = -1, rc;

	must(hook_install(root, BIN, &e));
	must(chmod(at("etc/apt/apt.conf.d"), 0777));
	memset(&e, 0, sizeof(e));
	ok(hook_installed(root, &e) == -1 && has(e.msg, "not trusted"),
	    "an apt directory others may write to: cannot tell, and says why: %s", e.msg);
	memset(&e, 0, sizeof(e));
	ok(hook_install(root, BIN, &e) == -1 && has(e.msg, "not trusted"),
	    "install refuses it: %s", e.msg);
	/* Whatever errno was before, an untrusted directory is not "no apt". */
	errno = ENOENT;
	memset(&e, 0, sizeof(e));
	rc = hook_remove(root, &removed, &e);
	ok(rc == -1 && removed == 0 && has(e.msg, "not trusted"),
	    "remove refuses it, even with ENOENT left in errno from before: %s", e.msg);
	ok(access(at(HOOK), F_OK) == 0, "and the hook is still there");
	must(chmod(at("etc/apt/apt.conf.d"), 0755));
	must(hook_remove(root, &removed, &e));
}

int
main(void)
{
	struct fsroot root = FSROOT_INIT;
	struct err e = ERR_INIT;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(base, sizeof(base), "%s/test-hook.XXXXXX", tmp);
	if (mkdtemp(base) == NULL) {
		printf("Bail out! cannot make a temporary directory\n");
		return 1;
	}
	if (fsroot_open(&root, base, &e) == -1) {
		printf("Bail out! %s\n", e.msg);
		return 1;
	}
	test_binary_ok();
	test_no_apt(&root);
	test_install_remove(&root);
	test_not_ours(&root);
	test_untrusted(&root);
	fsroot_close(&root);
	if (nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		printf("# could not remove %s\n", base);
	return tap_done();
}
