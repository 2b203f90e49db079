/*
 * test_selector.c: src/selector.c through selector.h, against Kargo v1.11's
 * MatchesRef (pkg/controller/git/commit) as contract §4.9 describes it. The
 * subscriptions are built by hand, so these tests do not depend on
 * manifest.c.
 */
#include "kw.h"
#include "objects.h"
#include "selector.h"
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NFB STRATEGY_NEWEST_FROM_BRANCH
#define SEMVER STRATEGY_SEMVER
#define LEXICAL STRATEGY_LEXICAL
#define NEWEST_TAG STRATEGY_NEWEST_TAG

/* A subscription as the tables describe it; strings are borrowed. */
struct spec {
	enum commit_strategy strategy;
	const char *branch;
	const char *allow[3];
	const char *ignore[3];
	const char *constraint;
	bool strict;
	const char *allow_tags;  /* deprecated */
	const char *ignore_tag;  /* deprecated, one entry when set */
};

/* Storage that a built subscription points into. */
struct sub_buf {
	struct obj_subscription sub;
	char *allow[3];
	char *ignore[3];
	char *ignore_tags[1];
};

static size_t fill(char **dst, const char *const *src)
{
	size_t n = 0;

	while (n < 3 && src[n] != NULL) {
		dst[n] = (char *)src[n];
		n++;
	}
	return n;
}

static struct obj_subscription *build(struct sub_buf *b, const struct spec *s)
{
	memset(b, 0, sizeof(*b));
	b->sub.kind = SUB_GIT;
	b->sub.repo_url = (char *)"https://bitbucket.org/ws/repo";
	b->sub.strategy = s->strategy;
	b->sub.branch = (char *)s->branch;
	b->sub.allow_regexes = b->allow;
	b->sub.n_allow_regexes = fill(b->allow, s->allow);
	b->sub.ignore_regexes = b->ignore;
	b->sub.n_ignore_regexes = fill(b->ignore, s->ignore);
	b->sub.semver_constraint = (char *)s->constraint;
	b->sub.strict_semvers = s->strict;
	b->sub.allow_tags = (char *)s->allow_tags;
	if (s->ignore_tag != NULL) {
		b->ignore_tags[0] = (char *)s->ignore_tag;
		b->sub.ignore_tags = b->ignore_tags;
		b->sub.n_ignore_tags = 1;
	}
	return &b->sub;
}

/* 1 or 0 for the match, -1 when the selector cannot be built. */
static int matches(const struct spec *s, const char *ref, size_t len)
{
	struct sub_buf b;
	struct selector *sel = NULL;
	struct kw_err err = { "" };
	int ans;

	if (selector_new(&sel, build(&b, s), &err) != KW_OK) {
		fprintf(stderr, "  (selector_new: %s)\n", err.msg);
		return -1;
	}
	ans = selector_match(sel, ref, len);
	selector_free(sel);
	return ans;
}

