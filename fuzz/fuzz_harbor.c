/*
 * fuzz_harbor.c: libFuzzer target for the harbor kind's parser
 * (src/receivers/harbor.c): Harbor webhook bodies (any type), any bytes.
 * The checks are registry_check.h's.
 */
#include "registry_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	registry_check("harbor", NULL, data, size);
	return 0;
}
