/*
 * kube_cache.c: one collection's list+watch cache (see kube_cache.h). The
 * map from "namespace/name" to the decoded object is guarded by a mutex
 * that request threads never take: only the snapshot rebuild reads it.
 */
#include "kube_cache.h"

#include "kube.h"
#include "kw.h"
#include "log.h"
#include "manifest.h"
#include "objects.h"

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One allocation: 100,000 Warehouses cost 56 bytes each here. */
struct entry {
	struct obj_shared *obj; /* NULL: a stub (not wanted, not decoded) */
	struct entry *next;
	uint64_t fp;            /* fingerprint of what obj was decoded from */
	/* "namespace/name", NUL, then the resourceVersion (GET mode only;
	 * "" when none), NUL: see entry_rv. */
	char key[];
};

struct map {
	struct entry **buckets;
	size_t n_buckets; /* a power of two */
	size_t n;
};

struct kube_cache {
	struct kube_cache_options opts;
	struct kube_client *client;
	pthread_t thread;
	atomic_bool stop;
	atomic_bool synced;
	pthread_mutex_t lock; /* guards map */
	struct map map;
	char *rv;             /* where the watch resumes */
	unsigned rand_state;
	/* Set by stop and by kube_cache_want: ends a watch or a nap. */
	struct kube_stop interrupt;
	atomic_uint wants;    /* kube_cache_want calls, for a list under way */
	atomic_bool getting;  /* in GET mode */
};

static void entry_free(struct entry *e)
{
	if (e->obj != NULL)
		objects_shared_unref(e->obj);
	free(e);
}

/* The resourceVersion kept with the entry, or NULL. */
static const char *entry_rv(const struct entry *e)
{
	const char *rv = e->key + strlen(e->key) + 1;

	return rv[0] != '\0' ? rv : NULL;
}

static void map_clear(struct map *m)
{
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	free(m->buckets);
	memset(m, 0, sizeof(*m));
}

static struct entry **map_slot(struct map *m, const char *key)
{
	struct entry **p = &m->buckets[kw_fnv1a(KW_FNV1A_INIT, key, strlen(key)) & (m->n_buckets - 1)];

	while (*p != NULL && strcmp((*p)->key, key) != 0)
		p = &(*p)->next;
	return p;
}

