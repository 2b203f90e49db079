/*
 * dirwalk.h: which files a set of manifest paths names, the one walk that
 * both the loader (manifest_load.c) and the manifest watcher
 * (world_embedded.c) take, so that every file read is watched and nothing
 * else is. Folders are read like `kubectl apply -f`: files ending in
 * .yaml, .yml or .json, in sorted order, recursively; entries whose names
 * start with "." are skipped (such as the ..data links of a mounted
 * ConfigMap); a file or folder reached twice (same device and inode,
 * through symbolic links) is visited once; folders deeper than
 * DIRWALK_MAX_DEPTH below a named path are not entered (reported). A path
 * named by the caller is visited whatever its name.
 */
#ifndef DIRWALK_H
#define DIRWALK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#define DIRWALK_MAX_DEPTH 32        /* folders below a named path */
#define DIRWALK_MAX_ENTRIES 100000  /* per folder */

struct dirwalk_visitor {
	/* A file to read; false stops the walk. */
	bool (*file)(void *ctx, const char *path, const struct stat *st, bool named);
	/* A path that could not be walked: err is an errno value, or 0 with
	 * msg saying why (too deep, too many entries, not a file or folder). */
	void (*problem)(void *ctx, const char *path, int err, const char *msg);
	void *ctx;
};

/* Walks paths[0..n) in order. KW_OK, or KW_ENOMEM. */
int dirwalk(const char *const *paths, size_t n, const struct dirwalk_visitor *v);

/* Whether a file found in a folder is a manifest by its name. */
bool dirwalk_is_manifest(const char *name);

#endif