static void test_newest_from_branch(void)
{
	static const struct {
		struct spec s;
		const char *ref;
		bool want;
	} cases[] = {
		{ { .strategy = NFB }, "refs/heads/main", true },
		{ { .strategy = NFB }, "refs/heads/master", true },
		{ { .strategy = NFB }, "refs/heads/develop", false },
		{ { .strategy = NFB }, "refs/heads/Main", false },
		{ { .strategy = NFB }, "refs/heads/mainline", false },
		{ { .strategy = NFB }, "refs/heads/main/x", false },
		{ { .strategy = NFB }, "refs/heads/", false },
		{ { .strategy = NFB }, "refs/tags/main", false },
		{ { .strategy = NFB }, "main", false },
		{ { .strategy = NFB }, "", false },
		{ { NFB, .branch = "" }, "refs/heads/main", true },      /* "" is no branch */
		{ { NFB, .branch = "" }, "refs/heads/", false },
		{ { NFB, .branch = "main" }, "refs/heads/main", true },
		{ { NFB, .branch = "main" }, "refs/heads/master", false },
		{ { NFB, .branch = "develop" }, "refs/heads/develop", true },
		{ { NFB, .branch = "develop" }, "refs/heads/main", false },
		{ { NFB, .branch = "develop" }, "refs/heads/develop2", false },
		{ { NFB, .branch = "develop" }, "refs/tags/develop", false },
		{ { NFB, .branch = "release/1.x" }, "refs/heads/release/1.x", true },
		{ { NFB, .branch = "release/1.x" }, "refs/heads/release/1.y", false },
		/* The tag fields mean nothing to this strategy, even broken ones. */
		{ { NFB, .allow = { "^nomatch$" } }, "refs/heads/main", true },
		{ { NFB, .allow = { "(" }, .ignore = { "[" },
			.constraint = ">>>", .allow_tags = "x", .ignore_tag = "y" },
			"refs/heads/master", true },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		int got = matches(&cases[i].s, cases[i].ref, strlen(cases[i].ref));

		CHECK_MSG(got == (int)cases[i].want,
			"NewestFromBranch branch=%s ref \"%s\": %d, want %d",
			cases[i].s.branch ? cases[i].s.branch : "(none)", cases[i].ref,
			got, (int)cases[i].want);
	}
}

