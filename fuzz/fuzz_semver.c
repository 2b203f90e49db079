/*
 * fuzz_semver.c: libFuzzer target for src/semver.c. The input is a
 * constraint, a newline, then a version; without a newline the whole input
 * is both. Besides running the parsers and the check under the sanitizers,
 * it asserts what must hold whatever the input:
 *
 * - a strict version also parses loosely, to the same fields;
 * - a loose version printed canonically parses strictly to an equal one;
 * - a version satisfies "=V", ">=V", "<=V", "~V" and "^V" built from its own
 *   text and fails "!=V", ">V" and "<V", whenever those parse;
 * - a constraint check gives the same answer twice and for equal versions.
 */
#include "kw.h"
#include "semver.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_semver: invariant failed: %s\n", #cond); \
		abort(); \
	} \
} while (0)

static bool same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
		(a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_version(const struct semver *a, const struct semver *b)
{
	return a->major == b->major && a->minor == b->minor &&
		a->patch == b->patch && same_str(a->prerelease, b->prerelease) &&
		same_str(a->metadata, b->metadata);
}

/* MAJOR.MINOR.PATCH[-pre][+meta]; returns the length (may exceed cap). */
static size_t canonical(char *buf, size_t cap, const struct semver *v)
{
	int n = snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 ".%" PRIu64 "%s%s%s%s",
		v->major, v->minor, v->patch, v->prerelease ? "-" : "",
		v->prerelease ? v->prerelease : "", v->metadata ? "+" : "",
		v->metadata ? v->metadata : "");

	return n < 0 ? cap : (size_t)n;
}

static void check_canonical(const struct semver *v)
{
	char buf[1024];
	size_t n = canonical(buf, sizeof(buf), v);
	struct semver again;

	if (n > 256)
		return; /* over MaxVersionLen once the numbers are spelled out */
	REQUIRE(semver_parse(&again, buf, n, true) == KW_OK);
	REQUIRE(same_version(v, &again));
	REQUIRE(semver_compare(v, &again) == 0);
	semver_clear(&again);
}

/* op + the version's own text, checked against the version. */
static void check_self(const char *op, const char *s, size_t len,
	const struct semver *v, bool want)
{
	char buf[600];
	struct semver_constraint *c = NULL;
	int n = snprintf(buf, sizeof(buf), "%s%.*s", op, (int)len, s);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	if (semver_constraint_new(&c, buf, (size_t)n, NULL) != KW_OK)
		return;
	REQUIRE(semver_constraint_check(c, v) == want);
	semver_constraint_free(c);
}

static void check_versions(const char *s, size_t len, struct semver *loose,
	struct semver *strict, int *lrc)
{
	int src;

	*lrc = semver_parse(loose, s, len, false);
	src = semver_parse(strict, s, len, true);
	REQUIRE(*lrc == KW_OK || *lrc == KW_EINVAL || *lrc == KW_ENOMEM);
	REQUIRE(src == KW_OK || src == KW_EINVAL || src == KW_ENOMEM);
	if (src == KW_OK && *lrc != KW_ENOMEM) {
		REQUIRE(*lrc == KW_OK);
		REQUIRE(same_version(loose, strict));
	}
	if (*lrc != KW_OK)
		return;
	REQUIRE(semver_compare(loose, loose) == 0);
	check_canonical(loose);
	check_self("=", s, len, loose, true);
	check_self(">=", s, len, loose, true);
	check_self("<=", s, len, loose, true);
	check_self("~", s, len, loose, true);
	check_self("^", s, len, loose, true);
	check_self("!=", s, len, loose, false);
	check_self(">", s, len, loose, false);
	check_self("<", s, len, loose, false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *nl = memchr(s, '\n', size);
	size_t clen = nl != NULL ? (size_t)(nl - s) : size;
	const char *ver = nl != NULL ? nl + 1 : s;
	size_t vlen = nl != NULL ? size - clen - 1 : size;
	struct semver_constraint *c = NULL;
	struct semver loose, strict;
	struct kw_err err;
	int crc, lrc;

	crc = semver_constraint_new(&c, s, clen, &err);
	REQUIRE(crc == KW_OK || crc == KW_EINVAL || crc == KW_ENOMEM);
	REQUIRE((crc == KW_OK) == (c != NULL));
	check_versions(ver, vlen, &loose, &strict, &lrc);
	if (c != NULL && lrc == KW_OK) {
		bool a = semver_constraint_check(c, &loose);

		REQUIRE(semver_constraint_check(c, &loose) == a);
		if (same_version(&loose, &strict))
			REQUIRE(semver_constraint_check(c, &strict) == a);
	}
	semver_constraint_free(c);
	semver_clear(&loose);
	semver_clear(&strict);
	return 0;
}
