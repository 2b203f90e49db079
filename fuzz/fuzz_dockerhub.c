/*
 * fuzz_dockerhub.c: libFuzzer target for the dockerhub kind's parser
 * (src/receivers/dockerhub.c): Docker Hub push webhook bodies,
 * any bytes. The kind reads no header while parsing, so the first byte
 * only picks a Content-Type; see fuzz_kind.h.
 */
#include "fuzz_kind.h"

static const char *const types[] = { "application/json" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_kind(&receiver_dockerhub, "Content-Type", types, KW_ARRAY_LEN(types),
		data, size);
}
