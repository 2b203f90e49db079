/*
 * snapshot.c: builds the immutable request-time view declared in
 * snapshot.h. Indexes are sorted arrays searched by bisection: built once,
 * read by every request thread without locks.
 */
#include "snapshot.h"

#include "kw.h"
#include "diag.h"
#include "imagenorm.h"
#include "receiver.h"
#include "receiver_url.h"
#include "selector.h"
#include "strbuf.h"
#include "urlnorm.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct path_entry {
	const char *path; /* borrowed from the receiver */
	size_t receiver;
};

/* One subscription (git, image or chart), keyed by its repository URL
 * normalized by its kind's rules: one index, as Kargo's subscribedURLs. */
struct url_entry {
	char *url;            /* owned by the first entry with this URL */
	struct selector *sel; /* borrowed from snapshot.sels */
	uint32_t warehouse;   /* 24 bytes an entry, not 32: one per */
	uint32_t sub;         /* subscription of 100,000 Warehouses */
};

struct pr_entry {
	const char *url; /* borrowed from the promotion */
	size_t promotion;
};

struct snapshot {
	atomic_size_t refs;
	struct obj_set *objs;
	struct snap_receiver *receivers;
	size_t n_receivers;
	struct path_entry *paths;
	size_t n_paths;
	struct url_entry *urls;
	size_t n_urls;
	struct selector **sels; /* one per distinct selection (selector_key) */
	size_t n_sels;
	struct pr_entry *prs;
	size_t n_prs;
	size_t n_unserved; /* receivers left out: no Secret or no key */
	size_t n_broken;   /* subscriptions whose selection cannot be built */
	bool serve_broken; /* snapshot_new_serving_broken */
};

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct path_entry *)a)->path,
		((const struct path_entry *)b)->path);
}

static int cmp_url(const void *a, const void *b)
{
	const struct url_entry *x = a, *y = b;
	int c = strcmp(x->url, y->url);

	if (c != 0)
		return c;
	if (x->warehouse != y->warehouse)
		return (x->warehouse > y->warehouse) - (x->warehouse < y->warehouse);
	return (x->sub > y->sub) - (x->sub < y->sub);
}

static int cmp_pr(const void *a, const void *b)
{
	return strcmp(((const struct pr_entry *)a)->url,
		((const struct pr_entry *)b)->url);
}

