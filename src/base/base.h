/* base/base.h: the base layer: buffers, error messages, escaping, crash points for the tests. The one header other layers include. */
#ifndef BASE_LAYER_H
#define BASE_LAYER_H

#include "buf.h"
#include "crash.h"
#include "errmsg.h"
#include "esc.h"

#endif
