/*
 * fuzz_harbor.c: libFuzzer target for the harbor kind's parser
 * (src/receivers/harbor.c): Harbor webhook bodies (any type),
 * any bytes. The kind reads no header while parsing, so the first byte
 * only picks a Content-Type; see fuzz_kind.h.
 */
#include "fuzz_kind.h"

static const char *const types[] = { "application/json" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_kind(&receiver_harbor, "Content-Type", types, KW_ARRAY_LEN(types),
		data, size);
}
