/*
 * crosscheck.h: the checks a manifest set needs across its objects, once
 * every file is read: one object per kind, namespace and name (the first
 * read is kept, the others reported and dropped), the ClusterConfig's
 * Secrets namespace, and the Secret of each receiver the snapshot does not
 * serve (a warning: the Secret may be created apart from these files; the
 * snapshot reports the served receivers' own).
 */
#ifndef CROSSCHECK_H
#define CROSSCHECK_H

#include "diag.h"
#include "objects.h"

/* Sets the ClusterConfig's namespace to system_ns, drops duplicates and
 * checks receivers' Secrets, reporting to dl. KW_OK or KW_ENOMEM. */
int crosscheck_set(struct obj_set *set, struct diag_list *dl, const char *system_ns);

#endif
