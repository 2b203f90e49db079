/* fuzz_gitlab.c: libFuzzer target for the gitlab kind's parse
 * (src/receivers/gitlab.c); see fuzz_kind.h. */
#include "fuzz_kind.h"

static const char *const events[] = {
	"Push Hook", "Tag Push Hook", "Merge Request Hook", "Issue Hook",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_kind(&receiver_gitlab, "X-Gitlab-Event", events,
		KW_ARRAY_LEN(events), data, size);
}
