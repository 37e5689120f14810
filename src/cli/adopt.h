/* adopt.h: recognising a file that a run stopped dead had already replaced. */
#ifndef ADOPT_H
#define ADOPT_H

#include "host/host.h"
#include "base/base.h"
#include "options.h"
#include "engine/engine.h"
#include "state/state.h"

/*
 * A run stopped after it replaced a file but before it recorded that
 * (killed, or the store's disk full) leaves a patched file the history does
 * not know. The file is still ours when it is exactly what apply makes of
 * an original the store keeps: the recorded one (known), or else the newest
 * gzip copy under originals/ that fits. Then original holds that original
 * and the missing apply is recorded (except with --check). Returns 1 when
 * the file is ours, 0 when not, -1 on error.
 */
int	adopt_unrecorded(const struct options *o, const struct ruleset *rs, struct store *store,
    const struct target *t, struct buf *original, int known, struct err *e);

/*
 * Is a patched file on the watch list? When it is not, apply takes the
 * lock for it: a run stopped before listing it, or a hand edit to adopt.
 * Cheap: the watch list, no libgit2. inner is the file's path inside the
 * root, links resolved.
 */
int	adopt_listed(const struct options *o, const char *inner);

/*
 * The original of a copy patched (or half patched) by hand with no record
 * in the store: reconstructed by the rules (rewrite_reconstruct) into
 * original, then checked against the package manager's record
 * (pkgdb_check: dpkg's md5sums, rpm's digests, below --root too). *note
 * (the caller frees) says how it was found, for the history and the
 * report; *verified is 1 when a package manager confirmed it. Returns 0,
 * or -1 with e set.
 */
int	adopt_reconstruct(const struct options *o, const struct analysis *a,
	    const struct target *t, struct buf *original, char **note, int *verified,
	    struct err *e);

#endif
