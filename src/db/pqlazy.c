/* pqlazy.c: loading libpq with dlopen(3) the first time it is needed. */
#include <dlfcn.h>
#include <stdio.h>

#include "pqlazy.h"

/* libpq's soname has been .5 since PostgreSQL 8.0 and its ABI only grows. */
#define PQ_SONAME	"libpq.so.5"

const struct pq_api *
pq_load(struct err *e)
{
	/*
	 * A cache of an immutable library, filled once and never changed:
	 * not program state. The tool is single-threaded.
	 */
	static struct pq_api api;
	static int loaded;
	struct pq_api t;
	void *h, *sym;

	if (loaded)
		return &api;

	if ((h = dlopen(PQ_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		err_set(e, NULL, "cannot load libpq: %s; install the package "
		    "that ships %s (libpq5 on Debian and Ubuntu, libpq on "
		    "Fedora and EL)", dlerror(), PQ_SONAME);
		return NULL;
	}

#define PQ_RESOLVE(name)						\
	if ((sym = dlsym(h, #name)) == NULL)				\
		goto missing;						\
	t.name = (__typeof__(t.name))sym;
	PQ_FUNCTIONS(PQ_RESOLVE)
#undef PQ_RESOLVE

	api = t;
	loaded = 1;
	return &api;

missing:
	err_set(e, NULL, "libpq lacks a function bucardo-aiven needs: %s; "
	    "install a newer %s", dlerror(), PQ_SONAME);
	dlclose(h);
	return NULL;
}
