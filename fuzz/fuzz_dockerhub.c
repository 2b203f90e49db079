/*
 * fuzz_dockerhub.c: libFuzzer target for the dockerhub kind's parser
 * (src/receivers/dockerhub.c): Docker Hub push webhook bodies, any bytes.
 * The checks are registry_check.h's.
 */
#include "registry_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	registry_check("dockerhub", NULL, data, size);
	return 0;
}
