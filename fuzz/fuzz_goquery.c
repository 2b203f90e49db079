/*
 * fuzz_goquery.c: libFuzzer target for goquery.c. Any bytes parse; every
 * name parsed is found again, with at least one value, and the first
 * value found is the first one parsed.
 */
#include "goquery.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct goquery q;

	if (goquery_parse(&q, (const char *)data, size) != 0)
		return 0;
	for (size_t i = 0; i < q.n; i++) {
		const char *v = goquery_get(&q, q.kv[2 * i]);

		if (v == NULL || goquery_count(&q, q.kv[2 * i]) == 0)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(q.kv[2 * j], q.kv[2 * i]) == 0)
				goto seen;
		if (v != q.kv[2 * i + 1])
			abort();
seen:;
	}
	goquery_free(&q);
	return 0;
}
