/* commands.h: one function per command; each returns the exit status. */
#ifndef COMMANDS_H
#define COMMANDS_H

#include "options.h"

int	cmd_status(struct options *o);
int	cmd_apply(struct options *o);
int	cmd_revert(struct options *o);
int	cmd_history(struct options *o);
int	cmd_check_db(struct options *o);
int	cmd_hook(struct options *o);

#endif
