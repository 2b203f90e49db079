/*
 * receivers/generic.c: Kargo v1.11.2's generic receiver (generic.h): path
 * segment "generic", Secret key "secret", no authentication (the URL is
 * the secret). A request's body is decoded as Go's json.Unmarshal into
 * any (400 "invalid request body: ..." otherwise); then each action runs
 * as Kargo's handleAction: its whenExpression (an error is result Error,
 * false is NotApplicable), then each target selection criterion over the
 * snapshot's Warehouses in the receiver's scope, in Kargo's order (index
 * values, label values, then the name; any failure is result Error), the
 * union sorted by namespace and name. The refresh itself is the handler's
 * one world job; the answer is written here from its per-target outcome.
 */
#include "generic.h"

#include "expr.h"
#include "headers.h"
#include "objects.h"
#include "receiver.h"
#include "snapshot.h"
#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

/* Everything one request's evaluation may allocate (the body's values
 * and every expression's): a 2 MiB body decodes into well under this. */
#define EVAL_ARENA (64u * 1024 * 1024)
/* The largest answer: each action echoes its configuration and names
 * its targets. */
#define ANSWER_MAX (64u * 1024 * 1024)

const struct receiver_ops receiver_generic = {
	.name = "generic",
	.secret_key = "secret",
	.unsupported_status = 400,
	.authenticate = auth_none,
};

enum result { R_NOT_APPLICABLE, R_WHEN_ERROR, R_SELECT_ERROR, R_REFRESH };

struct action_result {
	enum result result;
	size_t *wh; /* selected Warehouses (indexes), sorted by namespace, name */
	size_t n_wh;
};

struct generic_plan {
	const struct obj_generic *g;
	const struct obj_set *objs;
	struct action_result *results;
	size_t *targets; /* the union of every action's wh, by index */
	size_t n_targets;
};

/* ---- Kubernetes label syntax ------------------------------------------- */

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], at most max: a qualified name. */
static bool qualified(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max || !alnum(s[0]) || !alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A DNS-1123 subdomain: lowercase labels joined by '.', at most 253. */
static bool subdomain(const char *s, size_t len)
{
	size_t start = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '.')
			continue;
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		for (size_t j = start; j < i; j++)
			if (!((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9') ||
			    s[j] == '-'))
				return false;
		start = i + 1;
	}
	return true;
}

bool generic_label_key_ok(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL)
		return qualified(s, strlen(s), 63);
	return subdomain(s, (size_t)(slash - s)) &&
		qualified(slash + 1, strlen(slash + 1), 63);
}

bool generic_label_value_ok(const char *s, size_t len)
{
	return len == 0 || qualified(s, len, 63);
}

/* ---- Selection --------------------------------------------------------- */

/* What one criterion evaluated to. */
struct criteria {
	const char *name;     /* NULL: any */
	const char **labels;  /* matchLabels' values, evaluated */
	const char ***values; /* each matchExpressions item's values */
	size_t *idx;          /* Warehouses found by the index; NULL: no index */
	size_t n_idx;
};

static int eval_string(const char **out, const char *tpl,
	const struct expr_env *env, struct expr_arena *arena)
{
	struct kw_err err;
	size_t len;
	char *s;

	if (expr_template_string(out, &len, tpl, strlen(tpl), env, arena, &err) != KW_OK)
		return KW_EINVAL;
	/* A NUL cannot be in a label or a name: no match, as in Kubernetes. */
	if ((s = expr_alloc(arena, len + 1)) == NULL)
		return KW_EINVAL;
	memcpy(s, *out, len);
	*out = s;
	return strlen(s) == len ? KW_OK : KW_EINVAL;
}

/* Kargo's newListOptionsForIndexSelector and its cache: every value is
 * evaluated; the last item is the one that lists. */
