/*
 * fuzz_quay.c: libFuzzer target for the quay kind's parser
 * (src/receivers/quay.c): Quay "Push to Repository" notification bodies, any bytes.
 * The checks are registry_check.h's.
 */
#include "registry_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	registry_check("quay", NULL, data, size);
	return 0;
}
