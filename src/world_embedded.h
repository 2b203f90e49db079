/*
 * world_embedded.h: the world of manifest files and a local SQLite state
 * database. Snapshots are built from the manifests (and rebuilt on reload,
 * or when a manifest file changes if watching); refreshes are rows written
 * with their delivery by the delivery journal (journal.h: one writer
 * thread, group commit), so durability does not cap throughput.
 */
#ifndef WORLD_EMBEDDED_H
#define WORLD_EMBEDDED_H

#include <stdbool.h>
#include <stddef.h>

#include "snapshot.h"

struct world;
struct diag_list;
struct kw_err;

struct world_embedded_options {
	const char *const *manifest_paths;
	size_t n_manifest_paths;
	const char *state_path;
	struct snapshot_options snap;
	size_t deliveries_keep; /* delivery log retention, in rows */
	size_t queue_max;       /* pending jobs before KW_EBUSY */
	bool watch;             /* reload when a manifest file changes */
	bool sync_normal;       /* commits not synced to disk (see store_set_sync) */
};

/*
 * Loads the manifests, opens the state database and starts the writer
 * (and watcher) threads. Problems found in the manifests go to dl.
 * KW_EINVAL when the manifests have errors, KW_EIO (with err) when the
 * state database cannot be opened, KW_ENOMEM. The options' strings must
 * outlive the world.
 */
int world_embedded_new(struct world **out,
	const struct world_embedded_options *opts, struct diag_list *dl,
	struct kw_err *err);

/*
 * Loads manifests and builds a snapshot (what world_embedded_new and every
 * reload do, also used by the read-only commands). KW_EINVAL when the
 * manifests have errors (*out is NULL), KW_ENOMEM.
 */
int world_embedded_load(struct snapshot **out,
	const struct world_embedded_options *opts, struct diag_list *dl);

#endif
