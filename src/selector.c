/*
 * selector.c: whether a pushed ref matches a git subscription's commit
 * selection, as Kargo v1.11's MatchesRef does (pkg/controller/git/commit:
 * newest_from_branch_selector.go, tag_based_selector.go,
 * semver_selector.go; pkg/controller/semver/parser.go), which
 * refreshWarehouses calls for each pushed ref (pkg/webhook/external/
 * refresh.go). What Kargo does, and so what this file does:
 *
 * - NewestFromBranch: "refs/heads/<b>" with <b> equal to branch; with no
 *   branch (absent or ""), <b> is "main" or "master".
 * - NewestTag, Lexical: "refs/tags/<t>", no ignore regex matching <t>, and
 *   some allow regex matching it (any <t> when there are none).
 * - SemVer: as the tag strategies, and <t> parses with Masterminds
 *   NewVersion and, with strictSemvers, also with StrictNewVersion once a
 *   leading "v" is trimmed; then it satisfies semverConstraint when that is
 *   not empty. (Kargo's semver selector strips "refs/tags/" twice before
 *   the regexes, but a tag that still starts with it cannot parse as a
 *   version, so stripping once gives the same answers.)
 * - Building fails on a bad allow regex, a non-empty deprecated allowTags,
 *   a bad ignore regex, deprecated ignoreTags or a bad constraint. Kargo
 *   stops at the first, in that order; here every one is reported, each
 *   bad regex at its own position. NewestFromBranch looks at none of these
 *   fields.
 *
 * Regexes are Go RE2 syntax in Kargo. Each is translated for PCRE2, refusing
 * what Go refuses and rewriting what PCRE2 would read differently (see
 * re2_translate), and compiled with options that give the shared syntax its
 * Go meaning. The compiled code and match context are shared read-only by
 * all threads; match data is per call. A match limit bounds the
 * work a pathological pattern can cause; a regex that hits it (or fails
 * otherwise) counts as allowing and as not ignoring, because a needless
 * refresh is harmless while a missed one delays discovery.
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "selector.h"

#include "imagenorm.h"
#include "kw.h"
#include "objects.h"
#include "pathmatch.h"
#include "semver.h"
#include "strbuf.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* PCRE2 before 10.34 lacks it; an invalid subject then fails the match,
 * which counts as a refresh (see above). */
#ifndef PCRE2_MATCH_INVALID_UTF
#define PCRE2_MATCH_INVALID_UTF 0
#endif

#define BRANCH_PREFIX "refs/heads/"
#define TAG_PREFIX "refs/tags/"

/* Backtracking budget per pcre2_match; tag names are short, so legitimate
 * patterns stay orders of magnitude below these. */
#define REGEX_MATCH_LIMIT 100000
#define REGEX_DEPTH_LIMIT 10000
#define REGEX_HEAP_LIMIT_KIB 4096

struct regex_list {
	pcre2_code **codes;
	size_t n;
};

/* One includePaths/excludePaths pattern (Kargo's ParsePathPattern). */
enum path_kind { PATH_GLOB, PATH_REGEX, PATH_BASE_DIR };

struct path_pattern {
	enum path_kind kind;
	const char *text;  /* borrowed from the subscription, past its prefix */
	pcre2_code *re;    /* PATH_REGEX */
};

struct path_list {
	struct path_pattern *v;
	size_t n;
	bool set; /* the field had patterns (an empty one is nil in Kargo) */
};

struct selector {
	enum sub_kind kind;
	enum commit_strategy strategy;    /* git */
	enum image_strategy image_strategy; /* image */
	char *digest_tag; /* image Digest: the one mutable tag; NULL for "" */
	struct path_list include, exclude; /* git */
	char *branch; /* NULL: the default branch, main or master */
	struct regex_list allow;
	struct regex_list ignore;
	struct semver_constraint *constraint; /* NULL when none */
	bool strict;
	pcre2_match_context *mctx; /* read-only after selector_new */
};

/* ---- Go (RE2) syntax to PCRE2 syntax ---- */

