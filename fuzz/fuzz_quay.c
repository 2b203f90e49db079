/*
 * fuzz_quay.c: libFuzzer target for the quay kind's parser
 * (src/receivers/quay.c): Quay "Push to Repository" notification bodies,
 * any bytes. The kind reads no header while parsing, so the first byte
 * only picks a Content-Type; see fuzz_kind.h.
 */
#include "fuzz_kind.h"

static const char *const types[] = { "application/json" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_kind(&receiver_quay, "Content-Type", types, KW_ARRAY_LEN(types),
		data, size);
}
