/*
 * yaml11.h: how a plain YAML scalar is typed, by go-yaml v2's rules (YAML
 * 1.1), which Kubernetes follows through sigs.k8s.io/yaml: yes/no/on/off
 * are booleans, 0x1F, 017 and 1_000 integers, .inf a float. One rule for
 * both directions: the manifest loader types what it reads with it, and
 * the YAML printer quotes every string that would not read back as itself.
 */
#ifndef YAML11_H
#define YAML11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum yaml11_type { YAML11_NULL, YAML11_BOOL, YAML11_INT, YAML11_UINT, YAML11_FLOAT, YAML11_STR };

struct yaml11_scalar {
	enum yaml11_type type;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
	const char *s; /* the text, NUL-terminated */
	size_t len;
};

/* Longer plain scalars are never numbers (they stay strings). */
#define YAML11_MAX_NUMBER_TEXT 512

/*
 * Types the untagged plain scalar s[0..len) (NUL-terminated at len) as
 * go-yaml v2's resolve() does, filling type and the value; sc->s and
 * sc->len are left to the caller. A timestamp stays a string, as go-yaml
 * v2 leaves it when decoding into an interface.
 */
void yaml11_resolve_plain(const char *s, size_t len, struct yaml11_scalar *sc);

/*
 * Whether the string s, written as a plain scalar (unquoted), reads back as
 * the same string: it resolves to a string, is not a timestamp, a base-60
 * number or the merge key "<<" (go-yaml v2 quotes those when it prints,
 * and so does kubectl), and nothing in it is YAML syntax.
 */
bool yaml11_plain_safe(const char *s);

#endif
