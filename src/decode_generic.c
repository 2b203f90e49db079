/*
 * decode_generic.c: a generic receiver's configuration (ProjectConfig
 * spec.webhookReceivers[].generic) into struct obj_generic, with what
 * Kargo's CRD (api/v1alpha1/project_config_types.go) and admission webhook
 * (pkg/webhook/kubernetes/external/validation.go) refuse reported as
 * errors: an action other than Refresh, a target kind other than
 * Warehouse, an index key other than subscribedURLs or receiverPaths,
 * empty lists where the CRD wants one item, a target with neither name
 * nor selector. Every expression and template is compiled here, so a bad
 * one is an error at its own line (Kargo would answer Error to every
 * request); so is a label selector that can never be built.
 */
#include "decode.h"

#include "expr.h"
#include "generic.h"
#include "kw.h"
#include "yread.h"

#include <stdlib.h>
#include <string.h>

/* Enough for compiling any one expression of MANIFEST_MAX_STRING bytes. */
#define COMPILE_ARENA (8u * 1024 * 1024)

/* Reports a compile problem at the expression's node. */
static void compile_error(struct ydoc *d, const yaml_node_t *at,
	const char *what, size_t col, const struct kw_err *err)
{
	ydoc_error(d, at, "%s: %s (column %zu)", what, err->msg, col);
}

static void check_when(struct ydoc *d, const char *src, const yaml_node_t *at)
{
	struct expr_arena arena;
	struct expr_program *p;
	struct kw_err err;
	size_t col = 0;
	size_t old = keypath_str(&d->kp, "whenExpression");
	int rc;

	expr_arena_init(&arena, COMPILE_ARENA);
	rc = expr_compile(&p, &arena, src, strlen(src), false, &col, &err);
	if (rc == KW_ENOMEM)
		d->oom = true;
	else if (rc != KW_OK)
		compile_error(d, at, "expression", col, &err);
	expr_arena_free(&arena);
	keypath_pop(&d->kp, old);
}

/* A template at the current key path. */
static bool check_template(struct ydoc *d, const char *tpl, const yaml_node_t *at)
{
	struct kw_err err;
	size_t col = 0;

	if (expr_template_check(tpl, strlen(tpl), &col, &err) == KW_OK)
		return true;
	compile_error(d, at, "template", col, &err);
	return false;
}

/* A value with no template is checked now as a label value. */
static void check_label_value(struct ydoc *d, const char *v, const yaml_node_t *at)
{
	if (check_template(d, v, at) && strstr(v, "${") == NULL &&
	    !generic_label_value_ok(v, strlen(v)))
		ydoc_error(d, at, "\"%s\" is not a valid label value (at most 63 "
			"characters: A-Z, a-z, 0-9, '-', '_', '.', beginning and ending "
			"alphanumeric)", v);
}

static void match_labels(struct ydoc *d, const yaml_node_t *sel,
	struct obj_generic_target *t)
{
	const yaml_node_t *m = ydoc_map_get(d, sel, "matchLabels");
	size_t old;

	yread_string_map(d, sel, "matchLabels", &t->match_labels, &t->n_match_labels);
	if (t->n_match_labels == 0)
		return;
	old = keypath_str(&d->kp, "matchLabels");
	for (size_t i = 0; i < t->n_match_labels; i++) {
		const char *k = t->match_labels[2 * i];
		size_t o = keypath_str(&d->kp, k);
		const yaml_node_t *v = ydoc_map_get(d, m, k);

		if (!generic_label_key_ok(k))
			ydoc_error(d, v, "\"%s\" is not a valid label key", k);
		check_label_value(d, t->match_labels[2 * i + 1], v);
		keypath_pop(&d->kp, o);
	}
	keypath_pop(&d->kp, old);
}

/* metav1.LabelSelectorAsSelector's rules for one requirement. */
static void label_req(struct ydoc *d, const yaml_node_t *item,
	struct obj_label_req *q)
{
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist" };
	const yaml_node_t *op_at, *values = NULL;
	size_t k;

