/* buf.h: a growable byte buffer that owns its memory. */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char	*data;	/* always NUL-terminated when len > 0 or after any append */
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Append len bytes; returns 0, or -1 with errno set (ENOMEM). */
int	buf_append(struct buf *b, const void *data, size_t len);
int	buf_puts(struct buf *b, const char *s);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Read fd to its end, appending to b. Refuses (errno EFBIG) once more than
 * limit bytes would be held, so a hostile file cannot exhaust memory.
 */
int	buf_read_fd(struct buf *b, int fd, size_t limit);

/*
 * A new string formatted as printf does, which the caller frees; NULL when
 * memory runs out (or the format fails). For messages built in one go.
 */
char	*str_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Hand the data to the caller (who must free() it) and reset b. */
char	*buf_detach(struct buf *b, size_t *len);
void	buf_reset(struct buf *b);
void	buf_release(struct buf *b);

#endif
