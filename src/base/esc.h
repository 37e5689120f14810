/* esc.h: making text from outside safe to print, on a terminal and in JSON. */
#ifndef ESC_H
#define ESC_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"

/* Keep newlines, tabs and the CR of each CRLF (diffs, multi-line reports). */
#define ESC_MULTILINE	0x1u

/*
 * Append the len bytes at s (NULs included) to out, escaped. Every C0
 * control (0x00-0x1f), DEL, every C1 control written as UTF-8 (U+0080 to
 * U+009F), every bidirectional formatting character (U+061C, U+200E,
 * U+200F, U+202A-U+202E, U+2066-U+2069: UAX #9) and every byte that is not
 * part of valid UTF-8 is written as a visible escape: \n, \r and \t for
 * those three, \xHH (lower-case hex) for every other byte, so a C1 control
 * becomes \xc2\x9b and U+202E \xe2\x80\xae. Valid printable
 * UTF-8, backslashes included, is copied unchanged. With ESC_MULTILINE, \n
 * and \t are kept as they are, and \r too when a \n follows it. Returns 0,
 * or -1 with errno ENOMEM (out then holds a prefix of the result).
 */
int	esc_text(struct buf *out, const char *s, size_t len, unsigned flags);

/*
 * Format like fprintf, escape the whole result as esc_text does in one-line
 * mode except for one trailing newline, which is written as it is, and
 * write it to f. For format strings of our own, which hold no control
 * characters: every %s from outside then prints as one line. Returns 0, or
 * -1 when formatting, memory or the write fails (errno set).
 */
int	esc_fprintf(FILE *f, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Write s to f escaped as esc_text does with ESC_MULTILINE. Returns 0 or -1. */
int	esc_fputs_multiline(FILE *f, const char *s);

/*
 * Append to out the JSON text serialized (as json-c writes it: C0 controls
 * already \u00XX) with what json-c lets through inside string literals made
 * safe: DEL becomes \u007f, a C1 control \u0080 to \u009f, a bidirectional
 * formatting character its \uXXXX, each byte that is not part of valid
 * UTF-8 \ufffd. The result is valid JSON that decodes
 * to the same strings (invalid bytes to U+FFFD) and holds no raw control
 * byte. Text outside string literals is copied unchanged. Returns 0, or -1
 * with errno ENOMEM.
 */
int	esc_json(struct buf *out, const char *serialized);

#endif
