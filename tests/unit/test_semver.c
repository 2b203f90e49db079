/*
 * test_semver.c: src/semver.c through semver.h. Most constraint cases are
 * Masterminds/semver v3's own documented and tested behaviour
 * (constraints_test.go, README), so a divergence from the library Kargo
 * uses shows up here.
 */
#include "kw.h"
#include "semver.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

#define NONE NULL

static void test_parse_loose(void)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t major, minor, patch;
		const char *pre, *meta;
	} cases[] = {
		{ "1.2.3", KW_OK, 1, 2, 3, NONE, NONE },
		{ "v1.2.3", KW_OK, 1, 2, 3, NONE, NONE },
		{ "1.2", KW_OK, 1, 2, 0, NONE, NONE },
		{ "1", KW_OK, 1, 0, 0, NONE, NONE },
		{ "v1", KW_OK, 1, 0, 0, NONE, NONE },
		{ "v1.2-beta", KW_OK, 1, 2, 0, "beta", NONE },
		{ "1.2.3-beta.1+build.5", KW_OK, 1, 2, 3, "beta.1", "build.5" },
		{ "1.2.3+build-5", KW_OK, 1, 2, 3, NONE, "build-5" },
		{ "1.2.3-beta-2", KW_OK, 1, 2, 3, "beta-2", NONE },
		{ "1.2.3-0", KW_OK, 1, 2, 3, "0", NONE },
		{ "1.2.3-0a", KW_OK, 1, 2, 3, "0a", NONE },
		{ "1.2.3+01", KW_OK, 1, 2, 3, NONE, "01" },
		{ "01.02.03", KW_OK, 1, 2, 3, NONE, NONE },   /* coerced */
		{ "0.0.0", KW_OK, 0, 0, 0, NONE, NONE },
		{ "18446744073709551615.0.0", KW_OK, UINT64_MAX, 0, 0, NONE, NONE },
		{ "2.3.5-20161202202307-sha.e8fc5e5", KW_OK, 2, 3, 5,
			"20161202202307-sha.e8fc5e5", NONE },
		{ "", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "v", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "V1.2.3", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "vv1.2.3", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.3.4", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1..3", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ ".1.2", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.3-", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.3+", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.3-01", KW_EINVAL, 0, 0, 0, NONE, NONE }, /* leading 0 */
		{ "1.2.3-a..b", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.3-a_b", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.3+a+b", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.x", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ " 1.2.3", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.2.3 ", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "release-1.2.3", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "18446744073709551616.0.0", KW_EINVAL, 0, 0, 0, NONE, NONE },
		{ "1.99999999999999999999", KW_EINVAL, 0, 0, 0, NONE, NONE },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct semver v;
		int rc = semver_parse(&v, cases[i].in, strlen(cases[i].in), false);

		CHECK_MSG(rc == cases[i].rc, "loose \"%s\": rc %d, want %d",
			cases[i].in, rc, cases[i].rc);
		if (rc == KW_OK && cases[i].rc == KW_OK) {
			CHECK_MSG(v.major == cases[i].major && v.minor == cases[i].minor &&
				v.patch == cases[i].patch, "loose \"%s\": numbers", cases[i].in);
			CHECK_MSG((v.prerelease == NULL) == (cases[i].pre == NULL) &&
				(v.prerelease == NULL || strcmp(v.prerelease, cases[i].pre) == 0),
				"loose \"%s\": prerelease %s", cases[i].in,
				v.prerelease ? v.prerelease : "(none)");
			CHECK_MSG((v.metadata == NULL) == (cases[i].meta == NULL) &&
				(v.metadata == NULL || strcmp(v.metadata, cases[i].meta) == 0),
				"loose \"%s\": metadata %s", cases[i].in,
				v.metadata ? v.metadata : "(none)");
		}
		semver_clear(&v);
	}
}

