/* store.h: the backup store: a git repository of every original and change, plus gzip copies. */
#ifndef STORE_H
#define STORE_H

#include <stddef.h>
#include <time.h>

#include "base/base.h"
#include "host/host.h"
#include "statedir.h"

/*
 * Layout of a state directory (default /var/lib/bucardo-aiven):
 *   lock                      flock(2) target; one run at a time
 *   store.git/                bare git repository, one commit per apply or revert
 *   originals/PATH.ID.gz      gzip copy of each original, ID its git blob id;
 *                             restore with: zcat FILE.gz > PATH (below the root)
 *
 * Files are named by their path inside the root, links resolved (struct
 * target's inner, atomic.h): under --root DIR that is the path the tree
 * has once booted, not the host's DIR/... path. The parameters called
 * real_path below are that path. The store's tree mirrors what the tool
 * knows of each file, by that path without the leading slash:
 *   original/usr/share/perl5/Bucardo.pm   the bytes to put back on revert
 *   written/usr/share/perl5/Bucardo.pm    the bytes the tool last wrote
 * Commit messages carry "Key: value" trailers (Action, Path, Bucardo-Version,
 * Tool-Version, Function, Before, After) so `git --git-dir=... log` reads well.
 */

struct store;

enum store_mode {
	STORE_READ,	/* history, revert lookups; the directory must exist */
	STORE_WRITE	/* apply, revert; creates the directory 0700 if missing */
};

/*
 * Open the state directory inner, found in root (statedir_open: created in
 * STORE_WRITE mode, and refused when anybody else could change it); take
 * an exclusive lock on STATE/lock (waiting up to lock_timeout_sec, then
 * failing with a message naming the holder's pid). In write mode, remove
 * the git lock files (store.git/HEAD.lock, refs/heads/main.lock) a run
 * killed mid-commit left, and make store.git a bare repository if it is
 * not one (by hand: HEAD, config, objects/, refs/); libgit2 is loaded when
 * first needed (store_preload). In read mode, load libgit2 and open
 * store.git now, failing with errno ENOENT when there is no store yet.
 */
int	store_open(struct store **out, struct fsroot *root, const char *inner,
	    enum store_mode mode, unsigned lock_timeout_sec, struct err *e);
void	store_close(struct store *s);

/*
 * Start loading libgit2 in a thread of its own (git2_preload), so that its
 * start-up runs beside the caller's work: reading, rewriting, staging and
 * keeping the original need no libgit2. Called once the caller knows it
 * will write, at the point where the second core is free; otherwise the
 * first function that needs libgit2 loads it in line.
 */
void	store_preload(struct store *s);

/*
 * Wait for libgit2 and open store.git, which every function below but
 * store_keep_original, store_kept_originals, store_read_kept and
 * store_blob_id does on its own: called first, it tells "the store cannot
 * be used" apart from a failure to write to it.
 */
int	store_ready(struct store *s, struct err *e);

/* The state directory of an open store (borrowed). */
const struct statedir	*store_statedir(const struct store *s);

/*
 * Keep the original of real_path before it is replaced: write it as a git
 * blob and as originals/PATH.ID.gz (atomic_write_at, never replacing: an
 * existing copy with that id is verified instead); temporary gzip files a
 * killed run left beside it are removed first. id receives the blob id.
 * Hashed and compressed once for both, and needs no libgit2. Both are
 * durable once store_sync() returns: the caller calls it before the file
 * is replaced.
 */
int	store_keep_original(struct store *s, const char *real_path,
	    const void *data, size_t len, char id[41], struct err *e);

struct store_kept {
	char		 id[41];	/* the blob id in the file's name */
	struct timespec	 mtime;
};

/*
 * The gzip copies kept for real_path under STATE/originals/, newest first.
 * Reads only the directory: no libgit2, no lock. *list is NULL and *n 0
 * when there are none (sd->fd -1: no state directory); the caller frees
 * *list.
 */
int	store_kept_originals(const struct statedir *sd, const char *real_path,
	    struct store_kept **list, size_t *n, struct err *e);

