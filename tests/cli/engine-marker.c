/*
 * engine-marker.c: a shared object that proves it was loaded. Its
 * constructor creates the file named by BA_ENGINE_MARKER. tests/cli/check-db.sh
 * names it as OpenSSL's engine in an sslkey a control database stores
 * ("PATH:key"): libpq would have OpenSSL dlopen it, as root, if check-db
 * passed that setting on.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void
engine_marker_loaded(void)
{
	const char *marker = getenv("BA_ENGINE_MARKER");
	int fd;

	if (marker != NULL && (fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
}
