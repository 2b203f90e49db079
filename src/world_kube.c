/*
 * world_kube.c: the Kubernetes world (see world_kube.h). Threads here:
 * one per cache (kube_cache.c); one rebuild thread that turns cache
 * changes into a new snapshot at most every rebuild_interval and starts
 * or stops the Secret caches as receivers' namespaces come and go; a
 * pool of patch workers; the journal's writer. Request threads only read
 * the snapshot pointer and queue jobs.
 *
 * Coalescing: each object being refreshed has one patch record with the
 * jobs waiting for its NEXT send. A push joins the record's waiting list;
 * a worker takes the whole list when it starts sending, so every push is
 * covered by a patch that started after it arrived, and pushes that come
 * while a patch is in flight share the following one.
 */
#include "world_kube.h"

#include "journal.h"
#include "kube_cache.h"
#include "kw.h"
#include "log.h"
#include "manifest.h"
#include "objects.h"
#include "world.h"

#include <cjson/cJSON.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define KARGO_API "kargo.akuity.io/v1alpha1"
#define KARGO_PATH "/apis/" KARGO_API
#define PATCH_BODY_MAX 256

enum { C_WAREHOUSES = 0, C_PROJECTCONFIGS, C_PROMOTIONS, C_CLUSTERCONFIGS, C_COUNT };

static const struct {
	const char *resource, *kind;
} kargo_collections[C_COUNT] = {
	{ "warehouses", "Warehouse" },
	{ "projectconfigs", "ProjectConfig" },
	{ "promotions", "Promotion" },
	{ "clusterconfigs", "ClusterConfig" },
};

/* The Secrets of one namespace that holds receivers' Secrets. */
struct ns_cache {
	char *ns;
	struct kube_cache *cache;
	struct ns_cache *next;
};

/* A job waiting for its patches. */
struct kjob {
	struct world_job *job;
	size_t remaining;
	size_t n_failed;    /* refused (denied, missing, invalid) */
	size_t n_transient; /* failed for now (unreachable, 429, 5xx) */
};

struct waiter {
	struct kjob *kj;
	size_t target; /* its index in kj->job->targets */
	struct waiter *next;
};

/* One object's refresh: the jobs waiting for its next send. */
struct patch {
	char *path;
	char *label; /* "Warehouse ns/name" */
	char token[KW_TIME_SIZE];
	struct waiter *waiting;
	bool queued, in_flight;
	struct patch *hnext, *qnext;
};

#define PATCH_BUCKETS 1024

struct kube_world {
	struct world base;
	struct world_kube_options opts;
	struct kube_client *client;
	struct journal *journal;
	struct kube_cache *caches[C_COUNT];

	pthread_mutex_t ns_lock; /* guards namespaces and refs */
	struct ns_cache *namespaces;
	char **refs; /* "namespace/name" of every receiver's Secret */
	size_t n_refs;

	pthread_mutex_t snap_lock;
	struct snapshot *snap; /* NULL until the first sync */
	char why[256];         /* what readiness reports */
	char *last_diags;

	pthread_mutex_t rebuild_lock;
	pthread_cond_t rebuild_cond;
	bool dirty, stopping;
	pthread_t rebuilder;
	bool rebuilder_started;

	pthread_mutex_t patch_lock;
	pthread_cond_t patch_cond;
	struct patch *buckets[PATCH_BUCKETS];
	struct patch *qhead, *qtail;
	size_t jobs; /* jobs waiting for patches */
	bool cancelled, workers_stop;
	pthread_t *workers;
	size_t n_workers;
	atomic_bool stop_caches;
};

static struct kube_world *from_world(struct world *w)
{
	return (struct kube_world *)w;
}

/* --- what the configs in the shared objects refer to --- */

/* Every namespace whose Secrets receivers use: the ProjectConfigs' and
 * the system namespace (the ClusterConfig's). Sorted, unique. */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* The "namespace/name" of every receiver's Secret in v's configs. */
static int secret_refs(char ***out, size_t *n_out, struct obj_shared *const *v,
	size_t n, const char *system_ns)
{
	size_t cap = 0, k = 0;
	char **refs;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < objects_shared_set(v[i])->n_configs; j++)
			cap += objects_shared_set(v[i])->configs[j].n_receivers;
	refs = calloc(cap + 1, sizeof(*refs));
	if (refs == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < objects_shared_set(v[i])->n_configs; j++) {
			const struct obj_config *c = &objects_shared_set(v[i])->configs[j];
			const char *ns = c->cluster ? system_ns : c->namespace;

			for (size_t r = 0; r < c->n_receivers; r++) {
				size_t len;

				if (c->receivers[r].secret_name == NULL || ns == NULL)
					continue;
				len = strlen(ns) + strlen(c->receivers[r].secret_name) + 2;
				if ((refs[k] = malloc(len)) == NULL) {
					/* a dropped reference would 404 its receiver:
					 * keep the old sources instead */
					free_strings(refs, k);
					return KW_ENOMEM;
				}
				snprintf(refs[k++], len, "%s/%s", ns, c->receivers[r].secret_name);
			}
		}
	qsort(refs, k, sizeof(*refs), cmp_str);
	*out = refs;
	*n_out = k;
	return KW_OK;
}