static void test_tag_strategies(void)
{
	static const struct {
		struct spec s;
		const char *ref;
		bool want;
	} cases[] = {
		{ { .strategy = LEXICAL }, "refs/tags/anything", true },
		{ { .strategy = NEWEST_TAG }, "refs/tags/anything", true },
		{ { .strategy = LEXICAL }, "refs/tags/", true },          /* no regex: all tags */
		{ { .strategy = LEXICAL }, "refs/heads/main", false },
		{ { .strategy = NEWEST_TAG }, "refs/heads/v1.0.0", false },
		{ { .strategy = LEXICAL }, "tags/v1", false },
		{ { LEXICAL, .branch = "main" }, "refs/heads/main", false }, /* branch ignored */
		/* allow: unanchored search, any of several */
		{ { LEXICAL, .allow = { "^v1\\." } }, "refs/tags/v1.2", true },
		{ { LEXICAL, .allow = { "^v1\\." } }, "refs/tags/v2.0", false },
		{ { LEXICAL, .allow = { "^v1\\." } }, "refs/tags/xv1.2", false },
		{ { LEXICAL, .allow = { "rc" } }, "refs/tags/v1.0-rc1", true },
		{ { LEXICAL, .allow = { "rc" } }, "refs/tags/v1.0", false },
		{ { NEWEST_TAG, .allow = { "^a", "^b" } }, "refs/tags/b1", true },
		{ { NEWEST_TAG, .allow = { "^a", "^b" } }, "refs/tags/c1", false },
		/* the regexes see the tag name, not the ref */
		{ { LEXICAL, .allow = { "^refs" } }, "refs/tags/v1", false },
		{ { LEXICAL, .allow = { "^v1$" } }, "refs/tags/v1", true },
		/* ignore: any match excludes, and wins over allow */
		{ { LEXICAL, .ignore = { "-rc" } }, "refs/tags/v1.0", true },
		{ { LEXICAL, .ignore = { "-rc" } }, "refs/tags/v1.0-rc1", false },
		{ { NEWEST_TAG, .allow = { "^v" }, .ignore = { "alpha", "beta" } },
			"refs/tags/v1-beta", false },
		{ { NEWEST_TAG, .allow = { "^v" }, .ignore = { "alpha", "beta" } },
			"refs/tags/v1", true },
		{ { NEWEST_TAG, .allow = { "^v" }, .ignore = { "alpha", "beta" } },
			"refs/tags/x1", false },
		/* RE2 syntax users write, with Go's meaning */
		{ { LEXICAL, .allow = { "(?i)^RELEASE-" } }, "refs/tags/release-1", true },
		{ { LEXICAL, .allow = { "^v\\d+\\.\\d+\\.\\d+$" } }, "refs/tags/v1.22.3", true },
		{ { LEXICAL, .allow = { "^v\\d+\\.\\d+\\.\\d+$" } }, "refs/tags/v1.22", false },
		{ { LEXICAL, .allow = { "^[[:digit:]]+$" } }, "refs/tags/2024", true },
		{ { LEXICAL, .allow = { "^(?P<y>\\d{4})\\.(?P<m>\\d\\d)$" } },
			"refs/tags/2024.05", true },
		{ { LEXICAL, .allow = { "^(?<y>\\d{4})$" } }, "refs/tags/2024", true },
		{ { LEXICAL, .allow = { "^\\Qv1.0\\E$" } }, "refs/tags/v1.0", true },
		{ { LEXICAL, .allow = { "^\\Qv1.0\\E$" } }, "refs/tags/v1x0", false },
		{ { LEXICAL, .allow = { "^\\pL+$" } }, "refs/tags/r\xc3\xa9sum\xc3\xa9", true },
		{ { LEXICAL, .allow = { "^.$" } }, "refs/tags/\xc3\xa9", true }, /* one rune */
		{ { LEXICAL, .allow = { "^\\w+$" } }, "refs/tags/\xc3\xa9", false }, /* ASCII \w */
		{ { LEXICAL, .allow = { "^\\101$" } }, "refs/tags/A", true },    /* octal */
		{ { LEXICAL, .allow = { "^a{2,3}$" } }, "refs/tags/aaa", true },
		{ { LEXICAL, .allow = { "^a{,2}$" } }, "refs/tags/a{,2}", true }, /* literal */
		{ { LEXICAL, .allow = { "(?U)^a+" } }, "refs/tags/aaa", true },
		{ { LEXICAL, .allow = { "[]a]" } }, "refs/tags/]", true },
		{ { LEXICAL, .allow = { "^v" } }, "refs/tags/v\xff\xfe", true }, /* bad UTF-8 */
		/* Constructs PCRE2 reads differently, given Go's meaning. */
		{ { LEXICAL, .allow = { "^[\\w-.]+$" } }, "refs/tags/a-b.c", true },
		{ { LEXICAL, .allow = { "^[\\d-z]$" } }, "refs/tags/-", true },
		{ { LEXICAL, .allow = { "^[\\d-z]$" } }, "refs/tags/y", false },
		{ { LEXICAL, .allow = { "^[[:alpha:]-]+$" } }, "refs/tags/a-b", true },
		{ { LEXICAL, .allow = { "^[[.a]+$" } }, "refs/tags/a.[", true },
		{ { LEXICAL, .allow = { "^\\b+v" } }, "refs/tags/v1", true },
		{ { LEXICAL, .allow = { "^*v$" } }, "refs/tags/v", true },
		{ { LEXICAL, .allow = { "v$?1" } }, "refs/tags/v1", true },
		{ { LEXICAL, .allow = { "^a\\sb$" } }, "refs/tags/a b", true },
		{ { LEXICAL, .allow = { "^a\\sb$" } }, "refs/tags/a\vb", false },
		{ { LEXICAL, .allow = { "^a[\\s]b$" } }, "refs/tags/a\vb", false },
		{ { LEXICAL, .allow = { "^a\\Sb$" } }, "refs/tags/a\vb", true },
		{ { LEXICAL, .allow = { "^a\\vb$" } }, "refs/tags/a\vb", true },
		{ { LEXICAL, .allow = { "^a\\vb$" } }, "refs/tags/a\nb", false },
		{ { LEXICAL, .allow = { "^(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)\\12$" } },
			"refs/tags/aaaaaaaaaaaa\n", true },      /* octal, not group 12 */
		{ { LEXICAL, .allow = { "^(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)(a)\\12$" } },
			"refs/tags/aaaaaaaaaaaaa", false },
		{ { LEXICAL, .allow = { "^(?P<1st>v)(?P<1st>\\d)$" } }, "refs/tags/v1", true },
		/* Go's $ is the end of text only, not before a final newline. */
		{ { LEXICAL, .allow = { "1$" } }, "refs/tags/v1\n", false },
		{ { LEXICAL, .allow = { "(?m)1$" } }, "refs/tags/v1\n", true },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		int got = matches(&cases[i].s, cases[i].ref, strlen(cases[i].ref));

		CHECK_MSG(got == (int)cases[i].want,
			"tag case %zu allow=%s ref \"%s\": %d, want %d", i,
			cases[i].s.allow[0] ? cases[i].s.allow[0] : "(none)",
			cases[i].ref, got, (int)cases[i].want);
	}
}