	if (!yread_expect_mapping(d, item))
		return;
	yread_string(d, item, "key", YREAD_REQUIRED, &q->key, NULL);
	yread_string(d, item, "operator", YREAD_REQUIRED, &q->op, &op_at);
	yread_strings(d, item, "values", &q->values, &q->n_values);
	if (q->key != NULL && !generic_label_key_ok(q->key))
		ydoc_error(d, ydoc_map_get(d, item, "key"), "\"%s\" is not a valid "
			"label key", q->key);
	if (q->op == NULL)
		return;
	for (k = 0; k < KW_ARRAY_LEN(ops) && strcmp(q->op, ops[k]) != 0; k++)
		;
	if (k == KW_ARRAY_LEN(ops))
		ydoc_error(d, op_at, "\"%s\" is not a valid label selector operator "
			"(In, NotIn, Exists, DoesNotExist)", q->op);
	else if (k < 2 && q->n_values == 0)
		ydoc_error(d, op_at, "%s needs at least one value", q->op);
	else if (k >= 2 && q->n_values > 0)
		ydoc_error(d, op_at, "%s takes no values", q->op);
	if (k < 2 && (values = ydoc_map_get(d, item, "values")) != NULL) {
		size_t old = keypath_str(&d->kp, "values");

		for (size_t i = 0; i < q->n_values && i < ydoc_list_len(values); i++) {
			size_t o = keypath_index(&d->kp, i);

			check_label_value(d, q->values[i],
				ydoc_node(d, values->data.sequence.items.start[i]));
			keypath_pop(&d->kp, o);
		}
		keypath_pop(&d->kp, old);
	}
}

/* Reads list key of m: each item by fn into a new array of size-byte
 * elements. *n counts the items; absent leaves it 0. An empty list is
 * refused (the CRD's minItems: 1). */
static void *read_list(struct ydoc *d, const yaml_node_t *m, const char *key,
	size_t size, size_t *n, const char *what,
	void (*fn)(struct ydoc *, const yaml_node_t *, void *))
{
	const yaml_node_t *list;
	size_t len, old;
	char *v;

	if (!yread_node(d, m, key, YAML_SEQUENCE_NODE, 0, &list) || list == NULL)
		return NULL;
	old = keypath_str(&d->kp, key);
	if ((len = ydoc_list_len(list)) == 0)
		ydoc_error(d, list, "must list at least one %s (Kargo's CRD: minItems 1)", what);
	v = len ? calloc(len, size) : NULL;
	if (len && v == NULL)
		d->oom = true;
	for (size_t i = 0; v != NULL && i < len && !d->oom; i++) {
		size_t o = keypath_index(&d->kp, i);

		fn(d, ydoc_node(d, list->data.sequence.items.start[i]), v + i * size);
		(*n)++;
		keypath_pop(&d->kp, o);
	}
	keypath_pop(&d->kp, old);
	return v;
}

static void label_req_item(struct ydoc *d, const yaml_node_t *n, void *out)
{
	label_req(d, n, out);
}

static void label_selector(struct ydoc *d, const yaml_node_t *t,
	struct obj_generic_target *out)
{
	const yaml_node_t *sel;
	size_t old;

	if (!yread_node(d, t, "labelSelector", YAML_MAPPING_NODE, 0, &sel) || sel == NULL)
		return;
	old = keypath_str(&d->kp, "labelSelector");
	match_labels(d, sel, out);
	out->exprs = read_list(d, sel, "matchExpressions", sizeof(*out->exprs),
		&out->n_exprs, "requirement", label_req_item);
	keypath_pop(&d->kp, old);
}

static void index_req_item(struct ydoc *d, const yaml_node_t *item, void *out)
{
	struct obj_index_req *q = out;
	const yaml_node_t *key_at, *op_at, *value_at;

	if (!yread_expect_mapping(d, item))
		return;
	yread_string(d, item, "key", YREAD_REQUIRED, &q->key, &key_at);
	yread_string(d, item, "operator", YREAD_REQUIRED, &q->op, &op_at);
	yread_string(d, item, "value", YREAD_REQUIRED, &q->value, &value_at);
	if (q->key != NULL && strcmp(q->key, "subscribedURLs") != 0 &&
	    strcmp(q->key, "receiverPaths") != 0) {
		size_t o = keypath_str(&d->kp, "key");

		ydoc_error(d, key_at, "\"%s\" is not an index Kargo's CRD allows "
			"(subscribedURLs, receiverPaths)", q->key);
		keypath_pop(&d->kp, o);
	}
	if (q->op != NULL && strcmp(q->op, "Equals") != 0 && strcmp(q->op, "NotEquals") != 0) {
		size_t o = keypath_str(&d->kp, "operator");

		ydoc_error(d, op_at, "\"%s\" is not an index operator (Equals, "
			"NotEquals); Kargo would answer Error to every request", q->op);
		keypath_pop(&d->kp, o);
	}
	if (q->value != NULL) {
		size_t o = keypath_str(&d->kp, "value");

		check_template(d, q->value, value_at);
		keypath_pop(&d->kp, o);
	}
}

