/* host/host.h: the host: the file system through directory descriptors and the trust rule, processes, perl, discovery, a running Bucardo, the apt hook, package managers' records. The one header other layers include. */
#ifndef HOST_LAYER_H
#define HOST_LAYER_H

#include "atomic.h"
#include "child.h"
#include "discover.h"
#include "fsroot.h"
#include "hook.h"
#include "perl.h"
#include "pkgdb.h"
#include "rulesdir.h"
#include "running.h"
#include "trust.h"
#include "verify.h"

#endif
