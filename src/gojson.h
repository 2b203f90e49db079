/*
 * gojson.h: a JSON body decoded the way Go's encoding/json decodes it into
 * a struct, for receivers whose answer (400 or not) is whatever
 * json.Unmarshal decides in Kargo. A receiver kind describes the struct it
 * mirrors as a table of gojson_field; one pass over the body checks Go's
 * grammar and types and notes where each string of interest lies (a span),
 * without building a tree. The receiver then decodes only the strings it
 * keeps with gojson_string(). Pure: no I/O, no globals.
 *
 * How far Go is mirrored, and why:
 *  - Syntax is Go's (checkValid): no leading zeros, no "1.", no raw
 *    control characters in strings, no byte order mark, no \f or \v as
 *    white space, one value and nothing after it.
 *  - Types are Go's for every field of the table, read or not (a field
 *    with GOJSON_NO_SLOT is type-checked only). A value of the wrong JSON
 *    type is KW_EINVAL, null leaves a value as it is (a slice becomes
 *    empty), and keys no struct declares are skipped, whatever they hold.
 *  - Keys match fields the way encoding/json matches them: exactly, or
 *    under Unicode case folding ("Links", "LINKS"; U+212A and U+017F fold
 *    onto k and s). Repeated keys are applied in order onto one value, as
 *    Go does: the last string wins, objects merge, and an array decodes
 *    into the slice already there (elements past its end are kept for a
 *    later, longer array, until a null or [] resets the slice).
 *  - GOJSON_ANY_STRING is for a field outside the mirrored struct: read
 *    when it is a string, ignored otherwise.
 *  - GOJSON_STRINGS collects: the strings of every array at that field
 *    (say commits[].added) go to one list, where Go would keep one slice
 *    per value and replace it on a repeated key. Callers that read it
 *    (changed paths) take the union, which only ever widens what is
 *    refreshed.
 *  - Strings come out as Go holds them: invalid UTF-8 becomes U+FFFD and so
 *    does an unpaired surrogate escape. A "\u0000" escape, which a C string
 *    cannot hold, is read as U+0001.
 *  - Known deviation: nesting deeper than GOJSON_MAX_DEPTH (1000) is
 *    KW_EINVAL where Go allows 10000; a body that breaks Go's own limit or
 *    grammar is still reported as not valid JSON.
 * A body that fails is checked once more by the plain grammar pass, so the
 * message names the first problem in the order Go would find it.
 */
#ifndef GOJSON_H
#define GOJSON_H

#include <stdbool.h>
#include <stddef.h>

struct kw_err;

#define GOJSON_GO_MAX_DEPTH 10000 /* encoding/json's scanner maxNestingDepth */
#define GOJSON_MAX_DEPTH 1000     /* ours; see above */

/* The grammar scanner's state (inside the decoder). */
struct gojson_scan {
	const unsigned char *s;
	size_t len, pos;
	size_t depth, limit, deepest;
	unsigned char is_object[(GOJSON_GO_MAX_DEPTH + 7) / 8]; /* bit per open level */
};

enum gojson_kind {
	GOJSON_STRING,     /* a Go string: JSON string or null */
	GOJSON_STRUCT,     /* a Go struct: JSON object or null; with a slot, a
	                      pointer to one (GOJSON_F_PTR) */
	GOJSON_SLICE,      /* a Go slice of structs: JSON array or null */
	GOJSON_ANY_STRING, /* not in Kargo's struct: read when a string, else ignored */
	GOJSON_ANY_STRUCT, /* an any (a map[string]any's value): read as the struct
	                      when an object, else ignored; a repeated key
	                      forgets what the earlier value noted */
	GOJSON_INT,        /* a Go int/int64: an integer literal in range, or null;
	                      its text is noted like a string's */
	GOJSON_BOOL,       /* a Go bool: true, false or null (type-checked only) */
	GOJSON_STRINGS,    /* a Go []string: an array of strings, or null; every
	                      string is appended to slices[slot] (width 1), across
	                      all the values that hold it (see below) */
};

#define GOJSON_NO_SLOT (-1) /* a string that is type-checked but never read */

