/* crash.c: stop dead, or wait, at a named step of apply and revert (test builds only). */
#include "crash.h"

#if CRASH_POINTS
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CRASH_PAUSE_LIMIT_MS	30000
#define CRASH_PAUSE_TICK_MS	10

static int
crash_named(const char *var, const char *name)
{
	const char *v = getenv(var);

	return v != NULL && strcmp(v, name) == 0;
}

/* Say we are here by creating the file, then wait for it to go. */
static void
crash_pause(void)
{
	const char *file = getenv("BUCARDO_AIVEN_PAUSE_FILE");
	struct timespec tick = { 0, CRASH_PAUSE_TICK_MS * 1000 * 1000 };
	int fd, ms;

	if (file == NULL || (fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		return;
	close(fd);
	for (ms = 0; ms < CRASH_PAUSE_LIMIT_MS && access(file, F_OK) == 0;
	    ms += CRASH_PAUSE_TICK_MS)
		nanosleep(&tick, NULL);
}

void
crash_point(const char *name)
{
	if (crash_named("BUCARDO_AIVEN_PAUSE_AT", name))
		crash_pause();
	if (!crash_named("BUCARDO_AIVEN_CRASH_AT", name))
		return;
	if (crash_named("BUCARDO_AIVEN_CRASH_MODE", "kill"))
		raise(SIGKILL);
	_exit(99);
}
#endif
