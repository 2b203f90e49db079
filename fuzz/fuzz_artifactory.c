/*
 * fuzz_artifactory.c: libFuzzer target for the artifactory kind's parser
 * (src/receivers/artifactory.c): Artifactory webhook bodies, with and without a virtualRepoName, any bytes.
 * The checks are registry_check.h's.
 */
#include "registry_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first byte picks whether the receiver has a virtualRepoName. */
	if (size == 0)
		return 0;
	registry_check("artifactory", data[0] & 1 ? "virtual" : NULL, data + 1,
		size - 1);
	return 0;
}