static int eval_index(struct criteria *c, const struct obj_generic_target *t,
	const struct snapshot *s, const struct snap_receiver *r,
	const struct expr_env *env, struct expr_arena *arena)
{
	const struct obj_index_req *last;
	const char *value = NULL;

	for (size_t i = 0; i < t->n_indices; i++)
		if (eval_string(&value, t->indices[i].value, env, arena) != KW_OK)
			return KW_EINVAL;
	if (t->n_indices == 0)
		return KW_OK;
	last = &t->indices[t->n_indices - 1];
	if (strcmp(last->key, "subscribedURLs") != 0 || strcmp(last->op, "Equals") != 0)
		return KW_EINVAL; /* no such index, or a non-exact match */
	{
		char *url = (char *)value;
		struct snapshot_push push = { &url, 1, NULL, 0, NULL, 0 };

		if (snapshot_match_warehouses(&c->idx, &c->n_idx, s, r, &push) != KW_OK)
			return KW_ENOMEM;
	}
	return KW_OK;
}

/* Label values must be valid ones once evaluated (labels.NewRequirement). */
static int eval_labels(struct criteria *c, const struct obj_generic_target *t,
	const struct expr_env *env, struct expr_arena *arena)
{
	c->labels = expr_alloc(arena, (t->n_match_labels + 1) * sizeof(*c->labels));
	c->values = expr_alloc(arena, (t->n_exprs + 1) * sizeof(*c->values));
	if (c->labels == NULL || c->values == NULL)
		return KW_EINVAL;
	for (size_t i = 0; i < t->n_match_labels; i++)
		if (eval_string(&c->labels[i], t->match_labels[2 * i + 1], env, arena) != KW_OK ||
		    !generic_label_value_ok(c->labels[i], strlen(c->labels[i])))
			return KW_EINVAL;
	for (size_t i = 0; i < t->n_exprs; i++) {
		const struct obj_label_req *q = &t->exprs[i];

		c->values[i] = expr_alloc(arena, (q->n_values + 1) * sizeof(**c->values));
		if (c->values[i] == NULL)
			return KW_EINVAL;
		for (size_t j = 0; j < q->n_values; j++)
			if (eval_string(&c->values[i][j], q->values[j], env, arena) != KW_OK ||
			    !generic_label_value_ok(c->values[i][j], strlen(c->values[i][j])))
				return KW_EINVAL;
	}
	return KW_OK;
}

static bool in_values(const char *v, const char *const *values, size_t n)
{
	for (size_t i = 0; v != NULL && i < n; i++)
		if (strcmp(v, values[i]) == 0)
			return true;
	return false;
}

static bool labels_match(const struct obj_warehouse *w,
	const struct obj_generic_target *t, const struct criteria *c)
{
	for (size_t i = 0; i < t->n_match_labels; i++) {
		const char *v = objects_warehouse_label(w, t->match_labels[2 * i]);

		if (v == NULL || strcmp(v, c->labels[i]) != 0)
			return false;
	}
	for (size_t i = 0; i < t->n_exprs; i++) {
		const struct obj_label_req *q = &t->exprs[i];
		const char *v = objects_warehouse_label(w, q->key);
		bool in = in_values(v, c->values[i], q->n_values);

		if ((strcmp(q->op, "In") == 0 && !in) || (strcmp(q->op, "NotIn") == 0 && in) ||
		    (strcmp(q->op, "Exists") == 0 && v == NULL) ||
		    (strcmp(q->op, "DoesNotExist") == 0 && v != NULL))
			return false;
	}
	return true;
}

/* A list of Warehouse indexes (kw_array_append's doubling). */
struct idx_list {
	size_t *v;
	size_t n;
};

static int idx_push(struct idx_list *l, size_t i)
{
	size_t *v = kw_array_append(l->v, &l->n, &i, 1, sizeof(i));

	if (v == NULL)
		return KW_ENOMEM;
	l->v = v;
	return KW_OK;
}

static bool in_scope(const struct snap_receiver *r, const char *namespace)
{
	return r->cluster || strcmp(namespace, r->project) == 0;
}

/* Adds the Warehouses one criterion selects to l. */
static int select_target(struct idx_list *l, const struct obj_generic_target *t,
	const struct snapshot *s, const struct snap_receiver *r,
	const struct expr_env *env, struct expr_arena *arena)
{
	const struct obj_set *objs = snapshot_objects(s);
	struct criteria c = { 0 };
	int rc = eval_index(&c, t, s, r, env, arena);
	size_t n = c.idx != NULL || t->n_indices > 0 ? c.n_idx : objs->n_warehouses;

	if (rc == KW_OK)
		rc = eval_labels(&c, t, env, arena);
	if (rc == KW_OK && t->name != NULL && t->name[0] != '\0')
		rc = eval_string(&c.name, t->name, env, arena);
	for (size_t i = 0; rc == KW_OK && i < n; i++) {
		size_t w = t->n_indices > 0 ? c.idx[i] : i;
		const struct obj_warehouse *wh = objects_warehouse(objs, w);

		if (in_scope(r, wh->namespace) && labels_match(wh, t, &c) &&
		    (c.name == NULL || strcmp(wh->name, c.name) == 0))
			rc = idx_push(l, w);
	}
	free(c.idx);
	return rc;
}

