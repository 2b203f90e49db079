/* fuzz_gitea.c: libFuzzer target for the gitea kind's parse
 * (src/receivers/gitea.c); see fuzz_kind.h. */
#include "fuzz_kind.h"

static const char *const events[] = { "push", "pull_request", "issues" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_kind(&receiver_gitea, "X-Gitea-Event", events,
		KW_ARRAY_LEN(events), data, size);
}
