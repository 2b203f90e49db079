/*
 * kube_cache.h: a list+watch cache of one Kubernetes collection (an
 * informer): one thread lists the collection page by page, then watches
 * from the list's resourceVersion (bookmarks on, timeoutSeconds random in
 * 300..600), re-lists when the history is gone (410), and backs off with
 * jitter (0.8 s doubling to 30 s) when the API server fails. Each object is
 * decoded by the manifest decoders (its JSON text is YAML), so the rules
 * are the ones embedded mode applies, and kept as a shared typed object,
 * not as JSON. A collection the program may not list (403, e.g. Secrets
 * without a list grant) is instead read by GETs of the names a callback
 * gives, every few seconds, and listing is tried again every few minutes.
 * A watch event that decodes to what is cached already (same fingerprint:
 * the JSON without resourceVersion, managedFields, annotations, and a
 * Warehouse's status) changes nothing and calls no changed.
 */
#ifndef KUBE_CACHE_H
#define KUBE_CACHE_H

#include <stdbool.h>
#include <stddef.h>

struct kube_cache;
struct cJSON;
struct kube_client;
struct obj_shared;

struct kube_cache_options {
	const char *path;        /* the collection, e.g. "/api/v1/namespaces/x/secrets" */
	const char *api_version; /* given to items that carry none */
	const char *kind;        /* "Warehouse", "Secret", ... */
	const char *label;       /* for logs: "warehouses", "secrets in x" */
	size_t page;             /* list limit; 0: KUBE_LIST_LIMIT */
	/* Called (from the cache's thread) after the contents changed or the
	 * first list completed. */
	void (*changed)(void *arg);
	void *arg;
	/* With the list forbidden: sets *names to the names of the objects to
	 * GET (malloc'd, as many as there are; each malloc'd) and returns how
	 * many. NULL: a forbidden list is retried. */
	size_t (*names)(void *arg, const char *path, char ***names);
	double get_ttl; /* seconds between GET rounds; 0: 2 */
	/* Whether the object at "namespace/name" is to be decoded and kept;
	 * NULL: every object. The others are kept as stubs (their key only):
	 * their changes call no changed, and kube_cache_want fetches one that
	 * becomes wanted. Called from the cache's thread, no lock held. */
	bool (*wanted)(void *arg, const char *key);
	/* Seconds in GET mode before the list is tried again (the grant to
	 * list may come later); 0: 300. */
	double list_retry;
};

/* Starts the thread. The strings of opts are copied. KW_OK or KW_ENOMEM. */
int kube_cache_start(struct kube_cache **out, struct kube_client *client,
	const struct kube_cache_options *opts);

/* Asks the thread to stop without waiting for it (a watch or a nap ends
 * at once; a list or GET in flight finishes first). Accepts NULL. */
void kube_cache_signal_stop(struct kube_cache *c);

/* Stops the thread (at once, unless a list or GET is in flight) and
 * frees. Accepts NULL. */
void kube_cache_stop(struct kube_cache *c);

/* Whether a first list (or GET round) completed. */
bool kube_cache_synced(struct kube_cache *c);

/* References to every object now cached, appended to *v (grown with
 * realloc; *n and *cap updated). KW_OK or KW_ENOMEM. */
int kube_cache_collect(struct kube_cache *c, struct obj_shared ***v,
	size_t *n, size_t *cap);

/* key ("namespace/name") became wanted: when it is cached as a stub, or
 * a list is under way that may have seen it unwanted, the collection is
 * listed again (in GET mode: a round starts) at once, and the cache counts
 * as not synced until then (so a first snapshot waits for it). */
void kube_cache_want(struct kube_cache *c, const char *key);

/* How many objects are cached (stubs included). */
size_t kube_cache_count(struct kube_cache *c);

/* Decodes one object (borrowed) into a shared one-object set, giving it
 * api_version and kind when it carries none (items of core lists); NULL,
 * with why in err, when it is invalid. keep_object keeps its JSON (for
 * printing). serving: a config's receiver that cannot be decoded is left
 * out and logged, not the config (objects.h, receivers_one_by_one); the
 * read commands decode strictly, so `check` reports it as an error. */
struct obj_shared *kube_cache_decode(const struct cJSON *item,
	const char *api_version, const char *kind, bool keep_object, bool serving,
	char *err, size_t err_len);

#endif