/* A Warehouse as Kargo sorts the selection: by namespace, then name. */
struct named {
	const char *namespace, *name;
	size_t w;
};

static int cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->namespace, y->namespace);

	return c != 0 ? c : strcmp(x->name, y->name);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* Sorts l by cmp and drops repeats. */
static void sort_unique(struct idx_list *l, int (*cmp)(const void *, const void *))
{
	size_t n = 0;

	if (l->n == 0)
		return;
	qsort(l->v, l->n, sizeof(*l->v), cmp);
	for (size_t i = 0; i < l->n; i++)
		if (n == 0 || l->v[i] != l->v[n - 1])
			l->v[n++] = l->v[i];
	l->n = n;
}

/* Sorts l by namespace and name, without repeats (Warehouses are unique
 * by namespace and name in a snapshot, so repeats are repeated indexes). */
static int sort_by_name(struct idx_list *l, const struct obj_set *objs)
{
	struct named *v;

	sort_unique(l, cmp_size);
	if (l->n < 2)
		return KW_OK;
	if ((v = calloc(l->n, sizeof(*v))) == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		const struct obj_warehouse *wh = objects_warehouse(objs, l->v[i]);

		v[i] = (struct named){ wh->namespace, wh->name, l->v[i] };
	}
	qsort(v, l->n, sizeof(*v), cmp_named);
	for (size_t i = 0; i < l->n; i++)
		l->v[i] = v[i].w;
	free(v);
	return KW_OK;
}

/* ---- Actions ----------------------------------------------------------- */

static int run_action(struct action_result *ar, const struct obj_generic_action *a,
	const struct snapshot *s, const struct snap_receiver *r,
	struct expr_env *env, struct expr_arena *arena)
{
	struct idx_list l = { 0 };
	struct kw_err err;
	bool met = false;
	int rc = KW_OK;

	env->params = (const char *const *)a->params;
	env->n_params = a->n_params;
	if (expr_when(&met, a->when ? a->when : "", a->when ? strlen(a->when) : 0,
	    env, arena, &err) != KW_OK) {
		ar->result = R_WHEN_ERROR;
		return KW_OK;
	}
	if (!met) {
		ar->result = R_NOT_APPLICABLE;
		return KW_OK;
	}
	for (size_t i = 0; rc == KW_OK && i < a->n_targets; i++)
		rc = select_target(&l, &a->targets[i], s, r, env, arena);
	if (rc == KW_ENOMEM) {
		free(l.v);
		return rc;
	}
	ar->result = rc == KW_OK ? R_REFRESH : R_SELECT_ERROR;
	if (rc != KW_OK) {
		free(l.v);
		return KW_OK;
	}
	rc = sort_by_name(&l, snapshot_objects(s));
	ar->wh = l.v;
	ar->n_wh = l.n;
	return rc;
}

/* Every action's Warehouses, by index. */
static int union_targets(struct generic_plan *p)
{
	struct idx_list l = { 0 };

	for (size_t i = 0; i < p->g->n_actions; i++)
		for (size_t j = 0; j < p->results[i].n_wh; j++)
			if (idx_push(&l, p->results[i].wh[j]) != KW_OK) {
				free(l.v);
				return KW_ENOMEM;
			}
	sort_unique(&l, cmp_size);
	p->targets = l.v;
	p->n_targets = l.n;
	return KW_OK;
}

int generic_plan_new(struct generic_plan **out, const struct snapshot *s,
	const struct snap_receiver *r, const struct generic_request *req,
	struct kw_err *err)
{
	struct generic_plan *p = calloc(1, sizeof(*p));
	struct expr_value body = { .type = EXPR_NIL };
	struct expr_env env = { &body, req->headers, req->query, NULL, 0 };
	struct expr_arena arena;
	int rc = KW_OK;

