/*
 * selector.h: whether a pushed ref matches a git subscription's commit
 * selection (contract §4.9): NewestFromBranch compares the branch, the tag
 * strategies apply allow/ignore regexes (PCRE2, unanchored) and, for SemVer,
 * the version and constraint. A selector is compiled once per snapshot and
 * is immutable afterwards, so many threads may match with it at once.
 */
#ifndef SELECTOR_H
#define SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

struct kw_err;
struct obj_subscription;
struct selector;

/*
 * Compiles sub's selection (sub->kind must be SUB_GIT). KW_EINVAL with err
 * for a bad regex, a bad constraint or a deprecated field (allowTags,
 * ignoreTags) on a tag strategy; KW_ENOMEM.
 */
int selector_new(struct selector **out, const struct obj_subscription *sub,
	struct kw_err *err);

/* Whether the full ref (e.g. "refs/heads/main", "refs/tags/v1.2.3") in
 * ref[0..len) matches. Thread-safe. */
bool selector_match(const struct selector *sel, const char *ref, size_t len);

/* Accepts NULL. */
void selector_free(struct selector *sel);

#endif
