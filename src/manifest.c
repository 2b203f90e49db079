/*
 * manifest.c: YAML manifests (files, folders, multi-document streams) into
 * the typed objects of objects.h, with every problem reported with
 * file:line:column and the key it concerns.
 *
 * Each document is read twice from the same buffer. A first pass over
 * libyaml's events bounds it (nesting depth, number of nodes) before
 * anything is built, and notes the one fact libyaml's loader forgets (a
 * plain scalar explicitly tagged !!str). Then yaml_parser_load() builds the
 * node tree, whose nodes carry their positions. Scalars are resolved as
 * Kubernetes resolves them: sigs.k8s.io/yaml follows go-yaml v2, that is
 * YAML 1.1, so yes/no/on/off are booleans and 0x1F and 017 are integers.
 *
 * An object of a known kind is first converted to JSON as kubectl would
 * print it (keys sorted, << merges applied) under a budget of nodes and
 * bytes per document, since libyaml shares aliased nodes and a few aliases
 * can stand for billions of nodes. Only an object that fits is decoded into
 * its struct, so the typed decoding never walks more than the conversion
 * did. An object with any error is dropped; the others are kept, so one bad
 * object does not hide the problems of the rest.
 */
#include "manifest.h"

#include "kw.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KARGO_API "kargo.akuity.io/v1alpha1"
#define MAX_DIAGS 10000          /* stored; further ones are only counted */
#define MAX_DIR_ENTRIES 100000   /* per folder */
#define MAX_NUMBER_TEXT 512      /* longer plain scalars stay strings */
#define KEYPATH_MAX 256
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/* ---- Arrays ------------------------------------------------------------ */

/*
 * The arrays of obj_set and diag_list carry no capacity field, so they grow
 * by doubling and their capacity is implied by their length: the smallest
 * power of two that holds it.
 */
static size_t implied_cap(size_t n)
{
	size_t cap = 1;

	if (n == 0)
		return 0;
	while (cap < n && cap <= SIZE_MAX / 2)
		cap *= 2;
	return cap < n ? n : cap;
}

/* Returns arr grown to hold n + add items (add > 0) of size bytes, or NULL
 * when out of memory, arr being then untouched. */
static void *array_grow(void *arr, size_t n, size_t add, size_t size)
{
	size_t cap;

	if (add > SIZE_MAX - n)
		return NULL;
	if (arr != NULL && n + add <= implied_cap(n))
		return arr;
	cap = implied_cap(n + add);
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(arr, cap * size);
}

/* Appends n > 0 items from src to arr, which holds *len; returns the new
 * array or NULL (arr untouched) when out of memory. */