	*out = NULL;
	if (p == NULL)
		return KW_ENOMEM;
	p->g = r->generic;
	p->objs = snapshot_objects(s);
	expr_arena_init(&arena, EVAL_ARENA);
	if (req->body_len > 0 &&
	    (rc = expr_json_decode(&body, req->body, req->body_len, &arena, err)) != KW_OK) {
		char msg[sizeof(err->msg)];

		if (rc == KW_EINVAL) {
			memcpy(msg, err->msg, sizeof(msg));
			kw_errf(err, KW_EINVAL, "invalid request body: %s", msg);
		}
		goto out;
	}
	p->results = calloc(p->g->n_actions + 1, sizeof(*p->results));
	if (p->results == NULL)
		rc = KW_ENOMEM;
	for (size_t i = 0; rc == KW_OK && i < p->g->n_actions; i++)
		rc = run_action(&p->results[i], &p->g->actions[i], s, r, &env, &arena);
	if (rc == KW_OK)
		rc = union_targets(p);
out:
	expr_arena_free(&arena);
	if (rc != KW_OK) {
		generic_plan_free(p);
		return rc;
	}
	*out = p;
	return KW_OK;
}

const size_t *generic_plan_targets(const struct generic_plan *p, size_t *n)
{
	*n = p->n_targets;
	return p->targets;
}

void generic_plan_free(struct generic_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; p->results != NULL && i < p->g->n_actions; i++)
		free(p->results[i].wh);
	free(p->results);
	free(p->targets);
	free(p);
}

/* ---- The answer -------------------------------------------------------- */

static void put_str(struct strbuf *sb, int *rc, const char *s)
{
	if (*rc == KW_OK)
		*rc = strbuf_json_string(sb, s, strlen(s));
}

static void put(struct strbuf *sb, int *rc, const char *raw)
{
	if (*rc == KW_OK)
		*rc = strbuf_puts(sb, raw);
}

/* "key":"value" pairs of a sorted map, as Go writes map[string]string. */
static void put_map(struct strbuf *sb, int *rc, char *const *kv, size_t n)
{
	put(sb, rc, "{");
	for (size_t i = 0; i < n; i++) {
		put(sb, rc, i ? "," : "");
		put_str(sb, rc, kv[2 * i]);
		put(sb, rc, ":");
		put_str(sb, rc, kv[2 * i + 1]);
	}
	put(sb, rc, "}");
}

/* A GenericWebhookTargetSelectionCriteria: labelSelector and indexSelector
 * are structs, so Go writes them even when empty. */
static void put_target(struct strbuf *sb, int *rc, const struct obj_generic_target *t)
{
	put(sb, rc, "{\"kind\":");
	put_str(sb, rc, t->kind);
	if (t->name != NULL && t->name[0] != '\0') {
		put(sb, rc, ",\"name\":");
		put_str(sb, rc, t->name);
	}
	put(sb, rc, ",\"labelSelector\":{");
	if (t->n_match_labels > 0) {
		put(sb, rc, "\"matchLabels\":");
		put_map(sb, rc, t->match_labels, t->n_match_labels);
	}
	for (size_t i = 0; i < t->n_exprs; i++) {
		const struct obj_label_req *q = &t->exprs[i];

		put(sb, rc, i ? ",{\"key\":" : t->n_match_labels ?
			",\"matchExpressions\":[{\"key\":" : "\"matchExpressions\":[{\"key\":");
		put_str(sb, rc, q->key);
		put(sb, rc, ",\"operator\":");
		put_str(sb, rc, q->op);
		for (size_t j = 0; j < q->n_values; j++) {
			put(sb, rc, j ? "," : ",\"values\":[");
			put_str(sb, rc, q->values[j]);
		}
		put(sb, rc, q->n_values ? "]}" : "}");
	}
	put(sb, rc, t->n_exprs ? "]},\"indexSelector\":{" : "},\"indexSelector\":{");
	for (size_t i = 0; i < t->n_indices; i++) {
		put(sb, rc, i ? ",{\"key\":" : "\"matchIndices\":[{\"key\":");
		put_str(sb, rc, t->indices[i].key);
		put(sb, rc, ",\"operator\":");
		put_str(sb, rc, t->indices[i].op);
		put(sb, rc, ",\"value\":");
		put_str(sb, rc, t->indices[i].value);
		put(sb, rc, "}");
	}
	put(sb, rc, t->n_indices ? "]}}" : "}}");
}