static int cmp_receiver(const void *a, const void *b)
{
	const struct snap_receiver *x = a, *y = b;
	int c = strcmp(x->project, y->project);

	if (c == 0)
		c = strcmp(x->name, y->name);
	if (c == 0)
		c = (int)x->previous - (int)y->previous;
	return c;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static void receiver_clear(struct snap_receiver *r)
{
	free(r->path);
	free(r->alt_path);
	free(r->url);
	if (r->secret != NULL)
		OPENSSL_cleanse(r->secret, r->secret_len);
	free(r->secret);
}

/* Fills r for one secret; alt_path only when the base URL has a path. */
static int receiver_fill(struct snap_receiver *r, const char *base_url,
	const unsigned char *secret, size_t len, struct kw_err *err)
{
	struct receiver_url u = { 0 }, bare = { 0 };
	int rc;

	rc = receiver_url_build(&u, base_url, r->ops->name, r->project, r->name,
		secret, len, err);
	if (rc == KW_OK)
		rc = receiver_url_build(&bare, "", r->ops->name, r->project,
			r->name, secret, len, err);
	if (rc != KW_OK)
		goto out;
	r->secret = malloc(len ? len : 1);
	if (r->secret == NULL) {
		rc = KW_ENOMEM;
		goto out;
	}
	if (len > 0)
		memcpy(r->secret, secret, len);
	r->secret_len = len;
	r->path = u.path;
	r->url = u.url;
	u.path = u.url = NULL;
	if (strcmp(bare.path, r->path) != 0) {
		r->alt_path = bare.path;
		bare.path = NULL;
	}
out:
	receiver_url_clear(&u);
	receiver_url_clear(&bare);
	return rc;
}

/* The secret bytes one receiver serves with. */
struct secret_bytes {
	const unsigned char *cur, *prev;
	size_t cur_len, prev_len;
};

/* Finds the receiver's secret (the value of its kind's key, and the
 * "previous-" one) in the objects. A receiver whose Secret or key is
 * missing is not served (its URL answers 404): deleting a Secret is how an
 * operator revokes a leaked secret, so nothing is carried over from an
 * earlier configuration. Reported as a warning; false then. */
static bool find_secret(const struct snapshot *s, const struct obj_config *cfg,
	const struct obj_receiver *rcv, const struct receiver_ops *ops,
	const char *ns, struct diag_list *dl, struct secret_bytes *out)
{
	const struct obj_secret *sec = rcv->secret_name ?
		objects_find_secret(s->objs, ns, rcv->secret_name) : NULL;
	char prev_key[64];

	memset(out, 0, sizeof(*out));
	snprintf(prev_key, sizeof(prev_key), "previous-%s", ops->secret_key);
	if (sec != NULL && objects_secret_value(sec, ops->secret_key, &out->cur,
	    &out->cur_len)) {
		if (!objects_secret_value(sec, prev_key, &out->prev, &out->prev_len))
			out->prev = NULL;
		return true;
	}
	diag_add(dl, DIAG_WARNING, rcv->pos.file, rcv->pos.line, rcv->pos.column,
		"secretRef", "receiver %s/%s: secret %s/%s %s%s%s; receiver not served",
		cfg->project, rcv->name, ns,
		rcv->secret_name ? rcv->secret_name : "(none)",
		sec == NULL ? "not found" : "has no key \"", sec == NULL ? "" :
		ops->secret_key, sec == NULL ? "" : "\"");
	return false;
}

static int add_receivers(struct snapshot *s, const struct obj_config *cfg,
	const struct snapshot_options *opts, struct diag_list *dl)
{
	const char *ns = cfg->cluster ? opts->system_namespace : cfg->namespace;

	for (size_t i = 0; i < cfg->n_receivers; i++) {
		const struct obj_receiver *rcv = &cfg->receivers[i];
		const struct receiver_ops *ops = receiver_find(rcv->kind_name);
		struct snap_receiver base = { 0 };
		struct secret_bytes sec;
		struct kw_err err;
		int rc;

		if (ops == NULL) /* a kind this program does not serve */
			continue;
		if (!find_secret(s, cfg, rcv, ops, ns, dl, &sec)) {
			s->n_unserved++;
			continue;
		}
		base.ops = ops;
		base.option = rcv->option;
		base.generic = rcv->generic;
		base.project = cfg->project;
		base.name = rcv->name;
		base.namespace = ns;
		base.secret_name = rcv->secret_name;
		base.cluster = cfg->cluster;
		for (int prev = 0; prev <= (sec.prev != NULL ? 1 : 0); prev++) {
			struct snap_receiver *r = &s->receivers[s->n_receivers];

			*r = base;
			r->previous = prev;
			rc = receiver_fill(r, opts->base_url, prev ? sec.prev : sec.cur,
				prev ? sec.prev_len : sec.cur_len, &err);
			if (rc != KW_OK) {
				receiver_clear(r);
				diag_add(dl, DIAG_ERROR, rcv->pos.file, rcv->pos.line,
					rcv->pos.column, "receiver", "receiver %s/%s: %s",
					cfg->project, rcv->name, err.msg);
				return rc;
			}
			s->n_receivers++;
		}
	}
	return KW_OK;
}

static int build_receivers(struct snapshot *s,
	const struct snapshot_options *opts, struct diag_list *dl)
{
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < s->objs->n_configs; i++)
		n += s->objs->configs[i].n_receivers;
	s->receivers = calloc(2 * n + 1, sizeof(*s->receivers));
	s->paths = calloc(4 * n + 1, sizeof(*s->paths));
	if (s->receivers == NULL || s->paths == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < s->objs->n_configs; i++) {
		rc = add_receivers(s, &s->objs->configs[i], opts, dl);
		if (rc != KW_OK)
			return rc;
	}
	qsort(s->receivers, s->n_receivers, sizeof(*s->receivers), cmp_receiver);
	for (size_t i = 0; i < s->n_receivers; i++) {
		s->paths[s->n_paths++] = (struct path_entry){ s->receivers[i].path, i };
		if (s->receivers[i].alt_path != NULL)
			s->paths[s->n_paths++] =
				(struct path_entry){ s->receivers[i].alt_path, i };
	}
	qsort(s->paths, s->n_paths, sizeof(*s->paths), cmp_path);
	return KW_OK;
}

