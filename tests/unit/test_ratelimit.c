/* Tests src/ratelimit.c: burst, refill, separate keys, disabled, peek. */
#include "kw.h"
#include "ratelimit.h"
#include "test.h"

static void test_burst_and_refill(void)
{
	struct ratelimit *rl = ratelimit_new(2.0, 3.0, 128);
	int retry = 0;

	CHECK(ratelimit_take(rl, "a", 100.0, &retry));
	CHECK(ratelimit_take(rl, "a", 100.0, &retry));
	CHECK(ratelimit_take(rl, "a", 100.0, &retry));
	CHECK(!ratelimit_take(rl, "a", 100.0, &retry));
	CHECK_INT(retry, 1);
	CHECK(ratelimit_take(rl, "b", 100.0, &retry)); /* another key */
	CHECK(ratelimit_take(rl, "a", 100.5, &retry)); /* 0.5 s * 2/s = 1 */
	CHECK(!ratelimit_take(rl, "a", 100.5, &retry));
	CHECK(ratelimit_take(rl, "a", 200.0, &retry));
	ratelimit_free(rl);
}

static void test_slow_rate_retry_after(void)
{
	struct ratelimit *rl = ratelimit_new(0.1, 1.0, 16);
	int retry = 0;

	CHECK(ratelimit_take(rl, "x", 0.0, &retry));
	CHECK(!ratelimit_take(rl, "x", 0.0, &retry));
	CHECK_INT(retry, 10);
	ratelimit_free(rl);
}

static void test_disabled(void)
{
	struct ratelimit *rl = ratelimit_new(0.0, 1.0, 16);

	for (int i = 0; i < 100; i++)
		CHECK(ratelimit_take(rl, "x", 0.0, NULL));
	ratelimit_free(rl);
	CHECK(ratelimit_take(NULL, "x", 0.0, NULL));
}

/* Peeking never takes: a bucket only the unverified requests charge. */
static void test_peek(void)
{
	struct ratelimit *rl = ratelimit_new(1.0, 2.0, 16);
	int retry = 0;

	for (int i = 0; i < 10; i++)
		CHECK(ratelimit_peek(rl, "p", 5.0, &retry));
	CHECK(ratelimit_take(rl, "p", 5.0, &retry));
	CHECK(ratelimit_take(rl, "p", 5.0, &retry));
	CHECK(!ratelimit_peek(rl, "p", 5.0, &retry));
	CHECK_INT(retry, 1);
	CHECK(ratelimit_peek(rl, "p", 6.0, &retry)); /* refilled one */
	CHECK(ratelimit_peek(NULL, "p", 6.0, &retry));
	ratelimit_free(rl);
}

int main(void)
{
	test_peek();
	test_burst_and_refill();
	test_slow_rate_retry_after();
	test_disabled();
	TEST_DONE("test_ratelimit");
}
