/* engine/engine.h: the engine: rules, finding the statements, rewriting them, reading SQL calls, check-db verdicts; pure functions on buffers. The one header other layers include. */
#ifndef ENGINE_LAYER_H
#define ENGINE_LAYER_H

#include "judge.h"
#include "locate.h"
#include "rewrite.h"
#include "rules.h"
#include "sqlcall.h"

#endif