/* The namespaces to read Secrets from: the ProjectConfigs' own and the
 * system namespace, in *out (malloc'd, as many as there are). Sorted,
 * unique; strings borrowed from v and system_ns. KW_OK or KW_ENOMEM. */
static int secret_namespaces(const char ***out, size_t *n_out,
	struct obj_shared *const *v, size_t n, const char *system_ns)
{
	size_t k = 0, u = 0, cap = 1;
	const char **nss;

	for (size_t i = 0; i < n; i++)
		cap += objects_shared_set(v[i])->n_configs;
	if ((nss = malloc(cap * sizeof(*nss))) == NULL)
		return KW_ENOMEM;
	nss[k++] = system_ns;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < objects_shared_set(v[i])->n_configs; j++)
			if (!objects_shared_set(v[i])->configs[j].cluster && objects_shared_set(v[i])->configs[j].namespace)
				nss[k++] = objects_shared_set(v[i])->configs[j].namespace;
	qsort(nss, k, sizeof(*nss), cmp_str);
	for (size_t i = 0; i < k; i++)
		if (u == 0 || strcmp(nss[u - 1], nss[i]) != 0)
			nss[u++] = nss[i];
	*out = nss;
	*n_out = u;
	return KW_OK;
}

/* --- one-shot reads (the read-only commands) --- */

static const char *meta_string(const struct cJSON *obj, const char *field)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, field);

	return cJSON_IsString(v) ? v->valuestring : "";
}

struct load_ctx {
	struct obj_shared **v;
	size_t n, cap;
	const char *api_version, *kind;
	bool keep;
	struct diag_list *dl;
	int rc;
};

static int load_item(void *arg, const struct cJSON *item);

static int load_collection(struct kube_client *c, const char *path,
	struct load_ctx *lc, struct kube_response *resp)
{
	char *rv = NULL;
	int rc = kube_list(c, path, KUBE_LIST_LIMIT, load_item, lc, &rv, resp);

	free(rv);
	return rc != KW_OK ? rc : lc->rc;
}

/* Secrets of one namespace: listed, or one GET per referenced name when
 * listing is forbidden. */
static int load_secrets(struct kube_client *c, const char *ns,
	char *const *refs, size_t n_refs, struct load_ctx *lc,
	struct kube_response *resp)
{
	char path[600];
	size_t nslen = strlen(ns);
	int rc;

	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", ns);
	lc->api_version = "v1";
	lc->kind = "Secret";
	rc = load_collection(c, path, lc, resp);
	if (rc == KW_OK || resp->status != 403)
		return rc;
	for (size_t i = 0; i < n_refs; i++) {
		char one[1200];
		struct cJSON *obj;

		if (strncmp(refs[i], ns, nslen) != 0 || refs[i][nslen] != '/')
			continue;
		snprintf(one, sizeof(one), "%s/%s", path, refs[i] + nslen + 1);
		kube_response_clear(resp);
		if (kube_request(c, "GET", one, NULL, NULL, 0, resp) != KW_OK ||
		    (resp->status != 200 && resp->status != 404))
			return KW_EIO;
		if (resp->status == 200 && (obj = cJSON_Parse(resp->body)) != NULL) {
			load_item(lc, obj);
			cJSON_Delete(obj);
		}
	}
	kube_response_clear(resp);
	return lc->rc;
}

static int load_all(struct kube_client *c, const struct world_kube_options *o,
	struct load_ctx *lc, struct kube_response *resp)
{
	const char **nss = NULL;
	char **refs = NULL;
	size_t n_refs = 0, n_ns = 0, n_configs;
	int rc = KW_OK;

	for (int i = 0; i < C_COUNT && rc == KW_OK; i++) {
		char path[128];

		snprintf(path, sizeof(path), KARGO_PATH "/%s", kargo_collections[i].resource);
		lc->api_version = KARGO_API;
		lc->kind = kargo_collections[i].kind;
		rc = load_collection(c, path, lc, resp);
	}
	if (rc != KW_OK)
		return rc;
	n_configs = lc->n;
	rc = secret_refs(&refs, &n_refs, lc->v, n_configs, o->snap.system_namespace);
	if (rc == KW_OK)
		rc = secret_namespaces(&nss, &n_ns, lc->v, n_configs, o->snap.system_namespace);
	for (size_t i = 0; i < n_ns && rc == KW_OK; i++)
		rc = load_secrets(c, nss[i], refs, n_refs, lc, resp);
	free(nss);
	free_strings(refs, n_refs);
	return rc;
}

int world_kube_load(struct obj_set **out, const struct world_kube_options *opts,
	bool keep_objects, struct diag_list *dl, struct kw_err *err)
{
	struct kube_response resp = { 0 };
	struct load_ctx lc = { .keep = keep_objects, .dl = dl };
	struct kube_client *c = NULL;
	int rc;

	*out = NULL;
	rc = kube_client_new(&c, opts->config, &opts->client, err);
	if (rc != KW_OK)
		return rc;
	rc = load_all(c, opts, &lc, &resp);
	if (rc != KW_OK) {
		kw_errf(err, rc, "%s: %ld %s %s", opts->config->server, resp.status,
			resp.reason, resp.message);
		objects_shared_unref_all(lc.v, lc.n);
	} else {
		rc = objects_set_from_shared(out, lc.v, lc.n);
	}
	kube_response_clear(&resp);
	kube_client_free(c);
	return rc;
}

