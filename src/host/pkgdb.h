/* pkgdb.h: what the package manager recorded of a file: dpkg's md5sums, rpm's file digests. */
#ifndef PKGDB_H
#define PKGDB_H

#include <stddef.h>

#include "base/base.h"
#include "fsroot.h"

/* The digest algorithms, numbered as rpm numbers them (RFC 4880, 9.4). */
enum pkgdb_algo {
	PKGDB_MD5 = 1,		/* dpkg's md5sums */
	PKGDB_SHA1 = 2,
	PKGDB_SHA256 = 8,	/* rpm's default since 4.6 */
	PKGDB_SHA384 = 9,
	PKGDB_SHA512 = 10
};

/* What a package manager recorded of one installed file. */
struct pkgdb_record {
	int	found;			/* 0: no package manager records the file */
	int	algo;			/* enum pkgdb_algo */
	char	digest[129];		/* lower-case hex */
	char	source[160];		/* "dpkg (bucardo)", "rpm (bucardo-5.6.0-1.el9)" */
	char	reinstall[160];		/* the command that puts the package's copy back:
					   "apt-get install --reinstall bucardo",
					   "dnf reinstall bucardo" */
};

/*
 * What the package manager recorded of inner, a path inside root. dpkg:
 * the md5 listed in ROOT/var/lib/dpkg/info/PACKAGE.md5sums (dpkg(1), the
 * "md5sums" control file), read through root under the trust rule. rpm:
 * the file's digest and digest algorithm as `rpm --root ROOT -qf` prints
 * them (%{FILEDIGESTS}, %{FILEDIGESTALGO}), asked only when an rpm database
 * exists below root, through child.c with host's trusted rpm. Returns 0
 * with rec filled (rec->found 0 when nothing records it), -1 when
 * something failed that should have worked (e set).
 */
int	pkgdb_lookup(struct fsroot *root, struct fsroot *host, const char *inner,
	    struct pkgdb_record *rec, struct err *e);

/*
 * Is data (len bytes) what rec says the package installed? Digests are
 * computed with Nettle. 0 for an algorithm Nettle is not asked for here,
 * or when rec found nothing.
 */
int	pkgdb_matches(const struct pkgdb_record *rec, const void *data, size_t len);

#endif