/* Where a broken selection's problems go: each one is an error at the
 * position of what is wrong, keyed by the subscription's kind. */
struct selection_report {
	const struct obj_warehouse *wh;
	const char *kind;
	struct diag_list *dl;
	bool oom;
};

static void report_selection(void *arg, const struct obj_pos *at, const char *msg)
{
	struct selection_report *r = arg;

	if (diag_add(r->dl, DIAG_ERROR, at->file, at->line, at->column, r->kind,
		"warehouse %s/%s: %s", r->wh->namespace, r->wh->name, msg) != KW_OK)
		r->oom = true;
}

/* Kargo's WarehousesBySubscribedURLs: each kind by its own rules. */
static int normalize(char **out, const struct obj_subscription *sub)
{
	size_t n = strlen(sub->repo_url);

	if (sub->kind == SUB_IMAGE)
		return imagenorm_image(out, sub->repo_url, n);
	if (sub->kind == SUB_CHART)
		return imagenorm_chart(out, sub->repo_url, n);
	return urlnorm_git(out, sub->repo_url, n);
}

/* While the URLs are built: the selectors compiled so far by key, an
 * open-addressed table (a power of two, at most half full), so that
 * subscriptions with the same selection share one selector: 100,000
 * Warehouses that follow "main" compile it once. */
struct sel_table {
	struct sel_slot {
		char *key;
		struct selector *sel;
	} *slots;
	size_t n_slots;
	struct strbuf key;
};

static void sel_table_free(struct sel_table *t)
{
	for (size_t i = 0; i < t->n_slots; i++)
		free(t->slots[i].key);
	free(t->slots);
	strbuf_free(&t->key);
}

static struct sel_slot *sel_slot(struct sel_table *t, const char *key, size_t len)
{
	size_t i = kw_fnv1a(KW_FNV1A_INIT, key, len) & (t->n_slots - 1);

	while (t->slots[i].key != NULL && strcmp(t->slots[i].key, key) != 0)
		i = (i + 1) & (t->n_slots - 1);
	return &t->slots[i];
}

/* The selector of sub's selection: found, or compiled and kept in s->sels
 * (*sel NULL and rc KW_EINVAL when it cannot be built: each problem then
 * goes to report, every time, so every broken subscription is named). */
static int find_selector(struct snapshot *s, struct sel_table *t,
	const struct obj_subscription *sub, struct selector **sel,
	struct selection_report *report)
{
	struct sel_slot *slot;
	int rc;

	*sel = NULL;
	strbuf_reset(&t->key);
	if (selector_key(&t->key, sub) != KW_OK || t->key.buf == NULL)
		return KW_ENOMEM;
	slot = sel_slot(t, t->key.buf, t->key.len);
	if (slot->key != NULL) {
		*sel = slot->sel;
		return KW_OK;
	}
	rc = selector_new_each(sel, sub, report_selection, report);
	if (rc != KW_OK)
		return rc;
	s->sels[s->n_sels++] = *sel;
	if ((slot->key = strdup(t->key.buf)) == NULL)
		return KW_ENOMEM;
	slot->sel = *sel;
	return KW_OK;
}