static int load_item(void *arg, const struct cJSON *item)
{
	struct load_ctx *lc = arg;
	struct obj_shared *sh;
	char err[512];

	if (lc->n == lc->cap) {
		size_t cap = lc->cap ? lc->cap * 2 : 256;
		struct obj_shared **v = realloc(lc->v, cap * sizeof(*v));

		if (v == NULL)
			return lc->rc = KW_ENOMEM;
		lc->v = v;
		lc->cap = cap;
	}
	sh = kube_cache_decode(item, lc->api_version, lc->kind, lc->keep, false, err,
		sizeof(err));
	if (sh == NULL)
		diag_add(lc->dl, DIAG_ERROR, lc->kind, 0, 0, NULL, "%s %s/%s: %s", lc->kind,
			meta_string(item, "namespace"), meta_string(item, "name"), err);
	else
		lc->v[lc->n++] = sh;
	return KW_OK;
}

/* --- the live world: caches and snapshot rebuilds --- */

static void mark_dirty(void *arg)
{
	struct kube_world *w = arg;

	pthread_mutex_lock(&w->rebuild_lock);
	w->dirty = true;
	pthread_cond_signal(&w->rebuild_cond);
	pthread_mutex_unlock(&w->rebuild_lock);
}

/* For a Secrets cache that may not list: the referenced names in its
 * namespace (path is ".../namespaces/NS/secrets"), all of them. */
static size_t secret_names(void *arg, const char *path, char ***out)
{
	struct kube_world *w = arg;
	const char *ns = strstr(path, "/namespaces/");
	size_t nslen, k = 0;
	char **names;

	*out = NULL;
	if (ns == NULL)
		return 0;
	ns += strlen("/namespaces/");
	nslen = strcspn(ns, "/");
	pthread_mutex_lock(&w->ns_lock);
	names = calloc(w->n_refs + 1, sizeof(*names));
	for (size_t i = 0; names != NULL && i < w->n_refs; i++)
		if (strncmp(w->refs[i], ns, nslen) == 0 && w->refs[i][nslen] == '/')
			if ((names[k] = strdup(w->refs[i] + nslen + 1)) != NULL)
				k++;
	pthread_mutex_unlock(&w->ns_lock);
	*out = names;
	return k;
}

/* For a Secrets cache: whether a receiver names the Secret at key
 * ("namespace/name"); the others are not decoded (kube_cache.h). */
static bool secret_wanted(void *arg, const char *key)
{
	struct kube_world *w = arg;
	bool found;

	pthread_mutex_lock(&w->ns_lock);
	found = w->n_refs > 0 &&
		bsearch(&key, w->refs, w->n_refs, sizeof(*w->refs), cmp_str) != NULL;
	pthread_mutex_unlock(&w->ns_lock);
	return found;
}

static struct ns_cache *ns_cache_start(struct kube_world *w, const char *ns)
{
	struct ns_cache *nc = calloc(1, sizeof(*nc));
	char path[600], label[600];
	struct kube_cache_options co = {
		.path = path, .api_version = "v1", .kind = "Secret", .label = label,
		.changed = mark_dirty, .arg = w, .names = secret_names, .get_ttl = 2,
		.wanted = secret_wanted,
	};

	if (nc == NULL || (nc->ns = strdup(ns)) == NULL) {
		free(nc);
		return NULL;
	}
	snprintf(path, sizeof(path), "/api/v1/namespaces/%s/secrets", ns);
	snprintf(label, sizeof(label), "secrets in %s", ns);
	if (kube_cache_start(&nc->cache, w->client, &co) != KW_OK) {
		free(nc->ns);
		free(nc);
		return NULL;
	}
	return nc;
}

static void ns_cache_stop(struct ns_cache *nc)
{
	kube_cache_stop(nc->cache);
	free(nc->ns);
	free(nc);
}

/* Starts a Secrets cache for each namespace in nss not yet watched and
 * stops those no longer needed (outside the lock: stopping waits for the
 * thread). */
static void reconcile_namespaces(struct kube_world *w, const char **nss, size_t n)
{
	struct ns_cache *keep = NULL, *drop = NULL, *nc, *next;

	pthread_mutex_lock(&w->ns_lock);
	for (nc = w->namespaces; nc != NULL; nc = next) {
		const char *key = nc->ns;

		next = nc->next;
		if (bsearch(&key, nss, n, sizeof(*nss), cmp_str) != NULL) {
			nc->next = keep;
			keep = nc;
		} else {
			nc->next = drop;
			drop = nc;
		}
	}
	w->namespaces = keep;
	for (size_t i = 0; i < n; i++) {
		bool have = false;

		for (nc = w->namespaces; nc != NULL && !have; nc = nc->next)
			have = strcmp(nc->ns, nss[i]) == 0;
		if (!have && (nc = ns_cache_start(w, nss[i])) != NULL) {
			nc->next = w->namespaces;
			w->namespaces = nc;
		}
	}
	pthread_mutex_unlock(&w->ns_lock);
	for (nc = drop; nc != NULL; nc = nc->next)
		kube_cache_signal_stop(nc->cache);
	for (nc = drop; nc != NULL; nc = next) {
		next = nc->next;
		ns_cache_stop(nc);
	}
}

