/*
 * bitbucket.c: a Bitbucket webhook body turned into the repository URLs and
 * refs the receiver acts on (contract §4.6-4.8). Kargo v1.11
 * (pkg/webhook/external/bitbucket.go) decodes each event with Go's
 * encoding/json into a small struct of its own, and whether a body earns
 * 400 "invalid request body" is whatever json.Unmarshal decides. This file
 * reproduces that decision, then reads the same fields Kargo reads.
 *
 * One pass over the bytes does both: it checks Go's grammar and, while it
 * walks the few fields Kargo's structs declare, notes where each string
 * value lies in the body. No tree is built; only the strings that end up in
 * the result are decoded, into the event's single allocation.
 *
 * How far Go is mirrored (the decision), and why:
 *  - Syntax is Go's (checkValid): no leading zeros, no "1.", no raw
 *    control characters in strings, no byte order mark, no \f or \v as
 *    white space, one value and nothing after it.
 *  - Types are Go's for every field of Kargo's structs, read or not: the
 *    unused actor.name and actor.emailAddress are checked too, because a
 *    number there makes Kargo answer 400. A value of the wrong JSON type is
 *    KW_EINVAL, null leaves a value as it is (a slice becomes empty), and
 *    keys no struct declares are skipped, whatever they hold.
 *  - Keys match fields the way encoding/json matches them: exactly, or
 *    under Unicode case folding ("Links", "LINKS"; U+212A and U+017F fold
 *    onto k and s). Repeated keys are applied in order onto one value, as
 *    Go does: the last string wins, objects merge, and an array decodes
 *    into the slice already there (elements past its end are kept for a
 *    later, longer array, until a null or [] resets the slice).
 *  - repository.full_name, read only for the [beyond] SSH form, is not in
 *    Kargo's struct, so a non-string there is ignored rather than refused.
 *  - Strings come out as Go holds them: invalid UTF-8 becomes U+FFFD and so
 *    does an unpaired surrogate escape. A "\u0000" escape, which a C string
 *    cannot hold, is read as U+0001: URL normalization drops both and
 *    neither can spell a field name.
 *  - Known deviation: nesting deeper than MAX_DEPTH (1000) is KW_EINVAL
 *    where Go allows 10000. The receiver has refused such bodies since it
 *    parsed with cJSON, whose limit this is; a body that breaks Go's own
 *    limit or grammar is still reported as not valid JSON.
 * A body that fails is checked once more by the plain grammar pass, so the
 * message names the first problem in the order Go would find it.
 *
 * Then, as Kargo does, empty URLs and refs are dropped and the rest
 * deduplicated. Bounds: at most MAX_URLS URLs are kept (the first ones);
 * a push naming more than MAX_REFS distinct refs yields no refs at all,
 * which makes the receiver refresh every subscribed Warehouse: refreshing
 * too many is harmless, missing one is not. Each string is at most three
 * times its length in the body (U+FFFD for each invalid byte).
 */
#include "bitbucket.h"

#include "kw.h"
#include "urlnorm.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_URLS 1024
#define MAX_REFS 4096
#define GO_MAX_DEPTH 10000 /* encoding/json's scanner maxNestingDepth */
#define MAX_DEPTH 1000     /* ours; see the top of the file */

/* ---- Go's JSON grammar ---- */

struct jscan {
	const unsigned char *s;
	size_t len, pos;
	size_t depth, limit, deepest;
	unsigned char is_object[(GO_MAX_DEPTH + 7) / 8]; /* bit per open level */
};

static void jscan_init(struct jscan *js, const char *body, size_t len,
	size_t limit)
{
	js->s = (const unsigned char *)body;
	js->len = len;
	js->pos = js->depth = js->deepest = 0;
	js->limit = limit;
}

static int peek(const struct jscan *js)
{
	return js->pos < js->len ? js->s[js->pos] : -1;
}