static void test_semver_strategy(void)
{
	static const struct {
		struct spec s;
		const char *ref;
		bool want;
	} cases[] = {
		{ { .strategy = SEMVER }, "refs/tags/v1.2.3", true },
		{ { .strategy = SEMVER }, "refs/tags/1.2.3", true },
		{ { .strategy = SEMVER }, "refs/tags/1.2", true },          /* loose */
		{ { .strategy = SEMVER }, "refs/tags/v1", true },
		{ { .strategy = SEMVER }, "refs/tags/01.2.3", true },       /* coerced */
		{ { .strategy = SEMVER }, "refs/tags/v1.2.3-rc.1+b5", true },
		{ { .strategy = SEMVER }, "refs/tags/latest", false },
		{ { .strategy = SEMVER }, "refs/tags/v1.2.3.4", false },
		{ { .strategy = SEMVER }, "refs/tags/V1.2.3", false },
		{ { .strategy = SEMVER }, "refs/tags/release-1.2.3", false },
		{ { .strategy = SEMVER }, "refs/tags/", false },
		{ { .strategy = SEMVER }, "refs/heads/v1.2.3", false },
		{ { .strategy = SEMVER }, "refs/tags/refs/tags/v1.2.3", false },
		/* strictSemvers: StrictNewVersion after trimming one "v" */
		{ { SEMVER, .strict = true }, "refs/tags/v1.2.3", true },
		{ { SEMVER, .strict = true }, "refs/tags/1.2.3", true },
		{ { SEMVER, .strict = true }, "refs/tags/1.2", false },
		{ { SEMVER, .strict = true }, "refs/tags/v1", false },
		{ { SEMVER, .strict = true }, "refs/tags/v01.2.3", false },
		{ { SEMVER, .strict = true }, "refs/tags/vv1.2.3", false },
		{ { SEMVER, .strict = true }, "refs/tags/1.2.3-rc.1", true },
		/* constraints, with Masterminds' pre-release rule */
		{ { SEMVER, .constraint = "^1.2" }, "refs/tags/v1.5.0", true },
		{ { SEMVER, .constraint = "^1.2" }, "refs/tags/v1.1.9", false },
		{ { SEMVER, .constraint = "^1.2" }, "refs/tags/v2.0.0", false },
		{ { SEMVER, .constraint = "^1.2" }, "refs/tags/v1.5.0-rc.1", false },
		{ { SEMVER, .constraint = ">=1.0.0-0" }, "refs/tags/v1.5.0-rc.1", true },
		{ { SEMVER, .constraint = ">=1.2 <2" }, "refs/tags/1.9", true },
		{ { SEMVER, .constraint = "~1.2" }, "refs/tags/v1.3.0", false },
		{ { SEMVER, .constraint = "1.x" }, "refs/tags/v1.7.7", true },
		{ { SEMVER, .constraint = "1.x || 3.x" }, "refs/tags/v3.1", true },
		{ { SEMVER, .constraint = "1.x || 3.x" }, "refs/tags/v2.1", false },
		{ { SEMVER, .constraint = "" }, "refs/tags/v9.9.9", true }, /* none */
		{ { SEMVER, .constraint = "^1", .strict = true }, "refs/tags/1.5", false },
		/* regexes come first */
		{ { SEMVER, .allow = { "^v" } }, "refs/tags/1.2.3", false },
		{ { SEMVER, .allow = { "^v" } }, "refs/tags/v1.2.3", true },
		{ { SEMVER, .ignore = { "-rc" } }, "refs/tags/v1.2.3-rc.1", false },
		{ { SEMVER, .ignore = { "-rc" }, .constraint = ">=1.0.0-0" },
			"refs/tags/v1.2.3-beta.1", true },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		int got = matches(&cases[i].s, cases[i].ref, strlen(cases[i].ref));

		CHECK_MSG(got == (int)cases[i].want,
			"semver case %zu constraint=%s ref \"%s\": %d, want %d", i,
			cases[i].s.constraint ? cases[i].s.constraint : "(none)",
			cases[i].ref, got, (int)cases[i].want);
	}
}