/* Names what has not synced yet into why; true when everything has. */
static bool all_synced(struct kube_world *w, char *why, size_t len)
{
	size_t used = 0;

	why[0] = '\0';
	for (int i = 0; i < C_COUNT; i++)
		if (!kube_cache_synced(w->caches[i]))
			used += (size_t)snprintf(why + used, used < len ? len - used : 0,
				"%s%s", used ? ", " : "caches not synced yet: ",
				kargo_collections[i].resource);
	pthread_mutex_lock(&w->ns_lock);
	for (struct ns_cache *nc = w->namespaces; nc != NULL; nc = nc->next)
		if (!kube_cache_synced(nc->cache))
			used += (size_t)snprintf(why + used, used < len ? len - used : 0,
				"%ssecrets in %s", used ? ", " : "caches not synced yet: ", nc->ns);
	pthread_mutex_unlock(&w->ns_lock);
	return used == 0;
}

/* Logs the snapshot's problems when they differ from the last ones. */
static void log_snapshot_diags(struct kube_world *w, const struct diag_list *dl)
{
	size_t len = 1;
	char *all, *p;

	for (size_t i = 0; i < dl->n; i++)
		len += strlen(dl->items[i].message) + 1;
	if ((p = all = malloc(len)) == NULL)
		return;
	for (size_t i = 0; i < dl->n; i++)
		p += sprintf(p, "%s\n", dl->items[i].message);
	*p = '\0';
	if (w->last_diags == NULL || strcmp(all, w->last_diags) != 0) {
		for (size_t i = 0; i < dl->n; i++)
			log_kv(dl->items[i].severity == DIAG_ERROR ? LOG_ERROR : LOG_WARN,
				"configuration problem", "key", dl->items[i].key,
				"problem", dl->items[i].message, NULL);
		free(w->last_diags);
		w->last_diags = all;
	} else {
		free(all);
	}
}

static int collect(struct kube_world *w, int which, struct obj_shared ***v,
	size_t *n, size_t *cap)
{
	return kube_cache_collect(w->caches[which], v, n, cap);
}

/* Tells the running Secrets caches of each reference not in old[0..n_old)
 * (both sorted) that it is wanted now: one kept as a stub is fetched.
 * ns_lock held. */
static void want_new_refs(struct kube_world *w, char *const *old, size_t n_old)
{
	size_t j = 0;

	for (size_t i = 0; i < w->n_refs; i++) {
		const char *ref = w->refs[i];
		size_t nslen = strcspn(ref, "/");

		while (j < n_old && strcmp(old[j], ref) < 0)
			j++;
		if (j < n_old && strcmp(old[j], ref) == 0)
			continue;
		for (struct ns_cache *nc = w->namespaces; nc != NULL; nc = nc->next)
			if (strlen(nc->ns) == nslen && strncmp(nc->ns, ref, nslen) == 0)
				kube_cache_want(nc->cache, ref);
	}
}

/* Receivers' Secrets: where they are and which they are. */
static void update_secret_sources(struct kube_world *w,
	struct obj_shared *const *v, size_t n)
{
	const char **nss = NULL;
	char **refs = NULL, **old;
	size_t n_refs = 0, n_old, n_ns = 0;

	if (secret_namespaces(&nss, &n_ns, v, n, w->opts.snap.system_namespace) != KW_OK)
		return;
	if (secret_refs(&refs, &n_refs, v, n, w->opts.snap.system_namespace) != KW_OK) {
		free(nss);
		return;
	}
	pthread_mutex_lock(&w->ns_lock);
	old = w->refs;
	n_old = w->n_refs;
	w->refs = refs;
	w->n_refs = n_refs;
	want_new_refs(w, old, n_old);
	pthread_mutex_unlock(&w->ns_lock);
	free_strings(old, n_old);
	/* caches started here list with the new references already */
	reconcile_namespaces(w, nss, n_ns);
	free(nss);
}

static void swap_snapshot(struct kube_world *w, struct snapshot *s)
{
	struct snapshot *old;

	pthread_mutex_lock(&w->snap_lock);
	old = w->snap;
	w->snap = s;
	w->why[0] = '\0';
	pthread_mutex_unlock(&w->snap_lock);
	if (old == NULL)
		log_kv(LOG_INFO, "caches synced; serving", NULL);
	snapshot_unref(old);
	/* A rebuild frees as much as it allocated: hand it back to the
	 * system, or the peak of two snapshots stays in the RSS. */
	malloc_trim(0);
}

/* One rebuild: the Secret sources follow the configs, then (once every
 * cache has synced) a new snapshot from shallow copies of the cached
 * objects. */
