/* locate.h: finding subs and string literals in Perl source by pattern, never by line number. */
#ifndef LOCATE_H
#define LOCATE_H

#include <stddef.h>

#include "base/base.h"

struct span {
	size_t	start;
	size_t	end;	/* one past the last byte */
};

/* A `sub NAME` line in code: where it starts and where its name is. */
struct sub_line {
	size_t	start;
	size_t	name;
	size_t	name_len;
	int	declaration;	/* `sub NAME;`: no body */
};

struct perl_source {
	const char	*text;
	size_t		 len;
	size_t		 code_end;	/* offset of __END__/__DATA__, or len */
	struct span	*pods;		/* POD blocks, in order */
	size_t		 npods;
	struct sub_line	*subs;		/* every `sub NAME` line in code, in order */
	size_t		 nsubs;
	size_t		 version;	/* offset of `our $VERSION`'s value in code,
					   or SIZE_MAX when there is none */
	size_t		 version_len;
	struct err	 why;		/* why locate_source failed */
};

/*
 * Prepare src over text (len bytes, borrowed for the life of src): map its
 * POD blocks once (every search asks whether a match is in POD), find
 * where code ends, list its sub lines (one scan of the file, however many
 * subs are looked for) and find its $VERSION. Returns 0, or -1 when memory
 * runs out or PCRE2 fails: src->why then says which, and src holds nothing
 * to release. Release with locate_source_release.
 */
int	locate_source(struct perl_source *src, const char *text, size_t len);
void	locate_source_release(struct perl_source *src);

/*
 * Find `sub NAME` in code (not in POD, not after __END__). Sets *count to the
 * number of definitions found and body to the first one's body: from its
 * `sub` line to the `}` that closes it at the start of a line.
 * Returns 0, or -1 with e set when a definition is found but never closed
 * (a file cut off), when name is not a Perl identifier of at most 128
 * bytes (it could not be searched for exactly), or when PCRE2 fails
 * looking for the end (its message, and the sub).
 */
int	locate_sub(const struct perl_source *src, const char *name, struct span *body,
	    unsigned *count, struct err *e);

enum literal_kind {
	LITERAL_SINGLE,		/* '...' */
	LITERAL_DOUBLE,		/* "..." */
	LITERAL_Q,		/* q{...} q(...) q[...] q<...> q/.../ */
	LITERAL_QQ		/* qq{...} and friends */
};

struct perl_literal {
	enum literal_kind kind;
	size_t	start;		/* the opening q, ' or " */
	size_t	body_start;	/* first byte inside the delimiters */
	size_t	body_end;	/* the closing delimiter */
	char	open;
	char	close;
};

/*
 * The code blocks that enclose the literal lit inside the sub whose body is
 * body, outermost first, as their headers with comments dropped and blanks
 * folded, joined by " / " (for example "if ($x) / for my $db (@list)").
 * The sub's own block is left out; an empty chain means lit is directly in
 * the sub. Subscripts, dereferences and anonymous hashes are not blocks.
 * statement gets the statement lit is part of, folded the same way, with
 * lit written as STRING (for example "$dbh->do(STRING);").
 * Both buffers are reset and owned by the caller. Returns 0, or -1 with e set when
 * a literal is not closed or memory runs out.
 */
int	locate_enclosing(const struct perl_source *src, const struct span *body,
	    const struct perl_literal *lit, struct buf *chain, struct buf *statement,
	    struct err *e);

/*
 * Find the next string literal at or after *cursor within limit, skipping
 * comments and POD. Returns 1 and advances *cursor past it, 0 when there is
 * none, -1 when a literal is not closed within limit (e set).
 */
int	locate_next_literal(const struct perl_source *src, size_t *cursor, size_t limit,
	    struct perl_literal *lit, struct err *e);

/* The literal's text as perl would see it (escapes undone). */
int	locate_literal_text(const struct perl_source *src, const struct perl_literal *lit,
	    struct buf *out);

/* Quote sql for a literal of lit's kind and delimiters (escapes added). */
int	locate_literal_quote(const struct perl_literal *lit, const char *sql, struct buf *out);

/*
 * The value of `our $VERSION = '...'` in code (the first outside POD), as
 * locate_source found it: a string the caller frees, or NULL when there is
 * none or memory runs out (then src->version is not SIZE_MAX).
 */
char	*locate_version(const struct perl_source *src);

/* 1-based line number of offset. */
unsigned	locate_line(const struct perl_source *src, size_t offset);

#endif