static int add_subscription(struct snapshot *s, struct sel_table *t, size_t w,
	size_t i, const struct obj_subscription *sub, struct diag_list *dl)
{
	struct url_entry *e = &s->urls[s->n_urls];
	static const char *const kinds[] = { "git", "image", "chart" };
	struct selection_report report = { objects_warehouse(s->objs, w), kinds[sub->kind],
		dl, false };
	int rc;

	rc = normalize(&e->url, sub);
	if (rc != KW_OK)
		return rc;
	e->warehouse = (uint32_t)w;
	e->sub = (uint32_t)i;
	rc = find_selector(s, t, sub, &e->sel, &report);
	if (rc == KW_ENOMEM || report.oom) {
		free(e->url);
		return KW_ENOMEM;
	}
	if (rc != KW_OK) {
		s->n_broken++;
		if (s->serve_broken) { /* left out: it never matches */
			free(e->url);
			return KW_OK;
		}
	}
	s->n_urls++;
	return KW_OK;
}

/* Entries with the same URL (sorted next to each other) share the first
 * one's string: many Warehouses follow one repository. */
static void share_urls(struct snapshot *s)
{
	for (size_t i = 1; i < s->n_urls; i++)
		if (strcmp(s->urls[i].url, s->urls[i - 1].url) == 0) {
			if (s->urls[i].url != s->urls[i - 1].url)
				free(s->urls[i].url);
			s->urls[i].url = s->urls[i - 1].url;
		}
}

static int add_warehouses(struct snapshot *s, struct sel_table *t,
	struct diag_list *dl)
{
	for (size_t w = 0; w < s->objs->n_warehouses; w++) {
		const struct obj_warehouse *wh = objects_warehouse(s->objs, w);

		for (size_t i = 0; i < wh->n_subs; i++) {
			struct obj_subscription tmp; /* a packed one, unpacked */
			const struct obj_subscription *sub = objects_subscription(wh, i, &tmp);
			int rc;

			if (sub->repo_url == NULL)
				continue;
			rc = add_subscription(s, t, w, i, sub, dl);
			if (rc != KW_OK)
				return rc;
		}
	}
	return KW_OK;
}

/* sels was sized for one selection per subscription; there is one per
 * distinct selection, a few for 100,000 subscriptions. */
static void shrink_sels(struct snapshot *s)
{
	struct selector **v = realloc(s->sels, (s->n_sels + 1) * sizeof(*v));

	if (v != NULL)
		s->sels = v;
}

static int build_urls(struct snapshot *s, struct diag_list *dl)
{
	struct sel_table t = { 0 };
	size_t n = 0;
	int rc;

	if (s->objs->n_warehouses > UINT32_MAX)
		return KW_ENOMEM; /* url_entry's indexes */
	for (size_t w = 0; w < s->objs->n_warehouses; w++)
		n += objects_warehouse(s->objs, w)->n_subs;
	if (n > UINT32_MAX)
		return KW_ENOMEM;
	for (t.n_slots = 16; t.n_slots < 2 * n; t.n_slots *= 2)
		;
	strbuf_init(&t.key, (size_t)16 << 20);
	s->urls = calloc(n + 1, sizeof(*s->urls));
	s->sels = calloc(n + 1, sizeof(*s->sels));
	t.slots = calloc(t.n_slots, sizeof(*t.slots));
	rc = s->urls && s->sels && t.slots ? add_warehouses(s, &t, dl) : KW_ENOMEM;
	sel_table_free(&t);
	if (rc != KW_OK)
		return rc;
	qsort(s->urls, s->n_urls, sizeof(*s->urls), cmp_url);
	share_urls(s);
	shrink_sels(s);
	return KW_OK;
}

