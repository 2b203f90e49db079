/*
 * fuzz_reqhead.c: libFuzzer target for reqhead_check. Every input is
 * judged whole (with and without end of input) and at every prefix, with a
 * small limit: a refusal has a status and a JSON body, and a head judged
 * complete (or refused) stays so as more bytes arrive.
 */
#include "reqhead.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum reqhead_verdict first = REQHEAD_MORE;
	struct reqhead_answer a;

	if (size > 4096)
		return 0;
	for (size_t n = 0; n <= size; n++) {
		enum reqhead_verdict v = reqhead_check((const char *)data, n, false, 256, &a);

		if (v == REQHEAD_REFUSE && (a.status < 400 || a.body == NULL || a.body[0] != '{'))
			abort();
		if (first != REQHEAD_MORE && v != first)
			abort(); /* more bytes changed a settled verdict */
		first = v;
	}
	(void)reqhead_check((const char *)data, size, true, 256, &a);
	return 0;
}
