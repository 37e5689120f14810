/* hook.h: the apt hook that re-applies the patch after every package operation. */
#ifndef HOOK_H
#define HOOK_H

#include "base/base.h"
#include "fsroot.h"

/*
 * The hook is an apt configuration file, ROOT/etc/apt/apt.conf.d/
 * 80bucardo-aiven, with a DPkg::Post-Invoke command running
 * `BINARY apply --reapply -q`. It covers copies that no package manager
 * owns (CPAN installs under /usr/local, local::lib): apt runs it after
 * every dpkg run it drives, through sh -c, and it never fails the apt run.
 */

#define HOOK_DIR	"/etc/apt/apt.conf.d"
#define HOOK_NAME	"80bucardo-aiven"

/*
 * Is binary a path that both apt's configuration parser and sh read
 * literally? Only absolute paths of [A-Za-z0-9/._+-] are: no quoting is
 * then needed, so none can go wrong. Returns 0, or -1 with e saying so.
 */
int	hook_binary_ok(const char *binary, struct err *e);

/*
 * Write the hook (replacing one this tool wrote) below root, naming binary
 * (hook_binary_ok) as the command, through atomic_write_at in the apt
 * directory found with fsroot_locate (which must pass the trust rule).
 * Refuses a file of that name the tool did not write.
 */
int	hook_install(struct fsroot *root, const char *binary, struct err *e);

/*
 * Remove the hook; *removed says whether there was one (none is no error).
 * Refuses a file it did not write.
 */
int	hook_remove(struct fsroot *root, int *removed, struct err *e);

/* 1 when the hook this tool writes is installed below root, 0 when not. */
int	hook_installed(struct fsroot *root);

#endif
