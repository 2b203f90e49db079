/*
 * ratelimit.h: token buckets keyed by a string (a receiver's path, a
 * client's address), checked before any HMAC or JSON work. Memory is fixed:
 * the table has a set number of slots and a key that collides with another
 * takes over its slot (the keyed hash makes collisions unpredictable to a
 * client). Thread-safe.
 */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>

struct ratelimit;

/* rate: tokens per second; burst: bucket size. rate 0 disables (every
 * call is allowed). NULL when out of memory. */
struct ratelimit *ratelimit_new(double rate, double burst, size_t slots);

/* Takes one token for key at time now (seconds, monotonic). Returns true
 * when allowed; otherwise false and *retry_after (when not NULL) is the
 * whole number of seconds until a token is back (at least 1). */
bool ratelimit_take(struct ratelimit *rl, const char *key, double now,
	int *retry_after);

/* Whether key has a whole token left, without taking it: the cheap
 * pre-check before a request's body is read. When false, *retry_after (when
 * not NULL) is set as by ratelimit_take. */
bool ratelimit_peek(struct ratelimit *rl, const char *key, double now,
	int *retry_after);

/* Accepts NULL. */
void ratelimit_free(struct ratelimit *rl);

#endif
