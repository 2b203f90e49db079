/*
 * generic.h: Kargo's generic webhook receiver (v1.11.2's
 * pkg/webhook/external/generic.go, generic_actions.go, list.go): a POST
 * runs each configured action (its whenExpression, then its target
 * selection criteria over the snapshot's Warehouses) and is answered with
 * one result per action. The configuration is decoded by
 * decode_generic.c; src/receivers/generic.c evaluates it and writes the
 * answer; handler.c submits the one refresh job and sends the answer.
 */
#ifndef GENERIC_H
#define GENERIC_H

#include <stdbool.h>
#include <stddef.h>

#include "kw.h"

struct header_lookup;
struct obj_generic;
struct snap_receiver;
struct snapshot;
struct strbuf;

/* Kubernetes' label key (an optional DNS subdomain prefix and '/', then a
 * name of at most 63 characters) and label value (empty, or at most 63
 * alphanumerics, '-', '_', '.' beginning and ending alphanumeric). */
bool generic_label_key_ok(const char *s);
bool generic_label_value_ok(const char *s, size_t len);

/* A request's evaluation: each action's result and the Warehouses it
 * selected, and the union of those to refresh. */
struct generic_plan;

/* What a request brings to the evaluation (borrowed). */
struct generic_request {
	const struct header_lookup *headers;
	const struct header_lookup *query; /* NULL: none */
	const char *body;
	size_t body_len;
};

/*
 * Evaluates r's actions (r->generic) against the snapshot s. KW_OK with
 * *out; KW_EINVAL when the body is not JSON, with err holding Kargo's
 * answer's message ("invalid request body: <Go's error>"); KW_ENOMEM.
 * Failures of expressions and selections are results, not errors.
 */
int generic_plan_new(struct generic_plan **out, const struct snapshot *s,
	const struct snap_receiver *r, const struct generic_request *req,
	struct kw_err *err);

/* The Warehouses to refresh, as indexes into snapshot_objects(s)->
 * warehouses, sorted and unique (borrowed from p). */
const size_t *generic_plan_targets(const struct generic_plan *p, size_t *n);

/*
 * Appends the answer's body, {"results":[...]} as Kargo's JSON encoder
 * writes it (with the newline), to sb. failed[i] (NULL: none) says the
 * i-th of generic_plan_targets could not be refreshed. *status is 500
 * when a result is Error, Failure or PartialSuccess, else 200.
 */
int generic_plan_answer(struct strbuf *sb, int *status,
	const struct generic_plan *p, const bool *failed);

void generic_plan_free(struct generic_plan *p);

#endif
