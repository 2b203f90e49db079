/*
 * semver.c: semantic versions and version constraints with the semantics of
 * github.com/Masterminds/semver/v3 (v3.5.0, the version Kargo v1.11 pins in
 * go.mod). Kargo's SemVer commit selector parses a tag with NewVersion (and,
 * for strictSemvers, also StrictNewVersion) and checks it with
 * Constraints.Check; a tag Kargo would select must refresh here, and one it
 * would not should not, so the odd corners (partial versions, wildcards,
 * ^ and ~ on 0.x, the pre-release rule, hyphen ranges) follow Masterminds'
 * code rather than npm or the SemVer text. Masterminds' own input bounds
 * apply too: 256 bytes per version, 512 per constraint, 32 "||" groups.
 */
#include "semver.h"

#include "kw.h"
#include "span.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VERSION_MAX_LEN 256       /* Masterminds MaxVersionLen */
#define CONSTRAINT_MAX_LEN 512    /* Masterminds MaxConstraintLen */
#define CONSTRAINT_MAX_GROUPS 32  /* Masterminds MaxConstraintGroups */

/* A version split into its textual parts, before any number is parsed;
 * a part's p is NULL when the part is absent. */
struct version_text {
	struct span seg[3];
	size_t n_seg;
	struct span pre;
	struct span meta;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* SemVer identifier characters: [0-9A-Za-z-]. */
static bool is_ident_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		c == '-';
}

static bool all_digits(struct span s)
{
	for (size_t i = 0; i < s.n; i++)
		if (!is_digit(s.p[i]))
			return false;
	return true;
}

static struct span span_between(const char *from, const char *to)
{
	return (struct span){ from, (size_t)(to - from) };
}

