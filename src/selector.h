/*
 * selector.h: whether a pushed ref matches a git subscription's commit
 * selection (contract §4.9): NewestFromBranch compares the branch, the tag
 * strategies apply allow/ignore regexes (PCRE2, unanchored) and, for SemVer,
 * the version and constraint; includePaths and excludePaths filter the
 * changed files of a push (Kargo v1.10). A selector is compiled once per snapshot and
 * is immutable afterwards, so many threads may match with it at once.
 */
#ifndef SELECTOR_H
#define SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

struct kw_err;
struct obj_pos;
struct obj_subscription;
struct selector;

/*
 * Compiles sub's selection (git, image or chart), calling report for every
 * problem, where Kargo stops at the first: each bad regex (at its own
 * position), a bad constraint (at its value), a deprecated field
 * (allowTags, ignoreTags) on a tag strategy, a bad path filter, platform or
 * repository URL. A position the subscription does not record is sub->pos.
 * KW_EINVAL after reporting them all, KW_ENOMEM.
 */
int selector_new_each(struct selector **out, const struct obj_subscription *sub,
	void (*report)(void *arg, const struct obj_pos *at, const char *msg),
	void *arg);

/* selector_new_each() with the first problem in err. */
int selector_new(struct selector **out, const struct obj_subscription *sub,
	struct kw_err *err);

/* Whether the full ref (e.g. "refs/heads/main", "refs/tags/v1.2.3") in
 * ref[0..len) matches. Thread-safe. */
bool selector_match(const struct selector *sel, const char *ref, size_t len);

/* Kargo's MatchesPaths: whether some path (a changed file) is included
 * (by includePaths, or by default) and not excluded (excludePaths).
 * False for no paths. Thread-safe. */
bool selector_match_paths(const struct selector *sel, char *const *paths,
	size_t n);

/* Accepts NULL. */
void selector_free(struct selector *sel);

#endif
