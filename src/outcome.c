/*
 * outcome.c: the names of request outcomes (outcome.h).
 */
#include "outcome.h"

static const char *const outcome_names[OUTCOME_COUNT] = {
	"ok", "no_match", "bad_signature", "missing_signature",
	"unsupported_event", "bad_body", "too_large", "rate_limited",
	"not_found", "error", "bad_request", "ignored",
};

const char *outcome_name(enum outcome o)
{
	return (unsigned)o < OUTCOME_COUNT ? outcome_names[o] : "error";
}
