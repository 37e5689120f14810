/* rulesdir.c: the *.rules files of a directory, each passing the trust rule, parsed in name order. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "rulesdir.h"

/* A rules file larger than this is not one of ours. */
#define RULES_FILE_LIMIT	(256u * 1024)

static int
rules_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
rules_load_dir(struct ruleset *rs, struct fsroot *host, const char *dir, struct err *e)
{
	struct fsloc loc = FSLOC_INIT;
	struct trust_report tr = TRUST_REPORT_INIT;
	struct buf text = BUF_INIT;
	struct dirent *de;
	char **names = NULL, *path = NULL, *abs = NULL;
	size_t n = 0, i;
	int rc = -1, fd, got;
	DIR *d = NULL;

	/*
	 * Rules decide what is written into a module root loads: they must be
	 * as trustworthy as the module, so the directory and each file pass
	 * the trust rule, found through the host's root.
	 */
	if (fsroot_inner(host, dir, &abs, e) == -1)
		return -1;
	if ((got = fsroot_locate(host, abs, FS_FOLLOW | FS_OPEN_DIR, &loc, &tr, e)) != 0) {
		if (got == FSROOT_UNTRUSTED) {
			err_hint(e, "rules from there are not used");
			rc = got;
		}
		goto cleanup;
	}
	if ((fd = openat(loc.fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		err_sys(e, dir, "cannot read rules directory");
		goto cleanup;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char **p;

		if (l < 7 || strcmp(de->d_name + l - 6, ".rules") != 0 || de->d_name[0] == '.')
			continue;
		if ((p = reallocarray(names, n + 1, sizeof(*names))) == NULL ||
		    (p[n] = strdup(de->d_name)) == NULL) {
			if (p != NULL)
				names = p;
			err_sys(e, dir, "cannot list rules directory");
			goto cleanup;
		}
		names = p;
		n++;
	}
	if (n == 0) {
		err_set(e, dir, "no *.rules files here; give the patches/ directory of bucardo-aiven's source");
		goto cleanup;
	}
	qsort(names, n, sizeof(*names), rules_name_cmp);
	for (i = 0; i < n; i++) {
		free(path);
		buf_reset(&text);
		if (asprintf(&path, "%s/%s", loc.inner, names[i]) == -1) {
			path = NULL;
			err_sys(e, dir, "out of memory");
			goto cleanup;
		}
		trust_report_release(&tr);
		if ((got = fsroot_read(host, path, 0, RULES_FILE_LIMIT, &text, &tr, e)) != 0) {
			if (got == FSROOT_UNTRUSTED) {
				err_hint(e, "rules from there are not used");
				rc = got;
			}
			goto cleanup;
		}
		if (rules_parse(rs, path, text.data ? text.data : "", text.len, e) == -1)
			goto cleanup;
	}
	rc = 0;
cleanup:
	if (d != NULL)
		closedir(d);
	fsloc_release(&loc);
	trust_report_release(&tr);
	buf_release(&text);
	free(path);
	free(abs);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

