/* fuzz_github.c: libFuzzer target for the github kind's parse
 * (src/receivers/github.c); see fuzz_kind.h. */
#include "fuzz_kind.h"

static const char *const events[] = {
	"push", "pull_request", "ping", "package", "registry_package", "issues",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_kind(&receiver_github, "X-GitHub-Event", events,
		KW_ARRAY_LEN(events), data, size);
}
