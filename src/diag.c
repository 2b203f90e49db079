/*
 * diag.c: the list of diagnostics (diag.h): adding within a bound,
 * ordering by position, printing, freeing.
 */
#include "diag.h"

#include "kw.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int diag_vadd(struct diag_list *dl, enum diag_severity sev,
	const char *file, size_t line, size_t column, const char *key,
	const char *fmt, va_list ap)
{
	char msg[1024];
	struct diag *items, *dg;

	if (sev == DIAG_ERROR)
		dl->n_errors++;
	if (dl->n > DIAG_MAX)
		return KW_OK;
	if (dl->n == DIAG_MAX)
		snprintf(msg, sizeof(msg), "too many problems; the rest are not listed");
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	items = kw_array_grow(dl->items, dl->n, 1, sizeof(*items));
	if (items == NULL)
		return KW_ENOMEM;
	dl->items = items;
	dg = &items[dl->n];
	dg->severity = sev;
	dg->line = line;
	dg->column = column;
	dg->file = strdup(file != NULL ? file : "-");
	dg->key = key != NULL ? strdup(key) : NULL;
	dg->message = strdup(msg);
	if (dg->file == NULL || (key != NULL && dg->key == NULL) || dg->message == NULL) {
		free(dg->file);
		free(dg->key);
		free(dg->message);
		return KW_ENOMEM;
	}
	dl->n++;
	return KW_OK;
}

int diag_add(struct diag_list *dl, enum diag_severity sev, const char *file,
	size_t line, size_t column, const char *key, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = diag_vadd(dl, sev, file, line, column, key, fmt, ap);
	va_end(ap);
	return rc;
}

void diag_print(const struct diag_list *dl, void *file)
{
	FILE *f = file;

	if (dl == NULL || f == NULL)
		return;
	for (size_t i = 0; i < dl->n; i++) {
		const struct diag *dg = &dl->items[i];

		fputs(dg->file, f);
		if (dg->line > 0)
			fprintf(f, ":%zu:%zu", dg->line, dg->column);
		fputs(dg->severity == DIAG_ERROR ? ": error: " : ": warning: ", f);
		if (dg->key != NULL)
			fprintf(f, "%s: ", dg->key);
		fprintf(f, "%s\n", dg->message);
	}
}

void diag_clear(struct diag_list *dl)
{
	if (dl == NULL)
		return;
	for (size_t i = 0; i < dl->n; i++) {
		free(dl->items[i].file);
		free(dl->items[i].key);
		free(dl->items[i].message);
	}
	free(dl->items);
	memset(dl, 0, sizeof(*dl));
}

struct diag_order {
	size_t line, column, index;
};

static int diag_order_cmp(const void *a, const void *b)
{
	const struct diag_order *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

void diag_sort(struct diag_list *dl, size_t first)
{
	size_t n = dl->n - first;
	struct diag_order *ord;
	struct diag *tmp;

	if (n < 2)
		return;
	ord = malloc(n * sizeof(*ord));
	tmp = malloc(n * sizeof(*tmp));
	if (ord != NULL && tmp != NULL) {
		for (size_t i = 0; i < n; i++) {
			ord[i].line = dl->items[first + i].line;
			ord[i].column = dl->items[first + i].column;
			ord[i].index = i;
		}
		qsort(ord, n, sizeof(*ord), diag_order_cmp);
		for (size_t i = 0; i < n; i++)
			tmp[i] = dl->items[first + ord[i].index];
		memcpy(dl->items + first, tmp, n * sizeof(*tmp));
	}
	free(ord);
	free(tmp);
}

const char *diag_show(struct diag_shown *b, const char *s)
{
	size_t n = 0;

	for (; *s != '\0' && n + 4 < sizeof(b->s); s++)
		b->s[n++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
	if (*s != '\0') {
		memcpy(b->s + n, "...", 3);
		n += 3;
	}
	b->s[n] = '\0';
	return b->s;
}
