/*
 * ratelimit.c: fixed-size token-bucket table (ratelimit.h). Slots are
 * guarded by striped locks so two request threads rarely wait on each
 * other.
 */
#include "ratelimit.h"

#include "kw.h"

#include <math.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 72
#define STRIPES 64

struct slot {
	uint64_t hash;
	char key[KEY_MAX];
	double tokens;
	double updated;
};

struct ratelimit {
	double rate, burst;
	size_t n_slots;
	uint64_t seed;
	pthread_mutex_t locks[STRIPES];
	struct slot *slots;
};

struct ratelimit *ratelimit_new(double rate, double burst, size_t slots)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (rl == NULL)
		return NULL;
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	rl->n_slots = slots ? slots : 1;
	rl->slots = calloc(rl->n_slots, sizeof(*rl->slots));
	if (rl->slots == NULL) {
		free(rl);
		return NULL;
	}
	if (RAND_bytes((unsigned char *)&rl->seed, sizeof(rl->seed)) != 1)
		rl->seed = (uint64_t)(uintptr_t)rl ^ 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&rl->locks[i], NULL);
	return rl;
}

/* FNV-1a seeded per table, so clients cannot aim at each other's slots. */
static uint64_t key_hash(const struct ratelimit *rl, const char *key)
{
	uint64_t h = kw_fnv1a(KW_FNV1A_INIT ^ rl->seed, key, strlen(key));

	return h ^ (h >> 29);
}

/* Refills key's bucket to now and, when take, takes a token if one is
 * there. Returns whether a whole token was there. */
static bool bucket(struct ratelimit *rl, const char *key, double now,
	bool take, int *retry_after)
{
	uint64_t h;
	size_t i;
	struct slot *s;
	bool ok;

	if (rl == NULL || rl->rate <= 0)
		return true;
	h = key_hash(rl, key);
	i = (size_t)(h % rl->n_slots);
	s = &rl->slots[i];
	pthread_mutex_lock(&rl->locks[i % STRIPES]);
	if (s->hash != h || strncmp(s->key, key, KEY_MAX - 1) != 0) {
		s->hash = h;
		strncpy(s->key, key, KEY_MAX - 1);
		s->key[KEY_MAX - 1] = '\0';
		s->tokens = rl->burst;
		s->updated = now;
	}
	s->tokens = fmin(rl->burst, s->tokens + (now - s->updated) * rl->rate);
	s->updated = now;
	ok = s->tokens >= 1.0;
	if (ok && take)
		s->tokens -= 1.0;
	else if (retry_after != NULL)
		*retry_after = (int)fmin(ceil((1.0 - s->tokens) / rl->rate), 86400.0);
	pthread_mutex_unlock(&rl->locks[i % STRIPES]);
	if (!ok && retry_after != NULL && *retry_after < 1)
		*retry_after = 1;
	return ok;
}

bool ratelimit_take(struct ratelimit *rl, const char *key, double now,
	int *retry_after)
{
	return bucket(rl, key, now, true, retry_after);
}

bool ratelimit_peek(struct ratelimit *rl, const char *key, double now,
	int *retry_after)
{
	return bucket(rl, key, now, false, retry_after);
}

void ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&rl->locks[i]);
	free(rl->slots);
	free(rl);
}
