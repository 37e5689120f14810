/* db/db.h: the databases: check-db's probes, Bucardo's control database, loading libpq. The one header other layers include. */
#ifndef DB_LAYER_H
#define DB_LAYER_H

#include "bucardodb.h"
#include "checkdb.h"
#include "pqlazy.h"
#include "redact.h"

#endif
