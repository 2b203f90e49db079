/*
 * metrics.c: the process-wide counters behind /metrics (metrics.h). The
 * per-receiver table is bounded: past MAX_LABELS receivers, further ones
 * are counted under receiver="other".
 */
#include "metrics.h"

#include "kw.h"
#include "outcome.h"
#include "strbuf.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LABELS 1024
#define INDEX_SLOTS 4096 /* a power of two, over twice MAX_LABELS + 2 */

struct label {
	char *name;
	const char *kind; /* a receiver kind's name (static), or "" */
	atomic_ulong counts[OUTCOME_COUNT];
};

static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define N_BOUNDS (sizeof(bounds) / sizeof(bounds[0]))

static struct {
	pthread_mutex_t lock;
	struct label labels[MAX_LABELS + 2]; /* + "" (no receiver) + "other" */
	size_t n_labels;
	/* Open-addressed index over labels: read without the lock (a slot
	 * only ever goes from NULL to a label that is fully written). */
	_Atomic(struct label *) index[INDEX_SLOTS];
	atomic_ulong buckets[N_BOUNDS + 1];
	atomic_ulong duration_count;
	_Atomic double duration_sum;
	atomic_ulong refreshes;
	atomic_long connections;
} m = { .lock = PTHREAD_MUTEX_INITIALIZER };

void metrics_free(void)
{
	pthread_mutex_lock(&m.lock);
	for (size_t i = 0; i < m.n_labels; i++) {
		free(m.labels[i].name);
		m.labels[i].name = NULL;
		for (int o = 0; o < OUTCOME_COUNT; o++)
			atomic_store(&m.labels[i].counts[o], 0);
	}
	m.n_labels = 0;
	for (size_t i = 0; i < INDEX_SLOTS; i++)
		atomic_store(&m.index[i], NULL);
	pthread_mutex_unlock(&m.lock);
}

static size_t name_hash(const char *name)
{
	return (size_t)kw_fnv1a(KW_FNV1A_INIT, name, strlen(name));
}

/* The index slot holding name of kind, or the empty slot where it
 * belongs. */
static size_t index_find(const char *name, const char *kind,
	struct label **found)
{
	size_t i = (name_hash(name) ^ name_hash(kind)) & (INDEX_SLOTS - 1);
	struct label *l;

	while ((l = atomic_load(&m.index[i])) != NULL &&
	       (strcmp(l->name, name) != 0 || strcmp(l->kind, kind) != 0))
		i = (i + 1) & (INDEX_SLOTS - 1);
	*found = l;
	return i;
}

/* The label's slot, created on first use: a lock-free lookup on the
 * request path, the lock only to add a receiver seen for the first time. */
static struct label *label_for(const char *name, const char *kind)
{
	struct label *l = NULL;
	size_t i = index_find(name, kind, &l);

	if (l != NULL)
		return l;
	pthread_mutex_lock(&m.lock);
	i = index_find(name, kind, &l);
	if (l == NULL && (m.n_labels < MAX_LABELS || strcmp(name, "other") == 0 ||
	    name[0] == '\0')) {
		char *copy = strdup(name);

		if (copy != NULL) {
			l = &m.labels[m.n_labels++];
			l->name = copy;
			l->kind = kind;
			atomic_store(&m.index[i], l);
		}
	}
	pthread_mutex_unlock(&m.lock);
	if (l == NULL && strcmp(name, "other") != 0)
		return label_for("other", "");
	return l;
}

static void add_double(_Atomic double *a, double v)
{
	double old = atomic_load(a);

	while (!atomic_compare_exchange_weak(a, &old, old + v))
		;
}

void metrics_request(const char *receiver, const char *kind, int outcome,
	double seconds)
{
	struct label *l = label_for(receiver ? receiver : "", kind ? kind : "");
	size_t b = 0;

	if (l != NULL && outcome >= 0 && outcome < OUTCOME_COUNT)
		atomic_fetch_add(&l->counts[outcome], 1);
	while (b < N_BOUNDS && seconds > bounds[b])
		b++;
	atomic_fetch_add(&m.buckets[b], 1);
	atomic_fetch_add(&m.duration_count, 1);
	add_double(&m.duration_sum, seconds);
}

void metrics_refreshed(size_t n)
{
	atomic_fetch_add(&m.refreshes, n);
}

void metrics_connection(int delta)
{
	atomic_fetch_add(&m.connections, delta);
}

static int render_requests(struct strbuf *out)
{
	int rc = strbuf_puts(out,
		"# HELP kargo_webhooks_requests_total Requests answered, by receiver kind, receiver and outcome.\n"
		"# TYPE kargo_webhooks_requests_total counter\n");

	pthread_mutex_lock(&m.lock);
	for (size_t i = 0; i < m.n_labels && rc == KW_OK; i++) {
		for (int o = 0; o < OUTCOME_COUNT && rc == KW_OK; o++) {
			unsigned long v = atomic_load(&m.labels[i].counts[o]);

			if (v == 0)
				continue;
			rc = strbuf_printf(out, "kargo_webhooks_requests_total{%s%s%sreceiver=",
				m.labels[i].kind[0] ? "kind=\"" : "", m.labels[i].kind,
				m.labels[i].kind[0] ? "\"," : "");
			if (rc == KW_OK)
				rc = strbuf_json_string(out, m.labels[i].name, strlen(m.labels[i].name));
			if (rc == KW_OK)
				rc = strbuf_printf(out, ",outcome=\"%s\"} %lu\n",
					outcome_name((enum outcome)o), v);
		}
	}
	pthread_mutex_unlock(&m.lock);
	return rc;
}

static int render_histogram(struct strbuf *out)
{
	unsigned long cum = 0;
	int rc = strbuf_puts(out,
		"# HELP kargo_webhooks_request_duration_seconds Time from request to answer.\n"
		"# TYPE kargo_webhooks_request_duration_seconds histogram\n");

	for (size_t b = 0; b < N_BOUNDS && rc == KW_OK; b++) {
		cum += atomic_load(&m.buckets[b]);
		rc = strbuf_printf(out,
			"kargo_webhooks_request_duration_seconds_bucket{le=\"%g\"} %lu\n",
			bounds[b], cum);
	}
	cum += atomic_load(&m.buckets[N_BOUNDS]);
	if (rc == KW_OK)
		rc = strbuf_printf(out,
			"kargo_webhooks_request_duration_seconds_bucket{le=\"+Inf\"} %lu\n"
			"kargo_webhooks_request_duration_seconds_sum %.6f\n"
			"kargo_webhooks_request_duration_seconds_count %lu\n",
			cum, atomic_load(&m.duration_sum), atomic_load(&m.duration_count));
	return rc;
}

int metrics_render(struct strbuf *out)
{
	int rc = render_requests(out);

	if (rc == KW_OK)
		rc = render_histogram(out);
	if (rc == KW_OK)
		rc = strbuf_printf(out,
			"# HELP kargo_webhooks_refreshes_total Objects refreshed.\n"
			"# TYPE kargo_webhooks_refreshes_total counter\n"
			"kargo_webhooks_refreshes_total %lu\n"
			"# HELP kargo_webhooks_open_connections Connections open now.\n"
			"# TYPE kargo_webhooks_open_connections gauge\n"
			"kargo_webhooks_open_connections %ld\n",
			atomic_load(&m.refreshes), atomic_load(&m.connections));
	return rc;
}
