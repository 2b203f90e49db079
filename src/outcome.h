/*
 * outcome.h: what an answer says about a request, for logs and metrics.
 * handler.c decides the outcome of each request; http.c logs it and
 * metrics.c counts it, so the names live here, apart from both.
 */
#ifndef OUTCOME_H
#define OUTCOME_H

enum outcome {
	OUTCOME_OK = 0,
	OUTCOME_NO_MATCH,
	OUTCOME_BAD_SIGNATURE,
	OUTCOME_MISSING_SIGNATURE,
	OUTCOME_UNSUPPORTED_EVENT,
	OUTCOME_BAD_BODY,
	OUTCOME_TOO_LARGE,
	OUTCOME_RATE_LIMITED,
	OUTCOME_NOT_FOUND,
	OUTCOME_ERROR,
	OUTCOME_BAD_REQUEST,
	OUTCOME_IGNORED, /* a known event that asks for nothing (200 {}) */
	OUTCOME_COUNT
};

/* The outcome's label ("ok", "no_match", ...); "error" when out of range. */
const char *outcome_name(enum outcome o);

#endif