static void rebuild(struct kube_world *w)
{
	struct obj_shared **v = NULL;
	struct diag_list dl = { 0 };
	struct snapshot *s = NULL;
	struct obj_set *set = NULL;
	size_t n = 0, cap = 0;
	char why[256] = "";
	double t0 = kw_monotonic();
	bool configs_synced;
	int rc;

	/* Read before the configs are collected: a cache that synced between
	 * its collect and all_synced() would pass with its objects missing
	 * from v, and that first snapshot would serve none of its receivers
	 * (404), nor would the next (their Secrets caches just started). */
	configs_synced = kube_cache_synced(w->caches[C_PROJECTCONFIGS]) &&
		kube_cache_synced(w->caches[C_CLUSTERCONFIGS]);
	rc = collect(w, C_PROJECTCONFIGS, &v, &n, &cap);
	if (rc == KW_OK)
		rc = collect(w, C_CLUSTERCONFIGS, &v, &n, &cap);
	if (rc == KW_OK)
		update_secret_sources(w, v, n);
	pthread_mutex_lock(&w->snap_lock);
	rc = rc == KW_OK && (w->snap != NULL ||
		(all_synced(w, why, sizeof(why)) && configs_synced)) ? KW_OK : KW_EBUSY;
	if (rc == KW_EBUSY)
		snprintf(w->why, sizeof(w->why), "%s", why);
	pthread_mutex_unlock(&w->snap_lock);
	if (rc == KW_OK)
		rc = collect(w, C_WAREHOUSES, &v, &n, &cap);
	if (rc == KW_OK)
		rc = collect(w, C_PROMOTIONS, &v, &n, &cap);
	pthread_mutex_lock(&w->ns_lock);
	for (struct ns_cache *nc = w->namespaces; nc != NULL && rc == KW_OK; nc = nc->next)
		rc = kube_cache_collect(nc->cache, &v, &n, &cap);
	pthread_mutex_unlock(&w->ns_lock);
	if (rc != KW_OK) {
		objects_shared_unref_all(v, n);
		return;
	}
	rc = objects_set_from_shared(&set, v, n);
	if (rc == KW_OK)
		/* one user's broken Warehouse freezes nobody's snapshot */
		rc = snapshot_new_serving_broken(&s, set, &w->opts.snap, &dl);
	log_snapshot_diags(w, &dl);
	diag_clear(&dl);
	if (rc != KW_OK) { /* say why, rather than "not synced", until one is built */
		pthread_mutex_lock(&w->snap_lock);
		snprintf(w->why, sizeof(w->why), "the snapshot cannot be built (see the log)");
		pthread_mutex_unlock(&w->snap_lock);
	} else {
		char ms[32], count[32];

		swap_snapshot(w, s);
		snprintf(ms, sizeof(ms), "%.1f", (kw_monotonic() - t0) * 1000);
		snprintf(count, sizeof(count), "%zu", n);
		log_kv(LOG_DEBUG, "snapshot rebuilt", "objects", count, "ms", ms, NULL);
	}
}

static void *rebuild_main(void *arg)
{
	struct kube_world *w = arg;
	double interval = w->opts.rebuild_interval > 0 ? w->opts.rebuild_interval : 0.15;

	for (;;) {
		pthread_mutex_lock(&w->rebuild_lock);
		while (!w->dirty && !w->stopping)
			pthread_cond_wait(&w->rebuild_cond, &w->rebuild_lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->rebuild_lock);
			break;
		}
		w->dirty = false;
		pthread_mutex_unlock(&w->rebuild_lock);
		rebuild(w);
		/* Changes that come meanwhile wait for the next rebuild: a
		 * storm of watch events costs one rebuild per interval. */
		usleep((useconds_t)(interval * 1e6));
	}
	return NULL;
}

/* --- refreshes: coalesced merge patches --- */

static struct patch **patch_slot(struct kube_world *w, const char *path)
{
	struct patch **p = &w->buckets[kw_fnv1a(KW_FNV1A_INIT, path, strlen(path)) % PATCH_BUCKETS];

	while (*p != NULL && strcmp((*p)->path, path) != 0)
		p = &(*p)->hnext;
	return p;
}

static void patch_free(struct patch *p)
{
	free(p->path);
	free(p->label);
	free(p);
}

/* The patch record of one target, made when missing (patch_lock held). */
static struct patch *patch_for(struct kube_world *w, const struct refresh_target *t)
{
	bool promotion = strcmp(t->kind, "Promotion") == 0;
	char path[1024], label[600];
	struct patch **slot, *p;

	snprintf(path, sizeof(path), KARGO_PATH "/namespaces/%s/%s/%s", t->namespace,
		promotion ? "promotions" : "warehouses", t->name);
	slot = patch_slot(w, path);
	if (*slot != NULL)
		return *slot;
	snprintf(label, sizeof(label), "%s %s/%s", t->kind, t->namespace, t->name);
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->path = strdup(path)) == NULL ||
	    (p->label = strdup(label)) == NULL) {
		if (p != NULL)
			patch_free(p);
		return NULL;
	}
	*slot = p;
	return p;
}

static void queue_patch(struct kube_world *w, struct patch *p)
{
	p->queued = true;
	p->qnext = NULL;
	if (w->qtail != NULL)
		w->qtail->qnext = p;
	else
		w->qhead = p;
	w->qtail = p;
	pthread_cond_signal(&w->patch_cond);
}

/* A job whose every patch has an outcome: a transient failure answers 503
 * (Bitbucket retries), a denied or missing object 500; success goes to the
 * journal, which calls done once the delivery is written. */