/*
 * Append the bytes of the gzip copy originals/PATH.ID.gz to out, after
 * checking that they hash to ID: a copy damaged or misnamed is refused.
 */
int	store_read_kept(struct store *s, const char *real_path, const char *id,
	    struct buf *out, struct err *e);

struct store_record {
	const char	*action;	/* "apply" or "revert" */
	const char	*path;		/* the file's path inside the root, links resolved */
	const char	*bucardo_version;	/* may be NULL */
	const char	*function;	/* may be NULL (revert) */
	const void	*before;	/* content before the action */
	size_t		 before_len;
	const void	*after;		/* content after the action */
	size_t		 after_len;
	int		 after_is_original;	/* revert: "written/" entry is removed */
	const void	*original;	/* apply: the original to keep, when it is not
					   before (a hand edit's reconstruction); or NULL */
	size_t		 original_len;
	const char	*original_note;	/* how that original was found, or NULL */
	int		 original_verified;	/* with original_note: 1 when a package
						   manager confirmed it, 0 when not */
	const char	*kept_id;	/* the id store_keep_original returned for the
					   original (original, or before when that is
					   NULL), so that it is not hashed again; or NULL */
};

/*
 * Record one action as one commit on the branch HEAD names (main); before
 * and after are kept as blobs too, so `git show ID` prints either. An apply
 * sets written/PATH to after and original/PATH to before (or to r->original
 * when given, with an "Original:" trailer saying how it was found), except
 * when before is what the tool itself last wrote (re-applying over its own
 * output): then the recorded original stays. A revert (after_is_original)
 * removes written/PATH and keeps original/PATH (recording after as the
 * original only when there was none). Entries of other files are left as
 * they are. store_commit is store_prepare, store_sync and store_publish:
 * the commit is durable when it returns.
 */
int	store_commit(struct store *s, const struct store_record *r, struct err *e);

/*
 * The two halves of store_commit, for a caller that writes the commit's
 * objects before it replaces the file (while perl -c runs), so that one
 * store_sync() makes them durable together with the kept original:
 * store_prepare writes the blobs, trees and the commit and moves nothing;
 * store_publish then points the branch at that commit, provided the branch
 * still points where it did, and syncs. Objects never published are left
 * unreferenced, harmless.
 */
int	store_prepare(struct store *s, const struct store_record *r, struct err *e);
int	store_publish(struct store *s, struct err *e);

/*
 * The store's barrier: everything written so far to the state directory's
 * file system reaches the disk (one syncfs).
 */
int	store_sync(struct store *s, struct err *e);

/*
 * What the store knows of real_path: the original to restore (its bytes,
 * appended to original, and its blob id) and the blob id of what the tool
 * last wrote ("" when none). Returns 1 when the store holds an original for
 * the path, 0 when it holds none, -1 on error. Any of the out-parameters
 * may be NULL.
 */
int	store_lookup(struct store *s, const char *real_path, struct buf *original,
	    char original_id[41], char written_id[41], struct err *e);

/*
 * Append the bytes the tool last wrote to real_path (written/PATH) to out.
 * Returns 1, 0 when the store records none, -1 on error.
 */
int	store_read_written(struct store *s, const char *real_path, struct buf *out,
	    struct err *e);

/* The git blob id of data (what `git hash-object` prints); needs no libgit2. */
int	store_blob_id(struct store *s, const void *data, size_t len, char id[41],
	    struct err *e);

struct store_event {
	time_t	 when;
	char	 commit[41];
	char	*action;
	char	*path;
	char	*bucardo_version;	/* NULL when not recorded */
	char	*tool_version;
	char	*function;		/* NULL when not recorded */
	char	 before[41];
	char	 after[41];
	char	*original_note;		/* "Original:" trailer, or NULL */
	int	 original_verified;	/* "Original-Verified:": 1 yes, 0 no, -1 absent */
};

/*
 * Every recorded action, newest first, optionally only those for real_path.
 * Commits without Action and Path trailers (made by hand) are left out.
 * The caller frees the list with store_events_free().
 */
int	store_history(struct store *s, const char *real_path,
	    struct store_event **events, size_t *n, struct err *e);
void	store_events_free(struct store_event *events, size_t n);

#endif
