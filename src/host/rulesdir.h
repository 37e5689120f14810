/* rulesdir.h: reading --rules DIR, a directory of rules files, under the trust rule. */
#ifndef RULESDIR_H
#define RULESDIR_H

#include "base/base.h"
#include "fsroot.h"
#include "engine/engine.h"

/*
 * Every *.rules file of dir (for --rules DIR), in name order, found from
 * host's root: the directory and each file must pass the trust rule
 * (trust.h), since the rules decide what is written into a module root
 * loads. Returns 0, FSROOT_UNTRUSTED or -1, with e set on failure.
 */
int	rules_load_dir(struct ruleset *rs, struct fsroot *host, const char *dir, struct err *e);

#endif
