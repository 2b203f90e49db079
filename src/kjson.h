/*
 * kjson.h: a YAML node of a manifest into JSON as kubectl would print it:
 * keys sorted, << merges applied, numbers as Go's encoding/json writes
 * them, under the document's budget of nodes and bytes (a few aliases can
 * stand for billions of nodes). Objects are decoded only after they
 * converted, so typed decoding never walks more than this did.
 */
#ifndef KJSON_H
#define KJSON_H

#include <cjson/cJSON.h>

#include "ydoc.h"

/* Converts object n: KW_OK with *out (the caller's, cJSON_Delete), KW_EINVAL
 * when errors were reported, KW_ETOOBIG when the budget or the depth ran
 * out (or memory: d->oom), which must stop any further walk of n. */
int kjson_convert(struct ydoc *d, const yaml_node_t *n, cJSON **out);

#endif