static void *array_append(void *arr, size_t *len, const void *src, size_t n,
	size_t size)
{
	char *v = array_grow(arr, *len, n, size);

	if (v == NULL)
		return NULL;
	memcpy(v + *len * size, src, n * size);
	*len += n;
	return v;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- Diagnostics ------------------------------------------------------- */

static int diag_vadd(struct diag_list *dl, enum diag_severity sev,
	const char *file, size_t line, size_t column, const char *key,
	const char *fmt, va_list ap) PRINTF(7, 0);

static int diag_vadd(struct diag_list *dl, enum diag_severity sev,
	const char *file, size_t line, size_t column, const char *key,
	const char *fmt, va_list ap)
{
	char msg[1024];
	struct diag *items, *dg;

	if (sev == DIAG_ERROR)
		dl->n_errors++;
	if (dl->n > MAX_DIAGS)
		return KW_OK;
	if (dl->n == MAX_DIAGS)
		snprintf(msg, sizeof(msg), "too many problems; the rest are not listed");
	else
		vsnprintf(msg, sizeof(msg), fmt, ap);
	items = array_grow(dl->items, dl->n, 1, sizeof(*items));
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

/* ---- Key paths and printable values ------------------------------------ */

/* The dotted path of the node being read, "spec.subscriptions[1].git". */
struct keypath {
	char buf[KEYPATH_MAX];
	size_t len;
};

/* Control characters would let a key forge lines in the output. */
static void kp_putc(struct keypath *kp, char c)
{
	if (kp->len + 1 >= sizeof(kp->buf))
		return;
	kp->buf[kp->len++] = ((unsigned char)c < 0x20 || c == 0x7f) ? '?' : c;
	kp->buf[kp->len] = '\0';
}

static size_t kp_key(struct keypath *kp, const char *key, size_t len)
{
	size_t old = kp->len;

	if (old > 0)
		kp_putc(kp, '.');
	for (size_t i = 0; i < len; i++)
		kp_putc(kp, key[i]);
	return old;
}

static size_t kp_str(struct keypath *kp, const char *key)
{
	return kp_key(kp, key, strlen(key));
}

static size_t kp_index(struct keypath *kp, size_t i)
{
	char num[32];
	size_t old = kp->len;

	snprintf(num, sizeof(num), "[%zu]", i);
	for (const char *p = num; *p != '\0'; p++)
		kp_putc(kp, *p);
	return old;
}

static void kp_pop(struct keypath *kp, size_t old)
{
	kp->len = old;
	kp->buf[old] = '\0';
}

/* A user's value, shortened and made printable, to quote in a message. */
struct shown {
	char s[72];
};

static const char *show(struct shown *b, const char *s)
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

/* ---- Documents --------------------------------------------------------- */

/* The first pass over a stream's events. */
struct scan {
	yaml_parser_t parser;
	yaml_mark_t doc_mark;
	size_t *tagged; /* start indexes of plain scalars tagged !!str or ! */
	size_t n_tagged;
};

/* One document being decoded. */
struct doc {
	struct obj_set *set;
	struct diag_list *dl;
	const char *file; /* owned by set->files */
	yaml_document_t *ydoc;
	const struct scan *scan;
	struct keypath kp;
	size_t budget_nodes; /* nodes that conversions and lookups may visit */
	size_t budget_bytes; /* and bytes that conversions may copy */
	bool exhausted;      /* the budget ran out (reported once) */
	unsigned lists;      /* Lists being decoded, one inside the other */
	size_t errors;       /* d->dl->n_errors before the current object */
	bool oom;
};

static void report_at(struct doc *d, enum diag_severity sev, size_t line,
	size_t column, const char *fmt, va_list ap) PRINTF(5, 0);

static void report_at(struct doc *d, enum diag_severity sev, size_t line,
	size_t column, const char *fmt, va_list ap)
{
	const char *key = d->kp.len > 0 ? d->kp.buf : NULL;

	if (diag_vadd(d->dl, sev, d->file, line, column, key, fmt, ap) != KW_OK)
		d->oom = true;
}

static void error_at(struct doc *d, const yaml_node_t *n, const char *fmt, ...)
	PRINTF(3, 4);
static void warning_at(struct doc *d, const yaml_node_t *n, const char *fmt, ...)
	PRINTF(3, 4);
static void error_mark(struct doc *d, yaml_mark_t m, const char *fmt, ...)
	PRINTF(3, 4);

static void error_at(struct doc *d, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_at(d, DIAG_ERROR, n->start_mark.line + 1, n->start_mark.column + 1,
		fmt, ap);
	va_end(ap);
}

static void warning_at(struct doc *d, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_at(d, DIAG_WARNING, n->start_mark.line + 1,
		n->start_mark.column + 1, fmt, ap);
	va_end(ap);
}

static void error_mark(struct doc *d, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report_at(d, DIAG_ERROR, m.line + 1, m.column + 1, fmt, ap);
	va_end(ap);
}

static struct obj_pos pos_of(const struct doc *d, const yaml_node_t *n)
{
	struct obj_pos p = { d->file, n->start_mark.line + 1, n->start_mark.column + 1 };

	return p;
}

/*
 * Spends from the document's budget. libyaml shares an aliased node, so a
 * walk through aliases (converting, following << merges, reading List
 * items) may visit far more nodes than the document has; every such walk
 * pays here, and stops when the budget is gone.
 */
static bool spend(struct doc *d, const yaml_node_t *n, size_t nodes, size_t bytes)
{
	if (d->exhausted)
		return false;
	if (nodes > d->budget_nodes || bytes > d->budget_bytes) {
		error_at(d, n, "the document expands to more than %d nodes or %u "
			"bytes (through aliases?)", MANIFEST_MAX_NODES,
			MANIFEST_MAX_FILE_SIZE);
		d->exhausted = true;
		return false;
	}
	d->budget_nodes -= nodes;
	d->budget_bytes -= bytes;
	return true;
}

static size_t n_pairs(const yaml_node_t *m)
{
	return (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
}

static const yaml_node_t *node_at(const struct doc *d, int index)
{
	return yaml_document_get_node(d->ydoc, index);
}

static size_t list_len(const yaml_node_t *n)
{
	return (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

/* ---- Scalars, resolved like go-yaml v2 ---------------------------------- */

enum sc_type { SC_NULL, SC_BOOL, SC_INT, SC_UINT, SC_FLOAT, SC_STR };

struct scalar {
	enum sc_type type;
	bool b;
	int64_t i;
	uint64_t u;
	double f;
	const char *s; /* the text, NUL-terminated by libyaml */
	size_t len;
};

/* go-yaml v2's table of plain words (its resolveMapList). */
static const struct {
	const char *text;
	enum sc_type type;
	int value; /* bool; for floats 0 NaN, 1 +Inf, -1 -Inf */
} yaml11_words[] = {
	{ "y", SC_BOOL, 1 }, { "Y", SC_BOOL, 1 }, { "yes", SC_BOOL, 1 },
	{ "Yes", SC_BOOL, 1 }, { "YES", SC_BOOL, 1 }, { "true", SC_BOOL, 1 },
	{ "True", SC_BOOL, 1 }, { "TRUE", SC_BOOL, 1 }, { "on", SC_BOOL, 1 },
	{ "On", SC_BOOL, 1 }, { "ON", SC_BOOL, 1 }, { "n", SC_BOOL, 0 },
	{ "N", SC_BOOL, 0 }, { "no", SC_BOOL, 0 }, { "No", SC_BOOL, 0 },
	{ "NO", SC_BOOL, 0 }, { "false", SC_BOOL, 0 }, { "False", SC_BOOL, 0 },
	{ "FALSE", SC_BOOL, 0 }, { "off", SC_BOOL, 0 }, { "Off", SC_BOOL, 0 },
	{ "OFF", SC_BOOL, 0 }, { "~", SC_NULL, 0 }, { "null", SC_NULL, 0 },
	{ "Null", SC_NULL, 0 }, { "NULL", SC_NULL, 0 }, { ".nan", SC_FLOAT, 0 },
	{ ".NaN", SC_FLOAT, 0 }, { ".NAN", SC_FLOAT, 0 }, { ".inf", SC_FLOAT, 1 },
	{ ".Inf", SC_FLOAT, 1 }, { ".INF", SC_FLOAT, 1 }, { "+.inf", SC_FLOAT, 1 },
	{ "+.Inf", SC_FLOAT, 1 }, { "+.INF", SC_FLOAT, 1 }, { "-.inf", SC_FLOAT, -1 },
	{ "-.Inf", SC_FLOAT, -1 }, { "-.INF", SC_FLOAT, -1 },
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool resolve_word(const char *s, struct scalar *sc)
{
	for (size_t i = 0; i < KW_ARRAY_LEN(yaml11_words); i++) {
		if (strcmp(s, yaml11_words[i].text) != 0)
			continue;
		sc->type = yaml11_words[i].type;
		sc->b = yaml11_words[i].value != 0;
		if (sc->type == SC_FLOAT)
			sc->f = yaml11_words[i].value == 0 ? NAN
				: yaml11_words[i].value * (double)INFINITY;
		return true;
	}
	return false;
}

static int digit_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/* Go's strconv.ParseInt(s, 0, 64), then ParseUint: an optional sign, then
 * 0b, 0o, 0x or a leading 0 (octal) select the base. */
static bool parse_go_int(const char *s, struct scalar *sc)
{
	bool neg = false, sign = false;
	unsigned base = 10;
	uint64_t v = 0;

	if (*s == '+' || *s == '-') {
		neg = *s++ == '-';
		sign = true;
	}
	if (*s == '\0')
		return false;
	if (s[0] == '0' && s[1] != '\0') {
		char c = (char)(s[1] | 0x20);

		base = 8;
		s += 1;
		if (s[1] != '\0' && (c == 'b' || c == 'o' || c == 'x')) {
			base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
			s += 1;
		}
	}
	for (; *s != '\0'; s++) {
		unsigned dv = (unsigned)digit_value(*s);

		if (dv >= base || v > (UINT64_MAX - dv) / base)
			return false;
		v = v * base + dv;
	}
	if (neg && v <= (uint64_t)INT64_MAX + 1) {
		sc->type = SC_INT;
		sc->i = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	} else if (!neg && v <= (uint64_t)INT64_MAX) {
		sc->type = SC_INT;
		sc->i = (int64_t)v;
	} else if (!sign) {
		sc->type = SC_UINT;
		sc->u = v;
	} else {
		return false;
	}
	return true;
}

/* go-yaml v2's yamlStyleFloat:
 * ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yaml_float_syntax(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (*s == '.') {
		if (!is_digit(*++s))
			return false;
	} else {
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
		if (*s == '.')
			s++;
	}
	while (is_digit(*s))
		s++;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	return *s == '\0';
}

/* Go's ParseFloat fails on overflow, and go-yaml then keeps the text. */
static void set_float(const char *s, struct scalar *sc)
{
	double v = strtod(s, NULL);

	if (isinf(v))
		return;
	sc->type = SC_FLOAT;
	sc->f = v;
}

static void resolve_number(const char *s, size_t len, struct scalar *sc)
{
	char plain[MAX_NUMBER_TEXT];
	size_t n = 0;

	if (len >= sizeof(plain))
		return;
	for (size_t i = 0; i < len; i++)
		if (s[i] != '_')
			plain[n++] = s[i];
	plain[n] = '\0';
	if (parse_go_int(plain, sc))
		return;
	if (yaml_float_syntax(plain))
		set_float(plain, sc);
}

/* The type of an untagged plain scalar (go-yaml v2's resolve()). */
static void resolve_plain(const char *s, size_t len, struct scalar *sc)
{
	sc->type = SC_STR;
	if (len == 0) {
		sc->type = SC_NULL;
		return;
	}
	if (strlen(s) != len || resolve_word(s, sc))
		return;
	if (s[0] == '.') {
		if (yaml_float_syntax(s))
			set_float(s, sc);
	} else if (s[0] == '+' || s[0] == '-' || is_digit(s[0])) {
		resolve_number(s, len, sc);
	}
}

static bool tagged_str(const struct doc *d, const yaml_node_t *n)
{
	size_t lo = 0, hi = d->scan->n_tagged;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->scan->tagged[mid] == n->start_mark.index)
			return true;
		if (d->scan->tagged[mid] < n->start_mark.index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Whether an explicit core tag accepts what the text resolved to. */
static bool tag_accepts(const char *tag, struct scalar *sc)
{
	if (strcmp(tag, YAML_NULL_TAG) == 0)
		return sc->type == SC_NULL;
	if (strcmp(tag, YAML_BOOL_TAG) == 0)
		return sc->type == SC_BOOL;
	if (strcmp(tag, YAML_INT_TAG) == 0)
		return sc->type == SC_INT || sc->type == SC_UINT;
	if (sc->type == SC_INT || sc->type == SC_UINT) { /* !!float 1 */
		sc->f = sc->type == SC_INT ? (double)sc->i : (double)sc->u;
		sc->type = SC_FLOAT;
	}
	return sc->type == SC_FLOAT;
}

static bool is_core_tag(const char *tag)
{
	return strcmp(tag, YAML_NULL_TAG) == 0 || strcmp(tag, YAML_BOOL_TAG) == 0 ||
		strcmp(tag, YAML_INT_TAG) == 0 || strcmp(tag, YAML_FLOAT_TAG) == 0;
}

/* Resolves scalar node n; false when an explicit tag such as !!int does not
 * fit its text. Other tags (custom, !!binary, !!timestamp) leave the text,
 * as go-yaml v2 does when decoding into an interface. */
static bool resolve_scalar(const struct doc *d, const yaml_node_t *n,
	struct scalar *sc)
{
	const char *tag = (const char *)n->tag;

	memset(sc, 0, sizeof(*sc));
	sc->type = SC_STR;
	sc->s = (const char *)n->data.scalar.value;
	sc->len = n->data.scalar.length;
	if (tag == NULL || strcmp(tag, YAML_STR_TAG) == 0) {
		if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !tagged_str(d, n))
			resolve_plain(sc->s, sc->len, sc);
		return true;
	}
	if (!is_core_tag(tag))
		return true;
	resolve_plain(sc->s, sc->len, sc);
	return tag_accepts(tag, sc);
}

static const char *describe(const struct doc *d, const yaml_node_t *n)
{
	struct scalar sc;

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (!resolve_scalar(d, n, &sc))
		return "a mistagged scalar";
	switch (sc.type) {
	case SC_NULL: return "null";
	case SC_BOOL: return "a boolean";
	case SC_STR: return "a string";
	default: return "a number";
	}
}

/* A scalar whose explicit tag does not fit its text: convert() reported
 * it already, so typed reading only fails on it, quietly. */
static bool mistagged(const struct doc *d, const yaml_node_t *n)
{
	struct scalar sc;

	return n->type == YAML_SCALAR_NODE && !resolve_scalar(d, n, &sc);
}

static bool is_null(const struct doc *d, const yaml_node_t *n)
{
	struct scalar sc;

	return n == NULL || (n->type == YAML_SCALAR_NODE &&
		resolve_scalar(d, n, &sc) && sc.type == SC_NULL);
}

static bool is_merge_key(const struct doc *d, const yaml_node_t *k)
{
	const char *tag = (const char *)k->tag;

	return k->type == YAML_SCALAR_NODE &&
		k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		k->data.scalar.length == 2 &&
		memcmp(k->data.scalar.value, "<<", 2) == 0 &&
		(tag == NULL || strcmp(tag, YAML_STR_TAG) == 0 ||
			strcmp(tag, "tag:yaml.org,2002:merge") == 0) &&
		!tagged_str(d, k);
}

/* ---- JSON, as kubectl prints it ----------------------------------------- */

/* Appends s to out[*n] within cap (out is sized for every float). */
static void put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	for (size_t i = 0; i < len && *n + 1 < cap; i++)
		out[(*n)++] = s[i];
	out[*n] = '\0';
}

static void put_zeros(char *out, size_t cap, size_t *n, int count)
{
	for (int i = 0; i < count; i++)
		put(out, cap, n, "0", 1);
}

/*
 * Writes finite v as Go's encoding/json does: the shortest digits that read
 * back as v, positional from 1e-6 to 1e21, else an exponent without leading
 * zeros. cJSON's own printing differs (15 or 17 digits, "1e+15"), so such
 * numbers are kept as raw JSON text.
 */
static void go_float(char *out, size_t cap, double v)
{
	char buf[40], digits[24];
	int prec, exp, nd = 0;
	const char *p = buf;
	size_t n = 0;
	double a = fabs(v);

	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
	if (*p == '-')
		put(out, cap, &n, p++, 1);
	for (; *p != 'e' && nd + 1 < (int)sizeof(digits); p++)
		if (*p != '.')
			digits[nd++] = *p;
	exp = atoi(p + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (a != 0 && (a < 1e-6 || a >= 1e21)) {
		char e[16];

		put(out, cap, &n, digits, 1);
		if (nd > 1) {
			put(out, cap, &n, ".", 1);
			put(out, cap, &n, digits + 1, (size_t)nd - 1);
		}
		snprintf(e, sizeof(e), "e%c%d", exp < 0 ? '-' : '+', abs(exp));
		put(out, cap, &n, e, strlen(e));
	} else if (exp >= nd - 1) {
		put(out, cap, &n, digits, (size_t)nd);
		put_zeros(out, cap, &n, exp - (nd - 1));
	} else if (exp >= 0) {
		put(out, cap, &n, digits, (size_t)exp + 1);
		put(out, cap, &n, ".", 1);
		put(out, cap, &n, digits + exp + 1, (size_t)(nd - exp - 1));
	} else {
		put(out, cap, &n, "0.", 2);
		put_zeros(out, cap, &n, -exp - 1);
		put(out, cap, &n, digits, (size_t)nd);
	}
}

struct conv {
	struct doc *d;
	bool failed; /* an error was reported; the result is dropped */
	bool stop;   /* out of budget, depth or memory: give up at once */
};

static cJSON *to_json(struct conv *c, const yaml_node_t *n, unsigned depth);

static bool charge(struct conv *c, const yaml_node_t *n, size_t bytes)
{
	if (c->stop || !spend(c->d, n, 1, bytes)) {
		c->stop = true;
		return false;
	}
	return true;
}

static cJSON *oom(struct conv *c)
{
	c->d->oom = true;
	c->stop = true;
	return NULL;
}

/* A finite number; beyond 2^53 a double would lose digits that Go keeps,
 * so such integers are raw JSON text, as are floats (see go_float). */
static cJSON *number_to_json(const struct scalar *sc)
{
	char num[64];

	if (sc->type == SC_INT && sc->i >= -(INT64_C(1) << 53) &&
		sc->i <= (INT64_C(1) << 53))
		return cJSON_CreateNumber((double)sc->i);
	if (sc->type == SC_INT)
		snprintf(num, sizeof(num), "%" PRId64, sc->i);
	else if (sc->type == SC_UINT)
		snprintf(num, sizeof(num), "%" PRIu64, sc->u);
	else
		go_float(num, sizeof(num), sc->f);
	return cJSON_CreateRaw(num);
}

static cJSON *scalar_to_json(struct conv *c, const yaml_node_t *n)
{
	struct scalar sc;
	cJSON *j;

	if (!charge(c, n, n->data.scalar.length))
		return NULL;
	if (!resolve_scalar(c->d, n, &sc)) {
		const char *tag = (const char *)n->tag;
		struct shown sh;

		if (strncmp(tag, "tag:yaml.org,2002:", 18) == 0)
			error_at(c->d, n, "\"%s\" is not a valid !!%s", show(&sh, sc.s), tag + 18);
		else
			error_at(c->d, n, "\"%s\" is not a valid %s", show(&sh, sc.s), tag);
		c->failed = true;
		return NULL;
	}
	if (sc.type == SC_STR && memchr(sc.s, '\0', sc.len) != NULL) {
		error_at(c->d, n, "contains a NUL character, which is not supported");
		c->failed = true;
		return NULL;
	}
	if (sc.type == SC_FLOAT && !isfinite(sc.f)) {
		error_at(c->d, n, "%s cannot be written in JSON", sc.s);
		c->failed = true;
		return NULL;
	}
	switch (sc.type) {
	case SC_NULL: j = cJSON_CreateNull(); break;
	case SC_BOOL: j = cJSON_CreateBool(sc.b); break;
	case SC_STR: j = cJSON_CreateString(sc.s); break;
	default: j = number_to_json(&sc); break;
	}
	return j != NULL ? j : oom(c);
}

static cJSON *seq_to_json(struct conv *c, const yaml_node_t *n, unsigned depth)
{
	struct doc *d = c->d;
	cJSON *arr;

	if (!charge(c, n, 0))
		return NULL;
	arr = cJSON_CreateArray();
	if (arr == NULL)
		return oom(c);
	for (yaml_node_item_t *it = n->data.sequence.items.start;
		it < n->data.sequence.items.top && !c->stop; it++) {
		size_t old = kp_index(&d->kp, (size_t)(it - n->data.sequence.items.start));
		cJSON *child = to_json(c, node_at(d, *it), depth + 1);

		kp_pop(&d->kp, old);
		if (child != NULL)
			cJSON_AddItemToArray(arr, child);
	}
	return arr;
}

/* One key and value of a mapping being converted. */
struct entry {
	char *key;
	cJSON *item;
	const yaml_node_t *key_node;
	size_t rank; /* 0: written in the mapping; k: from its k-th merge */
	size_t seq;  /* order of appearance, for a stable sort */
};

struct entries {
	struct entry *v;
	size_t n;
};

static void entries_free(struct entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].key);
		cJSON_Delete(es->v[i].item);
	}
	free(es->v);
}

/* Takes key and item in every case. */
static void entry_add(struct conv *c, struct entries *es, char *key,
	cJSON *item, const yaml_node_t *key_node, size_t rank)
{
	struct entry e = { key, item, key_node, rank, es->n };
	struct entry *v = array_append(es->v, &es->n, &e, 1, sizeof(e));

	if (v == NULL) {
		free(key);
		cJSON_Delete(item);
		oom(c);
		return;
	}
	es->v = v;
}

/* The JSON key of a scalar key: Kubernetes writes 1, true as "1", "true";
 * a float key keeps its text. NULL after reporting, or out of memory. */
static char *key_text(struct conv *c, const yaml_node_t *k)
{
	struct scalar sc;
	char num[32], *key;

	if (k->type != YAML_SCALAR_NODE || !resolve_scalar(c->d, k, &sc) ||
		sc.type == SC_NULL || memchr(sc.s, '\0', sc.len) != NULL) {
		error_at(c->d, k, "a key must be a string, number or boolean, not %s",
			describe(c->d, k));
		c->failed = true;
		return NULL;
	}
	if (!charge(c, k, sc.len))
		return NULL;
	if (sc.type == SC_INT)
		snprintf(num, sizeof(num), "%" PRId64, sc.i);
	else if (sc.type == SC_UINT)
		snprintf(num, sizeof(num), "%" PRIu64, sc.u);
	else if (sc.type == SC_BOOL)
		snprintf(num, sizeof(num), "%s", sc.b ? "true" : "false");
	key = strdup(sc.type == SC_INT || sc.type == SC_UINT || sc.type == SC_BOOL
		? num : sc.s);
	if (key == NULL)
		oom(c);
	return key;
}

static void collect_pairs(struct conv *c, const yaml_node_t *n,
	unsigned depth, struct entries *es)
{
	struct doc *d = c->d;

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		p < n->data.mapping.pairs.top && !c->stop; p++) {
		const yaml_node_t *k = node_at(d, p->key);
		char *key;
		size_t old;
		cJSON *item;

		if (is_merge_key(d, k))
			continue;
		if ((key = key_text(c, k)) == NULL)
			continue;
		old = kp_str(&d->kp, key);
		item = to_json(c, node_at(d, p->value), depth + 1);
		kp_pop(&d->kp, old);
		if (item == NULL)
			free(key);
		else
			entry_add(c, es, key, item, k, 0);
	}
}

/* Adds the keys of mapping src, converted, with the given rank. */
static void merge_from(struct conv *c, const yaml_node_t *src, unsigned depth,
	size_t rank, struct entries *es)
{
	cJSON *obj, *child;

	/* depth + 1 although the keys land at this level: a mapping may merge
	 * itself through an alias, and the depth bound must end that. */
	obj = to_json(c, src, depth + 1);
	if (obj == NULL)
		return;
	while ((child = obj->child) != NULL && !c->stop) {
		char *key;

		cJSON_DetachItemViaPointer(obj, child);
		key = strdup(child->string);
		if (key == NULL) {
			cJSON_Delete(child);
			oom(c);
			break;
		}
		entry_add(c, es, key, child, src, rank);
	}
	cJSON_Delete(obj);
}

/* Applies the << keys of n: a mapping or a list of mappings, whose keys
 * count only where n and earlier merges do not set them. */
static void collect_merges(struct conv *c, const yaml_node_t *n,
	unsigned depth, struct entries *es)
{
	struct doc *d = c->d;
	size_t rank = 0;

	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		p < n->data.mapping.pairs.top && !c->stop; p++) {
		const yaml_node_t *v = node_at(d, p->value);

		if (!is_merge_key(d, node_at(d, p->key)))
			continue;
		if (v->type == YAML_MAPPING_NODE) {
			merge_from(c, v, depth, ++rank, es);
			continue;
		}
		if (v->type != YAML_SEQUENCE_NODE) {
			error_at(d, v, "a merge (<<) takes a mapping or a list of mappings");
			c->failed = true;
			continue;
		}
		for (yaml_node_item_t *it = v->data.sequence.items.start;
			it < v->data.sequence.items.top && !c->stop; it++) {
			const yaml_node_t *src = node_at(d, *it);

			if (src->type == YAML_MAPPING_NODE) {
				merge_from(c, src, depth, ++rank, es);
			} else {
				error_at(d, src, "a merge (<<) takes a mapping or a list of mappings");
				c->failed = true;
			}
		}
	}
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r != 0)
		return r;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Builds the object from its entries in key order (Go sorts map keys),
 * keeping the first of each key; a key written twice is an error, as in
 * kubectl. */
static cJSON *build_object(struct conv *c, struct entries *es)
{
	struct doc *d = c->d;
	cJSON *obj = cJSON_CreateObject();
	size_t first = 0;

	if (obj == NULL)
		return oom(c);
	if (es->n > 1)
		qsort(es->v, es->n, sizeof(*es->v), entry_cmp);
	for (size_t i = 0; i < es->n; i++) {
		struct entry *e = &es->v[i];

		if (i > 0 && strcmp(e->key, es->v[first].key) == 0) {
			if (e->rank == 0) {
				size_t old = kp_str(&d->kp, e->key);

				error_at(d, e->key_node, "duplicate key (first at line %zu)",
					es->v[first].key_node->start_mark.line + 1);
				kp_pop(&d->kp, old);
				c->failed = true;
			}
			continue;
		}
		first = i;
		if (!cJSON_AddItemToObject(obj, e->key, e->item))
			return cJSON_Delete(obj), oom(c);
		e->item = NULL;
	}
	return obj;
}

static cJSON *map_to_json(struct conv *c, const yaml_node_t *n, unsigned depth)
{
	struct entries es = { NULL, 0 };
	cJSON *obj = NULL;

	if (!charge(c, n, 0))
		return NULL;
	collect_pairs(c, n, depth, &es);
	collect_merges(c, n, depth, &es);
	if (!c->stop)
		obj = build_object(c, &es);
	entries_free(&es);
	return obj;
}

/* depth: the mappings and lists around n. */
static cJSON *to_json(struct conv *c, const yaml_node_t *n, unsigned depth)
{
	if (c->stop || n == NULL)
		return NULL;
	if (n->type != YAML_SCALAR_NODE && depth >= MANIFEST_MAX_DEPTH) {
		error_at(c->d, n, "nested deeper than %d levels (an alias inside "
			"itself?)", MANIFEST_MAX_DEPTH);
		c->stop = true;
		return NULL;
	}
	switch (n->type) {
	case YAML_SCALAR_NODE: return scalar_to_json(c, n);
	case YAML_SEQUENCE_NODE: return seq_to_json(c, n, depth);
	case YAML_MAPPING_NODE: return map_to_json(c, n, depth);
	default: return NULL;
	}
}

/* Converts object n within the document's budget: KW_OK with *out, KW_EINVAL
 * when errors were reported, KW_ETOOBIG when the budget or the depth ran
 * out (or memory: d->oom), which must stop any further walk of n. */
static int convert(struct doc *d, const yaml_node_t *n, cJSON **out)
{
	struct conv c = { d, false, false };
	cJSON *j = to_json(&c, n, 0);

	*out = NULL;
	if (c.stop || c.failed || d->oom) {
		cJSON_Delete(j);
		return c.stop || d->oom ? KW_ETOOBIG : KW_EINVAL;
	}
	*out = j;
	return KW_OK;
}

/* ---- Typed reading ------------------------------------------------------ */

enum { REQUIRED = 1u, NONEMPTY = 2u };

static const yaml_node_t *map_find(struct doc *d, const yaml_node_t *m,
	const char *key, size_t klen, unsigned depth);

static const yaml_node_t *merge_find(struct doc *d, const yaml_node_t *v,
	const char *key, size_t klen, unsigned depth)
{
	const yaml_node_t *r;

	if (v->type == YAML_MAPPING_NODE)
		return map_find(d, v, key, klen, depth + 1);
	if (v->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *it = v->data.sequence.items.start;
		it < v->data.sequence.items.top; it++)
		if ((r = map_find(d, node_at(d, *it), key, klen, depth + 1)) != NULL)
			return r;
	return NULL;
}

/* Keys written in m win over merged ones, earlier merges over later ones.
 * Merged mappings are paid for: they may be aliases of aliases. */
static const yaml_node_t *map_find(struct doc *d, const yaml_node_t *m,
	const char *key, size_t klen, unsigned depth)
{
	const yaml_node_pair_t *p;
	const yaml_node_t *r;

	if (m == NULL || m->type != YAML_MAPPING_NODE || depth > MANIFEST_MAX_DEPTH ||
		(depth > 0 && !spend(d, m, 1 + n_pairs(m), 0)))
		return NULL;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = node_at(d, p->key);

		if (k->type == YAML_SCALAR_NODE && k->data.scalar.length == klen &&
			memcmp(k->data.scalar.value, key, klen) == 0 && !is_merge_key(d, k))
			return node_at(d, p->value);
	}
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (is_merge_key(d, node_at(d, p->key)) &&
			(r = merge_find(d, node_at(d, p->value), key, klen, depth)) != NULL)
			return r;
	return NULL;
}

