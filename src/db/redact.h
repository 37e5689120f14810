/* redact.h: the secrets a libpq connection string holds, and hiding them in any text. */
#ifndef REDACT_H
#define REDACT_H

#include <stddef.h>

#include "base/base.h"

/* What a secret is replaced with. */
#define REDACT_HIDDEN	"(hidden)"

/* A set of secrets; each is at least one byte long and owned by the set. */
struct redact {
	char	**secrets;
	size_t	 nsecrets;
};

#define REDACT_INIT { NULL, 0 }

/*
 * Add every secret conninfo holds, whatever its form, without libpq:
 * keyword/value strings (spaces around '=', single-quoted values with
 * backslash escapes, keywords in any case), postgresql:// and postgres://
 * URIs with the scheme in any case (user:password@, several hosts, query
 * parameters whose keys and values may be percent-encoded), and a value
 * that is itself a conninfo or URI (dbname=...), to a few levels. A secret
 * is the value of a keyword naming a password or secret (password,
 * sslpassword, ...), or of a URI query key that cannot be decoded. Each is
 * added as written, unescaped and percent-decoded; a URI password also as
 * read up to the last '@' and cut into its pieces at '@' and '/', since
 * libpq reads such a URI differently from what its writer meant and may
 * quote the pieces back. Returns 0, or -1 with errno ENOMEM.
 */
int	redact_add_conninfo(struct redact *r, const char *conninfo);

/* Add the len bytes at s as one secret (copied); nothing when len is 0. 0 or -1. */
int	redact_add_secret(struct redact *r, const char *s, size_t len);

/*
 * Append text to out with every byte that belongs to an occurrence of a
 * secret (ASCII case ignored; overlapping and adjacent occurrences merge)
 * replaced by one REDACT_HIDDEN per run. A prefix of a secret at least 3
 * bytes long (or the whole secret) is hidden as well where it ends the text
 * or stands just before a quote: the server truncates the names it quotes
 * (63 bytes). The text is scanned once, so what is inserted is never
 * matched again. Returns 0, or -1 with errno ENOMEM.
 */
int	redact_scrub_buf(struct buf *out, const struct redact *r, const char *text);

/* text scrubbed as above, for the caller to free(); NULL for NULL text or ENOMEM. */
char	*redact_scrub(const struct redact *r, const char *text);

/*
 * Replace the string *s (allocated with malloc, or NULL) by its scrubbed
 * copy, freeing the old one. Returns 0, or -1 (ENOMEM) after setting *s to
 * NULL: a string that cannot be scrubbed is not kept.
 */
int	redact_scrub_in_place(const struct redact *r, char **s);

/*
 * Whether a string that cannot be parsed may hold a secret: it names a
 * password or secret, holds a '%' (a percent-encoded key), or has "://"
 * followed by an '@'. What may hold one must not be echoed.
 */
int	redact_may_hold_secret(const char *s);

/* Whether a conninfo keyword names a secret (password, sslpassword, ...). */
int	redact_is_secret_keyword(const char *keyword, size_t len);

/*
 * The length of a postgresql:// or postgres:// prefix of s, the scheme
 * compared in any case (exact: only as libpq does, in lower case), or 0.
 */
size_t	redact_uri_prefix(const char *s, int exact);

void	redact_release(struct redact *r);

#endif
