/*
 * diag.h: diagnostics, the problems found in configuration, each with
 * file:line:column, the key it concerns and a severity. Every module that
 * judges configuration (the manifest loader, the snapshot builder) reports
 * through here, and every command prints or logs the same list.
 */
#ifndef DIAG_H
#define DIAG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * An error makes a configuration unusable: `serve` refuses to start on it,
 * a reload that has one is rejected, `check` exits 1. A warning is served
 * as documented and only reported.
 */
enum diag_severity { DIAG_ERROR = 0, DIAG_WARNING };

struct diag {
	enum diag_severity severity;
	char *file;    /* owned */
	size_t line;   /* 1-based; 0 when not known */
	size_t column; /* 1-based */
	char *key;     /* owned; dotted path such as "spec.subscriptions[0].git.branch", or NULL */
	char *message; /* owned */
};

struct diag_list {
	struct diag *items;
	size_t n;
	size_t n_errors;
};

/* At most this many diagnostics are stored; further ones are counted. */
#define DIAG_MAX 10000

/* Appends a diagnostic (copies the strings). KW_OK or KW_ENOMEM. */
int diag_add(struct diag_list *dl, enum diag_severity sev, const char *file,
	size_t line, size_t column, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

/* diag_add with a va_list. */
int diag_vadd(struct diag_list *dl, enum diag_severity sev, const char *file,
	size_t line, size_t column, const char *key, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));

/* Puts the items from index first on in position order (line, column),
 * then discovery order, so a listing reads like the file. Out of memory
 * they stay as they are, which is still correct. */
void diag_sort(struct diag_list *dl, size_t first);

/* Writes "file:line:column: error: key: message" lines to f. */
void diag_print(const struct diag_list *dl, void *file /* FILE * */);

/* Frees the items; the list may be reused. */
void diag_clear(struct diag_list *dl);

/* A user's value, shortened and made printable, to quote in a message:
 * control characters would let a value forge lines in the output. */
struct diag_shown {
	char s[72];
};

/* Returns b->s holding s shown (at most 70 bytes, "..." when cut). */
const char *diag_show(struct diag_shown *b, const char *s);

#endif
