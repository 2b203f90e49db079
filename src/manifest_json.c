/*
 * manifest_json.c: a Kubernetes object that arrives as parsed JSON (an item
 * of a list page or a watch event) into the typed objects, through the very
 * decoders manifest files go through (decode.c), without printing it as
 * text and parsing that again with libyaml: the cJSON tree is built
 * directly into libyaml's node tree, as the loader would have built it
 * from the JSON text (strings double-quoted, numbers, true, false and null
 * plain, numbers spelled as cJSON prints them). What libyaml's reader and
 * manifest.c's first pass would refuse in that text is refused here with
 * the same outcome: invalid UTF-8 or a character YAML does not allow, a key
 * longer than YAML allows an implicit key, nesting deeper than
 * MANIFEST_MAX_DEPTH, more than MANIFEST_MAX_NODES nodes, more than
 * MANIFEST_MAX_FILE_SIZE bytes (fuzz/fuzz_manifest_json.c holds the two
 * ways to the same answers). Every rule about the objects stays in
 * decode.c, once.
 */
#include "manifest.h"

#include "decode.h"
#include "kw.h"
#include "utf8.h"
#include "ydoc.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

struct build {
	struct ydoc *d;
	yaml_document_t *doc;
	size_t nodes, bytes;
	bool failed; /* reported (or out of memory): nothing is decoded */
};

/* libyaml's reader allows tab, line feed, carriage return, the printable
 * ASCII range, NEL and every valid code point from U+00A0 except the
 * surrogates, U+FFFE and U+FFFF. cJSON prints the C0 controls as escapes,
 * which the scanner accepts, so only the raw ones above 0x7E can fail. */
static bool yaml_printable(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t r;
		size_t w;

		if (p[i] < 0x7F) {
			i++;
			continue;
		}
		if ((w = utf8_valid_len(p + i, n - i, &r)) == 0)
			return false;
		if (r == 0x7F || (r >= 0x80 && r < 0xA0 && r != 0x85) || r == 0xFFFE ||
		    r == 0xFFFF)
			return false;
		i += w;
	}
	return true;
}

/* Reports the first problem (at the document's start: JSON from the API
 * server has no lines to point at). */
static void fail(struct build *b, const char *problem)
{
	yaml_mark_t m = { 0, 0, 0 };

	if (!b->failed)
		ydoc_error_mark(b->d, m, "%s", problem);
	b->failed = true;
}

#define STR_(x) #x
#define STR(x) STR_(x)

/* Counts one node of len bytes against the bounds manifest.c applies. */
static bool charge(struct build *b, size_t len)
{
	b->bytes += len;
	if (++b->nodes > MANIFEST_MAX_NODES)
		fail(b, "the document has more than " STR(MANIFEST_MAX_NODES) " nodes");
	else if (b->bytes > MANIFEST_MAX_FILE_SIZE)
		fail(b, "larger than 16 MiB");
	return !b->failed;
}

static int scalar(struct build *b, const char *s, size_t len, yaml_scalar_style_t style)
{
	int id;

	if (!charge(b, len))
		return 0;
	if (style != YAML_PLAIN_SCALAR_STYLE && !yaml_printable((const unsigned char *)s, len)) {
		fail(b, "invalid UTF-8, or a character YAML does not allow");
		return 0;
	}
	id = yaml_document_add_scalar(b->doc, NULL, (const yaml_char_t *)s, (int)len, style);
	if (id == 0) {
		b->d->oom = true;
		b->failed = true;
	}
	return id;
}

static int string_node(struct build *b, const char *s)
{
	return scalar(b, s, strlen(s), YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

/* How many characters s takes printed by cJSON, quotes included: the
 * escapes \" \\ \b \f \n \r \t take two, other control characters six
 * (\u00XX), a UTF-8 sequence one. */
static size_t printed_chars(const char *s)
{
	size_t n = 2;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\' || *p == '\b' || *p == '\f' || *p == '\n' ||
		    *p == '\r' || *p == '\t')
			n += 2;
		else if (*p < 0x20)
			n += 6;
		else if ((*p & 0xC0) != 0x80)
			n++;
	}
	return n;
}

/* A mapping key. YAML ends an implicit key (every key of a JSON text)
 * 1024 characters after it starts; libyaml then finds no ':'. */