/* Go's strconv.ParseUint(s, 10, 64): digits only, not empty, no overflow. */
static bool parse_u64(uint64_t *out, struct span s)
{
	uint64_t v = 0;

	if (s.n == 0)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		uint64_t d;

		if (!is_digit(s.p[i]))
			return false;
		d = (uint64_t)(s.p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/*
 * Dot-separated identifiers, none empty (SemVer 2.0.0 items 9 and 10). In a
 * pre-release a numeric identifier may not have a leading zero; Masterminds
 * enforces that even in NewVersion, which otherwise coerces leading zeros.
 */
static bool valid_identifiers(struct span s, bool prerelease)
{
	size_t start = 0;

	for (size_t i = 0; i <= s.n; i++) {
		struct span id;

		if (i < s.n && s.p[i] != '.') {
			if (!is_ident_char(s.p[i]))
				return false;
			continue;
		}
		id = (struct span){ s.p + start, i - start };
		if (id.n == 0)
			return false;
		if (prerelease && id.n > 1 && id.p[0] == '0' && all_digits(id))
			return false;
		start = i + 1;
	}
	return true;
}

/*
 * Cuts what follows the first sep in *rest into *tail (validated as
 * identifiers) and shortens *rest. True when sep is absent.
 */
static bool cut_identifiers(struct span *rest, char sep, struct span *tail,
	bool prerelease)
{
	const char *at = rest->n > 0 ? memchr(rest->p, sep, rest->n) : NULL;

	if (at == NULL)
		return true;
	*tail = span_between(at + 1, rest->p + rest->n);
	rest->n = (size_t)(at - rest->p);
	return valid_identifiers(*tail, prerelease);
}

/* One to three non-empty runs of digits separated by dots. */
static bool split_segments(struct version_text *vt, struct span s)
{
	size_t start = 0;

	for (size_t i = 0; i <= s.n; i++) {
		struct span seg;

		if (i < s.n && s.p[i] != '.')
			continue;
		seg = (struct span){ s.p + start, i - start };
		if (vt->n_seg == 3 || seg.n == 0 || !all_digits(seg))
			return false;
		vt->seg[vt->n_seg++] = seg;
		start = i + 1;
	}
	return true;
}

/*
 * Masterminds NewVersion (coercing): optional "v", metadata after the first
 * '+', pre-release after the first '-' left of it, then 1-3 numeric
 * segments where leading zeros are allowed.
 */
static bool split_loose(struct version_text *vt, const char *s, size_t len)
{
	struct span rest = { s, len };

	if (rest.n > 0 && rest.p[0] == 'v') {
		rest.p++;
		rest.n--;
	}
	return cut_identifiers(&rest, '+', &vt->meta, false) &&
		cut_identifiers(&rest, '-', &vt->pre, true) &&
		split_segments(vt, rest);
}

/*
 * Masterminds StrictNewVersion: the first two dots end major and minor,
 * metadata and pre-release are taken from what follows, and every number is
 * present, decimal and free of leading zeros. No "v".
 */
static bool split_strict(struct version_text *vt, const char *s, size_t len)
{
	struct span rest = { s, len };

	for (size_t k = 0; k < 2; k++) {
		const char *dot = rest.n > 0 ? memchr(rest.p, '.', rest.n) : NULL;

		if (dot == NULL)
			return false;
		vt->seg[k] = span_between(rest.p, dot);
		rest = span_between(dot + 1, rest.p + rest.n);
	}
	if (!cut_identifiers(&rest, '+', &vt->meta, false) ||
		!cut_identifiers(&rest, '-', &vt->pre, true))
		return false;
	vt->seg[2] = rest;
	vt->n_seg = 3;
	for (size_t k = 0; k < 3; k++)
		if (vt->seg[k].n > 1 && vt->seg[k].p[0] == '0')
			return false;
	return true;
}

static int version_from_text(struct semver *out, const struct version_text *vt)
{
	uint64_t *num[3] = { &out->major, &out->minor, &out->patch };

	for (size_t k = 0; k < vt->n_seg; k++)
		if (!parse_u64(num[k], vt->seg[k]))
			return KW_EINVAL;
	if (vt->pre.p != NULL &&
		(out->prerelease = kw_strndup(vt->pre.p, vt->pre.n)) == NULL)
		return KW_ENOMEM;
	if (vt->meta.p != NULL &&
		(out->metadata = kw_strndup(vt->meta.p, vt->meta.n)) == NULL)
		return KW_ENOMEM;
	return KW_OK;
}

int semver_parse(struct semver *out, const char *s, size_t len, bool strict)
{
	struct version_text vt;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&vt, 0, sizeof(vt));
	if (len == 0 || len > VERSION_MAX_LEN)
		return KW_EINVAL;
	if (!(strict ? split_strict(&vt, s, len) : split_loose(&vt, s, len)))
		return KW_EINVAL;
	rc = version_from_text(out, &vt);
	if (rc != KW_OK)
		semver_clear(out);
	return rc;
}

void semver_clear(struct semver *v)
{
	if (v == NULL)
		return;
	free(v->prerelease);
	free(v->metadata);
	memset(v, 0, sizeof(*v));
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b ? 1 : 0;
}

static bool has_pre(const struct semver *v)
{
	return v->prerelease != NULL && v->prerelease[0] != '\0';
}

/* Go's s > o on strings: bytewise, a prefix sorts first. */
static int cmp_bytes(const char *s, size_t sn, const char *o, size_t on)
{
	int d = memcmp(s, o, sn < on ? sn : on);

	return d != 0 ? d : cmp_u64(sn, on);
}

/*
 * Masterminds comparePrePart: numbers (that fit a uint64) by value and below
 * words, words bytewise, an absent identifier below a present one. Unequal
 * texts never compare equal (Masterminds answers -1 for "01" against "1").
 */
static int compare_identifier(const char *s, size_t sn, const char *o,
	size_t on)
{
	uint64_t si = 0, oi = 0;
	bool snum, onum;

	if (sn == on && memcmp(s, o, sn) == 0)
		return 0;
	if (sn == 0)
		return -1;
	if (on == 0)
		return 1;
	snum = parse_u64(&si, (struct span){ s, sn });
	onum = parse_u64(&oi, (struct span){ o, on });
	if (!snum && !onum)
		return cmp_bytes(s, sn, o, on) > 0 ? 1 : -1;
	if (!onum)
		return -1;
	if (!snum)
		return 1;
	return si > oi ? 1 : -1;
}

/* Identifier by identifier; NULL is the empty pre-release. */
static int compare_prerelease(const char *a, const char *b)
{
	a = a != NULL ? a : "";
	b = b != NULL ? b : "";
	while (*a != '\0' || *b != '\0') {
		size_t an = strcspn(a, "."), bn = strcspn(b, ".");
		int d = compare_identifier(a, an, b, bn);

		if (d != 0)
			return d;
		a += an + (a[an] == '.');
		b += bn + (b[bn] == '.');
	}
	return 0;
}

int semver_compare(const struct semver *a, const struct semver *b)
{
	int d;

	if ((d = cmp_u64(a->major, b->major)) != 0 ||
		(d = cmp_u64(a->minor, b->minor)) != 0 ||
		(d = cmp_u64(a->patch, b->patch)) != 0)
		return d;
	if (!has_pre(a) && !has_pre(b))
		return 0;
	if (!has_pre(a))
		return 1;
	if (!has_pre(b))
		return -1;
	return compare_prerelease(a->prerelease, b->prerelease);
}

/* ---- constraints ---- */

enum op {
	OP_TILDE_OR_EQUAL, /* "" and "=" */
	OP_NOT_EQUAL,
	OP_GREATER,
	OP_LESS,
	OP_GREATER_EQUAL,  /* ">=" and "=>" */
	OP_LESS_EQUAL,     /* "<=" and "=<" */
	OP_TILDE,          /* "~" and "~>" */
	OP_CARET,
};

/*
 * One comparison. A wildcard or missing segment makes it dirty: "1.x" holds
 * 1.0.0 with minor_dirty, "1.2" holds 1.2.0 with patch_dirty, "*" holds
 * 0.0.0 with only dirty set (Masterminds' exact flags, which the checks
 * below depend on).
 */
struct term {
	enum op op;
	struct semver con; /* metadata is never kept */
	bool dirty;
	bool minor_dirty;
	bool patch_dirty;
};

/* Terms that must all hold (AND); has_pre when one of them names a
 * pre-release, which lets pre-release versions match the whole group. */
struct group {
	struct term *terms;
	size_t n;
	size_t cap;
	bool has_pre;
};

struct semver_constraint {
	struct group groups[CONSTRAINT_MAX_GROUPS]; /* OR */
	size_t n;
};

/* Go's \s, which separates the parts of a Masterminds constraint. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static size_t skip_space(const char *s, size_t n, size_t i)
{
	while (i < n && is_space(s[i]))
		i++;
	return i;
}

/* Characters of a constraint's numeric segment. Masterminds keeps '|' for
 * compatibility with its former regular expression; such a segment is then
 * rejected as not numeric. */
static bool is_seg_char(char c)
{
	return is_digit(c) || c == 'x' || c == 'X' || c == '*' || c == '|';
}

static bool is_x(struct span s)
{
	return s.n == 1 && (s.p[0] == 'x' || s.p[0] == 'X' || s.p[0] == '*');
}

/* Masterminds scanIdentifiers: the end of dot-separated identifiers at i,
 * or i itself when there is none. */
static size_t scan_identifiers(const char *s, size_t n, size_t i)
{
	size_t end = i;

	for (;;) {
		size_t start = end;

		while (end < n && is_ident_char(s[end]))
			end++;
		if (end == start)
			return start;
		if (end + 1 < n && s[end] == '.' && is_ident_char(s[end + 1])) {
			end++;
			continue;
		}
		return end;
	}
}

/*
 * Length of the leftmost-first match of Masterminds' cvRegex
 * (v?S+(\.S+)?(\.S+)?(-I(\.I)*)?(\+I(\.I)*)?) at s[i], 0 for none. Every
 * part is greedy and none can give back characters usefully, so a single
 * forward scan finds what Go's engine finds.
 */
static size_t scan_cv(const char *s, size_t n, size_t i)
{
	size_t j = i, start;

	if (j + 1 < n && s[j] == 'v' && is_seg_char(s[j + 1]))
		j++;
	start = j;
	while (j < n && is_seg_char(s[j]))
		j++;
	if (j == start)
		return 0;
	for (int k = 1; k < 3 && j + 1 < n && s[j] == '.' &&
		is_seg_char(s[j + 1]); k++) {
		j++;
		while (j < n && is_seg_char(s[j]))
			j++;
	}
	if (j + 1 < n && s[j] == '-' && is_ident_char(s[j + 1]))
		j = scan_identifiers(s, n, j + 1);
	if (j + 1 < n && s[j] == '+' && is_ident_char(s[j + 1]))
		j = scan_identifiers(s, n, j + 1);
	return j - i;
}

/* A match of Masterminds' constraintRangeRegex, \s*(cv)\s+-\s+(cv)\s*. */
struct range_match {
	size_t start, end; /* the whole match */
	struct span a, b;  /* the two versions */
};

static bool range_at(struct range_match *m, const char *s, size_t n, size_t p)
{
	size_t i = skip_space(s, n, p), j, len;

	if ((len = scan_cv(s, n, i)) == 0)
		return false;
	m->a = (struct span){ s + i, len };
	i += len;
	j = skip_space(s, n, i);
	if (j == i || j >= n || s[j] != '-')
		return false;
	i = j + 1;
	j = skip_space(s, n, i);
	if (j == i || (len = scan_cv(s, n, j)) == 0)
		return false;
	m->b = (struct span){ s + j, len };
	m->start = p;
	m->end = skip_space(s, n, j + len);
	return true;
}

/* The next range match at or after p, as Go's FindAll walks the string. */
static bool next_range(struct range_match *m, const char *s, size_t n, size_t p)
{
	for (; p < n; p++)
		if (range_at(m, s, n, p))
			return true;
	return false;
}

/*
 * Go's strings.Replace(buf, old, repl, 1): the first occurrence, wherever it
 * is. The caller sized buf so that it cannot overflow (see rewrite_ranges).
 */
static void replace_first(char *buf, size_t *len, size_t cap,
	struct span old, const char *repl, size_t repl_len)
{
	char *at = memmem(buf, *len, old.p, old.n);
	size_t tail;

	if (at == NULL || *len - old.n + repl_len > cap)
		return;
	tail = *len - (size_t)(at - buf) - old.n;
	memmove(at + repl_len, at + old.n, tail);
	memcpy(at, repl, repl_len);
	*len = *len - old.n + repl_len;
}

/*
 * Masterminds rewriteRange: every "A - B" becomes ">= A, <= B ". The matches
 * are found in the original text but, like Go's strings.Replace(o, m, t, 1),
 * each replaces the first occurrence of its text in the string rewritten so
 * far. A match is at least "1 - 2" and grows by at most 6 bytes, so 3n
 * bytes always suffice. *out is malloc'd, NUL-terminated.
 */
static int rewrite_ranges(char **out, size_t *out_len, const char *s, size_t n)
{
	size_t cap = 3 * n + 16, len = n, p = 0;
	char *buf = malloc(cap + 1);
	char repl[CONSTRAINT_MAX_LEN + 16];
	struct range_match m;

	if (buf == NULL)
		return KW_ENOMEM;
	if (n > 0)
		memcpy(buf, s, n);
	while (next_range(&m, s, n, p)) {
		int k = snprintf(repl, sizeof(repl), ">= %.*s, <= %.*s ",
			(int)m.a.n, m.a.p, (int)m.b.n, m.b.p);

		if (k > 0 && (size_t)k < sizeof(repl))
			replace_first(buf, &len, cap,
				span_between(s + m.start, s + m.end), repl, (size_t)k);
		p = m.end;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return KW_OK;
}

/* Masterminds scanConstraintOp: the longest operator at s[i]. */
static size_t scan_op(enum op *op, const char *s, size_t n, size_t i)
{
	static const struct {
		const char *text;
		enum op op;
	} ops[] = {
		{ "!=", OP_NOT_EQUAL }, { ">=", OP_GREATER_EQUAL },
		{ "=>", OP_GREATER_EQUAL }, { "<=", OP_LESS_EQUAL },
		{ "=<", OP_LESS_EQUAL }, { "~>", OP_TILDE },
		{ "=", OP_TILDE_OR_EQUAL }, { ">", OP_GREATER }, { "<", OP_LESS },
		{ "~", OP_TILDE }, { "^", OP_CARET },
	};

	for (size_t k = 0; k < KW_ARRAY_LEN(ops); k++) {
		size_t len = strlen(ops[k].text);

		if (n - i >= len && memcmp(s + i, ops[k].text, len) == 0) {
			*op = ops[k].op;
			return i + len;
		}
	}
	*op = OP_TILDE_OR_EQUAL;
	return i;
}

/*
 * Masterminds scanConstraintVersion: optional "v", one to three segments of
 * digits or wildcards (a dot only continues the version when a segment
 * follows), then optional pre-release and metadata. *pos moves past what
 * was read; anything else is left for the caller to reject.
 */
static bool scan_constraint_version(struct version_text *vt, const char *s,
	size_t n, size_t *pos)
{
	size_t i = *pos, end;

	if (i < n && s[i] == 'v')
		i++;
	for (;;) {
		size_t start = i;

		while (i < n && is_seg_char(s[i]))
			i++;
		if (i == start)
			return false;
		vt->seg[vt->n_seg++] = span_between(s + start, s + i);
		if (vt->n_seg == 3 || i + 1 >= n || s[i] != '.' ||
			!is_seg_char(s[i + 1]))
			break;
		i++;
	}
	if (i < n && s[i] == '-' && (end = scan_identifiers(s, n, i + 1)) > i + 1) {
		vt->pre = span_between(s + i + 1, s + end);
		i = end;
	}
	if (i < n && s[i] == '+' && (end = scan_identifiers(s, n, i + 1)) > i + 1) {
		vt->meta = span_between(s + i + 1, s + end);
		i = end;
	}
	*pos = i;
	return true;
}

static int parser_error(struct kw_err *err, struct span orig)
{
	return kw_errf(err, KW_EINVAL, "constraint parser error: \"%.*s\"",
		(int)orig.n, orig.p);
}

/*
 * Masterminds newConstraint: the first wildcard (or missing segment) decides
 * the dirty flags and the segments after it are ignored unchecked. The
 * version it would build must stay within MaxVersionLen, counted as
 * Masterminds counts it.
 */
static int term_from_text(struct term *t, const struct version_text *vt,
	struct span orig, struct kw_err *err)
{
	size_t ver_len = 5 + (vt->pre.p != NULL ? 1 + vt->pre.n : 0);
	size_t parse = 0;

	if (is_x(vt->seg[0])) {
		t->dirty = true;
	} else if (vt->n_seg < 2 || is_x(vt->seg[1])) {
		t->dirty = t->minor_dirty = true;
		ver_len += vt->seg[0].n - 1;
		parse = 1;
	} else if (vt->n_seg < 3 || is_x(vt->seg[2])) {
		t->dirty = t->patch_dirty = true;
		ver_len += vt->seg[0].n + vt->seg[1].n - 2;
		parse = 2;
	} else {
		ver_len = orig.n;
		parse = 3;
	}
	{
		uint64_t *num[3] = { &t->con.major, &t->con.minor, &t->con.patch };

		for (size_t k = 0; k < parse; k++)
			if (!parse_u64(num[k], vt->seg[k]))
				return parser_error(err, orig);
	}
	if (ver_len > VERSION_MAX_LEN ||
		(vt->pre.p != NULL && !valid_identifiers(vt->pre, true)))
		return parser_error(err, orig);
	if (vt->pre.p != NULL &&
		(t->con.prerelease = kw_strndup(vt->pre.p, vt->pre.n)) == NULL)
		return KW_ENOMEM;
	return KW_OK;
}

static int improper(struct kw_err *err, const char *s, size_t n)
{
	return kw_errf(err, KW_EINVAL, "improper constraint: \"%.*s\"", (int)n, s);
}

/* Masterminds scanConstraint: operator, optional space, version. */
static int scan_term(struct term *t, const char *s, size_t n, size_t *pos,
	struct kw_err *err)
{
	struct version_text vt;
	size_t i, v0;

	memset(&vt, 0, sizeof(vt));
	memset(t, 0, sizeof(*t));
	i = skip_space(s, n, scan_op(&t->op, s, n, *pos));
	v0 = i;
	if (!scan_constraint_version(&vt, s, n, &i))
		return improper(err, s + *pos, n - *pos);
	*pos = i;
	return term_from_text(t, &vt, span_between(s + v0, s + i), err);
}

static int group_add(struct group *g, const struct term *t)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 4;
		struct term *terms = realloc(g->terms, cap * sizeof(*terms));

		if (terms == NULL)
			return KW_ENOMEM;
		g->terms = terms;
		g->cap = cap;
	}
	g->terms[g->n++] = *t;
	g->has_pre = g->has_pre || has_pre(&t->con);
	return KW_OK;
}