static void test_parse_strict(void)
{
	static const struct {
		const char *in;
		bool ok;
	} cases[] = {
		{ "1.2.3", true },
		{ "0.0.0", true },
		{ "1.2.3-beta.1+build.5", true },
		{ "1.2.3-0", true },
		{ "1.2.3-alpha-1", true },
		{ "1.2.3+meta-data", true },
		{ "1.2.3+001", true },
		{ "18446744073709551615.18446744073709551615.18446744073709551615",
			true },
		{ "v1.2.3", false },
		{ "1.2", false },
		{ "1", false },
		{ "01.2.3", false },
		{ "1.02.3", false },
		{ "1.2.03", false },
		{ "1.2.3-01", false },
		{ "1.2.3-", false },
		{ "1.2.3+", false },
		{ "1.2.3.4", false },
		{ "1.2-beta.3", false },
		{ "1..3", false },
		{ "1.2.", false },
		{ "", false },
		{ "1.2.3-a_b", false },
		{ "18446744073709551616.0.0", false },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct semver v;
		int rc = semver_parse(&v, cases[i].in, strlen(cases[i].in), true);

		CHECK_MSG((rc == KW_OK) == cases[i].ok, "strict \"%s\": rc %d",
			cases[i].in, rc);
		semver_clear(&v);
	}
}

/* Versions longer than Masterminds' MaxVersionLen (256) are rejected. */
static void test_parse_bounds(void)
{
	char buf[300];
	struct semver v;

	memcpy(buf, "1.2.3-", 6);
	memset(buf + 6, 'a', sizeof(buf) - 6);
	CHECK_INT(semver_parse(&v, buf, 256, false), KW_OK);
	semver_clear(&v);
	CHECK_INT(semver_parse(&v, buf, 256, true), KW_OK);
	semver_clear(&v);
	CHECK_INT(semver_parse(&v, buf, 257, false), KW_EINVAL);
	CHECK_INT(semver_parse(&v, buf, 257, true), KW_EINVAL);
	/* An embedded NUL is just an invalid character. */
	CHECK_INT(semver_parse(&v, "1.2.3\0", 6, false), KW_EINVAL);
	semver_clear(NULL);
}

static void test_compare(void)
{
	static const struct {
		const char *a, *b;
		int want;
	} cases[] = {
		{ "1.2.3", "1.2.3", 0 },
		{ "v1.2.3", "1.2.3", 0 },
		{ "1.2", "1.2.0", 0 },
		{ "1.2.3+a", "1.2.3+b", 0 },     /* metadata ignored */
		{ "1.2.3", "1.2.4", -1 },
		{ "1.3.0", "1.2.9", 1 },
		{ "2.0.0", "10.0.0", -1 },
		{ "1.2.3-alpha", "1.2.3", -1 },
		{ "1.2.3", "1.2.3-alpha", 1 },
		/* SemVer 2.0.0 item 11's example chain. */
		{ "1.0.0-alpha", "1.0.0-alpha.1", -1 },
		{ "1.0.0-alpha.1", "1.0.0-alpha.beta", -1 },
		{ "1.0.0-alpha.beta", "1.0.0-beta", -1 },
		{ "1.0.0-beta", "1.0.0-beta.2", -1 },
		{ "1.0.0-beta.2", "1.0.0-beta.11", -1 },
		{ "1.0.0-beta.11", "1.0.0-rc.1", -1 },
		{ "1.0.0-rc.1", "1.0.0", -1 },
		{ "1.0.0-2", "1.0.0-10", -1 },
		{ "1.0.0-a", "1.0.0-1", 1 },     /* words above numbers */
		{ "1.0.0-Z", "1.0.0-a", -1 },    /* bytewise */
		{ "1.0.0-99999999999999999999", "1.0.0-1", 1 }, /* too big: a word */
		{ "18446744073709551615.0.0", "18446744073709551614.0.0", 1 },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct semver a, b;
		int got;

		CHECK(semver_parse(&a, cases[i].a, strlen(cases[i].a), false) == KW_OK);
		CHECK(semver_parse(&b, cases[i].b, strlen(cases[i].b), false) == KW_OK);
		got = semver_compare(&a, &b);
		CHECK_MSG(got == cases[i].want, "compare(%s, %s) = %d, want %d",
			cases[i].a, cases[i].b, got, cases[i].want);
		got = semver_compare(&b, &a);
		CHECK_MSG(got == -cases[i].want, "compare(%s, %s) = %d, want %d",
			cases[i].b, cases[i].a, got, -cases[i].want);
		semver_clear(&a);
		semver_clear(&b);
	}
}

