/*
 * snapshot_build.c: loaded objects to a snapshot, with the rule on which
 * problems stop it (snapshot_build.h).
 */
#include "snapshot_build.h"

#include "diag.h"
#include "kw.h"
#include "objects.h"

int snapshot_build(struct snapshot **out, struct obj_set *objs, int load_rc,
	const struct snapshot_options *so, bool check, struct diag_list *dl)
{
	int rc;

	*out = NULL;
	if (load_rc == KW_ENOMEM || (!check && (load_rc != KW_OK || dl->n_errors > 0))) {
		objects_free_set(objs);
		return load_rc == KW_ENOMEM ? KW_ENOMEM : KW_EINVAL;
	}
	if (objs == NULL)
		return KW_EINVAL;
	rc = snapshot_new(out, objs, so, dl);
	if (rc == KW_OK && (load_rc != KW_OK || dl->n_errors > 0)) {
		snapshot_unref(*out);
		*out = NULL;
		rc = KW_EINVAL;
	}
	return rc;
}
