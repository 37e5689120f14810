/* crash.h: named stop points for the reliability tests; nothing at all in release builds. */
#ifndef CRASH_H
#define CRASH_H

#include "config.h"

/*
 * Test builds only (meson -Dcrash_points=true). When BUCARDO_AIVEN_CRASH_AT
 * names this point, stop dead: _exit(99), or raise(SIGKILL) when
 * BUCARDO_AIVEN_CRASH_MODE is "kill", as an outside kill would. When
 * BUCARDO_AIVEN_PAUSE_AT names it, create BUCARDO_AIVEN_PAUSE_FILE and wait
 * until someone removes it (30 s at most), so a test can act at that point.
 * Release builds compile every call to nothing.
 */
#if CRASH_POINTS
void	crash_point(const char *name);
#else
static inline void
crash_point(const char *name)
{
	(void)name;
}
#endif

#endif