/*
 * Masterminds parseConstraintGroup: terms separated by white space, a comma,
 * or a comma with white space around it. A term glued to the next one
 * ("1.2.3~1.2") or a dangling comma is improper.
 */
static int parse_group(struct group *g, const char *s, size_t n,
	struct kw_err *err)
{
	size_t i = skip_space(s, n, 0);

	if (i == n)
		return improper(err, s, n);
	for (;;) {
		struct term t;
		size_t next, j;
		int rc;

		next = i;
		if ((rc = scan_term(&t, s, n, &next, err)) != KW_OK ||
			(rc = group_add(g, &t)) != KW_OK) {
			semver_clear(&t.con);
			return rc;
		}
		j = skip_space(s, n, next);
		if (j == n)
			return KW_OK;
		if (s[j] == ',')
			j = skip_space(s, n, j + 1);
		else if (j == next)
			return improper(err, s, n);
		if (j == n)
			return improper(err, s, n);
		i = j;
	}
}

/* Go's strings.Split(s, "||") followed by one group per piece. */
static int parse_groups(struct semver_constraint *c, const char *s, size_t n,
	struct kw_err *err)
{
	size_t start = 0;

	for (;;) {
		const char *bar = n - start >= 2 ?
			memmem(s + start, n - start, "||", 2) : NULL;
		size_t end = bar != NULL ? (size_t)(bar - s) : n;
		int rc;

		if (c->n == CONSTRAINT_MAX_GROUPS)
			return kw_errf(err, KW_EINVAL,
				"too many constraint groups (max %d)",
				CONSTRAINT_MAX_GROUPS);
		rc = parse_group(&c->groups[c->n++], s + start, end - start, err);
		if (rc != KW_OK || bar == NULL)
			return rc;
		start = end + 2;
	}
}