static bool is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The two hot loops, white space and plain string bytes, look at eight
 * bytes at a time (pretty-printed bodies are half indentation). They work
 * on local pointers: through js, every byte read could alias js->pos as far
 * as the compiler knows, and it would reload it. */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static uint64_t load8(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Whether some byte of v is below n (n <= 128); exact as to whether. */
static bool has_below(uint64_t v, unsigned n)
{
	return ((v - ONES * n) & ~v & HIGHS) != 0;
}

static bool has_byte(uint64_t v, unsigned char c)
{
	return has_below(v ^ (ONES * c), 1);
}

static void skip_ws(struct jscan *js)
{
	const unsigned char *p = js->s + js->pos, *end = js->s + js->len;

	for (;;) {
		while (end - p >= 8 && load8(p) == ONES * ' ')
			p += 8;
		if (p == end || !is_ws(*p))
			break;
		p++;
	}
	js->pos = (size_t)(p - js->s);
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* The four hex digits at s, or -1. */
static long hex4(const unsigned char *s)
{
	long v = 0;

	for (size_t i = 0; i < 4; i++) {
		int d = hex_digit(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static bool scan_escape(struct jscan *js)
{
	size_t at = js->pos;

	if (at + 1 >= js->len)
		return false;
	switch (js->s[at + 1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		js->pos = at + 2;
		return true;
	case 'u':
		if (js->len - at < 6 || hex4(js->s + at + 2) < 0)
			return false;
		js->pos = at + 6;
		return true;
	default:
		return false;
	}
}

/* Up to the first byte that needs a look: a quote, a backslash, a control
 * character or the end. */
static void skip_plain(struct jscan *js)
{
	const unsigned char *p = js->s + js->pos, *end = js->s + js->len;
	uint64_t v;

	while (end - p >= 8 && !has_below(v = load8(p), 0x20) && !has_byte(v, '"') &&
		!has_byte(v, '\\'))
		p += 8;
	while (p < end && *p >= 0x20 && *p != '"' && *p != '\\')
		p++;
	js->pos = (size_t)(p - js->s);
}

static bool scan_string(struct jscan *js)
{
	js->pos++;
	for (;;) {
		skip_plain(js);
		if (js->pos == js->len || js->s[js->pos] < 0x20)
			return false;
		if (js->s[js->pos] == '"') {
			js->pos++;
			return true;
		}
		if (!scan_escape(js))
			return false;
	}
}

static bool scan_digits(struct jscan *js)
{
	if (peek(js) < '0' || peek(js) > '9')
		return false;
	while (peek(js) >= '0' && peek(js) <= '9')
		js->pos++;
	return true;
}

static bool scan_number(struct jscan *js)
{
	if (peek(js) == '-')
		js->pos++;
	if (peek(js) == '0')
		js->pos++;
	else if (!scan_digits(js))
		return false;
	if (peek(js) == '.') {
		js->pos++;
		if (!scan_digits(js))
			return false;
	}
	if (peek(js) == 'e' || peek(js) == 'E') {
		js->pos++;
		if (peek(js) == '+' || peek(js) == '-')
			js->pos++;
		if (!scan_digits(js))
			return false;
	}
	return true;
}

static bool scan_word(struct jscan *js, const char *word)
{
	size_t n = strlen(word);

	if (js->len - js->pos < n || memcmp(js->s + js->pos, word, n) != 0)
		return false;
	js->pos += n;
	return true;
}

static bool scan_scalar(struct jscan *js)
{
	switch (peek(js)) {
	case '"': return scan_string(js);
	case 't': return scan_word(js, "true");
	case 'f': return scan_word(js, "false");
	case 'n': return scan_word(js, "null");
	default: return scan_number(js);
	}
}

/* Enters the container whose bracket is at js->pos. */
static bool push_level(struct jscan *js, bool object)
{
	unsigned char bit = (unsigned char)(1u << (js->depth % 8));

	if (js->depth == js->limit)
		return false;
	if (object)
		js->is_object[js->depth / 8] |= bit;
	else
		js->is_object[js->depth / 8] &= (unsigned char)~bit;
	js->depth++;
	if (js->depth > js->deepest)
		js->deepest = js->depth;
	js->pos++;
	return true;
}

/* Leaves a container if its closing bracket is at js->pos. */
static bool pop_level(struct jscan *js, int close)
{
	if (peek(js) != close)
		return false;
	js->pos++;
	js->depth--;
	return true;
}

static bool top_is_object(const struct jscan *js)
{
	size_t i = js->depth - 1;

	return (js->is_object[i / 8] >> (i % 8) & 1) != 0;
}

/* The colon after an object key, and the white space around it. */
static bool scan_colon(struct jscan *js)
{
	skip_ws(js);
	if (peek(js) != ':')
		return false;
	js->pos++;
	skip_ws(js);
	return true;
}

static bool scan_key(struct jscan *js)
{
	return peek(js) == '"' && scan_string(js) && scan_colon(js);
}

/* Begins the value at js->pos: a scalar is scanned whole, a container is
 * opened (closed at once when empty) down to its first member's value. */
static bool begin_value(struct jscan *js)
{
	for (;;) {
		int c = peek(js);

		if (c != '{' && c != '[')
			return scan_scalar(js);
		if (!push_level(js, c == '{'))
			return false;
		skip_ws(js);
		if (pop_level(js, c == '{' ? '}' : ']'))
			return true;
		if (c == '{' && !scan_key(js))
			return false;
	}
}

/* One value at js->pos, of any type; iterative, so nesting costs no
 * stack. */
static bool skip_value(struct jscan *js)
{
	size_t base = js->depth;

	if (!begin_value(js))
		return false;
	while (js->depth > base) {
		bool object = top_is_object(js);

		skip_ws(js);
		if (pop_level(js, object ? '}' : ']'))
			continue;
		if (peek(js) != ',')
			return false;
		js->pos++;
		skip_ws(js);
		if ((object && !scan_key(js)) || !begin_value(js))
			return false;
	}
	return true;
}

/* One JSON value with white space around it, nothing else (Go's
 * checkValid). */
static bool scan_json(struct jscan *js)
{
	skip_ws(js);
	if (!skip_value(js))
		return false;
	skip_ws(js);
	return js->pos == js->len;
}

/* ---- Go's strings ---- */

static size_t utf8_put(unsigned char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xC0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xE0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char)(0xF0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The rune of the escape at s, in a string the scanner accepted (so a
 * closing quote follows and every \u has four hex digits), and in *n its
 * length. A surrogate pair is one rune; an unpaired surrogate is U+FFFD as
 * in Go, U+0000 is U+0001 (see the top of the file). */
static unsigned long escape_rune(const unsigned char *s, size_t *n)
{
	unsigned long cp, lo;

	*n = 2;
	switch (s[1]) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'u': break;
	default: return s[1]; /* " \ / */
	}
	*n = 6;
	cp = (unsigned long)hex4(s + 2);
	if (cp >= 0xD800 && cp <= 0xDBFF && s[6] == '\\' && s[7] == 'u') {
		lo = (unsigned long)hex4(s + 8);
		if (lo >= 0xDC00 && lo <= 0xDFFF) {
			*n = 12;
			return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
	}
	if (cp == 0)
		return 1;
	return cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp;
}

/* Length of the valid UTF-8 sequence at s, 0 when invalid (Go's
 * utf8.DecodeRune: no overlong forms, surrogates or values past U+10FFFF).
 * Reads no further than the first byte that is not a continuation byte. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;

	if (c < 0x80)
		return 1;
	if (c < 0xC2 || c > 0xF4)
		return 0;
	if (c < 0xE0)
		return s[1] >= 0x80 && s[1] <= 0xBF ? 2 : 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi || s[2] < 0x80 || s[2] > 0xBF)
		return 0;
	if (c < 0xF0)
		return 3;
	return s[3] >= 0x80 && s[3] <= 0xBF ? 4 : 0;
}

/* Decodes the string body s[0..n), as the scanner accepted it, to the
 * string Go holds: escapes decoded, each byte of invalid UTF-8 turned into
 * U+FFFD. Writes at most 3 * n bytes to out; returns how many. An escape
 * decodes to valid UTF-8 and never to a continuation byte, so checking raw
 * bytes in place gives what checking the decoded string would. */
static size_t go_decode_string(unsigned char *out, const unsigned char *s,
	size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t k;

		if (s[i] < 0x80 && s[i] != '\\') {
			out[o++] = s[i++];
		} else if (s[i] == '\\') {
			o += utf8_put(out + o, escape_rune(s + i, &k));
			i += k;
		} else if ((k = utf8_len(s + i)) > 0) {
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		}
	}
	return o;
}

/* Decodes an object key into key[0..size) as a C string, escapes decoded
 * and other bytes as they are: what field matching compares. False when it
 * does not fit, which no key that matches a field comes near. */
static bool decode_key(char *key, size_t size, const unsigned char *s,
	size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t k = 1;

		if (o + 5 > size)
			return false;
		if (s[i] == '\\')
			o += utf8_put((unsigned char *)key + o, escape_rune(s + i, &k));
		else
			key[o++] = (char)s[i];
		i += k;
	}
	key[o] = '\0';
	return true;
}

/* ---- Go's struct decoding ---- */

enum go_kind {
	GO_STRING,     /* a Go string: JSON string or null */
	GO_STRUCT,     /* a Go struct: JSON object or null */
	GO_SLICE,      /* a Go slice of structs: JSON array or null */
	GO_ANY_STRING, /* not in Kargo's struct: read when a string, else ignored */
};

#define NO_SLOT (-1) /* a string that is type-checked but never read */

struct go_field {
	const char *name;              /* the json tag */
	enum go_kind kind;
	const struct go_field *fields; /* GO_STRUCT, GO_SLICE: the struct's */
	size_t n_fields;
	/* String kinds: where the value is noted in the record (the body's, or
	 * a slice element's), or NO_SLOT. GO_SLICE: which slice. */
	int slot;
	size_t width; /* GO_SLICE: the strings noted per element */
};

/* A string value in the body, between its quotes, still escaped. */
struct span {
	size_t off; /* 0 while never set: no string starts at byte 0 */
	size_t len;
};

#define MAX_SLOTS 2
#define MAX_SLICES 2
#define SMALL_SPANS 8

/* A Go slice of structs, each element noted as width spans. */
struct slice {
	struct span *elems;
	size_t n;   /* elements decoded since the last reset (Go keeps them) */
	size_t len; /* the slice's length */
	size_t cap; /* in spans */
	struct span small[SMALL_SPANS]; /* elems until they outgrow it */
};

struct decoder {
	struct jscan js;
	struct span root[MAX_SLOTS];
	struct slice slices[MAX_SLICES];
	struct kw_err *err;
};

/* Where a value sits, for error messages: "push.changes[].new.name". */
struct go_path {
	const char *name;
	const struct go_path *up;
};

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether key equals the (ASCII) field name under the folding
 * encoding/json applies when no key matches exactly: ASCII case, and the
 * only non-ASCII runes that fold onto ASCII, U+212A (k) and U+017F (s). */
static bool go_fold_equal(const char *key, const char *name)
{
	const unsigned char *k = (const unsigned char *)key;

	for (; *name != '\0'; name++) {
		int want = ascii_lower((unsigned char)*name);

		if (want == 'k' && k[0] == 0xE2 && k[1] == 0x84 && k[2] == 0xAA)
			k += 3;
		else if (want == 's' && k[0] == 0xC5 && k[1] == 0xBF)
			k += 2;
		else if (ascii_lower(k[0]) == want)
			k++;
		else
			return false;
	}
	return *k == '\0';
}

static size_t go_field_index(const struct go_field *f, const char *key)
{
	size_t i;

	for (i = 0; i < f->n_fields; i++)
		if (strcmp(f->fields[i].name, key) == 0)
			return i;
	for (i = 0; i < f->n_fields; i++)
		if (go_fold_equal(key, f->fields[i].name))
			return i;
	return f->n_fields;
}

static void path_format(char *buf, size_t size, const struct go_path *p)
{
	size_t n;

	if (p == NULL) {
		buf[0] = '\0';
		return;
	}
	path_format(buf, size, p->up);
	n = strlen(buf);
	snprintf(buf + n, size - n, "%s%s", n > 0 && p->name[0] != '[' ? "." : "",
		p->name);
}

/* The type of the value starting with c, NULL when no value starts so. */
static const char *json_type(int c)
{
	switch (c) {
	case '{': return "an object";
	case '[': return "an array";
	case '"': return "a string";
	case 't': case 'f': return "a boolean";
	case '-': return "a number";
	default: return c >= '0' && c <= '9' ? "a number" : NULL;
	}
}

/* The message is provisional: bitbucket_parse rescans a refused body and
 * rewrites it when the grammar or the nesting fails first. */
static int bad_syntax(struct decoder *d)
{
	return kw_errf(d->err, KW_EINVAL, "not valid JSON (near byte %zu)",
		d->js.pos);
}

static int type_error(struct decoder *d, const struct go_path *path,
	const char *want)
{
	const char *got = json_type(peek(&d->js));
	char where[256];

	if (got == NULL)
		return bad_syntax(d);
	path_format(where, sizeof(where), path);
	return kw_errf(d->err, KW_EINVAL, "%s: %s where Kargo decodes %s",
		where[0] != '\0' ? where : "body", got, want);
}

static int decode_null(struct decoder *d)
{
	return scan_word(&d->js, "null") ? KW_OK : bad_syntax(d);
}

static int decode_struct(struct decoder *d, const struct go_field *f,
	struct span *rec, const struct go_path *path);

static int decode_string(struct decoder *d, const struct go_field *f,
	struct span *rec, const struct go_path *path)
{
	struct jscan *js = &d->js;
	size_t start = js->pos + 1;

	if (peek(js) == 'n')
		return decode_null(d);
	if (peek(js) != '"' && f->kind == GO_ANY_STRING)
		return skip_value(js) ? KW_OK : bad_syntax(d);
	if (peek(js) != '"')
		return type_error(d, path, "a string");
	if (!scan_string(js))
		return bad_syntax(d);
	if (f->slot != NO_SLOT)
		rec[f->slot] = (struct span){ start, js->pos - 1 - start };
	return KW_OK;
}

static void slice_reset(struct slice *sl)
{
	sl->n = 0;
	sl->len = 0;
}

/* Adds a zero element of width spans after the sl->n there are. */
static int slice_append(struct slice *sl, size_t width)
{
	size_t need = (sl->n + 1) * width;

	if (need > sl->cap) {
		size_t cap = 2 * need;
		struct span *p;

		if (cap > SIZE_MAX / 2 / sizeof(*p))
			return KW_ENOMEM;
		p = sl->elems == sl->small ? malloc(cap * sizeof(*p)) :
			realloc(sl->elems, cap * sizeof(*p));
		if (p == NULL)
			return KW_ENOMEM;
		if (sl->elems == sl->small)
			memcpy(p, sl->small, sl->n * width * sizeof(*p));
		sl->elems = p;
		sl->cap = cap;
	}
	memset(sl->elems + sl->n * width, 0, width * sizeof(*sl->elems));
	sl->n++;
	return KW_OK;
}

static int slice_next(struct decoder *d, bool *more)
{
	struct jscan *js = &d->js;

	skip_ws(js);
	*more = peek(js) == ',';
	if (*more) {
		js->pos++;
		skip_ws(js);
	} else if (!pop_level(js, ']')) {
		return bad_syntax(d);
	}
	return KW_OK;
}

/* Go decodes an array into the slice in place: element i is reused, merged
 * into, and only then is the length cut to the array's. */
static int decode_slice(struct decoder *d, const struct go_field *f,
	const struct go_path *path)
{
	struct slice *sl = &d->slices[f->slot];
	struct go_path here = { "[]", path };
	struct jscan *js = &d->js;
	bool more = true;
	size_t i = 0;
	int rc = KW_OK;

	if (peek(js) == 'n') {
		slice_reset(sl);
		return decode_null(d);
	}
	if (peek(js) != '[')
		return type_error(d, path, "an array");
	if (!push_level(js, false))
		return bad_syntax(d);
	skip_ws(js);
	if (pop_level(js, ']')) {
		slice_reset(sl);
		return KW_OK;
	}
	while (rc == KW_OK && more) {
		if (i == sl->n)
			rc = slice_append(sl, f->width);
		if (rc == KW_OK)
			rc = decode_struct(d, f, sl->elems + i++ * f->width, &here);
		if (rc == KW_OK)
			rc = slice_next(d, &more);
	}
	sl->len = i;
	return rc;
}

static int decode_value(struct decoder *d, const struct go_field *f,
	struct span *rec, const struct go_path *path)
{
	switch (f->kind) {
	case GO_STRING:
	case GO_ANY_STRING:
		return decode_string(d, f, rec, path);
	case GO_STRUCT:
		return decode_struct(d, f, rec, path);
	case GO_SLICE:
		return decode_slice(d, f, path);
	}
	return KW_EINVAL;
}

/* One "key": value of an object of f's struct. */
static int decode_member(struct decoder *d, const struct go_field *f,
	struct span *rec, const struct go_path *path)
{
	struct jscan *js = &d->js;
	size_t start = js->pos + 1, i = f->n_fields;
	char key[48]; /* a field name is 12 bytes at most, 36 folded */
	struct go_path here;

	if (peek(js) != '"' || !scan_string(js))
		return bad_syntax(d);
	if (decode_key(key, sizeof(key), js->s + start, js->pos - 1 - start))
		i = go_field_index(f, key);
	if (!scan_colon(js))
		return bad_syntax(d);
	if (i == f->n_fields) /* a key Kargo does not declare */
		return skip_value(js) ? KW_OK : bad_syntax(d);
	here.name = f->fields[i].name;
	here.up = path;
	return decode_value(d, &f->fields[i], rec, &here);
}

/* A struct's fields are noted in the record of the value that holds it,
 * so merging repeated objects is just noting more. */
static int decode_struct(struct decoder *d, const struct go_field *f,
	struct span *rec, const struct go_path *path)
{
	struct jscan *js = &d->js;

	if (peek(js) == 'n')
		return decode_null(d);
	if (peek(js) != '{')
		return type_error(d, path, "an object");
	if (!push_level(js, true))
		return bad_syntax(d);
	skip_ws(js);
	if (pop_level(js, '}'))
		return KW_OK;
	for (;;) {
		int rc = decode_member(d, f, rec, path);

		if (rc != KW_OK)
			return rc;
		skip_ws(js);
		if (pop_level(js, '}'))
			return KW_OK;
		if (peek(js) != ',')
			return bad_syntax(d);
		js->pos++;
		skip_ws(js);
	}
}

static void decoder_init(struct decoder *d, const char *body, size_t len,
	struct kw_err *err)
{
	memset(d->root, 0, sizeof(d->root));
	for (size_t i = 0; i < MAX_SLICES; i++) {
		d->slices[i].elems = d->slices[i].small;
		d->slices[i].cap = SMALL_SPANS;
		slice_reset(&d->slices[i]);
	}
	jscan_init(&d->js, body, len, MAX_DEPTH);
	d->err = err;
}

static void decoder_free(struct decoder *d)
{
	for (size_t i = 0; i < MAX_SLICES; i++)
		if (d->slices[i].elems != d->slices[i].small)
			free(d->slices[i].elems);
}

/* The message for a refused body: the grammar and the nesting come
 * before the types, as they would if the body were parsed first. */
static void explain_refusal(struct decoder *d, const char *body, size_t len)
{
	jscan_init(&d->js, body, len, GO_MAX_DEPTH);
	if (!scan_json(&d->js))
		kw_errf(d->err, KW_EINVAL, "not valid JSON (near byte %zu)", d->js.pos);
	else if (d->js.deepest > MAX_DEPTH)
		kw_errf(d->err, KW_EINVAL, "JSON nested deeper than %d levels",
			MAX_DEPTH);
}

static int decode_body(struct decoder *d, const struct go_field *body_field,
	const char *body, size_t len)
{
	int rc;

	skip_ws(&d->js);
	rc = decode_struct(d, body_field, d->root, NULL);
	skip_ws(&d->js);
	if (rc == KW_OK && d->js.pos != d->js.len)
		rc = bad_syntax(d);
	if (rc == KW_EINVAL)
		explain_refusal(d, body, len);
	return rc;
}

/* ---- Kargo's structs (pkg/webhook/external/bitbucket.go) ---- */

#define STR(n, slot) { (n), GO_STRING, NULL, 0, (slot), 0 }
#define ANY_STR(n, slot) { (n), GO_ANY_STRING, NULL, 0, (slot), 0 }
#define OBJ(n, f) { (n), GO_STRUCT, (f), KW_ARRAY_LEN(f), NO_SLOT, 0 }
#define LIST(n, f, slice, width) \
	{ (n), GO_SLICE, (f), KW_ARRAY_LEN(f), (slice), (width) }

/* Slots: what each event's extraction reads. */
enum {
	HREF = 0,      /* html.href in the body; href in a clone or self element */
	FULL_NAME = 1, /* repository.full_name (repo:push) */
	NEW_TYPE = 0,  /* push.changes[].new.type */
	NEW_NAME = 1,  /* push.changes[].new.name */
	REF_ID = 0,    /* changes[].ref.id (repo:refs_changed) */
	CHANGES = 0,   /* slice: push.changes, changes */
	CLONE = 1,     /* slice: repository.links.clone */
	SELF = 0,      /* slice: pullRequest.links.self */
};

static const struct go_field href_fields[] = { STR("href", HREF) };
static const struct go_field actor_fields[] = {
	STR("name", NO_SLOT), STR("emailAddress", NO_SLOT),
};

/* repo:push: bitbucketPushEventBody */
static const struct go_field push_new_fields[] = {
	STR("type", NEW_TYPE), STR("name", NEW_NAME),
};
static const struct go_field push_change_fields[] = { OBJ("new", push_new_fields) };
static const struct go_field push_fields[] = {
	LIST("changes", push_change_fields, CHANGES, 2),
};
static const struct go_field html_links_fields[] = { OBJ("html", href_fields) };
static const struct go_field cloud_repo_fields[] = {
	OBJ("links", html_links_fields), ANY_STR("full_name", FULL_NAME),
};
static const struct go_field push_body_fields[] = {
	OBJ("actor", actor_fields), OBJ("push", push_fields),
	OBJ("repository", cloud_repo_fields),
};

/* repo:refs_changed: bitbucketRefsChangedEventBody */
static const struct go_field ref_fields[] = { STR("id", REF_ID) };
static const struct go_field server_change_fields[] = { OBJ("ref", ref_fields) };
static const struct go_field clone_links_fields[] = {
	LIST("clone", href_fields, CLONE, 1),
};
static const struct go_field server_repo_fields[] = { OBJ("links", clone_links_fields) };
static const struct go_field refs_changed_body_fields[] = {
	OBJ("actor", actor_fields), LIST("changes", server_change_fields, CHANGES, 1),
	OBJ("repository", server_repo_fields),
};

/* pullrequest:fulfilled, :rejected: handlePRFulfilledEvent's payload */
static const struct go_field cloud_pr_fields[] = { OBJ("links", html_links_fields) };
static const struct go_field cloud_pr_body_fields[] = {
	OBJ("pullrequest", cloud_pr_fields),
};

/* pr:merged, pr:declined: handlePRMergedEvent's payload */
static const struct go_field self_links_fields[] = { LIST("self", href_fields, SELF, 1) };
static const struct go_field server_pr_fields[] = { OBJ("links", self_links_fields) };
static const struct go_field server_pr_body_fields[] = {
	OBJ("pullRequest", server_pr_fields),
};

/* ---- the result ---- */

/* The kept strings' bytes, each NUL-terminated; copied into the event at
 * the end. Starts on the stack, which holds a typical push's. */
struct arena {
	char *buf;
	size_t len, cap;
	char small[1024];
};

struct item {
	size_t off, len; /* in the arena */
};

#define LINEAR_MAX 16 /* up to this many items, look up without a table */

/* Distinct non-empty strings in insertion order, at most max of them. */
struct strset {
	struct item *items;
	size_t n, cap, max;
	uint32_t *slots; /* open addressing: index into items + 1, 0 when free */
	size_t n_slots;  /* a power of two, at least 2 * max */
	bool overflow;   /* a distinct string beyond max was seen */
	struct item small[LINEAR_MAX];
};

struct collect {
	const unsigned char *body;
	struct arena a;
	struct strset urls, refs;
};

static int arena_reserve(struct arena *a, size_t n)
{
	size_t cap = a->cap;
	char *p;

	if (n > SIZE_MAX / 2 - a->len)
		return KW_ENOMEM;
	if (a->len + n <= cap)
		return KW_OK;
	while (cap < a->len + n)
		cap *= 2;
	p = a->buf == a->small ? malloc(cap) : realloc(a->buf, cap);
	if (p == NULL)
		return KW_ENOMEM;
	if (a->buf == a->small)
		memcpy(p, a->small, a->len);
	a->buf = p;
	a->cap = cap;
	return KW_OK;
}

static int arena_append(struct arena *a, const char *s, size_t n)
{
	int rc = arena_reserve(a, n);

	if (rc == KW_OK) {
		memcpy(a->buf + a->len, s, n);
		a->len += n;
	}
	return rc;
}

/* Appends span as Go holds it (not terminated). */
static int arena_go_string(struct collect *c, struct span sp)
{
	int rc = sp.len > SIZE_MAX / 3 ? KW_ENOMEM : arena_reserve(&c->a, 3 * sp.len);

	if (rc == KW_OK)
		c->a.len += go_decode_string((unsigned char *)c->a.buf + c->a.len,
			c->body + sp.off, sp.len);
	return rc;
}

static void strset_init(struct strset *set, size_t max, size_t n_slots)
{
	memset(set, 0, sizeof(*set));
	set->items = set->small;
	set->cap = LINEAR_MAX;
	set->max = max;
	set->n_slots = n_slots;
}

static void strset_free(struct strset *set)
{
	if (set->items != set->small)
		free(set->items);
	free(set->slots);
}

static uint32_t hash_str(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static bool item_equal(const struct collect *c, const struct item *it,
	const char *s, size_t n)
{
	return it->len == n && memcmp(c->a.buf + it->off, s, n) == 0;
}

/* Whether s is in the set; *slot is where it is, or where it would go in
 * the table. The table is at most half full, so the probe ends. */
static bool strset_find(const struct collect *c, const struct strset *set,
	const char *s, size_t n, size_t *slot)
{
	size_t mask = set->n_slots - 1, i;

	if (set->slots == NULL) {
		for (i = 0; i < set->n; i++)
			if (item_equal(c, &set->items[i], s, n))
				return true;
		return false;
	}
	for (i = hash_str(s, n) & mask; set->slots[i] != 0; i = (i + 1) & mask)
		if (item_equal(c, &set->items[set->slots[i] - 1], s, n))
			break;
	*slot = i;
	return set->slots[i] != 0;
}

/* Past LINEAR_MAX items: a table, and room for max items. */
static int strset_grow(const struct collect *c, struct strset *set)
{
	struct item *p = malloc(set->max * sizeof(*p));

	set->slots = calloc(set->n_slots, sizeof(*set->slots));
	if (p == NULL || set->slots == NULL) {
		free(p);
		return KW_ENOMEM;
	}
	memcpy(p, set->items, set->n * sizeof(*p));
	set->items = p;
	set->cap = set->max;
	for (size_t i = 0; i < set->n; i++) {
		size_t slot;

		(void)strset_find(c, set, c->a.buf + p[i].off, p[i].len, &slot);
		set->slots[slot] = (uint32_t)(i + 1);
	}
	return KW_OK;
}

/* Keeps the string the arena ends with, from off on, or drops it (as
 * Kargo's refreshWarehouses drops empty URLs and refs) when it is empty,
 * already there, or beyond max. */
static int strset_add(struct collect *c, struct strset *set, size_t off)
{
	const char *s = c->a.buf + off;
	size_t n = c->a.len - off, slot = 0;
	int rc = KW_OK;

	if (n == 0 || strset_find(c, set, s, n, &slot))
		rc = KW_OK;
	else if (set->n == set->max)
		set->overflow = true;
	else if (set->n == set->cap && (rc = strset_grow(c, set)) != KW_OK)
		rc = KW_ENOMEM;
	else {
		if (set->slots != NULL)
			(void)strset_find(c, set, s, n, &slot);
		set->items[set->n++] = (struct item){ off, n };
		if (set->slots != NULL)
			set->slots[slot] = (uint32_t)set->n;
		return arena_append(&c->a, "", 1);
	}
	c->a.len = off;
	return rc;
}

/* Adds prefix + span as Go holds it. */
static int add_go_string(struct collect *c, struct strset *set,
	const char *prefix, struct span sp)
{
	size_t off = c->a.len;
	int rc = arena_append(&c->a, prefix, strlen(prefix));

	if (rc == KW_OK)
		rc = arena_go_string(c, sp);
	return rc == KW_OK ? strset_add(c, set, off) : rc;
}

/* Normalizes the bytes the arena ends with, from off on, and removes them:
 * *out is the C string urlnorm_git gives. */
static int normalize_tail(char **out, struct collect *c, size_t off)
{
	int rc = urlnorm_git(out, c->a.buf + off, c->a.len - off);

	c->a.len = off;
	return rc;
}

static int normalize(char **out, struct collect *c, struct span sp)
{
	size_t off = c->a.len;
	int rc = arena_go_string(c, sp);

	*out = NULL;
	return rc == KW_OK ? normalize_tail(out, c, off) : rc;
}

static int add_c_string(struct collect *c, struct strset *set, const char *s)
{
	size_t off = c->a.len;
	int rc = arena_append(&c->a, s, strlen(s));

	return rc == KW_OK ? strset_add(c, set, off) : rc;
}

static int add_url(struct collect *c, struct span sp, bool normalized)
{
	char *s = NULL;
	int rc;

	if (!normalized)
		return add_go_string(c, &c->urls, "", sp);
	rc = normalize(&s, c, sp);
	if (rc == KW_OK)
		rc = add_c_string(c, &c->urls, s);
	free(s);
	return rc;
}

/* The host of an http(s) URL, without user info or port. */
static bool http_host(const char *url, const char **host, size_t *len)
{
	const char *p, *end, *q;

	if (strncasecmp(url, "https://", 8) == 0)
		p = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		p = url + 7;
	else
		return false;
	end = p + strcspn(p, "/?#");
	for (q = end; q > p && q[-1] != '@'; q--)
		;
	p = q; /* past the user info, if any */
	if (*p == '[') {
		q = memchr(p, ']', (size_t)(end - p));
		end = q != NULL ? q + 1 : p;
	} else if ((q = memchr(p, ':', (size_t)(end - p))) != NULL) {
		end = q;
	}
	*host = p;
	*len = (size_t)(end - p);
	return end > p;
}

/* [beyond] "ssh://git@<host>/<full_name>", normalized, from the normalized
 * html href: what a Warehouse subscribed with git@host:ws/repo.git holds.
 * *out stays NULL when there is no host or no full_name. */
static int ssh_url(char **out, struct collect *c, const char *href,
	struct span full_name)
{
	static const char scheme[] = "ssh://git@";
	size_t off = c->a.len, host_len;
	const char *host;
	int rc;

	*out = NULL;
	if (full_name.len == 0 || !http_host(href, &host, &host_len))
		return KW_OK;
	rc = arena_append(&c->a, scheme, strlen(scheme));
	if (rc == KW_OK)
		rc = arena_append(&c->a, host, host_len);
	if (rc == KW_OK)
		rc = arena_append(&c->a, "/", 1);
	if (rc == KW_OK)
		rc = arena_go_string(c, full_name);
	if (rc != KW_OK) {
		c->a.len = off;
		return rc;
	}
	return normalize_tail(out, c, off);
}

static int push_urls(struct collect *c, const struct decoder *d)
{
	char *href = NULL, *ssh = NULL;
	int rc = normalize(&href, c, d->root[HREF]);

	if (rc == KW_OK)
		rc = ssh_url(&ssh, c, href, d->root[FULL_NAME]);
	if (rc == KW_OK)
		rc = add_c_string(c, &c->urls, href);
	if (rc == KW_OK && ssh != NULL)
		rc = add_c_string(c, &c->urls, ssh);
	free(href);
	free(ssh);
	return rc;
}

/* The prefix for a change of this type: a tag only for exactly "tag". */
static int ref_prefix(const char **out, struct collect *c, struct span type)
{
	size_t off = c->a.len;
	int rc;

	*out = "refs/heads/";
	/* "tag" decodes from 3 to 18 bytes (each letter may be a \u escape). */
	if (type.len < 3 || type.len > 18)
		return KW_OK;
	rc = arena_go_string(c, type);
	if (rc == KW_OK && c->a.len - off == 3 && memcmp(c->a.buf + off, "tag", 3) == 0)
		*out = "refs/tags/";
	c->a.len = off;
	return rc;
}

static const struct span *elem(const struct decoder *d, size_t slice,
	size_t width, size_t i)
{
	return d->slices[slice].elems + i * width;
}

static int extract_push(struct collect *c, const struct decoder *d)
{
	const struct slice *changes = &d->slices[CHANGES];
	int rc = push_urls(c, d);

	for (size_t i = 0; rc == KW_OK && !c->refs.overflow && i < changes->len; i++) {
		const struct span *e = elem(d, CHANGES, 2, i);

		const char *prefix;

		/* Kargo skips an empty name: "new" is null for a deletion. */
		if (e[NEW_NAME].len == 0)
			continue;
		rc = ref_prefix(&prefix, c, e[NEW_TYPE]);
		if (rc == KW_OK)
			rc = add_go_string(c, &c->refs, prefix, e[NEW_NAME]);
	}
	return rc;
}

static int extract_refs_changed(struct collect *c, const struct decoder *d)
{
	size_t n_clone = d->slices[CLONE].len, n_changes = d->slices[CHANGES].len;
	int rc = KW_OK;

	/* Once full, a set keeps nothing more: stop reading. */
	for (size_t i = 0; rc == KW_OK && c->urls.n < c->urls.max && i < n_clone; i++)
		rc = add_url(c, elem(d, CLONE, 1, i)[HREF], true);
	for (size_t i = 0; rc == KW_OK && !c->refs.overflow && i < n_changes; i++)
		rc = add_go_string(c, &c->refs, "", elem(d, CHANGES, 1, i)[REF_ID]);
	return rc;
}

static int extract_cloud_pr(struct collect *c, const struct decoder *d)
{
	return add_url(c, d->root[HREF], false);
}

static int extract_server_pr(struct collect *c, const struct decoder *d)
{
	if (d->slices[SELF].len == 0)
		return KW_OK;
	return add_url(c, elem(d, SELF, 1, 0)[HREF], false);
}

struct event_def {
	const char *key;
	enum bitbucket_kind kind;
	struct go_field body;
	int (*extract)(struct collect *c, const struct decoder *d);
};

static const struct event_def events[] = {
	{ "repo:push", BITBUCKET_PUSH, OBJ("", push_body_fields), extract_push },
	{ "repo:refs_changed", BITBUCKET_PUSH, OBJ("", refs_changed_body_fields),
		extract_refs_changed },
	{ "pullrequest:fulfilled", BITBUCKET_PR, OBJ("", cloud_pr_body_fields),
		extract_cloud_pr },
	{ "pullrequest:rejected", BITBUCKET_PR, OBJ("", cloud_pr_body_fields),
		extract_cloud_pr },
	{ "pr:merged", BITBUCKET_PR, OBJ("", server_pr_body_fields), extract_server_pr },
	{ "pr:declined", BITBUCKET_PR, OBJ("", server_pr_body_fields),
		extract_server_pr },
};

static const struct event_def *find_event(const char *key)
{
	for (size_t i = 0; key != NULL && i < KW_ARRAY_LEN(events); i++)
		if (strcmp(events[i].key, key) == 0)
			return &events[i];
	return NULL;
}

/* Bytes a set's strings take, terminators included. */
static size_t strset_bytes(const struct strset *set)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++)
		n += set->items[i].len + 1;
	return n;
}

/* Copies a set's strings to *dst, pointing list at them. */
static void strset_copy(char **list, char **dst, const struct collect *c,
	const struct strset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		list[i] = *dst;
		memcpy(*dst, c->a.buf + set->items[i].off, set->items[i].len + 1);
		*dst += set->items[i].len + 1;
	}
}

/* The event in one allocation: the struct, the two lists, the strings
 * (all bounded by the body's size, so the sum cannot overflow). */
static int event_new(struct bitbucket_event **out, enum bitbucket_kind kind,
	const struct collect *c)
{
	/* Too many refs to match on: none, so every subscriber is refreshed. */
	size_t n_refs = c->refs.overflow ? 0 : c->refs.n;
	size_t n_ptrs = c->urls.n + n_refs;
	size_t size = sizeof(**out) + n_ptrs * sizeof(char *) +
		strset_bytes(&c->urls) + (n_refs > 0 ? strset_bytes(&c->refs) : 0);
	struct bitbucket_event *ev = malloc(size);
	char **ptrs, *dst;

	if (ev == NULL)
		return KW_ENOMEM;
	ptrs = (char **)(ev + 1);
	dst = (char *)(ptrs + n_ptrs);
	ev->kind = kind;
	ev->n_urls = c->urls.n;
	ev->urls = ev->n_urls > 0 ? ptrs : NULL;
	ev->n_refs = n_refs;
	ev->refs = n_refs > 0 ? ptrs + ev->n_urls : NULL;
	strset_copy(ptrs, &dst, c, &c->urls);
	if (n_refs > 0)
		strset_copy(ptrs + ev->n_urls, &dst, c, &c->refs);
	*out = ev;
	return KW_OK;
}

static void collect_init(struct collect *c, const char *body)
{
	c->body = (const unsigned char *)body;
	c->a.buf = c->a.small;
	c->a.len = 0;
	c->a.cap = sizeof(c->a.small);
	strset_init(&c->urls, MAX_URLS, 2 * MAX_URLS);
	strset_init(&c->refs, MAX_REFS, 2 * MAX_REFS);
}

static void collect_free(struct collect *c)
{
	if (c->a.buf != c->a.small)
		free(c->a.buf);
	strset_free(&c->urls);
	strset_free(&c->refs);
}

/* ---- the API ---- */

bool bitbucket_event_supported(const char *key)
{
	return find_event(key) != NULL;
}

int bitbucket_parse(struct bitbucket_event **out, const char *event_key,
	const char *body, size_t len, struct kw_err *err)
{
	const struct event_def *def = find_event(event_key);
	struct decoder d;
	struct collect c;
	int rc;

	*out = NULL;
	if (def == NULL)
		return kw_errf(err, KW_EUNSUPPORTED, "event type is not supported");
	decoder_init(&d, body, len, err);
	collect_init(&c, body);
	rc = decode_body(&d, &def->body, body, len);
	if (rc == KW_OK)
		rc = def->extract(&c, &d);
	if (rc == KW_OK)
		rc = event_new(out, def->kind, &c);
	if (rc == KW_ENOMEM)
		kw_errf(err, rc, "out of memory");
	decoder_free(&d);
	collect_free(&c);
	return rc;
}

/* The event and everything it points to are one allocation. */
void bitbucket_event_free(struct bitbucket_event *ev)
{
	free(ev);
}
