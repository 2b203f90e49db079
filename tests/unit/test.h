/*
 * test.h: the unit tests' few macros. Each test program calls its cases
 * from main() and ends with TEST_DONE(), which prints
 * "<name>: N passed, N failed" and exits non-zero on any failure.
 */
#ifndef TEST_H
#define TEST_H

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int test_passed, test_failed;

#define CHECK(cond) do { \
	if (cond) { test_passed++; } else { test_failed++; \
		fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ == w_) { test_passed++; } else { test_failed++; \
		fprintf(stderr, "%s:%d: %s == %lld, want %lld\n", __FILE__, __LINE__, #got, g_, w_); } \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0) { test_passed++; } else { test_failed++; \
		fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
			g_ ? g_ : "(null)", w_ ? w_ : "(null)"); } \
} while (0)

#define CHECK_MSG(cond, ...) do { \
	if (cond) { test_passed++; } else { test_failed++; \
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); } \
} while (0)

/* Removes a test's SQLite database at path with its -wal and -shm files. */
static inline void test_unlink_db(const char *path)
{
	char side[512];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

#define TEST_DONE(name) do { \
	printf("%s: %d passed, %d failed\n", name, test_passed, test_failed); \
	return test_failed ? 1 : 0; \
} while (0)

#endif