int semver_constraint_new(struct semver_constraint **out, const char *s,
	size_t len, struct kw_err *err)
{
	struct semver_constraint *c = NULL;
	char *text = NULL;
	size_t text_len;
	int rc;

	*out = NULL;
	if (len > CONSTRAINT_MAX_LEN)
		return kw_errf(err, KW_EINVAL,
			"constraint string is too long (max %d bytes)",
			CONSTRAINT_MAX_LEN);
	if ((rc = rewrite_ranges(&text, &text_len, s, len)) != KW_OK)
		goto out;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		rc = KW_ENOMEM;
		goto out;
	}
	if ((rc = parse_groups(c, text, text_len, err)) != KW_OK)
		goto out;
	*out = c;
	c = NULL;
out:
	if (rc == KW_ENOMEM)
		kw_errf(err, rc, "out of memory");
	semver_constraint_free(c);
	free(text);
	return rc;
}

void semver_constraint_free(struct semver_constraint *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		for (size_t k = 0; k < c->groups[i].n; k++)
			semver_clear(&c->groups[i].terms[k].con);
		free(c->groups[i].terms);
	}
	free(c);
}

/* ---- checks: Masterminds' constraint functions, one per operator ---- */

static bool check_tilde(const struct term *t, const struct semver *v)
{
	const struct semver *c = &t->con;

	if (semver_compare(v, c) < 0)
		return false;
	/* ~0.0.0 (and "*", which holds 0.0.0) accepts everything above. */
	if (c->major == 0 && c->minor == 0 && c->patch == 0 &&
		!t->minor_dirty && !t->patch_dirty)
		return true;
	if (v->major != c->major)
		return false;
	return v->minor == c->minor || t->minor_dirty;
}