static int build_prs(struct snapshot *s)
{
	size_t n = 0;

	for (size_t p = 0; p < s->objs->n_promotions; p++)
		n += s->objs->promotions[p].n_pr_urls;
	s->prs = calloc(n + 1, sizeof(*s->prs));
	if (s->prs == NULL)
		return KW_ENOMEM;
	for (size_t p = 0; p < s->objs->n_promotions; p++) {
		const struct obj_promotion *pr = &s->objs->promotions[p];

		for (size_t i = 0; i < pr->n_pr_urls; i++)
			s->prs[s->n_prs++] = (struct pr_entry){ pr->pr_urls[i], p };
	}
	qsort(s->prs, s->n_prs, sizeof(*s->prs), cmp_pr);
	return KW_OK;
}

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n_receivers; i++)
		receiver_clear(&s->receivers[i]);
	for (size_t i = 0; i < s->n_urls; i++)
		if (i == 0 || s->urls[i].url != s->urls[i - 1].url)
			free(s->urls[i].url);
	for (size_t i = 0; i < s->n_sels; i++)
		selector_free(s->sels[i]);
	free(s->sels);
	free(s->receivers);
	free(s->paths);
	free(s->urls);
	free(s->prs);
	objects_free_set(s->objs);
	free(s);
}

static int snapshot_create(struct snapshot **out, struct obj_set *objs,
	const struct snapshot_options *opts, bool serve_broken,
	struct diag_list *dl)
{
	struct snapshot *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (s == NULL) {
		objects_free_set(objs);
		return KW_ENOMEM;
	}
	atomic_init(&s->refs, 1);
	s->objs = objs;
	s->serve_broken = serve_broken;
	rc = build_receivers(s, opts, dl);
	if (rc == KW_OK)
		rc = build_urls(s, dl);
	if (rc == KW_OK)
		rc = build_prs(s);
	if (rc == KW_OK && s->n_broken > 0 && !s->serve_broken)
		rc = KW_EINVAL; /* every broken selection was reported first */
	if (rc != KW_OK) {
		snapshot_free(s);
		return rc;
	}
	*out = s;
	return KW_OK;
}

int snapshot_new(struct snapshot **out, struct obj_set *objs,
	const struct snapshot_options *opts, struct diag_list *dl)
{
	return snapshot_create(out, objs, opts, false, dl);
}

int snapshot_new_serving_broken(struct snapshot **out, struct obj_set *objs,
	const struct snapshot_options *opts, struct diag_list *dl)
{
	return snapshot_create(out, objs, opts, true, dl);
}

size_t snapshot_unserved(const struct snapshot *s)
{
	return s->n_unserved;
}

/* snprintf at buf + used; the new length, kept below len. */
__attribute__((format(printf, 4, 5)))
static size_t text_append(char *buf, size_t len, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return used;
	return used + (size_t)n < len ? used + (size_t)n : len - 1;
}