static void test_constraint_parse(void)
{
	static const struct {
		const char *in;
		bool ok;
	} cases[] = {
		{ ">= 1.2", true },
		{ "1.0", true },
		{ "<= 1.2", true },
		{ "=< 1.2", true },
		{ "=> 1.2", true },
		{ "v1.2", true },
		{ "=1.5", true },
		{ "> 1.3", true },
		{ "< 1.4.1", true },
		{ "~> 1.2", true },
		{ "^1.2", true },
		{ "1.x", true },
		{ "1.X.x", true },
		{ "*", true },
		{ "1.*.5", true },          /* segments after a wildcard are ignored */
		{ "1.x.|", true },
		{ ">40.50.60, < 50.70", true },
		{ "v2.3.5-20161202202307-sha.e8fc5e5", true },
		{ ">= 1.2.3 < 2.0", true },
		{ ">= 1.2.3 < 2.0 || => 3.0 < 4", true },
		{ ">= 1.2.3, < 2.0 || => 3.0, < 4", true },
		{ "3 - 4 || => 3.0, < 4", true },
		{ "1.0.0 - 2.0.0 <=2.0.0", true },
		{ "12.3.34 ~1.2.3", true },
		{ "\t>=1.2\n<2\r", true },
		{ "1.2.3 ,1.2.4", true },
		{ "=1.2.3+build.1", true },
		{ "foo", false },
		{ ">= bar", false },
		{ "BAR >= 1.2.3", false },
		{ "", false },             /* NewConstraint rejects the empty string */
		{ "   ", false },
		{ "||", false },
		{ "1.2 ||", false },
		{ "|| 1.2", false },
		{ "1.2 || || 1.3", false },
		{ "1.2,", false },
		{ ",1.2", false },
		{ "1.2,,1.3", false },
		{ "12.3.4.1234", false },
		{ "12.23.4.1234", false },
		{ "12.3.34.1234", false },
		{ "12.3.34~ 1.2.3", false },
		{ "1.2.3~1.2", false },
		{ "> =1.2", false },
		{ ">=", false },
		{ "1.2.3-", false },
		{ "1.2.3-01", false },     /* leading zero in a pre-release */
		{ "1.2.", false },
		{ "1|2", false },
		{ "1.x1", false },
		{ "xx", false },
		{ "V1.2", false },
		{ "1.2.3 - ", false },
		{ "1 - 2 - 3", false },
		{ "18446744073709551615", true },
		{ "18446744073709551616", false },
		{ "1.18446744073709551616", false },
		{ "1.x.18446744073709551616", true }, /* ignored after the x */
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct semver_constraint *c = NULL;
		struct kw_err err = { "" };
		int rc = semver_constraint_new(&c, cases[i].in, strlen(cases[i].in),
			&err);

		CHECK_MSG((rc == KW_OK) == cases[i].ok, "constraint \"%s\": rc %d (%s)",
			cases[i].in, rc, err.msg);
		CHECK_MSG((c != NULL) == (rc == KW_OK), "constraint \"%s\": out",
			cases[i].in);
		CHECK_MSG(rc == KW_OK || err.msg[0] != '\0', "constraint \"%s\": no message",
			cases[i].in);
		semver_constraint_free(c);
	}
}

/* Checks constraint against version (loose) and returns the answer, or -1
 * when either does not parse. */
static int check(const char *constraint, const char *version)
{
	struct semver_constraint *c = NULL;
	struct semver v;
	int ans = -1;

	if (semver_constraint_new(&c, constraint, strlen(constraint), NULL) == KW_OK &&
		semver_parse(&v, version, strlen(version), false) == KW_OK) {
		ans = semver_constraint_check(c, &v);
		semver_clear(&v);
	}
	semver_constraint_free(c);
	return ans;
}