struct gojson_field {
	const char *name;              /* the json tag */
	enum gojson_kind kind;
	const struct gojson_field *fields; /* GOJSON_STRUCT, GOJSON_SLICE: the struct's */
	size_t n_fields;
	/* String kinds: where the value is noted in the record (the body's, or
	 * a slice element's), or GOJSON_NO_SLOT. GOJSON_SLICE: which slice. */
	int slot;
	size_t width; /* GOJSON_SLICE: the strings noted per element;
	               * GOJSON_STRINGS: 1 when the slice is the field's own */
};

/* A string value in the body, between its quotes, still escaped. */
struct gojson_span {
	size_t off; /* 0 while never set: no string starts at byte 0 */
	size_t len;
};

#define GOJSON_MAX_SLOTS 8  /* strings noted per record (artifactory needs 7) */
#define GOJSON_MAX_SLICES 4 /* slices per body */
#define GOJSON_SMALL_SPANS 8

/* A Go slice of structs, each element noted as width spans. */
struct gojson_slice {
	struct gojson_span *elems;
	size_t n;   /* elements decoded since the last reset (Go keeps them) */
	size_t len; /* the slice's length */
	size_t cap; /* in spans */
	struct gojson_span small[GOJSON_SMALL_SPANS]; /* elems until they outgrow it */
};

struct gojson_decoder {
	struct gojson_scan js;
	struct gojson_span root[GOJSON_MAX_SLOTS];
	struct gojson_slice slices[GOJSON_MAX_SLICES];
	struct kw_err *err;
};

/* Table entries: a string noted in slot, a type-checked int or bool, a
 * struct, a slice of structs noting width strings each, a []string
 * appended to slices[slice]. */
#define GOJSON_F_STR(n, slot) { (n), GOJSON_STRING, NULL, 0, (slot), 0 }
#define GOJSON_F_INT(n) { (n), GOJSON_INT, NULL, 0, GOJSON_NO_SLOT, 0 }
#define GOJSON_F_INT_AT(n, slot) { (n), GOJSON_INT, NULL, 0, (slot), 0 }
#define GOJSON_F_BOOL(n) { (n), GOJSON_BOOL, NULL, 0, GOJSON_NO_SLOT, 0 }
#define GOJSON_F_OBJ(n, f) \
	{ (n), GOJSON_STRUCT, (f), sizeof(f) / sizeof((f)[0]), GOJSON_NO_SLOT, 0 }
/* A pointer to a struct (go-github's *PackageVersion): slot notes whether
 * it is set (off != 0, len 0), as Go leaves it nil until an object comes
 * and sets it nil again, forgetting what its fields held, at a null. */
#define GOJSON_F_PTR(n, f, slot) \
	{ (n), GOJSON_STRUCT, (f), sizeof(f) / sizeof((f)[0]), (slot), 0 }
#define GOJSON_F_ANY_OBJ(n, f) \
	{ (n), GOJSON_ANY_STRUCT, (f), sizeof(f) / sizeof((f)[0]), GOJSON_NO_SLOT, 0 }
#define GOJSON_F_LIST(n, f, slice, width) \
	{ (n), GOJSON_SLICE, (f), sizeof(f) / sizeof((f)[0]), (slice), (width) }
#define GOJSON_F_STRINGS(n, slice) { (n), GOJSON_STRINGS, NULL, 0, (slice), 0 }
/* A []string that has slices[slice] to itself (quay's updated_tags): as in
 * Go, a later value of the field replaces the earlier one, and a null
 * empties it. */
#define GOJSON_F_STRSLICE(n, slice) { (n), GOJSON_STRINGS, NULL, 0, (slice), 1 }

/* Prepares d to decode body[0..len); err gets the message of a refusal. */
void gojson_init(struct gojson_decoder *d, const char *body, size_t len,
	struct kw_err *err);

/* Frees what decoding allocated; d may be initialised again. */
void gojson_free(struct gojson_decoder *d);

/* Decodes the body as the struct body_field describes (a GOJSON_STRUCT
 * field), noting spans into d->root and d->slices. KW_OK, KW_EINVAL (with
 * the message), KW_ENOMEM. */
int gojson_decode(struct gojson_decoder *d, const struct gojson_field *body_field,
	const char *body, size_t len);

/* Decodes the string body s[0..n) (a span) to the string Go holds:
 * escapes decoded, each byte of invalid UTF-8 turned into U+FFFD. Writes at
 * most 3 * n bytes to out; returns how many. */
size_t gojson_string(unsigned char *out, const unsigned char *s, size_t n);

#endif
