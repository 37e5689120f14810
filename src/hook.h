/* hook.h: the apt hook that re-applies the patch after every package operation. */
#ifndef HOOK_H
#define HOOK_H

#include "errmsg.h"

/*
 * The hook is an apt configuration file, ROOT/etc/apt/apt.conf.d/
 * 80bucardo-aiven, with a DPkg::Post-Invoke command running
 * `BINARY apply --reapply -q`. It covers copies that no package manager
 * owns (CPAN installs under /usr/local, local::lib): apt runs it after
 * every dpkg run it drives, and it never fails the apt run.
 */

/* Path of the hook file below root (NULL or "/" for the live system); caller frees. */
char	*hook_path(const char *root);

/* Write the hook (replacing one this tool wrote), naming binary as the command. */
int	hook_install(const char *root, const char *binary, struct err *e);

/* Remove the hook; not an error when there is none. Refuses a file it did not write. */
int	hook_remove(const char *root, struct err *e);

/* 1 when the hook is installed, 0 when not. */
int	hook_installed(const char *root);

#endif