/*
 * ^ keeps the left-most non-zero of major, minor (or a wildcard there)
 * fixed: ^1.2.3 is <2, ^0.2.3 is <0.3, ^0.0.3 is =0.0.3, ^0.0 is <0.1, ^0 is
 * <1. "^*" holds 0.0.0 with neither minor nor patch dirty, so it accepts
 * only 0.0.0 and its pre-releases, as Masterminds' code does (its comment
 * says "any").
 */
static bool check_caret(const struct term *t, const struct semver *v)
{
	const struct semver *c = &t->con;

	if (semver_compare(v, c) < 0)
		return false;
	if (c->major > 0 || t->minor_dirty)
		return v->major == c->major;
	if (v->major > 0)
		return false;
	if (c->minor > 0 || t->patch_dirty)
		return v->minor == c->minor;
	if (v->minor > 0)
		return false;
	return v->patch == c->patch;
}

static bool check_not_equal(const struct term *t, const struct semver *v)
{
	const struct semver *c = &t->con;

	if (t->dirty) {
		if (c->major != v->major)
			return true;
		if (c->minor != v->minor && !t->minor_dirty)
			return true;
		if (t->minor_dirty)
			return false;
		if (c->patch != v->patch && !t->patch_dirty)
			return true;
		if (t->patch_dirty)
			return (has_pre(v) || has_pre(c)) &&
				compare_prerelease(v->prerelease, c->prerelease) != 0;
	}
	return semver_compare(v, c) != 0;
}

