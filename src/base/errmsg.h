/* errmsg.h: the one-line reason a module leaves for its caller when it fails. */
#ifndef ERRMSG_H
#define ERRMSG_H

/*
 * Modules never print and never exit: they fill a struct err with
 * "PATH: what is wrong and what to do" and return -1. cli.c decides whether
 * the message goes to stderr, into the JSON document, or both.
 */
struct err {
	char	msg[1024];
};

#define ERR_INIT { { 0 } }

/* Set the message ("PATH: reason", or just the reason when path is NULL); returns -1. */
int	err_set(struct err *e, const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* As err_set, followed by ": " and strerror(errno) as it was on entry; returns -1. */
int	err_sys(struct err *e, const char *path, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Append " (hint)" style advice to an existing message. */
void	err_hint(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