static void test_constraint_check(void)
{
	static const struct {
		const char *c, *v;
		bool want;
	} cases[] = {
		/* Masterminds TestConstraintCheck */
		{ "=2.0.0", "1.2.3", false }, { "=2.0.0", "2.0.0", true },
		{ "=2.0", "1.2.3", false }, { "=2.0", "2.0.0", true },
		{ "=2.0", "2.0.1", true }, { "4.1", "4.1.0", true },
		{ "!=4.1.0", "4.1.0", false }, { "!=4.1.0", "4.1.1", true },
		{ "!=4.1", "4.1.0", false }, { "!=4.1", "4.1.1", false },
		{ "!=4.1", "5.1.0-alpha.1", false },
		{ "!=4.1.0", "5.1.0-alpha.1", false },
		{ "!=4.1-alpha", "4.1.0", true }, { "!=4.1", "5.1.0", true },
		{ "<11", "0.1.0", true }, { "<11", "11.1.0", false },
		{ "<1.1", "0.1.0", true }, { "<1.1", "1.1.0", false },
		{ "<1.1", "1.1.1", false }, { "<=11", "1.2.3", true },
		{ "<=11", "12.2.3", false }, { "<=11", "11.2.3", true },
		{ "<=1.1", "1.2.3", false }, { "<=1.1", "0.1.0", true },
		{ "<=1.1", "1.1.0", true }, { "<=1.1", "1.1.1", true },
		{ ">1.1", "4.1.0", true }, { ">1.1", "1.1.0", false },
		{ ">0", "0", false }, { ">0", "1", true },
		{ ">0", "0.0.1-alpha", false }, { ">0.0", "0.0.1-alpha", false },
		{ ">0-0", "0.0.1-alpha", false }, { ">0.0-0", "0.0.1-alpha", false },
		{ ">0", "0.0.0-alpha", false }, { ">0-0", "0.0.0-alpha", false },
		{ ">0.0.0-0", "0.0.0-alpha", true },
		{ ">1.2.3-alpha.1", "1.2.3-alpha.2", true },
		{ ">1.2.3-alpha.1", "1.3.3-alpha.2", true },
		{ ">11", "11.1.0", false }, { ">11.1", "11.1.0", false },
		{ ">11.1", "11.1.1", false }, { ">11.1", "11.2.1", true },
		{ ">=11", "11.1.2", true }, { ">=11.1", "11.1.2", true },
		{ ">=11.1", "11.0.2", false }, { ">=1.1", "0.0.9", false },
		{ ">=0", "0.0.1-alpha", false }, { ">=0-0", "0.0.1-alpha", true },
		{ ">=0.0-0", "0.0.1-alpha", true }, { ">=0", "0.0.0-alpha", false },
		{ ">=0-0", "0.0.0-alpha", true }, { ">=0.0.0-0", "1.2.3", true },
		{ ">=0.0.0-0", "3.4.5-beta.1", true },
		{ "<0", "0.0.0-alpha", false }, { "<0-z", "0.0.0-alpha", true },
		{ ">=0", "0", true }, { "=0", "1", false },
		{ "*", "1", true }, { "*", "4.5.6", true },
		{ "*", "1.2.3-alpha.1", false }, { "*-0", "1.2.3-alpha.1", true },
		{ "2.*", "1", false }, { "2.*", "3.4.5", false },
		{ "2.*", "2.1.1", true }, { "2.1.*", "2.1.1", true },
		{ "2.1.*", "2.2.1", false }, { "2", "1", false },
		{ "2", "3.4.5", false }, { "2", "2.1.1", true },
		{ "2.1", "2.1.1", true }, { "2.1", "2.2.1", false },
		{ "~1.2.3", "1.2.4", true }, { "~1.2.3", "1.3.4", false },
		{ "~1.2", "1.2.4", true }, { "~1.2", "1.3.4", false },
		{ "~1", "1.2.4", true }, { "~1", "2.3.4", false },
		{ "~0.2.3", "0.2.5", true }, { "~0.2.3", "0.3.5", false },
		{ "~1.2.3-beta.2", "1.2.3-beta.4", true },
		{ "~1.2.3-beta.2", "1.2.4-beta.2", true },  /* not npm's rule */
		{ "~1.2.3-beta.2", "1.3.4-beta.2", false },
		{ "^1.2.3", "1.8.9", true }, { "^1.2.3", "2.8.9", false },
		{ "^1.2.3", "1.2.1", false }, { "^1.1.0", "2.1.0", false },
		{ "^1.2.0", "2.2.1", false }, { "^1.2.0", "1.2.1-alpha.1", false },
		{ "^1.2.0-alpha.0", "1.2.1-alpha.1", true },
		{ "^1.2.0-alpha.0", "1.2.1-alpha.0", true },
		{ "^1.2.0-alpha.2", "1.2.0-alpha.1", false },
		{ "^1.2", "1.8.9", true }, { "^1.2", "2.8.9", false },
		{ "^1", "1.8.9", true }, { "^1", "2.8.9", false },
		{ "^0.2.3", "0.2.5", true }, { "^0.2.3", "0.5.6", false },
		{ "^0.2", "0.2.5", true }, { "^0.2", "0.5.6", false },
		{ "^0.0.3", "0.0.3", true }, { "^0.0.3", "0.0.4", false },
		{ "^0.0", "0.0.3", true }, { "^0.0", "0.1.4", false },
		{ "^0.0", "1.0.4", false }, { "^0", "0.2.3", true },
		{ "^0", "1.1.4", false }, { "^0.2.3-beta.2", "0.2.3-beta.4", true },
		{ "^0.2.3-beta.2", "0.2.4-beta.2", true },
		{ "^0.2.3-beta.2", "0.3.4-beta.2", false },
		{ "^0.2.3-beta.2", "0.2.3-beta.2", true },
		/* Masterminds TestConstraintsCheck */
		{ "~0.0.0", "1.2.3", true }, { "0.x.x", "1.2.3", false },
		{ "0.0.x", "1.2.3", false }, { "0.0.0", "1.2.3", false },
		{ "^0.0.0", "1.2.3", false }, { "= 2.0", "1.2.3", false },
		{ "= 2.0", "2.0.0", true }, { "4.1.x", "4.1.3", true },
		{ "1.x", "1.4", true }, { "!=4.1-alpha", "4.1.0-alpha", false },
		{ "!=4.1-alpha", "4.1.1-alpha", false }, { "!=4.x", "5.1.0", true },
		{ "!=4.x", "4.1.0", false }, { "!=4.1.x", "4.2.0", true },
		{ "!=4.2.x", "4.2.3", false }, { "<1.x", "1.1.1", false },
		{ "<1.x", "0.1.1", true }, { "<1.x", "2.0.0", false },
		{ "<1.1.x", "1.2.1", false }, { "<1.1.x", "1.1.500", false },
		{ "<1.1.x", "1.0.500", true }, { "<1.2.x", "1.1.1", true },
		{ ">=1.1", "4.1.0-beta", false }, { "<=1.1", "0.1.0-alpha", false },
		{ "<=1.1-a", "0.1.0-alpha", true }, { "<=1.x", "1.1.0", true },
		{ "<=2.x", "3.0.0", false }, { "<=1.1.x", "1.2.500", false },
		{ "<=4.5", "3.4.0", true }, { "<=4.5", "3.7.0", true },
		{ "<=4.5", "4.6.3", false }, { ">1.1, <2", "1.1.1", false },
		{ ">1.1, <2", "1.2.1", true }, { ">1.1, <3", "4.3.2", false },
		{ ">=1.1, <2, !=1.2.3", "1.2.3", false },
		{ ">1.1 <2", "1.2.1", true }, { ">1.1    <3", "4.3.2", false },
		{ ">=1.1    <2    !=1.2.3", "1.2.3", false },
		{ ">=1.1, <2, !=1.2.3 || > 3", "4.1.2", true },
		{ ">=1.1, <2, !=1.2.3 || > 3", "3.1.2", false },
		{ ">=1.1, <2, !=1.2.3 || >= 3", "3.0.0", true },
		{ ">=1.1, <2, !=1.2.3 || > 3", "3.0.0", false },
		{ ">=1.1 <2 !=1.2.3 || > 3", "1.2.3", false },
		{ "> 1.1, <     2", "1.1.1", false }, { ">   1.1, <2", "1.2.1", true },
		{ ">= 1.1 <2 != 1.2.3 || >= 3", "3.0.0", true },
		{ ">= 1.0.0  <= 2.0.0-beta", "1.0.1-beta", true },
		{ ">= 1.0.0  <= 2.0.0-beta", "1.0.1", true },
		{ ">= 1.0.0  <= 2.0.0-beta", "3.0.0", false },
		{ ">= 1.0.0  <= 2.0.0-beta || > 3", "1.0.1-beta", true },
		{ ">= 1.0.0  <= 2.0.0-beta || > 3", "3.0.1-beta", false },
		{ ">= 1.0.0  <= 2.0.0-beta != 1.0.1 || > 3", "1.0.1-beta", true },
		{ ">= 1.0.0  <= 2.0.0-beta != 1.0.1-beta || > 3", "1.0.1-beta", false },
		{ ">= 1.0.0-0  <= 2.0.0", "1.0.1-beta", true },
		{ "1.1 - 2", "1.1.1", true }, { "1.5.0 - 4.5", "3.7.0", true },
		{ "1.1-3", "4.3.2", false },    /* "1.1-3" is 1.1 with pre-release 3 */
		{ "^1.1", "1.1.1", true }, { "^1.1", "4.3.2", false },
		{ "^1.x", "1.1.1", true }, { "^2.x", "1.1.1", false },
		{ "^1.x", "2.1.1", false }, { "^1.x", "1.1.1-beta1", false },
		{ "^1.1.2-alpha", "1.2.1-beta1", true },
		{ "^1.2.x-alpha", "1.1.1-beta1", false },
		{ "^0.0.1", "0.0.1", true }, { "^0.0.1", "0.3.1", false },
		{ "~*", "2.1.1", true }, { "~1", "2.1.1", false },
		{ "~1", "1.3.5", true }, { "~1", "1.4", true },
		{ "~1.x", "2.1.1", false }, { "~1.x", "1.3.5", true },
		{ "~1.1", "1.1.1-alpha", false }, { "~1.1-alpha", "1.1.1-beta", true },
		{ "~1.1.1-beta", "1.1.1-alpha", false }, { "~1.1.1-beta", "1.1.1", true },
		{ "~1.2.3", "1.2.5", true }, { "~1.2.3", "1.2.2", false },
		{ "~1.2.3", "1.3.2", false }, { "~1.1", "1.2.3", false },
		{ "~1.3", "2.4.5", false },
		{ "1.0.0 - 2.0.0 <=2.0.0", "1.5.0", true },
		{ "1.0.0 - 2.0.0, <=2.0.0", "1.5.0", true },
		/* README: hyphen ranges, wildcards, tilde and caret */
		{ "1.2 - 1.4.5", "1.2.0", true }, { "1.2 - 1.4.5", "1.4.5", true },
		{ "1.2 - 1.4.5", "1.4.6", false }, { "1.2 - 1.4.5", "1.1.9", false },
		{ "2.3.4 - 4.5", "4.5.9", true }, { "2.3.4 - 4.5", "4.6.0", false },
		{ "2.3.4 - 4.5", "2.3.3", false },
		{ "v1.2 - v1.4", "1.3.0", true },
		{ "1.2.x", "1.2.9", true }, { "1.2.x", "1.3.0", false },
		{ ">= 1.2.x", "1.2.0", true }, { "<= 2.x", "2.99.0", true },
		{ "<= 2.x", "3.0.0", false }, { "X", "7.0.0", true },
		{ "~1.2.x", "1.2.9", true }, { "~2.3", "2.3.99", true },
		{ "~2.3", "2.4.0", false }, { "~1.x", "1.99.0", true },
		{ "^1.2.x", "1.9.9", true }, { "^2.3", "2.9.9", true },
		{ "^2.x", "2.9.9", true }, { "^0.x", "0.9.9", true },
		{ "^0.x", "1.0.0", false }, { "^0.0.x", "0.0.9", true },
		{ "^0.0.x", "0.1.0", false }, { "^0.2.x", "0.2.9", true },
		/* "^*" holds 0.0.0 with only dirty set: it accepts 0.0.0 alone. */
		{ "^*", "0.0.0", true }, { "^*", "0.0.1", false },
		{ "^*", "1.0.0", false },
		/* ">*" and "!=*" behave like their 0.0.0 forms. */
		{ ">*", "0.0.1", true }, { ">*", "0.0.0", false },
		{ "!=*", "0.0.0", false }, { "!=*", "1.0.0", true },
		/* Metadata never takes part. */
		{ "=1.2.3+a", "1.2.3+b", true }, { "!=1.2.3+a", "1.2.3", false },
		/* The pre-release rule is per OR group. */
		{ ">=1.0.0-0 || >=5", "1.2.3-rc.1", true },
		{ ">=5 || >=1.0.0", "1.2.3-rc.1", false },
		{ ">=1.0.0, <2.0.0-0", "1.9.9-rc.1", true },
		/* Whitespace of all of Go's \s kinds separates terms. */
		{ ">=1.2\t<2", "1.5.0", true }, { ">=1.2\n<2", "2.0.0", false },
		/* Big numbers. */
		{ ">=18446744073709551615", "18446744073709551615.0.0", true },
		{ "<18446744073709551615", "18446744073709551615.0.0", false },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		int got = check(cases[i].c, cases[i].v);

		CHECK_MSG(got == (int)cases[i].want, "\"%s\" check \"%s\" = %d, want %d",
			cases[i].c, cases[i].v, got, (int)cases[i].want);
	}
}