/* The action as configured (GenericWebhookAction, inlined). */
static void put_action(struct strbuf *sb, int *rc, const struct obj_generic_action *a)
{
	put(sb, rc, "{\"action\":");
	put_str(sb, rc, a->action);
	if (a->when != NULL && a->when[0] != '\0') {
		put(sb, rc, ",\"whenExpression\":");
		put_str(sb, rc, a->when);
	}
	if (a->n_params > 0) {
		put(sb, rc, ",\"parameters\":");
		put_map(sb, rc, a->params, a->n_params);
	}
	for (size_t i = 0; i < a->n_targets; i++) {
		put(sb, rc, i ? "," : ",\"targetSelectionCriteria\":[");
		put_target(sb, rc, &a->targets[i]);
	}
	put(sb, rc, a->n_targets ? "]" : "");
}

static bool target_failed(const struct generic_plan *p, const bool *failed, size_t w)
{
	const size_t *hit = failed == NULL ? NULL :
		bsearch(&w, p->targets, p->n_targets, sizeof(w), cmp_size);

	return hit != NULL && failed[hit - p->targets];
}

/* selectedTargets, result and summary of a Refresh (refreshObjects). */
static bool put_refreshed(struct strbuf *sb, int *rc, const struct generic_plan *p,
	const struct action_result *ar, const bool *failed)
{
	size_t ok = 0;

	for (size_t i = 0; i < ar->n_wh; i++) {
		const struct obj_warehouse *wh = objects_warehouse(p->objs, ar->wh[i]);
		bool success = !target_failed(p, failed, ar->wh[i]);

		ok += success;
		put(sb, rc, i ? ",{\"namespace\":" : ",\"selectedTargets\":[{\"namespace\":");
		put_str(sb, rc, wh->namespace);
		put(sb, rc, ",\"name\":");
		put_str(sb, rc, wh->name);
		put(sb, rc, success ? ",\"success\":true}" : ",\"success\":false}");
	}
	put(sb, rc, ar->n_wh ? "]" : "");
	put(sb, rc, ok == ar->n_wh ? ",\"result\":\"Success\"" : ok == 0 ?
		",\"result\":\"Failure\"" : ",\"result\":\"PartialSuccess\"");
	if (*rc == KW_OK)
		*rc = strbuf_printf(sb, ",\"summary\":\"Refreshed %zu of %zu selected "
			"resources\"}", ok, ar->n_wh);
	return ok == ar->n_wh;
}

int generic_plan_answer(struct strbuf *sb, int *status,
	const struct generic_plan *p, const bool *failed)
{
	int rc = strbuf_puts(sb, "{\"results\":[");
	bool error = false;

	for (size_t i = 0; i < p->g->n_actions; i++) {
		const struct action_result *ar = &p->results[i];

		put(sb, &rc, i ? "," : "");
		put_action(sb, &rc, &p->g->actions[i]);
		if (ar->result == R_WHEN_ERROR)
			put(sb, &rc, ",\"matchedWhenExpression\":false,\"result\":\"Error\","
				"\"summary\":\"Error evaluating whenExpression\"}");
		else if (ar->result == R_NOT_APPLICABLE)
			put(sb, &rc, ",\"matchedWhenExpression\":false,\"result\":"
				"\"NotApplicable\",\"summary\":\"Request did not match "
				"whenExpression\"}");
		else if (ar->result == R_SELECT_ERROR)
			put(sb, &rc, ",\"matchedWhenExpression\":true,\"result\":\"Error\","
				"\"summary\":\"Error evaluating targetSelectionCriteria\"}");
		else
			put(sb, &rc, ",\"matchedWhenExpression\":true");
		if (ar->result == R_REFRESH)
			error = !put_refreshed(sb, &rc, p, ar, failed) || error;
		else
			error = error || ar->result != R_NOT_APPLICABLE;
	}
	put(sb, &rc, "]}\n");
	*status = error ? 500 : 200;
	return rc;
}