static void job_finished(struct kube_world *w, struct kjob *kj)
{
	struct world_job *job = kj->job;

	/* every failed target counts; any transient one makes it a 503 */
	job->n_failed = kj->n_failed + kj->n_transient;
	job->status = kj->n_transient > 0 ? KW_EIO : KW_OK;
	free(kj);
	pthread_mutex_lock(&w->patch_lock);
	w->jobs--;
	pthread_mutex_unlock(&w->patch_lock);
	if (job->status == KW_OK && job->n_failed == 0) {
		if (journal_submit(w->journal, job) == KW_OK)
			return;
		/* refreshed, but a redelivery of it will not be recognised */
		log_kv(LOG_WARN, "refreshed; the delivery is not recorded (journal full or "
			"closing)", "receiver", job->delivery.receiver, "request_id",
			job->delivery.request_id, NULL);
	}
	job->done(job);
}

/* Sends one merge patch. 0: refreshed; 1: transient failure (unreachable,
 * timeout, 429, 5xx); 2: refused (denied, not found, invalid). */
static int send_patch(struct kube_world *w, const struct patch *p,
	const char *token, char *why, size_t why_len)
{
	struct kube_response resp = { 0 };
	char body[PATCH_BODY_MAX], status[16];
	int rc, outcome;

	snprintf(body, sizeof(body),
		"{\"metadata\":{\"annotations\":{\"kargo.akuity.io/refresh\":\"%s\"}}}", token);
	rc = kube_request(w->client, "PATCH", p->path, "application/merge-patch+json",
		body, strlen(body), &resp);
	if (rc == KW_OK && resp.status >= 200 && resp.status < 300)
		outcome = 0;
	else if (rc != KW_OK || resp.status == 429 || resp.status >= 500 ||
		 resp.status == 401 || resp.status == 408)
		outcome = 1;
	else
		outcome = 2;
	if (outcome != 0) {
		snprintf(status, sizeof(status), "%ld", resp.status);
		snprintf(why, why_len, "%s: %ld %s", p->label, resp.status,
			resp.reason[0] ? resp.reason : resp.message);
		log_kv(LOG_WARN, "failed to refresh", "object", p->label, "status", status,
			"reason", resp.reason, "message", resp.message, NULL);
	}
	kube_response_clear(&resp);
	return outcome;
}

/* Records one patch's outcome in each waiting job; finishes the jobs that
 * have all their outcomes. */
static void patch_done(struct kube_world *w, struct waiter *sent, int outcome,
	const char *why)
{
	struct waiter *next;

	for (struct waiter *wt = sent; wt != NULL; wt = next) {
		struct kjob *kj = wt->kj;
		size_t target = wt->target;
		bool last;

		next = wt->next;
		free(wt);
		pthread_mutex_lock(&w->patch_lock);
		if (kj->job->target_failed != NULL && outcome != 0)
			kj->job->target_failed[target] = true;
		kj->n_transient += outcome == 1;
		kj->n_failed += outcome == 2;
		if (outcome != 0 && kj->job->failed[0] == '\0')
			snprintf(kj->job->failed, sizeof(kj->job->failed), "%s", why);
		last = --kj->remaining == 0;
		pthread_mutex_unlock(&w->patch_lock);
		if (last)
			job_finished(w, kj);
	}
}

static void *patch_main(void *arg)
{
	struct kube_world *w = arg;

	for (;;) {
		struct waiter *sent, *orphans = NULL;
		struct patch *p;
		char token[KW_TIME_SIZE], why[1200] = "";
		int outcome;

		pthread_mutex_lock(&w->patch_lock);
		while (w->qhead == NULL && !w->workers_stop)
			pthread_cond_wait(&w->patch_cond, &w->patch_lock);
		if (w->qhead == NULL) {
			pthread_mutex_unlock(&w->patch_lock);
			break;
		}
		p = w->qhead;
		w->qhead = p->qnext;
		if (w->qhead == NULL)
			w->qtail = NULL;
		p->queued = false;
		p->in_flight = true;
		sent = p->waiting;
		p->waiting = NULL;
		memcpy(token, p->token, sizeof(token));
		pthread_mutex_unlock(&w->patch_lock);

		outcome = send_patch(w, p, token, why, sizeof(why));

		pthread_mutex_lock(&w->patch_lock);
		p->in_flight = false;
		if (p->waiting != NULL && !w->cancelled) {
			queue_patch(w, p); /* pushes that came while it was in flight */
		} else {
			/* Done; when shutting down, jobs that joined while it
			 * was in flight get no new patch but a 503 (kube_cancel
			 * fails them, or this if it came first). */
			orphans = p->waiting;
			p->waiting = NULL;
			*patch_slot(w, p->path) = p->hnext;
			patch_free(p);
		}
		pthread_mutex_unlock(&w->patch_lock);
		patch_done(w, sent, outcome, why);
		patch_done(w, orphans, 1, "shutting down");
	}
	return NULL;
}

/* Adds the job to each target's next patch (patch_lock held). Returns
 * how many targets could not be queued (out of memory). */
