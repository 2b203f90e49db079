/*
 * pathmatch.c: the glob and base-directory path patterns of Kargo's path
 * filters (pathmatch.h). The glob matcher walks pattern and path
 * together, backtracking for '*', '**' and alternatives; patterns come
 * from the operator's manifests and paths are short, and a step budget
 * bounds the work a pathological pattern can cause (past it the path
 * counts as matching: a needless refresh is harmless, a missed one is
 * not).
 */
#include "pathmatch.h"

#include "utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define GLOB_BUDGET 100000

struct glob {
	const char *start; /* the whole pattern, to see segment starts */
	long budget;
};

static size_t rune_at(const char *s, uint32_t *r)
{
	size_t n = strnlen(s, 4);

	return n == 0 ? 0 : utf8_decode((const unsigned char *)s, n, r);
}

/* The end of the class or alternative group opening at p, NULL when it
 * never closes. */
static const char *group_end(const char *p, char open, char close)
{
	int depth = 0;

	for (; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (*p == open && open != close)
			depth++;
		else if (*p == close && --depth == 0)
			return p;
		else if (open == '[' && *p == ']' && depth == 1)
			return p;
		if (open == '[' && depth == 0 && *p == '[')
			depth = 1;
	}
	return NULL;
}

bool pathmatch_glob_valid(const char *pattern)
{
	for (const char *p = pattern; *p != '\0'; p++) {
		if (*p == '\\' && p[1] == '\0')
			return false;
		if (*p == '\\')
			p++;
		else if (*p == '[' && (p = group_end(p, '[', ']')) == NULL)
			return false;
		else if (*p == '{' && group_end(p, '{', '}') == NULL)
			return false;
	}
	return true;
}

/* Whether rune r is in the class [..] at p (p at '['), *end past it. */
static bool class_match(const char *p, uint32_t r, const char **end)
{
	const char *close = group_end(p, '[', ']');
	bool neg = false, in = false;

	if (close == NULL) { /* cannot happen in a valid pattern */
		*end = p + 1;
		return false;
	}
	p++;
	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	while (p < close) {
		uint32_t lo, hi;

		if (*p == '\\')
			p++;
		p += rune_at(p, &lo);
		hi = lo;
		if (*p == '-' && p + 1 < close) {
			p++;
			if (*p == '\\')
				p++;
			p += rune_at(p, &hi);
		}
		in = in || (r >= lo && r <= hi);
	}
	*end = close + 1;
	return in != neg;
}

static bool glob_at(struct glob *g, const char *p, const char *s);

/* '{a,b}' at p: each alternative followed by what comes after the group. */
static bool alternatives(struct glob *g, const char *p, const char *s)
{
	const char *close = group_end(p, '{', '}'), *alt = p + 1;
	size_t rest = strlen(close + 1);
	struct glob sub;

	while (alt <= close) {
		const char *q = alt;
		int depth = 0;
		char *joined;
		bool ok;

		for (; q < close && !(depth == 0 && *q == ','); q++) {
			const char *c;

			if (*q == '\\' && q + 1 < close)
				q++;
			else if (*q == '[' && (c = group_end(q, '[', ']')) != NULL && c < close)
				q = c; /* a class is one item: its commas are its own */
			else if (*q == '{')
				depth++;
			else if (*q == '}')
				depth--;
		}
		/* joined[0] is the byte before the group ('/' at the start), so
		 * '**' right after '{' knows whether it begins a segment. */
		if ((joined = malloc((size_t)(q - alt) + rest + 2)) == NULL)
			return true; /* see the top of the file */
		joined[0] = p == g->start ? '/' : p[-1];
		memcpy(joined + 1, alt, (size_t)(q - alt));
		memcpy(joined + 1 + (q - alt), close + 1, rest + 1);
		sub.start = joined;
		sub.budget = g->budget;
		ok = glob_at(&sub, joined + 1, s);
		g->budget = sub.budget;
		free(joined);
		if (ok)
			return true;
		alt = q + 1;
	}
	return false;
}

/* '**' as a whole segment at p: zero or more segments of s. */
static bool doublestar(struct glob *g, const char *p, const char *s)
{
	const char *rest = p[2] == '/' ? p + 3 : p + 2;

	if (p[2] == '\0')
		return true;
	if (glob_at(g, rest, s))
		return true;
	for (; *s != '\0'; s++)
		if (*s == '/' && glob_at(g, rest, s + 1))
			return true;
	return false;
}

