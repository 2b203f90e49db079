/*
 * manifest.c: one YAML stream (multi-document) into the typed objects of
 * objects.h (manifest.h's manifest_parse), with every problem reported with
 * file:line:column and the key it concerns.
 *
 * Each document is read twice from the same buffer. A first pass over
 * libyaml's events bounds it (nesting depth, number of nodes) before
 * anything is built, and notes the one fact libyaml's loader forgets (a
 * plain scalar explicitly tagged !!str). Then yaml_parser_load() builds the
 * node tree, whose nodes carry their positions, and decode.c decodes each
 * object of it. The other concerns live apart: ydoc.c (one document being
 * read), yaml11.c (scalar typing, go-yaml v2's rules), kjson.c (kubectl's
 * JSON), yread.c (typed fields), decode.c (the kinds), manifest_load.c
 * (files and folders), crosscheck.c (checks across objects), diag.c.
 */
#include "manifest.h"

#include "decode.h"
#include "kw.h"
#include "ydoc.h"

#include <stdlib.h>
#include <string.h>

/* The first pass over a stream's events. */
struct scan {
	yaml_parser_t parser;
	yaml_mark_t doc_mark;
	size_t *tagged; /* start indexes of plain scalars tagged !!str or ! */
	size_t n_tagged;
};

enum scan_result { SCAN_MORE, SCAN_DOC, SCAN_END, SCAN_STOP };

static void report_yaml_error(struct ydoc *d, const yaml_parser_t *p)
{
	const char *problem = p->problem != NULL ? p->problem : "invalid YAML";

	if (p->error == YAML_MEMORY_ERROR) {
		d->oom = true;
	} else if (p->error == YAML_READER_ERROR) {
		if (diag_add(d->dl, DIAG_ERROR, d->file, 0, 0, NULL, "%s at byte %zu",
			problem, p->problem_offset) != KW_OK)
			d->oom = true;
	} else if (p->context != NULL) {
		ydoc_error_mark(d, p->problem_mark, "%s (%s at line %zu column %zu)", problem,
			p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	} else {
		ydoc_error_mark(d, p->problem_mark, "%s", problem);
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
	v = kw_array_append(sc->tagged, &sc->n_tagged, &ev->start_mark.index, 1, sizeof(*v));
	if (v != NULL)
		sc->tagged = v;
	return v != NULL;
}

static enum scan_result scan_event(struct scan *sc, struct ydoc *d,
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
			ydoc_error_mark(d, ev->start_mark, "nested deeper than %d levels",
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
		ydoc_error_mark(d, ev->start_mark, "the document has more than %d nodes",
			MANIFEST_MAX_NODES);
		return SCAN_STOP;
	}
	return SCAN_MORE;
}

/* Reads the events of the next document, bounding it before it is loaded. */
static enum scan_result scan_document(struct scan *sc, struct ydoc *d)
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
static bool load_document(struct ydoc *d, yaml_parser_t *loader)
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
		if (!ydoc_is_null(d, root)) /* an empty document, as kubectl skips */
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
	struct ydoc d;

	memset(&sc, 0, sizeof(sc));
	memset(&d, 0, sizeof(d));
	d.set = set;
	d.dl = dl;
	d.file = file;
	if (!yaml_parser_initialize(&sc.parser))
		return KW_ENOMEM;
	if (!yaml_parser_initialize(&loader)) {
		yaml_parser_delete(&sc.parser);
		return KW_ENOMEM;
	}
	yaml_parser_set_input_string(&sc.parser, (const unsigned char *)buf, len);
	yaml_parser_set_input_string(&loader, (const unsigned char *)buf, len);
	for (size_t i = 0; !d.oom && scan_document(&sc, &d) == SCAN_DOC; i++) {
		d.tagged = sc.tagged;
		d.n_tagged = sc.n_tagged;
		if (i == MANIFEST_MAX_DOCUMENTS) {
			ydoc_error_mark(&d, sc.doc_mark, "more than %d documents in one file",
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
	v = kw_array_append(set->files, &set->n_files, &copy, 1, sizeof(copy));
	if (v == NULL) {
		free(copy);
		return NULL;
	}
	set->files = v;
	return copy;
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
	diag_sort(dl, first);
	return dl->n_errors != errors ? KW_EINVAL : KW_OK;
}
