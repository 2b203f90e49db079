/*
 * world_kube.h: the world of a Kubernetes API server, as Kargo's own
 * external webhook server sees it. Objects come from list+watch caches of
 * Warehouses, ProjectConfigs, Promotions and ClusterConfigs (cluster-wide)
 * and of Secrets in the namespaces that hold receivers' Secrets; the
 * snapshot is rebuilt from them when they change (coalesced). A refresh is
 * a merge patch of the object's kargo.akuity.io/refresh annotation, sent
 * by a bounded pool of threads that coalesce concurrent pushes to the same
 * object; the delivery is then written to the local journal (journal.h).
 */
#ifndef WORLD_KUBE_H
#define WORLD_KUBE_H

#include <stdbool.h>
#include <stddef.h>

#include "kube.h"
#include "snapshot.h"

struct world;
struct kw_err;
struct obj_set;
struct diag_list;

struct world_kube_options {
	const struct kube_config *config;
	struct kube_client_options client;
	struct snapshot_options snap;
	const char *state_path;       /* the delivery journal */
	size_t deliveries_keep;
	size_t queue_max;             /* jobs waiting for patches before KW_EBUSY */
	bool sync_normal;
	unsigned patch_workers;       /* 0: 8 */
	double rebuild_interval;      /* seconds between rebuilds; 0: 0.15 */
};

/*
 * Connects (the caches start listing in the background: until they have,
 * snapshot() is NULL and ready() false), opens the journal, starts the
 * patch workers. KW_EINVAL or KW_EIO with err, KW_ENOMEM. The options'
 * strings must outlive the world.
 */
int world_kube_new(struct world **out, const struct world_kube_options *opts,
	struct kw_err *err);

/*
 * Reads every object once (the read-only commands): lists the four Kargo
 * collections and the Secrets of the receivers' namespaces (one GET per
 * referenced Secret where listing them is forbidden). keep_objects keeps
 * each Warehouse's and Promotion's JSON (for `get`). Objects that are not
 * valid are left out and reported in dl (errors). KW_EIO with err when
 * the API server fails, KW_ENOMEM.
 */
int world_kube_load(struct obj_set **out, const struct world_kube_options *opts,
	bool keep_objects, struct diag_list *dl, struct kw_err *err);

#endif
