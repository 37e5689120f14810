/* errmsg.h: the one-line reason a module leaves for its caller when it fails. */
#ifndef ERRMSG_H
#define ERRMSG_H

/*
 * The layers below cli/ never print (tests/layout/layers.py checks it) and
 * never exit (but for a forked child's _exit and the reliability build's
 * crash points): they fill a struct err with "PATH: what is wrong and what
 * to do" and return -1. cli/ decides whether the message goes to stderr
 * (run_complain), into the JSON document, or both.
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
/* Append "; " and the advice (printf-style) to the message in e; what does not fit is cut off. */
void	err_hint(struct err *e, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