static size_t attach_job(struct kube_world *w, struct kjob *kj)
{
	const struct world_job *job = kj->job;
	size_t lost = 0;

	for (size_t i = 0; i < job->n_targets; i++) {
		struct patch *p = patch_for(w, &job->targets[i]);
		struct waiter *wt = p ? malloc(sizeof(*wt)) : NULL;

		if (wt == NULL) {
			if (job->target_failed != NULL)
				job->target_failed[i] = true;
			lost++;
			continue;
		}
		wt->kj = kj;
		wt->target = i;
		wt->next = p->waiting;
		p->waiting = wt;
		snprintf(p->token, sizeof(p->token), "%s", job->token);
		if (!p->queued && !p->in_flight)
			queue_patch(w, p);
	}
	return lost;
}

static int kube_submit(struct world *ww, struct world_job *job)
{
	struct kube_world *w = from_world(ww);
	struct kjob *kj = calloc(1, sizeof(*kj));
	size_t lost;
	bool last;

	if (kj == NULL)
		return KW_EBUSY;
	kj->job = job;
	job->failed[0] = '\0';
	pthread_mutex_lock(&w->patch_lock);
	if (w->cancelled || w->jobs >= w->opts.queue_max) {
		pthread_mutex_unlock(&w->patch_lock);
		free(kj);
		return KW_EBUSY;
	}
	w->jobs++;
	/* One extra count keeps the job alive until every target is attached:
	 * a fast worker could otherwise finish it halfway. */
	kj->remaining = job->n_targets + 1;
	lost = attach_job(w, kj);
	kj->remaining -= lost;
	kj->n_transient = lost;
	last = --kj->remaining == 0;
	pthread_mutex_unlock(&w->patch_lock);
	if (last)
		job_finished(w, kj);
	return KW_OK;
}

/* --- world_ops --- */

static struct snapshot *kube_snapshot(struct world *ww)
{
	struct kube_world *w = from_world(ww);
	struct snapshot *s;

	pthread_mutex_lock(&w->snap_lock);
	s = w->snap ? snapshot_ref(w->snap) : NULL;
	pthread_mutex_unlock(&w->snap_lock);
	return s;
}

static void kube_log_delivery(struct world *ww, const struct delivery_rec *d)
{
	journal_log_delivery(from_world(ww)->journal, d);
}

static int kube_find_delivery(struct world *ww, const char *receiver,
	const char *request_id, int *status, char *answer, size_t answer_len)
{
	return journal_find_delivery(from_world(ww)->journal, receiver,
		request_id, status, answer, answer_len);
}

/* The caches follow the API server; there is nothing to reload. */
static int kube_reload(struct world *ww)
{
	mark_dirty(from_world(ww));
	return KW_OK;
}

static bool kube_ready(struct world *ww, char *why, size_t why_len)
{
	struct kube_world *w = from_world(ww);
	bool synced;

	pthread_mutex_lock(&w->snap_lock);
	synced = w->snap != NULL;
	if (synced) /* served with warnings: named, still ready */
		snapshot_warnings_text(w->snap, why, why_len);
	else
		snprintf(why, why_len, "%s", w->why[0] ? w->why : "caches not synced yet");
	pthread_mutex_unlock(&w->snap_lock);
	if (synced && !journal_writable(w->journal)) {
		snprintf(why, why_len, "state database is not writable");
		return false;
	}
	return synced;
}

/* The jobs waiting for the next send of records now in flight, as one
 * list (taken off the records): at shutdown they must not start a new
 * patch. */
static struct waiter *take_waiting_in_flight(struct kube_world *w)
{
	struct waiter *all = NULL;

	pthread_mutex_lock(&w->patch_lock);
	for (size_t i = 0; i < PATCH_BUCKETS; i++)
		for (struct patch *p = w->buckets[i]; p != NULL; p = p->hnext) {
			struct waiter *last = p->waiting;

			if (!p->in_flight || last == NULL)
				continue;
			while (last->next != NULL)
				last = last->next;
			last->next = all;
			all = p->waiting;
			p->waiting = NULL;
		}
	pthread_mutex_unlock(&w->patch_lock);
	return all;
}

/* Jobs whose patches have not started fail at once (503, retried by the
 * sender), also those waiting behind a patch in flight; patches in flight
 * finish within the call timeout. */
static void kube_cancel(struct world *ww)
{
	struct kube_world *w = from_world(ww);
	struct patch *queued;

	pthread_mutex_lock(&w->patch_lock);
	w->cancelled = true;
	queued = w->qhead;
	w->qhead = w->qtail = NULL;
	pthread_mutex_unlock(&w->patch_lock);
	while (queued != NULL) {
		struct patch *p = queued;
		struct waiter *sent;

		pthread_mutex_lock(&w->patch_lock);
		queued = p->qnext;
		p->queued = false;
		sent = p->waiting;
		p->waiting = NULL;
		if (!p->in_flight) {
			*patch_slot(w, p->path) = p->hnext;
			patch_free(p);
			p = NULL;
		}
		pthread_mutex_unlock(&w->patch_lock);
		patch_done(w, sent, 1, "shutting down");
	}
	patch_done(w, take_waiting_in_flight(w), 1, "shutting down");
	journal_cancel(w->journal);
}

static void stop_threads(struct kube_world *w)
{
	pthread_mutex_lock(&w->patch_lock);
	w->workers_stop = true;
	pthread_cond_broadcast(&w->patch_cond);
	pthread_mutex_unlock(&w->patch_lock);
	for (size_t i = 0; i < w->n_workers; i++)
		pthread_join(w->workers[i], NULL);
	pthread_mutex_lock(&w->rebuild_lock);
	w->stopping = true;
	pthread_cond_signal(&w->rebuild_cond);
	pthread_mutex_unlock(&w->rebuild_lock);
	if (w->rebuilder_started)
		pthread_join(w->rebuilder, NULL);
}

