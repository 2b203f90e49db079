/*
 * snapshot_build.h: the one path from loaded objects to a snapshot, taken
 * by serve (at start and on every reload, through world_embedded_load) and
 * by the commands that read the configuration (receivers, check): which
 * problems stop it, and one list holding every problem once, the loader's
 * and the snapshot's (receiver_find() splits the missing-Secret
 * reports between them).
 */
#ifndef SNAPSHOT_BUILD_H
#define SNAPSHOT_BUILD_H

#include <stdbool.h>

#include "snapshot.h"

struct diag_list;
struct obj_set;

/*
 * Builds the snapshot of objs (taken; may be NULL), whose loading returned
 * load_rc with its problems already in dl; the snapshot's problems are
 * added to dl. Objects with any error give no snapshot: KW_EINVAL (KW_ENOMEM
 * when loading ran out of memory). With check set, the snapshot is built
 * from the valid objects all the same, so that its own problems (broken
 * selections, a receiver URL that cannot be made) are reported too; it is
 * then freed and the status is KW_EINVAL when dl has errors. KW_OK with
 * *out set otherwise (the caller unrefs it).
 */
int snapshot_build(struct snapshot **out, struct obj_set *objs, int load_rc,
	const struct snapshot_options *so, bool check, struct diag_list *dl);

#endif