/* ">11" needs 12 or more; ">11.1" needs 11.2 or more. */
static bool check_greater(const struct term *t, const struct semver *v)
{
	const struct semver *c = &t->con;

	if (!t->dirty || (v->major == c->major && !t->minor_dirty &&
		!t->patch_dirty))
		return semver_compare(v, c) > 0;
	if (v->major != c->major)
		return v->major > c->major;
	if (t->minor_dirty)
		return false;
	return v->minor > c->minor;
}

/* "<=1.1" accepts 1.1.x; "<=1" accepts 1.x.x. */
static bool check_less_equal(const struct term *t, const struct semver *v)
{
	const struct semver *c = &t->con;

	if (!t->dirty)
		return semver_compare(v, c) <= 0;
	if (v->major > c->major)
		return false;
	return !(v->major == c->major && v->minor > c->minor && !t->minor_dirty);
}

static bool check_term(const struct term *t, const struct semver *v,
	bool include_pre)
{
	/* Every Masterminds operator starts with this: a pre-release version
	 * only matches a group in which some term names a pre-release. */
	if (has_pre(v) && !include_pre)
		return false;
	switch (t->op) {
	case OP_TILDE_OR_EQUAL:
		return t->dirty ? check_tilde(t, v) : semver_compare(v, &t->con) == 0;
	case OP_NOT_EQUAL:
		return check_not_equal(t, v);
	case OP_GREATER:
		return check_greater(t, v);
	case OP_LESS:
		return semver_compare(v, &t->con) < 0;
	case OP_GREATER_EQUAL:
		return semver_compare(v, &t->con) >= 0;
	case OP_LESS_EQUAL:
		return check_less_equal(t, v);
	case OP_TILDE:
		return check_tilde(t, v);
	case OP_CARET:
		return check_caret(t, v);
	}
	return false;
}

bool semver_constraint_check(const struct semver_constraint *c,
	const struct semver *v)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct group *g = &c->groups[i];
		size_t k = 0;

		while (k < g->n && check_term(&g->terms[k], v, g->has_pre))
			k++;
		if (k == g->n)
			return true;
	}
	return false;
}