static void kube_free(struct world *ww)
{
	struct kube_world *w = from_world(ww);

	/* every cache is told first, then each is waited for: they wind
	 * down together (about a second) rather than one after another */
	for (int i = 0; i < C_COUNT; i++)
		kube_cache_signal_stop(w->caches[i]);
	pthread_mutex_lock(&w->ns_lock);
	for (struct ns_cache *nc = w->namespaces; nc != NULL; nc = nc->next)
		kube_cache_signal_stop(nc->cache);
	pthread_mutex_unlock(&w->ns_lock);
	stop_threads(w);
	for (int i = 0; i < C_COUNT; i++)
		kube_cache_stop(w->caches[i]);
	while (w->namespaces != NULL) {
		struct ns_cache *nc = w->namespaces;

		w->namespaces = nc->next;
		ns_cache_stop(nc);
	}
	for (size_t i = 0; i < PATCH_BUCKETS; i++)
		while (w->buckets[i] != NULL) {
			struct patch *p = w->buckets[i];

			w->buckets[i] = p->hnext;
			patch_free(p);
		}
	journal_close(w->journal);
	snapshot_unref(w->snap);
	free_strings(w->refs, w->n_refs);
	free(w->last_diags);
	free(w->workers);
	kube_client_free(w->client);
	pthread_mutex_destroy(&w->ns_lock);
	pthread_mutex_destroy(&w->snap_lock);
	pthread_mutex_destroy(&w->rebuild_lock);
	pthread_cond_destroy(&w->rebuild_cond);
	pthread_mutex_destroy(&w->patch_lock);
	pthread_cond_destroy(&w->patch_cond);
	free(w);
}

static const struct world_ops kube_ops = {
	.snapshot = kube_snapshot,
	.submit = kube_submit,
	.log_delivery = kube_log_delivery,
	.find_delivery = kube_find_delivery,
	.reload = kube_reload,
	.ready = kube_ready,
	.cancel = kube_cancel,
	.free = kube_free,
};

static int start_caches(struct kube_world *w)
{
	for (int i = 0; i < C_COUNT; i++) {
		char path[128];
		struct kube_cache_options co = {
			.path = path, .api_version = KARGO_API,
			.kind = kargo_collections[i].kind,
			.label = kargo_collections[i].resource,
			.changed = mark_dirty, .arg = w,
		};

		snprintf(path, sizeof(path), KARGO_PATH "/%s", kargo_collections[i].resource);
		if (kube_cache_start(&w->caches[i], w->client, &co) != KW_OK)
			return KW_ENOMEM;
	}
	return KW_OK;
}

static int start_threads(struct kube_world *w, struct kw_err *err)
{
	size_t n = w->opts.patch_workers ? w->opts.patch_workers : 8;

	w->workers = calloc(n, sizeof(*w->workers));
	if (w->workers == NULL)
		return KW_ENOMEM;
	for (; w->n_workers < n; w->n_workers++)
		if (pthread_create(&w->workers[w->n_workers], NULL, patch_main, w) != 0)
			return kw_errf(err, KW_ENOMEM, "cannot start the patch workers");
	/* The caches first: the rebuild thread reads w->caches, and
	 * starting it afterwards orders those writes before its reads (a
	 * cache that syncs meanwhile only leaves w->dirty set). */
	if (start_caches(w) != KW_OK)
		return KW_ENOMEM;
	if (pthread_create(&w->rebuilder, NULL, rebuild_main, w) != 0)
		return kw_errf(err, KW_ENOMEM, "cannot start the rebuild thread");
	w->rebuilder_started = true;
	return KW_OK;
}

int world_kube_new(struct world **out, const struct world_kube_options *opts,
	struct kw_err *err)
{
	struct kube_world *w = calloc(1, sizeof(*w));
	struct journal_options jo = {
		.state_path = opts->state_path, .deliveries_keep = opts->deliveries_keep,
		.queue_max = opts->queue_max, .sync_normal = opts->sync_normal,
	};
	int rc;

	*out = NULL;
	if (w == NULL)
		return KW_ENOMEM;
	w->base.ops = &kube_ops;
	w->opts = *opts;
	pthread_mutex_init(&w->ns_lock, NULL);
	pthread_mutex_init(&w->snap_lock, NULL);
	pthread_mutex_init(&w->rebuild_lock, NULL);
	pthread_cond_init(&w->rebuild_cond, NULL);
	pthread_mutex_init(&w->patch_lock, NULL);
	pthread_cond_init(&w->patch_cond, NULL);
	snprintf(w->why, sizeof(w->why), "caches not synced yet");
	rc = kube_client_new(&w->client, opts->config, &opts->client, err);
	if (rc == KW_OK)
		rc = journal_open(&w->journal, &jo, err);
	if (rc == KW_OK)
		rc = start_threads(w, err);
	if (rc != KW_OK) {
		kube_free(&w->base);
		return rc;
	}
	*out = &w->base;
	return KW_OK;
}