/* The value of key in mapping m, NULL when absent. */
static const yaml_node_t *map_get(struct doc *d, const yaml_node_t *m,
	const char *key)
{
	return map_find(d, m, key, strlen(key), 0);
}

enum typed { TYPED_OK, TYPED_ABSENT, TYPED_MISTAGGED, TYPED_BAD };

/* Resolves n as a scalar of type want: TYPED_ABSENT when absent or null,
 * TYPED_MISTAGGED when an error about its tag was already reported,
 * TYPED_BAD when it is of another type (the caller says which it wants). */
static enum typed typed_scalar(struct doc *d, const yaml_node_t *n,
	enum sc_type want, struct scalar *sc)
{
	if (is_null(d, n))
		return TYPED_ABSENT;
	if (mistagged(d, n))
		return TYPED_MISTAGGED;
	if (n->type != YAML_SCALAR_NODE || !resolve_scalar(d, n, sc) ||
	    sc->type != want)
		return TYPED_BAD;
	return TYPED_OK;
}

/* n (at the current key path) as a string into *out: NULL when n is absent
 * or null. False when an error was reported. */
static bool node_string(struct doc *d, const yaml_node_t *n, size_t max,
	char **out)
{
	struct scalar sc;
	enum typed t;

	*out = NULL;
	t = typed_scalar(d, n, SC_STR, &sc);
	if (t == TYPED_BAD)
		error_at(d, n, "must be a string, not %s%s", describe(d, n),
			n->type == YAML_SCALAR_NODE ? " (quote it)" : "");
	if (t != TYPED_OK)
		return t == TYPED_ABSENT;
	if (memchr(sc.s, '\0', sc.len) != NULL) {
		error_at(d, n, "must not contain a NUL character");
		return false;
	}
	if (sc.len > max) {
		error_at(d, n, "is longer than %zu bytes", max);
		return false;
	}
	*out = kw_strndup(sc.s, sc.len);
	if (*out == NULL)
		d->oom = true;
	return *out != NULL;
}