/*
 * PCRE2 accepts a superset of RE2 and reads a few shared constructs
 * differently. A pattern Kargo's Go regexp rejects must fail here too (or we
 * would refresh where Kargo answers 500), and one it accepts must match the
 * same tags, so each pattern is scanned once, Go's rules applied, and
 * rewritten where PCRE2 differs:
 *
 * - refused as Go refuses them: lookaround and the other "(?" groups RE2
 *   lacks, "(*VERB)", backreferences and escapes Go does not know, a
 *   quantifier on a quantifier (PCRE2's possessive "a++"), counts over 1000;
 * - rewritten: '-' after a class escape or POSIX class inside brackets is a
 *   literal in Go ("[\w-.]") but an error in PCRE2, so it becomes "\-"; a
 *   quantified assertion ("^*", "\b+") becomes a quantified group, which
 *   PCRE2 accepts and Go means; \s, \S and \v are spelled out with Go's
 *   meaning; octal escapes become \o{...}, which PCRE2 never reads as a
 *   backreference; named groups become plain groups (Go allows names PCRE2
 *   refuses); a brace that does not start a counted repetition is a literal
 *   in Go and is escaped so no PCRE2 version reads "{,n}" as a count.
 *
 * Left different, and harmless for git ref names: PCRE2 refuses a quantifier
 * right after a flags group ("(?i)+"), which Go applies to the item before;
 * "[\S]" also excludes VT, which git forbids in ref names anyway. Checked
 * against Go's regexp on thousands of generated patterns.
 */
struct re2_scan {
	const char *p;     /* the Go pattern, NUL-terminated */
	size_t i;          /* next byte of p */
	struct strbuf out; /* the PCRE2 pattern */
	int rc;            /* first failure to append */
	bool after_repeat; /* the last token was a quantifier */
};