static int map_grow(struct map *m)
{
	size_t nb = m->n_buckets ? m->n_buckets * 2 : 64;
	struct entry **b = calloc(nb, sizeof(*b));

	if (b == NULL)
		return KW_ENOMEM;
	for (size_t i = 0; i < m->n_buckets; i++) {
		struct entry *e = m->buckets[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = b[kw_fnv1a(KW_FNV1A_INIT, e->key, strlen(e->key)) & (nb - 1)];
			b[kw_fnv1a(KW_FNV1A_INIT, e->key, strlen(e->key)) & (nb - 1)] = e;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->n_buckets = nb;
	return KW_OK;
}

/* Puts obj (NULL: a stub) at key (taking the reference and rv),
 * replacing what was there; KW_ENOMEM frees them. */
static int map_put(struct map *m, const char *key, struct obj_shared *obj,
	uint64_t fp, char *rv)
{
	size_t klen = strlen(key), rlen = rv != NULL ? strlen(rv) : 0;
	struct entry **slot, *e;

	if (m->n >= m->n_buckets && map_grow(m) != KW_OK)
		goto fail;
	e = malloc(sizeof(*e) + klen + rlen + 2);
	if (e == NULL)
		goto fail;
	memcpy(e->key, key, klen + 1);
	memcpy(e->key + klen + 1, rv != NULL ? rv : "", rlen + 1);
	free(rv);
	e->obj = obj;
	e->fp = fp;
	slot = map_slot(m, key);
	e->next = *slot != NULL ? (*slot)->next : NULL;
	if (*slot != NULL)
		entry_free(*slot);
	else
		m->n++;
	*slot = e;
	return KW_OK;
fail:
	if (obj != NULL)
		objects_shared_unref(obj);
	free(rv);
	return KW_ENOMEM;
}

static struct entry *map_get(struct map *m, const char *key)
{
	return m->n_buckets > 0 ? *map_slot(m, key) : NULL;
}

/* Removes key; returns whether a decoded object (not a stub) went. */
static bool map_remove(struct map *m, const char *key)
{
	struct entry **slot, *e;
	bool had;

	if (m->n_buckets == 0)
		return false;
	slot = map_slot(m, key);
	if ((e = *slot) == NULL)
		return false;
	had = e->obj != NULL;
	*slot = e->next;
	entry_free(e);
	m->n--;
	return had;
}

static const char *meta_string(const cJSON *obj, const char *field)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, field);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* "namespace/name" of an object; false when it has no name. */
static bool object_key(const cJSON *obj, char *key, size_t len)
{
	const char *ns = meta_string(obj, "namespace"), *name = meta_string(obj, "name");

	if (name == NULL)
		return false;
	return (size_t)snprintf(key, len, "%s/%s", ns ? ns : "", name) < len;
}

static void digest_json(EVP_MD_CTX *md, const char *name, const cJSON *v)
{
	char *text = cJSON_PrintUnformatted(v);

	EVP_DigestUpdate(md, name, strlen(name) + 1);
	if (text != NULL) {
		EVP_DigestUpdate(md, text, strlen(text) + 1);
		cJSON_free(text);
	}
}

/* A fingerprint of what the decoders read of item: every top-level field
 * but metadata (of which name, namespace and labels) and, for a
 * Warehouse, status (Kargo's controller rewrites it after every
 * discovery). resourceVersion, managedFields and annotations (our own
 * refresh PATCH comes back as a MODIFIED event) are left out. SHA-256,
 * truncated: a user cannot craft a Warehouse whose change goes unseen. */
static uint64_t fingerprint(const struct kube_cache *c, const cJSON *item)
{
	static const char *const meta_fields[] = { "name", "namespace", "labels" };
	bool warehouse = strcmp(c->opts.kind, "Warehouse") == 0;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint64_t fp = 0;
	const cJSON *f;

	if (md == NULL || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return 0; /* 0 never counts as equal: see same_as_cached */
	}
	cJSON_ArrayForEach(f, item) {
		if (f->string == NULL || (warehouse && strcmp(f->string, "status") == 0))
			continue;
		if (strcmp(f->string, "metadata") != 0) {
			digest_json(md, f->string, f);
			continue;
		}
		for (size_t i = 0; i < KW_ARRAY_LEN(meta_fields); i++)
			digest_json(md, meta_fields[i],
				cJSON_GetObjectItemCaseSensitive(f, meta_fields[i]));
	}
	if (EVP_DigestFinal_ex(md, h, &hlen) == 1 && hlen >= sizeof(fp))
		memcpy(&fp, h, sizeof(fp));
	EVP_MD_CTX_free(md);
	return fp;
}

static bool wanted(const struct kube_cache *c, const char *key)
{
	return c->opts.wanted == NULL || c->opts.wanted(c->opts.arg, key);
}

/* The keys some receiver kind reads (their ops' secret_key and its
 * "previous-" twin); "secret" and "previous-secret" are kept apart. */
static bool secret_key_read(const char *key)
{
	static const char *const keys[] = { "secret-token", "previous-secret-token",
		"auth-header", "previous-auth-header" };

	for (size_t i = 0; i < KW_ARRAY_LEN(keys); i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

/* Drops (wiped) the keys of a decoded Secret no receiver reads: a
 * project's Secrets hold credentials this program never needs. */
static void secret_keep_read_keys(struct obj_set *set)
{
	for (size_t i = 0; i < set->n_secrets; i++) {
		struct obj_secret *s = &set->secrets[i];
		size_t k = 0;

		for (size_t j = 0; j < s->n_values; j++) {
			if (secret_key_read(s->values[j].key)) {
				s->values[k++] = s->values[j];
				continue;
			}
			OPENSSL_cleanse(s->values[j].bytes, s->values[j].len);
			free(s->values[j].bytes);
			free(s->values[j].key);
		}
		s->n_values = k;
	}
}

/* The decoded set of one object, shared; NULL with why in err. */
static struct obj_shared *share_one(struct obj_set *set, struct diag_list *dl,
	char *err, size_t err_len)
{
	size_t n = set->n_configs + set->n_secrets + set->n_warehouses + set->n_promotions;

	if (n == 1) {
		/* a config's warnings, among them the receivers it serves
		 * without (objects.h, receivers_one_by_one) */
		for (size_t i = 0; set->n_configs == 1 && i < dl->n; i++)
			log_kv(LOG_WARN, "configuration problem", "config",
				set->configs[0].cluster ? "ClusterConfig" : set->configs[0].project,
				"key", dl->items[i].key, "problem", dl->items[i].message, NULL);
		diag_clear(dl);
		return objects_share(set);
	}
	snprintf(err, err_len, "not decoded");
	for (size_t i = 0; i < dl->n; i++)
		if (dl->items[i].severity == DIAG_ERROR) {
			snprintf(err, err_len, "%s: %s", dl->items[i].key ? dl->items[i].key : "",
				dl->items[i].message);
			break;
		}
	diag_clear(dl);
	objects_free_set(set);
	return NULL;
}

struct obj_shared *kube_cache_decode(const struct cJSON *item,
	const char *api_version, const char *kind, bool keep_object, bool serving,
	char *err, size_t err_len)
{
	struct obj_set *set = manifest_set_new();
	struct diag_list dl = { 0 };

	if (set == NULL) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	set->without_objects = !keep_object;
	set->receivers_one_by_one = serving;
	manifest_parse_json(set, &dl, kind, item, api_version, kind);
	if (!keep_object)
		secret_keep_read_keys(set);
	return share_one(set, &dl, err, err_len);
}

/* Decodes one borrowed item, logging why when it is invalid. */
static struct obj_shared *decode_item(struct kube_cache *c, const cJSON *item,
	const char *key)
{
	char err[512];
	struct obj_shared *sh = kube_cache_decode(item, c->opts.api_version,
		c->opts.kind, false, true, err, sizeof(err));

	if (sh == NULL)
		log_kv(LOG_WARN, "object ignored: it is not valid", "kind", c->opts.kind,
			"object", key, "problem", err, NULL);
	return sh;
}

static void notify(struct kube_cache *c)
{
	if (c->opts.changed != NULL)
		c->opts.changed(c->opts.arg);
}

/* Puts one item in m (a stub when not wanted; removed when invalid). */
static int put_item(struct kube_cache *c, struct map *m, const cJSON *item,
	char *rv)
{
	char key[600];
	struct obj_shared *sh;

	if (!object_key(item, key, sizeof(key))) {
		free(rv);
		return KW_OK;
	}
	if (!wanted(c, key))
		return map_put(m, key, NULL, 0, rv);
	sh = decode_item(c, item, key);
	if (sh == NULL) {
		free(rv);
		map_remove(m, key);
		return KW_OK;
	}
	return map_put(m, key, sh, fingerprint(c, item), rv);
}

static int list_item(void *arg, const struct cJSON *item)
{
	struct kube_cache *c = ((void **)arg)[0];
	struct map *m = ((void **)arg)[1];

	return put_item(c, m, item, NULL);
}

/* Swaps fresh in, listed (or GOT) since wants was read: synced, unless a
 * name became wanted meanwhile (it may be kept as a stub), then listed
 * again at once. Under the lock, as kube_cache_want's look: either that
 * look sees the new map (a stub there un-syncs it) or this sees its count;
 * read apart, the want's "not synced" could land before this "synced".
 * Returns whether the cache has just become synced. */
static bool swap_map(struct kube_cache *c, struct map *fresh, unsigned wants)
{
	struct map old;
	bool again, first = false;

	pthread_mutex_lock(&c->lock);
	old = c->map;
	c->map = *fresh;
	again = atomic_load(&c->wants) != wants;
	if (!again)
		first = !atomic_exchange(&c->synced, true);
	pthread_mutex_unlock(&c->lock);
	if (again)
		kube_stop_raise(&c->interrupt);
	map_clear(&old);
	memset(fresh, 0, sizeof(*fresh));
	return first;
}

static void log_failure(const struct kube_cache *c, const char *what,
	const struct kube_response *r)
{
	char status[16];

	snprintf(status, sizeof(status), "%ld", r->status);
	log_kv(LOG_WARN, what, "collection", c->opts.label, "status", status,
		"reason", r->reason, "message", r->message, NULL);
}

/* A list into fresh: paged; when a continue token expired (410: the list
 * took longer than the server keeps history) at once again, then, after
 * a second 410, in one answer, as client-go's pager does. */
static int list_into(struct kube_cache *c, struct map *fresh, char **rv,
	struct kube_response *resp)
{
	void *args[2] = { c, fresh };
	size_t page = c->opts.page ? c->opts.page : KUBE_LIST_LIMIT;
	int rc = KW_EIO;

	for (int attempt = 0; attempt < 3 && !atomic_load(&c->stop); attempt++) {
		rc = kube_list(c->client, c->opts.path, attempt < 2 ? page : KUBE_LIST_ALL,
			list_item, args, rv, resp);
		if (rc == KW_OK || resp->status != 410)
			break;
		log_kv(LOG_INFO, attempt == 0 ? "list expired while paging; listing again" :
			"list expired while paging again; listing in one answer",
			"collection", c->opts.label, NULL);
		map_clear(fresh);
		kube_response_clear(resp);
	}
	return rc;
}

/* Lists the collection into a fresh map and swaps it in. KW_OK; KW_EAUTH
 * when listing is forbidden; KW_EIO. */
static int relist(struct kube_cache *c)
{
	struct map fresh = { 0 };
	struct kube_response resp = { 0 };
	unsigned wants = atomic_load(&c->wants);
	char *rv = NULL;
	int rc;

	rc = list_into(c, &fresh, &rv, &resp);
	if (rc != KW_OK) {
		if (resp.status != 403 || c->opts.names == NULL)
			log_failure(c, "list failed", &resp);
		rc = resp.status == 403 ? KW_EAUTH : KW_EIO;
		map_clear(&fresh);
		free(rv);
		kube_response_clear(&resp);
		return rc;
	}
	kube_response_clear(&resp);
	/* a name wanted while listing may have been kept as a stub: not
	 * synced (no first snapshot without it) until listed again */
	swap_map(c, &fresh, wants);
	free(c->rv);
	c->rv = rv;
	notify(c);
	return KW_OK;
}

/* Whether key is cached as it would be now: a stub when not wanted, or
 * an object decoded from the same fingerprint. */
static bool same_as_cached(struct kube_cache *c, const char *key, bool want,
	uint64_t fp)
{
	const struct entry *e;
	bool same;

	pthread_mutex_lock(&c->lock);
	e = map_get(&c->map, key);
	same = e != NULL && (want ? e->obj != NULL && fp != 0 && e->fp == fp : e->obj == NULL);
	pthread_mutex_unlock(&c->lock);
	return same;
}

/* An added or modified object: decoded when wanted and new. Returns
 * whether what the snapshot sees changed. */
static bool on_put(struct kube_cache *c, const char *key, const cJSON *object)
{
	unsigned wants = atomic_load(&c->wants);
	bool want = wanted(c, key), changed, again = false;
	uint64_t fp = want ? fingerprint(c, object) : 0;
	struct obj_shared *sh;

	if (same_as_cached(c, key, want, fp))
		return false;
	sh = want ? decode_item(c, object, key) : NULL;
	pthread_mutex_lock(&c->lock);
	if (want && sh == NULL)
		changed = map_remove(&c->map, key);
	else {
		const struct entry *e = map_get(&c->map, key);

		changed = sh != NULL || (e != NULL && e->obj != NULL);
		map_put(&c->map, key, sh, fp, NULL);
		/* a stub of a name wanted since wanted() answered: the want may
		 * have looked before it was put (a new Secret and the config
		 * naming it applied together) and would stay a stub */
		if (!want && atomic_load(&c->wants) != wants) {
			again = true;
			atomic_store(&c->synced, false);
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (again)
		kube_stop_raise(&c->interrupt);
	return changed;
}

static void on_event(void *arg, const char *type, const struct cJSON *object)
{
	struct kube_cache *c = arg;
	char key[600];
	bool changed;

	if (strcmp(type, "BOOKMARK") == 0 || !object_key(object, key, sizeof(key)))
		return;
	if (strcmp(type, "DELETED") == 0) {
		pthread_mutex_lock(&c->lock);
		changed = map_remove(&c->map, key);
		pthread_mutex_unlock(&c->lock);
	} else {
		changed = on_put(c, key, object);
	}
	if (!changed)
		return;
	/* one line per event that costs a rebuild (the tests count them) */
	log_kv(LOG_DEBUG, "watch event changes the cache", "collection", c->opts.label,
		"type", type, "object", key, NULL);
	notify(c);
}

/* Sleeps up to seconds, waking early when stopping or interrupted. */
static void nap(struct kube_cache *c, double seconds)
{
	kube_stop_wait(&c->interrupt, seconds);
}

/* The next backoff: 0.8 s doubling to 30 s, with up to 20% jitter. */
static double next_backoff(struct kube_cache *c, double *backoff)
{
	double b = *backoff == 0 ? 0.8 : *backoff * 2;

	*backoff = b > 30 ? 30 : b;
	return *backoff * (0.8 + 0.2 * (double)(rand_r(&c->rand_state) % 1000) / 1000.0);
}

/* GETs one object by name into fresh, keeping the old entry when the
 * answer says nothing new (same resourceVersion) or is a failure. Returns
 * whether anything changed. The map's lock is not held during the call: a
 * slow API server must not hold up the snapshot rebuild. */
static bool get_one(struct kube_cache *c, struct map *fresh, const char *name)
{
	struct kube_response resp = { 0 };
	char path[1024], key[600];
	const char *ns = strstr(c->opts.path, "/namespaces/");
	struct obj_shared *old = NULL;
	uint64_t old_fp = 0;
	char *old_rv = NULL;
	bool changed = false;
	cJSON *obj;

	snprintf(path, sizeof(path), "%s/%s", c->opts.path, name);
	snprintf(key, sizeof(key), "%.*s/%s", ns ? (int)strcspn(ns + 12, "/") : 0,
		ns ? ns + 12 : "", name);
	pthread_mutex_lock(&c->lock);
	if (map_get(&c->map, key) != NULL && map_get(&c->map, key)->obj != NULL) {
		const struct entry *e = map_get(&c->map, key);

		old = objects_shared_ref(e->obj);
		old_fp = e->fp;
		old_rv = entry_rv(e) ? strdup(entry_rv(e)) : NULL;
	}
	pthread_mutex_unlock(&c->lock);
	if (kube_get_background(c->client, path, &resp) != KW_OK ||
	    (resp.status != 200 && resp.status != 404)) {
		if (old != NULL) /* unknown: keep what we had */
			map_put(fresh, key, objects_shared_ref(old), old_fp,
				old_rv ? strdup(old_rv) : NULL);
	} else if (resp.status == 200 && (obj = cJSON_Parse(resp.body)) != NULL) {
		const char *rv = meta_string(obj, "resourceVersion");

		if (old != NULL && old_rv != NULL && rv != NULL && strcmp(old_rv, rv) == 0) {
			map_put(fresh, key, objects_shared_ref(old), old_fp, strdup(rv));
		} else {
			changed = true;
			put_item(c, fresh, obj, rv ? strdup(rv) : NULL);
		}
		cJSON_Delete(obj);
	} else {
		changed = old != NULL;
	}
	if (old != NULL)
		objects_shared_unref(old);
	free(old_rv);
	kube_response_clear(&resp);
	return changed;
}

/* Listing is forbidden: GET each name the owner wants, every get_ttl
 * (at once after kube_cache_want), until list_retry has passed: then the
 * list is tried again, since the grant may have come meanwhile (Kargo's
 * controller binds the project's Secrets reader after the project
 * appears). */
static void get_rounds(struct kube_cache *c)
{
	double until = kw_monotonic() + (c->opts.list_retry > 0 ? c->opts.list_retry : 300);

	while (!atomic_load(&c->stop) && kw_monotonic() < until) {
		struct map fresh = { 0 };
		char **names = NULL;
		size_t n;
		bool changed = false;
		unsigned wants;

		kube_stop_clear(&c->interrupt);
		if (atomic_load(&c->stop)) /* a stop raised just before the clear */
			kube_stop_raise(&c->interrupt);
		wants = atomic_load(&c->wants);
		n = c->opts.names(c->opts.arg, c->opts.path, &names);
		for (size_t i = 0; i < n; i++) {
			/* a stop ends the round between two GETs, not after
			 * all of them (1,000 Secrets at half the QPS: 40 s) */
			if (!atomic_load(&c->stop))
				changed = get_one(c, &fresh, names[i]) || changed;
			free(names[i]);
		}
		free(names);
		if (atomic_load(&c->stop)) {
			map_clear(&fresh);
			break;
		}
		pthread_mutex_lock(&c->lock);
		changed = changed || fresh.n != c->map.n;
		pthread_mutex_unlock(&c->lock);
		/* a name came meanwhile: again at once */
		if (swap_map(c, &fresh, wants))
			changed = true;
		if (changed)
			notify(c);
		nap(c, c->opts.get_ttl > 0 ? c->opts.get_ttl : 2);
	}
}

/* Watches until the history is gone (relist) or the cache stops. */
static void watch_loop(struct kube_cache *c)
{
	double backoff = 0;

	while (!atomic_load(&c->stop)) {
		struct kube_response resp = { 0 };
		int timeout = 300 + (int)(rand_r(&c->rand_state) % 301);
		enum kube_watch_end end;

		end = kube_watch(c->client, c->opts.path, &c->rv, timeout, on_event, c,
			&c->interrupt, &resp);
		if (end == KUBE_WATCH_FAILED)
			log_failure(c, "watch failed", &resp);
		kube_response_clear(&resp);
		if (end == KUBE_WATCH_EXPIRED || end == KUBE_WATCH_STOPPED)
			return;
		if (end == KUBE_WATCH_FAILED)
			nap(c, next_backoff(c, &backoff));
		else
			backoff = 0;
	}
}

static void *cache_main(void *arg)
{
	struct kube_cache *c = arg;
	double backoff = 0;
	bool getting = false;

	while (!atomic_load(&c->stop)) {
		int rc;

		/* an interrupt that is not a stop asks for this list */
		kube_stop_clear(&c->interrupt);
		if (atomic_load(&c->stop))
			break;
		rc = relist(c);
		if (rc == KW_EAUTH && c->opts.names != NULL) {
			if (!getting)
				log_kv(LOG_INFO, "listing forbidden; reading objects one by one",
					"collection", c->opts.label, NULL);
			getting = true;
			atomic_store(&c->getting, true);
			get_rounds(c);
			continue;
		}
		if (rc == KW_OK && getting)
			log_kv(LOG_INFO, "listing allowed again; watching",
				"collection", c->opts.label, NULL);
		getting = getting && rc != KW_OK;
		atomic_store(&c->getting, getting);
		if (rc != KW_OK) {
			nap(c, next_backoff(c, &backoff));
			continue;
		}
		backoff = 0;
		watch_loop(c);
	}
	return NULL;
}

static void cache_free(struct kube_cache *c)
{
	map_clear(&c->map);
	free(c->rv);
	free((char *)c->opts.path);
	free((char *)c->opts.api_version);
	free((char *)c->opts.kind);
	free((char *)c->opts.label);
	pthread_mutex_destroy(&c->lock);
	kube_stop_destroy(&c->interrupt);
	free(c);
}

int kube_cache_start(struct kube_cache **out, struct kube_client *client,
	const struct kube_cache_options *opts)
{
	struct kube_cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return KW_ENOMEM;
	c->opts = *opts;
	c->client = client;
	c->rand_state = (unsigned)(size_t)c ^ (unsigned)kw_monotonic();
	atomic_init(&c->stop, false);
	atomic_init(&c->synced, false);
	kube_stop_init(&c->interrupt);
	atomic_init(&c->wants, 0);
	atomic_init(&c->getting, false);
	pthread_mutex_init(&c->lock, NULL);
	c->opts.path = strdup(opts->path);
	c->opts.api_version = strdup(opts->api_version);
	c->opts.kind = strdup(opts->kind);
	c->opts.label = strdup(opts->label ? opts->label : opts->path);
	if (c->opts.path == NULL || c->opts.api_version == NULL ||
	    c->opts.kind == NULL || c->opts.label == NULL ||
	    pthread_create(&c->thread, NULL, cache_main, c) != 0) {
		cache_free(c);
		return KW_ENOMEM;
	}
	*out = c;
	return KW_OK;
}

void kube_cache_signal_stop(struct kube_cache *c)
{
	if (c == NULL)
		return;
	atomic_store(&c->stop, true);
	kube_stop_raise(&c->interrupt);
}

void kube_cache_stop(struct kube_cache *c)
{
	if (c == NULL)
		return;
	kube_cache_signal_stop(c);
	pthread_join(c->thread, NULL);
	cache_free(c);
}

bool kube_cache_synced(struct kube_cache *c)
{
	return atomic_load(&c->synced);
}

void kube_cache_want(struct kube_cache *c, const char *key)
{
	const struct entry *e;
	bool again;

	atomic_fetch_add(&c->wants, 1);
	pthread_mutex_lock(&c->lock);
	e = map_get(&c->map, key);
	again = (e != NULL && e->obj == NULL) || atomic_load(&c->getting);
	/* Until it is read, the cache is not synced: a first snapshot (the
	 * world's readiness) waits for it. Under the lock: see swap_map. */
	if (again)
		atomic_store(&c->synced, false);
	pthread_mutex_unlock(&c->lock);
	if (again)
		kube_stop_raise(&c->interrupt);
}

size_t kube_cache_count(struct kube_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->map.n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

int kube_cache_collect(struct kube_cache *c, struct obj_shared ***v,
	size_t *n, size_t *cap)
{
	int rc = KW_OK;

	pthread_mutex_lock(&c->lock);
	if (*n + c->map.n > *cap) {
		size_t ncap = (*n + c->map.n) * 2 + 16;
		struct obj_shared **nv = realloc(*v, ncap * sizeof(*nv));

		if (nv == NULL)
			rc = KW_ENOMEM;
		else {
			*v = nv;
			*cap = ncap;
		}
	}
	for (size_t i = 0; rc == KW_OK && i < c->map.n_buckets; i++)
		for (struct entry *e = c->map.buckets[i]; e != NULL; e = e->next)
			if (e->obj != NULL)
				(*v)[(*n)++] = objects_shared_ref(e->obj);
	pthread_mutex_unlock(&c->lock);
	return rc;
}