/* Reads key of mapping m as a string; *at (optional) gets its node. */
static bool get_string(struct doc *d, const yaml_node_t *m, const char *key,
	unsigned flags, char **out, const yaml_node_t **at)
{
	const yaml_node_t *v = map_get(d, m, key);
	size_t old = kp_str(&d->kp, key);
	bool ok = node_string(d, v, MANIFEST_MAX_STRING, out);

	if (ok && *out == NULL && (flags & REQUIRED)) {
		if (!d->exhausted) /* lookups fail then: "required" would mislead */
			error_at(d, v != NULL ? v : m, "required");
		ok = false;
	} else if (ok && *out != NULL && **out == '\0' && (flags & NONEMPTY)) {
		error_at(d, v, "must not be empty");
		ok = false;
	}
	kp_pop(&d->kp, old);
	if (at != NULL)
		*at = v;
	return ok;
}

/* Reads key of m as a node of the given type (a mapping or a list);
 * *out NULL when absent or null. */
static bool get_node(struct doc *d, const yaml_node_t *m, const char *key,
	yaml_node_type_t type, unsigned flags, const yaml_node_t **out)
{
	const yaml_node_t *v = map_get(d, m, key);
	size_t old = kp_str(&d->kp, key);
	bool ok = true;

	*out = NULL;
	if (is_null(d, v)) {
		if (flags & REQUIRED) {
			if (!d->exhausted)
				error_at(d, v != NULL ? v : m, "required");
			ok = false;
		}
	} else if (v->type != type) {
		error_at(d, v, "must be %s, not %s",
			type == YAML_MAPPING_NODE ? "a mapping" : "a list", describe(d, v));
		ok = false;
	} else {
		*out = v;
	}
	kp_pop(&d->kp, old);
	return ok;
}

static bool expect_mapping(struct doc *d, const yaml_node_t *n)
{
	if (n->type == YAML_MAPPING_NODE)
		return true;
	error_at(d, n, "must be a mapping, not %s", describe(d, n));
	return false;
}

/* n (at the current key path) as a list of strings. */
static void node_strings(struct doc *d, const yaml_node_t *n, char ***out,
	size_t *n_out)
{
	size_t count;

	if (is_null(d, n))
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		error_at(d, n, "must be a list of strings, not %s", describe(d, n));
		return;
	}
	count = list_len(n);
	if (count == 0)
		return;
	*out = calloc(count, sizeof(**out));
	if (*out == NULL) {
		d->oom = true;
		return;
	}
	for (size_t i = 0; i < count; i++) {
		size_t old = kp_index(&d->kp, i);
		const yaml_node_t *item = node_at(d, n->data.sequence.items.start[i]);

		if (is_null(d, item))
			error_at(d, item, "must be a string, not null");
		else if (node_string(d, item, MANIFEST_MAX_STRING, &(*out)[*n_out]))
			(*n_out)++;
		kp_pop(&d->kp, old);
	}
}

static bool node_bool(struct doc *d, const yaml_node_t *n, bool *out)
{
	struct scalar sc;
	enum typed t = typed_scalar(d, n, SC_BOOL, &sc);

	if (t == TYPED_BAD)
		error_at(d, n, "must be true or false, not %s", describe(d, n));
	if (t == TYPED_OK)
		*out = sc.b;
	return t != TYPED_BAD && t != TYPED_MISTAGGED;
}

/* ---- Field tables ------------------------------------------------------- */

enum field_kind { F_STRING, F_BOOL, F_STRINGS, F_STRATEGY };

/* One field of a struct read from a mapping key. */
struct field {
	const char *key;
	enum field_kind kind;
	unsigned flags;
	size_t off;   /* of the value */
	size_t n_off; /* of the count, for F_STRINGS */
};

#define SUB_FIELD(k, kind, flags, f) \
	{ k, kind, flags, offsetof(struct obj_subscription, f), 0 }