static int key_node(struct build *b, const char *s)
{
	if (printed_chars(s) > 1024) {
		fail(b, "a key longer than 1024 characters");
		return 0;
	}
	return string_node(b, s);
}

/* A number as cJSON_PrintUnformatted spells it, plain. */
static int number_node(struct build *b, const cJSON *j)
{
	char *text = cJSON_PrintUnformatted(j);
	int id;

	if (text == NULL) {
		b->d->oom = b->failed = true;
		return 0;
	}
	id = scalar(b, text, strlen(text), YAML_PLAIN_SCALAR_STYLE);
	free(text);
	return id;
}

static int node(struct build *b, const cJSON *j, unsigned depth);

static int container(struct build *b, const cJSON *j, unsigned depth,
	const char *api_version, const char *kind)
{
	bool map = cJSON_IsObject(j);
	int id;

	if (depth > MANIFEST_MAX_DEPTH) {
		fail(b, "nested deeper than " STR(MANIFEST_MAX_DEPTH) " levels");
		return 0;
	}
	if (!charge(b, 0))
		return 0;
	id = map ? yaml_document_add_mapping(b->doc, NULL, YAML_FLOW_MAPPING_STYLE) :
		yaml_document_add_sequence(b->doc, NULL, YAML_FLOW_SEQUENCE_STYLE);
	if (id == 0) {
		b->d->oom = b->failed = true;
		return 0;
	}
	if (kind != NULL) { /* put in front, as the text was */
		int k1 = string_node(b, "apiVersion"), v1 = string_node(b, api_version);
		int k2 = string_node(b, "kind"), v2 = string_node(b, kind);

		if (b->failed || !yaml_document_append_mapping_pair(b->doc, id, k1, v1) ||
		    !yaml_document_append_mapping_pair(b->doc, id, k2, v2))
			return b->d->oom = b->failed = true, 0;
	}
	for (const cJSON *c = j->child; c != NULL && !b->failed; c = c->next) {
		int k = map ? key_node(b, c->string ? c->string : "") : 0;
		int v = node(b, c, depth + 1);

		if (b->failed)
			break;
		if (!(map ? yaml_document_append_mapping_pair(b->doc, id, k, v) :
			yaml_document_append_sequence_item(b->doc, id, v)))
			b->d->oom = b->failed = true;
	}
	return b->failed ? 0 : id;
}

static int node(struct build *b, const cJSON *j, unsigned depth)
{
	if (cJSON_IsObject(j) || cJSON_IsArray(j))
		return container(b, j, depth, NULL, NULL);
	if (cJSON_IsString(j))
		return string_node(b, j->valuestring);
	if (cJSON_IsNumber(j))
		return number_node(b, j);
	if (cJSON_IsTrue(j))
		return scalar(b, "true", 4, YAML_PLAIN_SCALAR_STYLE);
	if (cJSON_IsFalse(j))
		return scalar(b, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	return scalar(b, "null", 4, YAML_PLAIN_SCALAR_STYLE);
}

int manifest_parse_json(struct obj_set *set, struct diag_list *dl,
	const char *file, const struct cJSON *item, const char *api_version,
	const char *kind)
{
	struct ydoc d = { 0 };
	yaml_document_t doc;
	struct build b = { &d, &doc, 0, 0, false };
	size_t errors, first;
	bool add_kind;

	if (set == NULL || dl == NULL || item == NULL)
		return KW_EINVAL;
	errors = dl->n_errors;
	first = dl->n;
	d.set = set;
	d.dl = dl;
	if ((d.file = manifest_set_file(set, file != NULL ? file : "-")) == NULL)
		return KW_ENOMEM;
	if (!yaml_document_initialize(&doc, NULL, NULL, NULL, 1, 1))
		return KW_ENOMEM;
	add_kind = cJSON_IsObject(item) && item->child != NULL &&
		cJSON_GetObjectItemCaseSensitive(item, "kind") == NULL;
	if (add_kind)
		container(&b, item, 1, api_version, kind);
	else
		node(&b, item, 1);
	if (!b.failed)
		decode_document(&d, &doc);
	yaml_document_delete(&doc);
	if (d.oom)
		return KW_ENOMEM;
	diag_sort(dl, first);
	return dl->n_errors != errors ? KW_EINVAL : KW_OK;
}