static bool star(struct glob *g, const char *p, const char *s)
{
	while (*p == '*')
		p++;
	for (;; s++) {
		if (glob_at(g, p, s))
			return true;
		if (*s == '\0' || *s == '/')
			return false;
	}
}

static bool glob_at(struct glob *g, const char *p, const char *s)
{
	for (; *p != '\0'; ) {
		uint32_t pr, sr;

		if (--g->budget < 0)
			return true;
		if (p[0] == '*' && p[1] == '*' && (p == g->start || p[-1] == '/') &&
		    (p[2] == '/' || p[2] == '\0'))
			return doublestar(g, p, s);
		if (*p == '*')
			return star(g, p, s);
		if (*p == '{')
			return alternatives(g, p, s);
		/* A trailing slash-doublestar also matches the directory itself. */
		if (*p == '/' && strcmp(p, "/**") == 0 && *s == '\0')
			return true;
		if (*s == '\0')
			return false;
		s += rune_at(s, &sr);
		if (*p == '?' && sr != '/') {
			p++;
		} else if (*p == '[' && sr != '/') {
			if (!class_match(p, sr, &p))
				return false;
		} else {
			if (*p == '\\')
				p++;
			p += rune_at(p, &pr);
			if (pr != sr)
				return false;
		}
	}
	return *s == '\0';
}

bool pathmatch_glob(const char *pattern, const char *path)
{
	struct glob g = { pattern, GLOB_BUDGET };

	return glob_at(&g, pattern, path);
}

/* Go's path.Clean of p into out (room for strlen(p) + 2). */
static void clean(char *out, const char *p)
{
	size_t n = strlen(p), r = 0, w = 0, dotdot = 0;
	bool rooted = n > 0 && p[0] == '/';

	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	while (r < n) {
		if (p[r] == '/') {
			r++;
		} else if (p[r] == '.' && (r + 1 == n || p[r + 1] == '/')) {
			r++;
		} else if (p[r] == '.' && p[r + 1] == '.' && (r + 2 == n || p[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if (w != (rooted ? 1 : 0))
				out[w++] = '/';
			while (r < n && p[r] != '/')
				out[w++] = p[r++];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
}

/* Go's filepath.Rel on cleaned paths (Unix); false where it errs. */
static bool rel(const char *base, const char *targ, const char **suffix,
	size_t *ups)
{
	size_t bl, tl, b0 = 0, bi = 0, t0 = 0, ti = 0;

	*ups = 0;
	*suffix = "";
	if (strcmp(base, targ) == 0)
		return true; /* "." */
	if (strcmp(base, ".") == 0)
		base = "";
	if ((base[0] == '/') != (targ[0] == '/'))
		return false;
	bl = strlen(base);
	tl = strlen(targ);
	for (;;) {
		while (bi < bl && base[bi] != '/')
			bi++;
		while (ti < tl && targ[ti] != '/')
			ti++;
		if (bi - b0 != ti - t0 || memcmp(targ + t0, base + b0, ti - t0) != 0)
			break;
		if (bi < bl)
			bi++;
		if (ti < tl)
			ti++;
		b0 = bi;
		t0 = ti;
	}
	if (bi - b0 == 2 && memcmp(base + b0, "..", 2) == 0)
		return false;
	if (b0 != bl) {
		*ups = 1;
		for (size_t i = b0; i < bl; i++)
			*ups += base[i] == '/';
	}
	*suffix = targ + t0;
	return true;
}

bool pathmatch_base_dir(const char *base, const char *path)
{
	char *b = malloc(strlen(base) + 3), *t = malloc(strlen(path) + 3);
	const char *suffix;
	size_t ups;
	bool ok = false;

	if (b != NULL && t != NULL) {
		clean(b, base);
		clean(t, path);
		/* Rel's result is "..", "../..", ... then the suffix: it holds
		 * ".." when it climbs at all, or when the suffix does. */
		ok = rel(b, t, &suffix, &ups) && ups == 0 && strstr(suffix, "..") == NULL;
	}
	free(b);
	free(t);
	return ok;
}