#define SUB_LIST(k, f) \
	{ k, F_STRINGS, 0, offsetof(struct obj_subscription, f), \
		offsetof(struct obj_subscription, n_##f) }

static const struct field git_fields[] = {
	SUB_FIELD("repoURL", F_STRING, REQUIRED | NONEMPTY, repo_url),
	SUB_FIELD("branch", F_STRING, 0, branch),
	SUB_FIELD("commitSelectionStrategy", F_STRATEGY, 0, strategy),
	SUB_LIST("allowTagsRegexes", allow_regexes),
	SUB_LIST("ignoreTagsRegexes", ignore_regexes),
	SUB_FIELD("semverConstraint", F_STRING, 0, semver_constraint),
	SUB_FIELD("strictSemvers", F_BOOL, 0, strict_semvers),
	SUB_FIELD("allowTags", F_STRING, 0, allow_tags),
	SUB_LIST("ignoreTags", ignore_tags),
};

static const struct field repo_fields[] = {
	SUB_FIELD("repoURL", F_STRING, REQUIRED | NONEMPTY, repo_url),
};

static const char *const strategy_names[] = {
	[STRATEGY_NEWEST_FROM_BRANCH] = "NewestFromBranch",
	[STRATEGY_SEMVER] = "SemVer",
	[STRATEGY_LEXICAL] = "Lexical",
	[STRATEGY_NEWEST_TAG] = "NewestTag",
};

static void read_strategy(struct doc *d, const yaml_node_t *v,
	enum commit_strategy *out)
{
	char *s = NULL;

	if (!node_string(d, v, MANIFEST_MAX_STRING, &s) || s == NULL)
		return;
	for (size_t i = 0; i < KW_ARRAY_LEN(strategy_names); i++) {
		if (strcmp(s, strategy_names[i]) == 0) {
			*out = (enum commit_strategy)i;
			free(s);
			return;
		}
	}
	error_at(d, v, "must be NewestFromBranch, SemVer, Lexical or NewestTag");
	free(s);
}

static void read_field(struct doc *d, const yaml_node_t *m,
	const struct field *f, void *base)
{
	const yaml_node_t *v = map_get(d, m, f->key);
	char *p = (char *)base + f->off;
	size_t old;

	if (f->kind == F_STRING) {
		get_string(d, m, f->key, f->flags, (char **)(void *)p, NULL);
		return;
	}
	old = kp_str(&d->kp, f->key);
	if (f->kind == F_BOOL)
		node_bool(d, v, (bool *)(void *)p);
	else if (f->kind == F_STRATEGY)
		read_strategy(d, v, (enum commit_strategy *)(void *)p);
	else
		node_strings(d, v, (char ***)(void *)p,
			(size_t *)(void *)((char *)base + f->n_off));
	kp_pop(&d->kp, old);
}

static void read_fields(struct doc *d, const yaml_node_t *m,
	const struct field *fields, size_t n, void *base)
{
	for (size_t i = 0; i < n; i++)
		read_field(d, m, &fields[i], base);
}

/*
 * Which one of keys m has with a non-null value: its index, or -1 after
 * reporting none or several ("what" lists the keys for the message).
 */
static int exactly_one(struct doc *d, const yaml_node_t *m,
	const char *const *keys, size_t n, const char *what)
{
	int found = -1;
	bool several = false;

	for (size_t i = 0; i < n; i++) {
		const yaml_node_t *v = map_get(d, m, keys[i]);
		size_t old;

		if (is_null(d, v))
			continue;
		if (found < 0) {
			found = (int)i;
			continue;
		}
		old = kp_str(&d->kp, keys[i]);
		error_at(d, v, "only one of %s is allowed, and %s is already set",
			what, keys[found]);
		kp_pop(&d->kp, old);
		several = true;
	}
	if (found < 0)
		error_at(d, m, "needs one of %s", what);
	return several ? -1 : found;
}

/* ---- Objects ------------------------------------------------------------ */

/*
 * An object is decoded into a set of its own; if no error was reported it
 * moves into the document's set, else objects_free_set() frees it, so the
 * code that frees objects exists once.
 */
static struct obj_set *scratch_new(struct doc *d)
{
	struct obj_set *s = calloc(1, sizeof(*s));

	if (s == NULL)
		d->oom = true;
	return s;
}

static int move_objects(struct obj_set *dst, struct obj_set *src)
{
	void *v;

#define MOVE(f) \
	if (src->n_##f > 0) { \
		v = array_append(dst->f, &dst->n_##f, src->f, src->n_##f, sizeof(*src->f)); \
		if (v == NULL) \
			return KW_ENOMEM; \
		dst->f = v; \
		src->n_##f = 0; \
	}
	MOVE(configs)
	MOVE(secrets)
	MOVE(warehouses)
	MOVE(promotions)
#undef MOVE
	return KW_OK;
}

static void scratch_commit(struct doc *d, struct obj_set *tmp)
{
	if (!d->oom && d->dl->n_errors == d->errors && move_objects(d->set, tmp) != KW_OK)
		d->oom = true;
	objects_free_set(tmp);
}

/* Allocates the one object of a scratch set: *arr gets it, *n 1. */
static void *scratch_one(struct doc *d, size_t size, size_t *n)
{
	void *p = calloc(1, size);

	if (p == NULL)
		d->oom = true;
	else
		*n = 1;
	return p;
}

struct meta {
	char *name;
	char *namespace;
	const yaml_node_t *node; /* metadata */
	const yaml_node_t *name_node;
	const yaml_node_t *ns_node;
};

/* Kubernetes' RFC 1123 names: lowercase alphanumeric words joined by '-',
 * and for a subdomain several such labels joined by '.'. */
static bool rfc1123(const char *s, size_t max, bool dots)
{
	size_t len = strlen(s);
	char prev = '.';

	if (len == 0 || len > max)
		return false;
	for (const char *p = s; *p != '\0'; prev = *p++) {
		bool alnum = (*p >= 'a' && *p <= 'z') || is_digit(*p);

		if (!alnum && *p != '-' && !(dots && *p == '.'))
			return false;
		if (!alnum && (prev == '.' || prev == '-') && *p == '.')
			return false;
		if (*p == '-' && prev == '.')
			return false;
	}
	return prev != '-' && prev != '.';
}

static void meta_free(struct meta *m)
{
	free(m->name);
	free(m->namespace);
}

/* metadata.name (a subdomain, or a label when label_name) and namespace. */
static bool decode_meta(struct doc *d, const yaml_node_t *root, bool label_name,
	bool namespaced, struct meta *m)
{
	bool ok;
	size_t old;

	if (!get_node(d, root, "metadata", YAML_MAPPING_NODE, REQUIRED, &m->node) ||
		m->node == NULL)
		return false;
	old = kp_str(&d->kp, "metadata");
	ok = get_string(d, m->node, "name", REQUIRED | NONEMPTY, &m->name, &m->name_node);
	ok = get_string(d, m->node, "namespace", namespaced ? REQUIRED | NONEMPTY : 0,
		&m->namespace, &m->ns_node) && ok;
	if (m->name != NULL && !rfc1123(m->name, label_name ? 63 : 253, !label_name)) {
		size_t o = kp_str(&d->kp, "name");

		error_at(d, m->name_node, "must be a lowercase RFC 1123 %s (a-z, 0-9, '-'%s)",
			label_name ? "label" : "subdomain", label_name ? "" : ", '.'");
		kp_pop(&d->kp, o);
		ok = false;
	}
	if (m->namespace != NULL && *m->namespace != '\0' && !rfc1123(m->namespace, 63, false)) {
		size_t o = kp_str(&d->kp, "namespace");

		error_at(d, m->ns_node, "must be a lowercase RFC 1123 label (a-z, 0-9, '-')");
		kp_pop(&d->kp, o);
		ok = false;
	}
	kp_pop(&d->kp, old);
	return ok;
}

/* Reports, at metadata.<key>, a problem with node n. */
static void meta_error(struct doc *d, const char *key, const yaml_node_t *n,
	const char *msg)
{
	size_t old = kp_str(&d->kp, "metadata");

	kp_str(&d->kp, key);
	error_at(d, n, "%s", msg);
	kp_pop(&d->kp, old);
}

/* ---- ProjectConfig and ClusterConfig ------------------------------------ */

static const char *const receiver_kinds[] = {
	"bitbucket", "github", "gitlab", "gitea", "dockerhub",
	"quay", "harbor", "artifactory", "azure", "generic",
};

static void receiver_secret(struct doc *d, const yaml_node_t *v,
	struct obj_receiver *r)
{
	const yaml_node_t *ref;
	size_t old = kp_str(&d->kp, r->kind_name);

	if (expect_mapping(d, v) &&
		get_node(d, v, "secretRef", YAML_MAPPING_NODE, REQUIRED, &ref) && ref != NULL) {
		size_t o = kp_str(&d->kp, "secretRef");

		get_string(d, ref, "name", REQUIRED | NONEMPTY, &r->secret_name, NULL);
		kp_pop(&d->kp, o);
	}
	kp_pop(&d->kp, old);
}

static void decode_receiver(struct doc *d, const yaml_node_t *item,
	struct obj_receiver *r)
{
	int k;

	r->pos = pos_of(d, item);
	if (!expect_mapping(d, item))
		return;
	get_string(d, item, "name", REQUIRED | NONEMPTY, &r->name, NULL);
	k = exactly_one(d, item, receiver_kinds, KW_ARRAY_LEN(receiver_kinds),
		"bitbucket, github, gitlab, gitea, dockerhub, quay, harbor, "
		"artifactory, azure, generic");
	if (k < 0)
		return;
	r->kind = k == 0 ? RECEIVER_BITBUCKET : RECEIVER_OTHER;
	r->kind_name = strdup(receiver_kinds[k]);
	if (r->kind_name == NULL) {
		d->oom = true;
		return;
	}
	receiver_secret(d, map_get(d, item, receiver_kinds[k]), r);
}

static int receiver_cmp(const void *a, const void *b)
{
	const struct obj_receiver *x = *(const struct obj_receiver *const *)a;
	const struct obj_receiver *y = *(const struct obj_receiver *const *)b;
	int r = strcmp(x->name, y->name);

	return r != 0 ? r : (x < y ? -1 : x > y);
}

/* Receiver names are unique within a config: Kargo hashes the name into
 * the receiver's URL. Sorting keeps this linear in practice. */
static void check_receiver_names(struct doc *d, struct obj_config *c)
{
	const struct obj_receiver **v;
	size_t n = 0;

	v = calloc(c->n_receivers + 1, sizeof(*v));
	if (v == NULL) {
		d->oom = true;
		return;
	}
	for (size_t i = 0; i < c->n_receivers; i++)
		if (c->receivers[i].name != NULL)
			v[n++] = &c->receivers[i];
	qsort(v, n, sizeof(*v), receiver_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		size_t old;
		struct shown sh;

		if (strcmp(v[i]->name, v[first]->name) != 0) {
			first = i;
			continue;
		}
		old = kp_index(&d->kp, (size_t)(v[i] - c->receivers));
		kp_str(&d->kp, "name");
		if (diag_add(d->dl, DIAG_ERROR, d->file, v[i]->pos.line, v[i]->pos.column,
			d->kp.buf, "duplicate receiver name \"%s\" (first at line %zu)",
			show(&sh, v[i]->name), v[first]->pos.line) != KW_OK)
			d->oom = true;
		kp_pop(&d->kp, old);
	}
	free(v);
}

static void decode_receivers(struct doc *d, const yaml_node_t *root,
	struct obj_config *c)
{
	const yaml_node_t *spec, *list;
	size_t old, n;

	if (!get_node(d, root, "spec", YAML_MAPPING_NODE, 0, &spec) || spec == NULL)
		return;
	old = kp_str(&d->kp, "spec");
	if (get_node(d, spec, "webhookReceivers", YAML_SEQUENCE_NODE, 0, &list) &&
		list != NULL && (n = list_len(list)) > 0) {
		size_t o = kp_str(&d->kp, "webhookReceivers");

		c->receivers = calloc(n, sizeof(*c->receivers));
		if (c->receivers == NULL)
			d->oom = true;
		for (size_t i = 0; c->receivers != NULL && i < n; i++) {
			size_t oi = kp_index(&d->kp, i);

			decode_receiver(d, node_at(d, list->data.sequence.items.start[i]),
				&c->receivers[c->n_receivers++]);
			kp_pop(&d->kp, oi);
		}
		if (c->receivers != NULL)
			check_receiver_names(d, c);
		kp_pop(&d->kp, o);
	}
	kp_pop(&d->kp, old);
}

/* A ProjectConfig is named after its project, which is its namespace. */
static void config_project(struct doc *d, struct obj_config *c, struct meta *m)
{
	if (m->namespace != NULL && *m->namespace != '\0' &&
		strcmp(m->namespace, m->name) != 0)
		meta_error(d, "namespace", m->ns_node, "must equal metadata.name: a "
			"ProjectConfig is named after its project (namespace)");
	c->project = m->name;
	m->name = NULL;
	c->namespace = strdup(c->project);
	if (c->namespace == NULL)
		d->oom = true;
}

static void config_cluster(struct doc *d, struct obj_config *c, struct meta *m)
{
	if (strcmp(m->name, "cluster") != 0)
		meta_error(d, "name", m->name_node, "a ClusterConfig must be named \"cluster\"");
	c->project = strdup("");
	c->namespace = strdup(""); /* set by manifest_load_ns() */
	if (c->project == NULL || c->namespace == NULL)
		d->oom = true;
}

static void decode_config(struct doc *d, const yaml_node_t *root, bool cluster)
{
	struct obj_set *tmp = scratch_new(d);
	struct obj_config *c;
	struct meta m = { 0 };

	if (tmp == NULL || (c = tmp->configs = scratch_one(d, sizeof(*c), &tmp->n_configs)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	c->cluster = cluster;
	c->pos = pos_of(d, root);
	if (decode_meta(d, root, !cluster, false, &m)) {
		if (cluster)
			config_cluster(d, c, &m);
		else
			config_project(d, c, &m);
	}
	decode_receivers(d, root, c);
	meta_free(&m);
	scratch_commit(d, tmp);
}

static void decode_project_config(struct doc *d, const yaml_node_t *root, cJSON **json)
{
	(void)json;
	decode_config(d, root, false);
}

static void decode_cluster_config(struct doc *d, const yaml_node_t *root, cJSON **json)
{
	(void)json;
	decode_config(d, root, true);
}

/* ---- Secret ------------------------------------------------------------- */

enum secret_source { FROM_DATA, FROM_STRING_DATA };

/* The Secret's keys that receivers use, as they are being read. */
struct secret_keys {
	struct obj_secret *s;
	const yaml_node_t *at[2];    /* value nodes of secret, previous-secret */
	enum secret_source from[2];
};

/* The bytes of one value; NULL after reporting a problem. */
static unsigned char *secret_bytes(struct doc *d, const yaml_node_t *v,
	enum secret_source src, size_t *len)
{
	struct scalar sc = { 0 };
	unsigned char *out;

	*len = 0;
	if (mistagged(d, v))
		return NULL;
	if (!is_null(d, v) && (v->type != YAML_SCALAR_NODE ||
		!resolve_scalar(d, v, &sc) || sc.type != SC_STR)) {
		error_at(d, v, "must be a string, not %s%s", describe(d, v),
			v->type == YAML_SCALAR_NODE ? " (quote it)" : "");
		return NULL;
	}
	if (sc.len > (src == FROM_DATA ? MANIFEST_MAX_SECRET / 3 * 4 + 4 : MANIFEST_MAX_SECRET)) {
		error_at(d, v, "is larger than a Secret may be (%u bytes)", MANIFEST_MAX_SECRET);
		return NULL;
	}
	if ((out = malloc(sc.len + 1)) == NULL) {
		d->oom = true;
		return NULL;
	}
	if (src == FROM_STRING_DATA) {
		if (sc.len > 0)
			memcpy(out, sc.s, sc.len);
		*len = sc.len;
	} else if (!kw_base64_decode(sc.s, sc.len, out, len)) {
		error_at(d, v, "is not valid base64 (Kubernetes would reject it)");
		OPENSSL_cleanse(out, sc.len + 1);
		free(out);
		return NULL;
	}
	return out;
}

static void secret_store(struct secret_keys *sk, int which, unsigned char *bytes,
	size_t len, const yaml_node_t *at, enum secret_source src)
{
	unsigned char **slot = which == 0 ? &sk->s->secret : &sk->s->previous;
	size_t *slot_len = which == 0 ? &sk->s->secret_len : &sk->s->previous_len;

	if (*slot != NULL) {
		OPENSSL_cleanse(*slot, *slot_len);
		free(*slot);
	}
	*slot = bytes;
	*slot_len = len;
	if (which == 0)
		sk->s->has_secret = true;
	else
		sk->s->has_previous = true;
	sk->at[which] = at;
	sk->from[which] = src;
}

static bool key_is(const yaml_node_t *k, const char *s)
{
	return k->data.scalar.length == strlen(s) &&
		memcmp(k->data.scalar.value, s, k->data.scalar.length) == 0;
}

static void secret_value(struct doc *d, const yaml_node_t *k, const yaml_node_t *v,
	enum secret_source src, struct secret_keys *sk)
{
	size_t old = kp_key(&d->kp, (const char *)k->data.scalar.value,
		k->data.scalar.length);
	size_t len;
	unsigned char *bytes = secret_bytes(d, v, src, &len);
	int which = key_is(k, "secret") ? 0 : key_is(k, "previous-secret") ? 1 : -1;

	if (bytes != NULL && which >= 0) {
		secret_store(sk, which, bytes, len, v, src);
	} else if (bytes != NULL) {
		OPENSSL_cleanse(bytes, len);
		free(bytes);
	}
	kp_pop(&d->kp, old);
}

/* data, then stringData: Kubernetes lets stringData win. Merge keys are
 * not followed here: a "<<" key is reported as a value of the wrong type. */
static void secret_values(struct doc *d, const yaml_node_t *root,
	const char *field, enum secret_source src, struct secret_keys *sk)
{
	const yaml_node_t *m;
	size_t old;

	if (!get_node(d, root, field, YAML_MAPPING_NODE, 0, &m) || m == NULL)
		return;
	old = kp_str(&d->kp, field);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
		p < m->data.mapping.pairs.top && !d->oom; p++) {
		const yaml_node_t *k = node_at(d, p->key);

		if (k->type == YAML_SCALAR_NODE) /* else reported by convert() */
			secret_value(d, k, node_at(d, p->value), src, sk);
	}
	kp_pop(&d->kp, old);
}

/* [beyond] The bytes are the HMAC key as they are: a trailing newline, the
 * usual slip of `echo ... | base64`, makes every signature differ from
 * Bitbucket's, whose copy almost never ends in white space. */
static void secret_whitespace(struct doc *d, const struct secret_keys *sk)
{
	static const char *const keys[2] = { "secret", "previous-secret" };

	for (int i = 0; i < 2; i++) {
		const unsigned char *v = i == 0 ? sk->s->secret : sk->s->previous;
		size_t len = i == 0 ? sk->s->secret_len : sk->s->previous_len;
		size_t old;

		if (sk->at[i] == NULL || len == 0 || strchr(" \t\r\n", v[len - 1]) == NULL)
			continue;
		old = kp_str(&d->kp, sk->from[i] == FROM_DATA ? "data" : "stringData");
		kp_str(&d->kp, keys[i]);
		warning_at(d, sk->at[i], "the value ends in white space (%s); Bitbucket's "
			"copy of a secret almost never does, and signatures would not "
			"match%s", v[len - 1] == '\n' ? "a newline" : v[len - 1] == '\r'
			? "a carriage return" : v[len - 1] == '\t' ? "a tab" : "a space",
			sk->from[i] == FROM_DATA ? " (encoded with echo, without -n?)" : "");
		kp_pop(&d->kp, old);
	}
}

static void decode_secret(struct doc *d, const yaml_node_t *root, cJSON **json)
{
	struct obj_set *tmp = scratch_new(d);
	struct secret_keys sk = { 0 };
	struct meta m = { 0 };

	(void)json;
	if (tmp == NULL || (sk.s = tmp->secrets = scratch_one(d, sizeof(*sk.s), &tmp->n_secrets)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	sk.s->pos = pos_of(d, root);
	if (decode_meta(d, root, false, true, &m)) {
		sk.s->name = m.name;
		sk.s->namespace = m.namespace;
		m.name = m.namespace = NULL;
	}
	secret_values(d, root, "data", FROM_DATA, &sk);
	secret_values(d, root, "stringData", FROM_STRING_DATA, &sk);
	secret_whitespace(d, &sk);
	meta_free(&m);
	scratch_commit(d, tmp);
}

/* ---- Warehouse ---------------------------------------------------------- */

static const char *const sub_keys[] = { "git", "image", "chart" };

/* [beyond] Kargo refuses to build a tag strategy's selection with the
 * deprecated fields, so webhooks for this repository would answer 500. */
static void warn_deprecated(struct doc *d, const yaml_node_t *git,
	const struct obj_subscription *s)
{
	static const char *const keys[] = { "allowTags", "ignoreTags" };

	if (s->strategy == STRATEGY_NEWEST_FROM_BRANCH)
		return;
	for (size_t i = 0; i < KW_ARRAY_LEN(keys); i++) {
		const yaml_node_t *v = map_get(d, git, keys[i]);
		size_t old;

		if (is_null(d, v))
			continue;
		old = kp_str(&d->kp, keys[i]);
		warning_at(d, v, "deprecated: with a tag strategy Kargo cannot build "
			"this subscription's selection, and pushes to its repository get "
			"500 (use allowTagsRegexes or ignoreTagsRegexes)");
		kp_pop(&d->kp, old);
	}
}

static void decode_subscription(struct doc *d, const yaml_node_t *item,
	struct obj_subscription *s)
{
	const yaml_node_t *v;
	size_t old;
	int k;

	s->pos = pos_of(d, item);
	if (!expect_mapping(d, item))
		return;
	k = exactly_one(d, item, sub_keys, KW_ARRAY_LEN(sub_keys), "git, image, chart");
	if (k < 0)
		return;
	s->kind = (enum sub_kind)k;
	v = map_get(d, item, sub_keys[k]);
	old = kp_str(&d->kp, sub_keys[k]);
	if (expect_mapping(d, v)) {
		if (s->kind == SUB_GIT) {
			/* Kargo's CRD defaults strictSemvers to true
			 * (+kubebuilder:default=true). */
			s->strict_semvers = true;
			read_fields(d, v, git_fields, KW_ARRAY_LEN(git_fields), s);
			warn_deprecated(d, v, s);
		} else {
			read_fields(d, v, repo_fields, KW_ARRAY_LEN(repo_fields), s);
		}
	}
	kp_pop(&d->kp, old);
}

static void decode_subscriptions(struct doc *d, const yaml_node_t *root,
	struct obj_warehouse *w)
{
	const yaml_node_t *spec, *list;
	size_t old, o, n;

	if (!get_node(d, root, "spec", YAML_MAPPING_NODE, REQUIRED, &spec) || spec == NULL)
		return;
	old = kp_str(&d->kp, "spec");
	if (!get_node(d, spec, "subscriptions", YAML_SEQUENCE_NODE, REQUIRED, &list) ||
		list == NULL) {
		kp_pop(&d->kp, old);
		return;
	}
	o = kp_str(&d->kp, "subscriptions");
	n = list_len(list);
	if (n == 0)
		error_at(d, list, "must list at least one subscription");
	else if ((w->subs = calloc(n, sizeof(*w->subs))) == NULL)
		d->oom = true;
	for (size_t i = 0; w->subs != NULL && i < n; i++) {
		size_t oi = kp_index(&d->kp, i);

		decode_subscription(d, node_at(d, list->data.sequence.items.start[i]),
			&w->subs[w->n_subs++]);
		kp_pop(&d->kp, oi);
	}
	kp_pop(&d->kp, o);
	kp_pop(&d->kp, old);
}

/* Moves a namespaced object's decoded name and namespace into its fields. */
static void take_names(struct doc *d, const yaml_node_t *root, struct meta *m,
	char **name, char **namespace)
{
	if (decode_meta(d, root, false, true, m)) {
		*name = m->name;
		*namespace = m->namespace;
		m->name = m->namespace = NULL;
	}
}

/* Hands the document's JSON to the object, unless the set keeps none. */
static void keep_object(struct doc *d, cJSON **json, cJSON **slot)
{
	if (!d->set->without_objects) {
		*slot = *json;
		*json = NULL;
	}
}

static void decode_warehouse(struct doc *d, const yaml_node_t *root, cJSON **json)
{
	struct obj_set *tmp = scratch_new(d);
	struct obj_warehouse *w;
	struct meta m = { 0 };

	if (tmp == NULL || (w = tmp->warehouses = scratch_one(d, sizeof(*w), &tmp->n_warehouses)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	w->pos = pos_of(d, root);
	take_names(d, root, &m, &w->name, &w->namespace);
	decode_subscriptions(d, root, w);
	keep_object(d, json, &w->object);
	meta_free(&m);
	scratch_commit(d, tmp);
}

/* ---- Promotion ---------------------------------------------------------- */

/* status.state[alias].pr.url when it is a string. */
static const char *state_pr_url(const cJSON *json, const char *alias)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(json, "status");

	j = cJSON_GetObjectItemCaseSensitive(j, "state");
	j = cJSON_GetObjectItemCaseSensitive(j, alias);
	j = cJSON_GetObjectItemCaseSensitive(j, "pr");
	j = cJSON_GetObjectItemCaseSensitive(j, "url");
	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static void add_pr_url(struct doc *d, struct obj_promotion *p, const char *url)
{
	char *s = strdup(url);
	char **v = s != NULL ? array_grow(p->pr_urls, p->n_pr_urls, 1, sizeof(*v)) : NULL;

	if (v == NULL) {
		free(s);
		d->oom = true;
		return;
	}
	v[p->n_pr_urls++] = s;
	p->pr_urls = v;
}

/*
 * The pull requests a Promotion waits on. Kargo v1.11 indexes Running
 * Promotions by the pr.url that a git-wait-for-pr step records in
 * status.state under the step's alias (its "as", else "step-<index>"), and
 * a pull-request event refreshes the Promotions indexed under the event's
 * URL (pkg/webhook/external tests: a Running Promotion with step
 * {uses: git-wait-for-pr, as: wait-pr} and state
 * {"wait-pr": {"pr": {"url": ...}}}). Every such step counts here; the
 * phase is kept so that the caller can require Running.
 */
static void decode_steps(struct doc *d, const yaml_node_t *root,
	const cJSON *json, struct obj_promotion *p)
{
	const yaml_node_t *spec, *steps;
	size_t old;

	if (!get_node(d, root, "spec", YAML_MAPPING_NODE, 0, &spec) || spec == NULL)
		return;
	old = kp_str(&d->kp, "spec");
	if (get_node(d, spec, "steps", YAML_SEQUENCE_NODE, 0, &steps) && steps != NULL) {
		size_t o = kp_str(&d->kp, "steps");

		for (size_t i = 0; i < list_len(steps) && !d->oom; i++) {
			const yaml_node_t *step = node_at(d, steps->data.sequence.items.start[i]);
			size_t oi = kp_index(&d->kp, i);
			char *uses = NULL, *as = NULL, alias[32];
			const char *url;

			if (expect_mapping(d, step) &&
				get_string(d, step, "uses", 0, &uses, NULL) &&
				get_string(d, step, "as", 0, &as, NULL) &&
				uses != NULL && strcmp(uses, "git-wait-for-pr") == 0) {
				snprintf(alias, sizeof(alias), "step-%zu", i);
				url = state_pr_url(json, as != NULL && *as != '\0' ? as : alias);
				if (url != NULL)
					add_pr_url(d, p, url);
			}
			free(uses);
			free(as);
			kp_pop(&d->kp, oi);
		}
		kp_pop(&d->kp, o);
	}
	kp_pop(&d->kp, old);
}

static void decode_promotion(struct doc *d, const yaml_node_t *root, cJSON **json)
{
	struct obj_set *tmp = scratch_new(d);
	struct obj_promotion *p;
	const yaml_node_t *status;
	struct meta m = { 0 };

	if (tmp == NULL || (p = tmp->promotions = scratch_one(d, sizeof(*p), &tmp->n_promotions)) == NULL) {
		objects_free_set(tmp);
		return;
	}
	p->pos = pos_of(d, root);
	take_names(d, root, &m, &p->name, &p->namespace);
	if (get_node(d, root, "status", YAML_MAPPING_NODE, 0, &status) && status != NULL) {
		size_t old = kp_str(&d->kp, "status");

		get_string(d, status, "phase", 0, &p->phase, NULL);
		kp_pop(&d->kp, old);
	}
	decode_steps(d, root, *json, p);
	keep_object(d, json, &p->object);
	meta_free(&m);
	scratch_commit(d, tmp);
}

/* ---- Kinds -------------------------------------------------------------- */

static const struct kind {
	const char *name;
	const char *api_version;
	void (*decode)(struct doc *d, const yaml_node_t *root, cJSON **json);
} kinds[] = {
	{ "ProjectConfig", KARGO_API, decode_project_config },
	{ "ClusterConfig", KARGO_API, decode_cluster_config },
	{ "Secret", "v1", decode_secret },
	{ "Warehouse", KARGO_API, decode_warehouse },
	{ "Promotion", KARGO_API, decode_promotion },
};

/* The API group of an apiVersion: "" for the core "v1". */
static bool same_group(const char *a, const char *b)
{
	const char *sa = strchr(a, '/'), *sb = strchr(b, '/');
	size_t la = sa != NULL ? (size_t)(sa - a) : 0;
	size_t lb = sb != NULL ? (size_t)(sb - b) : 0;

	return la == lb && memcmp(a, b, la) == 0;
}

static void decode_object(struct doc *d, const yaml_node_t *n);

/* kubectl accepts a List (what `kubectl get -o yaml` prints) of objects. */
static void decode_items(struct doc *d, const yaml_node_t *n)
{
	const yaml_node_t *items;
	size_t old;

	if (!get_node(d, n, "items", YAML_SEQUENCE_NODE, 0, &items) || items == NULL)
		return;
	old = kp_str(&d->kp, "items");
	if (d->lists++ >= MANIFEST_MAX_DEPTH / 2) /* aliases can nest a List in itself */
		error_at(d, items, "Lists nested deeper than %d levels", MANIFEST_MAX_DEPTH / 2);
	for (size_t i = 0; d->lists <= MANIFEST_MAX_DEPTH / 2 &&
		i < list_len(items) && !d->oom; i++) {
		const yaml_node_t *item = node_at(d, items->data.sequence.items.start[i]);
		size_t oi = kp_index(&d->kp, i);

		/* an item may be an alias, read as often as it is named */
		if (spend(d, item, 1 + (item->type == YAML_MAPPING_NODE ? n_pairs(item) : 0), 0))
			decode_object(d, item);
		kp_pop(&d->kp, oi);
	}
	d->lists--;
	kp_pop(&d->kp, old);
}

static bool is_list_kind(const char *kind)
{
	size_t len = strlen(kind);

	return len >= 4 && strcmp(kind + len - 4, "List") == 0;
}

static void decode_kind(struct doc *d, const yaml_node_t *n, const char *api,
	const yaml_node_t *api_node, const char *kind)
{
	cJSON *json = NULL;

	for (size_t i = 0; i < KW_ARRAY_LEN(kinds); i++) {
		const struct kind *k = &kinds[i];

		/* The same kind name in another API group is someone else's. */
		if (strcmp(kind, k->name) != 0 || !same_group(api, k->api_version))
			continue;
		if (strcmp(api, k->api_version) != 0) {
			size_t old = kp_str(&d->kp, "apiVersion");

			error_at(d, api_node, "%s is served as %s", kind, k->api_version);
			kp_pop(&d->kp, old);
			return;
		}
		d->errors = d->dl->n_errors;
		if (convert(d, n, &json) != KW_ETOOBIG)
			k->decode(d, n, &json);
		cJSON_Delete(json);
		return;
	}
}

static void decode_object(struct doc *d, const yaml_node_t *n)
{
	char *api = NULL, *kind = NULL;
	const yaml_node_t *api_node = NULL;
	bool ok;

	if (n->type != YAML_MAPPING_NODE) {
		error_at(d, n, "a manifest is a mapping with apiVersion and kind, not %s",
			describe(d, n));
		return;
	}
	ok = get_string(d, n, "apiVersion", REQUIRED | NONEMPTY, &api, &api_node);
	ok = get_string(d, n, "kind", REQUIRED | NONEMPTY, &kind, NULL) && ok;
	if (ok && is_list_kind(kind))
		decode_items(d, n);
	else if (ok)
		decode_kind(d, n, api, api_node, kind);
	free(api);
	free(kind);
}

/* ---- Streams ------------------------------------------------------------ */

enum scan_result { SCAN_MORE, SCAN_DOC, SCAN_END, SCAN_STOP };

static void report_yaml_error(struct doc *d, const yaml_parser_t *p)
{
	const char *problem = p->problem != NULL ? p->problem : "invalid YAML";

	if (p->error == YAML_MEMORY_ERROR) {
		d->oom = true;
	} else if (p->error == YAML_READER_ERROR) {
		if (diag_add(d->dl, DIAG_ERROR, d->file, 0, 0, NULL, "%s at byte %zu",
			problem, p->problem_offset) != KW_OK)
			d->oom = true;
	} else if (p->context != NULL) {
		error_mark(d, p->problem_mark, "%s (%s at line %zu column %zu)", problem,
			p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	} else {
		error_mark(d, p->problem_mark, "%s", problem);
	}
}

/* Notes a plain scalar tagged !!str or !: a string, whatever its text. */
static bool note_tagged(struct scan *sc, const yaml_event_t *ev)
{
	const char *tag = (const char *)ev->data.scalar.tag;
	size_t *v;

	if (tag == NULL || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		(strcmp(tag, "!") != 0 && strcmp(tag, YAML_STR_TAG) != 0))
		return true;
	v = array_append(sc->tagged, &sc->n_tagged, &ev->start_mark.index, 1, sizeof(*v));
	if (v != NULL)
		sc->tagged = v;
	return v != NULL;
}

static enum scan_result scan_event(struct scan *sc, struct doc *d,
	const yaml_event_t *ev, size_t *depth, size_t *nodes)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return SCAN_END;
	case YAML_DOCUMENT_START_EVENT:
		sc->doc_mark = ev->start_mark;
		return SCAN_MORE;
	case YAML_DOCUMENT_END_EVENT:
		return SCAN_DOC;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		(*depth)--;
		return SCAN_MORE;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++*depth > MANIFEST_MAX_DEPTH) {
			error_mark(d, ev->start_mark, "nested deeper than %d levels",
				MANIFEST_MAX_DEPTH);
			return SCAN_STOP;
		}
		break;
	case YAML_SCALAR_EVENT:
		if (!note_tagged(sc, ev)) {
			d->oom = true;
			return SCAN_STOP;
		}
		break;
	case YAML_ALIAS_EVENT:
		break;
	default:
		return SCAN_MORE;
	}
	if (++*nodes > MANIFEST_MAX_NODES) {
		error_mark(d, ev->start_mark, "the document has more than %d nodes",
			MANIFEST_MAX_NODES);
		return SCAN_STOP;
	}
	return SCAN_MORE;
}

/* Reads the events of the next document, bounding it before it is loaded. */
static enum scan_result scan_document(struct scan *sc, struct doc *d)
{
	size_t depth = 0, nodes = 0;
	enum scan_result r;

	sc->n_tagged = 0;
	do {
		yaml_event_t ev;

		if (!yaml_parser_parse(&sc->parser, &ev)) {
			report_yaml_error(d, &sc->parser);
			return SCAN_STOP;
		}
		r = scan_event(sc, d, &ev, &depth, &nodes);
		yaml_event_delete(&ev);
	} while (r == SCAN_MORE);
	return r;
}

/* Loads and decodes the document just scanned; false at the end or on a
 * load error. */
static bool load_document(struct doc *d, yaml_parser_t *loader)
{
	yaml_document_t ydoc;
	const yaml_node_t *root;

	if (!yaml_parser_load(loader, &ydoc)) {
		report_yaml_error(d, loader);
		return false;
	}
	root = yaml_document_get_root_node(&ydoc);
	if (root != NULL) {
		d->ydoc = &ydoc;
		d->budget_nodes = MANIFEST_MAX_NODES;
		d->budget_bytes = MANIFEST_MAX_FILE_SIZE;
		d->exhausted = false;
		if (!is_null(d, root)) /* an empty document, as kubectl skips */
			decode_object(d, root);
		d->ydoc = NULL;
	}
	yaml_document_delete(&ydoc);
	return root != NULL;
}

static int parse_stream(struct obj_set *set, struct diag_list *dl,
	const char *file, const char *buf, size_t len)
{
	struct scan sc;
	yaml_parser_t loader;
	struct doc d;

	memset(&sc, 0, sizeof(sc));
	memset(&d, 0, sizeof(d));
	d.set = set;
	d.dl = dl;
	d.file = file;
	d.scan = &sc;
	if (!yaml_parser_initialize(&sc.parser))
		return KW_ENOMEM;
	if (!yaml_parser_initialize(&loader)) {
		yaml_parser_delete(&sc.parser);
		return KW_ENOMEM;
	}
	yaml_parser_set_input_string(&sc.parser, (const unsigned char *)buf, len);
	yaml_parser_set_input_string(&loader, (const unsigned char *)buf, len);
	for (size_t i = 0; !d.oom && scan_document(&sc, &d) == SCAN_DOC; i++) {
		if (i == MANIFEST_MAX_DOCUMENTS) {
			error_mark(&d, sc.doc_mark, "more than %d documents in one file",
				MANIFEST_MAX_DOCUMENTS);
			break;
		}
		if (!load_document(&d, &loader))
			break;
	}
	yaml_parser_delete(&loader);
	yaml_parser_delete(&sc.parser);
	free(sc.tagged);
	return d.oom ? KW_ENOMEM : KW_OK;
}

struct obj_set *manifest_set_new(void)
{
	return calloc(1, sizeof(struct obj_set));
}

/* The set's copy of a file name, which positions borrow. */
static const char *set_file(struct obj_set *set, const char *file)
{
	char *copy, **v;

	if (set->n_files > 0 && strcmp(set->files[set->n_files - 1], file) == 0)
		return set->files[set->n_files - 1];
	if ((copy = strdup(file)) == NULL)
		return NULL;
	v = array_append(set->files, &set->n_files, &copy, 1, sizeof(copy));
	if (v == NULL) {
		free(copy);
		return NULL;
	}
	set->files = v;
	return copy;
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

/* Puts the diagnostics from first on in position order, then discovery
 * order, so that the listing reads like the file. Out of memory, they stay
 * as they are, which is still correct. */
static void sort_diags(struct diag_list *dl, size_t first)
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

int manifest_parse(struct obj_set *set, struct diag_list *dl,
	const char *file, const char *buf, size_t len)
{
	size_t errors, first;
	const char *name;

	if (set == NULL || dl == NULL || (buf == NULL && len > 0))
		return KW_EINVAL;
	errors = dl->n_errors;
	if ((name = set_file(set, file != NULL ? file : "-")) == NULL)
		return KW_ENOMEM;
	if (len > MANIFEST_MAX_FILE_SIZE) {
		if (diag_add(dl, DIAG_ERROR, name, 0, 0, NULL, "larger than %u bytes",
			MANIFEST_MAX_FILE_SIZE) != KW_OK)
			return KW_ENOMEM;
		return KW_EINVAL;
	}
	first = dl->n;
	if (parse_stream(set, dl, name, buf != NULL ? buf : "", len) != KW_OK)
		return KW_ENOMEM;
	sort_diags(dl, first);
	return dl->n_errors != errors ? KW_EINVAL : KW_OK;
}

/* ---- Files and folders -------------------------------------------------- */

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct loader {
	struct obj_set *set;
	struct diag_list *dl;
	struct file_id *seen; /* files and folders read, so links cannot loop */
	size_t n_seen;
	size_t n_files;
	bool io_error;
	bool oom;
	bool full; /* MANIFEST_MAX_FILES reached */
};

static void load_error(struct loader *ld, const char *path, bool io,
	const char *fmt, ...) PRINTF(4, 5);

static void load_error(struct loader *ld, const char *path, bool io,
	const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (diag_vadd(ld->dl, DIAG_ERROR, path, 0, 0, NULL, fmt, ap) != KW_OK)
		ld->oom = true;
	va_end(ap);
	ld->io_error |= io;
}

/* Whether st was read already; remembers it otherwise. */
static bool seen_before(struct loader *ld, const struct stat *st)
{
	struct file_id id = { st->st_dev, st->st_ino }, *v;

	for (size_t i = 0; i < ld->n_seen; i++)
		if (ld->seen[i].dev == id.dev && ld->seen[i].ino == id.ino)
			return true;
	v = array_append(ld->seen, &ld->n_seen, &id, 1, sizeof(id));
	if (v == NULL) {
		ld->oom = true;
		return true;
	}
	ld->seen = v;
	return false;
}

static bool has_yaml_ext(const char *path)
{
	size_t len = strlen(path);

	return (len > 5 && strcmp(path + len - 5, ".yaml") == 0) ||
		(len > 4 && strcmp(path + len - 4, ".yml") == 0);
}

/* Reads a whole file of at most MANIFEST_MAX_FILE_SIZE bytes (what it
 * held when opened: a file growing meanwhile is cut there). errno tells
 * why on KW_EIO. */
static int read_file(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0;
	int rc = KW_OK, fd = open(path, O_RDONLY | O_CLOEXEC);

	*out = NULL;
	if (fd < 0)
		return KW_EIO;
	if (fstat(fd, &st) != 0)
		rc = KW_EIO;
	else if (st.st_size > (off_t)MANIFEST_MAX_FILE_SIZE)
		rc = KW_ETOOBIG;
	else if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		rc = KW_ENOMEM;
	while (rc == KW_OK && n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);

		if (r < 0 && errno != EINTR)
			rc = KW_EIO;
		else if (r == 0)
			break;
		else if (r > 0)
			n += (size_t)r;
	}
	if (rc != KW_OK) {
		int e = errno;

		free(buf);
		close(fd);
		errno = e;
		return rc;
	}
	close(fd);
	*out = buf;
	*len = n;
	return KW_OK;
}

static void load_file(struct loader *ld, const char *path)
{
	char *buf;
	size_t len = 0;
	int rc;

	if (ld->n_files++ >= MANIFEST_MAX_FILES) {
		load_error(ld, path, false, "more than %d manifest files; this one and "
			"the rest are not read", MANIFEST_MAX_FILES);
		ld->full = true;
		return;
	}
	rc = read_file(path, &buf, &len);
	if (rc == KW_ENOMEM)
		ld->oom = true;
	else if (rc == KW_ETOOBIG)
		load_error(ld, path, false, "larger than %u bytes", MANIFEST_MAX_FILE_SIZE);
	else if (rc != KW_OK)
		load_error(ld, path, true, "cannot read: %s", strerror(errno));
	else if (manifest_parse(ld->set, ld->dl, path, buf, len) == KW_ENOMEM)
		ld->oom = true;
	free(buf);
}

static void load_path(struct loader *ld, const char *path, bool named);

/* The entries of a folder, sorted, without those starting with '.'. */
static char **list_dir(struct loader *ld, const char *path, size_t *n)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char **names = NULL, **v, *s;

	*n = 0;
	if (dir == NULL) {
		load_error(ld, path, true, "cannot read: %s", strerror(errno));
		return NULL;
	}
	while (!ld->oom && (e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == MAX_DIR_ENTRIES) {
			load_error(ld, path, false, "more than %d entries; the rest are not "
				"read", MAX_DIR_ENTRIES);
			break;
		}
		if ((s = strdup(e->d_name)) == NULL ||
			(v = array_append(names, n, &s, 1, sizeof(s))) == NULL) {
			free(s);
			ld->oom = true;
			break;
		}
		names = v;
	}
	closedir(dir);
	if (*n > 1)
		qsort(names, *n, sizeof(*names), cmp_strp);
	return names;
}

static void load_dir(struct loader *ld, const char *path)
{
	size_t n, len = strlen(path);
	char **names = list_dir(ld, path, &n);

	for (size_t i = 0; i < n; i++) {
		size_t sub_len = len + strlen(names[i]) + 2;
		char *sub = !ld->oom && !ld->full ? malloc(sub_len) : NULL;

		if (sub != NULL) {
			snprintf(sub, sub_len, "%s%s%s", path,
				len > 0 && path[len - 1] == '/' ? "" : "/", names[i]);
			load_path(ld, sub, false);
		} else if (!ld->full) {
			ld->oom = true;
		}
		free(sub);
		free(names[i]);
	}
	free(names);
}

/* named: given by the caller, read whatever its name; else found in a
 * folder and read only as *.yaml or *.yml. */
static void load_path(struct loader *ld, const char *path, bool named)
{
	struct stat st;

	if (ld->oom || ld->full)
		return;
	if (stat(path, &st) != 0) {
		if (named || errno != ENOENT) /* a dangling link in a folder is not */
			load_error(ld, path, true, "cannot read: %s", strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		if (!seen_before(ld, &st))
			load_dir(ld, path);
	} else if (S_ISREG(st.st_mode)) {
		if ((named || has_yaml_ext(path)) && !seen_before(ld, &st))
			load_file(ld, path);
	} else if (named) {
		load_error(ld, path, true, "not a file or a folder");
	}
}

/* ---- Checks across objects ---------------------------------------------- */

/* Where the fields that identify one kind's objects are. */
struct ident_desc {
	const char *kind;
	bool config; /* "ClusterConfig" when cluster is set */
	size_t size, ns_off, name_off, pos_off;
};

struct ident {
	const char *ns, *name;
	const struct obj_pos *pos;
	size_t index;
	bool cluster;
};

static int ident_cmp(const void *a, const void *b)
{
	const struct ident *x = a, *y = b;
	int r = strcmp(x->ns, y->ns);

	if (r == 0)
		r = strcmp(x->name, y->name);
	return r != 0 ? r : (x->index < y->index ? -1 : x->index > y->index);
}

#define FIELD(elem, off, type) (*(type *)(void *)((char *)(elem) + (off)))

static void ident_report(struct diag_list *dl, const struct ident_desc *dd,
	const struct ident *dup, const struct ident *first, bool *oom)
{
	const char *kind = dd->config && dup->cluster ? "ClusterConfig" : dd->kind;
	struct shown a, b;

	if (diag_add(dl, DIAG_ERROR, dup->pos->file, dup->pos->line, dup->pos->column,
		"metadata.name", "duplicate %s %s%s%s (first at %s:%zu); this one is "
		"ignored", kind, dd->config ? "" : show(&a, dup->ns), dd->config ? "" : "/",
		dd->config && dup->cluster ? "cluster" : show(&b, dup->name),
		first->pos->file, first->pos->line) != KW_OK)
		*oom = true;
}

/* Marks in drop the objects whose kind, namespace and name came before. */
static int find_duplicates(struct diag_list *dl, void *arr, size_t n,
	const struct ident_desc *dd, bool *drop)
{
	struct ident *ids = calloc(n, sizeof(*ids));
	bool oom = ids == NULL;

	for (size_t i = 0; !oom && i < n; i++) {
		char *elem = (char *)arr + i * dd->size;

		ids[i].ns = FIELD(elem, dd->ns_off, char *);
		ids[i].name = FIELD(elem, dd->name_off, char *);
		ids[i].pos = &FIELD(elem, dd->pos_off, struct obj_pos);
		ids[i].index = i;
		ids[i].cluster = dd->config && ((struct obj_config *)(void *)elem)->cluster;
	}
	if (!oom)
		qsort(ids, n, sizeof(*ids), ident_cmp);
	for (size_t i = 1, first = 0; !oom && i < n; i++) {
		if (strcmp(ids[i].ns, ids[first].ns) != 0 ||
			strcmp(ids[i].name, ids[first].name) != 0) {
			first = i;
			continue;
		}
		drop[ids[i].index] = true;
		ident_report(dl, dd, &ids[i], &ids[first], &oom);
	}
	free(ids);
	return oom ? KW_ENOMEM : KW_OK;
}

/*
 * Removes duplicates from arr (holding *n), keeping the first of each in
 * load order; *gone gets a new array of the removed ones (for freeing), or
 * NULL. Nothing changes when out of memory.
 */
static int dedupe(struct diag_list *dl, void *arr, size_t *n,
	const struct ident_desc *dd, void **gone, size_t *n_gone)
{
	bool *drop;
	char *keep = NULL, *out = NULL;
	size_t k = 0, g = 0;
	int rc;

	*gone = NULL;
	*n_gone = 0;
	if (*n < 2)
		return KW_OK;
	if ((drop = calloc(*n, sizeof(*drop))) == NULL)
		return KW_ENOMEM;
	rc = find_duplicates(dl, arr, *n, dd, drop);
	if (rc == KW_OK && memchr(drop, true, *n) != NULL) {
		keep = malloc(*n * dd->size);
		out = malloc(*n * dd->size);
		if (keep == NULL || out == NULL)
			rc = KW_ENOMEM;
		for (size_t i = 0; rc == KW_OK && i < *n; i++)
			memcpy(drop[i] ? out + g++ * dd->size : keep + k++ * dd->size,
				(char *)arr + i * dd->size, dd->size);
		if (rc == KW_OK) {
			memcpy(arr, keep, k * dd->size);
			*n = k;
			*gone = out;
			*n_gone = g;
			out = NULL;
		}
	}
	free(keep);
	free(out);
	free(drop);
	return rc;
}

#define IDENT(kind, config, type, ns, name) \
	{ kind, config, sizeof(type), offsetof(type, ns), offsetof(type, name), \
		offsetof(type, pos) }

static const struct ident_desc config_ids =
	IDENT("ProjectConfig", true, struct obj_config, namespace, project);
static const struct ident_desc secret_ids =
	IDENT("Secret", false, struct obj_secret, namespace, name);
static const struct ident_desc warehouse_ids =
	IDENT("Warehouse", false, struct obj_warehouse, namespace, name);
static const struct ident_desc promotion_ids =
	IDENT("Promotion", false, struct obj_promotion, namespace, name);

/* Two objects of one kind, namespace and name cannot both exist in a
 * cluster: the first one read is kept, the others reported and freed. */
static int drop_duplicates(struct obj_set *set, struct diag_list *dl)
{
	struct obj_set *trash = calloc(1, sizeof(*trash));
	void *gone = NULL;
	int rc;

	if (trash == NULL)
		return KW_ENOMEM;
	rc = dedupe(dl, set->configs, &set->n_configs, &config_ids, &gone, &trash->n_configs);
	trash->configs = gone;
	if (rc == KW_OK)
		rc = dedupe(dl, set->secrets, &set->n_secrets, &secret_ids, &gone, &trash->n_secrets);
	trash->secrets = rc == KW_OK ? gone : NULL;
	if (rc == KW_OK)
		rc = dedupe(dl, set->warehouses, &set->n_warehouses, &warehouse_ids, &gone,
			&trash->n_warehouses);
	trash->warehouses = rc == KW_OK ? gone : NULL;
	if (rc == KW_OK)
		rc = dedupe(dl, set->promotions, &set->n_promotions, &promotion_ids, &gone,
			&trash->n_promotions);
	trash->promotions = rc == KW_OK ? gone : NULL;
	objects_free_set(trash);
	return rc;
}

static int set_cluster_namespace(struct obj_set *set, const char *ns)
{
	for (size_t i = 0; i < set->n_configs; i++) {
		char *copy;

		if (!set->configs[i].cluster)
			continue;
		if ((copy = strdup(ns)) == NULL)
			return KW_ENOMEM;
		free(set->configs[i].namespace);
		set->configs[i].namespace = copy;
	}
	return KW_OK;
}

/* A receiver whose Secret or key is missing has no URL (Kargo leaves it out
 * of status.webhookReceivers): a warning, since the Secret may be created
 * apart from these files. Only Bitbucket's key is known here. */
static int check_receiver_secrets(const struct obj_set *set, struct diag_list *dl)
{
	for (size_t i = 0; i < set->n_configs; i++) {
		const struct obj_config *c = &set->configs[i];

		for (size_t j = 0; j < c->n_receivers; j++) {
			const struct obj_receiver *r = &c->receivers[j];
			const struct obj_secret *s;
			char key[160];
			struct shown a, b;
			int rc = KW_OK;

			if (r->secret_name == NULL)
				continue;
			s = objects_find_secret(set, c->namespace, r->secret_name);
			snprintf(key, sizeof(key), "spec.webhookReceivers[%zu].%s.secretRef.name",
				j, r->kind_name);
			if (s == NULL)
				rc = diag_add(dl, DIAG_WARNING, r->pos.file, r->pos.line, r->pos.column,
					key, "secret %s/%s not found", show(&a, c->namespace),
					show(&b, r->secret_name));
			else if (r->kind == RECEIVER_BITBUCKET && !s->has_secret)
				rc = diag_add(dl, DIAG_WARNING, r->pos.file, r->pos.line, r->pos.column,
					key, "secret %s/%s has no key secret", show(&a, c->namespace),
					show(&b, r->secret_name));
			if (rc != KW_OK)
				return rc;
		}
	}
	return KW_OK;
}

static int check_set(struct obj_set *set, struct diag_list *dl, const char *system_ns)
{
	int rc = set_cluster_namespace(set, system_ns);

	if (rc == KW_OK)
		rc = drop_duplicates(set, dl);
	if (rc == KW_OK)
		rc = check_receiver_secrets(set, dl);
	return rc;
}

int manifest_load_ns(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths, const char *system_namespace)
{
	struct manifest_options mo = { system_namespace, true };

	return manifest_load_with(out, dl, paths, n_paths, &mo);
}

int manifest_load_with(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths, const struct manifest_options *mo)
{
	const char *system_namespace = mo->system_namespace;
	struct loader ld;
	size_t errors;

	if (out == NULL || dl == NULL || (paths == NULL && n_paths > 0))
		return KW_EINVAL;
	*out = NULL;
	memset(&ld, 0, sizeof(ld));
	errors = dl->n_errors;
	ld.dl = dl;
	if ((ld.set = manifest_set_new()) == NULL)
		return KW_ENOMEM;
	ld.set->without_objects = !mo->keep_objects;
	for (size_t i = 0; i < n_paths && !ld.oom; i++)
		load_path(&ld, paths[i], true);
	if (!ld.oom && check_set(ld.set, dl, system_namespace != NULL ? system_namespace
		: MANIFEST_DEFAULT_SYSTEM_NAMESPACE) != KW_OK)
		ld.oom = true;
	free(ld.seen);
	if (ld.oom) {
		objects_free_set(ld.set);
		return KW_ENOMEM;
	}
	*out = ld.set;
	if (ld.io_error)
		return KW_EIO;
	return dl->n_errors != errors ? KW_EINVAL : KW_OK;
}

int manifest_load(struct obj_set **out, struct diag_list *dl,
	const char *const *paths, size_t n_paths)
{
	return manifest_load_ns(out, dl, paths, n_paths, NULL);
}