/*
 * Masterminds' bounds: 512 bytes per constraint, 32 "||" groups. Both are
 * far over the 4096-byte limit nobody writes into a Warehouse anyway.
 */
static void test_constraint_bounds(void)
{
	char buf[8192];
	struct semver_constraint *c = NULL;
	struct kw_err err = { "" };
	size_t n = 0;

	/* ">=1 " repeated: 4 bytes a term. */
	while (n + 4 <= 512) {
		memcpy(buf + n, ">=1 ", 4);
		n += 4;
	}
	CHECK_INT(semver_constraint_new(&c, buf, n, &err), KW_OK);
	semver_constraint_free(c);
	buf[n] = '1';
	CHECK_INT(semver_constraint_new(&c, buf, n + 1, &err), KW_EINVAL);
	CHECK(c == NULL);
	CHECK(strstr(err.msg, "too long") != NULL);
	memset(buf, ' ', 5000);
	CHECK_INT(semver_constraint_new(&c, buf, 5000, &err), KW_EINVAL);

	/* "1||" 32 times minus the last bars: 32 groups, then 33. */
	n = 0;
	for (int i = 0; i < 33; i++) {
		memcpy(buf + n, "1||", 3);
		n += 3;
	}
	CHECK_INT(semver_constraint_new(&c, buf, 32 * 3 - 2, &err), KW_OK);
	semver_constraint_free(c);
	CHECK_INT(semver_constraint_new(&c, buf, 33 * 3 - 2, &err), KW_EINVAL);
	CHECK(strstr(err.msg, "too many") != NULL);
	semver_constraint_free(NULL);

	/* A constraint's version obeys MaxVersionLen (256) too. */
	memcpy(buf, "1.2.3-", 6);
	memset(buf + 6, 'a', 251);
	CHECK_INT(semver_constraint_new(&c, buf, 256, &err), KW_OK);
	semver_constraint_free(c);
	c = NULL;
	CHECK_INT(semver_constraint_new(&c, buf, 257, &err), KW_EINVAL);
	semver_constraint_free(c);
}

int main(void)
{
	test_parse_loose();
	test_parse_strict();
	test_parse_bounds();
	test_compare();
	test_constraint_parse();
	test_constraint_check();
	test_constraint_bounds();
	TEST_DONE("test_semver");
}
