/* adopt.h: recognising a file that a run stopped dead had already replaced. */
#ifndef ADOPT_H
#define ADOPT_H

#include "atomic.h"
#include "buf.h"
#include "errmsg.h"
#include "options.h"
#include "rules.h"
#include "store.h"

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
 * Could a patched file be the work of a run stopped before it recorded the
 * change or listed the file as kept patched? Only then does apply take the
 * lock for it. Cheap: the watchlist and one directory, no libgit2. inner
 * is the file's path inside the root, links resolved.
 */
int	adopt_maybe_unrecorded(const struct options *o, const char *inner);

#endif