void snapshot_warnings_text(const struct snapshot *s, char *buf, size_t len)
{
	const struct obj_set *o = s->objs;
	size_t used = 0, configured = 0;

	for (size_t i = 0; i < o->n_configs; i++)
		configured += o->configs[i].n_receivers;
	if (len == 0)
		return;
	buf[0] = '\0';
	if (configured == 0)
		used = text_append(buf, len, used, "no receivers configured");
	if (s->n_unserved > 0)
		used = text_append(buf, len, used, "%s%zu receiver(s) not served: their "
			"Secret or its key is missing", used ? "; " : "", s->n_unserved);
	if (s->n_broken > 0)
		used = text_append(buf, len, used, "%s%zu subscription(s) not served: "
			"their selection cannot be built (see the log)", used ? "; " : "",
			s->n_broken);
	if (o->n_unknown_kinds > 0)
		text_append(buf, len, used, "%s%zu object(s) of unknown kargo.akuity.io "
			"kinds skipped (first: %s)", used ? "; " : "", o->n_unknown_kinds,
			o->unknown_kind ? o->unknown_kind : "?");
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void snapshot_unref(struct snapshot *s)
{
	if (s != NULL && atomic_fetch_sub(&s->refs, 1) == 1)
		snapshot_free(s);
}

const struct obj_set *snapshot_objects(const struct snapshot *s)
{
	return s->objs;
}

const struct snap_receiver *snapshot_receivers(const struct snapshot *s,
	size_t *n)
{
	*n = s->n_receivers;
	return s->receivers;
}

const struct snap_receiver *snapshot_find_receiver(const struct snapshot *s,
	const char *path)
{
	struct path_entry key = { path, 0 };
	const struct path_entry *e;

	e = bsearch(&key, s->paths, s->n_paths, sizeof(*s->paths), cmp_path);
	return e ? &s->receivers[e->receiver] : NULL;
}

/* Index of the first entry whose url is >= url. */
static size_t url_lower_bound(const struct snapshot *s, const char *url)
{
	size_t lo = 0, hi = s->n_urls;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->urls[mid].url, url) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool in_scope(const struct snap_receiver *r, const char *namespace)
{
	return r->cluster || strcmp(namespace, r->project) == 0;
}

/* A growable list of indexes, sorted and made unique at the end. */
struct idx_list {
	size_t *v;
	size_t n, cap;
};

static int idx_push(struct idx_list *l, size_t i)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		size_t *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return KW_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = i;
	return KW_OK;
}

static void idx_finish(struct idx_list *l, size_t **out, size_t *n_out)
{
	size_t n = 0;

	if (l->n > 0)
		qsort(l->v, l->n, sizeof(*l->v), cmp_size);
	for (size_t i = 0; i < l->n; i++)
		if (n == 0 || l->v[n - 1] != l->v[i])
			l->v[n++] = l->v[i];
	*out = l->v;
	*n_out = n;
}

/* The first ref the subscription's selection takes, or NULL. */
static const char *refs_match(const struct url_entry *e, char *const *refs,
	size_t n_refs)
{
	for (size_t i = 0; i < n_refs; i++)
		if (selector_match(e->sel, refs[i], strlen(refs[i])))
			return refs[i];
	return NULL;
}

static void trace_one(const struct snapshot_trace *t,
	const struct obj_warehouse *wh, const char *url, bool chosen,
	const char *why, const char *ref)
{
	if (t != NULL)
		t->fn(t->arg, wh->namespace, wh->name, url, chosen, why, ref);
}

