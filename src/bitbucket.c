/*
 * bitbucket.c: a Bitbucket webhook body turned into the repository URLs and
 * refs the receiver acts on (SPEC.md 4.6-4.8). Kargo v1.11
 * (pkg/webhook/external/bitbucket.go) decodes each event with Go's
 * encoding/json into a small struct of its own, and whether a body earns
 * 400 "invalid request body" is whatever json.Unmarshal decides. This file
 * reproduces that decision, then reads the same fields Kargo reads.
 *
 * How far Go is mirrored (the decision), and why:
 *  - Syntax is Go's, not cJSON's. cJSON alone accepts what Go refuses
 *    (leading zeros, "1.", raw control characters in strings, a byte order
 *    mark, \f or \v as white space), so a strict scan after Go's checkValid
 *    runs first, nesting limit (10000) included; cJSON then builds the tree.
 *  - Types are Go's for every field of Kargo's structs, read or not: the
 *    unused actor.name and actor.emailAddress are checked too, because a
 *    number there makes Kargo answer 400. A value of the wrong JSON type is
 *    KW_EINVAL, null leaves a value as it is (a slice becomes empty), and
 *    keys no struct declares are ignored, whatever they hold.
 *  - Keys match fields the way encoding/json matches them: exactly, or
 *    under Unicode case folding ("Links", "LINKS"; U+212A and U+017F fold
 *    onto k and s). Repeated keys are applied in order onto one value, as
 *    Go does: the last string wins, objects merge, and an array decodes
 *    into the slice already there (elements past its end are kept for a
 *    later, longer array, until a null or [] resets the slice).
 *  - repository.full_name, read only for the [beyond] SSH form, is not in
 *    Kargo's struct, so a non-string there is ignored rather than refused.
 *  - Strings come out as Go holds them: invalid UTF-8 becomes U+FFFD and so
 *    does an unpaired surrogate escape (cJSON would refuse the body). A
 *    "\u0000" escape, which a C string cannot hold, is read as U+0001: URL
 *    normalization drops both and neither can spell a field name.
 *  - Known deviation: cJSON refuses nesting deeper than CJSON_NESTING_LIMIT
 *    (1000) where Go allows 10000; such a body is KW_EINVAL here.
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
#include "strbuf.h"
#include "urlnorm.h"

#include <cjson/cJSON.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_URLS 1024
#define MAX_REFS 4096
#define GO_MAX_DEPTH 10000 /* encoding/json's scanner maxNestingDepth */

/* ---- Go's JSON grammar ---- */

struct jscan {
	const unsigned char *s;
	unsigned char *w; /* s itself, writable, on the patching pass */
	size_t len, pos, depth;
	bool patch_needed;
	unsigned char is_object[(GO_MAX_DEPTH + 7) / 8]; /* bit per open level */
};

static int peek(const struct jscan *js)
{
	return js->pos < js->len ? js->s[js->pos] : -1;
}

static bool is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(struct jscan *js)
{
	while (is_ws(peek(js)))
		js->pos++;
}

