/*
 * semver.h: semantic versions and Masterminds-style constraints (the
 * library Kargo uses, github.com/Masterminds/semver/v3): parsing a tag as a
 * version (loose: leading "v", missing minor/patch; or strict SemVer 2.0.0)
 * and checking it against constraints such as ">=1.2 <2", "^1.2", "~1.2",
 * "1.x", "a || b". Pure: no I/O, no globals.
 */
#ifndef SEMVER_H
#define SEMVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kw_err;

struct semver {
	uint64_t major, minor, patch;
	char *prerelease; /* without the '-'; NULL when none */
	char *metadata;   /* without the '+'; NULL when none */
};

/*
 * Parses s[0..len). strict: exactly MAJOR.MINOR.PATCH[-pre][+meta] as in
 * SemVer 2.0.0 (Masterminds StrictNewVersion); otherwise as Masterminds
 * NewVersion (optional leading "v", "1" and "1.2" allowed). Returns KW_OK
 * and fills *out (free with semver_clear), or KW_EINVAL / KW_ENOMEM.
 */
int semver_parse(struct semver *out, const char *s, size_t len, bool strict);

/* Frees out's strings; accepts a zeroed struct. */
void semver_clear(struct semver *v);

/* <0, 0, >0 by SemVer precedence (metadata ignored). */
int semver_compare(const struct semver *a, const struct semver *b);

struct semver_constraint;

/* Parses a constraint string. KW_OK, KW_EINVAL (with err) or KW_ENOMEM. */
int semver_constraint_new(struct semver_constraint **out,
	const char *s, size_t len, struct kw_err *err);

/* Whether v satisfies c, with Masterminds' pre-release rules. */
bool semver_constraint_check(const struct semver_constraint *c,
	const struct semver *v);

/* Accepts NULL. */
void semver_constraint_free(struct semver_constraint *c);

#endif