/* Why a Warehouse in scope was or was not chosen. */
static const char *trace_why(size_t n_refs, const char *ref, bool filtered)
{
	if (n_refs == 0)
		return "the event names no refs: every subscriber is refreshed";
	if (ref != NULL)
		return "a pushed ref matches a subscription's selection";
	return filtered ? "a pushed ref matches, but no changed path passes its "
		"includePaths/excludePaths" :
		"no pushed ref matches its subscriptions (branch, tag regexes, semver)";
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool chosen_before(const struct idx_list *l, size_t n_sorted, size_t w)
{
	return n_sorted > 0 && bsearch(&w, l->v, n_sorted, sizeof(*l->v), cmp_size) != NULL;
}

/*
 * One URL's Warehouses, as Kargo's shouldRefresh decides: each Warehouse's
 * subscriptions to this URL in order; the first that matches a ref (and,
 * when the push lists changed files, whose path filters let one through)
 * chooses it, a selection that cannot be built before that is an error. Warehouses
 * chosen through an earlier URL (the first n_sorted of l) are skipped.
 */
static int match_url(const struct snapshot *s, const struct snap_receiver *r,
	const char *url, const struct snapshot_push *push, struct idx_list *l,
	size_t n_sorted, const struct snapshot_trace *t)
{
	char *const *refs = push->refs;
	size_t n_refs = push->n_refs;

	size_t i = url_lower_bound(s, url);

	while (i < s->n_urls && strcmp(s->urls[i].url, url) == 0) {
		size_t w = s->urls[i].warehouse, end = i;
		const struct obj_warehouse *wh = objects_warehouse(s->objs, w);
		bool out = !in_scope(r, wh->namespace);
		bool skip = out || chosen_before(l, n_sorted, w);
		bool chosen = false, filtered = false;
		const char *ref = NULL;

		while (end < s->n_urls && s->urls[end].warehouse == w &&
		       strcmp(s->urls[end].url, url) == 0)
			end++;
		for (; !skip && !chosen && i < end; i++) {
			bool paths_ok;

			ref = n_refs == 0 ? NULL : refs_match(&s->urls[i], refs, n_refs);
			paths_ok = ref == NULL || push->n_paths == 0 ||
				selector_match_paths(s->urls[i].sel, push->paths, push->n_paths);
			chosen = n_refs == 0 || (ref != NULL && paths_ok);
			filtered = filtered || (ref != NULL && !paths_ok);
		}
		if (out)
			trace_one(t, wh, url, false, "another project's Warehouse", NULL);
		else if (!skip)
			trace_one(t, wh, url, chosen, trace_why(n_refs, chosen ? ref : NULL,
				filtered), chosen ? ref : NULL);
		if (chosen && idx_push(l, w) != KW_OK)
			return KW_ENOMEM;
		i = end;
	}
	return KW_OK;
}

int snapshot_match_warehouses(size_t **out, size_t *n_out,
	const struct snapshot *s, const struct snap_receiver *r,
	const struct snapshot_push *push)
{
	return snapshot_match_warehouses_traced(out, n_out, s, r, push, NULL);
}

int snapshot_match_warehouses_traced(size_t **out, size_t *n_out,
	const struct snapshot *s, const struct snap_receiver *r,
	const struct snapshot_push *push, const struct snapshot_trace *trace)
{
	char *const *urls = push->urls;
	size_t n_urls = push->n_urls;
	struct idx_list l = { 0 };
	char **sorted = calloc(n_urls + 1, sizeof(*sorted));
	int rc = sorted ? KW_OK : KW_ENOMEM;

	/* Kargo visits the repository URLs in sorted order. */
	if (sorted != NULL && n_urls > 0) {
		memcpy(sorted, urls, n_urls * sizeof(*sorted));
		qsort(sorted, n_urls, sizeof(*sorted), cmp_str_ptr);
	}
	for (size_t u = 0; u < n_urls && rc == KW_OK; u++) {
		/* Kargo drops duplicate and empty URLs. */
		if ((u > 0 && strcmp(sorted[u], sorted[u - 1]) == 0) ||
		    sorted[u][0] == '\0')
			continue;
		if (l.n > 0)
			qsort(l.v, l.n, sizeof(*l.v), cmp_size);
		rc = match_url(s, r, sorted[u], push, &l, l.n, trace);
	}
	free(sorted);
	if (rc != KW_OK) {
		free(l.v);
		*out = NULL;
		*n_out = 0;
		return rc;
	}
	idx_finish(&l, out, n_out);
	return KW_OK;
}

int snapshot_match_promotions(size_t **out, size_t *n_out,
	const struct snapshot *s, const struct snap_receiver *r,
	const char *url)
{
	struct pr_entry key = { url, 0 };
	struct idx_list l = { 0 };
	size_t lo = 0, hi = s->n_prs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_pr(&s->prs[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->n_prs && strcmp(s->prs[i].url, url) == 0; i++) {
		const struct obj_promotion *p = &s->objs->promotions[s->prs[i].promotion];

		if (!in_scope(r, p->namespace) || p->phase == NULL ||
		    strcmp(p->phase, "Running") != 0)
			continue;
		if (idx_push(&l, s->prs[i].promotion) != KW_OK) {
			free(l.v);
			return KW_ENOMEM;
		}
	}
	idx_finish(&l, out, n_out);
	return KW_OK;
}
