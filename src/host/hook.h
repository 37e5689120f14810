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
 * (hook_binary_ok) as the command. The file is written by atomic_write_at
 * (atomic.h: a temporary file written whole, fsynced, renamed, then the
 * directory fsynced) in the apt directory found with fsroot_locate, which
 * must pass the trust rule. Refuses a file of that name the tool did not
 * write. Returns 0, or -1 with e set.
 */
int	hook_install(struct fsroot *root, const char *binary, struct err *e);

/*
 * Remove the hook and fsync the directory; *removed says whether there was
 * one (none, or no apt directory at all, is no error). Refuses a file it
 * did not write, and an apt directory that fails the trust rule. Returns
 * 0, or -1 with e set.
 */
int	hook_remove(struct fsroot *root, int *removed, struct err *e);

/*
 * Is the hook this tool writes installed below root? 1 when it is, 0 when
 * it is not (no file of that name, one the tool did not write, or no apt
 * directory), -1 when that cannot be told (e set): the apt directory fails
 * the trust rule, or it or the file cannot be read.
 */
int	hook_installed(struct fsroot *root, struct err *e);

#endif
