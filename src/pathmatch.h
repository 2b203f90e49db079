/*
 * pathmatch.h: the two non-regex path patterns of Kargo's includePaths
 * and excludePaths (pkg/pattern/matcher.go): a "glob:" pattern as
 * github.com/bmatcuk/doublestar/v4 matches it, and a bare base directory
 * as Kargo's BaseDirMatcher decides it (filepath.Rel, then no ".." in
 * the result). Pure: no I/O, no globals.
 */
#ifndef PATHMATCH_H
#define PATHMATCH_H

#include <stdbool.h>
#include <stddef.h>

/* doublestar.ValidatePattern: brackets and braces closed, no trailing
 * backslash. */
bool pathmatch_glob_valid(const char *pattern);

/* doublestar.MatchUnvalidated(pattern, path) for a valid pattern: '*'
 * within a segment, '**' as a whole segment across segments, '?', classes
 * "[a-z]" and "[!x]"/"[^x]", alternatives "{a,b}", "\" escapes. */
bool pathmatch_glob(const char *pattern, const char *path);

/* Kargo's BaseDirMatcher: filepath.Rel(base, path) succeeds and its
 * result does not contain "..". */
bool pathmatch_base_dir(const char *base, const char *path);

#endif