/* Kargo lists Warehouses with the last matchIndices item only (each
 * MatchingFieldsSelector replaces the one before), and its cache serves
 * neither receiverPaths for Warehouses nor NotEquals: such a target makes
 * its action answer Error to every request, here as in Kargo. */
static void warn_indices(struct ydoc *d, const yaml_node_t *sel,
	const struct obj_generic_target *t)
{
	const struct obj_index_req *last = &t->indices[t->n_indices - 1];

	if (t->n_indices > 1)
		ydoc_warning(d, sel, "only the last of %zu matchIndices applies "
			"(Kargo's list replaces each field selector with the next)",
			t->n_indices);
	if (last->key != NULL && strcmp(last->key, "receiverPaths") == 0)
		ydoc_warning(d, sel, "Kargo has no receiverPaths index of "
			"Warehouses: this target's action answers Error to every request");
	else if (last->op != NULL && strcmp(last->op, "NotEquals") == 0)
		ydoc_warning(d, sel, "Kargo's cache refuses NotEquals (\"non-exact "
			"field matches are not supported\"): this target's action answers "
			"Error to every request");
}

static void index_selector(struct ydoc *d, const yaml_node_t *t,
	struct obj_generic_target *out)
{
	const yaml_node_t *sel;
	size_t old;

	if (!yread_node(d, t, "indexSelector", YAML_MAPPING_NODE, 0, &sel) || sel == NULL)
		return;
	old = keypath_str(&d->kp, "indexSelector");
	out->indices = read_list(d, sel, "matchIndices", sizeof(*out->indices),
		&out->n_indices, "index requirement", index_req_item);
	if (out->n_indices > 0 && !d->oom)
		warn_indices(d, sel, out);
	keypath_pop(&d->kp, old);
}

static void target_item(struct ydoc *d, const yaml_node_t *item, void *out)
{
	struct obj_generic_target *t = out;
	const yaml_node_t *kind_at, *name_at;

	if (!yread_expect_mapping(d, item))
		return;
	if (yread_string(d, item, "kind", YREAD_REQUIRED, &t->kind, &kind_at) &&
	    strcmp(t->kind, "Warehouse") != 0) {
		size_t o = keypath_str(&d->kp, "kind");

		ydoc_error(d, kind_at, "kind %s is refused by Kargo's CRD: "
			"Warehouse is the only target kind", t->kind);
		keypath_pop(&d->kp, o);
	}
	if (yread_string(d, item, "name", 0, &t->name, &name_at) && t->name != NULL) {
		size_t o = keypath_str(&d->kp, "name");

		check_template(d, t->name, name_at);
		keypath_pop(&d->kp, o);
	}
	label_selector(d, item, t);
	index_selector(d, item, t);
	if ((t->name == NULL || t->name[0] == '\0') && t->n_match_labels == 0 &&
	    t->n_exprs == 0 && t->n_indices == 0)
		ydoc_error(d, item, "at least one of name, labelSelector, or "
			"indexSelector must be specified for target");
}

static void action_item(struct ydoc *d, const yaml_node_t *item, void *out)
{
	struct obj_generic_action *a = out;
	const yaml_node_t *at;

	if (!yread_expect_mapping(d, item))
		return;
	/* Kargo's docs (issue #5815) write actionType; the field is action. */
	if (yread_string(d, item, "action", YREAD_REQUIRED, &a->action, &at) &&
	    strcmp(a->action, "Refresh") != 0) {
		size_t o = keypath_str(&d->kp, "action");

		ydoc_error(d, at, "action %s is refused by Kargo's CRD: Refresh is "
			"the only action", a->action);
		keypath_pop(&d->kp, o);
	}
	if (yread_string(d, item, "whenExpression", 0, &a->when, &at) &&
	    a->when != NULL && a->when[0] != '\0')
		check_when(d, a->when, at);
	yread_string_map(d, item, "parameters", &a->params, &a->n_params);
	a->targets = read_list(d, item, "targetSelectionCriteria",
		sizeof(*a->targets), &a->n_targets, "target", target_item);
}

void decode_generic(struct ydoc *d, const yaml_node_t *v, struct obj_receiver *r)
{
	struct obj_generic *g;

	if (v->type != YAML_MAPPING_NODE) /* reported with secretRef */
		return;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		d->oom = true;
		return;
	}
	r->generic = g;
	g->actions = read_list(d, v, "actions", sizeof(*g->actions),
		&g->n_actions, "action", action_item);
}
