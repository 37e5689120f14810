/* git2lazy.c: loading libgit2 with dlopen(3) the first time it is needed. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "config.h"
#include "git2lazy.h"

/*
 * A cache of an immutable library, filled once and never changed: not
 * program state. pthread_once makes a second caller (the store's loader
 * thread and a diff on the main thread) wait for the first.
 */
static struct git2_api	 git2_api_table;
static struct err	 git2_load_err;
static int		 git2_loaded;
static pthread_once_t	 git2_once = PTHREAD_ONCE_INIT;

static void
git2_load_once(void)
{
	struct git2_api t;
	struct err *e = &git2_load_err;
	char why[512];
	void *h, *sym;
	int major = 0, minor = 0, rev = 0;

	/*
	 * The versioned name first: it is what the headers we were built
	 * with describe. The development symlink is only a fallback, and the
	 * version check below keeps it from handing us another ABI.
	 */
	if ((h = dlopen(GIT2_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		snprintf(why, sizeof(why), "%s", dlerror());
		if ((h = dlopen("libgit2.so", RTLD_NOW | RTLD_LOCAL)) == NULL) {
			err_set(e, NULL, "cannot load libgit2: %s; install "
			    "the package that ships %s", why, GIT2_SONAME);
			return;
		}
	}

#define GIT2_RESOLVE(name)						\
	if ((sym = dlsym(h, #name)) == NULL)				\
		goto missing;						\
	t.name = (__typeof__(t.name))sym;
	GIT2_FUNCTIONS(GIT2_RESOLVE)
#undef GIT2_RESOLVE

	if (t.git_libgit2_version(&major, &minor, &rev) < 0 ||
	    major != LIBGIT2_VER_MAJOR || minor != LIBGIT2_VER_MINOR) {
		err_set(e, NULL, "libgit2 %d.%d is installed but bucardo-aiven "
		    "was built for %d.%d; install %s or rebuild bucardo-aiven",
		    major, minor, LIBGIT2_VER_MAJOR, LIBGIT2_VER_MINOR,
		    GIT2_SONAME);
		dlclose(h);
		return;
	}
	/*
	 * Debian's libgit2 is built with mbedTLS, whose start-up here parses
	 * the whole CA bundle (a path compiled in; no option or environment
	 * variable reaches it before this call): most of the cost of loading
	 * libgit2. git2_preload() moves it off the caller's path.
	 */
	if (t.git_libgit2_init() < 0) {
		err_set(e, NULL, "cannot initialise libgit2: %s",
		    git2_message(&t));
		dlclose(h);
		return;
	}
	git2_api_table = t;
	git2_loaded = 1;
	return;

missing:
	err_set(e, NULL, "libgit2 lacks a function bucardo-aiven needs: %s; "
	    "install %s", dlerror(), GIT2_SONAME);
	dlclose(h);
}

const struct git2_api *
git2_load(struct err *e)
{
	pthread_once(&git2_once, git2_load_once);
	if (!git2_loaded) {
		if (e != NULL)
			*e = git2_load_err;
		return NULL;
	}
	return &git2_api_table;
}

static void *
git2_preload_run(void *arg)
{
	(void)arg;
	pthread_once(&git2_once, git2_load_once);
	return NULL;
}

int
git2_preload(pthread_t *thread)
{
	return pthread_create(thread, NULL, git2_preload_run, NULL) == 0 ? 0 : -1;
}

const char *
git2_message(const struct git2_api *g)
{
	const git_error *ge;

	if (g == NULL || (ge = g->git_error_last()) == NULL ||
	    ge->message == NULL)
		return "unknown libgit2 error";
	return ge->message;
}