static void emit(struct re2_scan *sc, const char *s, size_t n)
{
	if (sc->rc == KW_OK)
		sc->rc = strbuf_append(&sc->out, s, n);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The escapes Go accepts: punctuation, octal (\0, or \1-\7 followed by an
 * octal digit: a lone \1 is a backreference), \a\f\n\r\t\v\x, classes
 * \d\D\s\S\w\W\pX\PX, and outside brackets the assertions \A\b\B\z.
 */
static bool re2_escape_ok(const char *e, bool in_class)
{
	unsigned char c = (unsigned char)e[0];

	if (c == '\0')
		return true; /* a trailing backslash: PCRE2 reports it */
	if (c >= 0x80)
		return false;
	if (!is_digit((char)c) && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		return true;
	if (c == '0')
		return true;
	if (c >= '1' && c <= '7')
		return e[1] >= '0' && e[1] <= '7';
	if (strchr("afnrtvxdDsSwWpP", c) != NULL)
		return true;
	return !in_class && strchr("AbBz", c) != NULL;
}

/* Go's octal escape at p: \0 or \1-\7, then up to two more octal digits.
 * The digit count, 0 when p is no octal escape. */
static size_t octal_digits(const char *p)
{
	size_t n = 1;

	if (p[1] < '0' || p[1] > '7')
		return 0;
	while (n < 3 && p[1 + n] >= '0' && p[1 + n] <= '7')
		n++;
	return n;
}

/* PCRE2 reads \12 as a backreference when there are 12 groups; \o{12} is
 * always the octal Go means. */
static size_t emit_octal(struct re2_scan *sc, const char *p)
{
	size_t n = octal_digits(p);

	emit(sc, "\\o{", 3);
	emit(sc, p + 1, n);
	emit(sc, "}", 1);
	return n + 1;
}

/* Bytes of the escape at p: \x{...} and \p{...} whole, \pL with its
 * letter, otherwise the backslash and one byte. */
static size_t escape_len(const char *p)
{
	const char *close;

	if (strchr("xpP", p[1]) != NULL && p[2] == '{') {
		close = strchr(p + 3, '}');
		return close != NULL ? (size_t)(close - p) + 1 : strlen(p);
	}
	if ((p[1] == 'p' || p[1] == 'P') && p[2] != '\0')
		return 3;
	return 2;
}

/* Length of a counted repetition {n}, {n,} or {n,m} at p (0 when the brace
 * is a literal, as in both Go and PCRE2); *count gets its larger bound. */
static size_t repeat_len(const char *p, unsigned long *count)
{
	unsigned long n[2] = { 0, 0 };
	size_t i = 1;

	for (int k = 0; k < 2; k++) {
		size_t start = i;

		for (; is_digit(p[i]); i++)
			if (n[k] <= 100000)
				n[k] = n[k] * 10 + (unsigned long)(p[i] - '0');
		if (k == 0 && i == start)
			return 0;
		if (k == 1 || p[i] != ',')
			break;
		i++;
	}
	if (p[i] != '}')
		return 0;
	*count = n[0] > n[1] ? n[0] : n[1];
	return i + 1;
}

static size_t quantifier_len(const char *p, unsigned long *count)
{
	*count = 0;
	if (p[0] != '\0' && strchr("*+?", p[0]) != NULL)
		return 1;
	return p[0] == '{' ? repeat_len(p, count) : 0;
}

/* ^ $ \A \z \b \B: PCRE2 will not quantify an assertion, a group it will. */
static void re2_assertion(struct re2_scan *sc, size_t n)
{
	unsigned long count;
	bool quantified = quantifier_len(sc->p + sc->i + n, &count) > 0;

	if (quantified)
		emit(sc, "(?:", 3);
	emit(sc, sc->p + sc->i, n);
	if (quantified)
		emit(sc, ")", 1);
	sc->i += n;
}

static const char *re2_quantifier(struct re2_scan *sc, size_t n,
	unsigned long count)
{
	if (sc->after_repeat)
		return "invalid nested repetition operator";
	if (count > 1000)
		return "invalid repeat count";
	if (sc->p[sc->i + n] == '?')
		n++; /* non-greedy */
	emit(sc, sc->p + sc->i, n);
	sc->i += n;
	sc->after_repeat = true;
	return NULL;
}

/*
 * Go's \v is VT alone and its \s is [\t\n\f\r ]; PCRE2's \v is any
 * vertical space and its \s adds VT. Inside brackets only \S cannot be
 * spelled out, and is left to PCRE2 (it differs on VT alone).
 */
static void emit_space_class(struct re2_scan *sc, char e, bool in_class)
{
	static const char space[] = "\\t\\n\\f\\r ";

	sc->i += 2;
	if (e == 'v') {
		emit(sc, "\\x{0B}", 6);
		return;
	}
	if (!in_class)
		emit(sc, e == 's' ? "[" : "[^", e == 's' ? 1 : 2);
	emit(sc, space, sizeof(space) - 1);
	if (!in_class)
		emit(sc, "]", 1);
}

/* \Q...\E (or to the end) is literal in both. */
static void re2_quote(struct re2_scan *sc)
{
	const char *p = sc->p + sc->i, *end = strstr(p + 2, "\\E");
	size_t n = end != NULL ? (size_t)(end - p) + 2 : strlen(p);

	emit(sc, p, n);
	sc->i += n;
}

static const char *re2_escape(struct re2_scan *sc)
{
	const char *p = sc->p + sc->i;
	size_t n;

	if (p[1] == 'Q') {
		re2_quote(sc);
		return NULL;
	}
	if (!re2_escape_ok(p + 1, false))
		return "invalid escape sequence";
	if (p[1] != '\0' && strchr("AbBz", p[1]) != NULL) {
		re2_assertion(sc, 2);
		return NULL;
	}
	if (p[1] == 'v' || p[1] == 's' || p[1] == 'S') {
		emit_space_class(sc, p[1], false);
		return NULL;
	}
	if (octal_digits(p) > 0) {
		sc->i += emit_octal(sc, p);
		return NULL;
	}
	n = p[1] == '\0' ? 1 : escape_len(p);
	emit(sc, p, n);
	sc->i += n;
	return NULL;
}

/* One item inside brackets; *set tells whether it was a class escape or a
 * POSIX class, after which Go reads '-' as a literal. */
static const char *re2_class_item(struct re2_scan *sc, bool *set)
{
	const char *p = sc->p + sc->i, *end;
	size_t n = 1;

	if (p[0] == '-' && *set && p[1] != ']') {
		emit(sc, "\\-", 2);
		sc->i++;
		*set = false;
		return NULL;
	}
	*set = false;
	if (p[0] == '\\') {
		if (!re2_escape_ok(p + 1, true))
			return "invalid escape sequence";
		if (p[1] == 'v' || p[1] == 's') {
			emit_space_class(sc, p[1], true);
			*set = p[1] == 's';
			return NULL;
		}
		if (octal_digits(p) > 0) {
			sc->i += emit_octal(sc, p);
			return NULL;
		}
		n = p[1] == '\0' ? 1 : escape_len(p);
		*set = p[1] != '\0' && strchr("dDsSwWpP", p[1]) != NULL;
	} else if (p[0] == '[' && p[1] == ':' && (end = strstr(p + 2, ":]")) != NULL) {
		n = (size_t)(end - p) + 2;
		*set = true;
	} else if (p[0] == '[') {
		/* a literal in Go; PCRE2 would refuse "[." and "[=" */
		emit(sc, "\\[", 2);
		sc->i++;
		return NULL;
	}
	emit(sc, p, n);
	sc->i += n;
	return NULL;
}

/* [...]: a ']' right after '[' or '[^' is a literal in both. */
static const char *re2_class(struct re2_scan *sc)
{
	const char *p = sc->p;
	bool set = false;
	size_t start = sc->i;

	sc->i++;
	if (p[sc->i] == '^')
		sc->i++;
	if (p[sc->i] == ']')
		sc->i++;
	emit(sc, p + start, sc->i - start);
	while (p[sc->i] != '\0' && p[sc->i] != ']') {
		const char *why = re2_class_item(sc, &set);

		if (why != NULL)
			return why;
	}
	if (p[sc->i] == ']')
		emit(sc, p + sc->i++, 1);
	return NULL;
}

/* "(?P<name>" or "(?<name>": the length through '>', 0 when p starts no
 * named group, (size_t)-1 when the name is not [A-Za-z0-9_]+ as Go wants. */
static size_t named_group_len(const char *p)
{
	size_t i = p[2] == 'P' ? 4 : 3, start = i;

	if (!(p[2] == 'P' && p[3] == '<') &&
		!(p[2] == '<' && p[3] != '=' && p[3] != '!'))
		return 0;
	while ((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
		is_digit(p[i]) || p[i] == '_')
		i++;
	return i > start && p[i] == '>' ? i + 1 : (size_t)-1;
}

/* After "(?": flags "imsU-" then ':' or ')'. The bytes through that, or 0
 * for the groups RE2 lacks (lookaround, atomic, comments, ...). */
static size_t flags_group_len(const char *g)
{
	size_t i = 0;

	while (g[i] != '\0' && strchr("imsU-", g[i]) != NULL)
		i++;
	return g[i] == ':' || g[i] == ')' ? i + 1 : 0;
}

/*
 * A named group becomes a plain one: names never change what matches, and
 * Go allows what PCRE2 does not (a leading digit, a name used twice).
 */
static const char *re2_group(struct re2_scan *sc)
{
	const char *p = sc->p + sc->i;
	size_t n = 1;

	if (p[1] == '*')
		return "missing argument to repetition operator: *";
	if (p[1] == '?') {
		if ((n = named_group_len(p)) == (size_t)-1)
			return "invalid named capture";
		if (n > 0) {
			emit(sc, "(", 1);
			sc->i += n;
			return NULL;
		}
		if ((n = flags_group_len(p + 2)) == 0)
			return "invalid or unsupported Perl syntax";
		n += 2;
	}
	emit(sc, p, n);
	sc->i += n;
	return NULL;
}

static const char *re2_token(struct re2_scan *sc)
{
	const char *p = sc->p + sc->i;
	unsigned long count;
	size_t n;

	if ((n = quantifier_len(p, &count)) > 0)
		return re2_quantifier(sc, n, count);
	sc->after_repeat = false;
	switch (p[0]) {
	case '\\':
		return re2_escape(sc);
	case '[':
		return re2_class(sc);
	case '(':
		return re2_group(sc);
	case '^':
	case '$':
		re2_assertion(sc, 1);
		return NULL;
	case '{':
		emit(sc, "\\{", 2);
		sc->i++;
		return NULL;
	default:
		emit(sc, p, 1);
		sc->i++;
		return NULL;
	}
}

/*
 * Translates pattern into *out (malloc'd, NUL-terminated). KW_EINVAL with
 * *why when Go would refuse the pattern, KW_ENOMEM. The worst rewrite,
 * "^" into "(?:^)", is five times the input.
 */
static int re2_translate(char **out, const char **why, const char *pattern)
{
	struct re2_scan sc = { pattern, 0, { NULL, 0, 0, 0 }, KW_OK, false };
	size_t len = strlen(pattern);

	*out = NULL;
	*why = NULL;
	if (len > (SIZE_MAX - 16) / 6)
		return KW_ENOMEM;
	strbuf_init(&sc.out, 6 * len + 16);
	emit(&sc, "", 0);
	while (*why == NULL && sc.rc == KW_OK && pattern[sc.i] != '\0')
		*why = re2_token(&sc);
	if (*why != NULL || sc.rc != KW_OK) {
		strbuf_free(&sc.out);
		return *why != NULL ? KW_EINVAL : KW_ENOMEM;
	}
	*out = strbuf_take(&sc.out);
	return *out != NULL ? KW_OK : KW_ENOMEM;
}

/* ---- compiling and matching ---- */

static int compile_error(struct kw_err *err, const char *field, size_t index,
	const char *pattern, const char *why)
{
	return kw_errf(err, KW_EINVAL,
		"%s[%zu]: error compiling regular expression \"%s\": %s", field,
		index, pattern, why);
}

/*
 * With Go's meaning for the syntax both share: UTF-8 (and no error on
 * invalid UTF-8 in a subject, which Go tolerates), '$' only at the very end
 * unless (?m), LF as the only newline, ASCII-only \d \s \w \b (no
 * PCRE2_UCP), and no \C.
 */
static int regex_compile(pcre2_code **out, const char *pattern,
	const char *field, size_t index, struct kw_err *err)
{
	const uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
		PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C;
	pcre2_compile_context *cctx = NULL;
	PCRE2_UCHAR msg[200];
	PCRE2_SIZE offset = 0;
	const char *why;
	char *pcre = NULL;
	int code = 0, rc;

	*out = NULL;
	if ((rc = re2_translate(&pcre, &why, pattern)) == KW_EINVAL)
		return compile_error(err, field, index, pattern, why);
	if (rc != KW_OK || (cctx = pcre2_compile_context_create(NULL)) == NULL) {
		free(pcre);
		return kw_errf(err, KW_ENOMEM, "out of memory");
	}
	pcre2_set_newline(cctx, PCRE2_NEWLINE_LF);
	*out = pcre2_compile((PCRE2_SPTR)pcre, PCRE2_ZERO_TERMINATED, opts, &code,
		&offset, cctx);
	pcre2_compile_context_free(cctx);
	free(pcre);
	if (*out != NULL)
		return KW_OK;
	if (code == PCRE2_ERROR_NOMEMORY)
		return kw_errf(err, KW_ENOMEM, "out of memory");
	pcre2_get_error_message(code, msg, sizeof(msg));
	return compile_error(err, field, index, pattern, (const char *)msg);
}

/* Where the problems of one selection go: every one is reported (Kargo
 * stops at the first), at the position of what is wrong when the
 * subscription records it, else at the subscription. */
struct problems {
	const struct obj_subscription *sub;
	void (*report)(void *arg, const struct obj_pos *at, const char *msg);
	void *arg;
	size_t n;
};

__attribute__((format(printf, 3, 4)))
static void problem(struct problems *pr, const struct obj_pos *at,
	const char *fmt, ...)
{
	struct kw_err e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	pr->n++;
	pr->report(pr->arg, at != NULL && at->line > 0 ? at : &pr->sub->pos, e.msg);
}

/* A compile failure: KW_ENOMEM, or KW_OK after reporting it. */
static int compiled(struct problems *pr, const struct obj_pos *at, int rc,
	const struct kw_err *err)
{
	if (rc == KW_EINVAL)
		problem(pr, at, "%s", err->msg);
	return rc == KW_EINVAL ? KW_OK : rc;
}

/* Compiles every pattern, reporting each bad one at pos[i] (pos may be
 * NULL). KW_OK or KW_ENOMEM. */
static int regex_list_compile(struct regex_list *list, char *const *patterns,
	const struct obj_pos *pos, size_t n, const char *field,
	struct problems *pr)
{
	if (n == 0)
		return KW_OK;
	if ((list->codes = calloc(n, sizeof(*list->codes))) == NULL)
		return KW_ENOMEM;
	for (; list->n < n; list->n++) {
		struct kw_err err;
		int rc = regex_compile(&list->codes[list->n], patterns[list->n],
			field, list->n, &err);

		if ((rc = compiled(pr, pos ? &pos[list->n] : NULL, rc, &err)) != KW_OK)
			return rc;
	}
	return KW_OK;
}

static void regex_list_free(struct regex_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		pcre2_code_free(list->codes[i]);
	free(list->codes);
}

static int match_context_new(struct selector *sel)
{
	if ((sel->mctx = pcre2_match_context_create(NULL)) == NULL)
		return KW_ENOMEM;
	pcre2_set_match_limit(sel->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(sel->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(sel->mctx, REGEX_HEAP_LIMIT_KIB);
	return KW_OK;
}

/* Kargo's getPathSelectors: "glob:" (doublestar, validated), "regex:"
 * or "regexp:" (Go regexp), else a base directory. The text stays
 * borrowed from the subscription, which outlives the selector (both
 * belong to one snapshot). */
static int path_list_compile(struct path_list *list, char *const *patterns,
	size_t n, const char *field, struct problems *pr)
{
	if (n == 0)
		return KW_OK;
	if ((list->v = calloc(n, sizeof(*list->v))) == NULL)
		return KW_ENOMEM;
	list->set = true;
	for (; list->n < n; list->n++) {
		struct path_pattern *pp = &list->v[list->n];
		const char *t = patterns[list->n];
		struct kw_err err;
		int rc;

		if (strncmp(t, "glob:", 5) == 0) {
			pp->kind = PATH_GLOB;
			pp->text = t + 5;
			if (!pathmatch_glob_valid(pp->text))
				problem(pr, NULL, "%s[%zu]: parse error path selector "
					"\"%s\": syntax error in pattern", field, list->n, t);
		} else if (strncmp(t, "regex:", 6) == 0 || strncmp(t, "regexp:", 7) == 0) {
			pp->kind = PATH_REGEX;
			pp->text = t + (t[5] == ':' ? 6 : 7);
			rc = regex_compile(&pp->re, pp->text, field, list->n, &err);
			if ((rc = compiled(pr, NULL, rc, &err)) != KW_OK)
				return rc;
		} else {
			pp->kind = PATH_BASE_DIR;
			pp->text = t;
		}
	}
	return KW_OK;
}

static void path_list_free(struct path_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		pcre2_code_free(list->v[i].re);
	free(list->v);
}

/* Kargo's newBaseSelector, which every strategy builds first. */
static int build_path_filters(struct selector *sel, struct problems *pr)
{
	const struct obj_subscription *sub = pr->sub;
	int rc;

	if ((rc = match_context_new(sel)) != KW_OK)
		return rc;
	if ((rc = path_list_compile(&sel->include, sub->include_paths,
	    sub->n_include_paths, "includePaths", pr)) != KW_OK)
		return rc;
	return path_list_compile(&sel->exclude, sub->exclude_paths,
		sub->n_exclude_paths, "excludePaths", pr);
}

/* Kargo's newTagBasedSelector, checks in its order. */
static int build_tag_selection(struct selector *sel, struct problems *pr)
{
	const struct obj_subscription *sub = pr->sub;
	int rc;

	if ((rc = regex_list_compile(&sel->allow, sub->allow_regexes,
		sub->allow_regex_pos, sub->n_allow_regexes, "allowTagsRegexes",
		pr)) != KW_OK)
		return rc;
	if (sub->allow_tags != NULL && sub->allow_tags[0] != '\0')
		problem(pr, NULL, "allowTags is deprecated and unsupported as of "
			"v1.11.0; use allowTagsRegexes instead");
	if ((rc = regex_list_compile(&sel->ignore, sub->ignore_regexes,
		sub->ignore_regex_pos, sub->n_ignore_regexes, "ignoreTagsRegexes",
		pr)) != KW_OK)
		return rc;
	if (sub->n_ignore_tags > 0)
		problem(pr, NULL, "ignoreTags is deprecated and unsupported as of "
			"v1.11.0; use ignoreTagsRegexes instead");
	return KW_OK;
}

/* The constraint c read from field (at where it was written); an empty
 * one is no constraint. */
static int build_constraint(struct selector *sel, const char *c,
	const char *field, const struct obj_pos *at, struct problems *pr)
{
	struct kw_err why = { "" };
	int rc;

	if (c == NULL || c[0] == '\0')
		return KW_OK;
	rc = semver_constraint_new(&sel->constraint, c, strlen(c), &why);
	if (rc == KW_ENOMEM)
		return rc;
	if (rc != KW_OK)
		problem(pr, at, "%s: error parsing semver constraint \"%s\": %s",
			field, c, why.msg);
	return KW_OK;
}

/* Kargo's newSemverSelector (git's and the image one alike). */
static int build_semver_selection(struct selector *sel, const char *c,
	const char *field, const struct obj_pos *at, struct problems *pr)
{
	int rc;

	if ((rc = build_tag_selection(sel, pr)) != KW_OK)
		return rc;
	sel->strict = pr->sub->strict_semvers;
	return build_constraint(sel, c, field, at, pr);
}

static int build_branch_selection(struct selector *sel,
	const struct obj_subscription *sub)
{
	if (sub->branch == NULL || sub->branch[0] == '\0')
		return KW_OK;
	if ((sel->branch = strdup(sub->branch)) == NULL)
		return KW_ENOMEM;
	return KW_OK;
}

static int build_git_selection(struct selector *sel, struct problems *pr)
{
	const struct obj_subscription *sub = pr->sub;
	int rc = build_path_filters(sel, pr);

	if (rc != KW_OK)
		return rc;
	switch (sub->strategy) {
	case STRATEGY_NEWEST_FROM_BRANCH:
		return build_branch_selection(sel, sub);
	case STRATEGY_LEXICAL:
	case STRATEGY_NEWEST_TAG:
		return build_tag_selection(sel, pr);
	case STRATEGY_SEMVER:
		return build_semver_selection(sel, sub->semver_constraint,
			"semverConstraint", &sub->constraint_pos, pr);
	default:
		problem(pr, NULL, "commitSelectionStrategy: unknown value");
		return KW_OK;
	}
}

/* Kargo's image newBaseSelector: a platform needs a '/', and the
 * normalized repository must parse as a reference. */
static int build_image_base(struct problems *pr)
{
	const struct obj_subscription *sub = pr->sub;
	const char *repo = sub->repo_url ? sub->repo_url : "";
	char *norm = NULL;
	bool ok = false;
	int rc;

	if (sub->platform != NULL && sub->platform[0] != '\0' &&
	    strchr(sub->platform, '/') == NULL)
		problem(pr, NULL, "platform: error parsing platform constraint "
			"\"%s\"", sub->platform);
	rc = imagenorm_image(&norm, repo, strlen(repo));
	if (rc == KW_OK)
		rc = imagenorm_reference_ok(&ok, norm, strlen(norm));
	free(norm);
	if (rc != KW_OK)
		return KW_ENOMEM;
	if (!ok)
		problem(pr, NULL, "repoURL: error parsing image repo URL \"%s\"", repo);
	return KW_OK;
}

/* Kargo's image selector registry: SemVer (also for ""), Lexical and
 * NewestBuild are tag based; Digest matches its one mutable tag. */
static int build_image_selection(struct selector *sel, struct problems *pr)
{
	const struct obj_subscription *sub = pr->sub;
	const char *c = sub->constraint;
	int rc = build_image_base(pr);

	if (rc != KW_OK)
		return rc;
	switch (sub->image_strategy) {
	case IMAGE_SEMVER:
		return build_semver_selection(sel, c, "constraint", &sub->constraint_pos, pr);
	case IMAGE_LEXICAL:
	case IMAGE_NEWEST_BUILD:
		return build_tag_selection(sel, pr);
	case IMAGE_DIGEST:
		if (c != NULL && c[0] != '\0' &&
		    (sel->digest_tag = kw_strndup(c, strlen(c))) == NULL)
			return KW_ENOMEM;
		return KW_OK;
	default:
		problem(pr, NULL, "imageSelectionStrategy: unknown value");
		return KW_OK;
	}
}

static bool has_prefix_str(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Kargo's chart.NewSelector: the scheme picks the selector (case
 * sensitive), the constraint is parsed, then an OCI reference. */
static int build_chart_selection(struct selector *sel, struct problems *pr)
{
	const struct obj_subscription *sub = pr->sub;
	const char *u = sub->repo_url ? sub->repo_url : "";
	bool ok = false;
	int rc;

	if (!has_prefix_str(u, "http://") && !has_prefix_str(u, "https://") &&
	    !has_prefix_str(u, "oci://"))
		problem(pr, NULL, "repoURL: repository URL \"%s\" is invalid", u);
	if ((rc = build_constraint(sel, sub->semver_constraint, "semverConstraint",
		&sub->constraint_pos, pr)) != KW_OK || !has_prefix_str(u, "oci://"))
		return rc;
	rc = imagenorm_oci_reference_ok(&ok, u + 6, strlen(u + 6));
	if (rc != KW_OK)
		return KW_ENOMEM;
	if (!ok)
		problem(pr, NULL, "repoURL: error parsing repository URL \"%s\"", u);
	return KW_OK;
}

int selector_new_each(struct selector **out, const struct obj_subscription *sub,
	void (*report)(void *arg, const struct obj_pos *at, const char *msg),
	void *arg)
{
	struct problems pr = { sub, report, arg, 0 };
	struct selector *sel;
	int rc;

	*out = NULL;
	if ((sel = calloc(1, sizeof(*sel))) == NULL)
		return KW_ENOMEM;
	sel->kind = sub->kind;
	sel->strategy = sub->strategy;
	sel->image_strategy = sub->image_strategy;
	if (sub->kind == SUB_GIT)
		rc = build_git_selection(sel, &pr);
	else if (sub->kind == SUB_IMAGE)
		rc = build_image_selection(sel, &pr);
	else
		rc = build_chart_selection(sel, &pr);
	if (rc == KW_OK && pr.n > 0)
		rc = KW_EINVAL;
	if (rc != KW_OK) {
		selector_free(sel);
		return rc;
	}
	*out = sel;
	return KW_OK;
}

/* selector_new's reporter: the first problem becomes err. */
static void keep_first(void *arg, const struct obj_pos *at, const char *msg)
{
	struct kw_err *err = arg;

	(void)at;
	if (err != NULL && err->msg[0] == '\0')
		kw_errf(err, KW_EINVAL, "%s", msg);
}

int selector_new(struct selector **out, const struct obj_subscription *sub,
	struct kw_err *err)
{
	int rc;

	if (err != NULL)
		err->msg[0] = '\0';
	rc = selector_new_each(out, sub, keep_first, err);
	if (rc == KW_ENOMEM)
		kw_errf(err, rc, "out of memory");
	return rc;
}

void selector_free(struct selector *sel)
{
	if (sel == NULL)
		return;
	free(sel->branch);
	free(sel->digest_tag);
	regex_list_free(&sel->allow);
	regex_list_free(&sel->ignore);
	path_list_free(&sel->include);
	path_list_free(&sel->exclude);
	semver_constraint_free(sel->constraint);
	pcre2_match_context_free(sel->mctx);
	free(sel);
}

/* ---- matching ---- */

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

static bool equals(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

/* 1 on a match, 0 on none, -1 when PCRE2 gave up (limits, memory). */
static int regex_search(const pcre2_code *re, pcre2_match_data *md,
	pcre2_match_context *mctx, const char *s, size_t len)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mctx);

	return rc >= 0 ? 1 : rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/*
 * Kargo's tagBasedSelector.matchesTag on the tag name. The match data is
 * per call, so threads share only the immutable compiled patterns and match
 * context.
 */
static bool tag_allowed(const struct selector *sel, const char *tag, size_t len)
{
	pcre2_match_data *md;
	bool ok;

	if (sel->allow.n == 0 && sel->ignore.n == 0)
		return true;
	/* Without memory we cannot tell; refreshing is the safe answer. */
	if ((md = pcre2_match_data_create(1, NULL)) == NULL)
		return true;
	for (size_t i = 0; i < sel->ignore.n; i++) {
		if (regex_search(sel->ignore.codes[i], md, sel->mctx, tag, len) == 1) {
			pcre2_match_data_free(md);
			return false;
		}
	}
	ok = sel->allow.n == 0;
	for (size_t i = 0; i < sel->allow.n && !ok; i++)
		ok = regex_search(sel->allow.codes[i], md, sel->mctx, tag, len) != 0;
	pcre2_match_data_free(md);
	return ok;
}

/* Kargo's libSemver.Parse followed by the constraint check. */
static bool version_selected(const struct selector *sel, const char *tag,
	size_t len)
{
	struct semver v, strict;
	bool ok;

	if (semver_parse(&v, tag, len, false) != KW_OK)
		return false;
	ok = true;
	if (sel->strict) {
		size_t v_prefix = len > 0 && tag[0] == 'v';

		ok = semver_parse(&strict, tag + v_prefix, len - v_prefix, true) ==
			KW_OK;
		semver_clear(&strict);
	}
	ok = ok && (sel->constraint == NULL ||
		semver_constraint_check(sel->constraint, &v));
	semver_clear(&v);
	return ok;
}

static bool branch_selected(const struct selector *sel, const char *ref,
	size_t len)
{
	const char *b = ref + strlen(BRANCH_PREFIX);
	size_t n = len - strlen(BRANCH_PREFIX);

	if (sel->branch == NULL)
		return equals(b, n, "main") || equals(b, n, "master");
	return equals(b, n, sel->branch);
}

/* An image tag: Kargo's MatchesTag of the subscription's strategy. */
static bool image_tag_selected(const struct selector *sel, const char *tag,
	size_t len)
{
	if (sel->image_strategy == IMAGE_DIGEST)
		return sel->digest_tag != NULL && equals(tag, len, sel->digest_tag);
	if (!tag_allowed(sel, tag, len))
		return false;
	return sel->image_strategy != IMAGE_SEMVER ||
		version_selected(sel, tag, len);
}

bool selector_match(const struct selector *sel, const char *ref, size_t len)
{
	const size_t tp = strlen(TAG_PREFIX);

	if (sel->kind == SUB_IMAGE)
		return image_tag_selected(sel, ref, len);
	/* Kargo's chart MatchesVersion: NewVersion (loose), the constraint. */
	if (sel->kind == SUB_CHART)
		return version_selected(sel, ref, len);

	if (sel->strategy == STRATEGY_NEWEST_FROM_BRANCH)
		return has_prefix(ref, len, BRANCH_PREFIX) &&
			branch_selected(sel, ref, len);
	if (!has_prefix(ref, len, TAG_PREFIX))
		return false;
	if (!tag_allowed(sel, ref + tp, len - tp))
		return false;
	return sel->strategy != STRATEGY_SEMVER ||
		version_selected(sel, ref + tp, len - tp);
}

/* Whether path matches any pattern of list (Kargo's Matchers.Matches). */
static bool path_list_match(const struct selector *sel,
	const struct path_list *list, pcre2_match_data *md, const char *path)
{
	for (size_t i = 0; i < list->n; i++) {
		const struct path_pattern *pp = &list->v[i];
		bool hit;

		if (pp->kind == PATH_GLOB)
			hit = pathmatch_glob(pp->text, path);
		else if (pp->kind == PATH_BASE_DIR)
			hit = pathmatch_base_dir(pp->text, path);
		else /* a regex PCRE2 gave up on counts as a match (see the top) */
			hit = md == NULL || regex_search(pp->re, md, sel->mctx, path,
				strlen(path)) != 0;
		if (hit)
			return true;
	}
	return false;
}

bool selector_match_paths(const struct selector *sel, char *const *paths,
	size_t n)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	bool ok = false;

	for (size_t i = 0; i < n && !ok; i++) {
		if (sel->include.set && !path_list_match(sel, &sel->include, md, paths[i]))
			continue;
		ok = !sel->exclude.set || !path_list_match(sel, &sel->exclude, md, paths[i]);
	}
	pcre2_match_data_free(md);
	return ok;
}
