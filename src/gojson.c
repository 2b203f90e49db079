/*
 * gojson.c: Go encoding/json's decision on a body, and the strings it
 * would hold (gojson.h).
 */
#include "gojson.h"

#include "kw.h"
#include "utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Go's JSON grammar ---- */

static void jscan_init(struct gojson_scan *js, const char *body, size_t len,
	size_t limit)
{
	js->s = (const unsigned char *)body;
	js->len = len;
	js->pos = js->depth = js->deepest = 0;
	js->limit = limit;
}

static int peek(const struct gojson_scan *js)
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

static void skip_ws(struct gojson_scan *js)
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

/* The four hex digits at s, or -1. */
static long hex4(const unsigned char *s)
{
	long v = 0;

	for (size_t i = 0; i < 4; i++) {
		int d = kw_hex_value(s[i]);

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

static bool scan_escape(struct gojson_scan *js)
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
static void skip_plain(struct gojson_scan *js)
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

static bool scan_string(struct gojson_scan *js)
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

static bool scan_digits(struct gojson_scan *js)
{
	if (peek(js) < '0' || peek(js) > '9')
		return false;
	while (peek(js) >= '0' && peek(js) <= '9')
		js->pos++;
	return true;
}

static bool scan_number(struct gojson_scan *js)
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

static bool scan_word(struct gojson_scan *js, const char *word)
{
	size_t n = strlen(word);

	if (js->len - js->pos < n || memcmp(js->s + js->pos, word, n) != 0)
		return false;
	js->pos += n;
	return true;
}

static bool scan_scalar(struct gojson_scan *js)
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
static bool push_level(struct gojson_scan *js, bool object)
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
static bool pop_level(struct gojson_scan *js, int close)
{
	if (peek(js) != close)
		return false;
	js->pos++;
	js->depth--;
	return true;
}

static bool top_is_object(const struct gojson_scan *js)
{
	size_t i = js->depth - 1;

	return (js->is_object[i / 8] >> (i % 8) & 1) != 0;
}

/* The colon after an object key, and the white space around it. */
static bool scan_colon(struct gojson_scan *js)
{
	skip_ws(js);
	if (peek(js) != ':')
		return false;
	js->pos++;
	skip_ws(js);
	return true;
}

static bool scan_key(struct gojson_scan *js)
{
	return peek(js) == '"' && scan_string(js) && scan_colon(js);
}

/* Begins the value at js->pos: a scalar is scanned whole, a container is
 * opened (closed at once when empty) down to its first member's value. */
static bool begin_value(struct gojson_scan *js)
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
static bool skip_value(struct gojson_scan *js)
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
static bool scan_json(struct gojson_scan *js)
{
	skip_ws(js);
	if (!skip_value(js))
		return false;
	skip_ws(js);
	return js->pos == js->len;
}

/* ---- Go's strings ---- */

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

/* Decodes the string body s[0..n), as the scanner accepted it, to the
 * string Go holds: escapes decoded, each byte of invalid UTF-8 turned into
 * U+FFFD. Writes at most 3 * n bytes to out; returns how many. An escape
 * decodes to valid UTF-8 and never to a continuation byte, so checking raw
 * bytes in place gives what checking the decoded string would. */
size_t gojson_string(unsigned char *out, const unsigned char *s,
	size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t k;

		if (s[i] < 0x80 && s[i] != '\\') {
			out[o++] = s[i++];
		} else if (s[i] == '\\') {
			o += utf8_encode(out + o, escape_rune(s + i, &k));
			i += k;
		} else if ((k = utf8_valid_len(s + i, n - i, NULL)) > 0) {
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
			o += utf8_encode((unsigned char *)key + o, escape_rune(s + i, &k));
		else
			key[o++] = (char)s[i];
		i += k;
	}
	key[o] = '\0';
	return true;
}

/* ---- Go's struct decoding ---- */

/* Where a value sits, for error messages: "push.changes[].new.name". */
struct gojson_path {
	const char *name;
	const struct gojson_path *up;
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

static size_t go_field_index(const struct gojson_field *f, const char *key)
{
	size_t i;

	unsigned char k0 = (unsigned char)key[0];
	/* A name can only match a key starting with its first letter, either
	 * case, or with the lead byte of U+212A or U+017F: most keys of a
	 * large body are none of the struct's, and are dismissed here. */
	bool special = k0 == 0xE2 || k0 == 0xC5;

	for (i = 0; i < f->n_fields; i++)
		if (f->fields[i].name[0] == key[0] && strcmp(f->fields[i].name, key) == 0)
			return i;
	for (i = 0; i < f->n_fields; i++)
		if ((special || ascii_lower(f->fields[i].name[0]) == ascii_lower(k0)) &&
		    go_fold_equal(key, f->fields[i].name))
			return i;
	return f->n_fields;
}

static void path_format(char *buf, size_t size, const struct gojson_path *p)
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
static int bad_syntax(struct gojson_decoder *d)
{
	return kw_errf(d->err, KW_EINVAL, "not valid JSON (near byte %zu)",
		d->js.pos);
}

static int type_error(struct gojson_decoder *d, const struct gojson_path *path,
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

static int decode_null(struct gojson_decoder *d)
{
	return scan_word(&d->js, "null") ? KW_OK : bad_syntax(d);
}

static int decode_struct(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec, const struct gojson_path *path);

static int decode_string(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec, const struct gojson_path *path)
{
	struct gojson_scan *js = &d->js;
	size_t start = js->pos + 1;

	if (peek(js) == 'n')
		return decode_null(d);
	if (peek(js) != '"' && f->kind == GOJSON_ANY_STRING)
		return skip_value(js) ? KW_OK : bad_syntax(d);
	if (peek(js) != '"')
		return type_error(d, path, "a string");
	if (!scan_string(js))
		return bad_syntax(d);
	if (f->slot != GOJSON_NO_SLOT)
		rec[f->slot] = (struct gojson_span){ start, js->pos - 1 - start };
	return KW_OK;
}

/* Go's strconv.ParseInt(s, 10, 64) on a number literal the scanner
 * accepted: no fraction, no exponent, within int64. */
static bool go_int64(const unsigned char *s, size_t n)
{
	static const char max[] = "9223372036854775807";
	size_t digits;

	if (n > 0 && s[0] == '-') {
		s++;
		n--;
	}
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	digits = n;
	if (digits < sizeof(max) - 1)
		return true;
	/* -9223372036854775808 fits too; the one-off is not worth a case. */
	return digits == sizeof(max) - 1 && memcmp(s, max, digits) <= 0;
}

static int decode_int(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec, const struct gojson_path *path)
{
	struct gojson_scan *js = &d->js;
	size_t start = js->pos;
	int c = peek(js);

	if (c == 'n')
		return decode_null(d);
	if (c != '-' && (c < '0' || c > '9'))
		return type_error(d, path, "an integer");
	if (!scan_number(js))
		return bad_syntax(d);
	if (!go_int64(js->s + start, js->pos - start))
		return kw_errf(d->err, KW_EINVAL, "number %.*s does not fit a Go int",
			(int)(js->pos - start > 40 ? 40 : js->pos - start), js->s + start);
	if (f->slot != GOJSON_NO_SLOT)
		rec[f->slot] = (struct gojson_span){ start, js->pos - start };
	return KW_OK;
}

static int decode_bool(struct gojson_decoder *d, const struct gojson_path *path)
{
	struct gojson_scan *js = &d->js;

	if (peek(js) == 'n')
		return decode_null(d);
	if (peek(js) == 't')
		return scan_word(js, "true") ? KW_OK : bad_syntax(d);
	if (peek(js) == 'f')
		return scan_word(js, "false") ? KW_OK : bad_syntax(d);
	return type_error(d, path, "a boolean");
}

static void slice_reset(struct gojson_slice *sl)
{
	sl->n = 0;
	sl->len = 0;
}

/* Adds a zero element of width spans after the sl->n there are. */
static int slice_append(struct gojson_slice *sl, size_t width)
{
	size_t need = (sl->n + 1) * width;

	if (need > sl->cap) {
		size_t cap = 2 * need;
		struct gojson_span *p;

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

static int slice_next(struct gojson_decoder *d, bool *more)
{
	struct gojson_scan *js = &d->js;

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

/*
 * The opening every container shares: a null is read and leaves the value
 * as it was (Go's rule), another type than the bracket's is refused, and
 * the level is entered. *inside says whether elements follow; it is false
 * after a null and after an empty container, which is then read whole.
 */
static int open_level(struct gojson_decoder *d, const struct gojson_path *path,
	bool object, bool *inside)
{
	struct gojson_scan *js = &d->js;

	*inside = false;
	if (peek(js) == 'n')
		return decode_null(d);
	if (peek(js) != (object ? '{' : '['))
		return type_error(d, path, object ? "an object" : "an array");
	if (!push_level(js, object))
		return bad_syntax(d);
	skip_ws(js);
	*inside = !pop_level(js, object ? '}' : ']');
	return KW_OK;
}

/* Go decodes an array into the slice in place: element i is reused, merged
 * into, and only then is the length cut to the array's. */
static int decode_slice(struct gojson_decoder *d, const struct gojson_field *f,
	const struct gojson_path *path)
{
	struct gojson_slice *sl = &d->slices[f->slot];
	struct gojson_path here = { "[]", path };
	bool more;
	size_t i = 0;
	int rc = open_level(d, path, false, &more);

	if (rc == KW_OK && !more) /* null or [] */
		slice_reset(sl);
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

/* A []string whose strings are appended to slices[f->slot]. */
static int decode_strings(struct gojson_decoder *d, const struct gojson_field *f,
	const struct gojson_path *path)
{
	struct gojson_slice *sl = f->slot == GOJSON_NO_SLOT ? NULL : &d->slices[f->slot];
	struct gojson_path here = { "[]", path };
	struct gojson_field elem = { f->name, GOJSON_STRING, NULL, 0, 0, 0 };
	struct gojson_span unused;
	bool more;
	int rc = open_level(d, path, false, &more);

	if (rc == KW_OK && sl != NULL && f->width == 1) /* its own: replaced */
		slice_reset(sl);
	if (rc != KW_OK || !more)
		return rc;
	while (rc == KW_OK && more) {
		if (sl != NULL)
			rc = slice_append(sl, 1);
		if (rc == KW_OK)
			rc = decode_string(d, &elem, sl ? sl->elems + sl->n - 1 : &unused, &here);
		if (rc == KW_OK)
			rc = slice_next(d, &more);
	}
	if (sl != NULL)
		sl->len = sl->n;
	return rc;
}

/* A null makes a pointer nil: every string f's struct noted is zero
 * again, every slice empty. */
static void forget(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec)
{
	for (size_t i = 0; i < f->n_fields; i++) {
		const struct gojson_field *g = &f->fields[i];

		if (g->kind == GOJSON_SLICE || g->kind == GOJSON_STRINGS) {
			if (g->slot != GOJSON_NO_SLOT)
				slice_reset(&d->slices[g->slot]);
			continue;
		}
		if (g->slot != GOJSON_NO_SLOT)
			rec[g->slot] = (struct gojson_span){ 0, 0 };
		if (g->kind == GOJSON_STRUCT || g->kind == GOJSON_ANY_STRUCT)
			forget(d, g, rec);
	}
}

/* GOJSON_F_PTR: set by an object, nil again at a null. */
static void note_pointer(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec)
{
	if (peek(&d->js) == '{') {
		rec[f->slot] = (struct gojson_span){ d->js.pos, 0 };
	} else if (peek(&d->js) == 'n') {
		rec[f->slot] = (struct gojson_span){ 0, 0 };
		forget(d, f, rec);
	}
}

static int decode_value(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec, const struct gojson_path *path)
{
	switch (f->kind) {
	case GOJSON_STRING:
	case GOJSON_ANY_STRING:
		return decode_string(d, f, rec, path);
	case GOJSON_STRUCT:
		if (f->slot != GOJSON_NO_SLOT)
			note_pointer(d, f, rec);
		return decode_struct(d, f, rec, path);
	case GOJSON_ANY_STRUCT:
		/* a map's value: a repeated key decodes a fresh any, so what
		 * an earlier value noted goes, whatever this one is */
		forget(d, f, rec);
		if (peek(&d->js) == '{')
			return decode_struct(d, f, rec, path);
		return skip_value(&d->js) ? KW_OK : bad_syntax(d);
	case GOJSON_SLICE:
		return decode_slice(d, f, path);
	case GOJSON_INT:
		return decode_int(d, f, rec, path);
	case GOJSON_BOOL:
		return decode_bool(d, path);
	case GOJSON_STRINGS:
		return decode_strings(d, f, path);
	}
	return KW_EINVAL;
}

/* One "key": value of an object of f's struct. */
static int decode_member(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec, const struct gojson_path *path)
{
	struct gojson_scan *js = &d->js;
	size_t start = js->pos + 1, i = f->n_fields;
	char key[48]; /* a field name is 12 bytes at most, 36 folded */
	struct gojson_path here;

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
static int decode_struct(struct gojson_decoder *d, const struct gojson_field *f,
	struct gojson_span *rec, const struct gojson_path *path)
{
	struct gojson_scan *js = &d->js;
	bool inside;
	int rc = open_level(d, path, true, &inside);

	if (rc != KW_OK || !inside)
		return rc;
	for (;;) {
		rc = decode_member(d, f, rec, path);
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

void gojson_init(struct gojson_decoder *d, const char *body, size_t len,
	struct kw_err *err)
{
	memset(d->root, 0, sizeof(d->root));
	for (size_t i = 0; i < GOJSON_MAX_SLICES; i++) {
		d->slices[i].elems = d->slices[i].small;
		d->slices[i].cap = GOJSON_SMALL_SPANS;
		slice_reset(&d->slices[i]);
	}
	jscan_init(&d->js, body, len, GOJSON_MAX_DEPTH);
	d->err = err;
}

void gojson_free(struct gojson_decoder *d)
{
	for (size_t i = 0; i < GOJSON_MAX_SLICES; i++)
		if (d->slices[i].elems != d->slices[i].small)
			free(d->slices[i].elems);
}

/* The message for a refused body: the grammar and the nesting come
 * before the types, as they would if the body were parsed first. */
static void explain_refusal(struct gojson_decoder *d, const char *body, size_t len)
{
	jscan_init(&d->js, body, len, GOJSON_GO_MAX_DEPTH);
	if (!scan_json(&d->js))
		kw_errf(d->err, KW_EINVAL, "not valid JSON (near byte %zu)", d->js.pos);
	else if (d->js.deepest > GOJSON_MAX_DEPTH)
		kw_errf(d->err, KW_EINVAL, "JSON nested deeper than %d levels",
			GOJSON_MAX_DEPTH);
}

int gojson_decode(struct gojson_decoder *d, const struct gojson_field *body_field,
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
