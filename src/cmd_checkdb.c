/* cmd_checkdb.c: check-db, from the command line to the checkdb module. */
#include <string.h>

#include "checkdb.h"
#include "commands.h"
#include "run.h"

int
cmd_check_db(struct options *o)
{
	struct checkdb_options c;

	if (o->nfiles == 0) {
		run_complain("check-db needs at least one CONNINFO (e.g. 'host=... dbname=... user=...' "
		    "or postgres://user@host/db)");
		return EXIT_USAGE;
	}
	memset(&c, 0, sizeof(c));
	c.conninfos = o->files;
	c.nconninfos = o->nfiles;
	c.function = o->function;
	c.bucardo_db = o->bucardo_db;
	c.json = o->json;
	c.quiet = o->quiet;
	c.verbose = o->verbose;
	c.connect_timeout = 10;
	return checkdb_run(&c);
}
