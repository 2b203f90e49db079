/* fuzz_azure.c: libFuzzer target for the azure kind's parse
 * (src/receivers/azure.c); the first byte picks the User-Agent (Azure
 * DevOps, ACR, or another sender); see fuzz_kind.h. */
#include "fuzz_kind.h"

static const char *const agents[] = {
	"VSServices/16.255.35115.1", "AzureContainerRegistry/1.0", "curl/8.0",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_kind(&receiver_azure, "User-Agent", agents,
		KW_ARRAY_LEN(agents), data, size);
}
