/* git2lazy.h: libgit2, loaded only when the backup store or a diff is really used. */
#ifndef GIT2LAZY_H
#define GIT2LAZY_H

#include <pthread.h>

#include <git2.h>

#include "base/base.h"

/*
 * Linking libgit2 costs every run about 5 ms of start-up (it pulls in a
 * TLS stack, libssh2 and GSSAPI); the already-patched path must not pay it.
 * The table holds pointers of exactly libgit2's declared types, so a call
 * through it is checked by the compiler like a direct call.
 */
#define GIT2_FUNCTIONS(X) \
	X(git_libgit2_init) \
	X(git_libgit2_shutdown) \
	X(git_libgit2_version) \
	X(git_libgit2_opts) \
	X(git_error_last) \
	X(git_repository_open_bare) \
	X(git_repository_free) \
	X(git_oid_tostr) \
	X(git_oid_equal) \
	X(git_oid_fromraw) \
	X(git_reference_name_to_id) \
	X(git_reference_lookup) \
	X(git_reference_type) \
	X(git_reference_symbolic_target) \
	X(git_reference_free) \
	X(git_commit_lookup) \
	X(git_commit_free) \
	X(git_commit_tree) \
	X(git_commit_message) \
	X(git_commit_time) \
	X(git_commit_create) \
	X(git_tree_lookup) \
	X(git_tree_free) \
	X(git_tree_create_updated) \
	X(git_tree_entry_bypath) \
	X(git_tree_entry_free) \
	X(git_tree_entry_id) \
	X(git_tree_entry_type) \
	X(git_blob_lookup) \
	X(git_blob_rawcontent) \
	X(git_blob_rawsize) \
	X(git_blob_free) \
	X(git_signature_now) \
	X(git_signature_free) \
	X(git_revwalk_new) \
	X(git_revwalk_free) \
	X(git_revwalk_push) \
	X(git_revwalk_sorting) \
	X(git_revwalk_next) \
	X(git_diff_options_init) \
	X(git_patch_from_buffers) \
	X(git_patch_to_buf) \
	X(git_patch_free) \
	X(git_buf_dispose)

struct git2_api {
#define GIT2_POINTER(name) __typeof__(name) *name;
	GIT2_FUNCTIONS(GIT2_POINTER)
#undef GIT2_POINTER
};

/*
 * Load libgit2 and initialise it on first use; later calls return the same
 * table. NULL (with e set) when the library cannot be loaded; a failure is
 * remembered, not retried. Safe from any thread: a caller arriving while
 * another thread loads waits for it.
 */
const struct git2_api	*git2_load(struct err *e);

/*
 * Start git2_load() in a new thread (the caller joins it), so that
 * libgit2's start-up (some twenty libraries mapped and relocated, then
 * mbedTLS parsing the CA bundle: about 65 M instructions) runs beside the
 * caller's own work. -1 when no thread could be started: git2_load() then
 * loads in line.
 */
int			 git2_preload(pthread_t *thread);

/* libgit2's last error message, or "unknown libgit2 error". */
const char		*git2_message(const struct git2_api *g);

#endif
