/* state/state.h: the state directory: its trust check, the git store and gzip originals, the watch list, diffs. The one header other layers include. */
#ifndef STATE_LAYER_H
#define STATE_LAYER_H

#include "diff.h"
#include "git2lazy.h"
#include "statedir.h"
#include "store.h"
#include "watchlist.h"

#endif