static bool hex4(const struct jscan *js, size_t at, unsigned *cp)
{
	unsigned v = 0;

	if (at > js->len || js->len - at < 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		unsigned char c = js->s[at + i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v << 4 | (unsigned)((c | 0x20) - 'a' + 10);
		else
			return false;
	}
	*cp = v;
	return true;
}

/* Rewrites the \u escape at `at` to \u<hex>, same length, on the patching
 * pass; the first pass only notes that a patched copy is needed. */
static void patch(struct jscan *js, size_t at, const char *hex)
{
	js->patch_needed = true;
	if (js->w != NULL)
		memcpy(js->w + at + 2, hex, 4);
}

/* The escape at js->pos. Go turns an unpaired surrogate into U+FFFD where
 * cJSON fails, and keeps U+0000 where cJSON ends the string: both get
 * patched (see the top of the file). */
static bool scan_escape(struct jscan *js)
{
	size_t at = js->pos;
	unsigned cp, lo;

	if (at + 1 >= js->len)
		return false;
	if (js->s[at + 1] != '\0' && strchr("\"\\/bfnrt", js->s[at + 1]) != NULL) {
		js->pos = at + 2;
		return true;
	}
	if (js->s[at + 1] != 'u' || !hex4(js, at + 2, &cp))
		return false;
	js->pos = at + 6;
	if (cp >= 0xD800 && cp <= 0xDBFF && peek(js) == '\\' &&
		js->pos + 1 < js->len && js->s[js->pos + 1] == 'u' &&
		hex4(js, js->pos + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
		js->pos += 6; /* a pair, which both read alike */
		return true;
	}
	if (cp == 0)
		patch(js, at, "0001");
	else if (cp >= 0xD800 && cp <= 0xDFFF)
		patch(js, at, "fffd");
	return true;
}

static bool scan_string(struct jscan *js)
{
	js->pos++;
	while (js->pos < js->len) {
		unsigned char c = js->s[js->pos];

		if (c == '"') {
			js->pos++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c != '\\')
			js->pos++;
		else if (!scan_escape(js))
			return false;
	}
	return false;
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

static bool push_level(struct jscan *js, bool object)
{
	unsigned char bit = (unsigned char)(1u << (js->depth % 8));

	if (js->depth == GO_MAX_DEPTH)
		return false;
	if (object)
		js->is_object[js->depth / 8] |= bit;
	else
		js->is_object[js->depth / 8] &= (unsigned char)~bit;
	js->depth++;
	js->pos++;
	return true;
}

static bool top_is_object(const struct jscan *js)
{
	size_t i = js->depth - 1;

	return (js->is_object[i / 8] >> (i % 8) & 1) != 0;
}

/* An object key with its colon, up to the member's value. */
static bool scan_key(struct jscan *js)
{
	if (peek(js) != '"' || !scan_string(js))
		return false;
	skip_ws(js);
	if (peek(js) != ':')
		return false;
	js->pos++;
	skip_ws(js);
	return true;
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
		if (peek(js) == (c == '{' ? '}' : ']')) {
			js->pos++;
			js->depth--;
			return true;
		}
		if (c == '{' && !scan_key(js))
			return false;
	}
}

/* One JSON value with white space around it, nothing else (Go's
 * checkValid); iterative, so nesting costs no stack. */
static bool scan_json(struct jscan *js)
{
	skip_ws(js);
	if (!begin_value(js))
		return false;
	for (;;) {
		bool object;

		skip_ws(js);
		if (js->depth == 0)
			return js->pos == js->len;
		object = top_is_object(js);
		if (peek(js) == (object ? '}' : ']')) {
			js->pos++;
			js->depth--;
			continue;
		}
		if (peek(js) != ',')
			return false;
		js->pos++;
		skip_ws(js);
		if ((object && !scan_key(js)) || !begin_value(js))
			return false;
	}
}

/* Checks body against Go's grammar. *patched is NULL when cJSON reads the
 * body as Go does, else a patched copy to parse instead (caller frees). */
static int check_syntax(char **patched, const char *body, size_t len,
	struct kw_err *err)
{
	struct jscan *js = calloc(1, sizeof(*js));
	int rc = KW_OK;

	*patched = NULL;
	if (js == NULL)
		return KW_ENOMEM;
	js->s = (const unsigned char *)body;
	js->len = len;
	if (!scan_json(js)) {
		rc = kw_errf(err, KW_EINVAL, "not valid JSON (near byte %zu)", js->pos);
	} else if (js->patch_needed) {
		*patched = malloc(len);
		if (*patched == NULL) {
			rc = KW_ENOMEM;
		} else {
			memcpy(*patched, body, len);
			memset(js, 0, sizeof(*js));
			js->s = js->w = (unsigned char *)*patched;
			js->len = len;
			(void)scan_json(js); /* succeeds: same bytes as before */
		}
	}
	free(js);
	return rc;
}

static int parse_json(cJSON **out, char **patched, const char *body,
	size_t len, struct kw_err *err)
{
	const char *text, *end = NULL;
	int rc = check_syntax(patched, body, len, err);

	*out = NULL;
	if (rc != KW_OK)
		return rc;
	text = *patched != NULL ? *patched : body;
	*out = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (*out == NULL)
		return kw_errf(err, KW_EINVAL,
			"JSON nested deeper than %d levels, or out of memory",
			CJSON_NESTING_LIMIT);
	while (end < text + len && is_ws((unsigned char)*end))
		end++;
	if (end != text + len)
		return kw_errf(err, KW_EINVAL, "trailing data after the JSON value");
	return KW_OK;
}

/* ---- Go's struct decoding ---- */

enum go_kind {
	GO_STRING,     /* a Go string: JSON string or null */
	GO_STRUCT,     /* a Go struct: JSON object or null */
	GO_SLICE,      /* a Go slice of structs: JSON array or null */
	GO_ANY_STRING, /* not in Kargo's struct: read when a string, else ignored */
};

struct go_field {
	const char *name;              /* the json tag */
	enum go_kind kind;
	const struct go_field *fields; /* GO_STRUCT, GO_SLICE: the struct's */
	size_t n_fields;
};

struct go_value {
	const char *str;      /* string kinds: borrowed from the tree; NULL is "" */
	struct go_value *sub; /* GO_STRUCT: one per field, NULL while untouched;
	                         GO_SLICE: cap elements, each a struct */
	size_t len, cap;      /* GO_SLICE */
};

/* Where a value sits, for error messages: "push.changes[].new.name". */
struct go_path {
	const char *name;
	const struct go_path *up;
};

static void go_free_slice(const struct go_field *f, struct go_value *v);

static void go_free_struct(const struct go_field *f, struct go_value *v)
{
	if (v->sub == NULL)
		return;
	for (size_t i = 0; i < f->n_fields; i++) {
		if (f->fields[i].kind == GO_STRUCT)
			go_free_struct(&f->fields[i], &v->sub[i]);
		else if (f->fields[i].kind == GO_SLICE)
			go_free_slice(&f->fields[i], &v->sub[i]);
	}
	free(v->sub);
	v->sub = NULL;
}

/* Also what Go's nil or fresh empty slice amounts to: no old elements. */
static void go_free_slice(const struct go_field *f, struct go_value *v)
{
	for (size_t i = 0; i < v->cap; i++)
		go_free_struct(f, &v->sub[i]);
	free(v->sub);
	memset(v, 0, sizeof(*v));
}

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

	if (key == NULL)
		return f->n_fields;
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

static const char *json_type(const cJSON *j)
{
	if (cJSON_IsObject(j))
		return "an object";
	if (cJSON_IsArray(j))
		return "an array";
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	return "a boolean";
}

static int type_error(const struct go_path *path, const cJSON *j,
	const char *want, struct kw_err *err)
{
	char where[256];

	path_format(where, sizeof(where), path);
	return kw_errf(err, KW_EINVAL, "%s: %s where Kargo decodes %s",
		where[0] != '\0' ? where : "body", json_type(j), want);
}

static int go_decode(const struct go_field *f, struct go_value *v,
	const cJSON *j, const struct go_path *path, struct kw_err *err);

static int go_decode_struct(const struct go_field *f, struct go_value *v,
	const cJSON *j, const struct go_path *path, struct kw_err *err)
{
	const cJSON *member;

	if (cJSON_IsNull(j))
		return KW_OK;
	if (!cJSON_IsObject(j))
		return type_error(path, j, "an object", err);
	cJSON_ArrayForEach(member, j) {
		size_t i = go_field_index(f, member->string);
		struct go_path here = { NULL, path };
		int rc;

		if (i == f->n_fields)
			continue; /* a key Kargo does not declare */
		/* Allocated on the first declared key: "{}" costs nothing. */
		if (v->sub == NULL && (v->sub = calloc(f->n_fields, sizeof(*v->sub))) == NULL)
			return KW_ENOMEM;
		here.name = f->fields[i].name;
		rc = go_decode(&f->fields[i], &v->sub[i], member, &here, err);
		if (rc != KW_OK)
			return rc;
	}
	return KW_OK;
}

static int go_grow(struct go_value *v)
{
	size_t cap = v->cap ? v->cap * 2 : 4;
	struct go_value *p;

	if (cap > SIZE_MAX / sizeof(*p))
		return KW_ENOMEM;
	p = realloc(v->sub, cap * sizeof(*p));
	if (p == NULL)
		return KW_ENOMEM;
	memset(p + v->cap, 0, (cap - v->cap) * sizeof(*p));
	v->sub = p;
	v->cap = cap;
	return KW_OK;
}

/* Go decodes an array into the slice in place: element i is reused, merged
 * into, and only then is the length cut to the array's. */
static int go_decode_slice(const struct go_field *f, struct go_value *v,
	const cJSON *j, const struct go_path *path, struct kw_err *err)
{
	struct go_path here = { "[]", path };
	const cJSON *elem;
	size_t i = 0;

	if (cJSON_IsNull(j)) {
		go_free_slice(f, v);
		return KW_OK;
	}
	if (!cJSON_IsArray(j))
		return type_error(path, j, "an array", err);
	cJSON_ArrayForEach(elem, j) {
		int rc = i == v->cap ? go_grow(v) : KW_OK;

		if (rc == KW_OK)
			rc = go_decode_struct(f, &v->sub[i], elem, &here, err);
		if (rc != KW_OK)
			return rc;
		if (++i > v->len)
			v->len = i;
	}
	if (i == 0)
		go_free_slice(f, v);
	else
		v->len = i;
	return KW_OK;
}

static int go_decode(const struct go_field *f, struct go_value *v,
	const cJSON *j, const struct go_path *path, struct kw_err *err)
{
	switch (f->kind) {
	case GO_STRING:
		if (cJSON_IsString(j))
			v->str = j->valuestring;
		else if (!cJSON_IsNull(j))
			return type_error(path, j, "a string", err);
		return KW_OK;
	case GO_ANY_STRING:
		if (cJSON_IsString(j))
			v->str = j->valuestring;
		return KW_OK;
	case GO_STRUCT:
		return go_decode_struct(f, v, j, path, err);
	case GO_SLICE:
		return go_decode_slice(f, v, j, path, err);
	}
	return KW_EINVAL;
}

/* A decoded value and its type, for walking the result. */
struct go_ref {
	const struct go_field *f;
	const struct go_value *v;
};

static const struct go_value go_zero;

/* The value at a dotted path of fields below r (this file's literals);
 * all-zero when a step was never decoded or is not a field. */
static struct go_ref go_at(struct go_ref r, const char *path)
{
	while (*path != '\0') {
		size_t n = strcspn(path, ".");
		size_t i = 0;

		while (i < r.f->n_fields && (strlen(r.f->fields[i].name) != n ||
			memcmp(r.f->fields[i].name, path, n) != 0))
			i++;
		if (i == r.f->n_fields || r.v->sub == NULL) {
			r.v = &go_zero;
			return r;
		}
		r.v = &r.v->sub[i];
		r.f = &r.f->fields[i];
		path += n + (path[n] == '.');
	}
	return r;
}

static struct go_ref go_elem(struct go_ref slice, size_t i)
{
	struct go_ref r = { slice.f, &slice.v->sub[i] };

	return r;
}

static const char *go_str(struct go_ref r)
{
	return r.v->str != NULL ? r.v->str : "";
}

/* ---- Kargo's structs (pkg/webhook/external/bitbucket.go) ---- */

#define STR(n) { (n), GO_STRING, NULL, 0 }
#define ANY_STR(n) { (n), GO_ANY_STRING, NULL, 0 }
#define OBJ(n, f) { (n), GO_STRUCT, (f), KW_ARRAY_LEN(f) }
#define LIST(n, f) { (n), GO_SLICE, (f), KW_ARRAY_LEN(f) }

static const struct go_field href_fields[] = { STR("href") };
static const struct go_field actor_fields[] = { STR("name"), STR("emailAddress") };

/* repo:push: bitbucketPushEventBody */
static const struct go_field push_new_fields[] = { STR("type"), STR("name") };
static const struct go_field push_change_fields[] = { OBJ("new", push_new_fields) };
static const struct go_field push_fields[] = { LIST("changes", push_change_fields) };
static const struct go_field html_links_fields[] = { OBJ("html", href_fields) };
static const struct go_field cloud_repo_fields[] = {
	OBJ("links", html_links_fields), ANY_STR("full_name"),
};
static const struct go_field push_body_fields[] = {
	OBJ("actor", actor_fields), OBJ("push", push_fields),
	OBJ("repository", cloud_repo_fields),
};

/* repo:refs_changed: bitbucketRefsChangedEventBody */
static const struct go_field ref_fields[] = { STR("id") };
static const struct go_field server_change_fields[] = { OBJ("ref", ref_fields) };
static const struct go_field clone_links_fields[] = { LIST("clone", href_fields) };
static const struct go_field server_repo_fields[] = { OBJ("links", clone_links_fields) };
static const struct go_field refs_changed_body_fields[] = {
	OBJ("actor", actor_fields), LIST("changes", server_change_fields),
	OBJ("repository", server_repo_fields),
};

/* pullrequest:fulfilled, :rejected: handlePRFulfilledEvent's payload */
static const struct go_field cloud_pr_fields[] = { OBJ("links", html_links_fields) };
static const struct go_field cloud_pr_body_fields[] = {
	OBJ("pullrequest", cloud_pr_fields),
};

/* pr:merged, pr:declined: handlePRMergedEvent's payload */
static const struct go_field self_links_fields[] = { LIST("self", href_fields) };
static const struct go_field server_pr_fields[] = { OBJ("links", self_links_fields) };
static const struct go_field server_pr_body_fields[] = {
	OBJ("pullRequest", server_pr_fields),
};

/* ---- the result ---- */

/* Distinct non-empty strings in insertion order, at most max of them. */
struct strset {
	char **items;
	size_t n, cap, max;
	uint32_t *slots; /* open addressing: index into items + 1, 0 when free */
	size_t n_slots;  /* a power of two, at least 2 * max */
	bool overflow;   /* a distinct string beyond max was seen */
};

struct collect {
	struct strset urls, refs;
};

static void strset_init(struct strset *set, size_t max, size_t n_slots)
{
	memset(set, 0, sizeof(*set));
	set->max = max;
	set->n_slots = n_slots;
}

static void strset_free(struct strset *set)
{
	for (size_t i = 0; i < set->n; i++)
		free(set->items[i]);
	free(set->items);
	free(set->slots);
	set->items = NULL;
	set->slots = NULL;
	set->n = 0;
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Whether s is in the set; *slot is where it is, or where it would go. The
 * table is at most half full, so the probe ends. */
static bool strset_find(const struct strset *set, const char *s, size_t *slot)
{
	size_t mask = set->n_slots - 1, i;

	for (i = hash_str(s) & mask; set->slots[i] != 0; i = (i + 1) & mask)
		if (strcmp(set->items[set->slots[i] - 1], s) == 0)
			break;
	*slot = i;
	return set->slots[i] != 0;
}

static int strset_reserve(struct strset *set)
{
	size_t cap = set->cap ? set->cap * 2 : 4;
	char **p;

	if (set->n < set->cap)
		return KW_OK;
	p = realloc(set->items, cap * sizeof(*p));
	if (p == NULL)
		return KW_ENOMEM;
	set->items = p;
	set->cap = cap;
	return KW_OK;
}

/* Takes s (NULL after a failed allocation): kept, or freed when empty (as
 * Kargo's refreshWarehouses drops empty URLs and refs), already there, or
 * beyond max. */
static int strset_add(struct strset *set, char *s)
{
	size_t slot;
	int rc = KW_OK;

	if (s == NULL)
		return KW_ENOMEM;
	if (set->slots == NULL &&
		(set->slots = calloc(set->n_slots, sizeof(*set->slots))) == NULL)
		rc = KW_ENOMEM;
	else if (s[0] == '\0' || strset_find(set, s, &slot))
		rc = KW_OK;
	else if (set->n == set->max)
		set->overflow = true;
	else if ((rc = strset_reserve(set)) == KW_OK) {
		set->items[set->n++] = s;
		set->slots[slot] = (uint32_t)set->n;
		return KW_OK;
	}
	free(s);
	return rc;
}

/* Length of the valid UTF-8 sequence at s, 0 when invalid (Go's
 * utf8.DecodeRune: no overlong forms, surrogates or values past U+10FFFF). */
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

/* prefix + s as Go holds s: each byte of invalid UTF-8 becomes U+FFFD. */
static int go_string(char **out, const char *prefix, const char *s)
{
	size_t plen = strlen(prefix), slen = strlen(s);
	struct strbuf sb;
	int rc;

	*out = NULL;
	if (slen > (SIZE_MAX - plen) / 3)
		return KW_ENOMEM;
	strbuf_init(&sb, plen + 3 * slen);
	rc = strbuf_append(&sb, prefix, plen);
	while (rc == KW_OK && *s != '\0') {
		size_t n = utf8_len((const unsigned char *)s);

		rc = n > 0 ? strbuf_append(&sb, s, n) : strbuf_append(&sb, "\xEF\xBF\xBD", 3);
		s += n > 0 ? n : 1;
	}
	if (rc == KW_OK && (*out = strbuf_take(&sb)) == NULL)
		rc = KW_ENOMEM;
	strbuf_free(&sb);
	return rc;
}

static int normalize(char **out, const char *raw)
{
	char *s;
	int rc = go_string(&s, "", raw);

	*out = NULL;
	if (rc == KW_OK)
		rc = urlnorm_git(out, s, strlen(s));
	free(s);
	return rc;
}

static int add_url(struct collect *c, const char *raw, bool normalized)
{
	char *s = NULL;
	int rc = normalized ? normalize(&s, raw) : go_string(&s, "", raw);

	return rc != KW_OK ? rc : strset_add(&c->urls, s);
}

static int add_ref(struct collect *c, const char *prefix, const char *raw)
{
	char *s = NULL;
	int rc = go_string(&s, prefix, raw);

	return rc != KW_OK ? rc : strset_add(&c->refs, s);
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
static int ssh_url(char **out, const char *href, const char *full_name)
{
	static const char scheme[] = "ssh://git@";
	const char *host;
	size_t host_len;
	char *name = NULL;
	struct strbuf sb;
	int rc;

	*out = NULL;
	if (*full_name == '\0' || !http_host(href, &host, &host_len))
		return KW_OK;
	rc = go_string(&name, "", full_name);
	if (rc != KW_OK)
		return rc;
	/* Both parts come from the body, which bounds them. */
	strbuf_init(&sb, sizeof(scheme) + host_len + 1 + strlen(name));
	rc = strbuf_puts(&sb, scheme);
	if (rc == KW_OK)
		rc = strbuf_append(&sb, host, host_len);
	if (rc == KW_OK)
		rc = strbuf_puts(&sb, "/");
	if (rc == KW_OK)
		rc = strbuf_puts(&sb, name);
	if (rc == KW_OK)
		rc = urlnorm_git(out, sb.buf, sb.len);
	strbuf_free(&sb);
	free(name);
	return rc;
}

static int push_urls(struct collect *c, struct go_ref body)
{
	char *href = NULL, *ssh = NULL;
	int rc = normalize(&href, go_str(go_at(body, "repository.links.html.href")));

	if (rc == KW_OK)
		rc = ssh_url(&ssh, href, go_str(go_at(body, "repository.full_name")));
	if (rc == KW_OK) {
		rc = strset_add(&c->urls, href);
		href = NULL;
	}
	if (rc == KW_OK && ssh != NULL) {
		rc = strset_add(&c->urls, ssh);
		ssh = NULL;
	}
	free(href);
	free(ssh);
	return rc;
}

static int extract_push(struct collect *c, struct go_ref body)
{
	struct go_ref changes = go_at(body, "push.changes");
	int rc = push_urls(c, body);

	for (size_t i = 0; rc == KW_OK && i < changes.v->len; i++) {
		struct go_ref change = go_elem(changes, i);
		const char *type = go_str(go_at(change, "new.type"));
		const char *name = go_str(go_at(change, "new.name"));

		/* Kargo skips an empty name: "new" is null for a deletion. */
		if (*name != '\0')
			rc = add_ref(c, strcmp(type, "tag") == 0 ? "refs/tags/" :
				"refs/heads/", name);
	}
	return rc;
}

static int extract_refs_changed(struct collect *c, struct go_ref body)
{
	struct go_ref clone = go_at(body, "repository.links.clone");
	struct go_ref changes = go_at(body, "changes");
	int rc = KW_OK;

	for (size_t i = 0; rc == KW_OK && i < clone.v->len; i++)
		rc = add_url(c, go_str(go_at(go_elem(clone, i), "href")), true);
	for (size_t i = 0; rc == KW_OK && i < changes.v->len; i++)
		rc = add_ref(c, "", go_str(go_at(go_elem(changes, i), "ref.id")));
	return rc;
}

static int extract_cloud_pr(struct collect *c, struct go_ref body)
{
	return add_url(c, go_str(go_at(body, "pullrequest.links.html.href")), false);
}

static int extract_server_pr(struct collect *c, struct go_ref body)
{
	struct go_ref self = go_at(body, "pullRequest.links.self");

	if (self.v->len == 0)
		return KW_OK;
	return add_url(c, go_str(go_at(go_elem(self, 0), "href")), false);
}

struct event_def {
	const char *key;
	enum bitbucket_kind kind;
	struct go_field body;
	int (*extract)(struct collect *c, struct go_ref body);
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

static int event_new(struct bitbucket_event **out, enum bitbucket_kind kind,
	struct collect *c)
{
	struct bitbucket_event *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return KW_ENOMEM;
	ev->kind = kind;
	ev->urls = c->urls.items;
	ev->n_urls = c->urls.n;
	c->urls.items = NULL;
	c->urls.n = 0;
	/* Too many refs to match on: none, so every subscriber is refreshed. */
	if (!c->refs.overflow) {
		ev->refs = c->refs.items;
		ev->n_refs = c->refs.n;
		c->refs.items = NULL;
		c->refs.n = 0;
	}
	*out = ev;
	return KW_OK;
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
	struct go_value root = { NULL, NULL, 0, 0 };
	struct go_ref ref;
	struct collect c;
	char *patched = NULL;
	cJSON *json = NULL;
	int rc;

	*out = NULL;
	if (def == NULL)
		return kw_errf(err, KW_EUNSUPPORTED, "event type is not supported");
	strset_init(&c.urls, MAX_URLS, 2 * MAX_URLS);
	strset_init(&c.refs, MAX_REFS, 2 * MAX_REFS);
	rc = parse_json(&json, &patched, body, len, err);
	if (rc == KW_OK)
		rc = go_decode(&def->body, &root, json, NULL, err);
	ref.f = &def->body;
	ref.v = &root;
	if (rc == KW_OK)
		rc = def->extract(&c, ref);
	if (rc == KW_OK)
		rc = event_new(out, def->kind, &c);
	if (rc == KW_ENOMEM)
		kw_errf(err, rc, "out of memory");
	go_free_struct(&def->body, &root);
	cJSON_Delete(json);
	free(patched);
	strset_free(&c.urls);
	strset_free(&c.refs);
	return rc;
}

void bitbucket_event_free(struct bitbucket_event *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->n_urls; i++)
		free(ev->urls[i]);
	for (size_t i = 0; i < ev->n_refs; i++)
		free(ev->refs[i]);
	free(ev->urls);
	free(ev->refs);
	free(ev);
}