/* Refs are lengths, not C strings: a NUL ends nothing. */
static void test_ref_lengths(void)
{
	struct spec nfb = { .strategy = NFB }, lex = { LEXICAL, .allow = { "^v1$" } };
	struct spec sv = { .strategy = SEMVER };

	CHECK_INT(matches(&nfb, "refs/heads/main\0x", 17), 0);
	CHECK_INT(matches(&nfb, "refs/heads/mainXXX", 15), 1);
	CHECK_INT(matches(&lex, "refs/tags/v1\0", 13), 0);
	CHECK_INT(matches(&lex, "refs/tags/v1XX", 12), 1);
	CHECK_INT(matches(&sv, "refs/tags/1.2.3\0", 16), 0);
	CHECK_INT(matches(&sv, "refs/tags/1.2.3.4", 15), 1);
	CHECK_INT(matches(&nfb, "refs/he", 7), 0);
	CHECK_INT(matches(&lex, "refs/tags", 9), 0);
}

/* Each builder error names the field, in Kargo's order. */
static void test_errors(void)
{
	static const struct {
		struct spec s;
		const char *want; /* NULL: builds */
	} cases[] = {
		{ { LEXICAL, .allow = { "(" } }, "allowTagsRegexes[0]" },
		{ { NEWEST_TAG, .allow = { "ok", "*" } }, "allowTagsRegexes[1]" },
		{ { SEMVER, .allow = { "[a-" } }, "allowTagsRegexes[0]" },
		{ { LEXICAL, .ignore = { "[" } }, "ignoreTagsRegexes[0]" },
		{ { LEXICAL, .ignore = { "a", "b", "(?" } }, "ignoreTagsRegexes[2]" },
		{ { LEXICAL, .allow_tags = "^v" }, "allowTags is deprecated" },
		{ { NEWEST_TAG, .allow_tags = "^v" }, "allowTags is deprecated" },
		{ { SEMVER, .allow_tags = "^v" }, "allowTags is deprecated" },
		{ { LEXICAL, .allow_tags = "" }, NULL },         /* empty: unset */
		{ { LEXICAL, .ignore_tag = "v1" }, "ignoreTags is deprecated" },
		{ { SEMVER, .ignore_tag = "" }, "ignoreTags is deprecated" },
		/* Kargo's order: allow regexes, allowTags, ignore regexes, ignoreTags */
		{ { LEXICAL, .allow = { "(" }, .allow_tags = "x" },
			"allowTagsRegexes[0]" },
		{ { LEXICAL, .ignore = { "(" }, .allow_tags = "x" },
			"allowTags is deprecated" },
		{ { LEXICAL, .ignore = { "(" }, .ignore_tag = "x" },
			"ignoreTagsRegexes[0]" },
		{ { SEMVER, .constraint = "nope", .ignore_tag = "x" },
			"ignoreTags is deprecated" },
		{ { SEMVER, .constraint = "nope" }, "semverConstraint" },
		{ { SEMVER, .constraint = ">= 1.2 ||" }, "semverConstraint" },
		{ { SEMVER, .constraint = "1.2.3.4" }, "semverConstraint" },
		{ { LEXICAL, .constraint = "nope" }, NULL },   /* only SemVer reads it */
		{ { NEWEST_TAG, .constraint = "nope" }, NULL },
		/* PCRE-only syntax that Go's regexp refuses */
		{ { LEXICAL, .allow = { "v(?=1)" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "v(?!1)" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(?<=v)1" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(?<!v)1" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(?>a)" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(?|a)" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(?#note)a" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(?P=n)" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(a)(?1)" } }, "unsupported Perl syntax" },
		{ { LEXICAL, .allow = { "(*UTF)a" } }, "repetition operator" },
		{ { LEXICAL, .allow = { "(a)\\1" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "\\8" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "\\K" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "\\h" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "a\\Z" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "\\Ca" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "\\E" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "[\\b]" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "\\\xc3\xa9" } }, "invalid escape" },
		{ { LEXICAL, .allow = { "a++" } }, "nested repetition" },
		{ { LEXICAL, .allow = { "a*+" } }, "nested repetition" },
		{ { LEXICAL, .allow = { "a{1001}" } }, "repeat count" },
		{ { LEXICAL, .allow = { "a{2,1001}" } }, "repeat count" },
		{ { LEXICAL, .allow = { "^v\xff" } }, "UTF-8" }, /* Go too */
		{ { LEXICAL, .allow = { "a{2}+" } }, "nested repetition" },
		{ { LEXICAL, .allow = { "a**" } }, "nested repetition" },
		{ { LEXICAL, .allow = { "a{2}{3}" } }, "nested repetition" },
		{ { LEXICAL, .allow = { "a*?+" } }, "nested repetition" },
		{ { LEXICAL, .allow = { "(?P<a-b>x)" } }, "invalid named capture" },
		{ { LEXICAL, .allow = { "(?<>x)" } }, "invalid named capture" },
		{ { LEXICAL, .allow = { "(?P<n" } }, "invalid named capture" },
		/* Go applies this "+" to the "a"; PCRE2 refuses it (documented). */
		{ { LEXICAL, .allow = { "a(?i)+" } }, "allowTagsRegexes[0]" },
		/* ... and RE2 syntax that must keep working */
		{ { LEXICAL, .allow = { "(?i)a", "(?i:a)", "(?-s:.)" } }, NULL },
		{ { LEXICAL, .allow = { "(?P<n>a)", "(?<n>a)", "(?:a)" } }, NULL },
		{ { LEXICAL, .allow = { "\\Q(?=\\E", "\\x{41}\\x41", "\\0\\07\\17" } }, NULL },
		{ { LEXICAL, .allow = { "[\\d\\s\\w-]", "[[:alpha:]]", "[^]a]" } }, NULL },
		{ { LEXICAL, .allow = { "\\p{Greek}\\PL\\pN", "\\A\\b\\B\\z", "a*?b+?" } },
			NULL },
		{ { LEXICAL, .allow = { "a{1000}", "x{,5000}", "\\.\\-\\+\\*\\?\\{" } }, NULL },
		{ { LEXICAL, .allow = { "\\a\\f\\n\\r\\t\\v", "[\\]]", "\\Qno end" } }, NULL },
	};

	for (size_t i = 0; i < KW_ARRAY_LEN(cases); i++) {
		struct sub_buf b;
		struct selector *sel = NULL;
		struct kw_err err = { "" };
		int rc = selector_new(&sel, build(&b, &cases[i].s), &err);

		if (cases[i].want == NULL) {
			CHECK_MSG(rc == KW_OK && sel != NULL, "error case %zu: rc %d (%s)",
				i, rc, err.msg);
		} else {
			CHECK_MSG(rc == KW_EINVAL && sel == NULL &&
				strstr(err.msg, cases[i].want) != NULL,
				"error case %zu: rc %d, message \"%s\", want \"%s\"", i, rc,
				err.msg, cases[i].want);
		}
		selector_free(sel);
	}
}

static void test_unknown_strategy(void)
{
	struct sub_buf b;
	struct spec s = { .strategy = NFB };
	struct selector *sel = NULL;
	struct kw_err err = { "" };

	build(&b, &s);
	b.sub.strategy = (enum commit_strategy)42;
	CHECK_INT(selector_new(&sel, &b.sub, &err), KW_EINVAL);
	CHECK(strstr(err.msg, "commitSelectionStrategy") != NULL);
	CHECK_INT(selector_new(&sel, &b.sub, NULL), KW_EINVAL);
	selector_free(NULL);
}

/* Image and chart selections: what Kargo's pkg/image and pkg/helm/chart
 * selectors refuse to build, and what MatchesTag / MatchesVersion say. */
struct kind_row {
	enum sub_kind kind;
	const char *repo;
	enum image_strategy strategy;
	const char *constraint; /* image constraint or chart semverConstraint */
	const char *platform;
	const char *q;    /* tag or version; NULL: the build must fail */
	bool want;
};

static const struct kind_row kind_rows[] = {
	{ SUB_IMAGE, "nginx", IMAGE_SEMVER, NULL, NULL, "1.25.3", true },
	{ SUB_IMAGE, "nginx", IMAGE_SEMVER, NULL, NULL, "1.25", false },
	{ SUB_IMAGE, "nginx", IMAGE_SEMVER, "~1.24", NULL, "1.25.3", false },
	{ SUB_IMAGE, "nginx", IMAGE_SEMVER, "~1.24", NULL, "v1.24.9", true },
	{ SUB_IMAGE, "nginx", IMAGE_LEXICAL, "~1.24", NULL, "anything", true },
	{ SUB_IMAGE, "nginx", IMAGE_NEWEST_BUILD, NULL, NULL, "sha-1234", true },
	{ SUB_IMAGE, "nginx", IMAGE_DIGEST, "stable", NULL, "stable", true },
	{ SUB_IMAGE, "nginx", IMAGE_DIGEST, "stable", NULL, "Stable", false },
	{ SUB_IMAGE, "nginx", IMAGE_DIGEST, NULL, NULL, "stable", false },
	{ SUB_IMAGE, "nginx", IMAGE_SEMVER, NULL, "linux/amd64", "1.0.0", true },
	/* refused as Kargo refuses them */
	{ SUB_IMAGE, "nginx", IMAGE_SEMVER, NULL, "linux", NULL, false },
	{ SUB_IMAGE, "nginx", IMAGE_DIGEST, NULL, "linux", NULL, false },
	{ SUB_IMAGE, "nginx", IMAGE_SEMVER, "not a constraint", NULL, NULL, false },
	{ SUB_IMAGE, "not an image", IMAGE_SEMVER, NULL, NULL, NULL, false },
	{ SUB_IMAGE, "x", IMAGE_LEXICAL, NULL, NULL, NULL, false },
	/* charts: NewVersion (loose), then the constraint */
	{ SUB_CHART, "oci://ghcr.io/org/chart", 0, NULL, NULL, "v1", true },
	{ SUB_CHART, "oci://ghcr.io/org/chart", 0, NULL, NULL, "latest", false },
	{ SUB_CHART, "oci://ghcr.io/org/chart", 0, "^2", NULL, "1.9.0", false },
	{ SUB_CHART, "https://charts.example.com", 0, "^2", NULL, "2.0.1", true },
	{ SUB_CHART, "OCI://ghcr.io/org/chart", 0, NULL, NULL, NULL, false },
	{ SUB_CHART, "ghcr.io/org/chart", 0, NULL, NULL, NULL, false },
	{ SUB_CHART, "oci://ghcr.io/Org/chart", 0, NULL, NULL, NULL, false },
	{ SUB_CHART, "oci://ghcr.io/org/chart", 0, "bad", NULL, NULL, false },
};

static void test_image_and_chart(void)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(kind_rows); i++) {
		const struct kind_row *r = &kind_rows[i];
		struct obj_subscription sub = { 0 };
		struct selector *sel = NULL;
		struct kw_err err = { "" };
		int rc;

		sub.kind = r->kind;
		sub.repo_url = (char *)r->repo;
		sub.image_strategy = r->strategy;
		sub.strict_semvers = true;
		sub.platform = (char *)r->platform;
		if (r->kind == SUB_IMAGE)
			sub.constraint = (char *)r->constraint;
		else
			sub.semver_constraint = (char *)r->constraint;
		rc = selector_new(&sel, &sub, &err);
		if (r->q == NULL) {
			CHECK_MSG(rc == KW_EINVAL && err.msg[0] != '\0',
				"row %zu (%s) built", i, r->repo);
			continue;
		}
		CHECK_MSG(rc == KW_OK, "row %zu (%s): %s", i, r->repo, err.msg);
		if (rc == KW_OK)
			CHECK_MSG(selector_match(sel, r->q, strlen(r->q)) == r->want,
				"row %zu: %s %s", i, r->repo, r->q);
		selector_free(sel);
	}
}

/*
 * A catastrophic pattern must not hang a request thread. When PCRE2 gives
 * up, the allow regex counts as matching and the ignore regex as not
 * matching: a refresh too many is harmless.
 */
static void test_pathological_regex(void)
{
	char ref[256] = "refs/tags/";
	struct spec allow = { LEXICAL, .allow = { "^(a+)+$" } };
	struct spec ignore = { LEXICAL, .ignore = { "^(a|a)*$" } };
	struct timespec t0, t1;
	double ms;

	memset(ref + 10, 'a', 60);
	strcpy(ref + 70, "b");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(matches(&allow, ref, strlen(ref)), 1);
	CHECK_INT(matches(&ignore, ref, strlen(ref)), 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
		(double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	CHECK_MSG(ms < 2000, "pathological regexes took %.0f ms", ms);
	/* A short input is answered exactly. */
	CHECK_INT(matches(&allow, "refs/tags/aaab", 14), 0);
	CHECK_INT(matches(&allow, "refs/tags/aaa", 13), 1);
}

/* One selector, many threads: results must not depend on interleaving. */
struct thread_arg {
	const struct selector *sel;
	int wrong;
};

static void *match_many(void *p)
{
	struct thread_arg *a = p;

	for (int i = 0; i < 2000; i++) {
		bool yes = selector_match(a->sel, "refs/tags/v1.4.0", 16);
		bool no1 = selector_match(a->sel, "refs/tags/v1.4.0-rc1", 20);
		bool no2 = selector_match(a->sel, "refs/tags/v2.0.0", 16);

		a->wrong += !yes + no1 + no2;
	}
	return NULL;
}

static void test_threads(void)
{
	struct spec s = { SEMVER, .allow = { "^v" }, .ignore = { "-rc" },
		.constraint = "^1.2" };
	struct sub_buf b;
	struct selector *sel = NULL;
	struct thread_arg args[8];
	pthread_t th[8];

	CHECK_INT(selector_new(&sel, build(&b, &s), NULL), KW_OK);
	if (sel == NULL)
		return;
	for (int i = 0; i < 8; i++) {
		args[i] = (struct thread_arg){ sel, 0 };
		CHECK_INT(pthread_create(&th[i], NULL, match_many, &args[i]), 0);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		CHECK_INT(args[i].wrong, 0);
	}
	selector_free(sel);
}

int main(void)
{
	test_newest_from_branch();
	test_tag_strategies();
	test_semver_strategy();
	test_ref_lengths();
	test_errors();
	test_unknown_strategy();
	test_image_and_chart();
	test_pathological_regex();
	test_threads();
	TEST_DONE("test_selector");
}
