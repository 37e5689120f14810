/* errmsg.c: building the one-line failure reasons of struct err. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"

static void
err_vset(struct err *e, const char *path, const char *fmt, va_list ap)
{
	size_t n = 0;

	if (path != NULL)
		n = (size_t)snprintf(e->msg, sizeof(e->msg), "%s: ", path);
	if (n >= sizeof(e->msg))
		n = sizeof(e->msg) - 1;
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
}

int
err_set(struct err *e, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, path, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_sys(struct err *e, const char *path, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	err_vset(e, path, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof(e->msg) - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

void
err_hint(struct err *e, const char *fmt, ...)
{
	size_t n = strlen(e->msg);
	va_list ap;

	if (n + 2 >= sizeof(e->msg))
		return;
	e->msg[n++] = ';';
	e->msg[n++] = ' ';
	e->msg[n] = '\0';
	va_start(ap, fmt);
	vsnprintf(e->msg + n, sizeof(e->msg) - n, fmt, ap);
	va_end(ap);
}
